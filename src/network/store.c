/* The generic document store under every Neutron resource, the standard
 * attributes, the Neutron error body, quotas, and small validators. */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>

const struct nb_net_kind nb_net_networks = {
    "network", "networks", "net_networks", "NetworkNotFound", "Network", true};
const struct nb_net_kind nb_net_subnets = {
    "subnet", "subnets", "net_subnets", "SubnetNotFound", "Subnet", true};
const struct nb_net_kind nb_net_subnetpools = {
    "subnetpool", "subnetpools", "net_subnetpools", "SubnetPoolNotFound",
    "Subnet pool", true};
const struct nb_net_kind nb_net_ports = {
    "port", "ports", "net_ports", "PortNotFound", "Port", false};
const struct nb_net_kind nb_net_secgroups = {
    "security_group", "security_groups", "net_secgroups",
    "SecurityGroupNotFound", "Security group", false};
const struct nb_net_kind nb_net_sgrules = {
    "security_group_rule", "security_group_rules", "net_sgrules",
    "SecurityGroupRuleNotFound", "Security group rule", false};

/* ---- errors: the type travels in the message as "\x01Type\x01text" */

int nb_net_err(struct nb_ctx *ctx, int status, const char *type,
               const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return nb_err_set(ctx, status, "\x01%s\x01%s", type, msg);
}

static const char *nb_net_type_of_status(int status)
{
    switch (status) {
    case 400: return "HTTPBadRequest";
    case 401: return "HTTPUnauthorized";
    case 403: return "HTTPForbidden";
    case 404: return "HTTPNotFound";
    case 405: return "HTTPMethodNotAllowed";
    case 409: return "HTTPConflict";
    case 413: return "HTTPRequestEntityTooLarge";
    case 415: return "HTTPUnsupportedMediaType";
    default: return "HTTPInternalServerError";
    }
}

json_t *nb_net_render_error(int status, const char *title, const char *msg)
{
    char type[128];
    const char *end;
    (void)title;
    snprintf(type, sizeof(type), "%s", nb_net_type_of_status(status));
    if (msg[0] == '\x01' && (end = strchr(msg + 1, '\x01'))) {
        snprintf(type, sizeof(type), "%.*s", (int)(end - msg - 1), msg + 1);
        msg = end + 1;
    }
    return json_pack("{s:{s:s,s:s,s:s}}", "NeutronError", "type", type,
                     "message", msg, "detail", "");
}

/* ---- callers */

bool nb_net_is_admin(const struct nb_ctx *ctx)
{
    return nb_caller_has_role(&ctx->caller, "admin");
}

int nb_net_project_of(struct nb_ctx *ctx, const json_t *in, const char **out)
{
    const char *p = nb_json_str(in, "project_id");
    const char *t = nb_json_str(in, "tenant_id");
    if ((json_object_get(in, "project_id") && !p) ||
        (json_object_get(in, "tenant_id") && !t))
        return nb_net_err(ctx, 400, "HTTPBadRequest",
                          "Invalid input for project_id: not a string.");
    if (p && t && strcmp(p, t))
        return nb_net_err(ctx, 400, "HTTPBadRequest",
                          "'project_id' and 'tenant_id' do not match");
    if (!p)
        p = t;
    if (p && *p && strcmp(p, ctx->caller.project.id) && !nb_net_is_admin(ctx))
        return nb_net_err(ctx, 403, "HTTPForbidden",
                          "Specifying 'project_id' or 'tenant_id' other than "
                          "the authenticated project in request requires "
                          "admin privileges");
    if (p && strlen(p) > 255)
        return nb_net_err(ctx, 400, "HTTPBadRequest",
                          "Invalid input for project_id: too long.");
    *out = p && *p ? p : ctx->caller.project.id;
    return 0;
}

/* ---- rows */

static json_t *nb_net_parse_doc(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_object();
}

int nb_net_load_raw(struct nb_tx *tx, const struct nb_net_kind *k,
                    const char *id, json_t **out)
{
    char *sql = nb_xasprintf("SELECT doc FROM %s WHERE id = ?", k->table);
    char *doc = NULL;
    int r = nb_tx_query_str(tx, &doc, sql, "s", id);
    free(sql);
    if (r == 0)
        *out = nb_net_parse_doc(doc);
    free(doc);
    return r;
}

