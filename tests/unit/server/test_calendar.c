/* The Korean bank business-day calendar (src/core/calendar.c) and its data
 * file (data/holidays-kr.tsv): known answers for every covered year, the
 * next business day across long closures, and the strict parser's errors. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "core/calendar.h"
#include "harness.h"

static pay_calendar *cal; /* the built-in default, loaded once in main */

static int32_t day_of(const char *ymd)
{
    int32_t d = 0;
    if (!pay_date_parse(ymd, strlen(ymd), &d)) pay_test_fail(__FILE__, __LINE__, "bad %s", ymd);
    return d;
}

/* Checks that ymd is closed under `name` (NULL: open). */
static void expect(const char *ymd, const char *name, int line)
{
    const char *got = pay_calendar_closure_name(cal, day_of(ymd));
    bool open = pay_calendar_is_business_day(cal, day_of(ymd));
    if (!name) {
        if (got || !open)
            pay_test_fail(__FILE__, line, "%s should be a business day, is closed (%s)", ymd,
                          got ? got : "?");
    } else if (!got || strcmp(got, name) != 0 || open) {
        pay_test_fail(__FILE__, line, "%s should be closed (%s), got %s%s", ymd, name,
                      got ? got : "(open)", open && got ? " but is_business_day says open" : "");
    }
}
#define CLOSED(ymd, name) expect(ymd, name, __LINE__)
#define OPEN(ymd) expect(ymd, NULL, __LINE__)

static void expect_next(const char *from, const char *want, int line)
{
    char got[PAY_DATE_BUF];
    pay_date_format(pay_calendar_next_business_day(cal, day_of(from)), got);
    if (strcmp(got, want) != 0)
        pay_test_fail(__FILE__, line, "next business day after %s is %s, expected %s", from, got,
                      want);
}
#define NEXT(from, want) expect_next(from, want, __LINE__)

static void test_default_loads(void)
{
    REQUIRE(cal);
    CHECK_EQ_INT(pay_calendar_first_year(cal), 2025);
    CHECK_EQ_INT(pay_calendar_last_year(cal), 2028);
    CHECK(pay_calendar_count(cal) >= 80);
}

static void test_2025(void)
{
    REQUIRE(cal);
    CLOSED("2025-01-01", "신정");
    CLOSED("2025-01-27", "임시공휴일");
    CLOSED("2025-01-28", "설날 연휴");
    CLOSED("2025-01-29", "설날");
    CLOSED("2025-01-30", "설날 연휴");
    OPEN("2025-01-31");
    CLOSED("2025-03-01", "삼일절"); /* a Saturday, listed under its own name */
    CLOSED("2025-03-03", "대체공휴일(삼일절)");
    CLOSED("2025-05-01", "근로자의 날(은행 휴무)");
    OPEN("2025-05-02");
    CLOSED("2025-05-05", "어린이날·부처님오신날");
    CLOSED("2025-05-06", "대체공휴일(어린이날·부처님오신날)");
    OPEN("2025-05-07");
    CLOSED("2025-06-03", "제21대 대통령 선거");
    CLOSED("2025-06-06", "현충일");
    OPEN("2025-07-17"); /* 제헌절 was not yet a holiday in 2025 */
    CLOSED("2025-08-15", "광복절");
    CLOSED("2025-10-03", "개천절");
    CLOSED("2025-10-05", "추석 연휴");
    CLOSED("2025-10-06", "추석");
    CLOSED("2025-10-07", "추석 연휴");
    CLOSED("2025-10-08", "대체공휴일(추석)");
    CLOSED("2025-10-09", "한글날");
    OPEN("2025-10-10");
    CLOSED("2025-12-25", "기독탄신일");
    OPEN("2025-12-30");
    CLOSED("2025-12-31", "연말 휴무(은행)");
}

