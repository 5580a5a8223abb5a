/* os-hosts (microversions before 2.43; Nova removed it in 2.43): the hosts
 * of the enabled services, a compute host's resources, enabling or
 * disabling its compute service.  Maintenance mode and host power actions
 * are the virt driver's in Nova; no driver here offers them, so they
 * answer 501 as Nova does for a driver without them. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 404 from 2.43, as the routes Nova dropped. */
static int nb_cmp_hosts_gone(struct nb_req *req)
{
    return nb_cmp_mv_route(req, 0, NB_MV(2, 42));
}

int nb_cmp_hosts_list(struct nb_req *req)
{
    const char *zone = nb_req_query(req, "zone");
    struct nb_tx *tx = NULL;
    json_t *svcs = NULL, *list = json_array(), *s;
    size_t i;
    int r = nb_cmp_hosts_gone(req);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_services_load(tx, "disabled = 0", NULL, &svcs);
    nb_tx_rollback(tx);
    json_array_foreach(svcs, i, s) {
        const char *z = strcmp(nb_json_str(s, "bin"), "nova-compute") == 0
                            ? nb_json_str(s, "zone") : "internal";
        if (zone && *zone && strcmp(zone, z) != 0)
            continue;
        json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "host_name",
                                              nb_json_str(s, "host"), "service",
                                              nb_json_str(s, "topic") ?: "", "zone", z));
    }
    json_decref(svcs);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "hosts", list));
}

/* {"resource": {host, project, cpu, memory_mb, disk_gb}} */
static json_t *nb_cmp_host_resource(const char *host, const char *project, int64_t cpu,
                                    int64_t mem, int64_t disk)
{
    return json_pack("{s:{s:s,s:s,s:I,s:I,s:I}}", "resource", "host", host, "project",
                     project, "cpu", (json_int_t)cpu, "memory_mb", (json_int_t)mem,
                     "disk_gb", (json_int_t)disk);
}

int nb_cmp_host_show(struct nb_req *req)
{
    const char *host = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    int64_t tot[3] = {0};
    int r = nb_cmp_hosts_gone(req);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT vcpus, memory_mb, local_gb FROM cmp_nodes"
                        " WHERE host = ?", "s", host);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, nb_cmp_host_resource(host, "(total)",
                                                         nb_stmt_int(st, 0),
                                                         nb_stmt_int(st, 1),
                                                         nb_stmt_int(st, 2)));
        r = 0;
    } else if (r == 0) {
        r = nb_req_err(req, 404, "Compute host %s could not be found.", host);
    }
    nb_stmt_done(st);
    st = NULL;
    /* what the live servers use, in all and per project */
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT project_id, SUM(vcpus), SUM(memory_mb),"
                        " SUM(root_gb) FROM cmp_instances WHERE host = ? AND"
                        " deleted_at IS NULL GROUP BY project_id ORDER BY project_id",
                        "s", host);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        for (int k = 0; k < 3; k++)
            tot[k] += nb_stmt_int(st, k + 1);
        json_array_append_new(list, nb_cmp_host_resource(host, nb_stmt_text(st, 0),
                                                         nb_stmt_int(st, 1),
                                                         nb_stmt_int(st, 2),
                                                         nb_stmt_int(st, 3)));
        r = 0;
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    /* Nova's order: total, used now, used max, then the projects */
    json_array_insert_new(list, 1, nb_cmp_host_resource(host, "(used_now)", tot[0], tot[1],
                                                        tot[2]));
    json_array_insert_new(list, 2, nb_cmp_host_resource(host, "(used_max)", tot[0], tot[1],
                                                        tot[2]));
    return nb_reply_json(req, 200, json_pack("{s:o}", "host", list));
}

