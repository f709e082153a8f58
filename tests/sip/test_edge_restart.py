"""callsightd killed (-9) in the middle of 100 calls/s through the Kamailio edge and started
again: no call's record goes wrong and no webhook is lost (docs/kamailio.md, "Event spool"
and "Routes at the edge").

Calls answered before the kill hang up while callsightd is away: their ends wait in the
edge's spool and arrive once it is back. Calls that arrive while it is away are routed from
the edge's copy of the routes, and their records come from the spool too.

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_edge_restart
"""
import collections
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest
import uuid

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import unique  # noqa: E402
from sip_harness import SipCallsMixin, missing_tools, restartable_server  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

SECRET = "sip-restart-" + uuid.uuid4().hex[:8]
RATE = 100
CALLS = 700
TALK_MS = 2000
KILL_AFTER_S = 3.0
AWAY_S = 2.0
SETTLE_S = 60.0


def sipp_counts(out):
    """sipp's final Successful/Failed call counters (cumulative column)."""
    counts = {}
    for name in ("Successful call", "Failed call"):
        found = re.findall(name + r"\s*\|\s*\d+\s*\|\s*(\d+)", out)
        counts[name] = int(found[-1]) if found else None
    return counts


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class EdgeRestartTest(SipCallsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_sip_tmp()
        cls.workdir = tempfile.mkdtemp(prefix="callsight-restart-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, ignore_errors=True)
        cls.server = restartable_server(cls.workdir, SECRET, "--webhooks-allow-private",
                                        "--webhook-retry-base-seconds", "1")
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.add_partner("alice", "alice-pw")
        cls.server.start()
        cls.start_edge(cls.server.switch_url(""), SECRET)

    def cdrs(self, source_id):
        out = []
        for page in range(100):
            body = self.partner_api("GET", "/statistics/cdrs",
                            params={"source_id": source_id, "page": page, "pagesize": 1000})
            out += body["cdrs"]
            if len(out) >= int(body["total"]):
                return out
        raise AssertionError("more pages than expected")

    def test_a_kill_9_mid_run_loses_no_event_and_no_webhook(self):
        customer = self.partner_api("POST", "/customers", data={
            "name": "C " + unique(), "custnr": unique("cn")})["customers"][0]
        number = "+4640%07d" % (int(uuid.uuid4().int % 10**6) + 7000000)
        self.server.cli("numbers", "add", number, check=True)
        source = self.partner_api("POST", "/sources", data={
            "customer_id": customer["customer_id"], "destnr": number, "name": "radio",
            "phonenr": "0890510"})["sources"][0]
        receiver = Receiver()
        self.addCleanup(receiver.close)
        self.partner_api("POST", "/webhooks", data={
            "customer_id": customer["customer_id"], "url": receiver.url,
            "events": json.dumps(["call.started", "call.completed"])})
        self.start_gateway("uas_answer.xml")

        burst = {}
        caller = threading.Thread(target=lambda: burst.update(
            out=self.dial_burst(number, CALLS, RATE, TALK_MS)))
        caller.start()
        time.sleep(KILL_AFTER_S)
        self.server.kill()
        time.sleep(AWAY_S)
        self.server.start()
        caller.join(timeout=120)
        self.assertFalse(caller.is_alive(), "sipp did not finish")
        _, uac, _, out = burst["out"]
        answered = uac.count("FINAL 200")
        self.assertEqual(answered, CALLS, collections.Counter(uac))

        # Every call ends answered, with the duration sipp held, once.
        deadline = time.monotonic() + SETTLE_S
        while True:
            records = self.cdrs(source["source_id"])
            done = [c for c in records if c["end"] is not None]
            if len(done) >= CALLS or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(len(records), CALLS)
        self.assertEqual(collections.Counter(c["status"] for c in records), {"answered": CALLS})
        for cdr in records:
            self.assertIsNotNone(cdr["end"], cdr)
            self.assertLessEqual(abs(int(cdr["duration"]) - TALK_MS // 1000), 1, cdr)

        # Every record's call.started and call.completed reached the receiver; a repeat
        # delivery carries the same event id.
        self.assert_call_webhooks(receiver, records, SETTLE_S)

        # The ends that happened while callsightd was away waited at the edge.
        with open(os.path.join(self.edge.dir, "kamailio.log"), errors="replace") as log:
            text = log.read()
        self.assertIn("event delivery failing", text)
        self.assertIn("event delivery works again", text)
        self.assertNotIn("spool full", text)
        # Once drained, the edge reports an empty spool (at least once a second). The
        # delivery that drains it still carries old events (depth 0, lag their age): the
        # lag is 0 from the next one on.
        deadline = time.monotonic() + 5
        while True:
            metrics = requests.get(self.server.switch_url("/metrics"), timeout=10).text
            drained = (re.search(r'callsight_edge_spool_depth\{edge="[^"]+"\} 0\n', metrics)
                       and re.search(r'callsight_edge_spool_lag_seconds\{edge="[^"]+"\} 0\n',
                                     metrics))
            if drained or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(drained, metrics)
        self.assertRegex(metrics, r'callsight_edge_spool_dropped_events\{edge="[^"]+"\} 0\n')
        # The calls of the outage were routed from the copy, and recorded by this process.
        routed = re.search(r'callsight_edge_routed_calls_total\{action="forward"\} (\d+)\n',
                           metrics)
        self.assertTrue(routed and int(routed.group(1)) > 0, metrics)

if __name__ == "__main__":
    unittest.main()
