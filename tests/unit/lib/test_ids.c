/* Identifiers (src/common/ids.c), text helpers (src/common/text.c) and the
 * growable buffer (src/common/buf.c).
 *
 * Object ids keep per-process state (the last millisecond issued), so the
 * id tests run in time order: the ULID known answer (2016) first, then ids
 * at the real clock, then ids at chosen future times. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ids.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "harness.h"
#include "payout/jwe.h"

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

/* Value of a lowercase Crockford base32 digit, -1 for anything else
 * (including i, l, o, u and uppercase, which the encoder never writes). */
static int b32_value(char c)
{
    const char *p = c ? strchr(crockford, c) : NULL;
    return p ? (int)(p - crockford) : -1;
}

/* The 48-bit millisecond time carried by the first 10 characters of a
 * 26-character ULID body; -1 when they are not valid or the value does not
 * fit 48 bits (10 chars = 50 bits, the top 2 must be zero). */
static int64_t ulid_ms(const char *body)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        int d = b32_value(body[i]);
        if (d < 0) return -1;
        v = v << 5 | (uint64_t)d;
    }
    return v >> 48 ? -1 : (int64_t)v;
}

static bool is_ulid_body(const char *body)
{
    if (strlen(body) != PAY_ULID_LEN) return false;
    for (int i = 0; i < PAY_ULID_LEN; i++)
        if (b32_value(body[i]) < 0) return false;
    return body[0] >= '0' && body[0] <= '7'; /* 128 bits in 130: top char holds 3 */
}

/* ---- ids -------------------------------------------------------------- */

static void test_trace_id(void)
{
    char a[PAY_TRACE_ID_LEN + 1], b[PAY_TRACE_ID_LEN + 1];
    memset(a, 'X', sizeof a);
    REQUIRE(pay_trace_id_new(a));
    REQUIRE(pay_trace_id_new(b));
    CHECK_EQ_INT(strlen(a), 32);
    CHECK(is_lower_hex(a, 32));
    CHECK(is_lower_hex(b, 32));
    CHECK(strcmp(a, b) != 0);
}

static void test_object_id_ulid_known_answer(void)
{
    /* The ULID spec's example 01ARYZ6S41TSV4RRFFQ69G5FAV carries time
     * 1469918176385 ms in its first 10 characters. */
    char id[PAY_OBJECT_ID_MAX];
    REQUIRE(pay_object_id_new("seller_", INT64_C(1469918176385) * 1000 + 999, id, sizeof id));
    CHECK_EQ_INT(strlen(id), 7 + 26);
    CHECK(strncmp(id, "seller_", 7) == 0);
    CHECK_MSG(strncmp(id + 7, "01aryz6s41", 10) == 0, "id %s lacks time 01aryz6s41", id);
    CHECK(is_ulid_body(id + 7));
    CHECK_EQ_INT(ulid_ms(id + 7), INT64_C(1469918176385));
    /* The first id of a new millisecond leaves the top random bit clear so
     * later ids in the same millisecond can count up: char 10 < 16. */
    CHECK_MSG(b32_value(id[17]) < 16, "id %s: random part starts at its top half", id);
}

