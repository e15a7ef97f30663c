#include "http/query.h"

#include <string.h>

typedef struct walk {
    const char *const *allowed;
    const char **values;
    bool *seen;
    pay_fault *f;
    bool failed;
} walk;

static enum MHD_Result visit(void *cls, enum MHD_ValueKind kind, const char *key,
                             const char *value)
{
    (void)kind;
    walk *w = cls;
    for (size_t i = 0; w->allowed[i]; i++) {
        if (strcmp(w->allowed[i], key) != 0) continue;
        if (w->seen[i]) {
            pay_fault_set2(w->f, PAY_E_INVALID_REQUEST, "%.40s: 한 번만 보낼 수 있습니다",
                           "%.40s: may appear only once", key);
            w->failed = true;
            return MHD_NO;
        }
        w->seen[i] = true;
        w->values[i] = value ? value : "";
        return MHD_YES;
    }
    pay_fault_set2(w->f, PAY_E_INVALID_REQUEST, "%.40s: 지원하지 않는 쿼리 파라미터입니다",
                   "%.40s: unsupported query parameter", key);
    w->failed = true;
    return MHD_NO;
}

bool pay_query_parse(pay_ctx *ctx, const char *const *allowed, const char **values, pay_fault *f)
{
    bool seen[PAY_QUERY_MAX_PARAMS] = {false};
    size_t n = 0;
    while (allowed[n]) values[n++] = NULL;
    walk w = {allowed, values, seen, f, false};
    MHD_get_connection_values(ctx->conn, MHD_GET_ARGUMENT_KIND, visit, &w);
    return !w.failed;
}
