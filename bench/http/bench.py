#!/usr/bin/python3
"""The HTTP benchmarks of payoutd against this machine's ceilings.

Run through bench/http/run (which builds everything); figures and ratios go
to stdout, and a JSON copy to $BENCH_OUT (default bench/results-http.json).

Every server benchmark runs payoutd as shipped, rate limits off
(--no-rate-limits) and everything else on: Basic auth, ENCRYPTION mode (each
request opened, each answer sealed), iat and nonce checks, idempotency keys,
and durable commits (WAL, synchronous=FULL) on the same disk as the SQLite
reference. wrk and the servers share this machine's cores.
"""
import base64
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "lib"))

import payoutd_harness as h  # noqa: E402  (needs PAYOUTD_BIN from the run script)

TOOLS = os.environ["BENCH_TOOLS"]  # gen_tokens, sqlite_commit
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
QUICK = os.environ.get("BENCH_QUICK") == "1"  # a smoke run: fewer rows, shorter runs
LIST_BIG = 20_000 if QUICK else 1_000_000
results = {}


def log(msg):
    print(msg, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def wrk(url, threads, conns, seconds, script, args=(), headers=()):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--timeout", "10s",
           "-s", os.path.join(HERE, script)]
    for hdr in headers:
        cmd += ["-H", hdr]
    cmd.append(url)
    if args:
        cmd += ["--"] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    fig = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            for pair in line.split()[1:]:
                k, v = pair.split("=")
                fig[k] = int(v)
    fig["rps"] = fig["requests"] / (fig["duration_us"] / 1e6)
    if fig["non200"] or fig["exhausted"] or fig["errors"]:
        raise SystemExit("bench: %s answered %d non-200, ran out of tokens %d times, %d socket "
                         "errors; the figures would be wrong:\n%s"
                         % (url, fig["non200"], fig["exhausted"], fig["errors"], out))
    return fig


def basic(secret):
    return base64.b64encode((secret + ":").encode()).decode()


class Bench:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="payoutd-bench-", dir="/var/tmp")
        self.srv = None

    def start_server(self, extra=()):
        args = ["--max-connections-per-ip", "4000", "--max-connections", "4000",
                "--timeout", "120"] + list(extra)
        self.srv = h.Server(workdir=self.work, extra_args=args).start()
        return self.srv

    def setup_merchant(self):
        """A merchant with one APPROVED seller; makes it the current one."""
        m = self.srv.create_merchant(test_balance=1_000_000_000_000)
        self.keys, self.mid = m["test"], m["mid"]
        self.auth = basic(self.keys["secretKey"])
        r = self.srv.call("POST", "/v2/sellers", self.keys, {
            "refSellerId": "bench-seller", "businessType": "CORPORATE",
            "company": {"name": "벤치상사", "representativeName": "김벤치",
                        "businessRegistrationNumber": "1234567890", "email": "bench@example.com",
                        "phone": "01012345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678990123",
                        "holderName": "김벤치"}})
        assert r.status == 200, r
        self.seller = r.json["entityBody"]["id"]
        self.srv.admin_ok("POST", "/merchants/%s/sellers/%s/approve-kyc" % (self.mid, self.seller))
        self.date = self.next_business_day()

    def next_business_day(self):
        day = datetime.datetime.now(h.KST).date()
        for _ in range(30):
            day += datetime.timedelta(days=1)
            r = self.srv.call("POST", "/v2/payouts", self.keys, [{
                "refPayoutId": "probe-%s" % day, "destination": self.seller,
                "scheduleType": "SCHEDULED", "payoutDate": day.isoformat(),
                "amount": {"currency": "KRW", "value": 1000}, "transactionDescription": "probe"}])
            if r.status == 200:
                return day.isoformat()
        raise SystemExit("bench: no business day accepted in the next 30 days")

    def tokens(self, items, count, prefix):
        path = os.path.join(self.work, "tokens-%s.txt" % prefix)
        with open(path, "w") as out:
            subprocess.run([os.path.join(TOOLS, "gen_tokens"), self.keys["securityKey"], self.seller,
                            self.date, str(items), str(count), prefix], stdout=out, check=True)
        return path

    def post(self, threads, conns, seconds, items=1, expect_rps=20000, prefix=None):
        count = int(expect_rps * seconds * 1.5) + 1000  # requests, whatever their size
        prefix = prefix or "p%d-%d" % (items, int(time.time() * 1000))
        path = self.tokens(items, count, prefix)
        try:
            return wrk(self.srv.base + "/v2/payouts", threads, conns, seconds, "post.lua",
                       (path, self.auth, str(threads)))
        finally:
            os.unlink(path)

    def get(self, path, threads, conns, seconds, base=None):
        return wrk((base or self.srv.base) + path, threads, conns, seconds, "get.lua",
                   headers=("Authorization: Basic " + self.auth,
                            "TossPayments-api-security-mode: ENCRYPTION"))

    def rss_peak_kib(self):
        with open("/proc/%d/status" % self.srv.proc.pid) as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))

    def stop(self):
        if self.srv:
            self.srv.stop()
            self.srv = None


