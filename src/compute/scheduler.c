/* The scheduler: takes the servers a create recorded (topic "scheduler"),
 * places each on a compute host in one write transaction per batch
 * (filters and weighers in placement.c, against the inventories the
 * agents report in cmp_nodes and the usage of live servers), and hands
 * each placed server to its host's agent as a "build" task, in order.  A
 * server no host can take goes to ERROR with Nova's NoValidHost fault.
 *
 * One worker thread serves the topic, so two batches never claim the
 * same room; the claim itself is a conditional UPDATE (host still NULL,
 * server not deleted), so a server deleted meanwhile is never placed. */
#include "compute/internal.h"

#include <stdlib.h>
#include <string.h>

#define NB_SCHED_TOPIC "scheduler"
#define NB_SCHED_EVENT "conductor_schedule_and_build_instances"

static struct nb_bus_sub *nb_sched_sub;

int nb_cmp_build_publish(const json_t *server_ids, const char *request_id)
{
    const struct nb_module_env *env = nb_cmp_env();
    json_t *msg;
    int r;
    if (!env || !env->bus)
        return -ENODEV;
    if (!json_array_size(server_ids))
        return 0;
    msg = json_pack("{s:O,s:s?}", "servers", server_ids, "request_id", request_id);
    r = nb_bus_publish(env->bus, NB_SCHED_TOPIC, msg);
    json_decref(msg);
    return r;
}

/* The hosts: every node with its nova-compute service, in name order, in
 * the zone of its aggregates (else its service's), and what live servers
 * use on each. */
struct nb_sched_view {
    struct nb_sched_host *hosts;
    size_t n;
    json_t *keep;               /* the strings hosts point into */
};

static void nb_sched_view_free(struct nb_sched_view *v)
{
    free(v->hosts);
    json_decref(v->keep);
}

static int nb_sched_view_load(struct nb_tx *tx, struct nb_sched_view *v)
{
    int64_t down_us = nb_conf_int("compute", "service_down_time") * 1000000;
    int64_t now = nb_now_us();
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, "SELECT n.host, n.hypervisor_hostname, s.zone,"
                        " n.vcpus, n.memory_mb, n.local_gb, s.disabled, s.forced_down,"
                        " s.last_seen FROM cmp_nodes n JOIN cmp_services s"
                        " ON s.host = n.host AND s.bin = 'nova-compute' ORDER BY n.host",
                        "");
    size_t cap = 0;
    v->keep = json_array();
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        struct nb_sched_host *h;
        json_t *names = json_pack("[sss]", nb_stmt_text(st, 0), nb_stmt_text(st, 1),
                                  nb_stmt_text(st, 2));
        r = 0;
        json_array_append_new(v->keep, names);
        if (v->n == cap) {
            cap = cap ? 2 * cap : 4;
            v->hosts = nb_xrealloc(v->hosts, cap * sizeof(*v->hosts));
        }
        h = &v->hosts[v->n++];
        *h = (struct nb_sched_host){
            .host = json_string_value(json_array_get(names, 0)),
            .node = json_string_value(json_array_get(names, 1)),
            .zone = json_string_value(json_array_get(names, 2)),
            .vcpus = nb_stmt_int(st, 3), .memory_mb = nb_stmt_int(st, 4),
            .local_gb = nb_stmt_int(st, 5),
            .enabled = !nb_stmt_int(st, 6),
            .up = !nb_stmt_int(st, 7) && !nb_stmt_null(st, 8) &&
                  now - nb_stmt_int(st, 8) <= down_us,
        };
    }
    nb_stmt_done(st);
    /* a host in an aggregate that names a zone is in that zone */
    for (size_t i = 0; r == 0 && i < v->n; i++) {
        char *az = NULL;
        r = nb_cmp_host_az(tx, v->hosts[i].host, &az);
        if (r == 0) {
            json_t *zone = json_string(az);
            json_array_append_new(v->keep, zone);
            v->hosts[i].zone = json_string_value(zone);
        }
        free(az);
        if (r == -ENOENT)
            r = 0;
    }
    if (r < 0)
        return r;
    r = nb_tx_query(tx, &st, "SELECT host, SUM(vcpus), SUM(memory_mb), SUM(root_gb)"
                    " FROM cmp_instances WHERE host IS NOT NULL AND deleted_at IS NULL"
                    " GROUP BY host", "");
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        r = 0;
        for (size_t i = 0; i < v->n; i++)
            if (!strcmp(v->hosts[i].host, nb_stmt_text(st, 0))) {
                v->hosts[i].used_vcpus = nb_stmt_int(st, 1);
                v->hosts[i].used_ram = nb_stmt_int(st, 2);
                v->hosts[i].used_disk = nb_stmt_int(st, 3);
            }
    }
    nb_stmt_done(st);
    return r;
}

