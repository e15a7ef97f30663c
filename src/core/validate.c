#include "core/validate.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/text.h"
#include "common/timeutil.h"
#include "core/banks.h"

/* ---- small checks --------------------------------------------------------- */

/* One code point of s[0..n) at *i, advancing *i. The decoders' strings come
 * from jansson, which only hands out well-formed UTF-8; a malformed byte
 * still never reads past n (U+FFFD, one byte consumed). */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    size_t len = c < 0x80             ? 1
                 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4
                                      : 0;
    if (len == 0 || *i + len > n) {
        (*i)++;
        return 0xfffd;
    }
    uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) {
            (*i)++;
            return 0xfffd;
        }
        cp = cp << 6 | (s[*i + k] & 0x3f);
    }
    *i += len;
    return cp;
}

typedef struct cp_range {
    uint32_t lo, hi;
} cp_range;

static bool in_ranges(uint32_t cp, const cp_range *r, size_t n)
{
    for (size_t k = 0; k < n && r[k].lo <= cp; k++)
        if (cp <= r[k].hi) return true;
    return false;
}

/* Refused in text fields and metadata keys (docs/DECISIONS.md, "text
 * fields"): every Cc control (C0, DEL, C1), the line and paragraph
 * separators, and the whole Unicode general category Cf (format characters,
 * Unicode 15.1): soft hyphen, zero-width
 * space and joiners, bidi marks, embeddings and isolates, BOM, and the rarer
 * ones that hide or reorder text just as well (Arabic letter mark, Mongolian
 * vowel separator, interlinear annotation, musical beams, tag characters).
 * Names and statement texts reach bank systems and people; none needs them,
 * Korean text included (Hangul uses no joiners). Sorted, for in_ranges. */
static const cp_range refused_cps[] = {
    {0x0000, 0x001f},   /* Cc: C0 */
    {0x007f, 0x009f},   /* Cc: DEL, C1 (NEL U+0085 included) */
    {0x00ad, 0x00ad},   /* soft hyphen */
    {0x0600, 0x0605},   /* Arabic number signs */
    {0x061c, 0x061c},   /* Arabic letter mark */
    {0x06dd, 0x06dd},   /* Arabic end of ayah */
    {0x070f, 0x070f},   /* Syriac abbreviation mark */
    {0x0890, 0x0891},   /* Arabic pound / piastre mark above */
    {0x08e2, 0x08e2},   /* Arabic disputed end of ayah */
    {0x180e, 0x180e},   /* Mongolian vowel separator */
    {0x200b, 0x200f},   /* ZWSP, ZWNJ, ZWJ, LRM, RLM */
    {0x2028, 0x2029},   /* line and paragraph separators: line breaks, like CR LF */
    {0x202a, 0x202e},   /* bidi embeddings and overrides */
    {0x2060, 0x206f},   /* word joiner, invisible operators, isolates, deprecated
                           format characters (unassigned U+2065 with them) */
    {0xfeff, 0xfeff},   /* BOM / zero-width no-break space */
    {0xfff9, 0xfffb},   /* interlinear annotation */
    {0x110bd, 0x110bd}, /* Kaithi number sign */
    {0x110cd, 0x110cd}, /* Kaithi number sign above */
    {0x13430, 0x1343f}, /* Egyptian hieroglyph format controls */
    {0x1bca0, 0x1bca3}, /* shorthand format controls */
    {0x1d173, 0x1d17a}, /* musical symbol beams, ties, slurs, phrases */
    {0xe0001, 0xe0001}, /* language tag */
    {0xe0020, 0xe007f}, /* tag characters */
};

static bool has_control(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n)
        if (in_ranges(next_cp(s, n, &i), refused_cps, sizeof refused_cps / sizeof refused_cps[0]))
            return true;
    return false;
}

/* What a blank text is made of: Unicode's White_Space (the ASCII ones, NEL,
 * no-break space, ogham space mark, U+2000-U+200A, line and paragraph
 * separators, narrow no-break space, medium mathematical space, ideographic
 * space) and the Hangul fillers (choseong and jungseong fillers, the
 * compatibility and halfwidth fillers), which show as nothing and are
 * favourite "invisible names". Sorted, for in_ranges. */
