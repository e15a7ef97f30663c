#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "http/ctx.h"
#include "core/merchants.h"
#include "core/ratelimit.h"
#include "core/traces.h"
#include "http/gate.h"
#include "http/idem.h"
#include "http/router.h"


struct pay_server {
    pay_core *core;
    pay_server_config cfg;
    struct MHD_Daemon *daemon;
    uint16_t port;
    bool admin_enabled;
    uint8_t admin_token_hash[32]; /* the token itself is not kept */
    int in_flight;                /* requests begun and not completed (atomic) */
    int suspended;                /* connections waiting for their write (atomic) */
    bool no_suspend;              /* late in shutdown: writes run on the thread */
    int working;                  /* requests read whole and being answered (atomic) */
    bool stopping;                /* answers say Connection: close */
    int64_t stop_began_us;        /* monotonic; when the listener closed */
};

void pay_server_config_defaults(pay_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = 8080;
    cfg->threads = 4;
    cfg->max_connections = 2048;
    /* Caps what one address can hold open (slow or idle clients); load
     * tests from one host raise it. */
    cfg->per_ip_connections = 64;
    cfg->timeout_s = 15;
    cfg->connection_memory = 32 * 1024;
    /* The largest legal request: 100 payout items of ~1.6 KB plaintext each,
     * base64url-encoded (4/3) inside a JWE, stays well under 1 MiB. */
    cfg->max_body = PAY_JWE_TOKEN_MAX;
    /* The idle timeout restarts with every byte; this bounds a body
     * dribbled in forever. */
    cfg->request_deadline_s = 60;
    cfg->shutdown_grace_s = 20;
    cfg->serve_api = true;
    cfg->serve_admin = true;
}

/* Created from libmicrohttpd's URI log callback, which sees the request
 * target before any unescaping: routing on those raw bytes means %00, %2f
 * and friends never reach a route as something else. */
static void *ctx_new(void *cls, const char *uri, struct MHD_Connection *conn)
{
    pay_server *srv = cls;
    pay_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    /* Counted, then checked, both sequentially consistent, as the stopping
     * side sets the flag, then reads the count: either shutdown waits for
     * this request, or this request sees the flag and starts no work (a
     * write begun after the wait would leave a suspended connection, and
     * libmicrohttpd aborts when it stops with one). */
    __atomic_add_fetch(&srv->in_flight, 1, __ATOMIC_SEQ_CST);
    ctx->late = __atomic_load_n(&srv->stopping, __ATOMIC_SEQ_CST);
    ctx->srv = srv;
    ctx->core = srv->core;
    ctx->conn = conn;
    ctx->start_mono_us = pay_mono_now_us();
    ctx->start_real_us = pay_real_now_us();
    ctx->max_body = srv->cfg.max_body;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ctx->client,
                      sizeof ctx->client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ctx->client,
                      sizeof ctx->client);
    }
    pay_buf_init(&ctx->body);
    if (!pay_trace_id_new(ctx->trace_id)) memcpy(ctx->trace_id, "0", 2);
    size_t path_len = strcspn(uri, "?#");
    if (path_len >= sizeof ctx->path) path_len = sizeof ctx->path - 1;
    memcpy(ctx->path, uri, path_len);
    ctx->path[path_len] = 0;
    return ctx;
}

static void ctx_free(pay_ctx *ctx)
{
    if (!ctx) return;
    pay_idem_finish(ctx);
    pay_key_wipe(&ctx->resp_key);
    if (ctx->body.data) OPENSSL_cleanse(ctx->body.data, ctx->body.cap);
    pay_buf_free(&ctx->body);
    free(ctx);
}

/* The request's entry in the trace store: what support needs, never a body
 * or a key. */
static void record_trace(const pay_ctx *ctx, int64_t latency_us)
{
    if (!ctx->core->traces) return;
    pay_trace t;
    memset(&t, 0, sizeof t);
    memcpy(t.trace_id, ctx->trace_id, sizeof t.trace_id);
    t.at_us = ctx->start_real_us;
    pay_strlcpy(t.method, ctx->method, sizeof t.method);
    pay_strlcpy(t.route, ctx->route ? ctx->route->name : "-", sizeof t.route);
    pay_strlcpy(t.client, ctx->client, sizeof t.client);
    pay_strlcpy(t.merchant, ctx->authed ? ctx->actor.merchant.mid : "", sizeof t.merchant);
    pay_strlcpy(t.env, ctx->authed ? pay_env_name(ctx->actor.env) : "", sizeof t.env);
    t.status = ctx->status;
    pay_strlcpy(t.code, ctx->err_code, sizeof t.code);
    pay_strlcpy(t.diagnosis, ctx->diagnosis, sizeof t.diagnosis);
    memcpy(t.replay_of, ctx->replay_trace_id, sizeof t.replay_of);
    t.bytes_in = ctx->body.len + ctx->discarded;
    t.bytes_out = ctx->resp_bytes;
    t.latency_us = latency_us;
    pay_traces_add(ctx->core->traces, &t);
}

