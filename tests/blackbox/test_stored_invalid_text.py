"""Text out never fails (docs/api.md "stored text"): bytes that are not UTF-8 planted
directly in the SQLite file (as an older version, an import or a hand edit could leave
them) in alice's customer, user, source and webhook rows.

Then alice's and bob's lists answer 200 with U+FFFD in place of the bad bytes; the sweep
goes on and announces both partners' source status changes; webhook delivery goes on for
both, in JSON and through a form template; `callsight export` writes the database with
U+FFFD; and, with CALLSIGHT_TEST_PG_URL set, that export imports into PostgreSQL (whose
UTF-8 database would refuse the bad bytes themselves). SQLite only: PostgreSQL cannot hold
such bytes in the first place.
"""

import itertools
import json
import os
import sqlite3
import time
import unittest

from harness import (ServerTestCase, create_pg_database, drop_pg_database, run_cli,
                     testing_postgres, unique)
from resource_helpers import CustomerResourceMixin
from webhook_receiver import DELIVERY_TIMEOUT, Receiver

REPLACEMENT = "\ufffd"
# What is planted, and what each must read as.
LATIN1_MALMO = (b"Malm\xf6", "Malm" + REPLACEMENT)
CUT_EURO = (b"pris \xe2\x82", "pris " + REPLACEMENT)
OVERLONG = (b"a\xc0\xafb", "a" + REPLACEMENT + REPLACEMENT + "b")
SURROGATE = (b"\xed\xa0\x80!", REPLACEMENT * 3 + "!")
SWITCH_SECRET = "stored-invalid-text-switch"

_pool_numbers = ("+4667%07d" % n for n in itertools.count(1000))  # area code 67: pools only
_call_ids = itertools.count(1)


