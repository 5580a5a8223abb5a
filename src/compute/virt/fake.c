/* The fake virt driver: guests are entries in a map with a power state and
 * a console log, and every operation completes at once.  It exists for
 * control-plane tests and benchmarks, where the agent, scheduler, ports
 * and states are real and only the hypervisor is not.  Snapshots are a
 * real (empty) image of the asked format, so the image service stores and
 * inspects them like any other. */
#include "compute/virt/driver.h"
#include "core/core.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nb_fake_guest {
    enum nb_power power;
    enum nb_power before_suspend;
    bool rescued;                   /* booted from a rescue image */
    int64_t root_gb;
    int64_t disk_gb;                /* root + ephemeral + swap, as spawned */
    int64_t spawned_us;             /* when it was spawned (diagnostics) */
    char *console;                  /* what the guest "printed" */
};

struct nb_fake {
    pthread_mutex_t lock;
    struct nb_map *guests;          /* uuid -> struct nb_fake_guest */
    int64_t disk_used;              /* GB the guests' disks take */
};

/* What the fake host has (Nova's fake driver offers as much). */
#define NB_FAKE_VCPUS 1000
#define NB_FAKE_MEMORY_MB 800000
#define NB_FAKE_DISK_GB 600000

static void nb_fake_guest_free(void *p)
{
    struct nb_fake_guest *g = p;
    free(g->console);
    free(g);
}

static int nb_fake_open(const char *state_dir, void **out)
{
    struct nb_fake *f = nb_xcalloc(1, sizeof(*f));
    (void)state_dir;
    pthread_mutex_init(&f->lock, NULL);
    f->guests = nb_map_new(nb_fake_guest_free);
    *out = f;
    return 0;
}

