#include "core/events.h"

#include <stdlib.h>
#include <string.h>

#include "core/render.h"
#include "payout/jwe.h"

static pay_store_rc emit(pay_tx *tx, pay_scope scope, int64_t at_us, const char *type,
                         const char *entity_type, json_t *entity)
{
    pay_webhook_event e;
    memset(&e, 0, sizeof e);
    if (!pay_object_id_new("evt_", at_us, e.event_id, sizeof e.event_id)) {
        json_decref(entity);
        return PAY_STORE_IO;
    }
    char created[PAY_IAT_BUF];
    pay_format_kst(at_us, created);
    json_t *env = json_object();
    json_object_set_new(env, "eventType", json_string(type));
    json_object_set_new(env, "createdAt", json_string(created));
    json_object_set_new(env, "version", json_string("2022-11-16"));
    json_object_set_new(env, "eventId", json_string(e.event_id));
    json_object_set_new(env, "entityType", json_string(entity_type));
    json_object_set_new(env, "entityBody", entity);
    e.body = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    if (!e.body) return PAY_STORE_NOMEM;
    e.scope = scope;
    snprintf(e.event_type, sizeof e.event_type, "%s", type);
    e.created_at_us = at_us;
    e.status = PAY_EVENT_PENDING;
    e.next_attempt_at_us = at_us; /* first attempt right away */
    pay_store_rc rc = tx->ops->event_insert(tx, &e);
    free(e.body);
    return rc;
}

pay_store_rc pay_event_payout_changed(pay_tx *tx, int64_t at_us, const pay_payout *p)
{
    return emit(tx, p->scope, at_us, "payout.changed", "payout", pay_render_payout(p));
}

pay_store_rc pay_event_seller_changed(pay_tx *tx, int64_t at_us, const pay_seller *s)
{
    return emit(tx, s->scope, at_us, "seller.changed", "seller", pay_render_seller(s));
}
