"""Server actions (POST /servers/{id}/action): every action, its bad input
(400), another project's server (404), admin-only ones (403), and every
wrong state (409 with Nova's message), against servers the fake driver
runs."""
import time

import imagelib
import lib
import netlib
from cmplib import CmpTestCase, cdelete, cget, cpost, cput
from lib import uniq

_ctx = {}


def fixture():
    """A member project with a network, two flavors and an image, made once
    for the actions tests."""
    if _ctx:
        return _ctx
    proj = lib.new_project()
    user = lib.new_user(project=proj["id"], role="member")
    tok = lib.token_for(user, lib.project_scope(proj["id"]))
    other = lib.new_project()
    ouser = lib.new_user(project=other["id"], role="member")
    r = netlib.npost("/networks", {"network": {"name": uniq("net")}}, token=tok)
    assert r.status == 201, r
    net = r.body["network"]
    r = netlib.npost("/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                             "cidr": "10.77.0.0/24"}}, token=tok)
    assert r.status == 201, r
    flavors = []
    for ram, vcpus, disk in ((64, 1, 1), (128, 2, 2)):
        r = cpost("/flavors", {"flavor": {"name": uniq("fl"), "ram": ram, "vcpus": vcpus,
                                          "disk": disk}})
        assert r.status == 200, r
        flavors.append(r.body["flavor"]["id"])
    image = imagelib.new_active_image(data=imagelib.qcow2(virtual_size=1 << 20),
                                      disk_format="qcow2", visibility="public")
    _ctx.update(token=tok, project=proj["id"], user=user, net=net["id"],
                subnet=r.body, flavors=flavors, image=image["id"],
                other=lib.token_for(ouser, lib.project_scope(other["id"])))
    return _ctx


def act(server_id, body, token=lib._UNSET, mv=None):
    return cpost("/servers/%s/action" % server_id, body, token=token, mv=mv)


def show(server_id, token=lib._UNSET, mv="2.79"):
    return cget("/servers/" + server_id, token=token, mv=mv)


def wait_status(server_id, status, token=lib._UNSET, timeout=10.0):
    """Polls until the server shows 'status' with no task; returns it."""
    end = time.monotonic() + timeout
    while True:
        r = show(server_id, token=token)
        if r.status == 200:
            s = r.body["server"]
            if s["status"] == status and not s.get("OS-EXT-STS:task_state"):
                return s
            if (s["status"] == "ERROR" and status != "ERROR" and
                    not s.get("OS-EXT-STS:task_state")):
                raise AssertionError("server went to ERROR: %r" % s)
        if time.monotonic() > end:
            raise AssertionError("server %s never got %s: %r" % (server_id, status, r))
        time.sleep(0.05)


def wait_gone(server_id, token=lib._UNSET, timeout=10.0):
    return lib.wait_until(lambda: show(server_id, token=token).status == 404, timeout)


class ActionsBase(CmpTestCase):
    def setUp(self):
        self.fx = fixture()
        self.tok = self.fx["token"]

    def boot(self, flavor=0, token=None):
        tok = token or self.tok
        body = {"server": {"name": uniq("vm"), "imageRef": self.fx["image"],
                           "flavorRef": self.fx["flavors"][flavor],
                           "networks": [{"uuid": self.fx["net"]}]}}
        r = cpost("/servers", body, token=tok, mv="2.79")
        self.assertStatus(r, 202)
        sid = r.body["server"]["id"]
        self.addCleanup(cdelete, "/servers/" + sid, token=tok)
        wait_status(sid, "ACTIVE", token=tok)
        return sid

    def act_ok(self, sid, body, status=202, mv="2.79", token=None):
        r = act(sid, body, token=token or self.tok, mv=mv)
        self.assertStatus(r, status)
        return r

    def conflict(self, sid, body, *words, token=None):
        r = act(sid, body, token=token or self.tok, mv="2.79")
        self.assertNova(r, 409, *words)
        return r

    def bad(self, sid, body, *words, mv="2.79", token=None):
        r = act(sid, body, token=token or self.tok, mv=mv)
        self.assertNova(r, 400, *words)
        return r


class TestActionDispatch(ActionsBase):
    def test_body_with_two_keys_is_400(self):
        sid = self.boot()
        self.bad(sid, {"os-stop": None, "os-start": None}, "Malformed request body")

    def test_empty_body_is_400(self):
        sid = self.boot()
        self.bad(sid, {}, "Malformed request body")

    def test_unknown_action_is_400(self):
        sid = self.boot()
        self.bad(sid, {"os-explode": None}, "There is no such action: os-explode")

    def test_body_not_json_is_400(self):
        sid = self.boot()
        r = lib.call("POST", "%s/compute/v2.1/servers/%s/action" % (lib.BASE, sid),
                     token=self.tok, data=b"{not json",
                     headers={"Content-Type": "application/json"})
        self.assertStatus(r, 400)
        self.assertEqual(show(sid, token=self.tok).body["server"]["status"], "ACTIVE")

    def test_unknown_server_is_404(self):
        r = act("6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11", {"os-stop": None}, token=self.tok)
        self.assertNova(r, 404, "could not be found")

    def test_another_projects_server_is_404_and_unchanged(self):
        sid = self.boot()
        for body in ({"os-stop": None}, {"reboot": {"type": "HARD"}}, {"pause": None},
                     {"lock": None}, {"createImage": {"name": "x"}},
                     {"os-getConsoleOutput": {}}):
            r = act(sid, body, token=self.fx["other"])
            self.assertNova(r, 404, "could not be found")
        s = show(sid, token=self.tok).body["server"]
        self.assertEqual((s["status"], s["locked"]), ("ACTIVE", False))


class TestPower(ActionsBase):
    def test_stop_start_and_their_409s(self):
        sid = self.boot()
        self.conflict(sid, {"os-start": None},
                      "Cannot 'start' instance %s while it is in vm_state active" % sid)
        self.act_ok(sid, {"os-stop": None})
        s = wait_status(sid, "SHUTOFF")
        self.assertEqual(s["OS-EXT-STS:power_state"], 4)
        self.assertEqual(s["OS-EXT-STS:vm_state"], "stopped")
        self.conflict(sid, {"os-stop": None},
                      "Cannot 'stop' instance %s while it is in vm_state stopped" % sid)
        for body, name in (({"pause": None}, "pause"), ({"suspend": None}, "suspend"),
                           ({"reboot": {"type": "SOFT"}}, "reboot"),
                           ({"unpause": None}, "unpause"), ({"resume": None}, "resume")):
            self.conflict(sid, body, "Cannot '%s' instance %s while it is in vm_state "
                          "stopped" % (name, sid))
        self.act_ok(sid, {"os-start": None})
        s = wait_status(sid, "ACTIVE")
        self.assertEqual(s["OS-EXT-STS:power_state"], 1)

    def test_reboot_soft_and_hard(self):
        sid = self.boot()
        for t in ("SOFT", "soft", "Hard", "HARD"):
            self.act_ok(sid, {"reboot": {"type": t}})
            wait_status(sid, "ACTIVE")

    def test_hard_reboot_starts_a_stopped_server(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        self.act_ok(sid, {"reboot": {"type": "HARD"}})
        wait_status(sid, "ACTIVE")

    def test_reboot_bad_input_400(self):
        sid = self.boot()
        self.bad(sid, {"reboot": {}}, "'type' is a required property")
        self.bad(sid, {"reboot": {"type": "WARM"}}, "is not one of")
        self.bad(sid, {"reboot": {"type": 1}}, "is not one of")
        self.bad(sid, {"reboot": {"type": "HARD", "x": 1}}, "Additional properties")
        self.bad(sid, {"reboot": None}, "is not of type 'object'")
        self.bad(sid, {"reboot": "HARD"}, "is not of type 'object'")

    def test_pause_unpause_and_their_409s(self):
        sid = self.boot()
        self.conflict(sid, {"unpause": None}, "Cannot 'unpause' instance %s while it is in "
                      "vm_state active" % sid)
        self.act_ok(sid, {"pause": None})
        s = wait_status(sid, "PAUSED")
        self.assertEqual(s["OS-EXT-STS:power_state"], 3)
        for body, name in (({"pause": None}, "pause"), ({"suspend": None}, "suspend"),
                           ({"os-stop": None}, "stop"), ({"os-start": None}, "start"),
                           ({"reboot": {"type": "SOFT"}}, "reboot"),
                           ({"resize": {"flavorRef": self.fx["flavors"][1]}}, "resize")):
            self.conflict(sid, body, "Cannot '%s' instance %s while it is in vm_state "
                          "paused" % (name, sid))
        self.act_ok(sid, {"unpause": None})
        wait_status(sid, "ACTIVE")

    def test_suspend_resume_and_their_409s(self):
        sid = self.boot()
        self.conflict(sid, {"resume": None}, "Cannot 'resume' instance %s while it is in "
                      "vm_state active" % sid)
        self.act_ok(sid, {"suspend": None})
        s = wait_status(sid, "SUSPENDED")
        self.assertEqual(s["OS-EXT-STS:power_state"], 7)
        for body, name in (({"suspend": None}, "suspend"), ({"pause": None}, "pause"),
                           ({"unpause": None}, "unpause"), ({"os-stop": None}, "stop"),
                           ({"confirmResize": None}, "confirmResize")):
            self.conflict(sid, body, "Cannot '%s' instance %s while it is in vm_state "
                          "suspended" % (name, sid))
        self.act_ok(sid, {"resume": None})
        wait_status(sid, "ACTIVE")

    def test_restore_of_a_live_server_409(self):
        sid = self.boot()
        self.conflict(sid, {"restore": None}, "Cannot 'restore' instance %s while it is in "
                      "vm_state active" % sid)

    def test_actions_are_recorded_with_events(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        r = cget("/servers/%s/os-instance-actions" % sid, token=self.tok, mv="2.79")
        self.assertStatus(r, 200)
        acts = [a["action"] for a in r.body["instanceActions"]]
        self.assertIn("stop", acts)
        stop = [a for a in r.body["instanceActions"] if a["action"] == "stop"][0]
        r = cget("/servers/%s/os-instance-actions/%s" % (sid, stop["request_id"]),
                 token=self.tok, mv="2.79")
        self.assertStatus(r, 200)
        events = r.body["instanceAction"]["events"]
        self.assertEqual([e["event"] for e in events], ["compute_stop_instance"])
        self.assertEqual(events[0]["result"], "Success")


class TestRescue(ActionsBase):
    def test_rescue_unrescue(self):
        sid = self.boot()
        self.conflict(sid, {"unrescue": None}, "Cannot 'unrescue' instance %s while it is "
                      "in vm_state active" % sid)
        r = self.act_ok(sid, {"rescue": {"adminPass": "s3cret"}}, status=200)
        self.assertEqual(r.body, {"adminPass": "s3cret"})
        s = wait_status(sid, "RESCUE")
        self.assertEqual(s["OS-EXT-STS:vm_state"], "rescued")
        for body, name in (({"rescue": None}, "rescue"), ({"pause": None}, "pause"),
                           ({"reboot": {"type": "HARD"}}, "reboot"),
                           ({"os-stop": None}, "stop")):
            self.conflict(sid, body, "Cannot '%s' instance %s while it is in vm_state "
                          "rescued" % (name, sid))
        self.act_ok(sid, {"unrescue": None})
        wait_status(sid, "ACTIVE")

    def test_rescue_a_stopped_server_with_an_image(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        r = self.act_ok(sid, {"rescue": {"rescue_image_ref": self.fx["image"]}}, status=200)
        self.assertEqual(len(r.body["adminPass"]), 12)
        wait_status(sid, "RESCUE")
        self.act_ok(sid, {"unrescue": None})
        wait_status(sid, "ACTIVE")

    def test_rescue_bad_input_400(self):
        sid = self.boot()
        self.bad(sid, {"rescue": {"adminPass": 1}}, "is not of type 'string'")
        self.bad(sid, {"rescue": {"rescue_image_ref": "x"}}, "uuid")
        self.bad(sid, {"rescue": {"x": 1}}, "Additional properties")
        self.bad(sid, {"rescue": "now"}, "is not of type")
        self.bad(sid, {"rescue": {"rescue_image_ref": "6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11"}},
                 "is not supported")
        self.assertEqual(show(sid, token=self.tok).body["server"]["status"], "ACTIVE")


class TestLock(ActionsBase):
    def test_admin_lock_blocks_the_member(self):
        sid = self.boot()
        self.act_ok(sid, {"lock": {"locked_reason": "maintenance"}}, token=lib.admin_token())
        s = show(sid, token=self.tok, mv="2.73").body["server"]
        self.assertEqual((s["locked"], s["locked_reason"]), (True, "maintenance"))
        for body in ({"os-stop": None}, {"reboot": {"type": "HARD"}}, {"pause": None},
                     {"suspend": None}, {"resize": {"flavorRef": self.fx["flavors"][1]}},
                     {"rebuild": {"imageRef": self.fx["image"]}}):
            self.conflict(sid, body, "Instance %s is locked" % sid)
        r = cdelete("/servers/" + sid, token=self.tok)
        self.assertNova(r, 409, "is locked")
        # the member may not lift the admin's lock
        r = act(sid, {"unlock": None}, token=self.tok)
        self.assertNova(r, 403)
        self.act_ok(sid, {"unlock": None}, token=lib.admin_token())
        s = show(sid, token=self.tok, mv="2.73").body["server"]
        self.assertEqual((s["locked"], s["locked_reason"]), (False, None))
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")

    def test_owner_lock_and_unlock(self):
        sid = self.boot()
        self.act_ok(sid, {"lock": None})
        self.act_ok(sid, {"lock": None})         # again: nothing changes
        s = show(sid, token=self.tok, mv="2.73").body["server"]
        self.assertEqual((s["locked"], s["locked_reason"]), (True, None))
        # the owner's own lock stops the owner too (Nova's check_instance_lock)
        self.conflict(sid, {"os-stop": None}, "Instance %s is locked" % sid)
        self.act_ok(sid, {"unlock": None})
        self.assertFalse(show(sid, token=self.tok).body["server"]["locked"])
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")

    def test_lock_reason_bad_input_400(self):
        sid = self.boot()
        self.bad(sid, {"lock": {"locked_reason": ""}}, "is too short", mv="2.73")
        self.bad(sid, {"lock": {"locked_reason": "x" * 256}}, "is too long", mv="2.73")
        self.bad(sid, {"lock": {"locked_reason": 5}}, "is not of type 'string'", mv="2.73")
        self.bad(sid, {"lock": {"reason": "x"}}, "Additional properties", mv="2.73")
        self.bad(sid, {"lock": "x"}, "is not of type", mv="2.73")
        self.assertFalse(show(sid, token=self.tok).body["server"]["locked"])

    def test_lock_reason_ignored_before_2_73(self):
        sid = self.boot()
        self.act_ok(sid, {"lock": {"locked_reason": "old"}}, mv="2.72")
        s = show(sid, token=self.tok, mv="2.73").body["server"]
        self.assertEqual((s["locked"], s["locked_reason"]), (True, None))


class TestResetState(ActionsBase):
    def test_reset_state_admin_only_403(self):
        sid = self.boot()
        r = act(sid, {"os-resetState": {"state": "error"}}, token=self.tok)
        self.assertNova(r, 403)
        self.assertEqual(show(sid, token=self.tok).body["server"]["status"], "ACTIVE")

    def test_reset_state_bad_input_400(self):
        sid = self.boot()
        adm = lib.admin_token()
        self.bad(sid, {"os-resetState": {"state": "stopped"}}, "is not one of", token=adm)
        self.bad(sid, {"os-resetState": {}}, "'state' is a required property", token=adm)
        self.bad(sid, {"os-resetState": {"state": "error", "x": 1}}, "Additional",
                 token=adm)
        self.bad(sid, {"os-resetState": None}, "is not of type 'object'", token=adm)

    def test_reset_to_error_then_the_error_409s(self):
        sid = self.boot()
        adm = lib.admin_token()
        self.act_ok(sid, {"os-resetState": {"state": "error"}}, token=adm)
        self.assertEqual(show(sid, token=self.tok).body["server"]["status"], "ERROR")
        for body, name in (({"os-start": None}, "start"), ({"pause": None}, "pause"),
                           ({"suspend": None}, "suspend"),
                           ({"reboot": {"type": "SOFT"}}, "reboot"),
                           ({"createImage": {"name": "s"}}, "createImage"),
                           ({"resize": {"flavorRef": self.fx["flavors"][1]}}, "resize"),
                           ({"revertResize": None}, "revertResize")):
            self.conflict(sid, body, "Cannot '%s' instance %s while it is in vm_state "
                          "error" % (name, sid))
        # a hard reboot brings an ERROR server back
        self.act_ok(sid, {"reboot": {"type": "HARD"}})
        wait_status(sid, "ACTIVE")
        self.act_ok(sid, {"os-resetState": {"state": "error"}}, token=adm)
        self.act_ok(sid, {"os-resetState": {"state": "active"}}, token=adm)
        self.assertEqual(show(sid, token=self.tok).body["server"]["status"], "ACTIVE")


class TestConsole(ActionsBase):
    def test_console_output(self):
        sid = self.boot()
        r = self.act_ok(sid, {"os-getConsoleOutput": {}}, status=200)
        full = r.body["output"]
        self.assertIn("booted", full)
        self.assertGreater(len(full.split("\n")), 3)
        for length in (-1, None):
            r = self.act_ok(sid, {"os-getConsoleOutput": {"length": length}}, status=200)
            self.assertEqual(r.body["output"], full)
        # Nova's tail: '\n'.join(log.split('\n')[-length:])
        for length in (3, "3"):
            r = self.act_ok(sid, {"os-getConsoleOutput": {"length": length}}, status=200)
            self.assertEqual(r.body["output"], "\n".join(full.split("\n")[-3:]))
            self.assertEqual(len(r.body["output"].split("\n")), 3)
        r = self.act_ok(sid, {"os-getConsoleOutput": {"length": 0}}, status=200)
        self.assertEqual(r.body["output"], "")

    def test_console_output_of_a_stopped_server(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        r = self.act_ok(sid, {"os-getConsoleOutput": {"length": 3}}, status=200)
        self.assertEqual(len(r.body["output"].split("\n")), 3)

    def test_console_output_bad_input_400(self):
        sid = self.boot()
        self.bad(sid, {"os-getConsoleOutput": {"length": -2}}, "less than the minimum")
        self.bad(sid, {"os-getConsoleOutput": {"length": "abc"}}, "does not match")
        self.bad(sid, {"os-getConsoleOutput": {"length": 1.5}}, "is not of type")
        self.bad(sid, {"os-getConsoleOutput": {"lines": 1}}, "Additional properties")
        self.bad(sid, {"os-getConsoleOutput": None}, "is not of type 'object'")


class TestCreateImage(ActionsBase):
    def test_snapshot_becomes_an_active_image(self):
        sid = self.boot()
        r = self.act_ok(sid, {"createImage": {"name": "snap", "metadata": {"k": "v"}}})
        image_id = r.body["image_id"]
        self.assertTrue(lib.wait_until(lambda: imagelib.status_of(image_id) == "active",
                                       timeout=10))
        img = imagelib.show(image_id)
        self.assertEqual(img["name"], "snap")
        self.assertEqual(img["image_type"], "snapshot")
        self.assertEqual(img["instance_uuid"], sid)
        self.assertEqual(img["k"], "v")
        self.assertEqual(img["owner"], self.fx["project"])
        self.assertEqual(img["disk_format"], "qcow2")
        wait_status(sid, "ACTIVE")
        imagelib.icall("DELETE", "/images/" + image_id)

    def test_snapshot_inherits_the_base_image_properties(self):
        """As Nova's snapshot (initialize_instance_snapshot_metadata): the
        base image's properties come along (a kernel-booted guest's
        snapshot boots the same way), the non-inheritable ones do not; the
        admin view shows the server's kernel and ramdisk."""
        kernel = imagelib.new_active_image(disk_format="aki", container_format="aki",
                                           visibility="public")
        ramdisk = imagelib.new_active_image(disk_format="ari", container_format="ari",
                                            visibility="public")
        base = imagelib.new_active_image(
            data=imagelib.qcow2(virtual_size=1 << 20), disk_format="qcow2",
            visibility="public", kernel_id=kernel["id"], ramdisk_id=ramdisk["id"],
            os_command_line="console=ttyS0", hw_disk_bus="virtio",
            img_signature="c2lnbmF0dXJl")
        for i in (kernel, ramdisk, base):
            self.addCleanup(imagelib.icall, "DELETE", "/images/" + i["id"])
        body = {"server": {"name": uniq("vm"), "imageRef": base["id"],
                           "flavorRef": self.fx["flavors"][0],
                           "networks": [{"uuid": self.fx["net"]}]}}
        r = cpost("/servers", body, token=self.tok, mv="2.79")
        self.assertStatus(r, 202)
        sid = r.body["server"]["id"]
        self.addCleanup(cdelete, "/servers/" + sid, token=self.tok)
        wait_status(sid, "ACTIVE", token=self.tok)
        s = show(sid, token=lib._UNSET, mv="2.3").body["server"]
        self.assertEqual(s["OS-EXT-SRV-ATTR:kernel_id"], kernel["id"])
        self.assertEqual(s["OS-EXT-SRV-ATTR:ramdisk_id"], ramdisk["id"])
        r = self.act_ok(sid, {"createImage": {"name": "snap", "metadata": {"k": "v"}}})
        image_id = r.body["image_id"]
        self.addCleanup(imagelib.icall, "DELETE", "/images/" + image_id)
        img = imagelib.show(image_id)
        self.assertEqual(img["kernel_id"], kernel["id"])
        self.assertEqual(img["ramdisk_id"], ramdisk["id"])
        self.assertEqual(img["os_command_line"], "console=ttyS0")
        self.assertEqual(img["hw_disk_bus"], "virtio")
        self.assertEqual(img["k"], "v")
        self.assertEqual(img["instance_uuid"], sid)
        self.assertNotIn("img_signature", img)
        wait_status(sid, "ACTIVE", token=self.tok)

    def test_snapshot_before_2_45_has_a_location(self):
        sid = self.boot()
        r = self.act_ok(sid, {"createImage": {"name": "snap"}}, mv="2.44")
        self.assertEqual(r.body, None)
        loc = r.headers["Location"]
        image_id = loc.rsplit("/", 1)[1]
        self.assertTrue(lib.wait_until(lambda: imagelib.status_of(image_id) == "active",
                                       timeout=10))
        wait_status(sid, "ACTIVE")
        imagelib.icall("DELETE", "/images/" + image_id)

    def test_snapshot_of_a_stopped_server(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        r = self.act_ok(sid, {"createImage": {"name": "snap"}})
        image_id = r.body["image_id"]
        self.assertTrue(lib.wait_until(lambda: imagelib.status_of(image_id) == "active",
                                       timeout=10))
        wait_status(sid, "SHUTOFF")
        imagelib.icall("DELETE", "/images/" + image_id)

    def test_create_image_bad_input_400_and_no_image(self):
        sid = self.boot()
        before = set(imagelib.list_ids(token=self.tok))
        self.bad(sid, {"createImage": {}}, "'name' is a required property")
        self.bad(sid, {"createImage": {"name": ""}})
        self.bad(sid, {"createImage": {"name": " lead"}})
        self.bad(sid, {"createImage": {"name": 5}})
        self.bad(sid, {"createImage": {"name": "x" * 256}})
        self.bad(sid, {"createImage": {"name": "s", "metadata": {"k": 1}}})
        self.bad(sid, {"createImage": {"name": "s", "metadata": "k"}})
        self.bad(sid, {"createImage": {"name": "s", "extra": 1}}, "Additional properties")
        self.bad(sid, {"createImage": None}, "is not of type 'object'")
        self.assertEqual(set(imagelib.list_ids(token=self.tok)), before)


class TestImageProxy(ActionsBase):
    """Nova's /images proxy (to 2.35), where old clients follow a snapshot."""

    def test_show_a_snapshot_and_delete_it(self):
        sid = self.boot()
        r = self.act_ok(sid, {"createImage": {"name": "proxied", "metadata": {"k": "v"}}},
                        mv="2.1")
        image_id = r.headers["Location"].rsplit("/", 1)[1]
        self.assertTrue(lib.wait_until(lambda: imagelib.status_of(image_id) == "active",
                                       timeout=10))
        r = cget("/images/" + image_id, token=self.tok)
        self.assertStatus(r, 200)
        img = r.body["image"]
        self.assertEqual((img["id"], img["name"], img["status"], img["progress"]),
                         (image_id, "proxied", "ACTIVE", 100))
        self.assertEqual(img["server"]["id"], sid)
        self.assertEqual(img["metadata"]["k"], "v")
        self.assertEqual(img["metadata"]["image_type"], "snapshot")
        self.assertEqual(img["minDisk"], 1)
        self.assertIn("OS-EXT-IMG-SIZE:size", img)
        self.assertEqual(img["links"][0]["rel"], "self")
        # gone from 2.36
        self.assertNova(cget("/images/" + image_id, token=self.tok, mv="2.36"), 404)
        # another project does not see it
        self.assertNova(cget("/images/" + image_id, token=self.fx["other"]), 404)
        self.assertNova(cdelete("/images/" + image_id, token=self.fx["other"]), 404)
        # listed, by the server it comes from and its type
        for path, key in (("/images?server=%s" % sid, "links"),
                          ("/images/detail?server=%s&type=snapshot&status=ACTIVE" % sid,
                           "metadata")):
            r = cget(path, token=self.tok)
            self.assertStatus(r, 200)
            self.assertEqual([i["id"] for i in r.body["images"]], [image_id])
            self.assertIn(key, r.body["images"][0])
        r = cget("/images?type=backup&server=%s" % sid, token=self.tok)
        self.assertEqual(r.body["images"], [])
        r = cget("/images/detail?limit=1", token=self.tok)
        self.assertEqual(len(r.body["images"]), 1)
        self.assertEqual(r.body["images_links"][0]["rel"], "next")
        self.assertNova(cget("/images", token=self.tok, mv="2.36"), 404)
        self.assertNova(cdelete("/images/", token=self.tok), 404)
        self.assertNova(cdelete("/images", token=self.tok), 405)
        self.assertStatus(cdelete("/images/" + image_id, token=self.tok), 204)
        self.assertNova(cget("/images/" + image_id, token=self.tok), 404, "could not be found")
        self.assertNova(cdelete("/images/" + image_id, token=self.tok), 404)
        wait_status(sid, "ACTIVE")


class TestImageProxyMetadata(ActionsBase):
    def test_image_metadata(self):
        img = imagelib.new_active_image(token=self.tok, os_distro="debian")
        base = "/images/%s/metadata" % img["id"]
        r = cget(base, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["metadata"], {"os_distro": "debian"})
        r = cpost(base, {"metadata": {"a": "1", "b": "2"}}, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["metadata"], {"os_distro": "debian", "a": "1", "b": "2"})
        r = cput(base + "/a", {"meta": {"a": "one"}}, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"meta": {"a": "one"}})
        r = cget(base + "/a", token=self.tok)
        self.assertEqual(r.body, {"meta": {"a": "one"}})
        self.assertEqual(imagelib.show(img["id"], token=self.tok)["a"], "one")
        self.assertStatus(cdelete(base + "/b", token=self.tok), 204)
        self.assertNova(cdelete(base + "/b", token=self.tok), 404)
        self.assertNova(cget(base + "/b", token=self.tok), 404)
        r = cput(base, {"metadata": {"only": "this"}}, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(cget(base, token=self.tok).body["metadata"], {"only": "this"})
        # bad input changes nothing
        for path, body, words in (
                (base + "/x", {"meta": {"y": "1"}}, ("mismatch",)),
                (base + "/x", {"meta": {"x": "1", "y": "2"}}, ("too many",)),
                (base, {"metadata": {"k": 1}}, ()),
                (base, {"meta": {"k": "v"}}, ()),
                (base, {"metadata": "x"}, ())):
            method = cput if path.endswith("/x") or body.get("meta") else cpost
            self.assertNova(method(path, body, token=self.tok), 400, *words)
        self.assertEqual(cget(base, token=self.tok).body["metadata"], {"only": "this"})
        self.assertNova(cget(base, token=self.fx["other"]), 404)
        self.assertNova(cpost(base, {"metadata": {"a": "b"}}, token=self.fx["other"]), 404)
        self.assertNova(cget(base, token=self.tok, mv="2.36"), 404)
        self.assertNova(cget("/images/6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11/metadata",
                             token=self.tok), 404)
        imagelib.icall("DELETE", "/images/" + img["id"], token=self.tok)


class TestCreateBackup(ActionsBase):
    def backups(self, sid):
        r = cget("/images/detail?server=%s&type=backup" % sid, token=self.tok)
        self.assertStatus(r, 200)
        return sorted(i["name"] for i in r.body["images"])

    def test_backups_rotate(self):
        sid = self.boot()
        for n in (1, 2, 3):
            r = self.act_ok(sid, {"createBackup": {"name": "b%d" % n, "backup_type": "daily",
                                                   "rotation": 2}})
            image_id = r.body["image_id"]
            self.assertTrue(lib.wait_until(
                lambda: imagelib.status_of(image_id) == "active", timeout=10))
            wait_status(sid, "ACTIVE")
        self.assertTrue(lib.wait_until(lambda: self.backups(sid) == ["b2", "b3"], timeout=10),
                        self.backups(sid))
        img = imagelib.show(image_id)
        self.assertEqual((img["image_type"], img["backup_type"]), ("backup", "daily"))
        # another type rotates on its own
        r = self.act_ok(sid, {"createBackup": {"name": "w1", "backup_type": "weekly",
                                               "rotation": "1"}}, mv="2.44")
        self.assertTrue(r.headers["Location"].endswith("/compute/v2.1/images/" +
                                                       r.headers["Location"].rsplit("/", 1)[1]))
        wait_status(sid, "ACTIVE")
        self.assertTrue(lib.wait_until(lambda: self.backups(sid) == ["b2", "b3", "w1"],
                                       timeout=10), self.backups(sid))
        for i in cget("/images?server=%s" % sid, token=self.tok).body["images"]:
            cdelete("/images/" + i["id"], token=self.tok)

    def test_create_backup_bad_input_400(self):
        sid = self.boot()
        ok = {"name": "b", "backup_type": "daily", "rotation": 1}
        for k in ok:
            body = dict(ok)
            del body[k]
            self.bad(sid, {"createBackup": body}, "'%s' is a required property" % k)
        for k, v in (("rotation", -1), ("rotation", "x"), ("rotation", 1.5),
                     ("backup_type", 1), ("name", ""), ("metadata", {"a": 1})):
            body = dict(ok)
            body[k] = v
            self.bad(sid, {"createBackup": body})
        self.bad(sid, {"createBackup": dict(ok, extra=1)}, "Additional properties")
        self.assertEqual(self.backups(sid), [])
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        self.act_ok(sid, {"os-resetState": {"state": "error"}}, token=lib.admin_token())
        self.conflict(sid, {"createBackup": ok}, "Cannot 'createBackup' instance %s while "
                      "it is in vm_state error" % sid)
        self.assertEqual(self.backups(sid), [])


class TestResize(ActionsBase):
    def test_resize_confirm(self):
        sid = self.boot()
        self.conflict(sid, {"confirmResize": None}, "Cannot 'confirmResize' instance %s "
                      "while it is in vm_state active" % sid)
        self.conflict(sid, {"revertResize": None}, "Cannot 'revertResize' instance %s "
                      "while it is in vm_state active" % sid)
        self.act_ok(sid, {"resize": {"flavorRef": self.fx["flavors"][1]}})
        s = wait_status(sid, "VERIFY_RESIZE")
        self.assertEqual(s["flavor"]["vcpus"], 2)
        self.conflict(sid, {"resize": {"flavorRef": self.fx["flavors"][0]}},
                      "Cannot 'resize' instance %s while it is in vm_state resized" % sid)
        self.act_ok(sid, {"confirmResize": None}, status=204)
        s = wait_status(sid, "ACTIVE")
        self.assertEqual((s["flavor"]["vcpus"], s["flavor"]["ram"]), (2, 128))

    def test_resize_revert(self):
        sid = self.boot()
        self.act_ok(sid, {"resize": {"flavorRef": self.fx["flavors"][1]}})
        wait_status(sid, "VERIFY_RESIZE")
        self.act_ok(sid, {"revertResize": None})
        s = wait_status(sid, "ACTIVE")
        self.assertEqual((s["flavor"]["vcpus"], s["flavor"]["ram"]), (1, 64))

    def test_resize_of_a_stopped_server_stays_stopped(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        self.act_ok(sid, {"resize": {"flavorRef": self.fx["flavors"][1]}})
        wait_status(sid, "VERIFY_RESIZE")
        self.act_ok(sid, {"confirmResize": None}, status=204)
        wait_status(sid, "SHUTOFF")

    def test_resize_bad_input_400(self):
        sid = self.boot()
        self.bad(sid, {"resize": {}}, "'flavorRef' is a required property")
        self.bad(sid, {"resize": {"flavorRef": ""}})
        self.bad(sid, {"resize": {"flavorRef": None}})
        self.bad(sid, {"resize": {"flavorRef": "no-such-flavor"}}, "could not be found")
        self.bad(sid, {"resize": {"flavorRef": self.fx["flavors"][0]}},
                 "instances must change flavor")
        self.bad(sid, {"resize": {"flavorRef": self.fx["flavors"][1], "x": 1}},
                 "Additional properties")
        self.bad(sid, {"resize": {"flavorRef": self.fx["flavors"][1],
                                  "OS-DCF:diskConfig": "SOMETIMES"}}, "is not one of")
        self.assertEqual(show(sid, token=self.tok).body["server"]["status"], "ACTIVE")


class TestRebuild(ActionsBase):
    def test_rebuild(self):
        sid = self.boot()
        r = self.act_ok(sid, {"rebuild": {"imageRef": self.fx["image"], "name": "renamed",
                                          "metadata": {"a": "b"}}})
        srv = r.body["server"]
        self.assertEqual(srv["id"], sid)
        self.assertEqual(srv["name"], "renamed")
        self.assertIn("adminPass", srv)
        s = wait_status(sid, "ACTIVE")
        self.assertEqual(s["metadata"], {"a": "b"})
        self.assertEqual(s["image"]["id"], self.fx["image"])

    def test_rebuild_and_resize_set_the_disk_config(self):
        sid = self.boot()
        self.act_ok(sid, {"rebuild": {"imageRef": self.fx["image"],
                                      "OS-DCF:diskConfig": "AUTO"}})
        s = wait_status(sid, "ACTIVE")
        self.assertEqual(s["OS-DCF:diskConfig"], "AUTO")
        self.act_ok(sid, {"resize": {"flavorRef": self.fx["flavors"][1],
                                     "OS-DCF:diskConfig": "MANUAL"}})
        s = wait_status(sid, "VERIFY_RESIZE")
        self.assertEqual(s["OS-DCF:diskConfig"], "MANUAL")
        self.act_ok(sid, {"revertResize": None})
        wait_status(sid, "ACTIVE")

    def test_rebuild_of_a_stopped_server_stays_stopped(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF")
        self.act_ok(sid, {"rebuild": {"imageRef": self.fx["image"]}})
        wait_status(sid, "SHUTOFF")

    def test_rebuild_bad_input_400(self):
        sid = self.boot()
        self.bad(sid, {"rebuild": {}}, "'imageRef' is a required property")
        self.bad(sid, {"rebuild": {"imageRef": "not-a-uuid"}})
        self.bad(sid, {"rebuild": {"imageRef": "6b5a1c3e-7d52-4c55-9b8e-0d9f2d1f0a11"}},
                 "Cannot find image for rebuild")
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "name": ""}})
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "accessIPv4": "1.2.3"}})
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "x": 1}},
                 "Additional properties")
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "key_name": "k"}},
                 mv="2.53")
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "key_name": "nokey"}},
                 "Invalid key_name provided.", mv="2.54")
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "user_data": "%%%"}},
                 mv="2.57")
        self.bad(sid, {"rebuild": {"imageRef": self.fx["image"], "description": "d"}},
                 mv="2.18")
        s = show(sid, token=self.tok).body["server"]
        self.assertEqual(s["status"], "ACTIVE")


