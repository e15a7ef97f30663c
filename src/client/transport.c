/*
 * The client's HTTP layer: one libcurl handle per client (connections are
 * reused), sealing of request bodies on every attempt, retries, and reading
 * whatever comes back — empty, plain JSON, a JWE, or something else — before
 * deciding what it means (case C14: classify first, decrypt second).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/client_internal.h"
#include "common/b64.h"
#include "common/buf.h"
#include "common/ids.h"
#include "common/text.h"
#include "payout/jwe.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS 60000 /* the v1 docs ask clients for 60 s */
#define DEFAULT_RETRIES 2
#define DEFAULT_BACKOFF_MS 250
#define RESPONSE_MAX PAY_JWE_SEAL_MAX

pay_err pay_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? PAY_OK : PAY_ERR_INTERNAL;
}

void pay_client_global_cleanup(void)
{
    curl_global_cleanup();
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

pay_err pay_client_new(const pay_client_config *cfg, pay_client **out, pay_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->secret_key || !cfg->secret_key[0])
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "a secret key is required");
    if (strchr(cfg->secret_key, ':') || strpbrk(cfg->secret_key, " \t\r\n"))
        return pay_error_set(err, PAY_ERR_INVALID_ARG,
                             "the secret key must not contain ':' or whitespace");
    /* A named limit on both: more retries, or longer waits, would hold a
     * caller for many minutes, and doubling an unbounded wait overflows. */
    if (cfg->max_retries > PAY_CLIENT_RETRIES_MAX)
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "max_retries is at most %d (got %d)",
                             PAY_CLIENT_RETRIES_MAX, cfg->max_retries);
    if (cfg->retry_backoff_ms > PAY_CLIENT_BACKOFF_MAX_MS)
        return pay_error_set(err, PAY_ERR_INVALID_ARG, "retry_backoff_ms is at most %d (got %ld)",
                             PAY_CLIENT_BACKOFF_MAX_MS, cfg->retry_backoff_ms);
    pay_client *c = calloc(1, sizeof *c);
    if (!c) return pay_error_set(err, PAY_ERR_NOMEM, NULL);
    if (cfg->security_key) {
        pay_err rc = pay_key_from_hex(&c->key, cfg->security_key, strlen(cfg->security_key), err);
        if (rc != PAY_OK) {
            free(c);
            return rc;
        }
        c->have_key = true;
    }
    const char *base = cfg->base_url && cfg->base_url[0] ? cfg->base_url : PAY_DEFAULT_BASE_URL;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--; /* "http://h:1/" + "/v2/..." */
    c->base_url = strndup(base, bl);
    /* Basic base64(secretKey + ":"): the colon is mandatory (spec §2.1). */
    size_t kl = strlen(cfg->secret_key);
    char *cred = malloc(kl + 2);
    c->auth_header = malloc(pay_b64std_encoded_len(kl + 1) + 32);
    if (cred && c->auth_header) {
        memcpy(cred, cfg->secret_key, kl);
        cred[kl] = ':';
        memcpy(c->auth_header, "Authorization: Basic ", 21);
        pay_b64std_encode((const uint8_t *)cred, kl + 1, c->auth_header + 21);
        OPENSSL_cleanse(cred, kl + 1);
    }
    free(cred);
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                        : DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->max_retries = cfg->max_retries < 0 ? 0 : cfg->max_retries ? cfg->max_retries : DEFAULT_RETRIES;
    c->backoff_ms = cfg->retry_backoff_ms > 0 ? cfg->retry_backoff_ms : DEFAULT_BACKOFF_MS;
    c->accept_language = dup_or_null(cfg->accept_language);
    c->encrypt_reads = cfg->encrypt_reads;
    c->ca_file = dup_or_null(cfg->ca_file);
    c->test_code = dup_or_null(cfg->test_code);
    c->user_agent = strdup(cfg->user_agent ? cfg->user_agent : "libpayout/0.1");
    c->curl = curl_easy_init();
    if (!c->base_url || !c->auth_header || !c->user_agent || !c->curl ||
        (cfg->accept_language && !c->accept_language) || (cfg->ca_file && !c->ca_file) ||
        (cfg->test_code && !c->test_code)) {
        pay_client_free(c);
        return pay_error_set(err, PAY_ERR_NOMEM, NULL);
    }
    *out = c;
    return PAY_OK;
}

