/*
 * Fuzz target: JWE compact tokens (include/payout/jwe.h): pay_jwe_parse,
 * pay_jwe_trim, pay_jwe_decrypt (zip "DEF" inflate included), the header
 * accessors (checked member by member against jansson) and pay_parse_iat on
 * the header's iat.
 *
 * Two input shapes, told apart by the first byte:
 *  - a token (anything not starting with '{'), parsed exactly as the server
 *    receives a body; after a whitespace refusal the pay_jwe_trim'med token
 *    is parsed too. A parsed token is decrypted under fixed keys (those of
 *    spec §3.7 and tests/fixtures/jwe_cases.json, so the seeds open), and a
 *    token that opens is re-sealed and re-opened: same plaintext.
 *  - "{header JSON}\n<plaintext>": sealed under the fixed key with a fixed
 *    IV and exactly that protected header, so the fuzzer reaches the header
 *    rules and the decryptor with tags that verify. A sealed token that
 *    parses must open to the same plaintext (A256GCM, no zip), be refused
 *    for its key size (rule 7: A128GCM/A192GCM under a 32-byte key), or,
 *    with zip "DEF", fail only as bad DEFLATE.
 */
#include "fuzz.h"

#include "payout/jwe.h"

/* spec §3.7 and tests/fixtures/jwe_cases.json "key_hex" */
static const char *const key_hex[] = {
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "6b3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63",
};
#define NKEYS 2

static const uint8_t fixed_iv[PAY_JWE_IV_LEN] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static pay_key key32[NKEYS], key24[NKEYS], key16[NKEYS];
static bool keys_ready;

static void load_keys(void)
{
    pay_error err;
    for (int i = 0; i < NKEYS; i++) {
        FUZZ_CHECK(pay_key_from_hex(&key32[i], key_hex[i], 64, &err) == PAY_OK);
        FUZZ_CHECK(pay_key_from_bytes(&key24[i], key32[i].bytes, 24, &err) == PAY_OK);
        FUZZ_CHECK(pay_key_from_bytes(&key16[i], key32[i].bytes, 16, &err) == PAY_OK);
    }
    keys_ready = true;
}

