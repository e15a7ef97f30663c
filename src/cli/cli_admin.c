/*
 * payoutctl admin: payoutd's operator API (/admin/v1, bearer token, plain
 * JSON; docs/sandbox.md, docs/DECISIONS.md "Operations").
 *
 * Why this file uses libcurl directly: STYLE habit 12 has payoutctl use
 * only the public libpayout API, and libpayout is a client of the v2
 * payout API — Basic auth with a secret key, sealed bodies — which the
 * admin API is not part of (it is payoutd's own, with a bearer token). So
 * that libpayout does not grow payoutd-only calls, the admin HTTP calls
 * live here, isolated in this one file; nothing else in src/cli touches
 * libcurl, and no server header (src/common, src/core) is used.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_common.h"
#include "commands.h"

#define ADMIN_DEFAULT_URL "http://127.0.0.1:8080"
#define ADMIN_ANSWER_MAX (16 * 1024 * 1024)
#define ADMIN_TIMEOUT_S 60L
#define ADMIN_AMOUNT_MAX 1000000000000LL   /* the admin API's credit cap */
#define ADMIN_ADVANCE_MAX (3660LL * 86400) /* ten years, the clock's range */

/* ---- help ------------------------------------------------------------------------ */

static const char admin_help[] =
    "Usage: payoutctl admin <group> <action> [options]\n"
    "payoutd's operator API (/admin/v1): merchants, contract, credits, the sandbox\n"
    "clock and seller approvals, webhooks, key rotation, traces, the scheduler.\n"
    "Needs the admin token payoutd was started with: PAYOUTD_ADMIN_TOKEN or\n"
    "--admin-token-file FILE; the URL is PAYOUTD_ADMIN_URL or --admin-url (default\n"
    /* the default URL */
    ADMIN_DEFAULT_URL
    /* then the merchant */
    "); the merchant is PAYOUTD_MERCHANT or --merchant MID.\n"
    "  merchants create|get             contract on|off         credit\n"
    "  clock get|set|advance|reset      sellers verify-identity|approve-kyc|require-kyc\n"
    "  webhook set|list|redeliver       keys rotate             traces get|list\n"
    "  scheduler run\n"
    "Examples:\n"
    "  export PAYOUTD_ADMIN_TOKEN=... PAYOUTD_MERCHANT=demo\n"
    "  payoutctl admin clock set 2026-12-09T10:00:00+09:00\n"
    "  payoutctl admin sellers verify-identity seller_01kf0w9vdgezd8rdkrt43qvq3g\n"
    "Run payoutctl admin <group> --help for its actions and options.\n";

static const char merchants_help[] =
    "Usage: payoutctl admin merchants create [--mid MID] [--no-contract] [--test-balance WON]\n"
    "       payoutctl admin merchants get [MID]\n"
    "create: a new merchant (POST /admin/v1/merchants); prints its keys for test and\n"
    "live once - hand them over, they are not shown again.\n"
    "get: the merchant's contract, clocks, webhook URLs and ledger (MID defaults to\n"
    "--merchant / PAYOUTD_MERCHANT).\n"
    "  --mid MID           the merchant id (default: generated)\n"
    "  --no-contract       without the payout contract (its calls get 403)\n"
    "  --test-balance WON  available test balance (whole won)\n"
    "Examples:\n"
    "  payoutctl admin merchants create --mid shop-2 --test-balance 5000000\n"
    "  payoutctl admin merchants get demo\n";

static const char contract_help[] =
    "Usage: payoutctl admin contract on|off\n"
    "Gives or takes the payout contract of the merchant (POST .../contract); without\n"
    "it every v2 call answers 403 FORBIDDEN_REQUEST.\n"
    "Example:\n"
    "  payoutctl admin contract off --merchant demo\n";

