/*
 * payoutctl's shared machinery: global options, credentials (case C07),
 * the libpayout client, and how answers and errors are printed.
 */
#include "cli_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

payctl_globals payctl_g;

const char payctl_global_help[] =
    "Global options (before or after the command):\n"
    "  --base-url URL          API base URL (env PAYOUT_BASE_URL; default\n"
    "                          " PAY_DEFAULT_BASE_URL "; payoutd: http://127.0.0.1:8080)\n"
    "  --secret-key-file FILE  secret key from the first line of FILE (env PAYOUT_SECRET_KEY)\n"
    "  --security-key-file FILE  security key (64 hex) from the first line of FILE\n"
    "                          (env PAYOUT_SECURITY_KEY)\n"
    "  --secret-key KEY, --security-key KEY\n"
    "                          keys on the command line (visible to other users: prefer the\n"
    "                          environment or a file)\n"
    "  --timeout SECONDS       per attempt (default 60)\n"
    "  --retries N             extra attempts, 0-10, on transient network errors, 5xx, 429\n"
    "                          and 409 (default 2)\n"
    "  --lang en|ko            language of the server's messages (default: the server's)\n"
    "  --encrypt-reads         ask for sealed answers on GET and DELETE too\n"
    "  --ca-file FILE          extra CA bundle (a payoutd with a self-signed certificate)\n"
    "  --test-code CODE        TossPayments-Test-Code: reproduce an error (test keys only)\n"
    "  --idempotency-key KEY   Idempotency-Key of a POST (default: a fresh UUID per command)\n"
    "  --raw                   print the answer envelope exactly as received (decrypted)\n"
    "  --field PATH            print one value of the output, e.g. id or items.0.status\n"
    "  --verbose, -v           attempts, trace id, idempotency key, replay, key sources\n"
    "                          (never a key) on stderr\n"
    "  --admin-url URL         admin API (env PAYOUTD_ADMIN_URL; default http://127.0.0.1:8080)\n"
    "  --admin-token-file FILE admin token (env PAYOUTD_ADMIN_TOKEN)\n"
    "  --merchant MID          merchant of admin commands (env PAYOUTD_MERCHANT)\n"
    "Exit codes: 0 ok, 1 the server refused (API error), 2 usage, 3 network,\n"
    "4 unreadable key, token or answer, 5 credentials rejected or not permitted (401/403).\n";

void payctl_globals_init(void)
{
    memset(&payctl_g, 0, sizeof payctl_g);
    payctl_g.retries = -1;
}

bool payctl_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

bool payctl_opt(int argc, char **argv, int *i, const char *name, const char **value, bool *bad)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return false;
    if (a[n] == '=') {
        *value = a + n + 1;
        return true;
    }
    if (a[n] != 0) return false;
    if (*i + 1 >= argc) {
        fprintf(stderr, "payoutctl: %s needs a value\n", name);
        *bad = true;
        return true;
    }
    *i += 1;
    *value = argv[*i];
    return true;
}

int payctl_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("payoutctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nsee: payoutctl %s--help\n", cmd && cmd[0] ? cmd : "");
    return PAYCTL_USAGE;
}

