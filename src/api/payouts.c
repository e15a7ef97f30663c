#include <stdlib.h>

#include "api/handlers.h"
#include "api/lists.h"
#include "api/reply.h"
#include "core/payouts.h"
#include "core/render.h"

static json_t *render_batch(const void *result)
{
    const pay_payout_batch *b = result;
    json_t *items = json_array();
    for (size_t i = 0; i < b->n; i++) json_array_append_new(items, pay_render_payout(&b->items[i]));
    json_t *list = json_object();
    json_object_set_new(list, "items", items);
    return list;
}

static json_t *render_payout(const void *result)
{
    return pay_render_payout(result);
}

/* POST /v2/payouts is the hot path: its write joins the next group commit
 * while the connection waits suspended, holding no server thread. */
typedef struct create_call {
    pay_reply reply;
    pay_payout_request *req;
} create_call;

static void payouts_created(pay_ctx *ctx, pay_store_rc rc)
{
    create_call *cc = ctx->async_state;
    pay_payout_batch batch;
    pay_fault f;
    if (pay_payouts_finish(cc->req, rc, &batch, &f)) {
        cc->reply.result = &batch;
        pay_reply_ok(&cc->reply);
        pay_payout_batch_free(&batch);
    } else {
        pay_reply_fault(&cc->reply, &f);
    }
    pay_payout_request_free(cc->req);
    free(cc);
    ctx->async_state = NULL;
}

void pay_api_payouts_create(pay_ctx *ctx, const json_t *body)
{
    pay_fault f;
    create_call *cc = calloc(1, sizeof *cc);
    if (!cc) {
        pay_respond_error(ctx, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return;
    }
    if (!(cc->req = pay_payouts_prepare(ctx->core, &ctx->actor, body, &f))) {
        free(cc);
        pay_respond_fault(ctx, &f);
        return;
    }
    pay_reply_begin(&cc->reply, ctx, "payout-list", render_batch, pay_payouts_items(cc->req));
    ctx->async_state = cc;
    if (!pay_reply_render_now(&cc->reply)) {
        payouts_created(ctx, PAY_STORE_NOMEM); /* nothing written */
        return;
    }
    if (!pay_ctx_write_async(ctx, pay_payouts_write, cc->req, payouts_created))
        payouts_created(ctx, pay_store_write(ctx->core->store, pay_payouts_write, cc->req));
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

void pay_api_payouts_cancel(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_payout p = {0};
    pay_fault f;
    pay_reply r;
    pay_reply_begin(&r, ctx, "payout", render_payout, &p);
    if (pay_payout_cancel(ctx->core, &ctx->actor, ctx->params[0], &p, &f))
        pay_reply_ok(&r);
    else
        pay_reply_fault(&r, &f);
    pay_payout_clear(&p);
}

void pay_api_payouts_list(pay_ctx *ctx, const json_t *body)
{
    (void)body;
    pay_list_query q;
    pay_payout_page page;
    pay_fault f;
    if (!pay_api_list_query(ctx, true, &q, &f) ||
        !pay_payouts_list(ctx->core, &ctx->actor, &q, &page, &f)) {
        pay_respond_fault(ctx, &f);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < page.n; i++) json_array_append_new(items, pay_render_payout(&page.items[i]));
    json_t *list = pay_api_list_body(items, page.has_next, page.n ? page.items[page.n - 1].id : NULL);
    pay_respond_entity(ctx, "payout-list", list);
    pay_payout_page_free(&page);
}
