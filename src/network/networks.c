/* Networks and subnets: validation, provider attributes, CIDRs, pools,
 * gateways, and the DHCP port that follows a network's DHCP subnets. */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- networks */

static const char *const nb_net_network_keys[] = {
    "name", "description", "admin_state_up", "shared", "router:external", "mtu",
    "port_security_enabled", "provider:network_type", "provider:physical_network",
    "provider:segmentation_id", "tenant_id", "project_id", "availability_zone_hints",
    "tags", "id", NULL};

static int nb_net_network_check(struct nb_ctx *ctx, const json_t *in, bool create)
{
    static const char *const bools[] = {"admin_state_up", "shared", "router:external",
                                        "port_security_enabled"};
    const json_t *mtu = json_object_get(in, "mtu");
    int r = nb_net_check_known(ctx, in, nb_net_network_keys);
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(bools); i++)
        r = nb_net_check_bool(ctx, in, bools[i]);
    if (r == 0)
        r = nb_net_check_str(ctx, in, "name", 255);
    if (r == 0)
        r = nb_net_check_str(ctx, in, "description", 255);
    if (r < 0)
        return r;
    if (mtu && (!json_is_integer(mtu) || json_integer_value(mtu) < 68 ||
                json_integer_value(mtu) > 9000))
        return nb_net_err(ctx, 400, "InvalidInput",
                          "Invalid input for mtu. Reason: MTU must be an "
                          "integer between 68 and 9000.");
    if ((json_is_true(json_object_get(in, "shared")) ||
         json_object_get(in, "router:external") ||
         (!create && json_object_get(in, "shared"))) && !nb_net_is_admin(ctx))
        return nb_net_err(ctx, 403, "HTTPForbidden",
                          "(rule:%s_network:shared) is disallowed by policy",
                          create ? "create" : "update");
    if (!create && (json_object_get(in, "provider:network_type") ||
                    json_object_get(in, "provider:physical_network") ||
                    json_object_get(in, "provider:segmentation_id")))
        return nb_net_err(ctx, 400, "InvalidInput",
                          "Invalid input for operation: Plugin does not support "
                          "updating provider attributes.");
    return 0;
}

/* Provider attributes: admin only; validated and unique per host. */
static int nb_net_provider(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                           json_t *doc)
{
    const json_t *type = json_object_get(in, "provider:network_type");
    const json_t *phys = json_object_get(in, "provider:physical_network");
    const json_t *seg = json_object_get(in, "provider:segmentation_id");
    const char *t = type ? json_string_value(type) : "local";
    json_t *all = NULL, *n;
    json_int_t vni = -1;
    size_t i;
    int r;
    if ((type || phys || seg) && !nb_net_is_admin(ctx))
        return nb_net_err(ctx, 403, "HTTPForbidden",
                          "(rule:create_network:provider:network_type) is "
                          "disallowed by policy");
    if (!t || (strcmp(t, "local") && strcmp(t, "flat") && strcmp(t, "vxlan")))
        return nb_net_err(ctx, 400, "InvalidInput",
                          "Invalid input for operation: network_type value '%s' "
                          "not supported.", t ? t : "");
    if (phys && !json_is_null(phys) && (!json_is_string(phys) || strcmp(t, "flat")))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                          "physical_network not allowed for %s provider network.", t);
    if (!strcmp(t, "flat") && !json_is_string(phys))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                          "physical_network required for flat provider network.");
    if (seg && !json_is_null(seg)) {
        if (strcmp(t, "vxlan") || !json_is_integer(seg) ||
            json_integer_value(seg) < 1 || json_integer_value(seg) > 16777215)
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for "
                              "operation: segmentation_id out of range or not "
                              "allowed for %s provider network.", t);
        vni = json_integer_value(seg);
    }
    r = nb_net_load_all(tx, &nb_net_networks, NULL, &all);
    if (r < 0)
        return r;
    if (!strcmp(t, "vxlan") && vni < 0) {       /* the lowest free VNI */
        for (vni = 1;; vni++) {
            bool used = false;
            json_array_foreach(all, i, n)
                used = used || json_integer_value(json_object_get(
                                   n, "provider:segmentation_id")) == vni;
            if (!used)
                break;
        }
    }
    json_array_foreach(all, i, n) {
        const char *nt = nb_json_str(n, "provider:network_type");
        if (nt && !strcmp(nt, "vxlan") && vni >= 0 && seg &&
            json_integer_value(json_object_get(n, "provider:segmentation_id")) == vni)
            r = nb_net_err(ctx, 409, "TunnelIdInUse", "Unable to create the network. "
                           "The tunnel ID %lld is in use.", (long long)vni);
        if (nt && !strcmp(nt, "flat") && !strcmp(t, "flat") &&
            !strcmp(nb_json_str(n, "provider:physical_network"), json_string_value(phys)))
            r = nb_net_err(ctx, 409, "FlatNetworkInUse", "Unable to create the flat "
                           "network. Physical network %s is in use.",
                           json_string_value(phys));
    }
    json_decref(all);
    if (r < 0)
        return r;
    json_object_set_new(doc, "provider:network_type", json_string(t));
    json_object_set_new(doc, "provider:physical_network",
                        json_is_string(phys) ? json_incref((json_t *)phys) : json_null());
    json_object_set_new(doc, "provider:segmentation_id",
                        vni >= 0 ? json_integer(vni) : json_null());
    json_object_set_new(doc, "mtu", json_integer(!strcmp(t, "vxlan") ? 1450 : 1500));
    return 0;
}

