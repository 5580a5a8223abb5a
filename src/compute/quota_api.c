/* os-quota-sets (show, detail, defaults, update, delete; ?user_id=),
 * os-quota-class-sets (show, update) and /limits, with the resources each
 * microversion shows (2.36 and 2.50 drop nova-network's, 2.57 the
 * personality files). */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>

/* Whether 'q' is shown by os-quota-sets (classes: by os-quota-class-sets)
 * at microversion 'mv'. */
static bool nb_cmp_qres_shown(const struct nb_cmp_qres *q, int mv, bool classes)
{
    if ((q->flags & NB_CMP_Q_NETWORK) && mv >= (classes ? NB_MV(2, 50) : NB_MV(2, 36)))
        return false;
    if ((q->flags & NB_CMP_Q_INJECTED) && mv >= NB_MV(2, 57))
        return false;
    if (classes && (q->flags & NB_CMP_Q_GROUPS) && mv < NB_MV(2, 50))
        return false;
    return true;
}

/* Parses a limit: an integer or a string of one, in [-1, 2^31 - 1]. */
static int nb_cmp_quota_value(struct nb_ctx *ctx, const char *path, const json_t *v,
                              int64_t *out)
{
    long n;
    if (json_is_integer(v))
        n = (long)json_integer_value(v);
    else if (!json_is_string(v) || nb_str_to_long(json_string_value(v), &n) < 0)
        return nb_cmp_bad_input(ctx, path, v, "is not of type 'integer', 'string'");
    if (n < -1)
        return nb_cmp_bad_input(ctx, path, v, "is less than the minimum of -1");
    if (n > 0x7FFFFFFF)
        return nb_cmp_bad_input(ctx, path, v, "is greater than the maximum of 2147483647");
    *out = n;
    return 0;
}

/* ---- os-quota-sets */

enum nb_cmp_qview { NB_CMP_QV_LIMITS, NB_CMP_QV_DETAIL, NB_CMP_QV_DEFAULTS };

/* The quota set of (project, user) as a new object. */
static int nb_cmp_quota_set(struct nb_req *req, struct nb_tx *tx, const char *project,
                            const char *user, enum nb_cmp_qview view, json_t **out)
{
    json_t *qs = json_object();
    int r = 0;
    for (const struct nb_cmp_qres *q = nb_cmp_qres; r == 0 && q->name; q++) {
        int64_t limit, used = 0;
        if (!nb_cmp_qres_shown(q, nb_req_mv(req), false))
            continue;
        if (view == NB_CMP_QV_DEFAULTS)
            r = nb_cmp_quota_class_get(tx, "default", q->name, &limit);
        else
            r = nb_cmp_quota_get(tx, project, user, q->name, &limit);
        if (r == 0 && view == NB_CMP_QV_DETAIL)
            r = nb_cmp_quota_in_use(tx, project, user, q->name, &used);
        if (view == NB_CMP_QV_DETAIL)
            json_object_set_new(qs, q->name, json_pack("{s:I,s:I,s:i}", "limit",
                                                       (json_int_t)limit, "in_use",
                                                       (json_int_t)used, "reserved", 0));
        else
            json_object_set_new(qs, q->name, json_integer(limit));
    }
    if (r < 0) {
        json_decref(qs);
        return r;
    }
    *out = qs;
    return 0;
}

static const char *const nb_cmp_quota_query[] = {"user_id", NULL};

/* Enforces 'rule' on the path's project and checks the query. */
static int nb_cmp_quota_enforce(struct nb_req *req, const char *rule)
{
    json_t *t = json_pack("{s:{s:s}}", "target", "project_id", nb_req_param(req, 0));
    int r = nb_req_enforce(req, rule, t);
    json_decref(t);
    return r < 0 ? r : nb_cmp_query_strict(req, nb_cmp_quota_query);
}

