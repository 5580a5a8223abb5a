/* network/dataplane.c: the desired state of this host built from the
 * database (nb_dp_state_build), as the data plane driver gets it; and the
 * "none" driver.  Resources are made through the service's own create
 * paths on a temp SQLite database (and PostgreSQL when NUBIS_TEST_PG_URI is
 * set: see nbt.h). */
#include "nbt.h"
#include "network/internal.h"

#include <pthread.h>

/* A driver that records what the glue hands it (for the thread tests). */
static struct {
    pthread_mutex_t mu;
    int inits, applies, ticks, shutdowns;
    bool failing;                   /* apply fails (the host says no) */
    size_t last_nports, last_nnetworks;
} nbt_rec = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int nbt_rec_init(const char *dir, void **dp)
{
    assert_non_null(strstr(dir, "/network"));
    *dp = &nbt_rec;
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.inits++;
    pthread_mutex_unlock(&nbt_rec.mu);
    return 0;
}

static int nbt_rec_apply(void *dp, const struct nb_dp_state *st)
{
    assert_ptr_equal(dp, &nbt_rec);
    pthread_mutex_lock(&nbt_rec.mu);
    if (nbt_rec.failing) {
        pthread_mutex_unlock(&nbt_rec.mu);
        return -EAGAIN;
    }
    nbt_rec.applies++;
    nbt_rec.last_nports = st->nports;
    nbt_rec.last_nnetworks = st->nnetworks;
    pthread_mutex_unlock(&nbt_rec.mu);
    return 0;
}

static void nbt_rec_tick(void *dp)
{
    (void)dp;
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.ticks++;
    pthread_mutex_unlock(&nbt_rec.mu);
}

static void nbt_rec_shutdown(void *dp)
{
    (void)dp;
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.shutdowns++;
    pthread_mutex_unlock(&nbt_rec.mu);
}

static const struct nb_dp_driver nbt_rec_driver = {
    "recorder", nbt_rec_init, nbt_rec_apply, nbt_rec_tick, nbt_rec_shutdown};

/* Waits (at most 5 s) until *counter reaches 'want'; returns its value. */
static int nbt_rec_wait(const int *counter, int want)
{
    int v = 0;
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&nbt_rec.mu);
        v = *counter;
        pthread_mutex_unlock(&nbt_rec.mu);
        if (v >= want)
            break;
        usleep(10000);
    }
    return v;
}

struct nbt_net {
    char *dir, *conf_dir;
    char *url;
    struct nb_db *db;
    struct nb_ctx ctx;
};

static int nbt_setup(void **state)
{
    static const char *const admin[] = {"admin", "member", NULL};
    struct nbt_net *t = nb_xcalloc(1, sizeof(*t));
    struct nb_module_env env = {0};
    t->conf_dir = nbt_conf_isolated();
    /* the host name is read once per process: every test uses "h1" */
    assert_int_equal(nb_conf_set("DEFAULT", "host", "h1"), 0);
    t->dir = nbt_tmpdir();
    t->url = nbt_db_url(t->dir, "net");
    assert_int_equal(nb_db_open(t->url, 2, &t->db), 0);
    env.db = t->db;
    env.state_dir = t->dir;
    assert_int_equal(nb_network_module.init(&env), 0);
    nbt_caller(&t->ctx, "u1", admin);
    snprintf(t->ctx.caller.project.id, sizeof(t->ctx.caller.project.id), "p1");
    *state = t;
    return 0;
}

static int nbt_teardown(void **state)
{
    struct nbt_net *t = *state;
    nb_network_module.shutdown();
    nb_db_close(t->db);
    nbt_db_drop(t->url);
    free(t->url);
    nbt_rmrf(t->dir);
    free(t->dir);
    nbt_rmrf(t->conf_dir);
    free(t->conf_dir);
    free(t);
    return 0;
}

/* Creates one resource with 'ops' from JSON text in its own transaction;
 * returns the new doc (caller decrefs). */
