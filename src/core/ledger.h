/*
 * The double-entry ledger. Money is integer won. Every change is one
 * transaction whose entries sum to zero; internal accounts (available,
 * pending, reserved) can never go below zero — the store refuses it too.
 * Flows:
 *   fund / credit     funding  -> available | pending   (operator, sandbox)
 *   settle            pending  -> available             (settlement date)
 *   payout reserve    available -> reserved             (payout accepted)
 *   payout complete   reserved -> paid_out              (bank step done)
 *   payout release    reserved -> available             (failed / cancelled)
 * All functions run inside a store transaction (pay_tx).
 */
#ifndef PAY_LEDGER_H
#define PAY_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define PAY_LEDGER_MAX_ENTRIES 8

/* Posts entries that must sum to zero (asserted: an unbalanced call is a
 * programmer error). CONFLICT when an internal account would go negative. */
pay_store_rc pay_ledger_post(pay_tx *tx, pay_scope scope, const char *kind, const char *ref,
                             int64_t at_us, const pay_entry *entries, size_t n);

/* Moves amount (> 0) from one account to another. */
pay_store_rc pay_ledger_move(pay_tx *tx, pay_scope scope, const char *kind, const char *ref,
                             int64_t at_us, pay_account from, pay_account to, int64_t amount);

/* True when the audit shows a consistent ledger; otherwise why says what. */
bool pay_ledger_audit_ok(const pay_ledger_audit *audit, char *why, size_t cap);

#endif
