"""GET /v3/auth/catalog, /v3/auth/projects, /v3/auth/domains,
/v3/auth/system, and token expiry (a side daemon issues short-lived
tokens).

Keystone: keystone/api/auth.py (AuthCatalogResource: a project-scoped
token is required, 403 otherwise; AuthProjectsResource,
AuthDomainsResource, AuthSystemResource), keystone/token/provider.py
(allow_expired window)."""
import time

from lib import (BASE, SYSTEM_SCOPE, SideDaemon, TestCase, call, delete, domain_scope,
                 get, grant_domain, member_context, new_domain, new_group,
                 new_project, new_user, password_auth, project_scope, put,
                 role_id, token_for)


class TestAuthCatalog(TestCase):
    def test_catalog_project_scoped_200(self):
        m = member_context()
        r = get("/auth/catalog", token=m["token"])
        self.assertStatus(r, 200)
        types = [s["type"] for s in r.body["catalog"]]
        self.assertIn("identity", types)
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/auth/catalog")
        for svc in r.body["catalog"]:
            self.assertTrue({"id", "type", "endpoints"} <= set(svc), svc)
            for ep in svc["endpoints"]:
                self.assertTrue({"id", "interface", "url", "region_id"} <= set(ep), ep)

    def test_catalog_head_200(self):
        m = member_context()
        r = call("HEAD", "/auth/catalog", token=m["token"])
        self.assertStatus(r, 200)

    def test_catalog_matches_token_catalog(self):
        m = member_context()
        r = get("/auth/tokens", headers={"X-Subject-Token": m["token"]})
        self.assertStatus(r, 200)
        cat = get("/auth/catalog", token=m["token"]).body["catalog"]
        key = lambda c: sorted((s["type"], sorted(e["url"] for e in s["endpoints"]))
                               for s in c)
        self.assertEqual(key(cat), key(r.body["token"]["catalog"]))

    def test_catalog_unscoped_403(self):
        u = new_user()
        self.assertError(get("/auth/catalog", token=token_for(u)), 403)

    def test_catalog_domain_scoped_403(self):
        d = new_domain()
        u = new_user()
        grant_domain(d["id"], u["id"], role_id("reader"))
        self.assertError(get("/auth/catalog", token=token_for(u, domain_scope(d["id"]))),
                         403)

    def test_catalog_without_token_401(self):
        self.assertError(get("/auth/catalog", token=None), 401)

    def test_catalog_bad_token_401(self):
        self.assertError(get("/auth/catalog", token="x" * 100), 401)


class TestAuthProjects(TestCase):
    def test_auth_projects_lists_projects_with_roles(self):
        p1, p2, other = new_project(), new_project(), new_project()
        u = new_user(project=p1["id"])
        g = new_group()
        self.assertStatus(put("/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        self.assertStatus(put("/projects/%s/groups/%s/roles/%s" % (
            p2["id"], g["id"], role_id("reader"))), 204)
        r = get("/auth/projects", token=token_for(u))
        self.assertStatus(r, 200)
        self.assertIdIn(p1["id"], r.body["projects"])
        self.assertIdIn(p2["id"], r.body["projects"], "through a group")
        self.assertIdNotIn(other["id"], r.body["projects"])
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/auth/projects")
        got = [x for x in r.body["projects"] if x["id"] == p1["id"]][0]
        self.assertEqual(got["name"], p1["name"])
        self.assertEqual(got["domain_id"], "default")
        self.assertIn("links", got)

    def test_auth_projects_none_for_new_user(self):
        u = new_user()
        r = get("/auth/projects", token=token_for(u))
        self.assertStatus(r, 200)
        self.assertEqual(r.body["projects"], [])

    def test_auth_projects_without_token_401(self):
        self.assertError(get("/auth/projects", token=None), 401)


class TestAuthDomains(TestCase):
    def test_auth_domains_lists_domains_with_roles(self):
        d, other = new_domain(), new_domain()
        u = new_user()
        grant_domain(d["id"], u["id"], role_id("reader"))
        r = get("/auth/domains", token=token_for(u))
        self.assertStatus(r, 200)
        self.assertIdIn(d["id"], r.body["domains"])
        self.assertIdNotIn(other["id"], r.body["domains"])
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/auth/domains")

    def test_auth_domains_empty_for_project_member(self):
        m = member_context()
        r = get("/auth/domains", token=m["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["domains"], [])

    def test_auth_domains_without_token_401(self):
        self.assertError(get("/auth/domains", token=None), 401)


class TestAuthSystem(TestCase):
    def test_auth_system_for_admin(self):
        r = get("/auth/system")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["system"], [{"all": True}])
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/auth/system")

    def test_auth_system_empty_for_member(self):
        r = get("/auth/system", token=member_context()["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["system"], [])

    def test_auth_system_after_system_grant(self):
        u = new_user()
        self.assertStatus(put("/system/users/%s/roles/%s" % (u["id"], role_id("reader"))),
                          204)
        r = get("/auth/system", token=token_for(u))
        self.assertStatus(r, 200)
        self.assertEqual(r.body["system"], [{"all": True}])
        # and the user may now take a system-scoped token
        tok = token_for(u, SYSTEM_SCOPE)
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertEqual(r.body["token"]["system"], {"all": True})

    def test_auth_system_without_token_401(self):
        self.assertError(get("/auth/system", token=None), 401)


class TestTokenExpiry(TestCase):
    """A side daemon on the same keys and database issues 2-second tokens;
    the main daemon must refuse them once expired."""

    def test_expired_token_401_and_404_allow_expired_200(self):
        p = new_project()
        u = new_user(project=p["id"])
        with SideDaemon("[token]\nexpiration = 2\n") as side:
            r = call("POST", side.url + "/identity/v3/auth/tokens", token=None,
                     json=password_auth({"id": u["id"]}, u["password"],
                                        project_scope(p["id"])))
            self.assertStatus(r, 201)
        tok = r.headers["X-Subject-Token"]
        self.assertTokenValid(tok)
        time.sleep(3)
        # as the caller: 401 with a JSON error body
        self.assertError(get("/auth/projects", token=tok), 401)
        self.assertError(get("/auth/catalog", token=tok), 401)
        # as the subject: 404
        self.assertError(get("/auth/tokens", headers={"X-Subject-Token": tok}), 404)
        # ... unless expired tokens are allowed (within the window)
        r = get("/auth/tokens", headers={"X-Subject-Token": tok},
                params={"allow_expired": "1"})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["token"]["project"]["id"], p["id"])
        # an expired token cannot be exchanged for a new one
        r = call("POST", "/auth/tokens", token=None,
                 json={"auth": {"identity": {"methods": ["token"],
                                             "token": {"id": tok}}}})
        self.assertError(r, 401)
        # nor revoked
        self.assertError(delete("/auth/tokens", headers={"X-Subject-Token": tok}), 404)
