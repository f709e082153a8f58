"""The recording notice and the whisper end to end: callsightd decides them from the campaign's
recording_notice and the customer's whisper, renders the source's whisper (--prompts-dir), and
the edge, routing from its copy of the routes, plays both through the real rtpengine
(docs/recordings.md, "Notice and whisper"). What each party heard is checked in tcpdump
captures, as in test_prompts_sip.

Run from tests/sip:  CALLSIGHT_BIN_DIR=<build>/bin python3 -m unittest -v test_prompts_callsightd
Needs kamailio, sipp, rtpengine, sox, espeak-ng and tcpdump.
"""
import os
import shutil
import sys
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import ServerTestCase, unique  # noqa: E402
from sip_harness import ROOT, RtpEngine, SipCallsMixin, missing_tools, settled  # noqa: E402
import test_prompts_sip as heard_sip  # noqa: E402 (its test class is not bound here: not run twice)
from test_prompts_sip import tone, tone_share, wav_seconds  # noqa: E402

SECRET = "prompts-e2e-" + uuid.uuid4().hex[:8]
SOURCE_NAME = "Radio Stockholm summer campaign"


@unittest.skipIf(missing_tools("rtpengine", "sox", "espeak-ng", "tcpdump"),
                 "needs kamailio, sipp, rtpengine, sox, espeak-ng and tcpdump")
class PromptsFromCallsightdTest(SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    PARTNERS = {"alice": dict(password="alice-pw")}

    # What a party heard, as test_prompts_sip checks it.
    call_with_capture = heard_sip.PromptsHeardTest.call_with_capture
    assert_prompt_then_tone = heard_sip.PromptsHeardTest.assert_prompt_then_tone

    @classmethod
    def setUpClass(cls):
        cls.make_sip_tmp()
        cls.prompts = os.path.join(cls.tmp, "prompts")
        os.makedirs(cls.prompts)
        for name in ("recording-notice.wav", "whisper.wav"):
            shutil.copy(os.path.join(ROOT, "deploy", "prompts", name), cls.prompts)
        cls.rtpengine = RtpEngine(cls.tmp)
        cls.addClassCleanup(cls.rtpengine.stop)
        cls.rtpengine.start()
        cls.EXTRA_ARGS = ("--prompts-dir", cls.prompts)
        super().setUpClass()
        cls.start_edge(cls.server.switch_url(""), SECRET, rtpengine=cls.rtpengine,
                       prompts_dir=cls.prompts)
        tone(os.path.join(cls.tmp, "caller.ulaw"), 440)
        tone(os.path.join(cls.tmp, "callee.ulaw"), 880)

    def setUp(self):
        self.alice = self.session("alice")

    def whispering_source(self):
        """A recorded campaign's source of a customer with whisper=1; waits for its whisper."""
        customer = self.one(self.call(self.alice, "POST", "/customers", data={
            "name": "C " + unique(), "custnr": unique("cn"), "whisper": "1"}), "customers")
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": customer["customer_id"], "name": "K " + unique(),
            "pricing_model_id": "p1", "call_recording": "1"}), "campaigns")
        self.assertEqual(campaign["recording_notice"], "1")
        number = "+4640%07d" % (int(uuid.uuid4().int % 10**6) + 4_000_000)
        self.server.cli("numbers", "add", number, check=True)
        source = self.one(self.call(self.alice, "POST", "/sources", data={
            "customer_id": customer["customer_id"], "destnr": number, "name": SOURCE_NAME,
            "phonenr": "0890510", "campaign_id": campaign["campaign_id"]}), "sources")
        whisper = os.path.join(self.prompts, "whisper-%s.wav" % source["source_id"])
        deadline = time.monotonic() + 15
        while not os.path.exists(whisper):
            self.assertLess(time.monotonic(), deadline, "callsightd rendered no whisper")
            time.sleep(0.2)
        return customer, campaign, source, wav_seconds(whisper)

    def test_a_recorded_call_of_a_whispering_customer_plays_both(self):
        customer, campaign, source, whisper = self.whispering_source()
        self.assertGreater(abs(whisper - wav_seconds(os.path.join(self.prompts, "whisper.wav"))),
                           0.5)  # the source's own, not the generic one
        notice = wav_seconds(os.path.join(self.prompts, "recording-notice.wav"))
        to_caller, to_callee = self.call_with_capture(source["destnr"],
                                                      talk_ms=int(whisper * 1000) + 1200)
        self.assert_prompt_then_tone(to_caller, notice, 880, 440, "caller")
        self.assert_prompt_then_tone(to_callee, whisper, 440, 880, "answering party")

        self.doCleanups()  # the first call's gateway goes: the next one takes its SIP port
        # The campaign turns the notice off: the caller's first audio is the answering party's.
        self.ok(self.call(self.alice, "PUT", "/customers/campaigns", data={
            "customer_id": customer["customer_id"], "campaign_id": campaign["campaign_id"],
            "recording_notice": "0"}), "campaigns")
        to_caller, to_callee = self.call_with_capture(source["destnr"],
                                                      talk_ms=int(whisper * 1000) + 800)
        heard = [p for p in to_caller if max(abs(s) for s in p[3]) > 2000]
        self.assertTrue(heard)
        self.assertGreater(tone_share(heard[0][3], 880), 0.8)
        self.assert_prompt_then_tone(to_callee, whisper, 440, 880, "answering party")
        deadline = time.monotonic() + 5
        while True:
            cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
                "source_id": source["source_id"]}), "cdrs")
            if len(cdrs) == 2 and all(settled(c) for c in cdrs) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual([c["answered"] for c in cdrs], ["1", "1"])
        # Both were routed from the edge's copy (the notice waits in a SIP worker then, not in
        # a route worker): callsightd recorded them from the edge's routed events.
        with urllib.request.urlopen(self.server.switch_url("/metrics"), timeout=5) as resp:
            metrics = resp.read().decode()
        self.assertIn('callsight_edge_routed_calls_total{action="forward"} 2\n', metrics)


if __name__ == "__main__":
    unittest.main()