void payctl_note(const char *fmt, ...)
{
    if (!payctl_g.verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("payoutctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int payctl_help(const char *text)
{
    fputs(text, stdout);
    fputc('\n', stdout);
    fputs(payctl_global_help, stdout);
    return PAYCTL_OK;
}

bool payctl_parse_count(const char *s, long long max, long long *out)
{
    long long v = 0;
    if (!s || !*s) return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        if (v > (max - (*p - '0')) / 10) return false;
        v = v * 10 + (*p - '0');
    }
    if (v < 1) return false;
    *out = v;
    return true;
}

bool payctl_date_shape(const char *s)
{
    if (!s || strlen(s) != 10) return false;
    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return false;
    }
    return true;
}

bool payctl_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > PAYCTL_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* ---- global options ------------------------------------------------------------ */

int payctl_global_option(int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = NULL;
    bool bad = false;
    if (strcmp(a, "--raw") == 0) {
        payctl_g.raw = true;
        return 1;
    }
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
        payctl_g.verbose = true;
        return 1;
    }
    if (strcmp(a, "--encrypt-reads") == 0) {
        payctl_g.encrypt_reads = true;
        return 1;
    }
    static const struct {
        const char *name;
        size_t offset;
    } plain[] = {
        {"--base-url", offsetof(payctl_globals, base_url)},
        {"--secret-key", offsetof(payctl_globals, secret_key)},
        {"--security-key", offsetof(payctl_globals, security_key)},
        {"--secret-key-file", offsetof(payctl_globals, secret_key_file)},
        {"--security-key-file", offsetof(payctl_globals, security_key_file)},
        {"--ca-file", offsetof(payctl_globals, ca_file)},
        {"--test-code", offsetof(payctl_globals, test_code)},
        {"--idempotency-key", offsetof(payctl_globals, idempotency_key)},
        {"--field", offsetof(payctl_globals, field)},
        {"--admin-url", offsetof(payctl_globals, admin_url)},
        {"--admin-token-file", offsetof(payctl_globals, admin_token_file)},
        {"--merchant", offsetof(payctl_globals, merchant)},
    };
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++) {
        if (payctl_opt(argc, argv, i, plain[k].name, &v, &bad)) {
            if (bad) return -1;
            if (!v[0]) {
                fprintf(stderr, "payoutctl: %s needs a non-empty value\n", plain[k].name);
                return -1;
            }
            *(const char **)((char *)&payctl_g + plain[k].offset) = v;
            return 1;
        }
    }
    if (payctl_opt(argc, argv, i, "--timeout", &v, &bad)) {
        long long n;
        if (bad) return -1;
        if (!payctl_parse_count(v, PAYCTL_TIMEOUT_MAX, &n)) {
            fprintf(stderr, "payoutctl: --timeout takes whole seconds, 1 to %d (got \"%s\")\n",
                    PAYCTL_TIMEOUT_MAX, v);
            return -1;
        }
        payctl_g.timeout_s = (long)n;
        return 1;
    }
    if (payctl_opt(argc, argv, i, "--retries", &v, &bad)) {
        long long n = 0;
        if (bad) return -1;
        if (strcmp(v, "0") != 0 && !payctl_parse_count(v, PAYCTL_RETRIES_MAX, &n)) {
            fprintf(stderr, "payoutctl: --retries takes 0 to %d (got \"%s\")\n", PAYCTL_RETRIES_MAX,
                    v);
            return -1;
        }
        payctl_g.retries = (int)n;
        return 1;
    }
    if (payctl_opt(argc, argv, i, "--lang", &v, &bad)) {
        if (bad) return -1;
        if (strcmp(v, "en") != 0 && strcmp(v, "ko") != 0) {
            fprintf(stderr, "payoutctl: --lang is en or ko (got \"%s\")\n", v);
            return -1;
        }
        payctl_g.lang = v;
        return 1;
    }
    return 0;
}

/* ---- input ------------------------------------------------------------------------ */

int payctl_read_file(const char *path, char **data, size_t *len)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    *data = NULL;
    *len = 0;
    if (!f) {
        fprintf(stderr, "payoutctl: cannot read %s: %s\n", path, strerror(errno));
        return PAYCTL_USAGE;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = PAYCTL_OK;
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > PAYCTL_INPUT_MAX) break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (!buf) {
        fprintf(stderr, "payoutctl: out of memory reading %s\n", path);
        rc = PAYCTL_CRYPTO;
    } else if (n > PAYCTL_INPUT_MAX) {
        fprintf(stderr, "payoutctl: %s is larger than %d bytes\n", is_stdin ? "stdin" : path,
                PAYCTL_INPUT_MAX);
        rc = PAYCTL_USAGE;
    } else if (ferror(f)) {
        fprintf(stderr, "payoutctl: cannot read %s: %s\n", is_stdin ? "stdin" : path,
                strerror(errno));
        rc = PAYCTL_USAGE;
    }
    if (!is_stdin) fclose(f);
    if (rc != PAYCTL_OK) {
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return PAYCTL_OK;
}

