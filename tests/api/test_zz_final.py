"""Whole-run checks, run after every other test (runner.py runs this
module last and only when no -k filter is given):

- every route of the identity route table (src/identity/api.c) and of the
  image route table (src/image/api.c) was exercised by at least one
  request of the suite;
- every response carried a well-formed X-Openstack-Request-Id."""
import os
import re

import lib
from lib import TestCase

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")
API_C = os.path.join(SRC, "identity", "api.c")

CRUD = ["GET coll", "POST coll", "GET item", "PATCH item", "DELETE item"]
GRANTS = ["GET coll", "PUT item", "HEAD item", "GET item", "DELETE item"]


def parse_routes(text, table="nb_identity_routes"):
    """The (method, pattern) list of a route table, in table order, with
    the CRUD() and GRANTS() macros expanded."""
    start = text.index(table + "[] = {")
    body = text[start:text.index("\n};", start)]
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    token = re.compile(
        r'(?P<macro>CRUD|GRANTS)\(\s*"(?P<coll>[^"]+)",\s*"(?P<item>[^"]+)"'
        r'|\b(?:HP?|STREAM)\(\s*"(?P<hm>[A-Z]+)",\s*"(?P<hp>[^"]+)"'
        r'|\{\s*"(?P<bm>[A-Z]+)",\s*"(?P<bp>[^"]+)"', re.S)
    routes = []
    for m in token.finditer(body):
        if m.group("macro"):
            for spec in (CRUD if m.group("macro") == "CRUD" else GRANTS):
                method, which = spec.split()
                routes.append((method, m.group(which)))
        elif m.group("hm"):
            routes.append((m.group("hm"), m.group("hp")))
        else:
            routes.append((m.group("bm"), m.group("bp")))
    return routes


def pattern_re(pattern):
    return re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", re.escape(pattern)
                                   .replace(r"\{", "{").replace(r"\}", "}")) + "/?$")


def missing_routes(routes, seen):
    """The routes of 'routes' that no (method, path) of 'seen' matched."""
    compiled = [(m, p, pattern_re(p)) for m, p in routes]
    hit = set()
    for method, path in seen:
        # the router picks the first route of the table that matches
        for m, p, rx in compiled:
            if m == method and rx.match(path):
                hit.add((m, p))
                break
    return ["%s %s" % r for r in routes if r not in hit]


class TestZzWholeRun(TestCase):
    def test_every_image_route_exercised(self):
        with open(os.path.join(SRC, "image", "api.c")) as f:
            routes = parse_routes(f.read(), "nb_image_routes")
        self.assertGreater(len(routes), 20, "could not parse the route table")
        prefix = lib.BASE + "/image"
        seen = [(m, p[len(prefix):].split("?")[0] or "/") for m, p in lib.SEEN
                if p.startswith(prefix + "/") or p == prefix]
        self.assertEqual(missing_routes(routes, seen), [], "routes no test exercised")

    def test_every_route_exercised(self):
        with open(API_C) as f:
            routes = parse_routes(f.read())
        self.assertGreater(len(routes), 100, "could not parse the route table")
        seen = [(m, p) for m, p in lib.SEEN if p.startswith("/")]
        self.assertEqual(missing_routes(routes, seen), [], "routes no test exercised")

    def test_every_response_had_a_request_id(self):
        self.assertGreater(len(lib.SEEN), 0)
        self.assertEqual(lib.BAD_REQUEST_IDS, [],
                         "responses without a well-formed X-Openstack-Request-Id")
