/* Strict base64url / standard base64 (src/common/b64.c), jwe-rules #2. */
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "harness.h"

/* RFC 4648 section 10 test vectors. */
static const struct {
    const char *plain, *std, *url;
} rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static pay_b64_status url(const char *in, uint8_t *out, size_t *len, size_t *where)
{
    return pay_b64url_decode(in, strlen(in), out, len, where);
}

static pay_b64_status std64(const char *in, uint8_t *out, size_t *len, size_t *where)
{
    return pay_b64std_decode(in, strlen(in), out, len, where);
}

static void test_rfc4648_vectors(void)
{
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        const char *p = rfc4648[i].plain;
        size_t n = strlen(p), len = 99;
        char enc[32];
        uint8_t dec[32];
        CHECK_EQ_INT(pay_b64url_encode((const uint8_t *)p, n, enc), strlen(rfc4648[i].url));
        CHECK_EQ_STR(enc, rfc4648[i].url);
        CHECK_EQ_INT(pay_b64url_encoded_len(n), strlen(rfc4648[i].url));
        CHECK_EQ_INT(pay_b64std_encode((const uint8_t *)p, n, enc), strlen(rfc4648[i].std));
        CHECK_EQ_STR(enc, rfc4648[i].std);
        CHECK_EQ_INT(pay_b64std_encoded_len(n), strlen(rfc4648[i].std));
        CHECK_EQ_INT(url(rfc4648[i].url, dec, &len, NULL), PAY_B64_OK);
        CHECK(len == n && memcmp(dec, p, n) == 0);
        len = 99;
        CHECK_EQ_INT(std64(rfc4648[i].std, dec, &len, NULL), PAY_B64_OK);
        CHECK(len == n && memcmp(dec, p, n) == 0);
    }
}

static void test_alphabets_differ(void)
{
    const uint8_t b[] = {0xfb, 0xff, 0xbf};
    char enc[8];
    uint8_t dec[8];
    size_t len = 0, where = 0;
    pay_b64url_encode(b, 3, enc);
    CHECK_EQ_STR(enc, "-_-_");
    pay_b64std_encode(b, 3, enc);
    CHECK_EQ_STR(enc, "+/+/");
    CHECK_EQ_INT(url("-_-_", dec, &len, NULL), PAY_B64_OK);
    CHECK(len == 3 && memcmp(dec, b, 3) == 0);
    /* The other alphabet is refused in each direction, with the offset. */
    CHECK_EQ_INT(url("+/+/", dec, &len, &where), PAY_B64_BAD_CHAR);
    CHECK_EQ_INT(where, 0);
    CHECK_EQ_INT(url("AA/A", dec, &len, &where), PAY_B64_BAD_CHAR);
    CHECK_EQ_INT(where, 2);
    CHECK_EQ_INT(std64("-_-_", dec, &len, &where), PAY_B64_BAD_CHAR);
    CHECK_EQ_INT(where, 0);
}

