/*
 * One test per rule of ../shared/spec/jwe-rules.md (docs/JWE.md), each
 * asserting the exact pay_err and a key phrase of the message, plus the
 * sealing properties the cases demand (C04, C18, C19, C20).
 *
 * The malformed tokens are built from a good one sealed with the fixture
 * key, header and IV through the test hooks (it must equal Appendix V0), or
 * are sealed with a crafted header so that the tag is valid and only the
 * rule under test can be what refuses them.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/text.h"
#include "common/timeutil.h"
#include "harness.h"
#include "jwe_test_util.h"
#include "payout/jwe.h"

#define BASE_HDR                                                                                   \
    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\":\"2025-06-26T18:42:46+09:00\",\"nonce\":"        \
    "\"5f0c2a9e-1b7d-4e3a-9c8f-2d6b4a1e0f93\"}"
#define BASELINE                                                                                   \
    "{\"refSellerId\":\"my-seller-0001\",\"businessType\":\"INDIVIDUAL\",\"individual\":{"         \
    "\"name\":\"\xea\xb9\x80\xed\x86\xa0\xec\x8a\xa4\",\"email\":\"seller@example.com\","          \
    "\"phone\":\"01000000000\"},\"account\":{\"bankCode\":\"088\",\"accountNumber\":"              \
    "\"00000000000000\",\"holderName\":\"\xea\xb9\x80\xed\x86\xa0\xec\x8a\xa4\"}}"
#define SMALL_PT "{\"ok\":true}"
#define TAG_MISMATCH_MSG                                                                           \
    "authentication tag mismatch: the token was not sealed with this key, or "                     \
    "header/IV/ciphertext/tag were altered"

static const uint8_t base_iv[12] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6,
                                    0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c};
static pay_key K;

/* The good token: baseline plaintext, header and IV (= Appendix V0). */
static char *good_token(void)
{
    pay_jwe_seal_opts o = {.test_iv = base_iv, .test_header_json = BASE_HDR};
    pay_error e = {0};
    char *t = NULL;
    size_t n = 0;
    if (pay_jwe_seal_ex(&K, &o, (const uint8_t *)BASELINE, strlen(BASELINE), &t, &n, &e) != PAY_OK)
        pay_test_fail(__FILE__, __LINE__, "seal: %s", e.message);
    return t;
}

/* {"ok":true} sealed (validly) under a crafted header. */
static char *seal_hdr(const char *header_json)
{
    pay_jwe_seal_opts o = {.test_iv = base_iv, .test_header_json = header_json};
    pay_error e = {0};
    char *t = NULL;
    size_t n = 0;
    if (pay_jwe_seal_ex(&K, &o, (const uint8_t *)SMALL_PT, strlen(SMALL_PT), &t, &n, &e) != PAY_OK)
        pay_test_fail(__FILE__, __LINE__, "seal: %s", e.message);
    return t;
}

/* Opens a token sealed under header_json with K; returns the code. */
static pay_err open_hdr(const char *header_json, pay_error *e)
{
    char *t = seal_hdr(header_json);
    pay_err rc = t ? tu_open_code(t, &K, e) : PAY_ERR_INTERNAL;
    free(t);
    return rc;
}

static pay_err open_n(const char *token, size_t n, pay_error *e)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    memset(e, 0, sizeof *e);
    pay_err rc = pay_jwe_open(token, n, &K, &pt, &len, e);
    pay_jwe_plaintext_free(pt, len);
    return rc;
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *out = malloc(na + nb + 1);
    memcpy(out, a, na);
    memcpy(out + na, b, nb + 1);
    return out;
}

/* token with c inserted before offset at. */
static char *insert_at(const char *token, size_t at, char c)
{
    size_t n = strlen(token);
    char *out = malloc(n + 2);
    memcpy(out, token, at);
    out[at] = c;
    memcpy(out + at + 1, token + at, n - at + 1);
    return out;
}

/* Offset in token of segment k's first character. */
static size_t seg_offset(const char *token, int k)
{
    const char *p = token;
    for (int i = 0; i < k; i++)
        p = strchr(p, '.') + 1;
    return (size_t)(p - token);
}

static void test_good_token_is_v0(void)
{
    json_t *f = tu_load_json(pay_test_source_path("tests/fixtures/jwe_cases.json"));
    REQUIRE(f);
    const char *v0 =
        json_string_value(json_object_get(json_array_get(json_object_get(f, "cases"), 0), "token"));
    char *g = good_token();
    REQUIRE(g && v0);
    CHECK_EQ_STR(g, v0);
    pay_error e;
    CHECK_EQ_INT(tu_open_code(g, &K, &e), PAY_OK);
    free(g);
    json_decref(f);
}

/* ---- rule 1: exactly 5 segments, no whitespace -------------------------- */

static void test_rule01_segments(void)
{
    pay_error e;
    char *g = good_token();
    REQUIRE(g);
    char *four = strdup(g);
    *strrchr(four, '.') = 0;
    CHECK_ERR(tu_open_code(four, &K, &e), PAY_ERR_JWE_SEGMENTS,
              "expected 5 segments separated by '.', got 4");
    char *six = concat(g, ".");
    CHECK_ERR(tu_open_code(six, &K, &e), PAY_ERR_JWE_SEGMENTS,
              "expected 5 segments separated by '.', got 6");
    char *seven = concat(g, ".AAAA.");
    CHECK_ERR(tu_open_code(seven, &K, &e), PAY_ERR_JWE_SEGMENTS, "got 7");
    CHECK_ERR(tu_open_code("eyJ9", &K, &e), PAY_ERR_JWE_SEGMENTS, "got 1");
    CHECK_ERR(open_n("", 0, &e), PAY_ERR_JWE_SEGMENTS, "token is empty");
    /* Five empty segments are framed correctly and fail on the header. */
    CHECK_ERR(tu_open_code("....", &K, &e), PAY_ERR_JWE_HEADER, "protected header is empty");
    free(four);
    free(six);
    free(seven);
    free(g);
}

static void test_rule01_whitespace(void)
{
    pay_error e;
    char *g = good_token();
    REQUIRE(g);
    size_t n = strlen(g);
    char *nl = concat(g, "\n"), *crlf = concat(g, "\r\n"), *sp2 = concat("  ", g),
         *tab = concat("\t", g), *inner = insert_at(g, 100, ' '),
         *ct_tab = insert_at(g, seg_offset(g, 3) + 5, '\t'),
         *tag_nl = insert_at(g, seg_offset(g, 4) + 1, '\n'), *two = concat(nl, g);
    char want[128];

    snprintf(want, sizeof want, "token has trailing whitespace (0x0A) at offset %zu", n);
    CHECK_ERR(tu_open_code(nl, &K, &e), PAY_ERR_JWE_WHITESPACE, want);
    snprintf(want, sizeof want, "token has trailing whitespace (0x0D) at offset %zu", n);
    CHECK_ERR(tu_open_code(crlf, &K, &e), PAY_ERR_JWE_WHITESPACE, want);
    CHECK_ERR(tu_open_code(sp2, &K, &e), PAY_ERR_JWE_WHITESPACE,
              "token has leading whitespace (0x20) at offset 0");
    CHECK_ERR(tu_open_code(tab, &K, &e), PAY_ERR_JWE_WHITESPACE,
              "token has leading whitespace (0x09) at offset 0");
    CHECK_ERR(tu_open_code(inner, &K, &e), PAY_ERR_JWE_WHITESPACE,
              "invalid character 0x20 at offset 100 (segment 1, protected header)");
    snprintf(want, sizeof want, "invalid character 0x09 at offset %zu (segment 4, ciphertext)",
             seg_offset(g, 3) + 5);
    CHECK_ERR(tu_open_code(ct_tab, &K, &e), PAY_ERR_JWE_WHITESPACE, want);
    snprintf(want, sizeof want,
             "invalid character 0x0A at offset %zu (segment 5, authentication tag)",
             seg_offset(g, 4) + 1);
    CHECK_ERR(tu_open_code(tag_nl, &K, &e), PAY_ERR_JWE_WHITESPACE, want);
    /* Two tokens on two lines: the newline is named, not the 9 segments. */
    snprintf(want, sizeof want, "invalid character 0x0A at offset %zu (segment 5", n);
    CHECK_ERR(tu_open_code(two, &K, &e), PAY_ERR_JWE_WHITESPACE, want);
    /* Whitespace never turns into a tag-mismatch message (case C11). */
    CHECK(strstr(e.message, "tag mismatch") == NULL);

    /* pay_jwe_trim: what a CLI does before the strict call. */
    char *padded = concat("  ", crlf);
    const char *t = padded;
    size_t len = strlen(padded), front = 9, back = 9;
    pay_jwe_trim(&t, &len, &front, &back);
    CHECK_EQ_INT(front, 2);
    CHECK_EQ_INT(back, 2);
    CHECK_EQ_INT(len, n);
    CHECK(t == padded + 2);
    CHECK_EQ_INT(open_n(t, len, &e), PAY_OK);
    const char *ws = " \t\r\n ";
    len = strlen(ws);
    pay_jwe_trim(&ws, &len, &front, &back);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(front + back, 5);
    /* Trimming does not touch inner whitespace. */
    t = inner;
    len = strlen(inner);
    pay_jwe_trim(&t, &len, &front, &back);
    CHECK_EQ_INT(front + back, 0);
    CHECK_ERR(open_n(t, len, &e), PAY_ERR_JWE_WHITESPACE, "offset 100");

    free(nl);
    free(crlf);
    free(sp2);
    free(tab);
    free(inner);
    free(ct_tab);
    free(tag_nl);
    free(two);
    free(padded);
    free(g);
}