/* Copies the given mutable attributes of 'in' into 'doc'. */
static void nb_net_copy(json_t *doc, const json_t *in, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        if (json_object_get(in, keys[i]))
            json_object_set(doc, keys[i], json_object_get(in, keys[i]));
}

static const char *const nb_net_network_mutable[] = {
    "name", "description", "admin_state_up", "shared", "router:external",
    "port_security_enabled", "mtu", NULL};

static int nb_net_network_create(struct nb_ctx *ctx, struct nb_tx *tx,
                                 const json_t *in, json_t **out)
{
    const char *project;
    char *sg = NULL;
    json_t *doc = NULL;
    int r = nb_net_network_check(ctx, in, true);
    if (r == 0)
        r = nb_net_project_of(ctx, in, &project);
    if (r == 0)
        r = nb_net_quota_check(ctx, tx, &nb_net_networks, "network", project);
    if (r < 0)
        return r;
    doc = json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:[],s:[],s:[],s:n,s:n,s:b,s:b}",
                    "name", "", "status", "ACTIVE", "admin_state_up", 1, "shared", 0,
                    "router:external", 0, "port_security_enabled", 1, "subnets",
                    "availability_zone_hints", "availability_zones",
                    "ipv4_address_scope", "ipv6_address_scope", "l2_adjacency", 1,
                    "is_default", 0);
    r = nb_net_provider(ctx, tx, in, doc);
    if (r < 0)
        goto out;
    nb_net_copy(doc, in, nb_net_network_mutable);
    nb_net_std_new(doc, project);
    r = nb_net_default_sg(ctx, tx, project, &sg);
    if (r == 0)
        r = nb_net_store(tx, &nb_net_networks, doc, NULL, nb_net_public(doc));
    if (r == 0) {
        *out = doc;
        doc = NULL;
    }
out:
    free(sg);
    json_decref(doc);
    return r;
}

static int nb_net_network_update(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                                 const json_t *in)
{
    int r = nb_net_network_check(ctx, in, false);
    if (r == 0 && json_object_get(in, "mtu") &&
        json_integer_value(json_object_get(in, "mtu")) >
            json_integer_value(json_object_get(doc, "mtu")) &&
        !strcmp(nb_json_str(doc, "provider:network_type"), "vxlan") &&
        json_integer_value(json_object_get(in, "mtu")) > 1450)
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                       "Requested MTU is too big, maximum is 1450.");
    if (r == 0)
        nb_net_copy(doc, in, nb_net_network_mutable);
    /* the subnets of a shared network are seen by everyone too */
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE net_subnets SET flag = ? WHERE parent = ?", "bs",
                       nb_net_public(doc), nb_json_str(doc, "id"));
    return r;
}

