/*
 * Sellers (spec §4.2-§4.6, §1.2): registration and lookup. A registered
 * seller starts APPROVAL_REQUIRED (INDIVIDUAL, INDIVIDUAL_BUSINESS) or
 * PARTIALLY_APPROVED (CORPORATE); its refSellerId is unique per merchant and
 * environment forever (§10 #11).
 */
#ifndef PAY_SELLERS_H
#define PAY_SELLERS_H

#include "core/core.h"

/* Validates and stores a new seller. On success *out holds it (clear it). */
bool pay_seller_register(pay_core *core, const pay_actor *a, const json_t *body, pay_seller *out,
                         pay_fault *f);

/* Looks a seller up by id within the actor's scope; deleted ones are not found. */
bool pay_seller_fetch(pay_core *core, const pay_actor *a, const char *id, pay_seller *out,
                      pay_fault *f);

/* True when payouts to a seller in this status are allowed (§1.2). */
bool pay_seller_status_payable(pay_seller_status s);

#endif
