/* The Linux bridge data plane driver: one bridge per network, one veth
 * pair or tap per bound port, port security and security groups in
 * nftables (nft.c), DHCP by one dnsmasq per network in its own namespace
 * (dhcp.c).
 *
 * apply() reconciles: it reads what exists (`ip -j -d link show`, our nft
 * tables, the dnsmasq pid files) and changes only what differs, so a
 * fresh daemon applying the state the last one left causes no gap.  The
 * order keeps ports filtered at every moment: stray devices go first,
 * then the nft transaction (rules are keyed by device name, so they are in
 * place before a new device exists), then devices are created or fixed,
 * then DHCP.  Everything runs in the network namespace of the calling
 * process; the devices we make carry an alias naming this driver
 * instance, and only those are ever removed. */
#include "network/dataplane/dp.h"

#include "core/core.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nb_dp_lb {
    struct nb_dp_dhcp *dhcp;
    struct nb_dp_nft *nft;
    /* The alias ("nubis:" + a hash of the state dir) our devices carry:
     * only devices with it are ever removed, so a tap0 of someone else, or
     * the devices of another nubis (another state dir) in the same
     * namespace, are never touched. */
    char alias[32];
};

/* ---- addresses */

int nb_dp_cidr_parse(const char *s, bool mask, int *family,
                     unsigned char addr[16], int *len)
{
    char buf[64];
    const char *slash;
    long n;
    int max;

    if (!s || strlen(s) >= sizeof(buf))
        return -EINVAL;
    slash = strchr(s, '/');
    snprintf(buf, sizeof(buf), "%.*s", (int)(slash ? slash - s : (long)strlen(s)), s);
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, buf, addr) == 1)
        *family = AF_INET;
    else if (inet_pton(AF_INET6, buf, addr) == 1)
        *family = AF_INET6;
    else
        return -EINVAL;
    max = *family == AF_INET ? 32 : 128;
    if (!slash)
        n = max;
    else if (nb_str_to_long(slash + 1, &n) < 0 || n < 0 || n > max)
        return -EINVAL;
    *len = (int)n;
    if (mask)
        for (int i = *len; i < max; i++)
            addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
    return 0;
}

int nb_dp_cidr_norm(const char *s, char out[64])
{
    unsigned char a[16];
    char txt[INET6_ADDRSTRLEN];
    int family, len;

    if (nb_dp_cidr_parse(s, true, &family, a, &len) < 0)
        return -EINVAL;
    inet_ntop(family, a, txt, sizeof(txt));
    if (len == (family == AF_INET ? 32 : 128))
        snprintf(out, 64, "%s", txt);
    else
        snprintf(out, 64, "%s/%d", txt, len);
    return 0;
}

int nb_dp_cidr_len(const char *cidr)
{
    unsigned char a[16];
    int family, len;

    return nb_dp_cidr_parse(cidr, false, &family, a, &len) < 0 ? -1 : len;
}

const struct nb_dp_subnet *nb_dp_subnet_of(const struct nb_dp_network *net,
                                           const char *ip)
{
    unsigned char a[16], n[16];
    int fa, fn, la, ln;

    if (nb_dp_cidr_parse(ip, false, &fa, a, &la) < 0)
        return NULL;
    for (size_t i = 0; i < net->nsubnets; i++) {
        if (nb_dp_cidr_parse(net->subnets[i].cidr, true, &fn, n, &ln) < 0 || fn != fa)
            continue;
        nb_dp_cidr_parse(ip, false, &fa, a, &la);
        for (int b = ln; b < (fa == AF_INET ? 32 : 128); b++)
            a[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
        if (memcmp(a, n, 16) == 0)
            return &net->subnets[i];
    }
    return NULL;
}

/* ---- validation: everything below ends up in ip, nft and dnsmasq input */

static bool nb_dp_name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

static bool nb_dp_mac_ok(const char *s)
{
    unsigned v[6];
    char end;

    return s && strlen(s) == 17 &&
           sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
                  &v[5], &end) == 6;
}

static bool nb_dp_ip_ok(const char *s)
{
    unsigned char a[16];
    int f, l;

    return nb_dp_cidr_parse(s, false, &f, a, &l) == 0;
}

