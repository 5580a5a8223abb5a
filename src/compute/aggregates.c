/* os-aggregates: host aggregates (create, list, show, update, delete;
 * add_host, remove_host, set_metadata; 2.41 uuid).  The metadata key
 * "availability_zone" puts the aggregate's hosts in that zone (Nova's rule:
 * a host is in at most one named zone), which os-services,
 * os-availability-zone and nb_cmp_host_az show. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>

#define AGG_COLS "id, uuid, name, metadata, created_at, updated_at"

/* Aggregate 'id' as a row object with "hosts" (array) and "metadata"
 * (object); -ENOENT with Nova's 404 set. */
static int nb_cmp_agg_load(struct nb_req *req, struct nb_tx *tx, int64_t id, json_t **out)
{
    struct nb_stmt *st = NULL;
    json_t *a = NULL, *hosts = json_array(), *meta;
    int r = nb_tx_query(tx, &st, "SELECT " AGG_COLS " FROM cmp_aggregates WHERE id = ?",
                        "i", id);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        a = nb_cmp_row_json(st);
        r = 0;
    } else if (r == 0) {
        r = nb_req_err(req, 404, "Aggregate %lld could not be found.", (long long)id);
    }
    nb_stmt_done(st);
    st = NULL;
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT host FROM cmp_aggregate_hosts WHERE"
                        " aggregate_id = ? ORDER BY host", "i", id);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(hosts, json_string(nb_stmt_text(st, 0)));
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0) {
        json_decref(a);
        json_decref(hosts);
        return r;
    }
    meta = json_loads(nb_json_str(a, "metadata"), 0, NULL);
    json_object_set_new(a, "metadata", json_is_object(meta) ? meta : json_object());
    if (!json_is_object(meta))
        json_decref(meta);
    json_object_set_new(a, "hosts", hosts);
    *out = a;
    return 0;
}

static json_t *nb_cmp_agg_time(const json_t *a, const char *key)
{
    char t[NB_TIME_LEN];
    int64_t us = nb_cmp_row_int(a, key);
    if (!us)
        return json_null();
    nb_time_fmt(us, -6, t);
    return json_string(t);
}

/* The view; 'brief' (a create) has no hosts nor metadata. */
static json_t *nb_cmp_agg_view(struct nb_req *req, const json_t *a, bool brief)
{
    const json_t *meta = json_object_get(a, "metadata");
    const char *az = nb_json_str(meta, "availability_zone");
    json_t *o = json_pack("{s:I,s:s,s:o,s:o,s:o,s:n,s:b}",
                          "id", (json_int_t)nb_cmp_row_int(a, "id"),
                          "name", nb_json_str(a, "name"),
                          "availability_zone", az ? json_string(az) : json_null(),
                          "created_at", nb_cmp_agg_time(a, "created_at"),
                          "updated_at", nb_cmp_agg_time(a, "updated_at"),
                          "deleted_at", "deleted", 0);
    if (nb_req_mv(req) >= NB_MV(2, 41))
        json_object_set_new(o, "uuid", json_string(nb_json_str(a, "uuid")));
    if (!brief) {
        json_object_set(o, "hosts", json_object_get(a, "hosts"));
        json_object_set(o, "metadata", (json_t *)meta);
    }
    return o;
}

/* The path's id: an integer, else Nova's 400. */
static int nb_cmp_agg_id(struct nb_req *req, int64_t *id)
{
    long n;
    if (nb_str_to_long(nb_req_param(req, 0), &n) < 0)
        return nb_req_err(req, 400, "Invalid input received: id must be an integer");
    *id = n;
    return 0;
}

int nb_cmp_host_az(struct nb_tx *tx, const char *host, char **out)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, "SELECT a.metadata FROM cmp_aggregates a JOIN"
                        " cmp_aggregate_hosts h ON h.aggregate_id = a.id WHERE h.host = ?"
                        " ORDER BY a.id", "s", host);
    *out = NULL;
    while (r == 0 && !*out && (r = nb_stmt_next(st)) > 0) {
        json_t *m = json_loads(nb_stmt_text(st, 0), 0, NULL);
        const char *az = nb_json_str(m, "availability_zone");
        if (az && *az)
            *out = nb_xstrdup(az);
        json_decref(m);
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0)
        return r;
    return *out ? 0 : -ENOENT;
}

