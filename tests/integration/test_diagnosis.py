"""DECRYPTION_FAILED diagnosis (spec §10 #5; cases C01, C04, C05, C06;
docs/DECISIONS.md "Diagnosis").

Once Basic auth has succeeded, a token that does not open with any valid
security key of the merchant's environment is DECRYPTION_FAILED (plain JSON),
and the message names the likely cause: the merchant's other-environment key,
its previous (rotated, expired) key, the key string used as ASCII or hashed,
an empty / decoded / re-serialized header as AAD, AES-128 content under an
A256GCM header — or "not sealed with this key". Only the merchant's own keys
are tried: another merchant's key reads exactly like a random one. No message
carries key material. With bad credentials nothing is diagnosed (401 first).

Every wrong token is built here, independently of payoutd, with Python's
`cryptography` AES-GCM."""
import base64
import hashlib
import json
import os
import re
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payoutd_harness import PINNED_NOW, ServerTestCase, kst_now_iso, main

LIKELY = "likely cause: "
UNEXPLAINED = "not sealed with this key"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def header_json(order=("alg", "enc", "iat", "nonce"), separators=(",", ":"), **extra):
    h = {"alg": "dir", "enc": "A256GCM", "iat": kst_now_iso(), "nonce": str(uuid.uuid4())}
    h.update(extra)
    ordered = {k: h[k] for k in order}
    ordered.update({k: v for k, v in h.items() if k not in ordered})
    return json.dumps(ordered, separators=separators)


def token(key, plaintext, header=None, aad=None):
    """A compact JWE: `header` (JSON text) is sent as segment 1; the tag
    covers `aad` (default: the ASCII of segment 1, as RFC 7516 wants)."""
    header = header or header_json()
    seg = b64u(header.encode("utf-8"))
    if aad is None:
        aad = seg.encode("ascii")
    iv = os.urandom(12)
    if not isinstance(plaintext, bytes):
        plaintext = json.dumps(plaintext, ensure_ascii=False).encode("utf-8")
    sealed = AESGCM(key).encrypt(iv, plaintext, aad)
    return "%s..%s.%s.%s" % (seg, b64u(iv), b64u(sealed[:-16]), b64u(sealed[-16:]))


