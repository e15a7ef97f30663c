"""libpayout's client against a real payoutd (STYLE habit 12: only the public
API): tests/tools/client_e2e drives every v2 endpoint through the typed
calls of include/payout/client.h and prints one JSON line per call; these
tests start payoutd, make a merchant, pin its sandbox clock, and check the
lines and the database.

Covered: sellers create/get/list (cursor paging)/update (contact, account,
metadata replace and removal)/delete; payouts request (a batch)/get/list
(date filters, paging)/cancel; balances; error envelopes read into pay_call
whether they come plain or sealed (code, message, trace id, status; 401 and
403 as AUTH_ERROR, a business 403 as API_ERROR, case C23/C24); sealed reads
(encrypt_reads) with the same results; retries that replay one
Idempotency-Key while payoutd's writer is blocked (spec §7, case C18), 4xx
never retried, a caller's key used as given."""
import json
import os
import re
import sqlite3
import subprocess
import time
import uuid

from payoutd_harness import (PINNED_NOW, PINNED_SCHEDULED, PINNED_TODAY, TRACE_RE, ServerTestCase, db_connect,
                             main)

BUILD_DIR = os.environ.get("PAY_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
TOOL = os.path.join(BUILD_DIR, "client_e2e")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
LATER_SCHEDULED = "2026-12-23"  # a Wednesday, a week after PINNED_SCHEDULED


class ClientE2E(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]
        self.mid = self.m["mid"]
        self.server.set_clock(self.mid, PINNED_NOW)

    # ---- running the tool -------------------------------------------------------

    def start(self, *args, keys=None, opts=()):
        keys = keys if keys is not None else self.keys
        env = dict(os.environ)
        env["PAY_E2E_SECRET_KEY"] = keys.get("secretKey", "")
        env["PAY_E2E_SECURITY_KEY"] = keys.get("securityKey", "")
        argv = [TOOL, "--base", self.server.base] + list(opts) + [str(a) for a in args]
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def finish(self, proc, timeout=120):
        out, err = proc.communicate(timeout=timeout)
        # The tool holds both keys; neither may reach its output.
        self.server.check_no_leak("client_e2e's stdout", out)
        self.server.check_no_leak("client_e2e's stderr", err)
        self.assertIn(proc.returncode, (0, 1), err.decode("utf-8", "replace"))
        lines = [json.loads(line) for line in out.decode("utf-8").splitlines()]
        self.assertTrue(lines, err.decode("utf-8", "replace"))
        for line in lines:
            if line["http"]:
                self.assertRegex(line["trace"], TRACE_RE, line)
        return lines

    def run_tool(self, *args, **kw):
        """All lines of one run (list operations with --all print one per page)."""
        return self.finish(self.start(*args, keys=kw.get("keys"), opts=kw.get("opts", ())))

    def one(self, *args, **kw):
        lines = self.run_tool(*args, **kw)
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def ok(self, *args, **kw):
        line = self.one(*args, **kw)
        self.assertEqual((line["rc"], line["outcome"], line["http"]), ("PAY_OK", "OK", 200), line)
        self.assertEqual(line["code"], "")
        return line

    def error(self, line, status, code, outcome="API_ERROR", rc="PAY_ERR_API"):
        self.assertEqual((line["rc"], line["outcome"], line["http"], line["code"]), (rc, outcome, status, code), line)
        self.assertTrue(line["message"], line)
        self.assertIsNone(line["result"], line)
        return line

    # ---- fixtures through the client -----------------------------------------------

    def seller(self, ref, kind="CORPORATE", *meta):
        args = ["sellers-create", ref, kind]
        for kv in meta:
            args += ["--meta", kv]
        return self.ok(*args)["result"]

    def count(self, table):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM %s t JOIN merchants m ON m.id = t.merchant_id "
                               "WHERE m.mid = ? AND t.env = 0" % table, (self.mid,)).fetchone()[0]
        finally:
            con.close()

    def available(self):
        return self.ok("balances")["result"]["available"]

    def traces(self, route, at_least=0):
        """This merchant's requests on route in the trace store, oldest first.
        An entry is written when its connection completes, so this waits (up
        to 5 s) for at_least of them."""
        deadline = time.time() + 5
        while True:
            items = self.server.admin_ok("GET", "/traces?limit=200")["items"]
            mine = sorted((t for t in items if t["merchant"] == self.mid and t["route"] == route),
                          key=lambda t: t["at"])
            if len(mine) >= at_least or time.time() > deadline:
                return mine
            time.sleep(0.05)

    # ---- sellers -----------------------------------------------------------------------

    def test_sellers_create_get_update_delete(self):
        line = self.ok("sellers-create", "e2e-corp", "CORPORATE", "--meta", "team=payments", "--meta", "tier=gold")
        self.assertTrue(line["sealed"], "a sealed POST gets a sealed answer (spec §3.6)")
        self.assertRegex(line["idem"], UUID_RE, "a POST always carries a generated Idempotency-Key")
        self.assertEqual(line["attempts"], 1)
        self.assertFalse(line["replayed"])
        created = line["result"]
        self.assertRegex(created["id"], r"^seller_[0-9a-z]{26}$")
        self.assertEqual(created["refSellerId"], "e2e-corp")
        self.assertEqual(created["businessType"], "CORPORATE")
        self.assertEqual(created["status"], "PARTIALLY_APPROVED")
        self.assertEqual(created["company"]["name"], "상호")
        self.assertEqual(created["company"]["businessRegistrationNumber"], "1234567890")
        self.assertIsNone(created["individual"])
        self.assertEqual(created["account"]["bankCode"], "092")
        self.assertNotEqual(created["account"]["accountNumber"], "12345678901", "masked in answers")
        self.assertIn("*", created["account"]["accountNumber"])
        self.assertEqual(created["metadata"], {"team": "payments", "tier": "gold"})

        got = self.ok("sellers-get", created["id"])
        self.assertFalse(got["sealed"])
        self.assertEqual(got["idem"], "", "no Idempotency-Key on a GET")
        self.assertEqual(got["result"], created)

        person = self.ok("sellers-create", "e2e-person", "INDIVIDUAL")["result"]
        self.assertEqual(person["status"], "APPROVAL_REQUIRED")
        self.assertEqual(person["individual"]["name"], "김토스")
        self.assertIsNone(person["company"])

        # contact and account changes (nested partial update, spec §10 #16)
        upd = self.ok("sellers-update", created["id"], "--email", "new@example.com", "--phone", "0298765432")
        self.assertTrue(upd["sealed"])
        self.assertEqual(upd["result"]["company"]["email"], "new@example.com")
        self.assertEqual(upd["result"]["company"]["phone"], "0298765432")
        self.assertEqual(upd["result"]["company"]["name"], "상호", "fields not sent stay")
        self.assertEqual(upd["result"]["metadata"], created["metadata"])
        upd = self.ok("sellers-update", person["id"], "--individual", "--email", "p@example.com",
                      "--account", "004:99988877766:김토스")
        self.assertEqual(upd["result"]["individual"]["email"], "p@example.com")
        self.assertEqual(upd["result"]["account"]["bankCode"], "004")

        # metadata: an object replaces the whole value; null removes it
        upd = self.ok("sellers-update", created["id"], "--meta", "tier=platinum")
        self.assertEqual(upd["result"]["metadata"], {"tier": "platinum"})
        upd = self.ok("sellers-update", created["id"], "--remove-meta")
        self.assertEqual(upd["result"]["metadata"], {})
        self.assertEqual(self.ok("sellers-get", created["id"])["result"], upd["result"])

        gone = self.ok("sellers-delete", created["id"])
        self.assertEqual(gone["result"], {"refSellerId": "e2e-corp"})
        self.error(self.one("sellers-get", created["id"]), 404, "NOT_FOUND")
        self.error(self.one("sellers-delete", created["id"]), 404, "NOT_FOUND")
        # the refSellerId of a deleted seller is never reused (spec §10 #11); the
        # refusal is sealed, since it comes after the body was opened
        dup = self.error(self.one("sellers-create", "e2e-corp", "CORPORATE"), 400, "DUPLICATED_REQUEST")
        self.assertTrue(dup["sealed"])

    def test_sellers_list_follows_last_cursor(self):
        ids = [self.seller("e2e-page-%d" % i)["id"] for i in range(5)]
        pages = self.run_tool("sellers-list", "--limit", "2", "--all")
        self.assertEqual([len(p["result"]["items"]) for p in pages], [2, 2, 1])
        self.assertEqual([p["result"]["hasNext"] for p in pages], [True, True, False])
        seen = [s["id"] for p in pages for s in p["result"]["items"]]
        self.assertEqual(seen, ids, "oldest first, each seller once")
        for p in pages:
            self.assertEqual(p["rc"], "PAY_OK")
            self.assertEqual(p["result"]["lastCursor"], p["result"]["items"][-1]["id"])
        # one page by hand from a cursor
        page = self.ok("sellers-list", "--limit", "10", "--after", ids[2])["result"]
        self.assertEqual([s["id"] for s in page["items"]], ids[3:])
        self.assertFalse(page["hasNext"])
        # an unknown cursor is the server's INVALID_PAGING_KEY, not an empty page
        self.error(self.one("sellers-list", "--after", "seller_" + "0" * 26), 400, "INVALID_PAGING_KEY")

    # ---- payouts and balances -----------------------------------------------------------

    def test_payouts_request_get_list_cancel_and_balances(self):
        dest = self.seller("e2e-payee")["id"]
        before = self.ok("balances")
        self.assertFalse(before["sealed"])
        start = before["result"]["available"]
        self.assertGreater(start, 100000)

        batch = self.ok("payouts-request",
                        "e2e-p1:%s:SCHEDULED:15000:%s" % (dest, PINNED_SCHEDULED),
                        "e2e-p2:%s:SCHEDULED:25000:%s" % (dest, LATER_SCHEDULED),
                        "e2e-p3:%s:EXPRESS:5000" % dest)
        self.assertTrue(batch["sealed"])
        items = batch["result"]["items"]
        self.assertEqual([p["refPayoutId"] for p in items], ["e2e-p1", "e2e-p2", "e2e-p3"], "request order")
        self.assertEqual([p["amount"] for p in items], [15000, 25000, 5000])
        self.assertEqual({p["currency"] for p in items}, {"KRW"})
        self.assertEqual([p["payoutDate"] for p in items], [PINNED_SCHEDULED, LATER_SCHEDULED, PINNED_TODAY])
        self.assertEqual([p["status"] for p in items[:2]], ["REQUESTED", "REQUESTED"])
        self.assertIn(items[2]["status"], ("IN_PROGRESS", "COMPLETED"))
        for p in items:
            self.assertRegex(p["id"], r"^FPA_[0-9a-z]{26}$")
            self.assertEqual(p["destination"], dest)
            self.assertEqual(p["transactionDescription"], "정산")
            self.assertTrue(p["requestedAt"].startswith("2026-12-09T10:00"), p["requestedAt"])
            self.assertIsNone(p["errorCode"])
        self.assertEqual(self.count("payouts"), 3)
        self.assertEqual(self.available(), start - 45000)

        got = self.ok("payouts-get", items[0]["id"])["result"]
        self.assertEqual(got["items"], [items[0]])
        self.assertFalse(got["hasNext"])

        everything = self.ok("payouts-list")["result"]
        self.assertEqual([p["id"] for p in everything["items"]], [p["id"] for p in items])
        late = self.ok("payouts-list", "--gte", "2026-12-20")["result"]["items"]
        self.assertEqual([p["refPayoutId"] for p in late], ["e2e-p2"])
        early = self.ok("payouts-list", "--lte", PINNED_SCHEDULED)["result"]["items"]
        self.assertEqual(sorted(p["refPayoutId"] for p in early), ["e2e-p1", "e2e-p3"])
        window = self.ok("payouts-list", "--gte", PINNED_SCHEDULED, "--lte", PINNED_SCHEDULED)["result"]
        self.assertEqual([p["refPayoutId"] for p in window["items"]], ["e2e-p1"])
        pages = self.run_tool("payouts-list", "--limit", "2", "--all")
        self.assertEqual([len(p["result"]["items"]) for p in pages], [2, 1])
        self.assertEqual([p["id"] for pg in pages for p in pg["result"]["items"]], [p["id"] for p in items])
        # a date the client can tell is malformed never leaves the process
        bad = self.one("payouts-list", "--gte", "09/12/2026")
        self.assertEqual((bad["rc"], bad["outcome"], bad["http"], bad["attempts"]),
                         ("PAY_ERR_INVALID_ARG", "LOCAL_ERROR", 0, 0))

        cancel = self.ok("payouts-cancel", items[1]["id"])
        self.assertRegex(cancel["idem"], UUID_RE, "cancel is a POST: it carries a key too")
        canceled = cancel["result"]["items"]
        self.assertEqual(len(canceled), 1)
        self.assertEqual((canceled[0]["id"], canceled[0]["status"]), (items[1]["id"], "CANCELED"))
        self.assertEqual(self.ok("payouts-get", items[1]["id"])["result"]["items"][0]["status"], "CANCELED")
        self.assertEqual(self.available(), start - 20000)
        # cancelling twice is a business refusal, never retried
        again = self.one("payouts-cancel", items[1]["id"], opts=["--max-retries", "6"])
        self.assertEqual(again["outcome"], "API_ERROR", again)
        self.assertEqual(again["attempts"], 1)
        self.assertGreaterEqual(again["http"], 400)
        self.assertLess(again["http"], 500)
        self.error(self.one("payouts-get", "FPA_" + "0" * 26), 404, "PAYOUT_NOT_FOUND")

    # ---- sealed reads ------------------------------------------------------------------

    def test_encrypt_reads_gives_sealed_answers_with_equal_results(self):
        dest = self.seller("e2e-sealed", "CORPORATE", "k=v")["id"]
        self.seller("e2e-sealed-2")
        pay = self.ok("payouts-request", "e2e-s1:%s:SCHEDULED:1000:%s" % (dest, PINNED_SCHEDULED))
        pid = pay["result"]["items"][0]["id"]
        for args in (["balances"], ["sellers-get", dest], ["sellers-list", "--limit", "1", "--all"],
                     ["payouts-get", pid], ["payouts-list"], ["payouts-list", "--gte", PINNED_SCHEDULED]):
            plain = self.run_tool(*args)
            sealed = self.run_tool(*args, opts=["--encrypt-reads"])
            self.assertEqual(len(plain), len(sealed), args)
            for p, s in zip(plain, sealed):
                self.assertEqual((p["rc"], p["sealed"]), ("PAY_OK", False), (args, p))
                self.assertEqual((s["rc"], s["sealed"]), ("PAY_OK", True), (args, s))
                self.assertEqual(p["result"], s["result"], args)
        # error answers come sealed too, and are read the same way
        plain = self.error(self.one("payouts-get", "FPA_" + "1" * 26), 404, "PAYOUT_NOT_FOUND")
        sealed = self.error(self.one("payouts-get", "FPA_" + "1" * 26, opts=["--encrypt-reads"]),
                            404, "PAYOUT_NOT_FOUND")
        self.assertFalse(plain["sealed"])
        self.assertTrue(sealed["sealed"])
        self.assertEqual(plain["message"], sealed["message"])
        # without a security key a sealed answer cannot be read, and the
        # client says so instead of showing the token
        line = self.one("balances", keys={"secretKey": self.keys["secretKey"]}, opts=["--encrypt-reads"])
        self.assertEqual((line["rc"], line["outcome"], line["http"]), ("PAY_ERR_RESPONSE", "BAD_RESPONSE", 200))
        self.assertIn("no security key", line["message"])

    # ---- errors -------------------------------------------------------------------------

    def test_unknown_secret_key_is_401_auth_error(self):
        keys = {"secretKey": "test_sk_" + uuid.uuid4().hex[:24], "securityKey": self.keys["securityKey"]}
        line = self.error(self.one("balances", keys=keys, opts=["--max-retries", "6"]), 401, "UNAUTHORIZED_KEY",
                          outcome="AUTH_ERROR")
        self.assertEqual(line["attempts"], 1, "a 401 is not retried")
        self.assertIn("secret key was rejected", line["hint"])
        # a POST is refused before its body is opened: plain JSON (spec §10 #4)
        line = self.error(self.one("sellers-create", "e2e-401", "CORPORATE", keys=keys), 401, "UNAUTHORIZED_KEY",
                          outcome="AUTH_ERROR")
        self.assertFalse(line["sealed"])
        trace = self.server.trace(line["trace"]).json
        self.assertEqual((trace["status"], trace["code"]), (401, "UNAUTHORIZED_KEY"))

    def test_merchant_without_contract_is_403_auth_error(self):
        m = self.merchant(contract=False)
        line = self.error(self.one("balances", keys=m["test"]), 403, "FORBIDDEN_REQUEST", outcome="AUTH_ERROR")
        self.assertIn("credentials were accepted", line["hint"])
        self.assertNotIn("secret key was rejected", line["hint"])
        self.assertEqual(line["attempts"], 1)

    def test_business_refusal_is_api_error_and_never_retried(self):
        person = self.seller("e2e-kyc", "INDIVIDUAL")
        self.assertEqual(person["status"], "APPROVAL_REQUIRED")
        line = self.error(self.one("payouts-request", "e2e-kyc-1:%s:EXPRESS:5000" % person["id"],
                                   opts=["--max-retries", "6"]),
                          403, "FORBIDDEN_SELLER_PAYOUT")
        self.assertEqual(line["attempts"], 1, "a 4xx is never retried")
        self.assertTrue(line["sealed"], "a refusal after decryption comes sealed (spec §10 #4)")
        self.assertIn("e2e-kyc-1", line["message"], "the message names the refPayoutId (C24)")
        self.assertIn("business", line["hint"])
        self.assertNotIn("key", line["hint"].split("(")[0])
        trace = self.server.trace(line["trace"]).json
        self.assertEqual((trace["status"], trace["code"]), (403, "FORBIDDEN_SELLER_PAYOUT"))
        # a validation refusal: also sealed, also a single attempt
        dest = self.seller("e2e-valid")["id"]
        line = self.one("payouts-request", "e2e-neg:%s:SCHEDULED:-5:%s" % (dest, PINNED_SCHEDULED),
                        opts=["--max-retries", "6"])
        self.assertEqual((line["outcome"], line["http"], line["attempts"], line["sealed"]),
                         ("API_ERROR", 400, 1, True), line)
        self.assertEqual(self.count("payouts"), 0)

    # ---- idempotency and retries ------------------------------------------------------------

    def test_given_idempotency_key_is_used_as_given(self):
        dest = self.seller("e2e-idem")["id"]
        key = "order-%s" % uuid.uuid4().hex
        first = self.ok("payouts-request", "e2e-i1:%s:SCHEDULED:1000:%s" % (dest, PINNED_SCHEDULED),
                        opts=["--idem", key])
        self.assertEqual(first["idem"], key)
        self.assertFalse(first["replayed"])
        # the same key again (even with another body) replays the first answer
        again = self.ok("payouts-request", "e2e-i2:%s:SCHEDULED:9999:%s" % (dest, PINNED_SCHEDULED),
                        opts=["--idem", key])
        self.assertEqual(again["idem"], key)
        self.assertTrue(again["replayed"])
        self.assertEqual(again["result"], first["result"])
        self.assertEqual(self.count("payouts"), 1)
        # and the key reached the server as given: a third party using it gets the replay
        r = self.server.call("POST", "/v2/payouts", self.keys, [], headers={"Idempotency-Key": key})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(r.json["entityBody"]["items"][0]["id"], first["result"]["items"][0]["id"])
        # GETs carry no key even when one is given (spec §7)
        self.assertEqual(self.ok("balances", opts=["--idem", key])["idem"], "")

    def test_retry_after_timeout_replays_one_idempotency_key(self):
        """payoutd's writer waits for an exclusive SQLite lock held here. The
        first attempt times out (700 ms) while the server still holds the
        request; the retries with the same key get 409
        IDEMPOTENT_REQUEST_PROCESSING and are retried; once the lock is gone
        the first request completes and a retry gets its answer."""
        dest = self.seller("e2e-retry")["id"]
        start = self.available()
        con = sqlite3.connect(self.server.db, timeout=10, isolation_level=None)
        try:
            con.execute("BEGIN EXCLUSIVE")
            proc = self.start("payouts-request", "e2e-r1:%s:SCHEDULED:7000:%s" % (dest, PINNED_SCHEDULED),
                              opts=["--timeout-ms", "700", "--max-retries", "6", "--backoff-ms", "250"])
            time.sleep(1.5)
            self.assertIsNone(proc.poll(), "the client finished while the writer was blocked")
        finally:
            if con.in_transaction:
                con.execute("COMMIT")
            con.close()
        line = self.finish(proc)[0]
        self.assertEqual((line["rc"], line["outcome"], line["http"]), ("PAY_OK", "OK", 200), line)
        self.assertGreater(line["attempts"], 1, line)
        self.assertRegex(line["idem"], UUID_RE)
        items = line["result"]["items"]
        self.assertEqual([p["refPayoutId"] for p in items], ["e2e-r1"])
        # exactly one payout, and the money moved once
        self.assertEqual(self.count("payouts"), 1)
        self.assertEqual(self.count("idempotency"), 1 + 1, "the seller's POST and the payout's")
        self.assertEqual(self.available(), start - 7000)
        # every attempt that reached payoutd carried the same key: the ones
        # during the wait were told the first was still running
        # (how payoutd records the first attempt, whose client had gone, is
        # its own business: only the order and the links are checked)
        seen = self.traces("POST /v2/payouts", at_least=line["attempts"])
        self.assertEqual(len(seen), line["attempts"], seen)
        self.assertIn("IDEMPOTENT_REQUEST_PROCESSING", [t["code"] for t in seen[1:]], seen)
        self.assertEqual(line["trace"], seen[0]["traceId"], "the answer carries the first request's traceId")
        replays = [t for t in seen if t["replayOf"]]
        if line["replayed"]:
            self.assertEqual([t["replayOf"] for t in replays], [seen[0]["traceId"]], seen)
            self.assertEqual(seen[-1]["status"], 200)
        else:
            self.assertEqual(replays, [], seen)
        # the key the client reports is the one payoutd stored
        r = self.server.call("POST", "/v2/payouts", self.keys, [], headers={"Idempotency-Key": line["idem"]})
        self.assertEqual(r.headers.get("Idempotent-Replayed"), "true", r)
        self.assertEqual(r.json["entityBody"]["items"][0]["id"], items[0]["id"])


if __name__ == "__main__":
    main()
