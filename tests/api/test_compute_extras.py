"""The compute extras: GET /servers/{id}/diagnostics (free-form before 2.48,
standardized from 2.48), POST /os-server-external-events (per-event codes,
207, what network-changed / network-vif-deleted / power-update do),
migration records of resizes, GET /os-migrations (filters, 2.23, 2.59
paging, 2.66), /servers/{id}/migrations, and the admin actions "migrate"
and "os-migrateLive" on a single compute host (NoValidHost), with every
bad input (400), member (403), unknown server (404) and wrong state
(409)."""
import lib
import netlib
from cmplib import cdelete, cget, cpost
from test_compute_actions import ActionsBase, act, show, wait_status

ZERO = "00000000-0000-4000-8000-000000000000"


def events(evs, token=lib._UNSET, mv="2.79"):
    return cpost("/os-server-external-events", {"events": evs}, token=token, mv=mv)


def migrations(query="", token=lib._UNSET, mv="2.79"):
    return cget("/os-migrations" + query, token=token, mv=mv)


def host_of(sid):
    return show(sid).body["server"]["OS-EXT-SRV-ATTR:host"]


class TestDiagnostics(ActionsBase):
    STD_KEYS = ["config_drive", "cpu_details", "disk_details", "driver", "hypervisor",
                "hypervisor_os", "memory_details", "nic_details", "num_cpus", "num_disks",
                "num_nics", "state", "uptime"]

    def test_standardized_from_2_48(self):
        sid = self.boot(flavor=1)
        r = cget("/servers/%s/diagnostics" % sid, mv="2.48")
        self.assertStatus(r, 200)
        d = r.body
        self.assertEqual(sorted(d), self.STD_KEYS)
        self.assertEqual(d["state"], "running")
        self.assertEqual(d["num_cpus"], 2)
        self.assertEqual(len(d["cpu_details"]), 2)
        self.assertEqual(d["memory_details"]["maximum"], 128)
        self.assertEqual(d["num_nics"], 1)
        self.assertEqual(sorted(d["nic_details"][0]),
                         ["mac_address", "rx_drop", "rx_errors", "rx_octets", "rx_packets",
                          "rx_rate", "tx_drop", "tx_errors", "tx_octets", "tx_packets",
                          "tx_rate"])
        ports = cget("/servers/%s/os-interface" % sid, token=self.tok).body
        self.assertEqual(d["nic_details"][0]["mac_address"],
                         ports["interfaceAttachments"][0]["mac_addr"])
        self.assertEqual(d["num_disks"], len(d["disk_details"]))
        self.assertIn(d["driver"], ("libvirt", "xenapi", "vmwareapi", "ironic", "hyperv"))

    def test_free_form_before_2_48(self):
        sid = self.boot()
        r = cget("/servers/%s/diagnostics" % sid, mv="2.47")
        self.assertStatus(r, 200)
        self.assertIn("cpu0_time", r.body)
        self.assertEqual(r.body["memory"], 64 * 1024)
        self.assertIn("vda_read", r.body)
        self.assertTrue(any(k.startswith("tap") and k.endswith("_rx") for k in r.body), r)
        self.assertNotIn("memory_details", r.body)

    def test_member_403_unknown_404_other_project_404(self):
        sid = self.boot()
        r = cget("/servers/%s/diagnostics" % sid, token=self.tok, mv="2.79")
        self.assertNova(r, 403)
        r = cget("/servers/%s/diagnostics" % ZERO, mv="2.79")
        self.assertNova(r, 404, ZERO)
        r = cget("/servers/%s/diagnostics" % sid, token=self.fx["other"], mv="2.79")
        self.assertIn(r.status, (403, 404))

    def test_stopped_server_409(self):
        sid = self.boot()
        self.act_ok(sid, {"os-stop": None})
        wait_status(sid, "SHUTOFF", token=self.tok)
        r = cget("/servers/%s/diagnostics" % sid, mv="2.79")
        self.assertNova(r, 409, "Cannot 'get_diagnostics' instance %s" % sid,
                        "power state shutdown")


