/* The glue between the network service and its data plane driver
 * (dataplane/driver.h): builds this host's desired state from the
 * database and hands it to the driver's apply() on one background thread.
 * A committed change marks the state dirty; the thread rebuilds and
 * applies once per burst.  It also applies at start (reconcile) and ticks
 * the driver about once a second (dnsmasq supervision). */
#include "network/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* The drivers by name; a known name whose driver is not linked into this
 * build reads as NULL. */
static const struct {
    const char *name;
    const struct nb_dp_driver *drv;
} nb_dp_drivers[] = {
    {"linuxbridge", &nb_dp_linuxbridge_driver},
};

/* 0 and the driver (NULL: known but not in this build), or -EINVAL. */
static int nb_dp_find(const char *name, const struct nb_dp_driver **out)
{
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_dp_drivers); i++)
        if (!strcmp(nb_dp_drivers[i].name, name)) {
            *out = nb_dp_drivers[i].drv;
            return 0;
        }
    return -EINVAL;
}

/* ---- the host name ports bind to */


const char *nb_net_host(void)
{
    return nb_host_name();
}

/* ---- building the desired state
 *
 * Every string of the state points into JSON docs the build keeps alive,
 * or into blocks it allocated; nb_dp_state_free() releases them all. */

struct nb_dp_build {
    struct nb_dp_state st;      /* first: the public handle */
    json_t *keep;               /* the docs the strings point into */
    void **blocks;
    size_t nblocks, cap;
};

static void *nb_dp_alloc(struct nb_dp_build *b, size_t n, size_t sz)
{
    void *p = nb_xcalloc(n ? n : 1, sz);
    if (b->nblocks == b->cap)
        b->blocks = nb_xrealloc(b->blocks, (b->cap = b->cap ? b->cap * 2 : 64) *
                                               sizeof(*b->blocks));
    b->blocks[b->nblocks++] = p;
    return p;
}

static const char *nb_dp_str(struct nb_dp_build *b, const char *fmt, const char *s)
{
    char *v = nb_xasprintf(fmt, s);
    char *keep = nb_dp_alloc(b, strlen(v) + 1, 1);
    memcpy(keep, v, strlen(v) + 1);
    free(v);
    return keep;
}

/* The IPs of a port's fixed_ips as a string array. */
static const char *const *nb_dp_ips(struct nb_dp_build *b, const json_t *port, size_t *n)
{
    const json_t *fixed = json_object_get(port, "fixed_ips"), *e;
    const char **ips = nb_dp_alloc(b, json_array_size(fixed), sizeof(*ips));
    size_t i;
    *n = 0;
    json_array_foreach(fixed, i, e)
        if (nb_json_str(e, "ip_address"))
            ips[(*n)++] = nb_json_str(e, "ip_address");
    return ips;
}

static void nb_dp_port_fill(struct nb_dp_build *b, const json_t *p, struct nb_dp_port *dp)
{
    const json_t *profile = json_object_get(p, "binding:profile");
    const json_t *pairs = json_object_get(p, "allowed_address_pairs"), *e;
    const json_t *groups = json_object_get(p, "security_groups");
    const char *vif = nb_json_str(profile, "vif_type");
    struct nb_dp_addr_pair *ap;
    const char **gs;
    size_t i;
    dp->id = nb_json_str(p, "id");
    dp->network_id = nb_json_str(p, "network_id");
    dp->ifname = nb_dp_str(b, "tap%.11s", dp->id);
    dp->vif = vif && !strcmp(vif, "veth") ? NB_DP_VIF_VETH : NB_DP_VIF_TAP;
    dp->mac = nb_json_str(p, "mac_address");
    dp->ips = nb_dp_ips(b, p, &dp->nips);
    ap = nb_dp_alloc(b, json_array_size(pairs), sizeof(*ap));
    json_array_foreach(pairs, i, e) {
        ap[i].ip = nb_json_str(e, "ip_address");
        ap[i].mac = nb_json_str(e, "mac_address") ? nb_json_str(e, "mac_address") : dp->mac;
    }
    dp->pairs = ap;
    dp->npairs = json_array_size(pairs);
    dp->admin_up = json_is_true(json_object_get(p, "admin_state_up"));
    dp->port_security = json_is_true(json_object_get(p, "port_security_enabled"));
    gs = nb_dp_alloc(b, json_array_size(groups), sizeof(*gs));
    json_array_foreach(groups, i, e)
        gs[i] = json_string_value(e);
    dp->groups = gs;
    dp->ngroups = dp->port_security ? json_array_size(groups) : 0;
}

