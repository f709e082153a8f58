"""Authentication: Digest (SHA-256, MD5), Basic, replay, IP allow-list, password change."""

import http.client
import json
import time
import unittest

import requests

from harness import (HTTP_TIMEOUT, Server, ServerTestCase, digest_authorization,
                     digest_challenge, parse_challenges)
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

PING = "/miscellaneous/ping"


class AuthTest(ServerTestCase):
    PARTNERS = {
        "alice": dict(password="alice-secret"),
        "faraway": dict(password="far-secret", allow_ip="10.0.0.0/8"),
        "rotate": dict(password="old-secret"),
    }

    def raw_get(self, path, headers=None):
        """GET over http.client, keeping every WWW-Authenticate header apart."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            body = resp.read()
            challenges = resp.msg.get_all("WWW-Authenticate") or []
            return resp.status, challenges, body, dict(resp.getheaders())
        finally:
            conn.close()

    def challenge(self, algorithm):
        status, values, _, _ = self.raw_get(PING)
        self.assertEqual(status, 401)
        params = digest_challenge(parse_challenges(values), algorithm)
        self.assertIsNotNone(params, "no Digest %s challenge in %r" % (algorithm, values))
        return params

    # -- the happy paths ------------------------------------------------------------------
    def test_ping_with_requests_digest(self):
        s = self.session("alice")
        self.assert_ping_ok(self.call(s, "GET", PING))
        # The session answers later requests from the same nonce (nc=2, 3): still fine.
        self.assert_ping_ok(self.call(s, "GET", PING))
        self.assert_ping_ok(self.call(s, "GET", "/2.4.9" + PING))

    def test_ping_with_requests_basic(self):
        s = self.session("alice", digest=False)
        self.assert_ping_ok(self.call(s, "GET", PING))

    def test_ping_with_curl_digest(self):
        status, body = self.curl("--digest", "-u", "alice:alice-secret", self.url(PING))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"ping": "ok"})

    def test_ping_with_curl_basic(self):
        status, body = self.curl("-u", "alice:alice-secret", self.url(PING))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"ping": "ok"})

    def test_hand_computed_sha256_digest(self):
        params = self.challenge("SHA-256")
        self.assertIn("auth", [q.strip() for q in params.get("qop", "").split(",")])
        auth = digest_authorization(params, "GET", PING, "alice", "alice-secret", "SHA-256")
        status, _, body, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"ping": "ok"})

    def test_hand_computed_md5_digest(self):
        params = self.challenge("MD5")
        auth = digest_authorization(params, "GET", PING, "alice", "alice-secret", "MD5")
        status, _, body, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"ping": "ok"})

    def test_digest_nonce_count_may_increase(self):
        params = self.challenge("SHA-256")
        for nc in (1, 2, 3):
            auth = digest_authorization(params, "GET", PING, "alice", "alice-secret",
                                        "SHA-256", nc=nc)
            status, _, body, _ = self.raw_get(PING, {"Authorization": auth})
            self.assertEqual(status, 200, "nc=%d: %r" % (nc, body))

    # -- refusals -------------------------------------------------------------------------
    def test_no_credentials_is_401_with_challenges(self):
        status, values, body, _ = self.raw_get(PING)
        self.assertEqual(status, 401)
        self.assertEqual(body, b"")
        challenges = parse_challenges(values)
        schemes = [scheme.lower() for scheme, _ in challenges]
        self.assertIn("basic", schemes, values)
        sha = digest_challenge(challenges, "SHA-256")
        md5 = digest_challenge(challenges, "MD5")
        self.assertIsNotNone(sha, values)
        self.assertIsNotNone(md5, values)
        for params in (sha, md5):
            self.assertTrue(params.get("realm"), params)
            self.assertTrue(params.get("nonce"), params)
            self.assertIn("auth", [q.strip() for q in params.get("qop", "").split(",")])

    def test_no_credentials_with_requests_is_401_empty(self):
        resp = requests.get(self.url(PING), timeout=HTTP_TIMEOUT)
        self.assert_unauthorized(resp)
        self.assertIn("Digest", resp.headers.get("WWW-Authenticate", ""))

    def test_wrong_password_digest_is_401_empty(self):
        resp = self.call(self.session("alice", "wrong"), "GET", PING)
        self.assert_unauthorized(resp)

    def test_wrong_password_basic_is_401_empty(self):
        resp = self.call(self.session("alice", "wrong", digest=False), "GET", PING)
        self.assert_unauthorized(resp)

    def test_wrong_password_hand_computed_digest_is_401(self):
        params = self.challenge("SHA-256")
        auth = digest_authorization(params, "GET", PING, "alice", "not-it", "SHA-256")
        status, _, body, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 401)
        self.assertEqual(body, b"")

    def test_unknown_user_is_401(self):
        self.assert_unauthorized(self.call(self.session("nobody", "x"), "GET", PING))
        self.assert_unauthorized(
            self.call(self.session("nobody", "x", digest=False), "GET", PING))

    def test_replayed_authorization_header_is_401(self):
        params = self.challenge("SHA-256")
        auth = digest_authorization(params, "GET", PING, "alice", "alice-secret", "SHA-256",
                                    nc=1, cnonce="fixedcnonce")
        status, _, _, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 200)
        status, _, body, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 401, "replayed nonce count accepted")
        self.assertEqual(body, b"")

    def test_digest_for_another_uri_is_401(self):
        params = self.challenge("SHA-256")
        auth = digest_authorization(params, "GET", "/customers", "alice", "alice-secret",
                                    "SHA-256")
        status, _, _, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 401)

    def test_made_up_nonce_is_401(self):
        params = dict(self.challenge("SHA-256"))
        params["nonce"] = "0" * len(params["nonce"])
        auth = digest_authorization(params, "GET", PING, "alice", "alice-secret", "SHA-256")
        status, _, _, _ = self.raw_get(PING, {"Authorization": auth})
        self.assertEqual(status, 401)

    def test_ip_not_allowed_is_403_even_with_good_credentials(self):
        for digest in (True, False):
            resp = self.call(self.session("faraway", digest=digest), "GET", PING)
            self.assert_error(resp, 403, "ip_not_allowed")
            self.assertNotIn("ping", resp.text)

    def test_ip_not_allowed_still_401_with_bad_password(self):
        resp = self.call(self.session("faraway", "wrong"), "GET", PING)
        self.assert_unauthorized(resp)

    def test_unknown_path_unauthenticated_is_401(self):
        for path in ("/no/such/thing", "/customers", "/2.4.9/whatever"):
            resp = requests.get(self.url(path), timeout=HTTP_TIMEOUT)
            self.assert_unauthorized(resp)
        resp = requests.post(self.url("/nothing"), data={"a": "b"}, timeout=HTTP_TIMEOUT)
        self.assert_unauthorized(resp)

    def test_unknown_path_authenticated_is_404(self):
        resp = self.call(self.session("alice"), "GET", "/no/such/thing")
        self.assert_error(resp, 404)

    def test_ping_other_method_is_405(self):
        resp = self.call(self.session("alice"), "POST", PING, data={"x": "1"})
        self.assert_error(resp, 405, "method_not_allowed")
        self.assertIn("GET", resp.headers.get("Allow", ""))

    # -- administration while running ---------------------------------------------------
    def test_set_password_takes_effect_while_running(self):
        self.assert_ping_ok(self.call(self.session("rotate", "old-secret"), "GET", PING))
        # Basic's login is cached too: the old password must stop working there as well.
        self.assert_ping_ok(
            self.call(self.session("rotate", "old-secret", digest=False), "GET", PING))
        self.server.cli("partner", "set-password", "--username", "rotate",
                        "--password", "new-secret", check=True)
        self.assert_within_access_lag(
            lambda: self.call(self.session("rotate", "old-secret"), "GET", PING),
            self.assert_unauthorized)
        self.assert_ping_ok(self.call(self.session("rotate", "new-secret"), "GET", PING))
        self.assert_unauthorized(
            self.call(self.session("rotate", "old-secret", digest=False), "GET", PING))
        status, _ = self.curl("--digest", "-u", "rotate:new-secret", self.url(PING))
        self.assertEqual(status, 200)


class AccessChangesOnEveryNodeTest(ServerTestCase):
    """Two nodes on one database, each with partners in memory: a removed partner, a changed
    password and a changed allow-list are refused by both within the access lag."""

    PARTNERS = {
        "keyed": dict(password="first-secret"),
        "fenced": dict(password="fenced-secret"),
        "leaving": dict(password="leaving-secret"),
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = Server(db=cls.server.db)
        cls.addClassCleanup(cls.other.cleanup)
        cls.other.start()

    def on_both(self, user, password, expect_before, change, expect_after, digest=True):
        def ask(node):
            with requests.Session() as s:
                s.auth = (HTTPDigestAuth(user, password) if digest
                          else HTTPBasicAuth(user, password))
                return s.get(node.url(PING), timeout=HTTP_TIMEOUT)
        for node in (self.server, self.other):
            expect_before(ask(node))  # each node now holds the partner in memory
        change()
        for node in (self.server, self.other):
            self.assert_within_access_lag(lambda: ask(node), expect_after)

    def test_a_changed_password_is_refused_by_both_nodes(self):
        change = lambda: self.server.cli("partner", "set-password", "--username", "keyed",
                                         "--password", "second-secret", check=True)
        self.on_both("keyed", "first-secret", self.assert_ping_ok, change,
                     self.assert_unauthorized, digest=False)

    def test_a_narrowed_allow_list_is_refused_by_both_nodes(self):
        change = lambda: self.server.cli("partner", "allow-ip", "--username", "fenced",
                                         "--cidrs", "10.0.0.0/8", check=True)
        self.on_both("fenced", "fenced-secret", self.assert_ping_ok, change,
                     lambda resp: self.assert_error(resp, 403, "ip_not_allowed"))

    def test_a_removed_partner_is_refused_by_both_nodes(self):
        change = lambda: self.server.cli("partner", "remove", "--username", "leaving",
                                         check=True)
        self.on_both("leaving", "leaving-secret", self.assert_ping_ok, change,
                     self.assert_unauthorized)


class DigestNonceLifetimeTest(ServerTestCase):
    PARTNERS = {"alice": dict(password="alice-secret")}
    EXTRA_ARGS = ("--digest-nonce-seconds", "1")

    def get(self, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request("GET", PING, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.msg.get_all("WWW-Authenticate") or [], resp.read()
        finally:
            conn.close()

    def sha256_challenge(self):
        _, values, _ = self.get()
        return digest_challenge(parse_challenges(values), "SHA-256")

    def test_expired_nonce_is_401_stale_and_requests_renews_it(self):
        s = requests.Session()
        s.auth = HTTPDigestAuth("alice", "alice-secret")
        self.addCleanup(s.close)
        self.assertEqual(s.get(self.url(PING), timeout=HTTP_TIMEOUT).status_code, 200)
        old = self.sha256_challenge()
        time.sleep(2.1)  # past the 1 s lifetime on the server's whole-second clock

        auth = digest_authorization(old, "GET", PING, "alice", "alice-secret", "SHA-256")
        status, values, body = self.get({"Authorization": auth})
        self.assertEqual(status, 401)
        self.assertEqual(body, b"")
        renewed = digest_challenge(parse_challenges(values), "SHA-256")
        self.assertEqual(renewed.get("stale"), "true", values)
        self.assertNotEqual(renewed["nonce"], old["nonce"])
        # The session's nonce expired too; requests answers the stale challenge by itself.
        self.assertEqual(s.get(self.url(PING), timeout=HTTP_TIMEOUT).status_code, 200)

    def test_nonce_with_a_forged_issue_time_is_401_and_not_stale(self):
        challenge = dict(self.sha256_challenge())
        # The first 8 bytes are the issue time: moving it forward would extend the nonce's life.
        challenge["nonce"] = "%016x" % (int(challenge["nonce"][:16], 16) + 3600) \
            + challenge["nonce"][16:]
        auth = digest_authorization(challenge, "GET", PING, "alice", "alice-secret", "SHA-256")
        status, values, body = self.get({"Authorization": auth})
        self.assertEqual(status, 401)
        self.assertEqual(body, b"")
        self.assertNotIn("stale", digest_challenge(parse_challenges(values), "SHA-256"))


if __name__ == "__main__":
    unittest.main()
