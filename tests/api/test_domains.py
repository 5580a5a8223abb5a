"""/v3/domains: CRUD, validation, RBAC, cascading delete.

Keystone: keystone/api/domains.py, keystone/resource/schema.py
(domain_create: name 1..64 and not blank, required; domain_update:
minProperties 1), keystone/resource/core.py (_delete_domain: enabled ->
403 "Cannot delete a domain that is enabled, please disable it first.")."""
import uuid

from lib import (BASE, TestCase, call, delete, get, member_context, new_domain,
                 new_group, new_project, new_user, patch, post, uniq)


class TestDomainCrud(TestCase):
    def test_create_201_and_fields(self):
        name = uniq("dom")
        r = post("/domains", {"domain": {"name": name, "description": "d1"}})
        self.assertStatus(r, 201)
        d = r.body["domain"]
        self.assertEqual(d["name"], name)
        self.assertEqual(d["description"], "d1")
        self.assertIs(d["enabled"], True)
        self.assertTrue(d["id"])
        self.assertEqual(d["links"]["self"], BASE + "/identity/v3/domains/" + d["id"])
        got = self.assertExists("/domains/" + d["id"])["domain"]
        self.assertEqual(got["name"], name)
        self.assertEqual(got["description"], "d1")

    def test_create_disabled(self):
        d = new_domain(enabled=False)
        self.assertIs(d["enabled"], False)

    def test_create_keeps_extra_attributes(self):
        d = new_domain(color="blue")
        self.assertEqual(d.get("color"), "blue")
        self.assertEqual(self.assertExists("/domains/" + d["id"])["domain"]["color"],
                         "blue")

    def test_list_and_filters(self):
        d1, d2 = new_domain(), new_domain(enabled=False)
        r = get("/domains")
        self.assertStatus(r, 200)
        self.assertIdIn(d1["id"], r.body["domains"])
        self.assertIdIn(d2["id"], r.body["domains"])
        self.assertIdIn("default", r.body["domains"])
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/domains")
        r = get("/domains", params={"name": d1["name"]})
        self.assertEqual([x["id"] for x in r.body["domains"]], [d1["id"]])
        r = get("/domains", params={"enabled": "false"})
        self.assertIdIn(d2["id"], r.body["domains"])
        self.assertIdNotIn(d1["id"], r.body["domains"])

    def test_get_default_domain(self):
        d = self.assertExists("/domains/default")["domain"]
        self.assertEqual(d["name"], "Default")
        self.assertIs(d["enabled"], True)

    def test_update_200(self):
        d = new_domain()
        new = uniq("renamed")
        r = patch("/domains/" + d["id"], {"domain": {"name": new, "description": "x"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["domain"]["name"], new)
        self.assertEqual(r.body["domain"]["description"], "x")
        self.assertEqual(self.assertExists("/domains/" + d["id"])["domain"]["name"], new)

    def test_delete_requires_disable_403(self):
        d = new_domain()
        r = delete("/domains/" + d["id"])
        self.assertError(r, 403)
        self.assertExists("/domains/" + d["id"])

    def test_delete_disabled_204_then_404(self):
        d = new_domain()
        self.assertStatus(patch("/domains/" + d["id"], {"domain": {"enabled": False}}),
                          200)
        r = delete("/domains/" + d["id"])
        self.assertStatus(r, 204)
        self.assertEqual(r.text, "")
        self.assertGone("/domains/" + d["id"])
        self.assertError(delete("/domains/" + d["id"]), 404)

    def test_delete_takes_its_projects_users_groups(self):
        d = new_domain()
        p = new_project(domain_id=d["id"])
        u = new_user(domain_id=d["id"], project=p["id"])
        g = new_group(domain_id=d["id"])
        self.assertStatus(patch("/domains/" + d["id"], {"domain": {"enabled": False}}),
                          200)
        self.assertStatus(delete("/domains/" + d["id"]), 204)
        self.assertGone("/projects/" + p["id"])
        self.assertGone("/users/" + u["id"])
        self.assertGone("/groups/" + g["id"])
        r = get("/role_assignments", params={"user.id": u["id"]})
        self.assertEqual(r.body["role_assignments"], [])

    def test_domain_name_reusable_after_delete(self):
        d = new_domain()
        patch("/domains/" + d["id"], {"domain": {"enabled": False}})
        self.assertStatus(delete("/domains/" + d["id"]), 204)
        self.assertStatus(post("/domains", {"domain": {"name": d["name"]}}), 201)


class TestDomainErrors(TestCase):
    def count(self, name):
        return len(get("/domains", params={"name": name}).body["domains"])

    def test_duplicate_name_409(self):
        d = new_domain()
        r = post("/domains", {"domain": {"name": d["name"]}})
        self.assertError(r, 409)
        self.assertEqual(self.count(d["name"]), 1)

    def test_rename_to_existing_name_409(self):
        d1, d2 = new_domain(), new_domain()
        r = patch("/domains/" + d2["id"], {"domain": {"name": d1["name"]}})
        self.assertError(r, 409)
        self.assertEqual(self.assertExists("/domains/" + d2["id"])["domain"]["name"],
                         d2["name"])

    def test_missing_name_400(self):
        self.assertError(post("/domains", {"domain": {"description": "x"}}), 400,
                         "name")

    def test_missing_domain_object_400(self):
        self.assertError(post("/domains", {"name": uniq("dom")}), 400, "domain")

    def test_domain_not_an_object_400(self):
        self.assertError(post("/domains", {"domain": "x"}), 400, "domain")

    def test_name_wrong_type_400(self):
        self.assertError(post("/domains", {"domain": {"name": 42}}), 400, "name")

    def test_name_empty_400(self):
        self.assertError(post("/domains", {"domain": {"name": ""}}), 400, "name")

    def test_name_blank_400(self):
        self.assertError(post("/domains", {"domain": {"name": "   "}}), 400, "name")

    def test_name_too_long_400(self):
        name = "d" * 65
        self.assertError(post("/domains", {"domain": {"name": name}}), 400, "name")
        self.assertEqual(self.count(name), 0)

    def test_name_64_chars_201(self):
        name = ("d" + uuid.uuid4().hex * 2)[:64]
        self.assertStatus(post("/domains", {"domain": {"name": name}}), 201)

    def test_enabled_wrong_type_400(self):
        name = uniq("dom")
        r = post("/domains", {"domain": {"name": name, "enabled": "yes"}})
        self.assertError(r, 400, "enabled")
        self.assertEqual(self.count(name), 0)

    def test_description_wrong_type_400(self):
        name = uniq("dom")
        r = post("/domains", {"domain": {"name": name, "description": 5}})
        self.assertError(r, 400, "description")
        self.assertEqual(self.count(name), 0)

    def test_malformed_json_400(self):
        r = call("POST", "/domains", data='{"domain": {"name": "x"',
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_update_empty_object_400(self):
        # keystone/resource/schema.py domain_update: minProperties 1
        d = new_domain()
        self.assertError(patch("/domains/" + d["id"], {"domain": {}}), 400)

    def test_update_enabled_wrong_type_400(self):
        d = new_domain()
        r = patch("/domains/" + d["id"], {"domain": {"enabled": "no"}})
        self.assertError(r, 400, "enabled")
        self.assertIs(self.assertExists("/domains/" + d["id"])["domain"]["enabled"],
                      True)

    def test_update_malformed_json_400(self):
        d = new_domain()
        r = call("PATCH", "/domains/" + d["id"], data="{",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_get_unknown_404(self):
        self.assertError(get("/domains/" + uuid.uuid4().hex), 404)

    def test_update_unknown_404(self):
        self.assertError(patch("/domains/" + uuid.uuid4().hex,
                               {"domain": {"description": "x"}}), 404)

    def test_delete_unknown_404(self):
        self.assertError(delete("/domains/" + uuid.uuid4().hex), 404)


class TestDomainRbac(TestCase):
    def test_member_list_403(self):
        self.assertError(get("/domains", token=member_context()["token"]), 403)

    def test_member_create_403(self):
        name = uniq("dom")
        r = post("/domains", {"domain": {"name": name}}, token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(get("/domains", params={"name": name}).body["domains"], [])

    def test_member_get_own_projects_domain_200(self):
        r = get("/domains/default", token=member_context()["token"])
        self.assertStatus(r, 200)

    def test_member_get_other_domain_404(self):
        d = new_domain()
        self.assertError(get("/domains/" + d["id"], token=member_context()["token"]),
                         404)

    def test_member_update_own_domain_403(self):
        r = patch("/domains/default", {"domain": {"description": "hacked"}},
                  token=member_context()["token"])
        self.assertError(r, 403)
        self.assertNotEqual(self.assertExists("/domains/default")["domain"]
                            ["description"], "hacked")

    def test_member_update_other_domain_403(self):
        # the house rule (src/identity/api.c nb_id_enforce_entity): a read of
        # what the caller cannot see is a 404, a denied write a 403 whether
        # or not the entity exists (tempest test_project_delete_by_unauthorized_user)
        d = new_domain()
        r = patch("/domains/" + d["id"], {"domain": {"description": "hacked"}},
                  token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(self.assertExists("/domains/" + d["id"])["domain"]
                         ["description"], d["description"])

    def test_member_delete_other_domain_403(self):
        d = new_domain(enabled=False)
        self.assertError(delete("/domains/" + d["id"], token=member_context()["token"]),
                         403)
        self.assertExists("/domains/" + d["id"])

    def test_no_token_401(self):
        self.assertError(get("/domains", token=None), 401)
        self.assertError(post("/domains", {"domain": {"name": uniq("d")}}, token=None),
                         401)
