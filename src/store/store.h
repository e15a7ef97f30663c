/*
 * The store: durable state behind a table of function pointers, one
 * implementation per engine (store_sqlite.c today). The domain never sees
 * SQL or an engine type.
 *
 * Transactions: all work runs inside a callback.
 *   - pay_store_write(store, fn, arg) (or write_async, which calls back
 *     instead of blocking): fn runs in a serialized write
 *     transaction. Several concurrent writes may share one durable commit
 *     (group commit); each runs in its own savepoint, so a job that returns
 *     anything but PAY_STORE_OK is rolled back alone. When pay_store_write
 *     returns PAY_STORE_OK the job's changes are committed and on disk.
 *   - pay_store_read(store, fn, arg): fn runs in a read snapshot.
 * Data operations take the pay_tx handed to the callback and are only valid
 * inside it. Output structs are filled on PAY_STORE_OK only.
 *
 * Thread-safety: pay_store_read/write may be called from any thread;
 * a pay_tx belongs to the callback that received it.
 */
#ifndef PAY_STORE_H
#define PAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef enum pay_store_rc {
    PAY_STORE_OK = 0,
    PAY_STORE_NOTFOUND = 1,
    PAY_STORE_CONFLICT = 2, /* a uniqueness or balance constraint refused the change */
    PAY_STORE_ABORT = 3,    /* the job refused (business rule); nothing applied */
    PAY_STORE_FULL = 4,     /* the disk is full; nothing applied */
    PAY_STORE_BUSY = 5,     /* locked by another process for too long */
    PAY_STORE_IO = 6,       /* any other storage failure; nothing applied */
    PAY_STORE_NOMEM = 7,
} pay_store_rc;

const char *pay_store_rc_name(pay_store_rc rc);

typedef struct pay_store pay_store;
typedef struct pay_tx pay_tx;
typedef struct pay_store_ops pay_store_ops;

typedef pay_store_rc (*pay_tx_fn)(pay_tx *tx, void *arg);

/* Called from the writer thread once an asynchronous write has committed
 * (rc PAY_STORE_OK) or failed; must not block. */
typedef void (*pay_store_done_fn)(void *arg, pay_store_rc rc);

/* One ledger entry: a signed amount on one account. */
typedef struct pay_entry {
    pay_account account;
    int64_t amount;
} pay_entry;

/* Ledger totals of one scope, for invariant checks. */
typedef struct pay_ledger_audit {
    int64_t balance[PAY_ACCT_COUNT + 1];     /* stored balance per account */
    int64_t entry_sum[PAY_ACCT_COUNT + 1];   /* sum of its entries */
    int64_t unbalanced_txns;                 /* transactions whose entries do not sum to 0 */
} pay_ledger_audit;

struct pay_store_ops {
    const char *engine;
    void (*close)(pay_store *store);
    pay_store_rc (*read)(pay_store *store, pay_tx_fn fn, void *arg);
    pay_store_rc (*write)(pay_store *store, pay_tx_fn fn, void *arg);
    /* Queues fn like write, without waiting: done(done_arg, rc) follows the
     * commit. Returns PAY_STORE_OK when queued (done will be called). */
    pay_store_rc (*write_async)(pay_store *store, pay_tx_fn fn, void *arg, pay_store_done_fn done,
                                void *done_arg);

    /* merchants */
    pay_store_rc (*merchant_insert)(pay_tx *tx, pay_merchant *m); /* sets m->id */
    pay_store_rc (*merchant_get)(pay_tx *tx, int64_t id, pay_merchant *out);
    pay_store_rc (*merchant_get_by_mid)(pay_tx *tx, const char *mid, pay_merchant *out);
    pay_store_rc (*merchant_count)(pay_tx *tx, int64_t *count);
    /* Contract flag and sandbox clock offset. */
    pay_store_rc (*merchant_update)(pay_tx *tx, const pay_merchant *m);
    /* Merchants with id > after_id in id order, at most cap. */
    pay_store_rc (*merchant_list)(pay_tx *tx, int64_t after_id, pay_merchant *out, size_t cap,
                                  size_t *n);