void pay_client_free(pay_client *c)
{
    if (!c) return;
    pay_key_wipe(&c->key);
    if (c->auth_header) OPENSSL_cleanse(c->auth_header, strlen(c->auth_header));
    free(c->auth_header);
    free(c->base_url);
    free(c->accept_language);
    free(c->ca_file);
    free(c->test_code);
    free(c->user_agent);
    if (c->curl) curl_easy_cleanup(c->curl);
    free(c);
}

/* ---- one HTTP exchange ------------------------------------------------------ */

typedef struct exchange {
    pay_buf body;
    bool too_large;
    char content_type[128];
    char trace_id[PAY_TRACE_ID_BUF];
    char retry_after[64];
    bool replayed;
    bool sent; /* bytes of the request reached the connection */
} exchange;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    exchange *x = arg;
    size_t n = size * nmemb;
    if (x->body.len + n > RESPONSE_MAX) {
        x->too_large = true;
        return 0; /* aborts the transfer */
    }
    return pay_buf_append(&x->body, ptr, n) ? n : 0;
}

/* Copies a header's value (trimmed) when the line is that header. */
static bool header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return false;
    const char *v = line + nl + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(out, v, len);
    out[len] = 0;
    return true;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    exchange *x = arg;
    size_t n = size * nmemb;
    char flag[16];
    header_value(line, n, "Content-Type", x->content_type, sizeof x->content_type);
    header_value(line, n, "X-TossPayments-Trace-Id", x->trace_id, sizeof x->trace_id);
    header_value(line, n, "Retry-After", x->retry_after, sizeof x->retry_after);
    if (header_value(line, n, "Idempotent-Replayed", flag, sizeof flag))
        x->replayed = strcasecmp(flag, "true") == 0;
    return n;
}

/* One attempt. Returns the curl code; *status is 0 without an answer. */
static CURLcode perform(pay_client *c, const char *method, const char *url, const char *body,
                        bool sealed, bool security_header, const char *idem_key, exchange *x,
                        long *status, char *curl_err)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    struct curl_slist *hs = NULL;
    char line[PAY_IDEMPOTENCY_KEY_BUF + 64];
    hs = curl_slist_append(hs, c->auth_header);
    if (security_header) hs = curl_slist_append(hs, "TossPayments-api-security-mode: ENCRYPTION");
    if (body) hs = curl_slist_append(hs, sealed ? "Content-Type: text/plain" : "Content-Type: application/json");
    if (idem_key) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", idem_key);
        hs = curl_slist_append(hs, line);
    }
    if (c->accept_language) {
        snprintf(line, sizeof line, "Accept-Language: %s", c->accept_language);
        hs = curl_slist_append(hs, line);
    }
    if (c->test_code) {
        snprintf(line, sizeof line, "TossPayments-Test-Code: %s", c->test_code);
        hs = curl_slist_append(hs, line);
    }
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2); /* spec §1.1: TLS 1.2+ */
    if (c->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    /* A declared Content-Length over the cap is refused before any byte of
     * the body is read; on_body enforces the cap on chunked answers. */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)RESPONSE_MAX);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_err[0] = 0;
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_FILESIZE_EXCEEDED) x->too_large = true;
    *status = 0;
    if (rc == CURLE_OK || x->too_large) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    /* The request's header bytes written (0 when connect or TLS failed):
     * whether the server may have seen, and run, this attempt. */
    long request_size = 0;
    x->sent =
        curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK || request_size > 0;
    curl_slist_free_all(hs);
    return rc;
}

/* ---- reading an answer (C14) ------------------------------------------------- */

static bool looks_like_jwe(const char *s, size_t n)
{
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.')
            dots++;
        else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '-' || ch == '_'))
            return false;
    }
    return dots == 4;
}

/* A short, printable prefix of an unreadable answer for the message. */
static void redacted_prefix(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < 48 && o + 1 < cap; i++)
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '.';
    out[o] = 0;
}

/* Fills code/message from an error envelope (v2 {"error":{code,message}},
 * v1 {code,message}, or another API's {"errors":[{code,message}]}). */
static bool read_error(json_t *j, pay_call *call)
{
    json_t *e = json_object_get(j, "error");
    if (!json_is_object(e)) e = json_object_get(j, "code") ? j : NULL;
    if (!e && json_is_array(json_object_get(j, "errors")))
        e = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (!code) return false;
    pay_strlcpy(call->code, code, sizeof call->code);
    pay_strlcpy(call->message, msg ? msg : "", sizeof call->message);
    return true;
}

