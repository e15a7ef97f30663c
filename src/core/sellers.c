#include "core/sellers.h"

#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "core/sandbox.h"
#include "core/validate.h"

bool pay_seller_status_payable(pay_seller_status s)
{
    return s == PAY_SELLER_PARTIALLY_APPROVED || s == PAY_SELLER_APPROVED;
}

static void seller_not_found(pay_fault *f, const char *id)
{
    pay_fault_set2(f, PAY_E_NOT_FOUND, "셀러 %.64s 를 찾을 수 없습니다", "seller %.64s not found",
                   id);
}

/* Registration-time checks of a real registry and bank, simulated in test
 * mode (docs/sandbox.md); live mode has no registry to ask. */
static bool verify(const pay_actor *a, const pay_seller *s, pay_fault *f)
{
    return a->env != PAY_ENV_TEST || pay_sandbox_check_seller(s, f);
}

typedef struct register_job {
    const pay_actor *a;
    pay_seller *s;
} register_job;

static pay_store_rc register_fn(pay_tx *tx, void *arg)
{
    register_job *job = arg;
    pay_store_rc rc = pay_actor_begin(tx, job->a);
    if (rc == PAY_STORE_OK) rc = tx->ops->seller_insert(tx, job->s);
    return rc == PAY_STORE_OK ? pay_actor_commit(tx, job->a) : rc;
}

struct pay_seller_registration {
    register_job job;
    pay_seller seller;
};

pay_seller_registration *pay_seller_register_prepare(pay_core *core, const pay_actor *a,
                                                     const json_t *body, pay_fault *f)
{
    (void)core;
    pay_seller_registration *reg = calloc(1, sizeof *reg);
    if (!reg) {
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return NULL;
    }
    pay_seller *s = &reg->seller;
    if (!pay_decode_seller_create(body, s, f) || !verify(a, s, f)) goto fail;
    s->scope = a->scope;
    /* Registration emits no webhook (spec §1.2): only later transitions do. */
    s->status = s->business_type == PAY_BT_CORPORATE ? PAY_SELLER_PARTIALLY_APPROVED
                                                     : PAY_SELLER_APPROVAL_REQUIRED;
    s->created_at_us = s->updated_at_us = a->now_us;
    if (!pay_object_id_new("seller_", a->now_us, s->id, sizeof s->id)) {
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        goto fail;
    }
    reg->job.a = a;
    reg->job.s = s;
    return reg;
fail:
    pay_seller_registration_free(reg);
    return NULL;
}

pay_store_rc pay_seller_register_write(pay_tx *tx, void *reg)
{
    return register_fn(tx, &((pay_seller_registration *)reg)->job);
}

const pay_seller *pay_seller_registration_seller(const pay_seller_registration *reg)
{
    return &reg->seller;
}

bool pay_seller_register_finish(pay_seller_registration *reg, pay_store_rc rc, pay_seller *out,
                                pay_fault *f)
{
    memset(out, 0, sizeof *out);
    if (rc == PAY_STORE_OK) {
        *out = reg->seller; /* moves to the caller */
        memset(&reg->seller, 0, sizeof reg->seller);
        return true;
    }
    if (rc == PAY_STORE_CONFLICT)
        pay_fault_set2(f, PAY_E_DUPLICATED_REQUEST,
                       "refSellerId %s: 이미 사용된 값입니다 (삭제된 셀러 포함, 재사용 불가)",
                       "refSellerId %s: already used (also by deleted sellers; never reusable)",
                       reg->seller.ref_seller_id);
    else
        pay_fault_from_store(f, rc);
    return false;
}

void pay_seller_registration_free(pay_seller_registration *reg)
{
    if (!reg) return;
    pay_seller_clear(&reg->seller);
    free(reg);
}

bool pay_seller_register(pay_core *core, const pay_actor *a, const json_t *body, pay_seller *out,
                         pay_fault *f)
{
    memset(out, 0, sizeof *out);
    pay_seller_registration *reg = pay_seller_register_prepare(core, a, body, f);
    if (!reg) return false;
    bool ok = pay_seller_register_finish(
        reg, pay_store_write(core->store, pay_seller_register_write, reg), out, f);
    pay_seller_registration_free(reg);
    return ok;
}

typedef struct get_job {
    pay_scope scope;
    const char *id;
    pay_seller *out;
} get_job;

static pay_store_rc get_fn(pay_tx *tx, void *arg)
{
    get_job *job = arg;
    pay_store_rc rc = tx->ops->seller_get(tx, job->scope, job->id, job->out);
    if (rc == PAY_STORE_OK && job->out->deleted) {
        pay_seller_clear(job->out);
        rc = PAY_STORE_NOTFOUND;
    }
    return rc;
}

