"""POST /v2/sellers/{id} (update, spec §4.5, §10 #16) and DELETE /v2/sellers/{id}
(spec §4.6, §8.11, §10 #11): nested partial updates, null removing optional
values but never required ones, immutable refSellerId/businessType/status,
validation of the merged seller, and a deleted seller that is gone from every
lookup while its refSellerId stays taken forever."""
import copy

from payoutd_harness import PINNED_NOW, PINNED_SCHEDULED, ServerTestCase, db_connect, db_snapshot, main

UNKNOWN_SELLER = "seller_" + "0" * 26
EN = {"Accept-Language": "en-US"}


def corp(ref):
    return {"refSellerId": ref, "businessType": "CORPORATE",
            "company": {"name": "테스트 상호", "representativeName": "김토스", "businessRegistrationNumber": "1234567890",
                        "email": "toss@sample.com", "phone": "01012345678"},
            "account": {"bankCode": "092", "accountNumber": "12345678990123", "holderName": "김토스"},
            "metadata": {"key1": "value1", "key2": "value2"}}


def person(ref):
    return {"refSellerId": ref, "businessType": "INDIVIDUAL",
            "individual": {"name": "김기원", "email": "noreply@example.com", "phone": "01012345678"},
            "account": {"bankCode": "004", "accountNumber": "049210482003", "holderName": "김기원"}}


def masked(number):
    return number[:3] + "*" * (len(number) - 8) + number[-5:]


def item(ref, dest, kind="SCHEDULED", value=1000):
    it = {"refPayoutId": ref, "destination": dest, "scheduleType": kind,
          "amount": {"currency": "KRW", "value": value}, "transactionDescription": "정산"}
    if kind == "SCHEDULED":
        it["payoutDate"] = PINNED_SCHEDULED
    return it


