/* Role assignments: grants on projects, domains and the system, for users
 * and groups, directly or inherited to projects (OS-INHERIT); effective
 * roles; and GET /v3/role_assignments with its filters. */
#include "identity/grants.h"
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

const struct nb_grant_kind nb_grant_user_project = {"UserProject", false, 'p', false};
const struct nb_grant_kind nb_grant_group_project = {"GroupProject", true, 'p', false};
const struct nb_grant_kind nb_grant_user_domain = {"UserDomain", false, 'd', false};
const struct nb_grant_kind nb_grant_group_domain = {"GroupDomain", true, 'd', false};
const struct nb_grant_kind nb_grant_user_system = {"UserSystem", false, 's', false};
const struct nb_grant_kind nb_grant_group_system = {"GroupSystem", true, 's', false};
const struct nb_grant_kind nb_grant_user_domain_inh = {"UserDomain", false, 'd', true};
const struct nb_grant_kind nb_grant_group_domain_inh = {"GroupDomain", true, 'd', true};
const struct nb_grant_kind nb_grant_user_project_inh = {"UserProject", false, 'p', true};
const struct nb_grant_kind nb_grant_group_project_inh = {"GroupProject", true, 'p', true};

#define NB_SYSTEM_TARGET "system"

/* ---- effective roles */

static bool nb_ids_has(char ids[][NB_IDSZ], int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return true;
    return false;
}

int nb_id_expand_implied(struct nb_tx *tx, char ids[NB_MAX_ROLES][NB_IDSZ], int n)
{
    /* breadth first: each pass adds what the roles found so far imply */
    for (int i = 0; i < n; i++) {
        struct nb_stmt *st = NULL;
        if (nb_tx_query(tx, &st, "SELECT implied_role_id FROM implied_roles "
                                 "WHERE prior_role_id = ?", "s", ids[i]) < 0)
            break;
        while (nb_stmt_next(st) > 0) {
            const char *id = nb_stmt_text(st, 0);
            if (n < NB_MAX_ROLES && !nb_ids_has(ids, n, id))
                snprintf(ids[n++], NB_IDSZ, "%s", id);
        }
        nb_stmt_done(st);
    }
    return n;
}

/* True when role 'id' is domain-specific.  Such roles only carry the
 * global roles they imply: they never appear in tokens or in effective
 * assignments themselves (Keystone's _strip_domain_roles). */
static bool nb_role_is_domain_specific(struct nb_tx *tx, const char *id)
{
    int64_t n = 0;
    return nb_tx_query_int(tx, &n, "SELECT count(*) FROM roles WHERE id = ? AND "
                                   "domain_id IS NOT NULL", "s", id) == 0 && n > 0;
}

static int nb_strip_domain_roles(struct nb_tx *tx, char ids[NB_MAX_ROLES][NB_IDSZ], int n)
{
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (!nb_role_is_domain_specific(tx, ids[i]))
            memmove(ids[kept++], ids[i], NB_IDSZ);
    return kept;
}

/* The domain and ancestors of a project: where inherited grants apply. */
static int nb_id_project_lineage(struct nb_tx *tx, const char *project_id,
                                 struct nb_sql *in)
{
    char cur[NB_IDSZ];
    snprintf(cur, sizeof(cur), "%s", project_id);
    for (int depth = 0; depth < 32; depth++) {
        struct nb_stmt *st = NULL;
        const char *parent;
        int r = nb_tx_query(tx, &st, "SELECT parent_id, domain_id FROM projects "
                                     "WHERE id = ?", "s", cur);
        if (r < 0)
            return r;
        if (nb_stmt_next(st) <= 0) {
            nb_stmt_done(st);
            return 0;
        }
        if (depth == 0) {
            nb_sql_add(in, ", ?");
            nb_sql_text(in, nb_stmt_text(st, 1));
        }
        parent = nb_stmt_text(st, 0);
        if (!parent) {
            nb_stmt_done(st);
            return 0;
        }
        snprintf(cur, sizeof(cur), "%s", parent);
        nb_stmt_done(st);
        nb_sql_add(in, ", ?");
        nb_sql_text(in, cur);
    }
    return 0;
}

