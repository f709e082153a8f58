"""A customer's site with a pool of dynamic numbers, for the tests of the number requests a
visitor's browser makes (test_dni_numbers, test_dni_browser).

DniSiteMixin is a mixin, not a TestCase (see resource_helpers)."""

import hashlib
import hmac
import itertools
import time

from harness import unique

# Each pool takes numbers of an area code no other pool of the server uses.
_area_codes = itertools.count(610)

# What a desktop browser sends; the project's crawler list must not catch it.
BROWSER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
PRINTED_NUMBER = "08-123 45 67"  # the number printed on the site: +4681234567
PRINTED_E164 = "+4681234567"


def signed_headers(partner, secret, text, timestamp=None):
    """The headers of a signed number request (docs/api.md "Signed number requests") for body
    `text`: HMAC-SHA256 under the partner's DNCS secret over timestamp + "." + body."""
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), (timestamp + "." + text).encode(),
                         hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Callsight-Partner": partner,
            "X-Callsight-Timestamp": timestamp, "X-Callsight-Signature": signature}


class DniSiteMixin:
    """For ServerTestCase subclasses with a partner session self.alice."""

    def site(self, origin, count=2, s=None, **pool_fields):
        """A customer with one default pool of `count` fresh numbers that replaces
        PRINTED_NUMBER and allows `origin`; returns (customer, pool, numbers): the customer's
        uuid is the site's advid."""
        s = s or self.alice
        ndc = str(next(_area_codes))
        numbers = ["+46%s%06d" % (ndc, i) for i in range(count)]
        self.server.cli("numbers", "add", *numbers, check=True)
        customer = self.one(self.call(s, "POST", "/customers", data={
            "name": "Shop " + unique(), "custnr": unique("cn")}), "customers")
        fields = {"customer_id": customer["customer_id"], "name": "Web " + unique(),
                  "phonenr": "0890510", "ndc": ndc, "count": str(count), "is_default": "1",
                  "lease": "600", "numbers_to_replace": PRINTED_NUMBER,
                  "allowed_origins": origin}
        fields.update(pool_fields)
        pool = self.one(self.call(s, "POST", "/pools", data=fields), "pools")
        return customer, pool, numbers