int payctl_parse_json(const char *what, const char *text, size_t len, json_t **out)
{
    json_error_t e;
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!*out) {
        fprintf(stderr, "payoutctl: %s is not JSON: line %d, column %d: %s\n", what, e.line,
                e.column, e.text);
        return PAYCTL_USAGE;
    }
    return PAYCTL_OK;
}

/* ---- credentials (C07) -------------------------------------------------------------- */

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void payctl_secret_free(char *s)
{
    if (!s) return;
    wipe(s, strlen(s));
    free(s);
}

/* Removes one trailing line ending in place; returns its name or NULL. */
static const char *strip_line_ending(char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n') {
        s[n - 2] = 0;
        return "CR LF";
    }
    if (n >= 1 && s[n - 1] == '\n') {
        s[n - 1] = 0;
        return "LF";
    }
    if (n >= 1 && s[n - 1] == '\r') {
        s[n - 1] = 0;
        return "CR";
    }
    return NULL;
}

/* The first line of a key file (with its line ending, removed later). */
static int read_first_line(const char *what, const char *file, char **out)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "payoutctl: cannot read the %s file %s: %s\n", what, file, strerror(errno));
        return PAYCTL_CRYPTO;
    }
    char buf[PAYCTL_KEY_FILE_MAX + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    bool err = ferror(f) != 0;
    fclose(f);
    int rc = PAYCTL_OK;
    if (err) {
        fprintf(stderr, "payoutctl: cannot read the %s file %s\n", what, file);
        rc = PAYCTL_CRYPTO;
    } else if (n > PAYCTL_KEY_FILE_MAX) {
        fprintf(stderr, "payoutctl: the %s file %s is over %d bytes: not a key file\n", what, file,
                PAYCTL_KEY_FILE_MAX);
        rc = PAYCTL_CRYPTO;
    } else {
        size_t line = 0;
        while (line < n && buf[line] != '\n')
            line++;
        size_t keep = line < n ? line + 1 : n; /* the LF stays, to be reported */
        bool more = false;
        for (size_t k = keep; k < n; k++)
            more |= !(buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r' || buf[k] == '\n');
        if (more) payctl_note("%s: using the first line of %s; the rest is ignored", what, file);
        *out = malloc(keep + 1);
        if (*out) {
            memcpy(*out, buf, keep);
            (*out)[keep] = 0;
        } else {
            rc = PAYCTL_CRYPTO;
        }
    }
    wipe(buf, sizeof buf);
    return rc;
}

int payctl_load_secret(const char *what, const char *flag_value, const char *file,
                       const char *env_name, char **out, char *source, size_t source_cap)
{
    *out = NULL;
    source[0] = 0;
    if (flag_value) {
        /* As given: a key typed on the command line is not "read", so a
         * stray character is reported by libpayout, never repaired. */
        *out = strdup(flag_value);
        snprintf(source, source_cap, "the command line");
        return *out ? PAYCTL_OK : PAYCTL_CRYPTO;
    }
    const char *env = NULL;
    if (file) {
        int rc = read_first_line(what, file, out);
        if (rc != PAYCTL_OK) return rc;
        snprintf(source, source_cap, "file %s", file);
    } else if ((env = getenv(env_name)) != NULL && env[0]) {
        *out = strdup(env);
        if (!*out) return PAYCTL_CRYPTO;
        snprintf(source, source_cap, "$%s", env_name);
    } else {
        return PAYCTL_OK;
    }
    /* C07 (b): a key read from a .env file or `$(cat key)` often ends in a
     * newline; exactly one line ending is removed, and only here. */
    const char *removed = strip_line_ending(*out);
    if (removed)
        payctl_note("%s from %s: removed one trailing %s", what, source, removed);
    else
        payctl_note("%s from %s", what, source);
    return PAYCTL_OK;
}

int payctl_client_new(bool need_security_key, pay_client **out)
{
    char *secret = NULL, *security = NULL;
    char secret_src[512], security_src[512];
    int rc;
    *out = NULL;
    rc = payctl_load_secret("secret key", payctl_g.secret_key, payctl_g.secret_key_file,
                            "PAYOUT_SECRET_KEY", &secret, secret_src, sizeof secret_src);
    if (rc != PAYCTL_OK) goto out;
    rc = payctl_load_secret("security key", payctl_g.security_key, payctl_g.security_key_file,
                            "PAYOUT_SECURITY_KEY", &security, security_src, sizeof security_src);
    if (rc != PAYCTL_OK) goto out;
    if (!secret) {
        fprintf(stderr, "payoutctl: no secret key: set PAYOUT_SECRET_KEY or use "
                        "--secret-key-file FILE\n");
        rc = PAYCTL_USAGE;
        goto out;
    }
    if (!secret[0]) {
        fprintf(stderr, "error: the secret key from %s is empty\n", secret_src);
        rc = PAYCTL_CRYPTO;
        goto out;
    }
    if (need_security_key && !security) {
        fprintf(stderr, "payoutctl: this command seals its request with the security key: set "
                        "PAYOUT_SECURITY_KEY or use --security-key-file FILE\n");
        rc = PAYCTL_USAGE;
        goto out;
    }
    if (payctl_g.encrypt_reads && !security) {
        fprintf(stderr, "payoutctl: --encrypt-reads needs the security key to open the answer: "
                        "set PAYOUT_SECURITY_KEY or use --security-key-file FILE\n");
        rc = PAYCTL_USAGE;
        goto out;
    }
    const char *base = payctl_g.base_url;
    if (!base) base = getenv("PAYOUT_BASE_URL");
    if (base && !base[0]) base = NULL;
    pay_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = base;
    cfg.secret_key = secret;
    cfg.security_key = security;
    if (payctl_g.timeout_s > 0) {
        cfg.timeout_ms = payctl_g.timeout_s * 1000;
        cfg.connect_timeout_ms = cfg.timeout_ms < 10000 ? cfg.timeout_ms : 10000;
    }
    /* libpayout: 0 = its default (2), -1 = none. */
    cfg.max_retries = payctl_g.retries < 0 ? 0 : payctl_g.retries == 0 ? -1 : payctl_g.retries;
    cfg.accept_language = !payctl_g.lang                     ? NULL
                          : strcmp(payctl_g.lang, "en") == 0 ? "en-US"
                                                             : "ko-KR";
    cfg.encrypt_reads = payctl_g.encrypt_reads;
    cfg.ca_file = payctl_g.ca_file;
    cfg.test_code = payctl_g.test_code;
    cfg.user_agent = "payoutctl/" PAYCTL_VERSION " (libpayout)";
    payctl_note("base URL %s", base ? base : PAY_DEFAULT_BASE_URL);
    pay_error err;
    memset(&err, 0, sizeof err);
    pay_err prc = pay_client_new(&cfg, out, &err);
    if (prc == PAY_ERR_KEY_LENGTH || prc == PAY_ERR_KEY_CHAR) {
        /* libpayout's own sentence names the length or the character. */
        fprintf(stderr, "error: the security key from %s is not usable: %s\n", security_src,
                err.message);
        rc = PAYCTL_CRYPTO;
    } else if (prc == PAY_ERR_INVALID_ARG) {
        fprintf(stderr, "error: the secret key from %s is not usable: %s\n", secret_src,
                err.message);
        rc = PAYCTL_CRYPTO;
    } else if (prc != PAY_OK) {
        fprintf(stderr, "error: cannot create the client: %s\n",
                err.message[0] ? err.message : pay_strerror(prc));
        rc = PAYCTL_CRYPTO;
    }
out:
    payctl_secret_free(secret);
    payctl_secret_free(security);
    return rc;
}

/* ---- output -------------------------------------------------------------------------- */

static const json_t *select_path(const json_t *root, const char *path)
{
    const json_t *cur = root;
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char seg[256];
        if (n == 0 || n >= sizeof seg) return NULL;
        memcpy(seg, p, n);
        seg[n] = 0;
        if (json_is_array(cur)) {
            long long idx;
            if (strcmp(seg, "0") == 0)
                idx = 0;
            else if (!payctl_parse_count(seg, 1000000000LL, &idx))
                return NULL;
            cur = json_array_get(cur, (size_t)idx);
        } else {
            cur = json_object_get(cur, seg);
        }
        p += n;
        if (*p == '.') p++;
    }
    return cur;
}

