"""The network service (Neutron v2.0): discovery, extensions, the catalog,
CRUD of networks, subnets, subnet pools, ports, security groups and rules,
quotas, IP availability, tags, and the list semantics (filters, fields,
sorting, pagination) shared by every collection."""
import lib
from lib import call, get, uniq
from netlib import NET, NetTestCase, member, ndelete, nget, npost, nput, n


class TestDiscovery(NetTestCase):
    def test_versions_and_v2(self):
        r = call("GET", lib.BASE + "/network/", token=None)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["versions"][0]["id"], "v2.0")
        self.assertEqual(r.body["versions"][0]["status"], "CURRENT")
        r = call("GET", lib.BASE + "/network/v2.0", token=None)
        self.assertStatus(r, 200)
        names = {x["collection"] for x in r.body["resources"]}
        self.assertIn("networks", names)
        self.assertIn("ports", names)

    def test_extensions_list_what_is_built(self):
        r = nget("/extensions")
        self.assertStatus(r, 200)
        aliases = {e["alias"] for e in r.body["extensions"]}
        for a in ("security-group", "quotas", "binding", "provider", "external-net",
                  "allowed-address-pairs", "port-security", "network-ip-availability",
                  "standard-attr-tag", "subnet_allocation", "sorting", "pagination"):
            self.assertIn(a, aliases)
        for a in ("router", "dvr", "l3-ha", "qos", "trunk", "agent", "tag-ext"):
            self.assertNotIn(a, aliases)
        self.assertStatus(nget("/extensions/quotas"), 200)
        self.assertNeutron(nget("/extensions/router"), 404)

    def test_catalog_has_network(self):
        r = get("/auth/catalog")
        types = {s["type"]: s for s in r.body["catalog"]}
        self.assertIn("network", types)
        self.assertEqual(types["network"]["name"], "neutron")
        self.assertTrue(types["network"]["endpoints"][0]["url"].endswith("/network"))

    def test_no_token_is_401(self):
        self.assertNeutron(nget("/networks", token=None), 401)


