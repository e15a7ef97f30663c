"""HTTPS (spec §1.1: TLS 1.2+; docs/DECISIONS.md "HTTPS"): payoutd started
with --tls-cert/--tls-key (a self-signed certificate made here with openssl)
serves the v2 API and the admin API over TLS 1.2 and 1.3; plain HTTP to the
same port gets no HTTP answer; TLS 1.1 and older are refused."""
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request
import uuid
import warnings

from payoutd_harness import Server, ServerTestCase, main


def corporate():
    return {"refSellerId": "t-" + uuid.uuid4().hex[:12], "businessType": "CORPORATE",
            "company": {"name": "TLS 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": "1234567890", "email": "corp@example.com",
                        "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "김토스"}}


class HTTPS(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="payoutd-tls-")
        cls.cert = os.path.join(cls.certdir, "c.pem")
        cls.key = os.path.join(cls.certdir, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cls.key,
                        "-out", cls.cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        ctx = ssl.create_default_context(cafile=cls.cert)
        cls.server = Server(extra_args=["--tls-cert", cls.cert, "--tls-key", cls.key], scheme="https",
                            ssl_context=ctx).start()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certdir, ignore_errors=True)

    def handshake(self, version):
        """Connects with exactly this TLS version; returns the negotiated
        version, or raises the handshake error."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.cert)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old version at all
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
                return t.version()

    def test_api_over_https(self):
        s = self.server
        self.assertTrue(s.base.startswith("https://"))
        m = self.merchant()
        bal = self.assertEntity(s.call("GET", "/v2/balances", m["test"]), "balance")
        self.assertEqual(bal["availableAmount"]["value"], 100000000.0)
        seller = self.assertEntity(s.call("POST", "/v2/sellers", m["test"], corporate()), "seller", encrypted=True)
        got = self.assertEntity(s.call("GET", "/v2/sellers/" + seller["id"], m["test"], encrypted=True), "seller",
                                encrypted=True)
        self.assertEqual(got["id"], seller["id"])
        self.assertError(s.request("GET", "/v2/balances", "test_sk_" + "x" * 28), 401, "UNAUTHORIZED_KEY")
        # The admin API shares the listener, over TLS too.
        self.assertEqual(s.admin_ok("GET", "/merchants/" + m["mid"])["mid"], m["mid"])
        self.assertIn("listening on https://", s.read_log())

    def test_certificate_is_verified(self):
        # A client that does not trust the certificate refuses the server.
        ctx = ssl.create_default_context()
        with self.assertRaises(urllib.error.URLError) as cm:
            urllib.request.urlopen(self.server.base + "/v2/balances", timeout=10, context=ctx)
        self.assertIsInstance(cm.exception.reason, ssl.SSLCertVerificationError)

    def test_plain_http_fails(self):
        with self.assertRaises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            urllib.request.urlopen("http://127.0.0.1:%d/v2/balances" % self.server.port, timeout=10)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            raw.sendall(b"GET /v2/balances HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            raw.settimeout(10)
            try:
                data = raw.recv(4096)
            except (ConnectionResetError, socket.timeout):
                data = b""
            self.assertFalse(data.startswith(b"HTTP/"), data[:100])
        # The server is still fine.
        m = self.merchant()
        self.assertEntity(self.server.call("GET", "/v2/balances", m["test"]), "balance")

    def test_tls_versions(self):
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_2), "TLSv1.2")
        self.assertEqual(self.handshake(ssl.TLSVersion.TLSv1_3), "TLSv1.3")
        for old in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1):
            with self.subTest(version=old.name):
                try:
                    got = self.handshake(old)
                except ssl.SSLError as e:
                    if "NO_PROTOCOLS_AVAILABLE" in str(e) or "no protocols available" in str(e):
                        self.skipTest("this Python/OpenSSL cannot offer %s at all" % old.name)
                    continue  # refused by the server (alert or EOF)
                except (ConnectionError, OSError):
                    continue
                self.fail("the server accepted %s (negotiated %s)" % (old.name, got))


class TLSOptions(unittest.TestCase):
    def test_cert_and_key_go_together(self):
        d = tempfile.mkdtemp(prefix="payoutd-tls-")
        try:
            for args in (["--tls-cert", os.path.join(d, "c.pem")], ["--tls-key", os.path.join(d, "k.pem")]):
                s = Server(extra_args=args)
                try:
                    with self.assertRaises(RuntimeError):
                        s.start()
                    s.stop(check=False)
                    self.assertIn("--tls-cert and --tls-key go together", s.read_log())
                finally:
                    s.cleanup()
            # Unreadable files are refused at start, not at the first request.
            s = Server(extra_args=["--tls-cert", os.path.join(d, "nope.pem"), "--tls-key", os.path.join(d, "nope")])
            try:
                with self.assertRaises(RuntimeError):
                    s.start()
                s.stop(check=False)
            finally:
                s.cleanup()
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
