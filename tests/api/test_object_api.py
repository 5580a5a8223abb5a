"""Object storage: accounts, containers, objects, listings, metadata and
bad input (Swift v1 api-ref)."""
import json
import os
import xml.etree.ElementTree as ET

import lib
from objlib import OBJ, Account, ObjTestCase, md5, oreq


class TestObjectDiscovery(ObjTestCase):
    def test_info_lists_capabilities_and_limits(self):
        r = oreq("GET", OBJ + "/info")
        self.assertEqual(r.status_code, 200)
        info = r.json()
        for cap in ("swift", "slo", "dlo", "tempurl", "account_quotas", "container_quotas",
                    "versioned_writes"):
            self.assertIn(cap, info)
        self.assertEqual(info["swift"]["max_object_name_length"], 1024)
        self.assertEqual(info["swift"]["max_container_name_length"], 256)
        self.assertEqual(info["swift"]["container_listing_limit"], 10000)
        self.assertIn("sha512", info["tempurl"]["allowed_digests"])

    def test_healthcheck(self):
        r = oreq("GET", OBJ + "/healthcheck")
        self.assertEqual((r.status_code, r.text), (200, "OK"))

    def test_catalog_has_object_store(self):
        r = lib.get("/auth/catalog")
        urls = [e["url"] for s in r.body["catalog"] if s["type"] == "object-store"
                for e in s["endpoints"]]
        pid = lib.admin_info()["project"]["id"]
        self.assertTrue(urls)
        self.assertTrue(all(u.endswith("/object/v1/AUTH_" + pid) for u in urls), urls)


class TestObjectAccount(ObjTestCase):
    def test_head_new_account_is_empty(self):
        b = Account()
        r = b.req("HEAD")
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r.headers["X-Account-Container-Count"], "0")
        self.assertEqual(r.headers["X-Account-Object-Count"], "0")
        self.assertEqual(r.headers["X-Account-Bytes-Used"], "0")
        self.assertTrue(r.headers["X-Trans-Id"].startswith("tx"))

    def test_account_counts_and_listing_formats(self):
        b = Account()
        c1, c2 = b.container("a1"), b.container("b2")
        b.put(c1, "o", b"12345")
        r = b.req("HEAD")
        self.assertEqual(r.headers["X-Account-Container-Count"], "2")
        self.assertEqual(r.headers["X-Account-Object-Count"], "1")
        self.assertEqual(r.headers["X-Account-Bytes-Used"], "5")
        r = b.req("GET")
        self.assertEqual(r.text, "a1\nb2\n")
        r = b.req("GET", params={"format": "json"})
        self.assertEqual([(x["name"], x["count"], x["bytes"]) for x in r.json()],
                         [("a1", 1, 5), ("b2", 0, 0)])
        r = b.req("GET", params={"format": "xml"})
        root = ET.fromstring(r.content)
        self.assertEqual(root.tag, "account")
        self.assertEqual([c.find("name").text for c in root.findall("container")], [c1, c2])
        r = b.req("GET", headers={"Accept": "application/json"})
        self.assertEqual(r.headers["Content-Type"].split(";")[0], "application/json")
        r = b.req("GET", params={"limit": "1", "marker": "a1"})
        self.assertEqual(r.text, "b2\n")
        r = b.req("GET", params={"reverse": "true"})
        self.assertEqual(r.text, "b2\na1\n")
        r = b.req("GET", params={"end_marker": "b2"})
        self.assertEqual(r.text, "a1\n")
        r = b.req("GET", params={"prefix": "b"})
        self.assertEqual(r.text, "b2\n")

    def test_empty_plain_listing_is_204_json_is_empty_list(self):
        b = Account()
        self.assertEqual(b.req("GET").status_code, 204)
        r = b.req("GET", params={"format": "json"})
        self.assertEqual((r.status_code, r.json()), (200, []))

    def test_account_metadata_set_and_remove(self):
        r = self.a.req("POST", headers={"X-Account-Meta-Color": "blue"})
        self.assertEqual(r.status_code, 204)
        self.assertEqual(self.a.req("HEAD").headers["X-Account-Meta-Color"], "blue")
        self.a.req("POST", headers={"X-Remove-Account-Meta-Color": "x"})
        self.assertNotIn("X-Account-Meta-Color", self.a.req("HEAD").headers)

    def test_bad_listing_parameters(self):
        self.assertEqual(self.a.req("GET", params={"limit": "x"}).status_code, 412)
        self.assertEqual(self.a.req("GET", params={"limit": "10001"}).status_code, 412)
        self.assertEqual(self.a.req("GET", params={"delimiter": "ab"}).status_code, 412)
        self.assertEqual(self.a.req("GET", params={"format": "yaml"}).status_code, 406)

    def test_metadata_limits(self):
        r = self.a.req("POST", headers={"X-Account-Meta-" + "n" * 129: "v"})
        self.assertEqual(r.status_code, 400)
        r = self.a.req("POST", headers={"X-Account-Meta-Big": "v" * 257})
        self.assertEqual(r.status_code, 400)
        many = {"X-Account-Meta-K%d" % i: "v" for i in range(91)}
        self.assertEqual(self.a.req("POST", headers=many).status_code, 400)
        big = {"X-Account-Meta-K%d" % i: "v" * 250 for i in range(17)}
        self.assertEqual(self.a.req("POST", headers=big).status_code, 400)
        # nothing changed
        self.assertNotIn("X-Account-Meta-K0", self.a.req("HEAD").headers)

    def test_unknown_account_form_404(self):
        r = oreq("GET", OBJ + "/v1/notanaccount", token=self.a.token)
        self.assertEqual(r.status_code, 404)
        self.assertIn("text/html", r.headers["Content-Type"])