static int nb_cmp_quota_reply(struct nb_req *req, enum nb_cmp_qview view, bool with_id)
{
    const char *project = nb_req_param(req, 0);
    const char *user = view == NB_CMP_QV_DEFAULTS ? NULL : nb_req_query(req, "user_id");
    struct nb_tx *tx = NULL;
    json_t *qs = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_quota_set(req, tx, project, user, view, &qs);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    if (with_id)
        json_object_set_new(qs, "id", json_string(project));
    return nb_reply_json(req, 200, json_pack("{s:o}", "quota_set", qs));
}

int nb_cmp_quota_show(struct nb_req *req)
{
    int r = nb_cmp_quota_enforce(req, "os_compute_api:os-quota-sets:show");
    return r < 0 ? r : nb_cmp_quota_reply(req, NB_CMP_QV_LIMITS, true);
}

int nb_cmp_quota_detail(struct nb_req *req)
{
    int r = nb_cmp_quota_enforce(req, "os_compute_api:os-quota-sets:detail");
    return r < 0 ? r : nb_cmp_quota_reply(req, NB_CMP_QV_DETAIL, true);
}

int nb_cmp_quota_defaults(struct nb_req *req)
{
    int r = nb_req_enforce(req, "os_compute_api:os-quota-sets:defaults", NULL);
    return r < 0 ? r : nb_cmp_quota_reply(req, NB_CMP_QV_DEFAULTS, true);
}

int nb_cmp_quota_delete(struct nb_req *req)
{
    const char *user = nb_req_query(req, "user_id");
    struct nb_tx *tx = NULL;
    int r = nb_cmp_quota_enforce(req, "os_compute_api:os-quota-sets:delete");
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0 && user)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_quotas WHERE project_id = ? AND"
                       " user_id = ?", "ss", nb_req_param(req, 0), user);
    else if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_quotas WHERE project_id = ?", "s",
                       nb_req_param(req, 0));
    return nb_cmp_commit_empty(req, tx, r, 202);
}

/* The bounds a new limit of 'q' must keep unless forced: at least what is
 * used, and for a user at most the project's limit (Nova's settable
 * quotas).  400 with Nova's message otherwise. */
static int nb_cmp_quota_bounds(struct nb_ctx *ctx, struct nb_tx *tx, const char *project,
                               const char *user, const char *name, int64_t value)
{
    int64_t used = 0, max = -1;
    int r = nb_cmp_quota_in_use(tx, project, user, name, &used);
    if (r == 0 && user)
        r = nb_cmp_quota_get(tx, project, NULL, name, &max);
    if (r < 0)
        return r;
    if (value != -1 && value < used)
        return nb_err_set(ctx, 400, "Quota limit %lld for %s must be greater than or"
                          " equal to already used and reserved %lld.",
                          (long long)value, name, (long long)used);
    if (max != -1 && (value == -1 || value > max))
        return nb_err_set(ctx, 400, "Quota limit %lld for %s must be less than or equal"
                          " to %lld.", (long long)value, name, (long long)max);
    return 0;
}

/* Validates every key of 'in' (the quota_set or quota_class_set object)
 * into 'vals' {resource: limit} (a new object); 'force' when given. */
static int nb_cmp_quota_parse(struct nb_req *req, const char *wrapper, const json_t *in,
                              bool classes, json_t **vals, bool *force)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    int mv = nb_req_mv(req);
    const char *k;
    json_t *v;
    *vals = json_object();
    json_object_foreach((json_t *)in, k, v) {
        const struct nb_cmp_qres *q = nb_cmp_qres_find(k);
        char path[128];
        int64_t n = 0;
        int r;
        snprintf(path, sizeof(path), "%s/%s", wrapper, k);
        if (!classes && force && strcmp(k, "force") == 0) {
            if (nb_cmp_bool_parse(v, force) < 0)
                return nb_cmp_bad_input(ctx, path, v, "is not one of the allowed values");
            continue;
        }
        /* classes accept the server group keys before 2.50 (not shown) */
        if (!q || (!nb_cmp_qres_shown(q, mv, classes) &&
                   !(classes && (q->flags & NB_CMP_Q_GROUPS)))) {
            return nb_cmp_bad_key(ctx, wrapper, in, k);
        }
        /* null, "" and false are skipped, as Nova does */
        if (json_is_null(v) || json_is_false(v) ||
            (json_is_string(v) && !*json_string_value(v)))
            continue;
        r = nb_cmp_quota_value(ctx, path, v, &n);
        if (r < 0)
            return r;
        json_object_set_new(*vals, k, json_integer(n));
    }
    return 0;
}

