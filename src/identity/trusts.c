/* OS-TRUST trusts (keystone/api/trusts.py, keystone/trust/core.py).
 *
 * A trustor delegates some of its roles on a project to a trustee, who
 * then gets tokens scoped by the trust (src/identity/auth.c).  A trust
 * that expired or has no uses left no longer exists for the API (404), but
 * lists still show it, as Keystone's do.  A trust-scoped token may create
 * a narrower trust from its own (redelegation) while the chain allows it;
 * tokens from application credentials may not touch trusts at all. */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

/* How deep a trust may be redelegated: [identity] max_trust_redelegation. */
#define NB_TRUST_MAX_REDELEGATION nb_conf_int("identity", "max_trust_redelegation")

#define NB_FORBIDDEN "You are not authorized to perform the requested action."

/* The trusts table, rendered by the resource engine; 'roles' are child
 * rows.  Unknown attributes of the request are kept, as Keystone does. */
static const struct nb_field nb_trust_fields[] = {
    {"id", NB_FT_STR, NB_FF_RDONLY, 64, NULL},
    {"trustor_user_id", NB_FT_STR, 0, 64, NULL},
    {"trustee_user_id", NB_FT_STR, 0, 64, NULL},
    {"project_id", NB_FT_STR, NB_FF_NULL, 64, NULL},
    {"impersonation", NB_FT_BOOL, 0, 0, NULL},
    {"expires_at", NB_FT_TIME, NB_FF_NULL, 0, NULL},
    {"remaining_uses", NB_FT_INT, NB_FF_NULL, 0, NULL},
    {"allow_redelegation", NB_FT_BOOL, NB_FF_HIDDEN, 0, NULL},
    {"redelegation_count", NB_FT_INT, NB_FF_NULL, 0, NULL},
    {"redelegated_trust_id", NB_FT_STR, NB_FF_NULL, 64, NULL},
};
static const struct nb_resource nb_res_trust = {
    "trust", "trusts", "trusts", nb_trust_fields, NB_ARRAY_SIZE(nb_trust_fields), true};

#define NB_TRUSTS "/v3/OS-TRUST/trusts"

/* ---- loading and rendering */

/* Keystone prints trust expiry with utils.isotime(subsecond=True): the
 * microseconds are shown, but always as zeros. */
static void nb_trust_fix_expiry(json_t *trust)
{
    const char *s = nb_json_str(trust, "expires_at");
    char out[NB_TIME_LEN];
    int64_t us;
    if (!s || nb_time_parse(s, &us) < 0)
        return;
    us -= ((us % 1000000) + 1000000) % 1000000;
    nb_time_fmt(us, 6, out);
    json_object_set_new(trust, "expires_at", json_string(out));
}

static void nb_trust_decorate(json_t *trust)
{
    nb_trust_fix_expiry(trust);
    json_object_set_new(trust, "deleted_at", json_null());
}

/* The role ids of a trust, as [{"id"}] (a new array). */
static json_t *nb_trust_role_ids(struct nb_tx *tx, const char *trust_id)
{
    struct nb_stmt *st = NULL;
    json_t *roles = json_array();
    if (nb_tx_query(tx, &st, "SELECT role_id FROM trust_roles WHERE trust_id = ? "
                             "ORDER BY role_id", "s", trust_id) == 0)
        while (nb_stmt_next(st) > 0)
            json_array_append_new(roles, json_pack("{s:s}", "id", nb_stmt_text(st, 0)));
    nb_stmt_done(st);
    return roles;
}

/* Loads a live trust with its role ids into a new object in *out.  An
 * expired or used-up trust is not found, as in Keystone's driver. */
