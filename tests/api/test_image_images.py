"""Glance v2 images: discovery, create/show/delete, JSON patch rules,
deactivate/reactivate, tags, visibility and list filters, sorting and
pagination, schemas, /v2/info."""
import time

import lib
from imagelib import (ImageTestCase, icall, list_ids, new_active_image, new_image,
                      patch, project_member, show)


class TestImageDiscovery(ImageTestCase):
    def test_root_is_300_with_versions(self):
        r = icall("GET", "/image/", token=None)
        self.assertStatus(r, 300)
        versions = r.body["versions"]
        current = [v for v in versions if v["status"] == "CURRENT"]
        self.assertEqual(len(current), 1)
        self.assertEqual(current[0]["id"], "v2.16")
        self.assertIn("v2.0", [v["id"] for v in versions])
        self.assertTrue(current[0]["links"][0]["href"].endswith("/image/v2/"))

    def test_versions_explicit_is_200(self):
        r = icall("GET", "/image/versions", token=None)
        self.assertStatus(r, 200)
        self.assertTrue(r.body["versions"])

    def test_catalog_has_image(self):
        r = lib.get("/auth/catalog")
        svc = [s for s in r.body["catalog"] if s["type"] == "image"]
        self.assertEqual(len(svc), 1)
        self.assertEqual(svc[0]["name"], "glance")
        self.assertTrue(all(e["url"].endswith("/image") for e in svc[0]["endpoints"]))

    def test_empty_image_id_404(self):
        for method in ("GET", "DELETE"):
            r = icall(method, "/images/")
            self.assertGlanceError(r, 404)
        r = icall("DELETE", "/images")
        self.assertGlanceError(r, 405)

    def test_no_token_401(self):
        r = icall("GET", "/images", token=None)
        self.assertGlanceError(r, 401)

    def test_schemas(self):
        for name in ("image", "images", "member", "members"):
            r = icall("GET", "/schemas/" + name)
            self.assertStatus(r, 200)
            self.assertEqual(r.body["name"], name)
        r = icall("GET", "/schemas/image")
        self.assertEqual(r.body["additionalProperties"], {"type": "string"})
        self.assertIn("os_hash_value", r.body["properties"])

    def test_info(self):
        r = icall("GET", "/info/import")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["import-methods"]["value"], ["glance-direct"])
        r = icall("GET", "/info/stores")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["stores"][0]["id"], "file")
        r = icall("GET", "/info/usage")
        self.assertStatus(r, 200)
        self.assertIn("image_count_total", r.body["usage"])