int nb_cmp_quota_update(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *project = nb_req_param(req, 0), *user = nb_req_query(req, "user_id");
    json_t *body, *in, *vals = NULL, *qs = NULL, *v;
    struct nb_tx *tx = NULL;
    bool force = false;
    const char *k;
    int r = nb_cmp_quota_enforce(req, "os_compute_api:os-quota-sets:update");
    if (r < 0)
        return r;
    if (!(body = nb_req_json(req)))
        return -EINVAL;
    in = json_object_get(body, "quota_set");
    if (!json_is_object(in) || json_object_size(body) != 1)
        return nb_cmp_bad_input(ctx, "quota_set", in ? in : body,
                                in ? "is not of type 'object'"
                                   : "'quota_set' is a required property");
    r = nb_cmp_quota_parse(req, "quota_set", in, false, &vals, &force);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_quota_lock(tx, project);
    json_object_foreach(vals, k, v) {
        if (r == 0 && !force)
            r = nb_cmp_quota_bounds(ctx, tx, project, user, k, json_integer_value(v));
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_quotas (project_id, user_id,"
                           " resource, hard_limit) VALUES (?, ?, ?, ?) ON CONFLICT"
                           " (project_id, user_id, resource) DO UPDATE SET"
                           " hard_limit = excluded.hard_limit", "sssi", project,
                           user ? user : "", k, (int64_t)json_integer_value(v));
    }
    if (r == 0)
        r = nb_cmp_quota_set(req, tx, project, user, NB_CMP_QV_LIMITS, &qs);
    json_decref(vals);
    return nb_cmp_commit_reply(req, tx, r, "quota_set", qs);
}

/* ---- os-quota-class-sets */

static int nb_cmp_class_set(struct nb_req *req, struct nb_tx *tx, const char *name,
                            json_t **out)
{
    json_t *qs = json_object();
    int r = 0;
    for (const struct nb_cmp_qres *q = nb_cmp_qres; r == 0 && q->name; q++) {
        int64_t limit;
        if (!nb_cmp_qres_shown(q, nb_req_mv(req), true))
            continue;
        r = nb_cmp_quota_class_get(tx, name, q->name, &limit);
        json_object_set_new(qs, q->name, json_integer(limit));
    }
    if (r < 0) {
        json_decref(qs);
        return r;
    }
    *out = qs;
    return 0;
}

int nb_cmp_quota_class_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *qs = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_class_set(req, tx, nb_req_param(req, 0), &qs);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    json_object_set_new(qs, "id", json_string(nb_req_param(req, 0)));
    return nb_reply_json(req, 200, json_pack("{s:o}", "quota_class_set", qs));
}

int nb_cmp_quota_class_update(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *name = nb_req_param(req, 0), *k;
    json_t *body = nb_req_json(req), *in, *vals = NULL, *qs = NULL, *v;
    struct nb_tx *tx = NULL;
    int r;
    if (!body)
        return -EINVAL;
    in = json_object_get(body, "quota_class_set");
    if (!json_is_object(in) || json_object_size(body) != 1)
        return nb_cmp_bad_input(ctx, "quota_class_set", in ? in : body,
                                in ? "is not of type 'object'"
                                   : "'quota_class_set' is a required property");
    if (strlen(name) > 255)
        return nb_err_set(ctx, 400, "quota_class_name has more than 255 characters.");
    r = nb_cmp_quota_parse(req, "quota_class_set", in, true, &vals, NULL);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    json_object_foreach(vals, k, v) {
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_quota_classes (class_name,"
                           " resource, hard_limit) VALUES (?, ?, ?) ON CONFLICT"
                           " (class_name, resource) DO UPDATE SET"
                           " hard_limit = excluded.hard_limit", "ssi", name, k,
                           (int64_t)json_integer_value(v));
    }
    if (r == 0)
        r = nb_cmp_class_set(req, tx, name, &qs);
    json_decref(vals);
    return nb_cmp_commit_reply(req, tx, r, "quota_class_set", qs);
}

