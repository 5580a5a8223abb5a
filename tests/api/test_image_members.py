"""Image sharing: members of shared images, who may add, see, answer and
remove them, and what members see in lists."""
import lib
from imagelib import (ImageTestCase, icall, list_ids, new_image, project_member, show)


class TestImageMembers(ImageTestCase):
    def setUp(self):
        self.a, self.b = project_member("a"), project_member("b")
        self.img = new_image(token=self.a["token"], visibility="shared")
        self.path = "/images/%s/members" % self.img["id"]
        self.mpath = "%s/%s" % (self.path, self.b["project"]["id"])

    def add(self):
        r = icall("POST", self.path, token=self.a["token"],
                  json={"member": self.b["project"]["id"]})
        self.assertStatus(r, 200)
        return r.body

    def test_share_accept_list(self):
        iid, bt = self.img["id"], self.b["token"]
        r = icall("GET", "/images/" + iid, token=bt)
        self.assertGlanceError(r, 404)
        m = self.add()
        self.assertEqual(m["status"], "pending")
        self.assertEqual(m["image_id"], iid)
        self.assertEqual(m["member_id"], self.b["project"]["id"])
        self.assertEqual(m["schema"], "/v2/schemas/member")
        # pending: visible by id, listed only on request
        self.assertEqual(show(iid, token=bt)["id"], iid)
        self.assertNotIn(iid, list_ids(token=bt, limit=1000))
        self.assertIn(iid, list_ids(token=bt, member_status="pending", limit=1000))
        self.assertIn(iid, list_ids(token=bt, member_status="all", visibility="shared",
                                    limit=1000))
        # the owner cannot answer for the member
        r = icall("PUT", self.mpath, token=self.a["token"], json={"status": "accepted"})
        self.assertGlanceError(r, 403)
        r = icall("PUT", self.mpath, token=bt, json={"status": "maybe"})
        self.assertGlanceError(r, 400)
        r = icall("PUT", self.mpath, token=bt, json={"status": "accepted"})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["status"], "accepted")
        self.assertIn(iid, list_ids(token=bt, limit=1000))
        self.assertIn(iid, list_ids(token=bt, visibility="shared", limit=1000))
        r = icall("PUT", self.mpath, token=bt, json={"status": "rejected"})
        self.assertEqual(r.body["status"], "rejected")
        self.assertNotIn(iid, list_ids(token=bt, limit=1000))
        self.assertIn(iid, list_ids(token=bt, member_status="rejected", limit=1000))

    def test_list_show_delete(self):
        m = self.add()
        r = icall("GET", self.path, token=self.a["token"])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["members"], [m])
        self.assertEqual(r.body["schema"], "/v2/schemas/members")
        r = icall("GET", self.path, token=self.b["token"])
        self.assertEqual(r.body["members"], [m])
        r = icall("GET", self.mpath, token=self.b["token"])
        self.assertEqual(r.body, m)
        r = icall("GET", self.path + "/other-project", token=self.a["token"])
        self.assertGlanceError(r, 404)
        # the member cannot add others or remove itself
        r = icall("POST", self.path, token=self.b["token"], json={"member": "x"})
        self.assertGlanceError(r, 403)
        r = icall("DELETE", self.mpath, token=self.b["token"])
        self.assertGlanceError(r, 403)
        r = icall("DELETE", self.mpath, token=self.a["token"])
        self.assertStatus(r, 204)
        r = icall("GET", self.mpath, token=self.a["token"])
        self.assertGlanceError(r, 404)
        r = icall("GET", "/images/" + self.img["id"], token=self.b["token"])
        self.assertGlanceError(r, 404)

    def test_errors(self):
        self.add()
        r = icall("POST", self.path, token=self.a["token"],
                  json={"member": self.b["project"]["id"]})
        self.assertGlanceError(r, 409)
        r = icall("POST", self.path, token=self.a["token"], json={"member": 5})
        self.assertGlanceError(r, 400)
        r = icall("POST", self.path, token=self.a["token"], json={})
        self.assertGlanceError(r, 400)
        private = new_image(token=self.a["token"], visibility="private")
        r = icall("POST", "/images/%s/members" % private["id"], token=self.a["token"],
                  json={"member": self.b["project"]["id"]})
        self.assertGlanceError(r, 403, "shared")
        r = icall("GET", "/images/%s/members" % private["id"], token=self.a["token"])
        self.assertGlanceError(r, 403, "shared")

    def test_third_project_sees_nothing(self):
        self.add()
        c = project_member("c")
        for path in (self.path, self.mpath, "/images/" + self.img["id"]):
            r = icall("GET", path, token=c["token"])
            self.assertGlanceError(r, 404)
        self.assertNotIn(self.img["id"],
                         list_ids(token=c["token"], visibility="shared",
                                  member_status="all", limit=1000))

    def test_admin_sees_members(self):
        m = self.add()
        r = icall("GET", self.path)
        self.assertEqual(r.body["members"], [m])
