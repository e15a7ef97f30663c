"""How libpayout's client reads answers (case C14: classify first, decrypt
second; C13: a plain and a sealed error are the same error; C23: 401 vs 403;
spec §3.6, §7). A tiny HTTP server in this process serves canned answers to
tests/tools/client_e2e (the public client API, in C) and records what the
client sent, so retries can be counted and each attempt's headers and sealed
body inspected."""
import base64
import email.utils
import http.server
import json
import os
import socket
import subprocess
import threading
import time
import unittest

from payoutd_harness import open_token

BUILD_DIR = os.environ.get("PAY_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("PAY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(BUILD_DIR, "client_e2e")
with open(os.path.join(SOURCE_DIR, "tests", "fixtures", "jwe_cases.json"), encoding="utf-8") as f:
    FIXTURES = json.load(f)
KEY = FIXTURES["key_hex"]  # the cases' fixture security key
OTHER_KEY = "00" * 32
VECTORS = {c["name"]: c for c in FIXTURES["cases"]}
SECRET = "test_sk_FAKE0000000000000000000000"  # the cases' fake secret key
RESPONSE_MAX = 64 * 1024 * 1024  # PAY_JWE_SEAL_MAX, the client's cap on an answer

# C13 response A: the error as plain JSON
ERROR_A = ('{"version":"2022-11-16","traceId":"0123456789abcdef0123456789abcdef","entityBody":null,'
           '"entityType":null,"error":{"code":"INVALID_REQUEST","message":"필수 파라미터가 누락 또는 요청 '
           '형식이 잘못되었습니다."}}')
KOREAN_MESSAGE = "필수 파라미터가 누락 또는 요청 형식이 잘못되었습니다."
BALANCE = ('{"version":"2022-11-16","entityType":"balance","entityBody":{"availableAmount":'
           '{"currency":"KRW","value":5000.0},"pendingAmount":{"currency":"KRW","value":0}}}')
TRACE = "fedcba9876543210fedcba9876543210"


class Answer:
    def __init__(self, status, body=b"", content_type="application/json", headers=None, stream=None,
                 hang_up=False):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.stream = stream  # (total bytes, declare Content-Length?) for oversized answers
        self.hang_up = hang_up  # close the connection without an answer


class Canned(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.answers = []  # served in order; the last one repeats
        self.requests = []
        self.lock = threading.Lock()

    def next_answer(self):
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        srv = self.server
        with srv.lock:
            srv.requests.append({"method": self.command, "path": self.path, "at": time.monotonic(),
                                 "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        a = srv.next_answer()
        if a.hang_up:
            self.close_connection = True
            return
        self.send_response(a.status)
        if a.content_type:
            self.send_header("Content-Type", a.content_type)
        for k, v in a.headers.items():
            self.send_header(k, v)
        try:
            if a.stream:
                self.stream(*a.stream)
            elif a.status == 204:
                self.end_headers()
            else:
                self.send_header("Content-Length", str(len(a.body)))
                self.end_headers()
                self.wfile.write(a.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def stream(self, total, declared):
        chunk = b"x" * (1024 * 1024)
        if declared:
            self.send_header("Content-Length", str(total))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        left = total
        while left:
            part = chunk[:min(left, len(chunk))]
            self.wfile.write(part if declared else b"%x\r\n%s\r\n" % (len(part), part))
            left -= len(part)
        if not declared:
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    do_GET = do_POST = do_DELETE = do_post = do_PATCH = handle_any


class ClientAnswers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Canned()
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()
        cls.base = "http://127.0.0.1:%d" % cls.srv.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()

    def setUp(self):
        self.srv.requests = []

    def serve(self, *answers):
        self.srv.answers = list(answers)

    def run_tool(self, *args, key=KEY, opts=(), base=None):
        env = dict(os.environ, PAY_E2E_SECRET_KEY=SECRET, PAY_E2E_SECURITY_KEY=key or "")
        argv = [TOOL, "--base", base or self.base, "--backoff-ms", "1", "--timeout-ms", "20000"]
        argv += list(opts) + [str(a) for a in args]
        p = subprocess.run(argv, env=env, capture_output=True, timeout=120)
        out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
        for secret in (SECRET, KEY, OTHER_KEY):
            self.assertNotIn(secret, out + err, "a key reached the tool's output")
        self.assertIn(p.returncode, (0, 1), err)
        lines = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(lines), 1, out + err)
        return lines[0]

    def raw(self, method="GET", path="/v2/balances", *extra, **kw):
        return self.run_tool("raw", method, path, *extra, **kw)

    def outcome(self, line, rc, outcome, status, code=""):
        self.assertEqual((line["rc"], line["outcome"], line["http"], line["code"]), (rc, outcome, status, code),
                         line)

    # ---- C14 (a)-(e) --------------------------------------------------------------------

    def test_a_500_json_error_is_surfaced_after_the_retries(self):
        self.serve(Answer(500, '{"errors":[{"code":"SYSTEM_ERROR","message":"key not found"}]}'))
        for args in (["balances"], ["raw", "GET", "/v2/balances"]):
            self.srv.requests = []
            line = self.run_tool(*args, opts=["--max-retries", "2"])
            self.outcome(line, "PAY_ERR_API", "API_ERROR", 500, "SYSTEM_ERROR")
            self.assertEqual(line["message"], "key not found")
            self.assertEqual(line["attempts"], 3, "5xx is retried: 1 + 2 retries")
            self.assertEqual(len(self.srv.requests), 3)
            self.assertFalse(line["sealed"])
        # the raw layer also hands over the envelope it read
        self.assertIn("SYSTEM_ERROR", json.loads(line["result"]["envelope"])["errors"][0]["code"])
        line = self.run_tool("balances", opts=["--max-retries", "-1"])
        self.assertEqual(line["attempts"], 1, "max_retries -1: no retries")

    def test_b_200_empty_body_is_not_decrypted(self):
        self.serve(Answer(200, b"", content_type=None))
        line = self.raw()
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertIsNone(line["result"]["envelope"])
        self.assertFalse(line["sealed"])
        # a typed call needs an entityBody: a readable complaint, not a crypto error
        for opts in ([], ["--encrypt-reads"]):
            line = self.run_tool("balances", opts=opts)
            self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 200)
            self.assertEqual(line["message"], "the answer has no entityBody")
            self.assertEqual(line["attempts"], 1)

    def test_c_204_no_body(self):
        self.serve(Answer(204, content_type=None))
        line = self.raw("DELETE", "/v2/sellers/seller_x")
        self.outcome(line, "PAY_OK", "OK", 204)
        self.assertIsNone(line["result"]["envelope"])
        line = self.run_tool("sellers-delete", "seller_x")
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 204)
        self.assertNotIn("decrypt", line["message"])

    def test_d_502_html_is_an_unexpected_body(self):
        self.serve(Answer(502, "<html>Bad Gateway</html>", content_type="text/html"))
        line = self.run_tool("balances", opts=["--max-retries", "1"])
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 502)
        self.assertTrue(line["message"].startswith("unexpected response body (24 bytes, content-type text/html)"),
                        line["message"])
        self.assertIn("<html>Bad Gateway</html>", line["message"], "a short prefix is shown")
        self.assertEqual(line["attempts"], 2, "a gateway error is retried")
        # binary and long garbage: bounded, printable prefix
        self.serve(Answer(200, b"\x00\x01\x02garbage" + b"y" * 5000, content_type="application/octet-stream"))
        line = self.raw()
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 200)
        self.assertIn("(5010 bytes, content-type application/octet-stream): ...garbage", line["message"])
        self.assertLess(len(line["message"]), 200)

    def test_e_400_sealed_error_v15_is_decrypted(self):
        self.serve(Answer(400, VECTORS["V15"]["token"], content_type="text/plain"))
        line = self.run_tool("sellers-create", "my-seller-0001", "INDIVIDUAL", opts=["--max-retries", "3"])
        self.outcome(line, "PAY_ERR_API", "API_ERROR", 400, "INVALID_REQUEST")
        self.assertEqual(line["message"], KOREAN_MESSAGE)
        self.assertEqual(line["trace"], "f" * 32)
        self.assertTrue(line["sealed"])
        self.assertEqual(line["attempts"], 1, "a 4xx is never retried")
        self.assertIn("business or validation rule", line["hint"])

    # ---- C13: response A and B are one error ------------------------------------------------

    def test_c13_plain_and_sealed_error_are_the_same_structured_error(self):
        results = []
        for answer in (Answer(400, ERROR_A), Answer(400, VECTORS["V15"]["token"], content_type="text/plain")):
            self.serve(answer)
            line = self.run_tool("sellers-create", "my-seller-0001", "INDIVIDUAL")
            self.outcome(line, "PAY_ERR_API", "API_ERROR", 400, "INVALID_REQUEST")
            self.assertNotIn("decrypt", line["message"].lower())
            self.assertNotIn("does not open", line["message"])
            results.append(line)
        a, b = results
        self.assertEqual([a[k] for k in ("rc", "outcome", "http", "code", "message", "attempts", "hint")],
                         [b[k] for k in ("rc", "outcome", "http", "code", "message", "attempts", "hint")])
        self.assertEqual((a["sealed"], b["sealed"]), (False, True))
        self.assertEqual((a["trace"], b["trace"]), ("0123456789abcdef0123456789abcdef", "f" * 32))

    # ---- sealed answers that do not open ----------------------------------------------------

    def test_sealed_answer_that_does_not_open_is_never_shown(self):
        # V1: sealed with the key string's ASCII bytes, so the tag fails under the key
        self.serve(Answer(200, VECTORS["V1"]["token"], content_type="text/plain"))
        line = self.run_tool("balances", opts=["--encrypt-reads"])
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 200)
        self.assertTrue(line["sealed"])
        self.assertIn("the sealed answer does not open with this security key", line["message"])
        self.assertIn("authentication tag mismatch", line["message"])
        # V15 under another key: neither the plaintext nor the token leaks into the message
        self.serve(Answer(400, VECTORS["V15"]["token"], content_type="text/plain"))
        line = self.run_tool("sellers-create", "my-seller-0001", "INDIVIDUAL", key=OTHER_KEY)
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 400)
        self.assertIn("does not open", line["message"])
        for fragment in ("INVALID_REQUEST", "필수", "ffffffff", VECTORS["V15"]["token"][:40]):
            self.assertNotIn(fragment, json.dumps(line, ensure_ascii=False))
        # a sealed answer to a client without a security key
        line = self.run_tool("sellers-get", "seller_x", key=None)
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 400)
        self.assertIn("no security key", line["message"])

    def test_malformed_jwe_answer(self):
        token = VECTORS["V15"]["token"]
        self.serve(Answer(200, token.replace("..", ".AAAA.", 1), content_type="text/plain"))
        line = self.raw()
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 200)
        self.assertIn("does not open", line["message"])
        self.assertIn("encrypted key segment must be empty", line["message"])

    # ---- limits ---------------------------------------------------------------------------------

    def test_answer_over_the_size_cap_is_refused_once(self):
        for declared in (True, False):
            self.srv.requests = []
            self.serve(Answer(200, content_type="application/json", stream=(RESPONSE_MAX + 1, declared)))
            line = self.run_tool("balances", opts=["--max-retries", "3"])
            self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 200)
            self.assertIn("larger than 64 MiB", line["message"])
            self.assertEqual(line["attempts"], 1, "the same oversized answer would come again")
            self.assertEqual(len(self.srv.requests), 1)
        # exactly at the cap is read (and then judged: not JSON)
        self.serve(Answer(200, content_type="application/json", stream=(RESPONSE_MAX, True)))
        line = self.raw()
        self.outcome(line, "PAY_ERR_RESPONSE", "BAD_RESPONSE", 200)
        self.assertTrue(line["message"].startswith("unexpected response body (67108864 bytes"), line["message"])

    # ---- headers -----------------------------------------------------------------------------

    def test_trace_id_header_is_read(self):
        self.serve(Answer(200, BALANCE, headers={"X-TossPayments-Trace-Id": TRACE}))
        line = self.run_tool("balances")
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(line["trace"], TRACE)
        self.assertEqual(line["result"], {"available": 5000, "pending": 0})
        # an error without traceId in its body still has the header's
        self.serve(Answer(404, '{"error":{"code":"NOT_FOUND","message":"no such seller"}}',
                          headers={"x-tosspayments-trace-id": TRACE}))
        line = self.run_tool("sellers-get", "seller_x")
        self.outcome(line, "PAY_ERR_API", "API_ERROR", 404, "NOT_FOUND")
        self.assertEqual(line["trace"], TRACE)

    def test_idempotent_replayed_header_is_read(self):
        self.serve(Answer(200, BALANCE, headers={"Idempotent-Replayed": "true"}))
        self.assertTrue(self.raw("POST", "/v2/anything")["replayed"])
        self.serve(Answer(200, BALANCE))
        self.assertFalse(self.raw("POST", "/v2/anything")["replayed"])

    # ---- C23: 401 and 403 -----------------------------------------------------------------------

    def test_401_and_403_are_auth_errors_but_a_business_403_is_not(self):
        cases = [
            (Answer(401, '{"error":{"code":"UNAUTHORIZED_KEY","message":"bad key"}}'), "AUTH_ERROR",
             "UNAUTHORIZED_KEY", "secret key was rejected"),
            (Answer(403, '{"error":{"code":"FORBIDDEN_REQUEST","message":"no contract"}}'), "AUTH_ERROR",
             "FORBIDDEN_REQUEST", "credentials were accepted"),
            (Answer(403, b"", content_type=None), "AUTH_ERROR", "", "credentials were accepted"),
            (Answer(400, '{"error":{"code":"INVALID_API_KEY","message":"client key"}}'), "AUTH_ERROR",
             "INVALID_API_KEY", "not an API secret key"),
            (Answer(403, '{"error":{"code":"FORBIDDEN_SELLER_PAYOUT","message":"KYC (refPayoutId: p1)"}}'),
             "API_ERROR", "FORBIDDEN_SELLER_PAYOUT", "business or validation rule"),
        ]
        for answer, outcome, code, hint in cases:
            self.serve(answer)
            line = self.run_tool("balances", opts=["--max-retries", "4"])
            self.assertEqual((line["outcome"], line["code"], line["http"]), (outcome, code, answer.status), line)
            self.assertEqual(line["rc"], "PAY_ERR_API")
            self.assertIn(hint, line["hint"])
            self.assertEqual(line["attempts"], 1)

    # ---- retries ---------------------------------------------------------------------------------

    def test_sealed_post_retry_keeps_the_key_and_reseals(self):
        """Every attempt carries the same Idempotency-Key, and a body sealed
        afresh: new IV, new nonce (case C18), same plaintext."""
        busy = '{"error":{"code":"IDEMPOTENT_REQUEST_PROCESSING","message":"still running"}}'
        self.serve(Answer(503, '{"error":{"code":"UNAVAILABLE","message":"later"}}'), Answer(409, busy),
                   Answer(200, '{"entityBody":{"items":[]}}', headers={"Idempotent-Replayed": "true"}))
        line = self.run_tool("payouts-request", "p1:seller_x:EXPRESS:5000", opts=["--max-retries", "4"])
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(line["attempts"], 3)
        self.assertTrue(line["replayed"])
        reqs = self.srv.requests
        self.assertEqual(len(reqs), 3)
        keys = {r["headers"].get("idempotency-key") for r in reqs}
        self.assertEqual(keys, {line["idem"]})
        headers, plains = [], []
        for r in reqs:
            self.assertEqual(r["method"], "POST")
            self.assertEqual(r["path"], "/v2/payouts")
            self.assertTrue(r["headers"]["content-type"].startswith("text/plain"))
            self.assertEqual(r["headers"]["tosspayments-api-security-mode"], "ENCRYPTION")
            self.assertEqual(r["headers"]["authorization"],
                             "Basic " + base64.b64encode((SECRET + ":").encode()).decode())
            h, pt = open_token(KEY, r["body"].decode("ascii"))
            headers.append(h)
            plains.append(json.loads(pt))
        self.assertEqual(len({h["nonce"] for h in headers}), 3, "a fresh nonce on every attempt")
        self.assertEqual(len({r["body"].split(b".")[2] for r in reqs}), 3, "a fresh IV on every attempt")
        self.assertEqual(plains[0], plains[1])
        self.assertEqual(plains[0], [{"refPayoutId": "p1", "destination": "seller_x", "scheduleType": "EXPRESS",
                                      "amount": {"currency": "KRW", "value": 5000},
                                      "transactionDescription": "정산"}])
        self.assertIsInstance(plains[0][0]["amount"]["value"], int, "amounts are JSON integers (C24)")

    def test_409_other_than_processing_is_not_retried(self):
        self.serve(Answer(409, '{"error":{"code":"CONFLICT","message":"no"}}'))
        line = self.raw("POST", "/v2/payouts", opts=["--max-retries", "4"])
        self.outcome(line, "PAY_ERR_API", "API_ERROR", 409, "CONFLICT")
        self.assertEqual(line["attempts"], 1)

    def test_no_answer_is_a_network_error_retried(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        line = self.run_tool("balances", opts=["--max-retries", "2"], base="http://127.0.0.1:%d" % port)
        self.outcome(line, "PAY_ERR_NETWORK", "NETWORK_ERROR", 0)
        self.assertEqual(line["attempts"], 3)
        self.assertIn("no answer", line["hint"])

    def test_each_attempt_reports_only_its_own_answer(self):
        """After a 503 with a trace id and a replay flag, a retry that gets
        no answer reports no trace id and no replay."""
        self.serve(Answer(503, '{"error":{"code":"UNAVAILABLE","message":"later"}}',
                          headers={"X-TossPayments-Trace-Id": TRACE, "Idempotent-Replayed": "true"}),
                   Answer(0, hang_up=True))
        line = self.raw("POST", "/v2/payouts", opts=["--max-retries", "1"])
        self.outcome(line, "PAY_ERR_NETWORK", "NETWORK_ERROR", 0)
        self.assertEqual(line["attempts"], 2)
        self.assertEqual((line["trace"], line["replayed"]), ("", False), line)

    def test_unusable_base_url_is_not_retried(self):
        """A URL libcurl cannot use fails the same way every time: one
        attempt, no backoff, and the message says why it was not retried."""
        for base in ("htp://127.0.0.1:%d" % self.srv.server_address[1], "http://[::1"):
            start = time.monotonic()
            line = self.run_tool("balances", opts=["--max-retries", "2", "--backoff-ms", "3000"], base=base)
            took = time.monotonic() - start
            self.outcome(line, "PAY_ERR_NETWORK", "NETWORK_ERROR", 0)
            self.assertEqual(line["attempts"], 1, line)
            self.assertIn("(not retried: the base URL cannot be used", line["message"])
            self.assertLess(took, 3, "no backoff was slept")
        self.assertEqual(self.srv.requests, [])

    def test_retry_after_is_waited_for(self):
        """A 503 or 429 with Retry-After is retried no sooner than asked,
        in seconds or as an HTTP-date; a 429 was refused before anything
        ran, so it is retried too."""
        busy = '{"error":{"code":"TOO_MANY_REQUESTS","message":"slow down"}}'
        for status in (503, 429):
            with self.subTest(status=status):
                self.srv.requests = []
                self.serve(Answer(status, busy, headers={"Retry-After": "1"}), Answer(200, BALANCE))
                line = self.run_tool("balances", opts=["--max-retries", "2"])
                self.outcome(line, "PAY_OK", "OK", 200)
                self.assertEqual(line["attempts"], 2)
                first, second = self.srv.requests
                self.assertGreaterEqual(second["at"] - first["at"], 0.95, "Retry-After: 1 was not waited for")
        # an HTTP-date in the past: retry at once (after the backoff)
        self.srv.requests = []
        past = email.utils.formatdate(time.time() - 3600, usegmt=True)
        self.serve(Answer(429, busy, headers={"Retry-After": past}), Answer(200, BALANCE))
        line = self.run_tool("balances", opts=["--max-retries", "1"])
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(line["attempts"], 2)
        # a POST keeps its key through a 429
        self.srv.requests = []
        self.serve(Answer(429, busy, headers={"Retry-After": "0"}), Answer(200, '{"entityBody":{"items":[]}}'))
        line = self.run_tool("payouts-request", "p1:seller_x:EXPRESS:5000", opts=["--max-retries", "1"])
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual({r["headers"]["idempotency-key"] for r in self.srv.requests}, {line["idem"]})

    def test_retry_after_over_the_limit_ends_the_retries(self):
        busy = '{"error":{"code":"TOO_MANY_REQUESTS","message":"slow down"}}'
        later = email.utils.formatdate(time.time() + 7200, usegmt=True)
        for value in ("3600", later):
            with self.subTest(value=value):
                self.srv.requests = []
                self.serve(Answer(503, busy, headers={"Retry-After": value}), Answer(200, BALANCE))
                start = time.monotonic()
                line = self.run_tool("balances", opts=["--max-retries", "2"])
                self.assertLess(time.monotonic() - start, 10)
                self.outcome(line, "PAY_ERR_API", "API_ERROR", 503, "TOO_MANY_REQUESTS")
                self.assertEqual(line["attempts"], 1)
                self.assertEqual(len(self.srv.requests), 1)
                self.assertTrue(line["message"].startswith("slow down (not retried: the server asked to wait "),
                                line["message"])
                self.assertIn("more than the client's limit of 60 s", line["message"])

    def test_delete_that_may_have_run_is_not_retried(self):
        """A DELETE carries no Idempotency-Key: once the server may have run
        it (the request was sent, then no answer or a 5xx), a retry would
        answer 404 for the seller the first attempt deleted."""
        gone = '{"error":{"code":"NOT_FOUND_SELLER","message":"no such seller"}}'
        for first in (Answer(0, hang_up=True), Answer(502, '{"error":{"code":"BAD_GATEWAY","message":"x"}}')):
            with self.subTest(status=first.status):
                self.srv.requests = []
                self.serve(first, Answer(404, gone))
                line = self.run_tool("sellers-delete", "seller_x", opts=["--max-retries", "3"])
                self.assertEqual(line["attempts"], 1, line)
                self.assertEqual(len(self.srv.requests), 1)
                self.assertNotEqual(line["code"], "NOT_FOUND_SELLER")
                self.assertIn("(not retried: a DELETE carries no Idempotency-Key", line["message"])
                self.assertEqual(self.srv.requests[0]["method"], "DELETE")
        # ... while a GET, which changes nothing, is retried after the same failure
        self.srv.requests = []
        self.serve(Answer(0, hang_up=True), Answer(200, BALANCE))
        line = self.run_tool("balances", opts=["--max-retries", "3"])
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(line["attempts"], 2)
        # ... and a 429 (refused before it ran) is retried for a DELETE too
        self.srv.requests = []
        self.serve(Answer(429, '{"error":{"code":"TOO_MANY_REQUESTS","message":"x"}}', headers={"Retry-After": "0"}),
                   Answer(200, '{"entityBody":{"id":"seller_x","refSellerId":"r1"}}'))
        line = self.run_tool("sellers-delete", "seller_x", opts=["--max-retries", "3"])
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(line["attempts"], 2)

    def test_changes_go_only_as_post_with_a_key(self):
        """The raw layer takes GET, POST and DELETE exactly: a "post" or
        "PATCH" would have gone without an Idempotency-Key and been retried."""
        self.serve(Answer(500, '{"error":{"code":"X","message":"x"}}'))
        for method in ("post", "PATCH"):
            line = self.raw(method, "/v2/payouts", "--body", "[]", opts=["--max-retries", "2"])
            self.outcome(line, "PAY_ERR_INVALID_ARG", "LOCAL_ERROR", 0)
            self.assertEqual(line["attempts"], 0)
            self.assertIn("GET, POST or DELETE", line["message"])
        self.assertEqual(self.srv.requests, [], "nothing was sent")

    def test_timeout_is_a_network_error(self):
        self.serve(Answer(200, BALANCE))
        # a listener that never answers
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        try:
            line = self.run_tool("balances", opts=["--max-retries", "1", "--timeout-ms", "300"],
                                 base="http://127.0.0.1:%d" % s.getsockname()[1])
        finally:
            s.close()
        self.outcome(line, "PAY_ERR_NETWORK", "NETWORK_ERROR", 0)
        self.assertEqual(line["attempts"], 2)
        self.assertEqual(line["trace"], "")

    # ---- what the client sends ---------------------------------------------------------------------

    def test_reads_are_plain_unless_encrypt_reads(self):
        self.serve(Answer(200, BALANCE))
        self.run_tool("balances")
        self.run_tool("balances", opts=["--encrypt-reads", "--accept-language", "en-US"])
        plain, sealed = self.srv.requests
        self.assertNotIn("tosspayments-api-security-mode", plain["headers"])
        self.assertNotIn("idempotency-key", plain["headers"])
        self.assertEqual(sealed["headers"]["tosspayments-api-security-mode"], "ENCRYPTION")
        self.assertEqual(sealed["headers"]["accept-language"], "en-US")
        self.assertEqual(plain["body"], b"")

    def test_given_idempotency_key_is_sent_as_given(self):
        self.serve(Answer(200, '{"entityBody":{"items":[]}}'))
        key = "order-2026-12-09-0001"
        line = self.run_tool("payouts-request", "p1:seller_x:EXPRESS:5000", opts=["--idem", key])
        self.assertEqual(line["idem"], key)
        self.assertEqual(self.srv.requests[0]["headers"]["idempotency-key"], key)

    def test_unusable_idempotency_key_is_refused_before_sending(self):
        """A key over 300 characters (spec §7) or with control characters
        cannot be sent as given: cutting it would merge two requests' keys,
        and a CR LF would inject headers."""
        self.serve(Answer(200, '{"entityBody":{"items":[]}}'))
        for key in ("k" * 301, "abc\r\nX-Injected: 1", "tab\there"):
            line = self.run_tool("payouts-request", "p1:seller_x:EXPRESS:5000", opts=["--idem", key])
            self.outcome(line, "PAY_ERR_INVALID_ARG", "LOCAL_ERROR", 0)
            self.assertEqual(line["attempts"], 0)
            self.assertIn("Idempotency-Key", line["message"])
        self.assertEqual(self.srv.requests, [], "nothing was sent")
        line = self.run_tool("payouts-request", "p1:seller_x:EXPRESS:5000", opts=["--idem", "k" * 300])
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(self.srv.requests[0]["headers"]["idempotency-key"], "k" * 300)

    def test_seller_list_sends_no_payout_date_filters(self):
        """pay_list_params' payout date fields are for payouts only; a
        sellers list must not put them (unchecked) into its query."""
        self.serve(Answer(200, '{"entityBody":{"items":[],"hasNext":false}}'))
        line = self.run_tool("sellers-list", "--limit", "3", "--gte", "2026-01-01&limit=10000",
                             "--lte", "2026-12-31")
        self.outcome(line, "PAY_OK", "OK", 200)
        self.assertEqual(self.srv.requests[0]["path"], "/v2/sellers?limit=3")


if __name__ == "__main__":
    unittest.main(verbosity=2)