static bool nb_dp_bound_here(const json_t *p, const char *host)
{
    const char *h = nb_json_str(p, "binding:host_id");
    return h && !strcmp(h, host);
}

static bool nb_dp_is_dhcp(const json_t *p)
{
    const char *o = nb_json_str(p, "device_owner");
    return o && !strcmp(o, "network:dhcp");
}

static bool nb_dp_in(const json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (!strcmp(json_string_value(v), s))
            return true;
    return false;
}

static void nb_dp_network_fill(struct nb_dp_build *b, const json_t *net,
                               const json_t *subnets, const json_t *ports,
                               const char *host, struct nb_dp_network *dn)
{
    const char *id = nb_json_str(net, "id");
    const json_t *sn, *p, *e;
    struct nb_dp_subnet *ds = nb_dp_alloc(b, json_array_size(subnets), sizeof(*ds));
    struct nb_dp_dhcp_host *hosts = nb_dp_alloc(b, json_array_size(ports) * 4 + 1,
                                                sizeof(*hosts));
    json_t *dhcp_subnets = json_array();
    size_t i, j, k, n = 0;
    dn->id = id;
    dn->bridge = nb_dp_str(b, "brq%.11s", id);
    dn->network_type = nb_json_str(net, "provider:network_type");
    dn->physical_network = nb_json_str(net, "provider:physical_network");
    dn->segmentation_id = json_is_integer(json_object_get(net, "provider:segmentation_id"))
        ? (int)json_integer_value(json_object_get(net, "provider:segmentation_id")) : -1;
    dn->mtu = (int)json_integer_value(json_object_get(net, "mtu"));
    dn->admin_up = json_is_true(json_object_get(net, "admin_state_up"));
    json_array_foreach(subnets, i, sn) {
        const json_t *dns = json_object_get(sn, "dns_nameservers");
        const json_t *routes = json_object_get(sn, "host_routes");
        const char **d;
        struct nb_dp_host_route *hr;
        if (strcmp(nb_json_str(sn, "network_id"), id))
            continue;
        ds[n].id = nb_json_str(sn, "id");
        ds[n].cidr = nb_json_str(sn, "cidr");
        ds[n].ip_version = (int)json_integer_value(json_object_get(sn, "ip_version"));
        ds[n].gateway_ip = nb_json_str(sn, "gateway_ip");
        ds[n].enable_dhcp = json_is_true(json_object_get(sn, "enable_dhcp"));
        if (ds[n].enable_dhcp)
            json_array_append(dhcp_subnets, json_object_get(sn, "id"));
        d = nb_dp_alloc(b, json_array_size(dns), sizeof(*d));
        json_array_foreach(dns, j, e)
            d[j] = json_string_value(e);
        ds[n].dns_nameservers = d;
        ds[n].ndns = json_array_size(dns);
        hr = nb_dp_alloc(b, json_array_size(routes), sizeof(*hr));
        json_array_foreach(routes, j, e) {
            hr[j].destination = nb_json_str(e, "destination");
            hr[j].nexthop = nb_json_str(e, "nexthop");
        }
        ds[n].host_routes = hr;
        ds[n].nroutes = json_array_size(routes);
        n++;
    }
    dn->subnets = ds;
    dn->nsubnets = n;
    n = 0;
    json_array_foreach(ports, i, p) {
        if (strcmp(nb_json_str(p, "network_id"), id))
            continue;
        if (nb_dp_is_dhcp(p)) {
            if (nb_dp_bound_here(p, host) && json_array_size(dhcp_subnets)) {
                struct nb_dp_port *dp = nb_dp_alloc(b, 1, sizeof(*dp));
                nb_dp_port_fill(b, p, dp);
                dn->dhcp_port = dp;
            }
            continue;
        }
        json_array_foreach(json_object_get(p, "fixed_ips"), j, e) {
            const char *ip = nb_json_str(e, "ip_address");
            char *h;
            if (!nb_dp_in(dhcp_subnets, nb_json_str(e, "subnet_id")) || !ip)
                continue;
            if (n == json_array_size(ports) * 4)
                break;
            hosts[n].mac = nb_json_str(p, "mac_address");
            hosts[n].ip = ip;
            h = nb_xasprintf("host-%s", ip);
            for (k = 0; h[k]; k++)
                if (h[k] == '.' || h[k] == ':')
                    h[k] = '-';
            hosts[n].hostname = nb_dp_str(b, "%s", h);
            free(h);
            n++;
        }
    }
    dn->dhcp_hosts = hosts;
    dn->ndhcp_hosts = n;
    json_decref(dhcp_subnets);
}

