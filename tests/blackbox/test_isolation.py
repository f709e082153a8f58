"""Partner isolation across the whole partner API (docs/security.md).

Partner alice owns one object of every kind; partner bob then calls every route of the API
(the list comes from `callsight routes`, so a new route without a probe here fails the test)
with alice's ids in the path and in query and form parameters. Bob must get the documented
answer (404 for another partner's object, 400 for a reference to it, an empty list for a
filter that matches none of his objects), no answer may carry alice's ids or data, and all
of alice's objects read back exactly as before.
"""

import datetime
import itertools
import json
import re
import time
import unittest

from harness import ServerTestCase, run_cli, unique
from recording_spool import RecordingSpool
from resource_helpers import CustomerResourceMixin
from webhook_receiver import Receiver

SWITCH_SECRET = "isolation-switch-" + unique()
CALLER = "+46812345678"
PHONE = "+46701234567"
# Free inventory numbers: 4 for alice (one in her pool), 1 for bob, 1 left free so a wrongly accepted
# source of bob's would be created (and caught) instead of failing for want of a number.
_numbers = ("+4650%07d" % n for n in itertools.count(1000))
DELIVERY_WAIT = 30.0

# Fields that hold an object's id in answers, mapped to the fixture key of alice's ids.
ID_FIELDS = {
    "customer_id": "customer_ids", "source_id": "source_ids", "campaign_id": "campaign_ids",
    "vm_greeting_id": "greeting_ids", "user_id": "user_ids", "pincode_id": "pincode_ids",
    "cdr_id": "cdr_ids", "webhook_id": "webhook_ids", "event_id": "event_ids",
    "delivery_id": "delivery_ids", "order_id": "order_ids", "pool_id": "source_ids",
    "recording_id": "recording_ids",
}
EMPTY = "empty"  # expect 200 with an empty list
LISTED = "list"  # expect 200 (bob's own objects only)


def utc(delta):
    now = datetime.datetime.now(datetime.timezone.utc) + delta
    return now.strftime("%Y-%m-%d %H:%M:%S")


def route_of(path, routes):
    """The route pattern `path` resolves to, by the router's rule: same segment count,
    literals equal, and the fewest captures wins."""
    segments = [s for s in path.split("/") if s]
    best = None
    for pattern in routes:
        parts = [s for s in pattern.split("/") if s]
        if len(parts) != len(segments):
            continue
        if all(p.startswith("{") or p == s for p, s in zip(parts, segments)):
            captures = sum(p.startswith("{") for p in parts)
            if best is None or captures < best[0]:
                best = (captures, pattern)
    return best[1] if best else None


