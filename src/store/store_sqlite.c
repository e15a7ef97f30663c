/*
 * SQLite engine of the store (store.h).
 *
 * Durability: WAL with synchronous=FULL, so a commit is fsync'd before
 * pay_store_write returns. Concurrency: one writer thread owns the write
 * connection and runs queued jobs; jobs that queue up while a commit is in
 * flight share the next transaction (group commit), each inside its own
 * SAVEPOINT so one job's refusal does not undo another's work. Readers take
 * a connection from a small pool and run in a read transaction (a snapshot;
 * WAL lets them proceed while the writer commits).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "store/sqlite_migrations.h"
#include "store/store.h"

/* ---- statements ---------------------------------------------------------- */

#define SELLER_COLS                                                                                \
    "id, merchant_id, env, ref_seller_id, business_type, status, company, individual, account,"    \
    " metadata, created_at_us, updated_at_us, deleted"
#define PAYOUT_COLS                                                                                \
    "id, merchant_id, env, ref_payout_id, destination, schedule_type, payout_date, amount,"        \
    " description, metadata, requested_at_us, status, error_code, error_message, updated_at_us,"   \
    " due_at_us"
#define EVENT_COLS                                                                                 \
    "seq, event_id, merchant_id, env, event_type, body, created_at_us, status, attempts,"          \
    " next_attempt_at_us, last_attempt_at_us, last_http_status, last_error, delivered_at_us"

#define SQL_LIST(X)                                                                                \
    X(MERCHANT_INSERT, "INSERT INTO merchants (mid, payout_contract, test_clock_offset_us,"        \
                       " created_at_us) VALUES (?, ?, ?, ?)")                                      \
    X(MERCHANT_GET, "SELECT id, mid, payout_contract, test_clock_offset_us, created_at_us"         \
                    " FROM merchants WHERE id = ?")                                                \
    X(MERCHANT_COUNT, "SELECT count(*) FROM merchants")                                            \
    X(MERCHANT_BY_MID, "SELECT id, mid, payout_contract, test_clock_offset_us, created_at_us"      \
                       " FROM merchants WHERE mid = ?")                                            \
    X(MERCHANT_UPDATE, "UPDATE merchants SET payout_contract = ?, test_clock_offset_us = ?"        \
                       " WHERE id = ?")                                                            \
    X(MERCHANT_LIST, "SELECT id, mid, payout_contract, test_clock_offset_us, created_at_us"        \
                     " FROM merchants WHERE id > ? ORDER BY id LIMIT ?")                           \
    X(KEY_INSERT, "INSERT INTO api_keys (merchant_id, env, kind, lookup, material, hint,"          \
                  " created_at_us, expires_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")                \
    X(KEY_FIND, "SELECT id, merchant_id, env, kind, lookup, material, hint, created_at_us,"        \
                " expires_at_us FROM api_keys WHERE lookup = ?")                                   \
    X(KEY_LIST, "SELECT id, merchant_id, env, kind, lookup, material, hint, created_at_us,"        \
                " expires_at_us FROM api_keys WHERE merchant_id = ? AND env = ? AND kind = ?"      \
                " AND (? OR expires_at_us = 0 OR expires_at_us > ?) ORDER BY id DESC")             \
    X(KEY_EXPIRE, "UPDATE api_keys SET expires_at_us = ? WHERE id = ?")                            \
    X(KEY_SET_MATERIAL, "UPDATE api_keys SET material = ? WHERE id = ?")                           \
    X(KEY_ALL_OF_KIND, "SELECT id, merchant_id, env, kind, lookup, material, hint, created_at_us," \
                       " expires_at_us FROM api_keys WHERE kind = ? AND id > ? ORDER BY id LIMIT ?") \
    X(NONCE_CLAIM, "INSERT INTO nonces (merchant_id, env, nonce_hash, seen_at_us)"                 \
                   " VALUES (?, ?, ?, ?)")                                                         \
    X(NONCE_PRUNE, "DELETE FROM nonces WHERE seen_at_us < ?")                                      \
    X(NONCE_SEEN, "SELECT 1 FROM nonces WHERE merchant_id = ? AND env = ? AND nonce_hash = ?")     \
    X(SELLER_INSERT, "INSERT INTO sellers (id, merchant_id, env, ref_seller_id, business_type,"    \
                     " status, company, individual, account, metadata, created_at_us,"             \
                     " updated_at_us, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")    \
    X(SELLER_GET, "SELECT " SELLER_COLS " FROM sellers WHERE id = ? AND merchant_id = ? AND env = ?") \
    X(SELLER_STATE, "SELECT status, deleted FROM sellers WHERE id = ? AND merchant_id = ? AND env = ?") \
    X(SELLER_UPDATE, "UPDATE sellers SET business_type = ?, status = ?, company = ?,"              \
                     " individual = ?, account = ?, metadata = ?, updated_at_us = ?, deleted = ?"  \
                     " WHERE id = ? AND merchant_id = ? AND env = ?")                              \
    X(SELLER_SEQ, "SELECT seq FROM sellers WHERE id = ? AND merchant_id = ? AND env = ?")          \
    X(SELLER_LIST, "SELECT " SELLER_COLS ", seq FROM sellers WHERE merchant_id = ? AND env = ?"    \
                   " AND seq > ? AND deleted = 0 ORDER BY seq LIMIT ?")                            \
    X(SELLER_RECENT_TOTAL, "SELECT coalesce(sum(amount), 0) FROM payouts WHERE merchant_id = ?"    \
                           " AND env = ? AND destination = ? AND requested_at_us >= ?"             \
                           " AND status NOT IN (4, 5)")                                            \
    X(SELLER_OPEN_PAYOUTS, "SELECT count(*) FROM payouts WHERE merchant_id = ? AND env = ?"        \
                           " AND destination = ? AND status IN (1, 2)")                            \
    X(PAYOUT_INSERT, "INSERT INTO payouts (id, merchant_id, env, ref_payout_id, destination,"      \
                     " schedule_type, payout_date, amount, description, metadata,"                 \
                     " requested_at_us, status, error_code, error_message, updated_at_us,"         \
                     " due_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")        \
    X(PAYOUT_GET, "SELECT " PAYOUT_COLS " FROM payouts WHERE id = ? AND merchant_id = ? AND env = ?") \
    X(PAYOUT_UPDATE, "UPDATE payouts SET status = ?, error_code = ?, error_message = ?,"           \
                     " updated_at_us = ?, due_at_us = ? WHERE id = ? AND merchant_id = ? AND env = ?") \
    X(PAYOUT_SEQ, "SELECT seq FROM payouts WHERE id = ? AND merchant_id = ? AND env = ?")          \
    X(PAYOUT_LIST, "SELECT " PAYOUT_COLS ", seq FROM payouts WHERE merchant_id = ? AND env = ?"    \
                   " AND seq > ? AND payout_date >= ? AND payout_date <= ? ORDER BY seq LIMIT ?")  \
    X(PAYOUT_DUE, "SELECT " PAYOUT_COLS " FROM payouts WHERE merchant_id = ? AND env = ?"          \
                  " AND status IN (1, 2) AND due_at_us <= ? ORDER BY due_at_us, seq LIMIT ?")      \
    X(PAYOUT_REF_EXISTS, "SELECT 1 FROM payouts WHERE merchant_id = ? AND env = ?"                 \
                         " AND ref_payout_id = ?")                                                 \
    X(BALANCE_GET, "SELECT balance FROM ledger_accounts WHERE merchant_id = ? AND env = ?"         \
                   " AND account = ?")                                                             \
    X(TXN_INSERT, "INSERT INTO ledger_txns (merchant_id, env, kind, ref, created_at_us)"           \
                  " VALUES (?, ?, ?, ?, ?)")                                                       \
    X(ENTRY_INSERT, "INSERT INTO ledger_entries (txn_id, account, amount) VALUES (?, ?, ?)")       \
    X(ACCOUNT_UPDATE, "UPDATE ledger_accounts SET balance = balance + ?"                           \
                      " WHERE merchant_id = ? AND env = ? AND account = ?")                        \
    X(ACCOUNT_INSERT, "INSERT INTO ledger_accounts (merchant_id, env, account, balance)"           \
                      " VALUES (?, ?, ?, ?)")                                                      \
    X(AUDIT_BALANCES, "SELECT account, balance FROM ledger_accounts"                               \
                      " WHERE merchant_id = ? AND env = ?")                                        \
    X(AUDIT_ENTRIES, "SELECT e.account, sum(e.amount) FROM ledger_entries e"                       \
                     " JOIN ledger_txns t ON t.id = e.txn_id"                                      \
                     " WHERE t.merchant_id = ? AND t.env = ? GROUP BY e.account")                  \
    X(AUDIT_UNBALANCED, "SELECT count(*) FROM (SELECT t.id FROM ledger_txns t"                     \
                        " LEFT JOIN ledger_entries e ON e.txn_id = t.id"                           \
                        " WHERE t.merchant_id = ? AND t.env = ?"                                   \
                        " GROUP BY t.id HAVING coalesce(sum(e.amount), 0) <> 0)")                  \
    X(CREDIT_INSERT, "INSERT INTO credits (merchant_id, env, amount, settle_date, created_at_us)"  \
                     " VALUES (?, ?, ?, ?, ?)")                                                    \
    X(CREDIT_DUE, "SELECT id, merchant_id, env, amount, settle_date, created_at_us FROM credits"   \
                  " WHERE merchant_id = ? AND env = ? AND settled = 0 AND settle_date <= ?"        \
                  " ORDER BY id LIMIT ?")                                                          \
    X(CREDIT_SETTLE, "UPDATE credits SET settled = 1 WHERE id = ? AND settled = 0")                \
    X(ENDPOINT_GET, "SELECT url FROM webhook_endpoints WHERE merchant_id = ? AND env = ?")         \
    X(ENDPOINT_SET, "INSERT INTO webhook_endpoints (merchant_id, env, url, updated_at_us)"         \
                    " VALUES (?, ?, ?, ?) ON CONFLICT (merchant_id, env)"                          \
                    " DO UPDATE SET url = excluded.url, updated_at_us = excluded.updated_at_us")   \
    X(ENDPOINT_DELETE, "DELETE FROM webhook_endpoints WHERE merchant_id = ? AND env = ?")          \
    X(EVENT_INSERT, "INSERT INTO webhook_events (event_id, merchant_id, env, event_type, body,"    \
                    " created_at_us, status, attempts, next_attempt_at_us) VALUES"                 \
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?)")                                                \
    X(EVENT_UPDATE, "UPDATE webhook_events SET status = ?, attempts = ?, next_attempt_at_us = ?,"  \
                    " last_attempt_at_us = ?, last_http_status = ?, last_error = ?,"               \
                    " delivered_at_us = ? WHERE event_id = ? AND merchant_id = ? AND env = ?")     \
    X(EVENT_GET, "SELECT " EVENT_COLS " FROM webhook_events WHERE event_id = ?"                    \
                 " AND merchant_id = ? AND env = ?")                                               \
    X(EVENT_DUE, "SELECT " EVENT_COLS " FROM webhook_events WHERE merchant_id = ? AND env = ?"     \
                 " AND status = 0 AND next_attempt_at_us <= ? ORDER BY next_attempt_at_us, seq"    \
                 " LIMIT ?")                                                                       \
    X(EVENT_LIST, "SELECT " EVENT_COLS " FROM webhook_events WHERE merchant_id = ? AND env = ?"    \
                  " AND seq < ? ORDER BY seq DESC LIMIT ?")                                        \
    X(IDEM_GET, "SELECT scope_hash, merchant_id, env, created_at_us, http_status, body"            \
                " FROM idempotency WHERE scope_hash = ?")                                          \
    X(IDEM_PUT, "INSERT OR REPLACE INTO idempotency (scope_hash, merchant_id, env,"                \
                " created_at_us, http_status, body) VALUES (?, ?, ?, ?, ?, ?)")                    \
    X(IDEM_PRUNE, "DELETE FROM idempotency WHERE merchant_id = ? AND env = ?"                      \
                  " AND created_at_us < ?")                                                        \
    X(BEGIN_READ, "BEGIN")                                                                         \
    X(COMMIT_READ, "COMMIT")                                                                       \
    X(SAVEPOINT_JOB, "SAVEPOINT job")                                                              \
    X(RELEASE_JOB, "RELEASE job")                                                                  \
    X(ROLLBACK_JOB, "ROLLBACK TO job")                                                             \
    X(SAVEPOINT_LEDGER, "SAVEPOINT ledger")                                                        \
    X(RELEASE_LEDGER, "RELEASE ledger")                                                            \
    X(ROLLBACK_LEDGER, "ROLLBACK TO ledger")

