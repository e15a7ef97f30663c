#include "core/payouts.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "core/calendar.h"
#include "core/events.h"
#include "core/ledger.h"
#include "core/sandbox.h"
#include "core/sellers.h"
#include "core/validate.h"

void pay_payout_batch_free(pay_payout_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) pay_payout_clear(&b->items[i]);
    free(b->items);
    b->items = NULL;
    b->n = 0;
}

int64_t pay_payout_start_us(int32_t payout_date)
{
    return (int64_t)payout_date * PAY_US_PER_DAY - PAY_KST_OFFSET_US +
           (int64_t)PAY_BANK_OPEN_MINUTE * 60 * PAY_US_PER_SEC;
}

static void describe_day(const pay_core *core, int32_t day, char *out, size_t cap)
{
    char date[PAY_DATE_BUF];
    pay_date_format(day, date);
    const char *closure = pay_calendar_closure_name(core->calendar, day);
    if (closure)
        snprintf(out, cap, "%s (%s)", date, closure);
    else
        snprintf(out, cap, "%s", date);
}

/* EXPRESS: business days 08:00-15:00 KST; SCHEDULED: a business day from
 * tomorrow to one year ahead (spec §10 #7, #8). Times by the merchant's clock. */
static bool check_schedule(const pay_core *core, const pay_actor *a, const pay_payout *p,
                           size_t index, pay_fault *f)
{
    int32_t today = pay_kst_date(a->now_us);
    char day[PAY_DATE_BUF + 8 + 128];
    if (p->schedule_type == PAY_SCHEDULE_EXPRESS) {
        int minute = pay_kst_minute_of_day(a->now_us);
        if (pay_calendar_is_business_day(core->calendar, today) && minute >= PAY_BANK_OPEN_MINUTE &&
            minute < PAY_EXPRESS_CLOSE_MINUTE)
            return true;
        describe_day(core, today, day, sizeof day);
        pay_fault_set2(f, PAY_E_NOT_AVAILABLE_BANK,
                       "[%zu] 바로지급은 영업일 08:00~15:00(KST)에만 가능합니다; 지금은 %s %02d:%02d "
                       "(refPayoutId: %s)",
                       "[%zu] EXPRESS payouts run on business days 08:00-15:00 KST; it is now %s "
                       "%02d:%02d (refPayoutId: %s)",
                       index, day, minute / 60, minute % 60, p->ref_payout_id);
        return false;
    }
    int y, m, d;
    pay_civil_from_days(today, &y, &m, &d);
    int32_t last = pay_days_from_civil(y + 1, m, d == 29 && m == 2 ? 28 : d);
    if (p->payout_date <= today || p->payout_date > last) {
        char first_s[PAY_DATE_BUF], last_s[PAY_DATE_BUF];
        pay_date_format(today + 1, first_s);
        pay_date_format(last, last_s);
        pay_fault_set2(f, PAY_E_INVALID_PAYABLE_DATE,
                       "[%zu].payoutDate: 예약지급일은 %s부터 %s까지입니다 (refPayoutId: %s)",
                       "[%zu].payoutDate: a SCHEDULED payout date must be from %s to %s "
                       "(refPayoutId: %s)",
                       index, first_s, last_s, p->ref_payout_id);
        return false;
    }
    pay_civil_from_days(p->payout_date, &y, &m, &d);
    if (y > pay_calendar_last_year(core->calendar)) {
        pay_fault_set2(f, PAY_E_INVALID_PAYABLE_DATE,
                       "[%zu].payoutDate: 휴일 달력이 %d년까지만 있습니다 (refPayoutId: %s)",
                       "[%zu].payoutDate: the holiday calendar only covers up to %d; the operator "
                       "must update it (refPayoutId: %s)",
                       index, pay_calendar_last_year(core->calendar), p->ref_payout_id);
        return false;
    }
    if (!pay_calendar_is_business_day(core->calendar, p->payout_date)) {
        describe_day(core, p->payout_date, day, sizeof day);
        char next[PAY_DATE_BUF];
        pay_date_format(pay_calendar_next_business_day(core->calendar, p->payout_date), next);
        pay_fault_set2(f, PAY_E_NOT_ALLOWED_HOLIDAY,
                       "[%zu].payoutDate: %s 는 영업일이 아닙니다; 다음 영업일은 %s (refPayoutId: %s)",
                       "[%zu].payoutDate: %s is not a business day; the next one is %s "
                       "(refPayoutId: %s)",
                       index, day, next, p->ref_payout_id);
        return false;
    }
    return true;
}

