/*
 * Fuzz target: the holiday calendar file (data/holidays-kr.tsv format),
 * parsed by pay_calendar_parse (src/core/calendar.h).
 *
 * Invariants: a refusal has a non-empty message of printable ASCII only
 * (file bytes never reach the logs raw); a calendar has 1..4096 entries
 * and first_year <= last_year within 1970..9999; every date listed on a
 * line that parses on its own is closed; and around the first covered
 * year, weekends are closed and pay_calendar_next_business_day returns a
 * later business day.
 */
#include "fuzz.h"

#include "common/timeutil.h"
#include "core/calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[PAY_CALENDAR_ERR_BUF];
    pay_calendar *cal = pay_calendar_parse((const char *)data, size, "fuzz.tsv", err, sizeof err);
    if (!cal) {
        size_t n = strlen(err);
        FUZZ_CHECK(n > 0 && n < sizeof err);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] < 0x7f);
        return 0;
    }
    size_t count = pay_calendar_count(cal);
    int first = pay_calendar_first_year(cal), last = pay_calendar_last_year(cal);
    FUZZ_CHECK(count >= 1 && count <= PAY_CALENDAR_MAX_ENTRIES);
    FUZZ_CHECK(first >= 1970 && first <= last && last <= 9999);

    /* Every "YYYY-MM-DD\t" line start names a closed day. */
    const char *t = (const char *)data, *end = t + size;
    for (const char *p = t; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int32_t day;
        if (end - p > 10 && p[10] == '\t' && pay_date_parse(p, 10, &day))
            FUZZ_CHECK(!pay_calendar_is_business_day(cal, day) &&
                       pay_calendar_closure_name(cal, day) != NULL);
        p = nl ? nl + 1 : end;
    }

    int32_t start = pay_days_from_civil(first, 1, 1);
    for (int32_t d = start; d < start + 400; d++) {
        const char *name = pay_calendar_closure_name(cal, d);
        bool business = pay_calendar_is_business_day(cal, d);
        FUZZ_CHECK(business == (name == NULL));
        int wd = pay_weekday(d);
        if (wd >= 5) FUZZ_CHECK(!business);
        int32_t next = pay_calendar_next_business_day(cal, d);
        FUZZ_CHECK(next > d && pay_calendar_is_business_day(cal, next));
        FUZZ_CHECK(next - d <= 2 * (int32_t)count + 4); /* listed days plus weekends */
    }
    pay_calendar_free(cal);
    return 0;
}
