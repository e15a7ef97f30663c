/*
 * payout/doctor.h — reading a JWE that is broken, and saying why.
 *
 * pay_jwe_parse refuses a bad token at the first broken rule, which is what
 * a decryptor must do. An integrator holding a token that does not work
 * needs the opposite: every rule at once, the repairs that would make it
 * parse, the known mistakes that would make its tag verify, and what is
 * wrong with a plaintext that does decrypt. This header offers two levels:
 *
 *   pay_jwe_inspect  no key. A lenient structural read that never fails on
 *                    garbage: whitespace, segments, lengths, the header's
 *                    members in the order sent, iat, and one line per rule
 *                    1-12 of jwe-rules.md (docs/JWE.md).
 *   pay_jwe_doctor   with the key as the user typed it. Repairs of the key
 *                    text and the token text, rule failures no repair fixes,
 *                    pay_jwe_diagnose (diagnose.h) when the tag does not
 *                    verify, plaintext, iat and captured-request checks, and
 *                    (pay_jwe_doctor_many) nonce and IV reuse across tokens.
 *
 * Every result is a plain struct of fixed size with a bounded array of
 * findings; nothing in it needs freeing, and nothing in it is key material:
 * keys are neither copied into a report nor quoted in a sentence (a finding
 * may name one offending character and its index, as pay_key_from_hex does).
 * Plaintexts are not copied into reports either, only offsets and shapes.
 * Memory: the doctor allocates at most a few copies of the (capped) token and
 * one plaintext, all freed (plaintexts wiped) before it returns.
 *
 * Ownership: caller-provided structs only; strings in them are arrays, not
 * pointers. Thread-safety: all functions are reentrant.
 */
#ifndef PAYOUT_DOCTOR_H
#define PAYOUT_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payout/diagnose.h"
#include "payout/error.h"
#include "payout/jwe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libpayout.so like every public declaration (error.h
 * defines PAY_API; the fallback keeps this header usable on its own). */
#ifndef PAY_API
#define PAY_API
#endif

#define PAY_JWE_SEGMENT_COUNT 5
#define PAY_FINDING_TEXT_MAX 400    /* one sentence */
#define PAY_INSPECT_FINDINGS_MAX 32 /* rules 1-12 plus details */
#define PAY_INSPECT_MEMBERS_MAX 16  /* header members listed; more are counted */
#define PAY_MEMBER_NAME_MAX 32
#define PAY_MEMBER_VALUE_MAX 96 /* JSON text of a member's value, cut with "..." */
#define PAY_DOCTOR_FINDINGS_MAX 40
#define PAY_DOCTOR_HEADLINE_MAX 640
#define PAY_DOCTOR_TOKENS_MAX 64                 /* tokens compared by pay_jwe_doctor_many */
#define PAY_DOCTOR_REQUEST_MAX (2 * 1024 * 1024) /* captured request text */
#define PAY_TIME_TEXT_MAX 48                     /* "2025-06-26T09:42:46.356259315Z" and the like */
/* Default for opts->iat_window_us: payoutd accepts |iat - now| <= 10 min
 * (spec §10 #3); the doctor warns outside the same window. */
#define PAY_DOCTOR_IAT_WINDOW_DEFAULT_US (INT64_C(10) * 60 * 1000000)

/* ---- findings ----------------------------------------------------------- */

typedef enum pay_finding_level {
    PAY_FINDING_OK = 0,      /* the rule holds; nothing wrong */
    PAY_FINDING_NOTE = 1,    /* worth knowing: a repair made, a rule not checkable here */
    PAY_FINDING_WARNING = 2, /* it works, but something is wrong (iat skew, payload, reuse) */
    PAY_FINDING_ERROR = 3,   /* violated: a reason the token is refused or does not open */
} pay_finding_level;

typedef struct pay_finding {
    unsigned rule; /* jwe-rules.md rule 1-12, or 0 when the finding is not a rule */
    bool ok;       /* level is PAY_FINDING_OK or PAY_FINDING_NOTE */
    pay_finding_level level;
    int token; /* pay_jwe_doctor_many: 1-based token number, or 0 */
    char text[PAY_FINDING_TEXT_MAX];
} pay_finding;

/* "ok", "note", "warning", "error". */
PAY_API const char *pay_finding_level_name(pay_finding_level level);

/* ---- inspection (no key) ------------------------------------------------ */

typedef struct pay_jwe_segment_info {
    size_t offset;      /* where the segment starts in the input as given */
    size_t text_len;    /* characters, whitespace removed */
    size_t decoded_len; /* bytes, decoded leniently; 0 when not decodable */
    bool decodable;     /* the lenient reader could decode it */
    bool strict;        /* strict base64url (rule 2) */
    bool padded;        /* ended in '=' padding */
    bool std_alphabet;  /* used '+' or '/' (standard base64) */
    bool trailing_bits; /* unused bits of the last character were not zero */
} pay_jwe_segment_info;

