/*
 * client_e2e — drives libpayout's typed client calls for the Python tests
 * (tests/integration/test_client_e2e.py against a real payoutd,
 * tests/integration/test_client_answers.py against canned answers), using
 * the public API only (STYLE habit 12).
 *
 *   client_e2e [client options] OPERATION [operation arguments]
 *
 * Keys come from the environment, never from argv (which `ps` shows):
 * PAY_E2E_SECRET_KEY and PAY_E2E_SECURITY_KEY (or the variables named by
 * --secret-env / --security-env); an unset or empty security key means a
 * client without one.
 *
 * Every client call prints one JSON line on stdout:
 *   {"op":..., "rc":"PAY_OK", "outcome":"OK", "http":200, "code":"",
 *    "message":"", "trace":"...", "idem":"...", "attempts":1,
 *    "replayed":false, "sealed":false, "hint":"...", "result":{...}|null}
 * and nothing else goes to stdout, so the tests can read it line by line.
 * Secrets are never printed. Exit status: 0 when every call returned PAY_OK,
 * 1 when one did not (the lines say why), 2 on a usage error, 3 when the
 * client could not be made.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payout/client.h"
#include "payout/error.h"

#define MAX_ITEMS 100 /* spec §4.7: a payout batch holds 1..100 items */
#define MAX_PAGES 1000

static const char *const usage_text =
    "usage: client_e2e [options] OPERATION [arguments]\n"
    "options: --base URL  --secret-env VAR  --security-env VAR  --encrypt-reads\n"
    "         --timeout-ms N  --connect-timeout-ms N  --max-retries N  --backoff-ms N\n"
    "         --accept-language TAG  --test-code CODE  --idem KEY\n"
    "operations:\n"
    "  balances\n"
    "  sellers-create REF CORPORATE|INDIVIDUAL|INDIVIDUAL_BUSINESS [--meta K=V]...\n"
    "  sellers-get ID\n"
    "  sellers-list [--limit N] [--after ID] [--gte DATE] [--lte DATE] [--all]\n"
    "  sellers-update ID [--meta K=V]... [--remove-meta] [--email E] [--phone P]\n"
    "                    [--account BANK:NUMBER:HOLDER]\n"
    "  sellers-delete ID\n"
    "  payouts-request REF:DEST:EXPRESS|SCHEDULED:AMOUNT[:DATE] ...\n"
    "  payouts-get ID\n"
    "  payouts-list [--limit N] [--after ID] [--gte DATE] [--lte DATE] [--all]\n"
    "  payouts-cancel ID\n"
    "  raw METHOD PATH [--body JSON] [--seal]\n";

/* ---- JSON output ------------------------------------------------------------ */

