"""Compute catalog: os-services, os-availability-zone and os-hypervisors,
rendered from the service and node rows this daemon's compute agent keeps
(nova-compute, nova-scheduler and nova-conductor of its host)."""
import re
import uuid

from cmpcatlib import CatTestCase, member
from cmplib import cdelete, cget, cpost, cput
from lib import uniq, wait_until

SERVICE_2_1 = {"id", "binary", "host", "zone", "status", "state", "updated_at",
               "disabled_reason"}
HYP_BRIEF = {"id", "hypervisor_hostname", "state", "status"}
HYP_DETAIL = HYP_BRIEF | {"hypervisor_type", "hypervisor_version", "host_ip", "service",
                          "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
                          "local_gb_used", "free_ram_mb", "free_disk_gb", "current_workload",
                          "running_vms", "disk_available_least", "cpu_info"}
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"


def compute_service(mv=None):
    """This host's nova-compute service as os-services shows it."""
    r = cget("/os-services", params={"binary": "nova-compute"}, mv=mv)
    assert r.status == 200, r
    assert len(r.body["services"]) >= 1, r
    return r.body["services"][0]


class TestServices(CatTestCase):
    def reenable(self, host):
        self.addCleanup(cput, "/os-services/enable",
                        {"host": host, "binary": "nova-compute"})
        self.addCleanup(cput, "/os-services/force-down",
                        {"host": host, "binary": "nova-compute", "forced_down": False},
                        mv="2.11")

    def test_list_per_microversion(self):
        r = cget("/os-services")
        self.assertStatus(r, 200)
        bins = {s["binary"] for s in r.body["services"]}
        self.assertTrue({"nova-compute", "nova-scheduler", "nova-conductor"} <= bins, r)
        for s in r.body["services"]:
            self.assertEqual(set(s), SERVICE_2_1)
            self.assertIsInstance(s["id"], int)
            self.assertRegex(s["updated_at"], TIME_RE)
        svc = compute_service()
        self.assertEqual((svc["zone"], svc["state"], svc["status"]), ("nova", "up", "enabled"))
        others = [s for s in r.body["services"] if s["binary"] != "nova-compute"]
        self.assertEqual({s["zone"] for s in others}, {"internal"})
        s = compute_service("2.11")
        self.assertEqual(set(s), SERVICE_2_1 | {"forced_down"})
        self.assertFalse(s["forced_down"])
        s = compute_service("2.53")
        self.assertTrue(uuid.UUID(s["id"]))
        # filters
        r = cget("/os-services", params={"host": "no-such-host"})
        self.assertEqual(r.body["services"], [])
        r = cget("/os-services", params={"host": svc["host"], "binary": "nova-scheduler"})
        self.assertEqual([x["binary"] for x in r.body["services"]], ["nova-scheduler"])
        self.assertNova(cget("/os-services", params={"x": "1"}, mv="2.75"), 400)

    def test_enable_disable_force_down_before_2_53(self):
        host = compute_service()["host"]
        self.reenable(host)
        body = {"host": host, "binary": "nova-compute"}
        r = cput("/os-services/disable", body)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"service": {"host": host, "binary": "nova-compute",
                                              "status": "disabled"}})
        self.assertEqual(compute_service()["status"], "disabled")
        r = cput("/os-services/disable-log-reason", dict(body, disabled_reason="maint"))
        self.assertEqual(r.body["service"]["disabled_reason"], "maint")
        self.assertEqual(compute_service()["disabled_reason"], "maint")
        r = cput("/os-services/enable", body)
        self.assertEqual(r.body["service"]["status"], "enabled")
        s = compute_service()
        self.assertEqual((s["status"], s["disabled_reason"]), ("enabled", None))
        r = cput("/os-services/force-down", dict(body, forced_down=True), mv="2.11")
        self.assertEqual(r.body, {"service": {"host": host, "binary": "nova-compute",
                                              "forced_down": True}})
        s = compute_service("2.11")
        self.assertEqual((s["forced_down"], s["state"]), (True, "down"))
        r = cput("/os-services/force-down", dict(body, forced_down=False), mv="2.11")
        self.assertEqual(compute_service("2.11")["forced_down"], False)
        # bad input
        self.assertNova(cput("/os-services/force-down", dict(body, forced_down=True)), 404,
                        "Unknown action")
        self.assertNova(cput("/os-services/reboot", body), 404, "Unknown action")
        self.assertNova(cput("/os-services/disable", {"host": host}), 400)
        self.assertNova(cput("/os-services/disable",
                             {"host": host, "binary": "nova-scheduler"}), 400,
                        "Only nova-compute services can be updated.")
        self.assertNova(cput("/os-services/disable",
                             {"host": "nowhere", "binary": "nova-compute"}), 404)
        self.assertNova(cput("/os-services/disable-log-reason", body), 400,
                        "Missing disabled reason field")
        self.assertNova(cput("/os-services/force-down", body, mv="2.11"), 400,
                        "Missing forced_down field")
        self.assertNova(cput("/os-services/force-down", dict(body, forced_down="x"),
                             mv="2.11"), 400)
        self.assertEqual(compute_service("2.11")["status"], "enabled")

    def test_update_by_uuid_2_53(self):
        svc = compute_service("2.53")
        self.reenable(svc["host"])
        path = "/os-services/" + svc["id"]
        r = cput(path, {"status": "disabled", "disabled_reason": "x"}, mv="2.53")
        self.assertStatus(r, 200)
        s = r.body["service"]
        self.assertEqual(set(s), SERVICE_2_1 | {"forced_down"})
        self.assertEqual((s["id"], s["status"], s["disabled_reason"]),
                         (svc["id"], "disabled", "x"))
        r = cput(path, {"status": "enabled"}, mv="2.53")
        self.assertEqual((r.body["service"]["status"], r.body["service"]["disabled_reason"]),
                         ("enabled", None))
        r = cput(path, {"forced_down": True}, mv="2.53")
        self.assertEqual((r.body["service"]["forced_down"], r.body["service"]["state"]),
                         (True, "down"))
        r = cput(path, {"forced_down": False}, mv="2.53")
        self.assertFalse(r.body["service"]["forced_down"])
        for body in ({}, {"status": "maybe"}, {"status": "enabled", "disabled_reason": "x"},
                     {"disabled_reason": "x"}, {"forced_down": "yes"}, {"other": 1},
                     {"status": "disabled", "disabled_reason": "x" * 256}):
            self.assertNova(cput(path, body, mv="2.53"), 400)
        self.assertNova(cput("/os-services/not-a-uuid", {"status": "enabled"}, mv="2.53"),
                        400, "Invalid uuid not-a-uuid")
        self.assertNova(cput("/os-services/" + str(uuid.uuid4()), {"status": "enabled"},
                             mv="2.53"), 404)
        sched = [x for x in cget("/os-services", mv="2.53").body["services"]
                 if x["binary"] == "nova-scheduler"][0]
        self.assertNova(cput("/os-services/" + sched["id"], {"status": "disabled"},
                             mv="2.53"), 400, "Only nova-compute services can be updated.")

    def test_delete(self):
        conductor = [x for x in cget("/os-services", mv="2.53").body["services"]
                     if x["binary"] == "nova-conductor"][0]
        self.assertNova(cdelete("/os-services/abc", mv="2.53"), 400)
        self.assertNova(cdelete("/os-services/abc"), 400)
        self.assertNova(cdelete("/os-services/" + str(uuid.uuid4()), mv="2.53"), 404)
        self.assertNova(cdelete("/os-services/2"), 404)
        self.assertStatus(cdelete("/os-services/" + conductor["id"], mv="2.53"), 204)
        ids = [x["id"] for x in cget("/os-services", mv="2.53").body["services"]]
        self.assertNotIn(conductor["id"], ids)
        # the agent's next heartbeat ([compute] report_interval, 10 s) registers
        # the conductor again, as a new service; later tests expect it
        def back():
            return [x for x in cget("/os-services", mv="2.53").body["services"]
                    if x["binary"] == "nova-conductor"]
        self.assertTrue(wait_until(back, timeout=30, interval=0.5))

    def test_member_forbidden(self):
        _, _, tok = member()
        self.assertNova(cget("/os-services", token=tok), 403)
        self.assertNova(cput("/os-services/enable", {"host": "h", "binary": "nova-compute"},
                             token=tok), 403)
        self.assertNova(cdelete("/os-services/" + str(uuid.uuid4()), mv="2.53", token=tok),
                        403)