enum {
#define X(name, sql) SQL_##name,
    SQL_LIST(X)
#undef X
        SQL_COUNT
};

static const char *const sql_text[SQL_COUNT] = {
#define X(name, sql) [SQL_##name] = sql,
    SQL_LIST(X)
#undef X
};

typedef struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQL_COUNT];
} sq_conn;

typedef struct sq_tx {
    pay_tx base;
    sq_conn *conn;
} sq_tx;

/* A queued write. A synchronous caller waits until `done`; an asynchronous
 * one is called back (then the writer frees the job). */
typedef struct wjob {
    pay_tx_fn fn;
    void *arg;
    pay_store_rc rc;
    bool done;
    pay_store_done_fn callback; /* NULL: a synchronous caller is waiting */
    void *callback_arg;
    struct wjob *next;
} wjob;

typedef struct sq_store {
    pay_store base;
    sq_conn writer;

    sq_conn *readers;
    unsigned n_readers;
    unsigned *free_readers;
    unsigned n_free;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t q_lock;
    pthread_cond_t q_work;
    pthread_cond_t q_done;
    wjob *head, *tail;
    bool stopping;
    unsigned batch_max;
    wjob **batch; /* the writer's working array, batch_max long */
    /* Checkpoints run on their own thread and connection, so a commit never
     * waits for the WAL to be copied back into the database file. */
    sq_conn ckpt;
    pthread_t ckpt_thread;
    bool ckpt_started, ckpt_wanted, ckpt_running;
    unsigned ckpt_passes; /* background passes ended since the writer finished one */
    pthread_cond_t ckpt_cond;
    /* group-commit figures, logged at close (writer thread only) */
    uint64_t stat_commits, stat_jobs;
    size_t stat_batch_peak;
} sq_store;

static const pay_store_ops sqlite_ops;

static pay_store_rc map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return PAY_STORE_OK;
    case SQLITE_CONSTRAINT: return PAY_STORE_CONFLICT;
    case SQLITE_FULL: return PAY_STORE_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return PAY_STORE_BUSY;
    case SQLITE_NOMEM: return PAY_STORE_NOMEM;
    default: return PAY_STORE_IO;
    }
}

static pay_store_rc fail(sqlite3 *db, int rc, const char *what)
{
    pay_store_rc mapped = map_rc(rc);
    if (mapped != PAY_STORE_CONFLICT)
        pay_log_error("sqlite: %s: %s (%d)", what, sqlite3_errmsg(db), rc);
    return mapped;
}

/* The cached statement `which`, reset and ready to bind; NULL on failure. */
static sqlite3_stmt *prep(sq_tx *tx, int which)
{
    sq_conn *c = tx->conn;
    if (!c->stmt[which]) {
        int rc = sqlite3_prepare_v3(c->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmt[which], NULL);
        if (rc != SQLITE_OK) {
            fail(c->db, rc, "prepare");
            return NULL;
        }
    }
    sqlite3_stmt *s = c->stmt[which];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

/* Steps a statement that returns no row, then resets it. */
static pay_store_rc exec_stmt(sq_tx *tx, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return fail(tx->conn->db, rc, what);
    return PAY_STORE_OK;
}

/* Runs a cached statement that returns no row (savepoints on the hot path
 * are prepared once instead of parsed per request). */
static pay_store_rc run_cached(sq_tx *tx, int which)
{
    sqlite3_stmt *s = prep(tx, which);
    return s ? exec_stmt(tx, s, sql_text[which]) : PAY_STORE_IO;
}

static pay_store_rc exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        pay_log_error("sqlite: %s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return map_rc(rc);
    }
    return PAY_STORE_OK;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* Binds a JSON value as compact text, or NULL. */
static bool bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
    if (!v) {
        sqlite3_bind_null(s, i);
        return true;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) return false;
    sqlite3_bind_text(s, i, text, -1, free);
    return true;
}

