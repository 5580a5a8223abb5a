/* Port security and security groups as nftables rules, in two tables of
 * our own (`bridge nubis`, `inet nubis`), changed in one transaction.
 *
 * Conntrack does not work in the bridge family here (see HOST-NOTES), so:
 *  - bridge prerouting (priority -10, before br_netfilter): a frame from a
 *    port with port security jumps, by a verdict map on iifname, to the
 *    port's chain ps-<port>, which sets the packet mark's low 16 bits to
 *    the port's index and drops spoofed MAC/IP/ARP sources;
 *  - bridge forward (priority -10, before br_netfilter's hook at -1): a
 *    frame to such a port jumps to pd-<port>, which puts the port's index
 *    in the mark's high 16 bits;
 *  - with net.bridge.bridge-nf-call-ip(6)tables=1, bridged IP packets then
 *    cross the inet forward hook with conntrack: base chain `egress`
 *    (priority 0) jumps by the mark's low half to eg-<port> (the sender's
 *    egress rules), base chain `ingress` (priority 1, so an accept in
 *    egress does not skip it) by the high half to in-<port>.
 *  - eg-/in-<port> accept established traffic, Neutron's fixed DHCP and
 *    ICMPv6 rules, then jump to one chain per security group and
 *    direction (sg-<group>-eg, sg-<group>-in), whose rules accept; what no
 *    rule accepts is dropped.  remote_group rules match the sets
 *    rg4-<group> and rg6-<group>.
 * A group's rules live in one chain whatever the number of its ports, so a
 * rule change rewrites one chain.  Each network has its own conntrack
 * zone (inet prerouting at raw priority, by bridge name: the iifname of
 * bridged packets there), so networks with the same addresses never
 * share a connection.  After a transaction, the connections (in their
 * zone, via the conntrack tool) of every port whose filtering changed are
 * deleted, as Neutron does: a flow only a removed rule allowed stops.
 *
 * Diffing: every chain starts with `continue comment "nb:<hash>"`, the
 * hash of its definition.  A chain whose hash matches is not touched; one
 * that differs is flushed and refilled in the same transaction (atomic for
 * the packets).  Sets and map elements are compared element by element.
 * The port indexes are read back from the kernel's egress map, so a fresh
 * daemon keeps them. */
#include "network/dataplane/dp.h"

#include "core/core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB_NFT_MAX_PORTS 0xffff

enum nb_nft_kind { NB_NFT_GROUP, NB_NFT_PORT, NB_NFT_BASE };

struct nb_nft_chain {
    const char *family;
    char *name;
    const char *spec;               /* base chains: type, hook, priority */
    enum nb_nft_kind kind;
    struct nb_buf rules;            /* one rule a line */
    char hash[20];
};

struct nb_nft_set {
    const char *family;
    char *name;
    const char *decl;
    char **elems;                   /* canonical, sorted, no overlaps */
    size_t nelems;
};

/* A string map that remembers its keys in order (nb_map has no iterator). */
struct nb_nft_dict {
    struct nb_map *map;             /* key -> value (owned) */
    char **keys;
    size_t n;
};

/* The desired rule set, and what the kernel has. */
struct nb_nft {
    struct nb_nft_chain *chains;
    size_t nchains;
    struct nb_nft_set *sets;
    size_t nsets;
    struct nb_nft_dict elems;       /* "family map key" -> target chain */
    struct nb_nft_dict cur_chains;  /* "family name" -> hash ("" if none) */
    struct nb_nft_dict cur_sets;    /* "family name" -> elements, joined */
    struct nb_nft_dict cur_elems;   /* "family map key" -> target chain */
    struct nb_map *index;           /* port id -> index (as a pointer) */
    struct nb_map *zones;           /* bridge -> conntrack zone (pointer) */
};

/* What our tables held after our last transaction, so that the next
 * apply need not list them again (listing 100 ports' chains costs nft
 * about 0.1-0.2 s).  Re-read from the kernel at the first apply, after a
 * failure, and when older than NB_NFT_REREAD_US, so outside changes are
 * repaired within that time. */
struct nb_dp_nft {
    struct nb_nft_dict chains, sets, elems;   /* as cur_* of struct nb_nft */
    int64_t read_at;                        /* nb_mono_us() of the last read */
    bool valid;
};

#define NB_NFT_REREAD_US (60 * 1000000LL)

static const char *const nb_nft_maps[][3] = {
    /* family, name, declaration */
    {"bridge", "from-port", "{ type ifname : verdict; }"},
    {"bridge", "to-port", "{ type ifname : verdict; }"},
    {"inet", "egress-mark", "{ type mark : verdict; }"},
    {"inet", "ingress-mark", "{ type mark : verdict; }"},
    {"inet", "bridge-zone", "{ typeof iifname : ct zone; }"},
};

/* Sets 'key' to 'val' (taken). */
static void nb_nft_dict_set(struct nb_nft_dict *d, const char *key, char *val)
{
    if (!nb_map_find(d->map, key, NULL)) {
        d->keys = nb_xrealloc(d->keys, (d->n + 1) * sizeof(*d->keys));
        d->keys[d->n++] = nb_xstrdup(key);
    }
    nb_map_set(d->map, key, val);
}

static const char *nb_nft_dict_get(const struct nb_nft_dict *d, const char *key)
{
    void *v;

    return nb_map_find(d->map, key, &v) ? v : NULL;
}

static void nb_nft_dict_free(struct nb_nft_dict *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->keys[i]);
    free(d->keys);
    nb_map_free(d->map);
}

/* Splits "family name" (or "family map key") at the first space. */
static void nb_nft_split(const char *k, char family[16], const char **rest)
{
    size_t n = strcspn(k, " ");

    snprintf(family, 16, "%.*s", (int)(n < 15 ? n : 15), k);
    *rest = k[n] ? k + n + 1 : k + n;
}

