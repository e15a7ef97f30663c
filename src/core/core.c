#include "core/core.h"

void pay_actor_init(pay_actor *actor, const pay_core *core, const pay_merchant *merchant,
                    pay_env env, const char *trace_id)
{
    actor->merchant = *merchant;
    actor->env = env;
    actor->scope.merchant_id = merchant->id;
    actor->scope.env = env;
    actor->now_us = pay_clock_now(core->clock, merchant, env);
    actor->trace_id = trace_id;
    actor->api_key_id = 0;
    actor->on_commit = NULL;
}

void pay_fault_from_store(pay_fault *f, pay_store_rc rc)
{
    switch (rc) {
    case PAY_STORE_FULL:
        pay_fault_setf(f, PAY_E_STORAGE_UNAVAILABLE, "disk full");
        break;
    case PAY_STORE_BUSY:
        pay_fault_setf(f, PAY_E_STORAGE_UNAVAILABLE, "database busy");
        break;
    case PAY_STORE_IO:
        pay_fault_setf(f, PAY_E_STORAGE_UNAVAILABLE, "storage error");
        break;
    case PAY_STORE_NOMEM:
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        break;
    default:
        pay_fault_set(f, PAY_E_FAILED_DB_PROCESSING);
        break;
    }
}
