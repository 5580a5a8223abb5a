/* IPAM: one row per allocated address in net_ipallocs, whose primary key
 * (subnet_id, ip) makes a double assignment impossible on both backends.
 * An allocation inserts with ON CONFLICT DO NOTHING inside the port's
 * transaction: a row someone else took (committed, or committing on
 * PostgreSQL, where the insert waits for the other transaction) changes
 * nothing, and the next free address is tried. */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>

/* Parsed pools of a subnet. */
struct nb_ipam_subnet {
    int version, prefix;
    nb_ip_t base, last, gw;
    bool has_gw;
    size_t npools;
    nb_ip_t start[64], end[64];
};

static void nb_ipam_subnet_parse(const json_t *sn, struct nb_ipam_subnet *s)
{
    size_t i;
    json_t *p;
    int v;
    memset(s, 0, sizeof(*s));
    nb_cidr_parse(nb_json_str(sn, "cidr"), false, &s->version, &s->base, &s->prefix);
    s->last = nb_cidr_last(s->version, s->base, s->prefix);
    s->has_gw = nb_ip_parse(nb_json_str(sn, "gateway_ip"), &v, &s->gw) == 0;
    json_array_foreach(json_object_get(sn, "allocation_pools"), i, p) {
        if (s->npools == NB_ARRAY_SIZE(s->start) ||
            nb_ip_parse(nb_json_str(p, "start"), &v, &s->start[s->npools]) < 0 ||
            nb_ip_parse(nb_json_str(p, "end"), &v, &s->end[s->npools]) < 0)
            continue;
        s->npools++;
    }
}

int64_t nb_ipam_pool_size(const json_t *subnet)
{
    struct nb_ipam_subnet s;
    nb_ip_t total = 0;
    nb_ipam_subnet_parse(subnet, &s);
    for (size_t i = 0; i < s.npools; i++)
        total += s.end[i] - s.start[i] + 1;
    return total > (nb_ip_t)INT64_MAX ? INT64_MAX : (int64_t)total;
}

static int nb_ipam_cmp(const void *a, const void *b)
{
    nb_ip_t x = *(const nb_ip_t *)a, y = *(const nb_ip_t *)b;
    return x < y ? -1 : x > y;
}

/* Inserts the allocation row: 0, -EEXIST when taken. */
static int nb_ipam_take(struct nb_tx *tx, const json_t *sn, const char *port_id,
                        const char *ip)
{
    int changes = 0;
    int r = nb_tx_exec(tx, &changes,
                       "INSERT INTO net_ipallocs (subnet_id, ip, port_id, network_id)"
                       " VALUES (?, ?, ?, ?) ON CONFLICT (subnet_id, ip) DO NOTHING",
                       "ssss", nb_json_str(sn, "id"), ip, port_id,
                       nb_json_str(sn, "network_id"));
    return r < 0 ? r : changes == 1 ? 0 : -EEXIST;
}

/* The next free address of subnet 'sn' for the port, in *ip. */
static int nb_ipam_next(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *sn,
                        const char *port_id, char ip[48])
{
    struct nb_ipam_subnet s;
    struct nb_stmt *st = NULL;
    nb_ip_t *used = NULL;
    size_t n = 0, cap = 0;
    int r, v;
    nb_ipam_subnet_parse(sn, &s);
    r = nb_tx_query(tx, &st, "SELECT ip FROM net_ipallocs WHERE subnet_id = ?", "s",
                    nb_json_str(sn, "id"));
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        if (n == cap)
            used = nb_xrealloc(used, (cap = cap ? cap * 2 : 64) * sizeof(*used));
        if (nb_ip_parse(nb_stmt_text(st, 0), &v, &used[n]) == 0)
            n++;
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0)
        goto out;
    if (n)
        qsort(used, n, sizeof(*used), nb_ipam_cmp);
    for (size_t p = 0; p < s.npools; p++) {
        for (nb_ip_t c = s.start[p]; c <= s.end[p] && c >= s.start[p]; c++) {
            if ((n && bsearch(&c, used, n, sizeof(*used), nb_ipam_cmp)) ||
                (s.has_gw && c == s.gw))
                continue;
            nb_ip_format(s.version, c, ip);
            r = nb_ipam_take(tx, sn, port_id, ip);
            if (r != -EEXIST)
                goto out;       /* taken for us, or an error */
        }
    }
    r = nb_net_err(ctx, 409, "IpAddressGenerationFailure", "No more IP addresses "
                   "available on network %s.", nb_json_str(sn, "network_id"));
out:
    free(used);
    return r;
}

