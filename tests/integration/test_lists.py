"""GET /v2/sellers and GET /v2/payouts (spec §4.3, §4.8, §6.1, §10 #9/#10/#18):
oldest-first order, the limit rules, cursor paging with startingAfter and
lastCursor, the payoutDate filters, refused query parameters, deleted
sellers, sealed lists, and isolation between merchants and environments."""
import urllib.parse

from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, PINNED_TODAY, ServerTestCase, main, next_weekday

UNKNOWN_SELLER = "seller_" + "0" * 26
UNKNOWN_PAYOUT = "FPA_" + "0" * 26


def corp(ref):
    return {"refSellerId": ref, "businessType": "CORPORATE",
            "company": {"name": "상호 " + ref, "representativeName": "대표", "businessRegistrationNumber": "1234567890",
                        "email": "corp@example.com", "phone": "0212345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678901", "holderName": "상호"},
            "metadata": {"ref": ref}}


def item(ref, dest, value=1000, kind="SCHEDULED", day=PINNED_SCHEDULED):
    it = {"refPayoutId": ref, "destination": dest, "scheduleType": kind,
          "amount": {"currency": "KRW", "value": value}, "transactionDescription": "정산"}
    if kind == "SCHEDULED":
        it["payoutDate"] = day
    return it


def qs(**params):
    return "?" + urllib.parse.urlencode(params) if params else ""


