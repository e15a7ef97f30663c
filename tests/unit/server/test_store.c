/* The SQLite store (src/store/store_sqlite.c) through its public vtable, and
 * the double-entry ledger on top of it (src/core/ledger.c). Every test works
 * on a real database file in a fresh mkdtemp directory.
 *
 * Not covered: PRAGMA synchronous=FULL. It is a per-connection setting that
 * is not stored in the file, and the writer connection is private to
 * store_sqlite.c (a pay_tx exposes only the ops table), so no public API can
 * read it back. journal_mode=WAL is persistent and is checked. */
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "core/ledger.h"
#include "harness.h"
#include "store/sqlite_migrations.h"
#include "store/store.h"

static char tmp_dir[512];

/* A database path inside this run's temporary directory. */
static const char *db_path(const char *name)
{
    static char bufs[4][600];
    static unsigned slot;
    if (!tmp_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/pay-test-store.XXXXXX",
                 base && *base ? base : "/tmp");
        if (!mkdtemp(tmp_dir)) {
            pay_test_fail(__FILE__, __LINE__, "mkdtemp %s failed", tmp_dir);
            tmp_dir[0] = 0;
            return "/nonexistent/db";
        }
    }
    char *out = bufs[slot++ % 4];
    snprintf(out, sizeof bufs[0], "%s/%s", tmp_dir, name);
    return out;
}

static pay_store *open_store(const char *path)
{
    pay_store_config cfg = {path, 3, 0};
    char err[512] = "";
    pay_store *st = pay_store_sqlite_open(&cfg, err, sizeof err);
    if (!st) pay_test_fail(__FILE__, __LINE__, "open %s: %s", path, err);
    return st;
}

/* One value of a single-row query on a plain connection; -1 on failure. */
static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void sql_text(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    out[0] = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_text(s, 0))
        pay_strlcpy(out, (const char *)sqlite3_column_text(s, 0), cap);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* ---- jobs ---------------------------------------------------------------- */

static pay_store_rc merchant_fn(pay_tx *tx, void *arg)
{
    return tx->ops->merchant_insert(tx, arg);
}

static int64_t add_merchant(pay_store *st, const char *mid)
{
    pay_merchant m;
    memset(&m, 0, sizeof m);
    pay_strlcpy(m.mid, mid, sizeof m.mid);
    m.payout_contract = true;
    m.created_at_us = pay_real_now_us();
    pay_store_rc rc = pay_store_write(st, merchant_fn, &m);
    CHECK_EQ_INT(rc, PAY_STORE_OK);
    CHECK(m.id > 0);
    return rc == PAY_STORE_OK ? m.id : -1;
}

typedef struct move_job {
    pay_scope scope;
    pay_account from, to;
    int64_t amount;
    /* an optional second move in the same job */
    pay_account from2, to2;
    int64_t amount2;
} move_job;

static pay_store_rc move_fn(pay_tx *tx, void *arg)
{
    move_job *j = arg;
    pay_store_rc rc = pay_ledger_move(tx, j->scope, "test", "ref", 1, j->from, j->to, j->amount);
    if (rc == PAY_STORE_OK && j->amount2)
        rc = pay_ledger_move(tx, j->scope, "test", "ref2", 2, j->from2, j->to2, j->amount2);
    return rc;
}

static pay_store_rc move(pay_store *st, pay_scope scope, pay_account from, pay_account to,
                         int64_t amount)
{
    move_job j = {scope, from, to, amount, 0, 0, 0};
    return pay_store_write(st, move_fn, &j);
}

typedef struct balances_job {
    pay_scope scope;
    int64_t bal[PAY_ACCT_COUNT + 1];
    pay_ledger_audit audit;
} balances_job;

static pay_store_rc balances_fn(pay_tx *tx, void *arg)
{
    balances_job *j = arg;
    pay_store_rc rc;
    for (int a = 1; a <= PAY_ACCT_COUNT; a++)
        if ((rc = tx->ops->balance_get(tx, j->scope, (pay_account)a, &j->bal[a])) != PAY_STORE_OK)
            return rc;
    return tx->ops->ledger_audit(tx, j->scope, &j->audit);
}

/* Reads all balances and checks them (available, pending, reserved,
 * paid_out, funding) and the audit. */
