"""Role grants on projects, domains and the system, for users and groups,
direct and inherited (OS-INHERIT); GET /v3/role_assignments.

Keystone: keystone/api/projects.py, domains.py, system.py, os_inherit.py
(PUT/HEAD/GET/DELETE of a grant answer 204; an absent grant is 404;
listing answers {"roles": [...]}), keystone/api/role_assignments.py
(filters user.id, group.id, role.id, scope.project.id, scope.domain.id,
scope.system, scope.OS-INHERIT:inherited_to, effective, include_names,
include_subtree; effective + group.id -> 400; include_subtree without
scope.project.id -> 400)."""
import uuid

from lib import (BASE, SYSTEM_SCOPE, TestCase, call, delete, get, head, issue,
                 member_context, new_domain, new_group, new_project, new_role,
                 new_user, put, domain_scope, project_scope, role_id, token_for)


class GrantKind:
    """One of the ten grant paths."""

    def __init__(self, name, target, actor, inherited):
        self.name, self.target, self.actor, self.inherited = (name, target, actor,
                                                              inherited)

    def make_target(self):
        if self.target == "project":
            return new_project()["id"]
        if self.target == "domain":
            return new_domain()["id"]
        return None

    def make_actor(self):
        return (new_user() if self.actor == "user" else new_group())["id"]

    def list_path(self, t, a):
        who = "users" if self.actor == "user" else "groups"
        if self.target == "system":
            return "/system/%s/%s/roles" % (who, a)
        if self.inherited:
            return "/OS-INHERIT/%ss/%s/%s/%s/roles/inherited_to_projects" % (
                self.target, t, who, a)
        return "/%ss/%s/%s/%s/roles" % (self.target, t, who, a)

    def item_path(self, t, a, r):
        who = "users" if self.actor == "user" else "groups"
        if self.target == "system":
            return "/system/%s/%s/roles/%s" % (who, a, r)
        if self.inherited:
            return "/OS-INHERIT/%ss/%s/%s/%s/roles/%s/inherited_to_projects" % (
                self.target, t, who, a, r)
        return "/%ss/%s/%s/%s/roles/%s" % (self.target, t, who, a, r)


KINDS = [GrantKind(*k) for k in [
    ("user_project", "project", "user", False),
    ("group_project", "project", "group", False),
    ("user_domain", "domain", "user", False),
    ("group_domain", "domain", "group", False),
    ("user_system", "system", "user", False),
    ("group_system", "system", "group", False),
    ("user_domain_inherited", "domain", "user", True),
    ("group_domain_inherited", "domain", "group", True),
    ("user_project_inherited", "project", "user", True),
    ("group_project_inherited", "project", "group", True),
]]


class GrantTests(TestCase):
    """The same checks for every kind of grant (generated below)."""

    def lifecycle(self, k):
        t, a, role = k.make_target(), k.make_actor(), new_role()
        item = k.item_path(t, a, role["id"])
        self.assertError(get(item), 404)
        self.assertStatus(head(item), 404)
        r = put(item)
        self.assertStatus(r, 204)
        self.assertEqual(r.text, "")
        self.assertStatus(put(item), 204)                 # idempotent
        self.assertStatus(get(item), 204)
        self.assertStatus(head(item), 204)
        r = get(k.list_path(t, a))
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["roles"]], [role["id"]])
        self.assertEqual(r.body["roles"][0]["name"], role["name"])
        # a direct and an inherited grant are different grants
        if k.target != "system":
            other = GrantKind("", k.target, k.actor, not k.inherited)
            self.assertError(get(other.item_path(t, a, role["id"])), 404)
            self.assertEqual(get(other.list_path(t, a)).body["roles"], [])
        self.assertStatus(delete(item), 204)
        self.assertError(get(item), 404)
        self.assertError(delete(item), 404)
        self.assertEqual(get(k.list_path(t, a)).body["roles"], [])

    def unknown_refs(self, k):
        t, a, role = k.make_target(), k.make_actor(), new_role()
        bad = uuid.uuid4().hex
        self.assertError(put(k.item_path(t, a, bad)), 404)
        self.assertError(put(k.item_path(t, bad, role["id"])), 404)
        self.assertError(get(k.list_path(t, bad)), 404)
        if k.target != "system":
            self.assertError(put(k.item_path(bad, a, role["id"])), 404)
            self.assertError(get(k.list_path(bad, a)), 404)
        self.assertEqual(get(k.list_path(t, a)).body["roles"], [])

    def member_denied(self, k):
        m = member_context()
        t, a, role = k.make_target(), k.make_actor(), new_role()
        item = k.item_path(t, a, role["id"])
        self.assertError(put(item, token=m["token"]), 403)
        self.assertError(get(item), 404)
        self.assertStatus(put(item), 204)
        self.assertError(delete(item, token=m["token"]), 403)
        self.assertStatus(get(item), 204)
        self.assertError(get(k.list_path(t, a), token=m["token"]), 403)

    def no_token(self, k):
        t, a, role = k.make_target(), k.make_actor(), new_role()
        self.assertError(put(k.item_path(t, a, role["id"]), token=None), 401)
        self.assertError(get(k.item_path(t, a, role["id"])), 404)


