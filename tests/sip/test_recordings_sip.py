"""Recorded calls end to end: sipp caller -> Kamailio edge -> sipp gateway, both sending real
G.711 RTP, the media of calls whose campaign records relayed and recorded by rtpengine
(scripts/rtpengine-run, pcap recording), and callsightd picking the recording up into a
stereo MP3 (docs/recordings.md). Calls that are not recorded stay proxy-only.

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_recordings_sip
Needs kamailio, sipp, rtpengine, sox and lame (scripts/install-sip-deps).
"""
import base64
import json
import os
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import ServerTestCase, unique  # noqa: E402
from sip_harness import RtpEngine, SipCallsMixin, free_port, missing_tools  # noqa: E402
from test_recordings import mp3_channels_and_seconds  # noqa: E402
from webhook_receiver import ReceiverMixin  # noqa: E402

SECRET = "sip-rec-" + uuid.uuid4().hex[:8]
TALK_MS = 3000
PICKUP_TIMEOUT = 30


def tone(path, hertz, seconds=2):
    """A raw G.711 u-law file of a sine tone (sipp's rtp_stream sends raw payload)."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", path, "synth",
                    str(seconds), "sine", str(hertz)], check=True, timeout=30)


def rtp_ports():
    """sipp options for its RTP stream: loopback, from a free port (-mp; sipp 3.6 takes the
    next free ones from there)."""
    return ["-mi", "127.0.0.1", "-mp", str(free_port())]


@unittest.skipIf(missing_tools("rtpengine", "sox", "lame"),
                 "needs kamailio, sipp, rtpengine, sox and lame (scripts/install-sip-deps)")
class SipRecordingTest(ReceiverMixin, SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    PARTNERS = {"alice": dict(password="alice-pw"), "bob": dict(password="bob-pw")}

    @classmethod
    def setUpClass(cls):
        cls.make_sip_tmp()
        cls.rtpengine = RtpEngine(cls.tmp)
        cls.addClassCleanup(cls.rtpengine.stop)
        cls.rtpengine.start()
        cls.recordings_dir = os.path.join(cls.tmp, "recordings")
        cls.EXTRA_ARGS = ("--webhooks-allow-private", "--recordings-dir", cls.recordings_dir,
                          "--recordings-spool", cls.rtpengine.recording_dir)
        super().setUpClass()
        cls.start_edge(cls.server.switch_url(""), SECRET, rtpengine=cls.rtpengine)
        tone(os.path.join(cls.tmp, "caller.ulaw"), 440)
        tone(os.path.join(cls.tmp, "callee.ulaw"), 880)

    def setUp(self):
        self.alice = self.session("alice")
        self.bob = self.session("bob")
        customer = self.one(self.call(self.alice, "POST", "/customers", data={
            "name": "C " + unique(), "custnr": unique("cn")}), "customers")
        self.cid = customer["customer_id"]

    def source(self, call_recording):
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "K " + unique(), "pricing_model_id": "p1",
            "call_recording": call_recording}), "campaigns")
        number = "+4640%07d" % (int(uuid.uuid4().int % 10**6) + 3_000_000)
        self.server.cli("numbers", "add", number, check=True)
        return self.one(self.call(self.alice, "POST", "/sources", data={
            "customer_id": self.cid, "destnr": number, "name": "S " + unique(),
            "phonenr": "0890510", "campaign_id": campaign["campaign_id"]}), "sources")

    def talk(self, source):
        """One answered call with audio both ways; returns its settled CDR (extended)."""
        self.start_gateway("uas_answer_rtp.xml", extra_args=rtp_ports())
        _, code, log, _ = self.dial(source["destnr"], scenario="uac_rtp.xml",
                                    duration_ms=TALK_MS, extra_args=rtp_ports())
        self.assertEqual(code, 0, log)
        self.assertIn("BYE 200", log)
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while True:
            cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
                "source_id": source["source_id"], "extended": "1"}), "cdrs")
            done = len(cdrs) == 1 and cdrs[0]["end"] is not None
            if done and (cdrs[0]["recording_id"] or source.get("_unrecorded")):
                return cdrs[0]
            if time.monotonic() > deadline:
                self.fail("no recording within %d s: %s\n%s" % (
                    PICKUP_TIMEOUT, cdrs, self.server.stderr()[-3000:]))
            time.sleep(0.2)

    def spool_files(self):
        return [f for d, _, files in os.walk(self.rtpengine.recording_dir) for f in files]

    def test_a_recorded_call_becomes_a_stereo_mp3_of_the_call(self):
        receiver, _ = self.subscribe_receiver(self.alice, self.cid, ["call.recording_ready"])
        source = self.source(call_recording="1")
        cdr = self.talk(source)
        self.assertEqual(cdr["answered"], "1")
        recording = self.one(self.call(self.alice, "GET", "/recordings",
                                       params={"recording_id": cdr["recording_id"]}),
                             "recordings")
        audio = base64.b64decode(recording["sounddata"])
        channels, seconds, crossings = mp3_channels_and_seconds(audio, self.tmp)
        self.assertEqual(channels, 2)
        self.assertAlmostEqual(seconds, TALK_MS / 1000, delta=0.5)
        # Neither channel silent, each the party it belongs to: caller left, callee right.
        self.assertAlmostEqual(crossings[0], 440, delta=40)
        self.assertAlmostEqual(crossings[1], 880, delta=60)
        [(_, copies)] = receiver.wait_for_count(1).items()
        self.assertEqual(json.loads(copies[0][2])["data"]["recording_id"],
                         recording["recording_id"])
        listed = self.ok(self.call(self.alice, "GET", "/recordings",
                                   params={"customer_id": self.cid}), "recordings")
        self.assertEqual([r["recording_id"] for r in listed], [recording["recording_id"]])
        part = self.session("alice").get(self.server.url(recording["audio_url"]),
                                         headers={"Range": "bytes=0-99"})
        self.assertEqual(part.status_code, 206)
        self.assertEqual(part.content, audio[:100])
        self.assert_error(self.call(self.bob, "GET", "/recordings",
                                    params={"recording_id": recording["recording_id"]}), 404,
                          "not_found", "recording_id")
        # The spool is emptied once the recording is stored.
        self.assertEqual([f for f in self.spool_files() if "metadata" in f], [])

    def test_a_call_that_is_not_recorded_stays_proxy_only(self):
        before = set(self.spool_files())
        source = dict(self.source(call_recording="0"), _unrecorded=True)
        cdr = self.talk(source)
        self.assertEqual(cdr["answered"], "1")
        self.assertIsNone(cdr["recording_id"])
        self.assertEqual(set(self.spool_files()) - before, set())


if __name__ == "__main__":
    unittest.main()