bool nb_net_public(const json_t *doc)
{
    return json_is_true(json_object_get(doc, "shared")) ||
           json_is_true(json_object_get(doc, "router:external"));
}

int nb_net_load(struct nb_ctx *ctx, struct nb_tx *tx,
                const struct nb_net_kind *k, const char *id, json_t **out)
{
    char *sql = nb_xasprintf("SELECT doc, flag FROM %s WHERE id = ?", k->table);
    struct nb_stmt *st = NULL;
    json_t *doc = NULL;
    bool visible = false;
    int r = nb_tx_query(tx, &st, sql, "s", id);
    free(sql);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        const char *p;
        doc = nb_net_parse_doc(nb_stmt_text(st, 0));
        p = nb_json_str(doc, "project_id");
        /* the caller's project, everyone's (flag: shared/external), admins */
        visible = nb_net_is_admin(ctx) || (p && !strcmp(p, ctx->caller.project.id)) ||
                  (k->shared_visible && nb_stmt_int(st, 1));
        r = 0;
    } else if (r == 0) {
        r = -ENOENT;
    }
    nb_stmt_done(st);
    if (r == -ENOENT || (r == 0 && !visible)) {
        json_decref(doc);
        return nb_net_err(ctx, 404, k->not_found, "%s %s could not be found.",
                          k->noun, id);
    }
    if (r < 0)
        return r;
    *out = doc;
    return 0;
}

int nb_net_store(struct nb_tx *tx, const struct nb_net_kind *k,
                 const json_t *doc, const char *parent, bool flag)
{
    char *text = nb_json_dump(doc);
    char *sql = nb_xasprintf(
        "INSERT INTO %s (id, project_id, parent, flag, doc) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET project_id = excluded.project_id,"
        " parent = excluded.parent, flag = excluded.flag, doc = excluded.doc",
        k->table);
    int r = nb_tx_exec(tx, NULL, sql, "sssbs", nb_json_str(doc, "id"),
                       nb_json_str(doc, "project_id"), parent, flag, text);
    free(sql);
    free(text);
    return r;
}

int nb_net_save(struct nb_tx *tx, const struct nb_net_kind *k, const json_t *doc)
{
    const json_t *shared = json_object_get(doc, "shared");
    char *text = nb_json_dump(doc), *sql;
    int r;
    if (k->shared_visible && shared) {
        sql = nb_xasprintf("UPDATE %s SET doc = ?, flag = ? WHERE id = ?", k->table);
        r = nb_tx_exec(tx, NULL, sql, "sbs", text, nb_net_public(doc),
                       nb_json_str(doc, "id"));
    } else {
        sql = nb_xasprintf("UPDATE %s SET doc = ? WHERE id = ?", k->table);
        r = nb_tx_exec(tx, NULL, sql, "ss", text, nb_json_str(doc, "id"));
    }
    free(sql);
    free(text);
    return r;
}

int nb_net_remove(struct nb_tx *tx, const struct nb_net_kind *k, const char *id)
{
    char *sql = nb_xasprintf("DELETE FROM %s WHERE id = ?", k->table);
    int r = nb_tx_exec(tx, NULL, sql, "s", id);
    free(sql);
    return r;
}

int nb_net_load_all(struct nb_tx *tx, const struct nb_net_kind *k,
                    const char *parent, json_t **out)
{
    struct nb_stmt *st = NULL;
    char *sql = nb_xasprintf("SELECT doc FROM %s%s ORDER BY id", k->table,
                             parent ? " WHERE parent = ?" : "");
    int r = parent ? nb_tx_query(tx, &st, sql, "s", parent)
                   : nb_tx_query(tx, &st, sql, "");
    json_t *arr = json_array();
    free(sql);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(arr, nb_net_parse_doc(nb_stmt_text(st, 0)));
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0) {
        json_decref(arr);
        return r;
    }
    *out = arr;
    return 0;
}

int nb_net_count(struct nb_tx *tx, const struct nb_net_kind *k,
                 const char *project_id, int64_t *n)
{
    char *sql = nb_xasprintf("SELECT count(*) FROM %s WHERE project_id = ?",
                             k->table);
    int r = nb_tx_query_int(tx, n, sql, "s", project_id);
    free(sql);
    return r;
}

/* ---- standard attributes */

static void nb_net_now(char out[NB_TIME_LEN])
{
    nb_time_fmt(nb_now_us(), 0, out);
}

