#include "core/merchants.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/ids.h"
#include "common/text.h"
#include "core/ledger.h"

void pay_key_lookup_hash(const char *key, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_Digest(key, len, out, &n, EVP_sha256(), NULL);
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
} create_job;

static pay_store_rc insert_key(pay_tx *tx, int64_t merchant_id, pay_env env, pay_key_kind kind,
                               const char *text, int64_t now)
{
    pay_api_key k;
    memset(&k, 0, sizeof k);
    k.merchant_id = merchant_id;
    k.env = env;
    k.kind = kind;
    k.created_at_us = now;
    hint_of(text, k.hint);
    if (kind == PAY_KEY_SECURITY) {
        pay_key key;
        if (pay_key_from_hex(&key, text, strlen(text), NULL) != PAY_OK) return PAY_STORE_IO;
        memcpy(k.material, key.bytes, key.len);
        k.material_len = key.len;
        pay_key_wipe(&key);
    } else {
        pay_key_lookup_hash(text, strlen(text), k.lookup);
    }
    pay_store_rc rc = tx->ops->key_insert(tx, &k);
    OPENSSL_cleanse(k.material, sizeof k.material);
    return rc;
}

static pay_store_rc create_fn(pay_tx *tx, void *arg)
{
    create_job *job = arg;
    pay_store_rc rc = tx->ops->merchant_insert(tx, &job->m);
    if (rc != PAY_STORE_OK) return rc;
    for (int env = 0; env < 2; env++) {
        if ((rc = insert_key(tx, job->m.id, (pay_env)env, PAY_KEY_SECRET, job->keys->secret[env],
                             job->m.created_at_us)) != PAY_STORE_OK ||
            (rc = insert_key(tx, job->m.id, (pay_env)env, PAY_KEY_CLIENT, job->keys->client[env],
                             job->m.created_at_us)) != PAY_STORE_OK ||
            (rc = insert_key(tx, job->m.id, (pay_env)env, PAY_KEY_SECURITY,
                             job->keys->security[env], job->m.created_at_us)) != PAY_STORE_OK)
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
    pay_store_rc rc = pay_store_read(core->store, auth_fn, &job);
    if (store_rc) *store_rc = rc;
    if (rc == PAY_STORE_NOTFOUND) return PAY_AUTH_UNKNOWN_KEY;
    if (rc != PAY_STORE_OK) return PAY_AUTH_STORE_ERROR;
    /* The index found the row by hash; compare the full hash in constant
     * time anyway so no code path depends on a variable-time comparison. */
    if (!pay_ct_equal(job.key.lookup, job.lookup, sizeof job.lookup) ||
        job.key.kind != PAY_KEY_SECRET)
        return job.key.kind == PAY_KEY_CLIENT ? PAY_AUTH_WRONG_KIND : PAY_AUTH_UNKNOWN_KEY;
    int64_t now = pay_clock_real(core->clock);
    if (job.key.expires_at_us && job.key.expires_at_us <= now) return PAY_AUTH_UNKNOWN_KEY;
    *merchant = job.merchant;
    *env = job.key.env;
    *key_id = job.key.id;
    return PAY_AUTH_OK;
}

typedef struct seckey_job {
    pay_scope scope;
    int64_t now_us;
    pay_api_key rows[PAY_SECURITY_KEYS_MAX];
    size_t n;
} seckey_job;

static pay_store_rc seckey_fn(pay_tx *tx, void *arg)
{
    seckey_job *job = arg;
    return tx->ops->key_list(tx, job->scope, PAY_KEY_SECURITY, job->now_us, job->rows,
                             PAY_SECURITY_KEYS_MAX, &job->n);
}

pay_store_rc pay_merchant_security_keys(pay_core *core, pay_scope scope, int64_t now_us,
                                        pay_key keys[PAY_SECURITY_KEYS_MAX], size_t *n)
{
    seckey_job job;
    memset(&job, 0, sizeof job);
    job.scope = scope;
    job.now_us = now_us;
    pay_store_rc rc = pay_store_read(core->store, seckey_fn, &job);
    *n = 0;
    if (rc == PAY_STORE_OK) {
        for (size_t i = 0; i < job.n; i++)
            if (pay_key_from_bytes(&keys[*n], job.rows[i].material, job.rows[i].material_len,
                                   NULL) == PAY_OK)
                (*n)++;
        if (*n == 0) rc = PAY_STORE_NOTFOUND;
    }
    OPENSSL_cleanse(job.rows, sizeof job.rows);
    return rc;
}
