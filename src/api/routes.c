#include "api/handlers.h"
#include "http/router.h"

/* Spec §2.3: POSTs with a body are ENCRYPTION-only; GETs, DELETE and the
 * bodyless cancel may opt in with the header (sealed response). */
const pay_route pay_api_routes[] = {
    {"POST", "/v2/sellers", pay_api_sellers_create, PAY_ROUTE_BODY | PAY_ROUTE_ENCRYPTED,
     "POST /v2/sellers"},
    {"GET", "/v2/sellers", pay_api_sellers_list, 0, "GET /v2/sellers"},
    {"GET", "/v2/sellers/:id", pay_api_sellers_get, 0, "GET /v2/sellers/{id}"},
    {"POST", "/v2/sellers/:id", pay_api_sellers_update, PAY_ROUTE_BODY | PAY_ROUTE_ENCRYPTED,
     "POST /v2/sellers/{id}"},
    {"DELETE", "/v2/sellers/:id", pay_api_sellers_delete, 0, "DELETE /v2/sellers/{id}"},
    {"POST", "/v2/payouts", pay_api_payouts_create, PAY_ROUTE_BODY | PAY_ROUTE_ENCRYPTED,
     "POST /v2/payouts"},
    {"GET", "/v2/payouts", pay_api_payouts_list, 0, "GET /v2/payouts"},
    {"GET", "/v2/payouts/:id", pay_api_payouts_get, 0, "GET /v2/payouts/{id}"},
    {"POST", "/v2/payouts/:id/cancel", pay_api_payouts_cancel, 0, "POST /v2/payouts/{id}/cancel"},
    {"GET", "/v2/balances", pay_api_balances_get, 0, "GET /v2/balances"},
    {NULL, NULL, NULL, 0, NULL},
};
