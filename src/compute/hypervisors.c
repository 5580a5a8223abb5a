/* os-hypervisors: list, detail (2.33 paging; 2.53 uuids,
 * hypervisor_hostname_pattern and with_servers), show, uptime, statistics,
 * and before 2.53 the search and servers routes.  A hypervisor is a
 * cmp_nodes row (what an agent's driver reports) with its nova-compute
 * service; usage is summed from the live servers on its host. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Nodes with their service and usage, as row objects: the cmp_nodes
 * columns, svc_* of the service, and the sums over the host's servers. */
static int nb_cmp_nodes_load(struct nb_tx *tx, const char *pattern, json_t **out)
{
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    char *like = pattern ? nb_xasprintf("%%%s%%", pattern) : NULL;
    int r = nb_tx_query(tx, &st, "SELECT n.id, n.host, n.hypervisor_hostname,"
                        " n.hypervisor_type, n.hypervisor_version, n.host_ip, n.vcpus,"
                        " n.memory_mb, n.local_gb, n.cpu_info, n.created_at,"
                        " s.id AS svc_id, s.disabled AS disabled,"
                        " s.disabled_reason AS disabled_reason,"
                        " s.forced_down AS forced_down, s.last_seen AS last_seen,"
                        " (SELECT COUNT(*) FROM cmp_instances i WHERE i.host = n.host"
                        "  AND i.deleted_at IS NULL) AS running_vms,"
                        " (SELECT COUNT(*) FROM cmp_instances i WHERE i.host = n.host"
                        "  AND i.deleted_at IS NULL AND i.task_state IS NOT NULL)"
                        "  AS current_workload,"
                        " (SELECT COALESCE(SUM(vcpus), 0) FROM cmp_instances i"
                        "  WHERE i.host = n.host AND i.deleted_at IS NULL) AS vcpus_used,"
                        " (SELECT COALESCE(SUM(memory_mb), 0) FROM cmp_instances i"
                        "  WHERE i.host = n.host AND i.deleted_at IS NULL)"
                        "  AS memory_mb_used,"
                        " (SELECT COALESCE(SUM(root_gb), 0) FROM cmp_instances i"
                        "  WHERE i.host = n.host AND i.deleted_at IS NULL)"
                        "  AS local_gb_used"
                        " FROM cmp_nodes n JOIN cmp_services s ON s.host = n.host"
                        " AND s.bin = 'nova-compute'"
                        " WHERE ? = '' OR n.hypervisor_hostname LIKE ?"
                        " ORDER BY n.created_at, n.id", "ss", like ? like : "", like);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, nb_cmp_row_json(st));
        r = 0;
    }
    nb_stmt_done(st);
    free(like);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    *out = list;
    return 0;
}

/* The live servers on 'host', a new array of {name, uuid}. */
static int nb_cmp_node_servers(struct nb_tx *tx, const char *host, json_t **out)
{
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    int r = nb_tx_query(tx, &st, "SELECT id, name FROM cmp_instances WHERE host = ?"
                        " AND deleted_at IS NULL ORDER BY created_at, id", "s", host);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, json_pack("{s:s,s:s}", "uuid", nb_stmt_text(st, 0),
                                              "name", nb_stmt_text(st, 1)));
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    *out = list;
    return 0;
}

static json_t *nb_cmp_id_json(struct nb_req *req, const char *uuid)
{
    return nb_req_mv(req) >= NB_MV(2, 53) ? json_string(uuid)
                                          : json_integer(nb_cmp_legacy_id(uuid));
}

/* The id as text (what a marker names), in 'buf'. */
static const char *nb_cmp_node_key(struct nb_req *req, const char *uuid, char *buf,
                                   size_t n)
{
    if (nb_req_mv(req) >= NB_MV(2, 53))
        snprintf(buf, n, "%s", uuid);
    else
        snprintf(buf, n, "%lld", (long long)nb_cmp_legacy_id(uuid));
    return buf;
}

