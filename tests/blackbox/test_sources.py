"""/sources as docs/api.md and the Freespee reference (§2.10-2.11) describe it: creation and
number allocation, filters, updates, alt_numbers and partner isolation."""

import itertools
import json
import re
import threading
import unittest

import requests
from requests.auth import HTTPDigestAuth

from harness import HTTP_TIMEOUT, TIME_RE, ServerTestCase, add_partner, unique

SOURCE_KEYS = {
    "source_id", "name", "email", "smsnumber", "media", "customer_id", "phonenr", "destnr",
    "timestamp", "expire", "created", "modified", "class", "status", "vm_greeting_id",
    "campaign_id", "publisher_id", "notify_on_missed_call", "notify_on_new_voicemail",
    "vm_divert_all", "vm_divert_busy", "vm_divert_noanswer", "alt_numbers",
}
NULLABLE_SOURCE_KEYS = ("email", "smsnumber", "expire", "vm_greeting_id", "campaign_id",
                        "publisher_id")
DEMO_NUMBER_RE = re.compile(r"^\+468520000\d\d$")
ALT_RULE_KEYS = {"alt_key", "phonenr", "weekdays", "from_time", "to_time"}

# Inventory blocks of Gothenburg (031) numbers; each call hands out a block no test used.
_blocks = itertools.count(100)


def number_block(size):
    block = next(_blocks)
    return ["+4631%03d%04d" % (block, i) for i in range(size)]


class SourcesMixin:
    """Helpers shared by the test classes below (they all run on ServerTestCase)."""

    def customer(self, s, **fields):
        fields.setdefault("name", "Customer " + unique())
        fields.setdefault("custnr", unique("cn"))
        return self.one(self.call(s, "POST", "/customers", data=fields), "customers")

    def post_source(self, s, customer_id, **fields):
        fields.setdefault("name", "Source " + unique())
        fields.setdefault("phonenr", "0890510")
        fields["customer_id"] = customer_id
        return self.call(s, "POST", "/sources", data=fields)

    def source(self, s, customer_id, **fields):
        return self.one(self.post_source(s, customer_id, **fields), "sources")

    def sources(self, s, **params):
        return self.ok(self.call(s, "GET", "/sources", params=params), "sources")

    def total_sources(self, s, **params):
        resp = self.call(s, "GET", "/sources", params=dict(params, pagesize=1))
        self.ok(resp, "sources")
        return int(resp.json()["total"])

    def numbers(self, s, **params):
        return self.ok(self.call(s, "GET", "/numbers", params=params), "numbers")

    def free_numbers(self, s):
        return [n["number"] for n in self.numbers(s, state="free")]

    def new_partner(self, country="SE"):
        """A partner created through the CLI while the server runs; returns (username, session)."""
        username = unique("p")
        password = "pw-" + username
        add_partner(self.server.db, username, password, country=country)
        s = requests.Session()
        s.auth = HTTPDigestAuth(username, password)
        self.addCleanup(s.close)
        return username, s

    def add_numbers(self, numbers, partner=None):
        args = ["numbers", "add"] + (["--partner", partner] if partner else []) + list(numbers)
        self.server.cli(*args, check=True)

    def assert_source_shape(self, src):
        self.assertEqual(set(src), SOURCE_KEYS)
        self.assertIsInstance(src["alt_numbers"], list)
        scalars = {k: v for k, v in src.items() if k != "alt_numbers"}
        self.assert_scalars_are_strings(scalars, nullable=NULLABLE_SOURCE_KEYS)


