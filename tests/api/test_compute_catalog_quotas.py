"""Compute catalog: os-quota-sets, os-quota-class-sets, limits, and the
quotas enforced by keypair and server group creates."""
from cmpcatlib import CatTestCase, member
from cmplib import cdelete, cget, cpost, cput
from lib import uniq

SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDO3PdOliEJj7cPR0ZUVWKPJgitLsSkMKpVwDymW6KA"
           "ygq5/kjsnzCeJ3A3buMefv4scbJ5BCvUXuZzHC/eNQlNedg/nhf/fTfDxzeng+ldCBIjN/U+jjpNji+8"
           "hnh28J6/hq3e6hddg1frAlviJLHjfuJDBtxHqqjL6HbHXMxNtQ== me@host")

ALL_2_1 = {"instances", "cores", "ram", "metadata_items", "injected_files",
           "injected_file_content_bytes", "injected_file_path_bytes", "key_pairs",
           "server_groups", "server_group_members", "fixed_ips", "floating_ips",
           "security_groups", "security_group_rules"}
NET = {"fixed_ips", "floating_ips", "security_groups", "security_group_rules"}
INJ = {"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"}
DEFAULTS = {"instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128,
            "key_pairs": 100, "server_groups": 10, "server_group_members": 10}


class TestQuotaSets(CatTestCase):
    def test_show_defaults_per_microversion(self):
        pid, _, _ = member()
        r = cget("/os-quota-sets/" + pid)
        self.assertStatus(r, 200)
        qs = r.body["quota_set"]
        self.assertEqual(set(qs), ALL_2_1 | {"id"})
        self.assertEqual(qs["id"], pid)
        for k, v in DEFAULTS.items():
            self.assertEqual(qs[k], v, k)
        self.assertEqual(qs["fixed_ips"], -1)
        r = cget("/os-quota-sets/" + pid, mv="2.36")
        self.assertEqual(set(r.body["quota_set"]), ALL_2_1 - NET | {"id"})
        r = cget("/os-quota-sets/" + pid, mv="2.57")
        self.assertEqual(set(r.body["quota_set"]), ALL_2_1 - NET - INJ | {"id"})
        r = cget("/os-quota-sets/%s/defaults" % pid, mv="2.57")
        self.assertEqual(set(r.body["quota_set"]), ALL_2_1 - NET - INJ | {"id"})
        r = cget("/os-quota-sets/%s/detail" % pid, mv="2.57")
        d = r.body["quota_set"]
        self.assertEqual(d["instances"], {"limit": 10, "in_use": 0, "reserved": 0})
        self.assertEqual(d["id"], pid)

    def test_update_delete_and_user_quotas(self):
        pid, uid, tok = member()
        r = cput("/os-quota-sets/" + pid, {"quota_set": {"ram": "5120", "cores": 4,
                                                          "force": True}})
        self.assertStatus(r, 200)
        self.assertNotIn("id", r.body["quota_set"])
        self.assertEqual((r.body["quota_set"]["ram"], r.body["quota_set"]["cores"]),
                         (5120, 4))
        # the member reads its own project's quotas, not another's
        r = cget("/os-quota-sets/" + pid, token=tok)
        self.assertEqual(r.body["quota_set"]["ram"], 5120)
        other, _, _ = member()
        self.assertNova(cget("/os-quota-sets/" + other, token=tok), 403)
        self.assertNova(cput("/os-quota-sets/" + pid, {"quota_set": {"ram": 1}},
                             token=tok), 403)
        self.assertNova(cdelete("/os-quota-sets/" + pid, token=tok), 403)
        # a user's own limit, at most the project's
        r = cput("/os-quota-sets/" + pid, {"quota_set": {"cores": 2}},
                 params={"user_id": uid})
        self.assertEqual(r.body["quota_set"]["cores"], 2)
        self.assertEqual(cget("/os-quota-sets/" + pid, params={"user_id": uid})
                         .body["quota_set"]["cores"], 2)
        self.assertEqual(cget("/os-quota-sets/" + pid).body["quota_set"]["cores"], 4)
        self.assertNova(cput("/os-quota-sets/" + pid, {"quota_set": {"cores": 5}},
                             params={"user_id": uid}), 400, "must be less than or equal to 4")
        self.assertStatus(cdelete("/os-quota-sets/" + pid, params={"user_id": uid}), 202)
        self.assertEqual(cget("/os-quota-sets/" + pid, params={"user_id": uid})
                         .body["quota_set"]["cores"], 4)
        self.assertStatus(cdelete("/os-quota-sets/" + pid), 202)
        self.assertEqual(cget("/os-quota-sets/" + pid).body["quota_set"]["ram"], 51200)

    def test_update_bad_input(self):
        pid, _, _ = member()
        before = cget("/os-quota-sets/" + pid).body
        for body in ({"quota_set": {"ram": -2}}, {"quota_set": {"ram": "x"}},
                     {"quota_set": {"ram": 2 ** 31}}, {"quota_set": {"bogus": 1}},
                     {"quota_set": {"ram": 1.5}}, {"quota_set": {"force": "maybe"}},
                     {"quota_set": []}, {"quota": {"ram": 1}}):
            self.assertNova(cput("/os-quota-sets/" + pid, body), 400)
        self.assertNova(cput("/os-quota-sets/" + pid, {"quota_set": {"floating_ips": 1}},
                             mv="2.36"), 400)
        self.assertNova(cput("/os-quota-sets/" + pid, {"quota_set": {"injected_files": 1}},
                             mv="2.57"), 400)
        # nothing changed
        self.assertEqual(cget("/os-quota-sets/" + pid).body, before)
        self.assertNova(cget("/os-quota-sets/" + pid, params={"x": "1"}, mv="2.75"), 400)

    def test_keypair_and_server_group_quotas(self):
        pid, uid, tok = member()
        cput("/os-quota-sets/" + pid, {"quota_set": {"key_pairs": 1, "server_groups": 1}})
        r = cpost("/os-keypairs", {"keypair": {"name": uniq("k"), "public_key": SSH_KEY}},
                  token=tok)
        self.assertStatus(r, 200)
        name = r.body["keypair"]["name"]
        self.addCleanup(cdelete, "/os-keypairs/" + name, token=tok)
        r = cpost("/os-keypairs", {"keypair": {"name": uniq("k"), "public_key": SSH_KEY}},
                  token=tok)
        self.assertNova(r, 403, "Quota exceeded, too many key pairs.")
        r = cpost("/os-server-groups", {"server_group": {"name": uniq("g"),
                                                         "policies": ["affinity"]}},
                  token=tok)
        self.assertStatus(r, 200)
        self.addCleanup(cdelete, "/os-server-groups/" + r.body["server_group"]["id"],
                        token=tok)
        r = cpost("/os-server-groups", {"server_group": {"name": uniq("g"),
                                                         "policies": ["affinity"]}},
                  token=tok)
        self.assertNova(r, 403, "Quota exceeded, too many server groups.")
        self.assertNova(cput("/os-quota-sets/" + pid, {"quota_set": {"server_groups": 0}}),
                        400, "must be greater than or equal to already used and reserved 1")
        r = cput("/os-quota-sets/" + pid, {"quota_set": {"server_groups": 0,
                                                          "force": "true"}})
        self.assertStatus(r, 200)
        r = cget("/os-quota-sets/%s/detail" % pid, params={"user_id": uid})
        self.assertEqual(r.body["quota_set"]["key_pairs"]["in_use"], 1)
        self.assertEqual(r.body["quota_set"]["server_groups"]["in_use"], 1)