static void test_object_id_format_and_capacity(void)
{
    char id[PAY_OBJECT_ID_MAX];
    int64_t now = pay_real_now_us();
    REQUIRE(pay_object_id_new("payout_", now, id, sizeof id));
    CHECK_EQ_INT(strlen(id), 7 + PAY_ULID_LEN);
    CHECK(strncmp(id, "payout_", 7) == 0);
    CHECK(is_ulid_body(id + 7));
    REQUIRE(pay_object_id_new("", now, id, sizeof id));
    CHECK(is_ulid_body(id));
    /* the capacity must hold prefix + 26 + NUL */
    char small[7 + PAY_ULID_LEN + 1];
    memset(small, 'Q', sizeof small);
    CHECK(!pay_object_id_new("seller_", now, small, sizeof small - 1));
    CHECK(small[0] == 'Q');
    CHECK(pay_object_id_new("seller_", now, small, sizeof small));
    CHECK_EQ_INT(strlen(small), sizeof small - 1);
    /* a longest-used prefix still fits PAY_OBJECT_ID_MAX */
    CHECK(pay_object_id_new("seller_a", now, id, sizeof id));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_object_id_tight_loop_increasing(void)
{
    enum { N = 100000 };
    char(*ids)[PAY_OBJECT_ID_MAX] = calloc(N, sizeof *ids);
    const char **sorted = calloc(N, sizeof *sorted);
    REQUIRE(ids && sorted);
    int64_t first_ms = pay_real_now_us() / 1000;
    int not_increasing = 0, bad_format = 0;
    for (int i = 0; i < N; i++) {
        if (!pay_object_id_new("seller_", pay_real_now_us(), ids[i], sizeof ids[i])) {
            CHECK_MSG(false, "id %d not issued", i);
            break;
        }
        if (!is_ulid_body(ids[i] + 7) && bad_format++ < 3) CHECK_MSG(false, "bad id %s", ids[i]);
        if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0 && not_increasing++ < 3)
            CHECK_MSG(false, "id %d %s does not sort after %s", i, ids[i], ids[i - 1]);
        sorted[i] = ids[i];
    }
    int64_t last_ms = pay_real_now_us() / 1000;
    CHECK_EQ_INT(not_increasing, 0);
    CHECK_EQ_INT(bad_format, 0);
    /* 100,000 ids take far fewer milliseconds: many share one, and the
     * embedded time stays within the loop's wall-clock span */
    int64_t t0 = ulid_ms(ids[0] + 7), t1 = ulid_ms(ids[N - 1] + 7);
    CHECK(t0 >= first_ms && t1 <= last_ms && t0 <= t1);
    int same_ms = 0;
    for (int i = 1; i < N; i++)
        same_ms += ulid_ms(ids[i] + 7) == ulid_ms(ids[i - 1] + 7);
    CHECK_MSG(same_ms > N / 2, "only %d of %d ids shared a millisecond", same_ms, N);
    /* unique, independently of the order check */
    qsort(sorted, N, sizeof *sorted, cmp_str);
    int dups = 0;
    for (int i = 1; i < N; i++)
        dups += strcmp(sorted[i - 1], sorted[i]) == 0;
    CHECK_EQ_INT(dups, 0);
    free(sorted);
    free(ids);
}

static void test_object_id_time_order(void)
{
    /* Times after anything issued so far (years 2200 and later). */
    const int64_t base_ms = INT64_C(7258118400000); /* 2200-01-01T00:00:00Z */
    char a[PAY_OBJECT_ID_MAX], b[PAY_OBJECT_ID_MAX], c[PAY_OBJECT_ID_MAX];
    REQUIRE(pay_object_id_new("seller_", base_ms * 1000, a, sizeof a));
    REQUIRE(pay_object_id_new("seller_", (base_ms + 1) * 1000, b, sizeof b));
    REQUIRE(pay_object_id_new("seller_", (base_ms + 86400000) * 1000 + 123, c, sizeof c));
    CHECK_EQ_INT(ulid_ms(a + 7), base_ms);
    CHECK_EQ_INT(ulid_ms(b + 7), base_ms + 1);
    CHECK_EQ_INT(ulid_ms(c + 7), base_ms + 86400000);
    CHECK(strcmp(a, b) < 0);
    CHECK(strcmp(b, c) < 0);
    /* a clock that goes back still yields a later id (kept at the last ms) */
    char d[PAY_OBJECT_ID_MAX];
    REQUIRE(pay_object_id_new("seller_", base_ms * 1000, d, sizeof d));
    CHECK(strcmp(c, d) < 0);
    CHECK_EQ_INT(ulid_ms(d + 7), base_ms + 86400000);
    /* every first id of a new millisecond leaves the top random bit clear
     * (headroom for counting up within that millisecond): char 10 < 16 */
    int top_set = 0;
    for (int64_t i = 1; i <= 64; i++) {
        char f[PAY_OBJECT_ID_MAX];
        REQUIRE(pay_object_id_new("", (base_ms + 86400000 + i) * 1000, f, sizeof f));
        CHECK_EQ_INT(ulid_ms(f), base_ms + 86400000 + i);
        top_set += b32_value(f[10]) >= 16;
    }
    CHECK_EQ_INT(top_set, 0);
    /* the first character carries the top 3 of the 48 time bits */
    const int64_t top_ms = (INT64_C(1) << 48) - 1; /* year 10889 */
    char e[PAY_OBJECT_ID_MAX];
    REQUIRE(pay_object_id_new("", top_ms * 1000, e, sizeof e));
    CHECK_MSG(strncmp(e, "7zzzzzzzzz", 10) == 0, "max time id %s", e);
    CHECK_EQ_INT(ulid_ms(e), top_ms);
    CHECK(a[7] == '0'); /* 7258118400000 >> 45 == 0: year 2200 is in the first eighth */
    CHECK(e[0] == crockford[top_ms >> 45]);
}

