"""callsightd as a process: options, connection handling, limits, demo mode, restarts."""

import base64
import http.client
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import requests
from requests.auth import HTTPDigestAuth

from harness import (CLI_BIN, HTTP_TIMEOUT, SERVER_BIN, Server, ServerTestCase, add_partner,
                     digest_authorization, digest_challenge, parse_challenges, read_response,
                     require_binary, run_cli, unique)

PING = "/miscellaneous/ping"


class HelpTest(unittest.TestCase):
    def help_of(self, binary):
        require_binary(binary)
        proc = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout + proc.stderr

    def test_server_help(self):
        text = self.help_of(SERVER_BIN)
        self.assertIn("--listen", text)
        self.assertIn("--db", text)
        self.assertIn("--demo", text)

    def test_cli_help(self):
        text = self.help_of(CLI_BIN)
        self.assertIn("--db", text)
        self.assertIn("partner", text)

    def test_server_rejects_unknown_option(self):
        require_binary(SERVER_BIN)
        proc = subprocess.run([SERVER_BIN, "--no-such-option"], capture_output=True, text=True,
                              timeout=10)
        self.assertNotEqual(proc.returncode, 0)


class ConnectionTest(ServerTestCase):
    PARTNERS = {"alice": dict(password="alice-pw")}

    def basic_header(self):
        token = base64.b64encode(b"alice:alice-pw").decode()
        return "Authorization: Basic %s\r\n" % token

    def sha256_challenge(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT)
        conn.request("GET", PING)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return digest_challenge(parse_challenges(resp.msg.get_all("WWW-Authenticate") or []),
                                "SHA-256")

    def test_keep_alive_serves_two_requests_on_one_connection(self):
        challenge = self.sha256_challenge()
        self.assertIsNotNone(challenge)
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      timeout=HTTP_TIMEOUT) as sock:
            reader = sock.makefile("rb")
            for nc in (1, 2):
                auth = digest_authorization(challenge, "GET", PING, "alice", "alice-pw",
                                            "SHA-256", nc=nc)
                sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n\r\n"
                              % (PING, auth)).encode())
                status, headers, body = read_response(reader)
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body), {"ping": "ok"})
                self.assertNotIn(("connection", "close"), headers)

    def test_requests_session_reuses_its_connection(self):
        s = self.session("alice")
        peers = set()
        for _ in range(3):
            resp = self.call(s, "GET", PING, stream=True)
            self.assertEqual(resp.status_code, 200)
            peers.add(resp.raw._connection.sock.getsockname())
            resp.content
        self.assertEqual(len(peers), 1, "a new connection per request: %s" % peers)

    def test_header_over_8_kib_is_431(self):
        request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sX-Filler: %s\r\n\r\n"
                   % (PING, self.basic_header(), "a" * 9000)).encode()
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      timeout=HTTP_TIMEOUT) as sock:
            sock.sendall(request)
            status, _, _ = read_response(sock.makefile("rb"))
        self.assertEqual(status, 431)

    def test_headers_under_the_limit_are_fine(self):
        resp = self.call(self.session("alice"), "GET", PING, headers={"X-Filler": "a" * 6000})
        self.assertEqual(resp.status_code, 200)

    def test_body_over_1_mib_is_413(self):
        size = 1024 * 1024 + 4096
        head = ("POST /customers HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
                % (self.basic_header(), size)).encode()
        chunk = b"custom_1=" + b"a" * (64 * 1024 - 9)
        with socket.create_connection(("127.0.0.1", self.server.port),
                                      timeout=HTTP_TIMEOUT) as sock:
            sock.sendall(head)
            sent = 0
            try:
                while sent < size:
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        break  # the server answered early: stop sending
                    piece = chunk[:size - sent]
                    sock.sendall(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, _, _ = read_response(sock.makefile("rb"))
        self.assertEqual(status, 413)

    def test_startup_log_names_address_and_database(self):
        log = self.server.stderr() + self.server.stdout()
        self.assertIn("listening on http://127.0.0.1:%d" % self.server.port, log)
        url = urllib.parse.urlsplit(self.server.db)
        if url.scheme.startswith("postgres"):
            # Server and database, never the password.
            self.assertIn("PostgreSQL %s:%d%s" % (url.hostname, url.port, url.path), log)
            self.assertNotIn(url.password, log)
        else:
            self.assertIn("SQLite " + self.server.db, log)

    def test_log_goes_to_stderr_not_stdout(self):
        self.assertIn("listening on http://127.0.0.1:%d" % self.server.port,
                      self.server.stderr())
        self.assertEqual(self.server.stdout(), "", "stdout is for the --demo walk-through only")


class ProcessTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="callsight-bb-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, "data.db")

    def server(self, **kwargs):
        kwargs.setdefault("db", self.db)
        srv = Server(workdir=self.dir, **kwargs)
        self.addCleanup(srv.kill)
        return srv

    def test_sigterm_exits_zero(self):
        srv = self.server().start()
        self.assertEqual(requests.get(srv.url(PING), timeout=HTTP_TIMEOUT).status_code, 401)
        self.assertEqual(srv.terminate(), 0, srv.stderr())
        with self.assertRaises(requests.exceptions.ConnectionError):
            requests.get(srv.url(PING), timeout=2)

    def test_sigterm_with_an_idle_keep_alive_connection_exits_zero(self):
        srv = self.server().start()
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=HTTP_TIMEOUT)
        self.addCleanup(sock.close)
        sock.sendall(b"GET /miscellaneous/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, _ = read_response(sock.makefile("rb"))
        self.assertEqual(status, 401)
        self.assertEqual(srv.terminate(timeout=8), 0, srv.stderr())

    def test_demo_mode(self):
        srv = self.server(demo=True).start()
        deadline = time.monotonic() + 5
        while "demo:demo" not in srv.stdout() and time.monotonic() < deadline:
            time.sleep(0.02)
        walkthrough = srv.stdout()
        self.assertIn("curl --digest -u demo:demo", walkthrough)
        self.assertIn(str(srv.port), walkthrough)
        proc = subprocess.run(["curl", "-sS", "--digest", "-u", "demo:demo", srv.url(PING)],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout), {"ping": "ok"})
        resp = requests.post(srv.url("/customers"), auth=HTTPDigestAuth("demo", "demo"),
                             data={"name": "DailyLoans", "custnr": "1412"}, timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 200, resp.text)
        srv.stop()

        again = self.server(demo=True).start()
        resp = requests.get(again.url(PING), auth=HTTPDigestAuth("demo", "demo"),
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.json(), {"ping": "ok"})
        resp = requests.get(again.url("/customers"), auth=HTTPDigestAuth("demo", "demo"),
                            params={"custnr": "1412"}, timeout=HTTP_TIMEOUT)
        self.assertEqual(len(resp.json()["customers"]), 1, "demo data lost on the second run")
        again.stop()

        partners = run_cli(self.db, "partner", "list", check=True).stdout
        demo_rows = [line for line in partners.splitlines()
                     if re.search(r"(^|\t)demo(\t|$)", line)]
        self.assertEqual(len(demo_rows), 1, partners)
        self.assertIn("SE", demo_rows[0])
        self.assertIn("Europe/Stockholm", demo_rows[0])
        numbers = run_cli(self.db, "numbers", "list", check=True).stdout
        swedish = [line for line in numbers.splitlines() if line.startswith("+46")]
        self.assertEqual(len(swedish), 100, numbers[-2000:])

    def test_environment_variables(self):
        env_db = os.path.join(self.dir, "from-env.db")
        srv = self.server(db=env_db, use_flags=False,
                          env={"CALLSIGHT_LISTEN": "127.0.0.1:0", "CALLSIGHT_DB": env_db})
        add_partner(env_db, "envy", "envy-pw")
        srv.start()
        self.assertIn(env_db, srv.stderr() + srv.stdout())
        resp = requests.get(srv.url(PING), auth=HTTPDigestAuth("envy", "envy-pw"),
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.json(), {"ping": "ok"})
        srv.stop()
        self.assertFalse(os.path.exists(os.path.join(self.dir, "callsight.db")),
                         "the default database was created despite CALLSIGHT_DB")

    def test_flags_override_environment(self):
        flag_db = os.path.join(self.dir, "flag.db")
        env_db = os.path.join(self.dir, "env.db")
        srv = self.server(db=flag_db, env={"CALLSIGHT_LISTEN": "127.0.0.1:1",
                                           "CALLSIGHT_DB": env_db})
        srv.start()
        self.assertIn(flag_db, srv.stderr() + srv.stdout())
        srv.stop()
        self.assertTrue(os.path.exists(flag_db))
        self.assertFalse(os.path.exists(env_db))

    def test_data_survives_a_restart(self):
        add_partner(self.db, "keeper", "keeper-pw")
        auth = HTTPDigestAuth("keeper", "keeper-pw")
        srv = self.server().start()
        custnr = unique("persist")
        resp = requests.post(srv.url("/customers"), auth=auth,
                             data={"name": "Persistent AB", "custnr": custnr},
                             timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 200, resp.text)
        created = resp.json()["customers"][0]
        srv.stop()

        again = self.server().start()
        auth = HTTPDigestAuth("keeper", "keeper-pw")
        resp = requests.get(again.url("/customers/%s" % created["customer_id"]), auth=auth,
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json()["customers"][0], created)
        again.stop()

    def test_bad_listen_address_fails_at_startup(self):
        require_binary(SERVER_BIN)
        proc = subprocess.run([SERVER_BIN, "--listen", "not-an-address", "--db", self.db],
                              capture_output=True, text=True, timeout=10)
        self.assertNotEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main()
