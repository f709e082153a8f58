"""Real SIP end to end: sipp caller -> Kamailio edge -> sipp PSTN gateway, Kamailio asking the
real callsightd's switch API, and the outcome read back as call records through the partner
API (GET /statistics/cdrs, docs/api.md).

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_calls
Needs kamailio and sipp (scripts/install-sip-deps) and a built callsightd (--switch-listen).
"""
import datetime
import itertools
import json
import os
import re
import sys
import time
import unittest
import uuid
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import TIME_RE, ServerTestCase, unique  # noqa: E402
from sip_harness import (CALLER, SipCallsMixin, missing_tools, read_lines,  # noqa: E402
                         settled)
from webhook_receiver import ReceiverMixin, signature_ok  # noqa: E402

SECRET = "sip-e2e-" + uuid.uuid4().hex[:8]
ANSWERING = "+46890510"  # the sources' phonenr "0890510" in E.164
ALT_ANSWERING = "+46709876543"
MASKED_CALLER = CALLER[:-3] + "xxx"
TALK_MS = 2000
SETTLE_S = 5.0  # events reach callsightd asynchronously after the SIP exchange
BURST_CALLS = 500
# The edge hands each event to one of two async workers that wait for callsightd's answer:
# a sanitizer build of callsightd answers several times slower, and at 50 calls/s the edge
# then drops events (async_task_push failed) before callsightd sees them. Raising that
# ceiling is issue 16's work; here the burst checks that every record comes out exact.
BURST_RATE = 20 if os.environ.get("CALLSIGHT_SANITIZED") in ("1", "ON", "TRUE", "true") else 50
BURST_TALK_MS = 1000
BURST_SETTLE_S = 15.0

CDR_KEYS = {"cdr_id", "start", "duration", "anum", "anum_md5", "bnum", "cnum", "customer_id",
            "custnr", "source_id", "answered", "quarantined", "status", "sip_status",
            "answered_at", "end"}
NULLABLE_CDR_KEYS = ("sip_status", "answered_at", "end")
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_tracking_numbers = ("+4640%07d" % n for n in itertools.count(2000))