static const pay_key *key_for(pay_jwe_enc enc, int i)
{
    switch (enc) {
    case PAY_ENC_A128GCM:
        return &key16[i];
    case PAY_ENC_A192GCM:
        return &key24[i];
    case PAY_ENC_A256GCM:
        return &key32[i];
    case PAY_ENC_NONE:
        break;
    }
    return NULL;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A token that opened under key: seal its plaintext again (fixed iat, nonce
 * and IV) and open that: the plaintext must survive unchanged. */
static void reseal(const pay_key *key, const uint8_t *plain, size_t plain_len)
{
    pay_error err;
    char *tok = NULL;
    size_t tok_len = 0;
    pay_jwe_seal_opts o = {"2024-08-07T22:00:00+09:00", "3f1c2b7a-8d4e-4b5f-9a6c-1e2d3c4b5a69",
                           fixed_iv, NULL};
    pay_err rc = pay_jwe_seal_ex(key, &o, plain, plain_len, &tok, &tok_len, &err);
    if (rc == PAY_ERR_JWE_PLAINTEXT) return; /* not UTF-8 (case C20): refused by design */
    FUZZ_CHECK(rc == PAY_OK);
    FUZZ_CHECK(tok && tok_len == strlen(tok));
    uint8_t *again = NULL;
    size_t again_len = 0;
    rc = pay_jwe_open(tok, tok_len, key, &again, &again_len, &err);
    FUZZ_CHECK(rc == PAY_OK);
    FUZZ_CHECK(again_len == plain_len && memcmp(again, plain, plain_len) == 0);
    pay_jwe_plaintext_free(again, again_len);
    free(tok);
}

static void inspect(const pay_jwe *j, size_t token_len)
{
    size_t hlen = 0, slen = 0;
    const char *hjson = pay_jwe_get_header_json(j, &hlen);
    const char *seg = pay_jwe_get_header_segment(j, &slen);
    FUZZ_CHECK(hjson && hlen > 0 && hlen <= PAY_JWE_HEADER_MAX && hjson[hlen] == 0);
    FUZZ_CHECK(seg && slen < token_len && seg[slen] == 0);
    FUZZ_CHECK(pay_jwe_get_iv(j) && pay_jwe_get_tag(j));
    FUZZ_CHECK(pay_jwe_get_ciphertext_len(j) < token_len);
    pay_jwe_enc enc = pay_jwe_get_enc(j);
    FUZZ_CHECK(enc == PAY_ENC_A128GCM || enc == PAY_ENC_A192GCM || enc == PAY_ENC_A256GCM);
    FUZZ_CHECK(pay_jwe_get_header(j, "alg") && strcmp(pay_jwe_get_header(j, "alg"), "dir") == 0);
    /* The header reader (a fast path for flat all-string headers, jansson
     * otherwise) must agree with jansson on every member. */
    json_t *h = json_loadb(hjson, hlen, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(h && json_is_object(h));
    const char *name;
    json_t *value;
    json_object_foreach(h, name, value) {
        const char *got = pay_jwe_get_header(j, name);
        if (json_is_string(value))
            FUZZ_CHECK(got && strcmp(got, json_string_value(value)) == 0);
        else
            FUZZ_CHECK(got == NULL);
    }
    json_decref(h);
    const char *iat = pay_jwe_get_header(j, "iat");
    if (iat) {
        int64_t us = 0;
        pay_error err;
        (void)pay_parse_iat(iat, strlen(iat), &us, &err);
    }
}

static void open_token(const char *tok, size_t len)
{
    pay_error err;
    pay_jwe *j = NULL;
    pay_err rc = pay_jwe_parse(tok, len, &j, &err);
    if (rc == PAY_ERR_JWE_WHITESPACE) {
        const char *t = tok;
        size_t n = len, front = 0, back = 0;
        pay_jwe_trim(&t, &n, &front, &back);
        FUZZ_CHECK(front + n + back == len && t == tok + front);
        FUZZ_CHECK(n == 0 || (!is_ws(t[0]) && !is_ws(t[n - 1])));
        rc = pay_jwe_parse(t, n, &j, &err);
        if (rc == PAY_OK) len = n;
    }
    if (rc != PAY_OK) {
        FUZZ_CHECK(j == NULL && err.message[0] != 0);
        return;
    }
    inspect(j, len);
    pay_jwe_enc enc = pay_jwe_get_enc(j);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    /* Rule 7: a key of the wrong size is refused before any crypto. */
    const pay_key *wrong = enc == PAY_ENC_A128GCM ? &key32[0] : &key16[0];
    FUZZ_CHECK(pay_jwe_decrypt(j, wrong, &plain, &plain_len, &err) == PAY_ERR_JWE_KEY_SIZE);
    FUZZ_CHECK(plain == NULL && plain_len == 0);
    for (int i = 0; i < NKEYS; i++) {
        const pay_key *key = key_for(enc, i);
        rc = pay_jwe_decrypt(j, key, &plain, &plain_len, &err);
        if (rc == PAY_OK) {
            FUZZ_CHECK(plain && plain[plain_len] == 0);
            FUZZ_CHECK(plain_len <= PAY_JWE_INFLATE_MAX);
            reseal(key, plain, plain_len);
            pay_jwe_plaintext_free(plain, plain_len);
            break;
        }
        FUZZ_CHECK(plain == NULL && plain_len == 0);
    }
    pay_jwe_free(j);
}

/* "{header}\n<plaintext>": seal with that exact header, then parse + open. */
static void seal_and_open(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    char *header = fuzz_cstr(data, hlen);
    const uint8_t *plain = nl ? nl + 1 : data + size;
    size_t plain_len = size - hlen - (nl ? 1 : 0);
    pay_error err;
    char *tok = NULL;
    size_t tok_len = 0;
    pay_jwe_seal_opts o = {NULL, NULL, fixed_iv, header};
    pay_err rc = pay_jwe_seal_ex(&key32[0], &o, plain, plain_len, &tok, &tok_len, &err);
    if (rc != PAY_OK) {
        FUZZ_CHECK(rc == PAY_ERR_JWE_PLAINTEXT || rc == PAY_ERR_INVALID_ARG);
        goto out;
    }
    pay_jwe *j = NULL;
    rc = pay_jwe_parse(tok, tok_len, &j, &err);
    if (rc == PAY_OK) {
        inspect(j, tok_len);
        uint8_t *out = NULL;
        size_t out_len = 0;
        bool zip = pay_jwe_get_header(j, "zip") != NULL;
        rc = pay_jwe_decrypt(j, &key32[0], &out, &out_len, &err);
        if (pay_jwe_get_enc(j) != PAY_ENC_A256GCM) {
            FUZZ_CHECK(rc == PAY_ERR_JWE_KEY_SIZE);
        } else if (!zip) {
            FUZZ_CHECK(rc == PAY_OK);
            FUZZ_CHECK(out_len == plain_len && memcmp(out, plain, plain_len) == 0);
        } else {
            FUZZ_CHECK(rc == PAY_OK || rc == PAY_ERR_JWE_INFLATE);
            if (rc == PAY_OK) reseal(&key32[0], out, out_len);
        }
        pay_jwe_plaintext_free(out, out_len);
        pay_jwe_free(j);
    }
    /* The sealed token, as any token, through the whole opening path. */
    open_token(tok, tok_len);
out:
    free(tok);
    free(header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!keys_ready) load_keys();
    if (size > 0 && data[0] == '{') {
        seal_and_open(data, size);
        return 0;
    }
    /* libFuzzer passes an exactly-sized heap copy: reading past the token
     * is an ASan report. */
    open_token((const char *)data, size);
    return 0;
}
