/*
 * payoutctl sellers | payouts | balances: the v2 payout API (spec §4)
 * through libpayout's pay_client_request. The request JSON is built here
 * (from --file or from flags) and the answer is printed as the server sent
 * it: the typed pay_client_* calls would drop fields this tool should show
 * (spec §6.1 allows new ones) and cannot give --raw its envelope.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_common.h"
#include "commands.h"

#define LIST_LIMIT_MAX 1000000000LL   /* the server refuses above 10,000 with its own code */
#define AMOUNT_MAX 1000000000000000LL /* far above any payout; the server's cap is 10^9 */

/* ---- help ------------------------------------------------------------------------- */

static const char sellers_help[] =
    "Usage: payoutctl sellers <create|list|get|update|delete> [options]\n"
    "Sellers of the v2 payout API (POST/GET /v2/sellers, /v2/sellers/{id}).\n"
    "  create   register a seller (sealed)            list    list sellers, oldest first\n"
    "  get ID   one seller                            update ID  change a seller (sealed)\n"
    "  delete ID  delete a seller\n"
    "Examples:\n"
    "  payoutctl sellers create --file seller.json\n"
    "  payoutctl sellers list --limit 20\n"
    "  payoutctl sellers get seller_01kf0w9vdgezd8rdkrt43qvq3g\n"
    "Run payoutctl sellers <subcommand> --help for its options.\n";

#define SELLER_FIELD_HELP                                                                          \
    "  --ref REF              refSellerId (1-20 characters)\n"                                     \
    "  --type TYPE            INDIVIDUAL | INDIVIDUAL_BUSINESS | CORPORATE\n"                      \
    "  --name NAME            individual.name (INDIVIDUAL sellers)\n"                              \
    "  --company-name NAME    company.name (INDIVIDUAL_BUSINESS, CORPORATE)\n"                     \
    "  --representative NAME  company.representativeName\n"                                        \
    "  --brn DIGITS           company.businessRegistrationNumber (10 digits)\n"                    \
    "  --email EMAIL          of the individual or the company\n"                                  \
    "  --phone DIGITS         of the individual or the company (8-15 digits)\n"                    \
    "  --bank CODE            account.bankCode (3 digits, e.g. 088)\n"                             \
    "  --account DIGITS       account.accountNumber\n"                                             \
    "  --holder NAME          account.holderName\n"                                                \
    "  --meta KEY=VALUE       metadata (repeatable; the API allows 5 pairs)\n"

static const char sellers_create_help[] =
    "Usage: payoutctl sellers create (--file FILE | field options)\n"
    "Registers a seller: POST /v2/sellers, the body sealed with the security key.\n"
    "CORPORATE sellers start PARTIALLY_APPROVED (payable), the others APPROVAL_REQUIRED.\n"
    "  --file FILE            a seller JSON object (\"-\": stdin), sent as it is\n"
    /* then the field options */
    SELLER_FIELD_HELP
    /* then the output */
    "Prints the registered seller (entityBody).\n"
    "Examples:\n"
    "  payoutctl sellers create --ref shop-1 --type CORPORATE --company-name '테스트 상호' \\\n"
    "      --representative 김토스 --brn 1234567890 --email toss@sample.com \\\n"
    "      --phone 01012345678 --bank 088 --account 123456789012 --holder 김토스\n"
    "  payoutctl sellers create --file seller.json\n"
    "  SELLER_ID=$(payoutctl sellers create --file seller.json --field id)\n";

static const char sellers_list_help[] =
    "Usage: payoutctl sellers list [--limit N] [--starting-after SELLER_ID]\n"
    "Lists sellers (GET /v2/sellers), oldest first; prints items, hasNext, lastCursor.\n"
    "  --limit N                 page size (server default 10, at most 10,000)\n"
    "  --starting-after ID       the page after this seller (a previous lastCursor)\n"
    "Examples:\n"
    "  payoutctl sellers list --limit 50\n"
    "  payoutctl sellers list --starting-after seller_01kf0w9vdgezd8rdkrt43qvq3g\n";

static const char sellers_get_help[] =
    "Usage: payoutctl sellers get SELLER_ID\n"
    "Shows one seller (GET /v2/sellers/{id}); the account number comes masked.\n"
    "Examples:\n"
    "  payoutctl sellers get seller_01kf0w9vdgezd8rdkrt43qvq3g\n"
    "  payoutctl sellers get seller_01kf0w9vdgezd8rdkrt43qvq3g --field status\n";

