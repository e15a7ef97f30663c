/* Security-key loading: cases C06 and C07 of ../shared/cases/README.md. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jwe_test_util.h"
#include "payout/jwe.h"

#define KEY FIXTURE_KEY_HEX
#define KEY_UPPER "6B3A9F0C2E7D15A84C9B0E6F3D2A71C5E8F4B09A3C6D2E7F1A5B8C0D9E4F2A63"

static const uint8_t key_bytes[32] = {
    0x6b, 0x3a, 0x9f, 0x0c, 0x2e, 0x7d, 0x15, 0xa8, 0x4c, 0x9b, 0x0e, 0x6f, 0x3d, 0x2a, 0x71, 0xc5,
    0xe8, 0xf4, 0xb0, 0x9a, 0x3c, 0x6d, 0x2e, 0x7f, 0x1a, 0x5b, 0x8c, 0x0d, 0x9e, 0x4f, 0x2a, 0x63,
};

/* V0 from the fixture file, or NULL. Caller frees. */
static char *v0_token(void)
{
    json_t *f = tu_load_json(pay_test_source_path("tests/fixtures/jwe_cases.json"));
    char *out = NULL;
    json_t *c = f ? json_array_get(json_object_get(f, "cases"), 0) : NULL;
    if (c && strcmp(json_string_value(json_object_get(c, "name")), "V0") == 0)
        out = strdup(json_string_value(json_object_get(c, "token")));
    json_decref(f);
    return out;
}

/* Loads text and expects a failure that leaves the output untouched. */
static pay_err load_fail(const char *text, size_t len, pay_error *e)
{
    pay_key k;
    memset(&k, 0xAA, sizeof k);
    memset(e, 0, sizeof *e);
    pay_err rc = pay_key_from_hex(&k, text, len, e);
    uint8_t expect[sizeof k];
    memset(expect, 0xAA, sizeof expect);
    CHECK_MSG(memcmp(&k, expect, sizeof k) == 0, "output written on failure for \"%.*s\"", (int)len,
              text ? text : "");
    return rc;
}

static void test_lowercase_decodes_to_32_bytes(void)
{
    pay_key k;
    pay_error e = {0};
    REQUIRE(pay_key_from_hex(&k, KEY, strlen(KEY), &e) == PAY_OK);
    CHECK_EQ_INT(k.len, 32);
    CHECK(memcmp(k.bytes, key_bytes, 32) == 0);
    pay_key_wipe(&k);
}

/* C07 (a): upper case works and opens V0. */
static void test_c07a_uppercase(void)
{
    pay_key k;
    pay_error e = {0};
    uint8_t *pt = NULL;
    size_t n = 0;
    REQUIRE(pay_key_from_hex(&k, KEY_UPPER, strlen(KEY_UPPER), &e) == PAY_OK);
    CHECK_EQ_INT(k.len, 32);
    CHECK(memcmp(k.bytes, key_bytes, 32) == 0);
    char *v0 = v0_token();
    REQUIRE(v0);
    CHECK_EQ_INT(pay_jwe_open(v0, strlen(v0), &k, &pt, &n, &e), PAY_OK);
    CHECK_CONTAINS((const char *)pt, "\"refSellerId\":\"my-seller-0001\"");
    pay_jwe_plaintext_free(pt, n);
    free(v0);
    pay_key_wipe(&k);
}

/* C07 (b): the key as read from a file, newline included. */
static void test_c07b_trailing_newline(void)
{
    pay_error e;
    CHECK_ERR(load_fail(KEY "\n", 65, &e), PAY_ERR_KEY_LENGTH,
              "security key must be exactly 64 hex characters; got 65 (trailing newline)");
    CHECK_ERR(load_fail(KEY "\r\n", 66, &e), PAY_ERR_KEY_LENGTH, "got 66 (trailing CR LF)");
    CHECK_ERR(load_fail(KEY " ", 65, &e), PAY_ERR_KEY_LENGTH, "got 65 (trailing whitespace)");
    CHECK_ERR(load_fail(" " KEY, 65, &e), PAY_ERR_KEY_LENGTH, "got 65 (leading whitespace)");
}

