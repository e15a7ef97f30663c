/*
 * payoutd's command line:
 *   payoutd [--listen HOST:PORT] [--db FILE] [--log-level LEVEL] ...   serve
 *   payoutd merchant create --db FILE [--json] [--mid MID] ...        issue keys
 */
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/text.h"
#include "core/calendar.h"
#include "core/idempotency.h"
#include "core/merchants.h"
#include "core/scheduler.h"
#include "core/vault.h"
#include "core/webhooks.h"
#include "http/server.h"
#include "store/store.h"

#define DEMO_MID "demo"
#define DEMO_TEST_FUNDING INT64_C(100000000) /* 100,000,000 KRW available in test */

#define ADMIN_TOKEN_MAX 256
#define SCHEDULER_INTERVAL_MS 250
#define WEBHOOK_INTERVAL_MS 250

typedef struct options {
    char host[256];
    uint16_t port;
    const char *db;
    const char *ready_file;
    const char *holidays;
    const char *admin_token_file;
    const char *master_key_file;
    int64_t iat_window_us;
    unsigned threads;
    unsigned max_conns;
    unsigned max_conns_per_ip;
    bool demo;
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: payoutd [options]                 run the payout API server\n"
            "       payoutd merchant create [options] create a merchant and print its keys\n"
            "\n"
            "server options:\n"
            "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; port 0 = any)\n"
            "  --db FILE            SQLite database file (default payoutd.db)\n"
            "  --log-level LEVEL    debug | info | warn | error (default info)\n"
            "  --threads N          HTTP worker threads (default 4)\n"
            "  --ready-file FILE    write the bound port to FILE once listening\n"
            "  --no-demo            do not create the demo merchant on an empty database\n"
            "  --holidays FILE      Korean business-day calendar (default: the built-in\n"
            "                       copy of data/holidays-kr.tsv)\n"
            "  --admin-token-file F enable the admin API (/admin/v1) with the token in F;\n"
            "                       or set PAYOUTD_ADMIN_TOKEN. Without either it is off.\n"
            "  --master-key-file F  the key that encrypts security keys at rest (default:\n"
            "                       DB.master-key, made on first start; or set\n"
            "                       PAYOUTD_MASTER_KEY to 64 hex characters)\n"
            "  --iat-window SECONDS accepted skew of a request's JWE iat (default 600)\n"
            "  --max-connections N  open connections in all (default 2048)\n"
            "  --max-connections-per-ip N\n"
            "                       open connections from one address (default 64)\n"
            "\n"
            "merchant create options:\n"
            "  --db FILE            database file (required)\n"
            "  --mid MID            merchant id (default: generated)\n"
            "  --no-contract        create the merchant without the payout contract\n"
            "  --test-balance WON   initial test available balance (default 100000000)\n"
            "  --json               print {\"mid\":..,\"test\":{..},\"live\":{..}} only\n"
            "  --master-key-file F  as for the server (default DB.master-key)\n"
            "\n"
            "example:\n"
            "  payoutd --listen 127.0.0.1:8080 --db payoutd.db\n"
            "  payoutd merchant create --db payoutd.db --json\n");
}

static bool parse_listen(const char *arg, options *o)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg) return false;
    size_t hlen = (size_t)(colon - arg);
    if (arg[0] == '[' && hlen >= 2 && arg[hlen - 1] == ']') { /* [::1]:8080 */
        arg++;
        hlen -= 2;
    }
    if (hlen >= sizeof o->host) return false;
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port > 65535) return false;
    memcpy(o->host, arg, hlen);
    o->host[hlen] = 0;
    o->port = (uint16_t)port;
    return true;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v > max || s[0] == '-') return false;
    *out = v;
    return true;
}

static pay_store *open_store(const char *path, unsigned readers)
{
    char err[512];
    pay_store_config cfg = {path, readers, 0};
    pay_store *store = pay_store_sqlite_open(&cfg, err, sizeof err);
    if (!store) fprintf(stderr, "payoutd: %s\n", err);
    return store;
}

