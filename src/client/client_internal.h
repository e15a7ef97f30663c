/* What pay_client holds; shared by the client's source files only. */
#ifndef PAY_CLIENT_INTERNAL_H
#define PAY_CLIENT_INTERNAL_H

#include "payout/client.h"
#include "payout/jwe.h"

struct pay_client {
    char *base_url;    /* without a trailing slash */
    char *auth_header; /* "Authorization: Basic ...": the credential, wiped on free */
    pay_key key;
    bool have_key;
    long connect_timeout_ms;
    long timeout_ms;
    int max_retries;
    long backoff_ms;
    char *accept_language;
    bool encrypt_reads;
    char *ca_file;
    char *test_code;
    char *user_agent;
    void *curl; /* CURL *, reused so connections persist */
};

/* Clears a pay_call's outputs and keeps its one input, idempotency_key
 * (borrowed from the caller, who may reuse the struct for a retry of its
 * own). Every path that fills a pay_call starts here. */
void pay_call_reset(pay_call *call);

/* Why a failed libcurl transfer (a CURLcode) is not tried again, or NULL when
 * the failure is transient and a retry may get an answer. */
const char *pay_client_curl_not_retried(int curl_code);

/* A Retry-After value (delay-seconds or an HTTP-date, RFC 9110 10.2.3) as
 * seconds from `now`: 0 for a date in the past, -1 when absent or
 * unreadable; more than 10^9 s comes back as 10^9 (no overflow). */
long pay_client_retry_after_s(const char *value, long long now);

/* The wait before retry number attempt + 1 (attempt 0 is the first retry):
 * backoff_ms doubled per earlier retry plus jitter/1024 of it (jitter
 * 0..255), at most PAY_CLIENT_BACKOFF_MAX_MS; and never less than a
 * Retry-After of retry_after_s (when >= 0; the caller refuses one over
 * PAY_CLIENT_RETRY_AFTER_MAX_S). */
long pay_client_retry_delay_ms(long backoff_ms, int attempt, long retry_after_s, unsigned jitter);

#endif
