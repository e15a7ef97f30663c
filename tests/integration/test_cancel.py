"""POST /v2/payouts/{id}/cancel (spec §1.2 step 7, §4.10, §10 #10): only a
SCHEDULED payout still REQUESTED can be cancelled; it comes back as the
payout now CANCELED, its money returns to availableAmount through the
ledger, no webhook is sent, and everything else is NOT_CANCELABLE_PAYOUT or
PAYOUT_NOT_FOUND without touching the database."""
from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, db_connect, db_snapshot, main

UNKNOWN_PAYOUT = "FPA_" + "0" * 26
CORP = {"refSellerId": "cancel-corp", "businessType": "CORPORATE",
        "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                    "email": "corp@example.com", "phone": "0212345678"},
        "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"}}


class Cancel(ServerTestCase):
    BALANCE = 1000000

    def setUp(self):
        self.m = self.merchant(test_balance=self.BALANCE)
        self.keys = self.m["test"]
        self.mid = self.m["mid"]
        self.server.set_clock(self.mid, PINNED_NOW)
        self.seller = self.assertEntity(self.server.call("POST", "/v2/sellers", self.keys, CORP), "seller")["id"]
        self.n = 0

    # ---- helpers ------------------------------------------------------------

    def request(self, kind="SCHEDULED", value=10000, day=PINNED_SCHEDULED, keys=None, seller=None):
        self.n += 1
        it = {"refPayoutId": "c-%d" % self.n, "destination": seller or self.seller, "scheduleType": kind,
              "amount": {"currency": "KRW", "value": value}, "transactionDescription": "정산"}
        if kind == "SCHEDULED":
            it["payoutDate"] = day
        r = self.server.call("POST", "/v2/payouts", keys or self.keys, [it])
        return self.assertEntity(r, "payout-list")["items"][0]

    def cancel(self, pid, keys=None, **kw):
        return self.server.call("POST", "/v2/payouts/%s/cancel" % pid, keys or self.keys, **kw)

    def payout(self, pid):
        return self.assertEntity(self.server.call("GET", "/v2/payouts/" + pid, self.keys), "payout")

    def balance(self):
        b = self.assertEntity(self.server.call("GET", "/v2/balances", self.keys), "balance")
        return b["availableAmount"]["value"], b["pendingAmount"]["value"]

    def ledger(self):
        view = self.server.admin_ok("GET", "/merchants/" + self.mid)["test"]
        self.assertTrue(view["ledgerBalanced"], view)
        return view["ledger"]

    def payout_events(self):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM webhook_events e JOIN merchants m ON m.id = e.merchant_id "
                               "WHERE m.mid = ? AND e.event_type = 'payout.changed'", (self.mid,)).fetchone()[0]
        finally:
            con.close()

    def not_cancelable(self, pid, status="NOT_CANCELABLE_PAYOUT", http=400, keys=None, **kw):
        before = db_snapshot(self.server.db)
        r = self.cancel(pid, keys=keys, **kw)
        err = self.assertError(r, http, status)
        self.assertEqual(db_snapshot(self.server.db), before, "a refused cancel changed the database")
        return err

    # ---- tests --------------------------------------------------------------

    def test_cancel_requested_scheduled_payout(self):
        p = self.request(value=12345)
        self.assertEqual(p["status"], "REQUESTED")
        self.assertEqual(self.balance(), (self.BALANCE - 12345.0, 0.0))
        self.assertEqual(self.ledger()["reserved"], 12345)
        r = self.cancel(p["id"])
        body = self.assertEntity(r, "payout", encrypted=False)
        self.assertEqual(body, dict(p, status="CANCELED"))  # the same payout, now CANCELED
        self.assertEqual(self.payout(p["id"]), body)
        self.assertEqual(self.balance(), (float(self.BALANCE), 0.0))
        ledger = self.ledger()
        self.assertEqual(ledger["reserved"], 0)
        self.assertEqual(ledger["available"], self.BALANCE)
        self.assertEqual(ledger["paid_out"], 0)
        self.assertEqual(self.payout_events(), 0)  # spec §4.10: no webhook for CANCELED
        listed = self.assertEntity(self.server.call("GET", "/v2/payouts", self.keys), "payout-list")["items"]
        self.assertEqual(listed, [body])
        # the cancelled payout never starts
        self.server.set_clock(self.mid, PINNED_SCHEDULED + "T12:00:00+09:00")
        self.assertEqual(self.payout(p["id"])["status"], "CANCELED")
        self.assertEqual(self.balance(), (float(self.BALANCE), 0.0))
        self.server.restart()
        self.assertEqual(self.payout(p["id"]), body)

    def test_cancel_one_of_several(self):
        a, b, c = self.request(value=1000), self.request(value=2000), self.request(value=4000)
        self.assertEqual(self.assertEntity(self.cancel(b["id"]), "payout")["status"], "CANCELED")
        self.assertEqual(self.payout(a["id"])["status"], "REQUESTED")
        self.assertEqual(self.payout(c["id"])["status"], "REQUESTED")
        self.assertEqual(self.balance(), (self.BALANCE - 5000.0, 0.0))
        self.assertEqual(self.ledger()["reserved"], 5000)
        # the returned money can be paid out again
        self.request(value=self.BALANCE - 5000)
        self.assertEqual(self.balance(), (0.0, 0.0))

    def test_cancel_twice(self):
        p = self.request()
        self.assertEntity(self.cancel(p["id"]), "payout")
        err = self.not_cancelable(p["id"], headers={"Accept-Language": "en-US"})
        self.assertIn("CANCELED", err["message"])
        self.assertEqual(self.balance(), (float(self.BALANCE), 0.0))

    def test_express_cannot_be_cancelled(self):
        p = self.request(kind="EXPRESS")
        self.assertEqual(p["status"], "IN_PROGRESS")
        self.not_cancelable(p["id"])
        self.server.advance_clock(self.mid, 3600)
        self.assertEqual(self.payout(p["id"])["status"], "COMPLETED")
        self.not_cancelable(p["id"])

    def test_not_cancelable_once_processing_started(self):
        p = self.request()
        # still REQUESTED just before 08:00 KST of the payout date: cancelable
        q = self.request()
        self.server.set_clock(self.mid, PINNED_SCHEDULED + "T07:58:00+09:00")
        self.assertEqual(self.payout(q["id"])["status"], "REQUESTED")
        self.assertEqual(self.assertEntity(self.cancel(q["id"]), "payout")["status"], "CANCELED")
        # at 08:00 processing starts
        self.server.set_clock(self.mid, PINNED_SCHEDULED + "T08:01:00+09:00")
        self.assertEqual(self.payout(p["id"])["status"], "IN_PROGRESS")
        self.not_cancelable(p["id"])
        self.server.advance_clock(self.mid, 3600)
        self.assertEqual(self.payout(p["id"])["status"], "COMPLETED")
        self.not_cancelable(p["id"])
        ledger = self.ledger()
        self.assertEqual(ledger["paid_out"], 10000)
        self.assertEqual(ledger["reserved"], 0)

    def test_failed_payout_cannot_be_cancelled(self):
        p = self.request(value=4001)  # sandbox: the bank step fails (docs/sandbox.md)
        self.server.set_clock(self.mid, PINNED_SCHEDULED + "T12:00:00+09:00")
        self.assertEqual(self.payout(p["id"])["status"], "FAILED")
        self.not_cancelable(p["id"])

    def test_unknown_payout(self):
        seller_id = self.seller
        for pid in (UNKNOWN_PAYOUT, "nope", seller_id, "FPA_"):
            with self.subTest(pid=pid):
                self.not_cancelable(pid, "PAYOUT_NOT_FOUND", 404)

    def test_other_merchant_or_environment(self):
        p = self.request()
        other = self.merchant()
        for keys in (other["test"], self.m["live"]):
            with self.subTest(key=keys["secretKey"][:5]):
                self.not_cancelable(p["id"], "PAYOUT_NOT_FOUND", 404, keys=keys)
        self.assertEqual(self.payout(p["id"])["status"], "REQUESTED")

    def test_cancel_takes_no_body(self):
        p = self.request()
        for body in ("{}", "null", "x"):
            with self.subTest(body=body):
                before = db_snapshot(self.server.db)
                r = self.server.request("POST", "/v2/payouts/%s/cancel" % p["id"], self.keys["secretKey"], body=body)
                self.assertError(r, 400, "INVALID_REQUEST")
                self.assertEqual(db_snapshot(self.server.db), before)
        # a sealed body is no better
        r = self.cancel(p["id"], payload={"reason": "x"})
        self.assertError(r, 400, "INVALID_REQUEST")
        self.assertEqual(self.payout(p["id"])["status"], "REQUESTED")

    def test_cancel_in_encryption_mode_is_sealed(self):
        p = self.request()
        body = self.assertEntity(self.cancel(p["id"], encrypted=True), "payout", encrypted=True)
        self.assertEqual(body, dict(p, status="CANCELED"))
        self.assertError(self.cancel(p["id"], encrypted=True), 400, "NOT_CANCELABLE_PAYOUT", encrypted=True)
        self.assertError(self.cancel(UNKNOWN_PAYOUT, encrypted=True), 404, "PAYOUT_NOT_FOUND", encrypted=True)

    def test_other_methods(self):
        p = self.request()
        for method in ("GET", "DELETE"):
            with self.subTest(method=method):
                r = self.server.call(method, "/v2/payouts/%s/cancel" % p["id"], self.keys)
                self.assertError(r, 405, "METHOD_NOT_ALLOWED")
        self.assertEqual(self.payout(p["id"])["status"], "REQUESTED")


if __name__ == "__main__":
    main()
