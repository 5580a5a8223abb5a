"""Bad input to the network service: every case gets Neutron's error body
({"NeutronError": {"type", "message", "detail"}}) with the right status,
and nothing changes (the collections are the same before and after)."""
import lib
from lib import call, uniq
from netlib import NET, NetTestCase, member, ndelete, nget, npost, nput


def snapshot():
    """Everything the admin sees, as (collection, id, revision) triples."""
    out = set()
    for coll in ("networks", "subnets", "ports", "security-groups",
                 "security-group-rules", "subnetpools"):
        key = coll.replace("-", "_")
        for x in nget("/" + coll).body[key]:
            out.add((coll, x["id"], x.get("revision_number")))
    return out


class BadInputCase(NetTestCase):
    def setUp(self):
        self.net = self.network()
        self.sn = self.subnet(self.net["id"], "10.90.0.0/24")
        self.sg = self.make("security-groups", "security_group", {"name": uniq()})

    def refused(self, path, body, status, type_=None, method="POST", token=lib._UNSET):
        """'body' to 'path' fails with 'status' (and 'type_') and changes
        nothing."""
        before = snapshot()
        r = call(method, NET + path, json=body, token=token)
        err = self.assertNeutron(r, status, type_)
        self.assertTrue(err["message"], repr(r))
        self.assertEqual(snapshot(), before, "a refused request changed something")
        return err


class TestBadNetworks(BadInputCase):
    def test_bad_network_attributes(self):
        for body, status in [
                ({"name": 5}, 400),
                ({"admin_state_up": "yes"}, 400),
                ({"mtu": 10}, 400),
                ({"mtu": "big"}, 400),
                ({"nonsense": 1}, 400),
                ({"provider:network_type": "vlan"}, 400),
                ({"provider:network_type": "flat"}, 400),       # no physical_network
                ({"provider:network_type": "vxlan",
                  "provider:segmentation_id": 1 << 25}, 400),
                ({"provider:network_type": "local",
                  "provider:segmentation_id": 5}, 400)]:
            self.refused("/networks", {"network": body}, status)

    def test_missing_or_malformed_body(self):
        self.refused("/networks", {"net": {}}, 400)
        before = snapshot()
        r = call("POST", NET + "/networks", data="{not json",
                 headers={"Content-Type": "application/json"})
        self.assertNeutron(r, 400)
        self.assertEqual(snapshot(), before)

    def test_bad_update(self):
        nid = self.net["id"]
        self.refused("/networks/" + nid, {"network": {"admin_state_up": 3}}, 400,
                     method="PUT")
        self.refused("/networks/" + nid, {"network": {"provider:network_type": "flat"}},
                     400, method="PUT")
        self.refused("/networks/" + nid, {"network": {"id": "x"}}, 400, method="PUT")
        self.refused("/networks/nope", {"network": {"name": "x"}}, 404,
                     "NetworkNotFound", method="PUT")


