"""What the Python benchmark loads share: the daemon's URL and the admin's
token (bench/*.sh start the daemon and export NUBIS_URL and
NUBIS_ADMIN_PASSWORD)."""
import http.client
import json
import os
import sys
import urllib.parse

BASE = os.environ["NUBIS_URL"].rstrip("/")
URL = urllib.parse.urlsplit(BASE)


def token():
    """The admin's project-scoped token and the response that issued it
    (exits when it is refused)."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"},
        "password": os.environ["NUBIS_ADMIN_PASSWORD"]}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    c = http.client.HTTPConnection(URL.hostname, URL.port, timeout=60)
    c.request("POST", "/identity/v3/auth/tokens", body=json.dumps(body),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 201:
        sys.exit("bench: no token (%d)" % r.status)
    return r.getheader("X-Subject-Token"), r

