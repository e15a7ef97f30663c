/* Request decoders (src/core/validate.c) against the limits of
 * src/core/model.h (spec §10 #1): each limit exactly at and one past it,
 * lengths in characters (Korean text is 3 bytes a character), and for each
 * refusal the wire code and the field named in the detail. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "common/text.h"
#include "common/timeutil.h"
#include "core/apierr.h"
#include "core/model.h"
#include "core/validate.h"
#include "harness.h"

#define KO "\xea\xb0\x80"        /* 가: one character, 3 bytes */
#define EMOJI "\xf0\x9f\x98\x80" /* U+1F600: one character, 4 bytes */

/* ---- building inputs ----------------------------------------------------- */

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!v) pay_test_fail(__FILE__, __LINE__, "bad test JSON (%s): %s", e.text, text);
    return v;
}

/* unit repeated n times, in one of a few rotating buffers. */
static const char *rep(const char *unit, size_t n)
{
    static char bufs[8][4096];
    static unsigned slot;
    char *out = bufs[slot++ % 8];
    size_t u = strlen(unit), o = 0;
    for (size_t i = 0; i < n && o + u < sizeof bufs[0]; i++, o += u)
        memcpy(out + o, unit, u);
    out[o] = 0;
    return out;
}

/* Sets root.path (dots separate object members) to value, stealing it;
 * value NULL removes the member. */
static void set_path(json_t *root, const char *path, json_t *value)
{
    char key[128];
    json_t *obj = root;
    const char *dot;
    while ((dot = strchr(path, '.')) != NULL) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        obj = json_object_get(obj, key);
        path = dot + 1;
    }
    if (!json_is_object(obj)) {
        pay_test_fail(__FILE__, __LINE__, "no object for %s", path);
        json_decref(value);
        return;
    }
    if (value)
        json_object_set_new(obj, path, value);
    else
        json_object_del(obj, path);
}

static const char *const company_seller =
    "{\"refSellerId\":\"my-seller-1\",\"businessType\":\"INDIVIDUAL_BUSINESS\","
    "\"company\":{\"name\":\"토스페이먼츠\",\"representativeName\":\"홍길동\","
    "\"businessRegistrationNumber\":\"1234567890\",\"email\":\"rep@example.com\","
    "\"phone\":\"01012345678\"},"
    "\"account\":{\"bankCode\":\"004\",\"accountNumber\":\"049210482003\","
    "\"holderName\":\"홍길동\"},"
    "\"metadata\":{\"grade\":\"gold\",\"메모\":\"한글 값\"}}";

static const char *const individual_seller =
    "{\"refSellerId\":\"ind-1\",\"businessType\":\"INDIVIDUAL\","
    "\"individual\":{\"name\":\"김토스\",\"email\":\"kim@example.co.kr\","
    "\"phone\":\"01098765432\"},"
    "\"account\":{\"bankCode\":\"088\",\"accountNumber\":\"110123456789\","
    "\"holderName\":\"김토스\"}}";

static const char *const payout_item =
    "{\"refPayoutId\":\"my-payout-1\",\"destination\":\"seller_01jfxg2q3w4e5r6t7y8v9x0z1p\","
    "\"scheduleType\":\"EXPRESS\",\"amount\":{\"currency\":\"KRW\",\"value\":5000},"
    "\"transactionDescription\":\"8월대금지급\"}";

static json_t *company_with(const char *path, json_t *value)
{
    json_t *b = J(company_seller);
    if (b) set_path(b, path, value);
    return b;
}

static json_t *individual_with(const char *path, json_t *value)
{
    json_t *b = J(individual_seller);
    if (b) set_path(b, path, value);
    return b;
}

static json_t *item_with(const char *path, json_t *value)
{
    json_t *b = J(payout_item);
    if (b) set_path(b, path, value);
    return b;
}

static int32_t today(void)
{
    return pay_days_from_civil(2026, 12, 3);
}

/* ---- expectations -------------------------------------------------------- */

static void check_fault(const pay_fault *f, pay_api_err code, const char *phrase, int line)
{
    if (f->code != code)
        pay_test_fail(__FILE__, line, "fault %s, expected %s (detail \"%s\")",
                      pay_api_err_code(f->code), pay_api_err_code(code), f->detail_en);
    if (!strstr(f->detail_en, phrase))
        pay_test_fail(__FILE__, line, "detail_en \"%s\" lacks \"%s\"", f->detail_en, phrase);
    if (!f->detail_ko[0] || !pay_utf8_valid(f->detail_ko, strlen(f->detail_ko), NULL))
        pay_test_fail(__FILE__, line, "detail_ko empty or not UTF-8");
}

/* Decodes a seller that must be refused; consumes body. */
static void seller_fails(json_t *body, pay_api_err code, const char *phrase, int line)
{
    pay_seller s;
    pay_fault f;
    memset(&f, 0, sizeof f);
    if (!body) return;
    if (pay_decode_seller_create(body, &s, &f)) {
        pay_test_fail(__FILE__, line, "seller accepted; expected %s \"%s\"", pay_api_err_code(code),
                      phrase);
        pay_seller_clear(&s);
    } else {
        check_fault(&f, code, phrase, line);
        if (s.company || s.individual || s.account || s.metadata)
            pay_test_fail(__FILE__, line, "refused seller still owns objects");
    }
    json_decref(body);
}

/* Decodes a seller that must be accepted into *s (caller clears); consumes body. */
static bool seller_ok(json_t *body, pay_seller *s, int line)
{
    pay_fault f;
    memset(&f, 0, sizeof f);
    memset(s, 0, sizeof *s);
    if (!body) return false;
    bool ok = pay_decode_seller_create(body, s, &f);
    if (!ok)
        pay_test_fail(__FILE__, line, "seller refused: %s %s", pay_api_err_code(f.code),
                      f.detail_en);
    json_decref(body);
    return ok;
}

static void seller_accepts(json_t *body, int line)
{
    pay_seller s;
    if (seller_ok(body, &s, line)) pay_seller_clear(&s);
}

static void item_fails_at(json_t *item, size_t index, pay_api_err code, const char *phrase,
                          int line)
{
    pay_payout p;
    pay_fault f;
    memset(&f, 0, sizeof f);
    if (!item) return;
    if (pay_decode_payout_item(item, index, today(), &p, &f)) {
        pay_test_fail(__FILE__, line, "item accepted; expected %s \"%s\"", pay_api_err_code(code),
                      phrase);
        pay_payout_clear(&p);
    } else {
        check_fault(&f, code, phrase, line);
        if (p.metadata) pay_test_fail(__FILE__, line, "refused item still owns metadata");
    }
    json_decref(item);
}

