/* os-instance-actions (nova/api/openstack/compute/instance_actions.py):
 * what was done to a server, and with 2.51 its events for everyone; 2.21
 * deleted servers; 2.58 paging and changes-since; 2.62 event hosts. */
#include "compute/servers.h"
#include "compute/handlers.h"
#include "auth/auth.h"

#include <stdlib.h>
#include <string.h>

json_t *nb_cmp_stmt_time(struct nb_stmt *st, int col)
{
    char buf[NB_TIME_LEN];
    if (nb_stmt_null(st, col))
        return json_null();
    nb_time_fmt(nb_stmt_int(st, col), -6, buf);
    return json_string(buf);
}

/* The server of the request, deleted ones too from 2.21, as the caller
 * may see it, with 'rule' enforced. */
static int nb_ia_server(struct nb_req *req, struct nb_tx *tx, const char *rule,
                        json_t **out)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    json_t *s = NULL, *target;
    int r;

    if (nb_req_mv(req) < NB_MV(2, 21))
        return nb_cmp_server_load(req, tx, id, rule, out);
    r = nb_cmp_server_get_raw(tx, id, &s);
    if (r == 0 && !nb_cmp_is_admin(ctx) &&
        strcmp(nb_json_str(s, "project_id"), ctx->caller.project.id) != 0)
        r = -ENOENT;
    if (r < 0) {
        json_decref(s);
        return nb_err_set(ctx, 404, "Instance %s could not be found.", id);
    }
    target = json_pack("{s:{s:s}}", "target", "project_id", nb_json_str(s, "project_id"));
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    if (r < 0) {
        json_decref(s);
        return r;
    }
    *out = s;
    return 0;
}

#define NB_IA_COLS "request_id, action, project_id, user_id, start_time, message," \
                   " updated_at"

static json_t *nb_ia_action(struct nb_req *req, struct nb_stmt *st, const char *id)
{
    json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s?}",
                          "action", nb_stmt_text(st, 1), "instance_uuid", id,
                          "request_id", nb_stmt_text(st, 0),
                          "project_id", nb_stmt_text(st, 2),
                          "user_id", nb_stmt_text(st, 3),
                          "start_time", nb_cmp_stmt_time(st, 4),
                          "message", nb_stmt_text(st, 5));
    if (!json_object_get(a, "message"))
        json_object_set_new(a, "message", json_null());
    if (nb_req_mv(req) >= NB_MV(2, 58))
        json_object_set_new(a, "updated_at", nb_cmp_stmt_time(st, 6));
    return a;
}

int nb_cmp_query_time(struct nb_req *req, const char *key, int64_t *out)
{
    const char *v = nb_req_query(req, key);
    if (!v)
        return 0;
    if (nb_time_parse(v, out) < 0)
        return nb_req_err(req, 400, "Invalid input for query parameters %s. Value: %s. "
                          "'%s' is not a 'date-time'", key, v, v);
    return 1;
}

struct nb_ia_keys {
    struct nb_req *req;
    int bad;
    char key[64];
};

static void nb_ia_check_key(void *arg, const char *k, const char *v)
{
    struct nb_ia_keys *a = arg;
    int mv = nb_req_mv(a->req);
    (void)v;
    if (strcmp(k, "limit") && strcmp(k, "marker") && strcmp(k, "changes-since") &&
        (mv < NB_MV(2, 66) || strcmp(k, "changes-before")) && !a->bad) {
        a->bad = 1;
        snprintf(a->key, sizeof(a->key), "%s", k);
    }
}

