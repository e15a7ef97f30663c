#include "http/idem.h"

#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "core/idempotency.h"

typedef struct get_job {
    const uint8_t *hash;
    pay_idem_record rec;
} get_job;

static pay_store_rc get_fn(pay_tx *tx, void *arg)
{
    get_job *job = arg;
    return tx->ops->idem_get(tx, job->hash, &job->rec);
}

static void replay(pay_ctx *ctx, pay_idem_record *rec)
{
    json_t *env = json_loads(rec->body, 0, NULL);
    const char *trace = json_string_value(json_object_get(env, "traceId"));
    if (trace && strlen(trace) == PAY_TRACE_ID_LEN)
        memcpy(ctx->replay_trace_id, trace, PAY_TRACE_ID_LEN + 1);
    json_decref(env);
    pay_log_info("trace=%s replays the outcome of trace=%s", ctx->trace_id,
                 ctx->replay_trace_id[0] ? ctx->replay_trace_id : "?");
    /* The same plaintext, sealed afresh when the caller is in ENCRYPTION mode. */
    bool seal = ctx->have_key && (rec->http_status == 200 || ctx->seal_errors);
    char *text = rec->body;
    rec->body = NULL;
    pay_respond_text(ctx, (unsigned)rec->http_status, text, seal);
}

bool pay_idem_begin(pay_ctx *ctx)
{
    if (strcmp(ctx->method, "POST") != 0) return true; /* GET/DELETE are idempotent */
    const char *key = pay_ctx_header(ctx, "Idempotency-Key");
    if (!key) return true;
    pay_fault f;
    if (!pay_idem_key_check(key, &f)) {
        pay_respond_fault(ctx, &f);
        return false;
    }
    pay_idem_scope_hash(ctx->actor.api_key_id, ctx->method, ctx->path, key, ctx->idem_hash);
    /* Register first, look up second: a request that finishes between the
     * two steps of another is then always seen as stored, never run twice. */
    if (!pay_inflight_add(ctx->core->inflight, ctx->idem_hash)) {
        pay_respond_error(ctx, PAY_E_IDEMPOTENT_REQUEST_PROCESSING);
        return false;
    }
    ctx->idem_running = true;
    get_job job;
    memset(&job, 0, sizeof job);
    job.hash = ctx->idem_hash;
    pay_store_rc rc = pay_store_read(ctx->core->store, get_fn, &job);
    if (rc == PAY_STORE_OK && job.rec.created_at_us + PAY_IDEMPOTENCY_KEEP_US >= ctx->actor.now_us) {
        replay(ctx, &job.rec);
        pay_idem_record_clear(&job.rec);
        return false;
    }
    pay_idem_record_clear(&job.rec);
    if (rc != PAY_STORE_OK && rc != PAY_STORE_NOTFOUND) {
        pay_fault_from_store(&f, rc);
        pay_respond_fault(ctx, &f);
        return false;
    }
    ctx->idem_active = true;
    return true;
}

void pay_idem_finish(pay_ctx *ctx)
{
    if (ctx->idem_running) pay_inflight_remove(ctx->core->inflight, ctx->idem_hash);
    ctx->idem_running = false;
}

pay_store_rc pay_ctx_claim_nonce(pay_tx *tx, pay_ctx *ctx)
{
    if (!ctx->nonce_pending) return PAY_STORE_OK;
    pay_store_rc rc = tx->ops->nonce_claim(tx, ctx->actor.scope, ctx->nonce_hash,
                                           pay_clock_real(ctx->core->clock));
    if (rc == PAY_STORE_CONFLICT) {
        ctx->nonce_replayed = true;
        return PAY_STORE_ABORT;
    }
    return rc;
}

void pay_respond_nonce_replayed(pay_ctx *ctx)
{
    pay_fault dup;
    pay_fault_setf(&dup, PAY_E_DUPLICATED_NONCE,
                   "nonce %.64s was already used; seal every request, retries included, with a "
                   "fresh nonce (and keep the same Idempotency-Key)",
                   ctx->jwe_nonce);
    pay_respond_fault(ctx, &dup);
}

pay_store_rc pay_ctx_commit(pay_tx *tx, pay_ctx *ctx, const char *idem_text)
{
    return idem_text && ctx->idem_active ? pay_idem_put(tx, ctx, 200, idem_text) : PAY_STORE_OK;
}

pay_store_rc pay_idem_put(pay_tx *tx, pay_ctx *ctx, unsigned status, const char *text)
{
    pay_idem_record rec;
    memset(&rec, 0, sizeof rec);
    memcpy(rec.scope_hash, ctx->idem_hash, 32);
    rec.scope = ctx->actor.scope;
    rec.created_at_us = ctx->actor.now_us;
    rec.http_status = (int)status;
    rec.body = (char *)text;
    return tx->ops->idem_put(tx, &rec);
}

typedef struct put_job {
    pay_ctx *ctx;
    unsigned status;
    const char *text;
} put_job;

static pay_store_rc put_fn(pay_tx *tx, void *arg)
{
    put_job *job = arg;
    return pay_idem_put(tx, job->ctx, job->status, job->text);
}

void pay_idem_record_fault(pay_ctx *ctx, unsigned status, pay_api_err code, const char *text)
{
    if (!ctx->idem_active) return;
    ctx->idem_active = false; /* one outcome per request */
    if (status >= 500 || status == 409 || status == 429 || code == PAY_E_INVALID_IDEMPOTENCY_KEY)
        return; /* a retry may succeed: nothing was decided */
    put_job job = {ctx, status, text};
    pay_store_rc rc = pay_store_write(ctx->core->store, put_fn, &job);
    if (rc != PAY_STORE_OK)
        pay_log_warn("trace=%s cannot store the idempotent outcome: %s", ctx->trace_id,
                     pay_store_rc_name(rc));
}