static void test_2026(void)
{
    REQUIRE(cal);
    CLOSED("2026-01-01", "신정");
    OPEN("2026-01-02");
    OPEN("2026-02-13");
    CLOSED("2026-02-16", "설날 연휴");
    CLOSED("2026-02-17", "설날");
    CLOSED("2026-02-18", "설날 연휴");
    OPEN("2026-02-19"); /* Thursday */
    CLOSED("2026-03-01", "삼일절");
    CLOSED("2026-03-02", "대체공휴일(삼일절)");
    CLOSED("2026-05-01", "노동절(은행 휴무)");
    CLOSED("2026-05-05", "어린이날");
    CLOSED("2026-05-24", "부처님오신날");
    CLOSED("2026-05-25", "대체공휴일(부처님오신날)");
    CLOSED("2026-06-03", "제9회 전국동시지방선거");
    CLOSED("2026-06-06", "현충일");
    OPEN("2026-06-08"); /* 현충일 has no substitute */
    CLOSED("2026-07-17", "제헌절");
    CLOSED("2026-08-15", "광복절");
    CLOSED("2026-08-17", "대체공휴일(광복절)");
    CLOSED("2026-09-24", "추석 연휴");
    CLOSED("2026-09-25", "추석");
    CLOSED("2026-09-26", "추석 연휴");
    OPEN("2026-09-28"); /* Monday: a Saturday in 추석 earns no substitute */
    CLOSED("2026-10-03", "개천절");
    CLOSED("2026-10-05", "대체공휴일(개천절)");
    CLOSED("2026-10-09", "한글날");
    OPEN("2026-12-03");
    CLOSED("2026-12-25", "기독탄신일");
    CLOSED("2026-12-31", "연말 휴무(은행)");
}

static void test_2027(void)
{
    REQUIRE(cal);
    CLOSED("2027-01-01", "신정");
    OPEN("2027-02-05"); /* Korean 설날 is 7 February (KST new moon) */
    CLOSED("2027-02-06", "설날 연휴");
    CLOSED("2027-02-07", "설날");
    CLOSED("2027-02-08", "설날 연휴");
    CLOSED("2027-02-09", "대체공휴일(설날)");
    OPEN("2027-02-10");
    CLOSED("2027-03-01", "삼일절");
    CLOSED("2027-05-01", "노동절(은행 휴무)");
    CLOSED("2027-05-05", "어린이날");
    CLOSED("2027-05-13", "부처님오신날");
    CLOSED("2027-06-06", "현충일");
    OPEN("2027-06-07");
    CLOSED("2027-07-17", "제헌절");
    CLOSED("2027-07-19", "대체공휴일(제헌절)");
    CLOSED("2027-08-15", "광복절");
    CLOSED("2027-08-16", "대체공휴일(광복절)");
    CLOSED("2027-09-14", "추석 연휴");
    CLOSED("2027-09-15", "추석");
    CLOSED("2027-09-16", "추석 연휴");
    OPEN("2027-09-17");
    CLOSED("2027-10-03", "개천절");
    CLOSED("2027-10-04", "대체공휴일(개천절)");
    CLOSED("2027-10-09", "한글날");
    CLOSED("2027-10-11", "대체공휴일(한글날)");
    CLOSED("2027-12-25", "기독탄신일");
    CLOSED("2027-12-27", "대체공휴일(기독탄신일)");
    CLOSED("2027-12-31", "연말 휴무(은행)");
}

static void test_2028(void)
{
    REQUIRE(cal);
    CLOSED("2028-01-01", "신정");
    OPEN("2028-01-03"); /* no substitute for New Year's Day */
    OPEN("2028-01-25"); /* Korean 설날 is 27 January (KST new moon) */
    CLOSED("2028-01-26", "설날 연휴");
    CLOSED("2028-01-27", "설날");
    CLOSED("2028-01-28", "설날 연휴");
    OPEN("2028-01-31");
    CLOSED("2028-03-01", "삼일절");
    CLOSED("2028-04-12", "제23대 국회의원 선거");
    CLOSED("2028-05-01", "노동절(은행 휴무)");
    CLOSED("2028-05-02", "부처님오신날");
    CLOSED("2028-05-05", "어린이날");
    CLOSED("2028-06-06", "현충일");
    CLOSED("2028-07-17", "제헌절");
    CLOSED("2028-08-15", "광복절");
    CLOSED("2028-10-02", "추석 연휴");
    CLOSED("2028-10-03", "추석·개천절");
    CLOSED("2028-10-04", "추석 연휴");
    CLOSED("2028-10-05", "대체공휴일(추석·개천절)");
    OPEN("2028-10-06"); /* one overlapping day, one substitute */
    CLOSED("2028-10-09", "한글날");
    CLOSED("2028-12-25", "기독탄신일");
    CLOSED("2028-12-31", "연말 휴무(은행)"); /* a Sunday, listed anyway */
}