int nb_cmp_zone_has_hosts(struct nb_tx *tx, const char *zone, int64_t *n)
{
    struct nb_stmt *st = NULL;
    json_t *hosts = json_array(), *h;
    size_t i;
    int r = nb_tx_query(tx, &st, "SELECT host, zone FROM cmp_services"
                        " WHERE bin = 'nova-compute'", "");

    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(hosts, json_pack("[ss]", nb_stmt_text(st, 0),
                                               nb_stmt_text(st, 1)));
        r = 0;
    }
    nb_stmt_done(st);
    *n = 0;
    json_array_foreach(hosts, i, h) {
        char *az = NULL;
        int q = r < 0 ? r : nb_cmp_host_az(tx, json_string_value(json_array_get(h, 0)), &az);
        const char *eff = q == 0 ? az : json_string_value(json_array_get(h, 1));
        if (q < 0 && q != -ENOENT)
            r = q;
        else if (strcmp(eff, zone) == 0)
            (*n)++;
        free(az);
    }
    json_decref(hosts);
    return r < 0 ? r : 0;
}

/* Nova's is_safe_to_update_az: the hosts of 'agg' ('extra', when not
 * NULL, is one more) may take zone 'az' only if none of them is in an
 * aggregate of another zone. */
static int nb_cmp_agg_az_ok(struct nb_req *req, struct nb_tx *tx, const json_t *agg,
                            const char *az, const char *extra, const char *fmt)
{
    json_t *hosts = json_deep_copy(json_object_get(agg, "hosts")), *h;
    struct nb_buf others = {0};
    size_t i;
    int r = 0;
    if (extra)
        json_array_append_new(hosts, json_string(extra));
    json_array_foreach(hosts, i, h) {
        struct nb_stmt *st = NULL;
        r = nb_tx_query(tx, &st, "SELECT a.metadata FROM cmp_aggregates a JOIN"
                        " cmp_aggregate_hosts x ON x.aggregate_id = a.id"
                        " WHERE x.host = ? AND a.id <> ?", "si", json_string_value(h),
                        nb_cmp_row_int(agg, "id"));
        while (r == 0 && (r = nb_stmt_next(st)) > 0) {
            json_t *m = json_loads(nb_stmt_text(st, 0), 0, NULL);
            const char *other = nb_json_str(m, "availability_zone");
            if (other && strcmp(other, az) != 0)
                nb_buf_printf(&others, "%s'%s'", others.len ? ", " : "[", other);
            json_decref(m);
            r = 0;
        }
        nb_stmt_done(st);
        if (r < 0)
            break;
    }
    json_decref(hosts);
    if (r == 0 && others.len)
        r = nb_req_err(req, extra ? 409 : 400, fmt, (long long)nb_cmp_row_int(agg, "id"),
                       others.buf);
    nb_buf_free(&others);
    return r;
}

static int nb_cmp_agg_reply(struct nb_req *req, struct nb_tx *tx, int64_t id, bool brief)
{
    json_t *a = NULL;
    int r = nb_cmp_agg_load(req, tx, id, &a);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "aggregate",
                                              nb_cmp_agg_view(req, a, brief)));
    json_decref(a);
    return r;
}

/* ---- handlers */

int nb_cmp_aggregates_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *ids = json_array(), *list = json_array(), *v;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id FROM cmp_aggregates ORDER BY id", "");
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(ids, json_integer(nb_stmt_int(st, 0)));
        r = 0;
    }
    nb_stmt_done(st);
    json_array_foreach(ids, i, v) {
        json_t *a = NULL;
        if (r == 0)
            r = nb_cmp_agg_load(req, tx, json_integer_value(v), &a);
        if (r == 0)
            json_array_append_new(list, nb_cmp_agg_view(req, a, false));
        json_decref(a);
    }
    nb_tx_rollback(tx);
    json_decref(ids);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "aggregates", list));
}