bool pay_seller_fetch(pay_core *core, const pay_actor *a, const char *id, pay_seller *out,
                      pay_fault *f)
{
    get_job job = {a->scope, id, out};
    pay_store_rc rc = pay_store_read(core->store, get_fn, &job);
    if (rc == PAY_STORE_NOTFOUND) {
        seller_not_found(f, id);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
        return false;
    }
    return true;
}

/* ---- update (spec §4.5, §10 #16) ------------------------------------------ */

/* Merges a partial nested object into the stored one: members present
 * replace, members set to null are removed (then re-validation refuses the
 * removal of anything required). */
static bool merge_part(json_t *whole, const char *name, const json_t *patch, pay_fault *f)
{
    json_t *part = json_object_get(whole, name);
    if (json_is_null(patch)) {
        json_object_del(whole, name);
        return true;
    }
    if (!json_is_object(patch)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s: 객체여야 합니다", "%s: must be an object",
                       name);
        return false;
    }
    json_t *merged = part && json_is_object(part) ? json_deep_copy(part) : json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v) {
        if (json_is_null(v))
            json_object_del(merged, key);
        else
            json_object_set(merged, key, v);
    }
    json_object_set_new(whole, name, merged);
    return true;
}

/* The stored seller as a registration body (full account number). */
static json_t *as_request(const pay_seller *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "refSellerId", json_string(s->ref_seller_id));
    json_object_set_new(o, "businessType", json_string(pay_business_type_name(s->business_type)));
    if (s->company) json_object_set(o, "company", s->company);
    if (s->individual) json_object_set(o, "individual", s->individual);
    if (s->account) json_object_set(o, "account", s->account);
    if (s->metadata) json_object_set(o, "metadata", s->metadata);
    return o;
}

static bool same_string(const json_t *v, const char *want)
{
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

bool pay_seller_apply_patch(const pay_seller *cur, const json_t *patch, pay_seller *next,
                            pay_fault *f)
{
    static const char *const fields[] = {"refSellerId", "businessType", "company",
                                         "individual", "account", "metadata", NULL};
    if (!json_is_object(patch)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s본문은 JSON 객체여야 합니다",
                       "%sbody must be a JSON object", "");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v) {
        bool known = false;
        for (const char *const *a = fields; *a; a++) known |= strcmp(*a, key) == 0;
        if (!known) {
            pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%.60s: 알 수 없는 필드입니다",
                           "%.60s: unknown field", key);
            return false;
        }
    }
    const json_t *ref = json_object_get(patch, "refSellerId");
    if (ref && !same_string(ref, cur->ref_seller_id)) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "refSellerId: 변경할 수 없습니다 (%s)",
                       "refSellerId: cannot be changed (it is %s)", cur->ref_seller_id);
        return false;
    }
    const json_t *type = json_object_get(patch, "businessType");
    if (type && !same_string(type, pay_business_type_name(cur->business_type))) {
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "businessType: 변경할 수 없습니다 (%s)",
                       "businessType: cannot be changed (it is %s); register a new seller",
                       pay_business_type_name(cur->business_type));
        return false;
    }
    json_t *whole = as_request(cur);
    bool ok = true;
    static const char *const parts[] = {"company", "individual", "account"};
    for (size_t i = 0; ok && i < 3; i++) {
        const json_t *p = json_object_get(patch, parts[i]);
        if (!p) continue;
        if (!json_is_null(p)) {
            ok = merge_part(whole, parts[i], p, f);
        } else if (json_object_get(whole, parts[i])) {
            /* null on a part this seller needs; null on one it does not
             * have (individual: null for a company) is a no-op. */
            pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s: 필수 값이라 삭제할 수 없습니다",
                           "%s: is required and cannot be removed", parts[i]);
            ok = false;
        }
    }
    /* metadata is one value: an object replaces it, null removes it. */
    const json_t *meta = json_object_get(patch, "metadata");
    if (ok && meta) {
        if (json_is_null(meta))
            json_object_del(whole, "metadata");
        else
            json_object_set(whole, "metadata", (json_t *)meta);
    }
    /* Re-validating the merged whole also refuses a required member
     * removed with null ("individual.email: is required"). */
    if (ok) ok = pay_decode_seller_create(whole, next, f);
    json_decref(whole);
    return ok;
}

typedef struct update_job {
    const pay_actor *a;
    const char *id;
    const json_t *patch;
    pay_seller *out;
    pay_fault fault;
} update_job;