static void log_request(const pay_ctx *ctx)
{
    int64_t us = pay_mono_now_us() - ctx->start_mono_us;
    record_trace(ctx, us);
    const char *route = ctx->route ? ctx->route->name : "-";
    pay_log_info("trace=%s merchant=%s env=%s method=%s route=\"%s\" status=%u code=%s in=%zu "
                 "out=%zu latency_us=%lld",
                 ctx->trace_id, ctx->authed ? ctx->actor.merchant.mid : "-",
                 ctx->authed ? pay_env_name(ctx->actor.env) : "-", ctx->method, route, ctx->status,
                 ctx->err_code[0] ? ctx->err_code : "-", ctx->body.len, ctx->resp_bytes,
                 (long long)us);
}

/* Headers that must not appear twice: with two, which one a proxy and
 * which one payoutd read could differ. */
static const char *const single_headers[] = {
    MHD_HTTP_HEADER_AUTHORIZATION, MHD_HTTP_HEADER_CONTENT_TYPE, MHD_HTTP_HEADER_CONTENT_LENGTH,
    MHD_HTTP_HEADER_TRANSFER_ENCODING, "TossPayments-api-security-mode", "Idempotency-Key",
    "TossPayments-Test-Code", "Accept-Language", NULL};

typedef struct header_count {
    int counts[16];
    const char *dup;
} header_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind, (void)value;
    header_count *hc = cls;
    for (int i = 0; single_headers[i]; i++)
        if (strcasecmp(key, single_headers[i]) == 0 && ++hc->counts[i] > 1) hc->dup = single_headers[i];
    return MHD_YES;
}

/* The methods a path answers to, for a 405's Allow header. */
static void allowed_methods(const pay_route *table, const char *path, char *out, size_t cap)
{
    const pay_route *found;
    char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1];
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", NULL};
    out[0] = 0;
    for (int i = 0; methods[i]; i++)
        if (pay_route_find(table, methods[i], path, &found, params) == PAY_ROUTE_FOUND) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? ", " : "", methods[i]);
        }
}

static bool refuse(pay_ctx *ctx, pay_api_err code, const char *detail)
{
    pay_fault f;
    pay_fault_setf(&f, code, "%s", detail);
    pay_respond_fault(ctx, &f);
    return false;
}

/* Everything decidable from the request line and headers, before a byte of
 * body is read: an unauthenticated client never makes payoutd hold a body. */
