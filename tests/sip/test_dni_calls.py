"""A real call to the number a real browser was shown (issue 15, tests "A real call"): headless
chromium loads the customer's page carrying the browser script from a landing URL with UTM
values and a gclid, and sipp calls the number the page shows through the project's Kamailio
edge to a real callsightd. The call record (GET /statistics/cdrs?extended=1) and the call's
webhooks name that visit; a call to a number shown without consent names the page view that
showed it; a call after the lease names the visit in the grace, and none after it, saying why.

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_dni_calls
Needs kamailio and sipp (scripts/install-sip-deps), chromium and chromedriver
(scripts/install-deps) and a built callsightd.
"""
import datetime
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from browser_site import BrowserSiteMixin  # noqa: E402
from dni_site import DniSiteMixin  # noqa: E402
from harness import ServerTestCase  # noqa: E402
from sip_harness import SipCallsMixin, missing_tools, settled  # noqa: E402
from webhook_receiver import ReceiverMixin, signature_ok  # noqa: E402

SECRET = "sip-dni-" + uuid.uuid4().hex[:8]
TALK_MS = 500
SETTLE_S = 5.0  # events reach callsightd asynchronously after the SIP exchange
# The shortest lease /pools allows (docs/dynamic-numbers.md): a minute.
SHORT_LEASE_S = 60
GCLID = "Cj0KCQiA-test_gclid"
CAMPAIGN_QUERY = "utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=" + GCLID
VISIT_KEYS = ("dni_session_id", "landing_url", "referrer", "utm_source", "utm_medium",
              "utm_campaign", "utm_term", "utm_content", "gclid", "gbraid", "wbraid", "fbclid",
              "msclkid", "ga_client_id")


