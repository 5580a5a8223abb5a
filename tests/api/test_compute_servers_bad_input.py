"""Bad input to the servers API: every case gets Nova's error body with
the right status, and nothing changes (no server, port or quota use)."""
import base64
import uuid

from cmplib import cget, cpost, cput
from lib import uniq
from netlib import nget, npost
from srvlib import ServerTestCase, flavor, member, network

B64 = base64.b64encode(b"hello").decode()


class BadCreate(ServerTestCase):
    def state(self):
        """What a refused create must leave as it was."""
        servers = cget("/servers/detail", token=self.token,
                       params={"changes-since": "2000-01-01T00:00:00Z"}).body["servers"]
        ports = nget("/ports", token=self.token).body["ports"]
        return (sorted(s["id"] for s in servers), sorted(p["id"] for p in ports))

    def refused(self, status, *words, mv=None, body=None, **attrs):
        before = self.state()
        r = cpost("/servers", body if body is not None else self.body(**attrs),
                  token=self.token, mv=mv)
        self.assertNova(r, status, *words)
        self.assertEqual(self.state(), before, "a refused create changed something")

    def test_body_shape(self):
        self.refused(400, body={})
        self.refused(400, body={"server": "x"})
        self.refused(400, body={"server": {"name": "x"}})            # no flavorRef
        self.refused(400, body={"server": {"flavorRef": "1"}})       # no name
        self.refused(400, nonsense=1)
        self.refused(400, body=dict(self.body(), extra={}))

    def test_name(self):
        for name in ["", " lead", "trail ", "x" * 256, 5, None, "a\x01b"]:
            self.refused(400, name=name)

    def test_flavor(self):
        self.refused(400, "Flavor", flavorRef="no-such-flavor")
        self.refused(400, flavorRef="")
        self.refused(400, flavorRef=None)
        # a private flavor without access is not usable
        f = flavor(**{"os-flavor-access:is_public": False})
        self.refused(400, "Flavor", flavorRef=f["id"])
        # too small for the image
        f = flavor(ram=16)
        img = self.image_with(min_ram=512)
        self.refused(400, "memory", flavorRef=f["id"], imageRef=img)
        img = self.image_with(min_disk=5)
        self.refused(400, "disk", imageRef=img)

    def image_with(self, **attrs):
        import imagelib
        return imagelib.new_active_image(visibility="public", **attrs)["id"]

    def test_image(self):
        self.refused(400, "image", imageRef=str(uuid.uuid4()))
        self.refused(400, imageRef="not-a-uuid")
        self.refused(400, imageRef=5)
        self.refused(400, "imageRef", imageRef="")
        body = self.body()
        del body["server"]["imageRef"]
        self.refused(400, "imageRef", body=body)
        import imagelib
        queued = imagelib.new_image(visibility="public")
        self.refused(400, "not active", imageRef=queued["id"])
        # another project's private image is not found
        _, _, other = member()
        priv = imagelib.new_active_image(token=other)
        self.refused(400, "image", imageRef=priv["id"])

    def test_networks(self):
        self.refused(400, networks=[{"uuid": "a-b-c-d-e-f-g-h-i-j"}])
        self.refused(400, networks=[{"fixed_ip": "10.0.1.1", "uuid": "a-b-c"}])
        self.refused(400, "Network", networks=[{"uuid": str(uuid.uuid4())}])
        self.refused(400, networks=[{"uuid": self.net["id"], "fixed_ip": "300.1.1.1"}])
        self.refused(400, networks=[{"uuid": self.net["id"], "bogus": 1}])
        self.refused(400, networks=[{}])
        self.refused(400, networks="auto")                  # before 2.37
        self.refused(400, networks="all", mv="2.37")
        body = self.body()
        del body["server"]["networks"]
        self.refused(400, "networks", body=body, mv="2.37")
        self.refused(400, "Port", networks=[{"port": str(uuid.uuid4())}])
        self.refused(400, networks=[{"port": "not-a-uuid"}])
        # another project's network is not found
        other_net = network(cidr="10.78.0.0/24")
        self.refused(400, "Network", networks=[{"uuid": other_net["id"]}])
        # a network without subnet
        r = npost("/networks", {"network": {"name": uniq("bare")}}, token=self.token)
        self.refused(400, "subnet", networks=[{"uuid": r.body["network"]["id"]}])
        # a port twice, a port with a fixed IP, a port for many servers
        r = npost("/ports", {"port": {"network_id": self.net["id"]}}, token=self.token)
        port = r.body["port"]["id"]
        self.refused(400, "twice", networks=[{"port": port}, {"port": port}])
        self.refused(400, networks=[{"port": port, "fixed_ip": "10.77.0.9"}])
        self.refused(400, "multiple", networks=[{"port": port}], min_count=2)
        self.refused(400, networks=[{"uuid": self.net["id"], "fixed_ip": "10.77.0.9"}],
                     max_count=2)

    def test_port_in_use_409(self):
        r = npost("/ports", {"port": {"network_id": self.net["id"], "device_id": "x",
                                      "device_owner": "other"}}, token=self.token)
        self.assertStatus(r, 201)
        self.refused(409, "in use", networks=[{"port": r.body["port"]["id"]}])

    def test_ambiguous_network_409(self):
        pid, uid, tok = member()
        network(token=tok, cidr="10.80.0.0/24")
        network(token=tok, cidr="10.81.0.0/24")
        r = cpost("/servers", {"server": {"name": "x", "flavorRef": self.flavor["id"],
                                          "imageRef": self.image["id"]}}, token=tok)
        self.assertNova(r, 409, "Multiple possible networks")
        r = cpost("/servers", {"server": {"name": "x", "flavorRef": self.flavor["id"],
                                          "imageRef": self.image["id"], "networks": "auto"}},
                  token=tok, mv="2.37")
        self.assertNova(r, 409)
        self.assertEqual(cget("/servers", token=tok).body["servers"], [])

    def test_user_data(self):
        self.refused(400, "user_data", user_data="not base64!")
        self.refused(400, user_data="abc")                   # bad padding
        self.refused(400, user_data=5)
        self.refused(400, user_data="A" * 65536)

    def test_key_name(self):
        self.refused(400, "key_name", key_name="no-such-key")
        self.refused(400, key_name="")
        self.refused(400, key_name=5)

    def test_metadata(self):
        self.refused(400, metadata={"": "v"})
        self.refused(400, metadata={"k" * 256: "v"})
        self.refused(400, metadata={"a": "b" * 260})
        self.refused(400, metadata={"a": 1})
        self.refused(400, metadata="x")

    def test_counts(self):
        self.refused(400, "min_count", min_count=3, max_count=2)
        self.refused(400, min_count=0)
        self.refused(400, max_count=-1)
        self.refused(400, min_count="x")
        self.refused(400, min_count=1.5)

    def test_other_attributes(self):
        self.refused(400, accessIPv4="1.2.3")
        self.refused(400, accessIPv6="zz::1::2")
        self.refused(400, **{"OS-DCF:diskConfig": "SOMETIMES"})
        self.refused(400, config_drive="maybe")
        self.refused(400, return_reservation_id="maybe")
        self.refused(400, adminPass=5)
        self.refused(400, security_groups="default")
        self.refused(400, security_groups=[{"name": ""}])
        self.refused(400, security_groups=[{"nom": "x"}])
        self.refused(400, "Security group", security_groups=[{"name": uniq("nosg")}])
        self.refused(400, availability_zone="no-such-zone")
        self.refused(400, availability_zone="")
        self.refused(400, description="d")                  # before 2.19
        self.refused(400, description="x" * 256, mv="2.19")
        self.refused(400, tags=["a"], mv="2.51")             # before 2.52
        self.refused(400, tags=["a,b"], mv="2.52")
        self.refused(400, tags=["t%d" % i for i in range(51)], mv="2.52")
        self.refused(400, personality=[{"path": "/x", "contents": B64}], mv="2.57")
        self.refused(400, host="nohost", mv="2.73")
        self.refused(400, block_device_mapping=[{"volume_id": str(uuid.uuid4())}])
        self.refused(400, block_device_mapping_v2=[{"source_type": "volume",
                                                    "destination_type": "volume",
                                                    "uuid": str(uuid.uuid4()),
                                                    "boot_index": 0}])
        self.refused(400, block_device_mapping_v2=[{"source_type": "image", "uuid": "x y",
                                                    "boot_index": 0}])
        self.refused(400, block_device_mapping_v2=[{"source_type": "floppy"}])
        self.refused(400, block_device_mapping_v2=[{"boot_index": "first"}])
        self.refused(400, block_device_mapping_v2="x")
        self.refused(400, body=dict(self.body(), **{"os:scheduler_hints": {"group": "x"}}))
        self.refused(400, "group", body=dict(self.body(), **{"os:scheduler_hints": {
            "group": str(uuid.uuid4())}}))

    def test_personality(self):
        f = {"path": "/etc/x", "contents": B64}
        self.refused(403, "Personality", personality=[f] * 6, mv="2.56")
        self.refused(400, personality=[{"path": "/x", "contents": "!!"}], mv="2.56")
        self.refused(400, personality=[{"path": "/x"}], mv="2.56")
        self.refused(400, personality=[{"path": "x" * 256, "contents": B64}], mv="2.56")
        self.refused(400, personality="x", mv="2.56")

    def test_forced_host_is_admin_only(self):
        self.refused(403, availability_zone="nova:somehost")
        self.refused(403, host="somehost", mv="2.74")

    def test_quota_exceeded_403(self):
        pid, uid, tok = member()
        net = network(token=tok, cidr="10.82.0.0/24")
        r = cput("/os-quota-sets/" + pid, {"quota_set": {"instances": 2}})
        self.assertStatus(r, 200)
        body = {"server": {"name": "q", "flavorRef": self.flavor["id"],
                           "imageRef": self.image["id"], "networks": [{"uuid": net["id"]}],
                           "min_count": 3}}
        r = cpost("/servers", body, token=tok)
        self.assertNova(r, 403, "Quota exceeded for instances")
        self.assertEqual(cget("/servers", token=tok).body["servers"], [])
        # max_count is cut to what fits
        body["server"].update(min_count=1, max_count=5, return_reservation_id=True)
        r = cpost("/servers", body, token=tok)
        self.assertStatus(r, 202)
        servers = cget("/servers", token=tok).body["servers"]
        self.assertEqual(len(servers), 2)
        for s in servers:
            self.addCleanup(self.delete_wait, s["id"], tok)
        r = cpost("/servers", dict(body, server=dict(body["server"], max_count=1)), token=tok)
        self.assertNova(r, 403, "Quota exceeded")


