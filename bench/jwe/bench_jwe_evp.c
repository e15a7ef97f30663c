/*
 * bench/jwe/bench_jwe_evp.c — the ceiling: a careful minimal loop calling
 * OpenSSL EVP AES-256-GCM directly, with the same JWE compact framing as
 * libpayout.
 *
 * Seal, per op: 28 bytes from RAND_bytes (16 for a UUID v4 nonce, 12 for
 * the IV) and iat = now in KST ("yyyy-MM-ddTHH:mm:ss+09:00"), formatted by
 * hand; protected header {"alg":"dir","enc":"A256GCM","iat":..,"nonce":..}
 * (libpayout's members, in its order) base64url-encoded into the token;
 * AES-256-GCM with AAD = that header segment; IV, ciphertext and tag
 * base64url-encoded after it (empty encrypted-key segment).
 * Open, per op: split on the four dots, base64url-decode the header and
 * check that it says alg dir and enc A256GCM (a substring scan, not a
 * JSON parser), decode IV (12 bytes), ciphertext and tag (16 bytes), decrypt with
 * AAD = the received header segment, verify the tag, compare the plaintext.
 *
 * What makes it the ceiling: the cipher is fetched once, and one encryption
 * and one decryption EVP_CIPHER_CTX are keyed once and reused, each op only
 * setting a new IV (EVP_*Init_ex2 with NULL cipher and key); the token and
 * plaintext live in fixed buffers (no malloc); no JSON parser, no UTF-8 or
 * JSON validation. Two variants measure what the context reuse is worth:
 * --fresh-ctx makes a new context and key schedule for every seal and every
 * open, as src/crypto/gcm.c does; --rekey-ctx keeps the two contexts but
 * gives the key again on every op (key schedule per op, no allocation), as
 * a library must when each call may bring a different key.
 *
 * Options: see bench_common.h.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench_common.h"

#define HDR_MAX 256
#define PT_MAX 8192
#define TOKEN_MAX (PT_MAX * 2)

typedef struct state {
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *enc, *dec;
    enum { CTX_REUSE, CTX_REKEY, CTX_FRESH } mode;
    const uint8_t *payload;
    size_t payload_len;
    char token[TOKEN_MAX];
    size_t token_len;
    uint8_t ct[PT_MAX];
    uint8_t pt[PT_MAX];
} state;

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static uint8_t b64dec[256];

static void b64_init(void)
{
    memset(b64dec, 0xff, sizeof b64dec);
    for (int i = 0; i < 64; i++)
        b64dec[(unsigned char)b64url[i]] = (uint8_t)i;
}

static size_t b64_enc(const uint8_t *in, size_t n, char *out)
{
    char *p = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        p[0] = b64url[v >> 18];
        p[1] = b64url[(v >> 12) & 63];
        p[2] = b64url[(v >> 6) & 63];
        p[3] = b64url[v & 63];
        p += 4;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *p++ = b64url[v >> 18];
        *p++ = b64url[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *p++ = b64url[v >> 18];
        *p++ = b64url[(v >> 12) & 63];
        *p++ = b64url[(v >> 6) & 63];
    }
    return (size_t)(p - out);
}

/* Decodes unpadded base64url; false on a character outside the alphabet or
 * an impossible length. out must hold n * 3 / 4 + 1 bytes. */
static bool b64_dec(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    uint8_t *p = out;
    size_t i = 0;
    if (n % 4 == 1) return false;
    for (; i + 4 <= n; i += 4) {
        uint32_t a = b64dec[s[i]], b = b64dec[s[i + 1]], c = b64dec[s[i + 2]], d = b64dec[s[i + 3]];
        if ((a | b | c | d) & 0x80) return false;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        p[0] = (uint8_t)(v >> 16);
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)v;
        p += 3;
    }
    if (n - i >= 2) {
        uint32_t a = b64dec[s[i]], b = b64dec[s[i + 1]];
        uint32_t c = n - i == 3 ? b64dec[s[i + 2]] : 0;
        if ((a | b | c) & 0x80) return false;
        uint32_t v = a << 18 | b << 12 | c << 6;
        *p++ = (uint8_t)(v >> 16);
        if (n - i == 3) *p++ = (uint8_t)(v >> 8);
    }
    *out_len = (size_t)(p - out);
    return true;
}

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Now in KST as yyyy-MM-ddTHH:mm:ss+09:00 (25 chars); civil_from_days as in
 * libpayout's timeutil (Howard Hinnant's algorithm). */
