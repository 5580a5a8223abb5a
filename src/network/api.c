/* Neutron v2.0 over HTTP: the route table, version discovery, the
 * extension list, and the generic list/show/create/update/delete handlers
 * every resource kind shares (filters, fields, sorting, pagination, bulk
 * create). */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IN_HANDLER NB_POLICY_IN_HANDLER

int nb_net_versions(struct nb_req *req);
int nb_net_version(struct nb_req *req);
int nb_net_extensions(struct nb_req *req);
int nb_net_extension_get(struct nb_req *req);
int nb_net_list(struct nb_req *req);
int nb_net_show(struct nb_req *req);
int nb_net_create(struct nb_req *req);
int nb_net_update(struct nb_req *req);
int nb_net_delete(struct nb_req *req);
int nb_net_quota_list(struct nb_req *req);
int nb_net_quota_show(struct nb_req *req);
int nb_net_quota_default(struct nb_req *req);
int nb_net_quota_update(struct nb_req *req);
int nb_net_quota_delete(struct nb_req *req);
int nb_net_ipavail_list(struct nb_req *req);
int nb_net_ipavail_show(struct nb_req *req);
int nb_net_tags_replace(struct nb_req *req);
int nb_net_agents(struct nb_req *req);
int nb_net_tags_clear(struct nb_req *req);
int nb_net_tags_list(struct nb_req *req);
int nb_net_tag_check(struct nb_req *req);
int nb_net_tag_add(struct nb_req *req);
int nb_net_tag_delete(struct nb_req *req);

#define CRUD(coll, item, ops)                                                 \
    {"GET", coll, nb_net_list, IN_HANDLER, 0, NULL, NULL, &ops},              \
    {"POST", coll, nb_net_create, IN_HANDLER, 0, NULL, NULL, &ops},           \
    {"GET", item, nb_net_show, IN_HANDLER, 0, NULL, NULL, &ops},              \
    {"PUT", item, nb_net_update, IN_HANDLER, 0, NULL, NULL, &ops},            \
    {"DELETE", item, nb_net_delete, IN_HANDLER, 0, NULL, NULL, &ops}

/* Tag routes (tag-ext) of one kind. */
#define TAGS(base, ops)                                                       \
    {"GET", base "/tags", nb_net_tags_list, IN_HANDLER, 0, NULL, NULL, &ops}, \
    {"PUT", base "/tags", nb_net_tags_replace, IN_HANDLER, 0, NULL, NULL, &ops}, \
    {"DELETE", base "/tags", nb_net_tags_clear, IN_HANDLER, 0, NULL, NULL, &ops}, \
    {"GET", base "/tags/{tag}", nb_net_tag_check, IN_HANDLER, 0, NULL, NULL, &ops}, \
    {"PUT", base "/tags/{tag}", nb_net_tag_add, IN_HANDLER, 0, NULL, NULL, &ops}, \
    {"DELETE", base "/tags/{tag}", nb_net_tag_delete, IN_HANDLER, 0, NULL, NULL, &ops}

#define H(m, p, fn) {m, p, fn, IN_HANDLER, 0, NULL, NULL, NULL}
#define HP(m, p, fn, rule) {m, p, fn, rule, 0, NULL, NULL, NULL}

static const struct nb_route nb_network_routes[] = {
    {"GET", "/", nb_net_versions, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    {"GET", "/v2.0", nb_net_version, NULL, NB_ROUTE_PUBLIC, NULL, NULL, NULL},
    HP("GET", "/v2.0/extensions", nb_net_extensions, "get_extension"),
    HP("GET", "/v2.0/extensions/{alias}", nb_net_extension_get, "get_extension"),

    CRUD("/v2.0/networks", "/v2.0/networks/{id}", nb_net_network_ops),
    CRUD("/v2.0/subnets", "/v2.0/subnets/{id}", nb_net_subnet_ops),
    CRUD("/v2.0/subnetpools", "/v2.0/subnetpools/{id}", nb_net_subnetpool_ops),
    CRUD("/v2.0/ports", "/v2.0/ports/{id}", nb_net_port_ops),
    CRUD("/v2.0/security-groups", "/v2.0/security-groups/{id}",
         nb_net_secgroup_ops),
    CRUD("/v2.0/security-group-rules", "/v2.0/security-group-rules/{id}",
         nb_net_sgrule_ops),
    TAGS("/v2.0/networks/{id}", nb_net_network_ops),
    TAGS("/v2.0/subnets/{id}", nb_net_subnet_ops),
    TAGS("/v2.0/subnetpools/{id}", nb_net_subnetpool_ops),
    TAGS("/v2.0/ports/{id}", nb_net_port_ops),
    TAGS("/v2.0/security-groups/{id}", nb_net_secgroup_ops),

    HP("GET", "/v2.0/quotas", nb_net_quota_list, "get_quota"),
    H("GET", "/v2.0/quotas/{project_id}", nb_net_quota_show),
    H("GET", "/v2.0/quotas/{project_id}/default", nb_net_quota_default),
    HP("PUT", "/v2.0/quotas/{project_id}", nb_net_quota_update, "update_quota"),
    HP("DELETE", "/v2.0/quotas/{project_id}", nb_net_quota_delete, "delete_quota"),

    HP("GET", "/v2.0/agents", nb_net_agents, "get_agent"),
    HP("GET", "/v2.0/network-ip-availabilities", nb_net_ipavail_list,
       "get_network_ip_availability"),
    HP("GET", "/v2.0/network-ip-availabilities/{id}", nb_net_ipavail_show,
       "get_network_ip_availability"),
};

static const char *const nb_network_headers[] = {NULL};

const struct nb_service nb_network_service = {
    .name = "network",
    .prefix = "/network",
    .routes = nb_network_routes,
    .nroutes = NB_ARRAY_SIZE(nb_network_routes),
    .render_error = nb_net_render_error,
    .headers = nb_network_headers,
    .bad_content_type_status = 0,
};

/* ---- discovery */

static json_t *nb_net_version_doc(struct nb_req *req)
{
    char *href = nb_xasprintf("%s/network/v2.0/", nb_req_base_url(req));
    json_t *v = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "id", "v2.0", "status",
                          "CURRENT", "links", "href", href, "rel", "self");
    free(href);
    return v;
}

