#!/usr/bin/env python3
"""SIP calls per second through the Kamailio edge, with call records complete.

Starts a throw-away callsightd (switch API on), the Kamailio edge and a sipp gateway that
answers every call, then for each offered rate places calls with a sipp caller and prints:
calls offered and answered, the rate sipp achieved, and how long after the last call the
partner API served one answered record per call. See bench/README.md.
"""
import argparse
import os
import re
import sys
import tempfile
import time

import requests
from requests.auth import HTTPDigestAuth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "blackbox"),
                os.path.join(HERE, "..", "tests", "sip")]
import harness  # noqa: E402
import sip_harness  # noqa: E402

SECRET = "bench-sip-secret"


class Bench(sip_harness.SipCallsMixin):
    """SipCallsMixin outside unittest: cleanups run at exit."""

    cleanups = []

    @classmethod
    def addClassCleanup(cls, fn):
        cls.cleanups.append(fn)

    def addCleanup(self, fn):
        self.cleanups.append(fn)


def answered_records(session, base_url, source_id):
    resp = session.get(base_url + "/statistics/cdrs",
                       params={"source_id": source_id, "pagesize": "1"}, timeout=30)
    resp.raise_for_status()
    total = int(resp.json()["total"])
    # Records not yet hung up say in_progress; count the finished ones page by page.
    done = 0
    for page in range((total + 999) // 1000):
        body = session.get(base_url + "/statistics/cdrs",
                           params={"source_id": source_id, "page": page}, timeout=30).json()
        done += sum(1 for c in body["cdrs"] if c["status"] == "answered" and c["end"])
    return total, done


def run_rate(bench, session, server, rate, seconds, talk_ms):
    customer = session.post(server.url("/customers"),
                            data={"name": "bench", "custnr": harness.unique("b")}).json()
    source = session.post(server.url("/sources"), data={
        "customer_id": customer["customers"][0]["customer_id"], "name": "bench",
        "phonenr": "0890510"}).json()["sources"][0]
    calls = rate * seconds
    rc, uac, took, out = bench.dial_burst(source["destnr"], calls, rate, talk_ms)
    answered = uac.count("FINAL 200")
    achieved = re.search(r"Call Rate .*\|\s*([0-9.]+) cps\s*$", out, re.MULTILINE)
    ended = time.monotonic()
    total = complete = 0
    while time.monotonic() - ended < 30:
        total, complete = answered_records(session, server.base_url, source["source_id"])
        if complete >= answered:
            break
        time.sleep(0.2)
    settle = time.monotonic() - ended
    return [rate, calls, answered, achieved.group(1) if achieved else "?", "%.1f" % took,
            "%d/%d" % (complete, total), "%.1f" % settle]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="25,50,100", help="offered calls/s, comma-separated")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of calls per rate")
    parser.add_argument("--talk-ms", type=int, default=1000, help="talk time of each call")
    args = parser.parse_args()
    if sip_harness.missing_tools():
        sys.exit("sip_calls.py: needs kamailio and sipp (scripts/install-sip-deps)")

    bench = Bench()
    Bench.tmp = tempfile.mkdtemp(prefix="callsight-bench-")
    server = harness.Server(switch_secret=SECRET)
    server.add_partner("bench", "bench-pw")
    numbers = "+46852000000-+46852000099"
    server.cli("numbers", "add", numbers, check=True)
    server.start()
    try:
        Bench.start_edge("http://127.0.0.1:%d" % server.switch_port, SECRET)
        bench.start_gateway("uas_answer.xml")
        session = requests.Session()
        session.auth = HTTPDigestAuth("bench", "bench-pw")
        rows = [run_rate(bench, session, server, int(r), args.seconds, args.talk_ms)
                for r in args.rates.split(",")]
    finally:
        for fn in reversed(Bench.cleanups):
            fn()
        server.cleanup()
    header = ["offered/s", "calls", "answered", "sipp cps", "wall s", "records done/all",
              "settled s"]
    print("\nSIP calls through Kamailio (talk %d ms, %d s per rate, %d cores)"
          % (args.talk_ms, args.seconds, os.cpu_count()))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in [header] + rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths)))


if __name__ == "__main__":
    main()
