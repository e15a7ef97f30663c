/* The client's retry policy, piece by piece (src/client/transport.c): which
 * libcurl failures are retried, how Retry-After is read, and how long a
 * wait may be. */
#include <curl/curl.h>
#include <limits.h>
#include <string.h>

#include "client/client_internal.h"
#include "harness.h"

static void test_transient_curl_failures_are_retried(void)
{
    const CURLcode transient[] = {
        CURLE_COULDNT_RESOLVE_PROXY,
        CURLE_COULDNT_RESOLVE_HOST,
        CURLE_COULDNT_CONNECT,
        CURLE_OPERATION_TIMEDOUT,
        CURLE_SSL_CONNECT_ERROR,
        CURLE_SEND_ERROR,
        CURLE_RECV_ERROR,
        CURLE_GOT_NOTHING,
        CURLE_PARTIAL_FILE,
        CURLE_HTTP2,
        CURLE_HTTP2_STREAM,
    };
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        CHECK_MSG(pay_client_curl_not_retried(transient[i]) == NULL, "%s is transient",
                  curl_easy_strerror(transient[i]));
}

static void test_permanent_curl_failures_are_not_retried(void)
{
    static const struct {
        CURLcode rc;
        const char *why;
    } permanent[] = {
        {CURLE_UNSUPPORTED_PROTOCOL, "base URL"},
        {CURLE_URL_MALFORMAT, "base URL"},
        {CURLE_NOT_BUILT_IN, "base URL"},
        {CURLE_PEER_FAILED_VERIFICATION, "certificate is not trusted"},
        {CURLE_SSL_ISSUER_ERROR, "certificate is not trusted"},
        {CURLE_SSL_PINNEDPUBKEYNOTMATCH, "certificate is not trusted"},
        {CURLE_SSL_INVALIDCERTSTATUS, "certificate is not trusted"},
        {CURLE_SSL_CACERT_BADFILE, "certificate file"},
        {CURLE_SSL_CRL_BADFILE, "certificate file"},
        {CURLE_SSL_CERTPROBLEM, "certificate file"},
        {CURLE_SSL_CIPHER, "cipher"},
        {CURLE_WEIRD_SERVER_REPLY, "not HTTP"},
        {CURLE_BAD_CONTENT_ENCODING, "not HTTP"},
        {CURLE_OUT_OF_MEMORY, "memory"},
        {CURLE_WRITE_ERROR, "memory"},
        {CURLE_FILESIZE_EXCEEDED, "asking again"},
        {CURLE_TOO_MANY_REDIRECTS, "asking again"},
        {CURLE_ABORTED_BY_CALLBACK, "asking again"},
        {CURLE_FAILED_INIT, "asking again"},
        {(CURLcode)9999, "asking again"}, /* a code a newer libcurl might add */
    };
    for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
        const char *why = pay_client_curl_not_retried(permanent[i].rc);
        CHECK_MSG(why && strstr(why, permanent[i].why), "%d (%s): %s", (int)permanent[i].rc,
                  curl_easy_strerror(permanent[i].rc), why ? why : "retried");
    }
}

static void test_retry_after(void)
{
    const long long now = 1784000000; /* 2026-07-14T03:33:20Z */
    CHECK_EQ_INT(pay_client_retry_after_s(NULL, now), -1);
    CHECK_EQ_INT(pay_client_retry_after_s("", now), -1);
    CHECK_EQ_INT(pay_client_retry_after_s("0", now), 0);
    CHECK_EQ_INT(pay_client_retry_after_s("7", now), 7);
    CHECK_EQ_INT(pay_client_retry_after_s("120", now), 120);
    CHECK_EQ_INT(pay_client_retry_after_s("99999999999999999999999999", now), 1000000000);
    CHECK_EQ_INT(pay_client_retry_after_s("12abc", now), -1);
    CHECK_EQ_INT(pay_client_retry_after_s("-5", now), -1);
    CHECK_EQ_INT(pay_client_retry_after_s("soon", now), -1);
    /* HTTP-dates (RFC 9110 5.6.7): relative to now; the past is "now". */
    CHECK_EQ_INT(pay_client_retry_after_s("Tue, 14 Jul 2026 03:33:50 GMT", now), 30);
    CHECK_EQ_INT(pay_client_retry_after_s("Tuesday, 14-Jul-26 03:35:20 GMT", now), 120);
    CHECK_EQ_INT(pay_client_retry_after_s("Tue, 14 Jul 2026 03:00:00 GMT", now), 0);
    CHECK_EQ_INT(pay_client_retry_after_s("Wed, 14 Jul 2027 03:33:20 GMT", now), 365L * 86400);
}