class TestBadSubnets(BadInputCase):
    def sub(self, **attrs):
        body = {"network_id": self.net["id"], "ip_version": 4}
        body.update(attrs)
        return {"subnet": body}

    def test_invalid_cidrs(self):
        for cidr in ("10.0.0.0/33", "banana", "10.0.0.256/24", "10.0.0.0", None, 7,
                     "10.91.0.1/24", "2001:db8::/64", "0.0.0.0/0"):
            self.refused("/subnets", self.sub(cidr=cidr), 400)
        self.refused("/subnets", self.sub(cidr="10.92.0.0/24", ip_version=5), 400)

    def test_overlap_with_another_subnet(self):
        self.refused("/subnets", self.sub(cidr="10.90.0.128/25"), 400, "InvalidInput")
        self.refused("/subnets", self.sub(cidr="10.0.0.0/8"), 400, "InvalidInput")

    def test_pools(self):
        pools = lambda *p: self.sub(cidr="10.93.0.0/24", allocation_pools=[
            {"start": a, "end": b} for a, b in p])
        self.refused("/subnets", pools(("10.93.0.10", "10.93.0.20"),
                                       ("10.93.0.15", "10.93.0.30")),
                     409, "OverlappingAllocationPools")
        self.refused("/subnets", pools(("10.93.0.10", "10.93.1.20")), 400,
                     "OutOfBoundsAllocationPool")
        self.refused("/subnets", pools(("10.93.0.30", "10.93.0.20")), 400,
                     "InvalidAllocationPool")
        self.refused("/subnets", pools(("10.93.0.x", "10.93.0.20")), 400)
        self.refused("/subnets", self.sub(cidr="10.93.0.0/24", allocation_pools="all"),
                     400)

    def test_gateway(self):
        self.refused("/subnets", self.sub(cidr="10.94.0.0/24", gateway_ip="10.94.0.5",
                                          allocation_pools=[{"start": "10.94.0.2",
                                                             "end": "10.94.0.9"}]),
                     409, "GatewayConflictWithAllocationPools")
        self.refused("/subnets", self.sub(cidr="10.94.0.0/24", gateway_ip="nope"), 400)
        self.refused("/subnets", self.sub(cidr="10.94.0.0/24", gateway_ip="10.94.0.0"),
                     400)
        self.refused("/subnets/" + self.sn["id"], {"subnet": {"gateway_ip": "10.90.0.7"}},
                     409, "GatewayConflictWithAllocationPools", method="PUT")

    def test_dns_routes_modes(self):
        self.refused("/subnets", self.sub(cidr="10.95.0.0/24", dns_nameservers=["x"]), 400)
        self.refused("/subnets", self.sub(cidr="10.95.0.0/24",
                                          dns_nameservers=["1.1.1.1", "1.1.1.1"]), 400)
        self.refused("/subnets", self.sub(cidr="10.95.0.0/24", host_routes=[
            {"destination": "bad", "nexthop": "10.95.0.1"}]), 400)
        self.refused("/subnets", self.sub(cidr="10.95.0.0/24", enable_dhcp="maybe"), 400)
        self.refused("/subnets", self.sub(cidr="2001:db8:5::/64", ip_version=6,
                                          ipv6_address_mode="magic"), 400)

    def test_read_only_and_references(self):
        self.refused("/subnets/" + self.sn["id"], {"subnet": {"cidr": "10.96.0.0/24"}},
                     400, method="PUT")
        self.refused("/subnets", {"subnet": {"network_id": "nope", "ip_version": 4,
                                             "cidr": "10.97.0.0/24"}},
                     404, "NetworkNotFound")
        _, tok = member()
        self.refused("/subnets", self.sub(cidr="10.98.0.0/24"), 404, "NetworkNotFound",
                     token=tok)


class TestBadPorts(BadInputCase):
    def port_body(self, **attrs):
        body = {"network_id": self.net["id"]}
        body.update(attrs)
        return {"port": body}

    def test_bad_macs(self):
        for mac in ("zz:16:3e:00:00:01", "fa:16:3e:00:00", "01:00:5e:00:00:01",
                    "00:00:00:00:00:00", 12, "fa-16-3e-00-00-01"):
            self.refused("/ports", self.port_body(mac_address=mac), 400)

    def test_bad_fixed_ips(self):
        self.refused("/ports", self.port_body(fixed_ips=[{"ip_address": "nope"}]), 400)
        self.refused("/ports", self.port_body(fixed_ips=[{"ip_address": "10.99.0.5"}]),
                     400, "InvalidIpForNetwork")
        self.refused("/ports", self.port_body(fixed_ips=[
            {"subnet_id": self.sn["id"], "ip_address": "10.99.0.5"}]), 400,
            "InvalidIpForSubnet")
        self.refused("/ports", self.port_body(fixed_ips=[
            {"subnet_id": self.sn["id"], "ip_address": "10.90.0.255"}]), 400,
            "InvalidIpForSubnet")
        other = self.network()
        osn = self.subnet(other["id"], "10.89.0.0/24")
        self.refused("/ports", self.port_body(fixed_ips=[{"subnet_id": osn["id"]}]), 400)
        self.refused("/ports", self.port_body(fixed_ips="10.90.0.5"), 400)
        self.refused("/ports", self.port_body(fixed_ips=[{}]), 400)
        self.refused("/ports", self.port_body(fixed_ips=[{"ip_address": "10.90.0.1"}]),
                     409, "IpAddressAlreadyAllocated")          # the gateway

    def test_exhausted_subnet(self):
        net = self.network()
        self.subnet(net["id"], "10.88.0.0/29")      # .2-.6; .2 is DHCP's
        for _ in range(4):
            self.port(net["id"])
        self.refused("/ports", {"port": {"network_id": net["id"]}}, 409,
                     "IpAddressGenerationFailure")

    def test_foreign_references(self):
        proj, tok = member()
        self.refused("/ports", self.port_body(), 404, "NetworkNotFound", token=tok)
        net = self.network(token=tok)
        self.subnet(net["id"], "10.87.0.0/24", token=tok)
        self.refused("/ports", {"port": {"network_id": net["id"],
                                         "security_groups": [self.sg["id"]]}},
                     404, "SecurityGroupNotFound", token=tok)
        self.refused("/ports", self.port_body(security_groups=["nope"]), 404,
                     "SecurityGroupNotFound")
        self.refused("/ports", self.port_body(network_id="nope"), 404, "NetworkNotFound")

    def test_security_attributes(self):
        self.refused("/ports", self.port_body(port_security_enabled=False,
                                              security_groups=[self.sg["id"]]), 400)
        self.refused("/ports", self.port_body(allowed_address_pairs=[
            {"ip_address": "x"}]), 400)
        self.refused("/ports", self.port_body(allowed_address_pairs=[
            {"ip_address": "10.0.0.1"}, {"ip_address": "10.0.0.1"}]), 400)
        self.refused("/ports", self.port_body(port_security_enabled=False,
                                              security_groups=[],
                                              allowed_address_pairs=[
                                                  {"ip_address": "10.0.0.1"}]), 409)


