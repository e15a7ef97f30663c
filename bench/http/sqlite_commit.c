/*
 * sqlite_commit — the durable-write ceiling for the POST benchmark: one
 * SQLite transaction per ~400-byte row, WAL, synchronous=FULL, in a tight
 * loop on the same filesystem as payoutd's database.
 *
 *   sqlite_commit DBFILE SECONDS
 *
 * Prints "BENCH commits=N seconds=S rate=R p50_us=.. p99_us=..".
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void must(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite_commit: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: sqlite_commit DBFILE SECONDS\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    sqlite3 *db = NULL;
    must(sqlite3_open(argv[1], &db), db, "open");
    must(sqlite3_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
                      NULL, NULL, NULL),
         db, "setup");
    sqlite3_stmt *begin, *insert, *commit;
    must(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), db, "prepare");
    must(sqlite3_prepare_v2(db, "INSERT INTO rows (body) VALUES (?)", -1, &insert, NULL), db,
         "prepare");
    must(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), db, "prepare");
    char row[401];
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    if (!lat) return 1;
    double start = now_s(), end = start + seconds, t = start;
    while (t < end && n < cap) {
        snprintf(row, sizeof row, "%0400zu", n); /* 400 bytes, unique */
        must(sqlite3_step(begin), db, "begin");
        sqlite3_reset(begin);
        sqlite3_bind_text(insert, 1, row, 400, SQLITE_STATIC);
        must(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
        must(sqlite3_step(commit), db, "commit");
        sqlite3_reset(commit);
        double t2 = now_s();
        lat[n++] = t2 - t;
        t = t2;
    }
    double elapsed = t - start;
    qsort(lat, n, sizeof *lat, cmp_double);
    printf("BENCH commits=%zu seconds=%.3f rate=%.1f p50_us=%.0f p99_us=%.0f\n", n, elapsed,
           (double)n / elapsed, lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6);
    sqlite3_finalize(begin);
    sqlite3_finalize(insert);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    free(lat);
    return 0;
}