static pay_store_rc update_fn(pay_tx *tx, void *arg)
{
    update_job *job = arg;
    pay_seller cur = {0}, next = {0};
    pay_store_rc rc = pay_actor_begin(tx, job->a);
    if (rc != PAY_STORE_OK) return rc;
    rc = tx->ops->seller_get(tx, job->a->scope, job->id, &cur);
    if (rc == PAY_STORE_NOTFOUND || (rc == PAY_STORE_OK && cur.deleted)) {
        seller_not_found(&job->fault, job->id);
        rc = PAY_STORE_ABORT;
        goto out;
    }
    if (rc != PAY_STORE_OK) goto out;
    if (!pay_seller_apply_patch(&cur, job->patch, &next, &job->fault) ||
        !verify(job->a, &next, &job->fault)) {
        rc = PAY_STORE_ABORT;
        goto out;
    }
    /* Identity, status and history stay; the data is the merged, checked one.
     * An account change does not reset approval (spec §9 #16 is silent). */
    memcpy(next.id, cur.id, sizeof next.id);
    next.scope = cur.scope;
    next.status = cur.status;
    next.created_at_us = cur.created_at_us;
    next.updated_at_us = job->a->now_us;
    if ((rc = tx->ops->seller_update(tx, &next)) != PAY_STORE_OK) goto out;
    *job->out = next;
    memset(&next, 0, sizeof next);
    rc = pay_actor_commit(tx, job->a);
out:
    pay_seller_clear(&cur);
    pay_seller_clear(&next);
    return rc;
}