static const char sellers_update_help[] =
    "Usage: payoutctl sellers update SELLER_ID (--file FILE | field options)\n"
    "Changes a seller: POST /v2/sellers/{id}, the body sealed with the security key.\n"
    "Only what you give is sent; company, individual and account merge member by\n"
    "member; metadata is replaced as a whole. --email/--phone without --type look the\n"
    "seller up first to know whether they belong to the company or the individual.\n"
    "  --file FILE            the changes as a JSON object (\"-\": stdin), as it is\n"
    /* then the field options */
    SELLER_FIELD_HELP
    /* and one of update's own */
    "  --no-meta              remove the metadata (\"metadata\": null)\n"
    "Examples:\n"
    "  payoutctl sellers update seller_01kf0w9vdgezd8rdkrt43qvq3g --email new@sample.com\n"
    "  payoutctl sellers update seller_01kf0w9vdgezd8rdkrt43qvq3g --bank 004 \\\n"
    "      --account 049210482003 --holder 김기원\n"
    "  echo '{\"metadata\":{\"tier\":\"gold\"}}' | payoutctl sellers update SELLER_ID --file -\n";

static const char sellers_delete_help[] =
    "Usage: payoutctl sellers delete SELLER_ID\n"
    "Deletes a seller (DELETE /v2/sellers/{id}); prints {id, refSellerId}. A seller\n"
    "with payouts still REQUESTED or IN_PROGRESS cannot be deleted.\n"
    "Example:\n"
    "  payoutctl sellers delete seller_01kf0w9vdgezd8rdkrt43qvq3g\n";

static const char payouts_help[] =
    "Usage: payoutctl payouts <request|list|get|cancel> [options]\n"
    "Payouts of the v2 payout API (POST/GET /v2/payouts, /v2/payouts/{id}[/cancel]).\n"
    "  request    request payouts (sealed)        list       list payouts, oldest first\n"
    "  get ID     one payout                      cancel ID  cancel a SCHEDULED payout\n"
    "Examples:\n"
    "  payoutctl payouts request --ref pay-1 --to SELLER_ID --amount 5000 --express \\\n"
    "      --description 대금지급\n"
    "  payoutctl payouts list --from 2026-12-01 --to 2026-12-31\n"
    "  payoutctl payouts get FPA_01kf0w9vdgezd8rdkrt43qvq3g\n"
    "Run payoutctl payouts <subcommand> --help for its options.\n";

static const char payouts_request_help[] =
    "Usage: payoutctl payouts request (--file FILE | field options)\n"
    "Requests payouts: POST /v2/payouts, the body (an array of up to 100 items) sealed\n"
    "with the security key. The whole batch succeeds or fails.\n"
    "  --file FILE          a JSON array of payout items, or one item (\"-\": stdin)\n"
    "  --ref REF            refPayoutId (1-50 characters)\n"
    "  --to SELLER_ID       destination: a PARTIALLY_APPROVED or APPROVED seller\n"
    "  --amount WON         whole won, digits only (5000, not 5,000 or 5000.5)\n"
    "  --express            pay today (business days 08:00-15:00 KST)\n"
    "  --date yyyy-MM-dd    SCHEDULED: pay on this business day (tomorrow .. one year)\n"
    "  --description TEXT   transactionDescription (1-7 characters)\n"
    "  --meta KEY=VALUE     metadata (repeatable; the API allows 5 pairs)\n"
    "Prints the payout list (items with ids and status).\n"
    "Examples:\n"
    "  payoutctl payouts request --ref pay-1 --to seller_01kf0w9vdgezd8rdkrt43qvq3g \\\n"
    "      --amount 50000 --date 2026-12-16 --description '12월 정산'\n"
    "  payoutctl payouts request --file payouts.json --idempotency-key batch-2026-12-16\n"
    "  PAYOUT_ID=$(payoutctl payouts request --file one.json --field items.0.id)\n";

