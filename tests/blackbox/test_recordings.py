"""Recordings (docs/recordings.md, docs/api.md "/recordings"): a finished call's media in
rtpengine's spool is picked up, turned into a stereo MP3 and stored on its call; the partner
API lists it, serves it in base64 and through a signed link with Range and ETag; retention,
deletion and a caller's erasure remove its audio; another partner never reaches it.

The spool is filled as rtpengine fills it (recording_spool.py), so this runs without SIP;
tests/sip/test_recordings_sip.py records real calls.
"""
import base64
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import unittest
import uuid
import wave

import requests

from harness import HTTP_TIMEOUT, Server, ServerTestCase, _psql, unique
from recording_spool import FIXTURE_SECONDS, RecordingSpool
from resource_helpers import CustomerResourceMixin
from webhook_receiver import ReceiverMixin

SECRET = "switch-secret-" + unique()
LINK_SECONDS = 3
PICKUP_TIMEOUT = 30


def mp3_channels_and_seconds(mp3_bytes, workdir):
    """Decodes with lame (as a player would); returns (channels, seconds, [per-channel
    zero crossings per second])."""
    mp3 = os.path.join(workdir, uuid.uuid4().hex + ".mp3")
    wav = mp3[:-4] + ".wav"
    with open(mp3, "wb") as f:
        f.write(mp3_bytes)
    subprocess.run(["lame", "--quiet", "--decode", mp3, wav], check=True, timeout=60)
    with wave.open(wav) as w:
        channels, rate, frames = w.getnchannels(), w.getframerate(), w.getnframes()
        data = w.readframes(frames)
    samples = memoryview(data).cast("h")
    crossings = []
    for channel in range(channels):
        values = samples[channel::channels]
        flips = sum(1 for a, b in zip(values, values[1:]) if (a < 0) != (b < 0))
        crossings.append(flips / (frames / rate) / 2)  # a sine crosses zero twice a period
    return channels, frames / rate, crossings