class TestBadRules(BadInputCase):
    def rule(self, **attrs):
        body = {"security_group_id": self.sg["id"], "direction": "ingress"}
        body.update(attrs)
        return {"security_group_rule": body}

    def test_protocols_and_ranges(self):
        R = "/security-group-rules"
        self.refused(R, self.rule(protocol="bogus"), 400,
                     "SecurityGroupRuleInvalidProtocol")
        self.refused(R, self.rule(protocol=256), 400, "SecurityGroupRuleInvalidProtocol")
        self.refused(R, self.rule(protocol="icmp", port_range_min=256), 400,
                     "SecurityGroupInvalidIcmpValue")
        self.refused(R, self.rule(protocol="icmp", port_range_min=8,
                                  port_range_max=300), 400, "SecurityGroupInvalidIcmpValue")
        self.refused(R, self.rule(protocol="icmp", port_range_max=0), 400)
        self.refused(R, self.rule(protocol="gre", port_range_min=1, port_range_max=2), 400)
        self.refused(R, self.rule(protocol="tcp", port_range_min=80, port_range_max=22),
                     400, "SecurityGroupInvalidPortRange")
        self.refused(R, self.rule(protocol="tcp", port_range_min=0, port_range_max=70000),
                     400, "SecurityGroupInvalidPortValue")
        self.refused(R, self.rule(protocol="tcp", port_range_max=6), 400,
                     "SecurityGroupInvalidPortRange")
        self.refused(R, self.rule(protocol="tcp", port_range_min="a"), 400)

    def test_remotes_and_enums(self):
        R = "/security-group-rules"
        self.refused(R, self.rule(remote_ip_prefix="10.0.0.0/8",
                                  remote_group_id=self.sg["id"]), 400,
                     "SecurityGroupRemoteGroupAndRemoteIpPrefix")
        self.refused(R, self.rule(ethertype="IPv6", remote_ip_prefix="10.0.0.0/8"), 400)
        self.refused(R, self.rule(remote_ip_prefix="10.0.0.0/99"), 400)
        self.refused(R, self.rule(direction="sideways"), 400)
        self.refused(R, self.rule(ethertype="IPv5"), 400)
        self.refused(R, self.rule(remote_group_id="nope"), 404, "SecurityGroupNotFound")
        self.refused(R, self.rule(security_group_id="nope"), 404, "SecurityGroupNotFound")
        _, tok = member()
        self.refused(R, self.rule(), 404, "SecurityGroupNotFound", token=tok)
        self.refused(R, {"security_group_rule": {"direction": "ingress"}}, 400)

    def test_bad_groups(self):
        self.refused("/security-groups", {"security_group": {"name": 3}}, 400)
        self.refused("/security-groups", {"security_group": {"name": "default"}}, 409)
        self.refused("/security-groups", {"security_group": {"bogus": 3}}, 400)
        default = [g for g in nget("/security-groups").body["security_groups"]
                   if g["name"] == "default" and
                   g["project_id"] == lib.admin_info()["project"]["id"]][0]
        self.refused("/security-groups/" + default["id"],
                     {"security_group": {"name": "x"}}, 409,
                     "SecurityGroupCannotUpdateDefault", method="PUT")
        self.refused("/security-groups/" + self.sg["id"],
                     {"security_group": {"name": "default"}}, 409,
                     "SecurityGroupDefaultAlreadyExists", method="PUT")


class TestBadQuotasAndLists(BadInputCase):
    def test_quota_values(self):
        proj, _ = member()
        for body in ({"quota": {"network": "many"}}, {"quota": {"router": 5}},
                     {"quota": {"network": -5}}, {"quota": 5}):
            self.refused("/quotas/" + proj, body, 400, method="PUT")
        self.assertEqual(nget("/quotas/" + proj).body["quota"]["network"], 100)

    def test_list_parameters(self):
        self.assertNeutron(nget("/networks", params={"limit": "x"}), 400)
        self.assertNeutron(nget("/networks", params={"limit": "-1"}), 400)
        self.assertNeutron(nget("/networks", params={"sort_key": ["name", "id"],
                                                     "sort_dir": "asc"}), 400)
