"""Helpers of the compute catalog tests (flavors, keypairs, quotas, server
groups, hosts): requests below /compute/v2.1 with a microversion."""
import lib
from lib import (TestCase, call, new_project, new_user, project_scope,
                 token_for, uniq)

CMP = lib.BASE + "/compute/v2.1"


def c(method, path, body=lib._UNSET, mv=None, **kw):
    """One request below /compute/v2.1 ('path' like "/flavors"); 'mv' the
    microversion ("2.55", "latest") or None for none (2.1)."""
    if mv is not None:
        h = dict(kw.pop("headers", None) or {})
        h["OpenStack-API-Version"] = "compute " + mv
        kw["headers"] = h
    return call(method, CMP + path, json=body, **kw)


def cget(path, **kw):
    return c("GET", path, **kw)


def cpost(path, body, **kw):
    return c("POST", path, body, **kw)


def cput(path, body, **kw):
    return c("PUT", path, body, **kw)


def cdelete(path, **kw):
    return c("DELETE", path, **kw)


def member():
    """A new project with a member user: (project id, user id, token)."""
    p = new_project()
    u = new_user(project=p["id"])
    return p["id"], u["id"], token_for(u, project_scope(p["id"]))


class CmpTestCase(TestCase):
    def assertNova(self, r, status, *words):
        """A Nova error: the status and {"<key>": {"code", "message"}}."""
        self.assertStatus(r, status)
        body = r.body
        self.assertIsInstance(body, dict, "body of %r" % r)
        self.assertEqual(len(body), 1, "one key in %r" % r)
        err = list(body.values())[0]
        self.assertEqual(err.get("code"), status, "code in %r" % r)
        self.assertIsInstance(err.get("message"), str)
        for w in words:
            self.assertIn(w, err["message"], "message of %r" % r)
        return err

    def flavor(self, mv=None, **attrs):
        body = {"name": uniq("flv"), "ram": 512, "vcpus": 1, "disk": 1}
        body.update(attrs)
        r = cpost("/flavors", {"flavor": body}, mv=mv)
        self.assertStatus(r, 200)
        f = r.body["flavor"]
        self.addCleanup(cdelete, "/flavors/" + f["id"])
        return f
