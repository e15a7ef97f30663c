/*
 * payout/error.h — libpayout's error codes.
 *
 * Every fallible libpayout function returns a pay_err and, when the caller
 * passes one, fills a pay_error with the code and a human sentence naming the
 * cause (which segment, which rule, which byte). The enum only grows: values
 * are never renumbered or reused, so they are safe to store or log.
 *
 * Ownership: pay_error is a plain caller-owned struct; nothing to free.
 * Thread-safety: everything here is reentrant; pay_strerror returns static text.
 */
#ifndef PAYOUT_ERROR_H
#define PAYOUT_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PAY_WUR __attribute__((warn_unused_result))
#else
#define PAY_WUR
#endif

/* PAY_API marks what libpayout.so exports. The library is compiled with
 * hidden visibility, so its internal helpers stay out of the dynamic symbol
 * table; every function declared in include/payout/ carries PAY_API
 * (tests/integration/test_install.py checks that the two sets are equal). */
#if defined(__GNUC__)
#define PAY_API __attribute__((visibility("default")))
#else
#define PAY_API
#endif

typedef enum pay_err {
    PAY_OK = 0,
    PAY_ERR_NOMEM = 1,
    PAY_ERR_INVALID_ARG = 2,
    PAY_ERR_INTERNAL = 3,    /* OpenSSL or another dependency failed unexpectedly */

    /* security key loading */
    PAY_ERR_KEY_LENGTH = 10, /* not exactly 64 hex characters */
    PAY_ERR_KEY_CHAR = 11,   /* a non-hex character */

    /* JWE structure (checked before any cryptography) */
    PAY_ERR_JWE_TOO_LONG = 20,
    PAY_ERR_JWE_SEGMENTS = 21,      /* not exactly 5 segments */
    PAY_ERR_JWE_WHITESPACE = 22,    /* whitespace inside or around the token */
    PAY_ERR_JWE_BASE64 = 23,        /* a segment is not strict base64url */
    PAY_ERR_JWE_HEADER = 24,        /* header is not a UTF-8 JSON object */
    PAY_ERR_JWE_HEADER_DUP = 25,    /* duplicate member name in the header */
    PAY_ERR_JWE_ALG = 26,           /* alg missing, not a string, or not "dir" */
    PAY_ERR_JWE_ENC = 27,           /* enc missing, not a string, or not allowed */
    PAY_ERR_JWE_CRIT = 28,          /* crit present */
    PAY_ERR_JWE_ZIP = 29,           /* zip other than "DEF" */
    PAY_ERR_JWE_ENCRYPTED_KEY = 30, /* encrypted-key segment not empty */
    PAY_ERR_JWE_IV_LENGTH = 31,     /* IV is not 12 bytes */
    PAY_ERR_JWE_TAG_LENGTH = 32,    /* tag is not 16 bytes */
    PAY_ERR_JWE_KEY_SIZE = 33,      /* key length does not match enc */
    PAY_ERR_JWE_TAG_MISMATCH = 34,  /* authentication tag did not verify */
    PAY_ERR_JWE_INFLATE = 35,       /* zip DEF content malformed or over the cap */
    PAY_ERR_JWE_PLAINTEXT = 36,     /* plaintext to seal is not valid UTF-8 / too large */
    PAY_ERR_JWE_HEADER_MEMBER = 37, /* iat/nonce/typ/cty/kid has the wrong type */

    /* webhook signatures */
    PAY_ERR_WEBHOOK_HEADER = 50,    /* signature header malformed */
    PAY_ERR_WEBHOOK_SIGNATURE = 51, /* no signature value matched */

    /* client (network / API) */
    PAY_ERR_NETWORK = 60,  /* connect, TLS, timeout, reset */
    PAY_ERR_API = 61,      /* the server answered with an error envelope */
    PAY_ERR_RESPONSE = 62, /* the server's answer could not be understood */
} pay_err;

#define PAY_ERROR_MESSAGE_MAX 512

typedef struct pay_error {
    pay_err code;
    char message[PAY_ERROR_MESSAGE_MAX];
} pay_error;

/* Static short description of a code ("authentication tag mismatch"). */
PAY_API const char *pay_strerror(pay_err code);

/* Stable identifier of a code ("PAY_ERR_JWE_TAG_MISMATCH"), for logs and tests. */
PAY_API const char *pay_err_name(pay_err code);

/* Sets err (when not NULL) and returns code, so callers can write
 * `return pay_error_set(err, PAY_ERR_X, "fmt", ...);` */
PAY_API pay_err pay_error_set(pay_error *err, pay_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
