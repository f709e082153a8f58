"""The `callsight` administration CLI, alone and against a running server."""

import os
import re
import shutil
import tempfile
import unittest

from harness import LOCAL_CIDRS, ServerTestCase, add_partner, run_cli, unique

PING = "/miscellaneous/ping"


def partner_args(username, password="pw-12345", allow_ip=LOCAL_CIDRS, country="SE",
                 timezone="Europe/Stockholm"):
    return ["partner", "add", "--name", "Name of " + username, "--username", username,
            "--password", password, "--allow-ip", allow_ip, "--country", country,
            "--timezone", timezone]


class CliOfflineTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="callsight-bb-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, "cli.db")

    def cli(self, *args):
        return run_cli(self.db, *args)

    def assert_fails(self, proc):
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertTrue(proc.stderr.strip(), "no message on stderr")

    def test_partner_add_prints_the_id(self):
        first = self.cli(*partner_args("first"))
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertRegex(first.stdout, r"^\d+\n?$")
        second = self.cli(*partner_args("second"))
        self.assertRegex(second.stdout, r"^\d+\n?$")
        self.assertNotEqual(int(first.stdout), int(second.stdout))

    def test_duplicate_username_fails(self):
        self.assertEqual(self.cli(*partner_args("twice")).returncode, 0)
        self.assert_fails(self.cli(*partner_args("twice", password="other")))
        listed = self.cli("partner", "list").stdout
        self.assertEqual(len([l for l in listed.splitlines() if "\ttwice\t" in l]), 1, listed)

    def test_bad_input_fails(self):
        cases = {
            "bad cidr prefix": dict(allow_ip="10.0.0.0/33"),
            "not an address": dict(allow_ip="banana"),
            "one bad in a list": dict(allow_ip="127.0.0.1/32,300.1.1.1/8"),
            "unknown time zone": dict(timezone="Mars/Olympus_Mons"),
            "unknown country": dict(country="XX"),
        }
        for name, change in cases.items():
            with self.subTest(name):
                self.assert_fails(self.cli(*partner_args(unique("bad"), **change)))
        self.assertNotIn("bad", self.cli("partner", "list").stdout)

    def test_dynamic_number_limits_are_checked_and_named(self):
        self.assertEqual(self.cli(*partner_args("limits")).returncode, 0)
        for option, bad in (("--dni-retention-days", "6"), ("--dni-retention-days", "3651"),
                            ("--dni-number-cap", "-2"), ("--dni-number-cap", "1000001")):
            with self.subTest(option=option, value=bad):
                proc = self.cli("partner", "set", "--username", "limits", option, bad)
                self.assert_fails(proc)
                self.assertIn(option, proc.stderr)
        for option, good in (("--dni-retention-days", "7"), ("--dni-number-cap", "0")):
            proc = self.cli("partner", "set", "--username", "limits", option, good)
            self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_the_dni_deny_list_is_replaced_printed_cleared_and_checked(self):
        self.assertEqual(self.cli(*partner_args("denying")).returncode, 0)
        deny = ("partner", "dni-deny-list", "--username", "denying")
        self.assertEqual(self.cli(*deny, "python-requests", "Grüße-Bot ").returncode, 0)
        self.assertEqual(self.cli(*deny).stdout.splitlines(), ["python-requests", "Grüße-Bot "])
        secret = "Secret-Scraper"
        for name, entries in (("empty", ["curl/", ""]), ("blank", ["   "]),
                              ("too long", [secret + "x" * 200]),
                              ("control character", [secret + "\tx"]),
                              ("not UTF-8", [secret + "\udcff"]),
                              ("too many", [secret + str(i) for i in range(101)])):
            with self.subTest(name):
                proc = self.cli(*deny, *entries)
                self.assert_fails(proc)
                self.assertRegex(proc.stderr, r"dni-deny-list|entries")
                self.assertNotIn(secret, proc.stderr)
        # A refused list leaves the stored one as it was.
        self.assertEqual(self.cli(*deny).stdout.splitlines(), ["python-requests", "Grüße-Bot "])
        self.assert_fails(self.cli(*deny, "--clear", "curl/"))
        self.assertEqual(self.cli(*deny, "--clear").returncode, 0)
        self.assertEqual(self.cli(*deny).stdout, "")
        self.assert_fails(self.cli("partner", "dni-deny-list", "--username", "ghost", "curl/"))

    def test_list_shows_partners_but_no_secrets(self):
        password = "Sup3r-Secret-Passw0rd"
        add_partner(self.db, "listed", password, name="Listed Agency",
                    allow_ip="127.0.0.1/32,10.1.0.0/16")
        proc = self.cli("partner", "list")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("listed", proc.stdout)
        self.assertIn("Listed Agency", proc.stdout)
        self.assertIn("10.1.0.0/16", proc.stdout)
        self.assertNotIn(password, proc.stdout + proc.stderr)
        self.assertIsNone(re.search(r"[0-9a-fA-F]{32,}", proc.stdout), proc.stdout)
        self.assertIsNone(re.search(r"\$[a-z0-9-]+\$", proc.stdout), proc.stdout)

    def test_commands_on_unknown_partner_fail(self):
        self.assert_fails(self.cli("partner", "set-password", "--username", "ghost",
                                   "--password", "x"))
        self.assert_fails(self.cli("partner", "allow-ip", "--username", "ghost",
                                   "--cidrs", "127.0.0.1/32"))
        self.assert_fails(self.cli("partner", "remove", "--username", "ghost"))

    def test_allow_ip_refuses_bad_cidr(self):
        add_partner(self.db, "strict", "strict-pw")
        self.assert_fails(self.cli("partner", "allow-ip", "--username", "strict",
                                   "--cidrs", "1.2.3.4/40"))
        self.assertIn("127.0.0.1/32", self.cli("partner", "list").stdout)

    def test_help_and_missing_arguments(self):
        self.assertEqual(self.cli("partner", "add", "--help").returncode, 0)
        self.assertNotEqual(self.cli("partner", "add", "--username", "x").returncode, 0)
        self.assertNotEqual(self.cli("no-such-command").returncode, 0)


