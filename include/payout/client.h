/*
 * payout/client.h — a client for the v2 payout API (sellers, payouts,
 * balances), against payoutd or the real service.
 *
 * The client gets the encryption right: POST bodies are sealed with the
 * security key (fresh IV, iat and nonce on every attempt), the security-mode
 * header is sent where required, sealed answers are opened, and error bodies
 * are read whether they come back plain or sealed (spec §3.6, §10 #4). The
 * caller always gets the HTTP status, the error code and message, and the
 * trace id in a pay_call.
 *
 * Retries: transient network failures (connect refused or timed out, a
 * reset, an empty or cut answer, a timeout), 5xx, 429 and 409
 * IDEMPOTENT_REQUEST_PROCESSING are retried with capped exponential backoff,
 * waiting at least what a Retry-After asks; failures that asking again
 * cannot fix (a bad URL, an untrusted certificate) are not, and the message
 * says why. A POST always carries an Idempotency-Key (generated when the
 * caller gives none) and keeps it across retries, so a retried payout is made
 * once; a DELETE, which carries none, is retried only when it never reached
 * the server. Other 4xx answers are never retried.
 *
 * Ownership: pay_client_new / pay_client_free. Results (pay_seller_result,
 * pay_payout_list, ...) are owned by the caller and freed with their _free
 * function (NULL is a no-op); their const char * fields borrow from the
 * result and live as long as it. Input structs are borrowed for the call.
 * Thread-safety: a pay_client may be used by one thread at a time; use one
 * client per thread (they are cheap). pay_client_global_init() must run once
 * before any thread creates a client (it initialises libcurl).
 */
#ifndef PAYOUT_CLIENT_H
#define PAYOUT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payout/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PAY_DEFAULT_BASE_URL "https://api.tosspayments.com"

/* Limits of the retry policy (pay_client_new refuses larger settings). */
#define PAY_CLIENT_RETRIES_MAX 10       /* max_retries */
#define PAY_CLIENT_BACKOFF_MAX_MS 30000 /* one backoff wait, doubling and jitter included */
#define PAY_CLIENT_RETRY_AFTER_MAX_S 60 /* a longer Retry-After ends the retries */

typedef struct pay_client pay_client;

typedef struct pay_client_config {
    const char *base_url;         /* NULL: PAY_DEFAULT_BASE_URL */
    const char *secret_key;       /* test_sk_... / live_sk_... (required) */
    const char *security_key;     /* 64 hex characters (required for sealed calls) */
    long connect_timeout_ms;      /* 0: 10 s */
    long timeout_ms;              /* 0: 60 s per attempt */
    int max_retries;              /* extra attempts after the first, at most
                                     PAY_CLIENT_RETRIES_MAX; -1: none; 0: default 2 */
    long retry_backoff_ms;        /* first backoff, doubled each retry up to
                                     PAY_CLIENT_BACKOFF_MAX_MS; 0: 250 ms */
    const char *accept_language;  /* e.g. "en-US"; NULL: the server default (Korean) */
    bool encrypt_reads;           /* send the security-mode header on GET/DELETE too */
    const char *ca_file;          /* extra CA bundle (a self-signed payoutd); NULL: system */
    const char *test_code;        /* TossPayments-Test-Code (test keys only); NULL: none */
    const char *user_agent;       /* NULL: "libpayout/<version>" */
} pay_client_config;

/* Once per process, before threads: initialises libcurl. */
PAY_API pay_err pay_client_global_init(void);
PAY_API void pay_client_global_cleanup(void);

PAY_API pay_err pay_client_new(const pay_client_config *cfg, pay_client **out,
                               pay_error *err) PAY_WUR;
PAY_API void pay_client_free(pay_client *c);

/* ---- one call: in and out ------------------------------------------------ */

#define PAY_TRACE_ID_BUF 40
#define PAY_IDEMPOTENCY_KEY_BUF 301
#define PAY_CALL_CODE_BUF 64
#define PAY_CALL_MESSAGE_BUF 1024

