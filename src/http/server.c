#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "http/ctx.h"
#include "core/merchants.h"
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
    cfg->timeout_s = 30;
    cfg->connection_memory = 32 * 1024;
    /* The largest legal request: 100 payout items of ~1.6 KB plaintext each,
     * base64url-encoded (4/3) inside a JWE, stays well under 1 MiB. */
    cfg->max_body = PAY_JWE_TOKEN_MAX;
}

/* Created from libmicrohttpd's URI log callback, which sees the request
 * target before any unescaping: routing on those raw bytes means %00, %2f
 * and friends never reach a route as something else. */
static void *ctx_new(void *cls, const char *uri, struct MHD_Connection *conn)
{
    pay_server *srv = cls;
    pay_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->srv = srv;
    ctx->core = srv->core;
    ctx->conn = conn;
    ctx->start_mono_us = pay_mono_now_us();
    ctx->max_body = srv->cfg.max_body;
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

static void log_request(const pay_ctx *ctx)
{
    int64_t us = pay_mono_now_us() - ctx->start_mono_us;
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
    return pay_gate_authenticate(ctx) && pay_gate_head(ctx, route->flags);
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
    if (!ctx->responded) pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
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
    if (!ctx->method[0]) {
        pay_strlcpy(ctx->method, method, sizeof ctx->method);
        on_headers(ctx); /* answers itself when it refuses */
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (ctx->responded) return MHD_YES; /* refused from the headers: drop */
        if (ctx->body_too_large || ctx->body.len + n > ctx->max_body) {
            ctx->body_too_large = true;
            ctx->discarded += n;
            return ctx->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        return pay_buf_append(&ctx->body, upload_data, n) ? MHD_YES : MHD_NO;
    }
    if (!ctx->responded) on_body(ctx);
    return ctx->responded ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn;
    pay_ctx *ctx = *con_cls;
    if (!ctx) return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !ctx->responded)
        snprintf(ctx->err_code, sizeof ctx->err_code, "connection-%d", (int)toe);
    log_request(ctx);
    ctx_free(ctx);
    *con_cls = NULL;
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
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
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
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

void pay_server_stop(pay_server *srv)
{
    if (!srv) return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