static void test_uuid_v4(void)
{
    static const char variants[] = "89ab";
    char seen_variant[4] = {0};
    char prev[PAY_UUID_BUF] = "";
    for (int i = 0; i < 2000; i++) {
        char u[PAY_UUID_BUF];
        REQUIRE(pay_uuid_v4(u) == PAY_OK);
        bool ok = strlen(u) == 36 && u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-' &&
                  is_lower_hex(u, 8) && is_lower_hex(u + 9, 4) && is_lower_hex(u + 14, 4) &&
                  is_lower_hex(u + 19, 4) && is_lower_hex(u + 24, 12) && u[14] == '4' && u[19] &&
                  strchr(variants, u[19]) != NULL;
        if (!ok) {
            CHECK_MSG(false, "bad uuid %s", u);
            break;
        }
        seen_variant[strchr(variants, u[19]) - variants] = 1;
        CHECK(strcmp(prev, u) != 0);
        memcpy(prev, u, sizeof prev);
    }
    /* the two variant bits are fixed, the next two are random */
    CHECK(seen_variant[0] && seen_variant[1] && seen_variant[2] && seen_variant[3]);
}

/* Small draws come from a per-thread batch: every byte once, and a forked
 * child must not hand out what its parent will (a repeated GCM IV). */
static void test_random_bytes_batch_and_fork(void)
{
    /* consecutive small draws never repeat, across batch refills */
    enum { DRAWS = 200 };
    static uint8_t seen[DRAWS][12];
    for (int i = 0; i < DRAWS; i++) {
        REQUIRE(pay_random_bytes(seen[i], sizeof seen[i]));
        for (int j = 0; j < i; j++)
            CHECK(memcmp(seen[i], seen[j], sizeof seen[i]) != 0);
    }
    uint8_t zero[12] = {0};
    REQUIRE(pay_random_bytes(zero, 0)); /* nothing asked, nothing taken */

    /* draw one value so the batch is part-used, then fork: the child's next
     * value must differ from the parent's next value */
    uint8_t warm[12], parent_next[12], child_next[12];
    REQUIRE(pay_random_bytes(warm, sizeof warm));
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        uint8_t v[12];
        bool ok = pay_random_bytes(v, sizeof v);
        ssize_t w = ok ? write(pipefd[1], v, sizeof v) : -1;
        _exit(w == (ssize_t)sizeof v ? 0 : 1);
    }
    close(pipefd[1]);
    REQUIRE(pay_random_bytes(parent_next, sizeof parent_next));
    CHECK(read(pipefd[0], child_next, sizeof child_next) == (ssize_t)sizeof child_next);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(memcmp(parent_next, child_next, sizeof child_next) != 0);

    /* a large draw bypasses the batch and is filled completely */
    uint8_t big[1000];
    memset(big, 0, sizeof big);
    REQUIRE(pay_random_bytes(big, sizeof big));
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof big; i++)
        zeros += big[i] == 0;
    CHECK(zeros < 30); /* about 4 expected */
}

static void test_random_alnum(void)
{
    static const size_t lens[] = {0, 1, 24, 64, 1000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        char buf[1001 + 8];
        memset(buf, '#', sizeof buf);
        REQUIRE(pay_random_alnum(buf, lens[k]));
        CHECK_EQ_INT(strlen(buf), lens[k]);
        CHECK(buf[lens[k] + 1] == '#'); /* nothing written past the NUL */
        for (size_t i = 0; i < lens[k]; i++)
            if (!isalnum((unsigned char)buf[i])) {
                CHECK_MSG(false, "non-alnum byte 0x%02x", (unsigned char)buf[i]);
                break;
            }
    }
    /* every one of the 62 characters shows up in 62,000 draws */
    static char big[62000 + 1];
    REQUIRE(pay_random_alnum(big, sizeof big - 1));
    int count[256] = {0};
    for (size_t i = 0; i < sizeof big - 1; i++)
        count[(unsigned char)big[i]]++;
    int distinct = 0;
    for (int c = 0; c < 256; c++)
        if (count[c]) {
            CHECK_MSG(isalnum(c), "character 0x%02x", c);
            distinct++;
        }
    CHECK_EQ_INT(distinct, 62);
    char x[33], y[33];
    REQUIRE(pay_random_alnum(x, 32) && pay_random_alnum(y, 32));
    CHECK(strcmp(x, y) != 0);
}

