"""Setup shared by the black-box tests of the customer sub-resources (/customers/...).

CustomerResourceMixin is a mixin, not a TestCase: imported into a test module, a TestCase
subclass would be collected and run as a test class of its own.
"""

import itertools
import weakref

from harness import unique

# Inventory numbers for sources; each call hands out a fresh one. They enter each server's
# inventory in blocks, one CLI run a block: a CLI run per source was a good part of some
# suites' time under the sanitizers.
_tracking_numbers = ("+4640%07d" % n for n in itertools.count(1000))
_NUMBER_BLOCK = 20
_spare_numbers = weakref.WeakKeyDictionary()  # server -> numbers in its inventory, unused


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
        fields.update(customer_id=customer_id, destnr=self.inventory_number())
        fields.setdefault("name", "web")
        fields.setdefault("phonenr", "0890510")
        return self.call(s or self.alice, "POST", "/sources", data=fields)

    def inventory_number(self):
        """A number in the server's inventory that no test has used yet."""
        spare = _spare_numbers.setdefault(self.server, [])
        if not spare:
            block = [next(_tracking_numbers) for _ in range(_NUMBER_BLOCK)]
            self.server.cli("numbers", "add", "%s-%s" % (block[0], block[-1]), check=True)
            spare.extend(block)
        return spare.pop(0)

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