int nb_id_effective_roles(struct nb_tx *tx, const char *user_id, enum nb_scope scope,
                          const char *target_id, char ids[NB_MAX_ROLES][NB_IDSZ])
{
    struct nb_sql q = {0}, lineage = {0};
    struct nb_stmt *st = NULL;
    int n = 0, r;

    nb_sql_add(&q, "SELECT DISTINCT role_id FROM assignments WHERE "
                   "((type LIKE 'User%' AND actor_id = ?) OR "
                   "(type LIKE 'Group%' AND actor_id IN "
                   "(SELECT group_id FROM group_members WHERE user_id = ?))) AND ");
    nb_sql_text(&q, user_id);
    nb_sql_text(&q, user_id);
    switch (scope) {
    case NB_SCOPE_PROJECT:
        r = nb_id_project_lineage(tx, target_id, &lineage);
        if (r < 0)
            goto out;
        nb_sql_add(&q, "((type LIKE '%Project' AND target_id = ? AND inherited = 0)");
        nb_sql_text(&q, target_id);
        if (lineage.n) {
            nb_sql_addf(&q, " OR (inherited = 1 AND target_id IN (%s))",
                        lineage.text.buf + 2);
            for (int i = 0; i < lineage.n; i++)
                nb_sql_text(&q, lineage.args[i].s);
        }
        nb_sql_add(&q, ")");
        break;
    case NB_SCOPE_DOMAIN:
        nb_sql_add(&q, "type LIKE '%Domain' AND target_id = ? AND inherited = 0");
        nb_sql_text(&q, target_id);
        break;
    case NB_SCOPE_SYSTEM:
        nb_sql_add(&q, "type LIKE '%System'");
        break;
    default:
        r = 0;
        goto out;
    }
    r = nb_tx_query_sql(tx, &st, &q);
    if (r < 0)
        goto out;
    while ((r = nb_stmt_next(st)) > 0)
        if (n < NB_MAX_ROLES)
            snprintf(ids[n++], NB_IDSZ, "%s", nb_stmt_text(st, 0));
    nb_stmt_done(st);
    if (r == 0)
        r = nb_strip_domain_roles(tx, ids, nb_id_expand_implied(tx, ids, n));
out:
    nb_sql_free(&q);
    nb_sql_free(&lineage);
    return r;
}

int nb_id_assignments_purge(struct nb_tx *tx, const char *id)
{
    return nb_tx_exec(tx, NULL, "DELETE FROM assignments WHERE actor_id = ? OR "
                                "target_id = ?", "ss", id, id);
}

int nb_id_grant(struct nb_ctx *ctx, struct nb_tx *tx, const char *type,
                const char *actor, const char *target, const char *role, bool inherited)
{
    (void)ctx;
    return nb_tx_exec(tx, NULL, "INSERT INTO assignments (type, actor_id, target_id, "
                                "role_id, inherited) VALUES (?, ?, ?, ?, ?) "
                                "ON CONFLICT DO NOTHING",
                      "ssssb", type, actor, target, role, inherited);
}

/* ---- grant routes */

struct nb_grant_ref {
    const struct nb_grant_kind *k;
    const char *actor, *target, *role;   /* role NULL on the list route */
};

static void nb_grant_ref(struct nb_req *req, struct nb_grant_ref *g)
{
    int i = 0;
    g->k = nb_req_route_arg(req);
    g->target = g->k->target == 's' ? NB_SYSTEM_TARGET : nb_req_param(req, i++);
    g->actor = nb_req_param(req, i++);
    g->role = nb_req_param(req, i);
}

/* Checks that the actor, target and role exist (404 otherwise), then the
 * policy. */