static json_t *nb_cmp_node_view(struct nb_req *req, const json_t *n, bool detail)
{
    int mv = nb_req_mv(req);
    const char *reason = nb_json_str(n, "disabled_reason");
    const char *cpu = nb_json_str(n, "cpu_info");
    const char *ip = nb_json_str(n, "host_ip");
    int64_t mem = nb_cmp_row_int(n, "memory_mb"), disk = nb_cmp_row_int(n, "local_gb");
    json_t *o = json_pack("{s:o,s:s,s:s,s:s}", "id", nb_cmp_id_json(req, nb_json_str(n, "id")),
                          "hypervisor_hostname", nb_json_str(n, "hypervisor_hostname"),
                          "state", nb_cmp_service_up(n) ? "up" : "down",
                          "status", nb_cmp_row_int(n, "disabled") ? "disabled" : "enabled");
    json_t *cpu_obj;
    if (!detail)
        return o;
    json_object_set_new(o, "hypervisor_type", json_string(nb_json_str(n, "hypervisor_type")));
    json_object_set_new(o, "hypervisor_version",
                        json_integer(nb_cmp_row_int(n, "hypervisor_version")));
    /* an agent that could not tell its address binds on this host */
    json_object_set_new(o, "host_ip", json_string(ip ? ip : "127.0.0.1"));
    json_object_set_new(o, "service", json_pack("{s:o,s:s,s:o}", "id",
                                                nb_cmp_id_json(req, nb_json_str(n, "svc_id")),
                                                "host", nb_json_str(n, "host"),
                                                "disabled_reason", reason
                                                    ? json_string(reason) : json_null()));
    json_object_set_new(o, "vcpus", json_integer(nb_cmp_row_int(n, "vcpus")));
    json_object_set_new(o, "memory_mb", json_integer(mem));
    json_object_set_new(o, "local_gb", json_integer(disk));
    json_object_set_new(o, "vcpus_used", json_integer(nb_cmp_row_int(n, "vcpus_used")));
    json_object_set_new(o, "memory_mb_used",
                        json_integer(nb_cmp_row_int(n, "memory_mb_used")));
    json_object_set_new(o, "local_gb_used", json_integer(nb_cmp_row_int(n, "local_gb_used")));
    json_object_set_new(o, "free_ram_mb",
                        json_integer(mem - nb_cmp_row_int(n, "memory_mb_used")));
    json_object_set_new(o, "free_disk_gb",
                        json_integer(disk - nb_cmp_row_int(n, "local_gb_used")));
    json_object_set_new(o, "disk_available_least",
                        json_integer(disk - nb_cmp_row_int(n, "local_gb_used")));
    json_object_set_new(o, "current_workload",
                        json_integer(nb_cmp_row_int(n, "current_workload")));
    json_object_set_new(o, "running_vms", json_integer(nb_cmp_row_int(n, "running_vms")));
    if (mv >= NB_MV(2, 28)) {
        cpu_obj = cpu ? json_loads(cpu, 0, NULL) : NULL;
        json_object_set_new(o, "cpu_info", json_is_object(cpu_obj) ? cpu_obj : json_object());
        if (!json_is_object(cpu_obj))
            json_decref(cpu_obj);
    } else {
        json_object_set_new(o, "cpu_info", json_string(cpu ? cpu : "{}"));
    }
    return o;
}

/* Adds "servers" to view 'o' of node 'n'. */
static int nb_cmp_node_add_servers(struct nb_tx *tx, const json_t *n, json_t *o,
                                   bool always)
{
    json_t *servers = NULL;
    int r = nb_cmp_node_servers(tx, nb_json_str(n, "host"), &servers);
    if (r < 0)
        return r;
    if (json_array_size(servers) || always)
        json_object_set_new(o, "servers", servers);
    else
        json_decref(servers);
    return 0;
}

