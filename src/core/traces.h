/*
 * The trace store: the last N requests by trace id — time, route, status,
 * error code, diagnosis, sizes, latency — so support can answer "what
 * happened to trace X" (admin API). Never a body or a key. Bounded: a ring
 * of a fixed number of entries, kept in memory (the log lines are the
 * durable record).
 * Thread-safety: all functions lock internally.
 */
#ifndef PAY_TRACES_H
#define PAY_TRACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ids.h"

#define PAY_TRACES_DEFAULT 4096

typedef struct pay_trace {
    char trace_id[PAY_TRACE_ID_LEN + 1];
    int64_t at_us; /* real time the request started */
    char method[12];
    char route[64];  /* the route's name, "-" when none matched */
    char client[48]; /* client address */
    char merchant[64];
    char env[8];
    unsigned status;
    char code[48];         /* error code, "" on success */
    char diagnosis[512];   /* why a token did not open, when it did not */
    char replay_of[PAY_TRACE_ID_LEN + 1]; /* idempotent replay of this trace */
    size_t bytes_in, bytes_out;
    int64_t latency_us;
} pay_trace;

typedef struct pay_traces pay_traces;

pay_traces *pay_traces_new(size_t capacity);
void pay_traces_free(pay_traces *t);
void pay_traces_add(pay_traces *t, const pay_trace *entry);
/* Copies the entry with this id; false when it is not (or no longer) kept. */
bool pay_traces_get(pay_traces *t, const char *trace_id, pay_trace *out);
/* The newest entries first, at most cap; returns how many were copied. */
size_t pay_traces_recent(pay_traces *t, pay_trace *out, size_t cap);

#endif
