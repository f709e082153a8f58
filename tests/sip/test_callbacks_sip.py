"""Callbacks over real SIP: callsightd's due callbacks are claimed by the Kamailio edge
(POST /switch/callbacks/claim every second), dialled as an INVITE to the agent at the sipp
"gateway", and the outcome read back through the partner API (GET /customers/callbacks and
GET /statistics/cdrs/out, docs/api.md).

Run from tests/sip:
    CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_callbacks_sip
Needs kamailio and sipp (scripts/install-sip-deps) and a built callsightd (--switch-listen).
"""
import datetime
import os
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import ServerTestCase, unique  # noqa: E402
from sip_harness import SipCallsMixin, missing_tools, read_lines  # noqa: E402

SECRET = "sip-cb-" + uuid.uuid4().hex[:8]
AGENT = "+46701234567"
REQUESTER = "+46709876543"
CALLER_ID = "+46812345678"
TALK_MS = 3000
# Claimed within a poll interval (1 s), dialled, then the talk time and the events' way back.
SETTLE_S = 10.0

_CALLBACK_LINE = re.compile(r"CALLBACK ruri=(\S*) from=(\S*) connect=(\S*) callback=(\S*)")


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class SipCallbackTest(SipCallsMixin, ServerTestCase):
    SWITCH_SECRET = SECRET
    PARTNERS = {"alice": dict(password="alice-pw")}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_sip_tmp()
        cls.start_edge(cls.server.switch_url(""), SECRET)

    def setUp(self):
        self.alice = self.session("alice")
        data = dict(name="C " + unique(), custnr=unique("cn"))
        customer = self.one(self.call(self.alice, "POST", "/customers", data=data), "customers")
        self.cid = customer["customer_id"]

    # ----- partner API -----

    def callback(self, **fields):
        fields.update(customer_id=self.cid, agent_nr=AGENT, requester_nr=REQUESTER,
                      caller_id=CALLER_ID)
        return self.one(self.call(self.alice, "POST", "/customers/callbacks", data=fields),
                        "callbacks")

    def callback_now(self, callback_id):
        # The list defaults to callbacks scheduled from now on; ours are a little older.
        since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
        params = {"customer_id": self.cid, "from_date": since.strftime("%Y-%m-%d %H:%M:%S")}
        listed = self.ok(self.call(self.alice, "GET", "/customers/callbacks", params=params),
                         "callbacks")
        return next(c for c in listed if c["id"] == callback_id)

    def out_cdrs(self, callback_id):
        resp = self.call(self.alice, "GET", "/statistics/cdrs/out",
                         params={"customer_id": self.cid})
        return [c for c in self.ok(resp, "cdrs") if c.get("callback_id") == callback_id]

    def wait_for(self, what, probe, timeout=SETTLE_S):
        """Polls probe() until it returns something true; returns that."""
        deadline = time.monotonic() + timeout
        while True:
            got = probe()
            if got:
                return got
            if time.monotonic() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(0.2)

    def completed(self, callback_id):
        now = self.wait_for("the callback to complete",
                            lambda: (lambda c: c if c["completed"] == "1" else None)(
                                self.callback_now(callback_id)))
        self.assertRegex(now["cdr_id"] or "", r"^[1-9][0-9]*$", now)
        return now

    def out_cdr(self, cdr_id):
        resp = self.call(self.alice, "GET", "/statistics/cdrs/out", params={"cdr_id": cdr_id})
        [cdr] = self.ok(resp, "cdrs")
        return cdr

    # ----- tests -----

    def test_answered_callback_calls_the_agent_and_records_the_talk_time(self):
        gw = self.start_gateway("uas_agent_answer.xml", ["-d", str(TALK_MS)])
        callback = self.callback()
        now = self.completed(callback["id"])

        # The agent's INVITE: from the caller id, naming whom to connect.
        invites = [_CALLBACK_LINE.search(line) for line in read_lines(gw)]
        self.assertEqual([m.groups() for m in invites if m],
                         [(AGENT, CALLER_ID, REQUESTER, callback["id"])], read_lines(gw))
        # The edge asked the gateway to transfer the answered agent to the requester.
        refer = self.wait_for("the REFER", lambda: [line for line in read_lines(gw)
                                                     if line.startswith("REFER to=")])
        self.assertEqual(refer, [f"REFER to=sip:{REQUESTER}@127.0.0.1:{self.edge.gw_port}"])

        # The agent's BYE after the talk time ends the record.
        cdr = self.wait_for("the hangup", lambda: (lambda c: c if c["end"] else None)(
            self.out_cdr(now["cdr_id"])))
        self.assertEqual((cdr["status"], cdr["answered"], cdr["callback_id"], cdr["cnum"]),
                         ("answered", "1", callback["id"], AGENT), cdr)
        self.assertEqual(cdr["hangup_by"], "callee", cdr)
        self.assertGreaterEqual(int(cdr["duration"]), TALK_MS // 1000 - 1, cdr)
        self.assertLessEqual(int(cdr["duration"]), TALK_MS // 1000 + 2, cdr)
        self.assertIsNotNone(cdr["ringing_at"], cdr)

    def test_busy_agent_with_no_retry_left_completes_the_callback_as_busy(self):
        self.start_gateway("uas_busy.xml")
        callback = self.callback(retries="0")
        now = self.completed(callback["id"])
        cdr = self.out_cdr(now["cdr_id"])
        self.assertEqual((cdr["status"], cdr["answered"], cdr["sip_status"], cdr["duration"]),
                         ("busy", "0", "486", "0"), cdr)
        self.assertEqual(cdr["callback_id"], callback["id"])

    def test_unanswered_agent_is_cancelled_after_the_ring_timeout_and_fails_with_408(self):
        gw = self.start_gateway("uas_agent_noanswer.xml")
        callback = self.callback(retries="0")
        now = self.completed(callback["id"])
        self.assertIn("CANCEL received", read_lines(gw))
        cdr = self.out_cdr(now["cdr_id"])
        self.assertEqual((cdr["answered"], cdr["sip_status"], cdr["duration"]),
                         ("0", "408", "0"), cdr)
        self.assertIsNotNone(cdr["ringing_at"], cdr)

    def test_busy_agent_with_a_retry_left_keeps_the_callback_open(self):
        self.start_gateway("uas_busy.xml")
        callback = self.callback(retries="1", retry_interval="30")
        [cdr] = self.wait_for("the busy attempt", lambda: [
            c for c in self.out_cdrs(callback["id"]) if c["status"] != "in_progress"])
        self.assertEqual((cdr["status"], cdr["sip_status"]), ("busy", "486"), cdr)
        now = self.callback_now(callback["id"])
        self.assertEqual((now["completed"], now["cdr_id"]), ("0", None), now)


if __name__ == "__main__":
    unittest.main()