static int nb_cmp_hyp_list(struct nb_req *req, bool detail)
{
    static const char *const keys[] = {"limit", "marker", "hypervisor_hostname_pattern",
                                       "with_servers", NULL};
    struct nb_ctx *ctx = nb_req_ctx(req);
    int mv = nb_req_mv(req);
    const char *pattern = mv >= NB_MV(2, 53) ? nb_req_query(req, "hypervisor_hostname_pattern")
                                             : NULL;
    const char *ws = mv >= NB_MV(2, 53) ? nb_req_query(req, "with_servers") : NULL;
    const char *marker = NULL;
    bool with_servers = false, started;
    long limit = 1000;
    struct nb_tx *tx = NULL;
    json_t *nodes = NULL, *list = json_array(), *n, *body;
    const char *last = NULL;
    size_t i;
    int r = nb_cmp_query_strict(req, keys);
    if (r == 0 && mv >= NB_MV(2, 33))
        r = nb_cmp_paging(req, &limit, &marker);
    if (r == 0 && ws) {
        json_t *v = json_string(ws);
        if (nb_cmp_bool_parse(v, &with_servers) < 0)
            r = nb_cmp_bad_input(ctx, "with_servers", v, "is not a boolean");
        json_decref(v);
    }
    if (r == 0 && pattern && (nb_req_query(req, "limit") || marker))
        r = nb_req_err(req, 400, "Paging over hypervisors with the"
                       " hypervisor_hostname_pattern query parameter is not supported.");
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_nodes_load(tx, pattern, &nodes);
    if (r == 0 && pattern && json_array_size(nodes) == 0)
        r = nb_req_err(req, 404, "No hypervisor matching '%s' could be found.", pattern);
    started = marker == NULL;
    json_array_foreach(nodes, i, n) {
        char key[64];
        json_t *o;
        if (r < 0 || (long)json_array_size(list) >= limit)
            break;
        nb_cmp_node_key(req, nb_json_str(n, "id"), key, sizeof(key));
        if (!started) {
            started = strcmp(key, marker) == 0;
            continue;
        }
        o = nb_cmp_node_view(req, n, detail);
        if (with_servers)
            r = nb_cmp_node_add_servers(tx, n, o, mv >= NB_MV(2, 75));
        json_array_append_new(list, o);
        last = nb_json_str(n, "id");
    }
    if (r == 0 && !started)
        r = nb_req_err(req, 400, "marker [%s] not found", marker);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(nodes);
        json_decref(list);
        return r;
    }
    body = json_pack("{s:o}", "hypervisors", list);
    if (mv >= NB_MV(2, 33) && !pattern && last && (long)json_array_size(list) == limit) {
        char key[64];
        json_object_set_new(body, "hypervisors_links",
                            nb_cmp_next_link(req, detail ? "os-hypervisors/detail"
                                                         : "os-hypervisors",
                                             nb_cmp_node_key(req, last, key, sizeof(key))));
    }
    json_decref(nodes);
    return nb_reply_json(req, 200, body);
}

int nb_cmp_hypervisors_index(struct nb_req *req)
{
    return nb_cmp_hyp_list(req, false);
}

int nb_cmp_hypervisors_detail(struct nb_req *req)
{
    return nb_cmp_hyp_list(req, true);
}

/* The node of the path: a uuid from 2.53 (else 400), an integer before
 * (else 404).  Borrowed from 'nodes'. */
static int nb_cmp_hyp_find(struct nb_req *req, const json_t *nodes, const json_t **out)
{
    const char *id = nb_req_param(req, 0);
    long legacy = 0;
    const json_t *n;
    size_t i;
    if (nb_req_mv(req) >= NB_MV(2, 53)) {
        if (!nb_uuid_is_dashed(id))
            return nb_req_err(req, 400, "Invalid uuid %s", id);
    } else if (nb_str_to_long(id, &legacy) < 0) {
        return nb_req_err(req, 404, "Hypervisor with ID '%s' could not be found.", id);
    }
    json_array_foreach(nodes, i, n) {
        const char *nid = nb_json_str(n, "id");
        if (legacy ? nb_cmp_legacy_id(nid) == legacy : strcmp(nid, id) == 0) {
            *out = n;
            return 0;
        }
    }
    return nb_req_err(req, 404, "Hypervisor with ID '%s' could not be found.", id);
}

/* "HH:MM:SS up D days, HH:MM,  N users,  load average: a, b, c" as the
 * uptime command prints it, from /proc (what Nova's libvirt driver
 * returns).  A new string, or NULL. */
static char *nb_cmp_host_uptime(void)
{
    char *up = NULL, *load = NULL, now[16];
    double secs = 0, l1 = 0, l5 = 0, l15 = 0;
    size_t n;
    time_t t = time(NULL);
    struct tm tm;
    char *out = NULL;
    long days, hours, mins;
    if (nb_file_read("/proc/uptime", &up, &n) < 0 ||
        nb_file_read("/proc/loadavg", &load, &n) < 0 ||
        sscanf(up, "%lf", &secs) != 1 || sscanf(load, "%lf %lf %lf", &l1, &l5, &l15) != 3)
        goto out;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%H:%M:%S", &tm);
    days = (long)secs / 86400;
    hours = (long)secs % 86400 / 3600;
    mins = (long)secs % 3600 / 60;
    out = nb_xasprintf(" %s up %ld day%s, %2ld:%02ld,  0 users,  load average: %.2f,"
                       " %.2f, %.2f", now, days, days == 1 ? "" : "s", hours, mins, l1,
                       l5, l15);
out:
    free(up);
    free(load);
    return out;
}