class SellerUpdate(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]
        self.mid = self.m["mid"]
        self.server.set_clock(self.mid, PINNED_NOW)

    # ---- helpers ------------------------------------------------------------

    def register(self, body, keys=None):
        return self.assertEntity(self.server.call("POST", "/v2/sellers", keys or self.keys, body), "seller")

    def update(self, sid, patch, keys=None, headers=None):
        return self.server.call("POST", "/v2/sellers/" + sid, keys or self.keys, patch, headers=headers)

    def updated(self, sid, patch):
        return self.assertEntity(self.update(sid, patch), "seller", encrypted=True)

    def get(self, sid, keys=None):
        return self.server.call("GET", "/v2/sellers/" + sid, keys or self.keys)

    def fetch(self, sid):
        return self.assertEntity(self.get(sid), "seller")

    def refused(self, sid, patch, status, code, phrase=None):
        """The update is refused, sealed, and changes nothing."""
        before = db_snapshot(self.server.db)
        r = self.update(sid, patch, headers=EN)
        err = self.assertError(r, status, code, encrypted=True)
        if phrase:
            self.assertIn(phrase, err["message"])
        self.assertEqual(db_snapshot(self.server.db), before, "a refused update changed the database")
        return err

    def events(self):
        con = db_connect(self.server.db)
        try:
            return con.execute("SELECT count(*) FROM webhook_events e JOIN merchants m ON m.id = e.merchant_id "
                               "WHERE m.mid = ?", (self.mid,)).fetchone()[0]
        finally:
            con.close()

    # ---- update -------------------------------------------------------------

    def test_update_requires_encryption(self):
        s = self.register(corp("enc-1"))
        before = db_snapshot(self.server.db)
        r = self.server.call("POST", "/v2/sellers/" + s["id"], self.keys, {"metadata": None}, encrypted=False)
        self.assertError(r, 400, "ENCRYPTION_REQUIRED", encrypted=False)
        self.assertEqual(db_snapshot(self.server.db), before)
        self.assertEqual(self.fetch(s["id"]), s)

    def test_nested_partial_update_of_company(self):
        s = self.register(corp("nest-1"))
        body = self.updated(s["id"], {"company": {"email": "new@example.com"}})
        want = copy.deepcopy(s)
        want["company"]["email"] = "new@example.com"
        self.assertEqual(body, want)  # every other company field, the account and metadata kept
        self.assertEqual(list(body.keys()), ["id", "refSellerId", "businessType", "company", "individual",
                                             "account", "status", "metadata"])
        body = self.updated(s["id"], {"company": {"phone": "0298765432", "representativeName": "이토스"}})
        want["company"].update(phone="0298765432", representativeName="이토스")
        self.assertEqual(body, want)
        self.assertEqual(self.fetch(s["id"]), want)
        self.server.restart()
        self.assertEqual(self.fetch(s["id"]), want)
        sealed = self.assertEntity(self.server.call("GET", "/v2/sellers/" + s["id"], self.keys, encrypted=True),
                                   "seller", encrypted=True)
        self.assertEqual(sealed, want)

    def test_account_partial_update_shows_masked_account(self):
        s = self.register(corp("acct-1"))
        body = self.updated(s["id"], {"account": {"holderName": "새 예금주"}})
        self.assertEqual(body["account"], {"bankCode": "092", "accountNumber": masked("12345678990123"),
                                           "holderName": "새 예금주"})
        self.assertEqual(body["company"], s["company"])
        # a new number replaces the old one and comes back masked
        body = self.updated(s["id"], {"account": {"bankCode": "088", "accountNumber": "110123456789"}})
        self.assertEqual(body["account"], {"bankCode": "088", "accountNumber": masked("110123456789"),
                                           "holderName": "새 예금주"})
        self.assertEqual(self.fetch(s["id"])["account"], body["account"])
        # the masked number the API shows cannot be sent back as a number
        self.refused(s["id"], {"account": {"accountNumber": masked("110123456789")}}, 400, "INVALID_ACCOUNT_NUMBER")

    def test_metadata_replaced_and_removed(self):
        s = self.register(corp("meta-1"))
        body = self.updated(s["id"], {"metadata": {"only": "this"}})
        self.assertEqual(body["metadata"], {"only": "this"})  # replaced, not merged
        body = self.updated(s["id"], {"metadata": None})
        self.assertIsNone(body["metadata"])
        self.assertIsNone(self.fetch(s["id"])["metadata"])
        body = self.updated(s["id"], {"metadata": {"k": "v"}})
        self.assertEqual(body["metadata"], {"k": "v"})
        self.refused(s["id"], {"metadata": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}},
                     400, "INVALID_REQUEST")
        self.refused(s["id"], {"metadata": {"k[1]": "v"}}, 400, "INVALID_REQUEST")
        self.refused(s["id"], {"metadata": {"k": 1}}, 400, "INVALID_REQUEST")
        self.refused(s["id"], {"metadata": "text"}, 400, "INVALID_REQUEST")

    def test_null_on_required_values_refused(self):
        p = self.register(person("null-p"))
        c = self.register(corp("null-c"))
        cases = [
            (p, {"individual": {"email": None}}, "individual.email"),
            (p, {"individual": {"name": None}}, "individual.name"),
            (p, {"individual": None}, "individual"),
            (p, {"account": None}, "account"),
            (p, {"account": {"accountNumber": None}}, "account.accountNumber"),
            (p, {"account": {"bankCode": None}}, "account.bankCode"),
            (c, {"company": None}, "company"),
            (c, {"company": {"businessRegistrationNumber": None}}, "company.businessRegistrationNumber"),
            (c, {"company": {"email": None}}, "company.email"),
            (c, {"account": {"holderName": None}}, "account.holderName"),
        ]
        for seller, patch, field in cases:
            with self.subTest(patch=patch):
                self.refused(seller["id"], patch, 400, "INVALID_REQUEST", field)
        self.assertEqual(self.fetch(p["id"]), p)
        self.assertEqual(self.fetch(c["id"]), c)

    def test_null_on_a_part_the_seller_does_not_have_is_a_no_op(self):
        c = self.register(corp("noop-c"))
        self.assertEqual(self.updated(c["id"], {"individual": None}), c)
        p = self.register(person("noop-p"))
        self.assertEqual(self.updated(p["id"], {"company": None}), p)
        self.assertEqual(self.updated(p["id"], {}), p)
        self.assertEqual(self.fetch(c["id"]), c)

    def test_ref_seller_id_and_business_type_cannot_change(self):
        c = self.register(corp("immut-1"))
        self.assertEqual(self.updated(c["id"], {"refSellerId": "immut-1"}), c)
        self.assertEqual(self.updated(c["id"], {"businessType": "CORPORATE"}), c)
        self.refused(c["id"], {"refSellerId": "immut-2"}, 400, "INVALID_REQUEST", "refSellerId")
        self.refused(c["id"], {"refSellerId": None}, 400, "INVALID_REQUEST", "refSellerId")
        self.refused(c["id"], {"businessType": "INDIVIDUAL_BUSINESS"}, 400, "INVALID_REQUEST", "businessType")
        self.refused(c["id"], {"businessType": "INDIVIDUAL", "individual": person("x")["individual"]},
                     400, "INVALID_REQUEST", "businessType")
        # the seller's other part cannot be added either
        self.refused(c["id"], {"individual": person("x")["individual"]}, 400, "INVALID_REQUEST")
        self.assertEqual(self.fetch(c["id"]), c)

    def test_unknown_fields_and_status_refused(self):
        c = self.register(corp("unk-1"))
        for patch, phrase in (({"status": "APPROVED"}, "status"), ({"status": c["status"]}, "status"),
                              ({"id": c["id"]}, "id"), ({"nickname": "x"}, "nickname"),
                              ({"company": {"fax": "0212345678"}}, "fax"),
                              ({"account": {"iban": "x"}}, "iban")):
            with self.subTest(patch=patch):
                self.refused(c["id"], patch, 400, "INVALID_REQUEST", phrase)
        for body in ([], [{"metadata": None}], "null"):
            with self.subTest(body=body):
                self.refused(c["id"], body, 400, "INVALID_REQUEST")
        self.assertEqual(self.fetch(c["id"]), c)

    def test_merged_values_are_validated(self):
        c = self.register(corp("val-c"))
        p = self.register(person("val-p"))
        cases = [
            (c, {"company": {"email": "not-an-email"}}, "INVALID_EMAIL"),
            (p, {"individual": {"email": "a@b"}}, "INVALID_EMAIL"),
            (c, {"company": {"businessRegistrationNumber": "123-45-67890"}}, "INVALID_BUSINESS_NUMBER"),
            (c, {"account": {"bankCode": "999"}}, "INVALID_BANK"),
            (p, {"account": {"accountNumber": "110-123-456789"}}, "INVALID_ACCOUNT_NUMBER"),
            (p, {"individual": {"phone": "010-1234-5678"}}, "INVALID_REQUEST"),
            (p, {"individual": {"name": "x" * 61}}, "INVALID_REQUEST"),
            (c, {"company": {"name": 5}}, "INVALID_REQUEST"),
            (c, {"company": "테스트"}, "INVALID_REQUEST"),
            # sandbox verification runs on the merged account too (docs/sandbox.md)
            (p, {"account": {"accountNumber": "99990000001"}}, "ACCOUNT_OWNER_CHECK_FAILED"),
        ]
        for seller, patch, code in cases:
            with self.subTest(patch=patch):
                self.refused(seller["id"], patch, 400, code)
        self.assertEqual(self.fetch(c["id"]), c)
        self.assertEqual(self.fetch(p["id"]), p)

    def test_status_never_changes_on_update(self):
        c = self.register(corp("stat-c"))
        p = self.register(person("stat-p"))
        self.assertEqual(p["status"], "APPROVAL_REQUIRED")
        events = self.events()
        body = self.updated(p["id"], {"account": {"bankCode": "088", "accountNumber": "110123456789"},
                                      "individual": {"phone": "01099998888"}})
        self.assertEqual(body["status"], "APPROVAL_REQUIRED")
        self.assertEqual(self.events(), events, "an update emitted seller.changed")
        r = self.server.admin("POST", "/merchants/%s/sellers/%s/verify-identity" % (self.mid, p["id"]), {"env": "test"})
        self.assertEqual(r.status, 200, r)
        events = self.events()
        for sid in (c["id"], p["id"]):
            body = self.updated(sid, {"account": {"accountNumber": "220123456789", "holderName": "다른 사람"}})
            self.assertEqual(body["status"], "PARTIALLY_APPROVED")
            self.assertEqual(self.fetch(sid)["status"], "PARTIALLY_APPROVED")
        self.assertEqual(self.events(), events, "an update emitted seller.changed")

    def test_update_of_unknown_deleted_or_foreign_seller(self):
        c = self.register(corp("gone-1"))
        other = self.merchant()["test"]
        foreign = self.register(corp("gone-1"), keys=other)
        live = self.register(corp("gone-1"), keys=self.m["live"])
        self.assertEntity(self.server.call("DELETE", "/v2/sellers/" + c["id"], self.keys), "deleted-entity")
        for sid in (UNKNOWN_SELLER, c["id"], foreign["id"], live["id"], "nope"):
            with self.subTest(sid=sid):
                self.refused(sid, {"metadata": None}, 404, "NOT_FOUND")
        self.assertEqual(self.assertEntity(self.get(foreign["id"], keys=other), "seller"), foreign)


