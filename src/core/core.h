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

typedef struct pay_core {
    pay_store *store;
    const pay_clock *clock;
} pay_core;

typedef struct pay_actor {
    pay_merchant merchant;
    pay_env env;
    pay_scope scope;
    int64_t now_us; /* business time: the merchant's clock in this environment */
    const char *trace_id;
} pay_actor;

/* Fills actor->scope and actor->now_us from merchant and env. */
void pay_actor_init(pay_actor *actor, const pay_core *core, const pay_merchant *merchant,
                    pay_env env, const char *trace_id);

/* Maps a storage failure to a wire fault (503 when retrying can help). */
void pay_fault_from_store(pay_fault *f, pay_store_rc rc);

#endif