static char *put_iat(char *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t t = (int64_t)ts.tv_sec + 9 * 3600;
    int64_t days = t / 86400, sod = t % 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = (int)yoe + (int)era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    p = put2(p, y / 100);
    p = put2(p, y % 100);
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, (int)(sod / 3600));
    *p++ = ':';
    p = put2(p, (int)(sod / 60 % 60));
    *p++ = ':';
    p = put2(p, (int)(sod % 60));
    memcpy(p, "+09:00", 6);
    return p + 6;
}

/* A UUID v4 from 16 random bytes: 36 chars. */
static char *put_uuid(char *p, uint8_t b[16])
{
    static const char hex[] = "0123456789abcdef";
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    return p;
}

static EVP_CIPHER_CTX *ctx_for(state *s, int enc, const uint8_t *iv)
{
    if (s->mode == CTX_FRESH) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        if (c && EVP_CipherInit_ex2(c, s->cipher, bench_key, iv, enc, NULL)) return c;
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    EVP_CIPHER_CTX *c = enc ? s->enc : s->dec;
    const uint8_t *key = s->mode == CTX_REKEY ? bench_key : NULL;
    return EVP_CipherInit_ex2(c, NULL, key, iv, enc, NULL) ? c : NULL;
}

static void ctx_done(state *s, EVP_CIPHER_CTX *c)
{
    if (s->mode == CTX_FRESH) EVP_CIPHER_CTX_free(c);
}

/* True when the JSON text has "name" <ws> : <ws> "value" (whitespace as JSON
 * allows; cjose writes a space after the colon). Not a JSON parser. */
static bool has_member(const uint8_t *j, size_t n, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    const uint8_t *p = j, *end = j + n;
    while ((p = memmem(p, (size_t)(end - p), name, nl)) != NULL) {
        const uint8_t *q = p + nl;
        p = q;
        if (q - nl == j || q[-nl - 1] != '"' || q >= end || *q != '"') continue;
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q >= end || *q++ != ':') continue;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if ((size_t)(end - q) >= vl + 2 && q[0] == '"' && !memcmp(q + 1, value, vl) &&
            q[vl + 1] == '"')
            return true;
    }
    return false;
}

static bool seal(state *s)
{
    static const char h1[] = "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\":\"";
    static const char h2[] = "\",\"nonce\":\"";
    uint8_t rnd[28]; /* UUID 16 + IV 12 */
    char hdr[HDR_MAX];
    uint8_t tag[16];
    int l;
    if (RAND_bytes(rnd, sizeof rnd) != 1) return false;
    const uint8_t *iv = rnd + 16;
    char *h = hdr;
    memcpy(h, h1, sizeof h1 - 1);
    h = put_iat(h + sizeof h1 - 1);
    memcpy(h, h2, sizeof h2 - 1);
    h = put_uuid(h + sizeof h2 - 1, rnd);
    *h++ = '"';
    *h++ = '}';

    char *p = s->token;
    size_t hseg = b64_enc((const uint8_t *)hdr, (size_t)(h - hdr), p);
    p += hseg;
    EVP_CIPHER_CTX *c = ctx_for(s, 1, iv);
    if (!c) return false;
    bool ok = EVP_EncryptUpdate(c, NULL, &l, (const uint8_t *)s->token, (int)hseg) &&
              EVP_EncryptUpdate(c, s->ct, &l, s->payload, (int)s->payload_len) &&
              EVP_EncryptFinal_ex(c, s->ct + l, &l) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag);
    ctx_done(s, c);
    if (!ok) return false;
    *p++ = '.';
    *p++ = '.';
    p += b64_enc(iv, 12, p);
    *p++ = '.';
    p += b64_enc(s->ct, s->payload_len, p);
    *p++ = '.';
    p += b64_enc(tag, 16, p);
    *p = 0;
    s->token_len = (size_t)(p - s->token);
    return true;
}

