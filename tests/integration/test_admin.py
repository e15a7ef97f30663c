"""The operator's admin API (/admin/v1, docs/DECISIONS.md "Operations",
"Lifecycles and time"): the bearer-token gate, the API switched off without
a token, merchant creation and view, the payout contract, the sandbox clock,
credits to pending and available, refusal of bad input, and no secret keys
in any answer but the one that creates a merchant."""
import base64
import re
import shutil
import urllib.parse
import uuid
from datetime import datetime, timedelta

from payoutd_harness import (KST, PINNED_NOW, PINNED_SCHEDULED, Server, ServerTestCase, db_connect, db_snapshot,
                             main)

CORP = {"refSellerId": "adm-corp", "businessType": "CORPORATE",
        "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                    "email": "corp@example.com", "phone": "0212345678"},
        "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"}}
PERSON = {"refSellerId": "adm-person", "businessType": "INDIVIDUAL",
          "individual": {"name": "김토스", "email": "seller@example.com", "phone": "01000000000"},
          "account": {"bankCode": "088", "accountNumber": "11122233344", "holderName": "김토스"}}
KEY_RE = {"secretKey": re.compile(r"^%s_sk_[A-Za-z0-9]{28}$"), "clientKey": re.compile(r"^%s_ck_[A-Za-z0-9]{28}$"),
          "securityKey": re.compile(r"^[0-9a-f]{64}$")}
LEDGER_ACCOUNTS = {"available", "pending", "reserved", "paid_out", "funding"}


def when(text):
    return datetime.fromisoformat(text)


def admin_paths(mid="demo", sid="seller_" + "0" * 26):
    """Every admin route (method, path) and a few that do not exist."""
    m = "/admin/v1/merchants/" + mid
    return [("POST", "/admin/v1/merchants"), ("GET", m), ("POST", m + "/contract"), ("POST", m + "/credits"),
            ("POST", m + "/sellers/%s/verify-identity" % sid), ("POST", m + "/sellers/%s/approve-kyc" % sid),
            ("POST", m + "/sellers/%s/require-kyc" % sid), ("GET", m + "/clock"), ("POST", m + "/clock"),
            ("PUT", m + "/webhook"), ("GET", m + "/webhooks"), ("POST", m + "/webhooks/evt_x/redeliver"),
            ("POST", "/admin/v1/scheduler/run"),
            # other methods on known paths, unknown paths
            ("GET", "/admin/v1/merchants"), ("DELETE", m), ("GET", "/admin/v1/scheduler/run"),
            ("GET", "/admin/v1/nothing"), ("GET", "/admin/"), ("GET", "/admin/v2/merchants")]


