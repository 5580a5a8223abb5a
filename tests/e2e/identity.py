"""The identity user scenario with Debian's `openstack` CLI (/usr/bin/openstack,
python3-openstackclient), run by tests/e2e/run.sh with the admin's OS_*
variables (from `nubis openrc`) in the environment.

Each check runs one or more CLI commands and asserts on their output
(-f json / -f value).  Checks depend on the ones before them (the scenario
builds p1 and u1 step by step); a failed check is reported and the scenario
goes on.  The last line is "N passed, M failed"."""
import json
import os
import subprocess
import sys
import time
import traceback
import uuid

OPENSTACK = "/usr/bin/openstack"
RUN = uuid.uuid4().hex[:6]
P1 = "p1"
U1 = "u1"
PW = "x"
results = []
state = {}


class CliError(AssertionError):
    pass


def own_env(**os_vars):
    """An environment with only the given OS_* variables (plus the auth URL
    and API version of the cloud): for credentials other than a password."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    e.update({"OS_AUTH_URL": os.environ["OS_AUTH_URL"],
              "OS_IDENTITY_API_VERSION": "3"})
    e.update(os_vars)
    return e


def osc(*args, env=None, ok=True, clean=False):
    """Runs `openstack ARGS`; returns stdout. With ok=False the command must
    fail (returns its stderr). 'env' adds to (or, with clean=True, replaces)
    the admin's environment."""
    e = {} if clean else dict(os.environ)
    e.update(env or {})
    t0 = time.monotonic()
    p = subprocess.run([OPENSTACK] + list(args), capture_output=True, text=True,
                       env=e, timeout=120)
    took = time.monotonic() - t0
    line = "  $ openstack %s  (rc %d, %.1fs)" % (" ".join(args), p.returncode, took)
    print(line, flush=True)
    if ok and p.returncode != 0:
        raise CliError("command failed: openstack %s\nstdout: %s\nstderr: %s"
                       % (" ".join(args), p.stdout[-2000:], p.stderr[-2000:]))
    if not ok and p.returncode == 0:
        raise CliError("command should have failed: openstack %s\nstdout: %s"
                       % (" ".join(args), p.stdout[-2000:]))
    return p.stdout if ok else p.stderr


def osc_json(*args, env=None, clean=False):
    out = osc(*(list(args) + ["-f", "json"]), env=env, clean=clean)
    try:
        return json.loads(out)
    except ValueError:
        raise CliError("not JSON from openstack %s: %r" % (" ".join(args), out[:500]))


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


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


U1_ENV = {"OS_USERNAME": U1, "OS_PASSWORD": PW, "OS_PROJECT_NAME": P1,
          "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"}

# ---------------------------------------------------------------- the scenario


def test_admin_token_issue():
    t = osc_json("token", "issue")
    for k in ("id", "expires", "project_id", "user_id"):
        expect(t.get(k), "token issue lacks %s: %r" % (k, t))
    proj = osc_json("project", "show", os.environ["OS_PROJECT_NAME"])
    expect(t["project_id"] == proj["id"], "token project %r is not the admin project %r"
           % (t["project_id"], proj["id"]))
    state["admin_token"] = t["id"]


def test_catalog_list():
    cat = osc_json("catalog", "list")
    ident = [s for s in cat if s["Type"] == "identity"]
    expect(len(ident) == 1, "no single identity service in %r" % cat)
    expect(ident[0]["Name"] == "keystone", ident[0])
    auth_url = os.environ["OS_AUTH_URL"].rstrip("/")
    itfs = {e["interface"]: e["url"].rstrip("/") for e in ident[0]["Endpoints"]}
    expect(set(itfs) == {"public", "internal", "admin"}, itfs)
    expect(auth_url.startswith(itfs["public"]), "public url %s vs OS_AUTH_URL %s"
           % (itfs["public"], auth_url))
    out = osc("catalog", "show", "identity", "-f", "value", "-c", "type")
    expect(out.strip() == "identity", out)


