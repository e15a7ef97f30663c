/* Calendar arithmetic, KST helpers and the iat parser (src/common/timeutil.c;
 * pay_parse_iat and pay_format_kst are declared in include/payout/jwe.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/timeutil.h"
#include "harness.h"
#include "payout/jwe.h"

/* An independent leap-year rule, so the round trip does not check the
 * module against itself. */
static int month_len(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

static bool parse(const char *s, int32_t *days)
{
    return pay_date_parse(s, strlen(s), days);
}

/* Unix microseconds of a UTC civil time, built from the (already tested)
 * day count. */
static int64_t utc_us(int y, int mo, int d, int h, int mi, int s, int us)
{
    int64_t secs = (int64_t)pay_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return secs * PAY_US_PER_SEC + us;
}

static void test_every_day_1970_to_2100(void)
{
    int32_t expect = 0;
    int weekday = 3; /* 1970-01-01 was a Thursday; 0 = Monday */
    int bad = 0;
    for (int y = 1970; y <= 2100 && bad < 5; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= month_len(y, m); d++, expect++, weekday = (weekday + 1) % 7) {
                int32_t days = pay_days_from_civil(y, m, d);
                int yy = 0, mm = 0, dd = 0;
                pay_civil_from_days(expect, &yy, &mm, &dd);
                char text[PAY_DATE_BUF], want[32];
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                pay_date_format(expect, text);
                int32_t parsed = -1;
                bool ok = pay_date_parse(text, strlen(text), &parsed);
                if (days != expect || yy != y || mm != m || dd != d || strcmp(text, want) != 0 ||
                    !ok || parsed != expect || pay_weekday(expect) != weekday) {
                    CHECK_MSG(false,
                              "%s: days %d (want %d), back %04d-%02d-%02d, text %s, parse %d/%d, "
                              "weekday %d (want %d)",
                              want, (int)days, (int)expect, yy, mm, dd, text, ok, (int)parsed,
                              pay_weekday(expect), weekday);
                    bad++;
                }
            }
        }
    }
    /* 131 years, 32 of them leap (2000 is, 2100 is not). */
    CHECK_EQ_INT(expect, 131 * 365 + 32);
    CHECK_EQ_INT(pay_days_from_civil(2100, 12, 31), 47846);
}