int nb_net_versions(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:[o]}", "versions",
                                             nb_net_version_doc(req)));
}

int nb_net_version(struct nb_req *req)
{
    char *base = nb_xasprintf("%s/network/v2.0/", nb_req_base_url(req));
    json_t *res = json_array();
    static const char *const colls[][2] = {
        {"network", "networks"}, {"subnet", "subnets"},
        {"subnetpool", "subnetpools"}, {"port", "ports"},
        {"security_group", "security-groups"},
        {"security_group_rule", "security-group-rules"},
    };
    for (size_t i = 0; i < NB_ARRAY_SIZE(colls); i++) {
        char *href = nb_xasprintf("%s%s", base, colls[i][1]);
        json_array_append_new(res, json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "name",
                                             colls[i][0], "collection",
                                             colls[i][1], "links", "href", href,
                                             "rel", "self"));
        free(href);
    }
    free(base);
    return nb_reply_json(req, 200, json_pack("{s:o}", "resources", res));
}

/* The extensions implemented, by alias, with their names. */
static const char *const nb_net_exts[][2] = {
    {"agent", NULL},
    {"allowed-address-pairs", "Allowed Address Pairs"},
    {"binding", "Port Binding"},
    {"default-subnetpools", "Default Subnetpools"},
    {"empty-string-filtering", "Empty String Filtering Extension"},
    {"external-net", "Neutron external network"},
    {"fields", NULL},
    {"filter-validation", NULL},
    {"ip-substring-filtering", NULL},
    {"net-mtu", "Network MTU"},
    {"net-mtu-writable", "Network MTU (writable)"},
    {"network-ip-availability", "Network IP Availability"},
    {"pagination", "Pagination support"},
    {"port-security", "Port Security"},
    {"project-id", "project_id field enabled"},
    {"provider", "Provider Network"},
    {"quotas", "Quota management support"},
    {"quota_details", NULL},
    {"security-group", "security-group"},
    {"sorting", "Sorting support"},
    {"standard-attr-description", "standard-attr-description"},
    {"standard-attr-revisions", "Resource revision numbers"},
    {"standard-attr-tag", "Tag support for resources with standard attribute"},
    {"standard-attr-timestamp", "Resource timestamps"},
    {"subnet_allocation", "Subnet Allocation"},
    /* "tag-ext" would promise router tags too: no routers here */
};

static json_t *nb_net_ext_doc(size_t i)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:[]}", "alias", nb_net_exts[i][0], "name",
                     nb_net_exts[i][1], "description", nb_net_exts[i][1],
                     "updated", "2013-01-01T00:00:00-00:00", "links");
}

int nb_net_extensions(struct nb_req *req)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_net_exts); i++)
        if (nb_net_exts[i][1])
            json_array_append_new(arr, nb_net_ext_doc(i));
    return nb_reply_json(req, 200, json_pack("{s:o}", "extensions", arr));
}

int nb_net_extension_get(struct nb_req *req)
{
    const char *alias = nb_req_param(req, 0);
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_net_exts); i++)
        if (nb_net_exts[i][1] && !strcmp(nb_net_exts[i][0], alias))
            return nb_reply_json(req, 200, json_pack("{s:o}", "extension",
                                                     nb_net_ext_doc(i)));
    return nb_net_err(nb_req_ctx(req), 404, "HTTPNotFound",
                      "Extension with alias %s does not exist", alias);
}

/* No agents: the DHCP server and the bridges are run by the daemon
 * itself (see dataplane.c), so the list is always empty. */
int nb_net_agents(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:[]}", "agents"));
}

/* ---- list queries: filters, fields, sorting, pagination */

