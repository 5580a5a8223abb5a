"""Image data: the streamed upload with its checksums, the download
(Content-MD5, Range, 204), format inspection (malicious qcow2, format
mismatch), stage + glance-direct import, quotas, and the faults: a
client gone mid-upload, a short body, a crash mid-upload."""
import hashlib
import os
import signal
import time

import lib
from imagelib import (ImageTestCase, blob_files, icall, new_active_image, new_image,
                      partial_upload, project_member, qcow2, show, status_of, upload,
                      vmdk_descriptor, wait_status)


class TestImageUpload(ImageTestCase):
    def test_upload_download_checksums(self):
        data = os.urandom(300000)
        img = new_image()
        r = upload(img["id"], data)
        self.assertStatus(r, 204)
        img = show(img["id"])
        self.assertEqual(img["status"], "active")
        self.assertEqual(img["size"], len(data))
        self.assertEqual(img["virtual_size"], len(data))
        self.assertEqual(img["checksum"], hashlib.md5(data).hexdigest())
        self.assertEqual(img["os_hash_algo"], "sha512")
        self.assertEqual(img["os_hash_value"], hashlib.sha512(data).hexdigest())
        r = icall("GET", "/images/%s/file" % img["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["Content-MD5"], img["checksum"])
        self.assertEqual(r.headers["Content-Type"], "application/octet-stream")
        dl = lib._session().get(lib.BASE + "/image/v2/images/%s/file" % img["id"],
                                headers={"X-Auth-Token": lib.admin_token()})
        self.assertEqual(dl.content, data)

    def test_chunked_upload(self):
        data = os.urandom(3 * 1024 * 1024 + 17)
        img = new_image()

        def gen():
            for i in range(0, len(data), 100000):
                yield data[i:i + 100000]
        r = icall("PUT", "/images/%s/file" % img["id"], data=gen(),
                  headers={"Content-Type": "application/octet-stream"})
        self.assertStatus(r, 204)
        img = show(img["id"])
        self.assertEqual(img["size"], len(data))
        self.assertEqual(img["os_hash_value"], hashlib.sha512(data).hexdigest())

    def test_range_download(self):
        data = bytes(range(256)) * 40
        img = new_active_image(data=data)
        url = "/images/%s/file" % img["id"]
        for rng, part in (("bytes=10-19", data[10:20]), ("bytes=10200-", data[10200:]),
                          ("bytes=-5", data[-5:]), ("bytes=10230-99999", data[10230:])):
            r = lib._session().get(lib.BASE + "/image/v2" + url,
                                   headers={"X-Auth-Token": lib.admin_token(),
                                            "Range": rng})
            self.assertEqual(r.status_code, 206, rng)
            self.assertEqual(r.content, part, rng)
            self.assertTrue(r.headers["Content-Range"].endswith("/%d" % len(data)))
        for rng in ("bytes=20000-", "bytes=5-1", "bytes=0-1,4-5", "items=0-1"):
            r = icall("GET", url, headers={"Range": rng})
            self.assertGlanceError(r, 416)
            self.assertEqual(r.headers["Content-Range"], "bytes */%d" % len(data))

    def test_download_without_data_204(self):
        img = new_image()
        r = icall("GET", "/images/%s/file" % img["id"])
        self.assertStatus(r, 204)
        self.assertEqual(r.text, "")

    def test_empty_upload_is_active(self):
        img = new_image()
        self.assertStatus(upload(img["id"], b""), 204)
        self.assertEqual(show(img["id"])["size"], 0)

    def test_upload_to_active_409(self):
        img = new_active_image()
        r = upload(img["id"], b"other")
        self.assertGlanceError(r, 409, "active")
        after = show(img["id"])
        self.assertEqual(after["checksum"], img["checksum"])

    def test_upload_without_formats_400(self):
        r = icall("POST", "/images", json={"name": "noformat"})
        img = r.body
        r = upload(img["id"], b"data")
        self.assertGlanceError(r, 400, "disk_format")
        self.assertQueued(img["id"])

    def test_upload_by_non_owner(self):
        a, b = project_member("a"), project_member("b")
        img = new_image(token=a["token"], visibility="community")
        r = upload(img["id"], b"data", token=b["token"])
        self.assertGlanceError(r, 403)
        img = new_image(token=a["token"], visibility="private")
        r = upload(img["id"], b"data", token=b["token"])
        self.assertGlanceError(r, 404)
        self.assertQueued(img["id"])


class TestImageFormats(ImageTestCase):
    def rejected(self, data, disk_format, *words):
        img = new_image(disk_format=disk_format)
        r = upload(img["id"], data)
        self.assertGlanceError(r, 400, *words)
        self.assertQueued(img["id"])
        self.assertNoData(img["id"])

    def test_qcow2_virtual_size(self):
        for version in (2, 3):
            img = new_image(disk_format="qcow2")
            data = qcow2(virtual_size=5 << 30, version=version)
            self.assertStatus(upload(img["id"], data), 204)
            img = show(img["id"])
            self.assertEqual(img["status"], "active")
            self.assertEqual(img["virtual_size"], 5 << 30)
            self.assertEqual(img["size"], len(data))

    def test_qcow2_backing_file_rejected(self):
        self.rejected(qcow2(backing="/etc/shadow"), "qcow2", "backing file")
        self.rejected(qcow2(version=2, backing="/etc/shadow"), "qcow2", "backing file")

    def test_qcow2_external_data_file_rejected(self):
        self.rejected(qcow2(data_file_bit=True), "qcow2", "data file")
        self.rejected(qcow2(data_ext="/dev/sda"), "qcow2", "data file")

    def test_large_malicious_qcow2_refused_early(self):
        img = new_image(disk_format="qcow2")
        data = qcow2(backing="/etc/passwd", pad=4 * 1024 * 1024)
        r = upload(img["id"], data)
        self.assertGlanceError(r, 400, "backing file")
        self.assertQueued(img["id"])
        self.assertNoData(img["id"])

    def test_format_mismatch_rejected(self):
        self.rejected(qcow2(), "raw", "does not match", "qcow2")
        self.rejected(b"plain bytes, not a qcow2" * 100, "qcow2", "does not match")
        self.rejected(b"KDMV" + b"\0" * 600, "raw", "does not match", "vmdk")
        self.rejected(b"vhdxfile" + b"\0" * 600, "vmdk", "does not match", "vhdx")
        self.rejected(qcow2(), "vhd", "does not match", "qcow2")
        self.rejected(b"\0" * 0x8001 + b"CD001" + b"\0" * 100, "vdi", "does not match")

    def test_vmdk_with_external_extents_rejected(self):
        self.rejected(vmdk_descriptor("monolithicFlat"), "vmdk", "createType")
        img = new_image(disk_format="vmdk")
        self.assertStatus(upload(img["id"], vmdk_descriptor("monolithicSparse")), 204)

    def test_other_formats_accepted(self):
        footer = bytearray(512)
        footer[0:8] = b"conectix"
        footer[48:56] = (64 << 20).to_bytes(8, "big")
        for fmt, data in (("vhd", b"\0" * 8192 + bytes(footer)),
                          ("vhdx", b"vhdxfile" + b"\0" * 100),
                          ("iso", b"\0" * 0x8001 + b"CD001" + b"\0" * 100),
                          ("raw", b"\0" * 0x8001 + b"CD001" + b"\0" * 100),
                          ("aki", b"kernel"), ("ami", b"disk"),
                          # data no inspector recognises passes (Tempest)
                          ("vmdk", os.urandom(3000)), ("vhd", os.urandom(3000))):
            img = new_image(disk_format=fmt, container_format="bare")
            r = upload(img["id"], data)
            self.assertStatus(r, 204, fmt)
            if data.endswith(bytes(footer)):
                self.assertEqual(show(img["id"])["virtual_size"], 64 << 20)


class TestImageFaults(ImageTestCase):
    def test_client_gone_mid_upload_leaves_queued(self):
        img = new_image()
        s = partial_upload(lib.BASE, img["id"], lib.admin_token(), total=5 << 20,
                           send=1 << 20, close=False)
        self.assertTrue(wait_status(img["id"], "saving"))
        s.close()
        self.assertQueued(img["id"])
        self.assertNoData(img["id"])
        # and the image still takes a whole upload afterwards
        self.assertStatus(upload(img["id"], b"complete"), 204)

    def test_short_body_leaves_queued(self):
        import socket
        img = new_image()
        s = partial_upload(lib.BASE, img["id"], lib.admin_token(), total=1000,
                           send=10, close=False)
        self.assertTrue(wait_status(img["id"], "saving"))
        s.shutdown(socket.SHUT_WR)        # fewer bytes than promised, then EOF
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
        self.assertQueued(img["id"])
        self.assertNoData(img["id"])

    def test_crash_mid_upload_recovers_at_start(self):
        img = new_image()
        with lib.SideDaemon("") as side:
            s = partial_upload(side.url, img["id"], lib.admin_token(), total=50 << 20,
                               send=2 << 20, close=False)
            self.assertTrue(wait_status(img["id"], "saving"), status_of(img["id"]))
            self.assertTrue(lib.wait_until(lambda: blob_files(img["id"])[1]),
                            "no temporary while uploading")
            os.kill(side.proc.pid, signal.SIGKILL)
            side.proc.wait(10)
            s.close()
        self.assertEqual(status_of(img["id"]), "saving")
        self.assertTrue(blob_files(img["id"])[1], "the crash left no temporary")
        with lib.SideDaemon(""):
            pass                      # a start: recovery runs in init
        self.assertEqual(status_of(img["id"]), "queued")
        self.assertNoData(img["id"])
        self.assertStatus(upload(img["id"], b"after the crash"), 204)


class TestImageQuota(ImageTestCase):
    def test_count_and_size_limits_413(self):
        m = project_member(lib.uniq("quota"))
        conf = "[image]\nimage_count_total = 2\nimage_size_total = 1\n"
        with lib.SideDaemon(conf) as side:
            def call(method, path, **kw):
                return icall(method, side.url + "/image/v2" + path, token=m["token"], **kw)
            body = {"disk_format": "raw", "container_format": "bare"}
            a = call("POST", "/images", json=body).body
            b = call("POST", "/images", json=body).body
            r = call("POST", "/images", json=body)
            self.assertGlanceError(r, 413, "image_count_total")
            # staged data fits now; it counts when it is imported
            r = call("PUT", "/images/%s/stage" % b["id"], data=b"s" * 700000,
                     headers={"Content-Type": "application/octet-stream"})
            self.assertStatus(r, 204)
            # 1 MiB in all: a declared 2 MiB body is refused before it is read
            r = call("PUT", "/images/%s/file" % a["id"], data=b"x" * (2 << 20),
                     headers={"Content-Type": "application/octet-stream"})
            self.assertGlanceError(r, 413)
            self.assertQueued(a["id"])
            # a chunked body is cut off when it goes past the limit
            r = call("PUT", "/images/%s/file" % a["id"],
                     data=(b"y" * 262144 for _ in range(8)),
                     headers={"Content-Type": "application/octet-stream"})
            self.assertGlanceError(r, 413)
            self.assertQueued(a["id"])
            self.assertNoData(a["id"])
            r = call("PUT", "/images/%s/file" % a["id"], data=b"z" * 700000,
                     headers={"Content-Type": "application/octet-stream"})
            self.assertStatus(r, 204)
            r = call("POST", "/images/%s/import" % b["id"],
                     json={"method": {"name": "glance-direct"}})
            self.assertGlanceError(r, 413)
            self.assertQueued(b["id"])
            self.assertNoData(b["id"])
            r = call("PUT", "/images/%s/file" % b["id"], data=b"z" * 700000,
                     headers={"Content-Type": "application/octet-stream"})
            self.assertGlanceError(r, 413)
            self.assertQueued(b["id"])
            r = call("GET", "/info/usage")
            self.assertEqual(r.body["usage"]["image_count_total"],
                             {"limit": 2, "usage": 2})
            self.assertEqual(r.body["usage"]["image_size_total"]["limit"], 1)


class TestImageImport(ImageTestCase):
    def test_stage_then_glance_direct(self):
        data = os.urandom(200000)
        img = new_image()
        r = icall("POST", "/images/%s/import" % img["id"],
                  json={"method": {"name": "glance-direct"}})
        self.assertGlanceError(r, 409, "staged")
        self.assertStatus(upload(img["id"], data, what="stage"), 204)
        self.assertEqual(status_of(img["id"]), "uploading")
        r = upload(img["id"], data, what="stage")
        self.assertGlanceError(r, 409)
        r = icall("POST", "/images/%s/import" % img["id"],
                  json={"method": {"name": "web-download", "uri": "http://x"}})
        self.assertGlanceError(r, 400, "web-download")
        r = icall("POST", "/images/%s/import" % img["id"], json={"method": {}})
        self.assertGlanceError(r, 400)
        r = icall("POST", "/images/%s/import" % img["id"],
                  json={"method": {"name": "glance-direct"}})
        self.assertStatus(r, 202)
        rid = r.headers["X-Openstack-Request-Id"]
        img = show(img["id"])
        self.assertEqual(img["status"], "active")
        self.assertEqual(img["checksum"], hashlib.md5(data).hexdigest())
        self.assertEqual(img["os_hash_value"], hashlib.sha512(data).hexdigest())
        found, _ = blob_files(img["id"])
        self.assertEqual(len(found), 1, "staged data should be gone: %r" % found)
        r = icall("GET", "/images/%s/tasks" % img["id"])
        self.assertStatus(r, 200)
        [task] = r.body["tasks"]
        self.assertEqual((task["status"], task["type"], task["request_id"]),
                         ("success", "api_image_import", rid))
        self.assertEqual(task["input"]["import_req"]["method"]["name"], "glance-direct")

    def test_import_of_malicious_stage_rejected(self):
        img = new_image(disk_format="qcow2")
        self.assertStatus(upload(img["id"], qcow2(backing="/etc/shadow"), what="stage"), 204)
        r = icall("POST", "/images/%s/import" % img["id"],
                  json={"method": {"name": "glance-direct"}})
        self.assertGlanceError(r, 400, "backing file")
        self.assertQueued(img["id"])
        self.assertNoData(img["id"])
        [task] = icall("GET", "/images/%s/tasks" % img["id"]).body["tasks"]
        self.assertEqual(task["status"], "failure")
        self.assertIn("backing file", task["message"])

    def test_stage_client_gone_leaves_queued(self):
        img = new_image()
        s = partial_upload(lib.BASE, img["id"], lib.admin_token(), total=4 << 20,
                           send=1 << 20, what="stage", close=False)
        self.assertTrue(wait_status(img["id"], "uploading"))
        s.close()
        self.assertQueued(img["id"])
        self.assertNoData(img["id"])