class BadOther(ServerTestCase):
    def test_update(self):
        s = self.create()
        path = "/servers/" + s["id"]
        for body in [{}, {"server": "x"}, {"server": {"name": ""}}, {"server": {"name": 5}},
                     {"server": {"bogus": 1}}, {"server": {"accessIPv4": "x"}},
                     {"server": {"description": "d"}}, {"x": {}}]:
            r = cput(path, body, token=self.token)
            self.assertNova(r, 400)
        self.assertNova(cput(path, {"server": {"description": "x" * 256}}, token=self.token,
                             mv="2.19"), 400)
        self.assertNova(cput("/servers/" + str(uuid.uuid4()), {"server": {"name": "n"}},
                             token=self.token), 404)
        r = cget(path, token=self.token)
        self.assertEqual(r.body["server"]["name"], s["name"])

    def test_show_delete_unknown(self):
        sid = str(uuid.uuid4())
        self.assertNova(cget("/servers/" + sid, token=self.token), 404, sid)
        from cmplib import cdelete
        self.assertNova(cdelete("/servers/" + sid, token=self.token), 404)

    def test_list_queries(self):
        bad = [({"limit": "x"}, None), ({"limit": "-1"}, None),
               ({"marker": str(uuid.uuid4())}, None), ({"sort_dir": "up"}, None),
               ({"sort_key": "nonsense"}, None), ({"changes-since": "yesterday"}, None),
               ({"changes-since": "2020-01-02T00:00:00Z",
                 "changes-before": "2020-01-01T00:00:00Z"}, "2.66"),
               ({"status": "NOPE"}, "2.38"), ({"bogus": "1"}, "2.75"),
               ({"sort_key": "vcpus"}, "2.75"), ({"_private": "1"}, None),
               ({"metadata": "x"}, None), ({"locked": "maybe"}, "2.73"),
               ({"all_tenants": "maybe"}, None)]
        for params, mv in bad:
            r = cget("/servers/detail", token=self.token, params=params, mv=mv)
            self.assertNova(r, 400)
        # before 2.38 an unknown status lists nothing
        r = cget("/servers", token=self.token, params={"status": "NOPE"})
        self.assertEqual(r.body["servers"], [])
        # members may not list deleted servers
        r = cget("/servers", token=self.token, params={"status": "DELETED"})
        self.assertNova(r, 403)