static const char credit_help[] =
    "Usage: payoutctl admin credit --amount WON [--settlement-date yyyy-MM-dd] [--env test|live]\n"
    "Credits sales to the merchant's balance (POST .../credits): available at once,\n"
    "or pending until 00:00 KST of the settlement date by the merchant's clock.\n"
    "Examples:\n"
    "  payoutctl admin credit --amount 1000000\n"
    "  payoutctl admin credit --amount 250000 --settlement-date 2026-12-10\n";

static const char clock_help[] =
    "Usage: payoutctl admin clock get|set TIME|advance DURATION|reset\n"
    "The merchant's sandbox clock (test mode; GET|POST .../clock). Moving it applies\n"
    "everything it makes due (payouts starting and completing, credits settling)\n"
    "before it answers {now, offsetSeconds, transitions}.\n"
    "  set TIME           jump to an ISO time, e.g. 2026-12-16T08:05:00+09:00\n"
    "  advance DURATION   forward by seconds, or with a unit: 300, 5m, 3h, 7d\n"
    "  reset              back to real time\n"
    "Examples:\n"
    "  payoutctl admin clock set 2026-12-09T10:00:00+09:00\n"
    "  payoutctl admin clock advance 5m\n"
    "  payoutctl admin clock get --field now\n";

static const char sellers_help[] =
    "Usage: payoutctl admin sellers verify-identity|approve-kyc|require-kyc SELLER_ID\n"
    "                               [--env test|live]\n"
    "Sandbox approvals (POST .../sellers/{id}/<action>), each sends seller.changed:\n"
    "  verify-identity  APPROVAL_REQUIRED -> PARTIALLY_APPROVED (identity verified)\n"
    "  approve-kyc      KYC_REQUIRED or PARTIALLY_APPROVED -> APPROVED\n"
    "  require-kyc      PARTIALLY_APPROVED or APPROVED -> KYC_REQUIRED\n"
    "Example:\n"
    "  payoutctl admin sellers verify-identity seller_01kf0w9vdgezd8rdkrt43qvq3g\n";

static const char webhook_help[] =
    "Usage: payoutctl admin webhook set URL|none [--env test|live]\n"
    "       payoutctl admin webhook list [--env test|live] [--limit N]\n"
    "       payoutctl admin webhook redeliver EVENT_ID [--env test|live]\n"
    "The merchant's webhook URL (PUT .../webhook; none removes it), its events newest\n"
    "first with their delivery state (GET .../webhooks), and sending one again\n"
    "(POST .../webhooks/{eventId}/redeliver).\n"
    "Examples:\n"
    "  payoutctl admin webhook set http://127.0.0.1:9000/hooks\n"
    "  payoutctl admin webhook list --limit 5\n"
    "  payoutctl admin webhook redeliver evt_01kf0w9vdgezd8rdkrt43qvq3g\n";

static const char keys_help[] =
    "Usage: payoutctl admin keys rotate --kind secret|security [--env test|live]\n"
    "Issues a new secret or security key (POST .../keys); the current one stays valid\n"
    "for 7 days of the merchant's clock. Prints the new key once.\n"
    "Example:\n"
    "  payoutctl admin keys rotate --kind security --env test\n";

static const char traces_help[] =
    "Usage: payoutctl admin traces get TRACE_ID\n"
    "       payoutctl admin traces list [--limit N]\n"
    "Recent requests by trace id (GET /admin/v1/traces[/{id}]): route, merchant,\n"
    "status, code and the diagnosis of a token that did not open; never a body or key.\n"
    "Examples:\n"
    "  payoutctl admin traces get 0123456789abcdef0123456789abcdef\n"
    "  payoutctl admin traces list --limit 10\n";

static const char scheduler_help[] =
    "Usage: payoutctl admin scheduler run\n"
    "Applies every due transition of every merchant now (POST /admin/v1/scheduler/run).\n"
    "Example:\n"
    "  payoutctl admin scheduler run\n";

/* ---- the HTTP call ------------------------------------------------------------------ */

