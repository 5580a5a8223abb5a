"""The network user scenario with Debian's `openstack` CLI, run by
tests/e2e/run.sh after the identity one, with the admin's OS_* variables:
network, subnet, port, security group and rule create/list/show/set/delete,
`openstack ip availability list/show`, and a member of another project
who cannot see the admin's network.  Uses the helpers of identity.py; the
last line is "N passed, M failed"."""
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import identity as e2e                      # noqa: E402
from identity import expect, osc, osc_json  # noqa: E402

RUN = uuid.uuid4().hex[:6]
NET = "net-" + RUN
SUB = "sub-" + RUN
PORT = "port-" + RUN
SG = "sg-" + RUN
state = {}


def test_network_create_show_list_set():
    n = osc_json("network", "create", NET, "--description", "e2e")
    expect(n["name"] == NET and n["status"] == "ACTIVE", n)
    expect(n["admin_state_up"] is True and n["shared"] is False, n)
    expect(n["mtu"] == 1500, n)
    state["net"] = n["id"]
    shown = osc_json("network", "show", NET)
    expect(shown["id"] == n["id"] and shown["description"] == "e2e", shown)
    names = osc("network", "list", "-f", "value", "-c", "Name").split()
    expect(NET in names, names)
    osc("network", "set", NET, "--description", "changed", "--mtu", "1400")
    shown = osc_json("network", "show", NET)
    expect(shown["description"] == "changed" and shown["mtu"] == 1400, shown)


def test_subnet_create_show_list_set():
    s = osc_json("subnet", "create", SUB, "--network", NET, "--subnet-range",
                 "192.168.77.0/24", "--allocation-pool",
                 "start=192.168.77.10,end=192.168.77.100", "--dns-nameserver", "192.0.2.53")
    expect(s["cidr"] == "192.168.77.0/24" and s["gateway_ip"] == "192.168.77.1", s)
    expect(s["allocation_pools"] == [{"start": "192.168.77.10", "end": "192.168.77.100"}], s)
    expect(s["dns_nameservers"] == ["192.0.2.53"], s)
    expect(s["enable_dhcp"] is True, s)
    state["sub"] = s["id"]
    rows = osc_json("subnet", "list", "--network", NET)
    expect([r["Name"] for r in rows] == [SUB], rows)
    osc("subnet", "set", SUB, "--name", SUB + "-b", "--dns-nameserver", "192.0.2.54")
    shown = osc_json("subnet", "show", SUB + "-b")
    expect(sorted(shown["dns_nameservers"]) == ["192.0.2.53", "192.0.2.54"], shown)
    osc("subnet", "set", SUB + "-b", "--name", SUB)
    # the DHCP port took the first address of the pool
    dhcp = osc_json("port", "list", "--network", NET, "--device-owner", "network:dhcp")
    expect(len(dhcp) == 1, dhcp)
    expect("192.168.77.10" in str(dhcp[0]["Fixed IP Addresses"]), dhcp)


def test_subnet_bad_input_is_refused():
    err = osc("subnet", "create", "bad-" + RUN, "--network", NET, "--subnet-range",
              "192.168.77.128/25", ok=False)
    expect("overlaps" in err, err)
    err = osc("subnet", "create", "bad-" + RUN, "--network", NET, "--subnet-range",
              "10.9.9.0/24", "--gateway", "10.9.9.20", "--allocation-pool",
              "start=10.9.9.10,end=10.9.9.30", ok=False)
    expect("conflicts with allocation pool" in err, err)
    names = osc("subnet", "list", "-f", "value", "-c", "Name").split()
    expect("bad-" + RUN not in names, names)


def test_port_create_show_list_set():
    p = osc_json("port", "create", PORT, "--network", NET, "--fixed-ip",
                 "subnet=%s,ip-address=192.168.77.50" % SUB)
    expect(p["fixed_ips"][0]["ip_address"] == "192.168.77.50", p)
    expect(p["mac_address"].startswith("fa:16:3e:"), p)
    state["port"] = p["id"]
    q = osc_json("port", "create", PORT + "-auto", "--network", NET)
    expect(q["fixed_ips"][0]["ip_address"] == "192.168.77.11", q)
    state["port2"] = q["id"]
    err = osc("port", "create", PORT + "-dup", "--network", NET, "--fixed-ip",
              "ip-address=192.168.77.50", ok=False)
    expect("already allocated" in err, err)
    rows = osc_json("port", "list", "--network", NET)
    expect(len(rows) == 3, rows)                # DHCP + two
    osc("port", "set", PORT, "--name", PORT + "-x", "--description", "d")
    shown = osc_json("port", "show", PORT + "-x")
    expect(shown["description"] == "d" and shown["id"] == p["id"], shown)


