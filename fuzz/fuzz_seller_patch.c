/*
 * Fuzz target: the POST /v2/sellers/{id} partial update (spec §4.5,
 * §10 #16): the server's JSON parse (http/gate.c), then
 * pay_seller_apply_patch (src/core/sellers.h) against two fixed current
 * sellers, an INDIVIDUAL one (spec §8.1) and an INDIVIDUAL_BUSINESS one
 * (spec §8.2, with a full account number), each built with
 * pay_decode_seller_create from a literal.
 *
 * Invariants: an accepted patch keeps refSellerId and businessType, leaves
 * an account and the parts the type needs; the merge is idempotent
 * (applying the same patch to its result changes nothing); and an empty
 * patch is accepted and changes nothing.
 */
#include "fuzz.h"

#include "core/model.h"
#include "core/sellers.h"
#include "core/validate.h"

static const char *const current_json[] = {
    "{\"refSellerId\":\"my-seller-1000001\",\"businessType\":\"INDIVIDUAL\","
    "\"individual\":{\"name\":\"김기원\",\"email\":\"noreply@example.com\",\"phone\":"
    "\"01012345678\"},"
    "\"account\":{\"bankCode\":\"004\",\"accountNumber\":\"049210482003\",\"holderName\":"
    "\"김기원\"},"
    "\"metadata\":{\"key1\":\"value1\",\"key2\":\"value2\"}}",
    "{\"refSellerId\":\"my-seller-1\",\"businessType\":\"INDIVIDUAL_BUSINESS\","
    "\"company\":{\"name\":\"테스트 상호\",\"representativeName\":\"김토스\","
    "\"businessRegistrationNumber\":\"1234567890\",\"email\":\"toss@sample.com\","
    "\"phone\":\"01012345678\"},"
    "\"account\":{\"bankCode\":\"092\",\"accountNumber\":\"12345678990123\",\"holderName\":"
    "\"김토스\"}}",
};
#define NCUR 2

static pay_seller current[NCUR];
static bool ready;

static void load_current(void)
{
    for (int i = 0; i < NCUR; i++) {
        json_error_t jerr;
        pay_fault f;
        json_t *j = json_loads(current_json[i], JSON_REJECT_DUPLICATES, &jerr);
        FUZZ_CHECK(j != NULL);
        FUZZ_CHECK(pay_decode_seller_create(j, &current[i], &f));
        json_decref(j);
    }
    ready = true;
}

static bool same_part(const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal((json_t *)a, (json_t *)b));
}

static bool same_seller(const pay_seller *a, const pay_seller *b)
{
    return strcmp(a->ref_seller_id, b->ref_seller_id) == 0 &&
           a->business_type == b->business_type && same_part(a->company, b->company) &&
           same_part(a->individual, b->individual) && same_part(a->account, b->account) &&
           same_part(a->metadata, b->metadata);
}

static void patch_one(const pay_seller *cur, const json_t *patch)
{
    pay_seller next, twice;
    pay_fault f;
    memset(&f, 0, sizeof f);
    memset(&next, 0, sizeof next);
    if (!pay_seller_apply_patch(cur, patch, &next, &f)) {
        FUZZ_CHECK(f.code != PAY_E_NONE);
        pay_seller_clear(&next);
        return;
    }
    FUZZ_CHECK(strcmp(next.ref_seller_id, cur->ref_seller_id) == 0);
    FUZZ_CHECK(next.business_type == cur->business_type);
    FUZZ_CHECK(next.account != NULL);
    if (cur->business_type == PAY_BT_INDIVIDUAL)
        FUZZ_CHECK(next.individual && !next.company);
    else
        FUZZ_CHECK(next.company && !next.individual);
    FUZZ_CHECK(!next.metadata || json_object_size(next.metadata) <= PAY_METADATA_PAIRS_MAX);
    memset(&twice, 0, sizeof twice);
    FUZZ_CHECK(pay_seller_apply_patch(&next, patch, &twice, &f));
    FUZZ_CHECK(same_seller(&next, &twice));
    pay_seller_clear(&twice);
    pay_seller_clear(&next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        load_current();
        /* An empty patch is a no-op. */
        json_t *empty = json_object();
        for (int i = 0; i < NCUR; i++) {
            pay_seller next;
            pay_fault f;
            memset(&next, 0, sizeof next);
            FUZZ_CHECK(pay_seller_apply_patch(&current[i], empty, &next, &f));
            FUZZ_CHECK(same_seller(&current[i], &next));
            pay_seller_clear(&next);
        }
        json_decref(empty);
    }
    json_t *patch = fuzz_load_body(data, size);
    if (!patch) return 0;
    fuzz_check_depth_guard(data, size, patch);
    for (int i = 0; i < NCUR; i++)
        patch_one(&current[i], patch);
    json_decref(patch);
    return 0;
}
