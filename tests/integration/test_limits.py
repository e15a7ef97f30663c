"""Limits (issue 4; spec §7; docs/DECISIONS.md "Rate limits", "Slow and
greedy clients", "Requests"): token buckets per secret key and API per
environment (429 TOO_MANY_REQUESTS with Retry-After), a per-address limit
before authentication, --no-rate-limits; the 1 MiB body cap (413, from
Content-Length or while a chunked body arrives); JSON nesting over 8 levels;
idle connections cut after --timeout and bodies still arriving after 60 s cut
off; at most --max-connections-per-ip connections from one address."""
import base64
import http.client
import json
import socket
import threading
import time
import uuid

from payoutd_harness import Server, ServerTestCase, main, seal

MIB = 1024 * 1024


def corporate(**extra):
    body = {"refSellerId": "l-" + uuid.uuid4().hex[:12], "businessType": "CORPORATE",
            "company": {"name": "한도 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "corp@example.com",
                        "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "김토스"}}
    body.update(extra)
    return body


def nested(depth, leaf="v"):
    """A JSON object `depth` levels deep: {"k":{"k":...leaf...}}."""
    x = leaf
    for _ in range(depth):
        x = {"k": x}
    return x


def basic(secret):
    return "Basic " + base64.b64encode((secret + ":").encode()).decode()


def read_response(sock, timeout=10):
    """Reads one HTTP response from a raw socket; returns (status, headers, body)
    or None when the server closed the connection without answering."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None if not data else (0, {}, data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest


class LimitServer(ServerTestCase):
    """A ServerTestCase whose payoutd has the rate limits on."""
    rate_limits = True

    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_args=cls.server_args, rate_limits=cls.rate_limits).start()

    def assert429(self, resp):
        err = self.assertError(resp, 429, "TOO_MANY_REQUESTS", encrypted=False)
        retry = resp.headers.get("Retry-After")
        self.assertIsNotNone(retry, resp.headers)
        self.assertRegex(retry, r"^[0-9]+$")
        self.assertGreaterEqual(int(retry), 1)
        self.assertLessEqual(int(retry), 60)
        return int(retry), err


# ---- rate limits ---------------------------------------------------------------------

class PerKeyLimits(LimitServer):
    server_args = ["--rate-limit-test", "5", "--rate-limit-live", "3"]

    def test_sixth_request_to_one_api(self):
        s = self.server
        m, other = self.merchant(), self.merchant()
        for _ in range(5):
            self.assertEntity(s.call("GET", "/v2/balances", m["test"]), "balance")
        retry, err = self.assert429(s.call("GET", "/v2/balances", m["test"]))
        self.assertIn("5 requests per minute", err["message"])
        self.assertIn("GET /v2/balances", err["message"])
        # With the ENCRYPTION header too (refused before any key is used).
        self.assert429(s.call("GET", "/v2/balances", m["test"], encrypted=True))
        # Another API with the same key, and the same API with another key, still work.
        self.assertEntity(s.call("GET", "/v2/sellers", m["test"]), "seller-list")
        self.assertEntity(s.call("GET", "/v2/payouts", m["test"]), "payout-list")
        self.assertEntity(s.call("GET", "/v2/balances", other["test"]), "balance")
        # Live has its own buckets and its own limit.
        for _ in range(3):
            self.assertEntity(s.call("GET", "/v2/balances", m["live"]), "balance")
        retry, err = self.assert429(s.call("GET", "/v2/balances", m["live"]))
        self.assertIn("3 requests per minute", err["message"])
        self.assertEntity(s.call("GET", "/v2/balances", other["live"]), "balance")
        # The admin API is not limited per key.
        for _ in range(10):
            self.assertEqual(s.admin("GET", "/merchants/" + m["mid"]).status, 200)

    def test_encrypted_posts_are_limited_before_decryption(self):
        s = self.server
        m = self.merchant()
        for _ in range(5):
            self.assertEntity(s.call("POST", "/v2/sellers", m["test"], corporate()), "seller")
        before = s.call("GET", "/v2/sellers?limit=100", m["test"]).json["entityBody"]["items"]
        r = s.call("POST", "/v2/sellers", m["test"], corporate())
        self.assert429(r)
        after = s.call("GET", "/v2/sellers?limit=100", m["test"]).json["entityBody"]["items"]
        self.assertEqual(before, after)
        # Unauthenticated requests do not spend a key's budget.
        r = s.request("GET", "/v2/payouts", "test_sk_" + "q" * 28)
        self.assertError(r, 401, "UNAUTHORIZED_KEY")

    def test_a_rotated_secret_key_has_its_own_bucket(self):
        s = self.server
        m = self.merchant()
        for _ in range(5):
            self.assertEntity(s.call("GET", "/v2/sellers", m["test"]), "seller-list")
        self.assert429(s.call("GET", "/v2/sellers", m["test"]))
        new = s.admin_ok("POST", "/merchants/%s/keys" % m["mid"], {"env": "test", "kind": "secretKey"})["key"]
        keys = dict(m["test"], secretKey=new)
        self.assertEntity(s.call("GET", "/v2/sellers", keys), "seller-list")


class RetryAfter(LimitServer):
    server_args = ["--rate-limit-test", "60"]

    def test_retry_after_is_honest(self):
        s = self.server
        m = self.merchant()
        for n in range(1, 400):
            r = s.call("GET", "/v2/balances", m["test"])
            if r.status == 429:
                break
            self.assertEqual(r.status, 200)
        self.assertGreaterEqual(n, 60)
        retry, _ = self.assert429(r)
        time.sleep(retry + 0.05)
        self.assertEntity(s.call("GET", "/v2/balances", m["test"]), "balance")


class DefaultLimits(LimitServer):
    def test_test_default_is_100_per_minute(self):
        s = self.server
        m = self.merchant()
        for _ in range(100):
            self.assertEqual(s.call("GET", "/v2/payouts", m["test"]).status, 200)
        self.assert429(s.call("GET", "/v2/payouts", m["test"]))
        # Live's default (1000) is far from reached.
        for _ in range(101):
            self.assertEqual(s.call("GET", "/v2/payouts", m["live"]).status, 200)


class PerAddressLimit(LimitServer):
    server_args = ["--rate-limit-ip", "10"]

    def test_eleventh_request_from_one_address(self):
        s = self.server
        m = self.merchant()
        # Ten requests with a wrong key: each refused by authentication ...
        for _ in range(10):
            self.assertError(s.request("GET", "/v2/balances", "test_sk_" + "w" * 28), 401, "UNAUTHORIZED_KEY")
        # ... the eleventh is refused before authentication, whatever it carries.
        retry, err = self.assert429(s.request("GET", "/v2/balances", "test_sk_" + "w" * 28))
        self.assertIn("from this address", err["message"])
        self.assert429(s.call("GET", "/v2/balances", m["test"]))
        self.assert429(s.request("GET", "/v2/nosuch"))
        self.assert429(s.request("GET", "/admin/v1/traces", auth="Bearer " + s.admin_token))
        tok = seal(m["test"]["securityKey"], corporate())
        self.assert429(s.call("POST", "/v2/sellers", m["test"], token=tok))


class NoRateLimits(ServerTestCase):
    # The harness starts payoutd with --no-rate-limits unless asked otherwise.
    def test_no_limits(self):
        s = self.server
        self.assertIn("--no-rate-limits", s.extra_args)
        m = self.merchant()
        for _ in range(160):
            self.assertEqual(s.call("GET", "/v2/balances", m["test"]).status, 200)
        for _ in range(20):
            self.assertEqual(s.call("GET", "/v2/balances", m["live"]).status, 200)
        for _ in range(1250 - 180):
            r = s.request("GET", "/v2/balances", "test_sk_" + "n" * 28)
            self.assertEqual(r.status, 401)


# ---- body size and shape ---------------------------------------------------------------

class BodyLimits(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]

    def raw(self, head, body=b""):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            sock.sendall(head.encode("latin-1") + body)
            return read_response(sock)
        finally:
            sock.close()

    def head(self, path, length, secret=None):
        auth = "Authorization: %s\r\n" % basic(secret) if secret else ""
        return ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sTossPayments-api-security-mode: ENCRYPTION\r\n"
                "Content-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (path, auth, length))

    def assert413(self, got):
        self.assertIsNotNone(got, "connection closed without an answer")
        status, headers, body = got
        self.assertEqual(status, 413, body[:300])
        env = json.loads(body)
        self.assertEqual(env["error"]["code"], "REQUEST_TOO_LARGE")
        self.assertIsNone(env["entityBody"])
        self.assertTrue(headers.get("content-type", "").startswith("application/json"))

    def test_content_length_over_1_mib(self):
        # Answered from the headers: the body is never sent.
        t = time.time()
        for secret in (self.keys["secretKey"], None, "test_sk_" + "z" * 28):
            self.assert413(self.raw(self.head("/v2/sellers", MIB + 1, secret)))
            self.assert413(self.raw(self.head("/v2/payouts", 50 * MIB, secret)))
        self.assertLess(time.time() - t, 10)
        # Exactly 1 MiB is read and judged as a token.
        got = self.raw(self.head("/v2/sellers", MIB, self.keys["secretKey"]), b"a" * MIB)
        self.assertIsNotNone(got)
        self.assertEqual(got[0], 400)
        self.assertEqual(json.loads(got[2])["error"]["code"], "INVALID_ENCRYPTED_BODY")
        self.assertEntity(self.server.call("GET", "/v2/balances", self.keys), "balance")

    def test_chunked_over_1_mib(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        piece = b"b" * 65536

        def chunks():
            for _ in range(24):  # 1.5 MiB
                yield piece

        conn.request("POST", "/v2/sellers", body=chunks(), encode_chunked=True,
                     headers={"Authorization": basic(self.keys["secretKey"]), "Content-Type": "text/plain",
                              "TossPayments-api-security-mode": "ENCRYPTION", "Transfer-Encoding": "chunked"})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        self.assertEqual(r.status, 413, body[:300])
        self.assertEqual(json.loads(body)["error"]["code"], "REQUEST_TOO_LARGE")
        tr = self.server.trace(r.headers["X-TossPayments-Trace-Id"])
        self.assertEqual(tr.status, 200, tr)
        self.assertEqual(tr.json["code"], "REQUEST_TOO_LARGE")
        self.assertEqual(tr.json["bytesIn"], 24 * 65536)
        # A chunked body under the cap is fine.
        tok = seal(self.keys["securityKey"], corporate()).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        conn.request("POST", "/v2/sellers", body=iter([tok[:100], tok[100:]]), encode_chunked=True,
                     headers={"Authorization": basic(self.keys["secretKey"]), "Content-Type": "text/plain",
                              "TossPayments-api-security-mode": "ENCRYPTION", "Transfer-Encoding": "chunked"})
        r = conn.getresponse()
        r.read()
        conn.close()
        self.assertEqual(r.status, 200)

    def test_json_nesting(self):
        s = self.server
        # 8 levels pass the depth check (and are then judged as a seller) ...
        for depth in (7, 8):
            body = corporate(metadata=nested(depth - 1))
            r = s.call("POST", "/v2/sellers", self.keys, body)
            self.assertEqual(r.status, 400, r)
            self.assertNotIn("nests deeper", r.json["error"]["message"])
        # ... 9 and more are refused before parsing.
        for depth in (9, 10, 64, 5000):
            with self.subTest(depth=depth):
                body = json.dumps(corporate(metadata=nested(depth - 1))) if depth < 900 else (
                    '{"a":' * depth + "1" + "}" * depth)
                r = s.call("POST", "/v2/sellers", self.keys, token=seal(self.keys["securityKey"], body))
                err = self.assertError(r, 400, "INVALID_REQUEST", encrypted=True)
                self.assertIn("nests deeper than 8 levels", err["message"])
        arrays = "[" * 9 + "]" * 9
        r = s.call("POST", "/v2/payouts", self.keys, token=seal(self.keys["securityKey"], arrays))
        err = self.assertError(r, 400, "INVALID_REQUEST", encrypted=True)
        self.assertIn("nests deeper than 8 levels", err["message"])
        # Nesting inside strings does not count.
        body = corporate(metadata={"k": "[[[[[[[[[[{{{{{{{{{{"})
        self.assertEntity(s.call("POST", "/v2/sellers", self.keys, body), "seller")
        # The admin API has the same bound.
        r = s.request("POST", "/admin/v1/merchants/%s/credits" % self.m["mid"], body=json.dumps(nested(9)),
                      headers={"Authorization": "Bearer " + s.admin_token})
        self.assertError(r, 400, "INVALID_REQUEST")


# ---- slow and greedy clients --------------------------------------------------------------

class SlowClients(ServerTestCase):
    server_args = ["--timeout", "2"]

    def setUp(self):
        self.m = self.merchant()

    def open_post(self, length=200):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        sock.sendall(("POST /v2/sellers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                      "TossPayments-api-security-mode: ENCRYPTION\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %d\r\n\r\n" % (basic(self.m["test"]["secretKey"]), length)).encode())
        return sock

    def closed_within(self, sock, seconds, send_every=None):
        """Waits until the server closes sock (recv gives b"" or an error),
        sending one body byte every send_every seconds; returns the time taken."""
        t0 = time.time()
        next_send = t0 + (send_every or 1e9)
        sock.settimeout(0.05)
        while time.time() - t0 < seconds:
            if time.time() >= next_send:
                try:
                    sock.sendall(b"a")
                except OSError:
                    return time.time() - t0
                next_send += send_every
            try:
                if sock.recv(4096) == b"":
                    return time.time() - t0
            except socket.timeout:
                pass
            except OSError:
                return time.time() - t0
        self.fail("the connection was still open after %.0f s" % seconds)

    def healthy(self):
        self.assertEntity(self.server.call("GET", "/v2/balances", self.m["test"]), "balance")

    def test_idle_body_is_cut_off(self):
        sock = self.open_post()
        sock.sendall(b"eyJ")
        took = self.closed_within(sock, 8)
        sock.close()
        self.assertGreaterEqual(took, 1.0)
        self.healthy()

    def test_idle_headers_are_cut_off(self):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        sock.sendall(b"GET /v2/balances HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        took = self.closed_within(sock, 8)
        sock.close()
        self.assertGreaterEqual(took, 1.0)
        self.healthy()

    def test_body_slower_than_the_idle_timeout(self):
        # One byte every 3 s with --timeout 2: cut at the first gap.
        sock = self.open_post()
        took = self.closed_within(sock, 10, send_every=3)
        sock.close()
        self.assertLess(took, 6)
        self.healthy()

    def test_dribbled_body_hits_the_request_deadline(self):
        # One byte a second keeps the connection from idling, but a body still
        # arriving 60 s after the request began is cut off (DECISIONS.md).
        sock = self.open_post(length=1000)
        others = []

        def probe():
            while not stop.is_set():
                r = self.server.call("GET", "/v2/balances", self.m["test"])
                others.append(r.status)
                stop.wait(5)

        stop = threading.Event()
        th = threading.Thread(target=probe, daemon=True)
        th.start()
        try:
            took = self.closed_within(sock, 75, send_every=1)
        finally:
            stop.set()
            th.join(30)
            sock.close()
        self.assertGreaterEqual(took, 55)
        self.assertLessEqual(took, 70)
        self.assertTrue(others and all(s == 200 for s in others), others)
        self.assertIn("body still arriving after 60 s", self.server.read_log())
        self.healthy()


class ConnectionsPerAddress(ServerTestCase):
    server_args = ["--max-connections-per-ip", "5"]

    def test_sixth_connection_refused(self):
        m = self.merchant()
        held = [socket.create_connection(("127.0.0.1", self.server.port), timeout=5) for _ in range(5)]
        try:
            time.sleep(0.2)
            extra = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            extra.settimeout(5)
            try:
                got = extra.recv(100)
            except (ConnectionResetError, socket.timeout) as e:
                got = e
            extra.close()
            self.assertEqual(got, b"", "the sixth connection was not closed at once: %r" % (got,))
            # The five held connections still work.
            auth = basic(m["test"]["secretKey"])
            held[0].sendall(("GET /v2/balances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n\r\n"
                             % auth).encode())
            status, _, body = read_response(held[0])
            self.assertEqual(status, 200, body)
        finally:
            for s in held:
                s.close()
        # Once they are closed, new connections are accepted again.
        deadline = time.time() + 5
        while True:
            try:
                r = self.server.call("GET", "/v2/balances", m["test"])
                if r.status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                self.fail("connections are still refused after the five were closed")
            time.sleep(0.05)


if __name__ == "__main__":
    main()
