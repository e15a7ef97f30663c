"""Test harness for payoutd integration tests.

Starts the real payoutd binary on a free port with its own SQLite file,
creates merchants through `payoutd merchant create --json`, and talks HTTP
with urllib. The client side of JWE is python3-jwcrypto, an implementation
independent of payoutd's, so every encrypted exchange is an interop check.
"""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

from jwcrypto import jwe, jwk
from jwcrypto.common import json_encode

PAYOUTD = os.environ.get("PAYOUTD_BIN", "payoutd")
SOURCE_DIR = os.environ.get("PAY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_DIR = os.environ.get("PAY_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
KST = timezone(timedelta(hours=9))
TRACE_RE = re.compile(r"^[0-9a-f]{32}$")


def kst_now_iso():
    return datetime.now(KST).replace(microsecond=0).isoformat()


def seal(key_hex, payload, header=None, raw_header=None):
    """Seals payload (str/bytes/JSON-able) with jwcrypto as an integrator would."""
    if not isinstance(payload, (bytes, str)):
        payload = json.dumps(payload, ensure_ascii=False)
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(bytes.fromhex(key_hex)).rstrip(b"=").decode())
    protected = {"alg": "dir", "enc": "A256GCM", "iat": kst_now_iso(), "nonce": str(uuid.uuid4())}
    if header:
        protected.update(header)
    tok = jwe.JWE(payload, protected=raw_header if raw_header else json_encode(protected))
    tok.add_recipient(key)
    return tok.serialize(compact=True)


