/* Ports: MACs, fixed IPs (through IPAM), bindings, security groups,
 * allowed address pairs; and the DHCP port the service keeps per network. */
#include "network/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const nb_net_port_keys[] = {
    "name", "description", "network_id", "admin_state_up", "mac_address",
    "fixed_ips", "device_id", "device_owner", "binding:host_id", "binding:profile",
    "binding:vnic_type", "security_groups", "port_security_enabled",
    "allowed_address_pairs", "tenant_id", "project_id", "tags", "id", NULL};

static bool nb_net_mac_valid(const char *m)
{
    unsigned b[6];
    char tail;
    if (!m || strlen(m) != 17 ||
        sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (m[i * 3 + 2] != ':' && i < 5)
            return false;
    return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]);
}

/* Claims a MAC on the network: the given one (409 when taken) or a new
 * fa:16:3e one.  *mac gets a new string. */
static int nb_net_mac_claim(struct nb_ctx *ctx, struct nb_tx *tx, const char *net,
                            const char *port_id, const char *given, char **mac)
{
    for (int tries = 0; tries < 16; tries++) {
        unsigned char b[3];
        char buf[18];
        int changes = 0, r;
        if (given) {
            snprintf(buf, sizeof(buf), "%s", given);
            for (char *p = buf; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        } else {
            nb_random_bytes(b, sizeof(b));
            snprintf(buf, sizeof(buf), "fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2]);
        }
        r = nb_tx_exec(tx, &changes, "INSERT INTO net_macs (network_id, mac, port_id)"
                       " VALUES (?, ?, ?) ON CONFLICT (network_id, mac) DO NOTHING",
                       "sss", net, buf, port_id);
        if (r < 0)
            return r;
        if (changes == 1) {
            *mac = nb_xstrdup(buf);
            return 0;
        }
        if (given)
            return nb_net_err(ctx, 409, "MacAddressInUse", "Unable to complete "
                              "operation for network %s. The mac address %s is in "
                              "use.", net, buf);
    }
    return nb_net_err(ctx, 503, "MacAddressGenerationFailure", "Unable to generate "
                      "unique mac on network %s.", net);
}

/* Validates security_groups (ids of groups of 'project') and records the
 * memberships of the port. */
static int nb_net_port_groups(struct nb_ctx *ctx, struct nb_tx *tx, const char *port_id,
                              const char *project, const json_t *groups)
{
    size_t i;
    json_t *g;
    int r = nb_tx_exec(tx, NULL, "DELETE FROM net_port_sgs WHERE port_id = ?", "s",
                       port_id);
    if (r == 0 && !json_is_array(groups))
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for security_groups. "
                       "Reason: not a list.");
    json_array_foreach(groups, i, g) {
        json_t *sg = NULL;
        if (r < 0)
            break;
        if (!json_is_string(g))
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for "
                              "security_groups.");
        r = nb_net_load_raw(tx, &nb_net_secgroups, json_string_value(g), &sg);
        if (r == -ENOENT || (r == 0 && strcmp(nb_json_str(sg, "project_id"), project) &&
                             !json_is_true(json_object_get(sg, "shared"))))
            r = nb_net_err(ctx, 404, "SecurityGroupNotFound", "Security group %s does "
                           "not exist", json_string_value(g));
        json_decref(sg);
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO net_port_sgs (port_id, sg_id) VALUES"
                           " (?, ?) ON CONFLICT (port_id, sg_id) DO NOTHING", "ss",
                           port_id, json_string_value(g));
    }
    return r;
}

