#include "common/b64.h"

static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63, or 0xff for bytes outside the alphabet. Built for both alphabets. */
static signed char url_rev[256], std_rev[256];
static int rev_ready;

static void build_rev(void)
{
    for (int i = 0; i < 256; i++)
        url_rev[i] = std_rev[i] = -1;
    for (int i = 0; i < 64; i++) {
        url_rev[(unsigned char)url_alpha[i]] = (signed char)i;
        std_rev[(unsigned char)std_alpha[i]] = (signed char)i;
    }
    __atomic_store_n(&rev_ready, 1, __ATOMIC_RELEASE);
}

static void ensure_rev(void)
{
    /* Idempotent: concurrent first calls write identical values. */
    if (!__atomic_load_n(&rev_ready, __ATOMIC_ACQUIRE)) build_rev();
}

size_t pay_b64url_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t pay_b64std_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t pay_b64_decoded_max(size_t n)
{
    return n / 4 * 3 + 3;
}

static size_t encode(const uint8_t *in, size_t n, char *out, const char *alpha, int pad)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        out[o++] = alpha[v >> 6 & 63];
        out[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        out[o++] = alpha[v >> 6 & 63];
        if (pad) out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

size_t pay_b64url_encode(const uint8_t *in, size_t n, char *out)
{
    return encode(in, n, out, url_alpha, 0);
}

size_t pay_b64std_encode(const uint8_t *in, size_t n, char *out)
{
    return encode(in, n, out, std_alpha, 1);
}

/* Decodes n unpadded characters; n % 4 != 1 is checked by the callers. */
static pay_b64_status decode_body(const char *in, size_t n, const signed char *rev, uint8_t *out,
                                  size_t *out_len, size_t *where)
{
    size_t o = 0, i = 0;
    uint32_t acc = 0;
    const unsigned char *u = (const unsigned char *)in;
    /* Whole quads with one validity test; the first bad quad drops to the
     * loop below, which names the exact character. */
    for (; i + 4 <= n; i += 4) {
        int a = rev[u[i]], b = rev[u[i + 1]], c = rev[u[i + 2]], d = rev[u[i + 3]];
        if ((a | b | c | d) < 0) break;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    for (; i < n; i++) {
        signed char v = rev[(unsigned char)in[i]];
        if (v < 0) {
            if (where) *where = i;
            return in[i] == '=' ? PAY_B64_PADDING : PAY_B64_BAD_CHAR;
        }
        acc = acc << 6 | (uint32_t)v;
        if ((i & 3) == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    switch (n & 3) {
    case 2: /* 12 bits: 8 data + 4 unused */
        if (acc & 0xf) goto trailing;
        out[o++] = (uint8_t)(acc >> 4);
        break;
    case 3: /* 18 bits: 16 data + 2 unused */
        if (acc & 0x3) goto trailing;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
        break;
    default:
        break;
    }
    *out_len = o;
    return PAY_B64_OK;
trailing:
    if (where) *where = n - 1;
    return PAY_B64_TRAILING_BITS;
}

pay_b64_status pay_b64url_decode(const char *in, size_t n, uint8_t *out, size_t *out_len,
                                 size_t *where)
{
    ensure_rev();
    if ((n & 3) == 1) {
        /* Report a stray '=' or bad char first: it explains the length. */
        for (size_t i = 0; i < n; i++)
            if (url_rev[(unsigned char)in[i]] < 0) {
                if (where) *where = i;
                return in[i] == '=' ? PAY_B64_PADDING : PAY_B64_BAD_CHAR;
            }
        if (where) *where = n;
        return PAY_B64_BAD_LENGTH;
    }
    return decode_body(in, n, url_rev, out, out_len, where);
}

pay_b64_status pay_b64std_decode(const char *in, size_t n, uint8_t *out, size_t *out_len,
                                 size_t *where)
{
    ensure_rev();
    if (n & 3) {
        if (where) *where = n;
        return PAY_B64_BAD_LENGTH;
    }
    size_t body = n;
    if (body && in[body - 1] == '=') body--;
    if (body && in[body - 1] == '=') body--;
    if ((body & 3) == 1) {
        if (where) *where = body;
        return PAY_B64_PADDING;
    }
    return decode_body(in, body, std_rev, out, out_len, where);
}

const char *pay_b64_status_text(pay_b64_status s)
{
    switch (s) {
    case PAY_B64_OK:
        return "ok";
    case PAY_B64_BAD_CHAR:
        return "invalid character";
    case PAY_B64_PADDING:
        return "padding '=' is not allowed here";
    case PAY_B64_BAD_LENGTH:
        return "impossible length";
    case PAY_B64_TRAILING_BITS:
        return "non-zero unused trailing bits";
    }
    return "?";
}
