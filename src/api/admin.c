/*
 * The operator's admin API (/admin/v1, bearer token, plain JSON): merchants
 * and keys, the payout contract, balances, the sandbox actions (identity
 * verification, KYC, clocks) and webhook deliveries. Requests reach these
 * handlers only through the admin gate (http/gate.c).
 */
#include "api/admin.h"

#include <openssl/crypto.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "core/authcache.h"
#include "core/ledger.h"
#include "core/merchants.h"
#include "core/render.h"
#include "core/scheduler.h"
#include "core/sellers.h"
#include "core/traces.h"
#include "core/webhooks.h"
#include "http/query.h"

#define ADMIN_LIST_DEFAULT 50
#define ADMIN_LIST_MAX 500
#define CLOCK_SHIFT_MAX_US (INT64_C(3660) * 86400 * 1000000) /* ten years either way */

static void bad_request(pay_ctx *ctx, const char *what)
{
    pay_fault f;
    pay_fault_setf(&f, PAY_E_INVALID_REQUEST, "%s", what);
    pay_respond_fault(ctx, &f);
}

static void store_failure(pay_ctx *ctx, pay_store_rc rc)
{
    pay_fault f;
    pay_fault_from_store(&f, rc);
    pay_respond_fault(ctx, &f);
}

/* ---- request pieces -------------------------------------------------------- */

typedef struct mid_job {
    const char *mid;
    pay_merchant *out;
} mid_job;

static pay_store_rc mid_fn(pay_tx *tx, void *arg)
{
    mid_job *job = arg;
    return tx->ops->merchant_get_by_mid(tx, job->mid, job->out);
}

/* The merchant named by the first path parameter; answers when missing. */
static bool load_merchant(pay_ctx *ctx, pay_merchant *m)
{
    mid_job job = {ctx->params[0], m};
    pay_store_rc rc = pay_store_read(ctx->core->store, mid_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    if (rc == PAY_STORE_NOTFOUND) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_NOT_FOUND, "merchant %.64s not found", ctx->params[0]);
        pay_respond_fault(ctx, &f);
    } else {
        store_failure(ctx, rc);
    }
    return false;
}

/* "env" from a JSON body or the query string: "test" (default) or "live". */
static bool env_from(pay_ctx *ctx, const char *value, pay_env *env)
{
    if (!value || strcmp(value, "test") == 0) {
        *env = PAY_ENV_TEST;
        return true;
    }
    if (strcmp(value, "live") == 0) {
        *env = PAY_ENV_LIVE;
        return true;
    }
    bad_request(ctx, "env must be \"test\" or \"live\"");
    return false;
}

static bool body_env(pay_ctx *ctx, const json_t *body, pay_env *env)
{
    const json_t *v = body ? json_object_get(body, "env") : NULL;
    if (v && !json_is_string(v)) {
        bad_request(ctx, "env must be \"test\" or \"live\"");
        return false;
    }
    return env_from(ctx, v ? json_string_value(v) : NULL, env);
}

/* Every member of body must be in allowed (NULL-terminated). */
static bool only(pay_ctx *ctx, const json_t *body, const char *const *allowed)
{
    const char *key;
    json_t *v;
    if (!body) return true;
    if (!json_is_object(body)) {
        bad_request(ctx, "the body must be a JSON object");
        return false;
    }
    json_object_foreach((json_t *)body, key, v) {
        bool known = false;
        for (const char *const *a = allowed; *a; a++) known |= strcmp(*a, key) == 0;
        if (!known) {
            pay_fault f;
            pay_fault_setf(&f, PAY_E_INVALID_REQUEST, "%.60s: unknown field", key);
            pay_respond_fault(ctx, &f);
            return false;
        }
    }
    return true;
}

static json_t *time_json(int64_t us)
{
    char t[PAY_IAT_BUF];
    if (!us) return json_null();
    pay_format_kst(us, t);
    return json_string(t);
}

/* ---- merchants ------------------------------------------------------------- */