static bool on_headers(pay_ctx *ctx)
{
    const char *lang = pay_ctx_header(ctx, "Accept-Language");
    ctx->lang = lang && strncasecmp(lang, "en", 2) == 0 ? PAY_LANG_EN : PAY_LANG_KO;
    char detail[160];
    if (ctx->late) {
        ctx->retry_after = 1;
        return refuse(ctx, PAY_E_SERVER_SHUTTING_DOWN, "a new request after shutdown began");
    }
    /* Before anything costs work: a client address sending too fast. */
    if (!pay_ratelimit_take(ctx->core->limiter, ctx->client, strlen(ctx->client),
                            ctx->core->settings.rate_per_ip, ctx->start_real_us, &ctx->retry_after)) {
        snprintf(detail, sizeof detail, "over %u requests per minute from this address",
                 ctx->core->settings.rate_per_ip);
        return refuse(ctx, PAY_E_TOO_MANY_REQUESTS, detail);
    }
    if (strchr(ctx->path, '%'))
        return refuse(ctx, PAY_E_NOT_FOUND, "percent-encoded paths are not used by this API");
    header_count hc;
    memset(&hc, 0, sizeof hc);
    MHD_get_connection_values(ctx->conn, MHD_HEADER_KIND, count_header, &hc);
    if (hc.dup) {
        snprintf(detail, sizeof detail, "the %s header appears more than once", hc.dup);
        return refuse(ctx, PAY_E_INVALID_REQUEST, detail);
    }

    bool admin = strncmp(ctx->path, "/admin/", 7) == 0;
    if (admin ? !ctx->srv->cfg.serve_admin : !ctx->srv->cfg.serve_api)
        return refuse(ctx, PAY_E_NOT_FOUND,
                      admin ? "the admin API listens on another address"
                            : "this address serves the admin API only");
    /* The admin token comes before routing: without it, no admin path is
     * told apart from another (404 when disabled, 401 otherwise). */
    if (admin && !pay_gate_admin(ctx, ctx->srv->admin_enabled ? ctx->srv->admin_token_hash : NULL))
        return false;
    const pay_route *table = admin ? pay_admin_routes : pay_api_routes;
    const pay_route *route = NULL;
    pay_route_result rr = pay_route_find(table, ctx->method, ctx->path, &route, ctx->params);
    if (rr == PAY_ROUTE_NO_PATH) {
        snprintf(detail, sizeof detail, "no API at %.80s", ctx->path);
        return refuse(ctx, PAY_E_NOT_FOUND, detail);
    }
    if (rr == PAY_ROUTE_NO_METHOD) {
        allowed_methods(table, ctx->path, ctx->allow, sizeof ctx->allow);
        snprintf(detail, sizeof detail, "this path takes %s", ctx->allow);
        return refuse(ctx, PAY_E_METHOD_NOT_ALLOWED, detail);
    }
    ctx->route = route;
    const char *cl = pay_ctx_header(ctx, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > ctx->max_body) {
        snprintf(detail, sizeof detail, "the body exceeds %zu bytes", ctx->max_body);
        ctx->body_too_large = true;
        return refuse(ctx, PAY_E_REQUEST_TOO_LARGE, detail);
    }
    if (admin) return true;
    if (!pay_gate_authenticate(ctx)) return false;
    /* Spec §7: per API, per secret key; per environment limits. */
    struct {
        int64_t key_id;
        const void *route;
    } bucket = {ctx->actor.api_key_id, route};
    unsigned limit = ctx->core->settings.rate_per_minute[ctx->actor.env];
    if (!pay_ratelimit_take(ctx->core->limiter, &bucket, sizeof bucket, limit, ctx->start_real_us,
                            &ctx->retry_after)) {
        snprintf(detail, sizeof detail, "over %u requests per minute to %s with this key", limit,
                 route->name);
        return refuse(ctx, PAY_E_TOO_MANY_REQUESTS, detail);
    }
    return pay_gate_head(ctx, route->flags);
}

/* The body is complete: decrypt, parse, and run the handler. */
static void on_body(pay_ctx *ctx)
{
    const pay_route *route = ctx->route;
    json_t *body = NULL;
    if (ctx->body_too_large) {
        char detail[64];
        snprintf(detail, sizeof detail, "the body exceeds %zu bytes", ctx->max_body);
        refuse(ctx, PAY_E_REQUEST_TOO_LARGE, detail);
        return;
    }
    if (ctx->admin) {
        if (!pay_gate_admin_body(ctx, route->flags, &body)) return;
    } else if (!pay_gate_body(ctx, route->flags, &body) || !pay_gate_test_code(ctx) ||
               !pay_idem_begin(ctx) || !pay_gate_fresh(ctx)) {
        json_decref(body);
        return;
    }
    route->handler(ctx, body);
    json_decref(body);
    /* A handler that went asynchronous answers when its write commits. */
    if (!ctx->responded && !ctx->suspended)
        pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
}

/* ---- asynchronous writes --------------------------------------------------- */

typedef struct async_job {
    pay_ctx *ctx;
    pay_tx_fn fn;
    void *arg;
} async_job;

static pay_store_rc async_fn(pay_tx *tx, void *arg)
{
    async_job *job = arg;
    return job->fn(tx, job->arg);
}

/* The handler's finish for a request whose client left while its write
 * ran: MHD ended the connection without calling on_request again. The
 * outcome is committed and gets logged; nothing is sent. */
static void finish_gone(pay_ctx *ctx)
{
    ctx->gone = true;
    ctx->suspended = false;
    ctx->async_finish(ctx, ctx->async_rc);
}

/* Called by the store's writer thread after the commit. */
static void async_done(void *arg, pay_store_rc rc)
{
    async_job *job = arg;
    pay_ctx *ctx = job->ctx;
    pay_server *srv = ctx->srv;
    free(job);
    ctx->async_rc = rc;
    __atomic_store_n(&ctx->async_done, true, __ATOMIC_RELEASE);
    MHD_resume_connection(ctx->conn); /* MHD calls on_request again */
    __atomic_sub_fetch(&srv->suspended, 1, __ATOMIC_ACQ_REL);
}