static int nb_net_pairs(struct nb_ctx *ctx, const json_t *pairs, const char *mac,
                        json_t **out)
{
    json_t *res = json_array(), *p;
    size_t i, j;
    if (!json_is_array(pairs)) {
        json_decref(res);
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for "
                          "allowed_address_pairs. Reason: not a list.");
    }
    json_array_foreach(pairs, i, p) {
        const char *ip = nb_json_str(p, "ip_address"), *m = nb_json_str(p, "mac_address");
        nb_ip_t a;
        int v, pre;
        json_t *q;
        if (!ip || (nb_ip_parse(ip, &v, &a) < 0 &&
                    nb_cidr_parse(ip, false, &v, &a, &pre) < 0) ||
            (json_object_get(p, "mac_address") && !nb_net_mac_valid(m))) {
            json_decref(res);
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for "
                              "allowed_address_pairs.");
        }
        json_t *e = json_pack("{s:s,s:s}", "ip_address", ip, "mac_address", m ? m : mac);
        json_array_foreach(res, j, q)
            if (json_equal(q, e)) {
                json_decref(e);
                json_decref(res);
                return nb_net_err(ctx, 400, "DuplicateAddressPairInRequest", "Request "
                                  "contains duplicate address pair: mac_address %s "
                                  "ip_address %s.", m ? m : mac, ip);
            }
        json_array_append_new(res, e);
    }
    *out = res;
    return 0;
}

/* Whether the caller may set binding attributes (admin only). */
static int nb_net_port_admin_attrs(struct nb_ctx *ctx, const json_t *in)
{
    if ((json_object_get(in, "binding:host_id") || json_object_get(in, "binding:profile"))
        && !nb_net_is_admin(ctx))
        return nb_net_err(ctx, 403, "HTTPForbidden", "(rule:create_port:binding:"
                          "host_id) is disallowed by policy");
    if (json_object_get(in, "binding:profile") &&
        !json_is_object(json_object_get(in, "binding:profile")))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for "
                          "binding:profile.");
    return 0;
}

static void nb_net_port_binding(json_t *doc)
{
    const char *host = nb_json_str(doc, "binding:host_id");
    bool bound = host && *host;
    json_object_set_new(doc, "binding:vif_type", json_string(bound ? "bridge" : "unbound"));
    json_object_set_new(doc, "binding:vif_details", bound
                        ? json_pack("{s:b}", "port_filter", 1) : json_object());
    json_object_set_new(doc, "status", json_string(
                            bound && json_is_true(json_object_get(doc, "admin_state_up"))
                                ? "ACTIVE" : "DOWN"));
}

/* Applies the security attributes of 'in' to 'doc' (create or update):
 * port_security_enabled, security_groups, allowed_address_pairs. */
static int nb_net_port_security(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                                const json_t *in, bool create)
{
    const char *id = nb_json_str(doc, "id"), *project = nb_json_str(doc, "project_id");
    const json_t *groups = json_object_get(in, "security_groups");
    const json_t *pairs = json_object_get(in, "allowed_address_pairs");
    const char *owner = nb_json_str(doc, "device_owner");
    json_t *newpairs = NULL;
    bool secure;
    char *def = NULL;
    int r = 0;
    if (json_object_get(in, "port_security_enabled"))
        json_object_set(doc, "port_security_enabled",
                        json_object_get(in, "port_security_enabled"));
    secure = json_is_true(json_object_get(doc, "port_security_enabled"));
    if (groups && json_is_null(groups))
        groups = NULL;
    if (create && !groups && secure && strncmp(owner, "network:", 8)) {
        r = nb_net_default_sg(ctx, tx, project, &def);
        if (r < 0)
            return r;
        json_object_set_new(doc, "security_groups", json_pack("[s]", def));
        free(def);
    } else if (groups) {
        json_object_set(doc, "security_groups", (json_t *)groups);
    } else if (create) {
        json_object_set_new(doc, "security_groups", json_array());
    }
    if (!secure && json_array_size(json_object_get(doc, "security_groups")))
        return groups ? nb_net_err(ctx, 400, "PortSecurityAndIPRequiredForSecurityGroups",
                                   "Port security must be enabled and port must "
                                   "have an IP address in order to use security "
                                   "groups.")
                      : nb_net_err(ctx, 409, "PortSecurityPortHasSecurityGroup",
                                   "Port has security group associated. Cannot "
                                   "disable port security or IP address until "
                                   "security group is removed.");
    if (groups || create)
        r = nb_net_port_groups(ctx, tx, id, project,
                               json_object_get(doc, "security_groups"));
    if (r == 0 && pairs && !json_is_null(pairs)) {
        r = nb_net_pairs(ctx, pairs, nb_json_str(doc, "mac_address"), &newpairs);
        if (r == 0)
            json_object_set_new(doc, "allowed_address_pairs", newpairs);
    }
    if (r == 0 && !secure && json_array_size(json_object_get(doc,
                                                             "allowed_address_pairs")))
        r = nb_net_err(ctx, 409, "AddressPairAndPortSecurityRequired", "Port "
                       "Security must be enabled in order to have allowed address "
                       "pairs on a port.");
    return r;
}

