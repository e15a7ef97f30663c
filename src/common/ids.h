/*
 * Identifiers: trace ids (32 lowercase hex), object ids (prefix + 26
 * lowercase Crockford base32, time-ordered like ULID; spec §10 #17) and
 * random secrets. All randomness comes from OpenSSL's CSPRNG.
 * Thread-safe.
 */
#ifndef PAY_IDS_H
#define PAY_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAY_TRACE_ID_LEN 32
#define PAY_ULID_LEN 26
#define PAY_OBJECT_ID_MAX 40 /* longest prefix we use + 26 + NUL, with room */

/* Fills buf from the CSPRNG; false only if OpenSSL cannot seed. Small
 * requests are served from a per-thread batch (every byte once; a forked
 * child never reuses its parent's batch). */
bool pay_random_bytes(void *buf, size_t n);

/* 32 lowercase hex chars + NUL. */
bool pay_trace_id_new(char out[PAY_TRACE_ID_LEN + 1]);

/* prefix + 26 Crockford base32 chars (48-bit ms time + 80 random bits).
 * Ids from one process are strictly increasing even within a millisecond. */
bool pay_object_id_new(const char *prefix, int64_t unix_us, char *out, size_t cap);

/* n random characters from [A-Za-z0-9] + NUL (for API keys). */
bool pay_random_alnum(char *out, size_t n);

#endif
