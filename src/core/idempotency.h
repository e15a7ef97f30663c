/*
 * Idempotency (spec §7): a POST with an Idempotency-Key runs once; later
 * requests with the same key, API key, URL and method get the first response
 * again. Records are durable (core/ and store/ write them in the same
 * transaction as the change they answer) and kept 15 days by the merchant's
 * clock. This module holds the scope hash and the in-process set of
 * requests still running (409 IDEMPOTENT_REQUEST_PROCESSING).
 */
#ifndef PAY_IDEMPOTENCY_H
#define PAY_IDEMPOTENCY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/apierr.h"

#define PAY_IDEMPOTENCY_KEY_MAX 300 /* characters, spec §7 */
#define PAY_IDEMPOTENCY_KEEP_US (INT64_C(15) * 86400 * 1000000)

/* A usable Idempotency-Key: 1-300 characters, no control characters. */
bool pay_idem_key_check(const char *key, pay_fault *f);

/* SHA-256 over the scope: API key id, method, path and the key itself. */
void pay_idem_scope_hash(int64_t api_key_id, const char *method, const char *path,
                         const char *key, uint8_t out[32]);

typedef struct pay_inflight pay_inflight;
pay_inflight *pay_inflight_new(void);
void pay_inflight_free(pay_inflight *set);
/* False when the hash is already running. */
bool pay_inflight_add(pay_inflight *set, const uint8_t hash[32]);
void pay_inflight_remove(pay_inflight *set, const uint8_t hash[32]);

#endif
