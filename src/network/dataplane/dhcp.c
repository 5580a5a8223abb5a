/* DHCP: one dnsmasq per network that has a DHCP port, as Neutron's DHCP
 * agent runs it: in its own namespace qdhcp-<network>, on the interface
 * ns-<port> (the DHCP port's MAC and IPs) whose veth peer is on the
 * network's bridge, with static host entries only (MAC -> IP, hostname).
 *
 * Files per network, under DIR/<network id>/: dnsmasq.conf (changes
 * restart dnsmasq), hosts and opts (changes: SIGHUP, dnsmasq re-reads
 * them), dnsmasq.pid, leases, dnsmasq.log.  A lease of a port that is gone
 * would keep its address from the next port that gets it ("not using
 * configured address ... because it is leased to ..."): such leases are
 * dropped from the lease file with dnsmasq stopped, then it starts again
 * (Neutron's agent sends dhcp_release for each instead).  A dnsmasq is ours when the pid
 * file names a live process whose command line names our config file, so
 * a daemon started later finds and keeps it.  dnsmasq daemonizes: it
 * outlives us and keeps serving while the daemon is down.  Namespaces and
 * processes are removed for the network directories of DIR the state no
 * longer has (namespaces of other state directories are not touched). */
#include "network/dataplane/dp.h"

#include "core/core.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct nb_dp_dhcp {
    char *dir;
    char **nets;                /* network ids of the last apply */
    size_t nnets;
};

void nb_dp_ns_ifname(const struct nb_dp_port *port, char out[16])
{
    snprintf(out, 16, NB_DP_NS_IF_PREFIX "%.11s", port->id);
}

struct nb_dp_dhcp *nb_dp_dhcp_new(const char *dir)
{
    struct nb_dp_dhcp *d;