/* C07 (c): copied from a .env with its quotes. */
static void test_c07c_quoted(void)
{
    pay_error e;
    CHECK_ERR(load_fail("\"" KEY "\"", 66, &e), PAY_ERR_KEY_LENGTH,
              "security key must be exactly 64 hex characters; got 66 (wrapped in double quotes)");
    CHECK_ERR(load_fail("'" KEY "'", 66, &e), PAY_ERR_KEY_LENGTH, "(wrapped in single quotes)");
}

/* C07 (d): one digit short. */
static void test_c07d_63_chars(void)
{
    pay_error e;
    CHECK_EQ_INT(load_fail(KEY, 63, &e), PAY_ERR_KEY_LENGTH);
    CHECK_EQ_STR(e.message, "security key must be exactly 64 hex characters; got 63");
}

/* C07 (e): 'g' at index 10 (the 11th character). */
static void test_c07e_non_hex(void)
{
    pay_error e;
    char bad[65];
    memcpy(bad, KEY, 65);
    bad[10] = 'g';
    CHECK_EQ_INT(load_fail(bad, 64, &e), PAY_ERR_KEY_CHAR);
    CHECK_EQ_STR(e.message, "non-hex character 'g' at index 10");
    /* High and low nibble positions, and an unprintable byte. */
    memcpy(bad, KEY, 65);
    bad[63] = 'z';
    CHECK_ERR(load_fail(bad, 64, &e), PAY_ERR_KEY_CHAR, "non-hex character 'z' at index 63");
    memcpy(bad, KEY, 65);
    bad[0] = '\n';
    CHECK_ERR(load_fail(bad, 64, &e), PAY_ERR_KEY_CHAR, "non-hex character 0x0A at index 0");
    memcpy(bad, KEY, 65);
    bad[31] = 0;
    CHECK_ERR(load_fail(bad, 64, &e), PAY_ERR_KEY_CHAR, "non-hex character 0x00 at index 31");
}

/* C07 (f): half the key pasted. */
static void test_c07f_half_key(void)
{
    pay_error e;
    CHECK_ERR(load_fail("6b3a9f0c2e7d15a84c9b0e6f3d2a71c5", 32, &e), PAY_ERR_KEY_LENGTH,
              "got 32 \xe2\x80\x94 this looks like half of the key");
}

static void test_other_lengths(void)
{
    pay_error e;
    CHECK_ERR(load_fail("", 0, &e), PAY_ERR_KEY_LENGTH, "got 0 (empty)");
    CHECK_ERR(load_fail(NULL, 0, &e), PAY_ERR_KEY_LENGTH, "got 0");
    CHECK_ERR(load_fail(KEY KEY, 128, &e), PAY_ERR_KEY_LENGTH, "got 128");
    /* The base64 of the 32 key bytes. */
    CHECK_ERR(load_fail("azqfDC59FahMmw5vPSpxxej0sJo8bS5/GluMDZ5PKmM=", 44, &e), PAY_ERR_KEY_LENGTH,
              "looks like base64");
    pay_key k;
    CHECK_EQ_INT(pay_key_from_hex(NULL, KEY, 64, &e), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_key_from_hex(&k, NULL, 64, &e), PAY_ERR_INVALID_ARG);
}

