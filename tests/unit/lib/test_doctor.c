/*
 * pay_jwe_inspect, pay_jwe_doctor, pay_jwe_doctor_many and
 * pay_jwe_plaintext_check against the failure cases of
 * ../shared/cases/README.md that concern tokens, keys or plaintexts
 * (C01 C02 C04 C05 C06 C07 C09 C10 C11 C13 C15 C16 C18 C19 C20) and the real
 * Toss token of spec §8.10. Vectors come byte-exact from
 * tests/fixtures/jwe_cases.json; tokens the cases describe but do not print
 * (double-encoded plaintext, a token under a 00-leading key...) are sealed
 * here with the public sealer or the raw GCM layer.
 *
 * Each check names the diagnosis the case asks for: the verdict, and the
 * phrase of the headline or of a finding that carries it.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jwe_test_util.h"
#include "payout/doctor.h"

/* "now" of case C16, also used for every other case so that the vectors'
 * iat (2025-06-26T18:42:46+09:00) is current. */
#define CASE_NOW "2025-06-26T18:42:46+09:00"

static json_t *fx;
/* Reports are large (fixed-size arrays); keep them off the stack. */
static pay_doctor_report rep;
static pay_doctor_report reps[3];
static pay_doctor_summary sum;
static pay_jwe_report ins;

static const char *vec(const char *name)
{
    json_t *c;
    size_t i;
    json_array_foreach(json_object_get(fx, "cases"), i,
                       c) if (strcmp(json_string_value(json_object_get(c, "name")), name) ==
                              0) return json_string_value(json_object_get(c, "token"));
    pay_test_fail(__FILE__, __LINE__, "no vector %s", name);
    return "";
}

static pay_doctor_opts case_opts(void)
{
    pay_doctor_opts o;
    memset(&o, 0, sizeof o);
    o.has_now = true;
    if (pay_parse_iat(CASE_NOW, strlen(CASE_NOW), &o.now_unix_us, NULL) != PAY_OK)
        pay_test_fail(__FILE__, __LINE__, "cannot parse %s", CASE_NOW);
    return o;
}

/* Runs the doctor with the fixture key text (or key) and case "now". */
static const pay_doctor_report *doctor_key(const char *token, size_t len, const char *key,
                                           size_t key_len, const pay_doctor_opts *o)
{
    pay_doctor_opts d = case_opts();
    if (!o) o = &d;
    pay_err rc = pay_jwe_doctor(token, len, key, key_len, o, &rep);
    if (rc != PAY_OK) pay_test_fail(__FILE__, __LINE__, "pay_jwe_doctor: %s", pay_err_name(rc));
    return &rep;
}

static const pay_doctor_report *doctor(const char *token)
{
    return doctor_key(token, strlen(token), FIXTURE_KEY_HEX, 64, NULL);
}

/* The findings of a report, one per line, for CHECK_CONTAINS. */
static const char *all_findings(const pay_finding *f, size_t n)
{
    static char buf[PAY_DOCTOR_FINDINGS_MAX * (PAY_FINDING_TEXT_MAX + 16)];
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "[%s r%u] %s\n",
                              pay_finding_level_name(f[i].level), f[i].rule, f[i].text);
    return buf;
}

#define FINDINGS(r) all_findings((r)->findings, (r)->nfindings)

#define CHECK_VERDICT(r, v)                                                                        \
    do {                                                                                           \
        if ((r)->verdict != (v))                                                                   \
            pay_test_fail(__FILE__, __LINE__, "verdict %s, expected %s; headline: %s\n%s",         \
                          pay_doctor_verdict_name((r)->verdict), pay_doctor_verdict_name(v),       \
                          (r)->headline, FINDINGS(r));                                             \
    } while (0)

/* No sentence may carry key material: neither the hex text nor its bytes'
 * ASCII prefix that C01's V1 used. */
static void check_no_key(const pay_doctor_report *r, const char *key_text)
{
    char probe[17];
    memcpy(probe, key_text, 16);
    probe[16] = 0;
    CHECK_MSG(strstr(r->headline, probe) == NULL, "headline quotes the key: %s", r->headline);
    CHECK_MSG(strstr(FINDINGS(r), probe) == NULL, "a finding quotes the key");
}

static char *concat(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s%s%s", a, b, c);
    return out;
}

static char *seal_text(const pay_key *k, const char *plaintext)
{
    static const uint8_t iv[12] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6,
                                   0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c};
    pay_jwe_seal_opts so;
    memset(&so, 0, sizeof so);
    so.iat = "2025-06-26T18:42:46+09:00";
    so.nonce = "5f0c2a9e-1b7d-4e3a-9c8f-2d6b4a1e0f93";
    so.test_iv = iv;
    char *t = NULL;
    size_t n = 0;
    pay_error e;
    if (pay_jwe_seal_ex(k, &so, (const uint8_t *)plaintext, strlen(plaintext), &t, &n, &e) !=
        PAY_OK)
        pay_test_fail(__FILE__, __LINE__, "seal: %s", e.message);
    return t;
}

/* ---- C01, C04, C05: tag mismatches explained ---------------------------------- */

