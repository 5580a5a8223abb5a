"""POST/GET/HEAD/DELETE /v3/auth/tokens: issuing by password and token,
the scopes, validation, revocation, and bad input.

Keystone: keystone/api/auth.py (AuthTokenResource), keystone/auth/schema.py
(token_issue), keystone/api/_shared/authentication.py (default project
scoping, "unscoped"), keystone/auth/plugins/token.py (rescoping rules),
keystone/common/render_token.py (the token body), keystone/token/provider.py
(validate_token: TokenNotFound, 404)."""
import datetime
import uuid

from lib import (ADMIN_PASSWORD, BASE, SYSTEM_SCOPE, TestCase, admin_info, admin_token, call,
                 delete, domain_scope, get, grant_domain, issue, new_domain,
                 new_project, new_user, password_auth, patch, post,
                 project_scope, role_id, token_for, uniq)


def parse_time(s):
    return datetime.datetime.strptime(s.rstrip("Z").split(".")[0],
                                      "%Y-%m-%dT%H:%M:%S")


def token_auth(tok, scope=None):
    auth = {"identity": {"methods": ["token"], "token": {"id": tok}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


class TestPasswordIssue(TestCase):
    def test_issue_project_scoped_by_names_201(self):
        r = issue({"name": "admin", "domain": {"name": "Default"}},
                  ADMIN_PASSWORD,
                  {"project": {"name": "admin", "domain": {"name": "Default"}}})
        self.assertStatus(r, 201)
        self.assertTrue(r.token)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        t = r.body["token"]
        self.assertEqual(t["methods"], ["password"])
        self.assertEqual(t["user"]["name"], "admin")
        self.assertEqual(t["user"]["domain"], {"id": "default", "name": "Default"})
        self.assertIn("password_expires_at", t["user"])
        self.assertEqual(t["project"]["name"], "admin")
        self.assertEqual(t["project"]["domain"], {"id": "default", "name": "Default"})
        self.assertIs(t["is_domain"], False)
        names = {x["name"] for x in t["roles"]}
        # admin implies member implies reader (bootstrap's inference rules)
        self.assertTrue({"admin", "member", "reader"} <= names, names)
        for x in t["roles"]:
            self.assertEqual(set(x), {"id", "name"})
        self.assertEqual(len(t["audit_ids"]), 1)
        self.assertGreater(parse_time(t["expires_at"]), parse_time(t["issued_at"]))
        self.assertTrue(t["expires_at"].endswith("Z"))

    def test_issue_catalog_lists_identity_endpoints(self):
        r = issue({"name": "admin", "domain": {"id": "default"}}, ADMIN_PASSWORD,
                  {"project": {"name": "admin", "domain": {"id": "default"}}})
        self.assertStatus(r, 201)
        cat = r.body["token"]["catalog"]
        ident = [s for s in cat if s["type"] == "identity"]
        self.assertEqual(len(ident), 1, cat)
        self.assertTrue(ident[0]["id"])
        self.assertEqual(ident[0]["name"], "keystone")
        itfs = {e["interface"]: e for e in ident[0]["endpoints"]}
        self.assertEqual(set(itfs), {"public", "internal", "admin"})
        for e in itfs.values():
            self.assertEqual(e["url"].rstrip("/"), BASE + "/identity")
            self.assertEqual(e["region_id"], "RegionOne")
            self.assertEqual(e["region"], "RegionOne")
            self.assertTrue(e["id"])

    def test_issue_by_user_id_and_project_id_201(self):
        p = new_project()
        u = new_user(project=p["id"])
        r = issue({"id": u["id"]}, u["password"], project_scope(p["id"]))
        self.assertStatus(r, 201)
        t = r.body["token"]
        self.assertEqual(t["user"]["id"], u["id"])
        self.assertEqual(t["user"]["name"], u["name"])
        self.assertEqual(t["project"]["id"], p["id"])
        self.assertEqual(t["project"]["name"], p["name"])
        names = {x["name"] for x in t["roles"]}
        self.assertIn("member", names)
        self.assertIn("reader", names)       # implied by member
        self.assertNotIn("admin", names)

    def test_issue_nocatalog_omits_catalog(self):
        r = call("POST", "/auth/tokens", token=None, params={"nocatalog": ""},
                 json=password_auth({"name": "admin", "domain": {"id": "default"}},
                                    ADMIN_PASSWORD,
                                    {"project": {"name": "admin",
                                                 "domain": {"id": "default"}}}))
        self.assertStatus(r, 201)
        self.assertNotIn("catalog", r.body["token"])
        self.assertIn("project", r.body["token"])

    def test_issue_unscoped_has_no_project_roles_or_catalog(self):
        u = new_user()
        r = issue({"id": u["id"]}, u["password"])
        self.assertStatus(r, 201)
        t = r.body["token"]
        self.assertEqual(t["user"]["id"], u["id"])
        for k in ("project", "domain", "system", "roles", "catalog"):
            self.assertNotIn(k, t)

    def test_issue_default_project_scoping(self):
        p = new_project()
        u = new_user(project=p["id"], default_project_id=p["id"])
        r = issue({"id": u["id"]}, u["password"])
        self.assertStatus(r, 201)
        self.assertEqual(r.body["token"]["project"]["id"], p["id"])

    def test_issue_default_project_without_role_is_unscoped(self):
        p = new_project()
        u = new_user(default_project_id=p["id"])
        r = issue({"id": u["id"]}, u["password"])
        self.assertStatus(r, 201)
        self.assertNotIn("project", r.body["token"])

    def test_issue_explicit_unscoped_ignores_default_project(self):
        p = new_project()
        u = new_user(project=p["id"], default_project_id=p["id"])
        r = issue({"id": u["id"]}, u["password"], "unscoped")
        self.assertStatus(r, 201)
        self.assertNotIn("project", r.body["token"])
        self.assertNotIn("roles", r.body["token"])

    def test_issue_domain_scoped(self):
        d = new_domain()
        u = new_user()
        grant_domain(d["id"], u["id"], role_id("admin"))
        r = issue({"id": u["id"]}, u["password"], domain_scope(d["id"]))
        self.assertStatus(r, 201)
        t = r.body["token"]
        self.assertEqual(t["domain"], {"id": d["id"], "name": d["name"]})
        self.assertNotIn("project", t)
        self.assertIn("admin", {x["name"] for x in t["roles"]})
        self.assertIsInstance(t["catalog"], list)

    def test_issue_domain_scoped_by_name(self):
        d = new_domain()
        u = new_user()
        grant_domain(d["id"], u["id"], role_id("reader"))
        r = issue({"id": u["id"]}, u["password"], {"domain": {"name": d["name"]}})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["token"]["domain"]["id"], d["id"])

    def test_issue_system_scoped(self):
        r = issue({"name": "admin", "domain": {"id": "default"}}, ADMIN_PASSWORD,
                  SYSTEM_SCOPE)
        self.assertStatus(r, 201)
        t = r.body["token"]
        self.assertEqual(t["system"], {"all": True})
        self.assertNotIn("project", t)
        self.assertIn("admin", {x["name"] for x in t["roles"]})
        self.assertIsInstance(t["catalog"], list)

    def test_issue_user_in_other_domain_by_name(self):
        d = new_domain()
        p = new_project(domain_id=d["id"])
        u = new_user(domain_id=d["id"], project=p["id"])
        r = issue({"name": u["name"], "domain": {"name": d["name"]}}, u["password"],
                  {"project": {"name": p["name"], "domain": {"id": d["id"]}}})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["token"]["user"]["domain"]["id"], d["id"])
        self.assertEqual(r.body["token"]["project"]["id"], p["id"])