static int nb_cmp_hyp_one(struct nb_req *req, bool uptime)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *ws = nb_req_mv(req) >= NB_MV(2, 53) ? nb_req_query(req, "with_servers")
                                                    : NULL;
    bool with_servers = false;
    struct nb_tx *tx = NULL;
    json_t *nodes = NULL, *o = NULL;
    const json_t *n = NULL;
    int r = 0;
    if (ws) {
        json_t *v = json_string(ws);
        if (nb_cmp_bool_parse(v, &with_servers) < 0)
            r = nb_cmp_bad_input(ctx, "with_servers", v, "is not a boolean");
        json_decref(v);
    }
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_nodes_load(tx, NULL, &nodes);
    if (r == 0)
        r = nb_cmp_hyp_find(req, nodes, &n);
    if (r == 0) {
        o = nb_cmp_node_view(req, n, !uptime);
        if (with_servers && !uptime)
            r = nb_cmp_node_add_servers(tx, n, o, nb_req_mv(req) >= NB_MV(2, 75));
    }
    if (r == 0 && uptime) {
        char *u = nb_cmp_host_uptime();
        if (!u)
            r = nb_req_err(req, 501, "Action not implemented.");
        else
            json_object_set_new(o, "uptime", json_string(u));
        free(u);
    }
    nb_tx_rollback(tx);
    json_decref(nodes);
    if (r < 0) {
        json_decref(o);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "hypervisor", o));
}

int nb_cmp_hypervisor_show(struct nb_req *req)
{
    return nb_cmp_hyp_one(req, false);
}

int nb_cmp_hypervisor_uptime(struct nb_req *req)
{
    return nb_cmp_hyp_one(req, true);
}

/* GET /os-hypervisors/{pattern}/search and .../servers, before 2.53. */
static int nb_cmp_hyp_search(struct nb_req *req, bool servers)
{
    struct nb_tx *tx = NULL;
    json_t *nodes = NULL, *list = json_array(), *n;
    size_t i;
    int r = nb_cmp_mv_route(req, 0, NB_MV(2, 52));
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_nodes_load(tx, nb_req_param(req, 0), &nodes);
    if (r == 0 && json_array_size(nodes) == 0)
        r = nb_req_err(req, 404, "No hypervisor matching '%s' could be found.",
                       nb_req_param(req, 0));
    json_array_foreach(nodes, i, n) {
        json_t *o;
        if (r < 0)
            break;
        o = nb_cmp_node_view(req, n, false);
        if (servers)
            r = nb_cmp_node_add_servers(tx, n, o, false);
        json_array_append_new(list, o);
    }
    nb_tx_rollback(tx);
    json_decref(nodes);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "hypervisors", list));
}

int nb_cmp_hypervisors_search(struct nb_req *req)
{
    return nb_cmp_hyp_search(req, false);
}

int nb_cmp_hypervisors_servers(struct nb_req *req)
{
    return nb_cmp_hyp_search(req, true);
}

int nb_cmp_hypervisors_statistics(struct nb_req *req)
{
    static const char *const sums[] = {
        "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
        "local_gb_used", "current_workload", "running_vms",
    };
    struct nb_tx *tx = NULL;
    json_t *nodes = NULL, *n, *st;
    int64_t tot[NB_ARRAY_SIZE(sums)] = {0};
    size_t i;
    int r = nb_cmp_mv_route(req, 0, NB_MV(2, 87));
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_nodes_load(tx, NULL, &nodes);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    json_array_foreach(nodes, i, n) {
        for (size_t k = 0; k < NB_ARRAY_SIZE(sums); k++)
            tot[k] += nb_cmp_row_int(n, sums[k]);
    }
    st = json_pack("{s:I}", "count", (json_int_t)json_array_size(nodes));
    for (size_t k = 0; k < NB_ARRAY_SIZE(sums); k++)
        json_object_set_new(st, sums[k], json_integer(tot[k]));
    json_object_set_new(st, "free_ram_mb", json_integer(tot[1] - tot[4]));
    json_object_set_new(st, "free_disk_gb", json_integer(tot[2] - tot[5]));
    json_object_set_new(st, "disk_available_least", json_integer(tot[2] - tot[5]));
    json_decref(nodes);
    return nb_reply_json(req, 200, json_pack("{s:o}", "hypervisor_statistics", st));
}
