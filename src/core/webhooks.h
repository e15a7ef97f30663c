/*
 * Webhook delivery (spec §4.11): a background sender takes due events from
 * the outbox, POSTs each to its scope's URL with libcurl, and records the
 * result. A receiver must answer 200 within 10 s; otherwise the event is
 * retried after 1, 4, 16, 64, 256, 1024 and 4096 minutes of the merchant's
 * clock, then marked FAILED. Signatures cover the exact body bytes sent.
 */
#ifndef PAY_WEBHOOKS_H
#define PAY_WEBHOOKS_H

#include <stdbool.h>

#include "core/core.h"

#define PAY_WEBHOOK_TIMEOUT_MS 10000
#define PAY_WEBHOOK_RETRIES 7

/* Delivers every due event of every scope once (the worker's tick). An
 * attempt whose result the store refuses is held in memory and recorded
 * on a later tick; its event is not sent again meanwhile. */
void pay_webhooks_deliver_due(pay_core *core);

/* Records what it can of the held attempts of core's store and drops the
 * rest (shutdown, after the sender stopped); their events stay due, to be
 * sent once more. */
void pay_webhooks_forget_unsaved(pay_core *core);

/* Sets or (url NULL) removes a scope's webhook URL; only http(s) URLs. */
bool pay_webhooks_set_endpoint(pay_core *core, pay_scope scope, int64_t now_us, const char *url,
                               pay_fault *f);

/* Makes an event due again now (business time), whatever its state. */
bool pay_webhooks_redeliver(pay_core *core, pay_scope scope, int64_t now_us, const char *event_id,
                            pay_fault *f);

#endif