int nb_cmp_aggregate_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int64_t id = 0;
    int r = nb_cmp_agg_id(req, &id);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    return r < 0 ? r : nb_cmp_agg_reply(req, tx, id, false);
}

/* A name or zone of the body: a string of 1..255 without leading or
 * trailing white space (Nova's 'name'); *out borrowed. */
static int nb_cmp_agg_name(struct nb_req *req, const json_t *body, const char *key,
                           bool nullable, const char **out)
{
    const json_t *v = json_object_get(body, key);
    char path[64];
    const char *s;
    size_t n;
    *out = NULL;
    snprintf(path, sizeof(path), "aggregate/%s", key);
    if (!v || (nullable && json_is_null(v)))
        return 0;
    s = json_string_value(v);
    n = s ? strlen(s) : 0;
    if (!s || n < 1 || n > 255 || strchr(" \t\r\n", s[0]) || strchr(" \t\r\n", s[n - 1]))
        return nb_cmp_bad_input(nb_req_ctx(req), path, v, "is not a 'name'");
    *out = s;
    return 0;
}

/* Validates {"aggregate": {name, availability_zone}}: every key known,
 * name required on create, at least one on update. */
static int nb_cmp_agg_body(struct nb_req *req, bool create, const char **name,
                           const char **az, bool *az_given)
{
    json_t *body = nb_req_json(req), *a, *v;
    const char *k;
    int r;
    if (!body)
        return -EINVAL;
    a = json_object_get(body, "aggregate");
    if (!json_is_object(a) || json_object_size(body) != 1)
        return nb_cmp_bad_input(nb_req_ctx(req), "aggregate", a ? a : body,
                                a ? "is not of type 'object'"
                                  : "'aggregate' is a required property");
    json_object_foreach(a, k, v) {
        if (strcmp(k, "name") && strcmp(k, "availability_zone"))
            return nb_cmp_bad_input(nb_req_ctx(req), "aggregate", a,
                                    "Additional properties are not allowed");
    }
    if ((create && !json_object_get(a, "name")) || (!create && !json_object_size(a)))
        return nb_cmp_bad_input(nb_req_ctx(req), "aggregate", a,
                                create ? "'name' is a required property"
                                       : "does not have enough properties");
    r = nb_cmp_agg_name(req, a, "name", false, name);
    if (r == 0)
        r = nb_cmp_agg_name(req, a, "availability_zone", true, az);
    *az_given = json_object_get(a, "availability_zone") != NULL;
    return r;
}

int nb_cmp_aggregate_create(struct nb_req *req)
{
    const char *name = NULL, *az = NULL;
    struct nb_tx *tx = NULL;
    int64_t id = 0, now = nb_now_us();
    json_t *meta;
    char uuid[37], *mtext;
    bool az_given;
    int r = nb_cmp_agg_body(req, true, &name, &az, &az_given);
    if (r < 0)
        return r;
    meta = az ? json_pack("{s:s}", "availability_zone", az) : json_object();
    mtext = nb_json_dump(meta);
    json_decref(meta);
    nb_uuid_dashed(uuid);
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0 && nb_tx_query_int(tx, &id, "SELECT 1 FROM cmp_aggregates WHERE name = ?",
                                  "s", name) == 0)
        r = nb_req_err(req, 409, "Aggregate %s already exists.", name);
    if (r == 0)
        r = nb_tx_query_int(tx, &id, "SELECT COALESCE(MAX(id), 0) + 1 FROM cmp_aggregates",
                            "");
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_aggregates (id, uuid, name, metadata,"
                       " created_at) VALUES (?, ?, ?, ?, ?)", "isssi", id, uuid, name,
                       mtext, now);
    if (r == -EEXIST)
        r = nb_req_err(req, 409, "Aggregate %s already exists.", name);
    free(mtext);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_cmp_agg_reply(req, tx, id, true);
}

