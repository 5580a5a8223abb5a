"""/v3/projects and /v3/projects/{id}/tags: CRUD, the hierarchy,
validation, RBAC (another project is a 404 to a member).

Keystone: keystone/api/projects.py (unknown domain or parent -> 400
ValidationError), keystone/resource/schema.py (name 1..64, tags: 1..255
chars without ',' or '/', at most 80), keystone/resource/core.py
(_update_project: parent_id -> 403, is_domain -> 400, duplicate -> 409;
_delete_project: not a leaf -> 403; max_project_tree_depth = 5)."""
import uuid

from lib import (BASE, TestCase, call, delete, get, head, member_context,
                 new_domain, new_project, new_user, patch, post, put, role_id,
                 token_for, uniq)


class TestProjectCrud(TestCase):
    def test_create_201_and_fields(self):
        name = uniq("proj")
        r = post("/projects", {"project": {"name": name, "description": "p"}})
        self.assertStatus(r, 201)
        p = r.body["project"]
        self.assertEqual(p["name"], name)
        self.assertEqual(p["description"], "p")
        self.assertEqual(p["domain_id"], "default")
        self.assertEqual(p["parent_id"], "default")
        self.assertIs(p["enabled"], True)
        self.assertIs(p["is_domain"], False)
        self.assertEqual(p["tags"], [])
        self.assertEqual(p["links"]["self"], BASE + "/identity/v3/projects/" + p["id"])
        got = self.assertExists("/projects/" + p["id"])["project"]
        for k in ("name", "description", "domain_id", "parent_id", "enabled",
                  "is_domain"):
            self.assertEqual(got[k], p[k], k)

    def test_create_in_other_domain(self):
        d = new_domain()
        p = new_project(domain_id=d["id"])
        self.assertEqual(p["domain_id"], d["id"])
        self.assertEqual(p["parent_id"], d["id"])

    def test_create_child_inherits_domain(self):
        d = new_domain()
        parent = new_project(domain_id=d["id"])
        r = post("/projects", {"project": {"name": uniq("child"),
                                           "parent_id": parent["id"]}})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["project"]["parent_id"], parent["id"])
        self.assertEqual(r.body["project"]["domain_id"], d["id"])

    def test_create_with_tags(self):
        p = new_project(tags=["b", "a"])
        self.assertEqual(sorted(p["tags"]), ["a", "b"])

    def test_create_keeps_extra_attributes(self):
        p = new_project(owner_team="blue")
        self.assertEqual(self.assertExists("/projects/" + p["id"])["project"]
                         ["owner_team"], "blue")

    def test_same_name_in_other_domain_201(self):
        p = new_project()
        d = new_domain()
        r = post("/projects", {"project": {"name": p["name"], "domain_id": d["id"]}})
        self.assertStatus(r, 201)

    def test_list_and_filters(self):
        d = new_domain()
        p1 = new_project(domain_id=d["id"])
        p2 = new_project(domain_id=d["id"], enabled=False)
        child = new_project(parent_id=p1["id"], domain_id=d["id"])
        r = get("/projects")
        self.assertStatus(r, 200)
        self.assertIdIn(p1["id"], r.body["projects"])
        self.assertEqual(r.body["links"]["self"], BASE + "/identity/v3/projects")
        ids = lambda **q: [x["id"] for x in get("/projects", params=q).body["projects"]]
        self.assertEqual(sorted(ids(domain_id=d["id"])),
                         sorted([p1["id"], p2["id"], child["id"]]))
        self.assertEqual(ids(name=p1["name"]), [p1["id"]])
        self.assertEqual(ids(parent_id=p1["id"]), [child["id"]])
        self.assertEqual(sorted(ids(domain_id=d["id"], enabled="false")), [p2["id"]])
        self.assertNotIn(p2["id"], ids(domain_id=d["id"], enabled="true"))

    def test_list_filter_unknown_name_empty(self):
        r = get("/projects", params={"name": uniq("none")})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["projects"], [])

    def test_update_200(self):
        p = new_project()
        new = uniq("renamed")
        r = patch("/projects/" + p["id"], {"project": {"name": new, "description": "u",
                                                       "enabled": False}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["project"]["name"], new)
        self.assertEqual(r.body["project"]["description"], "u")
        self.assertIs(r.body["project"]["enabled"], False)
        got = self.assertExists("/projects/" + p["id"])["project"]
        self.assertEqual(got["name"], new)
        self.assertIs(got["enabled"], False)

    def test_delete_204_then_404(self):
        p = new_project()
        r = delete("/projects/" + p["id"])
        self.assertStatus(r, 204)
        self.assertGone("/projects/" + p["id"])
        self.assertError(delete("/projects/" + p["id"]), 404)

    def test_delete_removes_assignments(self):
        p = new_project()
        u = new_user(project=p["id"])
        self.assertStatus(delete("/projects/" + p["id"]), 204)
        r = get("/role_assignments", params={"user.id": u["id"]})
        self.assertEqual(r.body["role_assignments"], [])

    def test_delete_non_leaf_403(self):
        parent = new_project()
        child = new_project(parent_id=parent["id"])
        self.assertError(delete("/projects/" + parent["id"]), 403)
        self.assertExists("/projects/" + parent["id"])
        self.assertStatus(delete("/projects/" + child["id"]), 204)
        self.assertStatus(delete("/projects/" + parent["id"]), 204)

    def test_user_projects_lists_projects_with_roles(self):
        p1, p2 = new_project(), new_project()
        u = new_user(project=p1["id"])
        r = get("/users/%s/projects" % u["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["projects"]], [p1["id"]])
        # the user may list its own
        r = get("/users/%s/projects" % u["id"], token=token_for(u))
        self.assertStatus(r, 200)
        self.assertIdIn(p1["id"], r.body["projects"])
        self.assertIdNotIn(p2["id"], r.body["projects"])


class TestProjectErrors(TestCase):
    def count(self, name):
        return len(get("/projects", params={"name": name}).body["projects"])

    def test_duplicate_name_same_domain_409(self):
        p = new_project()
        r = post("/projects", {"project": {"name": p["name"]}})
        self.assertError(r, 409)
        self.assertEqual(self.count(p["name"]), 1)

    def test_rename_to_existing_409(self):
        p1, p2 = new_project(), new_project()
        r = patch("/projects/" + p2["id"], {"project": {"name": p1["name"]}})
        self.assertError(r, 409)
        self.assertEqual(self.assertExists("/projects/" + p2["id"])["project"]["name"],
                         p2["name"])

    def test_missing_name_400(self):
        self.assertError(post("/projects", {"project": {"description": "x"}}), 400,
                         "name")

    def test_missing_project_object_400(self):
        self.assertError(post("/projects", {"name": "x"}), 400, "project")

    def test_name_too_long_400(self):
        name = "p" * 65
        self.assertError(post("/projects", {"project": {"name": name}}), 400, "name")
        self.assertEqual(self.count(name), 0)

    def test_name_wrong_type_400(self):
        self.assertError(post("/projects", {"project": {"name": ["x"]}}), 400, "name")

    def test_enabled_wrong_type_400(self):
        name = uniq("p")
        r = post("/projects", {"project": {"name": name, "enabled": 1}})
        self.assertError(r, 400, "enabled")
        self.assertEqual(self.count(name), 0)

    def test_unknown_domain_400(self):
        name = uniq("p")
        r = post("/projects", {"project": {"name": name, "domain_id": uuid.uuid4().hex}})
        self.assertError(r, 400)
        self.assertEqual(self.count(name), 0)

    def test_unknown_parent_400(self):
        name = uniq("p")
        r = post("/projects", {"project": {"name": name, "parent_id": uuid.uuid4().hex}})
        self.assertError(r, 400)
        self.assertEqual(self.count(name), 0)

    def test_parent_in_other_domain_400(self):
        parent = new_project()
        d = new_domain()
        name = uniq("p")
        r = post("/projects", {"project": {"name": name, "domain_id": d["id"],
                                           "parent_id": parent["id"]}})
        self.assertError(r, 400)
        self.assertEqual(self.count(name), 0)

    def test_child_of_disabled_parent_400(self):
        parent = new_project(enabled=False)
        name = uniq("p")
        r = post("/projects", {"project": {"name": name, "parent_id": parent["id"]}})
        self.assertError(r, 400)
        self.assertEqual(self.count(name), 0)

    def test_hierarchy_deeper_than_5_403(self):
        parent = new_project()
        for _ in range(4):
            parent = new_project(parent_id=parent["id"])
        name = uniq("deep")
        r = post("/projects", {"project": {"name": name, "parent_id": parent["id"]}})
        self.assertError(r, 403)
        self.assertEqual(self.count(name), 0)

    def test_update_parent_403(self):
        p, other = new_project(), new_project()
        r = patch("/projects/" + p["id"], {"project": {"parent_id": other["id"]}})
        self.assertError(r, 403)
        self.assertEqual(self.assertExists("/projects/" + p["id"])["project"]
                         ["parent_id"], "default")

    def test_update_domain_400(self):
        p, d = new_project(), new_domain()
        r = patch("/projects/" + p["id"], {"project": {"domain_id": d["id"]}})
        self.assertError(r, 400)
        self.assertEqual(self.assertExists("/projects/" + p["id"])["project"]
                         ["domain_id"], "default")

    def test_update_is_domain_400(self):
        p = new_project()
        self.assertError(patch("/projects/" + p["id"], {"project": {"is_domain": True}}),
                         400)

    def test_update_empty_object_400(self):
        p = new_project()
        self.assertError(patch("/projects/" + p["id"], {"project": {}}), 400)

    def test_update_name_blank_400(self):
        p = new_project()
        r = patch("/projects/" + p["id"], {"project": {"name": " "}})
        self.assertError(r, 400, "name")

    def test_disable_parent_with_enabled_child_403(self):
        parent = new_project()
        new_project(parent_id=parent["id"])
        r = patch("/projects/" + parent["id"], {"project": {"enabled": False}})
        self.assertError(r, 403)
        self.assertIs(self.assertExists("/projects/" + parent["id"])["project"]
                      ["enabled"], True)

    def test_get_unknown_404(self):
        self.assertError(get("/projects/" + uuid.uuid4().hex), 404)

    def test_update_unknown_404(self):
        self.assertError(patch("/projects/" + uuid.uuid4().hex,
                               {"project": {"description": "x"}}), 404)

    def test_delete_unknown_404(self):
        self.assertError(delete("/projects/" + uuid.uuid4().hex), 404)

    def test_malformed_json_400(self):
        r = call("POST", "/projects", data="{'project': {}}",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_user_projects_unknown_user_404(self):
        self.assertError(get("/users/%s/projects" % uuid.uuid4().hex), 404)


class TestProjectRbac(TestCase):
    def test_member_list_projects_403(self):
        self.assertError(get("/projects", token=member_context()["token"]), 403)

    def test_member_get_own_project_200(self):
        m = member_context()
        r = get("/projects/" + m["project"]["id"], token=m["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["project"]["name"], m["project"]["name"])

    def test_member_get_other_project_404(self):
        p = new_project()
        r = get("/projects/" + p["id"], token=member_context()["token"])
        self.assertError(r, 404)

    def test_member_update_own_project_403(self):
        m = member_context()
        r = patch("/projects/" + m["project"]["id"], {"project": {"description": "h"}},
                  token=m["token"])
        self.assertError(r, 403)
        self.assertNotEqual(self.assertExists("/projects/" + m["project"]["id"])
                            ["project"]["description"], "h")

    def test_member_update_other_project_403(self):
        # the house rule (src/identity/api.c nb_id_enforce_entity): a read of
        # what the caller cannot see is a 404, a denied write a 403 whether
        # or not the entity exists (tempest test_project_delete_by_unauthorized_user)
        p = new_project()
        r = patch("/projects/" + p["id"], {"project": {"description": "h"}},
                  token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(self.assertExists("/projects/" + p["id"])["project"]
                         ["description"], "")

    def test_member_delete_other_project_403(self):
        p = new_project()
        self.assertError(delete("/projects/" + p["id"], token=member_context()["token"]),
                         403)
        self.assertExists("/projects/" + p["id"])

    def test_member_write_to_unknown_project_403(self):
        # the same answer as for an existing project: nothing leaks
        m = member_context()
        pid = uuid.uuid4().hex
        self.assertError(delete("/projects/" + pid, token=m["token"]), 403)
        self.assertError(patch("/projects/" + pid, {"project": {"description": "h"}},
                               token=m["token"]), 403)

    def test_member_delete_own_project_403(self):
        m = member_context()
        self.assertError(delete("/projects/" + m["project"]["id"], token=m["token"]), 403)
        self.assertExists("/projects/" + m["project"]["id"])

    def test_member_create_403(self):
        name = uniq("p")
        r = post("/projects", {"project": {"name": name}}, token=member_context()["token"])
        self.assertError(r, 403)
        self.assertEqual(self.count_named(name), 0)

    def count_named(self, name):
        return len(get("/projects", params={"name": name}).body["projects"])

    def test_member_list_other_users_projects_404(self):
        other = new_user()
        r = get("/users/%s/projects" % other["id"], token=member_context()["token"])
        self.assertError(r, 404)

    def test_domain_admin_manages_projects_in_its_domain(self):
        d = new_domain()
        u = new_user()
        self.assertStatus(put("/domains/%s/users/%s/roles/%s" % (
            d["id"], u["id"], role_id("admin"))), 204)
        tok = token_for(u, {"domain": {"id": d["id"]}})
        r = post("/projects", {"project": {"name": uniq("p"), "domain_id": d["id"]}},
                 token=tok)
        self.assertStatus(r, 201)
        pid = r.body["project"]["id"]
        r = get("/projects", params={"domain_id": d["id"]}, token=tok)
        self.assertStatus(r, 200)
        self.assertIdIn(pid, r.body["projects"])
        self.assertStatus(patch("/projects/" + pid, {"project": {"description": "d"}},
                                token=tok), 200)
        self.assertStatus(delete("/projects/" + pid, token=tok), 204)


class TestProjectTags(TestCase):
    def path(self, p, tag=None):
        return "/projects/%s/tags" % p["id"] + ("/" + tag if tag else "")

    def test_tags_lifecycle(self):
        p = new_project()
        r = get(self.path(p))
        self.assertStatus(r, 200)
        self.assertEqual(r.body["tags"], [])
        r = put(self.path(p), {"tags": ["alpha", "beta"]})
        self.assertStatus(r, 200)
        self.assertEqual(sorted(r.body["tags"]), ["alpha", "beta"])
        self.assertEqual(sorted(get(self.path(p)).body["tags"]), ["alpha", "beta"])
        self.assertStatus(get(self.path(p, "alpha")), 204)
        self.assertStatus(head(self.path(p, "alpha")), 204)
        r = put(self.path(p, "gamma"))
        self.assertStatus(r, 201)
        self.assertEqual(sorted(get(self.path(p)).body["tags"]),
                         ["alpha", "beta", "gamma"])
        self.assertEqual(sorted(self.assertExists("/projects/" + p["id"])["project"]
                                ["tags"]), ["alpha", "beta", "gamma"])
        self.assertStatus(delete(self.path(p, "beta")), 204)
        self.assertError(get(self.path(p, "beta")), 404)
        self.assertStatus(delete(self.path(p)), 204)
        self.assertEqual(get(self.path(p)).body["tags"], [])

    def test_replace_replaces(self):
        p = new_project(tags=["old"])
        self.assertStatus(put(self.path(p), {"tags": ["new"]}), 200)
        self.assertEqual(get(self.path(p)).body["tags"], ["new"])

    def test_update_tags_through_patch(self):
        p = new_project()
        r = patch("/projects/" + p["id"], {"project": {"tags": ["x1"]}})
        self.assertStatus(r, 200)
        self.assertEqual(get(self.path(p)).body["tags"], ["x1"])

    def test_filter_by_tags(self):
        t = uniq("tag")
        a = new_project(tags=[t + "a", t + "b"])
        b = new_project(tags=[t + "a"])
        c = new_project(tags=[t + "c"])
        ids = lambda **q: sorted(x["id"] for x in get("/projects", params=q)
                                 .body["projects"])
        self.assertEqual(ids(tags=t + "a," + t + "b"), [a["id"]])
        self.assertEqual(ids(tags=t + "a"), sorted([a["id"], b["id"]]))
        self.assertEqual(ids(**{"tags-any": t + "b," + t + "c"}),
                         sorted([a["id"], c["id"]]))
        got = ids(**{"not-tags": t + "a"})
        self.assertIn(c["id"], got)
        self.assertNotIn(a["id"], got)
        got = ids(**{"not-tags-any": t + "b," + t + "c"})
        self.assertIn(b["id"], got)
        self.assertNotIn(a["id"], got)
        self.assertNotIn(c["id"], got)

    def test_tag_with_comma_400(self):
        p = new_project()
        self.assertError(put(self.path(p), {"tags": ["a,b"]}), 400, "tags")
        self.assertEqual(get(self.path(p)).body["tags"], [])

    def test_tag_with_slash_in_body_400(self):
        p = new_project()
        self.assertError(put(self.path(p), {"tags": ["a/b"]}), 400, "tags")

    def test_tag_too_long_400(self):
        p = new_project()
        self.assertError(put(self.path(p), {"tags": ["t" * 256]}), 400, "tags")

    def test_too_many_tags_400(self):
        p = new_project()
        r = put(self.path(p), {"tags": ["t%d" % i for i in range(81)]})
        self.assertError(r, 400, "tags")
        self.assertEqual(get(self.path(p)).body["tags"], [])

    def test_tags_not_a_list_400(self):
        p = new_project()
        self.assertError(put(self.path(p), {"tags": "a"}), 400, "tags")

    def test_tags_missing_400(self):
        p = new_project()
        self.assertError(put(self.path(p), {"tag": ["a"]}), 400, "tags")

    def test_tag_on_create_invalid_400(self):
        name = uniq("p")
        r = post("/projects", {"project": {"name": name, "tags": ["bad,tag"]}})
        self.assertError(r, 400, "tags")
        self.assertEqual(get("/projects", params={"name": name}).body["projects"], [])

    def test_tags_of_unknown_project_404(self):
        p = {"id": uuid.uuid4().hex}
        self.assertError(get(self.path(p)), 404)
        self.assertError(put(self.path(p), {"tags": ["a"]}), 404)
        self.assertError(put(self.path(p, "a")), 404)
        self.assertError(delete(self.path(p, "a")), 404)
        self.assertError(delete(self.path(p)), 404)

    def test_delete_unknown_tag_404(self):
        p = new_project(tags=["a"])
        self.assertError(delete(self.path(p, "zzz")), 404)

    def test_member_reads_own_tags_but_not_others(self):
        m = member_context()
        self.assertStatus(get(self.path(m["project"]), token=m["token"]), 200)
        other = new_project(tags=["s"])
        self.assertError(get(self.path(other), token=m["token"]), 404)
        self.assertError(get(self.path(other, "s"), token=m["token"]), 404)

    def test_member_cannot_change_tags(self):
        m = member_context()
        r = put(self.path(m["project"], "x"), token=m["token"])
        self.assertError(r, 403)
        self.assertError(put(self.path(m["project"]), {"tags": ["x"]}, token=m["token"]),
                         403)
        self.assertNotIn("x", get(self.path(m["project"])).body["tags"])
        other = new_project(tags=["keep"])
        self.assertError(delete(self.path(other), token=m["token"]), 403)
        self.assertError(delete(self.path(other, "keep"), token=m["token"]), 403)
        self.assertEqual(get(self.path(other)).body["tags"], ["keep"])


class TestListLimit(TestCase):
    """[identity] list_limit: at most that many entities, and
    "truncated": true when there were more (keystone/common/driver_hints
    + wrap_collection)."""

    def test_list_limit_truncates_and_says_so(self):
        from lib import SideDaemon
        domain = new_domain()
        for _ in range(3):
            new_project(domain_id=domain["id"])
        with SideDaemon("[identity]\nlist_limit = 2\n") as side:
            r = call("GET", side.url + "/identity/v3/projects",
                     params={"domain_id": domain["id"]})
            self.assertStatus(r, 200)
            self.assertEqual(len(r.body["projects"]), 2)
            self.assertIs(r.body["truncated"], True)
            r = call("GET", side.url + "/identity/v3/projects",
                     params={"domain_id": domain["id"], "name": "no such project"})
            self.assertStatus(r, 200)
            self.assertNotIn("truncated", r.body)
        # the main daemon has no limit
        r = get("/projects", params={"domain_id": domain["id"]})
        self.assertEqual(len(r.body["projects"]), 3)
        self.assertNotIn("truncated", r.body)
