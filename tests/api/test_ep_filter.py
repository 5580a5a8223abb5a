"""OS-EP-FILTER: endpoint groups, project-endpoint and
project-endpoint-group associations.

Keystone: keystone/api/os_ep_filter.py (endpoint group create requires
name and non-empty filters whose keys are service_id, region_id or
interface, else 400; associations answer 204; GET of a group-project
association answers {"project_endpoint_group": {"endpoint_group_id",
"project_id", "links"}}; /projects/{id}/endpoints lists the endpoints of
the project's groups too), keystone/catalog/schema.py."""
import uuid

from lib import (BASE, TestCase, call, delete, get, head, member_context,
                 new_endpoint, new_project, new_service, new_user, patch, post, put,
                 project_scope, token_for, uniq)

EPF = "/OS-EP-FILTER"


def new_group_for(service_id, **attrs):
    body = {"name": uniq("epg"), "filters": {"service_id": service_id}}
    body.update(attrs)
    r = post(EPF + "/endpoint_groups", {"endpoint_group": body})
    if r.status != 201:
        raise AssertionError("cannot create endpoint group: %r" % r)
    return r.body["endpoint_group"]


class TestEndpointGroups(TestCase):
    def test_crud(self):
        s = new_service()
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {
            "name": "g1", "description": "d", "filters": {"service_id": s["id"],
                                                          "interface": "public"}}})
        self.assertStatus(r, 201)
        g = r.body["endpoint_group"]
        self.assertEqual(g["name"], "g1")
        self.assertEqual(g["filters"], {"service_id": s["id"], "interface": "public"})
        self.assertEqual(g["links"]["self"],
                         BASE + "/identity/v3/OS-EP-FILTER/endpoint_groups/" + g["id"])
        self.assertEqual(self.assertExists(EPF + "/endpoint_groups/" + g["id"])
                         ["endpoint_group"]["name"], "g1")
        r = get(EPF + "/endpoint_groups")
        self.assertStatus(r, 200)
        self.assertIdIn(g["id"], r.body["endpoint_groups"])
        r = patch(EPF + "/endpoint_groups/" + g["id"],
                  {"endpoint_group": {"name": "g2", "filters": {"interface": "admin"}}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["endpoint_group"]["filters"], {"interface": "admin"})
        self.assertStatus(delete(EPF + "/endpoint_groups/" + g["id"]), 204)
        self.assertGone(EPF + "/endpoint_groups/" + g["id"])
        self.assertError(delete(EPF + "/endpoint_groups/" + g["id"]), 404)

    def test_endpoints_of_a_group(self):
        s = new_service()
        e1 = new_endpoint(s["id"], interface="public")
        e2 = new_endpoint(s["id"], interface="admin")
        g = new_group_for(s["id"])
        r = get(EPF + "/endpoint_groups/%s/endpoints" % g["id"])
        self.assertStatus(r, 200)
        self.assertEqual(sorted(x["id"] for x in r.body["endpoints"]),
                         sorted([e1["id"], e2["id"]]))
        g2 = new_group_for(s["id"], filters={"service_id": s["id"], "interface": "admin"})
        r = get(EPF + "/endpoint_groups/%s/endpoints" % g2["id"])
        self.assertEqual([x["id"] for x in r.body["endpoints"]], [e2["id"]])

    def test_missing_filters_400(self):
        name = uniq("epg")
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {"name": name}})
        self.assertError(r, 400, "filters")

    def test_empty_filters_400(self):
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {"name": uniq("e"),
                                                               "filters": {}}})
        self.assertError(r, 400, "filters")

    def test_invalid_filter_key_400(self):
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {
            "name": uniq("e"), "filters": {"url": "http://x"}}})
        self.assertError(r, 400)

    def test_missing_name_400(self):
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {
            "filters": {"interface": "public"}}})
        self.assertError(r, 400, "name")

    def test_filters_wrong_type_400(self):
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {
            "name": uniq("e"), "filters": ["interface"]}})
        self.assertError(r, 400, "filters")

    def test_update_invalid_filter_400(self):
        g = new_group_for(new_service()["id"])
        r = patch(EPF + "/endpoint_groups/" + g["id"],
                  {"endpoint_group": {"filters": {"bogus": "1"}}})
        self.assertError(r, 400)

    def test_unknown_404(self):
        gid = uuid.uuid4().hex
        self.assertError(get(EPF + "/endpoint_groups/" + gid), 404)
        self.assertError(patch(EPF + "/endpoint_groups/" + gid,
                               {"endpoint_group": {"name": "x"}}), 404)
        self.assertError(delete(EPF + "/endpoint_groups/" + gid), 404)
        self.assertError(get(EPF + "/endpoint_groups/%s/endpoints" % gid), 404)

    def test_member_403(self):
        m = member_context()
        self.assertError(get(EPF + "/endpoint_groups", token=m["token"]), 403)
        r = post(EPF + "/endpoint_groups", {"endpoint_group": {
            "name": uniq("e"), "filters": {"interface": "public"}}}, token=m["token"])
        self.assertError(r, 403)