static const cp_range blank_cps[] = {
    {0x0009, 0x000d}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00a0, 0x00a0}, {0x115f, 0x1160},
    {0x1680, 0x1680}, {0x2000, 0x200a}, {0x2028, 0x2029}, {0x202f, 0x202f}, {0x205f, 0x205f},
    {0x3000, 0x3000}, {0x3164, 0x3164}, {0xffa0, 0xffa0},
};

static bool is_blank(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n)
        if (!in_ranges(next_cp(s, n, &i), blank_cps, sizeof blank_cps / sizeof blank_cps[0]))
            return false;
    return true;
}

/* Printable ASCII without spaces: the merchant's own ids (refSellerId,
 * refPayoutId) end up in messages, logs and bank references. */
static bool is_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f) return false;
    return n > 0;
}

static bool email_ok(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1)) return false;
    size_t local = (size_t)(at - s), dlen = n - local - 1;
    if (local > 64 || dlen < 3) return false;
    for (size_t i = 0; i < local; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("()<>,;:\\\"[]", c)) return false;
    }
    const char *d = at + 1;
    bool dot = false;
    for (size_t i = 0; i < dlen; i++) {
        char c = d[i];
        if (c == '.') {
            if (i == 0 || i == dlen - 1 || d[i - 1] == '.' || d[i - 1] == '-') return false;
            dot = true;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     (c == '-' && i > 0 && d[i - 1] != '.'))) {
            return false;
        }
    }
    return dot;
}

/* ---- field access --------------------------------------------------------- */

/* pre is the path prefix ("", "individual.", "[2]."), for messages. */
static bool only_fields(const json_t *obj, const char *const *allowed, const char *pre,
                        pay_fault *f)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) known = true;
        if (!known) {
            pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%.60s: 알 수 없는 필드입니다",
                           "%s%.60s: unknown field", pre, key);
            return false;
        }
    }
    return true;
}

/* A text field. Returns 1 when present, 0 when absent or null (and not
 * required), -1 after setting a fault. Lengths are in characters. */
static int get_text(const json_t *obj, const char *pre, const char *name, bool required,
                    size_t max_chars, const char **out, size_t *len, pay_fault *f)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        if (!required) return 0;
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 필수 값입니다", "%s%s: is required", pre,
                       name);
        return -1;
    }
    if (!json_is_string(v)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 문자열이어야 합니다",
                       "%s%s: must be a string", pre, name);
        return -1;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    size_t chars = pay_utf8_count(s, n);
    if (n == 0 || is_blank(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 빈 문자열일 수 없습니다",
                       "%s%s: must not be empty or blank", pre, name);
        return -1;
    }
    if (chars > max_chars) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 최대 %zu자입니다 (%zu자)",
                       "%s%s: at most %zu characters (got %zu)", pre, name, max_chars, chars);
        return -1;
    }
    if (has_control(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 제어 문자나 보이지 않는 서식 문자는 허용되지 않습니다",
                       "%s%s: control or invisible formatting characters are not allowed", pre,
                       name);
        return -1;
    }
    *out = s;
    *len = n;
    return 1;
}

static bool get_object(const json_t *obj, const char *pre, const char *name, bool required,
                       const json_t **out, pay_fault *f)
{
    const json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required) return true;
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 필수 값입니다", "%s%s: is required", pre,
                       name);
        return false;
    }
    if (!json_is_object(v)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s%s: 객체여야 합니다",
                       "%s%s: must be an object", pre, name);
        return false;
    }
    *out = v;
    return true;
}

/* Copies a checked text field into a canonical object. */
static void put(json_t *dst, const char *name, const char *s, size_t n)
{
    json_object_set_new(dst, name, json_stringn(s, n));
}

