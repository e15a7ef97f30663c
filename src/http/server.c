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
    cfg->per_ip_connections = 1024;
    cfg->timeout_s = 30;
    cfg->connection_memory = 32 * 1024;
    /* The largest legal request: 100 payout items of ~1.6 KB plaintext each,
     * base64url-encoded (4/3) inside a JWE, stays well under 1 MiB. */
    cfg->max_body = PAY_JWE_TOKEN_MAX;
}

static pay_ctx *ctx_new(pay_server *srv, struct MHD_Connection *conn, const char *method,
                        const char *url)
{
    pay_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->srv = srv;
    ctx->core = srv->core;
    ctx->conn = conn;
    ctx->start_mono_us = pay_mono_now_us();
    ctx->max_body = srv->cfg.max_body;
    pay_buf_init(&ctx->body);
    if (!pay_trace_id_new(ctx->trace_id)) memcpy(ctx->trace_id, "0", 2);
    pay_strlcpy(ctx->method, method, sizeof ctx->method);
    pay_strlcpy(ctx->path, url, sizeof ctx->path);
    const char *lang = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language");
    ctx->lang = lang && strncasecmp(lang, "en", 2) == 0 ? PAY_LANG_EN : PAY_LANG_KO;
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

static void dispatch(pay_ctx *ctx)
{
    const pay_route *route = NULL;
    bool admin = strncmp(ctx->path, "/admin/", 7) == 0;
    pay_route_result rr = pay_route_find(admin ? pay_admin_routes : pay_api_routes, ctx->method,
                                         ctx->path, &route, ctx->params);
    if (rr == PAY_ROUTE_NO_PATH) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_NOT_FOUND, "no API at %.80s", ctx->path);
        pay_respond_fault(ctx, &f);
        return;
    }
    if (rr == PAY_ROUTE_NO_METHOD) {
        pay_fault f;
        pay_fault_setf(&f, PAY_E_METHOD_NOT_ALLOWED, "%s is not allowed on %.80s", ctx->method,
                       ctx->path);
        pay_respond_fault(ctx, &f);
        return;
    }
    ctx->route = route;
    json_t *body = NULL;
    if (admin) {
        if (!pay_gate_admin(ctx, ctx->srv->admin_enabled ? ctx->srv->admin_token_hash : NULL) ||
            !pay_gate_admin_body(ctx, route->flags, &body))
            return;
    } else if (!pay_gate_authenticate(ctx) || !pay_gate_body(ctx, route->flags, &body) ||
               !pay_gate_test_code(ctx) || !pay_idem_begin(ctx)) {
        json_decref(body);
        return;
    }
    route->handler(ctx, body);
    json_decref(body);
    if (!ctx->responded) pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    pay_server *srv = cls;
    pay_ctx *ctx = *con_cls;
    if (!ctx) {
        if (!(ctx = ctx_new(srv, conn, method, url))) return MHD_NO;
        *con_cls = ctx;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > ctx->max_body) {
            /* Refuse before reading the body: MHD closes the connection
             * after this response instead of receiving megabytes first. */
            ctx->body_too_large = true;
            pay_fault f;
            pay_fault_setf(&f, PAY_E_REQUEST_TOO_LARGE, "the body exceeds %zu bytes",
                           ctx->max_body);
            pay_respond_fault(ctx, &f);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (ctx->responded) { /* already refused: discard */
            *upload_size = 0;
            return MHD_YES;
        }
        if (ctx->body.len + *upload_size > ctx->max_body) {
            ctx->body_too_large = true; /* chunked upload past the cap */
            pay_fault f;
            pay_fault_setf(&f, PAY_E_REQUEST_TOO_LARGE, "the body exceeds %zu bytes",
                           ctx->max_body);
            pay_respond_fault(ctx, &f);
            *upload_size = 0;
            return MHD_YES;
        }
        if (!pay_buf_append(&ctx->body, upload_data, *upload_size)) return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (ctx->responded) return MHD_YES;
    dispatch(ctx);
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
