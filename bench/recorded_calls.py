#!/usr/bin/env python3
"""Recorded calls per second, and CPU per recorded minute, through the whole media path.

Starts a throw-away callsightd (--recordings-dir, --recordings-spool), rtpengine
(scripts/rtpengine-run), the project's Kamailio edge with --rtpengine, and a sipp gateway
that answers with a 880 Hz tone (tests/sip/uas_answer_rtp.xml). For each offered rate a sipp
caller (tests/sip/uac_rtp.xml) places calls to a source whose campaign records, each sending
a 440 Hz tone for --talk-seconds. Then it waits for every call's recording and prints, per
rate: calls answered, recordings stored, recordings whose length is off the talk time by more
than 0.5 s, the pick-up lag (call end to recording listed) p50/p99, and the CPU each part used
per recorded minute: rtpengine (relaying and writing the pcap), callsightd with its lame
children (decoding, mixing, encoding) and Kamailio. The first rate whose calls do not all come
back as correct recordings is the ceiling. --smoke: 10 calls at 2/s, exit 1 on any fault.
See bench/README.md.
"""
import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time

import requests
from requests.auth import HTTPDigestAuth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "blackbox"),
                os.path.join(HERE, "..", "tests", "sip")]
import harness  # noqa: E402
import sip_harness  # noqa: E402
from benchlib import machine  # noqa: E402
from sip_calls import Bench, percentile, tree_cpu_seconds  # noqa: E402

SECRET = "bench-rec-secret"
SKIPPED = 77
TOOLS = ("rtpengine", "sox", "lame")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rates", default="2,5,10", help="offered calls/s, comma-separated")
    p.add_argument("--calls", default="20,50,100", help="calls per rate, comma-separated")
    p.add_argument("--talk-seconds", type=float, default=5.0, help="answered time per call")
    p.add_argument("--smoke", action="store_true", help="10 calls at 2/s; exit 1 on a fault")
    args = p.parse_args()
    if args.smoke:
        args.rates, args.calls, args.talk_seconds = "2", "10", 3.0
    args.rates = [int(r) for r in args.rates.split(",")]
    args.calls = [int(c) for c in args.calls.split(",")]
    if len(args.rates) != len(args.calls):
        p.error("--rates and --calls need as many entries")
    return args


