"""Graceful shutdown on SIGTERM: payoutd stops accepting connections,
finishes the requests already under way (their commits included), and exits
0; what it answered 200 is on disk after the restart."""
import signal
import socket
import sqlite3
import threading
import time

from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, Server, ServerTestCase, db_connect, main

CORP = {"refSellerId": "sd-corp", "businessType": "CORPORATE",
        "company": {"name": "상호", "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                    "email": "corp@example.com", "phone": "0212345678"},
        "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"}}


class Shutdown(ServerTestCase):
    def test_sigterm_finishes_requests_under_way(self):
        srv = self.server
        m = self.merchant()
        keys = m["test"]
        srv.set_clock(m["mid"], PINNED_NOW)
        seller = self.assertEntity(srv.call("POST", "/v2/sellers", keys, CORP), "seller")["id"]
        item = [{"refPayoutId": "in-flight", "destination": seller, "scheduleType": "SCHEDULED",
                 "payoutDate": PINNED_SCHEDULED, "amount": {"currency": "KRW", "value": 777},
                 "transactionDescription": "정산"}]
        # Hold the database so the payout's commit has to wait.
        lock = sqlite3.connect(srv.db, timeout=0, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        result = {}
        t = threading.Thread(target=lambda: result.update(r=srv.call("POST", "/v2/payouts", keys, item)))
        t.start()
        time.sleep(0.5)  # the request is now waiting for its commit
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # No new connections once shutdown began.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        self.assertIsNone(srv.proc.poll(), "payoutd left before the request finished")
        lock.execute("COMMIT")
        lock.close()
        t.join(timeout=20)
        r = result["r"]
        items = self.assertEntity(r, "payout-list")["items"]
        self.assertEqual(r.headers.get("Connection"), "close")
        self.assertEqual(srv.stop(), 0)  # exited 0 by itself
        con = db_connect(srv.db)
        row = con.execute("SELECT amount FROM payouts WHERE id = ?", (items[0]["id"],)).fetchone()
        con.close()
        self.assertEqual(row, (777,))
        srv.start()
        got = self.assertEntity(srv.call("GET", "/v2/payouts/" + items[0]["id"], keys), "payout")
        self.assertEqual(got["refPayoutId"], "in-flight")

    def test_sigint_idle(self):
        s = Server().start()
        try:
            s.proc.send_signal(signal.SIGINT)
            s.proc.wait(timeout=10)
            self.assertEqual(s.proc.returncode, 0)
        finally:
            s.cleanup()


if __name__ == "__main__":
    main()