static int nb_trust_get(struct nb_ctx *ctx, struct nb_tx *tx, const char *id, json_t **out)
{
    json_t *t = NULL;
    const json_t *uses;
    const char *exp;
    int64_t us;
    int r = nb_res_get(ctx, tx, &nb_res_trust, id, &t);
    if (r < 0)
        return r;
    exp = nb_json_str(t, "expires_at");
    uses = json_object_get(t, "remaining_uses");
    if ((exp && nb_time_parse(exp, &us) == 0 && us < nb_now_us()) ||
        (json_is_integer(uses) && json_integer_value(uses) <= 0)) {
        json_decref(t);
        return nb_err_set(ctx, 404, "Could not find trust: %s.", id);
    }
    json_object_set_new(t, "roles", nb_trust_role_ids(tx, id));
    *out = t;
    return 0;
}

/* Replaces the role ids of 'trust' by the full roles, linked, and adds
 * roles_links (which Keystone points at <base>/v3/<trust_id>/roles). */
static void nb_trust_render_roles(struct nb_req *req, struct nb_tx *tx, json_t *trust)
{
    json_t *full = json_array(), *ref;
    size_t i;
    char *self;
    json_array_foreach(json_object_get(trust, "roles"), i, ref) {
        json_t *role = NULL;
        if (nb_res_get(nb_req_ctx(req), tx, &nb_res_role, nb_json_str(ref, "id"), &role) < 0) {
            nb_req_ctx(req)->err_status = 0;    /* a role deleted since: left out */
            continue;
        }
        nb_id_link(req, role, "/v3/roles");
        json_array_append_new(full, role);
    }
    json_object_set_new(trust, "roles", full);
    self = nb_xasprintf("%s/identity/v3/%s/roles", nb_req_base_url(req),
                        nb_json_str(trust, "id"));
    json_object_set_new(trust, "roles_links",
                        json_pack("{s:s,s:n,s:n}", "self", self, "next", "previous"));
    free(self);
}

/* Tokens of application credentials cannot manage trusts (Keystone's
 * _check_delegated_token). */
static int nb_trust_check_delegated(struct nb_req *req)
{
    const struct nb_caller *c = &nb_req_ctx(req)->caller;
    if (c->app_cred_id[0] || (c->methods & NB_AM_APPCRED))
        return nb_req_err(req, 403, "You are not authorized to perform the requested "
                                    "action: Delegated tokens cannot manage trusts.");
    return 0;
}

/* GET and HEAD read; a reader who may not see what it asks for is told
 * it does not exist, while a denied write is a 403, as Keystone answers. */
static bool nb_is_read(struct nb_req *req)
{
    return strcmp(nb_req_method(req), "GET") == 0 || strcmp(nb_req_method(req), "HEAD") == 0;
}

/* Loads the trust of the route and enforces 'rule' on it.  A missing
 * trust is a 404 before any policy (lp#1840288); so is reading one the
 * caller has no relation to.  On success the caller owns *trust and *tx
 * (read). */
static int nb_trust_begin(struct nb_req *req, const char *rule, json_t **trust,
                          struct nb_tx **tx)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    json_t *target;
    int r = nb_tx_begin(nb_id_db, false, tx);
    if (r == 0)
        r = nb_trust_get(ctx, *tx, id, trust);
    if (r < 0) {
        nb_req_policy_done(req);
        nb_tx_rollback(*tx);
        *tx = NULL;
        return r;
    }
    target = nb_id_target("trust", *trust);
    r = nb_req_enforce(req, rule, target);
    if (r == -EACCES && nb_is_read(req) &&
        !nb_policy_allows(ctx, "identity:get_trust", target)) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, "Could not find trust: %s.", id);
    }
    json_decref(target);
    if (r == 0)
        r = nb_trust_check_delegated(req);
    if (r < 0) {
        json_decref(*trust);
        *trust = NULL;
        nb_tx_rollback(*tx);
        *tx = NULL;
    }
    return r;
}

/* ---- create: validation (keystone/trust/schema.py) */

