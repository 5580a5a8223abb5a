"""The load of bench/vm.sh: real QEMU guests (TCG) through the libvirt
driver, N at once for each N of BENCH_VM_COUNTS.  For every server:

  create->ACTIVE   from sending POST /servers to its launched_at
                   (OS-SRV-USG:launched_at, to the microsecond: recorded
                   when the driver's spawn returned with the domain running)
  create->lease    to the guest's "NUBIS-LEASE <ip>" console marker (the
                   console log file polled every 50 ms)
  driver           the driver's spawn (the daemon log's "libvirt: guest
                   UUID started (TYPE, S s)": image cache, overlay, config
                   drive, define, virDomainCreate until the domain runs)
                   without its wait for the data plane (below)
  nubis            create->ACTIVE minus driver: the API, the scheduler,
                   the ports, the data plane (the part of spawn that waited
                   for it to plug the ports, the log's "ports of UUID are
                   plugged (waited S s)": what the plugging did not overlap
                   with the driver's disk work) and the recording of ACTIVE
                   (the issue's "nubis's own share"), as a share of
                   create->ACTIVE and of create->lease
  QEMU RSS         of the guest's QEMU process once it has its lease, and
                   beyond RAM: that RSS minus the resident part of the
                   guest's RAM mapping (/proc/PID/smaps), i.e. what a guest
                   costs the host besides the memory it uses

One untimed server first fills the image cache and warms libvirt's root.
Prints one table; exits 1 when a server failed."""
import base64
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

from benchlib import URL, token

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "vm"))
from vmproc import qemu_pids  # noqa: E402
STATE_DIR = os.environ["NUBIS_STATE"]
LOG = os.path.join(STATE_DIR, "daemon.log")
COUNTS = [int(c) for c in os.environ.get("BENCH_VM_COUNTS", "1 4").split()]
FLAVOR, IMAGE, NET = (os.environ[k] for k in ("BENCH_FLAVOR", "BENCH_IMAGE", "BENCH_NET"))
RAM_MB = int(os.environ.get("BENCH_RAM_MB", "256"))
TIMEOUT = float(os.environ.get("BENCH_VM_TIMEOUT", "300"))
bad = []


TOKEN = token()[0]


def call(method, path, body=None):
    c = http.client.HTTPConnection(URL.hostname, URL.port, timeout=120)
    hdr = {"X-Auth-Token": TOKEN, "OpenStack-API-Version": "compute 2.79"}
    if body is not None:
        hdr["Content-Type"] = "application/json"
    c.request(method, "/compute/v2.1" + path, body=json.dumps(body) if body else None,
              headers=hdr)
    r = c.getresponse()
    text = r.read()
    c.close()
    return r.status, (json.loads(text) if text else None)


def ts(s):
    """An ISO 8601 time (the API's or the log's) as epoch seconds."""
    s = s.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(s, fmt).replace(tzinfo=timezone.utc).timestamp()


def console_has_lease(sid):
    try:
        with open(os.path.join(STATE_DIR, "instances", sid, "console.log"), "rb") as f:
            return b"NUBIS-LEASE " in f.read()
    except OSError:
        return False


def qemu_pid(sid):
    pids = qemu_pids(sid)
    return pids[0] if pids else None


def qemu_memory(pid):
    """(RSS, RSS beyond the guest RAM mapping), in MiB."""
    rss = ram = 0
    size = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                size = None
            elif line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:"):
                kb = int(line.split()[1])
                rss += kb
                if size == RAM_MB * 1024:
                    ram += kb
    return rss / 1024.0, (rss - ram) / 1024.0


def spawn_times():
    """uuid -> (the driver's spawn, the part of it spent waiting for the
    data plane) in seconds, from the daemon log."""
    out, waits = {}, {}
    rx = re.compile(r"^(\S+) \d+ INFO \[[^]]*\] libvirt: guest (\S+) started \(\w+, ([\d.]+) s\)")
    wx = re.compile(r"^\S+ \d+ INFO \[[^]]*\] compute: the ports of (\S+) are plugged"
                    r" \(waited ([\d.]+) s\)")
    with open(LOG, errors="replace") as f:
        for line in f:
            m = rx.match(line)
            if m:
                out[m.group(2)] = float(m.group(3))
            m = wx.match(line)
            if m:
                waits[m.group(1)] = float(m.group(2))
    return {u: (s, waits.get(u, 0.0)) for u, s in out.items()}