static const char payouts_list_help[] =
    "Usage: payoutctl payouts list [--limit N] [--starting-after PAYOUT_ID]\n"
    "                              [--from yyyy-MM-dd] [--to yyyy-MM-dd]\n"
    "Lists payouts (GET /v2/payouts), oldest first; prints items, hasNext, lastCursor.\n"
    "  --limit N               page size (server default 10, at most 10,000)\n"
    "  --starting-after ID     the page after this payout (a previous lastCursor)\n"
    "  --from DATE, --to DATE  payoutDate range, inclusive (payoutDateGte/Lte)\n"
    "Examples:\n"
    "  payoutctl payouts list --limit 100\n"
    "  payoutctl payouts list --from 2026-12-01 --to 2026-12-31 --field items\n";

static const char payouts_get_help[] =
    "Usage: payoutctl payouts get PAYOUT_ID\n"
    "Shows one payout (GET /v2/payouts/{id}): status, and error when FAILED.\n"
    "Examples:\n"
    "  payoutctl payouts get FPA_01kf0w9vdgezd8rdkrt43qvq3g\n"
    "  payoutctl payouts get FPA_01kf0w9vdgezd8rdkrt43qvq3g --field status\n";

static const char payouts_cancel_help[] =
    "Usage: payoutctl payouts cancel PAYOUT_ID\n"
    "Cancels a SCHEDULED payout that is still REQUESTED (POST /v2/payouts/{id}/cancel,\n"
    "no body); the amount returns to availableAmount.\n"
    "Example:\n"
    "  payoutctl payouts cancel FPA_01kf0w9vdgezd8rdkrt43qvq3g\n";

static const char balances_help[] =
    "Usage: payoutctl balances\n"
    "Shows the merchant's balance (GET /v2/balances): availableAmount, what can be paid\n"
    "out now, and pendingAmount, sales not yet settled.\n"
    "Examples:\n"
    "  payoutctl balances\n"
    "  payoutctl balances --field availableAmount.value\n";

/* ---- shared pieces ------------------------------------------------------------------- */

static int need_id(const char *cmd, const char *what, const char **pos, size_t npos)
{
    if (npos != 1) return payctl_usage(cmd, "give the %s", what);
    if (!payctl_id_ok(pos[0]))
        return payctl_usage(cmd, "\"%s\" is not a %s (1-%d characters of A-Z a-z 0-9 _ -)", pos[0],
                            what, PAYCTL_ID_MAX);
    return -1;
}

/* KEY=VALUE pairs into a metadata object. */
static int meta_json(const char *cmd, const char *const *meta, size_t n, json_t **out)
{
    *out = NULL;
    if (!n) return -1;
    json_t *m = json_object();
    for (size_t k = 0; k < n; k++) {
        const char *eq = strchr(meta[k], '=');
        if (!eq || eq == meta[k]) {
            json_decref(m);
            return payctl_usage(cmd, "--meta takes KEY=VALUE (got \"%s\")", meta[k]);
        }
        char key[256];
        size_t kl = (size_t)(eq - meta[k]);
        if (kl >= sizeof key) {
            json_decref(m);
            return payctl_usage(cmd, "--meta: the key is too long");
        }
        memcpy(key, meta[k], kl);
        key[kl] = 0;
        json_t *v = json_string(eq + 1);
        if (!v) {
            json_decref(m);
            return payctl_usage(cmd, "--meta %s: the value is not UTF-8", key);
        }
        if (json_object_get(m, key)) {
            json_decref(v);
            json_decref(m);
            return payctl_usage(cmd, "--meta %s is given twice", key);
        }
        json_object_set_new(m, key, v);
    }
    *out = m;
    return -1;
}

/* Sets a string member when the value was given; false on invalid UTF-8. */
static bool put(json_t *o, const char *name, const char *v)
{
    if (!v) return true;
    json_t *s = json_string(v);
    if (!s) return false;
    json_object_set_new(o, name, s);
    return true;
}

/* Reads --file as JSON. */
static int file_json(const char *file, json_t **out)
{
    char *text = NULL;
    size_t len = 0;
    int rc = payctl_read_file(file, &text, &len);
    if (rc != PAYCTL_OK) return rc;
    rc = payctl_parse_json(strcmp(file, "-") == 0 ? "stdin" : file, text, len, out);
    free(text);
    return rc == PAYCTL_OK ? -1 : rc;
}

/* Runs one API call with a fresh client. */
static int run(bool seal, const char *method, const char *path, json_t *body)
{
    pay_client *c = NULL;
    int rc = payctl_client_new(seal, &c);
    if (rc != PAYCTL_OK) {
        json_decref(body);
        return rc;
    }
    rc = payctl_call(c, method, path, body, seal);
    pay_client_free(c);
    return rc;
}

