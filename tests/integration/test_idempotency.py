"""Idempotency-Key (spec §7, §8.12; docs/DECISIONS.md "Idempotency"): the same
key with the same API key, URL and method replays the first outcome — same
status, same plaintext envelope with the first traceId, sealed afresh in
ENCRYPTION mode — without running the request again; the retry's body is
not compared; refusals are replayed too; other scopes run independently;
bad keys are refused; a retry while the first is running gets 409."""
import base64
import http.client
import json
import sqlite3
import threading
import time
import uuid

from payoutd_harness import (PINNED_NOW, PINNED_SCHEDULED, TRACE_RE, ServerTestCase, db_connect, db_snapshot,
                             main, open_token, seal)


def corp(ref):
    return {"refSellerId": ref, "businessType": "CORPORATE",
            "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                        "email": "corp@example.com", "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"}}


def person(ref):
    return {"refSellerId": ref, "businessType": "INDIVIDUAL",
            "individual": {"name": "김토스", "email": "seller@example.com", "phone": "01000000000"},
            "account": {"bankCode": "088", "accountNumber": "11122233344", "holderName": "김토스"}}


def item(ref, dest, value=1000, kind="SCHEDULED"):
    it = {"refPayoutId": ref, "destination": dest, "scheduleType": kind,
          "amount": {"currency": "KRW", "value": value}, "transactionDescription": "정산"}
    if kind == "SCHEDULED":
        it["payoutDate"] = PINNED_SCHEDULED
    return it


def idem(key):
    return {"Idempotency-Key": key}


def raw_header(text):
    """A header value whose UTF-8 bytes go on the wire unchanged (http.client
    encodes header strings as Latin-1)."""
    return text.encode("utf-8").decode("latin-1")


class Idempotency(ServerTestCase):
    def setUp(self):
        self.m = self.merchant(test_balance=100000)
        self.keys = self.m["test"]
        self.mid = self.m["mid"]
        self.server.set_clock(self.mid, PINNED_NOW)
        self.seller = self.assertEntity(self.server.call("POST", "/v2/sellers", self.keys, corp("idem-corp")),
                                        "seller")["id"]

    # ---- helpers ------------------------------------------------------------

    def post(self, path, payload, key, keys=None, **kw):
        headers = dict(kw.pop("headers", {}))
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.server.call("POST", path, keys or self.keys, payload, headers=headers, **kw)

    def pay(self, items, key, keys=None):
        return self.post("/v2/payouts", items, key, keys=keys)

    def plaintext(self, resp, keys=None):
        if resp.content_type.startswith("text/plain"):
            return open_token((keys or self.keys)["securityKey"], resp.raw.decode("ascii"))[1]
        return resp.raw

    def count(self, table, env=0):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM %s t JOIN merchants m ON m.id = t.merchant_id "
                               "WHERE m.mid = ? AND t.env = ?" % table, (self.mid, env)).fetchone()[0]
        finally:
            con.close()

    def available(self, keys=None):
        b = self.assertEntity(self.server.call("GET", "/v2/balances", keys or self.keys), "balance")
        return b["availableAmount"]["value"]

    def assertReplay(self, first, again, keys=None):
        """again is a replay of first: same status and plaintext, trace id
        header of the first, Idempotent-Replayed, a fresh seal."""
        self.assertEqual(again.status, first.status, again)
        self.assertEqual(self.plaintext(again, keys), self.plaintext(first, keys))
        self.assertEqual(again.json, first.json)
        self.assertEqual(again.headers.get("X-TossPayments-Trace-Id"), first.json["traceId"])
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertIsNone(first.headers.get("Idempotent-Replayed"))
        self.assertEqual(again.content_type.split(";")[0], first.content_type.split(";")[0])
        if first.content_type.startswith("text/plain"):
            self.assertNotEqual(again.raw, first.raw)  # fresh IV and nonce
            self.assertNotEqual(again.jwe_header["nonce"], first.jwe_header["nonce"])
            self.assertNotEqual(again.raw.split(b".")[2], first.raw.split(b".")[2])

    def assertFresh(self, first, again):
        self.assertNotEqual(again.json["traceId"], first.json["traceId"])
        self.assertIsNone(again.headers.get("Idempotent-Replayed"))

    # ---- replay -------------------------------------------------------------

    def test_replay_of_a_payout_request(self):
        key = str(uuid.uuid4())
        first = self.pay([item("r-1", self.seller, 5000)], key)
        self.assertEntity(first, "payout-list", encrypted=True)
        self.assertEqual(self.available(), 95000)
        before = db_snapshot(self.server.db)
        again = self.pay([item("r-1", self.seller, 5000)], key)
        self.assertReplay(first, again)
        self.assertEntity(again, "payout-list", encrypted=True)
        self.assertRegex(again.json["traceId"], TRACE_RE)
        self.assertEqual(db_snapshot(self.server.db), before, "the replay executed the request again")
        self.assertEqual(self.count("payouts"), 1)
        self.assertEqual(self.available(), 95000)

    def test_retry_body_is_not_compared(self):
        key = str(uuid.uuid4())
        first = self.pay([item("b-1", self.seller, 5000)], key)
        self.assertEntity(first, "payout-list")
        before = db_snapshot(self.server.db)
        for other in ([item("b-2", self.seller, 7000)],
                      [item("b-3", self.seller, 1000), item("b-4", self.seller, 1000)],
                      [item("b-5", "seller_" + "0" * 26)]):
            with self.subTest(body=other):
                again = self.pay(other, key)
                self.assertReplay(first, again)
                self.assertEqual([p["refPayoutId"] for p in again.json["entityBody"]["items"]], ["b-1"])
        self.assertEqual(db_snapshot(self.server.db), before)
        self.assertEqual(self.count("payouts"), 1)
        self.assertEqual(self.available(), 95000)

    def test_refusal_replayed_even_after_the_cause_is_fixed(self):
        m = self.merchant(test_balance=1000)
        keys = m["test"]
        self.server.set_clock(m["mid"], PINNED_NOW)
        seller = self.assertEntity(self.server.call("POST", "/v2/sellers", keys, corp("poor")), "seller")["id"]
        key = str(uuid.uuid4())
        first = self.pay([item("poor-1", seller, 5000)], key, keys=keys)
        self.assertError(first, 400, "NOT_ENOUGH_AMOUNT", encrypted=True)
        self.server.admin_ok("POST", "/merchants/%s/credits" % m["mid"], {"amount": 10000})
        again = self.pay([item("poor-1", seller, 5000)], key, keys=keys)
        self.assertReplay(first, again, keys)
        self.assertError(again, 400, "NOT_ENOUGH_AMOUNT", encrypted=True)
        self.assertEqual(self.available(keys), 11000)
        # a new key runs the request
        done = self.pay([item("poor-1", seller, 5000)], str(uuid.uuid4()), keys=keys)
        self.assertEntity(done, "payout-list", encrypted=True)
        self.assertEqual(self.available(keys), 6000)

    def test_forbidden_seller_payout_replayed(self):
        p = self.assertEntity(self.server.call("POST", "/v2/sellers", self.keys, person("idem-p")), "seller")["id"]
        key = str(uuid.uuid4())
        first = self.pay([item("f-1", p, 1000)], key)
        self.assertError(first, 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)
        r = self.server.admin("POST", "/merchants/%s/sellers/%s/verify-identity" % (self.mid, p), {"env": "test"})
        self.assertEqual(r.status, 200, r)
        again = self.pay([item("f-1", p, 1000)], key)
        self.assertReplay(first, again)
        self.assertError(again, 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)
        self.assertEqual(self.count("payouts"), 0)
        self.assertEntity(self.pay([item("f-1", p, 1000)], str(uuid.uuid4())), "payout-list")

    def test_validation_refusal_replayed(self):
        key = str(uuid.uuid4())
        first = self.pay([item("v-1", self.seller, 0)], key)
        self.assertError(first, 400, "INVALID_REQUEST", encrypted=True)
        again = self.pay([item("v-1", self.seller, 1000)], key)
        self.assertReplay(first, again)
        self.assertEqual(self.count("payouts"), 0)

    # ---- scope ----------------------------------------------------------------

    def test_scope_is_key_api_key_url_and_method(self):
        key = str(uuid.uuid4())
        seller = self.post("/v2/sellers", corp("scope-1"), key)
        self.assertEntity(seller, "seller")
        # another URL with the same key runs
        payout = self.pay([item("s-1", self.seller)], key)
        self.assertEntity(payout, "payout-list")
        self.assertFresh(seller, payout)
        # the same URL replays, whatever the body
        again = self.post("/v2/sellers", corp("scope-2"), key)
        self.assertReplay(seller, again)
        self.assertEqual(self.count("sellers"), 2)  # idem-corp and scope-1
        # the merchant's live secret key is another scope
        live = self.post("/v2/sellers", corp("scope-1"), key, keys=self.m["live"])
        self.assertEntity(live, "seller")
        self.assertFresh(seller, live)
        self.assertNotEqual(live.json["entityBody"]["id"], seller.json["entityBody"]["id"])
        self.assertEqual(self.count("sellers", env=1), 1)
        # so is another merchant's
        other = self.merchant()["test"]
        theirs = self.post("/v2/sellers", corp("scope-1"), key, keys=other)
        self.assertEntity(theirs, "seller")
        self.assertFresh(seller, theirs)
        # a different key runs
        fresh = self.post("/v2/sellers", corp("scope-3"), str(uuid.uuid4()))
        self.assertEntity(fresh, "seller")
        self.assertEqual(self.count("sellers"), 3)
        # the seller-update URL of each seller is its own scope too
        u1 = self.post("/v2/sellers/" + seller.json["entityBody"]["id"], {"metadata": {"k": "1"}}, key)
        u2 = self.post("/v2/sellers/" + fresh.json["entityBody"]["id"], {"metadata": {"k": "2"}}, key)
        self.assertEqual(self.assertEntity(u1, "seller")["metadata"], {"k": "1"})
        self.assertEqual(self.assertEntity(u2, "seller")["metadata"], {"k": "2"})
        self.assertFresh(u1, u2)

    def test_cancel_replays_and_cancel_urls_are_separate_scopes(self):
        r = self.pay([item("c-1", self.seller, 1000), item("c-2", self.seller, 2000)], None)
        a, b = [p["id"] for p in self.assertEntity(r, "payout-list")["items"]]
        key = str(uuid.uuid4())
        first = self.server.call("POST", "/v2/payouts/%s/cancel" % a, self.keys, headers=idem(key))
        self.assertEqual(self.assertEntity(first, "payout", encrypted=False)["status"], "CANCELED")
        before = db_snapshot(self.server.db)
        again = self.server.call("POST", "/v2/payouts/%s/cancel" % a, self.keys, headers=idem(key))
        self.assertReplay(first, again)
        self.assertEqual(again.json["entityBody"]["status"], "CANCELED")
        # the same retry in ENCRYPTION mode: the stored plaintext, sealed
        sealed = self.server.call("POST", "/v2/payouts/%s/cancel" % a, self.keys, headers=idem(key), encrypted=True)
        self.assertEqual(sealed.status, 200)
        self.assertTrue(sealed.content_type.startswith("text/plain"), sealed.content_type)
        self.assertEqual(self.plaintext(sealed), first.raw)
        self.assertEqual(sealed.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(db_snapshot(self.server.db), before)
        # without the key the request runs, and is refused
        self.assertError(self.server.call("POST", "/v2/payouts/%s/cancel" % a, self.keys), 400,
                         "NOT_CANCELABLE_PAYOUT")
        # the same key on the other payout's URL runs
        other = self.server.call("POST", "/v2/payouts/%s/cancel" % b, self.keys, headers=idem(key))
        self.assertEqual(self.assertEntity(other, "payout")["id"], b)
        self.assertFresh(first, other)
        self.assertEqual(self.available(), 100000)

    def test_refused_cancel_replayed(self):
        r = self.pay([item("rc-1", self.seller, 1000, kind="EXPRESS")], None)
        pid = self.assertEntity(r, "payout-list")["items"][0]["id"]
        key = str(uuid.uuid4())
        first = self.server.call("POST", "/v2/payouts/%s/cancel" % pid, self.keys, headers=idem(key), encrypted=True)
        self.assertError(first, 400, "NOT_CANCELABLE_PAYOUT", encrypted=True)
        again = self.server.call("POST", "/v2/payouts/%s/cancel" % pid, self.keys, headers=idem(key), encrypted=True)
        self.assertReplay(first, again)

    def test_seller_update_replays(self):
        key = str(uuid.uuid4())
        path = "/v2/sellers/" + self.seller
        first = self.post(path, {"company": {"email": "first@example.com"}}, key)
        self.assertEqual(self.assertEntity(first, "seller")["company"]["email"], "first@example.com")
        again = self.post(path, {"company": {"email": "second@example.com"}}, key)
        self.assertReplay(first, again)
        got = self.assertEntity(self.server.call("GET", path, self.keys), "seller")
        self.assertEqual(got["company"]["email"], "first@example.com")

    # ---- key rules ---------------------------------------------------------------

    def test_key_length_and_characters(self):
        ok_keys = ["k" * 300, "가" * 300, "a", "a b-c_d.e:f/g"]
        for n, key in enumerate(ok_keys):
            with self.subTest(key=key[:10], length=len(key)):
                first = self.pay([item("len-%d" % n, self.seller)], raw_header(key))
                self.assertEntity(first, "payout-list", encrypted=True)
                again = self.pay([item("len-x%d" % n, self.seller)], raw_header(key))
                self.assertReplay(first, again)
        self.assertEqual(self.count("payouts"), len(ok_keys))
        for key in ("k" * 301, "가" * 301, "", "a\tb", "k" * 1000):
            with self.subTest(key=key[:10], length=len(key)):
                before = db_snapshot(self.server.db)
                r = self.pay([item("bad-key", self.seller)], raw_header(key))
                self.assertError(r, 400, "INVALID_IDEMPOTENCY_KEY", encrypted=True)
                self.assertEqual(db_snapshot(self.server.db), before, "a request with a bad key was executed")
                # nothing was stored under it either: a valid request runs
        self.assertEntity(self.pay([item("bad-key", self.seller)], str(uuid.uuid4())), "payout-list")

    def test_errors_before_the_key_is_looked_at_are_not_stored(self):
        """docs/DECISIONS.md: auth, decryption and malformed-JSON errors are
        not outcomes of the key; the corrected retry with the same key runs."""
        body = [item("pre-1", self.seller, 1200)]
        key = str(uuid.uuid4())
        wrong = dict(self.keys, securityKey="ab" * 32)
        r = self.server.call("POST", "/v2/payouts", self.keys, token=seal(wrong["securityKey"], body),
                             headers=idem(key))
        self.assertError(r, 400, "DECRYPTION_FAILED", encrypted=False)
        r = self.server.call("POST", "/v2/payouts", self.keys, token=seal(self.keys["securityKey"], "[{"),
                             headers=idem(key))
        self.assertError(r, 400, "INVALID_REQUEST", encrypted=True)
        sk = self.keys["secretKey"]
        wrong_sk = sk[:-1] + ("y" if sk.endswith("x") else "x")  # surely another key
        r = self.server.request("POST", "/v2/payouts", wrong_sk,
                                body=seal(self.keys["securityKey"], body), content_type="text/plain",
                                headers={"TossPayments-api-security-mode": "ENCRYPTION", "Idempotency-Key": key})
        self.assertError(r, 401, "UNAUTHORIZED_KEY", encrypted=False)
        self.assertEqual(self.count("payouts"), 0)
        first = self.pay(body, key)
        self.assertEntity(first, "payout-list", encrypted=True)
        self.assertIsNone(first.headers.get("Idempotent-Replayed"))
        self.assertReplay(first, self.pay(body, key))
        self.assertEqual(self.count("payouts"), 1)

    def test_two_key_headers_refused(self):
        """Which of two keys counts is ambiguous: the request is refused unexecuted."""
        tok = seal(self.keys["securityKey"], [item("two-keys", self.seller)])
        before = db_snapshot(self.server.db)
        con = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            con.putrequest("POST", "/v2/payouts")
            con.putheader("Authorization", "Basic " + base64.b64encode((self.keys["secretKey"] + ":").encode()).decode())
            con.putheader("TossPayments-api-security-mode", "ENCRYPTION")
            con.putheader("Content-Type", "text/plain")
            con.putheader("Idempotency-Key", "first-key")
            con.putheader("Idempotency-Key", "second-key")
            con.putheader("Content-Length", str(len(tok)))
            con.endheaders(tok.encode())
            resp = con.getresponse()
            status, raw = resp.status, resp.read()
        finally:
            con.close()
        self.assertEqual(status, 400, raw)
        self.assertEqual(json.loads(raw)["error"]["code"], "INVALID_REQUEST")
        self.assertEqual(db_snapshot(self.server.db), before)
        # the first key was not used: the request runs with it now
        r = self.pay([item("two-keys", self.seller)], "first-key")
        self.assertEntity(r, "payout-list")
        self.assertIsNone(r.headers.get("Idempotent-Replayed"))

    def test_bad_key_on_cancel_and_update(self):
        r = self.pay([item("bk-1", self.seller)], None)
        pid = self.assertEntity(r, "payout-list")["items"][0]["id"]
        before = db_snapshot(self.server.db)
        r = self.server.call("POST", "/v2/payouts/%s/cancel" % pid, self.keys, headers=idem("k" * 301))
        self.assertError(r, 400, "INVALID_IDEMPOTENCY_KEY", encrypted=False)
        r = self.post("/v2/sellers/" + self.seller, {"metadata": {"k": "v"}}, "")
        self.assertError(r, 400, "INVALID_IDEMPOTENCY_KEY", encrypted=True)
        self.assertEqual(db_snapshot(self.server.db), before)

    def test_get_and_delete_with_a_key_simply_run(self):
        key = str(uuid.uuid4())
        first = self.server.call("GET", "/v2/balances", self.keys, headers=idem(key))
        self.assertEqual(self.assertEntity(first, "balance")["availableAmount"]["value"], 100000)
        self.assertEntity(self.pay([item("g-1", self.seller, 3000)], None), "payout-list")
        again = self.server.call("GET", "/v2/balances", self.keys, headers=idem(key))
        self.assertEqual(self.assertEntity(again, "balance")["availableAmount"]["value"], 97000)
        self.assertFresh(first, again)
        lst = self.server.call("GET", "/v2/payouts", self.keys, headers=idem(key))
        self.assertEqual(len(self.assertEntity(lst, "payout-list")["items"]), 1)
        self.assertFresh(first, lst)
        # an overlong key on a GET is not looked at
        self.assertEntity(self.server.call("GET", "/v2/balances", self.keys, headers=idem("k" * 301)), "balance")
        # DELETE is idempotent by nature: the second one runs and finds nothing
        s = self.assertEntity(self.server.call("POST", "/v2/sellers", self.keys, corp("g-del")), "seller")["id"]
        d1 = self.server.call("DELETE", "/v2/sellers/" + s, self.keys, headers=idem(key))
        self.assertEntity(d1, "deleted-entity")
        d2 = self.server.call("DELETE", "/v2/sellers/" + s, self.keys, headers=idem(key))
        self.assertError(d2, 404, "NOT_FOUND")
        self.assertIsNone(d2.headers.get("Idempotent-Replayed"))

    # ---- durability and lifetime ------------------------------------------------------

    def test_replay_survives_restart(self):
        key = str(uuid.uuid4())
        first = self.pay([item("rs-1", self.seller, 4000)], key)
        self.assertEntity(first, "payout-list")
        refused = self.pay([item("rs-2", self.seller, 10 ** 6)], key + "-x")
        self.assertError(refused, 400, "NOT_ENOUGH_AMOUNT")
        self.server.restart()
        self.assertReplay(first, self.pay([item("rs-1", self.seller, 4000)], key))
        self.assertReplay(refused, self.pay([item("rs-2", self.seller, 1)], key + "-x"))
        self.assertEqual(self.count("payouts"), 1)
        self.assertEqual(self.available(), 96000)

    def test_key_valid_for_15_days(self):
        key = str(uuid.uuid4())
        first = self.post("/v2/sellers", corp("life-1"), key)
        self.assertEntity(first, "seller")
        self.server.advance_clock(self.mid, 14 * 86400)
        self.assertReplay(first, self.post("/v2/sellers", corp("life-2"), key))
        self.assertEqual(self.count("sellers"), 2)
        self.server.advance_clock(self.mid, 2 * 86400)
        later = self.post("/v2/sellers", corp("life-2"), key)
        self.assertEqual(self.assertEntity(later, "seller")["refSellerId"], "life-2")
        self.assertFresh(first, later)
        self.assertEqual(self.count("sellers"), 3)
        # the new outcome is the one replayed from now on
        self.assertReplay(later, self.post("/v2/sellers", corp("life-3"), key))

    # ---- concurrency ------------------------------------------------------------------

    def test_retry_while_the_first_runs_gets_409(self):
        key = str(uuid.uuid4())
        body = [item("busy-1", self.seller, 2500)]
        results = {}

        def first():
            results["first"] = self.pay(body, key)

        con = sqlite3.connect(self.server.db, timeout=10, isolation_level=None)
        thread = threading.Thread(target=first)
        try:
            con.execute("BEGIN EXCLUSIVE")  # payoutd's writer now waits (up to 5 s) for the lock
            thread.start()
            time.sleep(1.0)  # the first request is now waiting for the write lock
            second = self.pay(body, key)
            self.assertNotIn("first", results, "the first request was not blocked")
            self.assertError(second, 409, "IDEMPOTENT_REQUEST_PROCESSING", encrypted=True)
            self.assertIsNone(second.headers.get("Idempotent-Replayed"))
        finally:
            if con.in_transaction:
                con.execute("COMMIT")
            con.close()
            thread.join(30)
        first_r = results["first"]
        self.assertEntity(first_r, "payout-list", encrypted=True)
        third = self.pay(body, key)
        self.assertReplay(first_r, third)
        self.assertEqual(self.count("payouts"), 1)
        self.assertEqual(self.available(), 97500)

    def test_storage_failure_is_not_stored(self):
        """A request that could not run (503, nothing decided) is not an
        outcome: the retry with the same key runs it."""
        key = str(uuid.uuid4())
        body = [item("locked-1", self.seller, 1500)]
        con = sqlite3.connect(self.server.db, timeout=10, isolation_level=None)
        try:
            con.execute("BEGIN EXCLUSIVE")
            r = self.pay(body, key)  # payoutd's writer gives up after 5 s
        finally:
            if con.in_transaction:
                con.execute("COMMIT")
            con.close()
        self.assertError(r, 503, "STORAGE_UNAVAILABLE")
        self.assertEqual(self.count("payouts"), 0)
        again = self.pay(body, key)
        self.assertEntity(again, "payout-list", encrypted=True)
        self.assertIsNone(again.headers.get("Idempotent-Replayed"))
        self.assertEqual(self.count("payouts"), 1)
        self.assertReplay(again, self.pay(body, key))


if __name__ == "__main__":
    main()
