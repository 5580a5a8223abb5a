"""Concurrent requests: many threads at once against one daemon, on both
database backends.  Runs after the other test modules (its name sorts
last but for the whole-run checks) so that a daemon wedged by a race
does not take the rest of the suite down with it.

Every request must get its normal answer: one 201 and 409s for
concurrent creates of one name, 201s for distinct ones, 201/200 for
concurrent logins and validations, 204s for concurrent grants."""
import threading

from lib import (TestCase, admin_token, call, delete, get, issue, new_project,
                 new_user, post, project_scope, role_id, token_for, uniq)


class TestConcurrency(TestCase):
    def parallel(self, fn, n):
        admin_token()          # fetched once, before the threads need it
        results, errors = [None] * n, []

        def run(i):
            try:
                results[i] = fn(i)
            except Exception as e:          # reported below
                errors.append(repr(e))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        return results

    def test_concurrent_creates_with_one_name_one_wins(self):
        name = uniq("race")
        rs = self.parallel(lambda i: post("/projects", {"project": {"name": name}}), 12)
        codes = sorted(r.status for r in rs)
        self.assertEqual(codes.count(201), 1, [repr(r) for r in rs if r.status != 409])
        self.assertEqual(codes.count(409), 11, codes)
        self.assertEqual(len(get("/projects", params={"name": name}).body["projects"]), 1)

    def test_concurrent_creates_of_distinct_entities(self):
        base = uniq("many")
        rs = self.parallel(lambda i: post("/projects", {"project": {
            "name": "%s-%d" % (base, i)}}), 24)
        self.assertEqual([r.status for r in rs], [201] * 24, [repr(r) for r in rs
                                                              if r.status != 201])
        ids = {r.body["project"]["id"] for r in rs}
        self.assertEqual(len(ids), 24)

    def test_concurrent_logins_of_one_user(self):
        p = new_project()
        u = new_user(project=p["id"])
        rs = self.parallel(lambda i: issue({"id": u["id"]}, u["password"],
                                           project_scope(p["id"])), 16)
        self.assertEqual([r.status for r in rs], [201] * 16,
                         [repr(r) for r in rs if r.status != 201])
        # and the service still works afterwards
        self.assertStatus(post("/projects", {"project": {"name": uniq("after")}}), 201)

    def test_concurrent_logins_and_writes(self):
        # logins write too (trust uses, in one transaction): mixed with
        # creates they have left SQLite "database is locked" for good and
        # garbled PostgreSQL connections ("message contents do not agree
        # with length"); several rounds to give the race a chance
        p = new_project()
        u = new_user(project=p["id"])
        tok = admin_token()
        for rnd in range(15):
            def work(i):
                if i % 2:
                    return issue({"id": u["id"]}, u["password"], project_scope(p["id"]))
                return post("/projects", {"project": {"name": uniq("mix")}}, token=tok)
            rs = self.parallel(work, 24)
            bad = [repr(r) for r in rs if r.status not in (200, 201)]
            self.assertEqual(bad, [], "round %d" % rnd)
        self.assertStatus(post("/projects", {"project": {"name": uniq("after")}}), 201)

    def test_concurrent_logins_and_validations(self):
        p = new_project()
        u = new_user(project=p["id"])
        tok = token_for(u, project_scope(p["id"]))

        def work(i):
            if i % 2:
                return issue({"id": u["id"]}, u["password"], project_scope(p["id"]))
            return get("/auth/tokens", headers={"X-Subject-Token": tok})
        rs = self.parallel(work, 16)
        self.assertEqual(sorted(r.status for r in rs), [200] * 8 + [201] * 8,
                         [repr(r) for r in rs if r.status not in (200, 201)])

    def test_concurrent_grants_and_revocations(self):
        p = new_project()
        users = [new_user(password=None) for _ in range(8)]
        member = role_id("member")

        def grant(i):
            return call("PUT", "/projects/%s/users/%s/roles/%s" % (
                p["id"], users[i]["id"], member))
        self.assertEqual([r.status for r in self.parallel(grant, 8)], [204] * 8)
        r = get("/role_assignments", params={"scope.project.id": p["id"]})
        self.assertEqual(len(r.body["role_assignments"]), 8)

        def revoke(i):
            return delete("/projects/%s/users/%s/roles/%s" % (
                p["id"], users[i]["id"], member))
        self.assertEqual([r.status for r in self.parallel(revoke, 8)], [204] * 8)
        r = get("/role_assignments", params={"scope.project.id": p["id"]})
        self.assertEqual(r.body["role_assignments"], [])