class SeedWalkthroughTest(SourcesMixin, ServerTestCase):
    """The reference's getting-started example, with curl --digest against `callsightd --demo`."""

    DEMO = True

    def curl_demo(self, path, *fields):
        args = ["--digest", "-u", "demo:demo"]
        for field in fields:
            args += ["-d", field]
        status, body = self.curl(*args, self.url(path))
        try:
            return status, json.loads(body)
        except ValueError:
            self.fail("%s -> %d, not JSON: %r" % (path, status, body[:300]))

    def test_seed_walkthrough(self):
        status, body = self.curl_demo("/miscellaneous/ping")
        self.assertEqual((status, body), (200, {"ping": "ok"}))

        status, body = self.curl_demo("/customers", "name=DailyLoans", "custnr=1412")
        self.assertEqual(status, 200, body)
        customer = body["customers"][0]
        self.assertEqual((customer["name"], customer["custnr"]), ("DailyLoans", "1412"))

        status, body = self.curl_demo("/sources", "customer_id=" + customer["customer_id"],
                                      "name=AdWords", "media=Google.com", "phonenr=0890510")
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"sources"})
        self.assertEqual(len(body["sources"]), 1, body)
        src = body["sources"][0]
        self.assert_source_shape(src)
        self.assertRegex(src["source_id"], r"^[1-9][0-9]*$")
        self.assertEqual(src["customer_id"], customer["customer_id"])
        self.assertEqual(src["name"], "AdWords")
        self.assertEqual(src["media"], "Google.com")
        self.assertEqual(src["phonenr"], "+46890510")
        self.assertRegex(src["destnr"], DEMO_NUMBER_RE)
        self.assertEqual(src["status"], "active")
        self.assertEqual(src["alt_numbers"], [])
        self.assertEqual(src["class"], "0")
        self.assertIsNone(src["expire"])
        for key in ("timestamp", "created", "modified"):
            self.assertRegex(src[key], TIME_RE)
        for key in ("notify_on_missed_call", "notify_on_new_voicemail", "vm_divert_all",
                    "vm_divert_busy", "vm_divert_noanswer"):
            self.assertEqual(src[key], "0", key)

        # The number is now held by the source, and the source can be read back.
        status, body = self.curl_demo("/sources/" + src["source_id"])
        self.assertEqual(status, 200, body)
        self.assertEqual(body["sources"][0], src)
        status, body = self.curl_demo("/numbers?state=allocated")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["numbers"], [{"number": src["destnr"], "state": "allocated",
                                            "source_id": src["source_id"]}])