static void expect_balances(pay_store *st, pay_scope scope, const int64_t want[5], int line)
{
    balances_job j;
    memset(&j, 0, sizeof j);
    j.scope = scope;
    pay_store_rc rc = pay_store_read(st, balances_fn, &j);
    if (rc != PAY_STORE_OK) {
        pay_test_fail(__FILE__, line, "balance read: %s", pay_store_rc_name(rc));
        return;
    }
    for (int a = 1; a <= PAY_ACCT_COUNT; a++) {
        if (j.bal[a] != want[a - 1])
            pay_test_fail(__FILE__, line, "%s = %lld, expected %lld",
                          pay_account_name((pay_account)a), (long long)j.bal[a],
                          (long long)want[a - 1]);
        if (j.audit.balance[a] != want[a - 1] || j.audit.entry_sum[a] != want[a - 1])
            pay_test_fail(__FILE__, line, "audit %s: balance %lld, entries %lld",
                          pay_account_name((pay_account)a), (long long)j.audit.balance[a],
                          (long long)j.audit.entry_sum[a]);
    }
    char why[256] = "";
    if (!pay_ledger_audit_ok(&j.audit, why, sizeof why))
        pay_test_fail(__FILE__, line, "audit failed: %s", why);
    if (j.audit.unbalanced_txns != 0)
        pay_test_fail(__FILE__, line, "%lld unbalanced txns", (long long)j.audit.unbalanced_txns);
}

#define EXPECT_BALANCES(st, scope, ...)                                                            \
    do {                                                                                           \
        const int64_t want_[5] = {__VA_ARGS__};                                                    \
        expect_balances(st, scope, want_, __LINE__);                                               \
    } while (0)

static void make_seller(pay_seller *s, pay_scope scope, const char *ref)
{
    memset(s, 0, sizeof *s);
    int64_t now = pay_real_now_us();
    if (!pay_object_id_new("seller_", now, s->id, sizeof s->id))
        pay_test_fail(__FILE__, __LINE__, "no seller id");
    s->scope = scope;
    pay_strlcpy(s->ref_seller_id, ref, sizeof s->ref_seller_id);
    s->business_type = PAY_BT_INDIVIDUAL;
    s->status = PAY_SELLER_APPROVAL_REQUIRED;
    s->individual = json_pack("{s:s,s:s,s:s}", "name", "김토스", "email", "kim@example.com",
                              "phone", "01012345678");
    s->account = json_pack("{s:s,s:s,s:s}", "bankCode", "004", "accountNumber", "049210482003",
                           "holderName", "김토스");
    s->created_at_us = s->updated_at_us = now;
}

typedef struct seller_job {
    pay_seller s;
    bool abort_after; /* insert, then refuse the job */
    pay_store_rc insert_rc;
    pay_store_rc write_rc;
} seller_job;

static pay_store_rc seller_fn(pay_tx *tx, void *arg)
{
    seller_job *j = arg;
    j->insert_rc = tx->ops->seller_insert(tx, &j->s);
    if (j->insert_rc != PAY_STORE_OK) return j->insert_rc;
    return j->abort_after ? PAY_STORE_ABORT : PAY_STORE_OK;
}

static pay_store_rc insert_seller(pay_store *st, pay_scope scope, const char *ref)
{
    seller_job j;
    memset(&j, 0, sizeof j);
    make_seller(&j.s, scope, ref);
    pay_store_rc rc = pay_store_write(st, seller_fn, &j);
    pay_seller_clear(&j.s);
    return rc;
}

typedef struct get_job {
    pay_scope scope;
    const char *id;
    pay_seller out;
} get_job;

static pay_store_rc get_fn(pay_tx *tx, void *arg)
{
    get_job *j = arg;
    return tx->ops->seller_get(tx, j->scope, j->id, &j->out);
}

/* seller_get through a read snapshot; fills *out on OK (caller clears). */
static pay_store_rc get_seller(pay_store *st, pay_scope scope, const char *id, pay_seller *out)
{
    get_job j;
    memset(&j, 0, sizeof j);
    j.scope = scope;
    j.id = id;
    pay_store_rc rc = pay_store_read(st, get_fn, &j);
    *out = j.out;
    return rc;
}

/* ---- (a) ledger ---------------------------------------------------------- */

