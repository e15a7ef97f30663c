"""payoutctl against a real payoutd (docs/payoutctl.md): every v2 endpoint
(sellers create/list/get/update/delete, payouts request/list/get/cancel,
balances); errors as structured lines with code, HTTP status, trace id and
hint, and the exit code of each class (API 1, usage 2, network 3,
unreadable key 4, auth 5; cases C13/C14, C23, C24); keys from the
environment or a file with a trailing newline (C07); --raw, --verbose,
--field, --idempotency-key replays, --test-code, --lang; webhook verify;
every admin subcommand; and --help everywhere. No key may appear on stderr
or in any output but the admin answers that issue keys.

payoutctl is found at $PAY_BUILD_DIR/payoutctl (CTest sets it)."""
import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, PINNED_TODAY, Server, ServerTestCase, main

PAYOUTCTL = os.path.join(os.environ["PAY_BUILD_DIR"], "payoutctl")
TRACE_RE = re.compile(r"^trace: [0-9a-f]{32}$", re.M)

CORP_FLAGS = ["--type", "CORPORATE", "--company-name", "테스트 상호", "--representative", "김토스",
              "--brn", "1234567890", "--email", "toss@sample.com", "--phone", "01012345678",
              "--bank", "088", "--account", "123456789012", "--holder", "김토스"]
PERSON = {"refSellerId": None, "businessType": "INDIVIDUAL",
          "individual": {"name": "김기원", "email": "noreply@example.com", "phone": "01012345678"},
          "account": {"bankCode": "004", "accountNumber": "049210482003", "holderName": "김기원"},
          "metadata": {"key1": "value1"}}

# Every command and subcommand whose --help must work and show an example.
HELP_COMMANDS = [
    [], ["sellers"], ["sellers", "create"], ["sellers", "list"], ["sellers", "get"],
    ["sellers", "update"], ["sellers", "delete"], ["payouts"], ["payouts", "request"],
    ["payouts", "list"], ["payouts", "get"], ["payouts", "cancel"], ["balances"], ["webhook"],
    ["webhook", "verify"], ["admin"], ["admin", "merchants"], ["admin", "merchants", "create"],
    ["admin", "merchants", "get"], ["admin", "contract"], ["admin", "credit"], ["admin", "clock"],
    ["admin", "clock", "get"], ["admin", "clock", "set"], ["admin", "clock", "advance"],
    ["admin", "clock", "reset"], ["admin", "sellers"], ["admin", "sellers", "verify-identity"],
    ["admin", "sellers", "approve-kyc"], ["admin", "sellers", "require-kyc"], ["admin", "webhook"],
    ["admin", "webhook", "set"], ["admin", "webhook", "list"], ["admin", "webhook", "redeliver"],
    ["admin", "keys"], ["admin", "keys", "rotate"], ["admin", "traces"], ["admin", "traces", "get"],
    ["admin", "traces", "list"], ["admin", "scheduler"], ["admin", "scheduler", "run"],
    ["jwe"], ["jwe", "encrypt"], ["jwe", "decrypt"], ["jwe", "inspect"], ["jwe", "doctor"],
]


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def admin_base(server):
    """The admin API's URL: the harness's admin listener when it has one."""
    return getattr(server, "admin_base", server.base)