static int nb_grant_check_refs(struct nb_req *req, struct nb_tx *tx,
                               const struct nb_grant_ref *g, const char *rule)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    int r = g->k->group ? nb_id_group_exists(ctx, tx, g->actor)
                        : nb_id_user_exists(ctx, tx, g->actor);
    if (r == 0 && g->k->target == 'p')
        r = nb_id_project_exists(ctx, tx, g->target);
    if (r == 0 && g->k->target == 'd')
        r = nb_id_domain_exists(ctx, tx, g->target);
    if (r == 0 && g->role)
        r = nb_id_role_exists(ctx, tx, g->role);
    if (r == 0)
        r = nb_req_enforce(req, rule, NULL);
    else
        nb_req_policy_done(req);
    return r;
}

static const char *nb_grant_rule(const struct nb_grant_kind *k, const char *verb)
{
    static const char *const sys[] = {"identity:list_system_grants",
                                      "identity:create_system_grant",
                                      "identity:revoke_system_grant"};
    static const char *const other[] = {"identity:list_grants", "identity:create_grant",
                                        "identity:revoke_grant"};
    int i = strcmp(verb, "list") == 0 ? 0 : strcmp(verb, "create") == 0 ? 1 : 2;
    if (strcmp(verb, "check") == 0)
        return k->target == 's' ? sys[0] : "identity:check_grant";
    return k->target == 's' ? sys[i] : other[i];
}

static int nb_grant_not_found(struct nb_ctx *ctx, const struct nb_grant_ref *g)
{
    return nb_err_set(ctx, 404, "Could not find role assignment with role: %s, user "
                                "or group: %s, project, domain, or system: %s.",
                      g->role, g->actor, g->target);
}

int nb_id_grant_put(struct nb_req *req)
{
    struct nb_grant_ref g;
    struct nb_tx *tx = NULL;
    int r;

    nb_grant_ref(req, &g);
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_grant_check_refs(req, tx, &g, nb_grant_rule(g.k, "create"));
    if (r == 0)
        r = nb_id_grant(nb_req_ctx(req), tx, g.k->type, g.actor, g.target, g.role,
                        g.k->inherited);
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

static int nb_grant_exists(struct nb_tx *tx, const struct nb_grant_ref *g)
{
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM assignments WHERE type = ? "
                                    "AND actor_id = ? AND target_id = ? AND role_id = ? "
                                    "AND inherited = ?",
                            "ssssb", g->k->type, g->actor, g->target, g->role,
                            g->k->inherited);
    return r < 0 ? r : n > 0;
}

