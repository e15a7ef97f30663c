"""docs/ERRORS.md and src/core/apierr.def list the same codes with the same
HTTP statuses, in the same order."""
import os
import re
import unittest

from payoutd_harness import SOURCE_DIR, main


def code_table():
    src = open(os.path.join(SOURCE_DIR, "src/core/apierr.def"), encoding="utf-8").read()
    rows = re.findall(r'X\((\w+), (\d+), "(\w+)",', src)
    return [(code, int(status)) for _, status, code in rows]


def doc_table():
    doc = open(os.path.join(SOURCE_DIR, "docs/ERRORS.md"), encoding="utf-8").read()
    return [(code, int(status)) for status, code in re.findall(r"^\| (\d{3}) \| `(\w+)` \|", doc, re.M)]


class ErrorTable(unittest.TestCase):
    def test_docs_match_code(self):
        code = code_table()
        self.assertGreater(len(code), 30)
        self.assertEqual(doc_table(), code)

    def test_codes_unique(self):
        codes = [c for c, _ in code_table()]
        self.assertEqual(len(codes), len(set(codes)))


if __name__ == "__main__":
    main()