class TestImageCreate(ImageTestCase):
    def test_create_defaults(self):
        img = new_image(name="x", foo="bar")
        self.assertEqual(img["status"], "queued")
        self.assertEqual(img["visibility"], "shared")
        self.assertFalse(img["protected"])
        self.assertFalse(img["os_hidden"])
        self.assertEqual(img["tags"], [])
        self.assertEqual(img["foo"], "bar")
        self.assertEqual(img["self"], "/v2/images/" + img["id"])
        self.assertEqual(img["file"], "/v2/images/%s/file" % img["id"])
        self.assertEqual(img["schema"], "/v2/schemas/image")
        self.assertIsNone(img["size"])
        self.assertIsNone(img["checksum"])
        self.assertEqual(img["owner"], lib.admin_info()["project"]["id"])
        self.assertTrue(img["created_at"].endswith("Z"))
        self.assertEqual(show(img["id"]), img)

    def test_long_property_value(self):
        long = "v" * 65535
        img = new_image(description=long)
        self.assertEqual(show(img["id"])["description"], long)
        r = icall("POST", "/images", json={"description": long + "v"})
        self.assertGlanceError(r, 400, "too long")

    def test_create_with_id_and_tags(self):
        import uuid
        iid = str(uuid.uuid4())
        img = new_image(id=iid, tags=["a", "b", "a"], min_ram=512, protected=True)
        self.assertEqual(img["id"], iid)
        self.assertEqual(sorted(img["tags"]), ["a", "b"])
        self.assertEqual(img["min_ram"], 512)
        r = icall("POST", "/images", json={"id": iid})
        self.assertGlanceError(r, 409, iid)
        patch(iid, [{"op": "replace", "path": "/protected", "value": False}])

    def test_create_bad_input_400(self):
        cases = [{"disk_format": "floppy"}, {"container_format": "box"},
                 {"visibility": "everyone"}, {"protected": "yes"},
                 {"min_disk": -1}, {"min_ram": "1"}, {"name": "x" * 256},
                 {"tags": "a"}, {"foo": 1}, {"id": "not-a-uuid"}]
        before = len(list_ids(limit=1000))
        for body in cases:
            r = icall("POST", "/images", json=body)
            self.assertGlanceError(r, 400)
        r = icall("POST", "/images", data="{not json",
                  headers={"Content-Type": "application/json"})
        self.assertGlanceError(r, 400)
        self.assertEqual(len(list_ids(limit=1000)), before)

    def test_create_readonly_and_reserved_403(self):
        for attr in ("status", "checksum", "size", "os_hash_value", "self"):
            r = icall("POST", "/images", json={attr: "x"})
            self.assertGlanceError(r, 403, "read-only")
        for attr in ("deleted", "location", "os_glance_import_task"):
            r = icall("POST", "/images", json={attr: "x"})
            self.assertGlanceError(r, 403, "reserved")

    def test_member_cannot_publicize_or_create_for_others(self):
        m = project_member("a")
        r = icall("POST", "/images", token=m["token"], json={"visibility": "public"})
        self.assertGlanceError(r, 403)
        r = icall("POST", "/images", token=m["token"], json={"owner": "someone"})
        self.assertGlanceError(r, 403)
        img = new_image(token=m["token"], visibility="community")
        self.assertEqual(img["owner"], m["project"]["id"])
        img = new_image(visibility="public")
        self.assertEqual(img["visibility"], "public")

    def test_delete_and_protected_403(self):
        img = new_image(protected=True)
        r = icall("DELETE", "/images/" + img["id"])
        self.assertGlanceError(r, 403, "protected")
        patch(img["id"], [{"op": "replace", "path": "/protected", "value": False}])
        r = icall("DELETE", "/images/" + img["id"])
        self.assertStatus(r, 204)
        r = icall("GET", "/images/" + img["id"])
        self.assertGlanceError(r, 404, img["id"])
        r = icall("DELETE", "/images/" + img["id"])
        self.assertGlanceError(r, 404)

    def test_other_projects_private_image_404(self):
        a, b = project_member("a"), project_member("b")
        img = new_image(token=a["token"], visibility="private")
        for method, path in (("GET", ""), ("DELETE", ""), ("GET", "/file"),
                             ("PUT", "/tags/x"), ("GET", "/members"),
                             ("POST", "/actions/deactivate")):
            r = icall(method, "/images/%s%s" % (img["id"], path), token=b["token"])
            self.assertGlanceError(r, 404)
        r = patch(img["id"], [{"op": "replace", "path": "/name", "value": "n"}],
                  token=b["token"])
        self.assertGlanceError(r, 404)
        self.assertNotIn(img["id"], list_ids(token=b["token"], visibility="all"))
        self.assertEqual(show(img["id"], token=a["token"])["name"], img["name"])

    def test_public_image_of_another_project_is_read_only(self):
        b = project_member("b")
        img = new_image(visibility="public")
        self.assertEqual(show(img["id"], token=b["token"])["id"], img["id"])
        r = patch(img["id"], [{"op": "replace", "path": "/name", "value": "n"}],
                  token=b["token"])
        self.assertGlanceError(r, 403)
        r = icall("DELETE", "/images/" + img["id"], token=b["token"])
        self.assertGlanceError(r, 403)
        self.assertIn(img["id"], list_ids(token=b["token"], limit=1000))


