"""Object storage middleware: bulk delete (?bulk-delete) and
/crossdomain.xml, as Swift's bulk and crossdomain middleware."""
import urllib.parse
import xml.etree.ElementTree as ET

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
