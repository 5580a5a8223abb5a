/* os-services (list; enable, disable, disable-log-reason, force-down
 * before 2.53; PUT and DELETE by uuid from 2.53) and os-availability-zone
 * (list, detail), rendered from the cmp_services rows the compute agents
 * keep (src/compute/agent.c). */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The zone Nova shows for services other than nova-compute
 * ([DEFAULT] internal_service_availability_zone). */
#define NB_CMP_INTERNAL_ZONE "internal"

int64_t nb_cmp_legacy_id(const char *uuid)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)uuid; *p; p++)
        h = (h ^ *p) * 16777619u;
    return (int64_t)(h & 0x7fffffff) | 1;
}

bool nb_cmp_service_up(const json_t *svc)
{
    int64_t seen = nb_cmp_row_int(svc, "last_seen");
    if (nb_cmp_row_int(svc, "forced_down") || !seen)
        return false;
    /* Nova's service_down_time, as the scheduler reads it */
    return nb_now_us() - seen <= nb_conf_int("compute", "service_down_time") * 1000000;
}

#define SERVICE_COLS "id, host, bin, topic, zone, disabled, disabled_reason, forced_down," \
    " last_seen, created_at, updated_at"

int nb_cmp_services_load(struct nb_tx *tx, const char *where, const char *arg,
                         json_t **out)
{
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    char *sql = nb_xasprintf("SELECT " SERVICE_COLS " FROM cmp_services%s%s"
                             " ORDER BY created_at, id", where ? " WHERE " : "",
                             where ? where : "");
    int r = arg ? nb_tx_query(tx, &st, sql, "s", arg) : nb_tx_query(tx, &st, sql, "");
    json_t *svc;
    size_t i;
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, nb_cmp_row_json(st));
        r = 0;
    }
    nb_stmt_done(st);
    free(sql);
    /* a compute host in an aggregate with a zone is in that zone */
    json_array_foreach(list, i, svc) {
        char *az = NULL;
        int z;
        if (r < 0 || strcmp(nb_json_str(svc, "bin"), "nova-compute") != 0)
            continue;
        z = nb_cmp_host_az(tx, nb_json_str(svc, "host"), &az);
        if (z == 0)
            json_object_set_new(svc, "zone", json_string(az));
        else if (z != -ENOENT)
            r = z;
        free(az);
    }
    if (r < 0) {
        json_decref(list);
        return r;
    }
    *out = list;
    return 0;
}

/* The heartbeat time shown as updated_at ("2026-11-26T18:49:56.000000"). */
static json_t *nb_cmp_service_time(const json_t *svc)
{
    char t[NB_TIME_LEN];
    int64_t us = nb_cmp_row_int(svc, "last_seen");
    if (!us)
        us = nb_cmp_row_int(svc, "updated_at");
    if (!us)
        return json_null();
    nb_time_fmt(us, -6, t);
    return json_string(t);
}

static const char *nb_cmp_service_zone(const json_t *svc)
{
    const char *bin = nb_json_str(svc, "bin");
    return bin && strcmp(bin, "nova-compute") == 0 && nb_json_str(svc, "zone")
               ? nb_json_str(svc, "zone")
               : NB_CMP_INTERNAL_ZONE;
}

static json_t *nb_cmp_service_view(struct nb_req *req, const json_t *svc)
{
    int mv = nb_req_mv(req);
    const char *reason = nb_json_str(svc, "disabled_reason");
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}",
                          "binary", nb_json_str(svc, "bin"),
                          "host", nb_json_str(svc, "host"),
                          "zone", nb_cmp_service_zone(svc),
                          "status", nb_cmp_row_int(svc, "disabled") ? "disabled" : "enabled",
                          "state", nb_cmp_service_up(svc) ? "up" : "down",
                          "updated_at", nb_cmp_service_time(svc),
                          "disabled_reason", reason ? json_string(reason) : json_null());
    if (mv >= NB_MV(2, 53))
        json_object_set_new(o, "id", json_string(nb_json_str(svc, "id")));
    else
        json_object_set_new(o, "id", json_integer(nb_cmp_legacy_id(nb_json_str(svc, "id"))));
    if (mv >= NB_MV(2, 11))
        json_object_set_new(o, "forced_down",
                            json_boolean(nb_cmp_row_int(svc, "forced_down")));
    return o;
}