@unittest.skipIf(shutil.which("lame") is None, "needs lame (scripts/install-sip-deps)")
class RecordingsTest(ReceiverMixin, CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SECRET

    @classmethod
    def setUpClass(cls):
        cls.spool = RecordingSpool()
        cls.workdir = cls.spool.workdir
        cls.EXTRA_ARGS = ("--webhooks-allow-private", *cls.spool.server_args(),
                          "--recordings-expiry-seconds", "1",
                          "--recording-link-seconds", str(LINK_SECONDS),
                          "--public-url", "http://public.example")
        super().setUpClass()
        cls.addClassCleanup(cls.spool.remove)

    def setUp(self):
        super().setUp()
        self.cid = self.customer(self.alice)
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "Recorded", "pricing_model_id": "p1",
            "call_recording": "1"}), "campaigns")
        self.source_id, self.tracking = self.recorded_source(campaign["campaign_id"])

    def recorded_source(self, campaign_id):
        source = self.one(self.source(self.cid, campaign_id=campaign_id), "sources")
        return source["source_id"], source["destnr"]

    # -- the switch and rtpengine, as the edge would drive them -----------------------------
    def route(self, caller="+46701111111"):
        call_id = "rec-%s@127.0.0.1" % uuid.uuid4().hex[:10]
        resp = self.switch_post("/switch/route",
                                {"call_id": call_id, "caller": caller, "dialled": self.tracking})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json()["record"], "1")
        return call_id

    def events(self, call_id, *names):
        at = int(time.time()) - 10
        for offset, name in enumerate(names):
            body = {"call_id": call_id, "event": name, "at": at + 2 * offset}
            if name == "answered":
                body["answering_number"] = "+46890510"
            if name == "failed":
                body["sip_status"] = "486"
            resp = self.switch_post("/switch/events", body)
            self.assertEqual(resp.status_code, 200, resp.text)

    def spool_recording(self, call_id, metadata_text=None):
        return self.spool.add(call_id, metadata_text)

    def recorded_call(self, caller="+46701111111"):
        """A recorded, answered call whose recording was picked up; returns (cdr, recording)."""
        call_id = self.route(caller)
        self.events(call_id, "answered", "hangup")
        self.spool_recording(call_id)
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while True:
            [cdr] = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
                "customer_id": self.cid, "extended": "1", "newest_first": "1",
                "pagesize": "1"}), "cdrs")
            if cdr["recording_id"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertIsNotNone(cdr["recording_id"], "the recording was not picked up:\n" +
                             self.server.stderr()[-2000:])
        recording = self.one(self.call(self.alice, "GET", "/recordings",
                                       params={"recording_id": cdr["recording_id"]}),
                             "recordings")
        return cdr, recording

    def query(self, sql):
        """Rows of `sql` on the server's database (either backend), as lists of text."""
        if self.server.db.startswith("postgres"):
            # NUL between fields (-z), RS between records: texts may hold tabs and newlines.
            out = subprocess.run(["psql", self.server.db, "-At", "-z", "-R", "\x1e", "-c", sql],
                                 capture_output=True, text=True, timeout=60, check=True).stdout
            return [record.split("\0") for record in out.rstrip("\n").split("\x1e") if record]
        with sqlite3.connect(self.server.db) as db:
            return [[str(v) for v in row] for row in db.execute(sql)]

    def mp3_files(self):
        return self.spool.mp3_files()

    def get_link(self, url, **headers):
        path = url[len("http://public.example"):]
        return requests.get(self.server.url(path), headers=headers, timeout=HTTP_TIMEOUT)

    def backdate_recordings(self, days):
        sql = "UPDATE recordings SET created = created - %d" % (days * 86400)
        if self.server.db.startswith("postgres"):
            _psql(self.server.db, sql)
        else:
            with sqlite3.connect(self.server.db) as db:
                db.execute(sql)

    # -- tests ------------------------------------------------------------------------------
    def test_a_recorded_call_is_one_stereo_mp3_caller_left_callee_right(self):
        receiver, _ = self.subscribe_receiver(self.alice, self.cid, ["call.recording_ready"])
        cdr, recording = self.recorded_call()
        self.assertEqual(recording["recording_id"], cdr["recording_id"])
        self.assertEqual(recording["cdr_id"], cdr["cdr_id"])
        self.assertEqual(recording["source_id"], self.source_id)
        self.assertEqual(recording["type"], "call")
        self.assertEqual(recording["expired"], "0")
        self.assert_scalars_are_strings(recording, nullable=("expired_at", "source_id"))
        audio = base64.b64decode(recording["sounddata"])
        self.assertEqual(len(audio), int(recording["bytes"]))
        channels, seconds, crossings = mp3_channels_and_seconds(audio, self.workdir)
        self.assertEqual(channels, 2)
        self.assertAlmostEqual(seconds, FIXTURE_SECONDS, delta=0.5)
        self.assertAlmostEqual(int(recording["duration_ms"]) / 1000, FIXTURE_SECONDS, delta=0.5)
        # The caller sent 440 Hz, the answering party 880 Hz.
        self.assertAlmostEqual(crossings[0], 440, delta=40)
        self.assertAlmostEqual(crossings[1], 880, delta=60)
        [(_, copies)] = receiver.wait_for_count(1).items()
        event = json.loads(copies[0][2])
        self.assertEqual(event["type"], "call.recording_ready")
        self.assertEqual(event["data"]["recording_id"], recording["recording_id"])
        self.assertEqual(event["data"]["cdr_id"], cdr["cdr_id"])
        listed = self.ok(self.call(self.alice, "GET", "/recordings",
                                   params={"customer_id": self.cid}), "recordings")
        self.assertEqual([r["recording_id"] for r in listed], [recording["recording_id"]])
        self.assertNotIn("sounddata", listed[0])

    def test_the_audio_link_streams_ranges_and_refuses_altered_or_expired_links(self):
        _, recording = self.recorded_call()
        url = recording["audio_url"]
        self.assertTrue(url.startswith("http://public.example/recordings/audio/" +
                                       recording["recording_id"] + "?"), url)
        whole = self.get_link(url)
        self.assertEqual(whole.status_code, 200)
        self.assertEqual(whole.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(whole.headers["Accept-Ranges"], "bytes")
        self.assertEqual(whole.content, base64.b64decode(recording["sounddata"]))
        etag = whole.headers["ETag"]
        size = len(whole.content)
        part = self.get_link(url, Range="bytes=100-")
        self.assertEqual(part.status_code, 206)
        self.assertEqual(part.headers["Content-Range"], "bytes 100-%d/%d" % (size - 1, size))
        self.assertEqual(part.content, whole.content[100:])
        self.assertEqual(self.get_link(url, Range="bytes=0-9").content, whole.content[:10])
        self.assertEqual(self.get_link(url, Range="bytes=%d-" % size).status_code, 416)
        self.assertEqual(self.get_link(url, **{"If-None-Match": etag}).status_code, 304)
        # Altered: a later expiry, another digit of the signature, another recording.
        later = re.sub(r"expires=(\d+)", lambda m: "expires=%d" % (int(m.group(1)) + 3600), url)
        flipped = url[:-1] + ("0" if url[-1] != "0" else "1")
        _, other = self.recorded_call("+46702222222")
        swapped = url.replace(recording["recording_id"], other["recording_id"])
        for bad in (later, flipped, swapped, url.split("&signature=")[0]):
            resp = self.get_link(bad)
            self.assertEqual(resp.status_code, 403, bad)
            self.assertNotIn(b"ID3", resp.content[:3])
        time.sleep(LINK_SECONDS + 1.5)
        self.assertEqual(self.get_link(url).status_code, 403)

    def test_another_partner_never_reaches_a_recording(self):
        _, recording = self.recorded_call()
        rid = recording["recording_id"]
        self.assert_error(self.call(self.bob, "GET", "/recordings", params={"recording_id": rid}),
                          404, "not_found", "recording_id")
        self.assert_error(self.call(self.bob, "DELETE", "/recordings",
                                    params={"recording_id": rid}), 404, "not_found",
                          "recording_id")
        self.assert_error(self.call(self.bob, "GET", "/recordings",
                                    params={"customer_id": self.cid}), 404, "not_found",
                          "customer_id")
        # Still there for its owner.
        self.one(self.call(self.alice, "GET", "/recordings", params={"recording_id": rid}),
                 "recordings")

    def test_bad_requests_name_the_field(self):
        self.assert_error(self.call(self.alice, "GET", "/recordings"), 400, "missing",
                          "customer_id")
        self.assert_error(self.call(self.alice, "GET", "/recordings",
                                    params={"recording_id": "not-a-uuid"}), 400, "invalid",
                          "recording_id")
        self.assert_error(self.call(self.alice, "GET", "/recordings",
                                    params={"recording_id": str(uuid.uuid4())}), 404,
                          "not_found", "recording_id")
        self.assert_error(self.call(self.alice, "GET", "/recordings",
                                    params={"customer_id": self.cid, "colour": "red"}), 400,
                          "unknown_parameter")

    def test_text_that_is_not_utf8_is_refused_naming_the_field(self):
        _, recording = self.recorded_call()
        for method in ("GET", "DELETE"):
            resp = self.alice.request(method, self.server.url("/recordings?recording_id=%FF"),
                                      timeout=HTTP_TIMEOUT)
            self.assert_error(resp, 400, "invalid_encoding", "recording_id")
        # The signed link answers no 5xx to bytes that are not UTF-8, and gives nothing away.
        url = recording["audio_url"].replace("signature=", "signature=%FF", 1)
        self.assertEqual(self.get_link(url).status_code, 403)
        self.assertEqual(self.get_link(url.replace(recording["recording_id"], "%FF")).status_code,
                         403)
        self.one(self.call(self.alice, "GET", "/recordings",
                           params={"recording_id": recording["recording_id"]}), "recordings")

    def test_deleting_a_recording_removes_its_audio(self):
        _, recording = self.recorded_call()
        rid = recording["recording_id"]
        before = len(self.mp3_files())
        self.ok(self.call(self.alice, "DELETE", "/recordings", params={"recording_id": rid}),
                "recordings")
        self.assertEqual(len(self.mp3_files()), before - 1)
        self.assert_error(self.call(self.alice, "GET", "/recordings", params={"recording_id": rid}),
                          404, "not_found", "recording_id")
        self.assertEqual(self.get_link(recording["audio_url"]).status_code, 404)
        [cdr] = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
            "customer_id": self.cid, "extended": "1"}), "cdrs")
        self.assertIsNone(cdr["recording_id"])

    def test_erasing_the_caller_removes_their_recordings(self):
        _, kept = self.recorded_call("+46703333333")
        _, erased = self.recorded_call("+46704444444")
        resp = self.call(self.alice, "DELETE", "/callers", params={"anum": "+46704444444"})
        self.assertEqual(self.one(resp, "callers")["recordings_erased"], "1")
        self.assert_error(self.call(self.alice, "GET", "/recordings",
                                    params={"recording_id": erased["recording_id"]}), 404)
        self.one(self.call(self.alice, "GET", "/recordings",
                           params={"recording_id": kept["recording_id"]}), "recordings")

    def test_retention_expires_the_audio_and_keeps_the_row(self):
        _, recording = self.recorded_call()
        rid = recording["recording_id"]
        files_before = len(self.mp3_files())
        self.backdate_recordings(91)  # the default retention is 90 days
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = self.one(self.call(self.alice, "GET", "/recordings",
                                     params={"recording_id": rid}), "recordings")
            if now["expired"] == "1":
                break
            time.sleep(0.2)
        self.assertEqual(now["expired"], "1")
        self.assertEqual(now["sounddata"], "")
        self.assertIsNone(now["audio_url"])
        self.assertIsNotNone(now["expired_at"])
        self.assertLess(len(self.mp3_files()), files_before)
        self.assertEqual(self.get_link(recording["audio_url"]).status_code, 404)

    def test_a_recording_that_cannot_expire_is_counted_and_the_others_expire(self):
        # One bad row never stops a platform job (docs/observability.md, "Background jobs").
        if self.server.db.startswith("postgres"):
            self.skipTest("refuses the expiry with an SQLite trigger")
        _, stuck = self.recorded_call(caller="+46701111112")
        _, fine = self.recorded_call(caller="+46701111113")
        with sqlite3.connect(self.server.db, timeout=30) as db:
            db.execute("CREATE TRIGGER refuse_expiry BEFORE UPDATE ON recordings"
                       " WHEN OLD.recording_id = '%s' AND NEW.expired_at IS NOT NULL"
                       " BEGIN SELECT RAISE(ABORT, 'refused'); END" % stuck["recording_id"])
        db.close()

        def failures():
            text = requests.get(self.server.url("/metrics"), timeout=HTTP_TIMEOUT).text
            found = re.search(r'^callsight_job_row_failures_total\{job="recording_expiry"\} '
                              r'(\d+)$', text, re.M)
            return int(found.group(1)) if found else 0

        def expired(recording):
            return self.one(self.call(self.alice, "GET", "/recordings", params={
                "recording_id": recording["recording_id"]}), "recordings")["expired"] == "1"

        before = failures()
        self.backdate_recordings(91)
        deadline = time.monotonic() + 15
        while not (expired(fine) and failures() > before) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(expired(fine))
        self.assertGreater(failures(), before)
        self.assertFalse(expired(stuck))
        self.assertRegex(self.server.stderr(),
                         r"recording_expiry: skipped recording \d+ \(database error\)")
        # Tried again at the next pass, once the database takes the write.
        with sqlite3.connect(self.server.db, timeout=30) as db:
            db.execute("DROP TRIGGER refuse_expiry")
        db.close()
        deadline = time.monotonic() + 15
        while not expired(stuck) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(expired(stuck))

    def test_a_voicemail_message_is_a_voicemail_recording_and_mails_its_link(self):
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "Closed", "pricing_model_id": "p1",
            "call_recording": "0"}), "campaigns")
        source = self.one(self.source(self.cid, campaign_id=campaign["campaign_id"],
                                      vm_divert_all="1", email="vm@example.com",
                                      notify_on_new_voicemail="1"), "sources")
        call_id = "vm-%s@127.0.0.1" % uuid.uuid4().hex[:10]
        resp = self.switch_post("/switch/route", {"call_id": call_id, "caller": "+46701111111",
                                                  "dialled": source["destnr"]})
        self.assertEqual(resp.json()["action"], "voicemail")
        self.events(call_id, "hangup")  # the voicemail leg's end; nobody answered
        # Picked up twice (a second node, or a pass that stopped after storing): one mail.
        for _ in range(2):
            metadata = self.spool_recording(call_id)
            deadline = time.monotonic() + PICKUP_TIMEOUT
            while os.path.exists(metadata) and time.monotonic() < deadline:
                time.sleep(0.1)
        [cdr] = self.ok(self.call(self.alice, "GET", "/statistics/cdrs", params={
            "source_id": source["source_id"], "extended": "1"}), "cdrs")
        self.assertEqual(cdr["status"], "voicemail")
        recording = self.one(self.call(self.alice, "GET", "/recordings",
                                       params={"recording_id": cdr["recording_id"]}),
                             "recordings")
        self.assertEqual(recording["type"], "voicemail")
        self.assertEqual(recording["cdr_id"], cdr["cdr_id"])
        [(kind, recipient, body)] = self.query(
            "SELECT kind, recipient, body FROM mail_outbox WHERE cdr_id = %d" % int(cdr["cdr_id"]))
        self.assertEqual((kind, recipient), ("voicemail", "vm@example.com"))
        [link] = re.findall(r"http://public\.example/recordings/audio/\S+", body)
        self.assertIn(recording["recording_id"], link)
        expires = int(re.search(r"expires=(\d+)", link).group(1))
        self.assertAlmostEqual(expires - time.time(), 7 * 86400, delta=120)
        resp = self.get_link(link)
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(resp.content, base64.b64decode(recording["sounddata"]))

    def test_an_unanswered_calls_media_is_discarded(self):
        call_id = self.route()
        self.events(call_id, "ringing", "failed")
        metadata = self.spool_recording(call_id)
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while os.path.exists(metadata) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(metadata))
        self.assertEqual(self.ok(self.call(self.alice, "GET", "/recordings",
                                           params={"customer_id": self.cid}), "recordings"), [])

    def test_a_bad_file_in_the_spool_is_set_aside_and_the_job_goes_on(self):
        call_id = self.route()
        self.events(call_id, "answered", "hangup")
        bad = self.spool_recording(call_id, metadata_text="this is not rtpengine's\n")
        cdr, recording = self.recorded_call()  # picked up beside the bad one
        self.assertEqual(recording["cdr_id"], cdr["cdr_id"])
        failed = os.path.join(self.spool.spool, "failed", os.path.basename(bad))
        deadline = time.monotonic() + PICKUP_TIMEOUT
        while not os.path.exists(failed) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(os.path.exists(failed))
        metrics = requests.get(self.url("/metrics"), timeout=HTTP_TIMEOUT).text
        self.assertRegex(metrics, r'callsight_recordings_picked_up_total\{outcome="set_aside"\} 1')