void nb_net_std_new(json_t *doc, const char *project_id)
{
    char t[NB_TIME_LEN], id[37];
    if (!nb_json_str(doc, "id")) {
        nb_uuid_dashed(id);
        json_object_set_new(doc, "id", json_string(id));
    }
    nb_net_now(t);
    json_object_set_new(doc, "project_id", json_string(project_id));
    json_object_set_new(doc, "tenant_id", json_string(project_id));
    json_object_set_new(doc, "created_at", json_string(t));
    json_object_set_new(doc, "updated_at", json_string(t));
    json_object_set_new(doc, "revision_number", json_integer(0));
    if (!json_object_get(doc, "tags"))
        json_object_set_new(doc, "tags", json_array());
    if (!nb_json_str(doc, "description"))
        json_object_set_new(doc, "description", json_string(""));
}

void nb_net_std_touch(json_t *doc)
{
    char t[NB_TIME_LEN];
    json_int_t rev = json_integer_value(json_object_get(doc, "revision_number"));
    nb_net_now(t);
    json_object_set_new(doc, "updated_at", json_string(t));
    json_object_set_new(doc, "revision_number", json_integer(rev + 1));
}

int nb_net_check_str(struct nb_ctx *ctx, const json_t *in, const char *key,
                     size_t max)
{
    const json_t *v = json_object_get(in, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || (max && json_string_length(v) > max)) {
        char *repr = nb_json_repr(v);
        int r = nb_net_err(ctx, 400, "HTTPBadRequest",
                           "Invalid input for %s. Reason: '%s' is not a valid "
                           "string%s.", key, repr,
                           json_is_string(v) ? " (too long)" : "");
        free(repr);
        return r;
    }
    return 0;
}

int nb_net_check_bool(struct nb_ctx *ctx, const json_t *in, const char *key)
{
    const json_t *v = json_object_get(in, key);
    if (!v || json_is_boolean(v))
        return 0;
    char *repr = nb_json_repr(v);
    int r = nb_net_err(ctx, 400, "HTTPBadRequest",
                       "Invalid input for %s. Reason: '%s' cannot be converted "
                       "to boolean.", key, repr);
    free(repr);
    return r;
}

int nb_net_check_known(struct nb_ctx *ctx, const json_t *in,
                       const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v) {
        size_t i;
        for (i = 0; allowed[i] && strcmp(allowed[i], key); i++)
            ;
        if (!allowed[i])
            return nb_net_err(ctx, 400, "HTTPBadRequest",
                              "Unrecognized attribute(s) '%s'", key);
    }
    return 0;
}

int nb_net_std_update(struct nb_ctx *ctx, const json_t *in, json_t *doc)
{
    static const char *const keys[] = {"name", "description"};
    for (size_t i = 0; i < NB_ARRAY_SIZE(keys); i++) {
        int r = nb_net_check_str(ctx, in, keys[i], 255);
        if (r < 0)
            return r;
        if (json_object_get(in, keys[i]))
            json_object_set(doc, keys[i], json_object_get(in, keys[i]));
    }
    return 0;
}

/* ---- quotas */

int nb_net_quota_check(struct nb_ctx *ctx, struct nb_tx *tx,
                       const struct nb_net_kind *k, const char *resource,
                       const char *project_id)
{
    char opt[64];
    int64_t limit, used = 0;
    int r = nb_tx_query_int(tx, &limit,
                            "SELECT qlimit FROM net_quotas WHERE project_id = ?"
                            " AND resource = ?", "ss", project_id, resource);
    if (r == -ENOENT) {
        snprintf(opt, sizeof(opt), "quota_%s", resource);
        limit = nb_conf_int("network", opt);
        r = 0;
    }
    if (r < 0 || limit < 0)
        return r;
    /* count under the project's lock row, so two creates cannot both see
     * room for one */
    r = nb_tx_exec(tx, NULL, "INSERT INTO net_quota_locks (project_id, resource, n)"
                   " VALUES (?, ?, 1) ON CONFLICT (project_id, resource)"
                   " DO UPDATE SET n = net_quota_locks.n + 1", "ss", project_id,
                   resource);
    if (r == 0)
        r = nb_net_count(tx, k, project_id, &used);
    if (r < 0)
        return r;
    if (used + 1 > limit)
        return nb_net_err(ctx, 409, "OverQuota",
                          "Quota exceeded for resources: ['%s'].", resource);
    return 0;
}