def _add_grant_tests():
    for k in KINDS:
        for check in ("lifecycle", "unknown_refs", "member_denied", "no_token"):
            def test(self, k=k, check=check):
                getattr(self, check)(k)
            name = "test_%s_%s" % (k.name, check)
            test.__name__ = name
            setattr(GrantTests, name, test)


_add_grant_tests()


class TestGrantEffects(TestCase):
    def roles_in(self, tok):
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200)
        return {x["id"] for x in r.body["token"]["roles"]}

    def test_domain_inherited_grant_reaches_projects_not_the_domain(self):
        d = new_domain()
        p = new_project(domain_id=d["id"])
        child = new_project(domain_id=d["id"], parent_id=p["id"])
        u = new_user()
        role = new_role()
        self.assertStatus(put("/OS-INHERIT/domains/%s/users/%s/roles/%s/"
                              "inherited_to_projects" % (d["id"], u["id"], role["id"])),
                          204)
        self.assertIn(role["id"], self.roles_in(token_for(u, project_scope(p["id"]))))
        self.assertIn(role["id"],
                      self.roles_in(token_for(u, project_scope(child["id"]))))
        self.assertError(issue({"id": u["id"]}, u["password"], domain_scope(d["id"])),
                         401)
        # projects of other domains are not reached
        self.assertError(issue({"id": u["id"]}, u["password"],
                               project_scope(new_project()["id"])), 401)

    def test_project_inherited_grant_reaches_children_not_the_project(self):
        p = new_project()
        child = new_project(parent_id=p["id"])
        grandchild = new_project(parent_id=child["id"])
        u = new_user()
        role = new_role()
        self.assertStatus(put("/OS-INHERIT/projects/%s/users/%s/roles/%s/"
                              "inherited_to_projects" % (p["id"], u["id"], role["id"])),
                          204)
        self.assertIn(role["id"],
                      self.roles_in(token_for(u, project_scope(child["id"]))))
        self.assertIn(role["id"],
                      self.roles_in(token_for(u, project_scope(grandchild["id"]))))
        self.assertError(issue({"id": u["id"]}, u["password"], project_scope(p["id"])),
                         401)

    def test_group_domain_grant_gives_domain_scope(self):
        d = new_domain()
        g, u = new_group(), new_user()
        self.assertStatus(put("/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        self.assertStatus(put("/domains/%s/groups/%s/roles/%s" % (
            d["id"], g["id"], role_id("reader"))), 204)
        self.assertIn(role_id("reader"), self.roles_in(token_for(u, domain_scope(d["id"]))))

    def test_group_system_grant_gives_system_scope(self):
        g, u = new_group(), new_user()
        self.assertStatus(put("/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        self.assertStatus(put("/system/groups/%s/roles/%s" % (g["id"],
                                                              role_id("reader"))), 204)
        self.assertIn(role_id("reader"), self.roles_in(token_for(u, SYSTEM_SCOPE)))

    def test_system_reader_may_read_but_not_write(self):
        u = new_user()
        self.assertStatus(put("/system/users/%s/roles/%s" % (u["id"], role_id("reader"))),
                          204)
        tok = token_for(u, SYSTEM_SCOPE)
        self.assertStatus(get("/users", token=tok), 200)
        self.assertStatus(get("/projects", token=tok), 200)
        self.assertStatus(get("/role_assignments", token=tok), 200)
        r = call("POST", "/projects", token=tok,
                 json={"project": {"name": "nope-%s" % uuid.uuid4().hex[:8]}})
        self.assertError(r, 403)


