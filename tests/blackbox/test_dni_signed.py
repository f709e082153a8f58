"""Signed server-side number requests (issue 15, item 4; docs/api.md "Signed number
requests"): a partner's backend asks POST /dncs with Freespee's request keys, signed with the
partner's DNCS secret. A bad signature, a malformed or old timestamp and a replayed signature
(also on another node sharing the database) are refused; parameters.custnr names the customer,
an unknown one with custname is created, without one the answer is 404; another partner's
customer is never reachable."""

import hashlib
import hmac
import json
import time
import unittest

import requests

from dni_site import BROWSER_UA, PRINTED_NUMBER, DniSiteMixin, signed_headers
from harness import HTTP_TIMEOUT, Server, ServerTestCase, testing_postgres, unique
from resource_helpers import CustomerResourceMixin

PAGE = "https://shop.example/offers?gclid=abc"


class DniSignedTest(DniSiteMixin, CustomerResourceMixin, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secrets = {name: cls.server.cli("partner", "dncs-secret", "--username", name,
                                            check=True).stdout.strip()
                       for name in ("alice", "bob")}

    # -- helpers --------------------------------------------------------------------------
    def body(self, custnr, **parameters):
        return {"advId": "ignored", "fullUrl": PAGE, "fullReferrer": "https://www.google.com/",
                "trackingId": "", "sessionId": "", "numbers": [PRINTED_NUMBER], "type": "web",
                "userAgent": BROWSER_UA, "requestIpAddress": "203.0.113.9",
                "parameters": dict(parameters, custnr=custnr)}

    def post(self, body, partner="alice", secret=None, timestamp=None, signature=None,
             server=None, content_type="application/json"):
        text = body if isinstance(body, str) else json.dumps(body)
        headers = signed_headers(partner, secret or self.secrets[partner], text, timestamp)
        headers["Content-Type"] = content_type
        if signature is not None:
            headers["X-Callsight-Signature"] = signature
        return requests.post((server or self.server).url("/dncs"), data=text.encode(),
                             headers=headers, timeout=HTTP_TIMEOUT)

    # -- tests ----------------------------------------------------------------------------
    def test_the_dncs_secret_is_one_per_partner_and_stays(self):
        self.assertRegex(self.secrets["alice"], r"^[0-9a-f]{64}$")
        self.assertNotEqual(self.secrets["alice"], self.secrets["bob"])
        again = self.server.cli("partner", "dncs-secret", "--username", "alice", check=True)
        self.assertEqual(again.stdout.strip(), self.secrets["alice"])

    def test_a_signed_request_gets_a_number_of_the_customers_pool(self):
        customer, pool, numbers = self.site("https://shop.example")
        resp = self.post(self.body(customer["custnr"]))
        self.assertEqual(resp.status_code, 200, resp.text)
        body = resp.json()
        self.assertEqual(body["status"], "success")
        self.assertEqual((body["custnr"], body["customer_id"], body["pool_id"]),
                         (customer["custnr"], customer["customer_id"], pool["pool_id"]))
        self.assertIn(body["number"], numbers)
        self.assertRegex(body["session_id"], r"^[0-9a-f]{32}$")
        self.assertRegex(body["tracking_id"], r"^[0-9a-f]{32}$")
        self.assertEqual(len(body["numbers"]), 1, body)
        self.assertEqual(body["numbers"][0]["number_on_page"], PRINTED_NUMBER)
        self.assertEqual(body["numbers"][0]["replace_with"]["e164"], body["number"])
        # The session keeps its number; a crawler's user agent takes none.
        again = self.post(dict(self.body(customer["custnr"]), sessionId=body["session_id"],
                               trackingId=body["tracking_id"])).json()
        self.assertEqual((again["session_id"], again["number"]),
                         (body["session_id"], body["number"]))
        self.assert_error(self.post(dict(self.body(customer["custnr"]), userAgent="Googlebot/2.1")),
                          403, "blocked_user_agent", "userAgent")
        # An app sends no user agent and is no crawler.
        app = self.post(dict(self.body(customer["custnr"]), type="app", fullUrl="", userAgent=""))
        self.assertEqual(app.status_code, 200, app.text)

    def test_a_user_agent_on_the_partners_deny_list_takes_no_number(self):
        self.server.cli("partner", "dni-deny-list", "--username", "bob", "python-requests",
                        check=True)
        self.addCleanup(self.server.cli, "partner", "dni-deny-list", "--username", "bob",
                        "--clear", check=True)
        customer, _, numbers = self.site("https://shop.example", count=1, s=self.bob)
        denied = dict(self.body(customer["custnr"]), userAgent="Python-Requests/2.31")
        errors = self.assert_error(self.post(denied, partner="bob"), 403, "blocked_user_agent",
                                   "userAgent")
        self.assertEqual(errors[0]["message"], "Blocked User Agent")
        # The one number is still free; alice's list is empty, so it is bob's list alone.
        served = self.post(self.body(customer["custnr"]), partner="bob")
        self.assertEqual(served.json()["number"], numbers[0])
        alices, _, _ = self.site("https://shop.example", count=1)
        self.assertEqual(self.post(dict(denied, parameters={"custnr": alices["custnr"]}))
                         .status_code, 200)

    def test_bad_signatures_and_timestamps_are_refused(self):
        customer, _, _ = self.site("https://shop.example")
        body = self.body(customer["custnr"])
        good = self.post(body).request.headers["X-Callsight-Signature"]
        wrong = ("0" if good[0] != "0" else "1") + good[1:]
        self.assert_error(self.post(body, signature=wrong), 401, "bad_signature",
                          "X-Callsight-Signature")
        self.assert_error(self.post(body, signature=good.upper()), 401, "bad_signature")
        self.assert_error(self.post(body, secret=self.secrets["bob"]), 401, "bad_signature")
        self.assert_error(self.post(body, partner="nobody", secret="x" * 64), 401,
                          "bad_signature")
        self.assert_error(self.post(body, partner=b"\xffalice", secret="x" * 64), 401,
                          "bad_signature")
        old = str(int(time.time()) - 301)
        self.assert_error(self.post(body, timestamp=old), 401, "stale", "X-Callsight-Timestamp")
        future = str(int(time.time()) + 301)
        self.assert_error(self.post(body, timestamp=future), 401, "stale")
        self.assert_error(self.post(body, timestamp="1e9"), 401, "bad_timestamp",
                          "X-Callsight-Timestamp")
        # The signature covers the body: another body under a good signature is refused.
        ts = str(int(time.time()))
        signature = self.post(body, timestamp=ts).request.headers["X-Callsight-Signature"]
        self.assert_error(self.post(dict(body, fullUrl=PAGE + "&x=1"), timestamp=ts,
                                    signature=signature), 401, "bad_signature")

    def test_a_replayed_signature_is_refused_on_every_node(self):
        customer, _, _ = self.site("https://shop.example")
        text = json.dumps(self.body(customer["custnr"]))
        first = self.post(text)
        self.assertEqual(first.status_code, 200, first.text)
        headers = first.request.headers
        replay = dict(timestamp=headers["X-Callsight-Timestamp"],
                      signature=headers["X-Callsight-Signature"])
        self.assert_error(self.post(text, **replay), 401, "replayed", "X-Callsight-Signature")
        if not testing_postgres():
            return  # several nodes share PostgreSQL only
        other_node = Server(db=self.server.db)
        self.addCleanup(other_node.cleanup)
        other_node.start()
        self.assert_error(self.post(text, server=other_node, **replay), 401, "replayed")
        fresh = self.post(dict(self.body(customer["custnr"]), fullUrl=PAGE + "&node=b"),
                          server=other_node)
        self.assertEqual(fresh.status_code, 200, fresh.text)
        other_node.stop()

    def test_custnr_names_the_partners_customer_and_a_custname_creates_one(self):
        custnr = unique("cn")
        self.assert_error(self.post(self.body(custnr)), 404, "not_found", "parameters.custnr")
        created = self.post(self.body(custnr, custname="New shop", custemail="shop@example.com"))
        # The customer is created; it has no pool yet, so there is no number to show.
        self.assert_error(created, 404, "no_pool")
        listed = self.ok(self.call(self.alice, "GET", "/customers", params={"custnr": custnr}),
                         "customers")
        self.assertEqual([(c["name"], c["email"]) for c in listed],
                         [("New shop", "shop@example.com")])
        self.assert_error(self.post(self.body("")), 400, "missing", "parameters.custnr")
        self.assert_error(self.post(self.body(custnr, custname="x" * 61)), 400, "too_long",
                          "parameters.custname")

    def test_another_partners_customer_is_never_reached(self):
        customer, _, numbers = self.site("https://shop.example")
        # Bob names alice's custnr: it is not his customer.
        self.assert_error(self.post(self.body(customer["custnr"]), partner="bob"), 404,
                          "not_found", "parameters.custnr")
        # With a custname bob gets a customer of his own under that custnr, not alice's.
        resp = self.post(self.body(customer["custnr"], custname="Bob's shop"), partner="bob")
        self.assert_error(resp, 404, "no_pool")
        bobs = self.ok(self.call(self.bob, "GET", "/customers",
                                 params={"custnr": customer["custnr"]}), "customers")
        self.assertEqual(len(bobs), 1)
        self.assertNotEqual(bobs[0]["customer_id"], customer["customer_id"])
        # Alice's pool still has both numbers free for her own visitors.
        # (Two bodies: the same body signed in the same second is a replay.)
        got = {self.post(dict(self.body(customer["custnr"]), fullUrl=PAGE + "&n=%d" % n))
               .json()["number"] for n in range(2)}
        self.assertEqual(got, set(numbers))

    def test_malformed_requests_get_a_4xx(self):
        customer, _, _ = self.site("https://shop.example")
        body = self.body(customer["custnr"])
        self.assertEqual(self.post(body, content_type="text/plain").status_code, 415)
        for text, field in (("[1]", None), ("{", None), ("null", None)):
            self.assert_error(self.post(text), 400, "malformed", field)
        for key, value in (("fullUrl", 1), ("numbers", "08-123"), ("numbers", [1]),
                           ("sessionId", "a b"), ("type", "tv"), ("parameters", []),
                           ("fullUrl", "https://shop.example/\0")):
            resp = self.post(dict(body, **{key: value}))
            self.assertEqual(resp.status_code, 400, (key, value, resp.text))
        resp = requests.get(self.server.url("/dncs"), timeout=HTTP_TIMEOUT)
        self.assert_error(resp, 405, "method_not_allowed")

    def test_text_that_is_not_utf8_is_refused_naming_its_key(self):
        # As on every route (docs/api.md "text"): 400 invalid_encoding naming the text at
        # fault, not quoting it; a bad byte outside any value names no key.
        customer, _, _ = self.site("https://shop.example")
        body = self.body(customer["custnr"], custname="MARK-2")
        body["fullUrl"] = "https://shop.example/MARK-1"
        text = json.dumps(body).encode()
        cases = [(b"MARK-1", "fullUrl"), (b"MARK-2", "parameters.custname"),
                 (b'"advId"', None)]
        for marker, field in cases:
            with self.subTest(field=field):
                raw = text.replace(marker, marker[:-1] + b"Malm\xf6" + marker[-1:])
                timestamp = str(int(time.time()))
                signature = hmac.new(self.secrets["alice"].encode(),
                                     timestamp.encode() + b"." + raw, hashlib.sha256)
                headers = {"Content-Type": "application/json", "X-Callsight-Partner": "alice",
                           "X-Callsight-Timestamp": timestamp,
                           "X-Callsight-Signature": signature.hexdigest()}
                resp = requests.post(self.server.url("/dncs"), data=raw, headers=headers,
                                     timeout=HTTP_TIMEOUT)
                errors = self.assert_error(resp, 400, "invalid_encoding", field)
                self.assertNotIn("Malm", json.dumps(errors, ensure_ascii=False))


if __name__ == "__main__":
    unittest.main()
