#include "api/lists.h"

#include <stdint.h>
#include <string.h>

#include "common/text.h"
#include "common/timeutil.h"

const char *const pay_list_params[] = {"limit", "startingAfter", NULL};
const char *const pay_payout_list_params[] = {"limit", "startingAfter", "payoutDateGte",
                                              "payoutDateLte", NULL};

/* Values are byte strings with a length (http/query.h): a decoded %00 is a
 * byte of the value that no syntax below allows, never its end. */
static bool parse_limit(const char *v, size_t n, size_t *out, pay_fault *f)
{
    if (!pay_all_digits(v, n)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "limit: 1~%d 사이의 정수여야 합니다",
                       "limit: must be a whole number from 1 to %d", PAY_LIST_LIMIT_MAX);
        return false;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n && x <= PAY_LIST_LIMIT_MAX; i++) x = x * 10 + (uint64_t)(v[i] - '0');
    if (x == 0) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "limit: 1~%d 사이의 정수여야 합니다",
                       "limit: must be a whole number from 1 to %d", PAY_LIST_LIMIT_MAX);
        return false;
    }
    if (x > PAY_LIST_LIMIT_MAX) {
        pay_fault_set2(f, PAY_E_EXCEED_MAX_QUERY_LIMIT, "limit: 최대 %d입니다",
                       "limit: at most %d", PAY_LIST_LIMIT_MAX);
        return false;
    }
    *out = (size_t)x;
    return true;
}

static bool parse_date(const char *name, pay_query_value v, int32_t *out, pay_fault *f)
{
    if (!pay_date_parse(v.s, v.len, out)) {
        pay_fault_set2(f, PAY_E_INVALID_DATE, "%s: yyyy-MM-dd 형식이어야 합니다",
                       "%s: must be a date yyyy-MM-dd", name);
        return false;
    }
    return true;
}

bool pay_list_query_from(const pay_query_value v[4], bool with_dates, pay_list_query *q,
                         pay_fault *f)
{
    memset(q, 0, sizeof *q);
    q->limit = PAY_LIST_LIMIT_DEFAULT;
    q->date_gte = INT32_MIN;
    q->date_lte = INT32_MAX;
    if (v[0].s && !parse_limit(v[0].s, v[0].len, &q->limit, f)) return false;
    if (v[1].s) {
        const char *a = v[1].s;
        size_t n = v[1].len;
        bool ok = n > 0 && n < sizeof q->starting_after;
        for (size_t i = 0; ok && i < n; i++)
            ok = (a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
                 (a[i] >= '0' && a[i] <= '9') || a[i] == '_' || a[i] == '-';
        if (!ok) {
            pay_fault_setf(f, PAY_E_INVALID_PAGING_KEY, "startingAfter is not an id");
            return false;
        }
        memcpy(q->starting_after, a, n);
        q->starting_after[n] = 0;
    }
    if (with_dates) {
        if (v[2].s && !parse_date("payoutDateGte", v[2], &q->date_gte, f)) return false;
        if (v[3].s && !parse_date("payoutDateLte", v[3], &q->date_lte, f)) return false;
        if (q->date_gte > q->date_lte) {
            pay_fault_set2(f, PAY_E_INVALID_DATE,
                           "payoutDateGte 가 payoutDateLte 보다 늦습니다%s",
                           "payoutDateGte is after payoutDateLte%s", "");
            return false;
        }
    }
    return true;
}

bool pay_api_list_query(pay_ctx *ctx, bool with_dates, pay_list_query *q, pay_fault *f)
{
    /* The gate has checked the names against the route's declaration (one
     * of the two lists above) and left the values in ctx->query. */
    return pay_list_query_from(ctx->query, with_dates, q, f);
}

json_t *pay_api_list_body(json_t *items, bool has_next, const char *last_id)
{
    json_t *body = json_object();
    json_object_set_new(body, "hasNext", json_boolean(has_next));
    json_object_set_new(body, "lastCursor", last_id ? json_string(last_id) : json_null());
    json_object_set_new(body, "items", items);
    return body;
}
