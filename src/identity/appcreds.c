/* Application credentials and their access rules, under
 * /v3/users/{user_id}/ (keystone/api/users.py, application_credential/).
 *
 * A user makes a credential for the project of the token in hand, with
 * some of that token's roles (all of them by default); the secret is shown
 * once, on create, and only its argon2 hash is kept.  Access rules are
 * per-user rows shared by the credentials that name them, and outlive
 * them until deleted.  Tokens from trusts may not manage credentials, and
 * tokens from a restricted credential may not make or delete others. */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

#define NB_APPCREDS "/v3/application_credentials"  /* Keystone links there */
#define NB_ACCESS_RULES "/v3/access_rules"
#define NB_FORBIDDEN "You are not authorized to perform the requested action."

static const struct nb_field nb_appcred_fields[] = {
    {"id", NB_FT_STR, NB_FF_RDONLY, 64, NULL},
    {"name", NB_FT_STR, NB_FF_NAME | NB_FF_FILTER, 255, NULL},
    {"user_id", NB_FT_STR, 0, 64, NULL},
    {"project_id", NB_FT_STR, NB_FF_NULL, 64, NULL},
    {"secret_hash", NB_FT_STR, NB_FF_HIDDEN, 0, NULL},
    {"description", NB_FT_STR, NB_FF_NULL, 0, NULL},
    {"expires_at", NB_FT_TIME, NB_FF_NULL, 0, NULL},
    {"unrestricted", NB_FT_BOOL, 0, 0, "false"},
};
static const struct nb_resource nb_res_appcred = {
    "application_credential", "application_credentials", "application_credentials",
    nb_appcred_fields, NB_ARRAY_SIZE(nb_appcred_fields), false};

static const struct nb_field nb_access_rule_fields[] = {
    {"id", NB_FT_STR, NB_FF_RDONLY, 64, NULL},
    {"user_id", NB_FT_STR, NB_FF_HIDDEN, 64, NULL},
    {"service", NB_FT_STR, NB_FF_FILTER | NB_FF_NULL, 64, NULL},
    {"path", NB_FT_STR, NB_FF_FILTER | NB_FF_NULL, 225, NULL},
    {"method", NB_FT_STR, NB_FF_FILTER | NB_FF_NULL, 16, NULL},
};
static const struct nb_resource nb_res_access_rule = {
    "access_rule", "access_rules", "access_rules", nb_access_rule_fields,
    NB_ARRAY_SIZE(nb_access_rule_fields), false};

/* ---- policy */

/* GET and HEAD read; a reader who may not see what it asks for is told
 * it does not exist, while a denied write is a 403, as Keystone answers. */
static bool nb_is_read(struct nb_req *req)
{
    return strcmp(nb_req_method(req), "GET") == 0 || strcmp(nb_req_method(req), "HEAD") == 0;
}

/* Enforces 'rule' on the credentials of user 'owner'.  When a read is
 * denied, a caller who may not even see that user is told that 'what'
 * does not exist (404, "what" formatted with 'id').  Then refuses tokens that
 * stand on a trust (_block_delegated_token_app_creds). */
static int nb_ac_enforce(struct nb_req *req, const char *rule, const char *owner,
                         const char *what, const char *id)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *user = NULL, *target;
    int r;

    if (nb_id_load(ctx, &nb_kind_user, owner, &user) < 0) {
        ctx->err_status = 0;
        user = json_pack("{s:s}", "id", owner);
    }
    target = nb_id_target("user", user);
    json_object_set_new(target, "user_id", json_string(owner));
    r = nb_req_enforce(req, rule, target);
    if (r == -EACCES && nb_is_read(req) &&
        !nb_policy_allows(ctx, "identity:get_user", target)) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, what, id);
    }
    json_decref(target);
    json_decref(user);
    if (r == 0 && !ctx->caller.app_cred_id[0] && ctx->caller.trust_id[0])
        r = nb_err_set(ctx, 403, NB_FORBIDDEN);
    return r;
}

/* A token of a restricted application credential may not create or
 * delete credentials (_check_unrestricted_application_credential). */
static int nb_ac_check_unrestricted(struct nb_ctx *ctx, struct nb_tx *tx)
{
    int64_t unrestricted = 0;
    if (!ctx->caller.app_cred_id[0])
        return 0;
    if (nb_tx_query_int(tx, &unrestricted, "SELECT unrestricted FROM "
                                           "application_credentials WHERE id = ?",
                        "s", ctx->caller.app_cred_id) == 0 && unrestricted)
        return 0;
    return nb_err_set(ctx, 403, "You are not authorized to perform the requested action: "
                                "Using method 'application_credential' is not allowed for "
                                "managing additional application credentials.");
}