static int nb_net_network_remove(struct nb_ctx *ctx, struct nb_tx *tx,
                                 const json_t *doc)
{
    const char *id = nb_json_str(doc, "id");
    json_t *ports = NULL, *subnets = NULL, *p;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_ports, id, &ports);
    json_array_foreach(ports, i, p) {
        const char *owner = nb_json_str(p, "device_owner");
        if (r == 0 && (!owner || strcmp(owner, "network:dhcp")))
            r = nb_net_err(ctx, 409, "NetworkInUse", "Unable to complete operation "
                           "on network %s. There are one or more ports still in "
                           "use on the network.", id);
    }
    json_array_foreach(ports, i, p)
        if (r == 0)
            r = nb_net_port_delete_doc(ctx, tx, p);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_subnets, id, &subnets);
    json_array_foreach(subnets, i, p)
        if (r == 0)
            r = nb_net_remove(tx, &nb_net_subnets, nb_json_str(p, "id"));
    json_decref(ports);
    json_decref(subnets);
    return r;
}

const struct nb_net_ops nb_net_network_ops = {
    &nb_net_networks, "create_network", "get_network", "update_network",
    "delete_network", nb_net_network_create, nb_net_network_update,
    nb_net_network_remove, true};

/* ---- subnets */

static const char *const nb_net_subnet_keys[] = {
    "name", "description", "network_id", "ip_version", "cidr", "gateway_ip",
    "allocation_pools", "dns_nameservers", "host_routes", "enable_dhcp",
    "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "prefixlen",
    "use_default_subnetpool", "tenant_id", "project_id", "tags", "service_types",
    "segment_id", "dns_publish_fixed_ip", "id", NULL};

struct nb_subnet_geo {
    int version, prefix;
    nb_ip_t base, last;
};

static int nb_net_bad(struct nb_ctx *ctx, const char *field, const json_t *v,
                      const char *why)
{
    char *repr = v ? nb_json_repr(v) : nb_xstrdup("None");
    int r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for %s. Reason: "
                       "'%s' %s.", field, repr, why);
    free(repr);
    return r;
}

/* Parses one address of the subnet's version inside it (or anywhere when
 * 'inside' is false). */
static int nb_net_addr(struct nb_ctx *ctx, const struct nb_subnet_geo *g,
                       const char *field, const json_t *v, bool inside, nb_ip_t *out)
{
    int ver;
    if (!json_is_string(v) || nb_ip_parse(json_string_value(v), &ver, out) < 0)
        return nb_net_bad(ctx, field, v, "is not a valid IP address");
    if (ver != g->version)
        return nb_net_bad(ctx, field, v, "is not an address of the subnet's "
                          "IP version");
    if (inside && (*out < g->base || *out > g->last))
        return nb_net_bad(ctx, field, v, "is not in the subnet's CIDR");
    return 0;
}