def nginx_start(work, body_len, access_log):
    root = os.path.join(work, "nginx-root")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "balances"), "wb") as f:
        f.write(b"x" * body_len)
    # nginx's workers run as an unprivileged user: let them reach the file.
    os.chmod(work, 0o711)
    os.chmod(root, 0o755)
    os.chmod(os.path.join(root, "balances"), 0o644)
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off;
worker_processes auto;
pid %(w)s/nginx.pid;
error_log %(w)s/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log %(log)s;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:%(port)d;
    location / { root %(root)s; default_type text/plain; }
  }
}
""" % {"w": work, "port": port, "root": root,
       "log": os.path.join(work, "nginx-access.log") if access_log else "off"})
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", work])
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, "http://127.0.0.1:%d" % port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("bench: nginx did not start")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ratio_line(name, value, unit, ref_name=None, ref=None, goal=None, higher=True):
    entry = {"value": round(value, 2), "unit": unit}
    text = "%-52s %12.1f %-8s" % (name, value, unit)
    if ref is not None:
        ratio = value / ref
        entry.update(reference=ref_name, reference_value=round(ref, 2), ratio=round(ratio, 3))
        text += "  %s %.1f  ratio %.2f" % (ref_name, ref, ratio)
    if goal is not None:
        got = entry.get("ratio", value)
        ok = got >= goal if higher else got <= goal
        entry.update(goal=("≥ " if higher else "≤ ") + str(goal), met=ok)
        text += "  goal %s %s  %s" % ("≥" if higher else "≤", goal, "PASS" if ok else "MISS")
    results[name] = entry
    log(text)


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "3"))


def best(figs):
    """The round with the most requests per second (the least disturbed)."""
    return max(figs, key=lambda f: f["rps"])


def bench_balances(b):
    r = b.srv.call("GET", "/v2/balances", b.keys, encrypted=True)
    assert r.status == 200, r
    body_len = len(r.raw)
    ours, refs = [], {True: [], False: []}
    for _ in range(ROUNDS):  # interleaved, so a disturbance hits every side alike
        ours.append(b.get("/v2/balances", 2, 64, DURATION))
        for access_log in (True, False):
            proc, base = nginx_start(b.work, body_len, access_log)
            try:
                refs[access_log].append(b.get("/balances", 2, 64, DURATION, base=base))
            finally:
                proc.send_signal(signal.SIGQUIT)
                proc.wait(timeout=20)
    mine = best(ours)
    log("GET /v2/balances: sealed answer of %d bytes; best of %d rounds; p50 %d µs, p99 %d µs"
        % (body_len, ROUNDS, mine["p50_us"], mine["p99_us"]))
    ratio_line("GET /v2/balances, wrk -t2 -c64 (req/s)", mine["rps"], "req/s",
               "nginx(log)", best(refs[True])["rps"], 0.6)
    ratio_line("  the same vs nginx with access_log off", mine["rps"], "req/s",
               "nginx(nolog)", best(refs[False])["rps"], 0.6)


def sqlite_reference(b):
    db = os.path.join(b.work, "reference.db")
    out = subprocess.run([os.path.join(TOOLS, "sqlite_commit"), db, str(min(DURATION, 8))],
                         capture_output=True, text=True, check=True).stdout
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    ref = dict(kv.split("=") for kv in out.split()[1:])
    return {"rps": float(ref["rate"]), "p50_us": float(ref["p50_us"]),
            "p99_us": float(ref["p99_us"])}


def bench_post(b):
    b.post(2, 64, 2, prefix="warm")  # warm caches and the WAL
    refs, figs = [], []
    for _ in range(ROUNDS):
        refs.append(sqlite_reference(b))
        figs.append(b.post(2, 64, DURATION))
    ref, fig = best(refs), best(figs)
    log("SQLite WAL synchronous=FULL, one 400-byte row per commit: %.0f commits/s, "
        "p50 %.0f µs, p99 %.0f µs (best of %d)" % (ref["rps"], ref["p50_us"], ref["p99_us"], ROUNDS))
    ratio_line("POST /v2/payouts 1 item, wrk -t2 -c64 (req/s)", fig["rps"], "req/s",
               "sqlite-commit", ref["rps"], 4)
    ratio_line("  p99 latency", fig["p99_us"] / 1000, "ms", goal=20, higher=False)
    log("  latency p50 %.2f ms, p90 %.2f ms, p99.9 %.2f ms"
        % (fig["p50_us"] / 1000, fig["p90_us"] / 1000, fig["p99.9_us"] / 1000))
    one = b.post(1, 1, min(DURATION, 6), expect_rps=4000)
    ratio_line("POST /v2/payouts 1 item, one connection: p50", one["p50_us"] / 1000, "ms",
               goal=1, higher=False)
    log("  one connection: %.0f req/s, p99 %.2f ms" % (one["rps"], one["p99_us"] / 1000))


def bench_batches(b):
    per_item = {}
    for items in (1, 10, 100):
        fig = b.post(2, 16, min(DURATION, 6), items=items, expect_rps=30000 // items + 500)
        per_item[items] = 1e6 / (fig["rps"] * items)
        log("POST /v2/payouts %3d items, wrk -t2 -c16: %7.0f req/s = %8.0f items/s, "
            "%6.1f µs per item, p99 %.1f ms"
            % (items, fig["rps"], fig["rps"] * items, per_item[items], fig["p99_us"] / 1000))
        results["batch %d items: µs per item" % items] = {"value": round(per_item[items], 2),
                                                          "unit": "µs/item"}
    flat = per_item[10] <= per_item[1] * 1.1 and per_item[100] <= per_item[10] * 1.1
    results["batch cost per item flat or falling"] = {"met": flat}
    log("batch cost per item 1 → 10 → 100: %.1f → %.1f → %.1f µs  %s"
        % (per_item[1], per_item[10], per_item[100], "PASS" if flat else "MISS"))


def fill(b, total):
    """Stores payouts in b's scope until it holds `total` (batches of 100 over wrk)."""
    have = count_payouts(b)
    need = total - have
    if need <= 0:
        return
    requests = (need + 99) // 100
    # Chunks of at most 2000 requests, sealed just before they are sent, so
    # every iat stays inside the server's ±10 minute window.
    for start in range(0, requests, 2000):
        chunk = min(2000, requests - start)
        path = b.tokens(100, chunk, "fill%d-%d-%d" % (total, start, int(time.time())))
        with open(path) as f:
            lines = [line.split() for line in f]
        os.unlink(path)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for status in pool.map(lambda i: send_payouts(b, lines[i::8]), range(8)):
                if status != 200:
                    raise SystemExit("bench: filling got HTTP %d" % status)
    got = count_payouts(b)
    if got < total:
        raise SystemExit("bench: filling stopped at %d payouts of %d" % (got, total))