/* ---- rendering */

static json_t *nb_access_rules_of(struct nb_tx *tx, const char *appcred_id)
{
    struct nb_stmt *st = NULL;
    json_t *rules = json_array();
    if (nb_tx_query(tx, &st, "SELECT r.id, r.service, r.path, r.method FROM access_rules r "
                             "JOIN application_credential_access_rules a ON "
                             "a.access_rule_id = r.id WHERE a.application_credential_id = ? "
                             "ORDER BY r.id", "s", appcred_id) == 0)
        while (nb_stmt_next(st) > 0)
            json_array_append_new(rules, json_pack("{s:s,s:s?,s:s?,s:s?}", "id",
                                                   nb_stmt_text(st, 0), "service",
                                                   nb_stmt_text(st, 1), "path",
                                                   nb_stmt_text(st, 2), "method",
                                                   nb_stmt_text(st, 3)));
    nb_stmt_done(st);
    return rules;
}

/* Completes a stored credential as Keystone shows it: its roles in full,
 * its access rules (when it has any), expires_at without a zone. */
static void nb_appcred_render(struct nb_req *req, struct nb_tx *tx, json_t *ac)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_stmt *st = NULL;
    struct nb_sql ids = {0};
    json_t *roles = json_array(), *rules;
    const char *exp = nb_json_str(ac, "expires_at");
    int64_t us;

    if (exp && nb_time_parse(exp, &us) == 0) {
        char ts[NB_TIME_LEN];
        nb_time_fmt(us, -6, ts);
        json_object_set_new(ac, "expires_at", json_string(ts));
    }
    json_object_set_new(ac, "system", json_null());
    if (nb_tx_query(tx, &st, "SELECT role_id FROM application_credential_roles WHERE "
                             "application_credential_id = ? ORDER BY role_id",
                    "s", nb_json_str(ac, "id")) == 0)
        while (nb_stmt_next(st) > 0)
            nb_sql_text(&ids, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; i < ids.n; i++) {
        json_t *role = NULL;
        if (nb_res_get(ctx, tx, &nb_res_role, ids.args[i].s, &role) == 0)
            json_array_append_new(roles, role);
        else
            ctx->err_status = 0;
    }
    nb_sql_free(&ids);
    json_object_set_new(ac, "roles", roles);
    rules = nb_access_rules_of(tx, nb_json_str(ac, "id"));
    if (json_array_size(rules))
        json_object_set_new(ac, "access_rules", rules);
    else
        json_decref(rules);
    nb_id_link(req, ac, NB_APPCREDS);
}

/* ---- create: validation (keystone/application_credential/schema.py) */

/* A string within [min, max] characters (max 0: any); 'pattern' names
 * what it must match, checked by 'ok'. */
static int nb_ac_check_str(struct nb_ctx *ctx, const char *field, const json_t *v,
                           size_t min, size_t max, bool (*ok)(const char *),
                           const char *pattern)
{
    const char *s;
    char why[96];
    if (!json_is_string(v))
        return nb_err_invalid(ctx, field, v, "is not of type 'string'");
    s = json_string_value(v);
    if (strlen(s) < min)
        return nb_err_invalid(ctx, field, v, "is too short");
    if (max && strlen(s) > max)
        return nb_err_invalid(ctx, field, v, "is too long");
    if (ok && !ok(s)) {
        snprintf(why, sizeof(why), "does not match '%s'", pattern);
        return nb_err_invalid(ctx, field, v, why);
    }
    return 0;
}

static bool nb_ac_is_id(const char *s)
{
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
           strlen(s);
}

static bool nb_ac_has_nonspace(const char *s)
{
    return strspn(s, " \t\r\n\f\v") != strlen(s);
}

static bool nb_ac_is_path(const char *s)
{
    return s[0] == '/';
}

static bool nb_ac_is_method(const char *s)
{
    static const char *const m[] = {"POST", "GET", "HEAD", "PATCH", "PUT", "DELETE"};
    for (size_t i = 0; i < NB_ARRAY_SIZE(m); i++)
        if (strcmp(s, m[i]) == 0)
            return true;
    return false;
}

