/*
 * Merchants and their keys. A merchant has a MID, a payout-contract flag and,
 * per environment, a secret key (Basic auth), a client key (browser SDK, not
 * accepted by this API) and a security key (JWE + webhook HMAC). Secret and
 * client keys are stored only as SHA-256 hashes: they are random 166-bit
 * strings, so a slow password hash would add latency without adding safety.
 * Keys are shown once, when issued.
 */
#ifndef PAY_MERCHANTS_H
#define PAY_MERCHANTS_H

#include <stdbool.h>

#include "core/core.h"
#include "payout/jwe.h"

#define PAY_API_KEY_RANDOM_LEN 28 /* characters after test_sk_ / live_ck_ ... */
#define PAY_API_KEY_BUF 72 /* also holds a 64-hex security key */
#define PAY_SECURITY_KEYS_MAX 2   /* at most two valid at once (spec §2.2) */
/* Largest single credit, and the most one scope may ever be credited in all:
 * far above any real balance, far below int64 overflow in the ledger. */
#define PAY_CREDIT_MAX INT64_C(1000000000000)
#define PAY_FUNDING_TOTAL_MAX INT64_C(1000000000000000)

typedef struct pay_issued_keys {
    char secret[2][PAY_API_KEY_BUF]; /* indexed by pay_env */
    char client[2][PAY_API_KEY_BUF];
    char security[2][PAY_KEY_HEX_LEN + 1];
} pay_issued_keys;

typedef struct pay_merchant_spec {
    const char *mid;      /* NULL: generated */
    bool payout_contract;
    int64_t test_funding; /* won credited to the test available balance */
} pay_merchant_spec;

/* Creates a merchant with fresh keys for both environments. On success the
 * clear keys are in *keys (wipe them after showing them). */
bool pay_merchant_create(pay_core *core, const pay_merchant_spec *spec, pay_merchant *out,
                         pay_issued_keys *keys, pay_fault *fault);
void pay_issued_keys_wipe(pay_issued_keys *keys);

/* Prints keys as the JSON object of `payoutd merchant create --json`. */
char *pay_issued_keys_json(const pay_merchant *m, const pay_issued_keys *keys);

typedef enum pay_auth_result {
    PAY_AUTH_OK = 0,
    PAY_AUTH_UNKNOWN_KEY,  /* not a key we issued (or revoked/expired) */
    PAY_AUTH_WRONG_KIND,   /* a client/widget key where a secret key is needed */
    PAY_AUTH_STORE_ERROR,
} pay_auth_result;

/* Finds the merchant and environment of a secret key string. */
pay_auth_result pay_merchant_authenticate(pay_core *core, const char *key, size_t len,
                                          pay_merchant *merchant, pay_env *env, int64_t *key_id,
                                          pay_store_rc *store_rc);

/* The valid security keys of a scope at now_us (the scope's clock), newest
 * first (1, or 2 during a rotation), unwrapped from the vault. */
pay_store_rc pay_merchant_security_keys(pay_core *core, pay_scope scope, int64_t now_us,
                                        pay_key keys[PAY_SECURITY_KEYS_MAX], size_t *n);

/* The recent security keys of a scope, expired ones included, for telling
 * an integrator that a token was sealed with a previous key. */
#define PAY_KEY_HISTORY_MAX 4
typedef struct pay_key_history {
    pay_key keys[PAY_KEY_HISTORY_MAX];
    bool expired[PAY_KEY_HISTORY_MAX];
    size_t n;
} pay_key_history;
pay_store_rc pay_merchant_key_history(pay_core *core, pay_scope scope, int64_t now_us,
                                      pay_key_history *h);
void pay_key_history_wipe(pay_key_history *h);

/* Key rotation (spec §2.2): issues a new secret or security key; the
 * current one stays valid for 7 days of the scope's clock. Refused while a
 * previous key is still in its 7 days. The new key is in out (wipe it). */
#define PAY_KEY_OVERLAP_US (INT64_C(7) * 86400 * 1000000)
bool pay_merchant_rotate_key(pay_core *core, pay_scope scope, pay_key_kind kind, int64_t now_us,
                             char out[PAY_API_KEY_BUF], int64_t *old_expires_at, pay_fault *f);

/* At startup: wraps security keys stored before the vault existed, and
 * checks that the master key opens every wrapped one. */
bool pay_merchant_protect_keys(pay_core *core, int *wrapped, char *err, size_t errlen);

/* SHA-256 of a key string, the form in which it is stored. */
void pay_key_lookup_hash(const char *key, size_t len, uint8_t out[32]);

#endif
