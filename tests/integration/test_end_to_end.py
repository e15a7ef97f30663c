"""Issue 2's end-to-end path: an independent JWE client (python3-jwcrypto)
registers sellers and pays one through a real payoutd on SQLite, then reads
everything back after a restart."""
import copy
import re

from payoutd_harness import (PINNED_NOW, PINNED_SCHEDULED, PINNED_TODAY, ServerTestCase, db_snapshot,
                             main)

SELLER_ID_RE = re.compile(r"^seller_[0-9a-hjkmnp-tv-z]{26}$")
PAYOUT_ID_RE = re.compile(r"^FPA_[0-9a-hjkmnp-tv-z]{26}$")
REQUESTED_AT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")

# spec §8.1, verbatim
INDIVIDUAL = {"refSellerId": "my-seller-1000001", "businessType": "INDIVIDUAL",
              "individual": {"name": "김기원", "email": "noreply@example.com", "phone": "01012345678"},
              "account": {"bankCode": "004", "accountNumber": "049210482003", "holderName": "김기원"},
              "metadata": {"key1": "value1", "key2": "value2"}}
# the company fields of spec §8.2 on a CORPORATE seller (the §8.2 account
# number is a masked docs example, so a full one is used)
CORPORATE = {"refSellerId": "my-seller-1", "businessType": "CORPORATE",
             "company": {"name": "테스트 상호", "representativeName": "김토스",
                         "businessRegistrationNumber": "1234567890", "email": "toss@sample.com",
                         "phone": "01012345678"},
             "account": {"bankCode": "092", "accountNumber": "12345678990123", "holderName": "김토스"},
             "metadata": {"key1": "value1", "key2": "value2"}}


