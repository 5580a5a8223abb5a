/* The service catalog's entities: regions, services, endpoints, and
 * endpoint groups / project endpoints (OS-EP-FILTER). */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- regions */

static int nb_region_exists(struct nb_tx *tx, const char *id)
{
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM regions WHERE id = ?", "s", id);
    return r < 0 ? r : n > 0;
}

static int nb_region_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                             const json_t *cur)
{
    const char *parent = nb_json_str(obj, "parent_region_id");
    const char *id = cur ? nb_json_str(cur, "id") : nb_json_str(obj, "id");
    char at[NB_IDSZ * 4];
    int r;

    if (json_is_null(json_object_get(obj, "description")))
        json_object_set_new(obj, "description", json_string(""));
    if (!cur) {
        r = nb_region_exists(tx, id);
        if (r > 0)
            return nb_err_set(ctx, 409, "Conflict occurred attempting to store region - "
                                        "Duplicate ID, %s.", id);
        if (r < 0)
            return r;
    }
    if (!parent)
        return 0;
    r = nb_region_exists(tx, parent);
    if (r == 0)
        return nb_err_set(ctx, 404, "Could not find region: %s.", parent);
    /* walk up from the new parent: meeting ourselves would be a cycle */
    snprintf(at, sizeof(at), "%s", parent);
    for (int depth = 0; r > 0 && depth < 64; depth++) {
        char *up = NULL;
        if (strcmp(at, id) == 0)
            return nb_err_set(ctx, 400, "Circular reference or a repeated entry found in "
                                        "region tree - %s.", id);
        if (nb_tx_query_str(tx, &up, "SELECT parent_region_id FROM regions WHERE id = ?",
                            "s", at) < 0 || !up)
            break;
        snprintf(at, sizeof(at), "%s", up);
        free(up);
    }
    return r < 0 ? r : 0;
}

/* Deletes the regions below 'id' (Keystone deletes the subtree), unless
 * one of them, or 'id', still has endpoints. */
static int nb_region_delete_tree(struct nb_ctx *ctx, struct nb_tx *tx, const char *root,
                                 const char *id, int depth)
{
    struct nb_stmt *st = NULL;
    struct nb_sql kids = {0};
    int64_t eps = 0;
    int r = nb_tx_query_int(tx, &eps, "SELECT count(*) FROM endpoints WHERE region_id = ?",
                            "s", id);
    if (r == 0 && eps)
        return nb_err_set(ctx, 403, "Unable to delete region %s because it or its child "
                                    "regions have associated endpoints.", root);
    if (r == 0 && depth > 64)
        return nb_err_set(ctx, 400, "Circular reference or a repeated entry found in "
                                    "region tree - %s.", root);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id FROM regions WHERE parent_region_id = ?", "s", id);
    while (r == 0 && nb_stmt_next(st) > 0)
        nb_sql_text(&kids, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; r == 0 && i < kids.n; i++) {
        r = nb_region_delete_tree(ctx, tx, root, kids.args[i].s, depth + 1);
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "DELETE FROM regions WHERE id = ?", "s", kids.args[i].s);
    }
    nb_sql_free(&kids);
    return r;
}

static int nb_region_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    const char *id = nb_json_str(cur, "id");
    return nb_region_delete_tree(ctx, tx, id, id, 0);
}

const struct nb_id_kind nb_kind_region = {
    .res = &nb_res_region,
    .collection = "/v3/regions",
    .client_id = true,
    .prepare = nb_region_prepare,
    .before_delete = nb_region_before_delete,
};

/* PUT /v3/regions/{id}: create with the id of the URL. */
int nb_id_region_put(struct nb_req *req)
{
    json_t *body = nb_req_json(req), *region;
    const char *bid;
    if (!body)
        return -EINVAL;
    region = json_object_get(body, "region");
    if (!json_is_object(region))
        return nb_req_err(req, 400, "'region' is a required property");
    bid = nb_json_str(region, "id");
    if (bid && strcmp(bid, nb_req_param(req, 0)) != 0)
        return nb_req_err(req, 400, "The ID in the body (%s) does not match the ID in "
                                    "the URL (%s).", bid, nb_req_param(req, 0));
    json_object_set_new(region, "id", json_string(nb_req_param(req, 0)));
    return nb_id_crud_create(req);
}

/* ---- services and endpoints */

const struct nb_id_kind nb_kind_service = {
    .res = &nb_res_service,
    .collection = "/v3/services",
};

