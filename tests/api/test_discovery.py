"""Version discovery, unknown paths and methods, and the request id.

Keystone: keystone/api/discovery.py (GET / answers 300 Multiple Choices
with {"versions": {"values": [...]}}, GET /v3 answers {"version": ...});
oslo.middleware request_id for X-Openstack-Request-Id."""
import uuid

from lib import BASE, REQ_ID_RE, TestCase, call, get, member_context


class TestVersions(TestCase):
    def check_version(self, v):
        self.assertTrue(v["id"].startswith("v3."), v)
        self.assertEqual(v["status"], "stable")
        self.assertIn("updated", v)
        self.assertIn({"base": "application/json",
                       "type": "application/vnd.openstack.identity-v3+json"},
                      v["media-types"])
        selfs = [l["href"] for l in v["links"] if l["rel"] == "self"]
        self.assertEqual(len(selfs), 1, v)
        self.assertEqual(selfs[0].rstrip("/"), BASE + "/identity/v3")

    def test_versions_root_300_multiple_choices(self):
        r = get("/identity/", token=None)
        self.assertStatus(r, 300)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        values = r.body["versions"]["values"]
        self.assertEqual(len(values), 1)
        self.check_version(values[0])

    def test_versions_root_location_header(self):
        # keystone/api/discovery.py: the 300 names the preferred version
        r = get("/identity/", token=None)
        self.assertStatus(r, 300)
        self.assertEqual(r.headers.get("Location", "").rstrip("/"), BASE + "/identity/v3")

    def test_versions_root_without_slash_300(self):
        r = get("/identity", token=None)
        self.assertStatus(r, 300)
        self.check_version(r.body["versions"]["values"][0])

    def test_v3_version_200(self):
        r = get("/identity/v3", token=None)
        self.assertStatus(r, 200)
        self.check_version(r.body["version"])

    def test_v3_version_trailing_slash_200(self):
        r = get("/identity/v3/", token=None)
        self.assertStatus(r, 200)
        self.check_version(r.body["version"])

    def test_discovery_ignores_a_bad_token(self):
        # version discovery is public: a bad token does not matter
        r = get("/identity/v3", token="not-a-token")
        self.assertStatus(r, 200)

    def test_versions_head_200(self):
        r = call("HEAD", "/identity/v3", token=None)
        self.assertStatus(r, 200)
        self.assertEqual(r.text, "")


class TestUnknownRoutes(TestCase):
    def test_unknown_path_404_json(self):
        self.assertError(get("/no-such-collection"), 404)

    def test_unknown_path_unauthenticated_404(self):
        self.assertError(get("/no-such-collection", token=None), 404)

    def test_unknown_nested_path_404(self):
        self.assertError(get("/users/x/y/z/w"), 404)

    def test_wrong_method_405_json(self):
        self.assertError(call("PUT", "/users"), 405)

    def test_wrong_method_on_auth_tokens_405(self):
        self.assertError(call("PATCH", "/auth/tokens"), 405)


class TestRequestId(TestCase):
    def test_request_id_generated(self):
        r = get("/identity/v3", token=None)
        rid = r.headers.get("X-Openstack-Request-Id")
        self.assertTrue(rid and REQ_ID_RE.match(rid), rid)

    def test_request_ids_differ_between_requests(self):
        a = get("/identity/v3", token=None).headers["X-Openstack-Request-Id"]
        b = get("/identity/v3", token=None).headers["X-Openstack-Request-Id"]
        self.assertNotEqual(a, b)

    def test_valid_incoming_request_id_echoed(self):
        rid = "req-%s" % uuid.uuid4()
        r = get("/projects", headers={"X-Openstack-Request-Id": rid})
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("X-Openstack-Request-Id"), rid)

    def test_valid_incoming_request_id_echoed_on_error(self):
        rid = "req-%s" % uuid.uuid4()
        r = get("/projects/%s" % uuid.uuid4().hex,
                headers={"X-Openstack-Request-Id": rid})
        self.assertError(r, 404)
        self.assertEqual(r.headers.get("X-Openstack-Request-Id"), rid)

    def test_valid_incoming_request_id_echoed_on_401(self):
        rid = "req-%s" % uuid.uuid4()
        r = get("/projects", token="garbage",
                headers={"X-Openstack-Request-Id": rid})
        self.assertError(r, 401)
        self.assertEqual(r.headers.get("X-Openstack-Request-Id"), rid)

    def test_invalid_incoming_request_ids_replaced(self):
        for bad in ["bogus", "req-", "req-1234", "req-%s" % uuid.uuid4().hex,
                    "%s" % uuid.uuid4(), "req-%sx" % uuid.uuid4(),
                    "REQ-%s" % uuid.uuid4(), "req-%s" % ("z" * 36),
                    "req-<script>",
                    "x" * 300]:
            r = get("/identity/v3", token=None,
                    headers={"X-Openstack-Request-Id": bad})
            rid = r.headers.get("X-Openstack-Request-Id")
            self.assertNotEqual(rid, bad)
            self.assertTrue(rid and REQ_ID_RE.match(rid), "%r -> %r" % (bad, rid))

    def test_request_id_on_204_and_head(self):
        m = member_context()
        r = call("HEAD", "/auth/tokens", token=m["token"],
                 headers={"X-Subject-Token": m["token"]})
        self.assertStatus(r, 200)
        self.assertTrue(REQ_ID_RE.match(r.headers.get("X-Openstack-Request-Id", "")))

    def test_request_id_on_400(self):
        r = call("POST", "/projects", data="{not json",
                 headers={"Content-Type": "application/json"})
        self.assertError(r, 400)
        self.assertTrue(REQ_ID_RE.match(r.headers.get("X-Openstack-Request-Id", "")))
