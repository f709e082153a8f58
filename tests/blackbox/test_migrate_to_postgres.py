"""Moving a deployment from SQLite to PostgreSQL with `callsight export`, `migrate` and
`import`: the API answers the same before and after, new rows get fresh ids, and what only the
database keeps goes along: the Digest nonce key and a partner's DNCS secret (shared_secrets),
a pool's visitors, sessions and hand-outs, and the signatures seen within their window.

Needs a PostgreSQL server: CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster); skipped without.
"""

import base64
import json
import os
import re
import shutil
import tempfile
import time
import unittest

import requests
from requests.auth import HTTPDigestAuth

from dni_site import BROWSER_UA, signed_headers
from harness import (HTTP_TIMEOUT, Server, create_pg_database, drop_pg_database, run_cli,
                     unique)

SECRET = "switch-secret-" + unique()
PASSWORD = "alice-pw"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(16)) + b"data\x00\x00\x00\x00"
NUMBERS = ["+46405550%03d" % n for n in range(10)]
POOL_AREA_CODE = "609"  # Swedish numbers of a valid length, which the switch routes
POOL_NUMBERS = ["+46%s%06d" % (POOL_AREA_CODE, n) for n in range(3)]
SITE = "https://shop.example"
LANDING = SITE + "/offers?utm_source=google&gclid=Cj0-mig"
# The tables that only a pool's visits and the signed API fill, and the secrets: each must be
# exported with rows, so the test fails if export ever passes one over.
VISIT_TABLES = ("dni_pools", "dni_pool_numbers", "dni_visitors", "dni_sessions",
                "dni_assignments", "dni_seen_signatures", "shared_secrets")
