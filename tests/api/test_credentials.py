"""/v3/credentials and /v3/users/{id}/credentials/OS-EC2.

Keystone: keystone/api/credentials.py (an ec2 credential's id is
sha256(blob.access), its blob must be JSON with "access"; a user lists
only its own credentials; owner or admin may read/change/delete),
keystone/credential/schema.py (user_id, type, blob required; ec2 needs
project_id), keystone/api/users.py (OS-EC2: POST {"tenant_id"} -> 201
{"credential": {"user_id", "tenant_id", "access", "secret", "trust_id",
"links"}}; an unknown tenant is 404), and /work/notes/tempest-identity-
spec.md 6.13 (PATCH accepts blob, project_id and type)."""
import hashlib
import json
import uuid

from lib import (BASE, TestCase, call, delete, get, member_context, new_project,
                 new_user, patch, post, project_scope, token_for, uniq)


def ec2_blob(access=None):
    return json.dumps({"access": access or uuid.uuid4().hex,
                       "secret": uuid.uuid4().hex})


def new_credential(user_id, token=None, **attrs):
    body = {"user_id": user_id, "type": "cert", "blob": "blob-" + uniq("c")}
    body.update(attrs)
    kw = {} if token is None else {"token": token}
    r = post("/credentials", {"credential": body}, **kw)
    if r.status != 201:
        raise AssertionError("cannot create credential: %r" % r)
    return r.body["credential"]


