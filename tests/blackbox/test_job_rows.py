"""One bad row never stops a platform job (docs/observability.md, "Background jobs"): a row
the database refuses, or a stored row that cannot be read, is logged without personal data,
counted in /metrics and retried later, while the sweep and the webhook dispatcher go on for
every other partner. The rows are spoilt beneath callsightd with Python's sqlite3, so these
tests run on SQLite only (the store tests SqlStoreTest.SweepGoesOnPastASourceThatFails... and
SqlWebhookStoreTest.AnUnreadableDelivery... cover PostgreSQL)."""

import json
import re
import sqlite3
import time
import unittest

import requests

from harness import HTTP_TIMEOUT, ServerTestCase, testing_postgres, unique
from resource_helpers import CustomerResourceMixin
from webhook_receiver import Receiver

WAIT = 30.0  # seconds; the sweep runs every second, retries start after one


@unittest.skipIf(testing_postgres(), "spoils rows through the SQLite file")
class JobRowFailureTest(CustomerResourceMixin, ServerTestCase):
    EXTRA_ARGS = ("--sweep-seconds", "1", "--webhooks-allow-private",
                  "--webhook-retry-base-seconds", "1", "--webhook-timeout-ms", "1000")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for username in ("alice", "bob"):
            cls.server.cli("partner", "set", "--username", username, "--quarantine-days", "0",
                           check=True)

    def sql(self, statement, *args):
        with sqlite3.connect(self.server.db, timeout=10) as db:
            db.execute(statement, args)
        db.close()

    def failures(self, job):
        text = requests.get(self.url("/metrics"), timeout=HTTP_TIMEOUT).text
        found = re.search(r'^callsight_job_row_failures_total\{job="%s"\} (\d+)$' % job, text,
                          re.M)
        return int(found.group(1)) if found else 0

    def wait_until(self, predicate, what):
        deadline = time.monotonic() + WAIT
        while not predicate():
            if time.monotonic() > deadline:
                self.fail("never happened: " + what)
            time.sleep(0.1)

    def events(self, s, source_id):
        resp = self.call(s, "GET", "/events")
        return [e["type"] for e in self.ok(resp, "events") if e["source_id"] == source_id]

    def test_sweep_goes_on_past_a_source_the_database_refuses(self):
        name = "Secret Name " + unique()
        refused = self.one(self.source(self.customer(), name=name), "sources")["source_id"]
        fine = self.one(self.source(self.customer(self.bob), s=self.bob), "sources")["source_id"]
        # Refuses the sweep's archiving of alice's source, as a constraint or a damaged row
        # would; only the sweep sets archived_at, so DELETE (whatever columns it writes) passes.
        self.sql("CREATE TRIGGER refuse_sweep BEFORE UPDATE ON sources"
                 " WHEN OLD.id = %d AND NEW.archived_at IS NOT OLD.archived_at"
                 " BEGIN SELECT RAISE(ABORT, 'refused'); END" % int(refused))
        before = self.failures("sweep")
        self.one(self.call(self.alice, "DELETE", "/sources/" + refused), "sources")
        self.one(self.call(self.bob, "DELETE", "/sources/" + fine), "sources")

        # Bob's source is announced and archived; alice's fails each sweep and is counted.
        self.wait_until(lambda: "source.status_changed" in self.events(self.bob, fine),
                        "bob's source.status_changed")
        self.wait_until(lambda: self.failures("sweep") >= before + 2, "two counted failures")
        self.assertNotIn("source.status_changed", self.events(self.alice, refused))
        log = self.server.stderr()
        self.assertIn("sweep: skipped source %s (database error)" % refused, log)
        self.assertNotIn("sweep failed", log)
        self.assertNotIn(name, log)

        # Once the database takes the write again, the next sweep does alice's source too.
        self.sql("DROP TRIGGER refuse_sweep")
        self.wait_until(lambda: "source.status_changed" in self.events(self.alice, refused),
                        "alice's source.status_changed after the fix")

    def test_webhook_deliveries_go_on_past_an_unreadable_subscription(self):
        failing = Receiver(behaviour=lambda event_id, attempt: "fail")
        fine = Receiver()
        self.addCleanup(failing.close)
        self.addCleanup(fine.close)
        secret_url = failing.url.replace("://", "://user:pw-%s@" % unique())

        def subscribe(s, url):
            data = {"url": url, "events": json.dumps(["call.completed"]),
                    "secret": "secret-" + unique() + "-0123456789"}
            return self.one(self.call(s, "POST", "/webhooks", data=data), "webhooks")["webhook_id"]

        alices = subscribe(self.alice, secret_url)
        bobs = subscribe(self.bob, fine.url)
        before = self.failures("webhooks")
        self.one(self.call(self.alice, "POST", "/webhooks/%s/test" % alices), "events")
        # Alice's delivery failed once and waits for its retry: spoil her subscription's row.
        self.wait_until(lambda: sum(failing.attempts.values()) >= 1, "alice's first attempt")
        self.sql("UPDATE webhooks SET event_types = 'not json' WHERE id = ?", int(alices))
        self.wait_until(lambda: self.failures("webhooks") > before, "a counted failure")
        attempts = sum(failing.attempts.values())

        self.one(self.call(self.bob, "POST", "/webhooks/%s/test" % bobs), "events")
        fine.wait_for_count(1, timeout=WAIT)
        log = self.server.stderr()
        self.assertRegex(log, r"webhooks: skipped delivery \d+ \(JSON error 101\)")
        self.assertNotIn("pw-", log)
        # Held and retried, never sent while unreadable.
        self.wait_until(lambda: self.failures("webhooks") > before + 1, "a retry, counted again")
        self.assertEqual(sum(failing.attempts.values()), attempts)


if __name__ == "__main__":
    unittest.main()