uint64_t nb_dp_fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Adds a chain to the model; returns it (owned by 'm'). */
static struct nb_nft_chain *nb_nft_chain_new(struct nb_nft *m, const char *family,
                                             enum nb_nft_kind kind,
                                             const char *spec, char *name)
{
    struct nb_nft_chain *c;

    m->chains = nb_xrealloc(m->chains, (m->nchains + 1) * sizeof(*m->chains));
    c = &m->chains[m->nchains++];
    memset(c, 0, sizeof(*c));
    c->family = family;
    c->name = name;
    c->spec = spec;
    c->kind = kind;
    return c;
}

/* Appends one rule (printf-style) to chain 'c' (evaluated once). */
#define nb_nft_rule(c, ...)                                                   \
    do {                                                                      \
        struct nb_nft_chain *rule_chain_ = (c);                               \
        nb_buf_printf(&rule_chain_->rules, __VA_ARGS__);                      \
        nb_buf_puts(&rule_chain_->rules, "\n");                               \
    } while (0)

static void nb_nft_chain_seal(struct nb_nft_chain *c)
{
    uint64_t h = NB_DP_FNV_INIT;

    h = nb_dp_fnv(h, c->spec);
    h = nb_dp_fnv(h, "|");
    h = nb_dp_fnv(h, c->rules.buf);
    snprintf(c->hash, sizeof(c->hash), "%016llx", (unsigned long long)h);
}

static int nb_nft_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether canonical element 'a' lies inside canonical element 'b'. */
static bool nb_nft_inside(const char *a, const char *b)
{
    unsigned char x[16], y[16];
    int fa, fb, la, lb, i;

    if (nb_dp_cidr_parse(a, true, &fa, x, &la) < 0 ||
        nb_dp_cidr_parse(b, true, &fb, y, &lb) < 0 || fa != fb || lb > la)
        return false;
    for (i = 0; i < lb; i++) {
        int bit = 0x80 >> (i % 8);

        if ((x[i / 8] & bit) != (y[i / 8] & bit))
            return false;
    }
    return true;
}

/* Adds set 'name' with the members of 'ips' of 'family' (AF_INET or
 * AF_INET6), canonical, sorted, without one inside another (an interval
 * set refuses overlaps). */
static void nb_nft_set_new(struct nb_nft *m, char *name, int family,
                           const char *const *ips, size_t nips)
{
    struct nb_nft_set *s;
    size_t i, j, n = 0;
    char **v = nb_xcalloc(nips + 1, sizeof(*v));

    for (i = 0; i < nips; i++) {
        char norm[64];

        if (nb_dp_cidr_norm(ips[i], norm) < 0 ||
            (strchr(norm, ':') != NULL) != (family == AF_INET6))
            continue;
        v[n++] = nb_xstrdup(norm);
    }
    qsort(v, n, sizeof(*v), nb_nft_strcmp);
    for (i = 0; i < n; i++) {
        bool drop = false;

        for (j = 0; j < n && !drop; j++)
            drop = j != i && v[j] && v[i] &&
                   (strcmp(v[i], v[j]) == 0 ? j < i : nb_nft_inside(v[i], v[j]));
        if (drop) {
            free(v[i]);
            v[i] = NULL;
        }
    }
    for (i = j = 0; i < n; i++)
        if (v[i])
            v[j++] = v[i];
    m->sets = nb_xrealloc(m->sets, (m->nsets + 1) * sizeof(*m->sets));
    s = &m->sets[m->nsets++];
    s->family = "inet";
    s->name = name;
    s->decl = family == AF_INET ? "{ type ipv4_addr; flags interval; }"
                                : "{ type ipv6_addr; flags interval; }";
    s->elems = v;
    s->nelems = j;
}

static const struct nb_dp_group *nb_nft_group(const struct nb_dp_state *st,
                                              const char *id)
{
    for (size_t i = 0; id && i < st->ngroups; i++)
        if (strcmp(st->groups[i].id, id) == 0)
            return &st->groups[i];
    return NULL;
}

static bool nb_nft_proto_has_ports(int p)
{
    return p == 6 || p == 17 || p == 33 || p == 132 || p == 136;
}

/* One security-group rule as nft text in 'b' (appended); returns false
 * when the rule can never match (wrong-family prefix, unknown group). */
static bool nb_nft_sg_rule(const struct nb_dp_state *st,
                           const struct nb_dp_rule *r, struct nb_buf *b)
{
    const char *ip = r->ethertype == 6 ? "ip6" : "ip";
    const char *dir = r->ingress ? "saddr" : "daddr";
    int proto = r->protocol;

    nb_buf_printf(b, "meta nfproto %s", r->ethertype == 6 ? "ipv6" : "ipv4");
    if (r->remote_prefix) {
        char norm[64];

        if (nb_dp_cidr_norm(r->remote_prefix, norm) < 0 ||
            (strchr(norm, ':') != NULL) != (r->ethertype == 6))
            return false;
        if (strcmp(norm, "0.0.0.0/0") != 0 && strcmp(norm, "::/0") != 0)
            nb_buf_printf(b, " %s %s %s", ip, dir, norm);
    }
    if (r->remote_group) {
        if (!nb_nft_group(st, r->remote_group))
            return false;
        nb_buf_printf(b, " %s %s @rg%d-%s", ip, dir, r->ethertype == 6 ? 6 : 4,
                      r->remote_group);
    }
    if (proto == 1 && r->ethertype == 6)
        proto = 58;             /* Neutron: "icmp" on IPv6 means ICMPv6 */
    if (proto >= 0)
        nb_buf_printf(b, " meta l4proto %d", proto);
    if ((proto == 1 || proto == 58) && r->port_min >= 0) {
        const char *icmp = proto == 1 ? "icmp" : "icmpv6";

        nb_buf_printf(b, " %s type %d", icmp, r->port_min);
        if (r->port_max >= 0)
            nb_buf_printf(b, " %s code %d", icmp, r->port_max);
    } else if (nb_nft_proto_has_ports(proto) && r->port_min >= 0) {
        int max = r->port_max >= r->port_min ? r->port_max : r->port_min;

        if (max == r->port_min)
            nb_buf_printf(b, " th dport %d", max);
        else
            nb_buf_printf(b, " th dport %d-%d", r->port_min, max);
    }
    nb_buf_puts(b, " accept");
    return true;
}

