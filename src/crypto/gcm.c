#include "crypto/gcm.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* EVP lengths are int; feed longer inputs in steps of this many bytes. */
#define GCM_STEP_MAX ((size_t)1 << 30)
/* The IV length GCM is designed for (no GHASH of the IV needed). */
#define GCM_DEFAULT_IV_LEN 12

/* Fetched once: an implicit fetch (EVP_aes_256_gcm) re-resolves the provider
 * implementation on every init in OpenSSL 3, which costs more than sealing a
 * small JWE. The references are never released: they must outlive every
 * thread that may still be encrypting, and they stay reachable, so leak
 * checkers do not count them. */
static pthread_once_t ciphers_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *cipher_128, *cipher_192, *cipher_256;

static void fetch_ciphers(void)
{
    cipher_128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    cipher_192 = EVP_CIPHER_fetch(NULL, "AES-192-GCM", NULL);
    cipher_256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    ERR_clear_error();
}

static const EVP_CIPHER *cipher_for(size_t key_len)
{
    if (pthread_once(&ciphers_once, fetch_ciphers) != 0) return NULL;
    switch (key_len) {
    case 16:
        return cipher_128;
    case 24:
        return cipher_192;
    case 32:
        return cipher_256;
    default:
        return NULL;
    }
}

/* One EVP_CIPHER_CTX per thread and direction, kept keyed between calls:
 * allocating a context (and OpenSSL's provider context under it) and
 * expanding the key for every seal or open cost a third of a small seal +
 * open. A call with the key the context already holds only sets the IV.
 * The price: the last key a thread used stays in that thread's memory until
 * it uses another, calls pay_jwe_thread_wipe(), or exits (then it is
 * wiped). */
typedef struct gcm_cache {
    EVP_CIPHER_CTX *ctx[2]; /* [enc]; NULL while lent out */
    uint8_t key[2][32];     /* the key ctx[enc] was last given */
    size_t key_len[2];      /* 0: none known */
} gcm_cache;

static pthread_key_t cache_slot;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static bool cache_ok;

