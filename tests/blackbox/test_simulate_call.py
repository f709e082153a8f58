"""`callsight simulate-call` against a real callsightd: the call it plays shows up in
/statistics/cdrs as that call."""

import datetime
import os
import subprocess
import unittest

from harness import CLI_BIN, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

SECRET = "sim-secret-" + unique()
TIME = "%Y-%m-%d %H:%M:%S"


class SimulateCallTest(CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SECRET

    def simulate(self, *args, secret=SECRET):
        env = dict(os.environ, CALLSIGHT_SWITCH_SECRET=secret)
        return subprocess.run(
            [CLI_BIN, "simulate-call", "--switch", "http://127.0.0.1:%d" % self.server.switch_port,
             *args], env=env, capture_output=True, text=True, timeout=30)

    def played(self, *args, **fields):
        source = self.one(self.source(self.customer(), **fields), "sources")
        done = self.simulate("--from", "0701234567", "--to", source["destnr"], *args)
        self.assertEqual(done.returncode, 0, done.stderr)
        cdr_id = done.stdout.split()[-1]
        cdrs = self.ok(self.call(self.alice, "GET", "/statistics/cdrs",
                                 params={"cdr_id": cdr_id}), "cdrs")
        self.assertEqual(len(cdrs), 1)
        self.assertEqual(cdrs[0]["source_id"], source["source_id"])
        return cdrs[0]

    def test_answered_call_has_its_talk_time(self):
        cdr = self.played("--answer-after", "4", "--talk", "33")
        self.assertEqual((cdr["status"], cdr["duration"], cdr["anum"], cdr["hangup_by"]),
                         ("answered", "33", "+46701234xxx", "caller"))

    def test_busy_and_no_answer(self):
        self.assertEqual(self.played("--busy")["status"], "busy")
        self.assertEqual(self.played("--no-answer")["status"], "no_answer")

    def test_a_diverted_call_ends_with_its_voicemail_leg(self):
        cdr = self.played("--busy", "--talk", "20", vm_divert_busy="1")
        self.assertEqual((cdr["status"], cdr["answered"], cdr["sip_status"]),
                         ("voicemail", "0", None))
        ended = datetime.datetime.strptime(cdr["end"], TIME)
        self.assertEqual(ended - datetime.datetime.strptime(cdr["start"], TIME),
                         datetime.timedelta(seconds=20))

    def test_wrong_secret_fails_clearly(self):
        source = self.one(self.source(self.customer()), "sources")
        done = self.simulate("--from", "0701234567", "--to", source["destnr"], secret="nope")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("secret", done.stderr)


if __name__ == "__main__":
    unittest.main()
