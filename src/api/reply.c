#include "api/reply.h"

#include <stdlib.h>

#include "http/idem.h"

static pay_store_rc claim_nonce(pay_tx *tx, void *arg)
{
    pay_reply *r = arg;
    return pay_ctx_claim_nonce(tx, r->ctx);
}

static pay_store_rc store_answer(pay_tx *tx, void *arg)
{
    pay_reply *r = arg;
    if (r->text_final) return pay_ctx_commit(tx, r->ctx, r->text);
    free(r->text);
    r->text = NULL;
    if (r->ctx->idem_active) {
        r->text = pay_envelope_entity(r->ctx, r->entity_type, r->render(r->result));
        if (!r->text) return PAY_STORE_NOMEM;
    }
    return pay_ctx_commit(tx, r->ctx, r->text);
}

void pay_reply_begin(pay_reply *r, pay_ctx *ctx, const char *entity_type, pay_entity_render render,
                     const void *result)
{
    r->ctx = ctx;
    r->entity_type = entity_type;
    r->render = render;
    r->result = result;
    r->text = NULL;
    r->text_final = false;
    r->hook.first = claim_nonce;
    r->hook.fn = store_answer;
    r->hook.arg = r;
    ctx->actor.on_commit = ctx->idem_active || ctx->nonce_pending ? &r->hook : NULL;
}

bool pay_reply_render_now(pay_reply *r)
{
    if (!r->ctx->idem_active) return true; /* rendered after the commit */
    r->text = pay_envelope_entity(r->ctx, r->entity_type, r->render(r->result));
    r->text_final = r->text != NULL;
    return r->text_final;
}

void pay_reply_ok(pay_reply *r)
{
    pay_ctx *ctx = r->ctx;
    ctx->actor.on_commit = NULL;
    ctx->idem_active = false; /* the outcome was stored with the change */
    char *text = r->text ? r->text : pay_envelope_entity(ctx, r->entity_type, r->render(r->result));
    r->text = NULL;
    pay_respond_text(ctx, 200, text, ctx->have_key);
}

void pay_reply_fault(pay_reply *r, const pay_fault *f)
{
    r->ctx->actor.on_commit = NULL;
    free(r->text);
    r->text = NULL;
    if (r->ctx->nonce_replayed) {
        /* The change ran and was rolled back: its token had been used. */
        pay_respond_nonce_replayed(r->ctx);
        return;
    }
    pay_respond_fault(r->ctx, f);
}
