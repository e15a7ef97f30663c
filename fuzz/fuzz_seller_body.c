/*
 * Fuzz target: the POST /v2/sellers body (spec §4.2) as the server decodes
 * it: pay_json_depth, json_loadb with duplicate keys rejected
 * (http/gate.c pay_gate_body), then pay_decode_seller_create
 * (src/core/validate.h).
 *
 * Invariants: the depth guard never under-counts jansson's tree; a decoded
 * seller has a 1-20 character printable-ASCII refSellerId, exactly the
 * parts its businessType calls for, an account, at most 5 metadata pairs;
 * and the decoder's canonical output is a fixed point: re-encoded as a
 * request it decodes to equal objects.
 */
#include "fuzz.h"

#include "core/model.h"
#include "core/validate.h"

static json_t *as_request(const pay_seller *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "refSellerId", json_string(s->ref_seller_id));
    json_object_set_new(o, "businessType", json_string(pay_business_type_name(s->business_type)));
    if (s->company) json_object_set(o, "company", s->company);
    if (s->individual) json_object_set(o, "individual", s->individual);
    json_object_set(o, "account", s->account);
    if (s->metadata) json_object_set(o, "metadata", s->metadata);
    return o;
}

static bool same_part(const json_t *a, const json_t *b)
{
    return (!a && !b) || (a && b && json_equal((json_t *)a, (json_t *)b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = fuzz_load_body(data, size);
    if (!body) return 0;
    fuzz_check_depth_guard(data, size, body);
    pay_seller s, again;
    pay_fault f;
    memset(&f, 0, sizeof f);
    if (!pay_decode_seller_create(body, &s, &f)) {
        FUZZ_CHECK(f.code != PAY_E_NONE);
        FUZZ_CHECK(!s.company && !s.individual && !s.account && !s.metadata);
        json_decref(body);
        return 0;
    }
    size_t ref_chars = fuzz_utf8_chars(s.ref_seller_id);
    FUZZ_CHECK(ref_chars >= 1 && ref_chars <= PAY_REF_SELLER_ID_MAX);
    FUZZ_CHECK(fuzz_printable_ascii(s.ref_seller_id));
    FUZZ_CHECK(s.account && json_is_object(s.account));
    if (s.business_type == PAY_BT_INDIVIDUAL)
        FUZZ_CHECK(s.individual && !s.company);
    else
        FUZZ_CHECK((s.business_type == PAY_BT_INDIVIDUAL_BUSINESS ||
                    s.business_type == PAY_BT_CORPORATE) &&
                   s.company && !s.individual);
    FUZZ_CHECK(!s.metadata || json_object_size(s.metadata) <= PAY_METADATA_PAIRS_MAX);

    json_t *req = as_request(&s);
    FUZZ_CHECK(pay_decode_seller_create(req, &again, &f));
    FUZZ_CHECK(strcmp(again.ref_seller_id, s.ref_seller_id) == 0);
    FUZZ_CHECK(again.business_type == s.business_type);
    FUZZ_CHECK(same_part(again.company, s.company) && same_part(again.individual, s.individual) &&
               same_part(again.account, s.account) && same_part(again.metadata, s.metadata));
    pay_seller_clear(&again);
    json_decref(req);
    pay_seller_clear(&s);
    json_decref(body);
    return 0;
}
