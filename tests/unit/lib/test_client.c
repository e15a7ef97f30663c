/* libpayout's client without a server: what it refuses before sending (and
 * how it leaves the caller's pay_call), which transport failures it does
 * not retry, and the limits of its retry settings. Public API only; the
 * retry policy's helpers are tested in test_client_policy.c, answers and
 * retries against servers in tests/integration/test_client_*.py. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "payout/client.h"

static const char secret[] = "test_sk_unit0000000000000000000000";
static const char security_hex[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static pay_client *client(const char *base, int max_retries, long backoff_ms)
{
    pay_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = base;
    cfg.secret_key = secret;
    cfg.security_key = security_hex;
    cfg.max_retries = max_retries;
    cfg.retry_backoff_ms = backoff_ms;
    cfg.connect_timeout_ms = 2000;
    cfg.timeout_ms = 5000;
    pay_client *c = NULL;
    pay_error err;
    if (pay_client_new(&cfg, &c, &err) != PAY_OK) {
        pay_test_fail(__FILE__, __LINE__, "pay_client_new: %s", err.message);
        return NULL;
    }
    return c;
}

/* Fills every output with something to be cleared. */
static void dirty(pay_call *call, const char *key)
{
    memset(call, 0x5a, sizeof *call);
    call->idempotency_key = key;
    call->code[0] = 'X';
    call->code[1] = 0;
    call->trace_id[0] = 0;
    call->used_idempotency_key[0] = 0;
    call->message[0] = 0;
}

static void check_refused(const pay_call *call, const char *key, pay_err rc, const char *why)
{
    CHECK_EQ_INT(rc, PAY_ERR_INVALID_ARG);
    CHECK_EQ_INT(call->outcome, PAY_CALL_LOCAL_ERROR);
    CHECK_MSG(call->idempotency_key == key, "the caller's idempotency_key was replaced");
    CHECK_EQ_INT(call->attempts, 0);
    CHECK_EQ_INT(call->http_status, 0);
    CHECK_EQ_STR(call->code, "");
    CHECK_CONTAINS(call->message, why);
    CHECK(!call->replayed && !call->sealed_response);
}

/* Review finding: id_ok/date_ok cleared the whole pay_call, so the caller's
 * idempotency_key (an input it may mean to reuse) was lost. */
static void test_bad_input_keeps_the_callers_idempotency_key(void)
{
    pay_client *c = client("http://127.0.0.1:9", -1, 1);
    REQUIRE(c);
    const char key[] = "order-2026-0001";
    pay_call call;
    pay_seller_result *s = NULL;
    pay_payout_list *l = NULL;
    pay_seller_fields changes;
    memset(&changes, 0, sizeof changes);

    dirty(&call, key);
    check_refused(&call, key, pay_client_sellers_update(c, "bad id!", &changes, &s, &call),
                  "an id is");
    CHECK(s == NULL);
    dirty(&call, key);
    check_refused(&call, key, pay_client_payouts_cancel(c, "../x", &l, &call), "an id is");
    CHECK(l == NULL);
    dirty(&call, key);
    check_refused(&call, key, pay_client_sellers_get(c, "", &s, &call), "an id is");
    dirty(&call, key);
    check_refused(&call, key, pay_client_sellers_delete(c, "a/b", NULL, &call), "an id is");
    dirty(&call, key);
    check_refused(&call, key, pay_client_payouts_get(c, "x?y", &l, &call), "an id is");
    pay_list_params p;
    memset(&p, 0, sizeof p);
    p.payout_date_gte = "2026-1-1";
    dirty(&call, key);
    check_refused(&call, key, pay_client_payouts_list(c, &p, &l, &call), "a date is yyyy-MM-dd");
    p.payout_date_gte = NULL;
    p.starting_after = "x&limit=1000";
    dirty(&call, key);
    check_refused(&call, key, pay_client_payouts_list(c, &p, &l, &call), "an id is");
    dirty(&call, key);
    pay_seller_list *sl = NULL;
    check_refused(&call, key, pay_client_sellers_list(c, &p, &sl, &call), "an id is");
    CHECK(sl == NULL);
    /* A NULL key stays NULL, too. */
    dirty(&call, NULL);
    check_refused(&call, NULL, pay_client_payouts_cancel(c, "", &l, &call), "an id is");
    pay_client_free(c);
}

/* Only the API's methods, exactly: "post" would go without an
 * Idempotency-Key and be retried after it may have run. */
