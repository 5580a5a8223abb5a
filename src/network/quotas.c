/* Quotas (GET/PUT/DELETE /v2.0/quotas/{project_id}), network IP
 * availability, and subnet pools. */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>

/* The resources with a quota, and the kind each counts. */
static const struct {
    const char *name;
    const struct nb_net_kind *kind;
} nb_net_quota_res[] = {
    {"network", &nb_net_networks}, {"subnet", &nb_net_subnets},
    {"subnetpool", &nb_net_subnetpools}, {"port", &nb_net_ports},
    {"security_group", &nb_net_secgroups},
    {"security_group_rule", &nb_net_sgrules},
};

static int nb_net_quota_get(struct nb_tx *tx, const char *project, bool defaults,
                            json_t **out)
{
    json_t *q = json_object();
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_net_quota_res); i++) {
        char opt[64];
        int64_t v;
        snprintf(opt, sizeof(opt), "quota_%s", nb_net_quota_res[i].name);
        v = nb_conf_int("network", opt);
        if (!defaults) {
            int r = nb_tx_query_int(tx, &v, "SELECT qlimit FROM net_quotas WHERE"
                                    " project_id = ? AND resource = ?", "ss", project,
                                    nb_net_quota_res[i].name);
            if (r == -ENOENT)
                v = nb_conf_int("network", opt);
            else if (r < 0) {
                json_decref(q);
                return r;
            }
        }
        json_object_set_new(q, nb_net_quota_res[i].name, json_integer(v));
    }
    *out = q;
    return 0;
}

/* Enforces get_quota on 'project' (admins, or the project itself). */
static int nb_net_quota_enforce(struct nb_req *req, const char *rule)
{
    json_t *t = json_pack("{s:{s:s}}", "target", "project_id", nb_req_param(req, 0));
    int r = nb_req_enforce(req, rule, t);
    json_decref(t);
    return r;
}

static int nb_net_quota_reply(struct nb_req *req, bool defaults)
{
    struct nb_tx *tx = NULL;
    json_t *q = NULL;
    int r = nb_net_quota_enforce(req, "get_quota");
    if (r == 0)
        r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = nb_net_quota_get(tx, nb_req_param(req, 0), defaults, &q);
    nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_json(req, 200, json_pack("{s:o}", "quota", q));
}

int nb_net_quota_show(struct nb_req *req)
{
    return nb_net_quota_reply(req, false);
}

int nb_net_quota_default(struct nb_req *req)
{
    return nb_net_quota_reply(req, true);
}

int nb_net_quota_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    int r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT DISTINCT project_id FROM net_quotas ORDER BY"
                        " project_id", "");
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_t *q = NULL;
        char *p = nb_xstrdup(nb_stmt_text(st, 0));
        r = nb_net_quota_get(tx, p, false, &q);
        if (r == 0) {
            json_object_set_new(q, "project_id", json_string(p));
            json_object_set_new(q, "tenant_id", json_string(p));
            json_array_append_new(list, q);
        }
        free(p);
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "quotas", list));
}

int nb_net_quota_update(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req), *q, *v, *out = NULL;
    const char *k, *project = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    int r;
    if (!body)
        return -EINVAL;
    q = json_object_get(body, "quota");
    if (!json_is_object(q))
        return nb_net_err(ctx, 400, "HTTPBadRequest", "Resource body required");
    json_object_foreach(q, k, v) {
        size_t i;
        for (i = 0; i < NB_ARRAY_SIZE(nb_net_quota_res) &&
                    strcmp(nb_net_quota_res[i].name, k); i++)
            ;
        if (i == NB_ARRAY_SIZE(nb_net_quota_res))
            return nb_net_err(ctx, 400, "InvalidInput", "Unrecognized attribute(s) "
                              "'%s'", k);
        if (!json_is_integer(v) || json_integer_value(v) < -1)
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for %s. "
                              "Reason: '%s' is not a valid quota.", k, "value");
    }
    r = nb_tx_begin(nb_net_db(), true, &tx);
    json_object_foreach(q, k, v)
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO net_quotas (project_id, resource,"
                           " qlimit) VALUES (?, ?, ?) ON CONFLICT (project_id, resource)"
                           " DO UPDATE SET qlimit = excluded.qlimit", "ssi", project, k,
                           (int64_t)json_integer_value(v));
    if (r == 0)
        r = nb_net_quota_get(tx, project, false, &out);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_json(req, 200, json_pack("{s:o}", "quota", out));
}

int nb_net_quota_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_net_db(), true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_quotas WHERE project_id = ?", "s",
                       nb_req_param(req, 0));
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* ---- network IP availability (admin only) */