/* C06: a key starting with 00 keeps its leading zero byte. */
static void test_c06_leading_zero_survives(void)
{
    const char *hex = "00"
                      "3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63";
    const char *hex2 = "0000000000000000000000000000000000000000000000000000000000000001";
    pay_key k;
    pay_error e = {0};
    REQUIRE(strlen(hex) == 64);
    REQUIRE(pay_key_from_hex(&k, hex, 64, &e) == PAY_OK);
    CHECK_EQ_INT(k.len, 32);
    CHECK_EQ_INT(k.bytes[0], 0x00);
    CHECK_EQ_INT(k.bytes[1], 0x3a);
    CHECK_EQ_INT(k.bytes[31], 0x63);
    REQUIRE(pay_key_from_hex(&k, hex2, 64, &e) == PAY_OK);
    CHECK_EQ_INT(k.len, 32);
    for (int i = 0; i < 31; i++)
        CHECK_EQ_INT(k.bytes[i], 0);
    CHECK_EQ_INT(k.bytes[31], 1);
    /* And it seals and opens like any other key. */
    char *tok = NULL;
    size_t tl = 0;
    uint8_t *pt = NULL;
    size_t n = 0;
    REQUIRE(pay_jwe_seal(&k, (const uint8_t *)"{}", 2, &tok, &tl, &e) == PAY_OK);
    CHECK_EQ_INT(pay_jwe_open(tok, tl, &k, &pt, &n, &e), PAY_OK);
    CHECK(n == 2 && memcmp(pt, "{}", 2) == 0);
    pay_jwe_plaintext_free(pt, n);
    free(tok);
}

/* C06: the 64-char string used as 64 ASCII bytes, or base64-decoded to 48. */
static void test_c06_raw_bytes_of_wrong_size(void)
{
    pay_key k;
    pay_error e = {0};
    CHECK_ERR(pay_key_from_bytes(&k, (const uint8_t *)KEY, 64, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 64 raw bytes: it looks like the 64-hex-char security key was used as "
              "ASCII; hex-decode it to 32 bytes");
    uint8_t b48[48] = {0};
    CHECK_ERR(pay_key_from_bytes(&k, b48, 48, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 48 bytes: it looks like the hex security key was base64-decoded");
    CHECK_ERR(pay_key_from_bytes(&k, b48, 31, &e), PAY_ERR_JWE_KEY_SIZE, "key is 31 bytes");
    CHECK_ERR(pay_key_from_bytes(&k, b48, 0, &e), PAY_ERR_JWE_KEY_SIZE, "key is 0 bytes");
    CHECK_EQ_INT(pay_key_from_bytes(&k, NULL, 32, &e), PAY_ERR_INVALID_ARG);
}

static void test_from_bytes_sizes(void)
{
    pay_key k;
    pay_error e = {0};
    static const size_t ok[] = {16, 24, 32};
    for (size_t i = 0; i < 3; i++) {
        memset(&k, 0xAA, sizeof k);
        REQUIRE(pay_key_from_bytes(&k, key_bytes, ok[i], &e) == PAY_OK);
        CHECK_EQ_INT(k.len, ok[i]);
        CHECK(memcmp(k.bytes, key_bytes, ok[i]) == 0);
        for (size_t j = ok[i]; j < PAY_KEY_MAX; j++)
            CHECK_EQ_INT(k.bytes[j], 0);
    }
}

static void test_wipe(void)
{
    pay_key k, zero;
    pay_error e = {0};
    REQUIRE(pay_key_from_hex(&k, KEY, 64, &e) == PAY_OK);
    pay_key_wipe(&k);
    memset(&zero, 0, sizeof zero);
    CHECK(memcmp(&k, &zero, sizeof k) == 0);
    pay_key_wipe(NULL);
}

PAY_TEST_MAIN(PAY_TEST(test_lowercase_decodes_to_32_bytes), PAY_TEST(test_c07a_uppercase),
              PAY_TEST(test_c07b_trailing_newline), PAY_TEST(test_c07c_quoted),
              PAY_TEST(test_c07d_63_chars), PAY_TEST(test_c07e_non_hex),
              PAY_TEST(test_c07f_half_key), PAY_TEST(test_other_lengths),
              PAY_TEST(test_c06_leading_zero_survives), PAY_TEST(test_c06_raw_bytes_of_wrong_size),
              PAY_TEST(test_from_bytes_sizes), PAY_TEST(test_wipe))