class SellerDelete(ServerTestCase):
    def setUp(self):
        self.m = self.merchant()
        self.keys = self.m["test"]
        self.mid = self.m["mid"]
        self.server.set_clock(self.mid, PINNED_NOW)

    def register(self, body, keys=None):
        return self.assertEntity(self.server.call("POST", "/v2/sellers", keys or self.keys, body), "seller")

    def delete(self, sid, keys=None, **kw):
        return self.server.call("DELETE", "/v2/sellers/" + sid, keys or self.keys, **kw)

    def test_delete_and_everything_after(self):
        s = self.register(corp("del-1"))
        keep = self.register(corp("del-2"))
        r = self.delete(s["id"])
        body = self.assertEntity(r, "deleted-entity", encrypted=False)
        self.assertEqual(list(body.keys()), ["id", "refSellerId"])
        self.assertEqual(body, {"id": s["id"], "refSellerId": "del-1"})

        def gone():
            self.assertError(self.server.call("GET", "/v2/sellers/" + s["id"], self.keys), 404, "NOT_FOUND")
            self.assertError(self.delete(s["id"]), 404, "NOT_FOUND")
            r = self.server.call("POST", "/v2/sellers/" + s["id"], self.keys, {"metadata": None})
            self.assertError(r, 404, "NOT_FOUND", encrypted=True)
            before = db_snapshot(self.server.db)
            r = self.server.call("POST", "/v2/payouts", self.keys, [item("to-deleted", s["id"])])
            err = self.assertError(r, 404, "NOT_FOUND", encrypted=True)
            self.assertIn(s["id"], err["message"])
            self.assertEqual(db_snapshot(self.server.db), before)
            listed = self.assertEntity(self.server.call("GET", "/v2/sellers?limit=10000", self.keys), "seller-list")
            self.assertEqual([x["id"] for x in listed["items"]], [keep["id"]])
            # the refSellerId is never reusable, also after deletion
            r = self.server.call("POST", "/v2/sellers", self.keys, corp("del-1"))
            self.assertError(r, 400, "DUPLICATED_REQUEST", encrypted=True)
            r = self.server.call("POST", "/v2/sellers", self.keys, person("del-1"))
            self.assertError(r, 400, "DUPLICATED_REQUEST", encrypted=True)
            self.assertEqual(self.assertEntity(self.server.call("GET", "/v2/sellers/" + keep["id"], self.keys),
                                               "seller"), keep)

        gone()
        self.server.restart()
        gone()
        # the same refSellerId is free in another merchant and in live
        self.register(corp("del-1"), keys=self.merchant()["test"])
        self.register(corp("del-1"), keys=self.m["live"])

    def test_seller_with_requested_payout_cannot_be_deleted_until_cancelled(self):
        s = self.register(corp("open-1"))
        r = self.server.call("POST", "/v2/payouts", self.keys, [item("open-p1", s["id"])])
        payout = self.assertEntity(r, "payout-list")["items"][0]
        self.assertEqual(payout["status"], "REQUESTED")
        before = db_snapshot(self.server.db)
        err = self.assertError(self.delete(s["id"], headers=EN), 400, "INVALID_REQUEST", encrypted=False)
        self.assertIn("unfinished payout", err["message"])
        err = self.assertError(self.delete(s["id"]), 400, "INVALID_REQUEST")
        self.assertIn("지급대행", err["message"])
        self.assertEqual(db_snapshot(self.server.db), before)
        self.assertEntity(self.server.call("GET", "/v2/sellers/" + s["id"], self.keys), "seller")
        r = self.server.call("POST", "/v2/payouts/%s/cancel" % payout["id"], self.keys)
        self.assertEqual(self.assertEntity(r, "payout")["status"], "CANCELED")
        self.assertEqual(self.assertEntity(self.delete(s["id"]), "deleted-entity"),
                         {"id": s["id"], "refSellerId": "open-1"})

    def test_seller_with_in_progress_payout_cannot_be_deleted_until_it_completes(self):
        s = self.register(corp("prog-1"))
        r = self.server.call("POST", "/v2/payouts", self.keys, [item("prog-p1", s["id"], kind="EXPRESS")])
        payout = self.assertEntity(r, "payout-list")["items"][0]
        self.assertEqual(payout["status"], "IN_PROGRESS")
        err = self.assertError(self.delete(s["id"], headers=EN), 400, "INVALID_REQUEST")
        self.assertIn("unfinished payout", err["message"])
        self.server.advance_clock(self.mid, 3600)  # the bank step ends
        r = self.server.call("GET", "/v2/payouts/" + payout["id"], self.keys)
        self.assertEqual(self.assertEntity(r, "payout")["status"], "COMPLETED")
        self.assertEntity(self.delete(s["id"]), "deleted-entity")
        # the finished payout stays readable
        r = self.server.call("GET", "/v2/payouts/" + payout["id"], self.keys)
        self.assertEqual(self.assertEntity(r, "payout")["destination"], s["id"])

    def test_delete_in_encryption_mode_is_sealed(self):
        s = self.register(corp("seal-1"))
        body = self.assertEntity(self.delete(s["id"], encrypted=True), "deleted-entity", encrypted=True)
        self.assertEqual(body, {"id": s["id"], "refSellerId": "seal-1"})
        self.assertError(self.delete(s["id"], encrypted=True), 404, "NOT_FOUND", encrypted=True)

    def test_delete_of_foreign_or_unknown_seller(self):
        s = self.register(corp("for-1"))
        other = self.merchant()["test"]
        before = db_snapshot(self.server.db)
        for keys in (other, self.m["live"]):
            self.assertError(self.delete(s["id"], keys=keys), 404, "NOT_FOUND")
        self.assertError(self.delete(UNKNOWN_SELLER), 404, "NOT_FOUND")
        self.assertEqual(db_snapshot(self.server.db), before)
        self.assertEqual(self.assertEntity(self.server.call("GET", "/v2/sellers/" + s["id"], self.keys), "seller"), s)

    def test_delete_takes_no_body(self):
        s = self.register(corp("body-1"))
        before = db_snapshot(self.server.db)
        r = self.server.request("DELETE", "/v2/sellers/" + s["id"], self.keys["secretKey"], body="{}")
        self.assertError(r, 400, "INVALID_REQUEST")
        self.assertEqual(db_snapshot(self.server.db), before)


if __name__ == "__main__":
    main()