static bool phone_field(const json_t *obj, const char *pre, json_t *dst, pay_fault *f)
{
    const char *s;
    size_t n;
    if (get_text(obj, pre, "phone", true, PAY_PHONE_MAX + 20, &s, &n, f) < 0) return false;
    if (!pay_all_digits(s, n) || n < PAY_PHONE_MIN || n > PAY_PHONE_MAX) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "%sphone: 숫자만 %d~%d자리여야 합니다 (하이픈 없이)",
                       "%sphone: must be %d to %d digits, without hyphens", pre, PAY_PHONE_MIN,
                       PAY_PHONE_MAX);
        return false;
    }
    put(dst, "phone", s, n);
    return true;
}

static bool email_field(const json_t *obj, const char *pre, json_t *dst, pay_fault *f)
{
    const char *s;
    size_t n;
    if (get_text(obj, pre, "email", true, PAY_EMAIL_MAX, &s, &n, f) < 0) return false;
    if (!email_ok(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_EMAIL, "%semail: 이메일 형식이 아닙니다",
                       "%semail: not a well-formed address", pre);
        return false;
    }
    put(dst, "email", s, n);
    return true;
}

static bool name_field(const json_t *obj, const char *pre, const char *name, size_t max,
                       json_t *dst, pay_fault *f)
{
    const char *s;
    size_t n;
    if (get_text(obj, pre, name, true, max, &s, &n, f) < 0) return false;
    put(dst, name, s, n);
    return true;
}

/* ---- seller parts ---------------------------------------------------------- */

static json_t *decode_company(const json_t *c, pay_fault *f)
{
    static const char *const fields[] = {"name", "representativeName",
                                         "businessRegistrationNumber", "email", "phone", NULL};
    const char *pre = "company.";
    json_t *out = json_object();
    const char *s;
    size_t n;
    if (!only_fields(c, fields, pre, f) || !name_field(c, pre, "name", PAY_NAME_MAX, out, f) ||
        !name_field(c, pre, "representativeName", PAY_NAME_MAX, out, f))
        goto bad;
    if (get_text(c, pre, "businessRegistrationNumber", true, 40, &s, &n, f) < 0) goto bad;
    if (n != PAY_BRN_LEN || !pay_all_digits(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_BUSINESS_NUMBER,
                       "%sbusinessRegistrationNumber: 숫자 %d자리여야 합니다 (하이픈 없이)",
                       "%sbusinessRegistrationNumber: must be exactly %d digits, without hyphens",
                       pre, PAY_BRN_LEN);
        goto bad;
    }
    put(out, "businessRegistrationNumber", s, n);
    if (!email_field(c, pre, out, f) || !phone_field(c, pre, out, f)) goto bad;
    return out;
bad:
    json_decref(out);
    return NULL;
}

