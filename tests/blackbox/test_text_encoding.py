"""Text in (docs/api.md "text", "lengths"): every parameter name and value a write route
takes must be UTF-8.

For every POST, PUT and DELETE route (the list comes from `callsight routes`, so a new write
route without an entry in writes() fails the test), each parameter of an otherwise valid request is
sent once with bytes that are not UTF-8 (ISO-8859-1 `Malm%F6`, a cut multi-byte character,
an overlong form, a surrogate, a cut emoji), in the form body and in the query string, and
once with a parameter *name* that is not UTF-8; each id in a path once as such bytes. Every
answer must be a 400 `invalid_encoding` naming the field, in UTF-8; afterwards every list of
the partner answers 200 exactly as before (nothing was written), and the other partner's too.
Lengths count code points: a name of the maximum length in multi-byte characters is
accepted, one more character is refused. The CLI refuses such text, naming the option.
"""

import itertools
import json
import urllib.parse

from harness import FORM_TYPE, ServerTestCase, raw_request, run_cli, unique
from resource_helpers import CustomerResourceMixin

BAD_VALUES = [b"Malm\xf6", b"abc\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf0\x9f\x98"]
BAD_NAME = b"Malm\xf6"
BAD_NAME_FIELD = "Malm\ufffd"  # how the errors envelope names it

_numbers = ("+4660%07d" % n for n in itertools.count(1000))
_pool_numbers = ("+4666%07d" % n for n in itertools.count(1000))  # area code 66: pools only


def flat(pattern):
    """The route without its path captures: /customers/{customer_id}/campaigns ->
    /customers/campaigns, the spelling that takes the ids as parameters."""
    return "/" + "/".join(s for s in pattern.split("/") if s and not s.startswith("{"))


def captures(pattern):
    return [s[1:-1] for s in pattern.split("/") if s.startswith("{")]


