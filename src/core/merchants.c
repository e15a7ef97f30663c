#include "core/merchants.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/ids.h"
#include "common/text.h"
#include "core/authcache.h"
#include "core/ledger.h"
#include "core/vault.h"
#include "crypto/digest.h"

void pay_key_lookup_hash(const char *key, size_t len, uint8_t out[32])
{
    if (!pay_sha256(key, len, out)) memset(out, 0, 32); /* matches no stored key */
}

static bool issue_api_key(char out[PAY_API_KEY_BUF], pay_env env, const char *kind)
{
    int n = snprintf(out, PAY_API_KEY_BUF, "%s_%s_", pay_env_name(env), kind);
    return n > 0 && pay_random_alnum(out + n, PAY_API_KEY_RANDOM_LEN);
}

static bool issue_security_key(char out[PAY_KEY_HEX_LEN + 1])
{
    uint8_t raw[PAY_KEY_HEX_LEN / 2];
    if (!pay_random_bytes(raw, sizeof raw)) return false;
    pay_hex_encode(raw, sizeof raw, out);
    OPENSSL_cleanse(raw, sizeof raw);
    return true;
}

static void hint_of(const char *key, char hint[12])
{
    size_t n = strlen(key);
    snprintf(hint, 12, "...%s", n > 4 ? key + n - 4 : "");
}

typedef struct create_job {
    pay_merchant m;
    const pay_issued_keys *keys;
    int64_t test_funding;
    const pay_vault *vault;
} create_job;

static pay_store_rc insert_key(pay_tx *tx, const pay_vault *vault, int64_t merchant_id,
                               pay_env env, pay_key_kind kind, const char *text, int64_t now,
                               int64_t *id)
{
    pay_api_key k;
    memset(&k, 0, sizeof k);
    k.merchant_id = merchant_id;
    k.env = env;
    k.kind = kind;
    k.created_at_us = now;
    hint_of(text, k.hint);
    if (kind == PAY_KEY_SECURITY) {
        /* Only ever stored wrapped by the vault (core/vault.h). */
        pay_key key;
        if (!vault || pay_key_from_hex(&key, text, strlen(text), NULL) != PAY_OK)
            return PAY_STORE_IO;
        bool ok = pay_vault_wrap(vault, &k, key.bytes, key.len, k.material, &k.material_len);
        pay_key_wipe(&key);
        if (!ok) return PAY_STORE_IO;
    } else {
        pay_key_lookup_hash(text, strlen(text), k.lookup);
    }
    pay_store_rc rc = tx->ops->key_insert(tx, &k);
    if (id) *id = k.id;
    OPENSSL_cleanse(k.material, sizeof k.material);
    return rc;
}

static pay_store_rc create_fn(pay_tx *tx, void *arg)
{
    create_job *job = arg;
    pay_store_rc rc = tx->ops->merchant_insert(tx, &job->m);
    if (rc != PAY_STORE_OK) return rc;
    for (int env = 0; env < 2; env++) {
        if ((rc = insert_key(tx, job->vault, job->m.id, (pay_env)env, PAY_KEY_SECRET,
                             job->keys->secret[env], job->m.created_at_us, NULL)) != PAY_STORE_OK ||
            (rc = insert_key(tx, job->vault, job->m.id, (pay_env)env, PAY_KEY_CLIENT,
                             job->keys->client[env], job->m.created_at_us, NULL)) != PAY_STORE_OK ||
            (rc = insert_key(tx, job->vault, job->m.id, (pay_env)env, PAY_KEY_SECURITY,
                             job->keys->security[env], job->m.created_at_us, NULL)) !=
                PAY_STORE_OK)
            return rc;
    }
    if (job->test_funding > 0) {
        pay_scope scope = {job->m.id, PAY_ENV_TEST};
        rc = pay_ledger_move(tx, scope, "fund", "initial test balance", job->m.created_at_us,
                             PAY_ACCT_FUNDING, PAY_ACCT_AVAILABLE, job->test_funding);
    }
    return rc;
}

