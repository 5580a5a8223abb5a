"""The compute pipeline through the Nova API: the scheduler places, the
agent builds with ports made and bound through the network service and the
image checked through the image service, deletes release what a server
had, failures end in ERROR with Nova's fault, and a daemon killed (-9)
with a batch of builds in flight comes back with every server ACTIVE or
ERROR and no port or IP left without its server."""
import os
import sqlite3
import subprocess
import time
import urllib.parse
import uuid

import requests

import cmplib
import lib
import netlib
import objlib
from cmplib import CmpTestCase
from imagelib import new_active_image
from lib import uniq

# The tests run in a project of their own with unlimited compute and port
# quotas (batches, and tests running at once), as a user with the admin
# role there.
_ctx = {}


def _token():
    if "token" not in _ctx:
        p = lib.new_project()
        u = lib.new_user(project=p["id"], role="admin")
        _ctx["project"] = p["id"]
        _ctx["token"] = lib.token_for(u, lib.project_scope(p["id"]))
        r = cmplib.cput("/os-quota-sets/" + p["id"], {"quota_set": {
            "instances": -1, "cores": -1, "ram": -1}})
        assert r.status == 200, r
        r = netlib.nput("/quotas/" + p["id"], {"quota": {"port": -1}})
        assert r.status == 200, r
    return _ctx["token"]


def cget(path, **kw):
    return cmplib.cget(path, token=_token(), **kw)


def cpost(path, body, **kw):
    return cmplib.cpost(path, body, token=_token(), **kw)


def cdelete(path, **kw):
    return cmplib.cdelete(path, token=_token(), **kw)


def nget(path, **kw):
    return netlib.nget(path, token=_token(), **kw)


def npost(path, body, **kw):
    return netlib.npost(path, body, token=_token(), **kw)


def ndelete(path, **kw):
    return netlib.ndelete(path, token=_token(), **kw)


def flavor(ram=64, vcpus=1, disk=1):
    """A new public flavor (admin); its id."""
    fid = uniq("flv")
    r = cmplib.cpost("/flavors", {"flavor": {"name": fid, "id": fid, "ram": ram,
                                             "vcpus": vcpus, "disk": disk}})
    if r.status != 200:
        raise AssertionError("cannot create a flavor: %r" % r)
    return fid


def wait_server(sid, statuses=("ACTIVE", "ERROR"), timeout=30.0):
    """Polls the server until its status is one of 'statuses'; its body."""
    end = time.monotonic() + timeout
    while True:
        r = cget("/servers/" + sid, mv="2.79")
        if r.status == 200 and r.body["server"]["status"] in statuses:
            return r.body["server"]
        if time.monotonic() > end:
            raise AssertionError("server %s still %r after %.0f s" % (
                sid, r.body, timeout))
        time.sleep(0.05)


def wait_gone(sid, timeout=30.0):
    end = time.monotonic() + timeout
    while cget("/servers/" + sid).status != 404:
        if time.monotonic() > end:
            raise AssertionError("server %s not deleted after %.0f s" % (sid, timeout))
        time.sleep(0.05)


def ports_of(sid):
    r = nget("/ports", params={"device_id": sid})
    assert r.status == 200, r
    return r.body["ports"]


