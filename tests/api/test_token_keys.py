"""`nubis token-rotate` while the daemon runs, like keystone-manage
fernet_rotate: the newest key encrypts, every key kept still decrypts, so
tokens issued before a rotation keep validating until their key is
rotated out ([token] max_active_keys, default 3).  The daemon picks the
new keys up within about a second."""
import os
import time

from lib import (STATE_DIR, TestCase, call, forget_cached_tokens, get,
                 new_project, new_user, project_scope, run_nubis, token_for,
                 wait_until)


def key_files():
    d = os.path.join(STATE_DIR, "keys")
    return sorted(int(f) for f in os.listdir(d) if f.isdigit())


class TestTokenRotation(TestCase):
    def rotate(self):
        r = run_nubis("token-rotate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def valid(self, tok):
        return get("/auth/tokens", headers={"X-Subject-Token": tok}).status == 200

    def test_rotation_keeps_old_tokens_and_issues_new_ones(self):
        p = new_project()
        u = new_user(project=p["id"])
        old = token_for(u, project_scope(p["id"]))
        before = key_files()
        self.rotate()
        after = key_files()
        self.assertEqual(len(after), len(before) + 1, (before, after))
        self.assertGreater(max(after), max(before))
        time.sleep(1.5)       # the daemon re-reads the key directory each second
        self.assertTokenValid(old)
        self.assertStatus(get("/auth/projects", token=old), 200)
        new = token_for(u, project_scope(p["id"]))
        self.assertNotEqual(new, old)
        self.assertTokenValid(new)
        self.assertStatus(get("/auth/catalog", token=new), 200)
        r = call("GET", "/auth/tokens", token=new, headers={"X-Subject-Token": old})
        self.assertStatus(r, 200)

    def test_token_of_a_rotated_out_key_stops_validating(self):
        u = new_user()
        old = token_for(u)
        self.assertTokenValid(old)
        try:
            for _ in range(3):            # max_active_keys = 3
                self.rotate()
            self.assertLessEqual(len(key_files()), 3)
            time.sleep(1.5)
            forget_cached_tokens()
            gone = wait_until(lambda: not self.valid(old), timeout=3)
            self.assertTrue(gone, "a token whose key was removed still validates")
            self.assertError(get("/auth/projects", token=old), 401)
            # and fresh tokens work
            fresh = token_for(u)
            self.assertTokenValid(fresh)
        finally:
            forget_cached_tokens()

    def test_rotate_command_reports_the_directory(self):
        r = run_nubis("token-rotate")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(os.path.join(STATE_DIR, "keys"), r.stdout)
