/*
 * bench/jwe/bench_jwe_payout.c — libpayout JWE seal + open, one core.
 *
 * One op: pay_jwe_seal (alg dir, enc A256GCM, header iat = now in KST and
 * nonce = fresh UUID v4, fresh random IV) of the payload, then pay_jwe_open
 * of that token (pay_jwe_parse with every jwe-rule, then pay_jwe_decrypt),
 * the plaintext compared with the payload, token and plaintext freed — what
 * a client or payoutd does per request. Options: see bench_common.h.
 *
 * --open FILE also insists that the header carries "iat" and "nonce", so
 * the cross-check in bench/jwe/run proves every implementation's tokens have
 * the same framing as libpayout's.
 */
#include <payout/jwe.h>

#include "bench_common.h"

typedef struct state {
    pay_key key;
    const uint8_t *payload;
    size_t payload_len;
} state;

static bool op(void *arg)
{
    state *s = arg;
    pay_error err;
    char *token = NULL;
    size_t token_len = 0;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    if (pay_jwe_seal(&s->key, s->payload, s->payload_len, &token, &token_len, &err) != PAY_OK) {
        fprintf(stderr, "pay_jwe_seal: %s\n", err.message);
        return false;
    }
    pay_err rc = pay_jwe_open(token, token_len, &s->key, &pt, &pt_len, &err);
    free(token);
    if (rc != PAY_OK) {
        fprintf(stderr, "pay_jwe_open: %s\n", err.message);
        return false;
    }
    bool same = pt_len == s->payload_len && memcmp(pt, s->payload, pt_len) == 0;
    pay_jwe_plaintext_free(pt, pt_len);
    return same;
}

static int open_file(const state *s, const char *path)
{
    size_t len = 0;
    uint8_t *tok = bench_read_file(path, &len);
    if (!tok) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    pay_error err;
    pay_jwe *j = NULL;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    int ret = 1;
    if (pay_jwe_parse((const char *)tok, len, &j, &err) != PAY_OK) {
        fprintf(stderr, "libpayout: parse refused the token: %s\n", err.message);
        goto out;
    }
    if (!pay_jwe_get_header(j, "iat") || !pay_jwe_get_header(j, "nonce") ||
        pay_jwe_get_enc(j) != PAY_ENC_A256GCM) {
        fprintf(stderr, "libpayout: header lacks iat/nonce or is not A256GCM: %s\n",
                pay_jwe_get_header_json(j, NULL));
        goto out;
    }
    if (pay_jwe_decrypt(j, &s->key, &pt, &pt_len, &err) != PAY_OK) {
        fprintf(stderr, "libpayout: decrypt failed: %s\n", err.message);
        goto out;
    }
    if (pt_len != s->payload_len || memcmp(pt, s->payload, pt_len) != 0) {
        fprintf(stderr, "libpayout: plaintext differs from the payload\n");
        goto out;
    }
    printf("libpayout opened %s: %s\n", path, pay_jwe_get_header_json(j, NULL));
    ret = 0;
out:
    pay_jwe_plaintext_free(pt, pt_len);
    pay_jwe_free(j);
    free(tok);
    return ret;
}

int main(int argc, char **argv)
{
    bench_opts o;
    state s;
    pay_error err;
    bench_parse(argc, argv, &o, NULL, NULL);
    bench_pin(o.cpu);
    s.payload = bench_payload(&o, &s.payload_len);
    if (pay_key_from_bytes(&s.key, bench_key, sizeof bench_key, &err) != PAY_OK) {
        fprintf(stderr, "pay_key_from_bytes: %s\n", err.message);
        return 1;
    }
    if (o.open_path) return open_file(&s, o.open_path);

    char *token = NULL;
    size_t token_len = 0;
    if (pay_jwe_seal(&s.key, s.payload, s.payload_len, &token, &token_len, &err) != PAY_OK) {
        fprintf(stderr, "pay_jwe_seal: %s\n", err.message);
        return 1;
    }
    if (o.seal_path) {
        int rc = bench_write_file(o.seal_path, token, token_len) ? 0 : 1;
        free(token);
        return rc;
    }
    free(token);
    return bench_run("libpayout", &o, op, &s, token_len);
}
