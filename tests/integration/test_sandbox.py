"""docs/sandbox.md against a real payoutd.

The magic-value table of docs/sandbox.md is parsed, and every row is driven
through the wire API: registration rows must refuse POST /v2/sellers and
POST /v2/sellers/{id} with the documented code (changing nothing), bank-step
rows must end a payout FAILED with the documented code once the merchant's
clock passes the bank step, the slow row must keep a payout IN_PROGRESS for 3
hours. With live keys every row must be an ordinary value. The
TossPayments-Test-Code header must answer each code with its docs/ERRORS.md
status without executing anything, and be ignored with live keys."""
import os
import time
import re
import unittest
import uuid
from datetime import datetime, timedelta

from payoutd_harness import (KST, PINNED_NOW, PINNED_SCHEDULED, PINNED_TODAY, SOURCE_DIR, ServerTestCase,
                             db_snapshot, main)

SANDBOX_DOC = os.path.join(SOURCE_DIR, "docs", "sandbox.md")
ERRORS_DOC = os.path.join(SOURCE_DIR, "docs", "ERRORS.md")
HOLIDAYS = os.path.join(SOURCE_DIR, "data", "holidays-kr.tsv")

SELLER_FIELDS = ("account.accountNumber", "company.businessRegistrationNumber")
PAYOUT_FIELDS = ("amount.value",)
START = 100000000  # test balance of `payoutd merchant create`


# ---- the documents ----------------------------------------------------------

ROW_RE = re.compile(r"^\|\s*`([^`|]+)`\s*\|\s*`([^`|]+)`\s*\|\s*`([^`|]+)`\s*\|\s*$")
OUTCOME_RES = {
    "registration": re.compile(r"^(\d{3}) ([A-Z_]+)$"),
    "bank": re.compile(r"^FAILED ([A-Z_]+)$"),
    "slow": re.compile(r"^COMPLETED after (\d+) hours?$"),
}


def magic_table(text=None):
    """The rows of the `| field | value | outcome |` table, as dicts with the
    parsed outcome: kind registration (status, code), bank (code) or slow
    (hours). Raises AssertionError on a malformed table."""
    if text is None:
        with open(SANDBOX_DOC, encoding="utf-8") as f:
            text = f.read()
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines)
             if re.match(r"^\|\s*field\s*\|\s*value\s*\|\s*outcome\s*\|\s*$", line)]
    if len(heads) != 1:
        raise AssertionError("docs/sandbox.md needs exactly one '| field | value | outcome |' table, found %d"
                             % len(heads))
    i = heads[0] + 1
    if not re.match(r"^\|\s*-+\s*\|\s*-+\s*\|\s*-+\s*\|\s*$", lines[i]):
        raise AssertionError("the magic-value table has no separator line")
    rows = []
    for line in lines[i + 1:]:
        if not line.startswith("|"):
            break
        m = ROW_RE.match(line)
        if not m:
            raise AssertionError("malformed magic-value row (value and outcome must be in backticks): " + line)
        field, value, outcome = (g.strip() for g in m.groups())
        row = {"field": field, "value": value, "outcome": outcome, "line": line}
        for kind, rx in OUTCOME_RES.items():
            om = rx.match(outcome)
            if om:
                row["kind"] = kind
                if kind == "registration":
                    row["status"], row["code"] = int(om.group(1)), om.group(2)
                elif kind == "bank":
                    row["code"] = om.group(1)
                else:
                    row["hours"] = int(om.group(1))
                break
        else:
            raise AssertionError("outcome %r is none of '400 CODE', 'FAILED CODE', 'COMPLETED after N hours'"
                                 % outcome)
        rows.append(row)
    return rows


def error_statuses():
    """code -> HTTP status, from the main table of docs/ERRORS.md."""
    with open(ERRORS_DOC, encoding="utf-8") as f:
        doc = f.read()
    return {code: int(status) for status, code in re.findall(r"^\| (\d{3}) \| `(\w+)` \|", doc, re.M)}


def payout_failure_codes():
    """The codes of the 'Payout failure codes' table of docs/ERRORS.md."""
    with open(ERRORS_DOC, encoding="utf-8") as f:
        doc = f.read()
    part = doc.split("## Payout failure codes", 1)[1]
    return set(re.findall(r"^\| `(\w+)` \|", part, re.M))


