"""os-interface: a server's ports listed, shown, attached (a network or a
port of the caller's) and detached, with the bad input and states Nova
refuses."""
import lib
import netlib
from cmplib import cdelete, cget, cpost
from test_compute_actions import ActionsBase, act, wait_status


def ifaces(sid, token):
    r = cget("/servers/%s/os-interface" % sid, token=token, mv="2.79")
    assert r.status == 200, r
    return r.body["interfaceAttachments"]


class TestInterfaces(ActionsBase):
    def test_list_and_show(self):
        sid = self.boot()
        lst = ifaces(sid, self.tok)
        self.assertEqual(len(lst), 1)
        i = lst[0]
        self.assertEqual(i["net_id"], self.fx["net"])
        self.assertEqual(sorted(i), ["fixed_ips", "mac_addr", "net_id", "port_id",
                                     "port_state", "tag"])
        self.assertTrue(i["fixed_ips"][0]["ip_address"].startswith("10.77.0."))
        r = cget("/servers/%s/os-interface/%s" % (sid, i["port_id"]), token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["interfaceAttachment"]["port_id"], i["port_id"])
        self.assertNotIn("tag", r.body["interfaceAttachment"])

    def test_show_a_port_not_of_the_server_404(self):
        sid = self.boot()
        r = cget("/servers/%s/os-interface/%s" % (sid, "6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11"),
                 token=self.tok)
        self.assertNova(r, 404)
        r = netlib.npost("/ports", {"port": {"network_id": self.fx["net"]}}, token=self.tok)
        self.assertStatus(r, 201)
        port = r.body["port"]
        self.addCleanup(netlib.ndelete, "/ports/" + port["id"], token=self.tok)
        r = cget("/servers/%s/os-interface/%s" % (sid, port["id"]), token=self.tok)
        self.assertNova(r, 404, "does not have a port")

    def test_another_projects_server_404(self):
        sid = self.boot()
        r = cget("/servers/%s/os-interface" % sid, token=self.fx["other"])
        self.assertNova(r, 404)
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": self.fx["net"]}}, token=self.fx["other"])
        self.assertNova(r, 404)
        self.assertEqual(len(ifaces(sid, self.tok)), 1)

    def test_attach_network_and_detach(self):
        sid = self.boot()
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": self.fx["net"],
                                           "fixed_ips": [{"ip_address": "10.77.0.200"}]}},
                  token=self.tok)
        self.assertStatus(r, 200)
        att = r.body["interfaceAttachment"]
        self.assertEqual(att["fixed_ips"][0]["ip_address"], "10.77.0.200")
        self.assertEqual(len(ifaces(sid, self.tok)), 2)
        s = wait_status(sid, "ACTIVE", token=self.tok)
        addrs = [a["addr"] for n in s["addresses"].values() for a in n]
        self.assertIn("10.77.0.200", addrs)
        # the address is taken now
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": self.fx["net"],
                                           "fixed_ips": [{"ip_address": "10.77.0.200"}]}},
                  token=self.tok)
        self.assertNova(r, 409)
        r = cdelete("/servers/%s/os-interface/%s" % (sid, att["port_id"]), token=self.tok)
        self.assertStatus(r, 202)
        self.assertTrue(lib.wait_until(lambda: len(ifaces(sid, self.tok)) == 1, timeout=10))
        # the server made that port: it is gone
        r = netlib.nget("/ports/" + att["port_id"], token=self.tok)
        self.assertStatus(r, 404)

    def test_attach_own_port_and_detach_keeps_it(self):
        sid = self.boot()
        r = netlib.npost("/ports", {"port": {"network_id": self.fx["net"]}}, token=self.tok)
        self.assertStatus(r, 201)
        port = r.body["port"]
        self.addCleanup(netlib.ndelete, "/ports/" + port["id"], token=self.tok)
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"port_id": port["id"]}}, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(netlib.nget("/ports/" + port["id"], token=self.tok)
                         .body["port"]["device_id"], sid)
        # a port in use cannot be attached again
        other = self.boot()
        r = cpost("/servers/%s/os-interface" % other,
                  {"interfaceAttachment": {"port_id": port["id"]}}, token=self.tok)
        self.assertNova(r, 409, "still in use")
        r = cdelete("/servers/%s/os-interface/%s" % (sid, port["id"]), token=self.tok)
        self.assertStatus(r, 202)
        self.assertTrue(lib.wait_until(lambda: netlib.nget(
            "/ports/" + port["id"], token=self.tok).body["port"]["device_id"] == "",
            timeout=10))

    def test_attach_bad_input_400(self):
        sid = self.boot()
        net = self.fx["net"]
        for body, words in (
                ({"interfaceAttachment": {"net_id": net, "port_id": net}},
                 ("Must not input both",)),
                ({"interfaceAttachment": {"fixed_ips": [{"ip_address": "10.77.0.9"}]}},
                 ("Must input network_id",)),
                ({"interfaceAttachment": {"net_id": "nope"}}, ("uuid",)),
                ({"interfaceAttachment": {"port_id": 4}}, ("uuid",)),
                ({"interfaceAttachment": {"net_id": net, "fixed_ips": []}}, ()),
                ({"interfaceAttachment": {"net_id": net,
                                          "fixed_ips": [{"ip_address": "999.1.1.1"}]}}, ()),
                ({"interfaceAttachment": {"net_id": net, "fixed_ips": [{}]}},
                 ("'ip_address' is a required property",)),
                ({"interfaceAttachment": {"net_id": net, "x": 1}}, ("Additional",)),
                ({"interfaceAttachment": "x"}, ("is not of type 'object'",)),
                ({"other": {}}, ("Additional",))):
            r = cpost("/servers/%s/os-interface" % sid, body, token=self.tok, mv="2.79")
            self.assertNova(r, 400, *words)
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": net, "tag": "a/b"}}, token=self.tok,
                  mv="2.49")
        self.assertNova(r, 400)
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": "6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11"}},
                  token=self.tok)
        self.assertNova(r, 404, "could not be found")
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"port_id": "6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11"}},
                  token=self.tok)
        self.assertNova(r, 404, "could not be found")
        self.assertEqual(len(ifaces(sid, self.tok)), 1)

    def test_wrong_state_409(self):
        sid = self.boot()
        self.act_ok(sid, {"suspend": None})
        wait_status(sid, "SUSPENDED")
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": self.fx["net"]}}, token=self.tok)
        self.assertNova(r, 409, "Cannot 'attach_interface' instance %s while it is in "
                        "vm_state suspended" % sid)
        port = ifaces(sid, self.tok)[0]["port_id"]
        r = cdelete("/servers/%s/os-interface/%s" % (sid, port), token=self.tok)
        self.assertNova(r, 409, "Cannot 'detach_interface'")
        self.assertEqual(len(ifaces(sid, self.tok)), 1)

    def test_detach_unknown_port_404(self):
        sid = self.boot()
        r = cdelete("/servers/%s/os-interface/%s" % (sid, "6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11"),
                    token=self.tok)
        self.assertNova(r, 404)

    def test_locked_server_409(self):
        sid = self.boot()
        r = act(sid, {"lock": None}, token=lib.admin_token())
        self.assertStatus(r, 202)
        r = cpost("/servers/%s/os-interface" % sid,
                  {"interfaceAttachment": {"net_id": self.fx["net"]}}, token=self.tok)
        self.assertNova(r, 409, "is locked")
        act(sid, {"unlock": None}, token=lib.admin_token())
