#include "core/authcache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SEC_MAX 2

typedef struct key_slot {
    bool used;
    pay_api_key key; /* material zeroed: secret keys have none in use here */
    pay_merchant merchant;
} key_slot;

typedef struct sec_slot {
    bool used;
    pay_scope scope;
    pay_key keys[SEC_MAX];
    int64_t expires[SEC_MAX];
    size_t n;
} sec_slot;

struct pay_authcache {
    pthread_mutex_t lock;
    key_slot keys[PAY_AUTHCACHE_SLOTS];
    sec_slot secs[PAY_AUTHCACHE_SLOTS];
};

pay_authcache *pay_authcache_new(void)
{
    pay_authcache *c = calloc(1, sizeof *c);
    if (c) pthread_mutex_init(&c->lock, NULL);
    return c;
}

void pay_authcache_free(pay_authcache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->lock);
    OPENSSL_cleanse(c->secs, sizeof c->secs);
    free(c);
}

void pay_authcache_clear(pay_authcache *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    memset(c->keys, 0, sizeof c->keys);
    OPENSSL_cleanse(c->secs, sizeof c->secs);
    pthread_mutex_unlock(&c->lock);
}

/* Direct-mapped: a collision simply replaces the older entry. */
static size_t key_slot_of(const uint8_t lookup[32])
{
    size_t i;
    memcpy(&i, lookup, sizeof i); /* SHA-256 bytes are uniform */
    return i % PAY_AUTHCACHE_SLOTS;
}

static size_t sec_slot_of(pay_scope scope)
{
    return ((size_t)scope.merchant_id * 2 + (size_t)scope.env) % PAY_AUTHCACHE_SLOTS;
}

bool pay_authcache_get_key(pay_authcache *c, const uint8_t lookup[32], pay_api_key *key,
                           pay_merchant *merchant)
{
    if (!c) return false;
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    key_slot *s = &c->keys[key_slot_of(lookup)];
    if (s->used && CRYPTO_memcmp(s->key.lookup, lookup, 32) == 0) {
        *key = s->key;
        *merchant = s->merchant;
        hit = true;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void pay_authcache_put_key(pay_authcache *c, const pay_api_key *key, const pay_merchant *merchant)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    key_slot *s = &c->keys[key_slot_of(key->lookup)];
    s->used = true;
    s->key = *key;
    OPENSSL_cleanse(s->key.material, sizeof s->key.material);
    s->key.material_len = 0;
    s->merchant = *merchant;
    pthread_mutex_unlock(&c->lock);
}

bool pay_authcache_get_security(pay_authcache *c, pay_scope scope, pay_key *keys,
                                int64_t *expires, size_t *n)
{
    if (!c) return false;
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    sec_slot *s = &c->secs[sec_slot_of(scope)];
    if (s->used && s->scope.merchant_id == scope.merchant_id && s->scope.env == scope.env) {
        for (size_t i = 0; i < s->n; i++) {
            keys[i] = s->keys[i];
            expires[i] = s->expires[i];
        }
        *n = s->n;
        hit = true;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void pay_authcache_put_security(pay_authcache *c, pay_scope scope, const pay_key *keys,
                                const int64_t *expires, size_t n)
{
    if (!c || n > SEC_MAX) return;
    pthread_mutex_lock(&c->lock);
    sec_slot *s = &c->secs[sec_slot_of(scope)];
    OPENSSL_cleanse(s, sizeof *s);
    s->used = true;
    s->scope = scope;
    for (size_t i = 0; i < n; i++) {
        s->keys[i] = keys[i];
        s->expires[i] = expires[i];
    }
    s->n = n;
    pthread_mutex_unlock(&c->lock);
}
