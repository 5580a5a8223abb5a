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

static void dpa_port(struct dpj *a, const json_t *o, struct nb_dp_port *p)
{
    const json_t *pairs = json_object_get(o, "pairs"), *v;
    struct nb_dp_addr_pair *pp;
    const char *vif = nb_json_str(o, "vif");
    size_t i;

    p->id = nb_json_str(o, "id");
    p->network_id = nb_json_str(o, "network_id");
    p->ifname = dpa_name(a, o, "ifname", "tap", p->id);
    p->vif = vif && strcmp(vif, "tap") == 0 ? NB_DP_VIF_TAP : NB_DP_VIF_VETH;
    p->mac = nb_json_str(o, "mac");
    p->ips = dpa_strs(a, o, "ips", &p->nips);
    p->npairs = json_array_size(pairs);
    pp = dpa_alloc(a, p->npairs, sizeof(*pp));
    json_array_foreach(pairs, i, v) {
        pp[i].ip = nb_json_str(v, "ip");
        pp[i].mac = nb_json_str(v, "mac") ? nb_json_str(v, "mac") : p->mac;
    }
    p->pairs = pp;
    p->admin_up = dpa_bool(o, "admin_up", true);
    p->port_security = dpa_bool(o, "port_security", true);
    p->groups = dpa_strs(a, o, "groups", &p->ngroups);
}

static void dpa_subnet(struct dpj *a, const json_t *o, struct nb_dp_subnet *s)
{
    const json_t *routes = json_object_get(o, "host_routes"), *v;
    struct nb_dp_host_route *hr;
    size_t i;

    s->id = nb_json_str(o, "id");
    s->cidr = nb_json_str(o, "cidr");
    s->ip_version = (int)dpa_int(o, "ip_version", s->cidr && strchr(s->cidr, ':') ? 6 : 4);
    s->gateway_ip = nb_json_str(o, "gateway_ip");
    s->enable_dhcp = dpa_bool(o, "enable_dhcp", true);
    s->dns_nameservers = dpa_strs(a, o, "dns_nameservers", &s->ndns);
    s->nroutes = json_array_size(routes);
    hr = dpa_alloc(a, s->nroutes, sizeof(*hr));
    json_array_foreach(routes, i, v) {
        hr[i].destination = nb_json_str(v, "destination");
        hr[i].nexthop = nb_json_str(v, "nexthop");
    }
    s->host_routes = hr;
}

static void dpa_network(struct dpj *a, const json_t *o, struct nb_dp_network *n)
{
    const json_t *arr, *v;
    struct nb_dp_subnet *subs;
    struct nb_dp_dhcp_host *hosts;
    size_t i;

    n->id = nb_json_str(o, "id");
    n->bridge = dpa_name(a, o, "bridge", "brq", n->id);
    n->network_type = nb_json_str(o, "network_type") ? nb_json_str(o, "network_type")
                                                     : "local";
    n->physical_network = nb_json_str(o, "physical_network");
    n->segmentation_id = (int)dpa_int(o, "segmentation_id", -1);
    n->mtu = (int)dpa_int(o, "mtu", 1500);
    n->admin_up = dpa_bool(o, "admin_up", true);
    arr = json_object_get(o, "subnets");
    n->nsubnets = json_array_size(arr);
    subs = dpa_alloc(a, n->nsubnets, sizeof(*subs));
    json_array_foreach(arr, i, v)
        dpa_subnet(a, v, &subs[i]);
    n->subnets = subs;
    if (json_is_object(json_object_get(o, "dhcp_port"))) {
        struct nb_dp_port *p = dpa_alloc(a, 1, sizeof(*p));

        dpa_port(a, json_object_get(o, "dhcp_port"), p);
        p->network_id = n->id;
        n->dhcp_port = p;
    }
    arr = json_object_get(o, "dhcp_hosts");
    n->ndhcp_hosts = json_array_size(arr);
    hosts = dpa_alloc(a, n->ndhcp_hosts, sizeof(*hosts));
    json_array_foreach(arr, i, v) {
        hosts[i].mac = nb_json_str(v, "mac");
        hosts[i].ip = nb_json_str(v, "ip");
        hosts[i].hostname = nb_json_str(v, "hostname");
    }
    n->dhcp_hosts = hosts;
}

static void dpa_group(struct dpj *a, const json_t *o, struct nb_dp_group *g)
{
    const json_t *arr = json_object_get(o, "rules"), *v;
    struct nb_dp_rule *rules;
    size_t i;

    g->id = nb_json_str(o, "id");
    g->member_ips = dpa_strs(a, o, "member_ips", &g->nmember_ips);
    g->nrules = json_array_size(arr);
    rules = dpa_alloc(a, g->nrules, sizeof(*rules));
    json_array_foreach(arr, i, v) {
        const char *dir = nb_json_str(v, "direction");

        rules[i].id = nb_json_str(v, "id");
        rules[i].ingress = !dir || strcmp(dir, "egress") != 0;
        rules[i].ethertype = (int)dpa_int(v, "ethertype", 4);
        rules[i].protocol = (int)dpa_int(v, "protocol", -1);
        rules[i].port_min = (int)dpa_int(v, "port_min", -1);
        rules[i].port_max = (int)dpa_int(v, "port_max", -1);
        rules[i].remote_prefix = nb_json_str(v, "remote_prefix");
        rules[i].remote_group = nb_json_str(v, "remote_group");
    }
    g->rules = rules;
}

/* Fills 'st' from 'root' (both borrowed by 'st'; 'a' owns the arrays). */
static void dpa_state(struct dpj *a, const json_t *root, struct nb_dp_state *st)
{
    const json_t *arr, *v;
    struct nb_dp_network *nets;
    struct nb_dp_port *ports;
    struct nb_dp_group *groups;
    size_t i;

    memset(st, 0, sizeof(*st));
    arr = json_object_get(root, "networks");
    st->nnetworks = json_array_size(arr);
    nets = dpa_alloc(a, st->nnetworks, sizeof(*nets));
    json_array_foreach(arr, i, v)
        dpa_network(a, v, &nets[i]);
    st->networks = nets;
    arr = json_object_get(root, "ports");
    st->nports = json_array_size(arr);
    ports = dpa_alloc(a, st->nports, sizeof(*ports));
    json_array_foreach(arr, i, v)
        dpa_port(a, v, &ports[i]);
    st->ports = ports;
    arr = json_object_get(root, "groups");
    st->ngroups = json_array_size(arr);
    groups = dpa_alloc(a, st->ngroups, sizeof(*groups));
    json_array_foreach(arr, i, v)
        dpa_group(a, v, &groups[i]);
    st->groups = groups;
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