int nb_cmp_instance_actions_index(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    struct nb_sql q = {0};
    json_t *s = NULL, *list = json_array(), *body;
    const char *id = nb_req_param(req, 0), *marker = NULL, *last = NULL;
    long limit = 1000;
    int64_t since = 0, before = 0, mstart = 0;
    bool paging = nb_req_mv(req) >= NB_MV(2, 58);
    int hs = 0, hb = 0, r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r < 0)
        goto out;
    if ((r = nb_ia_server(req, tx, "os_compute_api:os-instance-actions:list", &s)) < 0)
        goto out;
    if (paging) {
        struct nb_ia_keys k = {req, 0, ""};
        nb_req_query_each(req, nb_ia_check_key, &k);
        if (k.bad) {
            r = nb_err_set(ctx, 400, "Invalid input for query parameters %s. Additional "
                           "properties are not allowed ('%s' was unexpected)", k.key, k.key);
            goto out;
        }
        if ((r = nb_cmp_paging(req, &limit, &marker)) < 0)
            goto out;
        if ((hs = nb_cmp_query_time(req, "changes-since", &since)) < 0 ||
            (nb_req_mv(req) >= NB_MV(2, 66) &&
             (hb = nb_cmp_query_time(req, "changes-before", &before)) < 0)) {
            r = -EINVAL;
            goto out;
        }
        if (hs && hb && before < since) {
            r = nb_err_set(ctx, 400, "The value of changes-since must be less than or "
                           "equal to changes-before.");
            goto out;
        }
        if (marker && nb_tx_query_int(tx, &mstart, "SELECT start_time FROM cmp_actions"
                                      " WHERE instance_id = ? AND request_id = ?", "ss",
                                      id, marker) < 0) {
            r = nb_err_set(ctx, 400, "Marker %s could not be found.", marker);
            goto out;
        }
    }
    nb_sql_add(&q, "SELECT " NB_IA_COLS " FROM cmp_actions WHERE instance_id = ?");
    nb_sql_text(&q, id);
    if (hs) {
        nb_sql_add(&q, " AND updated_at >= ?");
        nb_sql_int(&q, since);
    }
    if (hb) {
        nb_sql_add(&q, " AND updated_at <= ?");
        nb_sql_int(&q, before);
    }
    if (marker) {
        nb_sql_add(&q, " AND (start_time < ? OR (start_time = ? AND request_id < ?))");
        nb_sql_int(&q, mstart);
        nb_sql_int(&q, mstart);
        nb_sql_text(&q, marker);
    }
    nb_sql_add(&q, " ORDER BY start_time DESC, request_id DESC");
    if (paging) {
        nb_sql_add(&q, " LIMIT ?");
        nb_sql_int(&q, limit);
    }
    if ((r = nb_tx_query_sql(tx, &st, &q)) < 0)
        goto out;
    while ((r = nb_stmt_next(st)) > 0)
        json_array_append_new(list, nb_ia_action(req, st, id));
    if (r < 0)
        goto out;
    body = json_pack("{s:O}", "instanceActions", list);
    if (paging && limit > 0 && (long)json_array_size(list) == limit) {
        char *coll = nb_xasprintf("servers/%s/os-instance-actions", id);
        last = nb_json_str(json_array_get(list, json_array_size(list) - 1), "request_id");
        json_object_set_new(body, "links", nb_cmp_next_link(req, coll, last));
        free(coll);
    }
    r = nb_reply_json(req, 200, body);
out:
    nb_stmt_done(st);
    nb_sql_free(&q);
    nb_tx_rollback(tx);
    json_decref(s);
    json_decref(list);
    return r;
}

static json_t *nb_ia_events(struct nb_req *req, struct nb_tx *tx, const json_t *server,
                            const char *request_id, bool details)
{
    json_t *out = json_array();
    struct nb_stmt *st = NULL;
    int mv = nb_req_mv(req);

    if (nb_tx_query(tx, &st, "SELECT event, start_time, finish_time, result, traceback,"
                    " host FROM cmp_action_events WHERE instance_id = ? AND"
                    " request_id = ? ORDER BY start_time, event", "ss",
                    nb_json_str(server, "id"), request_id) < 0)
        return out;
    while (nb_stmt_next(st) > 0) {
        json_t *e = json_pack("{s:s,s:o,s:o,s:s?}", "event", nb_stmt_text(st, 0),
                              "start_time", nb_cmp_stmt_time(st, 1),
                              "finish_time", nb_cmp_stmt_time(st, 2),
                              "result", nb_stmt_text(st, 3));
        if (!json_object_get(e, "result"))
            json_object_set_new(e, "result", json_null());
        if (details)
            json_object_set_new(e, "traceback", nb_stmt_null(st, 4) ? json_null() :
                                json_string(nb_stmt_text(st, 4)));
        if (mv >= NB_MV(2, 62)) {
            json_object_set_new(e, "hostId", nb_cmp_host_id(nb_json_str(server, "project_id"),
                                                           nb_stmt_text(st, 5)));
            if (details)
                json_object_set_new(e, "host", json_string(nb_stmt_null(st, 5) ? "" :
                                                           nb_stmt_text(st, 5)));
        }
        json_array_append_new(out, e);
    }
    nb_stmt_done(st);
    return out;
}

int nb_cmp_instance_actions_show(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *s = NULL, *a = NULL, *target;
    const char *id = nb_req_param(req, 0), *rid = nb_req_param(req, 1);
    bool events, details;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r < 0)
        goto out;
    if ((r = nb_ia_server(req, tx, "os_compute_api:os-instance-actions:show", &s)) < 0)
        goto out;
    if ((r = nb_tx_query(tx, &st, "SELECT " NB_IA_COLS " FROM cmp_actions WHERE"
                         " instance_id = ? AND request_id = ?", "ss", id, rid)) < 0)
        goto out;
    if ((r = nb_stmt_next(st)) <= 0) {
        r = r < 0 ? r : nb_err_set(ctx, 404, "Action for request_id %s on instance %s "
                                   "not found", rid, id);
        goto out;
    }
    a = nb_ia_action(req, st, id);
    nb_stmt_done(st);
    st = NULL;
    target = json_pack("{s:{s:s}}", "target", "project_id", nb_json_str(s, "project_id"));
    details = nb_policy_allows(ctx, "os_compute_api:os-instance-actions:events", target);
    json_decref(target);
    events = details || nb_req_mv(req) >= NB_MV(2, 51);
    if (events)
        json_object_set_new(a, "events", nb_ia_events(req, tx, s, rid, details));
    r = nb_reply_json(req, 200, json_pack("{s:O}", "instanceAction", a));
out:
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_decref(s);
    json_decref(a);
    return r;
}
