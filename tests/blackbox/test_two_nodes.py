"""Two callsightd nodes on one PostgreSQL database, as docs/deploy.md runs them: parallel
source creates against a small inventory, both nodes' sweeps at once, the switch API asked
about one call on both nodes, callback claims from both nodes, visitors asking both nodes for
the numbers of one pool, and one signed number request sent to both nodes at once.

Needs CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster); CI always sets it.
"""

import collections
import concurrent.futures
import itertools
import json
import os
import random
import re
import subprocess
import threading
import time
import unittest

import requests
from requests.auth import HTTPDigestAuth

from dni_site import BROWSER_UA, DniSiteMixin, signed_headers
from harness import (HTTP_TIMEOUT, Server, ServerTestCase, add_partner, create_pg_database,
                     drop_pg_database, run_cli, unique)

SECRET = "switch-secret-" + unique()
CALLER = "+46701111111"
ANSWERING = "+46890510"
SWEEP_ARGS = ["--sweep-seconds", "1"]
# Each test's inventory is restricted to its own partner, so no test takes another's numbers.
_number_blocks = itertools.count(1)
_SWEEP_LOG_RE = re.compile(r"sweep: archived (\d+) source")
# spdlog's level tag; the nodes must log nothing at these levels during the tests.
_BAD_LOG_RE = re.compile(r"\[(error|critical|warning)\]")
SITE = "https://shop.example"
FALLBACK = "+46812340000"  # what the pool's fallback_number 0812340000 is stored as


def number_block(size):
    """`size` fresh E.164 numbers no other test of this module uses."""
    base = 4631000000 + next(_number_blocks) * 1000
    return ["+%d" % (base + i) for i in range(size)]


