#include "core/ledger.h"

#include <assert.h>
#include <stdio.h>

pay_store_rc pay_ledger_post(pay_tx *tx, pay_scope scope, const char *kind, const char *ref,
                             int64_t at_us, const pay_entry *entries, size_t n)
{
    int64_t sum = 0;
    assert(n >= 2 && n <= PAY_LEDGER_MAX_ENTRIES);
    for (size_t i = 0; i < n; i++) {
        assert(entries[i].amount != 0);
        sum += entries[i].amount;
    }
    assert(sum == 0);
    if (sum != 0) return PAY_STORE_IO; /* NDEBUG builds: refuse rather than corrupt */
    return tx->ops->ledger_post(tx, scope, kind, ref, at_us, entries, n);
}

pay_store_rc pay_ledger_move(pay_tx *tx, pay_scope scope, const char *kind, const char *ref,
                             int64_t at_us, pay_account from, pay_account to, int64_t amount)
{
    assert(amount > 0 && from != to);
    pay_entry e[2] = {{from, -amount}, {to, amount}};
    return pay_ledger_post(tx, scope, kind, ref, at_us, e, 2);
}

bool pay_ledger_audit_ok(const pay_ledger_audit *a, char *why, size_t cap)
{
    int64_t total = 0;
    for (int acct = 1; acct <= PAY_ACCT_COUNT; acct++) {
        total += a->balance[acct];
        if (a->balance[acct] != a->entry_sum[acct]) {
            snprintf(why, cap, "account %s: balance %lld but entries sum to %lld",
                     pay_account_name((pay_account)acct), (long long)a->balance[acct],
                     (long long)a->entry_sum[acct]);
            return false;
        }
        if (pay_account_is_internal((pay_account)acct) && a->balance[acct] < 0) {
            snprintf(why, cap, "account %s is negative: %lld",
                     pay_account_name((pay_account)acct), (long long)a->balance[acct]);
            return false;
        }
    }
    if (total != 0) {
        snprintf(why, cap, "balances sum to %lld, not 0", (long long)total);
        return false;
    }
    if (a->unbalanced_txns) {
        snprintf(why, cap, "%lld transaction(s) do not sum to 0", (long long)a->unbalanced_txns);
        return false;
    }
    return true;
}