/* Validates and normalises allocation_pools (or computes the default). */
static int nb_net_pools(struct nb_ctx *ctx, const struct nb_subnet_geo *g,
                        const json_t *given, const json_t *gw, json_t **out)
{
    json_t *pools = json_array(), *p;
    nb_ip_t s[64], e[64], gwip = 0;
    size_t i, n = 0;
    char a[48], b[48];
    int r = 0, v;
    bool has_gw = json_is_string(gw) &&
                  nb_ip_parse(json_string_value(gw), &v, &gwip) == 0;
    if (!given || json_is_null(given)) {
        nb_ip_t first = g->base + (g->version == 4 && g->prefix < 31 ? 1 : 0);
        nb_ip_t last = g->last - (g->version == 4 && g->prefix < 31 ? 1 : 0);
        if (g->version == 6)
            first = g->base + 1;
        /* the pool is the range around the gateway */
        if (has_gw && gwip >= first && gwip <= last) {
            if (gwip > first)
                s[n] = first, e[n++] = gwip - 1;
            if (gwip < last)
                s[n] = gwip + 1, e[n++] = last;
        } else if (first <= last) {
            s[n] = first, e[n++] = last;
        }
    } else if (!json_is_array(given) || json_array_size(given) > 64) {
        r = nb_net_bad(ctx, "allocation_pools", given, "is not a list of pools");
    } else {
        json_array_foreach(given, i, p) {
            if (r == 0 && (!json_is_object(p) || !json_object_get(p, "start") ||
                           !json_object_get(p, "end")))
                r = nb_net_bad(ctx, "allocation_pools", p, "is not a pool");
            if (r == 0)
                r = nb_net_addr(ctx, g, "allocation_pools", json_object_get(p, "start"),
                                false, &s[n]);
            if (r == 0)
                r = nb_net_addr(ctx, g, "allocation_pools", json_object_get(p, "end"),
                                false, &e[n]);
            if (r == 0 && s[n] > e[n])
                r = nb_net_err(ctx, 400, "InvalidAllocationPool", "The allocation "
                               "pool %s-%s is not valid.", nb_json_str(p, "start"),
                               nb_json_str(p, "end"));
            if (r == 0 && (s[n] < g->base || e[n] > g->last))
                r = nb_net_err(ctx, 400, "OutOfBoundsAllocationPool", "The "
                               "allocation pool %s-%s spans beyond the subnet cidr.",
                               nb_json_str(p, "start"), nb_json_str(p, "end"));
            if (r < 0)
                break;
            n++;
        }
        for (size_t x = 0; r == 0 && x < n; x++)
            for (size_t y = x + 1; r == 0 && y < n; y++)
                if (s[x] <= e[y] && s[y] <= e[x])
                    r = nb_net_err(ctx, 409, "OverlappingAllocationPools",
                                   "Found overlapping allocation pools.");
    }
    for (i = 0; r == 0 && i < n; i++) {
        if (has_gw && gwip >= s[i] && gwip <= e[i])
            r = nb_net_err(ctx, 409, "GatewayConflictWithAllocationPools",
                           "Gateway ip %s conflicts with allocation pool.",
                           json_string_value(gw));
        nb_ip_format(g->version, s[i], a);
        nb_ip_format(g->version, e[i], b);
        json_array_append_new(pools, json_pack("{s:s,s:s}", "start", a, "end", b));
    }
    if (r < 0) {
        json_decref(pools);
        return r;
    }
    *out = pools;
    return 0;
}

static int nb_net_dns_routes(struct nb_ctx *ctx, const struct nb_subnet_geo *g,
                             const json_t *in, json_t *doc)
{
    const json_t *dns = json_object_get(in, "dns_nameservers");
    const json_t *routes = json_object_get(in, "host_routes");
    size_t i, j;
    json_t *v, *w;
    nb_ip_t ip;
    int ver, pre, r = 0;
    if (dns && !json_is_null(dns)) {
        if (!json_is_array(dns))
            return nb_net_bad(ctx, "dns_nameservers", dns, "is not a list");
        json_array_foreach(dns, i, v) {
            if (!json_is_string(v) || nb_ip_parse(json_string_value(v), &ver, &ip) < 0)
                return nb_net_bad(ctx, "dns_nameservers", v, "is not a valid "
                                  "nameserver");
            json_array_foreach(dns, j, w)
                if (j < i && json_equal(v, w))
                    return nb_net_bad(ctx, "dns_nameservers", v, "is a duplicate "
                                      "nameserver");
        }
        json_object_set_new(doc, "dns_nameservers", json_deep_copy(dns));
    }
    if (routes && !json_is_null(routes)) {
        if (!json_is_array(routes))
            return nb_net_bad(ctx, "host_routes", routes, "is not a list");
        json_array_foreach(routes, i, v) {
            nb_ip_t base;
            if (!json_is_object(v) ||
                nb_cidr_parse(nb_json_str(v, "destination"), false, &ver, &base,
                              &pre) < 0 || ver != g->version ||
                nb_net_addr(ctx, g, "host_routes", json_object_get(v, "nexthop"),
                            false, &ip) < 0)
                return nb_net_bad(ctx, "host_routes", v, "is not a valid host route");
        }
        json_object_set_new(doc, "host_routes", json_deep_copy(routes));
    }
    return r;
}

