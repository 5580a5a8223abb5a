/* What the files of src/compute share.  The API (api.c and the per-area
 * handler files) records intents in SQL and publishes tasks on the bus; the
 * scheduler (scheduler.c) places builds; the agent (agent.c) runs tasks on
 * this host through the virt driver (virt/driver.h).
 *
 * Areas and the files that own them:
 *   api.c          route table, version documents, errors, microversions
 *   schema.c       the shared tables (migration set "compute")
 *   servers*.c     servers: create/list/show/update/delete, views,
 *                  metadata, tags, ips, instance actions
 *   actions.c      server actions (the API side) and their agent tasks
 *   interfaces.c   os-interface
 *   flavors.c keypairs.c quotas.c groups.c hosts.c (hypervisors, services,
 *                  availability zones)
 *   scheduler.c agent.c  the build pipeline */
#ifndef NB_COMPUTE_INTERNAL_H
#define NB_COMPUTE_INTERNAL_H

#include "compute/compute.h"
#include "compute/virt/driver.h"

#include <stdbool.h>

/* The oldest and newest microversions served. */
#define NB_CMP_MV_MIN NB_MV(2, 1)
#define NB_CMP_MV_MAX NB_MV(2, 79)

/* The module's handles, set by init (module.c); borrowed. */
const struct nb_module_env *nb_cmp_env(void);
struct nb_db *nb_cmp_db(void);

/* ---- errors (api.c)
 * Nova's bodies: {"itemNotFound": {"code": 404, "message": "..."}}; the key
 * follows the status (badRequest, forbidden, itemNotFound, badMethod,
 * conflictingRequest, overLimit, ...).  Handlers set errors with
 * nb_err_set / nb_req_err as usual. */
json_t *nb_cmp_render_error(int status, const char *title, const char *msg);
bool nb_cmp_is_admin(const struct nb_ctx *ctx);
/* A route Nova has only from microversion 'min' to 'max' (0: no bound):
 * outside that, 404 as for a path that does not exist (the policy counts
 * as decided).  0 inside. */
int nb_cmp_mv_route(struct nb_req *req, int min, int max);

/* ---- schema.c */
int nb_cmp_schema_migrate(struct nb_db *db);

/* ---- Nova's states (nova/compute/vm_states.py, task_states.py) and the
 * API status they show as (servers.c). */
#define NB_VM_BUILDING "building"
#define NB_VM_ACTIVE "active"
#define NB_VM_STOPPED "stopped"
#define NB_VM_PAUSED "paused"
#define NB_VM_SUSPENDED "suspended"
#define NB_VM_RESIZED "resized"
#define NB_VM_ERROR "error"
#define NB_VM_DELETED "deleted"
#define NB_VM_SOFT_DELETED "soft-delete"
#define NB_VM_RESCUED "rescued"
#define NB_VM_SHELVED "shelved"
#define NB_VM_SHELVED_OFFLOADED "shelved_offloaded"
/* The API status of (vm_state, task_state): "ACTIVE", "REBOOT", ... */
const char *nb_cmp_status(const char *vm_state, const char *task_state);

/* ---- servers: the row layer (server.c)
 * A server is handled as its cmp_instances row: a JSON object keyed by
 * column name, JSON columns (flavor, request, network_info, metadata,
 * fault, ...) parsed, times as µs integers, NULL columns as null. */
/* Loads server 'id' as 'ctx' may see it (its project's, or any for an
 * admin), not deleted: 0 and a new reference, or -ENOENT with Nova's 404
 * "Instance <id> could not be found." set. */
int nb_cmp_server_get(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                      json_t **out);
/* Appends "SELECT <every column> FROM cmp_instances" to 'q', for lists;
 * nb_cmp_server_row() turns each row of such a query into the object. */
void nb_cmp_server_select(struct nb_sql *q);
json_t *nb_cmp_server_row(struct nb_stmt *st);
/* Loads any row, deleted ones included; -ENOENT silently. */
int nb_cmp_server_get_raw(struct nb_tx *tx, const char *id, json_t **out);
/* Sets the columns named in 'changes' (same form as the row; objects and
 * arrays are stored as JSON) and updated_at.  -ENOENT when absent. */
int nb_cmp_server_set(struct nb_tx *tx, const char *id, const json_t *changes);
/* 409 "Instance <id> is locked" unless 'server' is unlocked or the caller
 * is an admin (Nova's check_instance_lock: the owner unlocks first). */
int nb_cmp_check_locked(struct nb_ctx *ctx, const json_t *server);
/* 409 with Nova's message "Cannot '<action>' instance <id> while it is in
 * vm_state <vm_state>" (or task_state) unless the server's vm_state is in
 * the NULL-terminated 'vm_states' and its task_state in 'task_states'
 * ('task_states' NULL: any; a NULL task_state matches the entry "none"). */
