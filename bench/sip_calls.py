#!/usr/bin/env python3
"""SIP calls per second through the Kamailio edge, every call's record and webhooks checked.

Starts a throw-away callsightd (switch API on), the project's Kamailio edge
(deploy/kamailio/kamailio.cfg), a sipp gateway (bench/sip_uas_mix.xml) and, with
--baseline, a second Kamailio that forwards statically (bench/kamailio_static.cfg). For each
offered rate a sipp caller (bench/sip_uac_mix.xml) places a deterministic mix of calls:
answered and hung up by the caller, answered and hung up by the callee, busy (486), rung
out by the caller (CANCEL) and rung out by the edge's ring timeout (408). Then it compares
what sipp did with callsightd's records (/statistics/cdrs) and with the signed webhooks a
local receiver got, and prints calls/s, wrong records, lost events, webhooks missing or
duplicated, post-dial delay p50/p99 and CPU per call of Kamailio and callsightd.
--smoke: 100 calls at 20 calls/s, exit status 1 on any wrong record, lost event, webhook
missing or duplicated, or call that did not end as its gateway branch says. See
bench/README.md.
"""
import argparse
import collections
import json
import os
import re
import statistics
import sys
import time

import requests
from requests.auth import HTTPDigestAuth

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests", "blackbox"),
                os.path.join(HERE, "..", "tests", "sip")]
import harness  # noqa: E402
import sip_harness  # noqa: E402
from benchlib import cpu_seconds, machine  # noqa: E402
from webhook_receiver import Receiver, signature_ok  # noqa: E402

SECRET = "bench-sip-secret"
CALLER_SCENARIO = os.path.join(HERE, "sip_uac_mix.xml")
GATEWAY_SCENARIO = os.path.join(HERE, "sip_uas_mix.xml")
STATIC_CONFIG = os.path.join(HERE, "kamailio_static.cfg")
RING_TIMEOUT_MS = 2000
SKIPPED = 77  # ctest's SKIP_RETURN_CODE: kamailio or sipp not installed
# Kamailio's log lines for an event it gave up on (the event path of kamailio.cfg today).
EDGE_DROP_RE = re.compile(r"event dropped|event not delivered")
CALL_EVENTS = ["call.started", "call.answered", "call.updated", "call.completed"]

# The gateway branches on the last digit of the number it is sent (sip_uas_mix.xml): the
# answering number of the source dialled, or under --baseline the tracking number itself.
GATEWAY_DIGIT = {"caller_bye": 1, "callee_bye": 2, "busy": 3, "cancel": 4, "timeout": 4}
# Ten calls: three hung up by the caller, three by the callee, two busy, two unanswered.
MIX = ["caller_bye", "callee_bye", "busy", "caller_bye", "cancel", "callee_bye", "timeout",
       "caller_bye", "busy", "callee_bye"]
# What sipp sees for each mode: (final status, the fact that ends an answered call: the 200
# to the caller's BYE, or the callee's BYE).
SIP_OUTCOME = {"caller_bye": ("200", "BYE_200"), "callee_bye": ("200", "BYE_RECV"),
               "busy": ("486", None), "cancel": ("487", None), "timeout": ("408", None)}
RECORD_STATUS = {"200": "answered", "486": "busy", "487": "no_answer", "408": "no_answer"}
MAX_CALLS = 10000  # callers are +4670<4-digit call index>123, unique within a rate


def answering_number(digit):
    return "+4631700%03d" % digit


def caller_number(index):
    return "+4670%04d123" % index


def masked(number):
    return number[:-3] + "xxx"


class Bench(sip_harness.SipCallsMixin):
    """SipCallsMixin outside unittest: cleanups run at exit."""

    cleanups = []

    @classmethod
    def addClassCleanup(cls, fn):
        cls.cleanups.append(fn)

    def addCleanup(self, fn):
        self.cleanups.append(fn)


# -- one rate: set-up, the calls, what sipp saw ----------------------------------------------

