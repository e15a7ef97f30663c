"""Keys at rest and key rotation (issue 4; spec §2.2, §4.11, §10 #6;
docs/DECISIONS.md "Security").

At rest: security keys are stored only wrapped under the master key, secret
and client keys only as SHA-256 hashes; the database file (raw bytes, and each
cell through sqlite3) holds no key in any form; a wrong master key refuses to
start; a legacy database holding raw security keys is wrapped at the next
start.

Rotation: a re-issued key leaves the previous one valid for 7 days of the
scope's clock (the sandbox clock in test mode, moved through the admin API);
both open requests and the answer is sealed with the key that opened the
request; webhooks carry one signature per valid key; a second re-issue within
the 7 days is refused; afterwards the old key is refused."""
import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import subprocess
import threading
import time
import unittest
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payoutd_harness import (PINNED_NOW, Server, ServerTestCase, db_connect, db_snapshot, main, open_token)

HEX64 = re.compile(r"^[0-9a-f]{64}$")
WEEK = 7 * 86400


def kst(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def ref(prefix):
    return prefix + uuid.uuid4().hex[:12]


def corporate():
    return {"refSellerId": ref("k-"), "businessType": "CORPORATE",
            "company": {"name": "키 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "corp@example.com",
                        "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "김토스"}}


def individual():
    return {"refSellerId": ref("i-"), "businessType": "INDIVIDUAL",
            "individual": {"name": "김기원", "email": "noreply@example.com", "phone": "01012345678"},
            "account": {"bankCode": "004", "accountNumber": "049210482003", "holderName": "김기원"}}


def db_files(db):
    """The database and its WAL/SHM companions (never the master-key file)."""
    d = os.path.dirname(db)
    base = os.path.basename(db)
    return [os.path.join(d, f) for f in sorted(os.listdir(d))
            if f == base or f in (base + "-wal", base + "-shm", base + "-journal")]


def db_bytes(db):
    out = b""
    for path in db_files(db):
        with open(path, "rb") as f:
            out += f.read()
    return out


def all_cells(db):
    """Every cell of every table, through sqlite3."""
    con = db_connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            for row in con.execute("SELECT * FROM %s" % t):
                for cell in row:
                    yield t, cell
    finally:
        con.close()


def key_forms(key):
    """The ways a key could be found in a file: its text (both cases) and,
    for a security key, its 32 raw bytes."""
    forms = [key.encode(), key.upper().encode(), key.lower().encode()]
    if HEX64.match(key):
        forms.append(bytes.fromhex(key))
    return forms


def sig_values(header):
    return [base64.b64decode(p.strip()[3:], validate=True) for p in header.split(",")
            if p.strip().startswith("v1:")]


def hmac_of(key_hex, body, t):
    return hmac.new(bytes.fromhex(key_hex), body + b":" + t.encode("ascii"), hashlib.sha256).digest()


class Receiver:
    """A minimal webhook endpoint on 127.0.0.1 that records every delivery."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with receiver.lock:
                    receiver.requests.append(
                        {"body": body, "headers": {k.lower(): v for k, v in self.headers.items()}})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, fmt, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hooks" % self.httpd.server_address[1]

    def wait_for(self, count, timeout=8.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError("receiver got %d request(s), expected %d" % (len(self.requests), count))

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# ---- keys at rest ------------------------------------------------------------

class KeysAtRest(unittest.TestCase):
    """Each test runs its own payoutd: these tests stop, tamper with and
    restart it."""

    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def start(self, **kw):
        s = Server(**kw)
        self.servers.append(s)
        if "PAYOUTD_MASTER_KEY" in s.env:
            s.secrets.add(s.env["PAYOUTD_MASTER_KEY"])
        return s.start()

    def assertNoKeys(self, server, keys):
        """No key of `keys` is in the database's files or in any cell."""
        raw = db_bytes(server.db)
        self.assertGreater(len(raw), 4096)
        for key in keys:
            for form in key_forms(key):
                self.assertNotIn(form, raw, "a key (...%s) is in the database file" % key[-4:])
        for table, cell in all_cells(server.db):
            if isinstance(cell, str):
                cell = cell.encode("utf-8")
            if not isinstance(cell, bytes):
                continue
            for key in keys:
                for form in key_forms(key):
                    self.assertNotIn(form, cell, "a key (...%s) is in table %s" % (key[-4:], table))

    def seller_opens(self, server, keys):
        r = server.call("POST", "/v2/sellers", keys, corporate())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["entityType"], "seller")
        return r

    def merchants_keys(self, merchants):
        out = []
        for m in merchants:
            for env in ("test", "live"):
                out += [m[env]["secretKey"], m[env]["clientKey"], m[env]["securityKey"]]
        return out

    def test_database_holds_no_key(self):
        s = self.start()
        merchants = [s.create_merchant(), s.create_merchant(), s.create_merchant(contract=False)]
        # A rotated key is stored too.
        rotated = s.admin_ok("POST", "/merchants/%s/keys" % merchants[0]["mid"],
                             {"env": "test", "kind": "securityKey"})["key"]
        keys = self.merchants_keys(merchants) + [rotated]
        for m in merchants[:2]:
            self.seller_opens(s, m["test"])
        self.assertNoKeys(s, keys)       # while running (WAL included)
        s.stop()
        self.assertNoKeys(s, keys)       # and after the final checkpoint
        s.start()
        self.seller_opens(s, merchants[1]["live"])

    def test_secret_and_client_keys_are_sha256_lookups(self):
        s = self.start()
        merchants = [s.create_merchant(), s.create_merchant()]
        expected = {}
        for m in merchants:
            for env in ("test", "live"):
                for kind in ("secretKey", "clientKey"):
                    expected[hashlib.sha256(m[env][kind].encode()).digest()] = (m["mid"], env, kind)
        con = db_connect(s.db)
        try:
            rows = con.execute(
                "SELECT m.mid, k.env, k.kind, k.lookup, k.material FROM api_keys k "
                "JOIN merchants m ON m.id = k.merchant_id ORDER BY k.id").fetchall()
        finally:
            con.close()
        self.assertEqual(len(rows), 12)
        seen = set()
        for mid, env, kind, lookup, material in rows:
            envname = "test" if env == 0 else "live"
            if kind in (1, 2):
                self.assertIsInstance(lookup, bytes)
                self.assertEqual(len(lookup), 32)
                self.assertIn(lookup, expected)
                self.assertEqual(expected[lookup], (mid, envname, "secretKey" if kind == 1 else "clientKey"))
                self.assertFalse(material, "a secret/client key row holds material")
                seen.add(lookup)
            else:
                self.assertEqual(kind, 3)
                self.assertFalse(lookup, "a security key row has a lookup hash")
                # Wrapped: magic, 12-byte IV, 32 bytes, 16-byte tag.
                self.assertIsInstance(material, bytes)
                self.assertEqual(len(material), 3 + 12 + 32 + 16)
                self.assertEqual(material[:3], b"PV1")
                self.assertNotIn(bytes.fromhex(next(m for m in merchants if m["mid"] == mid)[envname]["securityKey"]),
                                 material)
        self.assertEqual(seen, set(expected))
        self.assertNoKeys(s, self.merchants_keys(merchants))

    def test_generated_master_key_warns_once(self):
        s = self.start()
        log = s.read_log()
        self.assertIn("WARNING: generated a new master key in " + s.master_key_path(), log)
        self.assertIn("BACK IT UP", log)
        with open(s.master_key_path()) as f:
            text = f.read()
        self.assertRegex(text.strip(), HEX64)
        s.secrets.add(text.strip())
        self.assertEqual(os.stat(s.master_key_path()).st_mode & 0o777, 0o600)
        m = s.create_merchant()
        s.restart()
        self.assertEqual(s.read_log().count("generated a new master key"), 1)
        with open(s.master_key_path()) as f:
            self.assertEqual(f.read(), text)
        self.seller_opens(s, m["test"])

    def test_wrong_master_key_refuses_to_start(self):
        right = os.urandom(32).hex()
        s = self.start(env={"PAYOUTD_MASTER_KEY": right})
        m = s.create_merchant()
        self.seller_opens(s, m["test"])
        self.assertFalse(os.path.exists(s.master_key_path()), "a master key file was written")
        s.stop()
        other = os.urandom(32).hex()
        s.secrets.add(other)
        s.env["PAYOUTD_MASTER_KEY"] = other
        before = len(s.read_log())
        with self.assertRaises(RuntimeError):
            s.start()
        self.assertNotEqual(s.stop(check=False), 0)
        said = s.read_log()[before:]
        self.assertIn("does not open the security keys", said)
        self.assertIn("PAYOUTD_MASTER_KEY", said)
        self.assertIn("master key it was created with", said)
        # A malformed master key is refused by name too.
        s.env["PAYOUTD_MASTER_KEY"] = right[:63]
        before = len(s.read_log())
        with self.assertRaises(RuntimeError):
            s.start()
        s.stop(check=False)
        self.assertIn("master key from PAYOUTD_MASTER_KEY", s.read_log()[before:])
        # The right key, from the environment ...
        s.env["PAYOUTD_MASTER_KEY"] = right
        s.start()
        self.seller_opens(s, m["test"])
        s.stop()
        # ... or from --master-key-file, starts.
        del s.env["PAYOUTD_MASTER_KEY"]
        path = os.path.join(s.workdir, "mk")
        with open(path, "w") as f:
            f.write(right + "\n")
        s.extra_args += ["--master-key-file", path]
        s.start()
        self.seller_opens(s, m["live"])
        self.assertNotIn("generated a new master key", s.read_log())

    def test_merchant_create_with_wrong_master_key_fails(self):
        right = os.urandom(32).hex()
        s = self.start(env={"PAYOUTD_MASTER_KEY": right})
        m = s.create_merchant()
        other = os.urandom(32).hex()
        s.secrets.add(other)
        s.env["PAYOUTD_MASTER_KEY"] = other
        before = db_snapshot(s.db)
        # `merchant create` checks the master key like the server does: it
        # adds no key wrapped under another master key.
        with self.assertRaises(subprocess.CalledProcessError) as cm:
            s.create_merchant()
        self.assertIn(b"does not open the security keys", cm.exception.stderr)
        self.assertEqual(db_snapshot(s.db), before)
        s.env["PAYOUTD_MASTER_KEY"] = right
        s.restart()
        self.seller_opens(s, m["test"])

    def test_legacy_raw_security_keys_are_wrapped_at_start(self):
        s = self.start()
        merchants = [s.create_merchant(), s.create_merchant()]
        s.stop()
        # An older payoutd stored the 32 raw bytes.
        con = sqlite3.connect(s.db, timeout=10)
        try:
            ids = dict(con.execute("SELECT mid, id FROM merchants"))
            n = 0
            for m in merchants:
                for env_i, env in enumerate(("test", "live")):
                    c = con.execute("UPDATE api_keys SET material=? WHERE merchant_id=? AND env=? AND kind=3",
                                    (bytes.fromhex(m[env]["securityKey"]), ids[m["mid"]], env_i))
                    self.assertEqual(c.rowcount, 1)
                    n += 1
            con.commit()
        finally:
            con.close()
        raw = db_bytes(s.db)
        self.assertIn(bytes.fromhex(merchants[0]["test"]["securityKey"]), raw)  # the setup took
        before = len(s.read_log())
        s.start()
        self.assertIn("vault: encrypted %d security key(s) stored in clear" % n, s.read_log()[before:])
        for m in merchants:
            self.seller_opens(s, m["test"])
            self.seller_opens(s, m["live"])
        con = db_connect(s.db)
        try:
            mats = [r[0] for r in con.execute("SELECT material FROM api_keys WHERE kind=3")]
        finally:
            con.close()
        self.assertEqual(len(mats), 4)
        for mat in mats:
            self.assertEqual(mat[:3], b"PV1")
            self.assertEqual(len(mat), 63)
        s.stop()
        self.assertNoKeys(s, self.merchants_keys(merchants))
        # The next start has nothing left to wrap.
        before = len(s.read_log())
        s.start()
        self.assertNotIn("stored in clear", s.read_log()[before:])
        self.seller_opens(s, merchants[1]["test"])


# ---- rotation (spec §2.2) ------------------------------------------------------

class Rotation(ServerTestCase):
    def setUp(self):
        self.receivers = []

    def tearDown(self):
        for r in self.receivers:
            r.stop()
        super().tearDown()

    def rotate(self, mid, kind, env="test"):
        return self.server.admin("POST", "/merchants/%s/keys" % mid, {"env": env, "kind": kind})

    def rotate_ok(self, mid, kind, env="test"):
        r = self.rotate(mid, kind, env)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"env", "kind", "key", "previousKeyValidUntil"})
        self.assertEqual(r.json["env"], env)
        self.assertEqual(r.json["kind"], kind)
        return r.json

    def clock_now(self, mid):
        return kst(self.server.admin_ok("GET", "/merchants/%s/clock" % mid)["now"])

    def register(self, secret, security, body=None):
        """POST /v2/sellers sealed with `security`; returns the response and
        checks that it is sealed with that same key."""
        keys = {"secretKey": secret, "securityKey": security}
        r = self.server.call("POST", "/v2/sellers", keys, body or corporate())
        return r

    def assertOpensOnlyWith(self, resp, key, other):
        token = resp.raw.decode("ascii")
        open_token(key, token)
        with self.assertRaises(Exception):
            open_token(other, token)

    def receiver(self, mid, env="test"):
        rx = Receiver()
        self.receivers.append(rx)
        self.server.admin_ok("PUT", "/merchants/%s/webhook" % mid, {"env": env, "url": rx.url})
        return rx

    def seller_changed(self, mid, keys, rx, count):
        """Registers an INDIVIDUAL seller and verifies its identity (admin):
        one seller.changed delivery; returns it."""
        sid = self.assertEntity(self.server.call("POST", "/v2/sellers", keys, individual()), "seller")["id"]
        self.server.admin_ok("POST", "/merchants/%s/sellers/%s/verify-identity" % (mid, sid), {"env": "test"})
        got = rx.wait_for(count)
        self.assertEqual(len(got), count)
        req = got[-1]
        self.assertEqual(json.loads(req["body"])["entityBody"]["id"], sid)
        return req

    def test_security_key_overlap_then_expiry(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        secret, old = keys["secretKey"], keys["securityKey"]
        self.server.set_clock(mid, PINNED_NOW)
        rx = self.receiver(mid)
        now = self.clock_now(mid)
        issued = self.rotate_ok(mid, "securityKey")
        new = issued["key"]
        self.assertRegex(new, HEX64)
        self.assertNotEqual(new, old)
        until = kst(issued["previousKeyValidUntil"])
        self.assertLessEqual(abs((until - (now + timedelta(days=7))).total_seconds()), 5)

        # Both keys open requests; each answer is sealed with the key that opened it.
        r_old = self.register(secret, old)
        self.assertEntity(r_old, "seller", encrypted=True)
        self.assertOpensOnlyWith(r_old, old, new)
        r_new = self.register(secret, new)
        self.assertEntity(r_new, "seller", encrypted=True)
        self.assertOpensOnlyWith(r_new, new, old)
        # Errors after opening too (validation), with the key that opened them.
        bad = corporate()
        bad["account"]["bankCode"] = "999"
        r_bad = self.register(secret, old, bad)
        self.assertError(r_bad, 400, "INVALID_BANK", encrypted=True)
        self.assertOpensOnlyWith(r_bad, old, new)
        # A bodyless call in ENCRYPTION mode is sealed with the newest key.
        r_get = self.server.call("GET", "/v2/balances", {"secretKey": secret, "securityKey": new},
                                 encrypted=True)
        self.assertEntity(r_get, "balance", encrypted=True)
        self.assertOpensOnlyWith(r_get, new, old)
        # The other environment is untouched: its one key, and it may rotate.
        self.assertEntity(self.register(m["live"]["secretKey"], m["live"]["securityKey"]), "seller")

        # A webhook during the overlap: two v1 signatures, one per key.
        req = self.seller_changed(mid, {"secretKey": secret, "securityKey": new}, rx, 1)
        t = req["headers"]["tosspayments-webhook-transmission-time"]
        values = sig_values(req["headers"]["tosspayments-webhook-signature"])
        self.assertEqual(len(values), 2, req["headers"])
        want_old, want_new = hmac_of(old, req["body"], t), hmac_of(new, req["body"], t)
        self.assertEqual(sorted(values), sorted([want_old, want_new]))

        # A second re-issue within the 7 days is refused and says until when.
        r2 = self.rotate(mid, "securityKey")
        err = self.assertError(r2, 400, "INVALID_REQUEST")
        self.assertIn(issued["previousKeyValidUntil"], err["message"])
        self.assertNotIn("key", r2.json.get("entityBody") or {})
        r_new2 = self.register(secret, new)
        self.assertEntity(r_new2, "seller")  # the refusal changed nothing

        # Just before the 7 days end the old key still opens ...
        remaining = (until - self.clock_now(mid)).total_seconds()
        self.server.advance_clock(mid, int(remaining) - 60)
        self.assertEntity(self.register(secret, old), "seller", encrypted=True)
        # ... and after them it is refused, naming it as the previous key.
        self.server.advance_clock(mid, 120)
        r_exp = self.register(secret, old)
        err = self.assertError(r_exp, 400, "DECRYPTION_FAILED", encrypted=False)
        self.assertIn("sealed with this merchant's previous test security key", err["message"])
        self.assertIn("no longer valid", err["message"])
        self.assertEntity(self.register(secret, new), "seller", encrypted=True)

        # Webhooks now carry one signature, with the new key.
        req = self.seller_changed(mid, {"secretKey": secret, "securityKey": new}, rx, 2)
        t = req["headers"]["tosspayments-webhook-transmission-time"]
        values = sig_values(req["headers"]["tosspayments-webhook-signature"])
        self.assertEqual(values, [hmac_of(new, req["body"], t)])

        # With one valid key again, a re-issue is allowed.
        newer = self.rotate_ok(mid, "securityKey")["key"]
        self.assertEntity(self.register(secret, newer), "seller", encrypted=True)
        self.assertEntity(self.register(secret, new), "seller", encrypted=True)
        self.assertError(self.register(secret, old), 400, "DECRYPTION_FAILED")

    def test_secret_key_overlap_then_expiry(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        old, security = keys["secretKey"], keys["securityKey"]
        self.server.set_clock(mid, PINNED_NOW)
        issued = self.rotate_ok(mid, "secretKey")
        new = issued["key"]
        self.assertRegex(new, r"^test_sk_[0-9A-Za-z]{28}$")
        self.assertNotEqual(new, old)
        for secret in (old, new):
            self.assertEntity(self.server.call("GET", "/v2/balances", {"secretKey": secret, "securityKey": security}),
                              "balance")
            self.assertEntity(self.register(secret, security), "seller", encrypted=True)
        # The new secret key is stored as a hash only.
        con = db_connect(self.server.db)
        try:
            lookups = [r[0] for r in con.execute("SELECT lookup FROM api_keys WHERE kind=1")]
        finally:
            con.close()
        self.assertIn(hashlib.sha256(new.encode()).digest(), lookups)
        self.assertNotIn(new.encode(), db_bytes(self.server.db))
        # One re-issue per overlap.
        err = self.assertError(self.rotate(mid, "secretKey"), 400, "INVALID_REQUEST")
        self.assertIn(issued["previousKeyValidUntil"], err["message"])
        # The security key rotates independently of the secret key.
        security_new = self.rotate_ok(mid, "securityKey")["key"]
        until = kst(issued["previousKeyValidUntil"])
        self.server.advance_clock(mid, int((until - self.clock_now(mid)).total_seconds()) - 60)
        self.assertEntity(self.server.call("GET", "/v2/balances", {"secretKey": old, "securityKey": security}),
                          "balance")
        self.server.advance_clock(mid, 120)
        err = self.assertError(self.server.call("GET", "/v2/balances", {"secretKey": old, "securityKey": security}),
                               401, "UNAUTHORIZED_KEY", encrypted=False)
        self.assertError(self.register(old, security), 401, "UNAUTHORIZED_KEY")
        self.assertEntity(self.server.call("GET", "/v2/balances", {"secretKey": new, "securityKey": security}),
                          "balance")
        self.assertEntity(self.register(new, security_new), "seller")

    def test_live_rotation_overlap(self):
        # Live runs on the real clock: both keys work now; 7 days cannot pass here.
        m = self.merchant()
        live = m["live"]
        issued = self.rotate_ok(m["mid"], "securityKey", env="live")
        until = kst(issued["previousKeyValidUntil"])
        delta = until - datetime.now(until.tzinfo)
        self.assertLess(abs(delta.total_seconds() - WEEK), 60)
        for key in (live["securityKey"], issued["key"]):
            r = self.register(live["secretKey"], key)
            self.assertEntity(r, "seller", encrypted=True)
        # The test environment still has its single key and may rotate.
        self.assertEntity(self.register(m["test"]["secretKey"], m["test"]["securityKey"]), "seller")
        self.assertError(self.register(m["test"]["secretKey"], issued["key"]), 400, "DECRYPTION_FAILED")
        self.rotate_ok(m["mid"], "securityKey", env="test")
        self.assertError(self.rotate(m["mid"], "securityKey", env="live"), 400, "INVALID_REQUEST")

    def test_rotation_refusals(self):
        m = self.merchant()
        mid = m["mid"]
        for body in ({"env": "test", "kind": "clientKey"}, {"env": "test"}, {"env": "test", "kind": None},
                     {"env": "prod", "kind": "securityKey"}, {"env": "test", "kind": "securityKey", "x": 1}):
            r = self.server.admin("POST", "/merchants/%s/keys" % mid, body)
            self.assertEqual(r.status, 400, (body, r))
        self.assertEqual(self.server.admin("POST", "/merchants/nosuch/keys",
                                           {"env": "test", "kind": "securityKey"}).status, 404)
        # Nothing was rotated: a re-issue is still possible, once.
        self.rotate_ok(mid, "securityKey")


if __name__ == "__main__":
    main()
