/*
 * Payouts (spec §4.7-§4.10, §1.2): a batch of 1-100 items is accepted or
 * refused as a whole, and the first failing item decides the error. An
 * accepted payout reserves its amount (available -> reserved) in the same
 * transaction that stores it, so the balance can never go below zero, also
 * under concurrent requests (writes are serialized by the store).
 * Lifecycle: EXPRESS starts IN_PROGRESS; SCHEDULED starts REQUESTED and
 * the scheduler (core/scheduler.c) moves it IN_PROGRESS at 08:00 KST of its
 * date; the bank step then ends COMPLETED or FAILED. Only SCHEDULED payouts
 * still REQUESTED can be cancelled.
 */
#ifndef PAY_PAYOUTS_H
#define PAY_PAYOUTS_H

#include "core/core.h"

#define PAY_BANK_OPEN_MINUTE (8 * 60)      /* 08:00 KST: EXPRESS opens, SCHEDULED start */
#define PAY_EXPRESS_CLOSE_MINUTE (15 * 60) /* 15:00 KST: EXPRESS closes */
#define PAY_WEEKLY_LIMIT INT64_C(10000000) /* PARTIALLY_APPROVED sellers, spec §1.2 */
#define PAY_WEEKLY_LIMIT_WINDOW_US (INT64_C(7) * 86400 * 1000000) /* a rolling week */
#define PAY_LIST_LIMIT_DEFAULT 10
#define PAY_LIST_LIMIT_MAX 10000 /* spec §10 #9 */

typedef struct pay_payout_batch {
    pay_payout *items;
    size_t n;
} pay_payout_batch;

void pay_payout_batch_free(pay_payout_batch *b);

/* Validates and accepts a batch (a JSON array). On success *out holds the
 * stored payouts in request order. */
bool pay_payouts_request(pay_core *core, const pay_actor *a, const json_t *body,
                         pay_payout_batch *out, pay_fault *f);

/* The same in three steps, so the write can go asynchronous (the HTTP layer
 * suspends the connection instead of blocking a thread on the commit):
 * prepare checks everything that needs no storage (NULL: refused, f set);
 * pay_payouts_write is the store job; finish maps its result. The actor
 * must outlive the request. */
typedef struct pay_payout_request pay_payout_request;
pay_payout_request *pay_payouts_prepare(pay_core *core, const pay_actor *a, const json_t *body,
                                        pay_fault *f);
pay_store_rc pay_payouts_write(pay_tx *tx, void *req);
/* The payouts being made (to render the answer inside the transaction). */
const pay_payout_batch *pay_payouts_items(const pay_payout_request *req);
bool pay_payouts_finish(pay_payout_request *req, pay_store_rc rc, pay_payout_batch *out,
                        pay_fault *f);
void pay_payout_request_free(pay_payout_request *req);

bool pay_payout_fetch(pay_core *core, const pay_actor *a, const char *id, pay_payout *out,
                      pay_fault *f);

/* Cancels a SCHEDULED payout that is still REQUESTED; the money returns to
 * availableAmount. On success *out is the payout, now CANCELED. */
bool pay_payout_cancel(pay_core *core, const pay_actor *a, const char *id, pay_payout *out,
                       pay_fault *f);

/* A list request (shared by sellers and payouts): oldest first, after the
 * item whose id is starting_after. */
typedef struct pay_list_query {
    size_t limit;              /* 1..PAY_LIST_LIMIT_MAX */
    char starting_after[PAY_OBJECT_ID_MAX + 24]; /* "" = from the first */
    int32_t date_gte;          /* payouts only: INT32_MIN = no bound */
    int32_t date_lte;          /* payouts only: INT32_MAX = no bound */
} pay_list_query;

typedef struct pay_payout_page {
    pay_payout *items;
    size_t n;
    bool has_next;
} pay_payout_page;

bool pay_payouts_list(pay_core *core, const pay_actor *a, const pay_list_query *q,
                      pay_payout_page *page, pay_fault *f);
void pay_payout_page_free(pay_payout_page *page);

/* Business time at which a SCHEDULED payout of this date starts. */
int64_t pay_payout_start_us(int32_t payout_date);

#endif
