#include "http/router.h"

#include <stdbool.h>
#include <string.h>

static bool param_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* Matches path against pattern segment by segment. */
static bool match(const char *pattern, const char *path,
                  char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1])
{
    int np = 0;
    const char *p = pattern, *u = path;
    while (*p && *u) {
        if (*p != '/' || *u != '/') return false;
        p++, u++;
        const char *pend = strchr(p, '/'), *uend = strchr(u, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t ulen = uend ? (size_t)(uend - u) : strlen(u);
        if (p[0] == ':') {
            if (ulen == 0 || ulen > PAY_PATH_PARAM_MAX || np >= PAY_PATH_PARAMS) return false;
            for (size_t i = 0; i < ulen; i++)
                if (!param_char(u[i])) return false;
            memcpy(params[np], u, ulen);
            params[np++][ulen] = 0;
        } else if (plen != ulen || memcmp(p, u, plen) != 0) {
            return false;
        }
        p += plen, u += ulen;
    }
    return *p == 0 && *u == 0;
}

pay_route_result pay_route_find(const pay_route *table, const char *method, const char *path,
                                const pay_route **found,
                                char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1])
{
    bool path_known = false;
    for (const pay_route *r = table; r->pattern; r++) {
        if (!match(r->pattern, path, params)) continue;
        if (strcmp(r->method, method) == 0) {
            *found = r;
            return PAY_ROUTE_FOUND;
        }
        path_known = true;
    }
    return path_known ? PAY_ROUTE_NO_METHOD : PAY_ROUTE_NO_PATH;
}