static void nb_nft_groups(struct nb_nft *m, const struct nb_dp_state *st)
{
    for (size_t g = 0; g < st->ngroups; g++) {
        const struct nb_dp_group *grp = &st->groups[g];

        for (int in = 0; in < 2; in++) {
            struct nb_nft_chain *c = nb_nft_chain_new(
                m, "inet", NB_NFT_GROUP, NULL,
                nb_xasprintf("sg-%s-%s", grp->id, in ? "in" : "eg"));

            for (size_t i = 0; i < grp->nrules; i++) {
                struct nb_buf b = {0};

                if (grp->rules[i].ingress == (bool)in &&
                    nb_nft_sg_rule(st, &grp->rules[i], &b))
                    nb_nft_rule(c, "%s", b.buf);
                nb_buf_free(&b);
            }
        }
        nb_nft_set_new(m, nb_xasprintf("rg4-%s", grp->id), AF_INET,
                       grp->member_ips, grp->nmember_ips);
        nb_nft_set_new(m, nb_xasprintf("rg6-%s", grp->id), AF_INET6,
                       grp->member_ips, grp->nmember_ips);
    }
}

/* fe80::/64 address of 'mac' (modified EUI-64) in 'out' (64 bytes). */
static void nb_nft_eui64(const char *mac, char out[64])
{
    unsigned m[6] = {0};

    sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
    snprintf(out, 64, "fe80::%x:%x:%x:%x", ((m[0] ^ 2) << 8) | m[1],
             (m[2] << 8) | 0xff, 0xfe00 | m[3], (m[4] << 8) | m[5]);
}

/* The allowed (mac . address) pairs of 'p' for one family, as the inside
 * of an nft set ("a . b, c . d"); empty when none. */
static void nb_nft_sources(const struct nb_dp_port *p, bool v6, struct nb_buf *b)
{
    char norm[64];

    if (v6) {
        nb_nft_eui64(p->mac, norm);
        nb_buf_printf(b, "%s . %s", p->mac, norm);
    }
    for (size_t i = 0; i < p->nips; i++)
        if (nb_dp_cidr_norm(p->ips[i], norm) == 0 && (strchr(norm, ':') != NULL) == v6)
            nb_buf_printf(b, "%s%s . %s", b->len ? ", " : "", p->mac, norm);
    for (size_t i = 0; i < p->npairs; i++) {
        if (nb_dp_cidr_norm(p->pairs[i].ip, norm) == 0 &&
            (strchr(norm, ':') != NULL) == v6)
            nb_buf_printf(b, "%s%s . %s", b->len ? ", " : "", p->pairs[i].mac, norm);
        if (v6 && strcmp(p->pairs[i].mac, p->mac) != 0) {
            nb_nft_eui64(p->pairs[i].mac, norm);
            nb_buf_printf(b, ", %s . %s", p->pairs[i].mac, norm);
        }
    }
}

/* ps-<port>: frames from the port. */
static void nb_nft_port_from(struct nb_nft *m, const struct nb_dp_port *p,
                             unsigned idx)
{
    struct nb_nft_chain *c = nb_nft_chain_new(m, "bridge", NB_NFT_PORT, NULL,
                                              nb_xasprintf("ps-%s", p->id));
    struct nb_buf macs = {0}, v4 = {0}, v6 = {0};

    nb_buf_puts(&macs, p->mac);
    for (size_t i = 0; i < p->npairs; i++)
        if (!strstr(macs.buf, p->pairs[i].mac))
            nb_buf_printf(&macs, ", %s", p->pairs[i].mac);
    nb_nft_sources(p, false, &v4);
    nb_nft_sources(p, true, &v6);
    nb_nft_rule(c, "meta mark set 0x%x", idx);
    nb_nft_rule(c, "ether saddr != { %s } drop", macs.buf);
    if (v4.len)
        nb_nft_rule(c, "arp saddr ether . arp saddr ip != { %s } drop", v4.buf);
    else
        nb_nft_rule(c, "ether type arp drop");
    /* a DHCP client has no address yet */
    nb_nft_rule(c, "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 "
                   "udp dport 67 return");
    if (v4.len)
        nb_nft_rule(c, "ether saddr . ip saddr != { %s } drop", v4.buf);
    else
        nb_nft_rule(c, "ether type ip drop");
    /* duplicate address detection and MLD before an address is valid */
    nb_nft_rule(c, "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, "
                   "nd-router-solicit, mld-listener-report, mld2-listener-report } "
                   "return");
    nb_nft_rule(c, "ether saddr . ip6 saddr != { %s } drop", v6.buf);
    nb_nft_rule(c, "ether type != { ip, arp, ip6 } drop");
    nb_buf_free(&macs);
    nb_buf_free(&v4);
    nb_buf_free(&v6);
}

/* eg-<port> or in-<port>: the port's stateful security-group rules. */
static void nb_nft_port_sg(struct nb_nft *m, const struct nb_dp_state *st,
                           const struct nb_dp_port *p, bool in)
{
    struct nb_nft_chain *c = nb_nft_chain_new(
        m, "inet", NB_NFT_PORT, NULL, nb_xasprintf("%s-%s", in ? "in" : "eg", p->id));

    if (in) {
        nb_nft_rule(c, "ct state established,related accept");
        nb_nft_rule(c, "meta nfproto ipv4 udp sport 67 udp dport 68 accept");
        nb_nft_rule(c, "meta nfproto ipv6 udp sport 547 udp dport 546 accept");
        nb_nft_rule(c, "icmpv6 type { mld-listener-query, nd-router-advert, "
                       "nd-neighbor-solicit, nd-neighbor-advert } accept");
    } else {
        /* Neutron: DHCP and router discovery out; no DHCP or RA servers */
        nb_nft_rule(c, "meta nfproto ipv4 udp sport 68 udp dport 67 accept");
        nb_nft_rule(c, "meta nfproto ipv4 udp sport 67 udp dport 68 drop");
        nb_nft_rule(c, "meta nfproto ipv6 udp sport 546 udp dport 547 accept");
        nb_nft_rule(c, "meta nfproto ipv6 udp sport 547 udp dport 546 drop");
        nb_nft_rule(c, "icmpv6 type nd-router-advert drop");
        nb_nft_rule(c, "icmpv6 type { mld-listener-report, mld2-listener-report, "
                       "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } "
                       "accept");
        nb_nft_rule(c, "ct state established,related accept");
    }
    nb_nft_rule(c, "ct state invalid drop");
    for (size_t i = 0; i < p->ngroups; i++)
        if (nb_nft_group(st, p->groups[i]))     /* else: no rules from it */
            nb_nft_rule(c, "jump sg-%s-%s", p->groups[i], in ? "in" : "eg");
    nb_nft_rule(c, "drop");
}

