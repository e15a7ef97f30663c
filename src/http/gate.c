/*
 * The gate every /v2 request passes before its handler: Basic auth (spec
 * §2.1, errors per §10 #21), the payout contract, the ENCRYPTION mode
 * (spec §3, §10 #4/#5/#18) and the JSON body. Each step answers the client
 * itself when it refuses, and says precisely why.
 */
#include "http/gate.h"

#include <openssl/crypto.h>
#include <string.h>

#include "common/b64.h"
#include "common/log.h"
#include "common/text.h"
#include "core/merchants.h"
#include "core/validate.h"
#include "http/basic_auth.h"
#include "http/query.h"
#include "payout/diagnose.h"


static bool refuse(pay_ctx *ctx, pay_api_err code, const char *detail)
{
    pay_fault f;
    pay_fault_setf(&f, code, "%s", detail);
    pay_respond_fault(ctx, &f);
    return false;
}

bool pay_gate_authenticate(pay_ctx *ctx)
{
    char key[PAY_BASIC_KEY_MAX + 1];
    size_t key_len = 0;
    const char *why =
        pay_basic_auth_parse(pay_ctx_header(ctx, MHD_HTTP_HEADER_AUTHORIZATION), key, &key_len);
    if (why) return refuse(ctx, PAY_E_UNAUTHORIZED_KEY, why);
    pay_merchant merchant;
    pay_env env;
    int64_t key_id = 0;
    pay_store_rc store_rc = PAY_STORE_OK;
    pay_auth_result r =
        pay_merchant_authenticate(ctx->core, key, key_len, &merchant, &env, &key_id, &store_rc);
    OPENSSL_cleanse(key, sizeof key);
    switch (r) {
    case PAY_AUTH_OK: break;
    case PAY_AUTH_WRONG_KIND:
        return refuse(ctx, PAY_E_INVALID_API_KEY,
                      "this is a client or widget key; the payout API takes the API secret key "
                      "(test_sk_/live_sk_)");
    case PAY_AUTH_UNKNOWN_KEY:
        return refuse(ctx, PAY_E_UNAUTHORIZED_KEY,
                      "secret key not recognised: check the key, the trailing ':' and the "
                      "test/live environment");
    case PAY_AUTH_STORE_ERROR: {
        pay_fault f;
        pay_fault_from_store(&f, store_rc);
        pay_respond_fault(ctx, &f);
        return false;
    }
    }
    if (!merchant.payout_contract)
        return refuse(ctx, PAY_E_FORBIDDEN_REQUEST,
                      "credentials accepted, but this merchant has no payout (지급대행) "
                      "contract; not a key or encryption problem");
    pay_actor_init(&ctx->actor, ctx->core, &merchant, env, ctx->trace_id);
    ctx->actor.api_key_id = key_id;
    ctx->authed = true;
    return true;
}

/* Reads TossPayments-api-security-mode. */
static bool security_mode(pay_ctx *ctx)
{
    const char *mode = pay_ctx_header(ctx, "TossPayments-api-security-mode");
    if (!mode) return true;
    if (!pay_ascii_ieq(mode, "ENCRYPTION")) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_INVALID_REQUEST,
                       "TossPayments-api-security-mode must be ENCRYPTION (got \"%.32s\")", mode);
        pay_respond_fault(ctx, &f);
        return false;
    }
    ctx->encrypted = true;
    return true;
}

