"""Helpers shared by the network (Neutron v2.0) API tests."""
import lib
from lib import (TestCase, call, new_project, new_user, project_scope,
                 token_for, uniq)

NET = lib.BASE + "/network/v2.0"


def n(method, path, body=lib._UNSET, **kw):
    """One request below /network/v2.0 ('path' like "/networks")."""
    return call(method, NET + path, json=body, **kw)


def nget(path, **kw):
    return n("GET", path, **kw)


def npost(path, body, **kw):
    return n("POST", path, body, **kw)


def nput(path, body, **kw):
    return n("PUT", path, body, **kw)


def ndelete(path, **kw):
    return n("DELETE", path, **kw)


def member():
    """A new project with a member user: (project id, token)."""
    p = new_project()
    u = new_user(project=p["id"])
    return p["id"], token_for(u, project_scope(p["id"]))


class NetTestCase(TestCase):
    def make(self, coll, kind, body, token=lib._UNSET, cleanup=True):
        r = npost("/" + coll, {kind: body}, token=token)
        self.assertStatus(r, 201)
        obj = r.body[kind]
        if cleanup:
            self.addCleanup(ndelete, "/%s/%s" % (coll, obj["id"]))
        return obj

    def network(self, token=lib._UNSET, **attrs):
        body = {"name": uniq("net")}
        body.update(attrs)
        return self.make("networks", "network", body, token)

    def subnet(self, net_id, cidr, token=lib._UNSET, **attrs):
        body = {"network_id": net_id, "cidr": cidr,
                "ip_version": 6 if ":" in cidr else 4}
        body.update(attrs)
        return self.make("subnets", "subnet", body, token)

    def port(self, net_id, token=lib._UNSET, **attrs):
        body = {"network_id": net_id}
        body.update(attrs)
        return self.make("ports", "port", body, token)

    def assertNeutron(self, r, status, type_=None):
        """A NeutronError body with 'status' (and 'type_' when given)."""
        self.assertEqual(r.status, status, repr(r))
        err = (r.body or {}).get("NeutronError")
        self.assertIsInstance(err, dict, repr(r))
        self.assertEqual(set(err), {"type", "message", "detail"}, repr(r))
        if type_:
            self.assertEqual(err["type"], type_, repr(r))
        return err
