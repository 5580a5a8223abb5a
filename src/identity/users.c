/* Users: password hashes (argon2id), self-service password change, and
 * the lists hanging off a user. */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

/* Hashes obj.password (if present and not null) into obj.password_hash. */
static int nb_user_hash_password(struct nb_ctx *ctx, json_t *obj)
{
    const char *pw = nb_json_str(obj, "password");
    char *hash = NULL;
    int r;
    if (!json_object_get(obj, "password"))
        return 0;
    if (!pw) {
        json_object_set_new(obj, "password_hash", json_null());
        return 0;
    }
    if (strlen(pw) > 4096)
        return nb_err_set(ctx, 400, "Invalid input for field 'password': it is too long");
    r = nb_password_hash(pw, &hash);
    if (r < 0)
        return r;
    json_object_set_new(obj, "password_hash", json_string(hash));
    free(hash);
    return 0;
}

static int nb_user_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                           const json_t *cur)
{
    const char *dp = nb_json_str(obj, "default_project_id");
    int64_t is_domain = 0;
    int r = 0;

    /* identity/core.py _assert_default_project_id_is_not_domain */
    if (dp)
        r = nb_tx_query_int(tx, &is_domain, "SELECT count(*) FROM domains WHERE id = ?",
                            "s", dp);
    if (r == 0 && is_domain)
        return nb_err_set(ctx, 400, "User's default project ID cannot be a domain ID: %s",
                          dp);
    if (r < 0 || cur)
        return r;
    json_object_set_new(obj, "created_at", json_integer(nb_now_us()));
    return nb_id_prepare_domain(ctx, tx, obj);
}

static void nb_user_decorate(struct nb_tx *tx, json_t *obj)
{
    (void)tx;
    /* Keystone shows default_project_id only when one is set */
    if (json_is_null(json_object_get(obj, "default_project_id")))
        json_object_del(obj, "default_project_id");
}

/* Everything that belongs to the user goes with it. */
static int nb_user_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    static const char *const owned[] = {
        "DELETE FROM credentials WHERE user_id = ?",
        "DELETE FROM application_credentials WHERE user_id = ?",
        "DELETE FROM access_rules WHERE user_id = ? AND id NOT IN (SELECT "
        "access_rule_id FROM application_credential_access_rules)",
        "DELETE FROM trusts WHERE trustor_user_id = ? OR trustee_user_id = ?",
    };
    const char *id = nb_json_str(cur, "id");
    int r = nb_id_assignments_purge(tx, id);
    (void)ctx;
    for (size_t i = 0; i < NB_ARRAY_SIZE(owned) && r == 0; i++)
        r = strstr(owned[i], "OR") ? nb_tx_exec(tx, NULL, owned[i], "ss", id, id)
                                   : nb_tx_exec(tx, NULL, owned[i], "s", id);
    return r;
}

/* A disabled or deleted user, or a new password, ends the user's tokens. */
static void nb_user_after_write(struct nb_ctx *ctx, const json_t *old, const json_t *now)
{
    (void)ctx;
    if (old && (!now || json_is_false(json_object_get(now, "enabled")) ||
                json_object_get(now, "password")))
        nb_revoke_add(NULL, NB_REVOKE_USER, nb_json_str(old, "id"));
}

const struct nb_id_kind nb_kind_user = {
    .res = &nb_res_user,
    .collection = "/v3/users",
    .pre = nb_user_hash_password,
    .prepare = nb_user_prepare,
    .decorate = nb_user_decorate,
    .before_delete = nb_user_before_delete,
    .after_write = nb_user_after_write,
};

/* POST /v3/users/{id}/password: the original password authorises it. */
int nb_id_user_password(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *u = nb_id_body_obj(req, "user");
    const char *id = nb_req_param(req, 0), *orig, *pw;
    struct nb_tx *tx = NULL;
    char *hash = NULL, *newhash = NULL;
    int r;

    if (!u)
        return -EINVAL;
    {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)u, key, v)     /* additionalProperties: false */
            if (strcmp(key, "original_password") != 0 && strcmp(key, "password") != 0)
                return nb_err_set(ctx, 400, "Additional properties are not allowed ('%s' "
                                            "was unexpected)", key);
    }
    orig = nb_json_str(u, "original_password");
    pw = nb_json_str(u, "password");
    if (!orig)
        return nb_err_set(ctx, 400, "'original_password' is a required property");
    if (!pw)
        return nb_err_set(ctx, 400, "'password' is a required property");
    /* verify and hash outside any transaction (argon2 is slow), then swap
     * the hash only if nobody changed it meanwhile */
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_tx_query_str(tx, &hash, "SELECT password_hash FROM users WHERE id = ?", "s", id);
    nb_tx_rollback(tx);
    tx = NULL;
    if (r == -ENOENT) {         /* unknown and wrong look alike: 401 */
        nb_password_verify(NULL, orig);
        r = nb_err_set(ctx, 401, "The request you have made requires authentication.");
    }
    if (r == 0 && nb_password_verify(hash, orig) < 0)
        r = nb_err_set(ctx, 401, "The request you have made requires authentication.");
    if (r == 0)
        r = nb_password_hash(pw, &newhash);
    if (r < 0)
        goto out;
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    {
        int changed = 0;
        r = nb_tx_exec(tx, &changed, "UPDATE users SET password_hash = ? WHERE id = ? AND "
                                     "password_hash = ?", "sss", newhash, id, hash);
        if (r == 0 && !changed)
            r = nb_err_set(ctx, 401, "The request you have made requires authentication.");
    }
    if (r == 0)
        r = nb_revoke_add(tx, NB_REVOKE_USER, id);
    r = nb_id_finish(tx, r);
out:
    free(hash);
    free(newhash);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* Enforces 'rule' on the user of the route (404 when unseen). */
static int nb_user_enforce(struct nb_req *req, const char *rule)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *user = NULL, *target;
    int r = nb_id_load(ctx, &nb_kind_user, nb_req_param(req, 0), &user);
    if (r < 0) {
        nb_req_policy_done(req);
        return r;
    }
    target = nb_id_target("user", user);
    json_object_set_new(target, "user_id", json_string(nb_req_param(req, 0)));
    r = nb_req_enforce(req, rule, target);
    if (r == -EACCES && !nb_policy_allows(ctx, "identity:get_user", target)) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, "Could not find user: %s.", nb_req_param(req, 0));
    }
    json_decref(target);
    json_decref(user);
    return r;
}

int nb_id_user_groups(struct nb_req *req)
{
    int r = nb_user_enforce(req, "identity:list_groups_for_user");
    if (r < 0)
        return r;
    return nb_id_reply_sublist(req, NULL, &nb_kind_group,
                           "id IN (SELECT group_id FROM group_members WHERE user_id = ?)");
}

int nb_id_user_projects(struct nb_req *req)
{
    int r = nb_user_enforce(req, "identity:list_user_projects");
    if (r < 0)
        return r;
    /* projects where the user holds a role, directly or through a group */
    return nb_id_reply_sublist(req, NULL, &nb_kind_project,
                           "id IN (SELECT target_id FROM assignments a WHERE "
                           "a.type LIKE '%Project' AND (a.actor_id = ? OR a.actor_id IN "
                           "(SELECT group_id FROM group_members WHERE user_id = ?)))");
}