static bool content_type_is(pay_ctx *ctx, const char *want)
{
    const char *ct = pay_ctx_header(ctx, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct) return false;
    size_t n = strlen(want);
    return strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* Explains a body that cannot be a JWE before trying to parse it (C15). */
static bool body_shape_ok(pay_ctx *ctx)
{
    const char *b = ctx->body.data;
    size_t n = ctx->body.len;
    if (n == 0)
        return refuse(ctx, PAY_E_INVALID_ENCRYPTED_BODY,
                      "the body is empty; send the JWE compact token as the body");
    if (b[0] == '{' || b[0] == '[')
        return refuse(ctx, PAY_E_INVALID_ENCRYPTED_BODY,
                      "the body is plain JSON but TossPayments-api-security-mode is ENCRYPTION: "
                      "encrypt it and send the bare JWE token (no wrapper object)");
    if (b[0] == '"')
        return refuse(ctx, PAY_E_INVALID_ENCRYPTED_BODY,
                      "the body is a JSON string; send the bare JWE token without quotes");
    return true;
}

/* Works out why a token that passed Basic auth does not open (docs/
 * DECISIONS.md): the usual wrong derivations of this key, and the other keys
 * this merchant has — its other environment's, its previous ones. Only this
 * merchant's keys are tried, and sentences name keys, never print them. */
static void diagnose(pay_ctx *ctx, const pay_jwe *jwe, const pay_key *current)
{
    pay_scope other = {ctx->actor.scope.merchant_id,
                       ctx->actor.env == PAY_ENV_TEST ? PAY_ENV_LIVE : PAY_ENV_TEST};
    pay_key_history mine, theirs;
    pay_merchant_key_history(ctx->core, ctx->actor.scope, ctx->actor.now_us, &mine);
    int64_t other_now = pay_clock_now(ctx->core->clock, &ctx->actor.merchant, other.env);
    pay_merchant_key_history(ctx->core, other, other_now, &theirs);
    pay_diag_candidate cands[2 * PAY_KEY_HISTORY_MAX];
    char labels[2 * PAY_KEY_HISTORY_MAX][160];
    size_t n = 0;
    for (size_t i = 0; i < theirs.n; i++) {
        snprintf(labels[n], sizeof labels[n], "this merchant's %s%s security key",
                 theirs.expired[i] ? "previous " : "", pay_env_name(other.env));
        cands[n].key = &theirs.keys[i];
        cands[n].label = labels[n];
        n++;
    }
    for (size_t i = 0; i < mine.n; i++) {
        if (!mine.expired[i]) continue; /* the valid ones were just tried */
        snprintf(labels[n], sizeof labels[n],
                 "this merchant's previous %s security key, which is no longer valid (it was "
                 "replaced and its 7 days have passed)",
                 pay_env_name(ctx->actor.env));
        cands[n].key = &mine.keys[i];
        cands[n].label = labels[n];
        n++;
    }
    pay_jwe_diagnose(jwe, current, cands, n, ctx->diagnosis, sizeof ctx->diagnosis);
    pay_key_history_wipe(&mine);
    pay_key_history_wipe(&theirs);
}

/* Opens the token with each valid security key of the scope (two during a
 * rotation); the key that opens it seals the response. */
static bool open_token(pay_ctx *ctx, uint8_t **pt, size_t *pt_len)
{
    pay_error err;
    pay_jwe *jwe = NULL;
    pay_key keys[PAY_SECURITY_KEYS_MAX];
    size_t nkeys = 0;
    bool ok = false;
    if (pay_jwe_parse(ctx->body.data, ctx->body.len, &jwe, &err) != PAY_OK) {
        refuse(ctx, PAY_E_INVALID_ENCRYPTED_BODY, err.message);
        goto out;
    }
    pay_store_rc rc = pay_merchant_security_keys(ctx->core, ctx->actor.scope,
                                                 ctx->actor.now_us, keys, &nkeys);
    if (rc != PAY_STORE_OK) {
        pay_fault f;
        pay_fault_from_store(&f, rc);
        pay_respond_fault(ctx, &f);
        goto out;
    }
    bool verified = false; /* the tag verified but the content did not decode */
    /* Replay protection reads these after the idempotency check (gate_fresh). */
    const char *iat = pay_jwe_get_header(jwe, "iat"), *nonce = pay_jwe_get_header(jwe, "nonce");
    ctx->jwe_iat_present = iat != NULL;
    ctx->jwe_nonce_present = nonce != NULL;
    if (iat) pay_strlcpy(ctx->jwe_iat, iat, sizeof ctx->jwe_iat);
    if (nonce) ctx->jwe_nonce_too_long = pay_strlcpy(ctx->jwe_nonce, nonce, sizeof ctx->jwe_nonce) > PAY_NONCE_MAX;
    for (size_t i = 0; i < nkeys && !ok && !verified; i++) {
        pay_err got = pay_jwe_decrypt(jwe, &keys[i], pt, pt_len, &err);
        if (got == PAY_OK || got == PAY_ERR_JWE_INFLATE) {
            ctx->resp_key = keys[i];
            ctx->have_key = true;
            ok = got == PAY_OK;
            verified = !ok;
        }
    }
    if (verified) {
        /* The caller holds the key: the refusal is sealed. */
        ctx->seal_errors = true;
        refuse(ctx, PAY_E_INVALID_ENCRYPTED_BODY, err.message);
    } else if (!ok) {
        pay_fault f;
        if (err.code == PAY_ERR_JWE_KEY_SIZE) {
            pay_fault_setf(&f, PAY_E_DECRYPTION_FAILED,
                           "%s; the security key is 32 bytes, so enc must be A256GCM",
                           err.message);
        } else {
            diagnose(ctx, jwe, &keys[0]);
            pay_fault_setf(&f, PAY_E_DECRYPTION_FAILED,
                           "the authentication tag did not verify with this merchant's %s "
                           "security key; likely cause: %s",
                           pay_env_name(ctx->actor.env), ctx->diagnosis);
        }
        pay_respond_fault(ctx, &f);
    }
out:
    for (size_t i = 0; i < nkeys; i++) pay_key_wipe(&keys[i]);
    pay_jwe_free(jwe);
    return ok;
}

bool pay_gate_head(pay_ctx *ctx, unsigned flags)
{
    if (!security_mode(ctx)) return false;
    if ((flags & PAY_ROUTE_ENCRYPTED) && !ctx->encrypted)
        return refuse(ctx, PAY_E_ENCRYPTION_REQUIRED,
                      "send the header TossPayments-api-security-mode: ENCRYPTION with a JWE "
                      "body and Content-Type: text/plain");
    if ((flags & PAY_ROUTE_BODY) && ctx->encrypted && !content_type_is(ctx, "text/plain"))
        return refuse(ctx, PAY_E_INVALID_ENCRYPTED_BODY,
                      "Content-Type must be text/plain for an encrypted body");
    return true;
}

bool pay_gate_query(pay_ctx *ctx)
{
    pay_fault f;
    if (pay_query_parse(ctx, ctx->route ? ctx->route->query : NULL, ctx->query, &f)) return true;
    pay_respond_fault(ctx, &f);
    return false;
}

/* A bodyless request in ENCRYPTION mode gets a sealed response (spec §10
 * #18), with the newest valid key. */
static bool seal_bodyless(pay_ctx *ctx)
{
    pay_key keys[PAY_SECURITY_KEYS_MAX];
    size_t n = 0;
    pay_store_rc rc =
        pay_merchant_security_keys(ctx->core, ctx->actor.scope, ctx->actor.now_us, keys, &n);
    if (rc != PAY_STORE_OK) {
        pay_fault f;
        pay_fault_from_store(&f, rc);
        pay_respond_fault(ctx, &f);
        return false;
    }
    ctx->resp_key = keys[0];
    ctx->have_key = ctx->seal_errors = true;
    for (size_t i = 0; i < n; i++) pay_key_wipe(&keys[i]);
    return true;
}

bool pay_gate_body(pay_ctx *ctx, unsigned flags, json_t **body)
{
    *body = NULL;
    if (!(flags & PAY_ROUTE_BODY)) {
        if (ctx->body.len > 0)
            return refuse(ctx, PAY_E_INVALID_REQUEST, "this API takes no request body");
        if (ctx->encrypted && !seal_bodyless(ctx)) return false;
        /* after sealing is set up: errors after authentication are sealed */
        return pay_gate_query(ctx);
    }

    uint8_t *plain = NULL;
    size_t plain_len = 0;
    const char *text = ctx->body.data ? ctx->body.data : "";
    size_t text_len = ctx->body.len;
    if (ctx->encrypted) {
        if (!body_shape_ok(ctx) || !open_token(ctx, &plain, &plain_len)) return false;
        /* From here on the caller has proven it holds the key: errors are
         * sealed (spec §10 #4). */
        ctx->seal_errors = true;
        ctx->sealed_body = true;
        text = (const char *)plain;
        text_len = plain_len;
    }
    bool ok = false;
    json_error_t jerr;
    if (pay_json_depth(text, text_len) > PAY_JSON_DEPTH_MAX) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_INVALID_REQUEST, "the JSON body nests deeper than %d levels",
                       PAY_JSON_DEPTH_MAX);
        pay_respond_fault(ctx, &f);
    } else if (!(*body = json_loadb(text, text_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                                    &jerr))) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_INVALID_REQUEST,
                       "the %sbody is not valid JSON: %s (line %d, column %d)",
                       ctx->encrypted ? "decrypted " : "", jerr.text, jerr.line, jerr.column);
        pay_respond_fault(ctx, &f);
    } else if (json_is_string(*body)) {
        /* C13: JSON text encoded twice, e.g. json_encode of a JSON string. */
        json_decref(*body);
        *body = NULL;
        refuse(ctx, PAY_E_INVALID_REQUEST,
               "the body is a JSON string (JSON encoded twice?); send the JSON object or array "
               "itself");
    } else if (!json_is_object(*body) && !json_is_array(*body)) {
        json_decref(*body);
        *body = NULL;
        refuse(ctx, PAY_E_INVALID_REQUEST, "the body must be a JSON object or array");
    } else if (!pay_gate_query(ctx)) {
        json_decref(*body);
        *body = NULL;
    } else {
        ok = true;
    }
    if (plain) pay_jwe_plaintext_free(plain, plain_len);
    return ok;
}

