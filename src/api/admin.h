/* The admin API's handlers and routes (api/admin.c). */
#ifndef PAY_ADMIN_H
#define PAY_ADMIN_H

#include <jansson.h>

#include "http/router.h"

void pay_admin_merchant_create(pay_ctx *ctx, const json_t *body);
void pay_admin_merchant_get(pay_ctx *ctx, const json_t *body);
void pay_admin_contract(pay_ctx *ctx, const json_t *body);
void pay_admin_credit(pay_ctx *ctx, const json_t *body);
void pay_admin_verify_identity(pay_ctx *ctx, const json_t *body);
void pay_admin_approve_kyc(pay_ctx *ctx, const json_t *body);
void pay_admin_require_kyc(pay_ctx *ctx, const json_t *body);
void pay_admin_clock_get(pay_ctx *ctx, const json_t *body);
void pay_admin_clock_set(pay_ctx *ctx, const json_t *body);
void pay_admin_scheduler_run(pay_ctx *ctx, const json_t *body);
void pay_admin_webhook_set(pay_ctx *ctx, const json_t *body);
void pay_admin_webhook_list(pay_ctx *ctx, const json_t *body);
void pay_admin_webhook_redeliver(pay_ctx *ctx, const json_t *body);
void pay_admin_key_rotate(pay_ctx *ctx, const json_t *body);
void pay_admin_trace_get(pay_ctx *ctx, const json_t *body);
void pay_admin_trace_list(pay_ctx *ctx, const json_t *body);

#endif
