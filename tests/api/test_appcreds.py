"""Application credentials (/v3/users/{id}/application_credentials), the
application_credential auth method, and access rules
(/v3/users/{id}/access_rules).

Keystone: keystone/api/users.py (created with the caller's own
project-scoped token: project_id and default roles from the token; only
for oneself, 403 otherwise; explicit roles must be among the token's, 400
otherwise; the secret is shown only on create; a restricted app-cred token
may not manage app creds: 403), keystone/application_credential/schema.py,
keystone/application_credential/core.py (name unique per user: 409;
deleted with the user and when the user loses its role on the project),
keystone/common/utils.py parse_expiration_date (past -> 400, bad -> 400),
keystone/auth/plugins/token.py (a delegated token cannot make another
token: 403), /work/notes/tempest-identity-spec.md 6.20."""
import datetime
import uuid

from lib import (BASE, TestCase, call, delete, get, issue, member_context,
                 new_project, new_user, post, project_scope, put, role_id,
                 token_for, uniq)


def ac_auth(ac_id=None, secret=None, name=None, user=None, scope=None):
    cred = {"secret": secret}
    if ac_id:
        cred["id"] = ac_id
    if name:
        cred["name"] = name
        cred["user"] = user
    auth = {"identity": {"methods": ["application_credential"],
                         "application_credential": cred}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


class Base(TestCase):
    def setUp(self):
        self.p = new_project()
        self.u = new_user(project=self.p["id"])
        self.tok = token_for(self.u, project_scope(self.p["id"]))

    def path(self, ac_id=None, user=None):
        u = user or self.u
        return "/users/%s/application_credentials" % u["id"] + (
            "/" + ac_id if ac_id else "")

    def create(self, token=None, **attrs):
        body = {"name": uniq("ac")}
        body.update(attrs)
        r = post(self.path(), {"application_credential": body}, token=token or self.tok)
        if r.status != 201:
            raise AssertionError("cannot create application credential: %r" % r)
        return r.body["application_credential"]


class TestApplicationCredentials(Base):
    def test_create_201_and_fields(self):
        r = post(self.path(), {"application_credential": {"name": "ac1",
                                                          "description": "d"}},
                 token=self.tok)
        self.assertStatus(r, 201)
        ac = r.body["application_credential"]
        self.assertEqual(ac["name"], "ac1")
        self.assertEqual(ac["description"], "d")
        self.assertEqual(ac["project_id"], self.p["id"])
        self.assertEqual(ac["user_id"], self.u["id"])
        self.assertTrue(ac["secret"])
        self.assertIsNone(ac["expires_at"])
        self.assertFalse(ac["unrestricted"])
        self.assertEqual(sorted(x["name"] for x in ac["roles"]), ["member", "reader"])
        self.assertIn("links", ac)
        r = get(self.path(ac["id"]), token=self.tok)
        self.assertStatus(r, 200)
        got = r.body["application_credential"]
        self.assertNotIn("secret", got)
        self.assertEqual(got["name"], "ac1")
        self.assertEqual(got["project_id"], self.p["id"])

    def test_auth_by_id_and_by_name(self):
        ac = self.create()
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        self.assertStatus(r, 201)
        t = r.body["token"]
        self.assertEqual(t["methods"], ["application_credential"])
        self.assertEqual(t["project"]["id"], self.p["id"])
        self.assertEqual(t["user"]["id"], self.u["id"])
        self.assertEqual(t["application_credential"]["id"], ac["id"])
        self.assertEqual(t["application_credential"]["name"], ac["name"])
        self.assertIs(t["application_credential"]["restricted"], True)
        self.assertIn("member", {x["name"] for x in t["roles"]})
        self.assertIn("catalog", t)
        r = post("/auth/tokens", ac_auth(name=ac["name"], secret=ac["secret"],
                                         user={"id": self.u["id"]}), token=None)
        self.assertStatus(r, 201)
        r = post("/auth/tokens", ac_auth(name=ac["name"], secret=ac["secret"],
                                         user={"name": self.u["name"],
                                               "domain": {"id": "default"}}), token=None)
        self.assertStatus(r, 201)
        tok = r.headers["X-Subject-Token"]
        self.assertStatus(get("/auth/catalog", token=tok), 200)

    def test_wrong_secret_401(self):
        ac = self.create()
        self.assertError(post("/auth/tokens", ac_auth(ac["id"], "wrong"), token=None), 401)
        self.assertError(post("/auth/tokens", ac_auth(uuid.uuid4().hex, ac["secret"]),
                              token=None), 401)

    def test_explicit_secret_and_roles(self):
        ac = self.create(secret="my-own-secret", roles=[{"name": "reader"}])
        self.assertEqual(ac["secret"], "my-own-secret")
        self.assertEqual([x["name"] for x in ac["roles"]], ["reader"])
        r = post("/auth/tokens", ac_auth(ac["id"], "my-own-secret"), token=None)
        self.assertStatus(r, 201)
        self.assertEqual([x["name"] for x in r.body["token"]["roles"]], ["reader"])

    def test_roles_by_id(self):
        ac = self.create(roles=[{"id": role_id("member")}])
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        self.assertStatus(r, 201)
        self.assertIn(role_id("member"), [x["id"] for x in r.body["token"]["roles"]])
        self.assertNotIn(role_id("admin"), [x["id"] for x in r.body["token"]["roles"]])

    def test_role_not_held_400(self):
        name = uniq("ac")
        r = post(self.path(), {"application_credential": {
            "name": name, "roles": [{"id": role_id("admin")}]}}, token=self.tok)
        self.assertError(r, 400)
        r = get(self.path(), token=self.tok, params={"name": name})
        self.assertEqual(r.body["application_credentials"], [])

    def test_list_and_filter_by_name(self):
        a, b = self.create(), self.create()
        r = get(self.path(), token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(sorted(x["id"] for x in r.body["application_credentials"]),
                         sorted([a["id"], b["id"]]))
        for x in r.body["application_credentials"]:
            self.assertNotIn("secret", x)
        r = get(self.path(), token=self.tok, params={"name": b["name"]})
        self.assertEqual([x["id"] for x in r.body["application_credentials"]], [b["id"]])

    def test_expires_at(self):
        when = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).replace(
            microsecond=123456)
        ac = self.create(expires_at=when.isoformat())
        self.assertEqual(ac["expires_at"], when.isoformat())
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        self.assertStatus(r, 201)
        exp = r.body["token"]["expires_at"]
        self.assertLessEqual(exp[:19], when.isoformat()[:19],
                             "the token must not outlive the credential")

    def test_expires_at_in_the_past_400(self):
        name = uniq("ac")
        r = post(self.path(), {"application_credential": {
            "name": name, "expires_at": "2001-01-01T00:00:00Z"}}, token=self.tok)
        self.assertError(r, 400)
        self.assertEqual(get(self.path(), token=self.tok, params={"name": name})
                         .body["application_credentials"], [])

    def test_expires_at_malformed_400(self):
        r = post(self.path(), {"application_credential": {
            "name": uniq("ac"), "expires_at": "tomorrow"}}, token=self.tok)
        self.assertError(r, 400)

    def test_duplicate_name_409(self):
        ac = self.create()
        r = post(self.path(), {"application_credential": {"name": ac["name"]}},
                 token=self.tok)
        self.assertError(r, 409)
        self.assertEqual(len(get(self.path(), token=self.tok, params={"name": ac["name"]})
                             .body["application_credentials"]), 1)

    def test_missing_name_400(self):
        r = post(self.path(), {"application_credential": {"description": "x"}},
                 token=self.tok)
        self.assertError(r, 400, "name")

    def test_name_wrong_type_400(self):
        r = post(self.path(), {"application_credential": {"name": 12}}, token=self.tok)
        self.assertError(r, 400, "name")

    def test_unrestricted_wrong_type_400(self):
        r = post(self.path(), {"application_credential": {"name": uniq("a"),
                                                          "unrestricted": "yes"}},
                 token=self.tok)
        self.assertError(r, 400, "unrestricted")

    def test_malformed_json_400(self):
        r = call("POST", self.path(), token=self.tok, data="{{",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_delete_204_then_auth_fails(self):
        ac = self.create()
        self.assertStatus(post("/auth/tokens", ac_auth(ac["id"], ac["secret"]),
                               token=None), 201)
        self.assertStatus(delete(self.path(ac["id"]), token=self.tok), 204)
        self.assertError(get(self.path(ac["id"]), token=self.tok), 404)
        self.assertError(delete(self.path(ac["id"]), token=self.tok), 404)
        self.assertError(post("/auth/tokens", ac_auth(ac["id"], ac["secret"]),
                              token=None), 401)

    def test_deleting_the_credential_revokes_its_tokens(self):
        ac = self.create()
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        tok = r.headers["X-Subject-Token"]
        self.assertStatus(delete(self.path(ac["id"]), token=self.tok), 204)
        self.assertTokenInvalid(tok)

    def test_losing_the_role_removes_the_credential(self):
        ac = self.create()
        self.assertStatus(delete("/projects/%s/users/%s/roles/%s" % (
            self.p["id"], self.u["id"], role_id("member"))), 204)
        self.assertError(post("/auth/tokens", ac_auth(ac["id"], ac["secret"]),
                              token=None), 401)

    def test_deleting_the_user_removes_its_credentials(self):
        ac = self.create()
        self.assertStatus(delete("/users/" + self.u["id"]), 204)
        self.assertError(post("/auth/tokens", ac_auth(ac["id"], ac["secret"]),
                              token=None), 401)

    def test_unknown_404(self):
        self.assertError(get(self.path(uuid.uuid4().hex), token=self.tok), 404)
        self.assertError(delete(self.path(uuid.uuid4().hex), token=self.tok), 404)


class TestApplicationCredentialRules(Base):
    def test_member_cannot_create_for_another_user_403(self):
        other = new_user()
        r = post(self.path(user=other), {"application_credential": {"name": uniq("a")}},
                 token=self.tok)
        self.assertError(r, 403)
        self.assertEqual(get(self.path(user=other)).body["application_credentials"], [])

    def test_admin_cannot_create_for_another_user_403(self):
        r = post(self.path(), {"application_credential": {"name": uniq("a")}})
        self.assertError(r, 403)
        self.assertEqual(get(self.path(), token=self.tok).body["application_credentials"],
                         [])

    def test_admin_may_list_and_read_and_delete(self):
        ac = self.create()
        r = get(self.path())
        self.assertStatus(r, 200)
        self.assertIdIn(ac["id"], r.body["application_credentials"])
        self.assertStatus(get(self.path(ac["id"])), 200)
        self.assertStatus(delete(self.path(ac["id"])), 204)

    def test_member_cannot_see_or_delete_anothers_credentials(self):
        # the house rule (src/identity/api.c nb_id_enforce_entity): a read of
        # what the caller cannot see is a 404, a denied write a 403 whether
        # or not the entity exists (tempest test_project_delete_by_unauthorized_user)
        ac = self.create()
        m = member_context()
        self.assertError(get(self.path(), token=m["token"]), 404)
        self.assertError(get(self.path(ac["id"]), token=m["token"]), 404)
        self.assertError(delete(self.path(ac["id"]), token=m["token"]), 403)
        self.assertStatus(get(self.path(ac["id"]), token=self.tok), 200)

    def test_restricted_token_cannot_manage_credentials_403(self):
        ac = self.create()
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        actok = r.headers["X-Subject-Token"]
        r = post(self.path(), {"application_credential": {"name": uniq("a")}},
                 token=actok)
        self.assertError(r, 403)
        self.assertError(delete(self.path(ac["id"]), token=actok), 403)
        self.assertStatus(get(self.path(ac["id"]), token=self.tok), 200)

    def test_unrestricted_token_may_create_credentials(self):
        ac = self.create(unrestricted=True)
        self.assertIs(ac["unrestricted"], True)
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        actok = r.headers["X-Subject-Token"]
        self.assertIs(r.body["token"]["application_credential"]["restricted"], False)
        r = post(self.path(), {"application_credential": {"name": uniq("a")}},
                 token=actok)
        self.assertStatus(r, 201)

    def test_app_cred_token_cannot_make_another_token_403(self):
        ac = self.create()
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        actok = r.headers["X-Subject-Token"]
        r = post("/auth/tokens", {"auth": {"identity": {"methods": ["token"],
                                                        "token": {"id": actok}}}},
                 token=None)
        self.assertError(r, 403)

    def test_app_cred_auth_with_other_scope_401(self):
        ac = self.create()
        other = new_project()
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"],
                                         scope=project_scope(other["id"])), token=None)
        self.assertError(r, 401)

    def test_app_cred_auth_with_its_own_scope_401(self):
        # keystone/auth/core.py: "Application credentials cannot request a
        # scope."
        ac = self.create()
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"],
                                         scope=project_scope(self.p["id"])), token=None)
        self.assertError(r, 401)

    def test_app_cred_of_disabled_user_401(self):
        ac = self.create()
        self.assertStatus(call("PATCH", "/users/" + self.u["id"],
                               json={"user": {"enabled": False}}), 200)
        self.assertError(post("/auth/tokens", ac_auth(ac["id"], ac["secret"]),
                              token=None), 401)

    def test_no_token_401(self):
        self.assertError(get(self.path(), token=None), 401)


