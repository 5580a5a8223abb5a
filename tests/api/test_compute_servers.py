"""Servers: create, show, list/detail, update, delete, and the server
view per microversion (the keys Tempest's strict schemas allow)."""
import base64
import time

from cmplib import cdelete, cget, cpost, cput
from lib import uniq
from srvlib import ServerTestCase, member

SHOW_2_1 = {"id", "name", "status", "tenant_id", "user_id", "metadata", "hostId",
            "image", "flavor", "created", "updated", "addresses", "accessIPv4",
            "accessIPv6", "links", "OS-DCF:diskConfig", "progress",
            "OS-EXT-AZ:availability_zone", "config_drive", "key_name",
            "OS-SRV-USG:launched_at", "OS-SRV-USG:terminated_at", "security_groups",
            "OS-EXT-STS:task_state", "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state",
            "os-extended-volumes:volumes_attached"}
ADMIN_2_1 = {"OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:instance_name",
             "OS-EXT-SRV-ATTR:hypervisor_hostname"}
ADMIN_2_3 = ADMIN_2_1 | {"OS-EXT-SRV-ATTR:reservation_id", "OS-EXT-SRV-ATTR:launch_index",
                         "OS-EXT-SRV-ATTR:kernel_id", "OS-EXT-SRV-ATTR:ramdisk_id",
                         "OS-EXT-SRV-ATTR:hostname", "OS-EXT-SRV-ATTR:root_device_name",
                         "OS-EXT-SRV-ATTR:user_data"}