typedef struct pay_jwe_member {
    char name[PAY_MEMBER_NAME_MAX];   /* cut when longer; control bytes shown as '?' */
    char value[PAY_MEMBER_VALUE_MAX]; /* the value's JSON text as sent, cut with "..." */
    bool is_string;
} pay_jwe_member;

typedef struct pay_jwe_report {
    size_t input_len; /* bytes given */
    bool too_long;    /* over PAY_JWE_TOKEN_MAX: nothing else was read (rule 12) */

    /* Whitespace (SP, TAB, CR, LF) removed before reading (rule 1). */
    size_t ws_leading, ws_trailing, ws_inner;
    size_t ws_first_inner_offset;          /* offset in the input of the first inner one */
    char whitespace[PAY_FINDING_TEXT_MAX]; /* "removed 1 trailing LF", or "" */

    size_t token_len;                                /* characters once whitespace is removed */
    size_t segment_count;                            /* '.'-separated segments */
    pay_jwe_segment_info seg[PAY_JWE_SEGMENT_COUNT]; /* the first five */

    /* Protected header (segment 1), decoded leniently. */
    bool header_decoded;
    char header_json[PAY_JWE_HEADER_MAX + 1];        /* NUL-terminated; cut at the array size */
    size_t header_json_len;                          /* full decoded length */
    bool header_is_object;                           /* a valid JSON object, nothing after it */
    size_t member_count;                             /* members seen (may exceed the array) */
    pay_jwe_member members[PAY_INSPECT_MEMBERS_MAX]; /* in the order sent */

    /* iat (spec §3.4), parsed with pay_parse_iat. */
    bool has_iat, iat_valid;
    int64_t iat_unix_us;
    char iat_utc[PAY_TIME_TEXT_MAX]; /* 2025-06-26T09:42:46.356259315Z (fraction kept) */
    char iat_kst[PAY_TIME_TEXT_MAX]; /* 2025-06-26T18:42:46.356259315+09:00 */

    /* Findings: one per rule 1-12 (rule field set), in rule order, then
     * details (rule 0). */
    size_t nfindings;
    pay_finding findings[PAY_INSPECT_FINDINGS_MAX];
} pay_jwe_report;

/* Reads token[0..len) without a key and fills out. Never fails on bad input:
 * garbage yields a report of what is wrong. Inputs over PAY_JWE_TOKEN_MAX are
 * reported as too long and not read further. Allocates nothing but
 * jansson's objects for the decoded header (at most PAY_JWE_HEADER_MAX bytes).
 * Fails only on a programming error (NULL out, or NULL token with len > 0). */
PAY_API pay_err pay_jwe_inspect(const char *token, size_t len, pay_jwe_report *out) PAY_WUR;

/* The first finding for a rule (1-12), or NULL. */
PAY_API const pay_finding *pay_jwe_report_rule(const pay_jwe_report *r, unsigned rule);

/* Describes iat against now: "65 min ahead of now", "3 h old", "12 s old".
 * Writes "" when the report has no valid iat. */
PAY_API void pay_jwe_report_iat_age(const pay_jwe_report *r, int64_t now_unix_us, char *out,
                                    size_t cap);

/* ---- plaintext checks --------------------------------------------------- */

typedef enum pay_doctor_expect {
    PAY_EXPECT_ANY = 0,    /* a JSON object or array */
    PAY_EXPECT_OBJECT = 1, /* e.g. POST /v2/sellers (spec §4.2) */
    PAY_EXPECT_ARRAY = 2,  /* POST /v2/payouts takes an array (spec §3.3) */
} pay_doctor_expect;

/* Checks a plaintext as the API expects it: UTF-8 ("not valid UTF-8 at byte
 * offset 9 (looks like CP949/EUC-KR)"), one JSON value of the expected shape,
 * not a JSON string holding JSON (encoded twice), nothing after it. Appends
 * findings to out[*n..cap) and returns the worst level written. The
 * plaintext is never quoted. */
PAY_API pay_finding_level pay_jwe_plaintext_check(const uint8_t *plaintext, size_t len,
                                                  pay_doctor_expect expect, pay_finding *out,
                                                  size_t cap, size_t *n);

/* ---- the doctor (with a key) -------------------------------------------- */

typedef enum pay_doctor_verdict {
    PAY_DOCTOR_OPENS = 0,            /* opens as given (surrounding whitespace aside, C11) */
    PAY_DOCTOR_OPENS_REPAIRED = 1,   /* opens only after a repair of the token or key text */
    PAY_DOCTOR_BAD_KEY = 2,          /* the key text is no security key and no repair helps */
    PAY_DOCTOR_MALFORMED = 3,        /* breaks a rule that no repair fixes (IV, tag, alg...) */
    PAY_DOCTOR_EXPLAINED = 4,        /* parses, does not open; a known mistake explains why */
    PAY_DOCTOR_WRONG_KEY = 5,        /* parses, does not open; nothing explains it */
    PAY_DOCTOR_NOT_JWE = 6,          /* not a compact JWE at all (plain JSON, empty...) */
    PAY_DOCTOR_REQUEST_MISMATCH = 7, /* the captured HTTP request's headers and body disagree */
} pay_doctor_verdict;

