"""Compute discovery and microversion negotiation (Nova v2.1)."""
import lib
from lib import call, get
from cmplib import CMP, CmpTestCase, cget


class TestDiscovery(CmpTestCase):
    def test_root_lists_v20_then_v21(self):
        r = call("GET", lib.BASE + "/compute/", token=None)
        self.assertStatus(r, 200)
        self.assertEqual([v["id"] for v in r.body["versions"]], ["v2.0", "v2.1"])
        legacy = r.body["versions"][0]
        self.assertEqual((legacy["status"], legacy["version"], legacy["min_version"]),
                         ("SUPPORTED", "", ""))
        v = r.body["versions"][1]
        self.assertEqual(v["id"], "v2.1")
        self.assertEqual(v["status"], "CURRENT")
        self.assertEqual(v["min_version"], "2.1")
        major, minor = v["version"].split(".")
        self.assertEqual(major, "2")
        self.assertGreaterEqual(int(minor), 79)
        self.assertNotIn("OpenStack-API-Version", r.headers)

    def test_v21_document(self):
        r = call("GET", CMP, token=None)
        self.assertStatus(r, 200)
        v = r.body["version"]
        self.assertEqual(v["id"], "v2.1")
        self.assertIn("media-types", v)
        self.assertTrue(v["links"][0]["href"].endswith("/compute/v2.1/"))

    def test_every_listed_version_document_follows(self):
        r = call("GET", lib.BASE + "/compute/", token=None)
        for v in r.body["versions"]:
            href = [l["href"] for l in v["links"] if l["rel"] == "self"][0]
            d = call("GET", href, token=None)
            self.assertStatus(d, 200)
            self.assertEqual(d.body["version"]["id"], v["id"])
            self.assertEqual([l for l in d.body["version"]["links"] if l["rel"] == "self"],
                             [l for l in v["links"] if l["rel"] == "self"])

    def test_legacy_v2_serves_the_same_api_unversioned(self):
        r = call("GET", lib.BASE + "/compute/v2/flavors",
                 headers={"OpenStack-API-Version": "compute 2.999"})
        self.assertStatus(r, 200)
        self.assertIn("flavors", r.body)
        self.assertNotIn("OpenStack-API-Version", r.headers)
        self.assertNova(call("GET", lib.BASE + "/compute/v2/flavors", token=None), 401)
        self.assertNova(call("GET", lib.BASE + "/compute/v2/no-such"), 404)

    def test_catalog_has_compute(self):
        r = get("/auth/catalog")
        types = {s["type"]: s for s in r.body["catalog"]}
        self.assertIn("compute", types)
        self.assertEqual(types["compute"]["name"], "nova")
        self.assertTrue(types["compute"]["endpoints"][0]["url"].endswith("/compute/v2.1"))


class TestMicroversions(CmpTestCase):
    """Negotiated on an authenticated route (the discovery documents are
    unversioned)."""
    PATH = "/flavors"

    def test_default_is_minimum_and_echoed(self):
        r = cget(self.PATH)
        self.assertEqual(r.headers.get("OpenStack-API-Version"), "compute 2.1")
        self.assertEqual(r.headers.get("X-OpenStack-Nova-API-Version"), "2.1")
        self.assertIn("OpenStack-API-Version", r.headers.get("Vary", ""))

    def test_latest_and_explicit(self):
        top = call("GET", lib.BASE + "/compute/", token=None).body["versions"][-1]["version"]
        r = cget(self.PATH, mv="latest")
        self.assertEqual(r.headers.get("OpenStack-API-Version"), "compute " + top)
        r = cget(self.PATH, mv="2.53")
        self.assertEqual(r.headers.get("OpenStack-API-Version"), "compute 2.53")
        self.assertEqual(r.headers.get("X-OpenStack-Nova-API-Version"), "2.53")

    def test_legacy_header(self):
        r = cget(self.PATH, headers={"X-OpenStack-Nova-API-Version": "2.10"})
        self.assertEqual(r.headers.get("X-OpenStack-Nova-API-Version"), "2.10")
        # the new header wins over the legacy one
        r = cget(self.PATH, headers={"X-OpenStack-Nova-API-Version": "2.10",
                                     "OpenStack-API-Version": "compute 2.20"})
        self.assertEqual(r.headers.get("X-OpenStack-Nova-API-Version"), "2.20")
        # another service's entry is ignored
        r = cget(self.PATH, headers={"OpenStack-API-Version": "volume 3.5"})
        self.assertEqual(r.headers.get("OpenStack-API-Version"), "compute 2.1")
        r = cget(self.PATH, headers={"OpenStack-API-Version": "volume 3.5, compute 2.30"})
        self.assertEqual(r.headers.get("OpenStack-API-Version"), "compute 2.30")

    def test_out_of_range_is_406(self):
        self.assertNova(cget(self.PATH, mv="2.999"), 406, "Version 2.999 is not supported",
                        "Minimum is 2.1")
        self.assertNova(cget(self.PATH, mv="3.0"), 406)
        self.assertNova(cget(self.PATH, mv="2.0"), 406)

    def test_malformed_is_400(self):
        self.assertNova(cget(self.PATH, mv="2.x"), 400, "invalid format")
        self.assertNova(cget(self.PATH, mv="abc"), 400)
        self.assertNova(cget(self.PATH, headers={"X-OpenStack-Nova-API-Version": "2"}), 400)

    def test_no_token_is_401_in_nova_form(self):
        self.assertNova(cget("/flavors", token=None), 401)

    def test_unknown_path_is_404_in_nova_form(self):
        self.assertNova(cget("/no-such-thing"), 404)
