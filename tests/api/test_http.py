"""HTTP-level behaviour of the identity service: request bodies, content
types, HEAD, Unicode.

Keystone: keystone/server/flask/request_processing/json_body.py (a body
with a Content-Type that is neither JSON nor empty is 400 "Expecting to
find application/json in Content-Type header"; a body that is not a JSON
object is 400), keystone/server/flask/request_processing/middleware
(max_request_body_size 114688: larger bodies are 413), flask (HEAD of a
GET resource answers its headers, no body)."""
import uuid

from lib import (TestCase, call, delete, get, issue, new_project, new_user, post,
                 project_scope, role_id, token_for, uniq)


class TestBodies(TestCase):
    def count(self, name):
        return len(get("/projects", params={"name": name}).body["projects"])

    def test_body_too_large_413(self):
        name = uniq("big")
        r = post("/projects", {"project": {"name": name, "description": "d" * 200000}})
        self.assertError(r, 413)
        self.assertEqual(self.count(name), 0)

    def test_body_just_under_the_limit_201(self):
        name = uniq("fat")
        r = post("/projects", {"project": {"name": name, "description": "d" * 100000}})
        self.assertStatus(r, 201)
        self.assertEqual(len(r.body["project"]["description"]), 100000)

    def test_non_json_content_type_400(self):
        name = uniq("ct")
        r = call("POST", "/projects", data='{"project": {"name": "%s"}}' % name,
                 headers={"Content-Type": "text/plain"})
        self.assertError(r, 400)
        self.assertEqual(self.count(name), 0)

    def test_json_without_content_type_201(self):
        name = uniq("noct")
        r = call("POST", "/projects", data='{"project": {"name": "%s"}}' % name)
        self.assertStatus(r, 201)

    def test_json_with_charset_201(self):
        name = uniq("cs")
        r = call("POST", "/projects", data='{"project": {"name": "%s"}}' % name,
                 headers={"Content-Type": "application/json; charset=UTF-8"})
        self.assertStatus(r, 201)

    def test_body_json_array_400(self):
        self.assertError(call("POST", "/projects", data="[1, 2]",
                              headers={"Content-Type": "application/json"}), 400)

    def test_body_json_scalar_400(self):
        self.assertError(call("POST", "/projects", data='"project"',
                              headers={"Content-Type": "application/json"}), 400)

    def test_body_not_utf8_400(self):
        r = call("POST", "/projects", data=b'{"project": {"name": "\xff\xfe"}}',
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)

    def test_unicode_names_round_trip(self):
        name = "проект-ü-%s-✓" % uuid.uuid4().hex[:6]
        r = post("/projects", {"project": {"name": name, "description": "naïve"}})
        self.assertStatus(r, 201)
        got = self.assertExists("/projects/" + r.body["project"]["id"])["project"]
        self.assertEqual(got["name"], name)
        self.assertEqual(got["description"], "naïve")
        r = get("/projects", params={"name": name})
        self.assertEqual([x["id"] for x in r.body["projects"]], [got["id"]])

    def test_name_length_counts_characters(self):
        # 64 characters, 128 bytes: allowed; 65 characters: too long
        name = ("é" * 52) + uuid.uuid4().hex[:12]
        self.assertEqual(len(name), 64)
        self.assertStatus(post("/projects", {"project": {"name": name}}), 201)
        self.assertError(post("/projects", {"project": {"name": name + "é"}}), 400, "name")

    def test_unicode_password(self):
        u = new_user(password="pässwörd-✓")
        self.assertStatus(issue({"id": u["id"]}, "pässwörd-✓"), 201)
        self.assertError(issue({"id": u["id"]}, "passwort-✓"), 401)


class TestHead(TestCase):
    def test_head_of_a_collection_200_no_body(self):
        r = call("HEAD", "/projects")
        self.assertStatus(r, 200)
        self.assertEqual(r.text, "")

    def test_head_of_an_entity_200_no_body(self):
        p = new_project()
        r = call("HEAD", "/projects/" + p["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.text, "")

    def test_head_of_a_missing_entity_404(self):
        self.assertStatus(call("HEAD", "/projects/" + uuid.uuid4().hex), 404)

    def test_head_without_token_401(self):
        self.assertStatus(call("HEAD", "/projects", token=None), 401)
