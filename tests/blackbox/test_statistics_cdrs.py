"""GET /statistics/cdrs as docs/api.md and the Freespee reference (§2.13) describe it:
records made through the switch API, read back with paging, filters, masking and
partner isolation."""

import datetime
import itertools
import json
import unittest

from harness import ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

SECRET = "stats-secret-" + unique()
BASE_KEYS = {
    "cdr_id", "start", "duration", "duration_adjusted", "anum", "anum_md5", "bnum", "cnum",
    "customer_id", "custnr", "source_id", "answered", "quarantined", "anum_ndc_name",
    "status", "sip_status", "ringing_at", "answered_at", "end", "hangup_by", "callback_id",
}
EXTENDED_KEYS = {
    "timestamp", "expire", "source_name", "source_media", "class", "publisher_id",
    "partner_publisher_id", "campaign_id", "partner_campaign_id", "pricing_model_id",
    "commission", "cli_id", "order_id", "recording_id",
} | {"custom_%d" % i for i in range(1, 21)} | {
    # Which web visit made the call (docs/dynamic-numbers.md): test_pool_calls.py.
    "attribution", "attribution_text", "dni_session_id", "landing_url", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "gbraid",
    "wbraid", "fbclid", "msclkid", "ga_client_id",
}
# The order docs/api.md gives, which the body keeps (the list's envelope too).
BASE_ORDER = [
    "cdr_id", "start", "duration", "duration_adjusted", "anum", "anum_md5", "bnum", "cnum",
    "customer_id", "custnr", "source_id", "answered", "quarantined", "anum_ndc_name",
    "status", "sip_status", "ringing_at", "answered_at", "end", "hangup_by", "callback_id",
]
EXTENDED_ORDER = [
    "timestamp", "expire", "source_name", "source_media", "class", "publisher_id",
    "partner_publisher_id", "campaign_id", "partner_campaign_id", "pricing_model_id",
    "commission", "cli_id", "order_id", "recording_id",
] + ["custom_%d" % i for i in range(1, 21)] + [
    "attribution", "attribution_text", "dni_session_id", "landing_url", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "gbraid",
    "wbraid", "fbclid", "msclkid", "ga_client_id",
]
_call_ids = itertools.count(1)


def utc(delta):
    now = datetime.datetime.now(datetime.timezone.utc) + delta
    return now.strftime("%Y-%m-%d %H:%M:%S")


