#include "daemon/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "core/traces.h"
#include "http/server.h"

void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: payoutd [options]                 run the payout API server\n"
            "       payoutd merchant create [options] create a merchant and print its keys\n"
            "\n"
            "server options:\n"
            "  --listen HOST:PORT   the API's address (default 127.0.0.1:8080; port 0 = any)\n"
            "  --db FILE            SQLite database file (default payoutd.db)\n"
            "  --log-level LEVEL    debug | info | warn | error (default info)\n"
            "  --threads N          HTTP worker threads (default 4)\n"
            "  --ready-file FILE    write the bound port (and admin port) to FILE when ready\n"
            "  --no-demo            do not create the demo merchant on an empty database\n"
            "  --holidays FILE      Korean business-day calendar (default: the built-in\n"
            "                       copy of data/holidays-kr.tsv)\n"
            "  --master-key-file F  the key that encrypts security keys at rest (default:\n"
            "                       DB.master-key, made on first start; or set\n"
            "                       PAYOUTD_MASTER_KEY to 64 hex characters)\n"
            "  --admin-token-file F enable the admin API (/admin/v1) with the token in F;\n"
            "                       or set PAYOUTD_ADMIN_TOKEN. Without either it is off.\n"
            "  --admin-listen H:P   serve the admin API only there (not on --listen)\n"
            "  --tls-cert FILE, --tls-key FILE\n"
            "                       serve HTTPS with this PEM certificate and key\n"
            "  --iat-window SECONDS accepted skew of a request's JWE iat (default 600)\n"
            "  --rate-limit-test N, --rate-limit-live N\n"
            "                       requests per minute per secret key and API (default 100\n"
            "                       and 1000; 0 = unlimited)\n"
            "  --rate-limit-ip N    requests per minute per client address (default 1200)\n"
            "  --no-rate-limits     all three unlimited (load tests)\n"
            "  --timeout SECONDS    idle connection cut-off (default 15)\n"
            "  --shutdown-grace SECONDS\n"
            "                       on SIGTERM, how long requests under way may take to\n"
            "                       finish before their connections are closed (default 20;\n"
            "                       a second signal stops waiting)\n"
            "  --max-connections N  open connections in all (default 2048)\n"
            "  --max-connections-per-ip N\n"
            "                       open connections from one address (default 64)\n"
            "  --trace-store N      requests kept for GET /admin/v1/traces (default 4096)\n"
            "\n"
            "merchant create options:\n"
            "  --db FILE            database file (required)\n"
            "  --mid MID            merchant id: A-Z a-z 0-9 _ - (default: generated)\n"
            "  --no-contract        create the merchant without the payout contract\n"
            "  --test-balance WON   initial test available balance (default 100000000)\n"
            "  --json               print {\"mid\":..,\"test\":{..},\"live\":{..}} only\n"
            "  --master-key-file F  as for the server (default DB.master-key)\n"
            "\n"
            "example:\n"
            "  payoutd --listen 127.0.0.1:8080 --db payoutd.db\n"
            "  payoutd merchant create --db payoutd.db --json\n");
}

bool parse_listen(const char *arg, listen_addr *out)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg) return false;
    size_t hlen = (size_t)(colon - arg);
    if (arg[0] == '[' && hlen >= 2 && arg[hlen - 1] == ']') { /* [::1]:8080 */
        arg++;
        hlen -= 2;
    }
    if (hlen >= sizeof out->host) return false;
    unsigned long long port;
    if (!parse_uint(colon + 1, 65535, &port)) return false;
    memcpy(out->host, arg, hlen);
    out->host[hlen] = 0;
    out->port = (uint16_t)port;
    return true;
}

bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v > max || s[0] == '-') return false;
    *out = v;
    return true;
}

