"""Helpers for the object storage (Swift v1) API tests: an account owned
by a fresh project, requests with raw bodies, and a private daemon for
the crash tests."""
import hashlib
import hmac
import os
import shutil
import subprocess
import tempfile
import time

import requests

import lib
from lib import BASE, NUBIS_BIN, TestCase, new_project, new_user, project_scope, token_for

OBJ = BASE + "/object"
_session = requests.Session()


def oreq(method, url, token=None, data=None, headers=None, params=None, stream=False):
    """One request; returns the requests.Response."""
    h = dict(headers or {})
    if token:
        h["X-Auth-Token"] = token
    return _session.request(method, url, data=data, headers=h, params=params,
                            timeout=60, stream=stream)


class Account:
    """A project with a member user: its account URL and token."""

    def __init__(self, role="member"):
        self.project = new_project()
        self.user = new_user(project=self.project["id"], role=role)
        self.token = token_for(self.user, project_scope(self.project["id"]))
        self.name = "AUTH_" + self.project["id"]
        self.url = "%s/v1/%s" % (OBJ, self.name)

    def u(self, *parts):
        return "/".join([self.url] + list(parts))

    def req(self, method, *parts, **kw):
        kw.setdefault("token", self.token)
        return oreq(method, self.u(*parts), **kw)

    def container(self, name=None, headers=None):
        name = name or lib.uniq("c")
        r = self.req("PUT", name, headers=headers)
        assert r.status_code == 201, r.text
        return name

    def put(self, cont, name, data=b"", headers=None):
        r = self.req("PUT", cont, name, data=data, headers=headers)
        assert r.status_code == 201, "%d %s" % (r.status_code, r.text)
        return r


def md5(b):
    return hashlib.md5(b).hexdigest()


def tempurl(key, method, path, expires, digest="sha256", prefix=None):
    body = "%s\n%d\n%s" % (method, expires, ("prefix:" + path) if prefix else path)
    return hmac.new(key.encode(), body.encode(), getattr(hashlib, digest)).hexdigest()


class ObjTestCase(TestCase):
    """Each class gets its own account (self.a), made before its first
    test (the runner runs tests one by one, without setUpClass), and may
    add to it in setup_class()."""

    def setUp(self):
        cls = type(self)
        if "_ready" not in cls.__dict__:
            cls._ready = True
            cls.a = Account()
            cls.setup_class()

    @classmethod
    def setup_class(cls):
        pass


def blob_shard(key):
    """The shard directory of a key in the file blob store (FNV-1a)."""
    h = 2166136261
    for ch in key.encode():
        h = ((h ^ ch) * 16777619) & 0xffffffff
    return "%02x" % (h & 0xff)


class PrivateDaemon:
    """A daemon on its own state directory (bootstrap + serve), for tests
    that kill it.  .url, .state, .token (the admin's), .account.  'conf' is
    more of its nubis.conf."""

    def __init__(self, conf=""):
        self.state = tempfile.mkdtemp(prefix="nubis-obj-")
        self.port = lib.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None
        # no data plane: an object test has no business with the host's network
        with open(os.path.join(self.state, "nubis.conf"), "w") as f:
            f.write("[network]\ndataplane_driver = none\n[compute]\nvirt_driver = fake\n"
                    + conf)
        r = subprocess.run([NUBIS_BIN, "bootstrap", "--admin-password", "pw", "--state-dir",
                            self.state, "--listen", "127.0.0.1:%d" % self.port],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr

    def start(self):
        self.log = open(os.path.join(self.state, "daemon.log"), "a")
        self.proc = subprocess.Popen([NUBIS_BIN, "serve", "--state-dir", self.state,
                                      "--listen", "127.0.0.1:%d" % self.port],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                requests.get(self.url + "/object/healthcheck", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        r = requests.post(self.url + "/identity/v3/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": "pw"}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
        self.token = r.headers["X-Subject-Token"]
        pid = r.json()["token"]["project"]["id"]
        self.account = "%s/object/v1/AUTH_%s" % (self.url, pid)
        return self

    def kill(self, sig=9):
        self.proc.send_signal(sig)
        self.proc.wait(20)
        self.log.close()

    def blob_files(self):
        """Committed blob files and temporaries."""
        root = os.path.join(self.state, "blobs")
        done, tmp = [], []
        for d, _, files in os.walk(root):
            (tmp if os.path.basename(d) == "tmp" else done).extend(files)
        return done, tmp

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.kill(15)
        shutil.rmtree(self.state, ignore_errors=True)
