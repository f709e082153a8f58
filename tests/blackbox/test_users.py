"""/users (reference §2.9, docs/api.md): login users of a partner's customers."""

import unittest

from harness import TIME_RE, ServerTestCase, unique

USER_KEYS = {"user_id", "name", "email", "write_access", "receive_monthly_report",
             "customer_id", "token", "created", "modified"}


class UsersTest(ServerTestCase):
    PARTNERS = {
        "alice": dict(password="alice-pw"),
        "bob": dict(password="bob-pw"),
    }

    def setUp(self):
        self.alice = self.session("alice")
        self.bob = self.session("bob")
        self.customer = self.new_customer(self.alice)

    def new_customer(self, s):
        resp = self.call(s, "POST", "/customers", data={"name": "C", "custnr": unique("cn")})
        return self.one(resp, "customers")["customer_id"]

    def create(self, s=None, customer_id=None, **fields):
        fields.setdefault("email", unique("user") + "@example.com")
        fields["customer_id"] = customer_id or self.customer
        return self.one(self.call(s or self.alice, "POST", "/users", data=fields), "users")

    def get(self, uid, s=None):
        return self.call(s or self.alice, "GET", "/users/%s" % uid)

    # -- create ---------------------------------------------------------------------------
    def test_create_user_shape_and_token(self):
        email = unique("anna") + "@example.com"
        u = self.create(email=email, name="Anna", write_access="1", receive_monthly_report="2")
        self.assertEqual(set(u), USER_KEYS)
        self.assertRegex(u["user_id"], r"^[1-9][0-9]*$")
        self.assertEqual(u["email"], email)
        self.assertEqual(u["name"], "Anna")
        self.assertEqual(u["write_access"], "1")
        self.assertEqual(u["receive_monthly_report"], "2")
        self.assertEqual(u["customer_id"], self.customer)
        self.assertIsInstance(u["token"], str)
        self.assertTrue(u["token"].strip(), "empty activation token")
        self.assertRegex(u["created"], TIME_RE)
        self.assert_scalars_are_strings(u, nullable={"name"})

    def test_tokens_differ_between_users(self):
        self.assertNotEqual(self.create()["token"], self.create()["token"])

    def test_minimal_user_defaults(self):
        u = self.create()
        self.assertIn(u["write_access"], ("0",))
        self.assertIn(u["receive_monthly_report"], ("0",))
        self.assertIn(u["name"], (None, ""))

    def test_create_validation(self):
        cases = [
            ({"email": None}, 400, "missing", "email"),
            ({"email": ""}, 400, "missing", "email"),
            ({"email": "u" * 49 + "@example.com"}, 400, "too_long", "email"),
            ({"email": "not-an-address"}, 400, "invalid", "email"),
            ({"customer_id": None}, 400, "missing", "customer_id"),
            ({"customer_id": "987654321"}, 404, "not_found", "customer_id"),
            ({"name": "n" * 61}, 400, "too_long", "name"),
            ({"write_access": "2"}, 400, "invalid", "write_access"),
            ({"receive_monthly_report": "3"}, 400, "invalid", "receive_monthly_report"),
            ({"password": "x"}, 400, "unknown_parameter", "password"),
        ]
        for change, status, code, field in cases:
            with self.subTest(change=change):
                data = {"email": unique("v") + "@example.com", "customer_id": self.customer}
                data.update(change)
                data = {k: v for k, v in data.items() if v is not None}
                self.assert_error(self.call(self.alice, "POST", "/users", data=data),
                                  status, code, field)
        listed = self.ok(self.call(self.alice, "GET", "/users",
                                   params={"customer_id": self.customer}), "users")
        self.assertEqual(listed, [], "a refused POST left a user")

    def test_email_of_60_characters_is_fine(self):
        email = unique("u").ljust(48, "u") + "@example.com"
        self.assertEqual(len(email), 60)
        self.assertEqual(self.create(email=email)["email"], email)

    def test_email_is_unique_on_the_platform(self):
        email = unique("dup") + "@example.com"
        self.create(email=email)
        other_customer = self.new_customer(self.alice)
        resp = self.call(self.alice, "POST", "/users",
                         data={"email": email, "customer_id": other_customer})
        self.assert_error(resp, 409, "duplicate", "email")
        bobs_customer = self.new_customer(self.bob)
        resp = self.call(self.bob, "POST", "/users",
                         data={"email": email, "customer_id": bobs_customer})
        self.assert_error(resp, 409, "duplicate", "email")
        listed = self.ok(self.call(self.bob, "GET", "/users",
                                   params={"customer_id": bobs_customer}), "users")
        self.assertEqual(listed, [])

    def test_create_for_another_partners_customer_is_404(self):
        bobs_customer = self.new_customer(self.bob)
        resp = self.call(self.alice, "POST", "/users",
                         data={"email": unique("x") + "@example.com",
                               "customer_id": bobs_customer})
        self.assert_error(resp, 404, "not_found", "customer_id")

    # -- read -----------------------------------------------------------------------------
    def test_get_by_id_and_by_customer(self):
        u1 = self.create()
        u2 = self.create()
        elsewhere = self.create(customer_id=self.new_customer(self.alice))
        self.assertEqual(self.one(self.get(u1["user_id"]), "users"), u1)
        resp = self.call(self.alice, "GET", "/users", params={"user_id": u2["user_id"]})
        self.assertEqual(self.one(resp, "users"), u2)
        resp = self.call(self.alice, "GET", "/2.4.9/users/%s" % u2["user_id"])
        self.assertEqual(self.one(resp, "users"), u2)
        resp = self.call(self.alice, "GET", "/users", params={"customer_id": self.customer})
        self.assertEqual([u["user_id"] for u in self.ok(resp, "users")],
                         [u1["user_id"], u2["user_id"]])
        self.assertEqual(resp.json()["total"], "2")
        everyone = self.ok(self.call(self.alice, "GET", "/users"), "users")
        ids = [u["user_id"] for u in everyone]
        for u in (u1, u2, elsewhere):
            self.assertIn(u["user_id"], ids)

    def test_get_unknown_user_is_404(self):
        self.assert_error(self.get(987654321), 404, "not_found", "user_id")

    # -- update ---------------------------------------------------------------------------
    def test_put_changes_only_given_fields(self):
        u = self.create(name="Before", write_access="0", receive_monthly_report="0")
        resp = self.call(self.alice, "PUT", "/users/%s" % u["user_id"],
                         data={"write_access": "1"})
        updated = self.one(resp, "users")
        self.assertEqual(updated["write_access"], "1")
        for key in ("name", "email", "receive_monthly_report", "customer_id", "token"):
            self.assertEqual(updated[key], u[key], key)
        resp = self.call(self.alice, "PUT", "/users",
                         data={"user_id": u["user_id"], "name": "After",
                               "receive_monthly_report": "1"})
        updated = self.one(resp, "users")
        self.assertEqual((updated["name"], updated["receive_monthly_report"],
                          updated["write_access"]), ("After", "1", "1"))
        self.assertEqual(self.one(self.get(u["user_id"]), "users"), updated)

    def test_put_refuses_email_and_unknown_parameters(self):
        u = self.create()
        path = "/users/%s" % u["user_id"]
        for data, code, field in (
                ({"email": "new@example.com"}, "unknown_parameter", "email"),
                ({"colour": "red"}, "unknown_parameter", "colour"),
                ({"customer_id": self.customer}, "unknown_parameter", "customer_id"),
                ({"write_access": "5"}, "invalid", "write_access"),
                ({"name": "n" * 61}, "too_long", "name")):
            with self.subTest(data=data):
                self.assert_error(self.call(self.alice, "PUT", path, data=data), 400, code,
                                  field)
        self.assertEqual(self.one(self.get(u["user_id"]), "users"), u)

    def test_put_without_or_with_unknown_id(self):
        self.assert_error(self.call(self.alice, "PUT", "/users", data={"name": "x"}),
                          400, "missing", "user_id")
        self.assert_error(self.call(self.alice, "PUT", "/users/987654321", data={"name": "x"}),
                          404, "not_found", "user_id")

    # -- delete ---------------------------------------------------------------------------
    def test_delete_returns_the_user(self):
        u = self.create()
        deleted = self.one(self.call(self.alice, "DELETE", "/users/%s" % u["user_id"]), "users")
        self.assertEqual(deleted["user_id"], u["user_id"])
        self.assertEqual(deleted["email"], u["email"])
        self.assert_error(self.get(u["user_id"]), 404, "not_found", "user_id")
        self.assert_error(self.call(self.alice, "DELETE", "/users/%s" % u["user_id"]),
                          404, "not_found", "user_id")

    def test_delete_by_parameter(self):
        u = self.create()
        resp = self.call(self.alice, "DELETE", "/users", params={"user_id": u["user_id"]})
        self.assertEqual(self.one(resp, "users")["user_id"], u["user_id"])
        self.assert_error(self.get(u["user_id"]), 404, "not_found")

    def test_deleting_the_customer_deletes_its_users(self):
        u = self.create()
        resp = self.call(self.alice, "DELETE", "/customers/%s" % self.customer)
        self.ok(resp, "customers")
        self.assert_error(self.get(u["user_id"]), 404, "not_found", "user_id")

    # -- activation -----------------------------------------------------------------------
    def test_activate(self):
        u = self.create()
        resp = self.call(self.alice, "POST", "/users/activate",
                         data={"user_id": u["user_id"], "token": u["token"] + "x"})
        self.assert_error(resp, 400, "invalid", "token")
        self.assertEqual(self.one(self.get(u["user_id"]), "users")["token"], u["token"])

        resp = self.call(self.alice, "POST", "/users/activate",
                         data={"user_id": u["user_id"], "token": u["token"]})
        self.assertEqual(resp.status_code, 200, resp.text)
        body = self.json_of(resp)
        if "users" in body:
            self.assertIsNone(body["users"][0]["token"])
        got = self.one(self.get(u["user_id"]), "users")
        self.assertIsNone(got["token"])
        self.assertEqual(got["email"], u["email"])

        resp = self.call(self.alice, "POST", "/users/activate",
                         data={"user_id": u["user_id"], "token": u["token"]})
        self.assert_error(resp, 400, "invalid", "token")

    def test_activate_needs_its_parameters(self):
        u = self.create()
        self.assert_error(self.call(self.alice, "POST", "/users/activate",
                                    data={"user_id": u["user_id"]}), 400, "missing", "token")
        self.assert_error(self.call(self.alice, "POST", "/users/activate",
                                    data={"user_id": "987654321", "token": "abc"}),
                          404, "not_found", "user_id")

    # -- isolation ------------------------------------------------------------------------
    def test_other_partner_cannot_see_or_touch(self):
        u = self.create()
        uid = u["user_id"]
        for method, path, kwargs in (
                ("GET", "/users/%s" % uid, {}),
                ("GET", "/users", {"params": {"user_id": uid}}),
                ("PUT", "/users/%s" % uid, {"data": {"name": "Stolen"}}),
                ("PUT", "/users", {"data": {"user_id": uid, "name": "Stolen"}}),
                ("POST", "/users/activate", {"data": {"user_id": uid, "token": u["token"]}}),
                ("DELETE", "/users/%s" % uid, {}),
                ("DELETE", "/users", {"params": {"user_id": uid}})):
            with self.subTest(method=method, path=path, kwargs=kwargs):
                resp = self.call(self.bob, method, path, **kwargs)
                self.assert_error(resp, 404, "not_found", "user_id")
        everyone = self.ok(self.call(self.bob, "GET", "/users"), "users")
        self.assertNotIn(uid, [x["user_id"] for x in everyone])
        resp = self.call(self.bob, "GET", "/users", params={"customer_id": self.customer})
        if resp.status_code == 404:
            self.assert_error(resp, 404, "not_found", "customer_id")
        else:
            self.assertEqual(self.ok(resp, "users"), [])
        self.assertEqual(self.one(self.get(uid), "users"), u)


if __name__ == "__main__":
    unittest.main()