/* Picks a free CIDR of 'prefixlen' from the pool's prefixes. */
static int nb_net_pool_alloc(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *pool,
                             long prefixlen, char **cidr)
{
    json_t *subnets = NULL, *pfx, *sn;
    size_t i, j;
    int r = nb_net_load_all(tx, &nb_net_subnets, NULL, &subnets);
    json_array_foreach(json_object_get(pool, "prefixes"), i, pfx) {
        struct nb_subnet_geo p;
        if (r < 0 || nb_cidr_parse(json_string_value(pfx), false, &p.version, &p.base,
                                   &p.prefix) < 0 || prefixlen < p.prefix)
            continue;
        nb_ip_t step = (nb_ip_t)1 << ((p.version == 4 ? 32 : 128) - prefixlen);
        nb_ip_t last = nb_cidr_last(p.version, p.base, p.prefix);
        for (nb_ip_t c = p.base; c <= last && c >= p.base; c += step) {
            nb_ip_t cl = c + step - 1;
            bool used = false;
            json_array_foreach(subnets, j, sn) {
                struct nb_subnet_geo s;
                const char *sp = nb_json_str(sn, "subnetpool_id");
                if (!sp || strcmp(sp, nb_json_str(pool, "id")) ||
                    nb_cidr_parse(nb_json_str(sn, "cidr"), false, &s.version, &s.base,
                                  &s.prefix) < 0)
                    continue;
                s.last = nb_cidr_last(s.version, s.base, s.prefix);
                used = used || (c <= s.last && s.base <= cl);
            }
            if (!used) {
                char a[48];
                nb_ip_format(p.version, c, a);
                *cidr = nb_xasprintf("%s/%ld", a, prefixlen);
                json_decref(subnets);
                return 0;
            }
        }
    }
    json_decref(subnets);
    return r < 0 ? r : nb_net_err(ctx, 409, "SubnetAllocationError", "Failed to "
                                  "allocate subnet: Insufficient prefix space to "
                                  "allocate subnet size /%ld.", prefixlen);
}

/* The subnet's CIDR: given, or allocated from its subnet pool. */
static int nb_net_subnet_cidr(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                              json_t *doc, char **cidr)
{
    const json_t *pool_id = json_object_get(in, "subnetpool_id");
    const json_t *plen = json_object_get(in, "prefixlen");
    const json_t *cidr_v = json_object_get(in, "cidr");
    json_t *pool = NULL, *pools = NULL, *p;
    long ver = json_integer_value(json_object_get(in, "ip_version"));
    size_t i;
    int r = 0;
    if (json_is_true(json_object_get(in, "use_default_subnetpool")) &&
        (!pool_id || json_is_null(pool_id))) {
        r = nb_net_load_all(tx, &nb_net_subnetpools, NULL, &pools);
        json_array_foreach(pools, i, p)
            if (json_is_true(json_object_get(p, "is_default")) &&
                json_integer_value(json_object_get(p, "ip_version")) == ver)
                pool_id = json_object_get(p, "id");
        if (r == 0 && !pool_id)
            r = nb_net_err(ctx, 400, "BadRequest", "No default subnetpool found "
                           "for IPv%ld", ver);
    }
    if (r == 0 && json_is_string(pool_id)) {
        r = nb_net_load(ctx, tx, &nb_net_subnetpools, json_string_value(pool_id), &pool);
        if (r == 0 && json_integer_value(json_object_get(pool, "ip_version")) != ver)
            r = nb_net_err(ctx, 400, "BadRequest", "Cannot allocate IPv%ld subnet "
                           "from IPv%lld subnet pool", ver, (long long)json_integer_value(
                               json_object_get(pool, "ip_version")));
        if (r == 0 && json_is_string(cidr_v))
            *cidr = nb_xstrdup(json_string_value(cidr_v));
        else if (r == 0)
            r = nb_net_pool_alloc(ctx, tx, pool, plen && json_is_integer(plen)
                                  ? (long)json_integer_value(plen)
                                  : (long)json_integer_value(json_object_get(
                                        pool, "default_prefixlen")), cidr);
        if (r == 0)
            json_object_set(doc, "subnetpool_id", json_object_get(pool, "id"));
    } else if (r == 0 && !json_is_string(cidr_v)) {
        r = nb_net_bad(ctx, "cidr", cidr_v, "is not a valid IP subnet");
    } else if (r == 0) {
        *cidr = nb_xstrdup(json_string_value(cidr_v));
    }
    json_decref(pool);
    json_decref(pools);
    return r;
}

