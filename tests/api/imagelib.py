"""Helpers of the image API tests (tests/api/test_image_*.py): Glance v2
requests, image builders (qcow2 headers crafted byte by byte), and
projects with member users to share images between."""
import json as _json
import os
import socket
import struct
import time
import urllib.parse

import lib
from lib import TestCase

IMAGE = lib.BASE + "/image"
V2 = IMAGE + "/v2"
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
_UNSET = object()


def icall(method, path, token=_UNSET, **kw):
    """A request to /image/v2 + path (or /image + path when path starts
    with '/image', or a full URL)."""
    if path.startswith("http"):
        url = path
    elif path.startswith("/image/"):
        url = lib.BASE + path
    else:
        url = V2 + path
    if token is _UNSET:
        return lib.call(method, url, **kw)
    return lib.call(method, url, token=token, **kw)


def patch(image_id, ops, token=_UNSET, ctype=PATCH_TYPE):
    return icall("PATCH", "/images/" + image_id, token=token,
                 data=_json.dumps(ops), headers={"Content-Type": ctype})


def upload(image_id, data, token=_UNSET, what="file"):
    return icall("PUT", "/images/%s/%s" % (image_id, what), token=token, data=data,
                 headers={"Content-Type": "application/octet-stream"})


def new_image(token=_UNSET, **attrs):
    body = {"name": lib.uniq("img"), "disk_format": "raw", "container_format": "bare"}
    body.update(attrs)
    r = icall("POST", "/images", token=token, json=body)
    if r.status != 201:
        raise AssertionError("cannot create image: %r" % r)
    return r.body


def new_active_image(data=b"nubis image data\n" * 100, token=_UNSET, **attrs):
    img = new_image(token=token, **attrs)
    r = upload(img["id"], data, token=token)
    if r.status != 204:
        raise AssertionError("cannot upload: %r" % r)
    return show(img["id"], token=token)


def show(image_id, token=_UNSET):
    r = icall("GET", "/images/" + image_id, token=token)
    if r.status != 200:
        raise AssertionError("cannot show image: %r" % r)
    return r.body


def status_of(image_id):
    return show(image_id)["status"]


def list_ids(token=_UNSET, **params):
    r = icall("GET", "/images", token=token, params=params)
    if r.status != 200:
        raise AssertionError("cannot list: %r" % r)
    return [i["id"] for i in r.body["images"]]


_projects = {}


def project_member(which):
    """A project with a member user and its token, cached per name."""
    if which not in _projects:
        proj = lib.new_project()
        user = lib.new_user(project=proj["id"], role="member")
        _projects[which] = {"project": proj, "user": user,
                            "token": lib.token_for(user, lib.project_scope(proj["id"]))}
    return _projects[which]


# ---------------------------------------------------------------- image bytes

def qcow2(virtual_size=1 << 30, version=3, backing=None, data_file_bit=False,
          data_ext=None, pad=70000):
    """A qcow2 header (v2 or v3) followed by zeros; optionally naming a
    backing file, setting the external data file feature bit, or carrying
    the external data file header extension (0x44415441)."""
    boff, blen = (512, len(backing)) if backing else (0, 0)
    incompat = (1 << 2) if data_file_bit else 0
    if version == 3:
        hdr = struct.pack(">4sIQIIQIIQQIIQQQQII", b"QFI\xfb", 3, boff, blen, 16,
                          virtual_size, 0, 0, 0, 0, 0, 0, 0, incompat, 0, 0, 4, 104)
    else:
        hdr = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", 2, boff, blen, 16,
                          virtual_size, 0, 0, 0, 0, 0, 0, 0)
    if data_ext:
        name = data_ext.encode()
        hdr += struct.pack(">II", 0x44415441, len(name)) + name
        hdr += b"\0" * (-len(name) % 8)
    hdr += struct.pack(">II", 0, 0)
    out = bytearray(hdr + b"\0" * pad)
    if backing:
        out[512:512 + blen] = backing.encode()
    return bytes(out)


def vmdk_descriptor(create_type):
    return ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
            'createType="%s"\n\n# Extent description\nRW 2048 FLAT "/etc/passwd" 0\n'
            % create_type).encode()


# ---------------------------------------------------------------- raw HTTP

def partial_upload(base_url, image_id, token, total, send, close=True, what="file"):
    """PUT /file (or /stage) over a raw socket: promises 'total' bytes, sends 'send'
    bytes, then closes (or returns the still open socket when close is
    False)."""
    u = urllib.parse.urlsplit(base_url)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    head = ("PUT /image/v2/images/%s/%s HTTP/1.1\r\nHost: %s\r\n"
            "X-Auth-Token: %s\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: %d\r\n\r\n" % (image_id, what, u.netloc, token, total))
    s.sendall(head.encode())
    chunk = b"\x5a" * 65536
    left = send
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
    if close:
        s.close()
        return None
    return s


def blob_files(image_id):
    """Files of the blob store whose name is the image id, and every
    temporary of the store."""
    root = os.path.join(lib.STATE_DIR, "blobs")
    found, temps = [], []
    for d, _, files in os.walk(root):
        for f in files:
            if f == image_id:
                found.append(os.path.join(d, f))
            if os.path.basename(d) == "tmp":
                temps.append(os.path.join(d, f))
    return found, temps


def wait_status(image_id, status, timeout=10.0):
    return lib.wait_until(lambda: status_of(image_id) == status, timeout=timeout)


class ImageTestCase(TestCase):
    def assertGlanceError(self, r, status, *words):
        """Glance's (webob's) error body: message, code "404 Not Found",
        title; the message contains each of 'words'."""
        self.assertStatus(r, status)
        body = r.body
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            self.fail("no Glance error body in %r" % r)
        self.assertTrue(body["code"].startswith("%d " % status), "code in %r" % r)
        self.assertTrue(body.get("title"), "title in %r" % r)
        for w in words:
            self.assertIn(w, body["message"], "message of %r" % r)
        return body

    def assertNoData(self, image_id):
        """No committed data and no temporary left in the blob store."""
        lib.wait_until(lambda: blob_files(image_id) == ([], []), timeout=5)
        found, temps = blob_files(image_id)
        self.assertEqual(found, [], "blob of %s still stored" % image_id)
        self.assertEqual(temps, [], "temporaries left in the blob store")

    def assertQueued(self, image_id):
        self.assertTrue(wait_status(image_id, "queued"),
                        "image %s is %s, not queued" % (image_id, status_of(image_id)))
        img = show(image_id)
        self.assertIsNone(img["size"])
        self.assertIsNone(img["checksum"])
        r = icall("GET", "/images/%s/file" % image_id)
        self.assertStatus(r, 204)

    def ctime(self, t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
