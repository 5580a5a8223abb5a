"""What the compute catalog tests (flavors, keypairs, quotas, server
groups, hosts) add to cmplib: a member of a new project, a flavor that is
deleted after the test."""
from cmplib import CmpTestCase, cdelete, cpost
from lib import new_project, new_user, project_scope, token_for, uniq


def member():
    """A new project with a member user: (project id, user id, token)."""
    p = new_project()
    u = new_user(project=p["id"])
    return p["id"], u["id"], token_for(u, project_scope(p["id"]))


class CatTestCase(CmpTestCase):
    def flavor(self, mv=None, **attrs):
        body = {"name": uniq("flv"), "ram": 512, "vcpus": 1, "disk": 1}
        body.update(attrs)
        r = cpost("/flavors", {"flavor": body}, mv=mv)
        self.assertStatus(r, 200)
        f = r.body["flavor"]
        self.addCleanup(cdelete, "/flavors/" + f["id"])
        return f
