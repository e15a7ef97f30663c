/*
 * Token-bucket rate limits: a bucket per key (a secret key and route, or a
 * client address) holding up to per_minute tokens, refilled continuously.
 * The table is bounded: when it is full, buckets idle for a minute (hence
 * full again, equivalent to new) are dropped first.
 * Thread-safety: internally locked.
 */
#ifndef PAY_RATELIMIT_H
#define PAY_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAY_RATE_BUCKETS_MAX 65536

typedef struct pay_ratelimiter pay_ratelimiter;

pay_ratelimiter *pay_ratelimiter_new(void);
void pay_ratelimiter_free(pay_ratelimiter *r);

/* Takes one token from the bucket of key (up to 64 bytes used). per_minute
 * 0 means unlimited. On refusal, *retry_after_s is when one token is back. */
bool pay_ratelimit_take(pay_ratelimiter *r, const void *key, size_t key_len, unsigned per_minute,
                        int64_t now_us, unsigned *retry_after_s);

#endif
