"""Setup shared by the black-box tests of the customer sub-resources (/customers/...).

CustomerResourceMixin is a mixin, not a TestCase: imported into a test module, a TestCase
subclass would be collected and run as a test class of its own.
"""

import itertools

from harness import unique

# Inventory numbers for sources; each call hands out a fresh one.
_tracking_numbers = ("+4640%07d" % n for n in itertools.count(1000))


class CustomerResourceMixin:
    """For ServerTestCase subclasses: partners alice and bob, a session each, and customers."""

    PARTNERS = {"alice": dict(password="alice-pw"), "bob": dict(password="bob-pw")}

    def setUp(self):
        self.alice = self.session("alice")
        self.bob = self.session("bob")

    def customer_with_custnr(self, s=None):
        """Creates a customer for session s (default alice); returns (customer_id, custnr)."""
        data = dict(name="C " + unique(), custnr=unique("cn"))
        c = self.one(self.call(s or self.alice, "POST", "/customers", data=data), "customers")
        return c["customer_id"], c["custnr"]

    def customer(self, s=None):
        return self.customer_with_custnr(s)[0]

    def source(self, customer_id, s=None, **fields):
        """POSTs a source on a fresh inventory number; returns the response."""
        number = next(_tracking_numbers)
        self.server.cli("numbers", "add", number, check=True)
        fields.update(customer_id=customer_id, destnr=number)
        fields.setdefault("name", "web")
        fields.setdefault("phonenr", "0890510")
        return self.call(s or self.alice, "POST", "/sources", data=fields)

    def assert_hidden_from(self, s, nested, flat, params):
        """GET, PUT and DELETE by session s on both spellings answer 404 on customer_id."""
        for method in ("GET", "PUT", "DELETE"):
            data = {"name": "Stolen"} if method == "PUT" else None
            self.assert_error(self.call(s, method, nested, data=data), 404, "not_found",
                              "customer_id")
            if method == "PUT":
                resp = self.call(s, method, flat, data=dict(params, name="Stolen"))
            else:
                resp = self.call(s, method, flat, params=params)
            self.assert_error(resp, 404, "not_found", "customer_id")