# How long a signature is remembered (docs/api.md "Signed number requests").
SIGNATURE_WINDOW = 300


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
        self.populate_pool(server, cid)
        return customers, [s["source_id"] for s in sources]

    def populate_pool(self, server, customer_id):
        """A pool whose numbers went to a consenting visitor (who then called) and to a signed
        request; sets self.pool, self.visit and self.signed_request (body, headers, answer)."""
        self.pool = self.api(server, "POST", "/pools", data=dict(
            customer_id=customer_id, name="Web", media="web", phonenr="0890510",
            ndc=POOL_AREA_CODE, count=str(len(POOL_NUMBERS)), is_default="1", lease="3600",
            allowed_origins=SITE, fallback_number="0812340000"))["pools"][0]
        self.visit = self.ask_number(server, consent="1")
        self.assertEqual(self.visit["shown"], "assigned")
        self.call_number(server, self.visit["number"])
        custnr = self.api(server, "GET", "/customers",
                          params={"customer_id": customer_id})["customers"][0]["custnr"]
        text = json.dumps({"fullUrl": SITE + "/app", "numbers": [], "type": "web",
                           "userAgent": BROWSER_UA, "parameters": {"custnr": custnr}})
        headers = signed_headers("alice", self.dncs_secret, text)
        answer = self.signed(server, text, headers)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.signed_at = time.monotonic()
        self.signed_request = (text, headers, answer.json())

    def ask_number(self, server, **params):
        """A visitor's browser asking for a number of the site's pool (200 expected)."""
        params.update(advid=self.pool_customer_uuid(server), url=LANDING)
        resp = requests.get(server.url("/dni/number"), params=params, timeout=HTTP_TIMEOUT,
                            headers={"Origin": SITE, "User-Agent": BROWSER_UA})
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()

    def pool_customer_uuid(self, server):
        return self.api(server, "GET", "/customers", params={
            "customer_id": self.pool["customer_id"]})["customers"][0]["uuid"]

    def signed(self, server, text, headers):
        return requests.post(server.url("/dncs"), data=text.encode(), headers=headers,
                             timeout=HTTP_TIMEOUT)

    def call_number(self, server, number):
        """Routes and ends a call to `number`; returns its extended record."""
        call_id = "mig-%s" % unique()
        cdr_id = self.switch(server, "/switch/route", {
            "call_id": call_id, "caller": "+46701234567", "dialled": number})["cdr_id"]
        self.switch(server, "/switch/events", {"call_id": call_id, "event": "hangup",
                                               "at": int(time.time())})
        return self.api(server, "GET", "/statistics/cdrs",
                        params={"cdr_id": cdr_id, "extended": "1"})["cdrs"][0]

    def snapshot(self, server, customers):
        """What the API answers for every resource."""
        answers = {}
        # Callbacks are listed from now on by default; the window must not move between the
        # two snapshots.
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.started - 3600))
        for path in ("/customers", "/users", "/sources", "/numbers", "/statistics/cdrs",
                     "/statistics/cdrs/out"):
            answers[path] = self.api(server, "GET", path)
        answers["extended cdrs"] = self.api(server, "GET", "/statistics/cdrs",
                                            params={"extended": "1"})
        # An explicit period: the default one ends now.
        answers["/pools/health"] = self.api(server, "GET", "/pools/health", params={
            "pool_id": self.pool["pool_id"], "from_date": since,
            "to_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.started + 3600))})
        for cid in customers:
            for path in ("/customers/voicemail_greetings", "/customers/campaigns",
                         "/customers/blacklist", "/customers/orders", "/customers/callbacks",
                         "/customers/pincodes", "/pools"):
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
        run_cli(self.sqlite, "numbers", "add", *NUMBERS, *POOL_NUMBERS, check=True)
        self.dncs_secret = run_cli(self.sqlite, "partner", "dncs-secret", "--username", "alice",
                                   check=True).stdout.strip()
        server = self.start(self.sqlite)
        customers, source_ids = self.populate(server)
        before = self.snapshot(server, customers)
        server.stop()
        self.assertTrue(before["/statistics/cdrs"]["cdrs"])
        self.assertTrue(before["/statistics/cdrs/out"]["cdrs"])
        self.assertEqual(before["/pools/health"]["pool_health"][0]["sessions"], "2")

        export_path = os.path.join(self.workdir, "callsight.jsonl")
        exported = run_cli(self.sqlite, "export", "--out", export_path, check=True)
        self.assertIn("exported", exported.stderr)
        with open(export_path, encoding="utf-8") as f:
            text = f.read()
            self.assertEqual(run_cli(self.sqlite, "export", check=True).stdout, text)
        counts = json.loads(text.splitlines()[-1])["end"]["tables"]
        self.assertEqual({t: counts.get(t, 0) > 0 for t in VISIT_TABLES},
                         {t: True for t in VISIT_TABLES}, counts)

        pg = create_pg_database()
        self.addCleanup(drop_pg_database, pg)
        migrated = run_cli(pg, "migrate", check=True)
        self.assertRegex(migrated.stdout, r"^schema version \d+\n$")
        imported = run_cli(pg, "import", "--in", export_path, check=True)
        self.assertRegex(imported.stdout, r"^imported \d+ rows in \d+ tables")
        self.assertEqual(re.search(r"\d+ rows in \d+ tables", imported.stdout).group(0),
                         re.search(r"\d+ rows in \d+ tables", exported.stderr).group(0))
        again = run_cli(pg, "import", "--in", export_path)
        self.assertEqual(again.returncode, 1)
        self.assertIn("not empty", again.stderr)

        server = self.start(pg)
        # The Digest nonce key came along: the SQLite node's nonce is good here.
        ping = self.session.get(server.url("/miscellaneous/ping"), timeout=HTTP_TIMEOUT)
        self.assertEqual((ping.status_code, ping.history), (200, []))
        after = self.snapshot(server, customers)
        for key, answer in before.items():
            self.assertEqual(after[key], answer, key)
        self.assert_visits_go_on(server)

        customer = self.api(server, "POST", "/customers",
                            data=dict(name="New", custnr=unique("cn")))["customers"][0]
        self.assertGreater(int(customer["customer_id"]), max(int(c) for c in customers))
        source = self.api(server, "POST", "/sources",
                          data=dict(customer_id=customer["customer_id"], destnr=NUMBERS[5],
                                    name="web", phonenr="0890510"))["sources"][0]
        self.assertGreater(int(source["source_id"]), max(int(s) for s in source_ids))
        server.stop()

    def assert_visits_go_on(self, server):
        """On PostgreSQL the visitor keeps its number and its calls name its visit, the
        signature seen on SQLite is still refused, and the DNCS secret still signs: the new
        request takes the one number nobody holds."""
        visit = self.visit
        again = self.ask_number(server, consent="1", session_id=visit["session_id"],
                                visitor_id=visit["visitor_id"])
        self.assertEqual((again["shown"], again["number"], again["visitor_id"]),
                         ("kept", visit["number"], visit["visitor_id"]))
        record = self.call_number(server, visit["number"])
        self.assertEqual((record["attribution"], record["dni_session_id"], record["gclid"]),
                         ("matched", visit["session_id"], "Cj0-mig"))
        text, headers, answer = self.signed_request
        replay = self.signed(server, text, headers)
        self.assertEqual(replay.status_code, 401, replay.text)
        if time.monotonic() - self.signed_at < SIGNATURE_WINDOW - 30:
            self.assertEqual(replay.json()["errors"][0]["code"], "replayed")
        # The secret signs a new request, which takes the one number nobody holds.
        fresh = text.replace("/app", "/app2")
        resp = self.signed(server, fresh, signed_headers("alice", self.dncs_secret, fresh))
        self.assertEqual(resp.status_code, 200, resp.text)
        free = set(POOL_NUMBERS) - {visit["number"], answer["number"]}
        self.assertEqual({resp.json()["number"]}, free)
        self.assertEqual(self.ask_number(server)["shown"], "fallback")


if __name__ == "__main__":
    unittest.main()