/* Adds group 'id' (and the groups its rules name) to the build. */
static void nb_dp_group_add(struct nb_dp_build *b, const json_t *sgs, const json_t *ports,
                            json_t *seen, const char *id, struct nb_dp_group *out,
                            size_t *n, size_t cap)
{
    const json_t *sg = NULL, *e, *r, *p;
    size_t i, j;
    struct nb_dp_rule *rules;
    const char **ips;
    size_t nips = 0, maxips = 0;
    if (nb_dp_in(seen, id) || *n == cap)
        return;
    json_array_append_new(seen, json_string(id));
    json_array_foreach(sgs, i, e)
        if (!strcmp(nb_json_str(e, "id"), id))
            sg = e;
    if (!sg)
        return;
    struct nb_dp_group *g = &out[(*n)++];
    const json_t *rl = json_object_get(sg, "security_group_rules");
    g->id = nb_json_str(sg, "id");
    rules = nb_dp_alloc(b, json_array_size(rl), sizeof(*rules));
    json_array_foreach(rl, i, r) {
        int proto = -1;
        const json_t *mn = json_object_get(r, "port_range_min");
        const json_t *mx = json_object_get(r, "port_range_max");
        nb_net_proto_num(json_object_get(r, "protocol"), &proto);
        if (proto == 1 && !strcmp(nb_json_str(r, "ethertype"), "IPv6"))
            proto = 58;
        rules[i].id = nb_json_str(r, "id");
        rules[i].ingress = !strcmp(nb_json_str(r, "direction"), "ingress");
        rules[i].ethertype = strcmp(nb_json_str(r, "ethertype"), "IPv6") ? 4 : 6;
        rules[i].protocol = proto;
        rules[i].port_min = json_is_integer(mn) ? (int)json_integer_value(mn) : -1;
        rules[i].port_max = json_is_integer(mx) ? (int)json_integer_value(mx) : -1;
        rules[i].remote_prefix = nb_json_str(r, "normalized_cidr")
                                     ? nb_json_str(r, "normalized_cidr")
                                     : nb_json_str(r, "remote_ip_prefix");
        rules[i].remote_group = nb_json_str(r, "remote_group_id");
    }
    g->rules = rules;
    g->nrules = json_array_size(rl);
    json_array_foreach(ports, i, p)
        if (nb_dp_in(json_object_get(p, "security_groups"), id))
            maxips += json_array_size(json_object_get(p, "fixed_ips")) +
                      json_array_size(json_object_get(p, "allowed_address_pairs"));
    ips = nb_dp_alloc(b, maxips, sizeof(*ips));
    json_array_foreach(ports, i, p) {
        if (!nb_dp_in(json_object_get(p, "security_groups"), id))
            continue;
        json_array_foreach(json_object_get(p, "fixed_ips"), j, e)
            ips[nips++] = nb_json_str(e, "ip_address");
        json_array_foreach(json_object_get(p, "allowed_address_pairs"), j, e)
            ips[nips++] = nb_json_str(e, "ip_address");
    }
    g->member_ips = ips;
    g->nmember_ips = nips;
    json_array_foreach(rl, i, r)
        if (nb_json_str(r, "remote_group_id"))
            nb_dp_group_add(b, sgs, ports, seen, nb_json_str(r, "remote_group_id"),
                            out, n, cap);
}