/* {host: n} for the live servers of 'ids' (an id or an array of ids) but
 * 'self': where a group's other members, or hinted servers, are. */
static int nb_sched_hosts_of(struct nb_tx *tx, const json_t *ids, const char *self,
                             json_t **out)
{
    json_t *arr = json_is_string(ids) ? json_pack("[O]", ids) : json_incref((json_t *)ids);
    json_t *v;
    size_t i;
    int r = 0;
    *out = json_object();
    json_array_foreach(arr, i, v) {
        char *host = NULL;
        if (!json_is_string(v) || !strcmp(json_string_value(v), self))
            continue;
        r = nb_tx_query_str(tx, &host, "SELECT host FROM cmp_instances WHERE id = ?"
                            " AND deleted_at IS NULL AND host IS NOT NULL", "s",
                            json_string_value(v));
        if (r == 0)
            json_object_set_new(*out, host, json_integer(
                json_integer_value(json_object_get(*out, host)) + 1));
        free(host);
        if (r == -ENOENT)
            r = 0;
        if (r < 0)
            break;
    }
    json_decref(arr);
    return r;
}

/* What server 'row' asks, with the json it needs kept in 'keep'. */
static int nb_sched_spec_of(struct nb_tx *tx, const json_t *row, json_t *keep,
                            struct nb_sched_spec *s)
{
    const json_t *req = json_object_get(row, "request");
    const json_t *hints = json_object_get(req, "scheduler_hints");
    const json_t *flavor = json_object_get(row, "flavor");
    const char *id = nb_json_str(row, "id");
    const char *gid = nb_json_str(req, "group") ? nb_json_str(req, "group")
                                                : nb_json_str(hints, "group");
    json_t *same = NULL, *diff = NULL, *ghosts = NULL;
    int r = 0;

    *s = (struct nb_sched_spec){
        .vcpus = json_integer_value(json_object_get(row, "vcpus")),
        .memory_mb = json_integer_value(json_object_get(row, "memory_mb")),
        .disk_gb = json_integer_value(json_object_get(row, "root_gb")) +
                   json_integer_value(json_object_get(flavor, "ephemeral")) +
                   (json_integer_value(json_object_get(flavor, "swap")) + 1023) / 1024,
        .zone = nb_json_str(row, "availability_zone"),
        .ignore_hosts = json_object_get(json_object_get(req, "retry"), "hosts"),
        /* "zone:host:node" or 2.74's host / hypervisor_hostname */
        .force_host = nb_json_str(req, "host"),
        .force_node = nb_json_str(req, "node"),
    };
    if (gid) {
        struct nb_ctx ctx;
        json_t *g = NULL;
        nb_cmp_ctx_for(&ctx, nb_json_str(row, "project_id"), nb_json_str(row, "user_id"),
                       NULL);
        r = nb_cmp_group_get(&ctx, tx, gid, &g);
        if (r == 0) {
            json_array_append_new(keep, g);
            s->group_policy = nb_json_str(g, "policy");
            s->max_server_per_host = (int)json_integer_value(json_object_get(
                json_object_get(g, "rules"), "max_server_per_host"));
            r = nb_sched_hosts_of(tx, json_object_get(g, "members"), id, &ghosts);
        } else if (r == -ENOENT) {
            r = 0;      /* the group is gone: nothing to keep to */
        }
    }
    if (r == 0 && json_object_get(hints, "same_host"))
        r = nb_sched_hosts_of(tx, json_object_get(hints, "same_host"), id, &same);
    if (r == 0 && json_object_get(hints, "different_host"))
        r = nb_sched_hosts_of(tx, json_object_get(hints, "different_host"), id, &diff);
    s->group_hosts = ghosts;
    s->same_hosts = same;
    s->different_hosts = diff;
    if (ghosts)
        json_array_append_new(keep, ghosts);
    if (same)
        json_array_append_new(keep, same);
    if (diff)
        json_array_append_new(keep, diff);
    return r;
}