class SourcesTest(SourcesMixin, ServerTestCase):
    """Runs on the 100 unrestricted demo numbers (+46852000000..99)."""

    DEMO = True
    PARTNERS = {"alice": dict(password="alice-pw"), "bob": dict(password="bob-pw")}

    def setUp(self):
        self.alice = self.session("alice")
        self.bob = self.session("bob")
        self.cid = self.customer(self.alice)["customer_id"]

    # -- create and normalise ---------------------------------------------------------------
    def test_create_answers_the_full_object(self):
        resp = self.post_source(self.alice, self.cid, name="AdWords", media="Google.com",
                                phonenr="0890510")
        src = self.one(resp, "sources")
        self.assertEqual(set(resp.json()), {"sources"})
        self.assert_source_shape(src)
        self.assertEqual(src["phonenr"], "+46890510")
        self.assertRegex(src["destnr"], DEMO_NUMBER_RE)
        self.assertEqual(src["status"], "active")
        self.assertEqual(src["alt_numbers"], [])

    def test_national_answering_number_with_area_code_is_normalised(self):
        self.assertEqual(self.source(self.alice, self.cid, phonenr="01890520")["phonenr"],
                         "+461890520")

    def test_e164_answering_number_is_kept(self):
        self.assertEqual(self.source(self.alice, self.cid, phonenr="+4687654321")["phonenr"],
                         "+4687654321")
        self.assertEqual(self.source(self.alice, self.cid, phonenr="+442079460000")["phonenr"],
                         "+442079460000")

    def test_bad_answering_numbers_are_400(self):
        before = self.total_sources(self.alice)
        for bad in ("notanumber", "08abc0510", "12", "+4612", "0812345678901234567",
                    "+46812345678901234567"):
            with self.subTest(phonenr=bad):
                self.assert_error(self.post_source(self.alice, self.cid, phonenr=bad), 400,
                                  "invalid", "phonenr")
        self.assertEqual(self.total_sources(self.alice), before)

    def test_missing_mandatory_fields_are_named(self):
        for missing in ("customer_id", "name", "phonenr"):
            with self.subTest(missing=missing):
                fields = {"customer_id": self.cid, "name": "AdWords", "phonenr": "0890510"}
                del fields[missing]
                resp = self.call(self.alice, "POST", "/sources", data=fields)
                self.assert_error(resp, 400, "missing", missing)
        errors = self.assert_error(self.call(self.alice, "POST", "/sources", data={"x": ""}),
                                   400)
        missing = {e["field"] for e in errors if e["code"] == "missing"}
        self.assertEqual(missing, {"customer_id", "name", "phonenr"}, errors)

    def test_unknown_parameter_is_400(self):
        before = self.total_sources(self.alice)
        resp = self.post_source(self.alice, self.cid, colour="blue")
        self.assert_error(resp, 400, "unknown_parameter", "colour")
        self.assertEqual(self.total_sources(self.alice), before)

    def test_another_partners_customer_is_404_and_takes_no_number(self):
        free_before = self.free_numbers(self.alice)
        bob_before = self.total_sources(self.bob)
        resp = self.post_source(self.bob, self.cid)
        self.assert_error(resp, 404, "not_found", "customer_id")
        self.assertEqual(self.free_numbers(self.alice), free_before)
        self.assertEqual(self.total_sources(self.bob), bob_before)
        self.assert_error(self.post_source(self.alice, "999999"), 404, "not_found", "customer_id")

    # -- choosing the number -------------------------------------------------------------------
    def test_destnr_gets_exactly_that_free_number(self):
        wanted = self.free_numbers(self.alice)[-1]
        src = self.source(self.alice, self.cid, destnr=wanted)
        self.assertEqual(src["destnr"], wanted)
        self.assertNotIn(wanted, self.free_numbers(self.alice))

    def test_destnr_in_national_form(self):
        wanted = self.free_numbers(self.alice)[-1]
        national = "0" + wanted[3:]
        self.assertEqual(self.source(self.alice, self.cid, destnr=national)["destnr"], wanted)

    def test_destnr_of_an_allocated_number_is_409(self):
        taken = self.source(self.alice, self.cid)["destnr"]
        before = self.total_sources(self.alice)
        resp = self.post_source(self.alice, self.cid, destnr=taken)
        self.assert_error(resp, 409, "no_free_number", "destnr")
        self.assertEqual(self.total_sources(self.alice), before)
        # Another partner cannot take it either.
        cid = self.customer(self.bob)["customer_id"]
        self.assert_error(self.post_source(self.bob, cid, destnr=taken), 409, "no_free_number",
                          "destnr")

    def test_destnr_not_in_the_inventory_is_409(self):
        self.assert_error(self.post_source(self.alice, self.cid, destnr="+46317770000"), 409,
                          "no_free_number", "destnr")

    def test_ndc_picks_a_number_in_that_area(self):
        for ndc in ("8", "08"):
            with self.subTest(ndc=ndc):
                self.assertTrue(self.source(self.alice, self.cid, ndc=ndc)["destnr"]
                                .startswith("+468"))
        self.assertTrue(self.source(self.alice, self.cid, ndc="852")["destnr"]
                        .startswith("+46852"))

    def test_ndc_without_free_numbers_is_409(self):
        before = self.total_sources(self.alice)
        for ndc in ("31", "031", "40"):
            with self.subTest(ndc=ndc):
                self.assert_error(self.post_source(self.alice, self.cid, ndc=ndc), 409,
                                  "no_free_number", "destnr")
        self.assertEqual(self.total_sources(self.alice), before)

    def test_ndc_that_is_not_digits_is_400(self):
        self.assert_error(self.post_source(self.alice, self.cid, ndc="8a"), 400, "invalid", "ndc")

    # -- GET filters ---------------------------------------------------------------------
    def test_get_by_id_in_path_and_parameter(self):
        src = self.source(self.alice, self.cid)
        by_path = self.one(self.call(self.alice, "GET", "/sources/" + src["source_id"]),
                           "sources")
        by_param = self.one(self.call(self.alice, "GET", "/sources",
                                      params={"source_id": src["source_id"]}), "sources")
        self.assertEqual(by_path, src)
        self.assertEqual(by_param, src)
        self.assert_error(self.call(self.alice, "GET", "/sources/999999"), 404, "not_found",
                          "source_id")

    def test_get_filters(self):
        customer = self.customer(self.alice)
        cid = customer["customer_id"]
        first = self.source(self.alice, cid)
        second = self.source(self.alice, cid, **{"class": "7"})
        reserved = self.source(self.alice, cid, reserve_number="1")
        other = self.source(self.alice, self.cid, **{"class": "7"})

        def ids(**params):
            return [s["source_id"] for s in self.sources(self.alice, **params)]

        all_three = [first["source_id"], second["source_id"], reserved["source_id"]]
        self.assertEqual(ids(customer_id=cid), all_three)
        self.assertEqual(ids(custnr=customer["custnr"]), all_three)
        self.assertEqual(ids(destnr=second["destnr"]), [second["source_id"]])
        self.assertEqual(ids(destnr="0" + second["destnr"][3:]), [second["source_id"]])
        self.assertEqual(ids(customer_id=cid, status="reserved"), [reserved["source_id"]])
        self.assertEqual(ids(customer_id=cid, status="active"),
                         [first["source_id"], second["source_id"]])
        self.assertEqual(ids(customer_id=cid, status="quarantined"), [])
        self.assertEqual(ids(customer_id=cid, **{"class": "7"}), [second["source_id"]])
        self.assertIn(other["source_id"], ids(**{"class": "7"}))
        self.assertNotIn(first["source_id"], ids(**{"class": "7"}))
        self.assertEqual(ids(custnr=unique("nobody")), [])
        self.assert_error(self.call(self.alice, "GET", "/sources", params={"status": "asleep"}),
                          400, "invalid", "status")

    def test_paging_totals(self):
        cid = self.customer(self.alice)["customer_id"]
        made = [self.source(self.alice, cid)["source_id"] for _ in range(3)]
        pages = []
        for page in range(3):
            resp = self.call(self.alice, "GET", "/sources",
                             params={"customer_id": cid, "pagesize": 2, "page": page})
            items = self.ok(resp, "sources")
            body = resp.json()
            self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                             ("3", str(page), "2", "2"))
            pages.append([s["source_id"] for s in items])
        self.assertEqual(pages, [made[:2], made[2:], []])
        self.assert_error(self.call(self.alice, "GET", "/sources", params={"pagesize": "-1"}),
                          400)

    # -- PUT -------------------------------------------------------------------------------
    def test_put_changes_fields(self):
        src = self.source(self.alice, self.cid, name="AdWords", media="Google.com")
        resp = self.call(self.alice, "PUT", "/sources/" + src["source_id"],
                         data={"name": "Bing", "media": "bing.com", "phonenr": "031123456"})
        changed = self.one(resp, "sources")
        self.assertEqual((changed["name"], changed["media"], changed["phonenr"]),
                         ("Bing", "bing.com", "+4631123456"))
        self.assertEqual(changed["destnr"], src["destnr"])
        self.assertEqual(changed["status"], "active")
        again = self.one(self.call(self.alice, "GET", "/sources/" + src["source_id"]), "sources")
        self.assertEqual(again, changed)
        # source_id as a parameter works too, and fields not given keep their value.
        resp = self.call(self.alice, "PUT", "/sources",
                         data={"source_id": src["source_id"], "media": "Yahoo"})
        self.assertEqual(self.one(resp, "sources")["name"], "Bing")

    def test_a_read_by_id_sees_each_change_at_once(self):
        # Reads by id are answered from memory until this node writes anything
        # (store/sql/recent_rows.hpp): no read may give the source as it was.
        src = self.source(self.alice, self.cid, name="AdWords")
        by_id = lambda: self.one(self.call(self.alice, "GET", "/sources",
                                           params={"source_id": src["source_id"]}), "sources")
        for _ in range(3):
            self.assertEqual(by_id()["name"], "AdWords")
        self.call(self.alice, "PUT", "/sources", data={"source_id": src["source_id"],
                                                        "name": "Bing"})
        self.assertEqual(by_id()["name"], "Bing")
        self.call(self.alice, "DELETE", "/sources", data={"source_id": src["source_id"]})
        self.assertEqual(by_id()["status"], "quarantined")
        self.call(self.alice, "POST", "/sources/reactivate",
                  data={"source_id": src["source_id"]})
        self.assertEqual(by_id()["status"], "active")
        # Another partner never gets it, read from memory or not.
        resp = self.call(self.bob, "GET", "/sources", params={"source_id": src["source_id"]})
        self.assertEqual(resp.status_code, 404, resp.text)

    def test_put_refuses_bad_input(self):
        src = self.source(self.alice, self.cid)
        path = "/sources/" + src["source_id"]
        other = [n for n in self.free_numbers(self.alice) if n != src["destnr"]][0]
        self.assert_error(self.call(self.alice, "PUT", path, data={"destnr": other}), 400,
                          "invalid", "destnr")
        self.assert_error(self.call(self.alice, "PUT", path, data={"colour": "red"}), 400,
                          "unknown_parameter", "colour")
        self.assert_error(self.call(self.alice, "PUT", path, data={"phonenr": "abc"}), 400,
                          "invalid", "phonenr")
        self.assert_error(self.call(self.alice, "PUT", path, data={"customer_id": self.cid}),
                          400, "unknown_parameter", "customer_id")
        self.assertIn(other, self.free_numbers(self.alice))
        # The same destnr is no change and is accepted.
        resp = self.call(self.alice, "PUT", path, data={"destnr": src["destnr"]})
        self.assertEqual(self.one(resp, "sources")["destnr"], src["destnr"])
        self.assertEqual(self.one(self.call(self.alice, "GET", path), "sources")["phonenr"],
                         src["phonenr"])

    # -- alt_numbers ---------------------------------------------------------------------
    def test_alt_numbers_are_stored_with_keys_and_e164(self):
        rules = [
            {"phonenr": "0701234567", "weekdays": "mon,tue,wed,thu,fri", "from_time": "08:00",
             "to_time": "17:00"},
            {"phonenr": "voicemail", "weekdays": "sat,sun", "from_time": "00:00",
             "to_time": "24:00"},
        ]
        src = self.source(self.alice, self.cid, alt_numbers=json.dumps(rules))
        stored = src["alt_numbers"]
        self.assertEqual(len(stored), 2, stored)
        for rule in stored:
            self.assertEqual(set(rule), ALT_RULE_KEYS)
            self.assertRegex(rule["alt_key"], r"^\S+$")
        self.assertNotEqual(stored[0]["alt_key"], stored[1]["alt_key"])
        self.assertEqual(stored[0]["phonenr"], "+46701234567")
        self.assertEqual(stored[0]["weekdays"], "mon,tue,wed,thu,fri")
        self.assertEqual((stored[0]["from_time"], stored[0]["to_time"]), ("08:00", "17:00"))
        self.assertEqual(stored[1]["phonenr"], "voicemail")
        self.assertEqual((stored[1]["from_time"], stored[1]["to_time"]), ("00:00", "24:00"))
        read = self.one(self.call(self.alice, "GET", "/sources/" + src["source_id"]), "sources")
        self.assertEqual(read["alt_numbers"], stored)

    def test_put_alt_numbers_replaces_the_rules(self):
        first = [{"phonenr": "0701234567", "weekdays": "mon", "from_time": "08:00",
                  "to_time": "12:00"}]
        src = self.source(self.alice, self.cid, alt_numbers=json.dumps(first))
        path = "/sources/" + src["source_id"]
        second = [{"phonenr": "+46709999999", "weekdays": "fri", "from_time": "13:00",
                   "to_time": "14:30"}]
        resp = self.call(self.alice, "PUT", path, data={"alt_numbers": json.dumps(second)})
        stored = self.one(resp, "sources")["alt_numbers"]
        self.assertEqual([(r["phonenr"], r["weekdays"], r["from_time"], r["to_time"])
                          for r in stored], [("+46709999999", "fri", "13:00", "14:30")])
        # A PUT without alt_numbers leaves them alone; "[]" and "" remove them all.
        resp = self.call(self.alice, "PUT", path, data={"name": "renamed"})
        self.assertEqual(self.one(resp, "sources")["alt_numbers"], stored)
        resp = self.call(self.alice, "PUT", path, data={"alt_numbers": "[]"})
        self.assertEqual(self.one(resp, "sources")["alt_numbers"], [])
        self.call(self.alice, "PUT", path, data={"alt_numbers": json.dumps(second)})
        resp = self.call(self.alice, "PUT", path, data={"alt_numbers": ""})
        self.assertEqual(self.one(resp, "sources")["alt_numbers"], [])

    def test_invalid_alt_numbers_are_400_naming_the_rule(self):
        good = {"phonenr": "0701234567", "weekdays": "mon", "from_time": "08:00",
                "to_time": "17:00"}
        cases = {
            "unknown weekday": dict(good, weekdays="mon,funday"),
            "from after to": dict(good, from_time="17:00", to_time="08:00"),
            "from equals to": dict(good, from_time="10:00", to_time="10:00"),
            "bad number": dict(good, phonenr="abc"),
            "bad time": dict(good, to_time="25:00"),
            "unknown key": dict(good, colour="red"),
        }
        src = self.source(self.alice, self.cid, alt_numbers=json.dumps([good]))
        path = "/sources/" + src["source_id"]
        before = self.total_sources(self.alice)
        for label, bad in cases.items():
            with self.subTest(label):
                body = json.dumps([good, bad])
                for resp in (self.post_source(self.alice, self.cid, alt_numbers=body),
                             self.call(self.alice, "PUT", path, data={"alt_numbers": body})):
                    errors = self.assert_error(resp, 400, "invalid", "alt_numbers")
                    self.assertIn("alt_numbers[1]", " ".join(e["message"] for e in errors))
        resp = self.post_source(self.alice, self.cid, alt_numbers="[{not json")
        self.assert_error(resp, 400, "invalid", "alt_numbers")
        self.assertEqual(self.total_sources(self.alice), before)
        read = self.one(self.call(self.alice, "GET", path), "sources")
        self.assertEqual(read["alt_numbers"], src["alt_numbers"])

    # -- isolation -----------------------------------------------------------------------
    def test_partners_cannot_see_or_touch_each_others_sources(self):
        src = self.source(self.alice, self.cid, reserve_number="1")
        path = "/sources/" + src["source_id"]
        # Alice sees her reserved source in the statuses; Bob does not.
        alice_statuses = self.ok(self.call(self.alice, "GET", "/sources/statuses"), "statuses")
        self.assertIn(src["source_id"], [s["source_id"] for s in alice_statuses])

        self.assert_error(self.call(self.bob, "GET", path), 404, "not_found", "source_id")
        self.assert_error(self.call(self.bob, "GET", "/sources",
                                    params={"source_id": src["source_id"]}), 404, "not_found",
                          "source_id")
        self.assert_error(self.call(self.bob, "PUT", path, data={"name": "mine"}), 404,
                          "not_found", "source_id")
        self.assert_error(self.call(self.bob, "DELETE", path), 404, "not_found", "source_id")
        for method, p in (("POST", "/sources/reactivate"), ("POST", "/sources/extend")):
            resp = self.call(self.bob, method, p,
                             data={"source_id": src["source_id"], "expire": "2099-01-01 00:00:00"}
                             if p.endswith("extend") else {"source_id": src["source_id"]})
            self.assert_error(resp, 404, "not_found", "source_id")

        bob_cid = self.customer(self.bob)["customer_id"]
        self.source(self.bob, bob_cid)
        bob_ids = [s["source_id"] for s in self.sources(self.bob)]
        self.assertNotIn(src["source_id"], bob_ids)
        self.assertEqual(self.sources(self.bob, destnr=src["destnr"]), [])
        self.assertEqual(self.sources(self.bob, customer_id=self.cid), [])
        bob_statuses = self.ok(self.call(self.bob, "GET", "/sources/statuses"), "statuses")
        self.assertNotIn(src["source_id"], [s["source_id"] for s in bob_statuses])
        self.assertNotIn(src["destnr"], [n["number"] for n in self.numbers(self.bob)])
        self.assertIn(src["destnr"], [n["number"] for n in self.numbers(self.alice)])

        unchanged = self.one(self.call(self.alice, "GET", path), "sources")
        self.assertEqual(unchanged, src)


