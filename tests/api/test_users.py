"""/v3/users: CRUD, validation, self-service password change, RBAC.

Keystone: keystone/api/users.py (UserChangePasswordResource is unenforced:
the original password authorises the change; a failed check is 401
"Error when changing user password"), keystone/identity/schema.py
(user_create: name 1..255 not blank, password string or null;
password_change: original_password and password required, nothing else),
keystone/identity/core.py (a domain cannot be a default project: 400;
domain_id cannot change: 400)."""
import uuid

from lib import (BASE, TestCase, call, delete, get, issue, member_context,
                 new_domain, new_group, new_project, new_user, patch, post, put,
                 token_for, uniq)


class TestUserCrud(TestCase):
    def test_create_201_and_fields(self):
        name = uniq("user")
        r = post("/users", {"user": {"name": name, "password": "pw1",
                                     "email": "u@example.com"}})
        self.assertStatus(r, 201)
        u = r.body["user"]
        self.assertEqual(u["name"], name)
        self.assertEqual(u["domain_id"], "default")
        self.assertIs(u["enabled"], True)
        self.assertIn("password_expires_at", u)
        self.assertIsNone(u["password_expires_at"])
        self.assertEqual(u["email"], "u@example.com")
        self.assertEqual(u["links"]["self"], BASE + "/identity/v3/users/" + u["id"])
        for secret in ("password", "password_hash"):
            self.assertNotIn(secret, u)
        self.assertNotIn("default_project_id", u)
        got = self.assertExists("/users/" + u["id"])["user"]
        self.assertEqual(got["name"], name)
        self.assertNotIn("password", got)
        self.assertNotIn("password_hash", got)
        self.assertStatus(issue({"id": u["id"]}, "pw1"), 201)

    def test_create_with_default_project(self):
        p = new_project()
        u = new_user(default_project_id=p["id"])
        self.assertEqual(u["default_project_id"], p["id"])
        self.assertEqual(self.assertExists("/users/" + u["id"])["user"]
                         ["default_project_id"], p["id"])

    def test_create_in_other_domain(self):
        d = new_domain()
        u = new_user(domain_id=d["id"])
        self.assertEqual(u["domain_id"], d["id"])
        self.assertStatus(issue({"name": u["name"], "domain": {"id": d["id"]}},
                                u["password"]), 201)

    def test_same_name_in_other_domain_201(self):
        u = new_user()
        d = new_domain()
        r = post("/users", {"user": {"name": u["name"], "domain_id": d["id"]}})
        self.assertStatus(r, 201)

    def test_create_without_password_cannot_log_in(self):
        u = new_user(password=None)
        self.assertError(issue({"id": u["id"]}, ""), 401)

    def test_list_and_filters(self):
        d = new_domain()
        u1 = new_user(domain_id=d["id"])
        u2 = new_user(domain_id=d["id"], enabled=False)
        r = get("/users")
        self.assertStatus(r, 200)
        self.assertIdIn(u1["id"], r.body["users"])
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/users")
        for x in r.body["users"]:
            self.assertNotIn("password", x)
            self.assertNotIn("password_hash", x)
        ids = lambda **q: sorted(x["id"] for x in get("/users", params=q).body["users"])
        self.assertEqual(ids(domain_id=d["id"]), sorted([u1["id"], u2["id"]]))
        self.assertEqual(ids(name=u1["name"]), [u1["id"]])
        self.assertEqual(ids(domain_id=d["id"], enabled="false"), [u2["id"]])

    def test_list_self_link_keeps_the_query(self):
        u = new_user()
        r = get("/users", params={"name": u["name"]})
        self.assertEqual(r.body["links"]["self"],
                         BASE + "/identity/v3/users?name=" + u["name"])
        self.assertIsNone(r.body["links"]["next"])
        self.assertIsNone(r.body["links"]["previous"])

    def test_update_200(self):
        u = new_user()
        name = uniq("renamed")
        r = patch("/users/" + u["id"], {"user": {"name": name, "email": "n@x.y",
                                                 "enabled": False}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["user"]["name"], name)
        self.assertEqual(r.body["user"]["email"], "n@x.y")
        self.assertIs(r.body["user"]["enabled"], False)
        self.assertNotIn("password", r.body["user"])
        got = self.assertExists("/users/" + u["id"])["user"]
        self.assertEqual(got["name"], name)
        self.assertIs(got["enabled"], False)

    def test_update_password_by_admin(self):
        u = new_user()
        self.assertStatus(patch("/users/" + u["id"], {"user": {"password": "next"}}),
                          200)
        self.assertError(issue({"id": u["id"]}, u["password"]), 401)
        self.assertStatus(issue({"id": u["id"]}, "next"), 201)

    def test_update_default_project(self):
        u = new_user()
        p = new_project()
        r = patch("/users/" + u["id"], {"user": {"default_project_id": p["id"]}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["user"]["default_project_id"], p["id"])

    def test_delete_204_then_404(self):
        u = new_user()
        self.assertStatus(delete("/users/" + u["id"]), 204)
        self.assertGone("/users/" + u["id"])
        self.assertError(delete("/users/" + u["id"]), 404)
        self.assertError(issue({"id": u["id"]}, u["password"]), 401)

    def test_delete_removes_assignments_and_memberships(self):
        p = new_project()
        g = new_group()
        u = new_user(project=p["id"])
        self.assertStatus(put("/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        self.assertStatus(delete("/users/" + u["id"]), 204)
        r = get("/role_assignments", params={"user.id": u["id"]})
        self.assertEqual(r.body["role_assignments"], [])
        r = get("/groups/%s/users" % g["id"])
        self.assertIdNotIn(u["id"], r.body["users"])

    def test_user_groups_list(self):
        u = new_user()
        g1, g2 = new_group(), new_group()
        self.assertStatus(put("/groups/%s/users/%s" % (g1["id"], u["id"])), 204)
        r = get("/users/%s/groups" % u["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["groups"]], [g1["id"]])
        self.assertIdNotIn(g2["id"], r.body["groups"])
        # the user may list its own groups
        r = get("/users/%s/groups" % u["id"], token=token_for(u))
        self.assertStatus(r, 200)
        self.assertIdIn(g1["id"], r.body["groups"])

    def test_user_groups_unknown_user_404(self):
        self.assertError(get("/users/%s/groups" % uuid.uuid4().hex), 404)


class TestUserErrors(TestCase):
    def count(self, name):
        return len(get("/users", params={"name": name}).body["users"])

    def test_duplicate_name_409(self):
        u = new_user()
        self.assertError(post("/users", {"user": {"name": u["name"]}}), 409)
        self.assertEqual(self.count(u["name"]), 1)

    def test_rename_to_existing_409(self):
        u1, u2 = new_user(), new_user()
        self.assertError(patch("/users/" + u2["id"], {"user": {"name": u1["name"]}}),
                         409)
        self.assertEqual(self.assertExists("/users/" + u2["id"])["user"]["name"],
                         u2["name"])

    def test_missing_name_400(self):
        self.assertError(post("/users", {"user": {"password": "x"}}), 400, "name")

    def test_missing_user_object_400(self):
        self.assertError(post("/users", {"name": uniq("u")}), 400, "user")

    def test_name_too_long_400(self):
        name = "u" * 256
        self.assertError(post("/users", {"user": {"name": name}}), 400, "name")
        self.assertEqual(self.count(name), 0)

    def test_name_255_chars_201(self):
        name = (uuid.uuid4().hex * 8)[:255]
        self.assertStatus(post("/users", {"user": {"name": name}}), 201)

    def test_name_blank_400(self):
        self.assertError(post("/users", {"user": {"name": "\t "}}), 400, "name")

    def test_password_wrong_type_400(self):
        name = uniq("u")
        r = post("/users", {"user": {"name": name, "password": 1234}})
        self.assertError(r, 400, "password")
        self.assertEqual(self.count(name), 0)

    def test_enabled_wrong_type_400(self):
        name = uniq("u")
        r = post("/users", {"user": {"name": name, "enabled": "true"}})
        self.assertError(r, 400, "enabled")
        self.assertEqual(self.count(name), 0)

    def test_default_project_wrong_type_400(self):
        name = uniq("u")
        r = post("/users", {"user": {"name": name, "default_project_id": 7}})
        self.assertError(r, 400, "default_project_id")
        self.assertEqual(self.count(name), 0)

    def test_default_project_is_a_domain_400(self):
        name = uniq("u")
        r = post("/users", {"user": {"name": name, "default_project_id": "default"}})
        self.assertError(r, 400)
        self.assertEqual(self.count(name), 0)

    def test_unknown_domain_404(self):
        name = uniq("u")
        r = post("/users", {"user": {"name": name, "domain_id": uuid.uuid4().hex}})
        self.assertError(r, 404)
        self.assertEqual(self.count(name), 0)

    def test_update_domain_400(self):
        u, d = new_user(), new_domain()
        self.assertError(patch("/users/" + u["id"], {"user": {"domain_id": d["id"]}}),
                         400)
        self.assertEqual(self.assertExists("/users/" + u["id"])["user"]["domain_id"],
                         "default")

    def test_update_empty_object_400(self):
        u = new_user()
        self.assertError(patch("/users/" + u["id"], {"user": {}}), 400)

    def test_update_enabled_wrong_type_400(self):
        u = new_user()
        self.assertError(patch("/users/" + u["id"], {"user": {"enabled": None}}), 400,
                         "enabled")
        self.assertIs(self.assertExists("/users/" + u["id"])["user"]["enabled"], True)

    def test_malformed_json_400(self):
        r = call("POST", "/users", data='{"user": {"name": "x",}}',
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_get_unknown_404(self):
        self.assertError(get("/users/" + uuid.uuid4().hex), 404)

    def test_update_unknown_404(self):
        self.assertError(patch("/users/" + uuid.uuid4().hex, {"user": {"email": "x"}}),
                         404)

    def test_delete_unknown_404(self):
        self.assertError(delete("/users/" + uuid.uuid4().hex), 404)


_OWN = object()


class TestPasswordChange(TestCase):
    def change(self, u, body, token=_OWN):
        """POSTs the change with the user's own token unless told."""
        if token is _OWN:
            token = token_for(u) if "password" in u else None
        return post("/users/%s/password" % u["id"], {"user": body}, token=token)

    def test_change_own_password_204(self):
        u = new_user()
        r = self.change(u, {"original_password": u["password"], "password": "new-1"},
                        token=token_for(u))
        self.assertStatus(r, 204)
        self.assertEqual(r.text, "")
        self.assertStatus(issue({"id": u["id"]}, "new-1"), 201)
        self.assertError(issue({"id": u["id"]}, u["password"]), 401)

    def test_change_without_a_token_204(self):
        # unenforced in Keystone: the original password is the credential
        u = new_user()
        r = self.change(u, {"original_password": u["password"], "password": "new-2"},
                        token=None)
        self.assertStatus(r, 204)
        self.assertStatus(issue({"id": u["id"]}, "new-2"), 201)

    def test_wrong_original_password_401(self):
        u = new_user()
        r = self.change(u, {"original_password": "wrong", "password": "new-3"},
                        token=token_for(u))
        self.assertError(r, 401)
        self.assertStatus(issue({"id": u["id"]}, u["password"]), 201)
        self.assertError(issue({"id": u["id"]}, "new-3"), 401)

    def test_unknown_user_401(self):
        u = {"id": uuid.uuid4().hex}
        r = self.change(u, {"original_password": "a", "password": "b"},
                        token=member_context()["token"])
        self.assertError(r, 401)

    def test_missing_original_password_400(self):
        u = new_user()
        r = self.change(u, {"password": "new-4"}, token=token_for(u))
        self.assertError(r, 400, "original_password")
        self.assertStatus(issue({"id": u["id"]}, u["password"]), 201)

    def test_missing_password_400(self):
        u = new_user()
        r = self.change(u, {"original_password": u["password"]})
        self.assertError(r, 400, "password")

    def test_password_wrong_type_400(self):
        u = new_user()
        r = self.change(u, {"original_password": u["password"], "password": 5})
        self.assertError(r, 400, "password")
        self.assertStatus(issue({"id": u["id"]}, u["password"]), 201)

    def test_extra_property_400(self):
        # password_change has additionalProperties: False
        u = new_user()
        r = self.change(u, {"original_password": u["password"], "password": "n",
                            "enabled": False})
        self.assertError(r, 400)
        self.assertStatus(issue({"id": u["id"]}, u["password"]), 201)

    def test_missing_user_object_400(self):
        u = new_user()
        r = post("/users/%s/password" % u["id"],
                 {"original_password": u["password"], "password": "n"})
        self.assertError(r, 400, "user")

    def test_malformed_json_400(self):
        u = new_user()
        r = call("POST", "/users/%s/password" % u["id"], token=token_for(u), data="{",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_get_password_405(self):
        u = new_user()
        self.assertStatus(get("/users/%s/password" % u["id"]), 405)


class TestUserRbac(TestCase):
    def test_member_get_self_200(self):
        m = member_context()
        r = get("/users/" + m["user"]["id"], token=m["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["user"]["name"], m["user"]["name"])

    def test_member_get_other_user_404(self):
        other = new_user()
        self.assertError(get("/users/" + other["id"], token=member_context()["token"]),
                         404)

    def test_member_list_users_403(self):
        self.assertError(get("/users", token=member_context()["token"]), 403)

    def test_member_create_user_403(self):
        name = uniq("u")
        r = post("/users", {"user": {"name": name}}, token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(get("/users", params={"name": name}).body["users"], [])

    def test_member_update_self_403(self):
        m = member_context()
        r = patch("/users/" + m["user"]["id"], {"user": {"email": "me@x"}},
                  token=m["token"])
        self.assertError(r, 403)
        self.assertNotEqual(self.assertExists("/users/" + m["user"]["id"])["user"]
                            .get("email"), "me@x")

    def test_member_update_other_user_403(self):
        # the house rule (src/identity/api.c nb_id_enforce_entity): a read of
        # what the caller cannot see is a 404, a denied write a 403 whether
        # or not the entity exists (tempest test_project_delete_by_unauthorized_user)
        other = new_user()
        r = patch("/users/" + other["id"], {"user": {"enabled": False}},
                  token=member_context()["token"])
        self.assertError(r, 403)
        self.assertIs(self.assertExists("/users/" + other["id"])["user"]["enabled"],
                      True)

    def test_member_delete_other_user_403(self):
        other = new_user()
        self.assertError(delete("/users/" + other["id"], token=member_context()["token"]),
                         403)
        self.assertExists("/users/" + other["id"])

    def test_member_list_other_users_groups_404(self):
        other = new_user()
        r = get("/users/%s/groups" % other["id"], token=member_context()["token"])
        self.assertError(r, 404)

    def test_no_token_401(self):
        self.assertError(get("/users", token=None), 401)
        self.assertError(get("/users/" + member_context()["user"]["id"], token=None),
                         401)
