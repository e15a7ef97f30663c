/*
 * The one way out: every response, success or error, leaves through
 * pay_respond_text, which seals the v2 envelope when the request was in
 * ENCRYPTION mode and the caller has proven it holds the key (spec §3.6,
 * §10 #4), and sets X-TossPayments-Trace-Id.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/log.h"
#include "http/ctx.h"
#include "http/idem.h"
#include "http/server.h"

#define PAY_API_VERSION "2022-11-16"

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

const char *pay_ctx_header_value(pay_ctx *ctx, const char *value)
{
    if (!value) return NULL;
    while (ows(*value)) value++;
    size_t n = strlen(value);
    if (n == 0 || !ows(value[n - 1])) return value;
    while (n > 0 && ows(value[n - 1])) n--;
    /* libmicrohttpd's values are const: the trimmed one is a copy. */
    size_t room = sizeof ctx->header_copies - ctx->header_copies_used;
    if (n + 1 > room) return value;
    char *copy = ctx->header_copies + ctx->header_copies_used;
    memcpy(copy, value, n);
    copy[n] = 0;
    ctx->header_copies_used += n + 1;
    return copy;
}

const char *pay_ctx_header(pay_ctx *ctx, const char *name)
{
    return pay_ctx_header_value(ctx, MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, name));
}

static void queue(pay_ctx *ctx, unsigned status, char *body, size_t len, const char *type)
{
    /* The outcome is durable by now (stored with the change, or refused and
     * recorded): a retry that arrives as soon as this answer does must find
     * it stored, not still running. */
    pay_idem_finish(ctx);
    if (ctx->gone) { /* the client left: the outcome is logged, not sent */
        free(body);
        ctx->responded = true;
        ctx->status = status;
        return;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    /* A replay carries the first response, trace id included. */
    MHD_add_response_header(r, "X-TossPayments-Trace-Id",
                            ctx->replay_trace_id[0] ? ctx->replay_trace_id : ctx->trace_id);
    if (ctx->replay_trace_id[0]) MHD_add_response_header(r, "Idempotent-Replayed", "true");
    if (pay_server_stopping(ctx->srv))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close"); /* shutting down */
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED && ctx->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ctx->allow);
    if ((status == MHD_HTTP_TOO_MANY_REQUESTS || ctx->late) && ctx->retry_after) {
        char secs[16];
        snprintf(secs, sizeof secs, "%u", ctx->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                ctx->admin ? "Bearer" : "Basic realm=\"payoutd\"");
    MHD_queue_response(ctx->conn, status, r);
    MHD_destroy_response(r);
    ctx->responded = true;
    ctx->status = status;
    ctx->resp_bytes = len;
}

void pay_respond_text(pay_ctx *ctx, unsigned status, char *text, bool seal)
{
    if (!text) {
        pay_log_error("trace=%s cannot render a response (out of memory)", ctx->trace_id);
        queue(ctx, 500, strdup("{}"), 2, "application/json");
        return;
    }
    size_t len = strlen(text);
    if (!seal) {
        queue(ctx, status, text, len, "application/json; charset=utf-8");
        return;
    }
    char *token = NULL;
    size_t token_len = 0;
    pay_error err;
    pay_err rc = pay_jwe_seal(&ctx->resp_key, (const uint8_t *)text, len, &token, &token_len, &err);
    OPENSSL_cleanse(text, len); /* plaintext bodies carry personal data */
    free(text);
    if (rc != PAY_OK) {
        pay_log_error("trace=%s cannot seal the response: %s", ctx->trace_id, err.message);
        queue(ctx, 500, strdup("{}"), 2, "application/json");
        return;
    }
    queue(ctx, status, token, token_len, "text/plain");
}

static json_t *envelope_head(pay_ctx *ctx)
{
    json_t *env = json_object();
    json_object_set_new(env, "version", json_string(PAY_API_VERSION));
    json_object_set_new(env, "traceId", json_string(ctx->trace_id));
    return env;
}

static char *dump(json_t *env)
{
    char *text = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    return text;
}

char *pay_envelope_entity(pay_ctx *ctx, const char *entity_type, json_t *entity_body)
{
    json_t *env = envelope_head(ctx);
    json_object_set_new(env, "entityType", json_string(entity_type));
    json_object_set_new(env, "entityBody", entity_body);
    return dump(env);
}

void pay_respond_entity(pay_ctx *ctx, const char *entity_type, json_t *entity_body)
{
    pay_respond_text(ctx, 200, pay_envelope_entity(ctx, entity_type, entity_body), ctx->have_key);
}

void pay_respond_json(pay_ctx *ctx, unsigned status, json_t *obj)
{
    pay_respond_text(ctx, status, dump(obj), false);
}

void pay_respond_fault(pay_ctx *ctx, const pay_fault *fault)
{
    char message[PAY_FAULT_DETAIL_MAX + 768];
    pay_fault_message(fault, ctx->lang, message, sizeof message);
    json_t *env = envelope_head(ctx);
    json_object_set_new(env, "entityBody", json_null());
    json_object_set_new(env, "entityType", json_null());
    json_t *error = json_object();
    json_object_set_new(error, "code", json_string(pay_api_err_code(fault->code)));
    json_object_set_new(error, "message", pay_json_text(message));
    json_object_set_new(env, "error", error);
    snprintf(ctx->err_code, sizeof ctx->err_code, "%s", pay_api_err_code(fault->code));
    unsigned status = (unsigned)pay_api_err_status(fault->code);
    char *text = dump(env);
    if (text) pay_idem_record_fault(ctx, status, fault->code, text);
    pay_respond_text(ctx, status, text, ctx->have_key && ctx->seal_errors);
}

void pay_respond_error(pay_ctx *ctx, pay_api_err code)
{
    pay_fault f;
    pay_fault_set(&f, code);
    pay_respond_fault(ctx, &f);
}
