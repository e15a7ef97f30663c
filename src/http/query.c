#include "http/query.h"

#include <string.h>

/* A parameter name for a message: printable ASCII kept, any other byte
 * (NUL, controls, non-ASCII) as \xNN, at most 40 bytes of it, so a hostile
 * name can neither hide a NUL ("limit%00" is not "limit") nor put broken
 * UTF-8 into the answer. */
static void shown(const char *key, size_t len, char out[PAY_QUERY_SHOWN_MAX])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (len == 0) {
        memcpy(out, "\"\"", 3); /* "?=1", "?&&": a parameter without a name */
        return;
    }
    for (size_t i = 0; i < len && i < 40; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\', out[o++] = 'x', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
        }
    }
    if (len > 40) out[o++] = '.', out[o++] = '.', out[o++] = '.';
    out[o] = 0;
}

bool pay_query_take(const char *const *allowed, const char *key, size_t key_len,
                    const char *value, size_t value_len, pay_query_value *values, pay_fault *f)
{
    char name[PAY_QUERY_SHOWN_MAX];
    if (!key) key = "", key_len = 0;
    for (size_t i = 0; allowed && allowed[i] && i < PAY_QUERY_MAX_PARAMS; i++) {
        if (strlen(allowed[i]) != key_len || memcmp(allowed[i], key, key_len) != 0) continue;
        if (values[i].s) {
            shown(key, key_len, name);
            pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s: 한 번만 보낼 수 있습니다",
                           "%s: may appear only once", name);
            return false;
        }
        values[i].s = value ? value : "";
        values[i].len = value ? value_len : 0;
        return true;
    }
    shown(key, key_len, name);
    if (!allowed || !allowed[0])
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s: 이 API는 쿼리 파라미터를 받지 않습니다",
                       "%s: this API takes no query parameters", name);
    else
        pay_fault_set2(f, PAY_E_INVALID_REQUEST, "%s: 지원하지 않는 쿼리 파라미터입니다",
                       "%s: unsupported query parameter", name);
    return false;
}

typedef struct walk {
    const char *const *allowed;
    pay_query_value *values;
    pay_fault *f;
    bool failed;
} walk;

static enum MHD_Result visit(void *cls, enum MHD_ValueKind kind, const char *key,
                             size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    walk *w = cls;
    if (pay_query_take(w->allowed, key, key_size, value, value_size, w->values, w->f))
        return MHD_YES;
    w->failed = true;
    return MHD_NO;
}

bool pay_query_parse(pay_ctx *ctx, const char *const *allowed, pay_query_value *values,
                     pay_fault *f)
{
    memset(values, 0, PAY_QUERY_MAX_PARAMS * sizeof *values);
    walk w = {allowed, values, f, false};
    /* The _n iterator hands over lengths: libmicrohttpd's decoded length of
     * "5%00" is 2, where the C string would say 1. */
    MHD_get_connection_values_n(ctx->conn, MHD_GET_ARGUMENT_KIND, visit, &w);
    return !w.failed;
}

bool pay_query_is_cstr(const pay_query_value *v)
{
    return v->s && !memchr(v->s, 0, v->len);
}
