"""Drives real SIP through the Kamailio edge against fake_switch.py.

Run from tests/sip:  python3 -m unittest -v test_kamailio_fake_switch
Needs kamailio (+ http_client, jansson) and sipp: scripts/install-sip-deps.
All traffic stays on 127.0.0.1; every port is picked free at start.

Topology: sipp UAC -> Kamailio (scripts/kamailio-run) -> sipp UAS (the
"PSTN gateway"), with Kamailio asking fake_switch.py (HTTP) for routes and
reporting events to it. fake_switch.py logs what it received as JSON lines.
"""
import os
import subprocess
import time
import unittest
import uuid

from sip_harness import (CALLER, HERE, RING_TIMEOUT_MS, SipCallsMixin, missing_tools,
                         read_json_lines, read_lines)

SECRET = "test-secret-" + uuid.uuid4().hex[:8]

# Numbers fake_switch.py knows (see DEFAULT_ROUTES there).
FORWARDED = "+46850000100"  # forward to +46890510 with caller_id +46700000001
FORWARDED_BUSY = "+46850000486"  # forward to +46890486
VOICEMAIL = "+46850000480"
SLOW_SWITCH = "+46850000999"  # the switch answers after 3 s
SWITCH_ERROR = "+46850000500"  # the switch answers HTTP 500
UNKNOWN = "+46859999999"  # rejected: 404 Not Found


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class KamailioFakeSwitchTest(SipCallsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_sip_tmp()
        cls.switch_log = os.path.join(cls.tmp, "switch.jsonl")
        cls.switch = subprocess.Popen(
            ["python3", os.path.join(HERE, "fake_switch.py"), "--port", "0",
             "--secret", SECRET, "--log", cls.switch_log],
            stdout=subprocess.PIPE, text=True)
        cls.addClassCleanup(cls._stop_switch)
        banner = cls.switch.stdout.readline()
        switch_url = banner.split()[-1]
        assert switch_url.startswith("http://127.0.0.1:"), banner
        cls.start_edge(switch_url, SECRET)

    @classmethod
    def _stop_switch(cls):
        cls.switch.terminate()
        cls.switch.wait(timeout=10)
        cls.switch.stdout.close()

    # ----- helpers -----

    def switch_records(self, call_id, path, want=(), timeout=5.0):
        """Records the switch got for call_id on path; waits until `want` events are all in."""
        deadline = time.monotonic() + timeout
        while True:
            records = [r for r in read_json_lines(self.switch_log)
                       if r["path"] == path and (r.get("body") or {}).get("call_id") == call_id]
            seen = {r["body"].get("event") for r in records}
            if set(want) <= seen or time.monotonic() > deadline:
                return records
            time.sleep(0.1)

    def events(self, call_id, want=()):
        records = self.switch_records(call_id, "/switch/events/batch", want)
        by_event = {}
        for r in records:
            self.assertEqual(r["status"], 200, r)  # secret and JSON accepted
            self.assertEqual(r["spool"]["dropped"], 0, r)
            by_event.setdefault(r["body"]["event"], r["body"])
        return by_event

    def assert_route_asked(self, call_id, dialled):
        """One route request for the call; returns its `at` (when the INVITE arrived)."""
        routes = self.switch_records(call_id, "/switch/route", timeout=0)
        self.assertEqual(len(routes), 1, routes)
        body = dict(routes[0]["body"])
        at = body.pop("at")
        self.assertEqual(body, {"call_id": call_id, "caller": CALLER, "dialled": dialled})
        self.assertIsInstance(at, int)
        self.assertAlmostEqual(at, time.time(), delta=30)
        self.assertEqual(routes[0]["content_type"], "application/json")
        return at

    # ----- tests -----

    def test_answered_call_reports_ringing_answered_and_hangup(self):
        gw_log = self.start_gateway("uas_answer.xml")
        call_id, rc, uac, _ = self.dial(FORWARDED, duration_ms=1500)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 200", uac)
        self.assertIn("BYE 200", uac)
        started = self.assert_route_asked(call_id, FORWARDED)
        # The gateway got the switch's destination and caller id, not the dialled number.
        self.assertIn("INVITE ruri=+46890510 from=+46700000001", read_lines(gw_log))

        ev = self.events(call_id, want=("ringing", "answered", "hangup"))
        self.assertEqual(set(ev), {"ringing", "answered", "hangup"})
        self.assertEqual(ev["ringing"]["sip_status"], "180")
        self.assertEqual(ev["answered"]["sip_status"], "200")
        self.assertEqual(ev["answered"]["answering_number"], "+46890510")
        self.assertEqual(ev["hangup"]["sip_status"], "200")
        self.assertEqual(ev["hangup"]["hangup_by"], "caller")
        self.assertIn("cause=16", ev["hangup"]["reason"])
        for body in ev.values():
            self.assertEqual(body["cdr_id"], "17")
            self.assertAlmostEqual(body["at"], time.time(), delta=30)
        self.assertGreaterEqual(ev["hangup"]["at"] - ev["answered"]["at"], 1)
        self.assertLessEqual(started, ev["ringing"]["at"])

    def test_busy_gateway_fails_call_with_486(self):
        self.start_gateway("uas_busy.xml")
        call_id, rc, uac, _ = self.dial(FORWARDED_BUSY)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 486", uac)
        self.assert_route_asked(call_id, FORWARDED_BUSY)
        ev = self.events(call_id, want=("failed",))
        self.assertEqual(ev["failed"]["sip_status"], "486")
        self.assertNotIn("answered", ev)

    def test_unknown_number_is_rejected_with_404_without_reaching_gateway(self):
        gw_log = self.start_gateway("uas_answer.xml")
        call_id, rc, uac, _ = self.dial(UNKNOWN)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 404", uac)
        self.assert_route_asked(call_id, UNKNOWN)
        self.assertEqual(read_lines(gw_log), [])

    def test_caller_cancel_while_ringing_reports_failed_487(self):
        self.start_gateway("uas_noanswer.xml")
        call_id, rc, uac, _ = self.dial(FORWARDED, scenario="uac_cancel.xml", duration_ms=500)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 487", uac)
        ev = self.events(call_id, want=("ringing", "failed"))
        self.assertEqual(ev["ringing"]["sip_status"], "180")
        self.assertEqual(ev["failed"]["sip_status"], "487")

    def test_unanswered_call_times_out_with_408(self):
        self.start_gateway("uas_noanswer.xml")
        call_id, rc, uac, took = self.dial(FORWARDED)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 408", uac)
        self.assertGreaterEqual(took, RING_TIMEOUT_MS / 1000 - 0.5)
        ev = self.events(call_id, want=("ringing", "failed"))
        self.assertEqual(ev["failed"]["sip_status"], "408")

    def test_slow_switch_gets_503_after_about_one_second(self):
        call_id, rc, uac, took = self.dial(SLOW_SWITCH)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 503", uac)
        self.assertLess(took, 2.5)

    def test_switch_error_gets_503(self):
        call_id, rc, uac, _ = self.dial(SWITCH_ERROR)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 503", uac)
        self.assert_route_asked(call_id, SWITCH_ERROR)

    def test_voicemail_without_voicemail_uri_is_480_and_ends_the_call(self):
        call_id, rc, uac, _ = self.dial(VOICEMAIL)
        self.assertEqual(rc, 0, uac)
        self.assertIn("FINAL 480", uac)
        # The edge answered it itself: it tells the switch the call ended.
        ev = self.events(call_id, want=("failed",))
        self.assertEqual(set(ev), {"failed"})
        self.assertEqual((ev["failed"]["sip_status"], ev["failed"]["cdr_id"]), ("480", "18"))


if __name__ == "__main__":
    unittest.main()