static json_t *nbt_make(struct nbt_net *t, const struct nb_net_ops *ops, const char *fmt,
                        ...)
{
    char text[2048];
    struct nb_tx *tx = NULL;
    json_t *in, *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    in = json_loads(text, 0, NULL);
    if (!in)
        fail_msg("bad test JSON %s", text);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    if (ops->create(&t->ctx, tx, in, &out) < 0)
        fail_msg("create %s: %s", ops->kind->singular, t->ctx.err_msg);
    assert_int_equal(nb_tx_commit(tx), 0);
    json_decref(in);
    return out;
}

static const char *nbt_ip(const json_t *port)
{
    return nb_json_str(json_array_get(json_object_get(port, "fixed_ips"), 0),
                       "ip_address");
}

/* A network without DHCP and with no port bound here is not this host's
 * business; its DHCP port (bound here: DHCP runs on the API host) makes it
 * so. */
static void test_state_empty_without_bound_ports(void **state)
{
    struct nbt_net *t = *state;
    struct nb_dp_state *st = NULL;
    json_t *net = nbt_make(t, &nb_net_network_ops, "{\"name\": \"n\"}");
    json_t *sn = nbt_make(t, &nb_net_subnet_ops, "{\"network_id\": \"%s\", \"ip_version\": 4,"
                          " \"cidr\": \"10.0.0.0/24\", \"enable_dhcp\": false}",
                          nb_json_str(net, "id"));
    json_decref(nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\","
                         " \"binding:host_id\": \"elsewhere\"}", nb_json_str(net, "id")));
    assert_int_equal(nb_dp_state_build(t->db, "h1", &st), 0);
    assert_int_equal(st->nnetworks, 0);
    assert_int_equal(st->nports, 0);
    assert_int_equal(st->ngroups, 0);
    nb_dp_state_free(st);
    json_decref(nbt_make(t, &nb_net_subnet_ops, "{\"network_id\": \"%s\", \"ip_version\": 4,"
                         " \"cidr\": \"10.5.0.0/24\"}", nb_json_str(net, "id")));
    assert_int_equal(nb_dp_state_build(t->db, "h1", &st), 0);
    assert_int_equal(st->nnetworks, 1);
    assert_non_null(st->networks[0].dhcp_port);
    /* the other port has its address on the subnet without DHCP */
    assert_int_equal(st->networks[0].ndhcp_hosts, 0);
    assert_int_equal(st->nports, 0);
    nb_dp_state_free(st);
    json_decref(net);
    json_decref(sn);
}

