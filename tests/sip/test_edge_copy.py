"""Calls keep connecting while callsightd is away (docs/kamailio.md, "Routes at the edge").

The edge keeps a copy of every route that callsightd computes (core/number_route) and syncs it
every 250 ms. With callsightd killed (-9), a call to an active number still reaches its
answering number (as changed through the API a moment before), a blacklisted caller is still
refused, a quarantined number and a number nobody holds get their 404, and once callsightd is
back the records arrive from the edge's spool.

Run from tests/sip:  CALLSIGHT_BIN_DIR=/work/main/build/bin python3 -m unittest -v test_edge_copy
"""
import os
import shutil
import sys
import tempfile
import time
import unittest
import uuid

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))

from harness import unique  # noqa: E402
from sip_harness import SipCallsMixin, missing_tools, restartable_server  # noqa: E402

SECRET = "sip-copy-" + uuid.uuid4().hex[:8]
BLACKLISTED = "+46709876543"
SYNC_BOUND_S = 1.0  # a change reaches every edge within this (the bound)
SETTLE_S = 20.0


@unittest.skipIf(missing_tools(), "needs kamailio and sipp (scripts/install-sip-deps)")
class EdgeCopyTest(SipCallsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_sip_tmp()
        cls.workdir = tempfile.mkdtemp(prefix="callsight-copy-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, ignore_errors=True)
        cls.server = restartable_server(cls.workdir, SECRET)
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.add_partner("alice", "alice-pw")
        cls.server.start()
        cls.start_edge(cls.server.switch_url(""), SECRET)

    def tracking_number(self):
        number = "+4640%07d" % (uuid.uuid4().int % 10**6 + 8000000)
        self.server.cli("numbers", "add", number, check=True)
        return number

    def copies_loaded(self):
        with open(os.path.join(self.edge.dir, "kamailio.log"), errors="replace") as log:
            return log.read().count("routes copy ")

    def wait_for_next_copy(self, loaded_before, since):
        while self.copies_loaded() == loaded_before:
            self.assertLess(time.monotonic() - since, 10, "the edge loaded no new copy")
            time.sleep(0.02)
        return time.monotonic() - since

    def dial_expect(self, number, final, scenario="uac.xml", caller="+46701111111"):
        _, rc, uac, _ = self.dial(number, scenario=scenario, caller=caller)
        self.assertEqual(rc, 0, uac)
        self.assertIn(final, uac)

    def test_calls_are_routed_from_the_copy_while_callsightd_is_away(self):
        customer = self.partner_api("POST", "/customers", data={
            "name": "C " + unique(), "custnr": unique("cn")})["customers"][0]
        cid = customer["customer_id"]
        active, quarantined = self.tracking_number(), self.tracking_number()
        nobodys = "+4640%07d" % (uuid.uuid4().int % 10**6 + 9000000)
        source = self.partner_api("POST", "/sources", data={
            "customer_id": cid, "destnr": active, "name": "radio",
            "phonenr": "0890510"})["sources"][0]
        doomed = self.partner_api("POST", "/sources", data={
            "customer_id": cid, "destnr": quarantined, "name": "print",
            "phonenr": "0890510"})["sources"][0]
        self.partner_api("DELETE", "/sources", params={"source_id": doomed["source_id"]})
        self.partner_api("PUT", "/customers/blacklist", data={
            "customer_id": cid, "phonenrs": '["%s"]' % BLACKLISTED})
        self.start_gateway("uas_answer.xml")
        time.sleep(1.5)  # the copy holds all of the above

        # A change just before callsightd goes reaches the edge within the bound.
        loaded = self.copies_loaded()
        self.partner_api("PUT", "/sources",
                         data={"source_id": source["source_id"], "phonenr": "0890777"})
        changed_at = time.monotonic()  # the change is made once it is answered
        took = self.wait_for_next_copy(loaded, changed_at)
        self.assertLess(took, SYNC_BOUND_S)
        self.server.kill()

        self.dial_expect(active, "FINAL 200")
        self.dial_expect(active, "FINAL 403", "uac_rejected.xml", caller="0709876543")
        self.dial_expect(quarantined, "FINAL 404", "uac_rejected.xml")
        self.dial_expect(nobodys, "FINAL 404", "uac_rejected.xml")

        self.server.start()
        deadline = time.monotonic() + SETTLE_S
        while True:
            cdrs = self.partner_api("GET", "/statistics/cdrs", params={"customer_id": cid})["cdrs"]
            if (len(cdrs) == 3 and all(c["end"] for c in cdrs)) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        by_number = {}
        for cdr in cdrs:
            by_number.setdefault((cdr["bnum"], cdr["status"]), []).append(cdr)
        self.assertEqual(sorted(by_number), sorted([
            (active, "answered"), (active, "rejected"), (quarantined, "rejected")]), cdrs)
        [answered] = by_number[(active, "answered")]
        self.assertEqual(answered["cnum"], "+46890777")
        self.assertEqual(answered["anum"][:-3], "+46701111")
        self.assertIsNotNone(answered["end"])
        [refused] = by_number[(active, "rejected")]
        self.assertEqual((refused["sip_status"], refused["anum"][:-3]), ("403", "+46709876"))
        [not_in_use] = by_number[(quarantined, "rejected")]
        self.assertEqual((not_in_use["sip_status"], not_in_use["quarantined"]), ("404", "1"))
        metrics = requests.get(self.server.switch_url("/metrics"), timeout=10).text
        self.assertIn('callsight_edge_routed_calls_total{action="forward"} 1\n', metrics)
        self.assertIn('callsight_edge_routed_calls_total{action="reject"} 2\n', metrics)


if __name__ == "__main__":
    unittest.main()