typedef struct request_job {
    const pay_actor *a;
    pay_payout *items;
    size_t checked;         /* items [0, checked) passed validation */
    const pay_fault *later; /* fault of item `checked`, if any */
    pay_fault fault;
    pay_seller kyc_seller;  /* a seller the batch pushed over the weekly limit */
    bool refused;           /* committed a side effect but refused the batch */
} request_job;

/* Won already headed to p's destination from earlier items of the batch. */
static int64_t batch_total_before(const request_job *job, size_t i)
{
    int64_t sum = 0;
    for (size_t k = 0; k < i; k++)
        if (strcmp(job->items[k].destination, job->items[i].destination) == 0)
            sum += job->items[k].amount;
    return sum;
}

/* Business checks of item i against the batch so far and the store.
 * Returns ABORT with job->fault set when the item is refused. */
static pay_store_rc check_item(pay_tx *tx, request_job *job, size_t i, int64_t *available)
{
    const pay_payout *p = &job->items[i];
    pay_scope scope = job->a->scope;
    pay_fault *f = &job->fault;
    for (size_t k = 0; k < i; k++)
        if (strcmp(job->items[k].ref_payout_id, p->ref_payout_id) == 0) {
            pay_fault_set2(f, PAY_E_DUPLICATED_REQUEST,
                           "[%zu].refPayoutId: 같은 요청의 [%zu]와 중복됩니다 (refPayoutId: %s)",
                           "[%zu].refPayoutId: duplicates item [%zu] of this request "
                           "(refPayoutId: %s)",
                           i, k, p->ref_payout_id);
            return PAY_STORE_ABORT;
        }
    int exists = 0;
    pay_store_rc rc = tx->ops->payout_ref_exists(tx, scope, p->ref_payout_id, &exists);
    if (rc != PAY_STORE_OK) return rc;
    if (exists) {
        pay_fault_set2(f, PAY_E_DUPLICATED_REQUEST,
                       "[%zu].refPayoutId: 이미 사용된 값입니다 (refPayoutId: %s)",
                       "[%zu].refPayoutId: already used by an earlier payout (refPayoutId: %s)",
                       i, p->ref_payout_id);
        return PAY_STORE_ABORT;
    }
    pay_seller_status status = PAY_SELLER_APPROVAL_REQUIRED;
    bool deleted = false;
    rc = tx->ops->seller_state(tx, scope, p->destination, &status, &deleted);
    if (rc == PAY_STORE_NOTFOUND || (rc == PAY_STORE_OK && deleted)) {
        pay_fault_set2(f, PAY_E_NOT_FOUND,
                       "[%zu].destination: 셀러 %s 를 찾을 수 없습니다 (refPayoutId: %s)",
                       "[%zu].destination: seller %s not found (refPayoutId: %s)", i,
                       p->destination, p->ref_payout_id);
        return PAY_STORE_ABORT;
    }
    if (rc != PAY_STORE_OK) return rc;
    if (!pay_seller_status_payable(status)) {
        pay_fault_set2(f, PAY_E_FORBIDDEN_SELLER_PAYOUT,
                       "refPayoutId: %s, 셀러 상태: %s", "refPayoutId: %s, seller status: %s",
                       p->ref_payout_id, pay_seller_status_name(status));
        return PAY_STORE_ABORT;
    }
    if (status == PAY_SELLER_PARTIALLY_APPROVED) {
        int64_t week = 0;
        rc = tx->ops->seller_recent_total(tx, scope, p->destination,
                                          job->a->now_us - PAY_WEEKLY_LIMIT_WINDOW_US, &week);
        if (rc != PAY_STORE_OK) return rc;
        int64_t total = week + batch_total_before(job, i) + p->amount;
        if (total > PAY_WEEKLY_LIMIT) {
            pay_fault_set2(f, PAY_E_FORBIDDEN_SELLER_PAYOUT,
                           "refPayoutId: %s, PARTIALLY_APPROVED 셀러의 주간 한도 %lld원 초과 "
                           "(7일간 %lld원); 셀러는 이제 KYC_REQUIRED",
                           "refPayoutId: %s, over the weekly limit of %lld KRW for a "
                           "PARTIALLY_APPROVED seller (%lld KRW in 7 days); the seller is now "
                           "KYC_REQUIRED",
                           p->ref_payout_id, (long long)PAY_WEEKLY_LIMIT, (long long)total);
            /* moves to KYC_REQUIRED, spec §10 #14: the whole row is needed */
            rc = tx->ops->seller_get(tx, scope, p->destination, &job->kyc_seller);
            return rc == PAY_STORE_OK ? PAY_STORE_ABORT : rc;
        }
    }
    if (p->amount > *available) {
        pay_fault_set2(f, PAY_E_NOT_ENOUGH_AMOUNT,
                       "[%zu] refPayoutId: %s, 요청 %lld원 > 남은 지급가능금액 %lld원",
                       "[%zu] refPayoutId: %s, requested %lld KRW > remaining available %lld KRW",
                       i, p->ref_payout_id, (long long)p->amount, (long long)*available);
        return PAY_STORE_ABORT;
    }
    *available -= p->amount;
    return PAY_STORE_OK;
}