static void test_state_of_bound_ports_networks_dhcp_and_groups(void **state)
{
    struct nbt_net *t = *state;
    struct nb_dp_state *st = NULL;
    json_t *net, *sn, *sg, *a, *b, *c;
    const char *nid;
    char bridge[32], tap[32];
    net = nbt_make(t, &nb_net_network_ops, "{\"name\": \"n\", \"provider:network_type\":"
                   " \"vxlan\", \"provider:segmentation_id\": 77}");
    nid = nb_json_str(net, "id");
    sn = nbt_make(t, &nb_net_subnet_ops, "{\"network_id\": \"%s\", \"ip_version\": 4,"
                  " \"cidr\": \"10.1.0.0/24\", \"dns_nameservers\": [\"10.1.0.53\"]}", nid);
    sg = nbt_make(t, &nb_net_secgroup_ops, "{\"name\": \"web\"}");
    json_decref(nbt_make(t, &nb_net_sgrule_ops, "{\"security_group_id\": \"%s\","
                         " \"direction\": \"ingress\", \"protocol\": \"tcp\","
                         " \"port_range_min\": 22, \"port_range_max\": 22,"
                         " \"remote_group_id\": \"%s\"}", nb_json_str(sg, "id"),
                         nb_json_str(sg, "id")));
    a = nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\", \"binding:host_id\": \"h1\","
                 " \"binding:profile\": {\"vif_type\": \"veth\"}, \"security_groups\":"
                 " [\"%s\"], \"allowed_address_pairs\": [{\"ip_address\": \"10.9.0.0/24\"}]}",
                 nid, nb_json_str(sg, "id"));
    b = nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\", \"binding:host_id\": \"h2\","
                 " \"security_groups\": [\"%s\"]}", nid, nb_json_str(sg, "id"));
    c = nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\", \"binding:host_id\": \"h1\","
                 " \"port_security_enabled\": false, \"security_groups\": []}", nid);
    assert_int_equal(nb_dp_state_build(t->db, "h1", &st), 0);

    assert_int_equal(st->nnetworks, 1);
    const struct nb_dp_network *dn = &st->networks[0];
    snprintf(bridge, sizeof(bridge), "brq%.11s", nid);
    assert_string_equal(dn->id, nid);
    assert_string_equal(dn->bridge, bridge);
    assert_string_equal(dn->network_type, "vxlan");
    assert_int_equal(dn->segmentation_id, 77);
    assert_int_equal(dn->mtu, 1450);
    assert_int_equal(dn->nsubnets, 1);
    assert_string_equal(dn->subnets[0].cidr, "10.1.0.0/24");
    assert_string_equal(dn->subnets[0].gateway_ip, "10.1.0.1");
    assert_true(dn->subnets[0].enable_dhcp);
    assert_int_equal(dn->subnets[0].ndns, 1);
    assert_non_null(dn->dhcp_port);
    assert_int_equal(dn->dhcp_port->nips, 1);
    assert_string_equal(dn->dhcp_port->ips[0], "10.1.0.2");
    assert_int_equal(dn->ndhcp_hosts, 3);           /* a, b, c: every port */
    bool host_a = false;
    for (size_t i = 0; i < dn->ndhcp_hosts; i++) {
        char want[64];
        snprintf(want, sizeof(want), "host-%s", nbt_ip(a));
        for (char *p = want; *p; p++)
            *p = *p == '.' ? '-' : *p;
        if (!strcmp(dn->dhcp_hosts[i].mac, nb_json_str(a, "mac_address"))) {
            host_a = true;
            assert_string_equal(dn->dhcp_hosts[i].ip, nbt_ip(a));
            assert_string_equal(dn->dhcp_hosts[i].hostname, want);
        }
    }
    assert_true(host_a);

    assert_int_equal(st->nports, 2);                /* a and c; not b (h2) */
    const struct nb_dp_port *pa = &st->ports[0], *pc = &st->ports[1];
    if (strcmp(pa->id, nb_json_str(a, "id"))) {
        pa = &st->ports[1];
        pc = &st->ports[0];
    }
    snprintf(tap, sizeof(tap), "tap%.11s", nb_json_str(a, "id"));
    assert_string_equal(pa->ifname, tap);
    assert_int_equal(pa->vif, NB_DP_VIF_VETH);
    assert_int_equal(pc->vif, NB_DP_VIF_TAP);
    assert_string_equal(pa->mac, nb_json_str(a, "mac_address"));
    assert_int_equal(pa->nips, 1);
    assert_string_equal(pa->ips[0], nbt_ip(a));
    assert_int_equal(pa->npairs, 1);
    assert_string_equal(pa->pairs[0].ip, "10.9.0.0/24");
    assert_string_equal(pa->pairs[0].mac, pa->mac);
    assert_true(pa->port_security);
    assert_int_equal(pa->ngroups, 1);
    assert_false(pc->port_security);
    assert_int_equal(pc->ngroups, 0);

    assert_int_equal(st->ngroups, 1);
    const struct nb_dp_group *g = &st->groups[0];
    assert_string_equal(g->id, nb_json_str(sg, "id"));
    assert_int_equal(g->nrules, 3);                 /* egress v4, v6, tcp 22 */
    bool found = false;
    for (size_t i = 0; i < g->nrules; i++) {
        if (g->rules[i].protocol != 6)
            continue;
        found = true;
        assert_true(g->rules[i].ingress);
        assert_int_equal(g->rules[i].ethertype, 4);
        assert_int_equal(g->rules[i].port_min, 22);
        assert_int_equal(g->rules[i].port_max, 22);
        assert_string_equal(g->rules[i].remote_group, g->id);
        assert_null(g->rules[i].remote_prefix);
    }
    assert_true(found);
    /* members on every host: a's IP and pair, b's IP */
    assert_int_equal(g->nmember_ips, 3);
    nb_dp_state_free(st);
    json_decref(net);
    json_decref(sn);
    json_decref(sg);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static void test_state_icmp_rule_type_and_code(void **state)
{
    struct nbt_net *t = *state;
    struct nb_dp_state *st = NULL;
    json_t *net = nbt_make(t, &nb_net_network_ops, "{\"name\": \"n\"}");
    json_t *sg = nbt_make(t, &nb_net_secgroup_ops, "{\"name\": \"icmp\"}");
    const char *nid = nb_json_str(net, "id");
    json_decref(nbt_make(t, &nb_net_subnet_ops, "{\"network_id\": \"%s\", \"ip_version\": 6,"
                         " \"cidr\": \"2001:db8::/64\", \"enable_dhcp\": false}", nid));
    json_decref(nbt_make(t, &nb_net_sgrule_ops, "{\"security_group_id\": \"%s\","
                         " \"direction\": \"ingress\", \"protocol\": \"icmp\","
                         " \"ethertype\": \"IPv6\", \"port_range_min\": 128,"
                         " \"port_range_max\": 0, \"remote_ip_prefix\": \"2001:db8::1/64\"}",
                         nb_json_str(sg, "id")));
    json_decref(nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\", \"binding:host_id\":"
                         " \"h1\", \"security_groups\": [\"%s\"]}", nid,
                         nb_json_str(sg, "id")));
    assert_int_equal(nb_dp_state_build(t->db, "h1", &st), 0);
    assert_int_equal(st->nnetworks, 1);
    assert_null(st->networks[0].dhcp_port);         /* no DHCP subnet */
    assert_int_equal(st->ngroups, 1);
    for (size_t i = 0; i < st->groups[0].nrules; i++) {
        const struct nb_dp_rule *r = &st->groups[0].rules[i];
        if (r->protocol < 0)
            continue;
        assert_int_equal(r->protocol, 58);
        assert_int_equal(r->ethertype, 6);
        assert_int_equal(r->port_min, 128);
        assert_int_equal(r->port_max, 0);
        assert_string_equal(r->remote_prefix, "2001:db8::/64");
    }
    nb_dp_state_free(st);
    json_decref(net);
    json_decref(sg);
}

