#include "core/calendar.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "common/timeutil.h"

/* Defined in the build directory's generated holidays_kr.c: CMakeLists.txt
 * turns data/holidays-kr.tsv into this byte array (length excludes the
 * trailing NUL it appends). */
extern const unsigned char pay_holidays_kr_tsv[];
extern const size_t pay_holidays_kr_tsv_len;

#define DEFAULT_ORIGIN "data/holidays-kr.tsv (built in)"

struct entry {
    int32_t day;
    uint32_t name; /* offset into names */
    uint32_t line; /* where it was listed, for duplicate messages */
};

struct pay_calendar {
    struct entry *entries; /* sorted by day, days unique */
    size_t count;
    char *names; /* NUL-terminated names, back to back */
    int first_year, last_year;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A short printable rendering of untrusted bytes for an error message, so a
 * hostile or binary file cannot put control bytes into logs. */
static void quote_field(char *out, size_t cap, const char *s, size_t n)
{
    enum { SHOW = 24 };
    size_t o = 0;
    for (size_t i = 0; i < n && i < SHOW && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n > SHOW && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

/* The first control character of well-formed UTF-8 (C0, DEL or C1), or -1.
 * C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
static long first_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return c;
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] <= 0x9f)
            return (unsigned char)s[i + 1];
    }
    return -1;
}

/* Index of the first entry whose day is >= day. */
static size_t lower_bound(const struct entry *e, size_t n, int32_t day)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Parses one data line s[0..n) (not blank, not a comment) into cal, keeping
 * entries sorted so that a duplicate is caught at the line that repeats it.
 * Returns false with err set. */
static bool parse_entry(pay_calendar *cal, size_t *names_used, const char *s, size_t n,
                        const char *origin, size_t line, char *err, size_t errlen)
{
    char shown[32];
    const char *tab = memchr(s, '\t', n);
    if (!tab) {
        quote_field(shown, sizeof shown, s, n);
        set_err(err, errlen, "%s:%zu: malformed line \"%s\": expected YYYY-MM-DD<TAB>name", origin,
                line, shown);
        return false;
    }
    int32_t day;
    size_t date_len = (size_t)(tab - s);
    if (!pay_date_parse(s, date_len, &day)) {
        quote_field(shown, sizeof shown, s, date_len);
        set_err(err, errlen, "%s:%zu: \"%s\" is not a date (YYYY-MM-DD)", origin, line, shown);
        return false;
    }
    const char *name = tab + 1;
    size_t name_len = n - date_len - 1;
    size_t bad;
    long ctl;
    if (name_len == 0) {
        set_err(err, errlen, "%s:%zu: empty name", origin, line);
        return false;
    }
    if (name_len > PAY_CALENDAR_MAX_NAME) {
        set_err(err, errlen, "%s:%zu: name longer than %d bytes", origin, line,
                PAY_CALENDAR_MAX_NAME);
        return false;
    }
    if (!pay_utf8_valid(name, name_len, &bad)) {
        set_err(err, errlen, "%s:%zu: name is not valid UTF-8 (byte %zu of the name)", origin, line,
                bad + 1);
        return false;
    }
    if ((ctl = first_control(name, name_len)) >= 0) {
        set_err(err, errlen,
                "%s:%zu: name contains control character U+%04lX (one TAB separates date and "
                "name; none may follow)",
                origin, line, (unsigned long)ctl);
        return false;
    }
    if (name[0] == ' ' || name[name_len - 1] == ' ') {
        set_err(err, errlen, "%s:%zu: name has leading or trailing spaces", origin, line);
        return false;
    }

    size_t at = lower_bound(cal->entries, cal->count, day);
    if (at < cal->count && cal->entries[at].day == day) {
        char date[PAY_DATE_BUF];
        pay_date_format(day, date);
        set_err(err, errlen, "%s:%zu: duplicate date %s (already listed on line %u)", origin, line,
                date, (unsigned)cal->entries[at].line);
        return false;
    }
    if (cal->count == PAY_CALENDAR_MAX_ENTRIES) {
        set_err(err, errlen, "%s:%zu: more than %d entries", origin, line,
                PAY_CALENDAR_MAX_ENTRIES);
        return false;
    }
    /* Files are normally in date order, so this is an append; an unordered
     * file costs a memmove per line, bounded by PAY_CALENDAR_MAX_ENTRIES. */
    memmove(cal->entries + at + 1, cal->entries + at, (cal->count - at) * sizeof *cal->entries);
    cal->entries[at] = (struct entry){day, (uint32_t)*names_used, (uint32_t)line};
    cal->count++;
    memcpy(cal->names + *names_used, name, name_len);
    cal->names[*names_used + name_len] = 0;
    *names_used += name_len + 1;
    return true;
}

pay_calendar *pay_calendar_parse(const char *text, size_t len, const char *origin, char *err,
                                 size_t errlen)
{
    pay_calendar *cal = NULL, *result = NULL;
    size_t names_used = 0, line = 0;
    char *names;
    struct entry *entries;
    int month, mday;
    if (!origin) origin = "(calendar)";
    if (err && errlen) err[0] = 0;
    if (!text && len) {
        set_err(err, errlen, "%s: no text", origin);
        goto out;
    }
    if (len > PAY_CALENDAR_MAX_FILE) {
        set_err(err, errlen, "%s: larger than %d bytes", origin, PAY_CALENDAR_MAX_FILE);
        goto out;
    }
    cal = calloc(1, sizeof *cal);
    if (!cal) goto nomem;
    /* Every name plus its NUL is shorter than the line that holds it
     * (date, TAB, newline or end), so len + 1 bytes always suffice. */
    cal->names = malloc(len + 1);
    cal->entries = malloc(PAY_CALENDAR_MAX_ENTRIES * sizeof *cal->entries);
    if (!cal->names || !cal->entries) goto nomem;

    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        line++;
        if (eol > p && eol[-1] == '\r') eol--; /* CRLF files from other editors */
        size_t n = (size_t)(eol - p);
        if (!(n > 0 && p[0] == '#') && !is_blank(p, n) &&
            !parse_entry(cal, &names_used, p, n, origin, line, err, errlen))
            goto out;
        p = next;
    }
    if (cal->count == 0) {
        /* An empty calendar would silently make every weekday payable. */
        set_err(err, errlen, "%s:%zu: no entries (YYYY-MM-DD<TAB>name lines)", origin,
                line ? line : 1);
        goto out;
    }

    /* Give back what the comments and the spare entry slots took. */
    names = realloc(cal->names, names_used);
    if (names) cal->names = names;
    entries = realloc(cal->entries, cal->count * sizeof *cal->entries);
    if (entries) cal->entries = entries;
    pay_civil_from_days(cal->entries[0].day, &cal->first_year, &month, &mday);
    pay_civil_from_days(cal->entries[cal->count - 1].day, &cal->last_year, &month, &mday);
    result = cal;
    cal = NULL;
    goto out;
nomem:
    set_err(err, errlen, "%s: out of memory", origin);
out:
    pay_calendar_free(cal);
    return result;
}

pay_calendar *pay_calendar_load_file(const char *path, char *err, size_t errlen)
{
    pay_calendar *result = NULL;
    char *buf = NULL;
    FILE *f = NULL;
    size_t n = 0;
    assert(path);
    f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    /* One byte more than the limit tells "too large" from "exactly full". */
    buf = malloc(PAY_CALENDAR_MAX_FILE + 1);
    if (!buf) {
        set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    n = fread(buf, 1, PAY_CALENDAR_MAX_FILE + 1, f);
    if (ferror(f)) {
        set_err(err, errlen, "%s: read error", path);
        goto out;
    }
    if (n > PAY_CALENDAR_MAX_FILE) {
        set_err(err, errlen, "%s: larger than %d bytes", path, PAY_CALENDAR_MAX_FILE);
        goto out;
    }
    result = pay_calendar_parse(buf, n, path, err, errlen);
out:
    if (f) fclose(f);
    free(buf);
    return result;
}

pay_calendar *pay_calendar_load_default(char *err, size_t errlen)
{
    return pay_calendar_parse((const char *)pay_holidays_kr_tsv, pay_holidays_kr_tsv_len,
                              DEFAULT_ORIGIN, err, errlen);
}

void pay_calendar_free(pay_calendar *cal)
{
    if (!cal) return;
    free(cal->entries);
    free(cal->names);
    free(cal);
}

const char *pay_calendar_closure_name(const pay_calendar *cal, int32_t day)
{
    assert(cal);
    size_t at = lower_bound(cal->entries, cal->count, day);
    if (at < cal->count && cal->entries[at].day == day) return cal->names + cal->entries[at].name;
    switch (pay_weekday(day)) {
    case 5:
        return "토요일";
    case 6:
        return "일요일";
    default:
        return NULL;
    }
}

bool pay_calendar_is_business_day(const pay_calendar *cal, int32_t day)
{
    return pay_calendar_closure_name(cal, day) == NULL;
}

int32_t pay_calendar_next_business_day(const pay_calendar *cal, int32_t day)
{
    assert(cal);
    /* The loop ends: at most PAY_CALENDAR_MAX_ENTRIES days are listed, and
     * weekends add at most two days in seven. Real dates (year <= 9999) stay
     * far below the bound, which keeps d + 1 from overflowing. */
    assert(day < INT32_MAX - 4 * PAY_CALENDAR_MAX_ENTRIES - 8);
    int32_t d = day + 1;
    while (!pay_calendar_is_business_day(cal, d))
        d++;
    return d;
}

int pay_calendar_first_year(const pay_calendar *cal)
{
    assert(cal);
    return cal->first_year;
}

int pay_calendar_last_year(const pay_calendar *cal)
{
    assert(cal);
    return cal->last_year;
}

size_t pay_calendar_count(const pay_calendar *cal)
{
    assert(cal);
    return cal->count;
}
