"""A customer's site in a real browser, for the tests that need one (test_dni_browser and
tests/sip/test_dni_calls): Debian's chromium, headless, driven through chromedriver's W3C
WebDriver API with urllib, loads local pages carrying the browser script.

BrowserSiteMixin is a mixin, not a TestCase (see resource_helpers)."""

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from dni_site import BROWSER_UA, PRINTED_NUMBER

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# This closed network refuses Chromium's background connections; each of these flags stops one
# kind (/work/.library/env/machines/cpp.md).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--user-agent=" + BROWSER_UA]

# The site's page: the printed number in text, in a tel: link and in a marked element, and a
# number the pool does not replace. A landing URL with "consent=1" in its query tells the
# script the visitor consented before it loads.
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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class BrowserSiteMixin:
    """For ServerTestCase subclasses: start_browser_site() in setUpClass (it registers its own
    class cleanups) serves the site's pages at cls.origin and starts chromedriver; then
    browser() opens a fresh profile and page() writes a page carrying the script."""

    @classmethod
    def require_browser(cls):
        """Skips the class when chromium or chromedriver is missing (CI installs both)."""
        for binary in (CHROMIUM, CHROMEDRIVER):
            if not os.path.exists(binary):
                raise unittest.SkipTest(binary + " is missing: scripts/install-deps installs it")

    @classmethod
    def start_browser_site(cls):
        cls.site_dir = tempfile.mkdtemp(prefix="callsight-browser-")
        cls.addClassCleanup(shutil.rmtree, cls.site_dir, True)
        # The customer's site: static pages on a port of their own.
        handler = functools.partial(QuietHandler, directory=cls.site_dir)
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
        profile = tempfile.mkdtemp(prefix="profile-", dir=self.site_dir)
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
                with open(os.path.join(self.site_dir, "dni.js"), "wb") as out:
                    out.write(response.read())
            script, server = "/dni.js", 'data-server="%s"' % self.server.base_url
        name = "page-%s.html" % advid
        with open(os.path.join(self.site_dir, name), "w") as out:
            out.write(PAGE.format(printed=PRINTED_NUMBER, printed_tel="+46-8-123 45 67",
                                  script=script, advid=advid, server=server))
        return "%s/%s" % (self.origin, name)

    def shown(self, driver):
        """What the page shows: [text, tel: link, marked element, the other number, the
        script's Callsight.number()]."""
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
