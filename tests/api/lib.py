"""Helpers shared by the identity API tests.

The daemon under test is started by tests/api/run.sh, which passes:
  NUBIS_URL             http://127.0.0.1:PORT (no trailing slash)
  NUBIS_ADMIN_PASSWORD  the password given to `nubis bootstrap`
  NUBIS_BIN             the nubis executable (for `token-rotate`)
  NUBIS_STATE_DIR       the daemon's state directory

Every request goes through call(), which records (method, path) for the
route coverage check and the X-Openstack-Request-Id of every response.
Tests create uniquely named entities (uniq()) so they do not depend on
each other or on the order they run in.
"""
import json as _json
import os
import re
import threading
import time
import unittest
import uuid

import requests

BASE = os.environ.get("NUBIS_URL", "http://127.0.0.1:5000").rstrip("/")
IDENTITY = BASE + "/identity"
V3 = IDENTITY + "/v3"
ADMIN_PASSWORD = os.environ.get("NUBIS_ADMIN_PASSWORD", "")
NUBIS_BIN = os.environ.get("NUBIS_BIN", "build/nubis")
STATE_DIR = os.environ.get("NUBIS_STATE_DIR", "")

REQ_ID_RE = re.compile(
    r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# (method, path below /identity) of every request sent
SEEN = []
# responses that came back without a well-formed request id
BAD_REQUEST_IDS = []

_local = threading.local()
_UNSET = object()


def _session():
    """A keep-alive session per thread (requests sessions are not meant
    to be shared between threads)."""
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def uniq(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


class Resp:
    """A response, with what the assertions need to explain a failure."""

    def __init__(self, method, url, r, req_body):
        self.method = method
        self.url = url
        self.status = r.status_code
        self.headers = r.headers
        self.text = r.text
        self.req_body = req_body
        try:
            self.body = r.json() if r.content else None
        except ValueError:
            self.body = None

    def json(self):
        return self.body

    def __repr__(self):
        req = ""
        if self.req_body is not None:
            req = " with body %s" % str(self.req_body)[:300]
        return "%s %s%s -> %d %s" % (self.method, self.url, req, self.status,
                                     self.text[:600])


def call(method, path, token=_UNSET, json=_UNSET, data=None, headers=None,
         params=None):
    """Sends one request to the identity service.

    'path' is below /identity/v3 ("/users") unless it starts with
    "/identity" or "http".  'token' defaults to the admin token; None
    sends no X-Auth-Token.  'json' is serialised; 'data' is sent raw.
    """
    if path.startswith("http"):
        url = path
    elif path.startswith("/identity"):
        url = BASE + path
    else:
        url = V3 + path
    h = {}
    if token is _UNSET:
        token = admin_token()
    if token is not None:
        h["X-Auth-Token"] = token
    req_body = None
    if json is not _UNSET:
        data = _json.dumps(json)
        req_body = data
        h["Content-Type"] = "application/json"
    elif data is not None:
        req_body = data
    if headers:
        h.update(headers)
    r = _session().request(method, url, data=data, headers=h, params=params,
                         timeout=30)
    rel = url[len(IDENTITY):] if url.startswith(IDENTITY) else url
    SEEN.append((method, rel.split("?")[0]))
    rid = r.headers.get("X-Openstack-Request-Id")
    if not rid or not REQ_ID_RE.match(rid):
        BAD_REQUEST_IDS.append("%s %s -> %d: %r" % (method, rel, r.status_code,
                                                     rid))
    return Resp(method, url, r, req_body)


def get(path, **kw):
    return call("GET", path, **kw)


def post(path, body=_UNSET, **kw):
    return call("POST", path, json=body, **kw)


def put(path, body=_UNSET, **kw):
    return call("PUT", path, json=body, **kw)


def patch(path, body=_UNSET, **kw):
    return call("PATCH", path, json=body, **kw)


def delete(path, **kw):
    return call("DELETE", path, **kw)


def head(path, **kw):
    return call("HEAD", path, **kw)


# ---------------------------------------------------------------- tokens

def password_auth(user_ref, password, scope=None):
    """The body of POST /v3/auth/tokens for the password method."""
    user = dict(user_ref)
    user["password"] = password
    auth = {"identity": {"methods": ["password"],
                         "password": {"user": user}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def issue(user_ref, password, scope=None, params=None):
    """POST /v3/auth/tokens; returns the response (token in .token)."""
    r = call("POST", "/auth/tokens", token=None,
             json=password_auth(user_ref, password, scope), params=params)
    r.token = r.headers.get("X-Subject-Token")
    return r


def token_for(user, scope=None):
    """A token string for a user dict made by new_user() (id + password);
    scope is a scope object, "unscoped" or None (default scoping)."""
    r = issue({"id": user["id"]}, user["password"], scope)
    if r.status != 201:
        raise AssertionError("cannot get a token: %r" % r)
    return r.token


def project_scope(project_id):
    return {"project": {"id": project_id}}


def domain_scope(domain_id):
    return {"domain": {"id": domain_id}}


SYSTEM_SCOPE = {"system": {"all": True}}

_cache = {}


def admin_token():
    """A project-scoped token of the bootstrap admin (cached)."""
    if "admin_token" not in _cache:
        r = issue({"name": "admin", "domain": {"id": "default"}}, ADMIN_PASSWORD,
                  {"project": {"name": "admin", "domain": {"id": "default"}}})
        if r.status != 201:
            raise AssertionError("cannot get the admin token: %r" % r)
        _cache["admin_token"] = r.token
        _cache["admin_body"] = r.body["token"]
    return _cache["admin_token"]


def admin_info():
    """The body of the admin token: user, project, roles."""
    admin_token()
    return _cache["admin_body"]


def role_id(name):
    """The id of a global role by name (admin, member, reader)."""
    key = "role:" + name
    if key not in _cache:
        r = call("GET", "/roles", params={"name": name})
        ids = [x["id"] for x in r.body["roles"] if x.get("domain_id") is None]
        if len(ids) != 1:
            raise AssertionError("role %s not found: %r" % (name, r))
        _cache[key] = ids[0]
    return _cache[key]


# ---------------------------------------------------------------- entities

def new_domain(**attrs):
    body = {"name": uniq("dom")}
    body.update(attrs)
    r = call("POST", "/domains", json={"domain": body})
    if r.status != 201:
        raise AssertionError("cannot create domain: %r" % r)
    return r.body["domain"]


def new_project(**attrs):
    body = {"name": uniq("proj"), "domain_id": "default"}
    body.update(attrs)
    r = call("POST", "/projects", json={"project": body})
    if r.status != 201:
        raise AssertionError("cannot create project: %r" % r)
    return r.body["project"]


def new_user(password=_UNSET, project=None, role="member", **attrs):
    """Creates a user (with a password unless password=None) and, given a
    project id, grants it 'role' there.  The dict returned carries the
    password under "password"."""
    if password is _UNSET:
        password = uniq("pw")
    body = {"name": uniq("user"), "domain_id": "default"}
    if password is not None:
        body["password"] = password
    body.update(attrs)
    r = call("POST", "/users", json={"user": body})
    if r.status != 201:
        raise AssertionError("cannot create user: %r" % r)
    user = r.body["user"]
    user["password"] = password
    if project:
        grant_project(project, user["id"], role_id(role))
    return user


def new_group(**attrs):
    body = {"name": uniq("grp"), "domain_id": "default"}
    body.update(attrs)
    r = call("POST", "/groups", json={"group": body})
    if r.status != 201:
        raise AssertionError("cannot create group: %r" % r)
    return r.body["group"]


def new_role(**attrs):
    body = {"name": uniq("role")}
    body.update(attrs)
    r = call("POST", "/roles", json={"role": body})
    if r.status != 201:
        raise AssertionError("cannot create role: %r" % r)
    return r.body["role"]


def new_service(**attrs):
    body = {"type": uniq("svc"), "name": uniq("svcname")}
    body.update(attrs)
    r = call("POST", "/services", json={"service": body})
    if r.status != 201:
        raise AssertionError("cannot create service: %r" % r)
    return r.body["service"]


def new_endpoint(service_id, **attrs):
    body = {"service_id": service_id, "interface": "public",
            "url": "http://%s.example.com:1234/v1" % uniq("ep"),
            "region_id": "RegionOne"}
    body.update(attrs)
    r = call("POST", "/endpoints", json={"endpoint": body})
    if r.status != 201:
        raise AssertionError("cannot create endpoint: %r" % r)
    return r.body["endpoint"]


def grant_project(project_id, user_id, role):
    r = call("PUT", "/projects/%s/users/%s/roles/%s" % (project_id, user_id, role))
    if r.status != 204:
        raise AssertionError("cannot grant: %r" % r)


def grant_domain(domain_id, user_id, role):
    r = call("PUT", "/domains/%s/users/%s/roles/%s" % (domain_id, user_id, role))
    if r.status != 204:
        raise AssertionError("cannot grant: %r" % r)


def member_context():
    """A shared non-admin: a user with the member role on its own project
    (cached for the run; tests must not change it)."""
    if "member" not in _cache:
        proj = new_project()
        user = new_user(project=proj["id"], role="member")
        _cache["member"] = {"user": user, "project": proj,
                            "token": token_for(user, project_scope(proj["id"]))}
    return _cache["member"]


def wait_until(fn, timeout=3.0, interval=0.1):
    """Polls fn() until it returns a true value or timeout passes; returns
    the last value."""
    end = time.monotonic() + timeout
    v = fn()
    while not v and time.monotonic() < end:
        time.sleep(interval)
        v = fn()
    return v


# ---------------------------------------------------------------- assertions

class TestCase(unittest.TestCase):
    maxDiff = 4000

    def assertStatus(self, r, status, msg=None):
        if r.status != status:
            self.fail("expected %d, got %r%s" % (status, r,
                                                 " (%s)" % msg if msg else ""))

    def assertError(self, r, status, *words):
        """A Keystone error: the status and {"error": {"code", "title",
        "message"}} whose message contains each of 'words'."""
        self.assertStatus(r, status)
        body = r.body
        if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
            self.fail("no Keystone error body in %r" % r)
        err = body["error"]
        self.assertEqual(err.get("code"), status, "error.code in %r" % r)
        self.assertIsInstance(err.get("title"), str, "error.title in %r" % r)
        self.assertTrue(err.get("title"), "empty error.title in %r" % r)
        self.assertIsInstance(err.get("message"), str, "error.message in %r" % r)
        self.assertTrue(err.get("message"), "empty error.message in %r" % r)
        for w in words:
            self.assertIn(w, err["message"], "message of %r" % r)
        return err

    def assertGone(self, path, token=_UNSET):
        r = call("GET", path, token=token)
        self.assertError(r, 404)

    def assertExists(self, path, token=_UNSET):
        r = call("GET", path, token=token)
        self.assertStatus(r, 200)
        return r.body

    def assertTokenValid(self, tok):
        """The token still stands: as X-Auth-Token and as a subject."""
        r = call("GET", "/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertStatus(r, 200, "token should still validate")

    def assertTokenInvalid(self, tok):
        """The token no longer stands: 404 as a subject (Keystone
        TokenNotFound), 401 when presented as X-Auth-Token."""
        r = call("GET", "/auth/tokens", headers={"X-Subject-Token": tok})
        self.assertError(r, 404)
        r = call("GET", "/auth/projects", token=tok)
        self.assertError(r, 401)

    def assertIdIn(self, ident, items, msg=None):
        self.assertIn(ident, [x["id"] for x in items], msg)

    def assertIdNotIn(self, ident, items, msg=None):
        self.assertNotIn(ident, [x["id"] for x in items], msg)


# ---------------------------------------------------------------- side daemons

def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SideDaemon:
    """A second daemon on the same state (database and keys), started with
    extra configuration, e.g. a short token lifetime.  Use as a context
    manager; .url is its base URL (pass .url + "/identity/v3/..." paths to
    call())."""

    def __init__(self, conf_text):
        self.conf_text = conf_text
        self.proc = None

    def __enter__(self):
        import subprocess
        if not STATE_DIR:
            raise AssertionError("NUBIS_STATE_DIR is not set")
        name = uniq("side")
        conf = os.path.join(STATE_DIR, name + ".conf")
        with open(conf, "w") as f:
            f.write(self.conf_text)
        self.log = open(os.path.join(STATE_DIR, name + ".log"), "w")
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        self.proc = subprocess.Popen(
            [NUBIS_BIN, "serve", "--state-dir", STATE_DIR, "--listen",
             "127.0.0.1:%d" % port, "--config", conf],
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError("the side daemon exited: see %s" % self.log.name)
            try:
                requests.get(self.url + "/identity/v3", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("the side daemon did not start")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
        self.log.close()
        return False


def run_nubis(*args):
    """Runs the nubis executable on the daemon's state directory."""
    import subprocess
    return subprocess.run([NUBIS_BIN] + list(args) + ["--state-dir", STATE_DIR],
                          capture_output=True, text=True, timeout=60)


def forget_cached_tokens():
    """Makes admin_token() and member_context() issue fresh tokens."""
    _cache.pop("admin_token", None)
    _cache.pop("admin_body", None)
    m = _cache.get("member")
    if m:
        m["token"] = token_for(m["user"], project_scope(m["project"]["id"]))
