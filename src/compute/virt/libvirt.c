/* The libvirt virt driver: QEMU guests through libvirt's C API.  This file
 * holds the connection (by default libvirt's embedded QEMU driver rooted in
 * the state directory: no daemon), its event loop thread and lifecycle
 * events, the domain type (kvm where KVM really runs guests, else TCG), and
 * the entries that only read: inventory, list, power state, console log,
 * diagnostics.  The actions are in libvirt_ops.c. */
#include "compute/virt/libvirt.h"

#include <fcntl.h>
#include <libvirt/virterror.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <unistd.h>

/* ---- errors and lookups */

/* libvirt's default error handler prints every error on stderr; errors
 * are read where they happen instead. */
static void nb_lv_quiet(void *arg, virErrorPtr e)
{
    (void)arg;
    (void)e;
}

char *nb_lv_error(const char *what)
{
    virErrorPtr e = virGetLastError();
    return nb_xasprintf("%s: %s", what, e && e->message ? e->message : "unknown libvirt error");
}

virDomainPtr nb_lv_domain_get(struct nb_lv *lv, const char *uuid, char **err)
{
    virDomainPtr dom = uuid ? virDomainLookupByUUIDString(lv->conn, uuid) : NULL;
    if (!dom && err)
        *err = nb_xasprintf("Instance %s could not be found.", uuid);
    return dom;
}

enum nb_power nb_lv_power_of(virDomainPtr dom)
{
    int state = VIR_DOMAIN_NOSTATE, reason = 0;

    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return NB_POWER_NOSTATE;
    switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
        return NB_POWER_RUNNING;
    case VIR_DOMAIN_PAUSED:
        return NB_POWER_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
    case VIR_DOMAIN_SHUTOFF:
        /* a managed save is Nova's "suspended" */
        return virDomainHasManagedSaveImage(dom, 0) == 1 ? NB_POWER_SUSPENDED
                                                          : NB_POWER_SHUTDOWN;
    case VIR_DOMAIN_CRASHED:
        return NB_POWER_CRASHED;
    case VIR_DOMAIN_PMSUSPENDED:
        return NB_POWER_SUSPENDED;
    default:
        return NB_POWER_NOSTATE;
    }
}

/* ---- the event loop and lifecycle events */

static pthread_once_t nb_lv_once = PTHREAD_ONCE_INIT;
static int nb_lv_event_ok;

static void nb_lv_init_once(void)
{
    virSetErrorFunc(NULL, nb_lv_quiet);
    nb_lv_event_ok = virInitialize() == 0 && virEventRegisterDefaultImpl() == 0;
}

static void *nb_lv_loop(void *arg)
{
    struct nb_lv *lv = arg;

    while (!lv->stop)
        if (virEventRunDefaultImpl() < 0)
            usleep(100000);
    return NULL;
}

static void nb_lv_wake(int timer, void *arg)
{
    (void)arg;
    virEventRemoveTimeout(timer);
}

/* The image cache manager's pass (Nova's), every [image_cache]
 * manager_interval seconds on the event loop's thread: it reads headers
 * and directories only, and holds the cache's lock (never a fetch's), so
 * no build waits on it. */
static void nb_lv_age_tick(int timer, void *arg)
{
    struct nb_lv *lv = arg;
    int removed = 0;

    (void)timer;
    nb_lv_cache_age(lv->cache, lv->inst,
                    nb_conf_int("image_cache", "remove_unused_original_minimum_age_seconds"),
                    &removed);
    if (removed)
        nb_info("libvirt: image cache: %d unused base image(s) removed", removed);
}

/* What a lifecycle event means for the guest's power state (-1: nothing
 * final yet). */