static struct nb_sched_ratios nb_sched_ratios(void)
{
    return (struct nb_sched_ratios){
        .cpu = strtod(nb_conf_str("compute", "cpu_allocation_ratio"), NULL),
        .ram = strtod(nb_conf_str("compute", "ram_allocation_ratio"), NULL),
        .disk = strtod(nb_conf_str("compute", "disk_allocation_ratio"), NULL),
    };
}

/* Places one server of the batch; on success appends [id, host, request
 * id] to 'placed'. */
static int nb_sched_one(struct nb_tx *tx, struct nb_sched_view *v, const char *id,
                        const char *request_id, json_t *placed)
{
    struct nb_sched_ratios ratio = nb_sched_ratios();
    struct nb_sched_spec spec;
    json_t *row = NULL, *keep = json_array();
    const char *why = NULL;
    char *rid = NULL;
    int best, changes = 0;
    int r = nb_cmp_server_get_raw(tx, id, &row);

    if (r == -ENOENT) {
        r = 0;
        goto out;
    }
    if (r < 0 || !json_is_null(json_object_get(row, "deleted_at")) ||
        strcmp(nb_json_str(row, "vm_state"), NB_VM_BUILDING) ||
        nb_json_str(row, "host"))
        goto out;           /* deleted, or placed already (a replayed message) */
    r = nb_sched_spec_of(tx, row, keep, &spec);
    if (r == 0 && !request_id) {    /* recovery: the create's request */
        r = nb_cmp_action_request_id(tx, id, "create", &rid);
        request_id = rid;
    }
    if (r < 0)
        goto out;
    r = nb_cmp_event_start(tx, id, request_id, NB_SCHED_EVENT, NULL);
    if (r < 0)
        goto out;
    best = nb_sched_pick(v->hosts, v->n, &spec, &ratio, &why);
    if (best < 0) {
        /* after failed builds: Nova's MaxRetriesExceeded, else NoValidHost */
        char *msg = json_array_size(spec.ignore_hosts)
            ? nb_xasprintf("Exceeded maximum number of retries. Exhausted all hosts "
                           "available for retrying build failures for instance %s.", id)
            : nb_xstrdup("No valid host was found. There are not enough hosts "
                         "available.");
        nb_info("scheduler: no valid host for server %s (%s)", id, why);
        r = nb_cmp_server_error(tx, id, 500, msg, why);
        free(msg);
        if (r == 0)
            r = nb_cmp_event_finish(tx, id, request_id, NB_SCHED_EVENT, false, why);
        goto out;
    }
    r = nb_tx_exec(tx, &changes, "UPDATE cmp_instances SET host = ?, node = ?,"
                   " availability_zone = ?, task_state = NULL, updated_at = ?"
                   " WHERE id = ? AND host IS NULL AND deleted_at IS NULL",
                   "sssis", v->hosts[best].host, v->hosts[best].node,
                   v->hosts[best].zone, nb_now_us(), id);
    if (r == 0 && changes == 1) {
        nb_sched_claim(&v->hosts[best], &spec);
        json_array_append_new(placed, json_pack("[sss]", id, v->hosts[best].host,
                                                request_id));
    }
    if (r == 0)
        r = nb_cmp_event_finish(tx, id, request_id, NB_SCHED_EVENT, true, NULL);
out:
    free(rid);
    json_decref(row);
    json_decref(keep);
    return r;
}