static json_t *nb_net_ipavail(struct nb_tx *tx, const json_t *net)
{
    json_t *subnets = NULL, *sn, *list = json_array();
    int64_t total = 0, used = 0;
    size_t i;
    nb_net_load_all(tx, &nb_net_subnets, nb_json_str(net, "id"), &subnets);
    json_array_foreach(subnets, i, sn) {
        int64_t t = nb_ipam_pool_size(sn), u = 0;
        nb_tx_query_int(tx, &u, "SELECT count(*) FROM net_ipallocs WHERE subnet_id = ?",
                        "s", nb_json_str(sn, "id"));
        total = total > INT64_MAX - t ? INT64_MAX : total + t;
        used += u;
        json_array_append_new(list, json_pack("{s:O,s:O,s:O,s:O,s:I,s:I}", "subnet_id",
                                              json_object_get(sn, "id"), "subnet_name",
                                              json_object_get(sn, "name"), "cidr",
                                              json_object_get(sn, "cidr"), "ip_version",
                                              json_object_get(sn, "ip_version"),
                                              "total_ips", (json_int_t)t, "used_ips",
                                              (json_int_t)u));
    }
    json_decref(subnets);
    return json_pack("{s:O,s:O,s:O,s:O,s:o,s:I,s:I}", "network_id",
                     json_object_get(net, "id"), "network_name",
                     json_object_get(net, "name"), "project_id",
                     json_object_get(net, "project_id"), "tenant_id",
                     json_object_get(net, "project_id"), "subnet_ip_availability", list,
                     "total_ips", (json_int_t)total, "used_ips", (json_int_t)used);
}

int nb_net_ipavail_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *nets = NULL, *n, *list = json_array();
    const char *want_net = nb_req_query(req, "network_id");
    const char *want_proj = nb_req_query(req, "project_id");
    const char *want_ver = nb_req_query(req, "ip_version");
    size_t i;
    int r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_networks, NULL, &nets);
    json_array_foreach(nets, i, n) {
        json_t *a;
        if (r < 0 || (want_net && strcmp(want_net, nb_json_str(n, "id"))) ||
            (want_proj && strcmp(want_proj, nb_json_str(n, "project_id"))))
            continue;
        a = nb_net_ipavail(tx, n);
        if (want_ver) {
            json_t *sub = json_object_get(a, "subnet_ip_availability"), *s;
            size_t j;
            bool any = false;
            json_array_foreach(sub, j, s)
                any = any || json_integer_value(json_object_get(s, "ip_version")) ==
                                 atoi(want_ver);
            if (!any) {
                json_decref(a);
                continue;
            }
        }
        json_array_append_new(list, a);
    }
    nb_tx_rollback(tx);
    json_decref(nets);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "network_ip_availabilities", list));
}

int nb_net_ipavail_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *net = NULL, *a = NULL;
    int r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = nb_net_load(nb_req_ctx(req), tx, &nb_net_networks, nb_req_param(req, 0), &net);
    if (r == 0)
        a = nb_net_ipavail(tx, net);
    nb_tx_rollback(tx);
    json_decref(net);
    return r < 0 ? r : nb_reply_json(req, 200, json_pack("{s:o}",
                                                         "network_ip_availability", a));
}

/* ---- subnet pools */

static const char *const nb_net_pool_keys[] = {
    "name", "description", "prefixes", "default_prefixlen", "min_prefixlen",
    "max_prefixlen", "shared", "is_default", "address_scope_id", "default_quota",
    "tenant_id", "project_id", "tags", "id", NULL};