int nb_dp_state_build(struct nb_db *db, const char *host, struct nb_dp_state **out)
{
    struct nb_dp_build *b = nb_xcalloc(1, sizeof(*b));
    struct nb_tx *tx = NULL;
    json_t *nets = NULL, *subnets = NULL, *ports = NULL, *sgs = NULL, *p, *n, *seen;
    struct nb_dp_network *dn;
    struct nb_dp_port *dp;
    struct nb_dp_group *dg;
    size_t i, j;
    int r = nb_tx_begin(db, false, &tx);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_networks, NULL, &nets);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_subnets, NULL, &subnets);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_ports, NULL, &ports);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_secgroups, NULL, &sgs);
    nb_tx_rollback(tx);
    b->keep = json_pack("[oooo]", nets ? nets : json_array(),
                        subnets ? subnets : json_array(), ports ? ports : json_array(),
                        sgs ? sgs : json_array());
    if (r < 0) {
        nb_dp_state_free(&b->st);
        return r;
    }
    /* this host's ports, then the networks they (or DHCP) need */
    dp = nb_dp_alloc(b, json_array_size(ports), sizeof(*dp));
    json_array_foreach(ports, i, p)
        if (nb_dp_bound_here(p, host) && !nb_dp_is_dhcp(p))
            nb_dp_port_fill(b, p, &dp[b->st.nports++]);
    b->st.ports = dp;
    dn = nb_dp_alloc(b, json_array_size(nets), sizeof(*dn));
    json_array_foreach(nets, i, n) {
        bool needed = false;
        json_array_foreach(ports, j, p)
            needed = needed || (nb_dp_bound_here(p, host) &&
                                !strcmp(nb_json_str(p, "network_id"), nb_json_str(n, "id")));
        if (!needed)
            continue;
        nb_dp_network_fill(b, n, subnets, ports, host, &dn[b->st.nnetworks++]);
    }
    b->st.networks = dn;
    /* the groups of this host's ports, and the groups their rules name */
    seen = json_array();
    dg = nb_dp_alloc(b, json_array_size(sgs), sizeof(*dg));
    for (i = 0; i < b->st.nports; i++)
        for (j = 0; j < dp[i].ngroups; j++)
            nb_dp_group_add(b, sgs, ports, seen, dp[i].groups[j], dg, &b->st.ngroups,
                            json_array_size(sgs));
    json_decref(seen);
    b->st.groups = dg;
    *out = &b->st;
    return 0;
}

void nb_dp_state_free(struct nb_dp_state *st)
{
    struct nb_dp_build *b = (struct nb_dp_build *)st;
    if (!b)
        return;
    for (size_t i = 0; i < b->nblocks; i++)
        free(b->blocks[i]);
    free(b->blocks);
    json_decref(b->keep);
    free(b);
}

/* ---- the apply thread */

/* 'wanted' counts notifications; 'applied' is the count the last
 * successful apply started from (every change notified up to it is on the
 * host), broadcast on 'done'. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv, done;
    pthread_t thread;
    bool running, stop, dirty, failed;
    uint64_t wanted, applied;
    int waiters;                    /* in nb_dataplane_wait */
    const struct nb_dp_driver *drv;
    void *dp;
    struct nb_db *db;
} nb_dpg = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
            .done = PTHREAD_COND_INITIALIZER};

void nb_dataplane_notify(void)
{
    pthread_mutex_lock(&nb_dpg.mu);
    nb_dpg.dirty = true;
    nb_dpg.wanted++;
    pthread_cond_signal(&nb_dpg.cv);
    pthread_mutex_unlock(&nb_dpg.mu);
}

int nb_dataplane_wait(int timeout_ms)
{
    struct timespec ts;
    uint64_t target;
    int r = 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&nb_dpg.mu);
    target = nb_dpg.wanted;
    nb_dpg.waiters++;
    pthread_cond_signal(&nb_dpg.cv);        /* no burst to wait for */
    while (nb_dpg.running && !nb_dpg.stop && nb_dpg.applied < target && r == 0)
        r = -pthread_cond_timedwait(&nb_dpg.done, &nb_dpg.mu, &ts);
    nb_dpg.waiters--;
    if (!nb_dpg.running || nb_dpg.applied >= target)
        r = 0;          /* done, or no data plane on this host */
    else if (r == 0)
        r = -ESHUTDOWN;
    pthread_mutex_unlock(&nb_dpg.mu);
    return r;
}

/* Builds and applies once (covering notifications up to 'gen'); a failure
 * is retried on the next tick. */