static void cache_free(void *p)
{
    gcm_cache *c = p;
    if (!c) return;
    for (int i = 0; i < 2; i++)
        EVP_CIPHER_CTX_free(c->ctx[i]); /* cleanses the schedules */
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static void make_cache_slot(void)
{
    cache_ok = pthread_key_create(&cache_slot, cache_free) == 0;
}

static gcm_cache *thread_cache(void)
{
    if (pthread_once(&cache_once, make_cache_slot) != 0 || !cache_ok) return NULL;
    gcm_cache *c = pthread_getspecific(cache_slot);
    if (!c && (c = calloc(1, sizeof *c)) != NULL && pthread_setspecific(cache_slot, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

/* The thread's context for direction enc (or a new one); *keyed when it
 * already holds exactly this key. */
static EVP_CIPHER_CTX *ctx_take(int enc, const uint8_t *key, size_t key_len, bool *keyed)
{
    gcm_cache *c = thread_cache();
    EVP_CIPHER_CTX *ctx = c ? c->ctx[enc] : NULL;
    *keyed = false;
    if (ctx) {
        c->ctx[enc] = NULL;
        *keyed = c->key_len[enc] == key_len && CRYPTO_memcmp(c->key[enc], key, key_len) == 0;
    }
    if (c && !*keyed) { /* about to be keyed anew; remembered once that worked */
        OPENSSL_cleanse(c->key[enc], sizeof c->key[enc]);
        c->key_len[enc] = 0;
    }
    return ctx ? ctx : EVP_CIPHER_CTX_new();
}

static void ctx_keyed(int enc, const uint8_t *key, size_t key_len)
{
    gcm_cache *c = pthread_getspecific(cache_slot);
    if (!c || key_len > sizeof c->key[enc]) return;
    memcpy(c->key[enc], key, key_len);
    c->key_len[enc] = key_len;
}

/* The context being set up will not be kept (ctx_give frees it). */
static void ctx_forget(int enc)
{
    gcm_cache *c = cache_ok ? pthread_getspecific(cache_slot) : NULL;
    if (!c) return;
    OPENSSL_cleanse(c->key[enc], sizeof c->key[enc]);
    c->key_len[enc] = 0;
}

/* Keeps ctx for the thread's next call, or frees it. */
static void ctx_give(EVP_CIPHER_CTX *ctx, int enc)
{
    if (!ctx) return;
    gcm_cache *c = cache_ok ? pthread_getspecific(cache_slot) : NULL;
    if (c && !c->ctx[enc] && c->key_len[enc]) {
        c->ctx[enc] = ctx;
        return;
    }
    EVP_CIPHER_CTX_free(ctx); /* frees and cleanses the key schedule */
}

void pay_gcm_thread_wipe(void)
{
    if (pthread_once(&cache_once, make_cache_slot) != 0 || !cache_ok) return;
    gcm_cache *c = pthread_getspecific(cache_slot);
    if (!c) return;
    pthread_setspecific(cache_slot, NULL);
    cache_free(c);
}

int pay_gcm_key_len_ok(size_t key_len)
{
    return key_len == 16 || key_len == 24 || key_len == 32;
}

/* Creates a context keyed for encryption (enc=1) or decryption (enc=0) and
 * feeds it the AAD. */
static pay_err start(EVP_CIPHER_CTX **out, int enc, const uint8_t *key, size_t key_len,
                     const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len)
{
    pay_err rc = PAY_ERR_INTERNAL;
    EVP_CIPHER_CTX *ctx = NULL;
    *out = NULL;
    if (!key || !pay_gcm_key_len_ok(key_len) || !iv || iv_len == 0 || iv_len > PAY_GCM_IV_MAX ||
        (aad_len && !aad))
        return PAY_ERR_INVALID_ARG;
    const EVP_CIPHER *cipher = cipher_for(key_len);
    if (!cipher) goto out;
    bool keyed = false;
    ctx = ctx_take(enc, key, key_len, &keyed);
    if (!ctx) {
        rc = PAY_ERR_NOMEM;
        goto out;
    }
    if (iv_len == GCM_DEFAULT_IV_LEN) {
        bool same_cipher = EVP_CIPHER_CTX_get0_cipher(ctx) == cipher;
        if (!EVP_CipherInit_ex2(ctx, same_cipher ? NULL : cipher, keyed && same_cipher ? NULL : key,
                                iv, enc, NULL))
            goto out;
        ctx_keyed(enc, key, key_len);
    } else {
        /* The IV length must be set after choosing the cipher and before the
         * IV is given; OpenSSL 3.0 applies init-time params too late for it. */
        size_t n = iv_len;
        OSSL_PARAM params[2] = {
            OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &n),
            OSSL_PARAM_construct_end(),
        };
        /* Rare (diagnosis of foreign tokens): a fresh state, not kept. */
        EVP_CIPHER_CTX_reset(ctx);
        ctx_forget(enc);
        if (!EVP_CipherInit_ex2(ctx, cipher, NULL, NULL, enc, NULL) ||
            !EVP_CIPHER_CTX_set_params(ctx, params) ||
            !EVP_CipherInit_ex2(ctx, NULL, key, iv, enc, NULL))
            goto out;
    }
    for (size_t off = 0; off < aad_len;) {
        size_t step = aad_len - off < GCM_STEP_MAX ? aad_len - off : GCM_STEP_MAX;
        int outl = 0;
        if (!EVP_CipherUpdate(ctx, NULL, &outl, aad + off, (int)step)) goto out;
        off += step;
    }
    *out = ctx;
    ctx = NULL;
    rc = PAY_OK;
out:
    EVP_CIPHER_CTX_free(ctx); /* failed: frees and cleanses the key schedule */
    if (rc != PAY_OK) ERR_clear_error();
    return rc;
}

static int update(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t n, uint8_t *out)
{
    for (size_t off = 0; off < n;) {
        size_t step = n - off < GCM_STEP_MAX ? n - off : GCM_STEP_MAX;
        int outl = 0;
        if (!EVP_CipherUpdate(ctx, out + off, &outl, in + off, (int)step) || (size_t)outl != step)
            return 0;
        off += step;
    }
    return 1;
}

pay_err pay_gcm_enc_begin(pay_gcm_enc *g, const uint8_t *key, size_t key_len, const uint8_t *iv,
                          size_t iv_len, const uint8_t *aad, size_t aad_len)
{
    EVP_CIPHER_CTX *ctx = NULL;
    if (!g) return PAY_ERR_INVALID_ARG;
    g->ctx = NULL;
    pay_err rc = start(&ctx, 1, key, key_len, iv, iv_len, aad, aad_len);
    if (rc == PAY_OK) g->ctx = ctx;
    return rc;
}

pay_err pay_gcm_enc_update(pay_gcm_enc *g, const uint8_t *in, size_t n, uint8_t *out)
{
    if (!g || !g->ctx || (n && (!in || !out))) return PAY_ERR_INVALID_ARG;
    if (!update(g->ctx, in, n, out)) {
        OPENSSL_cleanse(out, n);
        ERR_clear_error();
        return PAY_ERR_INTERNAL;
    }
    return PAY_OK;
}

pay_err pay_gcm_enc_finish(pay_gcm_enc *g, uint8_t tag[PAY_GCM_TAG_LEN])
{
    uint8_t last[16]; /* GCM emits nothing at Final; the buffer is for form */
    int outl = 0;
    if (!g || !g->ctx || !tag) return PAY_ERR_INVALID_ARG;
    if (!EVP_EncryptFinal_ex(g->ctx, last, &outl) || outl != 0 ||
        !EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_GET_TAG, PAY_GCM_TAG_LEN, tag)) {
        OPENSSL_cleanse(tag, PAY_GCM_TAG_LEN);
        ERR_clear_error();
        return PAY_ERR_INTERNAL;
    }
    return PAY_OK;
}

void pay_gcm_enc_free(pay_gcm_enc *g)
{
    if (!g) return;
    ctx_give(g->ctx, 1);
    g->ctx = NULL;
}

pay_err pay_gcm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                        const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
                        uint8_t *ct, uint8_t tag[PAY_GCM_TAG_LEN])
{
    pay_gcm_enc g = {NULL};
    pay_err rc;
    if (!tag || (len && (!pt || !ct))) return PAY_ERR_INVALID_ARG;
    rc = pay_gcm_enc_begin(&g, key, key_len, iv, iv_len, aad, aad_len);
    if (rc != PAY_OK) goto out;
    rc = pay_gcm_enc_update(&g, pt, len, ct);
    if (rc != PAY_OK) goto out;
    rc = pay_gcm_enc_finish(&g, tag);
out:
    pay_gcm_enc_free(&g);
    if (rc != PAY_OK) {
        if (len && ct) OPENSSL_cleanse(ct, len);
        OPENSSL_cleanse(tag, PAY_GCM_TAG_LEN);
    }
    return rc;
}

pay_err pay_gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                        const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
                        const uint8_t *tag, size_t tag_len, uint8_t *pt)
{
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t last[16];
    int outl = 0;
    pay_err rc;
    if (len && (!ct || !pt)) return PAY_ERR_INVALID_ARG;
    /* jwe-rules #9: never let OpenSSL compare fewer than 16 tag bytes
     * (CVE-2023-37464: a 1-byte tag is forged in 256 tries). */
    if (!tag || tag_len != PAY_GCM_TAG_LEN) {
        rc = PAY_ERR_INVALID_ARG;
        goto out;
    }
    rc = start(&ctx, 0, key, key_len, iv, iv_len, aad, aad_len);
    if (rc != PAY_OK) goto out;
    rc = PAY_ERR_INTERNAL;
    if (!update(ctx, ct, len, pt)) goto out;
    if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, PAY_GCM_TAG_LEN, (void *)tag)) goto out;
    /* Final is where GHASH is compared (in constant time by OpenSSL). */
    if (EVP_DecryptFinal_ex(ctx, last, &outl) != 1) {
        rc = PAY_ERR_JWE_TAG_MISMATCH;
        goto out;
    }
    rc = PAY_OK;
out:
    if (rc == PAY_OK || rc == PAY_ERR_JWE_TAG_MISMATCH)
        ctx_give(ctx, 0);
    else
        EVP_CIPHER_CTX_free(ctx);
    if (rc != PAY_OK) {
        /* jwe-rules #11: unverified plaintext never survives a failure. */
        if (len && pt) OPENSSL_cleanse(pt, len);
        ERR_clear_error();
    }
    return rc;
}