    /* API keys */
    pay_store_rc (*key_insert)(pay_tx *tx, pay_api_key *k); /* sets k->id */
    pay_store_rc (*key_find)(pay_tx *tx, const uint8_t lookup[32], pay_api_key *out);
    /* Keys of one kind, newest first, that have not expired at now_us
     * (now_us < 0: expired ones too). */
    pay_store_rc (*key_list)(pay_tx *tx, pay_scope scope, pay_key_kind kind, int64_t now_us,
                             pay_api_key *out, size_t cap, size_t *n);
    pay_store_rc (*key_expire)(pay_tx *tx, int64_t id, int64_t expires_at_us);
    pay_store_rc (*key_set_material)(pay_tx *tx, int64_t id, const uint8_t *material, size_t len);
    /* Every key of a kind with id > after_id, in id order (maintenance scans). */
    pay_store_rc (*key_all_of_kind)(pay_tx *tx, pay_key_kind kind, int64_t after_id,
                                    pay_api_key *out, size_t cap, size_t *n);

    /* JWE nonces seen (replay protection, spec §10 #3): CONFLICT when the
     * hash was already claimed in the scope. Pruned by age. nonce_seen
     * only looks (CONFLICT when claimed, OK when not). */
    pay_store_rc (*nonce_claim)(pay_tx *tx, pay_scope scope, const uint8_t hash[32],
                                int64_t now_us);
    pay_store_rc (*nonce_seen)(pay_tx *tx, pay_scope scope, const uint8_t hash[32]);
    pay_store_rc (*nonce_prune)(pay_tx *tx, int64_t before_us);

    /* sellers; insert returns CONFLICT when refSellerId was ever used */
    pay_store_rc (*seller_insert)(pay_tx *tx, const pay_seller *s);
    pay_store_rc (*seller_get)(pay_tx *tx, pay_scope scope, const char *id, pay_seller *out);
    /* status and deleted flag only: the payout path's check, without
     * decoding the seller's JSON documents */
    pay_store_rc (*seller_state)(pay_tx *tx, pay_scope scope, const char *id,
                                 pay_seller_status *status, bool *deleted);
    /* Rewrites a stored seller (matched by id and scope). */
    pay_store_rc (*seller_update)(pay_tx *tx, const pay_seller *s);
    /* The list position of a seller id, deleted or not (for cursors). */
    pay_store_rc (*seller_seq)(pay_tx *tx, pay_scope scope, const char *id, int64_t *seq);
    /* Non-deleted sellers after a position, oldest first. */
    pay_store_rc (*seller_list)(pay_tx *tx, pay_scope scope, int64_t after_seq, size_t limit,
                                pay_seller *out, size_t *n, int64_t *last_seq);
    /* Sum of a seller's payouts requested since since_us, failed and
     * cancelled ones excepted (the weekly limit, spec §1.2). */
    pay_store_rc (*seller_recent_total)(pay_tx *tx, pay_scope scope, const char *seller_id,
                                        int64_t since_us, int64_t *sum);
    /* Number of a seller's payouts still REQUESTED or IN_PROGRESS. */
    pay_store_rc (*seller_open_payouts)(pay_tx *tx, pay_scope scope, const char *seller_id,
                                        int64_t *count);

    /* payouts; insert returns CONFLICT when refPayoutId was ever used */
    pay_store_rc (*payout_insert)(pay_tx *tx, const pay_payout *p);
    pay_store_rc (*payout_get)(pay_tx *tx, pay_scope scope, const char *id, pay_payout *out);
    pay_store_rc (*payout_ref_exists)(pay_tx *tx, pay_scope scope, const char *ref, int *exists);
    /* Status, error, due time and update time of a stored payout. */
    pay_store_rc (*payout_update)(pay_tx *tx, const pay_payout *p);
    pay_store_rc (*payout_seq)(pay_tx *tx, pay_scope scope, const char *id, int64_t *seq);
    /* Payouts after a position, oldest first, with payout_date within
     * [date_gte, date_lte] (INT32_MIN / INT32_MAX for no bound). */
    pay_store_rc (*payout_list)(pay_tx *tx, pay_scope scope, int64_t after_seq, int32_t date_gte,
                                int32_t date_lte, size_t limit, pay_payout *out, size_t *n,
                                int64_t *last_seq);
    /* REQUESTED or IN_PROGRESS payouts whose due time is <= now_us, earliest first. */
    pay_store_rc (*payout_due)(pay_tx *tx, pay_scope scope, int64_t now_us, pay_payout *out,
                               size_t cap, size_t *n);

