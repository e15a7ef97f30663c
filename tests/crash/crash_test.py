#!/usr/bin/python3
"""Crash test for payoutd: SIGKILL under load, restart, retry, audit.

Run by hand (the long form):

    /usr/bin/python3 tests/crash/crash_test.py --rounds 20 --seconds 3

CTest runs the same code in a short form (tests/crash/test_crash_short.py).

Each round:
  1. the merchant's sandbox clock is set to the next business day, 10:00 KST
     (this also lets the previous rounds' SCHEDULED payouts start and finish);
  2. client threads send a steady load of encrypted POST /v2/payouts (1-3
     items, unique refPayoutIds, mostly EXPRESS, some SCHEDULED) and POST
     /v2/sellers, each with its own Idempotency-Key, recording every attempt
     and every answer;
  3. at a random moment payoutd is killed with SIGKILL; requests cut off get
     connection errors;
  4. payoutd is restarted and every request without a final answer is
     retried with the SAME Idempotency-Key and a freshly sealed token (new
     iat and nonce); a sample of requests already answered 200 is re-sent
     too, and must replay the first answer byte for byte;
  5. the database is audited: every 200 is stored with exactly its answer's
     amounts and status (as moved on by the clock since), every refPayoutId
     and refSellerId is stored once, nothing is stored that no 200 reported,
     the ledger balances (ledger_problems(), no negative internal account,
     available + pending + reserved + paid_out == the initial funding,
     reserved == open payouts, paid_out == completed payouts);
  6. webhooks: some new sellers are approved (seller.changed), the clock is
     advanced so the round's EXPRESS payouts complete (payout.changed); in
     about half the rounds payoutd is SIGKILLed again while it applies those
     transitions and delivers; after the restart every event committed in
     webhook_events must reach the receiver (a real HTTP server kept up
     across rounds, which refuses ~10% of deliveries with 500 so retries run
     on the merchant clock, advanced here) and end DELIVERED; every completed
     payout has exactly one payout.changed event; a second delivery of an
     event after a crash is allowed (at-least-once) and counted.

A graceful-shutdown check runs once at the end: SIGTERM while the load runs
must exit 0, and every request answered 200 before the exit is on disk.

Exit status 0 when every round passed; on a failure the problems are printed
with the work directory (database, log) kept for inspection.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))
if "PAYOUTD_BIN" not in os.environ and os.path.exists(os.path.join(SOURCE, "build", "payoutd")):
    os.environ["PAYOUTD_BIN"] = os.path.join(SOURCE, "build", "payoutd")

import payoutd_harness as harness  # noqa: E402
from payoutd_harness import KST, Server, db_connect, ledger_problems  # noqa: E402

INITIAL_FUNDING = 10_000_000_000  # won, the test balance of the merchant
START_DAY = date(2026, 12, 9)     # a Wednesday; the calendar covers 2025-2028
MAGIC_AMOUNTS = {4001, 4002, 4003, 4009}  # sandbox bank-step outcomes (docs/sandbox.md)
STATUS = {1: "REQUESTED", 2: "IN_PROGRESS", 3: "COMPLETED", 4: "FAILED", 5: "CANCELED"}
SELLER_STATUS = {1: "APPROVAL_REQUIRED", 2: "PARTIALLY_APPROVED", 3: "KYC_REQUIRED", 4: "APPROVED"}
EVENT_STATUS = {0: "PENDING", 1: "DELIVERED", 2: "FAILED", 3: "NO_ENDPOINT"}
ACCT = {"available": 1, "pending": 2, "reserved": 3, "paid_out": 4, "funding": 5}
BANK_STEP_S = 300

# Connection-level failures: the request may or may not have run.
NETWORK_ERRORS = (OSError, http.client.HTTPException)


def log(*args):
    print(*args, flush=True)


# ---- the Korean business-day calendar (data/holidays-kr.tsv) ---------------

def load_closures():
    closed = set()
    with open(os.path.join(SOURCE, "data", "holidays-kr.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.strip() and not line.startswith("#"):
                closed.add(date.fromisoformat(line.split("\t")[0]))
    return closed


CLOSED = load_closures()


def business_day(d):
    return d.weekday() < 5 and d not in CLOSED


def next_business_day(d):
    d += timedelta(days=1)
    while not business_day(d):
        d += timedelta(days=1)
    return d


def kst_time(text):
    return datetime.fromisoformat(text)


# ---- the webhook receiver ---------------------------------------------------

class Receiver:
    """A webhook endpoint kept up across rounds and restarts. It refuses a
    share of deliveries with HTTP 500 so that payoutd's retries run; records
    every delivery, and which event ids it answered 200."""

    def __init__(self, fail_ratio=0.1, seed=0):
        self.fail_ratio = fail_ratio
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.deliveries = []   # (event_id, status answered, body bytes, headers)
        self.ok = {}           # event_id -> number of 200 answers
        self.bodies = {}       # event_id -> body bytes of the first 200
        self.refused = 0
        self.httpd = None

    def start(self):
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                try:
                    event_id = json.loads(body)["eventId"]
                except (ValueError, KeyError, TypeError):
                    event_id = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                with rx.lock:
                    status = 500 if rx.rng.random() < rx.fail_ratio else 200
                    rx.deliveries.append((event_id, status, body, headers))
                    if status == 200 and event_id:
                        rx.ok[event_id] = rx.ok.get(event_id, 0) + 1
                        rx.bodies.setdefault(event_id, body)
                    elif status != 200:
                        rx.refused += 1
                reply = b"ok" if status == 200 else b"try later"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                try:
                    self.wfile.write(reply)
                except OSError:
                    pass  # payoutd was killed while it waited for the answer

            def log_message(self, fmt, *args):
                pass

        class QuietServer(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender killed mid-request is expected here

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/hooks/crash" % self.httpd.server_address[1]

    def snapshot(self):
        with self.lock:
            return dict(self.ok), dict(self.bodies), list(self.deliveries), self.refused


def signature_ok(key_hex, body, t, header):
    want = hmac.new(bytes.fromhex(key_hex), body + b":" + t.encode(), hashlib.sha256).digest()
    for part in (header or "").split(","):
        part = part.strip()
        if part.startswith("v1:"):
            try:
                if hmac.compare_digest(base64.b64decode(part[3:]), want):
                    return True
            except ValueError:
                pass
    return False


# ---- requests and their attempts -------------------------------------------

class Req:
    """One logical request: its Idempotency-Key, its body and every attempt."""

    def __init__(self, kind, body, round_no):
        self.kind = kind            # "payout" | "seller"
        self.path = "/v2/payouts" if kind == "payout" else "/v2/sellers"
        self.body = body
        self.key = "crash-" + uuid.uuid4().hex
        self.round = round_no
        self.attempts = []          # dicts: phase, outcome (ok/http/net/bad), status, json, replayed
        self.first_ok = None        # the envelope of the first 200

    @property
    def final(self):
        return bool(self.attempts) and self.attempts[-1]["final"]

    @property
    def ok(self):
        return self.first_ok is not None


def is_final(status, body):
    """A final answer: the request was decided. 5xx, 409 and 429 are not (a
    retry with the same key is the documented way on)."""
    return status < 500 and status not in (409, 429)


def send(srv, keys, req, phase):
    """One attempt: seals the body afresh (new iat and nonce) with the same
    Idempotency-Key. Records and returns the attempt."""
    att = {"phase": phase, "t": time.time()}
    try:
        r = srv.call("POST", req.path, keys, req.body, headers={"Idempotency-Key": req.key})
    except NETWORK_ERRORS as e:
        att.update(outcome="net", error="%s: %s" % (type(e).__name__, e), final=False, status=None)
        req.attempts.append(att)
        return att
    except Exception as e:  # an answer that does not open, or is not JSON: a bug
        att.update(outcome="bad", error="%s: %s" % (type(e).__name__, e), final=False, status=None)
        req.attempts.append(att)
        return att
    att.update(outcome="http", status=r.status, json=r.json,
               replayed=r.headers.get("Idempotent-Replayed") == "true",
               trace=r.headers.get("X-TossPayments-Trace-Id"),
               final=r.json is not None and is_final(r.status, r.json))
    req.attempts.append(att)
    if r.status == 200 and req.first_ok is None:
        req.first_ok = r.json
    return att


# ---- the test run ------------------------------------------------------------

class RoundFailed(AssertionError):
    pass


class CrashTest:
    def __init__(self, rounds=3, seconds=1.5, clients=4, seed=None, keep=False, quiet=False,
                 webhook_kill_ratio=0.5):
        self.rounds = rounds
        self.seconds = seconds
        self.clients = clients
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.keep = keep
        self.quiet = quiet
        self.webhook_kill_ratio = webhook_kill_ratio
        self.requests = []          # every Req of the run
        self.lock = threading.Lock()
        self.payouts = {}           # payout id -> item dict of its first 200 answer
        self.sellers = {}           # seller id -> entityBody of its first 200
        self.approved = []          # seller ids APPROVED (payable without limit)
        self.to_approve = []        # registered in the load, approved in the webhook phase
        self.approvals = 0          # seller.changed events expected
        self.day = START_DAY
        self.totals = {}
        self.rows = []
        self.unexpected_exits = []
        self.events_seen = 0        # events in the outbox after the last round
        self.dups_seen = 0          # duplicate deliveries seen by the last round

    # -- helpers --

    def say(self, *args):
        if not self.quiet:
            log(*args)

    def clock_now(self):
        return kst_time(self.srv.admin_ok("GET", "/merchants/%s/clock" % self.mid)["now"])

    def restart(self):
        self.srv.start()

    def kill(self):
        """SIGKILL; notes if payoutd had already died on its own."""
        if self.srv.proc and self.srv.proc.poll() is not None:
            self.unexpected_exits.append("payoutd exited by itself with %s before the kill"
                                         % self.srv.proc.returncode)
        return self.srv.stop(signal.SIGKILL, check=False)

    def amount(self):
        while True:
            a = self.rng.choice([self.rng.randint(1000, 9999), self.rng.randint(10000, 99999)])
            if a not in MAGIC_AMOUNTS:
                return a

    def new_seller_body(self, rng):
        return {"refSellerId": "cr" + uuid.uuid4().hex[:16], "businessType": "CORPORATE",
                "company": {"name": "크래시상호", "representativeName": "대표",
                            "businessRegistrationNumber": "1234567890",
                            "email": "crash@example.com", "phone": "0212345678"},
                "account": {"bankCode": "092", "accountNumber": "1234567890%d" % rng.randint(0, 9),
                            "holderName": "크래시상호"}}

    def new_payout_body(self, rng):
        items = []
        for _ in range(rng.randint(1, 3)):
            while True:
                a = rng.choice([rng.randint(1000, 9999), rng.randint(10000, 99999)])
                if a not in MAGIC_AMOUNTS:
                    break
            it = {"refPayoutId": "cp-" + uuid.uuid4().hex, "destination": rng.choice(self.approved),
                  "scheduleType": "EXPRESS", "amount": {"currency": "KRW", "value": a},
                  "transactionDescription": "정산"}
            if rng.random() < 0.2:
                it["scheduleType"] = "SCHEDULED"
                it["payoutDate"] = next_business_day(self.day).isoformat()
            items.append(it)
        return items

    # -- setup --

    def setup(self):
        self.rx = Receiver(fail_ratio=0.1, seed=self.seed).start()
        self.srv = Server(extra_args=["--log-level", "warn"])
        self.srv.start()
        self.merchant = self.srv.create_merchant(test_balance=INITIAL_FUNDING)
        self.mid, self.keys = self.merchant["mid"], self.merchant["test"]
        con = db_connect(self.srv.db)
        self.merchant_id = con.execute("SELECT id FROM merchants WHERE mid = ?", (self.mid,)).fetchone()[0]
        con.close()
        self.srv.admin_ok("PUT", "/merchants/%s/webhook" % self.mid, {"env": "test", "url": self.rx.url})
        self.srv.set_clock(self.mid, "%sT10:00:00+09:00" % self.day.isoformat())
        rng = random.Random(self.seed + 1)
        for _ in range(8):
            r = Req("seller", self.new_seller_body(rng), 0)
            att = send(self.srv, self.keys, r, "setup")
            if att.get("status") != 200:
                raise AssertionError("setup: seller registration failed: %r" % att)
            self.requests.append(r)
            self.note_seller(r)
            self.approve(r.first_ok["entityBody"]["id"])

    def approve(self, sid):
        body = self.srv.admin_ok("POST", "/merchants/%s/sellers/%s/approve-kyc" % (self.mid, sid),
                                 {"env": "test"})
        if body["status"] != "APPROVED":
            raise AssertionError("approve-kyc %s -> %r" % (sid, body))
        self.approvals += 1
        self.approved.append(sid)

    def note_seller(self, r):
        self.sellers.setdefault(r.first_ok["entityBody"]["id"], r.first_ok["entityBody"])

    # -- load --

    def client(self, idx, round_no, stop, pending):
        rng = random.Random("%d-%d-%d" % (self.seed, round_no, idx))
        while not stop.is_set():
            if rng.random() < 0.2:
                r = Req("seller", self.new_seller_body(rng), round_no)
            else:
                r = Req("payout", self.new_payout_body(rng), round_no)
            att = send(self.srv, self.keys, r, "load")
            with self.lock:
                self.requests.append(r)
                if not att["final"]:
                    pending.append(r)
            if att["outcome"] == "net":
                time.sleep(0.01)  # payoutd is down: do not spin

    def run_load(self, round_no, kill):
        """Load for self.seconds; kill (SIGKILL/SIGTERM callable) at a random
        moment within it. Returns the requests left without a final answer."""
        stop = threading.Event()
        pending = []
        threads = [threading.Thread(target=self.client, args=(i, round_no, stop, pending), daemon=True)
                   for i in range(self.clients)]
        for t in threads:
            t.start()
        time.sleep(self.rng.uniform(0.3, 0.95) * self.seconds)
        result = kill()
        stop.set()
        for t in threads:
            t.join(60)
            if t.is_alive():
                raise AssertionError("a client thread is stuck 60 s after the stop")
        return pending, result

    def retry_all(self, pending, phase="retry"):
        """Retries every request without a final answer, same key, fresh
        token, until it gets one (a few attempts at most)."""
        left = []
        for r in pending:
            for n in range(8):
                att = send(self.srv, self.keys, r, phase)
                if att["final"]:
                    break
                time.sleep(0.1 * (n + 1))
            else:
                left.append(r)
        return left

    def replay_sample(self, reqs, n):
        """Re-sends n requests that already got their 200 (same key, new
        token); each must replay the first answer."""
        done = [r for r in reqs if r.ok]
        sample = self.rng.sample(done, min(n, len(done)))
        for r in sample:
            send(self.srv, self.keys, r, "replay")
        return sample

    # -- audits --

    def check_requests(self, reqs, problems):
        """Every request ended with a 200, and every 200 of one key is the
        same answer (retries and replays return the first result)."""
        for r in reqs:
            oks = [a for a in r.attempts if a["outcome"] == "http" and a["status"] == 200]
            bad = [a for a in r.attempts if a["outcome"] == "bad" or
                   (a["outcome"] == "http" and a["status"] != 200)]
            for a in bad:
                # A 5xx is allowed only as a v2 STORAGE_UNAVAILABLE or
                # SERVER_SHUTTING_DOWN (a request begun after SIGTERM on a kept
                # connection); any other non-200 is a bug here: every request
                # of this test is valid.
                if a["outcome"] == "http" and a["status"] == 503 and \
                        (a["json"] or {}).get("error", {}).get("code") in ("STORAGE_UNAVAILABLE",
                                                                            "SERVER_SHUTTING_DOWN"):
                    continue
                problems.append("%s key=%s attempt (%s) answered %s %s: %s" % (
                    r.kind, r.key, a["phase"], a.get("status"), a.get("error", ""),
                    json.dumps(a.get("json"), ensure_ascii=False)[:400]))
            if not oks:
                problems.append("%s key=%s never got a 200 (%d attempts: %s)" % (
                    r.kind, r.key, len(r.attempts),
                    ", ".join("%s/%s" % (a["phase"], a.get("status") or a.get("error")) for a in r.attempts)))
                continue
            first = oks[0]["json"]
            for a in oks[1:]:
                if a["json"] != first:
                    problems.append("%s key=%s: a later 200 (%s) differs from the first:\n  first %s\n  later %s" % (
                        r.kind, r.key, a["phase"], json.dumps(first, ensure_ascii=False)[:600],
                        json.dumps(a["json"], ensure_ascii=False)[:600]))
                if not a["replayed"]:
                    problems.append("%s key=%s: a second 200 (%s) is not marked Idempotent-Replayed"
                                    % (r.kind, r.key, a["phase"]))
            if r.kind == "payout":
                items = first["entityBody"]["items"]
                if [i["refPayoutId"] for i in items] != [i["refPayoutId"] for i in r.body]:
                    problems.append("payout key=%s: answered refPayoutIds %s for %s" % (
                        r.key, [i["refPayoutId"] for i in items], [i["refPayoutId"] for i in r.body]))
                for sent, got in zip(r.body, items):
                    want_status = "IN_PROGRESS" if sent["scheduleType"] == "EXPRESS" else "REQUESTED"
                    if got["amount"]["value"] != sent["amount"]["value"] or got["status"] != want_status \
                            or got["destination"] != sent["destination"]:
                        problems.append("payout key=%s: answer %s for the item %s" % (
                            r.key, json.dumps(got, ensure_ascii=False), json.dumps(sent, ensure_ascii=False)))
                    self.payouts.setdefault(got["id"], got)
            else:
                body = first["entityBody"]
                if body["refSellerId"] != r.body["refSellerId"] or body["status"] != "PARTIALLY_APPROVED":
                    problems.append("seller key=%s: answer %s" % (r.key, json.dumps(body, ensure_ascii=False)))
                self.sellers.setdefault(body["id"], body)

    def expected_status(self, p, now):
        """The status a payout must have at merchant time now (no magic
        amounts or accounts: every bank step completes)."""
        if p["scheduleType"] == "EXPRESS":
            start = kst_time(p["requestedAt"])
        else:
            d = date.fromisoformat(p["payoutDate"])
            start = datetime(d.year, d.month, d.day, 8, 0, tzinfo=KST)
            if now < start:
                return "REQUESTED"
        return "COMPLETED" if now >= start + timedelta(seconds=BANK_STEP_S) else "IN_PROGRESS"

    def audit_db(self, problems, now):
        """The database against every 200 of the run, and the ledger."""
        con = db_connect(self.srv.db)
        try:
            scope = (self.merchant_id, 0)
            rows = {r[0]: r for r in con.execute(
                "SELECT id, ref_payout_id, destination, amount, status, schedule_type FROM payouts "
                "WHERE merchant_id = ? AND env = ?", scope)}
            dups = con.execute("SELECT ref_payout_id, count(*) FROM payouts WHERE merchant_id = ? AND env = ? "
                               "GROUP BY ref_payout_id HAVING count(*) > 1", scope).fetchall()
            if dups:
                problems.append("refPayoutIds stored more than once: %s" % dups[:10])
            for pid, p in self.payouts.items():
                row = rows.get(pid)
                if row is None:
                    problems.append("payout %s (%s, %s won) was answered 200 but is not in the database"
                                    % (pid, p["refPayoutId"], p["amount"]["value"]))
                    continue
                want = self.expected_status(p, now)
                if (row[1], row[2], row[3]) != (p["refPayoutId"], p["destination"], int(p["amount"]["value"])):
                    problems.append("payout %s: stored %r, answered %s" % (pid, row, json.dumps(p, ensure_ascii=False)))
                if STATUS.get(row[4]) != want:
                    problems.append("payout %s (%s, requested %s): status %s, expected %s at %s" % (
                        pid, p["scheduleType"], p["requestedAt"], STATUS.get(row[4]), want, now.isoformat()))
            extra = set(rows) - set(self.payouts)
            if extra:
                problems.append("%d payout(s) in the database that no 200 reported (money moved "
                                "without an answer): %s" % (len(extra), sorted(extra)[:5]))
            srows = {r[0]: r for r in con.execute(
                "SELECT id, ref_seller_id, status FROM sellers WHERE merchant_id = ? AND env = ?", scope)}
            for sid, s in self.sellers.items():
                row = srows.get(sid)
                if row is None:
                    problems.append("seller %s (%s) was answered 200 but is not in the database"
                                    % (sid, s["refSellerId"]))
                elif row[1] != s["refSellerId"]:
                    problems.append("seller %s: stored ref %s, answered %s" % (sid, row[1], s["refSellerId"]))
            extra = set(srows) - set(self.sellers)
            if extra:
                problems.append("%d seller(s) in the database that no 200 reported: %s"
                                % (len(extra), sorted(extra)[:5]))
            # The ledger.
            problems.extend("ledger: " + p for p in ledger_problems(self.srv.db))
            bal = dict(con.execute("SELECT account, balance FROM ledger_accounts WHERE merchant_id = ? "
                                   "AND env = ?", scope))
            b = {name: bal.get(a, 0) for name, a in ACCT.items()}
            for name in ("available", "pending", "reserved"):
                if b[name] < 0:
                    problems.append("ledger: %s is negative: %d" % (name, b[name]))
            total = b["available"] + b["pending"] + b["reserved"] + b["paid_out"]
            if total != INITIAL_FUNDING or b["funding"] != -INITIAL_FUNDING:
                problems.append("ledger: available %d + pending %d + reserved %d + paid_out %d = %d, "
                                "funding %d; the initial funding was %d" % (
                                    b["available"], b["pending"], b["reserved"], b["paid_out"], total,
                                    b["funding"], INITIAL_FUNDING))
            by = {"open": 0, "done": 0, "all": 0}
            for pid, p in self.payouts.items():
                v = int(p["amount"]["value"])
                st = STATUS.get(rows[pid][4]) if pid in rows else None
                by["all"] += v
                if st in ("REQUESTED", "IN_PROGRESS"):
                    by["open"] += v
                elif st == "COMPLETED":
                    by["done"] += v
            if b["reserved"] != by["open"] or b["paid_out"] != by["done"] or \
                    b["available"] != INITIAL_FUNDING - by["all"]:
                problems.append("ledger: reserved %d / paid_out %d / available %d, but the answered "
                                "payouts say %d open, %d completed, %d paid in all (available should be %d)" % (
                                    b["reserved"], b["paid_out"], b["available"], by["open"], by["done"],
                                    by["all"], INITIAL_FUNDING - by["all"]))
            ic = con.execute("PRAGMA integrity_check").fetchone()[0]
            if ic != "ok":
                problems.append("PRAGMA integrity_check: %s" % ic)
            self.balances = b
        finally:
            con.close()

    def events(self):
        con = db_connect(self.srv.db)
        try:
            return con.execute(
                "SELECT event_id, event_type, body, status, attempts, next_attempt_at_us FROM webhook_events "
                "WHERE merchant_id = ? AND env = 0 ORDER BY seq", (self.merchant_id,)).fetchall()
        finally:
            con.close()

    def wait_transitions(self, problems, timeout=20.0):
        """Waits until no payout is left whose next step is due by the
        merchant clock (after a crash the scheduler catches up by itself)."""
        deadline = time.time() + timeout
        while True:
            now_us = int(self.clock_now().timestamp() * 1_000_000)
            con = db_connect(self.srv.db)
            try:
                due = con.execute("SELECT count(*) FROM payouts WHERE merchant_id = ? AND env = 0 "
                                  "AND status IN (1, 2) AND due_at_us <= ?",
                                  (self.merchant_id, now_us)).fetchone()[0]
            finally:
                con.close()
            if not due:
                return
            if time.time() > deadline:
                problems.append("%d payout step(s) due by the merchant clock still not applied after %.0f s"
                                % (due, timeout))
                return
            time.sleep(0.1)

    def settle_webhooks(self, problems, timeout=60.0):
        """Waits until every committed event is DELIVERED and reached the
        receiver, moving the merchant clock to the next retry when one is
        waiting for it. Returns the events."""
        deadline = time.time() + timeout
        while True:
            evs = self.events()
            ok, _, _, _ = self.rx.snapshot()
            waiting = [e for e in evs if e[3] != 1]
            missing = [e for e in evs if e[0] not in ok]
            dead = [e for e in evs if e[3] in (2, 3)]
            if dead:
                problems.append("webhook events gave up: %s" % [(e[0], EVENT_STATUS[e[3]], e[4]) for e in dead][:5])
                return evs
            if not waiting and not missing:
                return evs
            if time.time() > deadline:
                problems.append("after %.0f s, %d event(s) not DELIVERED and %d never received: %s" % (
                    timeout, len(waiting), len(missing),
                    [(e[0], EVENT_STATUS[e[3]], e[4]) for e in (waiting or missing)][:5]))
                return evs
            now = self.clock_now()
            now_us = int(now.timestamp() * 1_000_000)
            due = [e for e in waiting if e[5] <= now_us]
            if waiting and not due:
                ahead = (min(e[5] for e in waiting) - now_us) / 1e6
                self.srv.advance_clock(self.mid, int(ahead) + 1)
            time.sleep(0.1)

    def audit_events(self, evs, problems):
        """Exactly one payout.changed per completed payout, one
        seller.changed per approval; the receiver got every event, with a
        valid signature and the stored body."""
        ok, bodies, deliveries, _ = self.rx.snapshot()
        per_payout = {}
        sellers = 0
        ids = set()
        for event_id, etype, body, status, attempts, _ in evs:
            ids.add(event_id)
            b = json.loads(body)
            if etype == "payout.changed":
                per_payout.setdefault(b["entityBody"]["id"], []).append(b["entityBody"]["status"])
            elif etype == "seller.changed":
                sellers += 1
            if event_id in bodies and bodies[event_id] != body.encode("utf-8"):
                problems.append("event %s: the receiver got a body different from the stored one" % event_id)
        con = db_connect(self.srv.db)
        try:
            done = {r[0] for r in con.execute("SELECT id FROM payouts WHERE merchant_id = ? AND env = 0 "
                                              "AND status = 3", (self.merchant_id,))}
        finally:
            con.close()
        for pid in done:
            got = per_payout.get(pid, [])
            if got != ["COMPLETED"]:
                problems.append("payout %s is COMPLETED with payout.changed events %s (expected exactly one)"
                                % (pid, got))
        for pid in set(per_payout) - done:
            problems.append("payout.changed for %s (%s), which is not COMPLETED in the database"
                            % (pid, per_payout[pid]))
        if sellers != self.approvals:
            problems.append("%d seller.changed events for %d approvals" % (sellers, self.approvals))
        stray = set(ok) - ids
        if stray:
            problems.append("the receiver got events that are not in the database: %s" % sorted(stray)[:5])
        for event_id, status, body, headers in deliveries:
            if not signature_ok(self.keys["securityKey"], body,
                                headers.get("tosspayments-webhook-transmission-time", ""),
                                headers.get("tosspayments-webhook-signature")):
                problems.append("delivery of %s: the signature does not verify" % event_id)
                break
        return sum(n - 1 for n in ok.values() if n > 1)

    # -- one round --

    def round(self, no):
        t0 = time.time()
        problems = []
        stats = {"requests": 0, "ok": 0, "net": 0, "crashes": 0, "retried": 0, "recovered": 0,
                 "replays": 0, "payouts": 0, "events": 0, "dups": 0}
        # 1. a new business day, 10:00 KST
        now = self.clock_now()
        d = max(self.day, now.date())
        self.day = next_business_day(d) if no > 1 or d > START_DAY else START_DAY
        self.srv.set_clock(self.mid, "%sT10:00:00+09:00" % self.day.isoformat())
        before = len(self.requests)
        # 2-3. load, SIGKILL at a random moment
        pending, _ = self.run_load(no, self.kill)
        stats["crashes"] += 1
        reqs = self.requests[before:]
        stats["net"] = sum(1 for r in reqs for a in r.attempts if a["outcome"] == "net")
        # 4. restart, retry with the same keys, replay a sample
        self.restart()
        stats["retried"] = len(pending)
        left = self.retry_all(pending)
        if left:
            problems.append("%d request(s) still without an answer after 8 retries" % len(left))
        stats["recovered"] = sum(1 for r in pending for a in r.attempts
                                 if a["phase"] == "retry" and a.get("replayed"))
        stats["replays"] = len(self.replay_sample(reqs, 10))
        # 5. audit
        self.check_requests(reqs, problems)
        self.audit_db(problems, self.clock_now())
        stats["requests"] = len(reqs)
        stats["ok"] = sum(1 for r in reqs for a in r.attempts if a.get("status") == 200)
        stats["payouts"] = sum(len(r.first_ok["entityBody"]["items"]) for r in reqs
                               if r.kind == "payout" and r.ok)
        # 6. webhooks: approvals, bank steps, maybe a crash in the middle
        new_sellers = [r.first_ok["entityBody"]["id"] for r in reqs if r.kind == "seller" and r.ok]
        for sid in self.rng.sample(new_sellers, min(2, len(new_sellers))):
            self.approve(sid)
        target = self.clock_now() + timedelta(seconds=BANK_STEP_S + 60)
        advance = threading.Thread(target=self.try_advance, args=(BANK_STEP_S + 60,), daemon=True)
        advance.start()
        if self.rng.random() < self.webhook_kill_ratio:
            time.sleep(self.rng.uniform(0.0, 0.4))
            self.kill()
            stats["crashes"] += 1
            advance.join(30)
            self.restart()
            now = self.clock_now()
            if now < target:  # the move of the clock may not have committed
                self.srv.advance_clock(self.mid, int((target - now).total_seconds()) + 1)
        advance.join(30)
        self.wait_transitions(problems)
        evs = self.settle_webhooks(problems)
        dups = self.audit_events(evs, problems)
        stats["dups"], self.dups_seen = dups - self.dups_seen, dups
        stats["events"], self.events_seen = len(evs) - self.events_seen, len(evs)
        self.audit_db(problems, self.clock_now())
        problems.extend(self.unexpected_exits)
        self.unexpected_exits = []
        stats["seconds"] = time.time() - t0
        return stats, problems

    def try_advance(self, seconds):
        try:
            self.srv.advance_clock(self.mid, seconds)
        except (AssertionError,) + NETWORK_ERRORS:
            pass  # killed under it

    # -- SIGTERM under load --

    def graceful_check(self):
        """SIGTERM while the load runs: exit code 0, every 200 on disk."""
        problems = []
        saved = (self.srv, self.mid, self.keys, self.merchant_id, self.approved, self.payouts,
                 self.sellers, self.requests, self.day)
        srv = Server(extra_args=["--log-level", "warn"])
        srv.start()
        try:
            m = srv.create_merchant(test_balance=INITIAL_FUNDING)
            self.srv, self.mid, self.keys = srv, m["mid"], m["test"]
            con = db_connect(srv.db)
            self.merchant_id = con.execute("SELECT id FROM merchants WHERE mid = ?", (self.mid,)).fetchone()[0]
            con.close()
            self.approved, self.payouts, self.sellers, self.requests = [], {}, {}, []
            self.day = START_DAY
            srv.set_clock(self.mid, "%sT10:00:00+09:00" % self.day.isoformat())
            rng = random.Random(self.seed + 2)
            for _ in range(4):
                r = Req("seller", self.new_seller_body(rng), 0)
                if send(srv, self.keys, r, "setup").get("status") != 200:
                    raise AssertionError("setup: seller registration failed")
                self.requests.append(r)
                self.note_seller(r)
                self.srv.admin_ok("POST", "/merchants/%s/sellers/%s/approve-kyc"
                                  % (self.mid, r.first_ok["entityBody"]["id"]), {"env": "test"})
                self.approved.append(r.first_ok["entityBody"]["id"])
            result = {}

            def term():
                t = time.time()
                result["rc"] = srv.stop(signal.SIGTERM, check=False)
                result["took"] = time.time() - t

            pending, _ = self.run_load(1000, term)
            reqs = list(self.requests)
            if result["rc"] != 0:
                problems.append("SIGTERM under load: payoutd exited with %s (expected 0); log tail:\n%s"
                                % (result["rc"], srv.read_log()[-3000:]))
            # With payoutd stopped: every 200 answered before the exit is on disk.
            answered = {}
            for r in reqs:
                if r.ok and r.kind == "payout":
                    for it in r.first_ok["entityBody"]["items"]:
                        answered[it["id"]] = it
            con = db_connect(srv.db)
            stored = {row[0]: row for row in con.execute("SELECT id, amount FROM payouts")}
            con.close()
            lost = [pid for pid in answered if pid not in stored]
            if lost:
                problems.append("SIGTERM: %d payout(s) answered 200 before the exit are not on disk: %s"
                                % (len(lost), lost[:5]))
            stats = {"requests": len(reqs), "ok": sum(1 for r in reqs if r.ok), "pending": len(pending),
                     "payouts_on_disk": len(stored), "took": result.get("took", 0)}
            # Then: restart, retry what had no answer, audit as usual.
            srv.start()
            left = self.retry_all(pending)
            if left:
                problems.append("SIGTERM: %d request(s) still without an answer after retries" % len(left))
            self.check_requests(reqs, problems)
            self.audit_db(problems, self.clock_now())
            return stats, problems
        finally:
            if problems and self.keep:
                srv.stop(check=False)
                log("graceful check: work directory kept: %s" % srv.workdir)
            else:
                try:
                    srv.cleanup()
                except AssertionError as e:
                    problems.append(str(e))
            (self.srv, self.mid, self.keys, self.merchant_id, self.approved, self.payouts,
             self.sellers, self.requests, self.day) = saved

    # -- the whole run --

    def run(self, graceful=True):
        """Runs every round and the graceful check; returns (rows, totals,
        problems) and prints a summary."""
        self.say("crash test: %d round(s) of %.1f s, %d clients, seed %d, payoutd %s"
                 % (self.rounds, self.seconds, self.clients, self.seed, harness.PAYOUTD))
        self.setup()
        all_problems = []
        keys = ("requests", "ok", "net", "crashes", "retried", "recovered", "replays", "payouts",
                "events", "dups")
        totals = dict.fromkeys(keys, 0)
        try:
            for no in range(1, self.rounds + 1):
                stats, problems = self.round(no)
                for k in keys:
                    totals[k] += stats[k]
                self.rows.append(stats)
                self.say("round %2d: requests %4d  200s %4d  conn-errors %3d  crashes %d  retried %3d "
                         "(committed before the crash %2d)  replays %2d  payouts %4d  events %4d  "
                         "dup-deliveries %d  %.1fs%s" % (
                             no, stats["requests"], stats["ok"], stats["net"], stats["crashes"],
                             stats["retried"], stats["recovered"], stats["replays"], stats["payouts"],
                             stats["events"], stats["dups"], stats["seconds"],
                             "  PROBLEMS %d" % len(problems) if problems else ""))
                for p in problems[:30]:
                    self.say("    - " + p)
                if problems:
                    all_problems.extend("round %d: %s" % (no, p) for p in problems)
                    break
            b = self.balances
            totals["payouts_in_db"] = len(self.payouts)
            totals["sellers_in_db"] = len(self.sellers)
            _, _, deliveries, refused = self.rx.snapshot()
            totals["deliveries"] = len(deliveries)
            totals["refused_deliveries"] = refused
            self.say("totals: rounds %d  requests %d  200s %d  conn-errors %d  crashes %d  retried %d "
                     "(committed before the crash %d)  replays %d  payouts %d  sellers %d  events %d "
                     "(deliveries %d, refused by the receiver %d, duplicates %d)" % (
                         len(self.rows), totals["requests"], totals["ok"], totals["net"], totals["crashes"],
                         totals["retried"], totals["recovered"], totals["replays"], totals["payouts_in_db"],
                         totals["sellers_in_db"], totals["events"], totals["deliveries"],
                         totals["refused_deliveries"], totals["dups"]))
            self.say("ledger: available %d + pending %d + reserved %d + paid_out %d = %d (funding %d)" % (
                b["available"], b["pending"], b["reserved"], b["paid_out"],
                b["available"] + b["pending"] + b["reserved"] + b["paid_out"], INITIAL_FUNDING))
            if graceful and not all_problems:
                gstats, gproblems = self.graceful_check()
                self.say("graceful shutdown under load: requests %d  200s %d  cut off %d  payouts on disk %d  "
                         "SIGTERM to exit %.2fs%s" % (gstats["requests"], gstats["ok"], gstats["pending"],
                                                      gstats["payouts_on_disk"], gstats["took"],
                                                      "  PROBLEMS %d" % len(gproblems) if gproblems else ""))
                for p in gproblems[:30]:
                    self.say("    - " + p)
                all_problems.extend("graceful: " + p for p in gproblems)
            return self.rows, totals, all_problems
        finally:
            self.rx.stop()
            if all_problems and self.keep:
                self.srv.stop(check=False)
                self.say("work directory kept: %s (payoutd.db, payoutd.log)" % self.srv.workdir)
            else:
                try:
                    self.srv.cleanup()
                except AssertionError as e:
                    all_problems.append(str(e))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=3.0, help="load per round before the kill window ends")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--payoutd", help="the payoutd binary (default $PAYOUTD_BIN or build/payoutd)")
    ap.add_argument("--no-graceful", action="store_true", help="skip the SIGTERM check")
    args = ap.parse_args(argv)
    if args.payoutd:
        harness.PAYOUTD = args.payoutd
    test = CrashTest(rounds=args.rounds, seconds=args.seconds, clients=args.clients, seed=args.seed,
                     keep=True)
    _, _, problems = test.run(graceful=not args.no_graceful)
    if problems:
        log("FAILED: %d problem(s); seed %d" % (len(problems), test.seed))
        return 1
    log("PASSED (seed %d)" % test.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
