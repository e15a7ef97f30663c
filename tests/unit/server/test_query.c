/* Query strings (src/http/query.c, src/api/lists.c) and the routes'
 * declarations of them (src/api/routes.c, src/api/admin.c): a route takes
 * only the parameters it names, each once; every other route takes none
 * (docs/ERRORS.md: an unknown or repeated query parameter is
 * INVALID_REQUEST, naming it). */
#include <string.h>

#include "api/lists.h"
#include "core/apierr.h"
#include "harness.h"
#include "http/query.h"
#include "http/router.h"

/* Feeds "key=value" pairs (value NULL: a name without '=') as
 * libmicrohttpd hands them over; returns whether all were taken, and the
 * fault of the first refused one. */
typedef struct pair {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} pair;

#define P(k, v)                                                                                    \
    {                                                                                              \
        k, sizeof k - 1, v, sizeof v - 1                                                           \
    }
#define NAME_ONLY(k)                                                                               \
    {                                                                                              \
        k, sizeof k - 1, NULL, 0                                                                   \
    }

static bool take_all(const char *const *allowed, const pair *pairs, size_t n,
                     pay_query_value values[PAY_QUERY_MAX_PARAMS], pay_fault *f)
{
    memset(values, 0, PAY_QUERY_MAX_PARAMS * sizeof *values);
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n; i++)
        if (!pay_query_take(allowed, pairs[i].key, pairs[i].key_len, pairs[i].value,
                            pairs[i].value_len, values, f))
            return false;
    return true;
}

static void refused(const char *const *allowed, const pair *pairs, size_t n, const char *phrase,
                    int line)
{
    pay_query_value v[PAY_QUERY_MAX_PARAMS];
    pay_fault f;
    if (take_all(allowed, pairs, n, v, &f)) {
        pay_test_fail(__FILE__, line, "query accepted; expected \"%s\"", phrase);
        return;
    }
    if (f.code != PAY_E_INVALID_REQUEST)
        pay_test_fail(__FILE__, line, "fault %s, expected INVALID_REQUEST",
                      pay_api_err_code(f.code));
    if (!strstr(f.detail_en, phrase))
        pay_test_fail(__FILE__, line, "detail \"%s\" lacks \"%s\"", f.detail_en, phrase);
    if (!f.detail_ko[0]) pay_test_fail(__FILE__, line, "no Korean detail");
}

#define REFUSED(allowed, phrase, ...)                                                              \
    do {                                                                                           \
        const pair ps_[] = {__VA_ARGS__};                                                          \
        refused(allowed, ps_, sizeof ps_ / sizeof ps_[0], phrase, __LINE__);                       \
    } while (0)

static void test_query_no_parameters(void)
{
    /* a route that declares none refuses any parameter, naming it */
    REFUSED(NULL, "foo: this API takes no query parameters", P("foo", "1"));
    REFUSED(NULL, "limit: this API takes no query parameters", P("limit", "5"));
    REFUSED(NULL, "a: this API takes no query parameters", P("a", "1"), P("a", "2"));
    REFUSED(NULL, "x: this API takes no query parameters", NAME_ONLY("x"));
    REFUSED(NULL, "\"\": this API takes no query parameters", P("", "1"));
    static const char *const none[] = {NULL};
    REFUSED(none, "foo: this API takes no query parameters", P("foo", "1"));
}

