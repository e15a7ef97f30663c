/* Paging of list endpoints (spec §4.3, §4.8, §10 #9): oldest first, `limit`
 * 1..10,000 (default 10), `startingAfter` an id of the listed kind;
 * entityBody {hasNext, lastCursor, items}. */
#ifndef PAY_LISTS_H
#define PAY_LISTS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/payouts.h"
#include "http/ctx.h"

/* The query parameters the list routes declare (src/api/routes.c):
 * limit, startingAfter; payouts add payoutDateGte, payoutDateLte. */
extern const char *const pay_list_params[];
extern const char *const pay_payout_list_params[];

/* From the decoded values of limit, startingAfter, payoutDateGte,
 * payoutDateLte (s NULL = absent; any bytes, NUL included, with their
 * length); a pure function, fuzzed on its own. */
bool pay_list_query_from(const pay_query_value v[4], bool with_dates, pay_list_query *q,
                         pay_fault *f);

/* The query of a list route, as the gate left it in ctx->query; with_dates
 * for GET /v2/payouts (pay_payout_list_params). */
bool pay_api_list_query(pay_ctx *ctx, bool with_dates, pay_list_query *q, pay_fault *f);

/* {"hasNext":..,"lastCursor":<last id or null>,"items":items} (items stolen). */
json_t *pay_api_list_body(json_t *items, bool has_next, const char *last_id);

#endif
