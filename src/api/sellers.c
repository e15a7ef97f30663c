#include <stdlib.h>

#include "api/handlers.h"
#include "api/lists.h"
#include "api/reply.h"
#include "core/render.h"
#include "core/sellers.h"

static json_t *render_seller(const void *result)
{
    return pay_render_seller(result);
}

static json_t *render_deleted(const void *result)
{
    const pay_seller *s = result;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "refSellerId", json_string(s->ref_seller_id));
    return o;
}

typedef struct create_call {
    pay_reply reply;
    pay_seller_registration *reg;
} create_call;

static void seller_registered(pay_ctx *ctx, pay_store_rc rc)
{
    create_call *cc = ctx->async_state;
    pay_seller s;
    pay_fault f;
    if (pay_seller_register_finish(cc->reg, rc, &s, &f)) {
        cc->reply.result = &s;
        pay_reply_ok(&cc->reply);
        pay_seller_clear(&s);
    } else {
        pay_reply_fault(&cc->reply, &f);
    }
    pay_seller_registration_free(cc->reg);
    free(cc);
    ctx->async_state = NULL;
}

/* Like POST /v2/payouts, a registration waits for its commit suspended. */
void pay_api_sellers_create(pay_ctx *ctx, const json_t *body)
{
    pay_fault f;
    create_call *cc = calloc(1, sizeof *cc);
    if (!cc) {
        pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return;
    }
    if (!(cc->reg = pay_seller_register_prepare(ctx->core, &ctx->actor, body, &f))) {
        free(cc);
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_reply_begin(&cc->reply, ctx, "seller", render_seller,
                    pay_seller_registration_seller(cc->reg));
    ctx->async_state = cc;
    if (!pay_reply_render_now(&cc->reply)) {
        seller_registered(ctx, PAY_STORE_NOMEM); /* nothing written */
        return;
    }
    if (!pay_ctx_write_async(ctx, pay_seller_register_write, cc->reg, seller_registered))
        seller_registered(ctx, pay_store_write(ctx->core->store, pay_seller_register_write, cc->reg));
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

void pay_api_sellers_update(pay_ctx *ctx, const json_t *body)
{
    pay_seller s = {0};
    pay_fault f;
    pay_reply r;
    pay_reply_begin(&r, ctx, "seller", render_seller, &s);
    if (pay_seller_update(ctx->core, &ctx->actor, ctx->params[0], body, &s, &f))
        pay_reply_ok(&r);
    else
        pay_reply_fault(&r, &f);
    pay_seller_clear(&s);
}

void pay_api_sellers_delete(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_seller s = {0};
    pay_fault f;
    pay_reply r;
    pay_reply_begin(&r, ctx, "deleted-entity", render_deleted, &s);
    if (pay_seller_delete(ctx->core, &ctx->actor, ctx->params[0], &s, &f))
        pay_reply_ok(&r);
    else
        pay_reply_fault(&r, &f);
    pay_seller_clear(&s);
}

void pay_api_sellers_list(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_list_query q;
    pay_seller_page page;
    pay_fault f;
    if (!pay_api_list_query(ctx, false, &q, &f) ||
        !pay_sellers_list(ctx->core, &ctx->actor, &q, &page, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++) json_array_append_new(items, pay_render_seller(&page.items[i]));
    json_t *list = pay_api_list_body(items, page.has_next, page.n ? page.items[page.n - 1].id : NULL);
    pay_respond_entity(ctx, "seller-list", list);
    pay_seller_page_free(&page);
}