static int nb_lv_event_power(int event, int detail)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
    case VIR_DOMAIN_EVENT_RESUMED:
        return NB_POWER_RUNNING;
    case VIR_DOMAIN_EVENT_SUSPENDED:
        return NB_POWER_PAUSED;
    case VIR_DOMAIN_EVENT_STOPPED:
        if (detail == VIR_DOMAIN_EVENT_STOPPED_SAVED)
            return NB_POWER_SUSPENDED;
        return detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ? NB_POWER_CRASHED
                                                          : NB_POWER_SHUTDOWN;
    case VIR_DOMAIN_EVENT_CRASHED:
        return NB_POWER_CRASHED;
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
        return NB_POWER_SUSPENDED;
    default:
        return -1;
    }
}

static int nb_lv_on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
                              void *arg)
{
    struct nb_lv *lv = arg;
    char uuid[VIR_UUID_STRING_BUFLEN];
    int p = nb_lv_event_power(event, detail);
    (void)conn;

    if (p < 0 || virDomainGetUUIDString(dom, uuid) < 0)
        return 0;
    nb_debug("libvirt: guest %s: event %d/%d", uuid, event, detail);
    pthread_mutex_lock(&lv->lock);
    if (lv->watch_fn)
        lv->watch_fn(lv->watch_arg, uuid, (enum nb_power)p);
    pthread_mutex_unlock(&lv->lock);
    return 0;
}

static void nb_lv_watch(void *drv, nb_virt_event_fn fn, void *arg)
{
    struct nb_lv *lv = drv;
    pthread_mutex_lock(&lv->lock);
    lv->watch_fn = fn;
    lv->watch_arg = arg;
    pthread_mutex_unlock(&lv->lock);
}

/* ---- the connection */

/* The embedded driver's qemu.conf (HOST-NOTES): QEMU runs as root without
 * virtlogd, a security driver or ownership changes. */
static int nb_lv_embed_conf(const char *root)
{
    static const char conf[] =
        "# written by nubis (the libvirt virt driver) at every start\n"
        "user = \"root\"\n"
        "group = \"root\"\n"
        "stdio_handler = \"file\"\n"
        "security_driver = \"none\"\n"
        "dynamic_ownership = 0\n"
        "remember_owner = 0\n";
    char *dir = nb_xasprintf("%s/etc", root), *path = nb_xasprintf("%s/qemu.conf", dir);
    int r = nb_mkdir_p(dir, 0700);

    if (r == 0)
        r = nb_file_write_atomic(path, conf, strlen(conf), 0600);
    free(dir);
    free(path);
    return r;
}

/* A kernel of the host to probe KVM with (Debian's /boot/vmlinuz link or
 * any /boot/vmlinuz-*): a new string, or NULL. */
static char *nb_lv_host_kernel(void)
{
    DIR *d = opendir("/boot");
    struct dirent *e;
    char *k = NULL;

    if (access("/boot/vmlinuz", R_OK) == 0)
        k = nb_xstrdup("/boot/vmlinuz");
    while (!k && d && (e = readdir(d)))
        if (!strncmp(e->d_name, "vmlinuz-", 8))
            k = nb_xasprintf("/boot/%s", e->d_name);
    if (d)
        closedir(d);
    return k;
}

/* Whether KVM really runs a guest here.  Where /dev/kvm opens but guests
 * hang (HOST-NOTES), the firmware still runs and a kernel's decompressor
 * still prints, and some kernels even print their first lines before
 * hanging (a 6.18 kernel did; Debian's 6.1 printed nothing).  So the probe
 * boots a kernel of the host under KVM and waits (10 s at most; a second
 * or two where KVM works) for the end of the kernel's own boot: with no
 * root disk it panics, "VFS: Unable to mount root fs".  No kernel to
 * probe with: TCG, which always works ([libvirt] virt_type = kvm forces
 * KVM). */
