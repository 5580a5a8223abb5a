/* os-server-groups: create (policies before 2.64, policy and rules from
 * 2.64), list (all_projects for admins, limit/offset), show, delete; and
 * the membership calls servers make (nb_cmp_group_*).  A group of another
 * project is a 404 for non-admins. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>

static const char *const nb_cmp_group_policies[] = {
    "anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity", NULL,
};

/* The live members of group 'id', a new array of server ids. */
static int nb_cmp_group_members(struct nb_tx *tx, const char *id, json_t **out)
{
    struct nb_stmt *st = NULL;
    json_t *m = json_array();
    int r = nb_tx_query(tx, &st, "SELECT m.instance_id FROM cmp_server_group_members m"
                        " JOIN cmp_instances i ON i.id = m.instance_id"
                        " WHERE m.group_id = ? AND i.deleted_at IS NULL"
                        " ORDER BY m.created_at, m.instance_id", "s", id);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(m, json_string(nb_stmt_text(st, 0)));
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0) {
        json_decref(m);
        return r;
    }
    *out = m;
    return 0;
}

/* The current row of a "SELECT id, name, policy, rules, project_id,
 * user_id" as the contract's object (members added). */
static int nb_cmp_group_row(struct nb_tx *tx, struct nb_stmt *st, json_t **out)
{
    json_t *rules = json_loads(nb_stmt_text(st, 3), 0, NULL), *members = NULL;
    int r = nb_cmp_group_members(tx, nb_stmt_text(st, 0), &members);
    if (r < 0) {
        json_decref(rules);
        return r;
    }
    *out = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:o}", "id", nb_stmt_text(st, 0),
                     "name", nb_stmt_text(st, 1), "policy", nb_stmt_text(st, 2),
                     "rules", json_is_object(rules) ? rules : json_object(),
                     "project_id", nb_stmt_text(st, 4), "user_id", nb_stmt_text(st, 5),
                     "members", members);
    if (!json_is_object(rules))
        json_decref(rules);
    return 0;
}

int nb_cmp_group_get(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                     json_t **out)
{
    struct nb_stmt *st = NULL;
    bool admin = nb_cmp_is_admin(ctx);
    int r = nb_tx_query(tx, &st, "SELECT id, name, policy, rules, project_id, user_id"
                        " FROM cmp_server_groups WHERE id = ? AND (? = 1 OR project_id = ?)",
                        "sbs", id, admin, ctx->caller.project.id);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        /* members are read with a second statement: take the row first */
        json_t *g = NULL;
        r = nb_cmp_group_row(tx, st, &g);
        if (r == 0)
            *out = g;
    } else if (r == 0) {
        r = -ENOENT;
    }
    nb_stmt_done(st);
    return r;
}

int nb_cmp_group_add_member(struct nb_ctx *ctx, struct nb_tx *tx,
                            const char *group_id, const char *server_id)
{
    int64_t limit, used;
    char *project = NULL;
    int r = nb_tx_query_str(tx, &project, "SELECT project_id FROM cmp_server_groups"
                            " WHERE id = ?", "s", group_id);
    if (r == -ENOENT)
        return nb_err_set(ctx, 404, "Instance group %s could not be found.", group_id);
    if (r == 0)
        r = nb_cmp_quota_lock(tx, project);
    if (r == 0)
        r = nb_cmp_quota_get(tx, project, ctx->caller.user.id, "server_group_members",
                             &limit);
    if (r == 0)
        r = nb_tx_query_int(tx, &used, "SELECT COUNT(*) FROM cmp_server_group_members m"
                            " JOIN cmp_instances i ON i.id = m.instance_id"
                            " WHERE m.group_id = ? AND i.deleted_at IS NULL", "s",
                            group_id);
    free(project);
    if (r < 0)
        return r;
    if (limit >= 0 && used + 1 > limit) {
        nb_err_set(ctx, 403, "Quota exceeded, too many servers in group");
        return -EDQUOT;
    }
    return nb_tx_exec(tx, NULL, "INSERT INTO cmp_server_group_members (instance_id,"
                      " group_id, created_at) VALUES (?, ?, ?) ON CONFLICT (instance_id)"
                      " DO UPDATE SET group_id = excluded.group_id", "ssi", server_id,
                      group_id, nb_now_us());
}

