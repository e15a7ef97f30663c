/*
 * gen_tokens — sealed POST /v2/payouts bodies for the HTTP benchmarks.
 *
 *   gen_tokens HEXKEY SELLER_ID DATE ITEMS COUNT PREFIX > tokens.txt
 *
 * Writes COUNT lines "IDEMPOTENCY_KEY TOKEN": each token seals a JSON array
 * of ITEMS SCHEDULED payouts of 1,000 KRW to SELLER_ID on DATE, with unique
 * refPayoutIds (PREFIX-<line>-<item>), a fresh nonce and iat = now, as
 * libpayout seals them for a real client. Sealing happens here, before the
 * run, so the load generator only replays bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/error.h"
#include "payout/jwe.h"

static int fail(const char *what, const pay_error *e)
{
    fprintf(stderr, "gen_tokens: %s: %s\n", what, e ? e->message : "out of memory");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: gen_tokens HEXKEY SELLER_ID DATE ITEMS COUNT PREFIX\n");
        return 2;
    }
    pay_key key;
    pay_error err;
    if (pay_key_from_hex(&key, argv[1], strlen(argv[1]), &err) != PAY_OK) return fail("key", &err);
    char *end1 = NULL, *end2 = NULL;
    long items = strtol(argv[4], &end1, 10), count = strtol(argv[5], &end2, 10);
    if (*end1 || *end2 || items < 1 || items > 100 || count < 1) {
        fprintf(stderr, "gen_tokens: ITEMS must be 1..100 and COUNT positive\n");
        return 2;
    }
    size_t cap = (size_t)items * 512 + 16;
    char *body = malloc(cap);
    if (!body) return fail("body", NULL);
    for (long n = 0; n < count; n++) {
        size_t len = 0;
        body[len++] = '[';
        for (long i = 0; i < items; i++) {
            len += (size_t)snprintf(body + len, cap - len,
                                    "%s{\"refPayoutId\":\"%s-%ld-%ld\",\"destination\":\"%s\","
                                    "\"scheduleType\":\"SCHEDULED\",\"payoutDate\":\"%s\","
                                    "\"amount\":{\"currency\":\"KRW\",\"value\":1000},"
                                    "\"transactionDescription\":\"벤치지급\","
                                    "\"metadata\":{\"orderId\":\"order-%ld-%ld\"}}",
                                    i ? "," : "", argv[6], n, i, argv[2], argv[3], n, i);
        }
        body[len++] = ']';
        char *token = NULL, idem[PAY_UUID_BUF];
        size_t token_len = 0;
        if (pay_jwe_seal(&key, (const uint8_t *)body, len, &token, &token_len, &err) != PAY_OK)
            return fail("seal", &err);
        if (pay_uuid_v4(idem) != PAY_OK) return fail("uuid", NULL);
        printf("%s %s\n", idem, token);
        free(token);
    }
    free(body);
    pay_key_wipe(&key);
    return fflush(stdout) == 0 ? 0 : 1;
}
