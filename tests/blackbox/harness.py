"""Black-box harness: runs the real `callsightd` on a free port with a temporary SQLite
database, creates partners through the real `callsight` CLI, and gives tests HTTP helpers.

Binaries come from $CALLSIGHT_BIN_DIR (default /work/main/build/bin).
"""

import atexit
import ctypes
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid

import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

BIN_DIR = os.environ.get("CALLSIGHT_BIN_DIR", "/work/main/build/bin")
SERVER_BIN = os.path.join(BIN_DIR, "callsightd")
CLI_BIN = os.path.join(BIN_DIR, "callsight")

LISTEN_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 10.0

# Loopback only: the clients in these tests connect from 127.0.0.1.
LOCAL_CIDRS = "127.0.0.1/32,::1/128"

_LISTEN_RE = re.compile(r"callsightd listening on (https?)://(\S+):(\d+)")
_SWITCH_LISTEN_RE = re.compile(r"switch API listening on http://(\S+):(\d+)")
_live_processes = set()


def _kill_leftovers():
    for proc in list(_live_processes):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


atexit.register(_kill_leftovers)


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it if the test process dies (no orphans)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        pass


_unique_counter = itertools.count(1)


def testing_postgres():
    """CALLSIGHT_TEST_BACKEND=postgres runs the servers of these tests on PostgreSQL."""
    return os.environ.get("CALLSIGHT_TEST_BACKEND") == "postgres"


def _psql(url, sql):
    proc = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError("psql %r failed: %s" % (sql, proc.stderr.strip()))


def database_url(server, name):
    """The URL of database `name` on the server whose URL is `server`."""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(server)._replace(path="/" + name))


def create_pg_database():
    """A new database on the server CALLSIGHT_TEST_PG_URL names; returns its URL. It is a copy
    of the migrated database CALLSIGHT_TEST_PG_TEMPLATE names when set (ctest makes one per
    run with pg_template.py: a copy costs a fraction of the CLI migrating an empty database
    at its first `partner add`, some 2 s a server, more under the sanitizers), else empty."""
    server = os.environ.get("CALLSIGHT_TEST_PG_URL")
    if not server:
        raise AssertionError("CALLSIGHT_TEST_BACKEND=postgres needs CALLSIGHT_TEST_PG_URL "
                             "(scripts/pg-test-cluster)")
    name = "bb_" + uuid.uuid4().hex[:12]
    template = os.environ.get("CALLSIGHT_TEST_PG_TEMPLATE")
    _psql(server, "CREATE DATABASE " + name + (" TEMPLATE " + template if template else ""))
    return database_url(server, name)


