"""/customers as docs/api.md and the Freespee reference (§2.2, §3.1) describe it."""

import time
import unittest

from harness import FORM_TYPE, TIME_RE, UUID7_RE, ServerTestCase, unique

CUSTOM_FIELDS = ["custom_%d" % n for n in range(1, 21)]
CUSTOMER_KEYS = {
    "customer_id", "name", "custnr", "corporateid", "email", "uuid", "dncs_class_name",
    "receive_monthly_report", "freespee_caller_id", "whisper", "created", "modified",
    *CUSTOM_FIELDS,
}
GERMAN = {
    "custom_1": "Friedrichstrasse",
    "custom_2": "12a",
    "custom_3": "10117",
    "custom_4": "Berlin",
    "custom_5": "Firma",
    "custom_6": "Beispiel GmbH & Co. KG",
}


def email_of_length(n):
    """A plausible address exactly n characters long (labels <= 63, local part short)."""
    tail = "@example.se"
    local = "u"
    labels = []
    remaining = n - len(local) - len(tail)
    while remaining > 0:
        take = min(60, remaining - 1) if remaining > 1 else 0
        if take <= 0:
            local += "u" * remaining
            break
        labels.append("d" * take)
        remaining -= take + 1
    address = local + "@" + ".".join(labels + ["example.se"]) if labels else local + tail
    assert len(address) == n, (len(address), n)
    return address


