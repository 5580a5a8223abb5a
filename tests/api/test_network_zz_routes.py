"""Whole-run check of the network suite (runs after the other
test_network_* modules): every route of the network route table
(src/network/api.c) was exercised by at least one request, with the
table's CRUD() and TAGS() macros expanded as they are in C."""
import os
import re

import lib
from netlib import NetTestCase
from test_zz_final import missing_routes

API_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src",
                     "network", "api.c")
CRUD = [("GET", ""), ("POST", ""), ("GET", "item"), ("PUT", "item"), ("DELETE", "item")]
TAGS = [("GET", "/tags"), ("PUT", "/tags"), ("DELETE", "/tags"), ("GET", "/tags/{tag}"),
        ("PUT", "/tags/{tag}"), ("DELETE", "/tags/{tag}")]


def network_routes():
    with open(API_C) as f:
        text = f.read()
    start = text.index("nb_network_routes[] = {")
    body = re.sub(r"/\*.*?\*/", "", text[start:text.index("\n};", start)], flags=re.S)
    token = re.compile(
        r'CRUD\(\s*"(?P<coll>[^"]+)",\s*"(?P<item>[^"]+)"'
        r'|TAGS\(\s*"(?P<base>[^"]+)"'
        r'|\bHP?\(\s*"(?P<hm>[A-Z]+)",\s*"(?P<hp>[^"]+)"'
        r'|\{\s*"(?P<bm>[A-Z]+)",\s*"(?P<bp>[^"]+)"', re.S)
    routes = []
    for m in token.finditer(body):
        if m.group("coll"):
            routes += [(meth, m.group("item") if which else m.group("coll"))
                       for meth, which in CRUD]
        elif m.group("base"):
            routes += [(meth, m.group("base") + tail) for meth, tail in TAGS]
        elif m.group("hm"):
            routes.append((m.group("hm"), m.group("hp")))
        else:
            routes.append((m.group("bm"), m.group("bp")))
    return routes


class TestNetworkZzRoutes(NetTestCase):
    def test_every_network_route_exercised(self):
        routes = network_routes()
        self.assertGreater(len(routes), 50, "could not parse the route table")
        prefix = lib.BASE + "/network"
        seen = [(m, p[len(prefix):].split("?")[0] or "/") for m, p in lib.SEEN
                if p.startswith(prefix + "/") or p == prefix]
        self.assertEqual(missing_routes(routes, seen), [], "routes no test exercised")