int nb_id_grant_check(struct nb_req *req)
{
    struct nb_grant_ref g;
    struct nb_tx *tx = NULL;
    int r;

    nb_grant_ref(req, &g);
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_grant_check_refs(req, tx, &g, nb_grant_rule(g.k, "check"));
    if (r == 0)
        r = nb_grant_exists(tx, &g);
    nb_tx_rollback(tx);
    if (r == 0)
        r = nb_grant_not_found(nb_req_ctx(req), &g);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_grant_delete(struct nb_req *req)
{
    struct nb_grant_ref g;
    struct nb_tx *tx = NULL;
    int changed = 0, r;

    nb_grant_ref(req, &g);
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_grant_check_refs(req, tx, &g, nb_grant_rule(g.k, "revoke"));
    if (r == 0)
        r = nb_tx_exec(tx, &changed, "DELETE FROM assignments WHERE type = ? AND "
                                     "actor_id = ? AND target_id = ? AND role_id = ? "
                                     "AND inherited = ?",
                       "ssssb", g.k->type, g.actor, g.target, g.role, g.k->inherited);
    if (r == 0 && !changed)
        r = nb_grant_not_found(nb_req_ctx(req), &g);
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_grant_list(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_grant_ref g;
    struct nb_sql where = {0};
    struct nb_list_opts opts = {.where = &where};
    struct nb_tx *tx = NULL;
    json_t *list = NULL, *v;
    size_t i;
    int r;

    nb_grant_ref(req, &g);
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_grant_check_refs(req, tx, &g, nb_grant_rule(g.k, "list"));
    if (r == 0) {
        nb_sql_add(&where, "id IN (SELECT role_id FROM assignments WHERE type = ? AND "
                           "actor_id = ? AND target_id = ? AND inherited = ?)");
        nb_sql_text(&where, g.k->type);
        nb_sql_text(&where, g.actor);
        nb_sql_text(&where, g.target);
        nb_sql_int(&where, g.k->inherited);
        r = nb_res_list(ctx, tx, &nb_res_role, &opts, &list);
    }
    nb_tx_rollback(tx);
    nb_sql_free(&where);
    if (r < 0)
        return r;
    json_array_foreach(list, i, v)
        nb_id_link(req, v, "/v3/roles");
    return nb_id_reply_list(req, "roles", list);
}

/* ---- GET /v3/role_assignments */

struct nb_asg {
    char type[16];
    char actor[NB_IDSZ], target[NB_IDSZ], role[NB_IDSZ];
    bool inherited;
    char via_group[NB_IDSZ];       /* effective: the group it came through */
    char prior_role[NB_IDSZ];      /* effective: the role that implied it */
    char inh_from[NB_IDSZ];        /* effective: the inheriting grant's target */
    char inh_type[16];
};

struct nb_asgs {
    struct nb_asg *v;
    size_t n, cap;
};

static struct nb_asg *nb_asgs_push(struct nb_asgs *a, const struct nb_asg *x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = nb_xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n] = *x;
    return &a->v[a->n++];
}

static bool nb_asg_is(const struct nb_asg *a, const char *suffix)
{
    size_t n = strlen(a->type), m = strlen(suffix);
    return n >= m && strcmp(a->type + n - m, suffix) == 0;
}

static int nb_asgs_load(struct nb_tx *tx, const char *sql, const char *arg,
                        struct nb_asgs *out)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, sql, arg ? "s" : "", arg);
    if (r < 0)
        return r;
    while ((r = nb_stmt_next(st)) > 0) {
        struct nb_asg a = {0};
        snprintf(a.type, sizeof(a.type), "%s", nb_stmt_text(st, 0));
        snprintf(a.actor, sizeof(a.actor), "%s", nb_stmt_text(st, 1));
        snprintf(a.target, sizeof(a.target), "%s", nb_stmt_text(st, 2));
        snprintf(a.role, sizeof(a.role), "%s", nb_stmt_text(st, 3));
        a.inherited = nb_stmt_int(st, 4) != 0;
        nb_asgs_push(out, &a);
    }
    nb_stmt_done(st);
    return r;
}

#define NB_ASG_COLS "SELECT type, actor_id, target_id, role_id, inherited FROM assignments"

/* Effective view: groups become their members, inherited grants become
 * grants on every project below, implied roles are added. */
static int nb_asgs_effective(struct nb_tx *tx, const struct nb_asgs *in,
                             struct nb_asgs *out)
{
    struct nb_asgs step = {0};
    int r = 0;