static void nb_fake_close(void *drv)
{
    struct nb_fake *f = drv;
    if (!f)
        return;
    nb_map_free(f->guests);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* Nova's fake driver offers this much, so control-plane tests and
 * benchmarks are never short of room. */
static int nb_fake_inventory(void *drv, struct nb_virt_inventory *out)
{
    (void)drv;
    *out = (struct nb_virt_inventory){
        .vcpus = NB_FAKE_VCPUS, .memory_mb = NB_FAKE_MEMORY_MB,
        .local_gb = NB_FAKE_DISK_GB,
        .hypervisor_type = "fake", .hypervisor_version = 1000,
    };
    snprintf(out->cpu_info, sizeof(out->cpu_info), "{}");
    return 0;
}

struct nb_fake_list {
    void (*fn)(void *arg, const char *uuid, enum nb_power power);
    void *arg;
};

static void nb_fake_list_one(void *arg, const char *key, void *val)
{
    struct nb_fake_list *l = arg;
    l->fn(l->arg, key, ((struct nb_fake_guest *)val)->power);
}

static int nb_fake_list(void *drv, void (*fn)(void *arg, const char *uuid,
                                              enum nb_power power), void *arg)
{
    struct nb_fake *f = drv;
    struct nb_fake_list l = {fn, arg};
    pthread_mutex_lock(&f->lock);
    nb_map_each(f->guests, nb_fake_list_one, &l);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

/* Guest 'uuid' (f->lock held), or NULL with the message in *err. */
static struct nb_fake_guest *nb_fake_guest_get(struct nb_fake *f, const char *uuid,
                                               char **err)
{
    struct nb_fake_guest *g = NULL;
    if (!nb_map_find(f->guests, uuid, (void **)&g))
        *err = nb_xasprintf("Instance %s could not be found.", uuid);
    return g;
}

/* Runs 'op' on guest 'uuid' under the lock: the new power state when
 * 'from' (a bit mask of 1 << power; 0: any) allows it. */
static int nb_fake_set(void *drv, const char *uuid, unsigned from,
                       enum nb_power to, char **err)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    int r = 0;

    pthread_mutex_lock(&f->lock);
    if (!(g = nb_fake_guest_get(f, uuid, err))) {
        r = -ENOENT;
    } else if (from && !(from & (1u << g->power))) {
        r = -EBUSY;
        *err = nb_xasprintf("Instance %s is in power state %d.", uuid, g->power);
    } else {
        if (to == NB_POWER_SUSPENDED)
            g->before_suspend = g->power;
        g->power = to;
    }
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int nb_fake_power_state(void *drv, const char *uuid, enum nb_power *out)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    int r = 0;

    pthread_mutex_lock(&f->lock);
    if (nb_map_find(f->guests, uuid, (void **)&g))
        *out = g->power;
    else {
        *out = NB_POWER_NOSTATE;
        r = -ENOENT;
    }
    pthread_mutex_unlock(&f->lock);
    return r;
}

/* Spawns with the disk the host really has left: a scheduler that
 * overcommits disk (disk_allocation_ratio > 1) can send a guest that does
 * not fit, and its spawn fails as a real one would (the agent then
 * reschedules it). */
static int nb_fake_spawn(void *drv, const struct nb_virt_guest *vg, char **err)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    long ms = nb_conf_int("compute", "fake_boot_ms");
    int64_t disk = vg->root_gb + vg->ephemeral_gb + (vg->swap_mb + 1023) / 1024;
    int r = 0;

    /* a boot that takes time, as a real one does (crash tests need builds
     * in flight); the lock is not held meanwhile */
    if (ms > 0)
        usleep((useconds_t)ms * 1000);
    if (vg->plugged && (r = vg->plugged(vg, err)) < 0)
        return r;

    pthread_mutex_lock(&f->lock);
    if (!nb_map_find(f->guests, vg->uuid, NULL) &&
        f->disk_used + disk > NB_FAKE_DISK_GB) {
        r = -ENOSPC;
        *err = nb_xasprintf("Not enough disk for instance %s: %lld GB asked, %lld GB "
                            "free on this host.", vg->uuid, (long long)disk,
                            (long long)(NB_FAKE_DISK_GB - f->disk_used));
    } else if (!nb_map_find(f->guests, vg->uuid, NULL)) {
        g = nb_xcalloc(1, sizeof(*g));
        g->power = NB_POWER_RUNNING;
        g->root_gb = vg->root_gb;
        g->disk_gb = disk;
        g->spawned_us = nb_now_us();
        f->disk_used += disk;
        /* a few lines, as a boot prints them: console output reads its
         * tail by lines */
        g->console = nb_xasprintf("fake guest %s starting\n"
                                  "fake kernel: %lld MiB, %lld vCPUs\n"
                                  "fake init: network up\n"
                                  "fake guest %s (%s) booted\n"
                                  "%s login: \n", vg->uuid,
                                  (long long)vg->memory_mb, (long long)vg->vcpus,
                                  vg->uuid, vg->hostname ? vg->hostname : vg->name,
                                  vg->hostname ? vg->hostname : vg->name);
        nb_map_set(f->guests, vg->uuid, g);
    }
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int nb_fake_destroy(void *drv, const char *uuid, char **err)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    (void)err;
    pthread_mutex_lock(&f->lock);
    if (nb_map_find(f->guests, uuid, (void **)&g))
        f->disk_used -= g->disk_gb;
    nb_map_del(f->guests, uuid);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

#define NB_FROM(p) (1u << (p))

static int nb_fake_power_on(void *drv, const struct nb_virt_guest *g, char **err)
{
    return nb_fake_set(drv, g->uuid, 0, NB_POWER_RUNNING, err);
}

static int nb_fake_power_off(void *drv, const char *uuid, int timeout_s,
                             char **err)
{
    (void)timeout_s;
    return nb_fake_set(drv, uuid, 0, NB_POWER_SHUTDOWN, err);
}

static int nb_fake_reboot(void *drv, const struct nb_virt_guest *g, bool hard,
                          char **err)
{
    (void)hard;
    return nb_fake_set(drv, g->uuid, 0, NB_POWER_RUNNING, err);
}

static int nb_fake_pause(void *drv, const char *uuid, char **err)
{
    return nb_fake_set(drv, uuid, NB_FROM(NB_POWER_RUNNING), NB_POWER_PAUSED, err);
}

static int nb_fake_unpause(void *drv, const char *uuid, char **err)
{
    return nb_fake_set(drv, uuid, NB_FROM(NB_POWER_PAUSED), NB_POWER_RUNNING, err);
}

static int nb_fake_suspend(void *drv, const char *uuid, char **err)
{
    return nb_fake_set(drv, uuid, NB_FROM(NB_POWER_RUNNING) | NB_FROM(NB_POWER_PAUSED),
                       NB_POWER_SUSPENDED, err);
}

static int nb_fake_resume(void *drv, const struct nb_virt_guest *g, char **err)
{
    return nb_fake_set(drv, g->uuid, NB_FROM(NB_POWER_SUSPENDED),
                       NB_POWER_RUNNING, err);
}

/* Rescue boots the guest (running or not) from another disk; unrescue
 * only applies to a rescued guest. */
static int nb_fake_rescue_set(void *drv, const char *uuid, bool rescued, char **err)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    int r = 0;

    pthread_mutex_lock(&f->lock);
    if (!(g = nb_fake_guest_get(f, uuid, err))) {
        r = -ENOENT;
    } else if (g->rescued == rescued) {
        r = -EBUSY;
        *err = nb_xasprintf("Instance %s is %s rescued.", uuid, rescued ? "already" : "not");
    } else {
        g->rescued = rescued;
        g->power = NB_POWER_RUNNING;
    }
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int nb_fake_rescue(void *drv, const struct nb_virt_guest *g, const json_t *image,
                          char **err)
{
    (void)image;
    return nb_fake_rescue_set(drv, g->uuid, true, err);
}

static int nb_fake_unrescue(void *drv, const struct nb_virt_guest *g, char **err)
{
    return nb_fake_rescue_set(drv, g->uuid, false, err);
}

/* Rebuild and resize keep the guest running, as a real driver leaves it. */
static int nb_fake_rebuild(void *drv, const struct nb_virt_guest *g, char **err)
{
    return nb_fake_set(drv, g->uuid, 0, NB_POWER_RUNNING, err);
}

static int nb_fake_resize(void *drv, const struct nb_virt_guest *g, char **err)
{
    return nb_fake_set(drv, g->uuid, 0, NB_POWER_RUNNING, err);
}

static int nb_fake_resize_confirm(void *drv, const char *uuid, char **err)
{
    enum nb_power p;
    (void)err;
    return nb_fake_power_state(drv, uuid, &p);
}

static int nb_fake_resize_revert(void *drv, const struct nb_virt_guest *old,
                                 char **err)
{
    return nb_fake_set(drv, old->uuid, 0, NB_POWER_RUNNING, err);
}

/* A qcow2 version 3 header for an empty disk of 'gb' GiB: what qemu-img
 * create writes, minus the tables a reader of an all-zero disk skips. */
static void nb_fake_qcow2_header(unsigned char h[512], int64_t gb)
{
    uint64_t size = (uint64_t)(gb > 0 ? gb : 1) << 30;
    memset(h, 0, 512);
    memcpy(h, "QFI\xfb", 4);
    h[7] = 3;                               /* version */
    h[23] = 16;                             /* cluster_bits: 64 KiB */
    for (int i = 0; i < 8; i++)
        h[24 + i] = (unsigned char)(size >> (56 - 8 * i));
    h[99] = 4;                              /* refcount_order */
    h[103] = 104;                           /* header_length */
}

static int nb_fake_snapshot(void *drv, const char *uuid, const char *disk_format,
                            int fd, char **err)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    unsigned char buf[4096] = {0};
    size_t len = sizeof(buf);
    int64_t gb = 0;

    pthread_mutex_lock(&f->lock);
    if (nb_map_find(f->guests, uuid, (void **)&g))
        gb = g->root_gb;
    pthread_mutex_unlock(&f->lock);
    if (!gb && !nb_map_find(f->guests, uuid, NULL)) {
        *err = nb_xasprintf("Instance %s could not be found.", uuid);
        return -ENOENT;
    }
    if (strcmp(disk_format, "qcow2") == 0) {
        nb_fake_qcow2_header(buf, gb);
        len = 512;
    }
    if (nb_write_all(fd, buf, len) < 0) {
        *err = nb_xasprintf("Could not write the snapshot of %s.", uuid);
        return -EIO;
    }
    return 0;
}

