#!/usr/bin/env python3
"""A stand-in for callsightd's switch listener, for testing the Kamailio edge.

Implements the calls of the switch contract (docs/kamailio.md) an edge makes:
  POST /switch/route         -> {"action": "forward"|"voicemail"|"reject", ...}
  POST /switch/events        -> 204
  POST /switch/events/batch  -> 200 {"applied": N, "unknown_calls": 0, "skipped": 0}
Every request must carry X-Callsight-Switch-Secret; a wrong one gets 401.
Each request received (route or event, with the status answered) is appended
as one JSON line to --log, so a test can read what Kamailio sent; a batch is
logged as one line per event (path /switch/events/batch, "spool" the batch's
envelope), and an empty batch (the edge's idle report) as one line without
a body.

Routing table (dialled number -> answer), overridable with --routes FILE
(a JSON object of the same shape). A "delay" key (seconds) makes the answer
slow, to exercise Kamailio's timeout; a "status" key answers that HTTP status.
Numbers not in the table are rejected with 404.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_ROUTES = {
    "+46850000100": {"action": "forward", "destination": "+46890510",
                     "caller_id": "+46700000001", "record": "0", "cdr_id": "17"},
    "+46850000486": {"action": "forward", "destination": "+46890486",
                     "caller_id": "+46700000001", "record": "0", "cdr_id": "20"},
    "+46850000480": {"action": "voicemail", "cdr_id": "18"},
    "+46850000999": {"action": "forward", "destination": "+46890510",
                     "caller_id": "+46700000001", "record": "0", "cdr_id": "21",
                     "delay": 3},
    "+46850000500": {"status": 500},
}
REJECT_UNKNOWN = {"action": "reject", "sip_status": "404", "reason": "Not Found",
                  "cdr_id": "19"}
SECRET_HEADER = "X-Callsight-Switch-Secret"


class SwitchHandler(BaseHTTPRequestHandler):
    server_version = "fake-switch/1"

    def do_POST(self):  # noqa: N802 (http.server naming)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        record = {"path": self.path, "received": time.time(),
                  "content_type": self.headers.get("Content-Type")}
        try:
            record["body"] = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            record["body"] = None
            record["raw"] = raw.decode("utf-8", "replace")

        if self.headers.get(SECRET_HEADER) != self.server.secret:
            self._answer(401, {"error": "bad secret"}, record)
        elif record["body"] is None:
            self._answer(400, {"error": "body is not JSON"}, record)
        elif self.path == "/switch/route":
            self._route(record)
        elif self.path == "/switch/events":
            self._answer(204, None, record)
        elif self.path == "/switch/events/batch":
            self._batch(record)
        else:
            self._answer(404, {"error": "no such path"}, record)

    def _route(self, record):
        dialled = record["body"].get("dialled", "")
        answer = dict(self.server.routes.get(dialled, REJECT_UNKNOWN))
        delay = answer.pop("delay", 0)
        status = answer.pop("status", 200)
        if delay:
            time.sleep(delay)
        self._answer(status, answer, record)

    def _batch(self, record):
        batch = record.pop("body")
        events = batch.pop("events", [])
        record["spool"] = batch
        for event in events:
            self.server.log(dict(record, body=event, status=200))
        self._answer(200, {"applied": len(events), "unknown_calls": 0, "skipped": 0},
                     record, log=not events)

    def _answer(self, status, body, record, log=True):
        record["status"] = status
        if log:
            self.server.log(record)
        data = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); the record is logged

    def log_message(self, fmt, *args):
        pass  # the JSON-lines log is the record


class SwitchServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, secret, routes, log_path):
        super().__init__(addr, SwitchHandler)
        self.secret = secret
        self.routes = routes
        self._log_path = log_path
        self._lock = threading.Lock()

    def log(self, record):
        line = json.dumps(record, sort_keys=True)
        with self._lock, open(self._log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    ap.add_argument("--secret", required=True)
    ap.add_argument("--log", required=True, help="JSON-lines file of received requests")
    ap.add_argument("--routes", help="JSON file: dialled number -> route answer")
    args = ap.parse_args()
    routes = DEFAULT_ROUTES
    if args.routes:
        with open(args.routes, encoding="utf-8") as f:
            routes = json.load(f)
    server = SwitchServer((args.host, args.port), args.secret, routes, args.log)
    print(f"fake_switch listening on http://{args.host}:{server.server_address[1]}",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
