/* Small text helpers: UTF-8 validation and counting, hex, bounded copies. */
#ifndef PAY_TEXT_H
#define PAY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates).
 * On false, *bad (if not NULL) is the offset of the first bad byte. */
bool pay_utf8_valid(const char *s, size_t n, size_t *bad);

/* Number of code points in well-formed UTF-8 (what §10 #1 calls characters). */
size_t pay_utf8_count(const char *s, size_t n);

/* Lowercase hex of n bytes into out (2n chars + NUL). */
void pay_hex_encode(const uint8_t *in, size_t n, char *out);

/* True when every byte of s[0..n) is in [0-9]. Empty is false. */
bool pay_all_digits(const char *s, size_t n);

/* Copies at most cap-1 bytes and always terminates. Returns src's length. */
size_t pay_strlcpy(char *dst, const char *src, size_t cap);

/* Constant-time equality of two buffers of equal length. */
bool pay_ct_equal(const void *a, const void *b, size_t n);

/* Case-insensitive ASCII equality of a NUL-terminated string and a literal. */
bool pay_ascii_ieq(const char *a, const char *b);

#endif
