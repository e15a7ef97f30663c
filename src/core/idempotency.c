#include "core/idempotency.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "crypto/digest.h"

bool pay_idem_key_check(const char *key, pay_fault *f)
{
    size_t n = strlen(key);
    size_t chars = pay_utf8_valid(key, n, NULL) ? pay_utf8_count(key, n) : n;
    if (n == 0 || chars > PAY_IDEMPOTENCY_KEY_MAX) {
        pay_fault_setf(f, PAY_E_INVALID_IDEMPOTENCY_KEY, "got %zu characters", chars);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) {
            pay_fault_setf(f, PAY_E_INVALID_IDEMPOTENCY_KEY, "control character at offset %zu", i);
            return false;
        }
    return true;
}

void pay_idem_scope_hash(int64_t api_key_id, const char *method, const char *path,
                         const char *key, uint8_t out[32])
{
    /* Length-prefixed fields, so no two scopes can share a serialization. */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 32;
    memset(out, 0, 32); /* what a failed digest leaves: a scope nothing else hashes to */
    const char *parts[] = {method, path, key};
    EVP_DigestInit_ex(md, pay_sha256_md(), NULL);
    EVP_DigestUpdate(md, &api_key_id, sizeof api_key_id);
    for (int i = 0; i < 3; i++) {
        uint64_t len = strlen(parts[i]);
        EVP_DigestUpdate(md, &len, sizeof len);
        EVP_DigestUpdate(md, parts[i], len);
    }
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
}

/* A small open set: requests in flight at once are few (bounded by the
 * server's connections), so a linear scan under one lock is enough. */
struct pay_inflight {
    pthread_mutex_t lock;
    uint8_t (*hashes)[32];
    size_t n, cap;
};

pay_inflight *pay_inflight_new(void)
{
    pay_inflight *s = calloc(1, sizeof *s);
    if (s) pthread_mutex_init(&s->lock, NULL);
    return s;
}

void pay_inflight_free(pay_inflight *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->lock);
    free(s->hashes);
    free(s);
}

bool pay_inflight_add(pay_inflight *s, const uint8_t hash[32])
{
    bool added = false;
    pthread_mutex_lock(&s->lock);
    size_t i = 0;
    while (i < s->n && memcmp(s->hashes[i], hash, 32) != 0) i++;
    if (i == s->n) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            void *p = realloc(s->hashes, cap * sizeof *s->hashes);
            if (!p) goto out; /* refuse rather than run unguarded */
            s->hashes = p;
            s->cap = cap;
        }
        memcpy(s->hashes[s->n++], hash, 32);
        added = true;
    }
out:
    pthread_mutex_unlock(&s->lock);
    return added;
}

void pay_inflight_remove(pay_inflight *s, const uint8_t hash[32])
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(s->hashes[i], hash, 32) == 0) {
            memcpy(s->hashes[i], s->hashes[--s->n], 32);
            break;
        }
    pthread_mutex_unlock(&s->lock);
}