static void print_pretty(const json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
    fputc('\n', stdout);
}

int payctl_print(const json_t *root)
{
    if (payctl_g.field) {
        const json_t *v = select_path(root, payctl_g.field);
        if (!v) {
            fprintf(stderr, "payoutctl: the output has no field \"%s\"\n", payctl_g.field);
            return PAYCTL_CRYPTO;
        }
        if (json_is_string(v))
            printf("%s\n", json_string_value(v));
        else
            print_pretty(v);
        return PAYCTL_OK;
    }
    print_pretty(root);
    return PAYCTL_OK;
}

int payctl_exit_for(const pay_call *call, pay_err rc)
{
    switch (call->outcome) {
    case PAY_CALL_OK:
        return PAYCTL_OK;
    case PAY_CALL_AUTH_ERROR:
        return PAYCTL_AUTH;
    case PAY_CALL_API_ERROR:
        return PAYCTL_API_ERROR;
    case PAY_CALL_NETWORK_ERROR:
        return PAYCTL_NETWORK;
    case PAY_CALL_BAD_RESPONSE:
        return PAYCTL_CRYPTO;
    case PAY_CALL_LOCAL_ERROR:
        return rc == PAY_ERR_INVALID_ARG ? PAYCTL_USAGE : PAYCTL_CRYPTO;
    }
    return PAYCTL_CRYPTO;
}