def open_token(key_hex, token):
    """Opens a token with jwcrypto; returns (protected header dict, plaintext bytes)."""
    key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(bytes.fromhex(key_hex)).rstrip(b"=").decode())
    tok = jwe.JWE()
    tok.deserialize(token.strip(), key=key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==").decode("utf-8"))
    return header, tok.payload


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.content_type = headers.get("Content-Type", "")
        self.json = None
        self.jwe_header = None

    def __repr__(self):
        return "Response(%d, %s, %r)" % (self.status, self.content_type, self.json or self.raw[:200])


class Server:
    """A payoutd process on a free loopback port."""

    def __init__(self, workdir=None, db=None, extra_args=None, demo=False, admin_token=None,
                 rate_limits=False, env=None, scheme="http", ssl_context=None):
        # env: extra environment variables for payoutd and `merchant create`
        # (e.g. PAYOUTD_MASTER_KEY); scheme/ssl_context: for a payoutd started
        # with --tls-cert/--tls-key.
        self.env = dict(env or {})
        self.scheme = scheme
        self.ssl_context = ssl_context
        self.admin_port = None
        self.workdir = workdir or tempfile.mkdtemp(prefix="payoutd-test-")
        self.admin_token = admin_token if admin_token is not None else "admin-" + uuid.uuid4().hex
        self.db = db or os.path.join(self.workdir, "payoutd.db")
        # Most tests send far more than 100 requests a minute with one key;
        # the rate-limit tests ask for the production limits explicitly.
        self.extra_args = ([] if rate_limits else ["--no-rate-limits"]) + list(extra_args or [])
        self.demo = demo
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.workdir, "payoutd.log")
        self.stdout_path = os.path.join(self.workdir, "payoutd.out")
        # Every secret this server has handed out. No log line and no
        # response (but the ones that issue keys) may ever contain one: the
        # whole suite checks this on every request and at every shutdown.
        self.secrets = set()
        if self.admin_token:
            self.secrets.add(self.admin_token)
        self.leaks = []

    def start(self, timeout=15):
        ready = os.path.join(self.workdir, "ready")
        if os.path.exists(ready):
            os.unlink(ready)
        args = [PAYOUTD, "--listen", "127.0.0.1:0", "--db", self.db, "--ready-file", ready]
        if not self.demo:
            args.append("--no-demo")
        args += self.extra_args
        self.log = open(self.log_path, "ab")
        self.out = open(self.stdout_path, "ab")
        env = dict(os.environ)
        env.pop("PAYOUTD_ADMIN_TOKEN", None)
        env.update(self.env)
        if self.admin_token:
            env["PAYOUTD_ADMIN_TOKEN"] = self.admin_token
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.log, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(ready):
                with open(ready) as f:
                    text = f.read().strip()
                if text:
                    # Line 1: the API port; line 2 (with --admin-listen): the admin port.
                    lines = text.split()
                    self.port = int(lines[0])
                    self.admin_port = int(lines[1]) if len(lines) > 1 else None
                    return self
            if self.proc.poll() is not None:
                raise RuntimeError("payoutd exited with %s: %s" % (self.proc.returncode, self.read_log()))
            time.sleep(0.02)
        raise RuntimeError("payoutd did not become ready: " + self.read_log())

    def stop(self, sig=signal.SIGTERM, check=True):
        """Stops payoutd; with check, a non-zero exit (a crash, or a leak or
        UB report from a sanitizer build) fails the test."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            self.out.close()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        if check and sig == signal.SIGTERM and rc not in (0, None):
            raise AssertionError("payoutd exited with %s:\n%s" % (rc, self.read_log()[-4000:]))
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def learn_secrets(self, obj):
        """Remembers every key in a merchant-creation or rotation answer."""
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in ("secretKey", "clientKey", "securityKey", "key") and isinstance(v, str):
                    self.secrets.add(v)
                else:
                    self.learn_secrets(v)

    def check_no_leak(self, where, text):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        for secret in self.secrets:
            if secret and secret in text:
                self.leaks.append("%s contains the secret %s...%s" % (where, secret[:10], secret[-4:]))

    def master_key_path(self):
        return self.db + ".master-key"

    def cleanup(self):
        self.stop()
        try:
            with open(self.master_key_path()) as f:
                self.secrets.add(f.read().strip())
        except OSError:
            pass
        self.check_no_leak("the server log", self.read_log())
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.leaks:
            raise AssertionError("secrets leaked:\n" + "\n".join(sorted(set(self.leaks))))

    @property
    def base(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    @property
    def admin_base(self):
        """The admin listener's base URL (--admin-listen), else the API's."""
        return "%s://127.0.0.1:%d" % (self.scheme, self.admin_port) if self.admin_port else self.base

    def create_merchant(self, contract=True, test_balance=None, mid=None):
        args = [PAYOUTD, "merchant", "create", "--db", self.db, "--json"]
        if not contract:
            args.append("--no-contract")
        if test_balance is not None:
            args += ["--test-balance", str(test_balance)]
        if mid:
            args += ["--mid", mid]
        env = dict(os.environ)
        env.update(self.env)
        out = subprocess.run(args, check=True, capture_output=True, timeout=30, env=env)
        merchant = json.loads(out.stdout)
        self.learn_secrets(merchant)
        return merchant

    def request(self, method, path, secret_key=None, body=None, headers=None, auth=None,
                content_type=None, timeout=30, issues_keys=False, base=None):
        """Raw HTTP; body is bytes/str; returns Response (JSON parsed when possible).
        base: another base URL of this server (e.g. admin_base)."""
        hdrs = dict(headers or {})
        if auth is not None:
            hdrs["Authorization"] = auth
        elif secret_key is not None:
            hdrs["Authorization"] = "Basic " + base64.b64encode((secret_key + ":").encode()).decode()
        data = None
        if body is not None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            hdrs.setdefault("Content-Type", content_type or "application/json")
        req = urllib.request.Request((base or self.base) + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.ssl_context) as r:
                resp = Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            resp = Response(e.code, e.headers, e.read())
        try:
            resp.json = json.loads(resp.raw.decode("utf-8"))
        except ValueError:
            pass
        if issues_keys and resp.json:
            self.learn_secrets(resp.json)
        else:
            self.check_no_leak("the answer to %s %s" % (method, path), resp.raw)
            self.check_no_leak("the headers of %s %s" % (method, path), str(dict(resp.headers)))
        return resp

    def admin(self, method, path, body=None, token=None):
        """An admin API call (bearer token, plain JSON), on the admin listener
        when there is one; returns Response."""
        hdrs = {"Authorization": "Bearer " + (token or self.admin_token)}
        data = None if body is None else json.dumps(body, ensure_ascii=False)
        issues = method == "POST" and (path == "/merchants" or path.endswith("/keys"))
        return self.request(method, "/admin/v1" + path, body=data, headers=hdrs, issues_keys=issues,
                            base=self.admin_base)

    def admin_ok(self, method, path, body=None):
        r = self.admin(method, path, body)
        if r.status != 200:
            raise AssertionError("admin %s %s -> %s" % (method, path, r))
        return r.json

    def trace(self, trace_id, timeout=5.0):
        """GET /admin/v1/traces/{trace_id}, polled: a request's entry is
        written when its connection completes, which may be just after the
        client has read the answer. Returns the Response (404 after timeout)."""
        deadline = time.time() + timeout
        while True:
            r = self.admin("GET", "/traces/" + trace_id)
            if r.status != 404 or time.time() > deadline:
                return r
            time.sleep(0.02)

    def set_clock(self, mid, when):
        """Sets a merchant's sandbox clock to an ISO time, e.g. 2026-12-09T10:00:00+09:00."""
        return self.admin_ok("POST", "/merchants/%s/clock" % mid, {"set": when})

    def advance_clock(self, mid, seconds):
        return self.admin_ok("POST", "/merchants/%s/clock" % mid, {"advanceSeconds": int(seconds)})

    def call(self, method, path, keys, payload=None, encrypted=None, headers=None, token=None):
        """An API call as an integrator makes it: seals payload with the security
        key when encrypted (default: whenever there is a payload), and opens an
        encrypted response, so resp.json is always the plaintext envelope."""
        if encrypted is None:
            encrypted = payload is not None or token is not None
        hdrs = dict(headers or {})
        body = None
        if encrypted:
            hdrs["TossPayments-api-security-mode"] = "ENCRYPTION"
            if token is None and payload is not None:
                token = seal(keys["securityKey"], payload)
            body = token
            if body is not None:
                hdrs.setdefault("Content-Type", "text/plain")
        elif payload is not None:
            body = json.dumps(payload, ensure_ascii=False)
        resp = self.request(method, path, keys["secretKey"], body=body, headers=hdrs)
        if resp.content_type.startswith("text/plain"):
            resp.jwe_header, plain = open_token(keys["securityKey"], resp.raw.decode("ascii"))
            resp.json = json.loads(plain.decode("utf-8"))
            self.check_no_leak("the decrypted answer to %s %s" % (method, path), plain)
        return resp