class AdminGate(ServerTestCase):
    def test_token_required(self):
        m = self.merchant()
        token = self.server.admin_token
        auths = [None, "Bearer wrong-token-0123456789", "Bearer " + token + "x", "Bearer " + token[:-1],
                 "Bearer ", "Bearer", token, "Basic " + token,
                 "Basic " + base64.b64encode((token + ":").encode()).decode(),
                 "Basic " + base64.b64encode((m["test"]["secretKey"] + ":").encode()).decode(),
                 "Token " + token]
        for method, path in admin_paths(m["mid"])[:13]:
            for auth in auths:
                with self.subTest(method=method, path=path, auth=auth):
                    before = db_snapshot(self.server.db)
                    hdrs = {"Authorization": auth} if auth is not None else {}
                    body = "{}" if method in ("POST", "PUT") else None
                    r = self.server.request(method, path, body=body, headers=hdrs)
                    err = self.assertError(r, 401, "INVALID_ADMIN_TOKEN", encrypted=False)
                    self.assertNotIn(token, err["message"])
                    self.assertEqual(db_snapshot(self.server.db), before)

    def test_right_token_passes(self):
        m = self.merchant()
        r = self.server.admin("GET", "/merchants/" + m["mid"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["mid"], m["mid"])
        self.assertTrue(r.content_type.startswith("application/json"), r.content_type)


class AdminDisabled(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(admin_token="").start()

    def test_every_admin_path_is_not_found(self):
        m = self.merchant()
        for method, path in admin_paths(m["mid"]):
            for auth in (None, "Bearer anything-at-all-0123456789"):
                with self.subTest(method=method, path=path, auth=auth):
                    before = db_snapshot(self.server.db)
                    hdrs = {"Authorization": auth} if auth is not None else {}
                    body = "{}" if method in ("POST", "PUT") else None
                    r = self.server.request(method, path, body=body, headers=hdrs)
                    self.assertError(r, 404, "NOT_FOUND", encrypted=False)
                    self.assertEqual(db_snapshot(self.server.db), before)
        # the merchant API works as usual
        r = self.server.call("GET", "/v2/balances", m["test"])
        self.assertEntity(r, "balance")

    def test_short_admin_token_refused_at_start(self):
        srv = Server(admin_token="too-short")
        try:
            with self.assertRaises(RuntimeError) as ctx:
                srv.start()
            self.assertIn("16", str(ctx.exception))
        finally:
            srv.stop(check=False)
            shutil.rmtree(srv.workdir, ignore_errors=True)


class Admin(ServerTestCase):
    # ---- helpers ------------------------------------------------------------

    def create(self, body):
        return self.server.admin("POST", "/merchants", body)

    def created(self, **body):
        body.setdefault("mid", "adm-" + uuid.uuid4().hex[:12])
        r = self.create(body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def refused(self, method, path, body, status=400, code="INVALID_REQUEST"):
        before = db_snapshot(self.server.db)
        r = self.server.admin(method, path, body)
        self.assertError(r, status, code, encrypted=False)
        self.assertEqual(db_snapshot(self.server.db), before, "a refused admin call changed the database")
        return r

    def view(self, mid):
        return self.server.admin_ok("GET", "/merchants/" + mid)

    def balance(self, keys):
        b = self.assertEntity(self.server.call("GET", "/v2/balances", keys), "balance")
        return b["availableAmount"]["value"], b["pendingAmount"]["value"]

    def merchants(self):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM merchants").fetchone()[0]
        finally:
            con.close()

    # ---- merchants ------------------------------------------------------------

    def test_create_merchant_returns_usable_keys(self):
        mid = "adm-" + uuid.uuid4().hex[:12]
        r = self.create({"mid": mid, "payoutContract": True, "testBalance": 12345})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.content_type.startswith("application/json"), r.content_type)
        m = r.json
        self.assertEqual(set(m.keys()), {"mid", "payoutContract", "test", "live"})
        self.assertEqual(m["mid"], mid)
        self.assertIs(m["payoutContract"], True)
        for env in ("test", "live"):
            self.assertEqual(set(m[env].keys()), set(KEY_RE))
            for name, pattern in KEY_RE.items():
                self.assertRegex(m[env][name], pattern.pattern.replace("%s", env))
        self.assertNotEqual(m["test"]["securityKey"], m["live"]["securityKey"])
        self.assertEqual(self.balance(m["test"]), (12345.0, 0.0))
        self.assertEqual(self.balance(m["live"]), (0.0, 0.0))
        # the security key opens and seals
        s = self.assertEntity(self.server.call("POST", "/v2/sellers", m["test"], CORP), "seller", encrypted=True)
        self.assertEqual(s["status"], "PARTIALLY_APPROVED")
        # the client key is not a secret key
        r = self.server.request("GET", "/v2/balances", m["test"]["clientKey"])
        self.assertError(r, 400, "INVALID_API_KEY")
        view = self.view(mid)
        self.assertEqual(view["test"]["ledger"]["available"], 12345)
        self.assertIs(view["payoutContract"], True)

    def test_create_defaults(self):
        r = self.create({})
        self.assertEqual(r.status, 200, r)
        m = r.json
        self.assertRegex(m["mid"], r"^mid_[a-z0-9]{8}$")
        self.assertIs(m["payoutContract"], True)
        self.assertEqual(self.balance(m["test"]), (0.0, 0.0))
        m = self.created(payoutContract=False)
        self.assertIs(m["payoutContract"], False)
        self.assertError(self.server.call("GET", "/v2/balances", m["test"]), 403, "FORBIDDEN_REQUEST")

    def test_duplicate_mid(self):
        m = self.created(testBalance=100)
        cli = self.server.create_merchant()
        for mid in (m["mid"], cli["mid"]):
            with self.subTest(mid=mid):
                self.refused("POST", "/merchants", {"mid": mid, "testBalance": 999}, 400, "DUPLICATED_REQUEST")
        self.assertEqual(self.balance(m["test"]), (100.0, 0.0))

    def test_create_refusals(self):
        count = self.merchants()
        for body in ({"mid": ""}, {"mid": 5}, {"mid": "m" * 64}, {"mid": None, "x": 1},
                     {"payoutContract": "yes"}, {"payoutContract": 1}, {"payoutContract": None},
                     {"testBalance": -1}, {"testBalance": 1.5}, {"testBalance": "100"}, {"testBalance": True},
                     {"secretKey": "test_sk_x"}, {"mid": "ok-mid", "env": "test"}, [], "x"):
            with self.subTest(body=body):
                self.refused("POST", "/merchants", body)
        r = self.server.request("POST", "/admin/v1/merchants", body="{not json",
                                headers={"Authorization": "Bearer " + self.server.admin_token})
        self.assertError(r, 400, "INVALID_REQUEST")
        self.assertEqual(self.merchants(), count)

    def test_test_balance_the_ledger_cannot_carry(self):
        """A starting balance so large that the ledger can take no further
        credit (int64 arithmetic) must be refused as a bad amount, or the
        credit that no longer fits must be refused as one: never a 500."""
        r = self.create({"mid": "adm-huge-" + uuid.uuid4().hex[:8], "testBalance": 2 ** 63 - 1})
        if r.status != 200:
            self.assertError(r, 400, "INVALID_REQUEST", encrypted=False)
            return
        mid = r.json["mid"]
        credit = self.server.admin("POST", "/merchants/%s/credits" % mid, {"amount": 10 ** 12})
        self.assertEqual(credit.status, 400, "a credit on top of testBalance 2^63-1 answers %s" % credit)
        self.assertEqual(self.view(mid)["test"]["ledger"]["available"], 2 ** 63 - 1)

    def test_created_merchant_is_addressable(self):
        """Every mid the admin API accepts can be read back through it."""
        for mid in ("m" * 63, "mid.with.dots", "with space", "a/b", "한글상점"):
            with self.subTest(mid=mid):
                r = self.create({"mid": mid})
                if r.status != 200:
                    self.assertError(r, 400, "INVALID_REQUEST")
                    continue
                got = self.server.admin("GET", "/merchants/" + urllib.parse.quote(mid, safe=""))
                self.assertEqual(got.status, 200, "mid %r was created but GET answers %s" % (mid, got))
                self.assertEqual(got.json["mid"], mid)

    def test_merchant_view(self):
        m = self.created(testBalance=50000)
        mid = m["mid"]
        view = self.view(mid)
        self.assertEqual(set(view.keys()), {"mid", "payoutContract", "createdAt", "test", "live"})
        self.assertEqual(view["mid"], mid)
        self.assertIs(view["payoutContract"], True)
        self.assertIsNotNone(when(view["createdAt"]).tzinfo)
        for env in ("test", "live"):
            e = view[env]
            self.assertTrue({"now", "clockOffsetSeconds", "webhookUrl", "ledger", "ledgerBalanced"} <= set(e), e)
            self.assertIsNone(e["webhookUrl"])
            self.assertIs(e["ledgerBalanced"], True)
            self.assertNotIn("ledgerProblem", e)
            self.assertEqual(set(e["ledger"]), LEDGER_ACCOUNTS)
            self.assertEqual(sum(e["ledger"].values()), 0)
            self.assertEqual(e["clockOffsetSeconds"], 0)
            self.assertLess(abs((when(e["now"]) - datetime.now(KST)).total_seconds()), 60)
        self.assertEqual(view["test"]["ledger"], {"available": 50000, "pending": 0, "reserved": 0, "paid_out": 0,
                                                  "funding": -50000})
        self.assertEqual(view["live"]["ledger"], dict.fromkeys(LEDGER_ACCOUNTS, 0))
        # a payout shows as reserved; the clock as an offset; the webhook URL
        self.server.set_clock(mid, PINNED_NOW)
        seller = self.assertEntity(self.server.call("POST", "/v2/sellers", m["test"], CORP), "seller")["id"]
        r = self.server.call("POST", "/v2/payouts", m["test"], [
            {"refPayoutId": "v-1", "destination": seller, "scheduleType": "SCHEDULED", "payoutDate": PINNED_SCHEDULED,
             "amount": {"currency": "KRW", "value": 7000}, "transactionDescription": "정산"}])
        self.assertEntity(r, "payout-list")
        self.server.admin_ok("PUT", "/merchants/%s/webhook" % mid, {"url": "http://127.0.0.1:9/hook"})
        view = self.view(mid)
        self.assertEqual(view["test"]["ledger"]["available"], 43000)
        self.assertEqual(view["test"]["ledger"]["reserved"], 7000)
        self.assertEqual(view["test"]["webhookUrl"], "http://127.0.0.1:9/hook")
        self.assertIsNone(view["live"]["webhookUrl"])
        self.assertLess(abs((when(view["test"]["now"]) - when(PINNED_NOW)).total_seconds()), 60)
        self.assertNotEqual(view["test"]["clockOffsetSeconds"], 0)
        self.assertEqual(view["live"]["clockOffsetSeconds"], 0)
        # unknown merchant
        for path in ("/merchants/no-such-mid", "/merchants/no-such-mid/clock"):
            r = self.server.admin("GET", path)
            self.assertError(r, 404, "NOT_FOUND", encrypted=False)

    # ---- contract -----------------------------------------------------------------

    def test_contract_off_and_on(self):
        m = self.created(testBalance=1000)
        mid = m["mid"]
        view = self.server.admin_ok("POST", "/merchants/%s/contract" % mid, {"payoutContract": False})
        self.assertIs(view["payoutContract"], False)
        self.assertIs(self.view(mid)["payoutContract"], False)
        for keys in (m["test"], m["live"]):
            err = self.assertError(self.server.call("GET", "/v2/balances", keys), 403, "FORBIDDEN_REQUEST")
            self.assertIn("contract", err["message"])
            self.assertError(self.server.call("POST", "/v2/sellers", keys, CORP), 403, "FORBIDDEN_REQUEST",
                             encrypted=False)
            self.assertError(self.server.call("GET", "/v2/sellers", keys), 403, "FORBIDDEN_REQUEST")
        view = self.server.admin_ok("POST", "/merchants/%s/contract" % mid, {"payoutContract": True})
        self.assertIs(view["payoutContract"], True)
        self.assertEqual(self.balance(m["test"]), (1000.0, 0.0))
        self.assertEntity(self.server.call("POST", "/v2/sellers", m["test"], CORP), "seller")
        for body in ({}, {"payoutContract": "no"}, {"payoutContract": 0}, {"payoutContract": None},
                     {"payoutContract": False, "testBalance": 5}):
            with self.subTest(body=body):
                self.refused("POST", "/merchants/%s/contract" % mid, body)
        self.refused("POST", "/merchants/no-such-mid/contract", {"payoutContract": False}, 404, "NOT_FOUND")

    # ---- clock --------------------------------------------------------------------

    def test_clock_set_advance_reset(self):
        m = self.created(testBalance=1000)
        mid = m["mid"]
        clock = self.server.admin_ok("GET", "/merchants/%s/clock" % mid)
        self.assertEqual(set(clock), {"now", "offsetSeconds", "liveNow"})
        self.assertEqual(clock["offsetSeconds"], 0)
        self.assertLess(abs((when(clock["now"]) - datetime.now(KST)).total_seconds()), 60)

        r = self.server.set_clock(mid, PINNED_NOW)
        self.assertLess(abs((when(r["now"]) - when(PINNED_NOW)).total_seconds()), 5)
        offset = r["offsetSeconds"]
        clock = self.server.admin_ok("GET", "/merchants/%s/clock" % mid)
        self.assertLess(abs((when(clock["now"]) - when(PINNED_NOW)).total_seconds()), 5)
        self.assertEqual(clock["offsetSeconds"], offset)
        self.assertLess(abs((when(clock["liveNow"]) - datetime.now(KST)).total_seconds()), 60)
        self.assertLess(abs((when(self.view(mid)["test"]["now"]) - when(PINNED_NOW)).total_seconds()), 5)

        r = self.server.advance_clock(mid, 3600)
        self.assertEqual(r["offsetSeconds"], offset + 3600)
        target = when(PINNED_NOW) + timedelta(hours=1)
        self.assertLess(abs((when(r["now"]) - target).total_seconds()), 5)
        clock = self.server.admin_ok("GET", "/merchants/%s/clock" % mid)
        self.assertLess(abs((when(clock["now"]) - target).total_seconds()), 5)
        r = self.server.advance_clock(mid, 0)
        self.assertEqual(r["offsetSeconds"], offset + 3600)

        # the merchant's API runs on that clock: 20:00 KST is outside EXPRESS hours
        self.server.set_clock(mid, "2026-12-09T20:00:00+09:00")
        seller = self.assertEntity(self.server.call("POST", "/v2/sellers", m["test"], CORP), "seller")["id"]
        express = [{"refPayoutId": "ck-1", "destination": seller, "scheduleType": "EXPRESS",
                    "amount": {"currency": "KRW", "value": 100}, "transactionDescription": "정산"}]
        self.assertError(self.server.call("POST", "/v2/payouts", m["test"], express), 403, "NOT_AVAILABLE_BANK")

        r = self.server.admin_ok("POST", "/merchants/%s/clock" % mid, {"reset": True})
        self.assertEqual(r["offsetSeconds"], 0)
        self.assertLess(abs((when(r["now"]) - datetime.now(KST)).total_seconds()), 60)
        self.assertEqual(self.server.admin_ok("GET", "/merchants/%s/clock" % mid)["offsetSeconds"], 0)

    def test_clock_refusals(self):
        m = self.created()
        mid = m["mid"]
        self.server.set_clock(mid, PINNED_NOW)
        offset = self.server.admin_ok("GET", "/merchants/%s/clock" % mid)["offsetSeconds"]
        bodies = [{}, {"set": PINNED_NOW, "advanceSeconds": 60}, {"set": PINNED_NOW, "reset": True},
                  {"advanceSeconds": 60, "reset": True}, {"advanceSeconds": -1}, {"advanceSeconds": -86400},
                  {"advanceSeconds": 1.5}, {"advanceSeconds": "60"}, {"advanceSeconds": None},
                  {"advanceSeconds": 10 ** 12}, {"set": "tomorrow"}, {"set": "2026-12-09"},
                  {"set": "2026-13-01T10:00:00+09:00"}, {"set": "2026-12-09 10:00:00"}, {"set": 1765242000},
                  {"set": "2046-12-09T10:00:00+09:00"}, {"reset": False}, {"reset": "true"},
                  {"advanceSeconds": 60, "env": "test"}, {"freeze": True}]
        for body in bodies:
            with self.subTest(body=body):
                self.refused("POST", "/merchants/%s/clock" % mid, body)
        self.assertEqual(self.server.admin_ok("GET", "/merchants/%s/clock" % mid)["offsetSeconds"], offset)
        self.refused("POST", "/merchants/no-such-mid/clock", {"advanceSeconds": 1}, 404, "NOT_FOUND")

    # ---- credits ------------------------------------------------------------------

    def test_credits_to_available_and_pending(self):
        m = self.created(testBalance=1000)
        mid, keys = m["mid"], m["test"]
        self.server.set_clock(mid, "2026-12-09T23:59:00+09:00")
        view = self.server.admin_ok("POST", "/merchants/%s/credits" % mid, {"amount": 5000})
        self.assertEqual(view["test"]["ledger"]["available"], 6000)
        self.assertEqual(self.balance(keys), (6000.0, 0.0))

        view = self.server.admin_ok("POST", "/merchants/%s/credits" % mid,
                                    {"amount": 7000, "settlementDate": "2026-12-10"})
        self.assertEqual(view["test"]["ledger"]["pending"], 7000)
        self.assertEqual(self.balance(keys), (6000.0, 7000.0))
        self.server.admin_ok("POST", "/merchants/%s/credits" % mid,
                             {"env": "test", "amount": 300, "settlementDate": "2026-12-11"})
        self.assertEqual(self.balance(keys), (6000.0, 7300.0))
        # a pending credit cannot be paid out
        seller = self.assertEntity(self.server.call("POST", "/v2/sellers", keys, CORP), "seller")["id"]
        big = [{"refPayoutId": "cr-1", "destination": seller, "scheduleType": "SCHEDULED",
                "payoutDate": PINNED_SCHEDULED, "amount": {"currency": "KRW", "value": 6001},
                "transactionDescription": "정산"}]
        self.assertError(self.server.call("POST", "/v2/payouts", keys, big), 400, "NOT_ENOUGH_AMOUNT")

        self.server.advance_clock(mid, 30)  # 23:59:30: not yet
        self.assertEqual(self.balance(keys), (6000.0, 7300.0))
        self.server.advance_clock(mid, 60)  # 00:00:30 on 2026-12-10
        self.assertEqual(self.balance(keys), (13000.0, 300.0))
        view = self.view(mid)
        self.assertEqual(view["test"]["ledger"]["pending"], 300)
        self.assertIs(view["test"]["ledgerBalanced"], True)
        self.assertEntity(self.server.call("POST", "/v2/payouts", keys, big), "payout-list")

        # a settlement date already reached settles at once
        self.server.admin_ok("POST", "/merchants/%s/credits" % mid, {"amount": 50, "settlementDate": "2026-12-10"})
        self.server.admin_ok("POST", "/merchants/%s/credits" % mid, {"amount": 20, "settlementDate": "2026-12-01"})
        self.assertEqual(self.balance(keys), (13070.0 - 6001, 300.0))

        # a day later the last one settles
        self.server.advance_clock(mid, 86400)
        self.assertEqual(self.balance(keys), (13370.0 - 6001, 0.0))

        # live credits go to the live environment only
        self.server.admin_ok("POST", "/merchants/%s/credits" % mid, {"env": "live", "amount": 400})
        self.assertEqual(self.balance(m["live"]), (400.0, 0.0))
        self.assertEqual(self.balance(keys), (13370.0 - 6001, 0.0))
        view = self.view(mid)
        self.assertEqual(view["live"]["ledger"]["available"], 400)
        self.assertIs(view["live"]["ledgerBalanced"], True)

    def test_credit_refusals(self):
        m = self.created(testBalance=1000)
        mid = m["mid"]
        path = "/merchants/%s/credits" % mid
        for body in ({}, {"amount": 0}, {"amount": -5}, {"amount": 1.5}, {"amount": "5000"}, {"amount": None},
                     {"amount": True}, {"amount": 10 ** 12 + 1}, {"amount": 10 ** 30},
                     {"amount": 100, "settlementDate": "2026-02-30"}, {"amount": 100, "settlementDate": "20261210"},
                     {"amount": 100, "settlementDate": 20261210}, {"amount": 100, "settlementDate": ""},
                     {"amount": 100, "settlementDate": "2026-12-10T00:00:00+09:00"},
                     {"amount": 100, "env": "prod"}, {"amount": 100, "env": 1}, {"amount": 100, "memo": "x"},
                     {"amount": {"currency": "KRW", "value": 100}}):
            with self.subTest(body=body):
                self.refused("POST", path, body)
        self.refused("POST", "/merchants/no-such-mid/credits", {"amount": 100}, 404, "NOT_FOUND")
        self.assertEqual(self.balance(m["test"]), (1000.0, 0.0))

    # ---- secrets --------------------------------------------------------------------

    def test_no_secret_keys_in_admin_answers(self):
        created = self.create({"mid": "adm-secret-" + uuid.uuid4().hex[:8], "testBalance": 10000})
        self.assertEqual(created.status, 200, created)
        m = created.json
        mid = m["mid"]
        secrets = [m[env][k] for env in ("test", "live") for k in KEY_RE]
        for secret in secrets:
            self.assertIn(secret, created.raw.decode())  # creation is where the keys are shown, once
        seller = self.assertEntity(self.server.call("POST", "/v2/sellers", m["test"], PERSON), "seller")["id"]
        answers = [
            self.server.admin("GET", "/merchants/" + mid),
            self.server.admin("POST", "/merchants/%s/contract" % mid, {"payoutContract": True}),
            self.server.admin("POST", "/merchants/%s/credits" % mid, {"amount": 10}),
            self.server.admin("POST", "/merchants/%s/credits" % mid, {"amount": 10, "settlementDate": "2030-01-02"}),
            self.server.admin("GET", "/merchants/%s/clock" % mid),
            self.server.admin("POST", "/merchants/%s/clock" % mid, {"set": PINNED_NOW}),
            self.server.admin("PUT", "/merchants/%s/webhook" % mid, {"url": "http://127.0.0.1:9/hook"}),
            self.server.admin("POST", "/merchants/%s/sellers/%s/verify-identity" % (mid, seller), {"env": "test"}),
            self.server.admin("GET", "/merchants/%s/webhooks" % mid),
            self.server.admin("POST", "/merchants", {"mid": mid}),  # a refusal
            self.server.admin("POST", "/merchants/%s/credits" % mid, {"amount": -1}),
            self.server.admin("GET", "/merchants/" + mid, token="wrong-token-0123456789"),
        ]
        for r in answers:
            with self.subTest(answer=r):
                self.assertLess(r.status, 500, r)
                text = r.raw.decode("utf-8")
                for secret in secrets:
                    self.assertNotIn(secret, text)
                for prefix in ("test_sk_", "live_sk_", "test_ck_", "live_ck_"):
                    self.assertNotIn(prefix, text)
                self.assertNotIn(self.server.admin_token, text)


if __name__ == "__main__":
    main()