static bool nb_dp_port_ok(const struct nb_dp_port *p)
{
    size_t i;

    if (!nb_dp_name_ok(p->id, 64) || !nb_dp_name_ok(p->ifname, 14) ||
        !nb_dp_mac_ok(p->mac))
        return false;
    for (i = 0; i < p->nips; i++)
        if (!nb_dp_ip_ok(p->ips[i]))
            return false;
    for (i = 0; i < p->npairs; i++)
        if (!nb_dp_ip_ok(p->pairs[i].ip) || !nb_dp_mac_ok(p->pairs[i].mac))
            return false;
    for (i = 0; i < p->ngroups; i++)
        if (!nb_dp_name_ok(p->groups[i], 64))
            return false;
    return true;
}

static bool nb_dp_network_ok(const struct nb_dp_network *n)
{
    size_t i;

    if (!nb_dp_name_ok(n->id, 64) || !nb_dp_name_ok(n->bridge, 15) ||
        (n->physical_network && !nb_dp_name_ok(n->physical_network, 15)) ||
        (n->dhcp_port && !nb_dp_port_ok(n->dhcp_port)))
        return false;
    for (i = 0; i < n->nsubnets; i++) {
        const struct nb_dp_subnet *s = &n->subnets[i];

        if (!nb_dp_name_ok(s->id, 64) || !nb_dp_ip_ok(s->cidr) ||
            (s->gateway_ip && !nb_dp_ip_ok(s->gateway_ip)))
            return false;
        for (size_t j = 0; j < s->ndns; j++)
            if (!nb_dp_ip_ok(s->dns_nameservers[j]))
                return false;
        for (size_t j = 0; j < s->nroutes; j++)
            if (!nb_dp_ip_ok(s->host_routes[j].destination) ||
                !nb_dp_ip_ok(s->host_routes[j].nexthop))
                return false;
    }
    for (i = 0; i < n->ndhcp_hosts; i++)
        if (!nb_dp_mac_ok(n->dhcp_hosts[i].mac) || !nb_dp_ip_ok(n->dhcp_hosts[i].ip))
            return false;
    return true;
}

/* Two objects that would share a device name: refused, as the second
 * would take over the first's device. */
static int nb_dp_names_unique(const struct nb_dp_state *st)
{
    struct nb_map *seen = nb_map_new(NULL);
    int r = 0;

    for (size_t i = 0; i < st->nnetworks + st->nports && r == 0; i++) {
        const char *names[2] = {NULL, NULL};

        if (i < st->nnetworks) {
            names[0] = st->networks[i].bridge;
            if (st->networks[i].dhcp_port)
                names[1] = st->networks[i].dhcp_port->ifname;
        } else {
            names[0] = st->ports[i - st->nnetworks].ifname;
        }
        for (int k = 0; k < 2 && names[k] && r == 0; k++) {
            if (nb_map_find(seen, names[k], NULL)) {
                nb_error("dataplane: two objects want the device name %s", names[k]);
                r = -EINVAL;
            }
            nb_map_set(seen, names[k], NULL);
        }
    }
    nb_map_free(seen);
    return r;
}

/* Returns 0, or -EINVAL naming the first bad object in the log. */
static int nb_dp_state_check(const struct nb_dp_state *st)
{
    size_t i, j;

    for (i = 0; i < st->nnetworks; i++)
        if (!nb_dp_network_ok(&st->networks[i])) {
            nb_error("dataplane: network %zu has a bad name or address", i);
            return -EINVAL;
        }
    for (i = 0; i < st->nports; i++)
        if (!nb_dp_port_ok(&st->ports[i])) {
            nb_error("dataplane: port %zu has a bad name or address", i);
            return -EINVAL;
        }
    for (i = 0; i < st->ngroups; i++) {
        const struct nb_dp_group *g = &st->groups[i];

        if (!nb_dp_name_ok(g->id, 64))
            return -EINVAL;
        for (j = 0; j < g->nmember_ips; j++)
            if (!nb_dp_ip_ok(g->member_ips[j]))
                return -EINVAL;
        for (j = 0; j < g->nrules; j++)
            if ((g->rules[j].remote_prefix && !nb_dp_ip_ok(g->rules[j].remote_prefix)) ||
                (g->rules[j].remote_group && !nb_dp_name_ok(g->rules[j].remote_group, 64)))
                return -EINVAL;
    }
    return nb_dp_names_unique(st);
}

/* ---- devices */

static const struct nb_dp_network *nb_dp_network_find(const struct nb_dp_state *st,
                                                      const char *id)
{
    for (size_t i = 0; i < st->nnetworks; i++)
        if (strcmp(st->networks[i].id, id) == 0)
            return &st->networks[i];
    return NULL;
}

