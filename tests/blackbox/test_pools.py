"""/pools as docs/api.md describes it (issue 15, item 1): pools of tracking numbers taken from
the inventory, with a source's routing settings and their own; create, read, list, change,
delete, grow and shrink; every bad field a 400 naming it and writing nothing; running out of
inventory a 409 that leaves no pool behind; another partner's customer and pool a 404."""

import itertools
import json
import unittest
import urllib.parse

from harness import FORM_TYPE, TIME_RE, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

# Each test takes numbers of an area code (ndc) no other test uses, so it knows exactly which
# free numbers its pools can take.
_area_codes = itertools.count(510)

POOL_SETTINGS = {
    "is_default", "lease", "grace", "cooldown", "fallback_number", "numbers_to_replace",
    "allowed_origins", "rules", "numbers",
}
RULES = [{"kind": "utm_exact", "field": "source", "value": "google"},
         {"kind": "referrer_host_suffix", "value": ".bing.com"}]


class PoolsTest(CustomerResourceMixin, ServerTestCase):

    def setUp(self):
        super().setUp()
        self.cid = self.customer()

    # -- helpers --------------------------------------------------------------------------
    def free_numbers(self, count):
        """Adds `count` numbers of a fresh area code; returns (ndc, numbers)."""
        ndc = str(next(_area_codes))
        numbers = ["+46%s%06d" % (ndc, i) for i in range(count)]
        self.server.cli("numbers", "add", *numbers, check=True)
        return ndc, numbers

    def post_pool(self, s=None, **fields):
        fields.setdefault("customer_id", self.cid)
        fields.setdefault("name", "Web " + unique())
        fields.setdefault("phonenr", "0890510")
        return self.call(s or self.alice, "POST", "/pools", data=fields)

    def pool(self, **fields):
        return self.one(self.post_pool(**fields), "pools")

    def get_pool(self, pool_id, s=None):
        return self.one(self.call(s or self.alice, "GET", "/pools", params={"pool_id": pool_id}),
                        "pools")

    def pools_of(self, customer_id, s=None, **params):
        resp = self.call(s or self.alice, "GET", "/pools",
                         params=dict(params, customer_id=customer_id))
        return self.ok(resp, "pools"), resp.json()

    def numbers_in(self, state):
        return {n["number"] for n in self.ok(self.call(self.alice, "GET", "/numbers",
                                                       params={"state": state}), "numbers")}

    def assert_field_error(self, resp, field, code="invalid", sent=None):
        errors = self.assert_error(resp, 400, code, field)
        if sent and len(sent) >= 4:
            for error in errors:
                self.assertNotIn(sent, error["message"], "the value is quoted")

    # -- the life of a pool ---------------------------------------------------------------
    def test_create_read_list_change_and_delete(self):
        ndc, numbers = self.free_numbers(3)
        pool = self.pool(name="Web visitors", media="web", ndc=ndc, count="2", is_default="1",
                         lease="900", grace="300", cooldown="120", fallback_number="0812345",
                         numbers_to_replace="08-123 45 67, +46 31 123456",
                         allowed_origins="https://shop.example,https://www.shop.example:8443",
                         rules=json.dumps(RULES), notify_on_missed_call="1")
        self.assertRegex(pool["pool_id"], r"^[1-9][0-9]*$")
        self.assertEqual(pool["source_id"], pool["pool_id"])
        self.assertEqual(pool["customer_id"], self.cid)
        self.assertNotIn("destnr", pool)
        self.assertTrue(POOL_SETTINGS <= set(pool), pool)
        self.assertEqual((pool["name"], pool["media"], pool["phonenr"]),
                         ("Web visitors", "web", "+46890510"))
        self.assertEqual(pool["notify_on_missed_call"], "1")
        self.assertEqual(pool["status"], "active")
        self.assertEqual((pool["is_default"], pool["lease"], pool["grace"], pool["cooldown"]),
                         ("1", "900", "300", "120"))
        self.assertEqual(pool["fallback_number"], "+46812345")
        self.assertEqual(pool["numbers_to_replace"], ["+4681234567", "+4631123456"])
        self.assertEqual(pool["allowed_origins"],
                         ["https://shop.example", "https://www.shop.example:8443"])
        self.assertEqual(pool["rules"], RULES)
        self.assertEqual([n["number"] for n in pool["numbers"]], numbers[:2])
        for number in pool["numbers"]:
            self.assertEqual(number["status"], "active")
            self.assertIsNone(number["quarantined_until"])
            self.assertRegex(number["added"], TIME_RE)
        # The inventory counts the two as taken; the third is still free.
        self.assertTrue(set(numbers[:2]) <= self.numbers_in("allocated"))
        self.assertIn(numbers[2], self.numbers_in("free"))

        self.assertEqual(self.get_pool(pool["pool_id"]), pool)
        listed, body = self.pools_of(self.cid)
        self.assertEqual(listed, [pool])
        self.assertEqual(body["total"], "1")

        # PUT changes what it is given, routing and pool settings alike, and nothing else.
        resp = self.call(self.alice, "PUT", "/pools", data={
            "pool_id": pool["pool_id"], "name": "Renamed", "lease": "1200",
            "rules": json.dumps(RULES[:1]), "allowed_origins": ""})
        changed = self.one(resp, "pools")
        self.assertEqual((changed["name"], changed["lease"]), ("Renamed", "1200"))
        self.assertEqual(changed["rules"], RULES[:1])
        self.assertEqual(changed["allowed_origins"], [])
        for key in ("grace", "cooldown", "fallback_number", "numbers_to_replace", "media",
                    "phonenr", "numbers", "is_default"):
            self.assertEqual(changed[key], pool[key], key)
        self.assertEqual(self.get_pool(pool["pool_id"]), changed)

        # DELETE quarantines the pool and its numbers, as a source's DELETE does.
        deleted = self.one(self.call(self.alice, "DELETE", "/pools",
                                     params={"pool_id": pool["pool_id"]}), "pools")
        self.assertEqual(deleted["status"], "quarantined")
        for number in deleted["numbers"]:
            self.assertEqual(number["status"], "quarantined")
            self.assertRegex(number["quarantined_until"], TIME_RE)
        self.assertEqual(self.get_pool(pool["pool_id"]), deleted)
        self.assertNotIn(numbers[0], self.numbers_in("free"))

    def test_a_created_pool_is_announced_as_a_created_source(self):
        ndc, _ = self.free_numbers(1)
        pool = self.pool(ndc=ndc, count="1", name="Web announced", media="web")
        events = self.ok(self.call(self.alice, "GET", "/events",
                                   params={"after": "0", "limit": "1000"}), "events")
        created = [e for e in events
                   if e["type"] == "source.created" and e["source_id"] == pool["pool_id"]]
        self.assertEqual(len(created), 1, events)
        self.assertEqual(created[0]["data"], {
            "source_id": pool["pool_id"], "customer_id": self.cid, "name": "Web announced",
            "media": "web", "destnr": "", "phonenr": pool["phonenr"], "status": "active"})

    def test_a_customer_has_one_default_pool(self):
        ndc, _ = self.free_numbers(4)
        first = self.pool(ndc=ndc, count="1", is_default="1")
        second = self.pool(ndc=ndc, count="1", is_default="1")
        self.assertEqual((self.get_pool(first["pool_id"])["is_default"], second["is_default"]),
                         ("0", "1"), "the new default takes over")
        changed = self.one(self.call(self.alice, "PUT", "/pools", data={
            "pool_id": first["pool_id"], "is_default": "1"}), "pools")
        self.assertEqual((changed["is_default"], self.get_pool(second["pool_id"])["is_default"]),
                         ("1", "0"))
        # Another customer's default is its own.
        other = self.customer()
        elsewhere = self.pool(customer_id=other, ndc=ndc, count="1", is_default="1")
        self.assertEqual((self.get_pool(first["pool_id"])["is_default"],
                          elsewhere["is_default"]), ("1", "1"))

    def test_defaults_and_paging(self):
        ndc, _ = self.free_numbers(6)
        first = self.pool(ndc=ndc)
        self.assertEqual(len(first["numbers"]), 4, "a create takes 4 numbers by default")
        self.assertEqual((first["is_default"], first["lease"], first["grace"],
                          first["cooldown"]), ("0", "1800", "600", "300"))
        self.assertIsNone(first["fallback_number"])
        self.assertEqual((first["rules"], first["allowed_origins"],
                          first["numbers_to_replace"]), ([], [], []))
        second = self.pool(ndc=ndc, count="1")
        third = self.pool(ndc=ndc, count="1")
        page, body = self.pools_of(self.cid, pagesize="2", page="1")
        self.assertEqual((body["total"], body["numpages"]), ("3", "2"))
        self.assertEqual([p["pool_id"] for p in page], [third["pool_id"]])
        page, _ = self.pools_of(self.cid, pagesize="2")
        self.assertEqual([p["pool_id"] for p in page], [first["pool_id"], second["pool_id"]])

    def test_grow_and_shrink(self):
        ndc, numbers = self.free_numbers(4)
        pool = self.pool(ndc=ndc, count="1")
        grown = self.one(self.call(self.alice, "POST", "/pools/numbers", data={
            "pool_id": pool["pool_id"], "count": "2", "ndc": ndc}), "pools")
        self.assertEqual([n["number"] for n in grown["numbers"]], numbers[:3])

        shrunk = self.one(self.call(self.alice, "DELETE", "/pools/numbers", params={
            "pool_id": pool["pool_id"], "number": numbers[1]}), "pools")
        by_number = {n["number"]: n for n in shrunk["numbers"]}
        self.assertEqual(by_number[numbers[1]]["status"], "quarantined")
        self.assertRegex(by_number[numbers[1]]["quarantined_until"], TIME_RE)
        self.assertEqual(by_number[numbers[0]]["status"], "active")
        # Quarantined, not free: a grow takes the fourth number, never the removed one.
        self.assertNotIn(numbers[1], self.numbers_in("free"))
        grown = self.one(self.call(self.alice, "POST", "/pools/numbers", data={
            "pool_id": pool["pool_id"], "count": "1", "ndc": ndc}), "pools")
        self.assertIn(numbers[3], [n["number"] for n in grown["numbers"]])

        # Removing it again, or a number the pool never had, names the number.
        for number in (numbers[1], "+46890510"):
            resp = self.call(self.alice, "DELETE", "/pools/numbers",
                             params={"pool_id": pool["pool_id"], "number": number})
            self.assert_error(resp, 404, "not_found", "number")
        for params, field in (({"pool_id": pool["pool_id"]}, "number"),
                              ({"number": numbers[0]}, "pool_id"),
                              ({"pool_id": pool["pool_id"], "number": "abc"}, "number")):
            resp = self.call(self.alice, "DELETE", "/pools/numbers", params=params)
            self.assert_error(resp, 400, None, field)
        for data, field in (({"pool_id": pool["pool_id"]}, "count"),
                            ({"pool_id": pool["pool_id"], "count": "0"}, "count"),
                            ({"pool_id": pool["pool_id"], "count": "101"}, "count"),
                            ({"pool_id": pool["pool_id"], "count": "1", "ndc": "x"}, "ndc"),
                            ({"count": "1"}, "pool_id")):
            resp = self.call(self.alice, "POST", "/pools/numbers", data=data)
            self.assert_error(resp, 400, None, field)
        self.assertEqual(len(self.get_pool(pool["pool_id"])["numbers"]), 4)

    # -- the inventory runs out -----------------------------------------------------------
    def test_running_out_of_numbers_leaves_nothing_half_written(self):
        ndc, numbers = self.free_numbers(2)
        resp = self.post_pool(ndc=ndc, count="3")
        self.assert_error(resp, 409, "no_free_number", "count")
        # No pool, and both numbers still free: the create was all or nothing.
        self.assertEqual(self.pools_of(self.cid)[0], [])
        self.assertTrue(set(numbers) <= self.numbers_in("free"))
        sources = self.ok(self.call(self.alice, "GET", "/sources",
                                    params={"customer_id": self.cid}), "sources")
        self.assertEqual(sources, [])

        pool = self.pool(ndc=ndc, count="1")
        resp = self.call(self.alice, "POST", "/pools/numbers",
                         data={"pool_id": pool["pool_id"], "count": "2", "ndc": ndc})
        self.assert_error(resp, 409, "no_free_number", "count")
        self.assertEqual(self.get_pool(pool["pool_id"]), pool)
        self.assertIn(numbers[1], self.numbers_in("free"))

    # -- bad input ------------------------------------------------------------------------
    BAD_FIELDS = [
        ("customer_id", "abc", "invalid"), ("name", "", "missing"),
        ("name", "n" * 101, "too_long"), ("phonenr", "abcd", "invalid"),
        ("media", "m" * 101, "too_long"), ("campaign_id", "-1", "invalid"),
        ("notify_on_missed_call", "2", "invalid"), ("alt_numbers", "[{", "invalid"),
        ("is_default", "yes", "invalid"), ("lease", "59", "invalid"),
        ("lease", "86401", "invalid"), ("grace", "-1", "invalid"),
        ("cooldown", "1h", "invalid"), ("fallback_number", "notanumber", "invalid"),
        ("numbers_to_replace", "0812345,,0812346", "invalid"),
        ("numbers_to_replace", "0812345,QUOTEME", "invalid"),
        ("numbers_to_replace", ",".join(["0812345"] * 21), "invalid"),
        ("numbers_to_replace", "0" * 2001, "too_long"),
        ("allowed_origins", "http://shop.example", "invalid"),
        ("allowed_origins", "https://Shop.Example", "invalid"),
        ("allowed_origins", "https://shop.example/path", "invalid"),
        ("allowed_origins", "https://shop.example:0", "invalid"),
        ("allowed_origins", "https://shop.example:65536", "invalid"),
        ("allowed_origins", "https://-quoteme.example", "invalid"),
        ("allowed_origins", "ftp://shop.example", "invalid"),
        ("allowed_origins", "https://:443", "invalid"),
        ("rules", "not json at all", "invalid"), ("rules", "{}", "invalid"),
        ("rules", '[{"kind":"quoteme","value":"x"}]', "invalid"),
        ("rules", '[{"kind":"utm_exact","value":"x"}]', "invalid"),
        ("rules", '[{"kind":"utm_prefix","field":"quoteme","value":"x"}]', "invalid"),
        ("rules", '[{"kind":"referrer_host","field":"source","value":"x"}]', "invalid"),
        ("rules", '[{"kind":"referrer_host","value":""}]', "invalid"),
        ("rules", '[{"kind":"referrer_host","value":7}]', "invalid"),
        ("rules", '[{"kind":"referrer_host","value":"x","extra":"y"}]', "invalid"),
        ("rules", json.dumps([{"kind": "referrer_host", "value": "v" * 257}]), "invalid"),
        ("rules", json.dumps([{"kind": "referrer_host", "value": "x"}] * 51), "invalid"),
        ("rules", "[" + " " * 20001 + "]", "too_long"),
        ("count", "0", "invalid"), ("count", "101", "invalid"), ("ndc", "x", "invalid"),
        ("destnr", "+46890510", "unknown_parameter"),
        ("timestamp", "2030-01-01", "unknown_parameter"),
    ]

    def test_each_bad_field_is_a_400_naming_it_and_writes_nothing(self):
        ndc, numbers = self.free_numbers(1)
        for field, value, code in self.BAD_FIELDS:
            with self.subTest(field=field, value=value[:40]):
                resp = self.post_pool(**{"ndc": ndc, "count": "1", field: value})
                self.assert_field_error(resp, field, code, sent=value)
        for field in ("customer_id", "name", "phonenr"):
            with self.subTest(missing=field):
                data = {"customer_id": self.cid, "name": "n", "phonenr": "0890510", "ndc": ndc,
                        "count": "1"}
                del data[field]
                resp = self.call(self.alice, "POST", "/pools", data=data)
                self.assert_field_error(resp, field, "missing")
        self.assertEqual(self.pools_of(self.cid)[0], [])
        self.assertIn(numbers[0], self.numbers_in("free"))

        # PUT refuses the same values and changes nothing.
        pool = self.pool(ndc=ndc, count="1")
        changeable = [b for b in self.BAD_FIELDS if b[0] not in (
            "customer_id", "count", "ndc", "destnr")]
        for field, value, code in changeable:
            with self.subTest(put=field, value=value[:40]):
                resp = self.call(self.alice, "PUT", "/pools",
                                 data={"pool_id": pool["pool_id"], field: value})
                self.assert_field_error(resp, field, code, sent=value)
        self.assertEqual(self.get_pool(pool["pool_id"]), pool)

    def test_one_answer_names_every_bad_field(self):
        resp = self.post_pool(lease="1", rules="[", allowed_origins="x")
        errors = self.assert_error(resp, 400)
        self.assertEqual({e["field"] for e in errors}, {"lease", "rules", "allowed_origins"})

    def test_text_that_is_not_utf8_is_refused(self):
        ndc, _ = self.free_numbers(1)
        for field in ("name", "media", "rules", "allowed_origins", "numbers_to_replace"):
            with self.subTest(field):
                pairs = [("customer_id", self.cid), ("name", "n"), ("phonenr", "0890510"),
                         ("ndc", ndc), ("count", "1")]
                pairs = [(k, v) for k, v in pairs if k != field] + [(field, b"Malm\xf6")]
                resp = self.alice.post(self.url("/pools"), data=urllib.parse.urlencode(pairs),
                                       headers=FORM_TYPE, timeout=30)
                errors = self.assert_error(resp, 400, "invalid_encoding", field)
                for error in errors:
                    self.assertNotIn("Malm", error["message"])
        self.assertEqual(self.pools_of(self.cid)[0], [])

    def test_a_refused_routing_change_leaves_the_pool_settings_too(self):
        # campaign_id is checked against the stored customer inside the routing change; the
        # pool settings of the same PUT must not land without it.
        other = self.customer()
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": other, "name": "c", "pricing_model_id": "ppc"}), "campaigns")
        ndc, _ = self.free_numbers(1)
        pool = self.pool(ndc=ndc, count="1")
        resp = self.call(self.alice, "PUT", "/pools", data={
            "pool_id": pool["pool_id"], "lease": "600", "campaign_id": campaign["campaign_id"]})
        self.assert_field_error(resp, "campaign_id")
        self.assertEqual(self.get_pool(pool["pool_id"]), pool)

    def test_a_static_source_is_no_pool(self):
        source = self.one(self.source(self.cid), "sources")
        sid = source["source_id"]
        resp = self.call(self.alice, "GET", "/pools", params={"pool_id": sid})
        self.assert_error(resp, 404, "not_found", "pool_id")
        for method, params in (("PUT", {"pool_id": sid, "name": "Changed"}),
                               ("DELETE", {"pool_id": sid})):
            resp = self.call(self.alice, method, "/pools", params=params)
            self.assert_error(resp, 404, "not_found", "pool_id")
        after = self.one(self.call(self.alice, "GET", "/sources/%s" % sid), "sources")
        self.assertEqual(after, source)

    def test_sources_see_no_pool(self):
        # A pool is a source of kind dynamic, reached only through /pools: to /sources its id
        # is as unknown as an id nobody has, and its lists leave it out.
        ndc, _ = self.free_numbers(1)
        pool = self.pool(ndc=ndc, count="1")
        static = self.one(self.source(self.cid), "sources")
        unknown = str(int(pool["pool_id"]) + 1000000)

        def answer(method, path, sid, **params):
            params["source_id"] = sid
            if method in ("GET", "DELETE"):
                resp = self.call(self.alice, method, path.format(sid), params=params)
            else:
                resp = self.call(self.alice, method, path.format(sid), data=params)
            return resp.status_code, resp.text

        probes = [
            ("GET", "/sources", {}), ("GET", "/sources/{}", {}),
            ("PUT", "/sources", {"name": "Changed"}), ("PUT", "/sources/{}", {"name": "Changed"}),
            ("DELETE", "/sources", {}), ("DELETE", "/sources/{}", {}),
            ("POST", "/sources/reactivate", {}),
            ("POST", "/sources/extend", {"expire": "2099-01-01"}),
        ]
        for method, path, params in probes:
            with self.subTest(method=method, path=path):
                status, text = answer(method, path, pool["pool_id"], **params)
                self.assertEqual(status, 404)
                self.assertEqual((status, text), answer(method, path, unknown, **params))
        self.assertEqual(self.get_pool(pool["pool_id"]), pool)

        listed = self.ok(self.call(self.alice, "GET", "/sources",
                                   params={"customer_id": self.cid}), "sources")
        self.assertEqual([s["source_id"] for s in listed], [static["source_id"]])
        # A deleted pool is out of service, and still no source of /sources/statuses.
        self.call(self.alice, "DELETE", "/pools", params={"pool_id": pool["pool_id"]})
        self.assertEqual(self.get_pool(pool["pool_id"])["status"], "quarantined")
        statuses = self.call(self.alice, "GET", "/sources/statuses",
                             params={"customer_id": self.cid})
        self.assertEqual(statuses.status_code, 200)
        self.assertEqual(statuses.json(), {"statuses": []})

    # -- isolation ------------------------------------------------------------------------
    def test_another_partners_customer_and_pool_are_not_found(self):
        ndc, numbers = self.free_numbers(2)
        pool = self.pool(ndc=ndc, count="1")
        bob = self.bob
        resp = self.post_pool(s=bob, ndc=ndc, count="1")
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(bob, "GET", "/pools", params={"customer_id": self.cid})
        self.assert_error(resp, 404, "not_found", "customer_id")
        probes = [
            ("GET", "/pools", {"pool_id": pool["pool_id"]}),
            ("PUT", "/pools", {"pool_id": pool["pool_id"], "name": "Stolen", "lease": "60"}),
            ("DELETE", "/pools", {"pool_id": pool["pool_id"]}),
            ("POST", "/pools/numbers", {"pool_id": pool["pool_id"], "count": "1"}),
            ("DELETE", "/pools/numbers", {"pool_id": pool["pool_id"], "number": numbers[0]}),
        ]
        for method, path, params in probes:
            with self.subTest(method=method, path=path):
                if method in ("GET", "DELETE"):
                    resp = self.call(bob, method, path, params=params)
                else:
                    resp = self.call(bob, method, path, data=params)
                self.assert_error(resp, 404, "not_found", "pool_id")
                self.assertNotIn(numbers[0], resp.text)
        self.assertEqual(self.get_pool(pool["pool_id"]), pool)
        self.assertIn(numbers[1], self.numbers_in("free"))


if __name__ == "__main__":
    unittest.main()
