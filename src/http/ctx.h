/*
 * The per-request context: everything one HTTP request accumulates on its
 * way through router -> gate (auth, decryption) -> handler -> response.
 * Created on libmicrohttpd's first callback, freed in its completion
 * callback (pay_ctx_free), which also wipes the response key.
 */
#ifndef PAY_CTX_H
#define PAY_CTX_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/ids.h"
#include "core/core.h"
#include "payout/jwe.h"

#define PAY_PATH_MAX 2048
/* Room for header values pay_ctx_header copies without their trailing
 * whitespace: twice what the longest headers payoutd reads can hold when
 * valid (Authorization 512 bytes, Idempotency-Key 300 characters). */
#define PAY_HEADER_COPIES_MAX 4096
#define PAY_PATH_PARAMS 2
#define PAY_PATH_PARAM_MAX 64

/* Query parameters a route may declare (pay_route.query). */
#define PAY_QUERY_MAX_PARAMS 8

typedef struct pay_server pay_server;
typedef struct pay_route pay_route;

/* A query parameter's value as decoded from the request target: any bytes,
 * NUL included, so it is a pointer and a length (s NULL: absent). */
typedef struct pay_query_value {
    const char *s;
    size_t len;
} pay_query_value;

typedef struct pay_ctx {
    pay_server *srv;
    pay_core *core;
    struct MHD_Connection *conn;
    char trace_id[PAY_TRACE_ID_LEN + 1];
    int64_t start_mono_us;
    int64_t start_real_us;
    char client[48]; /* the peer's address */
    unsigned retry_after; /* seconds, for a 429's Retry-After */
    bool late;            /* began after shutdown started: refused, 503 */
    bool working;         /* read whole and being answered (server's count) */
    char method[12];
    char path[PAY_PATH_MAX];

    pay_buf body;
    size_t max_body;
    bool body_too_large;
    size_t discarded; /* bytes dropped past the cap */
    char allow[48];   /* a 405's Allow header */

    /* header values trimmed of trailing whitespace (pay_ctx_header_value) */
    char header_copies[PAY_HEADER_COPIES_MAX];
    size_t header_copies_used;

    pay_lang lang;
    const pay_route *route;
    char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1];
    /* the values of route->query's parameters, in its order (http/query.h),
     * set by the gate before the handler runs */
    pay_query_value query[PAY_QUERY_MAX_PARAMS];

    bool authed;
    pay_actor actor;

    bool encrypted;     /* the request asked for ENCRYPTION mode */
    bool sealed_body;   /* the body was a token that opened */
    char jwe_iat[64];   /* its iat and nonce members ("" when absent) */
    char jwe_nonce[80];
    bool jwe_iat_present, jwe_nonce_present, jwe_nonce_too_long;
    bool nonce_pending;  /* nonce_hash is to be claimed with the change */
    bool nonce_replayed; /* the claim found it used: DUPLICATED_NONCE */
    uint8_t nonce_hash[32];
    bool have_key;      /* resp_key is set: responses are sealed with it */
    bool seal_errors;   /* the caller proved it holds the key: seal errors too */
    pay_key resp_key;

    /* idempotency (spec §7, http/idem.c) */
    bool idem_active;   /* this request's outcome is recorded under idem_hash */
    bool idem_running;  /* idem_hash is in the in-flight set */
    uint8_t idem_hash[32];
    char replay_trace_id[PAY_TRACE_ID_LEN + 1]; /* set when replaying */

    bool admin; /* an /admin/v1 request (gate.c) */

    /* An asynchronous write (pay_ctx_write_async): the connection is
     * suspended until the store's writer commits, then finish answers.
     * gone: the client left meanwhile, so the answer is logged, not sent. */
    bool suspended;
    bool async_done; /* atomic: set by the writer thread */
    bool gone;
    pay_store_rc async_rc;
    void (*async_finish)(struct pay_ctx *ctx, pay_store_rc rc);
    void *async_state; /* the handler's, for its finish */
    char diagnosis[512]; /* why a token did not open, for the answer and the trace store */

    /* outcome, for the log line */
    bool responded;
    unsigned status;
    char err_code[48];
    size_t resp_bytes;
} pay_ctx;

/* Claims the request's JWE nonce, first thing in the write transaction of
 * its change; PAY_STORE_ABORT (and ctx->nonce_replayed) when it was used. */
pay_store_rc pay_ctx_claim_nonce(pay_tx *tx, pay_ctx *ctx);

/* Answers DUPLICATED_NONCE for the request's used nonce. */
void pay_respond_nonce_replayed(pay_ctx *ctx);

/* Stores the idempotent answer (text, when not NULL) with the change. */
pay_store_rc pay_ctx_commit(pay_tx *tx, pay_ctx *ctx, const char *idem_text);

/* Runs fn in the store's next group commit without holding this thread:
 * the connection is suspended and finish(ctx, rc) answers once the write
 * has committed or failed. False (nothing queued) when the store is closing
 * or shutdown is past its grace period: the caller then writes on its thread. */
bool pay_ctx_write_async(pay_ctx *ctx, pay_tx_fn fn, void *arg,
                         void (*finish)(pay_ctx *ctx, pay_store_rc rc));

/* The request header `name` without the whitespace around it, or NULL.
 * Every header payoutd reads comes through here, so each one is compared as
 * RFC 9110 §5.5 defines a field value: leading and trailing SP and HTAB are
 * not part of it ("Basic <b64> " is "Basic <b64>"). Other bytes (VT, CR,
 * NUL, non-ASCII) are kept, and refused by whoever reads the value. The
 * string lives as long as the request. */
const char *pay_ctx_header(pay_ctx *ctx, const char *name);

/* pay_ctx_header's trimming, on a raw value (NULL stays NULL): value itself
 * or a suffix of it when nothing trails, else a copy in ctx->header_copies.
 * A trimmed value that no longer fits there is returned untrimmed: it is
 * longer than any value a header of this API accepts, so its reader refuses
 * it either way. */
const char *pay_ctx_header_value(pay_ctx *ctx, const char *value);

/* The v2 success envelope around entity_body (reference stolen), as text
 * (malloc'd; NULL when out of memory). */
char *pay_envelope_entity(pay_ctx *ctx, const char *entity_type, json_t *entity_body);

/* Sends text (ownership taken) with status; sealed with resp_key if seal. */
void pay_respond_text(pay_ctx *ctx, unsigned status, char *text, bool seal);

/* Renders the v2 success envelope around entity_body (reference stolen). */
void pay_respond_entity(pay_ctx *ctx, const char *entity_type, json_t *entity_body);

/* A plain JSON object (reference stolen), for the admin API. */
void pay_respond_json(pay_ctx *ctx, unsigned status, json_t *obj);

/* Renders the v2 error envelope for a fault (sealed when the caller holds
 * the key, plain JSON otherwise; same HTTP status either way). */
void pay_respond_fault(pay_ctx *ctx, const pay_fault *fault);

/* Shorthand for a fault without detail / with a technical detail. */
void pay_respond_error(pay_ctx *ctx, pay_api_err code);

#endif
