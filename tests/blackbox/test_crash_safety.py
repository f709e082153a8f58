"""Crash safety (docs/storage.md, "Crash safety"): several clients write customers, sources
(from a number pool too small for them, so allocations contend and some find no free
number), source updates and deletes, and calls through the switch API, while callsightd is
killed with SIGKILL at a random moment, round after round, and restarted on the same
database. After every kill: each write the server acknowledged is there with the content it
acknowledged, an unacknowledged one is there whole or not at all, no tracking number has two
live holders, and the database is intact.

The run prints its seed; CALLSIGHT_CRASH_SEED=<seed> replays the same kill moments and the
same choices of writes (thread scheduling still differs).
"""

import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

import requests
from requests.auth import HTTPDigestAuth

from harness import HTTP_TIMEOUT, Server, testing_postgres, unique

ROUNDS = 18
WRITERS = 4
POOL = ["+4631%07d" % n for n in range(5000, 5024)]
# Seconds of writing before the kill, drawn per round.
KILL_AFTER = (0.15, 1.0)
SWITCH_SECRET = "switch-secret-" + unique()
ANSWERING = ["+46890510", "+46890520", "+46890530"]
# Requests cut off by the kill end in one of these; their writes are unacknowledged.
CUT_OFF = (requests.ConnectionError, requests.Timeout)


def utc(unix_seconds):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix_seconds))


class Unacknowledged(Exception):
    """The server went away before answering: the write may or may not have happened."""