bool pay_gate_test_code(pay_ctx *ctx)
{
    const char *code = pay_ctx_header(ctx, "TossPayments-Test-Code");
    /* Test keys only: with live keys the header is ignored (spec §1.3). */
    if (!code || ctx->actor.env != PAY_ENV_TEST) return true;
    pay_api_err e = pay_api_err_from_code(code);
    pay_fault f;
    if (e == PAY_E_NONE)
        pay_fault_setf(&f, PAY_E_INVALID_TEST_CODE, "TossPayments-Test-Code \"%.48s\" is not an "
                       "error code of this API (see docs/ERRORS.md)", code);
    else
        pay_fault_setf(&f, e, "reproduced by TossPayments-Test-Code; nothing was executed");
    pay_respond_fault(ctx, &f);
    return false;
}

bool pay_gate_admin(pay_ctx *ctx, const uint8_t *token_hash)
{
    ctx->admin = true;
    if (!token_hash)
        return refuse(ctx, PAY_E_NOT_FOUND,
                      "the admin API is disabled: start payoutd with an admin token");
    const char *h = pay_ctx_header(ctx, MHD_HTTP_HEADER_AUTHORIZATION);
    uint8_t got[32];
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return refuse(ctx, PAY_E_INVALID_ADMIN_TOKEN, "send Authorization: Bearer <admin token>");
    /* Hash both sides: the comparison is constant-time and independent of
     * the token's length. */
    const char *token = h + 7;
    pay_key_lookup_hash(token, strlen(token), got);
    if (!pay_ct_equal(got, token_hash, sizeof got))
        return refuse(ctx, PAY_E_INVALID_ADMIN_TOKEN, "the admin token does not match");
    return true;
}