if __name__ == "__main__":
    unittest.main()


@unittest.skipIf(shutil.which("lame") is None, "needs lame (scripts/install-sip-deps)")
class TwoNodesShareOneSpoolTest(CustomerResourceMixin, ServerTestCase):
    """Two nodes on one database pick up from one spool into one recordings directory, as
    docs/recordings.md says nodes may: each call gets one recording, converted once (by the
    node that claimed it), and no MP3 is left that no recording names."""

    SWITCH_SECRET = SECRET
    CALLS = 8

    @classmethod
    def setUpClass(cls):
        cls.spool = RecordingSpool()
        cls.addClassCleanup(cls.spool.remove)
        cls.EXTRA_ARGS = cls.spool.server_args()
        super().setUpClass()
        cls.other = Server(db=cls.server.db, switch_secret=SECRET,
                           extra_args=cls.spool.server_args())
        cls.addClassCleanup(cls.other.cleanup)
        cls.other.start()

    def test_each_call_gets_one_recording_whichever_node_picks_it_up(self):
        cid = self.customer(self.alice)
        source = self.one(self.source(cid), "sources")
        call_ids = []
        for n in range(self.CALLS):
            call_id = "two-%d-%s@127.0.0.1" % (n, unique())
            node = (self.server, self.other)[n % 2]
            resp = requests.post(node.switch_url("/switch/route"), timeout=HTTP_TIMEOUT,
                                 headers={"X-Callsight-Switch-Secret": SECRET},
                                 json={"call_id": call_id, "caller": "+46701111111",
                                       "dialled": source["destnr"]})
            self.assertEqual(resp.status_code, 200, resp.text)
            for name, at in (("answered", 1_800_000_000), ("hangup", 1_800_000_004)):
                resp = requests.post(node.switch_url("/switch/events"), timeout=HTTP_TIMEOUT,
                                     headers={"X-Callsight-Switch-Secret": SECRET},
                                     json={"call_id": call_id, "event": name, "at": at})
                self.assertEqual(resp.status_code, 200, resp.text)
            call_ids.append(call_id)
        for call_id in call_ids:
            self.spool.add(call_id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs",
                                     params={"customer_id": cid, "extended": "1"}), "cdrs")
            leftover = os.listdir(os.path.join(self.spool.spool, "metadata"))
            if all(c["recording_id"] for c in cdrs) and not leftover:
                break
            time.sleep(0.2)
        self.assertEqual(len(cdrs), self.CALLS)
        self.assertTrue(all(c["recording_id"] for c in cdrs), cdrs)
        # One recording per call, each call's once.
        listed = self.ok(self.call(self.alice, "GET", "/recordings",
                                   params={"customer_id": cid}), "recordings")
        self.assertEqual(len(listed), self.CALLS, listed)
        self.assertEqual(sorted(r["cdr_id"] for r in listed), sorted(c["cdr_id"] for c in cdrs))
        # The spool emptied when the last call was stored; a file a node was still writing
        # would show up (or go) after that: count once the recordings directory has settled.
        self.assertEqual(self.settled_file_count(), self.CALLS, self.spool.mp3_files())
        self.assertTrue(all(f.endswith(".mp3") for f in self.spool.mp3_files()))
        self.assertFalse(os.path.exists(os.path.join(self.spool.spool, "failed")))
        claims = os.path.join(self.spool.spool, "claims")
        self.assertEqual(os.listdir(claims) if os.path.exists(claims) else [], [])
        # Each call was converted once: the node that claimed it first did it, and the other
        # never made a second copy to throw away (docs/recordings.md).
        outcomes = {}
        for node in (self.server, self.other):
            metrics = requests.get(node.url("/metrics"), timeout=HTTP_TIMEOUT).text
            for outcome, value in re.findall(
                    r'^callsight_recordings_picked_up_total\{outcome="(\w+)"\} (\S+)$', metrics,
                    re.MULTILINE):
                outcomes[outcome] = outcomes.get(outcome, 0) + float(value)
        self.assertEqual(outcomes, {"stored": self.CALLS})

    def settled_file_count(self, quiet=1.5, timeout=30):
        """The number of files in the recordings directory once it stayed the same for
        `quiet` seconds."""
        deadline = time.monotonic() + timeout
        count, since = len(self.spool.mp3_files()), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = len(self.spool.mp3_files())
            if now != count:
                count, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return count
        self.fail("the recordings directory kept changing: %s" % self.spool.mp3_files())
