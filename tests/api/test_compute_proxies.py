"""Nova's network proxy APIs before microversion 2.36: /os-security-groups
and rules (Neutron's groups), /os-networks and /os-tenant-networks; 404
from 2.36 on."""
from cmplib import cdelete, cget, cpost, cput
from lib import uniq
from netlib import nget
from srvlib import ServerTestCase, member


class TestSecurityGroupsProxy(ServerTestCase):
    def sg(self, **attrs):
        body = {"name": uniq("sg"), "description": "d"}
        body.update(attrs)
        r = cpost("/os-security-groups", {"security_group": body}, token=self.token)
        self.assertStatus(r, 200)
        g = r.body["security_group"]
        self.addCleanup(cdelete, "/os-security-groups/" + g["id"], token=self.token)
        return g

    def test_crud(self):
        g = self.sg()
        self.assertEqual(set(g), {"id", "name", "description", "tenant_id", "rules"})
        self.assertEqual(g["tenant_id"], self.project)
        # Neutron's egress rules are not shown
        self.assertEqual(g["rules"], [])
        r = cget("/os-security-groups", token=self.token)
        self.assertIn(g["id"], [x["id"] for x in r.body["security_groups"]])
        r = cput("/os-security-groups/" + g["id"],
                 {"security_group": {"name": "renamed", "description": "e"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["security_group"]["name"], "renamed")
        r = cget("/os-security-groups/" + g["id"], token=self.token)
        self.assertEqual(r.body["security_group"]["description"], "e")
        # and Neutron sees the same group
        self.assertEqual(nget("/security-groups/" + g["id"], token=self.token)
                         .body["security_group"]["name"], "renamed")
        self.assertStatus(cdelete("/os-security-groups/" + g["id"], token=self.token), 202)
        self.assertNova(cget("/os-security-groups/" + g["id"], token=self.token), 404)

    def test_rules(self):
        g, other = self.sg(), self.sg()
        path = "/os-security-group-rules"
        r = cpost(path, {"security_group_rule": {
            "parent_group_id": g["id"], "ip_protocol": "tcp", "from_port": 22,
            "to_port": 22, "cidr": "10.0.0.0/8"}}, token=self.token)
        self.assertStatus(r, 200)
        rule = r.body["security_group_rule"]
        self.assertEqual(rule["ip_protocol"], "tcp")
        self.assertEqual((rule["from_port"], rule["to_port"]), (22, 22))
        self.assertEqual(rule["ip_range"], {"cidr": "10.0.0.0/8"})
        self.assertEqual(rule["parent_group_id"], g["id"])
        r = cpost(path, {"security_group_rule": {
            "parent_group_id": g["id"], "ip_protocol": "icmp", "from_port": -1,
            "to_port": -1, "group_id": other["id"]}}, token=self.token)
        self.assertStatus(r, 200)
        icmp = r.body["security_group_rule"]
        self.assertEqual(icmp["group"]["name"], other["name"])
        self.assertEqual(icmp["ip_range"], {})
        shown = cget("/os-security-groups/" + g["id"], token=self.token).body
        self.assertEqual(len(shown["security_group"]["rules"]), 2)
        # the same rule again is a 400, as Nova says it
        self.assertNova(cpost(path, {"security_group_rule": {
            "parent_group_id": g["id"], "ip_protocol": "tcp", "from_port": 22,
            "to_port": 22, "cidr": "10.0.0.0/8"}}, token=self.token), 400, "already exists")
        self.assertStatus(cdelete(path + "/" + rule["id"], token=self.token), 202)
        self.assertNova(cdelete(path + "/" + rule["id"], token=self.token), 404)

    def test_bad_input_changes_nothing(self):
        g = self.sg()
        before = cget("/os-security-groups", token=self.token).body
        for body in ({"name": "", "description": "d"}, {"name": "x" * 256, "description": "d"},
                     {"name": "n", "description": "x" * 256}, {"name": "n"},
                     {"name": 5, "description": "d"}):
            self.assertNova(cpost("/os-security-groups", {"security_group": body},
                                  token=self.token), 400)
        self.assertNova(cput("/os-security-groups/" + g["id"], {"security_group": {
            "name": "", "description": "d"}}, token=self.token), 400)
        path = "/os-security-group-rules"
        for rule in ({"ip_protocol": "tcp", "from_port": 1, "to_port": 2},
                     {"parent_group_id": g["id"], "ip_protocol": "gre", "from_port": 1,
                      "to_port": 2},
                     {"parent_group_id": g["id"], "ip_protocol": "tcp", "from_port": 0,
                      "to_port": 70000},
                     {"parent_group_id": g["id"], "ip_protocol": "tcp", "from_port": 30,
                      "to_port": 20},
                     {"parent_group_id": g["id"], "ip_protocol": "tcp", "from_port": "a",
                      "to_port": 20},
                     {"parent_group_id": g["id"], "ip_protocol": "icmp", "from_port": 300,
                      "to_port": 0},
                     {"parent_group_id": g["id"], "ip_protocol": "tcp", "from_port": 1,
                      "to_port": 2, "cidr": "10.0.0.0/8", "group_id": g["id"]}):
            self.assertNova(cpost(path, {"security_group_rule": rule}, token=self.token), 400)
        self.assertNova(cpost(path, {"security_group_rule": {
            "parent_group_id": "no-such", "ip_protocol": "tcp", "from_port": 1,
            "to_port": 2}}, token=self.token), 400, "uuid")
        self.assertNova(cpost(path, {"security_group_rule": {
            "parent_group_id": "4fc31522-0a4a-4808-a019-27ed4eea47a2", "ip_protocol": "tcp",
            "from_port": 1, "to_port": 2}}, token=self.token), 404)
        self.assertNova(cget("/os-security-groups/no-such", token=self.token), 400)
        self.assertNova(cdelete("/os-security-groups/", token=self.token), 404)
        self.assertEqual(cget("/os-security-groups", token=self.token).body, before)

    def test_default_group_cannot_go_and_others_are_404(self):
        # a new project's list has its default group, as Neutron's has
        _, _, fresh = member()
        r = cget("/os-security-groups", token=fresh)
        self.assertEqual([x["name"] for x in r.body["security_groups"]], ["default"])
        r = cget("/os-security-groups", token=self.token)
        default = [x for x in r.body["security_groups"] if x["name"] == "default"]
        self.assertEqual(len(default), 1)
        self.assertNova(cdelete("/os-security-groups/" + default[0]["id"], token=self.token),
                        400)
        g = self.sg()
        _, _, other = member()
        self.assertNova(cget("/os-security-groups/" + g["id"], token=other), 404)
        self.assertNova(cdelete("/os-security-groups/" + g["id"], token=other), 404)
        self.assertNotIn(g["id"], [x["id"] for x in cget(
            "/os-security-groups", token=other).body["security_groups"]])

    def test_server_groups_of_a_server(self):
        g = self.sg()
        s = self.create(security_groups=[{"name": g["name"]}])
        r = cget("/servers/%s/os-security-groups" % s["id"], token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["security_groups"]], [g["id"]])
        self.assertNova(cget("/servers/no-such/os-security-groups", token=self.token), 404)

    def test_gone_from_236(self):
        self.assertNova(cget("/os-security-groups", token=self.token, mv="2.36"), 404)


class TestNetworksProxy(ServerTestCase):
    def test_tenant_networks(self):
        r = cget("/os-tenant-networks", token=self.token)
        self.assertStatus(r, 200)
        mine = [n for n in r.body["networks"] if n["id"] == self.net["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["label"], self.net["name"])
        self.assertEqual(set(mine[0]), {"id", "label", "cidr"})
        r = cget("/os-tenant-networks/" + self.net["id"], token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["network"]["label"], self.net["name"])
        self.assertNova(cget("/os-tenant-networks/no-such", token=self.token), 404)
        # the admin's os-networks shows every project's networks
        r = cget("/os-networks")
        self.assertIn(self.net["id"], [n["id"] for n in r.body["networks"]])
        self.assertEqual(cget("/os-networks/" + self.net["id"]).body["network"]["label"],
                         self.net["name"])
        _, _, other = member()
        self.assertNova(cget("/os-tenant-networks/" + self.net["id"], token=other), 404)

    def test_networks_admin_only(self):
        self.assertNova(cget("/os-networks", token=self.token), 403)
        r = cget("/os-networks")
        self.assertStatus(r, 200)
        self.assertIn("label", r.body["networks"][0] if r.body["networks"] else {"label": 1})
        self.assertNova(cget("/os-networks", mv="2.36"), 404)