static int nb_ac_validate_rules(struct nb_ctx *ctx, const json_t *rules)
{
    const json_t *rule, *v;
    const char *key;
    size_t i;
    int r = 0;
    if (!json_is_array(rules))
        return nb_err_invalid(ctx, "access_rules", rules, "is not of type 'array'");
    json_array_foreach(rules, i, rule) {
        char field[48];
        snprintf(field, sizeof(field), "access_rules/%zu", i);
        if (!json_is_object(rule))
            return nb_err_invalid(ctx, field, rule, "is not of type 'object'");
        json_object_foreach((json_t *)rule, key, v) {
            snprintf(field, sizeof(field), "access_rules/%zu/%s", i, key);
            if (strcmp(key, "path") == 0)
                r = nb_ac_check_str(ctx, field, v, 0, 225, nb_ac_is_path, "^\\/.*");
            else if (strcmp(key, "method") == 0)
                r = nb_ac_check_str(ctx, field, v, 0, 0, nb_ac_is_method,
                                    "^(POST|GET|HEAD|PATCH|PUT|DELETE)$");
            else if (strcmp(key, "service") == 0 || strcmp(key, "id") == 0)
                r = nb_ac_check_str(ctx, field, v, 1, 64, nb_ac_is_id, "^[a-zA-Z0-9-]+$");
            else
                r = nb_err_set(ctx, 400, "Invalid input for field 'access_rules/%zu': "
                                         "Additional properties are not allowed ('%s' was "
                                         "unexpected)", i, key);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int nb_ac_validate(struct nb_ctx *ctx, const json_t *in)
{
    const json_t *v;
    int r;
    if (!(v = json_object_get(in, "name")))
        return nb_err_set(ctx, 400, "'name' is a required property");
    if ((r = nb_ac_check_str(ctx, "name", v, 1, 255, nb_ac_has_nonspace, "[\\S]+")) < 0)
        return r;
    if ((v = json_object_get(in, "description")) && !json_is_null(v) && !json_is_string(v))
        return nb_err_invalid(ctx, "description", v, "is not of type 'string', 'null'");
    if ((v = json_object_get(in, "secret")) && !json_is_null(v) && !json_is_string(v))
        return nb_err_invalid(ctx, "secret", v, "is not of type 'null', 'string'");
    if ((v = json_object_get(in, "expires_at")) && !json_is_null(v) && !json_is_string(v))
        return nb_err_invalid(ctx, "expires_at", v, "is not of type 'null', 'string'");
    if ((v = json_object_get(in, "unrestricted")) && !json_is_boolean(v))
        return nb_err_invalid(ctx, "unrestricted", v, "is not of type 'boolean'");
    if ((v = json_object_get(in, "roles")) && (r = nb_id_check_role_refs(ctx, v)) < 0)
        return r;
    if ((v = json_object_get(in, "access_rules")) && (r = nb_ac_validate_rules(ctx, v)) < 0)
        return r;
    return 0;
}

#define NB_AC_INVALID "Invalid application credential: "

/* The role ids of the new credential: those asked for (by id or unique
 * name), each of which the caller's token must carry, or else all of the
 * token's roles.  Fills 'ids' (its text args). */
static int nb_ac_roles(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *roles,
                       struct nb_sql *ids)
{
    const struct nb_caller *c = &ctx->caller;
    const json_t *ref;
    size_t i;
    int r;

    if (!json_array_size(roles)) {
        for (int k = 0; k < c->nroles; k++)
            nb_sql_text(ids, c->roles[k].id);
        return 0;
    }
    json_array_foreach(roles, i, ref) {
        const char *id = nb_json_str(ref, "id"), *name = nb_json_str(ref, "name");
        char *found = NULL;
        bool in_token = false;
        if (!id) {
            struct nb_stmt *st = NULL;
            int n = 0;
            r = nb_tx_query(tx, &st, "SELECT id FROM roles WHERE name = ?", "s", name);
            while (r == 0 && nb_stmt_next(st) > 0)
                if (n++ == 0)
                    found = nb_xstrdup(nb_stmt_text(st, 0));
            nb_stmt_done(st);
            if (r == 0 && n == 0)
                r = nb_err_set(ctx, 404, "Role %s is not defined", name);
            else if (r == 0 && n > 1)
                r = nb_err_set(ctx, 400, "There are multiple role entities named '%s'. "
                                         "Please use ID instead of names to resolve the "
                                         "ambiguity.", name);
            if (r < 0) {
                free(found);
                return r;
            }
            id = found;
        }
        for (int k = 0; k < c->nroles && !in_token; k++)
            in_token = strcmp(c->roles[k].id, id) == 0;
        if (in_token)
            nb_sql_text(ids, id);
        free(found);
        if (!in_token)
            return nb_err_set(ctx, 400, NB_AC_INVALID "Cannot create an application "
                                        "credential with unassigned role");
    }
    return 0;
}

/* The user must hold each role on the project (the manager's
 * _require_user_has_role_in_project). */
static int nb_ac_check_assigned(struct nb_ctx *ctx, struct nb_tx *tx, const char *user,
                                const char *project, const struct nb_sql *ids)
{
    char have[NB_MAX_ROLES][NB_IDSZ];
    int n = project ? nb_id_effective_roles(tx, user, NB_SCOPE_PROJECT, project, have) : 0;
    if (n < 0)
        return n;
    for (int i = 0; i < ids->n; i++) {
        bool held = false;
        for (int k = 0; k < n && !held; k++)
            held = strcmp(have[k], ids->args[i].s) == 0;
        if (!held)
            return nb_err_set(ctx, 400, NB_AC_INVALID "Could not find role assignment with "
                                        "role: %s, user or group: %s, project, domain, or "
                                        "system: %s.", ids->args[i].s, user,
                              project ? project : "None");
    }
    return 0;
}

/* Links access rule 'rule' to credential 'ac': the user's rule with that
 * id, else the user's identical rule, else a new one. */
static int nb_ac_link_rule(struct nb_ctx *ctx, struct nb_tx *tx, const char *ac,
                           const char *user, const json_t *rule)
{
    const char *id = nb_json_str(rule, "id"), *svc = nb_json_str(rule, "service"),
               *path = nb_json_str(rule, "path"), *method = nb_json_str(rule, "method");
    char *found = NULL, newid[NB_ID_HEX_LEN + 1];
    int r = -ENOENT;

    if (id)
        r = nb_tx_query_str(tx, &found, "SELECT id FROM access_rules WHERE id = ? AND "
                                        "user_id = ?", "ss", id, user);
    if (r == -ENOENT && svc && path && method)
        r = nb_tx_query_str(tx, &found, "SELECT id FROM access_rules WHERE user_id = ? AND "
                                        "service = ? AND path = ? AND method = ?",
                            "ssss", user, svc, path, method);
    if (r == -ENOENT) {
        if (!svc || !path || !method)
            return nb_err_set(ctx, 404, "Could not find Access Rule: %s.", id ? id : "");
        if (!id) {
            nb_uuid_hex(newid);
            id = newid;
        }
        r = nb_tx_exec(tx, NULL, "INSERT INTO access_rules (id, user_id, service, path, "
                                 "method) VALUES (?, ?, ?, ?, ?)",
                       "sssss", id, user, svc, path, method);
        if (r == -EEXIST)
            r = nb_err_set(ctx, 409, "Conflict occurred attempting to store access_rule - "
                                     "Duplicate entry.");
        found = nb_xstrdup(id);
    }
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO application_credential_access_rules "
                                 "(application_credential_id, access_rule_id) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", "ss", ac, found);
    free(found);
    return r;
}

/* Stores the credential 'obj' with its roles and access rules. */
static int nb_ac_store(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *obj,
                       const struct nb_sql *role_ids, const json_t *rules)
{
    const char *id = nb_json_str(obj, "id"), *user = nb_json_str(obj, "user_id");
    const json_t *rule;
    size_t i;
    int r = nb_res_insert(ctx, tx, &nb_res_appcred, obj);
    if (r == -EEXIST) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 409, "Conflict occurred attempting to store "
                                 "application_credential - Duplicate entry found with "
                                 "name %s.", nb_json_str(obj, "name"));
    }
    for (int k = 0; r == 0 && k < role_ids->n; k++)
        r = nb_tx_exec(tx, NULL, "INSERT INTO application_credential_roles "
                                 "(application_credential_id, role_id) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", "ss", id, role_ids->args[k].s);
    json_array_foreach(rules, i, rule)
        if (r == 0)
            r = nb_ac_link_rule(ctx, tx, id, user, rule);
    return r;
}