/* Refuses a CIDR overlapping another subnet of the network. */
static int nb_net_subnet_overlap(struct nb_ctx *ctx, struct nb_tx *tx,
                                 const struct nb_subnet_geo *g, const char *net,
                                 const char *cidr)
{
    json_t *subnets = NULL, *sn;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_subnets, net, &subnets);
    json_array_foreach(subnets, i, sn) {
        struct nb_subnet_geo s;
        if (r < 0 || nb_cidr_parse(nb_json_str(sn, "cidr"), false, &s.version,
                                   &s.base, &s.prefix) < 0 || s.version != g->version)
            continue;
        s.last = nb_cidr_last(s.version, s.base, s.prefix);
        if (s.base <= g->last && g->base <= s.last)
            r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                           "Requested subnet with cidr: %s for network: %s "
                           "overlaps with another subnet.", cidr, net);
    }
    json_decref(subnets);
    return r;
}

/* Validates gateway_ip against the subnet; stores it (or null). */
static int nb_net_gateway(struct nb_ctx *ctx, const struct nb_subnet_geo *g,
                          const json_t *gw, json_t *doc)
{
    nb_ip_t ip;
    char a[48];
    int r;
    if (json_is_null(gw)) {
        json_object_set_new(doc, "gateway_ip", json_null());
        return 0;
    }
    if (!gw) {
        nb_ip_format(g->version, g->base + 1, a);
        json_object_set_new(doc, "gateway_ip", json_string(a));
        return 0;
    }
    r = nb_net_addr(ctx, g, "gateway_ip", gw, false, &ip);
    if (r == 0 && g->version == 4 && g->prefix < 31 && (ip == g->base || ip == g->last))
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                       "Gateway is not valid on subnet.");
    if (r == 0)
        json_object_set(doc, "gateway_ip", (json_t *)gw);
    return r;
}

static const char *const nb_net_v6_modes[] = {"slaac", "dhcpv6-stateful",
                                              "dhcpv6-stateless", NULL};

static int nb_net_subnet_check(struct nb_ctx *ctx, const json_t *in)
{
    int r = nb_net_check_known(ctx, in, nb_net_subnet_keys);
    static const char *const modes[] = {"ipv6_ra_mode", "ipv6_address_mode"};
    if (r == 0)
        r = nb_net_check_bool(ctx, in, "enable_dhcp");
    if (r == 0)
        r = nb_net_check_str(ctx, in, "name", 255);
    if (r == 0)
        r = nb_net_check_str(ctx, in, "description", 255);
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(modes); i++) {
        const json_t *m = json_object_get(in, modes[i]);
        size_t j;
        if (!m || json_is_null(m))
            continue;
        for (j = 0; json_is_string(m) && nb_net_v6_modes[j] &&
                    strcmp(nb_net_v6_modes[j], json_string_value(m)); j++)
            ;
        if (!json_is_string(m) || !nb_net_v6_modes[j])
            r = nb_net_bad(ctx, modes[i], m, "is not in the valid values");
    }
    return r;
}