void payctl_report(const pay_call *call)
{
    switch (call->outcome) {
    case PAY_CALL_OK:
        return;
    case PAY_CALL_API_ERROR:
    case PAY_CALL_AUTH_ERROR:
        if (call->code[0])
            fprintf(stderr, "error: %s (HTTP %ld): %s\n", call->code, call->http_status,
                    call->message);
        else
            fprintf(stderr, "error: HTTP %ld without an error body\n", call->http_status);
        break;
    case PAY_CALL_NETWORK_ERROR:
        fprintf(stderr, "error: no answer after %d attempt%s: %s\n", call->attempts,
                call->attempts == 1 ? "" : "s", call->message);
        break;
    case PAY_CALL_BAD_RESPONSE:
        fprintf(stderr, "error: unreadable answer (HTTP %ld): %s\n", call->http_status,
                call->message);
        break;
    case PAY_CALL_LOCAL_ERROR:
        fprintf(stderr, "error: %s\n", call->message[0] ? call->message : "nothing was sent");
        break;
    }
    if (call->trace_id[0]) fprintf(stderr, "trace: %s\n", call->trace_id);
    fprintf(stderr, "hint: %s\n", pay_call_hint(call));
}

void payctl_verbose_call(const char *method, const char *path, bool sealed, const pay_call *call)
{
    if (!payctl_g.verbose) return;
    payctl_note("%s %s%s", method, path, sealed ? " (body sealed with the security key)" : "");
    fprintf(stderr,
            "payoutctl: attempts: %d, HTTP %ld, trace id: %s, idempotency key: %s, replayed: %s, "
            "sealed answer: %s\n",
            call->attempts, call->http_status, call->trace_id[0] ? call->trace_id : "none",
            call->used_idempotency_key[0] ? call->used_idempotency_key : "none",
            call->replayed ? "yes" : "no", call->sealed_response ? "yes" : "no");
}