/* A numeric option: false (with a message) when out of range. */
static bool number(const char *name, const char *arg, unsigned long long min,
                   unsigned long long max, unsigned *out)
{
    unsigned long long v;
    if (!parse_uint(arg, max, &v) || v < min) {
        fprintf(stderr, "payoutd: --%s must be %llu..%llu\n", name, min, max);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

int serve_options_parse(int argc, char **argv, serve_options *o)
{
    pay_server_config d;
    pay_server_config_defaults(&d);
    memset(o, 0, sizeof *o);
    pay_strlcpy(o->api.host, "127.0.0.1", sizeof o->api.host);
    o->api.port = 8080;
    o->db = "payoutd.db";
    o->threads = 4;
    o->demo = true;
    o->max_conns = d.max_connections;
    o->max_conns_per_ip = d.per_ip_connections;
    o->timeout_s = d.timeout_s;
    o->shutdown_grace_s = d.shutdown_grace_s;
    o->trace_store = PAY_TRACES_DEFAULT;
    o->settings.iat_window_us = PAY_IAT_WINDOW_DEFAULT_US;
    o->settings.rate_per_minute[PAY_ENV_TEST] = PAY_RATE_TEST_DEFAULT;
    o->settings.rate_per_minute[PAY_ENV_LIVE] = PAY_RATE_LIVE_DEFAULT;
    o->settings.rate_per_ip = PAY_RATE_IP_DEFAULT;
    enum { LISTEN = 256, DB, LOG, THREADS, READY, NODEMO, HOLIDAYS, ADMINTOK, MASTERKEY, ADMINLISTEN,
           CERT, KEY, IAT, RTEST, RLIVE, RIP, NORATE, TIMEOUT, MAXC, MAXIP, TRACES, GRACE };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, LISTEN}, {"db", required_argument, NULL, DB},
        {"log-level", required_argument, NULL, LOG}, {"threads", required_argument, NULL, THREADS},
        {"ready-file", required_argument, NULL, READY}, {"no-demo", no_argument, NULL, NODEMO},
        {"holidays", required_argument, NULL, HOLIDAYS},
        {"admin-token-file", required_argument, NULL, ADMINTOK},
        {"master-key-file", required_argument, NULL, MASTERKEY},
        {"admin-listen", required_argument, NULL, ADMINLISTEN},
        {"tls-cert", required_argument, NULL, CERT}, {"tls-key", required_argument, NULL, KEY},
        {"iat-window", required_argument, NULL, IAT},
        {"rate-limit-test", required_argument, NULL, RTEST},
        {"rate-limit-live", required_argument, NULL, RLIVE},
        {"rate-limit-ip", required_argument, NULL, RIP},
        {"no-rate-limits", no_argument, NULL, NORATE}, {"timeout", required_argument, NULL, TIMEOUT},
        {"max-connections", required_argument, NULL, MAXC},
        {"max-connections-per-ip", required_argument, NULL, MAXIP},
        {"trace-store", required_argument, NULL, TRACES},
        {"shutdown-grace", required_argument, NULL, GRACE}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    unsigned n;
    pay_log_level level;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case LISTEN:
        case ADMINLISTEN:
            if (!parse_listen(optarg, c == LISTEN ? &o->api : &o->admin)) {
                fprintf(stderr, "payoutd: --%s wants HOST:PORT, got \"%s\"\n",
                        c == LISTEN ? "listen" : "admin-listen", optarg);
                return 2;
            }
            if (c == ADMINLISTEN) o->admin_separate = true;
            break;
        case DB: o->db = optarg; break;
        case LOG:
            if (!pay_log_level_parse(optarg, &level)) {
                fprintf(stderr, "payoutd: --log-level must be debug, info, warn or error\n");
                return 2;
            }
            pay_log_set_level(level);
            break;
        case THREADS:
            if (!number("threads", optarg, 1, 256, &o->threads)) return 2;
            break;
        case READY: o->ready_file = optarg; break;
        case NODEMO: o->demo = false; break;
        case HOLIDAYS: o->holidays = optarg; break;
        case ADMINTOK: o->admin_token_file = optarg; break;
        case MASTERKEY: o->master_key_file = optarg; break;
        case CERT: o->tls_cert = optarg; break;
        case KEY: o->tls_key = optarg; break;
        case IAT:
            if (!number("iat-window", optarg, 1, 86400, &n)) return 2;
            o->settings.iat_window_us = (int64_t)n * 1000000;
            break;
        case RTEST:
        case RLIVE:
        case RIP:
            if (!number(c == RTEST ? "rate-limit-test" : c == RLIVE ? "rate-limit-live"
                                                                      : "rate-limit-ip",
                        optarg, 0, 1000000, &n))
                return 2;
            if (c == RIP)
                o->settings.rate_per_ip = n;
            else
                o->settings.rate_per_minute[c == RTEST ? PAY_ENV_TEST : PAY_ENV_LIVE] = n;
            break;
        case NORATE:
            o->settings.rate_per_minute[0] = o->settings.rate_per_minute[1] = 0;
            o->settings.rate_per_ip = 0;
            break;
        case TIMEOUT:
            if (!number("timeout", optarg, 1, 3600, &o->timeout_s)) return 2;
            break;
        case GRACE:
            if (!number("shutdown-grace", optarg, 0, 3600, &o->shutdown_grace_s)) return 2;
            break;
        case MAXC:
            if (!number("max-connections", optarg, 1, 100000, &o->max_conns)) return 2;
            break;
        case MAXIP:
            if (!number("max-connections-per-ip", optarg, 1, 100000, &o->max_conns_per_ip))
                return 2;
            break;
        case TRACES:
            if (!number("trace-store", optarg, 16, 1000000, &o->trace_store)) return 2;
            break;
        case 'h': serve_usage(stdout); return 1;
        default: serve_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "payoutd: unexpected argument \"%s\"\n", argv[optind]);
        serve_usage(stderr);
        return 2;
    }
    if (!o->tls_cert != !o->tls_key) {
        fprintf(stderr, "payoutd: --tls-cert and --tls-key go together\n");
        return 2;
    }
    return 0;
}
