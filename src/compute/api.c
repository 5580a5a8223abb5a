/* Nova v2.1 over HTTP: the route table, version discovery, and Nova's
 * error bodies.  Handlers live in the file of their area (internal.h). */
#include "compute/internal.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>

#define IN_HANDLER NB_POLICY_IN_HANDLER
#define H(m, p, fn) {m, p, fn, IN_HANDLER, 0, NULL, NULL, NULL}
#define HP(m, p, fn, rule) {m, p, fn, rule, 0, NULL, NULL, NULL}

static int nb_cmp_versions(struct nb_req *req);
static int nb_cmp_version(struct nb_req *req);
static int nb_cmp_version_legacy(struct nb_req *req);

/* Each area keeps its routes in its own block, so areas never edit each
 * other's lines. */
static const struct nb_route nb_compute_routes[] = {
    /* ---- discovery */
    {"GET", "/", nb_cmp_versions, NULL, NB_ROUTE_PUBLIC | NB_ROUTE_UNVERSIONED,
     NULL, NULL, NULL},
    {"GET", "/v2.1", nb_cmp_version, NULL, NB_ROUTE_PUBLIC | NB_ROUTE_UNVERSIONED,
     NULL, NULL, NULL},
    {"GET", "/v2.1/", nb_cmp_version, NULL, NB_ROUTE_PUBLIC | NB_ROUTE_UNVERSIONED,
     NULL, NULL, NULL},
    {"GET", "/v2", nb_cmp_version_legacy, NULL,
     NB_ROUTE_PUBLIC | NB_ROUTE_UNVERSIONED, NULL, NULL, NULL},
    {"GET", "/v2/", nb_cmp_version_legacy, NULL,
     NB_ROUTE_PUBLIC | NB_ROUTE_UNVERSIONED, NULL, NULL, NULL},

    /* ---- servers (servers*.c, instance_actions.c) */
    H("POST", "/v2.1/servers", nb_cmp_servers_create),
    H("GET", "/v2.1/servers", nb_cmp_servers_index),
    H("GET", "/v2.1/servers/detail", nb_cmp_servers_detail),
    H("GET", "/v2.1/servers/{id}", nb_cmp_servers_show),
    H("PUT", "/v2.1/servers/{id}", nb_cmp_servers_update),
    H("DELETE", "/v2.1/servers/{id}", nb_cmp_servers_delete),
    H("GET", "/v2.1/servers/{id}/metadata", nb_cmp_metadata_index),
    H("POST", "/v2.1/servers/{id}/metadata", nb_cmp_metadata_create),
    H("PUT", "/v2.1/servers/{id}/metadata", nb_cmp_metadata_update_all),
    H("GET", "/v2.1/servers/{id}/metadata/{key}", nb_cmp_metadata_show),
    H("PUT", "/v2.1/servers/{id}/metadata/{key}", nb_cmp_metadata_update),
    H("DELETE", "/v2.1/servers/{id}/metadata/{key}", nb_cmp_metadata_delete),
    H("GET", "/v2.1/servers/{id}/tags", nb_cmp_tags_index),
    H("PUT", "/v2.1/servers/{id}/tags", nb_cmp_tags_update_all),
    H("DELETE", "/v2.1/servers/{id}/tags", nb_cmp_tags_delete_all),
    H("GET", "/v2.1/servers/{id}/tags/{tag}", nb_cmp_tags_show),
    H("PUT", "/v2.1/servers/{id}/tags/{tag}", nb_cmp_tags_update),
    H("DELETE", "/v2.1/servers/{id}/tags/{tag}", nb_cmp_tags_delete),
    H("GET", "/v2.1/servers/{id}/ips", nb_cmp_ips_index),
    H("GET", "/v2.1/servers/{id}/ips/{network}", nb_cmp_ips_show),
    H("GET", "/v2.1/servers/{id}/os-instance-actions", nb_cmp_instance_actions_index),
    H("GET", "/v2.1/servers/{id}/os-instance-actions/{request_id}",
      nb_cmp_instance_actions_show),

    /* ---- server actions, os-interface (actions.c, interfaces.c) */
    H("POST", "/v2.1/servers/{id}/action", nb_cmp_server_action),
    H("GET", "/v2.1/servers/{id}/os-interface", nb_cmp_interface_list),
    H("POST", "/v2.1/servers/{id}/os-interface", nb_cmp_interface_attach),
    H("GET", "/v2.1/servers/{id}/os-interface/{port}", nb_cmp_interface_show),
    H("DELETE", "/v2.1/servers/{id}/os-interface/{port}", nb_cmp_interface_detach),
    H("GET", "/v2.1/servers/{id}/os-server-password", nb_cmp_server_password_show),
    H("DELETE", "/v2.1/servers/{id}/os-server-password", nb_cmp_server_password_clear),
    /* Nova's image proxy (to 2.35), where old clients follow a snapshot */
    H("GET", "/v2.1/images", nb_cmp_images_index),
    H("DELETE", "/v2.1/images", nb_cmp_images_delete_no_id),
    H("GET", "/v2.1/images/detail", nb_cmp_images_detail),
    H("GET", "/v2.1/images/{id}", nb_cmp_image_show),
    H("DELETE", "/v2.1/images/{id}", nb_cmp_image_delete),
    H("GET", "/v2.1/images/{id}/metadata", nb_cmp_image_meta_index),
    H("POST", "/v2.1/images/{id}/metadata", nb_cmp_image_meta_create),
    H("PUT", "/v2.1/images/{id}/metadata", nb_cmp_image_meta_update_all),
    H("GET", "/v2.1/images/{id}/metadata/{key}", nb_cmp_image_meta_show),
    H("PUT", "/v2.1/images/{id}/metadata/{key}", nb_cmp_image_meta_update),
    H("DELETE", "/v2.1/images/{id}/metadata/{key}", nb_cmp_image_meta_delete),

    /* ---- Nova's network proxy APIs before 2.36 (proxies.c) */
    H("GET", "/v2.1/os-security-groups", nb_cmp_secgroups_list),
    H("POST", "/v2.1/os-security-groups", nb_cmp_secgroup_create),
    H("GET", "/v2.1/os-security-groups/{id}", nb_cmp_secgroup_show),
    H("PUT", "/v2.1/os-security-groups/{id}", nb_cmp_secgroup_update),
    H("DELETE", "/v2.1/os-security-groups/{id}", nb_cmp_secgroup_delete),
    H("DELETE", "/v2.1/os-security-groups", nb_cmp_secgroup_delete_no_id),
    H("POST", "/v2.1/os-security-group-rules", nb_cmp_sgrule_create),
    H("DELETE", "/v2.1/os-security-group-rules/{id}", nb_cmp_sgrule_delete),
    H("GET", "/v2.1/servers/{id}/os-security-groups", nb_cmp_server_secgroups),
    H("GET", "/v2.1/os-networks", nb_cmp_networks_list),
    H("GET", "/v2.1/os-networks/{id}", nb_cmp_network_show),
    H("GET", "/v2.1/os-tenant-networks", nb_cmp_tenant_networks_list),
    H("GET", "/v2.1/os-tenant-networks/{id}", nb_cmp_tenant_network_show),

    /* ---- flavors, keypairs, quotas, limits, server groups,
     *      availability zones, hypervisors, services (catalog area) */
    HP("GET", "/v2.1/flavors", nb_cmp_flavors_index, "os_compute_api:flavors:index"),
    HP("GET", "/v2.1/flavors/detail", nb_cmp_flavors_detail,
       "os_compute_api:flavors:index"),
    HP("GET", "/v2.1/flavors/{id}", nb_cmp_flavor_show, "os_compute_api:flavors:show"),
    HP("POST", "/v2.1/flavors", nb_cmp_flavor_create,
       "os_compute_api:os-flavor-manage:create"),
    HP("PUT", "/v2.1/flavors/{id}", nb_cmp_flavor_update,
       "os_compute_api:os-flavor-manage:update"),
    HP("DELETE", "/v2.1/flavors/{id}", nb_cmp_flavor_delete,
       "os_compute_api:os-flavor-manage:delete"),
    H("GET", "/v2.1/os-keypairs", nb_cmp_keypairs_list),
    H("POST", "/v2.1/os-keypairs", nb_cmp_keypair_create),
    H("GET", "/v2.1/os-keypairs/{name}", nb_cmp_keypair_show),
    H("DELETE", "/v2.1/os-keypairs/{name}", nb_cmp_keypair_delete),
    HP("GET", "/v2.1/os-server-groups", nb_cmp_groups_list,
       "os_compute_api:os-server-groups:index"),
    HP("POST", "/v2.1/os-server-groups", nb_cmp_group_create,
       "os_compute_api:os-server-groups:create"),
    HP("GET", "/v2.1/os-server-groups/{id}", nb_cmp_group_show,
       "os_compute_api:os-server-groups:show"),
    HP("DELETE", "/v2.1/os-server-groups/{id}", nb_cmp_group_delete,
       "os_compute_api:os-server-groups:delete"),
    HP("GET", "/v2.1/flavors/{id}/os-extra_specs", nb_cmp_specs_list,
       "os_compute_api:os-flavor-extra-specs:index"),
    HP("POST", "/v2.1/flavors/{id}/os-extra_specs", nb_cmp_specs_create,
       "os_compute_api:os-flavor-extra-specs:create"),
    HP("GET", "/v2.1/flavors/{id}/os-extra_specs/{key}", nb_cmp_spec_show,
       "os_compute_api:os-flavor-extra-specs:show"),
    HP("PUT", "/v2.1/flavors/{id}/os-extra_specs/{key}", nb_cmp_spec_update,
       "os_compute_api:os-flavor-extra-specs:update"),
    HP("DELETE", "/v2.1/flavors/{id}/os-extra_specs/{key}", nb_cmp_spec_delete,
       "os_compute_api:os-flavor-extra-specs:delete"),
    HP("GET", "/v2.1/flavors/{id}/os-flavor-access", nb_cmp_access_list,
       "os_compute_api:os-flavor-access"),
    H("POST", "/v2.1/flavors/{id}/action", nb_cmp_flavor_action),
    HP("GET", "/v2.1/os-quota-sets/{project}/defaults", nb_cmp_quota_defaults,
       "os_compute_api:os-quota-sets:defaults"),
    H("GET", "/v2.1/os-quota-sets/{project}/detail", nb_cmp_quota_detail),
    H("GET", "/v2.1/os-quota-sets/{project}", nb_cmp_quota_show),
    H("PUT", "/v2.1/os-quota-sets/{project}", nb_cmp_quota_update),
    H("DELETE", "/v2.1/os-quota-sets/{project}", nb_cmp_quota_delete),
    HP("GET", "/v2.1/os-quota-class-sets/{class}", nb_cmp_quota_class_show,
       "os_compute_api:os-quota-class-sets:show"),
    HP("PUT", "/v2.1/os-quota-class-sets/{class}", nb_cmp_quota_class_update,
       "os_compute_api:os-quota-class-sets:update"),
    H("GET", "/v2.1/limits", nb_cmp_limits_show),
    HP("GET", "/v2.1/os-availability-zone", nb_cmp_az_list,
       "os_compute_api:os-availability-zone:list"),
    HP("GET", "/v2.1/os-availability-zone/detail", nb_cmp_az_detail,
       "os_compute_api:os-availability-zone:detail"),
    HP("GET", "/v2.1/os-services", nb_cmp_services_list, "os_compute_api:os-services:list"),
    HP("PUT", "/v2.1/os-services/{id}", nb_cmp_service_update,
       "os_compute_api:os-services:update"),
    HP("DELETE", "/v2.1/os-services/{id}", nb_cmp_service_delete,
       "os_compute_api:os-services:delete"),
    HP("GET", "/v2.1/os-hypervisors", nb_cmp_hypervisors_index,
       "os_compute_api:os-hypervisors:list"),
    HP("GET", "/v2.1/os-hypervisors/detail", nb_cmp_hypervisors_detail,
       "os_compute_api:os-hypervisors:list-detail"),
    HP("GET", "/v2.1/os-hypervisors/statistics", nb_cmp_hypervisors_statistics,
       "os_compute_api:os-hypervisors:statistics"),
    HP("GET", "/v2.1/os-hypervisors/{id}", nb_cmp_hypervisor_show,
       "os_compute_api:os-hypervisors:show"),
    HP("GET", "/v2.1/os-hypervisors/{id}/uptime", nb_cmp_hypervisor_uptime,
       "os_compute_api:os-hypervisors:uptime"),
    HP("GET", "/v2.1/os-hypervisors/{pattern}/search", nb_cmp_hypervisors_search,
       "os_compute_api:os-hypervisors:search"),
    HP("GET", "/v2.1/os-hypervisors/{pattern}/servers", nb_cmp_hypervisors_servers,
       "os_compute_api:os-hypervisors:servers"),
    HP("GET", "/v2.1/os-simple-tenant-usage", nb_cmp_usage_list,
       "os_compute_api:os-simple-tenant-usage:list"),
    H("GET", "/v2.1/os-simple-tenant-usage/{project}", nb_cmp_usage_show),
    HP("GET", "/v2.1/os-aggregates", nb_cmp_aggregates_list,
       "os_compute_api:os-aggregates:index"),
    HP("POST", "/v2.1/os-aggregates", nb_cmp_aggregate_create,
       "os_compute_api:os-aggregates:create"),
    HP("GET", "/v2.1/os-aggregates/{id}", nb_cmp_aggregate_show,
       "os_compute_api:os-aggregates:show"),
    HP("PUT", "/v2.1/os-aggregates/{id}", nb_cmp_aggregate_update,
       "os_compute_api:os-aggregates:update"),
    HP("DELETE", "/v2.1/os-aggregates/{id}", nb_cmp_aggregate_delete,
       "os_compute_api:os-aggregates:delete"),
    H("POST", "/v2.1/os-aggregates/{id}/action", nb_cmp_aggregate_action),
    HP("GET", "/v2.1/os-instance_usage_audit_log", nb_cmp_audit_list,
       "os_compute_api:os-instance-usage-audit-log:list"),
    HP("GET", "/v2.1/os-instance_usage_audit_log/{before}", nb_cmp_audit_show,
       "os_compute_api:os-instance-usage-audit-log:show"),
    HP("GET", "/v2.1/os-hosts", nb_cmp_hosts_list, "os_compute_api:os-hosts:list"),
    HP("GET", "/v2.1/os-hosts/{host}", nb_cmp_host_show, "os_compute_api:os-hosts:show"),
    HP("PUT", "/v2.1/os-hosts/{host}", nb_cmp_host_update,
       "os_compute_api:os-hosts:update"),
    H("GET", "/v2.1/os-hosts/{host}/{action}", nb_cmp_host_power),
    HP("GET", "/v2.1/extensions", nb_cmp_extensions_list, "os_compute_api:extensions"),
    HP("GET", "/v2.1/extensions/{alias}", nb_cmp_extension_show,
       "os_compute_api:extensions"),

    /* ---- migrations, diagnostics, external events (extras area:
     *      migrations.c, diagnostics.c, external_events.c; the migrate
     *      actions are in actions.c's table) */
    HP("GET", "/v2.1/os-migrations", nb_cmp_migrations_index,
       "os_compute_api:os-migrations:index"),
    H("GET", "/v2.1/servers/{id}/migrations", nb_cmp_server_migrations_index),
    H("GET", "/v2.1/servers/{id}/migrations/{mid}", nb_cmp_server_migration_show),
    H("DELETE", "/v2.1/servers/{id}/migrations/{mid}", nb_cmp_server_migration_delete),
    H("POST", "/v2.1/servers/{id}/migrations/{mid}/action", nb_cmp_server_migration_action),
    H("GET", "/v2.1/servers/{id}/diagnostics", nb_cmp_server_diagnostics),
    HP("POST", "/v2.1/os-server-external-events", nb_cmp_external_events_create,
       "os_compute_api:os-server-external-events:create"),
};

