#include "core/sellers.h"

#include <string.h>

#include "core/validate.h"

bool pay_seller_status_payable(pay_seller_status s)
{
    return s == PAY_SELLER_PARTIALLY_APPROVED || s == PAY_SELLER_APPROVED;
}

static pay_store_rc insert_fn(pay_tx *tx, void *arg)
{
    return tx->ops->seller_insert(tx, arg);
}

bool pay_seller_register(pay_core *core, const pay_actor *a, const json_t *body, pay_seller *out,
                         pay_fault *f)
{
    if (!pay_decode_seller_create(body, out, f)) return false;
    out->scope = a->scope;
    out->status = out->business_type == PAY_BT_CORPORATE ? PAY_SELLER_PARTIALLY_APPROVED
                                                         : PAY_SELLER_APPROVAL_REQUIRED;
    out->created_at_us = out->updated_at_us = a->now_us;
    if (!pay_object_id_new("seller_", a->now_us, out->id, sizeof out->id)) {
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        goto fail;
    }
    pay_store_rc rc = pay_store_write(core->store, insert_fn, out);
    if (rc == PAY_STORE_CONFLICT) {
        pay_fault_set2(f, PAY_E_DUPLICATED_REQUEST,
                       "refSellerId %s: 이미 사용된 값입니다 (삭제된 셀러 포함, 재사용 불가)",
                       "refSellerId %s: already used (also by deleted sellers; never reusable)",
                       out->ref_seller_id);
        goto fail;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        goto fail;
    }
    return true;
fail:
    pay_seller_clear(out);
    return false;
}

typedef struct get_job {
    pay_scope scope;
    const char *id;
    pay_seller *out;
} get_job;

static pay_store_rc get_fn(pay_tx *tx, void *arg)
{
    get_job *job = arg;
    return tx->ops->seller_get(tx, job->scope, job->id, job->out);
}

bool pay_seller_fetch(pay_core *core, const pay_actor *a, const char *id, pay_seller *out,
                      pay_fault *f)
{
    get_job job = {a->scope, id, out};
    pay_store_rc rc = pay_store_read(core->store, get_fn, &job);
    if (rc == PAY_STORE_OK && out->deleted) {
        pay_seller_clear(out);
        rc = PAY_STORE_NOTFOUND;
    }
    if (rc == PAY_STORE_NOTFOUND) {
        pay_fault_set2(f, PAY_E_NOT_FOUND, "셀러 %.64s 를 찾을 수 없습니다",
                       "seller %.64s not found", id);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}
