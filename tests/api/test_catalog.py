"""/v3/regions, /v3/services, /v3/endpoints, and what the token catalog
makes of them.

Keystone: keystone/api/regions.py (POST without id generates one, PUT
creates with the id of the URL), keystone/catalog/core.py (duplicate
region -> 409; unknown parent -> 404; endpoint with an unknown region_id
or service_id -> 400 "Expecting to find endpoint region_id in region
table"), keystone/catalog/backends/sql.py (delete_region: a region with
endpoints -> 403 RegionDeletionError, child regions go with it;
delete_service takes its endpoints; get_v3_catalog: enabled services and
endpoints only, $(project_id)s/$(tenant_id)s substituted, endpoints that
need a project are skipped without one, OS-EP-FILTER associations narrow
a project's catalog), keystone/api/endpoints.py (legacy "region" creates
the region), keystone/catalog/schema.py (interface enum, url pattern and
225 characters at most)."""
import uuid

from lib import (BASE, TestCase, call, delete, get, grant_domain, member_context,
                 new_domain, new_endpoint, new_project, new_service, new_user, patch,
                 post, project_scope, put, role_id, token_for, domain_scope, uniq)


def new_region(**attrs):
    r = post("/regions", {"region": attrs})
    if r.status != 201:
        raise AssertionError("cannot create region: %r" % r)
    return r.body["region"]