/* Writes the aggregate's metadata and updated_at. */
static int nb_cmp_agg_save_meta(struct nb_tx *tx, int64_t id, const json_t *meta)
{
    char *text = nb_json_dump(meta);
    int r = nb_tx_exec(tx, NULL, "UPDATE cmp_aggregates SET metadata = ?, updated_at = ?"
                       " WHERE id = ?", "sii", text, nb_now_us(), id);
    free(text);
    return r;
}

int nb_cmp_aggregate_update(struct nb_req *req)
{
    const char *name = NULL, *az = NULL;
    struct nb_tx *tx = NULL;
    json_t *a = NULL;
    int64_t id = 0, other;
    bool az_given = false;
    int r = nb_cmp_agg_id(req, &id);
    if (r == 0)
        r = nb_cmp_agg_body(req, false, &name, &az, &az_given);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_agg_load(req, tx, id, &a);
    if (r == 0 && name && nb_tx_query_int(tx, &other, "SELECT id FROM cmp_aggregates"
                                          " WHERE name = ? AND id <> ?", "si", name,
                                          id) == 0)
        r = nb_req_err(req, 409, "Aggregate %s already exists.", name);
    if (r == 0 && name)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_aggregates SET name = ?, updated_at = ?"
                       " WHERE id = ?", "sii", name, nb_now_us(), id);
    if (r == 0 && az)
        r = nb_cmp_agg_az_ok(req, tx, a, az, NULL, "Cannot update aggregate %lld. Reason:"
                             " One or more hosts already in availability zone(s) %s].");
    if (r == 0 && az_given) {
        json_t *meta = json_object_get(a, "metadata");
        if (az)
            json_object_set_new(meta, "availability_zone", json_string(az));
        else
            json_object_del(meta, "availability_zone");
        r = nb_cmp_agg_save_meta(tx, id, meta);
    }
    json_decref(a);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_cmp_agg_reply(req, tx, id, false);
}

int nb_cmp_aggregate_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *a = NULL;
    int64_t id = 0;
    int r = nb_cmp_agg_id(req, &id);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_agg_load(req, tx, id, &a);
    if (r == 0 && json_array_size(json_object_get(a, "hosts")))
        r = nb_req_err(req, 400, "Cannot remove aggregate %lld. Reason: Host aggregate is"
                       " not empty.", (long long)id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_aggregates WHERE id = ?", "i", id);
    json_decref(a);
    return nb_cmp_commit_empty(req, tx, r, 200);
}

/* add_host / remove_host: {"host": "<name>"}, the host a compute service's. */
static int nb_cmp_agg_host(struct nb_req *req, struct nb_tx *tx, const json_t *a,
                           const json_t *arg, bool add)
{
    const json_t *h = json_object_get(arg, "host");
    const char *host = json_string_value(h), *az;
    int64_t id = nb_cmp_row_int(a, "id"), one;
    int changes = 0, r = 0;
    if (!json_is_object(arg) || !host || !*host || strlen(host) > 255 ||
        json_object_size(arg) != 1)
        return nb_cmp_bad_input(nb_req_ctx(req), add ? "add_host" : "remove_host",
                                arg, "'host' is a required property");
    if (!add) {
        r = nb_tx_exec(tx, &changes, "DELETE FROM cmp_aggregate_hosts WHERE"
                       " aggregate_id = ? AND host = ?", "is", id, host);
        if (r == 0 && !changes)
            r = nb_req_err(req, 404, "Cannot remove host %s in aggregate %lld", host,
                           (long long)id);
        return r;
    }
    if (nb_tx_query_int(tx, &one, "SELECT 1 FROM cmp_services WHERE host = ? AND"
                        " bin = 'nova-compute'", "s", host) < 0)
        return nb_req_err(req, 404, "Compute host %s could not be found.", host);
    if (nb_tx_query_int(tx, &one, "SELECT 1 FROM cmp_aggregate_hosts WHERE"
                        " aggregate_id = ? AND host = ?", "is", id, host) == 0)
        return nb_req_err(req, 409, "Aggregate %lld already has host %s.", (long long)id,
                          host);
    az = nb_json_str(json_object_get(a, "metadata"), "availability_zone");
    if (az)
        r = nb_cmp_agg_az_ok(req, tx, a, az, host, "Cannot add host to aggregate %lld."
                             " Reason: One or more hosts already in availability"
                             " zone(s) %s].");
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_aggregate_hosts (aggregate_id, host)"
                       " VALUES (?, ?)", "is", id, host);
    return r;
}