static void test_weekends(void)
{
    REQUIRE(cal);
    CLOSED("2026-12-05", "토요일");
    CLOSED("2026-12-06", "일요일");
    OPEN("2026-12-04");
    OPEN("2026-12-07");
    /* outside the covered years only weekends are known */
    CLOSED("2030-06-01", "토요일");
    CLOSED("2030-06-02", "일요일");
    OPEN("2030-06-03");
    OPEN("2024-12-31");
    /* every Saturday and Sunday of 2024..2029 is closed */
    for (int32_t d = day_of("2024-01-01"); d <= day_of("2029-12-31"); d++) {
        int wd = pay_weekday(d);
        if (wd >= 5 && pay_calendar_is_business_day(cal, d)) {
            char s[PAY_DATE_BUF];
            pay_date_format(d, s);
            CHECK_MSG(false, "weekend %s is a business day", s);
        }
    }
}

static void test_next_business_day(void)
{
    REQUIRE(cal);
    NEXT("2025-10-02", "2025-10-10"); /* 개천절, 추석, substitute, 한글날 */
    NEXT("2026-02-13", "2026-02-19"); /* Friday before 설날 */
    NEXT("2025-01-24", "2025-01-31"); /* 임시공휴일 + 설날 */
    NEXT("2026-09-23", "2026-09-28");
    NEXT("2027-02-05", "2027-02-10");
    NEXT("2025-12-30", "2026-01-02"); /* year end, 신정 */
    NEXT("2026-12-30", "2027-01-04"); /* then a weekend */
    NEXT("2028-09-29", "2028-10-06");
    NEXT("2026-12-02", "2026-12-03"); /* an ordinary day */
    NEXT("2026-12-04", "2026-12-07"); /* Friday -> Monday */
    NEXT("2026-12-05", "2026-12-07"); /* strictly after, from a closed day */
}

/* Every date in the source tsv: well formed, listed once, closed under its
 * name in the built-in calendar, which has exactly these entries (so the
 * embedded copy is not stale). */
static void test_data_file_matches(void)
{
    REQUIRE(cal);
    size_t len = 0;
    char *text = pay_test_read_file(pay_test_source_path("data/holidays-kr.tsv"), &len);
    REQUIRE(text);
    static int32_t seen[PAY_CALENDAR_MAX_ENTRIES];
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == 0) continue;
        char *tab = strchr(line, '\t');
        CHECK_MSG(tab && tab - line == 10, "malformed line %s", line);
        if (!tab || tab - line != 10) continue;
        int32_t d;
        CHECK_MSG(pay_date_parse(line, 10, &d), "bad date in %s", line);
        int y, m, dd;
        pay_civil_from_days(d, &y, &m, &dd);
        CHECK_MSG(y >= 2025 && y <= 2028, "%s outside 2025..2028", line);
        for (size_t i = 0; i < n; i++)
            CHECK_MSG(seen[i] != d, "%.10s listed twice", line);
        if (n < PAY_CALENDAR_MAX_ENTRIES) seen[n++] = d;
        const char *name = pay_calendar_closure_name(cal, d);
        CHECK_MSG(name && strcmp(name, tab + 1) == 0, "%.10s: built-in says %s, file says %s", line,
                  name ? name : "(open)", tab + 1);
        CHECK_MSG(!pay_calendar_is_business_day(cal, d), "%.10s is a business day", line);
    }
    CHECK_EQ_INT(pay_calendar_count(cal), n);
    free(text);

    /* the same file through the file loader */
    char err[PAY_CALENDAR_ERR_BUF];
    pay_calendar *f =
        pay_calendar_load_file(pay_test_source_path("data/holidays-kr.tsv"), err, sizeof err);
    CHECK_MSG(f, "load_file: %s", err);
    if (f) {
        CHECK_EQ_INT(pay_calendar_count(f), pay_calendar_count(cal));
        CHECK_EQ_INT(pay_calendar_first_year(f), 2025);
        CHECK_EQ_INT(pay_calendar_last_year(f), 2028);
    }
    pay_calendar_free(f);
}