void pay_admin_merchant_create(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"mid", "payoutContract", "testBalance", NULL};
    if (!only(ctx, body, fields)) return;
    const json_t *mid = json_object_get(body, "mid");
    const json_t *contract = json_object_get(body, "payoutContract");
    const json_t *balance = json_object_get(body, "testBalance");
    if ((mid && (!json_is_string(mid) || json_string_length(mid) == 0 ||
                 json_string_length(mid) >= sizeof((pay_merchant *)0)->mid)) ||
        (contract && !json_is_boolean(contract)) ||
        (balance && (!json_is_integer(balance) || json_integer_value(balance) < 0 ||
                     json_integer_value(balance) > PAY_CREDIT_MAX))) {
        bad_request(ctx, "mid is a 1-63 character string, payoutContract a boolean, testBalance "
                         "a whole number of won from 0 to 1,000,000,000,000");
        return;
    }
    pay_merchant_spec spec = {mid ? json_string_value(mid) : NULL,
                              contract ? json_is_true(contract) : true,
                              balance ? json_integer_value(balance) : 0};
    pay_merchant m;
    pay_issued_keys keys;
    pay_fault f;
    if (!pay_merchant_create(ctx->core, &spec, &m, &keys, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    char *text = pay_issued_keys_json(&m, &keys);
    pay_issued_keys_wipe(&keys);
    pay_respond_text(ctx, 200, text, false);
}

typedef struct view_job {
    pay_scope scope;
    int64_t balances[PAY_ACCT_COUNT + 1];
    char url[PAY_URL_MAX];
    bool has_url;
    pay_ledger_audit audit;
} view_job;

static pay_store_rc view_fn(pay_tx *tx, void *arg)
{
    view_job *job = arg;
    pay_store_rc rc = PAY_STORE_OK;
    for (int a = 1; a <= PAY_ACCT_COUNT && rc == PAY_STORE_OK; a++)
        rc = tx->ops->balance_get(tx, job->scope, (pay_account)a, &job->balances[a]);
    if (rc != PAY_STORE_OK) return rc;
    rc = tx->ops->endpoint_get(tx, job->scope, job->url, sizeof job->url);
    job->has_url = rc == PAY_STORE_OK;
    if (rc != PAY_STORE_OK && rc != PAY_STORE_NOTFOUND) return rc;
    return tx->ops->ledger_audit(tx, job->scope, &job->audit);
}

/* One environment of a merchant: clock, webhook URL, ledger. */
static json_t *env_view(pay_ctx *ctx, const pay_merchant *m, pay_env env, pay_store_rc *rc)
{
    view_job job;
    memset(&job, 0, sizeof job);
    job.scope.merchant_id = m->id;
    job.scope.env = env;
    *rc = pay_store_read(ctx->core->store, view_fn, &job);
    if (*rc != PAY_STORE_OK) return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "now", time_json(pay_clock_now(ctx->core->clock, m, env)));
    json_object_set_new(o, "clockOffsetSeconds",
                        json_integer(env == PAY_ENV_TEST ? m->test_clock_offset_us / 1000000 : 0));
    json_object_set_new(o, "webhookUrl", job.has_url ? json_string(job.url) : json_null());
    json_t *ledger = json_object();
    for (int a = 1; a <= PAY_ACCT_COUNT; a++)
        json_object_set_new(ledger, pay_account_name((pay_account)a),
                            json_integer(job.balances[a]));
    json_object_set_new(o, "ledger", ledger);
    char why[256];
    bool ok = pay_ledger_audit_ok(&job.audit, why, sizeof why);
    json_object_set_new(o, "ledgerBalanced", json_boolean(ok));
    if (!ok) json_object_set_new(o, "ledgerProblem", json_string(why));
    return o;
}

static void merchant_view(pay_ctx *ctx, const pay_merchant *m)
{
    pay_store_rc rc;
    json_t *o = json_object();
    json_object_set_new(o, "mid", json_string(m->mid));
    json_object_set_new(o, "payoutContract", json_boolean(m->payout_contract));
    json_object_set_new(o, "createdAt", time_json(m->created_at_us));
    for (int env = 0; env < 2; env++) {
        json_t *e = env_view(ctx, m, (pay_env)env, &rc);
        if (!e) {
            json_decref(o);
            store_failure(ctx, rc);
            return;
        }
        json_object_set_new(o, pay_env_name((pay_env)env), e);
    }
    pay_respond_json(ctx, 200, o);
}

void pay_admin_merchant_get(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_merchant m;
    if (load_merchant(ctx, &m)) merchant_view(ctx, &m);
}

