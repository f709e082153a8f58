"""A local webhook receiver for tests: records what callsightd delivers and can fail, hang
or answer slowly on purpose; the signature check receivers do (docs/webhooks.md); and
ReceiverMixin, which subscribes one (a mixin, not a TestCase: see resource_helpers)."""

import collections
import hashlib
import hmac
import http.server
import json
import socket
import ssl
import threading
import time

DELIVERY_TIMEOUT = 60.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A threaded HTTP endpoint on 127.0.0.1 that records every request with its arrival
    time. behaviour(event_id, attempt) -> "ok", "fail" (500) or "hang" (sleeps past the
    sender's timeout, then answers 200 into a closed connection); `delay` slows every answer.
    With tls=(cert_path, key_path) it speaks https.
    """

    def __init__(self, port=0, behaviour=None, delay=0.0, hang_seconds=2.0, tls=None):
        self.hang_seconds = hang_seconds
        self.requests = []  # (arrival monotonic time, headers, body)
        self.peers = set()  # the (address, port) of every connection a request came on
        self.attempts = collections.Counter()
        self.lock = threading.Lock()
        self.behaviour = behaviour or (lambda event_id, attempt: "ok")
        self.delay = delay
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("X-Callsight-Event-Id")
                with receiver.lock:
                    receiver.peers.add(self.client_address)
                    receiver.attempts[event_id] += 1
                    action = receiver.behaviour(event_id, receiver.attempts[event_id])
                    if action == "ok":
                        receiver.requests.append((time.monotonic(), self.headers, body))
                if action == "hang":
                    time.sleep(receiver.hang_seconds)
                time.sleep(receiver.delay)
                self.send_response(200 if action in ("ok", "hang") else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # The handshake happens in the request thread, so a failing one stops nothing.
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True,
                                                    do_handshake_on_connect=False)
            self.scheme = "https"
            # Refused handshakes are what some tests want; keep them out of the test output.
            self.httpd.handle_error = lambda request, client_address: None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return "%s://127.0.0.1:%d/hook?k=1" % (self.scheme, self.port)

    def accepted(self):
        """{event_id: [(arrival, headers, body), ...]} of the requests answered 200."""
        out = collections.defaultdict(list)
        with self.lock:
            for arrival, headers, body in self.requests:
                out[headers["X-Callsight-Event-Id"]].append((arrival, headers, body))
        return out

    def wait_for_count(self, count, timeout=DELIVERY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.accepted()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("%d of %d events delivered within %.0f s"
                             % (len(self.accepted()), count, timeout))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ReceiverMixin:
    """For ServerTestCase subclasses."""

    def subscribe_receiver(self, s, customer_id, events):
        """A Receiver subscribed through partner session s to the customer's `events` for
        this test; returns (receiver, the webhook's signing secret)."""
        receiver = Receiver()
        self.addCleanup(receiver.close)
        hook = self.one(self.call(s, "POST", "/webhooks", data={
            "customer_id": customer_id, "url": receiver.url,
            "events": json.dumps(list(events))}), "webhooks")
        return receiver, hook["secret"]


def signature_ok(secret, headers, body):
    mac = hmac.new(secret.encode(), headers["X-Callsight-Timestamp"].encode() + b"." + body,
                   hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + mac, headers["X-Callsight-Signature"])