int nb_cmp_services_list(struct nb_req *req)
{
    static const char *const keys[] = {"host", "binary", NULL};
    const char *host = nb_req_query(req, "host"), *bin = nb_req_query(req, "binary");
    struct nb_tx *tx = NULL;
    json_t *all = NULL, *list = json_array(), *svc;
    size_t i;
    int r = nb_cmp_query_strict(req, keys);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_services_load(tx, NULL, NULL, &all);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    json_array_foreach(all, i, svc) {
        if ((host && *host && strcmp(host, nb_json_str(svc, "host")) != 0) ||
            (bin && *bin && strcmp(bin, nb_json_str(svc, "bin")) != 0))
            continue;
        json_array_append_new(list, nb_cmp_service_view(req, svc));
    }
    json_decref(all);
    return nb_reply_json(req, 200, json_pack("{s:o}", "services", list));
}

/* Sets what is given of service 'id': disabled (when not NULL), the
 * disabled reason (when set_reason; NULL clears it), forced_down. */
static int nb_cmp_service_set(struct nb_tx *tx, const char *id, bool *disabled,
                              const char *reason, bool set_reason, bool *forced)
{
    int r = 0;
    int64_t now = nb_now_us();
    if (disabled)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_services SET disabled = ?, updated_at = ?"
                       " WHERE id = ?", "bis", *disabled, now, id);
    if (r == 0 && set_reason)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_services SET disabled_reason = ?"
                       " WHERE id = ?", "ss", reason, id);
    if (r == 0 && forced)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_services SET forced_down = ?, updated_at = ?"
                       " WHERE id = ?", "bis", *forced, now, id);
    return r;
}

/* PUT /os-services/{enable|disable|disable-log-reason|force-down} before
 * 2.53: the service named by host and binary in the body. */
static int nb_cmp_service_action(struct nb_req *req, const json_t *body)
{
    const char *action = nb_req_param(req, 0);
    const char *host = nb_json_str(body, "host"), *bin = nb_json_str(body, "binary");
    const char *reason = nb_json_str(body, "disabled_reason");
    bool force_down = strcmp(action, "force-down") == 0 && nb_req_mv(req) >= NB_MV(2, 11);
    bool disabled = strcmp(action, "disable") == 0 ||
                    strcmp(action, "disable-log-reason") == 0;
    bool forced = false;
    struct nb_tx *tx = NULL;
    char *id = NULL;
    json_t *out;
    int r;
    if (!force_down && !disabled && strcmp(action, "enable") != 0)
        return nb_req_err(req, 404, "Unknown action");
    if (!host || !bin)
        return nb_cmp_bad_input(nb_req_ctx(req), "", body, host
                                ? "'binary' is a required property"
                                : "'host' is a required property");
    if (strcmp(action, "disable-log-reason") == 0 &&
        (!reason || !*reason || strlen(reason) > 255))
        return reason ? nb_cmp_bad_input(nb_req_ctx(req), "disabled_reason",
                                         json_object_get(body, "disabled_reason"),
                                         "is too long")
                      : nb_req_err(req, 400, "Missing disabled reason field");
    if (force_down) {
        const json_t *f = json_object_get(body, "forced_down");
        if (!f)
            return nb_req_err(req, 400, "Missing forced_down field");
        if (nb_cmp_bool_parse(f, &forced) < 0)
            return nb_cmp_bad_input(nb_req_ctx(req), "forced_down", f,
                                    "is not of type 'boolean'");
    }
    if (strcmp(bin, "nova-compute") != 0)
        return nb_req_err(req, 400, "Updating a %s service is not supported. Only"
                          " nova-compute services can be updated.", bin);
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0 && nb_tx_query_str(tx, &id, "SELECT id FROM cmp_services WHERE host = ?"
                                  " AND bin = ?", "ss", host, bin) == -ENOENT)
        r = nb_req_err(req, 404, "Service %s on host %s not found.", bin, host);
    if (r == 0)
        r = force_down ? nb_cmp_service_set(tx, id, NULL, NULL, false, &forced)
                       : nb_cmp_service_set(tx, id, &disabled, disabled ? reason : NULL,
                                            true, NULL);
    free(id);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    r = nb_tx_commit(tx);
    if (r < 0)
        return r;
    out = json_pack("{s:s,s:s}", "host", host, "binary", bin);
    if (force_down) {
        json_object_set_new(out, "forced_down", json_boolean(forced));
    } else {
        json_object_set_new(out, "status", json_string(disabled ? "disabled" : "enabled"));
        if (disabled && reason)
            json_object_set_new(out, "disabled_reason", json_string(reason));
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "service", out));
}