static void print_demo(const pay_merchant *m, const pay_issued_keys *k, const char *host,
                       uint16_t port)
{
    printf("\n"
           "payoutd created the demo merchant \"%s\" with the payout contract and\n"
           "100,000,000 KRW available in test mode. Its keys are shown only this once:\n"
           "\n"
           "  test secret key    %s\n"
           "  test client key    %s\n"
           "  test security key  %s\n"
           "  live secret key    %s\n"
           "  live client key    %s\n"
           "  live security key  %s\n"
           "\n"
           "Try it (GET needs no encryption):\n"
           "  curl -s -u %s: http://%s:%u/v2/balances\n"
           "\n"
           "POST /v2/sellers and /v2/payouts take a JWE body sealed with the security key\n"
           "(alg dir, enc A256GCM) and the header TossPayments-api-security-mode: ENCRYPTION.\n"
           "A ready-to-run encrypted example (registers a seller, schedules a payout):\n"
           "  PAYOUT_SECRET_KEY=%s PAYOUT_SECURITY_KEY=%s \\\n"
           "    /usr/bin/python3 scripts/example-payout.py http://%s:%u\n"
           "\n"
           "Lost these keys? Create another merchant: payoutd merchant create --db FILE\n"
           "\n",
           m->mid, k->secret[PAY_ENV_TEST], k->client[PAY_ENV_TEST], k->security[PAY_ENV_TEST],
           k->secret[PAY_ENV_LIVE], k->client[PAY_ENV_LIVE], k->security[PAY_ENV_LIVE],
           k->secret[PAY_ENV_TEST], host, (unsigned)port, k->secret[PAY_ENV_TEST],
           k->security[PAY_ENV_TEST], host, (unsigned)port);
    fflush(stdout);
}

/* The master key, with the loud warning a new one deserves. */
static bool load_vault(pay_vault *vault, const char *db, const char *key_file)
{
    char err[512];
    bool generated = false;
    if (!pay_vault_load(vault, db, key_file, true, &generated, err, sizeof err)) {
        fprintf(stderr, "payoutd: %s\n", err);
        return false;
    }
    if (generated)
        fprintf(stderr,
                "\n"
                "payoutd: WARNING: generated a new master key in %s\n"
                "payoutd: WARNING: it encrypts every security key in %s. BACK IT UP NOW and keep\n"
                "payoutd: WARNING: it apart from the database: without it those keys are lost.\n"
                "\n",
                vault->origin, db);
    return true;
}

static pay_store_rc count_fn(pay_tx *tx, void *arg)
{
    return tx->ops->merchant_count(tx, arg);
}

static bool write_ready_file(const char *path, uint16_t port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return false;
    fprintf(f, "%u\n", (unsigned)port);
    if (fclose(f) != 0) return false;
    return rename(tmp, path) == 0;
}

/* The admin token comes from a file or the environment, never the command
 * line (which other users can read in the process list). */
static bool read_admin_token(const options *o, char out[ADMIN_TOKEN_MAX])
{
    out[0] = 0;
    const char *env = getenv("PAYOUTD_ADMIN_TOKEN");
    if (o->admin_token_file) {
        FILE *f = fopen(o->admin_token_file, "r");
        if (!f || !fgets(out, ADMIN_TOKEN_MAX, f)) {
            fprintf(stderr, "payoutd: cannot read the admin token from %s\n", o->admin_token_file);
            if (f) fclose(f);
            return false;
        }
        fclose(f);
        out[strcspn(out, "\r\n")] = 0;
    } else if (env) {
        pay_strlcpy(out, env, ADMIN_TOKEN_MAX);
    }
    if (out[0] && strlen(out) < 16) {
        fprintf(stderr, "payoutd: the admin token must be at least 16 characters\n");
        return false;
    }
    return true;
}