def closures():
    days = set()
    with open(HOLIDAYS, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                days.add(line.split("\t", 1)[0].strip())
    return days


def live_scheduled_date():
    """A business day at least two real days ahead (the live clock is real
    time and cannot be moved), or None past the shipped calendar."""
    closed = closures()
    last_year = max(int(d[:4]) for d in closed)
    d = datetime.now(KST).date() + timedelta(days=2)
    while d.weekday() >= 5 or d.isoformat() in closed:
        d += timedelta(days=1)
    return d.isoformat() if d.year <= last_year else None


# ---- request bodies ---------------------------------------------------------

def ref(prefix):
    return prefix + uuid.uuid4().hex[:12]


def corporate(account="12345678990123", brn="1234567890", bank="092"):
    return {"refSellerId": ref("c-"), "businessType": "CORPORATE",
            "company": {"name": "테스트 상호", "representativeName": "김토스",
                        "businessRegistrationNumber": brn, "email": "toss@sample.com", "phone": "01012345678"},
            "account": {"bankCode": bank, "accountNumber": account, "holderName": "김토스"}}


def individual(account="049210482003"):
    return {"refSellerId": ref("i-"), "businessType": "INDIVIDUAL",
            "individual": {"name": "김기원", "email": "noreply@example.com", "phone": "01012345678"},
            "account": {"bankCode": "004", "accountNumber": account, "holderName": "김기원"}}


def seller_body(row, kind="CORPORATE"):
    """A registration body that carries the row's magic value."""
    if row["field"] == "account.accountNumber":
        return individual(row["value"]) if kind == "INDIVIDUAL" else corporate(account=row["value"])
    if row["field"] == "company.businessRegistrationNumber":
        body = corporate(brn=row["value"])
        if kind == "INDIVIDUAL_BUSINESS":
            body["businessType"] = kind
        return body
    raise AssertionError("no seller body for field " + row["field"])


def seller_patch(row):
    section, member = row["field"].split(".")
    return {section: {member: row["value"]}}


def item(dest, amount=5000, schedule="EXPRESS", payout_date=None):
    it = {"refPayoutId": ref("p-"), "destination": dest, "scheduleType": schedule,
          "amount": {"currency": "KRW", "value": amount}, "transactionDescription": "대금지급"}
    if payout_date:
        it["payoutDate"] = payout_date
    return it


def masked(number):
    return number[:3] + "*" * (len(number) - 8) + number[-5:]


# ---- the table itself ---------------------------------------------------------

class MagicTable(unittest.TestCase):
    def test_table_rows_are_well_formed_and_known(self):
        rows = magic_table()
        self.assertGreaterEqual(len(rows), 15)
        statuses = error_statuses()
        failures = payout_failure_codes()
        seen = set()
        for row in rows:
            with self.subTest(row=row["line"]):
                self.assertNotIn((row["field"], row["value"]), seen, "duplicate row")
                seen.add((row["field"], row["value"]))
                if row["kind"] == "registration":
                    self.assertIn(row["field"], SELLER_FIELDS)
                    self.assertIn(row["code"], statuses, "not a code of docs/ERRORS.md")
                    self.assertEqual(statuses[row["code"]], row["status"], "status differs from docs/ERRORS.md")
                else:
                    self.assertIn(row["field"], SELLER_FIELDS + PAYOUT_FIELDS)
                    if row["kind"] == "bank":
                        self.assertIn(row["code"], failures, "not a payout failure code of docs/ERRORS.md")
                    if row["field"] == "account.accountNumber" or row["field"].endswith("Number"):
                        self.assertRegex(row["value"], r"^\d{1,20}$")
                    if row["field"] == "amount.value":
                        self.assertRegex(row["value"], r"^[1-9]\d*$")
        kinds = {r["kind"] for r in rows}
        self.assertEqual(kinds, {"registration", "bank", "slow"})
        # The three bank-failure accounts of the public guide (spec §1.3) are documented.
        bank_accounts = {r["value"] for r in rows if r["kind"] == "bank" and r["field"] == "account.accountNumber"}
        self.assertTrue({"77701777777", "3025353430761", "02004240994312"} <= bank_accounts)

    def test_parser_rejects_malformed_rows(self):
        good = "| field | value | outcome |\n| --- | --- | --- |\n| `amount.value` | `4001` | `FAILED X_Y` |\n"
        self.assertEqual(magic_table(good)[0]["code"], "X_Y")
        with self.assertRaises(AssertionError):
            magic_table(good + "| `amount.value` | 4002 | `FAILED X` |\n")
        with self.assertRaises(AssertionError):
            magic_table(good.replace("`FAILED X_Y`", "`BROKEN`"))
        with self.assertRaises(AssertionError):
            magic_table(good + "\n" + good)


# ---- the server -------------------------------------------------------------

class Sandbox(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rows = magic_table()
        cls.statuses = error_statuses()

    def rows_of(self, kind):
        return [r for r in self.rows if r["kind"] == kind]

    def register(self, keys, body):
        return self.assertEntity(self.server.call("POST", "/v2/sellers", keys, body), "seller", encrypted=True)

    def pay(self, keys, items):
        r = self.server.call("POST", "/v2/payouts", keys, items)
        return self.assertEntity(r, "payout-list", encrypted=True)["items"]

    def get_payout(self, keys, pid):
        return self.assertEntity(self.server.call("GET", "/v2/payouts/" + pid, keys), "payout")

    def available(self, keys):
        body = self.assertEntity(self.server.call("GET", "/v2/balances", keys), "balance")
        return body["availableAmount"]["value"]

    def events(self, mid, env="test"):
        return self.server.admin_ok("GET", "/merchants/%s/webhooks?env=%s&limit=500" % (mid, env))["items"]

    # -- registration and update rows --

    def test_registration_rows_refuse_registration_in_test_mode(self):
        m = self.merchant()
        keys = m["test"]
        rows = self.rows_of("registration")
        self.assertTrue(rows)
        for row in rows:
            kinds = (["INDIVIDUAL", "CORPORATE"] if row["field"] == "account.accountNumber"
                     else ["CORPORATE", "INDIVIDUAL_BUSINESS"])
            for kind in kinds:
                with self.subTest(row=row["line"], businessType=kind):
                    before = db_snapshot(self.server.db)
                    r = self.server.call("POST", "/v2/sellers", keys, seller_body(row, kind))
                    err = self.assertError(r, row["status"], row["code"], encrypted=True)
                    self.assertIn("sandbox", err["message"])
                    self.assertIn(row["value"], err["message"])
                    self.assertEqual(db_snapshot(self.server.db), before, "a refused registration changed the DB")
        # Nothing was registered.
        r = self.server.call("GET", "/v2/sellers?limit=100", keys)
        self.assertEqual(self.assertEntity(r, "seller-list")["items"], [])

    def test_registration_rows_refuse_update_in_test_mode(self):
        m = self.merchant()
        keys = m["test"]
        seller = self.register(keys, corporate())
        for row in self.rows_of("registration"):
            with self.subTest(row=row["line"]):
                before = db_snapshot(self.server.db)
                r = self.server.call("POST", "/v2/sellers/" + seller["id"], keys, seller_patch(row))
                err = self.assertError(r, row["status"], row["code"], encrypted=True)
                self.assertIn("sandbox", err["message"])
                self.assertEqual(db_snapshot(self.server.db), before, "a refused update changed the DB")
                now = self.assertEntity(self.server.call("GET", "/v2/sellers/" + seller["id"], keys), "seller")
                self.assertEqual(now, seller)
        # An ordinary update still works afterwards.
        r = self.server.call("POST", "/v2/sellers/" + seller["id"], keys, {"account": {"accountNumber": "11122233344"}})
        self.assertEqual(self.assertEntity(r, "seller", encrypted=True)["account"]["accountNumber"],
                         masked("11122233344"))

    def test_registration_rows_are_ordinary_values_with_live_keys(self):
        m = self.merchant()
        keys = m["live"]
        for row in self.rows_of("registration"):
            with self.subTest(row=row["line"], op="register"):
                body = seller_body(row, "CORPORATE")
                s = self.register(keys, body)
                self.assertEqual(s["status"], "PARTIALLY_APPROVED")
                self.assertEqual(s["account"]["accountNumber"], masked(body["account"]["accountNumber"]))
                self.assertEqual(s["company"]["businessRegistrationNumber"],
                                 body["company"]["businessRegistrationNumber"])
            with self.subTest(row=row["line"], op="register INDIVIDUAL"):
                if row["field"] == "account.accountNumber":
                    self.assertEqual(self.register(keys, seller_body(row, "INDIVIDUAL"))["status"],
                                     "APPROVAL_REQUIRED")
            with self.subTest(row=row["line"], op="update"):
                s = self.register(keys, corporate())
                r = self.server.call("POST", "/v2/sellers/" + s["id"], keys, seller_patch(row))
                updated = self.assertEntity(r, "seller", encrypted=True)
                if row["field"] == "account.accountNumber":
                    self.assertEqual(updated["account"]["accountNumber"], masked(row["value"]))
                else:
                    self.assertEqual(updated["company"]["businessRegistrationNumber"], row["value"])
        # The test environment of the same merchant still refuses them.
        row = self.rows_of("registration")[0]
        self.assertError(self.server.call("POST", "/v2/sellers", m["test"], seller_body(row)), row["status"],
                         row["code"], encrypted=True)

    def test_format_errors_come_first_in_both_modes(self):
        m = self.merchant()
        for env in ("test", "live"):
            keys = m[env]
            for body, code in ((corporate(brn="999999999"), "INVALID_BUSINESS_NUMBER"),
                               (corporate(brn="99999999911"), "INVALID_BUSINESS_NUMBER"),
                               (corporate(account="9999-0000001"), "INVALID_ACCOUNT_NUMBER"),
                               (corporate(account="999900000011234567890"), "INVALID_ACCOUNT_NUMBER")):
                with self.subTest(env=env, body=body["company"]["businessRegistrationNumber"] + "/" +
                                  body["account"]["accountNumber"]):
                    r = self.server.call("POST", "/v2/sellers", keys, body)
                    err = self.assertError(r, 400, code, encrypted=True)
                    self.assertNotIn("sandbox", err["message"])

    # -- bank-step rows --

    def bank_cases(self, keys):
        """One payable seller per bank-step row (or a plain one for amount
        rows) and the amount to pay; also a control case with neither."""
        cases = []
        plain = self.register(keys, corporate())
        for row in self.rows_of("bank") + self.rows_of("slow"):
            if row["field"] == "account.accountNumber":
                bank = {"77701777777": "295", "3025353430761": "011", "02004240994312": "002"}.get(row["value"], "004")
                seller = self.register(keys, corporate(account=row["value"], bank=bank))
                self.assertEqual(seller["status"], "PARTIALLY_APPROVED")
                cases.append((row, seller, 5000))
            elif row["field"] == "amount.value":
                cases.append((row, plain, int(row["value"])))
            else:
                self.fail("no way to drive a bank-step row on " + row["field"])
        return plain, cases

    def test_bank_step_rows_fail_payouts_in_test_mode(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        srv = self.server
        srv.set_clock(mid, PINNED_NOW)
        plain, cases = self.bank_cases(keys)
        cases = [c for c in cases if c[0]["kind"] == "bank"]
        self.assertTrue(cases)
        control = (None, plain, 4004)  # an amount that is no magic value
        express, scheduled = {}, {}
        total = 0
        for case in cases + [control]:
            row, seller, amount = case
            key = row["line"] if row else "control"
            express[key] = (row, self.pay(keys, [item(seller["id"], amount)])[0])
            scheduled[key] = (row, self.pay(keys, [item(seller["id"], amount, "SCHEDULED", PINNED_SCHEDULED)])[0])
            self.assertEqual(express[key][1]["status"], "IN_PROGRESS")
            self.assertEqual(scheduled[key][1]["status"], "REQUESTED")
            total += 2 * amount
        self.assertEqual(self.available(keys), START - total)
        failed_total = 2 * sum(a for _, _, a in cases)

        def check(payouts, label):
            for key, (row, p) in payouts.items():
                with self.subTest(row=key, schedule=label):
                    now = self.get_payout(keys, p["id"])
                    if row is None:
                        self.assertEqual(now["status"], "COMPLETED")
                        self.assertIsNone(now["error"])
                    else:
                        self.assertEqual(now["status"], "FAILED")
                        self.assertEqual(now["error"]["code"], row["code"])
                        self.assertIsInstance(now["error"]["message"], str)
                        self.assertTrue(now["error"]["message"])
                        self.assertEqual(sorted(now["error"].keys()), ["code", "message"])
                    # Everything else is as accepted.
                    self.assertEqual({k: v for k, v in now.items() if k not in ("status", "error")},
                                     {k: v for k, v in p.items() if k not in ("status", "error")})

        # EXPRESS: the bank step ends 5 minutes after acceptance.
        srv.advance_clock(mid, 240)
        for key, (row, p) in express.items():
            with self.subTest(row=key, at="4 minutes"):
                now = self.get_payout(keys, p["id"])
                self.assertEqual(now["status"], "IN_PROGRESS")
                self.assertIsNone(now["error"])
        srv.advance_clock(mid, 60)
        check(express, "EXPRESS")
        # A failed payout's amount is available again; a completed one's is gone.
        self.assertEqual(self.available(keys), START - total + failed_total // 2)

        # SCHEDULED: starts at 08:00 KST on payoutDate, bank step until 08:05.
        srv.set_clock(mid, PINNED_SCHEDULED + "T08:00:00+09:00")
        for key, (row, p) in scheduled.items():
            with self.subTest(row=key, at="08:00"):
                now = self.get_payout(keys, p["id"])
                self.assertEqual(now["status"], "IN_PROGRESS")
                self.assertIsNone(now["error"])
        srv.advance_clock(mid, 300)
        check(scheduled, "SCHEDULED")
        self.assertEqual(self.available(keys), START - total + failed_total)

        # Each end was announced with payout.changed carrying the same payout.
        announced = {e["body"]["entityBody"]["id"]: e["body"]["entityBody"] for e in self.events(mid)
                     if e["eventType"] == "payout.changed"}
        for payouts in (express, scheduled):
            for key, (row, p) in payouts.items():
                with self.subTest(row=key, check="payout.changed"):
                    self.assertEqual(announced.get(p["id"]), self.get_payout(keys, p["id"]))

    def test_bank_account_row_wins_over_amount_row(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        self.server.set_clock(mid, PINNED_NOW)
        account_rows = [r for r in self.rows_of("bank") if r["field"] == "account.accountNumber"]
        amount_rows = [r for r in self.rows_of("bank") if r["field"] == "amount.value"]
        self.assertTrue(account_rows and amount_rows)
        seller = self.register(keys, corporate(account=account_rows[0]["value"]))
        p = self.pay(keys, [item(seller["id"], int(amount_rows[0]["value"]))])[0]
        self.server.advance_clock(mid, 300)
        now = self.get_payout(keys, p["id"])
        self.assertEqual(now["status"], "FAILED")
        self.assertEqual(now["error"]["code"], account_rows[0]["code"])

    def test_slow_bank_step(self):
        srv = self.server
        rows = self.rows_of("slow")
        self.assertTrue(rows)
        for row in rows:
            with self.subTest(row=row["line"]):
                self.assertEqual(row["field"], "amount.value")
                hours = row["hours"]
                m = self.merchant()
                mid, keys = m["mid"], m["test"]
                seller = self.register(keys, corporate())
                amount = int(row["value"])
                srv.set_clock(mid, PINNED_NOW)
                p = self.pay(keys, [item(seller["id"], amount)])[0]
                q = self.pay(keys, [item(seller["id"], amount, "SCHEDULED", PINNED_SCHEDULED)])[0]
                # EXPRESS: the ordinary 5 minutes are not enough ...
                srv.advance_clock(mid, 300)
                self.assertEqual(self.get_payout(keys, p["id"])["status"], "IN_PROGRESS")
                srv.advance_clock(mid, hours * 3600 - 300 - 60)
                self.assertEqual(self.get_payout(keys, p["id"])["status"], "IN_PROGRESS")
                self.assertEqual(self.events(mid), [])
                # ... it completes after the documented hours.
                srv.advance_clock(mid, 60)
                done = self.get_payout(keys, p["id"])
                self.assertEqual(done["status"], "COMPLETED")
                self.assertIsNone(done["error"])
                # SCHEDULED: the same slow step after 08:00 of payoutDate.
                srv.set_clock(mid, PINNED_SCHEDULED + "T08:05:00+09:00")
                self.assertEqual(self.get_payout(keys, q["id"])["status"], "IN_PROGRESS")
                srv.set_clock(mid, PINNED_SCHEDULED + "T%02d:00:00+09:00" % (8 + hours))
                self.assertEqual(self.get_payout(keys, q["id"])["status"], "COMPLETED")
                self.assertEqual(self.available(keys), START - 2 * amount)

    def test_bank_step_rows_are_ordinary_values_with_live_keys(self):
        # The live clock is real time: a live payout's bank step cannot be
        # brought forward, so this checks what can be seen now: sellers with
        # bank-step accounts register and payable, payouts with bank-step
        # amounts accepted like any other, nothing failed early.
        payout_date = live_scheduled_date()
        if payout_date is None:
            self.skipTest("the real date is past the shipped business-day calendar")
        m = self.merchant()
        mid, keys = m["mid"], m["live"]
        self.assertEqual(self.available(keys), 0)
        self.server.admin_ok("POST", "/merchants/%s/credits" % mid, {"env": "live", "amount": 1000000})
        self.assertEqual(self.available(keys), 1000000)
        plain, cases = self.bank_cases(keys)
        total = 0
        for row, seller, amount in cases:
            with self.subTest(row=row["line"]):
                p = self.pay(keys, [item(seller["id"], amount, "SCHEDULED", payout_date)])[0]
                self.assertEqual(p["status"], "REQUESTED")
                self.assertIsNone(p["error"])
                total += amount
                now = self.get_payout(keys, p["id"])
                self.assertEqual(now["status"], "REQUESTED")
                self.assertIsNone(now["error"])
        self.assertEqual(self.available(keys), 1000000 - total)
        # Moving the sandbox clock does not touch live payouts.
        self.server.advance_clock(mid, 400 * 86400)
        r = self.server.call("GET", "/v2/payouts?limit=100", keys)
        items = self.assertEntity(r, "payout-list")["items"]
        self.assertEqual(len(items), len(cases))
        self.assertEqual({p["status"] for p in items}, {"REQUESTED"})
        self.assertEqual(self.events(mid, "live"), [])

    # -- TossPayments-Test-Code --

    def test_code_header_on_get_answers_every_documented_code(self):
        m = self.merchant()
        keys = m["test"]
        self.assertGreater(len(self.statuses), 30)
        before = db_snapshot(self.server.db)
        for code, status in self.statuses.items():
            with self.subTest(code=code):
                r = self.server.call("GET", "/v2/balances", keys, headers={"TossPayments-Test-Code": code})
                err = self.assertError(r, status, code, encrypted=False)
                self.assertIn("TossPayments-Test-Code", err["message"])
        for path in ("/v2/sellers", "/v2/payouts?limit=5", "/v2/payouts/FPA_01m9c50zmcf4vq43cks487jhbx"):
            with self.subTest(path=path):
                r = self.server.call("GET", path, keys, headers={"TossPayments-Test-Code": "FORBIDDEN_REQUEST"})
                self.assertError(r, 403, "FORBIDDEN_REQUEST", encrypted=False)
                # A GET in ENCRYPTION mode gets the error sealed.
                r = self.server.call("GET", path, keys, encrypted=True,
                                     headers={"TossPayments-Test-Code": "NOT_ENOUGH_AMOUNT"})
                self.assertError(r, 400, "NOT_ENOUGH_AMOUNT", encrypted=True)
        self.assertEqual(self.unchanged_view(db_snapshot(self.server.db)), self.unchanged_view(before))

    @staticmethod
    def unchanged_view(snap):
        # A replay-protection record of a nonce (spec §10 #3) is not an effect
        # of the request; everything else must stay as it was.
        return {t: rows for t, rows in snap.items() if "nonce" not in t}

    def test_code_header_on_encrypted_posts(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        srv = self.server
        srv.set_clock(mid, PINNED_NOW)
        seller = self.register(keys, corporate())
        sched = self.pay(keys, [item(seller["id"], 7000, "SCHEDULED", PINNED_SCHEDULED)])[0]
        idle = self.register(keys, corporate())  # deletable: no unfinished payouts
        before = db_snapshot(srv.db)
        balance = self.available(keys)
        cases = [
            ("POST", "/v2/sellers", corporate(), ["INVALID_REQUEST", "NOT_REGISTERED_BUSINESS", "DUPLICATED_REQUEST"]),
            ("POST", "/v2/sellers/" + seller["id"], {"account": {"accountNumber": "11122233344"}},
             ["ACCOUNT_OWNER_CHECK_FAILED", "NOT_FOUND"]),
            ("POST", "/v2/payouts", [item(seller["id"], 1000)],
             ["NOT_ENOUGH_AMOUNT", "FORBIDDEN_SELLER_PAYOUT", "NOT_AVAILABLE_BANK", "FORBIDDEN_CONSECUTIVE_REQUEST",
              "FAILED_INTERNAL_SYSTEM_PROCESSING", "STORAGE_UNAVAILABLE"]),
        ]
        for method, path, payload, codes in cases:
            for code in codes:
                with self.subTest(path=path, code=code):
                    r = srv.call(method, path, keys, payload, headers={"TossPayments-Test-Code": code})
                    err = self.assertError(r, self.statuses[code], code, encrypted=True)
                    self.assertIn("nothing was executed", err["message"])
        # The bodyless cancel (plain, and in ENCRYPTION mode).
        r = srv.call("POST", "/v2/payouts/%s/cancel" % sched["id"], keys,
                     headers={"TossPayments-Test-Code": "NOT_CANCELABLE_PAYOUT"})
        self.assertError(r, self.statuses["NOT_CANCELABLE_PAYOUT"], "NOT_CANCELABLE_PAYOUT", encrypted=False)
        r = srv.call("POST", "/v2/payouts/%s/cancel" % sched["id"], keys, encrypted=True,
                     headers={"TossPayments-Test-Code": "PAYOUT_NOT_FOUND"})
        self.assertError(r, 404, "PAYOUT_NOT_FOUND", encrypted=True)
        # DELETE (bodyless, plain).
        r = srv.call("DELETE", "/v2/sellers/" + idle["id"], keys, headers={"TossPayments-Test-Code": "NOT_FOUND"})
        self.assertError(r, 404, "NOT_FOUND", encrypted=False)
        # Nothing ran: no seller, no payout, no update, no cancel, no delete, no money moved.
        self.assertEqual(self.unchanged_view(db_snapshot(srv.db)), self.unchanged_view(before))
        self.assertEqual(self.available(keys), balance)
        self.assertEqual(self.get_payout(keys, sched["id"])["status"], "REQUESTED")
        r = srv.call("GET", "/v2/sellers?limit=100", keys)
        self.assertEqual(sorted(s["id"] for s in self.assertEntity(r, "seller-list")["items"]),
                         sorted([seller["id"], idle["id"]]))

    def test_unknown_test_code(self):
        m = self.merchant()
        keys = m["test"]
        before = db_snapshot(self.server.db)
        for code in ("NO_SUCH_CODE", "not_enough_amount", "NONE", "Not_Enough_Amount"):
            with self.subTest(code=code, method="GET"):
                r = self.server.call("GET", "/v2/balances", keys, headers={"TossPayments-Test-Code": code})
                self.assertError(r, 400, "INVALID_TEST_CODE", encrypted=False)
        for code in ("NO_SUCH_CODE", "bank_limit_exceeded"):
            with self.subTest(code=code, method="POST"):
                r = self.server.call("POST", "/v2/sellers", keys, corporate(), headers={"TossPayments-Test-Code": code})
                self.assertError(r, 400, "INVALID_TEST_CODE", encrypted=True)
        self.assertEqual(self.unchanged_view(db_snapshot(self.server.db)), self.unchanged_view(before))

    def test_code_header_ignored_with_live_keys(self):
        m = self.merchant()
        mid, keys = m["mid"], m["live"]
        hdr = {"TossPayments-Test-Code": "NOT_ENOUGH_AMOUNT"}
        r = self.server.call("GET", "/v2/balances", keys, headers=hdr)
        self.assertEqual(self.assertEntity(r, "balance")["availableAmount"]["value"], 0)
        r = self.server.call("GET", "/v2/balances", keys, headers={"TossPayments-Test-Code": "NO_SUCH_CODE"})
        self.assertEntity(r, "balance")
        body = corporate()
        r = self.server.call("POST", "/v2/sellers", keys, body, headers={"TossPayments-Test-Code": "INVALID_REQUEST"})
        seller = self.assertEntity(r, "seller", encrypted=True)
        self.assertEqual(seller["refSellerId"], body["refSellerId"])
        r = self.server.call("GET", "/v2/sellers/" + seller["id"], keys,
                             headers={"TossPayments-Test-Code": "NOT_FOUND"})
        self.assertEqual(self.assertEntity(r, "seller"), seller)
        payout_date = live_scheduled_date()
        if payout_date:
            self.server.admin_ok("POST", "/merchants/%s/credits" % mid, {"env": "live", "amount": 50000})
            r = self.server.call("POST", "/v2/payouts", keys, [item(seller["id"], 10000, "SCHEDULED", payout_date)],
                                 headers=hdr)
            p = self.assertEntity(r, "payout-list", encrypted=True)["items"][0]
            self.assertEqual(p["status"], "REQUESTED")
            r = self.server.call("POST", "/v2/payouts/%s/cancel" % p["id"], keys,
                                 headers={"TossPayments-Test-Code": "NOT_CANCELABLE_PAYOUT"})
            self.assertEqual(self.assertEntity(r, "payout")["status"], "CANCELED")
            self.assertEqual(self.available(keys), 50000)
        # The same header with the merchant's test key is honoured.
        r = self.server.call("GET", "/v2/balances", m["test"], headers=hdr)
        self.assertError(r, 400, "NOT_ENOUGH_AMOUNT")

    # -- the worked example and the calendar of docs/sandbox.md --

    def test_calendar_examples(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        srv = self.server
        seller = self.register(keys, corporate())
        srv.set_clock(mid, PINNED_NOW)
        self.assertError(srv.call("POST", "/v2/payouts", keys, [item(seller["id"], 1000, "SCHEDULED", "2026-12-25")]),
                         400, "NOT_ALLOWED_HOLIDAY", encrypted=True)
        self.assertError(srv.call("POST", "/v2/payouts", keys, [item(seller["id"], 1000, "SCHEDULED", PINNED_TODAY)]),
                         400, "INVALID_PAYABLE_DATE", encrypted=True)
        for when, ok in (("2026-12-09T07:59:00+09:00", False), ("2026-12-09T08:00:00+09:00", True),
                         ("2026-12-09T14:59:00+09:00", True), ("2026-12-09T15:00:00+09:00", False),
                         ("2026-12-12T10:00:00+09:00", False), ("2026-12-25T10:00:00+09:00", False)):
            with self.subTest(when=when):
                srv.set_clock(mid, when)
                r = srv.call("POST", "/v2/payouts", keys, [item(seller["id"], 1000)])
                if ok:
                    self.assertEqual(self.assertEntity(r, "payout-list")["items"][0]["status"], "IN_PROGRESS")
                else:
                    self.assertError(r, 403, "NOT_AVAILABLE_BANK", encrypted=True)

    def test_worked_example(self):
        m = self.merchant()
        mid, keys = m["mid"], m["test"]
        srv = self.server
        clock = srv.set_clock(mid, "2026-12-09T10:00:00+09:00")
        self.assertEqual(clock["now"], "2026-12-09T10:00:00+09:00")
        self.assertEqual(clock["transitions"], 0)
        body = {"refSellerId": ref("bankfail"), "businessType": "CORPORATE",
                "company": {"name": "테스트 상호", "representativeName": "김토스",
                            "businessRegistrationNumber": "1234567890",
                            "email": "toss@sample.com", "phone": "01012345678"},
                "account": {"bankCode": "295", "accountNumber": "77701777777", "holderName": "김토스"}}
        seller = self.register(keys, body)
        self.assertEqual(seller["status"], "PARTIALLY_APPROVED")
        p = self.pay(keys, [{"refPayoutId": ref("pay-"), "destination": seller["id"], "scheduleType": "EXPRESS",
                             "amount": {"currency": "KRW", "value": 5000},
                             "transactionDescription": "대금지급"}])[0]
        self.assertEqual(p["status"], "IN_PROGRESS")
        self.assertEqual(self.available(keys), START - 5000)
        clock = srv.advance_clock(mid, 300)
        self.assertEqual(clock["now"], "2026-12-09T10:05:00+09:00")
        self.assertEqual(clock["transitions"], 1)
        now = self.get_payout(keys, p["id"])
        self.assertEqual(now["status"], "FAILED")
        self.assertEqual(now["error"], {"code": "BANK_TRANSFER_FAILED",
                                        "message": "은행 이체에 실패했습니다. (The bank transfer failed.)"})
        self.assertEqual(self.available(keys), START)
        # the sender marks it NO_ENDPOINT on its next tick (no URL was set)
        deadline = time.time() + 10
        while True:
            events = self.events(mid)
            if events and events[0]["status"] != "PENDING" or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["status"], "NO_ENDPOINT")
        self.assertEqual(events[0]["body"]["entityBody"], now)
        self.assertEqual(events[0]["body"]["createdAt"], "2026-12-09T10:05:00+09:00")


if __name__ == "__main__":
    main()