class TestExternalEvents(ActionsBase):
    def test_network_changed_200(self):
        sid = self.boot()
        r = events([{"name": "network-changed", "server_uuid": sid}])
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"events": [{"name": "network-changed", "server_uuid": sid,
                                              "status": "completed", "code": 200}]})

    def test_network_changed_refreshes_addresses_from_the_port(self):
        sid = self.boot()
        port = cget("/servers/%s/os-interface" % sid,
                    token=self.tok).body["interfaceAttachments"][0]
        subnet = port["fixed_ips"][0]["subnet_id"]
        r = netlib.nput("/ports/" + port["port_id"],
                        {"port": {"fixed_ips": [{"subnet_id": subnet,
                                                 "ip_address": "10.77.0.250"}]}})
        self.assertStatus(r, 200)
        before = cget("/servers/%s/ips" % sid, token=self.tok).body["addresses"]
        self.assertNotIn("10.77.0.250", str(before))
        r = events([{"name": "network-changed", "server_uuid": sid,
                     "tag": port["port_id"]}])
        self.assertStatus(r, 200)
        self.assertEqual(r.body["events"][0]["tag"], port["port_id"])
        after = cget("/servers/%s/ips" % sid, token=self.tok).body["addresses"]
        self.assertEqual([a["addr"] for a in list(after.values())[0]], ["10.77.0.250"])

    def test_vif_deleted_drops_the_port(self):
        sid = self.boot()
        port = cget("/servers/%s/os-interface" % sid,
                    token=self.tok).body["interfaceAttachments"][0]
        r = events([{"name": "network-vif-deleted", "server_uuid": sid,
                     "tag": port["port_id"]}])
        self.assertStatus(r, 200)
        self.assertEqual(cget("/servers/%s/ips" % sid, token=self.tok).body["addresses"], {})

    def test_unknown_server_alone_404_mixed_207(self):
        r = events([{"name": "network-changed", "server_uuid": ZERO}])
        self.assertNova(r, 404, "No instances found for any event")
        sid = self.boot()
        r = events([{"name": "network-vif-plugged", "server_uuid": sid, "status": "failed"},
                    {"name": "network-changed", "server_uuid": ZERO}])
        self.assertStatus(r, 207)
        self.assertEqual([(e["code"], e["status"]) for e in r.body["events"]],
                         [(200, "completed"), (404, "failed")])

    def test_server_without_host_422(self):
        sid = self.boot()
        # more disk than the fake host has: NoValidHost, ERROR with no host
        r = cpost("/flavors", {"flavor": {"name": lib.uniq("huge"), "ram": 64, "vcpus": 1,
                                          "disk": 10 ** 7}})
        self.assertStatus(r, 200)
        self.addCleanup(cdelete, "/flavors/" + r.body["flavor"]["id"])
        r = cpost("/servers", {"server": {"name": lib.uniq("vm"), "imageRef": self.fx["image"],
                                          "flavorRef": r.body["flavor"]["id"],
                                          "networks": "none"}}, mv="2.79")
        self.assertStatus(r, 202)
        nohost = r.body["server"]["id"]
        self.addCleanup(cdelete, "/servers/" + nohost)
        wait_status(nohost, "ERROR")
        r = events([{"name": "network-changed", "server_uuid": sid},
                    {"name": "network-changed", "server_uuid": nohost}])
        self.assertStatus(r, 207)
        self.assertEqual([e["code"] for e in r.body["events"]], [200, 422])

    def test_power_update_2_76(self):
        sid = self.boot()
        r = events([{"name": "power-update", "server_uuid": sid, "tag": "POWER_OFF"}],
                   mv="2.75")
        self.assertNova(r, 400)
        r = events([{"name": "network-changed", "server_uuid": sid},
                    {"name": "power-update", "server_uuid": sid}], mv="2.76")
        self.assertStatus(r, 207)
        self.assertEqual([e["code"] for e in r.body["events"]], [200, 400])
        r = events([{"name": "power-update", "server_uuid": sid, "tag": "POWER_OFF"}],
                   mv="2.76")
        self.assertStatus(r, 200)
        s = show(sid).body["server"]
        self.assertEqual(s["OS-EXT-STS:vm_state"], "stopped")

    def test_volume_extended_from_2_51(self):
        sid = self.boot()
        r = events([{"name": "volume-extended", "server_uuid": sid, "tag": ZERO}], mv="2.50")
        self.assertNova(r, 400)
        r = events([{"name": "volume-extended", "server_uuid": sid, "tag": ZERO}], mv="2.51")
        self.assertStatus(r, 200)

    def test_member_403(self):
        sid = self.boot()
        r = events([{"name": "network-changed", "server_uuid": sid}], token=self.tok)
        self.assertNova(r, 403)

    def test_bad_input_400(self):
        sid = self.boot()
        ok = {"name": "network-changed", "server_uuid": sid}
        for body in ({}, {"events": []}, {"events": {}}, {"events": [ok], "x": 1},
                     {"events": [dict(ok, name="bogus")]},
                     {"events": [dict(ok, server_uuid="not-a-uuid")]},
                     {"events": [dict(ok, status="done")]},
                     {"events": [dict(ok, tag="t" * 256)]},
                     {"events": [dict(ok, tag=5)]},
                     {"events": [dict(ok, extra=1)]},
                     {"events": [{"name": "network-changed"}]},
                     {"events": [{"server_uuid": sid}]},
                     {"events": ["x"]}):
            r = cpost("/os-server-external-events", body, mv="2.79")
            self.assertNova(r, 400)


