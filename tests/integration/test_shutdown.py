"""Graceful shutdown on SIGTERM: payoutd stops accepting connections,
finishes the requests already under way (their commits included), and exits
0; what it answered 200 is on disk after the restart."""
import base64
import signal
import socket
import sqlite3
import threading
import time

from payoutd_harness import (PINNED_NOW, PINNED_SCHEDULED, Server, ServerTestCase, db_connect, main,
                             seal)

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

    def _waiting_payout(self, srv, keys, ref, idem):
        """Sends a payout over a raw socket while the database is held, so it
        waits for its commit; returns (socket, lock, item)."""
        seller = self.assertEntity(srv.call("POST", "/v2/sellers", keys, dict(CORP, refSellerId=ref)),
                                   "seller")["id"]
        item = [{"refPayoutId": ref, "destination": seller, "scheduleType": "SCHEDULED",
                 "payoutDate": PINNED_SCHEDULED, "amount": {"currency": "KRW", "value": 555},
                 "transactionDescription": "정산"}]
        token = seal(keys["securityKey"], item)
        auth = base64.b64encode((keys["secretKey"] + ":").encode()).decode()
        lock = sqlite3.connect(srv.db, timeout=0, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(("POST /v2/payouts HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
                   "TossPayments-api-security-mode: ENCRYPTION\r\nContent-Type: text/plain\r\n"
                   "Idempotency-Key: %s\r\nContent-Length: %d\r\n\r\n%s"
                   % (auth, idem, len(token), token)).encode())
        time.sleep(0.5)  # the request is now waiting for its commit
        return s, lock, item

    def test_client_leaves_while_its_write_waits(self):
        """The write still commits, the outcome is logged, the key is not left
        'in progress', and a retry replays it (ASan: nothing leaks)."""
        srv = self.server
        m = self.merchant()
        keys = m["test"]
        srv.set_clock(m["mid"], PINNED_NOW)
        s, lock, item = self._waiting_payout(srv, keys, "left-early", "idem-left-early")
        s.close()  # the client gives up
        time.sleep(0.3)
        lock.execute("COMMIT")
        lock.close()
        deadline = time.time() + 10
        while time.time() < deadline and "left-early" not in self._refs(srv):
            time.sleep(0.05)
        self.assertEqual(self._refs(srv).count("left-early"), 1)
        r = srv.call("POST", "/v2/payouts", keys, item, headers={"Idempotency-Key": "idem-left-early"})
        got = self.assertEntity(r, "payout-list")["items"]
        self.assertEqual(r.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self._refs(srv).count("left-early"), 1)
        self.assertEqual(got[0]["refPayoutId"], "left-early")
        self.assertEqual(srv.stop(), 0)
        srv.start()

    def test_shutdown_grace_ends_while_a_write_waits(self):
        """Past --shutdown-grace payoutd still waits for a queued write (it
        commits, and libmicrohttpd cannot stop with the connection suspended),
        then exits 0 (ASan: nothing leaks)."""
        srv = Server(extra_args=["--shutdown-grace", "1"]).start()
        try:
            m = srv.create_merchant()
            keys = m["test"]
            srv.set_clock(m["mid"], PINNED_NOW)
            s, lock, item = self._waiting_payout(srv, keys, "past-grace", "idem-past-grace")
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(2.5)  # the grace period ends with the write still queued
            self.assertIsNone(srv.proc.poll(), "payoutd left (or crashed) with a write queued")
            lock.execute("COMMIT")
            lock.close()
            srv.proc.wait(timeout=20)
            self.assertEqual(srv.proc.returncode, 0, srv.read_log()[-3000:])
            s.close()
            self.assertEqual(self._refs(srv).count("past-grace"), 1)
            self.assertIn("still running after 1 s", srv.read_log())
        finally:
            srv.cleanup()

    def test_new_request_on_a_kept_connection_after_sigterm(self):
        """A request that begins after SIGTERM, on a connection accepted
        before it, is refused with 503 SERVER_SHUTTING_DOWN (Connection:
        close, Retry-After) and starts no work: a write begun then would leave
        a suspended connection behind the shutdown's wait."""
        srv = self.server
        m = self.merchant()
        keys = m["test"]
        srv.set_clock(m["mid"], PINNED_NOW)
        auth = base64.b64encode((keys["secretKey"] + ":").encode()).decode()
        kept = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        kept.sendall(("GET /v2/balances HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n"
                      % auth).encode())
        first = b""
        while b"\r\n\r\n" not in first or not first.rstrip().endswith(b"}"):
            first += kept.recv(65536)
        self.assertTrue(first.startswith(b"HTTP/1.1 200"), first[:200])
        s, lock, item = self._waiting_payout(srv, keys, "before-term", "idem-before-term")
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        token = seal(keys["securityKey"], [dict(item[0], refPayoutId="after-term")])
        kept.sendall(("POST /v2/payouts HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
                      "TossPayments-api-security-mode: ENCRYPTION\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %d\r\n\r\n%s" % (auth, len(token), token)).encode())
        late = self._read_until_closed(kept)
        head, _, body = late.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 503"), late[:300])
        self.assertIn(b"\r\nConnection: close", head)
        self.assertIn(b"\r\nRetry-After: 1", head)
        self.assertIn(b'"SERVER_SHUTTING_DOWN"', body)
        self.assertIsNone(srv.proc.poll(), "payoutd left before the request under way finished")
        lock.execute("COMMIT")
        lock.close()
        srv.proc.wait(timeout=20)
        self.assertEqual(srv.proc.returncode, 0, srv.read_log()[-3000:])
        s.close()
        refs = self._refs(srv)
        self.assertEqual(refs.count("before-term"), 1)
        self.assertNotIn("after-term", refs)
        srv.start()

    def test_stalled_upload_does_not_hold_shutdown(self):
        """A request whose body stops arriving has nothing under way: SIGTERM
        closes it after a second, not after the grace period."""
        srv = Server(extra_args=["--shutdown-grace", "30"]).start()
        try:
            m = srv.create_merchant()
            auth = base64.b64encode((m["test"]["secretKey"] + ":").encode()).decode()
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(("POST /v2/payouts HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
                       "TossPayments-api-security-mode: ENCRYPTION\r\nContent-Type: text/plain\r\n"
                       "Content-Length: 100\r\n\r\nabc" % auth).encode())
            time.sleep(0.3)
            t = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            srv.proc.wait(timeout=15)
            took = time.time() - t
            s.close()
            self.assertEqual(srv.proc.returncode, 0, srv.read_log()[-3000:])
            self.assertLess(took, 5, "shutdown waited %.1f s for a stalled upload" % took)
            self.assertIn("still sending their request", srv.read_log())
        finally:
            srv.cleanup()

    def test_second_signal_stops_waiting(self):
        """A second SIGTERM ends the wait for requests under way at once; a
        queued write still ends (commits) before the exit."""
        srv = Server(extra_args=["--shutdown-grace", "30"]).start()
        try:
            m = srv.create_merchant()
            keys = m["test"]
            srv.set_clock(m["mid"], PINNED_NOW)
            s, lock, item = self._waiting_payout(srv, keys, "two-signals", "idem-two-signals")
            t = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(srv.proc.poll(), "payoutd left with a write queued")
            lock.execute("COMMIT")
            lock.close()
            srv.proc.wait(timeout=15)
            self.assertLess(time.time() - t, 10)
            self.assertEqual(srv.proc.returncode, 0, srv.read_log()[-3000:])
            s.close()
            log = srv.read_log()
            self.assertIn("again, stopping now", log)
            self.assertIn("second signal; 1 request(s) cut off", log)
            self.assertEqual(self._refs(srv).count("two-signals"), 1)
        finally:
            srv.cleanup()

    def test_admin_listener_stops_with_the_api(self):
        """With --admin-listen, SIGTERM closes both listeners at once and they
        share one grace period: the admin port takes no new connection while
        the API waits for a request under way."""
        srv = Server(extra_args=["--shutdown-grace", "30", "--admin-listen", "127.0.0.1:0"]).start()
        try:
            self.assertIsNotNone(srv.admin_port)
            m = srv.create_merchant()
            keys = m["test"]
            srv.set_clock(m["mid"], PINNED_NOW)
            kept = socket.create_connection(("127.0.0.1", srv.admin_port), timeout=10)
            s, lock, item = self._waiting_payout(srv, keys, "admin-too", "idem-admin-too")
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(srv.proc.poll(), "payoutd left with a write queued")
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", srv.admin_port), timeout=5).close()
            # a request on an admin connection accepted before the signal
            kept.sendall(("GET /admin/v1/merchants/%s HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer %s\r\n\r\n" % (m["mid"], srv.admin_token)).encode())
            late = self._read_until_closed(kept)
            self.assertTrue(late.startswith(b"HTTP/1.1 503"), late[:300])
            self.assertIn(b'"SERVER_SHUTTING_DOWN"', late)
            lock.execute("COMMIT")
            lock.close()
            srv.proc.wait(timeout=15)
            self.assertEqual(srv.proc.returncode, 0, srv.read_log()[-3000:])
            s.close()
            self.assertEqual(self._refs(srv).count("admin-too"), 1)
        finally:
            srv.cleanup()

    @staticmethod
    def _read_until_closed(sock):
        """Everything the server sends until it closes the connection; closes it."""
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.close()
        return data

    @staticmethod
    def _refs(srv):
        con = db_connect(srv.db)
        try:
            return [r[0] for r in con.execute("SELECT ref_payout_id FROM payouts")]
        finally:
            con.close()

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
