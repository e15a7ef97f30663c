#include "core/balances.h"

typedef struct balance_job {
    pay_scope scope;
    pay_balance *out;
} balance_job;

static pay_store_rc balance_fn(pay_tx *tx, void *arg)
{
    balance_job *job = arg;
    pay_store_rc rc = tx->ops->balance_get(tx, job->scope, PAY_ACCT_AVAILABLE, &job->out->available);
    if (rc == PAY_STORE_OK)
        rc = tx->ops->balance_get(tx, job->scope, PAY_ACCT_PENDING, &job->out->pending);
    return rc;
}

bool pay_balance_fetch(pay_core *core, const pay_actor *a, pay_balance *out, pay_fault *f)
{
    balance_job job = {a->scope, out};
    pay_store_rc rc = pay_store_read(core->store, balance_fn, &job);
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}
