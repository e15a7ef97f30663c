/*
 * The HTTP server: libmicrohttpd with its internal epoll thread pool, every
 * limit set explicitly. One pay_ctx per request (http/ctx.h) is created on
 * the first callback and freed in the completion callback, where the
 * request's log line is written.
 * Thread-safety: start/stop from one thread; requests run on MHD's threads.
 */
#ifndef PAY_SERVER_H
#define PAY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

typedef struct pay_server_config {
    const char *host;         /* address to bind, e.g. "127.0.0.1" */
    uint16_t port;            /* 0 = any free port (see pay_server_port) */
    unsigned threads;         /* MHD thread pool size */
    unsigned max_connections; /* total open connections */
    unsigned per_ip_connections;
    unsigned timeout_s;        /* idle/slow connection cut-off */
    size_t connection_memory;  /* MHD per-connection buffer (headers) */
    size_t max_body;           /* request body cap (413 above) */
    unsigned request_deadline_s; /* a body still arriving after this is cut off */
    unsigned shutdown_grace_s;   /* longest wait for requests under way at shutdown */
    const char *admin_token;   /* NULL: the admin API is disabled */
    bool serve_api;            /* /v2 on this listener */
    bool serve_admin;          /* /admin/v1 on this listener */
    const char *tls_cert_pem;  /* PEM text; both set = HTTPS */
    const char *tls_key_pem;
} pay_server_config;

/* Defaults for every field (host 127.0.0.1, port 8080). */
void pay_server_config_defaults(pay_server_config *cfg);

typedef struct pay_server pay_server;

/* Starts serving; NULL with a message in errbuf on failure. */
pay_server *pay_server_start(pay_core *core, const pay_server_config *cfg, char *errbuf,
                             size_t errlen);
uint16_t pay_server_port(const pay_server *srv);
/* Graceful: stops accepting, waits for requests under way (up to the
 * config's shutdown_grace_s; a second for a request still arriving), then
 * closes. NULL is a no-op. */
void pay_server_stop(pay_server *srv);
/* The first step of pay_server_stop alone: stops accepting connections,
 * refuses new requests on kept ones (503), and starts the grace period.
 * Quiescing every listener first gives them one shared deadline. */
void pay_server_quiesce(pay_server *srv);
/* Every pay_server_stop from now on stops waiting for requests under way
 * (a second SIGTERM/SIGINT); queued writes still end first. */
void pay_server_hurry(void);
bool pay_server_stopping(const pay_server *srv);

#endif