def send_payouts(b, lines):
    """Sends sealed payout requests over one keep-alive connection; returns
    200, or the first other status."""
    con = http.client.HTTPConnection("127.0.0.1", b.srv.port, timeout=60)
    try:
        for idem, token in lines:
            con.request("POST", "/v2/payouts", token, {
                "Authorization": "Basic " + b.auth, "Idempotency-Key": idem,
                "TossPayments-api-security-mode": "ENCRYPTION", "Content-Type": "text/plain"})
            r = con.getresponse()
            r.read()
            if r.status != 200:
                return r.status
        return 200
    finally:
        con.close()


def count_payouts(b):
    """Payouts stored for the current merchant (both environments)."""
    with h.db_connect(b.srv.db) as con:
        return con.execute("SELECT count(*) FROM payouts WHERE merchant_id = "
                           "(SELECT id FROM merchants WHERE mid = ?)", (b.mid,)).fetchone()[0]


def bench_list(b):
    b.setup_merchant()  # a merchant of its own, so "10k" is exactly 10k
    fill(b, 10_000)
    small = b.get("/v2/payouts?limit=100", 2, 16, min(DURATION, 6))
    t0 = time.time()
    fill(b, LIST_BIG)
    log("  (stored %d payouts in %.0f s)" % (LIST_BIG, time.time() - t0))
    big = b.get("/v2/payouts?limit=100", 2, 16, min(DURATION, 6))
    log("GET /v2/payouts?limit=100, wrk -t2 -c16: 10k rows %.0f req/s p99 %.2f ms; "
        "%d rows %.0f req/s p99 %.2f ms"
        % (small["rps"], small["p99_us"] / 1000, LIST_BIG, big["rps"], big["p99_us"] / 1000))
    ratio_line("GET /v2/payouts?limit=100 p99, %dk vs 10k rows" % (LIST_BIG // 1000),
               big["p99_us"] / 1000, "ms", "10k rows", small["p99_us"] / 1000, 1.5, higher=False)


def idle_connections(b, n):
    socks = []
    req = ("GET /v2/balances HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
           "TossPayments-api-security-mode: ENCRYPTION\r\n\r\n" % b.auth).encode()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", b.srv.port))
        s.sendall(req)
        socks.append(s)
    for s in socks:  # each answered once, then left idle with keep-alive
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, rest = data.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(rest) < length:
            rest += s.recv(65536)
    return socks


def still_open(socks):
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""  # data would be a protocol error; EOF = closed
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    return alive


def bench_rss(b):
    b.stop()
    b.start_server()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 8192), max(hard, 8192)))
    socks = idle_connections(b, 1000)
    fig = b.post(2, 64, DURATION)
    alive = still_open(socks)
    peak = b.rss_peak_kib() / 1024
    for s in socks:
        s.close()
    log("1000 idle keep-alive connections (%d still open after the load) + POST load "
        "(%.0f req/s, p99 %.1f ms)" % (alive, fig["rps"], fig["p99_us"] / 1000))
    if alive != 1000:
        raise SystemExit("bench: the server dropped idle connections during the run")
    ratio_line("peak RSS, 1000 idle + POST load", peak, "MiB", goal=64, higher=False)


def main():
    b = Bench()
    log("payoutd HTTP benchmarks — %s, %d cores, load average %s at start"
        % (datetime.datetime.now().isoformat(timespec="seconds"), os.cpu_count(), loadavg()))
    try:
        b.start_server()
        b.setup_merchant()
        bench_balances(b)
        bench_post(b)
        bench_batches(b)
        bench_list(b)
        bench_rss(b)
    finally:
        b.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(b.work, ignore_errors=True)
    log("load average at end %s" % loadavg())
    out = os.environ.get("BENCH_OUT", os.path.join(SOURCE, "bench", "results-http.json"))
    with open(out, "w") as f:
        json.dump({"when": datetime.datetime.now().isoformat(timespec="seconds"),
                   "seconds": DURATION, "results": results}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
