"""The browser script in a real browser (issue 15, tests "A real browser"): Debian's chromium,
headless, driven through chromedriver's W3C WebDriver API with urllib, loads a local test page
carrying the script. The number is replaced in text, in a tel: link and in a marked element; a
reload keeps it; another profile gets another; a full pool shows the fallback; a single-page
navigation keeps the session; a page becoming visible sends a heartbeat, a hidden one none;
the console shows no error; without consent no cookie is set;
with callsightd not answering the page keeps its own number after 1.5 s; a MutationObserver
sees no change but the numbers."""

import re
import signal
import time
import unittest

from browser_site import BrowserSiteMixin
from dni_site import PRINTED_NUMBER, DniSiteMixin
from harness import ServerTestCase
from resource_helpers import CustomerResourceMixin

TIMEOUT_S = 1.5  # the script's: after this the page keeps its own number


class DniBrowserTest(BrowserSiteMixin, DniSiteMixin, CustomerResourceMixin, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.require_browser()
        super().setUpClass()
        cls.start_browser_site()

    def requests_to(self, driver, path):
        """How many requests to `path` the page has completed (resource timing)."""
        return driver.js("""var path = arguments[0];
            return performance.getEntriesByType('resource')
                .filter(function (e) { return e.name.indexOf(path) >= 0; }).length;""", path)

    def wait_for(self, condition, message, timeout=5):
        deadline = time.monotonic() + timeout
        while not condition():
            self.assertLess(time.monotonic(), deadline, message)
            time.sleep(0.05)

    def assert_replaced(self, shown, numbers):
        text, tel, marked, other, number = shown
        self.assertIn(number, numbers)
        national = "0" + number[3:]
        match = re.fullmatch(r"Call us on (.+) today", text)
        self.assertTrue(match, text)
        self.assertEqual(re.sub(r"\D", "", match.group(1)), national, text)
        self.assertEqual(tel, "tel:" + number)
        self.assertEqual(re.sub(r"\D", "", marked), national)
        self.assertEqual(other, "Fax 031-99 99 99", "only the pool's numbers change")
        return number

    def test_the_script_in_a_browser(self):
        customer, _, numbers = self.site(self.origin, count=2, fallback_number="0812340000")
        advid = customer["uuid"]
        url = self.page(advid)

        # A visitor who consented: the number everywhere, kept on reload and SPA navigation.
        first = self.browser()
        first.open(url + "?consent=1")
        number = self.assert_replaced(self.wait_for_number(first), numbers)
        # Nothing but the numbers changed: the text, the link's href, the marked element's text.
        self.assertEqual(set(first.js("return window.mutations;")),
                             {"characterData:text:", "attributes:tel:href", "childList:marked:"})
        cookies = first.cookies()
        self.assertRegex(cookies.get("callsight_visitor", ""), r"^[0-9a-f]{32}$", cookies)
        session = cookies.get("callsight_session")
        first.reload()
        self.assertEqual(self.assert_replaced(self.wait_for_number(first), numbers), number)
        self.assertEqual(first.cookies()["callsight_session"], session)
        first.js("""history.pushState({}, '', '/offers/tv');
            document.getElementById('text').textContent = 'Call us on %s today';
            Callsight.trackPage();""" % PRINTED_NUMBER)
        deadline = time.monotonic() + 5
        while self.shown(first)[0] == "Call us on %s today" % PRINTED_NUMBER:
            self.assertLess(time.monotonic(), deadline, "the new page's number was not replaced")
            time.sleep(0.05)
        self.assertEqual(self.assert_replaced(self.shown(first), numbers), number)
        self.assertEqual(first.cookies()["callsight_session"], session)
        # What the app itself changes in place stays as the app made it.
        asked = self.requests_to(first, "/dni/number?")
        first.js("""document.getElementById('tel').setAttribute('href', 'tel:+4631999999');
            Callsight.trackPage();""")
        self.wait_for(lambda: self.requests_to(first, "/dni/number?") > asked, "no answer")
        time.sleep(0.1)  # the script handles the answer right after it arrives
        self.assertEqual(self.shown(first)[1], "tel:+4631999999")
        self.assertEqual(self.assert_replaced(self.shown(first)[:1] + ["tel:" + number] +
                                              self.shown(first)[2:], numbers), number)

        # A page that becomes visible sends a heartbeat at once; a hidden one sends none.
        first.js("document.dispatchEvent(new Event('visibilitychange'));")
        self.wait_for(lambda: self.requests_to(first, "/dni/heartbeat") == 1, "no heartbeat")
        first.js("""Object.defineProperty(document, 'visibilityState', {get: function () {
            return 'hidden'; }}); document.dispatchEvent(new Event('visibilitychange'));""")
        time.sleep(0.3)
        self.assertEqual(self.requests_to(first, "/dni/heartbeat"), 1)

        # Another profile, no consent: the other number, and no cookie of Callsight's.
        second = self.browser()
        second.open(url)
        other = self.assert_replaced(self.wait_for_number(second), numbers)
        self.assertNotEqual(other, number)
        self.assertFalse([n for n in second.cookies() if n.startswith("callsight")])
        # Without a cookie a reload is a new page view, and both numbers are held: the fallback.
        second.reload()
        self.assertEqual(self.wait_for_number(second)[4], "+46812340000")

        for driver in (first, second):
            errors = [entry for entry in driver.console() if entry["level"] == "SEVERE"]
            self.assertEqual(errors, [])

        # callsightd does not answer (stopped): the page keeps its own number, and an answer
        # that comes after the script's 1.5 s changes nothing.
        hosted = self.page(advid, self_hosted=True)
        third = self.browser()
        self.server.proc.send_signal(signal.SIGSTOP)
        try:
            third.open(hosted)
            loaded = third.js("return typeof Callsight === 'object' && !Array.isArray(Callsight);")
            self.assertTrue(loaded, "the script did not load from the site")
            # The script asked when it loaded, before open() returned: after this its 1.5 s
            # are over, whatever the page's load took.
            time.sleep(TIMEOUT_S + 0.5)
            self.assertEqual(self.shown(third), ["Call us on %s today" % PRINTED_NUMBER,
                                                 "tel:+46-8-123 45 67", "our number",
                                                 "Fax 031-99 99 99", None])
        finally:
            self.server.proc.send_signal(signal.SIGCONT)
        # callsightd answers the waiting request now; the page must not take it.
        time.sleep(1)
        self.assertIsNone(self.shown(third)[4], "a late answer replaced the number")
        self.assertEqual(self.shown(third)[0], "Call us on %s today" % PRINTED_NUMBER)


if __name__ == "__main__":
    unittest.main()