class Ledger:
    """What the clients were told, and what they tried without being told.

    Acknowledged objects: customers[id] = fields, sources[id] = state, calls[cdr_id] = facts.
    A source or call has at most one write in flight when the server dies (each belongs to
    one writer per round, and a writer stops at its first cut-off request): `maybe` holds
    the state that write would leave. `tried_*` are creates that were cut off.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.customers = {}
        self.sources = {}
        self.calls = {}
        self.tried_customers = []
        self.tried_sources = []
        self.tried_calls = 0
        self.acknowledged = 0
        self.no_free_number = 0
        self.problems = []


class Writer(threading.Thread):
    """One client: random writes until the server stops answering."""

    def __init__(self, ledger, server, partner, rng, own_sources):
        super().__init__(daemon=True)
        self.ledger = ledger
        self.server = server
        self.rng = rng
        self.own = own_sources  # source ids only this writer touches this round
        self.http = requests.Session()
        self.http.auth = HTTPDigestAuth(*partner)
        self.switch_http = requests.Session()  # the switch API takes a secret header instead
        self.switch_http.headers["X-Callsight-Switch-Secret"] = SWITCH_SECRET

    def run(self):
        actions = [self.create_customer] * 2 + [self.create_source] * 4 + \
                  [self.update_source] * 2 + [self.delete_source] + [self.call] * 3
        try:
            while True:
                self.rng.choice(actions)()
        except Unacknowledged:
            pass
        except Exception as e:  # noqa: BLE001 - reported by the test, not lost in a thread
            with self.ledger.lock:
                self.ledger.problems.append("%s: %r" % (self.name, e))
        finally:
            self.http.close()
            self.switch_http.close()

    # -- requests --------------------------------------------------------------------------
    def request(self, method, path, data, ok=(200,)):
        try:
            resp = self.http.request(method, self.server.url(path), data=data,
                                     timeout=HTTP_TIMEOUT)
        except CUT_OFF:
            raise Unacknowledged()
        return self.answer(resp, "%s %s %s" % (method, path, data), ok)

    def switch(self, path, body):
        try:
            resp = self.switch_http.post(self.server.switch_url(path), json=body,
                                         timeout=HTTP_TIMEOUT)
        except CUT_OFF:
            raise Unacknowledged()
        return self.answer(resp, "POST %s %s" % (path, body), (200,))

    def answer(self, resp, what, ok):
        if resp.status_code not in ok:
            raise AssertionError("%s -> %d %s" % (what, resp.status_code, resp.text[:300]))
        if resp.status_code == 200:
            with self.ledger.lock:
                self.ledger.acknowledged += 1
        return resp

    def live_own_source(self):
        live = [i for i in self.own if not self.ledger.sources[i]["deleted"]]
        return self.rng.choice(live) if live else None

    # -- writes ----------------------------------------------------------------------------
    def create_customer(self):
        fields = {"name": "Crash " + unique(), "custnr": unique("cn"),
                  "email": unique("m") + "@example.com", "corporateid": unique("org")}
        with self.ledger.lock:
            self.ledger.tried_customers.append(fields)
        resp = self.request("POST", "/customers", fields)
        customer = resp.json()["customers"][0]
        with self.ledger.lock:
            self.ledger.customers[customer["customer_id"]] = fields
            self.ledger.tried_customers.remove(fields)

    def create_source(self):
        with self.ledger.lock:
            customer_ids = list(self.ledger.customers)
        if not customer_ids:
            return self.create_customer()
        wanted = {"customer_id": self.rng.choice(customer_ids), "name": "src " + unique(),
                  "phonenr": self.rng.choice(ANSWERING)}
        with self.ledger.lock:
            self.ledger.tried_sources.append(wanted)
        resp = self.request("POST", "/sources", wanted, ok=(200, 409))
        with self.ledger.lock:
            self.ledger.tried_sources.remove(wanted)
            if resp.status_code == 409:
                codes = [e["code"] for e in resp.json()["errors"]]
                if codes != ["no_free_number"]:
                    raise AssertionError("POST /sources -> 409 %s" % resp.text[:300])
                self.ledger.no_free_number += 1
                return
            source = resp.json()["sources"][0]
            if source["destnr"] not in POOL:
                raise AssertionError("allocated %s, not a pool number" % source["destnr"])
            self.ledger.sources[source["source_id"]] = dict(
                customer_id=wanted["customer_id"], name=wanted["name"],
                phonenr=wanted["phonenr"], number=source["destnr"], deleted=False, maybe=None)
        self.own.append(source["source_id"])

    def change_source(self, method, data, change):
        source_id = self.live_own_source()
        if source_id is None:
            return
        state = self.ledger.sources[source_id]
        state["maybe"] = dict(state, maybe=None, **change)
        self.request(method, "/sources", dict(data, source_id=source_id))
        state.update(change, maybe=None)

    def update_source(self):
        change = {"name": "upd " + unique(), "phonenr": self.rng.choice(ANSWERING)}
        self.change_source("PUT", change, change)

    def delete_source(self):
        self.change_source("DELETE", {}, {"deleted": True})

    def call(self):
        source_id = self.live_own_source()
        if source_id is None:
            return
        source = self.ledger.sources[source_id]
        call_id = "crash-" + unique()
        with self.ledger.lock:
            self.ledger.tried_calls += 1
        resp = self.switch("/switch/route", {"call_id": call_id, "caller": "+46701111111",
                                             "dialled": source["number"]})
        cdr_id = str(resp.json()["cdr_id"])
        facts = dict(source_id=source_id, bnum=source["number"], ringing_at=None,
                     answered_at=None, end=None, hangup_by=None, maybe=None)
        with self.ledger.lock:
            self.ledger.tried_calls -= 1
            self.ledger.calls[cdr_id] = facts
        t = int(time.time())
        answered = self.rng.random() < 0.7
        events = [("ringing", t, {}, {"ringing_at": utc(t)})]
        if answered:
            events.append(("answered", t + 1, {"sip_status": "200"}, {"answered_at": utc(t + 1)}))
            events.append(("hangup", t + 40, {"sip_status": "200", "hangup_by": "callee"},
                           {"end": utc(t + 40), "hangup_by": "callee"}))
        else:
            events.append(("hangup", t + 20, {"sip_status": "487", "hangup_by": "caller"},
                           {"end": utc(t + 20), "hangup_by": "caller"}))
        for name, at, fields, change in events:
            facts["maybe"] = dict(facts, maybe=None, **change)
            self.switch("/switch/events", dict(call_id=call_id, event=name, at=at, **fields))
            facts.update(change, maybe=None)


class Database:
    """Direct SQL on the server's database while callsightd is down."""

    def __init__(self, db):
        self.db = db

    def rows(self, sql):
        if testing_postgres():
            proc = subprocess.run(["psql", self.db, "-X", "-A", "-t", "-F", "\t",
                                   "-v", "ON_ERROR_STOP=1", "-c", sql],
                                  capture_output=True, text=True, timeout=60, check=True)
            return [tuple(line.split("\t")) for line in proc.stdout.splitlines() if line]
        # Read-only: the server, not this check, is the one to recover the WAL.
        with sqlite3.connect("file:%s?mode=ro" % self.db, uri=True) as conn:
            return conn.execute(sql).fetchall()