class TestCreateShow(ServerTestCase):
    def test_create_response_and_active(self):
        r = cpost("/servers", self.body(), token=self.token)
        self.assertStatus(r, 202)
        s = r.body["server"]
        self.addCleanup(self.delete_wait, s["id"])
        self.assertEqual(set(s), {"id", "links", "OS-DCF:diskConfig", "security_groups",
                                  "adminPass"})
        self.assertEqual(s["security_groups"], [{"name": "default"}])
        self.assertEqual(s["OS-DCF:diskConfig"], "MANUAL")
        # Nova's second request id header (Tempest's instance actions use it)
        self.assertEqual(r.headers["X-Compute-Request-Id"], r.headers["X-Openstack-Request-Id"])
        self.assertTrue(r.headers["Location"].endswith("/compute/v2.1/servers/" + s["id"]))
        self.assertEqual([l["rel"] for l in s["links"]], ["self", "bookmark"])
        shown = self.wait(s["id"], "ACTIVE")
        self.assertEqual(set(shown), SHOW_2_1)
        self.assertEqual(shown["tenant_id"], self.project)
        self.assertEqual(shown["user_id"], self.user)
        self.assertEqual(shown["image"]["id"], self.image["id"])
        self.assertEqual(shown["flavor"]["id"], self.flavor["id"])
        self.assertEqual(len(shown["hostId"]), 56)
        self.assertEqual(shown["OS-EXT-STS:vm_state"], "active")
        self.assertEqual(shown["OS-EXT-STS:power_state"], 1)
        self.assertIsNone(shown["OS-EXT-STS:task_state"])
        self.assertEqual(shown["progress"], 0)
        self.assertRegex(shown["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        addrs = shown["addresses"][self.net["name"]]
        self.assertEqual(len(addrs), 1)
        self.assertEqual(addrs[0]["version"], 4)
        self.assertTrue(addrs[0]["addr"].startswith("10.77.0."))
        self.assertEqual(addrs[0]["OS-EXT-IPS:type"], "fixed")
        self.assertRegex(addrs[0]["OS-EXT-IPS-MAC:mac_addr"], r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
        self.assertEqual(shown["security_groups"], [{"name": "default"}])

    def test_admin_sees_extended_attributes(self):
        s = self.create()
        r = cget("/servers/" + s["id"])
        self.assertEqual(set(r.body["server"]), SHOW_2_1 | ADMIN_2_1)
        r = cget("/servers/" + s["id"], mv="2.3")
        self.assertEqual(set(r.body["server"]), SHOW_2_1 | ADMIN_2_3)
        srv = r.body["server"]
        self.assertTrue(srv["OS-EXT-SRV-ATTR:host"])
        self.assertEqual(srv["OS-EXT-SRV-ATTR:launch_index"], 0)
        self.assertTrue(srv["OS-EXT-SRV-ATTR:reservation_id"].startswith("r-"))

    def test_microversion_fields(self):
        s = self.create(mv="2.52", tags=["a", "b"], description="desc")
        sid = s["id"]
        expect = set(SHOW_2_1)
        for mv, added in [("2.9", {"locked"}), ("2.16", set()), ("2.19", {"description"}),
                          ("2.26", {"tags"}), ("2.47", set()),
                          ("2.63", {"trusted_image_certificates"}),
                          ("2.71", {"server_groups"}), ("2.73", {"locked_reason"})]:
            expect |= added
            r = cget("/servers/" + sid, token=self.token, mv=mv)
            self.assertStatus(r, 200)
            self.assertEqual(set(r.body["server"]), expect, mv)
        srv = r.body["server"]
        self.assertFalse(srv["locked"])
        self.assertEqual(srv["description"], "desc")
        self.assertEqual(srv["tags"], ["a", "b"])
        self.assertIsNone(srv["trusted_image_certificates"])
        self.assertEqual(srv["server_groups"], [])
        self.assertIsNone(srv["locked_reason"])
        self.assertEqual(srv["flavor"], {"vcpus": 1, "ram": 64, "disk": 1, "ephemeral": 0,
                                         "swap": 0,
                                         "original_name": self.flavor["name"],
                                         "extra_specs": {}})
        # host_status is for admins
        r = cget("/servers/" + sid, mv="2.16")
        self.assertEqual(r.body["server"]["host_status"], "UP")
        # description before 2.19 is the name
        r = cget("/servers/" + sid, token=self.token, mv="2.18")
        self.assertNotIn("description", r.body["server"])
        # detail has no server_groups
        r = cget("/servers/detail", token=self.token, mv="2.79")
        item = [x for x in r.body["servers"] if x["id"] == sid][0]
        self.assertNotIn("server_groups", item)
        self.assertIn("locked_reason", item)

    def test_create_options(self):
        ud = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
        s = self.create(mv="2.79", metadata={"k": "v"}, user_data=ud, config_drive=True,
                        accessIPv4="192.0.2.1",
                        accessIPv6="0000:0000:0000:0000:0000:babe:220.12.22.2",
                        adminPass="secret123", **{"OS-DCF:diskConfig": "AUTO"})
        self.assertEqual(s["metadata"], {"k": "v"})
        self.assertEqual(s["config_drive"], "True")
        self.assertEqual(s["accessIPv4"], "192.0.2.1")
        self.assertEqual(s["accessIPv6"], "::babe:dc0c:1602")     # canonical, as Nova
        self.assertEqual(s["OS-DCF:diskConfig"], "AUTO")
        r = cget("/servers/" + s["id"], mv="2.3")
        self.assertEqual(r.body["server"]["OS-EXT-SRV-ATTR:user_data"], ud)

    def test_config_drive_forced_by_default(self):
        """[compute] force_config_drive is on by default (nubis has no
        metadata service): every server has a config drive and shows it,
        as Nova's configdrive.update_instance does."""
        for asked in ({}, {"config_drive": False}):
            s = self.create(mv="2.79", wait=None, **asked)
            r = cget("/servers/" + s["id"], mv="2.79")
            self.assertEqual(r.body["server"]["config_drive"], "True")

    def test_personality_and_security_groups(self):
        from netlib import npost
        r = npost("/security-groups", {"security_group": {"name": uniq("sg")}},
                  token=self.token)
        self.assertStatus(r, 201)
        sg = r.body["security_group"]["name"]
        files = [{"path": "/f%d" % i, "contents": base64.b64encode(b"x").decode()}
                 for i in range(5)]
        s = self.create(mv="2.56", personality=files, security_groups=[{"name": sg}])
        self.assertEqual(s["security_groups"], [{"name": sg}])

    def test_no_security_groups_after_removing_all(self):
        s = self.create()
        r = cpost("/servers/%s/action" % s["id"], {"removeSecurityGroup": {"name": "default"}},
                  token=self.token)
        self.assertStatus(r, 202)
        r = cget("/servers/" + s["id"], token=self.token)
        self.assertNotIn("security_groups", r.body["server"])

    def test_disk_config_after_rebuild(self):
        s = self.create()
        r = cpost("/servers/%s/action" % s["id"], {"rebuild": {
            "imageRef": self.image["id"], "OS-DCF:diskConfig": "AUTO"}}, token=self.token)
        self.assertStatus(r, 202)
        self.assertEqual(r.body["server"]["OS-DCF:diskConfig"], "AUTO")
        s = self.wait(s["id"], "ACTIVE")
        self.assertEqual(s["OS-DCF:diskConfig"], "AUTO")

    def test_key_name(self):
        r = cpost("/os-keypairs", {"keypair": {"name": uniq("kp")}}, token=self.token)
        self.assertStatus(r, 200)
        kp = r.body["keypair"]["name"]
        self.addCleanup(cdelete, "/os-keypairs/" + kp, token=self.token)
        s = self.create(key_name=kp)
        self.assertEqual(s["key_name"], kp)

    def test_networks_none_and_auto(self):
        s = self.create(mv="2.37", networks="none")
        self.assertEqual(s["addresses"], {})
        self.assertNotIn("security_groups", s)
        s = self.create(mv="2.37", networks="auto")
        self.assertEqual(list(s["addresses"]), [self.net["name"]])

    def test_port_and_fixed_ip(self):
        from netlib import npost
        r = npost("/ports", {"port": {"network_id": self.net["id"]}}, token=self.token)
        self.assertStatus(r, 201)
        port = r.body["port"]
        s = self.create(networks=[{"port": port["id"]}])
        self.assertEqual(s["addresses"][self.net["name"]][0]["addr"],
                         port["fixed_ips"][0]["ip_address"])
        s = self.create(networks=[{"uuid": self.net["id"], "fixed_ip": "10.77.0.200"}])
        self.assertEqual(s["addresses"][self.net["name"]][0]["addr"], "10.77.0.200")

    def test_block_device_mapping_image_local(self):
        bdm = [{"source_type": "image", "destination_type": "local", "boot_index": 0,
                "uuid": self.image["id"], "delete_on_termination": True}]
        r = cpost("/servers", {"server": {
            "name": uniq("bdm"), "flavorRef": self.flavor["id"],
            "networks": [{"uuid": self.net["id"]}], "block_device_mapping_v2": bdm}},
            token=self.token)
        self.assertStatus(r, 202)
        self.addCleanup(self.delete_wait, r.body["server"]["id"])
        s = self.wait(r.body["server"]["id"], "ACTIVE")
        self.assertEqual(s["image"]["id"], self.image["id"])

    def test_multiple_create(self):
        name = uniq("multi")
        r = cpost("/servers", self.body(name=name, min_count=2, max_count=3,
                                        return_reservation_id=True), token=self.token)
        self.assertStatus(r, 202)
        resv = r.body["reservation_id"]
        self.assertEqual(set(r.body), {"reservation_id"})
        r = cget("/servers/detail", token=self.token, params={"reservation_id": resv})
        servers = r.body["servers"]
        for s in servers:
            self.addCleanup(self.delete_wait, s["id"])
        self.assertEqual(sorted(s["name"] for s in servers),
                         [name + "-1", name + "-2", name + "-3"])
        for s in servers:
            self.wait(s["id"], "ACTIVE")

    def test_another_projects_server_is_404(self):
        s = self.create(wait=None)
        _, _, other = member()
        for method, path in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/metadata"),
                             ("GET", "/ips"), ("GET", "/os-instance-actions")]:
            body = {"server": {"name": "x"}} if method == "PUT" else None
            from cmplib import c
            r = c(method, "/servers/%s%s" % (s["id"], path),
                  body if body else __import__("lib")._UNSET, token=other)
            self.assertNova(r, 404)


class TestUpdateDelete(ServerTestCase):
    def test_update_name_description(self):
        s = self.create()
        r = cput("/servers/" + s["id"], {"server": {"name": "renamed"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["server"]["name"], "renamed")
        # the short view before 2.75
        self.assertNotIn("OS-EXT-STS:vm_state", r.body["server"])
        self.assertNotIn("OS-EXT-IPS:type", r.body["server"]["addresses"][self.net["name"]][0])
        r = cput("/servers/" + s["id"], {"server": {"description": "d"}}, token=self.token,
                 mv="2.19")
        self.assertEqual(r.body["server"]["description"], "d")
        r = cput("/servers/" + s["id"], {"server": {"description": None}}, token=self.token,
                 mv="2.75")
        self.assertStatus(r, 200)
        self.assertIsNone(r.body["server"]["description"])
        self.assertIn("OS-EXT-STS:vm_state", r.body["server"])
        self.assertNotIn("server_groups", set(r.body["server"]) - {"server_groups"})
        r = cget("/servers/" + s["id"], token=self.token)
        self.assertEqual(r.body["server"]["name"], "renamed")

    def test_delete(self):
        s = self.create()
        r = cdelete("/servers/" + s["id"], token=self.token)
        self.assertStatus(r, 204)
        self.delete_wait(s["id"])
        r = cdelete("/servers/" + s["id"], token=self.token)
        self.assertNova(r, 404)
        # a deleted server still lists with changes-since, as DELETED
        r = cget("/servers/detail", token=self.token,
                 params={"changes-since": "2000-01-01T00:00:00Z"})
        gone = [x for x in r.body["servers"] if x["id"] == s["id"]]
        self.assertEqual(gone[0]["status"], "DELETED")


class TestList(ServerTestCase):
    def setup_class(self):
        cls = type(self)
        cls.ids = []
        for i, tags in enumerate([["red"], ["red", "blue"], []]):
            r = cpost("/servers", {"server": {
                "name": "lst-%d-%s" % (i, uniq()), "flavorRef": cls.flavor["id"],
                "imageRef": cls.image["id"], "networks": [{"uuid": cls.net["id"]}],
                "tags": tags}}, token=cls.token, mv="2.52")
            self.assertStatus(r, 202)
            cls.ids.append(r.body["server"]["id"])
            time.sleep(0.002)
        for sid in cls.ids:
            self.wait(sid, "ACTIVE")

    def names(self, r):
        self.assertStatus(r, 200)
        return [x["id"] for x in r.body["servers"]]

    def test_list_brief_and_detail(self):
        r = cget("/servers", token=self.token)
        self.assertEqual(set(r.body), {"servers"})
        for x in r.body["servers"]:
            self.assertEqual(set(x), {"id", "name", "links"})
        self.assertEqual(sorted(self.names(r)), sorted(self.ids))
        r = cget("/servers/detail", token=self.token)
        self.assertEqual(self.names(r), list(reversed(self.ids)))  # newest first
        for x in r.body["servers"]:
            self.assertEqual(set(x), SHOW_2_1)

    def test_filters(self):
        q = lambda **p: self.names(cget("/servers/detail", token=self.token, params=p,
                                        headers={"OpenStack-API-Version": "compute 2.26"}))
        self.assertEqual(q(name="^lst-1-"), [self.ids[1]])
        self.assertEqual(sorted(q(status="ACTIVE")), sorted(self.ids))
        self.assertEqual(sorted(q(status="active")), sorted(self.ids))
        self.assertEqual(q(status="SHUTOFF"), [])
        self.assertEqual(sorted(q(image=self.image["id"])), sorted(self.ids))
        self.assertEqual(sorted(q(flavor=self.flavor["id"])), sorted(self.ids))
        self.assertEqual(q(flavor="no-such-flavor"), [])
        self.assertEqual(sorted(q(tags="red")), sorted(self.ids[:2]))
        self.assertEqual(q(tags="red,blue"), [self.ids[1]])
        self.assertEqual(sorted(q(**{"tags-any": "blue,red"})), sorted(self.ids[:2]))
        self.assertEqual(sorted(q(**{"not-tags": "red,blue"})), sorted([self.ids[0], self.ids[2]]))
        self.assertEqual(q(**{"not-tags-any": "red"}), [self.ids[2]])
        self.assertEqual(sorted(q(ip="10\\.77\\.")), sorted(self.ids))
        self.assertEqual(q(ip="^192\\."), [])
        self.assertEqual(sorted(q(**{"changes-since": "2000-01-01T00:00:00Z"})), sorted(self.ids))
        self.assertEqual(q(**{"changes-since": "2100-01-01T00:00:00Z"}), [])
        # a member's admin-only filter is ignored before 2.75
        self.assertEqual(sorted(q(host="nowhere")), sorted(self.ids))

    def test_paging_and_sorting(self):
        r = cget("/servers", token=self.token, params={"limit": 2})
        page = self.names(r)
        self.assertEqual(page, list(reversed(self.ids))[:2])
        nxt = r.body["servers_links"][0]
        self.assertEqual(nxt["rel"], "next")
        self.assertIn("marker=" + page[-1], nxt["href"])
        self.assertIn("limit=2", nxt["href"])
        r = cget("/servers", token=self.token, params={"limit": 2, "marker": page[-1]})
        self.assertEqual(self.names(r), [self.ids[0]])
        self.assertNotIn("servers_links", r.body)
        r = cget("/servers", token=self.token,
                 params={"sort_key": "display_name", "sort_dir": "asc"})
        self.assertEqual(self.names(r), self.ids)
        r = cget("/servers", token=self.token, params={"sort_key": "created_at",
                                                        "sort_dir": "asc"})
        self.assertEqual(self.names(r), self.ids)
        # a marker in another order, and oldest first by the default keys
        r = cget("/servers", token=self.token, params={
            "sort_key": "display_name", "sort_dir": "asc", "limit": 1, "marker": self.ids[0]})
        self.assertEqual(self.names(r), [self.ids[1]])
        r = cget("/servers", token=self.token, params={"sort_dir": "asc", "marker": self.ids[0]})
        self.assertEqual(self.names(r), self.ids[1:])
        # filters applied in C keep the pages whole
        r = cget("/servers", token=self.token, params={"name": "^lst-", "limit": 2})
        self.assertEqual(self.names(r), list(reversed(self.ids))[:2])
        r = cget("/servers", token=self.token, params={"name": "^lst-", "limit": 2,
                                                        "marker": self.ids[1]})
        self.assertEqual(self.names(r), [self.ids[0]])

    def test_all_tenants(self):
        r = cget("/servers", params={"all_tenants": "1"})
        self.assertTrue(set(self.ids) <= set(self.names(r)))
        r = cget("/servers", params={"all_tenants": "1", "project_id": self.project})
        self.assertEqual(sorted(self.names(r)), sorted(self.ids))
        r = cget("/servers")            # the admin's own project only
        self.assertFalse(set(self.ids) & set(self.names(r)))
        r = cget("/servers", token=self.token, params={"all_tenants": "1"})
        self.assertNova(r, 403)