/* ---- text ------------------------------------------------------------- */

static void utf8_valid(const char *s, size_t n, int line)
{
    size_t bad = 777;
    if (!pay_utf8_valid(s, n, &bad))
        pay_test_fail(__FILE__, line, "valid UTF-8 refused at %zu", bad);
    else if (bad != 777)
        pay_test_fail(__FILE__, line, "*bad written on success");
}

static void utf8_invalid(const char *s, size_t n, size_t want_bad, int line)
{
    size_t bad = 777;
    if (pay_utf8_valid(s, n, &bad))
        pay_test_fail(__FILE__, line, "invalid UTF-8 accepted");
    else if (bad != want_bad)
        pay_test_fail(__FILE__, line, "bad offset %zu, expected %zu", bad, want_bad);
    if (pay_utf8_valid(s, n, NULL)) pay_test_fail(__FILE__, line, "accepted with bad == NULL");
}

#define VALID(lit) utf8_valid(lit, sizeof lit - 1, __LINE__)
#define INVALID(lit, at) utf8_invalid(lit, sizeof lit - 1, at, __LINE__)

static void test_utf8_valid(void)
{
    VALID("");
    VALID("plain ascii \x7f");
    VALID("a\0b");                        /* U+0000 is a character */
    VALID("\xec\x95\x88\xeb\x85\x95");    /* 안녕 */
    VALID("지급대행 테스트 8월대금지급"); /* Korean and ASCII */
    VALID("\xc2\x80");                    /* U+0080, smallest 2-byte */
    VALID("\xdf\xbf");                    /* U+07FF */
    VALID("\xe0\xa0\x80");                /* U+0800, smallest 3-byte */
    VALID("\xed\x9f\xbf");                /* U+D7FF, just below the surrogates */
    VALID("\xee\x80\x80");                /* U+E000, just above */
    VALID("\xef\xbf\xbf");                /* U+FFFF */
    VALID("\xf0\x90\x80\x80");            /* U+10000, smallest 4-byte */
    VALID("\xf0\x9f\x98\x80");            /* U+1F600 emoji */
    VALID("\xf4\x8f\xbf\xbf");            /* U+10FFFF, the last code point */

    /* overlong encodings */
    INVALID("\xc0\x80", 0);
    INVALID("\xc1\xbf", 0);
    INVALID("\xe0\x80\x80", 0);
    INVALID("\xe0\x9f\xbf", 0);
    INVALID("\xf0\x80\x80\x80", 0);
    INVALID("\xf0\x8f\xbf\xbf", 0);
    INVALID("ab\xc0\xaf", 2); /* overlong '/' */
    /* UTF-16 surrogates */
    INVALID("\xed\xa0\x80", 0);
    INVALID("\xed\xbf\xbf", 0);
    INVALID("x\xed\xb2\x80", 1);
    /* beyond U+10FFFF and bytes that never lead */
    INVALID("\xf4\x90\x80\x80", 0);
    INVALID("\xf5\x80\x80\x80", 0);
    INVALID("\xf7\xbf\xbf\xbf", 0);
    INVALID("\xf8\x88\x80\x80\x80", 0);
    INVALID("\xfc\x84\x80\x80\x80\x80", 0);
    INVALID("\xfe", 0);
    INVALID("\xff", 0);
    /* truncated sequences */
    INVALID("\xc3", 0);
    INVALID("\xec\x95", 0);       /* first two bytes of 안 */
    INVALID("ok\xf0\x9f\x98", 2); /* emoji missing its last byte */
    INVALID("\xec\x95\x88\xec\x95", 3);
    /* continuation bytes out of place */
    INVALID("\x80", 0);
    INVALID("a\xbf"
            "b",
            1);
    INVALID("\xc3\x28", 0);
    INVALID("\xe2\x82\x28", 0);
    INVALID("\xf0\x9f\x98\x28", 0);
    INVALID("\xec\x95\x88\xff", 3); /* 안 then a bad byte */
    /* n bounds the check: a sequence cut by n is incomplete */
    utf8_invalid("\xec\x95\x88", 2, 0, __LINE__);
    utf8_valid("\xec\x95\x88\xff", 3, __LINE__);
}

