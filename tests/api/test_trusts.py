"""OS-TRUST: trusts, their roles, and trust-scoped tokens.

Keystone: keystone/api/trusts.py (the caller must be the trustor: 403;
roles by id or name must be effective roles of the trustor on the
project: 404 RoleNotFound; trustee and project must exist: 404; a trust
with a project needs roles: 403; list without filter is admin only;
GET/HEAD .../roles/{id} answer 200, a role outside the trust 404),
keystone/trust/schema.py (trustor_user_id, trustee_user_id, impersonation
required; remaining_uses >= 1), keystone/common/utils.py
parse_expiration_date (malformed or past -> 400),
keystone/trust/backends/sql.py get_trust (expired or used-up trusts are
not found -> 401 when authenticating), keystone/auth/plugins/token.py
(a trust-scoped token cannot make another token: 403),
/work/notes/tempest-identity-spec.md 6.19."""
import datetime
import uuid

from lib import (BASE, TestCase, call, delete, get, head, issue, member_context,
                 new_project, new_role, new_user, post, project_scope, put,
                 role_id, token_for, uniq)

TRUSTS = "/OS-TRUST/trusts"


class Base(TestCase):
    def setUp(self):
        self.p = new_project()
        self.trustor = new_user(project=self.p["id"])
        self.delegated = new_role()
        self.kept = new_role()
        for role in (self.delegated, self.kept):
            self.assertStatus(put("/projects/%s/users/%s/roles/%s" % (
                self.p["id"], self.trustor["id"], role["id"])), 204)
        self.trustee = new_user()
        self.tok = token_for(self.trustor, project_scope(self.p["id"]))

    def body(self, **attrs):
        b = {"trustor_user_id": self.trustor["id"],
             "trustee_user_id": self.trustee["id"],
             "project_id": self.p["id"], "impersonation": False,
             "roles": [{"name": self.delegated["name"]}]}
        b.update(attrs)
        return {"trust": {k: v for k, v in b.items() if v is not None}}

    def create(self, **attrs):
        r = post(TRUSTS, self.body(**attrs), token=self.tok)
        if r.status != 201:
            raise AssertionError("cannot create trust: %r" % r)
        return r.body["trust"]

    def trust_token(self, trust, user=None):
        user = user or self.trustee
        return issue({"id": user["id"]}, user["password"],
                     {"OS-TRUST:trust": {"id": trust["id"]}})


