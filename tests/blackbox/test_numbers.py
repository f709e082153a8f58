"""The tracking-number inventory: `callsight numbers add|list|remove` and GET /numbers."""

import os
import shutil
import tempfile
import unittest

from harness import ServerTestCase, run_cli, unique


def block(prefix, size):
    """size consecutive E.164 numbers starting at prefix + 0000."""
    return ["%s%04d" % (prefix, i) for i in range(size)]


def span(numbers):
    return "%s-%s" % (numbers[0], numbers[-1])


def listed(stdout):
    """`numbers list` rows (after the header) as {number: {column: value}}."""
    lines = stdout.splitlines()
    header = lines[0].split("\t")
    rows = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t")))
        rows[row["number"]] = row
    return rows


class NumbersCliTest(unittest.TestCase):
    """The CLI alone, on its own database."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="callsight-bb-numbers-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, "numbers.db")

    def cli(self, *args):
        return run_cli(self.db, *args)

    def inventory(self, *args):
        proc = self.cli("numbers", "list", *args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[0].split("\t"),
                         ["number", "state", "restricted_to_partner", "source_id", "added"])
        return listed(proc.stdout)

    def assert_fails(self, proc):
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertTrue(proc.stderr.strip(), "no message on stderr")

    def test_add_expands_a_range(self):
        numbers = block("+4631700", 10)
        proc = self.cli("numbers", "add", span(numbers))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"\badded 10 number")
        rows = self.inventory()
        self.assertEqual(sorted(rows), numbers)
        for row in rows.values():
            self.assertEqual((row["state"], row["restricted_to_partner"], row["source_id"]),
                             ("free", "-", "-"))

    def test_add_single_numbers_and_ranges_together(self):
        proc = self.cli("numbers", "add", "+46317100000", "+46317200000-+46317200002")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"\badded 4 number")
        self.assertEqual(sorted(self.inventory()), ["+46317100000", "+46317200000",
                                                    "+46317200001", "+46317200002"])

    def test_duplicates_are_reported_not_doubled(self):
        self.cli("numbers", "add", span(block("+4631700", 10)))
        proc = self.cli("numbers", "add", "+46317000008-+46317000011")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("already present: +46317000008", proc.stdout)
        self.assertIn("already present: +46317000009", proc.stdout)
        self.assertNotIn("+46317000010", proc.stdout.replace("added", ""))
        self.assertRegex(proc.stdout, r"\badded 2 number")
        rows = self.inventory()
        self.assertEqual(len(rows), 12)
        self.assertEqual(len(self.cli("numbers", "list").stdout.splitlines()), 13)

    def test_bad_input_fails_and_adds_nothing(self):
        self.cli("numbers", "add", "+46317000000")
        for bad in (["0317000001"], ["46317000001"], ["+46-317"], ["+4631x000001"],
                    ["+46317000009-+46317000001"], ["+463170000-+46317000009"],
                    ["+46317000001", "not-a-number"]):
            with self.subTest(args=bad):
                self.assert_fails(self.cli("numbers", "add", *bad))
        self.assertEqual(sorted(self.inventory()), ["+46317000000"])

    def test_add_for_an_unknown_partner_fails(self):
        self.assert_fails(self.cli("numbers", "add", "--partner", "nobody", "+46317000000"))
        self.assertEqual(self.inventory(), {})

    def test_list_with_bad_state_fails(self):
        self.assert_fails(self.cli("numbers", "list", "--state", "lost"))

    def test_remove_a_free_number(self):
        self.cli("numbers", "add", span(block("+4631700", 3)))
        proc = self.cli("numbers", "remove", "+46317000001")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(self.inventory()), ["+46317000000", "+46317000002"])
        self.assert_fails(self.cli("numbers", "remove", "+46317000001"))
        self.assert_fails(self.cli("numbers", "remove", "0317000000"))
        self.assertEqual(sorted(self.inventory()), ["+46317000000", "+46317000002"])


class NumbersApiTest(ServerTestCase):
    PARTNERS = {
        "alice": dict(password="alice-pw"),
        "bob": dict(password="bob-pw"),
        "carol": dict(password="carol-pw"),
    }
    SHARED = block("+4631810", 5)
    ALICE_ONLY = block("+4631820", 3)
    BOB_ONLY = block("+4631830", 2)
    CAROL_ONLY = block("+4631840", 4)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("numbers", "add", span(cls.SHARED), check=True)
        for user, numbers in (("alice", cls.ALICE_ONLY), ("bob", cls.BOB_ONLY),
                              ("carol", cls.CAROL_ONLY)):
            cls.server.cli("numbers", "add", "--partner", user, span(numbers), check=True)

    def numbers(self, s, **params):
        resp = self.call(s, "GET", "/numbers", params=params)
        items = self.ok(resp, "numbers")
        for item in items:
            self.assertEqual(set(item), {"number", "state", "source_id"})
            self.assert_scalars_are_strings(item, nullable=("source_id",))
        return items, resp.json()

    def customer(self, s):
        return self.one(self.call(s, "POST", "/customers",
                                  data={"name": "C " + unique(), "custnr": unique("cn")}),
                        "customers")["customer_id"]

    def source(self, s, cid, destnr):
        return self.one(self.call(s, "POST", "/sources",
                                  data={"customer_id": cid, "name": "S", "phonenr": "0890510",
                                        "destnr": destnr}), "sources")

    def test_free_numbers_visible_to_each_partner(self):
        for user, own in (("alice", self.ALICE_ONLY), ("bob", self.BOB_ONLY)):
            with self.subTest(user=user):
                items, body = self.numbers(self.session(user), state="free")
                self.assertEqual([n["number"] for n in items], sorted(self.SHARED + own))
                self.assertEqual(body["total"], str(len(self.SHARED) + len(own)))
                for item in items:
                    self.assertEqual((item["state"], item["source_id"]), ("free", None))

    def test_paging(self):
        alice = self.session("alice")
        everything = [n["number"] for n in self.numbers(alice, state="free")[0]]
        self.assertEqual(len(everything), 8)
        seen = []
        for page in range(3):
            items, body = self.numbers(alice, state="free", pagesize=3, page=page)
            self.assertEqual((body["total"], body["page"], body["pagesize"], body["numpages"]),
                             ("8", str(page), "3", "3"))
            seen += [n["number"] for n in items]
        self.assertEqual(seen, everything)
        self.assertEqual(self.numbers(alice, state="free", pagesize=3, page=3)[0], [])
        for bad in ({"page": "-1"}, {"pagesize": "x"}):
            with self.subTest(params=bad):
                self.assert_error(self.call(alice, "GET", "/numbers", params=bad), 400)

    def test_bad_state_is_400(self):
        resp = self.call(self.session("alice"), "GET", "/numbers", params={"state": "lost"})
        self.assert_error(resp, 400, "invalid", "state")

    def test_other_methods_are_405(self):
        alice = self.session("alice")
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                resp = self.call(alice, method, "/numbers", data={"number": self.SHARED[0]})
                self.assert_error(resp, 405, "method_not_allowed")
                self.assertIn("GET", resp.headers.get("Allow", ""))
        self.assertIn(self.SHARED[0], [n["number"] for n in self.numbers(alice)[0]])

    def test_states_through_the_api_and_the_cli(self):
        carol = self.session("carol")
        cid = self.customer(carol)
        held = self.source(carol, cid, self.CAROL_ONLY[0])
        deleted = self.source(carol, cid, self.CAROL_ONLY[1])
        self.one(self.call(carol, "DELETE", "/sources/" + deleted["source_id"]), "sources")

        allocated = self.numbers(carol, state="allocated")[0]
        self.assertEqual(allocated, [{"number": self.CAROL_ONLY[0], "state": "allocated",
                                      "source_id": held["source_id"]}])
        quarantined = self.numbers(carol, state="quarantined")[0]
        self.assertEqual(quarantined, [{"number": self.CAROL_ONLY[1], "state": "quarantined",
                                        "source_id": deleted["source_id"]}])
        free = [n["number"] for n in self.numbers(carol, state="free")[0]]
        self.assertEqual(free, sorted(self.SHARED + self.CAROL_ONLY[2:]))
        everything = {n["number"]: n["state"] for n in self.numbers(carol)[0]}
        self.assertEqual(everything[self.CAROL_ONLY[0]], "allocated")
        self.assertEqual(everything[self.CAROL_ONLY[1]], "quarantined")
        self.assertEqual(len(everything), len(self.SHARED) + len(self.CAROL_ONLY))
        # Other partners see neither Carol's restricted nor her held numbers.
        for user in ("alice", "bob"):
            seen = {n["number"] for n in self.numbers(self.session(user))[0]}
            self.assertFalse(seen & set(self.CAROL_ONLY), user)

        carol_id = str(self.partner_ids["carol"])
        rows = listed(self.server.cli("numbers", "list", "--state", "allocated",
                                      check=True).stdout)
        self.assertEqual(rows[self.CAROL_ONLY[0]]["state"], "allocated")
        self.assertEqual(rows[self.CAROL_ONLY[0]]["source_id"], held["source_id"])
        self.assertEqual(rows[self.CAROL_ONLY[0]]["restricted_to_partner"], carol_id)
        self.assertTrue(all(r["state"] == "allocated" for r in rows.values()), rows)
        rows = listed(self.server.cli("numbers", "list", "--state", "quarantined",
                                      check=True).stdout)
        self.assertEqual(set(rows), {self.CAROL_ONLY[1]})
        self.assertEqual(rows[self.CAROL_ONLY[1]]["source_id"], deleted["source_id"])
        rows = listed(self.server.cli("numbers", "list", "--state", "free", check=True).stdout)
        self.assertNotIn(self.CAROL_ONLY[0], rows)
        self.assertEqual(rows[self.CAROL_ONLY[2]]["restricted_to_partner"], carol_id)
        self.assertEqual(rows[self.SHARED[0]]["restricted_to_partner"], "-")
        self.assertTrue(all(r["state"] == "free" for r in rows.values()), rows)
        for number in self.BOB_ONLY:
            self.assertEqual(rows[number]["restricted_to_partner"],
                             str(self.partner_ids["bob"]))

        # remove refuses held numbers (allocated or quarantined) and removes free ones.
        for number in self.CAROL_ONLY[:2]:
            with self.subTest(remove=number):
                proc = self.server.cli("numbers", "remove", number)
                self.assertNotEqual(proc.returncode, 0, proc.stdout)
                self.assertTrue(proc.stderr.strip())
        proc = self.server.cli("numbers", "remove", self.CAROL_ONLY[3])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rows = listed(self.server.cli("numbers", "list", check=True).stdout)
        self.assertIn(self.CAROL_ONLY[0], rows)
        self.assertIn(self.CAROL_ONLY[1], rows)
        self.assertNotIn(self.CAROL_ONLY[3], rows)
        self.assertNotIn(self.CAROL_ONLY[3], [n["number"] for n in self.numbers(carol)[0]])
        self.assertEqual(self.one(self.call(carol, "GET", "/sources/" + held["source_id"]),
                                  "sources")["destnr"], self.CAROL_ONLY[0])


if __name__ == "__main__":
    unittest.main()