/* "opens", "opens-after-repair", "bad-key", ... (stable, for scripts). */
PAY_API const char *pay_doctor_verdict_name(pay_doctor_verdict v);

typedef struct pay_doctor_opts {
    /* "now" for the iat checks, Unix microseconds; has_now false = the real clock. */
    bool has_now;
    int64_t now_unix_us;
    /* |iat - now| beyond which iat is flagged; 0 = PAY_DOCTOR_IAT_WINDOW_DEFAULT_US. */
    int64_t iat_window_us;
    /* Shape the plaintext should have; PAY_EXPECT_ANY unless a captured
     * request's path says otherwise. */
    pay_doctor_expect expect;
    /* Other keys to try when the token does not open (pay_jwe_diagnose). */
    const pay_diag_candidate *candidates;
    size_t ncandidates;
    /* A captured HTTP request: optional request line ("POST /v2/payouts
     * HTTP/1.1"), header lines, a blank line, the body (CRLF or LF). When
     * given, its headers are checked against its body (case C15), and when
     * pay_jwe_doctor gets no token the body is the token. Header values
     * other than Content-Type and the security-mode header are never copied
     * (Authorization carries the secret key). */
    const char *request;
    size_t request_len;
} pay_doctor_opts;

typedef struct pay_doctor_report {
    pay_doctor_verdict verdict;
    /* True when the token opens with the key as given, after at most the
     * repairs every decoder should make: surrounding whitespace of the
     * token (C11). (payoutctl jwe doctor exits 0 when the verdict is
     * PAY_DOCTOR_OPENS: opened, and no captured request disagrees.) */
    bool opened;
    /* True when it opened only after a repair (verdict OPENS_REPAIRED). */
    bool opened_after_repair;
    /* One plain sentence with the fix, most important problem first. */
    char headline[PAY_DOCTOR_HEADLINE_MAX];
    /* What pay_jwe_diagnose said, when it ran (cause and sentence). */
    pay_diag_cause diag_cause;
    bool key_loaded;   /* the key text (possibly repaired) is a security key */
    bool key_repaired; /* ... after a repair (newline, quotes, whitespace) */
    /* Cross-token facts, for pay_jwe_doctor_many (not secret). */
    bool parsed; /* the (repaired) token passed pay_jwe_parse */
    uint8_t iv[PAY_JWE_IV_LEN];
    char nonce[PAY_MEMBER_VALUE_MAX]; /* cut: longer nonces compare on this prefix */
    size_t plaintext_len;             /* when opened */
    /* The structural read of the token as given. */
    pay_jwe_report inspect;
    size_t nfindings;
    pay_finding findings[PAY_DOCTOR_FINDINGS_MAX];
} pay_doctor_report;

/* Diagnoses one token with the key as the user typed it (key_text is not
 * trimmed first: a trailing newline or quotes are part of the diagnosis).
 * token may be NULL when opts->request carries it. opts may be NULL.
 * Always fills out (verdict, headline, findings) and returns PAY_OK, except
 * for programming errors (PAY_ERR_INVALID_ARG) and PAY_ERR_NOMEM. */
PAY_API pay_err pay_jwe_doctor(const char *token, size_t len, const char *key_text,
                               size_t key_text_len, const pay_doctor_opts *opts,
                               pay_doctor_report *out) PAY_WUR;

typedef struct pay_doctor_token {
    const char *text;
    size_t len;
} pay_doctor_token;

typedef struct pay_doctor_summary {
    size_t ntokens, nopened;
    bool nonce_reused, iv_reused;
    /* One sentence: the cross-token problem first (IV reuse, then nonce
     * reuse), else the first token that does not open, else all open. */
    char headline[PAY_DOCTOR_HEADLINE_MAX];
    size_t nfindings; /* cross-token findings; each names its tokens */
    pay_finding findings[PAY_DOCTOR_FINDINGS_MAX];
} pay_doctor_summary;

/* pay_jwe_doctor on each of ntokens (1..PAY_DOCTOR_TOKENS_MAX) tokens with
 * one key, reports[i] for token i, then the comparisons across them: one
 * nonce in several tokens (C18; the server's replay cache refuses all but
 * the first) and one IV in several tokens under the key (C19). */
PAY_API pay_err pay_jwe_doctor_many(const pay_doctor_token *tokens, size_t ntokens,
                                    const char *key_text, size_t key_text_len,
                                    const pay_doctor_opts *opts, pay_doctor_report *reports,
                                    pay_doctor_summary *summary) PAY_WUR;

#ifdef __cplusplus
}
#endif
#endif
