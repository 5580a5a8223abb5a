/* The compute agent of this host: its service and node rows (heartbeat,
 * inventory from the virt driver), its tasks (topic "compute.<host>"),
 * recovery at start and the periodic power state sync.
 *
 * Tasks come in on "compute.<host>" and one router thread passes them on
 * in publication order: builds to "compute.<host>.build", served by
 * [compute] max_concurrent_builds workers (so builds start in order and
 * at most that many run at once, as Nova's build semaphore), everything
 * else to "compute.<host>.task" (its own workers, so a stop never waits
 * behind a batch of builds).  Tasks of one server never overlap: a
 * worker waits for the server's previous task to end.
 *
 * Nothing about a task lives only in memory for long: the API and the
 * scheduler record every intent in the row first (vm_state, task_state,
 * host), so after a crash the agent finds its unfinished work in the
 * database and resumes (builds, deletes) or ends it (other tasks). */
#include "compute/internal.h"
#include "network/network.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NB_AGENT_TASK_WORKERS 4

static struct nb_agent {
    const struct nb_module_env *env;
    const struct nb_virt_driver *drv;
    void *virt;
    char *topic, *build_topic, *task_topic;
    struct nb_bus_sub *router, *builds, *tasks;
    /* per-server serialisation: the ids of servers with a running task */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct nb_map *busy;
    /* the ticker: heartbeat and power sync; 'events' are the ids of
     * servers whose guest the driver reported changed (under lock) */
    pthread_t ticker;
    bool ticking, stop;
    pthread_cond_t wake;
    json_t *events;
} nb_agent = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

int nb_cmp_task_publish(const char *host, const char *op, const char *server_id,
                        const char *request_id, const json_t *args)
{
    const struct nb_module_env *env = nb_cmp_env();
    char *topic;
    json_t *msg;
    int r;
    if (!env || !env->bus)
        return -ENODEV;
    topic = nb_xasprintf("compute.%s", host);
    msg = json_pack("{s:s,s:s,s:s?,s:O?}", "op", op, "server", server_id,
                    "request_id", request_id, "args", args);
    r = nb_bus_publish(env->bus, topic, msg);
    json_decref(msg);
    free(topic);
    return r;
}

void nb_cmp_guest_of(const json_t *server, struct nb_ctx *ctx, struct nb_virt_guest *g)
{
    const json_t *flavor = json_object_get(server, "flavor");
    const char *cd = nb_json_str(server, "config_drive");
    *g = (struct nb_virt_guest){
        .uuid = nb_json_str(server, "id"),
        .name = nb_json_str(server, "id"),
        .hostname = nb_json_str(server, "hostname"),
        .vcpus = json_integer_value(json_object_get(server, "vcpus")),
        .memory_mb = json_integer_value(json_object_get(server, "memory_mb")),
        .root_gb = json_integer_value(json_object_get(server, "root_gb")),
        .ephemeral_gb = json_integer_value(json_object_get(flavor, "ephemeral")),
        .swap_mb = json_integer_value(json_object_get(flavor, "swap")),
        .flavor = flavor,
        .ports = json_object_get(server, "network_info"),
        .metadata = json_object_get(server, "metadata"),
        .user_data = nb_json_str(server, "user_data"),
        .key_name = nb_json_str(server, "key_name"),
        .key_data = nb_json_str(server, "key_data"),
        .project_id = nb_json_str(server, "project_id"),
        .availability_zone = nb_json_str(server, "availability_zone"),
        .launch_index = (int)json_integer_value(json_object_get(server, "launch_index")),
        .ctx = ctx,
        .config_drive = cd && *cd && strcasecmp(cd, "false") && strcmp(cd, "0"),
    };
}

int nb_cmp_server_error(struct nb_tx *tx, const char *id, int code,
                        const char *message, const char *details)
{
    char now[NB_TIME_LEN];
    json_t *ch;
    int r;
    nb_time_fmt(nb_now_us(), 0, now);
    ch = json_pack("{s:s,s:n,s:{s:i,s:s,s:s?,s:s}}", "vm_state", NB_VM_ERROR,
                   "task_state", "fault", "code", code, "message", message,
                   "details", details, "created", now);
    r = nb_cmp_server_set(tx, id, ch);
    json_decref(ch);
    return r;
}

/* ---- service and node rows */

static const struct {
    const char *bin, *topic;
    bool compute;
} nb_agent_services[] = {
    {"nova-compute", "compute", true},
    {"nova-scheduler", "scheduler", false},
    {"nova-conductor", "conductor", false},
};