static int request(pay_client *c, const char *method, const char *path, json_t *body, bool seal,
                   json_t **envelope_out)
{
    char *text = NULL;
    if (body) {
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!text) {
            fprintf(stderr, "payoutctl: out of memory\n");
            return PAYCTL_CRYPTO;
        }
    }
    pay_call call;
    memset(&call, 0, sizeof call);
    call.idempotency_key = payctl_g.idempotency_key;
    char *envelope = NULL;
    pay_err rc = pay_client_request(c, method, path, text, seal, &envelope, &call);
    free(text);
    payctl_verbose_call(method, path, seal, &call);
    int exit_code = PAYCTL_OK;
    if (rc != PAY_OK) {
        if (payctl_g.raw && envelope && !envelope_out) printf("%s\n", envelope);
        payctl_report(&call);
        exit_code = payctl_exit_for(&call, rc);
        goto out;
    }
    json_t *root = envelope ? json_loads(envelope, 0, NULL) : NULL;
    if (!envelope_out && payctl_g.raw && !payctl_g.field) {
        /* The envelope exactly as it came (opened, when it was sealed). */
        if (envelope) printf("%s\n", envelope);
        json_decref(root);
        goto out;
    }
    const json_t *entity = json_object_get(root, "entityBody");
    if (!root || !entity) {
        fprintf(stderr, "error: unreadable answer (HTTP %ld): %s\n", call.http_status,
                envelope ? "the answer has no entityBody" : "the answer has no body");
        if (call.trace_id[0]) fprintf(stderr, "trace: %s\n", call.trace_id);
        json_decref(root);
        exit_code = PAYCTL_CRYPTO;
        goto out;
    }
    if (envelope_out) {
        *envelope_out = root;
        goto out;
    }
    exit_code = payctl_print(payctl_g.raw ? root : entity);
    json_decref(root);
out:
    free(envelope);
    return exit_code;
}

int payctl_call(pay_client *c, const char *method, const char *path, json_t *body, bool seal)
{
    return request(c, method, path, body, seal, NULL);
}

int payctl_fetch(pay_client *c, const char *method, const char *path, json_t *body, bool seal,
                 json_t **envelope)
{
    *envelope = NULL;
    return request(c, method, path, body, seal, envelope);
}

/* ---- argument parsing ------------------------------------------------------------------ */

int payctl_parse_args(const char *cmd, const char *help, const payctl_option *opts, int argc,
                      char **argv, const char **pos, size_t pos_max, size_t *npos)
{
    char cmd_sp[128];
    bool only_positionals = false;
    snprintf(cmd_sp, sizeof cmd_sp, "%s ", cmd);
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool is_option = !only_positionals && a[0] == '-' && a[1] != 0;
        if (!only_positionals && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0))
            return payctl_help(help);
        if (is_option && strcmp(a, "--") == 0) {
            only_positionals = true;
            continue;
        }
        if (!is_option) {
            if (*npos >= pos_max) return payctl_usage(cmd_sp, "unexpected argument \"%s\"", a);
            pos[(*npos)++] = a;
            continue;
        }
        bool matched = false, bad = false;
        for (const payctl_option *o = opts; o && o->name && !matched; o++) {
            if (o->flag) {
                if (strcmp(a, o->name) == 0) {
                    *o->flag = true;
                    matched = true;
                }
                continue;
            }
            const char *v = NULL;
            if (!payctl_opt(argc, argv, &i, o->name, &v, &bad)) continue;
            matched = true;
            if (bad) return payctl_usage(cmd_sp, "%s needs a value", o->name);
            if (o->list) {
                if (*o->list_len >= o->list_max)
                    return payctl_usage(cmd_sp, "%s may be given at most %zu times", o->name,
                                        o->list_max);
                o->list[(*o->list_len)++] = v;
            } else {
                if (*o->value) return payctl_usage(cmd_sp, "%s is given twice", o->name);
                *o->value = v;
            }
        }
        if (matched) continue;
        int g = payctl_global_option(argc, argv, &i);
        if (g < 0) return payctl_usage(cmd_sp, "bad global option %s", a);
        if (g == 0) return payctl_usage(cmd_sp, "unknown option %s", a);
    }
    return -1;
}