static void test_ledger_moves(void)
{
    const char *path = db_path("ledger.db");
    pay_store *st = open_store(path);
    REQUIRE(st);
    int64_t mid = add_merchant(st, "m_ledger");
    pay_scope test = {mid, PAY_ENV_TEST}, live = {mid, PAY_ENV_LIVE};

    /* a fresh scope has no balances yet */
    EXPECT_BALANCES(st, test, 0, 0, 0, 0, 0);
    /*                        available, pending, reserved, paid_out, funding */
    CHECK_EQ_INT(move(st, test, PAY_ACCT_FUNDING, PAY_ACCT_AVAILABLE, 100000), PAY_STORE_OK);
    EXPECT_BALANCES(st, test, 100000, 0, 0, 0, -100000);
    CHECK_EQ_INT(move(st, test, PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED, 30000), PAY_STORE_OK);
    EXPECT_BALANCES(st, test, 70000, 0, 30000, 0, -100000);

    /* one won more than available: refused, nothing changes */
    CHECK_EQ_INT(move(st, test, PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED, 70001), PAY_STORE_CONFLICT);
    EXPECT_BALANCES(st, test, 70000, 0, 30000, 0, -100000);
    /* an internal account that never had money (no row yet) */
    CHECK_EQ_INT(move(st, test, PAY_ACCT_PENDING, PAY_ACCT_AVAILABLE, 1), PAY_STORE_CONFLICT);
    EXPECT_BALANCES(st, test, 70000, 0, 30000, 0, -100000);
    /* the other environment's money is not this one's */
    CHECK_EQ_INT(move(st, live, PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED, 1), PAY_STORE_CONFLICT);
    EXPECT_BALANCES(st, live, 0, 0, 0, 0, 0);

    /* a job is atomic: its first move is undone when its second is refused */
    move_job two = {test,   PAY_ACCT_FUNDING,   PAY_ACCT_AVAILABLE,
                    500,    PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED,
                    1000000};
    CHECK_EQ_INT(pay_store_write(st, move_fn, &two), PAY_STORE_CONFLICT);
    EXPECT_BALANCES(st, test, 70000, 0, 30000, 0, -100000);

    /* exactly all of it is fine, down to zero */
    CHECK_EQ_INT(move(st, test, PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED, 70000), PAY_STORE_OK);
    EXPECT_BALANCES(st, test, 0, 0, 100000, 0, -100000);
    CHECK_EQ_INT(move(st, test, PAY_ACCT_RESERVED, PAY_ACCT_PAID_OUT, 60000), PAY_STORE_OK);
    CHECK_EQ_INT(move(st, test, PAY_ACCT_RESERVED, PAY_ACCT_AVAILABLE, 40000), PAY_STORE_OK);
    EXPECT_BALANCES(st, test, 40000, 0, 0, 60000, -100000);
    CHECK_EQ_INT(move(st, test, PAY_ACCT_FUNDING, PAY_ACCT_PENDING, 7), PAY_STORE_OK);
    CHECK_EQ_INT(move(st, test, PAY_ACCT_PENDING, PAY_ACCT_AVAILABLE, 7), PAY_STORE_OK);
    EXPECT_BALANCES(st, test, 40007, 0, 0, 60000, -100007);

    /* a good move still works after refused ones on the same writer */
    CHECK_EQ_INT(move(st, live, PAY_ACCT_FUNDING, PAY_ACCT_AVAILABLE, 1), PAY_STORE_OK);
    EXPECT_BALANCES(st, live, 1, 0, 0, 0, -1);
    pay_store_close(st);

    /* only the accepted moves left transactions: 8 with 2 entries each */
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM ledger_txns"), 8);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM ledger_entries"), 16);
}

