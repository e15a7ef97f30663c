#include "http/basic_auth.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "common/b64.h"

const char *pay_basic_auth_parse(const char *h, char out[PAY_BASIC_KEY_MAX + 1], size_t *key_len)
{
    if (!h) return "Authorization header is missing; send Basic base64(secretKey + ':')";
    size_t hlen = strlen(h);
    if (hlen > PAY_BASIC_HEADER_MAX) return "Authorization header is too long";
    if (hlen < 6 || strncasecmp(h, "Basic ", 6) != 0)
        return "Authorization must use the Basic scheme: Basic base64(secretKey + ':')";
    const char *b64 = h + 6;
    while (*b64 == ' ') b64++;
    uint8_t decoded[PAY_BASIC_KEY_MAX + 4];
    size_t dlen = 0, where = 0;
    if (pay_b64std_decode(b64, strlen(b64), decoded, &dlen, &where) != PAY_B64_OK)
        return "the Basic credentials are not valid base64 (standard alphabet, padded)";
    const char *why = NULL;
    uint8_t *colon = memchr(decoded, ':', dlen);
    if (dlen >= 3 && memcmp(decoded, "\xef\xbb\xbf", 3) == 0)
        why = "the credentials start with a UTF-8 byte-order mark (base64 began with 77u/); "
              "encode the key without a BOM";
    else if (!colon)
        why = "the decoded credentials lack the ':' after the secret key (encode secretKey + "
              "':', the colon is mandatory)";
    else if ((size_t)(colon - decoded) + 1 != dlen)
        why = "the password part must be empty: encode secretKey + ':' only";
    else if (memchr(decoded, 0, dlen))
        why = "the secret key contains a NUL byte";
    if (!why) {
        *key_len = (size_t)(colon - decoded);
        memcpy(out, decoded, *key_len);
        out[*key_len] = 0;
    }
    OPENSSL_cleanse(decoded, sizeof decoded);
    return why;
}