/* Registers (or refreshes) this host's services and node: the services'
 * heartbeat and the driver's inventory. */
static int nb_agent_report(bool first)
{
    struct nb_virt_inventory inv;
    struct nb_tx *tx = NULL;
    const char *host = nb_cmp_host();
    int64_t now = nb_now_us();
    char id[37];
    int r = nb_agent.drv->inventory(nb_agent.virt, &inv);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r < 0)
        return r;
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(nb_agent_services); i++) {
        const char *zone = nb_agent_services[i].compute
            ? nb_conf_str("compute", "default_availability_zone") : "internal";
        nb_uuid_dashed(id);
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_services (id, host, bin, topic, zone,"
                       " last_seen, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT (host, bin) DO UPDATE SET last_seen = ?,"
                       " updated_at = ?, zone = ?", "sssssiiiiis", id, host,
                       nb_agent_services[i].bin, nb_agent_services[i].topic, zone, now,
                       now, now, now, now, zone);
    }
    if (r == 0 && first) {
        const char *listen = nb_conf_str("DEFAULT", "listen");
        const char *colon = strrchr(listen, ':');
        char ip[64];
        snprintf(ip, sizeof(ip), "%.*s", colon ? (int)(colon - listen) : 0, listen);
        if (!ip[0] || !strcmp(ip, "0.0.0.0"))
            snprintf(ip, sizeof(ip), "127.0.0.1");
        nb_uuid_dashed(id);
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_nodes (id, host, hypervisor_hostname,"
                       " hypervisor_type, hypervisor_version, host_ip, vcpus, memory_mb,"
                       " local_gb, cpu_info, created_at, updated_at) VALUES"
                       " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host) DO UPDATE"
                       " SET hypervisor_type = ?, hypervisor_version = ?, host_ip = ?,"
                       " vcpus = ?, memory_mb = ?, local_gb = ?, cpu_info = ?,"
                       " updated_at = ?", "ssssisiiisiisisiiisi", id, host, host,
                       inv.hypervisor_type, inv.hypervisor_version, ip, inv.vcpus,
                       inv.memory_mb, inv.local_gb, inv.cpu_info, now, now,
                       inv.hypervisor_type, inv.hypervisor_version, ip, inv.vcpus,
                       inv.memory_mb, inv.local_gb, inv.cpu_info, now);
    }
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_tx_commit(tx);
}

/* ---- tasks */


