"""The number requests of a visitor's browser (issue 15, item 3; docs/api.md "Number requests
from browsers"): Callsight's JSON, amp-call-tracking's and Freespee's JSONP shapes and the
heartbeat, without partner credentials. Allowed origins on Origin and Referer, crawlers shown
the page's own number without taking one, and every malformed request a documented 4xx."""

import base64
import json
import re
import unittest
import urllib.parse

import requests

from dni_site import BROWSER_UA, PRINTED_E164, PRINTED_NUMBER, DniSiteMixin
from harness import HTTP_TIMEOUT, ServerTestCase
from resource_helpers import CustomerResourceMixin

ORIGIN = "https://shop.example"
PAGE = ORIGIN + "/offers?utm_source=google&gclid=abc"
ID_RE = re.compile(r"^[0-9a-f]{32}$")


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class DniNumbersTest(DniSiteMixin, CustomerResourceMixin, ServerTestCase):

    # -- helpers --------------------------------------------------------------------------
    def get(self, path, params=None, origin=ORIGIN, referer=None, ua=BROWSER_UA, method="GET",
            data=None):
        headers = {"User-Agent": ua}
        if origin:
            headers["Origin"] = origin
        if referer:
            headers["Referer"] = referer
        return requests.request(method, self.url(path), params=params, data=data,
                                headers=headers, timeout=HTTP_TIMEOUT)

    def number(self, advid, **params):
        params.setdefault("url", PAGE)
        return self.get("/dni/number", dict(params, advid=advid))

    def assert_no_5xx(self, resp):
        self.assertLess(resp.status_code, 500, resp.text[:300])

    # -- Callsight's JSON shape -----------------------------------------------------------
    def test_a_visitor_gets_a_pool_number_and_keeps_it_on_reload(self):
        customer, pool, numbers = self.site(ORIGIN)
        advid = customer["uuid"]
        resp = self.number(advid)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.headers["Access-Control-Allow-Origin"], ORIGIN)
        body = resp.json()
        self.assert_scalars_are_strings(
            {k: v for k, v in body.items() if k != "numbers_to_replace"}, nullable=("visitor_id",))
        self.assertEqual(body["status"], "success")
        self.assertRegex(body["session_id"], ID_RE)
        self.assertIsNone(body["visitor_id"], "no visitor is kept without consent")
        self.assertEqual(body["pool_id"], pool["pool_id"])
        self.assertIn(body["number"], numbers)
        self.assertEqual(body["shown"], "assigned")
        self.assertEqual(re.sub(r"\D", "", body["formatted_number"]),
                         "0" + body["number"][3:], body["formatted_number"])
        self.assertEqual(body["numbers_to_replace"],
                         [{"e164": PRINTED_E164, "formatted": PRINTED_NUMBER}])
        self.assertEqual(body["heartbeat_seconds"], "60")

        again = self.number(advid, session_id=body["session_id"]).json()
        self.assertEqual((again["session_id"], again["number"], again["shown"]),
                         (body["session_id"], body["number"], "kept"))
        other = self.number(advid).json()
        self.assertNotEqual(other["number"], body["number"])

        # With consent the visitor gets an id to keep, and keeps it.
        consented = self.number(advid, consent="1").json()
        self.assertRegex(consented["visitor_id"], ID_RE)
        later = self.number(advid, consent="1", visitor_id=consented["visitor_id"]).json()
        self.assertEqual(later["visitor_id"], consented["visitor_id"])

    def test_a_full_pool_shows_its_fallback_and_a_pool_without_one_shows_none(self):
        customer, _, numbers = self.site(ORIGIN, count=1, fallback_number="0812340000")
        advid = customer["uuid"]
        self.assertEqual(self.number(advid).json()["number"], numbers[0])
        full = self.number(advid).json()
        self.assertEqual((full["number"], full["shown"]), ("+46812340000", "fallback"))

        customer, _, _ = self.site(ORIGIN, count=1)
        advid = customer["uuid"]
        self.number(advid)
        none = self.number(advid).json()
        self.assertEqual((none["number"], none["formatted_number"], none["shown"]),
                         (None, None, "none"))

    def test_past_the_partners_number_cap_visitors_see_the_fallback(self):
        self.server.cli("partner", "set", "--username", "bob", "--dni-number-cap", "1",
                        check=True)
        self.addCleanup(self.server.cli, "partner", "set", "--username", "bob",
                        "--dni-number-cap", "1000", check=True)
        customer, _, numbers = self.site(ORIGIN, count=2, s=self.bob,
                                         fallback_number="0812340000")
        advid = customer["uuid"]
        first = self.number(advid).json()
        self.assertEqual((first["number"], first["shown"]), (numbers[0], "assigned"))
        capped = self.number(advid).json()
        self.assertEqual((capped["number"], capped["shown"]), ("+46812340000", "capped"))
        self.assertIn("DNCS number cap has been hit", capped["message"])
        # The holder keeps its number under the cap.
        again = self.number(advid, session_id=first["session_id"]).json()
        self.assertEqual((again["number"], again["shown"]), (numbers[0], "kept"))

    def test_post_is_served_as_get(self):
        customer, _, numbers = self.site(ORIGIN)
        advid = customer["uuid"]
        resp = self.get("/dni/number", method="POST", data={"advid": advid, "url": PAGE})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertIn(resp.json()["number"], numbers)

    # -- origins --------------------------------------------------------------------------
    def test_only_allowed_origins_may_ask(self):
        customer, _, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        refused = self.get("/dni/number", {"advid": advid}, origin="https://shop.example.evil")
        self.assert_error(refused, 403, "origin_not_allowed", "Origin")
        self.assertNotIn("Access-Control-Allow-Origin", refused.headers)
        # Without Origin (a script or JSONP request) the Referer's origin counts.
        self.assert_error(self.get("/dni/number", {"advid": advid}, origin=None), 403,
                          "origin_not_allowed", "Referer")
        self.assert_error(self.get("/dni/number", {"advid": advid}, origin=None,
                                   referer="https://elsewhere.example/shop.example"), 403,
                          "origin_not_allowed", "Referer")
        by_referer = self.get("/dni/number", {"advid": advid}, origin=None, referer=PAGE)
        self.assertEqual(by_referer.status_code, 200, by_referer.text)
        self.assertNotIn("Access-Control-Allow-Origin", by_referer.headers)
        # A pool that lists no origin serves no site.
        closed_customer, _, _ = self.site(ORIGIN, allowed_origins="")
        closed = closed_customer["uuid"]
        self.assert_error(self.number(closed), 403, "origin_not_allowed", "Origin")

    def test_a_changed_pool_reaches_number_requests_within_the_lag(self):
        # Sites are read from memory for a moment (docs/dynamic-numbers.md): a request first
        # makes this one remembered, then each change must be in force within the lag.
        customer, pool, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        self.assertEqual(self.number(advid).status_code, 200)
        changed = self.call(self.alice, "PUT", "/pools", data={
            "pool_id": pool["pool_id"], "allowed_origins": "https://other.example"})
        self.assertEqual(changed.status_code, 200, changed.text)
        self.assert_within_access_lag(
            lambda: self.number(advid),
            lambda resp: self.assert_error(resp, 403, "origin_not_allowed", "Origin"))
        # And back: an origin allowed again is served again.
        changed = self.call(self.alice, "PUT", "/pools", data={
            "pool_id": pool["pool_id"], "allowed_origins": ORIGIN})
        self.assertEqual(changed.status_code, 200, changed.text)
        self.assert_within_access_lag(
            lambda: self.number(advid),
            lambda resp: self.assertEqual(resp.status_code, 200, resp.text))

    def preflight(self, path, origin=ORIGIN, method="POST", headers="content-type", **params):
        asked = {"Origin": origin, "Access-Control-Request-Method": method,
                 "User-Agent": BROWSER_UA}
        if headers:
            asked["Access-Control-Request-Headers"] = headers
        return requests.options(self.url(path), params=params, headers=asked,
                                timeout=HTTP_TIMEOUT)

    def test_a_cors_preflight_from_an_allowed_origin_is_answered(self):
        customer, _, numbers = self.site(ORIGIN, count=1)
        advid = customer["uuid"]
        for path, method, allowed in (("/dni/number", "POST", "GET, POST"),
                                      ("/dni/heartbeat", "POST", "POST"),
                                      ("/dni/amp", "GET", "GET")):
            with self.subTest(path=path):
                resp = self.preflight(path, method=method, headers="Content-Type, X-Shop-Page",
                                      advid=advid)
                self.assertEqual(resp.status_code, 204, resp.text)
                self.assertEqual(resp.content, b"")
                self.assertEqual(resp.headers["Access-Control-Allow-Origin"], ORIGIN)
                self.assertEqual(resp.headers["Access-Control-Allow-Credentials"], "true")
                self.assertEqual(resp.headers["Access-Control-Allow-Methods"], allowed)
                self.assertEqual(resp.headers["Access-Control-Allow-Headers"],
                                 "Content-Type, X-Shop-Page")
                self.assertEqual(resp.headers["Access-Control-Max-Age"], "600")
                self.assertEqual(resp.headers["Vary"], "Origin")
        # The preflight takes no number: the pool's one number is still free.
        self.assertEqual(self.number(advid).json()["number"], numbers[0])

    def test_a_cors_preflight_from_another_origin_gets_no_cors_headers(self):
        customer, _, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        refused = self.preflight("/dni/number", origin="https://shop.example.evil", advid=advid)
        self.assert_error(refused, 403, "origin_not_allowed", "Origin")
        for resp in (refused,
                     self.preflight("/dni/number", method="DELETE", advid=advid),
                     self.preflight("/dni/number"),
                     self.preflight("/dni/number", advid="f" * 32)):
            self.assertNotIn("Access-Control-Allow-Origin", resp.headers)
            self.assertNotIn("Access-Control-Allow-Methods", resp.headers)
        self.assert_error(self.preflight("/dni/number", method="DELETE", advid=advid), 405,
                          "method_not_allowed", "Access-Control-Request-Method")
        self.assert_error(self.preflight("/dni/number"), 400, "missing", "advid")
        self.assert_error(self.preflight("/dni/number", advid="f" * 32), 404, "not_found",
                          "advid")
        # An OPTIONS that is no preflight, and one for the script, are refused as before.
        plain = requests.options(self.url("/dni/number"), params={"advid": advid},
                                 timeout=HTTP_TIMEOUT)
        self.assert_error(plain, 405, "method_not_allowed")
        self.assert_error(self.preflight("/dni.js", method="GET", advid=advid), 405,
                          "method_not_allowed")

    # -- crawlers -------------------------------------------------------------------------
    def test_crawlers_are_shown_the_page_number_and_take_none(self):
        customer, _, numbers = self.site(ORIGIN, count=2)
        advid = customer["uuid"]
        for ua in ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                   "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126.0.0.0 Safari/537.36", ""):
            resp = self.get("/dni/number", {"advid": advid, "url": PAGE}, ua=ua)
            errors = self.assert_error(resp, 403, "blocked_user_agent", "User-Agent")
            self.assertEqual(errors[0]["message"], "Blocked User Agent")
            amp = self.get("/dni/amp", {"advid": advid}, ua=ua).json()
            self.assertEqual(amp, {"phoneNumber": "", "formattedPhoneNumber": ""})
        # Both numbers are still free for two visitors.
        self.assertEqual({self.number(advid).json()["number"] for _ in range(2)}, set(numbers))

    def test_the_partners_deny_list_gets_the_crawlers_answer_on_every_shape(self):
        self.server.cli("partner", "dni-deny-list", "--username", "bob", "ScraperCo",
                        "python-requests", check=True)
        self.addCleanup(self.server.cli, "partner", "dni-deny-list", "--username", "bob",
                        "--clear", check=True)
        listed = self.server.cli("partner", "dni-deny-list", "--username", "bob", check=True)
        self.assertEqual(listed.stdout.splitlines(), ["ScraperCo", "python-requests"])
        denied_ua = BROWSER_UA + " scraperco-fetch/1.2"  # no crawler word: only the list
        customer, _, numbers = self.site(ORIGIN, count=2, s=self.bob)
        advid = customer["uuid"]
        resp = self.get("/dni/number", {"advid": advid, "url": PAGE}, ua=denied_ua)
        errors = self.assert_error(resp, 403, "blocked_user_agent", "User-Agent")
        self.assertEqual(errors[0]["message"], "Blocked User Agent")
        self.assertEqual(resp.headers["Access-Control-Allow-Origin"], ORIGIN)
        amp = self.get("/dni/amp", {"advid": advid, "url": PAGE}, ua="Python-Requests/2.31")
        self.assertEqual((amp.status_code, amp.json()),
                         (200, {"phoneNumber": "", "formattedPhoneNumber": ""}))
        jsonp = self.get(self.dncs_path(advid), origin=None, referer=PAGE, ua=denied_ua)
        self.assertEqual((jsonp.status_code, self.jsonp(jsonp.text)),
                         (200, {"status": "fail", "errors": ["Blocked User Agent"]}))
        # Both numbers are still free for two visitors.
        self.assertEqual({self.number(advid).json()["number"] for _ in range(2)}, set(numbers))
        # The list is bob's: alice's visitors with that user agent get numbers.
        alices, _, alices_numbers = self.site(ORIGIN, count=1)
        served = self.get("/dni/number", {"advid": alices["uuid"], "url": PAGE}, ua=denied_ua)
        self.assertEqual(served.status_code, 200, served.text)
        self.assertEqual(served.json()["number"], alices_numbers[0])

    # -- amp-call-tracking ----------------------------------------------------------------
    def test_amp_call_tracking_shape(self):
        customer, _, numbers = self.site(ORIGIN)
        advid = customer["uuid"]
        resp = self.get("/dni/amp", {"advid": advid, "url": PAGE})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.headers["Access-Control-Allow-Origin"], ORIGIN)
        body = resp.json()
        self.assertEqual(set(body), {"phoneNumber", "formattedPhoneNumber"})
        self.assertIn(body["phoneNumber"], numbers)
        self.assertEqual(re.sub(r"\D", "", body["formattedPhoneNumber"]),
                         "0" + body["phoneNumber"][3:])

    # -- heartbeat ------------------------------------------------------------------------
    def test_heartbeat_extends_only_the_session_lease(self):
        customer, pool, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        session = self.number(advid).json()["session_id"]
        beat = {"advid": advid, "pool_id": pool["pool_id"], "session_id": session}
        resp = self.get("/dni/heartbeat", method="POST", data=beat)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json(), {"status": "success", "leased": "1"})
        self.assertEqual(resp.headers["Access-Control-Allow-Origin"], ORIGIN)
        unknown = self.get("/dni/heartbeat", method="POST", data=dict(beat, session_id="f" * 32))
        self.assertEqual(unknown.json()["leased"], "0")
        # Another customer's pool is not reachable through this advid.
        _, other_pool, _ = self.site(ORIGIN)
        self.assert_error(self.get("/dni/heartbeat", method="POST",
                                   data=dict(beat, pool_id=other_pool["pool_id"])),
                          404, "not_found", "pool_id")
        self.assert_error(self.get("/dni/heartbeat", method="POST",
                                   data=dict(beat, session_id="")), 400, "missing", "session_id")
        self.assert_error(self.get("/dni/heartbeat", data=beat), 405, "method_not_allowed")
        self.assert_error(self.get("/dni/heartbeat", method="POST", data=beat,
                                   origin="https://other.example"), 403, "origin_not_allowed")

    def requests_counted(self, route, method, status):
        text = requests.get(self.url("/metrics"), timeout=HTTP_TIMEOUT).text
        pattern = re.compile(r'^callsight_http_requests_total\{(.*)\} (\d+)$', re.M)
        wanted = {'listener="partner"', 'route="%s"' % route, 'method="%s"' % method,
                  'status="%s"' % status}
        return sum(int(count) for labels, count in pattern.findall(text)
                   if wanted <= set(labels.split(",")))

    def test_answers_given_after_their_commit_are_counted_under_their_routes(self):
        # Number requests and heartbeats are answered from the thread that committed them,
        # after the handler returned: /metrics must still name their routes.
        customer, pool, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        counted = [("/dni/number", "GET", "200"), ("/dni/heartbeat", "POST", "200"),
                   ("/dni/amp", "GET", "200")]
        before = [self.requests_counted(*key) for key in counted]
        session = self.number(advid).json()["session_id"]
        beat = {"advid": advid, "pool_id": pool["pool_id"], "session_id": session}
        self.assertEqual(self.get("/dni/heartbeat", method="POST", data=beat).status_code, 200)
        amp = self.get("/dni/amp", dict(advid=advid, url=PAGE))
        self.assertEqual(amp.status_code, 200, amp.text)
        after = [self.requests_counted(*key) for key in counted]
        self.assertEqual([a - b for a, b in zip(after, before)], [1, 1, 1])

    def test_a_released_number_rests_through_grace_and_cooldown(self):
        customer, pool, numbers = self.site(ORIGIN)
        advid = customer["uuid"]
        first = self.number(advid).json()
        held = {"advid": advid, "pool_id": pool["pool_id"], "session_id": first["session_id"]}
        resp = self.get("/dni/release", method="POST", data=held)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json(), {"status": "success", "released": "1"})
        self.assertEqual(resp.headers["Access-Control-Allow-Origin"], ORIGIN)
        again = self.get("/dni/release", method="POST", data=held)
        self.assertEqual(again.json()["released"], "0", "nothing left to give back")
        beat = self.get("/dni/heartbeat", method="POST", data=held)
        self.assertEqual(beat.json()["leased"], "0")
        # In grace and cooldown nobody is given it, its own session included.
        other = next(n for n in numbers if n != first["number"])
        shown = [self.number(advid, session_id=first["session_id"]).json(),
                 self.number(advid).json()]
        self.assertEqual([(s["shown"], s["number"]) for s in shown],
                         [("assigned", other), ("none", None)])
        _, other_pool, _ = self.site(ORIGIN)
        self.assert_error(self.get("/dni/release", method="POST",
                                   data=dict(held, pool_id=other_pool["pool_id"])),
                          404, "not_found", "pool_id")
        self.assert_error(self.get("/dni/release", method="POST", data=held,
                                   origin="https://other.example"), 403, "origin_not_allowed")
        for bad in ("%FF", "x%00y"):  # not UTF-8; NUL
            resp = requests.post(
                self.url("/dni/release"),
                data="advid=%s&pool_id=%s&session_id=%s" % (advid, pool["pool_id"], bad),
                headers={"Origin": ORIGIN, "User-Agent": BROWSER_UA,
                         "Content-Type": "application/x-www-form-urlencoded"},
                timeout=HTTP_TIMEOUT)
            self.assert_error(resp, 400, "invalid_encoding")

    def test_a_number_removed_from_the_pool_is_kept_alive_no_more(self):
        customer, pool, numbers = self.site(ORIGIN)
        advid = customer["uuid"]
        first = self.number(advid).json()
        self.ok(self.call(self.alice, "DELETE", "/pools/numbers",
                          params={"pool_id": pool["pool_id"], "number": first["number"]}),
                "pools")
        # Its page asks again, rather than go on showing a number whose calls are refused.
        beat = {"advid": advid, "pool_id": pool["pool_id"], "session_id": first["session_id"]}
        resp = self.get("/dni/heartbeat", method="POST", data=beat)
        self.assertEqual(resp.json(), {"status": "success", "leased": "0"})
        again = self.number(advid, session_id=first["session_id"]).json()
        self.assertEqual((again["session_id"], again["shown"], again["number"]),
                         (first["session_id"], "assigned",
                          next(n for n in numbers if n != first["number"])))

    # -- Freespee's JSONP -----------------------------------------------------------------
    def dncs_path(self, advid, callback="fsCallback", **overrides):
        segments = {"callback": callback, "advid": b64(advid + ";8"), "url": b64(PAGE),
                    "referrer": b64("https://www.google.com/"),
                    "numbersToReplace": b64(PRINTED_NUMBER + ",031-99 99 99"),
                    "parameters": b64("_ga=GA1.2.1234567890.1700000000"), "sameSite": "1"}
        segments.update(overrides)
        return "/external/dncs/" + "/".join("%s:%s" % item for item in segments.items())

    def jsonp(self, text, callback="fsCallback"):
        self.assertTrue(text.startswith(callback + "(") and text.endswith(");"), text[:200])
        return json.loads(text[len(callback) + 1:-2])

    def test_freespee_jsonp_shape(self):
        customer, _, numbers = self.site(ORIGIN)
        advid = customer["uuid"]
        resp = self.get(self.dncs_path(advid), origin=None, referer=PAGE)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertTrue(resp.headers["Content-Type"].startswith("application/javascript"))
        body = self.jsonp(resp.text)
        self.assertEqual(body["status"], "success")
        self.assertEqual(body["advid"], advid)
        self.assertRegex(body["session_id"], ID_RE)
        self.assertRegex(body["tracking_id"], ID_RE)
        # Only the number the pool replaces; the other printed number stays.
        self.assertEqual(len(body["numbers"]), 1, body)
        entry = body["numbers"][0]
        self.assertEqual(entry["number_on_page"], PRINTED_NUMBER)
        self.assertIn(entry["replace_with"]["e164"], numbers)
        self.assertRegex(entry["replace_with"]["meas_id"], r"^[1-9][0-9]*$")

        # The same session keeps its number, also through Freespee's index.php form.
        path = self.dncs_path(advid, sessionId=body["session_id"],
                              trackingId=body["tracking_id"])
        again = self.get("/index.php", {"url": path}, origin=None, referer=PAGE)
        self.assertEqual(again.status_code, 200, again.text)
        again = self.jsonp(again.text)
        self.assertEqual((again["session_id"], again["numbers"][0]["replace_with"]["e164"]),
                         (body["session_id"], entry["replace_with"]["e164"]))

        bot = self.get(self.dncs_path(advid), origin=None, referer=PAGE, ua="Googlebot/2.1")
        self.assertEqual(self.jsonp(bot.text), {"status": "fail", "errors": ["Blocked User Agent"]})

    def test_a_jsonp_preflight_names_the_numbers_and_takes_none(self):
        customer, _, numbers = self.site(ORIGIN, count=1)
        advid = customer["uuid"]
        for _ in range(2):
            resp = self.get(self.dncs_path(advid, preFlight="1"), origin=None, referer=PAGE)
            self.assertEqual(resp.status_code, 200, resp.text)
            self.assertEqual(self.jsonp(resp.text), {
                "status": "success", "advid": advid, "numbers_to_replace": [
                    {"number": PRINTED_NUMBER, "custnr": customer["custnr"],
                     "custname": customer["name"]}]})
        # The pool's only number is still free.
        answer = self.number(advid).json()
        self.assertEqual((answer["number"], answer["shown"]), (numbers[0], "assigned"))
        self.assert_error(self.get(self.dncs_path(advid, preFlight="2"), origin=None,
                                   referer=PAGE), 400, "invalid", "preFlight")

    def test_jsonp_callback_and_parameters_are_checked(self):
        customer, _, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        for callback in ("alert(1)", "a b", "1abc", "x" * 65, ""):
            resp = self.get(self.dncs_path(advid, callback=urllib.parse.quote(callback)),
                            origin=None, referer=PAGE)
            self.assert_error(resp, 400, "invalid", "callback")
            self.assertNotIn("alert", resp.text)
        self.assert_error(self.get("/external/dncs/callback:f/advid:***", origin=None,
                                   referer=PAGE), 400, "invalid", "advid")
        self.assert_error(self.get(self.dncs_path(advid, sessionId="a.b"), origin=None,
                                   referer=PAGE), 400, "invalid", "sessionId")
        self.assert_error(self.get(self.dncs_path(advid, url=b64("/x\0")), origin=None,
                                   referer=PAGE), 400, "invalid", "url")
        self.assert_error(self.get(self.dncs_path(advid), origin=None), 403,
                          "origin_not_allowed", "Referer")

    # -- the script ----------------------------------------------------------------------
    def test_the_script_is_served_to_any_page(self):
        resp = self.get("/dni.js", origin=None)
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(resp.headers["Content-Type"], "application/javascript; charset=utf-8")
        self.assertEqual(resp.headers["Cache-Control"], "public, max-age=300")
        # It asks the paths this server answers (test_dni_browser runs it in a browser).
        for path in ("/dni/number?", "/dni/heartbeat"):
            self.assertIn('"%s' % path, resp.text)
        self.assertLess(len(resp.content), 16 * 1024)

    # -- malformed requests ---------------------------------------------------------------
    def test_malformed_requests_get_a_4xx_naming_the_field(self):
        customer, _, _ = self.site(ORIGIN)
        advid = customer["uuid"]
        self.assert_error(self.get("/dni/number"), 400, "missing", "advid")
        self.assert_error(self.get("/dni/number", {"advid": "no-such-customer"}), 404,
                          "not_found", "advid")
        self.assert_error(self.get("/dni/number", {"advid": "a.b"}), 400, "invalid", "advid")
        # A user agent that is not UTF-8 is kept as far as it can be read.
        latin1 = self.get("/dni/number", {"advid": advid, "url": PAGE},
                          ua=b"Mozilla/5.0 (X11; Linux) Firefox/126.0 M\xfcnchen")
        self.assertEqual(latin1.status_code, 200, latin1.text)
        for field in ("url", "referrer", "ga"):  # NUL: refused for every parameter (api.md)
            self.assert_error(self.number(advid, **{field: "x\0y"}), 400, "invalid_encoding",
                              field)
        self.assert_error(self.number(advid, session_id="x'; DROP"), 400, "invalid", "session_id")
        self.assert_error(self.number(advid, visitor_id="v" * 65), 400, "too_long", "visitor_id")
        self.assert_error(self.number(advid, consent="yes"), 400, "invalid", "consent")
        self.assert_error(self.get("/dni/number?advid=%s&url=%%ff" % advid), 400,
                          "invalid_encoding")
        resp = requests.post(self.url("/dni/number"), data=b'{"advid": 1}',
                             headers={"Content-Type": "application/json", "Origin": ORIGIN},
                             timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 415, resp.text)
        self.assert_error(self.get("/dni/number", method="DELETE"), 405, "method_not_allowed")
        # No rule matches and no default pool: no number to show.
        customer, _, _ = self.site(ORIGIN, is_default="0",
                                rules='[{"kind":"landing_path_prefix","value":"/tv"}]')
        advid = customer["uuid"]
        self.assert_error(self.number(advid), 404, "no_pool", "url")
        for junk in ("/external/dncs/", "/external/dncs/x", "/external/dncs/callback:f/a:b:c",
                     "/index.php?url=/external/dncs/%00", "/dni/number?advid=%00",
                     "/dni/amp?advid=" + "a" * 5000):
            self.assert_no_5xx(self.get(junk, origin=None))