static void test_dataplane_none_starts_nothing(void **state)
{
    struct nbt_net *t = *state;
    struct nb_module_env env = {.db = t->db, .state_dir = t->dir};
    assert_int_equal(nb_conf_set("network", "dataplane_driver", "none"), 0);
    assert_int_equal(nb_dataplane_start(&env), 0);
    nb_dataplane_notify();          /* harmless without a thread */
    nb_dataplane_stop();
    assert_int_equal(nb_conf_set("network", "dataplane_driver", "no-such"), 0);
    assert_int_equal(nb_dataplane_start(&env), -EINVAL);
}

/* The apply thread: a reconcile at start, one apply for a burst of
 * changes (not one per change), ticks about once a second, and the
 * driver shut down on stop. */
static void test_apply_thread_reconciles_coalesces_and_ticks(void **state)
{
    struct nbt_net *t = *state;
    struct nb_module_env env = {.db = t->db, .state_dir = t->dir};
    json_t *net = nbt_make(t, &nb_net_network_ops, "{\"name\": \"n\"}");
    int before;
    json_decref(nbt_make(t, &nb_net_subnet_ops, "{\"network_id\": \"%s\", \"ip_version\": 4,"
                         " \"cidr\": \"10.7.0.0/24\", \"enable_dhcp\": false}",
                         nb_json_str(net, "id")));
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.inits = nbt_rec.applies = nbt_rec.ticks = nbt_rec.shutdowns = 0;
    pthread_mutex_unlock(&nbt_rec.mu);
    assert_int_equal(nb_dataplane_start_driver(&env, &nbt_rec_driver), 0);
    assert_int_equal(nbt_rec.inits, 1);
    assert_int_equal(nbt_rec_wait(&nbt_rec.applies, 1), 1);        /* reconcile */
    assert_int_equal(nbt_rec.last_nports, 0);
    json_decref(nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\","
                         " \"binding:host_id\": \"h1\"}", nb_json_str(net, "id")));
    before = nbt_rec_wait(&nbt_rec.applies, 1);
    for (int i = 0; i < 50; i++)
        nb_dataplane_notify();
    assert_true(nbt_rec_wait(&nbt_rec.applies, before + 1) >= before + 1);
    usleep(200000);
    pthread_mutex_lock(&nbt_rec.mu);
    assert_true(nbt_rec.applies <= before + 2);                     /* coalesced */
    assert_int_equal(nbt_rec.last_nports, 1);
    assert_int_equal(nbt_rec.last_nnetworks, 1);
    pthread_mutex_unlock(&nbt_rec.mu);
    assert_true(nbt_rec_wait(&nbt_rec.ticks, 1) >= 1);
    nb_dataplane_stop();
    assert_int_equal(nbt_rec.shutdowns, 1);
    json_decref(net);
}

