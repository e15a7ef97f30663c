/*
 * Request decoders: JSON (already parsed with duplicate keys rejected) into
 * domain structs, checking every field of spec §4.2 / §4.7 against the
 * limits of §10 #1 (model.h). Unknown fields are refused so that a typo in an
 * optional field is reported instead of silently dropped. The first problem
 * found decides the fault, whose detail names the field and the rule.
 */
#ifndef PAY_VALIDATE_H
#define PAY_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/apierr.h"
#include "core/model.h"

#define PAY_JSON_DEPTH_MAX 8 /* deepest nesting any request needs is 3 */

/* Decodes a POST /v2/sellers body. Fills ref_seller_id, business_type,
 * company/individual/account/metadata (fresh canonical objects). */
bool pay_decode_seller_create(const json_t *body, pay_seller *out, pay_fault *f);

/* Decodes one POST /v2/payouts item (index is its position, for messages).
 * today is the KST date of the merchant's clock; it becomes payoutDate of
 * EXPRESS items. Date-range rules are the domain's (payouts.c). */
bool pay_decode_payout_item(const json_t *item, size_t index, int32_t today, pay_payout *out,
                            pay_fault *f);

/* Nesting depth of a JSON text, counted without parsing it fully, so a deeply
 * nested body is refused before the parser recurses into it. */
int pay_json_depth(const char *text, size_t len);

/* Masks an account number for responses: 123*****90123. */
void pay_mask_account(const char *number, char *out, size_t cap);

#endif
