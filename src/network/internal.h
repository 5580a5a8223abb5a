/* What the files of src/network share: resource kinds over one generic
 * document store, the Neutron error helper, IP arithmetic, IPAM, and the
 * data plane glue. */
#ifndef NB_NETWORK_INTERNAL_H
#define NB_NETWORK_INTERNAL_H

#include "network/network.h"
#include "network/dataplane/driver.h"

#include <stdbool.h>

/* ---- errors
 * Records a Neutron error: 'type' is the NeutronError type name
 * ("NetworkNotFound"); render_error splits it back out of the message. */
int nb_net_err(struct nb_ctx *ctx, int status, const char *type,
               const char *fmt, ...) NB_PRINTF(4, 5);
json_t *nb_net_render_error(int status, const char *title, const char *msg);

/* ---- resources: every resource is a row (id, project_id, parent, flag,
 * doc) whose 'doc' is the rendered JSON object. */
struct nb_net_kind {
    const char *singular;       /* "network" */
    const char *plural;         /* "networks" */
    const char *table;          /* "net_networks" */
    const char *not_found;      /* "NetworkNotFound" */
    const char *noun;           /* "Network" in messages */
    bool shared_visible;        /* rows with flag=1 are seen by everyone */
};

extern const struct nb_net_kind nb_net_networks, nb_net_subnets,
    nb_net_subnetpools, nb_net_ports, nb_net_secgroups, nb_net_sgrules;

bool nb_net_is_admin(const struct nb_ctx *ctx);
/* The project a create is for: the body's project_id/tenant_id (admins
 * only may name another) or the caller's.  Borrowed from 'in' or ctx. */
int nb_net_project_of(struct nb_ctx *ctx, const json_t *in, const char **out);
/* Loads row 'id' of 'k' as the caller may see it: 0 and a new reference,
 * or -ENOENT with the kind's 404 set. */
int nb_net_load(struct nb_ctx *ctx, struct nb_tx *tx,
                const struct nb_net_kind *k, const char *id, json_t **out);
/* Loads without a visibility check (internal use); -ENOENT silently. */
int nb_net_load_raw(struct nb_tx *tx, const struct nb_net_kind *k,
                    const char *id, json_t **out);
/* Inserts or replaces 'doc' (borrowed) in k's table. */
int nb_net_store(struct nb_tx *tx, const struct nb_net_kind *k,
                 const json_t *doc, const char *parent, bool flag);
/* Whether everyone sees 'doc': shared, or an external network. */
bool nb_net_public(const json_t *doc);
/* Replaces the doc of an existing row (borrowed), keeping its parent; the
 * visibility flag follows "shared" where the doc has it. */
int nb_net_save(struct nb_tx *tx, const struct nb_net_kind *k, const json_t *doc);
int nb_net_remove(struct nb_tx *tx, const struct nb_net_kind *k, const char *id);
/* Every doc of 'k' whose parent is 'parent' (NULL: all): a new array. */
int nb_net_load_all(struct nb_tx *tx, const struct nb_net_kind *k,
                    const char *parent, json_t **out);
int nb_net_count(struct nb_tx *tx, const struct nb_net_kind *k,
                 const char *project_id, int64_t *n);
/* Fills the standard attributes of a new doc (id when missing, project,
 * tenant_id, created/updated_at, revision_number, tags, description). */
void nb_net_std_new(json_t *doc, const char *project_id);
/* Bumps revision_number and updated_at. */
void nb_net_std_touch(json_t *doc);
/* Copies the mutable standard attributes (name, description) of 'in'
 * into 'doc' with validation. */
int nb_net_std_update(struct nb_ctx *ctx, const json_t *in, json_t *doc);
/* Validates a string attribute: absent is fine, else string <= max. */
int nb_net_check_str(struct nb_ctx *ctx, const json_t *in, const char *key,
                     size_t max);
int nb_net_check_bool(struct nb_ctx *ctx, const json_t *in, const char *key);
/* Refuses attributes not in the NULL-terminated 'allowed' list. */
int nb_net_check_known(struct nb_ctx *ctx, const json_t *in,
                       const char *const *allowed);
/* Quota check: -EEXIST (409 OverQuota) when one more would exceed. */
int nb_net_quota_check(struct nb_ctx *ctx, struct nb_tx *tx,
                       const struct nb_net_kind *k, const char *resource,
                       const char *project_id);

