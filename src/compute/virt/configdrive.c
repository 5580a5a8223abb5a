/* The config drive, as Nova's (nova/virt/configdrive.py and
 * nova/api/metadata/base.py): a tree of openstack/<version>/ directories
 * written to a temporary directory, then made into an ISO 9660 image
 * (Rock Ridge + Joliet, volume id "config-2") by genisoimage, as Nova does
 * with its default config_drive_format=iso9660.  cloud-init's ConfigDrive
 * source and the test guest (tests/guest) find it by that label. */
#include "compute/virt/configdrive.h"

#include "core/core.h"
#include "network/dataplane/dp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What each version directory holds (Nova's OPENSTACK_VERSIONS and the
 * release each file appeared in). */
enum {
    NB_CD_USER_DATA = 1 << 0,       /* 2012-08-10 */
    NB_CD_RANDOM_SEED = 1 << 1,     /* 2013-04-04 */
    NB_CD_VENDOR = 1 << 2,          /* 2013-10-17 vendor_data.json */
    NB_CD_NETWORK = 1 << 3,         /* 2015-10-15 network_data.json */
    NB_CD_DEVICES = 1 << 4,         /* 2016-06-30 devices, keys */
    NB_CD_VENDOR2 = 1 << 5,         /* 2016-10-06 vendor_data2.json */
    NB_CD_CPUS = 1 << 6,            /* 2020-10-14 dedicated_cpus */
};

static const struct {
    const char *name;
    unsigned has;
} nb_cd_versions[] = {
    {"2012-08-10", NB_CD_USER_DATA},
    {"2013-04-04", NB_CD_USER_DATA | NB_CD_RANDOM_SEED},
    {"2013-10-17", NB_CD_USER_DATA | NB_CD_RANDOM_SEED | NB_CD_VENDOR},
    {"2015-10-15", NB_CD_USER_DATA | NB_CD_RANDOM_SEED | NB_CD_VENDOR | NB_CD_NETWORK},
    {"2016-06-30", NB_CD_USER_DATA | NB_CD_RANDOM_SEED | NB_CD_VENDOR | NB_CD_NETWORK |
                       NB_CD_DEVICES},
    {"2016-10-06", NB_CD_USER_DATA | NB_CD_RANDOM_SEED | NB_CD_VENDOR | NB_CD_NETWORK |
                       NB_CD_DEVICES | NB_CD_VENDOR2},
    {"2020-10-14", ~0u},
    {"latest", ~0u},
};

