/*
 * Query strings: only the parameters an endpoint knows, each at most once,
 * so a misspelled or unsupported filter is reported rather than ignored.
 */
#ifndef PAY_QUERY_H
#define PAY_QUERY_H

#include <stdbool.h>

#include "http/ctx.h"

#define PAY_QUERY_MAX_PARAMS 8

/* allowed: NULL-terminated names; values[i] receives the value of allowed[i]
 * or NULL. False with a fault for an unknown or repeated parameter. */
bool pay_query_parse(pay_ctx *ctx, const char *const *allowed, const char **values, pay_fault *f);

#endif