# Rules a crash must not break, as SQL both backends run; each row found is a breach. A
# source is live while neither deleted (the partner's quarantine is 0 days) nor archived.
BREACHES = " UNION ALL ".join([
    "SELECT 'tracking number with two live sources', tracking_number FROM sources"
    " WHERE deleted_at IS NULL AND archived_at IS NULL"
    " GROUP BY tracking_number HAVING COUNT(*) > 1",
    "SELECT 'live source that does not hold its number', CAST(s.id AS TEXT) FROM sources s"
    " LEFT JOIN numbers n ON n.holder_source_id = s.id"
    " WHERE s.deleted_at IS NULL AND s.archived_at IS NULL"
    " AND (n.number IS NULL OR n.number <> s.tracking_number)",
    "SELECT 'number held by a source with another number', n.number FROM numbers n"
    " JOIN sources s ON s.id = n.holder_source_id WHERE s.tracking_number <> n.number",
    "SELECT 'customer without its fields', CAST(id AS TEXT) FROM customers"
    " WHERE name = '' OR custnr = '' OR email IS NULL",
])


def without_maybe(state):
    return {k: v for k, v in state.items() if k != "maybe"}


class CrashSafetyTest(unittest.TestCase):
    def setUp(self):
        seed = os.environ.get("CALLSIGHT_CRASH_SEED")
        self.seed = int(seed) if seed else random.SystemRandom().randrange(1 << 32)
        print("\ncrash test seed %d (replay: CALLSIGHT_CRASH_SEED=%d)" % (self.seed, self.seed),
              file=sys.stderr)
        self.rng = random.Random(self.seed)
        # Sweeps every second: they write too (archiving, releasing numbers).
        self.server = Server(switch_secret=SWITCH_SECRET, extra_args=("--sweep-seconds", "1"))
        self.addCleanup(self.server.cleanup)
        self.partner = ("crash", "crash-pw")
        self.server.add_partner(*self.partner)
        # Deleted sources let their number go at once, so numbers are reallocated under load.
        self.server.cli("partner", "set", "--username", "crash", "--quarantine-days", "0",
                        check=True)
        self.server.cli("numbers", "add", "%s-%s" % (POOL[0], POOL[-1]), check=True)
        self.ledger = Ledger()
        self.database = Database(self.server.db)

    def test_acknowledged_writes_survive_sigkill_and_numbers_stay_single_held(self):
        started = time.monotonic()
        for round_number in range(ROUNDS):
            self.server.start()
            self.check_through_api(round_number)
            self.write_until_killed(round_number)
            self.check_database(round_number)
        self.server.start()
        self.check_through_api(ROUNDS)
        self.server.stop()
        ledger = self.ledger
        print("crash test: %d rounds, %d acknowledged writes (%d customers, %d sources, %d calls"
              " now), %d creates found no free number, %.1f s"
              % (ROUNDS, ledger.acknowledged, len(ledger.customers), len(ledger.sources),
                 len(ledger.calls), ledger.no_free_number, time.monotonic() - started),
              file=sys.stderr)
        self.assertGreater(ledger.no_free_number, 0, "the pool never ran out: no contention")
        self.assertGreater(sum(s["deleted"] for s in ledger.sources.values()), 0)

    # -- one round -------------------------------------------------------------------------
    def write_until_killed(self, round_number):
        live = sorted((i for i, s in self.ledger.sources.items() if not s["deleted"]), key=int)
        self.rng.shuffle(live)
        writers = [Writer(self.ledger, self.server, self.partner,
                          random.Random(self.rng.randrange(1 << 32)), live[n::WRITERS])
                   for n in range(WRITERS)]
        for writer in writers:
            writer.start()
        time.sleep(self.rng.uniform(*KILL_AFTER))
        self.server.kill()
        for writer in writers:
            writer.join(timeout=HTTP_TIMEOUT * 2)
            self.assertFalse(writer.is_alive(), "a writer hangs after the kill")
        self.assertEqual(self.ledger.problems, [], "round %d, seed %d" % (round_number, self.seed))

    def check_database(self, round_number):
        context = "after kill %d, seed %d" % (round_number, self.seed)
        if not testing_postgres():
            self.assertEqual(self.database.rows("PRAGMA integrity_check"), [("ok",)], context)
            self.assertEqual(self.database.rows("PRAGMA foreign_key_check"), [], context)
        self.assertEqual(self.database.rows(BREACHES), [], context)

    # -- after a restart -------------------------------------------------------------------
    def listing(self, http, path, key):
        items, page = [], 0
        while True:
            resp = http.get(self.server.url(path), params={"page": page, "pagesize": 1000},
                            timeout=HTTP_TIMEOUT)
            self.assertEqual(resp.status_code, 200, resp.text[:300])
            body = resp.json()
            items += body[key]
            page += 1
            if page >= int(body["numpages"]):
                return items

    def check_through_api(self, round_number):
        self.context = "after restart %d, seed %d" % (round_number, self.seed)
        with requests.Session() as http:
            http.auth = HTTPDigestAuth(*self.partner)
            self.check_customers(self.listing(http, "/customers", "customers"))
            sources = self.listing(http, "/sources", "sources")
            self.check_sources(sources)
            self.check_numbers(sources, self.listing(http, "/numbers", "numbers"))
            self.check_calls(self.listing(http, "/statistics/cdrs", "cdrs"))

    def check_customers(self, listed):
        ledger = self.ledger
        listed = {c["customer_id"]: c for c in listed}
        for customer_id, fields in ledger.customers.items():
            self.assertTrue(customer_id in listed,
                            "acknowledged customer %s lost, %s" % (customer_id, self.context))
            self.assertEqual({k: listed[customer_id][k] for k in fields}, fields, self.context)
        tried = {fields["custnr"]: fields for fields in ledger.tried_customers}
        for customer_id, customer in listed.items():
            if customer_id in ledger.customers:
                continue
            fields = tried.get(customer["custnr"])
            self.assertIsNotNone(fields, "a customer nobody created: %s" % customer)
            self.assertEqual({k: customer[k] for k in fields}, fields,
                             "half-written customer, " + self.context)
            ledger.customers[customer_id] = fields
        ledger.tried_customers.clear()

    @staticmethod
    def source_state(source):
        return dict(customer_id=source["customer_id"], name=source["name"],
                    phonenr=source["phonenr"], number=source["destnr"],
                    deleted=source["status"] == "archived")

    def check_sources(self, listed):
        ledger = self.ledger
        listed = {s["source_id"]: s for s in listed}
        for source_id, state in ledger.sources.items():
            self.assertTrue(source_id in listed,
                            "acknowledged source %s lost, %s" % (source_id, self.context))
            seen = self.source_state(listed[source_id])
            allowed = [without_maybe(state)]
            if state["maybe"]:
                allowed.append(without_maybe(state["maybe"]))
            self.assertIn(seen, allowed, "source %s, %s" % (source_id, self.context))
            state.update(seen, maybe=None)
        tried = {wanted["name"]: wanted for wanted in ledger.tried_sources}
        for source_id, source in listed.items():
            if source_id in ledger.sources:
                continue
            wanted = tried.get(source["name"])
            self.assertIsNotNone(wanted, "a source nobody created: %s" % source)
            seen = self.source_state(source)
            self.assertIn(seen["number"], POOL, self.context)
            self.assertEqual(seen, dict(wanted, number=seen["number"], deleted=False),
                             "half-written source, " + self.context)
            ledger.sources[source_id] = dict(seen, maybe=None)
        ledger.tried_sources.clear()
        live = [s["destnr"] for s in listed.values() if s["status"] != "archived"]
        self.assertEqual(len(live), len(set(live)),
                         "a number held by two live sources, " + self.context)

    def check_numbers(self, sources, numbers):
        holder = {s["destnr"]: s["source_id"] for s in sources if s["status"] != "archived"}
        allocated = {n["number"]: n["source_id"] for n in numbers if n["state"] == "allocated"}
        self.assertEqual(allocated, holder, "inventory and sources disagree, " + self.context)

    @staticmethod
    def call_facts(cdr):
        return {k: cdr[k] for k in ("source_id", "bnum", "ringing_at", "answered_at", "end",
                                    "hangup_by")}

    def check_calls(self, listed):
        ledger = self.ledger
        listed = {c["cdr_id"]: c for c in listed}
        for cdr_id, facts in ledger.calls.items():
            self.assertTrue(cdr_id in listed,
                            "acknowledged call record %s lost, %s" % (cdr_id, self.context))
            seen = self.call_facts(listed[cdr_id])
            allowed = [without_maybe(facts)]
            if facts["maybe"]:
                allowed.append(without_maybe(facts["maybe"]))
            self.assertIn(seen, allowed, "call record %s, %s" % (cdr_id, self.context))
            facts.update(seen, maybe=None)
        unknown = [cdr for cdr_id, cdr in listed.items() if cdr_id not in ledger.calls]
        self.assertLessEqual(len(unknown), ledger.tried_calls, "call records nobody routed")
        for cdr in unknown:
            facts = self.call_facts(cdr)
            self.assertIn(facts["bnum"], POOL, "half-written call record, " + self.context)
            self.assertIsNotNone(facts["source_id"], "half-written call record " + self.context)
            ledger.calls[cdr["cdr_id"]] = dict(facts, maybe=None)
        ledger.tried_calls = 0
