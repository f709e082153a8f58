"""/customers/blacklist as docs/api.md and the Freespee/Kaisa reference (§2.7) describe it,
and the OOS status (§2.11) of a source whose answering number is blacklisted."""

import json
import unittest

from harness import ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

ANSWERING = "+46701234567"
FLAT = "/customers/blacklist"


class BlacklistTest(CustomerResourceMixin, ServerTestCase):
    def setUp(self):
        super().setUp()
        self.cid = self.customer(self.alice)

    def nested(self, cid=None):
        return "/customers/%s/blacklist" % (cid or self.cid)

    def get(self, s=None, path=None, **params):
        if path is None:
            path = FLAT
            params.setdefault("customer_id", self.cid)
        return self.call(s or self.alice, "GET", path, params=params)

    def put(self, numbers, s=None, path=None, **fields):
        if path is None:
            path = FLAT
            fields.setdefault("customer_id", self.cid)
        if numbers is not None:
            fields["phonenrs"] = numbers if isinstance(numbers, str) else json.dumps(numbers)
        return self.call(s or self.alice, "PUT", path, data=fields)

    def blacklist(self, resp):
        """Asserts 200 and exactly {"blacklist":[strings]}; returns the list."""
        numbers = self.ok(resp, "blacklist")
        self.assertEqual(set(resp.json()), {"blacklist"})
        for n in numbers:
            self.assertIsInstance(n, str)
        return numbers

    # -- GET ------------------------------------------------------------------------------
    def test_new_customer_has_an_empty_list_on_both_spellings(self):
        self.assertEqual(self.blacklist(self.get()), [])
        self.assertEqual(self.blacklist(self.get(path=self.nested())), [])

    def test_get_needs_a_customer_id(self):
        self.assert_error(self.get(path=FLAT), 400, "missing", "customer_id")
        self.assert_error(self.get(path=FLAT, customer_id="x"), 400, "invalid",
                          "customer_id")
        self.assert_error(self.get(path="/customers/x/blacklist"), 400, "invalid", "customer_id")

    def test_unknown_customer_is_404(self):
        self.assert_error(self.get(customer_id="999999"), 404, "not_found", "customer_id")
        self.assert_error(self.get(path=self.nested("999999")), 404, "not_found", "customer_id")
        self.assert_error(self.put(["+46701111111"], customer_id="999999"), 404, "not_found",
                          "customer_id")

    def test_version_segment_is_ignored(self):
        self.put(["+46701111111"])
        self.assertEqual(self.blacklist(self.get(path="/2.4.9" + self.nested())), ["+46701111111"])

    # -- PUT ------------------------------------------------------------------------------
    def test_put_replaces_the_list_and_answers_it(self):
        first = ["+46709999999", "+46701111111"]
        self.assertEqual(self.blacklist(self.put(first)), first)
        self.assertEqual(self.blacklist(self.get()), first)
        self.assertEqual(self.blacklist(self.put(["+4631123456"])), ["+4631123456"])
        self.assertEqual(self.blacklist(self.get(path=self.nested())), ["+4631123456"])

    def test_put_on_the_nested_spelling(self):
        numbers = ["+46702222222"]
        self.assertEqual(self.blacklist(self.put(numbers, path=self.nested())), numbers)
        self.assertEqual(self.blacklist(self.get()), numbers)
        resp = self.put(numbers, path=self.nested(), customer_id=self.cid)
        self.assertEqual(self.blacklist(resp), numbers)

    def test_path_and_parameter_disagreeing_is_400(self):
        other = self.customer(self.alice)
        self.assert_error(self.put(["+46701111111"], path=self.nested(), customer_id=other), 400,
                          "conflicting_id", "customer_id")
        self.assert_error(self.get(path=self.nested(), customer_id=other), 400, "conflicting_id",
                          "customer_id")
        self.assertEqual(self.blacklist(self.get()), [])

    def test_separators_are_dropped_and_duplicates_collapse(self):
        resp = self.put(["+46 70-123 45 67", "+46702222222", "+46701234567", "+46 702 222 222"])
        self.assertEqual(self.blacklist(resp), ["+46701234567", "+46702222222"])

    def test_empty_array_clears_the_list(self):
        self.put(["+46701111111"])
        self.assertEqual(self.blacklist(self.put([])), [])
        self.assertEqual(self.blacklist(self.get()), [])

    def test_the_cap_is_accepted_and_one_more_is_400(self):
        numbers = ["+4670%07d" % n for n in range(1000000, 1010000)]
        self.assertEqual(len(self.blacklist(self.put(numbers))), 10000)
        errors = self.assert_error(self.put(numbers + ["+46709999999"]), 400, "invalid",
                                   "phonenrs")
        self.assertIn("10000", errors[0]["message"])
        self.assertEqual(len(self.blacklist(self.get())), 10000)

    def test_put_validation_errors(self):
        cases = [
            (None, "missing"),
            ("", "missing"),
            ("not json", "invalid"),
            ("{\"a\":1}", "invalid"),
            ("\"+46701111111\"", "invalid"),
            ("+46701111111", "invalid"),
            (["+46701111111", 46701111111], "invalid"),
            ([None], "invalid"),
            (["+46abc"], "invalid"),
            ([""], "invalid"),
            (["+0701111111"], "invalid"),
        ]
        for numbers, code in cases:
            with self.subTest(phonenrs=numbers):
                self.assert_error(self.put(numbers), 400, code, "phonenrs")

    def test_a_bad_entry_is_named_by_its_index(self):
        errors = self.assert_error(self.put(["+46701111111", "0701234567"]), 400, "invalid",
                                   "phonenrs")
        self.assertIn("phonenrs[1]", errors[0]["message"])

    def test_put_needs_a_customer_and_refuses_unknown_parameters(self):
        self.assert_error(self.call(self.alice, "PUT", FLAT,
                                    data=dict(phonenrs="[]")), 400, "missing", "customer_id")
        self.assert_error(self.put([], customer_id="x"), 400, "invalid", "customer_id")
        self.assert_error(self.put([], name="x"), 400, "unknown_parameter", "name")

    def test_refused_put_leaves_the_list_as_it_was(self):
        self.put(["+46701111111"])
        self.assert_error(self.put(["+46702222222", "bad"]), 400, "invalid", "phonenrs")
        self.assertEqual(self.blacklist(self.get()), ["+46701111111"])

    def test_lists_belong_to_one_customer(self):
        other = self.customer(self.alice)
        self.put(["+46701111111"])
        self.assertEqual(self.blacklist(self.get(customer_id=other)), [])

    # -- unsupported methods ----------------------------------------------------------------
    def test_post_and_delete_are_405_on_both_spellings(self):
        for path in (FLAT, self.nested()):
            for method in ("POST", "DELETE"):
                with self.subTest(path=path, method=method):
                    resp = self.call(self.alice, method, path,
                                     data=dict(customer_id=self.cid, phonenrs="[]")
                                     if path == FLAT else dict(phonenrs="[]"))
                    self.assert_error(resp, 405, "method_not_allowed")
                    allow = {m.strip() for m in resp.headers["Allow"].split(",")}
                    self.assertEqual(allow, {"GET", "PUT"})

    # -- partners ------------------------------------------------------------------------
    def test_another_partners_customer_is_404_and_untouched(self):
        self.put(["+46701111111"])
        for path, params in ((FLAT, dict(customer_id=self.cid)), (self.nested(), {})):
            with self.subTest(path=path):
                self.assert_error(self.call(self.bob, "GET", path, params=params), 404,
                                  "not_found", "customer_id")
                self.assert_error(self.call(self.bob, "PUT", path, data=dict(params, phonenrs="[]")),
                                  404, "not_found", "customer_id")
        self.assertEqual(self.blacklist(self.get()), ["+46701111111"])