static int nb_net_port_check(struct nb_ctx *ctx, const json_t *in)
{
    static const char *const strs[] = {"name", "description", "device_id",
                                       "device_owner", "binding:host_id",
                                       "binding:vnic_type"};
    const char *mac = nb_json_str(in, "mac_address");
    int r = nb_net_check_known(ctx, in, nb_net_port_keys);
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(strs); i++)
        r = nb_net_check_str(ctx, in, strs[i], 255);
    if (r == 0)
        r = nb_net_check_bool(ctx, in, "admin_state_up");
    if (r == 0)
        r = nb_net_check_bool(ctx, in, "port_security_enabled");
    if (r == 0 && json_object_get(in, "mac_address") && !nb_net_mac_valid(mac)) {
        char *repr = nb_json_repr(json_object_get(in, "mac_address"));
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for mac_address. "
                       "Reason: '%s' is not a valid MAC address.", repr);
        free(repr);
    }
    if (r == 0)
        r = nb_net_port_admin_attrs(ctx, in);
    return r;
}

/* Creates a port; 'in' is validated here.  *out gets the new doc. */
static int nb_net_port_make(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                            const char *project, bool quota, json_t **out)
{
    const char *net_id = nb_json_str(in, "network_id");
    json_t *net = NULL, *fixed = NULL, *doc = NULL;
    char *mac = NULL;
    int r = nb_net_port_check(ctx, in);
    if (r == 0 && !net_id)
        r = nb_net_err(ctx, 400, "HTTPBadRequest", "Failed to parse request. "
                       "Required attribute 'network_id' not specified");
    if (r == 0)
        r = nb_net_load(ctx, tx, &nb_net_networks, net_id, &net);
    if (r == 0 && quota)
        r = nb_net_quota_check(ctx, tx, &nb_net_ports, "port", project);
    if (r < 0)
        goto out;
    doc = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:o,s:s,s:[],s:[],s:[]}", "name", "",
                    "network_id", net_id, "admin_state_up", 1, "device_id", "",
                    "device_owner", "", "binding:host_id", "", "binding:profile",
                    json_object(), "binding:vnic_type", "normal", "allowed_address_pairs",
                    "extra_dhcp_opts", "tags");
    json_object_set(doc, "port_security_enabled",
                    json_object_get(net, "port_security_enabled"));
    if (nb_json_str(in, "id"))
        json_object_set(doc, "id", json_object_get(in, "id"));
    nb_net_std_new(doc, project);
    for (const char *const *k = (const char *const[]){
             "name", "description", "admin_state_up", "device_id", "device_owner",
             "binding:host_id", "binding:profile", "binding:vnic_type", NULL}; *k; k++)
        if (json_object_get(in, *k))
            json_object_set(doc, *k, json_object_get(in, *k));
    r = nb_net_mac_claim(ctx, tx, net_id, nb_json_str(doc, "id"),
                         nb_json_str(in, "mac_address"), &mac);
    if (r < 0)
        goto out;
    json_object_set_new(doc, "mac_address", json_string(mac));
    r = nb_ipam_allocate(ctx, tx, net_id, nb_json_str(doc, "id"),
                         json_object_get(in, "fixed_ips"), &fixed);
    if (r < 0)
        goto out;
    json_object_set_new(doc, "fixed_ips", fixed);
    r = nb_net_port_security(ctx, tx, doc, in, true);
    if (r < 0)
        goto out;
    nb_net_port_binding(doc);
    r = nb_net_store(tx, &nb_net_ports, doc, net_id, false);
    if (r == 0) {
        *out = doc;
        doc = NULL;
    }
