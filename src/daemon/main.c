/*
 * payoutd's command line:
 *   payoutd [--listen HOST:PORT] [--db FILE] ...     serve (options: daemon/options.c)
 *   payoutd merchant create --db FILE [--json] ...  issue a merchant's keys
 */
#include <getopt.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/text.h"
#include "core/authcache.h"
#include "core/calendar.h"
#include "core/idempotency.h"
#include "core/merchants.h"
#include "core/ratelimit.h"
#include "core/scheduler.h"
#include "core/traces.h"
#include "core/vault.h"
#include "core/webhooks.h"
#include "daemon/options.h"
#include "http/server.h"
#include "store/store.h"

#define DEMO_MID "demo"
#define DEMO_TEST_FUNDING INT64_C(100000000) /* 100,000,000 KRW available in test */
#define ADMIN_TOKEN_MAX 256
#define SCHEDULER_INTERVAL_MS 250
#define WEBHOOK_INTERVAL_MS 250
#define PEM_MAX (64 * 1024)

static pay_store *open_store(const char *path, unsigned readers)
{
    char err[512];
    pay_store_config cfg = {path, readers, 0};
    pay_store *store = pay_store_sqlite_open(&cfg, err, sizeof err);
    if (!store) fprintf(stderr, "payoutd: %s\n", err);
    return store;
}

/* False, with a message, when db exists and is not an SQLite database: a
 * typo'd --db must not leave a new master key file next to the wrong file. */
static bool db_looks_usable(const char *db)
{
    FILE *f = fopen(db, "rb");
    if (!f) return true; /* missing: created; unreadable: the store says why */
    char head[16];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 0 || (n == sizeof head && memcmp(head, "SQLite format 3", 16) == 0)) return true;
    fprintf(stderr, "payoutd: cannot open database %s: file is not a database\n", db);
    return false;
}

/* The master key, with the loud warning a new one deserves. */
static bool load_vault(pay_vault *vault, const char *db, const char *key_file)
{
    char err[512];
    if (!db_looks_usable(db)) return false;
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

/* Opens the store and makes sure every security key in it is wrapped by,
 * and opens with, this master key. */
static pay_store *open_protected(pay_core *core, const char *db, unsigned readers)
{
    char err[512];
    int wrapped = 0;
    core->store = open_store(db, readers);
    if (!core->store) return NULL;
    if (!pay_merchant_protect_keys(core, &wrapped, err, sizeof err)) {
        fprintf(stderr, "payoutd: %s\n", err);
        pay_store_close(core->store);
        return core->store = NULL;
    }
    if (wrapped) pay_log_info("vault: encrypted %d security key(s) stored in clear", wrapped);
    return core->store;
}

/* argv[0], for commands the banner suggests (build/payoutd is not on PATH). */
static const char *program = "payoutd";

static void print_demo(const pay_merchant *m, const pay_issued_keys *k, const char *db,
                       const char *host, uint16_t port, const char *scheme)
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
           "  curl -s -u %s: %s://%s:%u/v2/balances\n"
           "\n"
           "POST /v2/sellers and /v2/payouts take a JWE body sealed with the security key\n"
           "(alg dir, enc A256GCM) and the header TossPayments-api-security-mode: ENCRYPTION.\n"
           "A ready-to-run encrypted example (registers a seller, schedules a payout):\n"
           "  PAYOUT_SECRET_KEY=%s PAYOUT_SECURITY_KEY=%s \\\n"
           "    /usr/bin/python3 scripts/example-payout.py %s://%s:%u\n"
           "\n"
           "Lost these keys? Create another merchant:\n"
           "  %s merchant create --db %s\n"
           "\n",
           m->mid, k->secret[PAY_ENV_TEST], k->client[PAY_ENV_TEST], k->security[PAY_ENV_TEST],
           k->secret[PAY_ENV_LIVE], k->client[PAY_ENV_LIVE], k->security[PAY_ENV_LIVE],
           k->secret[PAY_ENV_TEST], scheme, host, (unsigned)port, k->secret[PAY_ENV_TEST],
           k->security[PAY_ENV_TEST], scheme, host, (unsigned)port, program, db);
    fflush(stdout);
}

static pay_store_rc count_fn(pay_tx *tx, void *arg)
{
    return tx->ops->merchant_count(tx, arg);
}

/* The first start on an empty database makes the demo merchant; called
 * only once the port is bound, since its keys are shown once. */
