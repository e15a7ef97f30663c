"""Every error path of issue 2: bad auth, no contract, missing security header,
malformed token, wrong key, bad fields, unknown seller, not enough balance.
Each case asserts the HTTP status, the code, whether the error came back
encrypted or plain (spec §10 #4), and that the database did not change."""
import base64
import copy
import json
import socket

from payoutd_harness import (PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, db_snapshot, main, seal)

SELLER = {"refSellerId": "err-seller", "businessType": "INDIVIDUAL",
          "individual": {"name": "김토스", "email": "seller@example.com", "phone": "01000000000"},
          "account": {"bankCode": "088", "accountNumber": "00000000000000", "holderName": "김토스"}}
CORP = {"refSellerId": "err-corp", "businessType": "CORPORATE",
        "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                    "email": "corp@example.com", "phone": "0212345678"},
        "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"}}


def basic(text):
    return "Basic " + base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode()


def mutate(base, path, value):
    """Copy of base with path ('a.b') set to value (or deleted when value is DELETE)."""
    out = copy.deepcopy(base)
    node = out
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        last = int(last)
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return out


DELETE = object()


class Errors(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.m = cls.server.create_merchant(test_balance=50000)
        cls.keys = cls.m["test"]
        cls.server.set_clock(cls.m["mid"], PINNED_NOW)
        r = cls.server.call("POST", "/v2/sellers", cls.keys, CORP)
        assert r.status == 200, r
        cls.corp_id = r.json["entityBody"]["id"]
        r = cls.server.call("POST", "/v2/sellers", cls.keys, SELLER)
        assert r.status == 200, r
        cls.individual_id = r.json["entityBody"]["id"]

    def unchanged(self, fn):
        before = db_snapshot(self.server.db)
        resp = fn()
        self.assertEqual(db_snapshot(self.server.db), before, "the request changed the database")
        return resp

    def payout(self, **over):
        item = {"refPayoutId": "p-ok", "destination": self.corp_id, "scheduleType": "SCHEDULED",
                "payoutDate": PINNED_SCHEDULED, "amount": {"currency": "KRW", "value": 1000},
                "transactionDescription": "정산"}
        item.update(over)
        return item

    # ---- authentication (plain JSON, before anything is decrypted) ----------

    def test_auth_errors(self):
        sk = self.keys["secretKey"]
        cases = [
            (None, 401, "UNAUTHORIZED_KEY", "missing"),
            ("Bearer " + sk, 401, "UNAUTHORIZED_KEY", "Basic scheme"),
            ("Basic !!!notbase64", 401, "UNAUTHORIZED_KEY", "base64"),
            (basic(sk), 401, "UNAUTHORIZED_KEY", "':'"),
            (basic(sk + ":secret"), 401, "UNAUTHORIZED_KEY", "password"),
            (basic("test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R:"), 401, "UNAUTHORIZED_KEY", "not recognised"),
            (basic(b"\xef\xbb\xbf" + (sk + ":").encode()), 401, "UNAUTHORIZED_KEY", "77u/"),
            (basic(self.keys["clientKey"] + ":"), 400, "INVALID_API_KEY", "client"),
            (basic("test_gck_docs_Ovk5rk1EwkEbP0W43n07xlzm:"), 400, "INVALID_API_KEY", "client or widget"),
            (basic(sk.replace("test_", "live_") + ":"), 401, "UNAUTHORIZED_KEY", "not recognised"),
        ]
        for auth, status, code, phrase in cases:
            for method, path, body in (("GET", "/v2/balances", None),
                                       ("POST", "/v2/sellers", seal(self.keys["securityKey"], SELLER))):
                with self.subTest(auth=auth, path=path):
                    hdrs = {"Authorization": auth} if auth else {}
                    hdrs["TossPayments-api-security-mode"] = "ENCRYPTION"
                    r = self.unchanged(lambda: self.server.request(
                        method, path, body=body, headers=hdrs, content_type="text/plain"))
                    err = self.assertError(r, status, code, encrypted=False)
                    self.assertIn(phrase, err["message"])
                    self.assertNotIn(sk, err["message"])

    def test_no_payout_contract(self):
        other = self.merchant(contract=False)
        for method, path, payload in (("GET", "/v2/balances", None), ("POST", "/v2/sellers", SELLER)):
            with self.subTest(path=path):
                r = self.unchanged(lambda: self.server.call(method, path, other["test"], payload))
                err = self.assertError(r, 403, "FORBIDDEN_REQUEST", encrypted=False)
                self.assertIn("contract", err["message"])

    # ---- encryption mode (plain JSON: the server could not decrypt) ---------

    def test_missing_security_header(self):
        for path, payload in (("/v2/sellers", SELLER), ("/v2/payouts", [self.payout()])):
            with self.subTest(path=path):
                r = self.unchanged(lambda: self.server.call("POST", path, self.keys, payload, encrypted=False))
                self.assertError(r, 400, "ENCRYPTION_REQUIRED", encrypted=False)
                # the sealed body without the header is refused the same way
                tok = seal(self.keys["securityKey"], payload)
                r = self.unchanged(lambda: self.server.request("POST", path, self.keys["secretKey"], body=tok,
                                                              content_type="text/plain"))
                self.assertError(r, 400, "ENCRYPTION_REQUIRED", encrypted=False)

    def test_malformed_tokens(self):
        good = seal(self.keys["securityKey"], SELLER)
        h, ek, iv, ct, tag = good.split(".")
        cases = [
            (json.dumps(SELLER), "text/plain", "plain JSON"),
            (json.dumps({"body": good}), "text/plain", "plain JSON"),
            (json.dumps(good), "text/plain", "without quotes"),
            (good, "application/json", "text/plain"),
            ("", "text/plain", "empty"),
            (".".join([h, ek, iv, ct]), "text/plain", "5 segments"),
            (good + ".x", "text/plain", "5 segments"),
            (".".join([h, ek, iv + "=", ct, tag]), "text/plain", "segment 3"),
            (".".join([h, ek, "AAECAwQFBgcICQoLDA0ODw", ct, tag]), "text/plain", "IV is 16 bytes"),
            (".".join([h, ek, iv, ct, tag[:16]]), "text/plain", "got 12"),
            (".".join([h, "AAAA", iv, ct, tag]), "text/plain", "encrypted key"),
            (good + "\n", "text/plain", "whitespace"),
            (".".join([base64.urlsafe_b64encode(b'{"alg":"A256KW","enc":"A256GCM"}').rstrip(b"=").decode(),
                       ek, iv, ct, tag]), "text/plain", "dir"),
            (".".join([base64.urlsafe_b64encode(b'{"alg":"dir","alg":"dir","enc":"A256GCM"}').rstrip(b"=").decode(),
                       ek, iv, ct, tag]), "text/plain", "duplicate"),
        ]
        for body, ctype, phrase in cases:
            with self.subTest(phrase=phrase, body=body[:40]):
                r = self.unchanged(lambda: self.server.request(
                    "POST", "/v2/sellers", self.keys["secretKey"], body=body, content_type=ctype,
                    headers={"TossPayments-api-security-mode": "ENCRYPTION"}))
                err = self.assertError(r, 400, "INVALID_ENCRYPTED_BODY", encrypted=False)
                self.assertIn(phrase, err["message"])

    def test_wrong_key(self):
        other = self.merchant()
        for name, key in (("live key", self.m["live"]["securityKey"]),
                          ("other merchant", other["test"]["securityKey"]),
                          ("random", "00" * 32)):
            with self.subTest(name):
                tok = seal(key, SELLER)
                r = self.unchanged(lambda: self.server.call("POST", "/v2/sellers", self.keys, token=tok))
                err = self.assertError(r, 400, "DECRYPTION_FAILED", encrypted=False)
                self.assertNotIn(key, err["message"])
                self.assertNotIn(self.keys["securityKey"], err["message"])

    def test_unknown_security_mode(self):
        r = self.unchanged(lambda: self.server.call("GET", "/v2/balances", self.keys,
                                                   headers={"TossPayments-api-security-mode": "PLAIN"},
                                                   encrypted=False))
        self.assertError(r, 400, "INVALID_REQUEST", encrypted=False)

    # ---- validation (encrypted: the caller proved it holds the key) --------

    def test_seller_fields(self):
        long61 = "가" * 61
        cases = [
            (mutate(SELLER, "refSellerId", DELETE), "INVALID_REQUEST", "refSellerId: is required"),
            (mutate(SELLER, "refSellerId", "x" * 21), "INVALID_REQUEST", "at most 20"),
            (mutate(SELLER, "refSellerId", "has space"), "INVALID_REQUEST", "refSellerId"),
            (mutate(SELLER, "refSellerId", 1234), "INVALID_REQUEST", "must be a string"),
            (mutate(SELLER, "businessType", "PERSON"), "INVALID_REQUEST", "businessType"),
            (mutate(SELLER, "individual", DELETE), "INVALID_REQUEST", "individual: is required"),
            (mutate(SELLER, "company", CORP["company"]), "INVALID_REQUEST", "company: not allowed"),
            (mutate(CORP, "individual", SELLER["individual"]), "INVALID_REQUEST", "individual: not allowed"),
            (mutate(CORP, "company", DELETE), "INVALID_REQUEST", "company: is required"),
            (mutate(SELLER, "individual.email", "not-an-email"), "INVALID_EMAIL", "individual.email"),
            (mutate(SELLER, "individual.email", "a@b"), "INVALID_EMAIL", "individual.email"),
            (mutate(SELLER, "individual.email", "x" * 95 + "@a.com"), "INVALID_REQUEST", "at most 100"),
            (mutate(SELLER, "individual.phone", "010-1234-5678"), "INVALID_REQUEST", "phone"),
            (mutate(SELLER, "individual.phone", "0101234"), "INVALID_REQUEST", "phone"),
            (mutate(SELLER, "individual.name", long61), "INVALID_REQUEST", "at most 60"),
            (mutate(SELLER, "individual.name", ""), "INVALID_REQUEST", "empty"),
            (mutate(SELLER, "individual.name", "a\u0007b"), "INVALID_REQUEST", "control"),
            (mutate(SELLER, "individual.nickname", "x"), "INVALID_REQUEST", "unknown field"),
            (mutate(CORP, "company.businessRegistrationNumber", "123456789"), "INVALID_BUSINESS_NUMBER",
             "10 digits"),
            (mutate(CORP, "company.businessRegistrationNumber", "123-45-67890"), "INVALID_BUSINESS_NUMBER",
             "10 digits"),
            (mutate(SELLER, "account.bankCode", "999"), "INVALID_BANK", "999"),
            (mutate(SELLER, "account.bankCode", "88"), "INVALID_BANK", "bankCode"),
            (mutate(SELLER, "account.accountNumber", "123-456-789"), "INVALID_ACCOUNT_NUMBER", "digits"),
            (mutate(SELLER, "account.accountNumber", "123*****90123"), "INVALID_ACCOUNT_NUMBER", "masked"),
            (mutate(SELLER, "account.accountNumber", "1" * 21), "INVALID_ACCOUNT_NUMBER", "20"),
            (mutate(SELLER, "account.holderName", long61), "INVALID_REQUEST", "at most 60"),
            (mutate(SELLER, "account", DELETE), "INVALID_REQUEST", "account: is required"),
            (mutate(SELLER, "account", "088-123"), "INVALID_REQUEST", "must be an object"),
            (mutate(SELLER, "metadata", {str(i): "v" for i in range(6)}), "INVALID_REQUEST", "at most 5"),
            (mutate(SELLER, "metadata", {"a[1]": "v"}), "INVALID_REQUEST", "metadata"),
            (mutate(SELLER, "metadata", {"k": 1}), "INVALID_REQUEST", "must be a string"),
            (mutate(SELLER, "metadata", {"k": "v" * 501}), "INVALID_REQUEST", "at most 500"),
            (mutate(SELLER, "metadata", {"k" * 41: "v"}), "INVALID_REQUEST", "metadata"),
            (mutate(SELLER, "status", "APPROVED"), "INVALID_REQUEST", "unknown field"),
            ([SELLER], "INVALID_REQUEST", "JSON object"),
            ('{"refSellerId":"a","refSellerId":"b"}', "INVALID_REQUEST", "duplicate"),
            ('{"refSellerId":', "INVALID_REQUEST", "not valid JSON"),
            (json.dumps(json.dumps(SELLER)), "INVALID_REQUEST", "JSON string"),
            ("[" * 50 + "]" * 50, "INVALID_REQUEST", "deeper"),
            (b"\xff\xfe{}", "INVALID_REQUEST", "not valid JSON"),
        ]
        for payload, code, phrase in cases:
            with self.subTest(payload=str(payload)[:80]):
                en = {"Accept-Language": "en-US"}
                if isinstance(payload, (bytes, str)):
                    # raw plaintext (invalid JSON, non-UTF-8): sealed as given
                    tok = seal(self.keys["securityKey"], payload)
                    r = self.unchanged(lambda: self.server.call("POST", "/v2/sellers", self.keys, token=tok,
                                                               headers=en))
                else:
                    r = self.unchanged(lambda: self.server.call("POST", "/v2/sellers", self.keys, payload,
                                                               headers=en))
                err = self.assertError(r, 400, code, encrypted=True)
                self.assertIn(phrase, err["message"])

    def test_english_messages(self):
        bad = mutate(SELLER, "individual.email", "nope")
        r = self.server.call("POST", "/v2/sellers", self.keys, bad)
        self.assertIn("이메일", self.assertError(r, 400, "INVALID_EMAIL")["message"])
        r = self.server.call("POST", "/v2/sellers", self.keys, bad, headers={"Accept-Language": "en-US"})
        msg = self.assertError(r, 400, "INVALID_EMAIL")["message"]
        self.assertIn("e-mail", msg)
        self.assertIn("individual.email: not a well-formed address", msg)

    def test_duplicate_ref_seller_id(self):
        r = self.unchanged(lambda: self.server.call("POST", "/v2/sellers", self.keys, CORP))
        err = self.assertError(r, 400, "DUPLICATED_REQUEST", encrypted=True)
        self.assertIn("err-corp", err["message"])

    def test_payout_fields(self):
        p = self.payout
        cases = [
            ({"not": "an array"}, "INVALID_REQUEST", "JSON array"),
            ([], "INVALID_REQUEST", "1 to 100"),
            ([p(refPayoutId="r%d" % i) for i in range(101)], "INVALID_REQUEST", "1 to 100"),
            (["x"], "INVALID_REQUEST", "[0]: must be an object"),
            ([mutate(p(), "destination", DELETE)], "INVALID_REQUEST", "[0].destination: is required"),
            ([p(refPayoutId="x" * 51)], "INVALID_REQUEST", "at most 50"),
            ([p(scheduleType="LATER")], "INVALID_REQUEST", "EXPRESS or SCHEDULED"),
            ([mutate(p(), "payoutDate", DELETE)], "INVALID_REQUEST", "required for SCHEDULED"),
            ([p(payoutDate="2026/12/24")], "INVALID_DATE", "yyyy-MM-dd"),
            ([p(payoutDate="2027-02-30")], "INVALID_DATE", "yyyy-MM-dd"),
            ([p(payoutDate="2020-01-01")], "INVALID_PAYABLE_DATE", "SCHEDULED"),
            ([p(payoutDate="2099-01-07")], "INVALID_PAYABLE_DATE", "SCHEDULED"),
            ([p(scheduleType="EXPRESS", payoutDate="2020-01-01")], "INVALID_PAYABLE_DATE", "today"),
            ([p(amount={"currency": "USD", "value": 1000})], "INVALID_CURRENCY", "KRW"),
            ([p(amount={"value": 1000})], "INVALID_REQUEST", "currency: is required"),
            ([p(amount={"currency": "KRW"})], "INVALID_REQUEST", "value: is required"),
            ([p(amount={"currency": "KRW", "value": 0})], "INVALID_REQUEST", "greater than 0"),
            ([p(amount={"currency": "KRW", "value": -5})], "INVALID_REQUEST", "greater than 0"),
            ([p(amount={"currency": "KRW", "value": 1000.5})], "INVALID_REQUEST", "whole number"),
            ([p(amount={"currency": "KRW", "value": "5,000"})], "INVALID_REQUEST", "whole number"),
            ([p(amount={"currency": "KRW", "value": True})], "INVALID_REQUEST", "whole number"),
            ([p(amount={"currency": "KRW", "value": 1000000000})], "EXCEED_MAX_AMOUNT", "1,000,000,000"),
            ([p(amount={"currency": "KRW", "value": 1000, "fee": 1})], "INVALID_REQUEST", "unknown field"),
            ([p(transactionDescription="12345678")], "INVALID_REQUEST", "at most 7"),
            ([mutate(p(), "transactionDescription", DELETE)], "INVALID_REQUEST", "transactionDescription"),
            ([p(destination="seller_nobody")], "NOT_FOUND", "seller_nobody"),
            ([p(amount={"currency": "KRW", "value": 60000})], "NOT_ENOUGH_AMOUNT", "remaining available"),
            ([p(refPayoutId="a", amount={"currency": "KRW", "value": 30000}),
              p(refPayoutId="b", amount={"currency": "KRW", "value": 30000})], "NOT_ENOUGH_AMOUNT",
             "refPayoutId: b"),
            ([p(refPayoutId="same"), p(refPayoutId="same")], "DUPLICATED_REQUEST", "[1].refPayoutId"),
            # the first failing item decides
            ([p(refPayoutId="a"), p(refPayoutId="b", scheduleType="X"), p(refPayoutId="c", destination="seller_no")],
             "INVALID_REQUEST", "[1].scheduleType"),
            ([p(refPayoutId="a", destination="seller_no"), p(refPayoutId="b", scheduleType="X")],
             "NOT_FOUND", "refPayoutId: a"),
            ([p(refPayoutId="a"), p(refPayoutId="b", destination=self.individual_id)],
             "FORBIDDEN_SELLER_PAYOUT", "refPayoutId: b"),
        ]
        for payload, code, phrase in cases:
            with self.subTest(code=code, phrase=phrase):
                r = self.unchanged(lambda: self.server.call("POST", "/v2/payouts", self.keys, payload,
                                                           headers={"Accept-Language": "en-US"}))
                status = {"NOT_FOUND": 404, "FORBIDDEN_SELLER_PAYOUT": 403}.get(code, 400)
                err = self.assertError(r, status, code, encrypted=True)
                self.assertIn(phrase, err["message"])

    def test_duplicate_ref_payout_id_across_requests(self):
        first = [self.payout(refPayoutId="once", amount={"currency": "KRW", "value": 100})]
        r = self.server.call("POST", "/v2/payouts", self.keys, first)
        self.assertEntity(r, "payout-list", encrypted=True)
        r = self.unchanged(lambda: self.server.call("POST", "/v2/payouts", self.keys, first))
        self.assertError(r, 400, "DUPLICATED_REQUEST", encrypted=True)

    # ---- lookups and routing ------------------------------------------------

    def test_lookups(self):
        cases = [
            ("GET", "/v2/sellers/seller_00000000000000000000000000", 404, "NOT_FOUND"),
            ("GET", "/v2/payouts/FPA_00000000000000000000000000", 404, "PAYOUT_NOT_FOUND"),
            ("GET", "/v2/sellers/..%2f..%2fetc", 404, "NOT_FOUND"),
            ("GET", "/v2/sellers/" + "a" * 65, 404, "NOT_FOUND"),
            ("GET", "/v2/nothing", 404, "NOT_FOUND"),
            ("PUT", "/v2/balances", 405, "METHOD_NOT_ALLOWED"),
        ]
        for method, path, status, code in cases:
            with self.subTest(path=path):
                r = self.unchanged(lambda: self.server.call(method, path, self.keys, encrypted=False))
                self.assertError(r, status, code, encrypted=False)
        # with the security-mode header, a lookup error after auth is sealed
        r = self.server.call("GET", "/v2/sellers/seller_00000000000000000000000000", self.keys, encrypted=True)
        self.assertError(r, 404, "NOT_FOUND", encrypted=True)

    def test_body_too_large(self):
        # Refused from the headers alone: the server answers 413 without reading
        # the megabytes first (a raw socket, since urllib would keep sending).
        before = db_snapshot(self.server.db)
        auth = "Basic " + base64.b64encode((self.keys["secretKey"] + ":").encode()).decode()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(("POST /v2/payouts HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                          "TossPayments-api-security-mode: ENCRYPTION\r\nContent-Type: text/plain\r\n"
                          "Content-Length: %d\r\n\r\n" % (auth, 50 * 1024 * 1024)).encode())
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
        self.assertEqual(json.loads(body)["error"]["code"], "REQUEST_TOO_LARGE")
        self.assertEqual(db_snapshot(self.server.db), before)

    def test_server_log_has_no_secrets(self):
        log = self.server.read_log()
        self.assertIn("trace=", log)
        for secret in (self.keys["secretKey"], self.keys["securityKey"], self.m["live"]["secretKey"]):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    main()