struct nb_net_query {
    json_t *filters;        /* {key: [values]} */
    json_t *fields;         /* [names] */
    json_t *sort_keys, *sort_dirs;
    long limit;
    const char *marker;
    bool page_reverse;
    int err;
    struct nb_ctx *ctx;
};

static void nb_net_query_pair(void *arg, const char *k, const char *v)
{
    struct nb_net_query *q = arg;
    json_t *list;
    if (!strcmp(k, "fields")) {
        json_array_append_new(q->fields, json_string(v));
    } else if (!strcmp(k, "sort_key")) {
        json_array_append_new(q->sort_keys, json_string(v));
    } else if (!strcmp(k, "sort_dir")) {
        if (strcmp(v, "asc") && strcmp(v, "desc"))
            q->err = nb_net_err(q->ctx, 400, "HTTPBadRequest",
                                "Sort direction %s is invalid; use asc or desc", v);
        json_array_append_new(q->sort_dirs, json_string(v));
    } else if (!strcmp(k, "limit")) {
        if (nb_str_to_long(v, &q->limit) < 0 || q->limit < 0)
            q->err = nb_net_err(q->ctx, 400, "HTTPBadRequest",
                                "Limit must be an integer 0 or greater and not '%s'", v);
    } else if (!strcmp(k, "marker")) {
        /* read below: 'v' lives only for this call */
    } else if (!strcmp(k, "page_reverse")) {
        q->page_reverse = nb_str_is_true(v) || !strcasecmp(v, "true");
    } else {
        list = json_object_get(q->filters, k);
        if (!list) {
            list = json_array();
            json_object_set_new(q->filters, k, list);
        }
        json_array_append_new(list, json_string(v));
    }
}

static void nb_net_query_free(struct nb_net_query *q)
{
    json_decref(q->filters);
    json_decref(q->fields);
    json_decref(q->sort_keys);
    json_decref(q->sort_dirs);
}

static int nb_net_query_parse(struct nb_req *req, struct nb_net_query *q)
{
    *q = (struct nb_net_query){
        .filters = json_object(), .fields = json_array(),
        .sort_keys = json_array(), .sort_dirs = json_array(),
        .ctx = nb_req_ctx(req),
    };
    nb_req_query_each(req, nb_net_query_pair, q);
    q->marker = nb_req_query(req, "marker");
    if (!q->err && json_array_size(q->sort_dirs) &&
        json_array_size(q->sort_dirs) != json_array_size(q->sort_keys))
        q->err = nb_net_err(q->ctx, 400, "HTTPBadRequest",
                            "The number of sort_keys and sort_dirs must be same");
    return q->err;
}

/* Whether one doc value matches one query string value. */
static bool nb_net_value_match(const json_t *v, const char *s)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return !strcmp(json_string_value(v), s);
    case JSON_TRUE:
    case JSON_FALSE:
        return (json_is_true(v) ? !strcasecmp(s, "true") || !strcmp(s, "1")
                                : !strcasecmp(s, "false") || !strcmp(s, "0"));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return !strcmp(buf, s);
    case JSON_NULL:
        return !*s || !strcmp(s, "None");
    case JSON_ARRAY: {
        /* lists of strings (security_groups) or of objects (fixed_ips:
         * "ip_address=10.0.0.5") */
        const char *eq = strchr(s, '=');
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (json_is_string(e) && !strcmp(json_string_value(e), s))
                return true;
            if (json_is_object(e) && eq) {
                char *key = nb_xstrndup(s, (size_t)(eq - s));
                const char *ev = nb_json_str(e, key);
                bool m = ev && (!strcmp(ev, eq + 1) ||
                                (!strcmp(key, "ip_address_substr") && strstr(ev, eq + 1)));
                free(key);
                if (m)
                    return true;
            }
        }
        return false;
    }
    default:
        return false;
    }
}