int nb_cmp_group_remove_member(struct nb_tx *tx, const char *server_id)
{
    return nb_tx_exec(tx, NULL, "DELETE FROM cmp_server_group_members"
                      " WHERE instance_id = ?", "s", server_id);
}

/* ---- views */

static json_t *nb_cmp_group_view(struct nb_req *req, const json_t *g)
{
    int mv = nb_req_mv(req);
    json_t *o = json_pack("{s:O,s:O,s:O}", "id", json_object_get(g, "id"),
                          "name", json_object_get(g, "name"),
                          "members", json_object_get(g, "members"));
    if (mv >= NB_MV(2, 64)) {
        json_object_set(o, "policy", json_object_get(g, "policy"));
        json_object_set(o, "rules", json_object_get(g, "rules"));
    } else {
        json_object_set_new(o, "policies", json_pack("[O]", json_object_get(g, "policy")));
        json_object_set_new(o, "metadata", json_object());
    }
    if (mv >= NB_MV(2, 13)) {
        json_object_set(o, "project_id", json_object_get(g, "project_id"));
        json_object_set(o, "user_id", json_object_get(g, "user_id"));
    }
    return o;
}

/* ---- handlers */

int nb_cmp_groups_list(struct nb_req *req)
{
    static const char *const keys[] = {"all_projects", "limit", "offset", NULL};
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *off = nb_req_query(req, "offset");
    bool all = nb_req_query(req, "all_projects") && nb_cmp_is_admin(ctx);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    const char *marker;
    long limit, offset = 0;
    int r = nb_cmp_query_strict(req, keys);
    if (r == 0)
        r = nb_cmp_paging(req, &limit, &marker);
    if (r == 0 && off && (nb_str_to_long(off, &offset) < 0 || offset < 0)) {
        json_t *v = json_string(off);
        r = nb_cmp_bad_input(ctx, "offset", v, "is not a non-negative integer");
        json_decref(v);
    }
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id, name, policy, rules, project_id, user_id"
                        " FROM cmp_server_groups WHERE ? = 1 OR project_id = ?"
                        " ORDER BY created_at, id LIMIT ? OFFSET ?", "bsii", all,
                        ctx->caller.project.id, (int64_t)limit, (int64_t)offset);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_t *g = NULL;
        r = nb_cmp_group_row(tx, st, &g);
        if (r == 0)
            json_array_append_new(list, nb_cmp_group_view(req, g));
        json_decref(g);
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "server_groups", list));
}

/* Loads the group of the path as the caller may see it (404 otherwise). */
static int nb_cmp_group_path(struct nb_req *req, struct nb_tx *tx, json_t **g)
{
    const char *id = nb_req_param(req, 0);
    int r = nb_cmp_group_get(nb_req_ctx(req), tx, id, g);
    if (r == -ENOENT)
        nb_req_err(req, 404, "Instance group %s could not be found.", id);
    return r;
}

int nb_cmp_group_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *g = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_group_path(req, tx, &g);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    r = nb_reply_json(req, 200, json_pack("{s:o}", "server_group",
                                          nb_cmp_group_view(req, g)));
    json_decref(g);
    return r;
}

int nb_cmp_group_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *g = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_group_path(req, tx, &g);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_server_group_members WHERE"
                       " group_id = ?", "s", nb_json_str(g, "id"));
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_server_groups WHERE id = ?", "s",
                       nb_json_str(g, "id"));
    json_decref(g);
    return nb_cmp_commit_empty(req, tx, r, 204);
}

static bool nb_cmp_group_policy_ok(const char *p, int mv)
{
    for (int i = 0; nb_cmp_group_policies[i]; i++)
        if (strcmp(p, nb_cmp_group_policies[i]) == 0)
            return i < 2 || mv >= NB_MV(2, 15);
    return false;
}

