"""Observability (docs/observability.md): GET /metrics in the Prometheus text format with
counters that move by exactly what was asked of the server, /metrics only for allowed clients,
/healthz and /readyz without authentication (503 when the database is gone or at another
schema version), and one logfmt access log line per request that never shows a secret."""

import base64
import math
import os
import re
import sqlite3
import time
import urllib.parse

import requests

from harness import HTTP_TIMEOUT, Server, ServerTestCase, _psql, testing_postgres, unique
from resource_helpers import CustomerResourceMixin
from webhook_receiver import Receiver, free_port

SWITCH_SECRET = "switch-secret-" + unique()
PING = "/miscellaneous/ping"
POLL_TIMEOUT = 30.0

# -- a tiny parser for the text exposition format 0.0.4 ---------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE_RE = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)$" % _NAME)
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def _unescape(value):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        match = _LABEL_RE.match(text, pos)
        if not match:
            raise AssertionError("bad labels: %r" % text)
        labels[match.group(1)] = _unescape(match.group(2))
        pos = match.end()
    return labels


class Metrics:
    """A parsed scrape: the TYPE of each family and every sample's value."""

    def __init__(self, text):
        self.types, self.helps, self.samples = {}, {}, {}
        for line in text.splitlines():
            if line.startswith("# HELP "):
                name, _, help_text = line[7:].partition(" ")
                self.helps[name] = help_text
            elif line.startswith("# TYPE "):
                name, _, kind = line[7:].partition(" ")
                if name in self.types:
                    raise AssertionError("two TYPE lines for %s" % name)
                if kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise AssertionError("unknown type in %r" % line)
                self.types[name] = kind
            else:
                match = _SAMPLE_RE.match(line)
                if not match:
                    raise AssertionError("not a sample line: %r" % line)
                name, labels = match.group(1), parse_labels(match.group(2) or "")
                if self.family_of(name) not in self.types:
                    raise AssertionError("sample before its TYPE: %r" % line)
                key = (name, frozenset(labels.items()))
                if key in self.samples:
                    raise AssertionError("duplicate series: %r" % line)
                self.samples[key] = float(match.group(3))

    def family_of(self, name):
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and self.types.get(base) == "histogram":
                return base
        return name

    def value(self, name, **labels):
        """The sample's value; 0 for a series not (yet) there, as a counter would be."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def series(self, name):
        return [(dict(labels), value) for (n, labels), value in self.samples.items() if n == name]


# -- logfmt ---------------------------------------------------------------------------

_LOGFMT_RE = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line):
    fields = {}
    for key, value in _LOGFMT_RE.findall(line):
        fields[key] = _unescape(value[1:-1]) if value.startswith('"') else value
    return fields


def access_lines(stderr):
    return [parse_logfmt(line) for line in stderr.splitlines() if " request_id=" in line]


class MetricsTestCase(ServerTestCase):
    def scrape(self, url=None):
        resp = requests.get(url or self.url("/metrics"), timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 200, resp.text[:300])
        self.assertEqual(resp.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        return Metrics(resp.text)

    def wait_for_metric(self, predicate, what):
        deadline = time.monotonic() + POLL_TIMEOUT
        while time.monotonic() < deadline:
            metrics = self.scrape()
            if predicate(metrics):
                return metrics
            time.sleep(0.1)
        self.fail("metrics never showed %s:\n%s" % (what, requests.get(self.url("/metrics")).text))


class ObservabilityTest(CustomerResourceMixin, MetricsTestCase):
    SWITCH_SECRET = SWITCH_SECRET
    # With CPU slots, so their families are there (they are off by default).
    EXTRA_ARGS = ("--webhooks-allow-private", "--webhook-retry-base-seconds", "1",
                  "--webhook-timeout-ms", "1000", "--cpu-slots", "auto")

    def requests_total(self, metrics, route=PING, status="200", method="GET",
                       listener="partner"):
        return metrics.value("callsight_http_requests_total", listener=listener, route=route,
                             method=method, status=status)

    def test_metrics_are_prometheus_text_with_the_documented_families(self):
        metrics = self.scrape()
        for name, kind in [("callsight_http_requests_total", "counter"),
                           ("callsight_http_request_duration_seconds", "histogram"),
                           ("callsight_call_routes_total", "counter"),
                           ("callsight_call_events_total", "counter"),
                           ("callsight_calls_ended_total", "counter"),
                           ("callsight_callback_dials_total", "counter"),
                           ("callsight_webhook_attempts_total", "counter"),
                           ("callsight_webhook_dead_letters_total", "counter"),
                           ("callsight_webhook_attempt_duration_seconds", "histogram"),
                           ("callsight_webhook_outbox_deliveries", "gauge"),
                           ("callsight_db_pool_size", "gauge"),
                           ("callsight_db_pool_open_connections", "gauge"),
                           ("callsight_db_pool_in_use_connections", "gauge"),
                           ("callsight_db_pool_waits_total", "counter"),
                           ("callsight_db_pool_wait_seconds_total", "counter"),
                           ("callsight_db_pool_timeouts_total", "counter"),
                           ("callsight_db_checkpoints_total", "counter"),
                           ("callsight_db_checkpoint_failures_total", "counter"),
                           ("callsight_cpu_slots", "gauge"),
                           ("callsight_cpu_slot_queued", "gauge"),
                           ("callsight_cpu_slot_waits_total", "counter"),
                           ("callsight_cpu_slot_wait_seconds_total", "counter"),
                           ("callsight_cpu_slot_sleeps_total", "counter"),
                           ("callsight_cpu_slot_overruns_total", "counter"),
                           ("callsight_build_info", "gauge"),
                           ("process_start_time_seconds", "gauge")]:
            self.assertEqual(metrics.types.get(name), kind, name)
            self.assertTrue(metrics.helps.get(name), name)
        for name, kind in metrics.types.items():
            if kind == "counter":
                self.assertTrue(name.endswith("_total"), name)
        self.assertEqual(metrics.series("callsight_build_info")[0][1], 1)
        started = metrics.value("process_start_time_seconds")
        self.assertLessEqual(abs(started - time.time()), 600)
        self.assertGreaterEqual(metrics.value("callsight_db_pool_size"), 1)
        self.assertGreaterEqual(metrics.value("callsight_db_pool_open_connections"), 1)
        # One slot per core this server may run on (os.sched_getaffinity, as callsightd reads it).
        self.assertEqual(metrics.value("callsight_cpu_slots"), len(os.sched_getaffinity(0)))

    def test_three_pings_count_three_under_the_route_pattern_and_a_401_under_401(self):
        s = self.session("alice", digest=False)
        before = self.scrape()
        for target in (PING, "/2.4.9" + PING, PING + "?secret=x"):
            self.assertEqual(self.call(s, "GET", target).status_code, 200)
        bad = requests.get(self.url(PING), auth=("alice", "wrong"), timeout=HTTP_TIMEOUT)
        self.assertEqual(bad.status_code, 401)
        after = self.scrape()
        self.assertEqual(self.requests_total(after) - self.requests_total(before), 3)
        self.assertEqual(self.requests_total(after, status="401") -
                         self.requests_total(before, status="401"), 1)
        count = "callsight_http_request_duration_seconds_count"
        self.assertEqual(after.value(count, listener="partner", route=PING) -
                         before.value(count, listener="partner", route=PING), 4)

    def test_ids_queries_and_unknown_paths_never_become_label_values(self):
        s = self.session("alice", digest=False)
        cid = self.customer(s)
        before = self.scrape()
        self.ok(self.call(s, "GET", "/customers/%s" % cid), "customers")
        self.assertEqual(self.call(s, "GET", "/no/such/path/424242").status_code, 404)
        self.assertEqual(self.call(s, "BREW", PING).status_code, 405)
        after = self.scrape()
        route = "/customers/{customer_id}"
        self.assertEqual(self.requests_total(after, route=route) -
                         self.requests_total(before, route=route), 1)
        self.assertEqual(self.requests_total(after, route="other", status="404") -
                         self.requests_total(before, route="other", status="404"), 1)
        self.assertEqual(self.requests_total(after, method="other", status="405") -
                         self.requests_total(before, method="other", status="405"), 1)
        routes = {dict(labels)["route"] for (_, labels) in after.samples if
                  "route" in dict(labels)}
        self.assertIn(route, routes)
        for value in routes:
            self.assertTrue(value == "other" or value.startswith("/"), value)
            self.assertNotIn("?", value)
            self.assertFalse(any(part.isdigit() for part in value.split("/")), value)

    def test_answers_given_after_their_commit_are_counted_and_logged_under_their_route(self):
        # POST /customers is answered from the thread that committed it, after the handler
        # returned: its metrics and access log line must still name its route and partner.
        s = self.session("alice", digest=False)
        custnr = "obs-later-" + unique()
        before = self.scrape()
        created = self.call(s, "POST", "/customers", data={"name": "Later", "custnr": custnr})
        self.assertEqual(created.status_code, 200, created.text)
        refused = self.call(s, "POST", "/customers", data={"name": "Twice", "custnr": custnr})
        self.assertEqual(refused.status_code, 409, refused.text)
        self.assertEqual(refused.json()["errors"][0]["field"], "custnr")
        after = self.scrape()
        for status in ("200", "409"):
            self.assertEqual(
                self.requests_total(after, route="/customers", method="POST", status=status) -
                self.requests_total(before, route="/customers", method="POST", status=status), 1)
        for resp in (created, refused):
            lines = [f for f in access_lines(self.server.stderr())
                     if f.get("request_id") == resp.headers["X-Request-Id"]]
            self.assertEqual(len(lines), 1)
            self.assertEqual(lines[0]["route"], "/customers")
            self.assertEqual(lines[0]["partner"], str(self.partner_ids["alice"]))
            self.assertEqual(lines[0]["status"], str(resp.status_code))

    def test_histogram_buckets_are_cumulative_and_end_in_the_count(self):
        s = self.session("alice", digest=False)
        for _ in range(3):
            self.call(s, "GET", PING)
        metrics = self.scrape()
        checked = 0
        for name, kind in metrics.types.items():
            if kind != "histogram":
                continue
            by_series = {}
            for labels, value in metrics.series(name + "_bucket"):
                le = labels.pop("le")
                by_series.setdefault(frozenset(labels.items()), []).append(
                    (math.inf if le == "+Inf" else float(le), value))
            for key, buckets in by_series.items():
                buckets.sort()
                counts = [v for _, v in buckets]
                self.assertEqual(counts, sorted(counts), (name, key))
                self.assertEqual(buckets[-1][0], math.inf)
                self.assertEqual(metrics.samples[(name + "_count", key)], counts[-1])
                self.assertIn((name + "_sum", key), metrics.samples)
                checked += 1
        self.assertGreater(checked, 0)

    def test_a_routed_call_moves_the_call_counters(self):
        source = self.one(self.source(self.customer()), "sources")
        call_id = "obs-" + unique()
        before = self.scrape()
        resp = self.switch_post("/switch/route", {"call_id": call_id, "caller": "+46701111111",
                                                  "dialled": source["destnr"]})
        self.assertEqual(resp.json()["action"], "forward", resp.text)
        self.switch_post("/switch/route", {"call_id": call_id, "caller": "+46701111111",
                                           "dialled": source["destnr"]})  # asked again
        unknown = self.switch_post("/switch/route", {"call_id": "obs-" + unique(),
                                                     "caller": "+46701111111",
                                                     "dialled": "+46999999999"})
        self.assertEqual(unknown.json()["action"], "reject", unknown.text)
        t = int(time.time())
        for name, at in [("answered", t + 2), ("hangup", t + 30), ("hangup", t + 30)]:
            resp = self.switch_post("/switch/events", {"call_id": call_id, "event": name,
                                                       "at": at, "sip_status": "200"})
            self.assertEqual(resp.status_code, 200, resp.text)
        after = self.scrape()

        def moved(name, **labels):
            return after.value(name, **labels) - before.value(name, **labels)

        self.assertEqual(moved("callsight_call_routes_total", decision="forward"), 1)
        self.assertEqual(moved("callsight_call_routes_total", decision="not_found"), 1)
        self.assertEqual(moved("callsight_call_events_total", event="answered"), 1)
        self.assertEqual(moved("callsight_call_events_total", event="hangup"), 2)
        self.assertEqual(moved("callsight_calls_ended_total", direction="inbound",
                               status="answered"), 1)
        self.assertEqual(moved("callsight_http_requests_total", listener="switch",
                               route="/switch/route", method="POST", status="200"), 3)
        self.assertEqual(moved("callsight_http_requests_total", listener="switch",
                               route="/switch/events", method="POST", status="200"), 3)

    def test_webhook_deliveries_move_the_outbox_and_attempt_metrics(self):
        cid = self.customer()
        source = self.one(self.source(cid), "sources")
        receiver = Receiver()
        self.addCleanup(receiver.close)
        dead_port = free_port()  # nothing listens: every attempt fails and is retried
        hooks = []
        for url in (receiver.url, "http://127.0.0.1:%d/hook" % dead_port):
            resp = self.call(self.alice, "POST", "/webhooks",
                             data={"url": url, "events": '["call.started"]',
                                   "secret": "whsec-" + unique() + "-0123456789",
                                   "customer_id": cid})
            hooks.append(self.one(resp, "webhooks")["webhook_id"])
        before = self.scrape()
        self.switch_post("/switch/route", {"call_id": "obs-" + unique(), "caller": "+46701111111",
                                           "dialled": source["destnr"]})
        receiver.wait_for_count(1)
        attempts = "callsight_webhook_attempts_total"
        after = self.wait_for_metric(
            lambda m: (m.value(attempts, result="delivered") -
                       before.value(attempts, result="delivered") == 1 and
                       m.value(attempts, result="failed") > before.value(attempts, result="failed")),
            "one delivered and a failed attempt")
        depth = "callsight_webhook_outbox_deliveries"
        self.assertEqual(after.value(depth, state="pending"), 1)  # the failing one, retrying
        self.assertEqual(after.value(depth, state="dead"), 0)
        self.assertEqual(after.value("callsight_webhook_attempt_duration_seconds_count") -
                         before.value("callsight_webhook_attempt_duration_seconds_count"),
                         after.value(attempts, result="delivered") +
                         after.value(attempts, result="failed") -
                         before.value(attempts, result="delivered") -
                         before.value(attempts, result="failed"))
        # Removing the failing subscription takes its delivery out of the outbox.
        self.assertEqual(self.call(self.alice, "DELETE", "/webhooks/%s" % hooks[1]).status_code,
                         200)
        self.wait_for_metric(lambda m: m.value(depth, state="pending") == 0, "an empty outbox")

    def test_metrics_are_refused_through_a_proxy_and_on_the_switch_port_too(self):
        resp = requests.get(self.url("/metrics"), headers={"X-Forwarded-For": "203.0.113.9"},
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 404)
        self.assertNotIn("callsight_", resp.text)
        switch = self.scrape(self.server.switch_url("/metrics"))
        self.assertIn("callsight_http_requests_total", switch.types)

    def test_health_endpoints_answer_without_authentication_on_both_listeners(self):
        for url in (self.url, self.server.switch_url):
            health = requests.get(url("/healthz"), timeout=HTTP_TIMEOUT)
            self.assertEqual((health.status_code, health.json()), (200, {"status": "ok"}))
            ready = requests.get(url("/readyz"), timeout=HTTP_TIMEOUT)
            self.assertEqual((ready.status_code, ready.json()), (200, {"status": "ready"}))
            self.assertLess(len(ready.content), 100)
        self.assertEqual(requests.post(self.url("/healthz"), timeout=HTTP_TIMEOUT).status_code,
                         405)

    def test_access_log_line_has_the_fields_and_no_secret(self):
        password = self.passwords["alice"]
        s = self.session("alice", digest=False)
        resp = self.call(s, "GET", PING + "?token=query-secret-value")
        self.assertEqual(resp.status_code, 200)
        request_id = resp.headers["X-Request-Id"]
        hook_secret = "whsec-" + unique() + "-logged-never"
        hook = self.one(self.call(self.bob, "POST", "/webhooks",
                                  data={"url": "https://example.com/h",
                                        "events": '["source.created"]', "secret": hook_secret}),
                        "webhooks")
        self.call(self.bob, "DELETE", "/webhooks/%s" % hook["webhook_id"])
        self.switch_post("/switch/route", {"call_id": "obs-" + unique(), "caller": "1",
                                           "dialled": "2"})
        stderr = self.server.stderr()
        lines = [f for f in access_lines(stderr) if f.get("request_id") == request_id]
        self.assertEqual(len(lines), 1, stderr[-2000:])
        line = lines[0]
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(line["listener"], "partner")
        self.assertEqual(line["remote"], "127.0.0.1")
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["route"], PING)
        self.assertEqual(line["path"], PING)
        self.assertEqual(line["status"], "200")
        self.assertEqual(int(line["bytes"]), len(resp.content))
        self.assertGreaterEqual(float(line["duration_ms"]), 0)
        self.assertEqual(line["partner"], str(self.partner_ids["alice"]))
        switch_lines = [f for f in access_lines(stderr) if f.get("listener") == "switch"]
        self.assertTrue(switch_lines)
        self.assertNotIn("partner", switch_lines[-1])
        basic = base64.b64encode(("alice:" + password).encode()).decode()
        for secret in (password, basic, "query-secret-value", hook_secret, SWITCH_SECRET,
                       urllib.parse.quote(hook_secret)):
            self.assertNotIn(secret, stderr)


class MetricsAllowTest(MetricsTestCase):
    EXTRA_ARGS = ("--metrics-allow", "192.0.2.0/24,2001:db8::/32", "--access-log", "off")

    def test_metrics_from_an_address_outside_metrics_allow_is_404(self):
        resp = requests.get(self.url("/metrics"), timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 404)
        self.assertNotIn("callsight_", resp.text)
        self.assertEqual(requests.get(self.url("/healthz"), timeout=HTTP_TIMEOUT).status_code,
                         200)
        self.assertEqual(requests.get(self.url("/readyz"), timeout=HTTP_TIMEOUT).status_code,
                         200)

    def test_access_log_off_writes_no_request_lines(self):
        requests.get(self.url(PING), timeout=HTTP_TIMEOUT)
        self.assertEqual(access_lines(self.server.stderr()), [])

    def test_a_bad_cidr_stops_the_server_at_start(self):
        server = Server(extra_args=("--metrics-allow", "10.0.0.0/99"))
        self.addCleanup(server.cleanup)
        with self.assertRaises(AssertionError) as failed:
            server.start()
        self.assertIn("10.0.0.0/99", str(failed.exception))


class ReadinessTest(MetricsTestCase):
    """/readyz follows the database: each test breaks it in a real way and mends it."""

    PARTNERS = {"alice": {}}
    SWITCH_SECRET = SWITCH_SECRET

    def setUp(self):
        super().setUp()
        self.assert_ready()

    def readyz(self):
        resp = requests.get(self.url("/readyz"), timeout=HTTP_TIMEOUT)
        return resp.status_code, resp.json()

    def assert_ready(self):
        self.assertEqual(self.readyz(), (200, {"status": "ready"}))

    def wait_for_readyz(self, status):
        deadline = time.monotonic() + POLL_TIMEOUT
        while time.monotonic() < deadline:
            got = self.readyz()
            if got[0] == status:
                return got[1]
            time.sleep(0.1)
        self.fail("/readyz never answered %d" % status)

    def sql(self, statement):
        if testing_postgres():
            _psql(self.server.db, statement)
        else:
            with sqlite3.connect(self.server.db, timeout=30) as db:
                db.execute(statement)

    def test_readyz_is_503_while_the_schema_is_not_the_one_this_binary_expects(self):
        self.sql("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 'now')")
        body = self.readyz()
        self.assertEqual(body[0], 503)
        self.assertEqual(body[1]["status"], "unavailable")
        self.assertIn("schema version 9999", body[1]["reason"])
        self.assertEqual(requests.get(self.url("/healthz"), timeout=HTTP_TIMEOUT).status_code,
                         200)
        self.sql("DELETE FROM schema_migrations WHERE version = 9999")
        self.assert_ready()

    def test_readyz_is_503_while_postgresql_refuses_connections(self):
        if not testing_postgres():
            self.skipTest("SQLite is a file the process holds open: it cannot go away")
        name = urllib.parse.urlsplit(self.server.db).path.lstrip("/")
        admin = os.environ["CALLSIGHT_TEST_PG_URL"]
        _psql(admin, "ALTER DATABASE %s ALLOW_CONNECTIONS false" % name)
        try:
            _psql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = '%s' AND pid <> pg_backend_pid()" % name)
            body = self.wait_for_readyz(503)
            self.assertEqual(body, {"status": "unavailable", "reason": "database unavailable"})
            # Still a scrape: the families that need the database render empty.
            self.assertIn("callsight_http_requests_total", self.scrape().types)
            # Both APIs say "retry later" rather than "internal error".
            alice = self.session("alice")
            for _ in range(3):  # pooled connections find out one by one
                resp = self.call(alice, "GET", "/customers")
                self.assertEqual(resp.status_code, 503, resp.text)
                self.assertEqual(resp.json()["errors"][0]["code"], "unavailable")
                self.assertEqual(resp.headers["Retry-After"], "1")
            route = self.switch_post("/switch/route", {"call_id": "c-" + unique(),
                                                       "caller": "+46701111111",
                                                       "dialled": "+46812345678"})
            self.assertEqual(route.status_code, 503, route.text)
            self.assertEqual(route.json()["errors"][0]["code"], "unavailable")
        finally:
            _psql(admin, "ALTER DATABASE %s ALLOW_CONNECTIONS true" % name)
        self.wait_for_readyz(200)
        self.assertEqual(self.call(self.session("alice"), "GET", "/customers").status_code, 200)
        self.assertIn("not ready: ", self.server.stderr())
