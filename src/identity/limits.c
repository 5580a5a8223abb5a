/* Unified limits (keystone/api/{registered_limits,limits}.py,
 * keystone/limit/): a registered limit is a service's default for one
 * resource (per region); a limit overrides it for one project or domain.
 * Both are created in batches.  The enforcement model is "flat". */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

#define NB_LIMIT_MAX 0x7FFFFFFF       /* a signed SQL INT, as Keystone's schema */

#define NB_EXPECTING "Expecting to find %s in %s. The server could not comply with " \
                     "the request since it is either malformed or otherwise incorrect. " \
                     "The client is assumed to be in error."

/* ---- validation (keystone/limit/schema.py) */

enum nb_lkind { NB_L_ID, NB_L_REGION, NB_L_REGION_STR, NB_L_NAME, NB_L_AMOUNT, NB_L_DESC };

struct nb_lprop {
    const char *name;
    enum nb_lkind kind;
};

/* Checks one property value; 400 set on 'ctx' when it is wrong. */
static int nb_limit_check_prop(struct nb_ctx *ctx, const char *field, enum nb_lkind kind,
                               const json_t *v)
{
    const char *s;
    char why[64];
    switch (kind) {
    case NB_L_ID:
        if (!json_is_string(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'string'");
        s = json_string_value(v);
        if (!*s)
            return nb_err_invalid(ctx, field, v, "is too short");
        if (strlen(s) > 64)
            return nb_err_invalid(ctx, field, v, "is too long");
        if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
            strlen(s))
            return nb_err_invalid(ctx, field, v, "does not match '^[a-zA-Z0-9-]+$'");
        return 0;
    case NB_L_REGION:
        if (!json_is_null(v) && !json_is_string(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'null', 'string'");
        return 0;
    case NB_L_REGION_STR:
        if (!json_is_string(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'string'");
        return 0;
    case NB_L_NAME:
        if (!json_is_string(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'string'");
        if (!*json_string_value(v))
            return nb_err_invalid(ctx, field, v, "is too short");
        if (strlen(json_string_value(v)) > 255)
            return nb_err_invalid(ctx, field, v, "is too long");
        return 0;
    case NB_L_AMOUNT:
        if (!json_is_integer(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'integer'");
        if (json_integer_value(v) < -1)
            return nb_err_invalid(ctx, field, v, "is less than the minimum of -1");
        if (json_integer_value(v) > NB_LIMIT_MAX) {
            snprintf(why, sizeof(why), "is greater than the maximum of %d", NB_LIMIT_MAX);
            return nb_err_invalid(ctx, field, v, why);
        }
        return 0;
    case NB_L_DESC:
        if (!json_is_null(v) && !json_is_string(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'string', 'null'");
        return 0;
    }
    return 0;
}

/* Validates object 'item' (the i-th of a batch, or the body of an update
 * when i < 0) against 'props', in jsonschema's order: property types,
 * then unknown properties, then required ones. */
static int nb_limit_check_object(struct nb_ctx *ctx, const json_t *item, long i,
                                 const struct nb_lprop *props, size_t n,
                                 const char *const *required)
{
    char field[96], at[32];
    const char *key;
    json_t *v;
    int r;

    snprintf(at, sizeof(at), "%ld", i);
    if (!json_is_object(item))
        return nb_err_invalid(ctx, i < 0 ? NULL : at, item, "is not of type 'object'");
    for (size_t k = 0; k < n; k++) {
        if (!(v = json_object_get(item, props[k].name)))
            continue;
        if (i < 0)
            snprintf(field, sizeof(field), "%s", props[k].name);
        else
            snprintf(field, sizeof(field), "%ld/%s", i, props[k].name);
        if ((r = nb_limit_check_prop(ctx, field, props[k].kind, v)) < 0)
            return r;
    }
    json_object_foreach((json_t *)item, key, v) {
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = strcmp(props[k].name, key) == 0;
        if (!known)
            return i < 0 ? nb_err_set(ctx, 400, "Additional properties are not allowed "
                                                "('%s' was unexpected)", key)
                         : nb_err_set(ctx, 400, "Invalid input for field '%s': Additional "
                                                "properties are not allowed ('%s' was "
                                                "unexpected)", at, key);
    }
    for (; required && *required; required++)
        if (!json_object_get(item, *required))
            return i < 0 ? nb_err_set(ctx, 400, "'%s' is a required property", *required)
                         : nb_err_set(ctx, 400, "Invalid input for field '%s': '%s' is a "
                                                "required property", at, *required);
    return 0;
}

static const struct nb_lprop nb_reglimit_props[] = {
    {"service_id", NB_L_ID},  {"region_id", NB_L_REGION}, {"resource_name", NB_L_NAME},
    {"default_limit", NB_L_AMOUNT}, {"description", NB_L_DESC},
};

static const struct nb_lprop nb_project_limit_props[] = {
    {"project_id", NB_L_ID},   {"service_id", NB_L_ID},        {"region_id", NB_L_REGION_STR},
    {"resource_name", NB_L_NAME}, {"resource_limit", NB_L_AMOUNT}, {"description", NB_L_DESC},
};

static const struct nb_lprop nb_domain_limit_props[] = {
    {"domain_id", NB_L_ID},    {"service_id", NB_L_ID},        {"region_id", NB_L_REGION_STR},
    {"resource_name", NB_L_NAME}, {"resource_limit", NB_L_AMOUNT}, {"description", NB_L_DESC},
};

/* The batch under 'key' of the body: a non-empty array (borrowed), or
 * NULL with 400 set. */
static const json_t *nb_limit_batch(struct nb_req *req, const char *key)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req), *empty;
    const json_t *list;
    if (!body)
        return NULL;
    list = json_object_get(body, key);
    if (!list) {
        empty = json_object();
        nb_err_invalid(ctx, NULL, empty, "is not of type 'array'");
        json_decref(empty);
        return NULL;
    }
    if (!json_is_array(list)) {
        nb_err_invalid(ctx, NULL, list, "is not of type 'array'");
        return NULL;
    }
    if (!json_array_size(list)) {
        nb_err_invalid(ctx, NULL, list, "is too short");
        return NULL;
    }
    return list;
}

/* ---- references (limit/core.py _assert_resource_exist) */

static int nb_limit_count(struct nb_tx *tx, int64_t *n, const char *sql, const char *id)
{
    return nb_tx_query_int(tx, n, sql, "s", id);
}

/* The service and region of a (registered) limit must exist; 'what' names
 * the entity in the 400. */
static int nb_limit_check_refs(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *obj,
                               const char *what)
{
    const char *svc = nb_json_str(obj, "service_id"), *region = nb_json_str(obj, "region_id");
    int64_t n = 0;
    int r;
    if (svc) {
        r = nb_limit_count(tx, &n, "SELECT count(*) FROM services WHERE id = ?", svc);
        if (r < 0)
            return r;
        if (!n)
            return nb_err_set(ctx, 400, NB_EXPECTING, "service_id", what);
    }
    if (region) {
        r = nb_limit_count(tx, &n, "SELECT count(*) FROM regions WHERE id = ?", region);
        if (r < 0)
            return r;
        if (!n)
            return nb_err_set(ctx, 400, NB_EXPECTING, "region_id", what);
    }
    return 0;
}

/* The registered limit that (service, region, resource) names: 1 with
 * its id, 0 when none (other than 'except'), <0 on error. */
static int nb_reglimit_find(struct nb_tx *tx, const json_t *obj, const char *except,
                            char id[NB_IDSZ])
{
    char *found = NULL;
    int r = nb_tx_query_str(tx, &found,
                            "SELECT id FROM registered_limits WHERE service_id = ? AND "
                            "coalesce(region_id, '') = coalesce(?, '') AND "
                            "resource_name = ? AND id <> ?",
                            "ssss", nb_json_str(obj, "service_id"),
                            nb_json_str(obj, "region_id"), nb_json_str(obj, "resource_name"),
                            except ? except : "");
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    snprintf(id, NB_IDSZ, "%s", found);
    free(found);
    return 1;
}

/* Project limits hang off a registered limit while they exist. */
static int nb_reglimit_check_unreferenced(struct nb_ctx *ctx, struct nb_tx *tx,
                                          const json_t *cur)
{
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM limits WHERE service_id = ? AND "
                                    "coalesce(region_id, '') = coalesce(?, '') AND "
                                    "resource_name = ?",
                            "sss", nb_json_str(cur, "service_id"),
                            nb_json_str(cur, "region_id"), nb_json_str(cur, "resource_name"));
    if (r == 0 && n)
        r = nb_err_set(ctx, 403, "Unable to update or delete registered limit %s because "
                                 "there are project limits associated with it.",
                       nb_json_str(cur, "id"));
    return r;
}

/* ---- registered limits */

static int nb_reglimit_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                               const json_t *cur)
{
    const json_t *v = json_object_get(obj, "default_limit");
    char other[NB_IDSZ];
    json_t *merged;
    int r;

    if (v && (r = nb_limit_check_prop(ctx, "default_limit", NB_L_AMOUNT, v)) < 0)
        return r;
    if ((r = nb_limit_check_refs(ctx, tx, obj, "registered_limit")) < 0)
        return r;
    if (!cur)
        return 0;
    if ((r = nb_reglimit_check_unreferenced(ctx, tx, cur)) < 0)
        return r;
    if (!json_object_get(obj, "service_id") && !json_object_get(obj, "region_id") &&
        !json_object_get(obj, "resource_name"))
        return 0;
    merged = json_deep_copy(cur);
    json_object_update(merged, obj);
    r = nb_reglimit_find(tx, merged, nb_json_str(cur, "id"), other);
    json_decref(merged);
    if (r > 0)
        return nb_err_set(ctx, 409, "Conflict occurred attempting to store registered_limit "
                                    "- Duplicate entry.");
    return r;
}

static int nb_reglimit_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    return nb_reglimit_check_unreferenced(ctx, tx, cur);
}

const struct nb_id_kind nb_kind_registered_limit = {
    .res = &nb_res_registered_limit,
    .collection = "/v3/registered_limits",
    .prepare = nb_reglimit_prepare,
    .before_delete = nb_reglimit_before_delete,
};

/* Replies 201 {plural: [the stored entities, linked]} (no collection
 * links: Keystone pops them). */
static int nb_limit_reply_batch(struct nb_req *req, struct nb_tx *tx,
                                const struct nb_id_kind *kind, const struct nb_sql *ids)
{
    json_t *list = json_array();
    for (int i = 0; i < ids->n; i++) {
        json_t *obj = NULL;
        int r = nb_res_get(nb_req_ctx(req), tx, kind->res, ids->args[i].s, &obj);
        if (r < 0) {
            json_decref(list);
            return r;
        }
        nb_id_link(req, obj, kind->collection);
        json_array_append_new(list, obj);
    }
    return nb_reply_json(req, 201, json_pack("{s:o}", kind->res->plural, list));
}

int nb_id_registered_limits_create(struct nb_req *req)
{
    static const char *const required[] = {"service_id", "resource_name", "default_limit",
                                           NULL};
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *batch = nb_limit_batch(req, "registered_limits"), *item;
    struct nb_sql ids = {0};
    struct nb_tx *tx = NULL;
    size_t i;
    int r = 0;

    if (!batch)
        return -EINVAL;
    json_array_foreach(batch, i, item)
        if (r == 0)
            r = nb_limit_check_object(ctx, item, (long)i, nb_reglimit_props,
                                      NB_ARRAY_SIZE(nb_reglimit_props), required);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    json_array_foreach(batch, i, item)
        if (r == 0)
            r = nb_limit_check_refs(ctx, tx, item, "registered_limit");
    json_array_foreach(batch, i, item) {
        json_t *obj;
        char id[NB_ID_HEX_LEN + 1], other[NB_IDSZ];
        if (r < 0)
            break;
        r = nb_reglimit_find(tx, item, NULL, other);
        if (r > 0) {
            r = nb_err_set(ctx, 409, "Conflict occurred attempting to store "
                                     "registered_limit - Duplicate entry.");
            break;
        }
        nb_uuid_hex(id);
        obj = json_pack("{s:s,s:O,s:O,s:O,s:O,s:O}", "id", id, "service_id",
                        json_object_get(item, "service_id"), "region_id",
                        json_object_get(item, "region_id") ? json_object_get(item, "region_id")
                                                           : json_null(),
                        "resource_name", json_object_get(item, "resource_name"),
                        "default_limit", json_object_get(item, "default_limit"),
                        "description",
                        json_object_get(item, "description") ? json_object_get(item, "description")
                                                             : json_null());
        if (r == 0)
            r = nb_res_insert(ctx, tx, &nb_res_registered_limit, obj);
        json_decref(obj);
        if (r == 0)
            nb_sql_text(&ids, id);
    }
    if (r == 0)
        r = nb_limit_reply_batch(req, tx, &nb_kind_registered_limit, &ids);
    r = nb_id_finish(tx, r);
    nb_sql_free(&ids);
    return r;
}

/* ---- project and domain limits */

static int nb_limit_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                            const json_t *cur)
{
    const json_t *v = json_object_get(obj, "resource_limit");
    (void)tx;
    (void)cur;
    return v ? nb_limit_check_prop(ctx, "resource_limit", NB_L_AMOUNT, v) : 0;
}

/* What the caller's scope shows (api/limits.py _list_limits): everything
 * to the system, a domain's limits and its projects' to the domain, a
 * project's own to the project, nothing unscoped. */
static int nb_limit_list_where(struct nb_ctx *ctx, struct nb_req *req, struct nb_sql *where)
{
    const struct nb_caller *c = &ctx->caller;
    (void)req;
    if (c->system_scope)
        return 0;
    if (c->domain.id[0]) {
        nb_sql_add(where, "domain_id = ? OR project_id IN (SELECT id FROM projects WHERE "
                          "domain_id = ?)");
        nb_sql_text(where, c->domain.id);
        nb_sql_text(where, c->domain.id);
    } else if (c->project.id[0]) {
        nb_sql_add(where, "project_id = ?");
        nb_sql_text(where, c->project.id);
    } else {
        nb_sql_add(where, "1 = 0");
    }
    return 0;
}

const struct nb_id_kind nb_kind_limit = {
    .res = &nb_res_limit,
    .collection = "/v3/limits",
    .prepare = nb_limit_prepare,
    .list_where = nb_limit_list_where,
};

/* One limit of a batch: a project limit or a domain limit (the schema's
 * oneOf), whose message is the same whichever part is wrong. */
static int nb_limit_check_item(struct nb_ctx *ctx, const json_t *item, long i)
{
    static const char *const preq[] = {"project_id", "service_id", "resource_name",
                                       "resource_limit", NULL};
    static const char *const dreq[] = {"domain_id", "service_id", "resource_name",
                                       "resource_limit", NULL};
    struct nb_ctx scratch = {0};
    char at[32];
    if (!json_is_object(item)) {
        snprintf(at, sizeof(at), "%ld", i);
        return nb_err_invalid(ctx, at, item, "is not of type 'object'");
    }
    if (nb_limit_check_object(&scratch, item, i, nb_project_limit_props,
                              NB_ARRAY_SIZE(nb_project_limit_props), preq) == 0)
        return 0;
    scratch.err_status = 0;
    if (nb_limit_check_object(&scratch, item, i, nb_domain_limit_props,
                              NB_ARRAY_SIZE(nb_domain_limit_props), dreq) == 0)
        return 0;
    snprintf(at, sizeof(at), "%ld", i);
    return nb_err_invalid(ctx, at, item, "is not valid under any of the given schemas");
}

/* Resolves the target of a limit: a project, or a domain (also when named
 * as project_id, since domains are projects in Keystone).  Normalises
 * 'obj' to carry exactly one of project_id / domain_id. */
static int nb_limit_target(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj)
{
    const char *project = nb_json_str(obj, "project_id"), *domain;
    int64_t n = 0;
    int r;
    if (project) {
        r = nb_limit_count(tx, &n, "SELECT count(*) FROM projects WHERE id = ?", project);
        if (r < 0)
            return r;
        if (n) {
            json_object_set_new(obj, "domain_id", json_null());
            return 0;
        }
        r = nb_limit_count(tx, &n, "SELECT count(*) FROM domains WHERE id = ?", project);
        if (r < 0)
            return r;
        if (!n)
            return nb_err_set(ctx, 400, NB_EXPECTING, "project_id", "limit");
        json_object_set(obj, "domain_id", json_object_get(obj, "project_id"));
        json_object_set_new(obj, "project_id", json_null());
        return 0;
    }
    domain = nb_json_str(obj, "domain_id");
    r = nb_limit_count(tx, &n, "SELECT count(*) FROM domains WHERE id = ?", domain);
    if (r == 0 && !n)
        r = nb_err_set(ctx, 400, NB_EXPECTING, "domain_id", "limit");
    json_object_set_new(obj, "project_id", json_null());
    return r;
}

/* Stores one checked limit: it needs its registered limit, and one limit
 * per project (domain) and registered limit. */
static int nb_limit_store(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj)
{
    char reg[NB_IDSZ];
    int64_t n = 0;
    int r = nb_reglimit_find(tx, obj, NULL, reg);
    if (r == 0)
        return nb_err_set(ctx, 403, "Unable to create a limit that has no corresponding "
                                    "registered limit.");
    if (r < 0)
        return r;
    r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM limits WHERE service_id = ? AND "
                                "coalesce(region_id, '') = coalesce(?, '') AND "
                                "resource_name = ? AND coalesce(project_id, '') = "
                                "coalesce(?, '') AND coalesce(domain_id, '') = coalesce(?, '')",
                        "sssss", nb_json_str(obj, "service_id"), nb_json_str(obj, "region_id"),
                        nb_json_str(obj, "resource_name"), nb_json_str(obj, "project_id"),
                        nb_json_str(obj, "domain_id"));
    if (r == 0 && n)
        return nb_err_set(ctx, 409, "Conflict occurred attempting to store limit - "
                                    "Duplicate entry.");
    if (r == 0)
        r = nb_res_insert(ctx, tx, &nb_res_limit, obj);
    return r;
}

int nb_id_limits_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *batch = nb_limit_batch(req, "limits"), *item;
    json_t *objs = json_array(), *obj;
    struct nb_sql ids = {0};
    struct nb_tx *tx = NULL;
    size_t i;
    int r = batch ? 0 : -EINVAL;

    json_array_foreach(batch, i, item)
        if (r == 0)
            r = nb_limit_check_item(ctx, item, (long)i);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    json_array_foreach(batch, i, item) {
        char id[NB_ID_HEX_LEN + 1];
        obj = json_deep_copy(item);
        nb_uuid_hex(id);
        json_object_set_new(obj, "id", json_string(id));
        if (!json_object_get(obj, "region_id"))
            json_object_set_new(obj, "region_id", json_null());
        if (!json_object_get(obj, "description"))
            json_object_set_new(obj, "description", json_null());
        json_array_append_new(objs, obj);
        if (r == 0)
            r = nb_limit_check_refs(ctx, tx, obj, "limit");
        if (r == 0)
            r = nb_limit_target(ctx, tx, obj);
    }
    json_array_foreach(objs, i, obj) {
        if (r == 0)
            r = nb_limit_store(ctx, tx, obj);
        if (r == 0)
            nb_sql_text(&ids, nb_json_str(obj, "id"));
    }
    if (r == 0)
        r = nb_limit_reply_batch(req, tx, &nb_kind_limit, &ids);
    r = nb_id_finish(tx, r);
out:
    json_decref(objs);
    nb_sql_free(&ids);
    return r;
}

int nb_id_limit_model(struct nb_req *req)
{
    return nb_reply_json(req, 200,
                         json_pack("{s:{s:s,s:s}}", "model", "name", "flat", "description",
                                   "Limit enforcement and validation does not take project "
                                   "hierarchy into consideration."));
}
