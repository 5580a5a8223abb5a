/* dp-apply: drives the data plane driver from a JSON desired state, so the
 * data plane is testable without the network API.
 *
 *   dp-apply [--driver linuxbridge] --state-dir DIR [--watch] STATE.json...
 *   dp-apply --nft-script STATE.json      the nft transaction against empty
 *                                         tables, applied nowhere (no root)
 *   dp-apply --dhcp-files NET STATE.json  dnsmasq.conf, hosts and opts of
 *                                         network NET (dir "DIR"), no root
 *
 * STATE.json has the fields of struct nb_dp_state (driver.h):
 *   {"networks": [{"id", "bridge", "network_type", "physical_network",
 *                  "segmentation_id", "mtu", "admin_up",
 *                  "subnets": [{"id", "cidr", "ip_version", "gateway_ip",
 *                               "enable_dhcp", "dns_nameservers": [],
 *                               "host_routes": [{"destination", "nexthop"}]}],
 *                  "dhcp_port": PORT or null,
 *                  "dhcp_hosts": [{"mac", "ip", "hostname"}]}],
 *    "ports": [PORT...],
 *    "groups": [{"id", "member_ips": [],
 *                "rules": [{"id", "direction": "ingress"|"egress",
 *                           "ethertype": 4|6, "protocol": N (-1 any),
 *                           "port_min", "port_max", "remote_prefix",
 *                           "remote_group"}]}]}
 *   PORT = {"id", "network_id", "ifname", "vif": "veth"|"tap", "mac",
 *           "ips": [], "pairs": [{"ip", "mac"}], "admin_up",
 *           "port_security", "groups": []}
 * Defaults: bridge "brq" + id[0..10], ifname "tap" + id[0..10], mtu 1500,
 * admin_up and port_security true, ip_version from the CIDR, enable_dhcp
 * true, protocol/ports -1, vif veth, pair mac = the port's.
 *
 * Once: init, apply each STATE.json in turn (one process: the second
 * and later applies are what a running daemon does), tick, shutdown;
 * prints "apply: N ms" per apply on stdout.  --watch: then tick every
 * second and apply the last STATE.json again whenever it changes (a
 * stand-in for the daemon); SIGTERM/SIGINT end it.
 * Exit status 0, or 1 when an apply failed. */
#include "core/core.h"
#include "network/dataplane/dp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Everything the state borrows, freed at once. */
struct dpa_arena {
    void **ptrs;
    size_t n;
};

static void *dpa_alloc(struct dpa_arena *a, size_t n, size_t sz)
{
    void *p = nb_xcalloc(n ? n : 1, sz);

    a->ptrs = nb_xrealloc(a->ptrs, (a->n + 1) * sizeof(*a->ptrs));
    a->ptrs[a->n++] = p;
    return p;
}

static void dpa_arena_free(struct dpa_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->ptrs[i]);
    free(a->ptrs);
    a->ptrs = NULL;
    a->n = 0;
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
static const char *dpa_name(struct dpa_arena *a, const json_t *o, const char *key,
                            const char *prefix, const char *id)
{
    char *s;

    if (nb_json_str(o, key))
        return nb_json_str(o, key);
    s = dpa_alloc(a, 16, 1);
    snprintf(s, 16, "%s%.11s", prefix, id ? id : "");
    return s;
}