bool pay_ctx_write_async(pay_ctx *ctx, pay_tx_fn fn, void *arg,
                         void (*finish)(pay_ctx *ctx, pay_store_rc rc))
{
    async_job *job = malloc(sizeof *job);
    if (!job) return false;
    *job = (async_job){ctx, fn, arg};
    ctx->async_finish = finish;
    ctx->async_done = false;
    /* Counted, then checked (the stopping side sets no_suspend, then waits
     * for the count): late in shutdown the caller writes synchronously. */
    __atomic_add_fetch(&ctx->srv->suspended, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&ctx->srv->no_suspend, __ATOMIC_SEQ_CST)) {
        __atomic_sub_fetch(&ctx->srv->suspended, 1, __ATOMIC_SEQ_CST);
        free(job);
        return false;
    }
    /* Suspend first: the writer may finish (and resume) before this returns. */
    MHD_suspend_connection(ctx->conn);
    ctx->suspended = true;
    if (ctx->core->store->ops->write_async(ctx->core->store, async_fn, job, async_done, job) !=
        PAY_STORE_OK) {
        free(job);
        ctx->suspended = false;
        MHD_resume_connection(ctx->conn);
        __atomic_sub_fetch(&ctx->srv->suspended, 1, __ATOMIC_ACQ_REL);
        return false;
    }
    return true;
}

/* Past the cap, a chunked upload is read and dropped up to this much, so the
 * 413 can be sent; beyond it the connection is simply closed. */
#define DISCARD_MAX (16 * 1024 * 1024)

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)conn, (void)url, (void)version;
    pay_ctx *ctx = *con_cls;
    if (!ctx) return MHD_NO; /* the URI callback could not allocate */
    if (ctx->suspended) {
        /* Resumed after an asynchronous write: answer now. */
        if (!__atomic_load_n(&ctx->async_done, __ATOMIC_ACQUIRE)) return MHD_YES;
        ctx->suspended = false;
        ctx->async_finish(ctx, ctx->async_rc);
        if (!ctx->responded) pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return MHD_YES;
    }
    if (!ctx->method[0]) {
        pay_strlcpy(ctx->method, method, sizeof ctx->method);
        on_headers(ctx); /* answers itself when it refuses */
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (ctx->responded) return MHD_YES; /* refused from the headers: drop */
        if (pay_mono_now_us() - ctx->start_mono_us >
            (int64_t)ctx->srv->cfg.request_deadline_s * 1000000) {
            pay_log_warn("trace=%s body still arriving after %u s: connection closed",
                         ctx->trace_id, ctx->srv->cfg.request_deadline_s);
            return MHD_NO;
        }
        if (ctx->body_too_large || ctx->body.len + n > ctx->max_body) {
            ctx->body_too_large = true;
            ctx->discarded += n;
            return ctx->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        return pay_buf_append(&ctx->body, upload_data, n) ? MHD_YES : MHD_NO;
    }
    if (!ctx->responded) {
        ctx->working = true; /* shutdown waits its whole grace for these */
        __atomic_add_fetch(&ctx->srv->working, 1, __ATOMIC_SEQ_CST);
        on_body(ctx);
    }
    return ctx->responded || ctx->suspended ? MHD_YES : MHD_NO;
}

/* The request's log line and trace entry, then its context is freed. */
static void end_request(pay_ctx *ctx)
{
    log_request(ctx);
    pay_server *srv = ctx->srv;
    if (ctx->working) __atomic_sub_fetch(&srv->working, 1, __ATOMIC_ACQ_REL);
    ctx_free(ctx);
    __atomic_sub_fetch(&srv->in_flight, 1, __ATOMIC_ACQ_REL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn;
    pay_ctx *ctx = *con_cls;
    if (!ctx) return;
    *con_cls = NULL;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !ctx->responded)
        snprintf(ctx->err_code, sizeof ctx->err_code, "connection-%d", (int)toe);
    if (ctx->suspended) {
        if (!__atomic_load_n(&ctx->async_done, __ATOMIC_ACQUIRE)) {
            /* Never seen: MHD ends no suspended connection, and shutdown
             * waits for every write. Keep ctx (the writer will use it). */
            pay_log_error("trace=%s ended while its write was queued", ctx->trace_id);
            return;
        }
        finish_gone(ctx);
    }
    end_request(ctx);
}


/* libmicrohttpd's own messages; its format strings are printf formats. */
__attribute__((format(printf, 2, 0))) static void on_mhd_error(void *cls, const char *fmt,
                                                               va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    pay_log_warn("http: %s", msg);
}