/* ---- handlers by kind (create, update, delete in a write tx) */
struct nb_net_ops {
    const struct nb_net_kind *kind;
    const char *rule_create, *rule_get, *rule_update, *rule_delete;
    int (*create)(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                  json_t **out);
    int (*update)(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                  const json_t *in);
    int (*remove)(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc);
    bool dataplane;             /* changes affect the data plane */
};
/* Runs fn in a write transaction; commits on success and marks the data
 * plane dirty when the kind affects it (api.c; also export.c). */
/* Applies update body 'in' to 'doc' (loaded in 'tx') through ops->update,
 * bumps its revision and saves it: what PUT does after its checks. */
int nb_net_doc_update(struct nb_ctx *ctx, struct nb_tx *tx,
                      const struct nb_net_ops *ops, json_t *doc, const json_t *in);
int nb_net_write(struct nb_ctx *ctx, const struct nb_net_ops *ops,
                 int (*fn)(struct nb_ctx *, struct nb_tx *, void *), void *arg);
/* 'doc' as the caller may see it (admin-only attributes hidden): a new
 * reference. */
json_t *nb_net_rendered(const struct nb_ctx *ctx, const json_t *doc);
extern const struct nb_net_ops nb_net_network_ops, nb_net_subnet_ops,
    nb_net_subnetpool_ops, nb_net_port_ops, nb_net_secgroup_ops,
    nb_net_sgrule_ops;

/* ---- IP addresses: v4 and v6 as 128-bit numbers */
typedef unsigned __int128 nb_ip_t;
int nb_ip_parse(const char *s, int *version, nb_ip_t *out);
void nb_ip_format(int version, nb_ip_t ip, char out[48]);
/* "10.0.0.0/24" -> version, base, prefix; -EINVAL when malformed;
 * 'strict' refuses host bits. */
int nb_cidr_parse(const char *s, bool strict, int *version, nb_ip_t *base,
                  int *prefix);
nb_ip_t nb_cidr_last(int version, nb_ip_t base, int prefix);
bool nb_cidr_contains(int version, nb_ip_t base, int prefix, nb_ip_t ip);

/* ---- IPAM (ports.c, subnets.c) */
/* Allocates the fixed_ips request 'req' (array of {subnet_id, ip_address},
 * or NULL: one IP on each subnet of the network, v4 first) for port
 * 'port_id' of 'network_id'; returns the fixed_ips array (new). */
int nb_ipam_allocate(struct nb_ctx *ctx, struct nb_tx *tx,
                     const char *network_id, const char *port_id,
                     const json_t *req, json_t **fixed_ips);
int nb_ipam_release_port(struct nb_tx *tx, const char *port_id);
/* Counts the allocatable addresses of a subnet's pools (capped). */
int64_t nb_ipam_pool_size(const json_t *subnet);

/* ---- ports the service makes itself */
/* Creates or removes the network's DHCP port to match its DHCP subnets. */
int nb_net_dhcp_port_sync(struct nb_ctx *ctx, struct nb_tx *tx,
                          const char *network_id);
/* The project's default security group id (created on first use). */
int nb_net_default_sg(struct nb_ctx *ctx, struct nb_tx *tx,
                      const char *project_id, char **out);
/* Deletes every port of a network that the service owns (DHCP). */
int nb_net_port_delete_doc(struct nb_ctx *ctx, struct nb_tx *tx,
                           const json_t *port);

/* ---- data plane glue (dataplane.c) */
const char *nb_net_host(void);
/* Starts the driver named by [network] dataplane_driver ("none": nothing)
 * and its apply thread, which applies at once (reconcile), after every
 * nb_dataplane_notify() and ticks the driver about once a second. */
int nb_dataplane_start(const struct nb_module_env *env);
/* The same with a given driver (borrowed until nb_dataplane_stop()). */
int nb_dataplane_start_driver(const struct nb_module_env *env,
                              const struct nb_dp_driver *drv);
void nb_dataplane_stop(void);
/* Marks the desired state dirty: the background thread rebuilds and
 * applies it soon (bursts coalesce).  Cheap; any thread. */
void nb_dataplane_notify(void);
/* Waits until an apply that started after every nb_dataplane_notify() made
 * before this call has succeeded: 0 (also at once when this host runs no
 * data plane), -ETIMEDOUT after 'timeout_ms', -ESHUTDOWN when it stops. */
int nb_dataplane_wait(int timeout_ms);
/* Builds this host's desired state from the database.  On success *out
 * is a new state the caller frees with nb_dp_state_free(). */
int nb_dp_state_build(struct nb_db *db, const char *host,
                      struct nb_dp_state **out);
void nb_dp_state_free(struct nb_dp_state *st);

/* A rule protocol (name, number, null) as a number, -1 for any. */
int nb_net_proto_num(const json_t *p, int *out);
struct nb_db *nb_net_db(void);

#endif
