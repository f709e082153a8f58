"""Shared by the benchmark scripts in bench/: callsightd nodes on free ports, HTTP set-up
requests, seeding calls through the switch API, throw-away PostgreSQL databases."""

import base64
import concurrent.futures
import ctypes
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PG_CLUSTER = os.path.join(REPO, "scripts", "pg-test-cluster")

USERNAME = "bench"
SWITCH_SECRET = "bench-switch-" + secrets.token_hex(8)
LISTEN_RE = re.compile(r"callsightd listening on http://\S+:(\d+)")
SWITCH_LISTEN_RE = re.compile(r"switch API listening on http://\S+:(\d+)")
TRACKING_NUMBER = "+46850000100"
ANSWERING = "+46890510"
SEED_WORKERS = 8


class BenchError(Exception):
    pass


def listen_port():
    """The port a server of the bench listens on: 0 (the kernel's choice), or a free one of
    env CALLSIGHT_BENCH_PORTS ("32000-32999") on a machine whose users share out port ranges."""
    ports = os.environ.get("CALLSIGHT_BENCH_PORTS")
    if not ports:
        return 0
    first, last = (int(p) for p in ports.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            if port not in _given_ports:
                _given_ports.add(port)
                return port
    raise BenchError("no free port in CALLSIGHT_BENCH_PORTS=%s" % ports)


_given_ports = set()



def die_with_parent():
    """Runs in the child before exec: SIGKILL it if this script dies (no orphans)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def pinned(cmd, cpus):
    """cmd run on the CPU list `cpus` ("1", "0-1"), or unpinned when cpus is None."""
    return ["taskset", "-c", cpus] + cmd if cpus else cmd


class Node:
    """One callsightd process on free ports; the switch API only when asked."""

    def __init__(self, args, db, workdir, name, switch):
        self.args = args
        self.db = db
        self.workdir = workdir
        self.name = name
        self.switch = switch
        self.starts = 0
        self.log_path = None
        self.proc = None
        self.port = None
        self.switch_port = None

    def start(self):
        cmd = [os.path.join(self.args.bin_dir, "callsightd"), "--db", self.db,
               "--listen", "127.0.0.1:%d" % listen_port(), "--threads", str(self.args.server_threads),
               "--switch-listen", ("127.0.0.1:%d" % listen_port()) if self.switch else "off",
               # One partner at full speed is the point here, not what a partner may do;
               # and no access log, as nginx runs without one.
               "--rate-limit", "0", "--dni-ip-limit", "0", "--access-log", "off"]
        if getattr(self.args, "cpu_slots", None) is not None:
            cmd += ["--cpu-slots", str(self.args.cpu_slots)]
        if self.db.startswith("postgresql://"):
            cmd += ["--db-pool", str(self.args.db_pool)]
        cmd = pinned(cmd, getattr(self.args, "server_cpus", None))
        env = dict(os.environ, CALLSIGHT_SWITCH_SECRET=SWITCH_SECRET)
        self.starts += 1
        self.log_path = os.path.join(self.workdir, "%s-%d.log" % (self.name, self.starts))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         env=env, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            log = self.log()
            port = LISTEN_RE.search(log)
            switch_port = SWITCH_LISTEN_RE.search(log)
            if port and (switch_port or not self.switch):
                self.port = int(port.group(1))
                self.switch_port = int(switch_port.group(1)) if switch_port else None
                return self
            if self.proc.poll() is not None:
                raise BenchError("%s exited with %d before listening:\n%s"
                                 % (self.name, self.proc.returncode, log[-2000:]))
            time.sleep(0.02)
        self.stop()
        raise BenchError("%s did not log its listen address within 15 s" % self.name)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# -- HTTP set-up -----------------------------------------------------------------------------

def basic_header(password):
    token = base64.b64encode(("%s:%s" % (USERNAME, password)).encode()).decode()
    return "Basic " + token


def request(port, method, path, auth=None, form=None, body=None, headers=None, conn=None):
    """One HTTP request; returns the parsed JSON body, raising unless the answer is 200."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = auth
        if form is not None:
            body = urllib.parse.urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read().decode("utf-8", "replace")
        if resp.status != 200:
            raise BenchError("%s %s answered %d: %s" % (method, path, resp.status, data[:500]))
        return json.loads(data) if data else None
    finally:
        if own:
            conn.close()


def seed(node, auth, count):
    """A customer, a source and `count` answered calls; returns the source id."""
    customer = request(node.port, "POST", "/customers", auth,
                       form={"name": "Bench", "custnr": "bench-seed"})["customers"][0]
    source = request(node.port, "POST", "/sources", auth,
                     form={"customer_id": customer["customer_id"], "name": "web",
                           "phonenr": "0890510", "destnr": TRACKING_NUMBER})["sources"][0]
    started = int(time.time())
    headers = {"Content-Type": "application/json", "X-Callsight-Switch-Secret": SWITCH_SECRET}
    local = threading.local()

    def post(path, payload):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", node.switch_port, timeout=30)
        request(node.switch_port, "POST", path, body=json.dumps(payload), headers=headers,
                conn=local.conn)

    def play(i):
        call_id = "bench-seed-%d" % i
        post("/switch/route", {"call_id": call_id, "caller": "+4670%07d" % i,
                               "dialled": TRACKING_NUMBER})
        post("/switch/events", {"call_id": call_id, "event": "answered", "at": started + 1,
                                "sip_status": "200", "answering_number": ANSWERING})
        post("/switch/events", {"call_id": call_id, "event": "hangup", "at": started + 31,
                                "sip_status": "200", "hangup_by": "callee"})

    with concurrent.futures.ThreadPoolExecutor(SEED_WORKERS) as pool:
        list(pool.map(play, range(count)))
    listed = request(node.port, "GET", "/statistics/cdrs?pagesize=1", auth)
    total = int(listed["total"])
    if total < count:
        raise BenchError("seeded %d calls but /statistics/cdrs counts %d" % (count, total))
    return source["source_id"]



def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise BenchError("%s failed (%d): %s%s" % (" ".join(cmd[:4]), proc.returncode,
                                                   proc.stdout, proc.stderr))
    return proc.stdout.strip()


def pg_database(cluster_url, name):
    """Creates database `name` on the cluster; returns its URL."""
    run(["psql", cluster_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE " + name])
    parts = urllib.parse.urlsplit(cluster_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return "%d cores (nproc), %s; load average %.2f %.2f %.2f" % (os.cpu_count(), model, *load)


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cluster_cpu_seconds(pg_dir):
    """CPU time a scripts/pg-test-cluster cluster has used so far: its postmaster and every
    process it started that is still running (callsightd's pooled sessions stay open for a
    run, so their backends are counted whole)."""
    with open(os.path.join(pg_dir, "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    total = cpu_seconds(postmaster)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
    return total
