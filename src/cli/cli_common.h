/*
 * What payoutctl's commands share: the global options, credentials, the
 * libpayout client, request/answer printing and error reporting.
 *
 * payoutctl is a client of the public libpayout API only (STYLE habit 12):
 * it includes the "payout/" headers, jansson and the C library, never src/common or
 * src/core. The one exception is cli_admin.c, which talks to payoutd's own
 * admin API with libcurl (see the comment there).
 *
 * Ownership: strings in payctl_g borrow from argv or the environment; keys
 * loaded with payctl_load_secret are malloc'd and must be released with
 * payctl_secret_free (it wipes). Single-threaded.
 */
#ifndef PAYCTL_CLI_COMMON_H
#define PAYCTL_CLI_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "commands.h"
#include "payout/client.h"

#define PAYCTL_VERSION "0.1.0"
#define PAYCTL_INPUT_MAX (16 * 1024 * 1024)       /* longest --file / stdin input read */
#define PAYCTL_KEY_FILE_MAX 4096                  /* a key file is one short line */
#define PAYCTL_META_MAX 16                        /* --meta pairs accepted (the API allows 5) */
#define PAYCTL_TIMEOUT_MAX 3600                   /* --timeout SECONDS */
#define PAYCTL_RETRIES_MAX PAY_CLIENT_RETRIES_MAX /* --retries N: libpayout's limit */
#define PAYCTL_ID_MAX 64                          /* ids that go into a path */

/* Global options: accepted before the command and after it. */
typedef struct payctl_globals {
    const char *base_url;          /* --base-url, else PAYOUT_BASE_URL, else libpayout's default */
    const char *secret_key;        /* --secret-key (visible in ps: prefer the env or a file) */
    const char *security_key;      /* --security-key */
    const char *secret_key_file;   /* --secret-key-file: first line */
    const char *security_key_file; /* --security-key-file: first line */
    long timeout_s;                /* --timeout; 0: libpayout's default */
    int retries;                   /* --retries; -1: libpayout's default */
    const char *lang;              /* --lang en|ko */
    bool encrypt_reads;            /* --encrypt-reads */
    const char *ca_file;           /* --ca-file */
    const char *test_code;         /* --test-code */
    const char *idempotency_key;   /* --idempotency-key (POSTs) */
    bool raw;                      /* --raw: the envelope exactly as received/decrypted */
    bool verbose;                  /* --verbose: to stderr, never a key */
    const char *field;             /* --field PATH: print one value of the output */
    const char *admin_url;         /* --admin-url, else PAYOUTD_ADMIN_URL */
    const char *admin_token_file;  /* --admin-token-file, else PAYOUTD_ADMIN_TOKEN */
    const char *merchant;          /* --merchant, else PAYOUTD_MERCHANT (admin) */
} payctl_globals;

extern payctl_globals payctl_g;

/* The global options' help text (one block, printed by every --help). */
extern const char payctl_global_help[];

void payctl_globals_init(void);

/* Consumes a global option at argv[*i] (with its value, "--x V" or
 * "--x=V"). Returns 1 when consumed (*i then points at its last word), 0
 * when argv[*i] is not a global option, -1 on a bad value (reported). */
int payctl_global_option(int argc, char **argv, int *i);

/* "--help", "-h" or "help". */
bool payctl_is_help(const char *arg);

/* Matches option `name` at argv[*i] taking a value ("--name V" or
 * "--name=V"). On a match sets *value and advances *i to the value's word;
 * a missing value is reported and sets *bad. */
bool payctl_opt(int argc, char **argv, int *i, const char *name, const char **value, bool *bad);

/* Prints "payoutctl: <message>" and "see: payoutctl <cmd> --help" to
 * stderr; returns PAYCTL_USAGE. */
int payctl_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "payoutctl: <message>" to stderr when --verbose. */
void payctl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a help text to stdout, then the global options; returns 0. */
int payctl_help(const char *text);