int nb_cmp_action_request_id(struct nb_tx *tx, const char *server_id,
                             const char *action, char **out)
{
    int r = nb_tx_query_str(tx, out, "SELECT request_id FROM cmp_actions WHERE"
                            " instance_id = ? AND action = ? ORDER BY start_time DESC"
                            " LIMIT 1", "ss", server_id, action);
    if (r == -ENOENT) {     /* a server recorded without its action */
        *out = nb_xmalloc(48);
        nb_request_id_new(*out);
        r = 0;
    }
    return r;
}

static int nb_sched_batch(const json_t *ids, const char *request_id, json_t *placed)
{
    struct nb_sched_view v = {0};
    struct nb_tx *tx = NULL;
    json_t *id;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r < 0)
        return r;
    r = nb_sched_view_load(tx, &v);
    json_array_foreach(ids, i, id) {
        if (r < 0)
            break;
        if (json_is_string(id))
            r = nb_sched_one(tx, &v, json_string_value(id), request_id, placed);
    }
    nb_sched_view_free(&v);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_tx_commit(tx);
}

static void nb_sched_on_message(void *arg, const json_t *msg)
{
    const json_t *ids = json_object_get(msg, "servers");
    const char *rid = nb_json_str(msg, "request_id");
    json_t *placed = json_array(), *p;
    size_t i;
    int r = -EBUSY;
    (void)arg;

    nb_log_set_request_id(rid);
    /* a busy database (SQLite's lock timeout) is worth another go */
    for (int tries = 0; tries < 3 && (r == -EBUSY || r == -EAGAIN); tries++) {
        json_array_clear(placed);
        r = nb_sched_batch(ids, rid, placed);
    }
    if (r < 0)
        nb_error("scheduler: could not place %zu server(s): %s (the agents' "
                 "recovery retries them at the next start)", json_array_size(ids),
                 strerror(-r));
    json_array_foreach(placed, i, p)
        nb_cmp_task_publish(json_string_value(json_array_get(p, 1)), "build",
                            json_string_value(json_array_get(p, 0)),
                            json_string_value(json_array_get(p, 2)), NULL);
    json_decref(placed);
    nb_log_set_request_id(NULL);
}

/* Servers a crash left recorded but never placed (the bus is not
 * durable): published again, in the order they were created. */
static int nb_sched_recover(void)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *ids = json_array();
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id FROM cmp_instances WHERE host IS NULL"
                        " AND deleted_at IS NULL AND vm_state = ?"
                        " ORDER BY created_at, launch_index, id", "s", NB_VM_BUILDING);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        r = 0;
        json_array_append_new(ids, json_string(nb_stmt_text(st, 0)));
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r == 0 && json_array_size(ids)) {
        nb_info("scheduler: %zu server(s) waiting to be placed", json_array_size(ids));
        r = nb_cmp_build_publish(ids, NULL);
    }
    json_decref(ids);
    return r;
}

int nb_cmp_scheduler_start(const struct nb_module_env *env)
{
    int r = nb_bus_subscribe(env->bus, NB_SCHED_TOPIC, 1, nb_sched_on_message, NULL,
                             &nb_sched_sub);
    if (r == 0)
        r = nb_sched_recover();
    return r;
}

void nb_cmp_scheduler_stop(void)
{
    nb_bus_unsubscribe(nb_sched_sub);
    nb_sched_sub = NULL;
}