static void test_utf8_count(void)
{
    CHECK_EQ_INT(pay_utf8_count("", 0), 0);
    CHECK_EQ_INT(pay_utf8_count("abc", 3), 3);
    CHECK_EQ_INT(pay_utf8_count("안녕", strlen("안녕")), 2);
    CHECK_EQ_INT(strlen("안녕"), 6);
    CHECK_EQ_INT(pay_utf8_count("8월대금지급", strlen("8월대금지급")), 6);
    CHECK_EQ_INT(pay_utf8_count("\xf0\x9f\x98\x80", 4), 1);
    CHECK_EQ_INT(pay_utf8_count("a\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80z", 11), 5);
}

static void test_all_digits(void)
{
    CHECK(!pay_all_digits("", 0));
    CHECK(pay_all_digits("0", 1));
    CHECK(pay_all_digits("0123456789", 10));
    CHECK(!pay_all_digits("12a", 3));
    CHECK(!pay_all_digits("-1", 2));
    CHECK(!pay_all_digits("+1", 2));
    CHECK(!pay_all_digits(" 1", 2));
    CHECK(!pay_all_digits("1 ", 2));
    CHECK(!pay_all_digits("1.0", 3));
    CHECK(!pay_all_digits("\xef\xbc\x91", 3)); /* fullwidth １ */
    CHECK(!pay_all_digits("/", 1));            /* '0' - 1 */
    CHECK(!pay_all_digits(":", 1));            /* '9' + 1 */
    CHECK(pay_all_digits("12x", 2));           /* only n bytes */
    CHECK(!pay_all_digits("1\0"
                          "2",
                          3));
}

static void test_strlcpy(void)
{
    char buf[8];
    memset(buf, 'Z', sizeof buf);
    CHECK_EQ_INT(pay_strlcpy(buf, "hello", 0), 5); /* cap 0: nothing written */
    CHECK(buf[0] == 'Z');
    CHECK_EQ_INT(pay_strlcpy(buf, "hello", 1), 5);
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(pay_strlcpy(buf, "hello", 4), 5);
    CHECK_EQ_STR(buf, "hel");
    CHECK(buf[4] == 'Z');
    CHECK_EQ_INT(pay_strlcpy(buf, "hello", 5), 5);
    CHECK_EQ_STR(buf, "hell");
    CHECK_EQ_INT(pay_strlcpy(buf, "hello", 6), 5);
    CHECK_EQ_STR(buf, "hello");
    CHECK_EQ_INT(pay_strlcpy(buf, "", sizeof buf), 0);
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(pay_strlcpy(buf, "0123456789", sizeof buf), 10);
    CHECK_EQ_STR(buf, "0123456");
}

static void test_ascii_ieq(void)
{
    CHECK(pay_ascii_ieq("Basic", "basic"));
    CHECK(pay_ascii_ieq("BASIC", "basic"));
    CHECK(pay_ascii_ieq("bAsIc", "BaSiC"));
    CHECK(pay_ascii_ieq("", ""));
    CHECK(pay_ascii_ieq("en-US", "EN-us"));
    CHECK(!pay_ascii_ieq("basic", "basi"));
    CHECK(!pay_ascii_ieq("basi", "basic"));
    CHECK(!pay_ascii_ieq("a", ""));
    CHECK(!pay_ascii_ieq("", "a"));
    CHECK(!pay_ascii_ieq("basic ", "basic"));
    /* only A-Z fold: '@'/'`' and '['/'{' differ by 0x20 but are not letters */
    CHECK(!pay_ascii_ieq("@", "`"));
    CHECK(!pay_ascii_ieq("[", "{"));
    CHECK(!pay_ascii_ieq("]", "}"));
    CHECK(!pay_ascii_ieq("\xc3\xa9", "\xc3\x89")); /* é / É are not ASCII */
}

static void test_hex_and_ct_equal(void)
{
    const uint8_t in[] = {0x00, 0xff, 0x10, 0xab, 0x09};
    char out[2 * sizeof in + 1];
    pay_hex_encode(in, sizeof in, out);
    CHECK_EQ_STR(out, "00ff10ab09");
    pay_hex_encode(in, 0, out);
    CHECK_EQ_STR(out, "");
    CHECK(pay_ct_equal("abcd", "abcd", 4));
    CHECK(!pay_ct_equal("abcd", "abce", 4));
    CHECK(pay_ct_equal("abcd", "abce", 3));
    CHECK(pay_ct_equal("x", "y", 0));
}

