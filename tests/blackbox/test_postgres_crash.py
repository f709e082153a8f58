"""PostgreSQL itself crashes under two callsightd nodes (issue 14): both nodes share one
database on a throwaway cluster of this test's own; clients on both nodes create customers
and rename sources; the cluster is stopped the way a crash would stop it (`pg_ctl stop -m
immediate`) and started again. While it is down, requests fail cleanly (a 5xx with the
errors envelope, within the client's timeout; the nodes stay up). Once it is back, both
nodes serve again without a restart of their own (/readyz said unavailable and says ready
again, no request sent after the restart fails, the sweeps free numbers, webhooks are
delivered), every write a client was told succeeded is there on both nodes, and a write
that failed is there whole or not at all.

Needs the PostgreSQL server binaries (scripts/pg-test-cluster); skipped without them.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import requests
from requests.auth import HTTPDigestAuth

from harness import HTTP_TIMEOUT, Server, add_partner, run_cli, unique
from webhook_receiver import Receiver

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_TEST_CLUSTER = os.path.join(REPO, "scripts", "pg-test-cluster")
PG_CTL = os.path.join(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"), "pg_ctl")

WRITERS_PER_NODE = 4
LOAD_BEFORE_CRASH = 1.5  # seconds of writing on a healthy cluster
OUTAGE = 2.0  # seconds the cluster stays down
LOAD_AFTER_RESTART = 2.0
PARTNER = ("crashpg", "pw-crashpg")
NODE_ARGS = ["--sweep-seconds", "1", "--webhooks-allow-private"]
POOL = ["+4631%07d" % n for n in range(7000, 7000 + 2 * WRITERS_PER_NODE)]


def cluster(command, directory):
    proc = subprocess.run([PG_TEST_CLUSTER, command, directory], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        raise AssertionError("pg-test-cluster %s failed: %s" % (command, proc.stderr))
    return proc.stdout.strip()


def discard_cluster(directory):
    """Stops the cluster at once (a clean stop would first write a checkpoint of data about
    to be thrown away; it may not be running at all) and removes it."""
    subprocess.run([PG_TEST_CLUSTER, "crash", directory], capture_output=True, timeout=120)
    cluster("stop", directory)


class Ledger:
    """What the clients were told. customers: acknowledged {customer_id: fields};
    names[source_id]: the last acknowledged name and the names of later PUTs that failed
    (each may or may not have landed)."""

    def __init__(self, source_ids):
        self.lock = threading.Lock()
        self.customers = {}
        self.unanswered_customers = {}  # custnr: fields of a POST that failed
        self.names = {i: {"acknowledged": None, "maybe": []} for i in source_ids}
        self.failed = []  # (seconds since start when answered, status) of each failed request
        self.problems = []  # answers that were not clean
        self.acknowledged_after_restart = {0: 0, 1: 0}


class Writer(threading.Thread):
    """Alternates POST /customers and PUT /sources on one node until told to stop; records
    every answer in the ledger."""

    def __init__(self, test, ledger, node_index, source_id, started):
        super().__init__(daemon=True)
        self.test = test
        self.ledger = ledger
        self.node_index = node_index
        self.node = test.nodes[node_index]
        self.source_id = source_id
        self.started = started
        self.http = requests.Session()
        self.http.auth = HTTPDigestAuth(*PARTNER)

    def run(self):
        try:
            while not self.test.stop_writing.is_set():
                self.create_customer()
                self.rename_source()
        except Exception as e:  # noqa: BLE001 - reported by the test, not lost in a thread
            with self.ledger.lock:
                self.ledger.problems.append("writer on node %d: %r" % (self.node_index, e))
        finally:
            self.http.close()

    def request(self, method, path, data):
        """The answer if it was a 200; None if the request failed cleanly (recorded)."""
        sent = time.monotonic()
        try:
            resp = self.http.request(method, self.node.url(path), data=data,
                                     timeout=HTTP_TIMEOUT)
        except requests.RequestException as e:
            # A node that hangs past the timeout or drops the connection fails the test.
            with self.ledger.lock:
                self.ledger.problems.append("%s %s on node %d: %r" % (method, path,
                                                                       self.node_index, e))
            return None
        if resp.status_code == 200:
            if sent > self.test.restarted_at:
                with self.ledger.lock:
                    self.ledger.acknowledged_after_restart[self.node_index] += 1
            return resp
        with self.ledger.lock:
            self.ledger.failed.append((time.monotonic() - self.started, resp.status_code))
            if not self.clean_failure(resp):
                self.ledger.problems.append("%s %s on node %d -> %d %r" % (
                    method, path, self.node_index, resp.status_code, resp.text[:300]))
            elif sent > self.test.restarted_at:
                self.ledger.problems.append("%s %s on node %d failed after the restart: %d %r"
                                            % (method, path, self.node_index,
                                               resp.status_code, resp.text[:300]))
        return None

    @staticmethod
    def clean_failure(resp):
        if resp.status_code < 500 or "application/json" not in resp.headers.get("Content-Type",
                                                                                ""):
            return False
        try:
            errors = resp.json()["errors"]
        except (ValueError, KeyError, TypeError):
            return False
        return bool(errors) and all(set(e) == {"code", "field", "message"} for e in errors)

    def create_customer(self):
        fields = {"name": "PG crash " + unique(), "custnr": unique("cn"),
                  "email": unique("m") + "@example.com"}
        resp = self.request("POST", "/customers", fields)
        with self.ledger.lock:
            if resp is None:
                self.ledger.unanswered_customers[fields["custnr"]] = fields
            else:
                self.ledger.customers[resp.json()["customers"][0]["customer_id"]] = fields

    def rename_source(self):
        name = "renamed " + unique()
        state = self.ledger.names[self.source_id]  # this writer's own source
        resp = self.request("PUT", "/sources", {"source_id": self.source_id, "name": name})
        if resp is None:
            state["maybe"].append(name)
        else:
            state.update(acknowledged=name, maybe=[])


@unittest.skipUnless(os.access(PG_CTL, os.X_OK),
                     "needs the PostgreSQL server binaries (%s)" % PG_CTL)
class PostgresCrashTest(unittest.TestCase):
    """One cluster, one database, two nodes; one crash of the cluster per run."""

    @classmethod
    def setUpClass(cls):
        # Under /tmp: the server runs as the postgres user when the test runs as root, and
        # that user must reach the directory.
        cls.cluster_dir = tempfile.mkdtemp(prefix="callsight-pgcrash-", dir="/tmp")
        cls.addClassCleanup(shutil.rmtree, cls.cluster_dir, ignore_errors=True)
        cls.addClassCleanup(discard_cluster, cls.cluster_dir)
        cls.db = cluster("start", cls.cluster_dir)
        add_partner(cls.db, *PARTNER)
        run_cli(cls.db, "numbers", "add", "--partner", PARTNER[0], *POOL, check=True)
        cls.nodes = []
        for _ in range(2):
            node = Server(db=cls.db, extra_args=NODE_ARGS)
            cls.addClassCleanup(node.cleanup)
            cls.nodes.append(node.start())

    def session(self):
        s = requests.Session()
        s.auth = HTTPDigestAuth(*PARTNER)
        self.addCleanup(s.close)
        return s

    def on(self, node, s, method, path, **kwargs):
        return s.request(method, node.url(path), timeout=HTTP_TIMEOUT, **kwargs)

    def one(self, resp, resource):
        self.assertEqual(resp.status_code, 200, "%s %s -> %d %s" % (
            resp.request.method, resp.request.url, resp.status_code, resp.text[:300]))
        items = resp.json()[resource]
        self.assertEqual(len(items), 1, items)
        return items[0]

    def readiness(self):
        """(status, JSON status) of GET /readyz on each node."""
        answers = [requests.get(node.url("/readyz"), timeout=HTTP_TIMEOUT) for node in self.nodes]
        return [(resp.status_code, resp.json()["status"]) for resp in answers]

    def assert_nodes_alive(self, when):
        for index, node in enumerate(self.nodes):
            self.assertIsNone(node.proc.poll(), "node %d exited %s:\n%s"
                              % (index, when, node.stderr()[-3000:]))

    def setup_sources(self):
        s = self.session()
        customer_id = self.one(self.on(self.nodes[0], s, "POST", "/customers",
                                       data={"name": "Owner", "custnr": unique("cn")}),
                               "customers")["customer_id"]
        return [self.one(self.on(self.nodes[0], s, "POST", "/sources",
                                 data={"customer_id": customer_id, "name": "start",
                                       "phonenr": "0890510", "destnr": number}),
                         "sources")["source_id"]
                for number in POOL]

    def test_acknowledged_writes_survive_and_both_nodes_serve_again(self):
        source_ids = self.setup_sources()
        ledger = Ledger(source_ids)
        self.stop_writing = threading.Event()
        self.restarted_at = float("inf")
        started = time.monotonic()
        writers = [Writer(self, ledger, i % 2, source_id, started)
                   for i, source_id in enumerate(source_ids)]
        for writer in writers:
            writer.start()
        try:
            time.sleep(LOAD_BEFORE_CRASH)
            with ledger.lock:
                before_crash = len(ledger.customers)
            crashed = time.monotonic() - started
            cluster("crash", self.cluster_dir)
            time.sleep(OUTAGE)
            self.assert_nodes_alive("while PostgreSQL was down")
            down = self.readiness()
            cluster("start", self.cluster_dir)
            self.restarted_at = time.monotonic()
            up = self.readiness()
            time.sleep(LOAD_AFTER_RESTART)
        finally:
            self.stop_writing.set()
            for writer in writers:
                writer.join(timeout=3 * HTTP_TIMEOUT)
        self.assertFalse(any(w.is_alive() for w in writers), "a writer hung")
        self.assert_nodes_alive("after PostgreSQL came back")

        print("\nacknowledged customers: %d (%d before the crash); failed requests: %d (%s); "
              "acknowledged after the restart by node: %s"
              % (len(ledger.customers), before_crash, len(ledger.failed),
                 sorted({status for _, status in ledger.failed}),
                 ledger.acknowledged_after_restart))
        self.assertEqual(ledger.problems, [])
        # A load balancer takes both nodes out while the database is gone, and back after.
        self.assertEqual(down, [(503, "unavailable")] * 2)
        self.assertEqual(up, [(200, "ready")] * 2)
        self.assertGreater(before_crash, 0, "no write landed before the crash")
        # The crash was felt: requests failed while the cluster was down, not before it.
        self.assertTrue(ledger.failed, "no request failed while PostgreSQL was down")
        self.assertGreaterEqual(min(t for t, _ in ledger.failed), crashed, ledger.failed)
        for index in (0, 1):
            self.assertGreater(ledger.acknowledged_after_restart[index], 0,
                               "node %d acknowledged no write after the restart" % index)

        self.assert_everything_acknowledged_is_there(ledger)
        for node in self.nodes:
            self.assert_node_serves(node, source_ids[0])
        self.assert_sweeps_run_again()
        self.assert_webhooks_delivered_again()
        for node in self.nodes:
            node.stop()

    def assert_everything_acknowledged_is_there(self, ledger):
        s = self.session()
        for index, node in enumerate(self.nodes):
            stored = {c["customer_id"]: c for c in self.listed(node, s, "/customers",
                                                              "customers")}
            for customer_id, fields in ledger.customers.items():
                self.assertIn(customer_id, stored, "acknowledged customer lost (node %d)" % index)
                self.assertEqual({k: stored[customer_id][k] for k in fields}, fields)
            # A create that failed left the customer whole or not at all.
            for customer in stored.values():
                fields = ledger.unanswered_customers.get(customer["custnr"])
                if fields is not None:
                    self.assertEqual({k: customer[k] for k in fields}, fields)
            sources = {src["source_id"]: src for src in self.listed(node, s, "/sources",
                                                                    "sources")}
            for source_id, state in ledger.names.items():
                allowed = [state["acknowledged"] or "start"] + state["maybe"]
                self.assertIn(sources[source_id]["name"], allowed,
                              "source %s on node %d" % (source_id, index))

    def listed(self, node, s, path, resource):
        """Every object of a collection, page after page."""
        items = []
        for page in range(100):
            resp = self.on(node, s, "GET", path, params={"page": page})
            self.assertEqual(resp.status_code, 200, resp.text[:300])
            body = resp.json()
            items += body[resource]
            if page + 1 >= int(body["numpages"]):
                return items
        self.fail("more than 100 pages of %s" % resource)

    def assert_node_serves(self, node, source_id):
        """A read and both kinds of write succeed on the node, and read back."""
        s = self.session()
        fields = {"name": "After " + unique(), "custnr": unique("cn")}
        created = self.one(self.on(node, s, "POST", "/customers", data=fields), "customers")
        got = self.one(self.on(node, s, "GET", "/customers/%s" % created["customer_id"]),
                       "customers")
        self.assertEqual((got["name"], got["custnr"]), (fields["name"], fields["custnr"]))
        name = "after " + unique()
        self.one(self.on(node, s, "PUT", "/sources", data={"source_id": source_id, "name": name}),
                 "sources")
        self.assertEqual(self.one(self.on(node, s, "GET", "/sources/%s" % source_id),
                                  "sources")["name"], name)

    def assert_webhooks_delivered_again(self):
        """The nodes' webhook claimers and workers outlived the outage: a test event written
        through each node now reaches the receiver."""
        receiver = Receiver()
        self.addCleanup(receiver.close)
        s = self.session()
        webhook = self.one(self.on(self.nodes[0], s, "POST", "/webhooks",
                                   data={"url": receiver.url,
                                         "events": json.dumps(["source.created"])}),
                           "webhooks")
        for node in self.nodes:
            self.one(self.on(node, s, "POST", "/webhooks/%s/test" % webhook["webhook_id"]),
                     "events")
        self.assertEqual(len(receiver.wait_for_count(2, timeout=20)), 2)

    def assert_sweeps_run_again(self):
        """The nodes' sweep threads outlived the outage: a source deleted now (no quarantine
        for this partner) is archived by a sweep and its number is free again."""
        run_cli(self.db, "partner", "set", "--username", PARTNER[0], "--quarantine-days", "0",
                check=True)
        s = self.session()
        customer_id = self.one(self.on(self.nodes[1], s, "POST", "/customers",
                                       data={"name": "Sweep", "custnr": unique("cn")}),
                               "customers")["customer_id"]
        number = "+46317009999"
        run_cli(self.db, "numbers", "add", "--partner", PARTNER[0], number, check=True)
        source_id = self.one(self.on(self.nodes[1], s, "POST", "/sources",
                                     data={"customer_id": customer_id, "name": "sweep me",
                                           "phonenr": "0890510", "destnr": number}),
                             "sources")["source_id"]
        self.one(self.on(self.nodes[0], s, "DELETE", "/sources", data={"source_id": source_id}),
                 "sources")
        deadline = time.monotonic() + 10
        while True:
            holder = run_cli(self.db, "numbers", "list", check=True).stdout
            line = [l for l in holder.splitlines() if l.startswith(number)]
            if line and str(source_id) not in line[0].split("\t")[1:]:
                return
            self.assertLess(time.monotonic(), deadline, "the number was never freed: %s" % line)
            time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