/* The batch crossed a seller's weekly limit: the batch is refused, but the
 * seller's move to KYC_REQUIRED and its webhook commit. */
static pay_store_rc require_kyc(pay_tx *tx, request_job *job)
{
    pay_seller *s = &job->kyc_seller;
    s->status = PAY_SELLER_KYC_REQUIRED;
    s->updated_at_us = job->a->now_us;
    pay_store_rc rc = tx->ops->seller_update(tx, s);
    if (rc == PAY_STORE_OK) rc = pay_event_seller_changed(tx, job->a->now_us, s);
    if (rc == PAY_STORE_OK) job->refused = true;
    return rc;
}

static pay_store_rc request_fn(pay_tx *tx, void *arg)
{
    request_job *job = arg;
    int64_t available = 0;
    pay_store_rc rc = pay_actor_begin(tx, job->a);
    if (rc != PAY_STORE_OK) return rc;
    rc = tx->ops->balance_get(tx, job->a->scope, PAY_ACCT_AVAILABLE, &available);
    if (rc != PAY_STORE_OK) return rc;
    for (size_t i = 0; i < job->checked; i++) {
        rc = check_item(tx, job, i, &available);
        if (rc == PAY_STORE_ABORT && job->kyc_seller.id[0]) return require_kyc(tx, job);
        if (rc != PAY_STORE_OK) return rc;
    }
    if (job->later) {
        job->fault = *job->later;
        return PAY_STORE_ABORT;
    }
    for (size_t i = 0; i < job->checked; i++) {
        pay_payout *p = &job->items[i];
        if ((rc = tx->ops->payout_insert(tx, p)) != PAY_STORE_OK) return rc;
        rc = pay_ledger_move(tx, job->a->scope, "payout_reserve", p->id, job->a->now_us,
                             PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED, p->amount);
        if (rc != PAY_STORE_OK) return rc;
    }
    return pay_actor_commit(tx, job->a);
}

/* A request between its checks and its write (prepare -> write -> finish). */
struct pay_payout_request {
    request_job job;
    pay_payout_batch batch;
    pay_fault invalid; /* the first invalid item's fault, when job.later */
};