static const char *const *dpa_strs(struct dpa_arena *a, const json_t *o,
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

static void dpa_port(struct dpa_arena *a, const json_t *o, struct nb_dp_port *p)
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

static void dpa_subnet(struct dpa_arena *a, const json_t *o, struct nb_dp_subnet *s)
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

static void dpa_network(struct dpa_arena *a, const json_t *o, struct nb_dp_network *n)
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

static void dpa_group(struct dpa_arena *a, const json_t *o, struct nb_dp_group *g)
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
static void dpa_state(struct dpa_arena *a, const json_t *root, struct nb_dp_state *st)
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

static volatile sig_atomic_t dpa_stop;

static void dpa_on_signal(int sig)
{
    (void)sig;
    dpa_stop = 1;
}

/* Loads 'path' and applies it; returns the driver's result (-EINVAL for
 * unreadable JSON). */
static int dpa_apply_file(const struct nb_dp_driver *drv, void *dp, const char *path)
{
    struct dpa_arena a = {0};
    struct nb_dp_state st;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int64_t t0;
    int r;

    if (!root) {
        fprintf(stderr, "dp-apply: %s: %s (line %d)\n", path, jerr.text, jerr.line);
        return -EINVAL;
    }
    dpa_state(&a, root, &st);
    t0 = nb_mono_us();
    r = drv->apply(dp, &st);
    printf("apply: %.1f ms%s%s\n", (double)(nb_mono_us() - t0) / 1000.0,
           r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
    fflush(stdout);
    dpa_arena_free(&a);
    json_decref(root);
    return r;
}

/* The pure outputs (--nft-script, --dhcp-files): no driver, no root. */
static int dpa_print(const char *what, const char *net_id, const char *path)
{
    struct dpa_arena a = {0};
    struct nb_dp_state st;
    json_t *root = json_load_file(path, 0, NULL);
    int r = 0;

    if (!root)
        return -EINVAL;
    dpa_state(&a, root, &st);
    if (strcmp(what, "nft") == 0) {
        char *script = NULL;

        r = nb_dp_nft_sync(NULL, &st, NULL, &script);
        if (r == 0)
            fputs(script, stdout);
        free(script);
    } else {
        r = -ENOENT;
        for (size_t i = 0; i < st.nnetworks; i++) {
            char *conf, *hosts, *opts;

            if (strcmp(st.networks[i].id, net_id) != 0 || !st.networks[i].dhcp_port)
                continue;
            nb_dp_dhcp_files(&st.networks[i], "DIR", &conf, &hosts, &opts);
            printf("== dnsmasq.conf\n%s== hosts\n%s== opts\n%s", conf, hosts, opts);
            free(conf);
            free(hosts);
            free(opts);
            r = 0;
        }
    }
    dpa_arena_free(&a);
    json_decref(root);
    return r;
}

static int dpa_usage(void)
{
    fprintf(stderr, "usage: dp-apply [--driver NAME] --state-dir DIR [--watch] STATE.json...\n"
                    "       dp-apply --nft-script STATE.json\n"
                    "       dp-apply --dhcp-files NETWORK STATE.json\n");
    return 2;
}

int main(int argc, char **argv)
{
    const struct nb_dp_driver *drv = &nb_dp_linuxbridge_driver;
    const char *state_dir = NULL, *path = NULL, *dhcp_net = NULL;
    const char *paths[32];
    int npaths = 0;
    bool watch = false, nft = false;
    struct timespec mtime = {0};
    struct stat sb;
    void *dp = NULL;
    int i, r;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
            state_dir = argv[++i];
        else if (strcmp(argv[i], "--driver") == 0 && i + 1 < argc)
            i++;    /* one driver so far: linuxbridge */
        else if (strcmp(argv[i], "--watch") == 0)
            watch = true;
        else if (strcmp(argv[i], "--nft-script") == 0)
            nft = true;
        else if (strcmp(argv[i], "--dhcp-files") == 0 && i + 1 < argc)
            dhcp_net = argv[++i];
        else if (argv[i][0] == '-' || npaths == (int)NB_ARRAY_SIZE(paths))
            return dpa_usage();
        else
            paths[npaths++] = path = argv[i];
    }
    if (!path || (npaths > 1 && (nft || dhcp_net)))
        return dpa_usage();
    nb_log_init(NB_LOG_INFO, NULL);
    if (nft || dhcp_net)
        return dpa_print(nft ? "nft" : "dhcp", dhcp_net, path) < 0 ? 1 : 0;
    if (!state_dir)
        return dpa_usage();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, dpa_on_signal);
    signal(SIGINT, dpa_on_signal);
    r = drv->init(state_dir, &dp);
    if (r < 0) {
        fprintf(stderr, "dp-apply: init: %s\n", strerror(-r));
        return 1;
    }
    if (stat(path, &sb) == 0)
        mtime = sb.st_mtim;
    for (i = 0, r = 0; i < npaths && r == 0; i++)
        r = dpa_apply_file(drv, dp, paths[i]);
    if (drv->tick)
        drv->tick(dp);
    while (watch && !dpa_stop) {
        sleep(1);
        if (dpa_stop)
            break;
        if (stat(path, &sb) == 0 && (sb.st_mtim.tv_sec != mtime.tv_sec ||
                                     sb.st_mtim.tv_nsec != mtime.tv_nsec)) {
            mtime = sb.st_mtim;
            r = dpa_apply_file(drv, dp, path);
        }
        if (drv->tick)
            drv->tick(dp);
    }
    drv->shutdown(dp);
    return r < 0 ? 1 : 0;
}