int nb_id_appcred_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 0);
    json_t *body = nb_req_json(req), *obj = NULL, *created = NULL;
    const json_t *in;
    struct nb_sql role_ids = {0};
    struct nb_tx *tx = NULL;
    char id[NB_ID_HEX_LEN + 1], *secret = NULL, *hash = NULL;
    unsigned char raw[64];
    int64_t exp;
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    r = nb_ac_enforce(req, "identity:create_application_credential", user,
                      "Could not find user: %s.", user);
    if (r < 0)
        return r;
    in = json_object_get(body, "application_credential");
    obj = json_is_object(in) ? json_deep_copy(in) : json_object();
    r = nb_ac_validate(ctx, obj);
    if (r < 0)
        goto out;
    /* the secret: the caller's, or 64 random bytes; only its hash is kept
     * (hashed before the write transaction: argon2 takes a while) */
    if (nb_json_str(obj, "secret") && *nb_json_str(obj, "secret")) {
        secret = nb_xstrdup(nb_json_str(obj, "secret"));
    } else {
        nb_random_bytes(raw, sizeof(raw));
        secret = nb_b64url_encode(raw, sizeof(raw));
    }
    r = nb_password_hash(secret, &hash);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    r = nb_ac_check_unrestricted(ctx, tx);
    if (r == 0)
        r = nb_id_check_user_limit(ctx, tx, "application_credentials", user,
                                   "max_application_credentials",
                                   "application credentials");
    if (r == 0 && strcmp(ctx->caller.user.id, user) != 0)
        r = nb_err_set(ctx, 403, "You are not authorized to perform the requested action: "
                                 "Cannot create an application credential for another "
                                 "user.");
    if (r == 0)
        r = nb_ac_roles(ctx, tx, json_object_get(obj, "roles"), &role_ids);
    if (r == 0 && nb_json_str(obj, "expires_at")) {
        r = nb_id_parse_expiry(ctx, nb_json_str(obj, "expires_at"), &exp);
        if (r == 0) {
            char ts[NB_TIME_LEN];
            nb_time_fmt(exp, 6, ts);
            json_object_set_new(obj, "expires_at", json_string(ts));
        }
    }
    if (r == 0)
        r = nb_ac_check_assigned(ctx, tx, user,
                                 ctx->caller.project.id[0] ? ctx->caller.project.id : NULL,
                                 &role_ids);
    if (r < 0)
        goto out;
    nb_uuid_hex(id);
    json_object_set_new(obj, "id", json_string(id));
    json_object_set_new(obj, "user_id", json_string(user));
    json_object_set_new(obj, "project_id", ctx->caller.project.id[0]
                                               ? json_string(ctx->caller.project.id)
                                               : json_null());
    json_object_set_new(obj, "secret_hash", json_string(hash));
    if (!json_is_boolean(json_object_get(obj, "unrestricted")))
        json_object_set_new(obj, "unrestricted", json_false());
    if (!json_is_string(json_object_get(obj, "description")))
        json_object_set_new(obj, "description", json_null());
    r = nb_ac_store(ctx, tx, obj, &role_ids, json_object_get(obj, "access_rules"));
    if (r == 0)
        r = nb_res_get(ctx, tx, &nb_res_appcred, id, &created);
    if (r == 0) {
        nb_appcred_render(req, tx, created);
        json_object_set_new(created, "secret", json_string(secret));
    }
    r = nb_id_finish(tx, r);
    tx = NULL;
    if (r == 0) {
        r = nb_reply_json(req, 201, json_pack("{s:o}", "application_credential", created));
        created = NULL;
    }
