"""What the SIP tests share: free ports, the Kamailio edge (scripts/kamailio-run) and sipp
as caller and as PSTN gateway.

Topology: sipp UAC (caller) -> Kamailio edge -> sipp UAS (the "PSTN gateway"), Kamailio
asking a switch over HTTP where each call goes. All traffic stays on 127.0.0.1; every port
is picked free at start. Set KEEP_SIP_TMP=1 to keep the logs.
"""
import collections
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import requests
from requests.auth import HTTPDigestAuth

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KAMAILIO_RUN = os.path.join(ROOT, "scripts", "kamailio-run")
RTPENGINE_RUN = os.path.join(ROOT, "scripts", "rtpengine-run")
VOICEMAIL_RUN = os.path.join(ROOT, "scripts", "voicemail-run")
RING_TIMEOUT_MS = 4000
CALLER = "+46701111111"


def free_port(kind=socket.SOCK_DGRAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bound_udp_ports():
    """The local ports of IPv4 UDP sockets bound on this host (/proc/net/udp)."""
    with open("/proc/net/udp") as table:
        next(table)
        return {int(line.split()[1].rsplit(":", 1)[1], 16) for line in table}


def wait_for_udp_listener(process, port, output, timeout=15.0):
    """Returns once `process` (a sipp UAS) has bound UDP `port`. A call placed before that
    would go unanswered (the edge's forward ends in 408), and on a loaded machine sipp takes
    well over the fixed 0.3 s this once slept. Raises, with what sipp printed (`output`, its
    stdout and stderr), if it exits first (e.g. the port is taken) or takes past `timeout`."""
    deadline = time.monotonic() + timeout
    while port not in bound_udp_ports():
        if process.poll() is not None or time.monotonic() > deadline:
            output.seek(0)
            state = ("exited with %s" % process.returncode if process.poll() is not None
                     else "had not bound it after %.0f s" % timeout)
            raise RuntimeError(f"sipp gateway on UDP port {port} {state}:\n{output.read()}")
        time.sleep(0.02)


def missing_tools(*more):
    return [t for t in ("kamailio", "sipp", *more) if shutil.which(t) is None]


# sox output options for sox_tone: raw G.711 u-law at 8 kHz (what sipp's rtp_stream sends: sipp
# 3.6 reads no WAV header), and 16-bit PCM at 8 kHz (a WAV greeting or prompt).
ULAW = ("-r", "8000", "-c", "1", "-t", "ul")
PCM_8K = ("-r", "8000", "-c", "1", "-b", "16")


def sox_tone(path, hertz, seconds, *fmt):
    """Writes a sine tone of `hertz` lasting `seconds` to `path`, in the format the sox output
    options `fmt` give (e.g. ULAW or PCM_8K; none: sox's default for the file's extension)."""
    subprocess.run(["sox", "-n", *fmt, path, "synth", str(seconds), "sine", str(hertz)],
                   check=True, timeout=30)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.strip() for line in f if line.strip()]


def read_json_lines(path):
    return [json.loads(line) for line in read_lines(path)]


def settled(cdr):
    """A call record (/statistics/cdrs) whose switch events are all in: a final status, and
    an end for answered calls."""
    return cdr["status"] != "in_progress" and (cdr["answered"] != "1" or cdr["end"] is not None)


def restartable_server(workdir, secret, *extra_args, db=None):
    """A callsightd (tests/blackbox/harness.Server, which the caller has on sys.path) on
    fixed free ports, so one started again after kill() is where the edge knows it; on its
    own SQLite file, or on `db` (a PostgreSQL URL other nodes share)."""
    from harness import Server
    server = Server(workdir=workdir, db=db, use_flags=False, switch_secret=secret)
    server.extra_args = [
        "--listen", "127.0.0.1:%d" % free_port(socket.SOCK_STREAM),
        "--switch-listen", "127.0.0.1:%d" % free_port(socket.SOCK_STREAM), "--db", server.db,
        "--rate-limit", "0", *extra_args]
    return server


def terminate_pidfile(pidfile):
    """SIGTERM to the process a *-run script's --background wrote to `pidfile`, if any."""
    if not os.path.exists(pidfile):
        return
    with open(pidfile) as f:
        pid = int(f.read().strip())
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass


class RtpEngine:
    """scripts/rtpengine-run --background on free ports; its recordings under
    workdir/rtpengine/recordings (what callsightd's --recordings-spool reads)."""

    def __init__(self, workdir, media_ports=20):
        """media_ports: how many UDP ports it relays on, four per call (RTP and RTCP of each
        leg); a call beyond them goes through unrecorded."""
        self.dir = os.path.join(workdir, "rtpengine")
        self.recording_dir = os.path.join(self.dir, "recordings")
        self.ng_port = free_port()
        self.media_ports = media_ports
        # A block below sipp's RTP ports and the ephemeral range, chosen per process.
        self.first_media_port = 20000 + (os.getpid() * media_ports) % (10000 - media_ports)

    @property
    def control(self):
        return f"udp:127.0.0.1:{self.ng_port}"

    def start(self):
        started = subprocess.run(
            [RTPENGINE_RUN, "--dir", self.dir, "--background",
             "--listen-ng", f"127.0.0.1:{self.ng_port}",
             "--listen-cli", f"127.0.0.1:{free_port(socket.SOCK_STREAM)}",
             "--ports",
             f"{self.first_media_port}-{self.first_media_port + self.media_ports - 1}"],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        if started.returncode != 0:
            raise RuntimeError("rtpengine-run failed:\n" + started.stdout + started.stderr)

    def stop(self):
        terminate_pidfile(os.path.join(self.dir, "rtpengine.pid"))


def free_port_pair():
    """A port free for UDP and TCP whose next one is free for TCP too: baresip takes its SIP
    port for UDP and TCP and the next one for TLS."""
    while True:
        port = free_port()
        try:
            for p, kind in ((port, socket.SOCK_STREAM), (port + 1, socket.SOCK_STREAM)):
                with socket.socket(socket.AF_INET, kind) as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue


class VoicemailPlatform:
    """scripts/voicemail-run --background (baresip) on `sip_port` (an edge's vm_port): answers
    sip:voicemail@127.0.0.1:<sip_port>, plays `greeting` and ends a call `max_seconds` after
    it."""

    def __init__(self, workdir, sip_port, greeting, max_seconds):
        self.dir = os.path.join(workdir, "voicemail")
        self.sip_port = sip_port
        self.greeting = greeting
        self.max_seconds = max_seconds
        # Below RtpEngine's block (20000-29999) and the ephemeral ports free_port() gets.
        self.first_media_port = 10000 + (os.getpid() % 499) * 20

    def start(self):
        started = subprocess.run(
            [VOICEMAIL_RUN, "--dir", self.dir, "--background",
             "--listen", f"127.0.0.1:{self.sip_port}",
             "--ctrl", f"127.0.0.1:{free_port(socket.SOCK_STREAM)}",
             "--rtp-ports", f"{self.first_media_port}-{self.first_media_port + 19}",
             "--greeting", self.greeting, "--max-seconds", str(self.max_seconds)],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        if started.returncode != 0:
            raise RuntimeError("voicemail-run failed:\n" + started.stdout + started.stderr)

    def stop(self):
        terminate_pidfile(os.path.join(self.dir, "voicemail.pid"))


class KamailioEdge:
    """scripts/kamailio-run --background on free ports; state and log under workdir."""

    def __init__(self, workdir, switch_url, secret, ring_timeout_ms=RING_TIMEOUT_MS,
                 voicemail=False, config=None, name="kamailio", rtpengine=None,
                 prompts_dir=None):
        self.dir = os.path.join(workdir, name)
        self.switch_url = switch_url
        self.secret = secret
        self.ring_timeout_ms = ring_timeout_ms
        self.config = config  # None: deploy/kamailio/kamailio.cfg
        self.rtpengine = rtpengine  # an RtpEngine recorded calls' media goes through
        self.prompts_dir = prompts_dir  # None: deploy/prompts
        self.sip_port = free_port()
        self.gw_port = free_port()
        # With voicemail, calls for voicemail go to sip:voicemail@127.0.0.1:<vm_port> (free
        # for baresip too: VoicemailPlatform).
        self.vm_port = free_port_pair() if voicemail else None

    def start(self):
        env = dict(os.environ, CALLSIGHT_SWITCH_SECRET=self.secret)
        started = subprocess.run(
            [KAMAILIO_RUN, "--dir", self.dir, "--background",
             "--switch-url", self.switch_url, "--port", str(self.sip_port),
             "--gateway", f"127.0.0.1:{self.gw_port}",
             "--ring-timeout", str(self.ring_timeout_ms),
             *(["--voicemail-uri", f"sip:voicemail@127.0.0.1:{self.vm_port}"]
               if self.vm_port else []),
             *(["--config", self.config] if self.config else []),
             *(["--rtpengine", self.rtpengine.control] if self.rtpengine else []),
             *(["--prompts-dir", self.prompts_dir] if self.prompts_dir else [])],
            env=env, capture_output=True, text=True, timeout=30,
            stdin=subprocess.DEVNULL)
        if started.returncode != 0:
            raise RuntimeError("kamailio-run failed:\n" + started.stdout + started.stderr)

    @property
    def log_path(self):
        return os.path.join(self.dir, "kamailio.log")

    def pid(self):
        """The main process's pid (its children are Kamailio's workers), or None."""
        pidfile = os.path.join(self.dir, "kamailio.pid")
        if not os.path.exists(pidfile):
            return None
        with open(pidfile) as f:
            return int(f.read().strip())

    def stop(self):
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, 15)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass


class SipCallsMixin:
    """For unittest.TestCase classes: make_sip_tmp() and start_edge() in setUpClass (they
    register their own class cleanups), then start_gateway() and dial() / dial_burst()."""

    @classmethod
    def make_sip_tmp(cls):
        cls.tmp = tempfile.mkdtemp(prefix="callsight-sip-")
        cls.addClassCleanup(cls._remove_tmp)

    @classmethod
    def start_edge(cls, switch_url, secret, ring_timeout_ms=RING_TIMEOUT_MS, voicemail=False,
                   rtpengine=None, prompts_dir=None):
        cls.edge = KamailioEdge(cls.tmp, switch_url, secret, ring_timeout_ms, voicemail,
                                rtpengine=rtpengine, prompts_dir=prompts_dir)
        cls.addClassCleanup(cls.edge.stop)
        cls.edge.start()

    @classmethod
    def _remove_tmp(cls):
        if os.environ.get("KEEP_SIP_TMP"):
            print(f"\nkept {cls.tmp}")
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def start_gateway(self, scenario, extra_args=(), port=None):
        """Starts a sipp UAS as the PSTN gateway, or on `port` (e.g. the edge's vm_port, as
        the voicemail platform) (extra_args: more sipp options, e.g. -d for scenarios with a
        <pause/>); returns the path of its <log> file."""
        name = f"gw-{uuid.uuid4().hex[:6]}"
        log = os.path.join(self.tmp, f"{name}.log")
        port = port or self.edge.gw_port
        with open(os.path.join(self.tmp, f"{name}.out"), "w+") as output:
            gw = subprocess.Popen(
                ["sipp", "-sf", os.path.join(HERE, scenario), "-i", "127.0.0.1",
                 "-p", str(port), "-trace_logs", "-log_file", log, "-nostdin",
                 "-timeout", "60", *extra_args],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, cwd=self.tmp)

            def stop():
                gw.terminate()
                gw.wait(timeout=10)
            self.addCleanup(stop)
            wait_for_udp_listener(gw, port, output)
        return log

    def dial(self, dialled, scenario="uac.xml", duration_ms=1000, caller=CALLER, extra_args=()):
        """Places one call (extra_args: more sipp options); returns (call_id, sipp exit code,
        <log> lines, seconds taken)."""
        call_id = f"t{uuid.uuid4().hex[:12]}@127.0.0.1"
        log = os.path.join(self.tmp, f"uac-{call_id}.log")
        done, took = self._run_uac(scenario, log,
                                   ["-s", dialled, "-key", "caller", caller, "-cid_str", call_id,
                                    "-d", str(duration_ms), "-m", "1", *extra_args],
                                   timeout_s=25)
        return call_id, done.returncode, read_lines(log), took

    def dial_burst(self, dialled, calls, rate, duration_ms, caller=CALLER, edge=None):
        """Places `calls` calls at `rate` calls/s (through `edge`, default self.edge); returns
        (sipp exit code, <log> lines, seconds taken, sipp's stdout and stderr)."""
        log = os.path.join(self.tmp, f"burst-{uuid.uuid4().hex[:6]}.log")
        done, took = self._run_uac("uac.xml", log,
                                   ["-s", dialled, "-key", "caller", caller,
                                    "-d", str(duration_ms), "-m", str(calls), "-r", str(rate),
                                    "-l", str(calls)],
                                   timeout_s=60, edge=edge)
        return done.returncode, read_lines(log), took, done.stdout + done.stderr

    def dial_scripted(self, scenario, injection, calls, rate, edge=None):
        """Places `calls` calls at `rate` calls/s through `edge` (default: the class's), each
        from its line of the sipp injection file (-inf: what to dial, and how, is the
        scenario's business); returns (sipp exit code, <log> lines, seconds taken, sipp's
        stdout and stderr)."""
        log = os.path.join(self.tmp, f"scripted-{uuid.uuid4().hex[:6]}.log")
        done, took = self._run_uac(scenario, log,
                                   ["-inf", injection, "-m", str(calls), "-r", str(rate),
                                    "-l", str(calls)],
                                   timeout_s=int(calls / rate) + 60, edge=edge)
        return done.returncode, read_lines(log), took, done.stdout + done.stderr

    def partner_api(self, method, path, node=None, user="alice", password="alice-pw",
                    **kwargs):
        """A partner API request to `node` (default self.server) as `user`, Digest auth;
        asserts it succeeded and returns its JSON."""
        with requests.Session() as session:
            session.auth = HTTPDigestAuth(user, password)
            resp = session.request(method, (node or self.server).url(path), timeout=30,
                                   **kwargs)
        self.assertLess(resp.status_code, 300, resp.text)
        return resp.json()

    def assert_call_webhooks(self, receiver, records, timeout=60.0):
        """Every record's call.started and call.completed reach `receiver` within `timeout`,
        each under one event id (a repeated delivery carries the same id)."""
        expected = {(c["cdr_id"], t) for c in records for t in ("call.started", "call.completed")}
        deadline = time.monotonic() + timeout
        while True:
            seen = collections.defaultdict(set)
            for event_id, copies in receiver.accepted().items():
                for _, _, body in copies:
                    event = json.loads(body)
                    seen[(event["data"]["cdr_id"], event["type"])].add(event_id)
            if expected <= set(seen) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(expected - set(seen), set())
        self.assertEqual([k for k, ids in seen.items() if len(ids) > 1], [])

    def wait_for_edge_routes(self, edge=None):
        """When a callsightd answers at the edge's switch URL: waits until the edge's copy of
        the routes holds what that node knew when this was called, so a change just made
        through the API decides the next call, as it would a second later in production (the
        edge routes from its copy first; docs/kamailio.md, "Routes at the edge")."""
        edge = edge or self.edge
        since = time.time()
        name = re.escape(f"127.0.0.1:{edge.sip_port}")
        confirmed = re.compile(
            r'callsight_edge_routes_confirmed_timestamp_seconds\{edge="%s"\} (\S+)\n' % name)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(edge.switch_url + "/metrics", timeout=5) as resp:
                    found = confirmed.search(resp.read().decode())
            except OSError:
                return  # no callsightd there (away, or a fake switch): nothing to wait for
            if found and float(found.group(1)) >= since:
                return
            time.sleep(0.05)
        raise AssertionError("the edge's copy of the routes did not catch up within 10 s")

    def _run_uac(self, scenario, log, extra, timeout_s, edge=None):
        self.wait_for_edge_routes(edge)
        start = time.monotonic()
        done = subprocess.run(
            ["sipp", f"127.0.0.1:{(edge or self.edge).sip_port}",
             "-sf", os.path.join(HERE, scenario), "-i", "127.0.0.1",
             "-p", str(free_port()), *extra, "-nostdin",
             "-trace_logs", "-log_file", log, "-timeout", str(timeout_s), "-timeout_error"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s + 15,
            cwd=self.tmp)
        return done, time.monotonic() - start