/* ---- rule 2: strict base64url in every segment --------------------------- */

static void test_rule02_strict_base64url(void)
{
    pay_error e;
    char want[160];
    char *g = good_token();
    REQUIRE(g);
    size_t n = strlen(g);
    char *tag = tu_segment(g, 4), *iv = tu_segment(g, 2), *ct = tu_segment(g, 3);
    REQUIRE(tag && iv && ct);

    /* '==' padding on the tag (panva on Node 20 and cjose accept it). */
    char *padded_tag = concat(tag, "==");
    char *t1 = tu_replace_segment(g, 4, padded_tag);
    snprintf(want, sizeof want, "segment 5 (authentication tag) has padding '=' at offset %zu", n);
    CHECK_ERR(tu_open_code(t1, &K, &e), PAY_ERR_JWE_BASE64, want);

    /* Length mod 4 == 1 (17 characters cannot be base64url). */
    char *long_iv = concat(iv, "A");
    char *t2 = tu_replace_segment(g, 2, long_iv);
    CHECK_ERR(tu_open_code(t2, &K, &e), PAY_ERR_JWE_BASE64,
              "segment 3 (IV) has 17 characters, an impossible base64url length");

    /* Non-zero unused bits: the tag still decodes to the same 16 bytes. */
    char *bits_tag = strdup(tag);
    size_t tl = strlen(bits_tag);
    REQUIRE(tl == 22);
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t v = (size_t)(strchr(alpha, bits_tag[tl - 1]) - alpha);
    REQUIRE((v & 0xf) == 0);
    bits_tag[tl - 1] = alpha[v | 1];
    char *t3 = tu_replace_segment(g, 4, bits_tag);
    snprintf(want, sizeof want,
             "segment 5 (authentication tag) is not canonical base64url: the last character, at "
             "offset %zu, has non-zero unused bits",
             n - 1);
    CHECK_ERR(tu_open_code(t3, &K, &e), PAY_ERR_JWE_BASE64, want);

    /* Standard-alphabet characters. */
    char *t4 = strdup(g);
    size_t at = seg_offset(g, 3) + 3;
    t4[at] = '+';
    snprintf(want, sizeof want,
             "invalid character 0x2B ('+') at offset %zu (segment 4, ciphertext)", at);
    CHECK_ERR(tu_open_code(t4, &K, &e), PAY_ERR_JWE_BASE64, want);
    char *t5 = strdup(g);
    t5[7] = '/';
    CHECK_ERR(tu_open_code(t5, &K, &e), PAY_ERR_JWE_BASE64,
              "invalid character 0x2F ('/') at offset 7 (segment 1, protected header)");
    /* '=' in the middle of a segment, and a non-ASCII byte. */
    char *t6 = strdup(g);
    at = seg_offset(g, 2) + 4;
    t6[at] = '=';
    snprintf(want, sizeof want, "segment 3 (IV) has padding '=' at offset %zu", at);
    CHECK_ERR(tu_open_code(t6, &K, &e), PAY_ERR_JWE_BASE64, want);
    char *t7 = strdup(g);
    at = seg_offset(g, 3);
    t7[at] = (char)0xC3;
    snprintf(want, sizeof want, "invalid character 0xC3 at offset %zu (segment 4, ciphertext)", at);
    CHECK_ERR(tu_open_code(t7, &K, &e), PAY_ERR_JWE_BASE64, want);
    /* Rule 2 applies to the encrypted-key segment too (before rule 6). */
    char *t8 = tu_replace_segment(g, 1, "AA==");
    CHECK_ERR(tu_open_code(t8, &K, &e), PAY_ERR_JWE_BASE64, "segment 2 (encrypted key)");
    /* The whole ciphertext in the standard alphabet (generated tcId 39). */
    char *t9 = strdup(g);
    size_t first = 0;
    for (size_t i = seg_offset(g, 3); t9[i] != '.'; i++) {
        if (t9[i] == '-' || t9[i] == '_') {
            if (!first) first = i;
            t9[i] = t9[i] == '-' ? '+' : '/';
        }
    }
    REQUIRE(first);
    snprintf(want, sizeof want, "invalid character 0x%02X ('%c') at offset %zu (segment 4",
             (unsigned char)t9[first], t9[first], first);
    CHECK_ERR(tu_open_code(t9, &K, &e), PAY_ERR_JWE_BASE64, want);

    char *all[] = {padded_tag, t1, long_iv, t2, bits_tag, t3, t4, t5,
                   t6,         t7, t8,      t9, tag,      iv, ct, g};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

/* ---- rule 3: UTF-8 JSON object, alg "dir", enc allowed ------------------- */

struct hdr_case {
    const char *header;
    pay_err code;
    const char *phrase;
};

static void run_hdr_cases(const struct hdr_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pay_error e;
        pay_err rc = open_hdr(c[i].header, &e);
        CHECK_MSG(rc == c[i].code, "header %s: got %s (%s), expected %s", c[i].header,
                  pay_err_name(rc), e.message, pay_err_name(c[i].code));
        if (rc == c[i].code && c[i].phrase)
            CHECK_MSG(strstr(e.message, c[i].phrase) != NULL, "header %s: \"%s\" lacks \"%s\"",
                      c[i].header, e.message, c[i].phrase);
    }
}

#define AE "\"alg\":\"dir\",\"enc\":\"A256GCM\""