static json_t *decode_individual(const json_t *c, pay_fault *f)
{
    static const char *const fields[] = {"name", "email", "phone", NULL};
    const char *pre = "individual.";
    json_t *out = json_object();
    if (!only_fields(c, fields, pre, f) || !name_field(c, pre, "name", PAY_NAME_MAX, out, f) ||
        !email_field(c, pre, out, f) || !phone_field(c, pre, out, f)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static json_t *decode_account(const json_t *a, pay_fault *f)
{
    static const char *const fields[] = {"bankCode", "accountNumber", "holderName", NULL};
    const char *pre = "account.";
    json_t *out = json_object();
    const char *s;
    size_t n;
    if (!only_fields(a, fields, pre, f)) goto bad;
    if (get_text(a, pre, "bankCode", true, 10, &s, &n, f) < 0) goto bad;
    if (n != 3 || !pay_bank_name(s)) {
        pay_fault_set2(f, PAY_E_INVALID_BANK,
                       "%sbankCode: 등록되지 않은 은행 코드입니다 (\"%.10s\"; 3자리 KFTC 코드)",
                       "%sbankCode: unknown bank code \"%.10s\" (3-digit KFTC code expected)", pre,
                       s);
        goto bad;
    }
    put(out, "bankCode", s, n);
    if (get_text(a, pre, "accountNumber", true, 40, &s, &n, f) < 0) goto bad;
    if (!pay_all_digits(s, n) || n > PAY_ACCOUNT_NUMBER_MAX) {
        if (memchr(s, '*', n))
            pay_fault_set2(f, PAY_E_INVALID_ACCOUNT_NUMBER,
                           "%saccountNumber: 마스킹된 번호입니다. 전체 계좌번호를 보내세요",
                           "%saccountNumber: looks masked; send the full account number", pre);
        else
            pay_fault_set2(f, PAY_E_INVALID_ACCOUNT_NUMBER,
                           "%saccountNumber: 숫자만 최대 %d자리입니다 (하이픈 없이)",
                           "%saccountNumber: at most %d digits, without hyphens", pre,
                           PAY_ACCOUNT_NUMBER_MAX);
        goto bad;
    }
    put(out, "accountNumber", s, n);
    if (!name_field(a, pre, "holderName", PAY_HOLDER_NAME_MAX, out, f)) goto bad;
    return out;
bad:
    json_decref(out);
    return NULL;
}

/* metadata: absent/null -> *out NULL; else ≤ 5 string pairs (spec §4.2). */
static bool decode_metadata(const json_t *parent, const char *pre, json_t **out, pay_fault *f)
{
    const json_t *m;
    *out = NULL;
    if (!get_object(parent, pre, "metadata", false, &m, f)) return false;
    if (!m) return true;
    if (json_object_size(m) > PAY_METADATA_PAIRS_MAX) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%smetadata: 최대 %d쌍입니다 (%zu쌍)",
                       "%smetadata: at most %d pairs (got %zu)", pre, PAY_METADATA_PAIRS_MAX,
                       json_object_size(m));
        return false;
    }
    json_t *copy = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)m, key, v) {
        size_t klen = strlen(key);
        size_t kchars = pay_utf8_count(key, klen);
        if (klen == 0 || kchars > PAY_METADATA_KEY_MAX || strpbrk(key, "[]") ||
            has_control(key, klen)) {
            pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                           "%smetadata: 키는 1~%d자이며 [ ] 와 제어 문자를 쓸 수 없습니다",
                           "%smetadata: keys are 1-%d characters without [ ] or control "
                           "characters",
                           pre, PAY_METADATA_KEY_MAX);
            goto bad;
        }
        if (!json_is_string(v)) {
            pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%smetadata.%.40s: 문자열이어야 합니다",
                           "%smetadata.%.40s: must be a string", pre, key);
            goto bad;
        }
        size_t vlen = json_string_length(v);
        if (pay_utf8_count(json_string_value(v), vlen) > PAY_METADATA_VALUE_MAX) {
            pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%smetadata.%.40s: 최대 %d자입니다",
                           "%smetadata.%.40s: at most %d characters", pre, key,
                           PAY_METADATA_VALUE_MAX);
            goto bad;
        }
        json_object_set(copy, key, v);
    }
    *out = copy;
    return true;
bad:
    json_decref(copy);
    return false;
}