    if (nb_mkdir_p(dir, 0700) < 0) {
        nb_error("dataplane: cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    d = nb_xcalloc(1, sizeof(*d));
    d->dir = nb_xstrdup(dir);
    return d;
}

static void nb_dp_dhcp_forget(struct nb_dp_dhcp *d)
{
    for (size_t i = 0; i < d->nnets; i++)
        free(d->nets[i]);
    free(d->nets);
    d->nets = NULL;
    d->nnets = 0;
}

void nb_dp_dhcp_free(struct nb_dp_dhcp *d)
{
    if (!d)
        return;
    nb_dp_dhcp_forget(d);
    free(d->dir);
    free(d);
}

/* ---- the files */

/* A hostname dnsmasq accepts: the given one if it is a plain label, else
 * "host-10-0-0-5" from the address (as Neutron names them), in 'out'. */
static void nb_dp_hostname(const struct nb_dp_dhcp_host *h, char out[64])
{
    const char *s = h->hostname;
    size_t i, n = s ? strlen(s) : 0;
    bool ok = n > 0 && n < 64;

    for (i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
             (s[i] >= '0' && s[i] <= '9') || (s[i] == '-' && i > 0);
    if (ok) {
        snprintf(out, 64, "%s", s);
        return;
    }
    snprintf(out, 64, "host-%s", h->ip);
    for (i = 0; out[i]; i++)
        if (out[i] == '.' || out[i] == ':')
            out[i] = '-';
}

/* dotted netmask of a v4 prefix length */
static void nb_dp_netmask(int len, char out[16])
{
    unsigned m = len <= 0 ? 0 : 0xffffffffu << (32 - len);

    snprintf(out, 16, "%u.%u.%u.%u", m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255);
}

static void nb_dp_dhcp_opts(const struct nb_dp_subnet *s, struct nb_buf *o)
{
    size_t j;

    if (s->ip_version == 6) {
        if (s->ndns) {
            nb_buf_printf(o, "tag:subnet-%s,option6:dns-server", s->id);
            for (j = 0; j < s->ndns; j++)
                nb_buf_printf(o, ",[%s]", s->dns_nameservers[j]);
            nb_buf_puts(o, "\n");
        }
        return;
    }
    /* no gateway: an empty router option, so none is sent */
    if (s->gateway_ip)
        nb_buf_printf(o, "tag:subnet-%s,option:router,%s\n", s->id, s->gateway_ip);
    else
        nb_buf_printf(o, "tag:subnet-%s,option:router\n", s->id);
    if (s->ndns) {
        nb_buf_printf(o, "tag:subnet-%s,option:dns-server", s->id);
        for (j = 0; j < s->ndns; j++)
            nb_buf_printf(o, ",%s", s->dns_nameservers[j]);
        nb_buf_puts(o, "\n");
    }
    if (s->nroutes) {
        /* RFC 3442: a client given classless routes ignores the router
         * option, so the default route goes in the list too (Neutron) */
        struct nb_buf r = {0};

        for (j = 0; j < s->nroutes; j++)
            nb_buf_printf(&r, ",%s,%s", s->host_routes[j].destination,
                          s->host_routes[j].nexthop);
        if (s->gateway_ip)
            nb_buf_printf(&r, ",0.0.0.0/0,%s", s->gateway_ip);
        nb_buf_printf(o, "tag:subnet-%s,option:classless-static-route%s\n", s->id, r.buf);
        nb_buf_printf(o, "tag:subnet-%s,249%s\n", s->id, r.buf);
        nb_buf_free(&r);
    }
}

void nb_dp_dhcp_files(const struct nb_dp_network *net, const char *dir,
                      char **conf, char **hosts, char **opts)
{
    struct nb_buf c = {0}, h = {0}, o = {0};
    char ifname[16];
    size_t i;

    nb_dp_ns_ifname(net->dhcp_port, ifname);
    nb_buf_printf(&c,
                  "# dnsmasq of network %s, written by nubis: do not edit\n"
                  "no-hosts\nno-resolv\nport=0\nuser=root\n"
                  "bind-interfaces\ninterface=%s\nexcept-interface=lo\n"
                  "pid-file=%s/dnsmasq.pid\ndhcp-hostsfile=%s/hosts\n"
                  "dhcp-optsfile=%s/opts\ndhcp-leasefile=%s/leases\n"
                  "log-facility=%s/dnsmasq.log\n"
                  "dhcp-authoritative\ndhcp-lease-max=65536\n",
                  net->id, ifname, dir, dir, dir, dir, dir);
    /* the interface's addresses: a change restarts dnsmasq */
    for (i = 0; i < net->dhcp_port->nips; i++)
        nb_buf_printf(&c, "# address %s\n", net->dhcp_port->ips[i]);
    if (net->mtu > 0)
        nb_buf_printf(&c, "dhcp-option-force=option:mtu,%d\n", net->mtu);
    for (i = 0; i < net->nsubnets; i++) {
        const struct nb_dp_subnet *s = &net->subnets[i];
        char addr[64], mask[16];
        int len = nb_dp_cidr_len(s->cidr);

        if (!s->enable_dhcp || len < 0)
            continue;
        snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(s->cidr, "/"), s->cidr);
        if (s->ip_version == 6) {
            nb_buf_printf(&c, "dhcp-range=set:subnet-%s,%s,static,%d,86400s\n", s->id,
                          addr, len);
        } else {
            nb_dp_netmask(len, mask);
            nb_buf_printf(&c, "dhcp-range=set:subnet-%s,%s,static,%s,86400s\n", s->id,
                          addr, mask);
        }
        nb_dp_dhcp_opts(s, &o);
    }
    for (i = 0; i < net->ndhcp_hosts; i++) {
        const struct nb_dp_dhcp_host *e = &net->dhcp_hosts[i];
        const struct nb_dp_subnet *s = nb_dp_subnet_of(net, e->ip);
        char name[64];

        if (!s || !s->enable_dhcp)
            continue;
        nb_dp_hostname(e, name);
        if (s->ip_version == 6)
            nb_buf_printf(&h, "%s,%s,[%s]\n", e->mac, name, e->ip);
        else
            nb_buf_printf(&h, "%s,%s,%s\n", e->mac, name, e->ip);
    }
    nb_buf_add(&h, "", 0);
    nb_buf_add(&o, "", 0);
    *conf = nb_buf_steal(&c);
    *hosts = nb_buf_steal(&h);
    *opts = nb_buf_steal(&o);
}

/* Writes 'text' to DIR/NAME unless it already holds it; returns 1 when
 * written, 0 when unchanged, or a negative errno. */
static int nb_dp_file_sync(const char *dir, const char *name, const char *text)
{
    char *path = nb_xasprintf("%s/%s", dir, name), *old = NULL;
    size_t n;
    int r = 0;

    if (nb_file_read(path, &old, &n) == 0 && strcmp(old, text) == 0)
        goto out;
    r = nb_file_write_atomic(path, text, strlen(text), 0600);
    if (r == 0)
        r = 1;
out:
    free(old);
    free(path);
    return r;
}

/* Whether hosts-file text 'hosts' has the entry "MAC,NAME,IP" (or
 * "[IP]") for 'mac' and 'ip'. */
static bool nb_dp_hosts_have(const char *hosts, const char *mac, const char *ip)
{
    size_t ml = strlen(mac), il = strlen(ip);

    for (const char *l = hosts; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *end = strchr(l, '\n'), *last;

        end = end ? end : l + strlen(l);
        last = memrchr(l, ',', (size_t)(end - l));
        if (!last || strncasecmp(l, mac, ml) != 0 || l[ml] != ',')
            continue;
        last++;
        if (*last == '[' && end > last + 1 && end[-1] == ']')
            last++, end--;
        if ((size_t)(end - last) == il && strncmp(last, ip, il) == 0)
            return true;
    }
    return false;
}

char *nb_dp_leases_prune(const char *leases, const char *hosts, int *dropped,
                         struct nb_buf *gone)
{
    struct nb_buf b = {0};

    *dropped = 0;
    for (const char *l = leases; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l + 1) : strlen(l);
        char mac[32], ip[64];

        /* "EXPIRY MAC IP NAME CLIENT-ID"; IPv6 lines name no MAC: kept */
        if (sscanf(l, "%*s %31s %63s", mac, ip) == 2 && strlen(mac) == 17 &&
            mac[2] == ':' && !nb_dp_hosts_have(hosts, mac, ip)) {
            (*dropped)++;
            if (gone)
                nb_buf_printf(gone, "%s %s\n", mac, ip);
        } else
            nb_buf_add(&b, l, len);
        l += len;
    }
    nb_buf_add(&b, "", 0);
    return nb_buf_steal(&b);
}

/* ---- the process */

/* The pid of the dnsmasq serving 'dir', or 0 when none runs. */
static pid_t nb_dp_dnsmasq_pid(const char *dir)
{
    char *path = nb_xasprintf("%s/dnsmasq.pid", dir), *text = NULL, *cmd = NULL;
    char *conf = nb_xasprintf("%s/dnsmasq.conf", dir);
    size_t n = 0;
    long pid = 0;

    if (nb_file_read(path, &text, &n) < 0 || sscanf(text, "%ld", &pid) != 1 || pid <= 0)
        pid = 0;
    free(path);
    if (pid) {
        /* cmdline: NUL-separated; is our config file among the words? */
        path = nb_xasprintf("/proc/%ld/cmdline", pid);
        if (nb_file_read(path, &cmd, &n) < 0 || !memmem(cmd, n, conf, strlen(conf)))
            pid = 0;
        free(path);
        if (pid) {
            /* a zombie (our own child not reaped) is dead too */
            char *stat = NULL, state = 0;

            path = nb_xasprintf("/proc/%ld/stat", pid);
            if (nb_file_read(path, &stat, &n) == 0 && strrchr(stat, ')'))
                sscanf(strrchr(stat, ')') + 1, " %c", &state);
            if (state == 'Z' || state == 'X')
                pid = 0;
            free(stat);
            free(path);
        }
    }
    free(text);
    free(cmd);
    free(conf);
    return (pid_t)pid;
}

static void nb_dp_dnsmasq_stop(const char *dir)
{
    pid_t pid = nb_dp_dnsmasq_pid(dir);

    if (!pid)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100 && nb_dp_dnsmasq_pid(dir) == pid; i++)
        usleep(20000);
    if (nb_dp_dnsmasq_pid(dir) == pid)
        kill(pid, SIGKILL);
}