static bool nb_lv_kvm_works(struct nb_lv *lv)
{
    char *log = nb_xasprintf("%s/kvm-probe.log", lv->inst), uuid[37];
    char *kernel = nb_lv_host_kernel();
    struct nb_lv_domain d = {.type = "kvm", .vcpus = 1, .memory_mb = 128,
                             .console_log = log, .kernel = kernel,
                             .cmdline = "console=ttyS0 earlyprintk=ttyS0 panic=-1"};
    char *xml = NULL, *name = NULL;
    virDomainPtr dom = NULL;
    bool ok = false;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0 || !kernel)
        goto out;
    nb_uuid_dashed(uuid);
    name = nb_xasprintf("nubis-kvm-probe-%s", uuid);
    d.name = name;
    d.uuid = uuid;
    xml = nb_lv_domain_xml(&d);
    unlink(log);
    /* (the embedded driver has no VIR_DOMAIN_START_AUTODESTROY) */
    dom = virDomainCreateXML(lv->conn, xml, 0);
    for (int i = 0; dom && i < 100 && !ok; i++) {
        char *text = NULL;
        size_t n;
        usleep(100000);
        ok = nb_file_read(log, &text, &n) == 0 &&
             (strstr(text, "Unable to mount root fs") || strstr(text, "Kernel panic"));
        free(text);
    }
    if (dom) {
        virDomainDestroy(dom);
        virDomainFree(dom);
    }
    unlink(log);
out:
    if (fd >= 0)
        close(fd);
    free(kernel);
    free(xml);
    free(name);
    free(log);
    return ok;
}

/* [libvirt] virt_type, "auto" probed once per process. */
static const char *nb_lv_virt_type(struct nb_lv *lv)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static const char *probed;
    const char *want = nb_conf_str("libvirt", "virt_type");

    if (!strcmp(want, "kvm") || !strcmp(want, "qemu"))
        return !strcmp(want, "kvm") ? "kvm" : "qemu";
    pthread_mutex_lock(&lock);
    if (!probed) {
        probed = nb_lv_kvm_works(lv) ? "kvm" : "qemu";
        nb_info("libvirt: guests run as %s (%s)", probed,
                !strcmp(probed, "kvm") ? "KVM works" : "TCG: KVM is not usable here");
    }
    pthread_mutex_unlock(&lock);
    return probed;
}

/* After the embedded driver opens a root with running guests it re-attaches
 * to their QEMU asynchronously: until then a running guest reads as shut
 * off.  Waits (up to ~3 s) until every guest libvirt kept a status file of
 * (<root>/libvirt/run/qemu/<name>.xml) reads as active. */
static void nb_lv_reattach_wait(struct nb_lv *lv, const char *lvroot)
{
    char *dir = nb_xasprintf("%s/run/qemu", lvroot);
    int64_t end = nb_mono_us() + 3000000;

    for (;;) {
        DIR *d = opendir(dir);
        struct dirent *e;
        int pending = 0;

        while (d && (e = readdir(d))) {
            size_t n = strlen(e->d_name);
            char *name;
            virDomainPtr dom;

            if (n < 5 || strcmp(e->d_name + n - 4, ".xml"))
                continue;
            name = nb_xstrndup(e->d_name, n - 4);
            dom = virDomainLookupByName(lv->conn, name);
            if (!dom || virDomainIsActive(dom) != 1)
                pending++;
            if (dom)
                virDomainFree(dom);
            free(name);
        }
        if (d)
            closedir(d);
        if (!pending || nb_mono_us() >= end) {
            if (pending)
                nb_warn("libvirt: %d guest(s) not re-attached after a restart", pending);
            break;
        }
        usleep(100000);
    }
    free(dir);
}

/* libvirt learns what QEMU can do (its capabilities) at the first call
 * that needs them, which takes seconds (~7 s under TCG here, at every
 * start of the process: the embedded driver's cache does not survive it).
 * This thread pays that at open, in the background, so neither the
 * daemon's start nor its first build waits for it. */
static void *nb_lv_warm(void *arg)
{
    struct nb_lv *lv = arg;
    unsigned long v = 0;
    int64_t t0 = nb_mono_us();

    if (virConnectGetVersion(lv->conn, &v) == 0) {
        pthread_mutex_lock(&lv->lock);
        lv->version = (long)v;
        pthread_mutex_unlock(&lv->lock);
    }
    nb_debug("libvirt: QEMU %lu probed in %.1f s", v, (double)(nb_mono_us() - t0) / 1e6);
    return NULL;
}

