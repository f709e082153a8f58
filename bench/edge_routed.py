#!/usr/bin/env python3
"""callsightd's CPU per call for calls an edge routed from its copy of the routes: POST
/switch/events/batch with `routed` events as an edge's spool delivers them, PER_BATCH per
delivery, one delivery at a time, each call to the one tracking number with its own caller.

usage: bench/edge_routed.py BIN_DIR PER_BATCH BATCHES   (e.g. build/bin 50 300)
Set CALLSIGHT_BENCH_PORTS (e.g. 32000-32999) to keep callsightd's ports in a range."""
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (ANSWERING, SWITCH_SECRET, TRACKING_NUMBER, USERNAME, Node, basic_header,  # noqa: E402
                      cpu_seconds, run, seed)
bin_dir, per_batch, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
work = tempfile.mkdtemp(prefix="edge-routed-")
args = types.SimpleNamespace(bin_dir=bin_dir, server_threads=0, server_cpus="1")
db = os.path.join(work, "e.db"); cli = os.path.join(bin_dir, "callsight")
run([cli, "--db", db, "partner", "add", "--name", "B", "--username", USERNAME, "--password",
     "pw-edge-bench-1", "--allow-ip", "127.0.0.1/32", "--country", "SE", "--timezone",
     "Europe/Stockholm"])
run([cli, "--db", db, "numbers", "add", TRACKING_NUMBER])
node = Node(args, db, work, "cs", switch=True).start()
try:
    seed(node, basic_header("pw-edge-bench-1"), 20)
    conn = http.client.HTTPConnection("127.0.0.1", node.switch_port, timeout=30)
    headers = {"Content-Type": "application/json", "X-Callsight-Switch-Secret": SWITCH_SECRET}
    now = int(time.time())
    def post(b):
        events = [{"call_id": "edge-%d-%d" % (b, i), "event": "routed", "dialled": TRACKING_NUMBER,
                   "caller": "+4670%07d" % (b * per_batch + i), "at": now, "action": "forward",
                   "destination": ANSWERING, "record": "0", "voicemail_on_busy": "0",
                   "voicemail_on_no_answer": "0"} for i in range(per_batch)]
        body = json.dumps({"edge": "e1", "depth": 0, "events": events})
        conn.request("POST", "/switch/events/batch", body=body, headers=headers)
        r = conn.getresponse(); data = r.read()
        assert r.status == 200, data
    post(0)
    c0 = cpu_seconds(node.proc.pid); t0 = time.monotonic()
    for b in range(1, batches + 1):
        post(b)
    c1 = cpu_seconds(node.proc.pid); t1 = time.monotonic()
    calls = batches * per_batch
    print("routed calls %d in %.1f s: %.3f CPU ms per call (%d per delivery)"
          % (calls, t1 - t0, 1000 * (c1 - c0) / calls, per_batch))
finally:
    node.stop()
    shutil.rmtree(work, ignore_errors=True)