static json_t *column_json(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL) return NULL;
    const char *text = (const char *)sqlite3_column_text(s, i);
    return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

static void column_copy(sqlite3_stmt *s, int i, char *out, size_t cap)
{
    const char *text = (const char *)sqlite3_column_text(s, i);
    pay_strlcpy(out, text ? text : "", cap);
}

static void bind_scope(sqlite3_stmt *s, int first, pay_scope scope)
{
    sqlite3_bind_int64(s, first, scope.merchant_id);
    sqlite3_bind_int(s, first + 1, (int)scope.env);
}

/* ---- merchants ----------------------------------------------------------- */

static pay_store_rc merchant_insert(pay_tx *t, pay_merchant *m)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_MERCHANT_INSERT);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, m->mid);
    sqlite3_bind_int(s, 2, m->payout_contract);
    sqlite3_bind_int64(s, 3, m->test_clock_offset_us);
    sqlite3_bind_int64(s, 4, m->created_at_us);
    pay_store_rc rc = exec_stmt(tx, s, "merchant insert");
    if (rc == PAY_STORE_OK) m->id = sqlite3_last_insert_rowid(tx->conn->db);
    return rc;
}

static void read_merchant(sqlite3_stmt *s, pay_merchant *out);

static pay_store_rc merchant_get(pay_tx *t, int64_t id, pay_merchant *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_MERCHANT_GET);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_merchant(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "merchant get");
}

static pay_store_rc merchant_count(pay_tx *t, int64_t *count)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_MERCHANT_COUNT);
    if (!s) return PAY_STORE_IO;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "merchant count");
}

/* ---- keys ---------------------------------------------------------------- */

static void read_key(sqlite3_stmt *s, pay_api_key *k)
{
    memset(k, 0, sizeof *k);
    k->id = sqlite3_column_int64(s, 0);
    k->merchant_id = sqlite3_column_int64(s, 1);
    k->env = (pay_env)sqlite3_column_int(s, 2);
    k->kind = (pay_key_kind)sqlite3_column_int(s, 3);
    if (sqlite3_column_bytes(s, 4) == (int)sizeof k->lookup)
        memcpy(k->lookup, sqlite3_column_blob(s, 4), sizeof k->lookup);
    int mlen = sqlite3_column_bytes(s, 5);
    if (mlen > 0 && (size_t)mlen <= sizeof k->material) {
        memcpy(k->material, sqlite3_column_blob(s, 5), (size_t)mlen);
        k->material_len = (size_t)mlen;
    }
    column_copy(s, 6, k->hint, sizeof k->hint);
    k->created_at_us = sqlite3_column_int64(s, 7);
    k->expires_at_us = sqlite3_column_int64(s, 8);
}

static pay_store_rc key_insert(pay_tx *t, pay_api_key *k)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_KEY_INSERT);
    if (!s) return PAY_STORE_IO;
    static const uint8_t zero[32];
    sqlite3_bind_int64(s, 1, k->merchant_id);
    sqlite3_bind_int(s, 2, (int)k->env);
    sqlite3_bind_int(s, 3, (int)k->kind);
    if (memcmp(k->lookup, zero, sizeof zero) != 0)
        sqlite3_bind_blob(s, 4, k->lookup, sizeof k->lookup, SQLITE_TRANSIENT);
    if (k->material_len)
        sqlite3_bind_blob(s, 5, k->material, (int)k->material_len, SQLITE_TRANSIENT);
    bind_text(s, 6, k->hint);
    sqlite3_bind_int64(s, 7, k->created_at_us);
    sqlite3_bind_int64(s, 8, k->expires_at_us);
    pay_store_rc rc = exec_stmt(tx, s, "key insert");
    if (rc == PAY_STORE_OK) k->id = sqlite3_last_insert_rowid(tx->conn->db);
    return rc;
}

static pay_store_rc key_find(pay_tx *t, const uint8_t lookup[32], pay_api_key *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_KEY_FIND);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_blob(s, 1, lookup, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_key(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "key find");
}

static pay_store_rc key_list(pay_tx *t, pay_scope scope, pay_key_kind kind, int64_t now_us,
                             pay_api_key *out, size_t cap, size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_KEY_LIST);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int(s, 3, (int)kind);
    sqlite3_bind_int(s, 4, now_us < 0); /* negative: expired keys too */
    sqlite3_bind_int64(s, 5, now_us);
    size_t count = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && count < cap) read_key(s, &out[count++]);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(tx->conn->db, rc, "key list");
    *n = count;
    return PAY_STORE_OK;
}

static pay_store_rc key_expire(pay_tx *t, int64_t id, int64_t expires_at_us)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_KEY_EXPIRE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int64(s, 1, expires_at_us);
    sqlite3_bind_int64(s, 2, id);
    pay_store_rc rc = exec_stmt(tx, s, "key expire");
    if (rc == PAY_STORE_OK && sqlite3_changes(tx->conn->db) == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

static pay_store_rc key_set_material(pay_tx *t, int64_t id, const uint8_t *material, size_t len)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_KEY_SET_MATERIAL);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_blob(s, 1, material, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, id);
    return exec_stmt(tx, s, "key material");
}

static pay_store_rc key_all_of_kind(pay_tx *t, pay_key_kind kind, int64_t after_id,
                                    pay_api_key *out, size_t cap, size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_KEY_ALL_OF_KIND);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int(s, 1, (int)kind);
    sqlite3_bind_int64(s, 2, after_id);
    sqlite3_bind_int64(s, 3, (int64_t)cap);
    size_t count = 0;
    int rc = SQLITE_DONE;
    while (count < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) read_key(s, &out[count++]);
    if (count == cap) rc = SQLITE_DONE;
    sqlite3_reset(s);
    *n = count;
    return rc == SQLITE_DONE ? PAY_STORE_OK : fail(tx->conn->db, rc, "key scan");
}

static pay_store_rc nonce_claim(pay_tx *t, pay_scope scope, const uint8_t hash[32], int64_t now_us)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_NONCE_CLAIM);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_blob(s, 3, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now_us);
    return exec_stmt(tx, s, "nonce claim"); /* CONFLICT: seen before */
}

static pay_store_rc nonce_seen(pay_tx *t, pay_scope scope, const uint8_t hash[32])
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_NONCE_SEEN);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_blob(s, 3, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return PAY_STORE_CONFLICT;
    return rc == SQLITE_DONE ? PAY_STORE_OK : fail(tx->conn->db, rc, "nonce lookup");
}

static pay_store_rc nonce_prune(pay_tx *t, int64_t before_us)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_NONCE_PRUNE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int64(s, 1, before_us);
    return exec_stmt(tx, s, "nonce prune");
}

/* ---- sellers ------------------------------------------------------------- */

static pay_store_rc seller_insert(pay_tx *t, const pay_seller *sl)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_SELLER_INSERT);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, sl->id);
    bind_scope(s, 2, sl->scope);
    bind_text(s, 4, sl->ref_seller_id);
    sqlite3_bind_int(s, 5, (int)sl->business_type);
    sqlite3_bind_int(s, 6, (int)sl->status);
    if (!bind_json(s, 7, sl->company) || !bind_json(s, 8, sl->individual) ||
        !bind_json(s, 9, sl->account) || !bind_json(s, 10, sl->metadata))
        return PAY_STORE_NOMEM;
    sqlite3_bind_int64(s, 11, sl->created_at_us);
    sqlite3_bind_int64(s, 12, sl->updated_at_us);
    sqlite3_bind_int(s, 13, sl->deleted);
    return exec_stmt(tx, s, "seller insert");
}

static void read_seller(sqlite3_stmt *s, pay_seller *out)
{
    memset(out, 0, sizeof *out);
    column_copy(s, 0, out->id, sizeof out->id);
    out->scope.merchant_id = sqlite3_column_int64(s, 1);
    out->scope.env = (pay_env)sqlite3_column_int(s, 2);
    column_copy(s, 3, out->ref_seller_id, sizeof out->ref_seller_id);
    out->business_type = (pay_business_type)sqlite3_column_int(s, 4);
    out->status = (pay_seller_status)sqlite3_column_int(s, 5);
    out->company = column_json(s, 6);
    out->individual = column_json(s, 7);
    out->account = column_json(s, 8);
    out->metadata = column_json(s, 9);
    out->created_at_us = sqlite3_column_int64(s, 10);
    out->updated_at_us = sqlite3_column_int64(s, 11);
    out->deleted = sqlite3_column_int(s, 12) != 0;
}