/* QEMU's version as libvirt counts it (major * 1000000 + minor * 1000 +
 * micro): libvirt's once its probe is done, else what the local
 * qemu-system-x86_64 --version says. */
static long nb_lv_version(struct nb_lv *lv)
{
    const char *argv[] = {"qemu-system-x86_64", "--version", NULL};
    char *out = NULL, *p;
    unsigned a = 0, b = 0, c = 0;
    long v;

    pthread_mutex_lock(&lv->lock);
    v = lv->version;
    pthread_mutex_unlock(&lv->lock);
    if (v > 0 || nb_lv_run(argv, &out, NULL) < 0)
        return v;
    if ((p = strstr(out, "version ")) && sscanf(p + 8, "%u.%u.%u", &a, &b, &c) >= 2)
        v = (long)a * 1000000 + (long)b * 1000 + c;
    free(out);
    return v;
}

/* Destroys the KVM probe guests a crash during a probe left running (they
 * are transient: destroyed, they are gone). */
static void nb_lv_probe_sweep(struct nb_lv *lv)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(lv->conn, &doms, VIR_CONNECT_LIST_DOMAINS_TRANSIENT);

    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        if (name && !strncmp(name, "nubis-kvm-probe-", 16))
            virDomainDestroy(doms[i]);
        virDomainFree(doms[i]);
    }
    free(doms);
}

static void nb_lv_close(void *drv)
{
    struct nb_lv *lv = drv;
    if (!lv)
        return;
    if (lv->warming)
        pthread_join(lv->warm, NULL);
    if (lv->age_timer >= 0)
        virEventRemoveTimeout(lv->age_timer);
    if (lv->conn && lv->cb_id >= 0)
        virConnectDomainEventDeregisterAny(lv->conn, lv->cb_id);
    if (lv->looping) {
        lv->stop = 1;
        virEventAddTimeout(0, nb_lv_wake, NULL, NULL);
        pthread_join(lv->loop, NULL);
    }
    if (lv->conn)
        virConnectClose(lv->conn);
    nb_lv_cache_free(lv->cache);
    pthread_mutex_destroy(&lv->lock);
    free(lv->root);
    free(lv->inst);
    free(lv);
}

static int nb_lv_open(const char *state_dir, void **out)
{
    struct nb_lv *lv = nb_xcalloc(1, sizeof(*lv));
    const char *uri = nb_conf_str("libvirt", "connection_uri");
    char abs[PATH_MAX], *lvroot = NULL, *embed = NULL, *base = NULL, *log = NULL;
    long age;
    int r;

    pthread_mutex_init(&lv->lock, NULL);
    lv->cb_id = -1;
    lv->age_timer = -1;
    if ((r = nb_mkdir_p(state_dir, 0700)) < 0 || !realpath(state_dir, abs)) {
        r = r < 0 ? r : -errno;
        goto out;
    }
    /* libvirt logs on stderr, warnings included ("tainted: high-privileges"
     * at every start of a guest run as root, "Domain not found" at every
     * lookup of an absent guest): its errors go to a file of the state
     * dir instead, unless the operator says otherwise (the first open of
     * the process decides) */
    log = nb_xasprintf("4:file:%s/libvirt.log", abs);
    setenv("LIBVIRT_LOG_OUTPUTS", log, 0);
    pthread_once(&nb_lv_once, nb_lv_init_once);
    if (!nb_lv_event_ok) {
        nb_error("libvirt: the library did not initialise");
        r = -EIO;
        goto out;
    }
    lv->root = nb_xstrdup(abs);
    lv->inst = nb_xasprintf("%s/instances", abs);
    base = nb_xasprintf("%s/_base", lv->inst);
    if ((r = nb_mkdir_p(base, 0755)) < 0)
        goto out;
    lv->cache = nb_lv_cache_new(base);
    if (!*uri) {
        lvroot = nb_xasprintf("%s/libvirt", abs);
        if ((r = nb_lv_embed_conf(lvroot)) < 0)
            goto out;
        uri = embed = nb_xasprintf("qemu:///embed?root=%s", lvroot);
    }
    /* the event loop runs before the connection opens: the embedded
     * driver needs it to talk to QEMU */
    if (pthread_create(&lv->loop, NULL, nb_lv_loop, lv) != 0) {
        r = -EAGAIN;
        goto out;
    }
    lv->looping = true;
    lv->conn = virConnectOpen(uri);
    if (!lv->conn) {
        char *e = nb_lv_error(uri);
        nb_error("libvirt: cannot connect: %s", e);
        free(e);
        r = -EIO;
        goto out;
    }
    lv->cb_id = virConnectDomainEventRegisterAny(lv->conn, NULL,
                                                 VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                 VIR_DOMAIN_EVENT_CALLBACK(nb_lv_on_lifecycle),
                                                 lv, NULL);
    if (lvroot)
        nb_lv_reattach_wait(lv, lvroot);
    nb_lv_probe_sweep(lv);
    lv->warming = pthread_create(&lv->warm, NULL, nb_lv_warm, lv) == 0;
    age = nb_conf_int("image_cache", "manager_interval");
    if (age > 0)
        lv->age_timer = virEventAddTimeout((int)(age > INT_MAX / 1000 ? INT_MAX : age * 1000),
                                           nb_lv_age_tick, lv, NULL);
    lv->type = nb_lv_virt_type(lv);
    nb_info("libvirt: connected to %s (domain type %s)", uri, lv->type);
out:
    free(log);
    free(lvroot);
    free(embed);
    free(base);
    if (r < 0)
        nb_lv_close(lv);
    else
        *out = lv;
    return r;
}