class TestPasswordIssueErrors(TestCase):
    def check_401(self, r):
        err = self.assertError(r, 401)
        self.assertIsNone(r.headers.get("X-Subject-Token"))
        self.assertIn("WWW-Authenticate", r.headers)
        return err

    def test_401_www_authenticate_names_identity_uri(self):
        # keystone/server/flask/application.py: an Unauthorized answer
        # carries WWW-Authenticate: Keystone uri="<identity base URL>"
        r = issue({"id": uuid.uuid4().hex}, "whatever")
        self.assertError(r, 401)
        www = r.headers.get("WWW-Authenticate", "")
        self.assertTrue(www.startswith('Keystone uri="%s' % BASE), www)

    def test_wrong_password_401(self):
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"] + "x"))

    def test_unknown_user_401(self):
        self.check_401(issue({"name": uniq("nobody"), "domain": {"id": "default"}},
                             "whatever"))

    def test_unknown_user_id_401(self):
        self.check_401(issue({"id": uuid.uuid4().hex}, "whatever"))

    def test_unknown_user_domain_401(self):
        self.check_401(issue({"name": "admin", "domain": {"name": uniq("nodom")}},
                             ADMIN_PASSWORD))

    def test_user_without_password_401(self):
        u = new_user(password=None)
        self.check_401(issue({"id": u["id"]}, ""))
        self.check_401(issue({"id": u["id"]}, "anything"))

    def test_disabled_user_401(self):
        u = new_user(enabled=False)
        self.check_401(issue({"id": u["id"]}, u["password"]))

    def test_user_in_disabled_domain_401(self):
        d = new_domain()
        u = new_user(domain_id=d["id"])
        self.assertStatus(patch("/domains/" + d["id"], {"domain": {"enabled": False}}),
                          200)
        self.check_401(issue({"id": u["id"]}, u["password"]))

    def test_scope_project_without_role_401(self):
        p = new_project()
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"], project_scope(p["id"])))

    def test_scope_unknown_project_401(self):
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"],
                             project_scope(uuid.uuid4().hex)))

    def test_scope_unknown_project_name_401(self):
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"],
                             {"project": {"name": uniq("nope"),
                                          "domain": {"id": "default"}}}))

    def test_scope_disabled_project_401(self):
        p = new_project(enabled=False)
        u = new_user(project=p["id"])
        self.check_401(issue({"id": u["id"]}, u["password"], project_scope(p["id"])))

    def test_scope_domain_without_role_401(self):
        d = new_domain()
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"], domain_scope(d["id"])))

    def test_scope_unknown_domain_401(self):
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"],
                             domain_scope(uuid.uuid4().hex)))

    def test_scope_system_without_role_401(self):
        u = new_user()
        self.check_401(issue({"id": u["id"]}, u["password"], SYSTEM_SCOPE))

    def test_unsupported_method_401(self):
        r = post("/auth/tokens", {"auth": {"identity": {"methods": ["magic"],
                                                        "magic": {}}}}, token=None)
        self.check_401(r)

    def test_malformed_json_400(self):
        r = call("POST", "/auth/tokens", token=None, data='{"auth": {"identity": ',
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_body_not_an_object_400(self):
        self.assertError(post("/auth/tokens", ["auth"], token=None), 400)

    def test_empty_body_400(self):
        r = call("POST", "/auth/tokens", token=None, data="",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_missing_auth_400(self):
        self.assertError(post("/auth/tokens", {"identity": {}}, token=None), 400)

    def test_missing_identity_400(self):
        self.assertError(post("/auth/tokens", {"auth": {}}, token=None), 400,
                         "identity")

    def test_missing_methods_400(self):
        r = post("/auth/tokens", {"auth": {"identity": {"password": {}}}}, token=None)
        self.assertError(r, 400, "methods")

    def test_methods_not_an_array_400(self):
        body = password_auth({"name": "admin", "domain": {"id": "default"}},
                             ADMIN_PASSWORD)
        body["auth"]["identity"]["methods"] = "password"
        self.assertError(post("/auth/tokens", body, token=None), 400, "methods")

    def test_password_user_without_id_or_name_400(self):
        body = password_auth({"domain": {"id": "default"}}, "x")
        self.assertError(post("/auth/tokens", body, token=None), 400)

    def test_password_not_a_string_400(self):
        # keystone/auth/schema.py: identity/password/user/password is a string
        body = password_auth({"name": "admin", "domain": {"id": "default"}}, 12345)
        self.assertError(post("/auth/tokens", body, token=None), 400, "password")

    def test_user_name_without_domain_400(self):
        body = password_auth({"name": "admin"}, ADMIN_PASSWORD)
        self.assertError(post("/auth/tokens", body, token=None), 400)

    def test_scope_project_without_id_or_name_400(self):
        body = password_auth({"name": "admin", "domain": {"id": "default"}},
                             ADMIN_PASSWORD, {"project": {}})
        self.assertError(post("/auth/tokens", body, token=None), 400)

    def test_scope_wrong_type_400(self):
        body = password_auth({"name": "admin", "domain": {"id": "default"}},
                             ADMIN_PASSWORD, 42)
        self.assertError(post("/auth/tokens", body, token=None), 400, "scope")


class TestTokenMethod(TestCase):
    def test_token_method_rescopes_unscoped_to_project(self):
        p = new_project()
        u = new_user(project=p["id"])
        r0 = issue({"id": u["id"]}, u["password"])
        self.assertStatus(r0, 201)
        r = post("/auth/tokens", token_auth(r0.token, project_scope(p["id"])),
                 token=None)
        self.assertStatus(r, 201)
        t = r.body["token"]
        self.assertEqual(t["project"]["id"], p["id"])
        self.assertEqual(set(t["methods"]), {"password", "token"})
        # the new token joins the audit chain and keeps the expiry
        self.assertEqual(len(t["audit_ids"]), 2)
        self.assertEqual(t["audit_ids"][1], r0.body["token"]["audit_ids"][0])
        self.assertEqual(parse_time(t["expires_at"]),
                         parse_time(r0.body["token"]["expires_at"]))

    def test_token_method_rescopes_project_to_project(self):
        p1, p2 = new_project(), new_project()
        u = new_user(project=p1["id"])
        self.assertStatus(put_grant(p2["id"], u["id"], "member"), 204)
        tok = token_for(u, project_scope(p1["id"]))
        r = post("/auth/tokens", token_auth(tok, project_scope(p2["id"])), token=None)
        self.assertStatus(r, 201)
        self.assertEqual(r.body["token"]["project"]["id"], p2["id"])

    def test_token_method_to_project_without_role_401(self):
        p = new_project()
        u = new_user()
        tok = token_for(u)
        r = post("/auth/tokens", token_auth(tok, project_scope(p["id"])), token=None)
        self.assertError(r, 401)

    def test_token_method_with_garbage_token_401(self):
        r = post("/auth/tokens", token_auth("garbage" * 10), token=None)
        self.assertError(r, 401)

    def test_token_method_with_revoked_token_401(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 204)
        r = post("/auth/tokens", token_auth(tok), token=None)
        self.assertError(r, 401)

    def test_token_method_without_id_400(self):
        r = post("/auth/tokens",
                 {"auth": {"identity": {"methods": ["token"], "token": {}}}},
                 token=None)
        self.assertError(r, 400, "id")

    def test_system_token_cannot_become_project_token_403(self):
        # keystone/auth/plugins/token.py: "Using a system-scoped token to
        # create a project-scoped or domain-scoped token is not allowed."
        r = issue({"name": "admin", "domain": {"id": "default"}}, ADMIN_PASSWORD,
                  SYSTEM_SCOPE)
        self.assertStatus(r, 201)
        r2 = post("/auth/tokens",
                  token_auth(r.token, project_scope(admin_info()["project"]["id"])),
                  token=None)
        self.assertError(r2, 403)

    def test_password_and_token_of_different_users_401(self):
        u1, u2 = new_user(), new_user()
        tok = token_for(u1)
        body = password_auth({"id": u2["id"]}, u2["password"])
        body["auth"]["identity"]["methods"] = ["password", "token"]
        body["auth"]["identity"]["token"] = {"id": tok}
        self.assertError(post("/auth/tokens", body, token=None), 401)


def put_grant(project_id, user_id, role_name):
    return call("PUT", "/projects/%s/users/%s/roles/%s" % (project_id, user_id,
                                                            role_id(role_name)))


class TestValidate(TestCase):
    def test_validate_200_echoes_subject(self):
        u = new_user()
        tok = token_for(u)
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("X-Subject-Token"), tok)
        t = r.body["token"]
        self.assertEqual(t["user"]["id"], u["id"])
        self.assertEqual(t["methods"], ["password"])
        self.assertIn("expires_at", t)

    def test_validate_project_token_has_catalog_unless_nocatalog(self):
        p = new_project()
        u = new_user(project=p["id"])
        tok = token_for(u, project_scope(p["id"]))
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["token"]["project"]["id"], p["id"])
        self.assertIn("identity", [s["type"] for s in r.body["token"]["catalog"]])
        r = get("/auth/tokens", headers={"X-Subject-Token": tok},
                params={"nocatalog": "1"})
        self.assertStatus(r, 200)
        self.assertNotIn("catalog", r.body["token"])

    def test_validate_own_token_as_non_admin_200(self):
        u = new_user()
        tok = token_for(u)
        r = get("/auth/tokens", token=tok, headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["token"]["user"]["id"], u["id"])

    def test_validate_other_users_token_as_non_admin_403(self):
        u1, u2 = new_user(), new_user()
        t1, t2 = token_for(u1), token_for(u2)
        r = get("/auth/tokens", token=t1, headers={"X-Subject-Token": t2})
        self.assertError(r, 403)

    def test_check_head_200_no_body(self):
        u = new_user()
        tok = token_for(u)
        r = call("HEAD", "/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200)
        self.assertEqual(r.text, "")

    def test_check_head_revoked_404(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 204)
        r = call("HEAD", "/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 404)

    def test_validate_without_auth_token_401(self):
        u = new_user()
        tok = token_for(u)
        r = get("/auth/tokens", token=None, headers={"X-Subject-Token": tok})
        self.assertError(r, 401)

    def test_validate_with_garbage_auth_token_401(self):
        r = get("/auth/tokens", token="garbage",
                headers={"X-Subject-Token": admin_token()})
        self.assertError(r, 401)

    def test_validate_with_truncated_auth_token_401(self):
        tok = admin_token()
        r = get("/auth/tokens", token=tok[:-4],
                headers={"X-Subject-Token": admin_token()})
        self.assertError(r, 401)

    def test_validate_with_tampered_auth_token_401(self):
        tok = admin_token()
        mid = len(tok) // 2
        bad = tok[:mid] + ("A" if tok[mid] != "A" else "B") + tok[mid + 1:]
        r = get("/auth/projects", token=bad)
        self.assertError(r, 401)

    def test_validate_without_subject_token_404(self):
        # keystone/token/provider.py validate_token: no token ->
        # TokenNotFound("No token in the request") -> 404
        self.assertError(get("/auth/tokens"), 404)

    def test_validate_revoked_subject_404(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 204)
        self.assertError(get("/auth/tokens", headers={"X-Subject-Token": tok}), 404)


class TestValidateMatchesIssue(TestCase):
    def test_validate_returns_the_issued_token(self):
        # tempest test_validate_token compares the whole dicts
        u = new_user()
        r = issue({"id": u["id"]}, u["password"])
        v = get("/auth/tokens", headers={"X-Subject-Token": r.token})
        self.assertStatus(v, 200)
        self.assertEqual(v.body, r.body)

    def test_validate_project_token_returns_the_issued_token(self):
        p = new_project()
        u = new_user(project=p["id"])
        r = issue({"id": u["id"]}, u["password"], project_scope(p["id"]))
        v = get("/auth/tokens", headers={"X-Subject-Token": r.token})
        self.assertStatus(v, 200)
        self.assertEqual(v.body, r.body)

    def test_roles_are_evaluated_at_validation(self):
        p = new_project()
        u = new_user(project=p["id"], role="reader")
        tok = token_for(u, project_scope(p["id"]))
        self.assertStatus(put_grant(p["id"], u["id"], "member"), 204)
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertIn("member", {x["name"] for x in r.body["token"]["roles"]})


class TestRevoke(TestCase):
    def test_revoke_own_token_204_then_invalid(self):
        u = new_user()
        tok = token_for(u)
        other = token_for(u)
        r = delete("/auth/tokens", token=tok, headers={"X-Subject-Token": tok})
        self.assertStatus(r, 204)
        self.assertEqual(r.text, "")
        self.assertTokenInvalid(tok)
        # only that token: another token of the same user still stands
        self.assertTokenValid(other)

    def test_revoke_by_admin_204(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 204)
        self.assertTokenInvalid(tok)

    def test_revoking_a_rescoped_token_keeps_its_parent(self):
        p = new_project()
        u = new_user(project=p["id"])
        parent = token_for(u)
        r = post("/auth/tokens", token_auth(parent, project_scope(p["id"])), token=None)
        self.assertStatus(r, 201)
        child = r.headers["X-Subject-Token"]
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": child}), 204)
        self.assertTokenInvalid(child)
        self.assertTokenValid(parent)

    def test_revoke_twice_404(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 204)
        self.assertError(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 404)

    def test_revoke_other_users_token_as_non_admin_403(self):
        u1, u2 = new_user(), new_user()
        t1, t2 = token_for(u1), token_for(u2)
        r = delete("/auth/tokens", token=t1, headers={"X-Subject-Token": t2})
        self.assertError(r, 403)
        self.assertTokenValid(t2)

    def test_revoke_without_auth_token_401(self):
        u = new_user()
        tok = token_for(u)
        r = delete("/auth/tokens", token=None, headers={"X-Subject-Token": tok})
        self.assertError(r, 401)
        self.assertTokenValid(tok)

    def test_revoked_token_rejected_everywhere_401(self):
        p = new_project()
        u = new_user(project=p["id"])
        tok = token_for(u, project_scope(p["id"]))
        self.assertStatus(get("/auth/catalog", token=tok), 200)
        self.assertStatus(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 204)
        for path in ("/auth/catalog", "/auth/projects", "/users/" + u["id"],
                     "/projects/" + p["id"]):
            self.assertError(get(path, token=tok), 401)


class TestRevocationEvents(TestCase):
    """Tokens die with what they stand on (keystone/identity/core.py
    _persist_revocation_event_for_user, keystone/resource/core.py
    project/domain disable and delete, assignment removal)."""

    def test_disabling_user_revokes_tokens(self):
        p = new_project()
        u = new_user(project=p["id"])
        t1, t2 = token_for(u), token_for(u, project_scope(p["id"]))
        self.assertStatus(patch("/users/" + u["id"], {"user": {"enabled": False}}), 200)
        self.assertTokenInvalid(t1)
        self.assertTokenInvalid(t2)
        # enabling again does not bring them back; a new login works
        self.assertStatus(patch("/users/" + u["id"], {"user": {"enabled": True}}), 200)
        self.assertTokenInvalid(t2)
        token_for(u, project_scope(p["id"]))

    def test_deleting_user_revokes_tokens(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(delete("/users/" + u["id"]), 204)
        self.assertTokenInvalid(tok)

    def test_password_change_revokes_tokens(self):
        u = new_user()
        tok = token_for(u)
        r = post("/users/%s/password" % u["id"],
                 {"user": {"original_password": u["password"], "password": "n3w-pw"}},
                 token=tok)
        self.assertStatus(r, 204)
        self.assertTokenInvalid(tok)
        self.assertError(issue({"id": u["id"]}, u["password"]), 401)
        self.assertStatus(issue({"id": u["id"]}, "n3w-pw"), 201)

    def test_admin_password_reset_revokes_tokens(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(patch("/users/" + u["id"], {"user": {"password": "r3set"}}),
                          200)
        self.assertTokenInvalid(tok)
        self.assertStatus(issue({"id": u["id"]}, "r3set"), 201)

    def test_user_update_without_password_keeps_tokens(self):
        u = new_user()
        tok = token_for(u)
        self.assertStatus(patch("/users/" + u["id"], {"user": {"email": "a@b.c"}}), 200)
        self.assertTokenValid(tok)

    def test_disabling_project_revokes_its_tokens(self):
        p = new_project()
        u = new_user(project=p["id"])
        scoped, unscoped = token_for(u, project_scope(p["id"])), token_for(u)
        self.assertStatus(patch("/projects/" + p["id"], {"project": {"enabled": False}}),
                          200)
        self.assertTokenInvalid(scoped)
        self.assertTokenValid(unscoped)

    def test_deleting_project_revokes_its_tokens(self):
        p = new_project()
        u = new_user(project=p["id"])
        scoped = token_for(u, project_scope(p["id"]))
        self.assertStatus(delete("/projects/" + p["id"]), 204)
        self.assertTokenInvalid(scoped)

    def test_disabling_domain_revokes_tokens_in_it(self):
        d = new_domain()
        p = new_project(domain_id=d["id"])
        u = new_user(domain_id=d["id"], project=p["id"])
        admin_of_d = new_user()
        grant_domain(d["id"], admin_of_d["id"], role_id("admin"))
        t_user = token_for(u, project_scope(p["id"]))
        t_dom = token_for(admin_of_d, domain_scope(d["id"]))
        t_other = token_for(admin_of_d)
        self.assertStatus(patch("/domains/" + d["id"], {"domain": {"enabled": False}}),
                          200)
        self.assertTokenInvalid(t_user)
        self.assertTokenInvalid(t_dom)
        self.assertTokenValid(t_other)

    def test_deleting_domain_revokes_tokens_in_it(self):
        d = new_domain()
        u = new_user(domain_id=d["id"])
        tok = token_for(u)
        self.assertStatus(patch("/domains/" + d["id"], {"domain": {"enabled": False}}),
                          200)
        self.assertStatus(delete("/domains/" + d["id"]), 204)
        self.assertTokenInvalid(tok)

    def test_removing_role_invalidates_project_token(self):
        p = new_project()
        u = new_user(project=p["id"])
        scoped = token_for(u, project_scope(p["id"]))
        r = delete("/projects/%s/users/%s/roles/%s" % (p["id"], u["id"],
                                                       role_id("member")))
        self.assertStatus(r, 204)
        self.assertTokenInvalid(scoped)

    def test_removing_one_of_two_roles_keeps_token(self):
        p = new_project()
        u = new_user(project=p["id"])
        self.assertStatus(put_grant(p["id"], u["id"], "reader"), 204)
        scoped = token_for(u, project_scope(p["id"]))
        r = delete("/projects/%s/users/%s/roles/%s" % (p["id"], u["id"],
                                                       role_id("member")))
        self.assertStatus(r, 204)
        r = get("/auth/tokens", headers={"X-Subject-Token": scoped})
        self.assertStatus(r, 200)
        self.assertNotIn("member", {x["name"] for x in r.body["token"]["roles"]})

    def test_removing_group_membership_invalidates_token(self):
        p = new_project()
        u = new_user()
        g = call("POST", "/groups", json={"group": {"name": uniq("grp")}}).body["group"]
        self.assertStatus(call("PUT", "/projects/%s/groups/%s/roles/%s" % (
            p["id"], g["id"], role_id("member"))), 204)
        self.assertStatus(call("PUT", "/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        scoped = token_for(u, project_scope(p["id"]))
        self.assertStatus(delete("/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        self.assertTokenInvalid(scoped)

    def test_deleting_role_invalidates_tokens_holding_only_it(self):
        p = new_project()
        role = call("POST", "/roles", json={"role": {"name": uniq("role")}}).body["role"]
        u = new_user()
        self.assertStatus(call("PUT", "/projects/%s/users/%s/roles/%s" % (
            p["id"], u["id"], role["id"])), 204)
        scoped = token_for(u, project_scope(p["id"]))
        self.assertStatus(delete("/roles/" + role["id"]), 204)
        self.assertTokenInvalid(scoped)
