/*
 * The Korean bank business-day calendar that payouts use: SCHEDULED payout
 * dates must be business days and EXPRESS payouts run only on business days
 * (a closed day gives NOT_ALLOWED_HOLIDAY). A business day is neither a
 * Saturday, a Sunday, nor a closure listed in the calendar file
 * (data/holidays-kr.tsv documents the format in its header).
 *
 * Ownership: a pay_calendar is created by one of the three loaders and freed
 * by pay_calendar_free; names returned by pay_calendar_closure_name are
 * borrowed from the calendar (or static) and live as long as it does.
 * Thread-safety: a calendar is immutable once loaded, so any number of
 * threads may query one concurrently without locks.
 *
 * Dates are "days since 1970-01-01" as in common/timeutil.h. Outside the
 * years the file covers (pay_calendar_first_year .. pay_calendar_last_year)
 * only weekends are known; callers that care should check the coverage.
 */
#ifndef PAY_CALENDAR_H
#define PAY_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what a calendar file may hold (STYLE: a named limit on
 * everything that grows). */
#define PAY_CALENDAR_MAX_ENTRIES 4096       /* listed closures */
#define PAY_CALENDAR_MAX_NAME 128           /* bytes of one name */
#define PAY_CALENDAR_MAX_FILE (1024 * 1024) /* bytes of one file */
#define PAY_CALENDAR_ERR_BUF 256            /* fits any message unless origin is long */

typedef struct pay_calendar pay_calendar;

/* Parses a calendar from text[0..len). Strict: a malformed line, a
 * non-date, a duplicate date, an empty or badly formed name, or no entry at
 * all is refused. On failure returns NULL and writes "origin:line: why" to
 * err (errlen bytes, always terminated when errlen > 0). `origin` names the
 * source in messages, e.g. a path. */
pay_calendar *pay_calendar_parse(const char *text, size_t len, const char *origin, char *err,
                                 size_t errlen) __attribute__((warn_unused_result));

/* Reads and parses a file (at most PAY_CALENDAR_MAX_FILE bytes); errors cite
 * "path:line", or "path: why" when the file cannot be read. */
pay_calendar *pay_calendar_load_file(const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The data/holidays-kr.tsv compiled into the binary at build time. */
pay_calendar *pay_calendar_load_default(char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* NULL is a no-op. */
void pay_calendar_free(pay_calendar *cal);

bool pay_calendar_is_business_day(const pay_calendar *cal, int32_t day);

/* The listed closure's name, "토요일"/"일요일" for an unlisted weekend, NULL
 * for a business day. A listed holiday on a weekend reports its own name. */
const char *pay_calendar_closure_name(const pay_calendar *cal, int32_t day);

/* The first business day strictly after `day`. */
int32_t pay_calendar_next_business_day(const pay_calendar *cal, int32_t day);

/* The years the file covers: those of its earliest and latest entries. */
int pay_calendar_first_year(const pay_calendar *cal);
int pay_calendar_last_year(const pay_calendar *cal);

/* Number of listed closures. */
size_t pay_calendar_count(const pay_calendar *cal);

#endif