class Partner:
    """The partner API session, and a fresh customer per rate with one source per gateway
    branch: tracking number ending in the digit, answered at answering_number(digit)."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()
        self.session.auth = HTTPDigestAuth("bench", "bench-pw")
        self.numbers = 0

    def post(self, path, **fields):
        resp = self.session.post(self.server.url(path), data=fields, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def customer_with_sources(self):
        customer = self.post("/customers", name="bench", custnr=harness.unique("b"))
        customer_id = customer["customers"][0]["customer_id"]
        tracking = {}
        for digit in sorted(set(GATEWAY_DIGIT.values())):
            self.numbers += 1
            number = "+4685201%03d%d" % (self.numbers, digit)
            self.server.cli("numbers", "add", number, check=True)
            self.post("/sources", customer_id=customer_id, name="bench %d" % digit,
                      destnr=number, phonenr=answering_number(digit))
            tracking[digit] = number
        return customer_id, tracking

    def subscribe(self, customer_id):
        """A local receiver subscribed to the customer's call events; (receiver, secret)."""
        receiver = Receiver()
        hook = self.post("/webhooks", customer_id=customer_id, url=receiver.url,
                         events=json.dumps(CALL_EVENTS))
        return receiver, hook["webhooks"][0]["secret"]

    def records(self, customer_id):
        cdrs, page = [], 0
        while True:
            resp = self.session.get(self.server.url("/statistics/cdrs"), timeout=60, params={
                "customer_id": customer_id, "page": page, "pagesize": 1000})
            resp.raise_for_status()
            body = resp.json()
            cdrs += body["cdrs"]
            page += 1
            if page >= int(body["numpages"]):
                return cdrs