/* A string of 1..64 characters; 'id' also limits it to [a-zA-Z0-9-]. */
static int nb_trust_check_id(struct nb_ctx *ctx, const char *field, const json_t *v,
                             bool null_ok, bool id)
{
    const char *s;
    if (!v || (null_ok && json_is_null(v)))
        return 0;
    if (!json_is_string(v))
        return nb_err_invalid(ctx, field, v, null_ok ? "is not of type 'string', 'null'"
                                                       : "is not of type 'string'");
    s = json_string_value(v);
    if (!*s)
        return nb_err_invalid(ctx, field, v, "is too short");
    if (strlen(s) > 64)
        return nb_err_invalid(ctx, field, v, "is too long");
    if (id && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-") != strlen(s))
        return nb_err_invalid(ctx, field, v, "does not match '^[a-zA-Z0-9-]+$'");
    return 0;
}

static int nb_trust_check_int(struct nb_ctx *ctx, const char *field, const json_t *v,
                              long min)
{
    char why[64];
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return nb_err_invalid(ctx, field, v, "is not of type 'integer', 'null'");
    if (json_integer_value(v) < min) {
        snprintf(why, sizeof(why), "is less than the minimum of %ld", min);
        return nb_err_invalid(ctx, field, v, why);
    }
    return 0;
}

static int nb_trust_validate(struct nb_ctx *ctx, const json_t *in)
{
    static const char *const required[] = {"trustor_user_id", "trustee_user_id",
                                           "impersonation"};
    const json_t *v, *roles = json_object_get(in, "roles");
    size_t i;
    int r;

    /* jsonschema's order: the properties' types, then what is required */
    if ((r = nb_trust_check_id(ctx, "trustor_user_id",
                               json_object_get(in, "trustor_user_id"), false, false)) < 0 ||
        (r = nb_trust_check_id(ctx, "trustee_user_id",
                               json_object_get(in, "trustee_user_id"), false, false)) < 0 ||
        (r = nb_trust_check_id(ctx, "project_id", json_object_get(in, "project_id"), true,
                               true)) < 0 ||
        (r = nb_trust_check_int(ctx, "remaining_uses",
                                json_object_get(in, "remaining_uses"), 1)) < 0 ||
        (r = nb_trust_check_int(ctx, "redelegation_count",
                                json_object_get(in, "redelegation_count"), 0)) < 0)
        return r;
    v = json_object_get(in, "impersonation");
    if (v && !json_is_boolean(v))
        return nb_err_invalid(ctx, "impersonation", v, "is not of type 'boolean'");
    v = json_object_get(in, "allow_redelegation");
    if (v && !json_is_boolean(v) && !json_is_null(v))
        return nb_err_invalid(ctx, "allow_redelegation", v,
                                "is not of type 'boolean', 'null'");
    v = json_object_get(in, "expires_at");
    if (v && !json_is_string(v) && !json_is_null(v))
        return nb_err_invalid(ctx, "expires_at", v, "is not of type 'null', 'string'");
    if (roles && (r = nb_id_check_role_refs(ctx, roles)) < 0)
        return r;
    for (i = 0; i < NB_ARRAY_SIZE(required); i++)
        if (!json_object_get(in, required[i]))
            return nb_err_set(ctx, 400, "'%s' is a required property", required[i]);
    return 0;
}

/* Role references {"id"} or {"name"} into ids; a name must name exactly
 * one role (assignment_api.get_unique_role_by_name). */
static int nb_trust_role_refs(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *roles,
                              json_t **ids)
{
    const json_t *ref;
    size_t i;
    int r = 0;

    *ids = json_array();
    json_array_foreach(roles, i, ref) {
        const char *id = nb_json_str(ref, "id"), *name = nb_json_str(ref, "name");
        struct nb_stmt *st = NULL;
        char found[NB_IDSZ] = "";
        int n = 0;
        if (id) {
            json_array_append_new(*ids, json_string(id));
            continue;
        }
        r = nb_tx_query(tx, &st, "SELECT id FROM roles WHERE name = ?", "s", name);
        while (r == 0 && nb_stmt_next(st) > 0)
            if (n++ == 0)
                snprintf(found, sizeof(found), "%s", nb_stmt_text(st, 0));
        nb_stmt_done(st);
        if (r < 0)
            return r;
        if (n == 0)
            return nb_err_set(ctx, 404, "Role %s is not defined", name);
        if (n > 1)
            return nb_err_set(ctx, 400, "There are multiple role entities named '%s'. "
                                        "Please use ID instead of names to resolve the "
                                        "ambiguity.", name);
        json_array_append_new(*ids, json_string(found));
    }
    return 0;
}

/* The trustor must hold every delegated role on the project (effective
 * roles: through groups, inheritance and implication).  A trust without a
 * project can delegate no role. */
static int nb_trust_check_trustor_roles(struct nb_ctx *ctx, struct nb_tx *tx,
                                        const char *trustor, const char *project,
                                        const json_t *role_ids)
{
    char have[NB_MAX_ROLES][NB_IDSZ];
    const json_t *v;
    size_t i;
    int n = 0, r;

    if (project) {
        r = nb_id_project_exists(ctx, tx, project);
        if (r < 0)
            return r;
        n = nb_id_effective_roles(tx, trustor, NB_SCOPE_PROJECT, project, have);
        if (n < 0)
            return n;
    }
    json_array_foreach(role_ids, i, v) {
        bool held = false;
        for (int k = 0; k < n && !held; k++)
            held = strcmp(have[k], json_string_value(v)) == 0;
        if (!held)
            return nb_err_set(ctx, 404, "Could not find role: %s.", json_string_value(v));
    }
    return 0;
}

/* Checks a new trust against one trust of the chain it is redelegated
 * from (trust/core.py _validate_redelegation); may fill the expiry. */
static int nb_trust_check_parent(struct nb_ctx *ctx, struct nb_tx *tx,
                                 const json_t *parent, json_t *trust, const json_t *role_ids)
{
    const json_t *count = json_object_get(parent, "redelegation_count");
    const char *pexp = nb_json_str(parent, "expires_at");
    const char *texp = nb_json_str(trust, "expires_at");
    json_t *pids = nb_trust_role_ids(tx, nb_json_str(parent, "id")), *v;
    int64_t pus = 0, tus = 0;
    size_t i;
    int r = 0;

    if (!json_is_integer(count) || json_integer_value(count) <= 0 ||
        json_integer_value(count) > NB_TRUST_MAX_REDELEGATION)
        r = nb_err_set(ctx, 403, NB_FORBIDDEN);
    else if (!json_is_null(json_object_get(trust, "remaining_uses")) &&
             json_object_get(trust, "remaining_uses"))
        r = nb_err_set(ctx, 403, NB_FORBIDDEN);
    if (r == 0 && texp && pexp && nb_time_parse(pexp, &pus) == 0 &&
        nb_time_parse(texp, &tus) == 0 && pus < tus)
        r = nb_err_set(ctx, 403, NB_FORBIDDEN);
    if (r == 0 && !texp && pexp)
        json_object_set_new(trust, "expires_at", json_string(pexp));
    json_array_foreach(role_ids, i, v) {
        bool found = false;
        const json_t *p;
        size_t k;
        json_array_foreach(pids, k, p)
            found = found || strcmp(nb_json_str(p, "id"), json_string_value(v)) == 0;
        if (r == 0 && !found)
            r = nb_err_set(ctx, 403, NB_FORBIDDEN);
    }
    if (r == 0 && json_is_false(json_object_get(parent, "impersonation")) &&
        json_is_true(json_object_get(trust, "impersonation")))
        r = nb_err_set(ctx, 403, NB_FORBIDDEN);
    json_decref(pids);
    return r;
}

/* Redelegation (trust/core.py create_trust): fills redelegation_count and
 * redelegated_trust_id, checking the whole chain above 'parent_id'. */
static int nb_trust_redelegation(struct nb_ctx *ctx, struct nb_tx *tx, json_t *trust,
                                 const char *parent_id, const json_t *role_ids)
{
    const json_t *req_count = json_object_get(trust, "redelegation_count");
    json_int_t requested = json_is_integer(req_count) ? json_integer_value(req_count) : -1;
    bool redelegatable = json_is_true(json_object_get(trust, "allow_redelegation")) &&
                         requested != 0;
    json_t *parent = NULL;
    int r = 0;

    if (!redelegatable) {
        json_object_set_new(trust, "redelegation_count", json_integer(0));
    } else {
        if (requested > NB_TRUST_MAX_REDELEGATION)
            return nb_err_set(ctx, 403, NB_FORBIDDEN);
        if (json_is_integer(json_object_get(trust, "remaining_uses")))
            return nb_err_set(ctx, 400, "remaining_uses must not be set if redelegation is "
                                        "allowed");
    }
    if (parent_id) {
        json_int_t remaining;
        char at[NB_IDSZ];
        r = nb_trust_get(ctx, tx, parent_id, &parent);
        if (r < 0)
            return r;
        remaining = json_integer_value(json_object_get(parent, "redelegation_count")) - 1;
        json_object_set_new(trust, "redelegated_trust_id", json_string(parent_id));
        if (redelegatable && requested > 0 && requested != remaining) {
            json_decref(parent);
            return nb_err_set(ctx, 403, NB_FORBIDDEN);
        }
        if (!json_is_integer(json_object_get(trust, "redelegation_count")))
            json_object_set_new(trust, "redelegation_count", json_integer(remaining));
        /* every trust of the pedigree must allow this one */
        for (int depth = 0; r == 0 && parent && depth <= NB_TRUST_MAX_REDELEGATION + 1;
             depth++) {
            const char *up = nb_json_str(parent, "redelegated_trust_id");
            r = nb_trust_check_parent(ctx, tx, parent, trust, role_ids);
            snprintf(at, sizeof(at), "%s", up ? up : "");
            json_decref(parent);
            parent = NULL;
            if (r == 0 && at[0])
                r = nb_trust_get(ctx, tx, at, &parent);
        }
        json_decref(parent);
        if (r < 0)
            return r;
    }
    if (!json_is_integer(json_object_get(trust, "redelegation_count")))
        json_object_set_new(trust, "redelegation_count",
                            json_integer(NB_TRUST_MAX_REDELEGATION));
    /* stored, never shown: Keystone pops it */
    json_object_set_new(trust, "allow_redelegation", json_boolean(redelegatable));
    return 0;
}

static int nb_trust_store(struct nb_ctx *ctx, struct nb_tx *tx, json_t *trust,
                          const json_t *role_ids)
{
    const json_t *v;
    size_t i;
    int r = nb_res_insert(ctx, tx, &nb_res_trust, trust);
    if (r == -EEXIST) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 409, "Conflict occurred attempting to store trust - Duplicate "
                                 "entry found with ID %s.", nb_json_str(trust, "id"));
    }
    json_array_foreach(role_ids, i, v)
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO trust_roles (trust_id, role_id) VALUES "
                                     "(?, ?) ON CONFLICT DO NOTHING",
                           "ss", nb_json_str(trust, "id"), json_string_value(v));
    return r;
}

