/* The network service (Neutron API v2.0): networks, subnets, subnet pools,
 * ports with IPAM, security groups, quotas, IP availability, and the glue
 * that hands this host's desired state to the data plane driver. */
#ifndef NB_NETWORK_H
#define NB_NETWORK_H

#include "core/core.h"

extern const struct nb_module nb_network_module;

/* ---- what other modules (compute) may do with networks and ports.
 * Each call is one transaction with Neutron's own checks, quotas and
 * messages, made as 'ctx' (the compute agent passes a context acting for
 * the server's owner); objects are Neutron's JSON documents.  On failure
 * ctx carries Neutron's error (status, message).  Changes reach the data
 * plane as API changes do. */
int nb_network_get(struct nb_ctx *ctx, const char *id, json_t **out);
/* The networks 'ctx' may use (its project's and shared ones), for
 * networks "auto": a new array. */
int nb_network_list_usable(struct nb_ctx *ctx, json_t **out);
/* The networks GET /v2.0/networks shows ctx (every one to an admin). */
int nb_network_list_visible(struct nb_ctx *ctx, json_t **out);
int nb_network_port_get(struct nb_ctx *ctx, const char *id, json_t **out);
/* 'port' is the body of POST /v2.0/ports (without the "port" wrapper). */
int nb_network_port_create(struct nb_ctx *ctx, const json_t *port, json_t **out);
/* 'changes' is the body of PUT /v2.0/ports/{id} (without the wrapper);
 * out may be NULL. */
int nb_network_port_update(struct nb_ctx *ctx, const char *id,
                           const json_t *changes, json_t **out);
/* -ENOENT (404 set) when absent. */
int nb_network_port_delete(struct nb_ctx *ctx, const char *id);
/* Security groups and their rules (Nova's os-security-groups proxy):
 * Neutron's documents, bodies without the wrapper; the list has the
 * caller's project's groups (every project's for an admin asking for
 * all). */
int nb_network_secgroup_list(struct nb_ctx *ctx, bool all_projects, json_t **out);
int nb_network_secgroup_get(struct nb_ctx *ctx, const char *id, json_t **out);
int nb_network_secgroup_create(struct nb_ctx *ctx, const json_t *sg, json_t **out);
int nb_network_secgroup_update(struct nb_ctx *ctx, const char *id,
                               const json_t *changes, json_t **out);
int nb_network_secgroup_delete(struct nb_ctx *ctx, const char *id);
int nb_network_sgrule_create(struct nb_ctx *ctx, const json_t *rule, json_t **out);
int nb_network_sgrule_delete(struct nb_ctx *ctx, const char *id);
/* Every port whose device_id is 'device_id' (any project): a new array. */
int nb_network_ports_of_device(const char *device_id, json_t **out);
/* Every port whose device_owner starts with 'prefix' ("compute:"): a new
 * array, for the compute agent's reconcile. */
int nb_network_ports_by_owner(const char *prefix, json_t **out);
/* The id of security group 'name_or_id' for ctx's project: a group ctx
 * may see by that id, else its project's one group of that name ("default"
 * is made on first use).  *id is a new string; -ENOENT (404
 * SecurityGroupNotFound) when none, -EEXIST (409) when the name is
 * ambiguous. */
int nb_network_secgroup_id(struct nb_ctx *ctx, const char *name_or_id, char **id);
/* Waits until this host's data plane has applied every port change
 * committed before the call (Neutron's network-vif-plugged: the ports
 * bound here have their devices, filters and DHCP entries): 0 (at once
 * when this host runs no data plane), -ETIMEDOUT after 'timeout_ms'. */
int nb_network_wait_plugged(int timeout_ms);

#endif