out:
    free(mac);
    json_decref(net);
    json_decref(doc);
    return r;
}

static int nb_net_port_create(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                              json_t **out)
{
    const char *project;
    int r = nb_net_project_of(ctx, in, &project);
    return r < 0 ? r : nb_net_port_make(ctx, tx, in, project, true, out);
}

/* New fixed IPs for an update: entries naming only a subnet keep the
 * port's current address there. */
static int nb_net_port_refix(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                             const json_t *want)
{
    json_t *req, *old = json_object_get(doc, "fixed_ips"), *fixed = NULL, *e, *o;
    size_t i, j;
    int r;
    if (!json_is_array(want))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for fixed_ips. "
                          "Reason: not a list.");
    req = json_deep_copy(want);
    json_array_foreach(req, i, e) {
        const char *sid = nb_json_str(e, "subnet_id");
        if (!json_is_object(e) || !sid || nb_json_str(e, "ip_address"))
            continue;
        json_array_foreach(old, j, o)
            if (!strcmp(nb_json_str(o, "subnet_id"), sid)) {
                json_object_set(e, "ip_address", json_object_get(o, "ip_address"));
                break;
            }
    }
    r = nb_ipam_release_port(tx, nb_json_str(doc, "id"));
    if (r == 0)
        r = nb_ipam_allocate(ctx, tx, nb_json_str(doc, "network_id"),
                             nb_json_str(doc, "id"), req, &fixed);
    if (r == 0)
        json_object_set_new(doc, "fixed_ips", fixed);
    json_decref(req);
    return r;
}

static int nb_net_port_update(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                              const json_t *in)
{
    static const char *const fixed[] = {"network_id", "tenant_id", "project_id"};
    int r = nb_net_port_check(ctx, in);
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(fixed); i++)
        if (json_object_get(in, fixed[i]))
            r = nb_net_err(ctx, 400, "HTTPBadRequest", "Cannot update read-only "
                           "attribute %s", fixed[i]);
    if (r == 0 && json_object_get(in, "mac_address")) {
        char *mac = NULL;
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_macs WHERE port_id = ?", "s",
                       nb_json_str(doc, "id"));
        if (r == 0)
            r = nb_net_mac_claim(ctx, tx, nb_json_str(doc, "network_id"),
                                 nb_json_str(doc, "id"), nb_json_str(in, "mac_address"),
                                 &mac);
        if (r == 0)
            json_object_set_new(doc, "mac_address", json_string(mac));
        free(mac);
    }
    if (r == 0 && json_object_get(in, "fixed_ips"))
        r = nb_net_port_refix(ctx, tx, doc, json_object_get(in, "fixed_ips"));
    if (r < 0)
        return r;
    for (const char *const *k = (const char *const[]){
             "name", "description", "admin_state_up", "device_id", "device_owner",
             "binding:host_id", "binding:profile", "binding:vnic_type", NULL}; *k; k++)
        if (json_object_get(in, *k))
            json_object_set(doc, *k, json_object_get(in, *k));
    r = nb_net_port_security(ctx, tx, doc, in, false);
    if (r == 0)
        nb_net_port_binding(doc);
    return r;
}

int nb_net_port_delete_doc(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *port)
{
    const char *id = nb_json_str(port, "id");
    int r = nb_ipam_release_port(tx, id);
    (void)ctx;
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_macs WHERE port_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_port_sgs WHERE port_id = ?", "s", id);
    if (r == 0)
        r = nb_net_remove(tx, &nb_net_ports, id);
    return r;
}

static int nb_net_port_remove(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc)
{
    return nb_net_port_delete_doc(ctx, tx, doc);
}

const struct nb_net_ops nb_net_port_ops = {
    &nb_net_ports, "create_port", "get_port", "update_port", "delete_port",
    nb_net_port_create, nb_net_port_update, nb_net_port_remove, true};

/* ---- the DHCP port */