/* ---- the entries that read */

static int nb_lv_inventory(void *drv, struct nb_virt_inventory *out)
{
    struct nb_lv *lv = drv;
    virNodeInfo node;
    struct statvfs fs;

    if (virNodeGetInfo(lv->conn, &node) < 0)
        return -EIO;
    *out = (struct nb_virt_inventory){
        .vcpus = node.cpus, .memory_mb = (int64_t)(node.memory / 1024),
        .hypervisor_type = "QEMU", .hypervisor_version = nb_lv_version(lv),
    };
    if (statvfs(lv->inst, &fs) == 0)
        out->local_gb = (int64_t)((uint64_t)fs.f_blocks * fs.f_frsize >> 30);
    snprintf(out->cpu_info, sizeof(out->cpu_info),
             "{\"arch\": \"%s\", \"topology\": {\"sockets\": %u, \"cores\": %u,"
             " \"threads\": %u}, \"features\": []}", node.model,
             node.sockets * node.nodes, node.cores, node.threads);
    return 0;
}

static bool nb_lv_is_uuid_dir(const char *name)
{
    return strlen(name) == 36 && nb_uuid_is_dashed(name);
}

static int nb_lv_list(void *drv, void (*fn)(void *arg, const char *uuid,
                                            enum nb_power power), void *arg)
{
    struct nb_lv *lv = drv;
    virDomainPtr *doms = NULL;
    struct nb_map *seen = nb_map_new(NULL);
    char uuid[VIR_UUID_STRING_BUFLEN];
    int n = virConnectListAllDomains(lv->conn, &doms, 0);
    DIR *d;
    struct dirent *e;