static int nb_dp_dnsmasq_start(const char *net_id, const char *dir)
{
    char *ns = nb_xasprintf(NB_DP_NS_PREFIX "%s", net_id);
    char *conf = nb_xasprintf("--conf-file=%s/dnsmasq.conf", dir);
    char *log = nb_xasprintf("%s/dnsmasq.log", dir);
    const char *argv[] = {"ip", "netns", "exec", ns, "dnsmasq", conf, NULL};
    int r;

    nb_info("dataplane: starting dnsmasq for network %s", net_id);
    r = nb_dp_run_logged(argv, log);
    free(ns);
    free(conf);
    free(log);
    return r;
}

/* ---- namespaces */

static bool nb_dp_ns_exists(const char *net_id)
{
    char *path = nb_xasprintf("/run/netns/" NB_DP_NS_PREFIX "%s", net_id);
    struct stat st;
    bool ok = stat(path, &st) == 0;

    free(path);
    return ok;
}

int nb_dp_dhcp_prepare(struct nb_dp_dhcp *d, const struct nb_dp_state *state)
{
    (void)d;
    for (size_t i = 0; i < state->nnetworks; i++) {
        const struct nb_dp_network *net = &state->networks[i];
        char *ns;
        int r;

        if (!net->dhcp_port || nb_dp_ns_exists(net->id))
            continue;
        ns = nb_xasprintf(NB_DP_NS_PREFIX "%s", net->id);
        {
            const char *argv[] = {"ip", "netns", "add", ns, NULL};

            r = nb_dp_run(argv, NULL, NULL, false);
        }
        free(ns);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Whether 'ip' (no prefix) is among the addresses of 'link' (ip -j addr). */
static bool nb_dp_addr_has(const json_t *link, const char *ip, int len)
{
    const json_t *a;
    size_t i;

    json_array_foreach(json_object_get(link, "addr_info"), i, a)
        if (nb_json_str(a, "local") && strcmp(nb_json_str(a, "local"), ip) == 0 &&
            json_integer_value(json_object_get(a, "prefixlen")) == len)
            return true;
    return false;
}

/* The namespace side of the DHCP port: lo and ns-<port> up, the port's
 * MAC, MTU and addresses (prefix length from its subnet); others gone. */
static int nb_dp_ns_configure(const struct nb_dp_network *net)
{
    const struct nb_dp_port *p = net->dhcp_port;
    char *ns = nb_xasprintf(NB_DP_NS_PREFIX "%s", net->id);
    const char *args[] = {"addr", "show", NULL};
    struct nb_buf b = {0};
    const json_t *l, *link = NULL, *lo = NULL, *a;
    json_t *links = NULL;
    char ifname[16];
    size_t i;
    int r;

    nb_dp_ns_ifname(p, ifname);
    r = nb_dp_ip_json(ns, args, &links);
    if (r < 0)
        goto out;
    json_array_foreach(links, i, l) {
        const char *name = nb_json_str(l, "ifname");

        if (name && strcmp(name, ifname) == 0)
            link = l;
        else if (name && strcmp(name, "lo") == 0)
            lo = l;
    }
    if (!link) {
        nb_error("dataplane: %s has no interface %s", ns, ifname);
        r = -ENOENT;
        goto out;
    }
    if (lo && !nb_dp_link_up(lo))
        nb_buf_puts(&b, "link set dev lo up\n");
    if (!nb_json_str(link, "address") || strcasecmp(nb_json_str(link, "address"), p->mac) != 0 ||
        json_integer_value(json_object_get(link, "mtu")) != net->mtu || !nb_dp_link_up(link))
        nb_buf_printf(&b, "link set dev %s address %s mtu %d up\n", ifname, p->mac, net->mtu);
    for (i = 0; i < p->nips; i++) {
        const struct nb_dp_subnet *s = nb_dp_subnet_of(net, p->ips[i]);
        int len = s ? nb_dp_cidr_len(s->cidr) : -1;

        if (len >= 0 && !nb_dp_addr_has(link, p->ips[i], len))
            nb_buf_printf(&b, "addr add %s/%d dev %s%s\n", p->ips[i], len, ifname,
                          strchr(p->ips[i], ':') ? " nodad" : "");
    }
    json_array_foreach(json_object_get(link, "addr_info"), i, a) {
        const char *local = nb_json_str(a, "local"), *scope = nb_json_str(a, "scope");
        bool want = false;

        if (!local || (scope && strcmp(scope, "link") == 0))
            continue;
        for (size_t j = 0; j < p->nips && !want; j++) {
            const struct nb_dp_subnet *s = nb_dp_subnet_of(net, p->ips[j]);

            want = s && strcmp(p->ips[j], local) == 0 &&
                   json_integer_value(json_object_get(a, "prefixlen")) == nb_dp_cidr_len(s->cidr);
        }
        if (!want)
            nb_buf_printf(&b, "addr del %s/%lld dev %s\n", local,
                          (long long)json_integer_value(json_object_get(a, "prefixlen")),
                          ifname);
    }
    r = nb_dp_ip_batch(ns, b.buf);
out:
    json_decref(links);
    nb_buf_free(&b);
    free(ns);
    return r;
}

/* How many leases of the lease file of 'dir' the hosts text 'hosts' no
 * longer gives (ports deleted or readdressed), each "MAC IP\n" in 'gone'
 * (may be NULL); with 'drop', writes the file without them (dnsmasq
 * stopped: it reads the file only when it starts, and writes it as it
 * goes). */
static int nb_dp_leases_stale(const char *dir, const char *hosts, bool drop,
                              struct nb_buf *gone)
{
    char *path = nb_xasprintf("%s/leases", dir), *text = NULL, *kept = NULL;
    size_t n;
    int dropped = 0;

    if (nb_file_read(path, &text, &n) == 0)
        kept = nb_dp_leases_prune(text, hosts, &dropped, gone);
    if (drop && dropped && nb_file_write_atomic(path, kept, strlen(kept), 0600) < 0)
        dropped = 0;
    free(kept);
    free(text);
    free(path);
    return dropped;
}

#define NB_DP_DHCP_RELEASE "/usr/bin/dhcp_release"

/* Releases the leases 'gone' ("MAC IP\n" lines) from the running dnsmasq
 * of 'net' with dnsmasq-utils' dhcp_release, as Neutron's DHCP agent does
 * (no restart: the other guests' DHCP goes on): 0, or -ENOENT when the
 * tool is missing, -EIO when a release failed. */
static int nb_dp_leases_release(const struct nb_dp_network *net, const char *gone)
{
    char ns[64], ifname[16], mac[32], ip[64];
    int r = 0;

    if (access(NB_DP_DHCP_RELEASE, X_OK) < 0)
        return -ENOENT;
    snprintf(ns, sizeof(ns), NB_DP_NS_PREFIX "%s", net->id);
    nb_dp_ns_ifname(net->dhcp_port, ifname);
    for (const char *l = gone; r == 0 && l && *l; l = strchr(l, '\n') + 1) {
        const char *argv[] = {"ip", "netns", "exec", ns, NB_DP_DHCP_RELEASE, ifname, ip,
                              mac, NULL};

        if (sscanf(l, "%31s %63s", mac, ip) != 2)
            break;
        r = nb_dp_run(argv, NULL, NULL, false) == 0 ? 0 : -EIO;
    }
    return r;
}

/* Files, then the process: started when missing, restarted when its
 * config changed, SIGHUP when its hosts or options changed; leases of
 * ports that are gone released (or, without dhcp_release, dropped with
 * dnsmasq restarted). */
static int nb_dp_dhcp_network(struct nb_dp_dhcp *d, const struct nb_dp_network *net)
{
    char *dir = nb_xasprintf("%s/%s", d->dir, net->id);
    char *conf = NULL, *hosts = NULL, *opts = NULL;
    struct nb_buf gone = {0};
    int r, rc, rh, ro, stale = 0;
    pid_t pid;

    r = nb_mkdir_p(dir, 0700);
    if (r < 0)
        goto out;
    r = nb_dp_ns_configure(net);
    if (r < 0)
        goto out;
    nb_dp_dhcp_files(net, dir, &conf, &hosts, &opts);
    rh = nb_dp_file_sync(dir, "hosts", hosts);
    ro = nb_dp_file_sync(dir, "opts", opts);
    rc = nb_dp_file_sync(dir, "dnsmasq.conf", conf);
    if (rh < 0 || ro < 0 || rc < 0) {
        r = -EIO;
        goto out;
    }
    pid = nb_dp_dnsmasq_pid(dir);
    if (pid && rc) {
        nb_info("dataplane: dnsmasq of network %s: new configuration, restarting", net->id);
        nb_dp_dnsmasq_stop(dir);
        pid = 0;
    }
    if (pid && rh && (stale = nb_dp_leases_stale(dir, hosts, false, &gone)) > 0 &&
        nb_dp_leases_release(net, gone.buf) == 0) {
        nb_info("dataplane: dnsmasq of network %s: %d lease(s) of gone ports released",
                net->id, stale);
    } else if (stale > 0) {
        nb_dp_dnsmasq_stop(dir);
        nb_info("dataplane: dnsmasq of network %s: %d lease(s) of gone ports dropped, "
                "restarting", net->id, nb_dp_leases_stale(dir, hosts, true, NULL));
        pid = 0;
    }
    if (!pid)
        r = nb_dp_dnsmasq_start(net->id, dir);
    else if (rh || ro)
        r = kill(pid, SIGHUP) < 0 ? -errno : 0;
out:
    nb_buf_free(&gone);
    free(conf);
    free(hosts);
    free(opts);
    free(dir);
    return r;
}

/* Stops the dnsmasq of network directory 'name', removes its namespace and
 * its files. */
static void nb_dp_dhcp_remove(struct nb_dp_dhcp *d, const char *name)
{
    char *dir = nb_xasprintf("%s/%s", d->dir, name);
    char *ns = nb_xasprintf(NB_DP_NS_PREFIX "%s", name);
    const char *files[] = {"dnsmasq.conf", "hosts", "opts", "dnsmasq.pid", "leases",
                           "dnsmasq.log"};

    nb_info("dataplane: removing the DHCP server of network %s", name);
    nb_dp_dnsmasq_stop(dir);
    if (nb_dp_ns_exists(name)) {
        const char *argv[] = {"ip", "netns", "del", ns, NULL};

        nb_dp_run(argv, NULL, NULL, false);
    }
    for (size_t i = 0; i < NB_ARRAY_SIZE(files); i++) {
        char *path = nb_xasprintf("%s/%s", dir, files[i]);

        unlink(path);
        free(path);
    }
    rmdir(dir);
    free(ns);
    free(dir);
}

int nb_dp_dhcp_apply(struct nb_dp_dhcp *d, const struct nb_dp_state *state)
{
    struct dirent *e;
    DIR *dh;
    size_t i;
    int r = 0;

    nb_dp_dhcp_forget(d);
    for (i = 0; i < state->nnetworks; i++) {
        const struct nb_dp_network *net = &state->networks[i];
        int one;

        if (!net->dhcp_port)
            continue;
        d->nets = nb_xrealloc(d->nets, (d->nnets + 1) * sizeof(*d->nets));
        d->nets[d->nnets++] = nb_xstrdup(net->id);
        one = nb_dp_dhcp_network(d, net);
        if (one < 0 && r == 0)
            r = one;
    }
    dh = opendir(d->dir);
    while (dh && (e = readdir(dh))) {
        bool want = e->d_name[0] == '.';

        for (i = 0; i < d->nnets && !want; i++)
            want = strcmp(d->nets[i], e->d_name) == 0;
        if (!want)
            nb_dp_dhcp_remove(d, e->d_name);
    }
    if (dh)
        closedir(dh);
    return r;
}

void nb_dp_dhcp_tick(struct nb_dp_dhcp *d)
{
    for (size_t i = 0; i < d->nnets; i++) {
        char *dir = nb_xasprintf("%s/%s", d->dir, d->nets[i]);
        char *conf = nb_xasprintf("%s/dnsmasq.conf", dir);

        if (access(conf, R_OK) == 0 && !nb_dp_dnsmasq_pid(dir)) {
            nb_warn("dataplane: dnsmasq of network %s is not running; restarting",
                    d->nets[i]);
            nb_dp_dnsmasq_start(d->nets[i], dir);
        }
        free(conf);
        free(dir);
    }
}