pay_server *pay_server_start(pay_core *core, const pay_server_config *cfg, char *errbuf,
                             size_t errlen)
{
    pay_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    srv->core = core;
    srv->cfg = *cfg;
    srv->cfg.admin_token = NULL;
    srv->cfg.tls_cert_pem = srv->cfg.tls_key_pem = NULL; /* MHD has copied what it needs */
    if (cfg->admin_token && cfg->admin_token[0]) {
        pay_key_lookup_hash(cfg->admin_token, strlen(cfg->admin_token), srv->admin_token_hash);
        srv->admin_enabled = true;
    }

    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)cfg->port);
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(errbuf, errlen, "cannot resolve listen address %s: %s", cfg->host,
                 gai_strerror(gai));
        free(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    if (tls) flags |= MHD_USE_TLS;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, srv, /* first, so it sees everything */
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(cfg->threads ? cfg->threads : 1),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_URI_LOG_CALLBACK, ctx_new, srv,
        /* Options past this point apply only with TLS. */
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem,
        MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->daemon) {
        snprintf(errbuf, errlen, "cannot listen on %s:%u (address in use or not permitted?)",
                 cfg->host, (unsigned)cfg->port);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    return srv;
}

uint16_t pay_server_port(const pay_server *srv)
{
    return srv->port;
}

bool pay_server_stopping(const pay_server *srv)
{
    return __atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE);
}

/* Set by a second signal: shutdown stops waiting for requests under way. */
static bool hurry;

void pay_server_hurry(void)
{
    __atomic_store_n(&hurry, true, __ATOMIC_SEQ_CST);
}

/* A request still arriving when shutdown begins gets this long to finish
 * sending: nothing of it has started, and a client that stalls mid-upload
 * must not hold the process for the whole grace period. */
#define STILL_SENDING_GRACE_US 1000000

/* Waits for the requests under way: those being answered for up to the
 * grace period, those still arriving for a second; a second signal ends the
 * wait. Returns how many are left. */
static int wait_for_requests(pay_server *srv)
{
    int64_t start = srv->stop_began_us;
    int64_t deadline = start + (int64_t)srv->cfg.shutdown_grace_s * 1000000;
    int left = __atomic_load_n(&srv->in_flight, __ATOMIC_SEQ_CST);
    if (left > 0)
        pay_log_info("shutdown: %d request(s) under way; waiting up to %u s (signal again to "
                     "stop now)", left, srv->cfg.shutdown_grace_s);
    while ((left = __atomic_load_n(&srv->in_flight, __ATOMIC_SEQ_CST)) > 0 &&
           !__atomic_load_n(&hurry, __ATOMIC_SEQ_CST)) {
        int64_t now = pay_mono_now_us();
        if (now >= deadline) {
            pay_log_warn("shutdown: %d request(s) still running after %u s", left,
                         srv->cfg.shutdown_grace_s);
            return left;
        }
        if (now - start >= STILL_SENDING_GRACE_US &&
            __atomic_load_n(&srv->working, __ATOMIC_SEQ_CST) == 0) {
            pay_log_warn("shutdown: closing %d connection(s) still sending their request", left);
            return left;
        }
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (left > 0) pay_log_warn("shutdown: second signal; %d request(s) cut off", left);
    return left;
}

/* Polls an atomic counter until it is zero or seconds pass; its last value. */
static int wait_for_zero(int *counter, unsigned seconds)
{
    int64_t deadline = pay_mono_now_us() + (int64_t)seconds * 1000000;
    int left;
    while ((left = __atomic_load_n(counter, __ATOMIC_SEQ_CST)) > 0 && pay_mono_now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return left;
}

void pay_server_quiesce(pay_server *srv)
{
    if (!srv || __atomic_load_n(&srv->stopping, __ATOMIC_SEQ_CST)) return;
    srv->stop_began_us = pay_mono_now_us(); /* the grace runs from here */
    __atomic_store_n(&srv->stopping, true, __ATOMIC_SEQ_CST);
    MHD_socket listener = MHD_quiesce_daemon(srv->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
}

void pay_server_stop(pay_server *srv)
{
    if (!srv) return;
    /* Graceful: stop accepting, let the requests already begun finish (their
     * commits included), then close what is left. */
    pay_server_quiesce(srv);
    wait_for_requests(srv);
    /* A connection waiting for its write must be resumed before the daemon
     * stops (libmicrohttpd aborts otherwise), and its write commits whatever
     * the grace period: wait for the writer, which always ends a write,
     * committed or failed. A request still running past the grace period
     * writes on its own thread instead of suspending. */
    __atomic_store_n(&srv->no_suspend, true, __ATOMIC_SEQ_CST);
    if (wait_for_zero(&srv->suspended, 60) > 0) {
        pay_log_error("shutdown: a write never ended; leaving the listener as it is");
        return;
    }
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