def boot(name, res):
    """One server: create, ACTIVE, lease, memory; fills res."""
    body = {"server": {"name": name, "flavorRef": FLAVOR, "imageRef": IMAGE,
                       "networks": [{"uuid": NET}], "config_drive": True,
                       "user_data": base64.b64encode(b"#!/bin/sh\n").decode()}}
    t0 = time.time()
    st, r = call("POST", "/servers", body)
    if st != 202:
        bad.append("POST /servers -> %d %s" % (st, r))
        return
    sid = r["server"]["id"]
    res["id"] = sid
    end = time.monotonic() + TIMEOUT
    while True:
        st, s = call("GET", "/servers/" + sid)
        s = s["server"] if st == 200 else {}
        if s.get("status") == "ACTIVE":
            break
        if s.get("status") == "ERROR" or time.monotonic() > end:
            print("  %s: %s" % (name, s.get("fault") or s.get("status")), flush=True)
            bad.append("%s: %s" % (name, s.get("fault") or s.get("status")))
            return
        time.sleep(0.2)
    res["active"] = ts(s["OS-SRV-USG:launched_at"]) - t0
    while not console_has_lease(sid):
        if time.monotonic() > end:
            bad.append("%s: no lease marker" % name)
            return
        time.sleep(0.05)
    res["lease"] = time.time() - t0
    print("  %s: ACTIVE %.2fs, lease %.2fs" % (name, res["active"], res["lease"]), flush=True)
    pid = qemu_pid(sid)
    if pid:
        res["rss"], res["beyond"] = qemu_memory(pid)


def taps():
    """The guests' tap devices of this (the bench's) network namespace
    (netlink: /sys is the host's under nsenter)."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()
            if line.split(":")[1].strip().startswith("tap")}


def delete(ids):
    """Deletes the servers and waits until the host is quiet again: the
    servers gone and their taps removed by the data plane (so a round
    measures creation on an idle host, not the last round's cleanup)."""
    before = taps()
    for sid in ids:
        call("DELETE", "/servers/" + sid)
    end = time.monotonic() + TIMEOUT
    for sid in ids:
        while call("GET", "/servers/" + sid)[0] != 404:
            if time.monotonic() > end:
                bad.append("%s not deleted" % sid)
                break
            time.sleep(0.2)
    end = time.monotonic() + 30
    while len(taps()) > len(before) - len(ids) and time.monotonic() < end:
        time.sleep(0.1)
    time.sleep(0.2)         # the same apply's DHCP lease release


def round_(n, tag):
    res = [{} for _ in range(n)]
    threads = [threading.Thread(target=boot, args=("bench-%s-%d" % (tag, i), res[i]))
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spawns = spawn_times()
    for r in res:
        if r.get("id") in spawns and "active" in r:
            r["spawn"] = spawns[r["id"]][0] - spawns[r["id"]][1]
            r["nubis"] = r["active"] - r["spawn"]
    delete([r["id"] for r in res if "id" in r])
    return res


def fmt(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return "%.2f / %.2f" % (statistics.median(values), max(values))


def main():
    round_(1, "warm")
    rows, targets = [], []
    for n in COUNTS:
        res = round_(n, "n%d" % n)
        ok = [r for r in res if "lease" in r and "nubis" in r]
        col = lambda k: [r.get(k) for r in ok]     # noqa: E731
        share = [100.0 * r["nubis"] / r["active"] for r in ok if r["active"] > 0]
        lshare = [100.0 * r["nubis"] / r["lease"] for r in ok if r["lease"] > 0]
        rows.append((n, len(ok), fmt(col("active")), fmt(col("lease")), fmt(col("spawn")),
                     fmt(col("nubis")), fmt(share), fmt(lshare), fmt(col("rss")),
                     fmt(col("beyond"))))
        targets.append("target: nubis share <= 5%% of create->ACTIVE, %d at once: %s"
                       % (n, "%.1f%% (median), %s" % (statistics.median(share), "met"
                          if statistics.median(share) <= 5 else "NOT met") if share
                          else "not measured"))
    head = ("servers", "ok", "create->ACTIVE s", "create->lease s", "driver s", "nubis s",
            "nubis % of ACTIVE", "nubis % of lease", "QEMU RSS MiB", "beyond RAM MiB")
    print("TCG guests, %d MiB RAM, 1 vCPU; each cell: median / max over the servers "
          "of the round" % RAM_MB)
    w = [max(len(h), 10) for h in head]
    print("  ".join(h.ljust(x) for h, x in zip(head, w)))
    for row in rows:
        print("  ".join(str(c).ljust(x) for c, x in zip(row, w)))
    print("\n".join(targets))
    for b in bad:
        print("bench: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