/* PUT /os-services/{uuid} from 2.53: status, disabled_reason, forced_down. */
static int nb_cmp_service_update_253(struct nb_req *req, const json_t *body)
{
    const char *id = nb_req_param(req, 0), *k;
    const json_t *st = json_object_get(body, "status"), *f = json_object_get(body, "forced_down");
    const json_t *reason = json_object_get(body, "disabled_reason"), *v;
    struct nb_tx *tx = NULL;
    json_t *svcs = NULL;
    bool disabled = false, forced = false;
    int r;
    if (!nb_uuid_is_dashed(id))
        return nb_req_err(req, 400, "Invalid uuid %s", id);
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "status") && strcmp(k, "disabled_reason") && strcmp(k, "forced_down"))
            return nb_cmp_bad_input(nb_req_ctx(req), "", body,
                                    "Additional properties are not allowed");
    }
    if (st && (!json_is_string(st) || (strcmp(json_string_value(st), "enabled") &&
                                       strcmp(json_string_value(st), "disabled"))))
        return nb_cmp_bad_input(nb_req_ctx(req), "status", st,
                                "is not one of ['enabled', 'disabled']");
    if (reason && (!json_is_string(reason) || !*json_string_value(reason) ||
                   strlen(json_string_value(reason)) > 255))
        return nb_cmp_bad_input(nb_req_ctx(req), "disabled_reason", reason,
                                "is not a valid reason");
    if (reason && !st)
        return nb_cmp_bad_input(nb_req_ctx(req), "", body,
                                "'status' is a dependency of 'disabled_reason'");
    if (f && (!json_is_boolean(f) || nb_cmp_bool_parse(f, &forced) < 0))
        return nb_cmp_bad_input(nb_req_ctx(req), "forced_down", f,
                                "is not of type 'boolean'");
    if (st)
        disabled = strcmp(json_string_value(st), "disabled") == 0;
    if (st && !disabled && reason)
        return nb_req_err(req, 400, "Specifying 'disabled_reason' with status 'enabled'"
                          " is invalid.");
    if (!st && !f)
        return nb_req_err(req, 400, "No updates were requested. Fields 'status' or"
                          " 'forced_down' should be specified.");
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_services_load(tx, "id = ?", id, &svcs);
    if (r == 0 && json_array_size(svcs) == 0)
        r = nb_req_err(req, 404, "Service %s could not be found.", id);
    if (r == 0 && strcmp(nb_json_str(json_array_get(svcs, 0), "bin"), "nova-compute"))
        r = nb_req_err(req, 400, "Updating a %s service is not supported. Only"
                       " nova-compute services can be updated.",
                       nb_json_str(json_array_get(svcs, 0), "bin"));
    if (r == 0)
        r = nb_cmp_service_set(tx, id, st ? &disabled : NULL,
                               disabled ? json_string_value(reason) : NULL, st != NULL,
                               f ? &forced : NULL);
    json_decref(svcs);
    svcs = NULL;
    if (r == 0)
        r = nb_cmp_services_load(tx, "id = ?", id, &svcs);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    r = nb_tx_commit(tx);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "service", nb_cmp_service_view(
                                                  req, json_array_get(svcs, 0))));
    json_decref(svcs);
    return r;
}

int nb_cmp_service_update(struct nb_req *req)
{
    json_t *body = nb_req_json(req);
    if (!body)
        return -EINVAL;
    return nb_req_mv(req) >= NB_MV(2, 53) ? nb_cmp_service_update_253(req, body)
                                          : nb_cmp_service_action(req, body);
}

/* DELETE /os-services/{id}: an integer id before 2.53, a uuid from it.  A
 * compute service that still hosts servers is a 409. */