class AllocationTest(SourcesMixin, ServerTestCase):
    """No unrestricted numbers here: each test gives its own partners their own numbers, so
    exhaustion can be reached."""

    def test_exhaustion_is_409_and_creates_nothing(self):
        user, s = self.new_partner()
        block = number_block(2)
        self.add_numbers(block, partner=user)
        cid = self.customer(s)["customer_id"]
        got = sorted(self.source(s, cid)["destnr"] for _ in block)
        self.assertEqual(got, block)
        for _ in range(2):
            self.assert_error(self.post_source(s, cid), 409, "no_free_number", "destnr")
        self.assertEqual(self.total_sources(s), 2)
        self.assertEqual(self.free_numbers(s), [])

    def test_partner_without_numbers_gets_409(self):
        _, s = self.new_partner()
        cid = self.customer(s)["customer_id"]
        self.assert_error(self.post_source(s, cid), 409, "no_free_number", "destnr")
        self.assertEqual(self.total_sources(s), 0)

    def test_parallel_creates_never_share_a_number(self):
        user, owner = self.new_partner()
        block = number_block(10)
        self.add_numbers(block, partner=user)
        cid = self.customer(owner)["customer_id"]
        password = "pw-" + user
        sessions = []
        for _ in range(30):
            s = requests.Session()
            s.auth = HTTPDigestAuth(user, password)
            self.addCleanup(s.close)
            sessions.append(s)
        barrier = threading.Barrier(len(sessions))
        results = [None] * len(sessions)

        def create(i):
            try:
                barrier.wait(timeout=20)
                resp = sessions[i].post(self.url("/sources"), timeout=HTTP_TIMEOUT * 3,
                                        data={"customer_id": cid, "name": "par%d" % i,
                                              "phonenr": "0890510"})
                results[i] = (resp.status_code, resp.text)
            except Exception as e:  # reported below, with the others
                results[i] = (None, repr(e))

        threads = [threading.Thread(target=create, args=(i,)) for i in range(len(sessions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        codes = sorted(str(r[0]) for r in results)
        self.assertEqual(codes.count("200"), 10, results)
        self.assertEqual(codes.count("409"), 20, results)
        won = [json.loads(text)["sources"][0]["destnr"] for code, text in results if code == 200]
        self.assertEqual(sorted(won), block)
        for code, text in results:
            if code == 409:
                self.assertEqual(json.loads(text)["errors"][0]["code"], "no_free_number")
        self.assertEqual(self.total_sources(owner), 10)

    def test_restricted_numbers_go_only_to_their_partner(self):
        a_user, a = self.new_partner()
        _, b = self.new_partner()
        block = number_block(2)
        self.add_numbers(block, partner=a_user)
        b_cid = self.customer(b)["customer_id"]
        self.assert_error(self.post_source(b, b_cid), 409, "no_free_number", "destnr")
        self.assert_error(self.post_source(b, b_cid, destnr=block[0]), 409, "no_free_number",
                          "destnr")
        self.assert_error(self.post_source(b, b_cid, ndc="31"), 409, "no_free_number", "destnr")
        self.assertEqual(self.total_sources(b), 0)
        a_cid = self.customer(a)["customer_id"]
        self.assertEqual(self.source(a, a_cid, destnr=block[1])["destnr"], block[1])
        self.assertEqual(self.source(a, a_cid)["destnr"], block[0])

    def test_unrestricted_numbers_go_to_anyone(self):
        a_user, a = self.new_partner()
        _, b = self.new_partner()
        restricted = number_block(1)
        self.add_numbers(restricted, partner=a_user)
        shared = number_block(1)
        self.add_numbers(shared)
        self.addCleanup(self.drain_shared, shared[0])
        b_cid = self.customer(b)["customer_id"]
        self.assertEqual(self.source(b, b_cid)["destnr"], shared[0])
        self.assert_error(self.post_source(b, b_cid), 409, "no_free_number", "destnr")

    def drain_shared(self, number):
        """Keeps this class free of unrestricted numbers even if the test failed early."""
        self.server.cli("numbers", "remove", number)

if __name__ == "__main__":
    unittest.main()