/* Tag filters: tags (all), tags-any, not-tags, not-tags-any. */
static bool nb_net_tags_match(const json_t *doc, const char *mode, const json_t *vals)
{
    const json_t *tags = json_object_get(doc, "tags");
    bool any = strstr(mode, "any") != NULL, negate = !strncmp(mode, "not-", 4);
    bool all_found = true, any_found = false;
    size_t i, j;
    json_t *v, *t;
    json_array_foreach(vals, i, v) {
        char *list = nb_xstrdup(json_string_value(v)), *save = NULL;
        for (char *tok = strtok_r(list, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            bool found = false;
            json_array_foreach(tags, j, t)
                found = found || !strcmp(json_string_value(t), tok);
            all_found = all_found && found;
            any_found = any_found || found;
        }
        free(list);
    }
    bool m = any ? any_found : all_found;
    return negate ? !m : m;
}

static bool nb_net_doc_match(const json_t *doc, const json_t *filters)
{
    const char *k;
    json_t *vals;
    json_object_foreach((json_t *)filters, k, vals) {
        const json_t *v;
        size_t i;
        json_t *s;
        bool m = false;
        if (!strcmp(k, "tags") || !strcmp(k, "tags-any") || !strcmp(k, "not-tags") ||
            !strcmp(k, "not-tags-any")) {
            if (!nb_net_tags_match(doc, k, vals))
                return false;
            continue;
        }
        if (!strcmp(k, "ip_address") || !strcmp(k, "subnet_id")) {
            v = json_object_get(doc, "fixed_ips");
            json_array_foreach(vals, i, s) {
                char *want = nb_xasprintf("%s=%s", k, json_string_value(s));
                m = m || (v && nb_net_value_match(v, want));
                free(want);
            }
            if (!m)
                return false;
            continue;
        }
        v = json_object_get(doc, k);
        if (!v)
            continue;       /* an attribute this kind does not have */
        json_array_foreach(vals, i, s)
            m = m || nb_net_value_match(v, json_string_value(s));
        if (!m)
            return false;
    }
    return true;
}

static int nb_net_value_cmp(const json_t *a, const json_t *b)
{
    if (!a || json_is_null(a))
        return (!b || json_is_null(b)) ? 0 : -1;
    if (!b || json_is_null(b))
        return 1;
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    if (json_is_boolean(a) && json_is_boolean(b))
        return json_is_true(a) - json_is_true(b);
    return 0;
}

static _Thread_local const struct nb_net_query *nb_sort_q;

static int nb_net_doc_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    size_t i;
    json_t *k;
    json_array_foreach(nb_sort_q->sort_keys, i, k) {
        const char *key = json_string_value(k);
        int c = nb_net_value_cmp(json_object_get(a, key), json_object_get(b, key));
        const char *dir = json_string_value(json_array_get(nb_sort_q->sort_dirs, i));
        if (c)
            return dir && !strcmp(dir, "desc") ? -c : c;
    }
    return strcmp(nb_json_str(a, "id"), nb_json_str(b, "id"));
}

/* Renders 'doc' (in place) for the caller: admin-only attributes
 * (provider:*, binding:* but the vnic type) are hidden from others, and
 * only the requested fields are kept when 'fields' lists some. */
static void nb_net_fields(const struct nb_ctx *ctx, json_t *doc, const json_t *fields)
{
    const char *k;
    json_t *v;
    void *tmp;
    bool admin = nb_net_is_admin(ctx);
    json_object_foreach_safe(doc, tmp, k, v) {
        size_t i;
        json_t *f;
        bool keep = !json_array_size(fields);
        json_array_foreach(fields, i, f)
            keep = keep || !strcmp(json_string_value(f), k);
        if (!admin && (!strncmp(k, "provider:", 9) ||
                       (!strncmp(k, "binding:", 8) && strcmp(k, "binding:vnic_type"))))
            keep = false;
        if (!keep)
            json_object_del(doc, k);
    }
}

json_t *nb_net_rendered(const struct nb_ctx *ctx, const json_t *doc)
{
    json_t *d = json_deep_copy(doc);
    nb_net_fields(ctx, d, NULL);
    return d;
}

/* The href of a page link: the request's query with another marker. */
static json_t *nb_net_link(struct nb_req *req, const char *rel,
                           const char *marker, bool reverse)
{
    struct nb_buf b = {0};
    char *qs = nb_req_query_string(req), *save = NULL;
    nb_buf_printf(&b, "%s/network%s?", nb_req_base_url(req), nb_req_path(req));
    for (char *tok = strtok_r(qs, "&", &save); tok; tok = strtok_r(NULL, "&", &save))
        if (strncmp(tok, "marker=", 7) && strncmp(tok, "page_reverse=", 13))
            nb_buf_printf(&b, "%s&", tok);
    nb_buf_printf(&b, "marker=%s", marker);
    if (reverse)
        nb_buf_puts(&b, "&page_reverse=True");
    free(qs);
    json_t *l = json_pack("{s:s,s:s}", "rel", rel, "href", b.buf);
    nb_buf_free(&b);
    return l;
}

/* The key under which a listed doc carries its stored text (see
 * nb_net_visible_all); never stored, never rendered. */
#define NB_NET_RAW "\x01raw"