/* 'v' is "enable" or "disable" in one of Nova's three spellings. */
static int nb_cmp_host_flag(struct nb_req *req, const json_t *body, const char *key,
                            int *out)
{
    static const char *const ok[] = {"enable", "disable", "Enable", "Disable",
                                     "ENABLE", "DISABLE", NULL};
    const json_t *v = json_object_get(body, key);
    *out = -1;
    if (!v)
        return 0;
    for (int i = 0; ok[i] && json_is_string(v); i++)
        if (strcmp(json_string_value(v), ok[i]) == 0)
            return *out = strcasecmp(ok[i], "enable") == 0, 0;
    return nb_cmp_bad_input(nb_req_ctx(req), key, v, "is not one of ['enable', 'disable',"
                            " 'Enable', 'Disable', 'ENABLE', 'DISABLE']");
}

int nb_cmp_host_update(struct nb_req *req)
{
    const char *host = nb_req_param(req, 0), *k;
    json_t *body = nb_req_json(req), *v;
    struct nb_tx *tx = NULL;
    int status, maint, changes = 0;
    int r = nb_cmp_hosts_gone(req);
    if (r < 0)
        return r;
    if (!body)
        return -EINVAL;
    json_object_foreach(body, k, v) {
        if (strcmp(k, "status") && strcmp(k, "maintenance_mode"))
            return nb_cmp_bad_key(nb_req_ctx(req), "", body, k);
    }
    r = nb_cmp_host_flag(req, body, "status", &status);
    if (r == 0)
        r = nb_cmp_host_flag(req, body, "maintenance_mode", &maint);
    if (r == 0 && status < 0 && maint < 0)
        r = nb_cmp_bad_input(nb_req_ctx(req), "", body,
                             "is not valid under any of the given schemas");
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0 && status >= 0)
        r = nb_tx_exec(tx, &changes, "UPDATE cmp_services SET disabled = ?,"
                       " disabled_reason = NULL, updated_at = ? WHERE host = ? AND"
                       " bin = 'nova-compute'", "bis", !status, nb_now_us(), host);
    else if (r == 0 && nb_tx_query_int(tx, &(int64_t){0}, "SELECT 1 FROM cmp_services"
                                       " WHERE host = ? AND bin = 'nova-compute'", "s",
                                       host) == 0)
        changes = 1;
    if (r == 0 && !changes)
        r = nb_req_err(req, 404, "Compute host %s could not be found.", host);
    /* a maintenance window needs the driver to move the guests away */
    if (r == 0 && maint >= 0)
        r = nb_req_err(req, 501, "Action not implemented.");
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    r = nb_tx_commit(tx);
    if (r < 0)
        return r;
    return nb_reply_json(req, 200, json_pack("{s:s,s:s}", "host", host, "status",
                                             status ? "enabled" : "disabled"));
}

/* GET /os-hosts/{host}/startup|shutdown|reboot. */
int nb_cmp_host_power(struct nb_req *req)
{
    static const char *const rules[][2] = {
        {"startup", "os_compute_api:os-hosts:start"},
        {"shutdown", "os_compute_api:os-hosts:shutdown"},
        {"reboot", "os_compute_api:os-hosts:reboot"},
    };
    const char *host = nb_req_param(req, 0), *action = nb_req_param(req, 1);
    const char *rule = NULL;
    struct nb_tx *tx = NULL;
    int r = nb_cmp_hosts_gone(req);
    for (size_t i = 0; i < NB_ARRAY_SIZE(rules); i++)
        if (strcmp(action, rules[i][0]) == 0)
            rule = rules[i][1];
    if (r == 0 && !rule) {
        nb_req_policy_done(req);
        r = nb_req_err(req, 404, "The resource could not be found.");
    }
    if (r == 0)
        r = nb_req_enforce(req, rule, NULL);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0 && nb_tx_query_int(tx, &(int64_t){0}, "SELECT 1 FROM cmp_services WHERE"
                                  " host = ? AND bin = 'nova-compute'", "s", host) < 0)
        r = nb_req_err(req, 404, "Compute host %s could not be found.", host);
    nb_tx_rollback(tx);
    if (r == 0)
        r = nb_req_err(req, 501, "Action not implemented.");
    return r;
}