static void test_ledger_audit_ok_rules(void)
{
    pay_ledger_audit a;
    char why[256];
    memset(&a, 0, sizeof a);
    CHECK(pay_ledger_audit_ok(&a, why, sizeof why));
    a.balance[PAY_ACCT_AVAILABLE] = a.entry_sum[PAY_ACCT_AVAILABLE] = 100;
    a.balance[PAY_ACCT_FUNDING] = a.entry_sum[PAY_ACCT_FUNDING] = -100;
    CHECK(pay_ledger_audit_ok(&a, why, sizeof why));

    pay_ledger_audit b = a;
    b.entry_sum[PAY_ACCT_AVAILABLE] = 99;
    CHECK(!pay_ledger_audit_ok(&b, why, sizeof why));
    CHECK_CONTAINS(why, "available");
    CHECK_CONTAINS(why, "99");

    b = a;
    b.balance[PAY_ACCT_RESERVED] = b.entry_sum[PAY_ACCT_RESERVED] = -5;
    b.balance[PAY_ACCT_FUNDING] = b.entry_sum[PAY_ACCT_FUNDING] = -95;
    CHECK(!pay_ledger_audit_ok(&b, why, sizeof why));
    CHECK_CONTAINS(why, "reserved is negative");

    /* external accounts may be negative, but everything sums to zero */
    b = a;
    b.balance[PAY_ACCT_PAID_OUT] = b.entry_sum[PAY_ACCT_PAID_OUT] = 1;
    CHECK(!pay_ledger_audit_ok(&b, why, sizeof why));
    CHECK_CONTAINS(why, "sum to 1");

    b = a;
    b.unbalanced_txns = 2;
    CHECK(!pay_ledger_audit_ok(&b, why, sizeof why));
    CHECK_CONTAINS(why, "2 transaction(s)");
}

/* ---- (b) savepoint isolation under concurrent writers -------------------- */

enum { THREADS = 8, JOBS_PER_THREAD = 200 };

typedef struct writer_arg {
    pay_store *st;
    pay_scope scope;
    int thread;
    seller_job *jobs; /* JOBS_PER_THREAD */
} writer_arg;

static void *writer_main(void *p)
{
    writer_arg *w = p;
    for (int k = 0; k < JOBS_PER_THREAD; k++) {
        seller_job *j = &w->jobs[k];
        j->write_rc = pay_store_write(w->st, seller_fn, j);
    }
    return NULL;
}

static void test_concurrent_savepoints(void)
{
    pay_store *st = open_store(db_path("concurrent.db"));
    REQUIRE(st);
    int64_t mid = add_merchant(st, "m_conc");
    pay_scope scope = {mid, PAY_ENV_TEST};
    seller_job *jobs = calloc(THREADS * JOBS_PER_THREAD, sizeof *jobs);
    writer_arg args[THREADS];
    pthread_t th[THREADS];
    REQUIRE(jobs);
    for (int t = 0; t < THREADS; t++) {
        for (int k = 0; k < JOBS_PER_THREAD; k++) {
            seller_job *j = &jobs[t * JOBS_PER_THREAD + k];
            char ref[32];
            snprintf(ref, sizeof ref, "t%d-%d", t, k);
            make_seller(&j->s, scope, ref);
            j->abort_after = k % 3 == 2; /* every third job */
            j->insert_rc = j->write_rc = (pay_store_rc)-1;
        }
        args[t] = (writer_arg){st, scope, t, &jobs[t * JOBS_PER_THREAD]};
    }
    int started = 0;
    for (int t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, writer_main, &args[t]) == 0) started++;
    REQUIRE(started == THREADS);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    int kept = 0, aborted = 0, wrong = 0;
    for (int i = 0; i < THREADS * JOBS_PER_THREAD; i++) {
        seller_job *j = &jobs[i];
        pay_seller got;
        pay_store_rc want_write = j->abort_after ? PAY_STORE_ABORT : PAY_STORE_OK;
        pay_store_rc rc = get_seller(st, scope, j->s.id, &got);
        bool ok = j->insert_rc == PAY_STORE_OK && j->write_rc == want_write;
        if (j->abort_after) {
            ok = ok && rc == PAY_STORE_NOTFOUND;
            aborted++;
        } else {
            ok = ok && rc == PAY_STORE_OK && strcmp(got.ref_seller_id, j->s.ref_seller_id) == 0 &&
                 strcmp(got.id, j->s.id) == 0 && json_equal(got.account, j->s.account) &&
                 json_equal(got.individual, j->s.individual) && got.scope.merchant_id == mid;
            kept++;
        }
        if (!ok && wrong++ < 5)
            CHECK_MSG(false, "job %s (%s): insert %s, write %s, get %s", j->s.ref_seller_id,
                      j->abort_after ? "aborted" : "kept", pay_store_rc_name(j->insert_rc),
                      pay_store_rc_name(j->write_rc), pay_store_rc_name(rc));
        if (rc == PAY_STORE_OK) pay_seller_clear(&got);
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(kept, THREADS * (JOBS_PER_THREAD - JOBS_PER_THREAD / 3));
    CHECK_EQ_INT(aborted, THREADS * (JOBS_PER_THREAD / 3));

    /* an aborted job left nothing behind: its refSellerId is still free,
     * while a kept one's is taken */
    CHECK_EQ_INT(insert_seller(st, scope, "t0-2"), PAY_STORE_OK);
    CHECK_EQ_INT(insert_seller(st, scope, "t7-197"), PAY_STORE_OK);
    CHECK_EQ_INT(insert_seller(st, scope, "t0-0"), PAY_STORE_CONFLICT);
    CHECK_EQ_INT(insert_seller(st, scope, "t7-199"), PAY_STORE_CONFLICT);

    for (int i = 0; i < THREADS * JOBS_PER_THREAD; i++)
        pay_seller_clear(&jobs[i].s);
    free(jobs);
    pay_store_close(st);
}