bool pay_merchant_create(pay_core *core, const pay_merchant_spec *spec, pay_merchant *out,
                         pay_issued_keys *keys, pay_fault *fault)
{
    create_job job;
    memset(&job, 0, sizeof job);
    memset(keys, 0, sizeof *keys);
    if (spec->mid) {
        /* A MID appears in admin paths, which accept only id characters. */
        size_t n = strlen(spec->mid);
        bool ok = n > 0 && n < sizeof job.m.mid;
        for (size_t i = 0; ok && i < n; i++) {
            char c = spec->mid[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        }
        if (!ok) {
            pay_fault_setf(fault, PAY_E_INVALID_REQUEST,
                           "mid must be 1-%zu characters of A-Z, a-z, 0-9, _ and -",
                           sizeof job.m.mid - 1);
            return false;
        }
        pay_strlcpy(job.m.mid, spec->mid, sizeof job.m.mid);
    } else {
        char suffix[9];
        if (!pay_random_alnum(suffix, 8)) goto internal;
        for (char *p = suffix; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        snprintf(job.m.mid, sizeof job.m.mid, "mid_%s", suffix);
    }
    if (spec->test_funding < 0 || spec->test_funding > PAY_CREDIT_MAX) {
        pay_fault_setf(fault, PAY_E_INVALID_REQUEST, "the test balance must be 0 to %lld won",
                       (long long)PAY_CREDIT_MAX);
        return false;
    }
    job.m.payout_contract = spec->payout_contract;
    job.m.created_at_us = pay_clock_real(core->clock);
    for (int env = 0; env < 2; env++)
        if (!issue_api_key(keys->secret[env], (pay_env)env, "sk") ||
            !issue_api_key(keys->client[env], (pay_env)env, "ck") ||
            !issue_security_key(keys->security[env]))
            goto internal;
    job.keys = keys;
    job.test_funding = spec->test_funding;
    job.vault = core->vault;
    pay_store_rc rc = pay_store_write(core->store, create_fn, &job);
    if (rc == PAY_STORE_CONFLICT) {
        pay_fault_setf(fault, PAY_E_DUPLICATED_REQUEST, "mid %s already exists", job.m.mid);
        pay_issued_keys_wipe(keys);
        return false;
    }
    if (rc != PAY_STORE_OK) {
        pay_fault_from_store(fault, rc);
        pay_issued_keys_wipe(keys);
        return false;
    }
    *out = job.m;
    return true;
internal:
    pay_issued_keys_wipe(keys);
    pay_fault_set(fault, PAY_E_FAILED_INTERNAL_SYSTEM_PROCESSING);
    return false;
}

void pay_issued_keys_wipe(pay_issued_keys *keys)
{
    OPENSSL_cleanse(keys, sizeof *keys);
}

char *pay_issued_keys_json(const pay_merchant *m, const pay_issued_keys *keys)
{
    json_t *root = json_object();
    json_object_set_new(root, "mid", json_string(m->mid));
    json_object_set_new(root, "payoutContract", json_boolean(m->payout_contract));
    for (int env = 0; env < 2; env++) {
        json_t *e = json_object();
        json_object_set_new(e, "secretKey", json_string(keys->secret[env]));
        json_object_set_new(e, "clientKey", json_string(keys->client[env]));
        json_object_set_new(e, "securityKey", json_string(keys->security[env]));
        json_object_set_new(root, pay_env_name((pay_env)env), e);
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* Prefixes of keys that exist in the key scheme but cannot call this API. */
static const char *const other_kinds[] = {"test_ck_", "live_ck_", "test_gck_", "live_gck_",
                                          "test_gsk_", "live_gsk_"};

typedef struct auth_job {
    uint8_t lookup[32];
    pay_api_key key;
    pay_merchant merchant;
} auth_job;

static pay_store_rc auth_fn(pay_tx *tx, void *arg)
{
    auth_job *job = arg;
    pay_store_rc rc = tx->ops->key_find(tx, job->lookup, &job->key);
    if (rc != PAY_STORE_OK) return rc;
    return tx->ops->merchant_get(tx, job->key.merchant_id, &job->merchant);
}

pay_auth_result pay_merchant_authenticate(pay_core *core, const char *key, size_t len,
                                          pay_merchant *merchant, pay_env *env, int64_t *key_id,
                                          pay_store_rc *store_rc)
{
    for (size_t i = 0; i < sizeof other_kinds / sizeof other_kinds[0]; i++) {
        size_t plen = strlen(other_kinds[i]);
        if (len > plen && memcmp(key, other_kinds[i], plen) == 0) return PAY_AUTH_WRONG_KIND;
    }
    if (len < 8 || (memcmp(key, "test_sk_", 8) != 0 && memcmp(key, "live_sk_", 8) != 0))
        return PAY_AUTH_UNKNOWN_KEY;
    auth_job job;
    memset(&job, 0, sizeof job);
    pay_key_lookup_hash(key, len, job.lookup);
    if (!pay_authcache_get_key(core->authcache, job.lookup, &job.key, &job.merchant)) {
        pay_store_rc rc = pay_store_read(core->store, auth_fn, &job);
        if (store_rc) *store_rc = rc;
        if (rc == PAY_STORE_NOTFOUND) return PAY_AUTH_UNKNOWN_KEY; /* misses are not cached */
        if (rc != PAY_STORE_OK) return PAY_AUTH_STORE_ERROR;
        pay_authcache_put_key(core->authcache, &job.key, &job.merchant);
    }
    /* The index found the row by hash; compare the full hash in constant
     * time anyway so no code path depends on a variable-time comparison. */
    if (!pay_ct_equal(job.key.lookup, job.lookup, sizeof job.lookup) ||
        job.key.kind != PAY_KEY_SECRET)
        return job.key.kind == PAY_KEY_CLIENT ? PAY_AUTH_WRONG_KIND : PAY_AUTH_UNKNOWN_KEY;
    /* Expiry (key rotation) runs on the scope's clock, so the sandbox can
     * move past a rotated key's 7 days. */
    int64_t now = pay_clock_now(core->clock, &job.merchant, job.key.env);
    if (job.key.expires_at_us && job.key.expires_at_us <= now) return PAY_AUTH_UNKNOWN_KEY;
    *merchant = job.merchant;
    *env = job.key.env;
    *key_id = job.key.id;
    return PAY_AUTH_OK;
}

typedef struct seckey_job {
    pay_scope scope;
    int64_t now_us;
    pay_api_key rows[PAY_KEY_HISTORY_MAX];
    size_t n;
} seckey_job;

static pay_store_rc seckey_fn(pay_tx *tx, void *arg)
{
    seckey_job *job = arg;
    return tx->ops->key_list(tx, job->scope, PAY_KEY_SECURITY, job->now_us, job->rows,
                             PAY_KEY_HISTORY_MAX, &job->n);
}

/* Security keys of a scope, unwrapped, newest first: the valid ones at now_us,
 * or (now_us < 0) the recent history including expired ones. */
static pay_store_rc load_security(pay_core *core, pay_scope scope, int64_t now_us, pay_key *keys,
                                  size_t cap, size_t *n, int64_t *expires)
{
    seckey_job job;
    memset(&job, 0, sizeof job);
    job.scope = scope;
    job.now_us = now_us;
    pay_store_rc rc = pay_store_read(core->store, seckey_fn, &job);
    *n = 0;
    for (size_t i = 0; rc == PAY_STORE_OK && i < job.n && *n < cap; i++) {
        uint8_t raw[PAY_KEY_MATERIAL_MAX];
        size_t len = 0;
        if (core->vault && pay_vault_unwrap(core->vault, &job.rows[i], job.rows[i].material,
                                            job.rows[i].material_len, raw, &len) &&
            pay_key_from_bytes(&keys[*n], raw, len, NULL) == PAY_OK) {
            if (expires) expires[*n] = job.rows[i].expires_at_us;
            (*n)++;
        }
        OPENSSL_cleanse(raw, sizeof raw);
    }
    if (rc == PAY_STORE_OK && *n == 0) rc = PAY_STORE_NOTFOUND;
    OPENSSL_cleanse(job.rows, sizeof job.rows);
    return rc;
}

pay_store_rc pay_merchant_security_keys(pay_core *core, pay_scope scope, int64_t now_us,
                                        pay_key keys[PAY_SECURITY_KEYS_MAX], size_t *n)
{
    pay_key all[PAY_SECURITY_KEYS_MAX];
    int64_t expires[PAY_SECURITY_KEYS_MAX];
    size_t count = 0;
    pay_store_rc rc = PAY_STORE_OK;
    if (!pay_authcache_get_security(core->authcache, scope, all, expires, &count)) {
        rc = load_security(core, scope, now_us < 0 ? 0 : now_us, all, PAY_SECURITY_KEYS_MAX,
                           &count, expires);
        if (rc == PAY_STORE_OK) pay_authcache_put_security(core->authcache, scope, all, expires, count);
    }
    /* Expiry is checked on every use, cached or not. */
    *n = 0;
    for (size_t i = 0; rc == PAY_STORE_OK && i < count; i++)
        if (!expires[i] || expires[i] > now_us) keys[(*n)++] = all[i];
    OPENSSL_cleanse(all, sizeof all);
    if (rc == PAY_STORE_OK && *n == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

pay_store_rc pay_merchant_key_history(pay_core *core, pay_scope scope, int64_t now_us,
                                      pay_key_history *h)
{
    memset(h, 0, sizeof *h);
    int64_t expires[PAY_KEY_HISTORY_MAX];
    pay_store_rc rc = load_security(core, scope, -1, h->keys, PAY_KEY_HISTORY_MAX, &h->n, expires);
    for (size_t i = 0; i < h->n; i++) h->expired[i] = expires[i] && expires[i] <= now_us;
    return rc;
}

void pay_key_history_wipe(pay_key_history *h)
{
    OPENSSL_cleanse(h, sizeof *h);
}

/* ---- rotation (spec §2.2) ------------------------------------------------ */

typedef struct rotate_job {
    pay_scope scope;
    pay_key_kind kind;
    int64_t now_us;
    const char *text;
    const pay_vault *vault;
    int64_t old_expiry;
    bool refused;
} rotate_job;

static pay_store_rc rotate_fn(pay_tx *tx, void *arg)
{
    rotate_job *job = arg;
    pay_api_key valid[3];
    size_t n = 0;
    pay_store_rc rc = tx->ops->key_list(tx, job->scope, job->kind, job->now_us, valid, 3, &n);
    if (rc != PAY_STORE_OK) return rc;
    /* One re-issue before the old key expires: a second would leave three. */
    if (n >= PAY_SECURITY_KEYS_MAX) {
        job->refused = true;
        for (size_t i = 0; i < n; i++)
            if (valid[i].expires_at_us) job->old_expiry = valid[i].expires_at_us;
        OPENSSL_cleanse(valid, sizeof valid);
        return PAY_STORE_ABORT;
    }
    job->old_expiry = job->now_us + PAY_KEY_OVERLAP_US;
    for (size_t i = 0; i < n && rc == PAY_STORE_OK; i++)
        rc = tx->ops->key_expire(tx, valid[i].id, job->old_expiry);
    OPENSSL_cleanse(valid, sizeof valid);
    if (rc != PAY_STORE_OK) return rc;
    return insert_key(tx, job->vault, job->scope.merchant_id, job->scope.env, job->kind, job->text,
                      job->now_us, NULL);
}

bool pay_merchant_rotate_key(pay_core *core, pay_scope scope, pay_key_kind kind, int64_t now_us,
                             char out[PAY_API_KEY_BUF], int64_t *old_expires_at, pay_fault *f)
{
    bool issued = kind == PAY_KEY_SECURITY ? issue_security_key(out)
                  : kind == PAY_KEY_SECRET ? issue_api_key(out, scope.env, "sk")
                                           : false;
    if (!issued) {
        pay_fault_setf(f, PAY_E_INVALID_REQUEST, "only secret and security keys are re-issued");
        return false;
    }
    rotate_job job = {scope, kind, now_us, out, core->vault, 0, false};
    pay_store_rc rc = pay_store_write(core->store, rotate_fn, &job);
    pay_authcache_clear(core->authcache); /* cached keys and expiries changed */
    if (job.refused) {
        char when[PAY_IAT_BUF];
        pay_format_kst(job.old_expiry, when);
        pay_fault_setf(f, PAY_E_INVALID_REQUEST,
                       "the previous key is still valid until %s; a key can be re-issued once "
                       "before it expires (at most two are valid at once)",
                       when);
    } else if (rc != PAY_STORE_OK) {
        pay_fault_from_store(f, rc);
    } else {
        *old_expires_at = job.old_expiry;
        return true;
    }
    OPENSSL_cleanse(out, PAY_API_KEY_BUF);
    return false;
}

/* ---- at-rest protection ---------------------------------------------------- */

typedef struct scan_job {
    int64_t after;
    pay_api_key rows[64];
    size_t n;
} scan_job;

static pay_store_rc scan_fn(pay_tx *tx, void *arg)
{
    scan_job *job = arg;
    return tx->ops->key_all_of_kind(tx, PAY_KEY_SECURITY, job->after, job->rows, 64, &job->n);
}

typedef struct wrap_job {
    const pay_api_key *row;
    const uint8_t *material;
    size_t len;
} wrap_job;

static pay_store_rc wrap_fn(pay_tx *tx, void *arg)
{
    wrap_job *job = arg;
    return tx->ops->key_set_material(tx, job->row->id, job->material, job->len);
}

bool pay_merchant_protect_keys(pay_core *core, int *wrapped, char *err, size_t errlen)
{
    scan_job job;
    memset(&job, 0, sizeof job);
    *wrapped = 0;
    bool ok = true;
    do {
        if (pay_store_read(core->store, scan_fn, &job) != PAY_STORE_OK) {
            snprintf(err, errlen, "cannot read the key table");
            ok = false;
            break;
        }
        for (size_t i = 0; i < job.n && ok; i++) {
            pay_api_key *k = &job.rows[i];
            uint8_t buf[PAY_KEY_MATERIAL_MAX];
            size_t len = 0;
            if (pay_vault_is_wrapped(k->material, k->material_len)) {
                /* Every wrapped key must open: a wrong master key is caught
                 * at startup, not on the first request. */
                if (!pay_vault_unwrap(core->vault, k, k->material, k->material_len, buf, &len)) {
                    snprintf(err, errlen,
                             "the master key (%s) does not open the security keys in this "
                             "database; start payoutd with the master key it was created with",
                             core->vault->origin);
                    ok = false;
                }
            } else if (k->material_len == 32) { /* written before keys were wrapped */
                wrap_job w = {k, buf, 0};
                if (!pay_vault_wrap(core->vault, k, k->material, 32, buf, &w.len) ||
                    pay_store_write(core->store, wrap_fn, &w) != PAY_STORE_OK) {
                    snprintf(err, errlen, "cannot wrap a stored security key");
                    ok = false;
                } else {
                    (*wrapped)++;
                }
            }
            OPENSSL_cleanse(buf, sizeof buf);
        }
        if (job.n) job.after = job.rows[job.n - 1].id;
        OPENSSL_cleanse(job.rows, sizeof job.rows);
    } while (ok && job.n == 64);
    return ok;
}