typedef struct answer {
    char *data;
    size_t len, cap;
    bool too_large;
    char trace_id[64];
} answer;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    answer *a = arg;
    size_t n = size * nmemb;
    if (a->len + n + 1 > ADMIN_ANSWER_MAX) {
        a->too_large = true;
        return 0;
    }
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *d = realloc(a->data, cap);
        if (!d) return 0;
        a->data = d;
        a->cap = cap;
    }
    memcpy(a->data + a->len, ptr, n);
    a->len += n;
    a->data[a->len] = 0;
    return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    answer *a = arg;
    size_t n = size * nmemb;
    static const char name[] = "x-tosspayments-trace-id:";
    size_t nl = sizeof name - 1;
    if (n > nl && strncasecmp(line, name, nl) == 0) {
        const char *v = line + nl, *end = line + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t len =
            (size_t)(end - v) < sizeof a->trace_id - 1 ? (size_t)(end - v) : sizeof a->trace_id - 1;
        memcpy(a->trace_id, v, len);
        a->trace_id[len] = 0;
    }
    return n;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

static const char *admin_hint(long status, const char *code)
{
    if (strcmp(code, "INVALID_ADMIN_TOKEN") == 0)
        return "the admin token was rejected: use the token payoutd was started with "
               "(PAYOUTD_ADMIN_TOKEN or --admin-token-file)";
    if (status == 404 && strcmp(code, "NOT_FOUND") == 0)
        return "no such merchant, seller, event or trace - or payoutd runs without an admin "
               "token (the message says which)";
    return "the admin API refused the request: see the code and message";
}

/* One admin request; body (stolen) is sent as JSON. Prints the answer on
 * success; returns the exit code. */
static int admin_call(const char *method, const char *path, json_t *body)
{
    char *token = NULL, *text = NULL;
    char source[512], auth[1100];
    answer a;
    CURL *h = NULL;
    struct curl_slist *hs = NULL;
    int rc;
    memset(&a, 0, sizeof a);
    auth[0] = 0;
    rc = payctl_load_secret("admin token", NULL, payctl_g.admin_token_file, "PAYOUTD_ADMIN_TOKEN",
                            &token, source, sizeof source);
    if (rc != PAYCTL_OK) goto out;
    if (!token || !token[0]) {
        fprintf(stderr, "payoutctl: no admin token: set PAYOUTD_ADMIN_TOKEN or use "
                        "--admin-token-file FILE (the token payoutd was started with)\n");
        rc = PAYCTL_USAGE;
        goto out;
    }
    if (strlen(token) > 1000 || strpbrk(token, "\r\n")) {
        fprintf(stderr,
                "error: the admin token from %s is not one line of at most 1000 "
                "characters\n",
                source);
        rc = PAYCTL_CRYPTO;
        goto out;
    }
    const char *base = payctl_g.admin_url ? payctl_g.admin_url : getenv("PAYOUTD_ADMIN_URL");
    if (!base || !base[0]) base = ADMIN_DEFAULT_URL;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    char url[2048];
    if ((size_t)snprintf(url, sizeof url, "%.*s%s", (int)bl, base, path) >= sizeof url) {
        fprintf(stderr, "payoutctl: the admin URL is too long\n");
        rc = PAYCTL_USAGE;
        goto out;
    }
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        if (!text) {
            rc = PAYCTL_CRYPTO;
            goto out;
        }
    }
    h = curl_easy_init();
    if (!h) {
        rc = PAYCTL_CRYPTO;
        goto out;
    }
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    hs = curl_slist_append(hs, auth);
    hs = curl_slist_append(hs, "Accept: application/json");
    if (text) hs = curl_slist_append(hs, "Content-Type: application/json");
    hs = curl_slist_append(hs, "Expect:");
    char curl_err[CURL_ERROR_SIZE];
    curl_err[0] = 0;
    long timeout = payctl_g.timeout_s > 0 ? payctl_g.timeout_s : ADMIN_TIMEOUT_S;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (text) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "payoutctl/" PAYCTL_VERSION);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (payctl_g.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, payctl_g.ca_file);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    payctl_note("admin token from %s", source);
    payctl_note("admin %s %s%s", method, url, text ? " (JSON body)" : "");
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    payctl_note("HTTP %ld, trace id: %s", status, a.trace_id[0] ? a.trace_id : "none");
    if (cc != CURLE_OK) {
        fprintf(stderr, "error: no answer from the admin API at %.*s: %s\n", (int)bl, base,
                a.too_large   ? "the answer is too large"
                : curl_err[0] ? curl_err
                              : curl_easy_strerror(cc));
        fprintf(stderr, "hint: is payoutd running there? check PAYOUTD_ADMIN_URL / --admin-url\n");
        rc = PAYCTL_NETWORK;
        goto out;
    }
    json_t *root = a.data ? json_loadb(a.data, a.len, 0, NULL) : NULL;
    if (!root && a.len == 0 && status >= 200 && status < 300) {
        rc = PAYCTL_OK; /* nothing to print */
        goto out;
    }
    if (status >= 200 && status < 300) {
        if (!root) {
            fprintf(stderr, "error: unreadable answer (HTTP %ld): not JSON\n", status);
            rc = PAYCTL_CRYPTO;
        } else if (payctl_g.raw && !payctl_g.field) {
            printf("%s\n", a.data);
            rc = PAYCTL_OK;
        } else {
            rc = payctl_print(root);
        }
        json_decref(root);
        goto out;
    }
    if (payctl_g.raw && a.data) printf("%s\n", a.data);
    const json_t *err = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    const char *trace = json_string_value(json_object_get(root, "traceId"));
    if (!trace && a.trace_id[0]) trace = a.trace_id;
    if (code) {
        fprintf(stderr, "error: %s (HTTP %ld): %s\n", code, status, msg ? msg : "");
        if (trace) fprintf(stderr, "trace: %s\n", trace);
        fprintf(stderr, "hint: %s\n", admin_hint(status, code));
        rc = status == 401 || status == 403 ? PAYCTL_AUTH : PAYCTL_API_ERROR;
    } else {
        fprintf(stderr, "error: unreadable answer (HTTP %ld) from the admin API\n", status);
        if (trace) fprintf(stderr, "trace: %s\n", trace);
        rc = PAYCTL_CRYPTO;
    }
    json_decref(root);