/* ---- (c) refSellerId uniqueness per merchant and environment -------------- */

static void test_seller_ref_unique_per_scope(void)
{
    pay_store *st = open_store(db_path("unique.db"));
    REQUIRE(st);
    int64_t m1 = add_merchant(st, "m_one"), m2 = add_merchant(st, "m_two");
    pay_scope m1_test = {m1, PAY_ENV_TEST}, m1_live = {m1, PAY_ENV_LIVE};
    pay_scope m2_test = {m2, PAY_ENV_TEST};

    seller_job first;
    memset(&first, 0, sizeof first);
    make_seller(&first.s, m1_test, "dup-1");
    CHECK_EQ_INT(pay_store_write(st, seller_fn, &first), PAY_STORE_OK);
    CHECK_EQ_INT(insert_seller(st, m1_test, "dup-1"), PAY_STORE_CONFLICT);
    CHECK_EQ_INT(insert_seller(st, m1_live, "dup-1"), PAY_STORE_OK);
    CHECK_EQ_INT(insert_seller(st, m2_test, "dup-1"), PAY_STORE_OK);
    CHECK_EQ_INT(insert_seller(st, m1_live, "dup-1"), PAY_STORE_CONFLICT);
    CHECK_EQ_INT(insert_seller(st, m1_test, "dup-2"), PAY_STORE_OK);
    /* a multibyte refSellerId is stored and compared as text */
    CHECK_EQ_INT(insert_seller(st, m1_test, "셀러-1"), PAY_STORE_OK);
    CHECK_EQ_INT(insert_seller(st, m1_test, "셀러-1"), PAY_STORE_CONFLICT);

    /* the refused duplicates did not disturb the first one */
    pay_seller got;
    REQUIRE(get_seller(st, m1_test, first.s.id, &got) == PAY_STORE_OK);
    CHECK_EQ_STR(got.ref_seller_id, "dup-1");
    pay_seller_clear(&got);
    /* ids are scoped too: another merchant or environment cannot read it */
    CHECK_EQ_INT(get_seller(st, m1_live, first.s.id, &got), PAY_STORE_NOTFOUND);
    CHECK_EQ_INT(get_seller(st, m2_test, first.s.id, &got), PAY_STORE_NOTFOUND);
    CHECK_EQ_INT(get_seller(st, m1_test, "seller_nobody", &got), PAY_STORE_NOTFOUND);
    pay_seller_clear(&first.s);
    pay_store_close(st);
}

/* Read transactions run on query_only connections. */
static void test_read_cannot_write(void)
{
    pay_store *st = open_store(db_path("readonly.db"));
    REQUIRE(st);
    int64_t mid = add_merchant(st, "m_ro");
    seller_job j;
    memset(&j, 0, sizeof j);
    make_seller(&j.s, (pay_scope){mid, PAY_ENV_TEST}, "ro-1");
    /* expected to log "attempt to write a readonly database" */
    pay_store_rc rc = pay_store_read(st, seller_fn, &j);
    CHECK(rc != PAY_STORE_OK);
    pay_seller got;
    CHECK_EQ_INT(get_seller(st, j.s.scope, j.s.id, &got), PAY_STORE_NOTFOUND);
    pay_seller_clear(&j.s);
    pay_store_close(st);
}

/* ---- (d) durability, (f) journal mode ------------------------------------- */