static bool item_ok(json_t *item, pay_payout *p, int line)
{
    pay_fault f;
    memset(&f, 0, sizeof f);
    memset(p, 0, sizeof *p);
    if (!item) return false;
    bool ok = pay_decode_payout_item(item, 0, today(), p, &f);
    if (!ok)
        pay_test_fail(__FILE__, line, "item refused: %s %s", pay_api_err_code(f.code), f.detail_en);
    json_decref(item);
    return ok;
}

/* Accepts an item and checks the decoded amount. */
static void amount_ok(json_t *value, int64_t want, int line)
{
    pay_payout p;
    if (!item_ok(item_with("amount.value", value), &p, line)) return;
    if (p.amount != want)
        pay_test_fail(__FILE__, line, "amount %lld, expected %lld", (long long)p.amount,
                      (long long)want);
    pay_payout_clear(&p);
}

#define SELLER_FAILS(body, code, phrase) seller_fails(body, PAY_E_##code, phrase, __LINE__)
#define SELLER_OK(body) seller_accepts(body, __LINE__)
#define ITEM_FAILS(item, code, phrase) item_fails_at(item, 0, PAY_E_##code, phrase, __LINE__)
#define AMOUNT_OK(value, want) amount_ok(value, want, __LINE__)
#define AMOUNT_FAILS(value, code, phrase)                                                          \
    item_fails_at(item_with("amount.value", value), 0, PAY_E_##code, phrase, __LINE__)

/* ---- sellers ------------------------------------------------------------- */

static void test_seller_company_canonical(void)
{
    pay_seller s;
    /* the full INDIVIDUAL_BUSINESS body comes back as canonical objects */
    REQUIRE(seller_ok(J(company_seller), &s, __LINE__));
    CHECK_EQ_STR(s.ref_seller_id, "my-seller-1");
    CHECK_EQ_INT(s.business_type, PAY_BT_INDIVIDUAL_BUSINESS);
    CHECK(s.individual == NULL);
    json_t *want_company =
        J("{\"name\":\"토스페이먼츠\",\"representativeName\":\"홍길동\","
          "\"businessRegistrationNumber\":\"1234567890\",\"email\":\"rep@example.com\","
          "\"phone\":\"01012345678\"}");
    json_t *want_account =
        J("{\"bankCode\":\"004\",\"accountNumber\":\"049210482003\",\"holderName\":\"홍길동\"}");
    json_t *want_meta = J("{\"grade\":\"gold\",\"메모\":\"한글 값\"}");
    CHECK(json_equal(s.company, want_company));
    CHECK(json_equal(s.account, want_account));
    CHECK(json_equal(s.metadata, want_meta));
    json_decref(want_company);
    json_decref(want_account);
    json_decref(want_meta);
    pay_seller_clear(&s);
    CHECK(s.company == NULL && s.account == NULL && s.metadata == NULL);

    /* CORPORATE takes the same company object; metadata null or absent = none */
    REQUIRE(seller_ok(company_with("businessType", json_string("CORPORATE")), &s, __LINE__));
    CHECK_EQ_INT(s.business_type, PAY_BT_CORPORATE);
    pay_seller_clear(&s);
    REQUIRE(seller_ok(company_with("metadata", json_null()), &s, __LINE__));
    CHECK(s.metadata == NULL);
    pay_seller_clear(&s);
    REQUIRE(seller_ok(company_with("metadata", NULL), &s, __LINE__));
    CHECK(s.metadata == NULL);
    pay_seller_clear(&s);
    REQUIRE(seller_ok(company_with("metadata", json_object()), &s, __LINE__));
    CHECK(json_is_object(s.metadata) && json_object_size(s.metadata) == 0);
    pay_seller_clear(&s);
}

static void test_seller_individual_canonical(void)
{
    pay_seller s;
    REQUIRE(seller_ok(J(individual_seller), &s, __LINE__));
    CHECK_EQ_STR(s.ref_seller_id, "ind-1");
    CHECK_EQ_INT(s.business_type, PAY_BT_INDIVIDUAL);
    CHECK(s.company == NULL && s.metadata == NULL);
    json_t *want =
        J("{\"name\":\"김토스\",\"email\":\"kim@example.co.kr\",\"phone\":\"01098765432\"}");
    CHECK(json_equal(s.individual, want));
    json_decref(want);
    want = J("{\"bankCode\":\"088\",\"accountNumber\":\"110123456789\",\"holderName\":\"김토스\"}");
    CHECK(json_equal(s.account, want));
    json_decref(want);
    pay_seller_clear(&s);
}

static void test_seller_shape(void)
{
    SELLER_FAILS(J("[]"), INVALID_REQUEST, "body must be a JSON object");
    SELLER_FAILS(J("\"seller\""), INVALID_REQUEST, "body must be a JSON object");
    SELLER_FAILS(company_with("nickname", json_string("x")), INVALID_REQUEST,
                 "nickname: unknown field");
    SELLER_FAILS(company_with("company.fax", json_string("x")), INVALID_REQUEST,
                 "company.fax: unknown field");
    SELLER_FAILS(company_with("account.branch", json_string("x")), INVALID_REQUEST,
                 "account.branch: unknown field");
    SELLER_FAILS(individual_with("individual.company", json_string("x")), INVALID_REQUEST,
                 "individual.company: unknown field");
    SELLER_FAILS(company_with("businessType", NULL), INVALID_REQUEST, "businessType: is required");
    SELLER_FAILS(company_with("businessType", json_string("PERSON")), INVALID_REQUEST,
                 "businessType: must be INDIVIDUAL, INDIVIDUAL_BUSINESS or CORPORATE");
    SELLER_FAILS(company_with("businessType", json_string("corporate")), INVALID_REQUEST,
                 "businessType: must be");
    SELLER_FAILS(company_with("businessType", json_integer(1)), INVALID_REQUEST,
                 "businessType: must be a string");
    SELLER_FAILS(company_with("company", NULL), INVALID_REQUEST, "company: is required");
    SELLER_FAILS(company_with("company", json_null()), INVALID_REQUEST, "company: is required");
    SELLER_FAILS(company_with("company", json_string("x")), INVALID_REQUEST,
                 "company: must be an object");
    SELLER_FAILS(individual_with("individual", NULL), INVALID_REQUEST, "individual: is required");
    SELLER_FAILS(company_with("individual", J("{\"name\":\"x\"}")), INVALID_REQUEST,
                 "individual: not allowed for businessType INDIVIDUAL_BUSINESS");
    SELLER_FAILS(individual_with("company", J("{\"name\":\"x\"}")), INVALID_REQUEST,
                 "company: not allowed for businessType INDIVIDUAL");
    SELLER_FAILS(company_with("account", NULL), INVALID_REQUEST, "account: is required");
    SELLER_FAILS(company_with("account", J("[]")), INVALID_REQUEST, "account: must be an object");
    SELLER_FAILS(company_with("company.name", NULL), INVALID_REQUEST, "company.name: is required");
    SELLER_FAILS(company_with("company.name", json_integer(5)), INVALID_REQUEST,
                 "company.name: must be a string");
    SELLER_FAILS(company_with("company.name", json_string("")), INVALID_REQUEST,
                 "company.name: must not be empty");
    SELLER_FAILS(company_with("company.name", json_string("a\nb")), INVALID_REQUEST,
                 "company.name: control or invisible formatting characters are not allowed");
    SELLER_FAILS(company_with("account.holderName", json_string("tab\there")), INVALID_REQUEST,
                 "account.holderName: control or invisible formatting characters are not allowed");
    /* Blank, C1 controls and invisible format characters (bidi override,
     * zero-width space, BOM, soft hyphen) are refused like C0 controls. */
    SELLER_FAILS(company_with("company.name", json_string("   ")), INVALID_REQUEST,
                 "company.name: must not be empty or blank");
    static const char *const sneaky[] = {"a\xc2\x85" "b", "abc\xe2\x80\xae" "dcba",
                                         "a\xe2\x80\x8b" "b", "\xef\xbb\xbf" "name",
                                         "a\xc2\xad" "b", "x\xe2\x81\xa6" "y"};
    for (size_t i = 0; i < sizeof sneaky / sizeof sneaky[0]; i++)
        SELLER_FAILS(company_with("company.name", json_string(sneaky[i])), INVALID_REQUEST,
                     "control or invisible formatting characters");
    /* Ordinary non-ASCII text is fine: Hangul, Latin-1 letters, an em dash. */
    json_t *ok = company_with("company.name", json_string("주식회사 Café \xe2\x80\x94" " 1호"));
    pay_seller s;
    pay_fault f;
    CHECK(pay_decode_seller_create(ok, &s, &f));
    pay_seller_clear(&s);
    json_decref(ok);
}

static void test_seller_ref_seller_id(void)
{
    pay_seller s;
    const char *twenty = "abcdefghij0123456789";
    REQUIRE(seller_ok(company_with("refSellerId", json_string(twenty)), &s, __LINE__));
    CHECK_EQ_STR(s.ref_seller_id, twenty);
    pay_seller_clear(&s);
    SELLER_OK(company_with("refSellerId", json_string("a")));
    SELLER_OK(company_with("refSellerId", json_string("A-b_c.d~!#$%&*+/=?^{")));
    SELLER_FAILS(company_with("refSellerId", json_string("abcdefghij0123456789x")), INVALID_REQUEST,
                 "refSellerId: at most 20 characters (got 21)");
    /* counted in characters: 21 Korean characters (63 bytes) report 21 ... */
    SELLER_FAILS(company_with("refSellerId", json_string(rep(KO, 21))), INVALID_REQUEST,
                 "refSellerId: at most 20 characters (got 21)");
    /* ... and 20 of them (60 bytes) pass the length rule, then meet the
     * ASCII-only rule validate.c applies to the merchant's own ids */
    SELLER_FAILS(company_with("refSellerId", json_string(rep(KO, 20))), INVALID_REQUEST,
                 "refSellerId: printable ASCII without spaces only");
    SELLER_FAILS(company_with("refSellerId", json_string("my seller")), INVALID_REQUEST,
                 "refSellerId: printable ASCII without spaces only");
    SELLER_FAILS(company_with("refSellerId", json_string("del\x7f")), INVALID_REQUEST,
                 "refSellerId: control or invisible formatting characters");
    SELLER_FAILS(company_with("refSellerId", json_string("")), INVALID_REQUEST,
                 "refSellerId: must not be empty");
    SELLER_FAILS(company_with("refSellerId", NULL), INVALID_REQUEST, "refSellerId: is required");
    SELLER_FAILS(company_with("refSellerId", json_null()), INVALID_REQUEST,
                 "refSellerId: is required");
    SELLER_FAILS(company_with("refSellerId", json_integer(1891)), INVALID_REQUEST,
                 "refSellerId: must be a string");
}

static void test_seller_name_limits(void)
{
    static const char *const fields[] = {"company.name", "company.representativeName",
                                         "account.holderName"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char want[96];
        pay_seller s;
        /* 60 Korean characters = 180 bytes: accepted, kept whole */
        if (seller_ok(company_with(fields[i], json_string(rep(KO, 60))), &s, __LINE__)) {
            const char *member = strchr(fields[i], '.') + 1;
            json_t *parent = fields[i][0] == 'c' ? s.company : s.account;
            CHECK_EQ_STR(json_string_value(json_object_get(parent, member)), rep(KO, 60));
            pay_seller_clear(&s);
        }
        snprintf(want, sizeof want, "%s: at most 60 characters (got 61)", fields[i]);
        SELLER_FAILS(company_with(fields[i], json_string(rep(KO, 61))), INVALID_REQUEST, want);
        SELLER_FAILS(company_with(fields[i], json_string(rep("n", 61))), INVALID_REQUEST, want);
        SELLER_OK(company_with(fields[i], json_string(rep("n", 60))));
    }
    SELLER_OK(individual_with("individual.name", json_string(rep(KO, 60))));
    SELLER_OK(individual_with("individual.name", json_string(rep(EMOJI, 60))));
    SELLER_FAILS(individual_with("individual.name", json_string(rep(KO, 61))), INVALID_REQUEST,
                 "individual.name: at most 60 characters (got 61)");
}

static void test_seller_email(void)
{
    char email[160];
    /* 64 + 1 + 35 = 100 characters */
    snprintf(email, sizeof email, "%s@%s.com", rep("a", 64), rep("b", 31));
    CHECK_EQ_INT(strlen(email), 100);
    SELLER_OK(company_with("company.email", json_string(email)));
    snprintf(email, sizeof email, "%s@%s.com", rep("a", 64), rep("b", 32));
    SELLER_FAILS(company_with("company.email", json_string(email)), INVALID_REQUEST,
                 "company.email: at most 100 characters (got 101)");
    SELLER_OK(company_with("company.email", json_string("first.last+tag@sub.example-mail.co.kr")));
    SELLER_OK(individual_with("individual.email", json_string("x@y.io")));
    static const char *const bad[] = {
        "not-an-email",     "a@b",
        "@example.com",     "a@@example.com",
        "a@b@example.com",  "a@example..com",
        "a@.example.com",   "a@example.com.",
        "a b@example.com",  "a@exa mple.com",
        "a@-example.com",   "a@example-.com",
        "a\"b@example.com", "한글@example.com",
        "a@한글.com",       "a@example",
        "a,b@example.com",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        seller_fails(company_with("company.email", json_string(bad[i])), PAY_E_INVALID_EMAIL,
                     "company.email: not a well-formed address", __LINE__);
    SELLER_FAILS(individual_with("individual.email", json_string("nope")), INVALID_EMAIL,
                 "individual.email: not a well-formed address");
    SELLER_FAILS(individual_with("individual.email", NULL), INVALID_REQUEST,
                 "individual.email: is required");
}

static void test_seller_phone(void)
{
    SELLER_OK(company_with("company.phone", json_string("12345678")));        /* 8 */
    SELLER_OK(company_with("company.phone", json_string("123456789012345"))); /* 15 */
    SELLER_OK(individual_with("individual.phone", json_string("0212345678")));
    static const char *const bad[] = {"1234567",          /* 7 */
                                      "1234567890123456", /* 16 */
                                      "010-1234-5678",    "+821012345678",         "010 1234 5678",
                                      "0101234567a",      "０１０１２３４５６７８"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        seller_fails(company_with("company.phone", json_string(bad[i])), PAY_E_INVALID_REQUEST,
                     "company.phone: must be 8 to 15 digits, without hyphens", __LINE__);
    SELLER_FAILS(individual_with("individual.phone", json_string("1234567")), INVALID_REQUEST,
                 "individual.phone: must be 8 to 15 digits");
    SELLER_FAILS(company_with("company.phone", json_integer(1012345678)), INVALID_REQUEST,
                 "company.phone: must be a string");
}

static void test_seller_business_number(void)
{
    SELLER_OK(company_with("company.businessRegistrationNumber", json_string("0000000000")));
    static const char *const bad[] = {"123456789",  "12345678901", "123-45-67890",
                                      "12345abcde", "1234567890 ", "１２３４５６７８９０"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        seller_fails(company_with("company.businessRegistrationNumber", json_string(bad[i])),
                     PAY_E_INVALID_BUSINESS_NUMBER,
                     "company.businessRegistrationNumber: must be exactly 10 digits", __LINE__);
    SELLER_FAILS(company_with("company.businessRegistrationNumber", json_integer(1234567890)),
                 INVALID_REQUEST, "company.businessRegistrationNumber: must be a string");
    SELLER_FAILS(company_with("company.businessRegistrationNumber", NULL), INVALID_REQUEST,
                 "company.businessRegistrationNumber: is required");
}

static void test_seller_account(void)
{
    pay_seller s;
    const char *twenty = "12345678901234567890";
    REQUIRE(seller_ok(company_with("account.accountNumber", json_string(twenty)), &s, __LINE__));
    CHECK_EQ_STR(json_string_value(json_object_get(s.account, "accountNumber")), twenty);
    pay_seller_clear(&s);
    SELLER_OK(company_with("account.accountNumber", json_string("1")));
    SELLER_FAILS(company_with("account.accountNumber", json_string("123456789012345678901")),
                 INVALID_ACCOUNT_NUMBER, "account.accountNumber: at most 20 digits");
    SELLER_FAILS(company_with("account.accountNumber", json_string("049-210-482003")),
                 INVALID_ACCOUNT_NUMBER,
                 "account.accountNumber: at most 20 digits, without hyphens");
    SELLER_FAILS(company_with("account.accountNumber", json_string("049****82003")),
                 INVALID_ACCOUNT_NUMBER, "account.accountNumber: looks masked");
    SELLER_FAILS(company_with("account.accountNumber", json_string("")), INVALID_REQUEST,
                 "account.accountNumber: must not be empty");
    SELLER_FAILS(company_with("account.accountNumber", json_integer(49210482003)), INVALID_REQUEST,
                 "account.accountNumber: must be a string");
    SELLER_FAILS(company_with("account.bankCode", json_string("999")), INVALID_BANK,
                 "account.bankCode: unknown bank code \"999\"");
    SELLER_FAILS(company_with("account.bankCode", json_string("04")), INVALID_BANK,
                 "account.bankCode: unknown bank code");
    SELLER_FAILS(company_with("account.bankCode", json_string("0040")), INVALID_BANK,
                 "account.bankCode: unknown bank code");
    SELLER_FAILS(company_with("account.bankCode", NULL), INVALID_REQUEST,
                 "account.bankCode: is required");
    SELLER_FAILS(company_with("account.holderName", NULL), INVALID_REQUEST,
                 "account.holderName: is required");
}

/* metadata with n pairs k0..k(n-1) */
static json_t *meta_pairs(int n)
{
    json_t *m = json_object();
    for (int i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(m, k, json_string("v"));
    }
    return m;
}

static json_t *meta_one(const char *key, json_t *value)
{
    json_t *m = json_object();
    json_object_set_new(m, key, value);
    return m;
}

static void test_seller_metadata(void)
{
    pay_seller s;
    REQUIRE(seller_ok(company_with("metadata", meta_pairs(5)), &s, __LINE__));
    CHECK_EQ_INT(json_object_size(s.metadata), 5);
    pay_seller_clear(&s);
    SELLER_FAILS(company_with("metadata", meta_pairs(6)), INVALID_REQUEST,
                 "metadata: at most 5 pairs (got 6)");
    /* keys: 40 characters (120 bytes of Korean) ok, 41 not */
    SELLER_OK(company_with("metadata", meta_one(rep(KO, 40), json_string("v"))));
    SELLER_OK(company_with("metadata", meta_one(rep("k", 40), json_string("v"))));
    SELLER_FAILS(company_with("metadata", meta_one(rep(KO, 41), json_string("v"))), INVALID_REQUEST,
                 "metadata: keys are 1-40 characters without [ ]");
    SELLER_FAILS(company_with("metadata", meta_one(rep("k", 41), json_string("v"))),
                 INVALID_REQUEST, "metadata: keys are 1-40 characters");
    SELLER_FAILS(company_with("metadata", meta_one("", json_string("v"))), INVALID_REQUEST,
                 "metadata: keys are 1-40 characters");
    SELLER_FAILS(company_with("metadata", meta_one("a[0]", json_string("v"))), INVALID_REQUEST,
                 "metadata: keys are 1-40 characters without [ ]");
    SELLER_FAILS(company_with("metadata", meta_one("a]", json_string("v"))), INVALID_REQUEST,
                 "without [ ]");
    SELLER_FAILS(company_with("metadata", meta_one("a\nb", json_string("v"))), INVALID_REQUEST,
                 "control characters");
    /* values: 500 characters (1500 bytes) ok, 501 not; only strings */
    REQUIRE(seller_ok(company_with("metadata", meta_one("memo", json_string(rep(KO, 500)))), &s,
                      __LINE__));
    CHECK_EQ_STR(json_string_value(json_object_get(s.metadata, "memo")), rep(KO, 500));
    pay_seller_clear(&s);
    SELLER_OK(company_with("metadata", meta_one("memo", json_string(""))));
    SELLER_FAILS(company_with("metadata", meta_one("memo", json_string(rep(KO, 501)))),
                 INVALID_REQUEST, "metadata.memo: at most 500 characters");
    SELLER_FAILS(company_with("metadata", meta_one("memo", json_string(rep("x", 501)))),
                 INVALID_REQUEST, "metadata.memo: at most 500 characters");
    SELLER_FAILS(company_with("metadata", meta_one("n", json_integer(1))), INVALID_REQUEST,
                 "metadata.n: must be a string");
    SELLER_FAILS(company_with("metadata", meta_one("n", json_null())), INVALID_REQUEST,
                 "metadata.n: must be a string");
    SELLER_FAILS(company_with("metadata", meta_one("n", json_object())), INVALID_REQUEST,
                 "metadata.n: must be a string");
    SELLER_FAILS(company_with("metadata", json_string("x")), INVALID_REQUEST,
                 "metadata: must be an object");
    SELLER_FAILS(company_with("metadata", json_array()), INVALID_REQUEST,
                 "metadata: must be an object");
}

/* ---- payout items -------------------------------------------------------- */

static void test_payout_item_canonical(void)
{
    pay_payout p;
    REQUIRE(item_ok(J(payout_item), &p, __LINE__));
    CHECK_EQ_STR(p.ref_payout_id, "my-payout-1");
    CHECK_EQ_STR(p.destination, "seller_01jfxg2q3w4e5r6t7y8v9x0z1p");
    CHECK_EQ_INT(p.schedule_type, PAY_SCHEDULE_EXPRESS);
    CHECK_EQ_INT(p.payout_date, today()); /* EXPRESS pays today */
    CHECK_EQ_INT(p.amount, 5000);
    CHECK_EQ_STR(p.description, "8월대금지급");
    CHECK(p.metadata == NULL);
    CHECK_EQ_STR(p.error_code, "");
    pay_payout_clear(&p);

    json_t *it = item_with("scheduleType", json_string("SCHEDULED"));
    set_path(it, "payoutDate", json_string("2026-12-10"));
    set_path(it, "metadata", meta_one("order", json_string("A-1")));
    REQUIRE(item_ok(it, &p, __LINE__));
    CHECK_EQ_INT(p.schedule_type, PAY_SCHEDULE_SCHEDULED);
    CHECK_EQ_INT(p.payout_date, pay_days_from_civil(2026, 12, 10));
    CHECK_EQ_STR(json_string_value(json_object_get(p.metadata, "order")), "A-1");
    pay_payout_clear(&p);
    CHECK(p.metadata == NULL);

    /* EXPRESS with today's date spelled out */
    REQUIRE(item_ok(item_with("payoutDate", json_string("2026-12-03")), &p, __LINE__));
    CHECK_EQ_INT(p.payout_date, today());
    pay_payout_clear(&p);
}

static void test_payout_item_shape(void)
{
    item_fails_at(J("[]"), 4, PAY_E_INVALID_REQUEST, "[4]: must be an object", __LINE__);
    item_fails_at(item_with("refPayoutId", NULL), 7, PAY_E_INVALID_REQUEST,
                  "[7].refPayoutId: is required", __LINE__);
    ITEM_FAILS(item_with("memo", json_string("x")), INVALID_REQUEST, "[0].memo: unknown field");
    ITEM_FAILS(item_with("amount.fee", json_integer(1)), INVALID_REQUEST,
               "[0].amount.fee: unknown field");
    ITEM_FAILS(item_with("destination", NULL), INVALID_REQUEST, "[0].destination: is required");
    ITEM_FAILS(item_with("scheduleType", json_string("NOW")), INVALID_REQUEST,
               "[0].scheduleType: must be EXPRESS or SCHEDULED");
    ITEM_FAILS(item_with("scheduleType", json_string("express")), INVALID_REQUEST,
               "[0].scheduleType: must be EXPRESS or SCHEDULED");
    ITEM_FAILS(item_with("amount", NULL), INVALID_REQUEST, "[0].amount: is required");
    ITEM_FAILS(item_with("amount", json_integer(5000)), INVALID_REQUEST,
               "[0].amount: must be an object");
    ITEM_FAILS(item_with("amount.currency", NULL), INVALID_REQUEST,
               "[0].amount.currency: is required");
    ITEM_FAILS(item_with("amount.currency", json_string("USD")), INVALID_CURRENCY,
               "[0].amount.currency: only KRW is supported (got \"USD\")");
    ITEM_FAILS(item_with("amount.currency", json_string("krw")), INVALID_CURRENCY,
               "only KRW is supported");
    ITEM_FAILS(item_with("transactionDescription", NULL), INVALID_REQUEST,
               "[0].transactionDescription: is required");
    ITEM_FAILS(item_with("metadata", meta_pairs(6)), INVALID_REQUEST,
               "[0].metadata: at most 5 pairs (got 6)");
    ITEM_FAILS(item_with("metadata", meta_one("x", json_true())), INVALID_REQUEST,
               "[0].metadata.x: must be a string");
}

static void test_payout_item_dates(void)
{
    json_t *it = item_with("scheduleType", json_string("SCHEDULED"));
    ITEM_FAILS(it, INVALID_REQUEST, "[0].payoutDate: is required for SCHEDULED payouts");
    it = item_with("scheduleType", json_string("SCHEDULED"));
    set_path(it, "payoutDate", json_null());
    ITEM_FAILS(it, INVALID_REQUEST, "[0].payoutDate: is required for SCHEDULED payouts");
    static const char *const bad[] = {
        "2026-02-29", "2026-13-01", "20261210", "2026-12-1", "2026-12-10T00:00:00+09:00",
        "1969-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        it = item_with("scheduleType", json_string("SCHEDULED"));
        set_path(it, "payoutDate", json_string(bad[i]));
        item_fails_at(it, 0, PAY_E_INVALID_DATE,
                      "[0].payoutDate: must be a calendar date yyyy-MM-dd", __LINE__);
    }
    ITEM_FAILS(item_with("payoutDate", json_integer(20261203)), INVALID_REQUEST,
               "[0].payoutDate: must be a string");
    ITEM_FAILS(item_with("payoutDate", json_string("")), INVALID_REQUEST,
               "[0].payoutDate: must not be empty");
    /* EXPRESS means today: any other date is refused, naming today */
    ITEM_FAILS(item_with("payoutDate", json_string("2026-12-04")), INVALID_PAYABLE_DATE,
               "[0].payoutDate: an EXPRESS payout is paid today (2026-12-03)");
    ITEM_FAILS(item_with("payoutDate", json_string("2026-12-02")), INVALID_PAYABLE_DATE,
               "paid today (2026-12-03)");
}

static void test_payout_item_amounts(void)
{
    AMOUNT_OK(json_integer(5000), 5000);
    AMOUNT_OK(J("5000.0"), 5000);
    AMOUNT_OK(json_string("5000"), 5000);
    AMOUNT_OK(json_integer(1), 1);
    AMOUNT_OK(json_integer(999999999), 999999999);
    AMOUNT_OK(json_string("999999999"), 999999999);
    AMOUNT_OK(J("999999999.0"), 999999999);
    AMOUNT_OK(J("5e3"), 5000);

    AMOUNT_FAILS(json_integer(1000000000), EXCEED_MAX_AMOUNT,
                 "[0].amount.value: must be less than 1,000,000,000 KRW");
    AMOUNT_FAILS(json_string("1000000000"), EXCEED_MAX_AMOUNT, "less than 1,000,000,000");
    AMOUNT_FAILS(J("1000000000.0"), EXCEED_MAX_AMOUNT, "less than 1,000,000,000");
    AMOUNT_FAILS(json_integer(INT64_C(9223372036854775807)), EXCEED_MAX_AMOUNT,
                 "less than 1,000,000,000");

    static const char *const whole = "[0].amount.value: must be a whole number of won";
    AMOUNT_FAILS(J("5000.5"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(J("0.5"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(J("-5.0"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(J("1e300"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string("5,000"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string(""), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string("5000.0"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string(" 5000"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string("+5000"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string("-1"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_string("1234567890123456"), INVALID_REQUEST, whole); /* 16 digits */
    AMOUNT_FAILS(json_true(), INVALID_REQUEST, whole);
    AMOUNT_FAILS(json_false(), INVALID_REQUEST, whole);
    AMOUNT_FAILS(J("[5000]"), INVALID_REQUEST, whole);
    AMOUNT_FAILS(J("{\"v\":5000}"), INVALID_REQUEST, whole);

    static const char *const positive = "[0].amount.value: must be greater than 0";
    AMOUNT_FAILS(json_integer(-1), INVALID_REQUEST, positive);
    AMOUNT_FAILS(json_integer(0), INVALID_REQUEST, positive);
    AMOUNT_FAILS(json_string("0"), INVALID_REQUEST, positive);
    AMOUNT_FAILS(json_string("000"), INVALID_REQUEST, positive);
    AMOUNT_FAILS(J("0.0"), INVALID_REQUEST, positive);
    AMOUNT_FAILS(json_integer(INT64_MIN), INVALID_REQUEST, positive);

    AMOUNT_FAILS(json_null(), INVALID_REQUEST, "[0].amount.value: is required");
    ITEM_FAILS(item_with("amount.value", NULL), INVALID_REQUEST, "[0].amount.value: is required");
}

static void test_payout_item_text_limits(void)
{
    pay_payout p;
    /* transactionDescription: 7 characters, Korean (21 bytes) or 4-byte (28) */
    REQUIRE(item_ok(item_with("transactionDescription", json_string(rep(KO, 7))), &p, __LINE__));
    CHECK_EQ_STR(p.description, rep(KO, 7));
    pay_payout_clear(&p);
    REQUIRE(item_ok(item_with("transactionDescription", json_string(rep(EMOJI, 7))), &p, __LINE__));
    CHECK_EQ_STR(p.description, rep(EMOJI, 7));
    pay_payout_clear(&p);
    ITEM_FAILS(item_with("transactionDescription", json_string(rep(KO, 8))), INVALID_REQUEST,
               "[0].transactionDescription: at most 7 characters (got 8)");
    ITEM_FAILS(item_with("transactionDescription", json_string("8월대금지급완료")), INVALID_REQUEST,
               "at most 7 characters (got 8)");
    ITEM_FAILS(item_with("transactionDescription", json_string("abcdefgh")), INVALID_REQUEST,
               "at most 7 characters (got 8)");
    ITEM_FAILS(item_with("transactionDescription", json_string("")), INVALID_REQUEST,
               "[0].transactionDescription: must not be empty");

    /* refPayoutId: 50 / 51, ASCII only */
    REQUIRE(item_ok(item_with("refPayoutId", json_string(rep("r", 50))), &p, __LINE__));
    CHECK_EQ_STR(p.ref_payout_id, rep("r", 50));
    pay_payout_clear(&p);
    ITEM_FAILS(item_with("refPayoutId", json_string(rep("r", 51))), INVALID_REQUEST,
               "[0].refPayoutId: at most 50 characters (got 51)");
    ITEM_FAILS(item_with("refPayoutId", json_string(rep(KO, 51))), INVALID_REQUEST, "(got 51)");
    ITEM_FAILS(item_with("refPayoutId", json_string("my payout")), INVALID_REQUEST,
               "[0].refPayoutId: printable ASCII without spaces only");

    /* destination: 64 / 65 characters */
    REQUIRE(item_ok(item_with("destination", json_string(rep("d", 64))), &p, __LINE__));
    CHECK_EQ_STR(p.destination, rep("d", 64));
    pay_payout_clear(&p);
    ITEM_FAILS(item_with("destination", json_string(rep("d", 65))), INVALID_REQUEST,
               "[0].destination: at most 64 characters (got 65)");
    ITEM_FAILS(item_with("destination", json_string("seller 1")), INVALID_REQUEST,
               "[0].destination: printable ASCII without spaces only");
    /* 64 multibyte characters (192 bytes) are within the character limit; the
     * decoder must either refuse them or keep them intact, never write past
     * the 65-byte destination field into the rest of the payout (it did: the
     * bytes landed in description, the metadata pointer and error_code). */
    pay_fault f;
    memset(&f, 0, sizeof f);
    json_t *it = item_with("destination", json_string(rep(KO, 64)));
    REQUIRE(it);
    if (pay_decode_payout_item(it, 0, today(), &p, &f)) {
        CHECK_EQ_STR(p.destination, rep(KO, 64));
        CHECK_EQ_STR(p.description, "8월대금지급");
        CHECK_EQ_INT(p.schedule_type, PAY_SCHEDULE_EXPRESS);
        CHECK_EQ_INT(p.amount, 5000);
        CHECK_EQ_STR(p.error_code, "");
        CHECK_EQ_STR(p.error_message, "");
        pay_payout_clear(&p);
    } else {
        check_fault(&f, PAY_E_INVALID_REQUEST, "[0].destination", __LINE__);
    }
    json_decref(it);
}

/* ---- helpers ------------------------------------------------------------- */

static int depth(const char *s)
{
    return pay_json_depth(s, strlen(s));
}

static void test_json_depth(void)
{
    CHECK_EQ_INT(depth(""), 0);
    CHECK_EQ_INT(depth("5000"), 0);
    CHECK_EQ_INT(depth("\"{[{[\""), 0);
    CHECK_EQ_INT(depth("{}"), 1);
    CHECK_EQ_INT(depth("[]"), 1);
    CHECK_EQ_INT(depth("[[[]]]"), 3);
    CHECK_EQ_INT(depth("[[],[],[]]"), 2);
    CHECK_EQ_INT(depth("[{\"a\":[1,{\"b\":2}]},{}]"), 4);
    CHECK_EQ_INT(depth("{\"a\":\"[[[[{{{{\"}"), 1);        /* brackets inside strings */
    CHECK_EQ_INT(depth("{\"a\\\"[[[\":\"}}\\\"{{\"}"), 1); /* escaped quotes */
    CHECK_EQ_INT(depth("[\"\\\\\",[1]]"), 2);              /* an escaped backslash ends */
    CHECK_EQ_INT(depth("{\"k\\u005b\":[\"\\u005d\"]}"), 2);
    /* a body nested beyond the limit is seen as such */
    char deep[64];
    snprintf(deep, sizeof deep, "%s1%s", rep("[", PAY_JSON_DEPTH_MAX + 1),
             rep("]", PAY_JSON_DEPTH_MAX + 1));
    CHECK_EQ_INT(depth(deep), PAY_JSON_DEPTH_MAX + 1);
    snprintf(deep, sizeof deep, "%s", rep("{\"a\":", PAY_JSON_DEPTH_MAX));
    CHECK_EQ_INT(depth(deep), PAY_JSON_DEPTH_MAX); /* unterminated still counts */
    /* only len bytes are read */
    CHECK_EQ_INT(pay_json_depth("[[[[", 2), 2);
    /* the real seller body is 2 deep, a payout batch 3 */
    CHECK_EQ_INT(depth(company_seller), 2);
    char batch[1024];
    snprintf(batch, sizeof batch, "[%s]", payout_item);
    CHECK_EQ_INT(depth(batch), 3);
}

static void mask(const char *in, const char *want, int line)
{
    char out[64];
    memset(out, 'Z', sizeof out);
    pay_mask_account(in, out, sizeof out);
    if (strcmp(out, want) != 0)
        pay_test_fail(__FILE__, line, "mask(%s) = %s, expected %s", in, out, want);
    if (strlen(out) != strlen(in)) pay_test_fail(__FILE__, line, "mask(%s) changed the length", in);
}

#define MASK(in, want) mask(in, want, __LINE__)

static void test_mask_account(void)
{
    MASK("049210482003", "049****82003");
    MASK("12345678990123", "123******90123");
    MASK("12345678901234567890", "123************67890");
    MASK("1234567890", "123**67890"); /* 10: 3 + 5 shown */
    MASK("123456789", "12*****89");   /* 6..9: 2 + 2 shown */
    MASK("123456", "12**56");
    MASK("12345", "****5"); /* short: only the last digit */
    MASK("12", "*2");
    MASK("7", "*");
    MASK("", "");
    /* never more than half of a short number shows */
    char out[8];
    pay_mask_account("1234", out, sizeof out);
    CHECK_EQ_STR(out, "***4");
    /* bounded by cap, always terminated */
    pay_mask_account("049210482003", out, 5);
    CHECK_EQ_STR(out, "049*");
    pay_mask_account("049210482003", out, 1);
    CHECK_EQ_STR(out, "");
    out[0] = 'Q';
    pay_mask_account("049210482003", out, 0);
    CHECK(out[0] == 'Q');
}

/* ---- text rules: which code points a text field refuses ------------------- */

/* UTF-8 of cp, in one of a few rotating buffers. */
static const char *utf8(uint32_t cp)
{
    static char bufs[8][5];
    static unsigned slot;
    char *o = bufs[slot++ % 8];
    if (cp < 0x80) {
        o[0] = (char)cp, o[1] = 0;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f)), o[2] = 0;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f)), o[3] = 0;
    } else {
        o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (char)(0x80 | (cp >> 6 & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f)), o[4] = 0;
    }
    return o;
}

/* "김" cp "토스" in company.name, account.holderName, a metadata key and a
 * payout's transactionDescription ("정" cp "산"): all refused with the
 * control-character sentence, or all accepted. */
static void text_char(uint32_t cp, bool refused, int line)
{
    char name[32], desc[32], key[16];
    snprintf(name, sizeof name, "\xea\xb9\x80%s\xed\x86\xa0\xec\x8a\xa4", utf8(cp));
    snprintf(desc, sizeof desc, "\xec\xa0\x95%s\xec\x82\xb0", utf8(cp));
    snprintf(key, sizeof key, "k%s", utf8(cp));
    json_t *bodies[] = {company_with("company.name", json_string(name)),
                        company_with("account.holderName", json_string(name)),
                        company_with("metadata", meta_one(key, json_string("v")))};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        pay_seller s;
        pay_fault f;
        memset(&f, 0, sizeof f);
        bool ok = bodies[i] && pay_decode_seller_create(bodies[i], &s, &f);
        if (ok) pay_seller_clear(&s);
        if (ok == refused)
            pay_test_fail(__FILE__, line, "U+%04X in seller field %zu: %s (%s)", (unsigned)cp, i,
                          ok ? "accepted" : "refused", f.detail_en);
        else if (!ok && !strstr(f.detail_en, "control"))
            pay_test_fail(__FILE__, line, "U+%04X: unexpected refusal \"%s\"", (unsigned)cp,
                          f.detail_en);
        json_decref(bodies[i]);
    }
    pay_payout p;
    pay_fault f;
    memset(&f, 0, sizeof f);
    json_t *item = item_with("transactionDescription", json_string(desc));
    bool ok = item && pay_decode_payout_item(item, 0, today(), &p, &f);
    if (ok) pay_payout_clear(&p);
    if (ok == refused)
        pay_test_fail(__FILE__, line, "U+%04X in transactionDescription: %s (%s)", (unsigned)cp,
                      ok ? "accepted" : "refused", f.detail_en);
    json_decref(item);
}

#define TEXT_REFUSES(cp) text_char(cp, true, __LINE__)
#define TEXT_ACCEPTS(cp) text_char(cp, false, __LINE__)

static void test_text_format_characters(void)
{
    /* Unicode 15.1 general category Cf, range by range: both ends and, for
     * wide ranges, the middle (docs/DECISIONS.md, "text fields") */
    static const uint32_t cf[][2] = {
        {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
        {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},
        {0x200b, 0x200f},   {0x202a, 0x202e},   {0x2060, 0x2064},   {0x2066, 0x206f},
        {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
        {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
        {0xe0020, 0xe007f},
    };
    for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++) {
        TEXT_REFUSES(cf[i][0]);
        TEXT_REFUSES(cf[i][1]);
        TEXT_REFUSES(cf[i][0] + (cf[i][1] - cf[i][0]) / 2);
    }
    /* Cc: C0, DEL, C1 */
    static const uint32_t cc[] = {0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9f};
    for (size_t i = 0; i < sizeof cc / sizeof cc[0]; i++) TEXT_REFUSES(cc[i]);
    /* the unassigned U+2065 sits among the invisible operators and isolates */
    TEXT_REFUSES(0x2065);
    /* neighbours that are visible text, and marks real text needs: accepted */
    static const uint32_t fine[] = {
        0x00a1,  0x00ac,  0x00ae,  0x061b,  0x061d,  0x06de,  0x180d,  0x180f,  0x2010,
        0x2030,  0x2070,  0xfe0f,  0xfff8,  0xfffc,  0xfffd,  0x1d172, 0x1d17b, 0xe0100,
        0x0301,  0x3131,  0x1100,  0xac00,  0xd7a3,  0x1f600, 0x4e00,  0x00e9,  0x2014,
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) TEXT_ACCEPTS(fine[i]);
}

/* text (a company name, a holder name, a statement text) that must be
 * refused with phrase, or accepted when phrase is NULL */
static void text_is(const char *text, const char *phrase, int line)
{
    json_t *bodies[] = {company_with("company.name", json_string(text)),
                        company_with("account.holderName", json_string(text))};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        if (phrase)
            seller_fails(bodies[i], PAY_E_INVALID_REQUEST, phrase, line);
        else
            seller_accepts(bodies[i], line);
    }
    if (strlen(text) > 7 * 4) return; /* transactionDescription: 7 characters */
    if (phrase) {
        item_fails_at(item_with("transactionDescription", json_string(text)), 0,
                      PAY_E_INVALID_REQUEST, phrase, line);
    } else {
        pay_payout p;
        if (item_ok(item_with("transactionDescription", json_string(text)), &p, line))
            pay_payout_clear(&p);
    }
}

#define TEXT_BLANK(text) text_is(text, "must not be empty or blank", __LINE__)
#define TEXT_OK(text) text_is(text, NULL, __LINE__)

static void test_text_blank(void)
{
    /* Unicode White_Space and the Hangul fillers, one by one and mixed */
    static const uint32_t blank[] = {0x0020, 0x0009, 0x000a, 0x000d, 0x0085, 0x00a0,
                                     0x1680, 0x2000, 0x2002, 0x2003, 0x200a, 0x2028,
                                     0x2029, 0x202f, 0x205f, 0x3000, 0x115f, 0x1160,
                                     0x3164, 0xffa0};
    char text[64];
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        TEXT_BLANK(utf8(blank[i]));
        snprintf(text, sizeof text, "%s%s%s", utf8(blank[i]), utf8(blank[i]), utf8(blank[i]));
        TEXT_BLANK(text);
    }
    TEXT_BLANK(" \xe3\x80\x80\t\xc2\xa0");        /* SP, U+3000, HT, NBSP */
    TEXT_BLANK("\xe3\x85\xa4\xe3\x85\xa4");       /* U+3164 twice */
    TEXT_BLANK("\xe1\x85\x9f\xe1\x85\xa0 ");      /* U+115F U+1160 SP */
    /* a letter among them is text; spaces and fillers inside are kept */
    TEXT_OK("\xe3\x80\x80\xea\xb9\x80");          /* U+3000 김 */
    TEXT_OK("\xea\xb9\x80\xc2\xa0\xed\x86\xa0"); /* 김 NBSP 토 */
    TEXT_OK("\xea\xb9\x80\xe3\x85\xa4");          /* 김 U+3164 */
    TEXT_OK("\xe1\x84\x80\xe1\x85\xa0");          /* U+1100 + jungseong filler */
    /* U+180E and U+200B are format characters, not spaces: refused as such */
    text_is("\xe1\xa0\x8e", "control or invisible formatting", __LINE__);
    text_is("\xe2\x80\x8b\xe2\x80\x8b", "control or invisible formatting", __LINE__);
    /* line and paragraph separators inside text are line breaks, like LF */
    text_is("\xea\xb9\x80\xe2\x80\xa8\xed\x86\xa0", "control or invisible formatting",
            __LINE__);
    text_is("\xea\xb9\x80\xe2\x80\xa9\xed\x86\xa0", "control or invisible formatting",
            __LINE__);
}

PAY_TEST_MAIN(PAY_TEST(test_seller_company_canonical), PAY_TEST(test_seller_individual_canonical),
              PAY_TEST(test_seller_shape), PAY_TEST(test_seller_ref_seller_id),
              PAY_TEST(test_seller_name_limits), PAY_TEST(test_seller_email),
              PAY_TEST(test_seller_phone), PAY_TEST(test_seller_business_number),
              PAY_TEST(test_seller_account), PAY_TEST(test_seller_metadata),
              PAY_TEST(test_payout_item_canonical), PAY_TEST(test_payout_item_shape),
              PAY_TEST(test_payout_item_dates), PAY_TEST(test_payout_item_amounts),
              PAY_TEST(test_payout_item_text_limits), PAY_TEST(test_json_depth),
              PAY_TEST(test_mask_account), PAY_TEST(test_text_format_characters),
              PAY_TEST(test_text_blank))