out:
    wipe(auth, sizeof auth);
    curl_slist_free_all(hs);
    if (h) curl_easy_cleanup(h);
    free(a.data);
    free(text);
    json_decref(body);
    payctl_secret_free(token);
    return rc;
}

/* ---- arguments --------------------------------------------------------------------- */

/* The merchant: --merchant, else PAYOUTD_MERCHANT. */
static int merchant(const char *cmd, const char **mid)
{
    *mid = payctl_g.merchant ? payctl_g.merchant : getenv("PAYOUTD_MERCHANT");
    if (!*mid || !**mid)
        return payctl_usage(cmd, "which merchant? use --merchant MID or set PAYOUTD_MERCHANT");
    if (!payctl_id_ok(*mid))
        return payctl_usage(cmd, "\"%s\" is not a merchant id (A-Z a-z 0-9 _ -)", *mid);
    return -1;
}

static int env_member(const char *cmd, const char *env, json_t *body)
{
    if (!env) return -1;
    if (strcmp(env, "test") != 0 && strcmp(env, "live") != 0) {
        json_decref(body);
        return payctl_usage(cmd, "--env is test or live (got \"%s\")", env);
    }
    json_object_set_new(body, "env", json_string(env));
    return -1;
}

/* "300", "300s", "5m", "3h", "7d" -> seconds. */
static bool parse_duration(const char *s, long long *out)
{
    size_t n = strlen(s);
    long long unit = 1;
    char digits[32];
    if (n == 0 || n >= sizeof digits) return false;
    memcpy(digits, s, n + 1);
    switch (digits[n - 1]) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        unit = 0;
    }
    if (unit)
        digits[--n] = 0;
    else
        unit = 1;
    long long v;
    if (strcmp(digits, "0") == 0)
        v = 0;
    else if (!payctl_parse_count(digits, ADMIN_ADVANCE_MAX, &v))
        return false;
    if (v > ADMIN_ADVANCE_MAX / unit) return false;
    *out = v * unit;
    return true;
}

