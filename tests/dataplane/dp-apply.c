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
#include "dpjson.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    struct dpj d;
    int64_t t0;
    int r;

    if (dpj_load(path, &d) < 0)
        return -EINVAL;
    t0 = nb_mono_us();
    r = drv->apply(dp, &d.st);
    printf("apply: %.1f ms%s%s\n", (double)(nb_mono_us() - t0) / 1000.0,
           r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
    fflush(stdout);
    dpj_free(&d);
    return r;
}

/* The pure outputs (--nft-script, --dhcp-files): no driver, no root. */
static int dpa_print(const char *what, const char *net_id, const char *path)
{
    struct dpj d;
    int r = 0;

    if (dpj_load(path, &d) < 0)
        return -EINVAL;
    if (strcmp(what, "nft") == 0) {
        char *script = NULL;

        r = nb_dp_nft_sync(NULL, &d.st, NULL, &script);
        if (r == 0)
            fputs(script, stdout);
        free(script);
    } else {
        r = -ENOENT;
        for (size_t i = 0; i < d.st.nnetworks; i++) {
            const struct nb_dp_network *net = &d.st.networks[i];
            char *conf, *hosts, *opts;

            if (strcmp(net->id, net_id) != 0 || !net->dhcp_port)
                continue;
            nb_dp_dhcp_files(net, "DIR", &conf, &hosts, &opts);
            printf("== dnsmasq.conf\n%s== hosts\n%s== opts\n%s", conf, hosts, opts);
            free(conf);
            free(hosts);
            free(opts);
            r = 0;
        }
    }
    dpj_free(&d);
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
