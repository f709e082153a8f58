"""/customers/voicemail_greetings as docs/api.md and the Freespee reference (§2.4) describe it."""

import base64
import unittest

from harness import FORM_TYPE, TIME_RE, ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

GREETING_KEYS = {"vm_greeting_id", "customer_id", "name", "timestamp", "datalength", "locked",
                 "used_by"}
RECORD_NUMBER = "+46850000000"
STANDARD_GREETING = "1"

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(16)) + b"data\x00\x00\x00\x00"
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 8
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(200)


def b64(data):
    return base64.b64encode(data).decode("ascii")


class VoicemailGreetingsTest(CustomerResourceMixin, ServerTestCase):
    # -- helpers --------------------------------------------------------------------------
    def post(self, customer_id, s=None, **fields):
        fields.setdefault("name", "Greeting " + unique())
        fields["customer_id"] = customer_id
        return self.call(s or self.alice, "POST", "/customers/voicemail_greetings", data=fields)

    def create(self, customer_id, s=None, **fields):
        return self.one(self.post(customer_id, s, **fields), "voicemail_greetings")

    def get(self, customer_id, greeting_id, s=None):
        return self.call(s or self.alice, "GET", "/customers/%s/voicemail_greetings/%s"
                         % (customer_id, greeting_id))

    def listed(self, customer_id, s=None):
        resp = self.call(s or self.alice, "GET", "/customers/%s/voicemail_greetings" % customer_id)
        return self.ok(resp, "voicemail_greetings")

    # -- create ---------------------------------------------------------------------------
    def test_post_returns_record_number_and_pin(self):
        cid = self.customer()
        resp = self.post(cid, name="Closed for summer")
        g = self.one(resp, "voicemail_greetings")
        self.assertEqual(set(g), GREETING_KEYS | {"record_number", "record_pin"})
        self.assertEqual(g["record_number"], RECORD_NUMBER)
        self.assertRegex(g["record_pin"], r"^[0-9]{6}$")
        self.assertEqual((g["customer_id"], g["name"]), (cid, "Closed for summer"))
        self.assertEqual((g["datalength"], g["locked"], g["used_by"]), ("0", "0", []))
        self.assertRegex(g["timestamp"], TIME_RE)
        pins = {self.create(cid)["record_pin"] for _ in range(5)} | {g["record_pin"]}
        self.assertGreater(len(pins), 1)
        got = self.one(self.get(cid, g["vm_greeting_id"]), "voicemail_greetings")
        self.assertNotIn("record_pin", got)
        self.assertIsNone(got["sounddata"])

    def test_post_on_nested_path(self):
        cid = self.customer()
        resp = self.call(self.alice, "POST", "/customers/%s/voicemail_greetings" % cid,
                         data={"name": "Nested"})
        self.assertEqual(self.one(resp, "voicemail_greetings")["customer_id"], cid)

    def test_uploaded_audio_is_stored_and_returned_only_by_id(self):
        cid = self.customer()
        for audio in (WAV, MP3_ID3, MP3_FRAME):
            g = self.create(cid, sounddata=b64(audio))
            self.assertEqual(g["datalength"], str(len(audio)))
            self.assertIsNone(g["record_number"])
            self.assertIsNone(g["record_pin"])
            self.assertNotIn("sounddata", g)
            got = self.one(self.get(cid, g["vm_greeting_id"]), "voicemail_greetings")
            self.assertEqual(base64.b64decode(got["sounddata"]), audio)
        for g in self.listed(cid):
            self.assertNotIn("sounddata", g)

    def test_unencoded_plus_and_line_breaks_in_sounddata_are_repaired(self):
        cid = self.customer()
        audio = WAV + bytes(2) + bytes([0xfb, 0xef, 0xbe]) * 30  # 3-byte aligned: "++++"...
        text = b64(audio)
        self.assertIn("+", text)
        wrapped = "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
        body = "customer_id=%s&name=raw&sounddata=%s" % (cid, wrapped.replace("\n", "%0A"))
        resp = self.call(self.alice, "POST", "/customers/voicemail_greetings", data=body,
                         headers=FORM_TYPE)
        g = self.one(resp, "voicemail_greetings")
        got = self.one(self.get(cid, g["vm_greeting_id"]), "voicemail_greetings")
        self.assertEqual(base64.b64decode(got["sounddata"]), audio)

    def test_post_validation_errors(self):
        cid = self.customer()
        resp = self.call(self.alice, "POST", "/customers/voicemail_greetings", data={"x": "1"})
        self.assert_error(resp, 400, "missing", "customer_id")
        self.assert_error(resp, 400, "missing", "name")
        self.assert_error(resp, 400, "unknown_parameter", "x")
        self.assert_error(self.post(cid, name=""), 400, "missing", "name")
        self.assert_error(self.post(cid, name="n" * 101), 400, "too_long", "name")
        self.assert_error(self.post(cid, sounddata="not base64!"), 400, "invalid", "sounddata")
        self.assert_error(self.post(cid, sounddata=b64(b"hello, not audio")), 400, "invalid",
                          "sounddata")
        self.assert_error(self.post(cid, sounddata=""), 400, "invalid", "sounddata")
        self.assert_error(self.post("abc"), 400, "invalid", "customer_id")
        self.assert_error(self.post("987654321"), 404, "not_found", "customer_id")

    # -- read -----------------------------------------------------------------------------
    def test_system_greeting_is_listed_for_every_customer(self):
        cid = self.customer()
        own = self.create(cid)
        listed = self.listed(cid)
        self.assertEqual([g["vm_greeting_id"] for g in listed],
                         [STANDARD_GREETING, own["vm_greeting_id"]])
        system = listed[0]
        self.assertEqual(set(system), GREETING_KEYS)
        self.assertEqual((system["name"], system["locked"], system["customer_id"]),
                         ("Standard greeting", "1", None))
        bobs = self.customer(self.bob)
        self.assertEqual([g["vm_greeting_id"] for g in self.listed(bobs, self.bob)],
                         [STANDARD_GREETING])

    def test_get_both_spellings(self):
        cid = self.customer()
        g = self.create(cid, sounddata=b64(WAV))
        gid = g["vm_greeting_id"]
        expected = None
        for path, params in [
                ("/customers/voicemail_greetings", {"customer_id": cid, "vm_greeting_id": gid}),
                ("/customers/%s/voicemail_greetings" % cid, {"vm_greeting_id": gid}),
                ("/customers/%s/voicemail_greetings/%s" % (cid, gid), None),
                ("/customers/voicemail_greetings/%s" % gid, {"customer_id": cid}),
                ("/2.4.9/customers/%s/voicemail_greetings/%s" % (cid, gid), None)]:
            got = self.one(self.call(self.alice, "GET", path, params=params),
                           "voicemail_greetings")
            expected = expected or got
            self.assertEqual(got, expected, path)
        self.assertEqual(set(expected), GREETING_KEYS | {"sounddata"})
        resp = self.call(self.alice, "GET", "/customers/voicemail_greetings",
                         params={"customer_id": cid})
        self.assertEqual(len(self.ok(resp, "voicemail_greetings")), 2)
        self.assertEqual(resp.json()["total"], "2")

    def test_get_errors(self):
        cid = self.customer()
        self.assert_error(self.call(self.alice, "GET", "/customers/voicemail_greetings"), 400,
                          "missing", "customer_id")
        self.assert_error(self.get(cid, 987654321), 404, "not_found", "vm_greeting_id")
        self.assert_error(self.get(cid, "x"), 400, "invalid", "vm_greeting_id")
        self.assert_error(self.call(self.alice, "GET", "/customers/987654321/voicemail_greetings"),
                          404, "not_found", "customer_id")
        other = self.create(self.customer())
        self.assert_error(self.get(cid, other["vm_greeting_id"]), 404, "not_found",
                          "vm_greeting_id")

    def test_used_by_lists_sources_of_the_customer(self):
        cid = self.customer()
        g = self.create(cid)
        src = self.one(self.source(cid, vm_greeting_id=g["vm_greeting_id"]), "sources")
        got = self.one(self.get(cid, g["vm_greeting_id"]), "voicemail_greetings")
        self.assertEqual(got["used_by"], [src["source_id"]])
        system_user = self.one(self.source(cid, vm_greeting_id=STANDARD_GREETING), "sources")
        system = self.one(self.get(cid, STANDARD_GREETING), "voicemail_greetings")
        self.assertEqual(system["used_by"], [system_user["source_id"]])
        # Another customer sees the system greeting without this customer's sources.
        self.assertEqual(self.one(self.get(self.customer(), STANDARD_GREETING),
                                  "voicemail_greetings")["used_by"], [])

    def test_source_cannot_use_another_customers_greeting(self):
        cid, other = self.customer(), self.customer()
        foreign = self.create(other)["vm_greeting_id"]
        self.assert_error(self.source(cid, vm_greeting_id=foreign), 400, "invalid",
                          "vm_greeting_id")
        src = self.one(self.source(cid), "sources")
        resp = self.call(self.alice, "PUT", "/sources/%s" % src["source_id"],
                         data={"vm_greeting_id": foreign})
        self.assert_error(resp, 400, "invalid", "vm_greeting_id")

    # -- update ---------------------------------------------------------------------------
    def test_put_renames_both_spellings(self):
        cid = self.customer()
        g = self.create(cid, sounddata=b64(WAV))
        gid = g["vm_greeting_id"]
        resp = self.call(self.alice, "PUT", "/customers/%s/voicemail_greetings/%s" % (cid, gid),
                         data={"name": "Renamed"})
        renamed = self.one(resp, "voicemail_greetings")
        self.assertEqual(renamed["name"], "Renamed")
        self.assertEqual(renamed["datalength"], g["datalength"])
        self.assertEqual(set(renamed), GREETING_KEYS)
        resp = self.call(self.alice, "PUT", "/customers/voicemail_greetings",
                         data={"customer_id": cid, "vm_greeting_id": gid, "name": "Again"})
        self.assertEqual(self.one(resp, "voicemail_greetings")["name"], "Again")

    def test_put_errors(self):
        cid = self.customer()
        gid = self.create(cid)["vm_greeting_id"]
        path = "/customers/%s/voicemail_greetings/%s" % (cid, gid)
        self.assert_error(self.call(self.alice, "PUT", path), 400, "missing", "name")
        self.assert_error(self.call(self.alice, "PUT", path, data={"name": ""}), 400, "missing",
                          "name")
        self.assert_error(self.call(self.alice, "PUT", path, data={"name": "x", "sounddata": ""}),
                          400, "unknown_parameter", "sounddata")
        self.assert_error(self.call(self.alice, "PUT", "/customers/voicemail_greetings",
                                    data={"customer_id": cid, "name": "x"}), 400, "missing",
                          "vm_greeting_id")
        self.assert_error(self.call(self.alice, "PUT",
                                    "/customers/%s/voicemail_greetings/987654321" % cid,
                                    data={"name": "x"}), 404, "not_found", "vm_greeting_id")

    def test_system_greeting_is_read_only(self):
        cid = self.customer()
        path = "/customers/%s/voicemail_greetings/%s" % (cid, STANDARD_GREETING)
        self.assert_error(self.call(self.alice, "PUT", path, data={"name": "Mine"}), 403,
                          "locked", "vm_greeting_id")
        self.assert_error(self.call(self.alice, "DELETE", path), 403, "locked", "vm_greeting_id")
        self.assertEqual(self.one(self.get(cid, STANDARD_GREETING), "voicemail_greetings")["name"],
                         "Standard greeting")

    # -- delete ---------------------------------------------------------------------------
    def test_delete_answers_with_the_greeting_both_spellings(self):
        cid = self.customer()
        for spelling in ("nested", "flat"):
            g = self.create(cid)
            gid = g["vm_greeting_id"]
            if spelling == "nested":
                resp = self.call(self.alice, "DELETE",
                                 "/customers/%s/voicemail_greetings/%s" % (cid, gid))
            else:
                resp = self.call(self.alice, "DELETE", "/customers/voicemail_greetings",
                                 params={"customer_id": cid, "vm_greeting_id": gid})
            deleted = self.one(resp, "voicemail_greetings")
            self.assertEqual(deleted["vm_greeting_id"], gid)
            self.assert_error(self.get(cid, gid), 404, "not_found", "vm_greeting_id")

    def test_delete_of_a_greeting_in_use_is_refused(self):
        cid = self.customer()
        by_source = self.create(cid)["vm_greeting_id"]
        src = self.one(self.source(cid, vm_greeting_id=by_source), "sources")
        path = "/customers/%s/voicemail_greetings/%s"
        self.assert_error(self.call(self.alice, "DELETE", path % (cid, by_source)), 409, "in_use",
                          "vm_greeting_id")
        self.call(self.alice, "PUT", "/sources/%s" % src["source_id"], data={"vm_greeting_id": ""})
        self.one(self.call(self.alice, "DELETE", path % (cid, by_source)), "voicemail_greetings")

        by_campaign = self.create(cid)["vm_greeting_id"]
        resp = self.call(self.alice, "POST", "/customers/campaigns",
                         data={"customer_id": cid, "name": "c", "pricing_model_id": "p",
                               "vm_greeting_id": by_campaign})
        self.one(resp, "campaigns")
        self.assert_error(self.call(self.alice, "DELETE", path % (cid, by_campaign)), 409,
                          "in_use", "vm_greeting_id")

    def test_delete_errors(self):
        cid = self.customer()
        self.assert_error(self.call(self.alice, "DELETE",
                                    "/customers/%s/voicemail_greetings" % cid),
                          400, "missing", "vm_greeting_id")
        self.assert_error(self.call(self.alice, "DELETE",
                                    "/customers/%s/voicemail_greetings/987654321" % cid),
                          404, "not_found", "vm_greeting_id")

    # -- isolation ------------------------------------------------------------------------
    def test_another_partner_never_sees_or_touches_the_greetings(self):
        cid = self.customer()
        g = self.create(cid, sounddata=b64(WAV))
        gid = g["vm_greeting_id"]
        nested = "/customers/%s/voicemail_greetings/%s" % (cid, gid)
        self.assert_hidden_from(self.bob, nested, "/customers/voicemail_greetings",
                                {"customer_id": cid, "vm_greeting_id": gid})
        self.assert_error(self.post(cid, self.bob), 404, "not_found", "customer_id")
        bobs = self.customer(self.bob)
        self.assert_error(self.get(bobs, gid, self.bob), 404, "not_found", "vm_greeting_id")
        self.assertNotIn(gid, [x["vm_greeting_id"] for x in self.listed(bobs, self.bob)])
        self.assertEqual(self.one(self.get(cid, gid), "voicemail_greetings")["name"], g["name"])


if __name__ == "__main__":
    unittest.main()