def drop_pg_database(url):
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    # Under load a DROP can meet a session still going away, or wait past psql's timeout (its
    # checkpoint on a busy disk; seen once at -j1 beside a full build); a second try is fine.
    for attempt in range(3):
        try:
            _psql(os.environ["CALLSIGHT_TEST_PG_URL"],
                  "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
            return
        except (AssertionError, subprocess.TimeoutExpired):
            if attempt == 2:
                raise
            time.sleep(1)


def unique(prefix="x"):
    """A value no other test (or earlier run on a reused db) has used."""
    return "%s%d%s" % (prefix, next(_unique_counter), secrets.token_hex(3))


def require_binary(path):
    if not os.access(path, os.X_OK):
        raise AssertionError("binary not found or not executable: %s "
                             "(set CALLSIGHT_BIN_DIR to the build's bin directory)" % path)


def run_cli(db, *args, check=False, timeout=30):
    """Runs `callsight --db DB ARGS...`; returns the CompletedProcess (text mode)."""
    require_binary(CLI_BIN)
    proc = subprocess.run([CLI_BIN, "--db", db, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError("callsight %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                               proc.stderr))
    return proc


def add_partner(db, username, password, name=None, allow_ip=LOCAL_CIDRS, country="SE",
                timezone="Europe/Stockholm"):
    """Creates a partner through the CLI; returns its id (the CLI prints just the number)."""
    proc = run_cli(db, "partner", "add", "--name", name or ("Partner " + username),
                   "--username", username, "--password", password, "--allow-ip", allow_ip,
                   "--country", country, "--timezone", timezone, check=True)
    out = proc.stdout.strip()
    if not re.fullmatch(r"\d+", out):
        raise AssertionError("partner add printed %r, not an id" % proc.stdout)
    return int(out)


class Server:
    """One callsightd process on 127.0.0.1:<free port> with its own database.

    Use as a context manager, or start()/stop(). stop() sends SIGTERM and asserts exit 0;
    the process is killed whatever happens, so none outlives the test.
    """

    def __init__(self, workdir=None, db=None, demo=False, extra_args=(), env=None,
                 use_flags=True, switch_secret=None):
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="callsight-bb-")
        self._own_pg_db = db is None and testing_postgres()
        if self._own_pg_db:
            db = create_pg_database()
        self.db = db or os.path.join(self.workdir, "callsight.db")
        self.demo = demo
        self.extra_args = list(extra_args)
        self.env = env
        self.use_flags = use_flags
        # With a secret the switch API listens too, on its own free port (switch_port).
        self.switch_secret = switch_secret
        self.switch_port = None
        self.proc = None
        self.port = None
        self.host = None
        self.scheme = None  # "https" when started with --tls-cert
        self.returncode = None
        self._n = next(_unique_counter)
        self.stdout_path = os.path.join(self.workdir, "callsightd-%d.out" % self._n)
        self.stderr_path = os.path.join(self.workdir, "callsightd-%d.err" % self._n)

    # -- partners (through the CLI, so the CLI is exercised by every test class) --------
    def add_partner(self, username, password, **kwargs):
        return add_partner(self.db, username, password, **kwargs)

    def cli(self, *args, **kwargs):
        return run_cli(self.db, *args, **kwargs)

    # -- process ------------------------------------------------------------------------
    def start(self):
        require_binary(SERVER_BIN)
        args = [SERVER_BIN]
        if self.use_flags:
            args += ["--listen", "127.0.0.1:0", "--switch-listen", "127.0.0.1:0",
                     "--db", self.db]
            # A test client on loopback outruns any per-partner rate a real integration
            # would; the suites test resources, test_limits.py tests the limit itself.
            if "--rate-limit" not in self.extra_args:
                args += ["--rate-limit", "0"]
            if "--dni-ip-limit" not in self.extra_args:
                args += ["--dni-ip-limit", "0"]
        if self.demo:
            args.append("--demo")
        args += self.extra_args
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        if self.switch_secret is not None:
            env["CALLSIGHT_SWITCH_SECRET"] = self.switch_secret
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=env, cwd=self.workdir,
                                         preexec_fn=_die_with_parent)
        _live_processes.add(self.proc)
        try:
            self._wait_for_listen_line()
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_for_listen_line(self):
        deadline = time.monotonic() + LISTEN_TIMEOUT
        while time.monotonic() < deadline:
            # stderr is where the log belongs (test_server pins that); stdout is searched
            # too so one misplaced log line does not fail every other test.
            match = _LISTEN_RE.search(self.stderr()) or _LISTEN_RE.search(self.stdout())
            if match:
                self.scheme = match.group(1)
                self.host = match.group(2).strip("[]")
                self.port = int(match.group(3))
                switch = _SWITCH_LISTEN_RE.search(self.stderr())
                self.switch_port = int(switch.group(2)) if switch else None
                return
            if self.proc.poll() is not None:
                raise AssertionError("callsightd exited with %d before listening:\n%s"
                                     % (self.proc.returncode, self.stderr()))
            time.sleep(0.02)
        raise AssertionError("callsightd logged no 'listening on http(s)://HOST:PORT' within "
                             "%.0f s:\n%s" % (LISTEN_TIMEOUT, self.stderr()))

    @property
    def base_url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def url(self, path):
        return self.base_url + path

    def switch_url(self, path):
        if self.switch_port is None:
            raise AssertionError("the switch API is not listening (no switch_secret given?)")
        return "http://127.0.0.1:%d%s" % (self.switch_port, path)

    def stdout(self):
        return _read_text(self.stdout_path)

    def stderr(self):
        return _read_text(self.stderr_path)

    def terminate(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait; returns the exit code (kills and raises if it hangs)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("callsightd did not stop within %.0f s of SIGTERM:\n%s"
                                     % (timeout, self.stderr()))
        self.returncode = self.proc.returncode
        _live_processes.discard(self.proc)
        self.proc = None
        return self.returncode

    def stop(self):
        """Graceful stop that must end with exit code 0."""
        code = self.terminate()
        if code != 0:
            raise AssertionError("callsightd exited with %s after SIGTERM (want 0):\n%s"
                                 % (code, self.stderr()[-4000:]))

    def kill(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.returncode = self.proc.returncode
            _live_processes.discard(self.proc)
            self.proc = None

    def cleanup(self):
        self.kill()
        if self._own_pg_db:
            drop_pg_database(self.db)
            self._own_pg_db = False
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
        finally:
            self.kill()
        return False


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


# -- HTTP authentication by hand (for the raw Digest tests) -----------------------------

_TOKEN_RE = re.compile(
    r"""\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*,?""")


def parse_challenges(header_values):
    """WWW-Authenticate values (one or many, possibly comma-joined) -> [(scheme, {param})]."""
    challenges = []
    for value in header_values:
        pos = 0
        while pos < len(value):
            match = _TOKEN_RE.match(value, pos)
            if not match or match.end() == pos:
                break
            pos = match.end()
            name, raw = match.group(1), match.group(2)
            if raw is None:
                challenges.append((name, {}))
            elif challenges:
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                challenges[-1][1][name.lower()] = raw
    return challenges


def digest_challenge(challenges, algorithm):
    """The Digest challenge for `algorithm` ("MD5" also matches one without algorithm)."""
    for scheme, params in challenges:
        if scheme.lower() != "digest":
            continue
        alg = params.get("algorithm", "MD5")
        if alg.upper() == algorithm.upper():
            return params
    return None


def digest_authorization(challenge, method, uri, username, password, algorithm="SHA-256",
                         nc=1, cnonce=None):
    """An RFC 7616 Authorization header value (qop=auth) answering `challenge`."""
    hash_fn = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm.upper()]

    def h(text):
        return hash_fn(text.encode("utf-8")).hexdigest()

    realm = challenge["realm"]
    nonce = challenge["nonce"]
    cnonce = cnonce or secrets.token_hex(8)
    nc_text = "%08x" % nc
    ha1 = h("%s:%s:%s" % (username, realm, password))
    ha2 = h("%s:%s" % (method, uri))
    response = h("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc_text, cnonce, "auth", ha2))
    parts = [
        'username="%s"' % username, 'realm="%s"' % realm, 'nonce="%s"' % nonce,
        'uri="%s"' % uri, "algorithm=%s" % algorithm, 'response="%s"' % response,
        "qop=auth", "nc=%s" % nc_text, 'cnonce="%s"' % cnonce,
    ]
    if "opaque" in challenge:
        parts.append('opaque="%s"' % challenge["opaque"])
    return "Digest " + ", ".join(parts)


def raw_request(port, data, timeout=HTTP_TIMEOUT):
    """Sends raw bytes on a new connection; returns (status, headers, body) of one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        reader = sock.makefile("rb")
        return read_response(reader)


def read_response(reader):
    """Reads one HTTP/1.1 response (Content-Length or chunked) from a binary file object."""
    status_line = reader.readline()
    if not status_line:
        raise AssertionError("connection closed without a response")
    parts = status_line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers = []
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    hdr = dict(headers)
    body = b""
    if "content-length" in hdr:
        body = reader.read(int(hdr["content-length"]))
    elif hdr.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(reader.readline().split(b";")[0], 16)
            if size == 0:
                reader.readline()
                break
            body += reader.read(size)
            reader.readline()
    return status, headers, body


def form(*pairs, **fields):
    """An application/x-www-form-urlencoded body; pairs keep order and allow repeats."""
    return urllib.parse.urlencode(list(pairs) + list(fields.items()))


FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}

UUID7_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_MISSING = object()
# A change to a partner (password, allow-list, removal, settings) reaches every node within
# this long (the partner cache's lifetime is half of it; docs/security.md).
ACCESS_CHANGE_SECONDS = 1.0


class ServerTestCase(unittest.TestCase):
    """One server per test class. Subclasses list PARTNERS as
    {username: dict(password=..., country=..., timezone=..., allow_ip=...)}."""

    PARTNERS = {}
    DEMO = False
    SWITCH_SECRET = None  # set to serve the switch API too (server.switch_url)
    EXTRA_ARGS = ()  # more callsightd flags, e.g. ("--webhooks-allow-private",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(demo=cls.DEMO, switch_secret=cls.SWITCH_SECRET,
                            extra_args=cls.EXTRA_ARGS)
        cls.addClassCleanup(cls.server.cleanup)
        cls.partner_ids = {}
        cls.passwords = {}
        for username, spec in cls.PARTNERS.items():
            spec = dict(spec)
            password = spec.pop("password", "pw-" + username)
            cls.passwords[username] = password
            cls.partner_ids[username] = cls.server.add_partner(username, password, **spec)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()

    # -- clients ------------------------------------------------------------------------
    def session(self, user, password=None, digest=True):
        if password is None:
            password = self.passwords[user]
        s = requests.Session()
        s.auth = HTTPDigestAuth(user, password) if digest else HTTPBasicAuth(user, password)
        self.addCleanup(s.close)
        return s

    def url(self, path):
        return self.server.url(path)

    def call(self, s, method, path, params=None, data=None, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return s.request(method, self.url(path), params=params, data=data, **kwargs)

    def form(self, *pairs, **fields):
        return form(*pairs, **fields)

    def switch_post(self, path, body, secret=None):
        """POSTs JSON to the switch API with the class's secret (or the one given)."""
        headers = {"X-Callsight-Switch-Secret": self.SWITCH_SECRET if secret is None else secret}
        return requests.post(self.server.switch_url(path), json=body, headers=headers,
                             timeout=HTTP_TIMEOUT)

    def curl(self, *args):
        """Runs curl against the server; returns (status, body)."""
        proc = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        body, _, code = proc.stdout.rpartition("\n")
        return int(code), body

    # -- assertions ---------------------------------------------------------------------
    def json_of(self, resp):
        self.assertIn("application/json", resp.headers.get("Content-Type", ""),
                      "%s %s -> %d %r" % (resp.request.method, resp.request.url,
                                          resp.status_code, resp.text[:300]))
        try:
            return resp.json()
        except ValueError:
            self.fail("not JSON: %r" % resp.text[:500])

    def ok(self, resp, resource):
        """Asserts 200 and the {resource: [...]} envelope; returns the list."""
        self.assertEqual(resp.status_code, 200, "%s %s -> %d %s" % (
            resp.request.method, resp.request.url, resp.status_code, resp.text[:500]))
        body = self.json_of(resp)
        self.assertIsInstance(body, dict)
        self.assertIn(resource, body)
        self.assertIsInstance(body[resource], list)
        return body[resource]

    def one(self, resp, resource):
        items = self.ok(resp, resource)
        self.assertEqual(len(items), 1, items)
        return items[0]

    def assert_error(self, resp, status, code=None, field=_MISSING):
        """Asserts the status and an {"errors":[{code, field, message}]} body containing
        an error with this code (and field, when given: None means JSON null)."""
        self.assertEqual(resp.status_code, status, "%s %s -> %d %s" % (
            resp.request.method, resp.request.url, resp.status_code, resp.text[:500]))
        body = self.json_of(resp)
        self.assertIsInstance(body.get("errors"), list, body)
        self.assertTrue(body["errors"], body)
        for err in body["errors"]:
            self.assertEqual(set(err), {"code", "field", "message"}, err)
            self.assertIsInstance(err["message"], str)
        if code is not None:
            matching = [e for e in body["errors"] if e["code"] == code]
            self.assertTrue(matching, "no error with code %r in %s" % (code, body))
            if field is not _MISSING:
                self.assertIn(field, [e["field"] for e in matching], body)
        return body["errors"]

    def assert_scalars_are_strings(self, obj, nullable=()):
        for key, value in obj.items():
            if value is None:
                self.assertIn(key, nullable, "%s is null in %s" % (key, obj))
            else:
                self.assertIsInstance(value, str, "%s is not a string in %s" % (key, obj))

    def assert_ping_ok(self, resp):
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json(), {"ping": "ok"})

    def assert_unauthorized(self, resp):
        self.assertEqual(resp.status_code, 401, resp.text[:300])
        self.assertEqual(resp.content, b"")

    def assert_within_access_lag(self, request, check):
        """Sends request() until check(response) passes (an assertion helper), and fails unless
        that happened within ACCESS_CHANGE_SECONDS: nodes read partners' credentials and
        settings from memory for a short while (docs/security.md). Returns the response."""
        deadline = time.monotonic() + ACCESS_CHANGE_SECONDS
        while True:
            resp = request()
            try:
                check(resp)
                return resp
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(0.05)
