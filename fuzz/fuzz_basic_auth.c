/*
 * Fuzz target: the Authorization header, Basic base64(secretKey + ":")
 * (spec §2.1), parsed by pay_basic_auth_parse (src/http/basic_auth.h). The
 * input is the header value as libmicrohttpd hands it over: a C string.
 *
 * Invariants: success gives a NUL-terminated key of key_len bytes with no
 * ':' and no NUL inside, shorter than PAY_BASIC_KEY_MAX; a failure says
 * why; and the key round-trips: "Basic " + base64(key + ":") parses back
 * to the same key.
 */
#include "fuzz.h"

#include "common/b64.h"
#include "http/basic_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = fuzz_cstr(data, size);
    char key[PAY_BASIC_KEY_MAX + 1];
    size_t key_len = (size_t)-1;
    const char *why = pay_basic_auth_parse(header, key, &key_len);
    free(header);
    if (why) {
        FUZZ_CHECK(why[0] != 0);
        FUZZ_CHECK(key_len == (size_t)-1); /* nothing written on failure */
        return 0;
    }
    FUZZ_CHECK(key_len <= PAY_BASIC_KEY_MAX && key[key_len] == 0);
    FUZZ_CHECK(strlen(key) == key_len);
    FUZZ_CHECK(memchr(key, ':', key_len) == NULL);

    /* Round trip: encode key + ":" and parse it again. */
    uint8_t raw[PAY_BASIC_KEY_MAX + 1];
    memcpy(raw, key, key_len);
    raw[key_len] = ':';
    char again[6 + ((PAY_BASIC_KEY_MAX + 1 + 2) / 3) * 4 + 1];
    memcpy(again, "Basic ", 6);
    FUZZ_CHECK(pay_b64std_encoded_len(key_len + 1) + 7 <= sizeof again);
    pay_b64std_encode(raw, key_len + 1, again + 6);
    char key2[PAY_BASIC_KEY_MAX + 1];
    size_t key2_len = 0;
    const char *why2 = pay_basic_auth_parse(again, key2, &key2_len);
    FUZZ_CHECK(why2 == NULL);
    FUZZ_CHECK(key2_len == key_len && memcmp(key, key2, key_len) == 0);
    return 0;
}