/* ---- limits */

/* Nova's absolute limit names per resource (views/limits.py). */
static const char *const nb_cmp_limit_names[][3] = {
    {"ram", "maxTotalRAMSize", NULL},
    {"instances", "maxTotalInstances", NULL},
    {"cores", "maxTotalCores", NULL},
    {"key_pairs", "maxTotalKeypairs", NULL},
    {"floating_ips", "maxTotalFloatingIps", NULL},
    {"metadata_items", "maxServerMeta", "maxImageMeta"},
    {"injected_files", "maxPersonality", NULL},
    {"injected_file_content_bytes", "maxPersonalitySize", NULL},
    {"security_groups", "maxSecurityGroups", NULL},
    {"security_group_rules", "maxSecurityGroupRules", NULL},
    {"server_groups", "maxServerGroups", NULL},
    {"server_group_members", "maxServerGroupMembers", NULL},
};

static const char *const nb_cmp_used_names[][2] = {
    {"totalRAMUsed", "ram"}, {"totalCoresUsed", "cores"},
    {"totalInstancesUsed", "instances"}, {"totalFloatingIpsUsed", "floating_ips"},
    {"totalSecurityGroupsUsed", "security_groups"},
    {"totalServerGroupsUsed", "server_groups"},
};

/* Whether /limits shows resource 'name' at 'mv'. */
static bool nb_cmp_limit_shown(const char *name, int mv)
{
    if (mv >= NB_MV(2, 36) && (strcmp(name, "floating_ips") == 0 ||
                               strcmp(name, "security_groups") == 0 ||
                               strcmp(name, "security_group_rules") == 0))
        return false;
    return !(mv >= NB_MV(2, 57) && (strcmp(name, "injected_files") == 0 ||
                                    strcmp(name, "injected_file_content_bytes") == 0));
}

static int nb_cmp_limits_build(struct nb_req *req, struct nb_tx *tx, const char *project,
                               json_t *abs)
{
    int mv = nb_req_mv(req);
    int r = 0;
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(nb_cmp_limit_names); i++) {
        int64_t limit;
        if (!nb_cmp_limit_shown(nb_cmp_limit_names[i][0], mv))
            continue;
        r = nb_cmp_quota_get(tx, project, NULL, nb_cmp_limit_names[i][0], &limit);
        for (int j = 1; r == 0 && j < 3 && nb_cmp_limit_names[i][j]; j++)
            if (mv < NB_MV(2, 39) || strcmp(nb_cmp_limit_names[i][j], "maxImageMeta"))
                json_object_set_new(abs, nb_cmp_limit_names[i][j], json_integer(limit));
    }
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(nb_cmp_used_names); i++) {
        int64_t used;
        if (!nb_cmp_limit_shown(nb_cmp_used_names[i][1], mv))
            continue;
        r = nb_cmp_quota_in_use(tx, project, NULL, nb_cmp_used_names[i][1], &used);
        json_object_set_new(abs, nb_cmp_used_names[i][0], json_integer(used));
    }
    return r;
}

int nb_cmp_limits_show(struct nb_req *req)
{
    static const char *const keys[] = {"tenant_id", NULL};
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *project = nb_req_query(req, "tenant_id");
    struct nb_tx *tx = NULL;
    json_t *abs = json_object();
    int r = nb_req_enforce(req, "os_compute_api:limits", NULL);
    if (r == 0 && project)
        r = nb_req_enforce(req, "os_compute_api:limits:other_project", NULL);
    if (r == 0)
        r = nb_cmp_query_strict(req, keys);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_limits_build(req, tx, project ? project : ctx->caller.project.id, abs);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(abs);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:{s:[],s:o}}", "limits", "rate",
                                             "absolute", abs));
}