/* Filters, sorts, pages and trims 'all' (stolen) into the reply body. */
static int nb_net_list_reply(struct nb_req *req, const struct nb_net_kind *k,
                             json_t *all, struct nb_net_query *q)
{
    size_t n = json_array_size(all), m = 0, start = 0, end;
    json_t **v = nb_xcalloc(n + 1, sizeof(*v));
    json_t *out = json_array(), *links = json_array(), *body;
    char *key;

    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(all, i);
        if (nb_net_doc_match(d, q->filters))
            v[m++] = d;
    }
    nb_sort_q = q;
    qsort(v, m, sizeof(*v), nb_net_doc_cmp);
    end = m;
    if (q->marker) {
        size_t pos = m;
        for (size_t i = 0; i < m; i++)
            if (!strcmp(nb_json_str(v[i], "id"), q->marker))
                pos = i;
        if (pos == m) {
            /* a marker that is not in the list: Neutron says 404 */
            free(v);
            json_decref(all);
            json_decref(out);
            json_decref(links);
            return nb_net_err(nb_req_ctx(req), 404, k->not_found,
                              "%s %s could not be found.", k->noun, q->marker);
        }
        if (q->page_reverse)
            end = pos;
        else
            start = pos + 1;
    }
    if (q->limit > 0 && end - start > (size_t)q->limit) {
        if (q->page_reverse) {
            start = end - (size_t)q->limit;
            json_array_append_new(links, nb_net_link(req, "previous",
                                                     nb_json_str(v[start], "id"), true));
        } else {
            end = start + (size_t)q->limit;
            json_array_append_new(links, nb_net_link(req, "next",
                                                     nb_json_str(v[end - 1], "id"), false));
        }
    }
    if (q->limit > 0 && q->marker && end > start)
        json_array_append_new(links, q->page_reverse
                              ? nb_net_link(req, "next", nb_json_str(v[end - 1], "id"), false)
                              : nb_net_link(req, "previous", nb_json_str(v[start], "id"), true));
    if (end > start && json_object_get(v[start], NB_NET_RAW)) {
        /* an admin's whole docs: the stored text is the rendering */
        struct nb_buf b = {0};
        nb_buf_printf(&b, "{\"%s\":[", k->plural);
        for (size_t i = start; i < end; i++) {
            const json_t *raw = json_object_get(v[i], NB_NET_RAW);
            if (i > start)
                nb_buf_puts(&b, ",");
            nb_buf_add(&b, json_string_value(raw), json_string_length(raw));
        }
        nb_buf_puts(&b, "]");
        if (json_array_size(links)) {
            char *l = nb_json_dump(links);
            nb_buf_printf(&b, ",\"%s_links\":%s", k->plural, l);
            free(l);
        }
        nb_buf_puts(&b, "}");
        free(v);
        json_decref(all);
        json_decref(out);
        json_decref(links);
        size_t len = b.len;
        return nb_reply_data(req, 200, "application/json", nb_buf_steal(&b), len);
    }
    for (size_t i = start; i < end; i++) {
        /* 'all' is ours: trimmed in place, as nothing else holds it */
        nb_net_fields(nb_req_ctx(req), v[i], q->fields);
        json_array_append(out, v[i]);
    }
    free(v);
    json_decref(all);
    body = json_pack("{s:o}", k->plural, out);
    if (json_array_size(links)) {
        key = nb_xasprintf("%s_links", k->plural);
        json_object_set_new(body, key, links);
        free(key);
    } else {
        json_decref(links);
    }
    return nb_reply_json(req, 200, body);
}

/* Whether a filter value can be looked for in a doc's text as "value":
 * a non-empty string of characters JSON never escapes, that no doc would
 * hold as a number or boolean instead. */
static bool nb_net_plain(const char *v)
{
    long n;
    if (!*v || !strcasecmp(v, "true") || !strcasecmp(v, "false") ||
        nb_str_to_long(v, &n) == 0)
        return false;
    for (; *v; v++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
                    *v))
            return false;
    return true;
}

/* A quick test on a doc's text: false when some filter cannot match it
 * (none of its plain values appears quoted in the text). */
static bool nb_net_text_may_match(const char *text, const json_t *filters)
{
    const char *k;
    json_t *vals, *v;
    json_object_foreach((json_t *)filters, k, vals) {
        size_t i;
        bool all_plain = true, seen = false;
        if (!strncmp(k, "tags", 4) || !strncmp(k, "not-tags", 8))
            continue;
        json_array_foreach(vals, i, v) {
            char quoted[300];
            all_plain = all_plain && nb_net_plain(json_string_value(v)) &&
                        json_string_length(v) < sizeof(quoted) - 3;
            if (!all_plain)
                break;
            snprintf(quoted, sizeof(quoted), "\"%s\"", json_string_value(v));
            seen = seen || strstr(text, quoted);
        }
        if (all_plain && !seen)
            return false;
    }
    return true;
}

/* Every row of 'k' the caller may see (admins: all) that may match the
 * query's filters, in id order.  When the list is sorted by id only and
 * read forwards, reading stops once the page (after the marker) and one
 * more row are in: a page of a long list parses only what it shows. */