static void nb_nft_elem(struct nb_nft *m, const char *family, const char *map,
                        const char *key, const char *target)
{
    char *k = nb_xasprintf("%s %s %s", family, map, key);

    nb_nft_dict_set(&m->elems, k, nb_xstrdup(target));
    free(k);
}

/* Numbers for keys[0..n-1] (NULL keys get 0) in out[]: the one 'known'
 * has (what the kernel holds), else the lowest free one from 1; 0 when
 * all NB_NFT_MAX_PORTS are taken.  Known ones first, so that a new key
 * cannot take the number of an existing one. */
static void nb_nft_assign(const struct nb_map *known, const char *const *keys, size_t n,
                          unsigned *out)
{
    bool *used = nb_xcalloc(NB_NFT_MAX_PORTS + 1, sizeof(*used));
    unsigned next = 1;
    void *v;
    size_t i;

    used[0] = true;
    for (i = 0; i < n; i++) {
        out[i] = 0;
        if (keys[i] && nb_map_find(known, keys[i], &v) && !used[(uintptr_t)v]) {
            out[i] = (unsigned)(uintptr_t)v;
            used[out[i]] = true;
        }
    }
    for (i = 0; i < n; i++) {
        if (!keys[i] || out[i])
            continue;
        while (next <= NB_NFT_MAX_PORTS && used[next])
            next++;
        if (next > NB_NFT_MAX_PORTS)
            break;
        out[i] = next;
        used[next] = true;
    }
    free(used);
}

/* One conntrack zone per network (by its bridge, the iifname bridged
 * packets have in the inet hooks): networks with the same addresses
 * never share connections. */
static void nb_nft_zones(struct nb_nft *m, const struct nb_dp_state *st)
{
    const char **keys = nb_xcalloc(st->nnetworks + 1, sizeof(*keys));
    unsigned *zone = nb_xcalloc(st->nnetworks + 1, sizeof(*zone));
    char value[16];

    for (size_t i = 0; i < st->nnetworks; i++)
        keys[i] = st->networks[i].bridge;
    nb_nft_assign(m->zones, keys, st->nnetworks, zone);
    for (size_t i = 0; i < st->nnetworks; i++) {
        if (!zone[i])
            continue;
        snprintf(value, sizeof(value), "%u", zone[i]);
        nb_nft_elem(m, "inet", "bridge-zone", keys[i], value);
    }
    free(keys);
    free(zone);
}

static void nb_nft_ports(struct nb_nft *m, const struct nb_dp_state *st)
{
    const char **keys = nb_xcalloc(st->nports + 1, sizeof(*keys));
    unsigned *idx = nb_xcalloc(st->nports + 1, sizeof(*idx));
    size_t i;

    for (i = 0; i < st->nports; i++)
        keys[i] = st->ports[i].port_security ? st->ports[i].id : NULL;
    nb_nft_assign(m->index, keys, st->nports, idx);
    for (i = 0; i < st->nports; i++) {
        const struct nb_dp_port *p = &st->ports[i];
        char key[32], *target;

        if (!p->port_security)
            continue;
        if (!idx[i]) {
            nb_error("dataplane: more than %d ports with port security; %s unfiltered",
                     NB_NFT_MAX_PORTS, p->id);
            continue;
        }
        nb_nft_port_from(m, p, idx[i]);
        nb_nft_rule(nb_nft_chain_new(m, "bridge", NB_NFT_PORT, NULL,
                                     nb_xasprintf("pd-%s", p->id)),
                    "meta mark set meta mark & 0x0000ffff | 0x%x", idx[i] << 16);
        nb_nft_port_sg(m, st, p, false);
        nb_nft_port_sg(m, st, p, true);
        target = nb_xasprintf("ps-%s", p->id);
        nb_nft_elem(m, "bridge", "from-port", p->ifname, target);
        free(target);
        target = nb_xasprintf("pd-%s", p->id);
        nb_nft_elem(m, "bridge", "to-port", p->ifname, target);
        free(target);
        snprintf(key, sizeof(key), "%u", idx[i]);
        target = nb_xasprintf("eg-%s", p->id);
        nb_nft_elem(m, "inet", "egress-mark", key, target);
        free(target);
        snprintf(key, sizeof(key), "%u", idx[i] << 16);
        target = nb_xasprintf("in-%s", p->id);
        nb_nft_elem(m, "inet", "ingress-mark", key, target);
        free(target);
    }
    free(keys);
    free(idx);
}

static void nb_nft_bases(struct nb_nft *m)
{
    static const char *const base[][4] = {
        /* family, name, spec, rule */
        {"bridge", "prerouting",
         "{ type filter hook prerouting priority -10; policy accept; }",
         "iifname vmap @from-port"},
        {"bridge", "forward",
         "{ type filter hook forward priority -10; policy accept; }",
         "oifname vmap @to-port"},
        {"inet", "egress", "{ type filter hook forward priority 0; policy accept; }",
         "meta mark & 0x0000ffff vmap @egress-mark"},
        {"inet", "ingress", "{ type filter hook forward priority 1; policy accept; }",
         "meta mark & 0xffff0000 vmap @ingress-mark"},
        /* before conntrack (-200) looks the packet up */
        {"inet", "zone", "{ type filter hook prerouting priority -300; policy accept; }",
         "ct zone set iifname map @bridge-zone"},
    };

    for (size_t i = 0; i < NB_ARRAY_SIZE(base); i++)
        nb_nft_rule(nb_nft_chain_new(m, base[i][0], NB_NFT_BASE, base[i][2],
                                     nb_xstrdup(base[i][1])),
                    "%s", base[i][3]);
}