class ServerTestCase(unittest.TestCase):
    """Starts one payoutd per test class; merchants are created per test as needed."""

    server_args = []

    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def merchant(self, **kw):
        return self.server.create_merchant(**kw)

    def tearDown(self):
        # The ledger must balance after every test, whatever the test did.
        self.assertEqual(ledger_problems(self.server.db), [])

    def assertError(self, resp, status, code, encrypted=None):
        self.assertEqual(resp.status, status, resp)
        self.assertIsNotNone(resp.json, resp)
        self.assertEqual(resp.json["error"]["code"], code, resp.json)
        self.assertIsNone(resp.json["entityBody"])
        self.assertIsNone(resp.json["entityType"])
        self.assertEqual(resp.json["version"], "2022-11-16")
        self.assertRegex(resp.json["traceId"], TRACE_RE)
        self.assertEqual(resp.headers.get("X-TossPayments-Trace-Id"), resp.json["traceId"])
        if encrypted is True:
            self.assertTrue(resp.content_type.startswith("text/plain"), resp.content_type)
        elif encrypted is False:
            self.assertTrue(resp.content_type.startswith("application/json"), resp.content_type)
        return resp.json["error"]

    def assertEntity(self, resp, entity_type, encrypted=None):
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json["version"], "2022-11-16")
        self.assertEqual(resp.json["entityType"], entity_type)
        self.assertRegex(resp.json["traceId"], TRACE_RE)
        self.assertEqual(resp.headers.get("X-TossPayments-Trace-Id"), resp.json["traceId"])
        self.assertNotIn("error", resp.json)
        if encrypted is True:
            self.assertTrue(resp.content_type.startswith("text/plain"), resp.content_type)
            self.assertEqual(resp.jwe_header["alg"], "dir")
            self.assertEqual(resp.jwe_header["enc"], "A256GCM")
        elif encrypted is False:
            self.assertTrue(resp.content_type.startswith("application/json"), resp.content_type)
        return resp.json["entityBody"]


def main():
    unittest.main(verbosity=2)


# ---- database inspection (read-only; payoutd may be running) ----------------

import sqlite3  # noqa: E402

