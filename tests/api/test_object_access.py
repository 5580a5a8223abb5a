"""Object storage access: cross-project accounts, container ACLs, temp
URLs, quotas (container and account) and versioning."""
import base64
import hashlib
import hmac
import time
import urllib.parse

import lib
from objlib import Account, ObjTestCase, oreq, tempurl


class TestObjectCrossProject(ObjTestCase):
    @classmethod
    def setup_class(cls):
        cls.b = Account()
        cls.c = cls.a.container()
        cls.a.put(cls.c, "o", b"secret")

    def test_other_project_denied_without_acl(self):
        t = self.b.token
        self.assertEqual(oreq("GET", self.a.url, token=t).status_code, 403)
        self.assertEqual(oreq("HEAD", self.a.url, token=t).status_code, 403)
        self.assertEqual(oreq("POST", self.a.url, token=t).status_code, 403)
        self.assertEqual(oreq("GET", self.a.u(self.c), token=t).status_code, 403)
        self.assertEqual(oreq("GET", self.a.u(self.c, "o"), token=t).status_code, 403)
        self.assertEqual(oreq("PUT", self.a.u(self.c, "x"), token=t, data=b"1")
                         .status_code, 403)
        self.assertEqual(oreq("DELETE", self.a.u(self.c, "o"), token=t).status_code, 403)
        self.assertEqual(oreq("PUT", self.a.u("new"), token=t).status_code, 403)
        self.assertEqual(self.a.req("GET", self.c, "o").content, b"secret")

    def test_anonymous_401_bad_token_401(self):
        self.assertEqual(oreq("GET", self.a.u(self.c, "o")).status_code, 401)
        self.assertEqual(oreq("GET", self.a.url).status_code, 401)
        self.assertEqual(oreq("GET", self.a.url, token="garbage").status_code, 401)

    def test_reseller_admin_reaches_every_account(self):
        r = oreq("GET", self.a.u(self.c, "o"), token=lib.admin_token())
        self.assertEqual((r.status_code, r.content), (200, b"secret"))

    def test_read_acl_for_a_user_then_public(self):
        c = self.a.container()
        self.a.put(c, "o", b"shared")
        t = self.b.token
        self.assertEqual(oreq("GET", self.a.u(c, "o"), token=t).status_code, 403)
        acl = "%s:%s" % (self.b.project["id"], self.b.user["id"])
        self.a.req("POST", c, headers={"X-Container-Read": acl})
        self.assertEqual(oreq("GET", self.a.u(c, "o"), token=t).content, b"shared")
        self.assertEqual(oreq("GET", self.a.u(c), token=t).text, "o\n")
        # reading does not allow writing, nor changing the ACL
        self.assertEqual(oreq("PUT", self.a.u(c, "w"), token=t, data=b"1").status_code, 403)
        self.assertEqual(oreq("POST", self.a.u(c), token=t,
                              headers={"X-Container-Read": ".r:*"}).status_code, 403)
        # .r:* opens objects to everyone, but not the listing without .rlistings
        self.a.req("POST", c, headers={"X-Container-Read": ".r:*"})
        self.assertEqual(oreq("GET", self.a.u(c, "o")).content, b"shared")
        self.assertEqual(oreq("GET", self.a.u(c)).status_code, 401)
        self.a.req("POST", c, headers={"X-Container-Read": ".r:*,.rlistings"})
        self.assertEqual(oreq("GET", self.a.u(c)).text, "o\n")

    def test_referrer_acl(self):
        c = self.a.container(headers={"X-Container-Read": ".r:.example.com,.r:-bad.example.com"})
        self.a.put(c, "o", b"ref")
        get = lambda ref: oreq("GET", self.a.u(c, "o"), headers={"Referer": ref}).status_code
        self.assertEqual(get("http://www.example.com/page"), 200)
        self.assertEqual(get("http://bad.example.com/page"), 401)
        self.assertEqual(get("http://other.org/"), 401)

    def test_write_acl(self):
        c = self.a.container()
        t = self.b.token
        acl = "%s:*" % self.b.project["id"]
        self.a.req("POST", c, headers={"X-Container-Write": acl})
        self.assertEqual(oreq("PUT", self.a.u(c, "w"), token=t, data=b"by b").status_code, 201)
        self.assertEqual(oreq("GET", self.a.u(c, "w"), token=t).status_code, 403)
        self.assertEqual(self.a.req("GET", c, "w").content, b"by b")
        self.assertEqual(oreq("DELETE", self.a.u(c, "w"), token=t).status_code, 204)


