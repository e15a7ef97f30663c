"""The libpayout reference (docs/libpayout/, STYLE: one page per public
function, as curl does) stays true to include/payout/*.h: every declared
function has a page, every page documents functions that exist, each page's
synopsis is the header's declaration, each page has every section, the
examples compile against the headers, links resolve, and the index
(scripts/gen-reference) is current. A new public function without a page
fails here."""
import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get("PAY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = os.path.join(SOURCE_DIR, "include", "payout")
DOCS = os.path.join(SOURCE_DIR, "docs", "libpayout")
CC = os.environ.get("CC", "cc")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wshadow", "-Wformat=2", "-Wstrict-prototypes",
          "-Wmissing-prototypes", "-Wvla", "-Werror", "-fsyntax-only"]


def load_gen_reference():
    path = os.path.join(SOURCE_DIR, "scripts", "gen-reference")
    loader = importlib.machinery.SourceFileLoader("gen_reference", path)
    spec = importlib.util.spec_from_loader("gen_reference", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


ref = load_gen_reference()


class ReferenceDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.funcs = ref.header_functions(INCLUDE)
        cls.pages = ref.pages(DOCS)
        cls.documented = {fn: p for p in cls.pages for fn in p.functions}

    def test_parser_finds_every_declaration(self):
        """An independent, cruder reading of the headers finds the same
        functions, so a declaration the parser misses cannot slip by."""
        crude = set()
        for name in os.listdir(INCLUDE):
            if name.endswith(".h"):
                with open(os.path.join(INCLUDE, name), encoding="utf-8") as f:
                    text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
                crude |= set(re.findall(r"(?m)^(?:PAY_API\s+)?(?:const\s+)?\w+\s*\**\s*(pay_\w+)\(", text))
        self.assertEqual(set(self.funcs), crude)
        self.assertGreaterEqual(len(self.funcs), 48)

    def test_every_public_function_has_a_page(self):
        missing = ["%s (include/payout/%s)" % (fn, self.funcs[fn][0])
                   for fn in sorted(self.funcs) if fn not in self.documented]
        self.assertEqual(missing, [], "undocumented: write docs/libpayout/<function>.md "
                                      "(scripts/gen-reference --new NAME starts one)")

    def test_every_page_names_functions_that_exist(self):
        for p in self.pages:
            with self.subTest(page=p.stem):
                self.assertTrue(p.functions, "the Synopsis declares no function")
                self.assertEqual(p.stem, p.functions[0], "a page is named after its first function")
                self.assertEqual(p.title, p.stem)
                for fn in p.functions:
                    self.assertIn(fn, self.funcs, "%s is not declared in include/payout/" % fn)
                    self.assertIn("**%s**" % fn, p.summary, "the summary line names %s" % fn)
        counts = {}
        for p in self.pages:
            for fn in p.functions:
                counts.setdefault(fn, []).append(p.stem)
        self.assertEqual({fn: ps for fn, ps in counts.items() if len(ps) > 1}, {}, "one page per function")

    def test_synopsis_matches_the_header(self):
        for p in self.pages:
            for fn in p.functions:
                if fn not in self.funcs:
                    continue
                header, decl = self.funcs[fn]
                with self.subTest(function=fn):
                    self.assertEqual(ref.normalize(p.declared[fn]), ref.normalize(decl))
                    self.assertIn("payout/" + header, p.includes)

    def test_every_page_has_every_section(self):
        for p in self.pages:
            with self.subTest(page=p.stem):
                for section in ref.SECTIONS:
                    self.assertTrue(p.sections.get(section, "").strip(), "no '## %s'" % section)
                self.assertTrue(p.examples, "no ```c example")
                self.assertNotIn("TODO", p.text)

    def test_examples_compile(self):
        tmp = tempfile.mkdtemp(prefix="refdocs-")
        try:
            for p in self.pages:
                for i, code in enumerate(p.examples):
                    src = os.path.join(tmp, "%s_%d.c" % (p.stem, i))
                    with open(src, "w", encoding="utf-8") as f:
                        f.write(code)
                    r = subprocess.run([CC] + CFLAGS + ["-I", os.path.join(SOURCE_DIR, "include"), src],
                                       capture_output=True, text=True)
                    with self.subTest(page=p.stem, example=i):
                        self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_links_resolve(self):
        for p in self.pages + [ref.Page(ref.INDEX)]:
            for target in re.findall(r"\]\(([^)#]+\.md)\)", p.text):
                with self.subTest(page=p.stem, link=target):
                    self.assertTrue(os.path.exists(os.path.join(DOCS, target)))

    def test_index_is_current(self):
        with open(os.path.join(DOCS, "README.md"), encoding="utf-8") as f:
            self.assertEqual(f.read(), ref.index_text(INCLUDE, DOCS), "run scripts/gen-reference")
        for p in self.pages:
            self.assertIn("(%s.md)" % p.stem, ref.index_text(INCLUDE, DOCS))

    def test_checker_catches_an_undocumented_function_and_a_stale_page(self):
        """The checks themselves: a header gaining a function, and a page for
        a function that is gone, are both reported."""
        tmp = tempfile.mkdtemp(prefix="refdocs-")
        try:
            inc, docs = os.path.join(tmp, "include"), os.path.join(tmp, "docs")
            shutil.copytree(INCLUDE, inc)
            shutil.copytree(DOCS, docs)
            self.assertEqual(ref.problems(inc, docs), [])
            with open(os.path.join(inc, "error.h"), "a", encoding="utf-8") as f:
                f.write("\nPAY_API int pay_brand_new(const char *x);\n")
            with open(os.path.join(DOCS, "pay_uuid_v4.md"), encoding="utf-8") as f:
                page = f.read().replace("pay_uuid_v4", "pay_gone")
            with open(os.path.join(docs, "pay_gone.md"), "w", encoding="utf-8") as f:
                f.write(page)
            found = "\n".join(ref.problems(inc, docs))
            self.assertIn("pay_brand_new (include/payout/error.h) has no page", found)
            self.assertIn("pay_gone is not declared", found)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_gen_reference_check_passes(self):
        r = subprocess.run(["/usr/bin/python3", "-B", os.path.join(SOURCE_DIR, "scripts", "gen-reference"),
                            "--check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