def utc_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class DniCallTest(BrowserSiteMixin, DniSiteMixin, ReceiverMixin, SipCallsMixin,
                  ServerTestCase):
    SWITCH_SECRET = SECRET
    # The webhook receiver listens on 127.0.0.1.
    EXTRA_ARGS = ("--webhooks-allow-private",)
    PARTNERS = {"alice": dict(password="alice-pw")}
    # The visits whose lease runs out, one in a pool without grace and one in a pool with:
    # {grace: (pool, number, landing URL)}, and when they were shown. The first test to run
    # shows them, so that the minute the last test waits passes during the other tests.
    expiring_visits = None
    expiring_shown_at = None

    @classmethod
    def setUpClass(cls):
        cls.require_browser()
        super().setUpClass()
        cls.start_browser_site()
        cls.make_sip_tmp()
        cls.start_edge(cls.server.switch_url(""), SECRET)

    def setUp(self):
        self.alice = self.session("alice")
        self.start_gateway("uas_answer.xml")
        if DniCallTest.expiring_visits is None:
            driver = self.browser()
            DniCallTest.expiring_visits = {grace: self.show_a_number_that_expires(driver, grace)
                                           for grace in (0, 600)}
            DniCallTest.expiring_shown_at = time.monotonic()
            # The page is left, so no heartbeat keeps a lease alive.
            driver.open("about:blank")

    # ----- the visitor's side -----

    def open_and_read(self, driver, url):
        """Opens `url` in the browser; returns the number the page shows in its tel: link
        (what a visitor's phone dials), after checking the script's own answer agrees."""
        driver.open(url)
        _, tel, _, _, number = self.wait_for_number(driver)
        self.assertEqual(tel, "tel:" + number)
        return number

    def show_a_number_that_expires(self, driver, grace):
        """A page view (without consent: the two sites share the browser's cookie jar) of a
        site whose pool has the shortest lease, no cooldown and `grace`."""
        customer, pool, numbers = self.site(self.origin, count=1, lease=str(SHORT_LEASE_S),
                                            grace=str(grace), cooldown="0")
        landing = self.page(customer["uuid"]) + "?utm_source=grace%d" % grace
        number = self.open_and_read(driver, landing)
        self.assertEqual(number, numbers[0])
        return pool, number, landing

    # ----- the call's side -----

    def call_number(self, number):
        _, rc, uac, _ = self.dial(number, duration_ms=TALK_MS)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 200", uac)

    def settled_calls(self, pool, count):
        """Polls the pool's extended call records until `count` are there, all settled;
        returns them by the number dialled."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            resp = self.call(self.alice, "GET", "/statistics/cdrs", params={
                "source_id": pool["pool_id"], "extended": "1", "pagesize": "100"})
            cdrs = self.ok(resp, "cdrs")
            if (len(cdrs) == count and all(map(settled, cdrs))) or time.monotonic() > deadline:
                self.assertEqual(len(cdrs), count, cdrs)
                self.assertEqual([c for c in cdrs if not settled(c)], [])
                by_number = {c["bnum"]: c for c in cdrs}
                self.assertEqual(len(by_number), count, cdrs)
                return by_number
            time.sleep(0.2)

    def assert_names_visit(self, record, landing, consent):
        self.assertEqual(record["attribution"], "matched", record)
        self.assertEqual(record["landing_url"], landing)
        self.assertIsNotNone(record["dni_session_id"])
        text = record["attribution_text"]
        self.assertTrue(text.startswith("held by session %s since " % record["dni_session_id"]),
                        text)
        self.assertIn(" (lease)", text)
        self.assertEqual(text.endswith("; no consent, so the session is this page view"),
                         not consent, text)

    # ----- tests -----

    def test_a_call_names_the_visit_whose_page_showed_the_number(self):
        customer, pool, numbers = self.site(self.origin, count=2)
        receiver, secret = self.subscribe_receiver(self.alice, customer["customer_id"],
                                                   ("call.started", "call.completed"))
        landing = self.page(customer["uuid"]) + "?consent=1&" + CAMPAIGN_QUERY
        driver = self.browser()
        number = self.open_and_read(driver, landing)
        self.assertIn(number, numbers)
        session_id = driver.cookies()["callsight_session"]

        self.call_number(number)
        record = self.settled_calls(pool, 1)[number]
        self.assertEqual((record["status"], record["source_id"], record["customer_id"]),
                         ("answered", pool["pool_id"], customer["customer_id"]))
        self.assert_names_visit(record, landing, consent=True)
        self.assertEqual(record["dni_session_id"], session_id)
        self.assertEqual((record["gclid"], record["utm_source"], record["utm_medium"],
                          record["utm_campaign"]), (GCLID, "google", "cpc", "spring"))

        events = receiver.wait_for_count(2)
        types = set()
        for copies in events.values():
            _, headers, body = copies[0]
            self.assertTrue(signature_ok(secret, headers, body))
            event = json.loads(body)
            types.add(event["type"])
            data = event["data"]
            self.assertEqual(data["cdr_id"], record["cdr_id"])
            self.assertEqual((data["attribution"], data["dni_session_id"], data["landing_url"],
                              data["gclid"], data["utm_campaign"]),
                             ("matched", session_id, landing, GCLID, "spring"))
        self.assertEqual(types, {"call.started", "call.completed"})

    def test_a_call_to_a_number_shown_without_consent_names_that_page_view(self):
        customer, pool, numbers = self.site(self.origin, count=2)
        page = self.page(customer["uuid"])
        first_view, second_view = page + "?utm_campaign=first", page + "?utm_campaign=second"
        driver = self.browser()
        first = self.open_and_read(driver, first_view)
        # Without consent the next page view is a session of its own: the first view's number
        # is still leased to it, so the second view is shown the other.
        second = self.open_and_read(driver, second_view)
        self.assertEqual(sorted([first, second]), sorted(numbers))
        self.assertEqual([n for n in driver.cookies() if n.startswith("callsight")], [])

        self.call_number(first)
        self.call_number(second)
        records = self.settled_calls(pool, 2)
        self.assert_names_visit(records[first], first_view, consent=False)
        self.assert_names_visit(records[second], second_view, consent=False)
        self.assertEqual(records[first]["utm_campaign"], "first")
        self.assertNotEqual(records[first]["dni_session_id"], records[second]["dni_session_id"])

    # Named to sort last, so the other tests run during the lease it waits out.
    def test_when_the_lease_is_over_a_call_names_the_visit_in_the_grace_and_none_after(self):
        # The leases end a minute after the hand-outs (stored to the second): wait past them.
        time.sleep(max(0.0, self.expiring_shown_at + SHORT_LEASE_S + 1.5 - time.monotonic()))
        for _, number, _ in self.expiring_visits.values():
            self.call_number(number)

        pool, number, landing = self.expiring_visits[600]
        record = self.settled_calls(pool, 1)[number]
        self.assertEqual(record["attribution"], "within_grace", record)
        self.assertEqual(record["landing_url"], landing)
        self.assertRegex(record["attribution_text"],
                         r"^held by session %s since .* \(grace: lease ended "
                         % record["dni_session_id"])

        pool, number, _ = self.expiring_visits[0]
        record = self.settled_calls(pool, 1)[number]
        self.assertEqual(record["attribution"], "lease_and_grace_over", record)
        prefix = "no visit: lease and grace of the last visitor shown the number ended "
        self.assertTrue(record["attribution_text"].startswith(prefix), record)
        ended = utc_time(record["attribution_text"][len(prefix):])
        self.assertLess(ended, utc_time(record["start"]))
        self.assertLessEqual(utc_time(record["start"]) - ended,
                             datetime.timedelta(seconds=10), record)
        for key in VISIT_KEYS:
            self.assertIsNone(record[key], key)

if __name__ == "__main__":
    unittest.main()
