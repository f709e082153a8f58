"""The /webhooks resource, GET /webhooks/deliveries, POST /webhooks/{id}/test and
GET /events as docs/webhooks.md describes them."""

import hashlib
import hmac
import http.server
import itertools
import json
import re
import threading
import time

from harness import ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

ALLOW_PRIVATE = "--webhooks-allow-private"
SWITCH_SECRET = "switch-secret-" + unique()
ALL_CALL_EVENTS = ["call.started", "call.answered", "call.completed", "call.updated"]
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
DELIVERY_TIMEOUT = 30.0
_call_ids = itertools.count(1)

WEBHOOK_FIELDS = ["webhook_id", "customer_id", "url", "events", "format", "template", "secret",
                  "failing", "created", "modified"]
EVENT_FIELDS = ["event_id", "type", "customer_id", "cdr_id", "source_id", "sequence", "created",
                "data"]
DELIVERY_FIELDS = ["delivery_id", "event_id", "webhook_id", "state", "attempts", "next_attempt",
                   "last_status", "last_latency_ms", "last_error", "delivered_at", "created"]


class Receiver:
    """A local HTTP endpoint that answers 200 and records every request it gets."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append((self.headers, body))  # names case-insensitive
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.httpd.server_address[1]

    def wait_for(self, event_id, timeout=DELIVERY_TIMEOUT):
        """The (headers, body) of the first request carrying this event id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for headers, body in self.requests:
                    if headers.get("X-Callsight-Event-Id") == event_id:
                        return headers, body
            time.sleep(0.05)
        raise AssertionError("event %s not delivered within %.0f s" % (event_id, timeout))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookTestCase(CustomerResourceMixin, ServerTestCase):
    """Partners alice and bob; helpers to create and read webhooks."""

    def create(self, s=None, **fields):
        fields.setdefault("url", "https://hooks.example.com/callsight")
        fields.setdefault("events", json.dumps(["call.completed"]))
        return self.call(s or self.alice, "POST", "/webhooks", data=fields)

    def created(self, s=None, **fields):
        return self.one(self.create(s, **fields), "webhooks")

    def get_one(self, webhook_id, s=None):
        return self.one(self.call(s or self.alice, "GET", "/webhooks/" + webhook_id), "webhooks")


