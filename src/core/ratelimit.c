#include "core/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64
#define MINUTE_US INT64_C(60000000)

typedef struct bucket {
    uint8_t key[KEY_MAX];
    uint8_t key_len;
    bool used;
    double tokens;
    int64_t updated_us;
} bucket;

struct pay_ratelimiter {
    pthread_mutex_t lock;
    bucket *slots; /* open addressing, linear probing */
    size_t cap;    /* a power of two, twice the bucket limit */
    size_t used;
};

pay_ratelimiter *pay_ratelimiter_new(void)
{
    pay_ratelimiter *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->cap = 2 * PAY_RATE_BUCKETS_MAX;
    r->slots = calloc(r->cap, sizeof *r->slots); /* untouched pages stay unallocated */
    if (!r->slots) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void pay_ratelimiter_free(pay_ratelimiter *r)
{
    if (!r) return;
    pthread_mutex_destroy(&r->lock);
    free(r->slots);
    free(r);
}

static uint64_t hash(const uint8_t *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ULL;
    return h;
}

/* Rebuilds the table without buckets idle for a minute or more. */
static void sweep(pay_ratelimiter *r, int64_t now_us)
{
    bucket *old = r->slots;
    bucket *fresh = calloc(r->cap, sizeof *fresh);
    if (!fresh) {
        memset(old, 0, r->cap * sizeof *old); /* no memory: forget everything */
        r->used = 0;
        return;
    }
    r->used = 0;
    for (size_t i = 0; i < r->cap; i++) {
        if (!old[i].used || now_us - old[i].updated_us >= MINUTE_US) continue;
        size_t j = hash(old[i].key, old[i].key_len) & (r->cap - 1);
        while (fresh[j].used) j = (j + 1) & (r->cap - 1);
        fresh[j] = old[i];
        r->used++;
    }
    free(old);
    r->slots = fresh;
    if (r->used >= PAY_RATE_BUCKETS_MAX) { /* everyone is active: start over */
        memset(r->slots, 0, r->cap * sizeof *r->slots);
        r->used = 0;
    }
}

bool pay_ratelimit_take(pay_ratelimiter *r, const void *key, size_t key_len, unsigned per_minute,
                        int64_t now_us, unsigned *retry_after_s)
{
    if (!r || per_minute == 0) return true;
    if (key_len > KEY_MAX) key_len = KEY_MAX;
    bool ok;
    pthread_mutex_lock(&r->lock);
    if (r->used >= PAY_RATE_BUCKETS_MAX) sweep(r, now_us);
    size_t i = hash(key, key_len) & (r->cap - 1);
    while (r->slots[i].used &&
           (r->slots[i].key_len != key_len || memcmp(r->slots[i].key, key, key_len) != 0))
        i = (i + 1) & (r->cap - 1);
    bucket *b = &r->slots[i];
    if (!b->used) {
        b->used = true;
        memcpy(b->key, key, key_len);
        b->key_len = (uint8_t)key_len;
        b->tokens = per_minute;
        b->updated_us = now_us;
        r->used++;
    }
    double rate = per_minute / (double)MINUTE_US; /* tokens per microsecond */
    if (now_us > b->updated_us) b->tokens += (double)(now_us - b->updated_us) * rate;
    if (b->tokens > per_minute) b->tokens = per_minute;
    b->updated_us = now_us;
    ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
    } else if (retry_after_s) {
        double wait_us = (1.0 - b->tokens) / rate;
        *retry_after_s = (unsigned)(wait_us / 1e6) + 1;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}