class TestCredentials(TestCase):
    def test_create_get_update_delete(self):
        u = new_user()
        p1, p2 = new_project(), new_project()
        r = post("/credentials", {"credential": {"user_id": u["id"], "type": "cert",
                                                 "blob": "my-cert", "project_id": p1["id"]}})
        self.assertStatus(r, 201)
        c = r.body["credential"]
        self.assertEqual(c["user_id"], u["id"])
        self.assertEqual(c["project_id"], p1["id"])
        self.assertEqual(c["type"], "cert")
        self.assertEqual(c["blob"], "my-cert")
        self.assertEqual(c["links"]["self"], BASE + "/identity/v3/credentials/" + c["id"])
        got = self.assertExists("/credentials/" + c["id"])["credential"]
        self.assertEqual(got["blob"], "my-cert")
        r = patch("/credentials/" + c["id"], {"credential": {"blob": "new-cert",
                                                             "project_id": p2["id"]}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["credential"]["blob"], "new-cert")
        self.assertEqual(r.body["credential"]["project_id"], p2["id"])
        self.assertEqual(r.body["credential"]["id"], c["id"])
        self.assertStatus(delete("/credentials/" + c["id"]), 204)
        self.assertGone("/credentials/" + c["id"])
        self.assertError(delete("/credentials/" + c["id"]), 404)

    def test_ec2_credential_id_is_sha256_of_access(self):
        u = new_user()
        p = new_project()
        access = uuid.uuid4().hex
        blob = ec2_blob(access)
        r = post("/credentials", {"credential": {"user_id": u["id"], "type": "ec2",
                                                 "blob": blob, "project_id": p["id"]}})
        self.assertStatus(r, 201)
        c = r.body["credential"]
        self.assertEqual(c["id"], hashlib.sha256(access.encode()).hexdigest())
        self.assertEqual(json.loads(c["blob"])["access"], access)
        # tempest's update: blob, project_id and type together
        p2 = new_project()
        new_blob = ec2_blob()
        r = patch("/credentials/" + c["id"], {"credential": {
            "blob": new_blob, "project_id": p2["id"], "type": "ec2"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["credential"]["id"], c["id"])
        self.assertEqual(r.body["credential"]["project_id"], p2["id"])
        self.assertEqual(json.loads(r.body["credential"]["blob"]),
                         json.loads(new_blob))

    def test_list_and_filters(self):
        u1, u2 = new_user(), new_user()
        c1 = new_credential(u1["id"])
        c2 = new_credential(u2["id"], type="other")
        r = get("/credentials")
        self.assertStatus(r, 200)
        self.assertIdIn(c1["id"], r.body["credentials"])
        self.assertIdIn(c2["id"], r.body["credentials"])
        r = get("/credentials", params={"user_id": u1["id"]})
        self.assertEqual([x["id"] for x in r.body["credentials"]], [c1["id"]])
        r = get("/credentials", params={"user_id": u2["id"], "type": "other"})
        self.assertEqual([x["id"] for x in r.body["credentials"]], [c2["id"]])

    def test_deleting_user_deletes_credentials(self):
        u = new_user()
        c = new_credential(u["id"])
        self.assertStatus(delete("/users/" + u["id"]), 204)
        self.assertGone("/credentials/" + c["id"])

    def test_missing_fields_400(self):
        u = new_user()
        for missing in ("user_id", "type", "blob"):
            body = {"user_id": u["id"], "type": "cert", "blob": "b"}
            del body[missing]
            self.assertError(post("/credentials", {"credential": body}), 400, missing)
        self.assertEqual(get("/credentials", params={"user_id": u["id"]})
                         .body["credentials"], [])

    def test_ec2_without_project_400(self):
        u = new_user()
        r = post("/credentials", {"credential": {"user_id": u["id"], "type": "ec2",
                                                 "blob": ec2_blob()}})
        self.assertError(r, 400)

    def test_ec2_blob_not_json_400(self):
        u = new_user()
        r = post("/credentials", {"credential": {"user_id": u["id"], "type": "ec2",
                                                 "blob": "not json",
                                                 "project_id": new_project()["id"]}})
        self.assertError(r, 400)
        self.assertEqual(get("/credentials", params={"user_id": u["id"]})
                         .body["credentials"], [])

    def test_blob_wrong_type_400(self):
        u = new_user()
        r = post("/credentials", {"credential": {"user_id": u["id"], "type": "cert",
                                                 "blob": {"a": 1}}})
        self.assertError(r, 400, "blob")

    def test_malformed_json_400(self):
        r = call("POST", "/credentials", data='{"credential": ',
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_unknown_404(self):
        cid = uuid.uuid4().hex
        self.assertError(get("/credentials/" + cid), 404)
        self.assertError(patch("/credentials/" + cid, {"credential": {"blob": "x"}}), 404)
        self.assertError(delete("/credentials/" + cid), 404)


class TestCredentialsRbac(TestCase):
    def test_member_manages_own_credentials(self):
        m = member_context()
        uid = m["user"]["id"]
        c = new_credential(uid, token=m["token"])
        self.assertEqual(c["user_id"], uid)
        self.assertStatus(get("/credentials/" + c["id"], token=m["token"]), 200)
        r = patch("/credentials/" + c["id"], {"credential": {"blob": "mine"}},
                  token=m["token"])
        self.assertStatus(r, 200)
        self.assertStatus(delete("/credentials/" + c["id"], token=m["token"]), 204)

    def test_member_lists_only_own_credentials(self):
        m = member_context()
        mine = new_credential(m["user"]["id"], token=m["token"])
        other = new_credential(new_user()["id"])
        r = get("/credentials", token=m["token"])
        self.assertStatus(r, 200)
        self.assertIdIn(mine["id"], r.body["credentials"])
        self.assertIdNotIn(other["id"], r.body["credentials"])
        for x in r.body["credentials"]:
            self.assertEqual(x["user_id"], m["user"]["id"])

    def test_member_cannot_create_for_another_user(self):
        m = member_context()
        other = new_user()
        r = post("/credentials", {"credential": {"user_id": other["id"], "type": "cert",
                                                 "blob": "x"}}, token=m["token"])
        self.assertError(r, 403)
        self.assertEqual(get("/credentials", params={"user_id": other["id"]})
                         .body["credentials"], [])

    def test_member_cannot_see_or_touch_others_credentials(self):
        # the house rule (src/identity/api.c nb_id_enforce_entity): a read of
        # what the caller cannot see is a 404, a denied write a 403 whether
        # or not the entity exists (tempest test_project_delete_by_unauthorized_user)
        m = member_context()
        c = new_credential(new_user()["id"])
        self.assertError(get("/credentials/" + c["id"], token=m["token"]), 404)
        self.assertError(patch("/credentials/" + c["id"], {"credential": {"blob": "h"}},
                               token=m["token"]), 403)
        self.assertError(delete("/credentials/" + c["id"], token=m["token"]), 403)
        self.assertEqual(self.assertExists("/credentials/" + c["id"])["credential"]
                         ["blob"], c["blob"])

    def test_no_token_401(self):
        self.assertError(get("/credentials", token=None), 401)


class TestEc2Credentials(TestCase):
    def path(self, user, access=None):
        return "/users/%s/credentials/OS-EC2" % user["id"] + ("/" + access if access else "")

    def test_lifecycle_as_owner(self):
        p = new_project()
        u = new_user(project=p["id"])
        tok = token_for(u, project_scope(p["id"]))
        r = post(self.path(u), {"tenant_id": p["id"]}, token=tok)
        self.assertStatus(r, 201)
        c = r.body["credential"]
        self.assertEqual(c["user_id"], u["id"])
        self.assertEqual(c["tenant_id"], p["id"])
        self.assertTrue(c["access"])
        self.assertTrue(c["secret"])
        self.assertIn("trust_id", c)
        self.assertEqual(c["links"]["self"],
                         BASE + "/identity/v3" + self.path(u, c["access"]))
        r = get(self.path(u, c["access"]), token=tok)
        self.assertStatus(r, 200)
        for k in ("access", "secret", "user_id", "tenant_id"):
            self.assertEqual(r.body["credential"][k], c[k])
        c2 = post(self.path(u), {"tenant_id": p["id"]}, token=tok).body["credential"]
        r = get(self.path(u), token=tok)
        self.assertStatus(r, 200)
        self.assertEqual(sorted(x["access"] for x in r.body["credentials"]),
                         sorted([c["access"], c2["access"]]))
        # they are credentials of type ec2 too
        r = get("/credentials", params={"user_id": u["id"], "type": "ec2"})
        self.assertEqual(sorted(x["id"] for x in r.body["credentials"]),
                         sorted(hashlib.sha256(a.encode()).hexdigest()
                                for a in (c["access"], c2["access"])))
        self.assertStatus(delete(self.path(u, c["access"]), token=tok), 204)
        self.assertError(get(self.path(u, c["access"]), token=tok), 404)
        self.assertError(delete(self.path(u, c["access"]), token=tok), 404)
        self.assertEqual([x["access"] for x in get(self.path(u), token=tok)
                          .body["credentials"]], [c2["access"]])

    def test_unknown_tenant_404(self):
        u = new_user()
        r = post(self.path(u), {"tenant_id": uuid.uuid4().hex})
        self.assertError(r, 404)
        self.assertEqual(get(self.path(u)).body["credentials"], [])

    def test_unknown_user_404(self):
        u = {"id": uuid.uuid4().hex}
        self.assertError(post(self.path(u), {"tenant_id": new_project()["id"]}), 404)
        self.assertError(get(self.path(u)), 404)

    def test_unknown_access_404(self):
        u = new_user()
        self.assertError(get(self.path(u, uuid.uuid4().hex)), 404)
        self.assertError(delete(self.path(u, uuid.uuid4().hex)), 404)

    def test_member_cannot_create_ec2_for_another_user_403(self):
        m = member_context()
        other = new_user()
        r = post(self.path(other), {"tenant_id": m["project"]["id"]}, token=m["token"])
        self.assertError(r, 403)
        self.assertEqual(get(self.path(other)).body["credentials"], [])

    def test_member_cannot_read_anothers_ec2_credential(self):
        m = member_context()
        p = new_project()
        other = new_user(project=p["id"])
        c = post(self.path(other), {"tenant_id": p["id"]},
                 token=token_for(other, project_scope(p["id"]))).body["credential"]
        r = get(self.path(other, c["access"]), token=m["token"])
        self.assertError(r, 404)
        r = delete(self.path(other, c["access"]), token=m["token"])
        self.assertError(r, 403)
        self.assertStatus(get(self.path(other, c["access"])), 200)

    def test_no_token_401(self):
        u = new_user()
        self.assertError(get(self.path(u), token=None), 401)