static const char *const nb_compute_headers[] = {NULL};

static const struct nb_microversions nb_compute_mv = {
    .service_type = "compute",
    .legacy_header = "X-OpenStack-Nova-API-Version",
    .min = NB_CMP_MV_MIN,
    .max = NB_CMP_MV_MAX,
    .legacy_prefix = "/v2",
    .prefix = "/v2.1",
};

const struct nb_service nb_compute_service = {
    .name = "compute",
    .prefix = "/compute",
    .routes = nb_compute_routes,
    .nroutes = NB_ARRAY_SIZE(nb_compute_routes),
    .render_error = nb_cmp_render_error,
    .headers = nb_compute_headers,
    .bad_content_type_status = 0,
    .mv = &nb_compute_mv,
    .request_id_header = "X-Compute-Request-Id",
};

/* ---- errors */

json_t *nb_cmp_render_error(int status, const char *title, const char *msg)
{
    const char *key;
    (void)title;
    switch (status) {
    case 400: key = "badRequest"; break;
    case 401: key = "unauthorized"; break;
    case 403: key = "forbidden"; break;
    case 404: key = "itemNotFound"; break;
    case 405: key = "badMethod"; break;
    case 409: key = "conflictingRequest"; break;
    case 413: case 429: key = "overLimit"; break;
    case 415: key = "badMediaType"; break;
    case 501: key = "notImplemented"; break;
    case 503: key = "serviceUnavailable"; break;
    default: key = "computeFault"; break;
    }
    return json_pack("{s:{s:i,s:s}}", key, "code", status, "message", msg);
}

