/* The JSON form of struct nb_dp_state: see dpjson.h and dp-apply.c. */
#include "dpjson.h"

#include "core/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *dpa_alloc(struct dpj *a, size_t n, size_t sz)
{
    void *p = nb_xcalloc(n ? n : 1, sz);

    a->ptrs = nb_xrealloc(a->ptrs, (a->n + 1) * sizeof(*a->ptrs));
    a->ptrs[a->n++] = p;
    return p;
}

void dpj_free(struct dpj *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->ptrs[i]);
    free(a->ptrs);
    json_decref(a->root);
    memset(a, 0, sizeof(*a));
}

static long dpa_int(const json_t *o, const char *key, long dflt)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static bool dpa_bool(const json_t *o, const char *key, bool dflt)
{
    const json_t *v = json_object_get(o, key);

    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* A string with a prefix + the first 11 characters of 'id' when absent. */
static const char *dpa_name(struct dpj *a, const json_t *o, const char *key,
                            const char *prefix, const char *id)
{
    char *s;

    if (nb_json_str(o, key))
        return nb_json_str(o, key);
    s = dpa_alloc(a, 16, 1);
    snprintf(s, 16, "%s%.11s", prefix, id ? id : "");
    return s;
}

static const char *const *dpa_strs(struct dpj *a, const json_t *o,
                                   const char *key, size_t *n)
{
    const json_t *arr = json_object_get(o, key), *v;
    const char **out;
    size_t i;

    *n = json_array_size(arr);
    out = dpa_alloc(a, *n, sizeof(*out));
    json_array_foreach(arr, i, v)
        out[i] = json_string_value(v);
    return out;
}

/* Fills a new array of n elements of 'size' bytes from the JSON array
 * 'key' of 'o', one element by 'fill' (its third argument is the
 * element); returns it (owned by 'a'). */
static void *dpa_each(struct dpj *a, const json_t *o, const char *key, size_t size,
                      void (*fill)(struct dpj *, const json_t *, void *), size_t *n)
{
    const json_t *arr = json_object_get(o, key), *v;
    char *out;
    size_t i;

    *n = json_array_size(arr);
    out = dpa_alloc(a, *n, size);
    json_array_foreach(arr, i, v)
        fill(a, v, out + i * size);
    return out;
}

/* The fill functions of dpa_each(): one JSON object into one element. */

static void dpa_pair(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_addr_pair *pair = out;

    (void)a;
    pair->ip = nb_json_str(o, "ip");
    pair->mac = nb_json_str(o, "mac");  /* NULL: the port's, set by dpa_port */
}

static void dpa_port(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_port *p = out;
    struct nb_dp_addr_pair *pairs;
    const char *vif = nb_json_str(o, "vif");

    p->id = nb_json_str(o, "id");
    p->network_id = nb_json_str(o, "network_id");
    p->ifname = dpa_name(a, o, "ifname", "tap", p->id);
    p->vif = vif && strcmp(vif, "tap") == 0 ? NB_DP_VIF_TAP : NB_DP_VIF_VETH;
    p->mac = nb_json_str(o, "mac");
    p->ips = dpa_strs(a, o, "ips", &p->nips);
    pairs = dpa_each(a, o, "pairs", sizeof(*pairs), dpa_pair, &p->npairs);
    for (size_t i = 0; i < p->npairs; i++)
        if (!pairs[i].mac)
            pairs[i].mac = p->mac;
    p->pairs = pairs;
    p->admin_up = dpa_bool(o, "admin_up", true);
    p->port_security = dpa_bool(o, "port_security", true);
    p->groups = dpa_strs(a, o, "groups", &p->ngroups);
}

static void dpa_route(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_host_route *r = out;

    (void)a;
    r->destination = nb_json_str(o, "destination");
    r->nexthop = nb_json_str(o, "nexthop");
}

static void dpa_subnet(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_subnet *s = out;

    s->id = nb_json_str(o, "id");
    s->cidr = nb_json_str(o, "cidr");
    s->ip_version = (int)dpa_int(o, "ip_version", s->cidr && strchr(s->cidr, ':') ? 6 : 4);
    s->gateway_ip = nb_json_str(o, "gateway_ip");
    s->enable_dhcp = dpa_bool(o, "enable_dhcp", true);
    s->dns_nameservers = dpa_strs(a, o, "dns_nameservers", &s->ndns);
    s->host_routes = dpa_each(a, o, "host_routes", sizeof(*s->host_routes), dpa_route,
                              &s->nroutes);
}

static void dpa_host(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_dhcp_host *h = out;

    (void)a;
    h->mac = nb_json_str(o, "mac");
    h->ip = nb_json_str(o, "ip");
    h->hostname = nb_json_str(o, "hostname");
}

static void dpa_network(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_network *n = out;
    const json_t *dhcp = json_object_get(o, "dhcp_port");

    n->id = nb_json_str(o, "id");
    n->bridge = dpa_name(a, o, "bridge", "brq", n->id);
    n->network_type = nb_json_str(o, "network_type") ? nb_json_str(o, "network_type")
                                                     : "local";
    n->physical_network = nb_json_str(o, "physical_network");
    n->segmentation_id = (int)dpa_int(o, "segmentation_id", -1);
    n->mtu = (int)dpa_int(o, "mtu", 1500);
    n->admin_up = dpa_bool(o, "admin_up", true);
    n->subnets = dpa_each(a, o, "subnets", sizeof(*n->subnets), dpa_subnet, &n->nsubnets);
    if (json_is_object(dhcp)) {
        struct nb_dp_port *p = dpa_alloc(a, 1, sizeof(*p));

        dpa_port(a, dhcp, p);
        p->network_id = n->id;
        n->dhcp_port = p;
    }
    n->dhcp_hosts = dpa_each(a, o, "dhcp_hosts", sizeof(*n->dhcp_hosts), dpa_host,
                             &n->ndhcp_hosts);
}

static void dpa_rule(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_rule *r = out;
    const char *dir = nb_json_str(o, "direction");

    (void)a;
    r->id = nb_json_str(o, "id");
    r->ingress = !dir || strcmp(dir, "egress") != 0;
    r->ethertype = (int)dpa_int(o, "ethertype", 4);
    r->protocol = (int)dpa_int(o, "protocol", -1);
    r->port_min = (int)dpa_int(o, "port_min", -1);
    r->port_max = (int)dpa_int(o, "port_max", -1);
    r->remote_prefix = nb_json_str(o, "remote_prefix");
    r->remote_group = nb_json_str(o, "remote_group");
}

static void dpa_group(struct dpj *a, const json_t *o, void *out)
{
    struct nb_dp_group *g = out;

    g->id = nb_json_str(o, "id");
    g->member_ips = dpa_strs(a, o, "member_ips", &g->nmember_ips);
    g->rules = dpa_each(a, o, "rules", sizeof(*g->rules), dpa_rule, &g->nrules);
}

static void dpa_state(struct dpj *a, const json_t *root, struct nb_dp_state *st)
{
    memset(st, 0, sizeof(*st));
    st->networks = dpa_each(a, root, "networks", sizeof(*st->networks), dpa_network,
                            &st->nnetworks);
    st->ports = dpa_each(a, root, "ports", sizeof(*st->ports), dpa_port, &st->nports);
    st->groups = dpa_each(a, root, "groups", sizeof(*st->groups), dpa_group, &st->ngroups);
}

int dpj_load(const char *path, struct dpj *d)
{
    json_error_t jerr;

    memset(d, 0, sizeof(*d));
    d->root = json_load_file(path, 0, &jerr);
    if (!d->root) {
        fprintf(stderr, "%s: %s (line %d)\n", path, jerr.text, jerr.line);
        return -EINVAL;
    }
    dpa_state(d, d->root, &d->st);
    return 0;
}