bool pay_seller_update(pay_core *core, const pay_actor *a, const char *id, const json_t *patch,
                       pay_seller *out, pay_fault *f)
{
    update_job job = {a, id, patch, out, {0}};
    memset(out, 0, sizeof *out);
    pay_store_rc rc = pay_store_write(core->store, update_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    pay_seller_clear(out);
    if (rc == PAY_STORE_ABORT)
        *f = job.fault;
    else
        pay_fault_from_store(f, rc);
    return false;
}

/* ---- delete (spec §4.6) ---------------------------------------------------- */

typedef struct delete_job {
    const pay_actor *a;
    const char *id;
    pay_seller *out;
    pay_fault fault;
} delete_job;

static pay_store_rc delete_fn(pay_tx *tx, void *arg)
{
    delete_job *job = arg;
    pay_seller *s = job->out;
    pay_store_rc rc = pay_actor_begin(tx, job->a);
    if (rc != PAY_STORE_OK) return rc;
    rc = tx->ops->seller_get(tx, job->a->scope, job->id, s);
    if (rc == PAY_STORE_NOTFOUND || (rc == PAY_STORE_OK && s->deleted)) {
        pay_seller_clear(s);
        seller_not_found(&job->fault, job->id);
        return PAY_STORE_ABORT;
    }
    if (rc != PAY_STORE_OK) return rc;
    int64_t open = 0;
    if ((rc = tx->ops->seller_open_payouts(tx, job->a->scope, s->id, &open)) != PAY_STORE_OK)
        return rc;
    if (open > 0) {
        /* Money already reserved for this seller must land or be cancelled
         * before the seller disappears from every listing. */
        pay_fault_set2(&job->fault, PAY_E_INVALID_REQUEST,
                       "셀러 %s 에게 진행 중인 지급대행이 %lld건 있습니다; 취소하거나 완료된 뒤 "
                       "삭제하세요",
                       "seller %s has %lld unfinished payout(s); cancel them or wait until they "
                       "finish before deleting",
                       s->id, (long long)open);
        return PAY_STORE_ABORT;
    }
    s->deleted = true;
    s->updated_at_us = job->a->now_us;
    if ((rc = tx->ops->seller_update(tx, s)) != PAY_STORE_OK) return rc;
    return pay_actor_commit(tx, job->a);
}

bool pay_seller_delete(pay_core *core, const pay_actor *a, const char *id, pay_seller *out,
                       pay_fault *f)
{
    delete_job job = {a, id, out, {0}};
    memset(out, 0, sizeof *out);
    pay_store_rc rc = pay_store_write(core->store, delete_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    pay_seller_clear(out);
    if (rc == PAY_STORE_ABORT)
        *f = job.fault;
    else
        pay_fault_from_store(f, rc);
    return false;
}

/* ---- list (spec §4.3, §10 #9) ---------------------------------------------- */

typedef struct list_job {
    pay_scope scope;
    const pay_list_query *q;
    pay_seller_page *page;
    bool bad_cursor;
} list_job;

static pay_store_rc list_fn(pay_tx *tx, void *arg)
{
    list_job *job = arg;
    int64_t after = 0, last_seq = 0;
    if (job->q->starting_after[0]) {
        pay_store_rc rc = tx->ops->seller_seq(tx, job->scope, job->q->starting_after, &after);
        if (rc == PAY_STORE_NOTFOUND) {
            job->bad_cursor = true;
            return PAY_STORE_ABORT;
        }
        if (rc != PAY_STORE_OK) return rc;
    }
    size_t n = 0;
    pay_store_rc rc = tx->ops->seller_list(tx, job->scope, after, job->q->limit + 1,
                                           job->page->items, &n, &last_seq);
    if (rc != PAY_STORE_OK) return rc;
    job->page->has_next = n > job->q->limit;
    if (job->page->has_next) pay_seller_clear(&job->page->items[--n]);
    job->page->n = n;
    return PAY_STORE_OK;
}

bool pay_sellers_list(pay_core *core, const pay_actor *a, const pay_list_query *q,
                      pay_seller_page *page, pay_fault *f)
{
    memset(page, 0, sizeof *page);
    page->items = calloc(q->limit + 1, sizeof *page->items);
    if (!page->items) {
        pay_fault_set(f, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
        return false;
    }
    list_job job = {a->scope, q, page, false};
    pay_store_rc rc = pay_store_read(core->store, list_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    if (job.bad_cursor)
        pay_fault_setf(f, PAY_E_INVALID_PAGING_KEY, "startingAfter %.64s is not a seller id",
                       q->starting_after);
    else
        pay_fault_from_store(f, rc);
    pay_seller_page_free(page);
    return false;
}

void pay_seller_page_free(pay_seller_page *page)
{
    if (!page) return;
    for (size_t i = 0; i < page->n; i++) pay_seller_clear(&page->items[i]);
    free(page->items);
    memset(page, 0, sizeof *page);
}

/* ---- approval transitions (spec §1.2, sandbox actions §10 #15) -------------- */

typedef struct transition_job {
    pay_scope scope;
    int64_t now_us;
    const char *id;
    pay_seller_transition t;
    pay_seller *out;
    pay_fault fault;
} transition_job;

typedef struct transition_row {
    pay_seller_transition t;
    pay_seller_status from[3]; /* statuses it applies to; 0 ends the list */
    pay_seller_status to;
    const char *name;
} transition_row;

static const transition_row transitions[] = {
    {PAY_SELLER_VERIFY_IDENTITY, {PAY_SELLER_APPROVAL_REQUIRED}, PAY_SELLER_PARTIALLY_APPROVED,
     "identity verification"},
    {PAY_SELLER_APPROVE_KYC,
     {PAY_SELLER_KYC_REQUIRED, PAY_SELLER_PARTIALLY_APPROVED},
     PAY_SELLER_APPROVED,
     "KYC approval"},
    {PAY_SELLER_REQUIRE_KYC,
     {PAY_SELLER_PARTIALLY_APPROVED, PAY_SELLER_APPROVED},
     PAY_SELLER_KYC_REQUIRED,
     "KYC renewal"},
};

static pay_store_rc transition_fn(pay_tx *tx, void *arg)
{
    transition_job *job = arg;
    pay_seller *s = job->out;
    pay_store_rc rc = tx->ops->seller_get(tx, job->scope, job->id, s);
    if (rc == PAY_STORE_NOTFOUND || (rc == PAY_STORE_OK && s->deleted)) {
        pay_seller_clear(s);
        seller_not_found(&job->fault, job->id);
        return PAY_STORE_ABORT;
    }
    if (rc != PAY_STORE_OK) return rc;
    const transition_row *row = &transitions[job->t];
    bool allowed = false;
    for (int i = 0; i < 3; i++) allowed |= row->from[i] && row->from[i] == s->status;
    if (!allowed) {
        pay_fault_setf(&job->fault, PAY_E_INVALID_REQUEST, "%s does not apply to a %s seller",
                       row->name, pay_seller_status_name(s->status));
        pay_seller_clear(s);
        return PAY_STORE_ABORT;
    }
    s->status = row->to;
    s->updated_at_us = job->now_us;
    if ((rc = tx->ops->seller_update(tx, s)) != PAY_STORE_OK) return rc;
    return pay_event_seller_changed(tx, job->now_us, s);
}

bool pay_seller_transition_apply(pay_core *core, pay_scope scope, int64_t now_us, const char *id,
                                 pay_seller_transition t, pay_seller *out, pay_fault *f)
{
    transition_job job = {scope, now_us, id, t, out, {0}};
    memset(out, 0, sizeof *out);
    pay_store_rc rc = pay_store_write(core->store, transition_fn, &job);
    if (rc == PAY_STORE_OK) return true;
    pay_seller_clear(out);
    if (rc == PAY_STORE_ABORT)
        *f = job.fault;
    else
        pay_fault_from_store(f, rc);
    return false;
}