/* Business days per year, as a cross-check that no block was lost or
 * doubled: 365/366 days minus weekends minus listed weekday closures. */
static void test_business_day_counts(void)
{
    REQUIRE(cal);
    static const struct {
        int year, business;
    } want[] = {{2025, 242}, {2026, 244}, {2027, 246}, {2028, 243}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int count = 0;
        int32_t from = pay_days_from_civil(want[i].year, 1, 1);
        int32_t to = pay_days_from_civil(want[i].year + 1, 1, 1);
        for (int32_t d = from; d < to; d++)
            count += pay_calendar_is_business_day(cal, d);
        CHECK_MSG(count == want[i].business, "%d: %d business days, expected %d", want[i].year,
                  count, want[i].business);
    }
}

static void test_parse_ok(void)
{
    char err[PAY_CALENDAR_ERR_BUF] = "x";
    static const char text[] = "# comment\r\n"
                               "\n"
                               "  \t \n"
                               "2031-01-01\t신정\r\n"
                               "2030-12-25\t기독탄신일\n"
                               "2031-03-01\t삼일절"; /* no final newline; not in date order */
    pay_calendar *c = pay_calendar_parse(text, sizeof text - 1, "mem", err, sizeof err);
    REQUIRE(c);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_INT(pay_calendar_count(c), 3);
    CHECK_EQ_INT(pay_calendar_first_year(c), 2030);
    CHECK_EQ_INT(pay_calendar_last_year(c), 2031);
    CHECK_EQ_STR(pay_calendar_closure_name(c, day_of("2031-01-01")), "신정");
    CHECK_EQ_STR(pay_calendar_closure_name(c, day_of("2030-12-25")), "기독탄신일");
    CHECK_EQ_STR(pay_calendar_closure_name(c, day_of("2031-03-01")), "삼일절");
    CHECK(pay_calendar_is_business_day(c, day_of("2031-01-02")));
    pay_calendar_free(c);
    pay_calendar_free(NULL);
}

/* Parses text and checks it fails with a message containing want. */
static void expect_error(const char *text, size_t len, const char *want, int line)
{
    char err[PAY_CALENDAR_ERR_BUF] = "";
    pay_calendar *c = pay_calendar_parse(text, len, "test.tsv", err, sizeof err);
    if (c) {
        pay_test_fail(__FILE__, line, "parsed, expected error \"%s\"", want);
        pay_calendar_free(c);
    } else if (!strstr(err, want)) {
        pay_test_fail(__FILE__, line, "error \"%s\" lacks \"%s\"", err, want);
    }
}
#define BAD(text, want) expect_error(text, sizeof(text) - 1, want, __LINE__)