class TestQuotaClasses(CatTestCase):
    def test_show_update(self):
        name = uniq("cls")
        r = cget("/os-quota-class-sets/" + name)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.body["quota_class_set"]),
                         ALL_2_1 - {"server_groups", "server_group_members"} | {"id"})
        r = cget("/os-quota-class-sets/" + name, mv="2.50")
        self.assertEqual(set(r.body["quota_class_set"]), ALL_2_1 - NET | {"id"})
        r = cget("/os-quota-class-sets/" + name, mv="2.57")
        self.assertEqual(set(r.body["quota_class_set"]), ALL_2_1 - NET - INJ | {"id"})
        r = cput("/os-quota-class-sets/" + name, {"quota_class_set": {"cores": 7}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["quota_class_set"]["cores"], 7)
        self.assertNotIn("id", r.body["quota_class_set"])
        for body in ({"quota_class_set": {"cores": "x"}}, {"quota_class_set": {"x": 1}},
                     {"quota_class_set": {"cores": -5}}, {"quota_class": {}}):
            self.assertNova(cput("/os-quota-class-sets/" + name, body), 400)
        self.assertNova(cput("/os-quota-class-sets/" + name,
                             {"quota_class_set": {"fixed_ips": 1}}, mv="2.50"), 400)
        _, _, tok = member()
        self.assertNova(cget("/os-quota-class-sets/" + name, token=tok), 403)
        self.assertNova(cput("/os-quota-class-sets/" + name,
                             {"quota_class_set": {"cores": 1}}, token=tok), 403)

    def test_default_class_is_the_default(self):
        old = cget("/os-quota-class-sets/default").body["quota_class_set"]["metadata_items"]
        self.addCleanup(cput, "/os-quota-class-sets/default",
                        {"quota_class_set": {"metadata_items": old}})
        cput("/os-quota-class-sets/default", {"quota_class_set": {"metadata_items": 77}})
        pid, _, _ = member()
        self.assertEqual(cget("/os-quota-sets/" + pid).body["quota_set"]["metadata_items"], 77)
        self.assertEqual(cget("/os-quota-sets/%s/defaults" % pid)
                         .body["quota_set"]["metadata_items"], 77)


class TestLimits(CatTestCase):
    def test_limits_per_microversion(self):
        pid, _, tok = member()
        r = cget("/limits", token=tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["limits"]["rate"], [])
        a = r.body["limits"]["absolute"]
        self.assertEqual(a["maxTotalInstances"], 10)
        self.assertEqual(a["maxTotalRAMSize"], 51200)
        for k in ("maxImageMeta", "maxPersonality", "maxPersonalitySize",
                  "maxSecurityGroupRules", "maxSecurityGroups", "maxServerMeta",
                  "maxTotalCores", "maxTotalFloatingIps", "maxTotalKeypairs",
                  "totalCoresUsed", "totalFloatingIpsUsed", "totalInstancesUsed",
                  "totalRAMUsed", "totalSecurityGroupsUsed", "maxServerGroups",
                  "maxServerGroupMembers", "totalServerGroupsUsed"):
            self.assertIn(k, a)
        a = cget("/limits", token=tok, mv="2.39").body["limits"]["absolute"]
        self.assertNotIn("maxImageMeta", a)
        self.assertNotIn("maxSecurityGroups", a)
        a = cget("/limits", token=tok, mv="2.57").body["limits"]["absolute"]
        self.assertNotIn("maxPersonality", a)
        # another project's limits: admins only
        cput("/os-quota-sets/" + pid, {"quota_set": {"instances": 3}})
        a = cget("/limits", params={"tenant_id": pid}).body["limits"]["absolute"]
        self.assertEqual(a["maxTotalInstances"], 3)
        self.assertNova(cget("/limits", params={"tenant_id": "x"}, token=tok), 403)
        self.assertNova(cget("/limits", params={"x": "1"}, mv="2.75"), 400)


class TestSimpleTenantUsage(CatTestCase):
    def test_list_show_and_bad_input(self):
        pid, _, tok = member()
        q = {"start": "2020-01-01T00:00:00", "end": "2020-01-02T00:00:00.5"}
        r = cget("/os-simple-tenant-usage", params=dict(q, detailed="1"))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"tenant_usages": []})
        r = cget("/os-simple-tenant-usage/" + pid, params=q, token=tok)
        self.assertEqual(r.body, {"tenant_usage": {}})
        r = cget("/os-simple-tenant-usage/" + pid, params={"start": "2020-01-01 00:00:00.0"},
                 mv="2.40")
        self.assertStatus(r, 200)
        for bad in ({"start": "yesterday"}, {"start": "2020-01-02T00:00:00",
                                             "end": "2020-01-01T00:00:00"},
                    {"end": "2020-13-01T00:00:00"}):
            self.assertNova(cget("/os-simple-tenant-usage", params=bad), 400)
        self.assertNova(cget("/os-simple-tenant-usage", params={"marker": "nope"},
                             mv="2.40"), 400)
        self.assertNova(cget("/os-simple-tenant-usage", params={"limit": "-3"},
                             mv="2.40"), 400)
        self.assertNova(cget("/os-simple-tenant-usage", token=tok), 403)
        # an empty project id
        self.assertNova(cget("/os-simple-tenant-usage/", params=q), 404)
        other, _, _ = member()
        self.assertNova(cget("/os-simple-tenant-usage/" + other, token=tok), 403)