static pay_store_rc seller_get(pay_tx *t, pay_scope scope, const char *id, pay_seller *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_SELLER_GET);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, id);
    bind_scope(s, 2, scope);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_seller(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "seller get");
}

static pay_store_rc seller_state(pay_tx *t, pay_scope scope, const char *id,
                                 pay_seller_status *status, bool *deleted)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_SELLER_STATE);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, id);
    bind_scope(s, 2, scope);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *status = (pay_seller_status)sqlite3_column_int(s, 0);
        *deleted = sqlite3_column_int(s, 1) != 0;
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "seller state");
}

/* ---- payouts ------------------------------------------------------------- */

static pay_store_rc payout_insert(pay_tx *t, const pay_payout *p)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_PAYOUT_INSERT);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, p->id);
    bind_scope(s, 2, p->scope);
    bind_text(s, 4, p->ref_payout_id);
    bind_text(s, 5, p->destination);
    sqlite3_bind_int(s, 6, (int)p->schedule_type);
    sqlite3_bind_int(s, 7, p->payout_date);
    sqlite3_bind_int64(s, 8, p->amount);
    bind_text(s, 9, p->description);
    if (!bind_json(s, 10, p->metadata)) return PAY_STORE_NOMEM;
    sqlite3_bind_int64(s, 11, p->requested_at_us);
    sqlite3_bind_int(s, 12, (int)p->status);
    bind_text(s, 13, p->error_code[0] ? p->error_code : NULL);
    bind_text(s, 14, p->error_code[0] ? p->error_message : NULL);
    sqlite3_bind_int64(s, 15, p->updated_at_us);
    sqlite3_bind_int64(s, 16, p->due_at_us);
    return exec_stmt(tx, s, "payout insert");
}

static void read_payout(sqlite3_stmt *s, pay_payout *out)
{
    memset(out, 0, sizeof *out);
    column_copy(s, 0, out->id, sizeof out->id);
    out->scope.merchant_id = sqlite3_column_int64(s, 1);
    out->scope.env = (pay_env)sqlite3_column_int(s, 2);
    column_copy(s, 3, out->ref_payout_id, sizeof out->ref_payout_id);
    column_copy(s, 4, out->destination, sizeof out->destination);
    out->schedule_type = (pay_schedule_type)sqlite3_column_int(s, 5);
    out->payout_date = sqlite3_column_int(s, 6);
    out->amount = sqlite3_column_int64(s, 7);
    column_copy(s, 8, out->description, sizeof out->description);
    out->metadata = column_json(s, 9);
    out->requested_at_us = sqlite3_column_int64(s, 10);
    out->status = (pay_payout_status)sqlite3_column_int(s, 11);
    column_copy(s, 12, out->error_code, sizeof out->error_code);
    column_copy(s, 13, out->error_message, sizeof out->error_message);
    out->updated_at_us = sqlite3_column_int64(s, 14);
    out->due_at_us = sqlite3_column_int64(s, 15);
}

static pay_store_rc payout_get(pay_tx *t, pay_scope scope, const char *id, pay_payout *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_PAYOUT_GET);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, id);
    bind_scope(s, 2, scope);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_payout(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "payout get");
}

static pay_store_rc payout_ref_exists(pay_tx *t, pay_scope scope, const char *ref, int *exists)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_PAYOUT_REF_EXISTS);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    bind_text(s, 3, ref);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(tx->conn->db, rc, "payout ref");
    *exists = rc == SQLITE_ROW;
    return PAY_STORE_OK;
}

/* ---- ledger -------------------------------------------------------------- */

static pay_store_rc balance_get(pay_tx *t, pay_scope scope, pay_account account, int64_t *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_BALANCE_GET);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int(s, 3, (int)account);
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0; /* no row yet = 0 */
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(tx->conn->db, rc, "balance get");
    return PAY_STORE_OK;
}

static pay_store_rc ledger_apply(pay_tx *t, pay_scope scope, const char *kind, const char *ref,
                                int64_t at_us, const pay_entry *entries, size_t n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_TXN_INSERT);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    bind_text(s, 3, kind);
    bind_text(s, 4, ref);
    sqlite3_bind_int64(s, 5, at_us);
    pay_store_rc rc = exec_stmt(tx, s, "ledger txn");
    if (rc != PAY_STORE_OK) return rc;
    int64_t txn_id = sqlite3_last_insert_rowid(tx->conn->db);
    for (size_t i = 0; i < n; i++) {
        if (!(s = prep(tx, SQL_ENTRY_INSERT))) return PAY_STORE_IO;
        sqlite3_bind_int64(s, 1, txn_id);
        sqlite3_bind_int(s, 2, (int)entries[i].account);
        sqlite3_bind_int64(s, 3, entries[i].amount);
        if ((rc = exec_stmt(tx, s, "ledger entry")) != PAY_STORE_OK) return rc;
        /* The CHECK on ledger_accounts refuses a negative internal balance. */
        if (!(s = prep(tx, SQL_ACCOUNT_UPDATE))) return PAY_STORE_IO;
        sqlite3_bind_int64(s, 1, entries[i].amount);
        bind_scope(s, 2, scope);
        sqlite3_bind_int(s, 4, (int)entries[i].account);
        if ((rc = exec_stmt(tx, s, "ledger apply")) != PAY_STORE_OK) return rc;
        if (sqlite3_changes(tx->conn->db) > 0) continue;
        if (!(s = prep(tx, SQL_ACCOUNT_INSERT))) return PAY_STORE_IO;
        bind_scope(s, 1, scope);
        sqlite3_bind_int(s, 3, (int)entries[i].account);
        sqlite3_bind_int64(s, 4, entries[i].amount);
        if ((rc = exec_stmt(tx, s, "ledger open account")) != PAY_STORE_OK) return rc;
    }
    return PAY_STORE_OK;
}

/* A ledger transaction is all or nothing on its own, whatever the calling
 * job does with an error, so a half-posted transaction can never commit. */
static pay_store_rc ledger_post(pay_tx *t, pay_scope scope, const char *kind, const char *ref,
                                int64_t at_us, const pay_entry *entries, size_t n)
{
    sq_tx *tx = (sq_tx *)t;
    pay_store_rc rc = run_cached(tx, SQL_SAVEPOINT_LEDGER);
    if (rc != PAY_STORE_OK) return rc;
    rc = ledger_apply(t, scope, kind, ref, at_us, entries, n);
    if (rc != PAY_STORE_OK && !sqlite3_get_autocommit(tx->conn->db))
        run_cached(tx, SQL_ROLLBACK_LEDGER);
    if (!sqlite3_get_autocommit(tx->conn->db)) run_cached(tx, SQL_RELEASE_LEDGER);
    return rc;
}

static pay_store_rc ledger_audit(pay_tx *t, pay_scope scope, pay_ledger_audit *out)
{
    sq_tx *tx = (sq_tx *)t;
    memset(out, 0, sizeof *out);
    static const int queries[] = {SQL_AUDIT_BALANCES, SQL_AUDIT_ENTRIES};
    for (int q = 0; q < 2; q++) {
        sqlite3_stmt *s = prep(tx, queries[q]);
        if (!s) return PAY_STORE_IO;
        bind_scope(s, 1, scope);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int acct = sqlite3_column_int(s, 0);
            if (acct < 1 || acct > PAY_ACCT_COUNT) continue;
            int64_t v = sqlite3_column_int64(s, 1);
            if (q == 0)
                out->balance[acct] = v;
            else
                out->entry_sum[acct] = v;
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return fail(tx->conn->db, rc, "ledger audit");
    }
    sqlite3_stmt *s = prep(tx, SQL_AUDIT_UNBALANCED);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) out->unbalanced_txns = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "ledger audit");
}

/* ---- shared shapes ------------------------------------------------------- */

/* Steps a statement expected to return at most one row with one integer. */
static pay_store_rc scalar_int64(sq_tx *tx, sqlite3_stmt *s, int64_t *out, bool none_is_notfound,
                                 const char *what)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW) return PAY_STORE_OK;
    if (rc == SQLITE_DONE) return none_is_notfound ? PAY_STORE_NOTFOUND : PAY_STORE_OK;
    return fail(tx->conn->db, rc, what);
}

