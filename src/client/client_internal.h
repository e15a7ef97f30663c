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

#endif