typedef enum pay_call_outcome {
    PAY_CALL_OK = 0,        /* 2xx and understood */
    PAY_CALL_API_ERROR,     /* the server answered with an error envelope */
    PAY_CALL_AUTH_ERROR,    /* 401/403 on credentials or permission (C23) */
    PAY_CALL_NETWORK_ERROR, /* no answer: connect, TLS, timeout, reset */
    PAY_CALL_BAD_RESPONSE,  /* an answer that could not be read (C14) */
    PAY_CALL_LOCAL_ERROR,   /* nothing was sent: bad input, sealing failed */
} pay_call_outcome;

typedef struct pay_call {
    /* in (optional) */
    const char *idempotency_key; /* NULL: one is generated for POSTs */
    /* out */
    pay_call_outcome outcome;
    long http_status;                      /* 0 when nothing was answered */
    char code[PAY_CALL_CODE_BUF];          /* error code ("" on success) */
    char message[PAY_CALL_MESSAGE_BUF];    /* server message or local cause */
    char trace_id[PAY_TRACE_ID_BUF];       /* X-TossPayments-Trace-Id / traceId */
    char used_idempotency_key[PAY_IDEMPOTENCY_KEY_BUF];
    int attempts;                          /* HTTP attempts made */
    bool replayed;                         /* Idempotent-Replayed: true */
    bool sealed_response;                  /* the answer was a JWE */
} pay_call;

/* One sentence on what a failed call means for the caller (C23: 401 vs
 * 403, C24: a business refusal is not a key problem). Static text. */
PAY_API const char *pay_call_hint(const pay_call *call);

/* ---- objects -------------------------------------------------------------- */

typedef struct pay_kv {
    const char *key;
    const char *value;
} pay_kv;

#define PAY_METADATA_MAX 5

typedef struct pay_company_fields {
    const char *name;
    const char *representative_name;
    const char *business_registration_number;
    const char *email;
    const char *phone;
} pay_company_fields;

typedef struct pay_individual_fields {
    const char *name;
    const char *email;
    const char *phone;
} pay_individual_fields;

typedef struct pay_account_fields {
    const char *bank_code;
    const char *account_number;
    const char *holder_name;
} pay_account_fields;

/* A seller to register, or the changes of an update (NULL = unchanged). */
typedef struct pay_seller_fields {
    const char *ref_seller_id;
    const char *business_type; /* "INDIVIDUAL" | "INDIVIDUAL_BUSINESS" | "CORPORATE" */
    const pay_company_fields *company;
    const pay_individual_fields *individual;
    const pay_account_fields *account;
    const pay_kv *metadata;
    size_t metadata_len;
    bool remove_metadata; /* update only: send "metadata": null */
} pay_seller_fields;

/* A seller as the API returns it. */
typedef struct pay_seller_result {
    const char *id;
    const char *ref_seller_id;
    const char *business_type;
    const char *status;
    bool has_company, has_individual;
    pay_company_fields company;
    pay_individual_fields individual;
    pay_account_fields account; /* account_number comes masked */
    pay_kv metadata[PAY_METADATA_MAX];
    size_t metadata_len;
    void *priv_;
} pay_seller_result;

typedef struct pay_payout_fields {
    const char *ref_payout_id;
    const char *destination;   /* seller id */
    const char *schedule_type; /* "EXPRESS" | "SCHEDULED" */
    const char *payout_date;   /* yyyy-MM-dd; SCHEDULED only */
    int64_t amount;            /* KRW, whole won, sent as a JSON number */
    const char *transaction_description;
    const pay_kv *metadata;
    size_t metadata_len;
} pay_payout_fields;