class TestImagePatch(ImageTestCase):
    def test_add_replace_remove(self):
        img = new_image(name="before")
        r = patch(img["id"], [
            {"op": "replace", "path": "/name", "value": "after"},
            {"op": "add", "path": "/os_distro", "value": "debian"},
            {"op": "add", "path": "/a~1b", "value": "slash"},
            {"op": "add", "path": "/min_disk", "value": 3},
            {"op": "add", "path": "/tags", "value": ["t1", "t2"]},
        ])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["name"], "after")
        self.assertEqual(r.body["os_distro"], "debian")
        self.assertEqual(r.body["a/b"], "slash")
        self.assertEqual(r.body["min_disk"], 3)
        self.assertEqual(r.body["tags"], ["t1", "t2"])
        r = patch(img["id"], [{"op": "replace", "path": "/os_distro", "value": "ubuntu"},
                              {"op": "add", "path": "/os_distro", "value": "arch"}])
        self.assertEqual(r.body["os_distro"], "arch")
        r = patch(img["id"], [{"op": "remove", "path": "/os_distro"}])
        self.assertStatus(r, 200)
        self.assertNotIn("os_distro", r.body)
        self.assertNotIn("os_distro", show(img["id"]))

    def test_rules_and_errors(self):
        img = new_image(name="keep", foo="bar")
        cases = [
            ([{"op": "replace", "path": "/status", "value": "active"}], 403, "read-only"),
            ([{"op": "add", "path": "/id", "value": "x"}], 403, "read-only"),
            ([{"op": "add", "path": "/deleted", "value": "x"}], 403, "reserved"),
            ([{"op": "remove", "path": "/name"}], 403, "may not be removed"),
            ([{"op": "replace", "path": "/missing", "value": "x"}], 409, "does not exist"),
            ([{"op": "remove", "path": "/missing"}], 409, "does not exist"),
            ([{"op": "move", "path": "/name", "from": "/foo"}], 400, "Invalid operation"),
            ([{"op": "add", "path": "name", "value": "x"}], 400, "Pointer"),
            ([{"op": "add", "path": "/a/b", "value": "x"}], 400, "JSON pointer"),
            ([{"op": "add", "path": "/name"}], 400, "value"),
            ([{"op": "add", "path": "/foo", "value": 5}], 400, "string"),
            ([{"op": "replace", "path": "/visibility", "value": "everyone"}], 400, ""),
            ([{"op": "replace", "path": "/disk_format", "value": "floppy"}], 400, ""),
            ([{"op": "replace", "path": "/name", "value": "changed"},
              {"op": "replace", "path": "/size", "value": 1}], 403, "read-only"),
        ]
        for ops, status, word in cases:
            r = patch(img["id"], ops)
            self.assertGlanceError(r, status, word)
        r = patch(img["id"], {"op": "add"})
        self.assertGlanceError(r, 400)
        r = patch(img["id"], [{"op": "replace", "path": "/name", "value": "x"}],
                  ctype="application/json")
        self.assertGlanceError(r, 415)
        after = show(img["id"])
        self.assertEqual(after["name"], "keep")
        self.assertEqual(after["foo"], "bar")
        self.assertEqual(after["updated_at"], img["updated_at"])

    def test_v20_operation_form(self):
        img = new_image(foo="bar")
        r = patch(img["id"], [{"replace": "/name", "value": "v20"},
                              {"add": "/k", "value": "v"}, {"remove": "/foo"}],
                  ctype="application/openstack-images-v2.0-json-patch")
        self.assertStatus(r, 200)
        self.assertEqual((r.body["name"], r.body["k"]), ("v20", "v"))
        self.assertNotIn("foo", r.body)

    def test_v20_add_existing_409(self):
        img = new_image(foo="bar")
        r = patch(img["id"], [{"op": "add", "path": "/foo", "value": "x"}],
                  ctype="application/openstack-images-v2.0-json-patch")
        self.assertGlanceError(r, 409, "already present")

    def test_formats_frozen_once_active(self):
        img = new_active_image()
        r = patch(img["id"], [{"op": "replace", "path": "/disk_format", "value": "qcow2"}])
        self.assertGlanceError(r, 403, "queued")
        r = patch(img["id"], [{"op": "replace", "path": "/name", "value": "ok"}])
        self.assertStatus(r, 200)

    def test_publicize_needs_admin(self):
        m = project_member("a")
        img = new_image(token=m["token"])
        r = patch(img["id"], [{"op": "replace", "path": "/visibility", "value": "public"}],
                  token=m["token"])
        self.assertGlanceError(r, 403)
        r = patch(img["id"], [{"op": "replace", "path": "/owner", "value": "x"}],
                  token=m["token"])
        self.assertGlanceError(r, 403)
        r = patch(img["id"], [{"op": "replace", "path": "/visibility", "value": "public"}])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["visibility"], "public")