static void read_merchant(sqlite3_stmt *s, pay_merchant *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    column_copy(s, 1, out->mid, sizeof out->mid);
    out->payout_contract = sqlite3_column_int(s, 2) != 0;
    out->test_clock_offset_us = sqlite3_column_int64(s, 3);
    out->created_at_us = sqlite3_column_int64(s, 4);
}

/* ---- merchants (more) ---------------------------------------------------- */

static pay_store_rc merchant_get_by_mid(pay_tx *t, const char *mid, pay_merchant *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_MERCHANT_BY_MID);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, mid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_merchant(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "merchant by mid");
}

static pay_store_rc merchant_update(pay_tx *t, const pay_merchant *m)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_MERCHANT_UPDATE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int(s, 1, m->payout_contract);
    sqlite3_bind_int64(s, 2, m->test_clock_offset_us);
    sqlite3_bind_int64(s, 3, m->id);
    pay_store_rc rc = exec_stmt(tx, s, "merchant update");
    if (rc == PAY_STORE_OK && sqlite3_changes(tx->conn->db) == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

static pay_store_rc merchant_list(pay_tx *t, int64_t after_id, pay_merchant *out, size_t cap,
                                  size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_MERCHANT_LIST);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, (int64_t)cap);
    size_t count = 0;
    int rc = SQLITE_DONE;
    while (count < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) read_merchant(s, &out[count++]);
    if (count == cap) rc = SQLITE_DONE;
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return fail(tx->conn->db, rc, "merchant list");
    *n = count;
    return PAY_STORE_OK;
}

/* ---- sellers (more) ------------------------------------------------------ */

static pay_store_rc seller_update(pay_tx *t, const pay_seller *sl)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_SELLER_UPDATE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int(s, 1, (int)sl->business_type);
    sqlite3_bind_int(s, 2, (int)sl->status);
    if (!bind_json(s, 3, sl->company) || !bind_json(s, 4, sl->individual) ||
        !bind_json(s, 5, sl->account) || !bind_json(s, 6, sl->metadata))
        return PAY_STORE_NOMEM;
    sqlite3_bind_int64(s, 7, sl->updated_at_us);
    sqlite3_bind_int(s, 8, sl->deleted);
    bind_text(s, 9, sl->id);
    bind_scope(s, 10, sl->scope);
    pay_store_rc rc = exec_stmt(tx, s, "seller update");
    if (rc == PAY_STORE_OK && sqlite3_changes(tx->conn->db) == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

static pay_store_rc id_seq(sq_tx *tx, int which, pay_scope scope, const char *id, int64_t *seq)
{
    sqlite3_stmt *s = prep(tx, which);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, id);
    bind_scope(s, 2, scope);
    return scalar_int64(tx, s, seq, true, "seq lookup");
}

static pay_store_rc seller_seq(pay_tx *t, pay_scope scope, const char *id, int64_t *seq)
{
    return id_seq((sq_tx *)t, SQL_SELLER_SEQ, scope, id, seq);
}

static pay_store_rc seller_list(pay_tx *t, pay_scope scope, int64_t after_seq, size_t limit,
                                pay_seller *out, size_t *n, int64_t *last_seq)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_SELLER_LIST);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int64(s, 3, after_seq);
    sqlite3_bind_int64(s, 4, (int64_t)limit);
    size_t count = 0;
    int rc = SQLITE_DONE;
    while (count < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_seller(s, &out[count++]);
        *last_seq = sqlite3_column_int64(s, 13);
    }
    if (count == limit) rc = SQLITE_DONE;
    sqlite3_reset(s);
    *n = count;
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < count; i++) pay_seller_clear(&out[i]);
        *n = 0;
        return fail(tx->conn->db, rc, "seller list");
    }
    return PAY_STORE_OK;
}

static pay_store_rc seller_sum(sq_tx *tx, int which, pay_scope scope, const char *seller_id,
                               int64_t *since, int64_t *out)
{
    sqlite3_stmt *s = prep(tx, which);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    bind_text(s, 3, seller_id);
    if (since) sqlite3_bind_int64(s, 4, *since);
    return scalar_int64(tx, s, out, false, "seller payouts");
}

static pay_store_rc seller_recent_total(pay_tx *t, pay_scope scope, const char *seller_id,
                                        int64_t since_us, int64_t *sum)
{
    *sum = 0;
    return seller_sum((sq_tx *)t, SQL_SELLER_RECENT_TOTAL, scope, seller_id, &since_us, sum);
}

static pay_store_rc seller_open_payouts(pay_tx *t, pay_scope scope, const char *seller_id,
                                        int64_t *count)
{
    *count = 0;
    return seller_sum((sq_tx *)t, SQL_SELLER_OPEN_PAYOUTS, scope, seller_id, NULL, count);
}

/* ---- payouts (more) ------------------------------------------------------ */

static pay_store_rc payout_update(pay_tx *t, const pay_payout *p)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_PAYOUT_UPDATE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int(s, 1, (int)p->status);
    bind_text(s, 2, p->error_code[0] ? p->error_code : NULL);
    bind_text(s, 3, p->error_code[0] ? p->error_message : NULL);
    sqlite3_bind_int64(s, 4, p->updated_at_us);
    sqlite3_bind_int64(s, 5, p->due_at_us);
    bind_text(s, 6, p->id);
    bind_scope(s, 7, p->scope);
    pay_store_rc rc = exec_stmt(tx, s, "payout update");
    if (rc == PAY_STORE_OK && sqlite3_changes(tx->conn->db) == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

static pay_store_rc payout_seq(pay_tx *t, pay_scope scope, const char *id, int64_t *seq)
{
    return id_seq((sq_tx *)t, SQL_PAYOUT_SEQ, scope, id, seq);
}

/* Reads up to cap payout rows of a prepared statement; the caller has bound it. */
static pay_store_rc read_payouts(sq_tx *tx, sqlite3_stmt *s, pay_payout *out, size_t cap,
                                 size_t *n, int64_t *last_seq, const char *what)
{
    size_t count = 0;
    int rc = SQLITE_DONE;
    while (count < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_payout(s, &out[count++]);
        if (last_seq) *last_seq = sqlite3_column_int64(s, 16);
    }
    if (count == cap) rc = SQLITE_DONE;
    sqlite3_reset(s);
    *n = count;
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < count; i++) pay_payout_clear(&out[i]);
        *n = 0;
        return fail(tx->conn->db, rc, what);
    }
    return PAY_STORE_OK;
}

static pay_store_rc payout_list(pay_tx *t, pay_scope scope, int64_t after_seq, int32_t date_gte,
                                int32_t date_lte, size_t limit, pay_payout *out, size_t *n,
                                int64_t *last_seq)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_PAYOUT_LIST);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int64(s, 3, after_seq);
    sqlite3_bind_int(s, 4, date_gte);
    sqlite3_bind_int(s, 5, date_lte);
    sqlite3_bind_int64(s, 6, (int64_t)limit);
    return read_payouts(tx, s, out, limit, n, last_seq, "payout list");
}

static pay_store_rc payout_due(pay_tx *t, pay_scope scope, int64_t now_us, pay_payout *out,
                               size_t cap, size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_PAYOUT_DUE);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int64(s, 3, now_us);
    sqlite3_bind_int64(s, 4, (int64_t)cap);
    return read_payouts(tx, s, out, cap, n, NULL, "payout due");
}

/* ---- credits ------------------------------------------------------------- */

static pay_store_rc credit_insert(pay_tx *t, pay_credit *c)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_CREDIT_INSERT);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, c->scope);
    sqlite3_bind_int64(s, 3, c->amount);
    sqlite3_bind_int(s, 4, c->settle_date);
    sqlite3_bind_int64(s, 5, c->created_at_us);
    pay_store_rc rc = exec_stmt(tx, s, "credit insert");
    if (rc == PAY_STORE_OK) c->id = sqlite3_last_insert_rowid(tx->conn->db);
    return rc;
}