static void nb_dataplane_apply(uint64_t gen)
{
    struct nb_dp_state *st = NULL;
    int64_t t0 = nb_mono_us();
    int r = nb_dp_state_build(nb_dpg.db, nb_net_host(), &st);
    if (r == 0)
        r = nb_dpg.drv->apply(nb_dpg.dp, st);
    nb_dpg.failed = r < 0;
    if (r == 0) {
        pthread_mutex_lock(&nb_dpg.mu);
        if (gen > nb_dpg.applied)
            nb_dpg.applied = gen;
        pthread_cond_broadcast(&nb_dpg.done);
        pthread_mutex_unlock(&nb_dpg.mu);
    }
    if (r < 0)
        nb_warn("network data plane: apply failed (%s); retrying in a second",
                strerror(-r));
    else
        nb_debug("network data plane: %zu networks, %zu ports applied in %lld ms",
                 st->nnetworks, st->nports, (long long)(nb_mono_us() - t0) / 1000);
    nb_dp_state_free(st);
}

/* The apply thread: waits (at most a second) for a change, lets a burst
 * of commits land (20 ms; not when a build waits for it: then the apply
 * in progress is what batches), applies once, and ticks the driver about
 * once a second. */
static void *nb_dataplane_main(void *arg)
{
    int64_t last_tick = nb_mono_us();
    (void)arg;
    pthread_mutex_lock(&nb_dpg.mu);
    while (!nb_dpg.stop) {
        struct timespec ts;
        bool dirty, tick, waited;
        if (!nb_dpg.dirty) {
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&nb_dpg.cv, &nb_dpg.mu, &ts);
            if (nb_dpg.stop)
                break;
        }
        tick = nb_mono_us() - last_tick >= 1000000;
        dirty = nb_dpg.dirty || (tick && nb_dpg.failed);
        waited = nb_dpg.waiters > 0;
        pthread_mutex_unlock(&nb_dpg.mu);
        if (dirty) {
            uint64_t gen;
            if (!waited)
                usleep(20000);
            pthread_mutex_lock(&nb_dpg.mu);
            nb_dpg.dirty = false;       /* what lands from now on: next round */
            gen = nb_dpg.wanted;
            pthread_mutex_unlock(&nb_dpg.mu);
            nb_dataplane_apply(gen);
        }
        if (tick) {
            last_tick = nb_mono_us();
            if (nb_dpg.drv->tick)
                nb_dpg.drv->tick(nb_dpg.dp);
        }
        pthread_mutex_lock(&nb_dpg.mu);
    }
    pthread_mutex_unlock(&nb_dpg.mu);
    return NULL;
}

int nb_dataplane_start_driver(const struct nb_module_env *env,
                              const struct nb_dp_driver *drv)
{
    char *dir = nb_xasprintf("%s/network", env->state_dir);
    int r = nb_mkdir_p(dir, 0700);
    if (r == 0)
        r = drv->init(dir, &nb_dpg.dp);
    free(dir);
    if (r < 0) {
        nb_error("network data plane %s: init failed: %s", drv->name, strerror(-r));
        return r;
    }
    nb_dpg.drv = drv;
    nb_dpg.db = env->db;
    nb_dpg.stop = false;
    nb_dpg.failed = false;
    nb_dpg.dirty = true;        /* reconcile at start */
    r = -pthread_create(&nb_dpg.thread, NULL, nb_dataplane_main, NULL);
    if (r < 0) {
        drv->shutdown(nb_dpg.dp);
        return r;
    }
    nb_dpg.running = true;
    nb_info("network data plane: %s for host %s", drv->name, nb_net_host());
    return 0;
}

int nb_dataplane_start(const struct nb_module_env *env)
{
    const char *name = nb_conf_str("network", "dataplane_driver");
    const struct nb_dp_driver *drv;
    if (!strcmp(name, "none")) {
        nb_info("network data plane: none (API only host)");
        return 0;
    }
    if (nb_dp_find(name, &drv) < 0) {
        nb_error("[network] dataplane_driver: unknown driver %s (linuxbridge or none)",
                 name);
        return -EINVAL;
    }
    if (!drv) {
        nb_warn("network data plane: the %s driver is not in this build; this host "
                "serves the API only", name);
        return 0;
    }
    return nb_dataplane_start_driver(env, drv);
}

void nb_dataplane_stop(void)
{
    if (!nb_dpg.running)
        return;
    pthread_mutex_lock(&nb_dpg.mu);
    nb_dpg.stop = true;
    pthread_cond_signal(&nb_dpg.cv);
    pthread_cond_broadcast(&nb_dpg.done);
    pthread_mutex_unlock(&nb_dpg.mu);
    pthread_join(nb_dpg.thread, NULL);
    nb_dpg.drv->shutdown(nb_dpg.dp);
    nb_dpg.running = false;
    nb_dpg.dp = NULL;
}