static bool is_auth_failure(long status, const char *code)
{
    if (status == 401) return true;
    return strcmp(code, "UNAUTHORIZED_KEY") == 0 || strcmp(code, "INVALID_API_KEY") == 0 ||
           strcmp(code, "FORBIDDEN_REQUEST") == 0 || (status == 403 && !code[0]);
}

/* Decides what an answer means; on success with a body, *plain is its JSON. */
static pay_err read_answer(pay_client *c, exchange *x, long status, char **plain, pay_call *call)
{
    const char *b = x->body.data ? x->body.data : "";
    size_t n = x->body.len;
    size_t start = 0;
    while (start < n && (b[start] == ' ' || b[start] == '\t' || b[start] == '\r' || b[start] == '\n'))
        start++;
    size_t end = n;
    while (end > start && (b[end - 1] == ' ' || b[end - 1] == '\n' || b[end - 1] == '\r')) end--;
    bool ok_status = status >= 200 && status < 300;
    char *text = NULL;
    if (start == end) {
        if (ok_status) {
            call->outcome = PAY_CALL_OK;
            return PAY_OK;
        }
        snprintf(call->message, sizeof call->message, "HTTP %ld with an empty body", status);
    } else if (b[start] == '{' || b[start] == '[') {
        text = strndup(b + start, end - start);
    } else if (looks_like_jwe(b + start, end - start)) {
        call->sealed_response = true;
        pay_jwe *jwe = NULL;
        uint8_t *pt = NULL;
        size_t pt_len = 0;
        pay_error e;
        if (!c->have_key) {
            snprintf(call->message, sizeof call->message,
                     "the answer is sealed (JWE) but no security key was given");
        } else if (pay_jwe_parse_limit(b + start, end - start, RESPONSE_MAX, &jwe, &e) != PAY_OK ||
                   pay_jwe_decrypt(jwe, &c->key, &pt, &pt_len, &e) != PAY_OK) {
            snprintf(call->message, sizeof call->message,
                     "the sealed answer does not open with this security key: %s", e.message);
        } else {
            text = strndup((const char *)pt, pt_len);
        }
        pay_jwe_plaintext_free(pt, pt_len);
        pay_jwe_free(jwe);
    } else {
        char prefix[64];
        redacted_prefix(b + start, end - start, prefix, sizeof prefix);
        snprintf(call->message, sizeof call->message,
                 "unexpected response body (%zu bytes, content-type %s): %s", n,
                 x->content_type[0] ? x->content_type : "none", prefix);
    }
    json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (text && !j)
        snprintf(call->message, sizeof call->message, "the answer (%zu bytes) is not JSON", n);
    const char *trace = json_string_value(json_object_get(j, "traceId"));
    if (trace) pay_strlcpy(call->trace_id, trace, sizeof call->trace_id);
    pay_err rc;
    if (j && ok_status && !json_is_object(json_object_get(j, "error"))) {
        call->outcome = PAY_CALL_OK;
        *plain = text;
        text = NULL;
        rc = PAY_OK;
    } else if (j && read_error(j, call)) {
        call->outcome = is_auth_failure(status, call->code) ? PAY_CALL_AUTH_ERROR : PAY_CALL_API_ERROR;
        *plain = text; /* the caller may want the whole envelope */
        text = NULL;
        rc = PAY_ERR_API;
    } else if (!ok_status && status == 403 && !j) {
        call->outcome = PAY_CALL_AUTH_ERROR; /* C23 (c): 403 with an empty body */
        rc = PAY_ERR_API;
    } else {
        call->outcome = PAY_CALL_BAD_RESPONSE;
        if (!call->message[0])
            snprintf(call->message, sizeof call->message, "HTTP %ld without an error code", status);
        rc = PAY_ERR_RESPONSE;
    }
    json_decref(j);
    free(text);
    return rc;
}

/* ---- the request loop ---------------------------------------------------------- */

/* A caller's Idempotency-Key goes on the wire exactly as given, or the call
 * is refused: cutting a long key would give two requests one key (a replay of
 * the wrong payout), a CR or LF would inject a header, and HTTP drops
 * surrounding spaces. 300 bytes is the spec's limit (§7) and pay_call's. */
