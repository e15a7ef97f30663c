/*
 * The domain's nouns: merchants, API keys, sellers, payouts, ledger accounts.
 * Plain structs shared by core/, store/ and api/. Nested seller data
 * (company, individual, account, metadata) is kept as validated jansson
 * objects: the decoder in core/validate.c guarantees their shape.
 *
 * Ownership: structs are caller-embedded; *_clear releases what they own
 * (json references) and is safe on a zeroed struct. Not thread-safe.
 */
#ifndef PAY_MODEL_H
#define PAY_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/ids.h"

typedef enum pay_env { PAY_ENV_TEST = 0, PAY_ENV_LIVE = 1 } pay_env;
const char *pay_env_name(pay_env env); /* "test" | "live" */

/* Every object belongs to one merchant in one environment (test keys see
 * only test data, live keys only live data). */
typedef struct pay_scope {
    int64_t merchant_id;
    pay_env env;
} pay_scope;

typedef struct pay_merchant {
    int64_t id;
    char mid[64];
    bool payout_contract;
    /* Sandbox clock (spec §10 #15): test-mode time = real time + this offset.
     * Live mode always uses the real clock. */
    int64_t test_clock_offset_us;
    int64_t created_at_us;
} pay_merchant;

typedef enum pay_key_kind {
    PAY_KEY_SECRET = 1,   /* test_sk_/live_sk_: Basic auth; stored as a hash */
    PAY_KEY_CLIENT = 2,   /* test_ck_/live_ck_: browser SDK; stored as a hash */
    PAY_KEY_SECURITY = 3, /* 64 hex: JWE and webhook HMAC; needed in clear */
} pay_key_kind;

#define PAY_KEY_MATERIAL_MAX 128

typedef struct pay_api_key {
    int64_t id;
    int64_t merchant_id;
    pay_env env;
    pay_key_kind kind;
    uint8_t lookup[32]; /* SHA-256 of the key string (secret/client keys) */
    uint8_t material[PAY_KEY_MATERIAL_MAX]; /* security key bytes as stored */
    size_t material_len;
    char hint[12]; /* last 4 characters, for operators; never the key */
    int64_t created_at_us;
    int64_t expires_at_us; /* 0 = does not expire */
} pay_api_key;

typedef enum pay_business_type {
    PAY_BT_INDIVIDUAL = 1,
    PAY_BT_INDIVIDUAL_BUSINESS = 2,
    PAY_BT_CORPORATE = 3,
} pay_business_type;
const char *pay_business_type_name(pay_business_type t);
bool pay_business_type_parse(const char *s, pay_business_type *out);

typedef enum pay_seller_status {
    PAY_SELLER_APPROVAL_REQUIRED = 1,
    PAY_SELLER_PARTIALLY_APPROVED = 2,
    PAY_SELLER_KYC_REQUIRED = 3,
    PAY_SELLER_APPROVED = 4,
} pay_seller_status;
const char *pay_seller_status_name(pay_seller_status s);
bool pay_seller_status_parse(const char *s, pay_seller_status *out);

/* Limits of spec §10 #1, in characters (code points) unless noted. */
#define PAY_REF_SELLER_ID_MAX 20
#define PAY_REF_PAYOUT_ID_MAX 50
#define PAY_DESCRIPTION_MAX 7
#define PAY_NAME_MAX 60
#define PAY_EMAIL_MAX 100
#define PAY_PHONE_MIN 8
#define PAY_PHONE_MAX 15
#define PAY_ACCOUNT_NUMBER_MAX 20
#define PAY_HOLDER_NAME_MAX 60
#define PAY_BRN_LEN 10
#define PAY_METADATA_PAIRS_MAX 5
#define PAY_METADATA_KEY_MAX 40
#define PAY_METADATA_VALUE_MAX 500
#define PAY_PAYOUT_BATCH_MAX 100
#define PAY_PAYOUT_AMOUNT_LIMIT INT64_C(1000000000) /* per item: < 10억 KRW */
#define PAY_DESTINATION_MAX 64
/* Byte capacity of a UTF-8 string of n characters, plus NUL. */
#define PAY_UTF8_CAP(n) ((n) * 4 + 1)

typedef struct pay_seller {
    char id[PAY_OBJECT_ID_MAX];
    pay_scope scope;
    char ref_seller_id[PAY_UTF8_CAP(PAY_REF_SELLER_ID_MAX)];
    pay_business_type business_type;
    pay_seller_status status;
    json_t *company;    /* NULL when absent */
    json_t *individual; /* NULL when absent */
    json_t *account;    /* always set on a stored seller; full account number */
    json_t *metadata;   /* NULL when absent */
    int64_t created_at_us;
    int64_t updated_at_us;
    bool deleted;
} pay_seller;
void pay_seller_clear(pay_seller *s);