static void test_known_days(void)
{
    int y, m, d;
    CHECK_EQ_INT(pay_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(pay_days_from_civil(1972, 2, 29), 789);
    CHECK_EQ_INT(pay_days_from_civil(2000, 2, 29), 11016);
    CHECK_EQ_INT(pay_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(pay_days_from_civil(2024, 12, 31), 20088);
    CHECK_EQ_INT(pay_days_from_civil(2026, 12, 3), 20790);
    pay_civil_from_days(11016, &y, &m, &d);
    CHECK(y == 2000 && m == 2 && d == 29);
    /* before the epoch: 1969-12-31 */
    CHECK_EQ_INT(pay_days_from_civil(1969, 12, 31), -1);
    pay_civil_from_days(-1, &y, &m, &d);
    CHECK(y == 1969 && m == 12 && d == 31);
}

static void test_weekday(void)
{
    CHECK_EQ_INT(pay_weekday(0), 3);                                 /* 1970-01-01 Thursday */
    CHECK_EQ_INT(pay_weekday(pay_days_from_civil(2026, 12, 3)), 3);  /* Thursday */
    CHECK_EQ_INT(pay_weekday(pay_days_from_civil(2000, 2, 29)), 1);  /* Tuesday */
    CHECK_EQ_INT(pay_weekday(pay_days_from_civil(2024, 12, 29)), 6); /* Sunday */
    CHECK_EQ_INT(pay_weekday(pay_days_from_civil(2024, 12, 30)), 0); /* Monday */
    CHECK_EQ_INT(pay_weekday(-1), 2);                                /* 1969-12-31 Wednesday */
    CHECK_EQ_INT(pay_weekday(-4), 6);                                /* 1969-12-28 Sunday */
    CHECK_EQ_INT(pay_weekday(-7), 3);
    CHECK_EQ_INT(pay_weekday(-8), 2);
}

static void test_date_parse_accepts(void)
{
    int32_t days = -1;
    CHECK(parse("1970-01-01", &days) && days == 0);
    CHECK(parse("2000-02-29", &days) && days == 11016);
    CHECK(parse("2024-02-29", &days) && days == pay_days_from_civil(2024, 2, 29));
    CHECK(parse("2024-12-31", &days) && days == 20088);
    CHECK(parse("9999-12-31", &days) && days == pay_days_from_civil(9999, 12, 31));
    /* only the first n bytes are looked at */
    CHECK(pay_date_parse("2026-12-03 and more", 10, &days) && days == 20790);
}

static void test_date_parse_rejects(void)
{
    static const char *const bad[] = {
        "2027-02-29",               /* 2027 is not a leap year */
        "2100-02-29",               /* century, not leap */
        "2024-13-01",               /* month 13 */
        "2024-00-10",               /* month 0 */
        "2024-01-00",               /* day 0 */
        "2024-04-31",               /* April has 30 days */
        "2024-01-32",  "2024-1-01", /* unpadded month */
        "2024-01-1",                /* unpadded day */
        " 2024-01-01",              /* leading space */
        "2024-01-01 ",              /* trailing space */
        "2024-01-01x",              /* trailing junk */
        "1969-12-31",               /* before 1970 */
        "0000-01-01",  "2024/01/01", "20240101",   "2024-01-0a",
        "+024-01-01",  "-024-01-01", "2024-+1-01", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t days = 12345;
        CHECK_MSG(!parse(bad[i], &days), "pay_date_parse accepted \"%s\"", bad[i]);
        CHECK_MSG(days == 12345, "pay_date_parse wrote *days for \"%s\"", bad[i]);
    }
}

static void test_date_format(void)
{
    char out[PAY_DATE_BUF];
    pay_date_format(0, out);
    CHECK_EQ_STR(out, "1970-01-01");
    pay_date_format(11016, out);
    CHECK_EQ_STR(out, "2000-02-29");
    pay_date_format(20790, out);
    CHECK_EQ_STR(out, "2026-12-03");
    pay_date_format(pay_days_from_civil(9999, 12, 31), out);
    CHECK_EQ_STR(out, "9999-12-31");
    CHECK_EQ_INT(strlen(out), PAY_DATE_BUF - 1);
}

static void test_kst_midnight(void)
{
    int32_t dec3 = pay_days_from_civil(2026, 12, 3);
    /* UTC 2026-12-03 14:59:59 = KST 23:59:59 on the 3rd */
    int64_t before = utc_us(2026, 12, 3, 14, 59, 59, 0);
    CHECK_EQ_INT(pay_kst_date(before), dec3);
    CHECK_EQ_INT(pay_kst_minute_of_day(before), 1439);
    CHECK_EQ_INT(pay_kst_date(before + 999999), dec3);
    CHECK_EQ_INT(pay_kst_minute_of_day(before + 999999), 1439);
    /* UTC 15:00:00 = KST midnight of the 4th */
    int64_t midnight = utc_us(2026, 12, 3, 15, 0, 0, 0);
    CHECK_EQ_INT(midnight, before + PAY_US_PER_SEC);
    CHECK_EQ_INT(pay_kst_date(midnight), dec3 + 1);
    CHECK_EQ_INT(pay_kst_minute_of_day(midnight), 0);
    CHECK_EQ_INT(pay_kst_minute_of_day(midnight + 60 * PAY_US_PER_SEC - 1), 0);
    CHECK_EQ_INT(pay_kst_minute_of_day(midnight + 60 * PAY_US_PER_SEC), 1);
    /* UTC midnight is 09:00 KST the same day */
    int64_t utc_midnight = utc_us(2026, 12, 3, 0, 0, 0, 0);
    CHECK_EQ_INT(pay_kst_date(utc_midnight), dec3);
    CHECK_EQ_INT(pay_kst_minute_of_day(utc_midnight), 9 * 60);
    /* around the epoch and before it (floor, not truncation) */
    CHECK_EQ_INT(pay_kst_date(0), 0);
    CHECK_EQ_INT(pay_kst_minute_of_day(0), 9 * 60);
    CHECK_EQ_INT(pay_kst_date(-PAY_KST_OFFSET_US), 0);
    CHECK_EQ_INT(pay_kst_minute_of_day(-PAY_KST_OFFSET_US), 0);
    CHECK_EQ_INT(pay_kst_date(-PAY_KST_OFFSET_US - 1), -1);
    CHECK_EQ_INT(pay_kst_minute_of_day(-PAY_KST_OFFSET_US - 1), 1439);
}

static void test_format_kst(void)
{
    char out[PAY_IAT_BUF];
    pay_format_kst(0, out);
    CHECK_EQ_STR(out, "1970-01-01T09:00:00+09:00");
    /* 2025-06-26T09:42:46.356259Z: fractions are dropped */
    pay_format_kst(INT64_C(1750930966356259), out);
    CHECK_EQ_STR(out, "2025-06-26T18:42:46+09:00");
    /* the KST date rolls over at UTC 15:00 */
    pay_format_kst(utc_us(2026, 12, 3, 15, 0, 0, 0), out);
    CHECK_EQ_STR(out, "2026-12-04T00:00:00+09:00");
    pay_format_kst(utc_us(2026, 12, 31, 14, 59, 59, 999999), out);
    CHECK_EQ_STR(out, "2026-12-31T23:59:59+09:00");
    /* what it writes, pay_parse_iat reads back (to the second) */
    int64_t t = utc_us(2031, 7, 9, 21, 3, 4, 0), back = 0;
    pay_format_kst(t + 777, out);
    CHECK_EQ_INT(pay_parse_iat(out, strlen(out), &back, NULL), PAY_OK);
    CHECK_EQ_INT(back, t);
}

static void test_format_utc_ms(void)
{
    char out[PAY_ISO_BUF];
    pay_format_utc_ms(0, out);
    CHECK_EQ_STR(out, "1970-01-01T00:00:00.000Z");
    pay_format_utc_ms(INT64_C(1796315696123456), out);
    CHECK_EQ_STR(out, "2026-12-03T16:34:56.123Z");
    pay_format_utc_ms(INT64_C(1796315696999999), out); /* truncated, not rounded */
    CHECK_EQ_STR(out, "2026-12-03T16:34:56.999Z");
    pay_format_utc_ms(-1, out);
    CHECK_EQ_STR(out, "1969-12-31T23:59:59.999Z");
    pay_format_utc_ms(utc_us(2000, 2, 29, 23, 59, 59, 1000), out);
    CHECK_EQ_STR(out, "2000-02-29T23:59:59.001Z");
}

static void iat_ok(const char *text, int64_t want, int line)
{
    int64_t got = -1;
    pay_error err = {0};
    pay_err rc = pay_parse_iat(text, strlen(text), &got, &err);
    if (rc != PAY_OK)
        pay_test_fail(__FILE__, line, "iat \"%s\" refused: %s", text, err.message);
    else if (got != want)
        pay_test_fail(__FILE__, line, "iat \"%s\" = %lld, expected %lld", text, (long long)got,
                      (long long)want);
}

static void iat_bad(const char *text, size_t n, int line)
{
    int64_t got = -1;
    pay_error err = {0};
    pay_err rc = pay_parse_iat(text, n, &got, &err);
    if (rc != PAY_ERR_JWE_HEADER_MEMBER || err.code != PAY_ERR_JWE_HEADER_MEMBER ||
        !strstr(err.message, "iat"))
        pay_test_fail(__FILE__, line, "iat \"%.*s\": rc %d, err.code %d, message \"%s\"", (int)n,
                      text, (int)rc, (int)err.code, err.message);
}

#define IAT_OK(text, want) iat_ok(text, want, __LINE__)
#define IAT_BAD(text) iat_bad(text, strlen(text), __LINE__)

static void test_parse_iat_accepts(void)
{
    const int64_t s = INT64_C(1750930966) * PAY_US_PER_SEC; /* 2025-06-26T09:42:46Z */
    IAT_OK("2025-06-26T18:42:46+09:00", s);
    IAT_OK("2025-06-26T18:42:46.356259315+09:00", s + 356259); /* ns truncated to us */
    IAT_OK("2025-06-26T18:42:46.356259999+09:00", s + 356259);
    IAT_OK("2025-06-26T18:42:46.5+09:00", s + 500000);
    IAT_OK("2025-06-26T18:42:46.000001+09:00", s + 1);
    IAT_OK("2025-06-26T18:42+09:00", s - 46 * PAY_US_PER_SEC); /* Java omits :00 seconds */
    IAT_OK("2025-06-26T09:42:46Z", s);
    IAT_OK("2025-06-26T09:42:46.356259Z", s + 356259);
    IAT_OK("2025-06-26T09:42:46+00:00", s);
    IAT_OK("2025-06-26T04:42:46-05:00", s);
    IAT_OK("2025-06-25T23:42:46-10:00", s); /* the offset moves the date back */
    IAT_OK("2025-06-26T15:12:46+05:30", s);
    IAT_OK("1970-01-01T09:00:00+09:00", 0);
    IAT_OK("2024-02-29T00:00:00Z", utc_us(2024, 2, 29, 0, 0, 0, 0));
    CHECK_EQ_INT(s + 356259, INT64_C(1750930966356259));
}

static void test_parse_iat_rejects(void)
{
    IAT_BAD("2025-06-26T18:42:46.3562593151+09:00"); /* 10 fractional digits */
    IAT_BAD("2025-06-26T18:42:46.+09:00");           /* empty fraction */
    IAT_BAD("2025-06-26T18:42:46");                  /* no offset */
    IAT_BAD("2025-06-26T18:42");
    IAT_BAD("2025-06-26T18:42:46.123");
    IAT_BAD("2025-06-26 18:42:46+09:00"); /* space instead of T */
    IAT_BAD("2025-06-26t18:42:46+09:00");
    IAT_BAD("2025-13-26T18:42:46+09:00"); /* month 13 */
    IAT_BAD("2025-00-26T18:42:46+09:00");
    IAT_BAD("2025-02-29T18:42:46+09:00"); /* not a leap year */
    IAT_BAD("2025-06-31T18:42:46+09:00"); /* June has 30 days */
    IAT_BAD("2025-06-00T18:42:46+09:00");
    IAT_BAD("2025-06-26T24:00:00+09:00");
    IAT_BAD("2025-06-26T18:60:00+09:00");
    IAT_BAD("2025-06-26T18:42:60+09:00");
    IAT_BAD("2025-06-26T18:42:46+09:00x"); /* trailing junk */
    IAT_BAD("2025-06-26T18:42:46Zx");
    IAT_BAD("2025-06-26T18:42:46+0900"); /* offset without colon */
    IAT_BAD("2025-06-26T18:42:46+9:00");
    IAT_BAD("2025-06-26T18:42:46+09");
    IAT_BAD("2025-06-26T18:42:46+24:00");
    IAT_BAD("2025-06-26T18:42:46+09:60");
    IAT_BAD("2025-06-26T18:42:4+09:00");
    IAT_BAD("2025-06-26T18:4:46+09:00");
    IAT_BAD("2025-6-26T18:42:46+09:00");
    IAT_BAD(" 2025-06-26T18:42:46+09:00");
    IAT_BAD("1969-12-31T23:59:59Z"); /* before 1970 */
    IAT_BAD("");
    IAT_BAD("2025");
    /* the length given is the length used: a valid value cut short is refused */
    iat_bad("2025-06-26T18:42:46+09:00", 24, __LINE__);
    iat_bad("2025-06-26T18:42:46+09:00", 0, __LINE__);
}

PAY_TEST_MAIN(PAY_TEST(test_every_day_1970_to_2100), PAY_TEST(test_known_days),
              PAY_TEST(test_weekday), PAY_TEST(test_date_parse_accepts),
              PAY_TEST(test_date_parse_rejects), PAY_TEST(test_date_format),
              PAY_TEST(test_kst_midnight), PAY_TEST(test_format_kst), PAY_TEST(test_format_utc_ms),
              PAY_TEST(test_parse_iat_accepts), PAY_TEST(test_parse_iat_rejects))