int nb_cmp_service_delete(struct nb_req *req)
{
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    json_t *svcs = NULL, *svc = NULL, *s;
    int64_t n = 0;
    size_t i;
    long legacy = 0;
    int r;
    if (nb_req_mv(req) >= NB_MV(2, 53) ? !nb_uuid_is_dashed(id)
                                       : nb_str_to_long(id, &legacy) < 0)
        return nb_req_err(req, 400, nb_req_mv(req) >= NB_MV(2, 53)
                                        ? "Invalid uuid %s"
                                        : "Invalid input for field/attribute id."
                                          " Value: %s. id must be an integer", id);
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_services_load(tx, NULL, NULL, &svcs);
    json_array_foreach(svcs, i, s) {
        const char *sid = nb_json_str(s, "id");
        if (legacy ? nb_cmp_legacy_id(sid) == legacy : strcmp(sid, id) == 0)
            svc = s;
    }
    if (r == 0 && !svc)
        r = nb_req_err(req, 404, "Service %s not found.", id);
    if (r == 0 && strcmp(nb_json_str(svc, "bin"), "nova-compute") == 0) {
        r = nb_tx_query_int(tx, &n, "SELECT COUNT(*) FROM cmp_instances WHERE host = ?"
                            " AND deleted_at IS NULL", "s", nb_json_str(svc, "host"));
        if (r == 0 && n)
            r = nb_req_err(req, 409, "Unable to delete compute service that is hosting"
                           " instances. Migrate or delete the instances first.");
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_nodes WHERE host = ?", "s",
                           nb_json_str(svc, "host"));
    }
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_services WHERE id = ?", "s",
                       nb_json_str(svc, "id"));
    json_decref(svcs);
    return nb_cmp_commit_empty(req, tx, r, 204);
}

/* ---- os-availability-zone */

/* Zones of enabled compute services are available; a zone whose compute
 * services are all disabled is not.  With 'detail' (admins) the hosts and
 * their services are shown, and the internal zone with the other services. */
static int nb_cmp_az_reply(struct nb_req *req, bool detail)
{
    struct nb_tx *tx = NULL;
    json_t *svcs = NULL, *zones = json_object(), *list = json_array(), *s, *z;
    const char *name;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_services_load(tx, NULL, NULL, &svcs);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(zones);
        json_decref(list);
        return r;
    }
    json_array_foreach(svcs, i, s) {
        const char *zone = nb_cmp_service_zone(s);
        bool compute = strcmp(zone, NB_CMP_INTERNAL_ZONE) != 0;
        bool enabled = !nb_cmp_row_int(s, "disabled");
        if (!compute && !detail)
            continue;
        z = json_object_get(zones, zone);
        if (!z) {
            z = json_pack("{s:s,s:{s:b},s:n}", "zoneName", zone, "zoneState",
                          "available", 0, "hosts");
            json_object_set_new(zones, zone, z);
        }
        if (enabled || !compute)
            json_object_set_new(json_object_get(z, "zoneState"), "available", json_true());
        if (detail && (enabled || !compute)) {
            json_t *hosts = json_object_get(z, "hosts"), *h;
            if (!json_is_object(hosts)) {
                hosts = json_object();
                json_object_set_new(z, "hosts", hosts);
            }
            h = json_object_get(hosts, nb_json_str(s, "host"));
            if (!h) {
                h = json_object();
                json_object_set_new(hosts, nb_json_str(s, "host"), h);
            }
            json_object_set_new(h, nb_json_str(s, "bin"),
                                json_pack("{s:b,s:b,s:o}", "available",
                                          nb_cmp_service_up(s), "active", enabled,
                                          "updated_at", nb_cmp_service_time(s)));
        }
    }
    json_object_foreach(zones, name, z)
        json_array_append(list, z);
    json_decref(zones);
    json_decref(svcs);
    return nb_reply_json(req, 200, json_pack("{s:o}", "availabilityZoneInfo", list));
}

int nb_cmp_az_list(struct nb_req *req)
{
    return nb_cmp_az_reply(req, false);
}

int nb_cmp_az_detail(struct nb_req *req)
{
    return nb_cmp_az_reply(req, true);
}