int nb_cmp_check_state(struct nb_ctx *ctx, const json_t *server,
                       const char *action, const char *const *vm_states,
                       const char *const *task_states);
/* A context acting for the server's owner with the admin role, for work
 * the agent does on the owner's behalf (ports, snapshots). */
void nb_cmp_ctx_for(struct nb_ctx *ctx, const char *project_id,
                    const char *user_id, const char *request_id);

/* ---- the server view (servers_view.c)
 * What a server renders as, for the negotiated microversion of 'req':
 *   NB_CMP_VIEW_BASIC    {"id", "name", "links"} (GET /servers)
 *   NB_CMP_VIEW_SHOW     GET /servers/{id} (2.71 server_groups included)
 *   NB_CMP_VIEW_DETAIL   an item of GET /servers/detail
 *   NB_CMP_VIEW_UPDATE   the response of PUT /servers/{id} (the short view
 *                        before 2.75, the show view from 2.75)
 *   NB_CMP_VIEW_REBUILD  the response of the rebuild action (2.54 key_name,
 *                        2.57 user_data; from 2.75 the show view with
 *                        "user_data" instead of OS-EXT-SRV-ATTR:user_data)
 * 'server' is a row as nb_cmp_server_get returns it (borrowed); 'tx' (any
 * transaction) reads tags, host status.  Returns a new object (without the
 * "server" wrapper). */
enum nb_cmp_view {
    NB_CMP_VIEW_BASIC,
    NB_CMP_VIEW_SHOW,
    NB_CMP_VIEW_DETAIL,
    NB_CMP_VIEW_UPDATE,
    NB_CMP_VIEW_REBUILD,
};
json_t *nb_cmp_server_view(struct nb_req *req, struct nb_tx *tx,
                           const json_t *server, enum nb_cmp_view view);
/* nb_cmp_server_view with NB_CMP_VIEW_SHOW ('detail') or _BASIC. */
json_t *nb_cmp_server_render(struct nb_req *req, struct nb_tx *tx,
                             const json_t *server, bool detail);

/* What POST /servers records in the "request" column (servers.c), for the
 * scheduler and the agent:
 *   "networks"           always an array, resolved at the API: [{"uuid"}
 *                        (with "fixed_ip", "tag" when asked) or {"port"}];
 *                        "auto" became the one usable network, "none" []
 *   "security_groups"    names, ["default"] when none asked
 *   "block_device_mapping_v2"  as asked (only image->local is accepted)
 *   "disk_config"        OS-DCF:diskConfig as asked ("AUTO", "MANUAL"),
 *                        absent: MANUAL (a rebuild or resize may set it)
 *   "scheduler_hints"    as asked ({} when none)
 *   "group"              the server group id (from scheduler_hints.group)
 *   "availability_zone"  as asked, or absent
 *   "host", "node"       a forced destination (admin: "az:host:node" or
 *                        2.74 host/hypervisor_hostname), or absent
 *   "image"              the image's properties the driver may need:
 *                        {"id", "name", "min_disk", "min_ram", "size",
 *                        "disk_format", "container_format"} */

/* ---- os-instance-actions (server.c) */
/* Records that the caller's request starts 'action' ("create", "stop", ...)
 * on server 'server_id' (request id and user from ctx). */
int nb_cmp_action_record(struct nb_ctx *ctx, struct nb_tx *tx,
                         const char *server_id, const char *action);
/* The agent's side: an event of the action ("compute_stop_instance")
 * starts, then finishes with result "Success" or "Error" (and the
 * action's message becomes "Error" on failure, as Nova does). */
int nb_cmp_event_start(struct nb_tx *tx, const char *server_id,
                       const char *request_id, const char *event,
                       const char *host);
int nb_cmp_event_finish(struct nb_tx *tx, const char *server_id,
                        const char *request_id, const char *event,
                        bool ok, const char *traceback);

/* ---- the pipeline (scheduler.c, agent.c)
 * A create records the servers (vm_state building, task_state scheduling)
 * and publishes them for scheduling; the scheduler sets host/node and
 * hands each to its host's agent.  Everything else a host does is a task
 * published to that host's agent: {"op", "server", "request_id", "args"}
 * on topic "compute.<host>". */
int nb_cmp_build_publish(const json_t *server_ids, const char *request_id);
int nb_cmp_task_publish(const char *host, const char *op, const char *server_id,
                        const char *request_id, const json_t *args);
/* A task as the agent runs it: the server row is loaded (and locked
 * against other tasks of the same server) before op->run. */