/* "?limit=..&startingAfter=.." from list options already checked. */
static void list_query(char *path, size_t cap, const char *base, const char *limit,
                       const char *after, const char *from, const char *to)
{
    size_t n = (size_t)snprintf(path, cap, "%s", base);
    const char *names[4] = {"limit", "startingAfter", "payoutDateGte", "payoutDateLte"};
    const char *values[4] = {limit, after, from, to};
    char sep = '?';
    for (int k = 0; k < 4; k++) {
        if (!values[k] || n >= cap) continue;
        n += (size_t)snprintf(path + n, cap - n, "%c%s=%s", sep, names[k], values[k]);
        sep = '&';
    }
}

static int check_list_options(const char *cmd, const char *limit, const char *after,
                              const char *from, const char *to)
{
    long long n;
    if (limit && !payctl_parse_count(limit, LIST_LIMIT_MAX, &n))
        return payctl_usage(cmd, "--limit takes a whole number from 1 (got \"%s\")", limit);
    if (after && !payctl_id_ok(after))
        return payctl_usage(cmd, "--starting-after takes an id (got \"%s\")", after);
    if (from && !payctl_date_shape(from))
        return payctl_usage(cmd, "--from takes yyyy-MM-dd (got \"%s\")", from);
    if (to && !payctl_date_shape(to))
        return payctl_usage(cmd, "--to takes yyyy-MM-dd (got \"%s\")", to);
    return -1;
}

/* ---- sellers --------------------------------------------------------------------------- */

typedef struct seller_flags {
    const char *file, *ref, *type, *name, *company_name, *representative, *brn, *email, *phone;
    const char *bank, *account, *holder;
    const char *meta[PAYCTL_META_MAX];
    size_t nmeta;
    bool no_meta;
} seller_flags;

static size_t seller_options(seller_flags *f, payctl_option *o)
{
    const struct {
        const char *name;
        const char **slot;
    } v[] = {
        {"--file", &f->file},
        {"--ref", &f->ref},
        {"--type", &f->type},
        {"--name", &f->name},
        {"--company-name", &f->company_name},
        {"--representative", &f->representative},
        {"--brn", &f->brn},
        {"--email", &f->email},
        {"--phone", &f->phone},
        {"--bank", &f->bank},
        {"--account", &f->account},
        {"--holder", &f->holder},
    };
    size_t n = 0;
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        memset(&o[n], 0, sizeof o[n]);
        o[n].name = v[k].name;
        o[n].value = v[k].slot;
        n++;
    }
    memset(&o[n], 0, sizeof o[n]);
    o[n].name = "--meta";
    o[n].list = f->meta;
    o[n].list_len = &f->nmeta;
    o[n].list_max = PAYCTL_META_MAX;
    n++;
    return n;
}

static bool seller_any_field(const seller_flags *f)
{
    return f->ref || f->type || f->name || f->company_name || f->representative || f->brn ||
           f->email || f->phone || f->bank || f->account || f->holder || f->nmeta || f->no_meta;
}

/* Upper-cases a business type and checks it; NULL when unknown. */
static const char *business_type(const char *t)
{
    static const char *const types[] = {"INDIVIDUAL", "INDIVIDUAL_BUSINESS", "CORPORATE"};
    for (size_t k = 0; k < 3; k++)
        if (strcasecmp(t, types[k]) == 0) return types[k];
    return NULL;
}

/* Builds the seller JSON from flags. `type` is the seller's business type
 * (known or looked up), NULL when no company/individual member is set. */
