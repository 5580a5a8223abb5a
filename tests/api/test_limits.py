"""Unified limits: /v3/limits/model, /v3/registered_limits, /v3/limits.

Keystone: keystone/api/limits.py, keystone/api/registered_limits.py
(create takes a list and answers 201 {"registered_limits"|"limits": [...]};
a project-scoped caller lists only its project's limits),
keystone/limit/schema.py (service_id, resource_name, default_limit /
resource_limit required, integers -1..2^31-1, nothing else allowed; a
limit names a project_id or a domain_id), keystone/limit/core.py
(unknown service/region/project -> 400), keystone/limit/backends/sql.py
(duplicates -> 409; a limit needs its registered limit: 403
NoLimitReference; a registered limit referenced by limits cannot be
deleted: 403), keystone/limit/models/flat.py (model "flat")."""
import uuid

from lib import (BASE, SYSTEM_SCOPE, TestCase, call, delete, get, issue,
                 member_context, new_project, new_service, patch, post, uniq,
                 ADMIN_PASSWORD)


def system_admin_token():
    r = issue({"name": "admin", "domain": {"id": "default"}}, ADMIN_PASSWORD,
              SYSTEM_SCOPE)
    if r.status != 201:
        raise AssertionError("cannot get a system token: %r" % r)
    return r.token


class Base(TestCase):
    def setUp(self):
        self.svc = new_service()
        self.res = uniq("cores")

    def registered(self, **attrs):
        body = {"service_id": self.svc["id"], "resource_name": self.res,
                "default_limit": 10}
        body.update(attrs)
        r = post("/registered_limits", {"registered_limits": [body]})
        if r.status != 201:
            raise AssertionError("cannot create registered limit: %r" % r)
        return r.body["registered_limits"][0]

    def limit(self, project_id, **attrs):
        body = {"project_id": project_id, "service_id": self.svc["id"],
                "resource_name": self.res, "resource_limit": 5}
        body.update(attrs)
        r = post("/limits", {"limits": [body]})
        if r.status != 201:
            raise AssertionError("cannot create limit: %r" % r)
        return r.body["limits"][0]