/* ---- what the kernel has */

/* A set or map element's key or value as text: "10.0.0.0/24", "tap1",
 * "5", "10.0.0.1-10.0.0.3", or a jump's target chain. */
static void nb_nft_elem_text(const json_t *e, struct nb_buf *b)
{
    const json_t *x;

    if (json_is_string(e)) {
        nb_buf_puts(b, json_string_value(e));
    } else if (json_is_integer(e)) {
        nb_buf_printf(b, "%lld", (long long)json_integer_value(e));
    } else if ((x = json_object_get(e, "prefix"))) {
        nb_buf_printf(b, "%s/%lld", nb_json_str(x, "addr") ? nb_json_str(x, "addr") : "",
                      (long long)json_integer_value(json_object_get(x, "len")));
    } else if ((x = json_object_get(e, "range")) && json_array_size(x) == 2) {
        nb_nft_elem_text(json_array_get(x, 0), b);
        nb_buf_puts(b, "-");
        nb_nft_elem_text(json_array_get(x, 1), b);
    } else if ((x = json_object_get(e, "elem"))) {
        nb_nft_elem_text(json_object_get(x, "val"), b);
    } else if ((x = json_object_get(e, "jump")) || (x = json_object_get(e, "goto"))) {
        nb_buf_puts(b, nb_json_str(x, "target") ? nb_json_str(x, "target") : "");
    }
}

/* A set's elements (sorted, joined by ",") into cur_sets, or a map's
 * elements into cur_elems. */
static void nb_nft_read_set(struct nb_nft *m, const char *family, const json_t *s,
                            bool is_map)
{
    const char *name = nb_json_str(s, "name");
    const json_t *elems = json_object_get(s, "elem"), *e;
    char **v = nb_xcalloc(json_array_size(elems) + 1, sizeof(*v));
    struct nb_buf joined = {0};
    size_t i, n = 0;
    char *key;

    json_array_foreach(elems, i, e) {
        struct nb_buf k = {0}, t = {0};

        if (is_map && json_is_array(e) && json_array_size(e) == 2) {
            nb_nft_elem_text(json_array_get(e, 0), &k);
            nb_nft_elem_text(json_array_get(e, 1), &t);
            key = nb_xasprintf("%s %s %s", family, name, k.buf ? k.buf : "");
            nb_nft_dict_set(&m->cur_elems, key, nb_xstrdup(t.buf ? t.buf : ""));
            free(key);
        } else if (!is_map) {
            nb_nft_elem_text(e, &k);
            v[n++] = nb_xstrdup(k.buf ? k.buf : "");
        }
        nb_buf_free(&k);
        nb_buf_free(&t);
    }
    qsort(v, n, sizeof(*v), nb_nft_strcmp);
    for (i = 0; i < n; i++) {
        nb_buf_printf(&joined, "%s%s", i ? "," : "", v[i]);
        free(v[i]);
    }
    free(v);
    if (!is_map) {
        key = nb_xasprintf("%s %s", family, name);
        nb_nft_dict_set(&m->cur_sets, key, nb_xstrdup(joined.buf ? joined.buf : ""));
        free(key);
    }
    nb_buf_free(&joined);
}

/* Reads 'current': a JSON array of `nft -j list table` outputs. */
static void nb_nft_read(struct nb_nft *m, const json_t *current)
{
    const json_t *list, *item, *o;
    size_t i, j;

    json_array_foreach(current, i, list) {
        json_array_foreach(json_object_get(list, "nftables"), j, item) {
            const char *family, *name, *comment, *old;
            char *key;

            if ((o = json_object_get(item, "chain"))) {
                key = nb_xasprintf("%s %s", nb_json_str(o, "family"), nb_json_str(o, "name"));
                if (!nb_nft_dict_get(&m->cur_chains, key))
                    nb_nft_dict_set(&m->cur_chains, key, nb_xstrdup(""));
                free(key);
            } else if ((o = json_object_get(item, "rule"))) {
                comment = nb_json_str(o, "comment");
                if (!comment || strncmp(comment, "nb:", 3) != 0)
                    continue;
                key = nb_xasprintf("%s %s", nb_json_str(o, "family"), nb_json_str(o, "chain"));
                old = nb_nft_dict_get(&m->cur_chains, key);
                if (!old || !*old)
                    nb_nft_dict_set(&m->cur_chains, key, nb_xstrdup(comment + 3));
                free(key);
            } else if ((o = json_object_get(item, "set")) ||
                       (o = json_object_get(item, "map"))) {
                family = nb_json_str(o, "family");
                name = nb_json_str(o, "name");
                if (family && name)
                    nb_nft_read_set(m, family, o, json_object_get(item, "map") != NULL);
            }
        }
    }
}

/* The port indexes ("inet egress-mark N" -> "eg-<port>") and the zones
 * ("inet bridge-zone <bridge>" -> N) the kernel has. */
static void nb_nft_read_index(struct nb_nft *m)
{
    for (size_t i = 0; i < m->cur_elems.n; i++) {
        const char *k = m->cur_elems.keys[i], *v = nb_nft_dict_get(&m->cur_elems, k);
        long n;

        if (strncmp(k, "inet egress-mark ", 17) == 0 && strncmp(v, "eg-", 3) == 0 &&
            nb_str_to_long(k + 17, &n) == 0 && n > 0 && n <= NB_NFT_MAX_PORTS)
            nb_map_set(m->index, v + 3, (void *)(uintptr_t)n);
        else if (strncmp(k, "inet bridge-zone ", 17) == 0 && nb_str_to_long(v, &n) == 0 &&
                 n > 0 && n <= NB_NFT_MAX_PORTS)
            nb_map_set(m->zones, k + 17, (void *)(uintptr_t)n);
    }
}

/* ---- the transaction */

static bool nb_nft_chain_current(const struct nb_nft *m, const struct nb_nft_chain *c)
{
    char *key = nb_xasprintf("%s %s", c->family, c->name);
    const char *h = nb_nft_dict_get(&m->cur_chains, key);

    free(key);
    return h && strcmp(h, c->hash) == 0;
}

