"""A call that reaches voicemail hears its source's uploaded greeting (docs/recordings.md,
"Greetings"): sipp callers -> Kamailio edge -> voicemail platform (baresip,
scripts/voicemail-run), media through rtpengine; callsightd writes each uploaded greeting
into the prompts directory (--prompts-dir), the route names it, and the edge plays it to the
caller as early media before it relays the call to the platform. tcpdump captures the RTP
that arrives at the caller's media port; the test decodes it and checks what the caller heard
first, by frequency and length:

- a source with an uploaded greeting (a 1300 Hz tone of 1.2 s, a WAV uploaded through
  /customers/voicemail_greetings): that greeting, not the platform's (1000 Hz, 0.5 s), and the
  caller's message is still recorded;
- a caller who talks on after an uploaded greeting of 5.5 s: the message is cut at the
  maximum length after the greeting (the call ends greeting + maximum after the greeting
  began, the recording is the maximum long), whatever the greeting's length; the greeting
  outlasts the edge's ring timeout here (4 s) and tm's fr_timer (5 s), which the wait for
  its end must not be cut by;
- a campaign whose greeting has no audio yet (recorded by phone later), diverted on busy: the
  default greeting the edge falls back to (here a 1700 Hz tone of 0.8 s in the prompts
  directory's voicemail-greeting.wav);
- a caller who hangs up (CANCEL) during an uploaded greeting, routed straight to voicemail
  and diverted on busy: 200 to the CANCEL and 487 to the INVITE at once, the platform never
  sees the call (not even when the greeting would have ended), exactly one `failed` 487
  reaches callsightd and one call.completed the partner, the record ends (voicemail, 487) and
  no message is stored.

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_voicemail_greetings_sip
Needs kamailio, sipp, rtpengine, baresip, sox, lame and tcpdump (scripts/install-sip-deps).
"""
import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

import requests
from requests.auth import HTTPDigestAuth

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import ServerTestCase, unique  # noqa: E402
from sip_harness import (HERE, PCM_8K, ROOT, ULAW, RtpEngine, SipCallsMixin,  # noqa: E402
                         VoicemailPlatform, free_port, missing_tools, read_lines, sox_tone)
from test_prompts_sip import Capture, read_rtp, tone_share  # noqa: E402
from test_recordings import mp3_channels_and_seconds  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

SECRET = "sip-vmg-" + uuid.uuid4().hex[:8]
PLATFORM_HZ, PLATFORM_SECONDS = 1000, 0.5  # the platform's own greeting
UPLOADED_HZ, UPLOADED_SECONDS = 1300, 1.2
LONG_SECONDS = 5.5  # a longer uploaded greeting (same tone)
DEFAULT_HZ, DEFAULT_SECONDS = 1700, 0.8  # the edge's default (voicemail-greeting.wav)
CALLER_HZ = 440
MAX_SECONDS = 4
PACKET_S = 0.02
WAIT_S = 20
# A greeting a caller hangs up during (same tone), and how long after its start (the 183).
CANCEL_SECONDS, CANCEL_AFTER_S = 3.5, 1.0
QUIET_S = 1.5  # how long a second end event or call.completed gets to show up


