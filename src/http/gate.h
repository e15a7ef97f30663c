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

/* From the headers alone: the security mode, ENCRYPTION required, and the
 * Content-Type of an encrypted body. */
bool pay_gate_head(pay_ctx *ctx, unsigned flags);

/* Decryption and JSON parsing for a route with these flags, then the query
 * string (pay_gate_query). *body is NULL for bodyless routes; otherwise a
 * new reference. */
bool pay_gate_body(pay_ctx *ctx, unsigned flags, json_t **body);

/* The query string against ctx->route's declared parameters (none for most
 * routes; http/query.h): an unknown or repeated one is INVALID_REQUEST
 * naming it. Fills ctx->query for the handler. Runs once the body is
 * accepted, so in ENCRYPTION mode its refusal is sealed like any later
 * error. */
bool pay_gate_query(pay_ctx *ctx);

/* Replay protection for a request whose body opened (spec §10 #3): iat
 * within the window of real time, a nonce of 1-64 characters never seen
 * before in the scope (claimed durably). */
#define PAY_NONCE_MAX 64
bool pay_gate_fresh(pay_ctx *ctx);

/* TossPayments-Test-Code (spec §1.3): in test mode, answers with the named
 * error instead of executing; an unknown code is INVALID_TEST_CODE. */
bool pay_gate_test_code(pay_ctx *ctx);

/* Admin API: Bearer token (token_hash = SHA-256 of the configured token;
 * NULL when the admin API is disabled, which refuses every request). */
bool pay_gate_admin(pay_ctx *ctx, const uint8_t *token_hash);

/* Admin API body: one plain JSON object (or none, when the route allows),
 * then the query string (pay_gate_query). */
bool pay_gate_admin_body(pay_ctx *ctx, unsigned flags, json_t **body);

#endif
