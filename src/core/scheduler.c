#include "core/scheduler.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "core/events.h"
#include "core/ledger.h"
#include "core/sandbox.h"

#define DUE_BATCH 128         /* payouts moved per write transaction */
#define MERCHANT_PAGE 256     /* merchants read per store call */
#define MAX_ROUNDS 64         /* bound on catch-up rounds per scope and run */
#define IDEMPOTENCY_KEEP_US (INT64_C(15) * 86400 * 1000000) /* spec §7: 15 days */
#define PRUNE_EVERY_US (INT64_C(60) * 1000000) /* expired keys and nonces, by real time */

typedef struct due_job {
    pay_scope scope;
    int64_t now_us;
    int moved;
} due_job;

/* One payout's due step. Transition times are the due times, not `now`, so
 * a clock advanced by a week replays the week in order. */
static pay_store_rc step(pay_tx *tx, pay_payout *p)
{
    int64_t at = p->due_at_us;
    pay_store_rc rc;
    if (p->status == PAY_PAYOUT_REQUESTED) {
        p->status = PAY_PAYOUT_IN_PROGRESS;
        p->updated_at_us = at;
        p->due_at_us = at + pay_sandbox_bank_step_us(p);
        return tx->ops->payout_update(tx, p);
    }
    /* IN_PROGRESS: the bank step ends. Test mode asks the sandbox; live
     * mode has no bank connector yet and completes (docs/DECISIONS.md). */
    bool ok = true;
    if (p->scope.env == PAY_ENV_TEST) {
        pay_seller dest = {0};
        rc = tx->ops->seller_get(tx, p->scope, p->destination, &dest);
        if (rc != PAY_STORE_OK && rc != PAY_STORE_NOTFOUND) return rc;
        ok = pay_sandbox_bank_outcome(p, rc == PAY_STORE_OK ? &dest : NULL, p->error_code,
                                      p->error_message);
        pay_seller_clear(&dest);
    }
    p->status = ok ? PAY_PAYOUT_COMPLETED : PAY_PAYOUT_FAILED;
    p->updated_at_us = at;
    p->due_at_us = 0;
    if ((rc = tx->ops->payout_update(tx, p)) != PAY_STORE_OK) return rc;
    rc = ok ? pay_ledger_move(tx, p->scope, "payout_complete", p->id, at, PAY_ACCT_RESERVED,
                              PAY_ACCT_PAID_OUT, p->amount)
            : pay_ledger_move(tx, p->scope, "payout_release", p->id, at, PAY_ACCT_RESERVED,
                              PAY_ACCT_AVAILABLE, p->amount);
    if (rc != PAY_STORE_OK) return rc;
    return pay_event_payout_changed(tx, at, p);
}

static pay_store_rc due_fn(pay_tx *tx, void *arg)
{
    due_job *job = arg;
    pay_payout batch[DUE_BATCH];
    size_t n = 0;
    job->moved = 0;
    pay_store_rc rc = tx->ops->payout_due(tx, job->scope, job->now_us, batch, DUE_BATCH, &n);
    for (size_t i = 0; rc == PAY_STORE_OK && i < n; i++) {
        rc = step(tx, &batch[i]);
        if (rc == PAY_STORE_OK) job->moved++;
    }
    for (size_t i = 0; i < n; i++) pay_payout_clear(&batch[i]);
    return rc;
}

static pay_store_rc settle_fn(pay_tx *tx, void *arg)
{
    due_job *job = arg;
    pay_credit due[DUE_BATCH];
    size_t n = 0;
    job->moved = 0;
    pay_store_rc rc = tx->ops->credit_due(tx, job->scope, pay_kst_date(job->now_us), due,
                                          DUE_BATCH, &n);
    for (size_t i = 0; rc == PAY_STORE_OK && i < n; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "credit %lld", (long long)due[i].id);
        rc = tx->ops->credit_settle(tx, due[i].id);
        if (rc == PAY_STORE_OK)
            rc = pay_ledger_move(tx, job->scope, "settle", ref, job->now_us, PAY_ACCT_PENDING,
                                 PAY_ACCT_AVAILABLE, due[i].amount);
        if (rc == PAY_STORE_OK) job->moved++;
    }
    return rc;
}