class TestEndpointGroupProjects(TestCase):
    def test_association_lifecycle(self):
        s = new_service()
        e = new_endpoint(s["id"])
        g = new_group_for(s["id"])
        p = new_project()
        path = EPF + "/endpoint_groups/%s/projects/%s" % (g["id"], p["id"])
        self.assertError(get(path), 404)
        self.assertStatus(put(path), 204)
        r = get(path)
        self.assertStatus(r, 200)
        self.assertStatus(head(path), 200)
        r = get(EPF + "/endpoint_groups/%s/projects" % g["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["projects"]], [p["id"]])
        r = get(EPF + "/projects/%s/endpoint_groups" % p["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["endpoint_groups"]], [g["id"]])
        self.assertStatus(delete(path), 204)
        self.assertError(get(path), 404)
        self.assertError(delete(path), 404)
        self.assertEqual(get(EPF + "/endpoint_groups/%s/projects" % g["id"])
                         .body["projects"], [])

    def test_project_endpoints_include_its_groups_endpoints(self):
        s = new_service()
        e = new_endpoint(s["id"])
        g = new_group_for(s["id"])
        p = new_project()
        self.assertStatus(put(EPF + "/endpoint_groups/%s/projects/%s" % (g["id"],
                                                                         p["id"])), 204)
        r = get(EPF + "/projects/%s/endpoints" % p["id"])
        self.assertStatus(r, 200)
        self.assertIdIn(e["id"], r.body["endpoints"])

    def test_association_body(self):
        g = new_group_for(new_service()["id"])
        p = new_project()
        path = EPF + "/endpoint_groups/%s/projects/%s" % (g["id"], p["id"])
        self.assertStatus(put(path), 204)
        r = get(path)
        self.assertStatus(r, 200)
        ref = r.body["project_endpoint_group"]
        self.assertEqual(ref["endpoint_group_id"], g["id"])
        self.assertEqual(ref["project_id"], p["id"])

    def test_endpoint_group_narrows_the_catalog(self):
        s, other = new_service(), new_service()
        e = new_endpoint(s["id"])
        new_endpoint(other["id"])
        g = new_group_for(s["id"])
        p = new_project()
        u = new_user(project=p["id"])
        self.assertStatus(put(EPF + "/endpoint_groups/%s/projects/%s" % (g["id"],
                                                                         p["id"])), 204)
        tok = token_for(u, project_scope(p["id"]))
        cat = get("/auth/tokens", headers={"X-Subject-Token": tok}).body["token"]["catalog"]
        self.assertEqual([x["id"] for svc in cat for x in svc["endpoints"]], [e["id"]])

    def test_unknown_project_or_group_404(self):
        g = new_group_for(new_service()["id"])
        p = new_project()
        self.assertError(put(EPF + "/endpoint_groups/%s/projects/%s" % (
            g["id"], uuid.uuid4().hex)), 404)
        self.assertError(put(EPF + "/endpoint_groups/%s/projects/%s" % (
            uuid.uuid4().hex, p["id"])), 404)
        self.assertEqual(get(EPF + "/projects/%s/endpoint_groups" % p["id"])
                         .body["endpoint_groups"], [])

    def test_deleting_the_group_removes_associations(self):
        g = new_group_for(new_service()["id"])
        p = new_project()
        self.assertStatus(put(EPF + "/endpoint_groups/%s/projects/%s" % (
            g["id"], p["id"])), 204)
        self.assertStatus(delete(EPF + "/endpoint_groups/" + g["id"]), 204)
        self.assertEqual(get(EPF + "/projects/%s/endpoint_groups" % p["id"])
                         .body["endpoint_groups"], [])

    def test_member_403(self):
        m = member_context()
        g = new_group_for(new_service()["id"])
        path = EPF + "/endpoint_groups/%s/projects/%s" % (g["id"], m["project"]["id"])
        self.assertError(put(path, token=m["token"]), 403)
        self.assertError(get(path), 404)


class TestProjectEndpoints(TestCase):
    def test_association_lifecycle(self):
        s = new_service()
        e = new_endpoint(s["id"])
        p = new_project()
        path = EPF + "/projects/%s/endpoints/%s" % (p["id"], e["id"])
        self.assertError(get(path), 404)
        self.assertStatus(head(path), 404)
        self.assertStatus(put(path), 204)
        self.assertStatus(put(path), 204)
        self.assertStatus(get(path), 204)
        self.assertStatus(head(path), 204)
        r = get(EPF + "/projects/%s/endpoints" % p["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["endpoints"]], [e["id"]])
        r = get(EPF + "/endpoints/%s/projects" % e["id"])
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["projects"]], [p["id"]])
        self.assertStatus(delete(path), 204)
        self.assertError(get(path), 404)
        self.assertError(delete(path), 404)
        self.assertEqual(get(EPF + "/projects/%s/endpoints" % p["id"]).body["endpoints"],
                         [])

    def test_unknown_refs_404(self):
        e = new_endpoint(new_service()["id"])
        p = new_project()
        self.assertError(put(EPF + "/projects/%s/endpoints/%s" % (p["id"],
                                                                  uuid.uuid4().hex)), 404)
        self.assertError(put(EPF + "/projects/%s/endpoints/%s" % (uuid.uuid4().hex,
                                                                  e["id"])), 404)
        self.assertError(get(EPF + "/projects/%s/endpoints" % uuid.uuid4().hex), 404)
        self.assertError(get(EPF + "/endpoints/%s/projects" % uuid.uuid4().hex), 404)
        self.assertEqual(get(EPF + "/endpoints/%s/projects" % e["id"]).body["projects"],
                         [])

    def test_deleting_endpoint_or_project_removes_associations(self):
        e = new_endpoint(new_service()["id"])
        p1, p2 = new_project(), new_project()
        for p in (p1, p2):
            self.assertStatus(put(EPF + "/projects/%s/endpoints/%s" % (p["id"],
                                                                       e["id"])), 204)
        self.assertStatus(delete("/projects/" + p2["id"]), 204)
        r = get(EPF + "/endpoints/%s/projects" % e["id"])
        self.assertEqual([x["id"] for x in r.body["projects"]], [p1["id"]])
        self.assertStatus(delete("/endpoints/" + e["id"]), 204)
        self.assertEqual(get(EPF + "/projects/%s/endpoints" % p1["id"]).body["endpoints"],
                         [])

    def test_member_403(self):
        m = member_context()
        e = new_endpoint(new_service()["id"])
        path = EPF + "/projects/%s/endpoints/%s" % (m["project"]["id"], e["id"])
        self.assertError(put(path, token=m["token"]), 403)
        self.assertError(get(path), 404)
        self.assertError(get(EPF + "/projects/%s/endpoints" % m["project"]["id"],
                             token=m["token"]), 403)
