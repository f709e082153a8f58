"""Missed-call e-mails (docs/notifications.md) through a real SMTP relay: Debian's aiosmtpd
(smtp_relay.py, run with /usr/bin/python3) with STARTTLS and AUTH required, a throw-away CA
that callsightd is told to trust (--smtp-ca-file), calls driven over the switch API."""

import email
import email.policy
import glob
import os
import random
import re
import socket
import subprocess
import tempfile
import time
import unittest

import requests

from harness import HTTP_TIMEOUT, ServerTestCase, _die_with_parent, unique
from resource_helpers import CustomerResourceMixin
from test_switch_api import call_id
import tls_certs

SYSTEM_PYTHON = "/usr/bin/python3"
RELAY_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtp_relay.py")
SECRET = "switch-secret-" + unique()
USER = "callsight"
PASSWORD = "relay-pw-" + unique()
CALLER = "+46701234567"
WAIT = 15.0  # the longest any mail may take here: retries start at 1 s and double


def have_aiosmtpd():
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import aiosmtpd"],
                          capture_output=True, timeout=30).returncode == 0


def free_port():
    """A free port in 43000-43999 (the range these tests may use) that stays the relay's."""
    for _ in range(200):
        port = random.randint(43000, 43999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port in 43000-43999")


class Relay:
    """One run of smtp_relay.py on the class's port, saving mails to outdir."""

    def __init__(self, port, cert, key, password, outdir, options=()):
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, RELAY_SCRIPT, str(port), cert, key, USER, password, outdir,
             *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, preexec_fn=_die_with_parent)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise AssertionError("smtp relay did not start: %r %s" % (line, self.proc.stderr.read()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class MailTestCase(CustomerResourceMixin, ServerTestCase):
    """A callsightd whose relay is 127.0.0.1:<port> (TLS as TLS_MODE), trusting a throw-away
    CA; each test starts the relay (smtp_relay.py) when it wants one."""

    SWITCH_SECRET = SECRET
    TLS_MODE = "starttls"
    RELAY_OPTIONS = ()

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="callsight-mail-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.ca = tls_certs.make_ca(cls.tmp.name, "mail-test")
        cls.cert, cls.key = tls_certs.issue(cls.tmp.name, "relay", cls.ca,
                                            ["IP:127.0.0.1", "DNS:localhost"])
        password_file = os.path.join(cls.tmp.name, "smtp-password")
        with open(password_file, "w") as f:
            f.write(PASSWORD + "\n")
        cls.port = free_port()
        cls.EXTRA_ARGS = ("--smtp-relay", "127.0.0.1:%d" % cls.port, "--smtp-tls", cls.TLS_MODE,
                          "--smtp-ca-file", cls.ca[0], "--smtp-user", USER,
                          "--smtp-password-file", password_file,
                          "--mail-from", "calls@callsight.example",
                          "--mail-retry-base-seconds", "1", "--smtp-timeout-ms", "3000",
                          "--smtp-session-timeout-ms", "6000")
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.outdir = tempfile.mkdtemp(dir=self.tmp.name)
        self.relay = None
        self.addCleanup(self.stop_relay)
        self.cid = self.customer(self.alice)

    # -- helpers ----------------------------------------------------------------------------
    def start_relay(self, password=PASSWORD, cert=None):
        cert = cert or (self.cert, self.key)
        self.relay = Relay(self.port, cert[0], cert[1], password, self.outdir,
                           self.RELAY_OPTIONS)

    def stop_relay(self):
        if self.relay:
            self.relay.stop()
            self.relay = None

    def notified_source(self, name="Spring ads"):
        source = self.one(self.source(self.cid, name=name, email="sales@example.com",
                                      notify_on_missed_call="1"), "sources")
        return source["destnr"]

    def route(self, dialled):
        cid = call_id()
        resp = self.switch_post("/switch/route",
                                {"call_id": cid, "caller": CALLER, "dialled": dialled})
        self.assertEqual(resp.status_code, 200, resp.text)
        return cid

    def event(self, cid, name, at, **fields):
        resp = self.switch_post("/switch/events", dict(call_id=cid, event=name, at=at, **fields))
        self.assertEqual(resp.status_code, 200, resp.text)
        return resp.json()

    def missed_call(self, dialled):
        """A call that rings out unanswered, its end reported twice; returns its cdr_id."""
        cid = self.route(dialled)
        t = int(time.time())
        self.event(cid, "ringing", t)
        cdr_id = self.event(cid, "failed", t + 20, sip_status=480)["cdr_id"]
        self.event(cid, "failed", t + 20, sip_status=480)  # a retransmission
        return cdr_id

    def mails(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.outdir, "*.eml"))):
            with open(path, "rb") as f:
                out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return out

    def wait_for_mails(self, count):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            mails = self.mails()
            if len(mails) >= count:
                return mails
            time.sleep(0.05)
        self.fail("%d mails arrived, not %d; callsightd said:\n%s"
                  % (len(self.mails()), count, self.server.stderr()[-3000:]))

    def metric(self, name, labels=""):
        text = requests.get(self.url("/metrics"), timeout=HTTP_TIMEOUT).text
        match = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
        return float(match.group(1)) if match else 0.0

    def wait_for_metric(self, name, labels, at_least):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.metric(name, labels) >= at_least:
                return
            time.sleep(0.05)
        self.fail("%s%s stayed below %s" % (name, labels, at_least))

    def wait_for_log(self, text, count, start=0):
        """Until callsightd's log from offset `start` holds `text` `count` times."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.server.stderr()[start:].count(text) >= count:
                return
            time.sleep(0.05)
        self.fail("%r not logged %d times:\n%s" % (text, count, self.server.stderr()[start:]))

    def wait_until_nothing_pending(self):
        self.wait_for_metric_zero("callsight_mail_outbox_mails", '{state="pending"}')

    def wait_for_metric_zero(self, name, labels):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.metric(name, labels) == 0:
                return
            time.sleep(0.05)
        self.fail("%s%s did not reach 0" % (name, labels))

    def assert_missed_call_mail(self, mail, cdr_id, dialled, source_name):
        self.assertEqual(mail["X-Envelope-To"], "sales@example.com")
        self.assertEqual(mail["X-Envelope-From"], "calls@callsight.example")
        self.assertEqual(mail["To"], "sales@example.com")
        self.assertEqual(str(mail["Subject"]), "Missed call to %s (%s)" % (source_name, dialled))
        self.assertTrue(mail["Message-ID"].endswith("@callsight.example>"))
        self.assertTrue(mail["Date"])
        body = mail.get_content().replace("\r\n", "\n")
        self.assertIn("Caller:          %s\n" % CALLER, body)  # in full: to call back
        self.assertIn("Tracking number: %s\n" % dialled, body)
        self.assertIn("Source:          %s\n" % source_name, body)
        self.assertIn("Status:          not answered\n", body)
        self.assertIn("Call id:         %s\n" % cdr_id, body)
        self.assertRegex(body, r"Time:            \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T\n")



@unittest.skipUnless(have_aiosmtpd(), "needs python3-aiosmtpd for /usr/bin/python3")
class MailNotificationTest(MailTestCase):
    """STARTTLS, AUTH PLAIN."""

    def test_a_missed_call_mails_once_and_an_answered_one_not_at_all(self):
        self.start_relay()
        name = "Vårkampanj <Göteborg>"
        dialled = self.notified_source(name)
        answered = self.route(dialled)
        t = int(time.time())
        self.event(answered, "answered", t)
        self.event(answered, "hangup", t + 30, hangup_by="caller")
        cdr_id = self.missed_call(dialled)
        self.wait_for_mails(1)
        self.wait_until_nothing_pending()
        mails = self.mails()
        self.assertEqual(len(mails), 1, [str(m["Subject"]) for m in mails])
        self.assert_missed_call_mail(mails[0], cdr_id, dialled, name)
        with open(glob.glob(os.path.join(self.outdir, "*.eml"))[0], "rb") as f:
            raw = f.read()
        self.assertIn(b"Subject: =?UTF-8?B?", raw)  # the name's non-ASCII, encoded
        self.assertEqual(raw.decode("ascii").count(CALLER), 1)  # 7-bit clean, body only
        self.assertGreaterEqual(self.metric("callsight_mail_attempts_total", '{result="sent"}'), 1)

    def test_a_mail_waits_while_the_relay_is_down_and_goes_once_it_is_up(self):
        dialled = self.notified_source()
        failed_before = self.metric("callsight_mail_attempts_total", '{result="failed"}')
        cdr_id = self.missed_call(dialled)
        self.wait_for_metric("callsight_mail_attempts_total", '{result="failed"}',
                             failed_before + 2)  # tried, retried, still down
        self.assertEqual(self.metric("callsight_mail_outbox_mails", '{state="pending"}'), 1)
        self.assertGreaterEqual(
            self.metric("callsight_mail_outbox_oldest_pending_seconds"), 0)
        self.start_relay()
        mails = self.wait_for_mails(1)
        self.wait_until_nothing_pending()
        self.assertEqual(len(self.mails()), 1)
        self.assert_missed_call_mail(mails[0], cdr_id, dialled, "Spring ads")

    def test_a_wrong_relay_password_is_retried_and_counted(self):
        dialled = self.notified_source()
        self.start_relay(password="not-" + PASSWORD)
        failed_before = self.metric("callsight_mail_attempts_total", '{result="failed"}')
        cdr_id = self.missed_call(dialled)
        self.wait_for_metric("callsight_mail_attempts_total", '{result="failed"}',
                             failed_before + 2)
        self.assertEqual(self.mails(), [])
        self.assertIn("SMTP 535 at AUTH", self.server.stderr())
        self.assertNotIn(PASSWORD, self.server.stderr())
        # The operator fixes the relay's side: the same mail goes, once.
        self.stop_relay()
        self.start_relay()
        mails = self.wait_for_mails(1)
        self.wait_until_nothing_pending()
        self.assertEqual(len(self.mails()), 1)
        self.assert_missed_call_mail(mails[0], cdr_id, dialled, "Spring ads")

    def test_the_startup_log_names_the_relay_and_never_the_password(self):
        log = self.server.stderr()
        self.assertIn("mail: notification e-mails go through 127.0.0.1:%d (starttls, "
                      "certificate checked" % self.port, log)
        self.assertIn("login as %s" % USER, log)
        self.assertNotIn(PASSWORD, log)

    def test_a_relay_whose_certificate_is_untrusted_or_misnamed_gets_nothing(self):
        strangers = tls_certs.make_ca(self.tmp.name, "strangers-" + unique())
        untrusted = tls_certs.issue(self.tmp.name, "untrusted-" + unique(), strangers,
                                    ["IP:127.0.0.1"])
        misnamed = tls_certs.issue(self.tmp.name, "misnamed-" + unique(), self.ca,
                                   ["DNS:other.example"])
        dialled = self.notified_source()
        cdr_id = None
        for cert in (untrusted, misnamed):
            self.stop_relay()
            self.start_relay(cert=cert)
            # Only attempts made while this relay runs are looked at.
            log_start = len(self.server.stderr())
            if cdr_id is None:
                cdr_id = self.missed_call(dialled)
            self.wait_for_log("certificate verify failed", 1, log_start)
        self.assertEqual(self.mails(), [])
        self.stop_relay()
        self.start_relay()
        mails = self.wait_for_mails(1)
        self.wait_until_nothing_pending()
        self.assertEqual(len(self.mails()), 1)
        self.assert_missed_call_mail(mails[0], cdr_id, dialled, "Spring ads")


@unittest.skipUnless(have_aiosmtpd(), "needs python3-aiosmtpd for /usr/bin/python3")
class MailImplicitTlsTest(MailTestCase):
    """TLS from the first byte (--smtp-tls tls), a relay that offers AUTH LOGIN only."""

    TLS_MODE = "tls"
    RELAY_OPTIONS = ("--implicit-tls", "--login-only")

    def test_a_missed_call_mail_goes_over_implicit_tls_with_auth_login(self):
        self.start_relay()
        dialled = self.notified_source()
        cdr_id = self.missed_call(dialled)
        mails = self.wait_for_mails(1)
        self.wait_until_nothing_pending()
        self.assertEqual(len(self.mails()), 1)
        self.assert_missed_call_mail(mails[0], cdr_id, dialled, "Spring ads")


if __name__ == "__main__":
    unittest.main()