class TestTrusts(Base):
    def test_create_201_and_fields(self):
        r = post(TRUSTS, self.body(), token=self.tok)
        self.assertStatus(r, 201)
        t = r.body["trust"]
        self.assertTrue(t["id"])
        self.assertEqual(t["trustor_user_id"], self.trustor["id"])
        self.assertEqual(t["trustee_user_id"], self.trustee["id"])
        self.assertEqual(t["project_id"], self.p["id"])
        self.assertIs(t["impersonation"], False)
        self.assertIsNone(t["expires_at"])
        self.assertIsNone(t["remaining_uses"])
        self.assertEqual([x["id"] for x in t["roles"]], [self.delegated["id"]])
        self.assertEqual(t["roles"][0]["name"], self.delegated["name"])
        self.assertIn("v3/roles/" + self.delegated["id"], t["roles"][0]["links"]["self"])
        self.assertEqual(t["links"]["self"], BASE + "/identity/v3/OS-TRUST/trusts/" + t["id"])
        self.assertIn("roles_links", t)

    def test_get_as_trustor_trustee_and_admin(self):
        t = self.create()
        for tok in (self.tok, token_for(self.trustee), None):
            kw = {} if tok is None else {"token": tok}
            r = get(TRUSTS + "/" + t["id"], **kw)
            self.assertStatus(r, 200)
            self.assertEqual(r.body["trust"]["id"], t["id"])
            self.assertEqual([x["id"] for x in r.body["trust"]["roles"]],
                             [self.delegated["id"]])

    def test_expires_at_round_trip(self):
        when = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        t = self.create(expires_at=when)
        self.assertEqual(t["expires_at"], when[:-1] + ".000000Z")
        r = get(TRUSTS + "/" + t["id"], token=self.tok)
        self.assertEqual(r.body["trust"]["expires_at"], when[:-1] + ".000000Z")

    def test_list(self):
        t = self.create()
        r = get(TRUSTS)                                   # admin: all
        self.assertStatus(r, 200)
        self.assertIdIn(t["id"], r.body["trusts"])
        r = get(TRUSTS + "/", params={"trustor_user_id": self.trustor["id"]},
                token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["trusts"]], [t["id"]])
        self.assertNotIn("roles", r.body["trusts"][0])
        r = get(TRUSTS, params={"trustee_user_id": self.trustee["id"]},
                token=token_for(self.trustee))
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["trusts"]], [t["id"]])

    def test_list_all_as_non_admin_403(self):
        self.create()
        self.assertError(get(TRUSTS, token=self.tok), 403)

    def test_list_for_another_trustor_403(self):
        self.create()
        r = get(TRUSTS, params={"trustor_user_id": self.trustor["id"]},
                token=member_context()["token"])
        self.assertError(r, 403)

    def test_roles(self):
        t = self.create()
        r = get(TRUSTS + "/%s/roles" % t["id"], token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["roles"]], [self.delegated["id"]])
        path = TRUSTS + "/%s/roles/%s" % (t["id"], self.delegated["id"])
        r = get(path, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["role"]["id"], self.delegated["id"])
        self.assertEqual(r.body["role"]["name"], self.delegated["name"])
        self.assertStatus(head(path, token=self.tok), 200)
        other = TRUSTS + "/%s/roles/%s" % (t["id"], self.kept["id"])
        self.assertError(get(other, token=self.tok), 404)
        self.assertStatus(head(other, token=self.tok), 404)

    def test_delete_204_then_404(self):
        t = self.create()
        self.assertStatus(delete(TRUSTS + "/" + t["id"], token=self.tok), 204)
        self.assertError(get(TRUSTS + "/" + t["id"], token=self.tok), 404)
        self.assertError(delete(TRUSTS + "/" + t["id"], token=self.tok), 404)
        self.assertError(get(TRUSTS + "/%s/roles" % t["id"], token=self.tok), 404)

    def test_unknown_404(self):
        tid = uuid.uuid4().hex
        self.assertError(get(TRUSTS + "/" + tid), 404)
        self.assertError(delete(TRUSTS + "/" + tid), 404)
        self.assertError(get(TRUSTS + "/%s/roles" % tid), 404)
        self.assertError(get(TRUSTS + "/%s/roles/%s" % (tid, role_id("member"))), 404)

    def test_trustee_cannot_delete_403(self):
        t = self.create()
        r = delete(TRUSTS + "/" + t["id"], token=token_for(self.trustee))
        self.assertError(r, 403)
        self.assertStatus(get(TRUSTS + "/" + t["id"], token=self.tok), 200)

    def test_unrelated_user_cannot_see_or_delete(self):
        t = self.create()
        m = member_context()
        self.assertError(get(TRUSTS + "/" + t["id"], token=m["token"]), 404)
        self.assertError(get(TRUSTS + "/%s/roles" % t["id"], token=m["token"]), 404)
        self.assertError(delete(TRUSTS + "/" + t["id"], token=m["token"]), 403)
        self.assertStatus(get(TRUSTS + "/" + t["id"], token=self.tok), 200)


