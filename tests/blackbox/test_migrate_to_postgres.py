"""Moving a deployment from SQLite to PostgreSQL with `callsight export`, `migrate` and
`import`: the API answers the same before and after, and new rows get fresh ids.

Needs a PostgreSQL server: CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster); skipped without.
"""

import base64
import os
import shutil
import tempfile
import time
import unittest

import requests
from requests.auth import HTTPDigestAuth

from harness import (HTTP_TIMEOUT, Server, create_pg_database, drop_pg_database, run_cli,
                     unique)

SECRET = "switch-secret-" + unique()
PASSWORD = "alice-pw"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(16)) + b"data\x00\x00\x00\x00"
NUMBERS = ["+46405550%03d" % n for n in range(10)]


@unittest.skipUnless(os.environ.get("CALLSIGHT_TEST_PG_URL"),
                     "CALLSIGHT_TEST_PG_URL is not set (scripts/pg-test-cluster)")
class MigrateToPostgresTest(unittest.TestCase):
    def setUp(self):
        self.started = int(time.time())
        self.workdir = tempfile.mkdtemp(prefix="callsight-migrate-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.sqlite = os.path.join(self.workdir, "callsight.db")
        self.session = requests.Session()
        self.session.auth = HTTPDigestAuth("alice", PASSWORD)
        self.addCleanup(self.session.close)

    def start(self, db):
        server = Server(workdir=self.workdir, db=db, switch_secret=SECRET)
        self.addCleanup(server.kill)
        return server.start()

    def api(self, server, method, path, **kwargs):
        resp = self.session.request(method, server.url(path), timeout=HTTP_TIMEOUT, **kwargs)
        self.assertEqual(resp.status_code, 200, "%s %s -> %s" % (method, path, resp.text[:500]))
        return resp.json()

    def switch(self, server, path, body):
        resp = requests.post(server.switch_url(path), json=body, timeout=HTTP_TIMEOUT,
                             headers={"X-Callsight-Switch-Secret": SECRET})
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()

    def populate(self, server):
        """Every resource family through the API; returns (customer ids, source ids)."""
        post = lambda path, **data: self.api(server, "POST", path, data=data)  # noqa: E731
        customers = [post("/customers", name="C " + unique(), custnr=unique("cn"),
                          custom_1="Storgatan 1")["customers"][0]["customer_id"]
                     for _ in range(2)]
        cid = customers[0]
        post("/users", customer_id=cid, email=unique("u") + "@example.com", name="Anna")
        greeting = post("/customers/voicemail_greetings", customer_id=cid, name="Closed",
                        sounddata=base64.b64encode(WAV).decode())
        greeting_id = greeting["voicemail_greetings"][0]["vm_greeting_id"]
        campaign = post("/customers/campaigns", customer_id=cid, name="Spring",
                        pricing_model_id="ppc-1", vm_greeting_id=greeting_id)
        campaign_id = campaign["campaigns"][0]["campaign_id"]
        sources = []
        for number in NUMBERS[:4]:
            sources.append(post("/sources", customer_id=cid, destnr=number, name="web",
                                phonenr="0890510", campaign_id=campaign_id,
                                vm_greeting_id=greeting_id)["sources"][0])
        self.api(server, "DELETE", "/sources/%s" % sources[3]["source_id"])  # quarantined
        self.api(server, "PUT", "/customers/blacklist",
                 data=dict(customer_id=cid, phonenrs='["+46701111111", "+46702222222"]'))
        post("/customers/orders", customer_id=cid, timestamp="2024-03-01 10:15:00",
             cli_id="cli-1", order_value="123.45", order_id="ord-1")
        post("/customers/callbacks", customer_id=cid, agent_nr="+46701234567",
             requester_nr="+46709876543")
        post("/customers/pincodes", customer_id=cid, pincode_length="6", pincode_ttl="1",
             phone_number="+46701234567")
        now = int(time.time())
        for n, source in enumerate(sources[:3]):
            call_id = "mig-%s-%d" % (unique(), n)
            self.switch(server, "/switch/route", {"call_id": call_id, "caller": "+46701234567",
                                                  "dialled": source["destnr"]})
            self.switch(server, "/switch/events", {"call_id": call_id, "event": "answered",
                                                   "at": now})
            self.switch(server, "/switch/events", {"call_id": call_id, "event": "hangup",
                                                   "at": now + 30 + n})
        for dial in self.switch(server, "/switch/callbacks/claim", {"limit": 10})["calls"]:
            self.switch(server, "/switch/events", {"call_id": dial["call_id"],
                                                   "event": "answered", "at": now})
            self.switch(server, "/switch/events", {"call_id": dial["call_id"],
                                                   "event": "hangup", "at": now + 20})
        return customers, [s["source_id"] for s in sources]

    def snapshot(self, server, customers):
        """What the API answers for every resource."""
        answers = {}
        # Callbacks are listed from now on by default; the window must not move between the
        # two snapshots.
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.started - 3600))
        for path in ("/customers", "/users", "/sources", "/numbers", "/statistics/cdrs",
                     "/statistics/cdrs/out"):
            answers[path] = self.api(server, "GET", path)
        for cid in customers:
            for path in ("/customers/voicemail_greetings", "/customers/campaigns",
                         "/customers/blacklist", "/customers/orders", "/customers/callbacks",
                         "/customers/pincodes"):
                params = {"customer_id": cid}
                if path == "/customers/callbacks":
                    params["from_date"] = since
                answers[(path, cid)] = self.api(server, "GET", path, params=params)
        return answers

    def test_export_migrate_import_keeps_every_answer_and_ids_move_on(self):
        run_cli(self.sqlite, "migrate", check=True)
        run_cli(self.sqlite, "partner", "add", "--name", "Alice", "--username", "alice",
                "--password", PASSWORD, "--allow-ip", "127.0.0.1/32,::1/128", "--country", "SE",
                "--timezone", "Europe/Stockholm", check=True)
        run_cli(self.sqlite, "numbers", "add", *NUMBERS, check=True)
        server = self.start(self.sqlite)
        customers, source_ids = self.populate(server)
        before = self.snapshot(server, customers)
        server.stop()
        self.assertTrue(before["/statistics/cdrs"]["cdrs"])
        self.assertTrue(before["/statistics/cdrs/out"]["cdrs"])

        export_path = os.path.join(self.workdir, "callsight.jsonl")
        exported = run_cli(self.sqlite, "export", "--out", export_path, check=True)
        self.assertIn("exported", exported.stderr)
        with open(export_path, encoding="utf-8") as f:
            self.assertEqual(run_cli(self.sqlite, "export", check=True).stdout, f.read())

        pg = create_pg_database()
        self.addCleanup(drop_pg_database, pg)
        migrated = run_cli(pg, "migrate", check=True)
        self.assertRegex(migrated.stdout, r"^schema version \d+\n$")
        imported = run_cli(pg, "import", "--in", export_path, check=True)
        self.assertRegex(imported.stdout, r"^imported \d+ rows in \d+ tables")
        again = run_cli(pg, "import", "--in", export_path)
        self.assertEqual(again.returncode, 1)
        self.assertIn("not empty", again.stderr)

        server = self.start(pg)
        after = self.snapshot(server, customers)
        for key, answer in before.items():
            self.assertEqual(after[key], answer, key)

        customer = self.api(server, "POST", "/customers",
                            data=dict(name="New", custnr=unique("cn")))["customers"][0]
        self.assertGreater(int(customer["customer_id"]), max(int(c) for c in customers))
        source = self.api(server, "POST", "/sources",
                          data=dict(customer_id=customer["customer_id"], destnr=NUMBERS[5],
                                    name="web", phonenr="0890510"))["sources"][0]
        self.assertGreater(int(source["source_id"]), max(int(s) for s in source_ids))
        server.stop()


if __name__ == "__main__":
    unittest.main()