out:
    nb_tx_rollback(tx);
    if (secret)
        memset(secret, 0, strlen(secret));
    free(secret);
    free(hash);
    nb_sql_free(&role_ids);
    json_decref(created);
    json_decref(obj);
    return r;
}

int nb_id_appcred_list(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 0);
    struct nb_sql w = {0};
    struct nb_list_opts opts = {.where = &w};
    struct nb_tx *tx = NULL;
    json_t *query = NULL, *list = NULL, *v;
    size_t i;
    int r = nb_ac_enforce(req, "identity:list_application_credentials", user,
                          "Could not find user: %s.", user);
    if (r < 0)
        return r;
    /* ?name is the only filter Keystone honours here */
    if (nb_req_query(req, "name"))
        query = json_pack("{s:s}", "name", nb_req_query(req, "name"));
    nb_sql_add(&w, "user_id = ?");
    nb_sql_text(&w, user);
    opts.query = query;
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r == 0) {
        r = nb_res_list(ctx, tx, &nb_res_appcred, &opts, &list);
        json_array_foreach(list, i, v)
            nb_appcred_render(req, tx, v);
        nb_tx_rollback(tx);
    }
    nb_sql_free(&w);
    json_decref(query);
    return r < 0 ? r : nb_id_reply_list(req, "application_credentials", list);
}