@unittest.skipIf(testing_postgres(), "plants bytes in the SQLite file; PostgreSQL refuses them")
class StoredInvalidTextTest(CustomerResourceMixin, ServerTestCase):
    EXTRA_ARGS = ("--webhooks-allow-private", "--sweep-seconds", "1")
    SWITCH_SECRET = SWITCH_SECRET

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receivers = {name: Receiver() for name in ("alice_json", "alice_form", "bob")}
        for receiver in cls.receivers.values():
            cls.addClassCleanup(receiver.close)

    def subscribe(self, s, receiver, **fields):
        data = dict(url=self.receivers[receiver].url, events='["source.status_changed"]',
                    **fields)
        return self.one(self.call(s, "POST", "/webhooks", data=data), "webhooks")["webhook_id"]

    def plant(self, sql, *params):
        # The server keeps the file open in WAL mode; a second writer is what a hand edit is.
        with sqlite3.connect(self.server.db, timeout=30) as db:
            db.execute(sql, params)
        db.close()

    def plant_text(self, table, column, row_id, planted):
        self.plant("UPDATE %s SET %s = CAST(? AS TEXT) WHERE id = ?" % (table, column),
                   planted, int(row_id))

    def wait_for(self, what, predicate, timeout=DELIVERY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        self.fail("gave up waiting for " + what)

    def first_body(self, receiver):
        delivered = self.receivers[receiver].wait_for_count(1)
        return next(iter(delivered.values()))[0][2]

    def status_changes(self, s, source_id):
        events = self.call(s, "GET", "/events").json()["events"]
        return [e for e in events
                if e["type"] == "source.status_changed" and e["source_id"] == source_id]

    def test_planted_bytes_render_as_replacement_and_every_job_goes_on(self):
        a, b = self.alice, self.bob
        cid = self.customer()
        uid = self.one(self.call(a, "POST", "/users", data=dict(
            customer_id=cid, email=unique("u") + "@example.com", name="Anna")), "users")["user_id"]
        sid = self.one(self.source(cid, name="webb"), "sources")["source_id"]
        wid_json = self.subscribe(a, "alice_json")
        wid_form = self.subscribe(a, "alice_form", format="form", template="name={name}&x=y")
        bob_cid = self.customer(b)
        bob_sid = self.one(self.source(bob_cid, s=b, name="bobs"), "sources")["source_id"]
        self.subscribe(b, "bob")

        self.plant_text("customers", "name", cid, LATIN1_MALMO[0])
        self.plant_text("customers", "custom_1", cid, CUT_EURO[0])
        self.plant_text("users", "name", uid, OVERLONG[0])
        self.plant_text("sources", "name", sid, LATIN1_MALMO[0])
        self.plant_text("sources", "media", sid, SURROGATE[0])
        self.plant_text("webhooks", "template_text", wid_form, b"name={name}&bad=\xf6")
        self.plant_text("webhooks", "url", wid_json,
                        self.receivers["alice_json"].url.encode() + b"&q=\xf6")
        # A subscription list with a bad element still matches its good ones.
        self.plant_text("webhooks", "event_types", wid_json,
                        b'["source.status_changed", "x\xf6"]')
        # The sweep announces a status that differs from the one last announced: make both
        # partners' sources look changed, so the next sweep writes an event for each.
        for source_id in (sid, bob_sid):
            self.plant("UPDATE sources SET announced_status = 'reserved' WHERE id = ?",
                       int(source_id))

        # Lists: 200, with U+FFFD where the bad bytes are.
        customer = self.one(self.call(a, "GET", "/customers/%s" % cid), "customers")
        self.assertEqual(customer["name"], LATIN1_MALMO[1])
        self.assertEqual(customer["custom_1"], CUT_EURO[1])
        listed = self.ok(self.call(a, "GET", "/customers"), "customers")
        self.assertIn(LATIN1_MALMO[1], [c["name"] for c in listed])
        user = self.one(self.call(a, "GET", "/users/%s" % uid), "users")
        self.assertEqual(user["name"], OVERLONG[1])
        source = self.one(self.call(a, "GET", "/sources/%s" % sid), "sources")
        self.assertEqual((source["name"], source["media"]), (LATIN1_MALMO[1], SURROGATE[1]))
        self.ok(self.call(a, "GET", "/sources"), "sources")
        self.ok(self.call(a, "GET", "/sources/statuses"), "statuses")
        hooks = {w["webhook_id"]: w for w in self.ok(self.call(a, "GET", "/webhooks"), "webhooks")}
        self.assertEqual(hooks[wid_form]["template"], "name={name}&bad=" + REPLACEMENT)
        self.assertTrue(hooks[wid_json]["url"].endswith("&q=" + REPLACEMENT))
        self.assertIn("x" + REPLACEMENT, json.dumps(hooks[wid_json], ensure_ascii=False))
        self.ok(self.call(a, "GET", "/statistics/cdrs"), "cdrs")
        for path in ("/customers", "/sources", "/webhooks"):
            self.ok(self.call(b, "GET", path), path.split("/")[1])

        # The sweep goes on: both partners' status changes are announced, alice's with the
        # replacement characters in its payload.
        alice_events = self.wait_for("alice's status change", lambda: self.status_changes(a, sid))
        self.assertEqual(alice_events[0]["data"]["name"], LATIN1_MALMO[1])
        self.wait_for("bob's status change", lambda: self.status_changes(b, bob_sid))
        self.assertNotIn("sweep failed", self.server.stderr())

        # Webhook delivery goes on, for alice in both formats and for bob.
        body = json.loads(self.first_body("alice_json"))
        self.assertEqual(body["data"]["name"], LATIN1_MALMO[1])
        self.assertEqual(body["data"]["media"], SURROGATE[1])
        form_body = self.first_body("alice_form")
        self.assertEqual(form_body.decode("utf-8"),
                         "name=Malm%EF%BF%BD&bad=" + REPLACEMENT)
        bob_body = json.loads(self.first_body("bob"))
        self.assertEqual(bob_body["data"]["name"], "bobs")

        # The export writes every row, bad bytes as U+FFFD, in valid UTF-8 ...
        export_path = os.path.join(self.server.workdir, "export.jsonl")
        run_cli(self.server.db, "export", "--out", export_path, check=True)
        with open(export_path, "rb") as f:
            exported = f.read()
        rows = [json.loads(line) for line in exported.decode("utf-8").splitlines()]
        customers = {r["row"]["id"]: r["row"] for r in rows
                     if r.get("table") == "customers" and "row" in r}
        self.assertEqual(customers[int(cid)]["name"], LATIN1_MALMO[1])

        # ... and it imports into PostgreSQL, U+FFFD and all.
        if not os.environ.get("CALLSIGHT_TEST_PG_URL"):
            self.skipTest("CALLSIGHT_TEST_PG_URL is not set: the PostgreSQL import is not tried")
        pg = create_pg_database()
        self.addCleanup(drop_pg_database, pg)
        run_cli(pg, "migrate", check=True)
        run_cli(pg, "import", "--in", export_path, check=True, timeout=120)
        again = os.path.join(self.server.workdir, "again.jsonl")
        run_cli(pg, "export", "--out", again, check=True)
        with open(again, encoding="utf-8") as f:
            pg_rows = [json.loads(line) for line in f]
        by_table = {}
        for r in pg_rows:
            if "table" in r and "row" in r:
                by_table.setdefault(r["table"], {})[r["row"].get("id")] = r["row"]
        self.assertEqual(by_table["customers"][int(cid)]["name"], LATIN1_MALMO[1])
        self.assertEqual(by_table["users"][int(uid)]["name"], OVERLONG[1])
        self.assertEqual(by_table["sources"][int(sid)]["media"], SURROGATE[1])

    def test_planted_bytes_in_stored_json_read_as_replacement(self):
        # Lists kept as JSON text (a pool's settings, a partner's denied user agents, a
        # call's visit) are read back through a JSON parser, which refuses bytes that are
        # not UTF-8: they must read as U+FFFD like any other text, not fail every request.
        a, b = self.alice, self.bob
        cid = self.customer()
        number = next(_pool_numbers)
        self.server.cli("numbers", "add", number, check=True)
        pool_id = self.one(self.call(a, "POST", "/pools", data=dict(
            customer_id=cid, name="webb", phonenr="0890510", ndc="67", count="1",
            numbers_to_replace="08-123 45", allowed_origins="https://shop.example",
            rules='[{"kind":"referrer_host","value":"bing.com"}]')), "pools")["pool_id"]
        source = self.one(self.source(cid, name="webb"), "sources")
        switch_id = "planted-%d" % next(_call_ids)
        routed = self.switch_post("/switch/route", {"call_id": switch_id,
                                                    "caller": "+46701234567",
                                                    "dialled": source["destnr"]})
        self.assertEqual(routed.status_code, 200, routed.text)
        cdr_id = routed.json()["cdr_id"]

        with sqlite3.connect(self.server.db, timeout=30) as db:
            row = db.execute("SELECT match_rules, numbers_to_replace, allowed_origins"
                             " FROM dni_pools WHERE source_id = ?", (int(pool_id),)).fetchone()
        db.close()
        rules, replace, origins = (text.encode() for text in row)
        [printed] = json.loads(replace)  # as stored: E.164
        self.plant("UPDATE dni_pools SET match_rules = CAST(? AS TEXT),"
                   " numbers_to_replace = CAST(? AS TEXT), allowed_origins = CAST(? AS TEXT)"
                   " WHERE source_id = ?",
                   rules.replace(b"bing.com", b"bing\xf6.com"),
                   replace.replace(b'"]', b'\xe2\x82"]'),
                   origins.replace(b"shop.example", b"shop\xf6.example"), int(pool_id))
        self.plant("UPDATE partners SET dni_denied_user_agents = CAST(? AS TEXT)"
                   " WHERE username = 'alice'", b'["bot\xf6"]')
        visit = json.dumps({key: "" for key in (
            "landing_url", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term",
            "utm_content", "gclid", "gbraid", "wbraid", "fbclid", "msclkid")} | {
            "ga_client_id": None}).encode().replace(b'"landing_url": ""',
                                                     b'"landing_url": "https://x/Malm\xf6"')
        self.plant("UPDATE cdrs SET attribution = 'session', attribution_text = 'planted',"
                   " dni_session_id = 'planted', visit = CAST(? AS TEXT) WHERE id = ?", visit,
                   int(cdr_id))

        # The partner is read again once its cached copy is older than half a second.
        time.sleep(1.0)
        pool = self.one(self.call(a, "GET", "/pools", params={"pool_id": pool_id}), "pools")
        self.assertEqual(pool["allowed_origins"], ["https://shop" + REPLACEMENT + ".example"])
        self.assertEqual(pool["numbers_to_replace"], [printed + REPLACEMENT])
        self.assertEqual(pool["rules"][0]["value"], "bing" + REPLACEMENT + ".com")
        self.ok(self.call(a, "GET", "/pools", params={"customer_id": cid}), "pools")
        cdr = self.one(self.call(a, "GET", "/statistics/cdrs/%s" % cdr_id,
                                 params={"extended": "1"}), "cdrs")
        self.assertEqual(cdr["landing_url"], "https://x/Malm" + REPLACEMENT)
        self.ok(self.call(a, "GET", "/statistics/cdrs"), "cdrs")
        for path in ("/customers", "/sources", "/webhooks"):
            self.ok(self.call(a, "GET", path), path.split("/")[1])
            self.ok(self.call(b, "GET", path), path.split("/")[1])
        # The erasure of the caller rewrites the call's stored events: it goes through too.
        erased = self.one(self.call(a, "DELETE", "/callers", params={"anum": "+46701234567"}),
                          "callers")
        self.assertEqual(erased["calls_erased"], "1")
        self.assertNotIn("Traceback", self.server.stderr())