static void nb_nft_emit_chains(const struct nb_nft *m, enum nb_nft_kind kind,
                               struct nb_buf *tx)
{
    for (size_t i = 0; i < m->nchains; i++) {
        const struct nb_nft_chain *c = &m->chains[i];
        const char *r, *nl;

        if (c->kind != kind || nb_nft_chain_current(m, c))
            continue;
        nb_buf_printf(tx, "add chain %s " NB_DP_TABLE " %s%s%s\n", c->family,
                      c->name, c->spec ? " " : "", c->spec ? c->spec : "");
        nb_buf_printf(tx, "flush chain %s " NB_DP_TABLE " %s\n", c->family, c->name);
        nb_buf_printf(tx, "add rule %s " NB_DP_TABLE " %s continue comment \"nb:%s\"\n",
                      c->family, c->name, c->hash);
        for (r = c->rules.buf; r && *r; r = nl + 1) {
            nl = strchr(r, '\n');
            nb_buf_printf(tx, "add rule %s " NB_DP_TABLE " %s %.*s\n", c->family,
                          c->name, (int)(nl - r), r);
        }
    }
}

static void nb_nft_emit_sets(const struct nb_nft *m, struct nb_buf *tx)
{
    for (size_t i = 0; i < m->nsets; i++) {
        const struct nb_nft_set *s = &m->sets[i];
        struct nb_buf joined = {0};
        char *key = nb_xasprintf("%s %s", s->family, s->name);
        const char *cur = nb_nft_dict_get(&m->cur_sets, key);

        for (size_t j = 0; j < s->nelems; j++)
            nb_buf_printf(&joined, "%s%s", j ? "," : "", s->elems[j]);
        if (!cur || strcmp(cur, joined.buf ? joined.buf : "") != 0) {
            nb_buf_printf(tx, "add set %s " NB_DP_TABLE " %s %s\n", s->family,
                          s->name, s->decl);
            nb_buf_printf(tx, "flush set %s " NB_DP_TABLE " %s\n", s->family, s->name);
            if (s->nelems) {
                nb_buf_printf(tx, "add element %s " NB_DP_TABLE " %s { ", s->family,
                              s->name);
                for (size_t j = 0; j < s->nelems; j++)
                    nb_buf_printf(tx, "%s%s", j ? ", " : "", s->elems[j]);
                nb_buf_puts(tx, " }\n");
            }
        }
        free(key);
        nb_buf_free(&joined);
    }
}

/* Map elements: stale and changed ones deleted (add false), missing and
 * changed ones added (add true).  ifname keys are quoted, marks not. */
static void nb_nft_emit_elems(const struct nb_nft *m, bool add, struct nb_buf *tx)
{
    const struct nb_nft_dict *from = add ? &m->elems : &m->cur_elems;
    const struct nb_nft_dict *other = add ? &m->cur_elems : &m->elems;

    for (size_t i = 0; i < from->n; i++) {
        const char *k = from->keys[i], *v = nb_nft_dict_get(from, k);
        const char *o = nb_nft_dict_get(other, k), *rest, *key;
        char family[16], map[32];
        const char *q;

        if (o && strcmp(o, v) == 0)
            continue;
        nb_nft_split(k, family, &rest);
        key = rest + strcspn(rest, " ");
        snprintf(map, sizeof(map), "%.*s", (int)(key - rest), rest);
        key += *key ? 1 : 0;
        q = strcmp(family, "bridge") == 0 || strcmp(map, "bridge-zone") == 0 ? "\"" : "";
        if (add && strcmp(map, "bridge-zone") == 0)
            nb_buf_printf(tx, "add element %s " NB_DP_TABLE " %s { \"%s\" : %s }\n",
                          family, map, key, v);
        else if (add)
            nb_buf_printf(tx, "add element %s " NB_DP_TABLE " %s { %s%s%s : jump %s }\n",
                          family, map, q, key, q, v);
        else
            nb_buf_printf(tx, "delete element %s " NB_DP_TABLE " %s { %s%s%s }\n",
                          family, map, q, key, q);
    }
}

/* Chains and sets of the kernel that the model does not have. */
static void nb_nft_emit_strays(const struct nb_nft *m, struct nb_buf *tx)
{
    struct nb_map *want = nb_map_new(NULL);
    char family[16];
    const char *name;
    size_t i;

    for (i = 0; i < m->nchains; i++) {
        char *key = nb_xasprintf("%s %s", m->chains[i].family, m->chains[i].name);

        nb_map_set(want, key, NULL);
        free(key);
    }
    for (i = 0; i < m->nsets; i++) {
        char *key = nb_xasprintf("%s %s", m->sets[i].family, m->sets[i].name);

        nb_map_set(want, key, NULL);
        free(key);
    }
    /* port chains (they jump to group chains) go before group chains */
    for (int pass = 0; pass < 2; pass++)
        for (i = 0; i < m->cur_chains.n; i++) {
            const char *k = m->cur_chains.keys[i];

            nb_nft_split(k, family, &name);
            if (nb_map_find(want, k, NULL) || (strncmp(name, "sg-", 3) == 0) != (pass == 1))
                continue;
            nb_buf_printf(tx, "flush chain %s " NB_DP_TABLE " %s\n", family, name);
            nb_buf_printf(tx, "delete chain %s " NB_DP_TABLE " %s\n", family, name);
        }
    for (i = 0; i < m->cur_sets.n; i++) {
        const char *k = m->cur_sets.keys[i];

        nb_nft_split(k, family, &name);
        if (!nb_map_find(want, k, NULL))
            nb_buf_printf(tx, "delete set %s " NB_DP_TABLE " %s\n", family, name);
    }
    nb_map_free(want);
}

