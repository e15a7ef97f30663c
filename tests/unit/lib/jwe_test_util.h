/*
 * Helpers shared by the JWE unit tests: building compact tokens segment by
 * segment (so a test can produce exactly the malformation it needs) and
 * loading JSON fixtures. Header-only (static inline) because each test file
 * is its own executable. All returned buffers are malloc'd; callers free.
 */
#ifndef PAY_JWE_TEST_UTIL_H
#define PAY_JWE_TEST_UTIL_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "crypto/gcm.h"
#include "harness.h"
#include "payout/jwe.h"

#define FIXTURE_KEY_HEX "6b3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63"

static inline pay_key tu_key_hex(const char *hex)
{
    pay_key k;
    pay_error e = {0};
    memset(&k, 0, sizeof k);
    if (pay_key_from_hex(&k, hex, strlen(hex), &e) != PAY_OK)
        pay_test_fail(__FILE__, __LINE__, "key %s: %s", hex, e.message);
    return k;
}

static inline pay_key tu_key_bytes(const uint8_t *b, size_t n)
{
    pay_key k;
    pay_error e = {0};
    memset(&k, 0, sizeof k);
    if (pay_key_from_bytes(&k, b, n, &e) != PAY_OK)
        pay_test_fail(__FILE__, __LINE__, "key of %zu bytes: %s", n, e.message);
    return k;
}

static inline char *tu_b64u(const void *in, size_t n)
{
    char *out = malloc(pay_b64url_encoded_len(n) + 1);
    if (out) pay_b64url_encode(in, n, out);
    return out;
}

/* Strict base64url decode; NULL on malformed input. */
static inline uint8_t *tu_unb64u(const char *in, size_t n, size_t *len)
{
    uint8_t *out = malloc(pay_b64_decoded_max(n) + 1);
    if (!out) return NULL;
    if (pay_b64url_decode(in, n, out, len, NULL) != PAY_B64_OK) {
        free(out);
        return NULL;
    }
    out[*len] = 0;
    return out;
}

/* "seg0.seg1.seg2.seg3.seg4" from already-encoded segments. */
static inline char *tu_join(const char *s0, const char *s1, const char *s2, const char *s3,
                            const char *s4)
{
    size_t n = strlen(s0) + strlen(s1) + strlen(s2) + strlen(s3) + strlen(s4) + 5;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s.%s.%s.%s.%s", s0, s1, s2, s3, s4);
    return out;
}

/* Segment k (0-based) of a compact token, malloc'd; NULL if absent. */
static inline char *tu_segment(const char *token, int k)
{
    const char *p = token;
    for (int i = 0; i < k; i++) {
        p = strchr(p, '.');
        if (!p) return NULL;
        p++;
    }
    const char *end = strchr(p, '.');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

/* The token with segment k replaced by repl (encoded text). */
static inline char *tu_replace_segment(const char *token, int k, const char *repl)
{
    char *seg[5];
    for (int i = 0; i < 5; i++)
        seg[i] = i == k ? (char *)repl : tu_segment(token, i);
    char *out = tu_join(seg[0] ? seg[0] : "", seg[1] ? seg[1] : "", seg[2] ? seg[2] : "",
                        seg[3] ? seg[3] : "", seg[4] ? seg[4] : "");
    for (int i = 0; i < 5; i++)
        if (i != k) free(seg[i]);
    return out;
}

/* Seals arbitrary bytes (binary too, e.g. deflated content) with the raw GCM
 * layer: header_json verbatim as segment 1 and its base64url as AAD. */
static inline char *tu_seal_raw(const pay_key *key, const char *header_json, const uint8_t *iv,
                                size_t iv_len, const uint8_t *pt, size_t n)
{
    char *h = tu_b64u(header_json, strlen(header_json));
    uint8_t *ct = malloc(n + 1);
    uint8_t tag[PAY_GCM_TAG_LEN];
    char *out = NULL;
    if (h && ct &&
        pay_gcm_encrypt(key->bytes, key->len, iv, iv_len, (const uint8_t *)h, strlen(h), pt, n, ct,
                        tag) == PAY_OK) {
        char *ivs = tu_b64u(iv, iv_len), *cts = tu_b64u(ct, n), *tags = tu_b64u(tag, sizeof tag);
        out = tu_join(h, "", ivs, cts, tags);
        free(ivs);
        free(cts);
        free(tags);
    }
    free(h);
    free(ct);
    return out;
}

static inline json_t *tu_load_json(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) pay_test_fail(__FILE__, __LINE__, "cannot load %s: %s", path, jerr.text);
    return j;
}

/* Opens token with key; returns the code, fills err, frees any plaintext. */
static inline pay_err tu_open_code(const char *token, const pay_key *key, pay_error *err)
{
    uint8_t *pt = NULL;
    size_t n = 0;
    memset(err, 0, sizeof *err);
    pay_err rc = pay_jwe_open(token, strlen(token), key, &pt, &n, err);
    pay_jwe_plaintext_free(pt, n);
    return rc;
}

#define CHECK_ERR(expr, code, phrase)                                                              \
    do {                                                                                           \
        pay_err got_ = (expr);                                                                     \
        if (got_ != (code))                                                                        \
            pay_test_fail(__FILE__, __LINE__, "%s returned %s, expected %s (message: %s)", #expr,  \
                          pay_err_name(got_), pay_err_name(code), e.message);                      \
        else                                                                                       \
            CHECK_CONTAINS(e.message, phrase);                                                     \
    } while (0)

#endif