static bool make_demo(pay_core *core, const serve_options *o, uint16_t port)
{
    int64_t merchants = 0;
    if (!o->demo || pay_store_read(core->store, count_fn, &merchants) != PAY_STORE_OK ||
        merchants > 0)
        return true;
    pay_merchant_spec spec = {DEMO_MID, true, DEMO_TEST_FUNDING};
    pay_merchant demo;
    pay_issued_keys keys;
    pay_fault f;
    if (!pay_merchant_create(core, &spec, &demo, &keys, &f)) {
        fprintf(stderr, "payoutd: cannot create the demo merchant: %s\n", pay_api_err_code(f.code));
        return false;
    }
    print_demo(&demo, &keys, o->db, o->api.host, port, o->tls_cert ? "https" : "http");
    pay_issued_keys_wipe(&keys);
    return true;
}

static bool write_ready_file(const char *path, uint16_t port, uint16_t admin_port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return false;
    fprintf(f, "%u\n", (unsigned)port);
    if (admin_port) fprintf(f, "%u\n", (unsigned)admin_port);
    if (fclose(f) != 0) return false;
    return rename(tmp, path) == 0;
}

/* The admin token comes from a file or the environment, never the command
 * line (which other users can read in the process list). */
static bool read_admin_token(const serve_options *o, char out[ADMIN_TOKEN_MAX])
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