/* Adds or removes 'subnet_id' in the network's "subnets" list. */
static int nb_net_network_link(struct nb_tx *tx, const char *net, const char *subnet,
                               bool add)
{
    json_t *doc = NULL, *list, *v;
    size_t i;
    int r = nb_net_load_raw(tx, &nb_net_networks, net, &doc);
    if (r < 0)
        return r;
    list = json_object_get(doc, "subnets");
    json_array_foreach(list, i, v)
        if (!strcmp(json_string_value(v), subnet)) {
            json_array_remove(list, i);
            break;
        }
    if (add)
        json_array_append_new(list, json_string(subnet));
    nb_net_std_touch(doc);
    r = nb_net_save(tx, &nb_net_networks, doc);
    json_decref(doc);
    return r;
}

static int nb_net_subnet_create(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                                json_t **out)
{
    const json_t *ver = json_object_get(in, "ip_version");
    const char *project, *net_id = nb_json_str(in, "network_id");
    struct nb_subnet_geo g;
    json_t *net = NULL, *pools = NULL, *target = NULL;
    json_t *doc = json_pack("{s:s,s:b,s:[],s:[],s:n,s:n,s:n,s:[],s:n}", "name", "",
                            "enable_dhcp", 1, "dns_nameservers", "host_routes",
                            "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id",
                            "service_types", "segment_id");
    char *cidr = NULL;
    int r = nb_net_subnet_check(ctx, in);
    if (r == 0 && !net_id)
        r = nb_net_bad(ctx, "network_id", json_object_get(in, "network_id"),
                       "is not a valid network id");
    if (r == 0 && (!json_is_integer(ver) || (json_integer_value(ver) != 4 &&
                                             json_integer_value(ver) != 6)))
        r = nb_net_bad(ctx, "ip_version", ver, "is not in [4, 6]");
    if (r == 0)
        r = nb_net_project_of(ctx, in, &project);
    if (r == 0)
        r = nb_net_load(ctx, tx, &nb_net_networks, net_id, &net);
    if (r == 0 && strcmp(nb_json_str(net, "project_id"), project) &&
        !nb_net_is_admin(ctx))
        r = nb_net_err(ctx, 403, "HTTPForbidden", "(rule:create_subnet) is "
                       "disallowed by policy");
    if (r == 0)
        r = nb_net_quota_check(ctx, tx, &nb_net_subnets, "subnet", project);
    if (r == 0)
        r = nb_net_subnet_cidr(ctx, tx, in, doc, &cidr);
    if (r == 0 && (nb_cidr_parse(cidr, false, &g.version, &g.base, &g.prefix) < 0 ||
                   g.version != json_integer_value(ver)))
        r = nb_net_bad(ctx, "cidr", json_object_get(in, "cidr"),
                       "is not a valid IP subnet");
    if (r == 0 && nb_cidr_parse(cidr, true, &g.version, &g.base, &g.prefix) < 0)
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for cidr. Reason: "
                       "'%s' isn't a recommended CIDR.", cidr);
    if (r == 0 && ((g.version == 4 && g.prefix > 30) || g.prefix == 0))
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                       "Subnet prefix length %d is not allowed.", g.prefix);
    if (r < 0)
        goto out;
    g.last = nb_cidr_last(g.version, g.base, g.prefix);
    r = nb_net_subnet_overlap(ctx, tx, &g, net_id, cidr);
    if (r == 0)
        r = nb_net_gateway(ctx, &g, json_object_get(in, "gateway_ip"), doc);
    if (r == 0)
        r = nb_net_pools(ctx, &g, json_object_get(in, "allocation_pools"),
                         json_object_get(doc, "gateway_ip"), &pools);
    if (r == 0)
        r = nb_net_dns_routes(ctx, &g, in, doc);
    if (r < 0)
        goto out;
    nb_net_copy(doc, in, (const char *const[]){"name", "description", "enable_dhcp",
                                                "ipv6_ra_mode", "ipv6_address_mode",
                                                NULL});
    json_object_set_new(doc, "allocation_pools", pools);
    pools = NULL;
    json_object_set_new(doc, "cidr", json_string(cidr));
    json_object_set_new(doc, "ip_version", json_integer(g.version));
    json_object_set_new(doc, "network_id", json_string(net_id));
    nb_net_std_new(doc, project);
    r = nb_net_store(tx, &nb_net_subnets, doc, net_id, nb_net_public(net));
    if (r == 0)
        r = nb_net_network_link(tx, net_id, nb_json_str(doc, "id"), true);
    if (r == 0)
        r = nb_net_dhcp_port_sync(ctx, tx, net_id);
    if (r == 0) {
        *out = doc;
        doc = NULL;
    }