static void test_url_padding_refused(void)
{
    uint8_t dec[16];
    size_t len = 0, where = 0;
    CHECK_EQ_INT(url("Zg==", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(where, 2);
    CHECK_EQ_INT(url("Zm8=", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(where, 3);
    /* Length 5 (mod 4 == 1) with '=': the '=' is reported, it explains more. */
    CHECK_EQ_INT(url("Zm9v=", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(where, 4);
    CHECK_EQ_INT(url("=", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(where, 0);
}

static void test_mod4_is_1(void)
{
    uint8_t dec[16];
    size_t len = 0, where = 0;
    CHECK_EQ_INT(url("A", dec, &len, &where), PAY_B64_BAD_LENGTH);
    CHECK_EQ_INT(where, 1);
    CHECK_EQ_INT(url("Zm9vY", dec, &len, &where), PAY_B64_BAD_LENGTH);
    CHECK_EQ_INT(where, 5);
    CHECK_EQ_INT(url("Zm9vYmFyZ", dec, &len, &where), PAY_B64_BAD_LENGTH);
    /* A bad character in a mod-4==1 string is reported before the length. */
    CHECK_EQ_INT(url("Zm*vY", dec, &len, &where), PAY_B64_BAD_CHAR);
    CHECK_EQ_INT(where, 2);
    /* Standard base64 needs a multiple of 4. */
    CHECK_EQ_INT(std64("Zg=", dec, &len, &where), PAY_B64_BAD_LENGTH);
    CHECK_EQ_INT(std64("Zg", dec, &len, &where), PAY_B64_BAD_LENGTH);
    CHECK_EQ_INT(std64("Zm9vY", dec, &len, &where), PAY_B64_BAD_LENGTH);
}

static void test_trailing_bits(void)
{
    uint8_t dec[16];
    size_t len = 0, where = 0;
    /* "f" = Zg; Zh has the same first 8 bits but a non-zero unused nibble. */
    CHECK_EQ_INT(url("Zg", dec, &len, &where), PAY_B64_OK);
    for (const char *c = "hijklmnopqrstuv"; *c; c++) {
        char s[3] = {'Z', *c, 0};
        CHECK_EQ_INT(url(s, dec, &len, &where), PAY_B64_TRAILING_BITS);
        CHECK_EQ_INT(where, 1);
    }
    /* "fo" = Zm8; Zm9, Zm-, Zm_ differ only in the two unused bits. */
    CHECK_EQ_INT(url("Zm8", dec, &len, &where), PAY_B64_OK);
    CHECK_EQ_INT(url("Zm9", dec, &len, &where), PAY_B64_TRAILING_BITS);
    CHECK_EQ_INT(where, 2);
    CHECK_EQ_INT(url("Zm-", dec, &len, &where), PAY_B64_TRAILING_BITS);
    CHECK_EQ_INT(url("Zm_", dec, &len, &where), PAY_B64_TRAILING_BITS);
    CHECK_EQ_INT(std64("Zh==", dec, &len, &where), PAY_B64_TRAILING_BITS);
    CHECK_EQ_INT(std64("Zm9=", dec, &len, &where), PAY_B64_TRAILING_BITS);
}

static void test_bad_chars_with_offsets(void)
{
    uint8_t dec[64];
    size_t len = 0, where = 0;
    const char *cases[][2] = {
        {"Zm9v Ym", "4"},   {"Zm9v\nYm", "4"}, {"Zm9vYm\t", "6"},      {" Zm9", "0"},
        {"Zm9v.YmFy", "4"}, {"Zm9v\"Ym", "4"}, {"Zm9v\xc3\xa9Y", "4"}, {"Zm9vYmF\xff", "7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        where = 999;
        CHECK_EQ_INT(url(cases[i][0], dec, &len, &where), PAY_B64_BAD_CHAR);
        CHECK_EQ_INT(where, strtol(cases[i][1], NULL, 10));
    }
    /* An embedded NUL is a bad character, not an end of input. */
    CHECK_EQ_INT(pay_b64url_decode("Zm\0v", 4, dec, &len, &where), PAY_B64_BAD_CHAR);
    CHECK_EQ_INT(where, 2);
    /* '=' in the middle of standard base64. */
    CHECK_EQ_INT(std64("Zg==Zg==", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(where, 2);
    CHECK_EQ_INT(std64("=Zg=", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(where, 0);
    CHECK_EQ_INT(std64("Z===", dec, &len, &where), PAY_B64_PADDING);
    CHECK_EQ_INT(std64("====", dec, &len, &where), PAY_B64_PADDING);
}

static void test_status_text(void)
{
    CHECK_EQ_STR(pay_b64_status_text(PAY_B64_OK), "ok");
    CHECK_CONTAINS(pay_b64_status_text(PAY_B64_BAD_CHAR), "character");
    CHECK_CONTAINS(pay_b64_status_text(PAY_B64_PADDING), "padding");
    CHECK_CONTAINS(pay_b64_status_text(PAY_B64_BAD_LENGTH), "length");
    CHECK_CONTAINS(pay_b64_status_text(PAY_B64_TRAILING_BITS), "trailing");
}

/* Every length 0..300 with pseudo-random bytes, both alphabets; also checks
 * that decoding never writes past pay_b64_decoded_max (guard bytes). */
static void test_round_trips(void)
{
    enum { MAXN = 300, GUARD = 8 };
    uint8_t in[MAXN], dec[MAXN + 3 + GUARD];
    char enc[MAXN * 2];
    uint32_t x = 0x12345678;
    for (size_t n = 0; n <= MAXN; n++) {
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            in[i] = (uint8_t)(x >> 16);
        }
        size_t len = 0, max = pay_b64_decoded_max(pay_b64url_encoded_len(n));
        CHECK(max >= n);
        size_t el = pay_b64url_encode(in, n, enc);
        CHECK_EQ_INT(el, pay_b64url_encoded_len(n));
        CHECK_EQ_INT(enc[el], 0);
        CHECK(el % 4 != 1);
        memset(dec, 0xA5, sizeof dec);
        CHECK_EQ_INT(pay_b64url_decode(enc, el, dec, &len, NULL), PAY_B64_OK);
        CHECK(len == n && memcmp(dec, in, n) == 0);
        for (size_t g = n; g < max + GUARD; g++)
            CHECK(dec[g] == 0xA5);

        el = pay_b64std_encode(in, n, enc);
        CHECK_EQ_INT(el, pay_b64std_encoded_len(n));
        CHECK(el % 4 == 0);
        CHECK_EQ_INT(pay_b64std_decode(enc, el, dec, &len, NULL), PAY_B64_OK);
        CHECK(len == n && memcmp(dec, in, n) == 0);
    }
}

PAY_TEST_MAIN(PAY_TEST(test_rfc4648_vectors), PAY_TEST(test_alphabets_differ),
              PAY_TEST(test_url_padding_refused), PAY_TEST(test_mod4_is_1),
              PAY_TEST(test_trailing_bits), PAY_TEST(test_bad_chars_with_offsets),
              PAY_TEST(test_status_text), PAY_TEST(test_round_trips))
