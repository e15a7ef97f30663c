/*
 * The typed endpoints: C structs to request JSON, and answer JSON to C
 * structs whose strings borrow from the parsed answer (kept in priv_).
 * Unknown answer fields are ignored (spec §6.1: new fields may appear).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"

/* ---- request bodies ------------------------------------------------------- */

static void set_str(json_t *o, const char *name, const char *v)
{
    if (v) json_object_set_new(o, name, json_string(v));
}

static json_t *metadata_json(const pay_kv *kv, size_t n)
{
    json_t *m = json_object();
    for (size_t i = 0; i < n; i++)
        if (kv[i].key && kv[i].value) json_object_set_new(m, kv[i].key, json_string(kv[i].value));
    return m;
}

static json_t *seller_json(const pay_seller_fields *s)
{
    json_t *o = json_object();
    set_str(o, "refSellerId", s->ref_seller_id);
    set_str(o, "businessType", s->business_type);
    if (s->company) {
        json_t *c = json_object();
        set_str(c, "name", s->company->name);
        set_str(c, "representativeName", s->company->representative_name);
        set_str(c, "businessRegistrationNumber", s->company->business_registration_number);
        set_str(c, "email", s->company->email);
        set_str(c, "phone", s->company->phone);
        json_object_set_new(o, "company", c);
    }
    if (s->individual) {
        json_t *i = json_object();
        set_str(i, "name", s->individual->name);
        set_str(i, "email", s->individual->email);
        set_str(i, "phone", s->individual->phone);
        json_object_set_new(o, "individual", i);
    }
    if (s->account) {
        json_t *a = json_object();
        set_str(a, "bankCode", s->account->bank_code);
        set_str(a, "accountNumber", s->account->account_number);
        set_str(a, "holderName", s->account->holder_name);
        json_object_set_new(o, "account", a);
    }
    if (s->remove_metadata)
        json_object_set_new(o, "metadata", json_null());
    else if (s->metadata_len)
        json_object_set_new(o, "metadata", metadata_json(s->metadata, s->metadata_len));
    return o;
}

