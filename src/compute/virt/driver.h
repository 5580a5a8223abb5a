/* The virt driver table: what the compute agent asks of a hypervisor.  The
 * agent owns every decision (states, ports, quotas, retries); a driver only
 * makes guests exist or not on this host and reports what it sees.  Every
 * entry may block (the agent calls from its worker threads, never from an
 * HTTP thread) and returns 0 or -errno, with a message for the server's
 * fault in 'err' when it fails.  Entries on a guest are idempotent where
 * the name says so, so a task replayed after a crash converges.
 *
 * Implementations: fake.c (instant in-memory guests: control-plane tests
 * and benchmarks only), libvirt.c (QEMU guests; the issue "Real VMs").
 * Picked by [compute] virt_driver. */
#ifndef NB_VIRT_DRIVER_H
#define NB_VIRT_DRIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nb_ctx;

/* Nova's power states (nova/compute/power_state.py). */
enum nb_power {
    NB_POWER_NOSTATE = 0,
    NB_POWER_RUNNING = 1,
    NB_POWER_PAUSED = 3,
    NB_POWER_SHUTDOWN = 4,
    NB_POWER_CRASHED = 6,
    NB_POWER_SUSPENDED = 7,
};

/* What a host offers, reported to the scheduler. */
struct nb_virt_inventory {
    int64_t vcpus, memory_mb, local_gb;
    const char *hypervisor_type;    /* "QEMU", "fake" (static) */
    int64_t hypervisor_version;     /* 8002000 for 8.2.0 */
    char cpu_info[256];             /* JSON text, may be "{}" */
};

/* One guest as the agent describes it to the driver: everything a build
 * needs, borrowed for the call. */
struct nb_virt_guest {
    const char *uuid;
    const char *name;               /* "instance-<uuid>" style domain name */
    const char *hostname;
    int64_t vcpus, memory_mb, root_gb, ephemeral_gb, swap_mb;
    const json_t *flavor;           /* the flavor as embedded in the server */
    const json_t *image;            /* the image's Glance document, or NULL
                                       (boot from volume) */
    const json_t *ports;            /* the server's network_info:
                                       [{port_id, mac, network_id,
                                       fixed_ips, ifname, mtu, ...}] */
    const json_t *metadata;         /* server metadata object */
    const char *user_data;          /* base64, or NULL */
    const char *key_name;           /* the keypair's name, or NULL */
    const char *key_data;           /* the public key, or NULL */
    const char *project_id;
    const char *availability_zone;  /* or NULL */
    int launch_index;               /* in its multi-create batch, from 0 */
    bool config_drive;
    /* The server's owner, for reading its images (g->image, and the
     * kernel_id / ramdisk_id images it names) through image.h. */
    struct nb_ctx *ctx;
    /* Nova's wait for network-vif-plugged: when not NULL, a driver calls
     * it right before the guest first runs with its ports (its disks made
     * and its domain defined meanwhile, so the data plane's work overlaps
     * the driver's); 0, or -errno with a new message in *err: the guest
     * must not start. */
    int (*plugged)(const struct nb_virt_guest *g, char **err);
};

/* What a driver reports by itself (watch): a guest whose power state
 * changed without being asked (it powered itself off, crashed, ...). */
typedef void (*nb_virt_event_fn)(void *arg, const char *uuid, enum nb_power power);

struct nb_virt_driver {
    const char *name;               /* "fake", "libvirt" */
    /* Connects; 'state_dir' is the daemon's state directory (disks, image
     * cache, console logs go under it). */
    int (*open)(const char *state_dir, void **drv);
    void (*close)(void *drv);
    int (*inventory)(void *drv, struct nb_virt_inventory *out);
    /* Calls fn for every guest this driver runs on this host (reconcile):
     * uuid and power state. */
    int (*list)(void *drv, void (*fn)(void *arg, const char *uuid,
                                      enum nb_power power), void *arg);
    /* Power state of one guest; NB_POWER_NOSTATE with -ENOENT when absent. */
    int (*power_state)(void *drv, const char *uuid, enum nb_power *out);