static void test_rule03_header_json_object(void)
{
    static const struct hdr_case cases[] = {
        {"[1]", PAY_ERR_JWE_HEADER, "a JSON array, not an object"},
        {"[{" AE "}]", PAY_ERR_JWE_HEADER, "a JSON array, not an object"},
        {"\"dir\"", PAY_ERR_JWE_HEADER, "not valid JSON"},
        {"null", PAY_ERR_JWE_HEADER, "not valid JSON"},
        {"{" AE "}x", PAY_ERR_JWE_HEADER, "data after the JSON object"},
        {"{" AE "}{}", PAY_ERR_JWE_HEADER, "data after the JSON object"},
        {"{" AE, PAY_ERR_JWE_HEADER, "not valid JSON"},
        {"{" AE ",}", PAY_ERR_JWE_HEADER, "not valid JSON"},
        {"{'alg':'dir'}", PAY_ERR_JWE_HEADER, "not valid JSON"},
        {"{" AE ",\"x\":\"\\u0000\"}", PAY_ERR_JWE_HEADER, "not valid JSON"},
        {"{" AE ",\"x\":\"\xff\"}", PAY_ERR_JWE_HEADER, "not valid UTF-8 (byte 34 "},
        {"{" AE ",\"x\":\"\xed\xa0\x80\"}", PAY_ERR_JWE_HEADER, "not valid UTF-8"},
        {"{" AE ",\"x\":\"\xc0\xaf\"}", PAY_ERR_JWE_HEADER, "not valid UTF-8"},
        {"{" AE ",\"x\":[[[[[[[[[[1]]]]]]]]]]}", PAY_ERR_JWE_HEADER, "nests deeper than 8"},
        /* Positive controls: insignificant whitespace, brackets inside strings,
         * a UTF-8 value, nesting within the limit. */
        {"{ \"alg\" : \"dir\" ,\n \"enc\" : \"A256GCM\" }", PAY_OK, NULL},
        {"{" AE ",\"x\":\"[[[[[[[[[[[[{{{{{{{{{\"}", PAY_OK, NULL},
        {"{" AE ",\"x\":\"\xea\xb9\x80\"}", PAY_OK, NULL},
        {"{" AE ",\"x\":[[[[[[[1]]]]]]]}", PAY_OK, NULL},
    };
    run_hdr_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule03_header_size_limit(void)
{
    pay_error e;
    const char *pre = "{" AE ",\"pad\":\"", *post = "\"}";
    size_t fixed = strlen(pre) + strlen(post);
    char *h = malloc(PAY_JWE_HEADER_MAX + 2);
    REQUIRE(h);
    /* Exactly at the limit: accepted. */
    memcpy(h, pre, strlen(pre));
    memset(h + strlen(pre), 'x', PAY_JWE_HEADER_MAX - fixed);
    memcpy(h + PAY_JWE_HEADER_MAX - strlen(post), post, strlen(post) + 1);
    REQUIRE(strlen(h) == PAY_JWE_HEADER_MAX);
    CHECK_EQ_INT(open_hdr(h, &e), PAY_OK);
    /* One byte over. */
    memcpy(h, pre, strlen(pre));
    memset(h + strlen(pre), 'x', PAY_JWE_HEADER_MAX + 1 - fixed);
    memcpy(h + PAY_JWE_HEADER_MAX + 1 - strlen(post), post, strlen(post) + 1);
    REQUIRE(strlen(h) == PAY_JWE_HEADER_MAX + 1);
    CHECK_ERR(open_hdr(h, &e), PAY_ERR_JWE_HEADER,
              "protected header is 4097 bytes; the limit is 4096");
    free(h);
}

static void test_rule03_alg_enc(void)
{
    static const struct hdr_case cases[] = {
        {"{\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "protected header has no \"alg\" member"},
        {"{\"alg\":\"none\",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG,
         "alg \"none\" is not supported (only \"dir\")"},
        {"{\"alg\":\"DIR\",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "alg \"DIR\""},
        {"{\"alg\":\"A256KW\",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "alg \"A256KW\""},
        {"{\"alg\":\"dir \",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "alg \"dir \""},
        {"{\"alg\":null,\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "alg must be the string \"dir\""},
        {"{\"alg\":[\"dir\"],\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "must be the string"},
        {"{\"alg\":\"dir\\n\",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_ALG, "alg \"dir?\""},
        {"{\"alg\":\""
         "0123456789012345678901234567890123456789012345678901234567890123456789"
         "\",\"enc\":\"A256GCM\"}",
         PAY_ERR_JWE_ALG, "alg \"0123456789012345678901234567890123456789...\""},
        {"{\"alg\":\"dir\"}", PAY_ERR_JWE_ENC, "protected header has no \"enc\" member"},
        {"{\"alg\":\"dir\",\"enc\":\"A256CBC-HS512\"}", PAY_ERR_JWE_ENC,
         "enc \"A256CBC-HS512\" is not supported (only A128GCM, A192GCM, A256GCM)"},
        {"{\"alg\":\"dir\",\"enc\":\"a256gcm\"}", PAY_ERR_JWE_ENC, "enc \"a256gcm\""},
        {"{\"alg\":\"dir\",\"enc\":\"A512GCM\"}", PAY_ERR_JWE_ENC, "not supported"},
        {"{\"alg\":\"dir\",\"enc\":256}", PAY_ERR_JWE_ENC, "enc must be a string"},
        /* alg is checked before enc. */
        {"{\"alg\":\"none\",\"enc\":\"none\"}", PAY_ERR_JWE_ALG, NULL},
        {"{\"enc\":\"A256GCM\",\"alg\":\"dir\"}", PAY_OK, NULL},
    };
    run_hdr_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_rule03_member_types(void)
{
    static const struct hdr_case cases[] = {
        {"{" AE ",\"iat\":1719395000}", PAY_ERR_JWE_HEADER_MEMBER,
         "header member \"iat\" must be a string"},
        {"{" AE ",\"nonce\":{}}", PAY_ERR_JWE_HEADER_MEMBER, "\"nonce\" must be a string"},
        {"{" AE ",\"kid\":5}", PAY_ERR_JWE_HEADER_MEMBER, "\"kid\" must be a string"},
        {"{" AE ",\"typ\":null}", PAY_ERR_JWE_HEADER_MEMBER, "\"typ\" must be a string"},
        {"{" AE ",\"cty\":true}", PAY_ERR_JWE_HEADER_MEMBER, "\"cty\" must be a string"},
        /* The library does not require iat/nonce (the server does), ignores
         * typ/cty/kid and unknown members. */
        {"{" AE "}", PAY_OK, NULL},
        {"{" AE ",\"typ\":\"JOSE\",\"cty\":\"json\",\"kid\":\"k1\",\"x\":{\"y\":[1,2]}}", PAY_OK,
         NULL},
    };
    run_hdr_cases(cases, sizeof cases / sizeof cases[0]);
}

/* ---- rule 4: crit refused; zip only DEF, inflated with a cap -------------- */

static void test_rule04_crit(void)
{
    static const struct hdr_case cases[] = {
        {"{" AE ",\"crit\":[\"exp\"],\"exp\":1}", PAY_ERR_JWE_CRIT, "crit is not supported"},
        {"{" AE ",\"crit\":[]}", PAY_ERR_JWE_CRIT, "crit is not supported"},
        {"{" AE ",\"crit\":\"iat\"}", PAY_ERR_JWE_CRIT, "crit is not supported"},
        {"{" AE ",\"crit\":null}", PAY_ERR_JWE_CRIT, "crit is not supported"},
        {"{" AE ",\"zip\":\"XYZ\"}", PAY_ERR_JWE_ZIP, "zip \"XYZ\" is not supported (only DEF)"},
        {"{" AE ",\"zip\":\"def\"}", PAY_ERR_JWE_ZIP, "zip \"def\" is not supported"},
        {"{" AE ",\"zip\":\"GZIP\"}", PAY_ERR_JWE_ZIP, "(only DEF)"},
        {"{" AE ",\"zip\":1}", PAY_ERR_JWE_ZIP, "zip must be the string \"DEF\""},
    };
    run_hdr_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Raw DEFLATE (RFC 1951) of n bytes of `fill`, produced in 64 KiB steps so
 * that large bombs need no large input buffer. */
static uint8_t *deflate_fill(uint8_t fill, size_t n, size_t *out_len)
{
    z_stream zs;
    uint8_t in[65536];
    size_t cap = n / 100 + 4096, left = n;
    uint8_t *out = malloc(cap);
    memset(in, fill, sizeof in);
    memset(&zs, 0, sizeof zs);
    if (!out || deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        return NULL;
    }
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int z;
    do {
        size_t step = left < sizeof in ? left : sizeof in;
        zs.next_in = in;
        zs.avail_in = (uInt)step;
        left -= step;
        z = deflate(&zs, left ? Z_NO_FLUSH : Z_FINISH);
    } while (left && z == Z_OK && zs.avail_out);
    while (z == Z_OK && zs.avail_out)
        z = deflate(&zs, Z_FINISH);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    if (z != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static uint8_t *deflate_bytes(const void *in, size_t n, size_t *out_len, int window_bits)
{
    uLong cap = compressBound((uLong)n) + 64;
    uint8_t *out = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!out || deflateInit2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        return NULL;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int z = deflate(&zs, Z_FINISH);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    if (z != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

#define ZIP_HDR "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}"

/* Opens (with K) a token whose ciphertext is the given deflated bytes. */
static pay_err open_zip(const uint8_t *z, size_t zn, uint8_t **pt, size_t *n, pay_error *e)
{
    char *t = tu_seal_raw(&K, ZIP_HDR, base_iv, sizeof base_iv, z, zn);
    memset(e, 0, sizeof *e);
    if (!t) return PAY_ERR_INTERNAL;
    pay_err rc = pay_jwe_open(t, strlen(t), &K, pt, n, e);
    free(t);
    return rc;
}

static void test_rule04_zip_def(void)
{
    pay_error e;
    uint8_t *pt = NULL;
    size_t n = 0, zn = 0;
    uint8_t *z = deflate_bytes(BASELINE, strlen(BASELINE), &zn, -MAX_WBITS);
    REQUIRE(z);
    REQUIRE(zn != strlen(BASELINE));
    CHECK_EQ_INT(open_zip(z, zn, &pt, &n, &e), PAY_OK);
    CHECK(n == strlen(BASELINE) && pt && memcmp(pt, BASELINE, n) == 0 && pt[n] == 0);
    pay_jwe_plaintext_free(pt, n);

    /* Truncated stream, trailing bytes, garbage, a zlib (not raw) stream. */
    CHECK_ERR(open_zip(z, zn - 3, &pt, &n, &e), PAY_ERR_JWE_INFLATE, "truncated");
    CHECK(pt == NULL && n == 0);
    uint8_t *trail = malloc(zn + 4);
    memcpy(trail, z, zn);
    memcpy(trail + zn, "junk", 4);
    CHECK_ERR(open_zip(trail, zn + 4, &pt, &n, &e), PAY_ERR_JWE_INFLATE,
              "4 bytes after the end of the DEFLATE stream");
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x01};
    CHECK_ERR(open_zip(garbage, sizeof garbage, &pt, &n, &e), PAY_ERR_JWE_INFLATE,
              "not valid raw DEFLATE");
    size_t wn = 0;
    uint8_t *wrapped = deflate_bytes(BASELINE, strlen(BASELINE), &wn, MAX_WBITS);
    REQUIRE(wrapped);
    CHECK_EQ_INT(open_zip(wrapped, wn, &pt, &n, &e), PAY_ERR_JWE_INFLATE);
    CHECK_ERR(open_zip((const uint8_t *)"", 0, &pt, &n, &e), PAY_ERR_JWE_INFLATE, "truncated");
    free(z);
    free(trail);
    free(wrapped);
}

static void test_rule04_zip_cap(void)
{
    pay_error e;
    uint8_t *pt = NULL;
    size_t n = 0, zn = 0;
    /* Exactly PAY_JWE_INFLATE_MAX bytes: allowed. */
    uint8_t *z = deflate_fill('a', PAY_JWE_INFLATE_MAX, &zn);
    REQUIRE(z);
    CHECK_EQ_INT(open_zip(z, zn, &pt, &n, &e), PAY_OK);
    CHECK_EQ_INT(n, PAY_JWE_INFLATE_MAX);
    CHECK(pt && pt[0] == 'a' && pt[n - 1] == 'a' && pt[n] == 0);
    pay_jwe_plaintext_free(pt, n);
    free(z);
    /* One byte more: refused. */
    z = deflate_fill('a', PAY_JWE_INFLATE_MAX + 1, &zn);
    REQUIRE(z);
    CHECK_ERR(open_zip(z, zn, &pt, &n, &e), PAY_ERR_JWE_INFLATE,
              "inflates to more than 1048576 bytes");
    CHECK(pt == NULL && n == 0);
    free(z);
    /* A 64 MiB bomb (a ~64 KiB ciphertext) stops at the cap. */
    z = deflate_fill(0, (size_t)64 << 20, &zn);
    REQUIRE(z);
    CHECK(zn < 100000);
    CHECK_ERR(open_zip(z, zn, &pt, &n, &e), PAY_ERR_JWE_INFLATE, "decompression bomb");
    free(z);
}

/* ---- rule 5: duplicate member names -------------------------------------- */

static void test_rule05_duplicate_members(void)
{
    static const struct hdr_case cases[] = {
        {"{\"alg\":\"dir\",\"alg\":\"dir\",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_HEADER_DUP,
         "duplicate member name"},
        {"{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"enc\":\"A256GCM\"}", PAY_ERR_JWE_HEADER_DUP,
         "payoutd rejects"},
        {"{\"alg\":\"none\",\"enc\":\"A256GCM\",\"alg\":\"dir\"}", PAY_ERR_JWE_HEADER_DUP, NULL},
        /* Same name spelt with an escape. */
        {"{" AE ",\"\\u0061lg\":\"dir\"}", PAY_ERR_JWE_HEADER_DUP, NULL},
        /* Inside a nested object too. */
        {"{" AE ",\"x\":{\"a\":1,\"a\":2}}", PAY_ERR_JWE_HEADER_DUP, NULL},
        /* Names are case-sensitive: not duplicates. */
        {"{" AE ",\"iat\":\"a\",\"IAT\":\"b\"}", PAY_OK, NULL},
    };
    run_hdr_cases(cases, sizeof cases / sizeof cases[0]);
}

/* ---- rule 6: empty encrypted key ------------------------------------------ */

static void test_rule06_encrypted_key_empty(void)
{
    pay_error e;
    char *g = good_token();
    REQUIRE(g);
    char *t1 = tu_replace_segment(g, 1, "AAAA");
    CHECK_ERR(tu_open_code(t1, &K, &e), PAY_ERR_JWE_ENCRYPTED_KEY,
              "encrypted key segment must be empty for alg dir (got 4 characters)");
    uint8_t wrapped[30] = {1, 2, 3};
    char *k40 = tu_b64u(wrapped, sizeof wrapped);
    char *t2 = tu_replace_segment(g, 1, k40);
    CHECK_ERR(tu_open_code(t2, &K, &e), PAY_ERR_JWE_ENCRYPTED_KEY, "(got 40 characters)");
    free(t1);
    free(t2);
    free(k40);
    free(g);
}

/* ---- rule 7: key length == enc key length --------------------------------- */

static void test_rule07_key_length(void)
{
    pay_error e;
    uint8_t kb[32];
    memcpy(kb, K.bytes, 32);
    pay_key k16 = tu_key_bytes(kb, 16), k24 = tu_key_bytes(kb, 24);
    char *g = good_token();
    REQUIRE(g);
    CHECK_ERR(tu_open_code(g, &k16, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 16 bytes but enc A256GCM needs 32");
    CHECK_ERR(tu_open_code(g, &k24, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 24 bytes but enc A256GCM needs 32");
    /* A128GCM label on content sealed with a 32-byte key (go-jose #265). */
    char *t = seal_hdr("{\"alg\":\"dir\",\"enc\":\"A128GCM\"}");
    REQUIRE(t);
    CHECK_ERR(tu_open_code(t, &K, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 32 bytes but enc A128GCM needs 16");
    /* With a 16-byte key the label fits but the content does not verify. */
    CHECK_ERR(tu_open_code(t, &k16, &e), PAY_ERR_JWE_TAG_MISMATCH, "authentication tag mismatch");

    /* Sealing picks enc from the key length; opening needs the same key. */
    const pay_key *keys[] = {&k16, &k24, &K};
    const pay_jwe_enc encs[] = {PAY_ENC_A128GCM, PAY_ENC_A192GCM, PAY_ENC_A256GCM};
    const char *names[] = {"A128GCM", "A192GCM", "A256GCM"};
    for (int i = 0; i < 3; i++) {
        char *tok = NULL;
        size_t tl = 0;
        pay_jwe *j = NULL;
        REQUIRE(pay_jwe_seal(keys[i], (const uint8_t *)SMALL_PT, strlen(SMALL_PT), &tok, &tl, &e) ==
                PAY_OK);
        REQUIRE(pay_jwe_parse(tok, tl, &j, &e) == PAY_OK);
        CHECK_EQ_INT(pay_jwe_get_enc(j), encs[i]);
        CHECK_EQ_STR(pay_jwe_get_header(j, "enc"), names[i]);
        pay_jwe_free(j);
        for (int k = 0; k < 3; k++)
            CHECK_EQ_INT(tu_open_code(tok, keys[k], &e), k == i ? PAY_OK : PAY_ERR_JWE_KEY_SIZE);
        free(tok);
    }
    /* A pay_key of a length no enc has cannot seal. */
    pay_key odd = K;
    odd.len = 20;
    char *tok = NULL;
    size_t tl = 0;
    CHECK_ERR(pay_jwe_seal(&odd, (const uint8_t *)"{}", 2, &tok, &tl, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 20 bytes");
    CHECK(tok == NULL);
    free(t);
    free(g);
}

/* ---- rule 8: 12-byte IV --------------------------------------------------- */

static void test_rule08_iv_length(void)
{
    static const size_t lens[] = {0, 1, 8, 11, 13, 16, 32, 128, 4096};
    pay_error e;
    char want[96];
    char *g = good_token();
    REQUIRE(g);
    uint8_t *iv = calloc(1, 4096);
    REQUIRE(iv);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *t;
        if (lens[i] >= 1 && lens[i] <= PAY_GCM_IV_MAX) {
            /* A correct AES-GCM token with that IV length: only rule 8 stops it. */
            t = tu_seal_raw(&K, BASE_HDR, iv, lens[i], (const uint8_t *)SMALL_PT, strlen(SMALL_PT));
        } else {
            char *ivs = tu_b64u(iv, lens[i]);
            t = tu_replace_segment(g, 2, ivs);
            free(ivs);
        }
        REQUIRE(t);
        snprintf(want, sizeof want, "IV is %zu bytes; A256GCM requires exactly 12", lens[i]);
        CHECK_ERR(tu_open_code(t, &K, &e), PAY_ERR_JWE_IV_LENGTH, want);
        free(t);
    }
    /* The enc named is the token's. */
    pay_key k16 = tu_key_bytes(K.bytes, 16);
    char *t = tu_seal_raw(&k16, "{\"alg\":\"dir\",\"enc\":\"A128GCM\"}", iv, 16,
                          (const uint8_t *)SMALL_PT, strlen(SMALL_PT));
    REQUIRE(t);
    CHECK_ERR(tu_open_code(t, &k16, &e), PAY_ERR_JWE_IV_LENGTH,
              "IV is 16 bytes; A128GCM requires exactly 12");
    free(t);
    free(iv);
    free(g);
}

/* ---- rule 9: 16-byte tag, checked before EVP_CTRL_GCM_SET_TAG ------------- */

static void test_rule09_tag_length(void)
{
    static const size_t lens[] = {0, 1, 4, 8, 12, 13, 14, 15, 17, 32};
    pay_error e;
    char want[96];
    char *g = good_token();
    REQUIRE(g);
    char *tag_seg = tu_segment(g, 4);
    size_t tn = 0;
    uint8_t *tag = tu_unb64u(tag_seg, strlen(tag_seg), &tn);
    REQUIRE(tag && tn == 16);
    uint8_t long_tag[32] = {0};
    memcpy(long_tag, tag, 16);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        /* Truncations are genuine GCM tags of that length (cases C10). */
        char *s = tu_b64u(long_tag, lens[i]);
        char *t = tu_replace_segment(g, 4, s);
        snprintf(want, sizeof want, "authentication tag must be 16 bytes; got %zu", lens[i]);
        CHECK_ERR(tu_open_code(t, &K, &e), PAY_ERR_JWE_TAG_LENGTH, want);
        free(s);
        free(t);
    }
    free(tag_seg);
    free(tag);
    free(g);
}

/* Regression test for the code path that sets the GCM tag: OpenSSL itself
 * verifies a truncated 12-byte tag, so only our length check stops it. */
static void test_rule09_raw_layer_refuses_short_tag(void)
{
    const uint8_t pt[] = "attack at dawn";
    const size_t n = sizeof pt - 1;
    const uint8_t aad[] = "hdr";
    uint8_t ct[32], tag[16], out[32];
    REQUIRE(pay_gcm_encrypt(K.bytes, 32, base_iv, 12, aad, 3, pt, n, ct, tag) == PAY_OK);

    /* Bare EVP with the attacker's length: accepted. */
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0, ok;
    REQUIRE(ctx);
    ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, K.bytes, base_iv) &&
         EVP_DecryptUpdate(ctx, NULL, &outl, aad, 3) &&
         EVP_DecryptUpdate(ctx, out, &outl, ct, (int)n) &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 12, tag) &&
         EVP_DecryptFinal_ex(ctx, out + outl, &outl) == 1;
    EVP_CIPHER_CTX_free(ctx);
    CHECK_MSG(ok, "OpenSSL no longer accepts 12-byte GCM tags; revisit this test");

    /* Ours: refused, and the output buffer is wiped. */
    memset(out, 0xAA, sizeof out);
    CHECK_EQ_INT(pay_gcm_decrypt(K.bytes, 32, base_iv, 12, aad, 3, ct, n, tag, 12, out),
                 PAY_ERR_INVALID_ARG);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(out[i], 0);
    CHECK_EQ_INT(pay_gcm_decrypt(K.bytes, 32, base_iv, 12, aad, 3, ct, n, tag, 17, out),
                 PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_gcm_decrypt(K.bytes, 32, base_iv, 12, aad, 3, ct, n, tag, 16, out), PAY_OK);
    CHECK(memcmp(out, pt, n) == 0);
}

/* ---- rule 10: AAD = the received header segment --------------------------- */

static void test_rule10_aad_is_received_segment(void)
{
    pay_error e;
    char *g = good_token();
    REQUIRE(g);
    /* The same members in another order (what a re-serializing producer or
     * consumer would authenticate): a different AAD, so the tag fails. */
    const char *reordered = "{\"enc\":\"A256GCM\",\"iat\":\"2025-06-26T18:42:46+09:00\",\"nonce\":"
                            "\"5f0c2a9e-1b7d-4e3a-9c8f-2d6b4a1e0f93\",\"alg\":\"dir\"}";
    char *h = tu_b64u(reordered, strlen(reordered));
    char *t1 = tu_replace_segment(g, 0, h);
    CHECK_ERR(tu_open_code(t1, &K, &e), PAY_ERR_JWE_TAG_MISMATCH, "authentication tag mismatch");
    /* Insignificant whitespace added to the JSON: also a different AAD. */
    const char *spaced =
        "{\"alg\": \"dir\",\"enc\":\"A256GCM\",\"iat\":\"2025-06-26T18:42:46+09:00\",\"nonce\":"
        "\"5f0c2a9e-1b7d-4e3a-9c8f-2d6b4a1e0f93\"}";
    char *h2 = tu_b64u(spaced, strlen(spaced));
    char *t2 = tu_replace_segment(g, 0, h2);
    CHECK_ERR(tu_open_code(t2, &K, &e), PAY_ERR_JWE_TAG_MISMATCH, "authentication tag mismatch");

    /* Tag computed with empty AAD (case C05): refused, never retried. */
    uint8_t ct[64], tag[16];
    REQUIRE(pay_gcm_encrypt(K.bytes, 32, base_iv, 12, NULL, 0, (const uint8_t *)SMALL_PT,
                            strlen(SMALL_PT), ct, tag) == PAY_OK);
    char *hs = tu_b64u(BASE_HDR, strlen(BASE_HDR)), *ivs = tu_b64u(base_iv, 12),
         *cts = tu_b64u(ct, strlen(SMALL_PT)), *tags = tu_b64u(tag, 16);
    char *t3 = tu_join(hs, "", ivs, cts, tags);
    CHECK_ERR(tu_open_code(t3, &K, &e), PAY_ERR_JWE_TAG_MISMATCH, "authentication tag mismatch");

    /* The segment kept by the parser is the received text, byte for byte. */
    pay_jwe *j = NULL;
    size_t n = 0;
    REQUIRE(pay_jwe_parse(g, strlen(g), &j, &e) == PAY_OK);
    const char *seg = pay_jwe_get_header_segment(j, &n);
    CHECK(n == strlen(hs) && memcmp(seg, hs, n) == 0 && seg[n] == 0);
    pay_jwe_free(j);

    char *all[] = {h, t1, h2, t2, hs, ivs, cts, tags, t3, g};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

/* Case C04: sealing serializes the header once; a header whose member order
 * differs from the library's own is sent and authenticated as given. */
static void test_header_serialized_once(void)
{
    const char *hdr = "{\"enc\":\"A256GCM\",\"iat\":\"2025-06-26T18:42:46.356259315+09:00\","
                      "\"nonce\":\"0b9e6a4c-7d21-4f58-a3e0-6c1d2b8f9a47\",\"alg\":\"dir\"}";
    pay_jwe_seal_opts o = {.test_header_json = hdr};
    pay_error e = {0};
    char *t = NULL;
    size_t tl = 0, n = 0;
    uint8_t *pt = NULL;
    REQUIRE(pay_jwe_seal_ex(&K, &o, (const uint8_t *)BASELINE, strlen(BASELINE), &t, &tl, &e) ==
            PAY_OK);
    char *seg0 = tu_segment(t, 0), *want = tu_b64u(hdr, strlen(hdr));
    CHECK_EQ_STR(seg0, want);
    CHECK_EQ_INT(pay_jwe_open(t, tl, &K, &pt, &n, &e), PAY_OK);
    CHECK(n == strlen(BASELINE) && memcmp(pt, BASELINE, n) == 0);
    pay_jwe_plaintext_free(pt, n);
    pay_jwe *j = NULL;
    REQUIRE(pay_jwe_parse(t, tl, &j, &e) == PAY_OK);
    const char *json = pay_jwe_get_header_json(j, &n);
    CHECK(n == strlen(hdr) && memcmp(json, hdr, n) == 0);
    CHECK_EQ_STR(pay_jwe_get_header(j, "iat"), "2025-06-26T18:42:46.356259315+09:00");
    pay_jwe_free(j);
    free(seg0);
    free(want);
    free(t);
}

/* ---- rule 11: no plaintext before the tag verifies ----------------------- */

static void test_rule11_no_plaintext_on_failure(void)
{
    pay_error e;
    char *g = good_token();
    REQUIRE(g);
    size_t offs[] = {seg_offset(g, 2) + 2, seg_offset(g, 3), seg_offset(g, 3) + 40,
                     seg_offset(g, 4) + 3};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        char *t = strdup(g);
        t[offs[i]] = t[offs[i]] == 'A' ? 'B' : 'A';
        uint8_t sentinel = 0;
        uint8_t *pt = &sentinel;
        size_t n = 12345;
        memset(&e, 0, sizeof e);
        CHECK_EQ_INT(pay_jwe_open(t, strlen(t), &K, &pt, &n, &e), PAY_ERR_JWE_TAG_MISMATCH);
        CHECK_EQ_STR(e.message, TAG_MISMATCH_MSG);
        CHECK(pt == NULL);
        CHECK_EQ_INT(n, 0);
        free(t);
    }
    /* Wrong key: same outcome. */
    pay_key other = K;
    other.bytes[0] ^= 1;
    CHECK_ERR(tu_open_code(g, &other, &e), PAY_ERR_JWE_TAG_MISMATCH, TAG_MISMATCH_MSG);

    /* The raw layer wipes what it decrypted before the tag check failed. */
    uint8_t ct[64], tag[16], out[64];
    size_t n = strlen(SMALL_PT);
    REQUIRE(pay_gcm_encrypt(K.bytes, 32, base_iv, 12, NULL, 0, (const uint8_t *)SMALL_PT, n, ct,
                            tag) == PAY_OK);
    tag[15] ^= 0x80;
    memset(out, 0xAA, sizeof out);
    CHECK_EQ_INT(pay_gcm_decrypt(K.bytes, 32, base_iv, 12, NULL, 0, ct, n, tag, 16, out),
                 PAY_ERR_JWE_TAG_MISMATCH);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(out[i], 0);
    CHECK_EQ_INT(out[n], 0xAA); /* and nothing past the plaintext length */
    free(g);
}

/* ---- rule 12: length cap before decoding ---------------------------------- */

static void test_rule12_length_cap(void)
{
    pay_error e;
    size_t big = (size_t)PAY_JWE_TOKEN_MAX + 1;
    char *t = malloc(big + 1);
    REQUIRE(t);
    memset(t, 'A', big);
    t[big] = 0;
    CHECK_ERR(open_n(t, big, &e), PAY_ERR_JWE_TOO_LONG,
              "token is 1048577 characters; the limit is 1048576");
    /* Checked first: a long run of whitespace is still "too long". */
    memset(t, ' ', big);
    CHECK_ERR(open_n(t, big, &e), PAY_ERR_JWE_TOO_LONG, "the limit is 1048576");
    free(t);

    /* Sealing goes further than pay_jwe_parse's cap (responses can be large):
     * a token just over 1 MiB seals, pay_jwe_parse refuses it, and
     * pay_jwe_parse_limit with a larger cap opens it. */
    size_t n = (PAY_JWE_TOKEN_MAX / 4) * 3;
    uint8_t *pt = malloc(n);
    REQUIRE(pt);
    memset(pt, 'a', n);
    pay_jwe_seal_opts o = {.test_iv = base_iv, .test_header_json = BASE_HDR};
    char *tok = NULL;
    size_t tl = 0;
    CHECK_EQ_INT(pay_jwe_seal_ex(&K, &o, pt, n, &tok, &tl, &e), PAY_OK);
    CHECK(tl > PAY_JWE_TOKEN_MAX);
    CHECK_ERR(open_n(tok, tl, &e), PAY_ERR_JWE_TOO_LONG, "the limit is 1048576");
    pay_jwe *j = NULL;
    CHECK_EQ_INT(pay_jwe_parse_limit(tok, tl, PAY_JWE_SEAL_MAX, &j, &e), PAY_OK);
    uint8_t *back = NULL;
    size_t back_len = 0;
    CHECK_EQ_INT(j ? pay_jwe_decrypt(j, &K, &back, &back_len, &e) : PAY_ERR_INTERNAL, PAY_OK);
    CHECK(back_len == n && back && memcmp(back, pt, n) == 0);
    pay_jwe_plaintext_free(back, back_len);
    pay_jwe_free(j);
    free(tok);
    free(pt);

    /* The seal cap itself: refused before any work, no output. */
    n = (size_t)PAY_JWE_SEAL_MAX / 4 * 3 + 3;
    pt = malloc(n);
    REQUIRE(pt);
    memset(pt, 'a', n);
    tok = NULL;
    CHECK_ERR(pay_jwe_seal_ex(&K, &o, pt, n, &tok, &tl, &e), PAY_ERR_JWE_PLAINTEXT,
              "over the limit of 67108864");
    CHECK(tok == NULL);
    free(pt);
}

/* ---- sealing --------------------------------------------------------------- */

static bool is_hex_lower(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool uuid_v4(const char *s)
{
    if (!s || strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!is_hex_lower(s[i])) {
            return false;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static bool iat_kst(const char *s)
{
    /* yyyy-MM-ddTHH:mm:ss+09:00 */
    const char *shape = "dddd-dd-ddTdd:dd:dd+09:00";
    if (!s || strlen(s) != strlen(shape)) return false;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Cases C18/C19: 10,000 seals give 10,000 nonces and 10,000 IVs. */
static void test_seal_10000_distinct_nonces_and_ivs(void)
{
    enum { N = 10000 };
    char **nonces = calloc(N, sizeof *nonces), **ivs = calloc(N, sizeof *ivs);
    pay_error e = {0};
    REQUIRE(nonces && ivs);
    int64_t before = pay_real_now_us();
    for (int i = 0; i < N; i++) {
        char *t = NULL;
        size_t tl = 0;
        pay_jwe *j = NULL;
        if (pay_jwe_seal(&K, (const uint8_t *)"{}", 2, &t, &tl, &e) != PAY_OK ||
            pay_jwe_parse(t, tl, &j, &e) != PAY_OK) {
            pay_test_fail(__FILE__, __LINE__, "seal/parse %d: %s", i, e.message);
            free(t);
            break;
        }
        const char *nonce = pay_jwe_get_header(j, "nonce"), *iat = pay_jwe_get_header(j, "iat");
        CHECK_MSG(uuid_v4(nonce), "nonce %s is not a lowercase UUID v4", nonce ? nonce : "(null)");
        CHECK_MSG(iat_kst(iat), "iat %s is not yyyy-MM-ddTHH:mm:ss+09:00", iat ? iat : "(null)");
        int64_t us = 0;
        if (iat && pay_parse_iat(iat, strlen(iat), &us, &e) == PAY_OK)
            CHECK(us >= before / PAY_US_PER_SEC * PAY_US_PER_SEC &&
                  us <= pay_real_now_us() + PAY_US_PER_SEC);
        else
            CHECK_MSG(0, "iat does not parse: %s", e.message);
        nonces[i] = strdup(nonce ? nonce : "");
        ivs[i] = tu_segment(t, 2);
        pay_jwe_free(j);
        free(t);
    }
    qsort(nonces, N, sizeof *nonces, cmp_str);
    qsort(ivs, N, sizeof *ivs, cmp_str);
    int dup_nonce = 0, dup_iv = 0;
    for (int i = 1; i < N; i++) {
        if (!nonces[i] || !ivs[i]) continue;
        dup_nonce += strcmp(nonces[i - 1], nonces[i]) == 0;
        dup_iv += strcmp(ivs[i - 1], ivs[i]) == 0;
    }
    CHECK_EQ_INT(dup_nonce, 0);
    CHECK_EQ_INT(dup_iv, 0);
    for (int i = 0; i < N; i++) {
        free(nonces[i]);
        free(ivs[i]);
    }
    free(nonces);
    free(ivs);
}

static void test_seal_default_header(void)
{
    pay_error e = {0};
    char *t = NULL;
    size_t tl = 0, hl = 0;
    pay_jwe *j = NULL;
    REQUIRE(pay_jwe_seal(&K, (const uint8_t *)SMALL_PT, strlen(SMALL_PT), &t, &tl, &e) == PAY_OK);
    CHECK_EQ_INT(strlen(t), tl);
    REQUIRE(pay_jwe_parse(t, tl, &j, &e) == PAY_OK);
    const char *iat = pay_jwe_get_header(j, "iat"), *nonce = pay_jwe_get_header(j, "nonce");
    REQUIRE(iat && nonce);
    char want[256];
    snprintf(want, sizeof want,
             "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\":\"%s\",\"nonce\":\"%s\"}", iat, nonce);
    CHECK_EQ_STR(pay_jwe_get_header_json(j, &hl), want);
    CHECK_EQ_INT(hl, strlen(want));
    CHECK(strstr(t, "..") != NULL); /* empty encrypted key */
    char *ivs = tu_segment(t, 2), *tags = tu_segment(t, 4);
    CHECK_EQ_INT(strlen(ivs), 16);
    CHECK_EQ_INT(strlen(tags), 22);
    free(ivs);
    free(tags);
    pay_jwe_free(j);
    free(t);
}

static void test_seal_opts_iat_nonce(void)
{
    pay_error e = {0};
    pay_jwe *j = NULL;
    char *t = NULL;
    size_t tl = 0, hl = 0;
    pay_jwe_seal_opts o = {.iat = "2024-08-07T22:00:00+09:00", .nonce = "n-1", .test_iv = base_iv};
    REQUIRE(pay_jwe_seal_ex(&K, &o, (const uint8_t *)"{}", 2, &t, &tl, &e) == PAY_OK);
    REQUIRE(pay_jwe_parse(t, tl, &j, &e) == PAY_OK);
    CHECK_EQ_STR(pay_jwe_get_header_json(j, &hl),
                 "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\":\"2024-08-07T22:00:00+09:00\","
                 "\"nonce\":\"n-1\"}");
    char *ivs = tu_segment(t, 2);
    CHECK_EQ_STR(ivs, "obLD1OX2BxgpOktc");
    free(ivs);
    pay_jwe_free(j);
    free(t);

    /* Values that need escaping come back out exactly. */
    const char *iat = "a\"b\\c\nd\x01\x1f\t\xea\xb9\x80/";
    const char *nonce = "</script>\"\\u0000";
    pay_jwe_seal_opts o2 = {.iat = iat, .nonce = nonce};
    REQUIRE(pay_jwe_seal_ex(&K, &o2, (const uint8_t *)"{}", 2, &t, &tl, &e) == PAY_OK);
    REQUIRE(pay_jwe_parse(t, tl, &j, &e) == PAY_OK);
    CHECK_EQ_STR(pay_jwe_get_header(j, "iat"), iat);
    CHECK_EQ_STR(pay_jwe_get_header(j, "nonce"), nonce);
    CHECK_CONTAINS(pay_jwe_get_header_json(j, &hl),
                   "\"iat\":\"a\\\"b\\\\c\\nd\\u0001\\u001f\\t\xea\xb9\x80/\"");
    CHECK_EQ_INT(tu_open_code(t, &K, &e), PAY_OK);
    pay_jwe_free(j);
    free(t);
    t = NULL;

    /* Not UTF-8, or too long for the header cap: refused. */
    pay_jwe_seal_opts o3 = {.iat = "\xb1\xe8"};
    CHECK_ERR(pay_jwe_seal_ex(&K, &o3, (const uint8_t *)"{}", 2, &t, &tl, &e), PAY_ERR_INVALID_ARG,
              "iat is not valid UTF-8");
    char *huge = malloc(PAY_JWE_HEADER_MAX + 1);
    memset(huge, 'n', PAY_JWE_HEADER_MAX);
    huge[PAY_JWE_HEADER_MAX] = 0;
    pay_jwe_seal_opts o4 = {.nonce = huge};
    CHECK_ERR(pay_jwe_seal_ex(&K, &o4, (const uint8_t *)"{}", 2, &t, &tl, &e), PAY_ERR_INVALID_ARG,
              "longer than 4096 bytes");
    CHECK(t == NULL);
    free(huge);
}

/* Case C20: Korean text survives both ways, byte for byte. */
static void test_korean_round_trip(void)
{
    const char *texts[] = {
        "\xea\xb9\x80\xed\x86\xa0\xec\x8a\xa4",                          /* 김토스 */
        "8\xec\x9b\x94\xeb\x8c\x80\xea\xb8\x88\xec\xa7\x80\xea\xb8\x89", /* 8월대금지급 */
        BASELINE,
        "{\"name\":\"\xea\xb9\x80\xed\x86\xa0\xec\x8a\xa4\",\"e\":\"\xf0\x9f\x98\x80\"}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        pay_error e = {0};
        char *t = NULL;
        size_t tl = 0, n = 0;
        uint8_t *pt = NULL;
        REQUIRE(pay_jwe_seal(&K, (const uint8_t *)texts[i], strlen(texts[i]), &t, &tl, &e) ==
                PAY_OK);
        CHECK_EQ_INT(pay_jwe_open(t, tl, &K, &pt, &n, &e), PAY_OK);
        CHECK_EQ_INT(n, strlen(texts[i]));
        CHECK_EQ_STR((const char *)pt, texts[i]);
        CHECK(pt && pay_utf8_valid((const char *)pt, n, NULL));
        pay_jwe_plaintext_free(pt, n);
        free(t);
    }
}

static void test_seal_refuses_non_utf8(void)
{
    const struct {
        const char *bytes;
        const char *phrase;
    } cases[] = {
        {"{\"name\":\"\xb1\xe8\xc5\xe4\xbd\xba\"}", "not valid UTF-8 at byte offset 9"}, /* CP949 */
        {"\x80", "byte offset 0"},
        {"ab\xc0\xaf", "byte offset 2"},      /* overlong '/' */
        {"abc\xed\xa0\x80", "byte offset 3"}, /* surrogate */
        {"abcd\xea\xb9", "byte offset 4"},    /* truncated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pay_error e = {0};
        char *t = NULL;
        size_t tl = 0;
        CHECK_ERR(
            pay_jwe_seal(&K, (const uint8_t *)cases[i].bytes, strlen(cases[i].bytes), &t, &tl, &e),
            PAY_ERR_JWE_PLAINTEXT, cases[i].phrase);
        CHECK(t == NULL && tl == 0);
    }
}

static void test_empty_and_chunked_plaintexts(void)
{
    /* 0 bytes, and sizes around the sealer's 3 KiB chunk. */
    static const size_t sizes[] = {0, 1, 2, 3, 3071, 3072, 3073, 6144, 10000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        pay_error e = {0};
        char *t = NULL;
        size_t tl = 0, n = 99;
        uint8_t *pt = NULL;
        uint8_t *in = malloc(sizes[i] + 1);
        for (size_t k = 0; k < sizes[i]; k++)
            in[k] = (uint8_t)('a' + k % 26);
        REQUIRE(pay_jwe_seal(&K, in, sizes[i], &t, &tl, &e) == PAY_OK);
        CHECK_EQ_INT(pay_jwe_open(t, tl, &K, &pt, &n, &e), PAY_OK);
        CHECK_EQ_INT(n, sizes[i]);
        CHECK(pt != NULL && pt[n] == 0 && memcmp(pt, in, n) == 0);
        /* The chunked ciphertext equals one-shot AES-GCM of the same input. */
        pay_jwe *j = NULL;
        REQUIRE(pay_jwe_parse(t, tl, &j, &e) == PAY_OK);
        size_t hn = 0;
        const char *hs = pay_jwe_get_header_segment(j, &hn);
        uint8_t *ct = malloc(sizes[i] + 1), tag[16];
        REQUIRE(pay_gcm_encrypt(K.bytes, 32, pay_jwe_get_iv(j), 12, (const uint8_t *)hs, hn, in,
                                sizes[i], ct, tag) == PAY_OK);
        CHECK(memcmp(ct, pay_jwe_get_ciphertext(j), sizes[i]) == 0);
        CHECK(memcmp(tag, pay_jwe_get_tag(j), 16) == 0);
        free(ct);
        pay_jwe_free(j);
        pay_jwe_plaintext_free(pt, n);
        free(in);
        free(t);
    }
}

static void test_accessors_and_args(void)
{
    pay_error e = {0};
    pay_jwe *j = (pay_jwe *)&e; /* must be reset to NULL on failure */
    char *g = good_token();
    REQUIRE(g);
    CHECK_EQ_INT(pay_jwe_parse("x", 1, &j, &e), PAY_ERR_JWE_SEGMENTS);
    CHECK(j == NULL);
    REQUIRE(pay_jwe_parse(g, strlen(g), &j, &e) == PAY_OK);
    CHECK_EQ_INT(pay_jwe_get_enc(j), PAY_ENC_A256GCM);
    CHECK_EQ_STR(pay_jwe_get_header(j, "alg"), "dir");
    CHECK_EQ_STR(pay_jwe_get_header(j, "enc"), "A256GCM");
    CHECK_EQ_STR(pay_jwe_get_header(j, "iat"), "2025-06-26T18:42:46+09:00");
    CHECK_EQ_STR(pay_jwe_get_header(j, "nonce"), "5f0c2a9e-1b7d-4e3a-9c8f-2d6b4a1e0f93");
    CHECK(pay_jwe_get_header(j, "zip") == NULL);
    CHECK(pay_jwe_get_header(j, NULL) == NULL);
    size_t n = 0;
    CHECK_EQ_STR(pay_jwe_get_header_json(j, &n), BASE_HDR);
    CHECK_EQ_INT(n, strlen(BASE_HDR));
    CHECK(memcmp(pay_jwe_get_iv(j), base_iv, 12) == 0);
    CHECK_EQ_INT(pay_jwe_get_ciphertext_len(j), strlen(BASELINE));
    CHECK(pay_jwe_get_ciphertext(j) != NULL && pay_jwe_get_tag(j) != NULL);
    /* The handle does not borrow the caller's token. */
    memset(g, 'x', strlen(g));
    uint8_t *pt = NULL;
    CHECK_EQ_INT(pay_jwe_decrypt(j, &K, &pt, &n, &e), PAY_OK);
    CHECK_EQ_STR((const char *)pt, BASELINE);
    pay_jwe_plaintext_free(pt, n);
    CHECK_EQ_INT(pay_jwe_decrypt(j, NULL, &pt, &n, &e), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_jwe_decrypt(NULL, &K, &pt, &n, &e), PAY_ERR_INVALID_ARG);
    pay_jwe_free(j);

    /* A non-string member is NULL through the accessor. */
    char *t = seal_hdr("{" AE ",\"kid2\":5}");
    REQUIRE(pay_jwe_parse(t, strlen(t), &j, &e) == PAY_OK);
    CHECK(pay_jwe_get_header(j, "kid2") == NULL);
    pay_jwe_free(j);
    free(t);

    CHECK_EQ_INT(pay_jwe_parse(NULL, 5, &j, &e), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_jwe_parse("a", 1, NULL, &e), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_jwe_seal(&K, (const uint8_t *)"{}", 2, NULL, NULL, &e), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_jwe_seal(NULL, (const uint8_t *)"{}", 2, &t, NULL, &e), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_jwe_seal(&K, NULL, 2, &t, NULL, &e), PAY_ERR_INVALID_ARG);
    /* NULL error struct is allowed. */
    CHECK_EQ_INT(pay_jwe_open("x", 1, &K, &pt, &n, NULL), PAY_ERR_JWE_SEGMENTS);
    CHECK_EQ_INT(pay_jwe_get_enc(NULL), PAY_ENC_NONE);
    CHECK(pay_jwe_get_header_json(NULL, &n) == NULL && n == 0);
    pay_jwe_free(NULL);
    pay_jwe_plaintext_free(NULL, 10);
    free(g);
}

/* Reentrancy: threads sealing and opening at once (the EVP_CIPHER fetch is
 * shared; every other piece of state is per call). */
enum { THREADS = 8, ROUNDS = 200 };

static void *seal_open_loop(void *arg)
{
    long failures = 0;
    const char *pt = arg;
    for (int i = 0; i < ROUNDS; i++) {
        pay_error e = {0};
        char *t = NULL;
        size_t tl = 0, n = 0;
        uint8_t *out = NULL;
        if (pay_jwe_seal(&K, (const uint8_t *)pt, strlen(pt), &t, &tl, &e) != PAY_OK ||
            pay_jwe_open(t, tl, &K, &out, &n, &e) != PAY_OK || n != strlen(pt) ||
            memcmp(out, pt, n) != 0)
            failures++;
        pay_jwe_plaintext_free(out, n);
        free(t);
    }
    return (void *)failures;
}

static void test_threads_seal_and_open(void)
{
    pthread_t th[THREADS];
    int started = 0;
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, seal_open_loop, i % 2 ? BASELINE : SMALL_PT) == 0)
            started++;
    CHECK_EQ_INT(started, THREADS);
    long failures = 0;
    for (int i = 0; i < started; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        failures += (long)r;
    }
    CHECK_EQ_INT(failures, 0);
}

/* Each thread keeps its cipher contexts keyed with the last key: switching
 * keys, A128 vs A256, a failed open, and pay_jwe_thread_wipe must never let
 * one key's context serve another key. */
static void test_cached_context_follows_the_key(void)
{
    pay_key other = tu_key_hex("6b3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63");
    pay_key k128;
    pay_error e = {0};
    REQUIRE(pay_key_from_bytes(&k128, K.bytes, 16, &e) == PAY_OK);
    const pay_key *keys[] = {&K, &other, &k128, &K, &k128, &other, &K};
    for (size_t round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const pay_key *k = keys[i];
            const pay_key *wrong = keys[(i + 1) % (sizeof keys / sizeof keys[0])];
            char *t = NULL;
            size_t tl = 0, n = 0;
            uint8_t *out = NULL;
            REQUIRE(pay_jwe_seal(k, (const uint8_t *)SMALL_PT, strlen(SMALL_PT), &t, &tl, &e) ==
                    PAY_OK);
            /* the wrong key fails (tag, or size for another enc), then the
             * right one opens: a context keyed for the wrong one is re-keyed */
            pay_err rc = pay_jwe_open(t, tl, wrong, &out, &n, &e);
            if (wrong->len == k->len && memcmp(wrong->bytes, k->bytes, k->len) != 0)
                CHECK_EQ_INT(rc, PAY_ERR_JWE_TAG_MISMATCH);
            CHECK(out == NULL || memcmp(wrong->bytes, k->bytes, k->len) == 0);
            pay_jwe_plaintext_free(out, n);
            out = NULL;
            n = 0;
            CHECK_EQ_INT(pay_jwe_open(t, tl, k, &out, &n, &e), PAY_OK);
            CHECK(n == strlen(SMALL_PT) && memcmp(out, SMALL_PT, n) == 0);
            pay_jwe_plaintext_free(out, n);
            free(t);
            if (i == 3) pay_jwe_thread_wipe(); /* and everything still works after */
        }
    }
    pay_jwe_thread_wipe();
    pay_jwe_thread_wipe(); /* twice is harmless */
    pay_key_wipe(&other);
    pay_key_wipe(&k128);
}

static void setup(void)
{
    K = tu_key_hex(FIXTURE_KEY_HEX);
}

PAY_TEST_MAIN(setup(), PAY_TEST(test_good_token_is_v0), PAY_TEST(test_rule01_segments),
              PAY_TEST(test_rule01_whitespace), PAY_TEST(test_rule02_strict_base64url),
              PAY_TEST(test_rule03_header_json_object), PAY_TEST(test_rule03_header_size_limit),
              PAY_TEST(test_rule03_alg_enc), PAY_TEST(test_rule03_member_types),
              PAY_TEST(test_rule04_crit), PAY_TEST(test_rule04_zip_def),
              PAY_TEST(test_rule04_zip_cap), PAY_TEST(test_rule05_duplicate_members),
              PAY_TEST(test_rule06_encrypted_key_empty), PAY_TEST(test_rule07_key_length),
              PAY_TEST(test_rule08_iv_length), PAY_TEST(test_rule09_tag_length),
              PAY_TEST(test_rule09_raw_layer_refuses_short_tag),
              PAY_TEST(test_rule10_aad_is_received_segment), PAY_TEST(test_header_serialized_once),
              PAY_TEST(test_rule11_no_plaintext_on_failure), PAY_TEST(test_rule12_length_cap),
              PAY_TEST(test_seal_10000_distinct_nonces_and_ivs), PAY_TEST(test_seal_default_header),
              PAY_TEST(test_seal_opts_iat_nonce), PAY_TEST(test_korean_round_trip),
              PAY_TEST(test_seal_refuses_non_utf8), PAY_TEST(test_empty_and_chunked_plaintexts),
              PAY_TEST(test_accessors_and_args), PAY_TEST(test_threads_seal_and_open),
              PAY_TEST(test_cached_context_follows_the_key))
