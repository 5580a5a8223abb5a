"""A server's metadata, tags (2.26), ips and os-instance-actions."""
from cmplib import cdelete, cget, cpost, cput
from srvlib import ServerTestCase


class TestMetadata(ServerTestCase):
    def test_crud(self):
        s = self.create(metadata={"a": "1"})
        base = "/servers/%s/metadata" % s["id"]
        r = cget(base, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"metadata": {"a": "1"}})
        r = cpost(base, {"metadata": {"b": "2"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"metadata": {"a": "1", "b": "2"}})
        r = cput(base, {"metadata": {"c": "3"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"metadata": {"c": "3"}})
        r = cput(base + "/d", {"meta": {"d": "4"}}, token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"meta": {"d": "4"}})
        r = cget(base + "/d", token=self.token)
        self.assertEqual(r.body, {"meta": {"d": "4"}})
        r = cdelete(base + "/c", token=self.token)
        self.assertStatus(r, 204)
        r = cget("/servers/" + s["id"], token=self.token)
        self.assertEqual(r.body["server"]["metadata"], {"d": "4"})

    def test_errors(self):
        s = self.create()
        base = "/servers/%s/metadata" % s["id"]
        self.assertNova(cget(base + "/nope", token=self.token), 404, "Metadata item")
        self.assertNova(cdelete(base + "/nope", token=self.token), 404)
        self.assertNova(cput(base + "/k", {"meta": {"other": "v"}}, token=self.token), 400,
                        "mismatch")
        self.assertNova(cput(base + "/k", {"meta": {"k": "v", "j": "w"}}, token=self.token),
                        400, "too many")
        for bad in [{"metadata": {"": "v"}}, {"metadata": {"k" * 256: "v"}},
                    {"metadata": {"k": "v" * 256}}, {"metadata": {"k": 5}},
                    {"metadata": "x"}, {"meta": {"k": "v"}}]:
            self.assertNova(cpost(base, bad, token=self.token), 400)
            self.assertNova(cput(base, bad, token=self.token), 400)
        r = cget(base, token=self.token)
        self.assertEqual(r.body, {"metadata": {}})

    def test_quota(self):
        s = self.create()
        r = cput("/os-quota-sets/" + self.project, {"quota_set": {"metadata_items": 2}})
        self.assertStatus(r, 200)
        base = "/servers/%s/metadata" % s["id"]
        meta = {"a": "1", "b": "2", "c": "3"}
        self.assertNova(cput(base, {"metadata": meta}, token=self.token), 403, "metadata_items")
        self.assertNova(cpost(base, {"metadata": meta}, token=self.token), 403)
        r = cpost("/servers", self.body(metadata=meta), token=self.token)
        self.assertNova(r, 403, "metadata_items")
        r = cput(base, {"metadata": {"a": "1", "b": "2"}}, token=self.token)
        self.assertStatus(r, 200)


class TestTags(ServerTestCase):
    def test_crud(self):
        s = self.create()
        base = "/servers/%s/tags" % s["id"]
        mv = "2.26"
        self.assertNova(cget(base, token=self.token), 404)     # before 2.26
        r = cget(base, token=self.token, mv=mv)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"tags": []})
        r = cput(base, {"tags": ["x", "y", "x"]}, token=self.token, mv=mv)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"tags": ["x", "y"]})
        r = cput(base + "/z", None, token=self.token, mv=mv)
        self.assertStatus(r, 201)
        self.assertTrue(r.headers["Location"].endswith(base + "/z"))
        r = cput(base + "/z", None, token=self.token, mv=mv)
        self.assertStatus(r, 204)
        self.assertStatus(cget(base + "/z", token=self.token, mv=mv), 204)
        self.assertNova(cget(base + "/nope", token=self.token, mv=mv), 404)
        self.assertStatus(cdelete(base + "/z", token=self.token, mv=mv), 204)
        self.assertNova(cdelete(base + "/z", token=self.token, mv=mv), 404)
        r = cget("/servers/" + s["id"], token=self.token, mv=mv)
        self.assertEqual(r.body["server"]["tags"], ["x", "y"])
        self.assertStatus(cdelete(base, token=self.token, mv=mv), 204)
        self.assertEqual(cget(base, token=self.token, mv=mv).body, {"tags": []})

    def test_bad_tags(self):
        s = self.create()
        base = "/servers/%s/tags" % s["id"]
        mv = "2.26"
        for bad in [{"tags": ["a,b"]}, {"tags": ["a/b"]}, {"tags": [""]}, {"tags": ["t" * 61]},
                    {"tags": ["t%d" % i for i in range(51)]}, {"tags": "x"}, {"tag": []},
                    {"tags": [5]}]:
            self.assertNova(cput(base, bad, token=self.token, mv=mv), 400)
        self.assertNova(cput(base + "/" + "t" * 61, None, token=self.token, mv=mv), 400)
        self.assertNova(cput(base + "/a,b", None, token=self.token, mv=mv), 400)
        r = cput(base, {"tags": ["t%d" % i for i in range(50)]}, token=self.token, mv=mv)
        self.assertStatus(r, 200)
        self.assertNova(cput(base + "/more", None, token=self.token, mv=mv), 400, "limit")
        self.assertEqual(len(cget(base, token=self.token, mv=mv).body["tags"]), 50)