/* set_metadata: {"metadata": {key: string or null (removes)}}. */
static int nb_cmp_agg_set_meta(struct nb_req *req, struct nb_tx *tx, const json_t *a,
                               const json_t *arg)
{
    const json_t *in = json_object_get(arg, "metadata");
    json_t *meta = json_object_get(a, "metadata"), *v;
    const char *k, *az;
    int r;
    if (!json_is_object(in) || json_object_size(arg) != 1)
        return nb_cmp_bad_input(nb_req_ctx(req), "set_metadata", arg,
                                "'metadata' is a required property");
    json_object_foreach((json_t *)in, k, v) {
        size_t n = strlen(k);
        if (n < 1 || n > 255 || (!json_is_null(v) && (!json_is_string(v) ||
                                                      strlen(json_string_value(v)) > 255)))
            return nb_cmp_bad_input(nb_req_ctx(req), "set_metadata/metadata", in,
                                    "is not a valid metadata");
    }
    v = json_object_get(in, "availability_zone");
    az = json_string_value(v);
    if (v && az && !*az)
        return nb_req_err(req, 400, "Cannot update metadata of aggregate %lld. Reason:"
                          " Aggregate %lld does not support empty named availability zone.",
                          (long long)nb_cmp_row_int(a, "id"),
                          (long long)nb_cmp_row_int(a, "id"));
    if (az && (r = nb_cmp_agg_az_ok(req, tx, a, az, NULL, "Cannot update metadata of"
                                    " aggregate %lld. Reason: One or more hosts already"
                                    " in availability zone(s) %s].")) < 0)
        return r;
    json_object_foreach((json_t *)in, k, v) {
        if (json_is_null(v))
            json_object_del(meta, k);
        else
            json_object_set(meta, k, v);
    }
    return nb_cmp_agg_save_meta(tx, nb_cmp_row_int(a, "id"), meta);
}

int nb_cmp_aggregate_action(struct nb_req *req)
{
    json_t *body = nb_req_json(req), *a = NULL;
    const char *action, *rule;
    struct nb_tx *tx = NULL;
    int64_t id = 0;
    int r;
    if (!body)
        return -EINVAL;
    action = json_object_size(body) == 1 ? json_object_iter_key(json_object_iter(body))
                                         : "";
    if (!strcmp(action, "add_host"))
        rule = "os_compute_api:os-aggregates:add_host";
    else if (!strcmp(action, "remove_host"))
        rule = "os_compute_api:os-aggregates:remove_host";
    else if (!strcmp(action, "set_metadata"))
        rule = "os_compute_api:os-aggregates:set_metadata";
    else
        return nb_req_err(req, 400, "There is no such action: %s", action);
    r = nb_req_enforce(req, rule, NULL);
    if (r == 0)
        r = nb_cmp_agg_id(req, &id);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_agg_load(req, tx, id, &a);
    if (r == 0 && strcmp(action, "set_metadata") == 0)
        r = nb_cmp_agg_set_meta(req, tx, a, json_object_get(body, action));
    else if (r == 0)
        r = nb_cmp_agg_host(req, tx, a, json_object_get(body, action),
                            strcmp(action, "add_host") == 0);
    json_decref(a);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_cmp_agg_reply(req, tx, id, false);
}
