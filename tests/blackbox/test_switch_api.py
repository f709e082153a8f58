"""The switch API (POST /switch/route, /switch/events, /switch/callbacks/claim) as
docs/kamailio.md describes it, with the records it leaves in /statistics/cdrs."""

import datetime
import itertools
import json
import time
import unittest
import zoneinfo

import requests

from harness import HTTP_TIMEOUT, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin
from webhook_receiver import Receiver, signature_ok

SECRET = "switch-secret-" + unique()
CALLER = "+46701111111"
ANSWERING = "+46890510"
ALTERNATIVE = "+46890520"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_call_ids = itertools.count(1)


def call_id():
    return "bb-%s-%d" % (unique(), next(_call_ids))


def utc(unix_seconds):
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S")


class CallEventsMixin:
    """The partner's event stream (GET /events), read whole."""

    def call_events(self, cdr_id, s=None):
        """[(type, data)] of one call's events in the stream, in sequence order."""
        resp = self.call(s or self.alice, "GET", "/events", params={"after": "0", "limit": "1000"})
        events = [e for e in self.ok(resp, "events") if e.get("cdr_id") == cdr_id]
        events.sort(key=lambda e: int(e["sequence"]))
        return [(e["type"], e["data"]) for e in events]


class SwitchApiTest(CallEventsMixin, CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SECRET

    def setUp(self):
        super().setUp()
        self.cid = self.customer(self.alice)

    # -- helpers ----------------------------------------------------------------------------
    def tracking_source(self, **fields):
        """A fresh source of alice's customer; returns (source_id, tracking number)."""
        resp = self.source(self.cid, **fields)
        source = self.one(resp, "sources")
        return source["source_id"], source["destnr"]

    def route(self, dialled, caller=CALLER, cid=None, expect=200):
        cid = cid or call_id()
        resp = self.switch_post("/switch/route",
                                {"call_id": cid, "caller": caller, "dialled": dialled})
        self.assertEqual(resp.status_code, expect, resp.text)
        return cid, resp.json()

    def event(self, cid, name, at, expect=200, **fields):
        body = dict(call_id=cid, event=name, at=at, **fields)
        resp = self.switch_post("/switch/events", body)
        self.assertEqual(resp.status_code, expect, resp.text)
        return resp.json()

    def route_raw(self, body):
        """POSTs raw bytes to /switch/route; returns the decision (must be a 200)."""
        resp = requests.post(self.server.switch_url("/switch/route"), data=body,
                             headers={"X-Callsight-Switch-Secret": SECRET,
                                      "Content-Type": "application/json"},
                             timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()

    def cdr(self, cdr_id, s=None, path="/statistics/cdrs"):
        resp = self.call(s or self.alice, "GET", path, params={"cdr_id": cdr_id})
        items = self.ok(resp, "cdrs")
        self.assertEqual(len(items), 1, items)
        return items[0]

    # -- authentication and input -----------------------------------------------------------
    def test_missing_or_wrong_secret_is_401(self):
        body = {"call_id": call_id(), "caller": CALLER, "dialled": "+46852000000"}
        for secret in ("", "wrong", SECRET + "x"):
            resp = self.switch_post("/switch/route", body, secret=secret)
            self.assertEqual(resp.status_code, 401, secret)
            self.assertEqual(resp.json()["errors"][0]["field"], "X-Callsight-Switch-Secret")

    def test_switch_api_is_not_on_the_partner_port(self):
        resp = requests.post(self.url("/switch/route"), json={},
                             headers={"X-Callsight-Switch-Secret": SECRET}, timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 401)  # the partner API wants partner credentials

    def test_partner_api_is_not_on_the_switch_port(self):
        resp = self.switch_post("/customers", {})
        self.assertEqual(resp.status_code, 404)

    def test_only_post(self):
        resp = requests.get(self.server.switch_url("/switch/route"),
                            headers={"X-Callsight-Switch-Secret": SECRET}, timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 405)
        self.assertEqual(resp.headers["Allow"], "POST")

    def test_bad_bodies_name_the_field(self):
        cases = [
            ("/switch/route", "not json", ""),
            ("/switch/route", "[]", ""),
            ("/switch/route", json.dumps({"caller": CALLER, "dialled": "+46852000000"}),
             "call_id"),
            ("/switch/route", json.dumps({"call_id": "x", "caller": CALLER}), "dialled"),
            ("/switch/route", json.dumps({"call_id": {}, "dialled": "1"}), "call_id"),
            ("/switch/route", json.dumps({"call_id": "x" * 256, "dialled": "1"}), "call_id"),
            ("/switch/events", json.dumps({"call_id": "x", "event": "boom", "at": 1}), "event"),
            ("/switch/events", json.dumps({"call_id": "x", "event": "ringing"}), "at"),
            ("/switch/events", json.dumps({"call_id": "x", "event": "failed", "at": 1,
                                           "sip_status": "99"}), "sip_status"),
            ("/switch/events", json.dumps({"call_id": "x", "event": "hangup",
                                           "at": 1700000000000}), "at"),
            ("/switch/callbacks/claim", json.dumps({"limit": 0}), "limit"),
        ]
        for path, body, field in cases:
            resp = requests.post(self.server.switch_url(path), data=body,
                                 headers={"X-Callsight-Switch-Secret": SECRET},
                                 timeout=HTTP_TIMEOUT)
            self.assertEqual(resp.status_code, 400, (path, body, resp.text))
            error = resp.json()["errors"][0]
            self.assertEqual(error["field"], field or None, (path, body))
            if field:
                self.assertIn(field, error["message"])

    def test_event_for_unknown_call_is_404(self):
        resp = self.switch_post("/switch/events",
                                {"call_id": "never-routed", "event": "ringing", "at": 1})
        self.assertEqual(resp.status_code, 404)
        self.assertEqual(resp.json()["errors"][0]["field"], "call_id")

    # -- route decisions --------------------------------------------------------------------
    def test_forward_to_answering_number(self):
        source_id, number = self.tracking_source(phonenr="0890510")
        cid, decision = self.route(number, caller="0701111111")
        self.assertEqual(decision["action"], "forward")
        self.assertEqual(decision["destination"], ANSWERING)
        self.assertEqual(decision["caller_id"], CALLER)  # normalised with the partner's country
        self.assertEqual(decision["record"], "0")
        self.assertEqual(decision["voicemail_on_busy"], "0")
        cdr = self.cdr(decision["cdr_id"])
        self.assertEqual(cdr["source_id"], source_id)
        self.assertEqual(cdr["bnum"], number)
        self.assertEqual(cdr["cnum"], ANSWERING)
        self.assertEqual(cdr["anum"], "+46701111xxx")
        self.assertEqual(cdr["status"], "in_progress")

    def test_dialled_number_without_plus_is_found(self):
        _, number = self.tracking_source()
        _, decision = self.route(number.lstrip("+"))
        self.assertEqual(decision["action"], "forward")

    def test_unknown_number_is_rejected_404_without_record(self):
        _, decision = self.route("+46859999999")
        self.assertEqual(decision, {"action": "reject", "cdr_id": None, "sip_status": "404",
                                    "reason": "Not Found"})

    def test_asking_twice_gives_one_record_and_the_same_answer(self):
        source_id, number = self.tracking_source()
        cid, first = self.route(number)
        _, second = self.route(number, cid=cid)
        self.assertEqual(first, second)
        listed = self.ok(self.call(self.alice, "GET", "/statistics/cdrs",
                                   params={"source_id": source_id}), "cdrs")
        self.assertEqual(len(listed), 1)

    def test_quarantined_number_is_rejected_and_recorded_as_quarantined(self):
        source_id, number = self.tracking_source()
        self.ok(self.call(self.alice, "DELETE", "/sources", data={"source_id": source_id}),
                "sources")
        _, decision = self.route(number)
        self.assertEqual((decision["action"], decision["sip_status"], decision["reason"]),
                         ("reject", "404", "Not In Use"))
        cdr = self.cdr(decision["cdr_id"])
        self.assertEqual((cdr["quarantined"], cdr["status"], cdr["cnum"]), ("1", "rejected", ""))

    def test_reserved_number_is_not_in_use(self):
        _, number = self.tracking_source(reserve_number="1")
        _, decision = self.route(number)
        self.assertEqual((decision["sip_status"], decision["reason"]), ("404", "Not In Use"))
        self.assertEqual(self.cdr(decision["cdr_id"])["quarantined"], "0")

    def test_blacklisted_caller_is_rejected_403(self):
        _, number = self.tracking_source()
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data={"customer_id": self.cid, "phonenrs": json.dumps([CALLER])}),
                "blacklist")
        _, decision = self.route(number, caller="070-111 11 11")
        self.assertEqual((decision["action"], decision["sip_status"]), ("reject", "403"))
        self.assertEqual(self.cdr(decision["cdr_id"])["status"], "rejected")
        _, other = self.route(number, caller="+46702222222")
        self.assertEqual(other["action"], "forward")

    def test_vm_divert_all_sends_to_voicemail(self):
        _, number = self.tracking_source(vm_divert_all="1")
        _, decision = self.route(number)
        self.assertEqual(decision["action"], "voicemail")
        self.assertEqual(self.cdr(decision["cdr_id"])["status"], "voicemail")

    def test_campaign_settings_apply_to_its_sources(self):
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": self.cid, "name": "Radio", "pricing_model_id": "ppc", "call_recording": "1",
            "vm_divert_busy": "1", "vm_divert_noanswer": "1"}), "campaigns")
        _, number = self.tracking_source(campaign_id=campaign["campaign_id"])
        _, decision = self.route(number)
        self.assertEqual((decision["record"], decision["voicemail_on_busy"],
                          decision["voicemail_on_no_answer"]), ("1", "1", "1"))

    def test_freespee_caller_id_shows_the_tracking_number(self):
        cid_resp = self.call(self.alice, "POST", "/customers", data={
            "name": "Shown", "custnr": unique("cn"), "freespee_caller_id": "1"})
        customer_id = self.one(cid_resp, "customers")["customer_id"]
        source = self.one(self.source(customer_id), "sources")
        _, decision = self.route(source["destnr"])
        self.assertEqual(decision["caller_id"], source["destnr"])

    def alt_rule(self, number, weekdays):
        return json.dumps([{"phonenr": number, "weekdays": weekdays,
                            "from_time": "00:00", "to_time": "24:00"}])

    def test_alt_number_rule_of_today_in_partner_time_zone(self):
        today = WEEKDAYS[datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Stockholm")).weekday()]
        other_days = ",".join(d for d in WEEKDAYS if d != today)
        _, number = self.tracking_source(alt_numbers=self.alt_rule(ALTERNATIVE, today))
        _, decision = self.route(number)
        self.assertEqual(decision["destination"], ALTERNATIVE)
        _, number = self.tracking_source(alt_numbers=self.alt_rule(ALTERNATIVE, other_days))
        _, decision = self.route(number)
        self.assertEqual(decision["destination"], ANSWERING)
        _, number = self.tracking_source(alt_numbers=self.alt_rule("voicemail", today))
        _, decision = self.route(number)
        self.assertEqual(decision["action"], "voicemail")

    # -- callers are whatever SIP sends ----------------------------------------------------
    def test_any_caller_text_is_routed_stored_cleaned_and_masked(self):
        _, number = self.tracking_source(phonenr="0890510")
        # A blacklist that holds numbers never matches a caller that is not one.
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data={"customer_id": self.cid, "phonenrs": json.dumps([CALLER])}),
                "blacklist")
        cases = [  # caller as sent, stored (cleaned), anum
            ("åäö", "åäö", "xxx"),
            ("abc€1", "abc€1", "abxxx"),
            ("😀😀", "😀😀", "xxx"),
            ("anonymous", "anonymous", "anonymxxx"),
            ("Åsa Öberg", "Åsa Öberg", "Åsa Öbxxx"),
        ]
        for sent, stored, anum in cases:
            with self.subTest(caller=sent):
                _, decision = self.route(number, caller=sent)
                self.assertEqual(decision["action"], "forward")
                self.assertEqual(decision["destination"], ANSWERING)
                self.assertEqual(decision["caller_id"], stored)
                cdr = self.cdr(decision["cdr_id"])
                self.assertEqual((cdr["anum"], cdr["anum_ndc_name"], cdr["status"]),
                                 (anum, "", "in_progress"))
                self.assertRegex(cdr["anum_md5"], "^[0-9a-f]{32}$")

    def test_invalid_bytes_in_the_caller_become_u_fffd(self):
        _, number = self.tracking_source()
        body = '{"call_id":"%s","caller":"Malm\xf6 \xe2\x82","dialled":"%s"}'
        decision = self.route_raw(body.replace("%s", call_id(), 1).replace("%s", number, 1)
                                  .encode("latin-1"))
        self.assertEqual(decision["action"], "forward")
        self.assertEqual(decision["caller_id"], "Malm\ufffd \ufffd")
        cdr = self.cdr(decision["cdr_id"])
        self.assertEqual(cdr["anum"], "Malmxxx")  # 7 characters: the last 3 masked
        # anum_md5 is taken over the cleaned text: the same as for that text sent valid, and
        # not the same as for another caller.
        _, same = self.route(number, caller="Malm\ufffd \ufffd")
        _, other = self.route(number, caller="Malmö")
        self.assertEqual(self.cdr(same["cdr_id"])["anum_md5"], cdr["anum_md5"])
        self.assertNotEqual(self.cdr(other["cdr_id"])["anum_md5"], cdr["anum_md5"])
        # Bytes cut in half anywhere in the body are no 5xx either.
        for raw in (b'{"call_id":"x\xc3","caller":"\xff","dialled":"%s"}' % number.encode(),
                    b'{"call_id":"y","caller":"\xf0\x9f\x98","dialled":"%s"}' % number.encode()):
            self.assertEqual(self.route_raw(raw)["action"], "forward")
        resp = requests.post(self.server.switch_url("/switch/events"),
                             data=b'{"call_id":"x\xc3","event":"hangup","at":1,"reason":"\xe9"}',
                             headers={"X-Callsight-Switch-Secret": SECRET}, timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 200, resp.text)

    def test_a_caller_longer_than_255_characters_is_clipped_not_refused(self):
        _, number = self.tracking_source()
        _, decision = self.route(number, caller="€" * 300)
        self.assertEqual(decision["caller_id"], "€" * 255)
        self.assertEqual(self.cdr(decision["cdr_id"])["anum"], "€" * 252 + "xxx")

    # -- every call ends ----------------------------------------------------------------------
    def assert_rejected_and_ended(self, decision, sip_status):
        cdr = self.cdr(decision["cdr_id"])
        self.assertEqual((cdr["status"], cdr["sip_status"], cdr["end"]),
                         ("rejected", sip_status, cdr["start"]), cdr)
        events = self.call_events(decision["cdr_id"])
        self.assertEqual([kind for kind, _ in events], ["call.started", "call.completed"])
        self.assertEqual((events[1][1]["status"], events[1][1]["end"]), ("rejected", cdr["end"]))
        return cdr

    def test_rejected_calls_end_when_routed_with_their_status_and_one_completed_event(self):
        source_id, number = self.tracking_source()
        self.ok(self.call(self.alice, "PUT", "/customers/blacklist",
                          data={"customer_id": self.cid, "phonenrs": json.dumps([CALLER])}),
                "blacklist")
        cid, blacklisted = self.route(number)
        self.assert_rejected_and_ended(blacklisted, "403")
        self.route(number, cid=cid)  # the edge asks again: still one call, one completion
        self.assert_rejected_and_ended(blacklisted, "403")
        self.ok(self.call(self.alice, "DELETE", "/sources", data={"source_id": source_id}),
                "sources")
        _, quarantined = self.route(number, caller="+46702222222")
        self.assertEqual(self.assert_rejected_and_ended(quarantined, "404")["quarantined"], "1")

    def test_times_are_the_edges_not_the_servers(self):
        _, number = self.tracking_source()
        t = int(time.time()) - 3600  # an hour ago: events queued at the edge, or clocks apart
        cid = call_id()
        resp = self.switch_post("/switch/route", {"call_id": cid, "caller": CALLER,
                                                  "dialled": number, "at": t})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.event(cid, "ringing", t + 2)
        self.event(cid, "answered", t + 5)
        self.event(cid, "hangup", t + 65, hangup_by="caller")
        cdr = self.cdr(resp.json()["cdr_id"])
        self.assertEqual((cdr["start"], cdr["ringing_at"], cdr["answered_at"], cdr["end"]),
                         (utc(t), utc(t + 2), utc(t + 5), utc(t + 65)))
        self.assertEqual(cdr["duration"], "60")
        # Without an edge time the call starts when the server is asked.
        _, now_decision = self.route(number)
        started = datetime.datetime.strptime(self.cdr(now_decision["cdr_id"])["start"],
                                             "%Y-%m-%d %H:%M:%S")
        self.assertLess(abs(started.replace(tzinfo=datetime.timezone.utc).timestamp()
                            - time.time()), 30)

    def test_a_voicemail_call_is_voicemail_whatever_ends_it(self):
        _, number = self.tracking_source(vm_divert_all="1")
        t = 1_800_000_000
        for end, fields in (("failed", {"sip_status": 503}), ("failed", {"sip_status": 480}),
                            ("hangup", {"hangup_by": "caller"})):
            with self.subTest(end=end, **fields):
                cdr = self.play(number, [(end, t + 30, fields)])
                self.assertEqual((cdr["status"], cdr["end"]), ("voicemail", utc(t + 30)))
                self.assertEqual(cdr["sip_status"], str(fields.get("sip_status")) if
                                 "sip_status" in fields else None)
                events = self.call_events(cdr["cdr_id"])
                self.assertEqual([kind for kind, _ in events],
                                 ["call.started", "call.completed"])

    # -- events -----------------------------------------------------------------------------
    def play(self, number, events):
        cid, decision = self.route(number)
        for name, at, fields in events:
            self.event(cid, name, at, **fields)
        return self.cdr(decision["cdr_id"])

    def test_events_in_any_order_and_twice_end_the_same(self):
        _, number = self.tracking_source()
        t = 1_800_000_000
        events = [("ringing", t + 1, {"sip_status": "180"}),
                  ("answered", t + 3, {"sip_status": "200", "answering_number": ANSWERING}),
                  ("hangup", t + 45, {"sip_status": "200", "hangup_by": "callee"})]
        in_order = self.play(number, events)
        shuffled = self.play(number, [events[2], events[0], events[2], events[1], events[0]])
        volatile = ("cdr_id", "start", "anum_md5")
        strip = lambda cdr: {k: v for k, v in cdr.items() if k not in volatile}
        self.assertEqual(strip(in_order), strip(shuffled))
        self.assertEqual(in_order["duration"], "42")
        self.assertEqual(in_order["answered"], "1")
        self.assertEqual(in_order["status"], "answered")
        self.assertEqual(in_order["hangup_by"], "callee")
        self.assertEqual(in_order["answered_at"], "2027-01-15 08:00:03")

    def test_busy_and_no_answer(self):
        _, number = self.tracking_source()
        t = 1_800_000_000
        busy = self.play(number, [("failed", t, {"sip_status": 486})])
        self.assertEqual((busy["status"], busy["answered"], busy["sip_status"], busy["duration"]),
                         ("busy", "0", "486", "0"))
        cancelled = self.play(number, [("ringing", t, {}), ("failed", t + 9, {"sip_status": 487})])
        self.assertEqual(cancelled["status"], "no_answer")
        broken = self.play(number, [("failed", t, {"sip_status": 503})])
        self.assertEqual(broken["status"], "failed")
        # Failed calls end like the others: their end, their final status and exactly one
        # call.completed with the outcome (the call-end contract, docs/webhooks.md).
        for cdr, status, sip_status in ((busy, "busy", "486"), (cancelled, "no_answer", "487"),
                                        (broken, "failed", "503")):
            with self.subTest(status=status):
                self.assertEqual((cdr["end"], cdr["sip_status"]),
                                 (utc(t + (9 if cdr is cancelled else 0)), sip_status))
                events = self.call_events(cdr["cdr_id"])
                completed = [data for kind, data in events if kind == "call.completed"]
                self.assertEqual(len(completed), 1, events)
                self.assertEqual((completed[0]["status"], completed[0]["end"]),
                                 (status, cdr["end"]))

    def test_vm_divert_busy_turns_busy_into_voicemail(self):
        _, number = self.tracking_source(vm_divert_busy="1")
        cdr = self.play(number, [("failed", 1_800_000_000, {"sip_status": 486})])
        self.assertEqual(cdr["status"], "voicemail")

    def test_event_answer_reports_status(self):
        _, number = self.tracking_source()
        cid, decision = self.route(number)
        answer = self.event(cid, "answered", 1_800_000_000)
        self.assertEqual(answer, {"cdr_id": decision["cdr_id"], "status": "answered"})

    # -- callbacks --------------------------------------------------------------------------
    def claim(self, limit=100):
        resp = self.switch_post("/switch/callbacks/claim", {"limit": limit})
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()["calls"]

    def callback(self, **fields):
        fields.setdefault("customer_id", self.cid)
        fields.setdefault("agent_nr", "+46701234567")
        fields.setdefault("requester_nr", "+46709876543")
        return self.one(self.call(self.alice, "POST", "/customers/callbacks", data=fields),
                        "callbacks")

    def callback_now(self, callback_id):
        # The list defaults to callbacks scheduled from now on; these were due a moment ago.
        listed = self.ok(self.call(self.alice, "GET", "/customers/callbacks",
                                   params={"customer_id": self.cid,
                                           "from_date": "2000-01-01"}), "callbacks")
        return next(c for c in listed if c["id"] == callback_id)

    def test_due_callback_is_claimed_once_and_completed_when_answered(self):
        callback = self.callback(call_recording="1")
        calls = [c for c in self.claim() if c["callback_id"] == callback["id"]]
        self.assertEqual(len(calls), 1)
        dial = calls[0]
        self.assertEqual((dial["agent"], dial["requester"], dial["caller_id"], dial["record"]),
                         ("+46701234567", "+46709876543", "+46701234567", "1"))
        self.assertFalse([c for c in self.claim() if c["callback_id"] == callback["id"]])
        self.event(dial["call_id"], "answered", 1_800_000_000)
        self.event(dial["call_id"], "hangup", 1_800_000_030)
        now = self.callback_now(callback["id"])
        self.assertEqual((now["completed"], now["cdr_id"]), ("1", dial["cdr_id"]))
        out = self.cdr(dial["cdr_id"], path="/statistics/cdrs/out")
        self.assertEqual((out["status"], out["duration"], out["callback_id"], out["cnum"]),
                         ("answered", "30", callback["id"], "+46701234567"))
        # Outbound calls are not inbound ones.
        inbound = self.call(self.alice, "GET", "/statistics/cdrs",
                            params={"cdr_id": dial["cdr_id"]})
        self.assertEqual(self.ok(inbound, "cdrs"), [])

    def test_failed_callback_stays_open_while_retries_are_left(self):
        callback = self.callback(retries="1", retry_interval="60")
        dial = next(c for c in self.claim() if c["callback_id"] == callback["id"])
        self.event(dial["call_id"], "failed", 1_800_000_000, sip_status=486)
        now = self.callback_now(callback["id"])
        self.assertEqual((now["completed"], now["cdr_id"]), ("0", None))

    def test_last_failed_attempt_completes_the_callback(self):
        callback = self.callback()  # retries 0: one attempt
        dial = next(c for c in self.claim() if c["callback_id"] == callback["id"])
        self.event(dial["call_id"], "failed", 1_800_000_000, sip_status=408)
        now = self.callback_now(callback["id"])
        self.assertEqual((now["completed"], now["cdr_id"]), ("1", dial["cdr_id"]))

    def test_future_callback_is_not_claimed(self):
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
        callback = self.callback(scheduled=later.strftime("%Y-%m-%d %H:%M:%S"))
        self.assertFalse([c for c in self.claim() if c["callback_id"] == callback["id"]])