class TestIps(ServerTestCase):
    def test_ips(self):
        s = self.create()
        r = cget("/servers/%s/ips" % s["id"], token=self.token)
        self.assertStatus(r, 200)
        addrs = r.body["addresses"][self.net["name"]]
        self.assertEqual(set(addrs[0]), {"version", "addr"})
        r = cget("/servers/%s/ips/%s" % (s["id"], self.net["name"]), token=self.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {self.net["name"]: addrs})
        self.assertNova(cget("/servers/%s/ips/nonet" % s["id"], token=self.token), 404)


class TestInstanceActions(ServerTestCase):
    def test_list_show(self):
        s = self.create()
        sid = s["id"]
        cput("/servers/" + sid, {"server": {"name": "x"}}, token=self.token)
        r = cget("/servers/%s/os-instance-actions" % sid, token=self.token)
        self.assertStatus(r, 200)
        acts = r.body["instanceActions"]
        self.assertEqual([a["action"] for a in acts], ["create"])
        a = acts[0]
        self.assertEqual(set(a), {"action", "instance_uuid", "request_id", "user_id",
                                  "project_id", "start_time", "message"})
        self.assertEqual(a["instance_uuid"], sid)
        self.assertEqual(a["user_id"], self.user)
        path = "/servers/%s/os-instance-actions/%s" % (sid, a["request_id"])
        # a member sees no events before 2.51
        r = cget(path, token=self.token)
        self.assertStatus(r, 200)
        self.assertNotIn("events", r.body["instanceAction"])
        r = cget(path, token=self.token, mv="2.51")
        ev = r.body["instanceAction"]["events"]
        self.assertTrue(ev)
        self.assertEqual(set(ev[0]), {"event", "start_time", "finish_time", "result"})
        self.assertEqual(ev[0]["result"], "Success")
        r = cget(path, mv="2.62")              # admin: traceback and host
        ev = r.body["instanceAction"]["events"][0]
        self.assertEqual(set(ev), {"event", "start_time", "finish_time", "result",
                                   "traceback", "hostId", "host"})
        self.assertIn("updated_at", r.body["instanceAction"])
        self.assertNova(cget("/servers/%s/os-instance-actions/req-nope" % sid,
                             token=self.token), 404)

    def test_deleted_server_and_paging(self):
        s = self.create()
        sid = s["id"]
        self.delete_wait(sid)
        self.assertNova(cget("/servers/%s/os-instance-actions" % sid, token=self.token,
                             mv="2.20"), 404)
        r = cget("/servers/%s/os-instance-actions" % sid, token=self.token, mv="2.21")
        self.assertEqual([a["action"] for a in r.body["instanceActions"]],
                         ["delete", "create"])
        r = cget("/servers/%s/os-instance-actions" % sid, token=self.token, mv="2.58",
                 params={"limit": 1})
        self.assertEqual([a["action"] for a in r.body["instanceActions"]], ["delete"])
        self.assertIn("updated_at", r.body["instanceActions"][0])
        nxt = r.body["links"][0]["href"]
        marker = r.body["instanceActions"][0]["request_id"]
        self.assertIn("marker=" + marker, nxt)
        r = cget("/servers/%s/os-instance-actions" % sid, token=self.token, mv="2.58",
                 params={"limit": 1, "marker": marker})
        self.assertEqual([a["action"] for a in r.body["instanceActions"]], ["create"])
        self.assertNova(cget("/servers/%s/os-instance-actions" % sid, token=self.token,
                             mv="2.58", params={"marker": "req-nope"}), 400)
        self.assertNova(cget("/servers/%s/os-instance-actions" % sid, token=self.token,
                             mv="2.58", params={"limit": "-1"}), 400)
        self.assertNova(cget("/servers/%s/os-instance-actions" % sid, token=self.token,
                             mv="2.58", params={"changes-since": "nope"}), 400)
        self.assertNova(cget("/servers/%s/os-instance-actions" % sid, token=self.token,
                             mv="2.58", params={"bogus": "1"}), 400)