class TestObjectTempURL(ObjTestCase):
    @classmethod
    def setup_class(cls):
        cls.c = cls.a.container()
        cls.a.put(cls.c, "dir/file.txt", b"temp data")
        cls.a.req("POST", headers={"X-Account-Meta-Temp-URL-Key": "acctkey"})
        cls.a.req("POST", cls.c, headers={"X-Container-Meta-Temp-URL-Key-2": "contkey"})

    def path(self, name="dir/file.txt", prefix=""):
        return "%s/v1/%s/%s/%s" % (prefix, self.a.name, self.c, name)

    def signed(self, method, key="acctkey", digest="sha256", expires=None, name="dir/file.txt",
               prefix=""):
        exp = expires or int(time.time()) + 60
        sig = tempurl(key, method, self.path(name, prefix), exp, digest)
        return {"temp_url_sig": sig, "temp_url_expires": str(exp)}

    def test_get_with_each_digest_and_key(self):
        for digest in ("sha1", "sha256", "sha512"):
            for key in ("acctkey", "contkey"):
                r = oreq("GET", self.a.u(self.c, "dir/file.txt"),
                         params=self.signed("GET", key, digest))
                self.assertEqual((r.status_code, r.content), (200, b"temp data"), digest)
                self.assertEqual(r.headers["Content-Disposition"],
                                 'attachment; filename="file.txt"')
        # the path as the client sees it, with the /object prefix
        r = oreq("GET", self.a.u(self.c, "dir/file.txt"), params=self.signed("GET", prefix="/object"))
        self.assertEqual(r.status_code, 200)

    def test_inline_and_filename(self):
        u = self.a.u(self.c, "dir/file.txt")
        p = self.signed("GET")
        p["inline"] = ""
        self.assertEqual(oreq("GET", u, params=p).headers["Content-Disposition"], "inline")
        p = self.signed("GET")
        p["filename"] = "x.bin"
        self.assertEqual(oreq("GET", u, params=p).headers["Content-Disposition"],
                         'attachment; filename="x.bin"')

    def test_base64_signature_and_head(self):
        exp = int(time.time()) + 60
        body = "GET\n%d\n%s" % (exp, self.path())
        mac = hmac.new(b"acctkey", body.encode(), hashlib.sha512).digest()
        sig = "sha512:" + base64.urlsafe_b64encode(mac).decode().rstrip("=")
        p = {"temp_url_sig": sig, "temp_url_expires": str(exp)}
        self.assertEqual(oreq("GET", self.a.u(self.c, "dir/file.txt"), params=p).status_code, 200)
        r = oreq("HEAD", self.a.u(self.c, "dir/file.txt"), params=p)
        self.assertEqual(r.status_code, 200)

    def test_put_with_temp_url(self):
        r = oreq("PUT", self.a.u(self.c, "up"), data=b"via temp url",
                 params=self.signed("PUT", name="up"))
        self.assertEqual(r.status_code, 201)
        self.assertEqual(self.a.req("GET", self.c, "up").content, b"via temp url")

    def test_bad_temp_urls_are_401(self):
        u = self.a.u(self.c, "dir/file.txt")
        self.assertEqual(oreq("GET", u, params=self.signed("GET", expires=int(time.time()) - 5))
                         .status_code, 401)
        self.assertEqual(oreq("GET", u, params=self.signed("GET", key="wrong")).status_code, 401)
        self.assertEqual(oreq("GET", u, params=self.signed("PUT")).status_code, 401)
        self.assertEqual(oreq("DELETE", u, params=self.signed("DELETE")).status_code, 401)
        self.assertEqual(oreq("GET", u, params={"temp_url_sig": "zz",
                                                "temp_url_expires": "1"}).status_code, 401)
        other = self.signed("GET", name="other")
        self.assertEqual(oreq("GET", u, params=other).status_code, 401)

    def test_prefix_temp_url(self):
        exp = int(time.time()) + 60
        path = "/v1/%s/%s/dir/" % (self.a.name, self.c)
        sig = tempurl("acctkey", "GET", path, exp, "sha256", prefix=True)
        p = {"temp_url_sig": sig, "temp_url_expires": str(exp), "temp_url_prefix": "dir/"}
        self.assertEqual(oreq("GET", self.a.u(self.c, "dir/file.txt"), params=p).status_code, 200)