class TestObjectContainer(ObjTestCase):
    def test_create_twice_202_head_delete(self):
        c = lib.uniq("c")
        self.assertEqual(self.a.req("PUT", c).status_code, 201)
        self.assertEqual(self.a.req("PUT", c).status_code, 202)
        r = self.a.req("HEAD", c)
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r.headers["X-Container-Object-Count"], "0")
        self.assertEqual(r.headers["X-Storage-Policy"], "Policy-0")
        self.assertEqual(self.a.req("DELETE", c).status_code, 204)
        self.assertEqual(self.a.req("HEAD", c).status_code, 404)
        self.assertEqual(self.a.req("DELETE", c).status_code, 404)
        self.assertEqual(self.a.req("POST", c).status_code, 404)

    def test_delete_non_empty_409(self):
        c = self.a.container()
        self.a.put(c, "o", b"x")
        self.assertEqual(self.a.req("DELETE", c).status_code, 409)
        self.assertEqual(self.a.req("DELETE", c, "o").status_code, 204)
        self.assertEqual(self.a.req("DELETE", c).status_code, 204)

    def test_container_metadata(self):
        c = self.a.container(headers={"X-Container-Meta-A": "1"})
        self.a.req("POST", c, headers={"X-Container-Meta-B": "2"})
        h = self.a.req("HEAD", c).headers
        self.assertEqual((h["X-Container-Meta-A"], h["X-Container-Meta-B"]), ("1", "2"))
        self.a.req("POST", c, headers={"X-Container-Meta-A": ""})
        self.assertNotIn("X-Container-Meta-A", self.a.req("HEAD", c).headers)

    def test_bad_container_names_and_quotas(self):
        self.assertEqual(self.a.req("PUT", "c" * 257).status_code, 400)
        self.assertEqual(self.a.req("PUT", "%FF%FE").status_code, 412)
        r = self.a.req("PUT", lib.uniq("c"), headers={"X-Container-Meta-Quota-Bytes": "x"})
        self.assertEqual(r.status_code, 400)

    def _tree(self):
        c = self.a.container()
        for n in ("a", "b/1", "b/2", "b/c/3", "d", "e/4"):
            self.a.put(c, n, n.encode())
        return c

    def test_object_listing_parameters(self):
        c = self._tree()
        g = lambda **p: self.a.req("GET", c, params=p).text.split()
        self.assertEqual(g(), ["a", "b/1", "b/2", "b/c/3", "d", "e/4"])
        self.assertEqual(g(delimiter="/"), ["a", "b/", "d", "e/"])
        self.assertEqual(g(prefix="b/", delimiter="/"), ["b/1", "b/2", "b/c/"])
        self.assertEqual(g(path="b"), ["b/1", "b/2", "b/c/"])
        self.assertEqual(g(marker="b/1", limit="2"), ["b/2", "b/c/3"])
        self.assertEqual(g(end_marker="b/2"), ["a", "b/1"])
        self.assertEqual(g(reverse="on"), ["e/4", "d", "b/c/3", "b/2", "b/1", "a"])
        self.assertEqual(g(reverse="on", delimiter="/"), ["e/", "d", "b/", "a"])
        self.assertEqual(g(delimiter="/", marker="b/"), ["d", "e/"])
        self.assertEqual(g(delimiter="/", limit="2"), ["a", "b/"])

    def test_object_listing_json_and_xml(self):
        c = self.a.container()
        self.a.put(c, "x/y", b"hello", headers={"Content-Type": "text/plain"})
        r = self.a.req("GET", c, params={"format": "json"})
        item = r.json()[0]
        self.assertEqual((item["name"], item["bytes"], item["hash"], item["content_type"]),
                         ("x/y", 5, md5(b"hello"), "text/plain"))
        self.assertRegex(item["last_modified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
        r = self.a.req("GET", c, params={"format": "json", "delimiter": "/"})
        self.assertEqual(r.json(), [{"subdir": "x/"}])
        r = self.a.req("GET", c, params={"format": "xml", "delimiter": "/"})
        root = ET.fromstring(r.content)
        self.assertEqual(root.attrib["name"], c)
        self.assertEqual(root.find("subdir").attrib["name"], "x/")
        r = self.a.req("GET", c, params={"format": "xml"})
        obj = ET.fromstring(r.content).find("object")
        self.assertEqual(obj.find("hash").text, md5(b"hello"))


class TestObjectObjects(ObjTestCase):
    def test_put_get_head_post_delete(self):
        c = self.a.container()
        data = b"some bytes" * 100
        r = self.a.req("PUT", c, "dir/obj", data=data, headers={
            "Content-Type": "text/x-test", "X-Object-Meta-Color": "red",
            "Content-Disposition": "inline", "Content-Encoding": "identity",
            "X-Object-Meta-Empty": "", "X-Object-Meta-Under_Score": "u"})
        self.assertEqual(r.status_code, 201)
        self.assertEqual(r.headers["Etag"], md5(data))
        r = self.a.req("GET", c, "dir/obj")
        self.assertEqual(r.content, data)
        self.assertEqual(r.headers["Content-Type"], "text/x-test")
        self.assertEqual(r.headers["X-Object-Meta-Color"], "red")
        self.assertEqual(r.headers["Content-Disposition"], "inline")
        self.assertEqual(r.headers["Content-Encoding"], "identity")
        self.assertEqual(r.headers["X-Object-Meta-Empty"], "")     # kept on objects
        self.assertEqual(r.headers["X-Object-Meta-Under-Score"], "u")
        r = self.a.req("HEAD", c, "dir/obj")
        self.assertEqual(r.headers["Content-Length"], str(len(data)))
        self.assertEqual(r.content, b"")
        r = self.a.req("POST", c, "dir/obj", headers={"X-Object-Meta-Size": "L"})
        self.assertEqual(r.status_code, 202)
        h = self.a.req("HEAD", c, "dir/obj").headers
        self.assertEqual(h["X-Object-Meta-Size"], "L")
        self.assertNotIn("X-Object-Meta-Color", h)      # POST replaces metadata
        self.assertEqual(self.a.req("DELETE", c, "dir/obj").status_code, 204)
        self.assertEqual(self.a.req("GET", c, "dir/obj").status_code, 404)
        self.assertEqual(self.a.req("DELETE", c, "dir/obj").status_code, 404)
        self.assertEqual(self.a.req("POST", c, "dir/obj").status_code, 404)

    def test_overwrite_replaces_and_counts(self):
        c = self.a.container()
        self.a.put(c, "o", b"first")
        self.a.put(c, "o", b"second!")
        self.assertEqual(self.a.req("GET", c, "o").content, b"second!")
        h = self.a.req("HEAD", c).headers
        self.assertEqual((h["X-Container-Object-Count"], h["X-Container-Bytes-Used"]),
                         ("1", "7"))

    def test_chunked_upload(self):
        c = self.a.container()
        chunks = [b"a" * 1000, b"b" * 70000, b"c"]
        r = self.a.req("PUT", c, "chunked", data=iter(chunks))
        self.assertEqual(r.status_code, 201)
        self.assertEqual(self.a.req("GET", c, "chunked").content, b"".join(chunks))

    def test_large_body_md5_beside_the_upload(self):
        c = self.a.container()
        data = os.urandom(5 * 1024 * 1024 + 7)      # hashed on the upload's thread
        r = self.a.req("PUT", c, "big", data=data, headers={"ETag": md5(data)})
        self.assertEqual(r.status_code, 201)
        self.assertEqual(r.headers["Etag"], md5(data))
        self.assertEqual(self.a.req("GET", c, "big").content, data)
        r = self.a.req("PUT", c, "big2", data=data, headers={"ETag": md5(b"no")})
        self.assertEqual(r.status_code, 422)

    def test_etag_mismatch_422_stores_nothing(self):
        c = self.a.container()
        r = self.a.req("PUT", c, "o", data=b"data", headers={"ETag": md5(b"other")})
        self.assertEqual(r.status_code, 422)
        self.assertEqual(self.a.req("HEAD", c, "o").status_code, 404)
        r = self.a.req("PUT", c, "o", data=b"data", headers={"ETag": '"%s"' % md5(b"data")})
        self.assertEqual(r.status_code, 201)

    def test_bad_object_input(self):
        c = self.a.container()
        self.assertEqual(self.a.req("PUT", c, "n" * 1025, data=b"x").status_code, 400)
        self.assertEqual(self.a.req("PUT", c, "%FF", data=b"x").status_code, 412)
        self.assertEqual(self.a.req("PUT", "nocontainer", "o", data=b"x").status_code, 404)
        r = self.a.req("PUT", c, "o", data=b"x", headers={"X-Delete-At": "1"})
        self.assertEqual(r.status_code, 400)
        r = self.a.req("PUT", c, "o", data=b"x", headers={"X-Delete-After": "soon"})
        self.assertEqual(r.status_code, 400)
        r = self.a.req("PUT", c, "o", data=b"x", headers={"X-Object-Meta-" + "k" * 129: "v"})
        self.assertEqual(r.status_code, 400)
        r = self.a.req("PUT", c, "o", data=b"x", headers={"If-None-Match": "abc"})
        self.assertEqual(r.status_code, 400)
        self.assertEqual(self.a.req("GET", c, params={"format": "json"}).json(), [])
        self.assertEqual(self.a.req("PUT", c, "n" * 1024, data=b"x").status_code, 201)

    def test_if_none_match_star(self):
        c = self.a.container()
        self.a.put(c, "o", b"1", headers={"If-None-Match": "*"})
        r = self.a.req("PUT", c, "o", data=b"2", headers={"If-None-Match": "*"})
        self.assertEqual(r.status_code, 412)
        self.assertEqual(self.a.req("GET", c, "o").content, b"1")

    def test_delete_after_expires(self):
        c = self.a.container()
        self.a.put(c, "tmp", b"x", headers={"X-Delete-After": "1"})
        h = self.a.req("HEAD", c, "tmp").headers
        self.assertIn("X-Delete-At", h)
        gone = lib.wait_until(lambda: self.a.req("GET", c, "tmp").status_code == 404, 5)
        self.assertTrue(gone)
        self.assertEqual(self.a.req("GET", c, params={"format": "json"}).json(), [])
        self.assertEqual(self.a.req("DELETE", c).status_code, 204)

    def test_post_delete_at_then_remove(self):
        c = self.a.container()
        self.a.put(c, "o", b"x")
        self.a.req("POST", c, "o", headers={"X-Delete-After": "100"})
        self.assertIn("X-Delete-At", self.a.req("HEAD", c, "o").headers)
        self.a.req("POST", c, "o", headers={"X-Remove-Delete-At": "1"})
        self.assertNotIn("X-Delete-At", self.a.req("HEAD", c, "o").headers)
        self.assertEqual(self.a.req("POST", c, "o",
                                    headers={"X-Delete-At": "5"}).status_code, 400)