class Payoutctl(ServerTestCase):
    """One payoutd (admin token set, rate limits off) for the class; a merchant per test."""

    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]
        self.n = 0

    def ref(self, prefix):
        self.n += 1
        return "%s-%s-%d" % (prefix, self.m["mid"][-6:], self.n)

    def ctl(self, *args, env=None, keys=True, stdin=None, issues_keys=False, expect=None):
        """Runs payoutctl with a clean environment pointing at the server and
        this test's merchant; returns the CompletedProcess (text)."""
        e = {k: v for k, v in os.environ.items() if not k.startswith(("PAYOUT_", "PAYOUTD_"))}
        e.update({"PAYOUT_BASE_URL": self.server.base, "PAYOUTD_ADMIN_URL": admin_base(self.server),
                  "PAYOUTD_ADMIN_TOKEN": self.server.admin_token, "PAYOUTD_MERCHANT": self.m["mid"]})
        if keys:
            e["PAYOUT_SECRET_KEY"] = self.keys["secretKey"]
            e["PAYOUT_SECURITY_KEY"] = self.keys["securityKey"]
        e.update(env or {})
        p = subprocess.run([PAYOUTCTL] + [str(a) for a in args], env=e, input=stdin, capture_output=True,
                           text=True, timeout=120)
        # A sanitizer build reports here; its exit code could pass for an API error.
        self.assertNotIn("Sanitizer", p.stderr, p.stderr)
        self.assertNotIn("runtime error", p.stderr, p.stderr)
        self.server.check_no_leak("payoutctl %s stderr" % " ".join(map(str, args)), p.stderr)
        if issues_keys:
            try:
                self.server.learn_secrets(json.loads(p.stdout))
            except ValueError:
                pass
        else:
            self.server.check_no_leak("payoutctl %s stdout" % " ".join(map(str, args)), p.stdout)
        if expect is not None:
            self.assertEqual(p.returncode, expect, "payoutctl %s\nstdout: %s\nstderr: %s"
                             % (" ".join(map(str, args)), p.stdout, p.stderr))
        return p

    def ok_json(self, *args, **kw):
        return json.loads(self.ctl(*args, expect=0, **kw).stdout)

    def corporate(self):
        return self.ok_json("sellers", "create", "--ref", self.ref("corp"), *CORP_FLAGS)

    def pin(self):
        self.ctl("admin", "clock", "set", PINNED_NOW, expect=0)

    def assert_api_error(self, p, code, status, exit_code):
        self.assertEqual(p.returncode, exit_code, p.stderr)
        self.assertIn("error: %s (HTTP %d): " % (code, status), p.stderr)
        self.assertRegex(p.stderr, TRACE_RE)
        self.assertIn("hint: ", p.stderr)

    # ---- sellers ----------------------------------------------------------------------

    def test_sellers_create_list_get_update_delete(self):
        corp = self.corporate()
        self.assertRegex(corp["id"], r"^seller_[0-9a-z]{26}$")
        self.assertEqual(corp["status"], "PARTIALLY_APPROVED")
        self.assertEqual(corp["company"]["name"], "테스트 상호")  # UTF-8 unescaped, as sent
        self.assertEqual(corp["account"]["accountNumber"], "123****89012")
        # from a file, and from stdin
        person = dict(PERSON, refSellerId=self.ref("file"))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
            json.dump(person, f, ensure_ascii=False)
        try:
            ind = self.ok_json("sellers", "create", "--file", f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(ind["status"], "APPROVAL_REQUIRED")
        self.assertEqual(ind["metadata"], {"key1": "value1"})
        ind2 = self.ok_json("sellers", "create", "--file", "-",
                            stdin=json.dumps(dict(PERSON, refSellerId=self.ref("stdin")), ensure_ascii=False))
        # pretty output: 2-space indent, Korean unescaped
        p = self.ctl("sellers", "get", ind["id"], expect=0)
        self.assertIn('\n  "refSellerId": ', p.stdout)
        self.assertIn("김기원", p.stdout)
        self.assertEqual(json.loads(p.stdout)["id"], ind["id"])
        # list and paging
        page = self.ok_json("sellers", "list", "--limit", 2)
        self.assertEqual([s["id"] for s in page["items"]], [corp["id"], ind["id"]])
        self.assertTrue(page["hasNext"])
        page2 = self.ok_json("sellers", "list", "--starting-after", page["lastCursor"])
        self.assertEqual([s["id"] for s in page2["items"]], [ind2["id"]])
        self.assertFalse(page2["hasNext"])
        # update from flags: --email alone looks the seller up to place it
        up = self.ok_json("sellers", "update", ind["id"], "--email", "new@example.com", "--meta", "tier=gold")
        self.assertEqual(up["individual"]["email"], "new@example.com")
        self.assertEqual(up["individual"]["name"], "김기원")
        self.assertEqual(up["metadata"], {"tier": "gold"})
        up = self.ok_json("sellers", "update", corp["id"], "--phone", "0212345678", "--representative", "이토스")
        self.assertEqual(up["company"]["phone"], "0212345678")
        self.assertEqual(up["company"]["representativeName"], "이토스")
        up = self.ok_json("sellers", "update", ind["id"], "--file", "-", stdin='{"metadata":null}')
        self.assertIsNone(up["metadata"])
        up = self.ok_json("sellers", "update", ind["id"], "--meta", "a=1", "--type", "INDIVIDUAL")
        up = self.ok_json("sellers", "update", ind["id"], "--no-meta")
        self.assertIsNone(up["metadata"])
        # delete, then it is gone
        p = self.ctl("-v", "--encrypt-reads", "sellers", "delete", ind2["id"], expect=0)
        self.assertIn("sealed answer: yes", p.stderr)
        gone = json.loads(p.stdout)
        self.assertEqual(gone, {"id": ind2["id"], "refSellerId": ind2["refSellerId"]})
        self.assert_api_error(self.ctl("sellers", "get", ind2["id"]), "NOT_FOUND", 404, 1)

    def test_seller_flag_usage_errors(self):
        before = self.ok_json("sellers", "list")
        cases = [
            (["sellers", "create"], "give the seller"),
            (["sellers", "create", "--ref", "x", "--name", "a"], "--type is required"),
            (["sellers", "create", "--ref", "x", "--type", "COMPANY"], "--type is"),
            (["sellers", "create", "--ref", "x", "--type", "INDIVIDUAL", "--brn", "1234567890"], "--brn"),
            (["sellers", "create", "--ref", "x", "--type", "CORPORATE", "--name", "a"], "--name"),
            (["sellers", "create", "--ref", "x", "--type", "CORPORATE", "--meta", "novalue"], "KEY=VALUE"),
            (["sellers", "create", "--file", "-", "--ref", "x"], "either"),
            (["sellers", "create", "--file", "/nonexistent/seller.json"], "cannot read"),
            (["sellers", "get"], "seller id"),
            (["sellers", "get", "seller/../../x"], "not a seller id"),
            (["sellers", "update", "seller_x"], "nothing to change"),
            (["sellers", "list", "--limit", "ten"], "--limit"),
            (["sellers", "frobnicate"], "unknown subcommand"),
            (["sellers", "list", "--bogus"], "unknown option"),
        ]
        for args, text in cases:
            with self.subTest(args=args):
                p = self.ctl(*args, expect=2)
                self.assertIn(text, p.stderr)
        p = self.ctl("sellers", "create", "--file", "-", stdin="[1,2]", expect=2)
        self.assertIn("JSON object", p.stderr)
        p = self.ctl("sellers", "create", "--file", "-", stdin='{"a":1,"a":2}', expect=2)
        self.assertIn("not JSON", p.stderr)
        self.assertEqual(self.ok_json("sellers", "list"), before)

    # ---- payouts and balances ---------------------------------------------------------------

    def test_payouts_request_list_get_cancel_and_balances(self):
        self.pin()
        seller = self.corporate()
        bal = self.ok_json("balances")
        self.assertEqual(bal["availableAmount"], {"currency": "KRW", "value": 100000000.0})
        self.assertEqual(bal["pendingAmount"]["value"], 0.0)
        self.assertEqual(self.ctl("balances", "get", "--field", "availableAmount.value", expect=0).stdout,
                         "100000000.0\n")
        sched = self.ok_json("payouts", "request", "--ref", self.ref("p"), "--to", seller["id"], "--amount", 50000,
                             "--date", PINNED_SCHEDULED, "--description", "12월 정산", "--meta", "order=42")
        self.assertEqual(len(sched["items"]), 1)
        item = sched["items"][0]
        self.assertRegex(item["id"], r"^FPA_[0-9a-z]{26}$")
        self.assertEqual((item["status"], item["scheduleType"], item["payoutDate"]),
                         ("REQUESTED", "SCHEDULED", PINNED_SCHEDULED))
        self.assertEqual(item["amount"], {"currency": "KRW", "value": 50000.0})
        self.assertEqual(item["metadata"], {"order": "42"})
        express = self.ok_json("payouts", "request", "--ref", self.ref("p"), "--to", seller["id"],
                               "--amount", "7000", "--express", "--description", "대금지급")["items"][0]
        self.assertEqual((express["status"], express["payoutDate"]), ("IN_PROGRESS", PINNED_TODAY))
        # a file with one object (wrapped into the array), then an array of two
        one = {"refPayoutId": self.ref("f"), "destination": seller["id"], "scheduleType": "SCHEDULED",
               "payoutDate": PINNED_SCHEDULED, "amount": {"currency": "KRW", "value": 1000},
               "transactionDescription": "파일"}
        got = self.ok_json("payouts", "request", "--file", "-", stdin=json.dumps(one, ensure_ascii=False))
        self.assertEqual(got["items"][0]["refPayoutId"], one["refPayoutId"])
        two = [dict(one, refPayoutId=self.ref("f")), dict(one, refPayoutId=self.ref("f"))]
        got = self.ok_json("payouts", "request", "--file", "-", stdin=json.dumps(two, ensure_ascii=False))
        self.assertEqual([i["refPayoutId"] for i in got["items"]], [t["refPayoutId"] for t in two])
        # get, list with dates and paging
        self.assertEqual(self.ok_json("payouts", "get", item["id"])["id"], item["id"])
        listed = self.ok_json("payouts", "list", "--from", PINNED_SCHEDULED, "--to", PINNED_SCHEDULED)
        self.assertEqual(len(listed["items"]), 4)
        self.assertNotIn(express["id"], [i["id"] for i in listed["items"]])
        page = self.ok_json("payouts", "list", "--limit", 1)
        self.assertEqual(page["items"][0]["id"], item["id"])
        self.assertTrue(page["hasNext"])
        page = self.ok_json("payouts", "list", "--starting-after", page["lastCursor"], "--limit", 1)
        self.assertEqual(page["items"][0]["id"], express["id"])
        # cancel
        p = self.ctl("-v", "--encrypt-reads", "payouts", "cancel", item["id"], expect=0)
        self.assertEqual(json.loads(p.stdout)["status"], "CANCELED")
        self.assertIn("sealed answer: yes", p.stderr)
        self.assert_api_error(self.ctl("payouts", "cancel", express["id"]), "NOT_CANCELABLE_PAYOUT", 400, 1)
        bal = self.ok_json("balances")
        self.assertEqual(bal["availableAmount"]["value"], 100000000.0 - 7000 - 3000)
        # the sandbox clock through the admin command completes them
        self.ctl("admin", "clock", "set", PINNED_SCHEDULED + "T08:05:00+09:00", expect=0)
        self.assertEqual(self.ctl("payouts", "get", express["id"], "--field", "status", expect=0).stdout,
                         "COMPLETED\n")

    def test_amount_must_be_whole_won_c24(self):
        self.pin()
        seller = self.corporate()
        base = ["payouts", "request", "--ref", "amt-1", "--to", seller["id"], "--express", "--description", "x"]
        for amount, text in [("5,000", "write 5000"), ("5000.5", "no fractions"), ("5000.0", "no fractions"),
                             ("-5000", "positive whole number"), ("0", "positive whole number"),
                             ("5e3", "positive whole number"), ("", "positive whole number"),
                             ("₩5000", "positive whole number")]:
            with self.subTest(amount=amount):
                p = self.ctl(*(base + ["--amount", amount]), expect=2)
                self.assertIn("--amount", p.stderr)
                self.assertIn(text, p.stderr)
        missing = self.ctl("payouts", "request", "--ref", "x", "--to", seller["id"], "--express", expect=2)
        self.assertIn("--amount is required", missing.stderr)
        both = self.ctl(*(base + ["--amount", "5000", "--date", PINNED_SCHEDULED]), expect=2)
        self.assertIn("exactly one of --express or --date", both.stderr)
        p = self.ctl("payouts", "request", "--ref", "amt-1", "--to", seller["id"], "--amount", 1, "--date",
                     "16/12/2026", "--description", "x", expect=2)
        self.assertIn("yyyy-MM-dd", p.stderr)
        self.assertEqual(self.ok_json("payouts", "list")["items"], [])  # nothing was sent
        # a file is passed through: the server names the item and the field
        bad = [{"refPayoutId": "amt-2", "destination": seller["id"], "scheduleType": "EXPRESS",
                "amount": {"currency": "KRW", "value": "5,000"}, "transactionDescription": "x"}]
        p = self.ctl("payouts", "request", "--file", "-", stdin=json.dumps(bad))
        self.assert_api_error(p, "INVALID_REQUEST", 400, 1)
        self.assertIn("[0].amount.value", p.stderr)

    # ---- error classes --------------------------------------------------------------------------

    def test_sealed_error_becomes_structured_error(self):
        """C13/C14: an error that comes back sealed is opened and reported
        with its code, message and trace id; exit 1."""
        p = self.ctl("-v", "sellers", "create", "--ref", self.ref("bad"), *CORP_FLAGS[:-10],
                     "--email", "not-an-email", "--phone", "01012345678", "--bank", "088",
                     "--account", "123456789012", "--holder", "김토스")
        self.assert_api_error(p, "INVALID_EMAIL", 400, 1)
        self.assertIn("sealed answer: yes", p.stderr)
        self.assertIn("company.email", p.stderr)
        self.assertIn("business or validation rule", p.stderr)
        # a sealed GET answer (--encrypt-reads) that is an error
        p = self.ctl("-v", "--encrypt-reads", "payouts", "get", "FPA_" + "0" * 26)
        self.assert_api_error(p, "PAYOUT_NOT_FOUND", 404, 1)
        self.assertIn("sealed answer: yes", p.stderr)
        # and a plain one
        p = self.ctl("-v", "payouts", "get", "FPA_" + "0" * 26)
        self.assert_api_error(p, "PAYOUT_NOT_FOUND", 404, 1)
        self.assertIn("sealed answer: no", p.stderr)
        # --encrypt-reads on a success: opened and printed the same way
        self.assertIn("availableAmount", self.ok_json("--encrypt-reads", "balances"))

    def test_401_exit_5_with_its_hint(self):
        p = self.ctl("balances", env={"PAYOUT_SECRET_KEY": "test_sk_" + "A" * 28})
        self.assert_api_error(p, "UNAUTHORIZED_KEY", 401, 5)
        self.assertIn("the secret key was rejected", p.stderr)
        self.assertNotIn("not a key or encryption problem", p.stderr)
        p = self.ctl("balances", env={"PAYOUT_SECRET_KEY": self.keys["clientKey"]})
        self.assert_api_error(p, "INVALID_API_KEY", 400, 5)

    def test_403_without_contract_exit_5_not_a_key_problem(self):
        nc = self.merchant(contract=False)
        p = self.ctl("balances", env={"PAYOUT_SECRET_KEY": nc["test"]["secretKey"],
                                      "PAYOUT_SECURITY_KEY": nc["test"]["securityKey"]})
        self.assert_api_error(p, "FORBIDDEN_REQUEST", 403, 5)
        self.assertIn("not a key or encryption problem", p.stderr)

    def test_forbidden_seller_payout_is_business_exit_1(self):
        self.pin()
        person = self.ok_json("sellers", "create", "--ref", self.ref("kyc"), "--type", "INDIVIDUAL",
                              "--name", "김토스", "--email", "a@example.com", "--phone", "01000000000",
                              "--bank", "088", "--account", "00000000000000", "--holder", "김토스")
        ref = self.ref("p")
        p = self.ctl("payouts", "request", "--ref", ref, "--to", person["id"], "--amount", 500, "--express",
                     "--description", "정산금")
        self.assert_api_error(p, "FORBIDDEN_SELLER_PAYOUT", 403, 1)
        self.assertIn(ref, p.stderr)  # the message names the refPayoutId
        self.assertIn("not a key, auth or encryption problem", p.stderr)
        self.assertNotIn("may not call this API", p.stderr)

    def test_network_error_exit_3(self):
        url = "http://127.0.0.1:%d" % closed_port()
        p = self.ctl("--retries", 0, "--base-url", url, "balances", expect=3)
        self.assertIn("error: no answer after 1 attempt", p.stderr)
        self.assertIn("check the base URL", p.stderr)
        p = self.ctl("-v", "balances", "--retries", 1, env={"PAYOUT_BASE_URL": url}, expect=3)
        self.assertIn("attempts: 2", p.stderr)
        p = self.ctl("admin", "clock", "get", env={"PAYOUTD_ADMIN_URL": url}, expect=3)
        self.assertIn("no answer from the admin API", p.stderr)

    def test_unusable_base_url_fails_once(self):
        """A URL libcurl cannot use is not retried: one attempt, no backoff
        (4 retries would wait 250 + 500 + 1000 + 2000 ms), and the reason."""
        for url in ("htp://127.0.0.1:%d" % self.server.port, "http://[::1"):
            start = time.monotonic()
            p = self.ctl("-v", "--retries", 4, "--base-url", url, "balances", expect=3)
            took = time.monotonic() - start
            self.assertIn("error: no answer after 1 attempt: ", p.stderr)
            self.assertIn("(not retried: the base URL cannot be used", p.stderr)
            self.assertIn("attempts: 1,", p.stderr)
            self.assertLess(took, 2.0, "a retry's backoff was slept")

    def test_test_code_and_lang(self):
        p = self.ctl("--test-code", "NOT_ENOUGH_AMOUNT", "balances")
        self.assert_api_error(p, "NOT_ENOUGH_AMOUNT", 400, 1)
        self.assertIn("TossPayments-Test-Code", p.stderr)
        p = self.ctl("--lang", "en", "payouts", "get", "FPA_" + "0" * 26, expect=1)
        self.assertNotRegex(p.stderr.splitlines()[0], r"[가-힣]")
        p = self.ctl("--lang", "ko", "payouts", "get", "FPA_" + "0" * 26, expect=1)
        self.assertRegex(p.stderr.splitlines()[0], r"[가-힣]")
        self.ctl("--lang", "fr", "balances", expect=2)

    # ---- credentials (C07) ----------------------------------------------------------------------

    def test_key_from_env_with_trailing_newline_c07(self):
        sec = self.keys["securityKey"]
        for ending, name in [("\n", "LF"), ("\r\n", "CR LF"), ("\r", "CR")]:
            with self.subTest(ending=name):
                p = self.ctl("-v", "sellers", "create", "--ref", self.ref("nl"), *CORP_FLAGS,
                             env={"PAYOUT_SECURITY_KEY": sec + ending,
                                  "PAYOUT_SECRET_KEY": self.keys["secretKey"] + "\n"}, expect=0)
                self.assertIn("security key from $PAYOUT_SECURITY_KEY: removed one trailing %s" % name, p.stderr)
                self.assertIn("secret key from $PAYOUT_SECRET_KEY: removed one trailing LF", p.stderr)
        # only one line ending is removed
        p = self.ctl("balances", env={"PAYOUT_SECURITY_KEY": sec + "\n\n"}, expect=4)
        self.assertIn("got 65", p.stderr)
        # from files: the first line
        with tempfile.TemporaryDirectory() as d:
            kf, sf = os.path.join(d, "security.key"), os.path.join(d, "secret.key")
            with open(kf, "w") as f:
                f.write(sec + "\r\n")
            with open(sf, "w") as f:
                f.write(self.keys["secretKey"] + "\n# comment\n")
            p = self.ctl("-v", "--security-key-file", kf, "--secret-key-file", sf, "sellers", "create",
                         "--ref", self.ref("kf"), *CORP_FLAGS, keys=False, expect=0)
            self.assertIn("security key from file %s: removed one trailing CR LF" % kf, p.stderr)
            self.assertIn("using the first line of %s" % sf, p.stderr)
            self.ctl("--security-key-file", os.path.join(d, "missing"), "balances", expect=4)
        # a key given on the command line is used as given: libpayout's own sentence
        p = self.ctl("--security-key", sec + "\n", "balances", expect=4)
        self.assertIn("security key must be exactly 64 hex characters; got 65 (trailing newline)", p.stderr)
        bad = [(sec[:10] + "g" + sec[11:], "non-hex character 'g' at index 10"),
               ('"%s"' % sec, "got 66 (wrapped in double quotes)"),
               (sec[:63], "got 63"), (sec[:32], "half of the key"), (sec.upper(), None)]
        for value, text in bad:
            with self.subTest(key=text):
                p = self.ctl("balances", env={"PAYOUT_SECURITY_KEY": value})
                if text is None:
                    self.assertEqual(p.returncode, 0, p.stderr)  # C07 (a): upper case works
                else:
                    self.assertEqual(p.returncode, 4, p.stderr)
                    self.assertIn(text, p.stderr)
                    self.assertIn("from $PAYOUT_SECURITY_KEY", p.stderr)
        # missing keys are usage errors
        p = self.ctl("balances", keys=False, expect=2)
        self.assertIn("PAYOUT_SECRET_KEY", p.stderr)
        p = self.ctl("sellers", "create", "--ref", "x", *CORP_FLAGS,
                     env={"PAYOUT_SECURITY_KEY": ""}, expect=2)
        self.assertIn("PAYOUT_SECURITY_KEY", p.stderr)

    # ---- output options --------------------------------------------------------------------------

    def test_raw_prints_the_envelope(self):
        p = self.ctl("--raw", "balances", expect=0)
        env = json.loads(p.stdout)
        self.assertEqual(env["entityType"], "balance")
        self.assertEqual(env["version"], "2022-11-16")
        self.assertRegex(env["traceId"], r"^[0-9a-f]{32}$")
        self.assertEqual(p.stdout.count("\n"), 1)  # as received: compact, one line
        # a sealed answer, printed decrypted
        sealed = json.loads(self.ctl("sellers", "create", "--raw", "--ref", self.ref("raw"), *CORP_FLAGS,
                                     expect=0).stdout)
        self.assertEqual(sealed["entityType"], "seller")
        self.assertEqual(sealed["entityBody"]["company"]["representativeName"], "김토스")
        # an error envelope goes to stdout too; the error lines to stderr
        p = self.ctl("--raw", "sellers", "get", "seller_" + "0" * 26, expect=1)
        env = json.loads(p.stdout)
        self.assertEqual(env["error"]["code"], "NOT_FOUND")
        self.assertIsNone(env["entityBody"])
        self.assertIn("trace: %s" % env["traceId"], p.stderr)
        # --raw --field: a path in the envelope
        self.assertEqual(self.ctl("--raw", "--field", "entityType", "balances", expect=0).stdout, "balance\n")
        self.ctl("--field", "no.such.field", "balances", expect=4)

    def test_verbose_shows_the_call_but_no_key(self):
        p = self.ctl("--verbose", "--raw", "sellers", "create", "--ref", self.ref("v"), *CORP_FLAGS, expect=0)
        trace = json.loads(p.stdout)["traceId"]
        self.assertIn("attempts: 1", p.stderr)
        self.assertIn("trace id: %s" % trace, p.stderr)
        self.assertRegex(p.stderr, r"idempotency key: [0-9a-f-]{36}")
        self.assertIn("replayed: no", p.stderr)
        self.assertIn("POST /v2/sellers (body sealed", p.stderr)
        for secret in (self.keys["secretKey"], self.keys["securityKey"], self.server.admin_token):
            self.assertNotIn(secret, p.stderr)
            self.assertNotIn(secret, p.stdout)
        p = self.ctl("-v", "admin", "clock", "get", expect=0)
        self.assertIn("admin token from $PAYOUTD_ADMIN_TOKEN", p.stderr)
        self.assertNotIn(self.server.admin_token, p.stderr)

    def test_idempotency_key_replays(self):
        self.pin()
        seller = self.corporate()
        args = ["-v", "--idempotency-key", "batch-" + self.m["mid"], "payouts", "request", "--ref", self.ref("i"),
                "--to", seller["id"], "--amount", 12000, "--date", PINNED_SCHEDULED, "--description", "x",
                "--field", "items.0.id"]
        first = self.ctl(*args, expect=0)
        second = self.ctl(*args, expect=0)
        self.assertEqual(first.stdout, second.stdout)
        self.assertRegex(first.stdout, r"^FPA_")
        self.assertIn("replayed: no", first.stderr)
        self.assertIn("replayed: yes", second.stderr)
        self.assertIn("idempotency key: batch-" + self.m["mid"], second.stderr)
        self.assertEqual(len(self.ok_json("payouts", "list")["items"]), 1)
        self.assertEqual(self.ok_json("balances")["availableAmount"]["value"], 100000000.0 - 12000)

    # ---- webhook verify ---------------------------------------------------------------------------

    def test_webhook_verify(self):
        # spec §8.9's self-generated vector
        key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        body = ('{"eventType":"payout.changed","createdAt":"2024-12-02T12:15:20+09:00","version":"2022-11-16",'
                '"eventId":"evt-1","entityType":"payout","entityBody":{"id":"FPA_12345","status":"COMPLETED"}}')
        when = "2024-09-05T12:19:21+09:00"
        good, ascii_key = "v1:FD63l30aXccM2vCg/LlxI+yWkVJUjFfNOrE7Hk3cJRw=", "v1:5IQ/nmLiSayONMsyVBmbbP1LcNHpHnBnKU94kpfuCP4="
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(body)
        try:
            base = ["webhook", "verify", "--body", f.name, "--time", when]
            p = self.ctl(*(base + ["--signature", good, "--key", key]), expect=0)
            self.assertEqual(p.stdout, "valid\n")
            p = self.ctl(*(base + ["--signature", ascii_key, "--key", key]), expect=1)
            self.assertTrue(p.stdout.startswith("invalid: "), p.stdout)
            # rotation: two keys and two values; the env key with a newline (C07)
            other = hashlib.sha256(b"other").hexdigest()
            sig2 = "v1:" + base64.b64encode(hmac.new(bytes.fromhex(other), (body + ":" + when).encode(),
                                                     hashlib.sha256).digest()).decode()
            self.ctl(*(base + ["--signature", ascii_key + "," + sig2, "--key", key, "--key", other]), expect=0)
            self.ctl(*(base + ["--signature", sig2]), env={"PAYOUT_SECURITY_KEY": other + "\n"}, expect=0)
            self.ctl(*(base + ["--signature", sig2]), env={"PAYOUT_SECURITY_KEY": key}, expect=1)
            # the time is part of the signed text; a malformed header is invalid
            self.ctl("webhook", "verify", "--body", f.name, "--time", when.replace("21+", "22+"),
                     "--signature", good, "--key", key, expect=1)
            p = self.ctl(*(base + ["--signature", "v2:abc", "--key", key]), expect=1)
            self.assertIn("v1:", p.stdout)
            # stdin body
            self.ctl("webhook", "verify", "--body", "-", "--time", when, "--signature", good, "--key", key,
                     stdin=body, expect=0)
            self.ctl("webhook", "verify", "--body", "-", "--time", when, "--signature", good, "--key", key,
                     stdin=body + "\n", expect=1)
            # usage and key errors
            self.ctl("webhook", "verify", "--body", f.name, "--signature", good, "--key", key, expect=2)
            self.ctl(*(base + ["--signature", good]), keys=False, expect=2)
            p = self.ctl(*(base + ["--signature", good, "--key", key[:-1]]), expect=4)
            self.assertIn("got 63", p.stderr)
        finally:
            os.unlink(f.name)

    # ---- admin -------------------------------------------------------------------------------------

    def test_admin_commands(self):
        mid = self.m["mid"]
        made = self.ok_json("admin", "merchants", "create", "--mid", "ctl-" + mid[-8:], "--test-balance", 5000,
                            issues_keys=True)
        self.assertEqual(made["mid"], "ctl-" + mid[-8:])
        self.assertRegex(made["test"]["secretKey"], r"^test_sk_")
        view = self.ok_json("admin", "merchants", "get", made["mid"])
        self.assertEqual(view["test"]["ledger"]["available"], 5000)
        self.assertEqual(self.ok_json("admin", "merchants", "get")["mid"], mid)  # PAYOUTD_MERCHANT
        nc = self.ok_json("admin", "merchants", "create", "--no-contract", issues_keys=True)
        self.assertFalse(nc["payoutContract"])
        # contract off and on
        self.assertFalse(self.ok_json("admin", "contract", "off")["payoutContract"])
        self.assert_api_error(self.ctl("balances"), "FORBIDDEN_REQUEST", 403, 5)
        self.assertTrue(self.ok_json("admin", "contract", "on")["payoutContract"])
        # credits
        self.assertEqual(self.ok_json("admin", "credit", "--amount", 1000)["test"]["ledger"]["available"],
                         100001000)
        pend = self.ok_json("admin", "credit", "--amount", 2000, "--settlement-date", "2099-01-01")
        self.assertEqual(pend["test"]["ledger"]["pending"], 2000)
        self.assertEqual(self.ok_json("admin", "credit", "--amount", 300, "--env", "live")["live"]["ledger"]
                         ["available"], 300)
        # clock
        self.assertEqual(self.ok_json("admin", "clock", "set", PINNED_NOW)["now"], PINNED_NOW)
        # the sandbox clock keeps running between calls: compare to the minute
        self.assertTrue(self.ok_json("admin", "clock", "advance", "5m")["now"].startswith("2026-12-09T10:05"))
        self.assertTrue(self.ok_json("admin", "clock", "advance", 60)["now"].startswith("2026-12-09T10:06"))
        self.assertTrue(self.ok_json("admin", "clock", "get")["now"].startswith("2026-12-09T10:06"))
        self.assertEqual(self.ok_json("admin", "clock", "reset")["offsetSeconds"], 0)
        self.ctl("admin", "clock", "advance", "-5", expect=2)
        self.assert_api_error(self.ctl("admin", "clock", "set", "yesterday"), "INVALID_REQUEST", 400, 1)
        # seller approvals
        person = self.ok_json("sellers", "create", "--file", "-",
                              stdin=json.dumps(dict(PERSON, refSellerId=self.ref("adm")), ensure_ascii=False))
        sid = person["id"]
        self.assertEqual(self.ok_json("admin", "sellers", "verify-identity", sid)["status"], "PARTIALLY_APPROVED")
        self.assertEqual(self.ok_json("admin", "sellers", "require-kyc", sid, "--env", "test")["status"],
                         "KYC_REQUIRED")
        self.assertEqual(self.ok_json("admin", "sellers", "approve-kyc", sid)["status"], "APPROVED")
        self.assert_api_error(self.ctl("admin", "sellers", "verify-identity", sid), "INVALID_REQUEST", 400, 1)
        # webhooks: list, set, redeliver
        events = self.ok_json("admin", "webhook", "list", "--limit", 5)["items"]
        self.assertEqual(len(events), 3)
        self.assertIn(events[0]["status"], ("NO_ENDPOINT", "PENDING"))  # no URL: the sender marks it
        hook = "http://127.0.0.1:%d/hooks" % closed_port()
        self.assertEqual(self.ok_json("admin", "webhook", "set", hook)["test"]["webhookUrl"], hook)
        again = self.ok_json("admin", "webhook", "redeliver", events[0]["eventId"])
        self.assertEqual(again, {"eventId": events[0]["eventId"], "status": "PENDING"})
        self.assertIsNone(self.ok_json("admin", "webhook", "set", "none", "--env", "test")["test"]["webhookUrl"])
        self.assertEqual(self.ok_json("admin", "webhook", "list", "--env", "live")["items"], [])
        self.assert_api_error(self.ctl("admin", "webhook", "redeliver", "evt_" + "0" * 26), "NOT_FOUND", 404, 1)
        # keys rotate: the new key works at once, the old one still does
        rotated = self.ok_json("admin", "keys", "rotate", "--kind", "security", issues_keys=True)
        self.assertEqual(rotated["kind"], "securityKey")
        self.assertRegex(rotated["key"], r"^[0-9a-f]{64}$")
        self.ctl("sellers", "create", "--ref", self.ref("rot"), *CORP_FLAGS,
                 env={"PAYOUT_SECURITY_KEY": rotated["key"]}, expect=0)
        self.ctl("sellers", "create", "--ref", self.ref("rot"), *CORP_FLAGS, expect=0)
        self.ctl("admin", "keys", "rotate", "--kind", "bogus", expect=2)
        # traces: the trace of a failed call
        p = self.ctl("payouts", "get", "FPA_" + "1" * 26, expect=1)
        trace = TRACE_RE.search(p.stderr).group(0)[len("trace: "):]
        t = self.ok_json("admin", "traces", "get", trace)
        self.assertEqual((t["traceId"], t["status"], t["code"]), (trace, 404, "PAYOUT_NOT_FOUND"))
        self.assertGreaterEqual(len(self.ok_json("admin", "traces", "list", "--limit", 3)["items"]), 1)
        self.assert_api_error(self.ctl("admin", "traces", "get", "f" * 32), "NOT_FOUND", 404, 1)
        # scheduler
        self.assertEqual(self.ok_json("admin", "scheduler", "run"), {"ok": True})
        # credentials and usage
        p = self.ctl("admin", "clock", "get", env={"PAYOUTD_ADMIN_TOKEN": "wrong-token-0123456789"})
        self.assert_api_error(p, "INVALID_ADMIN_TOKEN", 401, 5)
        self.assertIn("admin token was rejected", p.stderr)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(self.server.admin_token + "\n")
        try:
            self.ctl("admin", "--admin-token-file", f.name, "clock", "get", env={"PAYOUTD_ADMIN_TOKEN": ""},
                     expect=0)
        finally:
            os.unlink(f.name)
        self.ctl("admin", "clock", "get", env={"PAYOUTD_ADMIN_TOKEN": ""}, expect=2)
        p = self.ctl("admin", "clock", "get", env={"PAYOUTD_MERCHANT": ""}, expect=2)
        self.assertIn("--merchant", p.stderr)
        self.ctl("admin", "clock", "get", "--merchant", mid, env={"PAYOUTD_MERCHANT": ""}, expect=0)
        self.assert_api_error(self.ctl("admin", "clock", "get", "--merchant", "nobody"), "NOT_FOUND", 404, 1)
        self.ctl("admin", "frobnicate", expect=2)

    # ---- help ------------------------------------------------------------------------------------------

    def test_help_everywhere(self):
        for cmd in HELP_COMMANDS:
            with self.subTest(cmd=cmd):
                p = self.ctl(*(cmd + ["--help"]), keys=False, expect=0)
                self.assertIn("example", p.stdout.lower())
                self.assertIn("Usage: payoutctl", p.stdout)
                self.assertIn("Exit codes", p.stdout)
        top = self.ctl("--help", keys=False, expect=0).stdout
        for word in ("sellers", "payouts", "balances", "webhook", "jwe", "admin", "PAYOUT_BASE_URL",
                     "http://127.0.0.1:8080"):
            self.assertIn(word, top)
        self.assertEqual(self.ctl("help", "payouts", "request", keys=False, expect=0).stdout,
                         self.ctl("payouts", "request", "--help", keys=False, expect=0).stdout)
        self.ctl(keys=False, expect=2)
        self.ctl("frobnicate", keys=False, expect=2)
        self.ctl("--bogus", "balances", keys=False, expect=2)
        self.assertRegex(self.ctl("--version", keys=False, expect=0).stdout, r"^payoutctl \d+\.\d+\.\d+\n$")

    def test_jwe_commands_are_always_the_real_ones(self):
        """cli_jwe.c is part of payoutctl: no stand-in that answers "not
        built" is linked in any more, and every jwe command answers."""
        with open(PAYOUTCTL, "rb") as f:
            linked = b"jwe commands are not built" in f.read()
        self.assertFalse(linked, "payoutctl still links the stand-in payctl_jwe")
        for sub in ("encrypt", "decrypt", "inspect", "doctor"):
            p = self.ctl("jwe", sub, "--help", keys=False, expect=0)
            self.assertIn("Usage: payoutctl jwe " + sub, p.stdout)
            self.assertEqual(p.stdout, self.ctl("help", "jwe", sub, keys=False, expect=0).stdout)
        token = self.ctl("jwe", "encrypt", "--key", self.keys["securityKey"], keys=False, stdin='{"a":1}',
                         expect=0).stdout
        p = self.ctl("jwe", "decrypt", "--key", self.keys["securityKey"], keys=False, stdin=token, expect=0)
        self.assertEqual(p.stdout.strip(), '{"a":1}')

    def test_completion_script(self):
        """scripts/payoutctl-completion.bash offers every command word that
        has a --help above, the flags of a subcommand, and fixed values."""
        script = os.path.join(os.environ.get("PAY_SOURCE_DIR", "."), "scripts", "payoutctl-completion.bash")

        def complete(*words):
            prog = ('source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_payoutctl\nprintf "%%s\\n" "${COMPREPLY[@]}"\n'
                    % (shlex.quote(script), " ".join(shlex.quote(w) for w in ("payoutctl",) + words),
                       len(words)))
            out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 0, out.stderr)
            return set(out.stdout.split())

        for cmd in HELP_COMMANDS:
            for k, word in enumerate(cmd):
                with self.subTest(cmd=cmd, word=word):
                    self.assertIn(word, complete(*(cmd[:k] + [""])))
        self.assertIn("--amount", complete("payouts", "request", "--am"))
        self.assertIn("--no-meta", complete("sellers", "update", "--no"))
        self.assertIn("--verbose", complete("sellers", "get", "--v"))
        self.assertEqual(complete("--verbose", "sellers", "create", "--type", ""),
                         {"INDIVIDUAL", "INDIVIDUAL_BUSINESS", "CORPORATE"})
        self.assertEqual(complete("--base-url", "http://x", "payouts", "c"), {"cancel"})
        self.assertEqual(complete("admin", "keys", "rotate", "--kind", ""), {"secret", "security"})