class TestRegions(TestCase):
    def test_create_generated_id_201(self):
        r = post("/regions", {"region": {"description": "generated"}})
        self.assertStatus(r, 201)
        reg = r.body["region"]
        self.assertTrue(reg["id"])
        self.assertEqual(reg["description"], "generated")
        self.assertIsNone(reg["parent_region_id"])
        self.assertEqual(reg["links"]["self"], BASE + "/identity/v3/regions/" + reg["id"])
        self.assertExists("/regions/" + reg["id"])

    def test_create_with_id_201(self):
        rid = uniq("Region")
        reg = new_region(id=rid, description="mine")
        self.assertEqual(reg["id"], rid)
        self.assertEqual(self.assertExists("/regions/" + rid)["region"]["description"],
                         "mine")

    def test_put_creates_with_url_id_201(self):
        rid = uniq("RegionPut")
        r = put("/regions/" + rid, {"region": {"description": "put"}})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["region"]["id"], rid)
        self.assertExists("/regions/" + rid)

    def test_put_existing_409(self):
        reg = new_region(id=uniq("R"))
        self.assertError(put("/regions/" + reg["id"], {"region": {}}), 409)

    def test_put_id_mismatch_400(self):
        rid = uniq("R")
        r = put("/regions/" + rid, {"region": {"id": rid + "x"}})
        self.assertError(r, 400)
        self.assertGone("/regions/" + rid)

    def test_put_malformed_json_400(self):
        rid = uniq("R")
        r = call("PUT", "/regions/" + rid, data="{",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)
        self.assertGone("/regions/" + rid)

    def test_duplicate_id_409(self):
        reg = new_region(id=uniq("R"))
        self.assertError(post("/regions", {"region": {"id": reg["id"]}}), 409)

    def test_parent_and_children(self):
        parent = new_region(id=uniq("P"))
        child = new_region(id=uniq("C"), parent_region_id=parent["id"])
        self.assertEqual(child["parent_region_id"], parent["id"])
        r = get("/regions", params={"parent_region_id": parent["id"]})
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["regions"]], [child["id"]])

    def test_unknown_parent_404(self):
        rid = uniq("R")
        r = post("/regions", {"region": {"id": rid, "parent_region_id": uniq("none")}})
        self.assertError(r, 404)
        self.assertGone("/regions/" + rid)

    def test_circular_parent_400(self):
        a = new_region(id=uniq("A"))
        b = new_region(id=uniq("B"), parent_region_id=a["id"])
        r = patch("/regions/" + a["id"], {"region": {"parent_region_id": b["id"]}})
        self.assertError(r, 400)
        self.assertIsNone(self.assertExists("/regions/" + a["id"])["region"]
                          ["parent_region_id"])
        r = patch("/regions/" + a["id"], {"region": {"parent_region_id": a["id"]}})
        self.assertError(r, 400)

    def test_list_and_update(self):
        reg = new_region(id=uniq("R"))
        r = get("/regions")
        self.assertStatus(r, 200)
        self.assertIdIn(reg["id"], r.body["regions"])
        self.assertIdIn("RegionOne", r.body["regions"])
        r = patch("/regions/" + reg["id"], {"region": {"description": "changed"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["region"]["description"], "changed")

    def test_delete_takes_children(self):
        parent = new_region(id=uniq("P"))
        child = new_region(id=uniq("C"), parent_region_id=parent["id"])
        self.assertStatus(delete("/regions/" + parent["id"]), 204)
        self.assertGone("/regions/" + parent["id"])
        self.assertGone("/regions/" + child["id"])
        self.assertError(delete("/regions/" + parent["id"]), 404)

    def test_delete_region_with_endpoints_403(self):
        reg = new_region(id=uniq("R"))
        svc = new_service()
        ep = new_endpoint(svc["id"], region_id=reg["id"])
        self.assertError(delete("/regions/" + reg["id"]), 403)
        self.assertExists("/regions/" + reg["id"])
        self.assertStatus(delete("/endpoints/" + ep["id"]), 204)
        self.assertStatus(delete("/regions/" + reg["id"]), 204)

    def test_description_wrong_type_400(self):
        rid = uniq("R")
        r = post("/regions", {"region": {"id": rid, "description": 3}})
        self.assertError(r, 400, "description")
        self.assertGone("/regions/" + rid)

    def test_update_empty_400(self):
        reg = new_region(id=uniq("R"))
        self.assertError(patch("/regions/" + reg["id"], {"region": {}}), 400)

    def test_missing_region_object_400(self):
        self.assertError(post("/regions", {"description": "x"}), 400, "region")

    def test_unknown_404(self):
        rid = uniq("none")
        self.assertError(get("/regions/" + rid), 404)
        self.assertError(patch("/regions/" + rid, {"region": {"description": "x"}}), 404)
        self.assertError(delete("/regions/" + rid), 404)

    def test_member_may_read_regions_but_not_write(self):
        m = member_context()
        self.assertStatus(get("/regions", token=m["token"]), 200)
        self.assertStatus(get("/regions/RegionOne", token=m["token"]), 200)
        rid = uniq("R")
        self.assertError(post("/regions", {"region": {"id": rid}}, token=m["token"]), 403)
        self.assertGone("/regions/" + rid)
        self.assertError(delete("/regions/RegionOne", token=m["token"]), 403)
        self.assertExists("/regions/RegionOne")


class TestServices(TestCase):
    def test_create_201_and_fields(self):
        t = uniq("type")
        r = post("/services", {"service": {"type": t, "name": "svc",
                                           "description": "d"}})
        self.assertStatus(r, 201)
        s = r.body["service"]
        self.assertEqual(s["type"], t)
        self.assertEqual(s["name"], "svc")
        self.assertEqual(s["description"], "d")
        self.assertIs(s["enabled"], True)
        self.assertEqual(s["links"]["self"], BASE + "/identity/v3/services/" + s["id"])
        self.assertExists("/services/" + s["id"])

    def test_list_and_filters(self):
        s = new_service()
        r = get("/services")
        self.assertStatus(r, 200)
        self.assertIdIn(s["id"], r.body["services"])
        self.assertIn("identity", [x["type"] for x in r.body["services"]])
        r = get("/services", params={"type": s["type"]})
        self.assertEqual([x["id"] for x in r.body["services"]], [s["id"]])
        r = get("/services", params={"name": s["name"]})
        self.assertEqual([x["id"] for x in r.body["services"]], [s["id"]])

    def test_update_200(self):
        s = new_service()
        r = patch("/services/" + s["id"], {"service": {"enabled": False, "name": "n2"}})
        self.assertStatus(r, 200)
        self.assertIs(r.body["service"]["enabled"], False)
        self.assertEqual(self.assertExists("/services/" + s["id"])["service"]["name"],
                         "n2")

    def test_delete_takes_its_endpoints(self):
        s = new_service()
        ep = new_endpoint(s["id"])
        self.assertStatus(delete("/services/" + s["id"]), 204)
        self.assertGone("/services/" + s["id"])
        self.assertGone("/endpoints/" + ep["id"])

    def test_missing_type_400(self):
        self.assertError(post("/services", {"service": {"name": "x"}}), 400, "type")

    def test_type_wrong_type_400(self):
        self.assertError(post("/services", {"service": {"type": 1}}), 400, "type")

    def test_type_too_long_400(self):
        self.assertError(post("/services", {"service": {"type": "t" * 256}}), 400,
                         "type")

    def test_enabled_wrong_type_400(self):
        t = uniq("type")
        r = post("/services", {"service": {"type": t, "enabled": "on"}})
        self.assertError(r, 400, "enabled")
        self.assertEqual(get("/services", params={"type": t}).body["services"], [])

    def test_update_empty_400(self):
        s = new_service()
        self.assertError(patch("/services/" + s["id"], {"service": {}}), 400)

    def test_unknown_404(self):
        sid = uuid.uuid4().hex
        self.assertError(get("/services/" + sid), 404)
        self.assertError(patch("/services/" + sid, {"service": {"name": "x"}}), 404)
        self.assertError(delete("/services/" + sid), 404)

    def test_member_403(self):
        m = member_context()
        self.assertError(get("/services", token=m["token"]), 403)
        t = uniq("type")
        self.assertError(post("/services", {"service": {"type": t}}, token=m["token"]),
                         403)
        self.assertEqual(get("/services", params={"type": t}).body["services"], [])


class TestEndpoints(TestCase):
    def test_create_201_and_fields(self):
        s = new_service()
        url = "http://%s.example.com/v2" % uniq("h")
        r = post("/endpoints", {"endpoint": {"service_id": s["id"], "interface": "internal",
                                             "url": url, "region_id": "RegionOne"}})
        self.assertStatus(r, 201)
        e = r.body["endpoint"]
        self.assertEqual(e["service_id"], s["id"])
        self.assertEqual(e["interface"], "internal")
        self.assertEqual(e["url"], url)
        self.assertEqual(e["region_id"], "RegionOne")
        self.assertEqual(e["region"], "RegionOne")
        self.assertIs(e["enabled"], True)
        self.assertEqual(e["links"]["self"], BASE + "/identity/v3/endpoints/" + e["id"])
        self.assertExists("/endpoints/" + e["id"])

    def test_create_without_region(self):
        s = new_service()
        r = post("/endpoints", {"endpoint": {"service_id": s["id"], "interface": "public",
                                             "url": "http://noregion.example.com"}})
        self.assertStatus(r, 201)
        self.assertIsNone(r.body["endpoint"]["region_id"])

    def test_legacy_region_attribute_creates_the_region(self):
        s = new_service()
        rid = uniq("LegacyRegion")
        r = post("/endpoints", {"endpoint": {"service_id": s["id"], "interface": "public",
                                             "url": "http://legacy.example.com",
                                             "region": rid}})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["endpoint"]["region_id"], rid)
        self.assertExists("/regions/" + rid)

    def test_list_and_filters(self):
        s = new_service()
        e1 = new_endpoint(s["id"], interface="public")
        e2 = new_endpoint(s["id"], interface="admin")
        r = get("/endpoints")
        self.assertStatus(r, 200)
        self.assertIdIn(e1["id"], r.body["endpoints"])
        ids = lambda **q: sorted(x["id"] for x in get("/endpoints", params=q)
                                 .body["endpoints"])
        self.assertEqual(ids(service_id=s["id"]), sorted([e1["id"], e2["id"]]))
        self.assertEqual(ids(service_id=s["id"], interface="admin"), [e2["id"]])
        self.assertIn(e1["id"], ids(region_id="RegionOne"))

    def test_update_200(self):
        e = new_endpoint(new_service()["id"])
        r = patch("/endpoints/" + e["id"], {"endpoint": {"url": "http://new.example.com",
                                                         "interface": "admin",
                                                         "enabled": False}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["endpoint"]["url"], "http://new.example.com")
        got = self.assertExists("/endpoints/" + e["id"])["endpoint"]
        self.assertEqual(got["interface"], "admin")
        self.assertIs(got["enabled"], False)

    def test_delete_204_then_404(self):
        e = new_endpoint(new_service()["id"])
        self.assertStatus(delete("/endpoints/" + e["id"]), 204)
        self.assertGone("/endpoints/" + e["id"])
        self.assertError(delete("/endpoints/" + e["id"]), 404)

    def bad_create(self, word, **attrs):
        s = new_service()
        body = {"service_id": s["id"], "interface": "public",
                "url": "http://ok.example.com"}
        body.update(attrs)
        body = {k: v for k, v in body.items() if v is not None}
        r = post("/endpoints", {"endpoint": body})
        self.assertError(r, 400, *([word] if word else []))
        self.assertEqual(get("/endpoints", params={"service_id": s["id"]})
                         .body["endpoints"], [])

    def test_bad_interface_400(self):
        self.bad_create("interface", interface="private")

    def test_missing_interface_400(self):
        self.bad_create("interface", interface=None)

    def test_missing_url_400(self):
        self.bad_create("url", url=None)

    def test_bad_url_400(self):
        self.bad_create("url", url="not a url")

    def test_url_too_long_400(self):
        self.bad_create("url", url="http://example.com/" + "a" * 220)

    def test_missing_service_400(self):
        r = post("/endpoints", {"endpoint": {"interface": "public",
                                             "url": "http://x.example.com"}})
        self.assertError(r, 400, "service_id")

    def test_unknown_service_400(self):
        self.bad_create("service_id", service_id=uuid.uuid4().hex)

    def test_unknown_region_400(self):
        self.bad_create("region_id", region_id=uniq("noregion"))

    def test_enabled_wrong_type_400(self):
        self.bad_create("enabled", enabled="true")

    def test_update_bad_interface_400(self):
        e = new_endpoint(new_service()["id"])
        self.assertError(patch("/endpoints/" + e["id"],
                               {"endpoint": {"interface": "x"}}), 400, "interface")
        self.assertEqual(self.assertExists("/endpoints/" + e["id"])["endpoint"]
                         ["interface"], "public")

    def test_update_empty_400(self):
        e = new_endpoint(new_service()["id"])
        self.assertError(patch("/endpoints/" + e["id"], {"endpoint": {}}), 400)

    def test_unknown_404(self):
        eid = uuid.uuid4().hex
        self.assertError(get("/endpoints/" + eid), 404)
        self.assertError(patch("/endpoints/" + eid, {"endpoint": {"url": "http://a"}}),
                         404)
        self.assertError(delete("/endpoints/" + eid), 404)

    def test_member_403(self):
        m = member_context()
        self.assertError(get("/endpoints", token=m["token"]), 403)
        s = new_service()
        r = post("/endpoints", {"endpoint": {"service_id": s["id"], "interface": "public",
                                             "url": "http://m.example.com"}},
                 token=m["token"])
        self.assertError(r, 403)


class TestTokenCatalog(TestCase):
    def catalog(self, tok):
        r = get("/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200)
        return r.body["token"].get("catalog", [])

    def urls(self, catalog, stype):
        return sorted(e["url"] for s in catalog if s["type"] == stype
                      for e in s["endpoints"])

    def test_new_endpoint_appears_and_disabled_ones_do_not(self):
        s = new_service()
        e1 = new_endpoint(s["id"])
        e2 = new_endpoint(s["id"], enabled=False)
        m = member_context()
        cat = self.catalog(m["token"])
        self.assertEqual(self.urls(cat, s["type"]), [e1["url"]])
        svc = [x for x in cat if x["type"] == s["type"]][0]
        self.assertEqual(svc["id"], s["id"])
        self.assertEqual(svc["name"], s["name"])
        self.assertNotIn(e2["url"], self.urls(cat, s["type"]))

    def test_disabled_service_not_in_catalog(self):
        s = new_service(enabled=False)
        new_endpoint(s["id"])
        cat = self.catalog(member_context()["token"])
        self.assertNotIn(s["type"], [x["type"] for x in cat])

    def test_project_id_substituted_in_urls(self):
        s = new_service()
        new_endpoint(s["id"], url="http://obj.example.com/v1/AUTH_$(project_id)s")
        new_endpoint(s["id"], url="http://obj.example.com/v2/%(tenant_id)s",
                     interface="internal")
        m = member_context()
        pid = m["project"]["id"]
        self.assertEqual(self.urls(self.catalog(m["token"]), s["type"]),
                         sorted(["http://obj.example.com/v1/AUTH_" + pid,
                                 "http://obj.example.com/v2/" + pid]))
        r = get("/auth/catalog", token=m["token"])
        self.assertEqual(self.urls(r.body["catalog"], s["type"]),
                         sorted(["http://obj.example.com/v1/AUTH_" + pid,
                                 "http://obj.example.com/v2/" + pid]))

    def test_project_urls_skipped_without_a_project(self):
        s = new_service()
        new_endpoint(s["id"], url="http://obj.example.com/v1/AUTH_$(project_id)s")
        plain = new_endpoint(s["id"], interface="admin")
        d = new_domain()
        u = new_user()
        grant_domain(d["id"], u["id"], role_id("reader"))
        cat = self.catalog(token_for(u, domain_scope(d["id"])))
        self.assertEqual(self.urls(cat, s["type"]), [plain["url"]])

    def test_project_endpoint_filter_narrows_the_catalog(self):
        p = new_project()
        u = new_user(project=p["id"])
        s = new_service()
        e1, e2 = new_endpoint(s["id"]), new_endpoint(s["id"], interface="admin")
        self.assertStatus(put("/OS-EP-FILTER/projects/%s/endpoints/%s" % (
            p["id"], e1["id"])), 204)
        cat = self.catalog(token_for(u, project_scope(p["id"])))
        self.assertEqual([e["id"] for x in cat for e in x["endpoints"]], [e1["id"]])
        # other projects still see everything
        other = self.catalog(member_context()["token"])
        self.assertEqual(self.urls(other, s["type"]), sorted([e1["url"], e2["url"]]))