static void test_parse_errors(void)
{
    /* malformed lines */
    BAD("2026-01-01\t신정\n2026-03-01 삼일절\n", "test.tsv:2: malformed line");
    BAD("hello\n", "test.tsv:1: malformed line");
    BAD("# c\n 2026-01-01\t신정\n", "test.tsv:2: \" 2026-01-01\" is not a date");
    /* non-dates */
    BAD("2026-02-30\t없는 날\n", "test.tsv:1: \"2026-02-30\" is not a date");
    BAD("2026-1-01\tx\n", "test.tsv:1: \"2026-1-01\" is not a date");
    BAD("20260101\tx\n", "test.tsv:1: \"20260101\" is not a date");
    BAD("신정\t2026-01-01\n", "test.tsv:1: \"??????\" is not a date");
    BAD("1969-12-31\tx\n", "test.tsv:1: \"1969-12-31\" is not a date");
    BAD("2026-01-01 \tx\n", "test.tsv:1: \"2026-01-01 \" is not a date");
    /* duplicates, in or out of order */
    BAD("2026-01-01\t신정\n2026-02-17\t설날\n2026-01-01\t또\n",
        "test.tsv:3: duplicate date 2026-01-01 (already listed on line 1)");
    BAD("2026-02-17\t설날\n\n2026-02-17\t설날\n", "test.tsv:3: duplicate date 2026-02-17");
    /* empty names */
    BAD("2026-01-01\t\n", "test.tsv:1: empty name");
    BAD("2026-01-01\t", "test.tsv:1: empty name");
    /* names that are not UTF-8 */
    BAD("2026-01-01\t\xff\xfe\n", "test.tsv:1: name is not valid UTF-8");
    BAD("2026-01-01\tab\xc0\xaf\n", "test.tsv:1: name is not valid UTF-8 (byte 3");
    BAD("2026-01-01\t\xed\xa0\x80\n", "test.tsv:1: name is not valid UTF-8");
    BAD("2026-01-01\t\xea\xb0\n", "test.tsv:1: name is not valid UTF-8");
    /* control characters: a second TAB, C0, DEL, C1, NUL */
    BAD("2026-01-01\t신정\t휴일\n", "test.tsv:1: name contains control character U+0009");
    BAD("2026-01-01\t\t신정\n", "test.tsv:1: name contains control character U+0009");
    BAD("2026-01-01\ta\x1b[31m\n", "test.tsv:1: name contains control character U+001B");
    BAD("2026-01-01\ta\x7f\n", "test.tsv:1: name contains control character U+007F");
    BAD("2026-01-01\ta\xc2\x85z\n", "test.tsv:1: name contains control character U+0085");
    BAD("2026-01-01\ta\0b\n", "test.tsv:1: name contains control character U+0000");
    BAD("2026-01-01\ta\rb\n", "test.tsv:1: name contains control character U+000D");
    /* spaces around the name, an over-long name */
    BAD("2026-01-01\t 신정\n", "test.tsv:1: name has leading or trailing spaces");
    BAD("2026-01-01\t신정 \n", "test.tsv:1: name has leading or trailing spaces");
    char longname[11 + PAY_CALENDAR_MAX_NAME + 2];
    memcpy(longname, "2026-01-01\t", 11);
    memset(longname + 11, 'a', PAY_CALENDAR_MAX_NAME + 1);
    longname[sizeof longname - 1] = 0;
    expect_error(longname, strlen(longname), "test.tsv:1: name longer than 128 bytes", __LINE__);
    longname[sizeof longname - 2] = 0; /* exactly the limit is fine */
    char err[PAY_CALENDAR_ERR_BUF];
    pay_calendar *c = pay_calendar_parse(longname, strlen(longname), "t", err, sizeof err);
    CHECK_MSG(c, "%s", err);
    pay_calendar_free(c);
    /* no entries */
    BAD("", "test.tsv:1: no entries");
    BAD("# only a comment\n\n# another\n", "test.tsv:3: no entries");
    BAD("\n\n\n\n", "test.tsv:4: no entries");
    /* the first error wins and later lines are not read */
    BAD("2026-01-01\tok\nbad line\n2026-01-01\tdup\n", "test.tsv:2: malformed line");
}

