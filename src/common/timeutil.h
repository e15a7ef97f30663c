/*
 * Calendar arithmetic without the C library's time zone machinery: the API
 * speaks Korea Standard Time (UTC+9, no DST), so KST is a fixed offset.
 * Dates are "days since 1970-01-01" (int32); times are Unix microseconds.
 */
#ifndef PAY_TIMEUTIL_H
#define PAY_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAY_US_PER_SEC INT64_C(1000000)
#define PAY_US_PER_DAY (INT64_C(86400) * PAY_US_PER_SEC)
#define PAY_KST_OFFSET_US (INT64_C(9) * 3600 * PAY_US_PER_SEC)
#define PAY_DATE_BUF 11 /* yyyy-MM-dd + NUL */

/* Wall-clock now, Unix microseconds (the real clock; see core/clock.h for
 * the per-merchant clock the domain uses). */
int64_t pay_real_now_us(void);
/* Monotonic microseconds, for latencies and timeouts. */
int64_t pay_mono_now_us(void);

int32_t pay_days_from_civil(int y, int m, int d);
void pay_civil_from_days(int32_t days, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday. */
int pay_weekday(int32_t days);

/* Strict yyyy-MM-dd, a real calendar date between 1970 and 9999. */
bool pay_date_parse(const char *s, size_t n, int32_t *days);
void pay_date_format(int32_t days, char out[PAY_DATE_BUF]);
/* The KST calendar date of an instant. */
int32_t pay_kst_date(int64_t unix_us);
/* Minutes since KST midnight of an instant (0..1439). */
int pay_kst_minute_of_day(int64_t unix_us);

/* ISO 8601 UTC with milliseconds for logs: 2026-12-03T16:34:56.123Z */
#define PAY_ISO_BUF 32
void pay_format_utc_ms(int64_t unix_us, char out[PAY_ISO_BUF]);

#endif