struct nb_cmp_task {
    const char *op;
    const char *server_id;
    const char *request_id;
    const json_t *args;             /* may be NULL */
    json_t *server;                 /* the row, reloaded before run */
    const struct nb_virt_driver *drv;
    void *virt;                     /* the driver's handle */
    const char *host;
    struct nb_ctx *ctx;             /* the server's owner (its images) */
};
struct nb_cmp_op {
    const char *name;               /* "stop" */
    const char *event;              /* "compute_stop_instance" */
    /* Runs the task; on failure records the fault/state itself. */
    int (*run)(struct nb_cmp_task *t);
};
/* The ops of the server actions (actions.c), ended by a NULL name. */
extern const struct nb_cmp_op nb_cmp_action_ops[];
/* The agent announces the driver it runs for 'host' when it starts (drv
 * NULL when it stops), so the API can ask what Nova answers at once: the
 * console log of server 'id' on 'host' (a new string), -ENOENT when no
 * agent of this process serves 'host' or the guest is not there
 * (actions_ops.c). */
void nb_cmp_virt_register(const char *host, const struct nb_virt_driver *drv,
                          void *virt);
int nb_cmp_virt_console(const char *host, const char *id, char **out);
/* Calls fn(drv, virt, arg) with the driver this process's agent runs for
 * 'host' (held registered meanwhile) and returns what fn returns; -ENOENT
 * when no agent of this process serves 'host'. */
int nb_cmp_virt_call(const char *host,
                     int (*fn)(const struct nb_virt_driver *drv, void *virt, void *arg),
                     void *arg);
/* The last 'lines' lines of 'log' (all when negative), without the
 * control characters Nova strips ([\x00-\x08\x0B-\x1F]): a new string. */
char *nb_cmp_console_tail(const char *log, long lines);
/* Fills 'g' from 'server' (borrowed: g points into it), with 'ctx' (borrowed,
 * may be NULL) as the owner a driver reads images as. */
/* Nova's wait for network-vif-plugged, before a guest starts with ports
 * bound here: until this host's data plane has applied them ([compute]
 * vif_plugging_timeout); 0, or -ETIMEDOUT with 500 set on ctx. */
int nb_cmp_wait_plugged(struct nb_ctx *ctx, const char *server_id);
/* nb_virt_guest.plugged for a guest spawned with ports: the wait above,
 * as g->ctx (the driver has made the guest's disks meanwhile). */
int nb_cmp_guest_plugged(const struct nb_virt_guest *g, char **err);
void nb_cmp_guest_of(const json_t *server, struct nb_ctx *ctx, struct nb_virt_guest *g);
int nb_cmp_agent_start(const struct nb_module_env *env);
void nb_cmp_agent_stop(void);
int nb_cmp_scheduler_start(const struct nb_module_env *env);
void nb_cmp_scheduler_stop(void);
/* This host's name (nb_host_name(): what the network service binds
 * ports to). */
#define nb_cmp_host() nb_host_name()
/* The pipeline's own ops ("build", "delete"; build.c), ended by a NULL
 * name.  An op with an event name gets it recorded around its run by the
 * agent; these record theirs inside their own transactions. */
extern const struct nb_cmp_op nb_cmp_pipeline_ops[];
/* Puts server 'id' in ERROR (task_state cleared) with Nova's fault
 * {code, message, details, created: "2026-11-26T18:49:56Z"}. */
int nb_cmp_server_error(struct nb_tx *tx, const char *id, int code,
                        const char *message, const char *details);
/* The request id of the server's latest 'action' ("create", "delete")
 * (a new one when it has none): *out is a new string. */
int nb_cmp_action_request_id(struct nb_tx *tx, const char *server_id,
                             const char *action, char **out);
/* Releases the ports 'network_info' (NULL: the row's) names for server
 * 'row': ports Nova made are deleted, ports the user gave are unbound.
 * (What a crash left unrecorded is nb_cmp_ports_reconcile's.) */
int nb_cmp_ports_release(const json_t *row, const json_t *network_info);
/* The network_info entry of Neutron port 'port' on network 'net' (both
 * borrowed): {"port_id", "network_id", "network_name", "mac", "fixed_ips":
 * [{"ip_address", "subnet_id", "version"}], "created_by_nova", "mtu",
 * "ifname", "tag"}; a new object (build.c). */
json_t *nb_cmp_vif_entry(const json_t *port, const json_t *net, bool by_nova,
                         const char *tag);
/* At agent start: releases every compute port whose server is gone, or
 * that a live server of this host does not record. */
int nb_cmp_ports_reconcile(void);
/* Ends an interrupted task of server 'id': task_state cleared, its open
 * events failed. */
int nb_cmp_task_abandon(const char *id, const char *task_state);
/* One pass of the power state sync over this host's servers. */
int nb_cmp_power_sync(void);

/* ---- the scheduler's decision (placement.c: pure, unit-tested) */
/* One compute host as the scheduler sees it: its node's inventory, its
 * service's state, and what live servers placed on it use. */