/* Writes s as a JSON string (or null); bytes >= 0x80 pass through (UTF-8). */
static void put_str(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void put_key(const char *name, bool first)
{
    if (!first) putchar(',');
    put_str(name);
    putchar(':');
}

static void put_kv_str(const char *name, const char *value, bool first)
{
    put_key(name, first);
    put_str(value);
}

static void put_metadata(const pay_kv *kv, size_t n)
{
    put_key("metadata", false);
    putchar('{');
    for (size_t i = 0; i < n; i++) put_kv_str(kv[i].key, kv[i].value, i == 0);
    putchar('}');
}

static void put_seller(const pay_seller_result *s)
{
    putchar('{');
    put_kv_str("id", s->id, true);
    put_kv_str("refSellerId", s->ref_seller_id, false);
    put_kv_str("businessType", s->business_type, false);
    put_kv_str("status", s->status, false);
    put_key("company", false);
    if (s->has_company) {
        putchar('{');
        put_kv_str("name", s->company.name, true);
        put_kv_str("representativeName", s->company.representative_name, false);
        put_kv_str("businessRegistrationNumber", s->company.business_registration_number, false);
        put_kv_str("email", s->company.email, false);
        put_kv_str("phone", s->company.phone, false);
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    put_key("individual", false);
    if (s->has_individual) {
        putchar('{');
        put_kv_str("name", s->individual.name, true);
        put_kv_str("email", s->individual.email, false);
        put_kv_str("phone", s->individual.phone, false);
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    put_key("account", false);
    putchar('{');
    put_kv_str("bankCode", s->account.bank_code, true);
    put_kv_str("accountNumber", s->account.account_number, false);
    put_kv_str("holderName", s->account.holder_name, false);
    putchar('}');
    put_metadata(s->metadata, s->metadata_len);
    putchar('}');
}

static void put_payout(const pay_payout_result *p)
{
    putchar('{');
    put_kv_str("id", p->id, true);
    put_kv_str("refPayoutId", p->ref_payout_id, false);
    put_kv_str("destination", p->destination, false);
    put_kv_str("scheduleType", p->schedule_type, false);
    put_kv_str("payoutDate", p->payout_date, false);
    put_key("amount", false);
    printf("%" PRId64, p->amount);
    put_kv_str("currency", p->currency, false);
    put_kv_str("transactionDescription", p->transaction_description, false);
    put_kv_str("requestedAt", p->requested_at, false);
    put_kv_str("status", p->status, false);
    put_kv_str("errorCode", p->error_code, false);
    put_kv_str("errorMessage", p->error_message, false);
    put_metadata(p->metadata, p->metadata_len);
    putchar('}');
}

static void put_page_fields(bool has_next, const char *last_cursor)
{
    put_key("hasNext", false);
    fputs(has_next ? "true" : "false", stdout);
    put_kv_str("lastCursor", last_cursor, false);
}

static void put_payout_list(const pay_payout_list *l)
{
    putchar('{');
    put_key("items", true);
    putchar('[');
    for (size_t i = 0; i < l->n; i++) {
        if (i) putchar(',');
        put_payout(&l->items[i]);
    }
    putchar(']');
    put_page_fields(l->has_next, l->last_cursor);
    putchar('}');
}

static void put_seller_list(const pay_seller_list *l)
{
    putchar('{');
    put_key("items", true);
    putchar('[');
    for (size_t i = 0; i < l->n; i++) {
        if (i) putchar(',');
        put_seller(&l->items[i]);
    }
    putchar(']');
    put_page_fields(l->has_next, l->last_cursor);
    putchar('}');
}

static const char *outcome_name(pay_call_outcome o)
{
    switch (o) {
    case PAY_CALL_OK: return "OK";
    case PAY_CALL_API_ERROR: return "API_ERROR";
    case PAY_CALL_AUTH_ERROR: return "AUTH_ERROR";
    case PAY_CALL_NETWORK_ERROR: return "NETWORK_ERROR";
    case PAY_CALL_BAD_RESPONSE: return "BAD_RESPONSE";
    case PAY_CALL_LOCAL_ERROR: return "LOCAL_ERROR";
    }
    return "?";
}

/* The common part of a line; the caller writes the result and the end. */
static void begin_line(const char *op, pay_err rc, const pay_call *call)
{
    putchar('{');
    put_kv_str("op", op, true);
    put_kv_str("rc", pay_err_name(rc), false);
    put_kv_str("outcome", outcome_name(call->outcome), false);
    put_key("http", false);
    printf("%ld", call->http_status);
    put_kv_str("code", call->code, false);
    put_kv_str("message", call->message, false);
    put_kv_str("trace", call->trace_id, false);
    put_kv_str("idem", call->used_idempotency_key, false);
    put_key("attempts", false);
    printf("%d", call->attempts);
    put_key("replayed", false);
    fputs(call->replayed ? "true" : "false", stdout);
    put_key("sealed", false);
    fputs(call->sealed_response ? "true" : "false", stdout);
    put_kv_str("hint", pay_call_hint(call), false);
    put_key("result", false);
}

static void end_line(void)
{
    puts("}");
    fflush(stdout);
}

/* ---- arguments ------------------------------------------------------------------ */

typedef struct args {
    int argc;
    char **argv;
    int i;
} args;

static const char *next(args *a)
{
    return a->i < a->argc ? a->argv[a->i++] : NULL;
}

static bool to_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

static int usage(const char *why)
{
    if (why) fprintf(stderr, "client_e2e: %s\n", why);
    fputs(usage_text, stderr);
    return 2;
}

/* "K=V" into kv (strings point into arg, which is modified). */
static bool parse_meta(char *arg, pay_kv *kv)
{
    char *eq = arg ? strchr(arg, '=') : NULL;
    if (!eq) return false;
    *eq = 0;
    kv->key = arg;
    kv->value = eq + 1;
    return true;
}

/* ---- fixtures (valid for payoutd's validation, spec §10 #1) -------------------- */

static const pay_company_fields corp_company = {"상호", "대표", "1234567890", "corp@example.com",
                                                "0212345678"};
static const pay_individual_fields person = {"김토스", "seller@example.com", "01000000000"};
static const pay_account_fields corp_account = {"092", "12345678901", "상호"};
static const pay_account_fields person_account = {"088", "11122233344", "김토스"};

/* ---- operations --------------------------------------------------------------------- */

typedef struct run {
    pay_client *c;
    const char *idem;
    bool all_ok;
} run;

static pay_call new_call(const run *r)
{
    pay_call call;
    memset(&call, 0, sizeof call);
    call.idempotency_key = r->idem;
    return call;
}

static void note(run *r, pay_err rc)
{
    if (rc != PAY_OK) r->all_ok = false;
}

static int op_balances(run *r)
{
    pay_call call = new_call(r);
    pay_balance_result b;
    pay_err rc = pay_client_balances_get(r->c, &b, &call);
    note(r, rc);
    begin_line("balances", rc, &call);
    if (rc == PAY_OK)
        printf("{\"available\":%" PRId64 ",\"pending\":%" PRId64 "}", b.available, b.pending);
    else
        fputs("null", stdout);
    end_line();
    return 0;
}

static void print_seller_result(run *r, const char *op, pay_err rc, pay_call *call,
                                pay_seller_result *s)
{
    note(r, rc);
    begin_line(op, rc, call);
    if (s)
        put_seller(s);
    else
        fputs("null", stdout);
    end_line();
    pay_seller_result_free(s);
}

static int op_sellers_create(run *r, args *a)
{
    const char *ref = next(a), *type = next(a);
    pay_kv meta[PAY_METADATA_MAX];
    size_t nmeta = 0;
    if (!ref || !type) return usage("sellers-create REF TYPE");
    for (const char *o; (o = next(a));) {
        if (strcmp(o, "--meta") == 0 && nmeta < PAY_METADATA_MAX &&
            parse_meta(a->i < a->argc ? a->argv[a->i] : NULL, &meta[nmeta])) {
            a->i++;
            nmeta++;
        } else {
            return usage("sellers-create: bad option");
        }
    }
    pay_seller_fields f;
    memset(&f, 0, sizeof f);
    f.ref_seller_id = ref;
    f.business_type = type;
    if (strcmp(type, "INDIVIDUAL") == 0) {
        f.individual = &person;
        f.account = &person_account;
    } else {
        f.company = &corp_company;
        f.account = &corp_account;
    }
    f.metadata = nmeta ? meta : NULL;
    f.metadata_len = nmeta;
    pay_call call = new_call(r);
    pay_seller_result *s = NULL;
    pay_err rc = pay_client_sellers_create(r->c, &f, &s, &call);
    print_seller_result(r, "sellers-create", rc, &call, s);
    return 0;
}

static int op_sellers_get(run *r, args *a)
{
    const char *id = next(a);
    if (!id) return usage("sellers-get ID");
    pay_call call = new_call(r);
    pay_seller_result *s = NULL;
    pay_err rc = pay_client_sellers_get(r->c, id, &s, &call);
    print_seller_result(r, "sellers-get", rc, &call, s);
    return 0;
}

static int op_sellers_update(run *r, args *a)
{
    const char *id = next(a);
    pay_kv meta[PAY_METADATA_MAX];
    size_t nmeta = 0;
    pay_company_fields company;
    pay_individual_fields individual;
    pay_account_fields account;
    bool contact = false, remove = false, have_account = false;
    const char *email = NULL, *phone = NULL, *type = NULL;
    char account_buf[256];
    if (!id) return usage("sellers-update ID");
    for (const char *o; (o = next(a));) {
        const char *v = a->i < a->argc ? a->argv[a->i] : NULL;
        if (strcmp(o, "--meta") == 0 && nmeta < PAY_METADATA_MAX &&
            parse_meta(a->argv[a->i], &meta[nmeta])) {
            nmeta++;
        } else if (strcmp(o, "--remove-meta") == 0) {
            remove = true;
            continue;
        } else if (strcmp(o, "--email") == 0 && v) {
            email = v;
            contact = true;
        } else if (strcmp(o, "--phone") == 0 && v) {
            phone = v;
            contact = true;
        } else if (strcmp(o, "--individual") == 0) {
            type = "INDIVIDUAL"; /* contact changes go to individual, not company */
            continue;
        } else if (strcmp(o, "--account") == 0 && v && strlen(v) < sizeof account_buf) {
            memcpy(account_buf, v, strlen(v) + 1);
            char *c1 = strchr(account_buf, ':');
            char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (!c2) return usage("--account BANK:NUMBER:HOLDER");
            *c1 = *c2 = 0;
            account = (pay_account_fields){account_buf, c1 + 1, c2 + 1};
            have_account = true;
        } else {
            return usage("sellers-update: bad option");
        }
        a->i++;
    }
    pay_seller_fields f;
    memset(&f, 0, sizeof f);
    if (contact && type) {
        individual = (pay_individual_fields){NULL, email, phone};
        f.individual = &individual;
    } else if (contact) {
        company = (pay_company_fields){NULL, NULL, NULL, email, phone};
        f.company = &company;
    }
    if (have_account) f.account = &account;
    f.metadata = nmeta ? meta : NULL;
    f.metadata_len = nmeta;
    f.remove_metadata = remove;
    pay_call call = new_call(r);
    pay_seller_result *s = NULL;
    pay_err rc = pay_client_sellers_update(r->c, id, &f, &s, &call);
    print_seller_result(r, "sellers-update", rc, &call, s);
    return 0;
}

static int op_sellers_delete(run *r, args *a)
{
    const char *id = next(a);
    if (!id) return usage("sellers-delete ID");
    pay_call call = new_call(r);
    char *ref = NULL;
    pay_err rc = pay_client_sellers_delete(r->c, id, &ref, &call);
    note(r, rc);
    begin_line("sellers-delete", rc, &call);
    if (rc == PAY_OK) {
        putchar('{');
        put_kv_str("refSellerId", ref, true);
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    end_line();
    free(ref);
    return 0;
}

/* Options shared by the two list operations. The date filters are accepted
 * for sellers too, to check that the client leaves them out there. */
static int list_options(args *a, pay_list_params *p, bool *all)
{
    memset(p, 0, sizeof *p);
    *all = false;
    for (const char *o; (o = next(a));) {
        const char *v = a->i < a->argc ? a->argv[a->i] : NULL;
        long n;
        if (strcmp(o, "--all") == 0) {
            *all = true;
            continue;
        }
        if (strcmp(o, "--limit") == 0 && to_long(v, 0, 1000000, &n))
            p->limit = (size_t)n;
        else if (strcmp(o, "--after") == 0 && v)
            p->starting_after = v;
        else if (strcmp(o, "--gte") == 0 && v)
            p->payout_date_gte = v;
        else if (strcmp(o, "--lte") == 0 && v)
            p->payout_date_lte = v;
        else
            return usage("list: bad option");
        a->i++;
    }
    return 0;
}

/* With --all, follows lastCursor (startingAfter) page by page until hasNext
 * is false, one line per page. The cursor of page k lives in page k's result,
 * so it is copied before that result is freed. */
static int op_sellers_list(run *r, args *a)
{
    pay_list_params p;
    bool all;
    char cursor[128];
    if (list_options(a, &p, &all)) return 2;
    for (int page = 0; page < MAX_PAGES; page++) {
        pay_call call = new_call(r);
        pay_seller_list *l = NULL;
        pay_err rc = pay_client_sellers_list(r->c, &p, &l, &call);
        note(r, rc);
        begin_line("sellers-list", rc, &call);
        if (l)
            put_seller_list(l);
        else
            fputs("null", stdout);
        end_line();
        bool more = all && l && l->has_next && l->last_cursor &&
                    strlen(l->last_cursor) < sizeof cursor;
        if (more) {
            memcpy(cursor, l->last_cursor, strlen(l->last_cursor) + 1);
            p.starting_after = cursor;
        }
        pay_seller_list_free(l);
        if (!more) break;
    }
    return 0;
}

static void print_payout_list(run *r, const char *op, pay_err rc, pay_call *call,
                              pay_payout_list *l)
{
    note(r, rc);
    begin_line(op, rc, call);
    if (l)
        put_payout_list(l);
    else
        fputs("null", stdout);
    end_line();
}

static int op_payouts_list(run *r, args *a)
{
    pay_list_params p;
    bool all;
    char cursor[128];
    if (list_options(a, &p, &all)) return 2;
    for (int page = 0; page < MAX_PAGES; page++) {
        pay_call call = new_call(r);
        pay_payout_list *l = NULL;
        pay_err rc = pay_client_payouts_list(r->c, &p, &l, &call);
        print_payout_list(r, "payouts-list", rc, &call, l);
        bool more = all && l && l->has_next && l->last_cursor &&
                    strlen(l->last_cursor) < sizeof cursor;
        if (more) {
            memcpy(cursor, l->last_cursor, strlen(l->last_cursor) + 1);
            p.starting_after = cursor;
        }
        pay_payout_list_free(l);
        if (!more) break;
    }
    return 0;
}

/* REF:DEST:KIND:AMOUNT[:DATE]; the fields point into spec, which is modified. */
static bool parse_item(char *spec, pay_payout_fields *it)
{
    char *f[5] = {NULL};
    int n = 0;
    for (char *p = spec; n < 5;) {
        f[n++] = p;
        char *colon = strchr(p, ':');
        if (!colon) break;
        *colon = 0;
        p = colon + 1;
    }
    long long amount;
    char *end = NULL;
    if (n < 4) return false;
    errno = 0;
    amount = strtoll(f[3], &end, 10);
    if (errno || *end || !*f[3]) return false;
    memset(it, 0, sizeof *it);
    it->ref_payout_id = f[0];
    it->destination = f[1];
    it->schedule_type = f[2];
    it->amount = (int64_t)amount;
    it->payout_date = n == 5 ? f[4] : NULL;
    it->transaction_description = "정산";
    return true;
}

static int op_payouts_request(run *r, args *a)
{
    pay_payout_fields items[MAX_ITEMS];
    size_t n = 0;
    for (const char *o; (o = next(a));) {
        if (n == MAX_ITEMS || !parse_item(a->argv[a->i - 1], &items[n]))
            return usage("payouts-request REF:DEST:KIND:AMOUNT[:DATE] ...");
        n++;
    }
    if (n == 0) return usage("payouts-request needs at least one item");
    pay_call call = new_call(r);
    pay_payout_list *l = NULL;
    pay_err rc = pay_client_payouts_request(r->c, items, n, &l, &call);
    print_payout_list(r, "payouts-request", rc, &call, l);
    pay_payout_list_free(l);
    return 0;
}

static int op_payout_one(run *r, args *a, bool cancel)
{
    const char *id = next(a);
    if (!id) return usage("payouts-get/payouts-cancel ID");
    pay_call call = new_call(r);
    pay_payout_list *l = NULL;
    pay_err rc = cancel ? pay_client_payouts_cancel(r->c, id, &l, &call)
                        : pay_client_payouts_get(r->c, id, &l, &call);
    print_payout_list(r, cancel ? "payouts-cancel" : "payouts-get", rc, &call, l);
    pay_payout_list_free(l);
    return 0;
}

static int op_raw(run *r, args *a)
{
    const char *method = next(a), *path = next(a), *body = NULL;
    bool seal = false;
    if (!method || !path) return usage("raw METHOD PATH");
    for (const char *o; (o = next(a));) {
        if (strcmp(o, "--seal") == 0)
            seal = true;
        else if (strcmp(o, "--body") == 0 && a->i < a->argc)
            body = a->argv[a->i++];
        else
            return usage("raw: bad option");
    }
    pay_call call = new_call(r);
    char *envelope = NULL;
    pay_err rc = pay_client_request(r->c, method, path, body, seal, &envelope, &call);
    note(r, rc);
    begin_line("raw", rc, &call);
    putchar('{');
    put_kv_str("envelope", envelope, true);
    putchar('}');
    end_line();
    free(envelope);
    return 0;
}

/* ---- main --------------------------------------------------------------------------- */

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
    args a = {argc, argv, 1};
    pay_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *secret_env = "PAY_E2E_SECRET_KEY", *security_env = "PAY_E2E_SECURITY_KEY";
    run r = {NULL, NULL, true};
    const char *op = NULL;
    while (!op) {
        const char *o = next(&a);
        if (!o) return usage("no operation");
        if (strncmp(o, "--", 2) != 0) {
            op = o;
            break;
        }
        const char *v = a.i < a.argc ? a.argv[a.i] : NULL;
        long n;
        if (strcmp(o, "--encrypt-reads") == 0) {
            cfg.encrypt_reads = true;
            continue;
        }
        if (!v) return usage("an option lacks its value");
        a.i++;
        if (strcmp(o, "--base") == 0)
            cfg.base_url = v;
        else if (strcmp(o, "--secret-env") == 0)
            secret_env = v;
        else if (strcmp(o, "--security-env") == 0)
            security_env = v;
        else if (strcmp(o, "--timeout-ms") == 0 && to_long(v, 1, 600000, &n))
            cfg.timeout_ms = n;
        else if (strcmp(o, "--connect-timeout-ms") == 0 && to_long(v, 1, 600000, &n))
            cfg.connect_timeout_ms = n;
        else if (strcmp(o, "--max-retries") == 0 && to_long(v, -1, 20, &n))
            cfg.max_retries = (int)n;
        else if (strcmp(o, "--backoff-ms") == 0 && to_long(v, 1, 60000, &n))
            cfg.retry_backoff_ms = n;
        else if (strcmp(o, "--accept-language") == 0)
            cfg.accept_language = v;
        else if (strcmp(o, "--test-code") == 0)
            cfg.test_code = v;
        else if (strcmp(o, "--idem") == 0)
            r.idem = v;
        else
            return usage("unknown option or bad value");
    }
    cfg.secret_key = env_or_null(secret_env);
    cfg.security_key = env_or_null(security_env);

    if (pay_client_global_init() != PAY_OK) {
        fprintf(stderr, "client_e2e: pay_client_global_init failed\n");
        return 3;
    }
    pay_error err;
    memset(&err, 0, sizeof err);
    if (pay_client_new(&cfg, &r.c, &err) != PAY_OK) {
        /* err.message names the problem; it never quotes a key. */
        fprintf(stderr, "client_e2e: %s: %s\n", pay_err_name(err.code), err.message);
        pay_client_global_cleanup();
        return 3;
    }
    int status;
    if (strcmp(op, "balances") == 0)
        status = op_balances(&r);
    else if (strcmp(op, "sellers-create") == 0)
        status = op_sellers_create(&r, &a);
    else if (strcmp(op, "sellers-get") == 0)
        status = op_sellers_get(&r, &a);
    else if (strcmp(op, "sellers-list") == 0)
        status = op_sellers_list(&r, &a);
    else if (strcmp(op, "sellers-update") == 0)
        status = op_sellers_update(&r, &a);
    else if (strcmp(op, "sellers-delete") == 0)
        status = op_sellers_delete(&r, &a);
    else if (strcmp(op, "payouts-request") == 0)
        status = op_payouts_request(&r, &a);
    else if (strcmp(op, "payouts-get") == 0)
        status = op_payout_one(&r, &a, false);
    else if (strcmp(op, "payouts-cancel") == 0)
        status = op_payout_one(&r, &a, true);
    else if (strcmp(op, "payouts-list") == 0)
        status = op_payouts_list(&r, &a);
    else if (strcmp(op, "raw") == 0)
        status = op_raw(&r, &a);
    else
        status = usage("unknown operation");
    pay_client_free(r.c);
    pay_client_global_cleanup();
    if (status) return status;
    return r.all_ok ? 0 : 1;
}
