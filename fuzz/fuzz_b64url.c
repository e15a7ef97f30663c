/*
 * Fuzz target: the strict base64 codecs (src/common/b64.h): base64url
 * without padding (JWE segments, jwe-rules #2) and standard base64 with
 * padding (Basic auth, webhook signatures).
 *
 * Invariants, for both alphabets: decode(encode(x)) == x; a text that
 * decodes is canonical, so encode(decode(s)) == s; the decoded length never
 * exceeds pay_b64_decoded_max (buffers are sized exactly, so a write past
 * it is an ASan report); the encoded length is *_encoded_len; a failure
 * names an offset within the input.
 */
#include "fuzz.h"

#include "common/b64.h"

typedef size_t (*encoder)(const uint8_t *, size_t, char *);
typedef size_t (*enc_len)(size_t);
typedef pay_b64_status (*decoder)(const char *, size_t, uint8_t *, size_t *, size_t *);

static void one_alphabet(const uint8_t *data, size_t size, encoder enc, enc_len elen, decoder dec)
{
    /* bytes -> text -> bytes */
    size_t tlen = elen(size);
    char *text = malloc(tlen + 1);
    FUZZ_CHECK(text != NULL);
    FUZZ_CHECK(enc(data, size, text) == tlen && text[tlen] == 0);
    size_t cap = pay_b64_decoded_max(tlen);
    uint8_t *back = malloc(cap ? cap : 1);
    FUZZ_CHECK(back != NULL);
    size_t back_len = 0, where = 0;
    FUZZ_CHECK(dec(text, tlen, back, &back_len, &where) == PAY_B64_OK);
    FUZZ_CHECK(back_len == size && (size == 0 || memcmp(back, data, size) == 0));
    free(back);
    free(text);

    /* text -> bytes -> text */
    cap = pay_b64_decoded_max(size);
    uint8_t *out = malloc(cap ? cap : 1);
    FUZZ_CHECK(out != NULL);
    size_t out_len = (size_t)-1;
    where = (size_t)-1;
    pay_b64_status st = dec((const char *)data, size, out, &out_len, &where);
    if (st == PAY_B64_OK) {
        FUZZ_CHECK(out_len <= cap);
        size_t relen = elen(out_len);
        char *re = malloc(relen + 1);
        FUZZ_CHECK(re != NULL);
        enc(out, out_len, re);
        FUZZ_CHECK(relen == size && memcmp(re, data, size) == 0);
        free(re);
    } else {
        FUZZ_CHECK(where <= size);
        FUZZ_CHECK(pay_b64_status_text(st)[0] != '?');
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one_alphabet(data, size, pay_b64url_encode, pay_b64url_encoded_len, pay_b64url_decode);
    one_alphabet(data, size, pay_b64std_encode, pay_b64std_encoded_len, pay_b64std_decode);
    return 0;
}
