/* Handlers of the public v2 API: one per route, one file per resource.
 * Each gets a context that has passed the gate (authenticated, decrypted,
 * JSON parsed) and answers with pay_respond_entity or pay_respond_fault
 * (or, when it changes state, through api/reply.h). */
#ifndef PAY_HANDLERS_H
#define PAY_HANDLERS_H

#include <jansson.h>

#include "http/ctx.h"

void pay_api_sellers_create(pay_ctx *ctx, const json_t *body);
void pay_api_sellers_list(pay_ctx *ctx, const json_t *body);
void pay_api_sellers_get(pay_ctx *ctx, const json_t *body);
void pay_api_sellers_update(pay_ctx *ctx, const json_t *body);
void pay_api_sellers_delete(pay_ctx *ctx, const json_t *body);
void pay_api_payouts_create(pay_ctx *ctx, const json_t *body);
void pay_api_payouts_list(pay_ctx *ctx, const json_t *body);
void pay_api_payouts_get(pay_ctx *ctx, const json_t *body);
void pay_api_payouts_cancel(pay_ctx *ctx, const json_t *body);
void pay_api_balances_get(pay_ctx *ctx, const json_t *body);

#endif