/* What a device of ours must be. */
struct nb_dp_dev {
    const char *name;
    const char *kind;           /* "bridge", "veth", "tun" */
    const char *master;         /* NULL for bridges */
    const char *mac;            /* the guest's MAC (veth peer, tap: host side) */
    const char *peer_ns;        /* DHCP veth: the namespace of the peer */
    char peer[16];              /* veth peer name */
    int mtu;
    bool up;
};

static void nb_dp_dev_add(struct nb_dp_dev **v, size_t *n, const struct nb_dp_dev *d)
{
    *v = nb_xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = *d;
}

/* The devices 'st' wants, in creation order (bridges first). */
static size_t nb_dp_devices(const struct nb_dp_state *st, struct nb_dp_dev **out)
{
    struct nb_dp_dev *v = NULL;
    size_t n = 0, i;

    for (i = 0; i < st->nnetworks; i++) {
        const struct nb_dp_network *net = &st->networks[i];
        struct nb_dp_dev d = {.name = net->bridge, .kind = "bridge",
                              .mtu = net->mtu, .up = net->admin_up};

        nb_dp_dev_add(&v, &n, &d);
        if (net->dhcp_port) {
            d = (struct nb_dp_dev){.name = net->dhcp_port->ifname, .kind = "veth",
                                   .master = net->bridge, .mac = net->dhcp_port->mac,
                                   .mtu = net->mtu, .up = true};
            d.peer_ns = net->id;
            nb_dp_ns_ifname(net->dhcp_port, d.peer);
            nb_dp_dev_add(&v, &n, &d);
        }
    }
    for (i = 0; i < st->nports; i++) {
        const struct nb_dp_port *p = &st->ports[i];
        const struct nb_dp_network *net = nb_dp_network_find(st, p->network_id);
        struct nb_dp_dev d = {.name = p->ifname, .mac = p->mac};

        if (!net) {
            nb_warn("dataplane: port %s: network %s is not in the state", p->id,
                    p->network_id);
            continue;
        }
        d.kind = p->vif == NB_DP_VIF_VETH ? "veth" : "tun";
        d.master = net->bridge;
        d.mtu = net->mtu;
        d.up = p->admin_up && net->admin_up;
        if (p->vif == NB_DP_VIF_VETH)
            snprintf(d.peer, sizeof(d.peer), "%sp", p->ifname);
        nb_dp_dev_add(&v, &n, &d);
    }
    *out = v;
    return n;
}

bool nb_dp_link_up(const json_t *link)
{
    const json_t *f;
    size_t i;

    json_array_foreach(json_object_get(link, "flags"), i, f)
        if (json_is_string(f) && strcmp(json_string_value(f), "UP") == 0)
            return true;
    return false;
}

static const char *nb_dp_link_kind(const json_t *link)
{
    return nb_json_str(nb_json_obj(link, "linkinfo"), "info_kind");
}

/* "fe:16:3e:.." for the host side of a guest MAC "fa:16:3e:..", as Nova
 * and libvirt do, so the host end never answers for the guest. */
static void nb_dp_host_mac(const char *mac, char out[18])
{
    snprintf(out, 18, "fe%s", mac + 2);
}

/* Whether 'link' is ours: one of our prefixes, the right kind, and our
 * alias. */
static bool nb_dp_link_ours(const json_t *link, const char *alias)
{
    const char *name = nb_json_str(link, "ifname"), *kind = nb_dp_link_kind(link);
    const char *ifalias = nb_json_str(link, "ifalias");

    if (!name || !kind || !ifalias || strcmp(ifalias, alias) != 0)
        return false;
    if (strncmp(name, NB_DP_BRIDGE_PREFIX, strlen(NB_DP_BRIDGE_PREFIX)) == 0)
        return strcmp(kind, "bridge") == 0;
    if (strncmp(name, NB_DP_TAP_PREFIX, strlen(NB_DP_TAP_PREFIX)) == 0)
        return strcmp(kind, "veth") == 0 || strcmp(kind, "tun") == 0;
    return false;
}

/* Commands that remove the devices of ours 'want' does not name, or that
 * have the wrong kind (recreated later), into 'del'. */