class TestImageActionsAndTags(ImageTestCase):
    def test_deactivate_reactivate(self):
        b = project_member("b")
        img = new_active_image(visibility="public")
        r = icall("POST", "/images/%s/actions/deactivate" % img["id"], token=b["token"])
        self.assertGlanceError(r, 403)
        r = icall("POST", "/images/%s/actions/deactivate" % img["id"])
        self.assertStatus(r, 204)
        self.assertEqual(show(img["id"])["status"], "deactivated")
        r = icall("GET", "/images/%s/file" % img["id"], token=b["token"])
        self.assertGlanceError(r, 403, "deactivated")
        r = icall("GET", "/images/%s/file" % img["id"])
        self.assertStatus(r, 200)
        r = icall("POST", "/images/%s/actions/reactivate" % img["id"])
        self.assertStatus(r, 204)
        self.assertEqual(show(img["id"])["status"], "active")
        queued = new_image()
        r = icall("POST", "/images/%s/actions/deactivate" % queued["id"])
        self.assertGlanceError(r, 400, "queued")
        r = icall("POST", "/images/%s/actions/reactivate" % queued["id"])
        self.assertGlanceError(r, 400, "queued")

    def test_tags(self):
        img = new_image()
        for t in ("x", "y", "x"):
            r = icall("PUT", "/images/%s/tags/%s" % (img["id"], t))
            self.assertStatus(r, 204)
        self.assertEqual(show(img["id"])["tags"], ["x", "y"])
        r = icall("DELETE", "/images/%s/tags/x" % img["id"])
        self.assertStatus(r, 204)
        r = icall("DELETE", "/images/%s/tags/x" % img["id"])
        self.assertGlanceError(r, 404)
        self.assertEqual(show(img["id"])["tags"], ["y"])
        r = icall("PUT", "/images/%s/tags/%s" % (img["id"], "t" * 256))
        self.assertGlanceError(r, 400)


