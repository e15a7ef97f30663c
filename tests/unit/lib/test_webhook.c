/* Webhook signatures: the spec's §8.9 vector (hex-decoded key), the
 * ASCII-key variant that must NOT verify, rotation with two keys, and
 * malformed headers. */
#include <string.h>

#include "harness.h"
#include "payout/webhook.h"

static const char key_hex[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char body[] =
    "{\"eventType\":\"payout.changed\",\"createdAt\":\"2024-12-02T12:15:20+09:00\",\"version\":"
    "\"2022-11-16\",\"eventId\":\"evt-1\",\"entityType\":\"payout\",\"entityBody\":{\"id\":"
    "\"FPA_12345\",\"status\":\"COMPLETED\"}}";
static const char when[] = "2024-09-05T12:19:21+09:00";
static const char sig_hex_key[] = "v1:FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw=";
static const char sig_ascii_key[] = "v1:5IQ/nmLiSayONMsyVBmbbP1LcNHpHnBnKU94kpfuCP4=";

static pay_key load(const char *hex)
{
    pay_key k;
    memset(&k, 0, sizeof k);
    if (pay_key_from_hex(&k, hex, strlen(hex), NULL) != PAY_OK) k.len = 0;
    return k;
}

static void test_sign_known_answer(void)
{
    pay_key k = load(key_hex);
    char sig[PAY_WEBHOOK_SIG_BUF];
    REQUIRE(pay_webhook_sign(&k, body, strlen(body), when, sig) == PAY_OK);
    CHECK_EQ_STR(sig, sig_hex_key);
}

static void test_verify(void)
{
    pay_key k = load(key_hex);
    pay_error err;
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, body, strlen(body), when, sig_hex_key, &err), PAY_OK);
    /* The signature made with the key's ASCII text is not ours. */
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, body, strlen(body), when, sig_ascii_key, &err),
                 PAY_ERR_WEBHOOK_SIGNATURE);
    CHECK_CONTAINS(err.message, "raw body");
    /* A changed body, or time, does not verify. */
    char changed[sizeof body];
    memcpy(changed, body, sizeof body);
    changed[10] = 'X';
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, changed, strlen(changed), when, sig_hex_key, &err),
                 PAY_ERR_WEBHOOK_SIGNATURE);
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, body, strlen(body), "2024-09-05T12:19:22+09:00",
                                    sig_hex_key, &err),
                 PAY_ERR_WEBHOOK_SIGNATURE);
}

static void test_rotation(void)
{
    /* Two values while two keys are valid: any match verifies, with either
     * key list order. */
    pay_key keys[2] = {load("ff" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"),
                       load(key_hex)};
    REQUIRE(keys[0].len == 32);
    char other[PAY_WEBHOOK_SIG_BUF], header[256];
    REQUIRE(pay_webhook_sign(&keys[0], body, strlen(body), when, other) == PAY_OK);
    snprintf(header, sizeof header, "%s,%s", other, sig_hex_key);
    pay_error err;
    CHECK_EQ_INT(pay_webhook_verify(&keys[1], 1, body, strlen(body), when, header, &err), PAY_OK);
    CHECK_EQ_INT(pay_webhook_verify(&keys[0], 1, body, strlen(body), when, header, &err), PAY_OK);
    CHECK_EQ_INT(pay_webhook_verify(keys, 2, body, strlen(body), when, sig_hex_key, &err), PAY_OK);
    snprintf(header, sizeof header, "%s, %s", sig_ascii_key, sig_hex_key); /* space tolerated */
    CHECK_EQ_INT(pay_webhook_verify(&keys[1], 1, body, strlen(body), when, header, &err), PAY_OK);
}

static void test_malformed_headers(void)
{
    pay_key k = load(key_hex);
    pay_error err;
    const char *bad[] = {"", "FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw=", "v2:abc",
                         "v1:not base64!", "v1:FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw",
                         "v1:FD63,", ","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pay_err rc = pay_webhook_verify(&k, 1, body, strlen(body), when, bad[i], &err);
        CHECK_MSG(rc == PAY_ERR_WEBHOOK_HEADER, "header \"%s\" gave %s", bad[i], pay_err_name(rc));
    }
    char huge[PAY_WEBHOOK_SIG_HEADER_MAX + 8];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = 0;
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, body, strlen(body), when, huge, &err),
                 PAY_ERR_WEBHOOK_HEADER);
    CHECK_EQ_INT(pay_webhook_verify(NULL, 0, body, strlen(body), when, sig_hex_key, &err),
                 PAY_ERR_INVALID_ARG);
}

/* Regression (fuzz/fuzz_webhook_signature): a value of 88 base64 characters
 * without padding decodes to 66 bytes, which overflowed a 64-byte stack
 * buffer. Such a value is well-formed but is no signature. */
static void test_long_value(void)
{
    pay_key k = load(key_hex);
    pay_error err;
    char header[3 + 88 + 1];
    memcpy(header, "v1:", 3);
    memset(header + 3, 'F', 88);
    header[3 + 88] = 0;
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, body, strlen(body), when, header, &err),
                 PAY_ERR_WEBHOOK_SIGNATURE);
    /* 92 characters are past the cap: malformed. */
    char longer[3 + 92 + 1];
    memcpy(longer, "v1:", 3);
    memset(longer + 3, 'F', 92);
    longer[3 + 92] = 0;
    CHECK_EQ_INT(pay_webhook_verify(&k, 1, body, strlen(body), when, longer, &err),
                 PAY_ERR_WEBHOOK_HEADER);
}

PAY_TEST_MAIN(PAY_TEST(test_sign_known_answer), PAY_TEST(test_verify), PAY_TEST(test_rotation),
              PAY_TEST(test_malformed_headers), PAY_TEST(test_long_value))