static int nb_net_visible_all(struct nb_ctx *ctx, struct nb_tx *tx,
                              const struct nb_net_kind *k,
                              const struct nb_net_query *nq, json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    json_t *arr = json_array();
    const char *key0 = json_string_value(json_array_get(nq->sort_keys, 0));
    const char *dir0 = json_string_value(json_array_get(nq->sort_dirs, 0));
    bool by_id = json_array_size(nq->sort_keys) == 0 ||
                 (json_array_size(nq->sort_keys) == 1 && !strcmp(key0, "id") &&
                  (!dir0 || !strcmp(dir0, "asc")));
    size_t want = by_id && !nq->page_reverse && nq->limit > 0
                      ? (size_t)nq->limit + (nq->marker ? 2 : 1) : 0;
    /* an admin sees whole docs: their stored text is their rendering */
    bool raw = nb_net_is_admin(ctx) && !json_array_size(nq->fields);
    int r;
    /* ... and needs no parsing when nothing filters or sorts on content */
    bool lazy = raw && by_id && json_object_size(nq->filters) == 0;
    nb_sql_addf(&q, "SELECT doc, id FROM %s WHERE 1 = 1", k->table);
    if (!nb_net_is_admin(ctx)) {
        nb_sql_add(&q, " AND (project_id = ?");
        nb_sql_text(&q, ctx->caller.project.id);
        nb_sql_add(&q, k->shared_visible ? " OR flag = 1)" : ")");
    }
    if (want && nq->marker) {
        nb_sql_add(&q, " AND id >= ?");
        nb_sql_text(&q, nq->marker);
    }
    nb_sql_add(&q, " ORDER BY id");
    r = nb_tx_query_sql(tx, &st, &q);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        const char *text = nb_stmt_text(st, 0);
        json_t *d;
        r = 0;
        if (lazy)
            d = json_pack("{s:s}", "id", nb_stmt_text(st, 1));
        else if (!nb_net_text_may_match(text, nq->filters) ||
                 !(d = json_loads(text, 0, NULL)))
            continue;
        if (!nb_net_doc_match(d, nq->filters)) {
            json_decref(d);
            continue;
        }
        if (raw)
            json_object_set_new(d, NB_NET_RAW, json_string(text));
        json_array_append_new(arr, d);
        if (want && json_array_size(arr) >= want)
            break;
    }
    nb_stmt_done(st);
    nb_sql_free(&q);
    if (r < 0) {
        json_decref(arr);
        return r;
    }
    *out = arr;
    return 0;
}

/* The caller's default security group exists once it lists groups. */
static int nb_net_default_sg_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    char *sg = NULL;
    int r = nb_net_default_sg(ctx, tx, ctx->caller.project.id, &sg);
    (void)arg;
    free(sg);
    return r;
}

int nb_net_list(struct nb_req *req)
{
    const struct nb_net_ops *ops = nb_req_route_arg(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_net_query q;
    struct nb_tx *tx = NULL;
    json_t *all = NULL;
    int r = nb_req_enforce(req, ops->rule_get, NULL);
    if (r < 0)
        return r;
    r = nb_net_query_parse(req, &q);
    if (r == 0 && ops == &nb_net_secgroup_ops && ctx->caller.project.id[0])
        r = nb_net_write(ctx, ops, nb_net_default_sg_tx, NULL);
    if (r == 0)
        r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = nb_net_visible_all(ctx, tx, ops->kind, &q, &all);
    nb_tx_rollback(tx);
    if (r == 0)
        r = nb_net_list_reply(req, ops->kind, all, &q);
    nb_net_query_free(&q);
    return r;
}

int nb_net_show(struct nb_req *req)
{
    const struct nb_net_ops *ops = nb_req_route_arg(req);
    struct nb_net_query q;
    struct nb_tx *tx = NULL;
    json_t *doc = NULL;
    int r = nb_req_enforce(req, ops->rule_get, NULL);
    if (r < 0)
        return r;
    r = nb_net_query_parse(req, &q);
    if (r == 0)
        r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = nb_net_load(nb_req_ctx(req), tx, ops->kind, nb_req_param(req, 0), &doc);
    nb_tx_rollback(tx);
    if (r == 0) {
        nb_net_fields(nb_req_ctx(req), doc, q.fields);
        r = nb_reply_json(req, 200, json_pack("{s:o}", ops->kind->singular, doc));
    }
    nb_net_query_free(&q);
    return r;
}

int nb_net_write(struct nb_ctx *ctx, const struct nb_net_ops *ops,
                        int (*fn)(struct nb_ctx *, struct nb_tx *, void *),
                        void *arg)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_net_db(), true, &tx);
    if (r < 0)
        return r;
    r = fn(ctx, tx, arg);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    r = nb_tx_commit(tx);
    if (r == 0 && ops->dataplane)
        nb_dataplane_notify();
    return r;
}

/* Neutron converts some attributes before validating them: integers
 * given as decimal strings ("1400") and booleans as "true"/"false".
 * Returns a new object with those converted. */
static json_t *nb_net_normalise(const json_t *in)
{
    static const char *const ints[] = {
        "mtu", "provider:segmentation_id", "port_range_min", "port_range_max",
        "ip_version", "prefixlen", "default_prefixlen", "min_prefixlen",
        "max_prefixlen"};
    static const char *const bools[] = {
        "admin_state_up", "shared", "enable_dhcp", "port_security_enabled",
        "router:external", "is_default", "stateful"};
    json_t *out = json_deep_copy(in);
    for (size_t i = 0; i < NB_ARRAY_SIZE(ints); i++) {
        const char *s = nb_json_str(out, ints[i]);
        long v;
        if (s && nb_str_to_long(s, &v) == 0)
            json_object_set_new(out, ints[i], json_integer(v));
    }
    for (size_t i = 0; i < NB_ARRAY_SIZE(bools); i++) {
        const char *s = nb_json_str(out, bools[i]);
        if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "false")))
            json_object_set_new(out, bools[i], json_boolean(!strcasecmp(s, "true")));
    }
    return out;
}