/* Whether a scope has anything due, read on a reader connection: most
 * ticks find nothing, and then queue nothing for the one writer (a write
 * job per merchant every tick would grow with the number of merchants). */
static pay_store_rc peek_fn(pay_tx *tx, void *arg)
{
    due_job *job = arg;
    pay_payout p;
    memset(&p, 0, sizeof p);
    size_t n = 0;
    pay_store_rc rc = tx->ops->payout_due(tx, job->scope, job->now_us, &p, 1, &n);
    if (n) pay_payout_clear(&p);
    if (rc != PAY_STORE_OK || n) {
        job->moved = (int)n;
        return rc;
    }
    pay_credit c;
    rc = tx->ops->credit_due(tx, job->scope, pay_kst_date(job->now_us), &c, 1, &n);
    job->moved = (int)n;
    return rc;
}

bool pay_scheduler_run_scope(pay_core *core, pay_scope scope, int64_t now_us, int *moved)
{
    due_job job = {scope, now_us, 0};
    int total = 0;
    if (moved) *moved = 0;
    /* A failed read falls through to the writes, which report the error. */
    if (pay_store_read(core->store, peek_fn, &job) == PAY_STORE_OK && job.moved == 0) return true;
    for (int round = 0; round < MAX_ROUNDS; round++) {
        pay_store_rc rc = pay_store_write(core->store, due_fn, &job);
        if (rc != PAY_STORE_OK) {
            pay_log_error("scheduler: merchant %lld %s: %s", (long long)scope.merchant_id,
                          pay_env_name(scope.env), pay_store_rc_name(rc));
            return false;
        }
        total += job.moved;
        if (job.moved == 0) break;
    }
    pay_store_rc rc = pay_store_write(core->store, settle_fn, &job);
    if (rc != PAY_STORE_OK) {
        pay_log_error("scheduler: settlement of merchant %lld: %s", (long long)scope.merchant_id,
                      pay_store_rc_name(rc));
        return false;
    }
    total += job.moved;
    if (moved) *moved = total;
    return true;
}

typedef struct page_job {
    int64_t after;
    pay_merchant *out;
    size_t n;
} page_job;

static pay_store_rc page_fn(pay_tx *tx, void *arg)
{
    page_job *job = arg;
    return tx->ops->merchant_list(tx, job->after, job->out, MERCHANT_PAGE, &job->n);
}

bool pay_for_each_scope(pay_core *core, bool (*fn)(pay_core *, const pay_merchant *, pay_env, void *),
                        void *arg)
{
    pay_merchant *page = calloc(MERCHANT_PAGE, sizeof *page);
    if (!page) return false;
    page_job job = {0, page, 0};
    bool ok = true;
    do {
        if (pay_store_read(core->store, page_fn, &job) != PAY_STORE_OK) {
            ok = false;
            break;
        }
        for (size_t i = 0; i < job.n && ok; i++)
            for (int env = 0; env < 2 && ok; env++) ok = fn(core, &page[i], (pay_env)env, arg);
        if (job.n) job.after = page[job.n - 1].id;
    } while (ok && job.n == MERCHANT_PAGE);
    free(page);
    return ok;
}

/* One scheduler run at a time per process: a clock move and the steps it
 * reports are not interleaved with a background tick's. */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

void pay_scheduler_lock(void)
{
    pthread_mutex_lock(&run_lock);
}

void pay_scheduler_unlock(void)
{
    pthread_mutex_unlock(&run_lock);
}

