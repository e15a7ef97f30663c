"""JWE interop: libpayout (through tests/tools/jwe_tool) against two
independent implementations, python3-jwcrypto and the Debian `jose` CLI
(latchset). Tokens go both ways; the protected header libpayout emits is
checked member by member.

CTest sets PAY_BUILD_DIR (where jwe_tool is built) and PAY_SOURCE_DIR.
Both oracles are installed by scripts/install-deps --test; a missing oracle
fails the test rather than skipping it.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import uuid

from jwcrypto import jwe, jwk

KEY_HEX = "6b3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63"
OTHER_KEY_HEX = "00" * 31 + "01"
IAT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SIZES = (0, 1, 515, 100000)
KOREAN = ("김토스", "8월대금지급",
          '{"refSellerId":"my-seller-0001","businessType":"INDIVIDUAL","individual":'
          '{"name":"김토스","email":"seller@example.com","phone":"01000000000"},'
          '"account":{"bankCode":"088","accountNumber":"00000000000000","holderName":"김토스"}}')


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def oct_jwk(key_hex: str) -> jwk.JWK:
    return jwk.JWK(kty="oct", k=b64u(bytes.fromhex(key_hex)))


def payload(n: int) -> bytes:
    """Exactly n bytes of UTF-8, mostly Korean (3-byte characters)."""
    cycle = "김토스 8월대금지급 {\"v\":1} "
    out, size, i = [], 0, 0
    while True:
        ch = cycle[i % len(cycle)]
        w = len(ch.encode())
        if size + w > n:
            break
        out.append(ch)
        size += w
        i += 1
    data = "".join(out).encode() + b"x" * (n - size)
    assert len(data) == n
    return data


def header_members(token: str) -> list:
    """The protected header's (name, value) pairs in their received order."""
    return json.loads(unb64u(token.split(".")[0]), object_pairs_hook=list)


class Tool:
    def __init__(self):
        build = os.environ.get("PAY_BUILD_DIR")
        if not build:
            raise unittest.SkipTest("PAY_BUILD_DIR is not set (run through ctest)")
        self.path = os.path.join(build, "jwe_tool")
        if not os.access(self.path, os.X_OK):
            raise AssertionError(f"{self.path} is not built")

    def run(self, verb: str, key_hex: str, data: bytes) -> subprocess.CompletedProcess:
        return subprocess.run([self.path, verb, key_hex], input=data, capture_output=True,
                              timeout=60, check=False)

    def seal(self, plaintext: bytes, key_hex: str = KEY_HEX) -> str:
        r = self.run("seal", key_hex, plaintext)
        if r.returncode != 0:
            raise AssertionError(f"jwe_tool seal failed: {r.stderr.decode()}")
        return r.stdout.decode("ascii")

    def open(self, token: str, key_hex: str = KEY_HEX) -> bytes:
        r = self.run("open", key_hex, token.encode("ascii"))
        if r.returncode != 0:
            raise AssertionError(f"jwe_tool open failed: {r.stderr.decode()}")
        return r.stdout


class JwcryptoInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = Tool()
        cls.key = oct_jwk(KEY_HEX)

    def jwcrypto_open(self, token: str, key=None) -> bytes:
        obj = jwe.JWE()
        try:
            obj.deserialize(token, key=key or self.key)
        except jwe.InvalidJWEData:
            # jwcrypto 1.1 tests `if not self.plaintext` after decrypting, so
            # it reports an empty plaintext as a failure even for its own
            # tokens; its decrypt log still records whether the tag verified.
            if obj.decryptlog == ["Success"] and obj.plaintext == b"":
                return b""
            raise
        return obj.payload

    def jwcrypto_seal(self, plaintext: bytes, protected: str, key=None) -> str:
        obj = jwe.JWE(plaintext, protected=protected)
        obj.add_recipient(key or self.key)
        token = obj.serialize(compact=True)
        # jwcrypto must send the header bytes we gave it, or the order and
        # nanosecond tests below would test nothing.
        self.assertEqual(unb64u(token.split(".")[0]).decode(), protected)
        return token

    # ---- libpayout -> jwcrypto ------------------------------------------------

    def test_our_header_opens_in_jwcrypto(self):
        token = self.tool.seal(b'{"ok":true}')
        self.assertEqual(self.jwcrypto_open(token), b'{"ok":true}')
        members = header_members(token)
        self.assertEqual([k for k, _ in members], ["alg", "enc", "iat", "nonce"])
        h = dict(members)
        self.assertEqual(h["alg"], "dir")
        self.assertEqual(h["enc"], "A256GCM")
        self.assertRegex(h["iat"], IAT_RE)
        self.assertRegex(h["nonce"], UUID4_RE)
        self.assertEqual(uuid.UUID(h["nonce"]).version, 4)
        parts = token.split(".")
        self.assertEqual(len(parts), 5)
        self.assertEqual(parts[1], "")
        self.assertEqual(len(unb64u(parts[2])), 12)
        self.assertEqual(len(unb64u(parts[4])), 16)

    def test_fresh_nonce_and_iv_per_token(self):
        tokens = [self.tool.seal(b"{}") for _ in range(20)]
        nonces = {dict(header_members(t))["nonce"] for t in tokens}
        ivs = {t.split(".")[2] for t in tokens}
        self.assertEqual(len(nonces), 20)
        self.assertEqual(len(ivs), 20)

    def test_sizes_to_jwcrypto(self):
        for n in SIZES:
            with self.subTest(size=n):
                pt = payload(n)
                self.assertEqual(self.jwcrypto_open(self.tool.seal(pt)), pt)

    def test_korean_to_jwcrypto(self):
        for text in KOREAN:
            with self.subTest(text=text[:10]):
                pt = text.encode("utf-8")
                out = self.jwcrypto_open(self.tool.seal(pt))
                self.assertEqual(out, pt)
                self.assertEqual(out.decode("utf-8"), text)

    def test_jwcrypto_rejects_our_token_under_another_key(self):
        token = self.tool.seal(b'{"ok":true}')
        with self.assertRaises(Exception):
            self.jwcrypto_open(token, key=oct_jwk(OTHER_KEY_HEX))

    # ---- jwcrypto -> libpayout ------------------------------------------------

    def canonical_header(self) -> str:
        return json.dumps({"alg": "dir", "enc": "A256GCM", "iat": "2025-06-26T18:42:46+09:00",
                           "nonce": str(uuid.uuid4())}, separators=(",", ":"))

    def test_sizes_from_jwcrypto(self):
        for n in SIZES:
            with self.subTest(size=n):
                pt = payload(n)
                token = self.jwcrypto_seal(pt, self.canonical_header())
                self.assertEqual(self.tool.open(token), pt)

    def test_toss_member_order_and_nanoseconds(self):
        protected = ('{"enc":"A256GCM","iat":"2025-06-26T18:42:46.356259315+09:00",'
                     f'"nonce":"{uuid.uuid4()}","alg":"dir"}}')
        pt = '{"version":"2022-11-16","entityBody":{"name":"김토스"}}'.encode()
        token = self.jwcrypto_seal(pt, protected)
        self.assertEqual(self.tool.open(token), pt)

    def test_korean_from_jwcrypto(self):
        for text in KOREAN:
            with self.subTest(text=text[:10]):
                pt = text.encode("utf-8")
                token = self.jwcrypto_seal(pt, self.canonical_header())
                self.assertEqual(self.tool.open(token), pt)

    def test_jwcrypto_token_under_another_key_is_a_tag_mismatch(self):
        token = self.jwcrypto_seal(b'{"ok":true}', self.canonical_header(),
                                   key=oct_jwk(OTHER_KEY_HEX))
        r = self.tool.run("open", KEY_HEX, token.encode())
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"PAY_ERR_JWE_TAG_MISMATCH", r.stderr)

    def test_tool_trims_a_trailing_newline(self):
        token = self.jwcrypto_seal(b'{"ok":true}', self.canonical_header())
        self.assertEqual(self.tool.open(token + "\n"), b'{"ok":true}')


class JoseCliInterop(unittest.TestCase):
    """latchset `jose` (Debian package jose) as a second oracle."""

    @classmethod
    def setUpClass(cls):
        cls.tool = Tool()
        cls.jose = shutil.which("jose")
        if not cls.jose:
            raise AssertionError("the `jose` CLI is missing: run scripts/install-deps --test")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.jwk_path = os.path.join(cls.tmp.name, "key.jwk")
        with open(cls.jwk_path, "w", encoding="ascii") as f:
            json.dump({"kty": "oct", "k": b64u(bytes.fromhex(KEY_HEX))}, f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def jose_dec(self, token: str) -> bytes:
        path = os.path.join(self.tmp.name, "in.jwe")
        with open(path, "w", encoding="ascii") as f:
            f.write(token)
        r = subprocess.run([self.jose, "jwe", "dec", "-i", path, "-k", self.jwk_path],
                           capture_output=True, timeout=60, check=False)
        # latchset prints unverified plaintext before failing (jwe-rules #11),
        # so only a zero exit status means the token verified.
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout

    def jose_enc(self, plaintext: bytes, protected: dict) -> str:
        path = os.path.join(self.tmp.name, "pt.bin")
        with open(path, "wb") as f:
            f.write(plaintext)
        r = subprocess.run([self.jose, "jwe", "enc", "-i", json.dumps({"protected": protected}),
                            "-I", path, "-k", self.jwk_path, "-c"],
                           capture_output=True, timeout=60, check=False)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode("ascii").strip()

    def test_sizes_to_jose(self):
        for n in SIZES:
            with self.subTest(size=n):
                pt = payload(n)
                self.assertEqual(self.jose_dec(self.tool.seal(pt)), pt)

    def test_sizes_from_jose(self):
        for n in SIZES:
            with self.subTest(size=n):
                pt = payload(n)
                token = self.jose_enc(pt, {"alg": "dir", "enc": "A256GCM",
                                           "iat": "2025-06-26T18:42:46.356259315+09:00",
                                           "nonce": str(uuid.uuid4())})
                self.assertEqual(len(token.split(".")), 5)
                self.assertEqual(self.tool.open(token), pt)

    def test_korean_both_ways(self):
        for text in KOREAN:
            with self.subTest(text=text[:10]):
                pt = text.encode("utf-8")
                self.assertEqual(self.jose_dec(self.tool.seal(pt)), pt)
                token = self.jose_enc(pt, {"alg": "dir", "enc": "A256GCM"})
                self.assertEqual(self.tool.open(token), pt)


if __name__ == "__main__":
    unittest.main(verbosity=2)
