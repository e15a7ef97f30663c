"""Sellers and payouts moving through their states on the merchant's sandbox
clock (issue 3): registration to APPROVED through every intermediate state
and the weekly limit, SCHEDULED payouts to COMPLETED, EXPRESS to FAILED
through a bank-failure test account, business-day rules, settlement of
pending credits. Time moves through the admin API; nothing sleeps."""
from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, db_connect, main

KST_ = "+09:00"


def corp(ref, account="12345678901", bank="092"):
    return {"refSellerId": ref, "businessType": "CORPORATE",
            "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                        "email": "corp@example.com", "phone": "0212345678"},
            "account": {"bankCode": bank, "accountNumber": account, "holderName": "상호"}}


def person(ref):
    return {"refSellerId": ref, "businessType": "INDIVIDUAL",
            "individual": {"name": "김토스", "email": "seller@example.com", "phone": "01000000000"},
            "account": {"bankCode": "088", "accountNumber": "11122233344", "holderName": "김토스"}}


def item(ref, dest, value, kind="SCHEDULED", date=PINNED_SCHEDULED):
    it = {"refPayoutId": ref, "destination": dest, "scheduleType": kind,
          "amount": {"currency": "KRW", "value": value}, "transactionDescription": "정산"}
    if kind == "SCHEDULED":
        it["payoutDate"] = date
    return it


