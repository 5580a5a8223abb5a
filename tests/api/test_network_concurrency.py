"""IPAM under concurrency, on both database backends: 300 port creates at
once on a /24 (253 addresses in the pool, one taken by the DHCP port):
every address is handed out once, the creates beyond the pool get a
clean 409 IpAddressGenerationFailure, and nothing else happens (no 500)."""
import collections

import test_zz_concurrency as zz
from lib import new_project
from netlib import NetTestCase, ndelete, nget, npost, nput


class TestNetworkConcurrency(NetTestCase):
    # the identity suite's helper: n threads at once, every result kept
    parallel = zz.TestConcurrency.parallel

    def test_300_parallel_port_creates_on_a_24(self):
        proj = new_project()["id"]
        net = self.network(project_id=proj)
        sn = self.subnet(net["id"], "10.123.0.0/24", project_id=proj)
        body = {"port": {"network_id": net["id"], "project_id": proj}}
        rs = self.parallel(lambda i: npost("/ports", body), 300)
        codes = collections.Counter(r.status for r in rs)
        self.assertEqual(set(codes), {201, 409}, [repr(r) for r in rs
                                                  if r.status not in (201, 409)][:3])
        self.assertEqual(codes[201], 252, codes)
        for r in rs:
            if r.status == 409:
                self.assertNeutron(r, 409, "IpAddressGenerationFailure")
        ips = [r.body["port"]["fixed_ips"][0]["ip_address"] for r in rs if r.status == 201]
        self.assertEqual(len(set(ips)), 252)
        ports = nget("/ports", params={"network_id": net["id"]}).body["ports"]
        all_ips = [p["fixed_ips"][0]["ip_address"] for p in ports]
        self.assertEqual(len(all_ips), 253)
        self.assertEqual(len(set(all_ips)), 253)
        self.assertNotIn("10.123.0.1", all_ips)
        avail = nget("/network-ip-availabilities/" + net["id"]).body
        self.assertEqual(avail["network_ip_availability"]["used_ips"], 253)
        # releasing makes room again
        victim = [r for r in rs if r.status == 201][0].body["port"]
        self.assertEqual(ndelete("/ports/" + victim["id"]).status, 204)
        again = npost("/ports", body)
        self.assertEqual(again.status, 201, repr(again))
        self.assertEqual(again.body["port"]["fixed_ips"][0]["ip_address"],
                         victim["fixed_ips"][0]["ip_address"])
        dels = self.parallel(lambda i: ndelete("/ports/" + ports[i]["id"]), len(ports))
        self.assertEqual({r.status for r in dels} - {204, 404}, set())
        ndelete("/ports/" + again.body["port"]["id"])
        self.assertEqual(sn["cidr"], "10.123.0.0/24")

    def test_parallel_creates_never_pass_the_quota(self):
        proj = new_project()["id"]
        self.assertEqual(nput("/quotas/" + proj, {"quota": {"port": 10}}).status, 200)
        net = self.network(project_id=proj)
        self.subnet(net["id"], "10.124.0.0/24", project_id=proj, enable_dhcp=False)
        body = {"port": {"network_id": net["id"], "project_id": proj}}
        rs = self.parallel(lambda i: npost("/ports", body), 30)
        codes = collections.Counter(r.status for r in rs)
        self.assertEqual(codes, {201: 10, 409: 20}, [repr(r) for r in rs
                                                     if r.status not in (201, 409)][:3])
        for r in rs:
            if r.status == 409:
                self.assertNeutron(r, 409, "OverQuota")
        ports = nget("/ports", params={"network_id": net["id"]}).body["ports"]
        self.assertEqual(len(ports), 10)
        for p in ports:
            ndelete("/ports/" + p["id"])
        ndelete("/quotas/" + proj)