struct nb_sched_host {
    const char *host, *node, *zone;
    bool up, enabled;
    int64_t vcpus, memory_mb, local_gb;
    int64_t used_vcpus, used_ram, used_disk;
};
/* What one server asks. */
struct nb_sched_spec {
    int64_t vcpus, memory_mb, disk_gb;
    const char *zone;               /* requested availability zone, or NULL */
    const char *force_host;         /* a host asked for (admins), or NULL */
    const char *force_node;         /* a node asked for (admins), or NULL */
    const json_t *ignore_hosts;     /* hosts tried before (retries): array */
    const char *group_policy;       /* the server group's policy, or NULL */
    int max_server_per_host;        /* anti-affinity rule (2.64), 0: 1 */
    const json_t *group_hosts;      /* {host: other members there} */
    const json_t *same_hosts;       /* same_host hint: {host: n} */
    const json_t *different_hosts;  /* different_host hint: {host: n} */
};
struct nb_sched_ratios {
    double cpu, ram, disk;
};
/* NULL when host 'h' passes every filter for 's', else the name of the
 * filter that refused it. */
const char *nb_sched_filter(const struct nb_sched_host *h,
                            const struct nb_sched_spec *s,
                            const struct nb_sched_ratios *ratio);
/* The index of the best host for 's' among 'hosts', or -1 (NoValidHost)
 * with *why naming the last filter that refused one (static). */
int nb_sched_pick(const struct nb_sched_host *hosts, size_t n,
                  const struct nb_sched_spec *s,
                  const struct nb_sched_ratios *ratio, const char **why);
/* Counts 's' as used on 'h' (the next server of a batch sees it). */
void nb_sched_claim(struct nb_sched_host *h, const struct nb_sched_spec *s);

/* ---- catalog area: flavors.c keypairs.c quotas.c groups.c */
/* The catalog area's tables (schema_catalog.c, migration set
 * "compute_catalog"), applied by nb_cmp_schema_migrate. */
int nb_cmp_catalog_migrate(struct nb_db *db);
/* Flavor 'id' (its flavorid) as 'ctx' may use it (public, or private with
 * access for ctx's project, or any for an admin), in the form a server
 * embeds (microversion 2.47): {"id", "original_name", "vcpus", "ram",
 * "disk", "ephemeral", "swap", "rxtx_factor", "extra_specs"}.  -ENOENT
 * silently when absent or not usable. */
int nb_cmp_flavor_embed(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                        json_t **out);
/* Keypair 'name' of user 'user_id' ({"name", "public_key", "type",
 * "fingerprint"}); -ENOENT silently. */
int nb_cmp_keypair_get(struct nb_tx *tx, const char *user_id, const char *name,
                       json_t **out);
/* What one server uses. */
struct nb_cmp_usage {
    int64_t instances, cores, ram;
};
/* How many servers of 'one' each the project (and user) may still add, up
 * to 'max': *n in [min, max].  Counts live servers in cmp_instances inside
 * 'tx' (a write transaction that then inserts them), after taking the
 * project's quota lock row, so concurrent creates never overshoot on
 * either backend.  When not even 'min' fit: -EDQUOT with Nova's 403
 * "Quota exceeded for instances: Requested 1, but already used 10 of 10
 * instances" (cores, ram alike).  For a resize, 'one' is the increase and
 * min = max = 1 (instances 0). */
int nb_cmp_quota_fit(struct nb_ctx *ctx, struct nb_tx *tx, const char *project_id,
                     const char *user_id, const struct nb_cmp_usage *one,
                     int min, int max, int *n);
/* The limit of 'resource' ("metadata_items", "key_pairs",
 * "server_group_members", ...) for the project; -1 unlimited. */
int nb_cmp_quota_limit(struct nb_tx *tx, const char *project_id,
                       const char *resource, int64_t *out);
/* Server group 'id' as ctx may see it: {"id", "name", "policy", "rules",
 * "members": [server ids], "project_id"}; -ENOENT silently. */
int nb_cmp_group_get(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                     json_t **out);
/* Membership, in the create's (or delete's) transaction; add checks the
 * server_group_members quota (403). */
int nb_cmp_group_add_member(struct nb_ctx *ctx, struct nb_tx *tx,
                            const char *group_id, const char *server_id);
int nb_cmp_group_remove_member(struct nb_tx *tx, const char *server_id);
/* The availability zone host aggregates give compute host 'host'
 * (aggregates.c): 0 and a new string (caller frees), or -ENOENT when no
 * aggregate of the host names a zone (the host's default zone applies). */
int nb_cmp_host_az(struct nb_tx *tx, const char *host, char **out);
/* How many compute hosts are in zone 'zone' (their aggregate's, else
 * their service's default zone) in *n. */
int nb_cmp_zone_has_hosts(struct nb_tx *tx, const char *zone, int64_t *n);

#endif