pay_payout_request *pay_payouts_prepare(pay_core *core, const pay_actor *a, const json_t *body,
                                        pay_fault *f)
{
    if (!json_is_array(body)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s본문은 지급 항목의 JSON 배열이어야 합니다",
                       "%sbody must be a JSON array of payout items", "");
        return NULL;
    }
    size_t n = json_array_size(body);
    if (n == 0 || n > PAY_PAYOUT_BATCH_MAX) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "한 번에 1~%d건을 요청할 수 있습니다 (%zu건)",
                       "a request holds 1 to %d payouts (got %zu)", PAY_PAYOUT_BATCH_MAX, n);
        return NULL;
    }
    pay_payout_request *req = calloc(1, sizeof *req);
    if (req) req->batch.items = calloc(n, sizeof *req->batch.items);
    if (!req || !req->batch.items) {
        free(req);
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return NULL;
    }
    req->batch.n = n;
    int32_t today = pay_kst_date(a->now_us);
    request_job *job = &req->job;
    job->a = a;
    job->items = req->batch.items;
    /* Syntax and date rules first, outside the write transaction; the
     * business checks of the items before the first invalid one still run
     * in order, so the first failing item decides (§1.2 batch semantics). */
    for (; job->checked < n; job->checked++) {
        pay_payout *p = &req->batch.items[job->checked];
        if (!pay_decode_payout_item(json_array_get(body, job->checked), job->checked, today, p,
                                    &req->invalid) ||
            !check_schedule(core, a, p, job->checked, &req->invalid)) {
            job->later = &req->invalid;
            break;
        }
        p->scope = a->scope;
        p->requested_at_us = p->updated_at_us = a->now_us;
        if (p->schedule_type == PAY_SCHEDULE_EXPRESS) {
            p->status = PAY_PAYOUT_IN_PROGRESS;
            p->due_at_us = a->now_us + pay_sandbox_bank_step_us(p);
        } else {
            p->status = PAY_PAYOUT_REQUESTED;
            p->due_at_us = pay_payout_start_us(p->payout_date);
        }
        if (!pay_object_id_new("FPA_", a->now_us, p->id, sizeof p->id)) {
            pay_fault_set(&req->invalid, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
            job->later = &req->invalid;
            break;
        }
    }
    if (job->checked == 0) { /* the first item is already wrong: nothing to write */
        *f = req->invalid;
        pay_payout_request_free(req);
        return NULL;
    }
    return req;
}

pay_store_rc pay_payouts_write(pay_tx *tx, void *req)
{
    return request_fn(tx, &((pay_payout_request *)req)->job);
}

const pay_payout_batch *pay_payouts_items(const pay_payout_request *req)
{
    return &req->batch;
}

bool pay_payouts_finish(pay_payout_request *req, pay_store_rc rc, pay_payout_batch *out,
                        pay_fault *f)
{
    memset(out, 0, sizeof *out);
    if (rc == PAY_STORE_OK && !req->job.refused) {
        *out = req->batch; /* the items move to the caller */
        memset(&req->batch, 0, sizeof req->batch);
        return true;
    }
    if (rc == PAY_STORE_ABORT || req->job.refused)
        *f = req->job.fault;
    else
        pay_fault_from_store(f, rc);
    return false;
}

void pay_payout_request_free(pay_payout_request *req)
{
    if (!req) return;
    pay_seller_clear(&req->job.kyc_seller);
    pay_payout_batch_free(&req->batch);
    free(req);
}

bool pay_payouts_request(pay_core *core, const pay_actor *a, const json_t *body,
                         pay_payout_batch *out, pay_fault *f)
{
    memset(out, 0, sizeof *out);
    pay_payout_request *req = pay_payouts_prepare(core, a, body, f);
    if (!req) return false;
    bool ok = pay_payouts_finish(req, pay_store_write(core->store, pay_payouts_write, req), out, f);
    pay_payout_request_free(req);
    return ok;
}

typedef struct get_job {
    pay_scope scope;
    const char *id;
    pay_payout *out;
} get_job;

static pay_store_rc get_fn(pay_tx *tx, void *arg)
{
    get_job *job = arg;
    return tx->ops->payout_get(tx, job->scope, job->id, job->out);
}

static void payout_not_found(pay_fault *f, const char *id)
{
    pay_fault_setf(f, PAY_E_PAYOUT_NOT_FOUND, "id %.64s", id);
}