class TextEncodingTest(CustomerResourceMixin, ServerTestCase):
    EXTRA_ARGS = ("--webhooks-allow-private",)

    def setUp(self):
        super().setUp()
        a = self.alice
        self.cid = self.customer()
        post = lambda path, key, **data: self.one(  # noqa: E731
            self.call(a, "POST", path, data=data), key)
        self.uid = post("/users", "users", customer_id=self.cid,
                        email=unique("u") + "@example.com", name="Åsa")["user_id"]
        self.gid = post("/customers/voicemail_greetings", "voicemail_greetings",
                        customer_id=self.cid, name="Stängt")["vm_greeting_id"]
        self.kid = post("/customers/campaigns", "campaigns", customer_id=self.cid,
                        name="Vår", pricing_model_id="ppc")["campaign_id"]
        self.sid = self.one(self.source(self.cid, name="webb"), "sources")["source_id"]
        self.wid = post("/webhooks", "webhooks", url="http://127.0.0.1:9/hook",
                        events='["call.completed"]')["webhook_id"]
        # A pool of one number of its own area code (66), for PUT /pools and POST
        # /pools/numbers: it takes neither the free number below nor a spare of source().
        self.pool_number = next(_pool_numbers)
        self.server.cli("numbers", "add", self.pool_number, check=True)
        self.pool_id = self.one(self.call(a, "POST", "/pools", data=dict(
            customer_id=self.cid, name="webb", phonenr="0890510", ndc="66", count="1")),
            "pools")["pool_id"]
        # A free number a POST /sources would take, were it accepted.
        self.free_number = next(_numbers)
        self.server.cli("numbers", "add", self.free_number, check=True)
        self.bob_cid = self.customer(self.bob)

    # -- the table: an otherwise valid request for each write route (by its flat spelling) --
    def writes(self):
        ids = dict(customer_id=self.cid, user_id=self.uid, source_id=self.sid,
                   campaign_id=self.kid, vm_greeting_id=self.gid, webhook_id=self.wid)
        pick = lambda *names: {n: ids[n] for n in names}  # noqa: E731
        customer = dict(name="Malmö AB", custnr=unique("cn"), email="info@malmo.se",
                        corporateid="556000-0000", dncs_class_name="x", custom_1="Storgatan")
        return {
            ("POST", "/customers"): customer,
            ("PUT", "/customers"): dict(pick("customer_id"), name="Lund AB", custom_2="1"),
            ("POST", "/users"): dict(pick("customer_id"), email=unique("n") + "@example.com",
                                     name="Örjan"),
            ("PUT", "/users"): dict(pick("user_id"), name="Örjan"),
            ("POST", "/users/activate"): dict(pick("user_id"), token="abc"),
            ("POST", "/sources"): dict(pick("customer_id"), name="webb", media="google",
                                       phonenr="0890510", destnr=self.free_number),
            ("PUT", "/sources"): dict(pick("source_id"), name="tidning", media="DN"),
            ("POST", "/sources/reactivate"): pick("source_id"),
            ("POST", "/sources/extend"): dict(pick("source_id"), expire="2099-01-01"),
            ("POST", "/customers/campaigns"): dict(pick("customer_id"), name="Höst",
                                                   pricing_model_id="ppc"),
            ("PUT", "/customers/campaigns"): dict(pick("customer_id", "campaign_id"),
                                                  name="Höst"),
            ("POST", "/customers/voicemail_greetings"): dict(pick("customer_id"), name="Öppet"),
            ("PUT", "/customers/voicemail_greetings"): dict(
                pick("customer_id", "vm_greeting_id"), name="Öppet"),
            ("PUT", "/customers/blacklist"): dict(pick("customer_id"),
                                                  phonenrs='["+46701234567"]'),
            ("POST", "/customers/orders"): dict(pick("customer_id"),
                                                timestamp="2024-03-01 10:15:00", cli_id="c1",
                                                order_id=unique("o"), order_value="10",
                                                extras="på"),
            ("POST", "/customers/callbacks"): dict(pick("customer_id"), agent_nr="+46890510",
                                                   requester_nr="+46701234567",
                                                   custom_dynamic='{"lead":"Åke"}'),
            ("POST", "/customers/pincodes"): dict(pick("customer_id"),
                                                  phone_number="+46701234567",
                                                  pincode_length="6", pincode_ttl="1",
                                                  custom_lead_id="l1",
                                                  custom_lead_data='{"a":"ö"}'),
            ("POST", "/webhooks"): dict(url="http://127.0.0.1:9/other", format="json",
                                        events='["call.completed"]', template="{anum} ringde",
                                        secret="s" * 16),
            ("PUT", "/webhooks"): dict(pick("webhook_id"), url="http://127.0.0.1:9/x",
                                       template="{bnum}"),
            ("POST", "/webhooks/test"): pick("webhook_id"),
            ("POST", "/pools"): dict(pick("customer_id"), name="webb", media="google",
                                     phonenr="0890510", count="1", is_default="1",
                                     lease="600", grace="60", cooldown="60",
                                     fallback_number="0812345", numbers_to_replace="0812346",
                                     allowed_origins="https://shop.example",
                                     rules='[{"kind":"referrer_host","value":"bing.com"}]'),
            ("PUT", "/pools"): dict(pool_id=self.pool_id, name="tidning", lease="900",
                                    rules='[{"kind":"utm_exact","field":"source",'
                                          '"value":"dn"}]'),
            ("POST", "/pools/numbers"): dict(pool_id=self.pool_id, count="1"),
            # DELETE writes too: each would delete were its text valid.
            ("DELETE", "/customers"): pick("customer_id"),
            ("DELETE", "/users"): pick("user_id"),
            ("DELETE", "/sources"): pick("source_id"),
            ("DELETE", "/customers/campaigns"): pick("customer_id", "campaign_id"),
            ("DELETE", "/customers/voicemail_greetings"): pick("customer_id", "vm_greeting_id"),
            ("DELETE", "/webhooks"): pick("webhook_id"),
            ("DELETE", "/pools"): dict(pool_id=self.pool_id),
            ("DELETE", "/pools/numbers"): dict(pool_id=self.pool_id, number=self.pool_number),
            ("DELETE", "/callers"): dict(anum="+46701234567"),
            ("DELETE", "/visitors"): dict(visitor_id="v1"),
            ("DELETE", "/recordings"): dict(recording_id="00000000-0000-4000-8000-000000000000"),
        }

    def write_routes(self):
        lines = run_cli(self.server.db, "routes", check=True).stdout.splitlines()
        return [tuple(line.split(" ", 1)) for line in lines
                if line.split(" ", 1)[0] in ("POST", "PUT", "DELETE")]

    # -- what must not change -------------------------------------------------------------
    def lists(self, s, cid):
        """Every list of a partner: each must answer 200; returns their bodies."""
        paths = ["/customers", "/users", "/sources", "/sources/statuses", "/webhooks",
                 "/webhooks/deliveries", "/events", "/statistics/cdrs",
                 "/pools?customer_id=%s" % cid]
        paths += ["/customers/%s/%s" % (cid, resource) for resource in (
            "campaigns", "voicemail_greetings", "blacklist", "orders", "callbacks", "pincodes")]
        paths.append("/recordings?customer_id=%s" % cid)
        bodies = {}
        for path in paths:
            resp = self.call(s, "GET", path)
            self.assertEqual(resp.status_code, 200, "%s -> %s" % (path, resp.text[:300]))
            bodies[path] = resp.json()
        return bodies

    # -- sending ----------------------------------------------------------------------------
    def send(self, method, path, body_pairs, query_pairs=()):
        url = self.url(path)
        if query_pairs:
            url += "?" + urllib.parse.urlencode(query_pairs)
        return self.alice.request(method, url, data=urllib.parse.urlencode(body_pairs),
                                  headers=FORM_TYPE, timeout=30)

    def assert_invalid_encoding(self, resp, field, what):
        self.assertEqual(resp.status_code, 400, "%s: %s" % (what, resp.text[:300]))
        resp.content.decode("utf-8")  # strict: the answer itself is UTF-8
        errors = self.assert_error(resp, 400, "invalid_encoding", field)
        for error in errors:
            self.assertNotIn("Malm", error["message"], what)

    def test_every_write_route_refuses_text_that_is_not_utf8_and_writes_nothing(self):
        writes = self.writes()
        routes = self.write_routes()
        self.assertGreater(len(routes), 30, routes)
        missing = sorted({(m, flat(p)) for m, p in routes} - set(writes))
        self.assertEqual(missing, [], "write routes without an entry in WRITES: %s" % missing)

        before = self.lists(self.alice, self.cid)
        bob_before = self.lists(self.bob, self.bob_cid)
        bad_values = itertools.cycle(BAD_VALUES)
        probes = 0
        for method, pattern in routes:
            params = dict(writes[(method, flat(pattern))])
            path = pattern
            for name in captures(pattern):
                path = path.replace("{%s}" % name, str(params.pop(name)))
            for name in params:
                what = "%s %s, %s in the body" % (method, pattern, name)
                with self.subTest(what):
                    pairs = [(k, next(bad_values) if k == name else v) for k, v in params.items()]
                    self.assert_invalid_encoding(self.send(method, path, pairs), name, what)
                    probes += 1
                what = "%s %s, %s in the query" % (method, pattern, name)
                with self.subTest(what):
                    rest = [(k, v) for k, v in params.items() if k != name]
                    resp = self.send(method, path, rest, [(name, next(bad_values))])
                    self.assert_invalid_encoding(resp, name, what)
                    probes += 1
            what = "%s %s, a parameter name" % (method, pattern)
            with self.subTest(what):
                pairs = list(params.items()) + [(BAD_NAME, "1")]
                self.assert_invalid_encoding(self.send(method, path, pairs), BAD_NAME_FIELD,
                                             what)
                probes += 1
            for name in captures(pattern):
                what = "%s %s, %s in the path" % (method, pattern, name)
                with self.subTest(what):
                    bad_path = pattern
                    for other in captures(pattern):
                        value = "%F6" if other == name else str(
                            writes[(method, flat(pattern))][other])
                        bad_path = bad_path.replace("{%s}" % other, value)
                    self.assert_invalid_encoding(self.send(method, bad_path, list(params.items())),
                                                 name, what)
                    probes += 1
        self.assertGreater(probes, 150)
        self.assertEqual(self.lists(self.alice, self.cid), before, "a refused write changed data")
        self.assertEqual(self.lists(self.bob, self.bob_cid), bob_before)

    def test_read_routes_refuse_a_query_that_is_not_utf8(self):
        for path, name in (("/customers", "custnr"), ("/sources", "custnr"),
                           ("/statistics/cdrs", "custnr"), ("/webhooks/deliveries", "state")):
            with self.subTest(path):
                resp = self.alice.get(self.url(path) + "?%s=Malm%%F6" % name, timeout=30)
                self.assert_invalid_encoding(resp, name, path)
        self.lists(self.alice, self.cid)

    def test_a_path_that_does_not_decode_is_a_400(self):
        # Sent raw: HTTP clients would re-encode the bad escapes. The old answer was a 500
        # (the decoder's error escaped routing), its message quoting the cut text.
        for path in (b"/customers/%zz", b"/customers/" + b"a" * 79 + "ö".encode() + b"%G1"):
            with self.subTest(path):
                status, _, body = raw_request(
                    self.server.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n"
                    b"Connection: close\r\n\r\n")
                self.assertEqual(status, 400, body)
                errors = json.loads(body.decode("utf-8"))["errors"]
                self.assertEqual([e["code"] for e in errors], ["malformed"])
                self.assertNotIn("aaaa", body.decode("utf-8"))
        resp = self.alice.get(self.url("/customers/Malm%F6"), timeout=30)
        self.assert_invalid_encoding(resp, "customer_id", "a customer_id in the path")

    def test_json_valued_parameters_are_checked_as_text(self):
        # alt_numbers, events, phonenrs and custom_dynamic carry JSON inside a form value:
        # the bytes are refused before any JSON parser sees them.
        cases = [
            ("PUT", "/sources/%s" % self.sid, "alt_numbers",
             b'[{"phonenr":"0890510","weekdays":"m\xf6n","from_time":"08:00",'
             b'"to_time":"17:00"}]', {}),
            ("PUT", "/webhooks/%s" % self.wid, "events", b'["call.completed\xe2\x82"]', {}),
            ("PUT", "/customers/%s/blacklist" % self.cid, "phonenrs", b'["+4670\xff"]', {}),
            ("POST", "/customers/callbacks", "custom_dynamic", b'{"lead":"\xc3"}',
             dict(customer_id=self.cid, agent_nr="+46890510", requester_nr="+46701234567")),
        ]
        before = self.lists(self.alice, self.cid)
        for method, path, name, value, rest in cases:
            with self.subTest(name):
                pairs = list(rest.items()) + [(name, value)]
                self.assert_invalid_encoding(self.send(method, path, pairs), name, name)
        self.assertEqual(self.lists(self.alice, self.cid), before)

    def test_a_nul_character_is_refused_on_reads_and_writes_naming_the_field(self):
        before = len(self.ok(self.call(self.alice, "GET", "/customers"), "customers"))
        resp = self.alice.post(self.url("/customers"), data=b"custnr=x&name=Malm%00",
                               headers=FORM_TYPE, timeout=30)
        self.assert_error(resp, 400, "invalid_encoding", "name")
        resp = self.call(self.alice, "GET", "/customers?custnr=%00")
        self.assert_error(resp, 400, "invalid_encoding", "custnr")
        self.assertEqual(len(self.ok(self.call(self.alice, "GET", "/customers"), "customers")),
                         before)

    def test_lengths_count_code_points_not_bytes(self):
        for char in ("ö", "€", "😀"):
            with self.subTest(char):
                at_limit = char * 60  # customers: name ≤ 60
                created = self.one(self.call(self.alice, "POST", "/customers", data=dict(
                    name=at_limit, custnr=unique("cn"))), "customers")
                self.assertEqual(created["name"], at_limit)
                resp = self.call(self.alice, "PUT", "/customers/%s" % created["customer_id"],
                                 data=dict(name=char * 61))
                self.assert_error(resp, 400, "too_long", "name")
                resp = self.call(self.alice, "GET", "/customers/%s" % created["customer_id"])
                self.assertEqual(self.one(resp, "customers")["name"], at_limit)
        # A secret of 16 characters is long enough, whatever its bytes.
        resp = self.call(self.alice, "POST", "/webhooks", data=dict(
            url="http://127.0.0.1:9/secret", events='["call.completed"]', secret="å" * 16))
        self.assertEqual(resp.status_code, 200, resp.text)

    def test_an_error_never_quotes_the_value(self):
        # A bad percent escape after a multi-byte character sent unencoded: the old message
        # quoted the value's first 80 bytes, cutting the "ö", and the error itself was a 500.
        body = b"custnr=x&name=" + b"a" * 79 + "ö".encode() + b"%G1"
        resp = self.alice.post(self.url("/customers"), data=body, headers=FORM_TYPE, timeout=30)
        self.assert_error(resp, 400, "malformed", "name")
        self.assertNotIn("aaaa", resp.text)
        # An unknown event type is counted, not quoted.
        resp = self.call(self.alice, "PUT", "/webhooks/%s" % self.wid,
                         data=dict(events=json.dumps(["call.completed", "Malmö-secret"])))
        errors = self.assert_error(resp, 400, "invalid", "events")
        self.assertNotIn("Malmö-secret", json.dumps(errors, ensure_ascii=False))
        # A taken custnr is named, not quoted.
        custnr = unique("taken")
        self.call(self.alice, "POST", "/customers", data=dict(name="A", custnr=custnr))
        resp = self.call(self.alice, "POST", "/customers", data=dict(name="B", custnr=custnr))
        self.assert_error(resp, 409, "duplicate", "custnr")
        self.assertNotIn(custnr, resp.text)

    def test_no_error_of_any_route_quotes_the_value_it_refuses(self):
        # Valid UTF-8 that is no id, number, time, choice or JSON, in each parameter of
        # every route (the route list, as above) and in each path id: whatever the answer,
        # an error never repeats it (docs/security.md). A field that takes any text may
        # accept it: 2xx answers echo what was stored.
        routes = [tuple(line.split(" ", 1)) for line in
                  run_cli(self.server.db, "routes", check=True).stdout.splitlines()]
        writes = self.writes()
        # Pools that take numbers take them from their own area code (66), not the spares
        # the other tests' sources are made on.
        for route in (("POST", "/pools"), ("POST", "/pools/numbers")):
            writes[route] = dict(writes[route], ndc="66")
        ids = dict(customer_id=self.cid, user_id=self.uid, source_id=self.sid,
                   campaign_id=self.kid, vm_greeting_id=self.gid, webhook_id=self.wid,
                   pool_id=self.pool_id, cdr_id="1", pincode_id="1")
        read_params = ["customer_id", "custnr", "source_id", "user_id", "campaign_id",
                       "webhook_id", "pool_id", "cdr_id", "pincode_id", "recording_id",
                       "vm_greeting_id", "page", "pagesize", "from_date", "to_date", "state",
                       "extended", "after", "limit", "event_id", "newest_first", "anum",
                       "phonenr", "destnr", "number", "media", "name", "email"]
        probes = 0
        for method, pattern in routes:
            params = dict(writes.get((method, flat(pattern)), {})) if method != "GET" else {}
            for name in captures(pattern):
                params.setdefault(name, ids.get(name, "1"))
            names = list(params) if method != "GET" else sorted(set(read_params) | set(params))
            for name in names:
                marker = "Zq9%d ö€ hemlig" % probes
                probes += 1
                path, body, query = pattern, [], []
                for key in captures(pattern):
                    value = marker if key == name else str(params[key])
                    path = path.replace("{%s}" % key, urllib.parse.quote(value, safe=""))
                for key, value in params.items():
                    if key in captures(pattern) or key == name:
                        continue
                    (body if method != "GET" else query).append((key, value))
                if name not in captures(pattern):
                    (body if method != "GET" else query).append((name, marker))
                what = "%s %s, %s" % (method, pattern, name)
                with self.subTest(what):
                    resp = self.send(method, path, body, query)
                    self.assertLess(resp.status_code, 500, "%s: %s" % (what, resp.text[:300]))
                    if resp.status_code >= 400:
                        self.assertNotIn("Zq9", resp.text, what)
                        self.assertNotIn("hemlig", resp.text, what)
        self.assertGreater(probes, 300)

    def test_cli_refuses_text_that_is_not_utf8_naming_the_option(self):
        # "Malm\udcf6" is how Python passes the byte 0xF6 in an argument (surrogateescape).
        bad = "Malm\udcf6"
        for option in ("--name", "--username", "--timezone"):
            with self.subTest(option):
                args = {"--name": "Partner", "--username": unique("p"), "--password": "pw-12345",
                        "--allow-ip": "127.0.0.1/32", "--country": "SE",
                        "--timezone": "Europe/Stockholm"}
                args[option] = bad
                flat_args = [x for pair in args.items() for x in pair]
                proc = run_cli(self.server.db, "partner", "add", *flat_args)
                self.assertNotEqual(proc.returncode, 0, proc.stdout)
                self.assertIn(option, proc.stderr)
                self.assertIn("UTF-8", proc.stderr)
                self.assertNotIn("Malm", proc.stderr)
        listed = run_cli(self.server.db, "partner", "list", check=True).stdout
        self.assertNotIn("Malm", listed)
        proc = run_cli(self.server.db, "numbers", "add", "+4670\udcff")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("numbers", proc.stderr)
        # Valid text that is wrong is counted, not quoted.
        proc = run_cli(self.server.db, "partner", "add", "--name", "P", "--username",
                       unique("p"), "--password", "pw-12345", "--allow-ip",
                       "127.0.0.1/32,Malmö-nät", "--country", "SE", "--timezone",
                       "Europe/Stockholm")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--allow-ip: entry 2", proc.stderr)
        self.assertNotIn("Malm", proc.stderr)
        proc = run_cli(self.server.db, "numbers", "add", "+46701234567", "Malmö")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("argument 2", proc.stderr)
        self.assertNotIn("Malm", proc.stderr)
