/*
 * Time moves things: the scheduler applies every transition that is due by
 * each merchant's clock — SCHEDULED payouts start (REQUESTED -> IN_PROGRESS),
 * bank steps end (-> COMPLETED | FAILED, money to paid_out or back to
 * available, payout.changed), pending credits settle (pending -> available),
 * and old idempotency records are pruned. It runs in a background worker and,
 * synchronously, whenever an operator moves a sandbox clock, so tests move
 * time instead of sleeping.
 */
#ifndef PAY_SCHEDULER_H
#define PAY_SCHEDULER_H

#include <stdbool.h>

#include "core/core.h"

/* Applies everything due in one scope at now_us (business time). Looks on a
 * reader first and queues writes only when something is due. */
bool pay_scheduler_run_scope(pay_core *core, pay_scope scope, int64_t now_us, int *moved);

/* Held around each scope's run by the background tick. A caller that moves
 * a merchant's clock holds it across the move and its own run, so that the
 * steps it reports are all of them. Not recursive. */
void pay_scheduler_lock(void);
void pay_scheduler_unlock(void);

/* Every merchant, both environments, each at its own clock; at most once a
 * minute also prunes idempotency records past 15 days and nonces past the
 * replay window (the worker's tick). */
void pay_scheduler_run_all(pay_core *core);
/* The same, pruning now (POST /admin/v1/scheduler/run). */
void pay_scheduler_run_all_now(pay_core *core);

/* Calls fn for every merchant and environment; stops when fn returns false. */
bool pay_for_each_scope(pay_core *core, bool (*fn)(pay_core *, const pay_merchant *, pay_env, void *),
                        void *arg);

/* A background thread calling tick(core) every interval_ms, or sooner when
 * kicked. Used for the scheduler and the webhook sender. */
typedef struct pay_worker pay_worker;
pay_worker *pay_worker_start(pay_core *core, void (*tick)(pay_core *core), unsigned interval_ms);
void pay_worker_kick(pay_worker *w);
void pay_worker_stop(pay_worker *w); /* NULL is a no-op; waits for the current tick */

#endif