static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = f ? calloc(1, PEM_MAX + 1) : NULL;
    size_t n = buf ? fread(buf, 1, PEM_MAX, f) : 0;
    if (f) fclose(f);
    if (!buf || n == 0 || n == PEM_MAX) {
        fprintf(stderr, "payoutd: cannot read the PEM file %s\n", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/* Everything a running payoutd holds, torn down in reverse order. */
typedef struct daemon_state {
    pay_core core;
    pay_calendar *calendar;
    pay_vault vault;
    pay_server *api, *admin;
    char *cert, *key;
    char admin_token[ADMIN_TOKEN_MAX];
} daemon_state;

static void teardown(daemon_state *d)
{
    /* Stop taking requests first, on both listeners at once (one grace
     * period for both), then the workers, then the store. */
    pay_server_quiesce(d->api);
    pay_server_quiesce(d->admin);
    pay_server_stop(d->api);
    pay_server_stop(d->admin);
    pay_worker_stop(d->core.scheduler_worker);
    pay_worker_stop(d->core.webhook_worker);
    pay_webhooks_forget_unsaved(&d->core);
    pay_store_close(d->core.store);
    pay_inflight_free(d->core.inflight);
    pay_traces_free(d->core.traces);
    pay_ratelimiter_free(d->core.limiter);
    pay_authcache_free(d->core.authcache);
    pay_calendar_free(d->calendar);
    pay_vault_wipe(&d->vault);
    if (d->key) OPENSSL_cleanse(d->key, strlen(d->key));
    free(d->cert);
    free(d->key);
    OPENSSL_cleanse(d->admin_token, sizeof d->admin_token);
}

static pay_server *listen_on(daemon_state *d, const serve_options *o, const listen_addr *at,
                             bool api, bool admin)
{
    pay_server_config cfg;
    pay_server_config_defaults(&cfg);
    cfg.host = at->host;
    cfg.port = at->port;
    cfg.threads = api ? o->threads : 1;
    cfg.max_connections = o->max_conns;
    cfg.per_ip_connections = o->max_conns_per_ip;
    cfg.timeout_s = o->timeout_s;
    cfg.shutdown_grace_s = o->shutdown_grace_s;
    cfg.admin_token = d->admin_token[0] ? d->admin_token : NULL;
    cfg.serve_api = api;
    cfg.serve_admin = admin;
    cfg.tls_cert_pem = d->cert;
    cfg.tls_key_pem = d->key;
    char err[512];
    pay_server *srv = pay_server_start(&d->core, &cfg, err, sizeof err);
    if (!srv) fprintf(stderr, "payoutd: %s\n", err);
    return srv;
}

static void *wait_second_signal(void *arg)
{
    int sig = 0;
    if (sigwait(arg, &sig) == 0) {
        pay_log_warn("payoutd: signal %d again, stopping now", sig);
        pay_server_hurry();
    }
    return NULL;
}

static int serve(int argc, char **argv)
{
    serve_options o;
    int parsed = serve_options_parse(argc, argv, &o);
    if (parsed) return parsed == 1 ? 0 : 2;

    /* Signals are taken synchronously by sigwait in this thread; every
     * thread started below inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    daemon_state d;
    memset(&d, 0, sizeof d);
    d.core.clock = &pay_clock_system;
    d.core.settings = o.settings;
    char err[512];
    int rc = 1;
    if (!read_admin_token(&o, d.admin_token)) return 2;
    d.calendar = o.holidays ? pay_calendar_load_file(o.holidays, err, sizeof err)
                            : pay_calendar_load_default(err, sizeof err);
    if (!d.calendar) {
        fprintf(stderr, "payoutd: holiday calendar: %s\n", err);
        return 1;
    }
    d.core.calendar = d.calendar;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((o.tls_cert && (!(d.cert = read_pem(o.tls_cert)) || !(d.key = read_pem(o.tls_key)))) ||
        !load_vault(&d.vault, o.db, o.master_key_file))
        goto out;
    d.core.vault = &d.vault;
    d.core.inflight = pay_inflight_new();
    d.core.traces = pay_traces_new(o.trace_store);
    d.core.limiter = pay_ratelimiter_new();
    d.core.authcache = pay_authcache_new();
    if (!d.core.inflight || !d.core.traces || !d.core.limiter || !d.core.authcache ||
        !open_protected(&d.core, o.db, o.threads + 1))
        goto out;
    d.core.scheduler_worker =
        pay_worker_start(&d.core, pay_scheduler_run_all, SCHEDULER_INTERVAL_MS);
    d.core.webhook_worker = pay_worker_start(&d.core, pay_webhooks_deliver_due, WEBHOOK_INTERVAL_MS);
    if (!d.core.scheduler_worker || !d.core.webhook_worker) {
        fprintf(stderr, "payoutd: cannot start background workers\n");
        goto out;
    }
    if (!(d.api = listen_on(&d, &o, &o.api, true, !o.admin_separate))) goto out;
    if (o.admin_separate && !(d.admin = listen_on(&d, &o, &o.admin, false, true))) goto out;
    uint16_t port = pay_server_port(d.api), admin_port = d.admin ? pay_server_port(d.admin) : 0;
    if (!make_demo(&d.core, &o, port)) goto out;
    pay_log_info("payoutd listening on %s://%s:%u (database %s, %u threads, admin API %s%s, "
                 "calendar %d-%d)",
                 o.tls_cert ? "https" : "http", o.api.host, (unsigned)port, o.db, o.threads,
                 d.admin_token[0] ? "on" : "off", o.admin_separate ? " on its own address" : "",
                 pay_calendar_first_year(d.calendar), pay_calendar_last_year(d.calendar));
    if (d.admin)
        pay_log_info("payoutd admin API on %s:%u", o.admin.host, (unsigned)admin_port);
    if (o.ready_file && !write_ready_file(o.ready_file, port, admin_port))
        pay_log_warn("cannot write the ready file %s", o.ready_file);

    int sig = 0;
    sigwait(&sigs, &sig);
    pay_log_info("payoutd: signal %d, shutting down", sig);
    /* A second signal stops waiting for requests under way. */
    pthread_t second;
    static sigset_t again;
    again = sigs;
    if (pthread_create(&second, NULL, wait_second_signal, &again) == 0) pthread_detach(second);
    rc = 0;
out:
    teardown(&d);
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
        {"master-key-file", required_argument, NULL, 'K'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'm': mid = optarg; break;
        case 'K': key_file = optarg; break;
        case 'j': json = true; break;
        case 'n': contract = false; break;
        case 'b':
            if (!parse_uint(optarg, INT64_C(1000000000000), &funding)) {
                fprintf(stderr, "payoutd: --test-balance must be 0..1000000000000 won\n");
                return 2;
            }
            break;
        case 'h': serve_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
    }
    if (!db) {
        fprintf(stderr, "payoutd merchant create: --db FILE is required\n");
        return 2;
    }
    pay_core core = {.clock = &pay_clock_system};
    pay_vault vault;
    if (!load_vault(&vault, db, key_file)) return 1;
    core.vault = &vault;
    if (!open_protected(&core, db, 1)) {
        pay_vault_wipe(&vault);
        return 1;
    }
    pay_merchant_spec spec = {mid, contract, (int64_t)funding};
    pay_merchant m;
    pay_issued_keys keys;
    pay_fault f;
    int rc = 0;
    if (!pay_merchant_create(&core, &spec, &m, &keys, &f)) {
        char msg[1024];
        pay_fault_message(&f, PAY_LANG_EN, msg, sizeof msg);
        fprintf(stderr, "payoutd merchant create: %s: %s\n", pay_api_err_code(f.code), msg);
        rc = 1;
    } else {
        char *text = pay_issued_keys_json(&m, &keys);
        if (json)
            printf("%s\n", text ? text : "{}");
        else
            printf("created merchant %s%s; keys (shown once):\n%s\n", m.mid,
                   contract ? " with the payout contract" : " without the payout contract",
                   text ? text : "");
        if (text) {
            OPENSSL_cleanse(text, strlen(text));
            free(text);
        }
        pay_issued_keys_wipe(&keys);
    }
    pay_store_close(core.store);
    pay_vault_wipe(&vault);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 1 && argv[0] && argv[0][0]) program = argv[0];
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