class TestAvailabilityZones(CatTestCase):
    def test_list_and_detail(self):
        _, _, tok = member()
        r = cget("/os-availability-zone", token=tok)
        self.assertStatus(r, 200)
        self.assertIn({"zoneName": "nova", "zoneState": {"available": True}, "hosts": None},
                      r.body["availabilityZoneInfo"])
        self.assertNotIn("internal", [z["zoneName"] for z in r.body["availabilityZoneInfo"]])
        self.assertNova(cget("/os-availability-zone/detail", token=tok), 403)
        r = cget("/os-availability-zone/detail")
        zones = {z["zoneName"]: z for z in r.body["availabilityZoneInfo"]}
        host = compute_service()["host"]
        nova = zones["nova"]["hosts"][host]["nova-compute"]
        self.assertEqual(set(nova), {"available", "active", "updated_at"})
        self.assertTrue(nova["available"] and nova["active"])
        self.assertIn("nova-scheduler", zones["internal"]["hosts"][host])

    def test_disabled_zone_not_available(self):
        host = compute_service()["host"]
        self.addCleanup(cput, "/os-services/enable", {"host": host, "binary": "nova-compute"})
        cput("/os-services/disable", {"host": host, "binary": "nova-compute"})
        r = cget("/os-availability-zone")
        zones = {z["zoneName"]: z for z in r.body["availabilityZoneInfo"]}
        self.assertEqual(zones["nova"]["zoneState"], {"available": False})