class Lists(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        srv = cls.server
        # merchant A: 25 sellers and 25 payouts in the test environment
        cls.m = srv.create_merchant()
        cls.keys = cls.m["test"]
        srv.set_clock(cls.m["mid"], PINNED_NOW)
        cls.seller_ids = [cls.register(cls.keys, corp("ls-%02d" % i))["id"] for i in range(25)]
        r = srv.call("POST", "/v2/payouts", cls.keys,
                     [item("lp-%02d" % i, cls.seller_ids[i % 3], 1000 + i) for i in range(25)])
        assert r.status == 200, r
        cls.payouts = r.json["entityBody"]["items"]
        cls.payout_ids = [p["id"] for p in cls.payouts]

        # merchant B on the same server, same refs
        cls.other = srv.create_merchant()
        srv.set_clock(cls.other["mid"], PINNED_NOW)
        cls.other_seller = cls.register(cls.other["test"], corp("ls-00"))["id"]
        r = srv.call("POST", "/v2/payouts", cls.other["test"], [item("lp-00", cls.other_seller)])
        assert r.status == 200, r
        cls.other_payout = r.json["entityBody"]["items"][0]["id"]

        # merchant A's live environment: funded by the operator, real clock
        srv.admin_ok("POST", "/merchants/%s/credits" % cls.m["mid"], {"env": "live", "amount": 100000})
        cls.live_seller = cls.register(cls.m["live"], corp("ls-00"))["id"]
        cls.live_payout = None
        for weeks in range(0, 8):  # the first Wednesday that is a business day
            day = next_weekday(7 + 7 * weeks)
            r = srv.call("POST", "/v2/payouts", cls.m["live"], [item("lp-live-%d" % weeks, cls.live_seller, day=day)])
            if r.status == 200:
                cls.live_payout = r.json["entityBody"]["items"][0]["id"]
                break
        assert cls.live_payout, r

    @classmethod
    def register(cls, keys, body):
        r = cls.server.call("POST", "/v2/sellers", keys, body)
        assert r.status == 200, r
        return r.json["entityBody"]

    # ---- helpers ------------------------------------------------------------

    def get(self, path, keys=None, encrypted=False, **params):
        return self.server.call("GET", path + qs(**params), keys or self.keys, encrypted=encrypted)

    def page(self, path, entity, keys=None, **params):
        body = self.assertEntity(self.get(path, keys, **params), entity, encrypted=False)
        self.assertEqual(set(body.keys()), {"hasNext", "lastCursor", "items"})
        self.assertIsInstance(body["hasNext"], bool)
        if body["items"]:
            self.assertEqual(body["lastCursor"], body["items"][-1]["id"])
        else:
            self.assertIsNone(body["lastCursor"])
        return body

    def walk(self, path, entity, limit, **params):
        """Pages through a list; returns (ids, [hasNext of each page], [page sizes])."""
        ids, flags, sizes, cursor = [], [], [], None
        for _ in range(100):
            p = dict(params, limit=limit)
            if cursor:
                p["startingAfter"] = cursor
            body = self.page(path, entity, **p)
            ids += [x["id"] for x in body["items"]]
            flags.append(body["hasNext"])
            sizes.append(len(body["items"]))
            cursor = body["lastCursor"]
            if not body["hasNext"]:
                return ids, flags, sizes
        self.fail("paging did not end")

    LISTS = (("/v2/sellers", "seller-list", "seller_ids"), ("/v2/payouts", "payout-list", "payout_ids"))

    # ---- order, limit, paging ------------------------------------------------

    def test_paging_gives_every_item_once_in_order(self):
        for path, entity, attr in self.LISTS:
            with self.subTest(path=path):
                ids, flags, sizes = self.walk(path, entity, 10)
                self.assertEqual(ids, getattr(self, attr))  # oldest first, each exactly once
                self.assertEqual(flags, [True, True, False])
                self.assertEqual(sizes, [10, 10, 5])

    def test_default_limit_is_10(self):
        for path, entity, attr in self.LISTS:
            with self.subTest(path=path):
                body = self.page(path, entity)
                self.assertEqual([x["id"] for x in body["items"]], getattr(self, attr)[:10])
                self.assertTrue(body["hasNext"])
                self.assertEqual(body["lastCursor"], getattr(self, attr)[9])

    def test_limit_bounds_and_has_next(self):
        for path, entity, attr in self.LISTS:
            all_ids = getattr(self, attr)
            for limit, n, has_next in ((1, 1, True), (24, 24, True), (25, 25, False), (26, 25, False),
                                       (10000, 25, False), ("0010", 10, True)):
                with self.subTest(path=path, limit=limit):
                    body = self.page(path, entity, limit=limit)
                    self.assertEqual([x["id"] for x in body["items"]], all_ids[:n])
                    self.assertIs(body["hasNext"], has_next)

    def test_last_page_and_empty_page(self):
        for path, entity, attr in self.LISTS:
            all_ids = getattr(self, attr)
            with self.subTest(path=path):
                body = self.page(path, entity, startingAfter=all_ids[-2])
                self.assertEqual([x["id"] for x in body["items"]], all_ids[-1:])
                self.assertFalse(body["hasNext"])
                self.assertEqual(body["lastCursor"], all_ids[-1])
                body = self.page(path, entity, startingAfter=all_ids[-1])
                self.assertEqual(body, {"hasNext": False, "lastCursor": None, "items": []})
                body = self.page(path, entity, startingAfter=all_ids[4], limit=3)
                self.assertEqual([x["id"] for x in body["items"]], all_ids[5:8])
                self.assertTrue(body["hasNext"])

    def test_empty_merchant(self):
        fresh = self.merchant()["test"]
        for path, entity, _ in self.LISTS:
            with self.subTest(path=path):
                body = self.page(path, entity, keys=fresh)
                self.assertEqual(body, {"hasNext": False, "lastCursor": None, "items": []})

    def test_items_are_the_full_objects(self):
        sellers = self.page("/v2/sellers", "seller-list", limit=25)["items"]
        payouts = self.page("/v2/payouts", "payout-list", limit=25)["items"]
        self.assertEqual(payouts, self.payouts)
        for i in (0, 13, 24):
            single = self.assertEntity(self.get("/v2/sellers/" + self.seller_ids[i]), "seller")
            self.assertEqual(sellers[i], single)
            self.assertEqual(single["refSellerId"], "ls-%02d" % i)
            self.assertEqual(single["account"]["accountNumber"], "123***78901")  # masked in lists too
            single = self.assertEntity(self.get("/v2/payouts/" + self.payout_ids[i]), "payout")
            self.assertEqual(payouts[i], single)

    # ---- refused queries --------------------------------------------------------

    def test_bad_limits(self):
        cases = [("0", 400, "INVALID_REQUEST"), ("abc", 400, "INVALID_REQUEST"), ("-1", 400, "INVALID_REQUEST"),
                 ("", 400, "INVALID_REQUEST"), ("1.5", 400, "INVALID_REQUEST"), ("+5", 400, "INVALID_REQUEST"),
                 (" 5", 400, "INVALID_REQUEST"), ("1e3", 400, "INVALID_REQUEST"),
                 ("10001", 400, "EXCEED_MAX_QUERY_LIMIT"),
                 ("99999999999999999999", 400, "EXCEED_MAX_QUERY_LIMIT")]
        for path, _, _ in self.LISTS:
            for limit, status, code in cases:
                with self.subTest(path=path, limit=limit):
                    self.assertError(self.get(path, limit=limit), status, code, encrypted=False)

    def test_bad_paging_keys(self):
        cases = {
            "/v2/sellers": [UNKNOWN_SELLER, self.payout_ids[0], self.other_seller, self.live_seller,
                            "seller_", "not an id!", "", "x" * 200],
            "/v2/payouts": [UNKNOWN_PAYOUT, self.seller_ids[0], self.other_payout, self.live_payout,
                            "FPA_", "not an id!", "", "x" * 200],
        }
        for path, keys in cases.items():
            for key in keys:
                with self.subTest(path=path, startingAfter=key):
                    self.assertError(self.get(path, startingAfter=key), 400, "INVALID_PAGING_KEY", encrypted=False)

    def test_unknown_and_repeated_parameters(self):
        sid = self.seller_ids[0]
        cases = {
            "/v2/sellers": ["status=APPROVED", "destination=" + sid, "limit=1&limit=2", "limit=1&limit=1",
                            "startingAfter=%s&startingAfter=%s" % (sid, sid), "payoutDateGte=2026-12-16",
                            "Limit=5", "refSellerId=ls-00", "limit=5&foo=bar"],
            "/v2/payouts": ["status=REQUESTED", "destination=" + sid, "limit=1&limit=2",
                            "payoutDateGte=2026-12-16&payoutDateGte=2026-12-16", "scheduleType=SCHEDULED",
                            "limit=5&foo"],
        }
        for path, queries in cases.items():
            for q in queries:
                with self.subTest(path=path, query=q):
                    r = self.server.call("GET", path + "?" + q, self.keys)
                    self.assertError(r, 400, "INVALID_REQUEST", encrypted=False)

    # ---- deleted sellers -------------------------------------------------------

    def test_deleted_sellers_not_listed_but_usable_as_cursor(self):
        m = self.merchant()
        keys = m["test"]
        ids = [self.register(keys, corp("del-%d" % i))["id"] for i in range(5)]
        r = self.server.call("DELETE", "/v2/sellers/" + ids[2], keys)
        self.assertEntity(r, "deleted-entity")
        body = self.page("/v2/sellers", "seller-list", keys=keys)
        self.assertEqual([x["id"] for x in body["items"]], [ids[0], ids[1], ids[3], ids[4]])
        body = self.page("/v2/sellers", "seller-list", keys=keys, startingAfter=ids[2])
        self.assertEqual([x["id"] for x in body["items"]], [ids[3], ids[4]])
        self.assertFalse(body["hasNext"])
        # paging over the gap still yields every live seller once
        seen, cursor = [], None
        while True:
            params = {"limit": 1}
            if cursor:
                params["startingAfter"] = cursor
            body = self.page("/v2/sellers", "seller-list", keys=keys, **params)
            seen += [x["id"] for x in body["items"]]
            if not body["hasNext"]:
                break
            cursor = body["lastCursor"]
        self.assertEqual(seen, [ids[0], ids[1], ids[3], ids[4]])
        # the last seller deleted: a page after the one before it is empty
        self.assertEntity(self.server.call("DELETE", "/v2/sellers/" + ids[4], keys), "deleted-entity")
        body = self.page("/v2/sellers", "seller-list", keys=keys, startingAfter=ids[3])
        self.assertEqual(body, {"hasNext": False, "lastCursor": None, "items": []})
        body = self.page("/v2/sellers", "seller-list", keys=keys, startingAfter=ids[1], limit=1)
        self.assertEqual([x["id"] for x in body["items"]], [ids[3]])
        self.assertFalse(body["hasNext"])

    # ---- payoutDate filters -------------------------------------------------------

    def test_payout_date_filters(self):
        m = self.merchant()
        keys = m["test"]
        self.server.set_clock(m["mid"], PINNED_NOW)
        sid = self.register(keys, corp("dates"))["id"]
        days = ["2026-12-18", "2026-12-16", PINNED_TODAY, "2026-12-17", "2026-12-21", "2026-12-16", "2026-12-17"]
        batch = [item("d-%d" % i, sid, 1000, kind="EXPRESS") if d == PINNED_TODAY else item("d-%d" % i, sid, 1000, day=d)
                 for i, d in enumerate(days)]
        r = self.server.call("POST", "/v2/payouts", keys, batch)
        ids = [p["id"] for p in self.assertEntity(r, "payout-list")["items"]]
        by_day = list(zip(ids, days))

        def listed(**params):
            body = self.page("/v2/payouts", "payout-list", keys=keys, **params)
            for p in body["items"]:
                self.assertEqual(p["payoutDate"], dict(by_day)[p["id"]])
            return [p["id"] for p in body["items"]]

        def expect(pred):
            return [i for i, d in by_day if pred(d)]

        self.assertEqual(listed(payoutDateGte="2026-12-17"), expect(lambda d: d >= "2026-12-17"))
        self.assertEqual(listed(payoutDateLte="2026-12-17"), expect(lambda d: d <= "2026-12-17"))
        self.assertEqual(listed(payoutDateGte="2026-12-17", payoutDateLte="2026-12-17"),
                         expect(lambda d: d == "2026-12-17"))
        self.assertEqual(listed(payoutDateGte="2026-12-16", payoutDateLte="2026-12-18"),
                         expect(lambda d: "2026-12-16" <= d <= "2026-12-18"))
        self.assertEqual(listed(payoutDateLte=PINNED_TODAY), expect(lambda d: d == PINNED_TODAY))
        self.assertEqual(listed(payoutDateGte="2026-12-22"), [])
        self.assertEqual(listed(payoutDateGte="2026-12-19", payoutDateLte="2026-12-20"), [])
        self.assertEqual(listed(payoutDateGte="2000-01-01", payoutDateLte="2099-12-31"), ids)

        # paging inside a filter
        want = expect(lambda d: d >= "2026-12-16")
        got, cursor = [], None
        flags = []
        while True:
            params = {"payoutDateGte": "2026-12-16", "limit": 2}
            if cursor:
                params["startingAfter"] = cursor
            body = self.page("/v2/payouts", "payout-list", keys=keys, **params)
            got += [p["id"] for p in body["items"]]
            flags.append(body["hasNext"])
            if not body["hasNext"]:
                break
            cursor = body["lastCursor"]
        self.assertEqual(got, want)
        self.assertEqual(flags, [True, True, False])

        # bad dates
        for name in ("payoutDateGte", "payoutDateLte"):
            for bad in ("2026-12-32", "2026-2-01", "20261216", "2026-02-29", "2026-12-16T00:00:00+09:00",
                        "", "tomorrow", "2026/12/16", "2026-13-01", " 2026-12-16"):
                with self.subTest(name=name, value=bad):
                    r = self.server.call("GET", "/v2/payouts" + qs(**{name: bad}), keys)
                    self.assertError(r, 400, "INVALID_DATE", encrypted=False)
        r = self.server.call("GET", "/v2/payouts" + qs(payoutDateGte="2026-12-18", payoutDateLte="2026-12-17"), keys)
        self.assertError(r, 400, "INVALID_DATE", encrypted=False)

    # ---- ENCRYPTION mode ------------------------------------------------------------

    def test_sealed_lists_equal_plain_ones(self):
        for path, entity, attr in self.LISTS:
            for params in ({}, {"limit": 3}, {"limit": 5, "startingAfter": getattr(self, attr)[7]}):
                with self.subTest(path=path, params=params):
                    plain = self.assertEntity(self.get(path, **params), entity, encrypted=False)
                    sealed = self.assertEntity(self.get(path, encrypted=True, **params), entity, encrypted=True)
                    self.assertEqual(sealed, plain)
            with self.subTest(path=path, error=True):
                # errors after authentication are sealed as well (spec §10 #4, #18)
                self.assertError(self.get(path, encrypted=True, limit=0), 400, "INVALID_REQUEST", encrypted=True)
                self.assertError(self.get(path, encrypted=True, startingAfter=UNKNOWN_SELLER), 400,
                                 "INVALID_PAGING_KEY", encrypted=True)

    # ---- isolation ------------------------------------------------------------------

    def test_merchant_and_environment_isolation(self):
        foreign = {self.other_seller, self.other_payout, self.live_seller, self.live_payout}
        for path, entity, attr in self.LISTS:
            with self.subTest(path=path):
                ids = [x["id"] for x in self.page(path, entity, limit=10000)["items"]]
                self.assertEqual(ids, getattr(self, attr))
                self.assertFalse(foreign & set(ids))
        # merchant B sees only its own
        b = self.other["test"]
        self.assertEqual([x["id"] for x in self.page("/v2/sellers", "seller-list", keys=b)["items"]], [self.other_seller])
        self.assertEqual([x["id"] for x in self.page("/v2/payouts", "payout-list", keys=b)["items"]], [self.other_payout])
        # the live environment sees only its own
        live = self.m["live"]
        self.assertEqual([x["id"] for x in self.page("/v2/sellers", "seller-list", keys=live)["items"]], [self.live_seller])
        self.assertEqual([x["id"] for x in self.page("/v2/payouts", "payout-list", keys=live)["items"]], [self.live_payout])
        # and a test id is not a cursor there
        self.assertError(self.get("/v2/sellers", keys=live, startingAfter=self.seller_ids[0]), 400, "INVALID_PAGING_KEY")
        self.assertError(self.get("/v2/payouts", keys=b, startingAfter=self.payout_ids[0]), 400, "INVALID_PAGING_KEY")

    def test_auth_still_required(self):
        for path, _, _ in self.LISTS:
            with self.subTest(path=path):
                r = self.server.request("GET", path)
                self.assertError(r, 401, "UNAUTHORIZED_KEY", encrypted=False)
                r = self.server.request("GET", path + "?limit=5", self.keys["secretKey"], body="{}")
                self.assertError(r, 400, "INVALID_REQUEST", encrypted=False)


if __name__ == "__main__":
    main()