/* Gives the DHCP port one address on each subnet of 'want' (ids) and
 * none elsewhere; an exhausted subnet is skipped, as Neutron's agent
 * leaves it without DHCP. */
static int nb_net_dhcp_port_ips(struct nb_tx *tx, json_t *dhcp, const json_t *want)
{
    json_t *fixed = json_array(), *e, *w;
    size_t i, j;
    int r = 0;
    json_array_foreach(json_object_get(dhcp, "fixed_ips"), i, e) {
        bool keep = false;
        json_array_foreach(want, j, w)
            keep = keep || !strcmp(json_string_value(w), nb_json_str(e, "subnet_id"));
        if (keep)
            json_array_append(fixed, e);
        else if (r == 0)
            r = nb_tx_exec(tx, NULL, "DELETE FROM net_ipallocs WHERE subnet_id = ?"
                           " AND ip = ?", "ss", nb_json_str(e, "subnet_id"),
                           nb_json_str(e, "ip_address"));
    }
    json_array_foreach(want, j, w) {
        bool have = false;
        json_t *req, *got = NULL;
        struct nb_ctx scratch = {0};
        json_array_foreach(fixed, i, e)
            have = have || !strcmp(json_string_value(w), nb_json_str(e, "subnet_id"));
        if (have || r < 0)
            continue;
        req = json_pack("[{s:O}]", "subnet_id", w);
        r = nb_ipam_allocate(&scratch, tx, nb_json_str(dhcp, "network_id"),
                             nb_json_str(dhcp, "id"), req, &got);
        json_decref(req);
        if (r == 0)
            json_array_extend(fixed, got);
        json_decref(got);
        if (r == -EEXIST)
            r = 0;
    }
    json_object_set_new(dhcp, "fixed_ips", fixed);
    return r;
}

int nb_net_dhcp_port_sync(struct nb_ctx *ctx, struct nb_tx *tx, const char *network_id)
{
    json_t *subnets = NULL, *ports = NULL, *net = NULL, *want = json_array(), *sn, *p;
    json_t *dhcp = NULL, *made = NULL;
    char *device = nb_xasprintf("dhcp%s-%s", nb_net_host(), network_id);
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_subnets, network_id, &subnets);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_ports, network_id, &ports);
    if (r == 0)
        r = nb_net_load_raw(tx, &nb_net_networks, network_id, &net);
    if (r < 0)
        goto out;
    json_array_foreach(ports, i, p)
        if (!strcmp(nb_json_str(p, "device_owner"), "network:dhcp") &&
            !strcmp(nb_json_str(p, "device_id"), device))
            dhcp = p;
    json_array_foreach(subnets, i, sn)
        if (json_is_true(json_object_get(sn, "enable_dhcp")))
            json_array_append(want, json_object_get(sn, "id"));
    if (!json_array_size(want)) {
        if (dhcp)
            r = nb_net_port_delete_doc(ctx, tx, dhcp);
        goto out;
    }
    if (!dhcp) {
        json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:[],s:b}", "network_id", network_id,
                               "device_owner", "network:dhcp", "device_id", device,
                               "binding:host_id", nb_net_host(), "fixed_ips",
                               "port_security_enabled", 0);
        struct nb_ctx admin = {0};
        admin.caller = ctx->caller;
        admin.caller.nroles = 1;
        snprintf(admin.caller.roles[0].name, sizeof(admin.caller.roles[0].name), "admin");
        r = nb_net_port_make(&admin, tx, in, nb_json_str(net, "project_id"), false, &made);
        json_decref(in);
        if (r < 0) {
            nb_err_set(ctx, admin.err_status ? admin.err_status : 500, "%s",
                       admin.err_msg);
            goto out;
        }
        dhcp = made;
    }
    r = nb_net_dhcp_port_ips(tx, dhcp, want);
    if (r == 0) {
        nb_net_std_touch(dhcp);
        r = nb_net_save(tx, &nb_net_ports, dhcp);
    }
out:
    free(device);
    json_decref(made);
    json_decref(want);
    json_decref(subnets);
    json_decref(ports);
    json_decref(net);
    return r;
}