static const struct nb_cmp_op *nb_agent_op(const char *name)
{
    for (const struct nb_cmp_op *o = nb_cmp_pipeline_ops; o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    for (const struct nb_cmp_op *o = nb_cmp_action_ops; o && o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

static void nb_agent_claim(const char *id)
{
    pthread_mutex_lock(&nb_agent.lock);
    while (nb_map_find(nb_agent.busy, id, NULL))
        pthread_cond_wait(&nb_agent.changed, &nb_agent.lock);
    nb_map_set(nb_agent.busy, id, NULL);
    pthread_mutex_unlock(&nb_agent.lock);
}

/* The same without waiting: false when a task of the server runs. */
static bool nb_agent_try_claim(const char *id)
{
    bool free_now;
    pthread_mutex_lock(&nb_agent.lock);
    free_now = !nb_map_find(nb_agent.busy, id, NULL);
    if (free_now)
        nb_map_set(nb_agent.busy, id, NULL);
    pthread_mutex_unlock(&nb_agent.lock);
    return free_now;
}

static void nb_agent_release(const char *id)
{
    pthread_mutex_lock(&nb_agent.lock);
    nb_map_del(nb_agent.busy, id);
    pthread_cond_broadcast(&nb_agent.changed);
    pthread_mutex_unlock(&nb_agent.lock);
}

/* Records an event of an op that has one (the pipeline's own ops record
 * theirs inside their own transactions). */
static void nb_agent_event(const struct nb_cmp_task *t, const char *event, bool start,
                           bool ok)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = start ? nb_cmp_event_start(tx, t->server_id, t->request_id, event, t->host)
                  : nb_cmp_event_finish(tx, t->server_id, t->request_id, event, ok,
                                        NULL);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    if (r < 0)
        nb_warn("agent: could not record event %s of %s: %s", event, t->server_id,
                strerror(-r));
}

/* Loads server 'id'; when 'action' is given, also the request id of its
 * latest such action (*rid: new string). */
static int nb_agent_load(const char *id, const char *action, json_t **out, char **rid)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_server_get_raw(tx, id, out);
    if (r == 0 && action)
        r = nb_cmp_action_request_id(tx, id, action, rid);
    nb_tx_rollback(tx);
    return r;
}

static void nb_agent_on_task(void *arg, const json_t *msg)
{
    const char *opname = nb_json_str(msg, "op"), *id = nb_json_str(msg, "server");
    const struct nb_cmp_op *op = opname ? nb_agent_op(opname) : NULL;
    struct nb_cmp_task t = {
        .op = opname, .server_id = id, .request_id = nb_json_str(msg, "request_id"),
        .args = json_object_get(msg, "args"), .drv = nb_agent.drv,
        .virt = nb_agent.virt, .host = nb_cmp_host(),
    };
    struct nb_ctx ctx;
    char *rid = NULL;
    int r;
    (void)arg;

    if (!id) {
        nb_error("agent: a task with no server");
        return;
    }
    if (!op) {      /* nothing may stay in a task_state for good */
        nb_error("agent: no op '%s' (server %s)", opname ? opname : "-", id);
        nb_agent_claim(id);
        nb_cmp_task_abandon(id, opname ? opname : "-");
        nb_agent_release(id);
        return;
    }
    nb_agent_claim(id);
    /* a task queued again at start carries no request: its action's */
    r = nb_agent_load(id, t.request_id ? NULL : !strcmp(opname, "build") ? "create"
                                                                         : opname,
                      &t.server, &rid);
    if (rid)
        t.request_id = rid;
    nb_log_set_request_id(t.request_id);
    if (r < 0) {
        nb_warn("agent: %s of server %s: cannot load it: %s", opname, id, strerror(-r));
        goto out;
    }
    nb_cmp_ctx_for(&ctx, nb_json_str(t.server, "project_id"),
                   nb_json_str(t.server, "user_id"), t.request_id);
    t.ctx = &ctx;
    if (op->event)
        nb_agent_event(&t, op->event, true, false);
    r = op->run(&t);
    if (r < 0)
        nb_info("agent: %s of server %s failed: %s", opname, id, strerror(-r));
    if (op->event)
        nb_agent_event(&t, op->event, false, r == 0);
out:
    json_decref(t.server);
    nb_agent_release(id);
    nb_log_set_request_id(NULL);
    free(rid);
}

/* The router: builds to their bounded queue, the rest to the task queue,
 * in the order they came. */
static void nb_agent_on_route(void *arg, const json_t *msg)
{
    const char *op = nb_json_str(msg, "op");
    (void)arg;
    nb_bus_publish(nb_agent.env->bus, op && !strcmp(op, "build") ? nb_agent.build_topic
                                                                 : nb_agent.task_topic,
                   msg);
}

/* ---- recovery at start */

/* Nova's _init_instance: a stop, start or reboot a crash interrupted is
 * asked again (its op, with the request of its action); true when
 * 'task_state' is one of those. */
static bool nb_agent_resume_action(const char *id, const char *task_state)
{
    static const struct {
        const char *task, *op, *type;
    } again[] = {
        {"powering-off", "stop", NULL},
        {"powering-on", "start", NULL},
        {"rebooting", "reboot", "SOFT"},
        {"reboot_pending", "reboot", "SOFT"},
        {"reboot_started", "reboot", "SOFT"},
        {"rebooting_hard", "reboot", "HARD"},
        {"reboot_pending_hard", "reboot", "HARD"},
        {"reboot_started_hard", "reboot", "HARD"},
    };
    for (size_t i = 0; i < NB_ARRAY_SIZE(again); i++)
        if (!strcmp(task_state, again[i].task) && nb_agent_op(again[i].op)) {
            json_t *args = again[i].type ? json_pack("{s:s}", "type", again[i].type)
                                         : NULL;
            int r = nb_cmp_task_publish(nb_cmp_host(), again[i].op, id, NULL, args);
            json_decref(args);
            return r == 0;
        }
    return false;
}

/* The servers of this host with unfinished work, oldest first: builds and
 * deletes are queued again; any other task a crash interrupted is ended
 * (its task_state cleared, its open events failed), and the power sync
 * then brings vm_state and power_state back in line with the guest. */
static int nb_agent_recover_tasks(void)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *todo = json_array(), *e;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id, vm_state, task_state FROM cmp_instances"
                        " WHERE host = ? AND deleted_at IS NULL AND (vm_state = ? OR"
                        " task_state IS NOT NULL) ORDER BY created_at, launch_index, id",
                        "ss", nb_cmp_host(), NB_VM_BUILDING);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        r = 0;
        json_array_append_new(todo, json_pack("[sss?]", nb_stmt_text(st, 0),
                                              nb_stmt_text(st, 1), nb_stmt_text(st, 2)));
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_array_foreach(todo, i, e) {
        const char *id = json_string_value(json_array_get(e, 0));
        const char *task = json_string_value(json_array_get(e, 2));
        if (r < 0)
            break;
        if (task && !strcmp(task, "deleting")) {
            r = nb_cmp_task_publish(nb_cmp_host(), "delete", id, NULL, NULL);
        } else if (!strcmp(json_string_value(json_array_get(e, 1)), NB_VM_BUILDING)) {
            json_t *args = json_pack("{s:b}", "resume", 1);
            r = nb_cmp_task_publish(nb_cmp_host(), "build", id, NULL, args);
            json_decref(args);
        } else if (!nb_agent_resume_action(id, task)) {
            r = nb_cmp_task_abandon(id, task);
        }
    }
    if (json_array_size(todo))
        nb_info("agent: %zu server(s) with unfinished tasks after a restart",
                json_array_size(todo));
    json_decref(todo);
    return r;
}