    for (size_t i = 0; i < in->n && r >= 0; i++) {
        const struct nb_asg *a = &in->v[i];
        struct nb_stmt *st = NULL;
        if (strncmp(a->type, "Group", 5) != 0) {
            nb_asgs_push(&step, a);
            continue;
        }
        r = nb_tx_query(tx, &st, "SELECT user_id FROM group_members WHERE group_id = ?",
                        "s", a->actor);
        while (r == 0 && nb_stmt_next(st) > 0) {
            struct nb_asg u = *a;
            snprintf(u.type, sizeof(u.type), "User%s", a->type + 5);
            snprintf(u.actor, sizeof(u.actor), "%s", nb_stmt_text(st, 0));
            snprintf(u.via_group, sizeof(u.via_group), "%s", a->actor);
            nb_asgs_push(&step, &u);
        }
        nb_stmt_done(st);
    }
    for (size_t i = 0; i < step.n && r >= 0; i++) {
        const struct nb_asg *a = &step.v[i];
        struct nb_stmt *st = NULL;
        if (!a->inherited) {
            nb_asgs_push(out, a);
            continue;
        }
        /* every project below the domain, or below the project */
        if (nb_asg_is(a, "Domain"))
            r = nb_tx_query(tx, &st, "SELECT id FROM projects WHERE domain_id = ?",
                            "s", a->target);
        else
            r = nb_tx_query(tx, &st, "WITH RECURSIVE sub(id) AS (SELECT id FROM projects "
                                     "WHERE parent_id = ? UNION SELECT p.id FROM projects p "
                                     "JOIN sub ON p.parent_id = sub.id) SELECT id FROM sub",
                            "s", a->target);
        while (r == 0 && nb_stmt_next(st) > 0) {
            struct nb_asg p = *a;
            snprintf(p.type, sizeof(p.type), "%sProject",
                     strncmp(a->type, "User", 4) == 0 ? "User" : "Group");
            snprintf(p.target, sizeof(p.target), "%s", nb_stmt_text(st, 0));
            p.inherited = false;
            snprintf(p.inh_from, sizeof(p.inh_from), "%s", a->target);
            snprintf(p.inh_type, sizeof(p.inh_type), "%s", a->type);
            nb_asgs_push(out, &p);
        }
        nb_stmt_done(st);
    }
    /* implied roles, transitively (the list grows as we walk it) */
    for (size_t i = 0; i < out->n && r >= 0 && out->n < 100000; i++) {
        struct nb_stmt *st = NULL;
        char role[NB_IDSZ];
        snprintf(role, sizeof(role), "%s", out->v[i].role);
        r = nb_tx_query(tx, &st, "SELECT implied_role_id FROM implied_roles WHERE "
                                 "prior_role_id = ?", "s", role);
        while (r == 0 && nb_stmt_next(st) > 0) {
            struct nb_asg im = out->v[i];
            bool dup = false;
            snprintf(im.role, sizeof(im.role), "%s", nb_stmt_text(st, 0));
            snprintf(im.prior_role, sizeof(im.prior_role), "%s", role);
            for (size_t k = 0; k < out->n && !dup; k++)
                dup = strcmp(out->v[k].role, im.role) == 0 &&
                      strcmp(out->v[k].actor, im.actor) == 0 &&
                      strcmp(out->v[k].target, im.target) == 0 &&
                      strcmp(out->v[k].type, im.type) == 0;
            if (!dup)
                nb_asgs_push(out, &im);
        }
        nb_stmt_done(st);
    }
    /* domain-specific roles only lend the roles they imply */
    {
        size_t kept = 0;
        for (size_t i = 0; r >= 0 && i < out->n; i++)
            if (!nb_role_is_domain_specific(tx, out->v[i].role))
                out->v[kept++] = out->v[i];
        out->n = kept;
    }
    free(step.v);
    return r;
}

struct nb_asg_filter {
    const char *user, *group, *role, *project, *domain;
    bool system, inherited_only, effective, names, subtree;
};

static bool nb_asg_match(const struct nb_asg *a, const struct nb_asg_filter *f,
                         struct nb_map *subtree)
{
    bool user = strncmp(a->type, "User", 4) == 0;
    if (f->user && (!user || strcmp(a->actor, f->user) != 0))
        return false;
    if (f->group && (user || strcmp(a->actor, f->group) != 0))
        return false;
    if (f->role && strcmp(a->role, f->role) != 0)
        return false;
    if (f->project && (!nb_asg_is(a, "Project") ||
                       (strcmp(a->target, f->project) != 0 &&
                        !(subtree && nb_map_find(subtree, a->target, NULL)))))
        return false;
    if (f->domain && (!nb_asg_is(a, "Domain") || strcmp(a->target, f->domain) != 0))
        return false;
    if (f->system && !nb_asg_is(a, "System"))
        return false;
    if (f->inherited_only && !a->inherited)
        return false;
    return true;
}

