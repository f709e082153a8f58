"""Two Kamailio edges and two callsightd nodes on one PostgreSQL database share the traffic
(docs/kamailio.md, "Routes at the edge" and "Event spool"; docs/deploy.md).

Edge A talks to node 1, edge B to node 2. A change made through node 2 reaches both edges'
copies within 1 s. Then 50 calls/s go through each edge while node 1 is killed (-9) and
started again: every call is answered at the changed number, every record is exact, and
every record's call.started and call.completed webhook arrives with one event id.

Needs CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster); CI always sets it.
Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_two_edges
"""
import collections
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import add_partner, create_pg_database, drop_pg_database, unique  # noqa: E402
from sip_harness import (KamailioEdge, SipCallsMixin, missing_tools,  # noqa: E402
                         restartable_server)
from webhook_receiver import Receiver  # noqa: E402

SECRET = "sip-two-" + uuid.uuid4().hex[:8]
RATE = 50
CALLS = 250  # per edge
TALK_MS = 1000
SYNC_BOUND_S = 1.0
SETTLE_S = 60.0


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
@unittest.skipUnless(os.environ.get("CALLSIGHT_TEST_PG_URL"),
                     "needs PostgreSQL: set CALLSIGHT_TEST_PG_URL (scripts/pg-test-cluster)")
class TwoEdgesTwoNodesTest(SipCallsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_sip_tmp()
        cls.db = create_pg_database()
        cls.addClassCleanup(drop_pg_database, cls.db)
        add_partner(cls.db, "alice", "alice-pw")
        cls.nodes = []
        for _ in range(2):
            workdir = tempfile.mkdtemp(prefix="callsight-node-")
            cls.addClassCleanup(shutil.rmtree, workdir, ignore_errors=True)
            node = restartable_server(workdir, SECRET, "--webhooks-allow-private",
                                      "--webhook-retry-base-seconds", "1", db=cls.db)
            cls.addClassCleanup(node.cleanup)
            cls.nodes.append(node.start())
        cls.edges = []
        for name, node in (("a", cls.nodes[0]), ("b", cls.nodes[1])):
            edge = KamailioEdge(os.path.join(cls.tmp, name), node.switch_url(""), SECRET)
            if cls.edges:
                edge.gw_port = cls.edges[0].gw_port  # one gateway behind both edges
            cls.addClassCleanup(edge.stop)
            edge.start()
            cls.edges.append(edge)
        cls.edge = cls.edges[0]

    def copies_loaded(self, edge):
        with open(os.path.join(edge.dir, "kamailio.log"), errors="replace") as log:
            return log.read().count("routes copy ")

    def test_both_edges_keep_every_record_while_a_node_restarts(self):
        node1, node2 = self.nodes
        customer = self.partner_api("POST", "/customers", node=node1, data={
            "name": "C " + unique(), "custnr": unique("cn")})["customers"][0]
        number = "+4640%07d" % (uuid.uuid4().int % 10**6 + 6000000)
        node1.cli("numbers", "add", number, check=True)
        source = self.partner_api("POST", "/sources", node=node1, data={
            "customer_id": customer["customer_id"], "destnr": number, "name": "radio",
            "phonenr": "0890510"})["sources"][0]
        receiver = Receiver()
        self.addCleanup(receiver.close)
        self.partner_api("POST", "/webhooks", node=node2, data={
            "customer_id": customer["customer_id"], "url": receiver.url,
            "events": json.dumps(["call.started", "call.completed"])})
        self.start_gateway("uas_answer.xml")
        for edge in self.edges:
            self.wait_for_edge_routes(edge)

        # A change through node 2 reaches both edges, whichever node each asks.
        loaded = [self.copies_loaded(edge) for edge in self.edges]
        self.partner_api("PUT", "/sources", node=node2,
                         data={"source_id": source["source_id"], "phonenr": "0890777"})
        changed_at = time.monotonic()  # the change is made once it is answered
        pending = set(range(2))
        while pending and time.monotonic() - changed_at < 10:
            pending = {i for i in pending if self.copies_loaded(self.edges[i]) == loaded[i]}
            time.sleep(0.02)
        took = time.monotonic() - changed_at
        self.assertEqual(pending, set())
        self.assertLess(took, SYNC_BOUND_S)
        print("\nboth edges loaded the change %.0f ms after it was made" % (took * 1000))

        bursts = {}
        callers = [threading.Thread(target=lambda i=i: bursts.update(
            {i: self.dial_burst(number, CALLS, RATE, TALK_MS, caller="+4670111%04d" % i,
                                edge=self.edges[i])})) for i in range(2)]
        for caller in callers:
            caller.start()
        time.sleep(1.5)
        node1.kill()
        time.sleep(2.0)
        node1.start()
        for caller in callers:
            caller.join(timeout=120)
        for i in range(2):
            _, uac, _, _ = bursts[i]
            self.assertEqual(uac.count("FINAL 200"), CALLS, collections.Counter(uac))

        deadline = time.monotonic() + SETTLE_S
        while True:
            records = []
            for page in range(10):
                body = self.partner_api("GET", "/statistics/cdrs", node=node2, params={
                    "source_id": source["source_id"], "page": page, "pagesize": 1000})
                records += body["cdrs"]
                if len(records) >= int(body["total"]):
                    break
            if (len(records) >= 2 * CALLS and all(c["end"] for c in records)) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(len(records), 2 * CALLS)
        self.assertEqual(collections.Counter((c["status"], c["cnum"]) for c in records),
                         {("answered", "+46890777"): 2 * CALLS})
        for cdr in records:
            self.assertLessEqual(abs(int(cdr["duration"]) - TALK_MS // 1000), 1, cdr)

        self.assert_call_webhooks(receiver, records, SETTLE_S)


if __name__ == "__main__":
    unittest.main()