int nb_cmp_task_abandon(const char *id, const char *task_state)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    nb_warn("agent: server %s was in task_state %s when the agent stopped: ended",
            id, task_state);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_instances SET task_state = NULL,"
                       " updated_at = ? WHERE id = ?", "is", nb_now_us(), id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_action_events SET finish_time = ?,"
                       " result = 'Error', traceback = ? WHERE instance_id = ? AND"
                       " finish_time IS NULL", "iss", nb_now_us(),
                       "the compute agent stopped during the task", id);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    return r;
}

/* ---- the power state sync (Nova's _sync_power_states) */

/* One server: the guest's power state recorded, and Nova's reactions: an
 * active server whose guest stopped by itself is stopped; a stopped
 * server whose guest runs has its guest stopped again.  A server with a
 * task running is left to it (the sync never waits: it runs on the
 * heartbeat's thread). */
static int nb_agent_sync_one(const char *id)
{
    struct nb_tx *tx = NULL;
    json_t *row = NULL;
    enum nb_power p = NB_POWER_NOSTATE;
    char *err = NULL;
    int r;

    if (!nb_agent_try_claim(id))
        return 0;
    r = nb_agent_load(id, NULL, &row, NULL);
    if (r < 0 || !json_is_null(json_object_get(row, "task_state")) ||
        !json_is_null(json_object_get(row, "deleted_at")))
        goto out;
    nb_agent.drv->power_state(nb_agent.virt, id, &p);
    if (p == json_integer_value(json_object_get(row, "power_state")))
        goto out;
    nb_info("agent: server %s: the guest is %s", id, nb_virt_power_name(p));
    if (!strcmp(nb_json_str(row, "vm_state"), NB_VM_STOPPED) && p == NB_POWER_RUNNING) {
        if (nb_agent.drv->power_off(nb_agent.virt, id, 0, &err) == 0)
            p = NB_POWER_SHUTDOWN;
        free(err);
    }
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_instances SET power_state = ?,"
                       " updated_at = ? WHERE id = ? AND task_state IS NULL", "iis",
                       (int64_t)p, nb_now_us(), id);
    if (r == 0 && (p == NB_POWER_SHUTDOWN || p == NB_POWER_CRASHED))
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_instances SET vm_state = ? WHERE id = ?"
                       " AND vm_state = ? AND task_state IS NULL", "sss",
                       NB_VM_STOPPED, id, NB_VM_ACTIVE);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
out:
    json_decref(row);
    nb_agent_release(id);
    return r;
}

int nb_cmp_power_sync(void)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *ids = json_array(), *id;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id FROM cmp_instances WHERE host = ? AND"
                        " deleted_at IS NULL AND vm_state <> ? AND task_state IS NULL",
                        "ss", nb_cmp_host(), NB_VM_BUILDING);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        r = 0;
        json_array_append_new(ids, json_string(nb_stmt_text(st, 0)));
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_array_foreach(ids, i, id)
        if (r == 0)
            r = nb_agent_sync_one(json_string_value(id));
    json_decref(ids);
    return r;
}