/* Adds "name" (and "domain" {id, name}) to ref {"id": ...} of 'table'. */
static void nb_asg_name(struct nb_tx *tx, json_t *ref, const char *table)
{
    struct nb_stmt *st = NULL;
    char *sql;
    bool has_domain = strcmp(table, "projects") == 0 || strcmp(table, "users") == 0 ||
                      strcmp(table, "usergroups") == 0 || strcmp(table, "roles") == 0;
    if (has_domain)
        sql = nb_xasprintf("SELECT t.name, t.domain_id, d.name FROM %s t LEFT JOIN "
                           "domains d ON d.id = t.domain_id WHERE t.id = ?", table);
    else
        sql = nb_xasprintf("SELECT name, NULL, NULL FROM %s WHERE id = ?", table);
    if (nb_tx_query(tx, &st, sql, "s", nb_json_str(ref, "id")) == 0 &&
        nb_stmt_next(st) > 0) {
        json_object_set_new(ref, "name", json_string(nb_stmt_text(st, 0)));
        if (nb_stmt_text(st, 1))
            json_object_set_new(ref, "domain",
                                json_pack("{s:s,s:s?}", "id", nb_stmt_text(st, 1),
                                          "name", nb_stmt_text(st, 2)));
    }
    nb_stmt_done(st);
    free(sql);
}

static char *nb_asg_url(const char *base, const char *type, const char *actor,
                        const char *target, const char *role, bool inherited)
{
    bool user = strncmp(type, "User", 4) == 0;
    const char *who = user ? "users" : "groups";
    if (strstr(type, "System"))
        return nb_xasprintf("%s/v3/system/%s/%s/roles/%s", base, who, actor, role);
    if (inherited)
        return nb_xasprintf("%s/v3/OS-INHERIT/%s/%s/%s/%s/roles/%s/inherited_to_projects",
                            base, strstr(type, "Domain") ? "domains" : "projects",
                            target, who, actor, role);
    return nb_xasprintf("%s/v3/%s/%s/%s/%s/roles/%s", base,
                        strstr(type, "Domain") ? "domains" : "projects", target, who,
                        actor, role);
}

static json_t *nb_asg_render(struct nb_req *req, struct nb_tx *tx,
                             const struct nb_asg *a, bool names)
{
    char *base = nb_xasprintf("%s/identity", nb_req_base_url(req));
    bool user = strncmp(a->type, "User", 4) == 0;
    json_t *o = json_object(), *scope = json_object(), *links = json_object();
    json_t *role = json_pack("{s:s}", "id", a->role);
    json_t *actor = json_pack("{s:s}", "id", a->actor);
    json_t *tgt = json_pack("{s:s}", "id", a->target);
    const char *grant_type, *grant_actor, *grant_target, *grant_role;
    char *url;

    if (names) {
        nb_asg_name(tx, role, "roles");
        nb_asg_name(tx, actor, user ? "users" : "usergroups");
    }
    if (nb_asg_is(a, "System")) {
        json_decref(tgt);
        json_object_set_new(scope, "system", json_pack("{s:b}", "all", 1));
    } else {
        bool project = nb_asg_is(a, "Project");
        if (names)
            nb_asg_name(tx, tgt, project ? "projects" : "domains");
        json_object_set_new(scope, project ? "project" : "domain", tgt);
        if (a->inherited)
            json_object_set_new(scope, "OS-INHERIT:inherited_to", json_string("projects"));
    }
    json_object_set_new(o, "role", role);
    json_object_set_new(o, user ? "user" : "group", actor);
    json_object_set_new(o, "scope", scope);

    /* the grant this assignment stems from */
    grant_type = a->type;
    grant_actor = a->via_group[0] ? a->via_group : a->actor;
    grant_target = a->inh_from[0] ? a->inh_from : a->target;
    grant_role = a->prior_role[0] ? a->prior_role : a->role;
    if (a->via_group[0] || a->inh_type[0]) {
        static __thread char t[16];
        snprintf(t, sizeof(t), "%s%s", a->via_group[0] ? "Group" : "User",
                 a->inh_type[0] ? strstr(a->inh_type, "Domain") ? "Domain" : "Project"
                                : a->type + 4);
        grant_type = t;
    }
    url = nb_asg_url(base, grant_type, grant_actor, grant_target, grant_role,
                     a->inherited || a->inh_type[0]);
    json_object_set_new(links, "assignment", json_string(url));
    free(url);
    if (a->via_group[0]) {
        url = nb_xasprintf("%s/v3/groups/%s/users/%s", base, a->via_group, a->actor);
        json_object_set_new(links, "membership", json_string(url));
        free(url);
    }
    if (a->prior_role[0]) {
        url = nb_xasprintf("%s/v3/roles/%s/implies/%s", base, a->prior_role, a->role);
        json_object_set_new(links, "prior_role", json_string(url));
        free(url);
    }
    json_object_set_new(o, "links", links);
    free(base);
    return o;
}