static bool idempotency_key_ok(const char *key, pay_call *call)
{
    size_t n = strlen(key);
    const char *why = NULL;
    if (n > PAY_IDEMPOTENCY_KEY_BUF - 1)
        why = "is longer than 300 bytes";
    else if (key[0] == ' ' || key[n - 1] == ' ')
        why = "starts or ends with a space";
    for (size_t i = 0; !why && i < n; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f) why = "contains a control character";
    if (why)
        snprintf(call->message, sizeof call->message,
                 "the Idempotency-Key (%zu bytes) %s; nothing was sent", n, why);
    return why == NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    /* Only a signal cuts a sleep short; looping on any other error (EINVAL)
     * would spin for ever. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- retries ------------------------------------------------------------------------ */

void pay_call_reset(pay_call *call)
{
    const char *given_key = call->idempotency_key;
    memset(call, 0, sizeof *call);
    call->idempotency_key = given_key;
}

/*
 * Which libcurl failures are tried again (libcurl-errors(3) lists every
 * CURLcode). A retry is worth its wait only when the next attempt may meet
 * a different network or server state, so this is an allow-list:
 *
 *   COULDNT_RESOLVE_HOST, _PROXY  a resolver timeout gives the same code as a
 *                        name that does not exist, so curl's own --retry
 *                        counts it transient; nothing was sent, so the only
 *                        cost of a typo is the backoff
 *   COULDNT_CONNECT      refused: a server restarting, a full backlog
 *   OPERATION_TIMEDOUT   the connect or the whole-attempt timeout
 *   SSL_CONNECT_ERROR    the handshake broke off: libcurl reports a reset or
 *                        EOF during the handshake with this code (certificate
 *                        failures have their own codes, below)
 *   SEND_ERROR, RECV_ERROR  the connection failed in mid-exchange
 *   GOT_NOTHING          closed without a byte of answer
 *   PARTIAL_FILE         the answer was cut short
 *   HTTP2, HTTP2_STREAM  the connection or stream was refused or reset
 *                        (GOAWAY, REFUSED_STREAM)
 *
 * Everything else would fail the same way again: a URL libcurl cannot use
 * (UNSUPPORTED_PROTOCOL, URL_MALFORMAT, NOT_BUILT_IN), a server that is not
 * trusted (PEER_FAILED_VERIFICATION covers an unknown CA, a self-signed or
 * expired certificate and a wrong name; SSL_ISSUER_ERROR,
 * SSL_PINNEDPUBKEYNOTMATCH, SSL_INVALIDCERTSTATUS), the client's own TLS
 * files (SSL_CACERT_BADFILE, SSL_CRL_BADFILE, SSL_CERTPROBLEM), nothing in
 * common (SSL_CIPHER), an answer that is not HTTP (WEIRD_SERVER_REPLY, or
 * BAD_CONTENT_ENCODING), and local failures (OUT_OF_MEMORY, WRITE_ERROR: the
 * body callback refused for want of memory; an answer over the size cap is
 * handled before this). A code this list does not know, such as one a newer
 * libcurl adds, is not retried either: a retry must be a known good bet.
 */
const char *pay_client_curl_not_retried(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return NULL;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
        return "the base URL cannot be used; it must be http:// or https:// and a host";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return "the server's certificate is not trusted, and asking again cannot change that "
               "(a server with its own CA needs that CA's file as ca_file)";
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return "a certificate file of the client's TLS setup cannot be used";
    case CURLE_SSL_CIPHER:
        return "the client and the server have no TLS cipher in common";
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        return "the server's answer is not HTTP the client can read";
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
        return "the client ran out of memory";
    default:
        return "this failure does not go away by asking again";
    }
}

#define RETRY_AFTER_CLAMP_S 1000000000LL /* ~31 years: "never", without overflow */

long pay_client_retry_after_s(const char *value, long long now)
{
    if (!value || !value[0]) return -1;
    if (value[0] >= '0' && value[0] <= '9') {
        long long s = 0;
        for (const char *p = value; *p; p++) {
            if (*p < '0' || *p > '9') return -1;
            if (s < RETRY_AFTER_CLAMP_S) s = s * 10 + (*p - '0');
        }
        return (long)(s < RETRY_AFTER_CLAMP_S ? s : RETRY_AFTER_CLAMP_S);
    }
    time_t when = curl_getdate(value, NULL); /* IMF-fixdate and the obsolete forms */
    if (when == (time_t)-1) return -1;
    long long d = (long long)when - now;
    return (long)(d <= 0 ? 0 : d < RETRY_AFTER_CLAMP_S ? d : RETRY_AFTER_CLAMP_S);
}

