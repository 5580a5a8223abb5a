"""Real VMs end to end with Debian's `openstack` CLI: the daemon runs the
libvirt driver (QEMU under TCG) and the Linux bridge data plane, inside the
private network namespace tests/vm/run.sh made for it; this script runs
there too, with the admin's OS_* variables.  The guest is tests/guest's:
it prints markers on its console (see tests/guest/init).

    scenario.py main       network, subnet, guest images, a probe namespace
                           on the network; a server with a key and user data
                           (--wait ACTIVE); its console shows the leased IP,
                           its uuid, its user data; ping from the probe;
                           stop, start, reboot; a snapshot; a second server
                           from it: the two guests ping each other; both
                           deleted, nothing of them left
    scenario.py restart-1  a server, a continuous ping to it from the probe
    (run.sh kills the daemon with -9, waits, starts it again)
    scenario.py restart-2  the ping kept flowing; the server is ACTIVE, same
                           QEMU process, no new boot; deleted, nothing left;
                           everything the scenario made is deleted

Environment (from run.sh): VM_STATE (the daemon's state dir), VM_TMP (a
work dir kept between phases), VM_GUEST (tests/guest/build.sh's OUTDIR),
VM_PROBE (the name of the probe namespace).  Each phase ends with
"N passed, M failed"."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import identity as e2e                      # noqa: E402
from identity import expect, osc, osc_json  # noqa: E402
from vmproc import qemu_pids  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
STATE_DIR = os.environ["VM_STATE"]
TMP = os.environ["VM_TMP"]
GUEST = os.environ["VM_GUEST"]
PROBE = os.environ["VM_PROBE"]
SAVED = os.path.join(TMP, "scenario.json")
BOOT_S = float(os.environ.get("VM_BOOT_TIMEOUT", "180"))
CIDR_PREFIX = "10.213.0."
PEER_IP = CIDR_PREFIX + "50"        # the second server's port, made first

try:
    with open(SAVED) as f:
        state = json.load(f)
except OSError:
    state = {"run": os.urandom(3).hex()}
RUN = state["run"]
FLAVOR, KP, NET, SUB = "vmf-" + RUN, "vmkp-" + RUN, "vmnet-" + RUN, "vmsub-" + RUN
IMG, SNAP = "vmimg-" + RUN, "vmsnap-" + RUN
VM1, VM2, VM3 = "vm1-" + RUN, "vm2-" + RUN, "vm3-" + RUN


def save():
    with open(SAVED, "w") as f:
        json.dump(state, f)


# ---------------------------------------------------------------- helpers

def sh(*cmd, ok=True):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120)
    if ok and p.returncode:
        raise AssertionError("%s failed (%d): %s %s" % (cmd, p.returncode, p.stdout, p.stderr))
    return p.stdout


def in_probe(*cmd, ok=True):
    return sh("ip", "netns", "exec", PROBE, *cmd, ok=ok)


def pinged(ip, count=2):
    """One fresh ping flow from the probe namespace answered."""
    p = subprocess.run(["ip", "netns", "exec", PROBE, "ping", "-c", str(count), "-W", "2",
                        ip], capture_output=True, text=True, timeout=60)
    return p.returncode == 0


def wait_for(fn, what, timeout=60.0, step=0.5):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        expect(time.monotonic() < end, "timed out (%ds): %s" % (timeout, what))
        time.sleep(step)


API = {}


def api_server(sid):
    """GET /servers/ID straight from the API (a token from the CLI, once):
    waiting polls this, not the CLI, which costs a second of CPU a call."""
    if not API:
        API["token"] = osc("token", "issue", "-f", "value", "-c", "id").strip()
        nova = [c for c in osc_json("catalog", "list") if c["Type"] == "compute"][0]
        API["url"] = [e["url"] for e in nova["Endpoints"]
                      if e["interface"] == "public"][0].rstrip("/")
    req = urllib.request.Request(API["url"] + "/servers/" + sid,
                                 headers={"X-Auth-Token": API["token"]})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["server"]


def wait_server(name, status, timeout=BOOT_S):
    sid = state.get(name) or osc_json("server", "show", name)["id"]

    def done():
        s = api_server(sid)
        expect(s["status"] != "ERROR" or status == "ERROR", s)
        return s["status"] == status and not s.get("OS-EXT-STS:task_state")
    wait_for(done, "%s never got %s" % (name, status), timeout, 0.5)
    s = osc_json("server", "show", name)
    expect(s["status"] == status, s)
    return s


def console(name, *args):
    return osc("console", "log", "show", *args, name)


def console_file(name):
    """The console log as the driver writes it (STATE/instances/UUID/
    console.log), or None: waiting reads it, so the CLI (a second of CPU a
    call on a busy host) is asked only once a marker is there."""
    try:
        with open(os.path.join(STATE_DIR, "instances", state[name], "console.log"),
                  errors="replace") as f:
            return f.read()
    except (KeyError, OSError):
        return None


def wait_marker(name, pattern, count=1, timeout=BOOT_S):
    """Waits until 'pattern' (a regex, anchored at a line start) appears
    'count' times in the console log of server 'name', then checks that
    `openstack console log show` shows it; returns the last match."""
    rx = re.compile("^" + pattern, re.M)

    def found(text):
        m = rx.findall(text.replace("\r", "")) if text is not None else []
        return m[-1] if len(m) >= count else None

    def seen():
        text = console_file(name)
        return found(text if text is not None else console(name))
    wait_for(seen, "%s: marker %r x%d" % (name, pattern, count), timeout, 1.0)
    last = found(console(name))
    expect(last, "%s: %r not in `console log show`" % (name, pattern))
    return last


def boots(name):
    text = console_file(name)
    text = console(name) if text is None else text
    return len(re.findall(r"^NUBIS-BOOT ", text.replace("\r", ""), re.M))


def tap_of(port_id):
    return "tap" + port_id[:11]


def leftovers(uuid, port_ids):
    """What is left on this host of server 'uuid' with ports 'port_ids':
    a list of descriptions (empty: nothing)."""
    left = []
    if qemu_pids(uuid):
        left.append("QEMU process %s" % qemu_pids(uuid))
    for d in ("instances/" + uuid, "libvirt/etc/qemu/" + "instance-" + uuid + ".xml"):
        if os.path.exists(os.path.join(STATE_DIR, d)):
            left.append("file " + d)
    # the domain's definition and run-time state (libvirt's per-domain QEMU
    # log under log/ stays, as libvirt keeps it with Nova too)
    for root, dirs, files in os.walk(os.path.join(STATE_DIR, "libvirt")):
        if os.path.relpath(root, os.path.join(STATE_DIR, "libvirt")).startswith("log"):
            continue
        left += ["libvirt file " + os.path.join(root, n) for n in files + dirs if uuid in n]
    links = sh("ip", "-o", "link", "show")
    ruleset = sh("nft", "list", "ruleset")
    for p in port_ids:
        if tap_of(p) in links:
            left.append("device " + tap_of(p))
        if tap_of(p) in ruleset:
            left.append("nft rules for " + tap_of(p))
        if subprocess.run(["/usr/bin/openstack", "port", "show", p], capture_output=True,
                          timeout=60).returncode == 0:
            left.append("port " + p)
    return left


def server_ports(name):
    return [p["ID"] for p in osc_json("port", "list", "--server", name)]


def server_ip(name):
    s = osc_json("server", "show", name)
    m = re.search(r"(\d+\.\d+\.\d+\.\d+)", json.dumps(s["addresses"]))
    expect(m, s["addresses"])
    return m.group(1)


def user_data_file(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def create_server(name, image, nic, user_data):
    s = osc_json("server", "create", "--flavor", FLAVOR, "--image", image, "--nic", nic,
                 "--key-name", KP, "--config-drive", "True", "--user-data",
                 user_data_file(name + ".ud", user_data), "--wait", name)
    expect(s["status"] == "ACTIVE", s)
    state[name] = s["id"]
    save()
    return s


# ---------------------------------------------------------------- main

def test_flavor_keypair_network():
    osc_json("flavor", "create", "--ram", "256", "--vcpus", "1", "--disk", "1", FLAVOR)
    osc("keypair", "create", KP)
    state["net"] = osc_json("network", "create", NET)["id"]
    sub = osc_json("subnet", "create", SUB, "--network", NET, "--subnet-range",
                   CIDR_PREFIX + "0/24")
    expect(sub["enable_dhcp"] is True, sub)
    # the second server's port, made now so the first one knows its address
    state["peer_port"] = osc_json("port", "create", "--network", NET, "--fixed-ip",
                                  "subnet=%s,ip-address=%s" % (SUB, PEER_IP),
                                  "peer-" + RUN)["id"]
    save()


def test_guest_images_upload():
    img = sh(os.path.join(ROOT, "tests/guest/upload.sh"), GUEST, IMG).strip()
    shown = osc_json("image", "show", img)
    props = shown["properties"]
    expect(shown["status"] == "active" and shown["disk_format"] == "qcow2", shown)
    k = osc_json("image", "show", props["kernel_id"])
    r = osc_json("image", "show", props["ramdisk_id"])
    expect(k["disk_format"] == "aki" and r["disk_format"] == "ari", (k, r))
    state["image"] = img
    state["image_parts"] = [k["id"], r["id"]]
    save()


def test_probe_namespace_on_the_network():
    """A namespace joins the network as the data plane tests do: a port
    bound to this host with vif_type veth, its peer moved in, DHCP."""
    p = osc_json("port", "create", "--network", NET, "--host", socket.gethostname(),
                 "--binding-profile", "vif_type=veth", "probe-" + RUN)
    state["probe_port"] = p["id"]
    save()
    veth = tap_of(p["id"]) + "p"
    wait_for(lambda: subprocess.run(["ip", "link", "show", veth],
                                    capture_output=True).returncode == 0,
             "the probe's veth " + veth, 30)
    sh("ip", "link", "set", veth, "netns", PROBE)
    in_probe("ip", "link", "set", "lo", "up")
    in_probe("ip", "link", "set", veth, "up")
    script = user_data_file("udhcpc.sh", "#!/bin/sh\ncase $1 in bound|renew)\n"
                            "ip addr flush dev $interface\n"
                            "ip addr add $ip/$mask dev $interface ;;\nesac\n")
    os.chmod(script, 0o755)
    in_probe("timeout", "30", "busybox", "udhcpc", "-i", veth, "-s", script, "-q", "-n",
             "-t", "10", "-T", "1")
    got = in_probe("ip", "-4", "-o", "addr", "show", "dev", veth)
    want = p["fixed_ips"][0]["ip_address"] if isinstance(p["fixed_ips"], list) else \
        re.search(r"ip_address='([^']+)'", str(p["fixed_ips"])).group(1)
    expect(" %s/24 " % want in got, (want, got))


def test_server_create_wait_active():
    ud = ("#!/bin/sh\necho NUBIS-HELLO %s\n"
          "(while ! ping -c 1 -W 1 %s >/dev/null 2>&1; do sleep 1; done;"
          " echo NUBIS-PING-OK %s) &\n" % (VM1, PEER_IP, PEER_IP))
    s = create_server(VM1, state["image"], "net-id=" + state["net"], ud)
    expect(s["OS-EXT-STS:power_state"] in (1, "Running"), s)
    expect(len(qemu_pids(s["id"])) == 1, "no single QEMU for %s" % s["id"])


def test_console_shows_lease_uuid_user_data():
    ip = server_ip(VM1)
    state["ip1"] = ip
    save()
    expect(wait_marker(VM1, "NUBIS-LEASE .*") == "NUBIS-LEASE " + ip,
           "leased IP is not Neutron's " + ip)
    wait_marker(VM1, "NUBIS-UUID " + state[VM1] + "$")
    wait_marker(VM1, "NUBIS-USERDATA #!/bin/sh$")
    wait_marker(VM1, "NUBIS-HELLO " + VM1 + "$")
    tail = console(VM1, "--lines", "2").rstrip("\n").split("\n")
    expect(len(tail) <= 2, tail)


def test_ping_from_namespace():
    expect(wait_for(lambda: pinged(state["ip1"]), "ping " + state["ip1"], 30), "no ping")


def test_stop_start():
    osc("server", "stop", VM1)
    wait_server(VM1, "SHUTOFF")
    expect(not qemu_pids(state[VM1]), "QEMU still runs after stop")
    expect(not pinged(state["ip1"], 1), "a stopped server answers ping")
    n = boots(VM1)
    osc("server", "start", VM1)
    wait_server(VM1, "ACTIVE")
    wait_marker(VM1, "NUBIS-LEASE " + state["ip1"], count=2)
    expect(boots(VM1) == n + 1, "not one new boot after start")
    expect(wait_for(lambda: pinged(state["ip1"]), "ping after start", 30), "no ping")


def test_reboot():
    n = boots(VM1)
    pid = qemu_pids(state[VM1])
    osc("server", "reboot", "--wait", VM1)
    wait_server(VM1, "ACTIVE")
    wait_for(lambda: boots(VM1) > n, "a new boot after reboot", BOOT_S, 1.0)
    wait_marker(VM1, "NUBIS-LEASE " + state["ip1"], count=n + 1)
    expect(wait_for(lambda: pinged(state["ip1"]), "ping after reboot", 30), "no ping")
    state["pid1"] = pid
    save()


def test_snapshot():
    img = osc_json("server", "image", "create", "--name", SNAP, "--wait", VM1)
    shown = osc_json("image", "show", img["id"])
    expect(shown["status"] == "active", shown)
    expect(shown["properties"].get("kernel_id") == state["image_parts"][0], shown)
    state["snap"] = img["id"]
    save()


def test_second_server_from_snapshot_guests_ping_each_other():
    ud = "#!/bin/sh\nping -c 3 -W 2 %s && echo NUBIS-PING-OK %s\n" % (state["ip1"],
                                                                     state["ip1"])
    create_server(VM2, state["snap"], "port-id=" + state["peer_port"], ud)
    expect(wait_marker(VM2, "NUBIS-LEASE .*") == "NUBIS-LEASE " + PEER_IP, "VM2's lease")
    # the snapshot carries the first server's disk
    wait_marker(VM2, "NUBIS-DISK-FOUND NUBIS-DISK " + state[VM1] + "$")
    wait_marker(VM2, "NUBIS-PING-OK " + state["ip1"] + "$")       # VM2 -> VM1
    wait_marker(VM1, "NUBIS-PING-OK " + PEER_IP + "$")            # VM1 -> VM2
    expect(wait_for(lambda: pinged(PEER_IP), "ping " + PEER_IP, 30), "no ping")


def test_delete_both_nothing_left():
    ports = {VM1: server_ports(VM1), VM2: server_ports(VM2)}
    expect(ports[VM2] == [state["peer_port"]], ports)
    osc("server", "delete", "--wait", VM1, VM2)
    # the port the user made stays, unbound; the one Nova made goes
    p = osc_json("port", "show", state["peer_port"])
    expect(not p["device_id"], p)
    osc("port", "delete", state["peer_port"])
    left = leftovers(state[VM1], ports[VM1]) + leftovers(state[VM2], ports[VM2])
    expect(not left, left)
    expect(not pinged(state["ip1"], 1) and not pinged(PEER_IP, 1), "a deleted guest answers")
    fixed = json.dumps(osc_json("port", "list", "--network", NET, "--long"))
    expect(state["ip1"] not in fixed and PEER_IP not in fixed, fixed)


# ---------------------------------------------------------------- restart

def test_restart_server_and_pinger():
    s = create_server(VM3, state["image"], "net-id=" + state["net"], "#!/bin/sh\n")
    ip = server_ip(VM3)
    wait_marker(VM3, "NUBIS-LEASE " + ip)
    expect(wait_for(lambda: pinged(ip), "ping " + ip, 30), "no ping")
    log = open(os.path.join(TMP, "pinger.log"), "w")
    pinger = subprocess.Popen(["ip", "netns", "exec", PROBE, "ping", "-D", "-i", "0.2",
                               "-W", "1", ip], stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    state.update(ip3=ip, pid3=qemu_pids(s["id"]), pinger=pinger.pid,
                 ports3=server_ports(VM3), boots3=boots(VM3))
    save()
    with open(os.path.join(TMP, "pinger.pid"), "w") as f:
        f.write(str(pinger.pid))
    time.sleep(2)


def test_restart_ping_kept_flowing():
    killed, back = (float(x) for x in open(os.path.join(TMP, "restart.times")).read().split())
    time.sleep(3)           # a few replies after the restart, with the daemon reconciling
    os.kill(state["pinger"], signal.SIGINT)
    time.sleep(0.5)
    text = open(os.path.join(TMP, "pinger.log")).read()
    replies = [float(t) for t in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from", text, re.M)]
    sent = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    expect(sent, text[-500:])
    down = [t for t in replies if killed <= t <= back]
    after = [t for t in replies if t > back]
    tx, rx = int(sent.group(1)), int(sent.group(2))
    print("  ping: %d sent, %d answered; %d answered while the daemon was down "
          "(%.1fs), %d after" % (tx, rx, len(down), back - killed, len(after)), flush=True)
    expect(len(down) >= (back - killed) / 0.2 * 0.8, "ping stopped while the daemon was down")
    expect(after, "no reply after the restart")
    expect(tx - rx <= 2, "%d pings lost" % (tx - rx))


def test_restart_still_active_no_rebuild():
    s = wait_server(VM3, "ACTIVE", 60)
    expect(qemu_pids(s["id"]) == state["pid3"], "QEMU changed: %s -> %s"
           % (state["pid3"], qemu_pids(s["id"])))
    expect(boots(VM3) == state["boots3"], "the guest booted again")
    actions = [a["Action"] for a in osc_json("server", "event", "list", VM3)]
    expect(actions == ["create"], actions)
    expect(pinged(state["ip3"]), "no ping after the restart")


def test_restart_delete_nothing_left():
    osc("server", "delete", "--wait", VM3)
    left = leftovers(state[VM3], state["ports3"])
    expect(not left, left)


def test_cleanup():
    """Deletes what the scenario made (and, after a failure, what is left)."""
    left = [state[v] for v in (VM1, VM2, VM3) if v in state]
    if left:
        subprocess.run(["/usr/bin/openstack", "server", "delete", "--wait"] + left,
                       capture_output=True, timeout=300)
    for kind, ids in (("image", [state.get("snap")] + [state.get("image")] +
                       state.get("image_parts", [])),
                      ("port", [state.get("peer_port"), state.get("probe_port")]),
                      ("subnet", [SUB]), ("network", [NET]), ("keypair", [KP]),
                      ("flavor", [FLAVOR])):
        ids = [i for i in ids if i]
        subprocess.run(["/usr/bin/openstack", kind, "delete"] + ids, capture_output=True,
                       timeout=120)
    for kind in ("server", "image", "port"):
        rows = osc_json(kind, "list")
        mine = [r for r in rows if RUN in r.get("Name", "")]
        expect(not mine, mine)
    expect(NET not in osc("network", "list", "-f", "value", "-c", "Name"), "network left")


PHASES = {
    "main": ["test_flavor_keypair_network", "test_guest_images_upload",
             "test_probe_namespace_on_the_network", "test_server_create_wait_active",
             "test_console_shows_lease_uuid_user_data", "test_ping_from_namespace",
             "test_stop_start", "test_reboot", "test_snapshot",
             "test_second_server_from_snapshot_guests_ping_each_other",
             "test_delete_both_nothing_left"],
    "restart-1": ["test_restart_server_and_pinger"],
    "restart-2": ["test_restart_ping_kept_flowing", "test_restart_still_active_no_rebuild",
                  "test_restart_delete_nothing_left", "test_cleanup"],
}

if __name__ == "__main__":
    for name in PHASES[sys.argv[1]]:
        e2e.check(globals()[name])
    failed = [(n, t) for n, t in e2e.results if t]
    for name, text in failed:
        print("\n" + "=" * 70 + "\nFAIL: %s\n" % name + "-" * 70 + "\n" + text)
    print("%d passed, %d failed" % (len(e2e.results) - len(failed), len(failed)))
    sys.exit(1 if failed else 0)
