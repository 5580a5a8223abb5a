"""The load of bench/compute.sh: Rally-style boot-and-delete with the fake
virt driver, and GET /servers/detail with BENCH_TOTAL servers.  Prints one
table; exits 1 when a request got an unexpected status or a server did not
become ACTIVE.

A boot-and-delete is what Rally's NovaServers.boot_and_delete_server does:
POST /servers (one server), GET /servers/{id} until it is ACTIVE, DELETE
/servers/{id}, GET until 404.  Clients poll with a backoff: 2 ms, then
twice as long each time up to BENCH_POLL_MS for every 16 clients (Rally
polls every second; a short poll measures the service rather than the
sleep, but the clients together should not poll more than ~1,600 times a
second, or the cell mostly measures the polls).  create->ACTIVE is from
sending the POST to the server's launched_at (OS-SRV-USG:launched_at, to
the microsecond), so it does not depend on the poll interval."""
import http.client
import json
import os
import statistics
import sys
import threading
import time
from datetime import datetime, timezone

from benchlib import URL, token
COUNT = int(os.environ.get("BENCH_SERVERS", "1000"))
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "1 16 64").split()]
TOTAL = int(os.environ.get("BENCH_TOTAL", "10000"))
GETS = int(os.environ.get("BENCH_GETS", "20"))
POLL = float(os.environ.get("BENCH_POLL_MS", "10")) / 1000.0
NETWORK = os.environ.get("BENCH_NETWORK", "none")
PIDFILE = os.environ.get("NUBIS_PID", "")
bad = []
lock = threading.Lock()