def test_project_create_p1():
    p = osc_json("project", "create", P1, "--description", "e2e " + RUN)
    expect(p["name"] == P1 and p["id"], p)
    expect(p["enabled"] is True, p)
    expect(p["domain_id"] == "default", p)
    state["p1"] = p["id"]
    shown = osc_json("project", "show", P1)
    expect(shown["id"] == p["id"] and shown["description"] == "e2e " + RUN, shown)


def test_user_create_u1():
    u = osc_json("user", "create", "--password", PW, U1)
    expect(u["name"] == U1 and u["id"], u)
    expect(u["enabled"] is True, u)
    expect("password" not in u, "the password is shown: %r" % u)
    state["u1"] = u["id"]


def test_role_add_member():
    out = osc("role", "add", "--project", P1, "--user", U1, "member")
    expect(out.strip() == "", "role add printed %r" % out)


def test_u1_token_scoped_to_p1():
    t = osc_json("token", "issue", env=U1_ENV)
    expect(t["user_id"] == state["u1"], "token user %r, expected %r" % (t, state["u1"]))
    expect(t["project_id"] == state["p1"], "token project %r, expected %r"
           % (t, state["p1"]))
    state["u1_token"] = t["id"]


def test_u1_sees_its_catalog_and_project():
    cat = osc_json("catalog", "list", env=U1_ENV)
    expect("identity" in [s["Type"] for s in cat], cat)
    p = osc_json("project", "show", state["p1"], env=U1_ENV)
    expect(p["name"] == P1, p)


def test_u1_cannot_administer():
    # (`project list` falls back to the user's own projects on a 403)
    names = osc("project", "list", "-f", "value", "-c", "Name", env=U1_ENV).split()
    expect(names == [P1], names)
    for args in (("user", "create", "intruder-" + RUN),
                 ("domain", "create", "intruder-" + RUN),
                 ("role", "add", "--project", P1, "--user", U1, "admin")):
        err = osc(*args, env=U1_ENV, ok=False)
        expect("403" in err, err)
    names = osc("user", "list", "-f", "value", "-c", "Name").split()
    expect("intruder-" + RUN not in names, names)


def test_user_list():
    names = osc("user", "list", "-f", "value", "-c", "Name").split()
    expect(U1 in names and "admin" in names, names)
    users = osc_json("user", "list", "--project", P1)
    expect([u["Name"] for u in users] == [U1], users)


def test_role_assignment_list_names():
    rows = osc_json("role", "assignment", "list", "--names")
    want = {"Role": "member", "User": "%s@Default" % U1, "Project": "%s@Default" % P1}
    got = [r for r in rows if all(r.get(k) == v for k, v in want.items())]
    expect(len(got) == 1, "no %r in %r" % (want, rows))
    rows = osc_json("role", "assignment", "list", "--user", U1, "--project", P1,
                    "--names")
    expect([r["Role"] for r in rows] == ["member"], rows)
    rows = osc_json("role", "assignment", "list", "--user", U1, "--project", P1,
                    "--effective", "--names")
    expect(sorted(r["Role"] for r in rows) == ["member", "reader"], rows)


def test_role_list_and_implied_roles():
    names = osc("role", "list", "-f", "value", "-c", "Name").split()
    expect({"admin", "member", "reader"} <= set(names), names)
    rows = osc_json("implied", "role", "list")
    pairs = {(r["Prior Role Name"], r["Implied Role Name"]) for r in rows}
    expect(("admin", "member") in pairs and ("member", "reader") in pairs, rows)


def test_domain_and_catalog_admin_views():
    doms = osc_json("domain", "list")
    expect(any(d["ID"] == "default" and d["Name"] == "Default" for d in doms), doms)
    regions = osc("region", "list", "-f", "value", "-c", "Region")
    expect("RegionOne" in regions.split(), regions)
    svcs = osc_json("service", "list")
    expect(any(s["Type"] == "identity" for s in svcs), svcs)
    eps = osc_json("endpoint", "list", "--service", "identity")
    expect(sorted(e["Interface"] for e in eps) == ["admin", "internal", "public"], eps)


