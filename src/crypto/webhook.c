#include "payout/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#include "common/b64.h"

#define MAC_LEN 32

static bool mac(const pay_key *key, const char *body, size_t body_len, const char *time,
                uint8_t out[MAC_LEN])
{
    /* HMAC over "{body}:{time}" without building the concatenation. */
    bool ok = false;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    if (ctx && EVP_MAC_init(ctx, key->bytes, key->len, params) &&
        EVP_MAC_update(ctx, (const unsigned char *)body, body_len) &&
        EVP_MAC_update(ctx, (const unsigned char *)":", 1) &&
        EVP_MAC_update(ctx, (const unsigned char *)time, strlen(time)) &&
        EVP_MAC_final(ctx, out, &outl, MAC_LEN) && outl == MAC_LEN)
        ok = true;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return ok;
}

pay_err pay_webhook_sign(const pay_key *key, const char *body, size_t body_len,
                         const char *transmission_time, char out[PAY_WEBHOOK_SIG_BUF])
{
    uint8_t m[MAC_LEN];
    if (!key || !body || !transmission_time || key->len == 0) return PAY_ERR_INVALID_ARG;
    if (!mac(key, body, body_len, transmission_time, m)) return PAY_ERR_INTERNAL;
    memcpy(out, "v1:", 3);
    pay_b64std_encode(m, MAC_LEN, out + 3);
    return PAY_OK;
}

pay_err pay_webhook_verify(const pay_key *keys, size_t nkeys, const char *body, size_t body_len,
                           const char *transmission_time, const char *header, pay_error *err)
{
    if (!keys || nkeys == 0 || !body || !transmission_time || !header)
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "keys, body, time and header are required");
    size_t hlen = strlen(header);
    if (hlen == 0 || hlen > PAY_WEBHOOK_SIG_HEADER_MAX)
        return pay_error_set(err, PAY_ERR_WEBHOOK_HEADER,
                             "signature header is empty or longer than %d bytes",
                             PAY_WEBHOOK_SIG_HEADER_MAX);
    uint8_t expected[2][MAC_LEN];
    size_t nmac = nkeys > 2 ? 2 : nkeys;
    for (size_t k = 0; k < nmac; k++)
        if (!mac(&keys[k], body, body_len, transmission_time, expected[k]))
            return pay_error_set(err, PAY_ERR_INTERNAL, "HMAC computation failed");
    bool match = false;
    int values = 0;
    const char *p = header;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ') p++, n--; /* tolerate ", " between values */
        if (n < 3 || memcmp(p, "v1:", 3) != 0)
            return pay_error_set(err, PAY_ERR_WEBHOOK_HEADER,
                                 "value %d of the signature header does not start with \"v1:\"",
                                 values + 1);
        /* Values up to 88 characters are decoded (and then simply do not
         * match); 88 characters decode to up to pay_b64_decoded_max(88) = 69
         * bytes, so got must hold that many (found by fuzz/fuzz_webhook_signature). */
        uint8_t got[88 / 4 * 3 + 3];
        size_t got_len = 0, where = 0;
        if (n - 3 > 88 || pay_b64std_decode(p + 3, n - 3, got, &got_len, &where) != PAY_B64_OK)
            return pay_error_set(err, PAY_ERR_WEBHOOK_HEADER,
                                 "value %d of the signature header is not standard base64",
                                 values + 1);
        values++;
        for (size_t k = 0; k < nmac; k++)
            if (got_len == MAC_LEN && CRYPTO_memcmp(got, expected[k], MAC_LEN) == 0) match = true;
        if (!end) break;
        p = end + 1; /* a comma promises another value: "v1:x," is malformed */
    }
    OPENSSL_cleanse(expected, sizeof expected);
    if (match) return PAY_OK;
    return pay_error_set(err, PAY_ERR_WEBHOOK_SIGNATURE,
                         "none of the %d signature value(s) matches the body and transmission "
                         "time under the given key(s); hash the raw body bytes, not re-serialized "
                         "JSON, and use the hex-decoded security key",
                         values);
}