class Lifecycle(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]
        self.mid = self.m["mid"]
        self.server.set_clock(self.mid, PINNED_NOW)

    # ---- helpers ------------------------------------------------------------

    def seller(self, body):
        return self.assertEntity(self.server.call("POST", "/v2/sellers", self.keys, body), "seller")

    def pay(self, items):
        return self.server.call("POST", "/v2/payouts", self.keys, items)

    def status_of_seller(self, sid):
        return self.assertEntity(self.server.call("GET", "/v2/sellers/" + sid, self.keys), "seller")["status"]

    def payout(self, pid):
        return self.assertEntity(self.server.call("GET", "/v2/payouts/" + pid, self.keys), "payout")

    def available(self):
        b = self.assertEntity(self.server.call("GET", "/v2/balances", self.keys), "balance")
        return b["availableAmount"]["value"], b["pendingAmount"]["value"]

    def ledger(self):
        return self.server.admin_ok("GET", "/merchants/" + self.mid)["test"]["ledger"]

    def action(self, sid, what):
        return self.server.admin("POST", "/merchants/%s/sellers/%s/%s" % (self.mid, sid, what), {"env": "test"})

    def set_clock(self, when):
        return self.server.set_clock(self.mid, when)

    def count_payouts(self):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM payouts p JOIN merchants m ON m.id = p.merchant_id "
                               "WHERE m.mid = ?", (self.mid,)).fetchone()[0]
        finally:
            con.close()

    # ---- sellers ------------------------------------------------------------

    def test_individual_seller_to_approved_with_weekly_limit(self):
        s = self.seller(person("indiv-1"))
        sid = s["id"]
        self.assertEqual(s["status"], "APPROVAL_REQUIRED")
        self.assertError(self.pay([item("a0", sid, 1000)]), 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)

        r = self.action(sid, "verify-identity")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "PARTIALLY_APPROVED")
        self.assertEqual(self.status_of_seller(sid), "PARTIALLY_APPROVED")
        self.assertError(self.action(sid, "verify-identity"), 400, "INVALID_REQUEST")

        # Up to 10,000,000 KRW in a week is allowed, exactly the limit included.
        self.assertEntity(self.pay([item("a1", sid, 6000000)]), "payout-list")
        self.assertEntity(self.pay([item("a2", sid, 4000000)]), "payout-list")
        before = self.count_payouts()
        avail_before = self.available()
        r = self.pay([item("a3", sid, 1)])
        err = self.assertError(r, 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)
        self.assertIn("a3", err["message"])
        self.assertEqual(self.status_of_seller(sid), "KYC_REQUIRED")
        self.assertEqual(self.count_payouts(), before)
        self.assertEqual(self.available(), avail_before)
        # now refused for the status itself
        self.assertError(self.pay([item("a4", sid, 1)]), 403, "FORBIDDEN_SELLER_PAYOUT")

        r = self.action(sid, "approve-kyc")
        self.assertEqual(r.json["status"], "APPROVED")
        self.assertEntity(self.pay([item("a5", sid, 20000000)]), "payout-list")  # no limit now

        # periodic KYC renewal
        self.assertEqual(self.action(sid, "require-kyc").json["status"], "KYC_REQUIRED")
        self.assertError(self.pay([item("a6", sid, 1)]), 403, "FORBIDDEN_SELLER_PAYOUT")
        self.assertEqual(self.action(sid, "approve-kyc").json["status"], "APPROVED")

    def test_business_seller_starts_approval_required(self):
        body = corp("ib-1")
        body["businessType"] = "INDIVIDUAL_BUSINESS"
        self.assertEqual(self.seller(body)["status"], "APPROVAL_REQUIRED")
        self.assertEqual(self.seller(corp("cp-1"))["status"], "PARTIALLY_APPROVED")

    def test_weekly_limit_inside_one_batch(self):
        sid = self.seller(corp("wk-1"))["id"]
        before = self.count_payouts()
        r = self.pay([item("b1", sid, 5000000), item("b2", sid, 6000000)])
        err = self.assertError(r, 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)
        self.assertIn("b2", err["message"])
        self.assertEqual(self.count_payouts(), before)  # the first item was not paid either
        self.assertEqual(self.status_of_seller(sid), "KYC_REQUIRED")

    def test_weekly_limit_is_a_rolling_week(self):
        # Two sellers each paid the full 10,000,000 KRW at 2026-12-09 10:00.
        inside = self.seller(corp("wk-2"))["id"]
        outside = self.seller(corp("wk-3"))["id"]
        self.assertEntity(self.pay([item("c1", inside, 10000000), item("c2", outside, 10000000)]),
                          "payout-list")
        # One second before the week ends, the first payout still counts...
        self.set_clock("2026-12-16T09:59:59" + KST_)
        self.assertError(self.pay([item("c3", inside, 1, date="2026-12-17")]), 403,
                         "FORBIDDEN_SELLER_PAYOUT")
        self.assertEqual(self.status_of_seller(inside), "KYC_REQUIRED")
        # ...one second after it, it has left the window.
        self.set_clock("2026-12-16T10:00:01" + KST_)
        self.assertEntity(self.pay([item("c4", outside, 9000000, date="2026-12-17")]), "payout-list")
        self.assertEqual(self.status_of_seller(outside), "PARTIALLY_APPROVED")

    # ---- payouts ------------------------------------------------------------

    def test_scheduled_payout_completes_on_its_date(self):
        sid = self.seller(corp("sch-1"))["id"]
        start_available, _ = self.available()
        items = self.assertEntity(self.pay([item("s1", sid, 5000)]), "payout-list")["items"]
        pid = items[0]["id"]
        self.assertEqual(items[0]["status"], "REQUESTED")
        self.assertEqual(self.available()[0], start_available - 5000)
        self.assertEqual(self.ledger()["reserved"], 5000)

        self.set_clock("2026-12-16T07:59:59" + KST_)
        self.assertEqual(self.payout(pid)["status"], "REQUESTED")
        self.set_clock("2026-12-16T08:00:00" + KST_)
        self.assertEqual(self.payout(pid)["status"], "IN_PROGRESS")
        self.set_clock("2026-12-16T08:04:59" + KST_)
        self.assertEqual(self.payout(pid)["status"], "IN_PROGRESS")
        self.set_clock("2026-12-16T08:05:00" + KST_)
        done = self.payout(pid)
        self.assertEqual(done["status"], "COMPLETED")
        self.assertIsNone(done["error"])
        self.assertEqual(self.available()[0], start_available - 5000)
        ledger = self.ledger()
        self.assertEqual((ledger["reserved"], ledger["paid_out"]), (0, 5000))

    def test_a_week_at_once(self):
        sid = self.seller(corp("sch-2"))["id"]
        ids = [p["id"] for p in self.assertEntity(
            self.pay([item("w%d" % i, sid, 1000, date=d) for i, d in
                      enumerate(["2026-12-10", "2026-12-11", "2026-12-14", "2026-12-16"])]),
            "payout-list")["items"]]
        r = self.server.advance_clock(self.mid, 7 * 86400)
        self.assertEqual(r["transitions"], 8)  # each: start, then bank step
        self.assertEqual([self.payout(i)["status"] for i in ids], ["COMPLETED"] * 4)

    def test_clock_move_counts_every_step_it_made_due(self):
        """A clock move long enough for background ticks to run meanwhile still
        reports all its steps: the tick waits until the move's own run ends."""
        sid = self.seller(corp("sch-many"))["id"]
        for batch in range(30):
            self.assertEntity(self.pay([item("m%d-%d" % (batch, i), sid, 100) for i in range(100)]),
                              "payout-list")
        r = self.set_clock("2026-12-16T09:00:00" + KST_)
        self.assertEqual(r["transitions"], 6000)  # each: start, then bank step
        self.assertEqual(self.ledger()["paid_out"], 300000)

    def test_express_fails_through_test_bank_account(self):
        sid = self.seller(corp("bank-fail", account="77701777777", bank="295"))["id"]
        start, _ = self.available()
        items = self.assertEntity(self.pay([item("e1", sid, 10000, kind="EXPRESS")]), "payout-list")["items"]
        self.assertEqual(items[0]["status"], "IN_PROGRESS")
        self.assertEqual(items[0]["payoutDate"], "2026-12-09")
        self.assertEqual(self.available()[0], start - 10000)
        self.server.advance_clock(self.mid, 300)
        failed = self.payout(items[0]["id"])
        self.assertEqual(failed["status"], "FAILED")
        self.assertEqual(failed["error"]["code"], "BANK_TRANSFER_FAILED")
        self.assertTrue(failed["error"]["message"])
        self.assertEqual(self.available()[0], start)  # the money is back
        ledger = self.ledger()
        self.assertEqual((ledger["reserved"], ledger["paid_out"]), (0, 0))

    def test_cancel_returns_the_money(self):
        sid = self.seller(corp("cx-1"))["id"]
        start, _ = self.available()
        pid = self.assertEntity(self.pay([item("x1", sid, 7000)]), "payout-list")["items"][0]["id"]
        r = self.server.call("POST", "/v2/payouts/%s/cancel" % pid, self.keys, encrypted=False)
        body = self.assertEntity(r, "payout")
        self.assertEqual(body["status"], "CANCELED")
        self.assertEqual(self.available()[0], start)
        # a cancelled payout never starts
        self.server.advance_clock(self.mid, 10 * 86400)
        self.assertEqual(self.payout(pid)["status"], "CANCELED")

    # ---- business days (spec §10 #7, #8) ---------------------------------------

    def test_express_hours_and_days(self):
        sid = self.seller(corp("ex-1"))["id"]
        for n, (when, ok) in enumerate([("2026-12-09T07:59:59", False), ("2026-12-09T08:00:00", True),
                                        ("2026-12-09T14:59:59", True), ("2026-12-09T15:00:00", False),
                                        ("2026-12-12T10:00:00", False),  # Saturday
                                        ("2026-12-25T10:00:00", False)]):  # Christmas
            with self.subTest(when=when):
                self.set_clock(when + KST_)
                r = self.pay([item("ex%d" % n, sid, 100, kind="EXPRESS")])
                if ok:
                    self.assertEntity(r, "payout-list")
                else:
                    err = self.assertError(r, 403, "NOT_AVAILABLE_BANK", encrypted=True)
                    if "12-25" in when:
                        self.assertIn("기독탄신일", err["message"])

    def test_scheduled_dates(self):
        sid = self.seller(corp("sd-1"))["id"]
        cases = [("2026-12-09", "INVALID_PAYABLE_DATE"),   # today
                 ("2026-12-08", "INVALID_PAYABLE_DATE"),   # past
                 ("2026-12-10", None),                     # tomorrow, Thursday
                 ("2026-12-12", "NOT_ALLOWED_HOLIDAY"),    # Saturday
                 ("2026-12-25", "NOT_ALLOWED_HOLIDAY"),    # Christmas
                 ("2027-02-08", "NOT_ALLOWED_HOLIDAY"),    # Seollal
                 ("2027-12-09", None),                     # one year ahead, Thursday
                 ("2027-12-10", "INVALID_PAYABLE_DATE")]   # beyond a year
        for n, (date, code) in enumerate(cases):
            with self.subTest(date=date):
                r = self.pay([item("sd%d" % n, sid, 100, date=date)])
                if code is None:
                    self.assertEntity(r, "payout-list")
                else:
                    err = self.assertError(r, 400, code, encrypted=True)
                    if date == "2026-12-25":
                        self.assertIn("2026-12-28", err["message"])  # the next business day

    # ---- balances -------------------------------------------------------------

    def test_pending_credit_settles_on_its_date(self):
        start, pending = self.available()
        self.assertEqual(pending, 0.0)
        r = self.server.admin("POST", "/merchants/%s/credits" % self.mid,
                              {"env": "test", "amount": 50000, "settlementDate": "2026-12-11"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.available(), (start, 50000.0))
        self.set_clock("2026-12-10T23:59:59" + KST_)
        self.assertEqual(self.available(), (start, 50000.0))
        self.set_clock("2026-12-11T00:00:00" + KST_)
        self.assertEqual(self.available(), (start + 50000, 0.0))


if __name__ == "__main__":
    main()
