"""Settled outbox rows past the retention (callsightd --outbox-retention-days, docs/webhooks.md
"Retention") are deleted by the sweep; GET /events then replays what is kept, and a cursor
that named a deleted event starts over at the oldest event kept.

Old events are made by moving their `created` back in the SQLite file while callsightd is
stopped; the sweep's hourly retention step runs at its first sweep after a start. SQLite only
for that reason; the store's purge runs on both backends in the unit tests
(SqlWebhookStoreTest, SqlMailStoreTest).
"""

import sqlite3
import time
import unittest

from harness import testing_postgres, ServerTestCase
from resource_helpers import CustomerResourceMixin

RETENTION_DAYS = 30
SWEEP_TIMEOUT = 20  # seconds for the first sweep after a start to purge


@unittest.skipIf(testing_postgres(), "moves events back in time in the SQLite file")
class OutboxRetentionTest(CustomerResourceMixin, ServerTestCase):
    EXTRA_ARGS = ("--sweep-seconds", "1", "--outbox-retention-days", str(RETENTION_DAYS))

    def events(self, s, after=None):
        params = {"limit": 1000} if after is None else {"limit": 1000, "after": after}
        resp = self.call(s, "GET", "/events", params=params)
        self.assertEqual(resp.status_code, 200, resp.text)
        return [int(e["event_id"]) for e in resp.json()["events"]]

    def age_events(self, partner, days):
        with sqlite3.connect(self.server.db, timeout=30) as db:
            db.execute("UPDATE webhook_events SET created = created - ? WHERE partner_id = ?",
                       (days * 86400, self.partner_ids[partner]))
        db.close()

    def restart(self):
        self.server.stop()
        self.age_events("alice", RETENTION_DAYS + 10)
        self.age_events("bob", RETENTION_DAYS - 10)
        self.server.start()
        self.alice, self.bob = self.session("alice"), self.session("bob")  # new Digest nonces

    def test_old_events_go_and_a_deleted_cursor_replays_from_the_oldest_kept(self):
        alice_customer, bob_customer = self.customer(), self.customer(self.bob)
        for _ in range(2):
            self.assertEqual(self.source(alice_customer).status_code, 200)
        self.assertEqual(self.source(bob_customer, self.bob).status_code, 200)
        old = self.events(self.alice)
        self.assertGreaterEqual(len(old), 2)
        bob_events = self.events(self.bob)
        self.assertTrue(bob_events)

        self.restart()
        deadline = time.monotonic() + SWEEP_TIMEOUT
        while self.events(self.alice) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.events(self.alice), [], "alice's old events were not purged")
        self.assertEqual(self.events(self.bob), bob_events)  # within the retention: kept

        self.assertEqual(self.source(alice_customer).status_code, 200)
        kept = self.events(self.alice)
        self.assertTrue(kept)
        self.assertEqual(self.events(self.alice, after=old[0]), kept)
        self.assertEqual(self.events(self.alice, after=old[-1]), kept)
        # Neither bob nor an id never handed out gains anything from alice's deletions.
        self.assert_error(self.call(self.bob, "GET", "/events", params={"after": old[0]}),
                          400, "invalid", "after")
        self.assert_error(
            self.call(self.alice, "GET", "/events", params={"after": kept[-1] + 1000}),
            400, "invalid", "after")

    def test_a_backlog_past_one_sweeps_share_goes_over_the_next_sweeps(self):
        # 10,000 events per sweep (20 batches of 500): 10,700 old ones take two sweeps, the
        # second a sweep later, not an hour later.
        backlog = 10700
        self.server.stop()
        with sqlite3.connect(self.server.db, timeout=30) as db:
            db.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO webhook_events (partner_id, type, sequence, payload, created,"
                " stream_position) SELECT ?, 'webhook.test', 0, '{}',"
                " CAST(strftime('%s', 'now') AS INTEGER) - ? * 86400, 1000000 + i FROM n",
                (backlog, self.partner_ids["bob"], RETENTION_DAYS + 5))
        db.close()
        self.server.start()
        self.bob = self.session("bob")
        deadline = time.monotonic() + SWEEP_TIMEOUT
        while self.old_events("bob") and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.old_events("bob"), 0, "the backlog was not purged over the sweeps")
        self.assertIn("more at the next sweep", self.server.stderr())

    def old_events(self, partner):
        with sqlite3.connect(self.server.db, timeout=30) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM webhook_events WHERE partner_id = ? AND created <"
                " CAST(strftime('%s', 'now') AS INTEGER) - ? * 86400",
                (self.partner_ids[partner], RETENTION_DAYS)).fetchone()
        db.close()
        return count


if __name__ == "__main__":
    unittest.main()