class PartnerIsolationTest(CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SWITCH_SECRET
    EXTRA_ARGS = ("--webhooks-allow-private", "--webhook-retry-base-seconds", "1")

    @classmethod
    def setUpClass(cls):
        cls.spool = RecordingSpool()
        cls.addClassCleanup(cls.spool.remove)
        cls.EXTRA_ARGS = cls.EXTRA_ARGS + cls.spool.server_args()
        super().setUpClass()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)

    # -- alice's objects ----------------------------------------------------------------
    def add_number(self):
        number = next(_numbers)
        self.server.cli("numbers", "add", number, check=True)
        return number

    def created(self, s, method, path, key, **data):
        return self.one(self.call(s, method, path, data=data), key)

    def answered_call(self, number, recorded=False):
        """An answered call to the number; with recorded, its recording too (waited for)."""
        call_id = "iso-" + unique()
        resp = self.switch_post("/switch/route", {"call_id": call_id, "caller": CALLER,
                                                  "dialled": number})
        self.assertEqual(resp.status_code, 200, resp.text)
        for event, at in (("answered", 1_800_000_000), ("hangup", 1_800_000_030)):
            r = self.switch_post("/switch/events", {"call_id": call_id, "event": event, "at": at})
            self.assertEqual(r.status_code, 200, r.text)
        if recorded:
            self.spool.add(call_id)
        return resp.json()["cdr_id"]

    def recording_of(self, cdr_id):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            [cdr] = self.ok(self.call(self.alice, "GET", "/statistics/cdrs",
                                      params={"cdr_id": cdr_id, "extended": "1"}), "cdrs")
            if cdr["recording_id"]:
                return cdr["recording_id"]
            time.sleep(0.1)
        self.fail("alice's recording was not picked up")

    def make_alice(self):
        a = self.alice
        mark = unique("isoA")
        f = {"mark": mark}
        cid, custnr = self.customer_with_custnr(a)
        self.call(a, "PUT", "/customers/%s" % cid, data={"name": "Customer " + mark})
        f.update(cid=cid, custnr=custnr)
        f["wid"] = self.created(
            a, "POST", "/webhooks", "webhooks", customer_id=cid,
            url="http://127.0.0.1:%d/%s" % (self.receiver.port, mark),
            events=json.dumps(["call.completed"]), secret="alice-webhook-secret-" + mark
        )["webhook_id"]
        f["gid"] = self.created(a, "POST", "/customers/voicemail_greetings",
                                "voicemail_greetings", customer_id=cid,
                                name="Greeting " + mark)["vm_greeting_id"]
        f["kid"] = self.created(a, "POST", "/customers/campaigns", "campaigns", customer_id=cid,
                                name="Campaign " + mark, pricing_model_id="ppc",
                                vm_greeting_id=f["gid"])["campaign_id"]
        f["numbers"] = [self.add_number() for _ in range(2)]
        source = self.created(a, "POST", "/sources", "sources", customer_id=cid,
                              destnr=f["numbers"][0], name="Source " + mark,
                              phonenr="0890510", campaign_id=f["kid"],
                              vm_greeting_id=f["gid"])
        f["sid"] = source["source_id"]
        # A deleted source is quarantined: it shows in /sources/statuses and could be
        # reactivated, which bob must not do.
        f["sid2"] = self.created(a, "POST", "/sources", "sources", customer_id=cid,
                                 destnr=f["numbers"][1], name="Gone " + mark,
                                 phonenr="0890510")["source_id"]
        self.one(self.call(a, "DELETE", "/sources/%s" % f["sid2"]), "sources")
        # A pool takes the one free number there is now.
        f["numbers"].append(self.add_number())
        f["pool"] = self.created(a, "POST", "/pools", "pools", customer_id=cid, count="1",
                                 name="Pool " + mark, phonenr="0890510", campaign_id=f["kid"],
                                 allowed_origins="https://shop.example")["pool_id"]
        self.ok(self.call(a, "PUT", "/customers/blacklist", data={
            "customer_id": cid, "phonenrs": json.dumps(["+46709999111"])}), "blacklist")
        user = self.created(a, "POST", "/users", "users", customer_id=cid,
                            email="%s@example.com" % mark, name="User " + mark)
        f.update(uid=user["user_id"], token=user["token"])
        f["pid"] = self.created(a, "POST", "/customers/pincodes", "pincodes", customer_id=cid,
                                phone_number=PHONE, pincode_length="6", pincode_ttl="1",
                                custom_lead_id=mark)["pincode_id"]
        f["order_id"] = self.created(a, "POST", "/customers/orders", "orders", customer_id=cid,
                                     timestamp="2024-03-01 10:15:00", cli_id="cli-" + mark,
                                     order_id="ord-" + mark, order_value="12.50")["order_id"]
        f["cbid"] = self.created(a, "POST", "/customers/callbacks", "callbacks",
                                 customer_id=cid, agent_nr="+46701112233",
                                 requester_nr="+46704445566",
                                 scheduled=utc(datetime.timedelta(hours=1)),
                                 custom_dynamic=json.dumps({"lead": mark}))["id"]
        f["cdrs"] = [self.answered_call(f["numbers"][0], recorded=(n == 0)) for n in range(2)]
        f["rid"] = self.recording_of(f["cdrs"][0])
        f["event"] = self.one(self.call(a, "POST", "/webhooks/%s/test" % f["wid"]),
                              "events")["event_id"]
        f["deliveries"] = self.wait_for_deliveries()
        events = self.json_of(self.call(a, "GET", "/events"))["events"]
        f["ids"] = {
            "customer_ids": {cid}, "source_ids": {f["sid"], f["sid2"], f["pool"]},
            "campaign_ids": {f["kid"]}, "greeting_ids": {f["gid"]}, "user_ids": {f["uid"]},
            "pincode_ids": {f["pid"]}, "cdr_ids": set(f["cdrs"]), "webhook_ids": {f["wid"]},
            "event_ids": {e["event_id"] for e in events}, "delivery_ids": set(f["deliveries"]),
            "order_ids": {f["order_id"]}, "callback_ids": {f["cbid"]},
            "recording_ids": {f["rid"]},
        }
        # Values of alice's that no answer to bob may contain (unless bob sent them).
        f["secrets"] = [mark, custnr, user["token"], "+46709999111", "+46701112233",
                        "+46704445566"] + f["numbers"]
        return f

    def wait_for_deliveries(self):
        """Waits until every delivery of alice's is delivered, so her answers stop changing."""
        deadline = time.monotonic() + DELIVERY_WAIT
        while True:
            items = self.ok(self.call(self.alice, "GET", "/webhooks/deliveries"), "deliveries")
            # Two calls and one test event.
            if len(items) >= 3 and all(d["state"] == "delivered" for d in items):
                return [d["delivery_id"] for d in items]
            if time.monotonic() > deadline:
                self.fail("alice's deliveries were not all delivered: %s" % items)
            time.sleep(0.1)

    def make_bob(self):
        b = self.bob
        cid = self.customer(b)
        sid = self.created(b, "POST", "/sources", "sources", customer_id=cid,
                           destnr=self.add_number(), name="bob", phonenr="0890510")["source_id"]
        kid = self.created(b, "POST", "/customers/campaigns", "campaigns", customer_id=cid,
                           name="bob", pricing_model_id="ppc")["campaign_id"]
        wid = self.created(b, "POST", "/webhooks", "webhooks",
                           url="http://127.0.0.1:%d/bob" % self.receiver.port,
                           events=json.dumps(["call.completed"]))["webhook_id"]
        self.add_number()  # left free, see _numbers
        return {"cid": cid, "sid": sid, "kid": kid, "wid": wid}

    def snapshot(self, f):
        """Alice's full answers for every object she owns."""
        cid = f["cid"]
        paths = [
            ("/customers/%s" % cid, {}), ("/customers", {}), ("/sources/%s" % f["sid"], {}),
            ("/sources", {"customer_id": cid}), ("/sources/statuses", {}), ("/numbers", {}),
            ("/customers/%s/campaigns/%s" % (cid, f["kid"]), {}),
            ("/customers/%s/voicemail_greetings/%s" % (cid, f["gid"]), {}),
            ("/customers/%s/blacklist" % cid, {}), ("/customers/%s/orders" % cid, {}),
            ("/customers/%s/callbacks" % cid, {}),
            ("/customers/%s/pincodes/%s" % (cid, f["pid"]), {}), ("/users/%s" % f["uid"], {}),
            ("/webhooks/%s" % f["wid"], {}), ("/webhooks/deliveries", {}), ("/events", {}),
            ("/statistics/cdrs", {"extended": "1"}), ("/pools", {"customer_id": cid}),
            ("/recordings", {"recording_id": f["rid"]}), ("/recordings", {"customer_id": cid}),
        ]
        answers = {}
        for path, params in paths:
            resp = self.call(self.alice, "GET", path, params=params)
            self.assertEqual(resp.status_code, 200, "%s -> %s" % (path, resp.text[:300]))
            answer = self.json_of(resp)
            # A recording's audio link is signed afresh, with a new expiry, on every answer.
            for recording in answer.get("recordings", []):
                recording.pop("audio_url")
            answers[(path, json.dumps(params))] = answer
        return answers

    # -- bob's probes -------------------------------------------------------------------
    def probes(self, f, b):
        """(method, path, parameters, expected) for bob: parameters go in the query of GET
        and DELETE and in the form body of POST and PUT; expected is a status, EMPTY or
        LISTED."""
        cid, custnr, sid, kid, gid = f["cid"], f["custnr"], f["sid"], f["kid"], f["gid"]
        uid, pid, wid, cdr = f["uid"], f["pid"], f["wid"], f["cdrs"][0]
        new_source = {"name": "x", "phonenr": "0890510"}
        new_pool = dict(new_source, count="1")
        pool = f["pool"]
        campaign = {"name": "x", "pricing_model_id": "ppc"}
        webhook = {"url": "http://127.0.0.1:%d/b" % self.receiver.port,
                   "events": json.dumps(["call.completed"])}
        pin = {"phone_number": PHONE, "pincode_length": "6", "pincode_ttl": "1"}
        order = {"timestamp": "2024-03-01 10:15:00", "cli_id": "c", "order_id": "o",
                 "order_value": "1"}
        callback = {"agent_nr": "+46701112233", "requester_nr": "+46704445566"}
        p = [
            ("GET", "/miscellaneous/ping", {}, 200),
            # customers
            ("GET", "/customers", {"customer_id": cid}, 404),
            ("GET", "/customers", {"custnr": custnr}, EMPTY),
            ("GET", "/customers", {}, LISTED),
            ("GET", "/customers/%s" % cid, {}, 404),
            ("PUT", "/customers", {"customer_id": cid, "name": "Stolen"}, 404),
            ("PUT", "/customers/%s" % cid, {"name": "Stolen"}, 404),
            ("DELETE", "/customers", {"customer_id": cid}, 404),
            ("DELETE", "/customers/%s" % cid, {}, 404),
            # users
            ("POST", "/users", {"customer_id": cid, "email": "b@example.com"}, 404),
            ("POST", "/users/activate", {"user_id": uid, "token": f["token"]}, 404),
            ("GET", "/users", {"user_id": uid}, 404),
            ("GET", "/users", {"customer_id": cid}, 404),
            ("GET", "/users", {}, LISTED),
            ("GET", "/users/%s" % uid, {}, 404),
            ("PUT", "/users", {"user_id": uid, "name": "Stolen"}, 404),
            ("PUT", "/users/%s" % uid, {"name": "Stolen"}, 404),
            ("DELETE", "/users", {"user_id": uid}, 404),
            ("DELETE", "/users/%s" % uid, {}, 404),
            # sources
            ("POST", "/sources", dict(new_source, customer_id=cid), 404),
            ("POST", "/sources", dict(new_source, customer_id=b["cid"], destnr=f["numbers"][0]),
             409),
            ("POST", "/sources", dict(new_source, customer_id=b["cid"], campaign_id=kid), 400),
            ("POST", "/sources", dict(new_source, customer_id=b["cid"], vm_greeting_id=gid), 400),
            ("GET", "/sources/statuses", {"source_id": f["sid2"]}, EMPTY),
            ("GET", "/sources/statuses", {"customer_id": cid}, EMPTY),
            ("GET", "/sources/statuses", {"custnr": custnr}, EMPTY),
            ("GET", "/sources/statuses", {}, LISTED),
            ("POST", "/sources/reactivate", {"source_id": f["sid2"]}, 404),
            ("POST", "/sources/extend", {"source_id": sid, "expire": utc(datetime.timedelta(
                days=30))}, 404),
            ("GET", "/sources", {"source_id": sid}, 404),
            ("GET", "/sources", {"customer_id": cid}, EMPTY),
            ("GET", "/sources", {"custnr": custnr}, EMPTY),
            ("GET", "/sources", {"destnr": f["numbers"][0]}, EMPTY),
            ("GET", "/sources", {"campaign_id": kid}, EMPTY),
            ("GET", "/sources", {}, LISTED),
            ("GET", "/sources/%s" % sid, {}, 404),
            ("PUT", "/sources", {"source_id": sid, "name": "Stolen"}, 404),
            ("PUT", "/sources/%s" % sid, {"name": "Stolen"}, 404),
            ("PUT", "/sources/%s" % f["sid2"], {"status": "active"}, 404),
            ("PUT", "/sources/%s" % b["sid"], {"campaign_id": kid}, 400),
            ("PUT", "/sources/%s" % b["sid"], {"vm_greeting_id": gid}, 400),
            ("DELETE", "/sources", {"source_id": sid}, 404),
            ("DELETE", "/sources/%s" % sid, {}, 404),
            # pools
            ("POST", "/pools", dict(new_pool, customer_id=cid), 404),
            ("POST", "/pools", dict(new_pool, customer_id=b["cid"], campaign_id=kid), 400),
            ("POST", "/pools", dict(new_pool, customer_id=b["cid"], vm_greeting_id=gid), 400),
            ("GET", "/pools", {"pool_id": pool}, 404),
            ("GET", "/pools", {"pool_id": sid}, 404),
            ("GET", "/pools", {"pool_id": pool, "customer_id": b["cid"]}, 404),
            ("GET", "/pools", {"customer_id": cid}, 404),
            ("GET", "/pools", {"customer_id": b["cid"]}, EMPTY),
            ("PUT", "/pools", {"pool_id": pool, "name": "Stolen"}, 404),
            ("PUT", "/pools", {"pool_id": pool, "lease": "60", "allowed_origins": ""}, 404),
            ("DELETE", "/pools", {"pool_id": pool}, 404),
            ("POST", "/pools/numbers", {"pool_id": pool, "count": "1"}, 404),
            ("DELETE", "/pools/numbers", {"pool_id": pool, "number": f["numbers"][2]}, 404),
            ("GET", "/pools/health", {"pool_id": pool}, 404),
            ("GET", "/pools/health", {"pool_id": sid}, 404),
            ("DELETE", "/visitors", {"visitor_id": "no-such-visitor"}, 404),
            # alice's caller, her callback's requester and her PIN's phone: bob has none
            ("DELETE", "/callers", {"anum": CALLER}, 404),
            ("DELETE", "/callers", {"anum": "+46704445566"}, 404),
            ("DELETE", "/callers", {"anum": PHONE}, 404),
            ("GET", "/numbers", {}, LISTED),
            ("GET", "/numbers", {"state": "allocated"}, LISTED),
            ("GET", "/numbers", {"state": "quarantined"}, EMPTY),
        ]
        p += self.sub_resource_probes(
            "campaigns", "campaign_id", kid, f, b, campaign, b_own_id=b["kid"],
            foreign_refs={"vm_greeting_id": gid})
        p += self.sub_resource_probes("voicemail_greetings", "vm_greeting_id", gid, f, b,
                                      {"name": "x"})
        p += [
            # blacklist
            ("GET", "/customers/blacklist", {"customer_id": cid}, 404),
            ("GET", "/customers/%s/blacklist" % cid, {}, 404),
            ("PUT", "/customers/blacklist", {"customer_id": cid, "phonenrs": "[]"}, 404),
            ("PUT", "/customers/%s/blacklist" % cid, {"phonenrs": "[]"}, 404),
            # orders
            ("GET", "/customers/orders", {"customer_id": cid}, 404),
            ("GET", "/customers/orders", {"custnr": custnr}, 404),
            ("GET", "/customers/orders", {"order_id": f["order_id"]}, EMPTY),
            ("GET", "/customers/%s/orders" % cid, {}, 404),
            ("POST", "/customers/orders", dict(order, customer_id=cid), 404),
            ("POST", "/customers/%s/orders" % cid, order, 404),
            # callbacks
            ("GET", "/customers/callbacks", {"customer_id": cid}, 404),
            ("GET", "/customers/%s/callbacks" % cid, {}, 404),
            ("GET", "/customers/callbacks", {"customer_id": b["cid"]}, EMPTY),
            ("POST", "/customers/callbacks", dict(callback, customer_id=cid), 404),
            ("POST", "/customers/%s/callbacks" % cid, callback, 404),
            # pincodes
            ("POST", "/customers/pincodes", dict(pin, customer_id=cid), 404),
            ("POST", "/customers/pincodes", dict(pin, custnr=custnr), 404),
            ("POST", "/customers/pincodes", {"cdr_id": cdr, "pincode_length": "6",
                                             "pincode_ttl": "1"}, 404),
            ("POST", "/customers/%s/pincodes" % cid, pin, 404),
            ("GET", "/customers/pincodes", {"pincode_id": pid}, 404),
            ("GET", "/customers/pincodes", {"customer_id": cid}, 404),
            ("GET", "/customers/pincodes", {}, EMPTY),
            ("GET", "/customers/%s/pincodes" % cid, {}, 404),
            ("GET", "/customers/%s/pincodes/%s" % (cid, pid), {}, 404),
            ("GET", "/customers/%s/pincodes/%s" % (b["cid"], pid), {}, 404),
            # call records
            ("GET", "/statistics/cdrs", {"cdr_id": cdr}, EMPTY),
            ("GET", "/statistics/cdrs", {"source_id": sid}, EMPTY),
            ("GET", "/statistics/cdrs", {"customer_id": cid}, 404),
            ("GET", "/statistics/cdrs", {"custnr": custnr}, 404),
            ("GET", "/statistics/cdrs", {"extended": "1"}, EMPTY),
            ("GET", "/statistics/cdrs/%s" % cdr, {}, EMPTY),
            ("GET", "/statistics/cdrs/out", {"cdr_id": cdr}, EMPTY),
            ("GET", "/statistics/cdrs/out/%s" % cdr, {}, EMPTY),
            # webhooks, deliveries and events
            ("POST", "/webhooks", dict(webhook, customer_id=cid), 404),
            ("GET", "/webhooks", {"webhook_id": wid}, 404),
            ("GET", "/webhooks", {}, LISTED),
            ("GET", "/webhooks/%s" % wid, {}, 404),
            ("PUT", "/webhooks", {"webhook_id": wid, "url": webhook["url"]}, 404),
            ("PUT", "/webhooks/%s" % wid, {"secret": "bob-wants-the-secret!"}, 404),
            ("PUT", "/webhooks/%s" % b["wid"], {"customer_id": cid}, 404),
            ("DELETE", "/webhooks", {"webhook_id": wid}, 404),
            ("DELETE", "/webhooks/%s" % wid, {}, 404),
            ("POST", "/webhooks/test", {"webhook_id": wid}, 404),
            ("POST", "/webhooks/%s/test" % wid, {}, 404),
            ("GET", "/webhooks/deliveries", {"webhook_id": wid}, 404),
            ("GET", "/webhooks/deliveries", {"event_id": f["event"]}, EMPTY),
            ("GET", "/webhooks/deliveries", {}, EMPTY),
            ("GET", "/events", {"after": f["event"]}, 400),
            ("GET", "/events", {}, LISTED),
            # recordings
            ("GET", "/recordings", {"recording_id": f["rid"]}, 404),
            ("GET", "/recordings", {"customer_id": cid}, 404),
            ("GET", "/recordings", {"customer_id": b["cid"]}, EMPTY),
            ("DELETE", "/recordings", {"recording_id": f["rid"]}, 404),
            # custnr is unique per partner only: bob may use alice's, and then sees his own
            # customer under it. Last, since bob's custnr probes above expect none.
            ("POST", "/customers", {"name": "B", "custnr": custnr}, 200),
            ("GET", "/customers", {"custnr": custnr}, LISTED),
            ("GET", "/statistics/cdrs", {"custnr": custnr}, EMPTY),
        ]
        return p

    @staticmethod
    def sub_resource_probes(name, id_field, own_id, f, b, body, b_own_id=None,
                            foreign_refs=None):
        """Campaigns and greetings: every spelling of path and parameters."""
        cid = f["cid"]
        flat, nested = "/customers/" + name, "/customers/%s/%s" % (cid, name)
        p = [
            ("POST", flat, dict(body, customer_id=cid), 404),
            ("POST", nested, body, 404),
            ("GET", "/customers/%s/%s" % (b["cid"], name), {}, LISTED),
        ]
        for method in ("GET", "PUT", "DELETE"):
            change = body if method == "PUT" else {}
            p += [
                (method, flat, dict(change, customer_id=cid), 404),
                (method, flat, dict(change, customer_id=cid, **{id_field: own_id}), 404),
                (method, flat, dict(change, customer_id=b["cid"], **{id_field: own_id}), 404),
                (method, nested, change, 404),
                (method, "%s/%s" % (flat, own_id), dict(change, customer_id=cid), 404),
                (method, "%s/%s" % (flat, own_id), dict(change, customer_id=b["cid"]), 404),
                (method, "%s/%s" % (nested, own_id), change, 404),
                (method, "/customers/%s/%s/%s" % (b["cid"], name, own_id), change, 404),
            ]
        # A reference from bob's own object to alice's is refused, not followed.
        for field, foreign in (foreign_refs or {}).items():
            p += [("POST", flat, dict(body, customer_id=b["cid"], **{field: foreign}), 400),
                  ("PUT", "/customers/%s/%s/%s" % (b["cid"], name, b_own_id),
                   {field: foreign}, 400)]
        return p

    # -- checks -------------------------------------------------------------------------
    def check_probe(self, f, method, path, params, expected):
        if method in ("GET", "DELETE"):
            resp = self.call(self.bob, method, path, params=params)
        else:
            resp = self.call(self.bob, method, path, data=params)
        where = "%s %s %s -> %d %s" % (method, path, params, resp.status_code, resp.text[:400])
        want = 200 if expected in (EMPTY, LISTED) else expected
        self.assertEqual(resp.status_code, want, where)
        body = self.json_of(resp)
        if expected == EMPTY:
            lists = [v for v in body.values() if isinstance(v, list)]
            self.assertEqual(lists, [[]], where)
        sent = path + json.dumps(params)
        for value in f["secrets"]:
            if value not in sent:
                self.assertNotIn(value, resp.text, where)
        self.assert_no_ids_of_alice(f, body, where)

    def assert_no_ids_of_alice(self, f, node, where):
        if isinstance(node, list):
            for item in node:
                self.assert_no_ids_of_alice(f, item, where)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ID_FIELDS:
                    self.assertNotIn(value, f["ids"][ID_FIELDS[key]], "%s: %s" % (where, key))
                self.assert_no_ids_of_alice(f, value, where)
            if "agent_nr" in node:  # a callback: its id is just "id"
                self.assertNotIn(node.get("id"), f["ids"]["callback_ids"], where)

    # -- the test -----------------------------------------------------------------------
    def test_other_partner_cannot_read_or_change_anything_by_id(self):
        f = self.make_alice()
        b = self.make_bob()
        before = self.snapshot(f)
        routes = {tuple(line.split(" ", 1)) for line in run_cli(
            self.server.db, "routes", check=True).stdout.splitlines()}
        patterns = {pattern for _, pattern in routes}
        covered = set()
        for method, path, params, expected in self.probes(f, b):
            route = route_of(path, patterns)
            self.assertIn((method, route), routes, "probe of no route: %s %s" % (method, path))
            covered.add((method, route))
            with self.subTest(method=method, path=path, params=params):
                self.check_probe(f, method, path, params, expected)
        missing = sorted(routes - covered)
        self.assertEqual(missing, [], "routes this test does not probe: %s" % missing)
        self.assertEqual(self.snapshot(f), before)

    def test_route_listing_matches_what_the_server_answers(self):
        # If `callsight routes` and the server disagreed, the coverage check above would
        # prove nothing: every listed route is served (any answer but "no such resource").
        lines = run_cli(self.server.db, "routes", check=True).stdout.splitlines()
        self.assertGreater(len(lines), 50)
        for line in lines:
            method, pattern = line.split(" ", 1)
            path = re.sub(r"\{[a-z_]+\}", "999999", pattern)
            with self.subTest(route=line):
                resp = self.call(self.bob, method, path)
                self.assertNotEqual(resp.status_code, 405, resp.text)
                if resp.status_code == 404:
                    self.assertNotIn('"no such resource"', resp.text)


if __name__ == "__main__":
    unittest.main()