/* Validates prefixes and lengths of 'doc' (after the changes). */
static int nb_net_pool_check(struct nb_ctx *ctx, json_t *doc)
{
    json_t *p, *norm = json_array();
    size_t i;
    int ver = 0, v, pre, maxlen = 32;
    nb_ip_t base;
    char a[48];
    json_array_foreach(json_object_get(doc, "prefixes"), i, p) {
        if (!json_is_string(p) ||
            nb_cidr_parse(json_string_value(p), false, &v, &base, &pre) < 0 ||
            (ver && v != ver)) {
            json_decref(norm);
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for prefixes. "
                              "Reason: not a list of valid prefixes of one IP version.");
        }
        ver = v;
        nb_ip_format(v, base, a);
        json_array_append_new(norm, json_sprintf("%s/%d", a, pre));
    }
    if (!ver) {
        json_decref(norm);
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for prefixes. "
                          "Reason: at least one prefix is required.");
    }
    maxlen = ver == 4 ? 32 : 128;
    json_object_set_new(doc, "prefixes", norm);
    json_object_set_new(doc, "ip_version", json_integer(ver));
    if (json_is_null(json_object_get(doc, "max_prefixlen")))
        json_object_set_new(doc, "max_prefixlen", json_integer(maxlen));
    if (json_is_null(json_object_get(doc, "min_prefixlen")))
        json_object_set_new(doc, "min_prefixlen", json_integer(ver == 4 ? 8 : 64));
    if (json_is_null(json_object_get(doc, "default_prefixlen")))
        json_object_set(doc, "default_prefixlen", json_object_get(doc, "min_prefixlen"));
    json_int_t mn = json_integer_value(json_object_get(doc, "min_prefixlen"));
    json_int_t mx = json_integer_value(json_object_get(doc, "max_prefixlen"));
    json_int_t df = json_integer_value(json_object_get(doc, "default_prefixlen"));
    if (!json_is_integer(json_object_get(doc, "min_prefixlen")) ||
        !json_is_integer(json_object_get(doc, "max_prefixlen")) ||
        !json_is_integer(json_object_get(doc, "default_prefixlen")) ||
        mn < 0 || mx > maxlen || mn > mx || df < mn || df > mx)
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                          "Illegal prefix bounds.");
    return 0;
}

static int nb_net_pool_create(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                              json_t **out)
{
    const char *project;
    json_t *doc;
    int r = nb_net_check_known(ctx, in, nb_net_pool_keys);
    if (r == 0)
        r = nb_net_check_str(ctx, in, "name", 255);
    if (r == 0)
        r = nb_net_check_bool(ctx, in, "shared");
    if (r == 0)
        r = nb_net_check_bool(ctx, in, "is_default");
    if (r == 0 && (json_is_true(json_object_get(in, "shared")) ||
                   json_is_true(json_object_get(in, "is_default"))) &&
        !nb_net_is_admin(ctx))
        r = nb_net_err(ctx, 403, "HTTPForbidden", "(rule:create_subnetpool:shared) "
                       "is disallowed by policy");
    if (r == 0)
        r = nb_net_project_of(ctx, in, &project);
    if (r == 0)
        r = nb_net_quota_check(ctx, tx, &nb_net_subnetpools, "subnetpool", project);
    if (r < 0)
        return r;
    doc = json_pack("{s:s,s:[],s:n,s:n,s:n,s:b,s:b,s:n,s:n}", "name", "", "prefixes",
                    "default_prefixlen", "min_prefixlen", "max_prefixlen", "shared", 0,
                    "is_default", 0, "address_scope_id", "default_quota");
    for (const char *const *k = nb_net_pool_keys; *k; k++)
        if (json_object_get(in, *k) && strcmp(*k, "tenant_id") && strcmp(*k, "project_id"))
            json_object_set(doc, *k, json_object_get(in, *k));
    r = nb_net_pool_check(ctx, doc);
    if (r == 0) {
        nb_net_std_new(doc, project);
        r = nb_net_store(tx, &nb_net_subnetpools, doc, NULL,
                         json_is_true(json_object_get(doc, "shared")));
    }
    if (r == 0)
        *out = json_incref(doc);
    json_decref(doc);
    return r;
}

static int nb_net_pool_update(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                              const json_t *in)
{
    int r = nb_net_check_known(ctx, in, nb_net_pool_keys);
    (void)tx;
    for (const char *const *k = nb_net_pool_keys; r == 0 && *k; k++)
        if (json_object_get(in, *k) && strcmp(*k, "tenant_id") &&
            strcmp(*k, "project_id") && strcmp(*k, "id"))
            json_object_set(doc, *k, json_object_get(in, *k));
    if (r == 0)
        r = nb_net_pool_check(ctx, doc);
    return r;
}

static int nb_net_pool_remove(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc)
{
    json_t *subnets = NULL, *sn;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_subnets, NULL, &subnets);
    json_array_foreach(subnets, i, sn)
        if (r == 0 && nb_json_str(sn, "subnetpool_id") &&
            !strcmp(nb_json_str(sn, "subnetpool_id"), nb_json_str(doc, "id")))
            r = nb_net_err(ctx, 409, "SubnetPoolInUse", "Unable to complete operation "
                           "on subnetpool %s. Subnets are allocated from it.",
                           nb_json_str(doc, "id"));
    json_decref(subnets);
    return r;
}

const struct nb_net_ops nb_net_subnetpool_ops = {
    &nb_net_subnetpools, "create_subnetpool", "get_subnetpool", "update_subnetpool",
    "delete_subnetpool", nb_net_pool_create, nb_net_pool_update, nb_net_pool_remove,
    false};