static json_t *payouts_json(const pay_payout_fields *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++) {
        const pay_payout_fields *p = &items[k];
        json_t *o = json_object();
        set_str(o, "refPayoutId", p->ref_payout_id);
        set_str(o, "destination", p->destination);
        set_str(o, "scheduleType", p->schedule_type);
        set_str(o, "payoutDate", p->payout_date);
        /* Amounts go as integer JSON numbers, as the API schema asks (C24). */
        json_object_set_new(o, "amount", json_pack("{s:s,s:I}", "currency", "KRW", "value",
                                                   (json_int_t)p->amount));
        set_str(o, "transactionDescription", p->transaction_description);
        if (p->metadata_len)
            json_object_set_new(o, "metadata", metadata_json(p->metadata, p->metadata_len));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* ---- answers ------------------------------------------------------------------- */

static const char *str(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static int64_t amount_value(const json_t *amount)
{
    const json_t *v = json_object_get(amount, "value");
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_real(v)) return (int64_t)llround(json_real_value(v));
    if (json_is_string(v)) return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

static size_t read_metadata(const json_t *m, pay_kv out[PAY_METADATA_MAX])
{
    size_t n = 0;
    const char *k;
    json_t *v;
    if (!json_is_object(m)) return 0;
    json_object_foreach((json_t *)m, k, v) if (n < PAY_METADATA_MAX && json_is_string(v))
    {
        out[n].key = k;
        out[n].value = json_string_value(v);
        n++;
    }
    return n;
}

static void read_seller(const json_t *o, pay_seller_result *s)
{
    memset(s, 0, sizeof *s);
    s->id = str(o, "id");
    s->ref_seller_id = str(o, "refSellerId");
    s->business_type = str(o, "businessType");
    s->status = str(o, "status");
    const json_t *c = json_object_get(o, "company");
    if ((s->has_company = json_is_object(c))) {
        s->company.name = str(c, "name");
        s->company.representative_name = str(c, "representativeName");
        s->company.business_registration_number = str(c, "businessRegistrationNumber");
        s->company.email = str(c, "email");
        s->company.phone = str(c, "phone");
    }
    const json_t *i = json_object_get(o, "individual");
    if ((s->has_individual = json_is_object(i))) {
        s->individual.name = str(i, "name");
        s->individual.email = str(i, "email");
        s->individual.phone = str(i, "phone");
    }
    const json_t *a = json_object_get(o, "account");
    s->account.bank_code = str(a, "bankCode");
    s->account.account_number = str(a, "accountNumber");
    s->account.holder_name = str(a, "holderName");
    s->metadata_len = read_metadata(json_object_get(o, "metadata"), s->metadata);
}

static void read_payout(const json_t *o, pay_payout_result *p)
{
    memset(p, 0, sizeof *p);
    p->id = str(o, "id");
    p->ref_payout_id = str(o, "refPayoutId");
    p->destination = str(o, "destination");
    p->schedule_type = str(o, "scheduleType");
    p->payout_date = str(o, "payoutDate");
    const json_t *amount = json_object_get(o, "amount");
    p->amount = amount_value(amount);
    p->currency = str(amount, "currency");
    p->transaction_description = str(o, "transactionDescription");
    p->requested_at = str(o, "requestedAt");
    p->status = str(o, "status");
    const json_t *e = json_object_get(o, "error");
    if (json_is_object(e)) {
        p->error_code = str(e, "code");
        p->error_message = str(e, "message");
    }
    p->metadata_len = read_metadata(json_object_get(o, "metadata"), p->metadata);
}

/* Runs a call and hands back the parsed envelope's entityBody (a borrowed
 * reference inside *root) on success. */
static pay_err call_json(pay_client *c, const char *method, const char *path, json_t *body,
                         bool seal, json_t **root, json_t **entity, pay_call *call)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    char *envelope = NULL;
    *root = NULL;
    *entity = NULL;
    pay_err rc = pay_client_request(c, method, path, text, seal, &envelope, call);
    free(text);
    if (rc == PAY_OK) {
        *root = envelope ? json_loads(envelope, 0, NULL) : NULL;
        *entity = json_object_get(*root, "entityBody");
        if (!*entity) {
            call->outcome = PAY_CALL_BAD_RESPONSE;
            snprintf(call->message, sizeof call->message, "the answer has no entityBody");
            json_decref(*root);
            *root = NULL;
            rc = PAY_ERR_RESPONSE;
        }
    }
    free(envelope);
    return rc;
}

/* Bad input: nothing is sent. The outputs say why; the caller's inputs
 * (idempotency_key) are left as they were (pay_call_reset). */
static void refuse(pay_call *call, const char *why)
{
    pay_call_reset(call);
    call->outcome = PAY_CALL_LOCAL_ERROR;
    snprintf(call->message, sizeof call->message, "%s; nothing was sent", why);
}

static bool date_ok(const char *d, pay_call *call)
{
    size_t n = d ? strlen(d) : 0;
    bool ok = n == 10;
    for (size_t i = 0; ok && i < n; i++) ok = (d[i] >= '0' && d[i] <= '9') || d[i] == '-';
    if (!ok) refuse(call, "a date is yyyy-MM-dd");
    return ok;
}

/* Builds "/v2/...?" + the list parameters that are set. */
static void list_path(const char *base, const pay_list_params *p, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s", base);
    char sep = '?';
    if (p && p->limit && n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "%climit=%zu", sep, p->limit);
        sep = '&';
    }
    const char *names[3] = {"startingAfter", "payoutDateGte", "payoutDateLte"};
    const char *values[3] = {p ? p->starting_after : NULL, p ? p->payout_date_gte : NULL,
                             p ? p->payout_date_lte : NULL};
    for (int i = 0; i < 3; i++)
        if (values[i] && n < cap) {
            n += (size_t)snprintf(out + n, cap - n, "%c%s=%s", sep, names[i], values[i]);
            sep = '&';
        }
}