class TestHypervisors(CatTestCase):
    def test_list_detail_show(self):
        r = cget("/os-hypervisors")
        self.assertStatus(r, 200)
        self.assertGreaterEqual(len(r.body["hypervisors"]), 1)
        h = r.body["hypervisors"][0]
        self.assertEqual(set(h), HYP_BRIEF)
        self.assertIsInstance(h["id"], int)
        self.assertEqual((h["state"], h["status"]), ("up", "enabled"))
        r = cget("/os-hypervisors/detail")
        d = r.body["hypervisors"][0]
        self.assertEqual(set(d), HYP_DETAIL)
        self.assertIsInstance(d["cpu_info"], str)
        self.assertEqual(set(d["service"]), {"id", "host", "disabled_reason"})
        self.assertEqual(d["free_ram_mb"], d["memory_mb"] - d["memory_mb_used"])
        r = cget("/os-hypervisors/%d" % h["id"])
        self.assertEqual(r.body["hypervisor"]["id"], h["id"])
        r = cget("/os-hypervisors/%d" % h["id"], mv="2.28")
        self.assertIsInstance(r.body["hypervisor"]["cpu_info"], dict)
        r = cget("/os-hypervisors/%d/uptime" % h["id"])
        self.assertStatus(r, 200)
        self.assertEqual(set(r.body["hypervisor"]), HYP_BRIEF | {"uptime"})
        self.assertIn(" up ", r.body["hypervisor"]["uptime"])
        r = cget("/os-hypervisors/statistics")
        st = r.body["hypervisor_statistics"]
        self.assertGreaterEqual(st["count"], 1)
        self.assertEqual(set(st), {"count", "vcpus", "memory_mb", "local_gb", "vcpus_used",
                                   "memory_mb_used", "local_gb_used", "free_ram_mb",
                                   "free_disk_gb", "current_workload", "running_vms",
                                   "disk_available_least"})
        self.assertNova(cget("/os-hypervisors/abc"), 404)
        self.assertNova(cget("/os-hypervisors/7"), 404)

    def test_search_and_servers_before_2_53(self):
        name = cget("/os-hypervisors").body["hypervisors"][0]["hypervisor_hostname"]
        r = cget("/os-hypervisors/%s/search" % name[:3])
        self.assertIn(name, [h["hypervisor_hostname"] for h in r.body["hypervisors"]])
        r = cget("/os-hypervisors/%s/servers" % name)
        self.assertStatus(r, 200)
        self.assertNova(cget("/os-hypervisors/zzz-none/search"), 404,
                        "No hypervisor matching 'zzz-none' could be found.")
        self.assertNova(cget("/os-hypervisors/%s/search" % name, mv="2.53"), 404)

    def test_2_53_uuids_pattern_servers_and_paging(self):
        r = cget("/os-hypervisors", mv="2.53")
        h = r.body["hypervisors"][0]
        self.assertTrue(uuid.UUID(h["id"]))
        r = cget("/os-hypervisors/" + h["id"], params={"with_servers": "true"}, mv="2.75")
        self.assertEqual(set(r.body["hypervisor"]), HYP_DETAIL | {"servers"})
        self.assertTrue(uuid.UUID(r.body["hypervisor"]["service"]["id"]))
        r = cget("/os-hypervisors/detail", mv="2.53",
                 params={"hypervisor_hostname_pattern": h["hypervisor_hostname"]})
        self.assertEqual([x["id"] for x in r.body["hypervisors"]], [h["id"]])
        self.assertNova(cget("/os-hypervisors", mv="2.53",
                             params={"hypervisor_hostname_pattern": "zzz-none"}), 404)
        self.assertNova(cget("/os-hypervisors", mv="2.53",
                             params={"hypervisor_hostname_pattern": "x", "limit": 1}), 400)
        self.assertNova(cget("/os-hypervisors/abc", mv="2.53"), 400, "Invalid uuid abc")
        self.assertNova(cget("/os-hypervisors/" + str(uuid.uuid4()), mv="2.53"), 404)
        self.assertNova(cget("/os-hypervisors", params={"with_servers": "maybe"}, mv="2.53"),
                        400)
        r = cget("/os-hypervisors", params={"limit": 1}, mv="2.33")
        self.assertEqual(len(r.body["hypervisors"]), 1)
        self.assertTrue(re.search(r"marker=\d+", r.body["hypervisors_links"][0]["href"]))
        self.assertNova(cget("/os-hypervisors", params={"marker": "99"}, mv="2.33"), 400)
        self.assertNova(cget("/os-hypervisors", params={"limit": "x"}, mv="2.33"), 400)

    def test_member_forbidden(self):
        _, _, tok = member()
        for path in ("/os-hypervisors", "/os-hypervisors/detail",
                     "/os-hypervisors/statistics", "/os-hypervisors/1",
                     "/os-hypervisors/1/uptime", "/os-hypervisors/x/search",
                     "/os-hypervisors/x/servers"):
            self.assertNova(cget(path, token=tok), 403)


