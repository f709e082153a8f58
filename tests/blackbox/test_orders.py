"""/customers/orders as docs/api.md and the Freespee/Kaisa reference (§2.8) describe it."""

import datetime
import unittest

from harness import TIME_RE, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

ORDER_KEYS = {"created", "timestamp", "cli_id", "order_id", "order_value", "extras",
              "customer_id", "custnr"}
FLAT = "/customers/orders"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def parse(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


class OrdersTest(CustomerResourceMixin, ServerTestCase):
    def setUp(self):
        super().setUp()
        self.cid, self.custnr = self.customer_with_custnr(self.alice)

    def post(self, s=None, path=FLAT, **fields):
        if path == FLAT:
            fields.setdefault("customer_id", self.cid)
        fields.setdefault("timestamp", "2024-03-01 10:15:00")
        fields.setdefault("cli_id", "cli-" + unique())
        fields.setdefault("order_id", unique("ord"))
        fields.setdefault("order_value", "123.45")
        fields = {k: v for k, v in fields.items() if v is not None}
        return self.call(s or self.alice, "POST", path, data=fields)

    def create(self, s=None, **fields):
        return self.one(self.post(s, **fields), "orders")

    def get(self, s=None, path=FLAT, **params):
        return self.call(s or self.alice, "GET", path, params=params)

    def order_ids(self, s=None, path=FLAT, **params):
        return [o["order_id"] for o in self.ok(self.get(s, path, **params), "orders")]

    # -- POST -----------------------------------------------------------------------------
    def test_post_answers_the_stored_order(self):
        before = utc_now()
        o = self.create(timestamp="2024-03-01 10:15:00", cli_id="abc-123", order_id="A-1",
                        order_value="1999.90", extras='{"sku":"X-1","qty":2}')
        after = utc_now()
        self.assertEqual(set(o), ORDER_KEYS)
        self.assertEqual(o["timestamp"], "2024-03-01 10:15:00")
        self.assertEqual(o["cli_id"], "abc-123")
        self.assertEqual(o["order_id"], "A-1")
        self.assertEqual(o["order_value"], "1999.90")
        self.assertEqual(o["extras"], '{"sku":"X-1","qty":2}')
        self.assertEqual(o["customer_id"], self.cid)
        self.assertEqual(o["custnr"], self.custnr)
        self.assertRegex(o["created"], TIME_RE)
        # created is when the server received the order, not the order's own time.
        self.assertTrue(before <= parse(o["created"]) <= after, (before, o["created"], after))
        self.assert_scalars_are_strings(o)

    def test_order_is_listed_as_answered(self):
        o = self.create(order_id="A-1")
        self.assertEqual(self.ok(self.get(customer_id=self.cid), "orders"), [o])

    def test_extras_are_optional(self):
        o = self.create()
        self.assertIsNone(o["extras"])
        self.assert_scalars_are_strings(o, nullable={"extras"})
        self.assertIsNone(self.create(extras="")["extras"])
        self.assertEqual(len(self.create(extras="x" * 4000)["extras"]), 4000)

    def test_order_values_are_kept_as_given(self):
        for value in ("0", "5", "12.5", "0.99", "007.50"):
            with self.subTest(value=value):
                self.assertEqual(self.create(order_value=value)["order_value"], value)

    def test_a_date_alone_is_midnight(self):
        self.assertEqual(self.create(timestamp="2024-03-01")["timestamp"], "2024-03-01 00:00:00")

    def test_post_on_the_nested_spelling(self):
        path = "/customers/%s/orders" % self.cid
        self.assertEqual(self.create(path=path)["customer_id"], self.cid)
        self.assertEqual(self.create(path=path, customer_id=self.cid)["customer_id"], self.cid)
        other, _ = self.customer_with_custnr(self.alice)
        self.assert_error(self.post(path=path, customer_id=other), 400, "conflicting_id",
                          "customer_id")

    def test_duplicate_order_id_of_one_customer_is_409(self):
        self.create(order_id="A-1")
        self.assert_error(self.post(order_id="A-1"), 409, "duplicate", "order_id")
        self.assertEqual(self.order_ids(customer_id=self.cid), ["A-1"])
        other, _ = self.customer_with_custnr(self.alice)
        self.assertEqual(self.create(customer_id=other, order_id="A-1")["order_id"], "A-1")

    def test_missing_mandatory_fields_are_named(self):
        for field in ("customer_id", "timestamp", "cli_id", "order_id", "order_value"):
            with self.subTest(field=field):
                self.assert_error(self.post(**{field: None}), 400, "missing", field)
                if field != "customer_id":
                    self.assert_error(self.post(**{field: ""}), 400, None, field)

    def test_post_validation_errors(self):
        cases = [
            (dict(customer_id="x"), "invalid", "customer_id"),
            (dict(timestamp="yesterday"), "invalid", "timestamp"),
            (dict(timestamp="2024-02-30 10:00:00"), "invalid", "timestamp"),
            (dict(order_value="-1"), "invalid", "order_value"),
            (dict(order_value="12.345"), "invalid", "order_value"),
            (dict(order_value="1e3"), "invalid", "order_value"),
            (dict(order_value="12,50"), "invalid", "order_value"),
            (dict(order_value=".5"), "invalid", "order_value"),
            (dict(order_value="5."), "invalid", "order_value"),
            (dict(order_value="abc"), "invalid", "order_value"),
            (dict(order_value="9" * 17), "too_long", "order_value"),
            (dict(order_value="9" * 14), "invalid", "order_value"),
            (dict(order_id="o" * 101), "too_long", "order_id"),
            (dict(cli_id="c" * 101), "too_long", "cli_id"),
            (dict(extras="x" * 4001), "too_long", "extras"),
            (dict(order_nr="1"), "unknown_parameter", "order_nr"),
        ]
        for fields, code, field in cases:
            with self.subTest(**fields):
                self.assert_error(self.post(**fields), 400, code, field)
        self.assertEqual(self.order_ids(customer_id=self.cid), [])

    def test_every_bad_field_is_named_at_once(self):
        errors = self.assert_error(self.post(order_value="-1", timestamp="x", cli_id=None), 400)
        self.assertEqual({e["field"] for e in errors}, {"order_value", "timestamp", "cli_id"})

    def test_unknown_customer_is_404(self):
        self.assert_error(self.post(customer_id="999999"), 404, "not_found", "customer_id")
        self.assert_error(self.post(path="/customers/999999/orders"), 404, "not_found",
                          "customer_id")

    # -- GET ------------------------------------------------------------------------------
    def test_get_lists_every_customer_of_the_partner_oldest_first(self):
        _, s = self.fresh_partner()
        c1, _ = self.customer_with_custnr(s)
        c2, _ = self.customer_with_custnr(s)
        self.create(s, customer_id=c1, order_id="o1")
        self.create(s, customer_id=c2, order_id="o2")
        self.create(s, customer_id=c1, order_id="o3")
        resp = self.get(s)
        self.assertEqual([o["order_id"] for o in self.ok(resp, "orders")], ["o1", "o2", "o3"])
        body = resp.json()
        self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                         ("3", "0", "1000", "1"))

    def test_get_filters(self):
        c2, custnr2 = self.customer_with_custnr(self.alice)
        self.create(order_id="f1")
        self.create(order_id="f2")
        self.create(customer_id=c2, order_id="f1")
        self.assertEqual(self.order_ids(customer_id=self.cid), ["f1", "f2"])
        self.assertEqual(self.order_ids(custnr=custnr2), ["f1"])
        by_order = self.ok(self.get(order_id="f1"), "orders")
        self.assertEqual({o["customer_id"] for o in by_order}, {self.cid, c2})
        self.assertEqual(self.order_ids(customer_id=self.cid, order_id="f2"), ["f2"])
        self.assertEqual(self.order_ids(customer_id=self.cid, custnr=custnr2), [])
        self.assertEqual(self.order_ids(order_id="no-such-order"), [])

    def test_get_on_the_nested_spelling(self):
        c2, _ = self.customer_with_custnr(self.alice)
        self.create(order_id="n1")
        self.create(customer_id=c2, order_id="n1")
        path = "/customers/%s/orders" % self.cid
        orders = self.ok(self.get(path=path), "orders")
        self.assertEqual([(o["customer_id"], o["order_id"]) for o in orders], [(self.cid, "n1")])
        self.assertEqual(self.order_ids(path=path, order_id="n1"), ["n1"])
        self.assert_error(self.get(path=path, customer_id=c2), 400, "conflicting_id",
                          "customer_id")

    def test_get_paging(self):
        _, s = self.fresh_partner()
        cid, _ = self.customer_with_custnr(s)
        for i in range(5):
            self.create(s, customer_id=cid, order_id="p%d" % i)
        resp = self.get(s, page="1", pagesize="2")
        self.assertEqual([o["order_id"] for o in self.ok(resp, "orders")], ["p2", "p3"])
        body = resp.json()
        self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                         ("5", "1", "2", "3"))
        self.assertEqual(self.order_ids(s, page="2", pagesize="2"), ["p4"])
        self.assert_error(self.get(s, page="-1"), 400, "invalid", "page")
        self.assert_error(self.get(s, pagesize="x"), 400, "invalid", "pagesize")

    def test_get_with_unknown_or_bad_customer(self):
        self.assert_error(self.get(customer_id="999999"), 404, "not_found", "customer_id")
        self.assert_error(self.get(path="/customers/999999/orders"), 404, "not_found",
                          "customer_id")
        self.assert_error(self.get(custnr="no-such-custnr"), 404, "not_found", "custnr")
        self.assert_error(self.get(customer_id="x"), 400, "invalid", "customer_id")
        self.assert_error(self.get(order_id="o" * 101), 400, "too_long", "order_id")

    # -- unsupported methods ----------------------------------------------------------------
    def test_put_and_delete_are_405_on_both_spellings(self):
        for path in (FLAT, "/customers/%s/orders" % self.cid):
            for method in ("PUT", "DELETE"):
                with self.subTest(path=path, method=method):
                    resp = self.call(self.alice, method, path, data=dict(order_value="1"))
                    self.assert_error(resp, 405, "method_not_allowed")
                    allow = {m.strip() for m in resp.headers["Allow"].split(",")}
                    self.assertEqual(allow, {"GET", "POST"})

    # -- partners ------------------------------------------------------------------------
    def test_partners_cannot_see_or_add_each_others_orders(self):
        self.create(order_id="secret")
        self.assert_error(self.post(self.bob, customer_id=self.cid), 404, "not_found",
                          "customer_id")
        self.assert_error(self.post(self.bob, path="/customers/%s/orders" % self.cid), 404,
                          "not_found", "customer_id")
        self.assert_error(self.get(self.bob, customer_id=self.cid), 404, "not_found",
                          "customer_id")
        self.assert_error(self.get(self.bob, path="/customers/%s/orders" % self.cid), 404,
                          "not_found", "customer_id")
        self.assert_error(self.get(self.bob, custnr=self.custnr), 404, "not_found", "custnr")
        bob_cid, _ = self.customer_with_custnr(self.bob)
        self.create(self.bob, customer_id=bob_cid, order_id="bobs")
        self.assertNotIn("secret", self.order_ids(self.bob))
        self.assertNotIn("secret", self.order_ids(self.bob, order_id="secret"))
        self.assertNotIn("bobs", self.order_ids(self.alice))
        self.assertEqual(self.order_ids(customer_id=self.cid), ["secret"])

    def fresh_partner(self):
        """A partner with no orders yet, so whole-list assertions are exact."""
        username = unique("p")
        self.server.add_partner(username, "pw-" + username)
        return username, self.session(username, "pw-" + username)


if __name__ == "__main__":
    unittest.main()