static pay_store_rc credit_due(pay_tx *t, pay_scope scope, int32_t today, pay_credit *out,
                               size_t cap, size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_CREDIT_DUE);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int(s, 3, today);
    sqlite3_bind_int64(s, 4, (int64_t)cap);
    size_t count = 0;
    int rc = SQLITE_DONE;
    while (count < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        pay_credit *c = &out[count++];
        c->id = sqlite3_column_int64(s, 0);
        c->scope.merchant_id = sqlite3_column_int64(s, 1);
        c->scope.env = (pay_env)sqlite3_column_int(s, 2);
        c->amount = sqlite3_column_int64(s, 3);
        c->settle_date = sqlite3_column_int(s, 4);
        c->created_at_us = sqlite3_column_int64(s, 5);
    }
    if (count == cap) rc = SQLITE_DONE;
    sqlite3_reset(s);
    *n = count;
    return rc == SQLITE_DONE ? PAY_STORE_OK : fail(tx->conn->db, rc, "credit due");
}

static pay_store_rc credit_settle(pay_tx *t, int64_t id)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_CREDIT_SETTLE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int64(s, 1, id);
    pay_store_rc rc = exec_stmt(tx, s, "credit settle");
    if (rc == PAY_STORE_OK && sqlite3_changes(tx->conn->db) == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

/* ---- webhooks ------------------------------------------------------------ */

static pay_store_rc endpoint_get(pay_tx *t, pay_scope scope, char *url, size_t cap)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_ENDPOINT_GET);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) column_copy(s, 0, url, cap);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "endpoint get");
}

static pay_store_rc endpoint_set(pay_tx *t, pay_scope scope, const char *url, int64_t now_us)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, url ? SQL_ENDPOINT_SET : SQL_ENDPOINT_DELETE);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    if (url) {
        bind_text(s, 3, url);
        sqlite3_bind_int64(s, 4, now_us);
    }
    return exec_stmt(tx, s, "endpoint set");
}

static pay_store_rc event_insert(pay_tx *t, const pay_webhook_event *e)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_EVENT_INSERT);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, e->event_id);
    bind_scope(s, 2, e->scope);
    bind_text(s, 4, e->event_type);
    bind_text(s, 5, e->body);
    sqlite3_bind_int64(s, 6, e->created_at_us);
    sqlite3_bind_int(s, 7, (int)e->status);
    sqlite3_bind_int(s, 8, e->attempts);
    sqlite3_bind_int64(s, 9, e->next_attempt_at_us);
    return exec_stmt(tx, s, "event insert");
}

static pay_store_rc event_update(pay_tx *t, const pay_webhook_event *e)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_EVENT_UPDATE);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_int(s, 1, (int)e->status);
    sqlite3_bind_int(s, 2, e->attempts);
    sqlite3_bind_int64(s, 3, e->next_attempt_at_us);
    sqlite3_bind_int64(s, 4, e->last_attempt_at_us);
    sqlite3_bind_int(s, 5, e->last_http_status);
    bind_text(s, 6, e->last_error);
    sqlite3_bind_int64(s, 7, e->delivered_at_us);
    bind_text(s, 8, e->event_id);
    bind_scope(s, 9, e->scope);
    pay_store_rc rc = exec_stmt(tx, s, "event update");
    if (rc == PAY_STORE_OK && sqlite3_changes(tx->conn->db) == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

static bool read_event(sqlite3_stmt *s, pay_webhook_event *e)
{
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(s, 0);
    column_copy(s, 1, e->event_id, sizeof e->event_id);
    e->scope.merchant_id = sqlite3_column_int64(s, 2);
    e->scope.env = (pay_env)sqlite3_column_int(s, 3);
    column_copy(s, 4, e->event_type, sizeof e->event_type);
    const char *body = (const char *)sqlite3_column_text(s, 5);
    e->body = strdup(body ? body : "");
    e->created_at_us = sqlite3_column_int64(s, 6);
    e->status = (pay_event_status)sqlite3_column_int(s, 7);
    e->attempts = sqlite3_column_int(s, 8);
    e->next_attempt_at_us = sqlite3_column_int64(s, 9);
    e->last_attempt_at_us = sqlite3_column_int64(s, 10);
    e->last_http_status = sqlite3_column_int(s, 11);
    column_copy(s, 12, e->last_error, sizeof e->last_error);
    e->delivered_at_us = sqlite3_column_int64(s, 13);
    return e->body != NULL;
}

static pay_store_rc read_events(sq_tx *tx, sqlite3_stmt *s, pay_webhook_event *out, size_t cap,
                                size_t *n, const char *what)
{
    size_t count = 0;
    int rc = SQLITE_DONE;
    bool oom = false;
    while (count < cap && (rc = sqlite3_step(s)) == SQLITE_ROW)
        if (!read_event(s, &out[count++])) oom = true;
    if (count == cap) rc = SQLITE_DONE;
    sqlite3_reset(s);
    *n = count;
    if (rc != SQLITE_DONE || oom) {
        for (size_t i = 0; i < count; i++) pay_webhook_event_clear(&out[i]);
        *n = 0;
        return oom ? PAY_STORE_NOMEM : fail(tx->conn->db, rc, what);
    }
    return PAY_STORE_OK;
}

static pay_store_rc event_get(pay_tx *t, pay_scope scope, const char *event_id,
                              pay_webhook_event *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_EVENT_GET);
    if (!s) return PAY_STORE_IO;
    bind_text(s, 1, event_id);
    bind_scope(s, 2, scope);
    size_t n = 0;
    pay_store_rc rc = read_events(tx, s, out, 1, &n, "event get");
    if (rc == PAY_STORE_OK && n == 0) rc = PAY_STORE_NOTFOUND;
    return rc;
}

static pay_store_rc event_due(pay_tx *t, pay_scope scope, int64_t now_us, pay_webhook_event *out,
                              size_t cap, size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_EVENT_DUE);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int64(s, 3, now_us);
    sqlite3_bind_int64(s, 4, (int64_t)cap);
    return read_events(tx, s, out, cap, n, "event due");
}

static pay_store_rc event_list(pay_tx *t, pay_scope scope, int64_t before_seq, size_t limit,
                               pay_webhook_event *out, size_t *n)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_EVENT_LIST);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int64(s, 3, before_seq > 0 ? before_seq : INT64_MAX);
    sqlite3_bind_int64(s, 4, (int64_t)limit);
    return read_events(tx, s, out, limit, n, "event list");
}

/* ---- idempotency --------------------------------------------------------- */

static pay_store_rc idem_get(pay_tx *t, const uint8_t scope_hash[32], pay_idem_record *out)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_IDEM_GET);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_blob(s, 1, scope_hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    bool oom = false;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        memcpy(out->scope_hash, scope_hash, 32);
        out->scope.merchant_id = sqlite3_column_int64(s, 1);
        out->scope.env = (pay_env)sqlite3_column_int(s, 2);
        out->created_at_us = sqlite3_column_int64(s, 3);
        out->http_status = sqlite3_column_int(s, 4);
        const char *body = (const char *)sqlite3_column_text(s, 5);
        oom = !(out->body = strdup(body ? body : ""));
    }
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return PAY_STORE_NOTFOUND;
    if (oom) return PAY_STORE_NOMEM;
    return rc == SQLITE_ROW ? PAY_STORE_OK : fail(tx->conn->db, rc, "idempotency get");
}

static pay_store_rc idem_put(pay_tx *t, const pay_idem_record *r)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_IDEM_PUT);
    if (!s) return PAY_STORE_IO;
    sqlite3_bind_blob(s, 1, r->scope_hash, 32, SQLITE_STATIC);
    bind_scope(s, 2, r->scope);
    sqlite3_bind_int64(s, 4, r->created_at_us);
    sqlite3_bind_int(s, 5, r->http_status);
    bind_text(s, 6, r->body);
    return exec_stmt(tx, s, "idempotency put");
}

static pay_store_rc idem_prune(pay_tx *t, pay_scope scope, int64_t before_us)
{
    sq_tx *tx = (sq_tx *)t;
    sqlite3_stmt *s = prep(tx, SQL_IDEM_PRUNE);
    if (!s) return PAY_STORE_IO;
    bind_scope(s, 1, scope);
    sqlite3_bind_int64(s, 3, before_us);
    return exec_stmt(tx, s, "idempotency prune");
}

/* ---- connections --------------------------------------------------------- */

static void conn_close(sq_conn *c)
{
    for (int i = 0; i < SQL_COUNT; i++) sqlite3_finalize(c->stmt[i]);
    sqlite3_close_v2(c->db);
    memset(c, 0, sizeof *c);
}

