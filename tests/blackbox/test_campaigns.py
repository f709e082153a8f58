"""/customers/campaigns as docs/api.md and the Freespee reference (§2.3) describe it."""

import unittest

from harness import TIME_RE, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

CAMPAIGN_KEYS = {
    "name", "email", "smsnumber", "campaign_id", "partner_campaign_id", "timestamp", "expire",
    "pricing_model_id", "notify_on_missed_call", "notify_on_answered_call",
    "notify_on_new_voicemail", "vm_divert_all", "vm_divert_busy", "vm_divert_noanswer",
    "call_recording", "recording_notice", "sources", "vm_greeting_id", "state", "customer_id",
    "created", "modified",
}
NULLABLE = ("email", "smsnumber", "partner_campaign_id", "expire", "vm_greeting_id")
FLAGS = ("notify_on_missed_call", "notify_on_answered_call", "notify_on_new_voicemail",
         "vm_divert_all", "vm_divert_busy", "vm_divert_noanswer", "call_recording")
STANDARD_GREETING = "1"  # the system greeting every database gets from its migration


class CampaignsTest(CustomerResourceMixin, ServerTestCase):
    # -- helpers --------------------------------------------------------------------------
    def post(self, customer_id, s=None, **fields):
        fields.setdefault("name", "Campaign " + unique())
        fields.setdefault("pricing_model_id", "ppc-1")
        fields["customer_id"] = customer_id
        return self.call(s or self.alice, "POST", "/customers/campaigns", data=fields)

    def create(self, customer_id, s=None, **fields):
        return self.one(self.post(customer_id, s, **fields), "campaigns")

    def get(self, customer_id, campaign_id, s=None):
        return self.call(s or self.alice, "GET", "/customers/%s/campaigns/%s"
                         % (customer_id, campaign_id))

    def greeting(self, customer_id, s=None):
        resp = self.call(s or self.alice, "POST", "/customers/voicemail_greetings",
                         data={"customer_id": customer_id, "name": "g " + unique()})
        return self.one(resp, "voicemail_greetings")["vm_greeting_id"]

    # -- create ---------------------------------------------------------------------------
    def test_create_with_mandatory_fields_only(self):
        cid = self.customer()
        resp = self.post(cid, name="Spring sale", pricing_model_id="cpc")
        k = self.one(resp, "campaigns")
        self.assertEqual(set(resp.json()), {"campaigns"})
        self.assertEqual(set(k), CAMPAIGN_KEYS)
        self.assertRegex(k["campaign_id"], r"^[1-9][0-9]*$")
        self.assertEqual(k["customer_id"], cid)
        self.assertEqual(k["name"], "Spring sale")
        self.assertEqual(k["pricing_model_id"], "cpc")
        for field in NULLABLE:
            self.assertIsNone(k[field], field)
        for flag in FLAGS:
            self.assertEqual(k[flag], "0", flag)
        self.assertEqual(k["recording_notice"], "1")  # recorded calls tell the caller
        self.assertEqual(k["sources"], [])
        self.assertEqual(k["state"], "0")
        for field in ("timestamp", "created", "modified"):
            self.assertRegex(k[field], TIME_RE)
        scalars = {key: v for key, v in k.items() if key != "sources"}
        self.assert_scalars_are_strings(scalars, nullable=NULLABLE)

    def test_create_with_every_field_round_trips(self):
        cid = self.customer()
        fields = dict(name="Full", pricing_model_id="pm-9", email="ads@example.com",
                      smsnumber="070-123 45 67", partner_campaign_id=unique("pk"),
                      timestamp="2020-01-01 00:00:00", expire="2099-12-31 00:00:00",
                      vm_greeting_id=STANDARD_GREETING)
        fields.update({flag: "1" for flag in FLAGS})
        fields["recording_notice"] = "0"
        k = self.create(cid, **fields)
        fields["smsnumber"] = "+46701234567"
        for key, value in fields.items():
            self.assertEqual(k[key], value, key)
        self.assertEqual(k["state"], "0")
        self.assertEqual(self.one(self.get(cid, k["campaign_id"]), "campaigns"), k)

    def test_post_on_nested_path(self):
        cid = self.customer()
        resp = self.call(self.alice, "POST", "/customers/%s/campaigns" % cid,
                         data={"name": "Nested", "pricing_model_id": "p"})
        self.assertEqual(self.one(resp, "campaigns")["customer_id"], cid)

    def test_state_is_derived_from_timestamp_and_expire(self):
        cid = self.customer()
        upcoming = self.create(cid, timestamp="2099-01-01 00:00:00")
        self.assertEqual(upcoming["state"], "1")
        archived = self.create(cid, timestamp="2001-01-01 00:00:00", expire="2001-02-01")
        self.assertEqual(archived["state"], "2")
        self.assertEqual(archived["expire"], "2001-02-01 00:00:00")

    def test_post_validation_errors(self):
        cid = self.customer()
        resp = self.call(self.alice, "POST", "/customers/campaigns", data={"email": "x"})
        self.assert_error(resp, 400, "missing", "customer_id")
        self.assert_error(resp, 400, "missing", "name")
        self.assert_error(resp, 400, "missing", "pricing_model_id")
        self.assert_error(self.post(cid, name=""), 400, "missing", "name")
        self.assert_error(self.post(cid, pricing_model_id=""), 400, "missing", "pricing_model_id")
        self.assert_error(self.post(cid, name="n" * 101), 400, "too_long", "name")
        self.assert_error(self.post(cid, pricing_model_id="p" * 46), 400, "too_long",
                          "pricing_model_id")
        self.assert_error(self.post(cid, partner_campaign_id="k" * 46), 400, "too_long",
                          "partner_campaign_id")
        self.assert_error(self.post(cid, email="not-an-address"), 400, "invalid", "email")
        self.assert_error(self.post(cid, smsnumber="abc"), 400, "invalid", "smsnumber")
        self.assert_error(self.post(cid, timestamp="tomorrow"), 400, "invalid", "timestamp")
        self.assert_error(self.post(cid, expire="2020-13-01"), 400, "invalid", "expire")
        self.assert_error(self.post(cid, timestamp="2030-01-01", expire="2029-01-01"), 400,
                          "invalid", "expire")
        for flag in FLAGS + ("recording_notice",):
            self.assert_error(self.post(cid, **{flag: "2"}), 400, "invalid", flag)
        self.assert_error(self.post(cid, vm_greeting_id="x"), 400, "invalid", "vm_greeting_id")
        self.assert_error(self.post(cid, vm_greeting_id="987654"), 400, "invalid",
                          "vm_greeting_id")
        self.assert_error(self.post(cid, campaign_id="5"), 400, "invalid", "campaign_id")
        self.assert_error(self.post(cid, colour="red"), 400, "unknown_parameter", "colour")
        self.assert_error(self.post("abc"), 400, "invalid", "customer_id")
        self.assert_error(self.post("987654321"), 404, "not_found", "customer_id")

    def test_greeting_of_another_customer_is_refused(self):
        cid, other = self.customer(), self.customer()
        foreign = self.greeting(other)
        self.assert_error(self.post(cid, vm_greeting_id=foreign), 400, "invalid",
                          "vm_greeting_id")
        own = self.greeting(cid)
        self.assertEqual(self.create(cid, vm_greeting_id=own)["vm_greeting_id"], own)

    def test_partner_campaign_id_is_unique_per_customer(self):
        cid, other = self.customer(), self.customer()
        key = unique("pk")
        first = self.create(cid, partner_campaign_id=key)
        self.assert_error(self.post(cid, partner_campaign_id=key), 409, "duplicate",
                          "partner_campaign_id")
        self.assertEqual(self.create(other, partner_campaign_id=key)["partner_campaign_id"], key)
        second = self.create(cid)
        resp = self.call(self.alice, "PUT", "/customers/%s/campaigns/%s"
                         % (cid, second["campaign_id"]), data={"partner_campaign_id": key})
        self.assert_error(resp, 409, "duplicate", "partner_campaign_id")
        resp = self.call(self.alice, "PUT", "/customers/%s/campaigns/%s"
                         % (cid, first["campaign_id"]), data={"partner_campaign_id": key})
        self.assertEqual(self.one(resp, "campaigns")["partner_campaign_id"], key)

    # -- read -----------------------------------------------------------------------------
    def test_get_both_spellings_and_version_prefix(self):
        cid = self.customer()
        k = self.create(cid)
        kid = k["campaign_id"]
        for path, params in [
                ("/customers/campaigns", {"customer_id": cid, "campaign_id": kid}),
                ("/customers/%s/campaigns" % cid, {"campaign_id": kid}),
                ("/customers/%s/campaigns/%s" % (cid, kid), None),
                ("/customers/campaigns/%s" % kid, {"customer_id": cid}),
                ("/2.4.9/customers/%s/campaigns/%s" % (cid, kid), None)]:
            self.assertEqual(self.one(self.call(self.alice, "GET", path, params=params),
                                      "campaigns"), k, path)

    def test_list_is_the_customers_campaigns_paged(self):
        cid, other = self.customer(), self.customer()
        ids = [self.create(cid)["campaign_id"] for _ in range(3)]
        self.create(other)
        for path, params in [("/customers/campaigns", {"customer_id": cid}),
                             ("/customers/%s/campaigns" % cid, None)]:
            resp = self.call(self.alice, "GET", path, params=params)
            self.assertEqual([k["campaign_id"] for k in self.ok(resp, "campaigns")], ids)
            self.assertEqual(resp.json()["total"], "3")
        resp = self.call(self.alice, "GET", "/customers/%s/campaigns" % cid,
                         params={"pagesize": 2, "page": 1})
        self.assertEqual([k["campaign_id"] for k in self.ok(resp, "campaigns")], ids[2:])
        self.assertEqual((resp.json()["numpages"], resp.json()["page"]), ("2", "1"))

    def test_get_errors(self):
        cid = self.customer()
        self.assert_error(self.call(self.alice, "GET", "/customers/campaigns"), 400, "missing",
                          "customer_id")
        self.assert_error(self.get(cid, 987654321), 404, "not_found", "campaign_id")
        resp = self.call(self.alice, "GET", "/customers/campaigns",
                         params={"customer_id": cid, "campaign_id": "x"})
        self.assert_error(resp, 400, "invalid", "campaign_id")
        self.assert_error(self.call(self.alice, "GET", "/customers/987654321/campaigns"), 404,
                          "not_found", "customer_id")
        other = self.create(self.customer())
        self.assert_error(self.get(cid, other["campaign_id"]), 404, "not_found", "campaign_id")

    # -- update ---------------------------------------------------------------------------
    def test_put_changes_given_fields_only_both_spellings(self):
        cid = self.customer()
        k = self.create(cid, email="a@example.com", expire="2099-01-01")
        resp = self.call(self.alice, "PUT", "/customers/%s/campaigns/%s" % (cid, k["campaign_id"]),
                         data={"name": "Renamed", "call_recording": "1", "recording_notice": "0"})
        changed = self.one(resp, "campaigns")
        self.assertEqual((changed["name"], changed["call_recording"], changed["recording_notice"]),
                         ("Renamed", "1", "0"))
        self.assertEqual(changed["email"], "a@example.com")
        self.assertEqual(changed["pricing_model_id"], k["pricing_model_id"])
        resp = self.call(self.alice, "PUT", "/customers/campaigns",
                         data={"customer_id": cid, "campaign_id": k["campaign_id"],
                               "email": "", "expire": "", "vm_greeting_id": STANDARD_GREETING})
        cleared = self.one(resp, "campaigns")
        self.assertIsNone(cleared["email"])
        self.assertIsNone(cleared["expire"])
        self.assertEqual(cleared["vm_greeting_id"], STANDARD_GREETING)
        self.assertEqual(self.one(self.get(cid, k["campaign_id"]), "campaigns"), cleared)

    def test_put_errors(self):
        cid = self.customer()
        kid = self.create(cid)["campaign_id"]
        path = "/customers/%s/campaigns/%s" % (cid, kid)
        self.assert_error(self.call(self.alice, "PUT", path, data={"name": ""}), 400, "missing",
                          "name")
        self.assert_error(self.call(self.alice, "PUT", path, data={"vm_divert_all": "yes"}), 400,
                          "invalid", "vm_divert_all")
        self.assert_error(self.call(self.alice, "PUT", path, data={"bogus": "1"}), 400,
                          "unknown_parameter", "bogus")
        self.assert_error(self.call(self.alice, "PUT", "/customers/campaigns",
                                    data={"customer_id": cid}), 400, "missing", "campaign_id")
        self.assert_error(self.call(self.alice, "PUT", "/customers/%s/campaigns/987654321" % cid,
                                    data={"name": "x"}), 404, "not_found", "campaign_id")

    # -- sources --------------------------------------------------------------------------
    def test_sources_lists_the_campaigns_sources(self):
        cid = self.customer()
        kid = self.create(cid)["campaign_id"]
        src = self.one(self.source(cid, campaign_id=kid), "sources")
        self.assertEqual(src["campaign_id"], kid)
        self.assertEqual(self.one(self.get(cid, kid), "campaigns")["sources"], [src["source_id"]])

    def test_source_cannot_use_another_customers_campaign(self):
        cid, other = self.customer(), self.customer()
        foreign = self.create(other)["campaign_id"]
        self.assert_error(self.source(cid, campaign_id=foreign), 400, "invalid", "campaign_id")
        self.assert_error(self.source(cid, campaign_id="987654321"), 400, "invalid",
                          "campaign_id")

    # -- delete ---------------------------------------------------------------------------
    def test_delete_answers_with_the_campaign_both_spellings(self):
        cid = self.customer()
        for spelling in ("nested", "flat"):
            k = self.create(cid)
            if spelling == "nested":
                resp = self.call(self.alice, "DELETE",
                                 "/customers/%s/campaigns/%s" % (cid, k["campaign_id"]))
            else:
                resp = self.call(self.alice, "DELETE", "/customers/campaigns",
                                 params={"customer_id": cid, "campaign_id": k["campaign_id"]})
            self.assertEqual(self.one(resp, "campaigns"), k)
            self.assert_error(self.get(cid, k["campaign_id"]), 404, "not_found", "campaign_id")

    def test_delete_is_refused_while_live_sources_use_it(self):
        cid = self.customer()
        kid = self.create(cid)["campaign_id"]
        src = self.one(self.source(cid, campaign_id=kid), "sources")
        path = "/customers/%s/campaigns/%s" % (cid, kid)
        self.assert_error(self.call(self.alice, "DELETE", path), 409, "has_live_sources",
                          "campaign_id")
        resp = self.call(self.alice, "PUT", "/sources/%s" % src["source_id"],
                         data={"campaign_id": ""})
        self.assertIsNone(self.one(resp, "sources")["campaign_id"])
        self.assertEqual(self.one(self.call(self.alice, "DELETE", path), "campaigns")["sources"],
                         [])

    def test_delete_errors(self):
        cid = self.customer()
        self.assert_error(self.call(self.alice, "DELETE", "/customers/%s/campaigns" % cid), 400,
                          "missing", "campaign_id")
        self.assert_error(self.call(self.alice, "DELETE",
                                    "/customers/%s/campaigns/987654321" % cid),
                          404, "not_found", "campaign_id")

    # -- isolation ------------------------------------------------------------------------
    def test_another_partner_never_sees_or_touches_the_campaigns(self):
        cid = self.customer()
        k = self.create(cid)
        kid = k["campaign_id"]
        nested = "/customers/%s/campaigns/%s" % (cid, kid)
        self.assert_hidden_from(self.bob, nested, "/customers/campaigns",
                                {"customer_id": cid, "campaign_id": kid})
        self.assert_error(self.post(cid, self.bob), 404, "not_found", "customer_id")
        bobs = self.customer(self.bob)
        self.assert_error(self.get(bobs, kid, self.bob), 404, "not_found", "campaign_id")
        resp = self.call(self.bob, "GET", "/customers/%s/campaigns" % bobs)
        self.assertEqual(self.ok(resp, "campaigns"), [])
        self.assert_error(self.post(bobs, self.bob, vm_greeting_id=self.greeting(cid)), 400,
                          "invalid", "vm_greeting_id")
        self.assertEqual(self.one(self.get(cid, kid), "campaigns"), k)


if __name__ == "__main__":
    unittest.main()
