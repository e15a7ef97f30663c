/*
 * Fuzz target: the POST /v2/payouts body (spec §4.7): the server's JSON
 * parse (http/gate.c), then pay_decode_payout_item (src/core/validate.h)
 * on each of at most PAY_PAYOUT_BATCH_MAX items, as core/payouts.c walks
 * the array (a lone object is decoded as item 0, for the error paths).
 * "today" is fixed at 2024-08-07 (spec §8.4's request day).
 *
 * Invariants: a decoded payout has amount.value in 1..999,999,999, a
 * printable-ASCII refPayoutId of 1-50 characters and destination, a known
 * scheduleType, an EXPRESS payout dated today, a description of at most 7
 * characters and at most 5 metadata pairs.
 */
#include "fuzz.h"

#include "common/timeutil.h"
#include "core/model.h"
#include "core/validate.h"

static void decode_one(const json_t *item, size_t index, int32_t today)
{
    pay_payout p;
    pay_fault f;
    memset(&f, 0, sizeof f);
    if (!pay_decode_payout_item(item, index, today, &p, &f)) {
        FUZZ_CHECK(f.code != PAY_E_NONE);
        pay_payout_clear(&p);
        return;
    }
    FUZZ_CHECK(p.amount >= 1 && p.amount <= 999999999);
    FUZZ_CHECK(p.amount < PAY_PAYOUT_AMOUNT_LIMIT);
    size_t ref_chars = fuzz_utf8_chars(p.ref_payout_id);
    FUZZ_CHECK(ref_chars >= 1 && ref_chars <= PAY_REF_PAYOUT_ID_MAX);
    FUZZ_CHECK(fuzz_printable_ascii(p.ref_payout_id));
    FUZZ_CHECK(fuzz_printable_ascii(p.destination));
    FUZZ_CHECK(strlen(p.destination) <= PAY_DESTINATION_MAX);
    FUZZ_CHECK(p.schedule_type == PAY_SCHEDULE_EXPRESS ||
               p.schedule_type == PAY_SCHEDULE_SCHEDULED);
    if (p.schedule_type == PAY_SCHEDULE_EXPRESS) FUZZ_CHECK(p.payout_date == today);
    /* a parsed calendar date: 1970-01-01 .. 9999-12-31 */
    FUZZ_CHECK(p.payout_date >= 0 && p.payout_date <= pay_days_from_civil(9999, 12, 31));
    size_t desc_chars = fuzz_utf8_chars(p.description);
    FUZZ_CHECK(desc_chars >= 1 && desc_chars <= PAY_DESCRIPTION_MAX);
    FUZZ_CHECK(!p.metadata || json_object_size(p.metadata) <= PAY_METADATA_PAIRS_MAX);
    pay_payout_clear(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int32_t today;
    if (!today) today = pay_days_from_civil(2024, 8, 7);
    json_t *body = fuzz_load_body(data, size);
    if (!body) return 0;
    fuzz_check_depth_guard(data, size, body);
    if (json_is_array(body)) {
        size_t n = json_array_size(body);
        for (size_t i = 0; i < n && i < PAY_PAYOUT_BATCH_MAX; i++)
            decode_one(json_array_get(body, i), i, today);
    } else {
        decode_one(body, 0, today);
    }
    json_decref(body);
    return 0;
}