int nb_id_trust_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req), *trust = NULL, *role_ids = NULL, *target, *created = NULL;
    const json_t *in;
    const char *project;
    struct nb_tx *tx = NULL;
    char id[NB_IDSZ];
    int64_t exp;
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    in = json_object_get(body, "trust");
    trust = json_is_object(in) ? json_deep_copy(in) : json_object();
    target = nb_id_target("trust", trust);
    r = nb_req_enforce(req, "identity:create_trust", target);
    json_decref(target);
    if (r == 0)
        r = nb_trust_validate(ctx, trust);
    if (r == 0)
        r = nb_trust_check_delegated(req);
    if (r < 0)
        goto out;
    project = nb_json_str(trust, "project_id");
    if (project && !json_array_size(json_object_get(trust, "roles"))) {
        r = nb_err_set(ctx, 403, "You are not authorized to perform the requested action: "
                                 "At least one role should be specified.");
        goto out;
    }
    if (strcmp(ctx->caller.user.id, nb_json_str(trust, "trustor_user_id")) != 0) {
        r = nb_err_set(ctx, 403, "You are not authorized to perform the requested action: "
                                 "The authenticated user should match the trustor.");
        goto out;
    }
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    r = nb_id_user_exists(ctx, tx, nb_json_str(trust, "trustee_user_id"));
    if (r == 0)
        r = nb_trust_role_refs(ctx, tx, json_object_get(trust, "roles"), &role_ids);
    if (r == 0)
        r = nb_trust_check_trustor_roles(ctx, tx, nb_json_str(trust, "trustor_user_id"),
                                         project, role_ids);
    if (r == 0 && nb_json_str(trust, "expires_at")) {
        r = nb_id_parse_expiry(ctx, nb_json_str(trust, "expires_at"), &exp);
        if (r == 0) {
            char ts[NB_TIME_LEN];
            nb_time_fmt(exp, 6, ts);
            json_object_set_new(trust, "expires_at", json_string(ts));
        }
    }
    if (r < 0)
        goto out;
    nb_uuid_hex(id);
    json_object_set_new(trust, "id", json_string(id));
    json_object_del(trust, "roles");
    json_object_del(trust, "deleted_at");
    json_object_del(trust, "redelegated_trust_id");
    r = nb_trust_redelegation(ctx, tx, trust,
                              ctx->caller.trust_id[0] ? ctx->caller.trust_id : NULL, role_ids);
    if (r == 0)
        r = nb_trust_store(ctx, tx, trust, role_ids);
    if (r == 0)
        r = nb_trust_get(ctx, tx, id, &created);
    if (r == 0) {
        nb_trust_decorate(created);
        nb_trust_render_roles(req, tx, created);
    }
    r = nb_id_finish(tx, r);
    tx = NULL;
    if (r == 0) {
        r = nb_id_reply_entity(req, 201, "trust", NB_TRUSTS, created);
        created = NULL;
    }