static int nb_fake_console_log(void *drv, const char *uuid, size_t max,
                               char **out)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    int r = -ENOENT;

    pthread_mutex_lock(&f->lock);
    if (nb_map_find(f->guests, uuid, (void **)&g)) {
        size_t n = strlen(g->console);
        *out = nb_xstrdup(g->console + (n > max ? n - max : 0));
        r = 0;
    }
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int nb_fake_attach_port(void *drv, const char *uuid, const json_t *port,
                               char **err)
{
    enum nb_power p;
    (void)port;
    if (nb_fake_power_state(drv, uuid, &p) < 0) {
        *err = nb_xasprintf("Instance %s could not be found.", uuid);
        return -ENOENT;
    }
    return 0;
}

static int nb_fake_detach_port(void *drv, const char *uuid, const char *port_id,
                               char **err)
{
    (void)port_id;
    return nb_fake_attach_port(drv, uuid, NULL, err);
}

const char *nb_virt_power_name(enum nb_power p)
{
    switch (p) {
    case NB_POWER_RUNNING: return "running";
    case NB_POWER_PAUSED: return "paused";
    case NB_POWER_SHUTDOWN: return "shutdown";
    case NB_POWER_CRASHED: return "crashed";
    case NB_POWER_SUSPENDED: return "suspended";
    default: return "pending";
    }
}

/* Counters that grow with the guest's uptime, as a real guest's do: a
 * guest uses a little of each vCPU and of its memory, reads its disk
 * early and writes steadily, and sees a trickle of traffic per port.
 * "driver" is "libvirt" as in Nova's own fake driver (the API's schema
 * knows only the real drivers' names). */