static pay_store_rc update_fn(pay_tx *tx, void *arg)
{
    return tx->ops->merchant_update(tx, arg);
}

void pay_admin_contract(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"payoutContract", NULL};
    pay_merchant m;
    if (!only(ctx, body, fields) || !load_merchant(ctx, &m)) return;
    const json_t *v = json_object_get(body, "payoutContract");
    if (!json_is_boolean(v)) {
        bad_request(ctx, "payoutContract (boolean) is required");
        return;
    }
    m.payout_contract = json_is_true(v);
    pay_store_rc rc = pay_store_write(ctx->core->store, update_fn, &m);
    pay_authcache_clear(ctx->core->authcache); /* authentication reads the merchant */
    if (rc != PAY_STORE_OK) {
        store_failure(ctx, rc);
        return;
    }
    merchant_view(ctx, &m);
}

/* ---- balances -------------------------------------------------------------- */

typedef struct credit_job {
    pay_credit credit;
    bool to_pending;
    bool over_limit;
} credit_job;

static pay_store_rc credit_fn(pay_tx *tx, void *arg)
{
    credit_job *job = arg;
    pay_credit *c = &job->credit;
    int64_t funding = 0;
    pay_store_rc rc0 = tx->ops->balance_get(tx, c->scope, PAY_ACCT_FUNDING, &funding);
    if (rc0 != PAY_STORE_OK) return rc0;
    if (-funding > PAY_FUNDING_TOTAL_MAX - c->amount) {
        job->over_limit = true; /* keeps every ledger sum far from overflow */
        return PAY_STORE_ABORT;
    }
    if (!job->to_pending)
        return pay_ledger_move(tx, c->scope, "fund", "operator credit", c->created_at_us,
                               PAY_ACCT_FUNDING, PAY_ACCT_AVAILABLE, c->amount);
    pay_store_rc rc = tx->ops->credit_insert(tx, c);
    if (rc != PAY_STORE_OK) return rc;
    char ref[32];
    snprintf(ref, sizeof ref, "credit %lld", (long long)c->id);
    return pay_ledger_move(tx, c->scope, "credit", ref, c->created_at_us, PAY_ACCT_FUNDING,
                           PAY_ACCT_PENDING, c->amount);
}

void pay_admin_credit(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"env", "amount", "settlementDate", NULL};
    pay_merchant m;
    pay_env env;
    if (!only(ctx, body, fields) || !body_env(ctx, body, &env) || !load_merchant(ctx, &m)) return;
    const json_t *amount = json_object_get(body, "amount");
    const json_t *date = json_object_get(body, "settlementDate");
    credit_job job;
    memset(&job, 0, sizeof job);
    if (!json_is_integer(amount) || json_integer_value(amount) <= 0 ||
        json_integer_value(amount) > PAY_CREDIT_MAX) {
        bad_request(ctx, "amount must be a whole number of won, 1 to 1,000,000,000,000");
        return;
    }
    if (date && (!json_is_string(date) ||
                 !pay_date_parse(json_string_value(date), json_string_length(date),
                                 &job.credit.settle_date))) {
        bad_request(ctx, "settlementDate must be yyyy-MM-dd");
        return;
    }
    job.to_pending = date != NULL;
    job.credit.scope.merchant_id = m.id;
    job.credit.scope.env = env;
    job.credit.amount = json_integer_value(amount);
    job.credit.created_at_us = pay_clock_now(ctx->core->clock, &m, env);
    pay_store_rc rc = pay_store_write(ctx->core->store, credit_fn, &job);
    if (job.over_limit) {
        bad_request(ctx, "this environment has been credited 10^15 won in all; no more");
        return;
    }
    if (rc != PAY_STORE_OK) {
        store_failure(ctx, rc);
        return;
    }
    /* A settlement date already reached settles now. */
    pay_scheduler_run_scope(ctx->core, job.credit.scope, job.credit.created_at_us, NULL);
    merchant_view(ctx, &m);
}

/* ---- sellers (sandbox actions, spec §10 #15) -------------------------------- */