class WebhooksApiTest(WebhookTestCase):
    EXTRA_ARGS = (ALLOW_PRIVATE,)
    SWITCH_SECRET = SWITCH_SECRET

    # -- the subscription's life ------------------------------------------------------------
    def test_post_answers_the_webhook_with_defaults(self):
        w = self.created(events=json.dumps(["call.completed", "call.answered"]))
        self.assertEqual(list(w), WEBHOOK_FIELDS)
        self.assert_scalars_are_strings({k: v for k, v in w.items() if k != "events"},
                                        nullable=("customer_id", "template"))
        self.assertEqual(w["url"], "https://hooks.example.com/callsight")
        self.assertEqual(w["events"], ["call.completed", "call.answered"])
        self.assertEqual(w["format"], "json")
        self.assertIsNone(w["template"])
        self.assertIsNone(w["customer_id"])
        self.assertEqual(w["failing"], "0")
        self.assertRegex(w["created"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

    def test_secret_is_generated_and_shown_only_by_the_post(self):
        w = self.created()
        self.assertRegex(w["secret"], HEX64_RE)
        self.assertIsNone(self.get_one(w["webhook_id"])["secret"])
        listed = self.ok(self.call(self.alice, "GET", "/webhooks"), "webhooks")
        self.assertTrue(all(item["secret"] is None for item in listed), listed)
        put = self.call(self.alice, "PUT", "/webhooks/" + w["webhook_id"], data={"format": "form"})
        self.assertIsNone(self.one(put, "webhooks")["secret"])

    def test_given_secret_is_kept_and_echoed_once(self):
        secret = "s3cret-" + "x" * 20
        w = self.created(secret=secret)
        self.assertEqual(w["secret"], secret)
        self.assertIsNone(self.get_one(w["webhook_id"])["secret"])

    def test_generated_secrets_differ(self):
        self.assertNotEqual(self.created()["secret"], self.created()["secret"])

    def test_get_by_path_or_parameter_and_list(self):
        first, second = self.created(), self.created()
        by_param = self.one(self.call(self.alice, "GET", "/webhooks",
                                      params={"webhook_id": first["webhook_id"]}), "webhooks")
        self.assertEqual(by_param["webhook_id"], first["webhook_id"])
        self.assertEqual(self.get_one(second["webhook_id"])["url"], second["url"])
        resp = self.call(self.alice, "GET", "/webhooks")
        ids = [w["webhook_id"] for w in self.ok(resp, "webhooks")]
        self.assertIn(first["webhook_id"], ids)
        self.assertIn(second["webhook_id"], ids)
        self.assertEqual(resp.json()["total"], str(len(ids)))

    def test_unknown_id_is_404(self):
        for method in ("GET", "PUT", "DELETE"):
            resp = self.call(self.alice, method, "/webhooks/999999999")
            self.assert_error(resp, 404, "not_found", "webhook_id")
        self.assert_error(self.call(self.alice, "POST", "/webhooks/999999999/test"), 404,
                          "not_found", "webhook_id")

    def test_put_changes_only_what_is_given(self):
        cid = self.customer()
        w = self.created(template='{"n":"{bnum}"}')
        put = self.call(self.alice, "PUT", "/webhooks/" + w["webhook_id"],
                        data={"events": json.dumps(["source.created", "source.status_changed"]),
                              "format": "form", "customer_id": cid})
        changed = self.one(put, "webhooks")
        self.assertEqual(changed["events"], ["source.created", "source.status_changed"])
        self.assertEqual(changed["format"], "form")
        self.assertEqual(changed["customer_id"], cid)
        self.assertEqual(changed["url"], w["url"])
        self.assertEqual(changed["template"], '{"n":"{bnum}"}')
        self.assertEqual(self.get_one(w["webhook_id"]), changed)

    def test_put_with_empty_values_clears_template_and_customer(self):
        w = self.created(customer_id=self.customer(), template="a={anum}")
        put = self.call(self.alice, "PUT", "/webhooks", data={
            "webhook_id": w["webhook_id"], "template": "", "customer_id": ""})
        cleared = self.one(put, "webhooks")
        self.assertIsNone(cleared["template"])
        self.assertIsNone(cleared["customer_id"])

    def test_put_validates_like_post(self):
        w = self.created()
        resp = self.call(self.alice, "PUT", "/webhooks/" + w["webhook_id"],
                         data={"url": "ftp://x.example.com/", "events": "[]", "colour": "red"})
        errors = self.assert_error(resp, 400)
        self.assertEqual({(e["code"], e["field"]) for e in errors},
                         {("invalid", "url"), ("invalid", "events"),
                          ("unknown_parameter", "colour")})
        self.assertEqual(self.get_one(w["webhook_id"])["url"], w["url"])

    def test_delete_answers_the_webhook_and_removes_it(self):
        w = self.created()
        deleted = self.one(self.call(self.alice, "DELETE", "/webhooks/" + w["webhook_id"]),
                           "webhooks")
        self.assertEqual(deleted["webhook_id"], w["webhook_id"])
        self.assertIsNone(deleted["secret"])
        self.assert_error(self.call(self.alice, "GET", "/webhooks/" + w["webhook_id"]), 404,
                          "not_found", "webhook_id")
        self.assert_error(self.call(self.alice, "DELETE", "/webhooks",
                                    params={"webhook_id": w["webhook_id"]}),
                          404, "not_found", "webhook_id")

    def test_webhook_for_one_customer(self):
        cid = self.customer()
        self.assertEqual(self.created(customer_id=cid)["customer_id"], cid)

    def test_loopback_target_is_accepted_with_the_operator_flag(self):
        self.assertEqual(self.created(url="http://127.0.0.1:9/x")["url"], "http://127.0.0.1:9/x")

    # -- validation -------------------------------------------------------------------------
    def test_post_without_mandatory_fields_names_both(self):
        resp = self.call(self.alice, "POST", "/webhooks", data={"format": "json"})
        errors = self.assert_error(resp, 400)
        self.assertEqual({(e["code"], e["field"]) for e in errors},
                         {("missing", "url"), ("missing", "events")})

    def test_bad_urls_are_400_on_url(self):
        for url in ("ftp://example.com/x", "example.com/x", "http://", "http:///path",
                    "https://exa mple.com/", "http://example.com:0/", "http://example.com:99999/",
                    "http://example.com:port/", "http://[::1/", "javascript:alert(1)",
                    "https://" + "a" * 1990 + ".com/"):
            with self.subTest(url=url):
                resp = self.create(url=url)
                self.assert_error(resp, 400, None, "url")
                code = resp.json()["errors"][0]["code"]
                self.assertIn(code, ("invalid", "too_long"))

    def test_good_urls_are_accepted(self):
        for url in ("http://example.com", "HTTPS://Example.COM:8443/a/b?c=d#e",
                    "https://user:pw@example.com/hook", "http://[2001:db8::1]:8080/",
                    "https://93.184.216.34/"):
            with self.subTest(url=url):
                self.assertEqual(self.created(url=url)["url"], url)

    def test_bad_events_are_400_on_events(self):
        for events in ("call.completed", "[]", "{}", '["call.exploded"]', "[1]",
                       '["call.completed", null]', "not json"):
            with self.subTest(events=events):
                self.assert_error(self.create(events=events), 400, "invalid", "events")

    def test_every_event_type_is_accepted_and_repeats_are_dropped(self):
        types = ALL_CALL_EVENTS + ["source.created", "source.status_changed"]
        w = self.created(events=json.dumps(types + ["call.started"]))
        self.assertEqual(w["events"], types)

    def test_format_must_be_json_or_form(self):
        self.assertEqual(self.created(format="form")["format"], "form")
        self.assert_error(self.create(format="xml"), 400, "invalid", "format")

    def test_template_length(self):
        self.assertEqual(len(self.created(template="x" * 10000)["template"]), 10000)
        self.assert_error(self.create(template="x" * 10001), 400, "too_long", "template")

    def test_secret_length(self):
        self.assertEqual(len(self.created(secret="k" * 16)["secret"]), 16)
        self.assertEqual(len(self.created(secret="k" * 200)["secret"]), 200)
        self.assert_error(self.create(secret="k" * 15), 400, "invalid", "secret")
        self.assert_error(self.create(secret="k" * 201), 400, "too_long", "secret")

    def test_unknown_parameter_and_webhook_id_on_post(self):
        self.assert_error(self.create(colour="red"), 400, "unknown_parameter", "colour")
        self.assert_error(self.create(webhook_id="5"), 400, "invalid", "webhook_id")

    def test_customer_id_must_be_an_own_customer(self):
        self.assert_error(self.create(customer_id="abc"), 400, "invalid", "customer_id")
        bobs = self.customer(self.bob)
        self.assert_error(self.create(customer_id=bobs), 404, "not_found", "customer_id")
        w = self.created()
        resp = self.call(self.alice, "PUT", "/webhooks/" + w["webhook_id"],
                         data={"customer_id": bobs})
        self.assert_error(resp, 404, "not_found", "customer_id")
        self.assertIsNone(self.get_one(w["webhook_id"])["customer_id"])

    def test_methods_not_served(self):
        self.assertEqual(self.call(self.alice, "POST", "/webhooks/1").status_code, 405)
        self.assertEqual(self.call(self.alice, "GET", "/webhooks/1/test").status_code, 405)
        self.assertEqual(self.call(self.alice, "POST", "/webhooks/deliveries").status_code, 405)
        self.assertEqual(self.call(self.alice, "POST", "/events").status_code, 405)

    # -- partner isolation ------------------------------------------------------------------
    def test_another_partners_webhook_is_404_everywhere(self):
        w = self.created(secret="alice-secret-0123456789")
        wid = w["webhook_id"]
        for method, path, data in (("GET", "/webhooks/" + wid, None),
                                   ("PUT", "/webhooks/" + wid, {"format": "form"}),
                                   ("DELETE", "/webhooks/" + wid, None),
                                   ("POST", "/webhooks/%s/test" % wid, None),
                                   ("GET", "/webhooks/deliveries?webhook_id=" + wid, None)):
            with self.subTest(method=method, path=path):
                self.assert_error(self.call(self.bob, method, path, data=data), 404,
                                  "not_found", "webhook_id")
        listed = self.ok(self.call(self.bob, "GET", "/webhooks"), "webhooks")
        self.assertNotIn(wid, [item["webhook_id"] for item in listed])
        self.assertEqual(self.get_one(wid)["format"], "json")  # bob's PUT changed nothing

    # -- test event and deliveries ----------------------------------------------------------
    def receiver(self):
        receiver = Receiver()
        self.addCleanup(receiver.close)
        return receiver

    def deliveries(self, s=None, **params):
        return self.ok(self.call(s or self.alice, "GET", "/webhooks/deliveries", params=params),
                       "deliveries")

    def test_test_event_is_listed_delivered_and_signed(self):
        receiver = self.receiver()
        w = self.created(url=receiver.url)
        event = self.one(self.call(self.alice, "POST", "/webhooks/%s/test" % w["webhook_id"]),
                         "events")
        self.assertEqual(list(event), EVENT_FIELDS)
        listed = self.deliveries(event_id=event["event_id"])
        self.assertEqual(len(listed), 1, listed)
        self.assertEqual(list(listed[0]), DELIVERY_FIELDS)
        self.assertEqual(listed[0]["webhook_id"], w["webhook_id"])
        self.assertIn(listed[0]["state"], ("pending", "delivered"))

        headers, body = receiver.wait_for(event["event_id"])
        self.assertEqual(headers["X-Callsight-Event-Type"], event["type"])
        self.assertEqual(headers["X-Callsight-Sequence"], event["sequence"])
        timestamp = headers["X-Callsight-Timestamp"]
        self.assertLess(abs(int(timestamp) - time.time()), 300)
        expected = hmac.new(w["secret"].encode(), timestamp.encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Callsight-Signature"], "sha256=" + expected)
        sent = json.loads(body)
        self.assertEqual(str(sent["event_id"]), event["event_id"])
        self.assertEqual(sent["type"], event["type"])

        delivered = self.wait_for_state(event["event_id"], "delivered")
        self.assertEqual(delivered["last_status"], "200")
        self.assertEqual(delivered["attempts"], "1")
        self.assertIsNotNone(delivered["delivered_at"])
        self.assertIsNotNone(delivered["last_latency_ms"])
        by_state = self.deliveries(webhook_id=w["webhook_id"], state="delivered")
        self.assertIn(delivered["delivery_id"], [d["delivery_id"] for d in by_state])
        self.assertEqual(self.deliveries(webhook_id=w["webhook_id"], state="dead"), [])

    def wait_for_state(self, event_id, state, timeout=DELIVERY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            (delivery,) = self.deliveries(event_id=event_id)
            if delivery["state"] == state or time.monotonic() > deadline:
                self.assertEqual(delivery["state"], state, delivery)
                return delivery
            time.sleep(0.1)

    def test_test_endpoint_by_parameter(self):
        w = self.created()
        resp = self.call(self.alice, "POST", "/webhooks/test",
                         data={"webhook_id": w["webhook_id"]})
        event = self.one(resp, "events")
        (delivery,) = self.deliveries(event_id=event["event_id"])
        self.assertEqual(delivery["webhook_id"], w["webhook_id"])

    def test_deliveries_are_the_partners_own(self):
        w = self.created()
        event = self.one(self.call(self.alice, "POST", "/webhooks/%s/test" % w["webhook_id"]),
                         "events")
        self.assertEqual(self.deliveries(self.bob, event_id=event["event_id"]), [])

    def test_deliveries_filters_are_validated(self):
        for params, field in (({"state": "lost"}, "state"), ({"webhook_id": "x"}, "webhook_id"),
                              ({"event_id": "0"}, "event_id"), ({"pagesize": "0"}, "pagesize")):
            with self.subTest(params=params):
                resp = self.call(self.alice, "GET", "/webhooks/deliveries", params=params)
                self.assert_error(resp, 400, "invalid", field)

    # -- events -----------------------------------------------------------------------------
    def events(self, s=None, **params):
        resp = self.call(s or self.alice, "GET", "/events", params=params)
        self.assertEqual(resp.status_code, 200, resp.text)
        return self.json_of(resp)["events"]

    def last_event_id(self, s=None):
        """The newest event id of the partner, or 0."""
        after = 0
        while True:
            page = self.events(s, after=after, limit=1000)
            if not page:
                return after
            after = int(page[-1]["event_id"])

    def switch_call(self, number):
        """A call to `number` through the switch API: answered after 3 s, 42 s talk."""
        cid = "bb-wh-%s-%d" % (unique(), next(_call_ids))
        t = 1_800_000_000
        resp = self.switch_post("/switch/route", {"call_id": cid, "caller": "+46701111111",
                                                  "dialled": number})
        self.assertEqual(resp.status_code, 200, resp.text)
        cdr_id = resp.json()["cdr_id"]
        for body in ({"event": "ringing", "at": t + 1, "sip_status": "180"},
                     {"event": "answered", "at": t + 3, "sip_status": "200",
                      "answering_number": "+46890510"},
                     {"event": "hangup", "at": t + 45, "sip_status": "200",
                      "hangup_by": "callee"}):
            resp = self.switch_post("/switch/events", dict(body, call_id=cid))
            self.assertEqual(resp.status_code, 200, resp.text)
        return cdr_id

    def test_events_after_a_switch_call_replay_it_in_order(self):
        cid = self.customer()
        self.created(customer_id=cid, events=json.dumps(ALL_CALL_EVENTS))
        source = self.one(self.source(cid), "sources")
        before = self.last_event_id()
        cdr_id = self.switch_call(source["destnr"])

        events = [e for e in self.events(after=before) if e["cdr_id"] == cdr_id]
        self.assertTrue(events)
        for e in events:
            self.assertEqual(list(e), EVENT_FIELDS)
            self.assertEqual(e["customer_id"], cid)
            self.assertEqual(e["source_id"], source["source_id"])
            self.assertEqual(e["data"]["cdr_id"], cdr_id)
            self.assertEqual(e["data"]["bnum"], source["destnr"])
            self.assertEqual(e["data"]["anum"], "+46701111xxx")
        types = [e["type"] for e in events]
        for wanted in ("call.started", "call.answered", "call.completed"):
            self.assertIn(wanted, types)
        self.assertLess(types.index("call.started"), types.index("call.answered"))
        self.assertLess(types.index("call.answered"), types.index("call.completed"))
        sequences = [int(e["sequence"]) for e in events]
        self.assertEqual(sequences, list(range(1, len(events) + 1)))
        ids = [int(e["event_id"]) for e in events]
        self.assertEqual(ids, sorted(ids))
        completed = events[types.index("call.completed")]["data"]
        self.assertEqual(completed["answered"], "1")
        self.assertEqual(completed["duration"], "42")
        self.assertEqual(completed["status"], "answered")

        # Replay from the middle: exactly the events after the given one.
        rest = self.events(after=events[0]["event_id"])
        self.assertEqual([e["event_id"] for e in rest if e["cdr_id"] == cdr_id],
                         [e["event_id"] for e in events[1:]])
        self.assertEqual(len(self.events(after=before, limit=1)), 1)
        # Bob sees none of alice's events.
        self.assertNotIn(cdr_id, [e["cdr_id"] for e in self.events(self.bob, limit=1000)])

    def test_events_parameters(self):
        self.assertIsInstance(self.events(), list)
        self.assertIsInstance(self.events(limit=5000), list)  # capped, not refused
        for params, field in (({"after": "-1"}, "after"), ({"after": "x"}, "after"),
                              ({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit")):
            with self.subTest(params=params):
                resp = self.call(self.alice, "GET", "/events", params=params)
                self.assert_error(resp, 400, "invalid", field)

    def test_after_must_be_one_of_the_partners_own_events(self):
        self.source(self.customer())  # writes a source.created event
        alices_last = self.last_event_id()
        self.assertGreater(alices_last, 0)
        for session, after in ((self.bob, alices_last), (self.alice, alices_last + 10**9)):
            with self.subTest(after=after):
                resp = self.call(session, "GET", "/events", params={"after": str(after)})
                self.assert_error(resp, 400, "invalid", "after")


class PrivateTargetsRefusedTest(WebhookTestCase):
    """Without --webhooks-allow-private, no literal private address nor localhost is a target."""

    def test_private_and_loopback_targets_are_refused(self):
        for url in ("http://127.0.0.1:8080/hook", "http://127.8.9.10/", "https://10.1.2.3/",
                    "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/",
                    "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/",
                    "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[fe80::1]/",
                    "http://[::ffff:127.0.0.1]/", "http://localhost:8080/",
                    "http://LOCALHOST./", "http://api.localhost/", "http://0.0.0.0/",
                    "http://user@127.0.0.1/"):
            with self.subTest(url=url):
                self.assert_error(self.create(url=url), 400, "private_address", "url")

    def test_numeric_spellings_of_addresses_are_invalid(self):
        for url in ("http://2130706433/", "http://127.1/", "http://0x7f.0.0.1/",
                    "http://017700000001/"):
            with self.subTest(url=url):
                self.assert_error(self.create(url=url), 400, "invalid", "url")

    def test_public_targets_and_names_are_accepted(self):
        for url in ("https://172.32.0.1/", "http://192.169.0.1/", "https://8.8.8.8/",
                    "http://[2001:db8::1]/", "https://hooks.example.com/",
                    "https://10.example.com/", "https://365.de/", "https://localhost.example/"):
            with self.subTest(url=url):
                self.assertEqual(self.created(url=url)["url"], url)

    def test_put_is_checked_too(self):
        w = self.created()
        resp = self.call(self.alice, "PUT", "/webhooks/" + w["webhook_id"],
                         data={"url": "http://192.168.0.10/"})
        self.assert_error(resp, 400, "private_address", "url")