class DniAddressCapTest(DniSiteMixin, CustomerResourceMixin, ServerTestCase):
    EXTRA_ARGS = ("--dni-ip-limit", "3")

    def test_an_address_past_its_cap_is_blocked(self):
        customer, _, _ = self.site(ORIGIN, count=5)
        headers = {"Origin": ORIGIN, "User-Agent": BROWSER_UA}
        params = {"advid": customer["uuid"], "url": PAGE}
        for _ in range(3):
            resp = requests.get(self.url("/dni/number"), params=params, headers=headers,
                                timeout=HTTP_TIMEOUT)
            self.assertEqual(resp.status_code, 200, resp.text)
        resp = requests.get(self.url("/dni/number"), params=params, headers=headers,
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 429, resp.text)
        self.assertEqual(resp.json()["errors"][0]["code"], "blocked_ip")
        self.assertIn("Blocked IP", resp.json()["errors"][0]["message"])
        self.assertGreaterEqual(int(resp.headers["Retry-After"]), 1)
        # JSONP and AMP count too; the script itself does not.
        resp = requests.get(self.url("/dni/amp"), params=params, headers=headers,
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 429, resp.text)
        self.assertEqual(requests.get(self.url("/dni.js"), timeout=HTTP_TIMEOUT).status_code, 200)


if __name__ == "__main__":
    unittest.main()