class TestObjectQuotas(ObjTestCase):
    def test_container_quotas(self):
        c = self.a.container(headers={"X-Container-Meta-Quota-Bytes": "10",
                                      "X-Container-Meta-Quota-Count": "2"})
        self.a.put(c, "a", b"12345")
        self.assertEqual(self.a.req("PUT", c, "b", data=b"123456").status_code, 413)
        self.a.put(c, "b", b"1")
        self.assertEqual(self.a.req("PUT", c, "c", data=b"1").status_code, 413)
        # a chunked body is checked once it is in: nothing is stored
        c2 = self.a.container(headers={"X-Container-Meta-Quota-Bytes": "10"})
        chunked = self.a.req("PUT", c2, "a", data=iter([b"1" * 20]))
        self.assertEqual(chunked.status_code, 413)
        self.assertEqual(self.a.req("HEAD", c2, "a").status_code, 404)
        self.assertEqual(self.a.req("GET", c, "a").content, b"12345")

    def test_account_quota_reseller_only(self):
        b = Account()
        r = b.req("POST", headers={"X-Account-Meta-Quota-Bytes": "5"})
        self.assertEqual(r.status_code, 403)
        r = oreq("POST", b.url, token=lib.admin_token(),
                 headers={"X-Account-Meta-Quota-Bytes": "5"})
        self.assertEqual(r.status_code, 204)
        c = b.container()
        self.assertEqual(b.req("PUT", c, "o", data=b"123456").status_code, 413)
        b.put(c, "o", b"1234")
        self.assertEqual(b.req("PUT", c, "p", data=b"12").status_code, 413)
        r = oreq("POST", b.url, token=lib.admin_token(),
                 headers={"X-Account-Meta-Quota-Bytes": "x"})
        self.assertEqual(r.status_code, 400)
        oreq("POST", b.url, token=lib.admin_token(),
             headers={"X-Remove-Account-Meta-Quota-Bytes": "1"})
        b.put(c, "p", b"12")


class TestObjectVersioning(ObjTestCase):
    def test_stack_mode(self):
        v = self.a.container()
        c = self.a.container(headers={"X-Versions-Location": v})
        self.assertEqual(self.a.req("HEAD", c).headers["X-Versions-Location"], v)
        for body in (b"v1", b"v2", b"v3"):
            self.a.put(c, "doc", body)
        self.assertEqual(self.a.req("GET", c, "doc").content, b"v3")
        names = self.a.req("GET", v).text.split()
        self.assertEqual(len(names), 2)
        self.assertTrue(all(n.startswith("003doc/") for n in names), names)
        self.assertEqual(self.a.req("DELETE", c, "doc").status_code, 204)
        self.assertEqual(self.a.req("GET", c, "doc").content, b"v2")
        self.assertEqual(self.a.req("DELETE", c, "doc").status_code, 204)
        self.assertEqual(self.a.req("GET", c, "doc").content, b"v1")
        self.assertEqual(self.a.req("DELETE", c, "doc").status_code, 204)
        self.assertEqual(self.a.req("GET", c, "doc").status_code, 404)
        self.assertEqual(self.a.req("GET", v).status_code, 204)

    def test_history_mode(self):
        h = self.a.container()
        c = self.a.container(headers={"X-History-Location": h})
        self.a.put(c, "doc", b"v1")
        self.a.put(c, "doc", b"v2")
        self.assertEqual(self.a.req("DELETE", c, "doc").status_code, 204)
        self.assertEqual(self.a.req("GET", c, "doc").status_code, 404)
        names = self.a.req("GET", h).text.split()
        self.assertEqual(len(names), 2)
        self.assertEqual(self.a.req("GET", h, names[-1]).content, b"v2")

    def test_both_locations_400(self):
        r = self.a.req("PUT", lib.uniq("c"), headers={"X-Versions-Location": "a",
                                                     "X-History-Location": "b"})
        self.assertEqual(r.status_code, 400)
