/* The HTTP handlers api.c routes to, by area (each area adds its own block
 * of declarations). */
#ifndef NB_COMPUTE_HANDLERS_H
#define NB_COMPUTE_HANDLERS_H

#include "core/core.h"

/* ---- servers (servers*.c, instance_actions.c) */
int nb_cmp_servers_create(struct nb_req *req);
int nb_cmp_servers_index(struct nb_req *req);
int nb_cmp_servers_detail(struct nb_req *req);
int nb_cmp_servers_show(struct nb_req *req);
int nb_cmp_servers_update(struct nb_req *req);
int nb_cmp_servers_delete(struct nb_req *req);
/* The start of a delete for DELETE /servers/{id} and the forceDelete
 * action: the server of path parameter 0 under policy 'rule', recorded as
 * instance action 'action'; deleted at once without a host, else handed
 * to its host (task_state deleting).  Replies nothing. */
int nb_cmp_server_delete_start(struct nb_req *req, const char *rule,
                               const char *action);
int nb_cmp_metadata_index(struct nb_req *req);
int nb_cmp_metadata_create(struct nb_req *req);
int nb_cmp_metadata_update_all(struct nb_req *req);
int nb_cmp_metadata_show(struct nb_req *req);
int nb_cmp_metadata_update(struct nb_req *req);
int nb_cmp_metadata_delete(struct nb_req *req);
int nb_cmp_tags_index(struct nb_req *req);
int nb_cmp_tags_update_all(struct nb_req *req);
int nb_cmp_tags_delete_all(struct nb_req *req);
int nb_cmp_tags_show(struct nb_req *req);
int nb_cmp_tags_update(struct nb_req *req);
int nb_cmp_tags_delete(struct nb_req *req);
int nb_cmp_ips_index(struct nb_req *req);
int nb_cmp_ips_show(struct nb_req *req);
int nb_cmp_instance_actions_index(struct nb_req *req);
int nb_cmp_instance_actions_show(struct nb_req *req);

/* ---- server actions, os-interface (actions.c, interfaces.c) */
int nb_cmp_server_action(struct nb_req *req);
int nb_cmp_interface_list(struct nb_req *req);
int nb_cmp_interface_show(struct nb_req *req);
int nb_cmp_interface_attach(struct nb_req *req);
int nb_cmp_interface_detach(struct nb_req *req);
int nb_cmp_server_password_show(struct nb_req *req);
int nb_cmp_server_password_clear(struct nb_req *req);
int nb_cmp_images_index(struct nb_req *req);
int nb_cmp_images_detail(struct nb_req *req);
int nb_cmp_images_delete_no_id(struct nb_req *req);
int nb_cmp_image_show(struct nb_req *req);
int nb_cmp_image_delete(struct nb_req *req);
int nb_cmp_image_meta_index(struct nb_req *req);
int nb_cmp_image_meta_create(struct nb_req *req);
int nb_cmp_image_meta_update_all(struct nb_req *req);
int nb_cmp_image_meta_show(struct nb_req *req);
int nb_cmp_image_meta_update(struct nb_req *req);
int nb_cmp_image_meta_delete(struct nb_req *req);

/* ---- Nova's network proxy APIs before 2.36 (proxies.c) */
int nb_cmp_secgroups_list(struct nb_req *req);
int nb_cmp_secgroup_show(struct nb_req *req);
int nb_cmp_secgroup_create(struct nb_req *req);
int nb_cmp_secgroup_update(struct nb_req *req);
int nb_cmp_secgroup_delete(struct nb_req *req);
int nb_cmp_secgroup_delete_no_id(struct nb_req *req);
int nb_cmp_sgrule_create(struct nb_req *req);
int nb_cmp_sgrule_delete(struct nb_req *req);
int nb_cmp_server_secgroups(struct nb_req *req);
int nb_cmp_networks_list(struct nb_req *req);
int nb_cmp_network_show(struct nb_req *req);
int nb_cmp_tenant_networks_list(struct nb_req *req);
int nb_cmp_tenant_network_show(struct nb_req *req);

