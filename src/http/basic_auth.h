/* Authorization: Basic base64(secretKey + ":") (spec §2.1), parsed strictly.
 * A pure function, so it can be fuzzed on its own. */
#ifndef PAY_BASIC_AUTH_H
#define PAY_BASIC_AUTH_H

#include <stddef.h>

#define PAY_BASIC_HEADER_MAX 512 /* longest Authorization value considered */
#define PAY_BASIC_KEY_MAX 384    /* decoded bytes of the longest such value */

/* Extracts the user (secret key) of a Basic header with an empty password.
 * Returns NULL on success (key in out, NUL-terminated, length in *key_len),
 * or a sentence naming what is wrong. The caller wipes out. */
const char *pay_basic_auth_parse(const char *header, char out[PAY_BASIC_KEY_MAX + 1],
                                 size_t *key_len);

#endif
