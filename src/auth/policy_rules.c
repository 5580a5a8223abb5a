/* Every policy rule of nubis, in one table.
 *
 * The identity rules follow Keystone's defaults (keystone/common/policies)
 * as deployed with enforce_new_defaults = False, which is how Keystone
 * ships: the new scoped rules (system reader, domain reader/admin, owner)
 * OR the legacy "admin_required", so a project-scoped admin can administer
 * the cloud, as Tempest and the openstack CLI expect. */
#include "auth/policy_rules.h"

#define ADMIN "rule:admin_required"
#define SYSREAD "rule:system_reader"
#define DOMREAD(path) "(role:reader and domain_id:%(" path ")s)"
#define DOMADMIN(path) "(role:admin and domain_id:%(" path ")s)"

static const struct nb_policy_rule nb_rules[] = {
    /* ---- building blocks */
    {"admin_required", "role:admin"},
    {"service_role", "role:service"},
    {"service_or_admin", "rule:admin_required or rule:service_role"},
    {"system_reader", "role:reader and system_scope:all"},
    {"system_admin", "role:admin and system_scope:all"},
    {"owner", "user_id:%(user_id)s"},
    {"admin_or_owner", "rule:admin_required or rule:owner"},
    {"token_subject", "user_id:%(target.token.user_id)s"},
    {"service_admin_or_token_subject",
     "rule:service_or_admin or rule:token_subject"},

    /* ---- tokens and the catalog (identity/tokens.c) */
    {"identity:validate_token", "rule:service_admin_or_token_subject"},
    {"identity:check_token", "rule:service_admin_or_token_subject"},
    {"identity:revoke_token", "rule:service_admin_or_token_subject"},
    {"identity:get_auth_catalog", ""},
    {"identity:get_auth_projects", ""},
    {"identity:get_auth_domains", ""},
    {"identity:get_auth_system", ""},

    /* ---- domains */
    {"identity:get_domain",
     ADMIN " or " SYSREAD " or domain_id:%(target.domain.id)s"
     " or project_domain_id:%(target.domain.id)s"},
    {"identity:list_domains", ADMIN " or " SYSREAD},
    {"identity:create_domain", ADMIN},
    {"identity:update_domain", ADMIN},
    {"identity:delete_domain", ADMIN},
    {"identity:get_domain_config", ADMIN " or " SYSREAD},
    {"identity:create_domain_config", ADMIN},
    {"identity:update_domain_config", ADMIN},
    {"identity:delete_domain_config", ADMIN},
    {"identity:get_domain_config_default", ""},
    {"identity:get_security_compliance_domain_config", ""},

    /* ---- projects and their tags */
    {"identity:get_project",
     ADMIN " or " SYSREAD " or " DOMREAD("target.project.domain_id")
     " or project_id:%(target.project.id)s"},
    {"identity:list_projects",
     ADMIN " or " SYSREAD " or " DOMREAD("target.domain_id")},
    {"identity:list_user_projects",
     ADMIN " or " SYSREAD " or " DOMREAD("target.user.domain_id")
     " or user_id:%(target.user.id)s"},
    {"identity:create_project",
     ADMIN " or " DOMADMIN("target.project.domain_id")},
    {"identity:update_project",
     ADMIN " or " DOMADMIN("target.project.domain_id")},
    {"identity:delete_project",
     ADMIN " or " DOMADMIN("target.project.domain_id")},
    {"identity:get_project_tag", "rule:identity:get_project"},
    {"identity:update_project_tags",
     ADMIN " or " DOMADMIN("target.project.domain_id")
     " or (role:admin and project_id:%(target.project.id)s)"},

    /* ---- users */
    {"identity:get_user",
     ADMIN " or " SYSREAD " or " DOMREAD("target.user.domain_id")
     " or user_id:%(target.user.id)s"},
    {"identity:list_users", ADMIN " or " SYSREAD " or " DOMREAD("target.domain_id")},
    {"identity:create_user", ADMIN " or " DOMADMIN("target.user.domain_id")},
    {"identity:update_user", ADMIN " or " DOMADMIN("target.user.domain_id")},
    {"identity:delete_user", ADMIN " or " DOMADMIN("target.user.domain_id")},

    /* ---- groups */
    {"identity:get_group",
     ADMIN " or " SYSREAD " or " DOMREAD("target.group.domain_id")},
    {"identity:list_groups", ADMIN " or " SYSREAD " or " DOMREAD("target.domain_id")},
    {"identity:list_groups_for_user",
     ADMIN " or " SYSREAD " or " DOMREAD("target.user.domain_id")
     " or user_id:%(user_id)s"},
    {"identity:list_users_in_group",
     ADMIN " or " SYSREAD " or " DOMREAD("target.group.domain_id")},
    {"identity:check_user_in_group",
     ADMIN " or " SYSREAD " or " DOMREAD("target.group.domain_id")},
    {"identity:create_group", ADMIN " or " DOMADMIN("target.group.domain_id")},
    {"identity:update_group", ADMIN " or " DOMADMIN("target.group.domain_id")},
    {"identity:delete_group", ADMIN " or " DOMADMIN("target.group.domain_id")},
    {"identity:add_user_to_group", ADMIN " or " DOMADMIN("target.group.domain_id")},
    {"identity:remove_user_from_group",
     ADMIN " or " DOMADMIN("target.group.domain_id")},

    /* ---- roles, implied roles, grants, assignments */
    {"identity:get_role", ADMIN " or " SYSREAD},
    {"identity:list_roles", ADMIN " or " SYSREAD},
    {"identity:create_role", ADMIN},
    {"identity:update_role", ADMIN},
    {"identity:delete_role", ADMIN},
    {"identity:get_implied_role", ADMIN " or " SYSREAD},
    {"identity:list_implied_roles", ADMIN " or " SYSREAD},
    {"identity:list_role_inference_rules", ADMIN " or " SYSREAD},
    {"identity:create_implied_role", ADMIN},
    {"identity:delete_implied_role", ADMIN},
    {"identity:check_grant", ADMIN " or " SYSREAD},
    {"identity:list_grants", ADMIN " or " SYSREAD},
    {"identity:create_grant", ADMIN},
    {"identity:revoke_grant", ADMIN},
    {"identity:list_role_assignments",
     ADMIN " or " SYSREAD " or " DOMREAD("target.domain_id")},
    {"identity:list_system_grants", ADMIN " or " SYSREAD},
    {"identity:create_system_grant", ADMIN},
    {"identity:revoke_system_grant", ADMIN},

    /* ---- catalog: regions, services, endpoints, endpoint groups */
    {"identity:get_region", ""},
    {"identity:list_regions", ""},
    {"identity:create_region", ADMIN},
    {"identity:update_region", ADMIN},
    {"identity:delete_region", ADMIN},
    {"identity:get_service", ADMIN " or " SYSREAD},
    {"identity:list_services", ADMIN " or " SYSREAD},
    {"identity:create_service", ADMIN},
    {"identity:update_service", ADMIN},
    {"identity:delete_service", ADMIN},
    {"identity:get_endpoint", ADMIN " or " SYSREAD},
    {"identity:list_endpoints", ADMIN " or " SYSREAD},
    {"identity:create_endpoint", ADMIN},
    {"identity:update_endpoint", ADMIN},
    {"identity:delete_endpoint", ADMIN},
    {"identity:get_endpoint_group", ADMIN " or " SYSREAD},
    {"identity:list_endpoint_groups", ADMIN " or " SYSREAD},
    {"identity:create_endpoint_group", ADMIN},
    {"identity:update_endpoint_group", ADMIN},
    {"identity:delete_endpoint_group", ADMIN},
    {"identity:manage_project_endpoints", ADMIN},

    /* ---- credentials (owner or admin) */
    {"identity:get_credential",
     ADMIN " or " SYSREAD " or user_id:%(target.credential.user_id)s"},
    {"identity:list_credentials", ""},   /* filtered to the caller's own */
    {"identity:create_credential",
     ADMIN " or user_id:%(target.credential.user_id)s"},
    {"identity:update_credential",
     ADMIN " or user_id:%(target.credential.user_id)s"},
    {"identity:delete_credential",
     ADMIN " or user_id:%(target.credential.user_id)s"},
    {"identity:ec2_get_credential",
     ADMIN " or " SYSREAD " or user_id:%(target.credential.user_id)s"},
    {"identity:ec2_list_credentials", ADMIN " or user_id:%(target.credential.user_id)s"},
    {"identity:ec2_create_credential", ADMIN " or user_id:%(target.credential.user_id)s"},
    {"identity:ec2_delete_credential", ADMIN " or user_id:%(target.credential.user_id)s"},

    /* ---- application credentials and access rules (owner only, or admin) */
    {"identity:get_application_credential",
     ADMIN " or " SYSREAD " or user_id:%(target.user.id)s"},
    {"identity:list_application_credentials",
     ADMIN " or " SYSREAD " or user_id:%(target.user.id)s"},
    {"identity:create_application_credential", "user_id:%(target.user.id)s"},
    {"identity:delete_application_credential",
     ADMIN " or user_id:%(target.user.id)s"},
    {"identity:get_access_rule",
     ADMIN " or " SYSREAD " or user_id:%(target.user.id)s"},
    {"identity:list_access_rules",
     ADMIN " or " SYSREAD " or user_id:%(target.user.id)s"},
    {"identity:delete_access_rule", ADMIN " or user_id:%(target.user.id)s"},

    /* ---- trusts */
    {"identity:create_trust", "user_id:%(target.trust.trustor_user_id)s"},
    {"identity:list_trusts", ADMIN " or " SYSREAD},
    {"identity:list_trusts_for_trustor",
     ADMIN " or " SYSREAD " or user_id:%(target.trust.trustor_user_id)s"},
    {"identity:list_trusts_for_trustee",
     ADMIN " or " SYSREAD " or user_id:%(target.trust.trustee_user_id)s"},
    {"identity:get_trust",
     ADMIN " or " SYSREAD " or user_id:%(target.trust.trustor_user_id)s"
     " or user_id:%(target.trust.trustee_user_id)s"},
    {"identity:delete_trust",
     ADMIN " or user_id:%(target.trust.trustor_user_id)s"},
    {"identity:get_role_for_trust",
     ADMIN " or " SYSREAD " or user_id:%(target.trust.trustor_user_id)s"
     " or user_id:%(target.trust.trustee_user_id)s"},
    {"identity:list_roles_for_trust",
     ADMIN " or " SYSREAD " or user_id:%(target.trust.trustor_user_id)s"
     " or user_id:%(target.trust.trustee_user_id)s"},

    /* ---- policies, OAuth1 consumers, limits */
    {"identity:get_policy", ADMIN " or " SYSREAD},
    {"identity:list_policies", ADMIN " or " SYSREAD},
    {"identity:create_policy", ADMIN},
    {"identity:update_policy", ADMIN},
    {"identity:delete_policy", ADMIN},
    {"identity:get_consumer", ADMIN " or " SYSREAD},
    {"identity:list_consumers", ADMIN " or " SYSREAD},
    {"identity:create_consumer", ADMIN},
    {"identity:update_consumer", ADMIN},
    {"identity:delete_consumer", ADMIN},
    {"identity:get_registered_limit", ""},
    {"identity:list_registered_limits", ""},
    {"identity:create_registered_limits", ADMIN},
    {"identity:update_registered_limit", ADMIN},
    {"identity:delete_registered_limit", ADMIN},
    {"identity:get_limit_model", ""},
    {"identity:get_limit",
     ADMIN " or " SYSREAD " or project_id:%(target.limit.project_id)s"
     " or " DOMREAD("target.limit.domain_id")},
    {"identity:list_limits", ""},        /* filtered to the caller's own */
    {"identity:create_limits", ADMIN},
    {"identity:update_limit", ADMIN},
    {"identity:delete_limit", ADMIN},

    /* ---- image (Glance v2 defaults, glance/policies): reads for anyone
     * with a role on the project (which images are visible is decided in
     * src/image, as Glance's database layer does), writes for the owner
     * with the member role, publishing for admins only. */
    {"image:context_is_admin", "role:admin"},
    {"image:owner_member",
     "rule:image:context_is_admin or (role:member and project_id:%(owner)s)"},
    {"image:reader", "rule:image:context_is_admin or role:reader"},
    {"image:get_schema", ""},
    {"image:get_info", ""},
    {"image:get_images", "rule:image:reader"},
    {"image:get_image", "rule:image:reader"},
    {"image:add_image", "rule:image:owner_member"},
    {"image:modify_image", "rule:image:owner_member"},
    {"image:delete_image", "rule:image:owner_member"},
    {"image:publicize_image", "rule:image:context_is_admin"},
    {"image:communitize_image", "rule:image:owner_member"},
    {"image:download_image", "rule:image:reader"},
    {"image:upload_image", "rule:image:owner_member"},
    {"image:import_image", "rule:image:owner_member"},
    {"image:deactivate", "rule:image:owner_member"},
    {"image:reactivate", "rule:image:owner_member"},
    {"image:add_member", "rule:image:owner_member"},
    {"image:delete_member", "rule:image:owner_member"},
    {"image:get_member", "rule:image:reader"},
    {"image:get_members", "rule:image:reader"},
    {"image:modify_member",
     "rule:image:context_is_admin or (role:member and project_id:%(member_id)s)"},

    /* ---- object storage (src/object), as Swift's keystoneauth: the
     * members of a project own its account AUTH_<project_id>; the reseller
     * admin (admin, or Tempest's ResellerAdmin role) acts on every account.
     * Container ACLs and temp URLs are decided by the handlers. */
    {"object:reseller_admin", "role:admin or role:ResellerAdmin"},
    {"object:owner", "role:member and project_id:%(target.project_id)s"},
    /* ---- network (Neutron's rule names; src/network).  Visibility is
     * enforced by the store itself: a caller sees its project's rows,
     * shared networks/subnets/pools, or everything as admin; another
     * project's row is a 404, so the get/list rules only need a token.
     * Writes check the loaded target's project.  Admin-only attributes
     * (shared, router:external, provider:*, binding:*) are refused with
     * 403 by the handlers, as Neutron's per-attribute rules do. */
#define NET_OWNER "rule:admin_required or project_id:%(target.project_id)s"
    {"get_extension", ""},
    {"create_network", ""},
    {"get_network", ""},
    {"update_network", NET_OWNER},
    {"delete_network", NET_OWNER},
    {"create_subnet", ""},
    {"get_subnet", ""},
    {"update_subnet", NET_OWNER},
    {"delete_subnet", NET_OWNER},
    {"create_subnetpool", ""},
    {"get_subnetpool", ""},
    {"update_subnetpool", NET_OWNER},
    {"delete_subnetpool", NET_OWNER},
    {"create_port", ""},
    {"get_port", ""},
    {"update_port", NET_OWNER},
    {"delete_port", NET_OWNER},
    {"create_security_group", ""},
    {"get_security_group", ""},
    {"update_security_group", NET_OWNER},
    {"delete_security_group", NET_OWNER},
    {"create_security_group_rule", ""},
    {"get_security_group_rule", ""},
    {"delete_security_group_rule", NET_OWNER},
    {"get_quota", NET_OWNER},
    {"update_quota", ADMIN},
    {"delete_quota", ADMIN},
    {"get_network_ip_availability", ADMIN},
    {"get_agent", ""},
#undef NET_OWNER

    /* ---- compute catalog (Nova's rule names; src/compute flavors.c,
     * keypairs.c, quota*.c, groups.c, hosts.c).  Reads for any token;
     * another project's server group is a 404 (the handlers look in the
     * caller's project); keypairs act for the caller, or for any user
     * (?user_id=, 2.10) as an admin; the rest is admin only. */
#define CMP_USER "rule:admin_required or user_id:%(target.user_id)s"
#define CMP_PROJ "rule:admin_required or project_id:%(target.project_id)s"
    {"os_compute_api:flavors:index", ""},
    {"os_compute_api:flavors:show", ""},
    {"os_compute_api:os-flavor-manage:create", ADMIN},
    {"os_compute_api:os-flavor-manage:update", ADMIN},
    {"os_compute_api:os-flavor-manage:delete", ADMIN},
    {"os_compute_api:os-keypairs:index", CMP_USER},
    {"os_compute_api:os-keypairs:show", CMP_USER},
    {"os_compute_api:os-keypairs:create", CMP_USER},
    {"os_compute_api:os-keypairs:delete", CMP_USER},
    {"os_compute_api:os-server-groups:index", ""},
    {"os_compute_api:os-server-groups:show", ""},
    {"os_compute_api:os-server-groups:create", ""},
    {"os_compute_api:os-server-groups:delete", ""},
    {"os_compute_api:os-flavor-extra-specs:index", ""},
    {"os_compute_api:os-flavor-extra-specs:show", ""},
    {"os_compute_api:os-flavor-extra-specs:create", ADMIN},
    {"os_compute_api:os-flavor-extra-specs:update", ADMIN},
    {"os_compute_api:os-flavor-extra-specs:delete", ADMIN},
    {"os_compute_api:os-flavor-access", ADMIN},
    {"os_compute_api:os-flavor-access:add_tenant_access", ADMIN},
    {"os_compute_api:os-flavor-access:remove_tenant_access", ADMIN},
    {"os_compute_api:os-quota-sets:show", CMP_PROJ},
    {"os_compute_api:os-quota-sets:detail", CMP_PROJ},
    {"os_compute_api:os-quota-sets:defaults", ""},
    {"os_compute_api:os-quota-sets:update", ADMIN},
    {"os_compute_api:os-quota-sets:delete", ADMIN},
    {"os_compute_api:os-quota-class-sets:show", ADMIN},
    {"os_compute_api:os-quota-class-sets:update", ADMIN},
    {"os_compute_api:limits", ""},
    {"os_compute_api:limits:other_project", ADMIN},
    {"os_compute_api:os-availability-zone:list", ""},
    {"os_compute_api:os-availability-zone:detail", ADMIN},
    {"os_compute_api:os-services:list", ADMIN},
    {"os_compute_api:os-services:update", ADMIN},
    {"os_compute_api:os-services:delete", ADMIN},
    {"os_compute_api:os-hypervisors:list", ADMIN},
    {"os_compute_api:os-hypervisors:list-detail", ADMIN},
    {"os_compute_api:os-hypervisors:statistics", ADMIN},
    {"os_compute_api:os-hypervisors:show", ADMIN},
    {"os_compute_api:os-hypervisors:uptime", ADMIN},
    {"os_compute_api:os-hypervisors:search", ADMIN},
    {"os_compute_api:os-hypervisors:servers", ADMIN},
    {"os_compute_api:os-simple-tenant-usage:list", ADMIN},
    {"os_compute_api:os-simple-tenant-usage:show", CMP_PROJ},
    {"os_compute_api:os-aggregates:index", ADMIN},
    {"os_compute_api:os-aggregates:create", ADMIN},
    {"os_compute_api:os-aggregates:show", ADMIN},
    {"os_compute_api:os-aggregates:update", ADMIN},
    {"os_compute_api:os-aggregates:delete", ADMIN},
    {"os_compute_api:os-aggregates:add_host", ADMIN},
    {"os_compute_api:os-aggregates:remove_host", ADMIN},
    {"os_compute_api:os-aggregates:set_metadata", ADMIN},
    {"os_compute_api:os-instance-usage-audit-log:list", ADMIN},
    {"os_compute_api:os-instance-usage-audit-log:show", ADMIN},
    {"os_compute_api:os-hosts:list", ADMIN},
    {"os_compute_api:os-hosts:show", ADMIN},
    {"os_compute_api:os-hosts:update", ADMIN},
    {"os_compute_api:os-hosts:start", ADMIN},
    {"os_compute_api:os-hosts:shutdown", ADMIN},
    {"os_compute_api:os-hosts:reboot", ADMIN},
    {"os_compute_api:extensions", ""},
#undef CMP_USER
#undef CMP_PROJ
    /* ---- compute: servers (Nova's rule names and defaults; src/compute
     * servers*.c).  Targets carry the server's project_id. */
#define CMP_MEMBER "rule:admin_required or project_id:%(target.project_id)s"
    {"os_compute_api:servers:index", ""},
    {"os_compute_api:servers:detail", ""},
    {"os_compute_api:servers:index:get_all_tenants", ADMIN},
    {"os_compute_api:servers:detail:get_all_tenants", ADMIN},
    {"os_compute_api:servers:allow_all_filters", ADMIN},
    {"os_compute_api:servers:show", CMP_MEMBER},
    {"os_compute_api:servers:show:host_status", ADMIN},
    {"os_compute_api:servers:show:flavor-extra-specs", CMP_MEMBER},
    {"os_compute_api:servers:create", CMP_MEMBER},
    {"os_compute_api:servers:create:forced_host", ADMIN},
    {"compute:servers:create:requested_destination", ADMIN},
    {"os_compute_api:servers:update", CMP_MEMBER},
    {"os_compute_api:servers:delete", CMP_MEMBER},
    {"os_compute_api:os-extended-server-attributes", ADMIN},
    {"os_compute_api:server-metadata:index", CMP_MEMBER},
    {"os_compute_api:server-metadata:show", CMP_MEMBER},
    {"os_compute_api:server-metadata:create", CMP_MEMBER},
    {"os_compute_api:server-metadata:update", CMP_MEMBER},
    {"os_compute_api:server-metadata:update_all", CMP_MEMBER},
    {"os_compute_api:server-metadata:delete", CMP_MEMBER},
    {"os_compute_api:os-server-tags:index", CMP_MEMBER},
    {"os_compute_api:os-server-tags:show", CMP_MEMBER},
    {"os_compute_api:os-server-tags:update", CMP_MEMBER},
    {"os_compute_api:os-server-tags:update_all", CMP_MEMBER},
    {"os_compute_api:os-server-tags:delete", CMP_MEMBER},
    {"os_compute_api:os-server-tags:delete_all", CMP_MEMBER},
    {"os_compute_api:ips:index", CMP_MEMBER},
    {"os_compute_api:ips:show", CMP_MEMBER},
    {"os_compute_api:os-instance-actions:list", CMP_MEMBER},
    {"os_compute_api:os-instance-actions:show", CMP_MEMBER},
    {"os_compute_api:os-instance-actions:events", ADMIN},
#undef CMP_MEMBER
    /* ---- compute: server actions and os-interface (Nova's defaults,
     * nova/policies: PROJECT_MEMBER_OR_ADMIN for what changes a server,
     * PROJECT_READER_OR_ADMIN for reads, admin for resetState and for
     * unlocking a server someone else locked).  Targets carry the
     * server's project_id (src/compute/actions.c). */
#define ACT_MEMBER "rule:admin_required or (role:member and project_id:%(target.project_id)s)"
#define ACT_READER "rule:admin_required or (role:reader and project_id:%(target.project_id)s)"
    {"os_compute_api:servers:start", ACT_MEMBER},
    {"os_compute_api:servers:stop", ACT_MEMBER},
    {"os_compute_api:servers:reboot", ACT_MEMBER},
    {"os_compute_api:servers:rebuild", ACT_MEMBER},
    {"os_compute_api:servers:resize", ACT_MEMBER},
    {"os_compute_api:servers:confirm_resize", ACT_MEMBER},
    {"os_compute_api:servers:revert_resize", ACT_MEMBER},
    {"os_compute_api:servers:create_image", ACT_MEMBER},
    {"os_compute_api:os-create-backup", ACT_MEMBER},
    {"os_compute_api:os-pause-server:pause", ACT_MEMBER},
    {"os_compute_api:os-pause-server:unpause", ACT_MEMBER},
    {"os_compute_api:os-suspend-server:suspend", ACT_MEMBER},
    {"os_compute_api:os-suspend-server:resume", ACT_MEMBER},
    {"os_compute_api:os-shelve:shelve", ACT_MEMBER},
    {"os_compute_api:os-shelve:unshelve", ACT_MEMBER},
    {"os_compute_api:os-shelve:shelve_offload", ADMIN},
    {"os_compute_api:os-rescue", ACT_MEMBER},
    {"os_compute_api:os-unrescue", ACT_MEMBER},
    {"os_compute_api:os-lock-server:lock", ACT_MEMBER},
    {"os_compute_api:os-lock-server:unlock", ACT_MEMBER},
    {"os_compute_api:os-lock-server:unlock:unlock_override", ADMIN},
    {"os_compute_api:os-admin-actions:reset_state", ADMIN},
    {"os_compute_api:os-deferred-delete:restore", ACT_MEMBER},
    {"os_compute_api:os-deferred-delete:force", ACT_MEMBER},
    {"os_compute_api:os-console-output", ACT_MEMBER},
    {"os_compute_api:os-security-groups:add", ACT_MEMBER},
    {"os_compute_api:os-security-groups:remove", ACT_MEMBER},
    {"os_compute_api:os-server-password:show", ACT_READER},
    {"os_compute_api:os-server-password:clear", ACT_MEMBER},
    {"os_compute_api:os-attach-interfaces:list", ACT_READER},
    {"os_compute_api:os-attach-interfaces:show", ACT_READER},
    {"os_compute_api:os-attach-interfaces:create", ACT_MEMBER},
    {"os_compute_api:os-attach-interfaces:delete", ACT_MEMBER},
#undef ACT_MEMBER
#undef ACT_READER

    /* ---- Nova's network proxy APIs (src/compute/proxies.c): Neutron
     * applies its own rules to the caller as well */
    {"os_compute_api:os-security-groups:get", ""},
    {"os_compute_api:os-security-groups:show", ""},
    {"os_compute_api:os-security-groups:create", ""},
    {"os_compute_api:os-security-groups:update", ""},
    {"os_compute_api:os-security-groups:delete", ""},
    {"os_compute_api:os-security-groups:rule:create", ""},
    {"os_compute_api:os-security-groups:rule:delete", ""},
    {"os_compute_api:os-security-groups:list", ""},
    {"os_compute_api:os-networks:list", "rule:admin_required"},
    {"os_compute_api:os-networks:view", "rule:admin_required"},
    {"os_compute_api:os-tenant-networks:list", ""},
    {"os_compute_api:os-tenant-networks:show", ""},

    /* ---- compute extras (src/compute migrations.c, migrate.c,
     * diagnostics.c, external_events.c): Nova's admin-only defaults */
    {"os_compute_api:os-migrations:index", ADMIN},
    {"os_compute_api:os-migrate-server:migrate", ADMIN},
    {"os_compute_api:os-migrate-server:migrate_live", ADMIN},
    {"os_compute_api:servers:migrations:index", ADMIN},
    {"os_compute_api:servers:migrations:show", ADMIN},
    {"os_compute_api:servers:migrations:delete", ADMIN},
    {"os_compute_api:servers:migrations:force_complete", ADMIN},
    {"os_compute_api:os-server-diagnostics", ADMIN},
    {"os_compute_api:os-server-external-events:create", ADMIN},
};

const struct nb_policy_rule *nb_policy_rules(size_t *n)
{
    *n = sizeof(nb_rules) / sizeof(nb_rules[0]);
    return nb_rules;
}