bool pay_decode_seller_create(const json_t *body, pay_seller *out, pay_fault *f)
{
    static const char *const fields[] = {"refSellerId", "businessType", "company", "individual",
                                         "account", "metadata", NULL};
    const char *s;
    size_t n;
    const json_t *company, *individual, *account;
    memset(out, 0, sizeof *out);
    if (!json_is_object(body)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s본문은 JSON 객체여야 합니다",
                       "%sbody must be a JSON object", "");
        return false;
    }
    if (!only_fields(body, fields, "", f)) return false;
    if (get_text(body, "", "refSellerId", true, PAY_REF_SELLER_ID_MAX, &s, &n, f) < 0) return false;
    if (!is_token(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "%srefSellerId: 공백 없는 영문, 숫자, 기호만 허용됩니다",
                       "%srefSellerId: printable ASCII without spaces only", "");
        return false;
    }
    memcpy(out->ref_seller_id, s, n + 1);
    if (get_text(body, "", "businessType", true, 40, &s, &n, f) < 0) return false;
    if (!pay_business_type_parse(s, &out->business_type)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "%sbusinessType: INDIVIDUAL, INDIVIDUAL_BUSINESS, CORPORATE 중 하나여야 "
                       "합니다",
                       "%sbusinessType: must be INDIVIDUAL, INDIVIDUAL_BUSINESS or CORPORATE", "");
        return false;
    }
    bool wants_company = out->business_type != PAY_BT_INDIVIDUAL;
    const char *type = pay_business_type_name(out->business_type);
    if (!get_object(body, "", "company", wants_company, &company, f) ||
        !get_object(body, "", "individual", !wants_company, &individual, f))
        return false;
    if (wants_company && individual) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "individual: businessType %s 셀러에는 보낼 수 없습니다 (company를 사용)",
                       "individual: not allowed for businessType %s (use company)", type);
        return false;
    }
    if (!wants_company && company) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "company: businessType %s 셀러에는 보낼 수 없습니다 (individual을 사용)",
                       "company: not allowed for businessType %s (use individual)", type);
        return false;
    }
    if (company && !(out->company = decode_company(company, f))) goto bad;
    if (individual && !(out->individual = decode_individual(individual, f))) goto bad;
    if (!get_object(body, "", "account", true, &account, f) ||
        !(out->account = decode_account(account, f)) ||
        !decode_metadata(body, "", &out->metadata, f))
        goto bad;
    return true;
bad:
    pay_seller_clear(out);
    return false;
}

/* ---- payouts --------------------------------------------------------------- */

/* amount.value: an integer number (5000 or 5000.0) or a string of digits
 * (spec §10 #20). Returns false after setting a fault. */
static bool decode_amount_value(const json_t *v, const char *pre, int64_t *out, pay_fault *f)
{
    double d;
    if (!v || json_is_null(v)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%samount.value: 필수 값입니다",
                       "%samount.value: is required", pre);
        return false;
    }
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
    } else if (json_is_real(v)) {
        d = json_real_value(v);
        if (d != floor(d) || d < 0 || d >= 1e15) goto not_integer;
        *out = (int64_t)d;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!pay_all_digits(s, n) || n > 15) goto not_integer;
        int64_t acc = 0;
        for (size_t i = 0; i < n; i++) acc = acc * 10 + (s[i] - '0');
        *out = acc;
    } else {
        goto not_integer;
    }
    if (*out <= 0) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%samount.value: 0보다 커야 합니다",
                       "%samount.value: must be greater than 0", pre);
        return false;
    }
    if (*out >= PAY_PAYOUT_AMOUNT_LIMIT) {
        pay_fault_set2(f, PAY_E_EXCEED_MAX_AMOUNT,
                       "%samount.value: 건당 10억원 미만이어야 합니다",
                       "%samount.value: must be less than 1,000,000,000 KRW per payout", pre);
        return false;
    }
    return true;
not_integer:
    pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                   "%samount.value: 원 단위 정수여야 합니다 (예: 5000)",
                   "%samount.value: must be a whole number of won (e.g. 5000)", pre);
    return false;
}

