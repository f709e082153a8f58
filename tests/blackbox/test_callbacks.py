"""/customers/callbacks as docs/api.md and the Freespee reference (§2.5) describe it."""

import datetime
import json
import unittest

import requests

from harness import TIME_RE, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

CALLBACK_KEYS = {
    "id", "customer_id", "agent_nr", "requester_nr", "caller_id", "scheduled", "retries",
    "retry_interval", "completed", "cdr_id", "custom_dynamic", "call_recording", "created",
}
AGENT = "+46701234567"
REQUESTER = "+46709876543"


def utc(delta=datetime.timedelta()):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return (now + delta).strftime("%Y-%m-%d %H:%M:%S")


def parse(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


class CallbacksTest(CustomerResourceMixin, ServerTestCase):
    def setUp(self):
        super().setUp()
        self.cid = self.customer(self.alice)

    def post(self, s=None, path="/customers/callbacks", **fields):
        if path == "/customers/callbacks":
            fields.setdefault("customer_id", self.cid)
        fields.setdefault("agent_nr", AGENT)
        fields.setdefault("requester_nr", REQUESTER)
        return self.call(s or self.alice, "POST", path, data=fields)

    def create(self, **fields):
        return self.one(self.post(**fields), "callbacks")

    def listed(self, s=None, path="/customers/callbacks", **params):
        if path == "/customers/callbacks":
            params.setdefault("customer_id", self.cid)
        return self.ok(self.call(s or self.alice, "GET", path, params=params), "callbacks")

    def ids(self, **params):
        return [c["id"] for c in self.listed(**params)]

    # -- POST -----------------------------------------------------------------------------
    def test_post_with_defaults(self):
        c = self.create()
        self.assertEqual(set(c), CALLBACK_KEYS)
        self.assertRegex(c["id"], r"^[1-9][0-9]*$")
        self.assertEqual(c["customer_id"], self.cid)
        self.assertEqual(c["agent_nr"], AGENT)
        self.assertEqual(c["requester_nr"], REQUESTER)
        self.assertEqual(c["caller_id"], AGENT)  # default: the agent's number
        self.assertEqual(c["retries"], "0")  # Kaisa default
        self.assertEqual(c["retry_interval"], "300")
        self.assertEqual(c["completed"], "0")
        self.assertIsNone(c["cdr_id"])
        self.assertIsNone(c["custom_dynamic"])
        self.assertEqual(c["call_recording"], "0")
        self.assertRegex(c["created"], TIME_RE)
        self.assertRegex(c["scheduled"], TIME_RE)
        # scheduled defaults to now (as soon as possible)
        self.assertLessEqual(abs((parse(c["scheduled"]) - parse(c["created"])).total_seconds()), 2)
        self.assertLessEqual(abs((parse(c["scheduled"]) - parse(utc())).total_seconds()), 5)
        self.assert_scalars_are_strings(c, nullable={"cdr_id", "custom_dynamic"})

    def test_post_with_every_field_round_trips(self):
        scheduled = utc(2 * HOUR)
        dynamic = json.dumps({"lead": "42", "tags": ["a", "b"]})
        c = self.create(scheduled=scheduled, retries="3", retry_interval="120",
                        caller_id="+4684000000", custom_dynamic=dynamic, call_recording="1")
        self.assertEqual(c["scheduled"], scheduled)
        self.assertEqual(c["retries"], "3")
        self.assertEqual(c["retry_interval"], "120")
        self.assertEqual(c["caller_id"], "+4684000000")
        self.assertEqual(c["custom_dynamic"], dynamic)
        self.assertEqual(c["call_recording"], "1")
        got = [x for x in self.listed() if x["id"] == c["id"]]
        self.assertEqual(got, [c])

    def test_post_nested_spelling(self):
        c = self.create(path="/customers/%s/callbacks" % self.cid)
        self.assertEqual(c["customer_id"], self.cid)
        resp = self.post(path="/customers/%s/callbacks" % self.cid, customer_id=self.cid)
        self.assertEqual(self.one(resp, "callbacks")["customer_id"], self.cid)

    def test_post_nested_spelling_with_disagreeing_customer_id_is_400(self):
        other = self.customer(self.alice)
        resp = self.post(path="/customers/%s/callbacks" % self.cid, customer_id=other)
        self.assert_error(resp, 400, "conflicting_id", "customer_id")

    def test_e164_numbers_with_separators_are_normalised(self):
        c = self.create(agent_nr="+46 70-123 45 67", requester_nr="+46 (70) 987 65 43")
        self.assertEqual(c["agent_nr"], AGENT)
        self.assertEqual(c["requester_nr"], REQUESTER)

    def test_inclusive_limits(self):
        c = self.create(retries="10", retry_interval="86400",
                        custom_dynamic=json.dumps("x" * 3998))
        self.assertEqual(c["retries"], "10")
        self.assertEqual(c["retry_interval"], "86400")
        self.assertEqual(len(c["custom_dynamic"]), 4000)
        self.assertEqual(self.create(retries="0", retry_interval="30")["retry_interval"], "30")

    def test_empty_custom_dynamic_means_none(self):
        self.assertIsNone(self.create(custom_dynamic="")["custom_dynamic"])

    def test_post_missing_mandatory_fields_named_in_one_answer(self):
        resp = self.call(self.alice, "POST", "/customers/callbacks", data={"retries": "1"})
        errors = self.assert_error(resp, 400, "missing")
        self.assertEqual({e["field"] for e in errors if e["code"] == "missing"},
                         {"customer_id", "agent_nr", "requester_nr"})

    def test_post_validation_errors(self):
        cases = [
            (dict(agent_nr="0701234567"), "invalid", "agent_nr"),  # national form refused
            (dict(agent_nr="+46abc"), "invalid", "agent_nr"),
            (dict(agent_nr=""), "invalid", "agent_nr"),
            (dict(requester_nr="0709876543"), "invalid", "requester_nr"),
            (dict(requester_nr="+12"), "invalid", "requester_nr"),
            (dict(caller_id="08123456"), "invalid", "caller_id"),
            (dict(scheduled="tomorrow"), "invalid", "scheduled"),
            (dict(scheduled="2030-02-30 10:00:00"), "invalid", "scheduled"),
            (dict(retries="-1"), "invalid", "retries"),
            (dict(retries="11"), "invalid", "retries"),
            (dict(retries="x"), "invalid", "retries"),
            (dict(retry_interval="29"), "invalid", "retry_interval"),
            (dict(retry_interval="86401"), "invalid", "retry_interval"),
            (dict(custom_dynamic="{not json"), "invalid", "custom_dynamic"),
            (dict(custom_dynamic=json.dumps("x" * 3999)), "too_long", "custom_dynamic"),
            (dict(call_recording="2"), "invalid", "call_recording"),
            (dict(customer_id="abc"), "invalid", "customer_id"),
            (dict(customer_id="0"), "invalid", "customer_id"),
            (dict(color="red"), "unknown_parameter", "color"),
        ]
        for fields, code, field in cases:
            with self.subTest(fields=fields):
                self.assert_error(self.post(**fields), 400, code, field)
        self.assertEqual(self.ids(from_date=utc(-DAY), to_date=utc(DAY)), [])

    def test_post_unknown_customer_is_404(self):
        self.assert_error(self.post(customer_id="999999"), 404, "not_found", "customer_id")

    def test_post_for_another_partners_customer_is_404(self):
        resp = self.post(self.bob)
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.post(self.bob, path="/customers/%s/callbacks" % self.cid)
        self.assert_error(resp, 404, "not_found", "customer_id")
        self.assertEqual(self.ids(from_date=utc(-DAY), to_date=utc(DAY)), [])

    # -- GET ------------------------------------------------------------------------------
    def test_get_defaults_to_the_coming_week(self):
        soon = self.create(scheduled=utc(HOUR))["id"]
        in_six_days = self.create(scheduled=utc(6 * DAY))["id"]
        self.create(scheduled=utc(8 * DAY))
        self.create(scheduled=utc(-HOUR))
        self.assertEqual(self.ids(), [soon, in_six_days])

    def test_get_window_is_inclusive_and_ordered_by_scheduled(self):
        late = self.create(scheduled="2031-03-05 10:00:00")["id"]
        early = self.create(scheduled="2031-03-01 00:00:00")["id"]
        edge = self.create(scheduled="2031-03-06 00:00:00")["id"]
        self.create(scheduled="2031-03-06 00:00:01")
        self.create(scheduled="2031-02-28 23:59:59")
        got = self.ids(from_date="2031-03-01 00:00:00", to_date="2031-03-06 00:00:00")
        self.assertEqual(got, [early, late, edge])
        # a date alone means midnight
        self.assertEqual(self.ids(from_date="2031-03-01", to_date="2031-03-06"), got)

    def test_get_past_window(self):
        past = self.create(scheduled=utc(-3 * DAY))["id"]
        self.assertEqual(self.ids(from_date=utc(-4 * DAY), to_date=utc(-2 * DAY)), [past])

    def test_get_from_date_beyond_a_week_moves_the_default_window(self):
        first = self.create(scheduled="2032-06-01 12:00:00")["id"]
        week_later = self.create(scheduled="2032-06-08 12:00:00")["id"]
        self.create(scheduled="2032-06-08 12:00:01")
        self.assertEqual(self.ids(from_date="2032-06-01 12:00:00"), [first, week_later])

    def test_get_nested_spelling(self):
        c = self.create(scheduled=utc(HOUR))
        got = self.listed(path="/customers/%s/callbacks" % self.cid)
        self.assertEqual(got, [c])
        got = self.listed(path="/2.4.9/customers/%s/callbacks" % self.cid)
        self.assertEqual(got, [c])

    def test_get_shows_only_the_given_customer(self):
        other = self.customer(self.alice)
        mine = self.create(scheduled=utc(HOUR))["id"]
        self.create(customer_id=other, scheduled=utc(HOUR))
        self.assertEqual(self.ids(), [mine])

    def test_get_paging(self):
        ids = [self.create(scheduled="2033-01-0%d 10:00:00" % d)["id"] for d in (1, 2, 3)]
        window = dict(from_date="2033-01-01", to_date="2033-01-04")
        resp = self.call(self.alice, "GET", "/customers/callbacks",
                         params=dict(customer_id=self.cid, page=1, pagesize=2, **window))
        self.assertEqual([c["id"] for c in self.ok(resp, "callbacks")], ids[2:])
        body = resp.json()
        self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                         ("3", "1", "2", "2"))

    def test_get_validation_errors(self):
        resp = self.call(self.alice, "GET", "/customers/callbacks")
        self.assert_error(resp, 400, "missing", "customer_id")
        cases = [
            (dict(customer_id="x"), "invalid", "customer_id"),
            (dict(from_date="yesterday"), "invalid", "from_date"),
            (dict(to_date="2031-13-01"), "invalid", "to_date"),
            (dict(from_date="2031-03-02", to_date="2031-03-01"), "invalid", "to_date"),
            (dict(page="-1"), "invalid", "page"),
        ]
        for params, code, field in cases:
            with self.subTest(params=params):
                params.setdefault("customer_id", self.cid)
                resp = self.call(self.alice, "GET", "/customers/callbacks", params=params)
                self.assert_error(resp, 400, code, field)

    def test_get_unknown_or_foreign_customer_is_404(self):
        for s, cid in ((self.alice, "999999"), (self.bob, self.cid)):
            for path, params in (("/customers/callbacks", {"customer_id": cid}),
                                 ("/customers/%s/callbacks" % cid, {})):
                with self.subTest(path=path):
                    resp = self.call(s, "GET", path, params=params)
                    self.assert_error(resp, 404, "not_found", "customer_id")

    def test_partners_see_only_their_own_callbacks(self):
        mine = self.create(scheduled=utc(HOUR))["id"]
        bobs_customer = self.customer(self.bob)
        theirs = self.one(self.post(self.bob, customer_id=bobs_customer, scheduled=utc(HOUR)),
                          "callbacks")["id"]
        self.assertEqual(self.ids(), [mine])
        self.assertEqual(self.ids(s=self.bob, customer_id=bobs_customer), [theirs])

    # -- other methods --------------------------------------------------------------------
    def test_put_and_delete_are_405(self):
        c = self.create()
        for method in ("PUT", "DELETE"):
            for path in ("/customers/callbacks", "/customers/%s/callbacks" % self.cid):
                with self.subTest(method=method, path=path):
                    resp = self.call(self.alice, method, path,
                                     params=dict(customer_id=self.cid, id=c["id"]))
                    self.assert_error(resp, 405, "method_not_allowed")
                    self.assertEqual(resp.headers.get("Allow"), "GET, POST")

    def test_without_credentials_is_401(self):
        resp = requests.get(self.url("/customers/callbacks"), params={"customer_id": self.cid},
                            timeout=10)
        self.assert_unauthorized(resp)


if __name__ == "__main__":
    unittest.main()
