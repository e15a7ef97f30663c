/*
 * payout/webhook.h — signatures of payout.changed / seller.changed webhooks
 * (spec §4.11, §10 #6).
 *
 * The signature is HMAC-SHA256 over the raw body bytes, a colon, and the
 * tosspayments-webhook-transmission-time header value, keyed with the 32
 * hex-decoded bytes of the security key; the header carries one
 * "v1:<base64>" value per valid key, comma-separated (two during rotation).
 *
 * Ownership: caller-provided buffers only. Thread-safety: reentrant.
 */
#ifndef PAYOUT_WEBHOOK_H
#define PAYOUT_WEBHOOK_H

#include <stddef.h>

#include "payout/error.h"
#include "payout/jwe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "v1:" + 44 base64 characters + NUL */
#define PAY_WEBHOOK_SIG_BUF 48
#define PAY_WEBHOOK_SIG_HEADER_MAX 1024 /* longest signature header we parse */

/* Writes "v1:<base64 HMAC>" for one key. */
PAY_API pay_err pay_webhook_sign(const pay_key *key, const char *body, size_t body_len,
                                 const char *transmission_time,
                                 char out[PAY_WEBHOOK_SIG_BUF]) PAY_WUR;

/* Checks a tosspayments-webhook-signature header against one or two keys:
 * PAY_OK when any v1 value matches under any key (constant-time compares);
 * PAY_ERR_WEBHOOK_SIGNATURE when none does; PAY_ERR_WEBHOOK_HEADER when the
 * header is malformed (the message says where). */
PAY_API pay_err pay_webhook_verify(const pay_key *keys, size_t nkeys, const char *body,
                                   size_t body_len, const char *transmission_time,
                                   const char *signature_header, pay_error *err) PAY_WUR;

#ifdef __cplusplus
}
#endif
#endif
