/*
 * Fuzz target: the tosspayments-webhook-signature header (spec §4.11,
 * §10 #6), checked by pay_webhook_verify (include/payout/webhook.h) with
 * fixed keys (spec §3.7's and a rotated second one), the spec §8.9 body and
 * transmission time; the header is the input, as a C string.
 *
 * Invariants: a header is accepted only if it carries one of the two
 * expected "v1:" values verbatim (strict base64 has one spelling per MAC);
 * a header that was well-formed but matched nothing is accepted once a
 * correct value is appended (rotation: ",v1:<good>"); malformed headers
 * stay malformed with it; a failure says why.
 */
#include "fuzz.h"

#include "payout/jwe.h"
#include "payout/webhook.h"

static const char body[] =
    "{\"eventType\":\"payout.changed\",\"createdAt\":\"2024-12-02T12:15:20+09:00\",\"version\":"
    "\"2022-11-16\",\"eventId\":\"evt-1\",\"entityType\":\"payout\",\"entityBody\":{\"id\":"
    "\"FPA_12345\",\"status\":\"COMPLETED\"}}";
static const char when[] = "2024-09-05T12:19:21+09:00";

static pay_key keys[2];
static char good[2][PAY_WEBHOOK_SIG_BUF];
static bool ready;

static void setup(void)
{
    pay_error err;
    FUZZ_CHECK(pay_key_from_hex(&keys[0],
                                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                64, &err) == PAY_OK);
    FUZZ_CHECK(pay_key_from_hex(&keys[1],
                                "6b3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63",
                                64, &err) == PAY_OK);
    for (int i = 0; i < 2; i++)
        FUZZ_CHECK(pay_webhook_sign(&keys[i], body, sizeof body - 1, when, good[i]) == PAY_OK);
    /* the spec §8.9 vector */
    FUZZ_CHECK(strcmp(good[0], "v1:FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw=") == 0);
    ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) setup();
    char *header = fuzz_cstr(data, size);
    pay_error err;
    pay_err rc = pay_webhook_verify(keys, 2, body, sizeof body - 1, when, header, &err);
    FUZZ_CHECK(rc == PAY_OK || rc == PAY_ERR_WEBHOOK_SIGNATURE || rc == PAY_ERR_WEBHOOK_HEADER);
    if (rc == PAY_OK) {
        FUZZ_CHECK(strstr(header, good[0]) || strstr(header, good[1]));
    } else {
        FUZZ_CHECK(err.message[0] != 0);
    }
    /* Only the first key: a value made with the second must not match. */
    pay_err rc1 = pay_webhook_verify(keys, 1, body, sizeof body - 1, when, header, &err);
    if (rc1 == PAY_OK) FUZZ_CHECK(strstr(header, good[0]));
    if (rc == PAY_ERR_WEBHOOK_HEADER) FUZZ_CHECK(rc1 == PAY_ERR_WEBHOOK_HEADER);

    size_t n = strlen(header);
    if (n + 1 + strlen(good[1]) <= PAY_WEBHOOK_SIG_HEADER_MAX) {
        char *more = malloc(n + 1 + PAY_WEBHOOK_SIG_BUF);
        FUZZ_CHECK(more != NULL);
        memcpy(more, header, n);
        more[n] = ',';
        memcpy(more + n + 1, good[1], strlen(good[1]) + 1);
        pay_err rc2 = pay_webhook_verify(keys, 2, body, sizeof body - 1, when, more, &err);
        if (rc == PAY_OK || rc == PAY_ERR_WEBHOOK_SIGNATURE) FUZZ_CHECK(rc2 == PAY_OK);
        if (rc == PAY_ERR_WEBHOOK_HEADER) FUZZ_CHECK(rc2 == PAY_ERR_WEBHOOK_HEADER);
        free(more);
    }
    free(header);
    return 0;
}