class PipelineTest(CmpTestCase):
    flavor = image = None

    def setUp(self):
        # the runner may run tests alone: what they share is made once
        cls = type(self)
        if cls.flavor is None:
            cls.flavor = flavor()
            cls.image = new_active_image(token=_token())["id"]

    def network(self, cidr):
        r = npost("/networks", {"network": {"name": uniq("net")}})
        self.assertStatus(r, 201)
        net = r.body["network"]
        self.assertEqual(net["project_id"], _ctx["project"])
        self.addCleanup(ndelete, "/networks/" + net["id"])
        r = npost("/subnets", {"subnet": {"network_id": net["id"], "cidr": cidr,
                                          "ip_version": 4}})
        self.assertStatus(r, 201)
        return net["id"], r.body["subnet"]

    def boot(self, networks, wait=True, **attrs):
        body = {"name": uniq("srv"), "imageRef": self.image,
                "flavorRef": self.flavor, "networks": networks}
        body.update(attrs)
        r = cpost("/servers", {"server": body}, mv="2.79")
        self.assertStatus(r, 202)
        sid = r.body["server"]["id"]
        self.addCleanup(cdelete, "/servers/" + sid)
        return wait_server(sid) if wait else sid

    def test_build_binds_a_port_and_delete_releases_it(self):
        net, subnet = self.network("10.201.0.0/24")
        s = self.boot([{"uuid": net}])
        self.assertEqual(s["status"], "ACTIVE", s)
        ports = ports_of(s["id"])
        self.assertEqual(len(ports), 1, ports)
        p = ports[0]
        self.assertEqual(p["network_id"], net)
        self.assertEqual(p["device_owner"], "compute:" + s["OS-EXT-AZ:availability_zone"])
        self.assertEqual(p["binding:host_id"], s["OS-EXT-SRV-ATTR:host"])
        self.assertEqual(p["status"], "ACTIVE")
        ip = p["fixed_ips"][0]["ip_address"]
        addrs = [a["addr"] for v in s["addresses"].values() for a in v]
        self.assertEqual(addrs, [ip])
        self.assertEqual(s["OS-EXT-STS:power_state"], 1)
        self.assertIsNone(s["OS-EXT-STS:task_state"])
        # the build's events: placed by the scheduler, built by the agent
        r = cget("/servers/%s/os-instance-actions" % s["id"], mv="2.79")
        self.assertStatus(r, 200)
        create = [a for a in r.body["instanceActions"] if a["action"] == "create"][0]
        r = cget("/servers/%s/os-instance-actions/%s" % (s["id"], create["request_id"]),
                 mv="2.79")
        self.assertStatus(r, 200)
        events = {e["event"]: e["result"] for e in r.body["instanceAction"]["events"]}
        self.assertEqual(events.get("conductor_schedule_and_build_instances"), "Success")
        self.assertEqual(events.get("compute__do_build_and_run_instance"), "Success")
        # delete: the port and its address go back to the network
        self.assertStatus(cdelete("/servers/" + s["id"]), 204)
        wait_gone(s["id"])
        self.assertEqual(ports_of(s["id"]), [])
        r = nget("/ports", params={"fixed_ips": "ip_address=" + ip})
        self.assertEqual(r.body["ports"], [])

    def test_given_port_is_bound_then_unbound_not_deleted(self):
        net, _ = self.network("10.202.0.0/24")
        r = npost("/ports", {"port": {"network_id": net}})
        self.assertStatus(r, 201)
        pid = r.body["port"]["id"]
        self.addCleanup(ndelete, "/ports/" + pid)
        s = self.boot([{"port": pid}])
        self.assertEqual(s["status"], "ACTIVE", s)
        p = nget("/ports/" + pid).body["port"]
        self.assertEqual(p["device_id"], s["id"])
        self.assertTrue(p["device_owner"].startswith("compute:"))
        self.assertEqual(p["binding:host_id"], s["OS-EXT-SRV-ATTR:host"])
        self.assertStatus(cdelete("/servers/" + s["id"]), 204)
        wait_gone(s["id"])
        r = nget("/ports/" + pid)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["port"]["device_id"], "")
        self.assertEqual(r.body["port"]["device_owner"], "")
        self.assertEqual(r.body["port"]["binding:host_id"], "")

    def test_two_networks_two_ports_in_order(self):
        net1, _ = self.network("10.203.0.0/24")
        net2, _ = self.network("10.204.0.0/24")
        s = self.boot([{"uuid": net1}, {"uuid": net2, "fixed_ip": "10.204.0.77"}])
        self.assertEqual(s["status"], "ACTIVE", s)
        ports = ports_of(s["id"])
        self.assertEqual(sorted(p["network_id"] for p in ports), sorted([net1, net2]))
        ips = [a["addr"] for v in s["addresses"].values() for a in v]
        self.assertIn("10.204.0.77", ips)

    def test_no_port_with_networks_none(self):
        s = self.boot("none")
        self.assertEqual(s["status"], "ACTIVE", s)
        self.assertEqual(ports_of(s["id"]), [])
        self.assertEqual(s["addresses"], {})

    def test_security_group_by_name_on_the_port(self):
        net, _ = self.network("10.205.0.0/24")
        name = uniq("sg")
        r = npost("/security-groups", {"security_group": {"name": name}})
        self.assertStatus(r, 201)
        sg = r.body["security_group"]["id"]
        self.addCleanup(ndelete, "/security-groups/" + sg)
        s = self.boot([{"uuid": net}], security_groups=[{"name": name}])
        self.assertEqual(s["status"], "ACTIVE", s)
        self.assertEqual(ports_of(s["id"])[0]["security_groups"], [sg])
        cdelete("/servers/" + s["id"])
        wait_gone(s["id"])      # before the group's cleanup

    def test_no_valid_host_is_error_with_fault(self):
        big = flavor(disk=1 << 30)       # an EiB of disk: no host has it
        s = self.boot("none", flavorRef=big)
        self.assertEqual(s["status"], "ERROR", s)
        self.assertEqual(s["fault"]["code"], 500)
        self.assertEqual(s["fault"]["message"], "No valid host was found. There are not "
                                                "enough hosts available.")
        self.assertIsNone(s["OS-EXT-SRV-ATTR:host"])
        # deleting a server that was never placed is immediate
        self.assertStatus(cdelete("/servers/" + s["id"]), 204)
        wait_gone(s["id"])

    def test_failed_port_fails_the_build_and_frees_the_others(self):
        net1, _ = self.network("10.206.0.0/24")
        net2, _ = self.network("10.207.0.0/24")
        r = npost("/ports", {"port": {"network_id": net2,
                                      "fixed_ips": [{"ip_address": "10.207.0.50"}]}})
        self.assertStatus(r, 201)
        self.addCleanup(ndelete, "/ports/" + r.body["port"]["id"])
        s = self.boot([{"uuid": net1}, {"uuid": net2, "fixed_ip": "10.207.0.50"}])
        self.assertEqual(s["status"], "ERROR", s)
        self.assertIn("aborted", s["fault"]["message"])
        self.assertEqual(ports_of(s["id"]), [])
        r = nget("/ports", params={"network_id": net1, "device_owner": "compute:nova"})
        self.assertEqual(r.body["ports"], [])

    def test_batch_builds_all_become_active(self):
        body = {"name": uniq("batch"), "imageRef": self.image, "flavorRef": self.flavor,
                "networks": "none", "min_count": 20, "max_count": 20,
                "return_reservation_id": True}
        r = cpost("/servers", {"server": body}, mv="2.79")
        self.assertStatus(r, 202)
        rid = r.body["reservation_id"]

        def listed():
            r = cget("/servers/detail", params={"reservation_id": rid}, mv="2.79")
            return r.body["servers"]
        end = time.monotonic() + 60
        while True:
            servers = listed()
            if len(servers) == 20 and all(s["status"] == "ACTIVE" for s in servers):
                break
            self.assertLess(time.monotonic(), end, servers)
            time.sleep(0.1)
        for s in servers:
            cdelete("/servers/" + s["id"])
        for s in servers:
            wait_gone(s["id"])

    def group(self, policy):
        r = cpost("/os-server-groups", {"server_group": {"name": uniq("grp"),
                                                          "policy": policy}}, mv="2.64")
        self.assertStatus(r, 200)
        gid = r.body["server_group"]["id"]
        self.addCleanup(cdelete, "/os-server-groups/" + gid)
        return gid

    def test_anti_affinity_group_on_one_host(self):
        gid = self.group("anti-affinity")
        hints = {"os:scheduler_hints": {"group": gid}}
        first = self.boot_hinted(hints)
        self.assertEqual(first["status"], "ACTIVE", first)
        second = self.boot_hinted(hints)
        self.assertEqual(second["status"], "ERROR", second)
        self.assertIn("No valid host", second["fault"]["message"])
        # once the first is gone, its host is free for the group again
        cdelete("/servers/" + first["id"])
        wait_gone(first["id"])
        third = self.boot_hinted(hints)
        self.assertEqual(third["status"], "ACTIVE", third)
        r = cget("/os-server-groups/" + gid)
        self.assertNotIn(first["id"], r.body["server_group"]["members"])

    def test_affinity_and_soft_policies_share_the_host(self):
        for policy in ("affinity", "soft-affinity", "soft-anti-affinity"):
            gid = self.group(policy)
            hints = {"os:scheduler_hints": {"group": gid}}
            a, b = self.boot_hinted(hints), self.boot_hinted(hints)
            self.assertEqual((a["status"], b["status"]), ("ACTIVE", "ACTIVE"), policy)
            self.assertEqual(a["OS-EXT-SRV-ATTR:host"], b["OS-EXT-SRV-ATTR:host"])

    def boot_hinted(self, extra):
        body = {"server": {"name": uniq("srv"), "imageRef": self.image,
                           "flavorRef": self.flavor, "networks": "none"}}
        body.update(extra)
        r = cmplib.c("POST", "/servers", body, mv="2.79", token=_token())
        self.assertStatus(r, 202)
        sid = r.body["server"]["id"]
        self.addCleanup(cdelete, "/servers/" + sid)
        return wait_server(sid)

    def test_agent_reports_its_services_and_node(self):
        r = cget("/os-services", mv="2.79")
        self.assertStatus(r, 200)
        bins = {s["binary"]: s for s in r.body["services"]}
        for b in ("nova-compute", "nova-scheduler", "nova-conductor"):
            self.assertIn(b, bins)
            self.assertEqual(bins[b]["state"], "up", bins[b])
        self.assertEqual(bins["nova-compute"]["zone"], "nova")
        self.assertEqual(bins["nova-scheduler"]["zone"], "internal")
        r = cget("/os-hypervisors/detail", mv="2.79")
        self.assertStatus(r, 200)
        h = r.body["hypervisors"][0]
        self.assertEqual(h["hypervisor_type"], "fake")
        self.assertEqual(h["state"], "up")


