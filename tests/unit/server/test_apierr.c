/* The wire error table (src/core/apierr.def) and fault messages
 * (src/core/apierr.c). */
#include <stdbool.h>
#include <string.h>

#include "common/text.h"
#include "core/apierr.h"
#include "harness.h"

static bool status_allowed(int s)
{
    static const int allowed[] = {400, 401, 403, 404, 405, 409, 413, 429, 500, 503};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (allowed[i] == s) return true;
    return false;
}

static bool is_code_name(const char *s)
{
    if (!*s || *s == '_') return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

static bool has_hangul(const char *s)
{
    /* Hangul syllables U+AC00..U+D7A3 start with bytes 0xEA..0xED */
    for (; *s; s++)
        if ((unsigned char)*s >= 0xea && (unsigned char)*s <= 0xed) return true;
    return false;
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return false;
    return true;
}

static void test_table_entries(void)
{
    CHECK(PAY_E_COUNT > 40);
    for (int e = 1; e < PAY_E_COUNT; e++) {
        const char *code = pay_api_err_code((pay_api_err)e);
        const char *ko = pay_api_err_message((pay_api_err)e, PAY_LANG_KO);
        const char *en = pay_api_err_message((pay_api_err)e, PAY_LANG_EN);
        int status = pay_api_err_status((pay_api_err)e);
        REQUIRE(code && ko && en);
        CHECK_MSG(is_code_name(code), "entry %d: code \"%s\"", e, code);
        CHECK_MSG(status_allowed(status), "%s: status %d", code, status);
        CHECK_MSG(pay_api_err_from_code(code) == (pay_api_err)e, "%s does not round-trip", code);
        CHECK_MSG(ko[0] && en[0], "%s: empty message", code);
        CHECK_MSG(pay_utf8_valid(ko, strlen(ko), NULL), "%s: Korean message not UTF-8", code);
        CHECK_MSG(pay_utf8_valid(en, strlen(en), NULL), "%s: English message not UTF-8", code);
        CHECK_MSG(has_hangul(ko), "%s: Korean message has no Hangul: %s", code, ko);
        CHECK_MSG(is_ascii(en), "%s: English message is not ASCII: %s", code, en);
        CHECK_MSG(strcmp(ko, en) != 0, "%s: same text in both languages", code);
        /* the detail is appended in parentheses, so messages end cleanly */
        CHECK_MSG(en[strlen(en) - 1] == '.', "%s: English message lacks a full stop", code);
    }
}

static void test_codes_unique(void)
{
    int dups = 0;
    for (int a = 1; a < PAY_E_COUNT; a++)
        for (int b = a + 1; b < PAY_E_COUNT; b++)
            if (strcmp(pay_api_err_code((pay_api_err)a), pay_api_err_code((pay_api_err)b)) == 0) {
                CHECK_MSG(false, "code %s appears twice", pay_api_err_code((pay_api_err)a));
                dups++;
            }
    CHECK_EQ_INT(dups, 0);
}

static void test_known_entries(void)
{
    /* spec §9's table and payoutd's own codes (docs/ERRORS.md) */
    static const struct {
        pay_api_err e;
        const char *code;
        int status;
    } known[] = {
        {PAY_E_INVALID_REQUEST, "INVALID_REQUEST", 400},
        {PAY_E_UNAUTHORIZED_KEY, "UNAUTHORIZED_KEY", 401},
        {PAY_E_FORBIDDEN_REQUEST, "FORBIDDEN_REQUEST", 403},
        {PAY_E_NOT_FOUND, "NOT_FOUND", 404},
        {PAY_E_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 405},
        {PAY_E_PAYOUT_NOT_FOUND, "PAYOUT_NOT_FOUND", 404},
        {PAY_E_FORBIDDEN_SELLER_PAYOUT, "FORBIDDEN_SELLER_PAYOUT", 403},
        {PAY_E_NOT_ENOUGH_AMOUNT, "NOT_ENOUGH_AMOUNT", 400},
        {PAY_E_EXCEED_MAX_AMOUNT, "EXCEED_MAX_AMOUNT", 400},
        {PAY_E_INVALID_EMAIL, "INVALID_EMAIL", 400},
        {PAY_E_DUPLICATED_REQUEST, "DUPLICATED_REQUEST", 400},
        {PAY_E_IDEMPOTENT_REQUEST_PROCESSING, "IDEMPOTENT_REQUEST_PROCESSING", 409},
        {PAY_E_NOT_AVAILABLE_BANK, "NOT_AVAILABLE_BANK", 403},
        {PAY_E_TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", 429},
        {PAY_E_REQUEST_TOO_LARGE, "REQUEST_TOO_LARGE", 413},
        {PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING, "FAILED_INTERNAL_SYSTEM_PROCESSING", 500},
        {PAY_E_FAILED_DB_PROCESSING, "FAILED_DB_PROCESSING", 500},
        {PAY_E_STORAGE_UNAVAILABLE, "STORAGE_UNAVAILABLE", 503},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        CHECK_EQ_STR(pay_api_err_code(known[i].e), known[i].code);
        CHECK_EQ_INT(pay_api_err_status(known[i].e), known[i].status);
        CHECK_EQ_INT(pay_api_err_from_code(known[i].code), known[i].e);
    }
    /* wording observed on the real service (spec §9) */
    CHECK_EQ_STR(pay_api_err_message(PAY_E_INVALID_REQUEST, PAY_LANG_KO),
                 "필수 파라미터가 누락 또는 요청 형식이 잘못되었습니다.");
    CHECK_EQ_STR(pay_api_err_message(PAY_E_NOT_FOUND, PAY_LANG_KO), "존재하지 않는 정보 입니다.");
}

static void test_out_of_range_and_unknown(void)
{
    CHECK_EQ_INT(pay_api_err_from_code("NO_SUCH_CODE"), PAY_E_NONE);
    CHECK_EQ_INT(pay_api_err_from_code("not_found"), PAY_E_NONE); /* exact match only */
    CHECK_EQ_INT(pay_api_err_from_code("NOT_FOUND "), PAY_E_NONE);
    CHECK_EQ_INT(pay_api_err_from_code("NOT_FOUN"), PAY_E_NONE);
    CHECK_EQ_INT(pay_api_err_from_code(""), PAY_E_NONE);
    CHECK_EQ_INT(pay_api_err_from_code("NONE"), PAY_E_NONE);
    CHECK_EQ_INT(pay_api_err_status(PAY_E_NONE), 500);
    CHECK_EQ_INT(pay_api_err_status(PAY_E_COUNT), 500);
    CHECK_EQ_INT(pay_api_err_status((pay_api_err)-1), 500);
    CHECK_EQ_STR(pay_api_err_code(PAY_E_NONE), "UNKNOWN_ERROR");
    CHECK_EQ_STR(pay_api_err_code(PAY_E_COUNT), "UNKNOWN_ERROR");
    CHECK_EQ_STR(pay_api_err_message(PAY_E_NONE, PAY_LANG_EN), "");
    CHECK_EQ_STR(pay_api_err_message(PAY_E_COUNT, PAY_LANG_KO), "");
}

static void test_fault_message_composition(void)
{
    pay_fault f;
    char out[1024], want[1024];

    pay_fault_set(&f, PAY_E_NOT_FOUND);
    CHECK_EQ_INT(f.code, PAY_E_NOT_FOUND);
    pay_fault_message(&f, PAY_LANG_KO, out, sizeof out);
    CHECK_EQ_STR(out, "존재하지 않는 정보 입니다.");
    pay_fault_message(&f, PAY_LANG_EN, out, sizeof out);
    CHECK_EQ_STR(out, "The requested information does not exist.");

    /* same technical detail in both languages */
    pay_fault_setf(&f, PAY_E_PAYOUT_NOT_FOUND, "id %s", "FPA_123");
    CHECK_EQ_STR(f.detail_en, "id FPA_123");
    CHECK_EQ_STR(f.detail_ko, "id FPA_123");
    pay_fault_message(&f, PAY_LANG_KO, out, sizeof out);
    CHECK_EQ_STR(out, "존재하지 않는 지급대행 입니다. (id FPA_123)");
    pay_fault_message(&f, PAY_LANG_EN, out, sizeof out);
    CHECK_EQ_STR(out, "The payout does not exist. (id FPA_123)");

    /* a detail per language */
    pay_fault_set2(&f, PAY_E_INVALID_REQUEST, "%s: 필수 값입니다", "%s: is required",
                   "refSellerId");
    pay_fault_message(&f, PAY_LANG_KO, out, sizeof out);
    snprintf(want, sizeof want, "%s (refSellerId: 필수 값입니다)",
             pay_api_err_message(PAY_E_INVALID_REQUEST, PAY_LANG_KO));
    CHECK_EQ_STR(out, want);
    pay_fault_message(&f, PAY_LANG_EN, out, sizeof out);
    CHECK_EQ_STR(out, "A required parameter is missing or the request format is invalid. "
                      "(refSellerId: is required)");

    /* setting a fault again drops the earlier detail */
    pay_fault_set(&f, PAY_E_TOO_MANY_REQUESTS);
    CHECK_EQ_STR(f.detail_ko, "");
    CHECK_EQ_STR(f.detail_en, "");
    pay_fault_message(&f, PAY_LANG_EN, out, sizeof out);
    CHECK_EQ_STR(out, "Too many requests. Please retry later.");
}

static void test_fault_bounds(void)
{
    pay_fault f;
    char long_detail[PAY_FAULT_DETAIL_MAX * 2];
    memset(long_detail, 'x', sizeof long_detail - 1);
    long_detail[sizeof long_detail - 1] = 0;
    pay_fault_setf(&f, PAY_E_INVALID_REQUEST, "%s", long_detail);
    CHECK_EQ_INT(strlen(f.detail_en), PAY_FAULT_DETAIL_MAX - 1);
    CHECK_EQ_INT(strlen(f.detail_ko), PAY_FAULT_DETAIL_MAX - 1);

    /* the output is bounded and terminated */
    char small[16];
    memset(small, 'Q', sizeof small);
    pay_fault_set(&f, PAY_E_NOT_FOUND);
    pay_fault_message(&f, PAY_LANG_EN, small, sizeof small);
    CHECK_EQ_STR(small, "The requested i");
    pay_fault_setf(&f, PAY_E_NOT_FOUND, "d");
    pay_fault_message(&f, PAY_LANG_EN, small, 1);
    CHECK_EQ_STR(small, "");
}

PAY_TEST_MAIN(PAY_TEST(test_table_entries), PAY_TEST(test_codes_unique),
              PAY_TEST(test_known_entries), PAY_TEST(test_out_of_range_and_unknown),
              PAY_TEST(test_fault_message_composition), PAY_TEST(test_fault_bounds))
