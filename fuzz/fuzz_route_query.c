/*
 * Fuzz target: routing and list queries. The input is a request line,
 * "METHOD SP request-target" (anything after a newline is ignored), and is
 * handled as http/server.c does: the path is the target up to '?' or '#'
 * (cut at PAY_PATH_MAX - 1), a '%' in it is refused before routing, paths
 * under /admin/ use pay_admin_routes and the rest pay_api_routes
 * (pay_route_find, src/http/router.h). The query string is split and
 * unescaped the way libmicrohttpd hands arguments over ('&', '=', '+',
 * %XX), taken by pay_query_take (src/http/query.h: the declared names, each
 * once) as the gate does for the two list routes and for a route that takes
 * no query, and given to pay_list_query_from (src/api/lists.h).
 *
 * Invariants: a found route has the method asked for; each capture is 1-64
 * characters of [A-Za-z0-9_-] and putting the captures back into the
 * pattern gives the path again; a 405 means some other method matches; a
 * route without a query takes no parameter; an accepted query has limit
 * 1..10,000, an id-shaped startingAfter, payoutDateGte <= payoutDateLte and
 * no NUL or control byte in any value (%00 decodes to a byte of the value,
 * as in libmicrohttpd, and must not cut it short).
 */
#include "fuzz.h"

#include "api/lists.h"
#include "core/payouts.h"
#include "http/ctx.h"
#include "http/query.h"
#include "http/router.h"

#define QUERY_MAX 2048

static bool param_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static void check_route(const pay_route *r, const char *method, const char *path,
                        char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1])
{
    FUZZ_CHECK(strcmp(r->method, method) == 0);
    /* Rebuild the path from the pattern and the captures. */
    char rebuilt[PAY_PATH_MAX + PAY_PATH_PARAMS * PAY_PATH_PARAM_MAX];
    size_t o = 0;
    int np = 0;
    for (const char *p = r->pattern; *p;) {
        if (*p == ':') {
            FUZZ_CHECK(np < PAY_PATH_PARAMS);
            size_t n = strlen(params[np]);
            FUZZ_CHECK(n >= 1 && n <= PAY_PATH_PARAM_MAX);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(param_char(params[np][i]));
            memcpy(rebuilt + o, params[np], n);
            o += n;
            np++;
            while (*p && *p != '/')
                p++;
        } else {
            rebuilt[o++] = *p++;
        }
    }
    rebuilt[o] = 0;
    FUZZ_CHECK(strcmp(rebuilt, path) == 0);
}

static void route(const char *method, const char *path)
{
    if (strchr(path, '%')) return; /* refused before routing (server.c on_headers) */
    const pay_route *table = strncmp(path, "/admin/", 7) == 0 ? pay_admin_routes : pay_api_routes;
    const pay_route *found = NULL;
    char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1];
    memset(params, 0, sizeof params);
    pay_route_result rr = pay_route_find(table, method, path, &found, params);
    if (rr == PAY_ROUTE_FOUND) {
        FUZZ_CHECK(found != NULL);
        check_route(found, method, path, params);
    } else if (rr == PAY_ROUTE_NO_METHOD) {
        bool other = false;
        for (const pay_route *r = table; r->pattern; r++) {
            const pay_route *f2 = NULL;
            if (pay_route_find(table, r->method, path, &f2, params) == PAY_ROUTE_FOUND) {
                FUZZ_CHECK(strcmp(r->method, method) != 0);
                other = true;
            }
        }
        FUZZ_CHECK(other);
    } else {
        FUZZ_CHECK(rr == PAY_ROUTE_NO_PATH);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* In place: '+' -> ' ', %XX -> byte. Returns the decoded length, which
 * counts the bytes after a decoded NUL (%00) as libmicrohttpd's does: the
 * value is a byte string, not a C string. */
static size_t unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return (size_t)(o - s);
}

/* The query of a list route and of a route that takes none: names through
 * pay_query_take (http/query.c) as the gate does, values through
 * pay_list_query_from. */
static void list_query(char *query, const char *const *names, bool with_dates)
{
    pay_query_value v[PAY_QUERY_MAX_PARAMS];
    memset(v, 0, sizeof v);
    pay_fault f;
    memset(&f, 0, sizeof f);
    char *save = NULL;
    /* strtok_r on a private copy: pairs split on '&', empty pairs skipped */
    for (char *pair = strtok_r(query, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *value = NULL; /* no '=': a name alone */
        if (eq) {
            *eq = 0;
            value = eq + 1;
        }
        size_t key_len = unescape(pair);
        size_t value_len = value ? unescape(value) : 0;
        bool taken = pay_query_take(names, pair, key_len, value, value_len, v, &f);
        /* a name holding a NUL never passes for a declared one */
        if (taken) FUZZ_CHECK(!memchr(pair, 0, key_len));
        if (!names) FUZZ_CHECK(!taken); /* a route without a query takes nothing */
        if (!taken) {
            FUZZ_CHECK(f.code == PAY_E_INVALID_REQUEST && f.detail_en[0]);
            return;
        }
    }
    if (!names) return;
    pay_list_query q;
    if (!pay_list_query_from(v, with_dates, &q, &f)) {
        FUZZ_CHECK(f.code != PAY_E_NONE);
        return;
    }
    FUZZ_CHECK(q.limit >= 1 && q.limit <= PAY_LIST_LIMIT_MAX);
    if (!v[0].s) FUZZ_CHECK(q.limit == PAY_LIST_LIMIT_DEFAULT);
    /* accepted values hold no NUL or other control byte (limit=5%00 is not
     * a number, startingAfter=<id>%00junk not an id) */
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; v[i].s && k < v[i].len; k++)
            FUZZ_CHECK((unsigned char)v[i].s[k] >= 0x20 && v[i].s[k] != 0x7f);
    size_t n = strlen(q.starting_after);
    FUZZ_CHECK(n < sizeof q.starting_after);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(param_char(q.starting_after[i]));
    FUZZ_CHECK(q.date_gte <= q.date_lte);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_cstr(data, size);
    line[strcspn(line, "\r\n")] = 0;
    char *sp = strchr(line, ' ');
    const char *target = sp ? sp + 1 : "";
    if (sp) *sp = 0;
    char method[12];
    snprintf(method, sizeof method, "%s", line);

    char path[PAY_PATH_MAX];
    size_t path_len = strcspn(target, "?#");
    if (path_len >= sizeof path) path_len = sizeof path - 1;
    memcpy(path, target, path_len);
    path[path_len] = 0;
    route(method, path);

    const char *qmark = strchr(target, '?');
    if (qmark && strlen(qmark + 1) < QUERY_MAX) {
        char query[QUERY_MAX];
        size_t qlen = strcspn(qmark + 1, "#");
        memcpy(query, qmark + 1, qlen);
        query[qlen] = 0;
        char copy[QUERY_MAX], none[QUERY_MAX];
        memcpy(copy, query, qlen + 1);
        memcpy(none, query, qlen + 1);
        list_query(query, pay_list_params, false);
        list_query(copy, pay_payout_list_params, true);
        list_query(none, NULL, false);
    }
    free(line);
    return 0;
}
