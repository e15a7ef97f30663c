"""`cmake --install` (CMakeLists.txt, "install, pkg-config, exported
symbols" block): installs into a temporary prefix and checks the layout, the
SONAME, libpayout.pc, that libpayout.so exports exactly the functions of
include/payout/*.h, and that a program built with pkg-config against the
installed headers links and runs against libpayout.so and against
libpayout.a. The installed payoutd runs with the installed holiday file."""
import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

BUILD_DIR = os.environ.get("PAY_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("PAY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CC = os.environ.get("CC", "cc")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wshadow", "-Wformat=2", "-Wstrict-prototypes",
          "-Wmissing-prototypes", "-Wvla", "-Werror"]

# A consumer of the installed library: seals and opens (C20's Korean
# included), refuses a tampered token, makes and frees a client.
PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <payout/client.h>
#include <payout/diagnose.h>
#include <payout/error.h>
#include <payout/jwe.h>
#include <payout/webhook.h>

static int fail(const char *what, const pay_error *err)
{
    fprintf(stderr, "%s: %s: %s\n", what, pay_err_name(err->code), err->message);
    return 1;
}

int main(void)
{
    const char *hex = "6b3a9f0c2e7d15a84c9b0e6f3d2a71c5e8f4b09a3c6d2e7f1a5b8c0d9e4f2a63";
    const char *body = "{\"name\":\"김토스\"}";
    pay_key key;
    pay_error err;
    char *token = NULL;
    size_t token_len = 0;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    if (pay_key_from_hex(&key, hex, strlen(hex), &err) != PAY_OK) return fail("key", &err);
    if (pay_jwe_seal(&key, (const uint8_t *)body, strlen(body), &token, &token_len, &err) != PAY_OK)
        return fail("seal", &err);
    if (pay_jwe_open(token, token_len, &key, &pt, &pt_len, &err) != PAY_OK) return fail("open", &err);
    if (pt_len != strlen(body) || memcmp(pt, body, pt_len) != 0) return fail("round trip", &err);
    pay_jwe_plaintext_free(pt, pt_len);
    token[token_len - 2] = token[token_len - 2] == 'A' ? 'B' : 'A'; /* a tag byte */
    if (pay_jwe_open(token, token_len, &key, &pt, &pt_len, &err) != PAY_ERR_JWE_TAG_MISMATCH)
        return fail("tampered token opened", &err);
    free(token);

    if (pay_client_global_init() != PAY_OK) return 1;
    pay_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.base_url = "http://127.0.0.1:9";
    cfg.secret_key = "test_sk_FAKE0000000000000000000000";
    cfg.security_key = hex;
    pay_client *c = NULL;
    if (pay_client_new(&cfg, &c, &err) != PAY_OK) return fail("client", &err);
    pay_client_free(c);
    cfg.security_key = "not hex";
    if (pay_client_new(&cfg, &c, &err) != PAY_ERR_KEY_LENGTH || c) return fail("bad key accepted", &err);
    pay_client_global_cleanup();
    pay_key_wipe(&key);
    printf("ok %s\n", pay_strerror(PAY_ERR_JWE_TAG_MISMATCH));
    return 0;
}
"""


def load_gen_reference():
    path = os.path.join(SOURCE_DIR, "scripts", "gen-reference")
    loader = importlib.machinery.SourceFileLoader("gen_reference", path)
    spec = importlib.util.spec_from_loader("gen_reference", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(payoutd VERSION ([0-9.]+)", f.read()).group(1)


def sanitizer_flags():
    """A PAY_SANITIZE build installs instrumented libraries; a program linking
    them needs the sanitizer runtimes (first in the library list)."""
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt"), encoding="utf-8") as f:
            on = re.search(r"^PAY_SANITIZE:BOOL=(ON|TRUE|1)$", f.read(), re.M | re.I)
    except OSError:
        on = None
    return ["-fsanitize=address,undefined"] if on else []


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kw)


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="payout-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        r = run(["cmake", "--install", BUILD_DIR, "--prefix", cls.prefix])
        if r.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + r.stdout + r.stderr)
        cls.lib = os.path.join(cls.prefix, "lib")
        cls.env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(cls.lib, "pkgconfig"))
        cls.env.pop("PKG_CONFIG_LIBDIR", None)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def pkg_config(self, *args):
        r = run(["pkg-config"] + list(args) + ["libpayout"], env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    # ---- layout -------------------------------------------------------------------

    def test_layout(self):
        version = project_version()
        real = self.path("lib", "libpayout.so." + version)
        self.assertTrue(os.path.isfile(real) and not os.path.islink(real))
        self.assertEqual(os.readlink(self.path("lib", "libpayout.so.0")), "libpayout.so." + version)
        self.assertEqual(os.readlink(self.path("lib", "libpayout.so")), "libpayout.so.0")
        self.assertTrue(os.path.isfile(self.path("lib", "libpayout.a")))
        self.assertFalse(os.path.exists(self.path("lib", "libpayout_static.a")))
        headers = sorted(n for n in os.listdir(os.path.join(SOURCE_DIR, "include", "payout")) if n.endswith(".h"))
        self.assertEqual(sorted(os.listdir(self.path("include", "payout"))), headers)
        for h in headers:
            with open(os.path.join(SOURCE_DIR, "include", "payout", h), "rb") as a, \
                    open(self.path("include", "payout", h), "rb") as b:
                self.assertEqual(a.read(), b.read(), h)
        self.assertTrue(os.access(self.path("bin", "payoutd"), os.X_OK))
        if os.path.exists(os.path.join(BUILD_DIR, "payoutctl")):
            self.assertTrue(os.access(self.path("bin", "payoutctl"), os.X_OK))
        with open(os.path.join(SOURCE_DIR, "data", "holidays-kr.tsv"), "rb") as a, \
                open(self.path("share", "payoutd", "holidays-kr.tsv"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        docs = self.path("share", "doc", "payoutd")
        for name in ("README.md", "ERRORS.md", "JWE.md", os.path.join("libpayout", "README.md"),
                     os.path.join("libpayout", "pay_jwe_seal.md")):
            self.assertTrue(os.path.isfile(os.path.join(docs, name)), name)
        pages = [n for n in os.listdir(os.path.join(SOURCE_DIR, "docs", "libpayout")) if n.endswith(".md")]
        self.assertEqual(sorted(os.listdir(os.path.join(docs, "libpayout"))), sorted(pages))

    def test_soname(self):
        r = run(["readelf", "-d", self.path("lib", "libpayout.so")])
        self.assertIn("Library soname: [libpayout.so.0]", r.stdout)
        self.assertNotIn("RUNPATH", r.stdout)
        self.assertNotIn("RPATH", r.stdout)

    def test_exports_exactly_the_public_functions(self):
        declared = load_gen_reference().header_functions(self.path("include", "payout"))
        r = run(["nm", "-D", "--defined-only", self.path("lib", "libpayout.so")])
        self.assertEqual(r.returncode, 0, r.stderr)
        exported = {line.split()[-1] for line in r.stdout.splitlines() if line.split()[1:2] in (["T"], ["W"])}
        data = [line for line in r.stdout.splitlines() if line.split()[1:2] not in (["T"], ["W"])]
        missing = sorted(set(declared) - exported)
        self.assertEqual(missing, [], "declared in include/payout/ but not exported from libpayout.so: "
                                      "declare them with PAY_API (see error.h)")
        self.assertEqual(sorted(exported - set(declared)), [],
                         "exported but not public: internal helpers must stay hidden")
        self.assertEqual(data, [], "no data symbols are part of the API")

    # ---- pkg-config ----------------------------------------------------------------------

    def test_pkg_config(self):
        self.assertEqual(self.pkg_config("--modversion"), [project_version()])
        cflags = self.pkg_config("--cflags")
        self.assertIn("-I" + self.path("include"), cflags)
        libs = self.pkg_config("--libs")
        self.assertEqual(libs[:2], ["-L" + self.lib, "-lpayout"])
        self.assertNotIn("-lcurl", libs, "private dependencies stay out of a dynamic link")
        static = self.pkg_config("--static", "--libs")
        for lib in ("-lpayout", "-lcurl", "-ljansson", "-lcrypto", "-lz", "-lm"):
            self.assertIn(lib, static)
        r = run(["pkg-config", "--print-requires-private", "libpayout"], env=self.env)
        self.assertEqual(sorted(line.split()[0] for line in r.stdout.splitlines()),
                         ["jansson", "libcrypto", "zlib"], "libcurl is in Libs.private (see libpayout.pc.in)")

    # ---- building against it --------------------------------------------------------------

    def build(self, name, static):
        src = os.path.join(self.tmp, "consumer.c")
        with open(src, "w", encoding="utf-8") as f:
            f.write(PROGRAM)
        flags = self.pkg_config("--cflags") + self.pkg_config(*(["--static", "--libs"] if static else ["--libs"]))
        if static:
            # -lpayout would pick libpayout.so; name the archive (GNU ld's -l:),
            # keeping pkg-config's -L and the private dependencies it listed.
            flags = ["-l:libpayout.a" if x == "-lpayout" else x for x in flags]
        exe = os.path.join(self.tmp, name)
        r = run([CC] + CFLAGS + sanitizer_flags() + ["-o", exe, src] + flags)
        self.assertEqual(r.returncode, 0, r.stderr)
        return exe

    def needed(self, exe):
        r = run(["readelf", "-d", exe])
        return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)

    def test_dynamic_link_and_run(self):
        exe = self.build("consumer-dynamic", static=False)
        self.assertIn("libpayout.so.0", self.needed(exe))
        env = dict(os.environ, LD_LIBRARY_PATH=self.lib)
        r = run(["ldd", exe], env=env)
        self.assertIn(os.path.join(self.lib, "libpayout.so.0"), r.stdout)
        r = run([exe], env=env)
        self.assertEqual((r.returncode, r.stdout), (0, "ok authentication tag mismatch\n"), r.stderr)

    def test_static_link_and_run(self):
        exe = self.build("consumer-static", static=True)
        needed = self.needed(exe)
        self.assertFalse([n for n in needed if n.startswith("libpayout")], needed)
        self.assertIn("libcurl.so.4", needed)
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        r = run([exe], env=env)
        self.assertEqual((r.returncode, r.stdout), (0, "ok authentication tag mismatch\n"), r.stderr)

    def test_headers_compile_alone_and_as_cxx(self):
        """Each installed header stands alone (includes what it uses), also in
        C++ (extern "C")."""
        cxx = shutil.which("c++") or shutil.which("g++")
        for h in sorted(os.listdir(self.path("include", "payout"))):
            src = os.path.join(self.tmp, "only.c")
            with open(src, "w", encoding="utf-8") as f:
                f.write("#include <payout/%s>\nint main(void) { return 0; }\n" % h)
            r = run([CC] + CFLAGS + ["-fsyntax-only", "-I", self.path("include"), src])
            self.assertEqual(r.returncode, 0, "%s: %s" % (h, r.stderr))
            if cxx:
                r = run([cxx, "-x", "c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                         "-I", self.path("include"), src])
                self.assertEqual(r.returncode, 0, "%s as C++: %s" % (h, r.stderr))

    # ---- the server ----------------------------------------------------------------------

    def test_installed_payoutd_runs_with_the_installed_calendar(self):
        work = os.path.join(self.tmp, "run")
        os.makedirs(work, exist_ok=True)
        ready = os.path.join(work, "ready")
        proc = subprocess.Popen([self.path("bin", "payoutd"), "--listen", "127.0.0.1:0", "--db",
                                 os.path.join(work, "p.db"), "--ready-file", ready, "--no-demo", "--holidays",
                                 self.path("share", "payoutd", "holidays-kr.tsv")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
        try:
            deadline = time.time() + 20
            port = ""
            while time.time() < deadline and proc.poll() is None and not port:
                if os.path.exists(ready):
                    with open(ready, encoding="utf-8") as f:
                        port = f.read().strip()
                time.sleep(0.05)
            if proc.poll() is not None:
                self.fail("payoutd exited: %s" % proc.communicate()[1].decode("utf-8", "replace"))
            self.assertTrue(port, "payoutd did not become ready")
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