static int nb_endpoint_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                               const json_t *cur)
{
    const char *itf = nb_json_str(obj, "interface"), *svc, *region, *url;
    json_t *legacy = json_object_get(obj, "region");
    int64_t n = 0;
    int r;

    if (itf && strcmp(itf, "public") != 0 && strcmp(itf, "internal") != 0 &&
        strcmp(itf, "admin") != 0)
        return nb_err_set(ctx, 400, "Invalid input for field 'interface': '%s' is not "
                                    "one of ['admin', 'internal', 'public']", itf);
    url = nb_json_str(obj, "url");
    if (url && !strstr(url, "://") && !strchr(url, ':'))
        return nb_err_set(ctx, 400, "Invalid input for field 'url': '%s' does not match "
                                    "'^[a-zA-Z0-9+.-]+:.+'", url);
    /* "region" is the old name of region_id, still accepted, and (as in
     * Keystone, for v2-style clients) a region named so is created */
    if (json_is_string(legacy) && !json_object_get(obj, "region_id")) {
        json_object_set(obj, "region_id", legacy);
        r = nb_tx_exec(tx, NULL, "INSERT INTO regions (id, description, extra) VALUES "
                                 "(?, '', '{}') ON CONFLICT DO NOTHING",
                       "s", json_string_value(legacy));
        if (r < 0)
            return r;
    }
    json_object_del(obj, "region");
    region = nb_json_str(obj, "region_id");
    if (region) {
        r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM regions WHERE id = ?", "s", region);
        if (r < 0)
            return r;
        if (!n)
            return nb_err_set(ctx, 400, "Expecting to find endpoint region_id in region "
                                        "table - the server could not comply with the "
                                        "request since it is either malformed or "
                                        "otherwise incorrect.");
    }
    svc = nb_json_str(obj, "service_id");
    if (svc) {
        r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM services WHERE id = ?", "s", svc);
        if (r < 0)
            return r;
        if (!n)
            return nb_err_set(ctx, 400, "Expecting to find endpoint service_id in service "
                                        "table - the server could not comply with the "
                                        "request since it is either malformed or "
                                        "otherwise incorrect.");
    }
    (void)cur;
    return 0;
}

static void nb_endpoint_decorate(struct nb_tx *tx, json_t *obj)
{
    (void)tx;
    json_object_set(obj, "region", json_object_get(obj, "region_id"));
}

static int nb_endpoint_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    (void)ctx;
    return nb_tx_exec(tx, NULL, "DELETE FROM project_endpoints WHERE endpoint_id = ?", "s",
                      nb_json_str(cur, "id"));
}

const struct nb_id_kind nb_kind_endpoint = {
    .res = &nb_res_endpoint,
    .collection = "/v3/endpoints",
    .prepare = nb_endpoint_prepare,
    .decorate = nb_endpoint_decorate,
    .before_delete = nb_endpoint_before_delete,
};

/* ---- endpoint groups (OS-EP-FILTER) */

static int nb_epg_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                          const json_t *cur)
{
    const json_t *f = json_object_get(obj, "filters");
    const char *key;
    json_t *v;
    (void)tx;
    (void)cur;
    if (!f)
        return 0;
    if (!json_is_object(f) || !json_object_size(f))
        return nb_err_set(ctx, 400, "Invalid input for field 'filters': it must be a "
                                    "non-empty object.");
    json_object_foreach((json_t *)f, key, v)
        if (strcmp(key, "service_id") != 0 && strcmp(key, "region_id") != 0 &&
            strcmp(key, "interface") != 0)
            return nb_err_set(ctx, 400, "Invalid input for field 'filters': '%s' is not "
                                        "a valid filter.", key);
    return 0;
}

static int nb_epg_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    (void)ctx;
    return nb_tx_exec(tx, NULL, "DELETE FROM project_endpoint_groups WHERE "
                                "endpoint_group_id = ?", "s", nb_json_str(cur, "id"));
}

const struct nb_id_kind nb_kind_endpoint_group = {
    .res = &nb_res_endpoint_group,
    .collection = "/v3/OS-EP-FILTER/endpoint_groups",
    .prepare = nb_epg_prepare,
    .before_delete = nb_epg_before_delete,
};

/* Checks that the entities named by the route exist: 'first' is the
 * table of parameter 0, 'second' of parameter 1 (may be NULL). */