class TestAggregates(CatTestCase):
    def agg(self, mv=None, **attrs):
        body = {"name": uniq("agg")}
        body.update(attrs)
        r = cpost("/os-aggregates", {"aggregate": body}, mv=mv)
        self.assertStatus(r, 200)
        a = r.body["aggregate"]
        self.addCleanup(cdelete, "/os-aggregates/%d" % a["id"])
        return a

    def test_crud_and_views(self):
        a = self.agg(availability_zone=uniq("az"))
        self.assertEqual(set(a), {"id", "name", "availability_zone", "created_at",
                                  "updated_at", "deleted_at", "deleted"})
        self.assertIsInstance(a["id"], int)
        self.assertRegex(a["created_at"], TIME_RE)
        self.assertIsNone(a["updated_at"])
        r = cget("/os-aggregates/%d" % a["id"])
        s = r.body["aggregate"]
        self.assertEqual(s["hosts"], [])
        self.assertEqual(s["metadata"], {"availability_zone": a["availability_zone"]})
        r = cget("/os-aggregates/%d" % a["id"], mv="2.41")
        self.assertTrue(uuid.UUID(r.body["aggregate"]["uuid"]))
        self.assertIn(a["id"], [x["id"] for x in cget("/os-aggregates").body["aggregates"]])
        new = uniq("agg")
        r = cput("/os-aggregates/%d" % a["id"], {"aggregate": {"name": new,
                                                               "availability_zone": None}})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["aggregate"]["name"],
                          r.body["aggregate"]["availability_zone"]), (new, None))
        self.assertRegex(r.body["aggregate"]["updated_at"], TIME_RE)
        r = cpost("/os-aggregates/%d/action" % a["id"],
                  {"set_metadata": {"metadata": {"k": "v", "x": "y"}}})
        self.assertEqual(r.body["aggregate"]["metadata"], {"k": "v", "x": "y"})
        r = cpost("/os-aggregates/%d/action" % a["id"],
                  {"set_metadata": {"metadata": {"x": None}}})
        self.assertEqual(r.body["aggregate"]["metadata"], {"k": "v"})
        self.assertStatus(cdelete("/os-aggregates/%d" % a["id"]), 200)
        self.assertNova(cget("/os-aggregates/%d" % a["id"]), 404)

    def test_hosts_and_zones(self):
        host = compute_service()["host"]
        az = uniq("az")
        a = self.agg(availability_zone=az)
        act = "/os-aggregates/%d/action" % a["id"]
        r = cpost(act, {"add_host": {"host": host}})
        self.assertStatus(r, 200)
        self.addCleanup(cpost, act, {"remove_host": {"host": host}})
        self.assertEqual(r.body["aggregate"]["hosts"], [host])
        # the host is now in that zone
        self.assertEqual(compute_service()["zone"], az)
        zones = [z["zoneName"] for z in cget("/os-availability-zone")
                 .body["availabilityZoneInfo"]]
        self.assertIn(az, zones)
        self.assertNova(cpost(act, {"add_host": {"host": host}}), 409, "already has host")
        # not in a second zone
        b = self.agg(availability_zone=uniq("az"))
        self.assertNova(cpost("/os-aggregates/%d/action" % b["id"],
                              {"add_host": {"host": host}}), 409,
                        "One or more hosts already in availability zone(s)")
        # an aggregate without a zone takes it
        c = self.agg()
        r = cpost("/os-aggregates/%d/action" % c["id"], {"add_host": {"host": host}})
        self.assertStatus(r, 200)
        self.addCleanup(cpost, "/os-aggregates/%d/action" % c["id"],
                        {"remove_host": {"host": host}})
        self.assertNova(cput("/os-aggregates/%d" % c["id"],
                             {"aggregate": {"availability_zone": uniq("az")}}), 400)
        self.assertNova(cpost("/os-aggregates/%d/action" % c["id"],
                              {"set_metadata": {"metadata": {"availability_zone": "zz"}}}),
                        400)
        # a non-empty aggregate is not deleted
        self.assertNova(cdelete("/os-aggregates/%d" % a["id"]), 400, "not empty")
        self.assertStatus(cpost(act, {"remove_host": {"host": host}}), 200)
        self.assertNova(cpost(act, {"remove_host": {"host": host}}), 404)
        self.assertEqual(compute_service()["zone"], "nova")

    def test_bad_input(self):
        a = self.agg()
        self.assertNova(cpost("/os-aggregates", {"aggregate": {"name": a["name"]}}), 409)
        for body in ({"aggregate": {}}, {"aggregate": {"name": ""}},
                     {"aggregate": {"name": " x"}}, {"aggregate": {"name": "x" * 256}},
                     {"aggregate": {"name": uniq("a"), "availability_zone": ""}},
                     {"aggregate": {"name": uniq("a"), "other": 1}}, {"agg": {}}):
            self.assertNova(cpost("/os-aggregates", body), 400)
        path = "/os-aggregates/%d" % a["id"]
        self.assertNova(cput(path, {"aggregate": {}}), 400)
        self.assertNova(cget("/os-aggregates/abc"), 400)
        self.assertNova(cget("/os-aggregates/99999"), 404)
        self.assertNova(cdelete("/os-aggregates/99999"), 404)
        act = path + "/action"
        self.assertNova(cpost(act, {"add_host": {"host": "no-such-host"}}), 404)
        self.assertNova(cpost(act, {"add_host": {}}), 400)
        self.assertNova(cpost(act, {"reboot": {}}), 400)
        self.assertNova(cpost(act, {"set_metadata": {"metadata": {"k": 5}}}), 400)
        self.assertNova(cpost(act, {"set_metadata": {"metadata":
                                                     {"availability_zone": ""}}}), 400)
        self.assertNova(cpost("/os-aggregates/99999/action",
                              {"remove_host": {"host": "h"}}), 404)
        _, _, tok = member()
        self.assertNova(cget("/os-aggregates", token=tok), 403)
        self.assertNova(cpost("/os-aggregates", {"aggregate": {"name": "x"}}, token=tok), 403)
        self.assertNova(cpost(act, {"add_host": {"host": "h"}}, token=tok), 403)