/* Opens t[0..n) into s->pt; returns the plaintext length or -1. */
static long open_token(state *s, const char *t, size_t n)
{
    const char *seg[5];
    size_t len[5];
    const char *q = t, *end = t + n;
    for (int k = 0; k < 4; k++) {
        const char *dot = memchr(q, '.', (size_t)(end - q));
        if (!dot) return -1;
        seg[k] = q;
        len[k] = (size_t)(dot - q);
        q = dot + 1;
    }
    seg[4] = q;
    len[4] = (size_t)(end - q);
    if (memchr(q, '.', len[4]) || len[1] != 0 || len[0] > HDR_MAX * 4 / 3 ||
        len[3] > PT_MAX * 4 / 3)
        return -1;

    uint8_t hdr[HDR_MAX + 1], iv[16], tag[16];
    size_t hl, ivl, ctl, tl;
    if (!b64_dec(seg[0], len[0], hdr, &hl) || !has_member(hdr, hl, "alg", "dir") ||
        !has_member(hdr, hl, "enc", "A256GCM"))
        return -1;
    if (len[2] != 16 || !b64_dec(seg[2], 16, iv, &ivl) || ivl != 12) return -1;
    if (len[4] != 22 || !b64_dec(seg[4], 22, tag, &tl) || tl != 16) return -1;
    if (!b64_dec(seg[3], len[3], s->ct, &ctl)) return -1;

    int l;
    EVP_CIPHER_CTX *c = ctx_for(s, 0, iv);
    if (!c) return -1;
    bool ok = EVP_DecryptUpdate(c, NULL, &l, (const uint8_t *)seg[0], (int)len[0]) &&
              EVP_DecryptUpdate(c, s->pt, &l, s->ct, (int)ctl) &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) &&
              EVP_DecryptFinal_ex(c, s->pt + l, &l) == 1;
    ctx_done(s, c);
    return ok ? (long)ctl : -1;
}

static bool op(void *arg)
{
    state *s = arg;
    if (!seal(s)) return false;
    long n = open_token(s, s->token, s->token_len);
    return n == (long)s->payload_len && memcmp(s->pt, s->payload, (size_t)n) == 0;
}

int main(int argc, char **argv)
{
    static state s;
    bench_opts o;
    const char *extra[4];
    int n_extra = 0;
    bench_parse(argc, argv, &o, extra, &n_extra);
    for (int i = 0; i < n_extra; i++) {
        if (!strcmp(extra[i], "--fresh-ctx"))
            s.mode = CTX_FRESH;
        else if (!strcmp(extra[i], "--rekey-ctx"))
            s.mode = CTX_REKEY;
        else
            bench_usage(argv[0]);
    }
    bench_pin(o.cpu);
    b64_init();
    s.payload = bench_payload(&o, &s.payload_len);
    if (s.payload_len > PT_MAX) {
        fprintf(stderr, "payload over %d bytes\n", PT_MAX);
        return 1;
    }
    s.cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    s.enc = EVP_CIPHER_CTX_new();
    s.dec = EVP_CIPHER_CTX_new();
    if (!s.cipher || !s.enc || !s.dec ||
        !EVP_CipherInit_ex2(s.enc, s.cipher, bench_key, NULL, 1, NULL) ||
        !EVP_CipherInit_ex2(s.dec, s.cipher, bench_key, NULL, 0, NULL)) {
        fprintf(stderr, "EVP setup failed\n");
        return 1;
    }

    if (o.open_path) {
        size_t n = 0;
        uint8_t *tok = bench_read_file(o.open_path, &n);
        long got = tok ? open_token(&s, (const char *)tok, n) : -1;
        free(tok);
        if (got != (long)s.payload_len || memcmp(s.pt, s.payload, s.payload_len) != 0) {
            fprintf(stderr, "evp: %s does not open to the payload\n", o.open_path);
            return 1;
        }
        printf("evp opened %s\n", o.open_path);
        return 0;
    }
    if (!seal(&s)) {
        fprintf(stderr, "evp: seal failed\n");
        return 1;
    }
    if (o.seal_path) return bench_write_file(o.seal_path, s.token, s.token_len) ? 0 : 1;
    static const char *const names[] = {"evp", "evp-rekey-ctx", "evp-fresh-ctx"};
    return bench_run(names[s.mode], &o, op, &s, s.token_len);
}