static bool conn_open(sq_conn *c, const char *path, bool writer, char *errbuf, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open database %s: %s", path,
                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        conn_close(c);
        return false;
    }
    sqlite3_extended_result_codes(c->db, 1);
    /* Another process (e.g. `payoutd merchant create`) may hold the write
     * lock briefly; wait rather than fail. */
    sqlite3_busy_timeout(c->db, 5000);
    /* temp_store=MEMORY keeps each job's SAVEPOINT journal in memory: on
     * disk it spilled to a temp file after 64 KiB and cost more writes than
     * the WAL itself. */
    const char *pragmas = writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                   " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
                                 : "PRAGMA query_only=ON; PRAGMA foreign_keys=ON;";
    if (exec_sql(c->db, pragmas) != PAY_STORE_OK) {
        snprintf(errbuf, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(c->db));
        conn_close(c);
        return false;
    }
    if (writer) {
        sqlite3_stmt *s = NULL;
        const char *mode = "";
        if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            mode = (const char *)sqlite3_column_text(s, 0);
        bool wal = mode && strcmp(mode, "wal") == 0;
        sqlite3_finalize(s);
        if (!wal) {
            snprintf(errbuf, errlen, "database %s could not switch to WAL mode", path);
            conn_close(c);
            return false;
        }
    }
    return true;
}

static bool migrate(sq_conn *c, char *errbuf, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version > pay_sqlite_migration_count) {
        snprintf(errbuf, errlen,
                 "database schema version %d is newer than this payoutd (%d); upgrade payoutd",
                 version, pay_sqlite_migration_count);
        return false;
    }
    for (int v = version; v < pay_sqlite_migration_count; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", v + 1);
        if (exec_sql(c->db, "BEGIN IMMEDIATE") != PAY_STORE_OK ||
            exec_sql(c->db, pay_sqlite_migrations[v]) != PAY_STORE_OK ||
            exec_sql(c->db, bump) != PAY_STORE_OK || exec_sql(c->db, "COMMIT") != PAY_STORE_OK) {
            snprintf(errbuf, errlen, "schema migration %d failed: %s", v + 1,
                     sqlite3_errmsg(c->db));
            exec_sql(c->db, "ROLLBACK");
            return false;
        }
        pay_log_info("store: migrated schema to version %d", v + 1);
    }
    return true;
}

/* ---- reads --------------------------------------------------------------- */

static pay_store_rc sq_read(pay_store *store, pay_tx_fn fn, void *arg)
{
    sq_store *st = (sq_store *)store;
    pthread_mutex_lock(&st->pool_lock);
    while (st->n_free == 0) pthread_cond_wait(&st->pool_cond, &st->pool_lock);
    unsigned idx = st->free_readers[--st->n_free];
    pthread_mutex_unlock(&st->pool_lock);

    sq_tx tx = {{&sqlite_ops}, &st->readers[idx]};
    pay_store_rc rc = run_cached(&tx, SQL_BEGIN_READ);
    if (rc == PAY_STORE_OK) {
        rc = fn(&tx.base, arg);
        run_cached(&tx, SQL_COMMIT_READ);
    }

    pthread_mutex_lock(&st->pool_lock);
    st->free_readers[st->n_free++] = idx;
    pthread_cond_signal(&st->pool_cond);
    pthread_mutex_unlock(&st->pool_lock);
    return rc;
}

/* ---- writes (group commit) ----------------------------------------------- */

static void run_batch(sq_store *st, wjob **jobs, size_t n)
{
    sq_tx tx = {{&sqlite_ops}, &st->writer};
    sqlite3 *db = st->writer.db;
    pay_store_rc rc = exec_sql(db, "BEGIN IMMEDIATE");
    if (rc != PAY_STORE_OK) {
        for (size_t i = 0; i < n; i++) jobs[i]->rc = rc;
        return;
    }
    size_t i = 0;
    for (; i < n; i++) {
        if ((rc = run_cached(&tx, SQL_SAVEPOINT_JOB)) != PAY_STORE_OK) break;
        jobs[i]->rc = jobs[i]->fn(&tx.base, jobs[i]->arg);
        if (sqlite3_get_autocommit(db)) {
            /* SQLite rolled the whole transaction back (I/O error, disk
             * full): every job of this batch is lost, none committed. */
            rc = jobs[i]->rc != PAY_STORE_OK ? jobs[i]->rc : PAY_STORE_IO;
            break;
        }
        if (jobs[i]->rc != PAY_STORE_OK) run_cached(&tx, SQL_ROLLBACK_JOB);
        if ((rc = run_cached(&tx, SQL_RELEASE_JOB)) != PAY_STORE_OK) break;
    }
    if (i == n) rc = exec_sql(db, "COMMIT");
    if (rc != PAY_STORE_OK) {
        if (!sqlite3_get_autocommit(db)) exec_sql(db, "ROLLBACK");
        /* Nothing of this batch is on disk: report it to every job that
         * believed it had succeeded, and to those never run. */
        for (size_t k = 0; k < n; k++)
            if (k >= i || jobs[k]->rc == PAY_STORE_OK) jobs[k]->rc = rc;
    }
}

static void *writer_main(void *arg)
{
    sq_store *st = arg;
    wjob **batch = st->batch;
    for (;;) {
        pthread_mutex_lock(&st->q_lock);
        while (!st->head && !st->stopping) pthread_cond_wait(&st->q_work, &st->q_lock);
        if (!st->head && st->stopping) {
            pthread_mutex_unlock(&st->q_lock);
            break;
        }
        /* Everything queued while the last commit was syncing shares the
         * next one: that is the group commit. */
        size_t n = 0;
        while (st->head && n < st->batch_max) {
            batch[n++] = st->head;
            st->head = st->head->next;
        }
        if (!st->head) st->tail = NULL;
        pthread_mutex_unlock(&st->q_lock);

        run_batch(st, batch, n);
        st->stat_commits++;
        st->stat_jobs += n;
        if (n > st->stat_batch_peak) st->stat_batch_peak = n;

        /* Callbacks outside the lock: they resume HTTP connections. */
        for (size_t i = 0; i < n; i++)
            if (batch[i]->callback) {
                batch[i]->callback(batch[i]->callback_arg, batch[i]->rc);
                free(batch[i]);
                batch[i] = NULL;
            }
        pthread_mutex_lock(&st->q_lock);
        for (size_t i = 0; i < n; i++)
            if (batch[i]) batch[i]->done = true;
        pthread_cond_broadcast(&st->q_done);
        pthread_mutex_unlock(&st->q_lock);
    }
    return NULL;
}

/* Appends a job; false once the store is closing. */
static bool enqueue(sq_store *st, wjob *job)
{
    if (st->stopping) return false;
    if (st->tail)
        st->tail->next = job;
    else
        st->head = job;
    st->tail = job;
    pthread_cond_signal(&st->q_work);
    return true;
}

static pay_store_rc sq_write(pay_store *store, pay_tx_fn fn, void *arg)
{
    sq_store *st = (sq_store *)store;
    wjob job = {fn, arg, PAY_STORE_OK, false, NULL, NULL, NULL};
    pthread_mutex_lock(&st->q_lock);
    if (!enqueue(st, &job)) {
        pthread_mutex_unlock(&st->q_lock);
        return PAY_STORE_IO;
    }
    while (!job.done) pthread_cond_wait(&st->q_done, &st->q_lock);
    pthread_mutex_unlock(&st->q_lock);
    return job.rc;
}

static pay_store_rc sq_write_async(pay_store *store, pay_tx_fn fn, void *arg,
                                   pay_store_done_fn done, void *done_arg)
{
    sq_store *st = (sq_store *)store;
    wjob *job = calloc(1, sizeof *job);
    if (!job) return PAY_STORE_NOMEM;
    *job = (wjob){fn, arg, PAY_STORE_OK, false, done, done_arg, NULL};
    pthread_mutex_lock(&st->q_lock);
    bool queued = enqueue(st, job);
    pthread_mutex_unlock(&st->q_lock);
    if (!queued) {
        free(job);
        return PAY_STORE_IO;
    }
    return PAY_STORE_OK;
}

/* ---- checkpoints --------------------------------------------------------- */

