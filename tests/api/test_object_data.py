"""Object storage: bodies (ranges, conditions), copies, large objects
(SLO, DLO) and the durability faults (disconnects, short bodies,
crashes)."""
import hashlib
import json
import os
import socket
import time
import urllib.parse

import requests

import lib
from objlib import Account, ObjTestCase, PrivateDaemon, blob_shard, md5, oreq

DATA = bytes(range(256)) * 40       # 10240 bytes


class TestObjectBodies(ObjTestCase):
    @classmethod
    def setup_class(cls):
        cls.c = cls.a.container()
        cls.a.put(cls.c, "o", DATA, headers={"Content-Type": "application/x-t"})

    def get(self, **headers):
        return self.a.req("GET", self.c, "o", headers=headers)

    def test_single_ranges(self):
        r = self.get(Range="bytes=10-19")
        self.assertEqual((r.status_code, r.content), (206, DATA[10:20]))
        self.assertEqual(r.headers["Content-Range"], "bytes 10-19/10240")
        self.assertEqual(self.get(Range="bytes=-5").content, DATA[-5:])
        self.assertEqual(self.get(Range="bytes=10230-").content, DATA[10230:])
        self.assertEqual(self.get(Range="bytes=10000-99999").content, DATA[10000:])

    def test_unsatisfiable_and_ignored_ranges(self):
        r = self.get(Range="bytes=20000-")
        self.assertEqual(r.status_code, 416)
        self.assertEqual(r.headers["Content-Range"], "bytes */10240")
        r = self.get(Range="bytes=oops")
        self.assertEqual((r.status_code, r.content), (200, DATA))

    def test_multi_range(self):
        r = self.get(Range="bytes=0-3,100-103,-2")
        self.assertEqual(r.status_code, 206)
        ctype = r.headers["Content-Type"]
        self.assertTrue(ctype.startswith("multipart/byteranges;boundary="))
        boundary = ctype.split("boundary=")[1].encode()
        parts = [p for p in r.content.split(b"--" + boundary) if p.strip(b"-\r\n")]
        bodies = [p.split(b"\r\n\r\n", 1)[1][:-2] for p in parts]
        self.assertEqual(bodies, [DATA[0:4], DATA[100:104], DATA[-2:]])
        self.assertIn(b"Content-Range: bytes 100-103/10240", parts[1])
        self.assertEqual(int(r.headers["Content-Length"]), len(r.content))

    def test_conditions(self):
        etag = md5(DATA)
        self.assertEqual(self.get(**{"If-Match": etag}).status_code, 200)
        self.assertEqual(self.get(**{"If-Match": "nope"}).status_code, 412)
        self.assertEqual(self.get(**{"If-None-Match": etag}).status_code, 304)
        self.assertEqual(self.get(**{"If-None-Match": '"x", "%s"' % etag}).status_code, 304)
        self.assertEqual(self.get(**{"If-None-Match": "other"}).status_code, 200)
        lm = self.get().headers["Last-Modified"]
        self.assertEqual(self.get(**{"If-Modified-Since": lm}).status_code, 304)
        self.assertEqual(self.get(**{"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
                         .status_code, 200)
        self.assertEqual(self.get(**{"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
                         .status_code, 412)
        self.assertEqual(self.get(**{"If-Unmodified-Since": lm}).status_code, 200)


class TestObjectCopy(ObjTestCase):
    def test_copy_method_and_x_copy_from(self):
        c1, c2 = self.a.container(), self.a.container()
        self.a.put(c1, "src", b"payload", headers={"X-Object-Meta-A": "1",
                                                   "Content-Type": "text/plain"})
        r = self.a.req("COPY", c1, "src", headers={"Destination": "%s/dst" % c2,
                                                   "X-Object-Meta-B": "2"})
        self.assertEqual(r.status_code, 201)
        self.assertEqual(r.headers["X-Copied-From"], "%s/src" % c1)
        self.assertIn("X-Copied-From-Last-Modified", r.headers)
        self.assertEqual(r.headers["X-Object-Meta-B"], "2")
        g = self.a.req("GET", c2, "dst")
        self.assertEqual(g.content, b"payload")
        self.assertEqual((g.headers["X-Object-Meta-A"], g.headers["X-Object-Meta-B"]),
                         ("1", "2"))
        self.assertEqual(g.headers["Content-Type"], "text/plain")
        r = self.a.req("PUT", c1, "dst2", data=b"", headers={"X-Copy-From": "/%s/src" % c1,
                                                             "X-Fresh-Metadata": "true"})
        self.assertEqual(r.status_code, 201)
        g = self.a.req("GET", c1, "dst2")
        self.assertEqual(g.content, b"payload")
        self.assertNotIn("X-Object-Meta-A", g.headers)

    def test_copy_errors(self):
        c = self.a.container()
        self.assertEqual(self.a.req("COPY", c, "missing",
                                    headers={"Destination": c + "/x"}).status_code, 404)
        self.a.put(c, "s", b"1")
        self.assertEqual(self.a.req("COPY", c, "s").status_code, 412)
        self.assertEqual(self.a.req("COPY", c, "s",
                                    headers={"Destination": "nodest"}).status_code, 412)
        self.assertEqual(self.a.req("COPY", c, "s", headers={
            "Destination": "nocontainer/x"}).status_code, 404)


class TestObjectLarge(ObjTestCase):
    def test_slo_put_get_manifest_delete(self):
        c = self.a.container()
        segs = [os.urandom(1000), os.urandom(2000), os.urandom(10)]
        for i, s in enumerate(segs):
            self.a.put(c, "seg/%d" % i, s)
        manifest = [{"path": "/%s/seg/%d" % (c, i), "etag": md5(s), "size_bytes": len(s)}
                    for i, s in enumerate(segs)]
        r = self.a.req("PUT", c, "big", data=json.dumps(manifest),
                       params={"multipart-manifest": "put"})
        self.assertEqual(r.status_code, 201, r.text)
        g = self.a.req("GET", c, "big")
        self.assertEqual(g.content, b"".join(segs))
        self.assertEqual(g.headers["X-Static-Large-Object"], "True")
        self.assertEqual(g.headers["Content-Length"], "3010")
        etag = hashlib.md5("".join(md5(s) for s in segs).encode()).hexdigest()
        self.assertEqual(g.headers["Etag"], '"%s"' % etag)      # quoted, as Swift
        self.assertEqual(r.headers["Etag"], '"%s"' % etag)
        self.assertEqual(self.a.req("GET", c, "big", headers={"Range": "bytes=990-1009"})
                         .content, b"".join(segs)[990:1010])
        m = self.a.req("GET", c, "big", params={"multipart-manifest": "get"}).json()
        self.assertEqual([x["name"] for x in m], [x["path"] for x in manifest])
        self.assertEqual([x["bytes"] for x in m], [1000, 2000, 10])
        r = self.a.req("DELETE", c, "big", params={"multipart-manifest": "delete"},
                       headers={"Accept": "application/json"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["Number Deleted"], 4)
        self.assertEqual(self.a.req("GET", c, params={"format": "json"}).json(), [])

    def test_slo_manifest_validated(self):
        c = self.a.container()
        self.a.put(c, "s", b"12345")
        bad = [
            [{"path": "/%s/s" % c, "etag": md5(b"x"), "size_bytes": 5}],
            [{"path": "/%s/s" % c, "etag": None, "size_bytes": 6}],
            [{"path": "/%s/missing" % c, "etag": None, "size_bytes": None}],
            [], {"not": "a list"},
        ]
        for m in bad:
            r = self.a.req("PUT", c, "m", data=json.dumps(m),
                           params={"multipart-manifest": "put"})
            self.assertEqual(r.status_code, 400, (m, r.text))
        self.assertEqual(self.a.req("PUT", c, "m", data=b"{oops",
                                    params={"multipart-manifest": "put"}).status_code, 400)
        self.assertEqual(self.a.req("HEAD", c, "m").status_code, 404)
        ok = [{"path": "/%s/s" % c, "etag": None, "size_bytes": None, "range": "1-2"}]
        r = self.a.req("PUT", c, "m", data=json.dumps(ok), params={"multipart-manifest": "put"})
        self.assertEqual(r.status_code, 201, r.text)
        self.assertEqual(self.a.req("GET", c, "m").content, b"23")

    def test_dlo(self):
        c = self.a.container()
        for i in range(3):
            self.a.put(c, "parts/%02d" % i, str(i).encode() * 100)
        self.a.put(c, "dlo", b"", headers={"X-Object-Manifest": "%s/parts/" % c})
        g = self.a.req("GET", c, "dlo")
        self.assertEqual(g.content, b"0" * 100 + b"1" * 100 + b"2" * 100)
        self.assertEqual(g.headers["X-Object-Manifest"], "%s/parts/" % c)
        self.assertTrue(g.headers["Etag"].startswith('"'))
        self.assertEqual(self.a.req("GET", c, "dlo", headers={"Range": "bytes=95-104"}).content,
                         b"0" * 5 + b"1" * 5)


def raw_put(url, token, headers_extra, body, total):
    """Sends a PUT promising 'total' bytes, sends 'body', then closes."""
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port))
    head = ("PUT %s HTTP/1.1\r\nHost: %s\r\nX-Auth-Token: %s\r\nContent-Length: %d\r\n%s\r\n"
            % (u.path, u.netloc, token, total, headers_extra))
    s.sendall(head.encode() + body)
    time.sleep(0.3)
    s.close()


class TestObjectFaults(ObjTestCase):
    def test_short_body_leaves_nothing(self):
        c = self.a.container()
        raw_put(self.a.u(c, "short"), self.a.token, "", b"x" * 5000, 100000)
        time.sleep(0.3)
        self.assertEqual(self.a.req("HEAD", c, "short").status_code, 404)
        self.assertEqual(self.a.req("HEAD", c).headers["X-Container-Object-Count"], "0")
        tmp = os.path.join(lib.STATE_DIR, "blobs", "tmp")
        gone = lib.wait_until(lambda: not any(f.startswith("objects.")
                                              for f in os.listdir(tmp)), 5)
        self.assertTrue(gone, os.listdir(tmp))

    def test_short_body_keeps_the_old_object(self):
        c = self.a.container()
        self.a.put(c, "o", b"old")
        raw_put(self.a.u(c, "o"), self.a.token, "", b"n" * 10, 5000)
        time.sleep(0.3)
        self.assertEqual(self.a.req("GET", c, "o").content, b"old")

    def test_crash_mid_upload_and_orphans_leave_no_garbage(self):
        d = PrivateDaemon()
        try:
            d.start()
            acct = d.account
            self.assertEqual(oreq("PUT", acct + "/c", token=d.token).status_code, 201)
            self.assertEqual(oreq("PUT", acct + "/c/keep", token=d.token,
                                  data=b"kept").status_code, 201)
            # an upload in flight when the daemon is killed
            u = urllib.parse.urlsplit(acct + "/c/inflight")
            s = socket.create_connection((u.hostname, u.port))
            s.sendall(("PUT %s HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n"
                       "Content-Length: 1000000\r\n\r\n" % (u.path, d.token)).encode()
                      + b"z" * 300000)
            time.sleep(0.5)
            done, tmp = d.blob_files()
            self.assertTrue(tmp, "the upload should have a temporary by now")
            d.kill(9)
            s.close()
            # a blob committed whose row never was (a crash between the two)
            orphan = os.path.join(d.state, "blobs", "objects", blob_shard("f" * 32), "f" * 32)
            os.makedirs(os.path.dirname(orphan), exist_ok=True)
            with open(orphan, "wb") as f:
                f.write(b"orphan" + (0).to_bytes(8, "little") + b"NBBLOB01")
            d.start()
            done, tmp = d.blob_files()
            self.assertEqual(tmp, [])
            self.assertEqual(len(done), 1, done)          # only "keep"
            self.assertEqual(oreq("GET", d.account + "/c/keep", token=d.token).content,
                             b"kept")
            self.assertEqual(oreq("HEAD", d.account + "/c/inflight",
                                  token=d.token).status_code, 404)
        finally:
            d.close()
