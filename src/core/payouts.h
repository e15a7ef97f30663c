/*
 * Payouts (spec §4.7, §4.9, §1.2): a batch of 1-100 items is accepted or
 * refused as a whole, and the first failing item decides the error. An
 * accepted payout reserves its amount (available -> reserved) in the same
 * transaction that stores it, so the balance can never go below zero, also
 * under concurrent requests (writes are serialized by the store).
 */
#ifndef PAY_PAYOUTS_H
#define PAY_PAYOUTS_H

#include "core/core.h"

typedef struct pay_payout_batch {
    pay_payout *items;
    size_t n;
} pay_payout_batch;

void pay_payout_batch_free(pay_payout_batch *b);

/* Validates and accepts a batch (a JSON array). On success *out holds the
 * stored payouts in request order. */
bool pay_payouts_request(pay_core *core, const pay_actor *a, const json_t *body,
                         pay_payout_batch *out, pay_fault *f);

bool pay_payout_fetch(pay_core *core, const pay_actor *a, const char *id, pay_payout *out,
                      pay_fault *f);

#endif