def corporate():
    return {"refSellerId": "d-" + uuid.uuid4().hex[:12], "businessType": "CORPORATE",
            "company": {"name": "진단 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "corp@example.com",
                        "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "김토스"}}


class Diagnosis(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]
        self.key_hex = self.keys["securityKey"]
        self.key = bytes.fromhex(self.key_hex)

    def post(self, tok, keys=None, path="/v2/sellers", auth=None):
        keys = keys or self.keys
        return self.server.request("POST", path, keys["secretKey"], body=tok, content_type="text/plain",
                                   headers={"TossPayments-api-security-mode": "ENCRYPTION"}, auth=auth)

    def all_key_material(self):
        """Every key this server handed out, with the derived forms a
        message must never show."""
        out = []
        for secret in self.server.secrets:
            out.append(secret)
            if re.fullmatch(r"[0-9a-f]{64}", secret):
                out += [secret[:32], secret[32:], secret.upper()[:32], hashlib.sha256(secret.encode()).hexdigest(),
                        base64.b64encode(bytes.fromhex(secret)).decode(), b64u(bytes.fromhex(secret))]
        return out

    def diagnose(self, tok, keys=None, path="/v2/sellers", env="test"):
        """Sends tok; expects DECRYPTION_FAILED; returns the likely-cause sentence."""
        r = self.post(tok, keys, path)
        err = self.assertError(r, 400, "DECRYPTION_FAILED", encrypted=False)
        msg = err["message"]
        self.assertIn("did not verify with this merchant's %s security key" % env, msg)
        self.assertIn(LIKELY, msg)
        for material in self.all_key_material():
            self.assertNotIn(material, msg)
            self.assertNotIn(material.lower(), msg.lower())
        self.assertIsNone(re.search(r"[0-9a-fA-F]{16,}", msg), msg)
        self.assertIsNone(re.search(r"[A-Za-z0-9_\-+/]{40,}", msg), msg)
        self.assertTrue(msg.endswith(")"), msg)
        cause = msg[:-1].split(LIKELY, 1)[1]
        # The sentence is kept in the trace store (test_trace_keeps_the_whole_diagnosis
        # checks it is kept whole).
        tr = self.server.trace(r.json["traceId"])
        self.assertEqual(tr.status, 200, tr)
        trace = tr.json
        self.assertEqual(trace["code"], "DECRYPTION_FAILED")
        self.assertTrue(trace["diagnosis"] and cause.startswith(trace["diagnosis"]), (trace["diagnosis"], cause))
        self.last_trace = trace
        return cause

    def test_correct_token_opens(self):
        # The builder itself is right: a token made the correct way opens.
        r = self.server.call("POST", "/v2/sellers", self.keys, token=token(self.key, corporate()))
        self.assertEntity(r, "seller", encrypted=True)

    def test_other_environment_key(self):
        live = bytes.fromhex(self.m["live"]["securityKey"])
        cause = self.diagnose(token(live, corporate()))
        self.assertIn("sealed with this merchant's live security key", cause)
        # And the other way round.
        cause = self.diagnose(token(self.key, corporate()), keys=self.m["live"], env="live")
        self.assertIn("sealed with this merchant's test security key", cause)

    def test_previous_expired_key(self):
        mid = self.m["mid"]
        self.server.set_clock(mid, PINNED_NOW)
        new = self.server.admin_ok("POST", "/merchants/%s/keys" % mid, {"env": "test", "kind": "securityKey"})["key"]
        self.server.advance_clock(mid, 7 * 86400 + 60)
        cause = self.diagnose(token(self.key, corporate()))
        self.assertIn("previous test security key", cause)
        self.assertIn("no longer valid", cause)
        # The new key opens.
        r = self.server.call("POST", "/v2/sellers", {"secretKey": self.keys["secretKey"], "securityKey": new},
                             token=token(bytes.fromhex(new), corporate()))
        self.assertEntity(r, "seller", encrypted=True)

    def test_key_string_as_ascii(self):
        # C01 V1: the first 32 ASCII characters of the key string.
        cause = self.diagnose(token(self.key_hex[:32].encode("ascii"), corporate()))
        self.assertIn("first 32 ASCII characters of the key string", cause)
        self.assertIn("hex-decoded", cause)
        # Upper-case key text, same mistake.
        cause = self.diagnose(token(self.key_hex.upper()[:32].encode("ascii"), corporate()))
        self.assertIn("first 32 ASCII characters", cause)

    def test_key_string_hashed(self):
        # C01 V1b: SHA-256 of the 64-character key string.
        cause = self.diagnose(token(hashlib.sha256(self.key_hex.encode("ascii")).digest(), corporate()))
        self.assertIn("SHA-256 of the key string", cause)

    def test_key_string_base64_decoded(self):
        # C06: a hex string is valid base64 too; decoded it gives 48 bytes.
        cause = self.diagnose(token(base64.b64decode(self.key_hex)[:32], corporate()))
        self.assertIn("base64-decoded", cause)

    def test_aad_empty(self):
        # C05: the tag computed without AAD.
        cause = self.diagnose(token(self.key, corporate(), aad=b""))
        self.assertIn("empty AAD", cause)

    def test_aad_decoded_header(self):
        h = header_json()
        cause = self.diagnose(token(self.key, corporate(), header=h, aad=h.encode("utf-8")))
        self.assertIn("decoded header JSON", cause)

    def test_aad_python_default_separators(self):
        # The header sent compact, the AAD over json.dumps with its default ", " / ": ".
        h = header_json()
        aad = b64u(json.dumps(json.loads(h)).encode()).encode()
        self.assertNotEqual(aad, b64u(h.encode()).encode())
        cause = self.diagnose(token(self.key, corporate(), header=h, aad=aad))
        self.assertIn("re-serialization of the header", cause)
        self.assertIn("serialize the header once", cause)

    def test_aad_members_reordered(self):
        # C04: the header sent as enc, iat, nonce, alg; the AAD over alg, enc, iat, nonce.
        sent = header_json(order=("enc", "iat", "nonce", "alg"))
        canonical = json.dumps({k: json.loads(sent)[k] for k in ("alg", "enc", "iat", "nonce")},
                               separators=(",", ":"))
        cause = self.diagnose(token(self.key, corporate(), header=sent, aad=b64u(canonical.encode()).encode()))
        self.assertIn("re-serialization of the header", cause)
        # The correctly sealed reordered header opens (member order is free).
        ok = self.server.call("POST", "/v2/sellers", self.keys, token=token(self.key, corporate(), header=sent))
        self.assertEntity(ok, "seller", encrypted=True)

    def test_trace_keeps_the_whole_diagnosis(self):
        # GET /admin/v1/traces/{id} gives the diagnosis of a DECRYPTION_FAILED:
        # all of it, also for the longest sentences (a re-serialized header
        # quotes the header).
        cases = {"other environment": token(bytes.fromhex(self.m["live"]["securityKey"]), corporate()),
                 "empty AAD": token(self.key, corporate(), aad=b"")}
        h = header_json()
        cases["re-serialized header"] = token(self.key, corporate(), header=h,
                                              aad=b64u(json.dumps(json.loads(h)).encode()).encode())
        for name, tok in cases.items():
            with self.subTest(name):
                cause = self.diagnose(tok)
                self.assertEqual(self.last_trace["diagnosis"], cause)

    def test_aes128_content_under_a256gcm_header(self):
        cause = self.diagnose(token(self.key[:16], corporate()))
        self.assertIn("AES-128-GCM", cause)
        self.assertIn("A256GCM", cause)

    def test_unrelated_key(self):
        cause = self.diagnose(token(os.urandom(32), corporate()))
        self.assertIn(UNEXPLAINED, cause)

    def test_other_merchant_reads_like_a_random_key(self):
        other = self.merchant()
        messages = set()
        for key in (bytes.fromhex(other["test"]["securityKey"]), bytes.fromhex(other["live"]["securityKey"]),
                    os.urandom(32)):
            r = self.post(token(key, corporate()))
            err = self.assertError(r, 400, "DECRYPTION_FAILED", encrypted=False)
            messages.add(err["message"])
            self.assertNotIn(other["mid"], err["message"])
            self.assertNotIn("other merchant", err["message"])
        self.assertEqual(len(messages), 1, messages)
        self.assertIn(UNEXPLAINED, messages.pop())

    def test_every_encrypted_route(self):
        sid = self.server.call("POST", "/v2/sellers", self.keys, token=token(self.key, corporate())).json[
            "entityBody"]["id"]
        live = bytes.fromhex(self.m["live"]["securityKey"])
        for path, body in (("/v2/sellers/" + sid, {"metadata": None}),
                           ("/v2/payouts", [{"refPayoutId": "x", "destination": sid, "scheduleType": "EXPRESS",
                                             "amount": {"currency": "KRW", "value": 1000},
                                             "transactionDescription": "정산"}])):
            with self.subTest(path=path):
                self.assertIn("live security key", self.diagnose(token(live, body), path=path))
                self.assertIn("empty AAD", self.diagnose(token(self.key, body, aad=b""), path=path))

    def test_no_diagnosis_without_authentication(self):
        live = bytes.fromhex(self.m["live"]["securityKey"])
        other = self.merchant()
        bad_auths = [("test_sk_" + "Z" * 28, None), (None, "Basic " + base64.b64encode(b"nobody:").decode()),
                     (None, None), (self.keys["clientKey"], None)]
        for tok in (token(live, corporate()), token(self.key, corporate(), aad=b""), token(os.urandom(32), {})):
            for secret, auth in bad_auths:
                with self.subTest(secret=secret and secret[:8], auth=auth):
                    keys = {"secretKey": secret} if secret else {"secretKey": None}
                    r = self.server.request("POST", "/v2/sellers", keys["secretKey"], body=tok,
                                            content_type="text/plain", auth=auth,
                                            headers={"TossPayments-api-security-mode": "ENCRYPTION"})
                    self.assertIn(r.status, (400, 401), r)
                    self.assertIn(r.json["error"]["code"], ("UNAUTHORIZED_KEY", "INVALID_API_KEY"))
                    self.assertNotIn("likely cause", r.json["error"]["message"])
                    self.assertNotIn("security key", r.json["error"]["message"])
                    tr = self.server.trace(r.json["traceId"])
                    self.assertEqual(tr.status, 200, tr)
                    self.assertIsNone(tr.json["diagnosis"])
            # Another merchant's valid secret key: authenticated, but as that
            # merchant — its own keys are tried, not this one's.
            r = self.post(tok, keys=other["test"])
            err = self.assertError(r, 400, "DECRYPTION_FAILED")
            self.assertIn(UNEXPLAINED, err["message"])

    def test_diagnosis_in_english_and_korean(self):
        live = bytes.fromhex(self.m["live"]["securityKey"])
        tok = token(live, corporate())
        r = self.server.request("POST", "/v2/sellers", self.keys["secretKey"], body=tok, content_type="text/plain",
                                headers={"TossPayments-api-security-mode": "ENCRYPTION", "Accept-Language": "en-US"})
        err = self.assertError(r, 400, "DECRYPTION_FAILED")
        self.assertIn("this merchant's live security key", err["message"])


if __name__ == "__main__":
    main()
