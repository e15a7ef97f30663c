/* pay_err names and texts; one table so the two never drift apart. */
#include "payout/error.h"

#include <stdarg.h>
#include <stdio.h>

struct err_row {
    pay_err code;
    const char *name;
    const char *text;
};

static const struct err_row rows[] = {
    {PAY_OK, "PAY_OK", "success"},
    {PAY_ERR_NOMEM, "PAY_ERR_NOMEM", "out of memory"},
    {PAY_ERR_INVALID_ARG, "PAY_ERR_INVALID_ARG", "invalid argument"},
    {PAY_ERR_INTERNAL, "PAY_ERR_INTERNAL", "internal error in a dependency"},
    {PAY_ERR_KEY_LENGTH, "PAY_ERR_KEY_LENGTH", "security key is not 64 hex characters"},
    {PAY_ERR_KEY_CHAR, "PAY_ERR_KEY_CHAR", "security key has a non-hex character"},
    {PAY_ERR_JWE_TOO_LONG, "PAY_ERR_JWE_TOO_LONG", "token is longer than the limit"},
    {PAY_ERR_JWE_SEGMENTS, "PAY_ERR_JWE_SEGMENTS", "token does not have 5 segments"},
    {PAY_ERR_JWE_WHITESPACE, "PAY_ERR_JWE_WHITESPACE", "token contains whitespace"},
    {PAY_ERR_JWE_BASE64, "PAY_ERR_JWE_BASE64", "segment is not strict base64url"},
    {PAY_ERR_JWE_HEADER, "PAY_ERR_JWE_HEADER", "protected header is not a JSON object"},
    {PAY_ERR_JWE_HEADER_DUP, "PAY_ERR_JWE_HEADER_DUP", "duplicate member in protected header"},
    {PAY_ERR_JWE_ALG, "PAY_ERR_JWE_ALG", "alg is not \"dir\""},
    {PAY_ERR_JWE_ENC, "PAY_ERR_JWE_ENC", "enc is not an allowed AES-GCM value"},
    {PAY_ERR_JWE_CRIT, "PAY_ERR_JWE_CRIT", "crit header is not supported"},
    {PAY_ERR_JWE_ZIP, "PAY_ERR_JWE_ZIP", "zip is not \"DEF\""},
    {PAY_ERR_JWE_ENCRYPTED_KEY, "PAY_ERR_JWE_ENCRYPTED_KEY", "encrypted key must be empty for dir"},
    {PAY_ERR_JWE_IV_LENGTH, "PAY_ERR_JWE_IV_LENGTH", "IV is not 12 bytes"},
    {PAY_ERR_JWE_TAG_LENGTH, "PAY_ERR_JWE_TAG_LENGTH", "authentication tag is not 16 bytes"},
    {PAY_ERR_JWE_KEY_SIZE, "PAY_ERR_JWE_KEY_SIZE", "key length does not match enc"},
    {PAY_ERR_JWE_TAG_MISMATCH, "PAY_ERR_JWE_TAG_MISMATCH", "authentication tag mismatch"},
    {PAY_ERR_JWE_INFLATE, "PAY_ERR_JWE_INFLATE", "compressed content is malformed or too large"},
    {PAY_ERR_JWE_PLAINTEXT, "PAY_ERR_JWE_PLAINTEXT", "plaintext is not valid UTF-8"},
    {PAY_ERR_JWE_HEADER_MEMBER, "PAY_ERR_JWE_HEADER_MEMBER", "header member has the wrong type"},
    {PAY_ERR_WEBHOOK_HEADER, "PAY_ERR_WEBHOOK_HEADER", "webhook signature header is malformed"},
    {PAY_ERR_WEBHOOK_SIGNATURE, "PAY_ERR_WEBHOOK_SIGNATURE", "webhook signature does not match"},
    {PAY_ERR_NETWORK, "PAY_ERR_NETWORK", "network error"},
    {PAY_ERR_API, "PAY_ERR_API", "the API returned an error"},
    {PAY_ERR_RESPONSE, "PAY_ERR_RESPONSE", "unexpected response from the API"},
};

static const struct err_row *find(pay_err code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code) return &rows[i];
    return NULL;
}

const char *pay_strerror(pay_err code)
{
    const struct err_row *r = find(code);
    return r ? r->text : "unknown error";
}

const char *pay_err_name(pay_err code)
{
    const struct err_row *r = find(code);
    return r ? r->name : "PAY_ERR_UNKNOWN";
}

pay_err pay_error_set(pay_error *err, pay_err code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    if (!fmt) {
        snprintf(err->message, sizeof err->message, "%s", pay_strerror(code));
        return code;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}