static int seller_from_flags(const char *cmd, const seller_flags *f, const char *type,
                             bool send_type, json_t **out)
{
    json_t *o = json_object();
    json_t *part = NULL, *account = NULL, *meta = NULL;
    bool ok = put(o, "refSellerId", f->ref) && (!send_type || put(o, "businessType", type));
    int rc = -1;
    if (type && strcmp(type, "INDIVIDUAL") == 0) {
        if (f->company_name || f->representative || f->brn) {
            rc = payctl_usage(cmd, "--company-name, --representative and --brn belong to "
                                   "INDIVIDUAL_BUSINESS and CORPORATE sellers; an INDIVIDUAL "
                                   "seller has --name, --email and --phone");
            goto fail;
        }
        if (f->name || f->email || f->phone) {
            part = json_object();
            ok = ok && put(part, "name", f->name) && put(part, "email", f->email) &&
                 put(part, "phone", f->phone);
            json_object_set_new(o, "individual", part);
        }
    } else if (type) {
        if (f->name) {
            rc = payctl_usage(cmd,
                              "--name is an INDIVIDUAL seller's name; a %s seller has "
                              "--company-name and --representative",
                              type);
            goto fail;
        }
        if (f->company_name || f->representative || f->brn || f->email || f->phone) {
            part = json_object();
            ok = ok && put(part, "name", f->company_name) &&
                 put(part, "representativeName", f->representative) &&
                 put(part, "businessRegistrationNumber", f->brn) && put(part, "email", f->email) &&
                 put(part, "phone", f->phone);
            json_object_set_new(o, "company", part);
        }
    }
    if (f->bank || f->account || f->holder) {
        account = json_object();
        ok = ok && put(account, "bankCode", f->bank) && put(account, "accountNumber", f->account) &&
             put(account, "holderName", f->holder);
        json_object_set_new(o, "account", account);
    }
    if (f->no_meta && f->nmeta) {
        rc = payctl_usage(cmd, "--meta and --no-meta exclude each other");
        goto fail;
    }
    if (f->no_meta) json_object_set_new(o, "metadata", json_null());
    rc = meta_json(cmd, f->meta, f->nmeta, &meta);
    if (rc != -1) goto fail;
    if (meta) json_object_set_new(o, "metadata", meta);
    if (!ok) {
        rc = payctl_usage(cmd, "a value is not valid UTF-8");
        goto fail;
    }
    *out = o;
    return -1;
fail:
    json_decref(o);
    return rc;
}

static int sellers_create(int argc, char **argv)
{
    const char *cmd = "sellers create ";
    seller_flags f;
    payctl_option opts[20];
    const char *pos[1];
    size_t npos;
    memset(&f, 0, sizeof f);
    memset(opts, 0, sizeof opts);
    size_t n = seller_options(&f, opts);
    opts[n].name = NULL;
    int rc =
        payctl_parse_args("sellers create", sellers_create_help, opts, argc, argv, pos, 0, &npos);
    if (rc != -1) return rc;
    json_t *body = NULL;
    if (f.file) {
        if (seller_any_field(&f))
            return payctl_usage(cmd, "give the seller either with --file or with field options");
        if ((rc = file_json(f.file, &body)) != -1) return rc;
        if (!json_is_object(body)) {
            json_decref(body);
            return payctl_usage(cmd, "a seller is a JSON object ({\"refSellerId\": ...})");
        }
    } else {
        if (!seller_any_field(&f))
            return payctl_usage(cmd, "give the seller with --file FILE or with --ref, --type, ...");
        if (!f.type)
            return payctl_usage(cmd, "--type is required: INDIVIDUAL, INDIVIDUAL_BUSINESS or "
                                     "CORPORATE");
        const char *type = business_type(f.type);
        if (!type)
            return payctl_usage(cmd,
                                "--type is INDIVIDUAL, INDIVIDUAL_BUSINESS or CORPORATE "
                                "(got \"%s\")",
                                f.type);
        if (!f.ref) return payctl_usage(cmd, "--ref (refSellerId) is required");
        if ((rc = seller_from_flags(cmd, &f, type, true, &body)) != -1) return rc;
    }
    return run(true, "POST", "/v2/sellers", body);
}