def write_calls(path, calls, tracking):
    """The sipp injection file: dialled;caller;mode;hold_ms per call, deterministic."""
    with open(path, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(calls):
            mode = MIX[i % len(MIX)]
            # Talk 1.0-2.6 s; ring 0.4-1.2 s before a CANCEL (shorter than the ring timeout).
            hold = 400 + (i * 211) % 800 if mode == "cancel" else 1000 + (i * 373) % 1600
            f.write("%s;%s;%s;%d\n" % (tracking[GATEWAY_DIGIT[mode]], caller_number(i), mode,
                                       hold))


def sipp_calls(log_lines):
    """{call-id: {"caller", "mode", fact: wall-clock seconds, "FINAL": status}} from the
    caller's CALL lines (sip_uac_mix.xml)."""
    calls = collections.defaultdict(dict)
    for line in log_lines:
        words = line.split()
        if len(words) < 7 or words[0] != "CALL":
            continue
        call = calls[words[1]]
        call["mode"], fact, rest = words[2], words[4], words[5:]
        if fact == "FINAL":
            call["FINAL"], rest = rest[0], rest[1:]
            fact = "FINAL_AT"
        call[fact] = float(rest[0]) + float(rest[1]) / 1e6
        if len(rest) > 2:
            call["caller"] = rest[2]
    return calls


def sip_failed(call):
    """Why sipp's call did not go as its gateway branch says, or None."""
    final, bye = SIP_OUTCOME[call["mode"]]
    if call.get("FINAL") != final:
        return "final %s" % call.get("FINAL", "none")
    if bye and bye not in call:
        return "no BYE"
    return None


def held_seconds(call):
    """Talk time as sipp held it: from the 200 to the end of the BYE's transaction, the
    instant the edge takes as the call's end (its reply passing the edge), on either side:
    the 200 to the caller's BYE, or the callee's BYE, which the caller answers at once."""
    return call.get("BYE_200", call.get("BYE_RECV")) - call["FINAL_AT"]


def achieved_rate(calls):
    """Calls/s sipp placed: INVITEs over the time from the first to the last."""
    invites = sorted(c["INVITE"] for c in calls.values() if "INVITE" in c)
    return (len(invites) - 1) / (invites[-1] - invites[0]) if len(invites) > 1 else 0.0


def post_dial_delays_ms(calls):
    """INVITE sent to 180 received, per call that rang."""
    return [1000 * (c["R180"] - c["INVITE"]) for c in calls.values() if "R180" in c]


def percentile(values, p):
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 \
        else values[0]


# -- checking records and webhooks against sipp ----------------------------------------------

def record_faults(call, cdr, tracking):
    """What is wrong with one call's record, given what sipp saw (empty: exact)."""
    final = call["FINAL"]
    digit = GATEWAY_DIGIT[call["mode"]]
    faults = []
    if cdr["status"] != RECORD_STATUS[final]:
        faults.append("status %s" % cdr["status"])
    if cdr["cnum"] != answering_number(digit) or cdr["bnum"] != tracking[digit]:
        faults.append("routed wrong")
    if not cdr["end"]:
        faults.append("no end")
    if final == "200":
        expected_by = "caller" if "BYE_200" in call else "callee"
        if cdr.get("hangup_by") != expected_by:
            faults.append("hangup_by %s" % cdr.get("hangup_by"))
        if abs(int(cdr["duration"]) - held_seconds(call)) > 1.0:
            faults.append("duration off")
    elif cdr["sip_status"] != final:
        faults.append("sip_status %s" % cdr["sip_status"])
    return faults


def check_records(by_caller, cdrs, tracking):
    """Compares the records with the calls sipp completed, keyed by masked caller:
    (wrong records, Counter of faults, events due, events lost)."""
    faults = collections.Counter()
    wrong = events_due = events_lost = 0
    records_by_caller = collections.defaultdict(list)
    for cdr in cdrs:
        records_by_caller[cdr["anum"]].append(cdr)
    for anum, records in records_by_caller.items():
        unended = sum(1 for r in records if not sip_harness.settled(r))
        if anum not in by_caller and unended:
            # A record of a call sipp saw fail: it must still end.
            wrong += unended
            faults["failed call never ended"] += unended
    for anum, call in by_caller.items():
        records = records_by_caller.get(anum, [])
        if len(records) != 1:
            wrong += 1
            faults["%d records" % len(records)] += 1
            continue
        call_faults = record_faults(call, records[0], tracking)
        wrong += bool(call_faults)
        faults.update(call_faults)
        due, lost = lost_events(call, records[0])
        events_due += due
        events_lost += lost
    return wrong, faults, events_due, events_lost


def lost_events(call, cdr):
    """(events the edge should have reported for this call, those the record lacks)."""
    expected = [("R180" in call, cdr["ringing_at"]),
                (call["FINAL"] == "200", cdr["answered_at"]),
                (True, cdr["end"])]
    return sum(1 for due, _ in expected if due), sum(1 for due, at in expected if due and not at)


def webhook_faults(receiver, secret, cdrs_by_id):
    """Counts of webhook problems over the calls with a record: (missing, duplicated,
    badly signed). A call must get one call.started and one call.completed (and one
    call.answered if answered), each event delivered once."""
    missing = duplicated = unsigned = 0
    types_by_cdr = collections.defaultdict(collections.Counter)
    for event_id, copies in receiver.accepted().items():
        duplicated += len(copies) - 1
        _, headers, body = copies[0]
        if not signature_ok(secret, headers, body):
            unsigned += 1
        event = json.loads(body)
        types_by_cdr[event["data"]["cdr_id"]][event["type"]] += 1
    for cdr_id, cdr in cdrs_by_id.items():
        got = types_by_cdr[cdr_id]
        wanted = {"call.started": 1, "call.completed": 1,
                  "call.answered": 1 if cdr["answered"] == "1" else 0}
        missing += sum(abs(got[t] - n) for t, n in wanted.items())
    return missing, duplicated, unsigned


def completed_calls(receiver):
    """Calls with a call.completed event delivered."""
    return len({json.loads(copies[0][2])["data"]["cdr_id"]
                for copies in receiver.accepted().values()
                if copies[0][1]["X-Callsight-Event-Type"] == "call.completed"})


def wait_until_still(measure, done, quiet_s):
    """Polls measure() until done(value) or it has not changed for quiet_s; returns it."""
    value, changed = measure(), time.monotonic()
    while not done(value) and time.monotonic() - changed < quiet_s:
        time.sleep(0.5)
        latest = measure()
        if latest != value:
            value, changed = latest, time.monotonic()
    return value


# -- CPU --------------------------------------------------------------------------------------

def process_tree(pid):
    """pid and its descendants (Kamailio's workers are children of its main process)."""
    children = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    children[int(f.read().rsplit(")", 1)[1].split()[1])].append(int(entry))
            except OSError:
                continue
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children[tree[-1]]
    return tree


def tree_cpu_seconds(pid):
    total = 0.0
    for p in process_tree(pid):
        try:
            total += cpu_seconds(p)
        except OSError:
            pass  # exited meanwhile
    return total


# -- a run -------------------------------------------------------------------------------------

def edge_drops(edge, offset):
    """(log lines since `offset` saying the edge gave up on an event, new offset)."""
    with open(edge.log_path, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
        return len(EDGE_DROP_RE.findall(text)), f.tell()


def run_rate(bench, partner, server, rate, calls, quiet_s, static_edge):
    customer_id, tracking = partner.customer_with_sources()
    receiver, secret = partner.subscribe(customer_id)
    injection = os.path.join(bench.tmp, "calls-%d.csv" % rate)
    write_calls(injection, calls, tracking)
    _, log_offset = edge_drops(bench.edge, 0)
    kamailio_cpu = tree_cpu_seconds(bench.edge.pid())
    server_cpu = cpu_seconds(server.proc.pid)

    _, log, _, _ = bench.dial_scripted(CALLER_SCENARIO, injection, calls, rate)
    sipp = sipp_calls(log)
    ended = time.monotonic()
    sip_ok = {cid: c for cid, c in sipp.items() if not sip_failed(c)}
    by_caller = {masked(c["caller"]): c for c in sip_ok.values()}

    # Waits on the webhooks, not on the partner API, whose listings would add to
    # callsightd's CPU: a call.completed is written with the call's end.
    wait_until_still(lambda: completed_calls(receiver), lambda n: n >= len(sip_ok), quiet_s)
    settle_s = time.monotonic() - ended
    kamailio_cpu = tree_cpu_seconds(bench.edge.pid()) - kamailio_cpu
    server_cpu = cpu_seconds(server.proc.pid) - server_cpu
    drops, _ = edge_drops(bench.edge, log_offset)
    cdrs = partner.records(customer_id)
    cdrs_by_id = {c["cdr_id"]: c for c in cdrs}
    # Deliveries run concurrently: an earlier event of a call may still be on its way.
    wait_until_still(lambda: webhook_faults(receiver, secret, cdrs_by_id)[0],
                     lambda missing: missing == 0, 3)

    wrong, faults, events_due, events_lost = check_records(by_caller, cdrs, tracking)
    missing, duplicated, unsigned = webhook_faults(receiver, secret, cdrs_by_id)
    receiver.close()

    delays = post_dial_delays_ms(sipp)
    result = {
        "rate": rate, "calls": calls, "achieved": achieved_rate(sipp),
        "sip_failed": calls - len(sip_ok), "sip_faults": collections.Counter(
            sip_failed(c) for c in sipp.values() if sip_failed(c)),
        "wrong": wrong, "faults": faults, "events_due": events_due,
        "events_lost": events_lost, "edge_drops": drops, "webhooks_missing": missing,
        "webhooks_duplicated": duplicated, "webhooks_unsigned": unsigned,
        "pdd_p50": percentile(delays, 50), "pdd_p99": percentile(delays, 99),
        "kamailio_ms": 1000 * kamailio_cpu / calls, "server_ms": 1000 * server_cpu / calls,
        "settle_s": settle_s, "load": os.getloadavg()[0],
    }
    if static_edge:
        result.update(run_static(bench, static_edge, rate, calls, injection))
    return result


def run_static(bench, static_edge, rate, calls, injection):
    """The same calls through Kamailio forwarding statically: its post-dial delay, CPU and
    calls that did not go as the gateway's branch says."""
    cpu = tree_cpu_seconds(static_edge.pid())
    _, log, _, _ = bench.dial_scripted(CALLER_SCENARIO, injection, calls, rate, edge=static_edge)
    cpu = tree_cpu_seconds(static_edge.pid()) - cpu
    sipp = sipp_calls(log)
    delays = post_dial_delays_ms(sipp)
    return {"static_pdd_p50": percentile(delays, 50), "static_pdd_p99": percentile(delays, 99),
            "static_kamailio_ms": 1000 * cpu / calls,
            "static_sip_failed": calls - sum(1 for c in sipp.values() if not sip_failed(c))}


# -- output ----------------------------------------------------------------------------------

def table_row(r, baseline):
    """(column, value) pairs of one rate's row."""
    row = [("offered/s", r["rate"]), ("calls", r["calls"]),
           ("achieved/s", "%.1f" % r["achieved"]), ("SIP failed", r["sip_failed"]),
           ("wrong records", r["wrong"]),
           ("lost events", "%d/%d" % (r["events_lost"], r["events_due"])),
           ("edge drops (log)", r["edge_drops"]),
           ("webhooks missing/dup", "%d/%d" % (r["webhooks_missing"],
                                               r["webhooks_duplicated"])),
           ("PDD p50/p99 ms", "%.1f/%.1f" % (r["pdd_p50"], r["pdd_p99"]))]
    if baseline:
        row += [("static PDD p50/p99 ms", "%.1f/%.1f" % (r["static_pdd_p50"],
                                                          r["static_pdd_p99"])),
                ("added p99 ms", "%.1f" % (r["pdd_p99"] - r["static_pdd_p99"]))]
    row.append(("Kamailio CPU ms/call", "%.2f" % r["kamailio_ms"]))
    if baseline:
        row.append(("static Kamailio CPU ms/call", "%.2f" % r["static_kamailio_ms"]))
    row += [("callsightd CPU ms/call", "%.2f" % r["server_ms"]),
            ("settled s", "%.1f" % r["settle_s"]), ("load", "%.1f" % r["load"])]
    return row


def print_results(results, args):
    print("\nmachine: " + machine())
    print("SIP calls through Kamailio (deploy/kamailio/kamailio.cfg); per 10 calls: %s; "
          "ring timeout %d ms" % (", ".join("%d %s" % (n, mode) for mode, n in
                                            collections.Counter(MIX).items()), RING_TIMEOUT_MS))
    rows = [table_row(r, args.baseline) for r in results]
    print("| " + " | ".join(name for name, _ in rows[0]) + " |")
    print("|" + " ---: |" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(str(value) for _, value in row) + " |")
    for r in results:
        details = dict(r["faults"])
        details.update({"SIP: " + k: n for k, n in r["sip_faults"].items()})
        if r["webhooks_unsigned"]:
            details["webhooks badly signed"] = r["webhooks_unsigned"]
        if args.baseline and r["static_sip_failed"]:
            details["static: SIP failed"] = r["static_sip_failed"]
        if details:
            print("  %d/s: %s" % (r["rate"], ", ".join("%s: %d" % kv
                                                       for kv in sorted(details.items()))))


def failures(result):
    return (result["sip_failed"] + result["wrong"] + result["events_lost"]
            + result["webhooks_missing"] + result["webhooks_duplicated"]
            + result["webhooks_unsigned"])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="50,100,200", help="offered calls/s, comma-separated")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of calls per rate")
    parser.add_argument("--calls", help="calls per rate, comma-separated (instead of --seconds)")
    parser.add_argument("--baseline", action="store_true",
                        help="also place each rate's calls through a Kamailio forwarding "
                             "statically (bench/kamailio_static.cfg): its post-dial delay")
    parser.add_argument("--quiet-seconds", type=float, default=10,
                        help="stop waiting for records and webhooks after this long without "
                             "progress")
    parser.add_argument("--smoke", action="store_true",
                        help="100 calls at 20/s; exit 1 on any wrong record, lost event, "
                             "missing or duplicated webhook, or failed call")
    args = parser.parse_args()
    if args.smoke:
        args.rates, args.calls, args.baseline, args.quiet_seconds = "20", "100", False, 8
    args.rates = [int(r) for r in args.rates.split(",")]
    args.calls = ([int(c) for c in args.calls.split(",")] if args.calls
                  else [r * args.seconds for r in args.rates])
    if len(args.calls) != len(args.rates) or max(args.calls) > MAX_CALLS:
        parser.error("--calls: one count per rate, each at most %d" % MAX_CALLS)
    return args


def main():
    args = parse_args()
    if sip_harness.missing_tools():
        print("sip_calls.py: needs kamailio and sipp (scripts/install-sip-deps)", file=sys.stderr)
        return SKIPPED
    bench = Bench()
    Bench.make_sip_tmp()  # removed at the end unless KEEP_SIP_TMP=1
    server = harness.Server(switch_secret=SECRET, extra_args=("--webhooks-allow-private",))
    server.add_partner("bench", "bench-pw")
    server.start()
    try:
        Bench.start_edge("http://127.0.0.1:%d" % server.switch_port, SECRET,
                         ring_timeout_ms=RING_TIMEOUT_MS)
        static_edge = None
        if args.baseline:
            static_edge = sip_harness.KamailioEdge(bench.tmp, "http://127.0.0.1:9", SECRET,
                                                   RING_TIMEOUT_MS, config=STATIC_CONFIG,
                                                   name="kamailio-static")
            static_edge.gw_port = bench.edge.gw_port  # one gateway for both
            Bench.addClassCleanup(static_edge.stop)
            static_edge.start()
        # The harness's gateway quits after 60 s; this one lives as long as the bench.
        bench.start_gateway(GATEWAY_SCENARIO, ["-timeout", "0"])
        partner = Partner(server)
        results = []
        for rate, calls in zip(args.rates, args.calls):
            results.append(run_rate(bench, partner, server, rate, calls, args.quiet_seconds,
                                    static_edge))
            print("  %d/s done: %d calls, %d wrong records" % (rate, calls, results[-1]["wrong"]),
                  file=sys.stderr, flush=True)
    finally:
        for fn in reversed(Bench.cleanups):
            fn()
        server.cleanup()
    print_results(results, args)
    return 1 if args.smoke and any(failures(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