def utc_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class SipCallRecordTest(ReceiverMixin, SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    # The webhook receiver of the burst test listens on 127.0.0.1.
    EXTRA_ARGS = ("--webhooks-allow-private",)
    PARTNERS = {"alice": dict(password="alice-pw"), "bob": dict(password="bob-pw")}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_sip_tmp()
        cls.start_edge(cls.server.switch_url(""), SECRET)

    def setUp(self):
        self.alice = self.session("alice")
        self.bob = self.session("bob")
        self.cid, self.custnr = self.customer(self.alice)

    # ----- setup through the partner API -----

    def customer(self, s):
        data = dict(name="C " + unique(), custnr=unique("cn"))
        c = self.one(self.call(s, "POST", "/customers", data=data), "customers")
        return c["customer_id"], c["custnr"]

    def source(self, s, customer_id, **fields):
        """A source on a fresh inventory number, answered at ANSWERING unless told otherwise."""
        number = next(_tracking_numbers)
        self.server.cli("numbers", "add", number, check=True)
        fields.update(customer_id=customer_id, destnr=number)
        fields.setdefault("name", "S " + unique())
        fields.setdefault("phonenr", "0890510")
        return self.one(self.call(s, "POST", "/sources", data=fields), "sources")

    # ----- call records -----

    def cdr_page(self, s, **params):
        resp = self.call(s, "GET", "/statistics/cdrs", params=dict(params, newest_first="true"))
        self.ok(resp, "cdrs")
        body = resp.json()
        for key in ("total", "page", "pagesize", "numpages"):
            self.assertIsInstance(body.get(key), str, body)
        return body

    def total_cdrs(self, s):
        return int(self.cdr_page(s, pagesize="1")["total"])

    def settled_cdrs(self, s, count, timeout=SETTLE_S, **params):
        """Polls until exactly `count` records match and all are settled; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.cdr_page(s, pagesize="1000", **params)
            cdrs = body["cdrs"]
            done = len(cdrs) == count and all(settled(c) for c in cdrs)
            if done or time.monotonic() > deadline:
                self.assertEqual(len(cdrs), count, cdrs[:5])
                self.assertEqual(body["total"], str(count))
                self.assertEqual([c for c in cdrs if not settled(c)], [])
                for cdr in cdrs:
                    self.assert_cdr_shape(cdr)
                return cdrs
            time.sleep(0.2)

    def only_cdr(self, src):
        [cdr] = self.settled_cdrs(self.alice, 1, source_id=src["source_id"])
        self.assertEqual(cdr["source_id"], src["source_id"])
        self.assertEqual(cdr["customer_id"], src["customer_id"])
        self.assertEqual(cdr["custnr"], self.custnr)
        self.assertEqual(cdr["bnum"], src["destnr"])
        self.assertEqual(cdr["anum"], MASKED_CALLER)
        return cdr

    def assert_cdr_shape(self, cdr):
        self.assertLessEqual(CDR_KEYS, set(cdr), cdr)
        self.assert_scalars_are_strings({k: cdr[k] for k in CDR_KEYS},
                                        nullable=NULLABLE_CDR_KEYS)
        self.assertRegex(cdr["cdr_id"], r"^[1-9][0-9]*$")
        self.assertRegex(cdr["anum_md5"], r"^[0-9a-f]{32}$")
        self.assertRegex(cdr["duration"], r"^[0-9]+$")
        for key in ("start", "answered_at", "end"):
            if cdr[key] is not None:
                self.assertRegex(cdr[key], TIME_RE)

    def assert_unanswered(self, cdr, status, sip_status):
        self.assertEqual((cdr["status"], cdr["answered"], cdr["sip_status"]),
                         (status, "0", sip_status), cdr)
        self.assertEqual(cdr["duration"], "0")
        self.assertIsNone(cdr["answered_at"])
        self.assertEqual(cdr["quarantined"], "0")

    def rejected_cdr(self, src, final):
        """Calls src's number, which the switch must reject with `final` before any gateway
        is tried; returns the call's record after checking it says rejected."""
        gw = self.start_gateway("uas_answer.xml")
        _, rc, uac, _ = self.dial(src["destnr"], scenario="uac_rejected.xml")
        self.assert_dialled(uac, rc, final)
        self.assertEqual(read_lines(gw), [])
        cdr = self.only_cdr(src)
        self.assertEqual((cdr["status"], cdr["answered"], cdr["cnum"], cdr["duration"]),
                         ("rejected", "0", "", "0"), cdr)
        self.assertIsNone(cdr["answered_at"])
        return cdr

    def assert_sees_nothing(self, s, path="/statistics/cdrs", **params):
        """404, or 200 with no records: what another partner may get for foreign ids."""
        resp = self.call(s, "GET", path, params=params)
        if resp.status_code == 404:
            self.assert_error(resp, 404)
            return
        self.assertEqual(self.ok(resp, "cdrs"), [], "%s %s" % (path, params))
        self.assertEqual(resp.json()["total"], "0")

    # ----- SIP -----

    def forwarded_to(self, gw_log):
        """The users of the R-URIs the gateway was sent."""
        return [re.match(r"INVITE ruri=(\S*) ", line).group(1)
                for line in read_lines(gw_log) if line.startswith("INVITE ruri=")]

    def assert_dialled(self, uac, rc, *outcome):
        self.assertEqual(rc, 0, uac)
        for line in outcome:
            self.assertIn(line, uac)

    # ----- tests -----

    def test_answered_call_reaches_the_answering_number_and_records_its_talk_time(self):
        src = self.source(self.alice, self.cid)
        gw = self.start_gateway("uas_answer.xml")
        _, rc, uac, _ = self.dial(src["destnr"], duration_ms=TALK_MS)
        self.assert_dialled(uac, rc, "FINAL 200", "BYE 200")
        self.assertEqual(self.forwarded_to(gw), [ANSWERING])

        cdr = self.only_cdr(src)
        self.assertEqual((cdr["status"], cdr["answered"], cdr["quarantined"]),
                         ("answered", "1", "0"), cdr)
        self.assertEqual(cdr["cnum"], ANSWERING)
        self.assertIsNone(cdr["sip_status"])
        self.assertAlmostEqual(int(cdr["duration"]), TALK_MS / 1000, delta=1)
        talk = utc_time(cdr["end"]) - utc_time(cdr["answered_at"])
        self.assertEqual(talk.total_seconds(), int(cdr["duration"]), cdr)
        self.assertLessEqual(utc_time(cdr["start"]), utc_time(cdr["answered_at"]))
        # The same record by its id and by its customer.
        by_id = self.cdr_page(self.alice, cdr_id=cdr["cdr_id"])["cdrs"]
        self.assertEqual(by_id, [cdr])
        by_customer = self.cdr_page(self.alice, customer_id=self.cid)["cdrs"]
        self.assertEqual(by_customer, [cdr])

    def test_busy_gateway_gives_a_busy_record_with_486(self):
        src = self.source(self.alice, self.cid)
        self.start_gateway("uas_busy.xml")
        _, rc, uac, _ = self.dial(src["destnr"])
        self.assert_dialled(uac, rc, "FINAL 486")
        cdr = self.only_cdr(src)
        self.assert_unanswered(cdr, "busy", "486")
        self.assertEqual(cdr["cnum"], ANSWERING)
        self.assertIsNotNone(cdr["end"])

    def test_unanswered_call_rings_out_as_no_answer(self):
        src = self.source(self.alice, self.cid)
        self.start_gateway("uas_noanswer.xml")
        _, rc, uac, took = self.dial(src["destnr"])
        self.assert_dialled(uac, rc, "FINAL 408")
        self.assertGreaterEqual(took, self.edge.ring_timeout_ms / 1000 - 0.5)
        cdr = self.only_cdr(src)
        self.assert_unanswered(cdr, "no_answer", "408")
        self.assertIsNotNone(cdr["end"])

    def test_unknown_number_is_404_and_leaves_no_record(self):
        in_inventory = next(_tracking_numbers)  # a number no source holds
        self.server.cli("numbers", "add", in_inventory, check=True)
        before = (self.total_cdrs(self.alice), self.total_cdrs(self.bob))
        gw = self.start_gateway("uas_answer.xml")
        for number in (in_inventory, next(_tracking_numbers)):
            _, rc, uac, _ = self.dial(number, scenario="uac_rejected.xml")
            self.assert_dialled(uac, rc, "FINAL 404")
        self.assertEqual(read_lines(gw), [])
        self.assertEqual((self.total_cdrs(self.alice), self.total_cdrs(self.bob)), before)

    def test_quarantined_number_is_404_and_recorded_as_rejected(self):
        src = self.source(self.alice, self.cid)
        deleted = self.one(self.call(self.alice, "DELETE", "/sources",
                                     params={"source_id": src["source_id"]}), "sources")
        self.assertEqual(deleted["status"], "quarantined")
        self.assertEqual(self.rejected_cdr(src, "FINAL 404")["quarantined"], "1")

    def test_blacklisted_caller_is_403_and_recorded_as_rejected(self):
        src = self.source(self.alice, self.cid)
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data=dict(customer_id=self.cid, phonenrs=json.dumps([CALLER]))),
                "blacklist")
        self.assertEqual(self.rejected_cdr(src, "FINAL 403")["quarantined"], "0")

    def test_alt_number_rule_for_this_weekday_and_hour_takes_the_call(self):
        now = self.stockholm_now_inside_the_hour()
        today = WEEKDAYS[now.weekday()]
        this_hour = [{"phonenr": ALT_ANSWERING, "weekdays": today,
                      "from_time": "%02d:00" % now.hour, "to_time": "%02d:00" % (now.hour + 1)}]
        # Three days away, so a call that crosses midnight cannot fall into it.
        other_day = [{"phonenr": ALT_ANSWERING, "weekdays": WEEKDAYS[(now.weekday() + 3) % 7],
                      "from_time": "00:00", "to_time": "24:00"}]
        gw = self.start_gateway("uas_answer.xml")  # one gateway: they would share the port
        for calls, (rules, expected) in enumerate(((this_hour, ALT_ANSWERING),
                                                   (other_day, ANSWERING)), start=1):
            with self.subTest(rules=rules):
                src = self.source(self.alice, self.cid, alt_numbers=json.dumps(rules))
                _, rc, uac, _ = self.dial(src["destnr"])
                self.assert_dialled(uac, rc, "FINAL 200", "BYE 200")
                forwarded = self.forwarded_to(gw)
                self.assertEqual((len(forwarded), forwarded[-1]), (calls, expected))
                cdr = self.only_cdr(src)
                self.assertEqual((cdr["status"], cdr["cnum"]), ("answered", expected), cdr)

    def stockholm_now_inside_the_hour(self):
        """Now in Europe/Stockholm, at least 15 s before the hour ends (waits if not)."""
        now = datetime.datetime.now(STOCKHOLM)
        left = 3600 - (now.minute * 60 + now.second)
        if left < 15:
            time.sleep(left + 1)
            now = datetime.datetime.now(STOCKHOLM)
        return now

    def test_busy_with_vm_divert_busy_is_recorded_as_voicemail(self):
        src = self.source(self.alice, self.cid, vm_divert_busy="1")
        self.assertEqual(src["vm_divert_busy"], "1")
        self.start_gateway("uas_busy.xml")
        # No --voicemail-uri: the edge has nowhere to divert to and relays the 486.
        _, rc, uac, _ = self.dial(src["destnr"])
        self.assert_dialled(uac, rc, "FINAL 486")
        cdr = self.only_cdr(src)
        self.assertEqual((cdr["status"], cdr["answered"], cdr["sip_status"], cdr["cnum"]),
                         ("voicemail", "0", "486", ANSWERING), cdr)

    def assert_call_events_once_each(self, receiver, secret, cdrs):
        """Every call's three events arrived, exactly once after de-duplication by event id,
        signed, their sequence numbers in the order of the call."""
        by_event = receiver.wait_for_count(3 * len(cdrs))
        by_call = {}
        for copies in by_event.values():
            headers, body = copies[0][1], copies[0][2]
            self.assertTrue(signature_ok(secret, headers, body))
            event = json.loads(body)
            by_call.setdefault(event["data"]["cdr_id"], []).append(
                (int(event["sequence"]), event["type"]))
        self.assertEqual(set(by_call), {c["cdr_id"] for c in cdrs})
        # Sequences count all of a call's events (ringing makes a call.updated this
        # subscription skips), so they rise with gaps.
        for cdr_id, events in by_call.items():
            events.sort()
            self.assertEqual([t for _, t in events],
                             ["call.started", "call.answered", "call.completed"], cdr_id)
            self.assertEqual(events[0][0], 1, cdr_id)
            self.assertEqual(len({n for n, _ in events}), 3, cdr_id)

    def test_burst_of_calls_to_one_number_gives_one_answered_record_each(self):
        src = self.source(self.alice, self.cid)
        receiver, secret = self.subscribe_receiver(
            self.alice, self.cid, ("call.started", "call.answered", "call.completed"))
        self.start_gateway("uas_answer.xml")
        rc, uac, took, out = self.dial_burst(src["destnr"], BURST_CALLS, BURST_RATE,
                                             BURST_TALK_MS)
        self.assertEqual(rc, 0, out[-3000:])
        self.assertEqual((uac.count("FINAL 200"), uac.count("BYE 200")),
                         (BURST_CALLS, BURST_CALLS))
        sipp_ended = time.monotonic()
        cdrs = self.settled_cdrs(self.alice, BURST_CALLS, timeout=BURST_SETTLE_S,
                                 source_id=src["source_id"])
        settle = time.monotonic() - sipp_ended
        rate = re.search(r"Call Rate .*\|\s*([0-9.]+) cps\s*$", out, re.MULTILINE)
        print("\nburst: %d calls in %.1f s (sipp cumulative rate %s cps, %d/s wall); "
              "CDRs settled %.1f s after the last call ended"
              % (BURST_CALLS, took, rate.group(1) if rate else "?", BURST_CALLS / took, settle))

        self.assertEqual(len({c["cdr_id"] for c in cdrs}), BURST_CALLS)
        self.assertEqual({(c["status"], c["answered"], c["cnum"], c["bnum"]) for c in cdrs},
                         {("answered", "1", ANSWERING, src["destnr"])})
        durations = sorted(int(c["duration"]) for c in cdrs)
        self.assertGreaterEqual(durations[0], BURST_TALK_MS // 1000, durations[:10])
        self.assertLessEqual(durations[-1], BURST_TALK_MS // 1000 + 2, durations[-10:])
        self.assertEqual(len({c["anum_md5"] for c in cdrs}), 1)  # one caller, one hash
        self.assertEqual(self.cdr_page(self.alice, source_id=src["source_id"],
                                       pagesize="1")["total"], str(BURST_CALLS))
        self.assert_call_events_once_each(receiver, secret, cdrs)

    def test_other_partner_sees_none_of_the_records(self):
        src = self.source(self.alice, self.cid)
        self.start_gateway("uas_answer.xml")
        _, rc, uac, _ = self.dial(src["destnr"])
        self.assert_dialled(uac, rc, "FINAL 200", "BYE 200")
        cdr = self.only_cdr(src)

        self.assertEqual(self.cdr_page(self.bob)["total"], "0")
        self.assert_sees_nothing(self.bob, source_id=src["source_id"])
        self.assert_sees_nothing(self.bob, cdr_id=cdr["cdr_id"])
        self.assert_sees_nothing(self.bob, path="/statistics/cdrs/" + cdr["cdr_id"])
        self.assert_error(self.call(self.bob, "GET", "/statistics/cdrs",
                                    params={"customer_id": self.cid}), 404, "not_found",
                          "customer_id")

        # Bob's own call from the same caller: his alone, and not joinable by anum_md5.
        bob_cid, _ = self.customer(self.bob)
        bob_src = self.source(self.bob, bob_cid)
        _, rc, uac, _ = self.dial(bob_src["destnr"])
        self.assert_dialled(uac, rc, "FINAL 200", "BYE 200")
        [bob_cdr] = self.settled_cdrs(self.bob, 1)
        self.assertEqual(bob_cdr["source_id"], bob_src["source_id"])
        self.assertNotEqual(bob_cdr["anum_md5"], cdr["anum_md5"])
        self.assert_sees_nothing(self.alice, cdr_id=bob_cdr["cdr_id"])
        self.assert_sees_nothing(self.alice, source_id=bob_src["source_id"])


if __name__ == "__main__":
    unittest.main()
