#include "api/handlers.h"
#include "api/lists.h"
#include "http/router.h"

/* Spec §2.3: POSTs with a body are ENCRYPTION-only; GETs, DELETE and the
 * bodyless cancel may opt in with the header (sealed response). The last
 * member names the query parameters a route takes: only the lists take any,
 * every other route refuses a query parameter (docs/ERRORS.md). */
const pay_route pay_api_routes[] = {
    {"POST", "/v2/sellers", pay_api_sellers_create, PAY_ROUTE_BODY | PAY_ROUTE_ENCRYPTED,
     "POST /v2/sellers", NULL},
    {"GET", "/v2/sellers", pay_api_sellers_list, 0, "GET /v2/sellers", pay_list_params},
    {"GET", "/v2/sellers/:id", pay_api_sellers_get, 0, "GET /v2/sellers/{id}", NULL},
    {"POST", "/v2/sellers/:id", pay_api_sellers_update, PAY_ROUTE_BODY | PAY_ROUTE_ENCRYPTED,
     "POST /v2/sellers/{id}", NULL},
    {"DELETE", "/v2/sellers/:id", pay_api_sellers_delete, 0, "DELETE /v2/sellers/{id}", NULL},
    {"POST", "/v2/payouts", pay_api_payouts_create, PAY_ROUTE_BODY | PAY_ROUTE_ENCRYPTED,
     "POST /v2/payouts", NULL},
    {"GET", "/v2/payouts", pay_api_payouts_list, 0, "GET /v2/payouts", pay_payout_list_params},
    {"GET", "/v2/payouts/:id", pay_api_payouts_get, 0, "GET /v2/payouts/{id}", NULL},
    {"POST", "/v2/payouts/:id/cancel", pay_api_payouts_cancel, 0, "POST /v2/payouts/{id}/cancel",
     NULL},
    {"GET", "/v2/balances", pay_api_balances_get, 0, "GET /v2/balances", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