/* The policy and rules of a create body; *rules is a new object. */
static int nb_cmp_group_parse(struct nb_req *req, const json_t *sg, const char **policy,
                              json_t **rules)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    int mv = nb_req_mv(req);
    const json_t *name = json_object_get(sg, "name"), *v;
    const char *k;
    json_object_foreach((json_t *)sg, k, v) {
        if (strcmp(k, "name") == 0 ||
            (mv < NB_MV(2, 64) && strcmp(k, "policies") == 0) ||
            (mv >= NB_MV(2, 64) && (strcmp(k, "policy") == 0 || strcmp(k, "rules") == 0)))
            continue;
        return nb_cmp_bad_key(ctx, "server_group", sg, k);
    }
    if (!json_is_string(name) || !*json_string_value(name) ||
        strlen(json_string_value(name)) > 255 ||
        strchr(" \t\n", json_string_value(name)[0]) ||
        strchr(" \t\n", json_string_value(name)[strlen(json_string_value(name)) - 1]))
        return nb_cmp_bad_input(ctx, "server_group/name", name ? name : sg,
                                name ? "is not a 'name'" : "'name' is a required property");
    *rules = json_object();
    if (mv < NB_MV(2, 64)) {
        v = json_object_get(sg, "policies");
        if (!json_is_array(v) || json_array_size(v) != 1 ||
            !json_is_string(json_array_get(v, 0)) ||
            !nb_cmp_group_policy_ok(json_string_value(json_array_get(v, 0)), mv))
            return nb_cmp_bad_input(ctx, "server_group/policies", v ? v : sg,
                                    v ? "is not valid under any of the given schemas"
                                      : "'policies' is a required property");
        *policy = json_string_value(json_array_get(v, 0));
        return 0;
    }
    v = json_object_get(sg, "policy");
    if (!json_is_string(v) || !nb_cmp_group_policy_ok(json_string_value(v), mv))
        return nb_cmp_bad_input(ctx, "server_group/policy", v ? v : sg,
                                v ? "is not one of ['anti-affinity', 'affinity',"
                                    " 'soft-anti-affinity', 'soft-affinity']"
                                  : "'policy' is a required property");
    *policy = json_string_value(v);
    v = json_object_get(sg, "rules");
    if (!v)
        return 0;
    if (!json_is_object(v))
        return nb_cmp_bad_input(ctx, "server_group/rules", v, "is not of type 'object'");
    json_object_foreach((json_t *)v, k, name) {
        long n = 0;
        if (strcmp(k, "max_server_per_host") != 0)
            return nb_cmp_bad_input(ctx, "server_group/rules", v,
                                    "Additional properties are not allowed");
        if (json_is_integer(name))
            n = (long)json_integer_value(name);
        else if (!json_is_string(name) || nb_str_to_long(json_string_value(name), &n) < 0)
            n = 0;
        if (n < 1)
            return nb_cmp_bad_input(ctx, "server_group/rules/max_server_per_host", name,
                                    "is less than the minimum of 1");
        json_object_set_new(*rules, k, json_integer(n));
    }
    if (json_object_size(*rules) && strcmp(*policy, "anti-affinity") != 0)
        return nb_err_set(ctx, 400, "Only anti-affinity policy supports rules.");
    return 0;
}

int nb_cmp_group_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *sg = nb_cmp_wrapped(req, "server_group");
    json_t *rules = NULL, *g = NULL;
    const char *policy = NULL;
    struct nb_tx *tx = NULL;
    char id[37], *rtext = NULL;
    int r;
    if (!sg)
        return -EINVAL;
    r = nb_cmp_group_parse(req, sg, &policy, &rules);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r < 0)
        goto out;
    r = nb_cmp_quota_check_one(ctx, tx, ctx->caller.project.id, ctx->caller.user.id,
                               "server_groups", "Quota exceeded, too many server groups.");
    nb_uuid_dashed(id);
    rtext = nb_json_dump(rules);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_server_groups (id, name, project_id,"
                       " user_id, policy, rules, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       "ssssssi", id, nb_json_str(sg, "name"), ctx->caller.project.id,
                       ctx->caller.user.id, policy, rtext, nb_now_us());
    if (r == 0)
        r = nb_cmp_group_get(ctx, tx, id, &g);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "server_group",
                                              nb_cmp_group_view(req, g)));
out:
    nb_tx_rollback(tx);
    json_decref(rules);
    json_decref(g);
    free(rtext);
    return r;
}