class TestSecurityGroups(ActionsBase):
    def test_add_and_remove(self):
        sid = self.boot()
        r = netlib.npost("/security-groups", {"security_group": {"name": uniq("sg")}},
                         token=self.tok)
        self.assertStatus(r, 201)
        sg = r.body["security_group"]
        self.act_ok(sid, {"addSecurityGroup": {"name": sg["name"]}})
        ports = netlib.nget("/ports?device_id=" + sid, token=self.tok).body["ports"]
        self.assertTrue(ports)
        for p in ports:
            self.assertIn(sg["id"], p["security_groups"])
        self.act_ok(sid, {"removeSecurityGroup": {"name": sg["id"]}})
        ports = netlib.nget("/ports?device_id=" + sid, token=self.tok).body["ports"]
        for p in ports:
            self.assertNotIn(sg["id"], p["security_groups"])
        r = act(sid, {"removeSecurityGroup": {"name": sg["name"]}}, token=self.tok)
        self.assertNova(r, 404, "not associated")
        # without any group, the server shows none (Nova omits the key)
        for g in show(sid, token=self.tok).body["server"]["security_groups"]:
            self.act_ok(sid, {"removeSecurityGroup": {"name": g["name"]}})
        self.assertNotIn("security_groups", show(sid, token=self.tok).body["server"])
        for p in netlib.nget("/ports?device_id=" + sid, token=self.tok).body["ports"]:
            self.assertEqual(p["security_groups"], [])

    def test_bad_input(self):
        sid = self.boot()
        r = act(sid, {"addSecurityGroup": {"name": "no-such-group"}}, token=self.tok)
        self.assertNova(r, 404, "no-such-group")
        self.bad(sid, {"addSecurityGroup": {}}, "'name' is a required property")
        self.bad(sid, {"addSecurityGroup": {"name": ""}}, "is too short")
        self.bad(sid, {"addSecurityGroup": {"name": 3}}, "is not of type 'string'")
        self.bad(sid, {"removeSecurityGroup": {"name": "x", "y": 1}}, "Additional")
        self.bad(sid, {"removeSecurityGroup": None}, "is not of type 'object'")