bool pay_gate_admin_body(pay_ctx *ctx, unsigned flags, json_t **body)
{
    *body = NULL;
    if (!(flags & PAY_ROUTE_BODY)) {
        if (ctx->body.len > 0)
            return refuse(ctx, PAY_E_INVALID_REQUEST, "this API takes no request body");
        return pay_gate_query(ctx);
    }
    if (ctx->body.len == 0) {
        if (flags & PAY_ROUTE_BODY_OPTIONAL) return pay_gate_query(ctx);
        return refuse(ctx, PAY_E_INVALID_REQUEST, "a JSON object body is required");
    }
    json_error_t jerr;
    if (pay_json_depth(ctx->body.data, ctx->body.len) > PAY_JSON_DEPTH_MAX ||
        !(*body = json_loadb(ctx->body.data, ctx->body.len, JSON_REJECT_DUPLICATES, &jerr)) ||
        !json_is_object(*body)) {
        json_decref(*body);
        *body = NULL;
        return refuse(ctx, PAY_E_INVALID_REQUEST, "the body must be one JSON object");
    }
    if (!pay_gate_query(ctx)) {
        json_decref(*body);
        *body = NULL;
        return false;
    }
    return true;
}

/* "65 min ahead" / "3 s behind": how far an instant is from now. */
static void describe_skew(int64_t diff_us, char *out, size_t cap)
{
    int64_t s = (diff_us < 0 ? -diff_us : diff_us) / 1000000;
    const char *dir = diff_us > 0 ? "ahead of" : "behind";
    if (s >= 3600)
        snprintf(out, cap, "%lld h %lld min %s", (long long)(s / 3600), (long long)(s % 3600 / 60),
                 dir);
    else if (s >= 60)
        snprintf(out, cap, "%lld min %lld s %s", (long long)(s / 60), (long long)(s % 60), dir);
    else
        snprintf(out, cap, "%lld s %s", (long long)s, dir);
}