struct nb_net_create_arg {
    const struct nb_net_ops *ops;
    const json_t *items;        /* array of bodies */
    json_t *out;                /* array of created docs */
};

static int nb_net_create_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_create_arg *a = arg;
    size_t i;
    json_t *item;
    json_array_foreach(a->items, i, item) {
        json_t *doc = NULL;
        int r;
        if (!json_is_object(item))
            return nb_net_err(ctx, 400, "HTTPBadRequest",
                              "Resource body required");
        json_t *norm = nb_net_normalise(item);
        r = a->ops->create(ctx, tx, norm, &doc);
        json_decref(norm);
        if (r < 0)
            return r;
        json_array_append_new(a->out, doc);
    }
    return 0;
}

int nb_net_create(struct nb_req *req)
{
    const struct nb_net_ops *ops = nb_req_route_arg(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body, *one, *many;
    struct nb_net_create_arg a = {.ops = ops};
    int r = nb_req_enforce(req, ops->rule_create, NULL);
    if (r < 0)
        return r;
    body = nb_req_json(req);
    if (!body)
        return -EINVAL;
    one = json_object_get(body, ops->kind->singular);
    many = json_object_get(body, ops->kind->plural);
    if (json_is_object(one))
        a.items = json_pack("[O]", one);
    else if (json_is_array(many) && json_array_size(many))
        a.items = json_incref(many);
    else
        return nb_net_err(ctx, 400, "HTTPBadRequest", "Resource body required");
    a.out = json_array();
    r = nb_net_write(ctx, ops, nb_net_create_tx, &a);
    if (r == 0) {
        size_t i;
        json_t *d, *outs = json_array();
        json_array_foreach(a.out, i, d)
            json_array_append_new(outs, nb_net_rendered(ctx, d));
        r = nb_reply_json(req, 201, one ? json_pack("{s:O}", ops->kind->singular,
                                                    json_array_get(outs, 0))
                                        : json_pack("{s:O}", ops->kind->plural, outs));
        json_decref(outs);
    }
    json_decref((json_t *)a.items);
    json_decref(a.out);
    return r;
}

struct nb_net_update_arg {
    struct nb_req *req;
    const struct nb_net_ops *ops;
    const json_t *in;
    json_t *doc;
};

/* Loads the target, enforces 'rule' on it, and leaves it in a->doc. */
static int nb_net_load_enforce(struct nb_ctx *ctx, struct nb_tx *tx,
                               struct nb_net_update_arg *a, const char *rule)
{
    int r = nb_net_load(ctx, tx, a->ops->kind, nb_req_param(a->req, 0), &a->doc);
    json_t *target;
    if (r < 0)
        return r;
    target = json_pack("{s:O}", "target", a->doc);
    r = nb_req_enforce(a->req, rule, target);
    json_decref(target);
    return r;
}

int nb_net_doc_update(struct nb_ctx *ctx, struct nb_tx *tx,
                      const struct nb_net_ops *ops, json_t *doc, const json_t *in)
{
    int r = 0;
    if (json_object_get(in, "id"))
        r = nb_net_err(ctx, 400, "HTTPBadRequest",
                       "Cannot update read-only attribute id");
    if (r == 0)
        r = ops->update(ctx, tx, doc, in);
    if (r == 0) {
        nb_net_std_touch(doc);
        r = nb_net_save(tx, ops->kind, doc);
    }
    return r;
}

static int nb_net_update_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_update_arg *a = arg;
    int r = nb_net_load_enforce(ctx, tx, a, a->ops->rule_update);
    return r < 0 ? r : nb_net_doc_update(ctx, tx, a->ops, a->doc, a->in);
}

int nb_net_update(struct nb_req *req)
{
    const struct nb_net_ops *ops = nb_req_route_arg(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req);
    struct nb_net_update_arg a = {.req = req, .ops = ops};
    int r;
    nb_req_policy_done(req);    /* enforced once the target is loaded */
    if (!body)
        return -EINVAL;
    if (!json_is_object(json_object_get(body, ops->kind->singular)))
        return nb_net_err(ctx, 400, "HTTPBadRequest", "Resource body required");
    if (!ops->update)
        return nb_net_err(ctx, 405, "HTTPMethodNotAllowed",
                          "Resource %s cannot be updated", ops->kind->plural);
    a.in = nb_net_normalise(json_object_get(body, ops->kind->singular));
    r = nb_net_write(ctx, ops, nb_net_update_tx, &a);
    json_decref((json_t *)a.in);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", ops->kind->singular,
                                              nb_net_rendered(ctx, a.doc)));
    json_decref(a.doc);
    return r;
}