class TestNetworks(NetTestCase):
    def test_crud_and_standard_attributes(self):
        net = self.network(description="d1")
        for k in ("id", "name", "status", "admin_state_up", "shared", "router:external",
                  "mtu", "port_security_enabled", "provider:network_type", "subnets",
                  "revision_number", "created_at", "updated_at", "description", "tags",
                  "project_id", "tenant_id"):
            self.assertIn(k, net)
        self.assertEqual(net["status"], "ACTIVE")
        self.assertEqual(net["mtu"], 1500)
        self.assertEqual(net["revision_number"], 0)
        r = nput("/networks/" + net["id"], {"network": {"name": "renamed", "mtu": 1400}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["network"]["name"], "renamed")
        self.assertEqual(r.body["network"]["mtu"], 1400)
        self.assertEqual(r.body["network"]["revision_number"], 1)
        r = nget("/networks/" + net["id"])
        self.assertEqual(r.body["network"]["name"], "renamed")
        self.assertStatus(ndelete("/networks/" + net["id"]), 204)
        self.assertNeutron(nget("/networks/" + net["id"]), 404, "NetworkNotFound")

    def test_provider_attributes_admin_only(self):
        net = self.network(**{"provider:network_type": "vxlan",
                              "provider:segmentation_id": 4242})
        self.assertEqual(net["provider:segmentation_id"], 4242)
        self.assertEqual(net["mtu"], 1450)
        r = npost("/networks", {"network": {"provider:network_type": "vxlan",
                                            "provider:segmentation_id": 4242}})
        self.assertNeutron(r, 409, "TunnelIdInUse")
        flat = self.network(**{"provider:network_type": "flat",
                               "provider:physical_network": "phys" + uniq()[-6:]})
        self.assertEqual(flat["provider:segmentation_id"], None)
        _, tok = member()
        r = npost("/networks", {"network": {"provider:network_type": "vxlan"}}, token=tok)
        self.assertNeutron(r, 403)
        mine = self.network(token=tok)
        self.assertNotIn("provider:network_type", mine)
        r = npost("/networks", {"network": {"shared": True}}, token=tok)
        self.assertNeutron(r, 403)

    def test_other_projects_network_is_404_unless_shared(self):
        _, tok = member()
        private = self.network()
        shared = self.network(shared=True)
        self.assertNeutron(nget("/networks/" + private["id"], token=tok), 404)
        self.assertStatus(nget("/networks/" + shared["id"], token=tok), 200)
        ids = {x["id"] for x in nget("/networks", token=tok).body["networks"]}
        self.assertIn(shared["id"], ids)
        self.assertNotIn(private["id"], ids)
        self.assertNeutron(nput("/networks/" + shared["id"], {"network": {"name": "x"}},
                                token=tok), 403)
        self.assertNeutron(ndelete("/networks/" + private["id"], token=tok), 404)

    def test_external_and_shared_networks_and_their_subnets_are_seen(self):
        _, tok = member()
        ext = self.network(**{"router:external": True})
        sn = self.subnet(ext["id"], "10.79.0.0/24")
        self.assertStatus(nget("/networks/" + ext["id"], token=tok), 200)
        self.assertStatus(nget("/subnets/" + sn["id"], token=tok), 200)
        net = self.network()
        sn2 = self.subnet(net["id"], "10.78.0.0/24")
        self.assertNeutron(nget("/subnets/" + sn2["id"], token=tok), 404, "SubnetNotFound")
        self.assertStatus(nput("/networks/" + net["id"], {"network": {"shared": True}}), 200)
        self.assertStatus(nget("/subnets/" + sn2["id"], token=tok), 200)
        self.assertIn(sn2["id"], {x["id"] for x in nget("/subnets", token=tok).body["subnets"]})
        self.assertStatus(nput("/networks/" + net["id"], {"network": {"shared": False}}), 200)
        self.assertNeutron(nget("/subnets/" + sn2["id"], token=tok), 404)

    def test_no_agents(self):
        r = nget("/agents", token=member()[1])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["agents"], [])

    def test_bulk_create(self):
        r = npost("/networks", {"networks": [{"name": uniq()}, {"name": uniq()}]})
        self.assertStatus(r, 201)
        self.assertEqual(len(r.body["networks"]), 2)
        for x in r.body["networks"]:
            self.assertStatus(ndelete("/networks/" + x["id"]), 204)

    def test_in_use_network_cannot_be_deleted(self):
        net = self.network()
        self.subnet(net["id"], "10.77.0.0/24")
        p = self.port(net["id"])
        self.assertNeutron(ndelete("/networks/" + net["id"]), 409, "NetworkInUse")
        self.assertStatus(ndelete("/ports/" + p["id"]), 204)
        self.assertStatus(ndelete("/networks/" + net["id"]), 204)


