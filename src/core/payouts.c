#include "core/payouts.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "core/ledger.h"
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

/* SCHEDULED: from the next day up to one year ahead (§1.2, §10 #8). */
static bool check_payout_date(const pay_actor *a, const pay_payout *p, size_t index, pay_fault *f)
{
    if (p->schedule_type != PAY_SCHEDULE_SCHEDULED) return true;
    int32_t today = pay_kst_date(a->now_us);
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
    return true;
}

typedef struct request_job {
    const pay_actor *a;
    pay_payout *items;
    size_t checked;         /* items [0, checked) passed validation */
    const pay_fault *later; /* fault of item `checked`, if any */
    pay_fault fault;
} request_job;

/* Business checks of item i against the batch so far and the store. */
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
    pay_seller seller = {0};
    rc = tx->ops->seller_get(tx, scope, p->destination, &seller);
    if (rc == PAY_STORE_NOTFOUND || (rc == PAY_STORE_OK && seller.deleted)) {
        pay_seller_clear(&seller);
        pay_fault_set2(f, PAY_E_NOT_FOUND,
                       "[%zu].destination: 셀러 %s 를 찾을 수 없습니다 (refPayoutId: %s)",
                       "[%zu].destination: seller %s not found (refPayoutId: %s)", i,
                       p->destination, p->ref_payout_id);
        return PAY_STORE_ABORT;
    }
    if (rc != PAY_STORE_OK) return rc;
    pay_seller_status status = seller.status;
    pay_seller_clear(&seller);
    if (!pay_seller_status_payable(status)) {
        pay_fault_set2(f, PAY_E_FORBIDDEN_SELLER_PAYOUT,
                       "refPayoutId: %s, 셀러 상태: %s", "refPayoutId: %s, seller status: %s",
                       p->ref_payout_id, pay_seller_status_name(status));
        return PAY_STORE_ABORT;
    }
    if (p->amount > *available) {
        pay_fault_set2(f, PAY_E_NOT_ENOUGH_AMOUNT,
                       "refPayoutId: %s, 요청 %lld원 > 남은 지급가능금액 %lld원",
                       "refPayoutId: %s, requested %lld KRW > remaining available %lld KRW",
                       p->ref_payout_id, (long long)p->amount, (long long)*available);
        return PAY_STORE_ABORT;
    }
    *available -= p->amount;
    return PAY_STORE_OK;
}

static pay_store_rc request_fn(pay_tx *tx, void *arg)
{
    request_job *job = arg;
    int64_t available = 0;
    pay_store_rc rc = tx->ops->balance_get(tx, job->a->scope, PAY_ACCT_AVAILABLE, &available);
    if (rc != PAY_STORE_OK) return rc;
    for (size_t i = 0; i < job->checked; i++)
        if ((rc = check_item(tx, job, i, &available)) != PAY_STORE_OK) return rc;
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
    return PAY_STORE_OK;
}

bool pay_payouts_request(pay_core *core, const pay_actor *a, const json_t *body,
                         pay_payout_batch *out, pay_fault *f)
{
    memset(out, 0, sizeof *out);
    if (!json_is_array(body)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s본문은 지급 항목의 JSON 배열이어야 합니다",
                       "%sbody must be a JSON array of payout items", "");
        return false;
    }
    size_t n = json_array_size(body);
    if (n == 0 || n > PAY_PAYOUT_BATCH_MAX) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "한 번에 1~%d건을 요청할 수 있습니다 (%zu건)",
                       "a request holds 1 to %d payouts (got %zu)", PAY_PAYOUT_BATCH_MAX, n);
        return false;
    }
    out->items = calloc(n, sizeof *out->items);
    if (!out->items) {
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return false;
    }
    int32_t today = pay_kst_date(a->now_us);
    request_job job = {a, out->items, 0, NULL, {0}};
    pay_fault invalid;
    /* Syntax and date rules first, outside the write transaction; the
     * business checks of the items before the first invalid one still run
     * in order, so the first failing item decides (§1.2 batch semantics). */
    for (; job.checked < n; job.checked++) {
        pay_payout *p = &out->items[job.checked];
        if (!pay_decode_payout_item(json_array_get(body, job.checked), job.checked, today, p,
                                    &invalid) ||
            !check_payout_date(a, p, job.checked, &invalid)) {
            job.later = &invalid;
            break;
        }
        p->scope = a->scope;
        p->requested_at_us = p->updated_at_us = a->now_us;
        p->status = p->schedule_type == PAY_SCHEDULE_EXPRESS ? PAY_PAYOUT_IN_PROGRESS
                                                             : PAY_PAYOUT_REQUESTED;
        if (!pay_object_id_new("FPA_", a->now_us, p->id, sizeof p->id)) {
            pay_fault_set(&invalid, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
            job.later = &invalid;
            break;
        }
    }
    out->n = n;
    pay_store_rc rc;
    if (job.checked == 0) {
        job.fault = invalid;
        rc = PAY_STORE_ABORT;
    } else {
        rc = pay_store_write(core->store, request_fn, &job);
    }
    if (rc == PAY_STORE_OK) return true;
    if (rc == PAY_STORE_ABORT)
        *f = job.fault;
    else
        pay_fault_from_store(f, rc);
    pay_payout_batch_free(out);
    return false;
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

bool pay_payout_fetch(pay_core *core, const pay_actor *a, const char *id, pay_payout *out,
                      pay_fault *f)
{
    get_job job = {a->scope, id, out};
    pay_store_rc rc = pay_store_read(core->store, get_fn, &job);
    if (rc == PAY_STORE_NOTFOUND) {
        pay_fault_setf(f, PAY_E_PAYOUT_NOT_FOUND, "id %.64s", id);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}