static void nb_asg_query_cb(void *arg, const char *k, const char *v)
{
    struct nb_asg_filter *f = arg;
    if (strcmp(k, "effective") == 0)
        f->effective = v[0] == '\0' || nb_str_is_true(v);
    else if (strcmp(k, "include_names") == 0)
        f->names = v[0] == '\0' || nb_str_is_true(v);
    else if (strcmp(k, "include_subtree") == 0)
        f->subtree = v[0] == '\0' || nb_str_is_true(v);
}

int nb_id_role_assignments(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_asg_filter f = {0};
    struct nb_asgs all = {0}, eff = {0}, *view;
    struct nb_map *subtree = NULL;
    struct nb_tx *tx = NULL;
    json_t *list = NULL, *target;
    int r;

    f.user = nb_req_query(req, "user.id");
    f.group = nb_req_query(req, "group.id");
    f.role = nb_req_query(req, "role.id");
    f.project = nb_req_query(req, "scope.project.id");
    f.domain = nb_req_query(req, "scope.domain.id");
    f.system = nb_req_query(req, "scope.system") != NULL;
    f.inherited_only = nb_req_query(req, "scope.OS-INHERIT:inherited_to") != NULL;
    nb_req_query_each(req, nb_asg_query_cb, &f);

    target = json_pack("{s:{s:s?}}", "target", "domain_id", f.domain);
    r = nb_req_enforce(req, "identity:list_role_assignments", target);
    json_decref(target);
    if (r < 0)
        return r;
    if (f.effective && f.group)
        return nb_err_set(ctx, 400, "Combining effective and group filter will always "
                                    "result in an empty list.");
    if (f.project && f.domain)
        return nb_err_set(ctx, 400, "Specify a domain or project, not both");
    if (f.subtree && !f.project)
        return nb_err_set(ctx, 400, "scope.project.id must be specified if "
                                    "include_subtree is also specified");
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_asgs_load(tx, NB_ASG_COLS, NULL, &all);
    if (r == 0 && f.effective)
        r = nb_asgs_effective(tx, &all, &eff);
    if (r == 0 && f.subtree) {
        struct nb_stmt *st = NULL;
        subtree = nb_map_new(NULL);
        r = nb_tx_query(tx, &st, "WITH RECURSIVE sub(id) AS (SELECT id FROM projects "
                                 "WHERE parent_id = ? UNION SELECT p.id FROM projects p "
                                 "JOIN sub ON p.parent_id = sub.id) SELECT id FROM sub",
                        "s", f.project);
        while (r == 0 && nb_stmt_next(st) > 0)
            nb_map_set(subtree, nb_stmt_text(st, 0), NULL);
        nb_stmt_done(st);
    }
    view = f.effective ? &eff : &all;
    list = json_array();
    for (size_t i = 0; r == 0 && i < view->n; i++)
        if (nb_asg_match(&view->v[i], &f, subtree))
            json_array_append_new(list, nb_asg_render(req, tx, &view->v[i], f.names));
    nb_tx_rollback(tx);
    free(all.v);
    free(eff.v);
    nb_map_free(subtree);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_id_reply_list(req, "role_assignments", list);
}