bool pay_decode_payout_item(const json_t *item, size_t index, int32_t today, pay_payout *out,
                            pay_fault *f)
{
    static const char *const fields[] = {"refPayoutId", "destination", "scheduleType",
                                         "payoutDate", "amount", "transactionDescription",
                                         "metadata", NULL};
    static const char *const amount_fields[] = {"currency", "value", NULL};
    char pre[24];
    const char *s;
    size_t n;
    const json_t *amount;
    snprintf(pre, sizeof pre, "[%zu].", index);
    memset(out, 0, sizeof *out);
    if (!json_is_object(item)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "[%zu]: 객체여야 합니다",
                       "[%zu]: must be an object", index);
        return false;
    }
    if (!only_fields(item, fields, pre, f)) return false;
    if (get_text(item, pre, "refPayoutId", true, PAY_REF_PAYOUT_ID_MAX, &s, &n, f) < 0)
        return false;
    if (!is_token(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "%srefPayoutId: 공백 없는 영문, 숫자, 기호만 허용됩니다",
                       "%srefPayoutId: printable ASCII without spaces only", pre);
        return false;
    }
    memcpy(out->ref_payout_id, s, n + 1);
    if (get_text(item, pre, "destination", true, PAY_DESTINATION_MAX, &s, &n, f) < 0) return false;
    /* A seller id is ASCII; the check also keeps the byte length within the
     * field (64 multibyte characters would be up to 256 bytes). */
    if (!is_token(s, n)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "%sdestination: 공백 없는 영문, 숫자, 기호만 허용됩니다 (셀러 id)",
                       "%sdestination: printable ASCII without spaces only (a seller id)", pre);
        return false;
    }
    memcpy(out->destination, s, n + 1);
    if (get_text(item, pre, "scheduleType", true, 20, &s, &n, f) < 0) return false;
    if (!pay_schedule_type_parse(s, &out->schedule_type)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST,
                       "%sscheduleType: EXPRESS 또는 SCHEDULED 여야 합니다",
                       "%sscheduleType: must be EXPRESS or SCHEDULED", pre);
        return false;
    }
    int has_date = get_text(item, pre, "payoutDate", false, 40, &s, &n, f);
    if (has_date < 0) return false;
    if (has_date && !pay_date_parse(s, n, &out->payout_date)) {
        pay_fault_set2(f, PAY_E_INVALID_DATE, "%spayoutDate: yyyy-MM-dd 형식의 날짜여야 합니다",
                       "%spayoutDate: must be a calendar date yyyy-MM-dd", pre);
        return false;
    }
    if (out->schedule_type == PAY_SCHEDULE_SCHEDULED && !has_date) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%spayoutDate: SCHEDULED 지급에는 필수입니다",
                       "%spayoutDate: is required for SCHEDULED payouts", pre);
        return false;
    }
    if (out->schedule_type == PAY_SCHEDULE_EXPRESS) {
        /* EXPRESS pays today; a date, if sent, must say so. */
        if (has_date && out->payout_date != today) {
            char d[PAY_DATE_BUF];
            pay_date_format(today, d);
            pay_fault_set2(f, PAY_E_INVALID_PAYABLE_DATE,
                           "%spayoutDate: EXPRESS 지급일은 오늘(%s)이어야 합니다",
                           "%spayoutDate: an EXPRESS payout is paid today (%s)", pre, d);
            return false;
        }
        out->payout_date = today;
    }
    if (!get_object(item, pre, "amount", true, &amount, f)) return false;
    char apre[32];
    snprintf(apre, sizeof apre, "%samount.", pre);
    if (!only_fields(amount, amount_fields, apre, f)) return false;
    if (get_text(amount, apre, "currency", true, 40, &s, &n, f) < 0) return false;
    if (strcmp(s, "KRW") != 0) {
        pay_fault_set2(f, PAY_E_INVALID_CURRENCY, "%samount.currency: KRW만 지원합니다 (\"%.10s\")",
                       "%samount.currency: only KRW is supported (got \"%.10s\")", pre, s);
        return false;
    }
    if (!decode_amount_value(json_object_get(amount, "value"), pre, &out->amount, f)) return false;
    if (get_text(item, pre, "transactionDescription", true, PAY_DESCRIPTION_MAX, &s, &n, f) < 0)
        return false;
    memcpy(out->description, s, n + 1);
    if (!decode_metadata(item, pre, &out->metadata, f)) return false;
    return true;
}

/* ---- misc ------------------------------------------------------------------ */

int pay_json_depth(const char *text, size_t len)
{
    int depth = 0, max = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max) max = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

void pay_mask_account(const char *number, char *out, size_t cap)
{
    size_t n = strlen(number);
    /* Keep enough to recognise the account, hide the rest: first 3 and
     * last 5 digits for usual lengths (123*****90123), fewer when short. */
    size_t head = n >= 10 ? 3 : n >= 6 ? 2 : 0;
    size_t tail = n >= 10 ? 5 : n >= 6 ? 2 : (n > 1 ? 1 : 0);
    if (cap == 0) return;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        out[o++] = (i < head || i >= n - tail) ? number[i] : '*';
    out[o] = 0;
}
