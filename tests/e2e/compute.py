"""The compute user scenario with Debian's `openstack` CLI (fake virt
driver), run by tests/e2e/run.sh after the network one, with the admin's
OS_* variables: flavor and keypair create; `server create --wait` on a
network (its port and IP really allocated), list, show, stop, start,
reboot, resize and confirm, an image made from the server, delete;
`server create --min 20 --max 20`; and a create over the project's quota
refused.  Uses the helpers of identity.py; the last line is
"N passed, M failed"."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import identity as e2e                      # noqa: E402
from identity import expect, osc, osc_json  # noqa: E402

RUN = uuid.uuid4().hex[:6]
FL1, FL2 = "fl1-" + RUN, "fl2-" + RUN
KP = "kp-" + RUN
NET, SUB = "cnet-" + RUN, "csub-" + RUN
IMG = "cimg-" + RUN
VM = "vm-" + RUN
MANY = "many-" + RUN
SNAP = "snap-" + RUN
QP, QU, QPW = "quotap-" + RUN, "quotau-" + RUN, "pw-" + RUN
QU_ENV = {"OS_USERNAME": QU, "OS_PASSWORD": QPW, "OS_PROJECT_NAME": QP,
          "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}
state = {}


def wait_server(name, status, timeout=60.0):
    """Polls `server show` until the server has 'status' and no task."""
    end = time.monotonic() + timeout
    while True:
        s = osc_json("server", "show", name)
        if s["status"] == status and not s.get("OS-EXT-STS:task_state"):
            return s
        expect(s["status"] != "ERROR" or status == "ERROR", s)
        expect(time.monotonic() < end, "%s never got %s: %r" % (name, status, s))
        time.sleep(0.5)


# ---------------------------------------------------------------- the scenario

def test_flavor_create():
    f = osc_json("flavor", "create", "--ram", "64", "--vcpus", "1", "--disk", "1", FL1)
    expect(f["name"] == FL1 and f["ram"] == 64 and f["vcpus"] == 1, f)
    f = osc_json("flavor", "create", "--ram", "128", "--vcpus", "2", "--disk", "2", FL2)
    expect(f["disk"] == 2, f)
    names = osc("flavor", "list", "-f", "value", "-c", "Name").split()
    expect(FL1 in names and FL2 in names, names)


def test_keypair_create():
    out = osc("keypair", "create", KP)
    expect("PRIVATE KEY" in out, out[:200])
    k = osc_json("keypair", "show", KP)
    expect(k["name"] == KP and k["fingerprint"], k)


def test_network_and_image():
    n = osc_json("network", "create", NET)
    state["net"] = n["id"]
    osc_json("subnet", "create", SUB, "--network", NET, "--subnet-range", "10.123.0.0/24")
    work = tempfile.mkdtemp(prefix="nubis-e2e-compute-")
    try:
        disk = os.path.join(work, "disk.qcow2")
        subprocess.run(["qemu-img", "create", "-f", "qcow2", disk, "16M"], check=True,
                       capture_output=True)
        osc_json("image", "create", "--disk-format", "qcow2", "--container-format",
                 "bare", "--public", "--file", disk, IMG)
    finally:
        shutil.rmtree(work, True)
    img = osc_json("image", "show", IMG)
    expect(img["status"] == "active", img)
    state["image"] = img["id"]


def test_server_create_wait_on_a_network():
    s = osc_json("server", "create", "--flavor", FL1, "--image", IMG, "--network", NET,
                 "--key-name", KP, "--wait", VM)
    expect(s["status"] == "ACTIVE", s)
    state["vm"] = s["id"]
    expect("10.123.0." in str(s["addresses"]), s)
    # the port and its IP are the network service's own
    ports = osc_json("port", "list", "--server", s["id"], "--long")
    expect(len(ports) == 1, ports)
    port = osc_json("port", "show", ports[0]["ID"])
    expect(port["device_owner"].startswith("compute:"), port)
    expect(port["device_id"] == s["id"], port)
    ip = port["fixed_ips"][0]["ip_address"]
    expect(ip.startswith("10.123.0.") and ip in str(s["addresses"]), (ip, s))


def test_server_list_and_show():
    rows = osc_json("server", "list")
    mine = [r for r in rows if r["ID"] == state["vm"]]
    expect(len(mine) == 1 and mine[0]["Status"] == "ACTIVE", rows)
    expect(mine[0]["Name"] == VM and mine[0]["Flavor"] == FL1, mine)
    s = osc_json("server", "show", VM)
    expect(s["key_name"] == KP and s["flavor"].startswith(FL1), s)
    expect(s["OS-EXT-STS:vm_state"] == "active", s)


def test_server_stop_start_reboot():
    osc("server", "stop", VM)
    s = wait_server(VM, "SHUTOFF")
    expect(s["OS-EXT-STS:power_state"] in ("Shutdown", 4), s)
    err = osc("server", "stop", VM, ok=False)
    expect("while it is in vm_state stopped" in err, err)
    osc("server", "start", VM)
    wait_server(VM, "ACTIVE")
    osc("server", "reboot", VM)
    wait_server(VM, "ACTIVE")
    osc("server", "reboot", "--hard", VM)
    wait_server(VM, "ACTIVE")
    actions = osc_json("server", "event", "list", VM)
    names = sorted({a["Action"] for a in actions})
    expect({"create", "stop", "start", "reboot"} <= set(names), names)


def test_server_resize_confirm():
    osc("server", "resize", "--flavor", FL2, VM)
    wait_server(VM, "VERIFY_RESIZE")
    osc("server", "resize", "confirm", VM)
    s = wait_server(VM, "ACTIVE")
    expect(s["flavor"].startswith(FL2), s)


def test_image_create_from_server():
    img = osc_json("server", "image", "create", "--name", SNAP, "--wait", VM)
    img = osc_json("image", "show", SNAP)
    expect(img["status"] == "active", img)
    expect(img["properties"]["image_type"] == "snapshot", img)
    expect(img["properties"]["instance_uuid"] == state["vm"], img)
    wait_server(VM, "ACTIVE")
    osc("image", "delete", SNAP)


def test_server_delete():
    osc("server", "delete", "--wait", VM)
    rows = osc_json("server", "list")
    expect(state["vm"] not in [r["ID"] for r in rows], rows)
    ports = osc_json("port", "list", "--device-id", state["vm"])
    expect(ports == [], ports)


def test_server_create_min_20_max_20():
    # room for 20 in the admin's project (the default is 10 instances)
    osc("quota", "set", "--instances", "40", "--cores", "80", os.environ["OS_PROJECT_NAME"])
    osc("server", "create", "--flavor", FL1, "--image", IMG, "--network", NET,
        "--min", "20", "--max", "20", MANY)
    end = time.monotonic() + 120
    while True:
        rows = [r for r in osc_json("server", "list", "--name", MANY)]
        if len(rows) == 20 and all(r["Status"] == "ACTIVE" for r in rows):
            break
        expect(not any(r["Status"] == "ERROR" for r in rows), rows)
        expect(time.monotonic() < end, rows)
        time.sleep(1)
    names = sorted(r["Name"] for r in rows)
    expect(names == sorted("%s-%d" % (MANY, i) for i in range(1, 21)), names)
    ips = {str(r["Networks"]) for r in rows}
    expect(len(ips) == 20, ips)
    state["many"] = [r["ID"] for r in rows]
    # one delete for all, then wait for the list to empty (--wait polls
    # each server in turn, 5 s apiece)
    osc("server", "delete", *state["many"])
    end = time.monotonic() + 120
    while osc_json("server", "list", "--name", MANY):
        expect(time.monotonic() < end, "servers left after the delete")
        time.sleep(1)


def test_create_over_quota_is_refused():
    osc("project", "create", QP)
    osc("user", "create", "--password", QPW, "--project", QP, QU)
    osc("role", "add", "--project", QP, "--user", QU, "member")
    osc("quota", "set", "--instances", "2", QP)
    # --nic none needs microversion 2.37
    err = osc("--os-compute-api-version", "2.37", "server", "create", "--flavor", FL1,
              "--image", IMG, "--nic", "none", "--min", "3", "--max", "3", "q-" + RUN,
              env=QU_ENV, ok=False)
    expect("Quota exceeded for instances" in err, err)
    rows = osc_json("server", "list", env=QU_ENV)
    expect(rows == [], rows)
    osc("--os-compute-api-version", "2.37", "server", "create", "--flavor", FL1, "--image",
        IMG, "--nic", "none", "--min", "2", "--max", "2", "q-" + RUN, env=QU_ENV)
    end = time.monotonic() + 60
    rows = []
    while not (len(rows) == 2 and all(r["Status"] == "ACTIVE" for r in rows)):
        expect(time.monotonic() < end, rows)
        time.sleep(0.5)
        rows = osc_json("server", "list", env=QU_ENV)
    err = osc("--os-compute-api-version", "2.37", "server", "create", "--flavor", FL1,
              "--image", IMG, "--nic", "none", "q3-" + RUN, env=QU_ENV, ok=False)
    expect("Quota exceeded for instances" in err, err)
    osc("server", "delete", "--wait", *[r["ID"] for r in rows], env=QU_ENV)


def test_cleanup():
    osc("image", "delete", IMG)
    osc("keypair", "delete", KP)
    osc("flavor", "delete", FL1, FL2)
    osc("subnet", "delete", SUB)
    osc("network", "delete", NET)
    osc("user", "delete", QU)
    osc("project", "delete", QP)


if __name__ == "__main__":
    sys.exit(e2e.main(__file__, globals()))
