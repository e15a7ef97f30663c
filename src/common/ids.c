#include "common/ids.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"
#include "payout/jwe.h"

/* RAND_bytes costs a few microseconds per call in OpenSSL 3 (a DRBG round
 * trip with its locking), and a request needs several small values: trace
 * id, IVs, nonces, object ids. Each thread draws RAND_BATCH bytes at once and
 * hands each byte out once, wiping it as it goes. A fork() makes the child
 * drop what it inherited: two processes handing out the same bytes would
 * repeat a GCM IV under one key. Large requests go to OpenSSL directly. */
#define RAND_BATCH 512
#define RAND_DIRECT 64

static atomic_uint fork_generation;
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;

static void after_fork_in_child(void)
{
    atomic_fetch_add(&fork_generation, 1);
}

static void install_fork_hook(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static _Thread_local struct {
    uint8_t bytes[RAND_BATCH];
    size_t left; /* unused bytes, at the end of the batch */
    unsigned generation;
} batch;

bool pay_random_bytes(void *buf, size_t n)
{
    if (n > RAND_DIRECT) return RAND_bytes(buf, (int)n) == 1;
    pthread_once(&fork_hook_once, install_fork_hook);
    unsigned generation = atomic_load(&fork_generation);
    if (batch.generation != generation) {
        OPENSSL_cleanse(batch.bytes, sizeof batch.bytes);
        batch.left = 0;
        batch.generation = generation;
    }
    if (batch.left < n) {
        if (RAND_bytes(batch.bytes, RAND_BATCH) != 1) return false;
        batch.left = RAND_BATCH;
    }
    uint8_t *take = batch.bytes + RAND_BATCH - batch.left;
    memcpy(buf, take, n);
    OPENSSL_cleanse(take, n);
    batch.left -= n;
    return true;
}

bool pay_trace_id_new(char out[PAY_TRACE_ID_LEN + 1])
{
    uint8_t raw[PAY_TRACE_ID_LEN / 2];
    if (!pay_random_bytes(raw, sizeof raw)) return false;
    pay_hex_encode(raw, sizeof raw, out);
    return true;
}

pay_err pay_uuid_v4(char out[PAY_UUID_BUF])
{
    uint8_t b[16];
    if (!pay_random_bytes(b, sizeof b)) return PAY_ERR_INTERNAL;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char digits[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-'; /* 8-4-4-4-12 */
        *o++ = digits[b[i] >> 4];
        *o++ = digits[b[i] & 15];
    }
    *o = 0;
    return PAY_OK;
}

/* ULID state: the last (ms, random) issued, so ids within one ms increase. */
static pthread_mutex_t ulid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static uint8_t last_rand[10];

static void increment(uint8_t r[10])
{
    for (int i = 9; i >= 0; i--)
        if (++r[i] != 0) break;
}

bool pay_object_id_new(const char *prefix, int64_t unix_us, char *out, size_t cap)
{
    static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";
    size_t plen = strlen(prefix);
    if (cap < plen + PAY_ULID_LEN + 1) return false;
    uint64_t ms = unix_us > 0 ? (uint64_t)unix_us / 1000 : 0;
    uint8_t bytes[16];

    pthread_mutex_lock(&ulid_lock);
    if (ms <= last_ms) {
        ms = last_ms; /* clock went back or same ms: keep order */
        increment(last_rand);
    } else if (!pay_random_bytes(last_rand, sizeof last_rand)) {
        pthread_mutex_unlock(&ulid_lock);
        return false;
    } else {
        last_rand[0] &= 0x7f; /* leave room to increment within this ms */
    }
    last_ms = ms;
    for (int i = 0; i < 6; i++)
        bytes[i] = (uint8_t)(ms >> (40 - 8 * i));
    memcpy(bytes + 6, last_rand, 10);
    pthread_mutex_unlock(&ulid_lock);

    memcpy(out, prefix, plen);
    /* 128 bits -> 26 chars: the first char carries the top 3 bits. */
    for (int i = 0; i < PAY_ULID_LEN; i++) {
        int bit = i == 0 ? 0 : 3 + (i - 1) * 5; /* start bit of this char */
        int width = i == 0 ? 3 : 5;
        unsigned v = 0;
        for (int k = 0; k < width; k++) {
            int b = bit + k;
            v = v << 1 | (unsigned)(bytes[b / 8] >> (7 - b % 8) & 1);
        }
        out[plen + (size_t)i] = crockford[v];
    }
    out[plen + PAY_ULID_LEN] = 0;
    return true;
}

bool pay_random_alnum(char *out, size_t n)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i < n) {
        uint8_t b[32];
        if (!pay_random_bytes(b, sizeof b)) return false;
        for (size_t k = 0; k < sizeof b && i < n; k++)
            if (b[k] < 248) out[i++] = alpha[b[k] % 62]; /* 248 = 4*62: no modulo bias */
    }
    out[n] = 0;
    return true;
}