long pay_client_retry_delay_ms(long backoff_ms, int attempt, long retry_after_s, unsigned jitter)
{
    long long wait = backoff_ms > 0 ? backoff_ms : 0;
    if (wait > PAY_CLIENT_BACKOFF_MAX_MS) wait = PAY_CLIENT_BACKOFF_MAX_MS;
    for (int i = 0; i < attempt && wait > 0 && wait < PAY_CLIENT_BACKOFF_MAX_MS; i++)
        wait *= 2;
    wait += wait * (jitter & 0xffu) / 1024; /* up to 25%, so clients that failed together spread */
    if (wait > PAY_CLIENT_BACKOFF_MAX_MS) wait = PAY_CLIENT_BACKOFF_MAX_MS;
    /* Retry-After is the earliest the server wants to see us again. */
    if (retry_after_s >= 0 && (long long)retry_after_s * 1000 > wait)
        wait = (long long)retry_after_s * 1000;
    return (long)wait;
}

/* Says in the message why a failure that might otherwise be retried was not. */
static void note_not_retried(pay_call *call, const char *why)
{
    size_t n = strlen(call->message);
    snprintf(call->message + n, sizeof call->message - n, "%s(not retried: %s)", n ? " " : "", why);
}

/* A DELETE has no Idempotency-Key (payoutd, like the API, keys POSTs only):
 * once the server may have run it, a second one would answer 404 for what
 * the first deleted. */
static const char delete_ran[] = "a DELETE carries no Idempotency-Key and may already have run; "
                                 "asking again could answer NOT_FOUND for what it deleted";

