/* GET /extensions and /extensions/{alias}: the v2.1 extensions whose
 * behaviour nubis compute serves, in the form Nova lists them (its
 * extension_info.py).  Extensions for what is not built here (cells,
 * baremetal, nova-network, volumes, shelve, rescue, ...) are not listed, so
 * clients that discover extensions do not expect them. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <string.h>

static const struct nb_cmp_ext {
    const char *alias, *name, *updated, *description;
} nb_cmp_exts[] = {
    {"OS-EXT-AZ", "ExtendedAvailabilityZone", "2014-12-03T00:00:00Z",
     "Extended Availability Zone support."},
    {"OS-EXT-IPS", "ExtendedIps", "2014-12-03T00:00:00Z",
     "Adds type parameter to the ip list."},
    {"OS-EXT-IPS-MAC", "ExtendedIpsMac", "2014-12-03T00:00:00Z",
     "Adds mac address parameter to the ip list."},
    {"OS-EXT-SRV-ATTR", "ExtendedServerAttributes", "2014-12-03T00:00:00Z",
     "Extended Server Attributes support."},
    {"OS-EXT-STS", "ExtendedStatus", "2014-12-03T00:00:00Z",
     "Extended Status support."},
    {"OS-FLV-DISABLED", "FlavorDisabled", "2014-12-03T00:00:00Z",
     "Support to show the disabled status of a flavor."},
    {"OS-FLV-EXT-DATA", "FlavorExtraData", "2014-12-03T00:00:00Z",
     "Provide additional data for flavors."},
    {"OS-SCH-HNT", "SchedulerHints", "2014-12-03T00:00:00Z",
     "Pass arbitrary key/value pairs to the scheduler."},
    {"OS-SRV-USG", "ServerUsage", "2014-12-03T00:00:00Z",
     "Adds launched_at and terminated_at on Servers."},
    {"os-access-ips", "AccessIPs", "2014-12-03T00:00:00Z",
     "Access IPs support."},
    {"os-admin-actions", "AdminActions", "2014-12-03T00:00:00Z",
     "Enable admin-only server actions Actions include: resetNetwork, "
     "injectNetworkInfo, os-resetState"},
    {"os-attach-interfaces", "AttachInterfaces", "2014-12-03T00:00:00Z",
     "Attach interface support."},
    {"os-availability-zone", "AvailabilityZone", "2014-12-03T00:00:00Z",
     "1. Add availability_zone to the Create Server API. 2. Add availability "
     "zones describing."},
    {"os-block-device-mapping-v2-boot", "BlockDeviceMappingV2Boot", "2014-12-03T00:00:00Z",
     "Allow boot with the new BDM data format."},
    {"os-config-drive", "ConfigDrive", "2014-12-03T00:00:00Z",
     "Config Drive Extension."},
    {"os-console-output", "ConsoleOutput", "2014-12-03T00:00:00Z",
     "Console log output support, with tailing ability."},
    {"os-extended-hypervisors", "ExtendedHypervisors", "2014-12-03T00:00:00Z",
     "Extended hypervisors support."},
    {"os-extended-quotas", "ExtendedQuotas", "2014-12-03T00:00:00Z",
     "Adds ability for admins to delete quota and optionally force the update "
     "Quota command."},
    {"os-extended-services", "ExtendedServices", "2014-12-03T00:00:00Z",
     "Extended services support."},
    {"os-extended-services-delete", "ExtendedServicesDelete", "2014-12-03T00:00:00Z",
     "Extended services deletion support."},
    {"os-flavor-access", "FlavorAccess", "2014-12-03T00:00:00Z",
     "Flavor access support."},
    {"os-flavor-extra-specs", "FlavorExtraSpecs", "2014-12-03T00:00:00Z",
     "Flavors extra specs support."},
    {"os-flavor-manage", "FlavorManage", "2014-12-03T00:00:00Z",
     "Flavor create/delete API support."},
    {"os-flavor-rxtx", "FlavorRxtx", "2014-12-03T00:00:00Z",
     "Support to show the rxtx status of a flavor."},
    {"os-flavor-swap", "FlavorSwap", "2014-12-03T00:00:00Z",
     "Support to show the swap status of a flavor."},
    {"os-hypervisor-status", "HypervisorStatus", "2014-12-03T00:00:00Z",
     "Show hypervisor status."},
    {"os-hypervisors", "Hypervisors", "2014-12-03T00:00:00Z",
     "Admin-only hypervisor administration."},
    {"os-instance-actions", "InstanceActions", "2014-12-03T00:00:00Z",
     "View a log of actions and events taken on an instance."},
    {"os-keypairs", "Keypairs", "2014-12-03T00:00:00Z",
     "Keypair Support."},
    {"os-lock-server", "LockServer", "2014-12-03T00:00:00Z",
     "Enable lock/unlock server actions."},
    {"os-multiple-create", "MultipleCreate", "2014-12-03T00:00:00Z",
     "Allow multiple create in the Create Server v2.1 API."},
    {"os-pause-server", "PauseServer", "2014-12-03T00:00:00Z",
     "Enable pause/unpause server actions."},
    {"os-quota-class-sets", "QuotaClasses", "2014-12-03T00:00:00Z",
     "Quota classes management support."},
    {"os-quota-sets", "Quotas", "2014-12-03T00:00:00Z",
     "Quotas management support."},
    {"os-security-groups", "SecurityGroups", "2014-12-03T00:00:00Z",
     "Security group support."},
    {"os-server-group-quotas", "ServerGroupQuotas", "2014-12-03T00:00:00Z",
     "Adds quota support to server groups."},
    {"os-server-groups", "ServerGroups", "2014-12-03T00:00:00Z",
     "Server group support."},
    {"os-server-list-multi-status", "ServerListMultiStatus", "2014-12-03T00:00:00Z",
     "Allow to filter the servers by a set of status values."},
    {"os-server-sort-keys", "ServerSortKeys", "2014-12-03T00:00:00Z",
     "Add sorting support in get Server v2 API."},
    {"os-server-start-stop", "ServerStartStop", "2014-12-03T00:00:00Z",
     "Start/Stop instance compute API support."},
    {"os-services", "Services", "2014-12-03T00:00:00Z",
     "Services support."},
    {"os-suspend-server", "SuspendServer", "2014-12-03T00:00:00Z",
     "Enable suspend/resume server actions."},
    {"os-used-limits", "UsedLimits", "2014-12-03T00:00:00Z",
     "Provide data on limited resources that are being used."},
    {"os-used-limits-for-admin", "UsedLimitsForAdmin", "2014-12-03T00:00:00Z",
     "Provide data to admin on limited resources used by other tenants."},
    {"os-user-data", "UserData", "2014-12-03T00:00:00Z",
     "Add user_data to the Create Server API."},
    {"os-user-quotas", "UserQuotas", "2014-12-03T00:00:00Z",
     "Project user quota support."},
};

static json_t *nb_cmp_ext_view(const struct nb_cmp_ext *e)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}", "alias", e->alias, "name", e->name,
                     "description", e->description, "updated", e->updated,
                     "namespace", "http://docs.openstack.org/compute/ext/fake_xml",
                     "links");
}

int nb_cmp_extensions_list(struct nb_req *req)
{
    json_t *list = json_array();
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_cmp_exts); i++)
        json_array_append_new(list, nb_cmp_ext_view(&nb_cmp_exts[i]));
    return nb_reply_json(req, 200, json_pack("{s:o}", "extensions", list));
}

int nb_cmp_extension_show(struct nb_req *req)
{
    const char *alias = nb_req_param(req, 0);
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_cmp_exts); i++)
        if (strcmp(nb_cmp_exts[i].alias, alias) == 0)
            return nb_reply_json(req, 200, json_pack("{s:o}", "extension",
                                                     nb_cmp_ext_view(&nb_cmp_exts[i])));
    return nb_req_err(req, 404, "The resource could not be found.");
}