class CustomersTest(ServerTestCase):
    PARTNERS = {
        "alice": dict(password="alice-pw"),
        "bob": dict(password="bob-pw"),
        "pager": dict(password="pager-pw"),
        "berlin": dict(password="berlin-pw", country="DE", timezone="Europe/Berlin"),
    }

    def setUp(self):
        self.alice = self.session("alice")
        self.bob = self.session("bob")

    def create(self, s=None, **fields):
        fields.setdefault("name", "Customer " + unique())
        fields.setdefault("custnr", unique("cn"))
        return self.one(self.call(s or self.alice, "POST", "/customers", data=fields),
                        "customers")

    def get(self, cid, s=None):
        return self.call(s or self.alice, "GET", "/customers/%s" % cid)

    def total(self, s):
        resp = self.call(s, "GET", "/customers", params={"pagesize": 1})
        self.ok(resp, "customers")
        return int(resp.json()["total"])

    # -- create ---------------------------------------------------------------------------
    def test_seed_example_shape(self):
        custnr = unique("1412-")
        resp = self.call(self.alice, "POST", "/customers",
                         data=self.form(name="DailyLoans", custnr=custnr), headers=FORM_TYPE)
        c = self.one(resp, "customers")
        self.assertEqual(set(resp.json()), {"customers"})
        self.assertEqual(set(c), CUSTOMER_KEYS)
        self.assertRegex(c["customer_id"], r"^[1-9][0-9]*$")
        self.assertEqual(c["name"], "DailyLoans")
        self.assertEqual(c["custnr"], custnr)
        self.assertEqual(c["corporateid"], "")
        self.assertEqual(c["email"], "")
        self.assertEqual(c["dncs_class_name"], "")
        self.assertEqual(c["receive_monthly_report"], "0")
        self.assertEqual(c["freespee_caller_id"], "0")
        self.assertIn(c["whisper"], ("0", None))
        self.assertRegex(c["uuid"], UUID7_RE)
        self.assertRegex(c["created"], TIME_RE)
        self.assertRegex(c["modified"], TIME_RE)
        for field in CUSTOM_FIELDS:
            self.assertIsNone(c[field], field)
        self.assert_scalars_are_strings(c, nullable=set(CUSTOM_FIELDS) | {"whisper"})

    def test_uuids_differ_and_carry_their_creation_time(self):
        before_ms = int(time.time() * 1000)
        first, second = self.create()["uuid"], self.create()["uuid"]
        after_ms = int(time.time() * 1000)
        self.assertNotEqual(first, second)
        millis = [int(uuid.replace("-", "")[:12], 16) for uuid in (first, second)]
        # UUIDv7's first 48 bits: the Unix time in milliseconds (the index on them grows at
        # its end), so the second is never older than the first.
        self.assertLessEqual(before_ms - 1000, millis[0])
        self.assertLessEqual(millis[0], millis[1])
        self.assertLessEqual(millis[1], after_ms + 1000)

    def test_create_with_every_optional_field(self):
        fields = dict(name="Full", custnr=unique(), email="owner@example.com",
                      corporateid="SE556677889901", receive_monthly_report="2",
                      freespee_caller_id="1", whisper="1", dncs_class_name="webclass")
        for n in range(1, 21):
            fields["custom_%d" % n] = "value %d" % n
        c = self.create(**fields)
        for key, value in fields.items():
            self.assertEqual(c[key], value, key)
        self.assert_scalars_are_strings(c)
        got = self.one(self.get(c["customer_id"]), "customers")
        self.assertEqual(got, c)

    def test_length_limits_are_inclusive(self):
        c = self.create(name="n" * 60, custnr=unique("c").ljust(45, "0"),
                        email=email_of_length(150), corporateid="k" * 40, custom_3="z" * 255,
                        dncs_class_name="d" * 60)
        self.assertEqual(len(c["name"]), 60)
        self.assertEqual(len(c["custnr"]), 45)
        self.assertEqual(len(c["email"]), 150)
        self.assertEqual(c["custom_3"], "z" * 255)

    def test_utf8_values_round_trip(self):
        c = self.create(name="Åsa Öberg & Söner", custom_1="Grüße ✓")
        got = self.one(self.get(c["customer_id"]), "customers")
        self.assertEqual(got["name"], "Åsa Öberg & Söner")
        self.assertEqual(got["custom_1"], "Grüße ✓")

    # -- read -----------------------------------------------------------------------------
    def test_get_by_path_parameter_custnr_and_version_prefix(self):
        c = self.create()
        cid = c["customer_id"]
        self.assertEqual(self.one(self.get(cid), "customers"), c)
        by_param = self.call(self.alice, "GET", "/customers", params={"customer_id": cid})
        self.assertEqual(self.one(by_param, "customers"), c)
        by_custnr = self.call(self.alice, "GET", "/customers", params={"custnr": c["custnr"]})
        self.assertEqual(self.one(by_custnr, "customers"), c)
        versioned = self.call(self.alice, "GET", "/2.4.9/customers/%s" % cid)
        self.assertEqual(self.one(versioned, "customers"), c)
        versioned = self.call(self.alice, "GET", "/2.4.9/customers", params={"customer_id": cid})
        self.assertEqual(self.one(versioned, "customers"), c)

    def test_get_ignores_unknown_parameters(self):
        c = self.create()
        resp = self.call(self.alice, "GET", "/customers/%s" % c["customer_id"],
                         params={"whatever": "1"})
        self.assertEqual(self.one(resp, "customers")["customer_id"], c["customer_id"])

    def test_get_unknown_id_is_404(self):
        self.assert_error(self.get(987654321), 404, "not_found", "customer_id")
        resp = self.call(self.alice, "GET", "/customers", params={"customer_id": 987654321})
        self.assert_error(resp, 404, "not_found", "customer_id")

    def test_get_conflicting_ids_is_400(self):
        a, b = self.create(), self.create()
        resp = self.call(self.alice, "GET", "/customers/%s" % a["customer_id"],
                         params={"customer_id": b["customer_id"]})
        self.assert_error(resp, 400, "conflicting_id")

    def test_list_paging(self):
        pager = self.session("pager")
        ids = [self.create(pager)["customer_id"] for _ in range(5)]
        resp = self.call(pager, "GET", "/customers")
        items = self.ok(resp, "customers")
        body = resp.json()
        self.assertEqual([c["customer_id"] for c in items], ids)
        self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                         ("5", "0", "1000", "1"))

        pages = []
        for page in range(3):
            resp = self.call(pager, "GET", "/customers", params={"page": page, "pagesize": 2})
            items = self.ok(resp, "customers")
            body = resp.json()
            self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                             ("5", str(page), "2", "3"))
            pages.append([c["customer_id"] for c in items])
        self.assertEqual(pages, [ids[0:2], ids[2:4], ids[4:5]])

        resp = self.call(pager, "GET", "/customers", params={"pagesize": 5000})
        self.assertEqual(len(self.ok(resp, "customers")), 5)
        self.assertEqual(resp.json()["pagesize"], "1000")

    def test_list_bad_paging_is_400(self):
        for params, field in (({"page": "-1"}, "page"), ({"page": "abc"}, "page"),
                              ({"page": "1.5"}, "page"), ({"pagesize": "-2"}, "pagesize"),
                              ({"pagesize": "x"}, "pagesize")):
            with self.subTest(params=params):
                resp = self.call(self.alice, "GET", "/customers", params=params)
                self.assert_error(resp, 400, "invalid", field)

    # -- update ---------------------------------------------------------------------------
    def test_put_by_path_changes_only_given_fields(self):
        c = self.create(email="before@example.com", corporateid="C1", custom_2="keep")
        resp = self.call(self.alice, "PUT", "/customers/%s" % c["customer_id"],
                         data={"name": "Renamed"})
        updated = self.one(resp, "customers")
        self.assertEqual(updated["name"], "Renamed")
        for key in CUSTOMER_KEYS - {"name", "modified"}:
            self.assertEqual(updated[key], c[key], key)
        self.assertEqual(self.one(self.get(c["customer_id"]), "customers"), updated)

    def test_put_by_parameter(self):
        c = self.create()
        resp = self.call(self.alice, "PUT", "/customers",
                         data={"customer_id": c["customer_id"], "email": "new@example.com",
                               "receive_monthly_report": "1", "custom_7": "seven"})
        updated = self.one(resp, "customers")
        self.assertEqual(updated["email"], "new@example.com")
        self.assertEqual(updated["receive_monthly_report"], "1")
        self.assertEqual(updated["custom_7"], "seven")
        self.assertEqual(updated["name"], c["name"])
        self.assertEqual(updated["custnr"], c["custnr"])
        self.assertEqual(updated["uuid"], c["uuid"])
        got = self.one(self.get(c["customer_id"]), "customers")
        self.assertEqual(got["email"], "new@example.com")

    def test_put_with_version_prefix(self):
        c = self.create()
        resp = self.call(self.alice, "PUT", "/2.4.9/customers/%s" % c["customer_id"],
                         data={"corporateid": "VAT1"})
        self.assertEqual(self.one(resp, "customers")["corporateid"], "VAT1")

    def test_put_validation(self):
        c = self.create()
        path = "/customers/%s" % c["customer_id"]
        cases = [
            ({"name": "n" * 61}, 400, "too_long", "name"),
            ({"email": "nope"}, 400, "invalid", "email"),
            ({"receive_monthly_report": "3"}, 400, "invalid", "receive_monthly_report"),
            ({"bogus": "1"}, 400, "unknown_parameter", "bogus"),
        ]
        for data, status, code, field in cases:
            with self.subTest(data=data):
                self.assert_error(self.call(self.alice, "PUT", path, data=data),
                                  status, code, field)
        self.assertEqual(self.one(self.get(c["customer_id"]), "customers"), c)

    def test_put_custnr_to_existing_one_is_409(self):
        a, b = self.create(), self.create()
        resp = self.call(self.alice, "PUT", "/customers/%s" % b["customer_id"],
                         data={"custnr": a["custnr"]})
        self.assert_error(resp, 409, "duplicate", "custnr")
        self.assertEqual(self.one(self.get(b["customer_id"]), "customers")["custnr"], b["custnr"])

    def test_put_without_customer_id_is_400_missing(self):
        resp = self.call(self.alice, "PUT", "/customers", data={"name": "x"})
        self.assert_error(resp, 400, "missing", "customer_id")

    def test_put_unknown_id_is_404(self):
        resp = self.call(self.alice, "PUT", "/customers/987654321", data={"name": "x"})
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(self.alice, "PUT", "/customers",
                         data={"customer_id": "987654321", "name": "x"})
        self.assert_error(resp, 404, "not_found", "customer_id")

    # -- delete ---------------------------------------------------------------------------
    def test_delete_by_path_returns_the_object(self):
        c = self.create()
        deleted = self.one(self.call(self.alice, "DELETE", "/customers/%s" % c["customer_id"]),
                           "customers")
        self.assertEqual(deleted["customer_id"], c["customer_id"])
        self.assertEqual(deleted["name"], c["name"])
        self.assertEqual(deleted["uuid"], c["uuid"])
        self.assert_error(self.get(c["customer_id"]), 404, "not_found", "customer_id")
        resp = self.call(self.alice, "DELETE", "/customers/%s" % c["customer_id"])
        self.assert_error(resp, 404, "not_found", "customer_id")

    def test_delete_by_query_parameter(self):
        c = self.create()
        resp = self.call(self.alice, "DELETE", "/customers", params={"customer_id": c["customer_id"]})
        self.assertEqual(self.one(resp, "customers")["customer_id"], c["customer_id"])
        self.assert_error(self.get(c["customer_id"]), 404, "not_found")

    def test_delete_with_form_body_like_the_php_client(self):
        c = self.create()
        resp = self.call(self.alice, "DELETE", "/customers",
                         data=self.form(customer_id=c["customer_id"]), headers=FORM_TYPE)
        self.assertEqual(self.one(resp, "customers")["customer_id"], c["customer_id"])
        self.assert_error(self.get(c["customer_id"]), 404, "not_found")

    def test_delete_frees_the_custnr(self):
        c = self.create()
        self.ok(self.call(self.alice, "DELETE", "/customers/%s" % c["customer_id"]), "customers")
        again = self.create(custnr=c["custnr"])
        self.assertNotEqual(again["customer_id"], c["customer_id"])

    def test_delete_without_id_is_400_and_unknown_id_404(self):
        self.assert_error(self.call(self.alice, "DELETE", "/customers"), 400, "missing",
                          "customer_id")
        resp = self.call(self.alice, "DELETE", "/customers", params={"customer_id": 987654321})
        self.assert_error(resp, 404, "not_found", "customer_id")

    # -- request-level errors -------------------------------------------------------------
    def test_post_validation_errors(self):
        base = {"name": "Valid", "custnr": None}
        cases = [
            ({"name": None}, "missing", "name"),
            ({"custnr": ""}, "missing", "custnr"),
            ({"name": ""}, "missing", "name"),
            ({"name": "n" * 61}, "too_long", "name"),
            ({"custnr": "9" * 46}, "too_long", "custnr"),
            ({"email": email_of_length(151)}, "too_long", "email"),
            ({"corporateid": "c" * 41}, "too_long", "corporateid"),
            ({"custom_3": "x" * 256}, "too_long", "custom_3"),
            ({"custom_20": "x" * 256}, "too_long", "custom_20"),
            ({"dncs_class_name": "x" * 61}, "too_long", "dncs_class_name"),
            ({"email": "not-an-address"}, "invalid", "email"),
            ({"email": "two@@example.com"}, "invalid", "email"),
            ({"receive_monthly_report": "3"}, "invalid", "receive_monthly_report"),
            ({"receive_monthly_report": "x"}, "invalid", "receive_monthly_report"),
            ({"freespee_caller_id": "2"}, "invalid", "freespee_caller_id"),
            ({"whisper": "x"}, "invalid", "whisper"),
            ({"custom_21": "x"}, "unknown_parameter", "custom_21"),
            ({"colour": "blue"}, "unknown_parameter", "colour"),
        ]
        before = self.total(self.alice)
        for change, code, field in cases:
            with self.subTest(change=change):
                data = dict(base, custnr=unique("v"))
                data.update(change)
                data = {k: v for k, v in data.items() if v is not None}
                self.assert_error(self.call(self.alice, "POST", "/customers", data=data),
                                  400, code, field)
        missing_custnr = self.call(self.alice, "POST", "/customers", data={"name": "x"})
        self.assert_error(missing_custnr, 400, "missing", "custnr")
        self.assertEqual(self.total(self.alice), before, "a refused POST left a customer")

    def test_malformed_percent_escape_is_400(self):
        body = "name=%zz&custnr=" + unique()
        resp = self.call(self.alice, "POST", "/customers", data=body, headers=FORM_TYPE)
        self.assert_error(resp, 400, "malformed")
        # In the query string too; requests/urllib3 would re-quote the URL, curl sends it as is.
        status, text = self.curl("--digest", "-u", "alice:alice-pw",
                                 self.url("/customers?custnr=%zz"))
        self.assertEqual(status, 400, text)
        self.assertIn('"malformed"', text)

    def test_duplicate_parameter_is_400(self):
        custnr = unique()
        resp = self.call(self.alice, "POST", "/customers",
                         data=[("name", "a"), ("name", "b"), ("custnr", custnr)])
        self.assert_error(resp, 400, "duplicate_parameter", "name")
        resp = self.call(self.alice, "POST", "/customers", params={"custnr": custnr},
                         data={"name": "a", "custnr": custnr})
        self.assert_error(resp, 400, "duplicate_parameter", "custnr")
        resp = self.call(self.alice, "GET", "/customers", params=[("page", "0"), ("page", "0")])
        self.assert_error(resp, 400, "duplicate_parameter", "page")

    def test_parameters_may_come_from_the_query_string(self):
        custnr = unique()
        resp = self.call(self.alice, "POST", "/customers", params={"name": "Q", "custnr": custnr})
        self.assertEqual(self.one(resp, "customers")["custnr"], custnr)

    def test_json_body_is_415(self):
        before = self.total(self.alice)
        resp = self.call(self.alice, "POST", "/customers",
                         json={"name": "J", "custnr": unique()})
        self.assertEqual(resp.status_code, 415, resp.text)
        c = self.create()
        resp = self.call(self.alice, "PUT", "/customers/%s" % c["customer_id"],
                         json={"name": "J"})
        self.assertEqual(resp.status_code, 415, resp.text)
        self.assertEqual(self.total(self.alice), before + 1)

    def test_wrong_method_is_405(self):
        resp = self.call(self.alice, "PATCH", "/customers", data={"name": "x"})
        self.assert_error(resp, 405, "method_not_allowed")
        allow = {m.strip() for m in resp.headers.get("Allow", "").split(",")}
        self.assertTrue({"GET", "POST", "PUT", "DELETE"} <= allow, allow)

    # -- uniqueness -----------------------------------------------------------------------
    def test_duplicate_custnr_is_409_and_nothing_written(self):
        c = self.create()
        before = self.total(self.alice)
        resp = self.call(self.alice, "POST", "/customers",
                         data={"name": "Second", "custnr": c["custnr"]})
        self.assert_error(resp, 409, "duplicate", "custnr")
        self.assertEqual(self.total(self.alice), before)

    def test_same_custnr_under_another_partner_is_fine(self):
        c = self.create()
        other = self.create(self.bob, custnr=c["custnr"])
        self.assertEqual(other["custnr"], c["custnr"])
        self.assertNotEqual(other["customer_id"], c["customer_id"])
        resp = self.call(self.alice, "GET", "/customers", params={"custnr": c["custnr"]})
        self.assertEqual(self.one(resp, "customers")["customer_id"], c["customer_id"])

    # -- German partners (§3.1) -----------------------------------------------------------
    def test_german_partner_needs_the_address_fields(self):
        berlin = self.session("berlin")
        before = self.total(berlin)
        resp = self.call(berlin, "POST", "/customers", data={"name": "Kein", "custnr": unique()})
        self.assert_error(resp, 400, "missing")
        for field in GERMAN:
            with self.subTest(missing=field):
                data = dict(GERMAN, name="GmbH", custnr=unique())
                del data[field]
                self.assert_error(self.call(berlin, "POST", "/customers", data=data),
                                  400, "missing", field)
        for field, value, code in (("custom_5", "Mr", "invalid"),
                                   ("custom_5", "firma", "invalid"),
                                   ("custom_3", "101170", "too_long"),
                                   ("custom_1", "s" * 41, "too_long"),
                                   ("custom_2", "1" * 11, "too_long"),
                                   ("custom_4", "c" * 41, "too_long"),
                                   ("custom_6", "l" * 61, "too_long")):
            with self.subTest(field=field, value=value):
                data = dict(GERMAN, name="GmbH", custnr=unique())
                data[field] = value
                self.assert_error(self.call(berlin, "POST", "/customers", data=data),
                                  400, code, field)
        self.assertEqual(self.total(berlin), before)

    def test_german_partner_full_set_is_accepted(self):
        berlin = self.session("berlin")
        for salutation in ("Firma", "Herr", "Frau"):
            data = dict(GERMAN, name="GmbH", custnr=unique(), custom_5=salutation)
            c = self.one(self.call(berlin, "POST", "/customers", data=data), "customers")
            for field, value in data.items():
                self.assertEqual(c[field], value, field)

    def test_german_partner_put_may_change_but_not_empty(self):
        berlin = self.session("berlin")
        data = dict(GERMAN, name="GmbH", custnr=unique())
        c = self.one(self.call(berlin, "POST", "/customers", data=data), "customers")
        path = "/customers/%s" % c["customer_id"]
        resp = self.call(berlin, "PUT", path, data={"custom_4": "Hamburg"})
        self.assertEqual(self.one(resp, "customers")["custom_4"], "Hamburg")
        resp = self.call(berlin, "PUT", path, data={"custom_1": ""})
        errors = self.assert_error(resp, 400)
        self.assertIn("custom_1", [e["field"] for e in errors])
        resp = self.call(berlin, "PUT", path, data={"name": "Only the name"})
        self.assertEqual(self.one(resp, "customers")["custom_1"], GERMAN["custom_1"])

    def test_swedish_partner_needs_no_address_fields(self):
        c = self.create(name="Svensk AB")
        self.assertIsNone(c["custom_1"])

    # -- isolation ------------------------------------------------------------------------
    def test_other_partner_cannot_see_or_touch(self):
        c = self.create()
        cid = c["customer_id"]
        self.assert_error(self.get(cid, self.bob), 404, "not_found", "customer_id")
        resp = self.call(self.bob, "GET", "/customers", params={"customer_id": cid})
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(self.bob, "PUT", "/customers/%s" % cid, data={"name": "Stolen"})
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(self.bob, "PUT", "/customers", data={"customer_id": cid, "name": "S"})
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(self.bob, "DELETE", "/customers/%s" % cid)
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(self.bob, "DELETE", "/customers", params={"customer_id": cid})
        self.assert_error(resp, 404, "not_found", "customer_id")
        resp = self.call(self.bob, "GET", "/customers", params={"custnr": c["custnr"]})
        self.assertEqual(self.ok(resp, "customers"), [])
        listed = self.ok(self.call(self.bob, "GET", "/customers"), "customers")
        self.assertNotIn(cid, [x["customer_id"] for x in listed])
        self.assertEqual(self.one(self.get(cid), "customers"), c)


if __name__ == "__main__":
    unittest.main()