static void test_query_declared_parameters(void)
{
    pay_query_value v[PAY_QUERY_MAX_PARAMS];
    pay_fault f;
    const pair ok[] = {P("payoutDateLte", "2026-12-31"), P("limit", "5"),
                       NAME_ONLY("startingAfter")};
    REQUIRE(take_all(pay_payout_list_params, ok, 3, v, &f));
    CHECK(v[0].s && v[0].len == 1 && memcmp(v[0].s, "5", 1) == 0);
    CHECK(v[1].s && v[1].len == 0); /* a name alone: the empty value */
    CHECK(v[2].s == NULL);          /* absent */
    CHECK(v[3].s && v[3].len == 10 && memcmp(v[3].s, "2026-12-31", 10) == 0);
    for (size_t i = 4; i < PAY_QUERY_MAX_PARAMS; i++)
        CHECK(v[i].s == NULL);

    REFUSED(pay_list_params, "foo: unsupported query parameter", P("limit", "5"), P("foo", "1"));
    REFUSED(pay_list_params, "limit: may appear only once", P("limit", "1"), P("limit", "1"));
    REFUSED(pay_list_params, "limit: may appear only once", P("limit", "1"), NAME_ONLY("limit"));
    REFUSED(pay_list_params, "payoutDateGte: unsupported query parameter",
            P("payoutDateGte", "2026-01-01"));
    REFUSED(pay_list_params, "LIMIT: unsupported", P("LIMIT", "5"));
    REFUSED(pay_list_params, "limit[]: unsupported", P("limit[]", "5"));
    REFUSED(pay_list_params, "\"\": unsupported", P("", "5"));
    REFUSED(pay_payout_list_params, "status: unsupported", P("status", "COMPLETED"));
    /* a name is shown printable: other bytes escaped, long ones cut */
    REFUSED(pay_list_params, "\\xff\\x1b[31m: unsupported", P("\xff\x1b[31m", "1"));
    REFUSED(pay_list_params, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: unsupported",
            P("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "1"));
}

/* A decoded %00 is a byte of the value (libmicrohttpd's length counts what
 * follows it), so no reader takes "5%00" for 5 or "<id>%00junk" for <id>;
 * other control bytes are refused the same way, each with its parameter's
 * code. */
static void list_value(int which, const char *value, size_t len, pay_api_err code, int line)
{
    pay_query_value v[4] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
    v[which].s = value;
    v[which].len = len;
    pay_list_query q;
    pay_fault f;
    memset(&f, 0, sizeof f);
    bool ok = pay_list_query_from(v, true, &q, &f);
    if (code == PAY_E_NONE && !ok)
        pay_test_fail(__FILE__, line, "value %d refused: %s", which, f.detail_en);
    else if (code != PAY_E_NONE && ok)
        pay_test_fail(__FILE__, line, "value %d (%zu bytes) accepted; expected %s", which, len,
                      pay_api_err_code(code));
    else if (code != PAY_E_NONE && f.code != code)
        pay_test_fail(__FILE__, line, "value %d: %s, expected %s", which, pay_api_err_code(f.code),
                      pay_api_err_code(code));
}

#define LIST_VALUE(which, lit, code) list_value(which, lit, sizeof lit - 1, PAY_E_##code, __LINE__)

static void test_query_nul_and_controls(void)
{
    /* accepted as sent */
    LIST_VALUE(0, "5", NONE);
    LIST_VALUE(1, "seller_01jfxg2q3w4e5r6t7y8v9x0z1p", NONE);
    LIST_VALUE(2, "2026-12-01", NONE);
    /* a NUL inside, at the end, alone */
    LIST_VALUE(0, "5\0", INVALID_REQUEST);
    LIST_VALUE(0, "\0", INVALID_REQUEST);
    LIST_VALUE(0,
               "5\0"
               "0",
               INVALID_REQUEST);
    LIST_VALUE(1, "seller_01jfxg2q3w4e5r6t7y8v9x0z1p\0junk", INVALID_PAGING_KEY);
    LIST_VALUE(1, "seller_01jfxg2q3w4e5r6t7y8v9x0z1p\0", INVALID_PAGING_KEY);
    LIST_VALUE(1, "\0", INVALID_PAGING_KEY);
    LIST_VALUE(2, "2026-12-01\0", INVALID_DATE);
    LIST_VALUE(3, "2026-12-01\0x", INVALID_DATE);
    /* other control bytes, SP and DEL */
    static const char ctl[] = {1, 9, 10, 13, 27, 31, 32, 127};
    for (size_t i = 0; i < sizeof ctl; i++) {
        char lim[] = {'5', ctl[i]};
        char id[] = {'s', 'e', 'l', 'l', 'e', 'r', '_', '1', ctl[i]};
        char date[] = {'2', '0', '2', '6', '-', '1', '2', '-', '0', '1', ctl[i]};
        list_value(0, lim, sizeof lim, PAY_E_INVALID_REQUEST, __LINE__);
        list_value(1, id, sizeof id, PAY_E_INVALID_PAGING_KEY, __LINE__);
        list_value(2, date, sizeof date, PAY_E_INVALID_DATE, __LINE__);
    }
    /* a name with a NUL is not the name before it: "limit%00=5" is unknown */
    pay_query_value v[PAY_QUERY_MAX_PARAMS];
    pay_fault f;
    const pair nul_key[] = {{"limit\0", 6, "5", 1}};
    CHECK(!take_all(pay_list_params, nul_key, 1, v, &f));
    CHECK_CONTAINS(f.detail_en, "limit\\x00: unsupported query parameter");
    const pair nul_key2[] = {{"limit\0x", 7, "5", 1}};
    CHECK(!take_all(pay_list_params, nul_key2, 1, v, &f));
    CHECK_CONTAINS(f.detail_en, "limit\\x00x: unsupported");
    /* a value keeps its length through pay_query_take */
    const pair nul_value[] = {{"limit", 5, "5\0", 2}};
    REQUIRE(take_all(pay_list_params, nul_value, 1, v, &f));
    CHECK(v[0].len == 2 && v[0].s[1] == 0);
    CHECK(!pay_query_is_cstr(&v[0]));
    const pair plain[] = {{"limit", 5, "5", 1}};
    REQUIRE(take_all(pay_list_params, plain, 1, v, &f));
    CHECK(pay_query_is_cstr(&v[0]));
}

/* Only the lists declare a query; every other route takes none, so a new
 * route refuses parameters unless it names them. */
static void test_routes_declare_queries(void)
{
    for (const pay_route *r = pay_api_routes; r->pattern; r++) {
        bool list = strcmp(r->method, "GET") == 0 && (strcmp(r->pattern, "/v2/sellers") == 0 ||
                                                      strcmp(r->pattern, "/v2/payouts") == 0);
        CHECK_MSG(list == (r->query != NULL), "%s declares %s query", r->name,
                  r->query ? "a" : "no");
    }
    const pay_route *found = NULL;
    char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1];
    REQUIRE(pay_route_find(pay_api_routes, "GET", "/v2/sellers", &found, params) ==
            PAY_ROUTE_FOUND);
    CHECK(found->query == pay_list_params);
    REQUIRE(pay_route_find(pay_api_routes, "GET", "/v2/payouts", &found, params) ==
            PAY_ROUTE_FOUND);
    CHECK(found->query == pay_payout_list_params);
    static const char *const none[][2] = {
        {"GET", "/v2/balances"},          {"GET", "/v2/sellers/seller_1"},
        {"GET", "/v2/payouts/FPA_1"},     {"POST", "/v2/sellers"},
        {"POST", "/v2/sellers/seller_1"}, {"DELETE", "/v2/sellers/seller_1"},
        {"POST", "/v2/payouts"},          {"POST", "/v2/payouts/FPA_1/cancel"}};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        REQUIRE(pay_route_find(pay_api_routes, none[i][0], none[i][1], &found, params) ==
                PAY_ROUTE_FOUND);
        CHECK_MSG(found->query == NULL, "%s %s takes a query", none[i][0], none[i][1]);
    }
    /* the admin API: only its two lists */
    for (const pay_route *r = pay_admin_routes; r->pattern; r++) {
        bool list = strcmp(r->pattern, "/admin/v1/traces") == 0 ||
                    strcmp(r->pattern, "/admin/v1/merchants/:mid/webhooks") == 0;
        CHECK_MSG(list == (r->query != NULL), "%s declares %s query", r->name,
                  r->query ? "a" : "no");
    }
    /* every declaration fits ctx->query */
    const pay_route *tables[] = {pay_api_routes, pay_admin_routes};
    for (size_t t = 0; t < 2; t++)
        for (const pay_route *r = tables[t]; r->pattern; r++) {
            size_t n = 0;
            while (r->query && r->query[n])
                n++;
            CHECK_MSG(n <= PAY_QUERY_MAX_PARAMS, "%s declares %zu parameters", r->name, n);
        }
}

PAY_TEST_MAIN(PAY_TEST(test_query_no_parameters), PAY_TEST(test_query_declared_parameters),
              PAY_TEST(test_query_nul_and_controls), PAY_TEST(test_routes_declare_queries))
