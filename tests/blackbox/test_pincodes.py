"""/customers/pincodes as docs/api.md and the Freespee/Kaisa reference (§2.6) describe it."""

import datetime
import itertools
import json
import time
import unittest

import requests

from harness import TIME_RE, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

PINCODE_KEYS = {
    "pincode_id", "customer_id", "pincode", "phone_number", "cdr_id", "custom_lead_id",
    "custom_lead_data", "created", "expires", "outcome",
}
PHONE = "+46701234567"
OTHER_PHONE = "+46812345678"
SWITCH_SECRET = "pin-secret-" + unique()
_call_ids = itertools.count(1)


def parse(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


class PincodesTest(CustomerResourceMixin, ServerTestCase):
    def setUp(self):
        super().setUp()
        self.cid, self.custnr = self.customer_with_custnr(self.alice)

    def post(self, s=None, path="/customers/pincodes", **fields):
        fields.setdefault("pincode_length", "6")
        fields.setdefault("pincode_ttl", "1")
        return self.call(s or self.alice, "POST", path, data=fields)

    def create(self, s=None, **fields):
        if not {"customer_id", "custnr", "cdr_id"} & set(fields):
            fields["customer_id"] = self.cid
        fields.setdefault("phone_number", PHONE)
        return self.one(self.post(s, **fields), "pincodes")

    def get(self, s=None, path="/customers/pincodes", **params):
        return self.call(s or self.alice, "GET", path, params=params)

    def ids(self, s=None, path="/customers/pincodes", **params):
        return [p["pincode_id"] for p in self.ok(self.get(s, path, **params), "pincodes")]

    # -- POST, variant A: customer_id + phone_number ----------------------------------------
    def test_post_customer_and_phone_number(self):
        p = self.create(pincode_ttl="3")
        self.assertEqual(set(p), PINCODE_KEYS)
        self.assertRegex(p["pincode_id"], r"^[1-9][0-9]*$")
        self.assertEqual(p["customer_id"], self.cid)
        self.assertRegex(p["pincode"], r"^[0-9]{6}$")
        self.assertEqual(p["phone_number"], PHONE)
        self.assertIsNone(p["cdr_id"])
        self.assertIsNone(p["custom_lead_id"])
        self.assertIsNone(p["custom_lead_data"])
        self.assertIsNone(p["outcome"])
        self.assertRegex(p["created"], TIME_RE)
        self.assertRegex(p["expires"], TIME_RE)
        self.assertEqual(parse(p["expires"]) - parse(p["created"]), datetime.timedelta(days=3))
        self.assert_scalars_are_strings(
            p, nullable={"cdr_id", "custom_lead_id", "custom_lead_data", "outcome"})

    def test_pin_has_the_asked_length(self):
        for length in ("6", "7", "8"):
            with self.subTest(length=length):
                pin = self.create(pincode_length=length)["pincode"]
                self.assertRegex(pin, r"^[0-9]{%s}$" % length)

    def test_ttl_limits_are_inclusive(self):
        for ttl in (1, 14):
            p = self.create(pincode_ttl=str(ttl))
            self.assertEqual(parse(p["expires"]) - parse(p["created"]),
                             datetime.timedelta(days=ttl))

    def test_pins_of_one_customer_differ(self):
        pins = [self.create()["pincode"] for _ in range(40)]
        self.assertEqual(len(set(pins)), len(pins))

    def test_post_nested_spelling(self):
        p = self.create(path="/customers/%s/pincodes" % self.cid)
        self.assertEqual(p["customer_id"], self.cid)
        resp = self.post(path="/customers/%s/pincodes" % self.cid, customer_id=self.cid,
                         phone_number=PHONE)
        self.assertEqual(self.one(resp, "pincodes")["customer_id"], self.cid)
        resp = self.post(path="/customers/%s/pincodes" % self.cid,
                         customer_id=self.customer_with_custnr(self.alice)[0], phone_number=PHONE)
        self.assert_error(resp, 400, "conflicting_id", "customer_id")

    def test_optional_lead_fields(self):
        data = json.dumps({"name": "Åsa", "score": 7})
        p = self.create(custom_lead_id="L" * 36, custom_lead_data=data)
        self.assertEqual(p["custom_lead_id"], "L" * 36)
        self.assertEqual(p["custom_lead_data"], data)
        self.assertEqual(len(self.create(custom_lead_data=json.dumps("x" * 3998))
                             ["custom_lead_data"]), 4000)
        p = self.create(custom_lead_id="", custom_lead_data="")
        self.assertIsNone(p["custom_lead_id"])
        self.assertIsNone(p["custom_lead_data"])

    def test_phone_number_separators_are_tolerated(self):
        self.assertEqual(self.create(phone_number="+46 70-123 45 67")["phone_number"], PHONE)

    # -- POST, variant C: custnr + phone_number ---------------------------------------------
    def test_post_custnr_and_phone_number(self):
        p = self.create(custnr=self.custnr)
        self.assertEqual(p["customer_id"], self.cid)

    def test_unknown_or_foreign_custnr_is_404(self):
        self.assert_error(self.post(custnr="no-such", phone_number=PHONE), 404, "not_found",
                          "custnr")
        self.assert_error(self.post(self.bob, custnr=self.custnr, phone_number=PHONE), 404,
                          "not_found", "custnr")

    # -- POST, variant B: cdr_id ----------------------------------------------------------
    def test_unknown_cdr_is_404(self):
        # This server has no switch API, so no call records: every cdr_id is unknown.
        self.assert_error(self.post(cdr_id="1"), 404, "not_found", "cdr_id")
        self.assert_error(self.post(path="/customers/%s/pincodes" % self.cid, cdr_id="1"), 404,
                          "not_found", "cdr_id")

    def test_cdr_variant_rules(self):
        self.assert_error(self.post(cdr_id="x"), 400, "invalid", "cdr_id")
        self.assert_error(self.post(cdr_id="1", phone_number=PHONE), 400, "invalid",
                          "phone_number")
        self.assert_error(self.post(cdr_id="1", custnr=self.custnr), 400, "invalid", "custnr")
        self.assert_error(self.post(self.bob, cdr_id="1", customer_id=self.cid), 404,
                          "not_found", "customer_id")

    # -- POST validation ------------------------------------------------------------------
    def test_post_validation_errors(self):
        a = dict(customer_id=self.cid, phone_number=PHONE)
        cases = [
            (dict(a, pincode_length="5"), "invalid", "pincode_length"),
            (dict(a, pincode_length="9"), "invalid", "pincode_length"),
            (dict(a, pincode_length="six"), "invalid", "pincode_length"),
            (dict(a, pincode_ttl="0"), "invalid", "pincode_ttl"),
            (dict(a, pincode_ttl="15"), "invalid", "pincode_ttl"),
            (dict(a, pincode_ttl="1.5"), "invalid", "pincode_ttl"),
            (dict(customer_id=self.cid), "missing", "phone_number"),
            (dict(custnr=self.custnr), "missing", "phone_number"),
            (dict(phone_number=PHONE), "missing", "customer_id"),
            (dict(a, custnr=self.custnr), "invalid", "custnr"),
            (dict(a, phone_number="0701234567"), "invalid", "phone_number"),  # not E.164
            (dict(a, phone_number="+4670abc"), "invalid", "phone_number"),
            (dict(a, customer_id="x"), "invalid", "customer_id"),
            (dict(phone_number=PHONE, custnr=""), "missing", "custnr"),
            (dict(a, custom_lead_id="L" * 37), "too_long", "custom_lead_id"),
            (dict(a, custom_lead_data="{oops"), "invalid", "custom_lead_data"),
            (dict(a, custom_lead_data=json.dumps("x" * 3999)), "too_long", "custom_lead_data"),
            (dict(a, color="red"), "unknown_parameter", "color"),
        ]
        for fields, code, field in cases:
            with self.subTest(fields=fields):
                self.assert_error(self.post(**fields), 400, code, field)
        self.assertEqual(self.ids(customer_id=self.cid), [])

    def test_mandatory_length_and_ttl(self):
        resp = self.call(self.alice, "POST", "/customers/pincodes",
                         data=dict(customer_id=self.cid, phone_number=PHONE))
        errors = self.assert_error(resp, 400, "missing")
        self.assertEqual({e["field"] for e in errors}, {"pincode_length", "pincode_ttl"})

    def test_post_unknown_or_foreign_customer_is_404(self):
        self.assert_error(self.post(customer_id="999999", phone_number=PHONE), 404,
                          "not_found", "customer_id")
        self.assert_error(self.post(self.bob, customer_id=self.cid, phone_number=PHONE), 404,
                          "not_found", "customer_id")
        self.assert_error(self.post(self.bob, path="/customers/%s/pincodes" % self.cid,
                                    phone_number=PHONE), 404, "not_found", "customer_id")

    # -- GET ------------------------------------------------------------------------------
    def test_get_lists_newest_first_with_paging(self):
        first = self.create()["pincode_id"]
        second = self.create()["pincode_id"]
        third = self.create()["pincode_id"]
        self.assertEqual(self.ids(customer_id=self.cid), [third, second, first])
        resp = self.get(customer_id=self.cid, page=1, pagesize=2)
        self.assertEqual([p["pincode_id"] for p in self.ok(resp, "pincodes")], [first])
        body = resp.json()
        self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                         ("3", "1", "2", "2"))
        self.assertNotIn("calls", body)

    def test_default_page_is_1000(self):
        self.create()
        body = self.get(customer_id=self.cid).json()
        self.assertEqual((body["page"], body["pagesize"]), ("0", "1000"))

    def test_get_by_pincode_id_comes_with_calls(self):
        p = self.create()
        self.create()
        for path, params in (("/customers/pincodes", {"pincode_id": p["pincode_id"]}),
                             ("/customers/%s/pincodes" % self.cid,
                              {"pincode_id": p["pincode_id"]}),
                             ("/customers/%s/pincodes/%s" % (self.cid, p["pincode_id"]), {})):
            with self.subTest(path=path):
                resp = self.get(path=path, **params)
                self.assertEqual(self.one(resp, "pincodes"), p)
                self.assertEqual(resp.json()["calls"], [])

    def test_get_nested_spelling_lists_the_customer(self):
        other, _ = self.customer_with_custnr(self.alice)
        mine = self.create()["pincode_id"]
        self.create(customer_id=other)
        self.assertEqual(self.ids(path="/customers/%s/pincodes" % self.cid), [mine])
        self.assertEqual(self.ids(path="/2.4.9/customers/%s/pincodes" % self.cid), [mine])

    def test_get_without_filters_lists_every_customer_of_the_partner(self):
        other, _ = self.customer_with_custnr(self.alice)
        a = self.create()["pincode_id"]
        b = self.create(customer_id=other)["pincode_id"]
        got = self.ids()
        self.assertLess(got.index(b), got.index(a))

    def test_get_validation_and_not_found(self):
        self.assert_error(self.get(pincode_id="x"), 400, "invalid", "pincode_id")
        self.assert_error(self.get(customer_id="0"), 400, "invalid", "customer_id")
        self.assert_error(self.get(page="-1"), 400, "invalid", "page")
        self.assert_error(self.get(pincode_id="999999"), 404, "not_found", "pincode_id")
        self.assert_error(self.get(customer_id="999999"), 404, "not_found", "customer_id")

    def test_partners_see_only_their_own_pincodes(self):
        p = self.create()
        bobs_customer, _ = self.customer_with_custnr(self.bob)
        theirs = self.create(self.bob, customer_id=bobs_customer)["pincode_id"]
        self.assertNotIn(p["pincode_id"], self.ids(self.bob))
        self.assertEqual(self.ids(self.bob), [theirs])
        self.assert_error(self.get(self.bob, pincode_id=p["pincode_id"]), 404, "not_found",
                          "pincode_id")
        self.assert_error(self.get(self.bob, customer_id=self.cid), 404, "not_found",
                          "customer_id")
        self.assert_error(self.get(self.bob, path="/customers/%s/pincodes" % self.cid), 404,
                          "not_found", "customer_id")

    # -- other methods --------------------------------------------------------------------
    def test_put_and_delete_are_405(self):
        p = self.create()
        for method in ("PUT", "DELETE"):
            for path in ("/customers/pincodes", "/customers/%s/pincodes" % self.cid):
                with self.subTest(method=method, path=path):
                    resp = self.call(self.alice, method, path,
                                     params=dict(pincode_id=p["pincode_id"]))
                    self.assert_error(resp, 405, "method_not_allowed")
                    self.assertEqual(resp.headers.get("Allow"), "GET, POST")

    def test_without_credentials_is_401(self):
        self.assert_unauthorized(requests.get(self.url("/customers/pincodes"), timeout=10))
        self.assert_unauthorized(requests.post(self.url("/customers/pincodes"), timeout=10,
                                               data=dict(customer_id=self.cid)))


