/* Domain objects as the v2 wire JSON (spec §5, member order as in §8). */
#ifndef PAY_RENDER_H
#define PAY_RENDER_H

#include <jansson.h>

#include "core/balances.h"
#include "core/model.h"

json_t *pay_render_seller(const pay_seller *s);
json_t *pay_render_payout(const pay_payout *p);
json_t *pay_render_balance(const pay_balance *b);
/* {"currency":"KRW","value":5000.0}: whole won rendered like the observed
 * responses (spec §10 #20). */
json_t *pay_render_amount(int64_t won);

#endif