static int sellers_list(int argc, char **argv)
{
    const char *limit = NULL, *after = NULL;
    payctl_option opts[] = {{"--limit", &limit, NULL, NULL, NULL, 0},
                            {"--starting-after", &after, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    const char *pos[1];
    size_t npos;
    int rc = payctl_parse_args("sellers list", sellers_list_help, opts, argc, argv, pos, 0, &npos);
    if (rc != -1) return rc;
    if ((rc = check_list_options("sellers list ", limit, after, NULL, NULL)) != -1) return rc;
    char path[256];
    list_query(path, sizeof path, "/v2/sellers", limit, after, NULL, NULL);
    return run(false, "GET", path, NULL);
}

static int seller_by_id(int argc, char **argv, const char *name, const char *help,
                        const char *method)
{
    char cmd[64];
    const char *pos[1];
    size_t npos;
    snprintf(cmd, sizeof cmd, "sellers %s", name);
    int rc = payctl_parse_args(cmd, help, NULL, argc, argv, pos, 1, &npos);
    if (rc != -1) return rc;
    snprintf(cmd, sizeof cmd, "sellers %s ", name);
    if ((rc = need_id(cmd, "seller id", pos, npos)) != -1) return rc;
    char path[128];
    snprintf(path, sizeof path, "/v2/sellers/%s", pos[0]);
    return run(false, method, path, NULL);
}

static int sellers_update(int argc, char **argv)
{
    const char *cmd = "sellers update ";
    seller_flags f;
    payctl_option opts[20];
    const char *pos[1];
    size_t npos;
    memset(&f, 0, sizeof f);
    memset(opts, 0, sizeof opts);
    size_t n = seller_options(&f, opts);
    opts[n].name = "--no-meta";
    opts[n].flag = &f.no_meta;
    opts[n + 1].name = NULL;
    int rc =
        payctl_parse_args("sellers update", sellers_update_help, opts, argc, argv, pos, 1, &npos);
    if (rc != -1) return rc;
    if ((rc = need_id(cmd, "seller id", pos, npos)) != -1) return rc;
    char path[128];
    snprintf(path, sizeof path, "/v2/sellers/%s", pos[0]);
    json_t *body = NULL;
    pay_client *c = NULL;
    if (f.file) {
        if (seller_any_field(&f))
            return payctl_usage(cmd, "give the changes either with --file or with field options");
        if ((rc = file_json(f.file, &body)) != -1) return rc;
        if (!json_is_object(body)) {
            json_decref(body);
            return payctl_usage(cmd, "the changes are a JSON object ({\"account\": {...}})");
        }
    } else if (!seller_any_field(&f)) {
        return payctl_usage(cmd, "nothing to change: give --file FILE or field options");
    }
    if (f.name && (f.company_name || f.representative || f.brn))
        return payctl_usage(cmd, "--name (INDIVIDUAL) and --company-name/--representative/--brn "
                                 "(businesses) exclude each other");
    const char *type = NULL;
    if (f.type && !(type = business_type(f.type)))
        return payctl_usage(cmd,
                            "--type is INDIVIDUAL, INDIVIDUAL_BUSINESS or CORPORATE (got "
                            "\"%s\")",
                            f.type);
    rc = payctl_client_new(true, &c);
    if (rc != PAYCTL_OK) {
        json_decref(body);
        return rc;
    }
    json_t *seller = NULL;
    if (!body) {
        /* Which member --email/--phone belong to depends on the seller. */
        if (!type && f.name)
            type = "INDIVIDUAL";
        else if (!type && (f.company_name || f.representative || f.brn))
            type = "CORPORATE"; /* any business type: only "company" matters */
        else if (!type && (f.email || f.phone)) {
            payctl_note("looking the seller up to know whether --email/--phone are the "
                        "company's or the individual's");
            rc = payctl_fetch(c, "GET", path, NULL, false, &seller);
            if (rc != PAYCTL_OK) goto out;
            const char *t = json_string_value(
                json_object_get(json_object_get(seller, "entityBody"), "businessType"));
            type = t ? business_type(t) : NULL;
            if (!type) {
                fprintf(stderr, "error: the seller's businessType is unreadable\n");
                rc = PAYCTL_CRYPTO;
                goto out;
            }
        }
        if ((rc = seller_from_flags(cmd, &f, type, f.type != NULL, &body)) != -1) goto out;
    }
    rc = payctl_call(c, "POST", path, body, true);
out:
    json_decref(seller);
    pay_client_free(c);
    return rc;
}

/* Finds the subcommand after the group name, allowing global options and
 * --help before it. Returns -1 with *sub set, or an exit code. */
static int group_sub(int argc, char **argv, const char *help, int *sub)
{
    for (int i = 1; i < argc; i++) {
        if (payctl_is_help(argv[i])) return payctl_help(help);
        if (argv[i][0] != '-') {
            *sub = i;
            return -1;
        }
        int g = payctl_global_option(argc, argv, &i);
        if (g < 0) return PAYCTL_USAGE;
        if (g == 0) return payctl_usage("", "unknown option %s before the subcommand", argv[i]);
    }
    fputs(help, stderr);
    return PAYCTL_USAGE;
}

int payctl_sellers(int argc, char **argv)
{
    int s = 0;
    int rc = group_sub(argc, argv, sellers_help, &s);
    if (rc != -1) return rc;
    const char *sub = argv[s];
    int n = argc - s - 1;
    char **rest = argv + s + 1;
    if (strcmp(sub, "create") == 0) return sellers_create(n, rest);
    if (strcmp(sub, "list") == 0) return sellers_list(n, rest);
    if (strcmp(sub, "get") == 0) return seller_by_id(n, rest, "get", sellers_get_help, "GET");
    if (strcmp(sub, "update") == 0) return sellers_update(n, rest);
    if (strcmp(sub, "delete") == 0)
        return seller_by_id(n, rest, "delete", sellers_delete_help, "DELETE");
    return payctl_usage("sellers ", "unknown subcommand \"%s\" (create, list, get, update, delete)",
                        sub);
}

/* ---- payouts ----------------------------------------------------------------------------- */

/* C24: amounts are whole won as a JSON number; "5,000" or 5000.5 are
 * refused here, before anything is sent, with the reason. */
static int parse_amount(const char *cmd, const char *s, long long *out)
{
    if (payctl_parse_count(s, AMOUNT_MAX, out)) return -1;
    if (strchr(s, ',')) {
        char plain[64];
        size_t n = 0;
        for (const char *p = s; *p && n + 1 < sizeof plain; p++)
            if (*p != ',') plain[n++] = *p;
        plain[n] = 0;
        long long v;
        if (payctl_parse_count(plain, AMOUNT_MAX, &v))
            return payctl_usage(cmd,
                                "--amount is whole won in digits only: got \"%s\" (no "
                                "thousands separators: write %s)",
                                s, plain);
        return payctl_usage(cmd,
                            "--amount is whole won in digits only: got \"%s\" (no "
                            "thousands separators)",
                            s);
    }
    if (strchr(s, '.'))
        return payctl_usage(cmd, "--amount is whole won: got \"%s\" (KRW has no fractions)", s);
    return payctl_usage(cmd,
                        "--amount is a positive whole number of won, digits only: got "
                        "\"%s\"",
                        s);
}

static int payouts_request(int argc, char **argv)
{
    const char *cmd = "payouts request ";
    const char *file = NULL, *ref = NULL, *to = NULL, *amount = NULL, *date = NULL, *desc = NULL;
    const char *meta[PAYCTL_META_MAX];
    size_t nmeta = 0;
    bool express = false;
    payctl_option opts[] = {{"--file", &file, NULL, NULL, NULL, 0},
                            {"--ref", &ref, NULL, NULL, NULL, 0},
                            {"--to", &to, NULL, NULL, NULL, 0},
                            {"--amount", &amount, NULL, NULL, NULL, 0},
                            {"--date", &date, NULL, NULL, NULL, 0},
                            {"--description", &desc, NULL, NULL, NULL, 0},
                            {"--express", NULL, &express, NULL, NULL, 0},
                            {"--meta", NULL, NULL, meta, &nmeta, PAYCTL_META_MAX},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    const char *pos[1];
    size_t npos;
    int rc =
        payctl_parse_args("payouts request", payouts_request_help, opts, argc, argv, pos, 0, &npos);
    if (rc != -1) return rc;
    bool any = ref || to || amount || date || desc || express || nmeta;
    json_t *body = NULL;
    if (file) {
        if (any) return payctl_usage(cmd, "give the payouts either with --file or with options");
        if ((rc = file_json(file, &body)) != -1) return rc;
        if (json_is_object(body)) { /* one item: the API takes an array */
            json_t *arr = json_array();
            json_array_append_new(arr, body);
            body = arr;
        }
        bool ok = json_is_array(body) && json_array_size(body) > 0;
        for (size_t k = 0; ok && k < json_array_size(body); k++)
            ok = json_is_object(json_array_get(body, k));
        if (!ok) {
            json_decref(body);
            return payctl_usage(cmd, "payouts are a JSON array of objects (or one object)");
        }
    } else {
        if (!any) return payctl_usage(cmd, "give the payout with --file FILE or with options");
        const char *missing = !ref      ? "--ref"
                              : !to     ? "--to"
                              : !amount ? "--amount"
                              : !desc   ? "--description"
                                        : NULL;
        if (missing) return payctl_usage(cmd, "%s is required", missing);
        if (express == (date != NULL))
            return payctl_usage(cmd, "give exactly one of --express or --date yyyy-MM-dd");
        if (date && !payctl_date_shape(date))
            return payctl_usage(cmd, "--date takes yyyy-MM-dd (got \"%s\")", date);
        if (!payctl_id_ok(to)) return payctl_usage(cmd, "--to takes a seller id (got \"%s\")", to);
        long long won;
        if ((rc = parse_amount(cmd, amount, &won)) != -1) return rc;
        json_t *m = NULL;
        if ((rc = meta_json(cmd, meta, nmeta, &m)) != -1) return rc;
        json_t *item = json_object();
        bool ok = put(item, "refPayoutId", ref) && put(item, "destination", to) &&
                  put(item, "scheduleType", express ? "EXPRESS" : "SCHEDULED") &&
                  put(item, "payoutDate", date) &&
                  json_object_set_new(
                      item, "amount",
                      json_pack("{s:s,s:I}", "currency", "KRW", "value", (json_int_t)won)) == 0 &&
                  put(item, "transactionDescription", desc);
        if (m) json_object_set_new(item, "metadata", m);
        if (!ok) {
            json_decref(item);
            return payctl_usage(cmd, "a value is not valid UTF-8");
        }
        body = json_array();
        json_array_append_new(body, item);
    }
    return run(true, "POST", "/v2/payouts", body);
}

static int payouts_list(int argc, char **argv)
{
    const char *limit = NULL, *after = NULL, *from = NULL, *to = NULL;
    payctl_option opts[] = {{"--limit", &limit, NULL, NULL, NULL, 0},
                            {"--starting-after", &after, NULL, NULL, NULL, 0},
                            {"--from", &from, NULL, NULL, NULL, 0},
                            {"--to", &to, NULL, NULL, NULL, 0},
                            {NULL, NULL, NULL, NULL, NULL, 0}};
    const char *pos[1];
    size_t npos;
    int rc = payctl_parse_args("payouts list", payouts_list_help, opts, argc, argv, pos, 0, &npos);
    if (rc != -1) return rc;
    if ((rc = check_list_options("payouts list ", limit, after, from, to)) != -1) return rc;
    char path[256];
    list_query(path, sizeof path, "/v2/payouts", limit, after, from, to);
    return run(false, "GET", path, NULL);
}

static int payout_by_id(int argc, char **argv, const char *name, const char *help)
{
    char cmd[64];
    const char *pos[1];
    size_t npos;
    bool cancel = strcmp(name, "cancel") == 0;
    snprintf(cmd, sizeof cmd, "payouts %s", name);
    int rc = payctl_parse_args(cmd, help, NULL, argc, argv, pos, 1, &npos);
    if (rc != -1) return rc;
    snprintf(cmd, sizeof cmd, "payouts %s ", name);
    if ((rc = need_id(cmd, "payout id", pos, npos)) != -1) return rc;
    char path[128];
    snprintf(path, sizeof path, "/v2/payouts/%s%s", pos[0], cancel ? "/cancel" : "");
    /* Cancel has no body and no encryption (spec §2.3). */
    return run(false, cancel ? "POST" : "GET", path, NULL);
}

int payctl_payouts(int argc, char **argv)
{
    int s = 0;
    int rc = group_sub(argc, argv, payouts_help, &s);
    if (rc != -1) return rc;
    const char *sub = argv[s];
    int n = argc - s - 1;
    char **rest = argv + s + 1;
    if (strcmp(sub, "request") == 0) return payouts_request(n, rest);
    if (strcmp(sub, "list") == 0) return payouts_list(n, rest);
    if (strcmp(sub, "get") == 0) return payout_by_id(n, rest, "get", payouts_get_help);
    if (strcmp(sub, "cancel") == 0) return payout_by_id(n, rest, "cancel", payouts_cancel_help);
    return payctl_usage("payouts ", "unknown subcommand \"%s\" (request, list, get, cancel)", sub);
}

/* ---- balances ------------------------------------------------------------------------------ */

int payctl_balances(int argc, char **argv)
{
    const char *pos[1];
    size_t npos;
    /* "balances" and "balances get" are the same command. */
    int skip = argc > 1 && strcmp(argv[1], "get") == 0 ? 2 : 1;
    int rc =
        payctl_parse_args("balances", balances_help, NULL, argc - skip, argv + skip, pos, 0, &npos);
    if (rc != -1) return rc;
    return run(false, "GET", "/v2/balances", NULL);
}