class TestAccessRules(Base):
    RULE = {"service": "compute", "method": "GET", "path": "/v2.1/servers/*/ips"}

    def rules_path(self, rule_id=None, user=None):
        u = user or self.u
        return "/users/%s/access_rules" % u["id"] + ("/" + rule_id if rule_id else "")

    def test_access_rule_lifecycle(self):
        ac = self.create(access_rules=[dict(self.RULE)])
        self.assertEqual(len(ac["access_rules"]), 1)
        rule = ac["access_rules"][0]
        for k, v in self.RULE.items():
            self.assertEqual(rule[k], v)
        self.assertTrue(rule["id"])
        r = get(self.rules_path(), token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["access_rules"]], [rule["id"]])
        r = get(self.rules_path(rule["id"]), token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["access_rule"]["path"], self.RULE["path"])
        # in use by the credential: 403
        self.assertError(delete(self.rules_path(rule["id"]), token=self.tok), 403)
        self.assertStatus(get(self.rules_path(rule["id"]), token=self.tok), 200)
        self.assertStatus(delete(self.path(ac["id"]), token=self.tok), 204)
        # the rule outlives the credential until deleted
        self.assertEqual(len(get(self.rules_path(), token=self.tok).body["access_rules"]),
                         1)
        self.assertStatus(delete(self.rules_path(rule["id"]), token=self.tok), 204)
        self.assertError(get(self.rules_path(rule["id"]), token=self.tok), 404)
        self.assertEqual(get(self.rules_path(), token=self.tok).body["access_rules"], [])

    def test_app_cred_token_names_its_access_rules(self):
        ac = self.create(access_rules=[dict(self.RULE)])
        r = post("/auth/tokens", ac_auth(ac["id"], ac["secret"]), token=None)
        self.assertStatus(r, 201)
        ac_ref = r.body["token"]["application_credential"]
        self.assertIn("access_rules", ac_ref)
        self.assertEqual(ac_ref["access_rules"][0]["path"], self.RULE["path"])

    def test_bad_access_rule_method_400(self):
        r = post(self.path(), {"application_credential": {
            "name": uniq("a"), "access_rules": [dict(self.RULE, method="FETCH")]}},
            token=self.tok)
        self.assertError(r, 400)
        self.assertEqual(get(self.rules_path(), token=self.tok).body["access_rules"], [])

    def test_bad_access_rule_path_400(self):
        r = post(self.path(), {"application_credential": {
            "name": uniq("a"), "access_rules": [dict(self.RULE, path="no-slash")]}},
            token=self.tok)
        self.assertError(r, 400)

    def test_unknown_access_rule_property_400(self):
        r = post(self.path(), {"application_credential": {
            "name": uniq("a"), "access_rules": [dict(self.RULE, extra="x")]}},
            token=self.tok)
        self.assertError(r, 400)

    def test_unknown_access_rule_404(self):
        self.assertError(get(self.rules_path(uuid.uuid4().hex), token=self.tok), 404)
        self.assertError(delete(self.rules_path(uuid.uuid4().hex), token=self.tok), 404)

    def test_member_cannot_see_or_delete_anothers_rules(self):
        ac = self.create(access_rules=[dict(self.RULE)])
        rid = ac["access_rules"][0]["id"]
        m = member_context()
        self.assertError(get(self.rules_path(rid), token=m["token"]), 404)
        self.assertError(get(self.rules_path(), token=m["token"]), 404)
        self.assertError(delete(self.rules_path(rid), token=m["token"]), 403)

    def test_no_token_401(self):
        self.assertError(get(self.rules_path(), token=None), 401)
