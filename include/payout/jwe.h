/*
 * payout/jwe.h — JWE compact serialization, alg "dir", enc A128/A192/A256GCM,
 * as the payout API uses it (spec §3) and as ../jwe-rules (docs/JWE.md) demand.
 *
 * Ownership: pay_jwe handles come from pay_jwe_parse and are released with
 * pay_jwe_free (NULL is a no-op). Buffers returned through `uint8_t **` or
 * `char **` out-parameters are malloc'd, NUL-terminated one byte past their
 * stated length for convenience, and owned by the caller: release plaintext
 * with pay_jwe_plaintext_free (it wipes), tokens with free().
 * Outputs are written only on success; on failure they are left NULL/0.
 *
 * Thread-safety: all functions are reentrant; a pay_jwe handle is immutable
 * after parsing and may be shared between threads for reading.
 *
 * Key memory: for speed each thread keeps one AES-GCM context per direction
 * keyed with the last key it sealed or opened with, so that key stays in the
 * thread's memory after pay_key_wipe until the thread uses another key, calls
 * pay_jwe_thread_wipe, or exits (contexts are wiped when freed).
 */
#ifndef PAYOUT_JWE_H
#define PAYOUT_JWE_H

#include <stddef.h>
#include <stdint.h>

#include "payout/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PAY_KEY_HEX_LEN 64     /* a security key as issued: 64 hex characters */
#define PAY_KEY_MAX 32         /* bytes of the largest content-encryption key */
#define PAY_JWE_IV_LEN 12      /* RFC 7518 §5.3: 96-bit IV */
#define PAY_JWE_TAG_LEN 16     /* 128-bit tag; shorter tags are refused */
#define PAY_JWE_TOKEN_MAX (1024 * 1024)    /* rule 12: longest token pay_jwe_parse decodes */
/* Longest token sealed, or parsed with pay_jwe_parse_limit: a response
 * listing 10,000 sellers is several MiB, while requests stay under 1 MiB. */
#define PAY_JWE_SEAL_MAX (64 * 1024 * 1024)
#define PAY_JWE_INFLATE_MAX (1024 * 1024)  /* spec §10 #19: cap on zip output */
#define PAY_JWE_HEADER_MAX 4096            /* decoded protected header bytes */

typedef enum pay_jwe_enc {
    PAY_ENC_NONE = 0,
    PAY_ENC_A128GCM = 16, /* value = key length in bytes */
    PAY_ENC_A192GCM = 24,
    PAY_ENC_A256GCM = 32,
} pay_jwe_enc;

/* A content-encryption key (the hex-decoded security key). Wipe after use. */
typedef struct pay_key {
    uint8_t bytes[PAY_KEY_MAX];
    size_t len;
} pay_key;

/* Loads a security key: exactly 64 hex digits (either case) -> 32 bytes.
 * Anything else fails with PAY_ERR_KEY_LENGTH or PAY_ERR_KEY_CHAR and a
 * message that names what was given ("got 65 characters (trailing newline)",
 * "non-hex character 'g' at index 10"). Never falls back to the raw text. */
PAY_API pay_err pay_key_from_hex(pay_key *out, const char *text, size_t len,
                                 pay_error *err) PAY_WUR;

/* Raw key bytes of 16, 24 or 32 bytes (for A128/A192/A256GCM). */
PAY_API pay_err pay_key_from_bytes(pay_key *out, const uint8_t *bytes, size_t len,
                                   pay_error *err) PAY_WUR;

/* Overwrites the key material. */
PAY_API void pay_key_wipe(pay_key *key);

/* Frees the calling thread's cached AES-GCM contexts, wiping the last key
 * they hold (see "Key memory" above). Harmless when there are none. */
PAY_API void pay_jwe_thread_wipe(void);

/* ---- opening ---------------------------------------------------------- */

typedef struct pay_jwe pay_jwe;

/* Parses and checks a compact token without any key: jwe-rules 1-9 and 12
 * (segments, strict base64url, header JSON object without duplicates, alg
 * "dir", enc allowed, no crit, zip only "DEF", empty encrypted key, 12-byte
 * IV, 16-byte tag, length cap). No whitespace is tolerated: use
 * pay_jwe_trim() first when the token comes from a file or terminal. */
PAY_API pay_err pay_jwe_parse(const char *token, size_t len, pay_jwe **out, pay_error *err) PAY_WUR;

/* pay_jwe_parse with another length cap (at most PAY_JWE_SEAL_MAX), for
 * clients opening large responses they asked for. */
PAY_API pay_err pay_jwe_parse_limit(const char *token, size_t len, size_t max_len, pay_jwe **out,
                                    pay_error *err) PAY_WUR;

PAY_API void pay_jwe_free(pay_jwe *jwe);