static void test_reopen_keeps_data(void)
{
    const char *path = db_path("durable.db");
    pay_store *st = open_store(path);
    REQUIRE(st);
    int64_t mid = add_merchant(st, "m_durable");
    pay_scope scope = {mid, PAY_ENV_LIVE};
    seller_job j;
    memset(&j, 0, sizeof j);
    make_seller(&j.s, scope, "keep-me");
    CHECK_EQ_INT(pay_store_write(st, seller_fn, &j), PAY_STORE_OK);
    CHECK_EQ_INT(move(st, scope, PAY_ACCT_FUNDING, PAY_ACCT_AVAILABLE, 12345), PAY_STORE_OK);
    CHECK_EQ_INT(move(st, scope, PAY_ACCT_AVAILABLE, PAY_ACCT_RESERVED, 345), PAY_STORE_OK);

    /* (f) the file is in WAL mode while the store has it open */
    char mode[32];
    sql_text(path, "PRAGMA journal_mode", mode, sizeof mode);
    CHECK_EQ_STR(mode, "wal");
    pay_store_close(st);

    st = open_store(path);
    REQUIRE(st);
    pay_seller got;
    REQUIRE(get_seller(st, scope, j.s.id, &got) == PAY_STORE_OK);
    CHECK_EQ_STR(got.ref_seller_id, "keep-me");
    CHECK_EQ_INT(got.business_type, PAY_BT_INDIVIDUAL);
    CHECK_EQ_INT(got.status, PAY_SELLER_APPROVAL_REQUIRED);
    CHECK_EQ_INT(got.created_at_us, j.s.created_at_us);
    CHECK(json_equal(got.account, j.s.account));
    CHECK(json_equal(got.individual, j.s.individual));
    CHECK(got.company == NULL && got.metadata == NULL && !got.deleted);
    pay_seller_clear(&got);
    EXPECT_BALANCES(st, scope, 12000, 0, 345, 0, -12345);
    /* the unique refSellerId survived the restart too */
    CHECK_EQ_INT(insert_seller(st, scope, "keep-me"), PAY_STORE_CONFLICT);
    pay_store_close(st);

    CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), pay_sqlite_migration_count);
    CHECK(pay_sqlite_migration_count >= 1);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM merchants"), 1);
    sql_text(path, "PRAGMA journal_mode", mode, sizeof mode);
    CHECK_EQ_STR(mode, "wal"); /* persistent: still WAL with the store closed */
    pay_seller_clear(&j.s);
}

/* ---- (e) a newer schema is refused ---------------------------------------- */

static void test_newer_schema_refused(void)
{
    const char *path = db_path("future.db");
    sqlite3 *db = NULL;
    char sql[64];
    int future = pay_sqlite_migration_count + 1;
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", future);
    REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
            SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    pay_store_config cfg = {path, 2, 0};
    char err[512] = "";
    pay_store *st = pay_store_sqlite_open(&cfg, err, sizeof err);
    CHECK(st == NULL);
    pay_store_close(st);
    char want[64];
    snprintf(want, sizeof want, "version %d", future);
    CHECK_CONTAINS(err, want);
    snprintf(want, sizeof want, "(%d)", pay_sqlite_migration_count);
    CHECK_CONTAINS(err, want);
    /* and it was left as it was: no migration ran, no table was created */
    CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), future);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM sqlite_master"), 0);

    /* a path that cannot be created is an error with a message, not a crash */
    err[0] = 0;
    cfg.path = db_path("no-such-dir/x.db");
    st = pay_store_sqlite_open(&cfg, err, sizeof err);
    CHECK(st == NULL);
    CHECK_CONTAINS(err, "no-such-dir");
}

/* ---- (f) v4 moves stored answers out of a WITHOUT ROWID table ------------ */

static pay_store_rc idem_get_fn(pay_tx *tx, void *arg)
{
    pay_idem_record *r = arg;
    return tx->ops->idem_get(tx, r->scope_hash, r);
}

static pay_store_rc idem_put_fn(pay_tx *tx, void *arg)
{
    return tx->ops->idem_put(tx, arg);
}