class TestSubnets(NetTestCase):
    def test_v4_defaults_and_dhcp_port(self):
        net = self.network()
        sn = self.subnet(net["id"], "10.10.0.0/24")
        self.assertEqual(sn["gateway_ip"], "10.10.0.1")
        self.assertEqual(sn["allocation_pools"], [{"start": "10.10.0.2",
                                                   "end": "10.10.0.254"}])
        self.assertTrue(sn["enable_dhcp"])
        self.assertIn(sn["id"], nget("/networks/" + net["id"]).body["network"]["subnets"])
        ports = nget("/ports", params={"network_id": net["id"]}).body["ports"]
        dhcp = [p for p in ports if p["device_owner"] == "network:dhcp"]
        self.assertEqual(len(dhcp), 1, ports)
        self.assertEqual(dhcp[0]["fixed_ips"][0]["ip_address"], "10.10.0.2")
        self.assertTrue(dhcp[0]["device_id"].startswith("dhcp"))
        # no DHCP subnet left: the DHCP port goes
        r = nput("/subnets/" + sn["id"], {"subnet": {"enable_dhcp": False}})
        self.assertStatus(r, 200)
        ports = nget("/ports", params={"network_id": net["id"]}).body["ports"]
        self.assertEqual(ports, [])

    def test_v6_and_options(self):
        net = self.network()
        sn = self.subnet(net["id"], "2001:db8:1::/64", enable_dhcp=False,
                         dns_nameservers=["2001:db8::53"],
                         host_routes=[{"destination": "2001:db8:9::/64",
                                       "nexthop": "2001:db8:1::9"}],
                         ipv6_address_mode="slaac", ipv6_ra_mode="slaac")
        self.assertEqual(sn["ip_version"], 6)
        self.assertEqual(sn["gateway_ip"], "2001:db8:1::1")
        self.assertEqual(sn["allocation_pools"][0]["start"], "2001:db8:1::2")
        self.assertEqual(sn["dns_nameservers"], ["2001:db8::53"])

    def test_null_gateway_and_custom_pools(self):
        net = self.network()
        sn = self.subnet(net["id"], "10.11.0.0/24", gateway_ip=None,
                         allocation_pools=[{"start": "10.11.0.10", "end": "10.11.0.20"}])
        self.assertIsNone(sn["gateway_ip"])
        p = self.port(net["id"], fixed_ips=[{"subnet_id": sn["id"]}])
        self.assertEqual(p["fixed_ips"][0]["ip_address"], "10.11.0.11")   # .10: DHCP
        r = nput("/subnets/" + sn["id"], {"subnet": {"name": "x", "dns_nameservers":
                                                      ["8.8.8.8"]}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["subnet"]["dns_nameservers"], ["8.8.8.8"])

    def test_subnet_in_use(self):
        net = self.network()
        sn = self.subnet(net["id"], "10.12.0.0/24")
        p = self.port(net["id"])
        self.assertNeutron(ndelete("/subnets/" + sn["id"]), 409, "SubnetInUse")
        ndelete("/ports/" + p["id"])
        self.assertStatus(ndelete("/subnets/" + sn["id"]), 204)

    def test_member_cannot_add_subnet_to_shared_network_of_others(self):
        net = self.network(shared=True)
        _, tok = member()
        r = npost("/subnets", {"subnet": {"network_id": net["id"], "cidr": "10.13.0.0/24",
                                          "ip_version": 4}}, token=tok)
        self.assertNeutron(r, 403)


class TestSubnetPools(NetTestCase):
    def test_allocate_by_prefixlen(self):
        pool = self.make("subnetpools", "subnetpool",
                         {"name": uniq(), "prefixes": ["10.200.0.0/16"],
                          "default_prefixlen": 24})
        self.assertEqual(pool["ip_version"], 4)
        net = self.network()
        a = self.make("subnets", "subnet", {"network_id": net["id"], "ip_version": 4,
                                            "subnetpool_id": pool["id"]})
        self.assertEqual(a["cidr"], "10.200.0.0/24")
        b = self.make("subnets", "subnet", {"network_id": self.network()["id"],
                                            "ip_version": 4, "prefixlen": 26,
                                            "subnetpool_id": pool["id"]})
        self.assertEqual(b["cidr"], "10.200.1.0/26")
        self.assertNeutron(ndelete("/subnetpools/" + pool["id"]), 409)
        r = nput("/subnetpools/" + pool["id"], {"subnetpool": {"name": "renamed"}})
        self.assertStatus(r, 200)
        self.assertEqual(nget("/subnetpools/" + pool["id"]).body["subnetpool"]["name"],
                         "renamed")


class TestPorts(NetTestCase):
    def setUp(self):
        self.net = self.network()
        self.sn = self.subnet(self.net["id"], "10.20.0.0/24")

    def test_create_defaults(self):
        p = self.port(self.net["id"])
        self.assertRegex(p["mac_address"], r"^fa:16:3e(:[0-9a-f]{2}){3}$")
        self.assertEqual(len(p["fixed_ips"]), 1)
        self.assertEqual(p["status"], "DOWN")
        self.assertEqual(p["binding:vif_type"], "unbound")
        self.assertEqual(len(p["security_groups"]), 1)
        self.assertEqual(nget("/ports/" + p["id"]).body["port"], p)
        sg = nget("/security-groups/" + p["security_groups"][0]).body["security_group"]
        self.assertEqual(sg["name"], "default")

    def test_fixed_ip_and_release(self):
        p = self.port(self.net["id"], fixed_ips=[{"ip_address": "10.20.0.50"}],
                      mac_address="fa:16:3e:00:00:01")
        self.assertEqual(p["fixed_ips"], [{"subnet_id": self.sn["id"],
                                           "ip_address": "10.20.0.50"}])
        r = npost("/ports", {"port": {"network_id": self.net["id"],
                                      "fixed_ips": [{"ip_address": "10.20.0.50"}]}})
        self.assertNeutron(r, 409, "IpAddressAlreadyAllocated")
        r = npost("/ports", {"port": {"network_id": self.net["id"],
                                      "mac_address": "fa:16:3e:00:00:01"}})
        self.assertNeutron(r, 409, "MacAddressInUse")
        self.assertStatus(ndelete("/ports/" + p["id"]), 204)
        q = self.port(self.net["id"], fixed_ips=[{"ip_address": "10.20.0.50"}])
        self.assertEqual(q["fixed_ips"][0]["ip_address"], "10.20.0.50")

    def test_update_fixed_ips_binding_and_security(self):
        p = self.port(self.net["id"])
        old = p["fixed_ips"][0]["ip_address"]
        r = nput("/ports/" + p["id"], {"port": {"fixed_ips": [
            {"subnet_id": self.sn["id"]}, {"ip_address": "10.20.0.99"}]}})
        self.assertStatus(r, 200)
        ips = sorted(x["ip_address"] for x in r.body["port"]["fixed_ips"])
        self.assertEqual(ips, sorted([old, "10.20.0.99"]))
        r = nput("/ports/" + p["id"], {"port": {
            "binding:host_id": "somehost", "binding:profile": {"vif_type": "veth"},
            "device_id": "vm1", "device_owner": "compute:nova",
            "allowed_address_pairs": [{"ip_address": "10.20.0.200"}]}})
        self.assertStatus(r, 200)
        port = r.body["port"]
        self.assertEqual(port["binding:host_id"], "somehost")
        self.assertEqual(port["status"], "ACTIVE")
        self.assertEqual(port["allowed_address_pairs"],
                         [{"ip_address": "10.20.0.200", "mac_address": port["mac_address"]}])
        r = nput("/ports/" + p["id"], {"port": {"port_security_enabled": False}})
        self.assertNeutron(r, 409)
        r = nput("/ports/" + p["id"], {"port": {"port_security_enabled": False,
                                                "security_groups": [],
                                                "allowed_address_pairs": []}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["port"]["security_groups"], [])

    def test_binding_is_admin_only(self):
        net = self.network(shared=True)
        self.subnet(net["id"], "10.21.0.0/24")
        _, tok = member()
        r = npost("/ports", {"port": {"network_id": net["id"],
                                      "binding:host_id": "h"}}, token=tok)
        self.assertNeutron(r, 403)
        p = self.port(net["id"], token=tok)
        self.assertNotIn("binding:host_id", p)
        self.assertIn("binding:vnic_type", p)


class TestSecurityGroups(NetTestCase):
    def test_default_group_rules(self):
        _, tok = member()
        groups = nget("/security-groups", token=tok).body["security_groups"]
        self.assertEqual([g["name"] for g in groups], ["default"])
        rules = groups[0]["security_group_rules"]
        got = sorted((r["direction"], r["ethertype"], r["remote_group_id"] is not None)
                     for r in rules)
        self.assertEqual(got, [("egress", "IPv4", False), ("egress", "IPv6", False),
                               ("ingress", "IPv4", True), ("ingress", "IPv6", True)])
        self.assertNeutron(ndelete("/security-groups/" + groups[0]["id"], token=tok),
                           409, "SecurityGroupCannotRemoveDefault")

    def test_rules_crud_and_duplicates(self):
        sg = self.make("security-groups", "security_group", {"name": uniq()})
        self.assertEqual(len(sg["security_group_rules"]), 2)        # egress v4/v6
        rule = self.make("security-group-rules", "security_group_rule", {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22,
            "remote_ip_prefix": "10.0.0.0/8"}, cleanup=False)
        self.assertEqual(rule["ethertype"], "IPv4")
        r = npost("/security-group-rules", {"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "6",
            "port_range_min": 22, "port_range_max": 22,
            "remote_ip_prefix": "10.0.0.0/8"}})
        self.assertNeutron(r, 409, "SecurityGroupRuleExists")
        icmp = self.make("security-group-rules", "security_group_rule", {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "icmp",
            "port_range_min": 8, "port_range_max": 0}, cleanup=False)
        num = self.make("security-group-rules", "security_group_rule", {
            "security_group_id": sg["id"], "direction": "egress", "protocol": 132,
            "ethertype": "IPv6", "remote_group_id": sg["id"]}, cleanup=False)
        self.assertEqual(num["protocol"], "132")
        got = nget("/security-groups/" + sg["id"]).body["security_group"]
        self.assertEqual(len(got["security_group_rules"]), 5)
        self.assertStatus(nget("/security-group-rules/" + icmp["id"]), 200)
        self.assertNeutron(nput("/security-group-rules/" + icmp["id"],
                                {"security_group_rule": {"description": "x"}}), 405)
        self.assertStatus(ndelete("/security-group-rules/" + rule["id"]), 204)
        self.assertNeutron(nget("/security-group-rules/" + rule["id"]), 404,
                           "SecurityGroupRuleNotFound")
        r = nput("/security-groups/" + sg["id"], {"security_group": {"name": "new"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["security_group"]["name"], "new")

    def test_prefix_kept_as_given_and_normalized_beside_it(self):
        sg = self.make("security-groups", "security_group", {"name": uniq()})
        rule = self.make("security-group-rules", "security_group_rule", {
            "security_group_id": sg["id"], "direction": "ingress",
            "remote_ip_prefix": "10.2.3.124/24"})
        self.assertEqual(rule["remote_ip_prefix"], "10.2.3.124/24")
        self.assertEqual(rule["normalized_cidr"], "10.2.3.0/24")
        host = self.make("security-group-rules", "security_group_rule", {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp",
            "remote_ip_prefix": "10.9.9.9"})
        self.assertEqual(host["remote_ip_prefix"], "10.9.9.9/32")
        # the same network written another way is the same rule
        r = npost("/security-group-rules", {"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress",
            "remote_ip_prefix": "10.2.3.0/24"}})
        self.assertNeutron(r, 409, "SecurityGroupRuleExists")

    def test_rules_naming_a_deleted_group_go_with_it(self):
        a = self.make("security-groups", "security_group", {"name": uniq()})
        b = self.make("security-groups", "security_group", {"name": uniq()},
                      cleanup=False)
        rule = self.make("security-group-rules", "security_group_rule", {
            "security_group_id": a["id"], "direction": "ingress",
            "remote_group_id": b["id"]}, cleanup=False)
        self.assertStatus(ndelete("/security-groups/" + b["id"]), 204)
        self.assertNeutron(nget("/security-group-rules/" + rule["id"]), 404)
        rules = nget("/security-groups/" + a["id"]).body["security_group"][
            "security_group_rules"]
        self.assertNotIn(rule["id"], [x["id"] for x in rules])

    def test_group_in_use(self):
        sg = self.make("security-groups", "security_group", {"name": uniq()},
                       cleanup=False)
        net = self.network()
        p = self.port(net["id"], security_groups=[sg["id"]])
        self.assertEqual(p["security_groups"], [sg["id"]])
        self.assertNeutron(ndelete("/security-groups/" + sg["id"]), 409,
                           "SecurityGroupInUse")
        ndelete("/ports/" + p["id"])
        self.assertStatus(ndelete("/security-groups/" + sg["id"]), 204)


class TestQuotasAndAvailability(NetTestCase):
    def test_quota_set_enforce_reset(self):
        proj, tok = member()
        r = nget("/quotas/" + proj, token=tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["quota"]["network"], 100)
        self.assertStatus(nget("/quotas/" + proj + "/default"), 200)
        self.assertStatus(nget("/quotas"), 200)
        self.assertNeutron(nput("/quotas/" + proj, {"quota": {"network": 1}}, token=tok),
                           403)
        r = nput("/quotas/" + proj, {"quota": {"network": 1}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["quota"]["network"], 1)
        self.assertIn(proj, {q["project_id"] for q in nget("/quotas").body["quotas"]})
        self.network(token=tok)
        r = npost("/networks", {"network": {"name": "x"}}, token=tok)
        self.assertNeutron(r, 409, "OverQuota")
        self.assertStatus(ndelete("/quotas/" + proj), 204)
        self.assertEqual(nget("/quotas/" + proj).body["quota"]["network"], 100)
        self.assertNeutron(nget("/quotas/" + proj, token=member()[1]), 403)

    def test_ip_availability(self):
        net = self.network()
        sn = self.subnet(net["id"], "10.30.0.0/28")
        self.port(net["id"])
        r = nget("/network-ip-availabilities/" + net["id"])
        self.assertStatus(r, 200)
        a = r.body["network_ip_availability"]
        self.assertEqual(a["total_ips"], 13)
        self.assertEqual(a["used_ips"], 2)          # DHCP + the port
        self.assertEqual(a["subnet_ip_availability"][0]["subnet_id"], sn["id"])
        r = nget("/network-ip-availabilities", params={"network_id": net["id"]})
        self.assertEqual(len(r.body["network_ip_availabilities"]), 1)
        self.assertNeutron(nget("/network-ip-availabilities", token=member()[1]), 403)


class TestTags(NetTestCase):
    def test_tags_on_every_kind(self):
        net = self.network()
        sn = self.subnet(net["id"], "10.31.0.0/24")
        objs = {"subnets": sn["id"], "ports": self.port(net["id"])["id"],
                "security-groups": self.make("security-groups", "security_group",
                                             {"name": uniq()})["id"],
                "subnetpools": self.make("subnetpools", "subnetpool",
                                         {"name": uniq(), "prefixes": ["10.240.0.0/16"]})["id"]}
        for coll, oid in objs.items():
            base = "/%s/%s/tags" % (coll, oid)
            self.assertStatus(nput(base, {"tags": ["x"]}), 200)
            self.assertStatus(nput(base + "/y", None), 201)
            self.assertEqual(sorted(nget(base).body["tags"]), ["x", "y"])
            self.assertStatus(nget(base + "/y"), 204)
            self.assertStatus(ndelete(base + "/x"), 204)
            self.assertStatus(ndelete(base), 204)
            self.assertEqual(nget(base).body["tags"], [])

    def test_tags(self):
        net = self.network()
        base = "/networks/" + net["id"] + "/tags"
        self.assertStatus(nput(base, {"tags": ["a", "b"]}), 200)
        self.assertStatus(nput(base + "/c", None), 201)
        self.assertStatus(nget(base + "/c"), 204)
        self.assertEqual(sorted(nget(base).body["tags"]), ["a", "b", "c"])
        self.assertNeutron(nget(base + "/zz"), 404)
        self.assertStatus(ndelete(base + "/a"), 204)
        got = nget("/networks/" + net["id"]).body["network"]["tags"]
        self.assertEqual(sorted(got), ["b", "c"])
        ids = [x["id"] for x in nget("/networks", params={"tags": "b,c"}).body["networks"]]
        self.assertEqual(ids, [net["id"]])
        ids = [x["id"] for x in nget("/networks", params={"tags-any": "c,q"}).body[
            "networks"]]
        self.assertIn(net["id"], ids)
        self.assertStatus(ndelete(base), 204)
        self.assertEqual(nget("/networks/" + net["id"]).body["network"]["tags"], [])


class TestListSemantics(NetTestCase):
    def setUp(self):
        self.prefix = uniq("ls")
        self.nets = [self.network(name="%s-%d" % (self.prefix, i),
                                  admin_state_up=(i % 2 == 0)) for i in range(5)]

    def mine(self, **params):
        params.setdefault("description", "")
        r = nget("/networks", params=params)
        self.assertStatus(r, 200)
        return [x for x in r.body["networks"]
                if x.get("name", self.prefix).startswith(self.prefix)], r

    def test_filters_and_fields(self):
        got, _ = self.mine(admin_state_up="false")
        self.assertEqual(len(got), 2)
        got, _ = self.mine(name=[self.nets[0]["name"], self.nets[3]["name"]])
        self.assertEqual({x["id"] for x in got}, {self.nets[0]["id"], self.nets[3]["id"]})
        r = nget("/networks", params={"fields": ["id", "name"], "name": self.nets[1]["name"]})
        self.assertEqual(r.body["networks"], [{"id": self.nets[1]["id"],
                                               "name": self.nets[1]["name"]}])
        r = nget("/networks/" + self.nets[1]["id"], params={"fields": "name"})
        self.assertEqual(r.body["network"], {"name": self.nets[1]["name"]})

    def test_sorting(self):
        got, _ = self.mine(sort_key="name", sort_dir="desc")
        names = [x["name"] for x in got]
        self.assertEqual(names, sorted(names, reverse=True))
        self.assertNeutron(nget("/networks", params={"sort_key": "name",
                                                     "sort_dir": "sideways"}), 400)

    def test_pagination(self):
        seen, params = [], {"limit": 2, "sort_key": "name", "sort_dir": "asc",
                            "name": [x["name"] for x in self.nets]}
        r = nget("/networks", params=params)
        while True:
            self.assertStatus(r, 200)
            seen += [x["name"] for x in r.body["networks"]]
            nxt = [l["href"] for l in r.body.get("networks_links", [])
                   if l["rel"] == "next"]
            if not nxt or not r.body["networks"]:
                break
            r = call("GET", nxt[0])
        self.assertEqual(seen, sorted(x["name"] for x in self.nets))
        # backwards from the last one
        r = nget("/networks", params=dict(params, marker=self.nets[4]["id"],
                                          page_reverse="True"))
        self.assertEqual([x["name"] for x in r.body["networks"]],
                         [self.nets[2]["name"], self.nets[3]["name"]])
        self.assertNeutron(nget("/networks", params=dict(params, marker="nope")), 404)

    def test_pagination_in_id_order(self):
        names = [x["name"] for x in self.nets]
        seen, r = [], nget("/networks", params={"limit": 2, "name": names})
        pages = 0
        while True:
            self.assertStatus(r, 200)
            pages += 1
            seen += [x["id"] for x in r.body["networks"]]
            nxt = [l["href"] for l in r.body.get("networks_links", [])
                   if l["rel"] == "next"]
            if not nxt:
                break
            r = call("GET", nxt[0])
        self.assertEqual(seen, sorted(x["id"] for x in self.nets))
        self.assertEqual(pages, 3)
        r = nget("/networks", params={"limit": 2, "marker": seen[1], "name": names})
        self.assertEqual([x["id"] for x in r.body["networks"]], seen[2:4])
        self.assertIn("previous", [l["rel"] for l in r.body["networks_links"]])