typedef struct pay_payout_result {
    const char *id;
    const char *ref_payout_id;
    const char *destination;
    const char *schedule_type;
    const char *payout_date;
    int64_t amount;
    const char *currency;
    const char *transaction_description;
    const char *requested_at;
    const char *status;
    const char *error_code;    /* NULL unless FAILED */
    const char *error_message;
    pay_kv metadata[PAY_METADATA_MAX];
    size_t metadata_len;
} pay_payout_result;

typedef struct pay_payout_list {
    pay_payout_result *items;
    size_t n;
    bool has_next;
    const char *last_cursor; /* NULL on an empty page */
    void *priv_;
} pay_payout_list;

typedef struct pay_seller_list {
    pay_seller_result *items;
    size_t n;
    bool has_next;
    const char *last_cursor;
    void *priv_;
} pay_seller_list;

typedef struct pay_balance_result {
    int64_t available;
    int64_t pending;
} pay_balance_result;

typedef struct pay_list_params {
    size_t limit;                 /* 0: the server default (10) */
    const char *starting_after;   /* NULL: from the first */
    const char *payout_date_gte;  /* payouts only */
    const char *payout_date_lte;
} pay_list_params;

PAY_API void pay_seller_result_free(pay_seller_result *s);
PAY_API void pay_payout_list_free(pay_payout_list *l);
PAY_API void pay_seller_list_free(pay_seller_list *l);
/* A single payout (get, cancel) comes as a one-item list. */

/* ---- the endpoints (spec §4) -------------------------------------------- */

PAY_API pay_err pay_client_sellers_create(pay_client *c, const pay_seller_fields *seller,
                                          pay_seller_result **out, pay_call *call) PAY_WUR;
PAY_API pay_err pay_client_sellers_get(pay_client *c, const char *seller_id,
                                       pay_seller_result **out, pay_call *call) PAY_WUR;
PAY_API pay_err pay_client_sellers_list(pay_client *c, const pay_list_params *p,
                                        pay_seller_list **out, pay_call *call) PAY_WUR;
PAY_API pay_err pay_client_sellers_update(pay_client *c, const char *seller_id,
                                          const pay_seller_fields *changes, pay_seller_result **out,
                                          pay_call *call) PAY_WUR;
/* On success *deleted_ref receives a copy of the deleted seller's
 * refSellerId (free()); may be NULL. */
PAY_API pay_err pay_client_sellers_delete(pay_client *c, const char *seller_id, char **deleted_ref,
                                          pay_call *call) PAY_WUR;

PAY_API pay_err pay_client_payouts_request(pay_client *c, const pay_payout_fields *items, size_t n,
                                           pay_payout_list **out, pay_call *call) PAY_WUR;
PAY_API pay_err pay_client_payouts_get(pay_client *c, const char *payout_id, pay_payout_list **out,
                                       pay_call *call) PAY_WUR;
PAY_API pay_err pay_client_payouts_list(pay_client *c, const pay_list_params *p,
                                        pay_payout_list **out, pay_call *call) PAY_WUR;
PAY_API pay_err pay_client_payouts_cancel(pay_client *c, const char *payout_id,
                                          pay_payout_list **out, pay_call *call) PAY_WUR;

PAY_API pay_err pay_client_balances_get(pay_client *c, pay_balance_result *out,
                                        pay_call *call) PAY_WUR;

/* ---- the raw layer, for tools --------------------------------------------- */

/* Sends one request: body (JSON text or NULL) is sealed when `seal` is set;
 * *envelope receives the answer's plaintext JSON text (malloc'd, also for
 * error answers; NULL when there was none). Returns PAY_OK when a 2xx answer
 * was read, PAY_ERR_API for an error envelope, PAY_ERR_NETWORK or
 * PAY_ERR_RESPONSE otherwise; call says everything. */
PAY_API pay_err pay_client_request(pay_client *c, const char *method, const char *path,
                                   const char *json_body, bool seal, char **envelope,
                                   pay_call *call) PAY_WUR;

#ifdef __cplusplus
}
#endif
#endif