/* The driver's watch callback (its own thread: never blocks on more than
 * the lock): the server is synced by the ticker at once. */
static void nb_agent_on_guest_event(void *arg, const char *uuid, enum nb_power power)
{
    (void)arg;
    nb_debug("agent: the guest of %s reports %s", uuid, nb_virt_power_name(power));
    pthread_mutex_lock(&nb_agent.lock);
    if (nb_agent.events) {
        json_array_append_new(nb_agent.events, json_string(uuid));
        pthread_cond_broadcast(&nb_agent.wake);
    }
    pthread_mutex_unlock(&nb_agent.lock);
}

/* Syncs the servers the driver reported changed (ticker thread). */
static void nb_agent_sync_events(void)
{
    json_t *ids, *id;
    size_t i;
    pthread_mutex_lock(&nb_agent.lock);
    ids = nb_agent.events;
    nb_agent.events = json_array();
    pthread_mutex_unlock(&nb_agent.lock);
    json_array_foreach(ids, i, id)
        if (nb_agent_sync_one(json_string_value(id)) < 0)
            nb_warn("agent: the power state of %s could not be synced",
                    json_string_value(id));
    json_decref(ids);
}

/* ---- the ticker */

static void *nb_agent_tick(void *arg)
{
    long report = nb_conf_int("compute", "report_interval");
    long sync = nb_conf_int("compute", "sync_power_state_interval");
    int64_t next_report = nb_mono_us(), next_sync = nb_mono_us() + (int64_t)sync * 1000000;
    (void)arg;

    pthread_mutex_lock(&nb_agent.lock);
    while (!nb_agent.stop) {
        int64_t now = nb_mono_us(), wait;
        struct timespec ts;
        pthread_mutex_unlock(&nb_agent.lock);
        if (report > 0 && now >= next_report) {
            if (nb_agent_report(false) < 0)
                nb_warn("agent: the heartbeat could not be recorded");
            next_report = now + (int64_t)report * 1000000;
        }
        if (sync > 0 && now >= next_sync) {
            if (nb_cmp_power_sync() < 0)
                nb_warn("agent: the power state sync failed");
            next_sync = nb_mono_us() + (int64_t)sync * 1000000;
        }
        nb_agent_sync_events();
        wait = report > 0 ? next_report : now + 3600000000LL;
        if (sync > 0 && next_sync < wait)
            wait = next_sync;
        wait -= nb_mono_us();
        clock_gettime(CLOCK_REALTIME, &ts);
        if (wait > 0) {
            ts.tv_sec += wait / 1000000;
            ts.tv_nsec += (wait % 1000000) * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
        }
        pthread_mutex_lock(&nb_agent.lock);
        if (!nb_agent.stop && wait > 0 && json_array_size(nb_agent.events) == 0)
            pthread_cond_timedwait(&nb_agent.wake, &nb_agent.lock, &ts);
    }
    pthread_mutex_unlock(&nb_agent.lock);
    return NULL;
}

/* ---- guests with no server */

static void nb_agent_guest_seen(void *arg, const char *uuid, enum nb_power power)
{
    (void)power;
    json_array_append_new(arg, json_string(uuid));
}

/* Whether guest 'uuid' belongs to a live server recorded on this host. */
static int nb_agent_guest_wanted(const char *uuid, bool *wanted)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    *wanted = false;
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT host FROM cmp_instances WHERE id = ? AND"
                        " deleted_at IS NULL", "s", uuid);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        const char *host = nb_stmt_text(st, 0);
        *wanted = host && !strcmp(host, nb_cmp_host());
        r = 0;
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    return r;
}

/* At start: every guest the driver has (domains, disks) whose server is
 * gone or lives elsewhere is reported and removed; the others are left
 * running as they are (re-attached, never rebuilt). */
static int nb_agent_reconcile_guests(void)
{
    json_t *uuids = json_array(), *u;
    size_t i, stray = 0;
    int r = nb_agent.drv->list(nb_agent.virt, nb_agent_guest_seen, uuids);
    json_array_foreach(uuids, i, u) {
        const char *uuid = json_string_value(u);
        bool wanted;
        char *err = NULL;
        if (r < 0 || (r = nb_agent_guest_wanted(uuid, &wanted)) < 0 || wanted)
            continue;
        stray++;
        nb_warn("agent: guest %s has no server on this host: removing it", uuid);
        if (nb_agent.drv->destroy(nb_agent.virt, uuid, &err) < 0)
            nb_warn("agent: stray guest %s could not be removed: %s", uuid,
                    err ? err : "unknown error");
        free(err);
    }
    if (r == 0)
        nb_info("agent: %zu guest(s) on this host, %zu stray removed",
                json_array_size(uuids), stray);
    json_decref(uuids);
    return r;
}