static int nb_fake_diagnostics(void *drv, const struct nb_virt_guest *vg, json_t **out,
                               char **err)
{
    struct nb_fake *f = drv;
    struct nb_fake_guest *g;
    json_t *cpus = json_array(), *nics = json_array(), *disks = json_array(), *port;
    enum nb_power power = NB_POWER_NOSTATE;
    int64_t up = 0, disk_gb = 0;
    size_t i;

    pthread_mutex_lock(&f->lock);
    if ((g = nb_fake_guest_get(f, vg->uuid, err))) {
        power = g->power;
        up = (nb_now_us() - g->spawned_us) / 1000000;
        disk_gb = g->disk_gb;
    }
    pthread_mutex_unlock(&f->lock);
    if (!g) {
        json_decref(cpus);
        json_decref(nics);
        json_decref(disks);
        return -ENOENT;
    }
    for (int64_t c = 0; c < vg->vcpus; c++)
        json_array_append_new(cpus, json_pack("{s:I,s:I,s:i}", "id", (json_int_t)c,
                                              "time", (json_int_t)(up * 50000000 + 1700000000),
                                              "utilisation", 5));
    json_array_foreach(vg->ports, i, port)
        json_array_append_new(nics, json_pack("{s:s?,s:I,s:i,s:i,s:I,s:n,s:I,s:i,s:i,s:I,s:n}",
                                              "mac_address", nb_json_str(port, "mac"),
                                              "rx_octets", (json_int_t)(up * 1500 + 2070),
                                              "rx_errors", 0, "rx_drop", 0,
                                              "rx_packets", (json_int_t)(up + 26),
                                              "rx_rate",
                                              "tx_octets", (json_int_t)(up * 700 + 140),
                                              "tx_errors", 0, "tx_drop", 0,
                                              "tx_packets", (json_int_t)(up / 2 + 3),
                                              "tx_rate"));
    json_array_append_new(disks, json_pack("{s:I,s:I,s:I,s:I,s:i}",
                                           "read_bytes", (json_int_t)262144 + disk_gb * 4096,
                                           "read_requests", (json_int_t)112,
                                           "write_bytes", (json_int_t)(up * 4096 + 5778432),
                                           "write_requests", (json_int_t)(up + 488),
                                           "errors_count", 0));
    *out = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:I,s:I,s:I,s:{s:I,s:I},s:o,s:o,s:o}",
                     "state", nb_virt_power_name(power), "driver", "libvirt",
                     "hypervisor", "fake", "hypervisor_os", "linux", "uptime", (json_int_t)up,
                     "config_drive", vg->config_drive, "num_cpus", (json_int_t)vg->vcpus,
                     "num_nics", (json_int_t)json_array_size(nics),
                     "num_disks", (json_int_t)json_array_size(disks), "memory_details",
                     "maximum", (json_int_t)vg->memory_mb, "used",
                     (json_int_t)(vg->memory_mb / 4), "cpu_details", cpus, "nic_details", nics,
                     "disk_details", disks);
    return 0;
}

const struct nb_virt_driver nb_virt_fake_driver = {
    .name = "fake",
    .open = nb_fake_open,
    .close = nb_fake_close,
    .inventory = nb_fake_inventory,
    .list = nb_fake_list,
    .power_state = nb_fake_power_state,
    .spawn = nb_fake_spawn,
    .destroy = nb_fake_destroy,
    .power_on = nb_fake_power_on,
    .power_off = nb_fake_power_off,
    .reboot = nb_fake_reboot,
    .pause = nb_fake_pause,
    .unpause = nb_fake_unpause,
    .suspend = nb_fake_suspend,
    .resume = nb_fake_resume,
    .rescue = nb_fake_rescue,
    .unrescue = nb_fake_unrescue,
    .rebuild = nb_fake_rebuild,
    .resize = nb_fake_resize,
    .resize_confirm = nb_fake_resize_confirm,
    .resize_revert = nb_fake_resize_revert,
    .snapshot = nb_fake_snapshot,
    .console_log = nb_fake_console_log,
    .attach_port = nb_fake_attach_port,
    .detach_port = nb_fake_detach_port,
    .diagnostics = nb_fake_diagnostics,
};

const struct nb_virt_driver *nb_virt_driver_find(const char *name)
{
    static const struct nb_virt_driver *const drivers[] = {
        &nb_virt_fake_driver,
        &nb_virt_libvirt_driver,
    };
    for (size_t i = 0; i < sizeof(drivers) / sizeof(*drivers); i++)
        if (strcmp(drivers[i]->name, name) == 0)
            return drivers[i];
    return NULL;
}