static int serve(int argc, char **argv)
{
    options o = {.port = 8080,
                 .db = "payoutd.db",
                 .threads = 4,
                 .demo = true,
                 .iat_window_us = PAY_IAT_WINDOW_DEFAULT_US};
    pay_server_config defaults;
    pay_server_config_defaults(&defaults);
    o.max_conns = defaults.max_connections;
    o.max_conns_per_ip = defaults.per_ip_connections;
    pay_strlcpy(o.host, "127.0.0.1", sizeof o.host);
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'}, {"db", required_argument, NULL, 'd'},
        {"log-level", required_argument, NULL, 'L'}, {"threads", required_argument, NULL, 't'},
        {"ready-file", required_argument, NULL, 'r'}, {"no-demo", no_argument, NULL, 'n'},
        {"holidays", required_argument, NULL, 'H'},
        {"admin-token-file", required_argument, NULL, 'A'},
        {"max-connections", required_argument, NULL, 'C'},
        {"master-key-file", required_argument, NULL, 'K'},
        {"iat-window", required_argument, NULL, 'W'},
        {"max-connections-per-ip", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    unsigned long long v;
    pay_log_level level;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (!parse_listen(optarg, &o)) {
                fprintf(stderr, "payoutd: --listen wants HOST:PORT, got \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'd': o.db = optarg; break;
        case 'L':
            if (!pay_log_level_parse(optarg, &level)) {
                fprintf(stderr, "payoutd: --log-level must be debug, info, warn or error\n");
                return 2;
            }
            pay_log_set_level(level);
            break;
        case 't':
            if (!parse_uint(optarg, 256, &v) || v == 0) {
                fprintf(stderr, "payoutd: --threads must be 1..256\n");
                return 2;
            }
            o.threads = (unsigned)v;
            break;
        case 'r': o.ready_file = optarg; break;
        case 'n': o.demo = false; break;
        case 'H': o.holidays = optarg; break;
        case 'A': o.admin_token_file = optarg; break;
        case 'K': o.master_key_file = optarg; break;
        case 'W':
            if (!parse_uint(optarg, 86400, &v) || v == 0) {
                fprintf(stderr, "payoutd: --iat-window must be 1..86400 seconds\n");
                return 2;
            }
            o.iat_window_us = (int64_t)v * 1000000;
            break;
        case 'C':
        case 'I':
            if (!parse_uint(optarg, 100000, &v) || v == 0) {
                fprintf(stderr, "payoutd: --%s must be 1..100000\n",
                        c == 'C' ? "max-connections" : "max-connections-per-ip");
                return 2;
            }
            if (c == 'C')
                o.max_conns = (unsigned)v;
            else
                o.max_conns_per_ip = (unsigned)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "payoutd: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    /* Signals are taken synchronously by sigwait in this thread; every
     * thread started below inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    char admin_token[ADMIN_TOKEN_MAX];
    if (!read_admin_token(&o, admin_token)) return 2;
    char err[512];
    pay_calendar *calendar = o.holidays ? pay_calendar_load_file(o.holidays, err, sizeof err)
                                        : pay_calendar_load_default(err, sizeof err);
    if (!calendar) {
        fprintf(stderr, "payoutd: holiday calendar: %s\n", err);
        return 1;
    }
    pay_vault vault;
    if (!load_vault(&vault, o.db, o.master_key_file)) {
        pay_calendar_free(calendar);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = 1;
    pay_store *store = open_store(o.db, o.threads + 1);
    pay_core core = {.store = store,
                     .clock = &pay_clock_system,
                     .calendar = calendar,
                     .vault = &vault,
                     .inflight = pay_inflight_new(),
                     .settings = {.iat_window_us = o.iat_window_us}};
    pay_server *srv = NULL;
    int64_t merchants = 0;
    pay_merchant demo;
    pay_issued_keys keys;
    bool created_demo = false;
    if (!store || !core.inflight) goto out;
    int wrapped = 0;
    if (!pay_merchant_protect_keys(&core, &wrapped, err, sizeof err)) {
        fprintf(stderr, "payoutd: %s\n", err);
        goto out;
    }
    if (wrapped) pay_log_info("vault: encrypted %d security key(s) stored in clear", wrapped);
    core.scheduler_worker = pay_worker_start(&core, pay_scheduler_run_all, SCHEDULER_INTERVAL_MS);
    core.webhook_worker = pay_worker_start(&core, pay_webhooks_deliver_due, WEBHOOK_INTERVAL_MS);
    if (!core.scheduler_worker || !core.webhook_worker) {
        fprintf(stderr, "payoutd: cannot start background workers\n");
        goto out;
    }

    pay_server_config cfg;
    pay_server_config_defaults(&cfg);
    cfg.host = o.host;
    cfg.port = o.port;
    cfg.threads = o.threads;
    cfg.max_connections = o.max_conns;
    cfg.per_ip_connections = o.max_conns_per_ip;
    cfg.admin_token = admin_token[0] ? admin_token : NULL;
    srv = pay_server_start(&core, &cfg, err, sizeof err);
    OPENSSL_cleanse(admin_token, sizeof admin_token);
    if (!srv) {
        fprintf(stderr, "payoutd: %s\n", err);
        goto out;
    }
    uint16_t port = pay_server_port(srv);
    /* The demo merchant is made only once the port is ours: its keys are
     * shown once, and a failed start must not swallow them. */
    if (o.demo && pay_store_read(store, count_fn, &merchants) == PAY_STORE_OK && merchants == 0) {
        pay_merchant_spec spec = {DEMO_MID, true, DEMO_TEST_FUNDING};
        pay_fault f;
        if (!pay_merchant_create(&core, &spec, &demo, &keys, &f)) {
            fprintf(stderr, "payoutd: cannot create the demo merchant: %s\n",
                    pay_api_err_code(f.code));
            goto out;
        }
        created_demo = true;
    }
    if (created_demo) {
        print_demo(&demo, &keys, o.host, port);
        pay_issued_keys_wipe(&keys);
        created_demo = false;
    }
    pay_log_info("payoutd listening on http://%s:%u (database %s, %u threads, admin API %s, "
                 "calendar %d-%d)",
                 o.host, (unsigned)port, o.db, o.threads, cfg.admin_token ? "on" : "off",
                 pay_calendar_first_year(calendar), pay_calendar_last_year(calendar));
    if (o.ready_file && !write_ready_file(o.ready_file, port))
        pay_log_warn("cannot write the ready file %s", o.ready_file);

    int sig = 0;
    sigwait(&sigs, &sig);
    pay_log_info("payoutd: signal %d, shutting down", sig);
    rc = 0;
out:
    /* Stop taking requests first, then the workers, then the store. */
    pay_server_stop(srv);
    pay_worker_stop(core.scheduler_worker);
    pay_worker_stop(core.webhook_worker);
    if (created_demo) pay_issued_keys_wipe(&keys);
    pay_store_close(store);
    pay_inflight_free(core.inflight);
    pay_calendar_free(calendar);
    pay_vault_wipe(&vault);
    curl_global_cleanup();
    return rc;
}

static int merchant_create(int argc, char **argv)
{
    const char *db = NULL, *mid = NULL, *key_file = NULL;
    bool json = false, contract = true;
    unsigned long long funding = DEMO_TEST_FUNDING;
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},     {"mid", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},         {"no-contract", no_argument, NULL, 'n'},
        {"test-balance", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
        {"master-key-file", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'm': mid = optarg; break;
        case 'K': key_file = optarg; break;
        case 'j': json = true; break;
        case 'n': contract = false; break;
        case 'b':
            if (!parse_uint(optarg, INT64_C(1000000000000000), &funding)) {
                fprintf(stderr, "payoutd: --test-balance must be a whole number of won\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!db) {
        fprintf(stderr, "payoutd merchant create: --db FILE is required\n");
        return 2;
    }
    if (mid && (strlen(mid) == 0 || strlen(mid) >= sizeof((pay_merchant *)0)->mid)) {
        fprintf(stderr, "payoutd merchant create: --mid must be 1..63 characters\n");
        return 2;
    }
    pay_vault vault;
    if (!load_vault(&vault, db, key_file)) return 1;
    pay_store *store = open_store(db, 1);
    if (!store) {
        pay_vault_wipe(&vault);
        return 1;
    }
    pay_core core = {.store = store, .clock = &pay_clock_system, .vault = &vault};
    char err[512];
    int wrapped = 0;
    if (!pay_merchant_protect_keys(&core, &wrapped, err, sizeof err)) {
        fprintf(stderr, "payoutd merchant create: %s\n", err);
        pay_store_close(store);
        pay_vault_wipe(&vault);
        return 1;
    }
    pay_merchant_spec spec = {mid, contract, (int64_t)funding};
    pay_merchant m;
    pay_issued_keys keys;
    pay_fault f;
    int rc = 0;
    if (!pay_merchant_create(&core, &spec, &m, &keys, &f)) {
        char msg[512];
        pay_fault_message(&f, PAY_LANG_EN, msg, sizeof msg);
        fprintf(stderr, "payoutd merchant create: %s: %s\n", pay_api_err_code(f.code), msg);
        rc = 1;
    } else {
        char *text = pay_issued_keys_json(&m, &keys);
        if (json) {
            printf("%s\n", text ? text : "{}");
        } else {
            printf("created merchant %s%s; keys (shown once):\n%s\n", m.mid,
                   contract ? " with the payout contract" : " without the payout contract",
                   text ? text : "");
        }
        if (text) {
            OPENSSL_cleanse(text, strlen(text));
            free(text);
        }
        pay_issued_keys_wipe(&keys);
    }
    pay_store_close(store);
    pay_vault_wipe(&vault);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "merchant") == 0) {
        if (argc >= 3 && strcmp(argv[2], "create") == 0) return merchant_create(argc - 2, argv + 2);
        fprintf(stderr, "payoutd merchant: unknown command; try: payoutd merchant create --db FILE\n");
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("payoutd 0.1.0\n");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) return serve(argc - 1, argv + 1);
    return serve(argc, argv);
}