/* ---- start and stop */

int nb_cmp_agent_start(const struct nb_module_env *env)
{
    const char *name = nb_conf_str("compute", "virt_driver");
    long builds = nb_conf_int("compute", "max_concurrent_builds");
    int r;

    nb_agent.env = env;
    nb_agent.drv = nb_virt_driver_find(name);
    if (!nb_agent.drv) {
        nb_error("compute: no virt driver '%s' in this build", name);
        return -EINVAL;
    }
    r = nb_agent.drv->open(env->state_dir, &nb_agent.virt);
    if (r < 0) {
        nb_error("compute: the %s virt driver did not open: %s", name, strerror(-r));
        nb_agent.drv = NULL;
        return r;
    }
    nb_cmp_virt_register(nb_cmp_host(), nb_agent.drv, nb_agent.virt);
    nb_agent.busy = nb_map_new(NULL);
    nb_agent.topic = nb_xasprintf("compute.%s", nb_cmp_host());
    nb_agent.build_topic = nb_xasprintf("compute.%s.build", nb_cmp_host());
    nb_agent.task_topic = nb_xasprintf("compute.%s.task", nb_cmp_host());
    nb_agent.stop = false;
    nb_agent.events = json_array();
    r = nb_agent_report(true);
    if (r == 0)
        r = nb_cmp_ports_reconcile();
    if (r == 0)
        r = nb_agent_reconcile_guests();
    if (r == 0 && nb_agent.drv->watch)
        nb_agent.drv->watch(nb_agent.virt, nb_agent_on_guest_event, NULL);
    if (r == 0)
        r = nb_agent_recover_tasks();
    if (r == 0)
        r = nb_bus_subscribe(env->bus, nb_agent.build_topic,
                             builds > 0 ? (unsigned)builds : 1, nb_agent_on_task, NULL,
                             &nb_agent.builds);
    if (r == 0)
        r = nb_bus_subscribe(env->bus, nb_agent.task_topic, NB_AGENT_TASK_WORKERS,
                             nb_agent_on_task, NULL, &nb_agent.tasks);
    if (r == 0)
        r = nb_bus_subscribe(env->bus, nb_agent.topic, 1, nb_agent_on_route, NULL,
                             &nb_agent.router);
    if (r == 0 && pthread_create(&nb_agent.ticker, NULL, nb_agent_tick, NULL) == 0)
        nb_agent.ticking = true;
    if (r == 0)
        nb_info("compute: agent of host %s up (virt driver %s, %ld concurrent builds)",
                nb_cmp_host(), name, builds);
    return r;
}

void nb_cmp_agent_stop(void)
{
    pthread_mutex_lock(&nb_agent.lock);
    nb_agent.stop = true;
    pthread_cond_broadcast(&nb_agent.wake);
    pthread_mutex_unlock(&nb_agent.lock);
    if (nb_agent.ticking)
        pthread_join(nb_agent.ticker, NULL);
    nb_agent.ticking = false;
    if (nb_agent.drv && nb_agent.drv->watch)
        nb_agent.drv->watch(nb_agent.virt, NULL, NULL);
    nb_bus_unsubscribe(nb_agent.router);
    nb_bus_unsubscribe(nb_agent.builds);
    nb_bus_unsubscribe(nb_agent.tasks);
    nb_agent.router = nb_agent.builds = nb_agent.tasks = NULL;
    nb_cmp_virt_register(nb_cmp_host(), NULL, NULL);
    if (nb_agent.drv)
        nb_agent.drv->close(nb_agent.virt);
    nb_agent.drv = NULL;
    nb_agent.virt = NULL;
    nb_map_free(nb_agent.busy);
    nb_agent.busy = NULL;
    pthread_mutex_lock(&nb_agent.lock);
    json_decref(nb_agent.events);
    nb_agent.events = NULL;
    pthread_mutex_unlock(&nb_agent.lock);
    free(nb_agent.topic);
    free(nb_agent.build_topic);
    free(nb_agent.task_topic);
    nb_agent.topic = nb_agent.build_topic = nb_agent.task_topic = NULL;
}