out:
    nb_tx_rollback(tx);
    json_decref(created);
    json_decref(role_ids);
    json_decref(trust);
    return r;
}

/* GET /v3/OS-TRUST/trusts: all (admin), or ?trustor_user_id= /
 * ?trustee_user_id= with their own rules.  Any other query lists
 * nothing, as in Keystone. */
int nb_id_trust_list(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *trustor = nb_req_query(req, "trustor_user_id");
    const char *trustee = nb_req_query(req, "trustee_user_id");
    json_t *query = nb_req_query_obj(req), *list = NULL, *target, *v;
    struct nb_sql where = {0};
    struct nb_list_opts opts = {.where = &where};
    struct nb_tx *tx = NULL;
    size_t i;
    int r;

    if (trustor && *trustor) {
        target = json_pack("{s:{s:{s:s}}}", "target", "trust", "trustor_user_id", trustor);
        r = nb_req_enforce(req, "identity:list_trusts_for_trustor", target);
        nb_sql_add(&where, "trustor_user_id = ?");
        nb_sql_text(&where, trustor);
    } else if (trustee && *trustee) {
        target = json_pack("{s:{s:{s:s}}}", "target", "trust", "trustee_user_id", trustee);
        r = nb_req_enforce(req, "identity:list_trusts_for_trustee", target);
        nb_sql_add(&where, "trustee_user_id = ?");
        nb_sql_text(&where, trustee);
    } else {
        target = NULL;
        r = nb_req_enforce(req, "identity:list_trusts", NULL);
        if (json_object_size(query))
            nb_sql_add(&where, "1 = 0");
    }
    json_decref(target);
    if (r == 0)
        r = nb_trust_check_delegated(req);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        goto out;
    r = nb_res_list(ctx, tx, &nb_res_trust, &opts, &list);
    nb_tx_rollback(tx);
    json_array_foreach(list, i, v) {
        nb_trust_decorate(v);
        json_object_del(v, "roles");
        nb_id_link(req, v, NB_TRUSTS);
    }
    if (r == 0) {
        r = nb_id_reply_list(req, "trusts", list);
        list = NULL;
    }
out:
    json_decref(list);
    json_decref(query);
    nb_sql_free(&where);
    return r;
}

