"""The load of bench/network.sh: port create rate and GET /v2.0/ports
latency with BENCH_TOTAL ports.  Prints one table; exits 1 when a request
got an unexpected status."""
import json
import os
import socket
import statistics
import sys
import threading
import time

import requests

BASE = os.environ["NUBIS_URL"].rstrip("/")
NET = BASE + "/network/v2.0"
PORTS = int(os.environ.get("BENCH_PORTS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
TOTAL = int(os.environ.get("BENCH_TOTAL", "10000"))
GETS = int(os.environ.get("BENCH_GETS", "50"))
DATAPLANE = os.environ.get("NUBIS_DATAPLANE", "none")
bad = []


def token():
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"},
        "password": os.environ["NUBIS_ADMIN_PASSWORD"]}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = requests.post(BASE + "/identity/v3/auth/tokens", json=body, timeout=30)
    r.raise_for_status()
    return r.headers["X-Subject-Token"]


TOKEN = token()
HDR = {"X-Auth-Token": TOKEN, "Content-Type": "application/json"}


def call(session, method, path, body=None, expect=200, params=None):
    t0 = time.monotonic()
    r = session.request(method, NET + path, headers=HDR, params=params,
                        data=json.dumps(body) if body is not None else None, timeout=120)
    took = time.monotonic() - t0
    if r.status_code != expect:
        bad.append("%s %s -> %d %s" % (method, path, r.status_code, r.text[:200]))
    return r, took


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    s = requests.Session()
    host = socket.gethostname()
    net = call(s, "POST", "/networks", {"network": {"name": "bench"}}, 201)[0].json()
    net_id = net["network"]["id"]
    call(s, "POST", "/subnets", {"subnet": {"network_id": net_id, "ip_version": 4,
                                            "cidr": "10.0.0.0/16"}}, 201)
    quota = {"quota": {"port": -1}}
    call(s, "PUT", "/quotas/" + net["network"]["project_id"], quota)

    # ---- port create rate, CLIENTS at once, bound to this host
    lat, lock = [], threading.Lock()
    per = [PORTS // CLIENTS + (1 if i < PORTS % CLIENTS else 0) for i in range(CLIENTS)]

    def creator(n):
        sess = requests.Session()
        mine = []
        for _ in range(n):
            _, took = call(sess, "POST", "/ports", {"port": {
                "network_id": net_id, "binding:host_id": host,
                "device_owner": "compute:bench"}}, 201)
            mine.append(took)
        with lock:
            lat.extend(mine)
    threads = [threading.Thread(target=creator, args=(n,)) for n in per]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    rows = [("port create (%d clients, bound, dataplane %s)" % (CLIENTS, DATAPLANE),
             "%.0f ports/s" % (PORTS / wall), pct(lat, 50), pct(lat, 99), PORTS)]

    # ---- fill up to TOTAL ports (bulk creates of 100, unbound)
    have = PORTS + 1                             # + the DHCP port
    while have < TOTAL:
        n = min(100, TOTAL - have)
        call(s, "POST", "/ports", {"ports": [{"network_id": net_id,
                                              "device_id": "dev-%d" % (have + i)}
                                             for i in range(n)]}, 201)
        have += n
    r, _ = call(s, "GET", "/ports", params={"fields": "id"})
    count = len(r.json()["ports"])

    # ---- GET latency, one client
    for label, params in (("GET /v2.0/ports (all %d)" % count, None),
                          ("GET /v2.0/ports?limit=100", {"limit": "100"}),
                          ("GET /v2.0/ports?device_id=...", {"device_id": "dev-5000"})):
        times = [call(s, "GET", "/ports", params=params)[1] for _ in range(GETS)]
        rows.append((label, "%.1f req/s" % (GETS / sum(times)), pct(times, 50),
                     pct(times, 99), GETS))

    print("%-52s %14s %10s %10s %8s" % ("operation", "rate", "p50 ms", "p99 ms", "count"))
    for label, rate, p50, p99, n in rows:
        print("%-52s %14s %10.1f %10.1f %8d" % (label, rate, p50 * 1000, p99 * 1000, n))
    if bad:
        print("%d unexpected statuses, e.g. %s" % (len(bad), bad[0]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