class PincodeCallsTest(CustomerResourceMixin, ServerTestCase):
    """Variant B, `calls` and `outcome`, with call records made through the switch API."""
    SWITCH_SECRET = SWITCH_SECRET

    def setUp(self):
        super().setUp()
        self.cid, _ = self.customer_with_custnr(self.alice)
        self.number = self.one(self.source(self.cid), "sources")["destnr"]

    def call_in(self, caller, number=None, events=(("answered", {}), ("hangup", {}))):
        """A call from `caller` to `number` (default the customer's) through the switch API,
        with the given events; returns its cdr_id."""
        cid = "pin-%s-%d" % (unique(), next(_call_ids))
        resp = self.switch_post("/switch/route", {"call_id": cid, "caller": caller,
                                                  "dialled": number or self.number})
        self.assertEqual(resp.status_code, 200, resp.text)
        t = 1_800_000_000
        for i, (event, extra) in enumerate(events):
            r = self.switch_post("/switch/events", dict(extra, call_id=cid, event=event, at=t + i))
            self.assertEqual(r.status_code, 200, r.text)
        return resp.json()["cdr_id"]

    def post(self, s=None, path="/customers/pincodes", **fields):
        fields.setdefault("pincode_length", "6")
        fields.setdefault("pincode_ttl", "1")
        return self.call(s or self.alice, "POST", path, data=fields)

    def pin_with_calls(self, pincode_id, s=None):
        resp = self.call(s or self.alice, "GET", "/customers/pincodes",
                         params={"pincode_id": pincode_id})
        return self.one(resp, "pincodes"), resp.json()["calls"]

    def test_cdr_variant_ties_the_pin_to_the_calls_customer(self):
        cdr = self.call_in(PHONE)
        for path in ("/customers/pincodes", "/customers/%s/pincodes" % self.cid):
            with self.subTest(path=path):
                p = self.one(self.post(path=path, cdr_id=cdr), "pincodes")
                self.assertEqual((p["cdr_id"], p["customer_id"]), (cdr, self.cid))
                # The CDR masks its caller, so the PIN does not show it either.
                self.assertIsNone(p["phone_number"])
                self.assertRegex(p["pincode"], r"^[0-9]{6}$")

    def test_cdr_of_another_customer_or_partner_is_404(self):
        cdr = self.call_in(PHONE)
        other = self.customer()
        self.assert_error(self.post(cdr_id=cdr, customer_id=other), 404, "not_found", "cdr_id")
        self.assert_error(self.post(path="/customers/%s/pincodes" % other, cdr_id=cdr), 404,
                          "not_found", "cdr_id")
        self.assert_error(self.post(self.bob, cdr_id=cdr), 404, "not_found", "cdr_id")
        bobs = self.customer(self.bob)
        self.assert_error(self.post(self.bob, cdr_id=cdr, customer_id=bobs), 404, "not_found",
                          "cdr_id")
        self.assertEqual(self.ok(self.call(self.bob, "GET", "/customers/pincodes"),
                                 "pincodes"), [])

    def test_get_by_cdr_id_lists_the_pins_issued_for_that_call(self):
        cdr = self.call_in(PHONE)
        other_cdr = self.call_in(OTHER_PHONE)
        tied = self.one(self.post(cdr_id=cdr), "pincodes")["pincode_id"]
        self.one(self.post(cdr_id=other_cdr), "pincodes")
        self.one(self.post(customer_id=self.cid, phone_number=PHONE), "pincodes")
        got = self.ok(self.call(self.alice, "GET", "/customers/pincodes",
                                params={"cdr_id": cdr}), "pincodes")
        self.assertEqual([p["pincode_id"] for p in got], [tied])
        self.assert_error(self.call(self.alice, "GET", "/customers/pincodes",
                                    params={"cdr_id": "999999"}), 404, "not_found", "cdr_id")
        self.assert_error(self.call(self.alice, "GET", "/customers/pincodes",
                                    params={"cdr_id": "x"}), 400, "invalid", "cdr_id")
        # Another partner's call is unknown to bob, even to list nothing.
        self.assert_error(self.call(self.bob, "GET", "/customers/pincodes",
                                    params={"cdr_id": cdr}), 404, "not_found", "cdr_id")

    def test_calls_are_the_callers_calls_to_the_customer_while_the_pin_lives(self):
        before = self.call_in(PHONE)
        time.sleep(1.1)  # `created` has whole seconds: the call above is before it
        pin = self.one(self.post(customer_id=self.cid, phone_number=PHONE), "pincodes")
        self.assertIsNone(pin["outcome"])
        answered = self.call_in(PHONE)
        self.call_in(OTHER_PHONE)  # another caller
        other_number = self.one(self.source(self.customer()), "sources")["destnr"]
        self.call_in(PHONE, number=other_number)  # another customer of the partner
        bob_number = self.one(self.source(self.customer(self.bob), s=self.bob), "sources")
        self.call_in(PHONE, number=bob_number["destnr"])  # another partner
        busy = self.call_in(PHONE, events=(("failed", {"sip_status": 486}),))

        got, calls = self.pin_with_calls(pin["pincode_id"])
        self.assertNotIn(before, [c["cdr_id"] for c in calls])
        self.assertEqual([c["cdr_id"] for c in calls], [answered, busy])
        self.assertEqual(set(calls[0]), {"cdr_id", "start", "answered", "duration", "status"})
        self.assertEqual((calls[0]["answered"], calls[0]["duration"], calls[0]["status"]),
                         ("1", "1", "answered"))
        self.assertEqual((calls[1]["answered"], calls[1]["status"]), ("0", "busy"))
        # The outcome is how the latest call ended, in the single view and in lists.
        self.assertEqual(got["outcome"], "busy")
        listed = self.ok(self.call(self.alice, "GET", "/customers/pincodes",
                                   params={"customer_id": self.cid}), "pincodes")
        self.assertEqual([p["outcome"] for p in listed if p["pincode_id"] == pin["pincode_id"]],
                         ["busy"])
        self.call_in(PHONE)
        self.assertEqual(self.pin_with_calls(pin["pincode_id"])[0]["outcome"], "answered")

    def test_cdr_variant_follows_the_calls_caller(self):
        cdr = self.call_in(OTHER_PHONE, events=(("failed", {"sip_status": 486}),))
        pin = self.one(self.post(cdr_id=cdr), "pincodes")
        self.assertEqual(self.pin_with_calls(pin["pincode_id"])[1], [])  # its own call is before
        later = self.call_in(OTHER_PHONE)
        self.call_in(PHONE)
        got, calls = self.pin_with_calls(pin["pincode_id"])
        self.assertEqual([c["cdr_id"] for c in calls], [later])
        self.assertEqual(got["outcome"], "answered")

    def test_anonymous_caller_identifies_no_one(self):
        cdr = self.call_in("anonymous")
        pin = self.one(self.post(cdr_id=cdr), "pincodes")
        self.call_in("anonymous")
        got, calls = self.pin_with_calls(pin["pincode_id"])
        self.assertEqual((calls, got["outcome"]), ([], None))


if __name__ == "__main__":
    unittest.main()