int nb_id_trust_get(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *trust = NULL;
    int r = nb_trust_begin(req, "identity:get_trust", &trust, &tx);
    if (r < 0)
        return r;
    nb_trust_decorate(trust);
    nb_trust_render_roles(req, tx, trust);
    nb_tx_rollback(tx);
    return nb_id_reply_entity(req, 200, "trust", NB_TRUSTS, trust);
}

/* Deletes 'id' and, first, the trusts redelegated from it; each one's
 * tokens are revoked once the transaction commits (ids gathered in
 * 'gone'). */
static int nb_trust_delete_tree(struct nb_tx *tx, const char *id, struct nb_sql *gone,
                                int depth)
{
    struct nb_stmt *st = NULL;
    struct nb_sql kids = {0};
    int r = nb_tx_query(tx, &st, "SELECT id FROM trusts WHERE redelegated_trust_id = ?",
                        "s", id);
    while (r == 0 && nb_stmt_next(st) > 0)
        nb_sql_text(&kids, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; r == 0 && i < kids.n && depth < 16; i++)
        r = nb_trust_delete_tree(tx, kids.args[i].s, gone, depth + 1);
    nb_sql_free(&kids);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM trusts WHERE id = ?", "s", id);
    if (r == 0)
        nb_sql_text(gone, id);
    return r;
}

