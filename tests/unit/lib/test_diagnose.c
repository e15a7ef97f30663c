/* pay_jwe_diagnose against the failure cases (cases C01, C04, C05 and their
 * byte-exact vectors), and against tokens built here each one wrong way. */
#include <openssl/evp.h>

#include "harness.h"
#include "jwe_test_util.h"
#include "payout/diagnose.h"

static const char *case_token(json_t *fx, const char *name)
{
    json_t *c;
    size_t i;
    json_array_foreach(json_object_get(fx, "cases"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return json_string_value(json_object_get(c, "token"));
    return NULL;
}

static pay_diag_cause diagnose(const char *token, const pay_key *key,
                               const pay_diag_candidate *cands, size_t n, char *why)
{
    pay_jwe *j = NULL;
    pay_error e;
    if (pay_jwe_parse(token, strlen(token), &j, &e) != PAY_OK) {
        pay_test_fail(__FILE__, __LINE__, "parse: %s", e.message);
        return (pay_diag_cause)-1;
    }
    pay_diag_cause c = pay_jwe_diagnose(j, key, cands, n, why, PAY_DIAG_SENTENCE_MAX);
    pay_jwe_free(j);
    return c;
}

static void test_case_vectors(void)
{
    json_t *fx = tu_load_json(pay_test_source_path("tests/fixtures/jwe_cases.json"));
    REQUIRE(fx);
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    char why[PAY_DIAG_SENTENCE_MAX];
    struct {
        const char *name;
        pay_diag_cause want;
        const char *phrase;
    } rows[] = {
        {"V0", PAY_DIAG_OPENS, "opens"},
        {"V1", PAY_DIAG_KEY_ASCII, "first 32 ASCII characters"},
        {"V1b", PAY_DIAG_KEY_SHA256, "SHA-256 of the key string"},
        {"V4", PAY_DIAG_AAD_RESERIALIZED, "re-serialization of the header"},
        {"V5", PAY_DIAG_AAD_EMPTY, "empty AAD"},
        {"V2", PAY_DIAG_OPENS, "opens"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *tok = case_token(fx, rows[i].name);
        CHECK_MSG(tok != NULL, "no vector %s", rows[i].name);
        if (!tok) continue;
        pay_diag_cause c = diagnose(tok, &k, NULL, 0, why);
        CHECK_MSG(c == rows[i].want, "%s: cause %d, expected %d (%s)", rows[i].name, (int)c,
                  (int)rows[i].want, why);
        CHECK_CONTAINS(why, rows[i].phrase);
    }
    /* V4's AAD is named in the sentence: the canonical member order. */
    diagnose(case_token(fx, "V4"), &k, NULL, 0, why);
    CHECK_CONTAINS(why, "{\"alg\":\"dir\",\"enc\":\"A256GCM\"");
    json_decref(fx);
}

static const char *HDR =
    "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"iat\":\"2026-12-03T10:00:00+09:00\",\"nonce\":\"n-1\"}";
static const uint8_t IV[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const char PT[] = "{\"refSellerId\":\"x\"}";

static void test_built_mistakes(void)
{
    pay_key k = tu_key_hex(FIXTURE_KEY_HEX);
    char why[PAY_DIAG_SENTENCE_MAX];
    /* The uppercase ASCII of the key string. */
    char upper[65];
    memcpy(upper, FIXTURE_KEY_HEX, 65);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
    pay_key ascii_up = tu_key_bytes((const uint8_t *)upper, 32);
    char *t = tu_seal_raw(&ascii_up, HDR, IV, 12, (const uint8_t *)PT, strlen(PT));
    CHECK_EQ_INT(diagnose(t, &k, NULL, 0, why), PAY_DIAG_KEY_ASCII);
    free(t);
    /* AES-128 with the first 16 bytes under an A256GCM header. */
    pay_key half = tu_key_bytes(k.bytes, 16);
    t = tu_seal_raw(&half, HDR, IV, 12, (const uint8_t *)PT, strlen(PT));
    CHECK_EQ_INT(diagnose(t, &k, NULL, 0, why), PAY_DIAG_ENC_MISMATCH);
    CHECK_CONTAINS(why, "AES-128-GCM");
    free(t);
    /* The hex string base64-decoded (48 bytes), cut to 32. */
    uint8_t b64[64];
    size_t bl = 0, where = 0;
    REQUIRE(pay_b64std_decode(FIXTURE_KEY_HEX, 64, b64, &bl, &where) == PAY_B64_OK);
    pay_key from_b64 = tu_key_bytes(b64, 32);
    t = tu_seal_raw(&from_b64, HDR, IV, 12, (const uint8_t *)PT, strlen(PT));
    CHECK_EQ_INT(diagnose(t, &k, NULL, 0, why), PAY_DIAG_KEY_BASE64);
    free(t);
    /* Sealed with a labelled candidate (the server's other environment key). */
    pay_key other = tu_key_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    t = tu_seal_raw(&other, HDR, IV, 12, (const uint8_t *)PT, strlen(PT));
    pay_diag_candidate cand = {&other, "this merchant's live security key"};
    CHECK_EQ_INT(diagnose(t, &k, &cand, 1, why), PAY_DIAG_OTHER_KEY);
    CHECK_CONTAINS(why, "this merchant's live security key");
    CHECK(strstr(why, "00112233") == NULL); /* a key is never printed */
    /* Nothing known: an unrelated key. */
    CHECK_EQ_INT(diagnose(t, &k, NULL, 0, why), PAY_DIAG_UNEXPLAINED);
    CHECK_CONTAINS(why, "not sealed with this key");
    free(t);
    /* AAD = the decoded header JSON instead of its base64url text. */
    {
        uint8_t ct[64], tag[16];
        REQUIRE(pay_gcm_encrypt(k.bytes, 32, IV, 12, (const uint8_t *)HDR, strlen(HDR),
                                (const uint8_t *)PT, strlen(PT), ct, tag) == PAY_OK);
        char *h = tu_b64u(HDR, strlen(HDR)), *ivs = tu_b64u(IV, 12),
             *cts = tu_b64u(ct, strlen(PT)), *tags = tu_b64u(tag, 16);
        t = tu_join(h, "", ivs, cts, tags);
        CHECK_EQ_INT(diagnose(t, &k, NULL, 0, why), PAY_DIAG_AAD_DECODED);
        free(h), free(ivs), free(cts), free(tags), free(t);
    }
    /* Python's json.dumps default separators for the AAD. */
    {
        const char *py = "{\"alg\": \"dir\", \"enc\": \"A256GCM\", \"iat\": "
                         "\"2026-12-03T10:00:00+09:00\", \"nonce\": \"n-1\"}";
        char *aad = tu_b64u(py, strlen(py));
        uint8_t ct[64], tag[16];
        REQUIRE(pay_gcm_encrypt(k.bytes, 32, IV, 12, (const uint8_t *)aad, strlen(aad),
                                (const uint8_t *)PT, strlen(PT), ct, tag) == PAY_OK);
        char *h = tu_b64u(HDR, strlen(HDR)), *ivs = tu_b64u(IV, 12),
             *cts = tu_b64u(ct, strlen(PT)), *tags = tu_b64u(tag, 16);
        t = tu_join(h, "", ivs, cts, tags);
        CHECK_EQ_INT(diagnose(t, &k, NULL, 0, why), PAY_DIAG_AAD_RESERIALIZED);
        CHECK_CONTAINS(why, "\"alg\": \"dir\"");
        free(aad), free(h), free(ivs), free(cts), free(tags), free(t);
    }
}

PAY_TEST_MAIN(PAY_TEST(test_case_vectors), PAY_TEST(test_built_mistakes))
