/*
 * Routing: a table of (method, pattern, handler, flags, name, query).
 * Patterns are literal segments and ":name" captures; a capture accepts 1-64
 * characters of [A-Za-z0-9_-] (every id we issue), anything else is "not
 * found", so hostile paths never reach a handler. `query` names the query
 * parameters a route takes; every other route takes none, and the gate
 * refuses an unknown or repeated parameter on every route (http/query.h).
 */
#ifndef PAY_ROUTER_H
#define PAY_ROUTER_H

#include <jansson.h>

#include "http/ctx.h"

typedef void (*pay_handler)(pay_ctx *ctx, const json_t *body);

enum {
    PAY_ROUTE_BODY = 1u << 0,          /* takes a JSON body */
    PAY_ROUTE_ENCRYPTED = 1u << 1,     /* body must be a JWE (spec §2.3) */
    PAY_ROUTE_BODY_OPTIONAL = 1u << 2, /* the JSON body may be empty (admin actions) */
};

struct pay_route {
    const char *method;
    const char *pattern;
    pay_handler handler;
    unsigned flags;
    const char *name; /* for logs: "POST /v2/sellers" */
    /* the query parameters it takes (NULL-terminated, at most
     * PAY_QUERY_MAX_PARAMS), or NULL: none, any parameter is refused */
    const char *const *query;
};

typedef enum pay_route_result {
    PAY_ROUTE_FOUND = 0,
    PAY_ROUTE_NO_PATH,    /* 404 */
    PAY_ROUTE_NO_METHOD,  /* 405: the path exists with other methods */
} pay_route_result;

/* Finds the route of method + path in a NULL-pattern-terminated table and
 * copies captures into params. */
pay_route_result pay_route_find(const pay_route *table, const char *method, const char *path,
                                const pay_route **found,
                                char params[PAY_PATH_PARAMS][PAY_PATH_PARAM_MAX + 1]);

/* The public API's routes (src/api/routes.c) and the admin API's
 * (src/api/admin.c). */
extern const pay_route pay_api_routes[];
extern const pay_route pay_admin_routes[];

#endif
