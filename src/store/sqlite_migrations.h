/* Versioned schema for the SQLite store: migration i (1-based) takes the
 * database from PRAGMA user_version i-1 to i. Append only; never edit a
 * migration that has shipped. */
#ifndef PAY_SQLITE_MIGRATIONS_H
#define PAY_SQLITE_MIGRATIONS_H

extern const char *const pay_sqlite_migrations[];
extern const int pay_sqlite_migration_count;

#endif