/* Enforces 'rule' on the credential of the route, against its owner (not
 * the user of the path: Keystone closes that hole the same way). */
static int nb_appcred_enforce(struct nb_req *req, const char *rule)
{
    const char *id = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    char *owner = NULL;
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r == 0) {
        r = nb_tx_query_str(tx, &owner, "SELECT user_id FROM application_credentials "
                                        "WHERE id = ?", "s", id);
        nb_tx_rollback(tx);
    }
    if (r < 0 && r != -ENOENT) {
        nb_req_policy_done(req);
        return r;
    }
    r = nb_ac_enforce(req, rule, owner ? owner : nb_req_param(req, 0),
                      "Could not find Application Credential: %s.", id);
    free(owner);
    return r;
}

/* Loads the credential of the route in 'tx' (404 in Keystone's words). */
static int nb_appcred_load(struct nb_req *req, struct nb_tx *tx, json_t **ac)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 1);
    int r = nb_res_get(ctx, tx, &nb_res_appcred, id, ac);
    if (r == -ENOENT) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, "Could not find Application Credential: %s.", id);
    }
    return r;
}

int nb_id_appcred_get(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *ac = NULL;
    int r = nb_appcred_enforce(req, "identity:get_application_credential");
    if (r == 0)
        r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_appcred_load(req, tx, &ac);
    if (r == 0)
        nb_appcred_render(req, tx, ac);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    return nb_reply_json(req, 200, json_pack("{s:o}", "application_credential", ac));
}

int nb_id_appcred_delete(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *ac = NULL;
    int r = nb_appcred_enforce(req, "identity:delete_application_credential");
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_appcred_load(req, tx, &ac);
    json_decref(ac);
    if (r == 0)
        r = nb_ac_check_unrestricted(ctx, tx);
    if (r == 0)
        r = nb_res_delete(ctx, tx, &nb_res_appcred, id);
    r = nb_id_finish(tx, r);
    if (r == 0)
        r = nb_revoke_add(NULL, NB_REVOKE_APPCRED, id);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* ---- access rules */

static const struct nb_id_kind nb_kind_access_rule = {
    .res = &nb_res_access_rule,
    .collection = NB_ACCESS_RULES,
};

int nb_id_access_rule_list(struct nb_req *req)
{
    const char *user = nb_req_param(req, 0);
    int r = nb_ac_enforce(req, "identity:list_access_rules", user,
                          "Could not find user: %s.", user);
    if (r < 0)
        return r;
    return nb_id_reply_sublist(req, NULL, &nb_kind_access_rule, "user_id = ?");
}

/* Loads the access rule of the route, which must be the route user's,
 * into *out (404 otherwise). */
static int nb_access_rule_load(struct nb_req *req, struct nb_tx *tx, json_t **out)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 0), *id = nb_req_param(req, 1);
    struct nb_sql w = {0};
    struct nb_list_opts opts = {.where = &w};
    json_t *list = NULL;
    int r;
    nb_sql_add(&w, "id = ? AND user_id = ?");
    nb_sql_text(&w, id);
    nb_sql_text(&w, user);
    r = nb_res_list(ctx, tx, &nb_res_access_rule, &opts, &list);
    nb_sql_free(&w);
    if (r == 0 && !json_array_size(list))
        r = nb_err_set(ctx, 404, "Could not find Access Rule: %s.", id);
    if (r == 0)
        *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return r;
}

int nb_id_access_rule_get(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *rule = NULL;
    int r = nb_ac_enforce(req, "identity:get_access_rule", nb_req_param(req, 0),
                          "Could not find Access Rule: %s.", nb_req_param(req, 1));
    if (r == 0)
        r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_access_rule_load(req, tx, &rule);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    return nb_id_reply_entity(req, 200, "access_rule", NB_ACCESS_RULES, rule);
}

int nb_id_access_rule_delete(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *rule = NULL;
    int64_t used = 0;
    int r = nb_ac_enforce(req, "identity:delete_access_rule", nb_req_param(req, 0),
                          "Could not find Access Rule: %s.", id);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_access_rule_load(req, tx, &rule);
    json_decref(rule);
    if (r == 0)
        r = nb_tx_query_int(tx, &used, "SELECT count(*) FROM "
                                       "application_credential_access_rules WHERE "
                                       "access_rule_id = ?", "s", id);
    if (r == 0 && used)
        r = nb_err_set(ctx, 403, "May not delete access rule in use");
    if (r == 0)
        r = nb_res_delete(ctx, tx, &nb_res_access_rule, id);
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}
