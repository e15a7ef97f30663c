#include "core/render.h"

#include "common/jsonutil.h"
#include "common/timeutil.h"
#include "core/validate.h"
#include "payout/jwe.h"

static json_t *or_null(json_t *v)
{
    return v ? json_incref(v) : json_null();
}

json_t *pay_render_amount(int64_t won)
{
    json_t *a = json_object();
    json_object_set_new(a, "currency", json_string("KRW"));
    json_object_set_new(a, "value", json_real((double)won));
    return a;
}

static json_t *masked_account(const json_t *account)
{
    json_t *a = json_deep_copy(account);
    const char *number = json_string_value(json_object_get(account, "accountNumber"));
    if (a && number) {
        char masked[64];
        pay_mask_account(number, masked, sizeof masked);
        json_object_set_new(a, "accountNumber", json_string(masked));
    }
    return a ? a : json_null();
}

json_t *pay_render_seller(const pay_seller *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "refSellerId", pay_json_text(s->ref_seller_id));
    json_object_set_new(o, "businessType", json_string(pay_business_type_name(s->business_type)));
    json_object_set_new(o, "company", or_null(s->company));
    json_object_set_new(o, "individual", or_null(s->individual));
    json_object_set_new(o, "account", s->account ? masked_account(s->account) : json_null());
    json_object_set_new(o, "status", json_string(pay_seller_status_name(s->status)));
    json_object_set_new(o, "metadata", or_null(s->metadata));
    return o;
}

json_t *pay_render_payout(const pay_payout *p)
{
    char date[PAY_DATE_BUF], at[PAY_IAT_BUF];
    pay_date_format(p->payout_date, date);
    pay_format_kst(p->requested_at_us, at);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(p->id));
    json_object_set_new(o, "refPayoutId", pay_json_text(p->ref_payout_id));
    json_object_set_new(o, "destination", pay_json_text(p->destination));
    json_object_set_new(o, "scheduleType", json_string(pay_schedule_type_name(p->schedule_type)));
    json_object_set_new(o, "payoutDate", json_string(date));
    json_object_set_new(o, "amount", pay_render_amount(p->amount));
    json_object_set_new(o, "transactionDescription", pay_json_text(p->description));
    json_object_set_new(o, "requestedAt", json_string(at));
    json_object_set_new(o, "status", json_string(pay_payout_status_name(p->status)));
    if (p->error_code[0]) {
        json_t *e = json_object();
        json_object_set_new(e, "code", json_string(p->error_code));
        json_object_set_new(e, "message", pay_json_text(p->error_message));
        json_object_set_new(o, "error", e);
    } else {
        json_object_set_new(o, "error", json_null());
    }
    json_object_set_new(o, "metadata", or_null(p->metadata));
    return o;
}

json_t *pay_render_balance(const pay_balance *b)
{
    json_t *o = json_object();
    json_object_set_new(o, "pendingAmount", pay_render_amount(b->pending));
    json_object_set_new(o, "availableAmount", pay_render_amount(b->available));
    return o;
}