out:
    free(cidr);
    json_decref(doc);
    json_decref(net);
    json_decref(pools);
    json_decref(target);
    return r;
}

static int nb_net_subnet_update(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                                const json_t *in)
{
    static const char *const fixed[] = {"network_id", "ip_version", "cidr",
                                        "subnetpool_id", "prefixlen",
                                        "tenant_id", "project_id"};
    struct nb_subnet_geo g;
    json_t *pools = NULL;
    int r = nb_net_subnet_check(ctx, in);
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(fixed); i++)
        if (json_object_get(in, fixed[i]))
            r = nb_net_err(ctx, 400, "HTTPBadRequest", "Cannot update read-only "
                           "attribute %s", fixed[i]);
    if (r < 0)
        return r;
    nb_cidr_parse(nb_json_str(doc, "cidr"), false, &g.version, &g.base, &g.prefix);
    g.last = nb_cidr_last(g.version, g.base, g.prefix);
    if (json_object_get(in, "gateway_ip"))
        r = nb_net_gateway(ctx, &g, json_object_get(in, "gateway_ip"), doc);
    if (r == 0)
        r = nb_net_pools(ctx, &g, json_object_get(in, "allocation_pools")
                             ? json_object_get(in, "allocation_pools")
                             : json_object_get(doc, "allocation_pools"),
                         json_object_get(doc, "gateway_ip"), &pools);
    if (r == 0)
        r = nb_net_dns_routes(ctx, &g, in, doc);
    if (r < 0)
        return r;
    json_object_set_new(doc, "allocation_pools", pools);
    nb_net_copy(doc, in, (const char *const[]){"name", "description", "enable_dhcp",
                                                NULL});
    /* the DHCP port follows the change once the row is stored */
    r = nb_net_save(tx, &nb_net_subnets, doc);
    if (r == 0)
        r = nb_net_dhcp_port_sync(ctx, tx, nb_json_str(doc, "network_id"));
    return r;
}

static int nb_net_subnet_remove(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc)
{
    const char *id = nb_json_str(doc, "id"), *net = nb_json_str(doc, "network_id");
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n,
                            "SELECT count(*) FROM net_ipallocs a JOIN net_ports p"
                            " ON p.id = a.port_id WHERE a.subnet_id = ? AND"
                            " p.doc NOT LIKE '%\"device_owner\": \"network:dhcp\"%'"
                            " AND p.doc NOT LIKE '%\"device_owner\":\"network:dhcp\"%'",
                            "s", id);
    if (r == 0 && n > 0)
        return nb_net_err(ctx, 409, "SubnetInUse", "Unable to complete operation on "
                          "subnet %s: One or more ports have an IP allocation from "
                          "this subnet.", id);
    if (r == 0)
        r = nb_net_remove(tx, &nb_net_subnets, id);
    if (r == 0)
        r = nb_net_network_link(tx, net, id, false);
    if (r == 0)
        r = nb_net_dhcp_port_sync(ctx, tx, net);
    return r;
}

const struct nb_net_ops nb_net_subnet_ops = {
    &nb_net_subnets, "create_subnet", "get_subnet", "update_subnet",
    "delete_subnet", nb_net_subnet_create, nb_net_subnet_update,
    nb_net_subnet_remove, true};