static void test_parse_limits(void)
{
    char err[PAY_CALENDAR_ERR_BUF];
    /* more entries than PAY_CALENDAR_MAX_ENTRIES */
    size_t cap = (PAY_CALENDAR_MAX_ENTRIES + 1) * 14 + 1, len = 0;
    char *text = malloc(cap);
    REQUIRE(text);
    int32_t first = pay_days_from_civil(2030, 1, 1);
    for (int i = 0; i <= PAY_CALENDAR_MAX_ENTRIES; i++) {
        pay_date_format(first + i, text + len);
        len += 10;
        memcpy(text + len, "\tx\n", 3);
        len += 3;
    }
    pay_calendar *c = pay_calendar_parse(text, len, "big", err, sizeof err);
    CHECK(!c);
    CHECK_CONTAINS(err, "big:4097: more than 4096 entries");
    pay_calendar_free(c);
    /* exactly the limit, in reverse order (worst case for sorted insertion) */
    len = 0;
    for (int i = PAY_CALENDAR_MAX_ENTRIES - 1; i >= 0; i--) {
        pay_date_format(first + i, text + len);
        len += 10;
        memcpy(text + len, "\tx\n", 3);
        len += 3;
    }
    c = pay_calendar_parse(text, len, "big", err, sizeof err);
    CHECK_MSG(c, "%s", err);
    if (c) {
        CHECK_EQ_INT(pay_calendar_count(c), PAY_CALENDAR_MAX_ENTRIES);
        CHECK_EQ_INT(pay_calendar_first_year(c), 2030);
        CHECK_EQ_STR(pay_calendar_closure_name(c, first), "x");
        CHECK_EQ_STR(pay_calendar_closure_name(c, first + PAY_CALENDAR_MAX_ENTRIES - 1), "x");
        /* every day is closed up to the end of the list */
        CHECK(pay_calendar_next_business_day(c, first) >= first + PAY_CALENDAR_MAX_ENTRIES);
    }
    pay_calendar_free(c);
    free(text);
    /* larger than PAY_CALENDAR_MAX_FILE */
    c = pay_calendar_parse("", (size_t)PAY_CALENDAR_MAX_FILE + 1, "huge", err, sizeof err);
    CHECK(!c);
    CHECK_CONTAINS(err, "huge: larger than");
    /* a tiny error buffer is still terminated; NULL err is allowed */
    char small[8];
    c = pay_calendar_parse("x", 1, "origin", small, sizeof small);
    CHECK(!c);
    CHECK_EQ_INT(strlen(small), sizeof small - 1);
    c = pay_calendar_parse("x", 1, "origin", NULL, 0);
    CHECK(!c);
}

static void test_load_file(void)
{
    char err[PAY_CALENDAR_ERR_BUF];
    pay_calendar *c = pay_calendar_load_file("/nonexistent/holidays.tsv", err, sizeof err);
    CHECK(!c);
    CHECK_CONTAINS(err, "/nonexistent/holidays.tsv: cannot open");

    char path[] = "/tmp/test_calendar_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    static const char body[] = "# ops file\n2031-01-01\t신정\n2031-01-01\t신정\n";
    CHECK(write(fd, body, sizeof body - 1) == (ssize_t)(sizeof body - 1));
    close(fd);
    c = pay_calendar_load_file(path, err, sizeof err);
    CHECK(!c);
    char want[64];
    snprintf(want, sizeof want, "%s:3: duplicate date 2031-01-01", path);
    CHECK_CONTAINS(err, want);
    unlink(path);
}

int main(void)
{
    char err[PAY_CALENDAR_ERR_BUF];
    cal = pay_calendar_load_default(err, sizeof err);
    if (!cal) fprintf(stderr, "default calendar: %s\n", err);
    PAY_TEST(test_default_loads);
    PAY_TEST(test_2025);
    PAY_TEST(test_2026);
    PAY_TEST(test_2027);
    PAY_TEST(test_2028);
    PAY_TEST(test_weekends);
    PAY_TEST(test_next_business_day);
    PAY_TEST(test_data_file_matches);
    PAY_TEST(test_business_day_counts);
    PAY_TEST(test_parse_ok);
    PAY_TEST(test_parse_errors);
    PAY_TEST(test_parse_limits);
    PAY_TEST(test_load_file);
    pay_calendar_free(cal);
    if (pay_test_failures) fprintf(stderr, "%d check(s) failed\n", pay_test_failures);
    return pay_test_failures ? 1 : 0;
}
