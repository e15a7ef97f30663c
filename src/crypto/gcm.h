/*
 * Raw AES-GCM (128/192/256-bit keys) on OpenSSL 3 EVP, below the JWE layer.
 *
 * This layer knows nothing of JOSE: it takes any IV length OpenSSL supports
 * (1..PAY_GCM_IV_MAX bytes, so Wycheproof's non-96-bit groups can be run) and
 * leaves the JWE rules (12-byte IV, key length == enc) to src/crypto/jwe.c.
 * The tag is always PAY_GCM_TAG_LEN bytes: a shorter tag is refused here too,
 * before EVP_CTRL_GCM_SET_TAG, as a second line behind jwe-rules #9.
 *
 * Ownership: callers own every buffer; this layer never allocates memory of
 * its own except the EVP_CIPHER_CTX, which it frees before returning.
 * Thread-safety: reentrant. The EVP_CIPHERs are fetched once per process
 * (EVP_CIPHER_fetch is slow in OpenSSL 3) behind pthread_once.
 * Errors: codes only (PAY_ERR_INVALID_ARG for sizes, PAY_ERR_NOMEM,
 * PAY_ERR_INTERNAL, PAY_ERR_JWE_TAG_MISMATCH); the caller writes messages.
 * The OpenSSL error queue is cleared on failure so that stale entries never
 * confuse a later TLS call on the same thread.
 */
#ifndef PAY_CRYPTO_GCM_H
#define PAY_CRYPTO_GCM_H

#include <stddef.h>
#include <stdint.h>

#include "payout/error.h"

#define PAY_GCM_TAG_LEN 16
/* OpenSSL 3's GCM provider keeps the IV in a 128-byte array (GCM_IV_MAX_SIZE)
 * and refuses longer ones; say so here instead of failing inside EVP. */
#define PAY_GCM_IV_MAX 128

/* True for 16, 24 and 32. */
int pay_gcm_key_len_ok(size_t key_len);

/* One-shot encryption: ct receives len bytes, tag PAY_GCM_TAG_LEN bytes.
 * ct may equal pt (in place). On failure ct and tag are wiped. */
pay_err pay_gcm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                        const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
                        uint8_t *ct, uint8_t tag[PAY_GCM_TAG_LEN]) PAY_WUR;

/* One-shot decryption. tag_len must be PAY_GCM_TAG_LEN (checked before the
 * tag reaches OpenSSL). pt receives len bytes, meaningful only when PAY_OK is
 * returned: on any failure the whole pt buffer is wiped (jwe-rules #11). */
pay_err pay_gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, size_t iv_len,
                        const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
                        const uint8_t *tag, size_t tag_len, uint8_t *pt) PAY_WUR;

/* Incremental encryption, so the JWE sealer can encrypt a chunk into a stack
 * buffer and base64url-encode it straight into the token (no second heap
 * buffer for the ciphertext). begin -> update* -> finish; always call
 * pay_gcm_enc_free (safe on a zeroed or finished struct). */
typedef struct pay_gcm_enc {
    void *ctx; /* EVP_CIPHER_CTX, kept opaque so callers need no OpenSSL headers */
} pay_gcm_enc;

pay_err pay_gcm_enc_begin(pay_gcm_enc *g, const uint8_t *key, size_t key_len, const uint8_t *iv,
                          size_t iv_len, const uint8_t *aad, size_t aad_len) PAY_WUR;
/* out receives exactly n bytes (GCM is a stream mode). */
pay_err pay_gcm_enc_update(pay_gcm_enc *g, const uint8_t *in, size_t n, uint8_t *out) PAY_WUR;
pay_err pay_gcm_enc_finish(pay_gcm_enc *g, uint8_t tag[PAY_GCM_TAG_LEN]) PAY_WUR;
void pay_gcm_enc_free(pay_gcm_enc *g);

/* Frees this thread's cached cipher contexts, wiping the key they hold. */
void pay_gcm_thread_wipe(void);

#endif