    if (n < 0) {
        nb_map_free(seen);
        return -EIO;
    }
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        if (name && !strncmp(name, "instance-", 9) &&
            virDomainGetUUIDString(doms[i], uuid) == 0) {
            nb_map_set(seen, uuid, NULL);
            fn(arg, uuid, nb_lv_power_of(doms[i]));
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    /* what a crash left between making disks and defining the domain */
    if ((d = opendir(lv->inst))) {
        while ((e = readdir(d)))
            if (nb_lv_is_uuid_dir(e->d_name) && !nb_map_find(seen, e->d_name, NULL))
                fn(arg, e->d_name, NB_POWER_NOSTATE);
        closedir(d);
    }
    nb_map_free(seen);
    return 0;
}

static int nb_lv_power_state(void *drv, const char *uuid, enum nb_power *out)
{
    virDomainPtr dom = nb_lv_domain_get(drv, uuid, NULL);

    *out = NB_POWER_NOSTATE;
    if (!dom)
        return -ENOENT;
    *out = nb_lv_power_of(dom);
    virDomainFree(dom);
    return 0;
}

static int nb_lv_console_log(void *drv, const char *uuid, size_t max, char **out)
{
    struct nb_lv *lv = drv;
    char *path = nb_lv_inst_file(lv->root, uuid, "console.log");
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
    size_t len = 0;

    free(path);
    if (fd < 0) {
        virDomainPtr dom = nb_lv_domain_get(lv, uuid, NULL);
        if (!dom)
            return -ENOENT;
        virDomainFree(dom);
        *out = nb_xstrdup("");      /* defined, never printed anything */
        return 0;
    }
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    len = (size_t)st.st_size < max ? (size_t)st.st_size : max;
    *out = nb_xmalloc(len + 1);
    {
        ssize_t n = pread(fd, *out, len, st.st_size - (off_t)len);
        len = n > 0 ? (size_t)n : 0;
    }
    (*out)[len] = '\0';
    /* the guest may print NUL bytes: the log is text */
    for (size_t i = 0; i < len; i++)
        if ((*out)[i] == '\0')
            (*out)[i] = ' ';
out:
    close(fd);
    return r;
}

/* Counters of one interface / the disks, by their target names. */
static json_t *nb_lv_nic_stats(virDomainPtr dom, const json_t *port)
{
    virDomainInterfaceStatsStruct s;
    const char *ifname = nb_json_str(port, "ifname");
    bool ok = ifname && virDomainInterfaceStats(dom, ifname, &s, sizeof(s)) == 0;

    /* the tap's rx is what the guest sent: the guest's view swaps them */
    return json_pack("{s:s?,s:o,s:o,s:o,s:o,s:n,s:o,s:o,s:o,s:o,s:n}",
                     "mac_address", nb_json_str(port, "mac"),
                     "rx_octets", ok ? json_integer(s.tx_bytes) : json_null(),
                     "rx_errors", ok ? json_integer(s.tx_errs) : json_null(),
                     "rx_drop", ok ? json_integer(s.tx_drop) : json_null(),
                     "rx_packets", ok ? json_integer(s.tx_packets) : json_null(), "rx_rate",
                     "tx_octets", ok ? json_integer(s.rx_bytes) : json_null(),
                     "tx_errors", ok ? json_integer(s.rx_errs) : json_null(),
                     "tx_drop", ok ? json_integer(s.rx_drop) : json_null(),
                     "tx_packets", ok ? json_integer(s.rx_packets) : json_null(), "tx_rate");
}

static json_t *nb_lv_disk_stats(virDomainPtr dom, const char *target)
{
    virDomainBlockStatsStruct s;
    bool ok = virDomainBlockStats(dom, target, &s, sizeof(s)) == 0;

    return json_pack("{s:o,s:o,s:o,s:o,s:o}",
                     "read_bytes", ok ? json_integer(s.rd_bytes) : json_null(),
                     "read_requests", ok ? json_integer(s.rd_req) : json_null(),
                     "write_bytes", ok ? json_integer(s.wr_bytes) : json_null(),
                     "write_requests", ok ? json_integer(s.wr_req) : json_null(),
                     "errors_count", ok && s.errs >= 0 ? json_integer(s.errs) : json_integer(0));
}

/* Seconds since the guest's QEMU started (its pid file), or -1. */
static long long nb_lv_uptime(struct nb_lv *lv, virDomainPtr dom)
{
    char *pid = nb_xasprintf("%s/libvirt/run/qemu/%s.pid", lv->root, virDomainGetName(dom));
    struct stat st;
    long long up = -1;

    if (virDomainIsActive(dom) == 1 && stat(pid, &st) == 0)
        up = (nb_now_us() / 1000000) - (long long)st.st_mtime;
    free(pid);
    return up;
}

static int nb_lv_diagnostics(void *drv, const struct nb_virt_guest *g, json_t **out,
                             char **err)
{
    struct nb_lv *lv = drv;
    virDomainPtr dom = nb_lv_domain_get(lv, g->uuid, err);
    virDomainInfo info;
    virVcpuInfoPtr vcpus = NULL;
    json_t *cpus = json_array(), *nics = json_array(), *disks = json_array(), *port;
    const char *targets[] = {"vda", "vdb", "vdc"};
    char *xml;
    long long up;
    size_t i;
    int n = 0;

    if (!dom) {
        json_decref(cpus);
        json_decref(nics);
        json_decref(disks);
        return -ENOENT;
    }
    if (virDomainGetInfo(dom, &info) < 0)
        memset(&info, 0, sizeof(info));
    if (virDomainIsActive(dom) == 1 && info.nrVirtCpu > 0) {
        vcpus = nb_xcalloc(info.nrVirtCpu, sizeof(*vcpus));
        n = virDomainGetVcpus(dom, vcpus, info.nrVirtCpu, NULL, 0);
    }
    for (int c = 0; c < n; c++)
        json_array_append_new(cpus, json_pack("{s:i,s:I,s:n}", "id", (int)vcpus[c].number,
                                              "time", (json_int_t)vcpus[c].cpuTime,
                                              "utilisation"));
    json_array_foreach(g->ports, i, port)
        json_array_append_new(nics, nb_lv_nic_stats(dom, port));
    xml = virDomainGetXMLDesc(dom, 0);
    for (i = 0; xml && i < NB_ARRAY_SIZE(targets); i++) {
        char want[32];
        snprintf(want, sizeof(want), "dev='%s'", targets[i]);
        if (strstr(xml, want))
            json_array_append_new(disks, nb_lv_disk_stats(dom, targets[i]));
    }
    free(xml);
    up = nb_lv_uptime(lv, dom);
    *out = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:I,s:I,s:I,s:{s:I,s:I},s:o,s:o,s:o}",
                     "state", nb_virt_power_name(nb_lv_power_of(dom)), "driver", "libvirt",
                     "hypervisor", lv->type, "hypervisor_os", "linux",
                     "uptime", up >= 0 ? json_integer(up) : json_null(),
                     "config_drive", g->config_drive,
                     "num_cpus", (json_int_t)info.nrVirtCpu,
                     "num_nics", (json_int_t)json_array_size(nics),
                     "num_disks", (json_int_t)json_array_size(disks), "memory_details",
                     "maximum", (json_int_t)(info.maxMem / 1024),
                     "used", (json_int_t)(info.memory / 1024), "cpu_details", cpus,
                     "nic_details", nics, "disk_details", disks);
    free(vcpus);
    virDomainFree(dom);
    return 0;
}

const struct nb_virt_driver nb_virt_libvirt_driver = {
    .name = "libvirt",
    .open = nb_lv_open,
    .close = nb_lv_close,
    .inventory = nb_lv_inventory,
    .list = nb_lv_list,
    .power_state = nb_lv_power_state,
    .spawn = nb_lv_spawn,
    .destroy = nb_lv_destroy,
    .power_on = nb_lv_power_on,
    .power_off = nb_lv_power_off,
    .reboot = nb_lv_reboot,
    .pause = nb_lv_pause,
    .unpause = nb_lv_unpause,
    .suspend = nb_lv_suspend,
    .resume = nb_lv_resume,
    .rescue = nb_lv_rescue,
    .unrescue = nb_lv_unrescue,
    .rebuild = nb_lv_rebuild,
    .resize = nb_lv_resize,
    .resize_confirm = nb_lv_resize_confirm,
    .resize_revert = nb_lv_resize_revert,
    .snapshot = nb_lv_snapshot,
    .console_log = nb_lv_console_log,
    .attach_port = nb_lv_attach_port,
    .detach_port = nb_lv_detach_port,
    .diagnostics = nb_lv_diagnostics,
    .watch = nb_lv_watch,
};