    /* Creates and starts the guest (its disks, its domain).  A guest that
     * already exists with this uuid is left as it is (0). */
    int (*spawn)(void *drv, const struct nb_virt_guest *g, char **err);
    /* Stops and removes the guest and everything it has on this host;
     * 0 when it does not exist. */
    int (*destroy)(void *drv, const char *uuid, char **err);
    int (*power_on)(void *drv, const struct nb_virt_guest *g, char **err);
    /* Clean shutdown, forced after 'timeout_s' (0: at once). */
    int (*power_off)(void *drv, const char *uuid, int timeout_s, char **err);
    int (*reboot)(void *drv, const struct nb_virt_guest *g, bool hard,
                  char **err);
    int (*pause)(void *drv, const char *uuid, char **err);
    int (*unpause)(void *drv, const char *uuid, char **err);
    int (*suspend)(void *drv, const char *uuid, char **err);
    int (*resume)(void *drv, const struct nb_virt_guest *g, char **err);
    /* Rescue: boots the guest from 'image' (a Glance document; the guest's
     * own image when NULL) with its root disk attached as a second disk,
     * for repairs; unrescue boots it from its own disk again. */
    int (*rescue)(void *drv, const struct nb_virt_guest *g, const json_t *image,
                  char **err);
    int (*unrescue)(void *drv, const struct nb_virt_guest *g, char **err);
    /* A new root disk from g->image, keeping the guest's identity. */
    int (*rebuild)(void *drv, const struct nb_virt_guest *g, char **err);
    /* Resize to g's flavor (the guest is stopped, changed, and started
     * again when it was running); confirm drops what revert needs, revert
     * goes back to 'old'. */
    int (*resize)(void *drv, const struct nb_virt_guest *g, char **err);
    int (*resize_confirm)(void *drv, const char *uuid, char **err);
    int (*resize_revert)(void *drv, const struct nb_virt_guest *old,
                         char **err);
    /* Writes the guest's root disk as an image file of 'disk_format'
     * ("qcow2", "raw") to descriptor 'fd'. */
    int (*snapshot)(void *drv, const char *uuid, const char *disk_format,
                    int fd, char **err);
    /* The console log (the last 'max' bytes), a new string. */
    int (*console_log)(void *drv, const char *uuid, size_t max, char **out);
    /* Hot plug / unplug of one port (see nb_virt_guest.ports). */
    int (*attach_port)(void *drv, const char *uuid, const json_t *port,
                       char **err);
    int (*detach_port)(void *drv, const char *uuid, const char *port_id,
                       char **err);
    /* What the guest uses, in Nova's standardized diagnostics form
     * (microversion 2.48): {"state", "driver", "hypervisor",
     * "hypervisor_os", "uptime", "config_drive", "num_cpus", "num_nics",
     * "num_disks", "memory_details": {"maximum", "used"} (MiB),
     * "cpu_details": [{"id", "time" (ns), "utilisation" (%)}],
     * "nic_details": [{"mac_address", "rx_octets", "rx_errors", "rx_drop",
     * "rx_packets", "rx_rate", "tx_..."}], "disk_details": [{"read_bytes",
     * "read_requests", "write_bytes", "write_requests", "errors_count"}]};
     * unknown values null.  *out is a new object; -ENOENT when the guest
     * is not on this host. */
    int (*diagnostics)(void *drv, const struct nb_virt_guest *g, json_t **out,
                       char **err);
    /* Registers 'fn' for lifecycle events (NULL: none); called from the
     * driver's own thread, so it must not block.  May be NULL: then the
     * agent's periodic power sync is all there is. */
    void (*watch)(void *drv, nb_virt_event_fn fn, void *arg);
};

extern const struct nb_virt_driver nb_virt_fake_driver;
extern const struct nb_virt_driver nb_virt_libvirt_driver;

/* Nova's name of power state 'p' (power_state.STATE_MAP: "running",
 * "shutdown", ...; "pending" for no state): static. */
const char *nb_virt_power_name(enum nb_power p);

/* The driver named 'name' ("fake", ...); NULL when not built in. */
const struct nb_virt_driver *nb_virt_driver_find(const char *name);

#endif
