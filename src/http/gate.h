/* The checks between routing and a handler (see gate.c). Each returns false
 * after it has answered the client. */
#ifndef PAY_GATE_H
#define PAY_GATE_H

#include <jansson.h>
#include <stdbool.h>

#include "http/ctx.h"
#include "http/router.h"

/* Basic auth -> merchant + environment; payout contract. */
bool pay_gate_authenticate(pay_ctx *ctx);

/* Security mode, decryption and JSON parsing for a route with these flags.
 * *body is NULL for bodyless routes; otherwise a new reference. */
bool pay_gate_body(pay_ctx *ctx, unsigned flags, json_t **body);

#endif