static void test_idempotency_survives_v4(void)
{
    const char *path = db_path("v3.db");
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
            SQLITE_OK);
    REQUIRE(pay_sqlite_migration_count >= 4);
    for (int i = 0; i < 3; i++)
        REQUIRE(sqlite3_exec(db, pay_sqlite_migrations[i], NULL, NULL, NULL) == SQLITE_OK);
    /* two answers stored by a version 3 server */
    REQUIRE(sqlite3_exec(db,
                         "INSERT INTO merchants (mid, payout_contract, created_at_us)"
                         "  VALUES ('m1', 1, 1);"
                         "INSERT INTO idempotency VALUES"
                         "  (zeroblob(32), 1, 0, 100, 200, '{\"first\":1}'),"
                         "  (x'01" "00000000000000000000000000000000000000000000000000000000000000', 1, 0, 50, 400, '{\"second\":2}');"
                         "PRAGMA user_version=3;",
                         NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);

    pay_store *st = open_store(path);
    REQUIRE(st);
    CHECK_EQ_INT(sql_int(path, "PRAGMA user_version"), pay_sqlite_migration_count);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM pragma_table_info('idempotency')"
                               " WHERE name = 'id' AND pk = 1"),
                 1);
    pay_idem_record r;
    memset(&r, 0, sizeof r);
    REQUIRE(pay_store_read(st, idem_get_fn, &r) == PAY_STORE_OK);
    CHECK_EQ_INT(r.http_status, 200);
    CHECK_EQ_INT(r.created_at_us, 100);
    CHECK_EQ_STR(r.body, "{\"first\":1}");
    pay_idem_record_clear(&r);
    memset(&r, 0, sizeof r);
    r.scope_hash[0] = 1;
    REQUIRE(pay_store_read(st, idem_get_fn, &r) == PAY_STORE_OK);
    CHECK_EQ_INT(r.http_status, 400);
    CHECK_EQ_STR(r.body, "{\"second\":2}");
    pay_idem_record_clear(&r);

    /* put still replaces the record of the same hash */
    pay_idem_record put;
    memset(&put, 0, sizeof put);
    put.scope.merchant_id = 1;
    put.created_at_us = 300;
    put.http_status = 200;
    put.body = "{\"third\":3}";
    REQUIRE(pay_store_write(st, idem_put_fn, &put) == PAY_STORE_OK);
    pay_store_close(st);
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM idempotency"), 2);
    CHECK_EQ_INT(sql_int(path, "SELECT created_at_us FROM idempotency WHERE scope_hash ="
                               " zeroblob(32)"),
                 300);
}

/* ---- (g) checkpoints keep the WAL bounded under steady writes ----------- */

static long long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long long n = ftell(f);
    fclose(f);
    return n;
}

static void test_wal_stays_bounded(void)
{
    const char *path = db_path("wal.db");
    pay_store *st = open_store(path);
    REQUIRE(st);
    static char body[40001];
    memset(body, 'x', sizeof body - 1);
    pay_idem_record put;
    memset(&put, 0, sizeof put);
    put.scope.merchant_id = 1;
    put.http_status = 200;
    put.body = body;
    /* 16 MB of answers, one commit each: without checkpoints all of it
     * would sit in the WAL */
    for (int i = 0; i < 400; i++) {
        memcpy(put.scope_hash, &i, sizeof i);
        put.created_at_us = i;
        REQUIRE(pay_store_write(st, idem_put_fn, &put) == PAY_STORE_OK);
    }
    char wal[700];
    snprintf(wal, sizeof wal, "%s-wal", path);
    long long wal_bytes = file_size(wal);
    CHECK_MSG(wal_bytes > 0 && wal_bytes < 12 * 1024 * 1024, "WAL is %lld bytes", wal_bytes);
    pay_store_close(st);
    CHECK_EQ_INT(file_size(wal), -1); /* the last close copied it all and removed it */
    CHECK_EQ_INT(sql_int(path, "SELECT count(*) FROM idempotency"), 400);
}

static void remove_tmp_dir(void)
{
    if (!tmp_dir[0]) return;
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    char path[1024];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
        CHECK_MSG(unlink(path) == 0, "cannot remove %s", path);
    }
    if (d) closedir(d);
    CHECK_MSG(rmdir(tmp_dir) == 0, "cannot remove %s", tmp_dir);
}

PAY_TEST_MAIN(PAY_TEST(test_ledger_moves), PAY_TEST(test_ledger_audit_ok_rules),
              PAY_TEST(test_concurrent_savepoints), PAY_TEST(test_seller_ref_unique_per_scope),
              PAY_TEST(test_read_cannot_write), PAY_TEST(test_reopen_keeps_data),
              PAY_TEST(test_newer_schema_refused), PAY_TEST(test_idempotency_survives_v4),
              PAY_TEST(test_wal_stays_bounded), PAY_TEST(remove_tmp_dir))
