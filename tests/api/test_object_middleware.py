"""Object storage middleware: bulk delete (?bulk-delete), extract-archive,
/crossdomain.xml and form POST, as Swift's bulk, crossdomain and formpost
middleware."""
import hashlib
import hmac
import io
import tarfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

import requests

import lib
from objlib import OBJ, Account, ObjTestCase, oreq


class TestObjectBulkDelete(ObjTestCase):
    def _listing(self, *parts):
        r = self.a.req("GET", *parts, params={"format": "json"})
        return [e["name"] for e in r.json()] if r.status_code == 200 else r.status_code

    def test_info_advertises_bulk_delete(self):
        info = oreq("GET", OBJ + "/info").json()
        self.assertEqual(info["bulk_delete"]["max_deletes_per_request"], 10000)
        self.assertIn("crossdomain", info)

    def test_post_deletes_objects_and_container_json(self):
        c = self.a.container()
        self.a.put(c, "o 1", b"x")
        self.a.put(c, "o/2", b"y")
        body = "\n".join([urllib.parse.quote("/%s/o 1" % c), "%s/o/2" % c, c, "",
                          "%s/missing" % c])
        r = self.a.req("POST", params={"bulk-delete": ""}, data=body,
                       headers={"Accept": "application/json", "Content-Type": "text/plain"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertIn("X-Trans-Id", r.headers)
        self.assertEqual(r.json(), {"Number Deleted": 3, "Number Not Found": 1,
                                    "Errors": [], "Response Status": "200 OK",
                                    "Response Body": ""})
        self.assertEqual(self.a.req("HEAD", c).status_code, 404)

    def test_delete_method_text_and_conflict(self):
        c = self.a.container()
        self.a.put(c, "keep", b"k")
        r = self.a.req("DELETE", params={"bulk-delete": ""}, data="%s\n/nope/x\n" % c)
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(r.text, "Number Deleted: 0\nNumber Not Found: 1\nResponse Body: \n"
                                 "Response Status: 409 Conflict\nErrors:\n%s, 409 Conflict\n"
                                 % c)
        # nothing changed: the container and its object are still there
        self.assertEqual(self._listing(c), ["keep"])

    def test_xml_format(self):
        c = self.a.container()
        self.a.put(c, "o", b"x")
        r = self.a.req("POST", params={"bulk-delete": ""}, data="%s/o\n" % c,
                       headers={"Accept": "application/xml"})
        root = ET.fromstring(r.content)
        self.assertEqual(root.tag, "delete")
        self.assertEqual(root.find("number_deleted").text, "1")
        self.assertEqual(root.find("response_status").text, "200 OK")

    def test_bad_names_are_errors_the_rest_is_deleted(self):
        c = self.a.container()
        self.a.put(c, "o", b"x")
        long_c = "c" * 257
        r = self.a.req("POST", params={"bulk-delete": ""}, data="%s/x\n%s/o" % (long_c, c),
                       headers={"Accept": "application/json"})
        body = r.json()
        self.assertEqual(body["Number Deleted"], 1)
        self.assertEqual(body["Errors"], [[long_c + "/x", "400 Bad Request"]])
        self.assertEqual(body["Response Status"], "400 Bad Request")

    def test_path_too_long_deletes_nothing(self):
        c = self.a.container()
        self.a.put(c, "o", b"x")
        r = self.a.req("POST", params={"bulk-delete": ""},
                       data="%s/o\n%s/%s" % (c, c, "x" * 1400),
                       headers={"Accept": "application/json"})
        body = r.json()
        self.assertEqual((body["Response Status"], body["Response Body"]),
                         ("400 Bad Request", "Invalid File Name"))
        self.assertEqual(body["Number Deleted"], 0)
        self.assertEqual(self._listing(c), ["o"])

    def test_other_project_and_anonymous_refused(self):
        c = self.a.container()
        self.a.put(c, "o", b"x")
        b = Account()
        r = oreq("POST", self.a.url, token=b.token, params={"bulk-delete": ""},
                 data="%s/o" % c)
        self.assertEqual(r.status_code, 403)
        r = oreq("DELETE", self.a.url, params={"bulk-delete": ""}, data="%s/o" % c)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(self._listing(c), ["o"])

    def test_account_delete_without_bulk_is_405(self):
        r = self.a.req("DELETE")
        self.assertEqual(r.status_code, 405)
        self.assertEqual(self.a.req("HEAD").status_code, 204)


class TestObjectCrossdomain(ObjTestCase):
    def test_crossdomain_policy(self):
        r = oreq("GET", OBJ + "/crossdomain.xml")
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("application/xml"))
        self.assertIn("X-Trans-Id", r.headers)
        self.assertTrue(r.text.startswith(
            '<?xml version="1.0"?>\n<!DOCTYPE cross-domain-policy SYSTEM '
            '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
            '<cross-domain-policy>\n'))
        self.assertTrue(r.text.endswith("</cross-domain-policy>"))
        root = ET.fromstring(r.content)
        self.assertEqual(root.find("allow-access-from").get("domain"), "*")


def _tar(files, mode="w"):
    """A tar archive (bytes) of {path: bytes}; mode "w:gz" / "w:bz2" compress."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        d = tarfile.TarInfo("dir-only")
        d.type = tarfile.DIRTYPE
        t.addfile(d)
    return buf.getvalue()


class TestObjectExtractArchive(ObjTestCase):
    def _extract(self, data, kind="tar", *parts, accept="application/json"):
        r = self.a.req("PUT", *parts, params={"extract-archive": kind}, data=data,
                       headers={"Accept": accept})
        return r

    def _get(self, c, o):
        r = self.a.req("GET", c, o)
        return r.content if r.status_code == 200 else r.status_code

    def test_info_advertises_bulk_upload(self):
        info = oreq("GET", OBJ + "/info").json()
        self.assertEqual(info["bulk_upload"]["max_containers_per_extraction"], 10000)

    def test_tar_on_account_creates_containers_and_objects(self):
        c1, c2 = lib.uniq("x"), lib.uniq("y")
        long_name = "d/" * 60 + "deep"      # past ustar's 100 bytes: pax path
        r = self._extract(_tar({"%s/a" % c1: b"AAA", "./%s/%s" % (c2, long_name): b"B",
                                "top-level-file": b"ignored"}))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIn("X-Trans-Id", r.headers)
        self.assertEqual(r.json(), {"Number Files Created": 2, "Response Body": "",
                                    "Response Status": "201 Created", "Errors": []})
        self.assertEqual(self._get(c1, "a"), b"AAA")
        self.assertEqual(self._get(c2, long_name), b"B")
        self.assertEqual(self.a.req("HEAD", c1).headers["X-Container-Object-Count"], "1")

    def test_gz_and_bz2_into_a_container(self):
        c = self.a.container()
        for kind, mode in (("tar.gz", "w:gz"), ("tar.bz2", "w:bz2")):
            r = self._extract(_tar({"sub/%s" % kind: kind.encode()}, mode), kind, c)
            self.assertEqual(r.json()["Number Files Created"], 1, r.text)
            self.assertEqual(self._get(c, "sub/" + kind), kind.encode())

    def test_text_format(self):
        c = lib.uniq("t")
        r = self._extract(_tar({c + "/o": b"1"}), "tar", accept="text/plain")
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(r.text, "Number Files Created: 1\nResponse Body: \n"
                                 "Response Status: 201 Created\nErrors:\n")

    def test_unsupported_format_400(self):
        c = self.a.container()
        r = self._extract(_tar({"x/o": b"1"}), "zip", c)
        self.assertEqual(r.status_code, 400)
        self.assertEqual(self.a.req("GET", c).text, "")

    def test_invalid_archives_change_nothing(self):
        c = lib.uniq("bad")
        good = _tar({c + "/o": b"1" * 2000})
        for data, kind in ((b"", "tar"), (b"garbage" * 100, "tar"),
                           (good[:1000], "tar"), (good[:300], "tar"), (b"not gzip", "tar.gz"),
                           (_tar({c + "/o": b"1"}, "w:gz")[:30], "tar.gz"),
                           (b"BZh9junk", "tar.bz2")):
            r = self._extract(data, kind)
            self.assertEqual(r.status_code, 200)
            body = r.json()
            self.assertEqual(body["Response Status"], "400 Bad Request", (kind, data[:20]))
            self.assertTrue(body["Response Body"].startswith("Invalid Tar File: "))
            self.assertEqual(body["Number Files Created"], 0)
        self.assertEqual(self.a.req("HEAD", c).status_code, 404)

    def test_bad_names_and_quota_are_errors(self):
        c = self.a.container(headers={"X-Container-Meta-Quota-Bytes": "3"})
        r = self._extract(_tar({"%s/ok" % c: b"123", "%s/over" % c: b"4",
                                "%s/x" % ("c" * 257): b"1"}))
        body = r.json()
        self.assertEqual(body["Number Files Created"], 1)
        self.assertEqual(body["Response Status"], "502 Bad Gateway")
        self.assertEqual(sorted(body["Errors"]),
                         sorted([["%s/x" % ("c" * 257), "400 Bad Request"],
                                 ["%s/over" % c, "413 Request Entity Too Large"]]))
        self.assertEqual(self._get(c, "over"), 404)

    def test_other_project_refused(self):
        b = Account()
        c = lib.uniq("o")
        r = oreq("PUT", self.a.url, token=b.token, params={"extract-archive": "tar"},
                 data=_tar({c + "/o": b"1"}))
        self.assertEqual(r.status_code, 403)
        self.assertEqual(self.a.req("HEAD", c).status_code, 404)

    def test_account_put_without_extract_is_405(self):
        self.assertEqual(self.a.req("PUT").status_code, 405)


def _form(path, key, files, redirect="", max_size=1024, max_count=10, expires=600,
          extra=None, digest=hashlib.sha1):
    """A signed multipart form (body, content type) uploading {filename: bytes}."""
    expires = str(int(time.time()) + expires)
    msg = "%s\n%s\n%s\n%s\n%s" % (path, redirect, max_size, max_count, expires)
    fields = {"redirect": redirect, "max_file_size": str(max_size),
              "max_file_count": str(max_count), "expires": expires,
              "signature": hmac.new(key.encode(), msg.encode(), digest).hexdigest()}
    fields.update(extra or {})
    b = "--boundary--"
    out = []
    for k, v in fields.items():
        out += ["--" + b, 'Content-Disposition: form-data; name="%s"' % k, "", v]
    for name, data in files.items():
        out += ["--" + b, 'Content-Disposition: form-data; name="f"; filename="%s"' % name,
                "Content-Type: text/x-test", "", data.decode()]
    out += ["--" + b + "--", ""]
    return "\r\n".join(out).encode(), "multipart/form-data; boundary=%s" % b


class TestObjectFormPost(ObjTestCase):
    @classmethod
    def setup_class(cls):
        super().setup_class()
        cls.a.req("POST", headers={"X-Account-Meta-Temp-URL-Key": "k1"})

    def _post(self, c, *obj, token=None, **kw):
        path = "/object/v1/%s/%s" % (self.a.name, "/".join((c,) + obj))
        body, ct = _form(path, kw.pop("key", "k1"), kw.pop("files", {"f.txt": b"hello"}), **kw)
        h = {"Content-Type": ct}
        if token:
            h["X-Auth-Token"] = token
        return requests.post(self.a.u(c, *obj), data=body, headers=h, allow_redirects=False,
                             timeout=60)

    def test_info_advertises_formpost(self):
        self.assertIn("formpost", oreq("GET", OBJ + "/info").json())

    def test_anonymous_form_uploads_under_prefix(self):
        c = self.a.container()
        r = self._post(c, "pre/", files={"a.txt": b"A", "b.txt": b"BB"})
        self.assertEqual((r.status_code, r.text), (201, "201 Created"))
        self.assertIn("X-Trans-Id", r.headers)
        self.assertEqual(self.a.req("GET", c, "pre/a.txt").content, b"A")
        g = self.a.req("GET", c, "pre/b.txt")
        self.assertEqual((g.content, g.headers["Content-Type"]), (b"BB", "text/x-test"))

    def test_container_level_with_token_and_redirect(self):
        c = self.a.container()
        r = self._post(c, token=self.a.token, redirect="http://example.com/done?x=1")
        self.assertEqual(r.status_code, 303)
        self.assertEqual(r.headers["Location"],
                         "http://example.com/done?x=1&status=201%20Created&message=")
        self.assertEqual(self.a.req("GET", c, "f.txt").content, b"hello")

    def test_container_key_and_sha256(self):
        c = self.a.container(headers={"X-Container-Meta-Temp-URL-Key": "ck"})
        r = self._post(c, key="ck", digest=hashlib.sha256)
        self.assertEqual(r.status_code, 201, r.text)

    def test_expired_and_bad_signature_are_401_and_store_nothing(self):
        c = self.a.container()
        r = self._post(c, expires=-5)
        self.assertEqual((r.status_code, r.text), (401, "FormPost: Form Expired"))
        r = self._post(c, key="wrong", token=self.a.token)
        self.assertEqual((r.status_code, r.text), (401, "FormPost: Invalid Signature"))
        self.assertEqual(self.a.req("GET", c).text, "")

    def test_limits_refuse_the_whole_form(self):
        c = self.a.container()
        r = self._post(c, files={"a": b"1", "b": b"2", "c": b"3"}, max_count=2)
        self.assertEqual((r.status_code, r.text), (400, "FormPost: max file count exceeded"))
        r = self._post(c, files={"a": b"1", "big": b"x" * 20}, max_size=10)
        self.assertEqual((r.status_code, r.text), (400, "FormPost: max_file_size exceeded"))
        r = self._post(c, extra={"x_delete_at": "soon"})
        self.assertEqual(r.status_code, 400)
        self.assertEqual(self.a.req("GET", c).text, "")

    def test_no_files_and_bad_boundary(self):
        c = self.a.container()
        r = self._post(c, files={})
        self.assertEqual((r.status_code, r.text),
                         (400, "400 Bad Request\r\nFormPost: No Files To Process"))
        r = oreq("POST", self.a.u(c, "o"), data=b"junk",
                 headers={"Content-Type": "multipart/form-data; boundary=zz"})
        self.assertEqual((r.status_code, r.text), (400, "FormPost: invalid starting boundary"))
        body, ct = _form("/object/v1/%s/%s" % (self.a.name, c), "k1", {"a": b"1"})
        r = oreq("POST", self.a.u(c), data=body[:-30], headers={"Content-Type": ct})
        self.assertEqual(r.status_code, 400)
        self.assertEqual(self.a.req("GET", c).text, "")

    def test_missing_container_is_404_status(self):
        r = self._post(lib.uniq("none"))
        self.assertEqual((r.status_code, r.text), (404, "404 Not Found"))

    def test_delete_after_sets_expiry(self):
        c = self.a.container()
        r = self._post(c, extra={"x_delete_after": "100"})
        self.assertEqual(r.status_code, 201)
        self.assertIn("X-Delete-At", self.a.req("HEAD", c, "f.txt").headers)


class TestObjectStaticWeb(ObjTestCase):
    def _site(self, **meta):
        c = self.a.container(headers={"X-Container-Read": ".r:*,.rlistings"})
        self.a.put(c, "index.html", b"<p>home</p>", headers={"Content-Type": "text/html"})
        self.a.put(c, "a&b.txt", b"AB")
        self.a.req("POST", c, headers={"X-Container-Meta-" + k.replace("_", "-"): v
                                       for k, v in meta.items()})
        return c

    def test_info_advertises_staticweb(self):
        self.assertIn("staticweb", oreq("GET", OBJ + "/info").json())

    def test_index_served_after_redirect_to_slash(self):
        c = self._site(Web_Index="index.html")
        r = requests.get(self.a.u(c), allow_redirects=False, timeout=60)
        self.assertEqual(r.status_code, 301)
        self.assertEqual(r.headers["Location"], self.a.u(c) + "/")
        r = oreq("GET", self.a.u(c))
        self.assertEqual((r.status_code, r.content), (200, b"<p>home</p>"))
        self.assertEqual(r.headers["Content-Type"], "text/html")

    def test_listing_with_css(self):
        c = self._site(Web_Listings="true", Web_Listings_CSS="listings.css")
        r = oreq("GET", self.a.u(c) + "/")
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        self.assertIn('<link rel="stylesheet" type="text/css" href="listings.css" />', r.text)
        self.assertIn('<a href="a&amp;b.txt">a&amp;b.txt</a>', r.text)
        self.assertIn("Listing of /v1/%s/%s/" % (self.a.name, c), r.text)

    def test_token_holders_get_the_api_unless_web_mode(self):
        c = self._site(Web_Index="index.html")
        self.assertEqual(self.a.req("GET", c).text, "a&b.txt\nindex.html\n")
        r = self.a.req("GET", c + "/", headers={"X-Web-Mode": "true"})
        self.assertEqual(r.content, b"<p>home</p>")

    def test_without_read_acl_anonymous_is_refused(self):
        c = self.a.container(headers={"X-Container-Meta-Web-Listings": "true"})
        self.assertEqual(oreq("GET", self.a.u(c) + "/").status_code, 401)

    def test_missing_index_without_listings_is_404(self):
        c = self._site(Web_Index="nope.html")
        self.assertEqual(oreq("GET", self.a.u(c) + "/").status_code, 404)