static bool run_one(pay_core *core, const pay_merchant *m, pay_env env, void *arg)
{
    (void)arg;
    pay_scope scope = {m->id, env};
    pay_scheduler_lock();
    pay_scheduler_run_scope(core, scope, pay_clock_now(core->clock, m, env), NULL);
    pay_scheduler_unlock();
    return true; /* one scope's failure is logged; the others still run */
}

static pay_store_rc prune_nonces_fn(pay_tx *tx, void *arg)
{
    return tx->ops->nonce_prune(tx, *(int64_t *)arg);
}

typedef struct prune_job {
    pay_scope scope;
    int64_t before_us;
} prune_job;

static pay_store_rc prune_idem_fn(pay_tx *tx, void *arg)
{
    prune_job *job = arg;
    return tx->ops->idem_prune(tx, job->scope, job->before_us);
}

/* Idempotency records older than 15 days by the scope's clock. Lookups
 * check the age themselves; this only frees the space. */
static bool prune_one(pay_core *core, const pay_merchant *m, pay_env env, void *arg)
{
    (void)arg;
    prune_job job = {{m->id, env}, pay_clock_now(core->clock, m, env) - IDEMPOTENCY_KEEP_US};
    pay_store_rc rc = pay_store_write(core->store, prune_idem_fn, &job);
    if (rc != PAY_STORE_OK)
        pay_log_warn("scheduler: idempotency pruning of merchant %lld: %s", (long long)m->id,
                     pay_store_rc_name(rc));
    return true;
}

/* Pruning is cleanup, not correctness: once a minute is enough. */
static int64_t last_prune_us = INT64_MIN;

static void run_all(pay_core *core, bool prune_now)
{
    pay_for_each_scope(core, run_one, NULL);
    int64_t now = pay_mono_now_us();
    int64_t last = __atomic_load_n(&last_prune_us, __ATOMIC_ACQUIRE);
    if (!prune_now && ((last != INT64_MIN && now - last < PRUNE_EVERY_US) ||
                       !__atomic_compare_exchange_n(&last_prune_us, &last, now, false,
                                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)))
        return;
    pay_for_each_scope(core, prune_one, NULL);
    /* Nonces matter for twice the iat window (spec §10 #3), by real time. */
    int64_t window = core->settings.iat_window_us ? core->settings.iat_window_us
                                                  : PAY_IAT_WINDOW_DEFAULT_US;
    int64_t before = pay_clock_real(core->clock) - 2 * window;
    pay_store_rc rc = pay_store_write(core->store, prune_nonces_fn, &before);
    if (rc != PAY_STORE_OK) pay_log_warn("scheduler: nonce pruning: %s", pay_store_rc_name(rc));
}

void pay_scheduler_run_all(pay_core *core)
{
    run_all(core, false);
}

void pay_scheduler_run_all_now(pay_core *core)
{
    run_all(core, true);
}

/* ---- background thread ---------------------------------------------------- */

struct pay_worker {
    pay_core *core;
    void (*tick)(pay_core *core);
    unsigned interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    bool kicked;
};

static void *worker_main(void *arg)
{
    pay_worker *w = arg;
    for (;;) {
        w->tick(w->core);
        pthread_mutex_lock(&w->lock);
        if (!w->stopping && !w->kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)(w->interval_ms % 1000) * 1000000L;
            until.tv_sec += w->interval_ms / 1000 + until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&w->cond, &w->lock, &until);
        }
        w->kicked = false;
        bool stop = w->stopping;
        pthread_mutex_unlock(&w->lock);
        if (stop) break;
    }
    return NULL;
}

pay_worker *pay_worker_start(pay_core *core, void (*tick)(pay_core *core), unsigned interval_ms)
{
    pay_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->core = core;
    w->tick = tick;
    w->interval_ms = interval_ms ? interval_ms : 1000;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return NULL;
    }
    return w;
}

void pay_worker_kick(pay_worker *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->kicked = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void pay_worker_stop(pay_worker *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
