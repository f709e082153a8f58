"""Black-box test of `callsight simulate-call` against fake_switch.py.

Run from tests/sip:  python3 -m unittest -v test_simulate_call_fake_switch
The binary comes from $CALLSIGHT_BIN_DIR (default /work/main/build/bin). fake_switch.py
logs every request as a JSON line; the tests assert the exact requests the command sent,
in order, with the simulated `at` of each event.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
BIN_DIR = os.environ.get("CALLSIGHT_BIN_DIR", "/work/main/build/bin")
CLI_BIN = os.path.join(BIN_DIR, "callsight")
SECRET = "sim-secret-" + uuid.uuid4().hex[:8]
CALLER = "+46701111111"

FORWARDED = "+46850000100"
FORWARDED_WITH_VOICEMAIL = "+46850000222"
VOICEMAIL = "+46850000480"
SWITCH_ERROR = "+46850000500"
UNKNOWN = "+46859999999"  # fake_switch rejects numbers it does not know: 404, cdr_id 19

ROUTES = {
    FORWARDED: {"action": "forward", "destination": "+46890510",
                "caller_id": "+46700000001", "record": "0", "cdr_id": "17"},
    FORWARDED_WITH_VOICEMAIL: {"action": "forward", "destination": "+46890222",
                               "caller_id": "+46700000001", "record": "0", "cdr_id": "22",
                               "voicemail_on_busy": "1", "voicemail_on_no_answer": "1"},
    VOICEMAIL: {"action": "voicemail", "cdr_id": "18"},
    SWITCH_ERROR: {"status": 500},
}
CALL_ID_RE = re.compile(r"^route\s+call_id=(sim-[0-9a-f]{16}) ", re.M)


class SimulateCallFakeSwitchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(CLI_BIN, os.X_OK):
            raise unittest.SkipTest(f"{CLI_BIN} not built (set CALLSIGHT_BIN_DIR)")
        cls.tmp = tempfile.TemporaryDirectory(prefix="callsight-simulate-")
        cls.log = os.path.join(cls.tmp.name, "switch.jsonl")
        routes = os.path.join(cls.tmp.name, "routes.json")
        with open(routes, "w", encoding="utf-8") as f:
            json.dump(ROUTES, f)
        cls.switch = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_switch.py"), "--port", "0",
             "--secret", SECRET, "--log", cls.log, "--routes", routes],
            stdout=subprocess.PIPE, text=True)
        banner = cls.switch.stdout.readline()
        cls.switch_url = banner.split()[-1]
        if not cls.switch_url.startswith("http://127.0.0.1:"):
            cls.tearDownClass()
            raise RuntimeError("fake_switch did not start: " + banner)

    @classmethod
    def tearDownClass(cls):
        cls.switch.terminate()
        cls.switch.wait(timeout=10)
        cls.switch.stdout.close()
        cls.tmp.cleanup()

    # ----- helpers -----

    def simulate(self, *args, secret=SECRET, env_name="CALLSIGHT_SWITCH_SECRET"):
        env = {k: v for k, v in os.environ.items() if k != "CALLSIGHT_SWITCH_SECRET"}
        if secret is not None:
            env[env_name] = secret
        return subprocess.run(
            [CLI_BIN, "simulate-call", "--switch", self.switch_url, "--from", CALLER, *args],
            env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    def simulate_ok(self, *args):
        """Runs the command, expects success; returns (call_id, stdout, start time)."""
        started = int(time.time())
        done = self.simulate(*args)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        match = CALL_ID_RE.search(done.stdout)
        self.assertIsNotNone(match, done.stdout)
        return match.group(1), done.stdout, started

    def requests_for(self, call_id):
        """(path, status, body) of every request the switch got for call_id, in order."""
        with open(self.log, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        out = []
        for r in records:
            if (r.get("body") or {}).get("call_id") == call_id:
                self.assertEqual(r["content_type"], "application/json", r)
                out.append((r["path"], r["status"], r["body"]))
        return out

    def assert_route_then_events(self, call_id, dialled, events):
        """The first request is the route request, then exactly `events`, all accepted."""
        sent = self.requests_for(call_id)
        route = sent[0]
        self.assertEqual(route[:2], ("/switch/route", 200))
        self.assertEqual({k: v for k, v in route[2].items() if k != "at"},
                         {"call_id": call_id, "caller": CALLER, "dialled": dialled})
        # The call's start, the time of its first event (all simulated from one instant).
        self.assertIsInstance(route[2]["at"], int)
        if events:
            self.assertEqual(route[2]["at"], events[0]["at"])
        self.assertEqual(sent[1:], [("/switch/events", 204, dict(e, call_id=call_id))
                                    for e in events])

    def assert_start_near(self, at, started):
        self.assertTrue(started <= at <= int(time.time()), (at, started))

    @staticmethod
    def event_at(call_id_records, name):
        return next(body["at"] for _, _, body in call_id_records if body.get("event") == name)

    # ----- tests -----

    def test_answered_call_rings_answers_and_hangs_up_at_simulated_times(self):
        call_id, out, started = self.simulate_ok("--to", FORWARDED, "--answer-after", "3",
                                                 "--talk", "7")
        t0 = self.event_at(self.requests_for(call_id), "ringing")
        self.assert_start_near(t0, started)
        self.assert_route_then_events(call_id, FORWARDED, [
            {"event": "ringing", "sip_status": "180", "at": t0, "cdr_id": "17"},
            {"event": "answered", "sip_status": "200", "at": t0 + 3, "cdr_id": "17",
             "answering_number": "+46890510"},
            {"event": "hangup", "sip_status": "200", "at": t0 + 10, "cdr_id": "17",
             "hangup_by": "caller"},
        ])
        lines = out.splitlines()
        self.assertEqual([line.split()[0] for line in lines],
                         ["route", "answer", "event", "event", "event", "cdr_id"])
        self.assertEqual(lines[-1].split(), ["cdr_id", "17"])

    def test_default_timing_is_two_seconds_ringing_and_ten_talking(self):
        call_id, _, _ = self.simulate_ok("--to", FORWARDED)
        sent = self.requests_for(call_id)
        t0 = self.event_at(sent, "ringing")
        self.assertEqual(self.event_at(sent, "answered"), t0 + 2)
        self.assertEqual(self.event_at(sent, "hangup"), t0 + 12)

    def test_busy_callee_fails_with_486_right_after_ringing(self):
        call_id, out, started = self.simulate_ok("--to", FORWARDED, "--busy")
        t0 = self.event_at(self.requests_for(call_id), "ringing")
        self.assert_start_near(t0, started)
        self.assert_route_then_events(call_id, FORWARDED, [
            {"event": "ringing", "sip_status": "180", "at": t0, "cdr_id": "17"},
            {"event": "failed", "sip_status": "486", "at": t0, "cdr_id": "17"},
        ])
        self.assertEqual(out.splitlines()[-1].split(), ["cdr_id", "17"])

    def test_unanswered_call_fails_with_408_after_answer_after(self):
        call_id, _, started = self.simulate_ok("--to", FORWARDED, "--no-answer",
                                               "--answer-after", "25")
        t0 = self.event_at(self.requests_for(call_id), "ringing")
        self.assert_start_near(t0, started)
        self.assert_route_then_events(call_id, FORWARDED, [
            {"event": "ringing", "sip_status": "180", "at": t0, "cdr_id": "17"},
            {"event": "failed", "sip_status": "408", "at": t0 + 25, "cdr_id": "17"},
        ])

    def test_busy_with_voicemail_on_busy_diverts_instead_of_failing(self):
        call_id, _, _ = self.simulate_ok("--to", FORWARDED_WITH_VOICEMAIL, "--busy",
                                         "--talk", "9")
        t0 = self.event_at(self.requests_for(call_id), "ringing")
        self.assert_route_then_events(call_id, FORWARDED_WITH_VOICEMAIL, [
            {"event": "ringing", "sip_status": "180", "at": t0, "cdr_id": "22"},
            {"event": "voicemail", "sip_status": "486", "at": t0, "cdr_id": "22"},
            {"event": "hangup", "sip_status": "200", "at": t0 + 9, "cdr_id": "22",
             "hangup_by": "caller"},
        ])

    def test_no_answer_with_voicemail_on_no_answer_diverts_at_the_timeout(self):
        call_id, _, _ = self.simulate_ok("--to", FORWARDED_WITH_VOICEMAIL, "--no-answer",
                                         "--answer-after", "20", "--talk", "5")
        t0 = self.event_at(self.requests_for(call_id), "ringing")
        self.assert_route_then_events(call_id, FORWARDED_WITH_VOICEMAIL, [
            {"event": "ringing", "sip_status": "180", "at": t0, "cdr_id": "22"},
            {"event": "voicemail", "sip_status": "408", "at": t0 + 20, "cdr_id": "22"},
            {"event": "hangup", "sip_status": "200", "at": t0 + 25, "cdr_id": "22",
             "hangup_by": "caller"},
        ])

    def test_voicemail_flags_do_not_change_an_answered_call(self):
        call_id, _, _ = self.simulate_ok("--to", FORWARDED_WITH_VOICEMAIL)
        events = [body["event"] for _, _, body in self.requests_for(call_id)[1:]]
        self.assertEqual(events, ["ringing", "answered", "hangup"])

    def test_voicemail_action_reports_voicemail_then_hangup_after_talk(self):
        call_id, out, started = self.simulate_ok("--to", VOICEMAIL, "--talk", "30")
        t0 = self.event_at(self.requests_for(call_id), "voicemail")
        self.assert_start_near(t0, started)
        self.assert_route_then_events(call_id, VOICEMAIL, [
            {"event": "voicemail", "sip_status": "200", "at": t0, "cdr_id": "18"},
            {"event": "hangup", "sip_status": "200", "at": t0 + 30, "cdr_id": "18",
             "hangup_by": "caller"},
        ])
        self.assertEqual(out.splitlines()[-1].split(), ["cdr_id", "18"])

    def test_reject_sends_only_the_route_request_and_exits_zero(self):
        call_id, out, _ = self.simulate_ok("--to", UNKNOWN)
        self.assert_route_then_events(call_id, UNKNOWN, [])
        self.assertIn("reject sip_status=404", out)
        self.assertEqual(out.splitlines()[-1].split(), ["cdr_id", "19"])

    def test_wrong_secret_exits_non_zero_after_the_refused_route_request(self):
        done = self.simulate("--to", FORWARDED, secret="wrong")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("refused the secret (HTTP 401", done.stderr)
        call_id = CALL_ID_RE.search(done.stdout).group(1)
        sent = self.requests_for(call_id)
        self.assertEqual([(path, status) for path, status, _ in sent], [("/switch/route", 401)])

    def test_secret_is_read_from_the_variable_named_by_secret_env(self):
        done = self.simulate("--to", FORWARDED, "--secret-env", "OTHER_SWITCH_SECRET",
                             env_name="OTHER_SWITCH_SECRET")
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_unset_secret_exits_non_zero_without_calling_the_switch(self):
        done = self.simulate("--to", FORWARDED, secret=None)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("CALLSIGHT_SWITCH_SECRET", done.stderr)
        self.assertEqual(done.stdout, "")

    def test_switch_http_error_exits_non_zero(self):
        done = self.simulate("--to", SWITCH_ERROR)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("HTTP 500", done.stderr)

    def test_unreachable_switch_exits_non_zero(self):
        done = subprocess.run(
            [CLI_BIN, "simulate-call", "--switch", "http://127.0.0.1:1", "--from", CALLER,
             "--to", FORWARDED],
            env=dict(os.environ, CALLSIGHT_SWITCH_SECRET=SECRET),
            capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("refused", done.stderr)

    def test_busy_and_no_answer_exclude_each_other(self):
        done = self.simulate("--to", FORWARDED, "--busy", "--no-answer")
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(done.stdout, "")

    def test_real_time_waits_between_events(self):
        began = time.monotonic()
        call_id, _, _ = self.simulate_ok("--to", FORWARDED, "--answer-after", "1",
                                         "--talk", "1", "--real-time")
        self.assertGreaterEqual(time.monotonic() - began, 2.0)
        with open(self.log, encoding="utf-8") as f:
            received = {json.loads(line)["body"]["event"]: json.loads(line)["received"]
                        for line in f if call_id in line and '"event"' in line}
        self.assertGreaterEqual(received["hangup"] - received["ringing"], 1.9)


if __name__ == "__main__":
    unittest.main()
