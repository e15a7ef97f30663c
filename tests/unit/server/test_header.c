/* Header values as payoutd reads them (src/http/respond.c,
 * pay_ctx_header_value): RFC 9110 §5.5 leaves the whitespace around a field
 * value out of it, so "Basic <b64> ", "ENCRYPTION\t" and "key  " are read
 * without it, and nothing but SP and HTAB is trimmed. */
#include <stdlib.h>
#include <string.h>

#include "http/ctx.h"
#include "harness.h"

static pay_ctx *ctx_new(void)
{
    pay_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) pay_test_fail(__FILE__, __LINE__, "out of memory");
    return ctx;
}

static void test_header_trim(void)
{
    pay_ctx *ctx = ctx_new();
    REQUIRE(ctx);
    static const struct {
        const char *raw, *want;
    } cases[] = {
        {"Basic dGVzdF9za186", "Basic dGVzdF9za186"},
        {"Basic dGVzdF9za186 ", "Basic dGVzdF9za186"},
        {"Basic dGVzdF9za186  ", "Basic dGVzdF9za186"},
        {"Basic dGVzdF9za186\t", "Basic dGVzdF9za186"},
        {"Basic dGVzdF9za186 \t \t", "Basic dGVzdF9za186"},
        {"  Basic dGVzdF9za186", "Basic dGVzdF9za186"},
        {"\t ENCRYPTION \t", "ENCRYPTION"},
        {"ENCRYPTION ", "ENCRYPTION"},
        {"a\tb", "a\tb"}, /* inside the value: kept */
        {"a  b ", "a  b"},
        {"", ""},
        {"   ", ""}, /* all whitespace: an empty value */
        {"\t", ""},
        {"ENCRYPTION\x0b", "ENCRYPTION\x0b"}, /* VT, CR, control bytes: not OWS */
        {"ENCRYPTION\r", "ENCRYPTION\r"},
        {"ENCRYPTION\x01 ", "ENCRYPTION\x01"},
        {"\xc2\xa0x\xc2\xa0", "\xc2\xa0x\xc2\xa0"}, /* NBSP is not OWS */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = pay_ctx_header_value(ctx, cases[i].raw);
        CHECK_MSG(got && strcmp(got, cases[i].want) == 0, "case %zu: \"%s\" read as \"%s\"", i,
                  cases[i].raw, got ? got : "(null)");
    }
    CHECK(pay_ctx_header_value(ctx, NULL) == NULL);
    /* nothing trailing: the value itself (or its suffix), no copy */
    const char *plain = "text/plain";
    size_t used = ctx->header_copies_used;
    CHECK(pay_ctx_header_value(ctx, plain) == plain);
    const char *lead = " \ttext/plain";
    CHECK(pay_ctx_header_value(ctx, lead) == lead + 2);
    CHECK_EQ_INT(ctx->header_copies_used, used);
    free(ctx);
}

/* Copies are kept for the request's lifetime: many of them stay valid and
 * distinct, and one that no longer fits comes back untrimmed (no overflow). */
static void test_header_copies(void)
{
    pay_ctx *ctx = ctx_new();
    REQUIRE(ctx);
    /* the longest valid values, trailing whitespace each, all at once */
    static char auth[512 + 3], idem[1200 + 2], mode[] = "ENCRYPTION \t";
    memcpy(auth, "Basic ", 6);
    memset(auth + 6, 'A', 506);
    memcpy(auth + 512, "  ", 3);
    memset(idem, 'k', 1200);
    memcpy(idem + 1200, "\t", 2);
    const char *a = pay_ctx_header_value(ctx, auth);
    const char *k = pay_ctx_header_value(ctx, idem);
    const char *m = pay_ctx_header_value(ctx, mode);
    REQUIRE(a && k && m);
    CHECK_EQ_INT(strlen(a), 512);
    CHECK_EQ_INT(strlen(k), 1200);
    CHECK_EQ_STR(m, "ENCRYPTION");
    CHECK(strncmp(a, "Basic AAAA", 10) == 0 && a[511] == 'A');
    CHECK(k[0] == 'k' && k[1199] == 'k');
    /* fill the rest: every copy fits until the room is gone, none overlaps */
    static char big[PAY_HEADER_COPIES_MAX + 2];
    memset(big, 'x', PAY_HEADER_COPIES_MAX);
    big[PAY_HEADER_COPIES_MAX] = ' ';
    big[PAY_HEADER_COPIES_MAX + 1] = 0;
    const char *b = pay_ctx_header_value(ctx, big);
    CHECK(b == big); /* does not fit: untrimmed, as documented */
    CHECK(ctx->header_copies_used <= sizeof ctx->header_copies);
    size_t left = sizeof ctx->header_copies - ctx->header_copies_used;
    REQUIRE(left > 2);
    static char fits[PAY_HEADER_COPIES_MAX];
    memset(fits, 'y', left - 1);
    fits[left - 1] = ' ';
    fits[left] = 0;
    const char *f = pay_ctx_header_value(ctx, fits);
    CHECK(f != fits && strlen(f) == left - 1);
    CHECK_EQ_INT(ctx->header_copies_used, sizeof ctx->header_copies);
    CHECK(pay_ctx_header_value(ctx, "z ") != NULL); /* full: untrimmed "z " */
    CHECK_EQ_STR(pay_ctx_header_value(ctx, "z "), "z ");
    CHECK_EQ_STR(pay_ctx_header_value(ctx, "z"), "z"); /* nothing to trim: fine */
    /* the earlier copies are untouched */
    CHECK_EQ_INT(strlen(a), 512);
    CHECK_EQ_INT(strlen(k), 1200);
    CHECK_EQ_STR(m, "ENCRYPTION");
    free(ctx);
}

PAY_TEST_MAIN(PAY_TEST(test_header_trim), PAY_TEST(test_header_copies))
