"""Webhooks (spec §4.11, §8.9, §10 #6, #14, #15) end to end: a real HTTP
receiver started here receives payoutd's deliveries; every body, header and
signature is checked independently (hmac/hashlib/base64), and the delivery
states are read back through the admin API. Time in business terms is moved
with the merchant's sandbox clock; real time is only spent polling for a
delivery (a few seconds at most)."""
import base64
import hashlib
import hmac
import json
import re
import threading
import time
import unittest
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, main

KST_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
EVENT_ID_RE = re.compile(r"^\S{1,64}$")
ENVELOPE_KEYS = ["eventType", "createdAt", "version", "eventId", "entityType", "entityBody"]
RETRY_MINUTES = [1, 4, 16, 64, 256, 1024, 4096]
WAIT = 6.0  # seconds of real time to wait for a delivery


def kst(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def hmac_values(key_bytes, body, transmission_time):
    return hmac.new(key_bytes, body + b":" + transmission_time.encode("ascii"), hashlib.sha256).digest()


def signature_matches(key_bytes, body, transmission_time, header):
    """Spec §4.11: split on ',', strip 'v1:', base64-decode, compare with
    HMAC-SHA256(key, body + ':' + time); any match is valid."""
    want = hmac_values(key_bytes, body, transmission_time)
    for part in header.split(","):
        part = part.strip()
        if not part.startswith("v1:"):
            continue
        try:
            got = base64.b64decode(part[3:], validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(got, want):
            return True
    return False


class Receiver:
    """A webhook endpoint on 127.0.0.1: records every request (method, path,
    headers, raw body) and answers with `status`; can be stopped (connection
    refused) and started again on the same port."""

    def __init__(self, status=200):
        self.status = status
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None
        self.thread = None
        self.port = 0

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with receiver.lock:
                    receiver.requests.append({
                        "method": self.command, "path": self.path, "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "received": time.time(),
                    })
                    status = receiver.status
                reply = b"ok"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_GET = do_PUT = handle_any

            def log_message(self, fmt, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)
            self.httpd = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/hooks/toss" % self.port

    def received(self):
        with self.lock:
            return list(self.requests)

    def wait_for(self, count, timeout=WAIT):
        """Waits until at least count requests arrived; returns them all."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.received()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError("receiver got %d request(s), expected %d within %.1fs"
                             % (len(self.received()), count, timeout))


def ref(prefix):
    return prefix + uuid.uuid4().hex[:12]


def corporate(account="12345678990123"):
    return {"refSellerId": ref("c-"), "businessType": "CORPORATE",
            "company": {"name": "테스트 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "toss@sample.com",
                        "phone": "01012345678"},
            "account": {"bankCode": "092", "accountNumber": account, "holderName": "김토스"},
            "metadata": {"key1": "value1"}}


def individual():
    return {"refSellerId": ref("i-"), "businessType": "INDIVIDUAL",
            "individual": {"name": "김기원", "email": "noreply@example.com", "phone": "01012345678"},
            "account": {"bankCode": "004", "accountNumber": "049210482003", "holderName": "김기원"}}


def item(dest, amount=5000, schedule="EXPRESS", payout_date=None):
    it = {"refPayoutId": ref("p-"), "destination": dest, "scheduleType": schedule,
          "amount": {"currency": "KRW", "value": amount}, "transactionDescription": "대금지급"}
    if payout_date:
        it["payoutDate"] = payout_date
    return it


class SignatureVerifier(unittest.TestCase):
    def test_verifier_against_spec_vectors(self):
        # Spec §8.9's self-generated vectors check this file's verifier itself.
        key_hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        payload = (b'{"eventType":"payout.changed","createdAt":"2024-12-02T12:15:20+09:00","version":"2022-11-16",'
                   b'"eventId":"evt-1","entityType":"payout","entityBody":{"id":"FPA_12345","status":"COMPLETED"}}')
        t = "2024-09-05T12:19:21+09:00"
        hex_sig = "v1:FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw="
        ascii_sig = "v1:5IQ/nmLiSayONMsyVBmbbP1LcNHpHnBnKU94kpfuCP4="
        self.assertTrue(signature_matches(bytes.fromhex(key_hex), payload, t, hex_sig))
        self.assertFalse(signature_matches(bytes.fromhex(key_hex), payload, t, ascii_sig))
        self.assertTrue(signature_matches(key_hex.encode(), payload, t, ascii_sig))
        self.assertTrue(signature_matches(bytes.fromhex(key_hex), payload, t, ascii_sig + "," + hex_sig))
        self.assertFalse(signature_matches(bytes.fromhex(key_hex), payload + b" ", t, hex_sig))


class Webhooks(ServerTestCase):
    def setUp(self):
        self.receivers = []

    def tearDown(self):
        for r in self.receivers:
            r.stop()
        super().tearDown()

    # -- helpers --

    def receiver(self, status=200):
        r = Receiver(status).start()
        self.receivers.append(r)
        return r

    def set_url(self, mid, url, env="test"):
        view = self.server.admin_ok("PUT", "/merchants/%s/webhook" % mid, {"env": env, "url": url})
        self.assertEqual(view[env]["webhookUrl"], url)
        return view

    def events(self, mid, env="test"):
        return self.server.admin_ok("GET", "/merchants/%s/webhooks?env=%s&limit=500" % (mid, env))["items"]

    def event(self, mid, event_id, env="test"):
        found = [e for e in self.events(mid, env) if e["eventId"] == event_id]
        self.assertEqual(len(found), 1, event_id)
        return found[0]

    def wait_event(self, mid, pred, env="test", timeout=WAIT):
        """Polls the admin list until pred(events) holds; returns the events."""
        deadline = time.time() + timeout
        while True:
            evs = self.events(mid, env)
            if pred(evs):
                return evs
            if time.time() > deadline:
                raise AssertionError("timed out waiting on webhook events: %s"
                                     % json.dumps(evs, ensure_ascii=False)[:2000])
            time.sleep(0.05)

    def clock_now(self, mid):
        return kst(self.server.admin_ok("GET", "/merchants/%s/clock" % mid)["now"])

    def register(self, keys, body):
        r = self.server.call("POST", "/v2/sellers", keys, body)
        return self.assertEntity(r, "seller", encrypted=True)

    def pay(self, keys, items):
        r = self.server.call("POST", "/v2/payouts", keys, items)
        return self.assertEntity(r, "payout-list", encrypted=True)["items"]

    def get(self, keys, path, etype):
        return self.assertEntity(self.server.call("GET", path, keys), etype)

    def admin_seller(self, mid, sid, action, env="test"):
        return self.server.admin_ok("POST", "/merchants/%s/sellers/%s/%s" % (mid, sid, action), {"env": env})

    def check_delivery(self, req, keys, retried=0, url_path="/hooks/toss"):
        """Checks one received delivery's method, path, headers and signature;
        returns the parsed body."""
        h = req["headers"]
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], url_path)
        self.assertTrue(h.get("content-type", "").startswith("application/json"), h)
        t = h.get("tosspayments-webhook-transmission-time")
        self.assertIsNotNone(t, h)
        self.assertRegex(t, KST_TIME_RE)
        self.assertEqual(h.get("tosspayments-webhook-transmission-retried-count"), str(retried))
        self.assertRegex(h.get("tosspayments-webhook-transmission-id", ""), r"^whtrans_[0-9a-z]{10,}$")
        sig = h.get("tosspayments-webhook-signature")
        self.assertIsNotNone(sig, h)
        for part in sig.split(","):
            self.assertRegex(part, r"^v1:[A-Za-z0-9+/]{43}=$")
        key_hex = keys["securityKey"]
        self.assertRegex(key_hex, r"^[0-9a-f]{64}$")
        # Spec §10 #6: keyed with the 32 hex-decoded bytes ...
        self.assertTrue(signature_matches(bytes.fromhex(key_hex), req["body"], t, sig),
                        "signature does not verify with the hex-decoded security key")
        # ... not with the 64-character text of the key,
        self.assertFalse(signature_matches(key_hex.encode("ascii"), req["body"], t, sig),
                         "signature verifies with the ASCII security key")
        # and over the raw body and this transmission time only.
        self.assertFalse(signature_matches(bytes.fromhex(key_hex), req["body"] + b"\n", t, sig))
        other_time = (kst(t) + timedelta(seconds=1)).isoformat()
        self.assertFalse(signature_matches(bytes.fromhex(key_hex), req["body"], other_time, sig))
        reserialized = json.dumps(json.loads(req["body"]), ensure_ascii=True, indent=1).encode()
        self.assertFalse(signature_matches(bytes.fromhex(key_hex), reserialized, t, sig))
        body = json.loads(req["body"].decode("utf-8"), object_pairs_hook=lambda kv: dict(kv))
        ordered = json.loads(req["body"].decode("utf-8"), object_pairs_hook=list)
        self.assertEqual([k for k, _ in ordered], ENVELOPE_KEYS)
        self.assertEqual(body["version"], "2022-11-16")
        self.assertRegex(body["createdAt"], KST_TIME_RE)
        self.assertRegex(body["eventId"], EVENT_ID_RE)
        self.assertLessEqual(kst(body["createdAt"]), kst(t))
        return body

    def express_payout(self, m, seller_body=None, amount=5000):
        keys = m["test"]
        self.server.set_clock(m["mid"], PINNED_NOW)
        seller = self.register(keys, seller_body or corporate())
        return seller, self.pay(keys, [item(seller["id"], amount)])[0]

    def finish_bank_step(self, m):
        return self.server.advance_clock(m["mid"], 300)

    # -- payout.changed --

    def test_payout_completed_event(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        seller, p = self.express_payout(m)
        # Acceptance (IN_PROGRESS) is not announced.
        self.assertEqual(self.events(mid), [])
        before = self.clock_now(mid)
        self.finish_bank_step(m)
        req = rx.wait_for(1)[0]
        after = self.clock_now(mid)
        body = self.check_delivery(req, keys, retried=0)
        payout = self.get(keys, "/v2/payouts/" + p["id"], "payout")
        self.assertEqual(payout["status"], "COMPLETED")
        self.assertEqual(body["eventType"], "payout.changed")
        self.assertEqual(body["entityType"], "payout")
        self.assertEqual(body["entityBody"], payout)
        # The event happened when the bank step ended, by the merchant's clock;
        # the transmission time is the merchant's clock too, not real time.
        created = kst(body["createdAt"])
        self.assertGreaterEqual(created, kst(p["requestedAt"]) + timedelta(minutes=5))
        self.assertLessEqual(created, after)
        t = kst(req["headers"]["tosspayments-webhook-transmission-time"])
        self.assertGreaterEqual(t, before.replace(microsecond=0))
        self.assertLessEqual(t, after + timedelta(seconds=1))
        # The admin view agrees.
        ev = self.wait_event(mid, lambda evs: evs and evs[0]["status"] == "DELIVERED")[0]
        self.assertEqual(ev["eventId"], body["eventId"])
        self.assertEqual(ev["eventType"], "payout.changed")
        self.assertEqual(ev["attempts"], 1)
        self.assertEqual(ev["lastHttpStatus"], 200)
        self.assertIsNone(ev["nextAttemptAt"])
        self.assertIsNotNone(ev["deliveredAt"])
        self.assertEqual(ev["createdAt"], body["createdAt"])
        self.assertEqual(ev["body"], body)
        self.assertEqual(len(self.events(mid)), 1)
        # Nothing more arrives.
        time.sleep(0.6)
        self.assertEqual(len(rx.received()), 1)

    def test_payout_failed_event(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        seller, p = self.express_payout(m, corporate(account="3025353430761"))
        self.finish_bank_step(m)
        body = self.check_delivery(rx.wait_for(1)[0], keys)
        payout = self.get(keys, "/v2/payouts/" + p["id"], "payout")
        self.assertEqual(payout["status"], "FAILED")
        self.assertEqual(payout["error"]["code"], "ALREADY_CLOSE_ACCOUNT")
        self.assertEqual(body["eventType"], "payout.changed")
        self.assertEqual(body["entityType"], "payout")
        self.assertEqual(body["entityBody"], payout)
        self.assertEqual(body["entityBody"]["error"], payout["error"])
        # A sandbox amount failure too, on a SCHEDULED payout.
        q = self.pay(keys, [item(seller["id"], 4002, "SCHEDULED", PINNED_SCHEDULED)])[0]
        plain = self.register(keys, corporate())
        r = self.pay(keys, [item(plain["id"], 4002, "SCHEDULED", PINNED_SCHEDULED)])[0]
        # Jump well past the end of the bank step: the events still carry
        # the business time of the transition (08:00 start + 5 minutes).
        self.server.set_clock(mid, PINNED_SCHEDULED + "T12:00:00+09:00")
        got = rx.wait_for(3)
        bodies = {b["entityBody"]["id"]: b for b in (self.check_delivery(x, keys) for x in got[1:])}
        self.assertEqual(set(bodies), {q["id"], r["id"]})
        self.assertEqual(bodies[q["id"]]["entityBody"]["error"]["code"], "ALREADY_CLOSE_ACCOUNT")
        self.assertEqual(bodies[r["id"]]["entityBody"]["error"]["code"], "BANK_UNDER_MAINTENANCE")
        for pid, b in bodies.items():
            self.assertEqual(b["entityBody"], self.get(keys, "/v2/payouts/" + pid, "payout"))
            self.assertEqual(b["createdAt"], PINNED_SCHEDULED + "T08:05:00+09:00")
        self.assertEqual(len({b["eventId"] for b in bodies.values()} | {body["eventId"]}), 3)

    def test_no_event_for_start_or_cancel(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        self.server.set_clock(mid, PINNED_NOW)
        seller = self.register(keys, corporate())
        a, b = self.pay(keys, [item(seller["id"], 1000, "SCHEDULED", PINNED_SCHEDULED),
                               item(seller["id"], 2000, "SCHEDULED", PINNED_SCHEDULED)])
        r = self.server.call("POST", "/v2/payouts/%s/cancel" % b["id"], keys)
        self.assertEqual(self.assertEntity(r, "payout")["status"], "CANCELED")
        moved = self.server.set_clock(mid, PINNED_SCHEDULED + "T08:00:00+09:00")
        self.assertGreaterEqual(moved["transitions"], 1)
        self.assertEqual(self.get(keys, "/v2/payouts/" + a["id"], "payout")["status"], "IN_PROGRESS")
        # The outbox is written with the state change, so the list is final.
        self.assertEqual(self.events(mid), [])
        time.sleep(0.6)
        self.assertEqual(rx.received(), [])
        # Only the end of the bank step is announced, once.
        self.server.advance_clock(mid, 300)
        body = self.check_delivery(rx.wait_for(1)[0], keys)
        self.assertEqual(body["entityBody"]["id"], a["id"])
        self.assertEqual(body["entityBody"]["status"], "COMPLETED")
        time.sleep(0.6)
        self.assertEqual(len(rx.received()), 1)
        self.assertEqual([e["eventType"] for e in self.events(mid)], ["payout.changed"])

    # -- seller.changed --

    def test_seller_events(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        self.server.set_clock(mid, PINNED_NOW)
        person = self.register(keys, individual())
        company = self.register(keys, corporate())
        self.assertEqual(person["status"], "APPROVAL_REQUIRED")
        self.assertEqual(company["status"], "PARTIALLY_APPROVED")
        # Registration announces nothing.
        self.assertEqual(self.events(mid), [])
        expected = []

        def expect(sid, status):
            expected.append((sid, status))
            got = rx.wait_for(len(expected))
            self.assertEqual(len(got), len(expected))
            body = self.check_delivery(got[-1], keys)
            self.assertEqual(body["eventType"], "seller.changed")
            self.assertEqual(body["entityType"], "seller")
            self.assertEqual(body["entityBody"]["status"], status)
            self.assertEqual(body["entityBody"], self.get(keys, "/v2/sellers/" + sid, "seller"))
            return body

        # identity verification: APPROVAL_REQUIRED -> PARTIALLY_APPROVED
        self.assertEqual(self.admin_seller(mid, person["id"], "verify-identity")["status"], "PARTIALLY_APPROVED")
        expect(person["id"], "PARTIALLY_APPROVED")
        # the weekly limit: a batch over 10,000,000 KRW is refused, seller -> KYC_REQUIRED
        r = self.server.call("POST", "/v2/payouts", keys,
                             [item(person["id"], 6000000), item(person["id"], 4000001)])
        self.assertError(r, 403, "FORBIDDEN_SELLER_PAYOUT", encrypted=True)
        expect(person["id"], "KYC_REQUIRED")
        # KYC done: -> APPROVED
        self.assertEqual(self.admin_seller(mid, person["id"], "approve-kyc")["status"], "APPROVED")
        expect(person["id"], "APPROVED")
        # KYC renewal: APPROVED -> KYC_REQUIRED, and a corporate seller's KYC.
        self.admin_seller(mid, person["id"], "require-kyc")
        expect(person["id"], "KYC_REQUIRED")
        self.admin_seller(mid, company["id"], "approve-kyc")
        expect(company["id"], "APPROVED")
        # A refused action announces nothing.
        r = self.server.admin("POST", "/merchants/%s/sellers/%s/verify-identity" % (mid, company["id"]),
                              {"env": "test"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json["error"]["code"], "INVALID_REQUEST")
        # A seller update announces nothing either.
        r = self.server.call("POST", "/v2/sellers/" + company["id"], keys, {"metadata": {"k": "v"}})
        self.assertEntity(r, "seller", encrypted=True)
        time.sleep(0.6)
        self.assertEqual(len(rx.received()), len(expected))
        evs = self.events(mid)
        self.assertEqual(len(evs), len(expected))
        self.assertEqual({e["eventType"] for e in evs}, {"seller.changed"})
        # newest first
        self.assertEqual([(e["body"]["entityBody"]["id"], e["body"]["entityBody"]["status"]) for e in evs],
                         list(reversed(expected)))
        self.assertEqual(len({e["eventId"] for e in evs}), len(evs))

    def test_live_events_use_the_live_url_and_key(self):
        m = self.merchant()
        mid = m["mid"]
        test_rx, live_rx = self.receiver(), self.receiver()
        self.set_url(mid, test_rx.url, "test")
        self.set_url(mid, live_rx.url, "live")
        person = self.register(m["live"], individual())
        self.assertEqual(self.admin_seller(mid, person["id"], "verify-identity", env="live")["status"],
                         "PARTIALLY_APPROVED")
        req = live_rx.wait_for(1)[0]
        body = self.check_delivery(req, m["live"])
        self.assertFalse(signature_matches(bytes.fromhex(m["test"]["securityKey"]), req["body"],
                                           req["headers"]["tosspayments-webhook-transmission-time"],
                                           req["headers"]["tosspayments-webhook-signature"]))
        self.assertEqual(body["entityBody"], self.get(m["live"], "/v2/sellers/" + person["id"], "seller"))
        time.sleep(0.4)
        self.assertEqual(test_rx.received(), [])
        self.assertEqual(self.events(mid, "test"), [])
        self.assertEqual(len(self.events(mid, "live")), 1)

    # -- retries --

    def trigger_event(self, m):
        """One payout.changed event, created at the end of a bank step."""
        seller, p = self.express_payout(m)
        self.finish_bank_step(m)
        return p

    def test_retry_after_http_500(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver(status=500)
        self.set_url(mid, rx.url)
        self.trigger_event(m)
        first = rx.wait_for(1)[0]
        self.check_delivery(first, keys, retried=0)
        ev = self.wait_event(mid, lambda evs: evs and evs[0]["attempts"] == 1)[0]
        self.assertEqual(ev["status"], "PENDING")
        self.assertEqual(ev["lastHttpStatus"], 500)
        self.assertIn("500", ev["lastError"])
        self.assertIsNone(ev["deliveredAt"])
        self.assertEqual(kst(ev["nextAttemptAt"]) - kst(ev["lastAttemptAt"]), timedelta(minutes=1))
        # The retry waits for business time, not real time.
        time.sleep(0.8)
        self.assertEqual(len(rx.received()), 1)
        rx.status = 200
        self.server.advance_clock(mid, 60)
        second = rx.wait_for(2)[1]
        body = self.check_delivery(second, keys, retried=1)
        self.assertEqual(second["body"], first["body"])
        self.assertNotEqual(second["headers"]["tosspayments-webhook-transmission-id"],
                            first["headers"]["tosspayments-webhook-transmission-id"])
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")[0]
        self.assertEqual(ev["attempts"], 2)
        self.assertEqual(ev["lastHttpStatus"], 200)
        self.assertEqual(ev["eventId"], body["eventId"])

    def test_retry_after_receiver_down(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        rx.stop()
        self.trigger_event(m)
        ev = self.wait_event(mid, lambda evs: evs and evs[0]["attempts"] == 1)[0]
        self.assertEqual(ev["status"], "PENDING")
        self.assertNotEqual(ev["lastHttpStatus"], 200)
        self.assertTrue(ev["lastError"], ev)
        self.assertEqual(kst(ev["nextAttemptAt"]) - kst(ev["lastAttemptAt"]), timedelta(minutes=1))
        rx.start()  # same port
        time.sleep(0.6)
        self.assertEqual(rx.received(), [])
        self.server.advance_clock(mid, 60)
        req = rx.wait_for(1)[0]
        body = self.check_delivery(req, keys, retried=1)
        self.assertEqual(body["eventId"], ev["eventId"])
        self.assertEqual(json.loads(req["body"]), ev["body"])
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")[0]
        self.assertEqual(ev["attempts"], 2)

    def test_only_http_200_counts_as_delivered(self):
        for status in (201, 202, 204, 301, 302, 400, 404, 429):
            with self.subTest(status=status):
                m = self.merchant()
                mid, keys = m["mid"], m["test"]
                rx = self.receiver(status=status)
                self.set_url(mid, rx.url)
                self.trigger_event(m)
                self.check_delivery(rx.wait_for(1)[0], keys, retried=0)
                ev = self.wait_event(mid, lambda evs: evs and evs[0]["attempts"] == 1)[0]
                self.assertEqual(ev["status"], "PENDING")
                self.assertEqual(ev["lastHttpStatus"], status)
                self.assertIsNone(ev["deliveredAt"])
                rx.status = 200
                self.server.advance_clock(mid, 60)
                self.check_delivery(rx.wait_for(2)[1], keys, retried=1)
                self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")
                self.assertEqual(len(rx.received()), 2)  # a 3xx Location is not followed

    def test_retry_schedule_then_failed(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver(status=503)
        self.set_url(mid, rx.url)
        self.trigger_event(m)
        rx.wait_for(1)
        for attempt, minutes in enumerate(RETRY_MINUTES, start=1):
            ev = self.wait_event(mid, lambda evs, a=attempt: evs and evs[0]["attempts"] == a)[0]
            self.assertEqual(ev["status"], "PENDING", ev)
            self.assertEqual(ev["lastHttpStatus"], 503)
            self.assertEqual(kst(ev["nextAttemptAt"]) - kst(ev["lastAttemptAt"]), timedelta(minutes=minutes),
                             "retry %d" % attempt)
            # Not a second early (with the clock a little short of the time) ...
            self.server.advance_clock(mid, minutes * 60 - 30)
            time.sleep(0.4)
            self.assertEqual(len(rx.received()), attempt)
            # ... then it comes.
            self.server.advance_clock(mid, 30)
            got = rx.wait_for(attempt + 1)
            self.check_delivery(got[attempt], keys, retried=attempt)
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "FAILED")[0]
        self.assertEqual(ev["attempts"], 8)
        self.assertIsNone(ev["nextAttemptAt"])
        self.assertEqual(ev["lastHttpStatus"], 503)
        # No ninth attempt, however far the clock moves.
        self.server.advance_clock(mid, 30 * 86400)
        time.sleep(0.6)
        self.assertEqual(len(rx.received()), 8)
        self.assertEqual(len({r["body"] for r in rx.received()}), 1)
        # A manual redelivery still works after FAILED.
        rx.status = 200
        self.server.admin_ok("POST", "/merchants/%s/webhooks/%s/redeliver" % (mid, ev["eventId"]), {"env": "test"})
        rx.wait_for(9)
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")[0]
        self.assertEqual(ev["attempts"], 9)

    # -- redelivery, no endpoint, restart --

    def test_redeliver_after_delivery(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        self.trigger_event(m)
        first = rx.wait_for(1)[0]
        body = self.check_delivery(first, keys, retried=0)
        self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")
        r = self.server.admin_ok("POST", "/merchants/%s/webhooks/%s/redeliver" % (mid, body["eventId"]),
                                 {"env": "test"})
        self.assertEqual(r, {"eventId": body["eventId"], "status": "PENDING"})
        second = rx.wait_for(2)[1]
        h = second["headers"]
        self.assertRegex(h["tosspayments-webhook-transmission-retried-count"], r"^\d+$")
        self.assertTrue(signature_matches(bytes.fromhex(keys["securityKey"]), second["body"],
                                          h["tosspayments-webhook-transmission-time"],
                                          h["tosspayments-webhook-signature"]))
        self.assertEqual(second["body"], first["body"])  # the same event, byte for byte
        self.assertNotEqual(h["tosspayments-webhook-transmission-id"],
                            first["headers"]["tosspayments-webhook-transmission-id"])
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED" and evs[0]["attempts"] == 2)[0]
        self.assertEqual(ev["eventId"], body["eventId"])
        self.assertEqual(len(self.events(mid)), 1)
        # Unknown events and the other environment are 404.
        r = self.server.admin("POST", "/merchants/%s/webhooks/evt_nope/redeliver" % mid, {"env": "test"})
        self.assertEqual((r.status, r.json["error"]["code"]), (404, "NOT_FOUND"))
        r = self.server.admin("POST", "/merchants/%s/webhooks/%s/redeliver" % (mid, body["eventId"]), {"env": "live"})
        self.assertEqual((r.status, r.json["error"]["code"]), (404, "NOT_FOUND"))

    def test_no_endpoint_then_redeliver(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        self.trigger_event(m)
        ev = self.wait_event(mid, lambda evs: evs and evs[0]["status"] != "PENDING")[0]
        self.assertEqual(ev["status"], "NO_ENDPOINT")
        self.assertEqual(ev["attempts"], 0)
        self.assertIsNone(ev["deliveredAt"])
        self.assertTrue(ev["lastError"])
        rx = self.receiver()
        self.set_url(mid, rx.url)
        self.server.admin_ok("POST", "/merchants/%s/webhooks/%s/redeliver" % (mid, ev["eventId"]), {"env": "test"})
        req = rx.wait_for(1)[0]
        body = self.check_delivery(req, keys, retried=0)
        self.assertEqual(body, ev["body"])
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")[0]
        self.assertEqual(ev["attempts"], 1)
        # Removing the URL again: the next event is NO_ENDPOINT, nothing is sent.
        self.set_url(mid, None)
        seller = self.register(keys, individual())
        self.admin_seller(mid, seller["id"], "verify-identity")
        evs = self.wait_event(mid, lambda evs: len(evs) == 2 and evs[0]["status"] != "PENDING")
        self.assertEqual(evs[0]["status"], "NO_ENDPOINT")
        time.sleep(0.4)
        self.assertEqual(len(rx.received()), 1)

    def test_events_survive_restart(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        rx = self.receiver()
        self.set_url(mid, rx.url)
        rx.stop()
        self.trigger_event(m)
        ev = self.wait_event(mid, lambda evs: evs and evs[0]["attempts"] == 1)[0]
        self.assertEqual(ev["status"], "PENDING")
        self.server.restart()
        after = self.events(mid)
        self.assertEqual(len(after), 1)
        self.assertEqual({k: after[0][k] for k in ("eventId", "status", "attempts", "body", "nextAttemptAt")},
                         {k: ev[k] for k in ("eventId", "status", "attempts", "body", "nextAttemptAt")})
        rx.start()
        self.server.advance_clock(mid, 60)
        req = rx.wait_for(1)[0]
        body = self.check_delivery(req, keys, retried=1)
        self.assertEqual(body, ev["body"])
        ev = self.wait_event(mid, lambda evs: evs[0]["status"] == "DELIVERED")[0]
        self.assertEqual(ev["attempts"], 2)

    def test_webhook_url_validation(self):
        m = self.merchant()
        mid = m["mid"]
        for url in ("ftp://example.com/hook", "example.com/hook", "http://exa mple.com/", "", 42):
            with self.subTest(url=url):
                r = self.server.admin("PUT", "/merchants/%s/webhook" % mid, {"env": "test", "url": url})
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json["error"]["code"], "INVALID_REQUEST")
        view = self.server.admin_ok("GET", "/merchants/%s" % mid)
        self.assertIsNone(view["test"]["webhookUrl"])
        r = self.server.admin("PUT", "/merchants/%s/webhook" % mid, {"env": "staging", "url": "https://example.com/h"})
        self.assertEqual(r.status, 400)


if __name__ == "__main__":
    main()
