"""Security (issue 4): environment and merchant isolation on every v2
endpoint, the admin API's access rules (token, Bearer scheme, disabled
without a token, its own listener), and the trace store.

Isolation (docs/ARCHITECTURE.md "Invariants"): test keys see only test data,
live keys only live data, a merchant only its own. Using one scope's keys on
another scope's objects never answers 200 with the other's data: the object
does not exist for the caller (404 NOT_FOUND / PAYOUT_NOT_FOUND, or
INVALID_PAGING_KEY for a cursor), a token sealed with another scope's security
key does not open (DECRYPTION_FAILED), lists and balances show the caller's
own only, and nothing in the database changes."""
import json
import uuid
from datetime import datetime, timedelta

from payoutd_harness import (KST, PINNED_NOW, PINNED_SCHEDULED, TRACE_RE, Server, ServerTestCase, db_snapshot,
                             main, open_token, seal)


def ref(prefix):
    return prefix + uuid.uuid4().hex[:12]


def corporate(r=None):
    return {"refSellerId": r or ref("s-"), "businessType": "CORPORATE",
            "company": {"name": "격리 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "corp@example.com",
                        "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "김토스"}}


def scheduled(dest, date, value=1000, r=None):
    return {"refPayoutId": r or ref("p-"), "destination": dest, "scheduleType": "SCHEDULED",
            "payoutDate": date, "amount": {"currency": "KRW", "value": value},
            "transactionDescription": "정산"}


def live_dates():
    """Wednesdays from next week on, by the real KST date (live has no sandbox clock)."""
    d = datetime.now(KST).date() + timedelta(days=7)
    while d.weekday() != 2:
        d += timedelta(days=1)
    for i in range(6):
        yield (d + timedelta(days=7 * i)).isoformat()


# ---- isolation -------------------------------------------------------------------

class Isolation(ServerTestCase):
    A_TEST_BALANCE = 5000000
    A_LIVE_CREDIT = 300000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.world = None

    def setUp(self):
        if Isolation.world is None:
            Isolation.world = self.build_world()
        self.w = Isolation.world

    def build_world(self):
        s = self.server
        a = s.create_merchant(test_balance=self.A_TEST_BALANCE)
        b = s.create_merchant()
        s.set_clock(a["mid"], PINNED_NOW)
        s.set_clock(b["mid"], PINNED_NOW)
        s.admin_ok("POST", "/merchants/%s/credits" % a["mid"], {"env": "live", "amount": self.A_LIVE_CREDIT})
        objs = {}
        # Merchant A, test and live: a seller, a cancellable SCHEDULED payout.
        for env in ("test", "live"):
            keys = a[env]
            seller = self.assertEntity(s.call("POST", "/v2/sellers", keys, corporate()), "seller")
            payout = None
            dates = [PINNED_SCHEDULED] if env == "test" else list(live_dates())
            for date in dates:
                r = s.call("POST", "/v2/payouts", keys, [scheduled(seller["id"], date, 7000)])
                if r.status == 200:
                    payout = r.json["entityBody"]["items"][0]
                    break
                self.assertEqual(r.json["error"]["code"], "NOT_ALLOWED_HOLIDAY", r)
            self.assertIsNotNone(payout)
            self.assertEqual(payout["status"], "REQUESTED")
            objs[("A", env)] = {"keys": keys, "seller": seller, "payout": payout}
        # Merchant B has a test seller of its own and nothing in live.
        seller_b = self.assertEntity(s.call("POST", "/v2/sellers", b["test"], corporate()), "seller")
        objs[("B", "test")] = {"keys": b["test"], "seller": seller_b, "payout": None}
        objs[("B", "live")] = {"keys": b["live"], "seller": None, "payout": None}
        balances = {("A", "test"): self.A_TEST_BALANCE - 7000, ("A", "live"): self.A_LIVE_CREDIT - 7000,
                    ("B", "test"): 100000000, ("B", "live"): 0}
        # A SCHEDULED date valid for each environment's clock.
        dates = {"test": PINNED_SCHEDULED, "live": objs[("A", "live")]["payout"]["payoutDate"]}
        return {"objs": objs, "balances": balances, "mids": {"A": a["mid"], "B": b["mid"]}, "dates": dates}

    # The caller -> target pairs: other environment, other merchant (both environments).
    PAIRS = [(("A", "live"), ("A", "test")), (("A", "test"), ("A", "live")),
             (("B", "test"), ("A", "test")), (("B", "live"), ("A", "live")),
             (("B", "test"), ("A", "live")), (("B", "live"), ("A", "test"))]

    def own(self, scope):
        o = self.w["objs"][scope]
        sellers = [o["seller"]["id"]] if o["seller"] else []
        payouts = [o["payout"]["id"]] if o["payout"] else []
        return sellers, payouts

    def assertNothingOf(self, resp, target):
        """The answer carries nothing of the target's objects but what the caller sent."""
        text = json.dumps(resp.json, ensure_ascii=False)
        t = self.w["objs"][target]
        self.assertNotIn(t["seller"]["refSellerId"], text)
        self.assertNotIn("격리 상호", text)
        if t["payout"]:
            self.assertNotIn(t["payout"]["refPayoutId"], text)

    def test_every_endpoint_across_scopes(self):
        s = self.server
        before = db_snapshot(s.db)
        for caller, target in self.PAIRS:
            with self.subTest(caller=caller, target=target):
                keys = self.w["objs"][caller]["keys"]
                t = self.w["objs"][target]
                sid, pid = t["seller"]["id"], t["payout"]["id"]
                date = self.w["dates"][caller[1]]
                cases = [
                    ("GET", "/v2/sellers/" + sid, None, False, 404, "NOT_FOUND"),
                    ("GET", "/v2/sellers/" + sid, None, True, 404, "NOT_FOUND"),
                    ("POST", "/v2/sellers/" + sid, {"metadata": {"k": "v"}}, True, 404, "NOT_FOUND"),
                    ("DELETE", "/v2/sellers/" + sid, None, False, 404, "NOT_FOUND"),
                    ("POST", "/v2/payouts", [scheduled(sid, date)], True, 404, "NOT_FOUND"),
                    ("GET", "/v2/payouts/" + pid, None, False, 404, "PAYOUT_NOT_FOUND"),
                    ("GET", "/v2/payouts/" + pid, None, True, 404, "PAYOUT_NOT_FOUND"),
                    ("POST", "/v2/payouts/%s/cancel" % pid, None, False, 404, "PAYOUT_NOT_FOUND"),
                    ("GET", "/v2/sellers?startingAfter=" + sid, None, False, 400, "INVALID_PAGING_KEY"),
                    ("GET", "/v2/payouts?startingAfter=" + pid, None, False, 400, "INVALID_PAGING_KEY"),
                ]
                for method, path, payload, enc, status, code in cases:
                    r = s.call(method, path, keys, payload, encrypted=enc)
                    self.assertError(r, status, code, encrypted=enc)
                    self.assertNothingOf(r, target)
                # A token sealed with the target scope's security key does not open
                # for the caller, on every encrypted endpoint.
                for path, payload in (("/v2/sellers", corporate()), ("/v2/sellers/" + sid, {"metadata": None}),
                                      ("/v2/payouts", [scheduled(sid, date)])):
                    token = seal(t["keys"]["securityKey"], payload)
                    r = s.request("POST", path, keys["secretKey"], body=token,
                                  headers={"TossPayments-api-security-mode": "ENCRYPTION"},
                                  content_type="text/plain")
                    self.assertError(r, 400, "DECRYPTION_FAILED", encrypted=False)
                # Lists and balances: the caller's own only.
                self.check_own_view(caller)
        self.assertEqual(db_snapshot(s.db), before)
        # The targets are intact, seen by their owners.
        for scope in (("A", "test"), ("A", "live")):
            o = self.w["objs"][scope]
            got = self.assertEntity(s.call("GET", "/v2/sellers/" + o["seller"]["id"], o["keys"]), "seller")
            self.assertEqual(got, o["seller"])
            p = self.assertEntity(s.call("GET", "/v2/payouts/" + o["payout"]["id"], o["keys"]), "payout")
            self.assertEqual(p["status"], "REQUESTED")

    def check_own_view(self, scope):
        s = self.server
        keys = self.w["objs"][scope]["keys"]
        sellers, payouts = self.own(scope)
        for enc in (False, True):
            lst = self.assertEntity(s.call("GET", "/v2/sellers?limit=10000", keys, encrypted=enc), "seller-list")
            self.assertEqual([x["id"] for x in lst["items"]], sellers)
            lst = self.assertEntity(s.call("GET", "/v2/payouts?limit=10000", keys, encrypted=enc), "payout-list")
            self.assertEqual([x["id"] for x in lst["items"]], payouts)
            bal = self.assertEntity(s.call("GET", "/v2/balances", keys, encrypted=enc), "balance")
            self.assertEqual(bal["availableAmount"]["value"], float(self.w["balances"][scope]))
            self.assertEqual(bal["pendingAmount"]["value"], 0.0)

    def test_own_views(self):
        for scope in self.w["objs"]:
            with self.subTest(scope=scope):
                self.check_own_view(scope)

    def test_references_are_per_scope(self):
        # refSellerId / refPayoutId uniqueness is per merchant and environment:
        # another scope may use the same reference (it cannot even tell it is taken).
        s = self.server
        a_test = self.w["objs"][("A", "test")]
        r = a_test["seller"]["refSellerId"]
        b = s.create_merchant()
        for keys in (b["test"], b["live"]):
            got = self.assertEntity(s.call("POST", "/v2/sellers", keys, corporate(r)), "seller")
            self.assertEqual(got["refSellerId"], r)
            self.assertNotEqual(got["id"], a_test["seller"]["id"])
        # The owner still gets DUPLICATED_REQUEST.
        self.assertError(s.call("POST", "/v2/sellers", a_test["keys"], corporate(r)), 400, "DUPLICATED_REQUEST",
                         encrypted=True)

    def test_security_key_of_other_scope_on_bodyless_calls(self):
        # A GET in ENCRYPTION mode is sealed with the caller's key, never the target's.
        s = self.server
        keys = self.w["objs"][("B", "test")]["keys"]
        a = self.w["objs"][("A", "test")]["keys"]
        r = s.request("GET", "/v2/balances", keys["secretKey"], headers={"TossPayments-api-security-mode": "ENCRYPTION"})
        self.assertEqual(r.status, 200)
        open_token(keys["securityKey"], r.raw.decode())
        with self.assertRaises(Exception):
            open_token(a["securityKey"], r.raw.decode())


# ---- admin access ---------------------------------------------------------------------

ADMIN_PATHS = [("GET", "/admin/v1/traces"), ("GET", "/admin/v1/merchants/demo"),
               ("POST", "/admin/v1/merchants"), ("POST", "/admin/v1/scheduler/run"),
               ("GET", "/admin/v1/nosuch"), ("DELETE", "/admin/v1/merchants/x"), ("GET", "/admin/")]


class AdminDisabled(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(admin_token="").start()

    def test_every_admin_path_is_404_without_a_token(self):
        bodies = set()
        for method, path in ADMIN_PATHS:
            for auth in (None, "Bearer " + "x" * 40, "Basic eDo="):
                with self.subTest(method=method, path=path, auth=auth):
                    r = self.server.request(method, path, auth=auth, body="{}" if method == "POST" else None)
                    err = self.assertError(r, 404, "NOT_FOUND", encrypted=False)
                    bodies.add(err["message"])
        self.assertEqual(len(bodies), 1, bodies)  # nothing tells the paths apart
        # The v2 API works as usual.
        m = self.merchant()
        self.assertEntity(self.server.call("GET", "/v2/balances", m["test"]), "balance")


class AdminTokens(ServerTestCase):
    def test_right_and_wrong_tokens(self):
        s = self.server
        tok = s.admin_token
        ok = s.request("GET", "/admin/v1/traces", auth="Bearer " + tok)
        self.assertEqual(ok.status, 200, ok)
        # The scheme name is case-insensitive (RFC 9110).
        self.assertEqual(s.request("GET", "/admin/v1/traces", auth="bearer " + tok).status, 200)
        wrong = [None, "Bearer " + tok[:-1], "Bearer " + tok + "x", "Bearer " + tok.upper(), "Bearer ",
                 "Bearer", "Basic " + tok, tok, "Token " + tok, "Bearer x" + tok]
        for auth in wrong:
            for method, path in ADMIN_PATHS:
                with self.subTest(auth=auth, path=path):
                    r = s.request(method, path, auth=auth, body="{}" if method == "POST" else None)
                    self.assertError(r, 401, "INVALID_ADMIN_TOKEN", encrypted=False)
        # The v2 API does not take the admin token.
        self.assertError(s.request("GET", "/v2/balances", auth="Bearer " + tok), 401, "UNAUTHORIZED_KEY")


class AdminListener(ServerTestCase):
    server_args = ["--admin-listen", "127.0.0.1:0"]

    def test_admin_only_on_admin_port(self):
        s = self.server
        self.assertIsNotNone(s.admin_port)
        self.assertNotEqual(s.admin_port, s.port)
        m = self.merchant()
        hdr = "Bearer " + s.admin_token
        # The admin port serves the admin API ...
        view = s.request("GET", "/admin/v1/merchants/" + m["mid"], auth=hdr, base=s.admin_base)
        self.assertEqual(view.status, 200, view)
        self.assertEqual(view.json["mid"], m["mid"])
        self.assertEqual(s.request("GET", "/admin/v1/traces", auth="Bearer wrong-token-0123456789",
                                   base=s.admin_base).status, 401)
        # ... and not the v2 API, even with valid keys.
        for method, path in (("GET", "/v2/balances"), ("GET", "/v2/sellers"), ("POST", "/v2/payouts/x/cancel")):
            r = s.request(method, path, m["test"]["secretKey"], base=s.admin_base)
            self.assertError(r, 404, "NOT_FOUND", encrypted=False)
        # The API port serves the v2 API and no admin path, right token or not.
        self.assertEntity(s.call("GET", "/v2/balances", m["test"]), "balance")
        for method, path in ADMIN_PATHS:
            for auth in (hdr, None):
                r = s.request(method, path, auth=auth, body="{}" if method == "POST" else None)
                self.assertError(r, 404, "NOT_FOUND", encrypted=False)
        # Sandbox actions through the admin port take effect on the API.
        s.admin_ok("POST", "/merchants/%s/credits" % m["mid"], {"env": "test", "amount": 1000})
        bal = self.assertEntity(s.call("GET", "/v2/balances", m["test"]), "balance")
        self.assertEqual(bal["availableAmount"]["value"], 100001000.0)


# ---- trace store -----------------------------------------------------------------------

TRACE_FIELDS = {"traceId", "at", "method", "route", "client", "merchant", "env", "status", "code",
                "diagnosis", "replayOf", "bytesIn", "bytesOut", "latencyMicros"}


class Traces(ServerTestCase):
    def trace(self, trace_id):
        r = self.server.trace(trace_id)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), TRACE_FIELDS)
        self.assertEqual(r.json["traceId"], trace_id)
        self.assertEqual(r.json["client"], "127.0.0.1")
        self.assertIsInstance(r.json["latencyMicros"], int)
        self.assertGreaterEqual(r.json["latencyMicros"], 0)
        self.assertLess(r.json["latencyMicros"], 30 * 10 ** 6)
        return r.json

    def check(self, resp, method, route, code=None, merchant=None, env=None, bytes_in=0):
        trace_id = resp.headers.get("X-TossPayments-Trace-Id")
        self.assertRegex(trace_id or "", TRACE_RE)
        t = self.trace(trace_id)
        self.assertEqual(t["method"], method)
        self.assertEqual(t["route"], route)
        self.assertEqual(t["status"], resp.status)
        self.assertEqual(t["code"], code)
        self.assertEqual(t["merchant"], merchant)
        self.assertEqual(t["env"], env)
        self.assertEqual(t["bytesIn"], bytes_in)
        self.assertEqual(t["bytesOut"], len(resp.raw))
        return t

    def test_every_response_has_a_trace(self):
        s = self.server
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        s.set_clock(mid, PINNED_NOW)
        marker = ref("trace-")
        body = corporate(marker[:20])

        r = s.call("GET", "/v2/balances", keys)
        self.check(r, "GET", "GET /v2/balances", None, mid, "test")
        r = s.call("GET", "/v2/balances", m["live"], encrypted=True)
        self.check(r, "GET", "GET /v2/balances", None, mid, "live")

        token = seal(keys["securityKey"], body)
        r = s.call("POST", "/v2/sellers", keys, token=token, headers={"Idempotency-Key": marker})
        self.assertEntity(r, "seller", encrypted=True)
        first = self.check(r, "POST", "POST /v2/sellers", None, mid, "test", len(token))
        self.assertIsNone(first["replayOf"])
        self.assertIsNone(first["diagnosis"])
        # An idempotent replay answers with the first traceId (body and header,
        # docs/DECISIONS.md "Idempotency"), so that id looks up the first
        # request; the replay has an entry of its own pointing at it.
        token2 = seal(keys["securityKey"], body)
        r2 = s.call("POST", "/v2/sellers", keys, token=token2, headers={"Idempotency-Key": marker})
        self.assertEqual(r2.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(r2.json["traceId"], r.json["traceId"])
        self.assertEqual(r2.headers.get("X-TossPayments-Trace-Id"), r.json["traceId"])
        self.assertEqual(self.trace(r.json["traceId"]), first)
        replays = [t for t in s.admin_ok("GET", "/traces?limit=500")["items"] if t["replayOf"]]
        self.assertEqual(len(replays), 1, replays)
        replay = replays[0]
        self.assertEqual(replay["replayOf"], r.json["traceId"])
        self.assertNotEqual(replay["traceId"], r.json["traceId"])
        self.assertEqual(self.trace(replay["traceId"]), replay)
        self.assertEqual((replay["method"], replay["route"], replay["status"], replay["code"], replay["merchant"],
                          replay["env"], replay["bytesIn"], replay["bytesOut"]),
                         ("POST", "POST /v2/sellers", 200, None, mid, "test", len(token2), len(r2.raw)))

        # DECRYPTION_FAILED carries its diagnosis.
        wrong = seal(m["live"]["securityKey"], body)
        r = s.request("POST", "/v2/sellers", keys["secretKey"], body=wrong, content_type="text/plain",
                      headers={"TossPayments-api-security-mode": "ENCRYPTION"})
        err = self.assertError(r, 400, "DECRYPTION_FAILED")
        t = self.check(r, "POST", "POST /v2/sellers", "DECRYPTION_FAILED", mid, "test", len(wrong))
        self.assertIn("this merchant's live security key", t["diagnosis"])
        self.assertIn(t["diagnosis"], err["message"])

        # Refusals before authentication: no merchant, no environment.
        r = s.request("GET", "/v2/balances", "test_sk_" + "x" * 28)
        self.assertError(r, 401, "UNAUTHORIZED_KEY")
        self.check(r, "GET", "GET /v2/balances", "UNAUTHORIZED_KEY")
        r = s.request("GET", "/v2/nosuch", keys["secretKey"])
        self.assertError(r, 404, "NOT_FOUND")
        t = self.check(r, "GET", "-", "NOT_FOUND")
        r = s.call("GET", "/v2/payouts/FPA_" + "0" * 26, keys)
        self.check(r, "GET", "GET /v2/payouts/{id}", "PAYOUT_NOT_FOUND", mid, "test")
        # Sealed errors are traced with their code.
        bad = corporate()
        bad["account"]["bankCode"] = "999"
        bad_token = seal(keys["securityKey"], bad)
        r = s.call("POST", "/v2/sellers", keys, token=bad_token)
        self.assertError(r, 400, "INVALID_BANK", encrypted=True)
        t = self.check(r, "POST", "POST /v2/sellers", "INVALID_BANK", mid, "test", len(bad_token))
        self.assertIsNone(t["diagnosis"])
        # Admin calls are traced too.
        r = s.admin("GET", "/merchants/" + mid)
        self.check(r, "GET", "GET /admin/v1/merchants/{mid}")

        # Nothing in the store is a body or a key.
        dump = s.admin("GET", "/traces?limit=500")
        self.assertEqual(dump.status, 200)
        text = dump.raw.decode()
        for needle in (marker[:20], "격리 상호", "1234567890", token.split(".")[3][:40], wrong.split(".")[3][:40],
                       keys["secretKey"], keys["securityKey"], m["live"]["securityKey"]):
            self.assertNotIn(needle, text)

    def test_unknown_trace(self):
        for tid in ("0" * 32, "f" * 32, "abc", "Z" * 32):
            r = self.server.admin("GET", "/traces/" + tid)
            self.assertError(r, 404, "NOT_FOUND", encrypted=False)
        r = self.server.admin("GET", "/traces?limit=0")
        self.assertError(r, 400, "INVALID_REQUEST")
        r = self.server.admin("GET", "/traces?limit=501")
        self.assertError(r, 400, "INVALID_REQUEST")


class TraceStoreBound(ServerTestCase):
    server_args = ["--trace-store", "16"]

    def test_keeps_only_the_last_16(self):
        s = self.server
        m = self.merchant()
        ids = []
        for _ in range(20):
            r = s.call("GET", "/v2/balances", m["test"])
            self.assertEqual(r.status, 200)
            ids.append(r.json["traceId"])
        # Entries are written as connections complete: wait for the last one
        # (each lookup is itself an entry and pushes an old one out).
        self.assertEqual(s.trace(ids[-1]).status, 200)
        items = s.admin_ok("GET", "/traces?limit=500")["items"]
        self.assertEqual(len(items), 16)
        listed = [t["traceId"] for t in items]
        admin = [t["traceId"] for t in items if t["route"].startswith("GET /admin/")]
        self.assertEqual(set(listed) - set(admin), set(listed) & set(ids))
        self.assertIn(ids[-1], listed)
        self.assertTrue(set(ids[8:19]) <= set(listed), "a recent entry is missing")
        for old in ids[:3]:
            self.assertNotIn(old, listed)
            self.assertEqual(s.admin("GET", "/traces/" + old).status, 404)

    def test_option_range(self):
        for bad in ("15", "0", "-1", "x"):
            srv = Server(extra_args=["--trace-store", bad])
            try:
                with self.assertRaises(RuntimeError):
                    srv.start()
                srv.stop(check=False)
                self.assertIn("--trace-store must be 16..", srv.read_log())
            finally:
                srv.cleanup()


if __name__ == "__main__":
    main()
