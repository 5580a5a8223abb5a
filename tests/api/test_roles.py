"""/v3/roles, implied roles (/v3/roles/{id}/implies...) and
/v3/role_inferences.

Keystone: keystone/api/roles.py (implied role GET/PUT answer
{"role_inference": {"prior_role", "implies"}, "links": {"self"}}; PUT is
201, HEAD and DELETE 204), keystone/api/role_inferences.py,
keystone/assignment/core.py create_implied_role (implying a role listed
in [assignment] prohibited_implied_role, default ["admin"], is 403
InvalidImpliedRole; so is a global role implying a domain-specific one),
keystone/assignment/schema.py (role name 1..255, required)."""
import uuid

from lib import (BASE, TestCase, call, delete, get, head, issue, member_context,
                 new_domain, new_project, new_role, new_user, patch, post, put,
                 project_scope, role_id, token_for, uniq)


class TestRoleCrud(TestCase):
    def test_create_201_and_fields(self):
        name = uniq("role")
        r = post("/roles", {"role": {"name": name, "description": "r"}})
        self.assertStatus(r, 201)
        role = r.body["role"]
        self.assertEqual(role["name"], name)
        self.assertEqual(role["description"], "r")
        self.assertIsNone(role["domain_id"])
        self.assertEqual(role["links"]["self"], BASE + "/identity/v3/roles/" + role["id"])
        self.assertEqual(self.assertExists("/roles/" + role["id"])["role"]["name"], name)

    def test_create_domain_specific_role(self):
        d = new_domain()
        role = new_role(domain_id=d["id"])
        self.assertEqual(role["domain_id"], d["id"])

    def test_domain_role_may_share_a_global_roles_name(self):
        g = new_role()
        d = new_domain()
        r = post("/roles", {"role": {"name": g["name"], "domain_id": d["id"]}})
        self.assertStatus(r, 201)

    def test_list_and_filters(self):
        role = new_role()
        d = new_domain()
        drole = new_role(domain_id=d["id"])
        r = get("/roles")
        self.assertStatus(r, 200)
        self.assertIdIn(role["id"], r.body["roles"])
        self.assertIdNotIn(drole["id"], r.body["roles"],
                           "domain roles are listed only with ?domain_id")
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/roles")
        names = {x["name"] for x in r.body["roles"]}
        self.assertTrue({"admin", "member", "reader"} <= names)
        r = get("/roles", params={"name": role["name"]})
        self.assertEqual([x["id"] for x in r.body["roles"]], [role["id"]])
        r = get("/roles", params={"domain_id": d["id"]})
        self.assertEqual([x["id"] for x in r.body["roles"]], [drole["id"]])

    def test_update_200(self):
        role = new_role()
        name = uniq("renamed")
        r = patch("/roles/" + role["id"], {"role": {"name": name, "description": "d"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["role"]["name"], name)
        self.assertEqual(self.assertExists("/roles/" + role["id"])["role"]["description"],
                         "d")

    def test_delete_204_then_404(self):
        role = new_role()
        self.assertStatus(delete("/roles/" + role["id"]), 204)
        self.assertGone("/roles/" + role["id"])
        self.assertError(delete("/roles/" + role["id"]), 404)

    def test_delete_removes_its_assignments(self):
        p = new_project()
        role = new_role()
        u = new_user()
        self.assertStatus(put("/projects/%s/users/%s/roles/%s" % (
            p["id"], u["id"], role["id"])), 204)
        self.assertStatus(delete("/roles/" + role["id"]), 204)
        r = get("/role_assignments", params={"role.id": role["id"]})
        self.assertEqual(r.body["role_assignments"], [])
        r = get("/projects/%s/users/%s/roles" % (p["id"], u["id"]))
        self.assertEqual(r.body["roles"], [])
        # and the user cannot scope to the project any more
        self.assertError(issue({"id": u["id"]}, u["password"], project_scope(p["id"])),
                         401)

    def test_delete_removes_its_inference_rules(self):
        prior, implied = new_role(), new_role()
        self.assertStatus(put("/roles/%s/implies/%s" % (prior["id"], implied["id"])), 201)
        self.assertStatus(delete("/roles/" + implied["id"]), 204)
        r = get("/roles/%s/implies" % prior["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["role_inference"]["implies"], [])


class TestRoleErrors(TestCase):
    def count(self, name):
        return len(get("/roles", params={"name": name}).body["roles"])

    def test_duplicate_name_409(self):
        role = new_role()
        self.assertError(post("/roles", {"role": {"name": role["name"]}}), 409)
        self.assertEqual(self.count(role["name"]), 1)

    def test_duplicate_name_in_domain_409(self):
        d = new_domain()
        role = new_role(domain_id=d["id"])
        r = post("/roles", {"role": {"name": role["name"], "domain_id": d["id"]}})
        self.assertError(r, 409)

    def test_missing_name_400(self):
        self.assertError(post("/roles", {"role": {"description": "x"}}), 400, "name")

    def test_name_too_long_400(self):
        name = "r" * 256
        self.assertError(post("/roles", {"role": {"name": name}}), 400, "name")
        self.assertEqual(self.count(name), 0)

    def test_name_wrong_type_400(self):
        self.assertError(post("/roles", {"role": {"name": {"a": 1}}}), 400, "name")

    def test_unknown_domain_404(self):
        name = uniq("role")
        r = post("/roles", {"role": {"name": name, "domain_id": uuid.uuid4().hex}})
        self.assertError(r, 404)
        self.assertEqual(self.count(name), 0)

    def test_update_empty_object_400(self):
        role = new_role()
        self.assertError(patch("/roles/" + role["id"], {"role": {}}), 400)

    def test_update_to_existing_name_409(self):
        r1, r2 = new_role(), new_role()
        self.assertError(patch("/roles/" + r2["id"], {"role": {"name": r1["name"]}}), 409)

    def test_malformed_json_400(self):
        self.assertError(call("POST", "/roles", data='{"role": {"name": "a"}}}',
                              headers={"Content-Type": "application/json"}), 400)

    def test_get_unknown_404(self):
        self.assertError(get("/roles/" + uuid.uuid4().hex), 404)

    def test_update_unknown_404(self):
        self.assertError(patch("/roles/" + uuid.uuid4().hex, {"role": {"name": "x"}}), 404)

    def test_delete_unknown_404(self):
        self.assertError(delete("/roles/" + uuid.uuid4().hex), 404)


class TestRoleRbac(TestCase):
    def test_member_list_roles_403(self):
        self.assertError(get("/roles", token=member_context()["token"]), 403)

    def test_member_create_role_403(self):
        name = uniq("role")
        r = post("/roles", {"role": {"name": name}}, token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(get("/roles", params={"name": name}).body["roles"], [])

    def test_member_create_implied_role_403(self):
        a, b = new_role(), new_role()
        r = put("/roles/%s/implies/%s" % (a["id"], b["id"]),
                token=member_context()["token"])
        self.assertError(r, 403)
        self.assertError(get("/roles/%s/implies/%s" % (a["id"], b["id"])), 404)

    def test_member_list_role_inferences_403(self):
        self.assertError(get("/role_inferences", token=member_context()["token"]), 403)


class TestImpliedRoles(TestCase):
    def path(self, a, b=None):
        return "/roles/%s/implies" % a["id"] + ("/" + b["id"] if b else "")

    def check_ref(self, ref, role):
        self.assertEqual(ref["id"], role["id"])
        self.assertEqual(ref["name"], role["name"])
        self.assertEqual(ref["links"]["self"], BASE + "/identity/v3/roles/" + role["id"])

    def test_implied_role_lifecycle(self):
        a, b, c = new_role(), new_role(), new_role()
        self.assertError(get(self.path(a, b)), 404)
        r = put(self.path(a, b))
        self.assertStatus(r, 201)
        inf = r.body["role_inference"]
        self.check_ref(inf["prior_role"], a)
        self.check_ref(inf["implies"], b)
        r = get(self.path(a, b))
        self.assertStatus(r, 200)
        self.check_ref(r.body["role_inference"]["implies"], b)
        self.assertStatus(head(self.path(a, b)), 204)
        self.assertStatus(put(self.path(a, c)), 201)
        r = get(self.path(a))
        self.assertStatus(r, 200)
        self.check_ref(r.body["role_inference"]["prior_role"], a)
        self.assertEqual(sorted(x["id"] for x in r.body["role_inference"]["implies"]),
                         sorted([b["id"], c["id"]]))
        r = get("/role_inferences")
        self.assertStatus(r, 200)
        mine = [x for x in r.body["role_inferences"] if x["prior_role"]["id"] == a["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(sorted(x["id"] for x in mine[0]["implies"]),
                         sorted([b["id"], c["id"]]))
        self.assertStatus(delete(self.path(a, b)), 204)
        self.assertError(get(self.path(a, b)), 404)
        self.assertStatus(head(self.path(a, b)), 404)
        self.assertError(delete(self.path(a, b)), 404)
        self.assertEqual([x["id"] for x in get(self.path(a)).body["role_inference"]
                          ["implies"]], [c["id"]])

    def test_implied_role_links_at_top_level(self):
        a, b = new_role(), new_role()
        r = put(self.path(a, b))
        self.assertStatus(r, 201)
        self.assertIn("links", r.body, r)
        self.assertEqual(r.body["links"]["self"],
                         BASE + "/identity/v3/roles/%s/implies/%s" % (a["id"], b["id"]))
        r = get(self.path(a))
        self.assertEqual(r.body["links"]["self"],
                         BASE + "/identity/v3/roles/%s/implies" % a["id"])

    def test_bootstrap_inferences_admin_member_reader(self):
        r = get("/roles/%s/implies" % role_id("admin"))
        self.assertStatus(r, 200)
        self.assertIn(role_id("member"),
                      [x["id"] for x in r.body["role_inference"]["implies"]])
        r = get("/roles/%s/implies/%s" % (role_id("member"), role_id("reader")))
        self.assertStatus(r, 200)

    def test_implied_roles_reach_tokens_transitively(self):
        a, b, c = new_role(), new_role(), new_role()
        self.assertStatus(put(self.path(a, b)), 201)
        self.assertStatus(put(self.path(b, c)), 201)
        p = new_project()
        u = new_user()
        self.assertStatus(put("/projects/%s/users/%s/roles/%s" % (
            p["id"], u["id"], a["id"])), 204)
        tok = token_for(u, project_scope(p["id"]))
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        ids = {x["id"] for x in r.body["token"]["roles"]}
        self.assertEqual(ids, {a["id"], b["id"], c["id"]})

    def test_imply_unknown_role_404(self):
        a = new_role()
        self.assertError(put(self.path(a, {"id": uuid.uuid4().hex})), 404)
        self.assertError(put(self.path({"id": uuid.uuid4().hex}, a)), 404)
        self.assertEqual(get(self.path(a)).body["role_inference"]["implies"], [])

    def test_list_implies_of_unknown_role_404(self):
        self.assertError(get(self.path({"id": uuid.uuid4().hex})), 404)

    def test_imply_admin_is_prohibited_403(self):
        a = new_role()
        r = put(self.path(a, {"id": role_id("admin")}))
        self.assertError(r, 403)
        self.assertError(get(self.path(a, {"id": role_id("admin")})), 404)

    def test_global_role_implying_domain_role_403(self):
        g = new_role()
        d = new_role(domain_id=new_domain()["id"])
        self.assertError(put(self.path(g, d)), 403)
        self.assertError(get(self.path(g, d)), 404)