class EndToEnd(ServerTestCase):
    def check_seller(self, body, request, status):
        self.assertRegex(body["id"], SELLER_ID_RE)
        self.assertEqual(body["refSellerId"], request["refSellerId"])
        self.assertEqual(body["businessType"], request["businessType"])
        self.assertEqual(body["company"], request.get("company"))
        self.assertEqual(body["individual"], request.get("individual"))
        number = request["account"]["accountNumber"]
        masked = number[:3] + "*" * (len(number) - 8) + number[-5:]
        self.assertEqual(body["account"], dict(request["account"], accountNumber=masked))
        self.assertEqual(body["status"], status)
        self.assertEqual(body["metadata"], request.get("metadata"))
        self.assertEqual(list(body.keys()), ["id", "refSellerId", "businessType", "company", "individual",
                                             "account", "status", "metadata"])

    def check_payout(self, item, request, status, date):
        self.assertRegex(item["id"], PAYOUT_ID_RE)
        self.assertEqual(item["refPayoutId"], request["refPayoutId"])
        self.assertEqual(item["destination"], request["destination"])
        self.assertEqual(item["scheduleType"], request["scheduleType"])
        self.assertEqual(item["payoutDate"], date)
        self.assertEqual(item["amount"], {"currency": "KRW", "value": float(request["amount"]["value"])})
        self.assertIsInstance(item["amount"]["value"], float)
        self.assertEqual(item["transactionDescription"], request["transactionDescription"])
        self.assertRegex(item["requestedAt"], REQUESTED_AT_RE)
        self.assertEqual(item["status"], status)
        self.assertIsNone(item["error"])
        self.assertEqual(item["metadata"], request.get("metadata"))

    def test_register_pay_and_restart(self):
        m = self.merchant()
        keys = m["test"]
        srv = self.server
        srv.set_clock(m["mid"], PINNED_NOW)  # a business day inside EXPRESS hours

        r = srv.call("POST", "/v2/sellers", keys, INDIVIDUAL)
        individual = self.assertEntity(r, "seller", encrypted=True)
        self.check_seller(individual, INDIVIDUAL, "APPROVAL_REQUIRED")

        r = srv.call("POST", "/v2/sellers", keys, CORPORATE)
        corporate = self.assertEntity(r, "seller", encrypted=True)
        self.check_seller(corporate, CORPORATE, "PARTIALLY_APPROVED")

        # A payout to the seller still waiting for identity verification is refused,
        # encrypted, and changes nothing.
        before = db_snapshot(srv.db)
        refused = [{"refPayoutId": "20260115220825", "destination": individual["id"],
                    "scheduleType": "EXPRESS", "amount": {"currency": "KRW", "value": 5000},
                    "transactionDescription": "정산금"}]
        r = srv.call("POST", "/v2/payouts", keys, refused)
        err = self.assertError(r, 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)
        self.assertIn("refPayoutId: 20260115220825", err["message"])
        self.assertEqual(db_snapshot(srv.db), before)

        # A batch shaped like spec §8.4 with one SCHEDULED and one EXPRESS item.
        date = PINNED_SCHEDULED
        batch = [{"refPayoutId": "my-payout-1", "destination": corporate["id"], "scheduleType": "SCHEDULED",
                  "payoutDate": date, "amount": {"currency": "KRW", "value": 5000},
                  "transactionDescription": "8월대금지급", "metadata": {"key1": "value1", "key2": "value2"}},
                 {"refPayoutId": "my-payout-2", "destination": corporate["id"], "scheduleType": "EXPRESS",
                  "amount": {"currency": "KRW", "value": "12000"}, "transactionDescription": "대금지급"}]
        r = srv.call("POST", "/v2/payouts", keys, batch)
        body = self.assertEntity(r, "payout-list", encrypted=True)
        self.assertEqual(list(body.keys()), ["items"])
        items = body["items"]
        self.assertEqual(len(items), 2)
        self.check_payout(items[0], batch[0], "REQUESTED", date)
        expected_express = copy.deepcopy(batch[1])
        expected_express["amount"]["value"] = 12000
        self.check_payout(items[1], expected_express, "IN_PROGRESS", PINNED_TODAY)
        self.assertNotEqual(items[0]["id"], items[1]["id"])

        r = srv.call("GET", "/v2/balances", keys)
        balance = self.assertEntity(r, "balance", encrypted=False)
        self.assertEqual(balance, {"pendingAmount": {"currency": "KRW", "value": 0.0},
                                   "availableAmount": {"currency": "KRW", "value": 100000000.0 - 17000}})

        reads = {
            "seller": ("/v2/sellers/" + corporate["id"], "seller"),
            "individual": ("/v2/sellers/" + individual["id"], "seller"),
            "payout0": ("/v2/payouts/" + items[0]["id"], "payout"),
            "payout1": ("/v2/payouts/" + items[1]["id"], "payout"),
            "balance": ("/v2/balances", "balance"),
        }

        def read_all():
            out = {}
            for name, (path, etype) in reads.items():
                plain = self.assertEntity(srv.call("GET", path, keys), etype, encrypted=False)
                sealed = self.assertEntity(srv.call("GET", path, keys, encrypted=True), etype, encrypted=True)
                self.assertEqual(plain, sealed)
                out[name] = plain
            return out

        first = read_all()
        self.assertEqual(first["seller"], corporate)
        self.assertEqual(first["individual"], individual)
        self.assertEqual(first["payout0"], items[0])
        self.assertEqual(first["payout1"], items[1])
        self.assertEqual(first["balance"], balance)

        srv.restart()
        self.assertEqual(read_all(), first)

        # The other environment sees none of it.
        live = m["live"]
        self.assertError(srv.call("GET", "/v2/sellers/" + corporate["id"], live), 404, "NOT_FOUND")
        self.assertError(srv.call("GET", "/v2/payouts/" + items[0]["id"], live), 404, "PAYOUT_NOT_FOUND")
        self.assertEqual(self.assertEntity(srv.call("GET", "/v2/balances", live), "balance"),
                         {"pendingAmount": {"currency": "KRW", "value": 0.0},
                          "availableAmount": {"currency": "KRW", "value": 0.0}})


if __name__ == "__main__":
    main()