static void test_c01_key_derivations(void)
{
    const pay_doctor_report *r = doctor(vec("V0"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK(r->opened);
    CHECK_CONTAINS(r->headline, "opens with this key");

    r = doctor(vec("V1"));
    CHECK_VERDICT(r, PAY_DOCTOR_EXPLAINED);
    CHECK(!r->opened);
    CHECK_EQ_INT(r->diag_cause, PAY_DIAG_KEY_ASCII);
    CHECK_CONTAINS(r->headline, "authentication tag mismatch");
    CHECK_CONTAINS(r->headline, "first 32 ASCII characters of the key string");
    CHECK_CONTAINS(r->headline, "hex-decoded into 32 bytes");
    check_no_key(r, FIXTURE_KEY_HEX);

    r = doctor(vec("V1b"));
    CHECK_VERDICT(r, PAY_DOCTOR_EXPLAINED);
    CHECK_EQ_INT(r->diag_cause, PAY_DIAG_KEY_SHA256);
    CHECK_CONTAINS(r->headline, "SHA-256 of the key string");
    check_no_key(r, FIXTURE_KEY_HEX);
}

static void test_c04_reserialized_aad(void)
{
    const pay_doctor_report *r = doctor(vec("V4"));
    CHECK_VERDICT(r, PAY_DOCTOR_EXPLAINED);
    CHECK_EQ_INT(r->diag_cause, PAY_DIAG_AAD_RESERIALIZED);
    CHECK_CONTAINS(r->headline, "re-serialization of the header");
    CHECK_CONTAINS(r->headline, "{\"alg\":\"dir\",\"enc\":\"A256GCM\"");
}

static void test_c05_empty_aad(void)
{
    const pay_doctor_report *r = doctor(vec("V5"));
    CHECK_VERDICT(r, PAY_DOCTOR_EXPLAINED);
    CHECK_EQ_INT(r->diag_cause, PAY_DIAG_AAD_EMPTY);
    CHECK_CONTAINS(r->headline, "tag verifies with an empty AAD");
    CHECK_CONTAINS(r->headline, "did not authenticate the protected header");
}

/* Nothing explains a token from another key; labelled candidates do. */
static void test_unexplained_and_candidates(void)
{
    pay_key other = tu_key_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    char *t = seal_text(&other, "{\"ok\":true}");
    REQUIRE(t);
    const pay_doctor_report *r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_WRONG_KEY);
    CHECK_CONTAINS(r->headline, "the key is simply not the one that sealed the token");
    pay_doctor_opts o = case_opts();
    pay_diag_candidate cand = {&other, "this merchant's live security key"};
    o.candidates = &cand;
    o.ncandidates = 1;
    r = doctor_key(t, strlen(t), FIXTURE_KEY_HEX, 64, &o);
    CHECK_VERDICT(r, PAY_DOCTOR_EXPLAINED);
    CHECK_CONTAINS(r->headline, "sealed with this merchant's live security key");
    check_no_key(r, "00112233445566778899aabbccddeeff");
    free(t);
}

/* ---- C02: Toss's header order and nanosecond iat ------------------------------- */

static void test_c02_member_order_and_nanoseconds(void)
{
    const char *v2 = vec("V2");
    REQUIRE(pay_jwe_inspect(v2, strlen(v2), &ins) == PAY_OK);
    REQUIRE(ins.member_count == 4);
    CHECK_EQ_STR(ins.members[0].name, "enc");
    CHECK_EQ_STR(ins.members[1].name, "iat");
    CHECK_EQ_STR(ins.members[2].name, "nonce");
    CHECK_EQ_STR(ins.members[3].name, "alg");
    CHECK_EQ_STR(ins.members[1].value, "\"2025-06-26T18:42:46.356259315+09:00\"");
    CHECK(ins.iat_valid);
    CHECK_EQ_STR(ins.iat_utc, "2025-06-26T09:42:46.356259315Z");
    CHECK_EQ_STR(ins.iat_kst, "2025-06-26T18:42:46.356259315+09:00");
    for (unsigned k = 1; k <= 12; k++) {
        const pay_finding *f = pay_jwe_report_rule(&ins, k);
        REQUIRE(f);
        CHECK_MSG(f->ok, "rule %u: %s", k, f->text);
    }
    for (size_t i = 0; i < ins.nfindings; i++)
        CHECK_MSG(ins.findings[i].level < PAY_FINDING_WARNING, "unexpected: %s",
                  ins.findings[i].text);
    const pay_doctor_report *r = doctor(v2);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(r->headline, "no problem found");
    CHECK(strstr(FINDINGS(r), "order") == NULL);

    /* A duplicate "alg" is refused (rule 5), by the doctor too. */
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    static const uint8_t iv[12] = {0};
    const char *dup = "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"alg\":\"dir\",\"iat\":"
                      "\"2025-06-26T18:42:46+09:00\",\"nonce\":\"n\"}";
    char *t = tu_seal_raw(&k, dup, iv, 12, (const uint8_t *)"{}", 2);
    REQUIRE(t);
    REQUIRE(pay_jwe_inspect(t, strlen(t), &ins) == PAY_OK);
    CHECK(!pay_jwe_report_rule(&ins, 5)->ok);
    CHECK_CONTAINS(pay_jwe_report_rule(&ins, 5)->text, "member \"alg\" appears more than once");
    CHECK_EQ_INT(ins.member_count, 5);
    r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "duplicate member name");
    free(t);
}

/* ---- C06, C07: key text ------------------------------------------------------- */

