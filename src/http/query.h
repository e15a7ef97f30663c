/*
 * Query strings: only the parameters a route declares (pay_route.query),
 * each at most once, so a misspelled or unsupported filter is reported
 * rather than ignored, and a route that takes none refuses any. The gate
 * checks every request this way (pay_gate_query) and leaves the values in
 * ctx->query for the handler.
 *
 * Values are byte strings with a length, as libmicrohttpd decodes them
 * (%XX and '+'): a %00 is a NUL inside the value, not its end, so each
 * reader sees the whole value and refuses what its syntax does not allow
 * (limit=5%00 is not a number, startingAfter=<id>%00junk is not an id).
 */
#ifndef PAY_QUERY_H
#define PAY_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/apierr.h"
#include "http/ctx.h"

/* A parameter name as messages show it: 40 bytes, each up to 4 characters
 * (\xNN), "..." and the NUL. */
#define PAY_QUERY_SHOWN_MAX (40 * 4 + 4)

/* Takes one decoded pair: key[0..key_len) must be one of allowed
 * (NULL-terminated names; NULL: the route takes no query) and not seen
 * before; values[i] then holds allowed[i]'s value (value NULL, a name
 * without '=', is the empty value). False with a fault (INVALID_REQUEST,
 * naming the parameter with unprintable bytes escaped) otherwise. values
 * start zeroed ({NULL, 0}: absent). A pure function, fuzzed and unit-tested
 * on its own. */
bool pay_query_take(const char *const *allowed, const char *key, size_t key_len,
                    const char *value, size_t value_len, pay_query_value *values, pay_fault *f);

/* Checks the request's whole query string against allowed and fills
 * values[0..PAY_QUERY_MAX_PARAMS) (absent ones {NULL, 0}). */
bool pay_query_parse(pay_ctx *ctx, const char *const *allowed, pay_query_value *values,
                     pay_fault *f);

/* True when v is present and holds no NUL: then v->s is the whole value as
 * a C string. */
bool pay_query_is_cstr(const pay_query_value *v);

#endif