/* Past about 4 MB of WAL the checkpoint thread copies it back into the
 * database file while commits go on. A PASSIVE checkpoint racing the writer
 * never quite finishes, and SQLite only rewinds the WAL once every frame is
 * copied; so when a background pass has ended, the writer copies the few
 * frames appended meanwhile itself, and its next transaction starts the WAL
 * from the beginning. Past about 200 MB (readers pin it, or the disk is
 * slow) the writer copies everything itself. */
#define CKPT_FRAMES 1000
#define CKPT_FRAMES_INLINE 50000

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    sq_store *st = arg;
    if (frames < CKPT_FRAMES) return SQLITE_OK;
    pthread_mutex_lock(&st->q_lock);
    bool finish = !st->ckpt_running && (st->ckpt_passes > 0 || frames >= CKPT_FRAMES_INLINE);
    if (finish) {
        st->ckpt_passes = 0;
    } else if (!st->ckpt_running) {
        st->ckpt_wanted = true;
        pthread_cond_signal(&st->ckpt_cond);
    }
    pthread_mutex_unlock(&st->q_lock);
    if (finish) {
        int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK) pay_log_warn("sqlite: checkpoint: %s (%d)", sqlite3_errmsg(db), rc);
    }
    return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
    sq_store *st = arg;
    pthread_mutex_lock(&st->q_lock);
    for (;;) {
        while (!st->ckpt_wanted && !st->stopping) pthread_cond_wait(&st->ckpt_cond, &st->q_lock);
        if (st->stopping) break; /* closing the writer checkpoints last */
        st->ckpt_wanted = false;
        st->ckpt_running = true;
        pthread_mutex_unlock(&st->q_lock);
        int frames = 0, copied = 0;
        /* PASSIVE: copies what no reader still needs, never blocks a commit. */
        int rc = sqlite3_wal_checkpoint_v2(st->ckpt.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                           &copied);
        if (rc != SQLITE_OK)
            pay_log_warn("sqlite: checkpoint: %s (%d)", sqlite3_errmsg(st->ckpt.db), rc);
        else
            pay_log_debug("store: checkpoint copied %d of %d WAL frames", copied, frames);
        pthread_mutex_lock(&st->q_lock);
        st->ckpt_running = false;
        if (rc == SQLITE_OK) st->ckpt_passes++;
    }
    pthread_mutex_unlock(&st->q_lock);
    return NULL;
}

/* Opens the checkpoint connection and thread and hands checkpoints to it. */
static bool ckpt_start(sq_store *st, const char *path, char *errbuf, size_t errlen)
{
    if (!conn_open(&st->ckpt, path, false, errbuf, errlen)) return false;
    if (exec_sql(st->ckpt.db, "PRAGMA query_only=OFF") != PAY_STORE_OK ||
        pthread_create(&st->ckpt_thread, NULL, ckpt_main, st) != 0) {
        snprintf(errbuf, errlen, "cannot start the store's checkpoint thread");
        return false;
    }
    st->ckpt_started = true;
    sqlite3_wal_hook(st->writer.db, wal_hook, st); /* replaces the automatic checkpoint */
    return true;
}

/* ---- lifecycle ----------------------------------------------------------- */

static void sq_close(pay_store *store)
{
    sq_store *st = (sq_store *)store;
    pthread_mutex_lock(&st->q_lock);
    st->stopping = true;
    pthread_cond_signal(&st->q_work);
    pthread_cond_signal(&st->ckpt_cond);
    pthread_mutex_unlock(&st->q_lock);
    if (st->thread_started) pthread_join(st->thread, NULL); /* drains the queue first */
    if (st->ckpt_started) pthread_join(st->ckpt_thread, NULL);
    if (st->stat_commits)
        pay_log_info("store: %llu write jobs in %llu transactions (%.1f per commit, peak %zu)",
                     (unsigned long long)st->stat_jobs, (unsigned long long)st->stat_commits,
                     (double)st->stat_jobs / (double)st->stat_commits, st->stat_batch_peak);
    for (unsigned i = 0; i < st->n_readers; i++) conn_close(&st->readers[i]);
    conn_close(&st->ckpt);
    conn_close(&st->writer); /* the last connection: checkpoints and removes the WAL */
    free(st->readers);
    free(st->free_readers);
    pthread_mutex_destroy(&st->pool_lock);
    pthread_cond_destroy(&st->pool_cond);
    pthread_mutex_destroy(&st->q_lock);
    pthread_cond_destroy(&st->q_work);
    pthread_cond_destroy(&st->q_done);
    pthread_cond_destroy(&st->ckpt_cond);
    free(st->batch);
    free(st);
}

/* Process-wide SQLite settings, before its first use: no memory statistics
 * (they take a global mutex on every allocation, which every connection's
 * thread then contends on). */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

pay_store *pay_store_sqlite_open(const pay_store_config *cfg, char *errbuf, size_t errlen)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_sqlite);
    sq_store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    st->base.ops = &sqlite_ops;
    st->batch_max = cfg->batch_max ? cfg->batch_max : 256;
    st->batch = calloc(st->batch_max, sizeof *st->batch);
    pthread_mutex_init(&st->pool_lock, NULL);
    pthread_cond_init(&st->pool_cond, NULL);
    pthread_mutex_init(&st->q_lock, NULL);
    pthread_cond_init(&st->q_work, NULL);
    pthread_cond_init(&st->q_done, NULL);
    pthread_cond_init(&st->ckpt_cond, NULL);

    if (!st->batch) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    if (!conn_open(&st->writer, cfg->path, true, errbuf, errlen) ||
        !migrate(&st->writer, errbuf, errlen))
        goto fail;

    st->n_readers = cfg->read_conns ? cfg->read_conns : 4;
    st->readers = calloc(st->n_readers, sizeof *st->readers);
    st->free_readers = calloc(st->n_readers, sizeof *st->free_readers);
    if (!st->readers || !st->free_readers) {
        snprintf(errbuf, errlen, "out of memory");
        st->n_readers = 0;
        goto fail;
    }
    for (unsigned i = 0; i < st->n_readers; i++) {
        if (!conn_open(&st->readers[i], cfg->path, false, errbuf, errlen)) {
            st->n_readers = i;
            goto fail;
        }
        st->free_readers[st->n_free++] = i;
    }
    if (!ckpt_start(st, cfg->path, errbuf, errlen)) goto fail;
    if (pthread_create(&st->thread, NULL, writer_main, st) != 0) {
        snprintf(errbuf, errlen, "cannot start the store's writer thread");
        goto fail;
    }
    st->thread_started = true;
    return &st->base;
fail:
    sq_close(&st->base);
    return NULL;
}

static const pay_store_ops sqlite_ops = {
    .engine = "sqlite",
    .close = sq_close,
    .read = sq_read,
    .write = sq_write,
    .write_async = sq_write_async,
    .merchant_insert = merchant_insert,
    .merchant_get = merchant_get,
    .merchant_get_by_mid = merchant_get_by_mid,
    .merchant_count = merchant_count,
    .merchant_update = merchant_update,
    .merchant_list = merchant_list,
    .key_insert = key_insert,
    .key_find = key_find,
    .key_list = key_list,
    .key_expire = key_expire,
    .key_set_material = key_set_material,
    .key_all_of_kind = key_all_of_kind,
    .nonce_claim = nonce_claim,
    .nonce_seen = nonce_seen,
    .nonce_prune = nonce_prune,
    .seller_insert = seller_insert,
    .seller_get = seller_get,
    .seller_state = seller_state,
    .seller_update = seller_update,
    .seller_seq = seller_seq,
    .seller_list = seller_list,
    .seller_recent_total = seller_recent_total,
    .seller_open_payouts = seller_open_payouts,
    .payout_insert = payout_insert,
    .payout_get = payout_get,
    .payout_ref_exists = payout_ref_exists,
    .payout_update = payout_update,
    .payout_seq = payout_seq,
    .payout_list = payout_list,
    .payout_due = payout_due,
    .balance_get = balance_get,
    .ledger_post = ledger_post,
    .ledger_audit = ledger_audit,
    .credit_insert = credit_insert,
    .credit_due = credit_due,
    .credit_settle = credit_settle,
    .endpoint_get = endpoint_get,
    .endpoint_set = endpoint_set,
    .event_insert = event_insert,
    .event_update = event_update,
    .event_get = event_get,
    .event_due = event_due,
    .event_list = event_list,
    .idem_get = idem_get,
    .idem_put = idem_put,
    .idem_prune = idem_prune,
};
