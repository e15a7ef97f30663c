/*
 * Sellers (spec §4.2-§4.6, §1.2): registration, lookup, partial update,
 * deletion, listing and the approval transitions. A registered seller starts
 * APPROVAL_REQUIRED (INDIVIDUAL, INDIVIDUAL_BUSINESS) or PARTIALLY_APPROVED
 * (CORPORATE); its refSellerId is unique per merchant and environment
 * forever (§10 #11). Transitions to PARTIALLY_APPROVED, KYC_REQUIRED and
 * APPROVED emit seller.changed in the same transaction.
 */
#ifndef PAY_SELLERS_H
#define PAY_SELLERS_H

#include "core/core.h"
#include "core/payouts.h"

/* Validates and stores a new seller. On success *out holds it (clear it). */
bool pay_seller_register(pay_core *core, const pay_actor *a, const json_t *body, pay_seller *out,
                         pay_fault *f);

/* Registration in three steps (see pay_payouts_prepare): prepare validates
 * and verifies; pay_seller_register_write is the store job; finish maps the
 * result and moves the stored seller to *out. */
typedef struct pay_seller_registration pay_seller_registration;
pay_seller_registration *pay_seller_register_prepare(pay_core *core, const pay_actor *a,
                                                     const json_t *body, pay_fault *f);
pay_store_rc pay_seller_register_write(pay_tx *tx, void *reg);
const pay_seller *pay_seller_registration_seller(const pay_seller_registration *reg);
bool pay_seller_register_finish(pay_seller_registration *reg, pay_store_rc rc, pay_seller *out,
                                pay_fault *f);
void pay_seller_registration_free(pay_seller_registration *reg);

/* Looks a seller up by id within the actor's scope; deleted ones are not found. */
bool pay_seller_fetch(pay_core *core, const pay_actor *a, const char *id, pay_seller *out,
                      pay_fault *f);

/* Partial update (§4.5, §10 #16): nested objects merge, null removes an
 * optional value, required values and refSellerId cannot be removed or
 * changed; the merged seller is validated as a whole. */
bool pay_seller_update(pay_core *core, const pay_actor *a, const char *id, const json_t *patch,
                       pay_seller *out, pay_fault *f);

/* The merge and re-validation of an update, without storage (a pure
 * function: next is a fresh seller's data, status and identity unset). */
bool pay_seller_apply_patch(const pay_seller *cur, const json_t *patch, pay_seller *next,
                            pay_fault *f);

/* Deletes a seller that has no unfinished payouts. */
bool pay_seller_delete(pay_core *core, const pay_actor *a, const char *id, pay_seller *out,
                       pay_fault *f);

typedef struct pay_seller_page {
    pay_seller *items;
    size_t n;
    bool has_next;
} pay_seller_page;

/* Non-deleted sellers, oldest first (q->date_* are ignored). */
bool pay_sellers_list(pay_core *core, const pay_actor *a, const pay_list_query *q,
                      pay_seller_page *page, pay_fault *f);
void pay_seller_page_free(pay_seller_page *page);

/* True when payouts to a seller in this status are allowed (§1.2). */
bool pay_seller_status_payable(pay_seller_status s);

/* The approval steps that happen outside the API (identity verification by
 * the seller, KYC review by the payout company); sandbox actions here. */
typedef enum pay_seller_transition {
    PAY_SELLER_VERIFY_IDENTITY = 0, /* APPROVAL_REQUIRED -> PARTIALLY_APPROVED */
    PAY_SELLER_APPROVE_KYC = 1,     /* KYC_REQUIRED | PARTIALLY_APPROVED -> APPROVED */
    PAY_SELLER_REQUIRE_KYC = 2,     /* PARTIALLY_APPROVED | APPROVED -> KYC_REQUIRED (renewal) */
} pay_seller_transition;

bool pay_seller_transition_apply(pay_core *core, pay_scope scope, int64_t now_us, const char *id,
                                 pay_seller_transition t, pay_seller *out, pay_fault *f);

#endif
