/*
 * Webhook events (spec §4.11): payout.changed when a payout becomes
 * COMPLETED or FAILED, seller.changed when a seller becomes
 * PARTIALLY_APPROVED, KYC_REQUIRED or APPROVED. An event is written to the
 * outbox inside the same transaction as the state change it reports, so it
 * is never lost and never sent for a change that did not commit; the sender
 * (core/webhooks.c) delivers it later.
 */
#ifndef PAY_EVENTS_H
#define PAY_EVENTS_H

#include "store/store.h"

pay_store_rc pay_event_payout_changed(pay_tx *tx, int64_t at_us, const pay_payout *p);
pay_store_rc pay_event_seller_changed(pay_tx *tx, int64_t at_us, const pay_seller *s);

#endif
