"""TLS on the partner listener (--tls-cert, --tls-key): real clients over HTTPS with a throwaway
CA made by openssl at the start, plain HTTP and stalled handshakes, startup errors."""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import requests

from harness import HTTP_TIMEOUT, SERVER_BIN, ServerTestCase, require_binary
import tls_certs

PING = "/miscellaneous/ping"


def make_ca_and_server_cert(directory):
    """A CA and a server certificate for 127.0.0.1 and localhost it signed, and a key that
    belongs to neither."""
    ca = tls_certs.make_ca(directory, "test")
    cert, key = tls_certs.issue(directory, "server", ca, ["IP:127.0.0.1", "DNS:localhost"])
    return {"ca.pem": ca[0], "server.pem": cert, "server.key": key,
            "other.key": tls_certs.make_key(directory, "other")}


class TlsTest(ServerTestCase):
    PARTNERS = {"alice": dict(password="alice-pw")}
    READ_TIMEOUT = 2

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="callsight-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.pki_dir, True)
        cls.files = make_ca_and_server_cert(cls.pki_dir)
        cls.ca = cls.files["ca.pem"]
        cls.EXTRA_ARGS = ("--tls-cert", cls.files["server.pem"], "--tls-key",
                          cls.files["server.key"], "--read-timeout-seconds",
                          str(cls.READ_TIMEOUT))
        super().setUpClass()

    def https_session(self):
        return self.session("alice")

    def call(self, s, method, path, params=None, data=None, **kwargs):
        # Per request: requests lets REQUESTS_CA_BUNDLE override a session's verify.
        kwargs.setdefault("verify", self.ca)
        return super().call(s, method, path, params=params, data=data, **kwargs)

    def tls_context(self):
        context = ssl.create_default_context(cafile=self.ca)
        return context

    def test_startup_log_says_https(self):
        self.assertEqual(self.server.scheme, "https")
        self.assertIn("callsightd listening on https://127.0.0.1:%d" % self.server.port,
                      self.server.stderr())

    def test_requests_with_digest_over_https(self):
        s = self.https_session()
        resp = self.call(s, "GET", PING)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json(), {"ping": "ok"})
        created = self.one(self.call(s, "POST", "/customers",
                                     data={"name": "Secure AB", "custnr": "tls-1"}), "customers")
        self.assertEqual(created["name"], "Secure AB")
        fetched = self.one(self.call(s, "GET", "/customers/%s" % created["customer_id"]),
                           "customers")
        self.assertEqual(fetched, created)

    def test_a_long_body_over_https_then_the_next_request_on_the_connection(self):
        # Past 16 kB a body is sent beside the response's head rather than copied after it.
        s = self.https_session()
        for i in range(40):
            self.call(s, "POST", "/customers",
                      data={"name": "Long %d" % i, "custnr": "tls-long-%d" % i,
                            "custom_1": "x" * 200})
        resp = self.call(s, "GET", "/customers", params={"pagesize": 100})
        self.assertEqual(resp.status_code, 200)
        self.assertGreater(len(resp.content), 16 * 1024)
        names = {c["name"] for c in resp.json()["customers"]}
        self.assertTrue({"Long %d" % i for i in range(40)} <= names)
        self.assertEqual(self.call(s, "GET", PING).json(), {"ping": "ok"})

    def test_requests_refuses_the_server_without_the_ca(self):
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(self.url(PING), timeout=HTTP_TIMEOUT)

    def test_curl_with_cacert(self):
        status, body = self.curl("--cacert", self.ca, "--digest", "-u", "alice:alice-pw",
                                 self.url(PING))
        self.assertEqual(status, 200, body)
        self.assertIn('"ping":"ok"', body.replace(" ", ""))

    def test_plain_http_to_the_tls_port_fails_and_the_server_keeps_serving(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as sock:
            sock.sendall(b"GET /miscellaneous/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            try:
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    received += chunk
            except ConnectionResetError:
                pass
        self.assertNotIn(b"HTTP/1.1", received)
        with self.assertRaises(requests.exceptions.ConnectionError):
            requests.get("http://127.0.0.1:%d%s" % (self.server.port, PING),
                         timeout=HTTP_TIMEOUT)
        self.assertEqual(self.call(self.https_session(), "GET", PING).status_code, 200)

    def test_stalled_handshake_is_cut_off_by_the_read_timeout(self):
        served = []

        def normal_client():
            served.append(self.call(self.https_session(), "GET", PING).status_code)

        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            start = time.monotonic()
            sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello's start
            other = threading.Thread(target=normal_client)
            other.start()
            try:
                closed = sock.recv(4096) == b""
            except ConnectionResetError:
                closed = True
            elapsed = time.monotonic() - start
            other.join()
        self.assertTrue(closed)
        self.assertGreaterEqual(elapsed, self.READ_TIMEOUT - 0.5)
        self.assertLess(elapsed, self.READ_TIMEOUT + 1.5)
        self.assertEqual(served, [200])

    def test_tls_1_2_is_served_with_the_servers_cipher_preference(self):
        context = self.tls_context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        # The client prefers ChaCha20; the server's list puts AES-128-GCM first.
        context.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                self.assertEqual(tls.version(), "TLSv1.2")
                self.assertEqual(tls.cipher()[0], "ECDHE-ECDSA-AES128-GCM-SHA256")

    def test_tls_1_3_is_served(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as raw:
            with self.tls_context().wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                self.assertEqual(tls.version(), "TLSv1.3")

    def test_tls_1_1_is_refused(self):
        context = self.tls_context()
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("ALL:@SECLEVEL=0")  # this client could speak it; the server may not
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as raw:
            with self.assertRaises(ssl.SSLError):
                context.wrap_socket(raw, server_hostname="127.0.0.1")


class TlsStartupTest(unittest.TestCase):
    """Bad TLS files stop callsightd before it listens, with a message naming the problem."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="callsight-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.files = make_ca_and_server_cert(cls.dir)

    def start_fails(self, *tls_args):
        require_binary(SERVER_BIN)
        proc = subprocess.run([SERVER_BIN, "--listen", "127.0.0.1:0", "--switch-listen", "off",
                               "--db", os.path.join(self.dir, "db.sqlite"), *tls_args],
                              capture_output=True, text=True, timeout=20)
        self.assertNotEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("listening on", proc.stderr)
        return proc.stderr

    def test_missing_certificate_file(self):
        missing = os.path.join(self.dir, "missing.pem")
        err = self.start_fails("--tls-cert", missing, "--tls-key", self.files["server.key"])
        self.assertIn(missing, err)

    def test_key_that_does_not_match_the_certificate(self):
        err = self.start_fails("--tls-cert", self.files["server.pem"], "--tls-key",
                               self.files["other.key"])
        self.assertIn("does not match", err)
        self.assertIn(self.files["other.key"], err)

    def test_certificate_file_that_is_not_a_certificate(self):
        err = self.start_fails("--tls-cert", self.files["server.key"], "--tls-key",
                               self.files["server.key"])
        self.assertIn("certificate", err)
        self.assertIn(self.files["server.key"], err)

    def test_certificate_without_key(self):
        err = self.start_fails("--tls-cert", self.files["server.pem"])
        self.assertIn("--tls-key", err)


if __name__ == "__main__":
    unittest.main()
