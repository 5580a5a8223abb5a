"""Helpers of the servers tests (tests/api/test_compute_servers*.py): a
flavor, an active image, a network with a subnet, a member project, and
servers created and waited for."""
import time

import imagelib
import lib
from cmplib import CmpTestCase, cdelete, cget, cpost
from lib import new_project, new_user, project_scope, token_for, uniq
from netlib import ndelete, npost

_shared = {}


def member():
    """A new project with a member user: (project id, user id, token)."""
    p = new_project()
    u = new_user(project=p["id"])
    return p["id"], u["id"], token_for(u, project_scope(p["id"]))


def flavor(**attrs):
    body = {"name": uniq("flv"), "ram": 64, "vcpus": 1, "disk": 1}
    body.update(attrs)
    r = cpost("/flavors", {"flavor": body})
    if r.status != 200:
        raise AssertionError("cannot create a flavor: %r" % r)
    return r.body["flavor"]


def shared_flavor():
    if "flavor" not in _shared:
        _shared["flavor"] = flavor()
    return _shared["flavor"]


def shared_image():
    """A public active image every project may boot."""
    if "image" not in _shared:
        _shared["image"] = imagelib.new_active_image(visibility="public")
    return _shared["image"]


def network(token=lib._UNSET, cidr="10.77.0.0/24", **attrs):
    """A network with one subnet (made with 'token'): the network."""
    body = {"name": uniq("net")}
    body.update(attrs)
    r = npost("/networks", {"network": body}, token=token)
    if r.status != 201:
        raise AssertionError("cannot create a network: %r" % r)
    net = r.body["network"]
    r = npost("/subnets", {"subnet": {"network_id": net["id"], "cidr": cidr,
                                      "ip_version": 4}}, token=token)
    if r.status != 201:
        raise AssertionError("cannot create a subnet: %r" % r)
    return net


class ServerTestCase(CmpTestCase):
    """Each test class gets a member project with its own network (made by
    its first test: the runner runs tests one by one, without class
    fixtures)."""

    def setUp(self):
        cls = type(self)
        if "token" not in cls.__dict__:
            cls.project, cls.user, cls.token = member()
            cls.net = network(token=cls.token)
            cls.flavor = shared_flavor()
            cls.image = shared_image()
            self.setup_class()

    def setup_class(self):
        """What a class makes once, after the project (override)."""

    def body(self, **attrs):
        s = {"name": uniq("srv"), "flavorRef": self.flavor["id"],
             "imageRef": self.image["id"], "networks": [{"uuid": self.net["id"]}]}
        s.update(attrs)
        return {"server": s}

    def create(self, token=None, mv=None, wait="ACTIVE", **attrs):
        """Creates a server (the class's member by default), waits for
        'wait' (None: no wait); deleted after the test.  The server as shown."""
        tok = token or self.token
        r = cpost("/servers", self.body(**attrs), token=tok, mv=mv)
        self.assertStatus(r, 202)
        sid = r.body["server"]["id"]
        self.addCleanup(self.delete_wait, sid, tok)
        if wait:
            return self.wait(sid, wait, tok)
        return r.body["server"]

    def wait(self, sid, status, token=None, mv=None, timeout=15):
        tok = token or self.token
        end = time.time() + timeout
        while True:
            r = cget("/servers/" + sid, token=tok, mv=mv)
            if r.status == 200 and r.body["server"]["status"] == status:
                return r.body["server"]
            if time.time() > end:
                raise AssertionError("server %s not %s: %r" % (sid, status, r))
            time.sleep(0.05)

    def delete_wait(self, sid, token=None, timeout=30):
        tok = token or self.token
        cdelete("/servers/" + sid, token=tok)
        end = time.time() + timeout
        while cget("/servers/" + sid, token=tok).status != 404:
            if time.time() > end:
                raise AssertionError("server %s not deleted" % sid)
            time.sleep(0.05)

    def count(self, token=None):
        """The caller's live servers."""
        r = cget("/servers", token=token or self.token)
        self.assertStatus(r, 200)
        return len(r.body["servers"])


def cleanup_network(net_id, token=lib._UNSET):
    ndelete("/networks/" + net_id, token=token)