class TestImageList(ImageTestCase):
    fixture = None

    def setUp(self):
        # the runner calls tests one by one: the images are made once, lazily
        if TestImageList.fixture is None:
            TestImageList.fixture = self.make_fixture()
        self.m, self.tag, self.imgs, self.ids = TestImageList.fixture

    @staticmethod
    def make_fixture():
        class cls:
            pass
        cls.m = project_member("lister")
        tok = cls.m["token"]
        cls.tag = lib.uniq("tag")
        cls.imgs = [
            new_active_image(data=b"a" * 10, token=tok, name="l-a", tags=[cls.tag],
                             hint="small"),
            new_active_image(data=b"b" * 100, token=tok, name="l-b", tags=[cls.tag, "z"],
                             protected=True, hint="big"),
            new_image(token=tok, name="l-c", disk_format="qcow2", tags=[cls.tag]),
            new_image(token=tok, name="l-d", os_hidden=True, tags=[cls.tag]),
        ]
        cls.ids = [i["id"] for i in cls.imgs]
        return cls.m, cls.tag, cls.imgs, cls.ids

    def ids_of(self, **params):
        params.setdefault("tag", self.tag)
        return list_ids(token=self.m["token"], **params)

    def test_filters(self):
        a, b, c, d = self.ids
        self.assertEqual(set(self.ids_of()), {a, b, c})
        self.assertEqual(self.ids_of(name="l-a"), [a])
        self.assertEqual(set(self.ids_of(name='in:l-a,"l-b"')), {a, b})
        self.assertEqual(set(self.ids_of(status="active")), {a, b})
        self.assertEqual(self.ids_of(status="queued", disk_format="qcow2"), [c])
        self.assertEqual(self.ids_of(protected="true"), [b])
        self.assertEqual(self.ids_of(os_hidden="true"), [d])
        self.assertEqual(self.ids_of(size_min="50"), [b])
        self.assertEqual(self.ids_of(size_max="50"), [a])
        self.assertEqual(self.ids_of(size="100"), [b])
        # any other key filters on a free-form property
        self.assertEqual(self.ids_of(hint="small"), [a])
        self.assertEqual(self.ids_of(hint="big", status="active"), [b])
        self.assertEqual(self.ids_of(hint="none"), [])
        self.assertEqual(list_ids(token=self.m["token"], tag=[self.tag, "z"]), [b])
        self.assertEqual(set(self.ids_of(owner=self.m["project"]["id"])), {a, b, c})
        self.assertEqual(self.ids_of(container_format="ovf"), [])
        self.assertEqual(set(self.ids_of(visibility="shared")), {a, b, c})
        self.assertEqual(self.ids_of(visibility="public"), [])
        created = show(c)["created_at"]
        self.assertEqual(set(self.ids_of(created_at="lte:" + created)) & {a, b, c},
                         {a, b, c})
        self.assertEqual(self.ids_of(created_at="gt:" + self.ctime(time.time() + 60)), [])
        self.assertEqual(set(self.ids_of(updated_at="gte:2000-01-01T00:00:00Z")),
                         {a, b, c})

    def test_bad_filters_400(self):
        for params in ({"protected": "maybe"}, {"size_min": "x"}, {"limit": "-1"},
                       {"limit": "abc"}, {"visibility": "nobody"},
                       {"member_status": "maybe"}, {"created_at": "lt:yesterday"},
                       {"created_at": "xx:2020-01-01T00:00:00Z"},
                       {"sort_key": "nope"}, {"sort_dir": "sideways"},
                       {"sort": "name:up"}, {"sort": "name", "sort_key": "id"},
                       {"marker": "00000000-0000-0000-0000-000000000000"}):
            r = icall("GET", "/images", token=self.m["token"], params=params)
            self.assertGlanceError(r, 400)

    def test_sorting(self):
        a, b, c, _ = self.ids
        self.assertEqual(self.ids_of(sort_key="name", sort_dir="asc"), [a, b, c])
        self.assertEqual(self.ids_of(sort_key="name", sort_dir="desc"), [c, b, a])
        self.assertEqual(self.ids_of(sort="name:desc"), [c, b, a])
        self.assertEqual(self.ids_of(sort="status:asc,name:desc"), [b, a, c])
        self.assertEqual(self.ids_of(sort_key=["status", "name"],
                                     sort_dir=["desc", "asc"]), [c, a, b])
        self.assertEqual(self.ids_of(sort_key="size", sort_dir="asc")[-1], b)
        # default: newest first
        self.assertEqual(self.ids_of(), [c, b, a])

    def test_pagination(self):
        a, b, c, _ = self.ids
        r = icall("GET", "/images", token=self.m["token"],
                  params={"tag": self.tag, "limit": 2, "sort": "name:asc"})
        self.assertStatus(r, 200)
        self.assertEqual([i["id"] for i in r.body["images"]], [a, b])
        self.assertEqual(r.body["first"], "/v2/images")
        self.assertEqual(r.body["schema"], "/v2/schemas/images")
        nxt = r.body["next"]
        self.assertTrue(nxt.startswith("/v2/images?"), nxt)
        self.assertIn("marker=" + b, nxt)
        r = icall("GET", "/image" + nxt, token=self.m["token"])
        self.assertEqual([i["id"] for i in r.body["images"]], [c])
        self.assertNotIn("next", r.body)
        self.assertEqual(self.ids_of(limit=0), [])


class TestImageVisibility(ImageTestCase):
    def test_community_listed_on_request(self):
        a, b = project_member("a"), project_member("b")
        img = new_image(token=a["token"], visibility="community")
        self.assertEqual(show(img["id"], token=b["token"])["visibility"], "community")
        self.assertNotIn(img["id"], list_ids(token=b["token"], limit=1000))
        self.assertIn(img["id"], list_ids(token=b["token"], visibility="community",
                                          limit=1000))
        self.assertIn(img["id"], list_ids(token=b["token"], visibility="all", limit=1000))
        self.assertIn(img["id"], list_ids(token=a["token"], limit=1000))

    def test_admin_sees_every_image(self):
        a = project_member("a")
        img = new_image(token=a["token"], visibility="private")
        self.assertIn(img["id"], list_ids(limit=1000))
        self.assertEqual(show(img["id"])["owner"], a["project"]["id"])
