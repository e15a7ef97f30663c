/*
 * Idempotency-Key on the HTTP path (spec §7): after the gate, a key is
 * checked (<= 300 characters), the request is registered as running (409
 * for a second one meanwhile), and a stored outcome is replayed instead of
 * running again. Successful outcomes are stored by the handler inside the
 * transaction of the change (api/reply.c); refusals by pay_idem_record_fault.
 */
#ifndef PAY_HTTP_IDEM_H
#define PAY_HTTP_IDEM_H

#include <stdbool.h>

#include "http/ctx.h"

/* Returns false after answering (bad key, replay, still running). */
bool pay_idem_begin(pay_ctx *ctx);

/* Leaves the running set; called when the request context ends. */
void pay_idem_finish(pay_ctx *ctx);

/* Stores a refusal as the key's outcome, unless it is one a retry may
 * change (5xx, 409, 429). */
void pay_idem_record_fault(pay_ctx *ctx, unsigned status, pay_api_err code, const char *text);

/* Stores a success as the key's outcome inside the caller's transaction. */
pay_store_rc pay_idem_put(pay_tx *tx, pay_ctx *ctx, unsigned status, const char *text);

#endif
