"""Concurrent payouts against a balance that covers only some of them:
exactly the covered number succeed, nothing goes negative, the ledger
balances and the reserved money equals the accepted payouts."""
from concurrent.futures import ThreadPoolExecutor

from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, db_connect, ledger_problems, main

CORP = {"refSellerId": "conc-corp", "businessType": "CORPORATE",
        "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                    "email": "corp@example.com", "phone": "0212345678"},
        "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"}}


class Concurrency(ServerTestCase):
    server_args = ["--threads", "8"]

    def run_race(self, balance, requests, workers):
        m = self.merchant(test_balance=balance)
        keys = m["test"]
        self.server.set_clock(m["mid"], PINNED_NOW)
        r = self.server.call("POST", "/v2/sellers", keys, CORP)
        seller = self.assertEntity(r, "seller")["id"]
        date = PINNED_SCHEDULED

        def send(batch):
            items = [{"refPayoutId": ref, "destination": seller, "scheduleType": "SCHEDULED", "payoutDate": date,
                      "amount": {"currency": "KRW", "value": amount}, "transactionDescription": "정산"}
                     for ref, amount in batch]
            return self.server.call("POST", "/v2/payouts", keys, items)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(send, requests))
        ok = [r for r in results if r.status == 200]
        refused = [r for r in results if r.status != 200]
        for r in refused:
            self.assertError(r, 400, "NOT_ENOUGH_AMOUNT", encrypted=True)
        available = self.assertEntity(self.server.call("GET", "/v2/balances", keys), "balance")
        return m, ok, refused, available["availableAmount"]["value"]

    def test_single_item_race(self):
        # 60 requests of 10,000 against 200,000: exactly 20 can be paid.
        reqs = [[("r%02d" % i, 10000)] for i in range(60)]
        m, ok, refused, available = self.run_race(200000, reqs, workers=30)
        self.assertEqual(len(ok), 20)
        self.assertEqual(len(refused), 40)
        self.assertEqual(available, 0.0)
        con = db_connect(self.server.db)
        n, total = con.execute("SELECT count(*), sum(p.amount) FROM payouts p JOIN merchants m ON "
                               "m.id=p.merchant_id WHERE m.mid=?", (m["mid"],)).fetchone()
        con.close()
        self.assertEqual((n, total), (20, 200000))
        self.assertEqual(ledger_problems(self.server.db), [])

    def test_batch_race(self):
        # 30 batches of three items (3,000 each) against 50,000: 5 whole
        # batches fit (45,000); no batch is ever half paid.
        reqs = [[("b%02d-%d" % (i, k), 3000) for k in range(3)] for i in range(30)]
        m, ok, refused, available = self.run_race(50000, reqs, workers=15)
        self.assertEqual(len(ok), 5)
        self.assertEqual(available, 5000.0)
        for r in ok:
            self.assertEqual(len(r.json["entityBody"]["items"]), 3)
        con = db_connect(self.server.db)
        refs = [row[0] for row in con.execute(
            "SELECT ref_payout_id FROM payouts p JOIN merchants m ON m.id=p.merchant_id WHERE m.mid=?",
            (m["mid"],))]
        con.close()
        self.assertEqual(len(refs), 15)
        batches = {ref.split("-")[0] for ref in refs}
        self.assertEqual(len(batches), 5)


if __name__ == "__main__":
    main()