def received_at(message_file):
    """{first line: time} of the first of each SIP message sipp received, from its -trace_msg
    file (sipp's clock: seconds, as time.time())."""
    times, stamp, state = {}, None, None
    with open(message_file, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            found = re.match(r"-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)$", line)
            if found:
                stamp = datetime.datetime.strptime(found.group(1),
                                                   "%Y-%m-%d %H:%M:%S.%f").timestamp()
                state = None
            elif line.startswith("UDP message received"):
                state = "received"
            elif state == "received" and line:
                times.setdefault(line, stamp)
                state = None
    return times


def runs(packets):
    """The packets as [(label, count)]: each packet's tone (one of the test's), "quiet" or
    "other", consecutive equal labels merged."""
    out = []
    for p in packets:
        label = next((hz for hz in (UPLOADED_HZ, DEFAULT_HZ, PLATFORM_HZ, CALLER_HZ)
                      if tone_share(p[3], hz) > 0.8), None)
        if label is None:
            label = "quiet" if max(abs(s) for s in p[3]) < 500 else "other"
        if out and out[-1][0] == label:
            out[-1][1] += 1
        else:
            out.append([label, 1])
    return out


@unittest.skipIf(missing_tools("rtpengine", "baresip", "sox", "lame", "tcpdump"),
                 "needs kamailio, sipp, rtpengine, baresip, sox, lame and tcpdump")
class SipVoicemailGreetingTest(SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    PARTNERS = {"alice": dict(password="alice-pw")}

    @classmethod
    def setUpClass(cls):
        cls.make_sip_tmp()
        probe = Capture(os.path.join(cls.tmp, "probe.pcap"), [free_port()])
        probe.stop()
        cls.prompts = os.path.join(cls.tmp, "prompts")
        os.makedirs(cls.prompts)
        for name in os.listdir(os.path.join(ROOT, "deploy", "prompts")):
            shutil.copy(os.path.join(ROOT, "deploy", "prompts", name), cls.prompts)
        # The default greeting, as a tone the test can tell from the others.
        sox_tone(os.path.join(cls.prompts, "voicemail-greeting.wav"), DEFAULT_HZ,
                 DEFAULT_SECONDS, *PCM_8K)
        cls.rtpengine = RtpEngine(cls.tmp)
        cls.addClassCleanup(cls.rtpengine.stop)
        cls.rtpengine.start()
        cls.EXTRA_ARGS = (
            "--recordings-dir", os.path.join(cls.tmp, "recordings"),
            "--recordings-spool", cls.rtpengine.recording_dir, "--prompts-dir", cls.prompts,
            "--webhooks-allow-private")  # the receiver listens on 127.0.0.1
        super().setUpClass()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)
        # Made before the edge and the platform start, so callsightd's greetings job (a pass
        # every 5 s) writes them meanwhile, in one pass: the ctest entry stays under 30 s.
        cls.uploaded_sources = cls.make_uploaded_sources()
        cls.start_edge(cls.server.switch_url(""), SECRET, voicemail=True,
                       rtpengine=cls.rtpengine, prompts_dir=cls.prompts)
        greeting = os.path.join(cls.tmp, "platform-greeting.wav")
        sox_tone(greeting, PLATFORM_HZ, PLATFORM_SECONDS, *PCM_8K)
        cls.platform = VoicemailPlatform(cls.tmp, cls.edge.vm_port, greeting, MAX_SECONDS)
        cls.addClassCleanup(cls.platform.stop)
        cls.platform.start()

    def setUp(self):
        self.alice = self.session("alice")
        customer = self.one(self.call(self.alice, "POST", "/customers", data={
            "name": "C " + unique(), "custnr": unique("cn")}), "customers")
        self.cid = customer["customer_id"]

    def greeting(self, audio=None):
        """A greeting of the customer: uploaded `audio` (bytes), or none (to be recorded by
        phone: no sound yet)."""
        data = {"customer_id": self.cid, "name": "G " + unique()}
        if audio is not None:
            data["sounddata"] = base64.b64encode(audio).decode()
        return self.one(self.call(self.alice, "POST", "/customers/voicemail_greetings",
                                  data=data), "voicemail_greetings")["vm_greeting_id"]

    def source(self, campaign_settings, **source_settings):
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "K " + unique(), "pricing_model_id": "p1",
            "call_recording": "0", **campaign_settings}), "campaigns")
        number = "+4640%07d" % (int(uuid.uuid4().int % 10**6) + 5_000_000)
        self.server.cli("numbers", "add", number, check=True)
        return self.one(self.call(self.alice, "POST", "/sources", data={
            "customer_id": self.cid, "destnr": number, "name": "S " + unique(),
            "phonenr": "0890510", "campaign_id": campaign["campaign_id"],
            **source_settings}), "sources")

    def routed_from_copy(self):
        """Calls callsightd recorded from the edge's routed events (any action): calls the
        edge routed from its copy of the routes, whose line carried the greeting."""
        with urllib.request.urlopen(self.server.switch_url("/metrics"), timeout=5) as resp:
            found = re.findall(r'callsight_edge_routed_calls_total\{action="\w+"\} (\d+)\n',
                               resp.read().decode())
        return sum(int(n) for n in found)

    def leave_message(self, source, talk_seconds):
        """Calls `source` and talks (a 440 Hz tone) for `talk_seconds`, routed from the edge's
        copy of the routes (checked); returns the sipp log lines and the RTP packets the caller
        received, and keeps when sipp received each SIP message in self.received."""
        self.wait_for_edge_routes()
        routed_before = self.routed_from_copy()
        workdir = tempfile.mkdtemp(dir=self.tmp)
        sox_tone(os.path.join(workdir, "caller.ulaw"), CALLER_HZ, talk_seconds, *ULAW)
        scenario = os.path.join(workdir, "uac_voicemail.xml")
        with open(os.path.join(HERE, "uac_voicemail.xml")) as f:
            text = f.read().replace("@TALK_MS@", str(int(talk_seconds * 1000)))
        with open(scenario, "w") as f:
            f.write(text)
        media_port = free_port()
        capture = Capture(os.path.join(workdir, "caller.pcap"), [media_port])
        log = os.path.join(workdir, "uac.log")
        messages = os.path.join(workdir, "uac.msg")
        try:
            code = subprocess.run(
                ["sipp", "127.0.0.1:%d" % self.edge.sip_port, "-sf", scenario,
                 "-i", "127.0.0.1", "-p", str(free_port()), "-mi", "127.0.0.1",
                 "-mp", str(media_port), "-s", source["destnr"], "-key", "caller",
                 "+46701230000", "-m", "1", "-nostdin", "-trace_logs", "-log_file", log,
                 "-trace_msg", "-message_file", messages,
                 "-timeout", "25", "-timeout_error"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd=workdir, timeout=40).returncode
        finally:
            capture.stop()
        with open(log, encoding="utf-8", errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
        self.assertEqual(code, 0, lines)
        deadline = time.monotonic() + 5
        while self.routed_from_copy() == routed_before and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.routed_from_copy(), routed_before + 1)
        self.received = received_at(messages)
        return lines, read_rtp(capture.path)

    def assert_heard_first(self, packets, hertz, seconds):
        """The caller's first packets are the greeting's tone for its length (20 ms packets),
        with nothing of the platform's greeting at any time, then quiet."""
        heard = runs(packets)
        self.assertTrue(heard, "the caller received no audio")
        label, count = heard[0]
        self.assertEqual(label, hertz, heard)
        self.assertAlmostEqual(count, round(seconds / PACKET_S), delta=4, msg=heard)
        self.assertNotIn(PLATFORM_HZ, [r[0] for r in heard], heard)
        self.assertEqual(heard[1][0], "quiet", heard)  # the platform's silent account
        first = self.rtpengine.first_media_port
        self.assertTrue(all(first <= p[1] < first + self.rtpengine.media_ports
                            for p in packets))

    def wait_for_file(self, path):
        deadline = time.monotonic() + WAIT_S
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                self.fail("%s not written within %d s:\n%s" % (
                    path, WAIT_S, self.server.stderr()[-3000:]))
            time.sleep(0.2)

    @classmethod
    def make_uploaded_sources(cls):
        """{key: (source, greeting file)} of sources of a customer of the class with an uploaded
        greeting of the uploaded tone, and where callsightd will write it for the edge: keys
        UPLOADED_SECONDS and LONG_SECONDS (every call to voicemail, a greeting that long),
        "cancel_all" (every call to voicemail) and "cancel_busy" (diverted on busy), both with
        a greeting CANCEL_SECONDS long. The customer's call.completed events go to
        cls.receiver."""
        made = {}
        with requests.Session() as alice:
            alice.auth = HTTPDigestAuth("alice", "alice-pw")

            def post(path, resource, data):
                resp = alice.post(cls.server.url(path), data=data, timeout=30)
                assert resp.status_code == 200, (path, resp.status_code, resp.text[:300])
                [item] = resp.json()[resource]
                return item

            def add_source(greeting_id, campaign_settings):
                campaign = post("/customers/campaigns", "campaigns", {
                    "customer_id": cid, "name": "K " + unique(), "pricing_model_id": "p1",
                    "call_recording": "0", **campaign_settings})
                number = "+4640%07d" % (int(uuid.uuid4().int % 10**6) + 5_000_000)
                cls.server.cli("numbers", "add", number, check=True)
                source = post("/sources", "sources", {
                    "customer_id": cid, "destnr": number, "name": "S " + unique(),
                    "phonenr": "0890510", "campaign_id": campaign["campaign_id"],
                    "vm_greeting_id": greeting_id})
                return source, os.path.join(cls.prompts, "greeting-%s.wav" % greeting_id)
            cid = post("/customers", "customers", {
                "name": "C " + unique(), "custnr": unique("cn")})["customer_id"]
            post("/webhooks", "webhooks", {"customer_id": cid, "url": cls.receiver.url,
                                           "events": '["call.completed"]'})
            for seconds in (UPLOADED_SECONDS, LONG_SECONDS, CANCEL_SECONDS):
                upload = os.path.join(cls.tmp, "upload-%s.wav" % uuid.uuid4().hex[:6])
                # Not the edge's format (16 kHz): callsightd converts it.
                sox_tone(upload, UPLOADED_HZ, seconds, "-r", "16000", "-c", "1", "-b", "16")
                with open(upload, "rb") as f:
                    audio = base64.b64encode(f.read()).decode()
                greeting_id = post("/customers/voicemail_greetings", "voicemail_greetings", {
                    "customer_id": cid, "name": "G " + unique(),
                    "sounddata": audio})["vm_greeting_id"]
                if seconds != CANCEL_SECONDS:
                    made[seconds] = add_source(greeting_id, {"vm_divert_all": "1"})
            # The loop's last greeting: CANCEL_SECONDS.
            made["cancel_all"] = add_source(greeting_id, {"vm_divert_all": "1"})
            made["cancel_busy"] = add_source(greeting_id, {"vm_divert_busy": "1"})
        return made

    def uploaded_greeting_source(self, key):
        """The source of make_uploaded_sources under `key`, once callsightd has written its
        greeting for the edge."""
        source, path = self.uploaded_sources[key]
        self.wait_for_file(path)
        return source

    def message_of(self, source):
        """The source's call record (extended) and its voicemail recording, once picked up."""
        deadline = time.monotonic() + WAIT_S
        while True:
            [cdr] = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
                "source_id": source["source_id"], "extended": "1"}), "cdrs")
            if cdr["recording_id"]:
                break
            if time.monotonic() > deadline:
                self.fail("no recording: %s\n%s" % (cdr, self.server.stderr()[-3000:]))
            time.sleep(0.2)
        self.assertEqual(cdr["status"], "voicemail")
        recording = self.one(self.call(self.alice, "GET", "/recordings", params={
            "recording_id": cdr["recording_id"]}), "recordings")
        self.assertEqual(recording["type"], "voicemail")
        return cdr, recording

    def counted(self, name, label, value):
        """callsightd's counter `name`{`label`="`value`"}: 0 until it is first counted."""
        with urllib.request.urlopen(self.server.switch_url("/metrics"), timeout=5) as resp:
            found = re.search(r'%s\{%s="%s"\} (\S+)\n' % (name, label, value),
                              resp.read().decode())
        return float(found.group(1)) if found else 0.0

    def completed_events(self, cdr_id):
        """The call.completed events of the call the receiver accepted: {event id: data}."""
        found = {}
        for event_id, copies in self.receiver.accepted().items():
            event = json.loads(copies[0][2])
            if event["type"] == "call.completed" and event["data"]["cdr_id"] == cdr_id:
                found[event_id] = event["data"]
        return found

    def hang_up_during_the_greeting(self, source, diverted=False):
        """Calls `source` (its greeting CANCEL_SECONDS long) and hangs up CANCEL_AFTER_S after
        the edge's 183, the greeting's start; checks what a partner relies on: 200 to the
        CANCEL and 487 to the INVITE at once, the platform never reached, one end event, one
        call.completed, the record ended and no message; `diverted`: the edge reported the
        call's divert to voicemail (a `voicemail` event) before."""
        platform_log = os.path.join(self.platform.dir, "baresip.log")
        platform_before = len(read_lines(platform_log))
        failed_before = self.counted("callsight_call_events_total", "event", "failed")
        hangups_before = self.counted("callsight_call_events_total", "event", "hangup")
        diverts_before = self.counted("callsight_call_events_total", "event", "voicemail")
        # The caller's phone sends its audio (the caller's tone) from the 183 on.
        sox_tone(os.path.join(self.tmp, "caller.ulaw"), CALLER_HZ, 1, *ULAW)
        call_id, code, log, took = self.dial(
            source["destnr"], scenario="uac_cancel_talking.xml",
            duration_ms=int(CANCEL_AFTER_S * 1000),
            extra_args=["-mi", "127.0.0.1", "-mp", str(free_port())])
        self.assertEqual(code, 0, log)
        # The scenario sees the 183, CANCELs, then needs 200 to the CANCEL and 487 to the
        # INVITE (and nothing else: a 200 from the platform fails it).
        self.assertIn("EARLY 183", log)
        self.assertIn("FINAL 487", log)
        self.assertLess(took, CANCEL_SECONDS - 1)  # at the CANCEL, not at the greeting's end
        ended = time.monotonic()
        # rtpengine recorded the call from the offer (the caller's tone from the 183 on):
        # callsightd's recordings job handles that media (waited for here, while the greeting
        # would still play) by discarding it, not by setting it aside as a file it cannot
        # handle, nor by storing a message.
        spool = self.rtpengine.recording_dir
        name = call_id.replace("@", "%40") + "-"

        def files_of_call(folder):
            path = os.path.join(spool, folder)
            return [f for f in os.listdir(path) if name in f] if os.path.isdir(path) else []
        deadline = time.monotonic() + WAIT_S
        while files_of_call("pcaps") or files_of_call("metadata") or files_of_call("tmp"):
            self.assertLess(time.monotonic(), deadline, "the call's media never picked up")
            time.sleep(0.2)
        self.assertEqual(files_of_call("failed"), [])
        # Past the greeting's end (sipp started `took` before `ended`, the 183 at once): the
        # edge must not relay the call to the platform then. The wait is also the time a
        # second end event or call.completed gets to show up.
        time.sleep(max(0.0, ended - took + CANCEL_SECONDS + 0.5 - time.monotonic(),
                       ended + QUIET_S - time.monotonic()))
        # (baresip logs "ua: ..." and "call: answering call ..." for each call it takes.)
        self.assertEqual([line for line in read_lines(platform_log)[platform_before:]
                          if re.match(r"(ua|call): ", line)], [])
        # Exactly one end event reached callsightd: the edge's `failed` 487, no hangup.
        self.assertEqual(self.counted("callsight_call_events_total", "event", "failed"),
                         failed_before + 1)
        self.assertEqual(self.counted("callsight_call_events_total", "event", "hangup"),
                         hangups_before)
        self.assertEqual(self.counted("callsight_call_events_total", "event", "voicemail"),
                         diverts_before + (1 if diverted else 0))
        # The record: ended, the caller's 487 its final status; a voicemail call stays
        # `voicemail` whatever SIP status ends it (docs/kamailio.md, "Call end"); no message.
        deadline = time.monotonic() + WAIT_S
        while True:
            cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
                "source_id": source["source_id"], "extended": "1"}), "cdrs")
            if (len(cdrs) == 1 and cdrs[0]["end"] is not None) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        [cdr] = cdrs
        self.assertEqual((cdr["status"], cdr["sip_status"], cdr["answered"], cdr["duration"]),
                         ("voicemail", "487", "0", "0"), cdr)
        self.assertIsNotNone(cdr["end"], cdr)
        self.assertIsNone(cdr["recording_id"], cdr)
        recordings = self.ok(self.call(self.alice, "GET", "/recordings", params={
            "customer_id": source["customer_id"]}), "recordings")
        self.assertEqual([r for r in recordings if r["cdr_id"] == cdr["cdr_id"]], [])
        # One call.completed for the partner, carrying that outcome.
        deadline = time.monotonic() + WAIT_S
        while not self.completed_events(cdr["cdr_id"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        completed = list(self.completed_events(cdr["cdr_id"]).values())
        self.assertEqual(len(completed), 1, completed)
        self.assertEqual((completed[0]["status"], completed[0]["end"]),
                         ("voicemail", cdr["end"]), completed)

    def test_a_caller_who_hangs_up_during_the_greeting_is_never_put_through(self):
        self.hang_up_during_the_greeting(self.uploaded_greeting_source("cancel_all"))

    def test_a_caller_diverted_on_busy_who_hangs_up_during_the_greeting(self):
        source = self.uploaded_greeting_source("cancel_busy")
        gateway_messages = os.path.join(self.tmp, "gw-%s.msg" % uuid.uuid4().hex[:6])
        self.start_gateway("uas_busy.xml", extra_args=["-trace_msg", "-message_file",
                                                       gateway_messages])
        self.hang_up_during_the_greeting(source, diverted=True)
        # The gateway had the call once (its 486 diverted it), and never again.
        self.assertEqual(len([line for line in read_lines(gateway_messages)
                              if line.startswith("INVITE sip:")]), 1)

    def test_the_caller_hears_the_sources_uploaded_greeting_and_the_message_is_kept(self):
        source = self.uploaded_greeting_source(UPLOADED_SECONDS)
        log, packets = self.leave_message(source, 2.5)
        self.assertIn("BYE 200", log)
        self.assert_heard_first(packets, UPLOADED_HZ, UPLOADED_SECONDS)
        # The message: the caller's side is recorded from the answer, which follows the
        # greeting (early media).
        _, recording = self.message_of(source)
        _, length, crossings = mp3_channels_and_seconds(
            base64.b64decode(recording["sounddata"]), self.tmp)
        self.assertAlmostEqual(length, 2.5, delta=0.5)
        self.assertAlmostEqual(crossings[0], CALLER_HZ, delta=40)

    def test_a_message_after_an_uploaded_greeting_is_cut_at_the_maximum_length(self):
        source = self.uploaded_greeting_source(LONG_SECONDS)
        # The caller talks on from the answer, longer than the maximum.
        log, packets = self.leave_message(source, MAX_SECONDS + 4)
        self.assertIn("BYE received", log)  # the platform hung up, not the caller
        self.assert_heard_first(packets, UPLOADED_HZ, LONG_SECONDS)
        # The call's end: the platform's BYE came the greeting's length plus the maximum after
        # the edge's 183 (the greeting's start; measured 9.51 s). Not the caller's last
        # packet: baresip sends its BYE 0.5 s after its audio ends.
        [progress] = [t for first, t in self.received.items() if first.startswith("SIP/2.0 183")]
        [bye] = [t for first, t in self.received.items() if first.startswith("BYE ")]
        self.assertAlmostEqual(bye - progress, LONG_SECONDS + MAX_SECONDS, delta=1.0)
        # The message stored: the maximum long, the caller's tone throughout.
        _, recording = self.message_of(source)
        self.assertAlmostEqual(int(recording["duration_ms"]) / 1000, MAX_SECONDS, delta=1.0)
        _, length, crossings = mp3_channels_and_seconds(
            base64.b64decode(recording["sounddata"]), self.tmp)
        self.assertAlmostEqual(length, MAX_SECONDS, delta=1.0)
        self.assertAlmostEqual(crossings[0], CALLER_HZ, delta=40)

    def test_a_greeting_without_a_file_plays_the_default_greeting(self):
        # The campaign's greeting (the source names none), not recorded yet: no file, so the
        # edge plays its default; diverted on busy, as a divert takes the same path.
        greeting_id = self.greeting()
        source = self.source({"vm_divert_busy": "1", "vm_greeting_id": greeting_id})
        self.start_gateway("uas_busy.xml")
        log, packets = self.leave_message(source, 2)
        self.assertIn("BYE 200", log)
        self.assertFalse(os.path.exists(
            os.path.join(self.prompts, "greeting-%s.wav" % greeting_id)))
        self.assert_heard_first(packets, DEFAULT_HZ, DEFAULT_SECONDS)


if __name__ == "__main__":
    unittest.main()
