"""Every call ends (docs/kamailio.md, "Call end"): real SIP through the Kamailio edge, with a
voicemail platform (a sipp UAS behind --voicemail-uri), against the real callsightd. Calls
the switch rejects and calls that go to voicemail get their end, their final SIP status and
exactly one call.completed webhook carrying the outcome.

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_call_end
"""
import datetime
import itertools
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import ServerTestCase, unique  # noqa: E402
from sip_harness import CALLER, SipCallsMixin, missing_tools, read_lines  # noqa: E402
from webhook_receiver import Receiver, signature_ok  # noqa: E402

SECRET = "sip-end-" + uuid.uuid4().hex[:8]
TALK_MS = 2000
SETTLE_S = 8.0  # events and webhooks reach their ends asynchronously
QUIET_S = 1.5  # how long a second call.completed gets to show up
TIME = "%Y-%m-%d %H:%M:%S"

_tracking_numbers = ("+4640%07d" % n for n in itertools.count(6000))


def utc_time(text):
    return datetime.datetime.strptime(text, TIME)


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class SipCallEndTest(SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    EXTRA_ARGS = ("--webhooks-allow-private",)  # the receiver listens on 127.0.0.1
    PARTNERS = {"alice": dict(password="alice-pw")}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_sip_tmp()
        cls.start_edge(cls.server.switch_url(""), SECRET, voicemail=True)

    def setUp(self):
        self.alice = self.session("alice")
        customer = self.one(self.call(self.alice, "POST", "/customers", data=dict(
            name="C " + unique(), custnr=unique("cn"))), "customers")
        self.cid = customer["customer_id"]
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)
        hook = self.one(self.call(self.alice, "POST", "/webhooks", data={
            "customer_id": self.cid, "url": self.receiver.url,
            "events": json.dumps(["call.completed"])}), "webhooks")
        self.hook_secret = hook["secret"]

    def source(self, **fields):
        number = next(_tracking_numbers)
        self.server.cli("numbers", "add", number, check=True)
        fields.update(customer_id=self.cid, destnr=number, name="S " + unique(),
                      phonenr="0890510")
        return self.one(self.call(self.alice, "POST", "/sources", data=fields), "sources")

    def ended_cdr(self, src):
        """The source's one call record, once it has ended."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs",
                                     params={"source_id": src["source_id"]}), "cdrs")
            if (len(cdrs) == 1 and cdrs[0]["end"] is not None) or time.monotonic() > deadline:
                self.assertEqual(len(cdrs), 1, cdrs)
                self.assertIsNotNone(cdrs[0]["end"], cdrs[0])
                return cdrs[0]
            time.sleep(0.2)

    def assert_one_completed(self, cdr):
        """Exactly one call.completed reached the receiver (by event id), signed, carrying
        the record's outcome and end."""
        self.receiver.wait_for_count(1, timeout=SETTLE_S)
        time.sleep(QUIET_S)
        delivered = self.receiver.accepted()
        self.assertEqual(len(delivered), 1, list(delivered))
        [(event_id, copies)] = delivered.items()
        headers, body = copies[0][1], copies[0][2]
        self.assertTrue(signature_ok(self.hook_secret, headers, body))
        event = json.loads(body)
        self.assertEqual((event["event_id"], event["type"]), (event_id, "call.completed"))
        data = event["data"]
        self.assertEqual((data["cdr_id"], data["status"], data["end"], data["answered"]),
                         (cdr["cdr_id"], cdr["status"], cdr["end"], cdr["answered"]))

    def dial_ok(self, number, expected, scenario="uac.xml", duration_ms=1000, caller=CALLER):
        _, rc, uac, _ = self.dial(number, scenario=scenario, duration_ms=duration_ms,
                                  caller=caller)
        self.assertEqual(rc, 0, uac)
        for line in expected:
            self.assertIn(line, uac)

    # ----- rejected by the switch: ended when routed -----

    def test_blacklisted_caller_ends_with_403_and_one_completed_event(self):
        src = self.source()
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data=dict(customer_id=self.cid, phonenrs=json.dumps([CALLER]))),
                "blacklist")
        gw = self.start_gateway("uas_answer.xml")
        self.dial_ok(src["destnr"], ["FINAL 403"], scenario="uac_rejected.xml")
        self.assertEqual(read_lines(gw), [])
        cdr = self.ended_cdr(src)
        self.assertEqual((cdr["status"], cdr["sip_status"], cdr["answered"], cdr["end"]),
                         ("rejected", "403", "0", cdr["start"]), cdr)
        self.assert_one_completed(cdr)

    def test_quarantined_number_ends_with_404_and_one_completed_event(self):
        src = self.source()
        self.ok(self.call(self.alice, "DELETE", "/sources",
                          params={"source_id": src["source_id"]}), "sources")
        self.dial_ok(src["destnr"], ["FINAL 404"], scenario="uac_rejected.xml")
        cdr = self.ended_cdr(src)
        self.assertEqual((cdr["status"], cdr["sip_status"], cdr["quarantined"], cdr["end"]),
                         ("rejected", "404", "1", cdr["start"]), cdr)
        self.assert_one_completed(cdr)

    # ----- callers are whatever SIP sends -----

    def test_any_caller_is_routed_and_kept(self):
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data=dict(customer_id=self.cid, phonenrs=json.dumps([CALLER]))),
                "blacklist")
        self.start_gateway("uas_answer.xml")
        # The From user as sipp sends it, and the record's anum: valid UTF-8 is kept as it
        # is; bytes that are not UTF-8 reach the switch %-escaped (jansson refuses them).
        cases = [("anonymous", "anonymxxx"), ("Åsa.Öberg", "Åsa.Öbxxx"),
                 (b"Malm\xf6gatan".decode("utf-8", "surrogateescape"), "Malm%f6gaxxx")]
        for caller, anum in cases:
            with self.subTest(caller=caller):
                src = self.source()
                self.dial_ok(src["destnr"], ["FINAL 200", "BYE 200"], caller=caller)
                cdr = self.ended_cdr(src)
                self.assertEqual((cdr["anum"], cdr["status"]), (anum, "answered"), cdr)

    # ----- voicemail: ended by the voicemail leg -----

    def test_busy_call_diverted_to_voicemail_ends_when_the_voicemail_leg_hangs_up(self):
        src = self.source(vm_divert_busy="1")
        self.start_gateway("uas_busy.xml")
        vm = self.start_gateway("uas_answer.xml", port=self.edge.vm_port)
        # The gateway is busy, the voicemail platform answers: the caller talks to it.
        self.dial_ok(src["destnr"], ["FINAL 200", "BYE 200"], duration_ms=TALK_MS)
        self.assertEqual([line for line in read_lines(vm) if line.startswith("INVITE")],
                         ["INVITE ruri=voicemail from=%s" % CALLER])
        cdr = self.ended_cdr(src)
        # Voicemail, not busy, and not answered (the platform is not the customer); it ended
        # with the voicemail leg's BYE, not with the gateway's 486.
        self.assertEqual((cdr["status"], cdr["answered"], cdr["sip_status"], cdr["duration"]),
                         ("voicemail", "0", None, "0"), cdr)
        self.assertEqual(cdr["hangup_by"], "caller")
        talk = (utc_time(cdr["end"]) - utc_time(cdr["start"])).total_seconds()
        self.assertGreaterEqual(talk, TALK_MS // 1000 - 1, cdr)
        self.assertLessEqual(talk, TALK_MS // 1000 + 3, cdr)
        self.assert_one_completed(cdr)

    def test_voicemail_call_is_voicemail_whatever_sip_status_ends_it(self):
        src = self.source(vm_divert_all="1")
        self.start_gateway("uas_busy.xml", port=self.edge.vm_port)  # the platform fails: 486
        self.dial_ok(src["destnr"], ["FINAL 486"])
        cdr = self.ended_cdr(src)
        self.assertEqual((cdr["status"], cdr["answered"], cdr["sip_status"], cdr["cnum"]),
                         ("voicemail", "0", "486", ""), cdr)
        self.assert_one_completed(cdr)


if __name__ == "__main__":
    unittest.main()