class TestMigrationRecords(ActionsBase):
    def resized(self, confirm):
        sid = self.boot()
        self.act_ok(sid, {"resize": {"flavorRef": self.fx["flavors"][1]}})
        wait_status(sid, "VERIFY_RESIZE", token=self.tok)
        r = migrations("?instance_uuid=" + sid)
        self.assertStatus(r, 200)
        self.assertEqual([m["status"] for m in r.body["migrations"]], ["finished"])
        self.act_ok(sid, {"confirmResize": None} if confirm else {"revertResize": None},
                    status=204 if confirm else 202)
        wait_status(sid, "ACTIVE", token=self.tok)
        return sid

    def test_resize_confirm_record(self):
        sid = self.resized(True)
        r = migrations("?instance_uuid=" + sid, mv="2.79")
        m = r.body["migrations"][0]
        self.assertEqual(sorted(m), ["created_at", "dest_compute", "dest_host", "dest_node",
                                     "id", "instance_uuid", "migration_type",
                                     "new_instance_type_id", "old_instance_type_id",
                                     "source_compute", "source_node", "status",
                                     "updated_at", "uuid"])
        self.assertEqual((m["status"], m["migration_type"]), ("confirmed", "resize"))
        self.assertEqual(m["source_compute"], host_of(sid))
        self.assertEqual(m["dest_compute"], host_of(sid))
        self.assertNotEqual(m["old_instance_type_id"], m["new_instance_type_id"])
        self.assertIsNotNone(m["updated_at"])

    def test_resize_revert_record(self):
        sid = self.resized(False)
        r = migrations("?instance_uuid=%s&status=reverted" % sid)
        self.assertEqual(len(r.body["migrations"]), 1)
        r = migrations("?instance_uuid=%s&status=confirmed" % sid)
        self.assertEqual(r.body["migrations"], [])

    def test_fields_by_microversion(self):
        sid = self.resized(True)
        q = "?instance_uuid=" + sid
        m = migrations(q, mv="2.22").body["migrations"][0]
        self.assertNotIn("migration_type", m)
        self.assertNotIn("uuid", m)
        m = migrations(q, mv="2.23").body["migrations"][0]
        self.assertEqual(m["migration_type"], "resize")
        self.assertNotIn("uuid", m)
        self.assertNotIn("links", m)
        m = migrations(q, mv="2.59").body["migrations"][0]
        self.assertIn("uuid", m)

    def test_filters(self):
        sid = self.resized(True)
        host = host_of(sid)
        for q in ("?migration_type=resize", "?host=" + host, "?source_compute=" + host,
                  "?status=confirmed"):
            ids = [m["instance_uuid"] for m in migrations(q).body["migrations"]]
            self.assertIn(sid, ids, q)
        for q in ("?migration_type=live-migration", "?host=elsewhere",
                  "?source_compute=elsewhere", "?status=running", "?hidden=1"):
            ids = [m["instance_uuid"] for m in migrations(q).body["migrations"]]
            self.assertNotIn(sid, ids, q)

    def test_paging_and_changes_since(self):
        a = self.resized(True)
        b = self.resized(True)
        r = migrations("?limit=1")
        self.assertStatus(r, 200)
        self.assertEqual(len(r.body["migrations"]), 1)
        first = r.body["migrations"][0]
        self.assertEqual(first["instance_uuid"], b)
        self.assertIn("marker=" + first["uuid"], r.body["migrations_links"][0]["href"])
        r = migrations("?limit=1&marker=" + first["uuid"])
        self.assertEqual(r.body["migrations"][0]["instance_uuid"], a)
        r = migrations("?changes-since=2999-01-01T00:00:00Z")
        self.assertEqual(r.body["migrations"], [])
        r = migrations("?changes-since=2000-01-01T00:00:00Z&instance_uuid=" + a)
        self.assertEqual(len(r.body["migrations"]), 1)
        r = migrations("?changes-before=2000-01-01T00:00:00Z", mv="2.66")
        self.assertEqual(r.body["migrations"], [])
        # before 2.59 the paging parameters are ignored
        r = migrations("?limit=1&bogus=1", mv="2.58")
        self.assertStatus(r, 200)
        self.assertGreaterEqual(len(r.body["migrations"]), 2)

    def test_list_bad_input_400_and_member_403(self):
        self.assertNova(migrations(token=self.tok), 403)
        for q, mv in (("?limit=-1", "2.59"), ("?limit=x", "2.59"),
                      ("?marker=" + ZERO, "2.59"), ("?bogus=1", "2.59"),
                      ("?changes-since=yesterday", "2.59"),
                      ("?changes-before=2020-01-01T00:00:00Z", "2.65"),
                      ("?changes-since=2020-02-01T00:00:00Z"
                       "&changes-before=2020-01-01T00:00:00Z", "2.66")):
            self.assertNova(migrations(q, mv=mv), 400)