class Partner:
    def __init__(self, server):
        self.server = server
        self.session = requests.Session()
        self.session.auth = HTTPDigestAuth("bench", "bench-pw")

    def post(self, path, **fields):
        resp = self.session.post(self.server.url(path), data=fields, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def get(self, path, **params):
        resp = self.session.get(self.server.url(path), params=params, timeout=60)
        resp.raise_for_status()
        return resp.json()

    def recorded_source(self, index):
        customer = self.post("/customers", name="bench", custnr=harness.unique("r"))
        cid = customer["customers"][0]["customer_id"]
        campaign = self.post("/customers/campaigns", customer_id=cid, name="rec",
                             pricing_model_id="p", call_recording="1")
        number = "+4685301%04d" % index
        self.server.cli("numbers", "add", number, check=True)
        self.post("/sources", customer_id=cid, name="rec", destnr=number, phonenr="0890510",
                  campaign_id=campaign["campaigns"][0]["campaign_id"])
        return cid, number

    def cdrs(self, customer_id):
        return self.get("/statistics/cdrs", customer_id=customer_id, extended="1",
                        pagesize="1000")["cdrs"]

    def recording(self, recording_id):
        return self.get("/recordings", recording_id=recording_id)["recordings"][0]


def utc(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def run_rate(bench, partner, server, rtpengine, index, rate, calls, talk_s):
    cid, number = partner.recorded_source(index)
    cpu_before = {name: tree_cpu_seconds(pid) for name, pid in pids(server, rtpengine, bench)}
    rtp = ["-mi", "127.0.0.1", "-mp", "40000"]
    log = os.path.join(bench.tmp, "uac-%d.log" % rate)
    started = time.monotonic()
    subprocess.run(["sipp", "127.0.0.1:%d" % bench.edge.sip_port, "-sf",
                    os.path.join(sip_harness.HERE, "uac_rtp.xml"), "-i", "127.0.0.1",
                    "-p", str(sip_harness.free_port()), "-s", number, "-key", "caller",
                    sip_harness.CALLER, "-d", str(int(talk_s * 1000)), "-m", str(calls),
                    "-r", str(rate), "-l", str(calls), "-nostdin", "-trace_logs", "-log_file",
                    log, "-timeout", str(int(calls / rate + talk_s + 60)), *rtp],
                   cwd=bench.tmp, capture_output=True, timeout=calls / rate + talk_s + 120)
    answered = sum(1 for line in sip_harness.read_lines(log) if line == "BYE 200")
    deadline = time.monotonic() + 60 + calls * 0.2
    while True:
        cdrs = partner.cdrs(cid)
        done = [c for c in cdrs if c["recording_id"]]
        if len(done) >= answered or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    took = time.monotonic() - started
    cpu = {name: tree_cpu_seconds(pid) - cpu_before[name]
           for name, pid in pids(server, rtpengine, bench)}
    lags, off = [], 0
    for cdr in done:
        recording = partner.recording(cdr["recording_id"])
        if abs(int(recording["duration_ms"]) / 1000 - talk_s) > 0.5:
            off += 1
        lags.append(utc(recording["created"]) - utc(cdr["end"]))
    minutes = len(done) * talk_s / 60 or 1
    return {"rate": rate, "calls": calls, "answered": answered, "recorded": len(done),
            "off": off, "lag_p50": percentile(lags, 50) if lags else 0,
            "lag_p99": percentile(lags, 99) if lags else 0, "seconds": took,
            "cpu_ms_per_min": {k: v * 1000 / minutes for k, v in cpu.items()}}


def pids(server, rtpengine, bench):
    with open(os.path.join(rtpengine.dir, "rtpengine.pid")) as f:
        rtpengine_pid = int(f.read())
    return [("callsightd+lame", server.proc.pid), ("rtpengine", rtpengine_pid),
            ("kamailio", bench.edge.pid())]


def faults(r):
    return (r["answered"] - r["recorded"]) + r["off"] + (r["calls"] - r["answered"])


def main():
    args = parse_args()
    if sip_harness.missing_tools(*TOOLS):
        print("recorded_calls.py: needs kamailio, sipp, rtpengine, sox and lame "
              "(scripts/install-sip-deps)", file=sys.stderr)
        return SKIPPED
    bench = Bench()
    Bench.make_sip_tmp()
    rtpengine = sip_harness.RtpEngine(bench.tmp, media_ports=4000)
    Bench.addClassCleanup(rtpengine.stop)
    rtpengine.start()
    for name, hertz in (("caller.ulaw", 440), ("callee.ulaw", 880)):
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul",
                        os.path.join(bench.tmp, name), "synth", "2", "sine", str(hertz)],
                       check=True)
    server = harness.Server(switch_secret=SECRET, extra_args=(
        "--recordings-dir", os.path.join(bench.tmp, "recordings"),
        "--recordings-spool", rtpengine.recording_dir))
    server.add_partner("bench", "bench-pw")
    server.start()
    results = []
    try:
        Bench.start_edge("http://127.0.0.1:%d" % server.switch_port, SECRET, rtpengine=rtpengine)
        bench.start_gateway("uas_answer_rtp.xml", ["-timeout", "0", "-mi", "127.0.0.1",
                                                   "-mp", "50000"])
        partner = Partner(server)
        for index, (rate, calls) in enumerate(zip(args.rates, args.calls)):
            results.append(run_rate(bench, partner, server, rtpengine, index, rate, calls,
                                    args.talk_seconds))
            print("  %d/s done: %d of %d recorded" % (rate, results[-1]["recorded"], calls),
                  file=sys.stderr, flush=True)
    finally:
        for fn in reversed(Bench.cleanups):
            fn()
        server.cleanup()
    print("Recorded calls through Kamailio + rtpengine + callsightd (%s), %.0f s each"
          % (machine(), args.talk_seconds))
    print("| calls/s | calls | answered | recorded | length off | pick-up lag p50 / p99 s |"
          " CPU ms per recorded minute: callsightd+lame / rtpengine / Kamailio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        cpu = r["cpu_ms_per_min"]
        print("| %d | %d | %d | %d | %d | %.1f / %.1f | %.0f / %.0f / %.0f |" % (
            r["rate"], r["calls"], r["answered"], r["recorded"], r["off"], r["lag_p50"],
            r["lag_p99"], cpu["callsightd+lame"], cpu["rtpengine"], cpu["kamailio"]))
    return 1 if args.smoke and any(faults(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
