"""Compute catalog: flavors (+ extra specs, access), keypairs, server
groups, as Nova v2.1 serves them per microversion."""
import uuid

from cmpcatlib import CatTestCase, member
from cmplib import cdelete, cget, cpost, cput
from lib import uniq

FULL_2_1 = {"id", "name", "links", "ram", "vcpus", "swap", "disk",
            "OS-FLV-DISABLED:disabled", "os-flavor-access:is_public",
            "rxtx_factor", "OS-FLV-EXT-DATA:ephemeral"}
SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDO3PdOliEJj7cPR0ZUVWKPJgitLsSkMKpVwDymW6KA"
           "ygq5/kjsnzCeJ3A3buMefv4scbJ5BCvUXuZzHC/eNQlNedg/nhf/fTfDxzeng+ldCBIjN/U+jjpNji+8"
           "hnh28J6/hq3e6hddg1frAlviJLHjfuJDBtxHqqjL6HbHXMxNtQ== me@host")
FINGERPRINT = "f2:a7:db:58:fa:ec:7d:0f:4a:a9:8d:fa:22:9b:c2:7d"


class TestFlavors(CatTestCase):
    def test_create_show_list_delete(self):
        f = self.flavor(ram=1024, vcpus=2, disk=10, swap=0, rxtx_factor=2.5,
                        **{"OS-FLV-EXT-DATA:ephemeral": 3})
        self.assertEqual(set(f), FULL_2_1)
        self.assertEqual((f["ram"], f["vcpus"], f["disk"], f["swap"]), (1024, 2, 10, ""))
        self.assertEqual(f["rxtx_factor"], 2.5)
        self.assertEqual(f["OS-FLV-EXT-DATA:ephemeral"], 3)
        self.assertTrue(f["os-flavor-access:is_public"])
        self.assertEqual([l["rel"] for l in f["links"]], ["self", "bookmark"])
        self.assertTrue(f["links"][0]["href"].endswith("/compute/v2.1/flavors/" + f["id"]))
        self.assertTrue(uuid.UUID(f["id"]))
        r = cget("/flavors/" + f["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["flavor"], f)
        r = cget("/flavors")
        self.assertIn({"id": f["id"], "name": f["name"], "links": f["links"]},
                      r.body["flavors"])
        r = cget("/flavors/detail")
        self.assertIn(f, r.body["flavors"])

    def test_microversion_fields(self):
        f = self.flavor(mv="2.55", description="small one")
        self.assertEqual(f["description"], "small one")
        r = cget("/flavors/" + f["id"], mv="2.61")
        self.assertEqual(r.body["flavor"]["extra_specs"], {})
        self.assertEqual(r.body["flavor"]["swap"], "")
        r = cget("/flavors/" + f["id"], mv="2.75")
        self.assertEqual(r.body["flavor"]["swap"], 0)
        r = cget("/flavors", mv="2.55")
        brief = [x for x in r.body["flavors"] if x["id"] == f["id"]][0]
        self.assertEqual(set(brief), {"id", "name", "links", "description"})
        r = cput("/flavors/" + f["id"], {"flavor": {"description": None}}, mv="2.55")
        self.assertStatus(r, 200)
        self.assertIsNone(r.body["flavor"]["description"])
        r = cput("/flavors/" + f["id"], {"flavor": {"description": "x"}}, mv="2.54")
        self.assertNova(r, 405)

    def test_given_id_and_conflicts(self):
        fid = uniq("fid")
        f = self.flavor(id=fid)
        self.assertEqual(f["id"], fid)
        r = cpost("/flavors", {"flavor": {"name": uniq("f"), "id": fid, "ram": 1,
                                          "vcpus": 1, "disk": 0}})
        self.assertNova(r, 409, "Flavor with ID %s already exists." % fid)
        r = cpost("/flavors", {"flavor": {"name": f["name"], "ram": 1, "vcpus": 1,
                                          "disk": 0}})
        self.assertNova(r, 409, "already exists")

    def test_create_bad_input(self):
        good = {"name": uniq("f"), "ram": 64, "vcpus": 1, "disk": 0}
        bad = [{"ram": 0}, {"vcpus": 0}, {"disk": -1}, {"ram": "x"}, {"ram": 2 ** 31},
               {"name": ""}, {"name": " lead"}, {"name": "a" * 256}, {"id": "bad/id"},
               {"id": " x"}, {"rxtx_factor": 0}, {"rxtx_factor": "abc"}, {"swap": -1},
               {"os-flavor-access:is_public": "maybe"}, {"bogus": 1},
               {"OS-FLV-EXT-DATA:ephemeral": -1}, {"description": "x"}]
        for change in bad:
            body = dict(good, **change)
            r = cpost("/flavors", {"flavor": body})
            self.assertNova(r, 400)
        for missing in ("name", "ram", "vcpus", "disk"):
            body = dict(good)
            del body[missing]
            self.assertNova(cpost("/flavors", {"flavor": body}), 400)
        self.assertNova(cpost("/flavors", {"flavour": good}), 400)
        self.assertNova(cpost("/flavors", {"flavor": dict(good, description=1)},
                              mv="2.55"), 400)
        r = cget("/flavors/detail", params={"minRam": "abc"})
        self.assertNova(r, 400, "Invalid minRam filter [abc]")
        r = cget("/flavors/detail", params={"minDisk": "x"})
        self.assertNova(r, 400)
        r = cget("/flavors", params={"sort_key": "nope"})
        self.assertNova(r, 400)
        r = cget("/flavors", params={"sort_dir": "up"})
        self.assertNova(r, 400)
        r = cget("/flavors", params={"limit": "-1"})
        self.assertNova(r, 400)
        r = cget("/flavors", params={"marker": "no-such-flavor"})
        self.assertNova(r, 400, "marker [no-such-flavor] not found")
        r = cget("/flavors", params={"is_public": "maybe"})
        self.assertNova(r, 400)
        r = cget("/flavors", params={"foo": "1"}, mv="2.75")
        self.assertNova(r, 400)
        self.assertStatus(cget("/flavors", params={"foo": "1"}, mv="2.74"), 200)

    def test_filters_and_paging(self):
        tag = uniq("pg")
        fs = [self.flavor(id="%s-%d" % (tag, i), ram=100000 + i, disk=500 + i)
              for i in range(3)]
        r = cget("/flavors/detail", params={"minRam": 100001})
        ids = [x["id"] for x in r.body["flavors"]]
        self.assertNotIn(fs[0]["id"], ids)
        self.assertIn(fs[1]["id"], ids)
        r = cget("/flavors/detail", params={"minDisk": 502})
        ids = [x["id"] for x in r.body["flavors"]]
        self.assertEqual([i for i in ids if i.startswith(tag)], [fs[2]["id"]])
        r = cget("/flavors", params={"limit": 1, "marker": fs[0]["id"]})
        self.assertEqual([x["id"] for x in r.body["flavors"]], [fs[1]["id"]])
        nxt = r.body["flavors_links"][0]
        self.assertEqual(nxt["rel"], "next")
        self.assertIn("marker=" + fs[1]["id"], nxt["href"])
        r = cget("/flavors", params={"sort_key": "memory_mb", "sort_dir": "desc",
                                     "minRam": 100000})
        ids = [x["id"] for x in r.body["flavors"] if x["id"].startswith(tag)]
        self.assertEqual(ids, [fs[2]["id"], fs[1]["id"], fs[0]["id"]])

    def test_member_access(self):
        _, _, tok = member()
        r = cpost("/flavors", {"flavor": {"name": uniq("f"), "ram": 1, "vcpus": 1,
                                          "disk": 0}}, token=tok)
        self.assertNova(r, 403)
        pub = self.flavor()
        self.assertNova(cdelete("/flavors/" + pub["id"], token=tok), 403)
        self.assertNova(cput("/flavors/" + pub["id"], {"flavor": {"description": "x"}},
                             mv="2.55", token=tok), 403)
        self.assertStatus(cget("/flavors/" + pub["id"], token=tok), 200)

    def test_delete_unknown(self):
        self.assertNova(cdelete("/flavors/nope"), 404, "Flavor nope could not be found.")
        self.assertNova(cget("/flavors/nope"), 404)
        self.assertNova(cput("/flavors/nope", {"flavor": {"description": "x"}},
                             mv="2.55"), 404)
        f = self.flavor()
        for body in ({"flavor": {}}, {"flavor": {"description": "x", "name": "y"}},
                     {"flavor": {"description": "\x01"}}, {}):
            self.assertNova(cput("/flavors/" + f["id"], body, mv="2.55"), 400)


class TestKeypairs(CatTestCase):
    def kp(self, token=None, mv=None, **attrs):
        body = {"name": uniq("kp")}
        body.update(attrs)
        kw = {"mv": mv}
        if token:
            kw["token"] = token
        r = cpost("/os-keypairs", {"keypair": body}, **kw)
        self.assertIn(r.status, (200, 201), repr(r))
        k = r.body["keypair"]
        self.addCleanup(cdelete, "/os-keypairs/" + k["name"], **kw)
        return r, k

    def test_generate_show_list_delete(self):
        r, k = self.kp()
        self.assertEqual(r.status, 200)
        self.assertEqual(set(k), {"name", "public_key", "fingerprint", "user_id",
                                  "private_key"})
        self.assertTrue(k["public_key"].startswith("ssh-rsa "))
        self.assertIn("PRIVATE KEY", k["private_key"])
        self.assertRegex(k["fingerprint"], r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")
        r = cget("/os-keypairs/" + k["name"])
        self.assertStatus(r, 200)
        s = r.body["keypair"]
        self.assertEqual(set(s), {"name", "public_key", "fingerprint", "user_id",
                                  "created_at", "deleted", "deleted_at", "updated_at",
                                  "id"})
        self.assertIsInstance(s["id"], int)
        self.assertNotIn("private_key", s)
        r = cget("/os-keypairs")
        self.assertIn({"keypair": {"name": k["name"], "public_key": k["public_key"],
                                   "fingerprint": k["fingerprint"]}},
                      r.body["keypairs"])
        r = cdelete("/os-keypairs/" + k["name"])
        self.assertStatus(r, 202)
        self.assertNova(cget("/os-keypairs/" + k["name"]), 404)

    def test_import_types_and_status(self):
        r, k = self.kp(mv="2.2", public_key=SSH_KEY)
        self.assertEqual(r.status, 201)
        self.assertEqual(k["type"], "ssh")
        self.assertNotIn("private_key", k)
        self.assertEqual(k["fingerprint"], FINGERPRINT)
        r, x = self.kp(mv="2.2", type="x509")
        self.assertEqual(x["type"], "x509")
        self.assertIn("BEGIN CERTIFICATE", x["public_key"])
        self.assertRegex(x["fingerprint"], r"^([0-9a-f]{2}:){19}[0-9a-f]{2}$")
        r2, y = self.kp(mv="2.2", type="x509", public_key=x["public_key"])
        self.assertEqual(y["fingerprint"], x["fingerprint"])
        r = cget("/os-keypairs/" + k["name"], mv="2.2")
        self.assertEqual(r.body["keypair"]["type"], "ssh")
        r = cdelete("/os-keypairs/" + y["name"], mv="2.2")
        self.assertStatus(r, 204)

    def test_bad_input(self):
        for body in ({"name": ""}, {"name": "a/b"}, {"name": "x" * 256},
                     {"name": uniq("k"), "public_key": "not a key"},
                     {"name": uniq("k"), "public_key": "ssh-rsa !!!!"},
                     {"name": uniq("k"), "public_key": 5},
                     {"name": uniq("k"), "bogus": 1}, {}):
            self.assertNova(cpost("/os-keypairs", {"keypair": body}), 400)
        self.assertNova(cpost("/os-keypairs", {"keypair": {"name": uniq("k"),
                                                           "type": "pgp"}}, mv="2.2"),
                        400)
        self.assertNova(cpost("/os-keypairs", {"keypair": {"name": uniq("k"),
                                                           "type": "ssh"}}), 400)
        self.assertNova(cpost("/os-keypairs", {"keypair": {"name": uniq("k"),
                        "type": "x509", "public_key": "junk"}}, mv="2.2"), 400)
        self.assertNova(cpost("/os-keypairs", {"kp": {}}), 400)
        _, k = self.kp(public_key=SSH_KEY)
        self.assertNova(cpost("/os-keypairs", {"keypair": {"name": k["name"]}}), 409,
                        "Key pair '%s' already exists." % k["name"])
        self.assertNova(cdelete("/os-keypairs/nope"), 404)

    def test_users_and_admin(self):
        _, uid, tok = member()
        _, k = self.kp(token=tok, public_key=SSH_KEY)
        self.assertEqual(k["user_id"], uid)
        # the admin's own list does not show it; ?user_id= from 2.10 does
        r = cget("/os-keypairs")
        self.assertNotIn(k["name"], [x["keypair"]["name"] for x in r.body["keypairs"]])
        r = cget("/os-keypairs", params={"user_id": uid}, mv="2.10")
        self.assertEqual([x["keypair"]["name"] for x in r.body["keypairs"]], [k["name"]])
        self.assertStatus(cget("/os-keypairs/" + k["name"], params={"user_id": uid},
                               mv="2.10"), 200)
        # a member cannot act for another user
        r = cget("/os-keypairs", params={"user_id": "someone"}, mv="2.10", token=tok)
        self.assertNova(r, 403)
        r = cpost("/os-keypairs", {"keypair": {"name": uniq("k"), "user_id": "x"}},
                  mv="2.10", token=tok)
        self.assertNova(r, 403)
        # the admin creates one for the member
        r = cpost("/os-keypairs", {"keypair": {"name": uniq("k"), "user_id": uid,
                                               "public_key": SSH_KEY}}, mv="2.10")
        self.assertStatus(r, 201)
        self.assertEqual(r.body["keypair"]["user_id"], uid)
        self.assertStatus(cdelete("/os-keypairs/" + r.body["keypair"]["name"],
                                  params={"user_id": uid}, mv="2.10"), 204)

    def test_paging_235(self):
        _, _, tok = member()
        names = sorted(self.kp(token=tok, public_key=SSH_KEY)[1]["name"]
                       for _ in range(3))
        r = cget("/os-keypairs", params={"limit": 2}, mv="2.35", token=tok)
        self.assertEqual([x["keypair"]["name"] for x in r.body["keypairs"]], names[:2])
        self.assertIn("marker=" + names[1], r.body["keypairs_links"][0]["href"])
        r = cget("/os-keypairs", params={"marker": names[1]}, mv="2.35", token=tok)
        self.assertEqual([x["keypair"]["name"] for x in r.body["keypairs"]], names[2:])
        r = cget("/os-keypairs", params={"marker": "nope"}, mv="2.35", token=tok)
        self.assertNova(r, 400)
        r = cget("/os-keypairs", params={"limit": "x"}, mv="2.35", token=tok)
        self.assertNova(r, 400)


class TestServerGroups(CatTestCase):
    def group(self, mv=None, token=None, **attrs):
        kw = {"mv": mv}
        if token:
            kw["token"] = token
        r = cpost("/os-server-groups", {"server_group": attrs}, **kw)
        self.assertStatus(r, 200)
        g = r.body["server_group"]
        self.addCleanup(cdelete, "/os-server-groups/" + g["id"], **kw)
        return g

    def test_create_show_list_delete_2_1(self):
        g = self.group(name=uniq("g"), policies=["affinity"])
        self.assertEqual(set(g), {"id", "name", "policies", "members", "metadata"})
        self.assertEqual(g["policies"], ["affinity"])
        self.assertEqual(g["members"], [])
        r = cget("/os-server-groups/" + g["id"])
        self.assertEqual(r.body["server_group"], g)
        r = cget("/os-server-groups")
        self.assertIn(g, r.body["server_groups"])
        self.assertStatus(cdelete("/os-server-groups/" + g["id"]), 204)
        self.assertNova(cget("/os-server-groups/" + g["id"]), 404)

    def test_microversions(self):
        g = self.group(mv="2.15", name=uniq("g"), policies=["soft-anti-affinity"])
        self.assertEqual(set(g), {"id", "name", "policies", "members", "metadata",
                                  "project_id", "user_id"})
        g = self.group(mv="2.64", name=uniq("g"), policy="anti-affinity",
                       rules={"max_server_per_host": "3"})
        self.assertEqual(set(g), {"id", "name", "policy", "rules", "members",
                                  "project_id", "user_id"})
        self.assertEqual(g["rules"], {"max_server_per_host": 3})
        g = self.group(mv="2.64", name=uniq("g"), policy="soft-affinity")
        self.assertEqual(g["rules"], {})

    def test_bad_input(self):
        for mv, body in (
                (None, {"name": uniq("g"), "policies": ["soft-affinity"]}),
                (None, {"name": uniq("g"), "policies": ["affinity", "anti-affinity"]}),
                (None, {"name": uniq("g"), "policies": []}),
                (None, {"name": uniq("g")}),
                (None, {"policies": ["affinity"]}),
                (None, {"name": "", "policies": ["affinity"]}),
                (None, {"name": uniq("g"), "policies": ["affinity"], "x": 1}),
                ("2.64", {"name": uniq("g"), "policies": ["affinity"]}),
                ("2.64", {"name": uniq("g"), "policy": "wrong"}),
                ("2.64", {"name": uniq("g"), "policy": "affinity",
                          "rules": {"max_server_per_host": 2}}),
                ("2.64", {"name": uniq("g"), "policy": "anti-affinity",
                          "rules": {"max_server_per_host": 0}}),
                ("2.64", {"name": uniq("g"), "policy": "anti-affinity",
                          "rules": {"other": 1}})):
            self.assertNova(cpost("/os-server-groups", {"server_group": body}, mv=mv),
                            400)
        self.assertNova(cpost("/os-server-groups", {}), 400)
        self.assertNova(cdelete("/os-server-groups/" + str(uuid.uuid4())), 404)

    def test_other_project_and_all_projects(self):
        _, _, tok = member()
        g = self.group(token=tok, name=uniq("g"), policies=["anti-affinity"])
        _, _, other = member()
        self.assertNova(cget("/os-server-groups/" + g["id"], token=other), 404)
        self.assertNova(cdelete("/os-server-groups/" + g["id"], token=other), 404)
        r = cget("/os-server-groups", token=other)
        self.assertEqual(r.body["server_groups"], [])
        # an admin sees it with all_projects, and by id
        r = cget("/os-server-groups", params={"all_projects": "True"})
        self.assertIn(g["id"], [x["id"] for x in r.body["server_groups"]])
        r = cget("/os-server-groups")
        self.assertNotIn(g["id"], [x["id"] for x in r.body["server_groups"]])
        self.assertStatus(cget("/os-server-groups/" + g["id"]), 200)
        # a member's all_projects is ignored
        r = cget("/os-server-groups", params={"all_projects": "1"}, token=other)
        self.assertEqual(r.body["server_groups"], [])

    def test_list_paging(self):
        _, _, tok = member()
        ids = [self.group(token=tok, name=uniq("g"), policies=["affinity"])["id"]
               for _ in range(3)]
        r = cget("/os-server-groups", params={"limit": 1, "offset": 1}, token=tok)
        self.assertEqual([x["id"] for x in r.body["server_groups"]], ids[1:2])
        r = cget("/os-server-groups", params={"offset": "x"}, token=tok)
        self.assertNova(r, 400)


class TestExtraSpecs(CatTestCase):
    def test_crud(self):
        f = self.flavor()
        base = "/flavors/%s/os-extra_specs" % f["id"]
        r = cpost(base, {"extra_specs": {"hw:cpu_policy": "dedicated", "n": 3}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"extra_specs": {"hw:cpu_policy": "dedicated", "n": "3"}})
        r = cget(base)
        self.assertEqual(r.body, {"extra_specs": {"hw:cpu_policy": "dedicated", "n": "3"}})
        r = cget(base + "/hw:cpu_policy")
        self.assertEqual(r.body, {"hw:cpu_policy": "dedicated"})
        r = cput(base + "/n", {"n": "4"})
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"n": "4"})
        r = cget("/flavors/" + f["id"], mv="2.61")
        self.assertEqual(r.body["flavor"]["extra_specs"], {"hw:cpu_policy": "dedicated",
                                                           "n": "4"})
        self.assertStatus(cdelete(base + "/n"), 200)
        self.assertNova(cget(base + "/n"), 404, "has no extra specs with key n")
        self.assertNova(cdelete(base + "/n"), 404)
        # a member reads them, cannot change them
        _, _, tok = member()
        self.assertStatus(cget(base, token=tok), 200)
        self.assertNova(cpost(base, {"extra_specs": {"a": "b"}}, token=tok), 403)
        self.assertNova(cput(base + "/a", {"a": "b"}, token=tok), 403)
        self.assertNova(cdelete(base + "/hw:cpu_policy", token=tok), 403)

    def test_bad_input(self):
        f = self.flavor()
        base = "/flavors/%s/os-extra_specs" % f["id"]
        for body in ({"extra_specs": {"bad/key": "v"}}, {"extra_specs": {"k": "v" * 256}},
                     {"extra_specs": {"k": None}}, {"extra_specs": {"k": {}}},
                     {"extra_specs": []}, {"specs": {}}, {"extra_specs": {"": "v"}}):
            self.assertNova(cpost(base, body), 400)
        self.assertNova(cput(base + "/a", {"b": "1"}), 400, "Request body and URI mismatch")
        self.assertNova(cput(base + "/a", {"a": "1", "b": "2"}), 400)
        self.assertNova(cput(base + "/a", {}), 400)
        self.assertNova(cpost("/flavors/nope/os-extra_specs", {"extra_specs": {"a": "b"}}),
                        404)
        self.assertNova(cget("/flavors/nope/os-extra_specs"), 404)
        self.assertEqual(cget(base).body, {"extra_specs": {}})


class TestFlavorAccess(CatTestCase):
    def test_private_flavor_access(self):
        f = self.flavor(**{"os-flavor-access:is_public": False})
        pid, _, tok = member()
        # not visible to the project until access is given
        self.assertNova(cget("/flavors/" + f["id"], token=tok), 404)
        r = cget("/flavors", token=tok)
        self.assertNotIn(f["id"], [x["id"] for x in r.body["flavors"]])
        act = "/flavors/%s/action" % f["id"]
        r = cpost(act, {"addTenantAccess": {"tenant": pid}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"flavor_access": [{"flavor_id": f["id"],
                                                     "tenant_id": pid}]})
        self.assertNova(cpost(act, {"addTenantAccess": {"tenant": pid}}), 409,
                        "Flavor access already exists")
        r = cget("/flavors/%s/os-flavor-access" % f["id"])
        self.assertEqual(r.body["flavor_access"], [{"flavor_id": f["id"], "tenant_id": pid}])
        self.assertStatus(cget("/flavors/" + f["id"], token=tok), 200)
        r = cget("/flavors/detail", token=tok)
        self.assertIn(f["id"], [x["id"] for x in r.body["flavors"]])
        # the admin's list: public by default, private ones with is_public=false/none
        r = cget("/flavors", params={"is_public": "false"})
        self.assertIn(f["id"], [x["id"] for x in r.body["flavors"]])
        r = cget("/flavors", params={"is_public": "none"})
        self.assertIn(f["id"], [x["id"] for x in r.body["flavors"]])
        r = cget("/flavors")
        self.assertNotIn(f["id"], [x["id"] for x in r.body["flavors"]])
        r = cpost(act, {"removeTenantAccess": {"tenant": pid}})
        self.assertEqual(r.body, {"flavor_access": []})
        self.assertNova(cpost(act, {"removeTenantAccess": {"tenant": pid}}), 404)
        self.assertNova(cget("/flavors/" + f["id"], token=tok), 404)

    def test_bad_input_and_policy(self):
        pub = self.flavor()
        priv = self.flavor(**{"os-flavor-access:is_public": "false"})
        self.assertNova(cget("/flavors/%s/os-flavor-access" % pub["id"]), 404,
                        "Access list not available for public flavors.")
        self.assertNova(cpost("/flavors/%s/action" % pub["id"],
                              {"addTenantAccess": {"tenant": "p"}}, mv="2.7"), 409,
                        "Can not add access to a public flavor.")
        act = "/flavors/%s/action" % priv["id"]
        for body in ({"addTenantAccess": {}}, {"addTenantAccess": {"tenant": ""}},
                     {"addTenantAccess": {"tenant": 5}}, {"addTenantAccess": "p"},
                     {"removeTenantAccess": {"tenant": "x" * 256}}, {"nope": {}}):
            self.assertNova(cpost(act, body), 400)
        self.assertNova(cpost("/flavors/nope/action", {"addTenantAccess": {"tenant": "p"}}),
                        404)
        _, _, tok = member()
        self.assertNova(cget("/flavors/%s/os-flavor-access" % priv["id"], token=tok), 403)
        self.assertNova(cpost(act, {"addTenantAccess": {"tenant": "p"}}, token=tok), 403)
        self.assertNova(cpost(act, {"removeTenantAccess": {"tenant": "p"}}, token=tok), 403)


class TestExtensions(CatTestCase):
    def test_list_show(self):
        r = cget("/extensions")
        self.assertStatus(r, 200)
        aliases = [e["alias"] for e in r.body["extensions"]]
        for a in ("os-keypairs", "os-flavor-access", "os-server-groups", "os-services",
                  "os-hypervisors", "os-quota-sets"):
            self.assertIn(a, aliases)
        for e in r.body["extensions"]:
            self.assertEqual(set(e), {"alias", "name", "description", "namespace",
                                      "updated", "links"})
        r = cget("/extensions/os-keypairs")
        self.assertEqual(r.body["extension"]["name"], "Keypairs")
        self.assertNova(cget("/extensions/os-nope"), 404)
        # Nova's fixed list, with what Tempest looks for
        names = [e["name"] for e in cget("/extensions").body["extensions"]]
        self.assertEqual(len(names), 99)
        self.assertIn("Hosts", names)
        self.assertStatus(cget("/extensions/os-consoles"), 200)
