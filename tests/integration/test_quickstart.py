"""docs/quickstart.md, run as written.

The convention (keep the page and this test in step):

- Every ```sh block of the page is a command a newcomer types. The blocks are
  joined, in order, into one script run by `bash -euo pipefail`, as one shell
  session would run them, so variables set in one block (SELLER_ID,
  PAYOUT_ID) are seen by the next.
- A block directly preceded by a `<!-- quickstart-test: skip ... -->` line is
  not run: those are the build (step 1) and starting payoutd (step 2); this
  test uses the build under test and starts its own payoutd (with the demo
  merchant, on a free port, with its own admin token). There must be exactly
  these two, and between them they must still say `cmake` and `scripts/run`.
- Only the values of the page's own `export NAME=value` lines for
  PAYOUT_BASE_URL, PAYOUTD_ADMIN_URL, PAYOUT_SECRET_KEY, PAYOUT_SECURITY_KEY
  and PAYOUTD_ADMIN_TOKEN are replaced, by this server's URL, the demo
  merchant's test keys as payoutd printed them, and the admin token. Every
  other line runs unchanged.
- The script runs in a scratch directory whose `build` is a symbolic link to
  $PAY_BUILD_DIR, so the page's `export PATH="$PWD/build:$PATH"` finds the
  payoutctl under test, and with no PAYOUT_* / PAYOUTD_* variables inherited.

The test then checks, over HTTP, that the payout the page created is
COMPLETED and the balance is what the page says, and that the output holds
no key."""
import os
import re
import shlex
import subprocess
import tempfile
import time

from payoutd_harness import SOURCE_DIR, Server, ServerTestCase, main

DOC = os.path.join(SOURCE_DIR, "docs", "quickstart.md")
SUBSTITUTED = ("PAYOUT_BASE_URL", "PAYOUTD_ADMIN_URL", "PAYOUT_SECRET_KEY", "PAYOUT_SECURITY_KEY",
               "PAYOUTD_ADMIN_TOKEN")
SKIP_MARK = "<!-- quickstart-test: skip"


def sh_blocks(text):
    """[(skipped, code)] for every ```sh block, in order."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            prev = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            blocks.append((prev.strip().startswith(SKIP_MARK), "\n".join(lines[i + 1:j])))
            i = j
        i += 1
    return blocks


def admin_base(server):
    """The admin API's URL: the harness's admin listener when it has one."""
    return getattr(server, "admin_base", server.base)


class Quickstart(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(demo=True).start()

    def demo_keys(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.server.stdout_path, encoding="utf-8") as f:
                text = f.read()
            sk = re.search(r"test secret key\s+(test_sk_\w+)", text)
            sec = re.search(r"test security key\s+([0-9a-f]{64})", text)
            if sk and sec:
                keys = {"secretKey": sk.group(1), "securityKey": sec.group(1)}
                self.server.secrets.update(keys.values())
                return keys
            time.sleep(0.05)
        self.fail("payoutd printed no demo keys")

    def test_quickstart_as_written(self):
        with open(DOC, encoding="utf-8") as f:
            blocks = sh_blocks(f.read())
        skipped = [code for skip, code in blocks if skip]
        run = [code for skip, code in blocks if not skip]
        self.assertEqual(len(skipped), 2, "exactly the build and the start of payoutd are skipped")
        self.assertIn("cmake", skipped[0])
        self.assertIn("scripts/run", skipped[1])
        script = "\n".join(run)
        # the page must say every value this test fills in, and the newcomer's steps
        for name in SUBSTITUTED:
            self.assertRegex(script, r"(?m)^export %s=" % name)
        for needed in ("sellers create", "--type CORPORATE", "payouts request", "--date",
                       "admin clock set", "balances"):
            self.assertIn(needed, script)
        # the admin token payoutd was started with is the one payoutctl is given
        token = re.search(r"(?m)^export PAYOUTD_ADMIN_TOKEN=(\S+)", skipped[1]).group(1)
        self.assertIn("export PAYOUTD_ADMIN_TOKEN=%s\n" % token, script + "\n")

        keys = self.demo_keys()
        values = {"PAYOUT_BASE_URL": self.server.base, "PAYOUTD_ADMIN_URL": admin_base(self.server),
                  "PAYOUT_SECRET_KEY": keys["secretKey"], "PAYOUT_SECURITY_KEY": keys["securityKey"],
                  "PAYOUTD_ADMIN_TOKEN": self.server.admin_token}
        for name, value in values.items():
            script = re.sub(r"(?m)^export %s=.*$" % name, lambda _m, n=name, v=value: "export %s=%s"
                            % (n, shlex.quote(v)), script)
        # what the page created, for the checks below (after the page's own lines)
        script += '\nprintf "QUICKSTART %s %s\\n" "$SELLER_ID" "$PAYOUT_ID"\n'

        with tempfile.TemporaryDirectory(prefix="quickstart-") as scratch:
            os.symlink(os.environ["PAY_BUILD_DIR"], os.path.join(scratch, "build"))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYOUT_", "PAYOUTD_"))}
            p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=scratch, env=env,
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, "the quickstart failed:\n--- script\n%s\n--- stdout\n%s\n--- stderr\n%s"
                         % (script, p.stdout, p.stderr))
        self.assertNotIn("Sanitizer", p.stderr)
        self.server.check_no_leak("the quickstart's output", p.stdout + p.stderr)
        seller_id, payout_id = re.search(r"^QUICKSTART (\S+) (\S+)$", p.stdout, re.M).groups()

        # the page's own last checks printed what it promises
        self.assertIn("\nCOMPLETED\n", p.stdout)
        self.assertIn("\n99950000.0\n", p.stdout)
        # and payoutd agrees, asked directly
        resp = self.server.call("GET", "/v2/payouts/" + payout_id, keys)
        payout = self.assertEntity(resp, "payout")
        self.assertEqual(payout["status"], "COMPLETED")
        self.assertEqual(payout["destination"], seller_id)
        self.assertEqual(payout["scheduleType"], "SCHEDULED")
        self.assertEqual(payout["amount"]["value"], 50000.0)
        seller = self.assertEntity(self.server.call("GET", "/v2/sellers/" + seller_id, keys), "seller")
        self.assertEqual((seller["businessType"], seller["status"]), ("CORPORATE", "PARTIALLY_APPROVED"))
        balance = self.assertEntity(self.server.call("GET", "/v2/balances", keys), "balance")
        self.assertEqual(balance["availableAmount"]["value"], 100000000.0 - 50000)
        self.assertEqual(balance["pendingAmount"]["value"], 0.0)


if __name__ == "__main__":
    main()
