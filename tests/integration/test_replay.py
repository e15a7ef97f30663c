"""Freshness and replay protection (spec §3.4, §3.5, §10 #3, #5; cases C16,
C18; docs/DECISIONS.md "Freshness and replay").

After the tag verifies, `iat` must be present, readable (the §3.4 formats) and
within ±10 minutes (--iat-window) of the server's real time, else
INVALID_IAT, sealed, with the server time in the message. The nonce (1-64
characters) is claimed durably per merchant and environment: a token sent
twice — or another body under the same nonce — is DUPLICATED_NONCE and runs
once, across restarts too; a byte-identical retry that carries an
Idempotency-Key replays the first answer instead."""
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

from payoutd_harness import (KST, PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, db_connect, db_snapshot, main,
                             seal)

# The server time in an INVALID_IAT message ("the server time T", "the server
# time is T" or, when iat is missing, "e.g. T").
SERVER_TIME_RE = re.compile(r"(?:server time(?: is)?|e\.g\.) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00)")


def ref(prefix):
    return prefix + uuid.uuid4().hex[:12]


def corporate():
    return {"refSellerId": ref("r-"), "businessType": "CORPORATE",
            "company": {"name": "재전송 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "corp@example.com",
                        "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "김토스"}}


def item(dest, value=1000):
    return {"refPayoutId": ref("p-"), "destination": dest, "scheduleType": "SCHEDULED",
            "payoutDate": PINNED_SCHEDULED, "amount": {"currency": "KRW", "value": value},
            "transactionDescription": "정산"}


def kst_iat(delta_seconds=0):
    return (datetime.now(KST) + timedelta(seconds=delta_seconds)).replace(microsecond=0).isoformat()


def raw_header(**members):
    """A compact protected header with exactly these members (None = left out)."""
    h = {"alg": "dir", "enc": "A256GCM", "iat": kst_iat(), "nonce": str(uuid.uuid4())}
    h.update(members)
    return json.dumps({k: v for k, v in h.items() if v is not None}, separators=(",", ":"))


class ReplayBase(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.mid, self.keys = self.m["mid"], self.m["test"]
        self.server.set_clock(self.mid, PINNED_NOW)

    def send(self, token, keys=None, headers=None, path="/v2/sellers"):
        return self.server.call("POST", path, keys or self.keys, token=token, headers=headers)

    def seller(self, header=None, raw=None, keys=None):
        keys = keys or self.keys
        return self.send(seal(keys["securityKey"], corporate(), header=header, raw_header=raw), keys)

    def payouts(self):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM payouts p JOIN merchants m ON m.id = p.merchant_id "
                               "WHERE m.mid = ?", (self.mid,)).fetchone()[0]
        finally:
            con.close()

    def assertIat(self, resp, *fragments):
        err = self.assertError(resp, 400, "INVALID_IAT", encrypted=True)
        found = SERVER_TIME_RE.search(err["message"])
        self.assertIsNotNone(found, err["message"])
        server_time = datetime.fromisoformat(found.group(1))
        self.assertLess(abs((server_time - datetime.now(KST)).total_seconds()), 30)
        for f in fragments:
            self.assertIn(f, err["message"])
        return err


class Freshness(ReplayBase):
    def test_accepted_iat_formats(self):
        now_kst = datetime.now(KST)
        now_utc = datetime.now(timezone.utc)
        formats = {
            "whole seconds +09:00": now_kst.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
            "9-digit fraction": now_kst.strftime("%Y-%m-%dT%H:%M:%S") + ".356259315+09:00",
            "3-digit fraction": now_kst.strftime("%Y-%m-%dT%H:%M:%S") + ".123+09:00",
            "1-digit fraction": now_kst.strftime("%Y-%m-%dT%H:%M:%S") + ".5+09:00",
            "no seconds (Java OffsetDateTime)": now_kst.strftime("%Y-%m-%dT%H:%M+09:00"),
            "UTC with Z": now_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "UTC with fraction and Z": now_utc.strftime("%Y-%m-%dT%H:%M:%S") + ".000001Z",
            "UTC +00:00": now_utc.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "another offset": (now_utc - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S-05:00"),
        }
        for name, iat in formats.items():
            with self.subTest(name, iat=iat):
                self.assertEntity(self.seller(header={"iat": iat}), "seller", encrypted=True)

    def test_stale_and_future_iat(self):
        for delta, word in ((-11 * 60, "behind"), (11 * 60, "ahead of"), (-3600 * 30, "behind"),
                            (3600 * 5, "ahead of")):
            with self.subTest(delta=delta):
                before = db_snapshot(self.server.db)
                iat = kst_iat(delta)
                self.assertIat(self.seller(header={"iat": iat}), iat, word, "within 600 s")
                self.assertEqual(db_snapshot(self.server.db), before)
        # Inside the window on both sides.
        for delta in (-9 * 60, 9 * 60):
            self.assertEntity(self.seller(header={"iat": kst_iat(delta)}), "seller")

    def test_kst_wall_clock_labelled_utc(self):
        # C16: Korean local time with a Z is 9 hours ahead.
        iat = datetime.now(KST).strftime("%Y-%m-%dT%H:%M:%SZ")
        err = self.assertIat(self.seller(header={"iat": iat}), "ahead of", "labelled as UTC")
        self.assertRegex(err["message"], r"(8 h 59 min|9 h 0 min) ahead of")
        # And the reverse mistake: UTC wall time labelled +09:00.
        iat = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+09:00")
        self.assertIat(self.seller(header={"iat": iat}), "behind", "UTC labelled as +09:00")

    def test_missing_or_unreadable_iat(self):
        self.assertIat(self.seller(raw=raw_header(iat=None)), "no iat")
        for bad in ("yesterday", "2026-12-09 10:00:00+09:00", "2026-12-09T10:00:00", "20261209T100000Z",
                    "2026-12-09T10:00:00.1234567890+09:00", ""):
            with self.subTest(iat=bad):
                self.assertIat(self.seller(header={"iat": bad}))
        # A JWT NumericDate is not the iat of this API either.
        r = self.seller(raw=raw_header(iat=int(datetime.now().timestamp())))
        self.assertEqual(r.status, 400, r)
        self.assertIn(r.json["error"]["code"], ("INVALID_IAT", "INVALID_ENCRYPTED_BODY"))

    def test_iat_is_real_time_not_the_sandbox_clock(self):
        # The merchant's sandbox clock is a week ahead; the client's clock is real.
        self.server.advance_clock(self.mid, 7 * 86400)
        self.assertEntity(self.seller(header={"iat": kst_iat()}), "seller")
        sandbox_now = self.server.admin_ok("GET", "/merchants/%s/clock" % self.mid)["now"]
        self.assertIat(self.seller(header={"iat": sandbox_now}), "ahead of")


class NarrowWindow(ReplayBase):
    server_args = ["--iat-window", "30"]

    def test_window_of_30_seconds(self):
        self.assertEntity(self.seller(header={"iat": kst_iat(-20)}), "seller")
        self.assertEntity(self.seller(header={"iat": kst_iat(20)}), "seller")
        self.assertIat(self.seller(header={"iat": kst_iat(-60)}), "within 30 s", "behind")
        self.assertIat(self.seller(header={"iat": kst_iat(60)}), "within 30 s", "ahead of")


class Pruning(ReplayBase):
    """Nonces are kept for twice the iat window (real time), idempotency
    records for 15 days (the merchant's clock); then the scheduler removes
    them (once a minute, or at once through POST /admin/v1/scheduler/run)."""
    server_args = ["--iat-window", "1"]

    def rows(self, table):
        con = db_connect(self.server.db)
        try:
            mid = con.execute("SELECT id FROM merchants WHERE mid = ?", (self.mid,)).fetchone()[0]
            return con.execute("SELECT count(*) FROM %s WHERE merchant_id = ?" % table, (mid,)).fetchone()[0]
        finally:
            con.close()

    def test_expired_nonces_and_idempotency_records_are_pruned(self):
        key = str(uuid.uuid4())
        r = self.server.call("POST", "/v2/sellers", self.keys, corporate(), headers={"Idempotency-Key": key})
        self.assertEntity(r, "seller")
        self.assertEqual((self.rows("nonces"), self.rows("idempotency")), (1, 1))
        self.server.admin_ok("POST", "/scheduler/run")
        self.assertEqual((self.rows("nonces"), self.rows("idempotency")), (1, 1), "pruned too early")
        time.sleep(2.5)  # twice the 1-second window, and a little
        self.server.admin_ok("POST", "/scheduler/run")
        self.assertEqual((self.rows("nonces"), self.rows("idempotency")), (0, 1))
        self.server.advance_clock(self.mid, 14 * 86400)
        self.server.admin_ok("POST", "/scheduler/run")
        self.assertEqual(self.rows("idempotency"), 1, "pruned before 15 days")
        self.server.advance_clock(self.mid, 2 * 86400)
        self.server.admin_ok("POST", "/scheduler/run")
        self.assertEqual(self.rows("idempotency"), 0)


class Nonces(ReplayBase):
    def setUp(self):
        super().setUp()
        self.sid = self.assertEntity(self.server.call("POST", "/v2/sellers", self.keys, corporate()),
                                     "seller")["id"]

    def test_same_token_twice_runs_once(self):
        token = seal(self.keys["securityKey"], [item(self.sid)])
        first = self.send(token, path="/v2/payouts")
        self.assertEntity(first, "payout-list", encrypted=True)
        self.assertEqual(self.payouts(), 1)
        before = db_snapshot(self.server.db)
        for _ in range(3):
            err = self.assertError(self.send(token, path="/v2/payouts"), 400, "DUPLICATED_NONCE", encrypted=True)
            self.assertIn("fresh nonce", err["message"])
        self.assertEqual(self.payouts(), 1)
        self.assertEqual(db_snapshot(self.server.db), before)
        # The nonce is stored durably: a restart does not forget it.
        self.server.restart()
        self.assertError(self.send(token, path="/v2/payouts"), 400, "DUPLICATED_NONCE", encrypted=True)
        self.assertEqual(self.payouts(), 1)
        # With a fresh nonce the same logical request runs (and is told it is a duplicate reference).
        again = self.send(seal(self.keys["securityKey"], [item(self.sid)]), path="/v2/payouts")
        self.assertEntity(again, "payout-list")
        self.assertEqual(self.payouts(), 2)

    def test_same_update_token_twice(self):
        # A seller update would succeed again: the nonce is what refuses it.
        token = seal(self.keys["securityKey"], {"metadata": {"round": "1"}})
        path = "/v2/sellers/" + self.sid
        self.assertEqual(self.assertEntity(self.send(token, path=path), "seller")["metadata"], {"round": "1"})
        self.assertEntity(self.server.call("POST", path, self.keys, {"metadata": {"round": "2"}}), "seller")
        before = db_snapshot(self.server.db)
        self.assertError(self.send(token, path=path), 400, "DUPLICATED_NONCE", encrypted=True)
        self.assertEqual(db_snapshot(self.server.db), before)
        got = self.assertEntity(self.server.call("GET", path, self.keys), "seller")
        self.assertEqual(got["metadata"], {"round": "2"})

    def test_refused_request_leaves_its_nonce_unused(self):
        # docs/DECISIONS.md: only a committed change uses a nonce up; a
        # request refused for a business reason does not.
        nonce = str(uuid.uuid4())
        bad = corporate()
        bad["account"]["bankCode"] = "999"
        token = seal(self.keys["securityKey"], bad, header={"nonce": nonce})
        self.assertError(self.send(token), 400, "INVALID_BANK", encrypted=True)
        before = db_snapshot(self.server.db)
        self.assertError(self.send(token), 400, "INVALID_BANK", encrypted=True)
        self.assertEqual(db_snapshot(self.server.db), before)
        # The corrected body under the same nonce runs, once.
        good = seal(self.keys["securityKey"], corporate(), header={"nonce": nonce})
        self.assertEntity(self.send(good), "seller", encrypted=True)
        self.assertError(self.send(good), 400, "DUPLICATED_NONCE", encrypted=True)

    def test_used_nonce_is_refused_before_validation(self):
        # "A replay is answered DUPLICATED_NONCE before any business rule":
        # once a nonce is used, a token carrying it is a replay whatever its body.
        nonce = str(uuid.uuid4())
        self.assertEntity(self.seller(header={"nonce": nonce}), "seller")
        bad = corporate()
        bad["account"]["bankCode"] = "999"
        r = self.send(seal(self.keys["securityKey"], bad, header={"nonce": nonce}))
        self.assertError(r, 400, "DUPLICATED_NONCE", encrypted=True)

    def test_replay_after_the_sandbox_clock_moved(self):
        # The same payout token again after its payout date has passed on the
        # merchant's clock: still a replay, not a date error.
        token = seal(self.keys["securityKey"], [item(self.sid)])
        self.assertEntity(self.send(token, path="/v2/payouts"), "payout-list")
        self.server.advance_clock(self.mid, 10 * 86400)
        r = self.send(token, path="/v2/payouts")
        self.assertError(r, 400, "DUPLICATED_NONCE", encrypted=True)
        self.assertEqual(self.payouts(), 1)

    def test_other_body_same_nonce(self):
        nonce = str(uuid.uuid4())
        iat = kst_iat()
        a = seal(self.keys["securityKey"], [item(self.sid, 1000)], header={"nonce": nonce, "iat": iat})
        b = seal(self.keys["securityKey"], [item(self.sid, 99000)], header={"nonce": nonce, "iat": iat})
        self.assertEntity(self.send(a, path="/v2/payouts"), "payout-list")
        self.assertError(self.send(b, path="/v2/payouts"), 400, "DUPLICATED_NONCE", encrypted=True)
        self.assertEqual(self.payouts(), 1)
        # On another route too: the nonce is per merchant and environment, not per API.
        c = seal(self.keys["securityKey"], corporate(), header={"nonce": nonce})
        self.assertError(self.send(c), 400, "DUPLICATED_NONCE", encrypted=True)

    def test_nonce_scope_is_merchant_and_environment(self):
        nonce = str(uuid.uuid4())
        self.assertEntity(self.seller(header={"nonce": nonce}), "seller")
        self.assertEntity(self.seller(header={"nonce": nonce}, keys=self.m["live"]), "seller")
        other = self.merchant()
        self.assertEntity(self.seller(header={"nonce": nonce}, keys=other["test"]), "seller")
        self.assertError(self.seller(header={"nonce": nonce}), 400, "DUPLICATED_NONCE")
        self.assertError(self.seller(header={"nonce": nonce}, keys=other["test"]), 400, "DUPLICATED_NONCE")

    def test_stale_iat_does_not_spend_the_nonce(self):
        nonce = str(uuid.uuid4())
        self.assertIat(self.seller(header={"nonce": nonce, "iat": kst_iat(-3600)}))
        self.assertEntity(self.seller(header={"nonce": nonce}), "seller")

    def test_nonce_length(self):
        self.assertEntity(self.seller(header={"nonce": "n" * 64}), "seller")
        self.assertEntity(self.seller(header={"nonce": "x"}), "seller")
        for name, raw in (("missing", raw_header(nonce=None)), ("empty", raw_header(nonce="")),
                          ("65 characters", raw_header(nonce="m" * 65)),
                          ("1000 characters", raw_header(nonce="q" * 1000))):
            with self.subTest(name):
                before = db_snapshot(self.server.db)
                r = self.seller(raw=raw)
                err = self.assertError(r, 400, "INVALID_ENCRYPTED_BODY", encrypted=True)
                self.assertIn("nonce", err["message"])
                self.assertIn("64", err["message"])
                self.assertEqual(db_snapshot(self.server.db), before)

    def test_idempotency_key_replays_identical_bytes(self):
        token = seal(self.keys["securityKey"], [item(self.sid)])
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = self.send(token, headers=key, path="/v2/payouts")
        self.assertEntity(first, "payout-list", encrypted=True)
        again = self.send(token, headers=key, path="/v2/payouts")
        self.assertEntity(again, "payout-list", encrypted=True)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(again.json, first.json)
        self.assertEqual(self.payouts(), 1)
        # The stored answer keeps replaying, after a restart too.
        self.server.restart()
        third = self.send(token, headers=key, path="/v2/payouts")
        self.assertEqual(third.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(third.json, first.json)
        self.assertEqual(self.payouts(), 1)

    def test_identical_bytes_without_the_idempotency_key(self):
        # The replay is the Idempotency-Key's: the same bytes without it, or
        # under another key, are a replayed nonce.
        token = seal(self.keys["securityKey"], [item(self.sid)])
        key = {"Idempotency-Key": str(uuid.uuid4())}
        self.assertEntity(self.send(token, headers=key, path="/v2/payouts"), "payout-list")
        for headers in (None, {"Idempotency-Key": str(uuid.uuid4())}):
            with self.subTest(headers=headers):
                r = self.send(token, headers=headers, path="/v2/payouts")
                self.assertError(r, 400, "DUPLICATED_NONCE", encrypted=True)
        self.assertEqual(self.payouts(), 1)


if __name__ == "__main__":
    main()