pay_err pay_client_request(pay_client *c, const char *method, const char *path,
                           const char *json_body, bool seal, char **envelope, pay_call *call)
{
    pay_call_reset(call);
    const char *given_key = call->idempotency_key;
    *envelope = NULL;
    bool post = strcmp(method, "POST") == 0;
    bool get = strcmp(method, "GET") == 0;
    /* Exactly the API's methods: a change spelled any other way ("post",
     * "PATCH") would go without an Idempotency-Key and be retried. */
    if (!post && !get && strcmp(method, "DELETE") != 0) {
        call->outcome = PAY_CALL_LOCAL_ERROR;
        snprintf(call->message, sizeof call->message,
                 "the method must be GET, POST or DELETE, in capitals; nothing was sent");
        return PAY_ERR_INVALID_ARG;
    }
    if (seal && !c->have_key) {
        call->outcome = PAY_CALL_LOCAL_ERROR;
        snprintf(call->message, sizeof call->message, "a security key is needed to seal the body");
        return PAY_ERR_INVALID_ARG;
    }
    /* Every POST carries a key, so a retry can never pay twice (spec §7). */
    if (post) {
        if (given_key && given_key[0]) {
            if (!idempotency_key_ok(given_key, call)) {
                call->outcome = PAY_CALL_LOCAL_ERROR;
                return PAY_ERR_INVALID_ARG;
            }
            pay_strlcpy(call->used_idempotency_key, given_key, sizeof call->used_idempotency_key);
        } else {
            char uuid[PAY_UUID_BUF];
            if (pay_uuid_v4(uuid) != PAY_OK) {
                call->outcome = PAY_CALL_LOCAL_ERROR;
                return PAY_ERR_INTERNAL;
            }
            pay_strlcpy(call->used_idempotency_key, uuid, sizeof call->used_idempotency_key);
        }
    }
    size_t url_len = strlen(c->base_url) + strlen(path) + 1;
    char *url = malloc(url_len);
    if (!url) {
        call->outcome = PAY_CALL_LOCAL_ERROR;
        snprintf(call->message, sizeof call->message, "out of memory");
        return PAY_ERR_NOMEM;
    }
    snprintf(url, url_len, "%s%s", c->base_url, path);
    bool security_header = seal || c->encrypt_reads;
    pay_err result = PAY_ERR_NETWORK;
    for (int attempt = 0;; attempt++) {
        char *body = NULL;
        if (json_body && seal) {
            /* Sealed afresh each attempt: a new IV, iat and nonce (C18). */
            size_t tl = 0;
            pay_error e;
            if (pay_jwe_seal(&c->key, (const uint8_t *)json_body, strlen(json_body), &body, &tl,
                             &e) != PAY_OK) {
                call->outcome = PAY_CALL_LOCAL_ERROR;
                snprintf(call->message, sizeof call->message, "cannot seal the body: %s", e.message);
                result = e.code;
                break;
            }
        }
        exchange x;
        memset(&x, 0, sizeof x);
        pay_buf_init(&x.body);
        long status = 0;
        char curl_err[CURL_ERROR_SIZE];
        CURLcode rc = perform(c, method, url, seal ? body : json_body, seal, security_header,
                              post ? call->used_idempotency_key : NULL, &x, &status, curl_err);
        free(body);
        call->attempts = attempt + 1;
        call->http_status = status;
        call->code[0] = call->message[0] = call->trace_id[0] = 0;
        call->sealed_response = call->replayed = false;
        free(*envelope);
        *envelope = NULL;
        if (x.too_large) {
            /* An answer, just not one we read: asking again would bring the
             * same (a replay of it, for a POST), so it is not retried. */
            call->outcome = PAY_CALL_BAD_RESPONSE;
            snprintf(call->message, sizeof call->message,
                     "the answer is larger than 64 MiB, the client's limit; it was not read");
            pay_strlcpy(call->trace_id, x.trace_id, sizeof call->trace_id);
            result = PAY_ERR_RESPONSE;
        } else if (rc != CURLE_OK) {
            call->outcome = PAY_CALL_NETWORK_ERROR;
            snprintf(call->message, sizeof call->message, "%s",
                     curl_err[0] ? curl_err : curl_easy_strerror(rc));
            result = PAY_ERR_NETWORK;
        } else {
            pay_strlcpy(call->trace_id, x.trace_id, sizeof call->trace_id);
            call->replayed = x.replayed;
            result = read_answer(c, &x, status, envelope, call);
        }
        pay_buf_free(&x.body);
        if (x.too_large || attempt >= c->max_retries) break;
        const char *why_not = NULL;
        char why_buf[160];
        long retry_after_s = -1;
        if (rc != CURLE_OK) {
            why_not = pay_client_curl_not_retried(rc);
            if (!why_not && !post && !get && x.sent) why_not = delete_ran;
        } else {
            bool busy = status == 409 && strcmp(call->code, "IDEMPOTENT_REQUEST_PROCESSING") == 0;
            if (status < 500 && status != 429 && !busy) break; /* the answer stands */
            /* A 429 was refused before anything ran; a 5xx may have run. */
            if (!post && !get && status != 429) why_not = delete_ran;
            retry_after_s = pay_client_retry_after_s(x.retry_after, (long long)time(NULL));
            if (!why_not && retry_after_s > PAY_CLIENT_RETRY_AFTER_MAX_S) {
                snprintf(why_buf, sizeof why_buf,
                         "the server asked to wait %ld s (Retry-After), more than the client's "
                         "limit of %d s",
                         retry_after_s, PAY_CLIENT_RETRY_AFTER_MAX_S);
                why_not = why_buf;
            }
        }
        if (why_not) {
            note_not_retried(call, why_not);
            break;
        }
        uint8_t r = 0;
        if (!pay_random_bytes(&r, 1)) r = 0;
        sleep_ms(pay_client_retry_delay_ms(c->backoff_ms, attempt, retry_after_s, r));
    }
    free(url);
    return result;
}

const char *pay_call_hint(const pay_call *call)
{
    switch (call->outcome) {
    case PAY_CALL_OK: return "ok";
    case PAY_CALL_AUTH_ERROR:
        if (call->http_status == 401)
            return "the secret key was rejected: check the key, the trailing ':' of Basic auth, "
                   "and that test_ keys go with test data and live_ keys with live data";
        if (strcmp(call->code, "INVALID_API_KEY") == 0)
            return "that is not an API secret key (a client or widget key?): use test_sk_/live_sk_";
        return "the credentials were accepted, but this merchant may not call this API (service not "
               "enabled / no payout contract): this is not a key or encryption problem";
    case PAY_CALL_API_ERROR:
        if (strcmp(call->code, "DECRYPTION_FAILED") == 0 ||
            strcmp(call->code, "INVALID_ENCRYPTED_BODY") == 0 ||
            strcmp(call->code, "ENCRYPTION_REQUIRED") == 0)
            return "the server could not open the request: the message says why";
        return "the server refused the request for a business or validation rule (not a key, "
               "auth or encryption problem): see the code and message";
    case PAY_CALL_NETWORK_ERROR:
        return "no answer from the server: check the base URL, the network and TLS";
    case PAY_CALL_BAD_RESPONSE: return "the answer could not be read: see the message";
    case PAY_CALL_LOCAL_ERROR: return "nothing was sent: see the message";
    }
    return "";
}