typedef enum pay_schedule_type {
    PAY_SCHEDULE_EXPRESS = 1,
    PAY_SCHEDULE_SCHEDULED = 2,
} pay_schedule_type;
const char *pay_schedule_type_name(pay_schedule_type t);
bool pay_schedule_type_parse(const char *s, pay_schedule_type *out);

typedef enum pay_payout_status {
    PAY_PAYOUT_REQUESTED = 1,
    PAY_PAYOUT_IN_PROGRESS = 2,
    PAY_PAYOUT_COMPLETED = 3,
    PAY_PAYOUT_FAILED = 4,
    PAY_PAYOUT_CANCELED = 5,
} pay_payout_status;
const char *pay_payout_status_name(pay_payout_status s);
bool pay_payout_status_parse(const char *s, pay_payout_status *out);

typedef struct pay_payout {
    char id[PAY_OBJECT_ID_MAX];
    pay_scope scope;
    char ref_payout_id[PAY_UTF8_CAP(PAY_REF_PAYOUT_ID_MAX)];
    char destination[PAY_DESTINATION_MAX + 1];
    pay_schedule_type schedule_type;
    int32_t payout_date; /* days since epoch (KST calendar date) */
    int64_t amount;      /* KRW, whole won */
    char description[PAY_UTF8_CAP(PAY_DESCRIPTION_MAX)];
    json_t *metadata; /* NULL when absent */
    int64_t requested_at_us;
    pay_payout_status status;
    char error_code[64];     /* empty when no error */
    char error_message[512];
    int64_t updated_at_us;
    /* When the scheduler moves it next (REQUESTED: start of its payout date;
     * IN_PROGRESS: end of the bank step); 0 once final. Business time. */
    int64_t due_at_us;
} pay_payout;
void pay_payout_clear(pay_payout *p);

/* ---- webhooks (spec §4.11) ---- */

typedef enum pay_event_status {
    PAY_EVENT_PENDING = 0,     /* waiting for its next attempt */
    PAY_EVENT_DELIVERED = 1,   /* the receiver answered 200 */
    PAY_EVENT_FAILED = 2,      /* every retry used up */
    PAY_EVENT_NO_ENDPOINT = 3, /* no webhook URL was set when it was due */
} pay_event_status;
const char *pay_event_status_name(pay_event_status s);

#define PAY_EVENT_TYPE_MAX 32
#define PAY_URL_MAX 2048

typedef struct pay_webhook_event {
    int64_t seq;
    char event_id[PAY_OBJECT_ID_MAX];
    pay_scope scope;
    char event_type[PAY_EVENT_TYPE_MAX]; /* payout.changed | seller.changed */
    char *body;                          /* exact JSON bytes that are signed and sent */
    int64_t created_at_us;
    pay_event_status status;
    int attempts; /* deliveries tried so far */
    int64_t next_attempt_at_us;
    int64_t last_attempt_at_us;
    int last_http_status; /* 0 = no HTTP answer */
    char last_error[256];
    int64_t delivered_at_us;
} pay_webhook_event;
void pay_webhook_event_clear(pay_webhook_event *e);

/* ---- idempotency (spec §7) ---- */

typedef struct pay_idem_record {
    uint8_t scope_hash[32]; /* SHA-256 of API key + method + URL + Idempotency-Key */
    pay_scope scope;
    int64_t created_at_us;
    int http_status;
    char *body; /* the plaintext response envelope */
} pay_idem_record;
void pay_idem_record_clear(pay_idem_record *r);

/* ---- sales credited by the operator, settled on a date (spec §5.1) ---- */

typedef struct pay_credit {
    int64_t id;
    pay_scope scope;
    int64_t amount;
    int32_t settle_date; /* KST date on which pending becomes available */
    int64_t created_at_us;
} pay_credit;

/* Ledger accounts of one scope. Double entry: every transaction's entries sum
 * to zero, so the sum of all balances of a scope is always zero. */
typedef enum pay_account {
    PAY_ACCT_AVAILABLE = 1, /* payable now (availableAmount) */
    PAY_ACCT_PENDING = 2,   /* credited, not yet settled (pendingAmount) */
    PAY_ACCT_RESERVED = 3,  /* held by accepted, unfinished payouts */
    PAY_ACCT_PAID_OUT = 4,  /* external: paid to sellers' banks */
    PAY_ACCT_FUNDING = 5,   /* external: where credited sales come from */
} pay_account;
#define PAY_ACCT_COUNT 5
const char *pay_account_name(pay_account a);
/* Internal accounts hold money we owe the merchant: never below zero. */
bool pay_account_is_internal(pay_account a);

#endif
