#include "api/handlers.h"
#include "api/render.h"
#include "core/sellers.h"

void pay_api_sellers_create(pay_ctx *ctx, const json_t *body)
{
    pay_seller s;
    pay_fault f;
    if (!pay_seller_register(ctx->core, &ctx->actor, body, &s, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_respond_entity(ctx, "seller", pay_render_seller(&s));
    pay_seller_clear(&s);
}

void pay_api_sellers_get(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_seller s;
    pay_fault f;
    if (!pay_seller_fetch(ctx->core, &ctx->actor, ctx->params[0], &s, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_respond_entity(ctx, "seller", pay_render_seller(&s));
    pay_seller_clear(&s);
}
