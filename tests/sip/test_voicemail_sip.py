"""Voicemail end to end: sipp callers -> Kamailio edge -> voicemail platform (baresip,
scripts/voicemail-run), each message's media relayed and recorded by rtpengine and picked up
by callsightd as a recording of kind voicemail on its call; the new-voicemail mail with a
signed link reaches a real SMTP relay (docs/recordings.md, "Voicemail").

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_voicemail_sip
Needs kamailio, sipp, rtpengine, baresip, sox and lame (scripts/install-sip-deps), and
Debian's python3-aiosmtpd for /usr/bin/python3.
"""
import base64
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

import tls_certs  # noqa: E402
from harness import HTTP_TIMEOUT, ServerTestCase, unique  # noqa: E402
from sip_harness import (HERE, PCM_8K, ULAW, RtpEngine, SipCallsMixin,  # noqa: E402
                         VoicemailPlatform, free_port, missing_tools, sox_tone)
from test_mail_notifications import Relay, have_aiosmtpd  # noqa: E402
from test_recordings import mp3_channels_and_seconds  # noqa: E402

import requests  # noqa: E402

SECRET = "sip-vm-" + uuid.uuid4().hex[:8]
GREETING_SECONDS = 0.5
MAX_SECONDS = 4  # the longest message after the greeting
PICKUP_TIMEOUT = 30
SMTP_USER, SMTP_PASSWORD = "callsight", "relay-pw-" + uuid.uuid4().hex[:6]
PUBLIC_URL = "https://calls.example"


@unittest.skipIf(missing_tools("rtpengine", "baresip", "sox", "lame") or not have_aiosmtpd(),
                 "needs kamailio, sipp, rtpengine, baresip, sox and lame "
                 "(scripts/install-sip-deps) and python3-aiosmtpd")