class Client:
    """One keep-alive connection (http.client: the bench should load the
    daemon, not the Python HTTP stack)."""

    def __init__(self, token):
        self.token = token
        self.conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=300)

    def call(self, method, path, body=None, expect=(200,), mv="2.79"):
        hdr = {"X-Auth-Token": self.token, "OpenStack-API-Version": "compute " + mv}
        data = None
        if body is not None:
            data = json.dumps(body)
            hdr["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=hdr)
                r = self.conn.getresponse()
                text = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt:
                    raise
        if r.status not in expect:
            with lock:
                bad.append("%s %s -> %d %s" % (method, path, r.status, text[:300]))
        return r.status, (json.loads(text) if text else None)




def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def setup(c):
    """A flavor, an image, the network (BENCH_NETWORK=net: a network and a
    subnet; none: servers without ports) and unlimited quotas."""
    fid = "bench-" + str(os.getpid())
    c.call("POST", "/compute/v2.1/flavors", {"flavor": {
        "name": fid, "id": fid, "ram": 64, "vcpus": 1, "disk": 1}}, (200,))
    st, img = c.call("POST", "/image/v2/images", {
        "name": "bench", "disk_format": "raw", "container_format": "bare"}, (201,))
    c.conn.request("PUT", "/image/v2/images/%s/file" % img["id"], body=b"\0" * 4096,
                   headers={"X-Auth-Token": c.token,
                            "Content-Type": "application/octet-stream"})
    r = c.conn.getresponse()
    r.read()
    if r.status != 204:
        bad.append("image upload -> %d" % r.status)
    st, proj = c.call("GET", "/identity/v3/auth/projects")
    pid = [p["id"] for p in proj["projects"] if p["name"] == "admin"][0]
    c.call("PUT", "/compute/v2.1/os-quota-sets/" + pid, {"quota_set": {
        "instances": -1, "cores": -1, "ram": -1}})
    networks = "none"
    if NETWORK == "net":
        st, net = c.call("POST", "/network/v2.0/networks", {"network": {"name": "bench"}},
                         (201,))
        c.call("POST", "/network/v2.0/subnets", {"subnet": {
            "network_id": net["network"]["id"], "ip_version": 4, "cidr": "10.8.0.0/16"}},
            (201,))
        c.call("PUT", "/network/v2.0/quotas/" + pid, {"quota": {"port": -1}})
        networks = [{"uuid": net["network"]["id"]}]
    return {"flavorRef": fid, "imageRef": img["id"], "networks": networks}


def wait_status(c, sid, want, gone=False, cap=POLL):
    """Polls GET /servers/{id} until 'want' (or 404 when 'gone'), waiting
    2 ms, then twice as long each time up to 'cap': the server's body (True
    when gone); None on ERROR or after 120 s."""
    end = time.monotonic() + 120
    delay = 0.002
    while time.monotonic() < end:
        st, body = c.call("GET", "/compute/v2.1/servers/" + sid, expect=(200, 404))
        if gone and st == 404:
            return True
        if not gone and st == 200:
            status = body["server"]["status"]
            if status == want:
                return body["server"]
            if status == "ERROR":
                with lock:
                    bad.append("server %s: ERROR %s" % (sid, body["server"].get("fault")))
                return None
        time.sleep(delay)
        delay = min(delay * 2, cap)
    with lock:
        bad.append("server %s: not %s within 120 s" % (sid, "gone" if gone else want))
    return None


def launched(server):
    """OS-SRV-USG:launched_at (naive UTC, microseconds) as epoch seconds."""
    t = datetime.strptime(server["OS-SRV-USG:launched_at"], "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=timezone.utc).timestamp()


def boot_and_delete(tok, base, n, lat, cap):
    c = Client(tok)
    mine = []
    for i in range(n):
        t0 = time.time()
        body = dict(base, name="bench-%d" % i)
        st, r = c.call("POST", "/compute/v2.1/servers", {"server": body}, (202,))
        if st != 202:
            continue
        sid = r["server"]["id"]
        server = wait_status(c, sid, "ACTIVE", cap=cap)
        if server:
            mine.append(launched(server) - t0)
        c.call("DELETE", "/compute/v2.1/servers/" + sid, expect=(204,))
        wait_status(c, sid, None, gone=True, cap=cap)
    with lock:
        lat.extend(mine)


def daemon_cpu():
    """CPU seconds the daemon used so far (user + system)."""
    try:
        pid = open(PIDFILE).read().strip()
        fields = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def cell(tok, base, clients):
    lat = []
    per = [COUNT // clients + (1 if i < COUNT % clients else 0) for i in range(clients)]
    cap = POLL * max(1, clients // 16)
    threads = [threading.Thread(target=boot_and_delete, args=(tok, base, n, lat, cap))
               for n in per]
    cpu0, t0 = daemon_cpu(), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    return COUNT / wall, lat, wall, (daemon_cpu() - cpu0) / COUNT


def fill(tok, base, total):
    """BENCH_TOTAL servers (batches of 100 by min_count), all ACTIVE."""
    c = Client(tok)
    left = total
    t0 = time.monotonic()
    while left > 0:
        n = min(100, left)
        body = dict(base, name="fill", min_count=n, max_count=n)
        c.call("POST", "/compute/v2.1/servers", {"server": body}, (202,))
        left -= n
    end = time.monotonic() + 600
    while time.monotonic() < end:
        st, r = c.call("GET", "/compute/v2.1/servers?status=BUILD&limit=1")
        if st == 200 and not r["servers"]:
            break
        time.sleep(0.5)
    return time.monotonic() - t0


def rss_mib():
    try:
        pid = open(PIDFILE).read().strip()
        for line in open("/proc/%s/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return float("nan")
    return float("nan")


def main():
    tok, _ = token()
    c = Client(tok)
    base = setup(c)
    if bad:
        print("\n".join(bad[:10]))
        return 1
    print("compute bench: fake virt driver, networks=%s, %d boot-and-deletes per cell, "
          "polls 2..%.0f ms apart per 16 clients" % (
              NETWORK if NETWORK == "none" else "1 port", COUNT, POLL * 1000))
    print("%-34s %10s %10s %10s %8s %12s" % ("boot-and-delete", "servers/s", "p50 ACTIVE",
                                            "p95 ACTIVE", "wall s", "daemon CPU"))
    for clients in CONCURRENCY:
        rate, lat, wall, cpu = cell(tok, base, clients)
        if lat:
            print("%-34s %10.1f %9.1fms %9.1fms %8.1f %9.2fms/op" % (
                "concurrency %d" % clients, rate, statistics.median(lat) * 1000,
                pct(lat, 95) * 1000, wall, cpu * 1000))
        else:
            print("%-34s (no server became ACTIVE)" % ("concurrency %d" % clients))
    took = fill(tok, base, TOTAL)
    print("%d servers created (min_count batches of 100) and ACTIVE in %.1f s" %
          (TOTAL, took))
    print("%-34s %10s %10s %10s" % ("GET (%d servers)" % TOTAL, "p50", "p95", "items"))
    for label, path in (("/servers/detail", "/servers/detail"),
                        ("/servers/detail?limit=100", "/servers/detail?limit=100"),
                        ("/servers", "/servers")):
        lat, items = [], 0
        for _ in range(GETS):
            t0 = time.monotonic()
            st, r = c.call("GET", "/compute/v2.1" + path)
            lat.append(time.monotonic() - t0)
            items = len(r["servers"]) if r else 0
        print("%-34s %8.1fms %8.1fms %10d" % (label, statistics.median(lat) * 1000,
                                              pct(lat, 95) * 1000, items))
    print("daemon RSS after: %.1f MiB" % rss_mib())
    if bad:
        print("bench: %d unexpected results, the first:" % len(bad))
        print("\n".join(bad[:10]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