# ---------------------------------------------------------------- a private daemon

class Daemon(objlib.PrivateDaemon):
    """The object tests' private daemon (own state directory), with builds
    that take BOOT_MS each (the fake driver's boot time) and the power sync
    every second; on a fresh PostgreSQL database in a PostgreSQL run
    (NUBIS_DB, NUBIS_PG_URI as tests/api/run.sh has them), else SQLite."""

    BOOT_MS = 150

    def __init__(self):
        # disk overcommitted 10 times: a guest the fake host's disk cannot
        # hold is placed, and its spawn fails
        conf = ("[compute]\nfake_boot_ms = %d\nsync_power_state_interval = 1\n"
                "report_interval = 1\ndisk_allocation_ratio = 10\n" % self.BOOT_MS)
        self.pgdb = None
        if os.environ.get("NUBIS_DB") == "postgresql":
            self.pgdb = "nubis_cmp_" + uuid.uuid4().hex[:12]
            self.psql("CREATE DATABASE \"%s\"" % self.pgdb)
            u = urllib.parse.urlsplit(os.environ["NUBIS_PG_URI"])
            conf += "[database]\nconnection = %s\n" % urllib.parse.urlunsplit(
                (u.scheme, u.netloc, "/" + self.pgdb, u.query, u.fragment))
        super().__init__(conf)

    @staticmethod
    def psql(sql):
        subprocess.run(["psql", os.environ["NUBIS_PG_URI"], "-qAt", "-v",
                        "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True,
                       timeout=60)

    def close(self):
        super().close()
        if self.pgdb:
            self.psql("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)" % self.pgdb)

    def start(self):
        super().start()
        self.project = self.account.rsplit("AUTH_", 1)[1]
        with open(os.path.join(self.state, "daemon.log")) as f:
            assert ("postgresql database" if self.pgdb else "sqlite database") in f.read()
        return self

    def call(self, method, path, body=None, **kw):
        h = {"X-Auth-Token": self.token, "OpenStack-API-Version": "compute 2.79"}
        return requests.request(method, self.url + path, json=body, headers=h,
                                timeout=60, **kw)


class PrivateDaemonTest(CmpTestCase):
    """What needs a daemon of its own: kill -9 while a batch of 50 builds is
    in flight (and during deletes), the build queue's bounds and order,
    aggregate zones, and spawns that fail."""

    def setUp(self):
        self.d = Daemon().start()
        self.addCleanup(self.d.close)
        self.addCleanup(self.check_log)
        d = self.d
        r = d.call("POST", "/compute/v2.1/flavors", {"flavor": {
            "name": "tiny", "id": "tiny", "ram": 64, "vcpus": 1, "disk": 1}})
        self.assertEqual(r.status_code, 200, r.text)
        r = d.call("POST", "/image/v2/images", {"name": "img", "disk_format": "raw",
                                                "container_format": "bare"})
        self.image = r.json()["id"]
        r = requests.put(d.url + "/image/v2/images/%s/file" % self.image, data=b"x" * 512,
                         headers={"X-Auth-Token": d.token,
                                  "Content-Type": "application/octet-stream"})
        self.assertEqual(r.status_code, 204, r.text)
        r = d.call("POST", "/network/v2.0/networks", {"network": {"name": "crash"}})
        self.net = r.json()["network"]["id"]
        r = d.call("POST", "/network/v2.0/subnets", {"subnet": {
            "network_id": self.net, "cidr": "10.99.0.0/24", "ip_version": 4}})
        self.assertEqual(r.status_code, 201, r.text)
        r = d.call("PUT", "/compute/v2.1/os-quota-sets/" + d.project, {"quota_set": {
            "instances": -1, "cores": -1, "ram": -1}})
        self.assertEqual(r.status_code, 200, r.text)

    def check_log(self):
        """The private daemon stops cleanly on SIGTERM and its log (both of
        its lives) has no sanitizer report."""
        if self.d.proc.poll() is None:
            self.d.kill(15)
            self.assertEqual(self.d.proc.returncode, 0)
        with open(os.path.join(self.d.state, "daemon.log")) as f:
            text = f.read()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                    "BUG:"):
            self.assertNotIn(bad, text)

    def servers(self):
        r = self.d.call("GET", "/compute/v2.1/servers/detail")
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["servers"]

    def db_states(self):
        """vm_state of every live server, read from the database of the
        stopped daemon."""
        sql = "SELECT vm_state FROM cmp_instances WHERE deleted_at IS NULL"
        if self.d.pgdb:
            u = urllib.parse.urlsplit(os.environ["NUBIS_PG_URI"])
            uri = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + self.d.pgdb,
                                           u.query, u.fragment))
            r = subprocess.run(["psql", uri, "-qAt", "-c", sql], check=True,
                               capture_output=True, text=True, timeout=60)
            return r.stdout.split()
        db = sqlite3.connect(os.path.join(self.d.state, "nubis.db"))
        try:
            return [row[0] for row in db.execute(sql)]
        finally:
            db.close()

    def compute_ports(self):
        r = self.d.call("GET", "/network/v2.0/ports")
        return [p for p in r.json()["ports"] if p["device_owner"].startswith("compute:")]

    def used_ips(self):
        r = self.d.call("GET", "/network/v2.0/network-ip-availabilities/" + self.net)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["network_ip_availability"]["used_ips"]

    def dhcp_ports(self):
        r = self.d.call("GET", "/network/v2.0/ports", params={"network_id": self.net})
        return [p for p in r.json()["ports"] if p["device_owner"] == "network:dhcp"]

    def assertNoOrphans(self, servers):
        """Every compute port is a live server's and in its addresses; every
        used IP is a port's."""
        live = {s["id"]: s for s in servers}
        ports = self.compute_ports()
        for p in ports:
            self.assertIn(p["device_id"], live, "port %s has no server" % p["id"])
            s = live[p["device_id"]]
            addrs = [a["addr"] for v in s["addresses"].values() for a in v]
            self.assertEqual(addrs, [p["fixed_ips"][0]["ip_address"]], s)
        for s in servers:
            want = 1 if s["status"] == "ACTIVE" else 0
            self.assertEqual(len([p for p in ports if p["device_id"] == s["id"]]), want, s)
        dhcp = sum(len(p["fixed_ips"]) for p in self.dhcp_ports())
        self.assertEqual(self.used_ips(), len(ports) + dhcp)

    def test_kill_9_with_50_builds_in_flight(self):
        d = self.d
        r = d.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "crash", "imageRef": self.image, "flavorRef": "tiny",
            "networks": [{"uuid": self.net}], "min_count": 50, "max_count": 50}})
        self.assertEqual(r.status_code, 202, r.text)
        # kill once some are built and the rest are in flight
        end = time.monotonic() + 30
        while True:
            states = [s["status"] for s in self.servers()]
            if states.count("ACTIVE") >= 5:
                break
            self.assertLess(time.monotonic(), end, states)
            time.sleep(0.02)
        d.kill(9)
        before = self.db_states()
        self.assertEqual(len(before), 50)
        self.assertGreater(before.count("building"), 0,
                           "no build was in flight at the kill")

        d.start()
        end = time.monotonic() + 60
        while True:
            servers = self.servers()
            if not [s for s in servers if s["status"] == "BUILD"]:
                break
            self.assertLess(time.monotonic(), end, [s["status"] for s in servers])
            time.sleep(0.1)
        self.assertEqual(len(servers), 50)
        for s in servers:
            self.assertIn(s["status"], ("ACTIVE", "ERROR"), s)
            self.assertIsNone(s["OS-EXT-STS:task_state"], s)
        self.assertNoOrphans(servers)
        # the guests the killed daemon ran are gone with it (the fake
        # driver keeps them in memory): the power sync records it
        old = [s["id"] for s in servers if s["status"] == "ACTIVE"]

        def synced():
            states = {s["id"]: s["OS-EXT-STS:power_state"] for s in self.servers()}
            return any(states[i] == 0 for i in old)
        self.assertTrue(lib.wait_until(synced, timeout=10))

        # and everything goes away on delete
        for s in servers:
            r = d.call("DELETE", "/compute/v2.1/servers/" + s["id"])
            self.assertEqual(r.status_code, 204, r.text)
        end = time.monotonic() + 60
        while self.servers():
            self.assertLess(time.monotonic(), end)
            time.sleep(0.1)
        self.assertEqual(self.compute_ports(), [])
        dhcp = sum(len(p["fixed_ips"]) for p in self.dhcp_ports())
        self.assertEqual(self.used_ips(), dhcp)

    def test_kill_9_during_deletes_finishes_them(self):
        d = self.d
        r = d.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "del", "imageRef": self.image, "flavorRef": "tiny",
            "networks": [{"uuid": self.net}], "min_count": 10, "max_count": 10}})
        self.assertEqual(r.status_code, 202, r.text)
        end = time.monotonic() + 30
        while [s for s in self.servers() if s["status"] != "ACTIVE"]:
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        for s in self.servers():
            d.call("DELETE", "/compute/v2.1/servers/" + s["id"])
        d.kill(9)
        d.start()
        end = time.monotonic() + 60
        while self.servers():
            self.assertLess(time.monotonic(), end, self.servers())
            time.sleep(0.1)
        self.assertEqual(self.compute_ports(), [])

    def build_start(self, sid):
        """When the agent started building server 'sid' (its event)."""
        r = self.d.call("GET", "/compute/v2.1/servers/%s/os-instance-actions" % sid)
        req = [a for a in r.json()["instanceActions"] if a["action"] == "create"][0]
        r = self.d.call("GET", "/compute/v2.1/servers/%s/os-instance-actions/%s" % (
            sid, req["request_id"]))
        return [e["start_time"] for e in r.json()["instanceAction"]["events"]
                if e["event"] == "compute__do_build_and_run_instance"][0]

    def test_builds_run_bounded_and_in_order(self):
        """max_concurrent_builds (10) at once, taken in the order of the batch."""
        d = self.d
        r = d.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "order", "imageRef": self.image, "flavorRef": "tiny",
            "networks": "none", "min_count": 20, "max_count": 20}})
        self.assertEqual(r.status_code, 202, r.text)
        most = 0
        end = time.monotonic() + 60
        while True:
            servers = self.servers()
            building = [s for s in servers if s["status"] == "BUILD" and
                        s["OS-EXT-STS:task_state"] in ("networking", "spawning")]
            most = max(most, len(building))
            if len(servers) == 20 and all(s["status"] == "ACTIVE" for s in servers):
                break
            self.assertLess(time.monotonic(), end, [s["status"] for s in servers])
            time.sleep(0.02)
        self.assertLessEqual(most, 10)
        self.assertGreater(most, 1)
        start = {int(s["name"].rsplit("-", 1)[1]): self.build_start(s["id"])
                 for s in servers}
        first, second = [start[i] for i in range(1, 11)], [start[i] for i in range(11, 21)]
        self.assertLess(max(first), min(second), start)

    def test_aggregate_zone_places_and_names_servers(self):
        d = self.d
        r = d.call("GET", "/compute/v2.1/os-hypervisors/detail")
        host = r.json()["hypervisors"][0]["service"]["host"]
        r = d.call("POST", "/compute/v2.1/os-aggregates", {"aggregate": {
            "name": "edge", "availability_zone": "az-edge"}})
        self.assertEqual(r.status_code, 200, r.text)
        agg = r.json()["aggregate"]["id"]
        r = d.call("POST", "/compute/v2.1/os-aggregates/%s/action" % agg,
                   {"add_host": {"host": host}})
        self.assertEqual(r.status_code, 200, r.text)
        r = d.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "edge", "imageRef": self.image, "flavorRef": "tiny",
            "availability_zone": "az-edge", "networks": [{"uuid": self.net}]}})
        self.assertEqual(r.status_code, 202, r.text)
        sid = r.json()["server"]["id"]
        end = time.monotonic() + 30
        while True:
            s = d.call("GET", "/compute/v2.1/servers/" + sid).json()["server"]
            if s["status"] != "BUILD":
                break
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        self.assertEqual(s["status"], "ACTIVE", s)
        self.assertEqual(s["OS-EXT-AZ:availability_zone"], "az-edge")
        self.assertEqual([p["device_owner"] for p in self.compute_ports()],
                         ["compute:az-edge"])

    def test_failed_spawn_is_rescheduled_then_fails(self):
        d = self.d
        r = d.call("POST", "/compute/v2.1/flavors", {"flavor": {
            "name": "huge", "id": "huge", "ram": 64, "vcpus": 1, "disk": 700000}})
        self.assertEqual(r.status_code, 200, r.text)
        r = d.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "big", "imageRef": self.image, "flavorRef": "huge",
            "networks": [{"uuid": self.net}]}})
        self.assertEqual(r.status_code, 202, r.text)
        sid = r.json()["server"]["id"]
        end = time.monotonic() + 30
        while True:
            s = d.call("GET", "/compute/v2.1/servers/" + sid).json()["server"]
            if s["status"] != "BUILD":
                break
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        # the only host failed it, so the second try finds none (Nova's
        # MaxRetriesExceeded); the port made for the first try is gone
        self.assertEqual(s["status"], "ERROR", s)
        self.assertEqual(s["fault"]["message"], "Exceeded maximum number of retries. "
                         "Exhausted all hosts available for retrying build failures "
                         "for instance %s." % sid)
        self.assertEqual(self.compute_ports(), [])
        self.assertEqual(s["addresses"], {})
        r = d.call("GET", "/compute/v2.1/servers/%s/os-instance-actions" % sid)
        req = r.json()["instanceActions"][0]["request_id"]
        r = d.call("GET", "/compute/v2.1/servers/%s/os-instance-actions/%s" % (sid, req))
        events = {e["event"]: e["result"] for e in r.json()["instanceAction"]["events"]}
        self.assertEqual(events["compute__do_build_and_run_instance"], "Error")
        self.assertEqual(events["conductor_schedule_and_build_instances"], "Error")
        self.assertEqual(r.json()["instanceAction"]["message"], "Error")

    def test_delete_during_build_waits_for_it(self):
        d = self.d
        r = d.call("POST", "/compute/v2.1/servers", {"server": {
            "name": "quick", "imageRef": self.image, "flavorRef": "tiny",
            "networks": [{"uuid": self.net}]}})
        self.assertEqual(r.status_code, 202, r.text)
        sid = r.json()["server"]["id"]
        end = time.monotonic() + 10
        while self.d.call("GET", "/compute/v2.1/servers/" + sid).json()["server"][
                "OS-EXT-SRV-ATTR:host"] is None:
            self.assertLess(time.monotonic(), end)
            time.sleep(0.01)
        r = d.call("DELETE", "/compute/v2.1/servers/" + sid)
        self.assertEqual(r.status_code, 204, r.text)
        end = time.monotonic() + 30
        while d.call("GET", "/compute/v2.1/servers/" + sid).status_code != 404:
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        self.assertEqual(self.compute_ports(), [])