/* A command's own option, for payctl_parse_args: exactly one of value
 * (takes a value), flag (no value) or list (repeatable value) is set. */
typedef struct payctl_option {
    const char *name; /* "--ref" */
    const char **value;
    bool *flag;
    const char **list;
    size_t *list_len;
    size_t list_max;
} payctl_option;

/* Parses the words after a subcommand: its options (table ending with a
 * NULL name), global options anywhere, --help, "--", and at most pos_max
 * positionals. Returns -1 when the command should run, otherwise the exit
 * code (0 after --help, PAYCTL_USAGE after reporting). */
int payctl_parse_args(const char *cmd, const char *help, const payctl_option *opts, int argc,
                      char **argv, const char **pos, size_t pos_max, size_t *npos);

/* ---- input ------------------------------------------------------------------- */

/* Reads a whole file ("-": stdin), at most PAYCTL_INPUT_MAX bytes, NUL-
 * terminated. Returns 0, or an exit code after reporting. */
int payctl_read_file(const char *path, char **data, size_t *len);

/* Parses JSON text (duplicate members refused). Returns 0 or PAYCTL_USAGE. */
int payctl_parse_json(const char *what, const char *text, size_t len, json_t **out);

/* A whole number written with digits only, 1..max. */
bool payctl_parse_count(const char *s, long long max, long long *out);

/* yyyy-MM-dd shape (digits and dashes; the server checks the calendar). */
bool payctl_date_shape(const char *s);

/* An id that may go into a URL path: 1-64 of A-Z a-z 0-9 _ -. */
bool payctl_id_ok(const char *s);

/* ---- credentials ---------------------------------------------------------------- */

/* Loads a credential from, in order, the flag value, the file (its first
 * line) or the environment variable. From a file or the environment one
 * trailing line ending (LF, CR LF or CR) is removed and --verbose says so
 * (case C07); a flag value is used exactly as given. *out is NULL when none
 * was given. Returns 0 or PAYCTL_CRYPTO (unreadable file, reported). The
 * value is never printed. */
int payctl_load_secret(const char *what, const char *flag_value, const char *file,
                       const char *env_name, char **out, char *source, size_t source_cap);
void payctl_secret_free(char *s);

/* Creates the client from the global options and the credentials. With
 * need_security_key the security key is required (sealed requests). Returns
 * 0 or an exit code after reporting. */
int payctl_client_new(bool need_security_key, pay_client **out);

/* ---- calls and output ----------------------------------------------------------- */

/* One API request through pay_client_request: body (stolen, may be NULL)
 * is sent as compact JSON, sealed when `seal`. On success prints the answer
 * (entityBody pretty, or --raw, or --field) and returns 0; otherwise
 * reports and returns the exit code for the outcome. */
int payctl_call(pay_client *c, const char *method, const char *path, json_t *body, bool seal);

/* Like payctl_call, but hands back the parsed envelope instead of printing
 * it (errors are reported as usual). */
int payctl_fetch(pay_client *c, const char *method, const char *path, json_t *body, bool seal,
                 json_t **envelope);

/* Prints a JSON value as payoutctl prints answers: --field selects one
 * member (path relative to `root`), otherwise 2-space indented UTF-8.
 * Returns 0 or PAYCTL_CRYPTO when --field names nothing. */
int payctl_print(const json_t *root);

/* Exit code for a call outcome (AUTH 5, API 1, NETWORK 3, BAD_RESPONSE 4,
 * LOCAL 2 for bad input or 4 for a sealing failure). */
int payctl_exit_for(const pay_call *call, pay_err rc);

/* Prints "error: CODE (HTTP n): message", "trace: id" and the hint. */
void payctl_report(const pay_call *call);

/* Prints the --verbose lines of a finished call. */
void payctl_verbose_call(const char *method, const char *path, bool sealed, const pay_call *call);

#endif