static void nb_nft_free(struct nb_nft *m)
{
    size_t i, j;

    for (i = 0; i < m->nchains; i++) {
        free(m->chains[i].name);
        nb_buf_free(&m->chains[i].rules);
    }
    free(m->chains);
    for (i = 0; i < m->nsets; i++) {
        for (j = 0; j < m->sets[i].nelems; j++)
            free(m->sets[i].elems[j]);
        free(m->sets[i].elems);
        free(m->sets[i].name);
    }
    free(m->sets);
    nb_nft_dict_free(&m->elems);
    nb_nft_dict_free(&m->cur_chains);
    nb_nft_dict_free(&m->cur_sets);
    nb_nft_dict_free(&m->cur_elems);
    nb_map_free(m->index);
    nb_map_free(m->zones);
}

/* Reads our two tables from the kernel into a new JSON array (see
 * nb_nft_read); the caller releases it.  A missing table is empty. */
static json_t *nb_nft_list(void)
{
    json_t *all = json_array();
    const char *families[] = {"bridge", "inet"};

    for (size_t i = 0; i < NB_ARRAY_SIZE(families); i++) {
        const char *argv[] = {"nft", "-j", "list", "table", families[i], NB_DP_TABLE, NULL};
        char *text = NULL;
        json_t *j;

        if (nb_dp_run(argv, NULL, &text, true) == 0 && (j = json_loads(text, 0, NULL)))
            json_array_append_new(all, j);
        free(text);
    }
    return all;
}

/* How many times 'needle' occurs in 'text'. */
static size_t nb_nft_count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void nb_nft_dict_init(struct nb_nft_dict *d)
{
    memset(d, 0, sizeof(*d));
    d->map = nb_map_new(free);
}

static void nb_nft_dict_swap(struct nb_nft_dict *a, struct nb_nft_dict *b)
{
    struct nb_nft_dict t = *a;

    *a = *b;
    *b = t;
}

struct nb_dp_nft *nb_dp_nft_new(void)
{
    struct nb_dp_nft *c = nb_xcalloc(1, sizeof(*c));

    nb_nft_dict_init(&c->chains);
    nb_nft_dict_init(&c->sets);
    nb_nft_dict_init(&c->elems);
    return c;
}

void nb_dp_nft_free(struct nb_dp_nft *c)
{
    if (!c)
        return;
    nb_nft_dict_free(&c->chains);
    nb_nft_dict_free(&c->sets);
    nb_nft_dict_free(&c->elems);
    free(c);
}

/* After a successful transaction: the cache holds what the model wanted
 * (taken from 'm'). */
static void nb_nft_remember(struct nb_dp_nft *c, struct nb_nft *m)
{
    nb_nft_dict_free(&c->chains);
    nb_nft_dict_free(&c->sets);
    nb_nft_dict_init(&c->chains);
    nb_nft_dict_init(&c->sets);
    for (size_t i = 0; i < m->nchains; i++) {
        char *key = nb_xasprintf("%s %s", m->chains[i].family, m->chains[i].name);

        nb_nft_dict_set(&c->chains, key, nb_xstrdup(m->chains[i].hash));
        free(key);
    }
    for (size_t i = 0; i < m->nsets; i++) {
        struct nb_buf joined = {0};
        char *key = nb_xasprintf("%s %s", m->sets[i].family, m->sets[i].name);

        for (size_t j = 0; j < m->sets[i].nelems; j++)
            nb_buf_printf(&joined, "%s%s", j ? "," : "", m->sets[i].elems[j]);
        nb_nft_dict_set(&c->sets, key, nb_xstrdup(joined.buf ? joined.buf : ""));
        nb_buf_free(&joined);
        free(key);
    }
    nb_nft_dict_swap(&c->elems, &m->elems);
    c->valid = true;
}

/* ---- conntrack: established flows a change no longer allows */

/* Whether the kernel's set 'cur' (elements joined by ",") has an element
 * that 's' no longer has. */
static bool nb_nft_set_lost(const struct nb_nft_set *s, const char *cur)
{
    char *copy = nb_xstrdup(cur), *save = NULL;
    bool lost = false;

    for (char *e = strtok_r(copy, ",", &save); e && !lost; e = strtok_r(NULL, ",", &save)) {
        lost = true;
        for (size_t j = 0; j < s->nelems && lost; j++)
            lost = strcmp(s->elems[j], e) != 0;
    }
    free(copy);
    return lost;
}

/* The names of the inet chains the transaction rewrote (they were in the
 * kernel with other rules) and "rg:<group>" for each remote-group set
 * that lost an address, in a new map the caller frees. */
static struct nb_map *nb_nft_changed(const struct nb_nft *m)
{
    struct nb_map *changed = nb_map_new(NULL);

    for (size_t i = 0; i < m->nchains; i++) {
        const struct nb_nft_chain *c = &m->chains[i];
        char *key = nb_xasprintf("%s %s", c->family, c->name);
        const char *h = nb_nft_dict_get(&m->cur_chains, key);

        if (c->kind != NB_NFT_BASE && strcmp(c->family, "inet") == 0 && h &&
            strcmp(h, c->hash) != 0)
            nb_map_set(changed, c->name, NULL);
        free(key);
    }
    for (size_t i = 0; i < m->nsets; i++) {
        char *key = nb_xasprintf("%s %s", m->sets[i].family, m->sets[i].name);
        const char *cur = nb_nft_dict_get(&m->cur_sets, key);

        free(key);
        if (cur && *cur && nb_nft_set_lost(&m->sets[i], cur)) {
            key = nb_xasprintf("rg:%s", m->sets[i].name + 4);
            nb_map_set(changed, key, NULL);
            free(key);
        }
    }
    return changed;
}

/* Whether a rewritten chain or a shrunk set of 'changed' filters 'p'. */
static bool nb_nft_port_changed(const struct nb_map *changed,
                                const struct nb_dp_state *st,
                                const struct nb_dp_port *p)
{
    /* prefix, suffix: eg-/in-<port>, sg-<group>-eg/-in, rg:<remote group> */
    static const char *const kinds[][2] = {
        {"eg-", ""}, {"in-", ""}, {"sg-", "-eg"}, {"sg-", "-in"}, {"rg:", ""}};
    bool hit = false;

    for (size_t g = 0; g <= p->ngroups && !hit; g++) {
        const struct nb_dp_group *grp = g ? nb_nft_group(st, p->groups[g - 1]) : NULL;

        for (size_t k = g ? 2 : 0; k < (g ? 4 : 2) && !hit; k++) {
            char *name = nb_xasprintf("%s%s%s", kinds[k][0],
                                      g ? p->groups[g - 1] : p->id, kinds[k][1]);

            hit = nb_map_find(changed, name, NULL);
            free(name);
        }
        for (size_t r = 0; grp && r < grp->nrules && !hit; r++) {
            char *name;

            if (!grp->rules[r].remote_group)
                continue;
            name = nb_xasprintf("%s%s", kinds[4][0], grp->rules[r].remote_group);
            hit = nb_map_find(changed, name, NULL);
            free(name);
        }
    }
    return hit;
}

