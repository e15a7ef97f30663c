/* Balances (spec §4.1, §5.1): availableAmount and pendingAmount straight
 * from the ledger's account balances. */
#ifndef PAY_BALANCES_H
#define PAY_BALANCES_H

#include "core/core.h"

typedef struct pay_balance {
    int64_t available;
    int64_t pending;
} pay_balance;

bool pay_balance_fetch(pay_core *core, const pay_actor *a, pay_balance *out, pay_fault *f);

#endif
