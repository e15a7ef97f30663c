#include "core/model.h"

#include <stdlib.h>
#include <string.h>

#define NAME_TABLE(fn_name, parse_name, type, ...)                                                 \
    static const struct {                                                                          \
        type v;                                                                                    \
        const char *s;                                                                             \
    } fn_name##_rows[] = {__VA_ARGS__};                                                            \
    const char *fn_name(type v)                                                                    \
    {                                                                                              \
        for (size_t i = 0; i < sizeof fn_name##_rows / sizeof fn_name##_rows[0]; i++)             \
            if (fn_name##_rows[i].v == v) return fn_name##_rows[i].s;                              \
        return "UNKNOWN";                                                                          \
    }                                                                                              \
    bool parse_name(const char *s, type *out)                                                      \
    {                                                                                              \
        for (size_t i = 0; i < sizeof fn_name##_rows / sizeof fn_name##_rows[0]; i++)             \
            if (strcmp(fn_name##_rows[i].s, s) == 0) {                                             \
                *out = fn_name##_rows[i].v;                                                        \
                return true;                                                                       \
            }                                                                                      \
        return false;                                                                              \
    }

NAME_TABLE(pay_business_type_name, pay_business_type_parse, pay_business_type,
           {PAY_BT_INDIVIDUAL, "INDIVIDUAL"}, {PAY_BT_INDIVIDUAL_BUSINESS, "INDIVIDUAL_BUSINESS"},
           {PAY_BT_CORPORATE, "CORPORATE"})

NAME_TABLE(pay_seller_status_name, pay_seller_status_parse, pay_seller_status,
           {PAY_SELLER_APPROVAL_REQUIRED, "APPROVAL_REQUIRED"},
           {PAY_SELLER_PARTIALLY_APPROVED, "PARTIALLY_APPROVED"},
           {PAY_SELLER_KYC_REQUIRED, "KYC_REQUIRED"}, {PAY_SELLER_APPROVED, "APPROVED"})

NAME_TABLE(pay_schedule_type_name, pay_schedule_type_parse, pay_schedule_type,
           {PAY_SCHEDULE_EXPRESS, "EXPRESS"}, {PAY_SCHEDULE_SCHEDULED, "SCHEDULED"})

NAME_TABLE(pay_payout_status_name, pay_payout_status_parse, pay_payout_status,
           {PAY_PAYOUT_REQUESTED, "REQUESTED"}, {PAY_PAYOUT_IN_PROGRESS, "IN_PROGRESS"},
           {PAY_PAYOUT_COMPLETED, "COMPLETED"}, {PAY_PAYOUT_FAILED, "FAILED"},
           {PAY_PAYOUT_CANCELED, "CANCELED"})

const char *pay_env_name(pay_env env)
{
    return env == PAY_ENV_LIVE ? "live" : "test";
}

const char *pay_account_name(pay_account a)
{
    switch (a) {
    case PAY_ACCT_AVAILABLE: return "available";
    case PAY_ACCT_PENDING: return "pending";
    case PAY_ACCT_RESERVED: return "reserved";
    case PAY_ACCT_PAID_OUT: return "paid_out";
    case PAY_ACCT_FUNDING: return "funding";
    }
    return "unknown";
}

bool pay_account_is_internal(pay_account a)
{
    return a == PAY_ACCT_AVAILABLE || a == PAY_ACCT_PENDING || a == PAY_ACCT_RESERVED;
}

void pay_seller_clear(pay_seller *s)
{
    if (!s) return;
    json_decref(s->company);
    json_decref(s->individual);
    json_decref(s->account);
    json_decref(s->metadata);
    memset(s, 0, sizeof *s);
}

void pay_payout_clear(pay_payout *p)
{
    if (!p) return;
    json_decref(p->metadata);
    memset(p, 0, sizeof *p);
}

const char *pay_event_status_name(pay_event_status s)
{
    switch (s) {
    case PAY_EVENT_PENDING: return "PENDING";
    case PAY_EVENT_DELIVERED: return "DELIVERED";
    case PAY_EVENT_FAILED: return "FAILED";
    case PAY_EVENT_NO_ENDPOINT: return "NO_ENDPOINT";
    }
    return "UNKNOWN";
}

void pay_webhook_event_clear(pay_webhook_event *e)
{
    if (!e) return;
    free(e->body);
    memset(e, 0, sizeof *e);
}

void pay_idem_record_clear(pay_idem_record *r)
{
    if (!r) return;
    free(r->body);
    memset(r, 0, sizeof *r);
}