static pay_store_rc nonce_seen_fn(pay_tx *tx, void *arg)
{
    pay_ctx *ctx = arg;
    return tx->ops->nonce_seen(tx, ctx->actor.scope, ctx->nonce_hash);
}

bool pay_gate_fresh(pay_ctx *ctx)
{
    if (!ctx->sealed_body) return true;
    int64_t window = ctx->core->settings.iat_window_us ? ctx->core->settings.iat_window_us
                                                       : PAY_IAT_WINDOW_DEFAULT_US;
    /* The client's clock is a real clock: iat is compared with real time,
     * never with a sandbox clock an operator has moved. */
    int64_t now = pay_clock_real(ctx->core->clock);
    char now_s[PAY_IAT_BUF];
    pay_format_kst(now, now_s);
    pay_fault f;
    if (!ctx->jwe_iat_present) {
        pay_fault_setf(&f, PAY_E_INVALID_IAT,
                       "the JWE header has no iat; send the time the body was sealed, e.g. %s",
                       now_s);
        pay_respond_fault(ctx, &f);
        return false;
    }
    int64_t iat = 0;
    pay_error err;
    if (pay_parse_iat(ctx->jwe_iat, strlen(ctx->jwe_iat), &iat, &err) != PAY_OK) {
        pay_fault_setf(&f, PAY_E_INVALID_IAT, "%s; the server time is %s", err.message, now_s);
        pay_respond_fault(ctx, &f);
        return false;
    }
    int64_t diff = iat - now;
    if (diff > window || diff < -window) {
        char skew[64];
        describe_skew(diff, skew, sizeof skew);
        int64_t nine = INT64_C(9) * 3600 * 1000000;
        const char *hint = "";
        if (diff - nine <= window && diff - nine >= -window)
            hint = "; it looks like Korean local time labelled as UTC (Z)";
        else if (diff + nine <= window && diff + nine >= -window)
            hint = "; it looks like UTC labelled as +09:00";
        pay_fault_setf(&f, PAY_E_INVALID_IAT,
                       "iat %s is %s the server time %s; accepted: within %lld s%s", ctx->jwe_iat,
                       skew, now_s, (long long)(window / 1000000), hint);
        pay_respond_fault(ctx, &f);
        return false;
    }
    if (!ctx->jwe_nonce_present || !ctx->jwe_nonce[0] || ctx->jwe_nonce_too_long) {
        pay_fault_setf(&f, PAY_E_INVALID_ENCRYPTED_BODY,
                       "the JWE header needs a nonce of 1 to %d characters, unique per request "
                       "(a UUID v4)",
                       PAY_NONCE_MAX);
        pay_respond_fault(ctx, &f);
        return false;
    }
    /* Looked up here, so a used token is refused as a replay before any
     * check of its body; claimed in the transaction of the request's change
     * (http/idem.c, pay_ctx_claim_nonce), so it can never execute twice,
     * however two copies race, and a refused request does not use it up. */
    pay_key_lookup_hash(ctx->jwe_nonce, strlen(ctx->jwe_nonce), ctx->nonce_hash);
    ctx->nonce_pending = true;
    pay_store_rc rc = pay_store_read(ctx->core->store, nonce_seen_fn, ctx);
    if (rc == PAY_STORE_CONFLICT) {
        pay_respond_nonce_replayed(ctx);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(&f, rc);
        pay_respond_fault(ctx, &f);
        return false;
    }
    return true;
}