static void test_c06_key_bytes(void)
{
    pay_key k;
    pay_error e;
    memset(&e, 0, sizeof e);
    /* the 64 ASCII bytes of the key string */
    CHECK_ERR(pay_key_from_bytes(&k, (const uint8_t *)FIXTURE_KEY_HEX, 64, &e),
              PAY_ERR_JWE_KEY_SIZE,
              "key is 64 raw bytes: it looks like the 64-hex-char security key was used as "
              "ASCII; hex-decode it to 32 bytes");
    /* the key string base64-decoded */
    uint8_t b64[64];
    size_t bl = 0;
    REQUIRE(pay_b64std_decode(FIXTURE_KEY_HEX, 64, b64, &bl, NULL) == PAY_B64_OK);
    CHECK_EQ_INT(bl, 48);
    CHECK_ERR(pay_key_from_bytes(&k, b64, bl, &e), PAY_ERR_JWE_KEY_SIZE,
              "key is 48 bytes: it looks like the hex security key was base64-decoded");
    /* A producer that cut those 48 bytes to 32: the doctor names it. */
    pay_key cut = tu_key_bytes(b64, 32);
    char *t = seal_text(&cut, "{\"ok\":true}");
    REQUIRE(t);
    const pay_doctor_report *r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_EXPLAINED);
    CHECK_EQ_INT(r->diag_cause, PAY_DIAG_KEY_BASE64);
    CHECK_CONTAINS(r->headline, "base64-decoded");
    free(t);
    /* A key whose first byte is 00 survives loading, and opens its token. */
    const char *zero = "00a3f19c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63";
    pay_key z = tu_key_hex(zero);
    CHECK_EQ_INT(z.len, 32);
    CHECK_EQ_INT(z.bytes[0], 0x00);
    CHECK_EQ_INT(z.bytes[1], 0xa3);
    t = seal_text(&z, "{\"ok\":true}");
    REQUIRE(t);
    r = doctor_key(t, strlen(t), zero, 64, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    free(t);
}

