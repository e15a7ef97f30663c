"""payoutctl jwe encrypt | decrypt | inspect | doctor through the real
binary, on the failure cases of ../shared/cases/README.md that concern
tokens, keys and plaintexts (C01 C02 C04 C05 C06 C07 C09 C10 C11 C13 C15 C16
C18 C19 C20) and the real Toss token of spec §8.10: the exit code of each
outcome (0 ok; 2 usage or a malformed token; 4 tag mismatch, unusable key, or
for inspect/doctor a broken rule or a token that does not open as given)
and the sentence that carries the diagnosis. No run may print the key.

Vectors are byte-exact from tests/fixtures/jwe_cases.json. Tokens the cases
describe without printing them are sealed with `payoutctl jwe encrypt` or,
for producer mistakes payoutctl cannot make (a key derived the wrong way),
with python3-cryptography's AES-GCM.

payoutctl is found at $PAY_BUILD_DIR/payoutctl (CTest sets it)."""
import base64
import json
import os
import subprocess
import tempfile
import unittest

PAYOUTCTL = os.path.join(os.environ.get("PAY_BUILD_DIR", "build"), "payoutctl")
SOURCE = os.environ.get("PAY_SOURCE_DIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "jwe_cases.json")
NOW = "2025-06-26T18:42:46+09:00"  # "now" of case C16; the vectors' iat

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # the tests that need it say so
    AESGCM = None

with open(FIXTURES, encoding="utf-8") as f:
    FX = json.load(f)
KEY = FX["key_hex"]
V = {c["name"]: c["token"] for c in FX["cases"]}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seal_raw(key, header, plaintext, iv=bytes(range(12))):
    """A compact JWE with AAD = the header segment, under raw key bytes."""
    h = b64u(header.encode())
    sealed = AESGCM(key).encrypt(iv, plaintext, h.encode())
    return ".".join([h, "", b64u(iv), b64u(sealed[:-16]), b64u(sealed[-16:])])


@unittest.skipUnless(os.path.exists(PAYOUTCTL),
                     "payoutctl is not built (no %s: src/cli/main.c has not landed)" % PAYOUTCTL)
class JweCli(unittest.TestCase):
    def run_ctl(self, *args, stdin=None, env_key=None, check_key=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYOUT_")}
        if env_key is not None:
            env["PAYOUT_SECURITY_KEY"] = env_key
        if isinstance(stdin, str):
            stdin = stdin.encode()
        p = subprocess.run([PAYOUTCTL, "jwe"] + list(args), input=stdin, capture_output=True,
                           env=env, timeout=60)
        if check_key:
            for stream in (p.stdout, p.stderr):
                self.assertNotIn(KEY.encode(), stream, "the key was printed")
                self.assertNotIn(KEY[:32].encode(), stream, "half the key was printed")
        return p

    def doctor(self, *tokens, key=KEY, extra=(), code=None, stdin=None):
        p = self.run_ctl("doctor", "--key", key, "--now", NOW, *extra, *tokens, stdin=stdin)
        out = p.stdout.decode()
        if code is not None:
            self.assertEqual(p.returncode, code, out + p.stderr.decode())
        return p, out

    def first_line(self, out):
        return out.splitlines()[0] if out else ""

    # ---- C01, C04, C05 ----------------------------------------------------

    def test_c01_decrypt_and_doctor(self):
        p = self.run_ctl("decrypt", "--key", KEY, V["V0"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, FX["baseline_plaintext"].encode())
        for name, phrase in (("V1", "first 32 ASCII characters of the key string"),
                             ("V1b", "SHA-256 of the key string")):
            p = self.run_ctl("decrypt", "--key", KEY, V[name])
            self.assertEqual(p.returncode, 4, "tag mismatch exits 4")
            self.assertIn(b"authentication tag mismatch", p.stderr)
            self.assertEqual(p.stdout, b"", "no plaintext on failure")
            _, out = self.doctor(V[name], code=4)
            self.assertIn(phrase, self.first_line(out))
            self.assertIn("hex-decoded into 32 bytes", self.first_line(out))
        _, out = self.doctor(V["V0"], code=0)
        self.assertIn("opens with this key", self.first_line(out))

    def test_c04_c05(self):
        _, out = self.doctor(V["V4"], code=4)
        self.assertIn("re-serialization of the header", self.first_line(out))
        _, out = self.doctor(V["V5"], code=4)
        self.assertIn("tag verifies with an empty AAD", self.first_line(out))
        p = self.run_ctl("decrypt", "--key", KEY, V["V5"])
        self.assertEqual(p.returncode, 4)
        self.assertIn(b"authentication tag mismatch", p.stderr)

    def test_other_key_is_plainly_said(self):
        _, out = self.doctor(FX["spec_8_10"]["token"], code=4)
        self.assertIn("the key is simply not the one that sealed the token", self.first_line(out))

    # ---- C02 and spec §8.10 ---------------------------------------------------

    def test_c02_order_and_nanoseconds(self):
        p = self.run_ctl("decrypt", "--key", KEY, V["V2"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout, FX["cases"][3]["plaintext"].encode())
        p = self.run_ctl("inspect", "--now", NOW, V["V2"])
        self.assertEqual(p.returncode, 0, p.stdout)
        out = p.stdout.decode()
        members = [ln.split()[0] for ln in out.splitlines() if ln.startswith("  ") and '"' in ln
                   and not ln.lstrip().startswith(("ok", "note", "warning", "error"))]
        self.assertEqual(members, ["enc", "iat", "nonce", "alg"])
        self.assertIn("2025-06-26T09:42:46.356259315Z", out)
        self.assertNotIn("order", out)
        _, out = self.doctor(V["V2"], code=0)
        self.assertIn("no problem found", self.first_line(out))

    def test_spec_8_10_inspect(self):
        t = FX["spec_8_10"]["token"]
        p = self.run_ctl("inspect", "--now", NOW, t)
        self.assertEqual(p.returncode, 0, p.stdout)
        out = p.stdout.decode()
        self.assertIn("token: 508 characters, 5 segments", out)
        self.assertRegex(out, r"(?m)^  3 IV +16 characters +12 bytes$")
        self.assertRegex(out, r"(?m)^  4 ciphertext +306 characters +229 bytes$")
        self.assertRegex(out, r"(?m)^  5 authentication tag +22 characters +16 bytes$")
        self.assertRegex(out, r"(?m)^  2 encrypted key +0 characters +0 bytes$")
        members = [ln.split()[0] for ln in out.splitlines()
                   if ln.startswith("  ") and ln.split()[0] in ("enc", "iat", "nonce", "alg")]
        self.assertEqual(members, ["enc", "iat", "nonce", "alg"])
        self.assertIn("2025-06-26T18:42:46.356259315+09:00 (Korean time) = "
                      "2025-06-26T09:42:46.356259315Z (UTC)", out)
        for rule in range(1, 13):
            self.assertRegex(out, r"(ok|note) +rule %d " % rule)
        # stdin works the same
        p = self.run_ctl("inspect", "--now", NOW, stdin=t + "\n")
        self.assertEqual(p.returncode, 4)  # rule 1: the trailing newline is reported
        self.assertIn("removed 1 trailing LF", p.stdout.decode())

    # ---- C06, C07: keys -------------------------------------------------------

    def test_c06_leading_zero_key(self):
        zero = "00" + KEY[2:]
        p = self.run_ctl("encrypt", "--key", zero, stdin='{"ok":true}', check_key=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        token = p.stdout.decode().strip()
        p = self.run_ctl("decrypt", "--key", zero, token, check_key=False)
        self.assertEqual((p.returncode, p.stdout), (0, b'{"ok":true}'))
        p = self.run_ctl("doctor", "--key", zero, token, check_key=False)
        self.assertEqual(p.returncode, 0, p.stdout)

    @unittest.skipIf(AESGCM is None, "python3-cryptography is not installed")
    def test_c06_key_bytes_derived_wrongly(self):
        header = '{"alg":"dir","enc":"A256GCM","iat":"%s","nonce":"n-1"}' % NOW
        b64 = base64.b64decode(KEY)  # the hex string read as base64: 48 bytes
        self.assertEqual(len(b64), 48)
        t = seal_raw(b64[:32], header, b'{"ok":true}')
        _, out = self.doctor(t, code=4)
        self.assertIn("base64-decoded", self.first_line(out))
        t = seal_raw(KEY.encode()[:32], header, b'{"ok":true}')  # getBytes(), cut to 32
        _, out = self.doctor(t, code=4)
        self.assertIn("first 32 ASCII characters", self.first_line(out))

    def test_c07_key_text(self):
        v0 = V["V0"]
        p = self.run_ctl("decrypt", "--key", KEY.upper(), v0)
        self.assertEqual(p.returncode, 0)
        _, out = self.doctor(v0, key=KEY.upper(), code=0)
        rows = [
            (KEY + "\n", "key has 65 characters (trailing newline)", "got 65 (trailing newline)"),
            ('"%s"' % KEY, "key has 66 characters (wrapped in double quotes)",
             "got 66 (wrapped in double quotes)"),
            (KEY[:63], "security key must be exactly 64 hex characters; got 63", "got 63"),
            (KEY[:10] + "g" + KEY[11:], "non-hex character 'g' at index 10",
             "non-hex character 'g' at index 10"),
            (KEY[:32], "half of the key", "half of the key"),
        ]
        for key, doctor_phrase, decrypt_phrase in rows:
            with self.subTest(key_len=len(key)):
                p = self.run_ctl("decrypt", "--key", key, v0, check_key=False)
                self.assertEqual(p.returncode, 4, "an unusable key exits 4, as elsewhere")
                self.assertIn(decrypt_phrase.encode(), p.stderr)
                self.assertEqual(p.stdout, b"")
                p = self.run_ctl("doctor", "--key", key, "--now", NOW, v0, check_key=False)
                self.assertEqual(p.returncode, 4)
                self.assertIn(doctor_phrase, self.first_line(p.stdout.decode()))
                self.assertNotIn(KEY.encode(), p.stdout + p.stderr)
        # From the environment one trailing newline is removed, and --verbose says so.
        p = self.run_ctl("--verbose", "decrypt", v0, env_key=KEY + "\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"removed one trailing LF", p.stderr)
        # The doctor diagnoses the variable as set.
        p = self.run_ctl("doctor", "--now", NOW, v0, env_key=KEY + "\n")
        self.assertEqual(p.returncode, 4)
        self.assertIn("key has 65 characters (trailing newline)", self.first_line(p.stdout.decode()))
        p = self.run_ctl("doctor", v0)
        self.assertEqual(p.returncode, 2, "no key: usage")

    # ---- C09, C10 -------------------------------------------------------------

    def test_c09_iv(self):
        p = self.run_ctl("decrypt", "--key", KEY, V["V6"])
        self.assertEqual(p.returncode, 2, "a malformed token is not a tag mismatch")
        self.assertIn(b"IV is 16 bytes; A256GCM requires exactly 12", p.stderr)
        _, out = self.doctor(V["V6"], code=4)
        self.assertIn("IV is 16 bytes; A256GCM requires exactly 12", self.first_line(out))
        self.assertIn("the tag verifies with this 16-byte IV", out)

    def test_c10_tags(self):
        for name, n, headline in (
                ("V8_tag12", 12, "tag is 12 bytes; a truncated tag — must be 16"),
                ("V8_tag1", 1, "tag is 1 byte; a truncated tag — must be 16"),
                ("V8_tag17", 17, "tag is 17 bytes; must be exactly 16")):
            p = self.run_ctl("decrypt", "--key", KEY, V[name])
            self.assertEqual(p.returncode, 2)
            self.assertIn(("authentication tag must be 16 bytes; got %d" % n).encode(), p.stderr)
            _, out = self.doctor(V[name], code=4)
            self.assertIn(headline, self.first_line(out))
        _, out = self.doctor(V["V8_tag17"], code=4)
        self.assertIn("the first 16 bytes of the 17-byte tag verify", out)

    # ---- C11 ----------------------------------------------------------------

    def test_c11_whitespace(self):
        v0 = V["V0"]
        for text, phrase in ((v0 + "\n", "removed 1 trailing LF"),
                             (v0 + "\r\n", "removed 2 trailing bytes (CR LF)"),
                             ("  " + v0, "removed 2 leading spaces")):
            with self.subTest(phrase=phrase):
                p = self.run_ctl("--verbose", "decrypt", "--key", KEY, stdin=text)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout, FX["baseline_plaintext"].encode())
                self.assertIn(phrase.encode(), p.stderr)
                p = self.run_ctl("decrypt", "--key", KEY, text)  # as an argument too
                self.assertEqual(p.returncode, 0)
                _, out = self.doctor(text, code=0)
                self.assertIn(phrase, out)
                self.assertNotIn("tag mismatch", out)
        inner = v0[:100] + " " + v0[100:]
        p = self.run_ctl("decrypt", "--key", KEY, inner)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"invalid character 0x20 at offset 100 (segment 1, protected header)",
                      p.stderr)
        self.assertNotIn(b"tag mismatch", p.stderr)
        _, out = self.doctor(inner, code=4)
        self.assertIn("invalid character 0x20 at offset 100 (segment 1, protected header)",
                      self.first_line(out))

    # ---- C13 ----------------------------------------------------------------

    def seal(self, plaintext):
        p = self.run_ctl("encrypt", "--key", KEY, "--iat", NOW, "--nonce", "n-%d" % len(plaintext),
                         stdin=plaintext)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.decode().strip()

    def test_c13_request_plaintexts(self):
        rows = [
            ('"{\\"refSellerId\\":\\"my-seller-0001\\"}"', (),
             "JSON encoded twice: a JSON string holding a JSON object"),
            ('[{"refSellerId":"my-seller-0001"}]', ("--expect", "object"),
             "JSON array where an object is expected"),
            ('{"refSellerId":"my-seller-0001"}garbage', (), "trailing garbage"),
        ]
        for plaintext, extra, phrase in rows:
            with self.subTest(phrase=phrase):
                t = self.seal(plaintext)
                p, out = self.doctor(t, extra=extra, code=0)
                self.assertIn("the token opens with this key, but", self.first_line(out))
                self.assertIn(phrase, self.first_line(out))
                self.assertNotIn("my-seller-0001", out)
        # V15, response B of C13: a clean error envelope
        p = self.run_ctl("decrypt", "--key", KEY, "--pretty", V["V15"])
        self.assertEqual(p.returncode, 0)
        self.assertIn('"code": "INVALID_REQUEST"', p.stdout.decode())

    # ---- C15 ----------------------------------------------------------------

    def test_c15_captured_requests(self):
        v0 = V["V0"]
        rows = [
            ("POST /v2/sellers HTTP/1.1\r\nContent-Type: application/json\r\n"
             "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n" + v0, 4,
             "body is a JWE but Content-Type is application/json"),
            ("POST /v2/sellers HTTP/1.1\r\nContent-Type: application/json\r\n"
             "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n" + FX["baseline_plaintext"], 4,
             "ENCRYPTION header present but body is plain JSON"),
            ("POST /v2/sellers HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n" + v0, 4,
             "JWE body without the TossPayments-api-security-mode: ENCRYPTION header"),
            ("POST /v2/sellers HTTP/1.1\r\nContent-Type: text/plain\r\n"
             "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n" + v0 + "\n", 0,
             "no problem found"),
        ]
        with tempfile.TemporaryDirectory() as d:
            for i, (text, code, phrase) in enumerate(rows, 1):
                with self.subTest(request=i):
                    path = os.path.join(d, "req%d.http" % i)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                    _, out = self.doctor(extra=("--request", path), code=code)
                    self.assertIn(phrase, self.first_line(out))

    # ---- C16 ----------------------------------------------------------------

    def test_c16_iat(self):
        _, out = self.doctor(V["V10_iat_future_65min"], code=0)
        self.assertIn("iat is 65 min ahead of now", self.first_line(out))
        _, out = self.doctor(V["V10_iat_kst_labelled_Z"], code=0)
        self.assertIn("iat is 9 h ahead — looks like KST local time labelled as UTC (Z)",
                      self.first_line(out))
        for name in ("V10_iat_future_65min", "V10_iat_kst_labelled_Z"):
            p = self.run_ctl("decrypt", "--key", KEY, V[name])
            self.assertEqual((p.returncode, p.stdout), (0, b'{"ok":true}'))

    # ---- C18, C19 -------------------------------------------------------------

    def test_c18_c19_reuse(self):
        p, out = self.doctor(V["V11_reuse_a"], V["V11_reuse_b"], code=4)
        self.assertIn("IV reused — confidentiality and integrity of both messages are lost; "
                      "rotate the security key", self.first_line(out))
        self.assertIn("nonce 5f0c2a9e-… used in 2 tokens", out)
        # Our sealer never repeats either.
        tokens = [self.run_ctl("encrypt", "--key", KEY, stdin="{}").stdout.decode().strip()
                  for _ in range(3)]
        p = self.run_ctl("doctor", "--key", KEY, *tokens)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("all 3 tokens open", self.first_line(p.stdout.decode()))

    # ---- C20 ----------------------------------------------------------------

    def test_c20_korean(self):
        p = self.run_ctl("decrypt", "--key", KEY, V["V13_raw_korean"])
        self.assertEqual(p.stdout, '{"name":"김토스"}'.encode())
        self.assertEqual(bytes.fromhex("eab980ed86a0ec8aa4"), "김토스".encode())
        p = self.run_ctl("decrypt", "--key", KEY, V["V13_escaped_korean"])
        self.assertEqual(p.stdout, b'{"name":"\\uae40\\ud1a0\\uc2a4"}')
        for name in ("V13_raw_korean", "V13_escaped_korean"):
            p = self.run_ctl("decrypt", "--key", KEY, "--pretty", V[name])
            self.assertEqual(p.returncode, 0)
            self.assertIn('"name": "김토스"', p.stdout.decode("utf-8"))
        p = self.run_ctl("decrypt", "--key", KEY, V["V13_cp949_payload"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout, bytes.fromhex("7b226e616d65223a22b1e8c5e4bdba227d"))
        self.assertIn(b"plaintext is not valid UTF-8 at byte offset 9 (looks like CP949/EUC-KR)",
                      p.stderr)
        _, out = self.doctor(V["V13_cp949_payload"], code=0)
        self.assertIn("plaintext is not valid UTF-8 at byte offset 9 (looks like CP949/EUC-KR)",
                      self.first_line(out))
        p = self.run_ctl("encrypt", "--key", KEY,
                         stdin=bytes.fromhex("7b226e616d65223a22b1e8c5e4bdba227d"))
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b"not valid UTF-8 at byte offset 9 (looks like CP949/EUC-KR)", p.stderr)
        # The seller fixture round-trips with its Korean names.
        t = self.run_ctl("encrypt", "--key", KEY, stdin=FX["baseline_plaintext"]).stdout
        p = self.run_ctl("decrypt", "--key", KEY, stdin=t)
        self.assertEqual(p.stdout, FX["baseline_plaintext"].encode())

    # ---- usage and help ---------------------------------------------------------

    def test_help_and_usage(self):
        for sub in ("encrypt", "decrypt", "inspect", "doctor"):
            p = self.run_ctl(sub, "--help")
            self.assertEqual(p.returncode, 0)
            self.assertIn(b"Example", p.stdout)
        self.assertEqual(self.run_ctl("--help").returncode, 0)
        self.assertEqual(self.run_ctl().returncode, 2)
        self.assertEqual(self.run_ctl("frobnicate").returncode, 2)
        self.assertEqual(self.run_ctl("doctor", "--key", KEY).returncode, 2)
        self.assertEqual(self.run_ctl("inspect", "--now", "yesterday", V["V0"]).returncode, 2)
        self.assertEqual(self.run_ctl("encrypt", "--key", KEY, "--iat", "soon",
                                      stdin="{}").returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