/* Ids go into paths: only the characters ids are made of. */
static bool id_ok(const char *id, pay_call *call)
{
    size_t n = id ? strlen(id) : 0;
    bool ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
             (id[i] >= '0' && id[i] <= '9') || id[i] == '_' || id[i] == '-';
    if (!ok) refuse(call, "an id is 1-64 characters of A-Z a-z 0-9 _ -");
    return ok;
}

static pay_err seller_answer(json_t *root, json_t *entity, pay_seller_result **out)
{
    pay_seller_result *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(root);
        return PAY_ERR_NOMEM;
    }
    read_seller(entity, s);
    s->priv_ = root;
    *out = s;
    return PAY_OK;
}

static pay_err payout_answer(json_t *root, json_t *entity, bool single, pay_payout_list **out)
{
    pay_payout_list *l = calloc(1, sizeof *l);
    json_t *items = single ? NULL : json_object_get(entity, "items");
    size_t n = single ? 1 : json_array_size(items);
    if (l) l->items = calloc(n ? n : 1, sizeof *l->items);
    if (!l || !l->items) {
        free(l);
        json_decref(root);
        return PAY_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) read_payout(single ? entity : json_array_get(items, i), &l->items[i]);
    l->n = n;
    l->has_next = json_is_true(json_object_get(entity, "hasNext"));
    l->last_cursor = str(entity, "lastCursor");
    l->priv_ = root;
    *out = l;
    return PAY_OK;
}

void pay_seller_result_free(pay_seller_result *s)
{
    if (!s) return;
    json_decref(s->priv_);
    free(s);
}

void pay_payout_list_free(pay_payout_list *l)
{
    if (!l) return;
    json_decref(l->priv_);
    free(l->items);
    free(l);
}

void pay_seller_list_free(pay_seller_list *l)
{
    if (!l) return;
    json_decref(l->priv_);
    free(l->items);
    free(l);
}

/* ---- endpoints ---------------------------------------------------------------- */

pay_err pay_client_sellers_create(pay_client *c, const pay_seller_fields *seller,
                                  pay_seller_result **out, pay_call *call)
{
    json_t *root, *entity;
    *out = NULL;
    pay_err rc = call_json(c, "POST", "/v2/sellers", seller_json(seller), true, &root, &entity, call);
    return rc == PAY_OK ? seller_answer(root, entity, out) : rc;
}

pay_err pay_client_sellers_get(pay_client *c, const char *seller_id, pay_seller_result **out,
                               pay_call *call)
{
    json_t *root, *entity;
    char path[128];
    *out = NULL;
    if (!id_ok(seller_id, call)) return PAY_ERR_INVALID_ARG;
    snprintf(path, sizeof path, "/v2/sellers/%s", seller_id);
    pay_err rc = call_json(c, "GET", path, NULL, false, &root, &entity, call);
    return rc == PAY_OK ? seller_answer(root, entity, out) : rc;
}

pay_err pay_client_sellers_list(pay_client *c, const pay_list_params *p, pay_seller_list **out,
                                pay_call *call)
{
    json_t *root, *entity;
    char path[512];
    *out = NULL;
    if (p && p->starting_after && !id_ok(p->starting_after, call)) return PAY_ERR_INVALID_ARG;
    /* The payout date filters are for payouts only: they stay out of this
     * query (they are not checked here, so they must not reach the URL). */
    pay_list_params sp = {p ? p->limit : 0, p ? p->starting_after : NULL, NULL, NULL};
    list_path("/v2/sellers", &sp, path, sizeof path);
    pay_err rc = call_json(c, "GET", path, NULL, false, &root, &entity, call);
    if (rc != PAY_OK) return rc;
    pay_seller_list *l = calloc(1, sizeof *l);
    json_t *items = json_object_get(entity, "items");
    size_t n = json_array_size(items);
    if (l) l->items = calloc(n ? n : 1, sizeof *l->items);
    if (!l || !l->items) {
        free(l);
        json_decref(root);
        return PAY_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) read_seller(json_array_get(items, i), &l->items[i]);
    l->n = n;
    l->has_next = json_is_true(json_object_get(entity, "hasNext"));
    l->last_cursor = str(entity, "lastCursor");
    l->priv_ = root;
    *out = l;
    return PAY_OK;
}