class TestRoleAssignmentsList(TestCase):
    def setUp(self):
        self.d = new_domain()
        self.p = new_project(domain_id=self.d["id"])
        self.child = new_project(domain_id=self.d["id"], parent_id=self.p["id"])
        self.u = new_user()
        self.g = new_group()
        self.member = new_user()
        self.r1, self.r2 = new_role(), new_role()
        self.assertStatus(put("/groups/%s/users/%s" % (self.g["id"],
                                                       self.member["id"])), 204)
        for path in ("/projects/%s/users/%s/roles/%s" % (self.p["id"], self.u["id"],
                                                         self.r1["id"]),
                     "/domains/%s/users/%s/roles/%s" % (self.d["id"], self.u["id"],
                                                        self.r2["id"]),
                     "/projects/%s/groups/%s/roles/%s" % (self.p["id"], self.g["id"],
                                                          self.r2["id"]),
                     "/OS-INHERIT/projects/%s/users/%s/roles/%s/inherited_to_projects"
                     % (self.p["id"], self.u["id"], self.r2["id"])):
            self.assertStatus(put(path), 204)

    def list(self, **q):
        r = get("/role_assignments", params=q)
        self.assertStatus(r, 200)
        return r.body["role_assignments"]

    def test_list_by_user(self):
        got = self.list(**{"user.id": self.u["id"]})
        self.assertEqual(len(got), 3, got)
        for a in got:
            self.assertEqual(a["user"]["id"], self.u["id"])
            self.assertIn("assignment", a["links"])
        scopes = sorted(list(a["scope"])[0] if "OS-INHERIT:inherited_to" not in a["scope"]
                        else "inherited" for a in got)
        self.assertEqual(scopes, ["domain", "inherited", "project"])

    def test_list_shape_and_links(self):
        got = self.list(**{"user.id": self.u["id"], "scope.domain.id": self.d["id"]})
        self.assertEqual(len(got), 1)
        a = got[0]
        self.assertEqual(a["role"], {"id": self.r2["id"]})
        self.assertEqual(a["user"], {"id": self.u["id"]})
        self.assertEqual(a["scope"], {"domain": {"id": self.d["id"]}})
        self.assertEqual(a["links"]["assignment"], BASE + "/identity/v3/domains/%s/users/"
                         "%s/roles/%s" % (self.d["id"], self.u["id"], self.r2["id"]))
        r = get("/role_assignments", params={"user.id": self.u["id"]})
        self.assertEqual(r.body["links"]["self"].split("?")[0],
                         BASE + "/identity/v3/role_assignments")

    def test_list_by_group_and_role_and_scope(self):
        got = self.list(**{"group.id": self.g["id"]})
        self.assertEqual([(a["group"]["id"], a["role"]["id"], a["scope"]["project"]["id"])
                          for a in got], [(self.g["id"], self.r2["id"], self.p["id"])])
        got = self.list(**{"role.id": self.r1["id"]})
        self.assertEqual([a["user"]["id"] for a in got], [self.u["id"]])
        got = self.list(**{"scope.project.id": self.p["id"]})
        self.assertEqual(len(got), 3, got)    # user r1, group r2, inherited r2
        got = self.list(**{"scope.domain.id": self.d["id"]})
        self.assertEqual([a["role"]["id"] for a in got], [self.r2["id"]])

    def test_list_inherited_only(self):
        got = self.list(**{"user.id": self.u["id"],
                           "scope.OS-INHERIT:inherited_to": "projects"})
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["scope"]["OS-INHERIT:inherited_to"], "projects")
        self.assertEqual(got[0]["scope"]["project"]["id"], self.p["id"])

    def test_list_inherited_only_unencoded_key(self):
        r = get("/role_assignments?user.id=%s&scope.OS-INHERIT:inherited_to=projects"
                % self.u["id"])
        self.assertStatus(r, 200)
        got = r.body["role_assignments"]
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["scope"]["OS-INHERIT:inherited_to"], "projects")

    def test_list_system(self):
        u = new_user()
        self.assertStatus(put("/system/users/%s/roles/%s" % (u["id"], self.r1["id"])),
                          204)
        got = self.list(**{"user.id": u["id"], "scope.system": "all"})
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["scope"], {"system": {"all": True}})

    def test_effective_expands_groups_and_inheritance(self):
        got = self.list(**{"user.id": self.member["id"], "effective": ""})
        self.assertEqual([(a["role"]["id"], a["scope"]["project"]["id"]) for a in got],
                         [(self.r2["id"], self.p["id"])])
        self.assertIn("membership", got[0]["links"])
        got = self.list(**{"user.id": self.u["id"], "effective": "",
                           "scope.project.id": self.child["id"]})
        self.assertEqual([a["role"]["id"] for a in got], [self.r2["id"]])

    def test_effective_includes_implied_roles(self):
        implied = new_role()
        self.assertStatus(put("/roles/%s/implies/%s" % (self.r1["id"], implied["id"])),
                          201)
        got = self.list(**{"user.id": self.u["id"], "effective": "",
                           "scope.project.id": self.p["id"]})
        ids = {a["role"]["id"] for a in got}
        self.assertIn(self.r1["id"], ids)
        self.assertIn(implied["id"], ids)
        imp = [a for a in got if a["role"]["id"] == implied["id"]][0]
        self.assertIn("prior_role", imp["links"])

    def test_include_names(self):
        got = self.list(**{"user.id": self.u["id"], "scope.project.id": self.p["id"],
                           "include_names": "1"})
        self.assertEqual(len(got), 2, got)       # direct r1 and inherited r2
        direct = [a for a in got if "OS-INHERIT:inherited_to" not in a["scope"]][0]
        self.assertEqual(direct["role"]["name"], self.r1["name"])
        self.assertEqual(direct["user"]["name"], self.u["name"])
        self.assertEqual(direct["user"]["domain"]["id"], "default")
        self.assertEqual(direct["scope"]["project"]["name"], self.p["name"])
        self.assertEqual(direct["scope"]["project"]["domain"]["id"], self.d["id"])

    def test_include_subtree(self):
        u = new_user()
        self.assertStatus(put("/projects/%s/users/%s/roles/%s" % (
            self.child["id"], u["id"], self.r1["id"])), 204)
        got = self.list(**{"scope.project.id": self.p["id"], "include_subtree": "1",
                           "user.id": u["id"]})
        self.assertEqual([a["scope"]["project"]["id"] for a in got], [self.child["id"]])

    def test_effective_with_group_400(self):
        r = get("/role_assignments", params={"effective": "", "group.id": self.g["id"]})
        self.assertError(r, 400)

    def test_project_and_domain_400(self):
        r = get("/role_assignments", params={"scope.project.id": self.p["id"],
                                             "scope.domain.id": self.d["id"]})
        self.assertError(r, 400)

    def test_include_subtree_without_project_400(self):
        self.assertError(get("/role_assignments", params={"include_subtree": "1"}), 400)

    def test_member_403(self):
        self.assertError(get("/role_assignments", token=member_context()["token"]), 403)

    def test_no_token_401(self):
        self.assertError(get("/role_assignments", token=None), 401)