/* Decrypts a parsed token: key length must equal the enc key length (rule 7),
 * AAD is the received header segment (rule 10), and nothing is released
 * before the tag verifies (rule 11). zip "DEF" is inflated with a 1 MiB cap. */
PAY_API pay_err pay_jwe_decrypt(const pay_jwe *jwe, const pay_key *key, uint8_t **plaintext,
                                size_t *plaintext_len, pay_error *err) PAY_WUR;

/* parse + decrypt in one call. */
PAY_API pay_err pay_jwe_open(const char *token, size_t len, const pay_key *key, uint8_t **plaintext,
                             size_t *plaintext_len, pay_error *err) PAY_WUR;

/* Wipes and frees a plaintext returned by this header's functions. */
PAY_API void pay_jwe_plaintext_free(uint8_t *plaintext, size_t len);

/* Accessors on a parsed token (borrowed pointers, valid until pay_jwe_free). */
PAY_API pay_jwe_enc pay_jwe_get_enc(const pay_jwe *jwe);
/* A string member of the protected header ("iat", "nonce", "zip", "kid"...),
 * or NULL when absent or not a string. */
PAY_API const char *pay_jwe_get_header(const pay_jwe *jwe, const char *name);
/* The decoded protected header JSON bytes. */
PAY_API const char *pay_jwe_get_header_json(const pay_jwe *jwe, size_t *len);
/* The received first segment (base64url text), i.e. the AAD. */
PAY_API const char *pay_jwe_get_header_segment(const pay_jwe *jwe, size_t *len);
/* Decoded sizes, for inspection tools. */
PAY_API size_t pay_jwe_get_ciphertext_len(const pay_jwe *jwe);
PAY_API const uint8_t *pay_jwe_get_iv(const pay_jwe *jwe);
PAY_API const uint8_t *pay_jwe_get_tag(const pay_jwe *jwe);
PAY_API const uint8_t *pay_jwe_get_ciphertext(const pay_jwe *jwe);

/* Returns the sub-range of `token` without leading/trailing ASCII whitespace
 * (SP, TAB, CR, LF) and reports how many bytes were removed at each end. */
PAY_API void pay_jwe_trim(const char **token, size_t *len, size_t *removed_front,
                          size_t *removed_back);

/* ---- sealing ---------------------------------------------------------- */

typedef struct pay_jwe_seal_opts {
    /* iat header value; NULL = now, formatted yyyy-MM-ddTHH:mm:ss+09:00. */
    const char *iat;
    /* nonce header value; NULL = a fresh random UUID v4. */
    const char *nonce;
    /* TEST HOOK ONLY. A fixed 12-byte IV; NULL = fresh from the OS CSPRNG.
     * Reusing an IV under one key destroys GCM's confidentiality and integrity. */
    const uint8_t *test_iv;
    /* TEST HOOK ONLY. The exact protected-header JSON bytes to use (then iat
     * and nonce above are ignored). The bytes are sent and authenticated
     * exactly as given. */
    const char *test_header_json;
} pay_jwe_seal_opts;

/* Seals UTF-8 plaintext: header {"alg":"dir","enc":<by key length>,"iat",
 * "nonce"} serialized once and those bytes used both as segment 1 and AAD;
 * fresh random IV. Non-UTF-8 plaintext is refused (PAY_ERR_JWE_PLAINTEXT). */
PAY_API pay_err pay_jwe_seal(const pay_key *key, const uint8_t *plaintext, size_t plaintext_len,
                             char **token, size_t *token_len, pay_error *err) PAY_WUR;

PAY_API pay_err pay_jwe_seal_ex(const pay_key *key, const pay_jwe_seal_opts *opts,
                                const uint8_t *plaintext, size_t plaintext_len, char **token,
                                size_t *token_len, pay_error *err) PAY_WUR;

/* ---- helpers shared with callers -------------------------------------- */

/* Formats a Unix time in microseconds as yyyy-MM-ddTHH:mm:ss+09:00 (KST).
 * out must hold PAY_IAT_BUF bytes. */
#define PAY_IAT_BUF 32
PAY_API void pay_format_kst(int64_t unix_us, char out[PAY_IAT_BUF]);

/* Parses an iat value of the form yyyy-MM-ddTHH:mm[:ss[.f{1,9}]](±hh:mm|Z)
 * (spec §10 #3) into Unix microseconds (fraction truncated to µs). */
PAY_API pay_err pay_parse_iat(const char *text, size_t len, int64_t *unix_us,
                              pay_error *err) PAY_WUR;

/* Writes a random UUID v4 (36 chars + NUL). */
#define PAY_UUID_BUF 37
PAY_API pay_err pay_uuid_v4(char out[PAY_UUID_BUF]) PAY_WUR;

#ifdef __cplusplus
}
#endif
#endif
