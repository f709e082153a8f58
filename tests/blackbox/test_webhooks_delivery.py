"""Delivering the webhook outbox (docs/webhooks.md): calls through the switch API reach a
local receiver signed, exactly once after de-duplication by event id, with per-call sequence
numbers, through failing, slow and timing-out receivers and a SIGKILL of callsightd."""

import collections
import itertools
import json
import sys
import tempfile
import time

from harness import ServerTestCase, unique
from resource_helpers import CustomerResourceMixin
import tls_certs
import webhook_receiver
from webhook_receiver import Receiver, free_port, signature_ok

SWITCH_SECRET = "switch-secret-" + unique()
TIMEOUT_MS = 1000
FLAGS = ("--webhooks-allow-private", "--webhook-timeout-ms", str(TIMEOUT_MS),
         # Retries after 1 s, 2 s, 4 s ... instead of 10 s, 20 s ...: the schedule's shape,
         # in seconds the test can wait for.
         "--webhook-retry-base-seconds", "1")
CALL_EVENTS = ["call.started", "call.answered", "call.completed"]
_call_ids = itertools.count(1)


class DeliveryTestCase(CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SWITCH_SECRET
    EXTRA_ARGS = FLAGS

    def setUp(self):
        super().setUp()
        self.cid = self.customer(self.alice)

    def receiver(self, **kwargs):
        receiver = Receiver(hang_seconds=TIMEOUT_MS / 1000 * 2, **kwargs)
        self.addCleanup(receiver.close)
        return receiver

    def subscribe(self, url, events=CALL_EVENTS):
        """A subscription of alice's customer; returns (webhook_id, secret)."""
        secret = "secret-" + unique() + "-0123456789"
        resp = self.call(self.alice, "POST", "/webhooks",
                         data={"url": url, "events": json.dumps(events), "secret": secret,
                               "customer_id": self.cid})
        webhook = self.one(resp, "webhooks")
        return webhook["webhook_id"], secret

    def make_call(self):
        """route + answered + hangup through the switch API; returns (cdr_id, start time)."""
        source = self.one(self.source(self.cid), "sources")
        call_id = "wh-%s-%d" % (unique(), next(_call_ids))
        started = time.monotonic()
        resp = self.switch_post("/switch/route", {"call_id": call_id, "caller": "+46701111111",
                                                  "dialled": source["destnr"]})
        self.assertEqual(resp.status_code, 200, resp.text)
        cdr_id = resp.json()["cdr_id"]
        t = int(time.time())
        for name, at, fields in [("answered", t + 2, {"sip_status": "200"}),
                                 ("hangup", t + 30, {"sip_status": "200", "hangup_by": "callee"})]:
            resp = self.switch_post("/switch/events",
                                    dict(call_id=call_id, event=name, at=at, **fields))
            self.assertEqual(resp.status_code, 200, resp.text)
        return str(cdr_id), started

    def deliveries(self, webhook_id, **params):
        resp = self.call(self.alice, "GET", "/webhooks/deliveries",
                         params=dict(webhook_id=webhook_id, **params))
        return self.ok(resp, "deliveries")

    def wait_for_deliveries(self, webhook_id, done):
        """The subscription's deliveries once done(deliveries) holds (fails after a while)."""
        deadline = time.monotonic() + webhook_receiver.DELIVERY_TIMEOUT
        while True:
            ds = self.deliveries(webhook_id)
            if done(ds) or time.monotonic() > deadline:
                return ds
            time.sleep(0.1)

    def first_attempt(self, webhook_id):
        """The subscription's one delivery after its first attempt."""
        (d,) = self.wait_for_deliveries(webhook_id,
                                        lambda ds: len(ds) == 1 and ds[0]["attempts"] != "0")
        return d

    def assert_calls_delivered(self, accepted, secret, cdr_ids):
        """Every call's three events arrived, signed, with sequence numbers in event order."""
        by_cdr = collections.defaultdict(dict)
        for event_id, copies in accepted.items():
            _, headers, body = copies[0]
            for _, other_headers, other_body in copies:
                self.assertTrue(signature_ok(secret, other_headers, other_body), event_id)
                self.assertEqual(json.loads(other_body)["data"], json.loads(body)["data"])
            doc = json.loads(body)
            self.assertEqual(doc["event_id"], event_id)
            self.assertEqual(doc["type"], headers["X-Callsight-Event-Type"])
            self.assertEqual(doc["sequence"], headers["X-Callsight-Sequence"])
            self.assertEqual(headers["Content-Type"], "application/json")
            by_cdr[doc["data"]["cdr_id"]][doc["type"]] = int(doc["sequence"])
        self.assertEqual(set(by_cdr), set(cdr_ids))
        for cdr_id, types in by_cdr.items():
            self.assertEqual(sorted(types), sorted(CALL_EVENTS), cdr_id)
            sequences = [types[t] for t in CALL_EVENTS]
            self.assertEqual(sequences, sorted(sequences), (cdr_id, types))
            self.assertEqual(len(set(sequences)), 3, (cdr_id, types))
            self.assertEqual(sequences[0], 1, (cdr_id, types))


class WebhookDeliveryTest(DeliveryTestCase):
    def test_every_call_event_arrives_once_signed_in_sequence(self):
        receiver = self.receiver(delay=0.2)  # slow: 200 ms per answer
        webhook_id, secret = self.subscribe(receiver.url)
        calls = [self.make_call() for _ in range(5)]
        accepted = receiver.wait_for_count(3 * len(calls))
        time.sleep(0.5)  # room for a duplicate to show up, were one sent
        accepted = receiver.accepted()
        self.assertEqual(len(accepted), 15)
        self.assertTrue(all(len(copies) == 1 for copies in accepted.values()), accepted)
        self.assert_calls_delivered(accepted, secret, [cdr for cdr, _ in calls])
        delivered = self.deliveries(webhook_id, state="delivered")
        self.assertEqual(len(delivered), 15)
        self.assertTrue(all(d["attempts"] == "1" and d["last_status"] == "200"
                            for d in delivered), delivered)
        # Latency: from the switch's route request to the answered event at the receiver.
        first_arrival = {}
        for copies in accepted.values():
            arrival, headers, body = copies[0]
            cdr = json.loads(body)["data"]["cdr_id"]
            first_arrival[cdr] = min(first_arrival.get(cdr, arrival), arrival)
        latencies = sorted(first_arrival[cdr] - started for cdr, started in calls)
        sender = sorted(int(d["last_latency_ms"]) for d in delivered)
        print("\nwebhook latency, call routed -> first event received: min %.0f ms, max %.0f ms;"
              " attempt latency at the sender (receiver sleeps 200 ms): %s ms"
              % (latencies[0] * 1000, latencies[-1] * 1000, sender), file=sys.stderr)

    def test_receiver_failing_at_first_gets_every_event_later(self):
        receiver = self.receiver(behaviour=lambda event_id, attempt: "ok" if attempt > 2 else
                                 "fail")
        webhook_id, secret = self.subscribe(receiver.url)
        cdr_id, _ = self.make_call()
        accepted = receiver.wait_for_count(3)
        self.assert_calls_delivered(accepted, secret, [cdr_id])
        self.assertTrue(all(n == 3 for n in receiver.attempts.values()), receiver.attempts)
        delivered = self.wait_for_deliveries(
            webhook_id, lambda ds: all(d["state"] == "delivered" for d in ds))
        self.assertEqual(len(delivered), 3)
        for d in delivered:
            self.assertEqual((d["attempts"], d["last_status"]), ("3", "200"), d)

    def test_timeout_is_a_failed_attempt_and_is_retried(self):
        receiver = self.receiver(behaviour=lambda event_id, attempt: "ok" if attempt > 1 else
                                 "hang")
        webhook_id, secret = self.subscribe(receiver.url, events=["call.completed"])
        cdr_id, _ = self.make_call()
        accepted = receiver.wait_for_count(1)
        self.assertEqual(len(accepted), 1)
        (event_id, copies), = accepted.items()
        self.assertTrue(signature_ok(secret, copies[0][1], copies[0][2]))
        self.assertEqual(receiver.attempts[event_id], 2)
        (d,) = self.wait_for_deliveries(
            webhook_id, lambda ds: len(ds) == 1 and ds[0]["state"] == "delivered")
        self.assertEqual((d["state"], d["attempts"]), ("delivered", "2"), d)


    def test_deliveries_to_one_receiver_share_kept_alive_connections(self):
        receiver = self.receiver()
        _, secret = self.subscribe(receiver.url)
        calls = [self.make_call() for _ in range(4)]
        receiver.wait_for_count(12)
        self.assert_calls_delivered(receiver.accepted(), secret, [cdr for cdr, _ in calls])
        # One connection per sending worker at most (4), not one per event (12).
        self.assertLessEqual(len(receiver.peers), 4, receiver.peers)

    def test_a_failing_receiver_holds_up_none_of_the_others(self):
        failing = self.receiver(behaviour=lambda event_id, attempt: "fail")
        working = self.receiver()
        failing_id, _ = self.subscribe(failing.url)
        working_id, secret = self.subscribe(working.url)
        calls = [self.make_call() for _ in range(3)]
        accepted = working.wait_for_count(9)
        time.sleep(0.5)  # room for a duplicate to show up, were one sent
        accepted = working.accepted()
        self.assertTrue(all(len(copies) == 1 for copies in accepted.values()), accepted)
        self.assert_calls_delivered(accepted, secret, [cdr for cdr, _ in calls])
        delivered = self.wait_for_deliveries(
            working_id, lambda ds: len(ds) == 9 and all(d["state"] == "delivered" for d in ds))
        self.assertEqual([d for d in delivered if d["state"] != "delivered"], [])
        pending = self.wait_for_deliveries(
            failing_id, lambda ds: len(ds) == 9 and all(d["attempts"] != "0" for d in ds))
        for d in pending:
            self.assertEqual((d["state"], d["last_status"]), ("pending", "500"), d)
        self.assertEqual(failing.accepted(), {})

    def test_sigkill_before_a_sent_delivery_is_recorded_resends_it_with_its_event_id(self):
        # The receiver takes each event, then answers after 0.8 s (within the 1 s timeout):
        # callsightd is killed meanwhile, so it never records what the receiver got.
        receiver = self.receiver(delay=0.8)
        webhook_id, secret = self.subscribe(receiver.url)
        cdr_id, _ = self.make_call()
        deadline = time.monotonic() + webhook_receiver.DELIVERY_TIMEOUT
        while not receiver.accepted() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.server.kill()  # SIGKILL
        got_before = receiver.accepted()
        self.assertTrue(got_before)
        receiver.delay = 0
        self.server.start()  # same database
        # Claims of the killed node come back after their lease (timeout + 5 s).
        delivered = self.wait_for_deliveries(
            webhook_id, lambda ds: len(ds) == 3 and all(d["state"] == "delivered" for d in ds))
        self.assertEqual([d["state"] for d in delivered], ["delivered"] * 3, delivered)
        accepted = receiver.accepted()
        self.assert_calls_delivered(accepted, secret, [cdr_id])
        for event_id, (first, *_) in got_before.items():
            copies = accepted[event_id]
            self.assertGreaterEqual(len(copies), 2, event_id)  # sent again, same event id
            for _, headers, body in copies:
                self.assertEqual(body, first[2])
                self.assertTrue(signature_ok(secret, headers, body))


class WebhookPrivateAddressTest(DeliveryTestCase):
    def test_loopback_target_is_refused_when_sending_without_the_flag(self):
        receiver = self.receiver()
        webhook_id, _ = self.subscribe(receiver.url, events=["call.started"])
        # The same database, now served without --webhooks-allow-private.
        self.server.stop()
        self.server.extra_args = ["--webhook-retry-base-seconds", "1"]
        try:
            self.server.start()
            self.make_call()
            d = self.first_attempt(webhook_id)
            self.assertEqual((d["state"], d["last_error"], d["last_status"]),
                             ("pending", "private_address", None), d)
            self.assertEqual(receiver.attempts, {})
        finally:
            self.server.stop()
            self.server.extra_args = list(FLAGS)
            self.server.start()


class WebhookTlsTest(DeliveryTestCase):
    """https receivers: verified against the system CAs plus --webhook-ca-file, by name."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.ca = tls_certs.make_ca(cls.certs.name, "trusted")
        cls.EXTRA_ARGS = FLAGS + ("--webhook-ca-file", cls.ca[0])
        super().setUpClass()

    def tls_receiver(self, ca, names):
        cert = tls_certs.issue(self.certs.name, "receiver-" + unique(), ca, names)
        return self.receiver(tls=cert)

    def test_receiver_with_a_certificate_from_the_trusted_ca_gets_the_event(self):
        receiver = self.tls_receiver(self.ca, ["IP:127.0.0.1"])
        self.assertTrue(receiver.url.startswith("https://"))
        webhook_id, secret = self.subscribe(receiver.url)
        cdr_id, _ = self.make_call()
        self.assert_calls_delivered(receiver.wait_for_count(3), secret, [cdr_id])
        ds = self.wait_for_deliveries(
            webhook_id, lambda ds: {d["state"] for d in ds} == {"delivered"})
        self.assertEqual([d["state"] for d in ds], ["delivered"] * 3)

    def assert_refused(self, receiver):
        webhook_id, _ = self.subscribe(receiver.url, events=["call.started"])
        self.make_call()
        d = self.first_attempt(webhook_id)
        self.assertEqual((d["state"], d["last_status"]), ("pending", None), d)
        self.assertIn("certificate", d["last_error"], d)
        self.assertEqual(receiver.accepted(), {})

    def test_certificate_from_an_unknown_ca_is_refused(self):
        other_ca = tls_certs.make_ca(self.certs.name, "other-" + unique())
        self.assert_refused(self.tls_receiver(other_ca, ["IP:127.0.0.1"]))

    def test_certificate_for_another_name_is_refused(self):
        self.assert_refused(self.tls_receiver(self.ca, ["DNS:hooks.example.com"]))


class WebhookCrashTest(DeliveryTestCase):
    def test_sigkill_with_deliveries_pending_loses_nothing(self):
        port = free_port()  # the receiver is down: nothing listens here yet
        url = "http://127.0.0.1:%d/hook" % port
        webhook_id, secret = self.subscribe(url)
        calls = [self.make_call() for _ in range(3)]
        deadline = time.monotonic() + webhook_receiver.DELIVERY_TIMEOUT
        while time.monotonic() < deadline:
            pending = self.deliveries(webhook_id, state="pending")
            if len(pending) == 9 and all(int(d["attempts"]) >= 1 for d in pending):
                break
            time.sleep(0.1)
        self.assertEqual(len(pending), 9, pending)
        self.assertTrue(all(d["last_error"] for d in pending), pending)

        self.server.kill()  # SIGKILL
        self.server.start()  # same database
        receiver = self.receiver(port=port)
        accepted = receiver.wait_for_count(9)
        time.sleep(0.5)
        accepted = receiver.accepted()
        self.assertEqual(len(accepted), 9)
        self.assert_calls_delivered(accepted, secret, [cdr for cdr, _ in calls])
        self.assertEqual(len(self.deliveries(webhook_id, state="delivered")), 9)
