#include "api/handlers.h"
#include "api/render.h"
#include "core/payouts.h"

void pay_api_payouts_create(pay_ctx *ctx, const json_t *body)
{
    pay_payout_batch batch;
    pay_fault f;
    if (!pay_payouts_request(ctx->core, &ctx->actor, body, &batch, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < batch.n; i++) json_array_append_new(items, pay_render_payout(&batch.items[i]));
    json_t *list = json_object();
    json_object_set_new(list, "items", items);
    pay_respond_entity(ctx, "payout-list", list);
    pay_payout_batch_free(&batch);
}

void pay_api_payouts_get(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_payout p;
    pay_fault f;
    if (!pay_payout_fetch(ctx->core, &ctx->actor, ctx->params[0], &p, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_respond_entity(ctx, "payout", pay_render_payout(&p));
    pay_payout_clear(&p);
}