static void nb_dp_links_strays(const json_t *links, const struct nb_dp_dev *want,
                               size_t nwant, const char *alias, struct nb_buf *del)
{
    struct nb_map *gone = nb_map_new(NULL);
    const json_t *l;
    size_t i, j;

    json_array_foreach(links, i, l) {
        const char *name = nb_json_str(l, "ifname"), *kind = nb_dp_link_kind(l);
        const char *peer = nb_json_str(l, "link");
        bool keep = false;

        /* deleting one end of a veth deletes the other */
        if (!nb_dp_link_ours(l, alias) || (peer && nb_map_find(gone, peer, NULL)))
            continue;
        for (j = 0; j < nwant && !keep; j++) {
            /* a veth peer still in our namespace belongs to its pair */
            keep = (strcmp(want[j].name, name) == 0 && strcmp(want[j].kind, kind) == 0) ||
                   (want[j].peer[0] && !want[j].peer_ns && strcmp(want[j].peer, name) == 0);
        }
        if (!keep) {
            nb_info("dataplane: removing stray device %s (%s)", name, kind);
            nb_buf_printf(del, "link del dev %s\n", name);
            nb_map_set(gone, name, NULL);
        }
    }
    nb_map_free(gone);
}

static const json_t *nb_dp_link_find(const json_t *links, const char *name)
{
    const json_t *l;
    size_t i;

    json_array_foreach(links, i, l)
        if (nb_json_str(l, "ifname") && strcmp(nb_json_str(l, "ifname"), name) == 0)
            return l;
    return NULL;
}

/* Commands that create the missing devices of 'want' and fix the others
 * (MTU, bridge, up/down) into 'b'. */
static void nb_dp_links_fix(const json_t *links, const struct nb_dp_dev *want,
                            size_t nwant, const char *alias, struct nb_buf *b)
{
    for (size_t i = 0; i < nwant; i++) {
        const struct nb_dp_dev *d = &want[i];
        const json_t *l = nb_dp_link_find(links, d->name);
        const char *kind = l ? nb_dp_link_kind(l) : NULL;
        const char *master = l ? nb_json_str(l, "master") : NULL;
        char hmac[18] = "";
        struct nb_buf set = {0};

        if (d->mac)
            nb_dp_host_mac(d->mac, hmac);
        if (!l || !kind || strcmp(kind, d->kind) != 0) {
            if (strcmp(d->kind, "bridge") == 0)
                nb_buf_printf(b, "link add name %s mtu %d type bridge\n", d->name, d->mtu);
            else if (strcmp(d->kind, "tun") == 0)
                nb_buf_printf(b, "tuntap add dev %s mode tap\n", d->name);
            else if (d->peer_ns)
                nb_buf_printf(b, "link add name %s mtu %d address %s type veth peer name "
                                 "%s mtu %d address %s netns " NB_DP_NS_PREFIX "%s\n",
                              d->name, d->mtu, hmac, d->peer, d->mtu, d->mac, d->peer_ns);
            else
                nb_buf_printf(b, "link add name %s mtu %d address %s type veth peer name "
                                 "%s mtu %d address %s\n",
                              d->name, d->mtu, hmac, d->peer, d->mtu, d->mac);
            nb_buf_printf(b, "link set dev %s addrgenmode none\n", d->name);
            if (strcmp(d->kind, "tun") == 0)
                nb_buf_printf(&set, " address %s mtu %d", hmac, d->mtu);
            l = NULL;
            master = NULL;
        } else if (json_integer_value(json_object_get(l, "mtu")) != d->mtu) {
            nb_buf_printf(&set, " mtu %d", d->mtu);
        }
        if (d->master && (!master || strcmp(master, d->master) != 0))
            nb_buf_printf(&set, " master %s", d->master);
        if (!l || nb_dp_link_up(l) != d->up)
            nb_buf_printf(&set, " %s", d->up ? "up" : "down");
        if (!l || !nb_json_str(l, "ifalias") || strcmp(nb_json_str(l, "ifalias"), alias) != 0)
            nb_buf_printf(b, "link set dev %s alias %s\n", d->name, alias);
        if (set.len)
            nb_buf_printf(b, "link set dev %s%s\n", d->name, set.buf);
        nb_buf_free(&set);
    }
}

/* Flat networks: the host interface named by physical_network joins the
 * bridge (never created or removed by us). */
static void nb_dp_links_physical(const json_t *links, const struct nb_dp_state *st,
                                 struct nb_buf *b)
{
    for (size_t i = 0; i < st->nnetworks; i++) {
        const struct nb_dp_network *net = &st->networks[i];
        const json_t *l;
        const char *master;

        if (!net->physical_network || !net->network_type ||
            strcmp(net->network_type, "flat") != 0)
            continue;
        l = nb_dp_link_find(links, net->physical_network);
        if (!l) {
            nb_warn("dataplane: network %s: no interface %s", net->id,
                    net->physical_network);
            continue;
        }
        master = nb_json_str(l, "master");
        if (!master || strcmp(master, net->bridge) != 0 || !nb_dp_link_up(l))
            nb_buf_printf(b, "link set dev %s master %s up\n", net->physical_network,
                          net->bridge);
    }
}

