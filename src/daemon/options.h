/* payoutd's command-line options (serve). */
#ifndef PAY_DAEMON_OPTIONS_H
#define PAY_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"

typedef struct listen_addr {
    char host[256];
    uint16_t port;
} listen_addr;

typedef struct serve_options {
    listen_addr api;
    listen_addr admin;   /* used when admin_separate */
    bool admin_separate; /* --admin-listen given */
    const char *db;
    const char *ready_file;
    const char *holidays;
    const char *admin_token_file;
    const char *master_key_file;
    const char *tls_cert;
    const char *tls_key;
    unsigned threads;
    unsigned max_conns;
    unsigned max_conns_per_ip;
    unsigned timeout_s;
    unsigned shutdown_grace_s;
    unsigned trace_store;
    bool demo;
    pay_settings settings;
} serve_options;

/* 0: run; 1: done (help printed); 2: usage error (message printed). */
int serve_options_parse(int argc, char **argv, serve_options *o);
void serve_usage(FILE *out);
bool parse_listen(const char *arg, listen_addr *out);
bool parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif
