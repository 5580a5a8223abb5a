"""Helpers shared by the compute (Nova v2.1) API tests: requests below
/compute/v2.1 with a microversion, and Nova's error body check. Each area's
test file adds what only it needs in its own file."""
import lib
from lib import TestCase, call

CMP = lib.BASE + "/compute/v2.1"


def c(method, path, body=lib._UNSET, mv=None, headers=None, **kw):
    """One request below /compute/v2.1 ('path' like "/servers"); 'mv' is a
    microversion ("2.79", "latest") sent as OpenStack-API-Version."""
    h = dict(headers or {})
    if mv:
        h["OpenStack-API-Version"] = "compute " + mv
    return call(method, CMP + path, json=body, headers=h, **kw)


def cget(path, **kw):
    return c("GET", path, **kw)


def cpost(path, body, **kw):
    return c("POST", path, body, **kw)


def cput(path, body, **kw):
    return c("PUT", path, body, **kw)


def cdelete(path, **kw):
    return c("DELETE", path, **kw)


NOVA_ERROR_KEYS = {400: "badRequest", 401: "unauthorized", 403: "forbidden",
                   404: "itemNotFound", 405: "badMethod", 409: "conflictingRequest",
                   413: "overLimit"}


class CmpTestCase(TestCase):
    def assertNova(self, r, status, *words):
        """Status and Nova's error body {"<key>": {"code", "message"}}; the
        message contains every word of 'words'."""
        self.assertStatus(r, status)
        body = r.body
        self.assertIsInstance(body, dict, r)
        key = NOVA_ERROR_KEYS.get(status, "computeFault")
        self.assertIn(key, body, r)
        self.assertEqual(body[key]["code"], status, r)
        for w in words:
            self.assertIn(w, body[key]["message"], r)
