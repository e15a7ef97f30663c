/*
 * The domain service: what the HTTP layer (and the CLI subcommands) call.
 * pay_core bundles the store, the clock and the domain settings; pay_actor is
 * who is asking (merchant + environment) and when, by the merchant's clock.
 * Domain functions return true on success, or false with a pay_fault that
 * carries the wire error code and detail. They know nothing of HTTP.
 */
#ifndef PAY_CORE_H
#define PAY_CORE_H

#include <stdbool.h>

#include "core/apierr.h"
#include "core/clock.h"
#include "core/model.h"
#include "store/store.h"

typedef struct pay_calendar pay_calendar;
typedef struct pay_inflight pay_inflight;
typedef struct pay_worker pay_worker;
typedef struct pay_vault pay_vault;
typedef struct pay_traces pay_traces;
typedef struct pay_ratelimiter pay_ratelimiter;
typedef struct pay_authcache pay_authcache;

#define PAY_IAT_WINDOW_DEFAULT_US (INT64_C(10) * 60 * 1000000) /* ±10 min, spec §10 #3 */

/* Tunables an operator may set; zero-initialised means the defaults. */
/* Spec §7: the test environment allows 100 requests per minute per API. */
#define PAY_RATE_TEST_DEFAULT 100
#define PAY_RATE_LIVE_DEFAULT 1000 /* "abnormal volume" is not published; ours */
#define PAY_RATE_IP_DEFAULT 1200   /* per client address, before authentication */

typedef struct pay_settings {
    int64_t iat_window_us; /* accepted |iat - now|; nonces are kept twice as long */
    /* Requests per minute: per secret key and route in each environment, and
     * per client address; 0 = unlimited. */
    unsigned rate_per_minute[2];
    unsigned rate_per_ip;
} pay_settings;

typedef struct pay_core {
    pay_store *store;
    const pay_clock *clock;
    const pay_calendar *calendar; /* Korean business days (core/calendar.h) */
    const pay_vault *vault;       /* wraps security keys at rest (core/vault.h) */
    pay_inflight *inflight;       /* idempotent requests running (core/idempotency.h) */
    pay_worker *webhook_worker;   /* kicked when events are due; may be NULL */
    pay_worker *scheduler_worker; /* may be NULL */
    pay_traces *traces;           /* recent requests for support (core/traces.h); may be NULL */
    pay_ratelimiter *limiter;     /* token buckets (core/ratelimit.h); may be NULL */
    pay_authcache *authcache;     /* keys and merchants by key (core/authcache.h); may be NULL */
    pay_settings settings;
} pay_core;

/* Work a caller wants committed atomically with a domain change, inside the
 * same write transaction. `first` runs before the change is examined (the
 * HTTP layer claims the request's JWE nonce there, so a replayed token is
 * refused as a replay before any business rule sees it); `fn` runs after the
 * change succeeded (the idempotent response is stored there, so a crash can
 * never separate a payout from the record that it was made). Either may be
 * NULL; an ABORT from `first` rolls the job back untouched. */
typedef struct pay_commit_hook {
    pay_store_rc (*first)(pay_tx *tx, void *arg);
    pay_store_rc (*fn)(pay_tx *tx, void *arg);
    void *arg;
} pay_commit_hook;

typedef struct pay_actor {
    pay_merchant merchant;
    pay_env env;
    pay_scope scope;
    int64_t now_us; /* business time: the merchant's clock in this environment */
    const char *trace_id;
    int64_t api_key_id;               /* the secret key that authenticated */
    const pay_commit_hook *on_commit; /* NULL = none */
} pay_actor;

/* Runs the first half of the actor's commit hook; call first in a write job. */
static inline pay_store_rc pay_actor_begin(pay_tx *tx, const pay_actor *a)
{
    return a->on_commit && a->on_commit->first ? a->on_commit->first(tx, a->on_commit->arg)
                                               : PAY_STORE_OK;
}

/* Runs the second half of the actor's commit hook; call last in a write job. */
static inline pay_store_rc pay_actor_commit(pay_tx *tx, const pay_actor *a)
{
    return a->on_commit && a->on_commit->fn ? a->on_commit->fn(tx, a->on_commit->arg)
                                            : PAY_STORE_OK;
}

/* Fills actor->scope and actor->now_us from merchant and env. */
void pay_actor_init(pay_actor *actor, const pay_core *core, const pay_merchant *merchant,
                    pay_env env, const char *trace_id);

/* Maps a storage failure to a wire fault (503 when retrying can help). */
void pay_fault_from_store(pay_fault *f, pay_store_rc rc);

#endif