static void test_method_is_exact(void)
{
    pay_client *c = client("http://127.0.0.1:9", 2, 1);
    REQUIRE(c);
    const char *bad[] = {"post", "PATCH", "PUT", "Get", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pay_call call;
        memset(&call, 0, sizeof call);
        char *envelope = (char *)&call; /* must be set to NULL */
        pay_err rc = pay_client_request(c, bad[i], "/v2/payouts", "[]", false, &envelope, &call);
        CHECK_EQ_INT(rc, PAY_ERR_INVALID_ARG);
        CHECK_EQ_INT(call.outcome, PAY_CALL_LOCAL_ERROR);
        CHECK_EQ_INT(call.attempts, 0);
        CHECK(envelope == NULL);
        CHECK_CONTAINS(call.message, "GET, POST or DELETE");
    }
    pay_client_free(c);
}

/* Review finding: every libcurl failure was retried, a URL libcurl cannot
 * use included (3 attempts and the backoff, for nothing). */
static void test_unusable_url_fails_once_and_fast(void)
{
    const char *bases[] = {"htp://127.0.0.1:9", "ftp://127.0.0.1:9", "http://[::1"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        pay_client *c = client(bases[i], 2, 2000); /* a retry would wait >= 2 s */
        REQUIRE(c);
        pay_call call;
        memset(&call, 0, sizeof call);
        pay_balance_result b;
        long long t0 = now_ms();
        pay_err rc = pay_client_balances_get(c, &b, &call);
        long long took = now_ms() - t0;
        CHECK_EQ_INT(rc, PAY_ERR_NETWORK);
        CHECK_EQ_INT(call.outcome, PAY_CALL_NETWORK_ERROR);
        CHECK_MSG(call.attempts == 1, "%s: %d attempts", bases[i], call.attempts);
        CHECK_MSG(took < 1500, "%s: took %lld ms", bases[i], took);
        CHECK_CONTAINS(call.message, "(not retried: the base URL cannot be used");
        pay_client_free(c);
    }
}

/* A refused connection is transient (a server restarting): retried. A
 * DELETE that never reached the server is retried like any request. */
static void test_refused_connection_is_retried(void)
{
    int port = closed_port();
    REQUIRE(port > 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    pay_client *c = client(base, 2, 1);
    REQUIRE(c);
    const char *methods[] = {"GET", "POST", "DELETE"};
    for (size_t i = 0; i < 3; i++) {
        pay_call call;
        memset(&call, 0, sizeof call);
        char *envelope = NULL;
        pay_err rc =
            pay_client_request(c, methods[i], "/v2/sellers/x", NULL, false, &envelope, &call);
        CHECK_EQ_INT(rc, PAY_ERR_NETWORK);
        CHECK_MSG(call.attempts == 3, "%s: %d attempts", methods[i], call.attempts);
        CHECK_MSG(strstr(call.message, "not retried") == NULL, "%s", call.message);
        free(envelope);
    }
    pay_client_free(c);
}

/* Retry settings have named limits: an unbounded backoff overflowed when
 * doubled (and then spun in nanosleep), unbounded retries hold a caller. */
static void test_retry_settings_have_limits(void)
{
    pay_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.secret_key = secret;
    pay_client *c = NULL;
    pay_error err;
    cfg.max_retries = PAY_CLIENT_RETRIES_MAX + 1;
    CHECK_EQ_INT(pay_client_new(&cfg, &c, &err), PAY_ERR_INVALID_ARG);
    CHECK(c == NULL);
    CHECK_CONTAINS(err.message, "max_retries is at most 10");
    cfg.max_retries = PAY_CLIENT_RETRIES_MAX;
    cfg.retry_backoff_ms = 9223372036854775807L;
    CHECK_EQ_INT(pay_client_new(&cfg, &c, &err), PAY_ERR_INVALID_ARG);
    CHECK(c == NULL);
    CHECK_CONTAINS(err.message, "retry_backoff_ms is at most 30000");
    cfg.retry_backoff_ms = PAY_CLIENT_BACKOFF_MAX_MS;
    CHECK_EQ_INT(pay_client_new(&cfg, &c, &err), PAY_OK);
    pay_client_free(c);
    c = NULL;
    cfg.max_retries = -1;
    cfg.retry_backoff_ms = -5; /* the defaults, as documented */
    CHECK_EQ_INT(pay_client_new(&cfg, &c, &err), PAY_OK);
    pay_client_free(c);
}

int main(void)
{
    if (pay_client_global_init() != PAY_OK) return 2;
    PAY_TEST(test_bad_input_keeps_the_callers_idempotency_key);
    PAY_TEST(test_method_is_exact);
    PAY_TEST(test_unusable_url_fails_once_and_fast);
    PAY_TEST(test_refused_connection_is_retried);
    PAY_TEST(test_retry_settings_have_limits);
    pay_client_global_cleanup();
    if (pay_test_failures) fprintf(stderr, "%d check(s) failed\n", pay_test_failures);
    return pay_test_failures ? 1 : 0;
}
