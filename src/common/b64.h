/*
 * Base64 in the two alphabets the API uses: base64url without padding for
 * JWE segments (strict, jwe-rules #2) and standard base64 with padding for
 * Basic auth and webhook signatures. Written here rather than taken from
 * OpenSSL's BIO/EVP_Decode because those are lax (whitespace, padding) and
 * allocate; the JWE hot path needs strict and allocation-free.
 */
#ifndef PAY_B64_H
#define PAY_B64_H

#include <stddef.h>
#include <stdint.h>

typedef enum pay_b64_status {
    PAY_B64_OK = 0,
    PAY_B64_BAD_CHAR,      /* a byte outside the alphabet; *where = its offset */
    PAY_B64_PADDING,       /* '=' in base64url, or wrong padding in standard */
    PAY_B64_BAD_LENGTH,    /* length mod 4 == 1 (url) or != 0 (standard) */
    PAY_B64_TRAILING_BITS, /* unused low bits of the last char are not zero */
} pay_b64_status;

/* Characters needed to encode n bytes (without NUL). */
size_t pay_b64url_encoded_len(size_t n);
size_t pay_b64std_encoded_len(size_t n);
/* Upper bound of bytes decoded from n characters. */
size_t pay_b64_decoded_max(size_t n);

/* Encoders write exactly *_encoded_len(n) chars plus a NUL; return the length. */
size_t pay_b64url_encode(const uint8_t *in, size_t n, char *out);
size_t pay_b64std_encode(const uint8_t *in, size_t n, char *out);

/* Strict decoders. out must hold pay_b64_decoded_max(n) bytes. On failure
 * *where (if not NULL) is the offset of the offending character. */
pay_b64_status pay_b64url_decode(const char *in, size_t n, uint8_t *out, size_t *out_len,
                                 size_t *where);
pay_b64_status pay_b64std_decode(const char *in, size_t n, uint8_t *out, size_t *out_len,
                                 size_t *where);

/* Short English description of a status ("invalid character"). */
const char *pay_b64_status_text(pay_b64_status s);

#endif