static int nb_net_delete_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_update_arg *a = arg;
    int r = nb_net_load_enforce(ctx, tx, a, a->ops->rule_delete);
    if (r == 0)
        r = a->ops->remove(ctx, tx, a->doc);
    if (r == 0)
        r = nb_net_remove(tx, a->ops->kind, nb_json_str(a->doc, "id"));
    return r;
}

int nb_net_delete(struct nb_req *req)
{
    const struct nb_net_ops *ops = nb_req_route_arg(req);
    struct nb_net_update_arg a = {.req = req, .ops = ops};
    int r;
    nb_req_policy_done(req);
    r = nb_net_write(nb_req_ctx(req), ops, nb_net_delete_tx, &a);
    json_decref(a.doc);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* ---- tags (tag-ext) */

struct nb_net_tag_arg {
    struct nb_net_update_arg u;
    const json_t *replace;      /* new list, or NULL */
    const char *tag;            /* add/delete one, or NULL */
    bool add, check, list;
};

static int nb_net_tag_find(const json_t *tags, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        if (!strcmp(json_string_value(t), tag))
            return (int)i;
    return -1;
}

static int nb_net_tags_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_tag_arg *a = arg;
    json_t *tags;
    int r = nb_net_load_enforce(ctx, tx, &a->u, a->check ? a->u.ops->rule_get
                                                        : a->u.ops->rule_update);
    if (r < 0)
        return r;
    tags = json_object_get(a->u.doc, "tags");
    if (a->list)
        return 0;
    if (a->check)
        return nb_net_tag_find(tags, a->tag) < 0
                   ? nb_net_err(ctx, 404, "TagNotFound", "Tag %s could not be found "
                                "for %s %s.", a->tag, a->u.ops->kind->singular,
                                nb_json_str(a->u.doc, "id"))
                   : 0;
    if (a->replace) {
        json_object_set_new(a->u.doc, "tags", json_deep_copy(a->replace));
    } else if (a->add) {
        if (strlen(a->tag) > 255 || strchr(a->tag, ','))
            return nb_net_err(ctx, 400, "HTTPBadRequest", "Invalid tag %s", a->tag);
        if (nb_net_tag_find(tags, a->tag) < 0)
            json_array_append_new(tags, json_string(a->tag));
    } else if (a->tag) {
        int i = nb_net_tag_find(tags, a->tag);
        if (i < 0)
            return nb_net_err(ctx, 404, "TagNotFound", "Tag %s could not be found "
                              "for %s %s.", a->tag, a->u.ops->kind->singular,
                              nb_json_str(a->u.doc, "id"));
        json_array_remove(tags, (size_t)i);
    } else {
        json_array_clear(tags);
    }
    nb_net_std_touch(a->u.doc);
    return nb_net_save(tx, a->u.ops->kind, a->u.doc);
}

static int nb_net_tags_run(struct nb_req *req, struct nb_net_tag_arg *a, int status)
{
    int r;
    a->u.req = req;
    a->u.ops = nb_req_route_arg(req);
    nb_req_policy_done(req);
    r = nb_net_write(nb_req_ctx(req), a->u.ops, nb_net_tags_tx, a);
    if (r == 0)
        r = status == 200 ? nb_reply_json(req, 200, json_pack("{s:O}", "tags",
                                                   json_object_get(a->u.doc, "tags")))
                          : nb_reply_empty(req, status);
    json_decref(a->u.doc);
    return r;
}

int nb_net_tags_replace(struct nb_req *req)
{
    json_t *body = nb_req_json(req);
    const json_t *tags = body ? json_object_get(body, "tags") : NULL;
    struct nb_net_tag_arg a = {.replace = tags};
    size_t i;
    json_t *t;
    nb_req_policy_done(req);
    if (!body)
        return -EINVAL;
    if (!json_is_array(tags))
        return nb_net_err(nb_req_ctx(req), 400, "HTTPBadRequest", "Invalid tags body");
    json_array_foreach(tags, i, t)
        if (!json_is_string(t) || json_string_length(t) > 255)
            return nb_net_err(nb_req_ctx(req), 400, "HTTPBadRequest", "Invalid tags body");
    return nb_net_tags_run(req, &a, 200);
}

int nb_net_tags_list(struct nb_req *req)
{
    struct nb_net_tag_arg a = {.check = true, .list = true};
    return nb_net_tags_run(req, &a, 200);
}

int nb_net_tags_clear(struct nb_req *req)
{
    struct nb_net_tag_arg a = {0};
    return nb_net_tags_run(req, &a, 204);
}

int nb_net_tag_check(struct nb_req *req)
{
    struct nb_net_tag_arg a = {.tag = nb_req_param(req, 1), .check = true};
    return nb_net_tags_run(req, &a, 204);
}

int nb_net_tag_add(struct nb_req *req)
{
    struct nb_net_tag_arg a = {.tag = nb_req_param(req, 1), .add = true};
    return nb_net_tags_run(req, &a, 201);
}

int nb_net_tag_delete(struct nb_req *req)
{
    struct nb_net_tag_arg a = {.tag = nb_req_param(req, 1)};
    return nb_net_tags_run(req, &a, 204);
}
