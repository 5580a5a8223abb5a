"""/v3/groups and group membership.

Keystone: keystone/api/groups.py (membership check/add/remove answer 204;
an absent membership is 404), keystone/identity/schema.py (group_create:
name required, group_update: minProperties 1)."""
import uuid

from lib import (BASE, TestCase, call, delete, get, head, member_context,
                 new_domain, new_group, new_project, new_user, patch, post, put,
                 project_scope, role_id, token_for, uniq)


class TestGroupCrud(TestCase):
    def test_create_201_and_fields(self):
        name = uniq("grp")
        r = post("/groups", {"group": {"name": name, "description": "g"}})
        self.assertStatus(r, 201)
        g = r.body["group"]
        self.assertEqual(g["name"], name)
        self.assertEqual(g["description"], "g")
        self.assertEqual(g["domain_id"], "default")
        self.assertEqual(g["links"]["self"], BASE + "/identity/v3/groups/" + g["id"])
        self.assertEqual(self.assertExists("/groups/" + g["id"])["group"]["name"], name)

    def test_create_in_other_domain(self):
        d = new_domain()
        g = new_group(domain_id=d["id"])
        self.assertEqual(g["domain_id"], d["id"])

    def test_list_and_filters(self):
        d = new_domain()
        g1, g2 = new_group(domain_id=d["id"]), new_group(domain_id=d["id"])
        r = get("/groups")
        self.assertStatus(r, 200)
        self.assertIdIn(g1["id"], r.body["groups"])
        ids = lambda **q: sorted(x["id"] for x in get("/groups", params=q).body["groups"])
        self.assertEqual(ids(domain_id=d["id"]), sorted([g1["id"], g2["id"]]))
        self.assertEqual(ids(name=g1["name"]), [g1["id"]])

    def test_update_200(self):
        g = new_group()
        name = uniq("renamed")
        r = patch("/groups/" + g["id"], {"group": {"name": name, "description": "n"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["group"]["name"], name)
        self.assertEqual(self.assertExists("/groups/" + g["id"])["group"]
                         ["description"], "n")

    def test_delete_204_then_404(self):
        g = new_group()
        self.assertStatus(delete("/groups/" + g["id"]), 204)
        self.assertGone("/groups/" + g["id"])
        self.assertError(delete("/groups/" + g["id"]), 404)

    def test_delete_removes_its_role_grants(self):
        p = new_project()
        g = new_group()
        u = new_user()
        self.assertStatus(put("/projects/%s/groups/%s/roles/%s" % (
            p["id"], g["id"], role_id("member"))), 204)
        self.assertStatus(put("/groups/%s/users/%s" % (g["id"], u["id"])), 204)
        tok = token_for(u, project_scope(p["id"]))
        self.assertStatus(delete("/groups/" + g["id"]), 204)
        r = get("/role_assignments", params={"group.id": g["id"]})
        self.assertEqual(r.body["role_assignments"], [])
        self.assertTokenInvalid(tok)
        self.assertIdNotIn(g["id"], get("/users/%s/groups" % u["id"]).body["groups"])


class TestGroupErrors(TestCase):
    def count(self, name):
        return len(get("/groups", params={"name": name}).body["groups"])

    def test_duplicate_name_409(self):
        g = new_group()
        self.assertError(post("/groups", {"group": {"name": g["name"]}}), 409)
        self.assertEqual(self.count(g["name"]), 1)

    def test_same_name_other_domain_201(self):
        g = new_group()
        d = new_domain()
        self.assertStatus(post("/groups", {"group": {"name": g["name"],
                                                     "domain_id": d["id"]}}), 201)

    def test_missing_name_400(self):
        self.assertError(post("/groups", {"group": {"description": "x"}}), 400, "name")

    def test_name_wrong_type_400(self):
        self.assertError(post("/groups", {"group": {"name": True}}), 400, "name")

    def test_description_wrong_type_400(self):
        name = uniq("g")
        self.assertError(post("/groups", {"group": {"name": name, "description": []}}),
                         400, "description")
        self.assertEqual(self.count(name), 0)

    def test_unknown_domain_404(self):
        name = uniq("g")
        r = post("/groups", {"group": {"name": name, "domain_id": uuid.uuid4().hex}})
        self.assertError(r, 404)
        self.assertEqual(self.count(name), 0)

    def test_update_empty_object_400(self):
        g = new_group()
        self.assertError(patch("/groups/" + g["id"], {"group": {}}), 400)

    def test_update_domain_400(self):
        g, d = new_group(), new_domain()
        self.assertError(patch("/groups/" + g["id"], {"group": {"domain_id": d["id"]}}),
                         400)

    def test_malformed_json_400(self):
        self.assertError(call("POST", "/groups", data="[",
                              headers={"Content-Type": "application/json"}), 400)

    def test_get_unknown_404(self):
        self.assertError(get("/groups/" + uuid.uuid4().hex), 404)

    def test_update_unknown_404(self):
        self.assertError(patch("/groups/" + uuid.uuid4().hex,
                               {"group": {"description": "x"}}), 404)

    def test_delete_unknown_404(self):
        self.assertError(delete("/groups/" + uuid.uuid4().hex), 404)


class TestGroupMembership(TestCase):
    def path(self, g, u):
        return "/groups/%s/users/%s" % (g["id"], u["id"])

    def test_membership_lifecycle(self):
        g, u, other = new_group(), new_user(), new_user()
        self.assertError(get(self.path(g, u)), 404)
        self.assertStatus(head(self.path(g, u)), 404)
        r = put(self.path(g, u))
        self.assertStatus(r, 204)
        self.assertEqual(r.text, "")
        self.assertStatus(put(self.path(g, u)), 204)          # idempotent
        self.assertStatus(get(self.path(g, u)), 204)
        self.assertStatus(head(self.path(g, u)), 204)
        r = get("/groups/%s/users" % g["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["users"]], [u["id"]])
        self.assertIdNotIn(other["id"], r.body["users"])
        for x in r.body["users"]:
            self.assertNotIn("password", x)
        self.assertStatus(delete(self.path(g, u)), 204)
        self.assertError(get(self.path(g, u)), 404)
        self.assertError(delete(self.path(g, u)), 404)
        self.assertEqual(get("/groups/%s/users" % g["id"]).body["users"], [])

    def test_group_role_reaches_members(self):
        p = new_project()
        g, u = new_group(), new_user()
        self.assertStatus(put("/projects/%s/groups/%s/roles/%s" % (
            p["id"], g["id"], role_id("member"))), 204)
        self.assertStatus(put(self.path(g, u)), 204)
        tok = token_for(u, project_scope(p["id"]))
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertIn("member", {x["name"] for x in r.body["token"]["roles"]})

    def test_add_unknown_user_404(self):
        g = new_group()
        self.assertError(put(self.path(g, {"id": uuid.uuid4().hex})), 404)
        self.assertEqual(get("/groups/%s/users" % g["id"]).body["users"], [])

    def test_add_to_unknown_group_404(self):
        u = new_user()
        self.assertError(put(self.path({"id": uuid.uuid4().hex}, u)), 404)
        self.assertEqual(get("/users/%s/groups" % u["id"]).body["groups"], [])

    def test_check_unknown_user_404(self):
        g = new_group()
        self.assertError(get(self.path(g, {"id": uuid.uuid4().hex})), 404)

    def test_remove_from_unknown_group_404(self):
        u = new_user()
        self.assertError(delete(self.path({"id": uuid.uuid4().hex}, u)), 404)

    def test_list_users_of_unknown_group_404(self):
        self.assertError(get("/groups/%s/users" % uuid.uuid4().hex), 404)


class TestGroupRbac(TestCase):
    def test_member_list_groups_403(self):
        self.assertError(get("/groups", token=member_context()["token"]), 403)

    def test_member_get_group_404(self):
        g = new_group(domain_id=new_domain()["id"])
        self.assertError(get("/groups/" + g["id"], token=member_context()["token"]), 404)

    def test_member_create_group_403(self):
        name = uniq("g")
        r = post("/groups", {"group": {"name": name}}, token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(get("/groups", params={"name": name}).body["groups"], [])

    def test_member_add_self_to_group_403(self):
        # the house rule (src/identity/api.c nb_id_enforce_entity): a read of
        # what the caller cannot see is a 404, a denied write a 403 whether
        # or not the entity exists (tempest test_project_delete_by_unauthorized_user)
        m = member_context()
        g = new_group(domain_id=new_domain()["id"])
        r = put("/groups/%s/users/%s" % (g["id"], m["user"]["id"]), token=m["token"])
        self.assertError(r, 403)
        self.assertEqual(get("/groups/%s/users" % g["id"]).body["users"], [])
        self.assertEqual(get("/groups/%s/users" % g["id"]).body["users"], [])

    def test_member_delete_group_403(self):
        g = new_group(domain_id=new_domain()["id"])
        r = delete("/groups/" + g["id"], token=member_context()["token"])
        self.assertError(r, 403)
        self.assertExists("/groups/" + g["id"])
