/*
 * jwe_tool — the C side of the JWE interop tests (tests/interop/), built on
 * the public libpayout API only.
 *
 *   jwe_tool seal HEXKEY   plaintext on stdin -> compact token on stdout
 *   jwe_tool open HEXKEY   token on stdin -> plaintext on stdout
 *
 * open strips leading/trailing whitespace (SP, TAB, CR, LF) with
 * pay_jwe_trim, as a CLI reading a pipe should (case C11); the strict
 * library call underneath refuses whitespace. On failure the pay_err name and
 * message go to stderr and the exit status is 1 (2 for usage errors).
 * No trailing newline is added to either output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/error.h"
#include "payout/jwe.h"

/* Largest stdin accepted: a token at the library's cap, with slack. */
#define INPUT_MAX ((size_t)PAY_JWE_TOKEN_MAX + 4096)
#define READ_STEP 65536

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = READ_STEP, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return NULL;
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n == cap) {
            if (cap >= INPUT_MAX) break;
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int fail(const pay_error *e)
{
    fprintf(stderr, "%s: %s\n", pay_err_name(e->code), e->message);
    return 1;
}

int main(int argc, char **argv)
{
    pay_error e = {0};
    pay_key key;
    size_t in_len = 0;
    char *in = NULL;
    int status = 1;

    if (argc != 3 || (strcmp(argv[1], "seal") != 0 && strcmp(argv[1], "open") != 0)) {
        fprintf(stderr, "usage: jwe_tool seal|open HEXKEY < input > output\n");
        return 2;
    }
    if (pay_key_from_hex(&key, argv[2], strlen(argv[2]), &e) != PAY_OK) return fail(&e);
    in = read_all(stdin, &in_len);
    if (!in) {
        fprintf(stderr, "jwe_tool: cannot read stdin\n");
        goto out;
    }
    if (strcmp(argv[1], "seal") == 0) {
        char *token = NULL;
        size_t token_len = 0;
        if (pay_jwe_seal(&key, (const uint8_t *)in, in_len, &token, &token_len, &e) != PAY_OK) {
            status = fail(&e);
            goto out;
        }
        status = fwrite(token, 1, token_len, stdout) == token_len ? 0 : 1;
        free(token);
    } else {
        const char *t = in;
        size_t t_len = in_len;
        uint8_t *pt = NULL;
        size_t pt_len = 0;
        pay_jwe_trim(&t, &t_len, NULL, NULL);
        if (pay_jwe_open(t, t_len, &key, &pt, &pt_len, &e) != PAY_OK) {
            status = fail(&e);
            goto out;
        }
        status = fwrite(pt, 1, pt_len, stdout) == pt_len ? 0 : 1;
        pay_jwe_plaintext_free(pt, pt_len);
    }
out:
    pay_key_wipe(&key);
    free(in);
    return status;
}
