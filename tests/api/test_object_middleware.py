"""Object storage middleware: bulk delete (?bulk-delete), extract-archive
and /crossdomain.xml, as Swift's bulk and crossdomain middleware."""
import io
import tarfile
import urllib.parse
import xml.etree.ElementTree as ET

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
