/* Groups and their members. */
#include "identity/internal.h"

#include <stdlib.h>

static int nb_group_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                            const json_t *cur)
{
    return cur ? 0 : nb_id_prepare_domain(ctx, tx, obj);
}

static int nb_group_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    (void)ctx;
    return nb_id_assignments_purge(tx, nb_json_str(cur, "id"));
}

const struct nb_id_kind nb_kind_group = {
    .res = &nb_res_group,
    .collection = "/v3/groups",
    .prepare = nb_group_prepare,
    .before_delete = nb_group_before_delete,
};

/* Enforces 'rule' against the group of the route; checks the user of the
 * route too when there is one. Opens *tx on success. */
static int nb_member_begin(struct nb_req *req, const char *rule, bool write,
                           struct nb_tx **tx)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 1);
    json_t *group = NULL, *target;
    int r = nb_id_load(ctx, &nb_kind_group, nb_req_param(req, 0), &group);
    if (r < 0) {
        nb_req_policy_done(req);
        return r;
    }
    target = nb_id_target("group", group);
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    json_decref(group);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, write, tx);
    if (r == 0 && user && (r = nb_id_user_exists(ctx, *tx, user)) < 0) {
        nb_tx_rollback(*tx);
        *tx = NULL;
    }
    return r;
}

static int nb_member_exists(struct nb_req *req, struct nb_tx *tx)
{
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM group_members WHERE "
                                    "group_id = ? AND user_id = ?",
                            "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    if (r == 0 && !n)
        r = nb_req_err(req, 404, "User '%s' not found in group '%s'.", nb_req_param(req, 1),
                       nb_req_param(req, 0));
    return r;
}

int nb_id_group_member_add(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_member_begin(req, "identity:add_user_to_group", true, &tx);
    if (r < 0)
        return r;
    r = nb_tx_exec(tx, NULL, "INSERT INTO group_members (group_id, user_id) VALUES "
                             "(?, ?) ON CONFLICT DO NOTHING",
                   "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_group_member_check(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_member_begin(req, "identity:check_user_in_group", false, &tx);
    if (r < 0)
        return r;
    r = nb_member_exists(req, tx);
    nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_group_member_remove(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_member_begin(req, "identity:remove_user_from_group", true, &tx);
    if (r < 0)
        return r;
    r = nb_member_exists(req, tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM group_members WHERE group_id = ? AND "
                                 "user_id = ?", "ss", nb_req_param(req, 0),
                       nb_req_param(req, 1));
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_group_users(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_member_begin(req, "identity:list_users_in_group", false, &tx);
    if (r < 0)
        return r;
    nb_tx_rollback(tx);
    return nb_id_reply_sublist(req, NULL, &nb_kind_user, "id IN (SELECT user_id FROM "
                               "group_members WHERE group_id = ?)");
}
