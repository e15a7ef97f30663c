#include "common/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "payout/jwe.h"

int64_t pay_real_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * PAY_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t pay_mono_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * PAY_US_PER_SEC + ts.tv_nsec / 1000;
}

/* Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms). */
int32_t pay_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void pay_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    int zz = z + 719468;
    int era = (zz >= 0 ? zz : zz - 146096) / 146097;
    unsigned doe = (unsigned)(zz - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

int pay_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int w = (int)((days % 7 + 7 + 3) % 7);
    return w;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool pay_date_parse(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return false;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
    *days = pay_days_from_civil(y, m, d);
    return true;
}

/* Writes v as exactly `width` decimal digits (v is taken modulo 10^width). */
static char *put_digits(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + (v % 10 + 10) % 10);
        v /= 10;
    }
    return p + width;
}

/* yyyy-MM-dd at p; returns the end. */
static char *put_date(char *p, int32_t days)
{
    int y, m, d;
    pay_civil_from_days(days, &y, &m, &d);
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    return put_digits(p, d, 2);
}

/* HH:mm:ss at p; returns the end. */
static char *put_time(char *p, int h, int mi, int s)
{
    p = put_digits(p, h, 2);
    *p++ = ':';
    p = put_digits(p, mi, 2);
    *p++ = ':';
    return put_digits(p, s, 2);
}

void pay_date_format(int32_t days, char out[PAY_DATE_BUF])
{
    *put_date(out, days) = 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t pay_kst_date(int64_t unix_us)
{
    return (int32_t)floor_div(unix_us + PAY_KST_OFFSET_US, PAY_US_PER_DAY);
}

int pay_kst_minute_of_day(int64_t unix_us)
{
    int64_t local = unix_us + PAY_KST_OFFSET_US;
    int64_t in_day = local - floor_div(local, PAY_US_PER_DAY) * PAY_US_PER_DAY;
    return (int)(in_day / (60 * PAY_US_PER_SEC));
}

static void split(int64_t unix_us, int32_t *days, int *h, int *mi, int *s, int *us)
{
    int64_t secs = floor_div(unix_us, PAY_US_PER_SEC);
    *us = (int)(unix_us - secs * PAY_US_PER_SEC);
    *days = (int32_t)floor_div(secs, 86400);
    int sod = (int)(secs - (int64_t)*days * 86400);
    *h = sod / 3600;
    *mi = sod / 60 % 60;
    *s = sod % 60;
}

void pay_format_kst(int64_t unix_us, char out[PAY_IAT_BUF])
{
    int32_t days;
    int h, mi, s, us;
    split(unix_us + PAY_KST_OFFSET_US, &days, &h, &mi, &s, &us);
    char *p = put_date(out, days);
    *p++ = 'T';
    p = put_time(p, h, mi, s);
    memcpy(p, "+09:00", 7);
}

void pay_format_utc_ms(int64_t unix_us, char out[PAY_ISO_BUF])
{
    int32_t days;
    int h, mi, s, us;
    split(unix_us, &days, &h, &mi, &s, &us);
    char *p = put_date(out, days);
    *p++ = 'T';
    p = put_time(p, h, mi, s);
    *p++ = '.';
    p = put_digits(p, us / 1000, 3);
    memcpy(p, "Z", 2);
}

pay_err pay_parse_iat(const char *t, size_t n, int64_t *unix_us, pay_error *err)
{
    /* yyyy-MM-ddTHH:mm[:ss[.f{1,9}]](±hh:mm|Z) — spec §10 #3 */
    int y, mo, d, h, mi, s = 0, frac_us = 0, off_min = 0;
    size_t i = 16;
    if (n < 17 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
        !digits(t, 4, &y) || !digits(t + 5, 2, &mo) || !digits(t + 8, 2, &d) ||
        !digits(t + 11, 2, &h) || !digits(t + 14, 2, &mi))
        goto bad;
    if (t[i] == ':') {
        if (n < i + 3 || !digits(t + i + 1, 2, &s)) goto bad;
        i += 3;
        if (i < n && t[i] == '.') {
            size_t start = ++i;
            int scale = 100000;
            while (i < n && t[i] >= '0' && t[i] <= '9') {
                if (scale) frac_us += (t[i] - '0') * scale;
                scale /= 10;
                i++;
            }
            if (i == start || i - start > 9) goto bad;
        }
    }
    if (i >= n) goto bad;
    if (t[i] == 'Z') {
        i++;
    } else if (t[i] == '+' || t[i] == '-') {
        int oh, om;
        if (n < i + 6 || t[i + 3] != ':' || !digits(t + i + 1, 2, &oh) ||
            !digits(t + i + 4, 2, &om) || oh > 23 || om > 59)
            goto bad;
        off_min = (oh * 60 + om) * (t[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        goto bad;
    }
    if (i != n) goto bad;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        s > 59)
        goto bad;
    int64_t secs = (int64_t)pay_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    *unix_us = (secs - (int64_t)off_min * 60) * PAY_US_PER_SEC + frac_us;
    return PAY_OK;
bad:
    return pay_error_set(err, PAY_ERR_JWE_HEADER_MEMBER,
                         "iat \"%.*s\" is not yyyy-MM-ddTHH:mm[:ss[.fraction]] followed by "
                         "+hh:mm, -hh:mm or Z",
                         (int)(n > 64 ? 64 : n), t);
}