bool pay_payout_fetch(pay_core *core, const pay_actor *a, const char *id, pay_payout *out,
                      pay_fault *f)
{
    get_job job = {a->scope, id, out};
    pay_store_rc rc = pay_store_read(core->store, get_fn, &job);
    if (rc == PAY_STORE_NOTFOUND) {
        payout_not_found(f, id);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}

typedef struct cancel_job {
    const pay_actor *a;
    const char *id;
    pay_payout *out;
    pay_fault fault;
} cancel_job;

static pay_store_rc cancel_fn(pay_tx *tx, void *arg)
{
    cancel_job *job = arg;
    pay_payout *p = job->out;
    pay_store_rc rc = pay_actor_begin(tx, job->a);
    if (rc != PAY_STORE_OK) return rc;
    rc = tx->ops->payout_get(tx, job->a->scope, job->id, p);
    if (rc == PAY_STORE_NOTFOUND) {
        payout_not_found(&job->fault, job->id);
        return PAY_STORE_ABORT;
    }
    if (rc != PAY_STORE_OK) return rc;
    /* Due means started, even if the scheduler has not stamped it yet. */
    bool started = p->status == PAY_PAYOUT_REQUESTED && p->due_at_us <= job->a->now_us;
    if (p->schedule_type != PAY_SCHEDULE_SCHEDULED || p->status != PAY_PAYOUT_REQUESTED ||
        started) {
        pay_fault_set2(&job->fault, PAY_E_NOT_CANCELABLE_PAYOUT, "%s: %s %s", "%s: %s %s",
                       p->id, pay_schedule_type_name(p->schedule_type),
                       started ? "IN_PROGRESS" : pay_payout_status_name(p->status));
        pay_payout_clear(p);
        return PAY_STORE_ABORT;
    }
    p->status = PAY_PAYOUT_CANCELED;
    p->updated_at_us = job->a->now_us;
    p->due_at_us = 0;
    /* No webhook: spec §4.10, only COMPLETED and FAILED are announced. */
    if ((rc = tx->ops->payout_update(tx, p)) != PAY_STORE_OK ||
        (rc = pay_ledger_move(tx, job->a->scope, "payout_cancel", p->id, job->a->now_us,
                              PAY_ACCT_RESERVED, PAY_ACCT_AVAILABLE, p->amount)) != PAY_STORE_OK ||
        (rc = pay_actor_commit(tx, job->a)) != PAY_STORE_OK) {
        pay_payout_clear(p);
        return rc;
    }
    return PAY_STORE_OK;
}

bool pay_payout_cancel(pay_core *core, const pay_actor *a, const char *id, pay_payout *out,
                       pay_fault *f)
{
    cancel_job job = {a, id, out, {0}};
    memset(out, 0, sizeof *out);
    pay_store_rc rc = pay_store_write(core->store, cancel_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    if (rc == PAY_STORE_ABORT)
        *f = job.fault;
    else
        pay_fault_from_store(f, rc);
    return false;
}

typedef struct list_job {
    pay_scope scope;
    const pay_list_query *q;
    pay_payout_page *page;
    bool bad_cursor;
} list_job;

static pay_store_rc list_fn(pay_tx *tx, void *arg)
{
    list_job *job = arg;
    int64_t after = 0, last_seq = 0;
    if (job->q->starting_after[0]) {
        pay_store_rc rc = tx->ops->payout_seq(tx, job->scope, job->q->starting_after, &after);
        if (rc == PAY_STORE_NOTFOUND) {
            job->bad_cursor = true;
            return PAY_STORE_ABORT;
        }
        if (rc != PAY_STORE_OK) return rc;
    }
    /* One row more than asked tells whether there is a next page. */
    size_t n = 0;
    pay_store_rc rc = tx->ops->payout_list(tx, job->scope, after, job->q->date_gte,
                                           job->q->date_lte, job->q->limit + 1, job->page->items,
                                           &n, &last_seq);
    if (rc != PAY_STORE_OK) return rc;
    job->page->has_next = n > job->q->limit;
    if (job->page->has_next) pay_payout_clear(&job->page->items[--n]);
    job->page->n = n;
    return PAY_STORE_OK;
}

bool pay_payouts_list(pay_core *core, const pay_actor *a, const pay_list_query *q,
                      pay_payout_page *page, pay_fault *f)
{
    memset(page, 0, sizeof *page);
    page->items = calloc(q->limit + 1, sizeof *page->items);
    if (!page->items) {
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return false;
    }
    list_job job = {a->scope, q, page, false};
    pay_store_rc rc = pay_store_read(core->store, list_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    if (job.bad_cursor)
        pay_fault_setf(f, PAY_E_INVALID_PAGING_KEY, "startingAfter %.64s is not a payout id",
                       q->starting_after);
    else
        pay_fault_from_store(f, rc);
    pay_payout_page_free(page);
    return false;
}

void pay_payout_page_free(pay_payout_page *page)
{
    if (!page) return;
    for (size_t i = 0; i < page->n; i++) pay_payout_clear(&page->items[i]);
    free(page->items);
    memset(page, 0, sizeof *page);
}
