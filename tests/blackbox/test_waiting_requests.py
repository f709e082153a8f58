"""Requests that wait for a write's commit run on threads of their own (--waiting-threads,
docs/deploy.md and docs/observability.md), so that on SQLite the io threads of the partner
and switch APIs, one per core, never sleep on the disk: with one io thread and the
database's write lock held by another process, a write waits while pings, reads and other
partners' requests are answered, and it lands once the lock goes."""

import contextlib
import sqlite3
import threading
import time
import unittest

import requests

from harness import testing_postgres, unique
from test_observability import MetricsTestCase

# What a request that must not wait for the lock may take: the checks below, three of them,
# end well within the store's 5 s busy timeout, after which the waiting write would fail.
ANSWER_WITHIN_S = 1.0


@contextlib.contextmanager
def waiting_for_the_write_lock(case, send, what):
    """Holds SQLite's write lock as another process's writer would, calls `send` on a thread of
    its own and waits until its request runs on a waiting thread; yields that thread and a dict
    whose "resp" is what `send` returned, there once the block is left and the lock let go."""
    lock = sqlite3.connect(case.server.db, isolation_level=None, timeout=10)
    case.addCleanup(lock.close)
    lock.execute("BEGIN IMMEDIATE")
    answer = {}
    thread = threading.Thread(target=lambda: answer.update(resp=send()))
    thread.start()
    try:
        case.wait_for_metric(lambda m: m.value("callsight_waiting_requests_busy") == 1,
                             what + " running on a waiting thread")
        yield thread, answer
    finally:
        lock.execute("ROLLBACK")
        thread.join(timeout=30)


@unittest.skipIf(testing_postgres(), "PostgreSQL's reads wait too: its io threads wait themselves")
class WaitingRequestsTest(MetricsTestCase):
    PARTNERS = {"alice": {}, "bob": {}}
    EXTRA_ARGS = ("--threads", "1", "--waiting-threads", "2", "--cpu-slots", "auto")

    def create_customer(self, s):
        resp = self.call(s, "POST", "/customers",
                         data={"name": "C " + unique(), "custnr": unique("cn")})
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()["customers"][0]["customer_id"]

    def test_a_write_waiting_for_the_write_lock_holds_up_no_other_request(self):
        alice, bob = self.session("alice"), self.session("bob")
        customer_id = self.create_customer(alice)
        self.create_customer(bob)
        before = self.scrape().value("callsight_waiting_requests_total")

        def rename():
            return self.call(alice, "PUT", "/customers", params={"customer_id": customer_id},
                             data={"name": "Renamed"})
        with waiting_for_the_write_lock(self, rename, "the rename") as (writer, renamed):
            for s, method, path in [(alice, "GET", "/miscellaneous/ping"),
                                    (alice, "GET", "/customers"),
                                    (bob, "GET", "/customers")]:
                resp = self.call(s, method, path, timeout=ANSWER_WITHIN_S)
                self.assertEqual(resp.status_code, 200, resp.text)
            self.assertTrue(writer.is_alive(), "the rename did not wait for the write lock")
        self.assertEqual(renamed["resp"].status_code, 200, renamed["resp"].text)
        resp = self.call(alice, "GET", "/customers", params={"customer_id": customer_id})
        self.assertEqual(resp.json()["customers"][0]["name"], "Renamed")
        metrics = self.scrape()
        self.assertEqual(metrics.value("callsight_waiting_requests_total"), before + 1)
        self.assertEqual(metrics.value("callsight_waiting_requests_busy"), 0)
        self.assertEqual(metrics.value("callsight_waiting_request_threads"), 2)

    def test_reads_and_writes_answered_later_take_no_waiting_thread(self):
        alice = self.session("alice")
        before = self.scrape().value("callsight_waiting_requests_total")
        customer_id = self.create_customer(alice)  # answered by the thread that committed it
        resp = self.call(alice, "GET", "/customers", params={"customer_id": customer_id})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(self.scrape().value("callsight_waiting_requests_total"), before)
        resp = self.call(alice, "DELETE", "/customers", params={"customer_id": customer_id})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(self.scrape().value("callsight_waiting_requests_total"), before + 1)


@unittest.skipIf(testing_postgres(), "PostgreSQL's reads wait too: its io threads wait themselves")
class SwitchWaitingRequestsTest(MetricsTestCase):
    SWITCH_SECRET = "switch-" + unique()
    EXTRA_ARGS = ("--threads", "1", "--waiting-threads", "2", "--cpu-slots", "auto")

    def test_a_call_event_waiting_for_the_write_lock_holds_up_no_edge_sync(self):
        before = self.scrape().value("callsight_waiting_requests_total")
        def report():
            return self.switch_post("/switch/events", {
                "call_id": "never-routed-" + unique(), "event": "ringing", "at": int(time.time())})
        with waiting_for_the_write_lock(self, report, "the call event") as (edge, reported):
            # The edge's sync of its copy of the routes, a read: on the one io thread.
            resp = requests.post(self.server.switch_url("/switch/routes"),
                                 json={"edge": "edge-1", "page": 0}, timeout=ANSWER_WITHIN_S,
                                 headers={"X-Callsight-Switch-Secret": self.SWITCH_SECRET})
            self.assertEqual(resp.status_code, 200, resp.text)
            self.assertIn("version", resp.json())
            self.assertTrue(edge.is_alive(), "the call event did not wait for the write lock")
        # A call this platform never routed: known only once the event could read the calls.
        self.assertEqual(reported["resp"].status_code, 404, reported["resp"].text)
        self.assertEqual(reported["resp"].json()["errors"][0]["field"], "call_id")
        metrics = self.scrape()
        self.assertEqual(metrics.value("callsight_waiting_requests_total"), before + 1)
        self.assertEqual(
            metrics.value("callsight_http_requests_total", listener="switch",
                          route="/switch/events", method="POST", status="404"), 1)


if __name__ == "__main__":
    unittest.main()