static int nb_epf_check(struct nb_req *req, struct nb_tx *tx,
                        const struct nb_resource *first, const struct nb_resource *second)
{
    const struct nb_resource *res[2] = {first, second};
    for (int i = 0; i < 2 && res[i]; i++) {
        json_t *obj = NULL;
        int r = nb_res_get(nb_req_ctx(req), tx, res[i], nb_req_param(req, i), &obj);
        json_decref(obj);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Runs 'sql' (two '?': the route's parameters) after checking both
 * exist; 'must_change' makes an absent association a 404. */
static int nb_epf_write(struct nb_req *req, const struct nb_resource *first,
                        const struct nb_resource *second, const char *sql,
                        bool must_change, bool swap)
{
    struct nb_tx *tx = NULL;
    int changed = 0, r = nb_tx_begin(nb_id_db, true, &tx);
    const char *a = nb_req_param(req, swap ? 1 : 0), *b = nb_req_param(req, swap ? 0 : 1);
    if (r < 0)
        return r;
    r = nb_epf_check(req, tx, first, second);
    if (r == 0)
        r = nb_tx_exec(tx, &changed, sql, "ss", a, b);
    if (r == 0 && must_change && !changed)
        r = nb_req_err(req, 404, "Could not find the association.");
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

static int nb_epf_check_assoc(struct nb_req *req, const struct nb_resource *first,
                              const struct nb_resource *second, const char *sql, bool swap)
{
    struct nb_tx *tx = NULL;
    int64_t n = 0;
    const char *a = nb_req_param(req, swap ? 1 : 0), *b = nb_req_param(req, swap ? 0 : 1);
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_epf_check(req, tx, first, second);
    if (r == 0)
        r = nb_tx_query_int(tx, &n, sql, "ss", a, b);
    nb_tx_rollback(tx);
    if (r == 0 && !n)
        r = nb_req_err(req, 404, "Could not find the association.");
    return r;
}

#define EPG_ASSOC "project_endpoint_groups"

int nb_id_epg_projects(struct nb_req *req)
{
    return nb_id_reply_sublist(req, &nb_res_endpoint_group, &nb_kind_project,
                       "id IN (SELECT project_id FROM " EPG_ASSOC
                       " WHERE endpoint_group_id = ?)");
}

int nb_id_epg_project_put(struct nb_req *req)
{
    return nb_epf_write(req, &nb_res_endpoint_group, &nb_res_project,
                        "INSERT INTO " EPG_ASSOC " (endpoint_group_id, project_id) VALUES "
                        "(?, ?) ON CONFLICT DO NOTHING", false, false);
}

int nb_id_epg_project_check(struct nb_req *req)
{
    char *self;
    int r = nb_epf_check_assoc(req, &nb_res_endpoint_group, &nb_res_project,
                               "SELECT count(*) FROM " EPG_ASSOC " WHERE "
                               "endpoint_group_id = ? AND project_id = ?", false);
    if (r < 0)
        return r;
    if (strcmp(nb_req_method(req), "HEAD") == 0)
        return nb_reply_empty(req, 200);
    self = nb_xasprintf("%s/identity/v3/OS-EP-FILTER/endpoint_groups/%s/projects/%s",
                        nb_req_base_url(req), nb_req_param(req, 0), nb_req_param(req, 1));
    r = nb_reply_json(req, 200, json_pack("{s:{s:s,s:s,s:{s:s}}}", "project_endpoint_group",
                                          "endpoint_group_id", nb_req_param(req, 0),
                                          "project_id", nb_req_param(req, 1), "links",
                                          "self", self));
    free(self);
    return r;
}

int nb_id_epg_project_delete(struct nb_req *req)
{
    return nb_epf_write(req, &nb_res_endpoint_group, &nb_res_project,
                        "DELETE FROM " EPG_ASSOC " WHERE endpoint_group_id = ? AND "
                        "project_id = ?", true, false);
}

/* Endpoints that match an endpoint group's filters. */
int nb_id_epg_endpoints(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_sql w = {0};
    struct nb_list_opts opts = {.where = &w};
    json_t *grp = NULL, *list = NULL, *v;
    const char *key;
    size_t i;
    int r = nb_id_load(nb_req_ctx(req), &nb_kind_endpoint_group, nb_req_param(req, 0), &grp);
    if (r < 0)
        return r;
    nb_sql_add(&w, "1 = 1");
    json_object_foreach(json_object_get(grp, "filters"), key, v) {
        nb_sql_addf(&w, " AND %s = ?", strcmp(key, "service_id") == 0   ? "service_id"
                                       : strcmp(key, "region_id") == 0 ? "region_id"
                                                                       : "interface");
        nb_sql_text(&w, json_string_value(v));
    }
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r == 0) {
        r = nb_res_list(nb_req_ctx(req), tx, &nb_res_endpoint, &opts, &list);
        json_array_foreach(list, i, v) {
            nb_endpoint_decorate(tx, v);
            nb_id_link(req, v, "/v3/endpoints");
        }
        nb_tx_rollback(tx);
    }
    json_decref(grp);
    nb_sql_free(&w);
    return r < 0 ? r : nb_id_reply_list(req, "endpoints", list);
}

int nb_id_project_epgs(struct nb_req *req)
{
    return nb_id_reply_sublist(req, &nb_res_project, &nb_kind_endpoint_group,
                       "id IN (SELECT endpoint_group_id FROM " EPG_ASSOC
                       " WHERE project_id = ?)");
}

int nb_id_project_endpoint_put(struct nb_req *req)
{
    return nb_epf_write(req, &nb_res_project, &nb_res_endpoint,
                        "INSERT INTO project_endpoints (endpoint_id, project_id) VALUES "
                        "(?, ?) ON CONFLICT DO NOTHING", false, true);
}

int nb_id_project_endpoint_check(struct nb_req *req)
{
    int r = nb_epf_check_assoc(req, &nb_res_project, &nb_res_endpoint,
                               "SELECT count(*) FROM project_endpoints WHERE "
                               "endpoint_id = ? AND project_id = ?", true);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_project_endpoint_delete(struct nb_req *req)
{
    return nb_epf_write(req, &nb_res_project, &nb_res_endpoint,
                        "DELETE FROM project_endpoints WHERE endpoint_id = ? AND "
                        "project_id = ?", true, true);
}

/* A project's endpoints: its own associations and its groups' matches. */
int nb_id_project_endpoints(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_map *set = NULL;
    json_t *list = json_array(), *ref = NULL;
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    r = nb_res_get(nb_req_ctx(req), tx, &nb_res_project, nb_req_param(req, 0), &ref);
    json_decref(ref);
    if (r == 0)
        set = nb_id_project_endpoint_set(tx, nb_req_param(req, 0));
    if (r == 0 && set) {
        json_t *all = NULL, *v;
        size_t i;
        r = nb_res_list(nb_req_ctx(req), tx, &nb_res_endpoint, NULL, &all);
        json_array_foreach(all, i, v) {
            if (!nb_map_find(set, nb_json_str(v, "id"), NULL))
                continue;
            nb_endpoint_decorate(tx, v);
            nb_id_link(req, v, "/v3/endpoints");
            json_array_append(list, v);
        }
        json_decref(all);
    }
    nb_map_free(set);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_id_reply_list(req, "endpoints", list);
}

int nb_id_endpoint_projects(struct nb_req *req)
{
    return nb_id_reply_sublist(req, &nb_res_endpoint, &nb_kind_project,
                       "id IN (SELECT project_id FROM project_endpoints WHERE "
                       "endpoint_id = ?)");
}

/* Adds to 'set' the endpoints matching endpoint group 'filters' (JSON). */
static void nb_epg_match(struct nb_tx *tx, const char *filters, struct nb_map *set)
{
    json_t *f = filters ? json_loads(filters, 0, NULL) : NULL, *v;
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    const char *key;

    nb_sql_add(&q, "SELECT id FROM endpoints WHERE 1 = 1");
    json_object_foreach(f, key, v) {
        nb_sql_addf(&q, " AND %s = ?", strcmp(key, "service_id") == 0   ? "service_id"
                                       : strcmp(key, "region_id") == 0 ? "region_id"
                                                                       : "interface");
        nb_sql_text(&q, json_string_value(v));
    }
    if (nb_tx_query_sql(tx, &st, &q) == 0)
        while (nb_stmt_next(st) > 0)
            nb_map_set(set, nb_stmt_text(st, 0), NULL);
    nb_stmt_done(st);
    nb_sql_free(&q);
    json_decref(f);
}

struct nb_map *nb_id_project_endpoint_set(struct nb_tx *tx, const char *project_id)
{
    struct nb_map *set = nb_map_new(NULL);
    struct nb_stmt *st = NULL;
    struct nb_sql filters = {0};

    if (nb_tx_query(tx, &st, "SELECT endpoint_id FROM project_endpoints WHERE "
                             "project_id = ?", "s", project_id) == 0)
        while (nb_stmt_next(st) > 0)
            nb_map_set(set, nb_stmt_text(st, 0), NULL);
    nb_stmt_done(st);
    st = NULL;
    if (nb_tx_query(tx, &st, "SELECT g.filters FROM endpoint_groups g JOIN " EPG_ASSOC
                             " a ON a.endpoint_group_id = g.id WHERE a.project_id = ?",
                    "s", project_id) == 0)
        while (nb_stmt_next(st) > 0)
            nb_sql_text(&filters, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; i < filters.n; i++)
        nb_epg_match(tx, filters.args[i].s, set);
    nb_sql_free(&filters);
    if (!nb_map_size(set)) {
        nb_map_free(set);
        return NULL;
    }
    return set;
}
