/*
 * bench/jwe/bench_jwe_cjose.c — cjose (Debian libcjose-dev) JWE seal + open.
 *
 * One op: a new protected header (alg dir, enc A256GCM, iat = now in KST,
 * nonce = a fresh UUID v4, generated as in bench_jwe_evp.c),
 * cjose_jwe_encrypt with the oct JWK, cjose_jwe_export to the compact form;
 * then cjose_jwe_import of that string and cjose_jwe_decrypt, the plaintext
 * compared with the payload; everything released. The JWK is made once.
 * Options: see bench_common.h.
 */
#include <cjose/cjose.h>
#include <openssl/rand.h>

#include "bench_common.h"

typedef struct state {
    cjose_jwk_t *jwk;
    const uint8_t *payload;
    size_t payload_len;
    size_t token_len;
} state;

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Now in KST, yyyy-MM-ddTHH:mm:ss+09:00 (same as bench_jwe_evp.c). */
static void make_iat(char out[32])
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
    char *p = out;
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
    memcpy(p, "+09:00", 7);
}

static bool make_uuid(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1) return false;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = 0;
    return true;
}

static void report(const char *what, const cjose_err *err)
{
    fprintf(stderr, "cjose %s: %s (%s:%lu)\n", what, err->message ? err->message : "?",
            err->file ? err->file : "?", err->line);
}

/* Seals the payload; returns the malloc'd compact token or NULL. */
static char *seal(state *s)
{
    cjose_err err = {0};
    char iat[32], nonce[37];
    char *out = NULL;
    cjose_jwe_t *jwe = NULL;
    make_iat(iat);
    if (!make_uuid(nonce)) return NULL;
    cjose_header_t *h = cjose_header_new(&err);
    if (!h || !cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_DIR, &err) ||
        !cjose_header_set(h, CJOSE_HDR_ENC, CJOSE_HDR_ENC_A256GCM, &err) ||
        !cjose_header_set(h, "iat", iat, &err) || !cjose_header_set(h, "nonce", nonce, &err)) {
        report("header", &err);
        goto out;
    }
    jwe = cjose_jwe_encrypt(s->jwk, h, s->payload, s->payload_len, &err);
    if (!jwe) {
        report("encrypt", &err);
        goto out;
    }
    out = cjose_jwe_export(jwe, &err);
    if (!out) report("export", &err);
out:
    cjose_jwe_release(jwe);
    cjose_header_release(h);
    return out;
}

static bool open_token(state *s, const char *t, size_t n)
{
    cjose_err err = {0};
    size_t pt_len = 0;
    bool same = false;
    cjose_jwe_t *jwe = cjose_jwe_import(t, n, &err);
    if (!jwe) {
        report("import", &err);
        return false;
    }
    uint8_t *pt = cjose_jwe_decrypt(jwe, s->jwk, &pt_len, &err);
    if (!pt) {
        report("decrypt", &err);
    } else {
        same = pt_len == s->payload_len && memcmp(pt, s->payload, pt_len) == 0;
        cjose_get_dealloc()(pt);
    }
    cjose_jwe_release(jwe);
    return same;
}

static bool op(void *arg)
{
    state *s = arg;
    char *t = seal(s);
    if (!t) return false;
    bool ok = open_token(s, t, strlen(t));
    cjose_get_dealloc()(t);
    return ok;
}

int main(int argc, char **argv)
{
    bench_opts o;
    state s;
    cjose_err err = {0};
    bench_parse(argc, argv, &o, NULL, NULL);
    bench_pin(o.cpu);
    s.payload = bench_payload(&o, &s.payload_len);
    s.jwk = cjose_jwk_create_oct_spec(bench_key, sizeof bench_key, &err);
    if (!s.jwk) {
        report("jwk", &err);
        return 1;
    }
    if (o.open_path) {
        size_t n = 0;
        uint8_t *tok = bench_read_file(o.open_path, &n);
        bool ok = tok && open_token(&s, (const char *)tok, n);
        free(tok);
        if (!ok) {
            fprintf(stderr, "cjose: %s does not open to the payload\n", o.open_path);
            return 1;
        }
        printf("cjose opened %s\n", o.open_path);
        return 0;
    }
    char *t = seal(&s);
    if (!t) return 1;
    s.token_len = strlen(t);
    if (o.seal_path) {
        int rc = bench_write_file(o.seal_path, t, s.token_len) ? 0 : 1;
        cjose_get_dealloc()(t);
        return rc;
    }
    cjose_get_dealloc()(t);
    return bench_run("cjose", &o, op, &s, s.token_len);
}
