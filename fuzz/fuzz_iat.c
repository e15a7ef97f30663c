/*
 * Fuzz target: the JWE header's iat, yyyy-MM-ddTHH:mm[:ss[.f{1,9}]](±hh:mm|Z)
 * (spec §3.4, §10 #3), parsed by pay_parse_iat (include/payout/jwe.h). The
 * input is the value's bytes with their length (no NUL), as the parser
 * gets them.
 *
 * Invariants: an accepted value ends in 'Z' or a digit and lies between
 * 1969-12-31 and 10000-01-02 UTC; formatting it in KST
 * (pay_format_kst, whole seconds) and parsing that gives the same instant
 * truncated to the second (for instants whose KST date is in 1970..9999,
 * the years the parser takes).
 */
#include "fuzz.h"

#include "payout/jwe.h"

static int64_t floor_sec(int64_t us)
{
    int64_t s = us / 1000000;
    if (us % 1000000 < 0) s--;
    return s * 1000000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    int64_t us = 0;
    pay_error err;
    if (pay_parse_iat(t, size, &us, &err) != PAY_OK) {
        FUZZ_CHECK(err.message[0] != 0);
        return 0;
    }
    char last = t[size - 1];
    FUZZ_CHECK(last == 'Z' || (last >= '0' && last <= '9'));
    /* 1970-01-01T00:00+23:59 .. 9999-12-31T23:59:59.999999999-23:59 */
    FUZZ_CHECK(us >= -INT64_C(86400) * 1000000 && us < INT64_C(253402387200) * 1000000);

    char kst[PAY_IAT_BUF];
    pay_format_kst(us, kst);
    FUZZ_CHECK(strlen(kst) == 25);
    int64_t back = 0;
    /* 10000-01-01T00:00:00+09:00, the first KST instant with a 5-digit year */
    const int64_t kst_end = (INT64_C(253402300800) - 9 * 3600) * 1000000;
    if (us >= 0 && us < kst_end) {
        FUZZ_CHECK(pay_parse_iat(kst, strlen(kst), &back, &err) == PAY_OK);
        FUZZ_CHECK(back == floor_sec(us));
    }
    return 0;
}
