"""The browser script in a real browser (issue 15, tests "A real browser"): Debian's chromium,
headless, driven through chromedriver's W3C WebDriver API with urllib, loads a local test page
carrying the script. The number is replaced in text, in a tel: link and in a marked element; a
reload keeps it; another profile gets another; a full pool shows the fallback; a single-page
navigation keeps the session; a page becoming visible sends a heartbeat, a hidden one none;
the console shows no error; without consent no cookie is set;
with callsightd not answering the page keeps its own number after 1.5 s; a MutationObserver
sees no change but the numbers."""

import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from dni_site import BROWSER_UA, PRINTED_NUMBER, DniSiteMixin
from harness import ServerTestCase
from resource_helpers import CustomerResourceMixin

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# This closed network refuses Chromium's background connections; each of these flags stops one
# kind (/work/.library/env/machines/cpp.md).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--user-agent=" + BROWSER_UA]
TIMEOUT_S = 1.5  # the script's: after this the page keeps its own number

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Shop</title></head>
<body>
<p id="text">Call us on {printed} today</p>
<p><a id="tel" href="tel:{printed_tel}">Ring us</a></p>
<p>Sales: <span id="marked" data-callsight-number>our number</span></p>
<p id="other">Fax 031-99 99 99</p>
<script>
  window.Callsight = window.Callsight || [];
  if (location.search.indexOf("consent=1") >= 0) Callsight.push("consent");
</script>
<script async src="{script}" data-advid="{advid}" {server}></script>
<script>
  // Every change to the page from here on (the last thing the parser reads), as
  // "type:id of the element:attribute".
  window.mutations = [];
  new MutationObserver(function (records) {{
    records.forEach(function (m) {{
      var element = m.target.nodeType === 1 ? m.target : m.target.parentNode;
      window.mutations.push(m.type + ":" + element.id + ":" + (m.attributeName || ""));
    }});
  }}).observe(document.documentElement,
              {{subtree: true, childList: true, attributes: true, characterData: true}});
</script></body></html>"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """A chromedriver session over its W3C HTTP API."""

    def __init__(self, driver_url, profile_dir):
        self.base = driver_url
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM,
                                   "args": CHROMIUM_FLAGS + ["--user-data-dir=" + profile_dir]},
            "goog:loggingPrefs": {"browser": "ALL"}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as error:
            raise AssertionError("webdriver %s %s: %s" % (method, path, error.read()[:500]))

    def do(self, method, path, body=None):
        return self.call(method, "/session/" + self.session + path, body)

    def open(self, url):
        self.do("POST", "/url", {"url": url})

    def reload(self):
        self.do("POST", "/refresh", {})

    def js(self, script, *args):
        return self.do("POST", "/execute/sync", {"script": script, "args": list(args)})

    def cookies(self):
        return {c["name"]: c["value"] for c in self.do("GET", "/cookie")}

    def console(self):
        return self.do("POST", "/se/log", {"type": "browser"})

    def quit(self):
        self.do("DELETE", "")


class DniBrowserTest(DniSiteMixin, CustomerResourceMixin, ServerTestCase):

    @classmethod
    def setUpClass(cls):
        for binary in (CHROMIUM, CHROMEDRIVER):
            if not os.path.exists(binary):
                raise unittest.SkipTest(binary + " is missing: scripts/install-deps installs it")
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="callsight-browser-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        # The customer's site: static pages on a port of their own.
        handler = functools.partial(QuietHandler, directory=cls.tmp)
        cls.site_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=cls.site_server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.site_server.server_close)
        cls.addClassCleanup(cls.site_server.shutdown)
        cls.origin = "http://127.0.0.1:%d" % cls.site_server.server_address[1]
        port = free_port()
        cls.chromedriver = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % port], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        cls.addClassCleanup(cls.chromedriver.wait)
        cls.addClassCleanup(cls.chromedriver.terminate)
        cls.driver_url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(cls.driver_url + "/status", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def browser(self):
        profile = tempfile.mkdtemp(prefix="profile-", dir=self.tmp)
        driver = WebDriver(self.driver_url, profile)
        self.addCleanup(driver.quit)
        return driver

    def page(self, advid, self_hosted=False):
        """Writes the site's page; returns its URL. A self-hosted page serves a copy of the
        script from the site, so the script loads even when callsightd does not answer."""
        script = self.server.url("/dni.js")
        server = ""
        if self_hosted:
            with urllib.request.urlopen(script, timeout=10) as response:
                with open(os.path.join(self.tmp, "dni.js"), "wb") as out:
                    out.write(response.read())
            script, server = "/dni.js", 'data-server="%s"' % self.server.base_url
        name = "page-%s.html" % advid
        with open(os.path.join(self.tmp, name), "w") as out:
            out.write(PAGE.format(printed=PRINTED_NUMBER, printed_tel="+46-8-123 45 67",
                                  script=script, advid=advid, server=server))
        return "%s/%s" % (self.origin, name)

    def shown(self, driver):
        return driver.js("""return [document.getElementById('text').textContent,
            document.getElementById('tel').getAttribute('href'),
            document.getElementById('marked').textContent,
            document.getElementById('other').textContent,
            window.Callsight && window.Callsight.number ? window.Callsight.number() : null];""")

    def wait_for_number(self, driver, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            text, tel, marked, other, number = self.shown(driver)
            if number:
                return text, tel, marked, other, number
            if time.monotonic() > deadline:
                self.fail("no number shown: %r" % [text, tel, marked])
            time.sleep(0.05)

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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    unittest.main()