static void seller_action(pay_ctx *ctx, const json_t *body, pay_seller_transition t)
{
    static const char *const fields[] = {"env", NULL};
    pay_merchant m;
    pay_env env;
    if (!only(ctx, body, fields) || !body_env(ctx, body, &env) || !load_merchant(ctx, &m)) return;
    pay_scope scope = {m.id, env};
    pay_seller s;
    pay_fault f;
    if (!pay_seller_transition_apply(ctx->core, scope, pay_clock_now(ctx->core->clock, &m, env),
                                     ctx->params[1], t, &s, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_worker_kick(ctx->core->webhook_worker);
    pay_respond_json(ctx, 200, pay_render_seller(&s));
    pay_seller_clear(&s);
}

void pay_admin_verify_identity(pay_ctx *ctx, const json_t *body)
{
    seller_action(ctx, body, PAY_SELLER_VERIFY_IDENTITY);
}

void pay_admin_approve_kyc(pay_ctx *ctx, const json_t *body)
{
    seller_action(ctx, body, PAY_SELLER_APPROVE_KYC);
}

void pay_admin_require_kyc(pay_ctx *ctx, const json_t *body)
{
    seller_action(ctx, body, PAY_SELLER_REQUIRE_KYC);
}

/* ---- clocks ---------------------------------------------------------------- */

void pay_admin_clock_get(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_merchant m;
    if (!load_merchant(ctx, &m)) return;
    json_t *o = json_object();
    json_object_set_new(o, "now", time_json(pay_clock_now(ctx->core->clock, &m, PAY_ENV_TEST)));
    json_object_set_new(o, "offsetSeconds", json_integer(m.test_clock_offset_us / 1000000));
    json_object_set_new(o, "liveNow", time_json(pay_clock_now(ctx->core->clock, &m, PAY_ENV_LIVE)));
    pay_respond_json(ctx, 200, o);
}

void pay_admin_clock_set(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"advanceSeconds", "set", "reset", NULL};
    pay_merchant m;
    if (!only(ctx, body, fields) || !load_merchant(ctx, &m)) return;
    const json_t *adv = json_object_get(body, "advanceSeconds");
    const json_t *set = json_object_get(body, "set");
    const json_t *reset = json_object_get(body, "reset");
    int given = (adv != NULL) + (set != NULL) + (reset != NULL);
    int64_t offset = m.test_clock_offset_us;
    int64_t real = pay_clock_real(ctx->core->clock);
    if (given != 1) {
        bad_request(ctx, "send exactly one of advanceSeconds (seconds, forward), set (an ISO "
                         "time such as 2026-12-24T10:00:00+09:00) or reset (true)");
        return;
    }
    if (adv) {
        /* Forward only: business time never runs backwards for stored data. */
        if (!json_is_integer(adv) || json_integer_value(adv) < 0 ||
            json_integer_value(adv) > CLOCK_SHIFT_MAX_US / 1000000) {
            bad_request(ctx, "advanceSeconds must be a whole number of seconds >= 0");
            return;
        }
        offset += json_integer_value(adv) * 1000000;
    } else if (set) {
        int64_t target;
        if (!json_is_string(set) ||
            pay_parse_iat(json_string_value(set), json_string_length(set), &target, NULL) !=
                PAY_OK) {
            bad_request(ctx, "set must be a time like 2026-12-24T10:00:00+09:00");
            return;
        }
        offset = target - real;
    } else {
        if (!json_is_true(reset)) {
            bad_request(ctx, "reset must be true");
            return;
        }
        offset = 0;
    }
    if (offset > CLOCK_SHIFT_MAX_US || offset < -CLOCK_SHIFT_MAX_US) {
        bad_request(ctx, "the sandbox clock may differ from real time by ten years at most");
        return;
    }
    m.test_clock_offset_us = offset;
    /* No background tick between the move and the run below: `transitions`
     * counts every step the move made due. */
    pay_scheduler_lock();
    pay_store_rc rc = pay_store_write(ctx->core->store, update_fn, &m);
    pay_authcache_clear(ctx->core->authcache); /* the actor's clock comes from the merchant */
    if (rc != PAY_STORE_OK) {
        pay_scheduler_unlock();
        store_failure(ctx, rc);
        return;
    }
    /* Apply what the new time makes due before answering, so a caller that
     * advanced the clock sees the result at once. */
    pay_scope scope = {m.id, PAY_ENV_TEST};
    int moved = 0;
    int64_t now = pay_clock_now(ctx->core->clock, &m, PAY_ENV_TEST);
    bool applied = pay_scheduler_run_scope(ctx->core, scope, now, &moved);
    pay_scheduler_unlock();
    if (!applied) {
        /* The clock did move; what it made due is applied once the store
         * takes writes again (the scheduler retries every tick). */
        pay_fault f;
        pay_fault_setf(&f, PAY_E_STORAGE_UNAVAILABLE,
                       "the sandbox clock moved, but the steps it made due could not be saved "
                       "yet; the scheduler applies them as soon as storage recovers");
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_worker_kick(ctx->core->webhook_worker);
    json_t *o = json_object();
    json_object_set_new(o, "now", time_json(now));
    json_object_set_new(o, "offsetSeconds", json_integer(offset / 1000000));
    json_object_set_new(o, "transitions", json_integer(moved));
    pay_respond_json(ctx, 200, o);
}

void pay_admin_scheduler_run(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_scheduler_run_all_now(ctx->core);
    pay_worker_kick(ctx->core->webhook_worker);
    pay_respond_json(ctx, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- webhooks -------------------------------------------------------------- */

void pay_admin_webhook_set(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"env", "url", NULL};
    pay_merchant m;
    pay_env env;
    if (!only(ctx, body, fields) || !body_env(ctx, body, &env) || !load_merchant(ctx, &m)) return;
    const json_t *url = json_object_get(body, "url");
    if (!url || (!json_is_string(url) && !json_is_null(url))) {
        bad_request(ctx, "url (a string, or null to remove) is required");
        return;
    }
    pay_scope scope = {m.id, env};
    pay_fault f;
    if (!pay_webhooks_set_endpoint(ctx->core, scope, pay_clock_now(ctx->core->clock, &m, env),
                                   json_is_null(url) ? NULL : json_string_value(url), &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    merchant_view(ctx, &m);
}

typedef struct events_job {
    pay_scope scope;
    size_t limit;
    pay_webhook_event *events;
    size_t n;
} events_job;

static pay_store_rc events_fn(pay_tx *tx, void *arg)
{
    events_job *job = arg;
    return tx->ops->event_list(tx, job->scope, 0, job->limit, job->events, &job->n);
}

static json_t *event_json(const pay_webhook_event *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "eventId", json_string(e->event_id));
    json_object_set_new(o, "eventType", json_string(e->event_type));
    json_object_set_new(o, "status", json_string(pay_event_status_name(e->status)));
    json_object_set_new(o, "attempts", json_integer(e->attempts));
    json_object_set_new(o, "createdAt", time_json(e->created_at_us));
    json_object_set_new(o, "nextAttemptAt",
                        e->status == PAY_EVENT_PENDING ? time_json(e->next_attempt_at_us)
                                                       : json_null());
    json_object_set_new(o, "lastAttemptAt", time_json(e->last_attempt_at_us));
    json_object_set_new(o, "lastHttpStatus", json_integer(e->last_http_status));
    json_object_set_new(o, "lastError", pay_json_text(e->last_error));
    json_object_set_new(o, "deliveredAt", time_json(e->delivered_at_us));
    json_t *body = json_loads(e->body, 0, NULL);
    json_object_set_new(o, "body", body ? body : json_null());
    return o;
}

/* The admin lists' limit (absent: the default): 1 to ADMIN_LIST_MAX, plain
 * digits (the value is a byte string, http/query.h). */
static bool admin_limit(pay_ctx *ctx, pay_query_value v, size_t *out)
{
    *out = ADMIN_LIST_DEFAULT;
    if (!v.s) return true;
    bool digits = pay_all_digits(v.s, v.len);
    size_t n = 0;
    for (size_t i = 0; digits && i < v.len && n <= ADMIN_LIST_MAX; i++)
        n = n * 10 + (size_t)(v.s[i] - '0');
    if (!digits || n == 0 || n > ADMIN_LIST_MAX) {
        bad_request(ctx, "limit must be 1 to 500");
        return false;
    }
    *out = n;
    return true;
}

void pay_admin_webhook_list(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_merchant m;
    pay_env env;
    /* webhook_list_params: the gate left env and limit in ctx->query */
    if (ctx->query[0].s && !pay_query_is_cstr(&ctx->query[0])) {
        bad_request(ctx, "env must be \"test\" or \"live\"");
        return;
    }
    if (!env_from(ctx, ctx->query[0].s, &env) || !load_merchant(ctx, &m)) return;
    events_job job = {{m.id, env}, ADMIN_LIST_DEFAULT, NULL, 0};
    if (!admin_limit(ctx, ctx->query[1], &job.limit)) return;
    job.events = calloc(job.limit, sizeof *job.events);
    if (!job.events) {
        pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return;
    }
    pay_store_rc rc = pay_store_read(ctx->core->store, events_fn, &job);
    if (rc != PAY_STORE_OK) {
        free(job.events);
        store_failure(ctx, rc);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < job.n; i++) {
        json_array_append_new(items, event_json(&job.events[i]));
        pay_webhook_event_clear(&job.events[i]);
    }
    free(job.events);
    json_t *o = json_object();
    json_object_set_new(o, "items", items);
    pay_respond_json(ctx, 200, o);
}

void pay_admin_webhook_redeliver(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"env", NULL};
    pay_merchant m;
    pay_env env;
    if (!only(ctx, body, fields) || !body_env(ctx, body, &env) || !load_merchant(ctx, &m)) return;
    pay_scope scope = {m.id, env};
    pay_fault f;
    if (!pay_webhooks_redeliver(ctx->core, scope, pay_clock_now(ctx->core->clock, &m, env),
                                ctx->params[1], &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_worker_kick(ctx->core->webhook_worker);
    pay_respond_json(ctx, 200, json_pack("{s:s,s:s}", "eventId", ctx->params[1], "status",
                                         "PENDING"));
}

/* ---- keys (spec §2.2) -------------------------------------------------------- */

void pay_admin_key_rotate(pay_ctx *ctx, const json_t *body)
{
    static const char *const fields[] = {"env", "kind", NULL};
    pay_merchant m;
    pay_env env;
    if (!only(ctx, body, fields) || !body_env(ctx, body, &env) || !load_merchant(ctx, &m)) return;
    const char *kind = json_string_value(json_object_get(body, "kind"));
    pay_key_kind k;
    if (kind && strcmp(kind, "secretKey") == 0)
        k = PAY_KEY_SECRET;
    else if (kind && strcmp(kind, "securityKey") == 0)
        k = PAY_KEY_SECURITY;
    else {
        bad_request(ctx, "kind must be \"secretKey\" or \"securityKey\"");
        return;
    }
    pay_scope scope = {m.id, env};
    char key[PAY_API_KEY_BUF];
    int64_t old_until = 0;
    pay_fault f;
    if (!pay_merchant_rotate_key(ctx->core, scope, k, pay_clock_now(ctx->core->clock, &m, env), key,
                                 &old_until, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    /* The one response that carries a key: the operator hands it over. */
    json_t *o = json_object();
    json_object_set_new(o, "env", json_string(pay_env_name(env)));
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "previousKeyValidUntil", time_json(old_until));
    OPENSSL_cleanse(key, sizeof key);
    pay_respond_json(ctx, 200, o);
}

/* ---- traces ------------------------------------------------------------------- */

static json_t *trace_json(const pay_trace *t)
{
    char at[PAY_ISO_BUF];
    pay_format_utc_ms(t->at_us, at);
    json_t *o = json_object();
    json_object_set_new(o, "traceId", json_string(t->trace_id));
    json_object_set_new(o, "at", json_string(at));
    json_object_set_new(o, "method", pay_json_text(t->method));
    json_object_set_new(o, "route", pay_json_text(t->route));
    json_object_set_new(o, "client", pay_json_text(t->client));
    json_object_set_new(o, "merchant", t->merchant[0] ? pay_json_text(t->merchant) : json_null());
    json_object_set_new(o, "env", t->env[0] ? json_string(t->env) : json_null());
    json_object_set_new(o, "status", json_integer(t->status));
    json_object_set_new(o, "code", t->code[0] ? pay_json_text(t->code) : json_null());
    json_object_set_new(o, "diagnosis", t->diagnosis[0] ? pay_json_text(t->diagnosis) : json_null());
    json_object_set_new(o, "replayOf", t->replay_of[0] ? json_string(t->replay_of) : json_null());
    json_object_set_new(o, "bytesIn", json_integer((json_int_t)t->bytes_in));
    json_object_set_new(o, "bytesOut", json_integer((json_int_t)t->bytes_out));
    json_object_set_new(o, "latencyMicros", json_integer(t->latency_us));
    return o;
}

void pay_admin_trace_get(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_trace t;
    if (!pay_traces_get(ctx->core->traces, ctx->params[0], &t)) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_NOT_FOUND, "trace %.64s is not (or no longer) in the trace store",
                       ctx->params[0]);
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_respond_json(ctx, 200, trace_json(&t));
}

void pay_admin_trace_list(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    size_t limit;
    if (!admin_limit(ctx, ctx->query[0], &limit)) return; /* trace_list_params */
    pay_trace *items = calloc(limit, sizeof *items);
    if (!items) {
        pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return;
    }
    size_t n = pay_traces_recent(ctx->core->traces, items, limit);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, trace_json(&items[i]));
    free(items);
    json_t *o = json_object();
    json_object_set_new(o, "items", arr);
    pay_respond_json(ctx, 200, o);
}

/* The query parameters of the two admin lists; every other admin route
 * takes none. */
static const char *const webhook_list_params[] = {"env", "limit", NULL};
static const char *const trace_list_params[] = {"limit", NULL};

const pay_route pay_admin_routes[] = {
    {"POST", "/admin/v1/merchants", pay_admin_merchant_create, PAY_ROUTE_BODY,
     "POST /admin/v1/merchants", NULL},
    {"GET", "/admin/v1/merchants/:mid", pay_admin_merchant_get, 0, "GET /admin/v1/merchants/{mid}",
     NULL},
    {"POST", "/admin/v1/merchants/:mid/contract", pay_admin_contract, PAY_ROUTE_BODY,
     "POST /admin/v1/merchants/{mid}/contract", NULL},
    {"POST", "/admin/v1/merchants/:mid/credits", pay_admin_credit, PAY_ROUTE_BODY,
     "POST /admin/v1/merchants/{mid}/credits", NULL},
    {"POST", "/admin/v1/merchants/:mid/sellers/:id/verify-identity", pay_admin_verify_identity,
     PAY_ROUTE_BODY | PAY_ROUTE_BODY_OPTIONAL, "POST /admin/v1/.../verify-identity", NULL},
    {"POST", "/admin/v1/merchants/:mid/sellers/:id/approve-kyc", pay_admin_approve_kyc,
     PAY_ROUTE_BODY | PAY_ROUTE_BODY_OPTIONAL, "POST /admin/v1/.../approve-kyc", NULL},
    {"POST", "/admin/v1/merchants/:mid/sellers/:id/require-kyc", pay_admin_require_kyc,
     PAY_ROUTE_BODY | PAY_ROUTE_BODY_OPTIONAL, "POST /admin/v1/.../require-kyc", NULL},
    {"GET", "/admin/v1/merchants/:mid/clock", pay_admin_clock_get, 0,
     "GET /admin/v1/merchants/{mid}/clock", NULL},
    {"POST", "/admin/v1/merchants/:mid/clock", pay_admin_clock_set, PAY_ROUTE_BODY,
     "POST /admin/v1/merchants/{mid}/clock", NULL},
    {"PUT", "/admin/v1/merchants/:mid/webhook", pay_admin_webhook_set, PAY_ROUTE_BODY,
     "PUT /admin/v1/merchants/{mid}/webhook", NULL},
    {"GET", "/admin/v1/merchants/:mid/webhooks", pay_admin_webhook_list, 0,
     "GET /admin/v1/merchants/{mid}/webhooks", webhook_list_params},
    {"POST", "/admin/v1/merchants/:mid/webhooks/:id/redeliver", pay_admin_webhook_redeliver,
     PAY_ROUTE_BODY | PAY_ROUTE_BODY_OPTIONAL, "POST /admin/v1/.../redeliver", NULL},
    {"POST", "/admin/v1/scheduler/run", pay_admin_scheduler_run, 0, "POST /admin/v1/scheduler/run",
     NULL},
    {"POST", "/admin/v1/merchants/:mid/keys", pay_admin_key_rotate, PAY_ROUTE_BODY,
     "POST /admin/v1/merchants/{mid}/keys", NULL},
    {"GET", "/admin/v1/traces", pay_admin_trace_list, 0, "GET /admin/v1/traces", trace_list_params},
    {"GET", "/admin/v1/traces/:id", pay_admin_trace_get, 0, "GET /admin/v1/traces/{traceId}", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