class SipVoicemailTest(SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    PARTNERS = {"alice": dict(password="alice-pw")}

    @classmethod
    def setUpClass(cls):
        cls.make_sip_tmp()
        cls.rtpengine = RtpEngine(cls.tmp)
        cls.addClassCleanup(cls.rtpengine.stop)
        cls.rtpengine.start()
        cls.ca = tls_certs.make_ca(cls.tmp, "vm-mail-test")
        cls.cert, cls.key = tls_certs.issue(cls.tmp, "relay", cls.ca,
                                            ["IP:127.0.0.1", "DNS:localhost"])
        password_file = os.path.join(cls.tmp, "smtp-password")
        with open(password_file, "w") as f:
            f.write(SMTP_PASSWORD + "\n")
        cls.smtp_port = free_port(socket.SOCK_STREAM)
        cls.EXTRA_ARGS = (
            "--recordings-dir", os.path.join(cls.tmp, "recordings"),
            "--recordings-spool", cls.rtpengine.recording_dir, "--public-url", PUBLIC_URL,
            "--smtp-relay", "127.0.0.1:%d" % cls.smtp_port, "--smtp-tls", "starttls",
            "--smtp-ca-file", cls.ca[0], "--smtp-user", SMTP_USER,
            "--smtp-password-file", password_file, "--mail-from", "calls@callsight.example")
        super().setUpClass()
        cls.start_edge(cls.server.switch_url(""), SECRET, voicemail=True,
                       rtpengine=cls.rtpengine)
        greeting = os.path.join(cls.tmp, "greeting.wav")
        sox_tone(greeting, 1000, GREETING_SECONDS, *PCM_8K)
        cls.platform = VoicemailPlatform(cls.tmp, cls.edge.vm_port, greeting, MAX_SECONDS)
        cls.addClassCleanup(cls.platform.stop)
        cls.platform.start()

    def setUp(self):
        self.alice = self.session("alice")
        customer = self.one(self.call(self.alice, "POST", "/customers", data={
            "name": "C " + unique(), "custnr": unique("cn")}), "customers")
        self.cid = customer["customer_id"]
        self.address = "vm-%s@example.com" % uuid.uuid4().hex[:8]  # this test's mails only
        self.outdir = tempfile.mkdtemp(dir=self.tmp)
        self.relay = Relay(self.smtp_port, self.cert, self.key, SMTP_PASSWORD, self.outdir, ())
        self.addCleanup(self.relay.stop)

    def source(self, **settings):
        """A source whose campaign sends calls to voicemail as `settings` say (unrecorded
        unless they say call_recording=1: the message is recorded anyway), its messages
        mailed to self.address."""
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "K " + unique(), "pricing_model_id": "p1",
            "call_recording": "0", **settings}), "campaigns")
        number = "+4640%07d" % (int(uuid.uuid4().int % 10**6) + 4_000_000)
        self.server.cli("numbers", "add", number, check=True)
        return self.one(self.call(self.alice, "POST", "/sources", data={
            "customer_id": self.cid, "destnr": number, "name": "S " + unique(),
            "phonenr": "0890510", "campaign_id": campaign["campaign_id"],
            "email": self.address, "notify_on_new_voicemail": "1"}), "sources")

    def leave_messages(self, source, messages):
        """Calls `source` once per (hertz, talk seconds) in `messages`, all at the same time,
        each caller sending its tone until it hangs up (or the platform does); returns each
        call's (Call-ID, sipp <log> lines) in the same order."""
        self.wait_for_edge_routes()
        calls = []
        for hertz, seconds in messages:
            workdir = tempfile.mkdtemp(dir=self.tmp)
            sox_tone(os.path.join(workdir, "caller.ulaw"), hertz, seconds, *ULAW)
            scenario = os.path.join(workdir, "uac_voicemail.xml")
            with open(os.path.join(HERE, "uac_voicemail.xml")) as f:
                text = f.read().replace("@TALK_MS@", str(int(seconds * 1000)))
            with open(scenario, "w") as f:
                f.write(text)
            call_id = "vm%s@127.0.0.1" % uuid.uuid4().hex[:12]
            log = os.path.join(workdir, "uac.log")
            proc = subprocess.Popen(
                ["sipp", "127.0.0.1:%d" % self.edge.sip_port, "-sf", scenario,
                 "-i", "127.0.0.1", "-p", str(free_port()), "-mi", "127.0.0.1",
                 "-mp", str(free_port()), "-s", source["destnr"], "-key", "caller",
                 "+4670%d0000" % hertz, "-cid_str", call_id, "-m", "1",
                 "-nostdin", "-trace_logs", "-log_file", log, "-timeout", "25",
                 "-timeout_error"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                cwd=workdir)
            calls.append((call_id, proc, log))
        out = []
        for call_id, proc, log in calls:
            self.assertEqual(proc.wait(timeout=40), 0, self.read_log(log))
            out.append((call_id, self.read_log(log)))
        return out

    @staticmethod
    def read_log(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            return [line.strip() for line in f if line.strip()]

    def messages_of(self, source, count):
        """The source's settled CDRs (extended) once `count` of them have a recording."""
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while True:
            cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
                "source_id": source["source_id"], "extended": "1"}), "cdrs")
            if len([c for c in cdrs if c["recording_id"] and c["end"]]) == count:
                return cdrs
            if time.monotonic() > deadline:
                self.fail("%d recordings within %d s: %s\n%s" % (
                    count, PICKUP_TIMEOUT, cdrs, self.server.stderr()[-3000:]))
            time.sleep(0.2)

    def recording(self, recording_id):
        return self.one(self.call(self.alice, "GET", "/recordings",
                                  params={"recording_id": recording_id}), "recordings")

    def wait_for_mails(self, count):
        """This test's mails (to self.address: a mail of another test, retried late, may
        reach this test's relay), once `count` have arrived."""
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while True:
            mails = []
            for name in sorted(n for n in os.listdir(self.outdir) if n.endswith(".eml")):
                with open(os.path.join(self.outdir, name), "rb") as f:
                    mail = email.message_from_bytes(f.read(), policy=email.policy.default)
                if mail["To"] == self.address:
                    mails.append(mail)
            if len(mails) >= count:
                return mails
            if time.monotonic() > deadline:
                self.fail("%d mails, not %d:\n%s" % (len(mails), count,
                                                     self.server.stderr()[-3000:]))
            time.sleep(0.1)

    def test_two_messages_at_once_land_on_their_own_calls_with_their_own_length(self):
        source = self.source(vm_divert_busy="1")
        self.start_gateway("uas_busy.xml")
        # Same start, different tone and length: a mix-up shows in either.
        messages = [(440, 2), (660, 3.5)]
        calls = self.leave_messages(source, messages)
        for _, log in calls:
            self.assertIn("BYE 200", log)  # each caller hung up: no cut
        cdrs = {c["cdr_id"]: c for c in self.messages_of(source, 2)}
        links = {}
        for hertz, seconds in messages:
            # Each caller's number names its tone (+46704400000 sends 440 Hz); anum shows
            # it masked (+46704400xxx).
            [cdr] = [c for c in cdrs.values() if c["anum"].startswith("+4670%d" % hertz)]
            self.assertEqual(cdr["status"], "voicemail")
            self.assertEqual(cdr["answered"], "0")
            recording = self.recording(cdr["recording_id"])
            self.assertEqual(recording["type"], "voicemail")
            self.assertEqual(recording["cdr_id"], cdr["cdr_id"])
            self.assertAlmostEqual(int(recording["duration_ms"]) / 1000, seconds, delta=0.5)
            audio = base64.b64decode(recording["sounddata"])
            channels, length, crossings = mp3_channels_and_seconds(audio, self.tmp)
            self.assertEqual(channels, 2)
            self.assertAlmostEqual(length, seconds, delta=0.5)
            self.assertAlmostEqual(crossings[0], hertz, delta=40)  # the caller, on the left
            links[recording["recording_id"]] = audio
        # One mail per message, each with a link that plays that message without a login.
        mails = self.wait_for_mails(2)
        linked = set()
        for mail in mails:
            self.assertIn("New voicemail", mail["Subject"])
            body = mail.get_content().replace("\r\n", "\n")
            [link] = re.findall(re.escape(PUBLIC_URL) + r"/recordings/audio/\S+", body)
            recording_id = urllib.parse.urlsplit(link).path.rsplit("/", 1)[1]
            expires = int(urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["expires"][0])
            self.assertAlmostEqual(expires - time.time(), 7 * 86400, delta=120)
            resp = requests.get(self.server.url(link[len(PUBLIC_URL):]), timeout=HTTP_TIMEOUT)
            self.assertEqual(resp.status_code, 200)
            self.assertEqual(resp.content, links[recording_id])
            linked.add(recording_id)
        self.assertEqual(linked, set(links))

    def test_a_long_message_is_cut_at_the_maximum_length(self):
        source = self.source(vm_divert_all="1")
        [(_, log)] = self.leave_messages(source, [(550, MAX_SECONDS + 4)])
        self.assertIn("BYE received", log)  # the platform hung up
        [cdr] = self.messages_of(source, 1)
        self.assertEqual(cdr["status"], "voicemail")
        recording = self.recording(cdr["recording_id"])
        self.assertEqual(recording["type"], "voicemail")
        self.assertAlmostEqual(int(recording["duration_ms"]) / 1000,
                               GREETING_SECONDS + MAX_SECONDS, delta=0.5)
        [mail] = self.wait_for_mails(1)
        self.assertIn(recording["recording_id"], mail.get_content())

    def test_an_unanswered_call_is_diverted_and_its_message_kept(self):
        # The gateway rings until the edge's ring timeout (408): vm_divert_noanswer.
        source = self.source(vm_divert_noanswer="1")
        self.start_gateway("uas_noanswer.xml")
        [(_, log)] = self.leave_messages(source, [(440, 2)])
        self.assertIn("BYE 200", log)
        [cdr] = self.messages_of(source, 1)
        self.assertEqual(cdr["status"], "voicemail")
        recording = self.recording(cdr["recording_id"])
        self.assertEqual(recording["type"], "voicemail")
        self.assertAlmostEqual(int(recording["duration_ms"]) / 1000, 2, delta=0.5)
        _, _, crossings = mp3_channels_and_seconds(
            base64.b64decode(recording["sounddata"]), self.tmp)
        self.assertAlmostEqual(crossings[0], 440, delta=40)

    def test_a_recorded_call_diverted_to_voicemail_keeps_both_sides_of_the_message(self):
        # Its media went through rtpengine from the first offer; the voicemail branch is
        # offered again (kamailio.cfg, MEDIA_VOICEMAIL). Both sides of the message must be
        # in the recording: the caller's tone and the platform's greeting.
        source = self.source(vm_divert_busy="1", call_recording="1")
        self.start_gateway("uas_busy.xml")
        [(_, log)] = self.leave_messages(source, [(440, 2)])
        self.assertIn("BYE 200", log)
        [cdr] = self.messages_of(source, 1)
        recording = self.recording(cdr["recording_id"])
        self.assertEqual(recording["type"], "voicemail")
        _, length, crossings = mp3_channels_and_seconds(
            base64.b64decode(recording["sounddata"]), self.tmp)
        self.assertAlmostEqual(length, 2, delta=0.5)
        self.assertAlmostEqual(crossings[0], 440, delta=40)
        # The right channel: the 1000 Hz greeting for 0.5 s, then silence (about 250
        # crossings a second over the 2 s; measured 312, the MP3's noise in the silence).
        # Without the platform's audio it is near 0.
        self.assertGreater(crossings[1], 150)


if __name__ == "__main__":
    unittest.main()