class CliWithServerTest(ServerTestCase):
    PARTNERS = {
        "gated": dict(password="gated-pw", allow_ip="10.0.0.0/8"),
        "busy": dict(password="busy-pw"),
    }

    def test_allow_ip_change_takes_effect(self):
        s = self.session("gated")
        self.assert_error(self.call(s, "GET", PING), 403, "ip_not_allowed")
        self.server.cli("partner", "allow-ip", "--username", "gated", "--cidrs",
                        "10.0.0.0/8,127.0.0.0/8", check=True)
        self.assert_within_access_lag(
            lambda: self.call(self.session("gated"), "GET", PING), self.assert_ping_ok)
        self.server.cli("partner", "allow-ip", "--username", "gated", "--cidrs",
                        "192.168.0.0/16", check=True)
        self.assert_within_access_lag(
            lambda: self.call(self.session("gated"), "GET", PING),
            lambda resp: self.assert_error(resp, 403, "ip_not_allowed"))

    def test_remove_refuses_a_partner_with_customers(self):
        s = self.session("busy")
        resp = self.call(s, "POST", "/customers", data={"name": "Kept", "custnr": unique()})
        self.ok(resp, "customers")
        proc = self.server.cli("partner", "remove", "--username", "busy")
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertTrue(proc.stderr.strip())
        self.assertIn("busy", self.server.cli("partner", "list").stdout)
        self.assertEqual(self.call(self.session("busy"), "GET", PING).status_code, 200)

    def test_remove_an_empty_partner(self):
        username = unique("empty")
        self.server.add_partner(username, "empty-pw")
        resp = self.call(self.session(username, "empty-pw"), "GET", PING)
        self.assertEqual(resp.status_code, 200)
        proc = self.server.cli("partner", "remove", "--username", username)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn(username, self.server.cli("partner", "list").stdout)
        self.assert_within_access_lag(
            lambda: self.call(self.session(username, "empty-pw"), "GET", PING),
            self.assert_unauthorized)


if __name__ == "__main__":
    unittest.main()