/* ---- the groups ------------------------------------------------------------------------ */

static int merchants_cmd(int argc, char **argv)
{
    const char *cmd = "admin merchants ";
    const char *mid_opt = NULL, *balance = NULL, *pos[2];
    bool no_contract = false;
    size_t npos;
    payctl_option opts[] = {{"--mid", &mid_opt, NULL, NULL, NULL, 0},
                            {"--test-balance", &balance, NULL, NULL, NULL, 0},
                            {"--no-contract", NULL, &no_contract, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    int rc = payctl_parse_args("admin merchants", merchants_help, opts, argc, argv, pos, 2, &npos);
    if (rc != -1) return rc;
    if (npos == 0) return payctl_usage(cmd, "create or get?");
    if (strcmp(pos[0], "create") == 0) {
        if (npos > 1) return payctl_usage(cmd, "create takes no argument (use --mid MID)");
        json_t *body = json_object();
        if (mid_opt) {
            if (!payctl_id_ok(mid_opt)) {
                json_decref(body);
                return payctl_usage(cmd, "--mid takes A-Z a-z 0-9 _ - (got \"%s\")", mid_opt);
            }
            json_object_set_new(body, "mid", json_string(mid_opt));
        }
        if (no_contract) json_object_set_new(body, "payoutContract", json_false());
        if (balance) {
            long long won = 0;
            if (strcmp(balance, "0") != 0 && !payctl_parse_count(balance, ADMIN_AMOUNT_MAX, &won)) {
                json_decref(body);
                return payctl_usage(cmd,
                                    "--test-balance is whole won up to %lld, digits only "
                                    "(got \"%s\")",
                                    ADMIN_AMOUNT_MAX, balance);
            }
            json_object_set_new(body, "testBalance", json_integer(won));
        }
        return admin_call("POST", "/admin/v1/merchants", body);
    }
    if (strcmp(pos[0], "get") == 0) {
        if (mid_opt || balance || no_contract)
            return payctl_usage(cmd, "--mid, --test-balance and --no-contract belong to create");
        const char *mid = npos > 1 ? pos[1] : NULL;
        if (!mid && (rc = merchant(cmd, &mid)) != -1) return rc;
        if (!payctl_id_ok(mid)) return payctl_usage(cmd, "\"%s\" is not a merchant id", mid);
        char path[128];
        snprintf(path, sizeof path, "/admin/v1/merchants/%s", mid);
        return admin_call("GET", path, NULL);
    }
    return payctl_usage(cmd, "unknown action \"%s\" (create, get)", pos[0]);
}

static int contract_cmd(int argc, char **argv)
{
    const char *cmd = "admin contract ", *pos[1], *mid;
    size_t npos;
    int rc = payctl_parse_args("admin contract", contract_help, NULL, argc, argv, pos, 1, &npos);
    if (rc != -1) return rc;
    if (npos != 1 || (strcmp(pos[0], "on") != 0 && strcmp(pos[0], "off") != 0))
        return payctl_usage(cmd, "on or off?");
    if ((rc = merchant(cmd, &mid)) != -1) return rc;
    char path[160];
    snprintf(path, sizeof path, "/admin/v1/merchants/%s/contract", mid);
    return admin_call("POST", path,
                      json_pack("{s:b}", "payoutContract", strcmp(pos[0], "on") == 0));
}

static int credit_cmd(int argc, char **argv)
{
    const char *cmd = "admin credit ", *amount = NULL, *date = NULL, *env = NULL, *pos[1], *mid;
    size_t npos;
    payctl_option opts[] = {{"--amount", &amount, NULL, NULL, NULL, 0},
                            {"--settlement-date", &date, NULL, NULL, NULL, 0},
                            {"--env", &env, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    int rc = payctl_parse_args("admin credit", credit_help, opts, argc, argv, pos, 0, &npos);
    if (rc != -1) return rc;
    long long won;
    if (!amount) return payctl_usage(cmd, "--amount WON is required");
    if (!payctl_parse_count(amount, ADMIN_AMOUNT_MAX, &won))
        return payctl_usage(cmd, "--amount is whole won from 1 to %lld, digits only (got \"%s\")",
                            ADMIN_AMOUNT_MAX, amount);
    if (date && !payctl_date_shape(date))
        return payctl_usage(cmd, "--settlement-date takes yyyy-MM-dd (got \"%s\")", date);
    if ((rc = merchant(cmd, &mid)) != -1) return rc;
    json_t *body = json_pack("{s:I}", "amount", (json_int_t)won);
    if (date) json_object_set_new(body, "settlementDate", json_string(date));
    if ((rc = env_member(cmd, env, body)) != -1) return rc;
    char path[160];
    snprintf(path, sizeof path, "/admin/v1/merchants/%s/credits", mid);
    return admin_call("POST", path, body);
}

static int clock_cmd(int argc, char **argv)
{
    const char *cmd = "admin clock ", *pos[2], *mid;
    size_t npos;
    int rc = payctl_parse_args("admin clock", clock_help, NULL, argc, argv, pos, 2, &npos);
    if (rc != -1) return rc;
    if (npos == 0) return payctl_usage(cmd, "get, set, advance or reset?");
    const char *action = pos[0];
    json_t *body = NULL;
    if (strcmp(action, "get") == 0 || strcmp(action, "reset") == 0) {
        if (npos != 1) return payctl_usage(cmd, "%s takes no argument", action);
        if (action[0] == 'r') body = json_pack("{s:b}", "reset", 1);
    } else if (strcmp(action, "set") == 0) {
        if (npos != 2) return payctl_usage(cmd, "set TIME, e.g. 2026-12-16T08:05:00+09:00");
        body = json_pack("{s:s}", "set", pos[1]);
        if (!body) return payctl_usage(cmd, "the time is not valid UTF-8");
    } else if (strcmp(action, "advance") == 0) {
        long long s;
        if (npos != 2) return payctl_usage(cmd, "advance DURATION, e.g. 300, 5m, 3h or 7d");
        if (!parse_duration(pos[1], &s))
            return payctl_usage(cmd,
                                "advance takes seconds or a number with s, m, h or d, "
                                "forward only (got \"%s\")",
                                pos[1]);
        body = json_pack("{s:I}", "advanceSeconds", (json_int_t)s);
    } else {
        return payctl_usage(cmd, "unknown action \"%s\" (get, set, advance, reset)", action);
    }
    if ((rc = merchant(cmd, &mid)) != -1) {
        json_decref(body);
        return rc;
    }
    char path[160];
    snprintf(path, sizeof path, "/admin/v1/merchants/%s/clock", mid);
    return admin_call(body ? "POST" : "GET", path, body);
}

static int sellers_cmd(int argc, char **argv)
{
    const char *cmd = "admin sellers ", *env = NULL, *pos[2], *mid;
    size_t npos;
    payctl_option opts[] = {{"--env", &env, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    int rc = payctl_parse_args("admin sellers", sellers_help, opts, argc, argv, pos, 2, &npos);
    if (rc != -1) return rc;
    if (npos != 2) return payctl_usage(cmd, "give the action and the seller id");
    if (strcmp(pos[0], "verify-identity") != 0 && strcmp(pos[0], "approve-kyc") != 0 &&
        strcmp(pos[0], "require-kyc") != 0)
        return payctl_usage(cmd,
                            "unknown action \"%s\" (verify-identity, approve-kyc, "
                            "require-kyc)",
                            pos[0]);
    if (!payctl_id_ok(pos[1])) return payctl_usage(cmd, "\"%s\" is not a seller id", pos[1]);
    if ((rc = merchant(cmd, &mid)) != -1) return rc;
    json_t *body = NULL;
    if (env) {
        body = json_object();
        if ((rc = env_member(cmd, env, body)) != -1) return rc;
    }
    char path[256];
    snprintf(path, sizeof path, "/admin/v1/merchants/%s/sellers/%s/%s", mid, pos[1], pos[0]);
    return admin_call("POST", path, body);
}

static int webhook_cmd(int argc, char **argv)
{
    const char *cmd = "admin webhook ", *env = NULL, *limit = NULL, *pos[2], *mid;
    size_t npos;
    payctl_option opts[] = {{"--env", &env, NULL, NULL, NULL, 0},
                            {"--limit", &limit, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    int rc = payctl_parse_args("admin webhook", webhook_help, opts, argc, argv, pos, 2, &npos);
    if (rc != -1) return rc;
    if (npos == 0) return payctl_usage(cmd, "set, list or redeliver?");
    if (env && strcmp(env, "test") != 0 && strcmp(env, "live") != 0)
        return payctl_usage(cmd, "--env is test or live (got \"%s\")", env);
    if (limit && strcmp(pos[0], "list") != 0) return payctl_usage(cmd, "--limit belongs to list");
    char path[256];
    if (strcmp(pos[0], "list") == 0) {
        long long n;
        if (npos != 1) return payctl_usage(cmd, "list takes no argument");
        if (limit && !payctl_parse_count(limit, 100000, &n))
            return payctl_usage(cmd, "--limit takes a whole number (got \"%s\")", limit);
        if ((rc = merchant(cmd, &mid)) != -1) return rc;
        size_t used = (size_t)snprintf(path, sizeof path, "/admin/v1/merchants/%s/webhooks", mid);
        if (env) used += (size_t)snprintf(path + used, sizeof path - used, "?env=%s", env);
        if (limit) snprintf(path + used, sizeof path - used, "%climit=%s", env ? '&' : '?', limit);
        return admin_call("GET", path, NULL);
    }
    if (strcmp(pos[0], "set") == 0) {
        if (npos != 2) return payctl_usage(cmd, "set URL (or none to remove it)");
        if ((rc = merchant(cmd, &mid)) != -1) return rc;
        json_t *body = json_object();
        json_t *url = strcmp(pos[1], "none") == 0 ? json_null() : json_string(pos[1]);
        if (!url) {
            json_decref(body);
            return payctl_usage(cmd, "the URL is not valid UTF-8");
        }
        json_object_set_new(body, "url", url);
        if ((rc = env_member(cmd, env, body)) != -1) return rc;
        snprintf(path, sizeof path, "/admin/v1/merchants/%s/webhook", mid);
        return admin_call("PUT", path, body);
    }
    if (strcmp(pos[0], "redeliver") == 0) {
        if (npos != 2) return payctl_usage(cmd, "redeliver EVENT_ID");
        if (!payctl_id_ok(pos[1])) return payctl_usage(cmd, "\"%s\" is not an event id", pos[1]);
        if ((rc = merchant(cmd, &mid)) != -1) return rc;
        json_t *body = NULL;
        if (env) {
            body = json_object();
            if ((rc = env_member(cmd, env, body)) != -1) return rc;
        }
        snprintf(path, sizeof path, "/admin/v1/merchants/%s/webhooks/%s/redeliver", mid, pos[1]);
        return admin_call("POST", path, body);
    }
    return payctl_usage(cmd, "unknown action \"%s\" (set, list, redeliver)", pos[0]);
}

static int keys_cmd(int argc, char **argv)
{
    const char *cmd = "admin keys ", *kind = NULL, *env = NULL, *pos[1], *mid;
    size_t npos;
    payctl_option opts[] = {{"--kind", &kind, NULL, NULL, NULL, 0},
                            {"--env", &env, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    int rc = payctl_parse_args("admin keys", keys_help, opts, argc, argv, pos, 1, &npos);
    if (rc != -1) return rc;
    if (npos != 1 || strcmp(pos[0], "rotate") != 0)
        return payctl_usage(cmd, "the action is rotate");
    const char *k = NULL;
    if (kind && (strcmp(kind, "secret") == 0 || strcmp(kind, "secretKey") == 0))
        k = "secretKey";
    else if (kind && (strcmp(kind, "security") == 0 || strcmp(kind, "securityKey") == 0))
        k = "securityKey";
    if (!k) return payctl_usage(cmd, "--kind is secret or security");
    if ((rc = merchant(cmd, &mid)) != -1) return rc;
    json_t *body = json_pack("{s:s}", "kind", k);
    if ((rc = env_member(cmd, env, body)) != -1) return rc;
    char path[160];
    snprintf(path, sizeof path, "/admin/v1/merchants/%s/keys", mid);
    return admin_call("POST", path, body);
}

static int traces_cmd(int argc, char **argv)
{
    const char *cmd = "admin traces ", *limit = NULL, *pos[2];
    size_t npos;
    payctl_option opts[] = {{"--limit", &limit, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    int rc = payctl_parse_args("admin traces", traces_help, opts, argc, argv, pos, 2, &npos);
    if (rc != -1) return rc;
    if (npos == 0) return payctl_usage(cmd, "get or list?");
    char path[160];
    if (strcmp(pos[0], "get") == 0) {
        if (npos != 2 || limit) return payctl_usage(cmd, "get TRACE_ID");
        if (!payctl_id_ok(pos[1])) return payctl_usage(cmd, "\"%s\" is not a trace id", pos[1]);
        snprintf(path, sizeof path, "/admin/v1/traces/%s", pos[1]);
        return admin_call("GET", path, NULL);
    }
    if (strcmp(pos[0], "list") == 0) {
        long long n;
        if (npos != 1) return payctl_usage(cmd, "list takes no argument");
        if (limit && !payctl_parse_count(limit, 100000, &n))
            return payctl_usage(cmd, "--limit takes a whole number (got \"%s\")", limit);
        snprintf(path, sizeof path, "/admin/v1/traces%s%s", limit ? "?limit=" : "",
                 limit ? limit : "");
        return admin_call("GET", path, NULL);
    }
    return payctl_usage(cmd, "unknown action \"%s\" (get, list)", pos[0]);
}

static int scheduler_cmd(int argc, char **argv)
{
    const char *pos[1];
    size_t npos;
    int rc = payctl_parse_args("admin scheduler", scheduler_help, NULL, argc, argv, pos, 1, &npos);
    if (rc != -1) return rc;
    if (npos != 1 || strcmp(pos[0], "run") != 0)
        return payctl_usage("admin scheduler ", "the action is run");
    return admin_call("POST", "/admin/v1/scheduler/run", NULL);
}

int payctl_admin(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } groups[] = {
        {"merchants", merchants_cmd}, {"contract", contract_cmd}, {"credit", credit_cmd},
        {"clock", clock_cmd},         {"sellers", sellers_cmd},   {"webhook", webhook_cmd},
        {"keys", keys_cmd},           {"traces", traces_cmd},     {"scheduler", scheduler_cmd},
    };
    int i = 1;
    for (; i < argc; i++) {
        if (payctl_is_help(argv[i])) return payctl_help(admin_help);
        if (argv[i][0] != '-') break;
        int g = payctl_global_option(argc, argv, &i);
        if (g < 0) return PAYCTL_USAGE;
        if (g == 0) return payctl_usage("admin ", "unknown option %s", argv[i]);
    }
    if (i >= argc) {
        fputs(admin_help, stderr);
        return PAYCTL_USAGE;
    }
    for (size_t k = 0; k < sizeof groups / sizeof groups[0]; k++)
        if (strcmp(argv[i], groups[k].name) == 0) return groups[k].fn(argc - i - 1, argv + i + 1);
    return payctl_usage("admin ", "unknown group \"%s\"", argv[i]);
}