class TestTrustErrors(Base):
    def check_not_created(self):
        r = get(TRUSTS, params={"trustor_user_id": self.trustor["id"]}, token=self.tok)
        self.assertEqual(r.body["trusts"], [])

    def test_caller_must_be_trustor_403(self):
        r = post(TRUSTS, self.body(), token=token_for(self.trustee))
        self.assertError(r, 403)
        self.check_not_created()

    def test_admin_cannot_create_for_another_trustor_403(self):
        self.assertError(post(TRUSTS, self.body()), 403)
        self.check_not_created()

    def test_role_not_held_404(self):
        r = post(TRUSTS, self.body(roles=[{"id": role_id("admin")}]), token=self.tok)
        self.assertError(r, 404)
        self.check_not_created()

    def test_unknown_role_name_404(self):
        r = post(TRUSTS, self.body(roles=[{"name": uniq("norole")}]), token=self.tok)
        self.assertError(r, 404)
        self.check_not_created()

    def test_unknown_trustee_404(self):
        r = post(TRUSTS, self.body(trustee_user_id=uuid.uuid4().hex), token=self.tok)
        self.assertError(r, 404)
        self.check_not_created()

    def test_unknown_project_404(self):
        r = post(TRUSTS, self.body(project_id=uuid.uuid4().hex), token=self.tok)
        self.assertError(r, 404)
        self.check_not_created()

    def test_project_without_roles_403(self):
        r = post(TRUSTS, self.body(roles=[]), token=self.tok)
        self.assertError(r, 403)
        self.check_not_created()

    def test_blank_role_name_400(self):
        # trust/schema.py _role_properties: name is parameter_types.name,
        # pattern [\S]+ (the schema application credentials share)
        r = post(TRUSTS, self.body(roles=[{"name": "   "}]), token=self.tok)
        self.assertError(r, 400, "roles/0/name")
        self.check_not_created()

    def test_missing_impersonation_400(self):
        body = self.body()
        del body["trust"]["impersonation"]
        self.assertError(post(TRUSTS, body, token=self.tok), 400, "impersonation")
        self.check_not_created()

    def test_impersonation_wrong_type_400(self):
        r = post(TRUSTS, self.body(impersonation="yes"), token=self.tok)
        self.assertError(r, 400, "impersonation")

    def test_missing_trustee_400(self):
        body = self.body()
        del body["trust"]["trustee_user_id"]
        self.assertError(post(TRUSTS, body, token=self.tok), 400, "trustee_user_id")

    def test_remaining_uses_zero_400(self):
        self.assertError(post(TRUSTS, self.body(remaining_uses=0), token=self.tok), 400,
                         "remaining_uses")

    def test_expires_at_malformed_400(self):
        r = post(TRUSTS, self.body(expires_at="bad.123Z"), token=self.tok)
        self.assertError(r, 400)
        self.check_not_created()

    def test_expires_at_in_the_past_400(self):
        r = post(TRUSTS, self.body(expires_at="2001-01-01T00:00:00Z"), token=self.tok)
        self.assertError(r, 400)
        self.check_not_created()

    def test_malformed_json_400(self):
        r = call("POST", TRUSTS, token=self.tok, data='{"trust": [',
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_missing_trust_object_403(self):
        # Keystone enforces identity:create_trust on the (empty) trust before
        # validating it: the caller is not its trustor
        self.assertError(post(TRUSTS, {"trustor_user_id": self.trustor["id"]},
                              token=self.tok), 403)


class TestTrustTokens(Base):
    def test_trust_scoped_token(self):
        t = self.create()
        r = self.trust_token(t)
        self.assertStatus(r, 201)
        tok = r.body["token"]
        self.assertEqual(tok["OS-TRUST:trust"]["id"], t["id"])
        self.assertEqual(tok["OS-TRUST:trust"]["trustor_user"]["id"], self.trustor["id"])
        self.assertEqual(tok["OS-TRUST:trust"]["trustee_user"]["id"], self.trustee["id"])
        self.assertIs(tok["OS-TRUST:trust"]["impersonation"], False)
        self.assertEqual(tok["user"]["id"], self.trustee["id"])
        self.assertEqual(tok["project"]["id"], self.p["id"])
        self.assertEqual([x["id"] for x in tok["roles"]], [self.delegated["id"]])
        v = get("/auth/tokens", headers={"X-Subject-Token": r.token})
        self.assertStatus(v, 200)
        self.assertEqual(v.body["token"]["OS-TRUST:trust"]["id"], t["id"])

    def test_impersonation_token_is_the_trustors(self):
        t = self.create(impersonation=True)
        r = self.trust_token(t)
        self.assertStatus(r, 201)
        self.assertEqual(r.body["token"]["user"]["id"], self.trustor["id"])
        self.assertIs(r.body["token"]["OS-TRUST:trust"]["impersonation"], True)

    def test_only_the_trustee_may_use_it_403(self):
        t = self.create()
        other = new_user()
        self.assertError(self.trust_token(t, other), 403)

    def test_deleting_the_trust_revokes_its_tokens(self):
        t = self.create()
        r = self.trust_token(t)
        self.assertStatus(r, 201)
        self.assertStatus(delete(TRUSTS + "/" + t["id"], token=self.tok), 204)
        self.assertTokenInvalid(r.token)
        self.assertError(self.trust_token(t), 401)

    def test_remaining_uses_are_spent(self):
        t = self.create(remaining_uses=1)
        self.assertEqual(t["remaining_uses"], 1)
        self.assertStatus(self.trust_token(t), 201)
        self.assertError(self.trust_token(t), 401)

    def test_trustor_losing_the_role_invalidates_trust_tokens(self):
        t = self.create()
        r = self.trust_token(t)
        self.assertStatus(delete("/projects/%s/users/%s/roles/%s" % (
            self.p["id"], self.trustor["id"], self.delegated["id"])), 204)
        self.assertTokenInvalid(r.token)

    def test_trust_token_cannot_make_another_token_403(self):
        t = self.create()
        r = self.trust_token(t)
        r2 = post("/auth/tokens", {"auth": {"identity": {"methods": ["token"],
                                                         "token": {"id": r.token}}}},
                  token=None)
        self.assertError(r2, 403)

    def test_trust_token_cannot_create_trusts_or_app_creds_403(self):
        t = self.create()
        r = self.trust_token(t)
        body = {"trust": {"trustor_user_id": self.trustee["id"],
                          "trustee_user_id": self.trustor["id"], "impersonation": False}}
        self.assertError(post(TRUSTS, body, token=r.token), 403)
        r2 = post("/users/%s/application_credentials" % self.trustee["id"],
                  {"application_credential": {"name": uniq("a")}}, token=r.token)
        self.assertError(r2, 403)

    def test_trust_without_project_gives_unscoped_delegation(self):
        t = self.create(project_id=None, roles=None)
        self.assertIsNone(t["project_id"])
        self.assertEqual(t["roles"], [])
