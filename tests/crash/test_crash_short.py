"""The crash test (tests/crash/crash_test.py) in a short form for CTest: a
few rounds of SIGKILL under load, restart, retries with the same
Idempotency-Key, and the full audit of the database, the ledger and the
webhook outbox; then SIGTERM under load. The long form is run by hand:
/usr/bin/python3 tests/crash/crash_test.py --rounds 20 --seconds 3"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from crash_test import CrashTest  # noqa: E402


class CrashShort(unittest.TestCase):
    def test_sigkill_rounds_and_sigterm_under_load(self):
        seed = int(os.environ["PAY_CRASH_SEED"]) if os.environ.get("PAY_CRASH_SEED") else None
        test = CrashTest(rounds=3, seconds=1.5, clients=4, seed=seed)
        rows, totals, problems = test.run(graceful=True)
        self.assertEqual(problems, [], "seed %d (rerun with PAY_CRASH_SEED=%d)" % (test.seed, test.seed))
        self.assertEqual(len(rows), 3)
        # The kills must have cut requests off, or the test proved nothing.
        self.assertGreater(totals["requests"], 0)
        self.assertGreaterEqual(totals["crashes"], 3)
        self.assertGreater(totals["events"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