static int nb_dp_links_read(json_t **links)
{
    const char *args[] = {"-d", "link", "show", NULL};

    return nb_dp_ip_json(NULL, args, links);
}

/* bridge-nf-call-ip(6)tables: bridged IP through the inet hooks, so the
 * security groups have conntrack (per network namespace). */
static int nb_dp_sysctls(void)
{
    const char *files[] = {"/proc/sys/net/bridge/bridge-nf-call-iptables",
                           "/proc/sys/net/bridge/bridge-nf-call-ip6tables"};
    int r = 0;

    for (size_t i = 0; i < NB_ARRAY_SIZE(files); i++) {
        FILE *f = fopen(files[i], "r+");
        int v = 0;

        if (!f || fscanf(f, "%d", &v) != 1) {
            nb_error("dataplane: cannot read %s (br_netfilter missing?)", files[i]);
            r = -ENOENT;
        } else if (v != 1) {
            rewind(f);
            if (fputs("1\n", f) < 0)
                r = -EIO;
        }
        if (f && fclose(f) != 0)
            r = -EIO;
    }
    return r;
}

/* ---- the driver */

static int nb_dp_lb_init(const char *state_dir, void **dp)
{
    struct nb_dp_lb *lb = nb_xcalloc(1, sizeof(*lb));
    char *dir = nb_xasprintf("%s/dhcp", state_dir);

    lb->dhcp = nb_dp_dhcp_new(dir);
    free(dir);
    if (!lb->dhcp) {
        free(lb);
        return -EIO;
    }
    lb->nft = nb_dp_nft_new();
    snprintf(lb->alias, sizeof(lb->alias), "nubis:%08llx",
             (unsigned long long)(nb_dp_fnv(NB_DP_FNV_INIT, state_dir) & 0xffffffffULL));
    *dp = lb;
    return 0;
}

static int nb_dp_lb_apply(void *dp, const struct nb_dp_state *st)
{
    struct nb_dp_lb *lb = dp;
    struct nb_dp_dev *want = NULL;
    struct nb_buf del = {0}, fix = {0};
    json_t *links = NULL;
    size_t nwant;
    int r;

    r = nb_dp_state_check(st);
    if (r < 0)
        return r;
    nwant = nb_dp_devices(st, &want);
    r = nb_dp_sysctls();
    if (r < 0)
        goto out;
    r = nb_dp_dhcp_prepare(lb->dhcp, st);
    if (r < 0)
        goto out;
    r = nb_dp_links_read(&links);
    if (r < 0)
        goto out;
    nb_dp_links_strays(links, want, nwant, lb->alias, &del);
    /* a stray that cannot be removed does not stop the rest */
    nb_dp_ip_batch(NULL, del.buf);
    r = nb_dp_nft_sync(lb->nft, st, NULL, NULL);
    if (r < 0)
        goto out;
    if (del.len) {
        json_decref(links);
        r = nb_dp_links_read(&links);
        if (r < 0)
            goto out;
    }
    nb_dp_links_fix(links, want, nwant, lb->alias, &fix);
    nb_dp_links_physical(links, st, &fix);
    r = nb_dp_ip_batch(NULL, fix.buf);
    if (r < 0)
        goto out;
    r = nb_dp_dhcp_apply(lb->dhcp, st);
out:
    json_decref(links);
    nb_buf_free(&del);
    nb_buf_free(&fix);
    free(want);
    return r;
}

static void nb_dp_lb_tick(void *dp)
{
    struct nb_dp_lb *lb = dp;

    nb_dp_dhcp_tick(lb->dhcp);
}

static void nb_dp_lb_shutdown(void *dp)
{
    struct nb_dp_lb *lb = dp;

    if (!lb)
        return;
    nb_dp_dhcp_free(lb->dhcp);
    nb_dp_nft_free(lb->nft);
    free(lb);
}

const struct nb_dp_driver nb_dp_linuxbridge_driver = {
    .name = "linuxbridge",
    .init = nb_dp_lb_init,
    .apply = nb_dp_lb_apply,
    .tick = nb_dp_lb_tick,
    .shutdown = nb_dp_lb_shutdown,
};