def test_group_membership_gives_roles():
    g = osc_json("group", "create", "g-" + RUN)
    state["group"] = g["id"]
    u = osc_json("user", "create", "--password", PW, "gu-" + RUN)
    osc("group", "add", "user", g["id"], u["id"])
    out = osc("group", "contains", "user", g["id"], u["id"])
    expect(" in group " in out and " not in group " not in out, out)
    osc("role", "add", "--project", P1, "--group", g["id"], "reader")
    env = dict(U1_ENV, OS_USERNAME="gu-" + RUN)
    t = osc_json("token", "issue", env=env)
    expect(t["project_id"] == state["p1"], t)
    osc("group", "remove", "user", g["id"], u["id"])
    osc("token", "issue", env=env, ok=False)
    osc("user", "delete", u["id"])
    osc("group", "delete", g["id"])


def test_token_revoke():
    t = osc_json("token", "issue", env=U1_ENV)
    env = own_env(OS_AUTH_TYPE="v3token", OS_TOKEN=t["id"], OS_PROJECT_ID=state["p1"])
    p = osc_json("project", "show", state["p1"], env=env, clean=True)
    expect(p["name"] == P1, p)
    osc("token", "revoke", t["id"])
    err = osc("project", "show", state["p1"], env=env, clean=True, ok=False)
    expect("401" in err, err)


def test_application_credential():
    ac = osc_json("application", "credential", "create", "ac-" + RUN, env=U1_ENV)
    expect(ac["secret"] and ac["id"], ac)
    expect(ac["project_id"] == state["p1"], ac)
    env = own_env(OS_AUTH_TYPE="v3applicationcredential",
                  OS_APPLICATION_CREDENTIAL_ID=ac["id"],
                  OS_APPLICATION_CREDENTIAL_SECRET=ac["secret"])
    t = osc_json("token", "issue", env=env, clean=True)
    expect(t["project_id"] == state["p1"] and t["user_id"] == state["u1"], t)
    names = osc("application", "credential", "list", "-f", "value", "-c", "Name",
                env=U1_ENV).split()
    expect("ac-" + RUN in names, names)
    osc("application", "credential", "delete", "ac-" + RUN, env=U1_ENV)
    osc("token", "issue", env=env, clean=True, ok=False)


def test_user_password_and_disable():
    osc("user", "set", "--password", "y", U1)
    osc("token", "issue", env=U1_ENV, ok=False)
    osc_json("token", "issue", env=dict(U1_ENV, OS_PASSWORD="y"))
    osc("user", "set", "--disable", U1)
    u = osc_json("user", "show", U1)
    expect(u["enabled"] is False, u)
    osc("token", "issue", env=dict(U1_ENV, OS_PASSWORD="y"), ok=False)
    osc("user", "set", "--enable", "--password", PW, U1)
    osc_json("token", "issue", env=U1_ENV)


def test_role_remove():
    osc("role", "remove", "--project", P1, "--user", U1, "member")
    rows = osc_json("role", "assignment", "list", "--user", U1, "--project", P1)
    expect(rows == [], rows)
    osc("token", "issue", env=U1_ENV, ok=False)


def test_project_delete():
    osc("project", "delete", P1)
    err = osc("project", "show", P1, ok=False)
    expect("No project" in err or "404" in err or "Could not find" in err, err)
    names = osc("project", "list", "-f", "value", "-c", "Name").split()
    expect(P1 not in names, names)


def test_user_delete():
    osc("user", "delete", U1)
    osc("user", "show", U1, ok=False)
    names = osc("user", "list", "-f", "value", "-c", "Name").split()
    expect(U1 not in names, names)


def main(path=__file__, scope=None):
    """Runs the test_* functions of the scenario file 'path' (whose
    globals are 'scope'; default: this file) in the order they are
    written, then prints the failures and "N passed, M failed"."""
    scope = globals() if scope is None else scope
    with open(path) as f:
        order = [l.split("(")[0][len("def "):] for l in f if l.startswith("def test_")]
    for name in order:
        check(scope[name])
    failed = [(n, t) for n, t in results if t]
    for name, text in failed:
        print("\n" + "=" * 70 + "\nFAIL: %s\n" % name + "-" * 70 + "\n" + text)
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