/* nb_dataplane_wait (Nova's wait for network-vif-plugged): returns once an
 * apply that includes every change made before the call has succeeded;
 * times out while the host fails to apply; at once without a data plane. */
static void test_wait_until_the_changes_are_applied(void **state)
{
    struct nbt_net *t = *state;
    struct nb_module_env env = {.db = t->db, .state_dir = t->dir};
    json_t *net = nbt_make(t, &nb_net_network_ops, "{\"name\": \"n\"}");

    assert_int_equal(nb_dataplane_wait(10), 0);        /* no data plane */
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.applies = 0;
    nbt_rec.failing = false;
    pthread_mutex_unlock(&nbt_rec.mu);
    assert_int_equal(nb_dataplane_start_driver(&env, &nbt_rec_driver), 0);
    assert_int_equal(nbt_rec_wait(&nbt_rec.applies, 1), 1);
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.failing = true;
    pthread_mutex_unlock(&nbt_rec.mu);
    json_decref(nbt_make(t, &nb_net_port_ops, "{\"network_id\": \"%s\","
                         " \"binding:host_id\": \"h1\"}", nb_json_str(net, "id")));
    nb_dataplane_notify();          /* as nb_net_write does after its commit */
    assert_int_equal(nb_dataplane_wait(300), -ETIMEDOUT);
    pthread_mutex_lock(&nbt_rec.mu);
    nbt_rec.failing = false;
    pthread_mutex_unlock(&nbt_rec.mu);
    assert_int_equal(nb_dataplane_wait(5000), 0);      /* retried on the tick */
    pthread_mutex_lock(&nbt_rec.mu);
    assert_int_equal(nbt_rec.last_nports, 1);
    pthread_mutex_unlock(&nbt_rec.mu);
    assert_int_equal(nb_dataplane_wait(10), 0);        /* nothing new */
    nb_dataplane_stop();
    assert_int_equal(nb_dataplane_wait(10), 0);
    json_decref(net);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_state_empty_without_bound_ports),
        T(test_state_of_bound_ports_networks_dhcp_and_groups),
        T(test_state_icmp_rule_type_and_code),
        T(test_dataplane_none_starts_nothing),
        T(test_apply_thread_reconciles_coalesces_and_ticks),
        T(test_wait_until_the_changes_are_applied),
    };
    return NBT_MAIN("net_dataplane", tests, NULL, NULL);
}
