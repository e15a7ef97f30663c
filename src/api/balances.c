#include "api/handlers.h"
#include "core/render.h"

void pay_api_balances_get(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_balance b;
    pay_fault f;
    if (!pay_balance_fetch(ctx->core, &ctx->actor, &b, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_respond_entity(ctx, "balance", pay_render_balance(&b));
}
