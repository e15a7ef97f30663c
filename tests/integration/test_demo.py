"""The first start on an empty database creates the demo merchant and prints
its keys once with ready-to-run examples; both examples work as printed, and
a second start prints nothing."""
import os
import re
import subprocess
import time
import urllib.request
import base64

from payoutd_harness import SOURCE_DIR, Server, ServerTestCase, main


class Demo(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(demo=True).start()

    def printed(self):
        deadline = time.time() + 5
        while time.time() < deadline:
            with open(self.server.stdout_path, encoding="utf-8") as f:
                text = f.read()
            if "example-payout.py" in text:
                return text
            time.sleep(0.05)
        self.fail("payoutd printed no demo keys")

    def test_demo_keys_and_examples(self):
        text = self.printed()
        sk = re.search(r"test secret key\s+(test_sk_\w+)", text).group(1)
        sec = re.search(r"test security key\s+([0-9a-f]{64})", text).group(1)
        self.assertRegex(text, r"live secret key\s+live_sk_\w+")
        # the curl line, as printed (GET needs no encryption)
        curl = re.search(r"curl -s -u (\S+): (http://\S+)", text)
        self.assertEqual(curl.group(1), sk)
        req = urllib.request.Request(curl.group(2), headers={
            "Authorization": "Basic " + base64.b64encode((sk + ":").encode()).decode()})
        with urllib.request.urlopen(req) as r:
            self.assertIn(b'"availableAmount":{"currency":"KRW","value":100000000.0}', r.read())
        # the encrypted example, as printed
        url = re.search(r"example-payout.py (http://\S+)", text).group(1)
        env = dict(os.environ, PAYOUT_SECRET_KEY=sk, PAYOUT_SECURITY_KEY=sec)
        out = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE_DIR, "scripts/example-payout.py"), url],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn('"status": "REQUESTED"', out.stdout)
        # keys are shown once: a restart prints nothing new
        size = os.path.getsize(self.server.stdout_path)
        self.server.restart()
        time.sleep(0.2)
        self.assertEqual(os.path.getsize(self.server.stdout_path), size)
        self.assertNotIn(sk, self.server.read_log())


if __name__ == "__main__":
    main()