class TestShelve(ActionsBase):
    def shelved_images(self, name):
        return [i for i in imagelib.list_ids(token=self.tok, name=name + "-shelved")]

    def test_shelve_unshelve(self):
        sid = self.boot()
        name = show(sid, token=self.tok).body["server"]["name"]
        self.conflict(sid, {"unshelve": None}, "Cannot 'unshelve' instance %s while it is "
                      "in vm_state active" % sid)
        self.act_ok(sid, {"shelve": None})
        s = wait_status(sid, "SHELVED_OFFLOADED")
        self.assertEqual(s["OS-EXT-STS:power_state"], 0)
        images = self.shelved_images(name)
        self.assertEqual(len(images), 1)
        self.assertEqual(imagelib.status_of(images[0]), "active")
        adm = lib.admin_token()
        ports = netlib.nget("/ports?device_id=" + sid, token=adm).body["ports"]
        self.assertEqual([p["binding:host_id"] for p in ports], [""])
        for body, name_ in (({"shelve": None}, "shelve"), ({"os-start": None}, "start"),
                            ({"reboot": {"type": "HARD"}}, "reboot"),
                            ({"createImage": {"name": "x"}}, "createImage")):
            self.conflict(sid, body, "Cannot '%s' instance %s while it is in vm_state "
                          "shelved_offloaded" % (name_, sid))
        r = act(sid, {"shelveOffload": None}, token=self.tok)
        self.assertNova(r, 403)
        r = act(sid, {"shelveOffload": None}, token=adm)
        self.assertNova(r, 409, "vm_state shelved_offloaded")
        self.bad(sid, {"unshelve": {"availability_zone": 1}}, "is not of type", mv="2.77")
        self.bad(sid, {"unshelve": {"host": "x"}}, "Additional properties", mv="2.77")
        self.bad(sid, {"unshelve": {"availability_zone": "elsewhere"}}, "not available",
                 mv="2.77")
        self.act_ok(sid, {"unshelve": {"availability_zone": "nova"}}, mv="2.77")
        s = wait_status(sid, "ACTIVE")
        self.assertEqual(s["OS-EXT-STS:power_state"], 1)
        self.assertEqual(self.shelved_images(name), [])
        ports = netlib.nget("/ports?device_id=" + sid, token=adm).body["ports"]
        self.assertNotEqual(ports[0]["binding:host_id"], "")
        r = cget("/servers/%s/os-instance-actions" % sid, token=self.tok, mv="2.79")
        self.assertLessEqual({"shelve", "unshelve"},
                             {a["action"] for a in r.body["instanceActions"]})

    def test_shelve_a_paused_server_and_delete_it(self):
        sid = self.boot()
        self.act_ok(sid, {"pause": None})
        wait_status(sid, "PAUSED")
        self.act_ok(sid, {"shelve": None})
        wait_status(sid, "SHELVED_OFFLOADED")
        name = show(sid, token=self.tok).body["server"]["name"]
        self.assertEqual(len(self.shelved_images(name)), 1)
        self.assertStatus(cdelete("/servers/" + sid, token=self.tok), 204)
        self.assertTrue(wait_gone(sid, token=self.tok))
        # the shelved image went with the server
        self.assertTrue(lib.wait_until(lambda: self.shelved_images(name) == []))

    def test_shelve_wrong_state_409(self):
        sid = self.boot()
        self.act_ok(sid, {"os-resetState": {"state": "error"}}, token=lib.admin_token())
        self.conflict(sid, {"shelve": None}, "Cannot 'shelve' instance %s while it is in "
                      "vm_state error" % sid)
        name = show(sid, token=self.tok).body["server"]["name"]
        self.assertEqual(self.shelved_images(name), [])


class TestServerPassword(ActionsBase):
    def test_show_and_clear(self):
        sid = self.boot()
        r = cget("/servers/%s/os-server-password" % sid, token=self.tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"password": ""})
        self.assertStatus(cdelete("/servers/%s/os-server-password" % sid, token=self.tok), 204)
        self.assertNova(cget("/servers/%s/os-server-password" % sid,
                             token=self.fx["other"]), 404)
        self.assertNova(cdelete("/servers/%s/os-server-password" % sid,
                                token=self.fx["other"]), 404)


class TestForceDelete(ActionsBase):
    def test_force_delete(self):
        sid = self.boot()
        self.act_ok(sid, {"forceDelete": None})
        self.assertTrue(wait_gone(sid, token=self.tok))
        ports = netlib.nget("/ports?device_id=" + sid, token=self.tok).body["ports"]
        self.assertTrue(lib.wait_until(lambda: not netlib.nget(
            "/ports?device_id=" + sid, token=self.tok).body["ports"]), ports)