/* Standard, padded base64 of 'n' bytes; a new string the caller frees. */
static char *nb_cd_b64(const unsigned char *data, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *s = nb_xmalloc(cap);
    sodium_bin2base64(s, cap, data, n, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

/* meta_data.json of a version with features 'has'; a new reference.
 * 'seed' is the random_seed, the same in every version as in Nova. */
static json_t *nb_cd_meta_data(const struct nb_virt_guest *g, unsigned has,
                               const char *seed)
{
    json_t *md = json_pack(
        "{s:s,s:s,s:s,s:i,s:s?,s:s?,s:o}", "uuid", g->uuid, "name", g->name,
        "hostname", g->hostname ? g->hostname : g->name, "launch_index", g->launch_index,
        "availability_zone", g->availability_zone, "project_id", g->project_id,
        "meta", json_is_object(g->metadata) ? json_deep_copy(g->metadata) : json_object());

    if (g->key_name && g->key_data) {
        json_object_set_new(md, "public_keys", json_pack("{s:s}", g->key_name, g->key_data));
        if (has & NB_CD_DEVICES)
            json_object_set_new(md, "keys", json_pack("[{s:s,s:s,s:s}]", "name", g->key_name,
                                                      "type", "ssh", "data", g->key_data));
    }
    if (has & NB_CD_RANDOM_SEED)
        json_object_set_new(md, "random_seed", json_string(seed));
    if (has & NB_CD_DEVICES)
        json_object_set_new(md, "devices", json_array());
    if (has & NB_CD_CPUS)
        json_object_set_new(md, "dedicated_cpus", json_array());
    return md;
}

/* The netmask of a /'prefix' of address family 'af' as text. */
static void nb_cd_netmask(int af, int prefix, char out[INET6_ADDRSTRLEN])
{
    unsigned char mask[16] = {0};
    for (int i = 0; i < prefix && i < 128; i++)
        mask[i / 8] |= (unsigned char)(0x80 >> (i % 8));
    inet_ntop(af, mask, out, INET6_ADDRSTRLEN);
}

/* Adds the DNS servers of fixed ip 'f' to 'services' (once each). */
static void nb_cd_dns_add(json_t *services, const json_t *f)
{
    const json_t *a, *s;
    size_t i, j;
    json_array_foreach(json_object_get(f, "dns_nameservers"), i, a) {
        bool seen = false;
        json_array_foreach(services, j, s)
            seen |= json_equal(json_object_get(s, "address"), a);
        if (json_is_string(a) && !seen)
            json_array_append_new(services,
                                  json_pack("{s:s,s:O}", "type", "dns", "address", a));
    }
}

/* One network entry of network_data.json for fixed ip 'f' of a port on
 * link 'link'; a new reference.  Nova writes "ipv4_dhcp" / "ipv6_dhcp"
 * (or the IPv6 address mode) for a subnet served by DHCP, which is every
 * subnet unless the port's entry says enable_dhcp false and gives its
 * "cidr" (and "gateway_ip", "dns_nameservers"), which make a static one. */
static json_t *nb_cd_network(const json_t *port, const json_t *f, int num,
                             const char *link)
{
    const char *ip = nb_json_str(f, "ip_address"), *cidr = nb_json_str(f, "cidr");
    const char *gw = nb_json_str(f, "gateway_ip"), *mode = nb_json_str(f, "ipv6_address_mode");
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    int v6 = ip && strchr(ip, ':'), af = v6 ? AF_INET6 : AF_INET;
    char id[32], type[32], mask[INET6_ADDRSTRLEN];
    json_t *net, *services;

    snprintf(id, sizeof(id), "network%d", num);
    if (!json_is_false(json_object_get(f, "enable_dhcp")) || !slash) {
        if (v6 && mode && strcmp(mode, "dhcpv6-stateful"))
            snprintf(type, sizeof(type), "ipv6_%s", mode);
        else
            snprintf(type, sizeof(type), "ipv%d_dhcp", v6 ? 6 : 4);
        return json_pack("{s:s,s:s,s:s,s:s?}", "id", id, "type", type, "link", link,
                         "network_id", nb_json_str(port, "network_id"));
    }
    nb_cd_netmask(af, atoi(slash + 1), mask);
    services = json_array();
    nb_cd_dns_add(services, f);
    net = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:[],s:s?,s:o}", "id", id, "type",
                    v6 ? "ipv6" : "ipv4", "link", link, "ip_address", ip, "netmask", mask,
                    "routes", "network_id", nb_json_str(port, "network_id"), "services",
                    services);
    if (gw)
        json_array_append_new(json_object_get(net, "routes"),
                              json_pack("{s:s,s:s,s:s}", "network", v6 ? "::" : "0.0.0.0",
                                        "netmask", v6 ? "::" : "0.0.0.0", "gateway", gw));
    return net;
}

/* network_data.json (Nova's netutils.get_network_metadata) from the
 * guest's ports; a new reference. */
static json_t *nb_cd_network_data(const struct nb_virt_guest *g)
{
    json_t *links = json_array(), *nets = json_array(), *services = json_array();
    const json_t *port, *f;
    size_t i, j;
    int num = 0;

    json_array_foreach(g->ports, i, port) {
        const char *pid = nb_json_str(port, "port_id");
        const char *ifname = nb_json_str(port, "ifname");
        char fallback[32];

        if (!ifname) {
            snprintf(fallback, sizeof(fallback), "interface%zu", i);
            ifname = fallback;
        }
        json_array_append_new(
            links, json_pack("{s:s,s:s?,s:s,s:O?,s:s?}", "id", ifname, "vif_id", pid, "type",
                             nb_json_str(port, "vif_type") ? nb_json_str(port, "vif_type")
                                                           : "bridge",
                             "mtu", json_object_get(port, "mtu"), "ethernet_mac_address",
                             nb_json_str(port, "mac")));
        json_array_foreach(json_object_get(port, "fixed_ips"), j, f) {
            json_array_append_new(nets, nb_cd_network(port, f, num++, ifname));
            nb_cd_dns_add(services, f);
        }
    }
    return json_pack("{s:o,s:o,s:o}", "links", links, "networks", nets, "services",
                     services);
}

/* Writes 'n' bytes to DIR/NAME. */
static int nb_cd_put(const char *dir, const char *name, const void *data, size_t n)
{
    char *path = nb_xasprintf("%s/%s", dir, name);
    int r = nb_file_write_atomic(path, data, n, 0644);
    free(path);
    return r;
}

/* Writes 'doc' as JSON to DIR/NAME and releases it. */
static int nb_cd_put_json(const char *dir, const char *name, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    int r = nb_cd_put(dir, name, text, strlen(text));
    free(text);
    json_decref(doc);
    return r;
}

