"""DELETE /callers (issue 15, item 6; docs/api.md): a data subject's request to erase their
phone number. The partner's call records, the call events stored for them, its callbacks and
PINs lose the number in one request; counts and durations stay; another partner's records of
the same caller are untouched, and another partner cannot reach the first one's."""

import datetime
import itertools
import json
import unittest

from harness import ServerTestCase, unique
from resource_helpers import CustomerResourceMixin

SECRET = "switch-secret-" + unique()
CALLER = "+46701111111"
CALLER_NATIONAL = "070-111 11 11"
OTHER_CALLER = "+46702222222"
_call_ids = itertools.count(1)
# What erasing changes in a call record: the caller and what is derived from it.
CALLER_FIELDS = {"anum", "anum_md5", "anum_ndc_name"}


def without_caller(record):
    return {k: v for k, v in record.items() if k not in CALLER_FIELDS}


class CallerErasureTest(CustomerResourceMixin, ServerTestCase):
    SWITCH_SECRET = SECRET

    # -- helpers ----------------------------------------------------------------------------
    def answered_call(self, dialled, caller):
        call_id = "er-%s-%d" % (unique(), next(_call_ids))
        resp = self.switch_post("/switch/route",
                                {"call_id": call_id, "caller": caller, "dialled": dialled})
        self.assertEqual(resp.status_code, 200, resp.text)
        for event, at in (("answered", 1_800_000_000), ("hangup", 1_800_000_042)):
            r = self.switch_post("/switch/events", {"call_id": call_id, "event": event, "at": at})
            self.assertEqual(r.status_code, 200, r.text)
        return resp.json()["cdr_id"]

    def tracking_number(self, s):
        customer_id = self.customer(s)
        source = self.one(self.source(customer_id, s=s), "sources")
        return customer_id, source["destnr"]

    def cdrs(self, s):
        resp = self.call(s, "GET", "/statistics/cdrs", params={"extended": "1"})
        return {c["cdr_id"]: c for c in self.ok(resp, "cdrs")}

    def events(self, s):
        resp = self.call(s, "GET", "/events", params={"after": "0", "limit": "1000"})
        return {e["event_id"]: e for e in self.ok(resp, "events")}

    def erase(self, s, **params):
        return self.call(s, "DELETE", "/callers", params=params)

    # -- tests ------------------------------------------------------------------------------
    def test_a_partner_erases_a_callers_number_from_its_records_only(self):
        customer_id, number = self.tracking_number(self.alice)
        _, bobs_number = self.tracking_number(self.bob)
        erased_ids = [self.answered_call(number, CALLER) for _ in range(2)]
        kept_id = self.answered_call(number, OTHER_CALLER)
        bobs_id = self.answered_call(bobs_number, CALLER)
        scheduled = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1))
        callback = self.one(self.call(self.alice, "POST", "/customers/callbacks", data={
            "customer_id": customer_id, "agent_nr": "+46701112233", "requester_nr": CALLER,
            "scheduled": scheduled.strftime("%Y-%m-%d %H:%M:%S")}), "callbacks")
        pincode = self.one(self.call(self.alice, "POST", "/customers/pincodes", data={
            "customer_id": customer_id, "phone_number": CALLER, "pincode_length": "6",
            "pincode_ttl": "1"}), "pincodes")
        before, bobs_before = self.cdrs(self.alice), self.cdrs(self.bob)
        bobs_events_before = self.events(self.bob)
        self.assertEqual(before[erased_ids[0]]["anum"], "+46701111xxx")

        erased = self.one(self.erase(self.alice, anum=CALLER_NATIONAL), "callers")
        events_of_erased = [e for e in self.events(self.alice).values()
                            if e.get("cdr_id") in erased_ids]
        self.assertEqual(erased, {"calls_erased": "2",
                                  "events_erased": str(len(events_of_erased)),
                                  "callbacks_erased": "1", "pincodes_erased": "1",
                                  "recordings_erased": "0"})
        self.assertGreaterEqual(len(events_of_erased), 4)  # started, answered, completed...
        self.assertNotIn("70111111", json.dumps(erased))

        after = self.cdrs(self.alice)
        self.assertEqual(sorted(after), sorted(before), "no record is removed")
        for cdr_id in erased_ids:
            self.assertEqual(without_caller(after[cdr_id]), without_caller(before[cdr_id]))
            self.assertEqual(after[cdr_id]["anum"], "xxx")
            self.assertNotEqual(after[cdr_id]["anum_md5"], before[cdr_id]["anum_md5"])
            self.assertEqual(after[cdr_id]["duration"], "42")
        self.assertEqual(after[kept_id], before[kept_id])
        for event in events_of_erased:
            self.assertEqual(event["data"]["anum"], "xxx")
        everything = json.dumps([after, self.events(self.alice)])
        self.assertNotIn("701111", everything)
        listed = self.ok(self.call(self.alice, "GET", "/customers/callbacks",
                                   params={"customer_id": customer_id}), "callbacks")
        mine = [c for c in listed if c["id"] == callback["id"]]
        self.assertEqual((mine[0]["requester_nr"], mine[0]["completed"]), ("", "1"))
        pin = self.one(self.call(self.alice, "GET", "/customers/%s/pincodes/%s"
                                 % (customer_id, pincode["pincode_id"])), "pincodes")
        self.assertIsNone(pin["phone_number"])

        # Bob's records of the same caller are his to erase, and stay as they were.
        self.assertEqual(self.cdrs(self.bob), bobs_before)
        self.assertEqual(self.cdrs(self.bob)[bobs_id]["anum"], "+46701111xxx")
        self.assertEqual(self.events(self.bob), bobs_events_before)
        # Nothing of alice's holds the number now; bob cannot reach alice's other caller.
        self.assert_error(self.erase(self.alice, anum=CALLER), 404, "not_found", "anum")
        self.assert_error(self.erase(self.bob, anum=OTHER_CALLER), 404, "not_found", "anum")
        self.assertEqual(self.cdrs(self.alice)[kept_id], before[kept_id])
        self.one(self.erase(self.bob, anum=CALLER), "callers")
        self.assertEqual(self.cdrs(self.bob)[bobs_id]["anum"], "xxx")

    def test_bad_input_is_refused_naming_the_field(self):
        for params, code in (({}, "missing"), ({"anum": ""}, "invalid"),
                             ({"anum": "banana-caller"}, "invalid"),
                             ({"anum": "070111\x00111"}, "invalid_encoding"),
                             ({"anum": b"070\xff1111111"}, "invalid_encoding")):
            with self.subTest(params=params):
                errors = self.assert_error(self.erase(self.alice, **params), 400, code, "anum")
                self.assertNotIn("banana", json.dumps(errors))
        self.assert_error(self.erase(self.alice, anum=CALLER, cdr_id="1"), 400, None, "cdr_id")
        resp = self.call(self.alice, "GET", "/callers", params={"anum": CALLER})
        self.assert_error(resp, 405, "method_not_allowed")


if __name__ == "__main__":
    unittest.main()
