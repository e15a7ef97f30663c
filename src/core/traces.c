#include "core/traces.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pay_traces {
    pthread_mutex_t lock;
    pay_trace *ring;
    size_t cap;
    size_t next;  /* slot the next entry goes to */
    size_t count; /* entries held, <= cap */
};

pay_traces *pay_traces_new(size_t capacity)
{
    pay_traces *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = capacity ? capacity : PAY_TRACES_DEFAULT;
    /* calloc: pages are touched only as the ring fills. */
    t->ring = calloc(t->cap, sizeof *t->ring);
    if (!t->ring) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void pay_traces_free(pay_traces *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->lock);
    free(t->ring);
    free(t);
}

void pay_traces_add(pay_traces *t, const pay_trace *e)
{
    if (!t) return;
    pthread_mutex_lock(&t->lock);
    t->ring[t->next] = *e;
    t->next = (t->next + 1) % t->cap;
    if (t->count < t->cap) t->count++;
    pthread_mutex_unlock(&t->lock);
}

bool pay_traces_get(pay_traces *t, const char *id, pay_trace *out)
{
    bool found = false;
    if (!t) return false;
    pthread_mutex_lock(&t->lock);
    /* Newest first: a linear scan of a few thousand ids, on an admin call. */
    for (size_t i = 0; i < t->count && !found; i++) {
        const pay_trace *e = &t->ring[(t->next + t->cap - 1 - i) % t->cap];
        if (strcmp(e->trace_id, id) == 0) {
            *out = *e;
            found = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

size_t pay_traces_recent(pay_traces *t, pay_trace *out, size_t cap)
{
    if (!t) return 0;
    pthread_mutex_lock(&t->lock);
    size_t n = t->count < cap ? t->count : cap;
    for (size_t i = 0; i < n; i++) out[i] = t->ring[(t->next + t->cap - 1 - i) % t->cap];
    pthread_mutex_unlock(&t->lock);
    return n;
}
