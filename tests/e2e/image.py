"""The image user scenario with Debian's `openstack` CLI, run by
tests/e2e/run.sh after the identity scenario, with the admin's OS_*
variables in the environment: a qcow2 made by `qemu-img create` and a raw
image uploaded with `image create --file`, list/show/set/unset, tags,
`image save` byte for byte, sharing with a second project whose member
accepts, a qcow2 with a backing file refused, and delete.

Checks depend on the ones before them; the last line is
"N passed, M failed" (the helpers are identity.py's)."""
import atexit
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

from identity import expect, main, osc, osc_json

RUN = os.urandom(3).hex()
WORK = tempfile.mkdtemp(prefix="nubis-e2e-image-")
atexit.register(shutil.rmtree, WORK, True)
QCOW2 = os.path.join(WORK, "disk.qcow2")
RAW = os.path.join(WORK, "disk.raw")
Q1, R1 = "q1-" + RUN, "r1-" + RUN
P2, U2, PW2 = "imgp2-" + RUN, "imgu2-" + RUN, "pw-" + RUN
U2_ENV = {"OS_USERNAME": U2, "OS_PASSWORD": PW2, "OS_PROJECT_NAME": P2,
          "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}
state = {}


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def qemu_img(*args):
    subprocess.run(["qemu-img"] + list(args), check=True, capture_output=True)


# ---------------------------------------------------------------- the scenario

def test_image_create_qcow2():
    qemu_img("create", "-f", "qcow2", QCOW2, "64M")
    img = osc_json("image", "create", "--disk-format", "qcow2", "--container-format",
                   "bare", "--file", QCOW2, Q1)
    state["q1"] = img["id"]
    img = osc_json("image", "show", Q1)
    expect(img["status"] == "active", img)
    expect(img["virtual_size"] == 64 << 20, img)
    expect(img["size"] == os.path.getsize(QCOW2), img)
    expect(img["checksum"] == md5(QCOW2), img)


def test_image_create_raw():
    with open(RAW, "wb") as f:
        f.write(os.urandom(3 << 20))
    img = osc_json("image", "create", "--disk-format", "raw", "--container-format",
                   "bare", "--file", RAW, "--property", "os_distro=debian", R1)
    state["r1"] = img["id"]
    img = osc_json("image", "show", R1)
    expect(img["status"] == "active" and img["size"] == 3 << 20, img)
    expect(img["properties"].get("os_distro") == "debian", img)


def test_image_list():
    rows = osc_json("image", "list")
    names = {r["Name"]: r["Status"] for r in rows}
    expect(names.get(Q1) == "active" and names.get(R1) == "active", rows)
    rows = osc_json("image", "list", "--property", "os_distro=debian")
    expect(R1 in [r["Name"] for r in rows], rows)
    rows = osc_json("image", "list", "--sort", "name:asc", "--limit", "1")
    expect(len(rows) == 1, rows)


def test_image_set_unset():
    osc("image", "set", "--property", "hw_disk_bus=virtio", "--min-ram", "128",
        "--name", R1 + "-x", R1)
    img = osc_json("image", "show", R1 + "-x")
    expect(img["min_ram"] == 128, img)
    expect(img["properties"].get("hw_disk_bus") == "virtio", img)
    osc("image", "set", "--name", R1, R1 + "-x")
    osc("image", "unset", "--property", "hw_disk_bus", R1)
    img = osc_json("image", "show", R1)
    expect("hw_disk_bus" not in img["properties"], img)
    osc("image", "set", "--protected", R1)
    osc("image", "delete", R1, ok=False)
    osc("image", "set", "--unprotected", R1)


def test_image_tags():
    osc("image", "set", "--tag", "gold", "--tag", "x86", Q1)
    img = osc_json("image", "show", Q1)
    expect(sorted(img["tags"]) == ["gold", "x86"], img)
    osc("image", "unset", "--tag", "gold", Q1)
    img = osc_json("image", "show", Q1)
    expect(img["tags"] == ["x86"], img)
    rows = osc_json("image", "list", "--tag", "x86")
    expect([r["Name"] for r in rows] == [Q1], rows)


def test_image_save_is_byte_identical():
    for name, path in ((Q1, QCOW2), (R1, RAW)):
        out = os.path.join(WORK, name + ".out")
        osc("image", "save", "--file", out, name)
        expect(filecmp.cmp(out, path, shallow=False), "%s differs from %s" % (out, path))


def test_image_share_with_project():
    osc("project", "create", "--domain", "Default", P2)
    osc("user", "create", "--domain", "Default", "--password", PW2, "--project", P2, U2)
    osc("role", "add", "--project", P2, "--user", U2, "member")
    # not shared yet: the other project cannot see it
    osc("image", "show", state["q1"], env=U2_ENV, ok=False)
    osc("image", "set", "--shared", Q1)
    member = osc_json("image", "add", "project", Q1, P2)
    expect(member["status"] == "pending", member)
    # pending: visible by id, not listed
    rows = osc_json("image", "list", env=U2_ENV)
    expect(state["q1"] not in [r["ID"] for r in rows], rows)
    osc("image", "set", "--accept", state["q1"], env=U2_ENV)
    rows = osc_json("image", "list", env=U2_ENV)
    expect(state["q1"] in [r["ID"] for r in rows], rows)
    members = osc_json("image", "member", "list", Q1)
    expect([m["Status"] for m in members] == ["accepted"], members)
    out = os.path.join(WORK, "shared.out")
    osc("image", "save", "--file", out, state["q1"], env=U2_ENV)
    expect(filecmp.cmp(out, QCOW2, shallow=False), "the member's copy differs")
    # the member may not change or delete it
    osc("image", "delete", state["q1"], env=U2_ENV, ok=False)
    osc("image", "remove", "project", Q1, P2)
    osc("image", "show", state["q1"], env=U2_ENV, ok=False)


def test_image_with_backing_file_refused():
    base = os.path.join(WORK, "base.qcow2")
    top = os.path.join(WORK, "top.qcow2")
    qemu_img("create", "-f", "qcow2", base, "16M")
    qemu_img("create", "-f", "qcow2", "-b", base, "-F", "qcow2", top)
    name = "evil-" + RUN
    err = osc("image", "create", "--disk-format", "qcow2", "--container-format", "bare",
              "--file", top, name, ok=False)
    expect("backing file" in err, err)
    # the SDK deletes the image whose upload failed; if it is still there,
    # it never became active
    rows = [r for r in osc_json("image", "list", "--name", name)]
    expect(all(r["Status"] == "queued" for r in rows), rows)
    for r in rows:
        osc("image", "delete", r["ID"])


def test_image_delete():
    osc("image", "delete", Q1, R1)
    osc("image", "show", Q1, ok=False)
    names = osc("image", "list", "-f", "value", "-c", "Name").split()
    expect(Q1 not in names and R1 not in names, names)
    osc("user", "delete", U2)
    osc("project", "delete", P2)


if __name__ == "__main__":
    sys.exit(main(__file__, globals()))