    /* ledger */
    pay_store_rc (*balance_get)(pay_tx *tx, pay_scope scope, pay_account account, int64_t *out);
    /* Records one transaction and applies its entries to the balances.
     * CONFLICT when an internal account would go below zero. The caller
     * (core/ledger.c) guarantees the entries sum to zero. */
    pay_store_rc (*ledger_post)(pay_tx *tx, pay_scope scope, const char *kind, const char *ref,
                                int64_t at_us, const pay_entry *entries, size_t n);
    pay_store_rc (*ledger_audit)(pay_tx *tx, pay_scope scope, pay_ledger_audit *out);

    /* settlement credits */
    pay_store_rc (*credit_insert)(pay_tx *tx, pay_credit *c); /* sets c->id */
    /* Unsettled credits whose settle_date <= today. */
    pay_store_rc (*credit_due)(pay_tx *tx, pay_scope scope, int32_t today, pay_credit *out,
                               size_t cap, size_t *n);
    pay_store_rc (*credit_settle)(pay_tx *tx, int64_t id);

    /* webhooks: one URL per scope; events are the durable outbox */
    pay_store_rc (*endpoint_get)(pay_tx *tx, pay_scope scope, char *url, size_t cap);
    /* url NULL removes the endpoint */
    pay_store_rc (*endpoint_set)(pay_tx *tx, pay_scope scope, const char *url, int64_t now_us);
    pay_store_rc (*event_insert)(pay_tx *tx, const pay_webhook_event *e);
    /* Delivery state (status, attempts, times, last result) of a stored event. */
    pay_store_rc (*event_update)(pay_tx *tx, const pay_webhook_event *e);
    pay_store_rc (*event_get)(pay_tx *tx, pay_scope scope, const char *event_id,
                              pay_webhook_event *out);
    /* PENDING events whose next attempt is due at now_us, oldest first. */
    pay_store_rc (*event_due)(pay_tx *tx, pay_scope scope, int64_t now_us,
                              pay_webhook_event *out, size_t cap, size_t *n);
    /* Newest first, before position before_seq (0 = from the newest). */
    pay_store_rc (*event_list)(pay_tx *tx, pay_scope scope, int64_t before_seq, size_t limit,
                               pay_webhook_event *out, size_t *n);

    /* idempotency records */
    pay_store_rc (*idem_get)(pay_tx *tx, const uint8_t scope_hash[32], pay_idem_record *out);
    pay_store_rc (*idem_put)(pay_tx *tx, const pay_idem_record *r); /* insert or replace */
    pay_store_rc (*idem_prune)(pay_tx *tx, pay_scope scope, int64_t before_us);
};

struct pay_store {
    const pay_store_ops *ops;
};

struct pay_tx {
    const pay_store_ops *ops;
};

typedef struct pay_store_config {
    const char *path;       /* database file */
    unsigned read_conns;    /* size of the read connection pool */
    unsigned batch_max;     /* most write jobs sharing one commit */
} pay_store_config;

/* Opens (creating and migrating if needed) an SQLite store. NULL on error,
 * with a message in errbuf. */
pay_store *pay_store_sqlite_open(const pay_store_config *cfg, char *errbuf, size_t errlen);

static inline pay_store_rc pay_store_read(pay_store *s, pay_tx_fn fn, void *arg)
{
    return s->ops->read(s, fn, arg);
}

static inline pay_store_rc pay_store_write(pay_store *s, pay_tx_fn fn, void *arg)
{
    return s->ops->write(s, fn, arg);
}

static inline void pay_store_close(pay_store *s)
{
    if (s) s->ops->close(s);
}

#endif
