/*
 * Security-key loading (spec §3.2): 64 hex digits -> 32 raw bytes, nothing
 * else. Every refusal names what was given, because the usual mistakes
 * (cases C06/C07: a trailing newline from a file, quotes from a .env, half a
 * key, the ASCII string used as key bytes) each have a recognisable shape.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "crypto/gcm.h"
#include "payout/jwe.h"

/* A base64 text of 32 bytes is 44 characters ending in '='. */
#define B64_OF_32_LEN 44

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (hexval((unsigned char)s[i]) < 0) return 0;
    return 1;
}

/* A parenthesised guess at why the length is wrong, or "" (never NULL). */
static const char *length_hint(const char *t, size_t n)
{
    const unsigned char *u = (const unsigned char *)t;
    if (n == 0) return " (empty)";
    if (n == PAY_KEY_HEX_LEN + 2 && u[n - 2] == '\r' && u[n - 1] == '\n' &&
        all_hex(t, PAY_KEY_HEX_LEN))
        return " (trailing CR LF)";
    if (n == PAY_KEY_HEX_LEN + 1 && u[n - 1] == '\n') return " (trailing newline)";
    if (n == PAY_KEY_HEX_LEN + 1 && u[n - 1] == '\r') return " (trailing carriage return)";
    if (n == PAY_KEY_HEX_LEN + 2 && u[0] == '"' && u[n - 1] == '"')
        return " (wrapped in double quotes)";
    if (n == PAY_KEY_HEX_LEN + 2 && u[0] == '\'' && u[n - 1] == '\'')
        return " (wrapped in single quotes)";
    if (n > PAY_KEY_HEX_LEN && is_space(u[n - 1])) return " (trailing whitespace)";
    if (n > PAY_KEY_HEX_LEN && is_space(u[0])) return " (leading whitespace)";
    if (n == PAY_KEY_HEX_LEN / 2 && all_hex(t, n))
        return " \xe2\x80\x94 this looks like half of the key";
    if (n == B64_OF_32_LEN && u[n - 1] == '=')
        return " \xe2\x80\x94 this looks like base64; the security key is given as hex";
    return "";
}

pay_err pay_key_from_hex(pay_key *out, const char *text, size_t len, pay_error *err)
{
    pay_key k;
    pay_err rc = PAY_OK;
    if (!out || (!text && len)) return pay_error_set(err, PAY_ERR_INVALID_ARG, "no key given");
    memset(&k, 0, sizeof k);
    if (len != PAY_KEY_HEX_LEN) {
        rc = pay_error_set(err, PAY_ERR_KEY_LENGTH,
                           "security key must be exactly %d hex characters; got %zu%s",
                           PAY_KEY_HEX_LEN, len, length_hint(text, len));
        goto out;
    }
    for (size_t i = 0; i < len; i += 2) {
        int hi = hexval((unsigned char)text[i]), lo = hexval((unsigned char)text[i + 1]);
        if (hi < 0 || lo < 0) {
            size_t at = hi < 0 ? i : i + 1;
            unsigned char c = (unsigned char)text[at];
            if (c > 0x20 && c < 0x7f)
                rc = pay_error_set(err, PAY_ERR_KEY_CHAR, "non-hex character '%c' at index %zu",
                                   (char)c, at);
            else
                rc = pay_error_set(err, PAY_ERR_KEY_CHAR, "non-hex character 0x%02X at index %zu",
                                   c, at);
            goto out;
        }
        /* Pairs are decoded independently, so leading 00 bytes survive
         * (unlike BigInteger-style parsing, case C06). */
        k.bytes[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    k.len = PAY_KEY_HEX_LEN / 2;
    *out = k;
out:
    OPENSSL_cleanse(&k, sizeof k);
    return rc;
}

pay_err pay_key_from_bytes(pay_key *out, const uint8_t *bytes, size_t len, pay_error *err)
{
    if (!out || (!bytes && len)) return pay_error_set(err, PAY_ERR_INVALID_ARG, "no key given");
    if (!pay_gcm_key_len_ok(len)) {
        if (len == PAY_KEY_HEX_LEN)
            return pay_error_set(err, PAY_ERR_JWE_KEY_SIZE,
                                 "key is 64 raw bytes: it looks like the 64-hex-char security "
                                 "key was used as ASCII; hex-decode it to 32 bytes");
        if (len == PAY_KEY_HEX_LEN * 3 / 4)
            return pay_error_set(err, PAY_ERR_JWE_KEY_SIZE,
                                 "key is 48 bytes: it looks like the hex security key was "
                                 "base64-decoded; hex-decode it to 32 bytes");
        return pay_error_set(err, PAY_ERR_JWE_KEY_SIZE,
                             "key is %zu bytes; AES-GCM keys are 16, 24 or 32 bytes", len);
    }
    memset(out, 0, sizeof *out);
    memcpy(out->bytes, bytes, len);
    out->len = len;
    return PAY_OK;
}

void pay_key_wipe(pay_key *key)
{
    if (key) OPENSSL_cleanse(key, sizeof *key);
}
