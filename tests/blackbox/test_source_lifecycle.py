"""The source lifecycle of docs/api.md (reserved, upcoming, active, quarantined, archived),
/sources/reactivate, /sources/extend and /sources/statuses, seen from the partner API.

Transitions that need time to pass (upcoming -> active, reservation expiry, end of
quarantine) are pinned by the unit tests with an injected clock; nothing here sleeps.
"""

import datetime
import unittest

from harness import ServerTestCase, unique

WIRE_FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_in(days=0, hours=0):
    """A UTC wire time this far from now."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days,
                                                                                hours=hours)
    return moment.strftime(WIRE_FORMAT)


def utc_day_in(days):
    """Midnight UTC of the day this far from today, as the reference writes expiry days."""
    day = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)
    return day.strftime("%Y-%m-%d 00:00:00")


class SourceLifecycleTest(ServerTestCase):
    PARTNERS = {
        "alice": dict(password="alice-pw"),
        "bob": dict(password="bob-pw"),
        "brief": dict(password="brief-pw"),  # quarantine period 0 days
    }
    NUMBERS = ["+46317%06d" % i for i in range(60)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("partner", "set", "--username", "brief", "--quarantine-days", "0",
                       check=True)
        cls.server.cli("numbers", "add", "%s-%s" % (cls.NUMBERS[0], cls.NUMBERS[-1]),
                       check=True)

    def setUp(self):
        self.alice = self.session("alice")
        self.cid = self.customer(self.alice)["customer_id"]

    # -- helpers ----------------------------------------------------------------------------
    def customer(self, s):
        return self.one(self.call(s, "POST", "/customers",
                                  data={"name": "C " + unique(), "custnr": unique("cn")}),
                        "customers")

    def post_source(self, s, customer_id, **fields):
        fields.setdefault("name", "Source " + unique())
        fields.setdefault("phonenr", "0890510")
        fields["customer_id"] = customer_id
        return self.call(s, "POST", "/sources", data=fields)

    def source(self, s, customer_id, **fields):
        return self.one(self.post_source(s, customer_id, **fields), "sources")

    def get(self, s, source_id):
        return self.one(self.call(s, "GET", "/sources/" + source_id), "sources")

    def delete(self, s, source_id):
        return self.one(self.call(s, "DELETE", "/sources/" + source_id), "sources")

    def reactivate(self, s, source_id):
        return self.call(s, "POST", "/sources/reactivate", data={"source_id": source_id})

    def extend(self, s, source_id, expire):
        return self.call(s, "POST", "/sources/extend",
                         data={"source_id": source_id, "expire": expire})

    def numbers(self, s, state):
        return {n["number"]: n for n in self.ok(self.call(s, "GET", "/numbers",
                                                          params={"state": state}), "numbers")}

    def statuses(self, s, **params):
        return self.ok(self.call(s, "GET", "/sources/statuses", params=params), "statuses")

    # -- creation states --------------------------------------------------------------------
    def test_future_timestamp_is_upcoming_and_holds_its_number(self):
        when = utc_in(days=3)
        src = self.source(self.alice, self.cid, timestamp=when)
        self.assertEqual(src["status"], "upcoming")
        self.assertEqual(src["timestamp"], when)
        self.assertIn(src["destnr"], self.numbers(self.alice, "allocated"))
        self.assertEqual(self.get(self.alice, src["source_id"])["status"], "upcoming")

    def test_past_timestamp_is_active(self):
        src = self.source(self.alice, self.cid, timestamp=utc_in(days=-3))
        self.assertEqual(src["status"], "active")

    def test_no_timestamp_is_set_to_creation_time(self):
        src = self.source(self.alice, self.cid)
        self.assertEqual(src["timestamp"], src["created"])

    def test_reserved_source_is_activated_by_put(self):
        src = self.source(self.alice, self.cid, reserve_number="1")
        self.assertEqual(src["status"], "reserved")
        self.assertIn(src["destnr"], self.numbers(self.alice, "allocated"))
        self.assert_error(self.extend(self.alice, src["source_id"], utc_day_in(30)), 409,
                          "not_extendable", "source_id")
        path = "/sources/" + src["source_id"]
        self.assert_error(self.call(self.alice, "PUT", path, data={"status": "paused"}), 400,
                          "invalid", "status")
        self.assertEqual(self.get(self.alice, src["source_id"])["status"], "reserved")
        active = self.one(self.call(self.alice, "PUT", path, data={"status": "active"}),
                          "sources")
        self.assertEqual(active["status"], "active")
        self.assertEqual(active["destnr"], src["destnr"])
        self.assertEqual(self.get(self.alice, src["source_id"])["status"], "active")

    def test_reserve_number_0_is_active(self):
        self.assertEqual(self.source(self.alice, self.cid, reserve_number="0")["status"],
                         "active")
        self.assert_error(self.post_source(self.alice, self.cid, reserve_number="2"), 400,
                          "invalid", "reserve_number")

    def test_expire_in_a_past_day_is_400(self):
        before = self.ok(self.call(self.alice, "GET", "/sources",
                                   params={"customer_id": self.cid}), "sources")
        self.assert_error(self.post_source(self.alice, self.cid, expire=utc_day_in(-3)), 400,
                          "invalid", "expire")
        self.assert_error(self.post_source(self.alice, self.cid, expire="tomorrow"), 400,
                          "invalid", "expire")
        after = self.ok(self.call(self.alice, "GET", "/sources",
                                  params={"customer_id": self.cid}), "sources")
        self.assertEqual(after, before)
        src = self.source(self.alice, self.cid)
        self.assert_error(self.call(self.alice, "PUT", "/sources/" + src["source_id"],
                                    data={"expire": utc_day_in(-3)}), 400, "invalid", "expire")
        self.assertIsNone(self.get(self.alice, src["source_id"])["expire"])

    def test_expire_today_keeps_the_source_active(self):
        src = self.source(self.alice, self.cid, expire=utc_day_in(0) if
                          datetime.datetime.now(datetime.timezone.utc).hour < 20 else
                          utc_day_in(1))
        self.assertEqual(src["status"], "active")
        self.assertIsNotNone(src["expire"])

    # -- delete, quarantine, reactivate ----------------------------------------------------
    def test_delete_quarantines_and_holds_the_number(self):
        src = self.source(self.alice, self.cid)
        deleted = self.delete(self.alice, src["source_id"])
        self.assertEqual(deleted["source_id"], src["source_id"])
        self.assertEqual(deleted["status"], "quarantined")
        self.assertEqual(deleted["destnr"], src["destnr"])
        self.assertEqual(self.get(self.alice, src["source_id"])["status"], "quarantined")
        held = self.numbers(self.alice, "quarantined")
        self.assertIn(src["destnr"], held)
        self.assertEqual(held[src["destnr"]]["source_id"], src["source_id"])
        self.assertNotIn(src["destnr"], self.numbers(self.alice, "free"))
        self.assertNotIn(src["destnr"], self.numbers(self.alice, "allocated"))
        self.assert_error(self.post_source(self.alice, self.cid, destnr=src["destnr"]), 409,
                          "no_free_number", "destnr")
        listed = self.ok(self.call(self.alice, "GET", "/sources",
                                   params={"customer_id": self.cid, "status": "quarantined"}),
                         "sources")
        self.assertIn(src["source_id"], [s["source_id"] for s in listed])
        # Deleting again changes nothing.
        again = self.delete(self.alice, src["source_id"])
        self.assertEqual(again, deleted)

    def test_reactivate_brings_back_the_same_number(self):
        src = self.source(self.alice, self.cid)
        self.assert_error(self.reactivate(self.alice, src["source_id"]), 409, "not_quarantined",
                          "source_id")
        self.delete(self.alice, src["source_id"])
        back = self.one(self.reactivate(self.alice, src["source_id"]), "sources")
        self.assertEqual(back["status"], "active")
        self.assertEqual(back["destnr"], src["destnr"])
        self.assertIn(src["destnr"], self.numbers(self.alice, "allocated"))
        self.assertEqual(self.get(self.alice, src["source_id"])["status"], "active")
        self.assert_error(self.reactivate(self.alice, src["source_id"]), 409, "not_quarantined",
                          "source_id")
        self.assert_error(self.call(self.alice, "POST", "/sources/reactivate",
                                    data={"source_id": src["source_id"], "x": "1"}), 400,
                          "unknown_parameter", "x")
        self.assert_error(self.reactivate(self.alice, "999999"), 404, "not_found", "source_id")

    def test_reactivated_upcoming_source(self):
        src = self.source(self.alice, self.cid, timestamp=utc_in(days=5))
        self.delete(self.alice, src["source_id"])
        back = self.one(self.reactivate(self.alice, src["source_id"]), "sources")
        self.assertEqual(back["status"], "active")

    # -- extend -------------------------------------------------------------------------------
    def test_extend_moves_the_expiry_forward_only(self):
        src = self.source(self.alice, self.cid, expire=utc_day_in(10))
        self.assertEqual(src["expire"], utc_day_in(10))
        later = self.one(self.extend(self.alice, src["source_id"], utc_day_in(20)), "sources")
        self.assertEqual(later["expire"], utc_day_in(20))
        self.assertEqual(later["status"], "active")
        for bad in (utc_day_in(15), utc_day_in(20), utc_day_in(-3)):
            with self.subTest(expire=bad):
                self.assert_error(self.extend(self.alice, src["source_id"], bad), 400, "invalid",
                                  "expire")
        self.assertEqual(self.get(self.alice, src["source_id"])["expire"], utc_day_in(20))
        self.assert_error(self.call(self.alice, "POST", "/sources/extend",
                                    data={"source_id": src["source_id"]}), 400, "missing",
                          "expire")

    def test_expiry_never_precedes_activation_whichever_way_it_is_set(self):
        src = self.source(self.alice, self.cid, timestamp=utc_day_in(10))
        self.assertEqual(src["status"], "upcoming")
        put = self.call(self.alice, "PUT", "/sources/" + src["source_id"],
                        data={"expire": utc_day_in(5)})
        self.assert_error(put, 400, "invalid", "expire")
        self.assert_error(self.extend(self.alice, src["source_id"], utc_day_in(5)), 400,
                          "invalid", "expire")
        dated = self.source(self.alice, self.cid, expire=utc_day_in(5))
        moved = self.call(self.alice, "PUT", "/sources/" + dated["source_id"],
                          data={"timestamp": utc_day_in(8)})
        self.assert_error(moved, 400, "invalid", "expire")
        self.assertIsNone(self.get(self.alice, src["source_id"])["expire"])

    def test_extend_a_source_without_expiry(self):
        src = self.source(self.alice, self.cid)
        extended = self.one(self.extend(self.alice, src["source_id"], utc_day_in(7)), "sources")
        self.assertEqual(extended["expire"], utc_day_in(7))
        self.assertEqual(extended["status"], "active")

    def test_extend_of_a_quarantined_source_activates_it(self):
        src = self.source(self.alice, self.cid)
        self.assertEqual(self.delete(self.alice, src["source_id"])["status"], "quarantined")
        back = self.one(self.extend(self.alice, src["source_id"], utc_day_in(30)), "sources")
        self.assertEqual(back["status"], "active")
        self.assertEqual(back["destnr"], src["destnr"])
        self.assertEqual(back["expire"], utc_day_in(30))
        self.assertIn(src["destnr"], self.numbers(self.alice, "allocated"))

    # -- archive (quarantine period 0) ------------------------------------------------------
    def test_zero_quarantine_archives_at_once_and_frees_the_number(self):
        brief = self.session("brief")
        cid = self.customer(brief)["customer_id"]
        src = self.source(brief, cid)
        path = "/sources/" + src["source_id"]
        deleted = self.one(self.call(brief, "DELETE", path), "sources")
        self.assertEqual(deleted["status"], "archived")
        self.assertEqual(self.get(brief, src["source_id"])["status"], "archived")
        self.assert_error(self.call(brief, "PUT", path, data={"name": "again"}), 409, "archived",
                          "source_id")
        self.assert_error(self.call(brief, "DELETE", path), 409, "archived")
        self.assert_error(self.reactivate(brief, src["source_id"]), 409, "not_quarantined")
        self.assert_error(self.extend(brief, src["source_id"], utc_day_in(30)), 409,
                          "not_extendable")
        self.assertEqual(self.get(brief, src["source_id"])["name"], src["name"])

        self.assertIn(src["destnr"], self.numbers(brief, "free"))
        self.assertIn(src["destnr"], self.numbers(self.alice, "free"))
        self.assertNotIn(src["destnr"], self.numbers(brief, "quarantined"))
        again = self.source(self.alice, self.cid, destnr=src["destnr"])
        self.assertEqual(again["destnr"], src["destnr"])
        self.assertEqual(again["status"], "active")
        # The archived source is still readable and still names its old number.
        self.assertEqual(self.get(brief, src["source_id"])["destnr"], src["destnr"])
        archived = self.ok(self.call(brief, "GET", "/sources",
                                     params={"customer_id": cid, "status": "archived"}),
                           "sources")
        self.assertEqual([s["source_id"] for s in archived], [src["source_id"]])
        # Only archived sources left: the customer can go.
        resp = self.call(brief, "DELETE", "/customers/" + cid)
        self.assertEqual(resp.status_code, 200, resp.text)

    # -- statuses and customer deletion ------------------------------------------------------
    def test_statuses_list_sources_that_cannot_take_calls(self):
        customer = self.customer(self.alice)
        cid = customer["customer_id"]
        self.source(self.alice, cid)
        upcoming = self.source(self.alice, cid, timestamp=utc_in(days=2))
        reserved = self.source(self.alice, cid, reserve_number="1")
        quarantined = self.source(self.alice, cid)
        self.delete(self.alice, quarantined["source_id"])
        want = [
            {"source_id": upcoming["source_id"], "service": "OOS", "status": "upcoming"},
            {"source_id": reserved["source_id"], "service": "OOS", "status": "reserved"},
            {"source_id": quarantined["source_id"], "service": "OOS", "status": "quarantined"},
        ]
        self.assertEqual(self.statuses(self.alice, customer_id=cid), want)
        self.assertEqual(self.statuses(self.alice, custnr=customer["custnr"]), want)
        self.assertEqual(self.statuses(self.alice, source_id=reserved["source_id"]), [want[1]])
        all_statuses = self.statuses(self.alice)
        for item in want:
            self.assertIn(item, all_statuses)
        self.assertEqual(self.statuses(self.session("bob"), customer_id=cid), [])

    def test_statuses_empty_when_all_sources_are_active(self):
        customer = self.customer(self.alice)
        self.source(self.alice, customer["customer_id"])
        self.source(self.alice, customer["customer_id"])
        self.assertEqual(self.statuses(self.alice, customer_id=customer["customer_id"]), [])
        self.assertEqual(self.statuses(self.alice, custnr=customer["custnr"]), [])

    def test_customer_with_live_sources_cannot_be_deleted(self):
        cid = self.customer(self.alice)["customer_id"]
        src = self.source(self.alice, cid)
        self.assert_error(self.call(self.alice, "DELETE", "/customers/" + cid), 409,
                          "has_live_sources")
        self.delete(self.alice, src["source_id"])
        self.assert_error(self.call(self.alice, "DELETE", "/customers/" + cid), 409,
                          "has_live_sources")
        self.one(self.call(self.alice, "GET", "/customers/" + cid), "customers")


if __name__ == "__main__":
    unittest.main()