/* After a transaction: deletes, in the network's conntrack zone, the
 * connections of every port whose filtering changed (a group's rules, its
 * groups, a remote group's members), as Neutron does, so a flow a removed
 * rule allowed stops.  Still-allowed flows are re-evaluated as new and
 * go on.  Fails quietly (no conntrack tool: established flows stay). */
static void nb_nft_ct_flush(const struct nb_nft *m, const struct nb_dp_state *st)
{
    struct nb_map *changed = nb_nft_changed(m);
    size_t flushed = 0;

    for (size_t i = 0; i < st->nports; i++) {
        const struct nb_dp_port *p = &st->ports[i];
        const struct nb_dp_network *net = NULL;
        const char *zone;
        char *key;

        for (size_t n = 0; n < st->nnetworks && !net; n++)
            if (strcmp(st->networks[n].id, p->network_id) == 0)
                net = &st->networks[n];
        if (!p->port_security || !net || !nb_nft_port_changed(changed, st, p))
            continue;
        key = nb_xasprintf("inet bridge-zone %s", net->bridge);
        zone = nb_nft_dict_get(&m->elems, key);
        for (size_t a = 0; zone && a < p->nips + p->npairs; a++) {
            const char *ip = a < p->nips ? p->ips[a] : p->pairs[a - p->nips].ip;

            for (int d = 0; d < 2 && !strchr(ip, '/'); d++) {
                const char *argv[] = {"conntrack", "-D", "-w", zone,
                                      d ? "-d" : "-s", ip, NULL};

                nb_dp_run(argv, NULL, NULL, true);   /* exits 1 when none */
            }
        }
        flushed++;
        free(key);
    }
    if (flushed)
        nb_info("dataplane: conntrack: connections of %zu port(s) deleted", flushed);
    nb_map_free(changed);
}

int nb_dp_nft_sync(struct nb_dp_nft *cache, const struct nb_dp_state *state,
                   const json_t *current, char **script)
{
    struct nb_nft m = {0};
    struct nb_buf tx = {0};
    json_t *listed = NULL;
    bool cached = false;
    size_t i;
    int r = 0;

    nb_nft_dict_init(&m.elems);
    nb_nft_dict_init(&m.cur_chains);
    nb_nft_dict_init(&m.cur_sets);
    nb_nft_dict_init(&m.cur_elems);
    m.index = nb_map_new(NULL);
    m.zones = nb_map_new(NULL);
    if (!script && cache && cache->valid && nb_mono_us() - cache->read_at < NB_NFT_REREAD_US) {
        nb_nft_dict_swap(&m.cur_chains, &cache->chains);
        nb_nft_dict_swap(&m.cur_sets, &cache->sets);
        nb_nft_dict_swap(&m.cur_elems, &cache->elems);
        cached = true;
    } else if (!script) {
        current = listed = nb_nft_list();
        if (cache)
            cache->read_at = nb_mono_us();
    }
    if (cache)
        cache->valid = false;
    if (current)
        nb_nft_read(&m, current);
    nb_nft_read_index(&m);
    nb_nft_groups(&m, state);
    nb_nft_zones(&m, state);
    nb_nft_ports(&m, state);
    nb_nft_bases(&m);
    for (i = 0; i < m.nchains; i++)
        nb_nft_chain_seal(&m.chains[i]);

    nb_buf_puts(&tx, "add table bridge " NB_DP_TABLE "\nadd table inet " NB_DP_TABLE "\n");
    nb_nft_emit_sets(&m, &tx);
    for (i = 0; i < NB_ARRAY_SIZE(nb_nft_maps); i++)
        nb_buf_printf(&tx, "add map %s " NB_DP_TABLE " %s %s\n", nb_nft_maps[i][0],
                      nb_nft_maps[i][1], nb_nft_maps[i][2]);
    nb_nft_emit_chains(&m, NB_NFT_GROUP, &tx);
    nb_nft_emit_chains(&m, NB_NFT_PORT, &tx);
    nb_nft_emit_elems(&m, false, &tx);
    nb_nft_emit_elems(&m, true, &tx);
    nb_nft_emit_chains(&m, NB_NFT_BASE, &tx);
    nb_nft_emit_strays(&m, &tx);
    nb_buf_add(&tx, "", 0);
    nb_info("dataplane: nft: %zu chains written, %zu removed, %zu sets written, "
            "%zu map elements changed (against %s)",
            nb_nft_count(tx.buf, "\nadd chain "), nb_nft_count(tx.buf, "\ndelete chain "),
            nb_nft_count(tx.buf, "\nflush set "),
            nb_nft_count(tx.buf, " : jump ") + nb_nft_count(tx.buf, "\ndelete element ") +
                nb_nft_count(tx.buf, "\nadd element inet " NB_DP_TABLE " bridge-zone "),
            script ? "the given tables" : cached ? "the last transaction" : "the kernel");
    if (script) {
        *script = nb_buf_steal(&tx);
    } else {
        const char *argv[] = {"nft", "-f", "-", NULL};

        r = nb_dp_run(argv, tx.buf, NULL, false);
        if (r < 0)
            nb_error("dataplane: the nftables transaction failed; nothing changed");
        if (r == 0)
            nb_nft_ct_flush(&m, state);
        if (r == 0 && cache)
            nb_nft_remember(cache, &m);
    }
    nb_buf_free(&tx);
    json_decref(listed);
    nb_nft_free(&m);
    return r;
}