def parallel(jobs):
    """Starts every callable on its own thread and releases them together; returns their
    results in order. A job that raises fails the test with its exception."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        return job()

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def psql_rows(url, sql):
    """Rows of a query on the test database, as lists of text."""
    proc = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t", "-c", sql],
                          check=True, capture_output=True, text=True, timeout=60)
    return [line.split("\t") for line in proc.stdout.splitlines()]


def numbers_listed(db):
    """`callsight numbers list` as {number: {column: value}}."""
    lines = run_cli(db, "numbers", "list", check=True).stdout.splitlines()
    header = lines[0].split("\t")
    return {row["number"]: row for row in (dict(zip(header, l.split("\t"))) for l in lines[1:])}


@unittest.skipUnless(os.environ.get("CALLSIGHT_TEST_PG_URL"),
                     "needs PostgreSQL: set CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster)")
class TwoNodesTest(DniSiteMixin, ServerTestCase):
    """Nodes A and B share one fresh database; both serve the partner and switch APIs and
    sweep every second. Partner `sweepy` has no quarantine, so DELETE archives at once;
    `dora` has the customers whose sites ask for dynamic numbers."""

    PARTNERS = {"alice": {}, "carol": {}, "sweepy": {}, "dora": {}}

    @classmethod
    def setUpClass(cls):
        super(ServerTestCase, cls).setUpClass()  # not ServerTestCase's single server
        cls.db = create_pg_database()
        cls.addClassCleanup(drop_pg_database, cls.db)
        cls.partner_ids = {}
        cls.passwords = {}
        for username in cls.PARTNERS:
            cls.passwords[username] = "pw-" + username
            cls.partner_ids[username] = add_partner(cls.db, username, cls.passwords[username])
        run_cli(cls.db, "partner", "set", "--username", "sweepy", "--quarantine-days", "0",
                check=True)
        cls.nodes = []
        for _ in range(2):
            node = Server(db=cls.db, extra_args=SWEEP_ARGS, switch_secret=SECRET)
            cls.addClassCleanup(node.cleanup)
            cls.nodes.append(node.start())
        cls.server = cls.nodes[0]  # what ServerTestCase's helpers talk to

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.stop()

    def tearDown(self):
        for index, node in enumerate(self.nodes):
            bad = [line for line in node.stderr().splitlines() if _BAD_LOG_RE.search(line)]
            self.assertEqual(bad, [], "node %d logged problems" % index)
        super().tearDown()

    # -- helpers ----------------------------------------------------------------------------
    def new_session(self, user):
        s = requests.Session()
        s.auth = HTTPDigestAuth(user, self.passwords[user])
        return s

    def on(self, node, s, method, path, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return s.request(method, node.url(path), **kwargs)

    def switch(self, node, path, body):
        return requests.post(node.switch_url(path), json=body, timeout=HTTP_TIMEOUT,
                             headers={"X-Callsight-Switch-Secret": SECRET})

    def customer(self, user):
        s = self.new_session(user)
        self.addCleanup(s.close)
        data = dict(name="C " + unique(), custnr=unique("cn"))
        return self.one(self.on(self.nodes[0], s, "POST", "/customers", data=data),
                        "customers")["customer_id"]

    def add_numbers(self, user, numbers):
        run_cli(self.db, "numbers", "add", "--partner", user, *numbers, check=True)

    def create_sources(self, user, customer_id, count):
        """POSTs `count` sources at once, alternating nodes, one Digest session each;
        returns [(status, json body)]."""

        def create(i):
            def job():
                with self.new_session(user) as s:
                    resp = self.on(self.nodes[i % 2], s, "POST", "/sources",
                                   data={"customer_id": customer_id, "name": "n%d" % i,
                                         "phonenr": "0890510"})
                    return resp.status_code, resp.json()
            return job

        return parallel([create(i) for i in range(count)])

    def sources_of(self, user, **params):
        with self.new_session(user) as s:
            return self.ok(self.on(self.nodes[1], s, "GET", "/sources", params=params), "sources")

    def swept_so_far(self):
        """Sources the sweeps of both nodes have archived, by their log lines."""
        return sum(int(m.group(1)) for node in self.nodes
                   for m in _SWEEP_LOG_RE.finditer(node.stderr()))

    def assert_created_or_no_free_number(self, results):
        """Every result is a 200 with one source or a 409 no_free_number; returns the sources."""
        created = []
        for status, body in results:
            if status == 200:
                self.assertEqual(len(body["sources"]), 1, body)
                created.append(body["sources"][0])
            else:
                self.assertEqual(status, 409, body)
                self.assertEqual([e["code"] for e in body["errors"]], ["no_free_number"], body)
        return created

    # -- a) allocation ----------------------------------------------------------------------
    def test_digest_nonce_of_one_node_is_good_on_the_other(self):
        """Both nodes sign nonces with the database's shared secret: after the first
        challenge, a client alternating between nodes is never challenged again."""
        s = self.new_session("alice")
        self.addCleanup(s.close)
        first = self.on(self.nodes[0], s, "GET", "/miscellaneous/ping")
        self.assertEqual(first.status_code, 200)
        for i in range(1, 7):
            resp = self.on(self.nodes[i % 2], s, "GET", "/miscellaneous/ping")
            self.assertEqual(resp.status_code, 200)
            self.assertEqual(resp.history, [], "request %d was challenged again" % i)

    def test_parallel_creates_on_both_nodes_allocate_each_number_once(self):
        numbers = number_block(15)
        self.add_numbers("carol", numbers)
        customer_id = self.customer("carol")
        results = self.create_sources("carol", customer_id, 60)

        created = self.assert_created_or_no_free_number(results)
        self.assertEqual(len(created), 15, collections.Counter(s for s, _ in results))
        self.assertEqual(sorted(s["destnr"] for s in created), numbers)
        by_number = {s["destnr"]: s["source_id"] for s in created}
        listed = numbers_listed(self.db)
        self.assertEqual({n: (listed[n]["state"], listed[n]["source_id"]) for n in numbers},
                         {n: ("allocated", by_number[n]) for n in numbers})
        stored = self.sources_of("carol", customer_id=customer_id)
        self.assertEqual(sorted(s["source_id"] for s in stored), sorted(by_number.values()))

    # -- b) sweeps --------------------------------------------------------------------------
    def wait_until_swept(self, source_ids, timeout=20.0):
        ids = ",".join(str(int(i)) for i in source_ids)
        deadline = time.monotonic() + timeout
        while True:
            left = psql_rows(self.db, "SELECT count(*) FROM sources WHERE archived_at IS NULL"
                                      " AND id IN (%s)" % ids)[0][0]
            if left == "0":
                return
            self.assertLess(time.monotonic(), deadline, "%s source(s) never swept" % left)
            time.sleep(0.2)

    def test_both_sweeps_archive_each_source_once_while_creates_race(self):
        numbers = number_block(20)
        self.add_numbers("sweepy", numbers)
        customer_id = self.customer("sweepy")
        first = self.assert_created_or_no_free_number(
            self.create_sources("sweepy", customer_id, 20))
        self.assertEqual(len(first), 20)
        swept_before = self.swept_so_far()

        # Delete every source (archived at once: no quarantine) on both nodes while creates
        # on both nodes take the numbers as they come free, and both sweeps run.
        def delete(i, source):
            def job():
                with self.new_session("sweepy") as s:
                    resp = self.on(self.nodes[i % 2], s, "DELETE", "/sources",
                                   data={"source_id": source["source_id"]})
                    return resp.status_code, resp.json()
            return job

        def create(i):
            def job():
                time.sleep(random.uniform(0, 1.5))  # spread over a sweep or two
                with self.new_session("sweepy") as s:
                    resp = self.on(self.nodes[i % 2], s, "POST", "/sources",
                                   data={"customer_id": customer_id, "name": "again%d" % i,
                                         "phonenr": "0890510"})
                    return resp.status_code, resp.json()
            return job

        # Fewer creates than deletes: some numbers come back through the sweep alone.
        jobs = [delete(i, s) for i, s in enumerate(first)] + [create(i) for i in range(12)]
        order = list(range(len(jobs)))
        random.shuffle(order)
        results = dict(zip(order, parallel([jobs[i] for i in order])))
        for i in range(len(first)):
            status, body = results[i]
            self.assertEqual(status, 200, body)
            self.assertEqual(body["sources"][0]["status"], "archived", body)
        second = self.assert_created_or_no_free_number(
            [results[i] for i in range(len(first), len(jobs))])

        self.wait_until_swept([s["source_id"] for s in first])
        time.sleep(2.5)  # two more sweeps on each node: none may touch these sources again
        self.assertEqual(self.swept_so_far() - swept_before, 20)

        # Fill what is left: every number is held by exactly one live source.
        third = self.assert_created_or_no_free_number(
            self.create_sources("sweepy", customer_id, 25))
        live = second + third
        self.assertEqual(len(live), 20, (len(second), len(third)))
        self.assertEqual(sorted(s["destnr"] for s in live), numbers)
        holders = dict(psql_rows(self.db, "SELECT number, holder_source_id FROM numbers"
                                          " WHERE number IN (%s)"
                                          % ",".join("'%s'" % n for n in numbers)))
        self.assertEqual(holders, {s["destnr"]: s["source_id"] for s in live})
        archived = self.sources_of("sweepy", customer_id=customer_id, status="archived")
        self.assertEqual(sorted(s["source_id"] for s in archived),
                         sorted(s["source_id"] for s in first))
        active = self.sources_of("sweepy", customer_id=customer_id, status="active")
        self.assertEqual(sorted(s["source_id"] for s in active),
                         sorted(s["source_id"] for s in live))

    def test_a_source_changed_on_one_node_is_read_anew_on_the_other_within_a_second(self):
        # Each node answers a source read by id from memory while it wrote nothing since and
        # the row is younger than 0.5 s (store/sql/recent_rows.hpp): the writing node must see
        # its change at once, the other within 1 s (issue 18).
        numbers = number_block(1)
        self.add_numbers("alice", numbers)
        customer_id = self.customer("alice")
        with self.new_session("alice") as s:
            source_id = self.one(self.on(self.nodes[0], s, "POST", "/sources", data={
                "customer_id": customer_id, "name": "before", "phonenr": ANSWERING}),
                "sources")["source_id"]

            def name_on(node):
                return self.one(self.on(node, s, "GET", "/sources",
                                        params={"source_id": source_id}), "sources")["name"]

            for _ in range(3):  # read on both, so both hold it in memory
                self.assertEqual([name_on(n) for n in self.nodes], ["before", "before"])
            self.one(self.on(self.nodes[0], s, "PUT", "/sources",
                             data={"source_id": source_id, "name": "after"}), "sources")
            changed = time.monotonic()
            self.assertEqual(name_on(self.nodes[0]), "after")
            while name_on(self.nodes[1]) != "after":
                self.assertLess(time.monotonic() - changed, 1.0, "node B still has the old row")
                time.sleep(0.05)
            # A deleted source is quarantined on both within the same bound.
            self.one(self.on(self.nodes[1], s, "DELETE", "/sources",
                             data={"source_id": source_id}), "sources")
            deleted = time.monotonic()

            def status_on(node):
                return self.one(self.on(node, s, "GET", "/sources",
                                        params={"source_id": source_id}), "sources")["status"]

            self.assertEqual(status_on(self.nodes[1]), "quarantined")
            while status_on(self.nodes[0]) != "quarantined":
                self.assertLess(time.monotonic() - deleted, 1.0, "node A still has the old row")
                time.sleep(0.05)

    # -- c) switch API ----------------------------------------------------------------------
    def tracking_number(self):
        number = number_block(1)
        self.add_numbers("alice", number)
        customer_id = self.customer("alice")
        with self.new_session("alice") as s:
            resp = self.on(self.nodes[0], s, "POST", "/sources",
                           data={"customer_id": customer_id, "name": "web", "phonenr": ANSWERING})
            return self.one(resp, "sources")["destnr"]

    def cdrs_of_call(self, cdr_id):
        with self.new_session("alice") as s:
            return self.ok(self.on(self.nodes[0], s, "GET", "/statistics/cdrs",
                                   params={"cdr_id": cdr_id}), "cdrs")

    def test_one_call_routed_on_both_nodes_at_once_has_one_record(self):
        number = self.tracking_number()
        for round_ in range(10):
            cid = "two-nodes-%s" % unique()
            body = {"call_id": cid, "caller": CALLER, "dialled": number}
            answers = parallel([lambda n=n: self.switch(n, "/switch/route", body)
                                for n in self.nodes * 3])
            for resp in answers:
                self.assertEqual(resp.status_code, 200, resp.text)
            decisions = [resp.json() for resp in answers]
            self.assertEqual(decisions[0]["action"], "forward", decisions[0])
            self.assertEqual(decisions, [decisions[0]] * len(decisions), round_)
            rows = psql_rows(self.db, "SELECT count(*) FROM cdrs WHERE switch_call_id = '%s'"
                             % cid)
            self.assertEqual(rows, [["1"]], round_)
            self.assertEqual(len(self.cdrs_of_call(decisions[0]["cdr_id"])), 1)

    def play(self, number, events, concurrently):
        """Routes a call on node A and sends its events alternately to A and B."""
        cid = "two-nodes-%s" % unique()
        resp = self.switch(self.nodes[0], "/switch/route",
                           {"call_id": cid, "caller": CALLER, "dialled": number})
        self.assertEqual(resp.status_code, 200, resp.text)
        jobs = [lambda i=i, e=e: self.switch(self.nodes[i % 2], "/switch/events",
                                             dict(e, call_id=cid))
                for i, e in enumerate(events)]
        answers = parallel(jobs) if concurrently else [job() for job in jobs]
        for answer in answers:
            self.assertEqual(answer.status_code, 200, answer.text)
        return self.cdrs_of_call(resp.json()["cdr_id"])[0]

    def test_events_for_one_call_on_both_nodes_end_in_one_record(self):
        number = self.tracking_number()
        t = 1_800_000_000
        events = [{"event": "ringing", "at": t + 1, "sip_status": "180"},
                  {"event": "answered", "at": t + 3, "sip_status": "200",
                   "answering_number": ANSWERING},
                  {"event": "hangup", "at": t + 45, "sip_status": "200", "hangup_by": "callee"}]
        volatile = ("cdr_id", "start", "anum_md5")
        strip = lambda cdr: {k: v for k, v in cdr.items() if k not in volatile}
        expected = strip(self.play(number, events, concurrently=False))
        self.assertEqual((expected["status"], expected["duration"], expected["hangup_by"]),
                         ("answered", "42", "callee"))
        for _ in range(10):
            # Each event twice, all at once, spread over both nodes.
            shuffled = events * 2
            random.shuffle(shuffled)
            self.assertEqual(strip(self.play(number, shuffled, concurrently=True)), expected)

    # -- d) callbacks -----------------------------------------------------------------------
    def test_callbacks_claimed_from_both_nodes_are_handed_out_once(self):
        customer_id = self.customer("alice")
        with self.new_session("alice") as s:
            created = [self.one(self.on(self.nodes[i % 2], s, "POST", "/customers/callbacks",
                                        data={"customer_id": customer_id,
                                              "agent_nr": "+46701234567",
                                              "requester_nr": "+4670987%04d" % i,
                                              "retries": "2", "retry_interval": "300"}),
                                "callbacks")["id"]
                       for i in range(20)]

        def claimer(node):
            def job():
                got = []
                empty = 0
                while empty < 3:
                    resp = self.switch(node, "/switch/callbacks/claim", {"limit": 5})
                    if resp.status_code != 200:
                        return got, resp
                    calls = resp.json()["calls"]
                    got += calls
                    empty = 0 if calls else empty + 1
                return got, None
            return job

        outcomes = parallel([claimer(n) for n in self.nodes * 2])
        for _, failure in outcomes:
            self.assertIsNone(failure, failure is not None and failure.text)
        calls = [c for got, _ in outcomes for c in got]
        counts = collections.Counter(c["callback_id"] for c in calls)
        self.assertEqual({k: v for k, v in counts.items() if v != 1}, {}, "claimed twice")
        self.assertEqual(sorted(counts), sorted(created))
        self.assertEqual(len({c["cdr_id"] for c in calls}), len(calls))
        self.assertEqual(len({c["call_id"] for c in calls}), len(calls))

    # -- e) dynamic numbers -----------------------------------------------------------------
    def ask_number(self, node, advid, visitor, session_id=None, visitor_id=None):
        """A visitor's browser asking `node` for a number, as the script does; returns
        (status, body). Even visitors have consented, so they keep a visitor id."""
        params = {"advid": advid, "url": SITE + "/offers?visitor=%d" % visitor,
                  "consent": "1" if visitor % 2 == 0 else "0"}
        if session_id:
            params["session_id"] = session_id
        if visitor_id:
            params["visitor_id"] = visitor_id
        resp = requests.get(node.url("/dni/number"), params=params, timeout=HTTP_TIMEOUT,
                            headers={"Origin": SITE, "User-Agent": BROWSER_UA})
        return resp.status_code, resp.json()

    def assert_number_answer(self, status, body, pool, numbers):
        """A 200 of the pool naming one of its numbers, or its fallback when all are held."""
        self.assertEqual(status, 200, body)
        self.assertEqual((body["status"], body["pool_id"]), ("success", pool["pool_id"]), body)
        if body["shown"] == "fallback":
            self.assertEqual(body["number"], FALLBACK, body)
            self.assertEqual(re.sub(r"\D", "", body["formatted_number"]), "0" + FALLBACK[3:])
        else:
            self.assertIn(body["shown"], ("assigned", "kept"), body)
            self.assertIn(body["number"], numbers, body)

    def test_visitors_on_both_nodes_never_share_a_live_number(self):
        size = 8
        dora = self.new_session("dora")
        self.addCleanup(dora.close)
        customer, pool, numbers = self.site(SITE, count=size, s=dora,
                                            fallback_number="0812340000")
        advid = customer["uuid"]
        lease = int(pool["lease"])
        started = time.monotonic()

        # Five visitors for each number, all asking at once, half of them on each node.
        visitors = range(5 * size)
        first = parallel([lambda v=v: self.ask_number(self.nodes[v % 2], advid, v)
                          for v in visitors])
        for status, body in first:
            self.assert_number_answer(status, body, pool, numbers)
        self.assertEqual(len({body["session_id"] for _, body in first}), len(first))
        holders = {v: body for v, (_, body) in zip(visitors, first) if body["shown"] != "fallback"}
        self.assertEqual(collections.Counter(b["shown"] for _, b in first),
                         {"assigned": size, "fallback": len(first) - size})
        self.assertEqual(sorted(b["number"] for b in holders.values()), numbers)

        # Every visitor reloads on the other node while new visitors arrive on both: holders
        # keep their numbers, everyone else is shown the fallback.
        newcomers = range(len(first), len(first) + size)
        jobs = [lambda v=v, b=b: self.ask_number(self.nodes[(v + 1) % 2], advid, v,
                                                 b["session_id"], b["visitor_id"])
                for v, (_, b) in zip(visitors, first)]
        jobs += [lambda v=v: self.ask_number(self.nodes[v % 2], advid, v) for v in newcomers]
        second = parallel(jobs)
        for status, body in second:
            self.assert_number_answer(status, body, pool, numbers)
        for v, (_, body) in zip(visitors, second):
            self.assertEqual((body["session_id"], body["visitor_id"]),
                             (first[v][1]["session_id"], first[v][1]["visitor_id"]))
            self.assertEqual(body["visitor_id"] is None, v % 2 == 1)
            if v in holders:
                self.assertEqual((body["shown"], body["number"]), ("kept", holders[v]["number"]))
            else:
                self.assertEqual(body["shown"], "fallback")
        self.assertEqual([b["shown"] for _, b in second[len(first):]], ["fallback"] * size)

        # Every holder's lease is live at once (both nodes accept its heartbeat), so no two
        # holders may share a number.
        beats = parallel([lambda n=n, b=b: requests.post(
            n.url("/dni/heartbeat"), timeout=HTTP_TIMEOUT,
            data={"advid": advid, "pool_id": pool["pool_id"], "session_id": b["session_id"]},
            headers={"Origin": SITE, "User-Agent": BROWSER_UA})
            for b in holders.values() for n in self.nodes])
        for resp in beats:
            self.assertEqual((resp.status_code, resp.json()), (200, {"status": "success",
                                                                      "leased": "1"}))
        self.assertLess(time.monotonic() - started, lease, "the test outlived its leases")

        # The stored hand-outs agree: per number, no two sessions' leases overlap, and every
        # fallback shown is an exhaustion in the pool's health.
        self.assert_no_overlapping_leases(pool["pool_id"], lease)
        fallbacks = sum(b["shown"] == "fallback" for _, b in first + second)
        health = self.one(self.on(self.nodes[1], dora, "GET", "/pools/health",
                                  params={"pool_id": pool["pool_id"]}), "pool_health")
        self.assertEqual({k: health[k] for k in ("sessions", "numbers", "peak_numbers_held",
                                                 "times_exhausted")},
                         {"sessions": str(len(first) + size), "numbers": str(size),
                          "peak_numbers_held": str(size), "times_exhausted": str(fallbacks)})

    def assert_no_overlapping_leases(self, pool_id, lease):
        """Each number's stored hand-outs, in order: one begins only after the lease of the
        one before it (held by another session) has ended."""
        rows = psql_rows(self.db, "SELECT number, session_id, assigned_at, last_seen_at,"
                                  " released_at FROM dni_assignments WHERE pool_source_id = %d"
                                  " AND pool_number_id IS NOT NULL ORDER BY number, assigned_at,"
                                  " id" % int(pool_id))
        self.assertTrue(rows)
        by_number = collections.defaultdict(list)
        for number, session, assigned, last_seen, released in rows:
            ends = int(last_seen) + lease
            if released:  # NULL reads as ""
                ends = min(ends, int(released))
            by_number[number].append((session, int(assigned), ends))
        for number, hand_outs in by_number.items():
            for (session, _, ends), (next_session, begins, _) in zip(hand_outs, hand_outs[1:]):
                if session != next_session:
                    self.assertGreaterEqual(begins, ends, "%s held by two sessions" % number)

    def test_one_signed_request_sent_to_both_nodes_at_once_is_served_once(self):
        secret = run_cli(self.db, "partner", "dncs-secret", "--username", "dora",
                         check=True).stdout.strip()
        dora = self.new_session("dora")
        self.addCleanup(dora.close)
        rounds = 5
        customer, _, numbers = self.site(SITE, count=rounds, s=dora)  # a new session a round
        for round_ in range(rounds):
            text = json.dumps({"fullUrl": SITE + "/offers?round=%d" % round_, "numbers": [],
                               "type": "web", "userAgent": BROWSER_UA,
                               "parameters": {"custnr": customer["custnr"]}})
            headers = signed_headers("dora", secret, text)
            answers = parallel([lambda n=n: requests.post(n.url("/dncs"), data=text.encode(),
                                                          headers=headers, timeout=HTTP_TIMEOUT)
                                for n in self.nodes * 2])
            served = [resp for resp in answers if resp.status_code == 200]
            self.assertEqual(len(served), 1, [resp.text for resp in answers])
            self.assertIn(served[0].json()["number"], numbers)
            for resp in answers:
                if resp is not served[0]:
                    self.assert_error(resp, 401, "replayed", "X-Callsight-Signature")


if __name__ == "__main__":
    unittest.main()
