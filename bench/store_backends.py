#!/usr/bin/env python3
"""Runs the same partner-API workload against SQLite (one node), PostgreSQL (one node) and
PostgreSQL (two nodes on one database) with wrk, and prints one table. See bench/README.md.

Set-up per backend: a fresh database, a partner created with the `callsight` CLI, a customer
and a source, and a few thousand CDRs played through the switch API (route, answered,
hangup). PostgreSQL is a throw-away cluster (scripts/pg-test-cluster) under a temp dir,
stopped at the end. Every wrk run must end with 0 non-2xx answers and 0 socket errors, or
the command fails.
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import (HERE, PG_CLUSTER, REPO, USERNAME, TRACKING_NUMBER, BenchError, Node,
                      basic_header, die_with_parent, pg_database, request, run, seed)

LUA = os.path.join(HERE, "store_api.lua")
RESULT_RE = re.compile(r"STORE_BENCH (.*)")


def parse_args():
    parser = argparse.ArgumentParser(
        description="Partner-API throughput on SQLite, PostgreSQL and two PostgreSQL nodes.")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=16,
                        help="keep-alive connections per run, split evenly between nodes (16)")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads per wrk process (1); one wrk process per node")
    parser.add_argument("--server-threads", type=int, default=1,
                        help="callsightd --threads of every node (1)")
    parser.add_argument("--db-pool", type=int, default=4,
                        help="callsightd --db-pool of every PostgreSQL node (4)")
    parser.add_argument("--cdrs", type=int, default=3000,
                        help="calls played through the switch API before the runs (3000)")
    parser.add_argument("--backends", default="sqlite,pg1,pg2",
                        help="which of sqlite,pg1,pg2 to run (all)")
    parser.add_argument("--bin-dir",
                        default=os.environ.get("CALLSIGHT_BIN_DIR",
                                               os.path.join(REPO, "build", "bin")),
                        help="directory of callsightd and callsight "
                             "(env CALLSIGHT_BIN_DIR, default build/bin)")
    args = parser.parse_args()
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "pg1", "pg2"}
    if unknown:
        parser.error("unknown backend(s): " + ", ".join(sorted(unknown)))
    nodes = max(node_count(b) for b in args.backends)
    if args.connections < nodes * args.threads:
        parser.error("--connections must be at least threads x nodes (wrk needs a connection "
                     "per thread)")
    if args.duration > 50:
        # Nodes are restarted before every run so the 60 s Basic login cache cannot expire
        # during one; a longer run would see PBKDF2 verifications mid-run.
        parser.error("--duration must be at most 50 s (the Basic login cache lives 60 s)")
    return args


def node_count(backend):
    return 2 if backend == "pg2" else 1


# -- one backend -----------------------------------------------------------------------------

class Backend:
    def __init__(self, args, label, db, workdir):
        self.args = args
        self.label = label
        self.db = db
        self.workdir = workdir
        self.password = secrets.token_urlsafe(12)
        self.auth = basic_header(self.password)

    def prepare(self, nodes):
        cli = os.path.join(self.args.bin_dir, "callsight")
        run([cli, "--db", self.db, "partner", "add", "--name", "Bench", "--username", USERNAME,
             "--password", self.password, "--allow-ip", "127.0.0.1/32,::1/128",
             "--country", "SE", "--timezone", "Europe/Stockholm"])
        run([cli, "--db", self.db, "numbers", "add", TRACKING_NUMBER])
        self.nodes = [Node(self.args, self.db, self.workdir, "%s-node%d" % (self.label, i + 1),
                           switch=(i == 0)) for i in range(nodes)]
        started = time.monotonic()
        try:
            self.start_nodes()
            self.source_id = seed(self.nodes[0], self.auth, self.args.cdrs)
        finally:
            self.stop_nodes()
        print("  %s: seeded %d CDRs in %.1f s" % (self.label, self.args.cdrs,
                                                  time.monotonic() - started), flush=True)

    def start_nodes(self, probe=None):
        """Starts every node and sends it one request (`probe(node)`, by default a customer
        listing) that must answer 200: it pays the node's PBKDF2 verification of the Basic
        credentials, so no measured request does, and a broken set-up fails here."""
        for node in self.nodes:
            node.start()
            if probe:
                probe(node)
            else:
                request(node.port, "GET", "/customers?pagesize=1", self.auth)

    def stop_nodes(self):
        for node in self.nodes:
            node.stop()

    def run_workload(self, name, path, mode):
        """Fresh nodes, one wrk process per node with an even share of the connections."""
        def probe(node):
            if mode == "customers":
                custnr = "probe-%s-%s" % (node.name, secrets.token_hex(4))
                request(node.port, "POST", path, self.auth,
                        form={"name": "Probe", "custnr": custnr})
            else:
                request(node.port, "GET", path, self.auth)

        try:
            self.start_nodes(probe)
            share = self.args.connections // len(self.nodes)
            procs = []
            env = dict(os.environ, CALLSIGHT_BENCH_AUTH=self.auth)
            for i, node in enumerate(self.nodes):
                prefix = "n%d-%d" % (i + 1, int(time.time()) % 100000)
                cmd = ["wrk", "-t", str(self.args.threads), "-c", str(share),
                       "-d", "%ds" % self.args.duration, "-s", LUA,
                       "http://127.0.0.1:%d%s" % (node.port, path), "--", mode, prefix]
                procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                              stderr=subprocess.STDOUT, text=True, env=env,
                                              preexec_fn=die_with_parent))
            outputs = [p.communicate()[0] for p in procs]
        finally:
            self.stop_nodes()
        results = []
        for node, proc, out in zip(self.nodes, procs, outputs):
            match = RESULT_RE.search(out)
            if proc.returncode != 0 or not match:
                raise BenchError("wrk against %s failed (%s):\n%s" % (node.name, proc.returncode,
                                                                      out))
            results.append({k: float(v) for k, v in
                            (kv.split("=") for kv in match.group(1).split())})
        row = {
            "backend": self.label, "workload": name,
            "rps": sum(r["requests"] / r["seconds"] for r in results),
            "p50": max(r["p50_us"] for r in results) / 1000,
            "p99": max(r["p99_us"] for r in results) / 1000,
            "non_2xx": int(sum(r["non_2xx"] for r in results)),
            "socket_errors": int(sum(r["socket_errors"] for r in results)),
        }
        if row["non_2xx"] or row["socket_errors"]:
            raise BenchError("%s / %s: %d non-2xx answers and %d socket errors; node logs: %s"
                             % (self.label, name, row["non_2xx"], row["socket_errors"],
                                ", ".join(n.log_path for n in self.nodes)))
        return row


def workloads(source_id):
    return [
        ("GET /sources?source_id", "/sources?source_id=%s" % source_id, "get"),
        ("POST /customers", "/customers", "customers"),
        ("GET /statistics/cdrs?pagesize=100", "/statistics/cdrs?pagesize=100", "get"),
    ]


LABELS = {"sqlite": "SQLite, 1 node", "pg1": "PostgreSQL, 1 node", "pg2": "PostgreSQL, 2 nodes"}


def print_table(rows):
    header = ("backend / nodes", "workload", "requests/s", "p50 ms", "p99 ms", "non-2xx")
    print("| " + " | ".join(header) + " |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print("| %s | %s | %.0f | %.2f | %.2f | %d |" % (
            LABELS[r["backend"]], r["workload"], r["rps"], r["p50"], r["p99"], r["non_2xx"]))


def main():
    args = parse_args()
    for tool in ("wrk", "psql"):
        if not shutil.which(tool):
            raise BenchError("%s is missing (scripts/install-deps)" % tool)
    for binary in ("callsightd", "callsight"):
        if not os.access(os.path.join(args.bin_dir, binary), os.X_OK):
            raise BenchError("no %s in %s (build first, or --bin-dir)" % (binary, args.bin_dir))
    workdir = tempfile.mkdtemp(prefix="callsight-store-bench-")
    os.chmod(workdir, 0o711)  # the cluster runs as the postgres user, which must traverse it
    pg_dir = os.path.join(workdir, "pg")
    pg_started = False
    rows = []
    succeeded = False
    try:
        cluster_url = None
        if any(b.startswith("pg") for b in args.backends):
            cluster_url = run([PG_CLUSTER, "start", pg_dir]).splitlines()[-1]
            pg_started = True
        print("store_backends: %d s per run, %d connections, wrk %d thread(s) per node, "
              "callsightd --threads %d%s, %d CDRs; %d cores shared by wrk, callsightd and "
              "PostgreSQL" % (args.duration, args.connections, args.threads,
                              args.server_threads,
                              ", --db-pool %d" % args.db_pool if cluster_url else "",
                              args.cdrs, os.cpu_count()), flush=True)
        print("store_backends: auth is HTTP Basic; the server verifies it with PBKDF2 once "
              "per node and caches the login 60 s, so nodes are restarted and warmed with one "
              "request before every run", flush=True)
        for backend in args.backends:
            if backend == "sqlite":
                db = os.path.join(workdir, "bench.db")
            else:
                db = pg_database(cluster_url, "bench_" + backend)
            bench = Backend(args, backend, db, workdir)
            bench.prepare(node_count(backend))
            for name, path, mode in workloads(bench.source_id):
                row = bench.run_workload(name, path, mode)
                print("  %s / %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms" % (
                    backend, name, row["rps"], row["p50"], row["p99"]), flush=True)
                rows.append(row)
        print()
        print_table(rows)
        succeeded = True
    finally:
        if pg_started:
            subprocess.run([PG_CLUSTER, "stop", pg_dir], capture_output=True, timeout=120)
        if succeeded:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("store_backends: node logs kept in %s" % workdir, file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except BenchError as err:
        print("store_backends: FAILED: %s" % err, file=sys.stderr)
        sys.exit(1)
