"""Compute catalog with servers: quotas enforced by creates, server group
membership and its quota, usage, hypervisor counts."""
import time

from cmplib import cget, cpost, cput, cdelete
from lib import uniq
from srvlib import ServerTestCase


class TestCatalogWithServers(ServerTestCase):
    def test_instances_quota_and_usage_views(self):
        cput("/os-quota-sets/" + self.project, {"quota_set": {"instances": 1}})
        self.addCleanup(cdelete, "/os-quota-sets/" + self.project)
        s = self.create()
        r = cpost("/servers", self.body(), token=self.token)
        self.assertNova(r, 403, "Quota exceeded for instances: Requested 1, but already"
                                " used 1 of 1 instances")
        a = cget("/limits", token=self.token).body["limits"]["absolute"]
        self.assertEqual((a["totalInstancesUsed"], a["totalCoresUsed"], a["totalRAMUsed"]),
                         (1, self.flavor["vcpus"], self.flavor["ram"]))
        d = cget("/os-quota-sets/%s/detail" % self.project).body["quota_set"]
        self.assertEqual(d["instances"], {"limit": 1, "in_use": 1, "reserved": 0})
        # a limit below what is used needs force
        self.assertNova(cput("/os-quota-sets/" + self.project,
                             {"quota_set": {"instances": 0}}), 400)
        time.sleep(0.05)
        r = cget("/os-simple-tenant-usage/" + self.project, token=self.token,
                 params={"start": "2020-01-01T00:00:00"})
        u = r.body["tenant_usage"]
        self.assertEqual([x["instance_id"] for x in u["server_usages"]], [s["id"]])
        su = u["server_usages"][0]
        self.assertEqual((su["flavor"], su["vcpus"], su["state"], su["ended_at"]),
                         (self.flavor["name"], 1, "active", None))
        self.assertGreater(su["hours"], 0)
        self.assertGreater(u["total_vcpus_usage"], 0)
        r = cget("/os-simple-tenant-usage", params={"detailed": "1",
                                                     "start": "2020-01-01T00:00:00"})
        self.assertIn(self.project, [t["tenant_id"] for t in r.body["tenant_usages"]])
        h = cget("/os-hypervisors/detail", params={"with_servers": "true"}, mv="2.53")
        servers = [x["uuid"] for hv in h.body["hypervisors"] for x in hv.get("servers", [])]
        self.assertIn(s["id"], servers)
        self.assertGreaterEqual(sum(hv["running_vms"] for hv in h.body["hypervisors"]), 1)
        # a compute service hosting servers is not deleted
        svc = [x for x in cget("/os-services", mv="2.53").body["services"]
               if x["binary"] == "nova-compute"][0]
        self.assertNova(cdelete("/os-services/" + svc["id"], mv="2.53"), 409)

    def test_server_group_members_and_quota(self):
        r = cpost("/os-server-groups", {"server_group": {"name": uniq("g"),
                                                         "policies": ["anti-affinity"]}},
                  token=self.token)
        gid = r.body["server_group"]["id"]
        self.addCleanup(cdelete, "/os-server-groups/" + gid, token=self.token)
        cput("/os-quota-sets/" + self.project, {"quota_set": {"server_group_members": 1}})
        self.addCleanup(cdelete, "/os-quota-sets/" + self.project)
        r = cpost("/servers", dict(self.body(), **{"os:scheduler_hints": {"group": gid}}),
                  token=self.token)
        self.assertStatus(r, 202)
        sid = r.body["server"]["id"]
        self.addCleanup(self.delete_wait, sid)
        self.wait(sid, "ACTIVE")
        g = cget("/os-server-groups/" + gid, token=self.token).body["server_group"]
        self.assertEqual(g["members"], [sid])
        r = cpost("/servers", dict(self.body(), **{"os:scheduler_hints": {"group": gid}}),
                  token=self.token)
        self.assertNova(r, 403, "Quota exceeded, too many servers in group")
        self.delete_wait(sid)
        g = cget("/os-server-groups/" + gid, token=self.token).body["server_group"]
        self.assertEqual(g["members"], [])