class PayoutctlTLS(ServerTestCase):
    """payoutctl against a payoutd serving HTTPS with a self-signed
    certificate (as tests/integration/test_tls.py starts it)."""

    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="payoutctl-tls-")
        cls.cert = os.path.join(cls.certdir, "c.pem")
        key = os.path.join(cls.certdir, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cls.cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        cls.server = Server(extra_args=["--tls-cert", cls.cert, "--tls-key", key], scheme="https",
                            ssl_context=ssl.create_default_context(cafile=cls.cert)).start()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certdir, ignore_errors=True)

    def ctl(self, *args, expect=None):
        m = self.merchant()["test"]
        e = {k: v for k, v in os.environ.items() if not k.startswith(("PAYOUT_", "PAYOUTD_"))}
        e.update({"PAYOUT_BASE_URL": self.server.base, "PAYOUT_SECRET_KEY": m["secretKey"],
                  "PAYOUT_SECURITY_KEY": m["securityKey"]})
        p = subprocess.run([PAYOUTCTL] + list(args), env=e, capture_output=True, text=True, timeout=120)
        self.assertNotIn("Sanitizer", p.stderr, p.stderr)
        self.assertNotIn("runtime error", p.stderr, p.stderr)
        self.server.check_no_leak("payoutctl stderr", p.stderr)
        self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def handshake_failures(self):
        """payoutd logs one line for each TLS handshake its client aborted."""
        return [line for line in self.server.read_log().splitlines() if "warn  http: " in line]

    def test_untrusted_certificate_fails_once(self):
        """Without the CA the certificate is not trusted, and asking again
        cannot change that: one attempt (one handshake at the server), no
        backoff, and the reason with what to do."""
        before = len(self.handshake_failures())
        start = time.monotonic()
        p = self.ctl("-v", "--retries", "4", "balances", expect=3)
        took = time.monotonic() - start
        self.assertIn("error: no answer after 1 attempt: ", p.stderr)
        self.assertIn("certificate", p.stderr)
        self.assertIn("(not retried: the server's certificate is not trusted", p.stderr)
        self.assertIn("attempts: 1,", p.stderr)
        self.assertLess(took, 2.0, "a retry's backoff (250 + 500 + 1000 + 2000 ms) was slept")
        deadline = time.monotonic() + 5
        while len(self.handshake_failures()) - before < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a second handshake, were there one, would be logged by now
        self.assertEqual(len(self.handshake_failures()) - before, 1, self.handshake_failures()[before:])
        # With the CA the same command works.
        p = self.ctl("--ca-file", self.cert, "balances", expect=0)
        self.assertIn("availableAmount", p.stdout)


if __name__ == "__main__":
    main()