class TestServerMigrations(ActionsBase):
    def test_no_live_migration_in_progress(self):
        sid = self.boot()
        r = cget("/servers/%s/migrations" % sid, mv="2.23")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"migrations": []})
        self.assertNova(cget("/servers/%s/migrations" % sid, mv="2.22"), 404)
        self.assertNova(cget("/servers/%s/migrations" % sid, token=self.tok, mv="2.79"), 403)
        self.assertNova(cget("/servers/%s/migrations" % ZERO, mv="2.79"), 404)
        for mid in ("1", "x", "99999"):
            r = cget("/servers/%s/migrations/%s" % (sid, mid), mv="2.79")
            self.assertNova(r, 404)

    def test_resize_record_is_not_a_live_migration(self):
        sid = self.boot()
        self.act_ok(sid, {"resize": {"flavorRef": self.fx["flavors"][1]}})
        wait_status(sid, "VERIFY_RESIZE", token=self.tok)
        mid = migrations("?instance_uuid=" + sid).body["migrations"][0]["id"]
        r = cget("/servers/%s/migrations/%d" % (sid, mid), mv="2.79")
        self.assertNova(r, 404, "is not live-migration")
        self.assertEqual(cget("/servers/%s/migrations" % sid, mv="2.79").body["migrations"],
                         [])

    def test_abort_and_force_complete_need_a_migrating_server_409(self):
        sid = self.boot()
        r = cdelete("/servers/%s/migrations/1" % sid, mv="2.24")
        self.assertNova(r, 409, "Cannot 'abort live migration' instance %s" % sid)
        self.assertNova(cdelete("/servers/%s/migrations/1" % sid, mv="2.23"), 404)
        r = cpost("/servers/%s/migrations/1/action" % sid, {"force_complete": None},
                  mv="2.22")
        self.assertNova(r, 409, "Cannot 'force_complete' instance %s" % sid)
        r = cpost("/servers/%s/migrations/1/action" % sid, {"bogus": None}, mv="2.22")
        self.assertNova(r, 400)
        r = cdelete("/servers/%s/migrations/1" % sid, token=self.tok, mv="2.24")
        self.assertNova(r, 403)


class TestMigrate(ActionsBase):
    def test_single_host_no_valid_host_400_and_nothing_changes(self):
        sid = self.boot()
        for mv, body in (("2.1", None), ("2.55", {"host": "ignored"}), ("2.56", None),
                         ("2.56", {}), ("2.79", {"host": None})):
            r = act(sid, {"migrate": body}, mv=mv)
            self.assertNova(r, 400, "No valid host was found.")
        s = show(sid).body["server"]
        self.assertEqual((s["status"], s["OS-EXT-STS:task_state"]), ("ACTIVE", None))
        self.assertEqual(migrations("?instance_uuid=" + sid).body["migrations"], [])

    def test_host_2_56(self):
        sid = self.boot()
        r = act(sid, {"migrate": {"host": "no-such-host"}}, mv="2.56")
        self.assertNova(r, 400, "Compute host no-such-host could not be found.")
        r = act(sid, {"migrate": {"host": host_of(sid)}}, mv="2.56")
        self.assertNova(r, 400, "Cannot migrate to the host where the server exists.")

    def test_bad_input_400(self):
        sid = self.boot()
        for body in ({"host": 1}, {"host": ""}, {"host": "a b"}, {"bogus": 1}, "x", []):
            self.assertNova(act(sid, {"migrate": body}, mv="2.56"), 400)

    def test_member_403_unknown_404_suspended_409(self):
        sid = self.boot()
        self.assertNova(act(sid, {"migrate": None}, token=self.tok, mv="2.79"), 403)
        self.assertNova(act(ZERO, {"migrate": None}, mv="2.79"), 404)
        self.act_ok(sid, {"suspend": None})
        wait_status(sid, "SUSPENDED", token=self.tok)
        r = act(sid, {"migrate": None}, mv="2.79")
        self.assertNova(r, 409, "Cannot 'migrate' instance %s while it is in vm_state "
                        "suspended" % sid)


