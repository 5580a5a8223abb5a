"""/v3/policies, /v3/OS-OAUTH1/consumers and domain configuration
(/v3/domains/{id}/config..., /v3/domains/config/.../default).

Keystone: keystone/api/policy.py and keystone/policy/schema.py (blob and
type required, type at most 255), keystone/api/os_oauth1.py and
keystone/oauth1/schema.py (the secret is shown only on create and cannot
be updated: 400), keystone/api/domains.py DomainConfig* and
keystone/resource/core.py DomainConfigManager (PUT answers 201, 200 when
replacing; groups identity and ldap with whitelisted options, else 403
InvalidDomainConfig; ldap password is sensitive, never shown; no config
-> 404), /work/notes/tempest-identity-spec.md 6.15-6.17."""
import uuid

from lib import (BASE, TestCase, call, delete, get, member_context, new_domain,
                 patch, post, put, uniq)


class TestPolicies(TestCase):
    def test_crud(self):
        r = post("/policies", {"policy": {"blob": '{"a": "b"}', "type": "application/json"}})
        self.assertStatus(r, 201)
        pol = r.body["policy"]
        self.assertEqual(pol["blob"], '{"a": "b"}')
        self.assertEqual(pol["type"], "application/json")
        self.assertEqual(pol["links"]["self"], BASE + "/identity/v3/policies/" + pol["id"])
        self.assertEqual(self.assertExists("/policies/" + pol["id"])["policy"]["blob"],
                         '{"a": "b"}')
        r = get("/policies")
        self.assertStatus(r, 200)
        self.assertIdIn(pol["id"], r.body["policies"])
        t = uniq("type")
        r = patch("/policies/" + pol["id"], {"policy": {"type": t}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["policy"]["type"], t)
        got = self.assertExists("/policies/" + pol["id"])["policy"]
        self.assertEqual(got["type"], t)
        self.assertEqual(got["blob"], '{"a": "b"}')
        r = get("/policies", params={"type": t})
        self.assertEqual([x["id"] for x in r.body["policies"]], [pol["id"]])
        self.assertStatus(delete("/policies/" + pol["id"]), 204)
        self.assertGone("/policies/" + pol["id"])
        self.assertError(delete("/policies/" + pol["id"]), 404)

    def test_missing_blob_400(self):
        t = uniq("type")
        self.assertError(post("/policies", {"policy": {"type": t}}), 400, "blob")
        self.assertEqual(get("/policies", params={"type": t}).body["policies"], [])

    def test_missing_type_400(self):
        self.assertError(post("/policies", {"policy": {"blob": "{}"}}), 400, "type")

    def test_type_too_long_400(self):
        self.assertError(post("/policies", {"policy": {"blob": "{}", "type": "t" * 256}}),
                         400, "type")

    def test_blob_wrong_type_400(self):
        self.assertError(post("/policies", {"policy": {"blob": {}, "type": "x"}}), 400,
                         "blob")

    def test_update_empty_400(self):
        pol = post("/policies", {"policy": {"blob": "{}", "type": "x"}}).body["policy"]
        self.assertError(patch("/policies/" + pol["id"], {"policy": {}}), 400)

    def test_unknown_404(self):
        pid = uuid.uuid4().hex
        self.assertError(get("/policies/" + pid), 404)
        self.assertError(patch("/policies/" + pid, {"policy": {"type": "x"}}), 404)
        self.assertError(delete("/policies/" + pid), 404)

    def test_member_403(self):
        m = member_context()
        self.assertError(get("/policies", token=m["token"]), 403)
        t = uniq("type")
        self.assertError(post("/policies", {"policy": {"blob": "{}", "type": t}},
                              token=m["token"]), 403)
        self.assertEqual(get("/policies", params={"type": t}).body["policies"], [])


class TestConsumers(TestCase):
    C = "/OS-OAUTH1/consumers"

    def test_crud(self):
        r = post(self.C, {"consumer": {"description": "c1"}})
        self.assertStatus(r, 201)
        c = r.body["consumer"]
        self.assertTrue(c["id"])
        self.assertTrue(c["secret"])
        self.assertEqual(c["description"], "c1")
        self.assertEqual(c["links"]["self"],
                         BASE + "/identity/v3/OS-OAUTH1/consumers/" + c["id"])
        got = self.assertExists(self.C + "/" + c["id"])["consumer"]
        self.assertNotIn("secret", got)
        self.assertEqual(got["description"], "c1")
        self.assertEqual(got["links"], c["links"])
        r = get(self.C)
        self.assertStatus(r, 200)
        self.assertIdIn(c["id"], r.body["consumers"])
        for x in r.body["consumers"]:
            self.assertNotIn("secret", x)
        r = patch(self.C + "/" + c["id"], {"consumer": {"description": "c2"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["consumer"]["description"], "c2")
        self.assertNotIn("secret", r.body["consumer"])
        self.assertStatus(delete(self.C + "/" + c["id"]), 204)
        self.assertGone(self.C + "/" + c["id"])
        self.assertError(delete(self.C + "/" + c["id"]), 404)

    def test_create_with_null_description(self):
        r = post(self.C, {"consumer": {"description": None}})
        self.assertStatus(r, 201)
        self.assertIsNone(r.body["consumer"]["description"])

    def test_update_secret_400(self):
        c = post(self.C, {"consumer": {"description": "s"}}).body["consumer"]
        self.assertError(patch(self.C + "/" + c["id"], {"consumer": {"secret": "x"}}), 400)

    def test_description_wrong_type_400(self):
        self.assertError(post(self.C, {"consumer": {"description": 7}}), 400,
                         "description")

    def test_unknown_404(self):
        cid = uuid.uuid4().hex
        self.assertError(get(self.C + "/" + cid), 404)
        self.assertError(patch(self.C + "/" + cid, {"consumer": {"description": "x"}}), 404)
        self.assertError(delete(self.C + "/" + cid), 404)

    def test_member_403(self):
        m = member_context()
        self.assertError(get(self.C, token=m["token"]), 403)
        self.assertError(post(self.C, {"consumer": {"description": "m"}},
                              token=m["token"]), 403)


CUSTOM = {"identity": {"driver": "ldap"},
          "ldap": {"url": "ldap://myldap.com:389/",
                   "user_tree_dn": "ou=Users,dc=my_new_root,dc=org"}}


class TestDomainConfig(TestCase):
    def cfg(self, d, *rest):
        return "/domains/%s/config" % d["id"] + "".join("/" + x for x in rest)

    def test_create_show_groups_and_options(self):
        d = new_domain()
        self.assertError(get(self.cfg(d)), 404)
        r = put(self.cfg(d), {"config": CUSTOM})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["config"], CUSTOM)
        self.assertEqual(get(self.cfg(d)).body["config"], CUSTOM)
        for group, opts in CUSTOM.items():
            r = get(self.cfg(d, group))
            self.assertStatus(r, 200)
            self.assertEqual(r.body["config"], {group: opts})
            for opt, val in opts.items():
                r = get(self.cfg(d, group, opt))
                self.assertStatus(r, 200)
                self.assertEqual(r.body["config"], {opt: val})
        # a second PUT replaces and answers 200
        r = put(self.cfg(d), {"config": {"identity": {"driver": "sql"}}})
        self.assertStatus(r, 200)
        self.assertEqual(get(self.cfg(d)).body["config"], {"identity": {"driver": "sql"}})

    def test_update_and_delete(self):
        d = new_domain()
        self.assertStatus(put(self.cfg(d), {"config": CUSTOM}), 201)
        new = {"identity": {"driver": "ldap"},
               "ldap": {"url": "ldap://other:389/",
                        "user_tree_dn": CUSTOM["ldap"]["user_tree_dn"]}}
        r = patch(self.cfg(d), {"config": {"ldap": {"url": "ldap://other:389/"}}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["config"], new)
        r = patch(self.cfg(d, "identity"),
                  {"config": {"identity": {"driver": "drv1", "list_limit": 10}}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["config"]["identity"], {"driver": "drv1", "list_limit": 10})
        self.assertEqual(r.body["config"]["ldap"], new["ldap"])
        r = patch(self.cfg(d, "identity", "driver"), {"config": {"driver": "drv2"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["config"]["identity"]["driver"], "drv2")
        self.assertStatus(delete(self.cfg(d, "identity", "driver")), 204)
        self.assertError(get(self.cfg(d, "identity", "driver")), 404)
        self.assertEqual(get(self.cfg(d, "identity")).body["config"],
                         {"identity": {"list_limit": 10}})
        self.assertStatus(delete(self.cfg(d, "identity")), 204)
        self.assertError(get(self.cfg(d, "identity")), 404)
        self.assertStatus(delete(self.cfg(d)), 204)
        self.assertError(get(self.cfg(d)), 404)
        # deleting the whole config does not check that there is one
        self.assertStatus(delete(self.cfg(d)), 204)
        self.assertError(delete(self.cfg(d, "ldap")), 404)

    def test_sensitive_password_not_shown(self):
        d = new_domain()
        conf = {"ldap": {"url": "ldap://x/", "password": "s3cret"}}
        r = put(self.cfg(d), {"config": conf})
        self.assertStatus(r, 201)
        self.assertNotIn("password", r.body["config"]["ldap"])
        self.assertNotIn("password", get(self.cfg(d)).body["config"]["ldap"])
        # stored apart from the whitelisted options: not found when read
        self.assertError(get(self.cfg(d, "ldap", "password")), 404)

    def test_invalid_group_403(self):
        d = new_domain()
        self.assertError(put(self.cfg(d), {"config": {"bogus": {"x": "1"}}}), 403)
        self.assertError(get(self.cfg(d)), 404)

    def test_invalid_option_403(self):
        d = new_domain()
        self.assertError(put(self.cfg(d), {"config": {"ldap": {"nope": "1"}}}), 403)
        self.assertError(get(self.cfg(d)), 404)

    def test_empty_config_403(self):
        d = new_domain()
        self.assertError(put(self.cfg(d), {"config": {}}), 403)

    def test_group_not_an_object_403(self):
        d = new_domain()
        self.assertError(put(self.cfg(d), {"config": {"ldap": "x"}}), 403)

    def test_patch_option_absent_404(self):
        d = new_domain()
        self.assertStatus(put(self.cfg(d), {"config": {"identity": {"driver": "x"}}}),
                          201)
        r = patch(self.cfg(d, "ldap"), {"config": {"ldap": {"url": "ldap://y/"}}})
        self.assertError(r, 404)

    def test_patch_mismatched_option_403(self):
        d = new_domain()
        self.assertStatus(put(self.cfg(d), {"config": CUSTOM}), 201)
        r = patch(self.cfg(d, "ldap", "url"), {"config": {"user_tree_dn": "x"}})
        self.assertError(r, 403)
        self.assertEqual(get(self.cfg(d)).body["config"], CUSTOM)

    def test_unknown_domain_404(self):
        d = {"id": uuid.uuid4().hex}
        self.assertError(put(self.cfg(d), {"config": CUSTOM}), 404)
        self.assertError(get(self.cfg(d)), 404)
        self.assertError(patch(self.cfg(d), {"config": CUSTOM}), 404)
        self.assertError(delete(self.cfg(d)), 404)

    def test_deleting_the_domain_deletes_its_config(self):
        d = new_domain()
        self.assertStatus(put(self.cfg(d), {"config": CUSTOM}), 201)
        self.assertStatus(patch("/domains/" + d["id"], {"domain": {"enabled": False}}), 200)
        self.assertStatus(delete("/domains/" + d["id"]), 204)
        self.assertError(get(self.cfg(d)), 404)

    def test_defaults(self):
        r = get("/domains/config/default")
        self.assertStatus(r, 200)
        self.assertIn("identity", r.body["config"])
        self.assertIn("ldap", r.body["config"])
        self.assertNotIn("password", r.body["config"]["ldap"])
        r = get("/domains/config/identity/default")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["config"], {"identity": {"driver": "sql",
                                                         "list_limit": None}})
        r = get("/domains/config/identity/driver/default")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["config"], {"driver": "sql"})
        ldap = get("/domains/config/ldap/default").body["config"]["ldap"]
        self.assertEqual(ldap["url"], "ldap://localhost")
        for opt in ("url", "user_tree_dn", "page_size", "use_tls"):
            r = get("/domains/config/ldap/%s/default" % opt)
            self.assertStatus(r, 200)
            self.assertEqual(r.body["config"], {opt: ldap[opt]})

    def test_default_of_unknown_group_or_option_403(self):
        self.assertError(get("/domains/config/bogus/default"), 403)
        self.assertError(get("/domains/config/ldap/bogus/default"), 403)
        self.assertError(get("/domains/config/ldap/password/default"), 403)

    def test_member_denied(self):
        m = member_context()
        d = new_domain()
        self.assertStatus(put(self.cfg(d), {"config": CUSTOM}), 201)
        self.assertError(get(self.cfg(d), token=m["token"]), 403)
        self.assertError(put(self.cfg(d), {"config": {"identity": {"driver": "h"}}},
                             token=m["token"]), 403)
        self.assertError(delete(self.cfg(d), token=m["token"]), 403)
        self.assertEqual(get(self.cfg(d)).body["config"], CUSTOM)

    def test_no_token_401(self):
        d = new_domain()
        self.assertError(get(self.cfg(d), token=None), 401)