class BlacklistedSourceStatusTest(CustomerResourceMixin, ServerTestCase):
    """GET /sources/statuses reports a source whose answering number is blacklisted as OOS."""

    def setUp(self):
        super().setUp()
        self.cid = self.customer(self.alice)

    def active_source(self, s, cid, **fields):
        fields.update(name="S " + unique())
        fields.setdefault("phonenr", ANSWERING)
        return self.one(self.source(cid, s, **fields), "sources")["source_id"]

    def put_blacklist(self, s, cid, numbers):
        self.ok(self.call(s, "PUT", "/customers/%s/blacklist" % cid,
                          data=dict(phonenrs=json.dumps(numbers))), "blacklist")

    def statuses(self, s=None, **params):
        return {st["source_id"]: st for st in
                self.ok(self.call(s or self.alice, "GET", "/sources/statuses", params=params),
                        "statuses")}

    def test_blacklisted_answering_number_makes_an_active_source_oos(self):
        sid = self.active_source(self.alice, self.cid)
        self.assertNotIn(sid, self.statuses())
        self.put_blacklist(self.alice, self.cid, ["+46709999999", ANSWERING])
        self.assertEqual(self.statuses()[sid], {"source_id": sid, "service": "OOS",
                                                "status": "active"})
        self.assertIn(sid, self.statuses(customer_id=self.cid))
        self.assertIn(sid, self.statuses(source_id=sid))
        self.put_blacklist(self.alice, self.cid, [])
        self.assertNotIn(sid, self.statuses())

    def test_blacklisted_alt_number_makes_the_source_oos(self):
        rules = [{"phonenr": "+46708888888", "weekdays": "sat,sun", "from_time": "00:00",
                  "to_time": "24:00"},
                 {"phonenr": "voicemail", "weekdays": "mon", "from_time": "00:00",
                  "to_time": "08:00"}]
        sid = self.active_source(self.alice, self.cid, alt_numbers=json.dumps(rules))
        self.assertNotIn(sid, self.statuses())
        self.put_blacklist(self.alice, self.cid, ["+46708888888"])
        self.assertEqual(self.statuses()[sid]["service"], "OOS")

    def test_another_customers_blacklist_does_not_count(self):
        sid = self.active_source(self.alice, self.cid)
        self.put_blacklist(self.alice, self.customer(self.alice), [ANSWERING])
        self.assertNotIn(sid, self.statuses())

    def test_a_blacklisted_source_is_listed_once(self):
        sid = self.active_source(self.alice, self.cid)
        self.put_blacklist(self.alice, self.cid, [ANSWERING])
        self.ok(self.call(self.alice, "DELETE", "/sources/%s" % sid), "sources")
        listed = [st for st in self.ok(self.call(self.alice, "GET", "/sources/statuses"),
                                       "statuses") if st["source_id"] == sid]
        self.assertEqual(listed, [{"source_id": sid, "service": "OOS", "status": "quarantined"}])

    def test_other_partners_do_not_see_the_status(self):
        sid = self.active_source(self.alice, self.cid)
        self.put_blacklist(self.alice, self.cid, [ANSWERING])
        self.assertNotIn(sid, self.statuses(self.session("bob")))


if __name__ == "__main__":
    unittest.main()
