"""Nova's proxy APIs before microversion 2.36: /images (Glance images in
Nova's view, metadata), /os-security-groups and rules (Neutron's groups),
/os-networks and /os-tenant-networks; 404 from 2.36 on."""
import imagelib
import lib
from cmplib import cdelete, cget, cpost, cput
from lib import uniq
from netlib import nget, npost, ndelete
from srvlib import ServerTestCase, member


class TestImagesProxy(ServerTestCase):
    def setup_class(self):
        type(self).img = imagelib.new_active_image(token=self.token)

    def test_list_detail_show(self):
        r = cget("/images", token=self.token)
        self.assertStatus(r, 200)
        ids = [i["id"] for i in r.body["images"]]
        self.assertIn(self.img["id"], ids)
        one = [i for i in r.body["images"] if i["id"] == self.img["id"]][0]
        self.assertEqual(set(one), {"id", "name", "links"})
        r = cget("/images/detail", token=self.token)
        self.assertStatus(r, 200)
        d = [i for i in r.body["images"] if i["id"] == self.img["id"]][0]
        for k in ("status", "progress", "minRam", "minDisk", "metadata", "created",
                  "updated", "OS-EXT-IMG-SIZE:size"):
            self.assertIn(k, d)
        self.assertEqual(d["status"], "ACTIVE")
        self.assertEqual(d["progress"], 100)
        rels = {l["rel"] for l in d["links"]}
        self.assertEqual(rels, {"self", "bookmark", "alternate"})
        r = cget("/images/" + self.img["id"], token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["image"]["id"], self.img["id"])

    def test_filters_and_paging(self):
        name = self.img["name"]
        r = cget("/images/detail?name=" + name, token=self.token)
        self.assertEqual([i["id"] for i in r.body["images"]], [self.img["id"]])
        r = cget("/images/detail?status=SAVING&name=" + name, token=self.token)
        self.assertEqual(r.body["images"], [])
        r = cget("/images?limit=1", token=self.token)
        self.assertEqual(len(r.body["images"]), 1)
        r = cget("/images?marker=" + self.img["id"], token=self.token)
        self.assertNotIn(self.img["id"], [i["id"] for i in r.body["images"]])
        self.assertNova(cget("/images?limit=x", token=self.token), 400)
        self.assertNova(cget("/images?marker=no-such", token=self.token), 400)

    def test_metadata(self):
        path = "/images/%s/metadata" % self.img["id"]
        r = cpost(path, {"metadata": {"a": "1", "b": "2"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["metadata"]["a"], "1")
        r = cget(path, token=self.token)
        self.assertEqual(r.body["metadata"], {"a": "1", "b": "2"})
        r = cput(path + "/a", {"meta": {"a": "9"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["meta"], {"a": "9"})
        self.assertEqual(cget(path + "/a", token=self.token).body["meta"], {"a": "9"})
        self.assertNova(cput(path + "/a", {"meta": {"b": "1"}}, token=self.token), 400,
                        "mismatch")
        self.assertNova(cput(path + "/a", {"meta": {"a": "1", "c": "2"}}, token=self.token),
                        400, "too many")
        r = cput(path, {"metadata": {"c": "3"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(cget(path, token=self.token).body["metadata"], {"c": "3"})
        self.assertStatus(cdelete(path + "/c", token=self.token), 204)
        self.assertNova(cdelete(path + "/c", token=self.token), 404)
        self.assertNova(cget(path + "/c", token=self.token), 404)
        self.assertEqual(cget(path, token=self.token).body["metadata"], {})

    def test_another_projects_private_image_is_404(self):
        _, _, other = member()
        self.assertNova(cget("/images/" + self.img["id"], token=other), 404)
        self.assertNova(cdelete("/images/" + self.img["id"], token=other), 404)
        self.assertNova(cget("/images/%s/metadata" % self.img["id"], token=other), 404)

    def test_delete(self):
        img = imagelib.new_active_image(token=self.token)
        self.assertStatus(cdelete("/images/" + img["id"], token=self.token), 204)
        self.assertNova(cget("/images/" + img["id"], token=self.token), 404)
        self.assertNova(cdelete("/images/" + img["id"], token=self.token), 404)

    def test_gone_from_236(self):
        self.assertNova(cget("/images", token=self.token, mv="2.36"), 404)
        self.assertNova(cget("/images/" + self.img["id"], token=self.token, mv="2.36"), 404)
        self.assertStatus(cget("/images", token=self.token, mv="2.35"), 200)


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
            "to_port": 2}}, token=self.token), 404)
        self.assertEqual(cget("/os-security-groups", token=self.token).body, before)

    def test_default_group_cannot_go_and_others_are_404(self):
        r = cget("/os-security-groups", token=self.token)
        default = [x for x in r.body["security_groups"] if x["name"] == "default"]
        if not default:
            # the default group appears once the project asks Neutron
            nget("/security-groups", token=self.token)
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
        _, _, other = member()
        self.assertNova(cget("/os-tenant-networks/" + self.net["id"], token=other), 404)

    def test_networks_admin_only(self):
        self.assertNova(cget("/os-networks", token=self.token), 403)
        r = cget("/os-networks")
        self.assertStatus(r, 200)
        self.assertIn("label", r.body["networks"][0] if r.body["networks"] else {"label": 1})
        self.assertNova(cget("/os-networks", mv="2.36"), 404)