class TestOsHosts(CatTestCase):
    def test_list_show_update_power(self):
        host = compute_service()["host"]
        r = cget("/os-hosts")
        self.assertStatus(r, 200)
        self.assertIn({"host_name": host, "service": "compute", "zone": "nova"},
                      r.body["hosts"])
        self.assertIn({"host_name": host, "service": "scheduler", "zone": "internal"},
                      r.body["hosts"])
        self.assertEqual(cget("/os-hosts", params={"zone": "xxx"}).body["hosts"], [])
        self.assertEqual({h["zone"] for h in cget("/os-hosts", params={"zone": "nova"})
                          .body["hosts"]}, {"nova"})
        r = cget("/os-hosts/" + host)
        res = [x["resource"] for x in r.body["host"]]
        self.assertEqual([x["project"] for x in res[:3]], ["(total)", "(used_now)",
                                                           "(used_max)"])
        self.assertEqual(set(res[0]), {"host", "project", "cpu", "memory_mb", "disk_gb"})
        self.assertNova(cget("/os-hosts/nowhere"), 404)
        self.addCleanup(cput, "/os-services/enable", {"host": host, "binary": "nova-compute"})
        r = cput("/os-hosts/" + host, {"status": "disable"})
        self.assertEqual(r.body, {"host": host, "status": "disabled"})
        self.assertEqual(compute_service()["status"], "disabled")
        r = cput("/os-hosts/" + host, {"status": "ENABLE"})
        self.assertEqual(r.body, {"host": host, "status": "enabled"})
        for body in ({}, {"status": "invalid"}, {"maintenance_mode": "x"}, {"x": 1}):
            self.assertNova(cput("/os-hosts/" + host, body), 400)
        self.assertNova(cput("/os-hosts/nowhere", {"status": "enable"}), 404)
        # no driver here has maintenance windows or host power actions
        for r in (cput("/os-hosts/" + host, {"maintenance_mode": "enable"}),
                  cget("/os-hosts/%s/reboot" % host)):
            self.assertStatus(r, 501)
            self.assertEqual(r.body["notImplemented"]["code"], 501)
        self.assertNova(cget("/os-hosts/nowhere/startup"), 404)
        self.assertNova(cget("/os-hosts/%s/dance" % host), 404)
        # gone from 2.43
        self.assertNova(cget("/os-hosts", mv="2.43"), 404)
        _, _, tok = member()
        for path in ("/os-hosts", "/os-hosts/" + host, "/os-hosts/%s/shutdown" % host):
            self.assertNova(cget(path, token=tok), 403)
        self.assertNova(cput("/os-hosts/" + host, {"status": "enable"}, token=tok), 403)


class TestUsageAuditLog(CatTestCase):
    def test_list_and_show(self):
        host = compute_service()["host"]
        r = cget("/os-instance_usage_audit_log")
        self.assertStatus(r, 200)
        log = r.body["instance_usage_audit_logs"]
        self.assertIn(host, log["hosts_not_run"])
        self.assertEqual(log["num_hosts"], log["num_hosts_not_run"])
        self.assertEqual(log["log"], {})
        r = cget("/os-instance_usage_audit_log/2020-03-15 10:00:00")
        log = r.body["instance_usage_audit_log"]
        self.assertEqual((log["period_beginning"], log["period_ending"]),
                         ("2020-02-01 00:00:00", "2020-03-01 00:00:00"))
        r = cget("/os-instance_usage_audit_log/2020-01-01 00:00:00.000000")
        log = r.body["instance_usage_audit_log"]
        self.assertEqual((log["period_beginning"], log["period_ending"]),
                         ("2019-11-01 00:00:00", "2019-12-01 00:00:00"))
        self.assertNova(cget("/os-instance_usage_audit_log/yesterday"), 400,
                        "Invalid timestamp for date yesterday")
        _, _, tok = member()
        self.assertNova(cget("/os-instance_usage_audit_log", token=tok), 403)