/* ---- catalog area */
/* flavors.c */
int nb_cmp_flavors_index(struct nb_req *req);
int nb_cmp_flavors_detail(struct nb_req *req);
int nb_cmp_flavor_show(struct nb_req *req);
int nb_cmp_flavor_create(struct nb_req *req);
int nb_cmp_flavor_update(struct nb_req *req);
int nb_cmp_flavor_delete(struct nb_req *req);
/* keypairs.c */
int nb_cmp_keypairs_list(struct nb_req *req);
int nb_cmp_keypair_show(struct nb_req *req);
int nb_cmp_keypair_create(struct nb_req *req);
int nb_cmp_keypair_delete(struct nb_req *req);
/* groups.c */
int nb_cmp_groups_list(struct nb_req *req);
int nb_cmp_group_show(struct nb_req *req);
int nb_cmp_group_create(struct nb_req *req);
int nb_cmp_group_delete(struct nb_req *req);
/* flavor_access.c */
int nb_cmp_specs_list(struct nb_req *req);
int nb_cmp_specs_create(struct nb_req *req);
int nb_cmp_spec_show(struct nb_req *req);
int nb_cmp_spec_update(struct nb_req *req);
int nb_cmp_spec_delete(struct nb_req *req);
int nb_cmp_access_list(struct nb_req *req);
int nb_cmp_flavor_action(struct nb_req *req);
/* quota_api.c */
int nb_cmp_quota_show(struct nb_req *req);
int nb_cmp_quota_detail(struct nb_req *req);
int nb_cmp_quota_defaults(struct nb_req *req);
int nb_cmp_quota_update(struct nb_req *req);
int nb_cmp_quota_delete(struct nb_req *req);
int nb_cmp_quota_class_show(struct nb_req *req);
int nb_cmp_quota_class_update(struct nb_req *req);
int nb_cmp_limits_show(struct nb_req *req);
/* services.c */
int nb_cmp_services_list(struct nb_req *req);
int nb_cmp_service_update(struct nb_req *req);
int nb_cmp_service_delete(struct nb_req *req);
int nb_cmp_az_list(struct nb_req *req);
int nb_cmp_az_detail(struct nb_req *req);
/* hypervisors.c */
int nb_cmp_hypervisors_index(struct nb_req *req);
int nb_cmp_hypervisors_detail(struct nb_req *req);
int nb_cmp_hypervisors_statistics(struct nb_req *req);
int nb_cmp_hypervisor_show(struct nb_req *req);
int nb_cmp_hypervisor_uptime(struct nb_req *req);
int nb_cmp_hypervisors_search(struct nb_req *req);
int nb_cmp_hypervisors_servers(struct nb_req *req);
/* usage.c */
int nb_cmp_usage_list(struct nb_req *req);
int nb_cmp_usage_show(struct nb_req *req);
int nb_cmp_audit_list(struct nb_req *req);
int nb_cmp_audit_show(struct nb_req *req);
/* aggregates.c */
int nb_cmp_aggregates_list(struct nb_req *req);
int nb_cmp_aggregate_create(struct nb_req *req);
int nb_cmp_aggregate_show(struct nb_req *req);
int nb_cmp_aggregate_update(struct nb_req *req);
int nb_cmp_aggregate_delete(struct nb_req *req);
int nb_cmp_aggregate_action(struct nb_req *req);
/* hosts.c */
int nb_cmp_hosts_list(struct nb_req *req);
int nb_cmp_host_show(struct nb_req *req);
int nb_cmp_host_update(struct nb_req *req);
int nb_cmp_host_power(struct nb_req *req);
/* extensions.c */
int nb_cmp_extensions_list(struct nb_req *req);
int nb_cmp_extension_show(struct nb_req *req);
/* ---- extras: migrations.c, diagnostics.c, external_events.c */
int nb_cmp_migrations_index(struct nb_req *req);
int nb_cmp_server_migrations_index(struct nb_req *req);
int nb_cmp_server_migration_show(struct nb_req *req);
int nb_cmp_server_migration_delete(struct nb_req *req);
int nb_cmp_server_migration_action(struct nb_req *req);
int nb_cmp_server_diagnostics(struct nb_req *req);
int nb_cmp_external_events_create(struct nb_req *req);

#endif