static void test_backoff_doubles_up_to_the_cap(void)
{
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 0, -1, 0), 250);
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 1, -1, 0), 500);
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 3, -1, 0), 2000);
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 0, -1, 255), 250 + 250 * 255 / 1024);
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 9, -1, 0), PAY_CLIENT_BACKOFF_MAX_MS);
    CHECK_EQ_INT(pay_client_retry_delay_ms(20000, 1, -1, 0), PAY_CLIENT_BACKOFF_MAX_MS);
    CHECK_EQ_INT(pay_client_retry_delay_ms(28000, 0, -1, 255),
                 PAY_CLIENT_BACKOFF_MAX_MS); /* jitter too */
    /* No overflow, whatever the numbers (UBSan checks this in the ASan build). */
    CHECK_EQ_INT(pay_client_retry_delay_ms(LONG_MAX, 0, -1, 255), PAY_CLIENT_BACKOFF_MAX_MS);
    CHECK_EQ_INT(pay_client_retry_delay_ms(PAY_CLIENT_BACKOFF_MAX_MS, INT_MAX, -1, 255),
                 PAY_CLIENT_BACKOFF_MAX_MS);
    CHECK_EQ_INT(pay_client_retry_delay_ms(1, 1000, -1, 0), PAY_CLIENT_BACKOFF_MAX_MS);
    CHECK_EQ_INT(pay_client_retry_delay_ms(0, 3, -1, 255), 0);
    CHECK_EQ_INT(pay_client_retry_delay_ms(0, INT_MAX, -1, 255), 0);
}

static void test_retry_after_is_a_floor(void)
{
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 0, 2, 0), 2000);
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 0, 0, 0), 250);
    CHECK_EQ_INT(pay_client_retry_delay_ms(4000, 0, 1, 0), 4000);
    CHECK_EQ_INT(pay_client_retry_delay_ms(250, 0, PAY_CLIENT_RETRY_AFTER_MAX_S, 255),
                 PAY_CLIENT_RETRY_AFTER_MAX_S * 1000L);
}

static void test_call_reset_keeps_the_input(void)
{
    pay_call call;
    memset(&call, 0, sizeof call);
    const char key[] = "k-1";
    call.idempotency_key = key;
    call.attempts = 3;
    call.http_status = 503;
    memcpy(call.code, "X", 2);
    memcpy(call.used_idempotency_key, "old", 4);
    pay_call_reset(&call);
    CHECK(call.idempotency_key == key);
    CHECK_EQ_INT(call.attempts, 0);
    CHECK_EQ_INT(call.http_status, 0);
    CHECK_EQ_STR(call.code, "");
    CHECK_EQ_STR(call.used_idempotency_key, "");
}

PAY_TEST_MAIN(PAY_TEST(test_transient_curl_failures_are_retried);
              PAY_TEST(test_permanent_curl_failures_are_not_retried); PAY_TEST(test_retry_after);
              PAY_TEST(test_backoff_doubles_up_to_the_cap); PAY_TEST(test_retry_after_is_a_floor);
              PAY_TEST(test_call_reset_keeps_the_input))