int nb_cmp_mv_route(struct nb_req *req, int min, int max)
{
    int mv = nb_req_mv(req);
    if ((min && mv < min) || (max && mv > max)) {
        nb_req_policy_done(req);
        return nb_req_err(req, 404, "The resource could not be found.");
    }
    return 0;
}

bool nb_cmp_is_admin(const struct nb_ctx *ctx)
{
    return nb_caller_has_role(&ctx->caller, "admin");
}

/* ---- discovery: the documents Nova serves at /, /v2 and /v2.1.  The v2.0
 * API is Nova's compatibility one: the same routes below /v2, at the
 * minimum microversion (see nb_compute_mv). */

static json_t *nb_cmp_version_doc(struct nb_req *req, bool legacy, bool full)
{
    char *href = nb_xasprintf("%s/compute/%s/", nb_req_base_url(req),
                              legacy ? "v2" : "v2.1");
    char max[16] = "", min[16] = "";
    json_t *v;

    if (!legacy) {
        snprintf(max, sizeof(max), "%d.%d", NB_CMP_MV_MAX / 1000, NB_CMP_MV_MAX % 1000);
        snprintf(min, sizeof(min), "%d.%d", NB_CMP_MV_MIN / 1000, NB_CMP_MV_MIN % 1000);
    }
    v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}",
                  "id", legacy ? "v2.0" : "v2.1",
                  "status", legacy ? "SUPPORTED" : "CURRENT", "version", max,
                  "min_version", min, "updated",
                  legacy ? "2011-01-21T11:33:21Z" : "2013-07-23T11:33:21Z",
                  "links", "rel", "self", "href", href);
    if (full) {
        json_array_append_new(json_object_get(v, "links"),
                              json_pack("{s:s,s:s,s:s}", "rel", "describedby",
                                        "type", "text/html", "href",
                                        "http://docs.openstack.org/"));
        json_object_set_new(v, "media-types", json_pack(
            "[{s:s,s:s}]", "base", "application/json", "type",
            legacy ? "application/vnd.openstack.compute+json;version=2"
                   : "application/vnd.openstack.compute+json;version=2.1"));
    }
    free(href);
    return v;
}

static int nb_cmp_versions(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:[o,o]}", "versions",
                                             nb_cmp_version_doc(req, true, false),
                                             nb_cmp_version_doc(req, false, false)));
}

static int nb_cmp_version(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:o}", "version",
                                             nb_cmp_version_doc(req, false, true)));
}

static int nb_cmp_version_legacy(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:o}", "version",
                                             nb_cmp_version_doc(req, true, true)));
}