/* Writes the openstack/ tree of 'g' under 'root'.  'user' is the decoded
 * user data (NULL: none). */
static int nb_cd_tree(const struct nb_virt_guest *g, const char *root,
                      const unsigned char *user, size_t user_len)
{
    unsigned char seed_bytes[512];
    char *seed, *dir = NULL;
    json_t *netdata = nb_cd_network_data(g);
    int r = 0;

    nb_random_bytes(seed_bytes, sizeof(seed_bytes));
    seed = nb_cd_b64(seed_bytes, sizeof(seed_bytes));
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_cd_versions) && r == 0; i++) {
        unsigned has = nb_cd_versions[i].has;

        free(dir);
        dir = nb_xasprintf("%s/openstack/%s", root, nb_cd_versions[i].name);
        if ((r = nb_mkdir_p(dir, 0755)) < 0)
            break;
        r = nb_cd_put_json(dir, "meta_data.json", nb_cd_meta_data(g, has, seed));
        if (r == 0 && user)
            r = nb_cd_put(dir, "user_data", user, user_len);
        if (r == 0 && (has & NB_CD_VENDOR))
            r = nb_cd_put_json(dir, "vendor_data.json", json_object());
        if (r == 0 && (has & NB_CD_NETWORK))
            r = nb_cd_put_json(dir, "network_data.json", json_incref(netdata));
        if (r == 0 && (has & NB_CD_VENDOR2))
            r = nb_cd_put_json(dir, "vendor_data2.json", json_object());
    }
    free(dir);
    free(seed);
    json_decref(netdata);
    return r;
}

static int nb_cd_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -errno : 0;
}

/* Decodes the guest's base64 user data into *out (a new buffer, NULL when
 * the guest has none). */
static int nb_cd_user_data(const char *b64, unsigned char **out, size_t *n)
{
    size_t len, cap;
    const char *end = NULL;

    *out = NULL;
    *n = 0;
    if (!b64)
        return 0;
    len = strlen(b64);
    cap = len / 4 * 3 + 3;
    *out = nb_xmalloc(cap + 1);
    if (sodium_base642bin(*out, cap, b64, len, "\r\n", n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || end != b64 + len) {
        free(*out);
        *out = NULL;
        return -EINVAL;
    }
    return 0;
}

int nb_virt_configdrive_build(const struct nb_virt_guest *g, const char *iso_path,
                              char **err)
{
    char *tmpdir = nb_xasprintf("%s.d.XXXXXX", iso_path);
    char *tmpiso = nb_xasprintf("%s.tmp", iso_path);
    unsigned char *user = NULL;
    size_t user_len = 0;
    bool made = false;
    int r;

    *err = NULL;
    if ((r = nb_cd_user_data(g->user_data, &user, &user_len)) < 0) {
        *err = nb_xasprintf("Config drive of %s: user_data is not base64.", g->uuid);
        goto out;
    }
    if (!mkdtemp(tmpdir)) {
        r = -errno;
        *err = nb_xasprintf("Config drive of %s: cannot create %s: %s", g->uuid, tmpdir,
                            strerror(errno));
        goto out;
    }
    made = true;
    if ((r = nb_cd_tree(g, tmpdir, user, user_len)) < 0) {
        *err = nb_xasprintf("Config drive of %s: cannot write its files: %s", g->uuid,
                            strerror(-r));
        goto out;
    }
    {
        /* Nova's options (nova/virt/configdrive.py _make_iso9660) */
        const char *argv[] = {"genisoimage", "-o", tmpiso, "-ldots", "-allow-lowercase",
                              "-allow-multidot", "-l", "-publisher", "nubis",
                              "-quiet", "-J", "-r", "-V", "config-2", tmpdir, NULL};
        r = nb_dp_run(argv, NULL, NULL, false);
    }
    if (r < 0) {
        *err = nb_xasprintf("Config drive of %s: genisoimage failed (%s; see the log).",
                            g->uuid, strerror(-r));
        goto out;
    }
    if (rename(tmpiso, iso_path) < 0) {
        r = -errno;
        *err = nb_xasprintf("Config drive of %s: cannot rename to %s: %s", g->uuid,
                            iso_path, strerror(errno));
    }
out:
    if (r < 0)
        unlink(tmpiso);
    if (made)
        nftw(tmpdir, nb_cd_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (user)
        sodium_memzero(user, user_len);
    free(user);
    free(tmpdir);
    free(tmpiso);
    return r;
}