/* Allocates one requested entry {subnet_id?, ip_address?}. */
static int nb_ipam_one(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *subnets,
                       const char *net, const char *port_id, const json_t *want,
                       json_t *fixed)
{
    const char *sid = nb_json_str(want, "subnet_id"), *ipa = nb_json_str(want, "ip_address");
    const json_t *sn = NULL, *c;
    char ip[48];
    nb_ip_t addr = 0;
    size_t i;
    int v = 0, r;
    if (!json_is_object(want) || (!sid && !ipa) ||
        (json_object_get(want, "subnet_id") && !sid) ||
        (json_object_get(want, "ip_address") && !ipa))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for fixed_ips. "
                          "Reason: invalid fixed IP request.");
    if (ipa && nb_ip_parse(ipa, &v, &addr) < 0)
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for fixed_ips. "
                          "Reason: '%s' is not a valid IP address.", ipa);
    json_array_foreach(subnets, i, c) {
        struct nb_ipam_subnet s;
        if (sid && !strcmp(nb_json_str(c, "id"), sid))
            sn = c;
        if (!sid && ipa) {
            nb_ipam_subnet_parse(c, &s);
            if (s.version == v && nb_cidr_contains(v, s.base, s.prefix, addr))
                sn = c;
        }
    }
    if (!sn && sid)
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                          "Failed to create port on network %s, because fixed_ips "
                          "included invalid subnet %s.", net, sid);
    if (!sn)
        return nb_net_err(ctx, 400, "InvalidIpForNetwork", "IP address %s is not a "
                          "valid IP for any of the subnets on the specified "
                          "network.", ipa);
    if (ipa) {
        struct nb_ipam_subnet s;
        nb_ipam_subnet_parse(sn, &s);
        if (s.version != v || !nb_cidr_contains(v, s.base, s.prefix, addr) ||
            (v == 4 && s.prefix < 31 && (addr == s.base || addr == s.last)))
            return nb_net_err(ctx, 400, "InvalidIpForSubnet", "IP address %s is not "
                              "a valid IP for the specified subnet.", ipa);
        nb_ip_format(v, addr, ip);
        r = nb_ipam_take(tx, sn, port_id, ip);
        if (r == -EEXIST || (s.has_gw && addr == s.gw))
            return nb_net_err(ctx, 409, "IpAddressAlreadyAllocated", "IP address "
                              "%s already allocated in subnet %s", ip,
                              nb_json_str(sn, "id"));
    } else {
        r = nb_ipam_next(ctx, tx, sn, port_id, ip);
    }
    if (r == 0)
        json_array_append_new(fixed, json_pack("{s:s,s:s}", "subnet_id",
                                               nb_json_str(sn, "id"), "ip_address", ip));
    return r;
}

int nb_ipam_allocate(struct nb_ctx *ctx, struct nb_tx *tx, const char *network_id,
                     const char *port_id, const json_t *req, json_t **fixed_ips)
{
    json_t *subnets = NULL, *fixed = json_array(), *e;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_subnets, network_id, &subnets);
    if (r == 0 && req && !json_is_array(req))
        r = nb_net_err(ctx, 400, "InvalidInput", "Invalid input for fixed_ips. "
                       "Reason: not a list.");
    json_array_foreach(req, i, e)
        if (r == 0)
            r = nb_ipam_one(ctx, tx, subnets, network_id, port_id, e, fixed);
    if (r == 0 && !req) {
        /* one address of each IP version, from the first subnet with room */
        for (int ver = 4; r == 0 && ver <= 6; ver += 2) {
            bool any = false, done = false;
            json_array_foreach(subnets, i, e) {
                struct nb_ctx scratch = {0};
                char ip[48];
                if (done || json_integer_value(json_object_get(e, "ip_version")) != ver)
                    continue;
                any = true;
                r = nb_ipam_next(&scratch, tx, e, port_id, ip);
                if (r == 0) {
                    json_array_append_new(fixed, json_pack("{s:s,s:s}", "subnet_id",
                                                           nb_json_str(e, "id"),
                                                           "ip_address", ip));
                    done = true;
                } else if (r != -EEXIST) {
                    break;
                }
                r = 0;
            }
            if (r == 0 && any && !done)
                r = nb_net_err(ctx, 409, "IpAddressGenerationFailure", "No more IP "
                               "addresses available on network %s.", network_id);
        }
    }
    json_decref(subnets);
    if (r < 0) {
        json_decref(fixed);
        return r;
    }
    *fixed_ips = fixed;
    return 0;
}

int nb_ipam_release_port(struct nb_tx *tx, const char *port_id)
{
    return nb_tx_exec(tx, NULL, "DELETE FROM net_ipallocs WHERE port_id = ?", "s",
                      port_id);
}