/* ---- buf -------------------------------------------------------------- */

static void test_buf_append_and_printf(void)
{
    pay_buf b;
    pay_buf_init(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && !b.oom);
    CHECK(pay_buf_append(&b, NULL, 0)); /* empty append allocates, stays empty */
    REQUIRE(b.data != NULL);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_STR(b.data, "");
    CHECK(pay_buf_puts(&b, "abc"));
    CHECK(pay_buf_append(&b, "d\0e", 3)); /* binary-safe */
    CHECK_EQ_INT(b.len, 6);
    CHECK(memcmp(b.data, "abcd\0e", 7) == 0); /* and NUL past len */
    CHECK(pay_buf_printf(&b, "[%d|%s]", 42, "x"));
    CHECK_EQ_INT(b.len, 12);
    CHECK(memcmp(b.data + 6, "[42|x]", 7) == 0);
    pay_buf_reset(&b);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_STR(b.data, "");
    /* a printf longer than its 256-byte scratch buffer */
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(pay_buf_puts(&b, "<"));
    CHECK(pay_buf_printf(&b, "%s>%d", big, 7));
    CHECK_EQ_INT(b.len, 1 + 999 + 2);
    CHECK(b.data[0] == '<' && b.data[1] == 'q' && b.data[999] == 'q' && b.data[1000] == '>');
    CHECK_EQ_STR(b.data + 1000, ">7");
    CHECK(b.cap > b.len);
    pay_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    pay_buf_free(&b); /* twice is fine */
    pay_buf_free(NULL);
}

static void test_buf_growth(void)
{
    pay_buf b;
    pay_buf_init(&b);
    size_t total = 0;
    for (int i = 0; i < 5000; i++) {
        char piece[16];
        int n = snprintf(piece, sizeof piece, "%d,", i);
        REQUIRE(pay_buf_append(&b, piece, (size_t)n));
        total += (size_t)n;
    }
    CHECK_EQ_INT(b.len, total);
    CHECK_EQ_INT(strlen(b.data), total);
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    CHECK(strcmp(b.data + total - 5, "4999,") == 0);
    CHECK(pay_buf_reserve(&b, 100000));
    CHECK(b.cap >= b.len + 100000 + 1);
    size_t len = 0;
    char *s = pay_buf_steal(&b, &len);
    REQUIRE(s != NULL);
    CHECK_EQ_INT(len, total);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    free(s);
}

static void test_buf_steal_and_oom(void)
{
    pay_buf b;
    pay_buf_init(&b);
    size_t len = 99;
    char *s = pay_buf_steal(&b, &len); /* empty: still a valid string */
    REQUIRE(s != NULL);
    CHECK_EQ_STR(s, "");
    CHECK_EQ_INT(len, 0);
    free(s);
    /* once an allocation has failed, the buffer stays failed */
    REQUIRE(pay_buf_puts(&b, "kept"));
    b.oom = true;
    CHECK(!pay_buf_puts(&b, "more"));
    CHECK(!pay_buf_printf(&b, "%d", 1));
    CHECK(!pay_buf_reserve(&b, 1));
    CHECK_EQ_INT(b.len, 4);
    CHECK(pay_buf_steal(&b, &len) == NULL);
    CHECK(b.data == NULL && !b.oom);
}

PAY_TEST_MAIN(PAY_TEST(test_trace_id), PAY_TEST(test_object_id_ulid_known_answer),
              PAY_TEST(test_object_id_format_and_capacity),
              PAY_TEST(test_object_id_tight_loop_increasing), PAY_TEST(test_object_id_time_order),
              PAY_TEST(test_uuid_v4), PAY_TEST(test_random_bytes_batch_and_fork),
              PAY_TEST(test_random_alnum), PAY_TEST(test_utf8_valid), PAY_TEST(test_utf8_count),
              PAY_TEST(test_all_digits), PAY_TEST(test_strlcpy), PAY_TEST(test_ascii_ieq),
              PAY_TEST(test_hex_and_ct_equal), PAY_TEST(test_buf_append_and_printf),
              PAY_TEST(test_buf_growth), PAY_TEST(test_buf_steal_and_oom))