class StatisticsCdrsTest(CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SECRET

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.made = False

    def setUp(self):
        super().setUp()
        if not StatisticsCdrsTest.made:
            StatisticsCdrsTest.made = True
            StatisticsCdrsTest.fixture = self.make_calls()
        self.f = StatisticsCdrsTest.fixture

    def answered_call(self, number, caller, talk):
        cid = "st-%s-%d" % (unique(), next(_call_ids))
        resp = self.switch_post("/switch/route", {"call_id": cid, "caller": caller,
                                                  "dialled": number})
        self.assertEqual(resp.status_code, 200, resp.text)
        t = 1_800_000_000
        for name, at in (("answered", t), ("hangup", t + talk)):
            r = self.switch_post("/switch/events", {"call_id": cid, "event": name, "at": at})
            self.assertEqual(r.status_code, 200, r.text)
        return resp.json()["cdr_id"]

    def make_calls(self):
        """alice: customer A with two sources (3 + 2 calls), customer B one source (1 call);
        bob: one source (1 call from the same caller as alice's first)."""
        f = {}
        f["a_id"], f["a_custnr"] = self.customer_with_custnr(self.alice)
        f["b_id"], _ = self.customer_with_custnr(self.alice)
        campaign = self.one(self.call(self.alice, "POST", "/customers/campaigns", data={
            "customer_id": f["a_id"], "name": "Print", "pricing_model_id": "ppc",
            "partner_campaign_id": "pc-1"}),
            "campaigns")
        f["campaign_id"] = campaign["campaign_id"]
        s1 = self.one(self.source(f["a_id"], name="web", media="Google",
                                  campaign_id=f["campaign_id"]), "sources")
        s2 = self.one(self.source(f["a_id"], name="print"), "sources")
        s3 = self.one(self.source(f["b_id"]), "sources")
        f["s1"], f["s2"], f["s3"] = s1["source_id"], s2["source_id"], s3["source_id"]
        f["s1_number"] = s1["destnr"]
        self.call(self.alice, "PUT", "/customers", data={"customer_id": f["a_id"],
                                                         "custom_3": "three"})
        f["a_cdrs"] = [self.answered_call(s1["destnr"], "+46812345678", 10 + i)
                       for i in range(3)]
        f["a_cdrs"] += [self.answered_call(s2["destnr"], "+46701234567", 5) for _ in range(2)]
        f["b_cdrs"] = [self.answered_call(s3["destnr"], "+46701234567", 7)]
        bob_customer = self.customer(self.bob)
        bob_source = self.one(self.source(bob_customer, s=self.bob), "sources")
        f["bob_customer"] = bob_customer
        f["bob_cdrs"] = [self.answered_call(bob_source["destnr"], "+46812345678", 3)]
        return f

    def get(self, s=None, path="/statistics/cdrs", **params):
        return self.call(s or self.alice, "GET", path, params=params)

    def listed(self, s=None, **params):
        return self.ok(self.get(s, **params), "cdrs")

    def ids(self, s=None, **params):
        return [c["cdr_id"] for c in self.listed(s, **params)]

    def test_fields_and_masking(self):
        cdr = self.listed(cdr_id=self.f["a_cdrs"][0])[0]
        self.assertEqual(set(cdr), BASE_KEYS)
        self.assert_scalars_are_strings(cdr, nullable=("sip_status", "ringing_at", "hangup_by",
                                                       "callback_id"))
        self.assertEqual(cdr["anum"], "+46812345xxx")
        self.assertNotIn("12345678", json.dumps(cdr).replace("+46812345xxx", ""))
        self.assertRegex(cdr["anum_md5"], r"^[0-9a-f]{32}$")
        self.assertEqual(cdr["anum_ndc_name"], "08 Stockholm")
        self.assertEqual((cdr["custnr"], cdr["source_id"], cdr["customer_id"]),
                         (self.f["a_custnr"], self.f["s1"], str(self.f["a_id"])))
        self.assertEqual((cdr["duration"], cdr["answered"], cdr["status"]), ("10", "1", "answered"))
        self.assertEqual(cdr["bnum"], self.f["s1_number"])
        self.assertEqual(cdr["cnum"], "+46890510")

    def test_body_bytes_keep_their_shape(self):
        """The listing writes its body itself rather than dumping a JSON tree: the bytes must
        stay compact JSON (no spaces), fields in the documented order, every scalar a string
        and absent values null, and one record's values as the switch made them."""
        for extended, order in (("0", BASE_ORDER), ("1", BASE_ORDER + EXTENDED_ORDER)):
            resp = self.get(customer_id=self.f["a_id"], pagesize="2", page="1",
                            extended=extended)
            self.assertEqual(resp.status_code, 200, resp.text)
            text = resp.content.decode("utf-8")
            body = json.loads(text)
            self.assertEqual(text, json.dumps(body, separators=(",", ":"), ensure_ascii=False))
            self.assertEqual(list(body), ["cdrs", "total", "page", "pagesize", "numpages"])
            self.assertEqual([body[k] for k in ("total", "page", "pagesize", "numpages")],
                             ["5", "1", "2", "3"])
            self.assertEqual([c["cdr_id"] for c in body["cdrs"]], self.f["a_cdrs"][2:4])
            for cdr in body["cdrs"]:
                self.assertEqual(list(cdr), order)
        cdr = self.listed(cdr_id=self.f["a_cdrs"][0], extended="1")[0]
        self.assertRegex(cdr.pop("start"), r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertRegex(cdr.pop("anum_md5"), r"^[0-9a-f]{32}$")
        self.assertRegex(cdr.pop("timestamp"), r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertTrue(cdr.pop("attribution_text"))
        self.assertEqual(cdr, dict({
            "cdr_id": self.f["a_cdrs"][0], "duration": "10", "duration_adjusted": "0",
            "anum": "+46812345xxx", "bnum": self.f["s1_number"], "cnum": "+46890510",
            "customer_id": str(self.f["a_id"]), "custnr": self.f["a_custnr"],
            "source_id": self.f["s1"], "answered": "1", "quarantined": "0",
            "anum_ndc_name": "08 Stockholm", "status": "answered", "sip_status": None,
            "ringing_at": None, "answered_at": "2027-01-15 08:00:00",
            "end": "2027-01-15 08:00:10", "hangup_by": None, "callback_id": None,
            "expire": None, "source_name": "web", "source_media": "Google", "class": "0",
            "publisher_id": None, "partner_publisher_id": None,
            "campaign_id": self.f["campaign_id"], "partner_campaign_id": "pc-1",
            "pricing_model_id": "ppc", "commission": None, "cli_id": None, "order_id": None,
            "recording_id": None, "attribution": "static_source", "dni_session_id": None,
            "custom_3": "three"},
            **{"custom_%d" % i: None for i in range(1, 21) if i != 3},
            **{k: None for k in EXTENDED_ORDER[EXTENDED_ORDER.index("landing_url"):]}))

    def test_anum_md5_is_stable_per_partner_and_differs_between_partners(self):
        first, second = self.listed(source_id=self.f["s1"])[:2]
        self.assertEqual(first["anum_md5"], second["anum_md5"])
        other_caller = self.listed(cdr_id=self.f["a_cdrs"][3])[0]
        self.assertNotEqual(first["anum_md5"], other_caller["anum_md5"])
        bobs = self.listed(self.bob)[0]
        self.assertEqual(bobs["anum"], first["anum"])
        self.assertNotEqual(bobs["anum_md5"], first["anum_md5"])

    def test_extended_adds_source_campaign_and_custom_fields(self):
        cdr = self.listed(cdr_id=self.f["a_cdrs"][0], extended="1")[0]
        self.assertEqual(set(cdr), BASE_KEYS | EXTENDED_KEYS)
        self.assertEqual((cdr["source_name"], cdr["source_media"], cdr["campaign_id"],
                          cdr["partner_campaign_id"], cdr["pricing_model_id"], cdr["custom_3"],
                          cdr["custom_4"]),
                         ("web", "Google", self.f["campaign_id"], "pc-1", "ppc", "three", None))
        # A call without a campaign has no pricing model.
        no_campaign = self.listed(cdr_id=self.f["a_cdrs"][3], extended="1")[0]
        self.assertEqual((no_campaign["campaign_id"], no_campaign["pricing_model_id"]),
                         (None, None))

    def test_filters(self):
        self.assertEqual(self.ids(source_id=self.f["s1"]), self.f["a_cdrs"][:3])
        self.assertEqual(self.ids(customer_id=self.f["a_id"]), self.f["a_cdrs"])
        self.assertEqual(self.ids(custnr=self.f["a_custnr"]), self.f["a_cdrs"])
        self.assertEqual(self.ids(customer_id=self.f["b_id"]), self.f["b_cdrs"])
        self.assertEqual(self.ids(), self.f["a_cdrs"] + self.f["b_cdrs"])
        self.assertEqual(self.ids(from_date=utc(datetime.timedelta(hours=1))), [])
        self.assertEqual(self.ids(to_date=utc(-datetime.timedelta(hours=1))), [])
        self.assertEqual(self.ids(from_date=utc(-datetime.timedelta(hours=1)),
                                  to_date=utc(datetime.timedelta(hours=1))),
                         self.f["a_cdrs"] + self.f["b_cdrs"])
        self.assertEqual(self.ids(path="/statistics/cdrs/%s" % self.f["b_cdrs"][0]),
                         self.f["b_cdrs"])
        self.assertEqual(self.ids(path="/2.4.9/statistics/cdrs", source_id=self.f["s2"]),
                         self.f["a_cdrs"][3:])
        self.assertEqual(self.ids(path="/statistics/cdrs/out"), [])

    def ended_call(self, number, end):
        """A call to `number` ended by `end`: ("answered", talk seconds) or ("failed", SIP
        status)."""
        cid = "st-%s-%d" % (unique(), next(_call_ids))
        resp = self.switch_post("/switch/route", {"call_id": cid, "caller": "+46701234567",
                                                  "dialled": number})
        self.assertEqual(resp.status_code, 200, resp.text)
        t = 1_800_000_000
        kind, value = end
        events = ([{"event": "answered", "at": t}, {"event": "hangup", "at": t + value}]
                  if kind == "answered" else [{"event": "failed", "at": t, "sip_status": value}])
        for event in events:
            r = self.switch_post("/switch/events", dict(event, call_id=cid))
            self.assertEqual(r.status_code, 200, r.text)
        return resp.json()["cdr_id"]

    def test_status_filter_lists_the_calls_of_those_statuses(self):
        customer, _ = self.customer_with_custnr(self.alice)
        number = self.one(self.source(customer), "sources")["destnr"]
        answered = self.ended_call(number, ("answered", 4))
        busy = self.ended_call(number, ("failed", 486))
        missed = self.ended_call(number, ("failed", 487))
        failed = self.ended_call(number, ("failed", 503))
        for status, expected in (("answered", [answered]), ("busy", [busy]),
                                 ("no_answer", [missed]), ("failed", [failed]),
                                 ("busy,no_answer", [busy, missed]), ("voicemail", [])):
            body = self.json_of(self.get(customer_id=customer, status=status))
            self.assertEqual([c["cdr_id"] for c in body["cdrs"]], expected, status)
            self.assertEqual(body["total"], str(len(expected)), status)
            self.assertLessEqual({c["status"] for c in body["cdrs"]}, set(status.split(",")))
        self.assertEqual(self.ids(self.bob, status="answered"), self.f["bob_cdrs"])
        self.assert_error(self.get(status="answered,picked_up"), 400, "invalid", "status")
        self.assertNotIn("picked_up", self.get(status="picked_up").text)

    def test_paging_and_order(self):
        everything = self.f["a_cdrs"] + self.f["b_cdrs"]
        resp = self.get(pagesize="4", page="1")
        body = self.json_of(resp)
        self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                         ("6", "1", "4", "2"))
        self.assertEqual([c["cdr_id"] for c in body["cdrs"]], everything[4:])
        self.assertEqual(self.ids(newest_first="true"), list(reversed(everything)))
        self.assertEqual(self.ids(newest_first="true", pagesize="2", page="0"),
                         list(reversed(everything))[:2])

    def test_other_partners_records_are_invisible(self):
        self.assertEqual(self.ids(self.bob), self.f["bob_cdrs"])
        self.assertEqual(self.ids(self.bob, cdr_id=self.f["a_cdrs"][0]), [])
        self.assertEqual(self.ids(self.bob, source_id=self.f["s1"]), [])
        self.assertEqual(self.ids(self.bob, path="/statistics/cdrs/%s" % self.f["a_cdrs"][0]), [])
        self.assert_error(self.get(self.bob, customer_id=self.f["a_id"]), 404, "not_found",
                          "customer_id")
        self.assert_error(self.get(self.bob, custnr=self.f["a_custnr"]), 404, "not_found",
                          "custnr")
        self.assertNotIn(self.f["bob_cdrs"][0], self.ids())

    def test_bad_parameters_name_the_field(self):
        cases = [("from_date", "yesterday"), ("to_date", "2024-13-01"), ("customer_id", "x"),
                 ("source_id", "-1"), ("cdr_id", "1.5"), ("newest_first", "maybe"),
                 ("extended", "2"), ("page", "-1")]
        for name, value in cases:
            self.assert_error(self.get(**{name: value}), 400, field=name)
        self.assert_error(self.get(from_date="2024-02-01", to_date="2024-01-01"), 400,
                          field="to_date")

    def test_not_writable(self):
        for method in ("POST", "PUT", "DELETE"):
            resp = self.call(self.alice, method, "/statistics/cdrs")
            self.assertEqual(resp.status_code, 405, method)
            self.assertEqual(resp.headers["Allow"], "GET")


if __name__ == "__main__":
    unittest.main()
