/* The network data plane driver table.  The network service computes, from
 * its database, the DESIRED state of this host (struct nb_dp_state: the
 * networks that have ports bound here or DHCP, the ports bound here, the
 * security groups those ports use) and hands it to the driver, which makes
 * the host match it.  The same call serves every change and the reconcile
 * at start: the driver diffs against what exists (bridges, tap/veth
 * devices, nftables tables, dnsmasq processes) and touches only what
 * differs, so traffic never stops for what is already right.  When a
 * port's filtering changes (its group's rules, its groups, a remote
 * group's members), its established connections are deleted, so a flow a
 * removed rule allowed stops (still-allowed ones are re-admitted as new).
 *
 * Everything here is borrowed for the duration of the call: a driver copies
 * what it keeps.  Implementations: linuxbridge.c (Linux bridge + veth/tap +
 * nftables, with dhcp.c supervising one dnsmasq per network).  The driver
 * is picked by [network] dataplane_driver. */
#ifndef NB_DP_DRIVER_H
#define NB_DP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

/* One security-group rule. */
struct nb_dp_rule {
    const char *id;
    bool ingress;               /* direction: ingress (to the port) or egress */
    int ethertype;              /* 4 or 6 */
    int protocol;               /* IP protocol number; -1 = any */
    int port_min, port_max;     /* TCP/UDP/SCTP ports, or ICMP type (min)
                                   and code (max); -1 = none */
    const char *remote_prefix;  /* CIDR, or NULL */
    const char *remote_group;   /* a group id (see nb_dp_group), or NULL */
};

struct nb_dp_group {
    const char *id;
    const struct nb_dp_rule *rules;
    size_t nrules;
    /* The fixed IPs (and allowed-address-pair IPs/CIDRs) of every port in
     * the group, on any host: what a remote_group rule matches (an nft set
     * per group, updated atomically). */
    const char *const *member_ips;
    size_t nmember_ips;
};

struct nb_dp_addr_pair {
    const char *ip;             /* an address or a CIDR */
    const char *mac;            /* never NULL: the port's MAC when not given */
};

enum nb_dp_vif {
    NB_DP_VIF_TAP,              /* a tap the hypervisor opens (VMs) */
    NB_DP_VIF_VETH,             /* a veth pair; the peer end "<ifname>p" is
                                   for whoever stands in for the guest (a
                                   test moves it into a namespace) */
};

struct nb_dp_port {
    const char *id;
    const char *network_id;
    const char *ifname;         /* host-side device: "tap" + id[0..10]
                                   (at most 14 characters: a veth's peer
                                   is "<ifname>p"); unique in the state */
    enum nb_dp_vif vif;
    const char *mac;            /* "fa:16:3e:xx:xx:xx" */
    const char *const *ips;     /* fixed IPs (v4 and v6) */
    size_t nips;
    const struct nb_dp_addr_pair *pairs;    /* allowed_address_pairs */
    size_t npairs;
    bool admin_up;
    bool port_security;         /* false: no anti-spoofing, no groups */
    const char *const *groups;  /* security group ids */
    size_t ngroups;
};

struct nb_dp_host_route {
    const char *destination;    /* CIDR */
    const char *nexthop;
};

struct nb_dp_subnet {
    const char *id;
    const char *cidr;
    int ip_version;             /* 4 or 6 */
    const char *gateway_ip;     /* NULL when none */
    bool enable_dhcp;
    const char *const *dns_nameservers;
    size_t ndns;
    const struct nb_dp_host_route *host_routes;
    size_t nroutes;
};

/* A static DHCP host entry: every port of the network with an IP in a
 * DHCP-enabled subnet, bound here or not. */
struct nb_dp_dhcp_host {
    const char *mac;
    const char *ip;
    const char *hostname;       /* "host-10-0-0-5" style, or the device's */
};

struct nb_dp_network {
    const char *id;
    const char *bridge;         /* "brq" + id[0..10] */
    const char *network_type;   /* "local", "flat", "vxlan" */
    const char *physical_network;   /* flat: the host interface, or NULL */
    int segmentation_id;        /* vxlan VNI; -1 otherwise */
    int mtu;
    bool admin_up;
    const struct nb_dp_subnet *subnets;
    size_t nsubnets;
    /* The network's DHCP port (device_owner "network:dhcp"): its MAC and
     * IPs are given to dnsmasq's namespace interface.  NULL when no subnet
     * has DHCP enabled: then no dnsmasq runs. */
    const struct nb_dp_port *dhcp_port;
    const struct nb_dp_dhcp_host *dhcp_hosts;
    size_t ndhcp_hosts;
};

struct nb_dp_state {
    const struct nb_dp_network *networks;
    size_t nnetworks;
    const struct nb_dp_port *ports;         /* bound to this host */
    size_t nports;
    /* The groups of those ports and every group their rules name as
     * remote_group (a rule naming a group not listed matches nothing). */
    const struct nb_dp_group *groups;
    size_t ngroups;
};

struct nb_dp_driver {
    const char *name;                       /* "linuxbridge" */
    /* Prepares the driver; 'state_dir' holds its files (dnsmasq configs,
     * pid files, leases).  Does not touch the host's devices yet. */
    int (*init)(const char *state_dir, void **dp);
    /* Makes the host match 'state' (see the top of this file): missing
     * things are added, stray ones (ours only: named by our prefixes and
     * tables) removed, correct ones left untouched.  Idempotent; blocks
     * while it runs ip/nft and (re)starts dnsmasq.  Not called
     * concurrently (the caller serialises).  Works in the caller's
     * network namespace: there, every "brq*" bridge and "tap*" veth/tap
     * it made (they carry the alias "nubis:" + a hash of 'state_dir')
     * that the state does not name is removed; no other device is.  Returns 0, -EINVAL (a bad or
     * clashing name or address: nothing was changed), or another negative
     * errno (retry later: what could be done was done, and never a device
     * without its rules). */
    int (*apply)(void *dp, const struct nb_dp_state *state);
    /* Supervision tick (about once a second): restarts a dnsmasq that died.
     * May be NULL. */
    void (*tick)(void *dp);
    /* Frees the driver.  The data plane keeps forwarding: bridges, devices,
     * rules and dnsmasq processes stay as they are. */
    void (*shutdown)(void *dp);
};

extern const struct nb_dp_driver nb_dp_linuxbridge_driver;

#endif