class CallSweepTest(CallEventsMixin, CustomerResourceMixin, ServerTestCase):
    """A call whose end never arrives is closed as unknown after --max-call-seconds; its late
    end corrects it and says so with call.updated, delivered at least once."""
    SWITCH_SECRET = SECRET
    MAX_CALL_SECONDS = 60
    EXTRA_ARGS = ("--max-call-seconds", str(MAX_CALL_SECONDS), "--sweep-seconds", "1",
                  "--webhooks-allow-private", "--webhook-retry-base-seconds", "1")

    def wait_for_cdr(self, cdr_id, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            cdr = self.one(self.call(self.alice, "GET", "/statistics/cdrs/" + cdr_id), "cdrs")
            if predicate(cdr) or time.monotonic() > deadline:
                return cdr
            time.sleep(0.2)

    def test_overdue_call_is_closed_as_unknown_and_its_late_end_corrects_it(self):
        cid = self.customer(self.alice)
        source = self.one(self.source(cid), "sources")
        # Fails the first attempt of every event: each arrives again, with the same id.
        receiver = Receiver(behaviour=lambda event_id, attempt: "ok" if attempt > 1 else "fail")
        self.addCleanup(receiver.close)
        hook = self.one(self.call(self.alice, "POST", "/webhooks", data={
            "url": receiver.url, "customer_id": cid,
            "events": json.dumps(["call.completed", "call.updated"])}), "webhooks")

        # Overdue in 3 s: time enough to report its answer before the sweep may close it.
        start = int(time.time()) - self.MAX_CALL_SECONDS + 3
        switch_id = call_id()
        resp = self.switch_post("/switch/route", {"call_id": switch_id, "caller": CALLER,
                                                  "dialled": source["destnr"], "at": start})
        cdr_id = resp.json()["cdr_id"]
        self.switch_post("/switch/events", {"call_id": switch_id, "event": "answered",
                                            "at": start + 5})
        # A call still within the limit stays open.
        fresh = self.switch_post("/switch/route", {"call_id": call_id(), "caller": CALLER,
                                                   "dialled": source["destnr"]}).json()

        swept = self.wait_for_cdr(cdr_id, lambda c: c["end"] is not None)
        self.assertEqual((swept["status"], swept["answered"], swept["end"], swept["duration"]),
                         ("unknown", "1", utc(start + 5), "0"), swept)
        self.assertIsNone(swept["sip_status"])
        self.assertEqual(self.one(self.call(self.alice, "GET", "/statistics/cdrs/"
                                            + fresh["cdr_id"]), "cdrs")["end"], None)

        # The real end arrives late: the record is corrected.
        self.switch_post("/switch/events", {"call_id": switch_id, "event": "hangup",
                                            "at": start + 45, "hangup_by": "callee"})
        corrected = self.one(self.call(self.alice, "GET", "/statistics/cdrs/" + cdr_id), "cdrs")
        self.assertEqual((corrected["status"], corrected["end"], corrected["duration"],
                          corrected["hangup_by"]),
                         ("answered", utc(start + 45), "40", "callee"), corrected)

        events = self.call_events(cdr_id)
        self.assertEqual([kind for kind, _ in events],
                         ["call.started", "call.answered", "call.completed", "call.updated"])
        self.assertEqual(events[2][1]["status"], "unknown")
        self.assertEqual((events[3][1]["status"], events[3][1]["end"]),
                         ("answered", utc(start + 45)))

        # Both delivered, each twice (the first attempt failed) under one stable event id.
        delivered = receiver.wait_for_count(2)
        by_type = {}
        for event_id, copies in delivered.items():
            body = json.loads(copies[0][2])
            self.assertEqual(body["event_id"], event_id)
            self.assertTrue(signature_ok(hook["secret"], copies[0][1], copies[0][2]))
            self.assertEqual(receiver.attempts[event_id], 2)
            by_type[body["type"]] = body
        self.assertEqual(set(by_type), {"call.completed", "call.updated"})
        self.assertEqual(by_type["call.updated"]["data"]["status"], "answered")
        self.assertEqual(by_type["call.completed"]["data"]["status"], "unknown")
        self.assertLess(int(by_type["call.completed"]["sequence"]),
                        int(by_type["call.updated"]["sequence"]))

        metrics = requests.get(self.url("/metrics"), timeout=HTTP_TIMEOUT).text
        self.assertIn("\ncallsight_call_sweep_closed_total 1\n", metrics)
        self.assertIn('\ncallsight_job_row_failures_total{job="call_sweep"} 0\n', metrics)
        self.assertIn('callsight_calls_ended_total{direction="inbound",status="unknown"} 1',
                      metrics)


if __name__ == "__main__":
    unittest.main()
