"""The object storage scenario with real clients: Debian's `openstack
container/object` commands and python3-swiftclient's `swift` CLI, run by
tests/e2e/run.sh with the admin's OS_* variables in the environment.

Checks run in order and build on each other (one container per run);
downloads are compared byte for byte with what was uploaded.  The last
line is "N passed, M failed"."""
import filecmp
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import uuid

OPENSTACK = "/usr/bin/openstack"
SWIFT = "/usr/bin/swift"
RUN = uuid.uuid4().hex[:6]
C = "e2e-" + RUN
WORK = tempfile.mkdtemp(prefix="nubis-e2e-obj-")
results = []
state = {}


class CliError(AssertionError):
    pass


def run(argv, ok=True, cwd=None):
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=cwd)
    print("  $ %s  (rc %d, %.1fs)" % (" ".join(argv), p.returncode, time.monotonic() - t0),
          flush=True)
    if ok and p.returncode != 0:
        raise CliError("command failed: %s\nstdout: %s\nstderr: %s"
                       % (" ".join(argv), p.stdout[-2000:], p.stderr[-2000:]))
    if not ok and p.returncode == 0:
        raise CliError("command should have failed: %s" % " ".join(argv))
    return p.stdout if ok else p.stderr


def osc(*args, **kw):
    return run([OPENSTACK] + list(args), **kw)


def osc_json(*args):
    return json.loads(osc(*(list(args) + ["-f", "json"])))


def swift(*args, **kw):
    return run([SWIFT] + list(args), **kw)


def expect(cond, what):
    if not cond:
        raise AssertionError("expectation failed: %r" % (what,))


