"""Calls to pool numbers (issue 15, item 1): the switch API routes a call to a number of a pool
with the routing settings of the pool's source, exactly as it routes a call to a static source
with the same settings, and the call record names the pool as its source. A number removed from
a pool, and every number of a deleted pool, is refused as a quarantined source's number is; an
archived pool's numbers belong to nobody."""

import datetime
import itertools
import json
import unittest
import zoneinfo

import requests

from harness import HTTP_TIMEOUT, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

SECRET = "switch-secret-" + unique()
CALLER = "+46701111111"
ANSWERING = "+46890510"
ALTERNATIVE = "+46890520"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_call_ids = itertools.count(1)
# Each pool takes numbers of an area code no other pool of this server uses.
_area_codes = itertools.count(610)
# What differs between two calls to two holders with the same settings (a rejected call ends
# when it is routed; a static source's call says it has no visit because it is static).
PER_CALL = {"cdr_id", "start", "end", "bnum", "source_id", "timestamp", "attribution",
            "attribution_text"}


def call_id():
    return "pc-%s-%d" % (unique(), next(_call_ids))


def today_rule(number):
    today = WEEKDAYS[datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Stockholm")).weekday()]
    return json.dumps([{"phonenr": number, "weekdays": today,
                        "from_time": "00:00", "to_time": "24:00"}])


class PoolCallsTest(CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    PARTNERS = dict(CustomerResourceMixin.PARTNERS, brief=dict(password="brief-pw"))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # brief's deleted sources and pools are archived at once: no quarantine.
        cls.server.cli("partner", "set", "--username", "brief", "--quarantine-days", "0",
                       check=True)

    def setUp(self):
        super().setUp()
        self.cid = self.customer()

    # -- helpers ----------------------------------------------------------------------------
    def pool(self, s=None, customer_id=None, count=2, **fields):
        """A pool of `count` fresh numbers; returns (pool, its numbers)."""
        ndc = str(next(_area_codes))
        numbers = ["+46%s%06d" % (ndc, i) for i in range(count)]
        self.server.cli("numbers", "add", *numbers, check=True)
        fields.update(customer_id=customer_id or self.cid, ndc=ndc, count=str(count))
        fields.setdefault("name", "Web " + unique())
        fields.setdefault("media", "web")
        fields.setdefault("phonenr", "0890510")
        pool = self.one(self.call(s or self.alice, "POST", "/pools", data=fields), "pools")
        self.assertEqual([n["number"] for n in pool["numbers"]], numbers)
        return pool, numbers

    def static_source(self, **fields):
        """A static source of alice's customer with `fields`; returns (source_id, number)."""
        source = self.one(self.source(self.cid, **fields), "sources")
        return source["source_id"], source["destnr"]

    def route(self, dialled, caller=CALLER):
        resp = self.switch_post("/switch/route",
                                {"call_id": call_id(), "caller": caller, "dialled": dialled})
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()

    def cdr(self, cdr_id, s=None):
        resp = self.call(s or self.alice, "GET", "/statistics/cdrs",
                         params={"cdr_id": cdr_id, "extended": "1"})
        items = self.ok(resp, "cdrs")
        self.assertEqual(len(items), 1, items)
        return items[0]

    def assert_routed_alike(self, pool_number, static_number, caller=CALLER):
        """Routes a call to each number; both decisions and records agree but for the call's
        own facts. Returns the pool call's (decision, record)."""
        pool_decision = self.route(pool_number, caller)
        static_decision = self.route(static_number, caller)
        self.assertEqual({k: v for k, v in pool_decision.items() if k != "cdr_id"},
                         {k: v for k, v in static_decision.items() if k != "cdr_id"})
        pool_cdr = self.cdr(pool_decision["cdr_id"])
        static_cdr = self.cdr(static_decision["cdr_id"])
        self.assertEqual({k: v for k, v in pool_cdr.items() if k not in PER_CALL},
                         {k: v for k, v in static_cdr.items() if k not in PER_CALL})
        self.assertEqual(pool_cdr["bnum"], pool_number)
        return pool_decision, pool_cdr

    # -- routing ----------------------------------------------------------------------------
    def test_a_pool_number_is_routed_with_the_pools_settings(self):
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "Radio", "pricing_model_id": "ppc",
            "call_recording": "1", "vm_divert_busy": "1"}), "campaigns")
        variants = [
            {},
            {"vm_divert_all": "1"},
            {"alt_numbers": today_rule(ALTERNATIVE)},
            {"alt_numbers": today_rule("voicemail")},
            {"campaign_id": campaign["campaign_id"], "vm_divert_noanswer": "1"},
        ]
        for fields in variants:
            with self.subTest(fields=fields):
                name = "Same " + unique()
                pool, numbers = self.pool(name=name, media="adwords", **fields)
                _, static_number = self.static_source(name=name, media="adwords", **fields)
                for number in numbers:
                    _, record = self.assert_routed_alike(number, static_number)
                    self.assertEqual(record["source_id"], pool["pool_id"])
                    self.assertEqual((record["source_name"], record["source_media"]),
                                     (name, "adwords"))
                    # An extended CDR's timestamp is the source's creation (Freespee's
                    # reference), not its activation, which the request's start sets and
                    # may be a second earlier.
                    self.assertEqual(record["timestamp"], pool["created"])

    def test_the_dialled_number_without_plus_reaches_the_pool(self):
        pool, numbers = self.pool(count=1)
        decision = self.route(numbers[0].lstrip("+"))
        self.assertEqual((decision["action"], decision["destination"]), ("forward", ANSWERING))
        self.assertEqual(self.cdr(decision["cdr_id"])["bnum"], numbers[0])

    def test_the_customers_blacklist_refuses_callers_of_its_pools(self):
        _, numbers = self.pool(count=1, name="Same", media="web")
        _, static_number = self.static_source(name="Same", media="web")
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data={"customer_id": self.cid, "phonenrs": json.dumps([CALLER])}),
                "blacklist")
        decision, record = self.assert_routed_alike(numbers[0], static_number)
        self.assertEqual((decision["action"], decision["sip_status"]), ("reject", "403"))
        self.assertEqual(record["status"], "rejected")
        self.assertEqual(self.route(numbers[0], "+46702222222")["action"], "forward")

    def test_calls_are_the_pool_customers_only(self):
        pool, numbers = self.pool(count=1)
        decision = self.route(numbers[0])
        resp = self.call(self.bob, "GET", "/statistics/cdrs", params={"cdr_id": decision["cdr_id"]})
        self.assertEqual(self.ok(resp, "cdrs"), [])
        listed = self.ok(self.call(self.alice, "GET", "/statistics/cdrs",
                                   params={"source_id": pool["pool_id"]}), "cdrs")
        self.assertEqual([c["cdr_id"] for c in listed], [decision["cdr_id"]])

    # -- why a call has no visit ------------------------------------------------------------
    VISIT_KEYS = ("dni_session_id", "landing_url", "referrer", "utm_source", "utm_medium",
                  "utm_campaign", "utm_term", "utm_content", "gclid", "gbraid", "wbraid",
                  "fbclid", "msclkid", "ga_client_id")

    def events_of(self, cdr_id):
        resp = self.call(self.alice, "GET", "/events", params={"after": "0", "limit": "1000"})
        return [e["data"] for e in self.ok(resp, "events") if e.get("cdr_id") == cdr_id]

    def test_a_call_says_why_it_has_no_visit_in_its_record_and_webhooks(self):
        # Numbers are shown to visitors through the browser script and the server-side API;
        # a number nobody was shown names no visit (the visits themselves: CallRouterTest).
        _, numbers = self.pool(count=1)
        decision = self.route(numbers[0])
        record = self.cdr(decision["cdr_id"])
        self.assertEqual(record["attribution"], "number_never_assigned")
        self.assertEqual(record["attribution_text"],
                         "no visit: the number had not been shown to any visitor before the call")
        for key in self.VISIT_KEYS:
            self.assertIsNone(record[key], key)
        events = self.events_of(decision["cdr_id"])
        self.assertTrue(events)
        for data in events:
            self.assertEqual(data["attribution"], "number_never_assigned")
            self.assertIsNone(data["gclid"])

        # A static source's call says so in its extended record; its webhooks and its plain
        # record are as they were before dynamic numbers.
        _, static_number = self.static_source()
        decision = self.route(static_number)
        record = self.cdr(decision["cdr_id"])
        self.assertEqual((record["attribution"], record["attribution_text"]),
                         ("static_source", "no visit: the number belongs to a static source"))
        plain = self.one(self.call(self.alice, "GET", "/statistics/cdrs",
                                   params={"cdr_id": decision["cdr_id"]}), "cdrs")
        self.assertNotIn("attribution", plain)
        for data in self.events_of(decision["cdr_id"]):
            self.assertNotIn("attribution", data)
            self.assertNotIn("gclid", data)

    def test_a_call_to_a_visitors_number_names_the_visit_and_pool_health_counts_it(self):
        origin = "https://shop.example"
        pool, numbers = self.pool(count=2, is_default="1", allowed_origins=origin)
        customer = self.one(self.call(self.alice, "GET", "/customers",
                                      params={"customer_id": self.cid}), "customers")
        landing = origin + "/offers?utm_source=google&utm_campaign=spring&gclid=Cj0-abc"
        visit = requests.get(self.url("/dni/number"), timeout=HTTP_TIMEOUT, params={
            "advid": customer["uuid"], "url": landing, "referrer": "https://www.google.com/"},
            headers={"Origin": origin, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox"})
        self.assertEqual(visit.status_code, 200, visit.text)
        shown = visit.json()
        self.assertEqual(shown["number"], numbers[0])

        decision = self.route(shown["number"])
        record = self.cdr(decision["cdr_id"])
        self.assertEqual(record["attribution"], "matched")
        self.assertEqual((record["dni_session_id"], record["landing_url"], record["gclid"],
                          record["utm_source"], record["utm_campaign"]),
                         (shown["session_id"], landing, "Cj0-abc", "google", "spring"))
        self.assertIn(shown["session_id"], record["attribution_text"])
        for data in self.events_of(decision["cdr_id"]):
            self.assertEqual((data["landing_url"], data["gclid"]), (landing, "Cj0-abc"))
        unmatched = self.route(numbers[1])  # never shown to anyone

        health = self.one(self.call(self.alice, "GET", "/pools/health",
                                    params={"pool_id": pool["pool_id"]}), "pool_health")
        self.assertEqual({k: health[k] for k in (
            "sessions", "numbers", "peak_numbers_held", "times_exhausted", "calls_matched",
            "calls_unmatched")}, {"sessions": "1", "numbers": "2", "peak_numbers_held": "1",
                                  "times_exhausted": "0", "calls_matched": "1",
                                  "calls_unmatched": "1"})
        self.assertGreaterEqual(int(health["recommended_size"]), 2)
        self.assertTrue(unmatched["cdr_id"])
        # Another partner's pool, or a static source, has no health to read.
        for s, pool_id in ((self.bob, pool["pool_id"]),
                           (self.alice, self.static_source()[0])):
            resp = self.call(s, "GET", "/pools/health", params={"pool_id": pool_id})
            self.assert_error(resp, 404, "not_found", "pool_id")
        resp = self.call(self.alice, "GET", "/pools/health", params={
            "pool_id": pool["pool_id"], "from_date": "2026-02-01 00:00:00",
            "to_date": "2026-01-01 00:00:00"})
        self.assert_error(resp, 400, "invalid", "to_date")

        # A data subject's request: another partner cannot reach the session; its partner
        # erases it, and the call keeps why it had a visit but no longer the visit.
        resp = self.call(self.bob, "DELETE", "/visitors",
                         params={"session_id": shown["session_id"]})
        self.assert_error(resp, 404, "not_found", "session_id")
        erased = self.one(self.call(self.alice, "DELETE", "/visitors",
                                    params={"session_id": shown["session_id"]}), "visitors")
        self.assertEqual((erased["sessions_erased"], erased["calls_erased"]), ("1", "1"))
        record = self.cdr(decision["cdr_id"])
        self.assertEqual(record["attribution"], "matched")
        self.assertNotIn(shown["session_id"], record["attribution_text"])
        for key in self.VISIT_KEYS:
            self.assertIsNone(record[key], key)
        events = self.events_of(decision["cdr_id"])
        self.assertTrue(events)
        for data in events:
            self.assertNotIn("Cj0-abc", json.dumps(data))
            self.assertNotIn(shown["session_id"], json.dumps(data))
        resp = self.alice.delete(self.url("/visitors"), data=b"visitor_id=Malm%F6",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 timeout=HTTP_TIMEOUT)
        self.assert_error(resp, 400, "invalid_encoding", "visitor_id")
        for params, field in (({}, "visitor_id"),
                              ({"visitor_id": "v1", "session_id": "s1"}, "session_id"),
                              ({"session_id": "x'; DROP"}, "session_id")):
            resp = self.call(self.alice, "DELETE", "/visitors", params=params)
            self.assertEqual(resp.status_code, 400, resp.text)
            self.assertEqual(resp.json()["errors"][0]["field"], field)

    # -- quarantine and archive -------------------------------------------------------------
    def assert_refused_as_quarantined(self, number, source_id):
        decision = self.route(number)
        self.assertEqual({k: v for k, v in decision.items() if k != "cdr_id"},
                         {"action": "reject", "sip_status": "404", "reason": "Not In Use"})
        record = self.cdr(decision["cdr_id"])
        self.assertEqual((record["quarantined"], record["status"], record["cnum"],
                          record["source_id"]), ("1", "rejected", "", source_id))

    def test_a_removed_number_in_quarantine_is_refused_as_a_quarantined_sources(self):
        pool, numbers = self.pool()
        resp = self.call(self.alice, "DELETE", "/pools/numbers",
                         params={"pool_id": pool["pool_id"], "number": numbers[0]})
        self.ok(resp, "pools")
        static_id, static_number = self.static_source()
        self.ok(self.call(self.alice, "DELETE", "/sources", data={"source_id": static_id}),
                "sources")
        self.assert_refused_as_quarantined(static_number, static_id)
        self.assert_refused_as_quarantined(numbers[0], pool["pool_id"])
        # The pool's other number still takes calls.
        self.assertEqual(self.route(numbers[1])["action"], "forward")

    def test_every_number_of_a_deleted_pool_is_refused_as_quarantined(self):
        pool, numbers = self.pool()
        self.ok(self.call(self.alice, "DELETE", "/pools", params={"pool_id": pool["pool_id"]}),
                "pools")
        for number in numbers:
            self.assert_refused_as_quarantined(number, pool["pool_id"])

    def test_numbers_of_an_archived_pool_belong_to_nobody(self):
        brief = self.session("brief")
        customer_id = self.customer(brief)
        pool, numbers = self.pool(s=brief, customer_id=customer_id)
        not_found = {"action": "reject", "cdr_id": None, "sip_status": "404",
                     "reason": "Not Found"}
        # A removed number's quarantine of 0 days is over at once.
        self.ok(self.call(brief, "DELETE", "/pools/numbers",
                          params={"pool_id": pool["pool_id"], "number": numbers[0]}), "pools")
        self.assertEqual(self.route(numbers[0]), not_found)
        self.assertEqual(self.route(numbers[1])["action"], "forward")
        self.ok(self.call(brief, "DELETE", "/pools", params={"pool_id": pool["pool_id"]}),
                "pools")
        self.assertEqual(self.route(numbers[1]), not_found)
        listed = self.ok(self.call(brief, "GET", "/statistics/cdrs",
                                   params={"source_id": pool["pool_id"]}), "cdrs")
        self.assertEqual(len(listed), 1)  # the one call routed while the pool was active


if __name__ == "__main__":
    unittest.main()