class TestLimitModel(TestCase):
    def test_model_flat(self):
        r = get("/limits/model", token=member_context()["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["model"]["name"], "flat")
        self.assertTrue(r.body["model"]["description"])

    def test_model_without_token_401(self):
        self.assertError(get("/limits/model", token=None), 401)


class TestRegisteredLimits(Base):
    def test_crud(self):
        r = post("/registered_limits", {"registered_limits": [
            {"service_id": self.svc["id"], "resource_name": self.res,
             "default_limit": 10, "region_id": "RegionOne", "description": "d"},
            {"service_id": self.svc["id"], "resource_name": self.res + "b",
             "default_limit": -1}]})
        self.assertStatus(r, 201)
        a, b = r.body["registered_limits"]
        self.assertEqual(a["service_id"], self.svc["id"])
        self.assertEqual(a["resource_name"], self.res)
        self.assertEqual(a["default_limit"], 10)
        self.assertEqual(a["region_id"], "RegionOne")
        self.assertEqual(a["description"], "d")
        self.assertEqual(b["default_limit"], -1)
        self.assertEqual(a["links"]["self"],
                         BASE + "/identity/v3/registered_limits/" + a["id"])
        got = self.assertExists("/registered_limits/" + a["id"])["registered_limit"]
        self.assertEqual(got["default_limit"], 10)
        r = get("/registered_limits", params={"service_id": self.svc["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(sorted(x["id"] for x in r.body["registered_limits"]),
                         sorted([a["id"], b["id"]]))
        r = get("/registered_limits", params={"resource_name": self.res})
        self.assertEqual([x["id"] for x in r.body["registered_limits"]], [a["id"]])
        r = patch("/registered_limits/" + a["id"], {"registered_limit": {
            "default_limit": 20, "description": "e"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["registered_limit"]["default_limit"], 20)
        self.assertStatus(delete("/registered_limits/" + a["id"]), 204)
        self.assertGone("/registered_limits/" + a["id"])
        self.assertError(delete("/registered_limits/" + a["id"]), 404)

    def test_member_may_read(self):
        rl = self.registered()
        m = member_context()
        self.assertStatus(get("/registered_limits", token=m["token"]), 200)
        self.assertStatus(get("/registered_limits/" + rl["id"], token=m["token"]), 200)

    def test_member_cannot_write_403(self):
        m = member_context()
        rl = self.registered()
        r = post("/registered_limits", {"registered_limits": [
            {"service_id": self.svc["id"], "resource_name": uniq("r"),
             "default_limit": 1}]}, token=m["token"])
        self.assertError(r, 403)
        self.assertError(patch("/registered_limits/" + rl["id"], {"registered_limit": {
            "default_limit": 1}}, token=m["token"]), 403)
        self.assertError(delete("/registered_limits/" + rl["id"], token=m["token"]), 403)
        self.assertEqual(self.assertExists("/registered_limits/" + rl["id"])
                         ["registered_limit"]["default_limit"], 10)

    def test_duplicate_409(self):
        self.registered()
        r = post("/registered_limits", {"registered_limits": [
            {"service_id": self.svc["id"], "resource_name": self.res,
             "default_limit": 3}]})
        self.assertError(r, 409)
        self.assertEqual(len(get("/registered_limits", params={
            "resource_name": self.res}).body["registered_limits"]), 1)

    def bad(self, entry, *words):
        r = post("/registered_limits", {"registered_limits": [entry]})
        self.assertError(r, 400, *words)
        self.assertEqual(get("/registered_limits", params={
            "service_id": self.svc["id"]}).body["registered_limits"], [])

    def test_missing_default_limit_400(self):
        self.bad({"service_id": self.svc["id"], "resource_name": self.res},
                 "default_limit")

    def test_default_limit_wrong_type_400(self):
        self.bad({"service_id": self.svc["id"], "resource_name": self.res,
                  "default_limit": "10"}, "default_limit")

    def test_default_limit_below_minus_one_400(self):
        self.bad({"service_id": self.svc["id"], "resource_name": self.res,
                  "default_limit": -2}, "default_limit")

    def test_unknown_property_400(self):
        self.bad({"service_id": self.svc["id"], "resource_name": self.res,
                  "default_limit": 1, "color": "red"})

    def test_unknown_service_400(self):
        r = post("/registered_limits", {"registered_limits": [
            {"service_id": uuid.uuid4().hex, "resource_name": self.res,
             "default_limit": 1}]})
        self.assertError(r, 400)

    def test_unknown_region_400(self):
        self.bad({"service_id": self.svc["id"], "resource_name": self.res,
                  "default_limit": 1, "region_id": uniq("noregion")})

    def test_not_a_list_400(self):
        r = post("/registered_limits", {"registered_limits": {
            "service_id": self.svc["id"], "resource_name": self.res,
            "default_limit": 1}})
        self.assertError(r, 400)

    def test_empty_list_400(self):
        self.assertError(post("/registered_limits", {"registered_limits": []}), 400)

    def test_update_unknown_property_400(self):
        rl = self.registered()
        r = patch("/registered_limits/" + rl["id"], {"registered_limit": {"x": 1}})
        self.assertError(r, 400)

    def test_delete_referenced_by_a_limit_403(self):
        rl = self.registered()
        self.limit(new_project()["id"])
        self.assertError(delete("/registered_limits/" + rl["id"]), 403)
        self.assertExists("/registered_limits/" + rl["id"])

    def test_malformed_json_400(self):
        r = call("POST", "/registered_limits", data="[",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_unknown_404(self):
        rid = uuid.uuid4().hex
        self.assertError(get("/registered_limits/" + rid), 404)
        self.assertError(patch("/registered_limits/" + rid,
                               {"registered_limit": {"default_limit": 1}}), 404)
        self.assertError(delete("/registered_limits/" + rid), 404)


class TestLimits(Base):
    def test_crud(self):
        self.registered()
        p = new_project()
        r = post("/limits", {"limits": [{"project_id": p["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 5, "description": "x"}]})
        self.assertStatus(r, 201)
        lim = r.body["limits"][0]
        self.assertEqual(lim["project_id"], p["id"])
        self.assertEqual(lim["resource_limit"], 5)
        self.assertEqual(lim["links"]["self"], BASE + "/identity/v3/limits/" + lim["id"])
        got = self.assertExists("/limits/" + lim["id"])["limit"]
        self.assertEqual(got["resource_name"], self.res)
        r = get("/limits", params={"project_id": p["id"]}, token=system_admin_token())
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["limits"]], [lim["id"]])
        r = patch("/limits/" + lim["id"], {"limit": {"resource_limit": 7}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["limit"]["resource_limit"], 7)
        self.assertStatus(delete("/limits/" + lim["id"]), 204)
        self.assertGone("/limits/" + lim["id"])
        self.assertError(delete("/limits/" + lim["id"]), 404)

    def test_domain_limit(self):
        from lib import new_domain
        self.registered()
        d = new_domain()
        r = post("/limits", {"limits": [{"domain_id": d["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 50}]})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["limits"][0]["domain_id"], d["id"])

    def test_without_registered_limit_403(self):
        p = new_project()
        r = post("/limits", {"limits": [{"project_id": p["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 5}]})
        self.assertError(r, 403)

    def test_duplicate_409(self):
        self.registered()
        p = new_project()
        self.limit(p["id"])
        r = post("/limits", {"limits": [{"project_id": p["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 6}]})
        self.assertError(r, 409)

    def test_unknown_project_400(self):
        self.registered()
        r = post("/limits", {"limits": [{"project_id": uuid.uuid4().hex,
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 5}]})
        self.assertError(r, 400)

    def test_missing_resource_limit_400(self):
        self.registered()
        r = post("/limits", {"limits": [{"project_id": new_project()["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res}]})
        self.assertError(r, 400)

    def test_project_and_domain_together_400(self):
        from lib import new_domain
        self.registered()
        r = post("/limits", {"limits": [{"project_id": new_project()["id"],
                                         "domain_id": new_domain()["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 5}]})
        self.assertError(r, 400)

    def test_update_project_400(self):
        self.registered()
        lim = self.limit(new_project()["id"])
        r = patch("/limits/" + lim["id"], {"limit": {"project_id": new_project()["id"]}})
        self.assertError(r, 400)
        self.assertEqual(self.assertExists("/limits/" + lim["id"])["limit"]["project_id"],
                         lim["project_id"])

    def test_update_wrong_type_400(self):
        self.registered()
        lim = self.limit(new_project()["id"])
        r = patch("/limits/" + lim["id"], {"limit": {"resource_limit": "9"}})
        self.assertError(r, 400, "resource_limit")

    def test_deleting_the_project_deletes_its_limits(self):
        self.registered()
        p = new_project()
        lim = self.limit(p["id"])
        self.assertStatus(delete("/projects/" + p["id"]), 204)
        self.assertGone("/limits/" + lim["id"])

    def test_member_sees_only_its_projects_limits(self):
        self.registered()
        m = member_context()
        mine = self.limit(m["project"]["id"])
        other = self.limit(new_project()["id"])
        r = get("/limits", token=m["token"])
        self.assertStatus(r, 200)
        self.assertIdIn(mine["id"], r.body["limits"])
        self.assertIdNotIn(other["id"], r.body["limits"])
        self.assertStatus(get("/limits/" + mine["id"], token=m["token"]), 200)
        self.assertError(get("/limits/" + other["id"], token=m["token"]), 404)

    def test_member_cannot_write_403(self):
        self.registered()
        m = member_context()
        r = post("/limits", {"limits": [{"project_id": m["project"]["id"],
                                         "service_id": self.svc["id"],
                                         "resource_name": self.res,
                                         "resource_limit": 999}]}, token=m["token"])
        self.assertError(r, 403)
        lim = self.limit(m["project"]["id"])
        self.assertError(patch("/limits/" + lim["id"], {"limit": {"resource_limit": 999}},
                               token=m["token"]), 403)
        self.assertError(delete("/limits/" + lim["id"], token=m["token"]), 403)
        self.assertEqual(self.assertExists("/limits/" + lim["id"])["limit"]
                         ["resource_limit"], 5)

    def test_unknown_404(self):
        lid = uuid.uuid4().hex
        self.assertError(get("/limits/" + lid), 404)
        self.assertError(patch("/limits/" + lid, {"limit": {"resource_limit": 1}}), 404)
        self.assertError(delete("/limits/" + lid), 404)