def test_security_group_and_rules():
    g = osc_json("security", "group", "create", SG, "--description", "e2e")
    expect(g["name"] == SG, g)
    state["sg"] = g["id"]
    r = osc_json("security", "group", "rule", "create", SG, "--protocol", "tcp",
                 "--dst-port", "22", "--remote-ip", "10.0.0.0/8")
    expect(r["port_range_min"] == 22 and r["protocol"] == "tcp", r)
    state["rule"] = r["id"]
    icmp = osc_json("security", "group", "rule", "create", SG, "--protocol", "icmp")
    expect(icmp["protocol"] == "icmp", icmp)
    err = osc("security", "group", "rule", "create", SG, "--protocol", "tcp",
              "--dst-port", "22", "--remote-ip", "10.0.0.0/8", ok=False)
    expect("already exists" in err, err)
    err = osc("security", "group", "rule", "create", SG, "--protocol", "bogus", ok=False)
    expect("not supported" in err or "protocol" in err, err)
    rows = osc_json("security", "group", "rule", "list", SG)
    expect(len(rows) == 4, rows)                # egress v4/v6 + two
    shown = osc_json("security", "group", "rule", "show", r["id"])
    expect(shown["remote_ip_prefix"] == "10.0.0.0/8", shown)
    osc("security", "group", "set", SG, "--description", "changed")
    shown = osc_json("security", "group", "show", SG)
    expect(shown["description"] == "changed", shown)
    names = osc("security", "group", "list", "-f", "value", "-c", "Name").split()
    expect(SG in names and "default" in names, names)
    osc("port", "set", PORT + "-x", "--security-group", SG)
    p = osc_json("port", "show", PORT + "-x")
    expect(state["sg"] in p["security_group_ids"], p)


def test_ip_availability():
    rows = osc_json("ip", "availability", "list")
    mine = [r for r in rows if r["Network ID"] == state["net"]]
    expect(len(mine) == 1, rows)
    expect(mine[0]["Total IPs"] == 91 and mine[0]["Used IPs"] == 3, mine)
    shown = osc_json("ip", "availability", "show", NET)
    expect(shown["used_ips"] == 3, shown)


def test_member_cannot_see_admin_network():
    proj = "netp-" + RUN
    osc("project", "create", proj)
    osc("user", "create", "--password", "x", "netu-" + RUN)
    osc("role", "add", "--project", proj, "--user", "netu-" + RUN, "member")
    env = {"OS_USERNAME": "netu-" + RUN, "OS_PASSWORD": "x", "OS_PROJECT_NAME": proj,
           "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}
    names = osc("network", "list", "-f", "value", "-c", "Name", env=env).split()
    expect(NET not in names, names)
    osc("network", "show", state["net"], env=env, ok=False)
    mine = osc_json("network", "create", "own-" + RUN, env=env)
    expect(mine["project_id"] != osc_json("network", "show", NET)["project_id"], mine)
    osc("network", "delete", "own-" + RUN, env=env)
    osc("user", "delete", "netu-" + RUN)
    osc("project", "delete", proj)


def test_deletes():
    osc("security", "group", "rule", "delete", state["rule"])
    osc("security", "group", "rule", "show", state["rule"], ok=False)
    err = osc("security", "group", "delete", SG, ok=False)
    expect("in use" in err, err)
    err = osc("network", "delete", NET, ok=False)
    expect("ports still in use" in err or "in use" in err, err)
    osc("port", "delete", state["port"], state["port2"])
    osc("security", "group", "delete", SG)
    osc("subnet", "delete", SUB)
    osc("network", "delete", NET)
    expect(NET not in osc("network", "list", "-f", "value", "-c", "Name").split(),
           "network still listed")
    left = [p for p in osc_json("port", "list", "--long")
            if p["ID"] in (state["port"], state["port2"])]
    expect(not left, left)


if __name__ == "__main__":
    sys.exit(e2e.main(__file__, globals()))