class TestLiveMigrate(ActionsBase):
    def live(self, sid, body, mv="2.79", token=lib._UNSET):
        return act(sid, {"os-migrateLive": body}, mv=mv, token=token)

    def test_no_valid_host_before_2_34_400(self):
        sid = self.boot()
        r = self.live(sid, {"host": None, "block_migration": False,
                            "disk_over_commit": False}, mv="2.24")
        self.assertNova(r, 400, "No valid host was found.")
        r = self.live(sid, {"host": None, "block_migration": "auto"}, mv="2.33")
        self.assertNova(r, 400, "No valid host was found.")

    def test_no_valid_host_from_2_34_is_a_failed_migration(self):
        sid = self.boot()
        r = self.live(sid, {"host": None, "block_migration": "auto"})
        self.assertStatus(r, 202)
        s = wait_status(sid, "ACTIVE", token=self.tok)
        self.assertEqual(s["OS-EXT-SRV-ATTR:host"] if "OS-EXT-SRV-ATTR:host" in s
                         else host_of(sid), host_of(sid))
        ms = migrations("?instance_uuid=" + sid).body["migrations"]
        self.assertEqual([(m["migration_type"], m["status"]) for m in ms],
                         [("live-migration", "error")])
        acts = cget("/servers/%s/os-instance-actions" % sid).body["instanceActions"]
        self.assertIn("live-migration", [a["action"] for a in acts])
        self.assertEqual(cget("/servers/%s/migrations" % sid, mv="2.79").body,
                         {"migrations": []})

    def test_invalid_host_400(self):
        sid = self.boot()
        r = self.live(sid, {"host": "no-such-host", "block_migration": "auto"})
        self.assertNova(r, 400, "Compute host no-such-host could not be found.")
        r = self.live(sid, {"host": host_of(sid), "block_migration": "auto"})
        self.assertNova(r, 400, "Unable to migrate instance (%s) to current host" % sid)
        self.assertEqual(show(sid).body["server"]["status"], "ACTIVE")

    def test_suspended_409_member_403_unknown_404(self):
        sid = self.boot()
        body = {"host": None, "block_migration": "auto"}
        self.assertNova(self.live(sid, body, token=self.tok), 403)
        self.assertNova(self.live(ZERO, body), 404)
        self.act_ok(sid, {"suspend": None})
        wait_status(sid, "SUSPENDED", token=self.tok)
        self.assertNova(self.live(sid, body), 409,
                        "Cannot 'os-migrateLive' instance %s while it is in vm_state "
                        "suspended" % sid)

    def test_bad_input_by_microversion_400(self):
        sid = self.boot()
        cases = (
            ("2.24", {"host": None, "block_migration": False}),          # disk_over_commit
            ("2.24", {"host": None, "block_migration": "auto", "disk_over_commit": False}),
            ("2.24", {"host": None, "block_migration": "maybe", "disk_over_commit": False}),
            ("2.24", {"host": None, "block_migration": False, "disk_over_commit": "x"}),
            ("2.25", {"host": None, "block_migration": False, "disk_over_commit": False}),
            ("2.25", {"host": None}),
            ("2.25", {"block_migration": "auto"}),
            ("2.25", {"host": None, "block_migration": "auto", "force": True}),
            ("2.30", {"host": None, "block_migration": "auto", "force": "x"}),
            ("2.68", {"host": None, "block_migration": "auto", "force": False}),
            ("2.79", {"host": 5, "block_migration": "auto"}),
            ("2.79", {"host": "", "block_migration": "auto"}),
            ("2.79", None),
            ("2.79", "x"),
        )
        for mv, body in cases:
            self.assertNova(self.live(sid, body, mv=mv), 400)
        # what each version accepts gets past the schema (to NoValidHost)
        for mv, body in (("2.24", {"host": None, "block_migration": "true",
                                   "disk_over_commit": "0"}),
                         ("2.30", {"host": None, "block_migration": "auto", "force": False})):
            self.assertNova(self.live(sid, body, mv=mv), 400, "No valid host was found.")