INTERNAL_ACCOUNTS = (1, 2, 3)  # available, pending, reserved (core/model.h)


def db_connect(db):
    return sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)


VOLATILE_COLUMNS = {"webhook_events": "seq, event_id, merchant_id, env, event_type, body, created_at_us"}
# Replay protection records every nonce it sees, refused requests included:
# bookkeeping, not business state.
BOOKKEEPING_TABLES = {"nonces"}


def db_snapshot(db):
    """Every row of every table, for 'nothing changed' assertions."""
    con = db_connect(db)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            if r[0] not in BOOKKEEPING_TABLES]
        snap = {}
        for t in tables:
            # The webhook sender updates delivery state in the background;
            # which events exist and what they say is what requests change.
            cols = VOLATILE_COLUMNS.get(t, "*")
            ncols = len(con.execute("SELECT %s FROM %s LIMIT 0" % (cols, t)).description)
            order = ", ".join(str(i + 1) for i in range(ncols))
            snap[t] = con.execute("SELECT %s FROM %s ORDER BY %s" % (cols, t, order)).fetchall()
        return snap
    finally:
        con.close()


def ledger_problems(db):
    """Checks the double-entry invariants over every merchant and environment;
    returns a list of problems (empty when the ledger balances)."""
    con = db_connect(db)
    problems = []
    try:
        scopes = con.execute("SELECT DISTINCT merchant_id, env FROM ledger_txns").fetchall()
        for mid, env in scopes:
            bal = dict(con.execute(
                "SELECT account, balance FROM ledger_accounts WHERE merchant_id=? AND env=?", (mid, env)))
            ent = dict(con.execute(
                "SELECT e.account, sum(e.amount) FROM ledger_entries e JOIN ledger_txns t ON t.id=e.txn_id "
                "WHERE t.merchant_id=? AND t.env=? GROUP BY e.account", (mid, env)))
            if sum(bal.values()) != 0:
                problems.append("scope %s/%s: balances sum to %d" % (mid, env, sum(bal.values())))
            for acct in set(bal) | set(ent):
                if bal.get(acct, 0) != ent.get(acct, 0):
                    problems.append("scope %s/%s account %s: balance %s != entries %s"
                                    % (mid, env, acct, bal.get(acct), ent.get(acct)))
                if acct in INTERNAL_ACCOUNTS and bal.get(acct, 0) < 0:
                    problems.append("scope %s/%s account %s negative" % (mid, env, acct))
            unbalanced = con.execute(
                "SELECT count(*) FROM (SELECT t.id FROM ledger_txns t JOIN ledger_entries e ON e.txn_id=t.id "
                "WHERE t.merchant_id=? AND t.env=? GROUP BY t.id HAVING sum(e.amount) <> 0)", (mid, env)).fetchone()[0]
            if unbalanced:
                problems.append("scope %s/%s: %d unbalanced transactions" % (mid, env, unbalanced))
        # reserved must equal the sum of unfinished payouts
        for mid, env in scopes:
            reserved = con.execute(
                "SELECT coalesce(balance,0) FROM ledger_accounts WHERE merchant_id=? AND env=? AND account=3",
                (mid, env)).fetchone()
            open_sum = con.execute(
                "SELECT coalesce(sum(amount),0) FROM payouts WHERE merchant_id=? AND env=? AND status IN (1,2)",
                (mid, env)).fetchone()[0]
            if (reserved[0] if reserved else 0) != open_sum:
                problems.append("scope %s/%s: reserved %s != open payouts %s"
                                % (mid, env, reserved[0] if reserved else 0, open_sum))
    finally:
        con.close()
    return problems


def next_weekday(days_ahead=7):
    """A KST date days_ahead from today moved to a Wednesday (never a weekend)."""
    d = datetime.now(KST).date() + timedelta(days=days_ahead)
    while d.weekday() != 2:
        d += timedelta(days=1)
    return d.isoformat()


def kst_today():
    return datetime.now(KST).date().isoformat()


# A pinned sandbox time for tests: Wednesday 2026-12-09 10:00 KST, a business
# day inside EXPRESS hours; the next Wednesday is a valid SCHEDULED date.
PINNED_NOW = "2026-12-09T10:00:00+09:00"
PINNED_TODAY = "2026-12-09"
PINNED_SCHEDULED = "2026-12-16"