int nb_id_trust_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_sql gone = {0};
    json_t *trust = NULL;
    int r = nb_trust_begin(req, "identity:delete_trust", &trust, &tx);
    if (r < 0)
        return r;
    json_decref(trust);
    nb_tx_rollback(tx);
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_trust_delete_tree(tx, nb_req_param(req, 0), &gone, 0);
    r = nb_id_finish(tx, r);
    for (int i = 0; r == 0 && i < gone.n; i++)
        r = nb_revoke_add(NULL, NB_REVOKE_TRUST, gone.args[i].s);
    nb_sql_free(&gone);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_trust_roles(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *trust = NULL, *body;
    int r = nb_trust_begin(req, "identity:list_roles_for_trust", &trust, &tx);
    if (r < 0)
        return r;
    nb_trust_render_roles(req, tx, trust);
    nb_tx_rollback(tx);
    body = json_pack("{s:O,s:O}", "roles", json_object_get(trust, "roles"), "links",
                     json_object_get(trust, "roles_links"));
    json_decref(trust);
    return nb_reply_json(req, 200, body);
}

/* GET/HEAD one delegated role. */
int nb_id_trust_role_get(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *role_id = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *trust = NULL, *role = NULL, *ref;
    bool found = false;
    size_t i;
    int r = nb_trust_begin(req, "identity:get_role_for_trust", &trust, &tx);
    if (r < 0)
        return r;
    json_array_foreach(json_object_get(trust, "roles"), i, ref)
        found = found || strcmp(nb_json_str(ref, "id"), role_id) == 0;
    r = found ? nb_res_get(ctx, tx, &nb_res_role, role_id, &role)
              : nb_err_set(ctx, 404, "Could not find role: %s.", role_id);
    nb_tx_rollback(tx);
    json_decref(trust);
    if (r < 0)
        return r;
    return nb_id_reply_entity(req, 200, "role", "/v3/roles", role);
}
