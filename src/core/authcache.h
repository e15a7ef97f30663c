/*
 * A cache of what authentication reads on every request: the secret key's
 * row and its merchant (by the key's SHA-256), and the unwrapped security
 * keys of a scope. Without it each request costs two database reads and an
 * AES unwrap before any work. Entries are dropped all at once whenever this
 * process changes a merchant or a key (pay_authcache_clear); expiry times are
 * still checked on every use. A payoutd owns its database file, so no other
 * process changes merchants under it (`payoutd merchant create` only adds,
 * and misses are never cached).
 * Thread-safety: internally locked.
 */
#ifndef PAY_AUTHCACHE_H
#define PAY_AUTHCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "payout/jwe.h"

#define PAY_AUTHCACHE_SLOTS 4096

typedef struct pay_authcache pay_authcache;

pay_authcache *pay_authcache_new(void);
void pay_authcache_free(pay_authcache *c);
void pay_authcache_clear(pay_authcache *c);

bool pay_authcache_get_key(pay_authcache *c, const uint8_t lookup[32], pay_api_key *key,
                           pay_merchant *merchant);
void pay_authcache_put_key(pay_authcache *c, const pay_api_key *key, const pay_merchant *merchant);

/* The valid security keys of a scope with their expiry (0 = none). */
bool pay_authcache_get_security(pay_authcache *c, pay_scope scope, pay_key *keys,
                                int64_t *expires, size_t *n);
void pay_authcache_put_security(pay_authcache *c, pay_scope scope, const pay_key *keys,
                                const int64_t *expires, size_t n);

#endif
