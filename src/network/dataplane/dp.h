/* Internal header of the Linux bridge data plane: shared by linuxbridge.c
 * (bridges and devices), nft.c (nftables rule sets), dhcp.c (dnsmasq) and
 * run.c (the command runner).  Not for other modules: they see driver.h. */
#ifndef NB_DP_DP_H
#define NB_DP_DP_H

#include "network/dataplane/driver.h"

#include <jansson.h>
#include <stdint.h>

struct nb_buf;

/* The nftables table name, in the bridge and inet families. */
#define NB_DP_TABLE "nubis"
/* Our device prefixes: a device named so in our network namespace is ours,
 * and removed when the state does not name it. */
#define NB_DP_BRIDGE_PREFIX "brq"
#define NB_DP_TAP_PREFIX "tap"
#define NB_DP_NS_PREFIX "qdhcp-"
#define NB_DP_NS_IF_PREFIX "ns-"

/* ---- run.c: child processes */

/* Runs argv[0] (searched in PATH) with 'input' (may be NULL) on its stdin.
 * With 'output' non-NULL, *output receives its stdout as a new
 * NUL-terminated string the caller frees.  stderr is logged on failure.
 * Returns 0 when it exits 0, -EIO when it fails (or -errno when it cannot
 * start).  'quiet' logs failures at debug level only (for probes). */
int nb_dp_run(const char *const argv[], const char *input, char **output,
              bool quiet);
/* Runs argv with stdin from /dev/null and stdout and stderr appended to
 * 'log' (for daemons that fork: no pipe is left open to them).  Returns
 * as nb_dp_run. */
int nb_dp_run_logged(const char *const argv[], const char *log);
/* Runs `ip [-n NS] -force -batch -` with 'cmds' (one command a line; ""
 * or NULL does nothing).  Returns as nb_dp_run. */
int nb_dp_ip_batch(const char *ns, const char *cmds);
/* Runs `ip [-n NS] -j ARGS...` and parses its JSON: *out is a new
 * reference the caller releases.  Returns 0 or a negative errno. */
int nb_dp_ip_json(const char *ns, const char *const args[], json_t **out);

/* ---- nft.c: the rule sets */

struct nb_dp_nft;

/* A cache of what our tables hold (see nft.c); the caller frees it with
 * nb_dp_nft_free() (NULL is fine). */
struct nb_dp_nft *nb_dp_nft_new(void);
void nb_dp_nft_free(struct nb_dp_nft *cache);
/* Makes our nftables tables match 'state' in ONE transaction, touching
 * only the chains, sets and map elements that differ (every chain we own
 * carries a hash of its rules), against 'cache' or what the kernel lists.
 * Borrows 'state'.  With 'script' non-NULL nothing is applied: *script
 * receives the transaction against 'current' (a JSON array of `nft -j
 * list table` outputs, or NULL for empty tables; borrowed), a new string
 * the caller frees (dry run, for tests; 'cache' may then be NULL). */
int nb_dp_nft_sync(struct nb_dp_nft *cache, const struct nb_dp_state *state,
                   const json_t *current, char **script);

/* ---- dhcp.c: dnsmasq per network */

struct nb_dp_dhcp;

/* Returns a new supervisor keeping its files under 'dir' (created); the
 * caller frees it with nb_dp_dhcp_free() (dnsmasq processes keep
 * running). */
struct nb_dp_dhcp *nb_dp_dhcp_new(const char *dir);
void nb_dp_dhcp_free(struct nb_dp_dhcp *d);
/* Creates the namespace of every network of 'state' that has a DHCP port
 * (before the devices: the DHCP port's veth peer is created in it). */
int nb_dp_dhcp_prepare(struct nb_dp_dhcp *d, const struct nb_dp_state *state);
/* Configures the namespace interfaces, writes the dnsmasq files and
 * starts, reloads (SIGHUP) or restarts each dnsmasq as needed; stops the
 * dnsmasq and removes the namespace and files of networks 'state' no
 * longer has.  Borrows 'state'. */
int nb_dp_dhcp_apply(struct nb_dp_dhcp *d, const struct nb_dp_state *state);
/* Restarts every dnsmasq of the last applied state that is not running. */
void nb_dp_dhcp_tick(struct nb_dp_dhcp *d);
/* The dnsmasq lease-file text 'leases' without the IPv4 leases whose MAC
 * and address no entry of hosts-file text 'hosts' gives: a new string the
 * caller frees; how many were dropped in *dropped, and (when 'gone' is not
 * NULL) each as "MAC IP\n" appended to it.  Pure. */
char *nb_dp_leases_prune(const char *leases, const char *hosts, int *dropped,
                         struct nb_buf *gone);
/* Writes the three dnsmasq files of 'net' (config, hosts, options) as new
 * strings the caller frees; 'dir' is the network's directory.  Pure: for
 * tests and for nb_dp_dhcp_apply. */
void nb_dp_dhcp_files(const struct nb_dp_network *net, const char *dir,
                      char **conf, char **hosts, char **opts);
/* The DHCP namespace's interface name of 'port': "ns-" + id[0..10], in
 * 'out' (16 bytes). */
void nb_dp_ns_ifname(const struct nb_dp_port *port, char out[16]);

/* ---- small helpers (linuxbridge.c) */

/* Parses "addr" or "addr/len" into family, bytes and prefix length
 * (host bits cleared when 'mask').  Returns 0 or -EINVAL. */
int nb_dp_cidr_parse(const char *s, bool mask, int *family,
                     unsigned char addr[16], int *len);
/* Writes 's' canonically ("10.0.0.5" for a /32, "10.0.0.0/24", host bits
 * cleared) into 'out' (64 bytes).  Returns 0 or -EINVAL. */
int nb_dp_cidr_norm(const char *s, char out[64]);
/* The prefix length of the subnet of 'cidr' ("10.0.0.0/24" -> 24), or -1. */
int nb_dp_cidr_len(const char *cidr);
/* FNV-1a of 's' (NULL: nothing) continuing from 'h' (NB_DP_FNV_INIT to
 * start): chain hashes and the device alias. */
#define NB_DP_FNV_INIT 0xcbf29ce484222325ULL
uint64_t nb_dp_fnv(uint64_t h, const char *s);
/* Whether an `ip -j link/addr` entry has the UP flag. */
bool nb_dp_link_up(const json_t *link);
/* The subnet of 'net' that contains 'ip', or NULL. */
const struct nb_dp_subnet *nb_dp_subnet_of(const struct nb_dp_network *net,
                                           const char *ip);

#endif