static void test_c07_key_text(void)
{
    const char *v0 = vec("V0"), *v1 = vec("V1");
    size_t n0 = strlen(v0);
    /* a) upper case */
    const pay_doctor_report *r = doctor_key(
        v0, n0, "6B3A9F0C2E7D15A84C9B0E6F3D2A71C5E8F4B09A3C6D2E7F1A5B8C0D9E4F2A63", 64, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK(r->opened);
    /* b) trailing newline */
    r = doctor_key(v0, n0, FIXTURE_KEY_HEX "\n", 65, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK(!r->opened && r->opened_after_repair && r->key_repaired);
    CHECK_CONTAINS(r->headline, "key has 65 characters (trailing newline)");
    CHECK_CONTAINS(FINDINGS(r), "got 65 (trailing newline)");
    check_no_key(r, FIXTURE_KEY_HEX);
    /* b') CR LF from a Windows file */
    r = doctor_key(v0, n0, FIXTURE_KEY_HEX "\r\n", 66, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK_CONTAINS(r->headline, "key has 66 characters (trailing CR LF)");
    /* c) double quotes */
    r = doctor_key(v0, n0, "\"" FIXTURE_KEY_HEX "\"", 66, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK_CONTAINS(r->headline, "key has 66 characters (wrapped in double quotes)");
    /* a .env line pasted whole */
    r = doctor_key(v0, n0, "PAYOUT_SECURITY_KEY=" FIXTURE_KEY_HEX,
                   strlen("PAYOUT_SECURITY_KEY=") + 64, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK_CONTAINS(r->headline, "NAME= prefix");
    /* d) 63 characters */
    r = doctor_key(v0, n0, FIXTURE_KEY_HEX, 63, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_BAD_KEY);
    CHECK(!r->key_loaded);
    CHECK_CONTAINS(r->headline, "security key must be exactly 64 hex characters; got 63");
    /* e) 'g' at index 10 */
    char bad[65];
    memcpy(bad, FIXTURE_KEY_HEX, 65);
    bad[10] = 'g';
    r = doctor_key(v0, n0, bad, 64, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_BAD_KEY);
    CHECK_CONTAINS(r->headline, "non-hex character 'g' at index 10");
    /* f) half the key: refused, never used as raw text... */
    const char *half = "6b3a9f0c2e7d15a84c9b0e6f3d2a71c5";
    r = doctor_key(v0, n0, half, 32, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_BAD_KEY);
    CHECK(!r->opened && !r->opened_after_repair);
    CHECK_CONTAINS(r->headline, "got 32");
    CHECK_CONTAINS(r->headline, "half of the key");
    /* ...but on V1 (sealed with those 32 ASCII bytes) the doctor shows why
     * such a key "works" elsewhere. */
    r = doctor_key(v1, strlen(v1), half, 32, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_BAD_KEY);
    CHECK(!r->opened);
    CHECK_CONTAINS(FINDINGS(r), "opens when the 32 characters given are used as raw ASCII key "
                                "bytes");
    /* no key at all */
    r = doctor_key(v0, n0, NULL, 0, NULL);
    CHECK_VERDICT(r, PAY_DOCTOR_BAD_KEY);
    CHECK_CONTAINS(r->headline, "no security key given");
}

/* ---- C09, C10: rules no repair fixes ------------------------------------------ */

static void test_c09_iv_16(void)
{
    const char *v6 = vec("V6");
    REQUIRE(pay_jwe_inspect(v6, strlen(v6), &ins) == PAY_OK);
    CHECK_EQ_INT(ins.seg[2].decoded_len, 16);
    CHECK(!pay_jwe_report_rule(&ins, 8)->ok);
    CHECK_CONTAINS(pay_jwe_report_rule(&ins, 8)->text,
                   "IV is 16 bytes; A256GCM requires exactly 12");
    const pay_doctor_report *r = doctor(v6);
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "IV is 16 bytes; A256GCM requires exactly 12");
    /* Explanation only: GCM takes the 16-byte IV and the tag verifies. */
    CHECK_CONTAINS(FINDINGS(r), "the tag verifies with this 16-byte IV");
    CHECK(!r->opened && !r->opened_after_repair);
}

static void test_c10_tag_lengths(void)
{
    const pay_doctor_report *r = doctor(vec("V8_tag12"));
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "tag is 12 bytes; a truncated tag — must be 16");
    CHECK_CONTAINS(FINDINGS(r), "authentication tag must be 16 bytes; got 12");
    CHECK_CONTAINS(FINDINGS(r), "are the first 12 of the tag this key gives");
    CHECK(!r->opened && !r->opened_after_repair);

    r = doctor(vec("V8_tag1"));
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "tag is 1 byte; a truncated tag — must be 16");
    CHECK_CONTAINS(FINDINGS(r), "can be chance");

    r = doctor(vec("V8_tag17"));
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "tag is 17 bytes; must be exactly 16");
    CHECK_CONTAINS(FINDINGS(r), "the first 16 bytes of the 17-byte tag verify: 1 extra byte (00)");
    CHECK(!r->opened && !r->opened_after_repair);

    /* A cut tag under the wrong key is not called a truncation of ours. */
    const char *v1 = vec("V1");
    char *t = strdup(v1);
    REQUIRE(t);
    t[strlen(t) - 6] = 0; /* 22 -> 16 characters: 12 bytes */
    r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(FINDINGS(r), "do not match the tag this key gives");
    free(t);
}

/* ---- C11: whitespace ------------------------------------------------------------ */

static void test_c11_whitespace(void)
{
    const char *v0 = vec("V0");
    struct {
        const char *pre, *post, *phrase;
    } rows[] = {
        {"", "\n", "removed 1 trailing LF"},
        {"", "\r\n", "removed 2 trailing bytes (CR LF)"},
        {"  ", "", "removed 2 leading spaces"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *t = concat(rows[i].pre, v0, rows[i].post);
        REQUIRE(t);
        /* The strict library API names the whitespace, never a tag mismatch. */
        pay_jwe *j = NULL;
        pay_error e;
        CHECK_EQ_INT(pay_jwe_parse(t, strlen(t), &j, &e), PAY_ERR_JWE_WHITESPACE);
        pay_jwe_free(j);
        REQUIRE(pay_jwe_inspect(t, strlen(t), &ins) == PAY_OK);
        CHECK_EQ_STR(ins.whitespace, rows[i].phrase);
        CHECK(!pay_jwe_report_rule(&ins, 1)->ok);
        CHECK_EQ_INT(ins.token_len, strlen(v0));
        CHECK(pay_jwe_report_rule(&ins, 2)->ok);
        const pay_doctor_report *r = doctor(t);
        CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
        CHECK(r->opened);
        CHECK_CONTAINS(FINDINGS(r), rows[i].phrase);
        CHECK(strstr(FINDINGS(r), "tag mismatch") == NULL);
        free(t);
    }
    /* One space after the 100th character, inside the 147-character header. */
    char *t = malloc(strlen(v0) + 2);
    REQUIRE(t);
    memcpy(t, v0, 100);
    t[100] = ' ';
    memcpy(t + 101, v0 + 100, strlen(v0) - 100 + 1);
    pay_jwe *j = NULL;
    pay_error e;
    memset(&e, 0, sizeof e);
    CHECK_ERR(pay_jwe_parse(t, strlen(t), &j, &e), PAY_ERR_JWE_WHITESPACE,
              "invalid character 0x20 at offset 100 (segment 1, protected header)");
    REQUIRE(pay_jwe_inspect(t, strlen(t), &ins) == PAY_OK);
    CHECK_EQ_INT(ins.ws_inner, 1);
    CHECK_EQ_INT(ins.ws_first_inner_offset, 100);
    CHECK_CONTAINS(ins.whitespace, "offset 100 (segment 1, protected header)");
    CHECK_EQ_INT(ins.seg[0].text_len, 147);
    const pay_doctor_report *r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK(!r->opened && r->opened_after_repair);
    CHECK_CONTAINS(r->headline,
                   "invalid character 0x20 at offset 100 (segment 1, protected header)");
    CHECK(strstr(FINDINGS(r), "tag mismatch") == NULL);
    free(t);
}

/* Padding and the standard alphabet: repaired to diagnose, reported as errors. */
static void test_base64_repairs(void)
{
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    static const uint8_t iv[12] = {0xfb, 0xff, 0xbf, 1, 2, 3, 4, 5, 6, 7, 8, 9}; /* "-_-_" */
    char *t = tu_seal_raw(&k,
                          "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\":"
                          "\"2025-06-26T18:42:46+09:00\",\"nonce\":\"n-1\"}",
                          iv, 12, (const uint8_t *)"{\"a\":1}", 7);
    REQUIRE(t);
    /* standard alphabet in the IV, and '=' padding on the tag */
    char *ivseg = tu_segment(t, 2);
    REQUIRE(ivseg);
    for (char *p = ivseg; *p; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    char *std = tu_replace_segment(t, 2, ivseg);
    char *padded = concat(std, "==", "");
    REQUIRE(std && padded);
    REQUIRE(pay_jwe_inspect(padded, strlen(padded), &ins) == PAY_OK);
    CHECK(ins.seg[2].std_alphabet && !ins.seg[2].strict && ins.seg[2].decoded_len == 12);
    CHECK(ins.seg[4].padded && ins.seg[4].decoded_len == 16);
    CHECK(!pay_jwe_report_rule(&ins, 2)->ok);
    CHECK_CONTAINS(pay_jwe_report_rule(&ins, 2)->text, "segment 3 (IV) uses the standard base64 "
                                                       "alphabet");
    CHECK_CONTAINS(pay_jwe_report_rule(&ins, 2)->text, "segment 5 (authentication tag) is padded");
    CHECK(pay_jwe_report_rule(&ins, 8)->ok && pay_jwe_report_rule(&ins, 9)->ok);
    const pay_doctor_report *r = doctor(padded);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK_CONTAINS(FINDINGS(r), "segment 5 (authentication tag) is padded with '='");
    CHECK_CONTAINS(FINDINGS(r), "segment 3 (IV) uses the standard base64 alphabet");
    free(ivseg), free(std), free(padded), free(t);
}

/* A JWE sent inside JSON (spec §3.1). */
static void test_wrapped_and_not_jwe(void)
{
    const char *v0 = vec("V0");
    char *quoted = concat("\"", v0, "\"");
    char *wrapped = concat("{\"body\":\"", v0, "\"}");
    REQUIRE(quoted && wrapped);
    const pay_doctor_report *r = doctor(quoted);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK_CONTAINS(r->headline, "inside JSON quotes");
    r = doctor(wrapped);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS_REPAIRED);
    CHECK_CONTAINS(r->headline, "wrapped in a JSON object (member \"body\")");
    free(quoted), free(wrapped);

    r = doctor("{\"refSellerId\":\"my-seller-0001\"}");
    CHECK_VERDICT(r, PAY_DOCTOR_NOT_JWE);
    CHECK_CONTAINS(r->headline, "plain JSON, not a JWE");
    r = doctor("");
    CHECK_VERDICT(r, PAY_DOCTOR_NOT_JWE);
    CHECK_CONTAINS(r->headline, "empty");
    r = doctor("a.b.c");
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "expected 5 segments");
}

/* Other rules the doctor explains plainly: encrypted key, alg/enc, crit, zip. */
static void test_other_rules(void)
{
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    static const uint8_t iv[12] = {0};
    struct {
        const char *header, *phrase;
        unsigned rule;
    } rows[] = {
        {"{\"alg\":\"A256KW\",\"enc\":\"A256GCM\",\"iat\":\"2025-06-26T18:42:46+09:00\","
         "\"nonce\":\"n\"}",
         "alg \"A256KW\" is not supported", 3},
        {"{\"alg\":\"dir\",\"enc\":\"A256CBC-HS512\",\"iat\":\"2025-06-26T18:42:46+09:00\","
         "\"nonce\":\"n\"}",
         "enc \"A256CBC-HS512\" is not supported", 3},
        {"{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"crit\":[\"exp\"],\"iat\":"
         "\"2025-06-26T18:42:46+09:00\",\"nonce\":\"n\"}",
         "crit", 4},
        {"{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"zip\":\"GZIP\",\"iat\":"
         "\"2025-06-26T18:42:46+09:00\",\"nonce\":\"n\"}",
         "zip \"GZIP\" is not supported", 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *t = tu_seal_raw(&k, rows[i].header, iv, 12, (const uint8_t *)"{}", 2);
        REQUIRE(t);
        REQUIRE(pay_jwe_inspect(t, strlen(t), &ins) == PAY_OK);
        const pay_finding *f = pay_jwe_report_rule(&ins, rows[i].rule);
        CHECK_MSG(f && !f->ok, "row %zu: rule %u should be violated", i, rows[i].rule);
        if (f) CHECK_CONTAINS(f->text, rows[i].phrase);
        const pay_doctor_report *r = doctor(t);
        CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
        CHECK_CONTAINS(r->headline, rows[i].phrase);
        free(t);
    }
    /* A non-empty encrypted key. */
    const char *v0 = vec("V0");
    char *t = tu_replace_segment(v0, 1, "AAAA");
    REQUIRE(t);
    const pay_doctor_report *r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(r->headline, "encrypted key segment must be empty");
    free(t);
    /* Header members the API requires. */
    t = tu_seal_raw(&k, "{\"alg\":\"dir\",\"enc\":\"A256GCM\"}", iv, 12, (const uint8_t *)"{}", 2);
    REQUIRE(t);
    r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(FINDINGS(&r->inspect), "header has no \"iat\"");
    free(t);
}

/* ---- C13: request plaintexts ---------------------------------------------------- */

static void test_c13_plaintext_shapes(void)
{
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    struct {
        const char *plaintext;
        pay_doctor_expect expect;
        const char *phrase;
    } rows[] = {
        {"\"{\\\"refSellerId\\\":\\\"my-seller-0001\\\"}\"", PAY_EXPECT_ANY,
         "plaintext is JSON encoded twice: a JSON string holding a JSON object"},
        {"[{\"refSellerId\":\"my-seller-0001\"}]", PAY_EXPECT_OBJECT,
         "plaintext is a JSON array where an object is expected"},
        {"{\"refSellerId\":\"my-seller-0001\"}garbage", PAY_EXPECT_ANY,
         "7 bytes of trailing garbage after the JSON object, from byte offset 32"},
        {"{\"refPayoutId\":\"my-payout-0001\"}", PAY_EXPECT_ARRAY,
         "JSON object where an array is expected"},
        {"refSellerId=my-seller-0001", PAY_EXPECT_ANY, "plaintext is not JSON"},
        {"42", PAY_EXPECT_ANY, "plaintext is a JSON number, not a JSON object or array"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *t = seal_text(&k, rows[i].plaintext);
        REQUIRE(t);
        pay_doctor_opts o = case_opts();
        o.expect = rows[i].expect;
        const pay_doctor_report *r = doctor_key(t, strlen(t), FIXTURE_KEY_HEX, 64, &o);
        CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
        CHECK_CONTAINS(r->headline, "the token opens with this key, but");
        CHECK_CONTAINS(r->headline, rows[i].phrase);
        /* the plaintext itself is never quoted */
        CHECK(strstr(FINDINGS(r), "my-seller-0001") == NULL);
        free(t);
    }
    /* Response B of C13 (V15) is a well-formed object. */
    const pay_doctor_report *r = doctor(vec("V15"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(r->headline, "no problem found");
}

/* ---- C15: captured requests ------------------------------------------------------ */

static void test_c15_requests(void)
{
    const char *v0 = vec("V0");
    struct {
        const char *headers;
        const char *body;
        pay_doctor_verdict verdict;
        const char *phrase;
    } rows[] = {
        {"POST /v2/sellers HTTP/1.1\r\nHost: api.example\r\nAuthorization: Basic "
         "dGVzdF9za19GQUtFMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA6\r\nContent-Type: application/json\r\n"
         "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n",
         NULL, PAY_DOCTOR_REQUEST_MISMATCH, "body is a JWE but Content-Type is application/json"},
        {"POST /v2/sellers HTTP/1.1\r\nContent-Type: application/json\r\n"
         "tosspayments-api-security-mode: ENCRYPTION\r\n\r\n",
         "{\"refSellerId\":\"my-seller-0001\"}\r\n", PAY_DOCTOR_REQUEST_MISMATCH,
         "ENCRYPTION header present but body is plain JSON"},
        {"POST /v2/sellers HTTP/1.1\nContent-Type: text/plain\n\n", NULL,
         PAY_DOCTOR_REQUEST_MISMATCH,
         "JWE body without the TossPayments-api-security-mode: ENCRYPTION header"},
        {"POST /v2/sellers HTTP/1.1\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n",
         NULL, PAY_DOCTOR_OPENS, "request: JWE body, Content-Type text/plain, ENCRYPTION header"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *req = concat(rows[i].headers, rows[i].body ? rows[i].body : v0, "\n");
        REQUIRE(req);
        pay_doctor_opts o = case_opts();
        o.request = req;
        o.request_len = strlen(req);
        /* no token: the body is the token */
        pay_err rc = pay_jwe_doctor(NULL, 0, FIXTURE_KEY_HEX, 64, &o, &rep);
        CHECK_EQ_INT(rc, PAY_OK);
        CHECK_VERDICT(&rep, rows[i].verdict);
        if (rows[i].verdict == PAY_DOCTOR_OPENS)
            CHECK_CONTAINS(FINDINGS(&rep), rows[i].phrase);
        else
            CHECK_CONTAINS(rep.headline, rows[i].phrase);
        /* the Authorization value never reaches a sentence */
        CHECK(strstr(FINDINGS(&rep), "dGVzdF9za") == NULL);
        CHECK(strstr(rep.headline, "dGVzdF9za") == NULL);
        free(req);
    }
    /* The path sets the expected shape: POST /v2/payouts takes an array. */
    char *req = concat("POST /v2/payouts HTTP/1.1\r\nContent-Type: text/plain\r\n"
                       "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n",
                       v0, "");
    REQUIRE(req);
    pay_doctor_opts o = case_opts();
    o.request = req;
    o.request_len = strlen(req);
    REQUIRE(pay_jwe_doctor(NULL, 0, FIXTURE_KEY_HEX, 64, &o, &rep) == PAY_OK);
    CHECK_VERDICT(&rep, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(rep.headline, "JSON object where an array is expected");
    free(req);
}

/* ---- C16: iat ------------------------------------------------------------------- */

static void test_c16_iat(void)
{
    const pay_doctor_report *r = doctor(vec("V10_iat_future_65min"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK(r->opened);
    CHECK_CONTAINS(r->headline, "iat is 65 min ahead of now");
    r = doctor(vec("V10_iat_kst_labelled_Z"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(r->headline, "iat is 9 h ahead — looks like KST local time labelled as UTC (Z)");
    /* the same token is fine an hour... nine hours later */
    pay_doctor_opts o = case_opts();
    o.now_unix_us += INT64_C(9) * 3600 * 1000000;
    const char *t = vec("V10_iat_kst_labelled_Z");
    r = doctor_key(t, strlen(t), FIXTURE_KEY_HEX, 64, &o);
    CHECK_CONTAINS(r->headline, "no problem found");
    /* stale, and UTC labelled +09:00 */
    o = case_opts();
    o.now_unix_us += INT64_C(3) * 3600 * 1000000;
    t = vec("V0");
    r = doctor_key(t, strlen(t), FIXTURE_KEY_HEX, 64, &o);
    CHECK_CONTAINS(r->headline, "iat is 3 h old");
    o = case_opts();
    o.now_unix_us += INT64_C(9) * 3600 * 1000000;
    r = doctor_key(t, strlen(t), FIXTURE_KEY_HEX, 64, &o);
    CHECK_CONTAINS(r->headline, "looks like UTC time labelled as KST (+09:00)");
    /* ages for the CLI */
    REQUIRE(pay_jwe_inspect(vec("V10_iat_future_65min"), strlen(vec("V10_iat_future_65min")),
                            &ins) == PAY_OK);
    char age[64];
    pay_jwe_report_iat_age(&ins, case_opts().now_unix_us, age, sizeof age);
    CHECK_EQ_STR(age, "65 min ahead of now");
}

/* ---- C18, C19: several tokens --------------------------------------------------- */

static void test_c18_c19_reuse(void)
{
    pay_doctor_token toks[2] = {{vec("V11_reuse_a"), 0}, {vec("V11_reuse_b"), 0}};
    toks[0].len = strlen(toks[0].text);
    toks[1].len = strlen(toks[1].text);
    pay_doctor_opts o = case_opts();
    REQUIRE(pay_jwe_doctor_many(toks, 2, FIXTURE_KEY_HEX, 64, &o, reps, &sum) == PAY_OK);
    CHECK_EQ_INT(sum.ntokens, 2);
    CHECK_EQ_INT(sum.nopened, 2);
    CHECK_VERDICT(&reps[0], PAY_DOCTOR_OPENS);
    CHECK_VERDICT(&reps[1], PAY_DOCTOR_OPENS);
    CHECK(sum.iv_reused && sum.nonce_reused);
    const char *all = all_findings(sum.findings, sum.nfindings);
    CHECK_CONTAINS(all, "nonce 5f0c2a9e-\xe2\x80\xa6 used in 2 tokens (#1 and #2)");
    CHECK_CONTAINS(all, "IV reused — confidentiality and integrity of both messages are lost; "
                        "rotate the security key");
    CHECK_CONTAINS(all, "a1b2c3d4e5f60718293a4b5c");
    CHECK_CONTAINS(sum.headline, "IV reused");

    /* Fresh nonces and IVs: nothing to say. */
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    char *a = NULL, *b = NULL;
    size_t an = 0, bn = 0;
    pay_error e;
    REQUIRE(pay_jwe_seal(&k, (const uint8_t *)"{}", 2, &a, &an, &e) == PAY_OK);
    REQUIRE(pay_jwe_seal(&k, (const uint8_t *)"{}", 2, &b, &bn, &e) == PAY_OK);
    pay_doctor_token fresh[2] = {{a, an}, {b, bn}};
    o.has_now = false;
    REQUIRE(pay_jwe_doctor_many(fresh, 2, FIXTURE_KEY_HEX, 64, &o, reps, &sum) == PAY_OK);
    CHECK(!sum.iv_reused && !sum.nonce_reused);
    CHECK_CONTAINS(sum.headline, "all 2 tokens open");
    free(a), free(b);

    /* One nonce in tokens that do not open with this key is still reported. */
    pay_doctor_token v1s[3] = {{vec("V1"), 0}, {vec("V1b"), 0}, {vec("V0"), 0}};
    for (int i = 0; i < 3; i++)
        v1s[i].len = strlen(v1s[i].text);
    REQUIRE(pay_jwe_doctor_many(v1s, 3, FIXTURE_KEY_HEX, 64, &o, reps, &sum) == PAY_OK);
    CHECK(sum.nonce_reused && !sum.iv_reused);
    CHECK_CONTAINS(all_findings(sum.findings, sum.nfindings), "used in 3 tokens (#1, #2 and #3)");
    CHECK_CONTAINS(all_findings(sum.findings, sum.nfindings), "share IV");
    CHECK_EQ_INT(sum.nopened, 1);
}

/* ---- C20: multibyte payloads ---------------------------------------------------- */

static void test_c20_korean(void)
{
    const pay_doctor_report *r = doctor(vec("V13_raw_korean"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(r->headline, "no problem found");
    r = doctor(vec("V13_escaped_korean"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK_CONTAINS(r->headline, "no problem found");
    r = doctor(vec("V13_cp949_payload"));
    CHECK_VERDICT(r, PAY_DOCTOR_OPENS);
    CHECK(r->opened);
    CHECK_CONTAINS(r->headline,
                   "plaintext is not valid UTF-8 at byte offset 9 (looks like CP949/EUC-KR)");

    /* The check on its own, as payoutctl jwe decrypt uses it. */
    pay_finding f[4];
    size_t n = 0;
    static const uint8_t cp949[] = {'{',  '"',  'n',  'a',  'm',  'e',  '"', ':', '"',
                                    0xb1, 0xe8, 0xc5, 0xe4, 0xbd, 0xba, '"', '}'};
    CHECK_EQ_INT(pay_jwe_plaintext_check(cp949, sizeof cp949, PAY_EXPECT_ANY, f, 4, &n),
                 PAY_FINDING_WARNING);
    REQUIRE(n == 1);
    CHECK_CONTAINS(f[0].text, "3 two-byte Hangul characters");
    n = 0;
    static const uint8_t latin1[] = "{\"name\":\"Jos\xe9\"}";
    pay_jwe_plaintext_check(latin1, sizeof latin1 - 1, PAY_EXPECT_ANY, f, 4, &n);
    REQUIRE(n == 1);
    CHECK_CONTAINS(f[0].text, "byte offset 12 (byte 0xE9; looks like Latin-1");
    n = 0;
    /* 김토스 read as Latin-1 and encoded again */
    static const char mojibake[] =
        "{\"name\":\"\xc3\xaa\xc2\xb9\xc2\x80\xc3\xad\xc2\x86\xc2\xa0\"}";
    pay_jwe_plaintext_check((const uint8_t *)mojibake, strlen(mojibake), PAY_EXPECT_ANY, f, 4, &n);
    CHECK_CONTAINS(all_findings(f, n), "read as Latin-1 and encoded again");
    n = 0;
    static const char kim[] = "{\"name\":\"\xea\xb9\x80\"}";
    CHECK_EQ_INT(
        pay_jwe_plaintext_check((const uint8_t *)kim, strlen(kim), PAY_EXPECT_OBJECT, f, 4, &n),
        PAY_FINDING_OK);
    n = 0;
    CHECK_EQ_INT(pay_jwe_plaintext_check(NULL, 0, PAY_EXPECT_ANY, f, 4, &n), PAY_FINDING_WARNING);
    CHECK_CONTAINS(f[0].text, "plaintext is empty");
}

/* ---- spec §8.10 and garbage ----------------------------------------------------- */

static void test_spec_8_10_inspect(void)
{
    json_t *s = json_object_get(fx, "spec_8_10");
    const char *t = json_string_value(json_object_get(s, "token"));
    REQUIRE(t);
    REQUIRE(pay_jwe_inspect(t, strlen(t), &ins) == PAY_OK);
    CHECK_EQ_INT(ins.input_len, 508);
    CHECK_EQ_INT(ins.segment_count, 5);
    CHECK_EQ_INT(ins.seg[1].text_len, 0);
    CHECK_EQ_INT(ins.seg[2].decoded_len, 12);
    CHECK_EQ_INT(ins.seg[3].decoded_len, 229);
    CHECK_EQ_INT(ins.seg[4].decoded_len, 16);
    CHECK_EQ_STR(ins.header_json, json_string_value(json_object_get(s, "header_json")));
    REQUIRE(ins.member_count == 4);
    const char *order[] = {"enc", "iat", "nonce", "alg"};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_STR(ins.members[i].name, order[i]);
    CHECK_EQ_STR(ins.iat_utc, "2025-06-26T09:42:46.356259315Z");
    for (unsigned k = 1; k <= 12; k++) {
        const pay_finding *f = pay_jwe_report_rule(&ins, k);
        REQUIRE(f);
        CHECK_EQ_INT(f->rule, k);
        CHECK_MSG(f->ok, "rule %u: %s", k, f->text);
    }
    CHECK_EQ_INT(pay_jwe_report_rule(&ins, 7)->level, PAY_FINDING_NOTE);
    /* Its key is not public: with ours it is simply another key. */
    const pay_doctor_report *r = doctor(t);
    CHECK_VERDICT(r, PAY_DOCTOR_WRONG_KEY);
    CHECK_CONTAINS(r->headline, "the key is simply not the one that sealed the token");
}

static void test_inspect_garbage(void)
{
    /* Never fails, never reads out of bounds (run under ASan). */
    static const char *const inputs[] = {
        "",
        " ",
        "....",
        ".....",
        "......",
        "=",
        "a",
        "eyJ",
        "e30....",
        "e30.",
        "\xff\xfe\x00.\x80",
        "{}.{}.{}.{}.{}",
        "e30..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA==",
        "W10..AAAAAAAAAAAAAAAA..AAAAAAAAAAAAAAAAAAAAAA",
        "IiI..AAAAAAAAAAAAAAAA..AAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJkaXIi.x.y.z.w",
        "eyJhIjpb.....",
        "A=A.B==.C===.D====.E",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t n = i == 10 ? 5 : strlen(inputs[i]);
        CHECK_EQ_INT(pay_jwe_inspect(inputs[i], n, &ins), PAY_OK);
        CHECK(ins.nfindings >= 12);
        for (unsigned k = 1; k <= 12; k++)
            CHECK(pay_jwe_report_rule(&ins, k) != NULL);
        CHECK_EQ_INT(pay_jwe_doctor(inputs[i], n, FIXTURE_KEY_HEX, 64, NULL, &rep), PAY_OK);
        CHECK(rep.headline[0] != 0);
        CHECK(rep.verdict != PAY_DOCTOR_OPENS);
    }
    /* "e30" is {}: a header without alg/enc */
    const char *e30 = "e30..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA";
    REQUIRE(pay_jwe_inspect(e30, strlen(e30), &ins) == PAY_OK);
    CHECK_CONTAINS(pay_jwe_report_rule(&ins, 3)->text, "no \"alg\" member");
    /* Over the cap: reported, not read. */
    size_t big = (size_t)PAY_JWE_TOKEN_MAX + 1;
    char *t = malloc(big);
    REQUIRE(t);
    memset(t, 'A', big);
    CHECK_EQ_INT(pay_jwe_inspect(t, big, &ins), PAY_OK);
    CHECK(ins.too_long);
    CHECK(!pay_jwe_report_rule(&ins, 12)->ok);
    CHECK_CONTAINS(pay_jwe_report_rule(&ins, 12)->text, "the limit is 1048576");
    CHECK_EQ_INT(pay_jwe_doctor(t, big, FIXTURE_KEY_HEX, 64, NULL, &rep), PAY_OK);
    CHECK_VERDICT(&rep, PAY_DOCTOR_MALFORMED);
    CHECK_CONTAINS(rep.headline, "the limit is 1048576");
    free(t);
    CHECK_EQ_INT(pay_jwe_inspect(NULL, 1, &ins), PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(pay_jwe_doctor(NULL, 0, FIXTURE_KEY_HEX, 64, NULL, &rep), PAY_ERR_INVALID_ARG);
}

static void setup(void)
{
    fx = tu_load_json(pay_test_source_path("tests/fixtures/jwe_cases.json"));
}

PAY_TEST_MAIN(setup(), PAY_TEST(test_c01_key_derivations), PAY_TEST(test_c04_reserialized_aad),
              PAY_TEST(test_c05_empty_aad), PAY_TEST(test_unexplained_and_candidates),
              PAY_TEST(test_c02_member_order_and_nanoseconds), PAY_TEST(test_c06_key_bytes),
              PAY_TEST(test_c07_key_text), PAY_TEST(test_c09_iv_16), PAY_TEST(test_c10_tag_lengths),
              PAY_TEST(test_c11_whitespace), PAY_TEST(test_base64_repairs),
              PAY_TEST(test_wrapped_and_not_jwe), PAY_TEST(test_other_rules),
              PAY_TEST(test_c13_plaintext_shapes), PAY_TEST(test_c15_requests),
              PAY_TEST(test_c16_iat), PAY_TEST(test_c18_c19_reuse), PAY_TEST(test_c20_korean),
              PAY_TEST(test_spec_8_10_inspect), PAY_TEST(test_inspect_garbage), json_decref(fx))