def make_file(name, size):
    path = os.path.join(WORK, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def stat_map(out):
    """`swift stat` output as {key: value}."""
    m = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            m[k.strip()] = v.strip()
    return m


def check(fn):
    name = fn.__name__
    print("---- %s" % name, flush=True)
    try:
        fn()
    except Exception:
        results.append((name, traceback.format_exc()))
        print("FAIL %s" % name, flush=True)
    else:
        results.append((name, None))
        print("ok   %s" % name, flush=True)


# ---------------------------------------------------------------- openstack CLI

def test_osc_container_create_list_show():
    out = osc_json("container", "create", C)
    expect(out[0]["container"] == C, out)
    names = [c["Name"] for c in osc_json("container", "list")]
    expect(C in names, names)
    show = osc_json("container", "show", C)
    expect(show["container"] == C and str(show["object_count"]) == "0", show)


def test_osc_object_create_save_identical():
    src = make_file("osc/data.bin", 200000)
    osc("object", "create", C, src, "--name", "osc/data.bin")
    names = [o["Name"] for o in osc_json("object", "list", C)]
    expect("osc/data.bin" in names, names)
    show = osc_json("object", "show", C, "osc/data.bin")
    expect(str(show["content-length"]) == "200000", show)
    with open(src, "rb") as f:
        expect(show["etag"] == hashlib.md5(f.read()).hexdigest(), show)
    dst = os.path.join(WORK, "osc-saved.bin")
    osc("object", "save", C, "osc/data.bin", "--file", dst)
    expect(filecmp.cmp(src, dst, shallow=False), "osc download differs")


def test_osc_properties():
    osc("object", "set", C, "osc/data.bin", "--property", "color=green")
    show = osc_json("object", "show", C, "osc/data.bin")
    expect("color" in json.dumps(show).lower(), show)
    osc("container", "set", C, "--property", "team=e2e")
    show = osc_json("container", "show", C)
    expect("team" in json.dumps(show).lower(), show)
    osc("object", "store", "account", "set", "--property", "owner=" + RUN)
    show = osc_json("object", "store", "account", "show")
    expect(RUN in json.dumps(show), show)


# ---------------------------------------------------------------- swift CLI

def test_swift_stat_and_post():
    m = stat_map(swift("stat"))
    expect(m.get("Account", "").startswith("AUTH_"), m)
    state["account"] = m["Account"]
    swift("post", "-m", "color:blue", C)
    m = stat_map(swift("stat", C))
    expect(m.get("Meta Color") == "blue", m)


def test_swift_upload_list_prefix_delimiter_download():
    for n in ("tree/a.txt", "tree/b/c.txt", "tree/b/d.txt", "tree/e/f.txt"):
        make_file(n, 1000 + len(n))
    swift("upload", C, "tree", cwd=WORK)
    listing = swift("list", C, "--prefix", "tree/").split()
    expect(listing == ["tree/a.txt", "tree/b/c.txt", "tree/b/d.txt", "tree/e/f.txt"], listing)
    listing = swift("list", C, "--prefix", "tree/", "--delimiter", "/").split()
    expect(listing == ["tree/a.txt", "tree/b/", "tree/e/"], listing)
    out = os.path.join(WORK, "dl")
    swift("download", C, "--prefix", "tree/", "-D", out)
    for n in ("tree/a.txt", "tree/b/c.txt", "tree/b/d.txt", "tree/e/f.txt"):
        expect(filecmp.cmp(os.path.join(WORK, n), os.path.join(out, n), shallow=False), n)


def _segmented(name, extra):
    src = make_file(name, 5 * 1024 * 1024 + 12345)
    swift("upload", "-S", "1048576", *extra, C, name, cwd=WORK)
    dst = os.path.join(WORK, name + ".back")
    swift("download", C, name, "-o", dst)
    expect(filecmp.cmp(src, dst, shallow=False), "segmented download differs: " + name)
    return stat_map(swift("stat", C, name))


def test_swift_slo_upload_download_identical():
    m = _segmented("big-slo.bin", ["--use-slo"])
    expect(m.get("Content Length") == str(5 * 1024 * 1024 + 12345), m)
    segs = swift("list", C + "_segments").split()
    expect(len([s for s in segs if s.startswith("big-slo.bin/")]) == 6, segs)


def test_swift_dlo_upload_download_identical():
    m = _segmented("big-dlo.bin", [])
    expect("Manifest" in m, m)


def test_swift_delete_large_objects_with_segments():
    swift("delete", C, "big-slo.bin", "big-dlo.bin")
    segs = swift("list", C + "_segments").split()
    expect(segs == [], segs)


def test_swift_tempurl_with_plain_http():
    swift("post", "-m", "Temp-URL-Key:e2e-secret")
    path = "/v1/%s/%s/osc/data.bin" % (state["account"], C)
    signed = swift("tempurl", "GET", "600", path, "e2e-secret").strip()
    base = os.environ["OS_AUTH_URL"].split("/identity")[0]
    url = base + "/object" + signed
    got = subprocess.run(["curl", "-sf", "-o", os.path.join(WORK, "tmpurl.bin"), url])
    expect(got.returncode == 0, "curl GET with the temp URL failed")
    expect(filecmp.cmp(os.path.join(WORK, "osc/data.bin"), os.path.join(WORK, "tmpurl.bin"),
                       shallow=False), "temp URL download differs")
    bad = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                          url.replace("temp_url_sig=", "temp_url_sig=0")],
                         capture_output=True, text=True)
    expect(bad.stdout == "401", bad.stdout)
    put_path = "/v1/%s/%s/via-tempurl" % (state["account"], C)
    signed = swift("tempurl", "PUT", "600", put_path, "e2e-secret").strip()
    up = subprocess.run(["curl", "-sf", "-X", "PUT", "--data-binary", "uploaded by curl",
                         base + "/object" + signed])
    expect(up.returncode == 0, "curl PUT with the temp URL failed")
    expect(swift("download", C, "via-tempurl", "-o", "-") == "uploaded by curl", "tempurl PUT")


def test_swift_versioning():
    vers = C + "-versions"
    swift("post", vers)
    swift("post", "-H", "X-Versions-Location:" + vers, C)
    for body in ("one", "two", "three"):
        p = os.path.join(WORK, "doc.txt")
        with open(p, "w") as f:
            f.write(body)
        swift("upload", C, "doc.txt", cwd=WORK)
    expect(len(swift("list", vers).split()) == 2, "two older versions")
    expect(swift("download", C, "doc.txt", "-o", "-") == "three", "current")
    swift("delete", C, "doc.txt")
    expect(swift("download", C, "doc.txt", "-o", "-") == "two", "restored")
    swift("post", "-H", "X-Remove-Versions-Location:x", C)


def test_osc_object_delete_and_container_delete():
    osc("object", "delete", C, "osc/data.bin")
    names = [o["Name"] for o in osc_json("object", "list", C)]
    expect("osc/data.bin" not in names, names)
    swift("delete", C)
    swift("delete", C + "-versions")
    names = [c["Name"] for c in osc_json("container", "list")]
    expect(C not in names, names)


def main():
    with open(__file__) as f:
        order = [l.split("(")[0][len("def "):] for l in f if l.startswith("def test_")]
    for name in order:
        check(globals()[name])
    failed = [(n, t) for n, t in results if t]
    for name, text in failed:
        print("\n" + "=" * 70 + "\nFAIL: %s\n" % name + "-" * 70 + "\n" + text)
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