pay_err pay_client_sellers_update(pay_client *c, const char *seller_id,
                                  const pay_seller_fields *changes, pay_seller_result **out,
                                  pay_call *call)
{
    json_t *root, *entity;
    char path[128];
    *out = NULL;
    if (!id_ok(seller_id, call)) return PAY_ERR_INVALID_ARG;
    snprintf(path, sizeof path, "/v2/sellers/%s", seller_id);
    pay_err rc = call_json(c, "POST", path, seller_json(changes), true, &root, &entity, call);
    return rc == PAY_OK ? seller_answer(root, entity, out) : rc;
}

pay_err pay_client_sellers_delete(pay_client *c, const char *seller_id, char **deleted_ref,
                                  pay_call *call)
{
    json_t *root, *entity;
    char path[128];
    if (deleted_ref) *deleted_ref = NULL;
    if (!id_ok(seller_id, call)) return PAY_ERR_INVALID_ARG;
    snprintf(path, sizeof path, "/v2/sellers/%s", seller_id);
    pay_err rc = call_json(c, "DELETE", path, NULL, false, &root, &entity, call);
    if (rc == PAY_OK && deleted_ref && str(entity, "refSellerId"))
        *deleted_ref = strdup(str(entity, "refSellerId"));
    json_decref(root);
    return rc;
}

pay_err pay_client_payouts_request(pay_client *c, const pay_payout_fields *items, size_t n,
                                   pay_payout_list **out, pay_call *call)
{
    json_t *root, *entity;
    *out = NULL;
    pay_err rc = call_json(c, "POST", "/v2/payouts", payouts_json(items, n), true, &root, &entity,
                           call);
    return rc == PAY_OK ? payout_answer(root, entity, false, out) : rc;
}

pay_err pay_client_payouts_get(pay_client *c, const char *payout_id, pay_payout_list **out,
                               pay_call *call)
{
    json_t *root, *entity;
    char path[128];
    *out = NULL;
    if (!id_ok(payout_id, call)) return PAY_ERR_INVALID_ARG;
    snprintf(path, sizeof path, "/v2/payouts/%s", payout_id);
    pay_err rc = call_json(c, "GET", path, NULL, false, &root, &entity, call);
    return rc == PAY_OK ? payout_answer(root, entity, true, out) : rc;
}

pay_err pay_client_payouts_list(pay_client *c, const pay_list_params *p, pay_payout_list **out,
                                pay_call *call)
{
    json_t *root, *entity;
    char path[512];
    *out = NULL;
    if (p && ((p->starting_after && !id_ok(p->starting_after, call)) ||
              (p->payout_date_gte && !date_ok(p->payout_date_gte, call)) ||
              (p->payout_date_lte && !date_ok(p->payout_date_lte, call))))
        return PAY_ERR_INVALID_ARG;
    list_path("/v2/payouts", p, path, sizeof path);
    pay_err rc = call_json(c, "GET", path, NULL, false, &root, &entity, call);
    return rc == PAY_OK ? payout_answer(root, entity, false, out) : rc;
}

pay_err pay_client_payouts_cancel(pay_client *c, const char *payout_id, pay_payout_list **out,
                                  pay_call *call)
{
    json_t *root, *entity;
    char path[160];
    *out = NULL;
    if (!id_ok(payout_id, call)) return PAY_ERR_INVALID_ARG;
    snprintf(path, sizeof path, "/v2/payouts/%s/cancel", payout_id);
    pay_err rc = call_json(c, "POST", path, NULL, false, &root, &entity, call);
    return rc == PAY_OK ? payout_answer(root, entity, true, out) : rc;
}

pay_err pay_client_balances_get(pay_client *c, pay_balance_result *out, pay_call *call)
{
    json_t *root, *entity;
    memset(out, 0, sizeof *out);
    pay_err rc = call_json(c, "GET", "/v2/balances", NULL, false, &root, &entity, call);
    if (rc == PAY_OK) {
        out->available = amount_value(json_object_get(entity, "availableAmount"));
        out->pending = amount_value(json_object_get(entity, "pendingAmount"));
    }
    json_decref(root);
    return rc;
}
