/* The libvirt driver's actions.  A guest is a persistent domain named
 * "instance-<uuid>" with the server's uuid, and a directory
 * <state>/instances/<uuid>/ holding its disks (disk: a qcow2 overlay on the
 * cached image; disk.eph0, disk.swap; disk.rescue while rescued;
 * disk.resize: the disk as it was before a resize, until confirm), its
 * console log, and boot.json: what the image said about booting (kernel,
 * ramdisk, command line), so any later definition (resize, rescue, rebuild
 * without a new image) boots the same way. */
#include "compute/virt/libvirt.h"

#include "compute/virt/configdrive.h"

#include <fcntl.h>
#include <libvirt/virterror.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NB_LV_TAP_WAIT_S 5

static bool nb_lv_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* What boot.json keeps of an image document: a new object. */
static json_t *nb_lv_boot_of(const json_t *image)
{
    return json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "id", nb_json_str(image, "id"),
                     "disk_format", nb_json_str(image, "disk_format"),
                     "kernel_id", nb_json_str(image, "kernel_id"),
                     "ramdisk_id", nb_json_str(image, "ramdisk_id"),
                     "os_command_line", nb_json_str(image, "os_command_line"));
}

/* The guest's boot.json: a new object, or NULL when it has none. */
static json_t *nb_lv_boot_load(struct nb_lv *lv, const char *uuid)
{
    char *path = nb_lv_inst_file(lv->root, uuid, "boot.json");
    json_t *boot = json_load_file(path, 0, NULL);
    free(path);
    return boot;
}

/* Writes 'boot' as the guest's 'name' (boot.json, rescue.json). */
static int nb_lv_boot_save_as(struct nb_lv *lv, const char *uuid, const char *name,
                              const json_t *boot)
{
    char *path = nb_lv_inst_file(lv->root, uuid, name);
    char *text = nb_json_dump(boot);
    int r = nb_file_write_atomic(path, text, strlen(text), 0600);
    free(text);
    free(path);
    return r;
}

static int nb_lv_boot_save(struct nb_lv *lv, const char *uuid, const json_t *boot)
{
    return nb_lv_boot_save_as(lv, uuid, "boot.json", boot);
}

/* Checks that every port's tap exists, waiting a little: the agent starts
 * a guest only once the data plane has plugged its ports
 * (nb_network_wait_plugged), so this is a sanity check with a clear
 * message, not the wait itself. */
static int nb_lv_wait_taps(const json_t *ports, char **err)
{
    int64_t end = nb_mono_us() + NB_LV_TAP_WAIT_S * 1000000LL;
    const json_t *port;
    size_t i;

    json_array_foreach(ports, i, port) {
        const char *ifname = nb_json_str(port, "ifname");
        while (ifname && if_nametoindex(ifname) == 0) {
            if (nb_mono_us() >= end) {
                *err = nb_xasprintf("The tap %s of port %s did not appear within %d s.",
                                    ifname, nb_json_str(port, "port_id"), NB_LV_TAP_WAIT_S);
                return -ETIMEDOUT;
            }
            usleep(50000);
        }
    }
    return 0;
}

/* The root disk's format for qemu-img: Glance's disk_format. */
static const char *nb_lv_fmt_of(const json_t *boot)
{
    const char *f = nb_json_str(boot, "disk_format");
    return f && !strcmp(f, "qcow2") ? "qcow2" : "raw";
}

/* The root disk 'name' of guest 'g' from image 'image' (its document):
 * cached, then a qcow2 overlay on it. */
static int nb_lv_root_make(struct nb_lv *lv, const struct nb_virt_guest *g,
                           const json_t *image, const char *name, int64_t size_gb,
                           char **err)
{
    char *base = NULL, *path = nb_lv_inst_file(lv->root, g->uuid, name);
    int r = nb_lv_cache_fetch(lv->cache, g->ctx, nb_json_str(image, "id"), &base, err);

    if (r == 0) {
        unlink(path);
        r = nb_lv_img_overlay(base, nb_lv_fmt_of(image), path, size_gb, err);
        nb_lv_cache_release(lv->cache, nb_json_str(image, "id"));
    }
    free(base);
    free(path);
    return r;
}

/* The config drive, when the guest asked for one or [compute]
 * force_config_drive says every guest has one (made again on rebuild, as
 * Nova does). */
static int nb_lv_config_drive(struct nb_lv *lv, const struct nb_virt_guest *g, char **err)
{
    char *iso;
    int r;

    if (!g->config_drive && !nb_conf_bool("compute", "force_config_drive"))
        return 0;
    iso = nb_lv_inst_file(lv->root, g->uuid, "disk.config");
    r = nb_virt_configdrive_build(g, iso, err);
    free(iso);
    return r;
}

/* The directory, root disk, ephemeral and swap disks, config drive and
 * boot.json of a new guest. */
static int nb_lv_disks_make(struct nb_lv *lv, const struct nb_virt_guest *g, char **err)
{
    char *dir = nb_lv_inst_dir(lv->root, g->uuid), *eph = NULL, *swap = NULL;
    json_t *boot = NULL;
    int r = nb_mkdir_p(dir, 0700);

    if (r < 0) {
        *err = nb_xasprintf("Cannot create %s: %s", dir, strerror(-r));
        goto out;
    }
    if (!g->image) {
        *err = nb_xasprintf("Instance %s: the libvirt driver boots from images only "
                            "(no volume service).", g->uuid);
        r = -EOPNOTSUPP;
        goto out;
    }
    boot = nb_lv_boot_of(g->image);
    r = nb_lv_root_make(lv, g, g->image, "disk", g->root_gb, err);
    eph = nb_lv_inst_file(lv->root, g->uuid, "disk.eph0");
    swap = nb_lv_inst_file(lv->root, g->uuid, "disk.swap");
    if (r == 0 && g->ephemeral_gb > 0)
        r = nb_lv_img_blank(eph, g->ephemeral_gb * 1024, err);
    if (r == 0 && g->swap_mb > 0)
        r = nb_lv_img_blank(swap, g->swap_mb, err);
    if (r == 0)
        r = nb_lv_config_drive(lv, g, err);
    if (r == 0)
        r = nb_lv_boot_save(lv, g->uuid, boot);
out:
    json_decref(boot);
    free(dir);
    free(eph);
    free(swap);
    return r;
}

/* Defines (or redefines) guest 'g' booting as 'boot' says (boot.json's
 * form); with 'rescue' (a boot.json form too) the rescue disk boots and
 * the guest's own disk is the second one.  *dom (may be NULL) gets the
 * domain, which the caller frees. */
static int nb_lv_define(struct nb_lv *lv, const struct nb_virt_guest *g, const json_t *boot,
                        const json_t *rescue, virDomainPtr *out, char **err)
{
    const json_t *from = rescue ? rescue : boot;
    char *paths[NB_LV_MAX_DISKS] = {0}, *kernel = NULL, *initrd = NULL, *xml = NULL;
    char *log = nb_lv_inst_file(lv->root, g->uuid, "console.log");
    char *name = nb_xasprintf("instance-%s", g->uuid);
    struct nb_lv_domain d = {
        .type = lv->type, .name = name, .uuid = g->uuid, .hostname = g->hostname,
        .project_id = g->project_id, .vcpus = g->vcpus > 0 ? g->vcpus : 1,
        .memory_mb = g->memory_mb > 0 ? g->memory_mb : 64, .ports = g->ports,
        .console_log = log, .cmdline = nb_json_str(from, "os_command_line"),
    };
    static const struct {
        const char *file, *target;
        bool cdrom;
    } layout[] = {
        {"disk.rescue", "vda", false}, {"disk", "vda", false}, {"disk.eph0", "vdb", false},
        {"disk.swap", "vdc", false}, {"disk.config", "hdd", true},
    };
    virDomainPtr dom = NULL;
    int r = 0, vd = 0;

    if (nb_json_str(from, "kernel_id"))
        r = nb_lv_cache_fetch(lv->cache, g->ctx, nb_json_str(from, "kernel_id"), &kernel, err);
    if (r == 0 && nb_json_str(from, "ramdisk_id"))
        r = nb_lv_cache_fetch(lv->cache, g->ctx, nb_json_str(from, "ramdisk_id"), &initrd,
                              err);
    if (r < 0)
        goto out;
    d.kernel = kernel;
    d.initrd = initrd;
    for (size_t i = 0; i < NB_ARRAY_SIZE(layout); i++) {
        char *p;
        if (i == 0 && !rescue)
            continue;
        p = nb_lv_inst_file(lv->root, g->uuid, layout[i].file);
        if (!nb_lv_exists(p)) {
            free(p);
            continue;
        }
        paths[d.ndisks] = p;
        d.disks[d.ndisks] = (struct nb_lv_disk){
            .path = p, .cdrom = layout[i].cdrom,
            .format = layout[i].cdrom ? "raw" : "qcow2",
        };
        if (layout[i].cdrom) {
            d.disks[d.ndisks].target = layout[i].target;
        } else {
            static const char *const vds[] = {"vda", "vdb", "vdc", "vdd"};
            d.disks[d.ndisks].target = vds[vd++];
        }
        d.ndisks++;
    }
    xml = nb_lv_domain_xml(&d);
    dom = virDomainDefineXML(lv->conn, xml);
    if (!dom) {
        *err = nb_lv_error("The guest could not be defined");
        r = -EIO;
    }
out:
    /* boot.json (rescue.json) names them by now */
    if (kernel)
        nb_lv_cache_release(lv->cache, nb_json_str(from, "kernel_id"));
    if (initrd)
        nb_lv_cache_release(lv->cache, nb_json_str(from, "ramdisk_id"));
    if (dom && out)
        *out = dom;
    else if (dom)
        virDomainFree(dom);
    for (int i = 0; i < NB_LV_MAX_DISKS; i++)
        free(paths[i]);
    free(kernel);
    free(initrd);
    free(xml);
    free(log);
    free(name);
    return r;
}

/* Starts 'dom' once the caller says g's ports are plugged and their taps
 * exist. */
static int nb_lv_start(virDomainPtr dom, const struct nb_virt_guest *g, char **err)
{
    int r = g->plugged ? g->plugged(g, err) : 0;

    if (r == 0)
        r = nb_lv_wait_taps(g->ports, err);

    if (r == 0 && virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0) {
        *err = nb_lv_error("The guest could not be started");
        r = -EIO;
    }
    return r;
}

/* Stops 'dom' at once (0 when it was not running). */
static int nb_lv_kill(virDomainPtr dom, char **err)
{
    if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0 &&
        virDomainIsActive(dom) == 1) {
        *err = nb_lv_error("The guest could not be stopped");
        return -EIO;
    }
    return 0;
}

/* Stops the guest, redefines it (see nb_lv_define) and starts it. */
static int nb_lv_redefine(struct nb_lv *lv, const struct nb_virt_guest *g, const json_t *boot,
                          const json_t *rescue, char **err)
{
    virDomainPtr dom = nb_lv_domain_get(lv, g->uuid, err), ndom = NULL;
    int r = dom ? nb_lv_kill(dom, err) : -ENOENT;

    if (r == 0)
        r = nb_lv_define(lv, g, boot, rescue, &ndom, err);
    if (r == 0)
        r = nb_lv_start(ndom, g, err);
    if (dom)
        virDomainFree(dom);
    if (ndom)
        virDomainFree(ndom);
    return r;
}

/* Loads boot.json of 'g', or makes it from g->image. */
static json_t *nb_lv_boot_get(struct nb_lv *lv, const struct nb_virt_guest *g)
{
    json_t *boot = nb_lv_boot_load(lv, g->uuid);
    return boot ? boot : g->image ? nb_lv_boot_of(g->image) : json_object();
}

int nb_lv_spawn(void *drv, const struct nb_virt_guest *g, char **err)
{
    struct nb_lv *lv = drv;
    virDomainPtr dom = nb_lv_domain_get(lv, g->uuid, NULL);
    json_t *boot = NULL;
    int64_t t0 = nb_mono_us();
    int r;

    if (dom) {                          /* already there: left as it is */
        virDomainFree(dom);
        return 0;
    }
    r = nb_lv_disks_make(lv, g, err);
    if (r == 0) {
        boot = nb_lv_boot_load(lv, g->uuid);
        r = nb_lv_define(lv, g, boot, NULL, &dom, err);
    }
    if (r == 0)
        r = nb_lv_start(dom, g, err);
    if (r == 0)
        nb_info("libvirt: guest %s started (%s, %.2f s)", g->uuid, lv->type,
                (double)(nb_mono_us() - t0) / 1e6);
    if (dom)
        virDomainFree(dom);
    json_decref(boot);
    return r;
}

int nb_lv_destroy(void *drv, const char *uuid, char **err)
{
    struct nb_lv *lv = drv;
    virDomainPtr dom = nb_lv_domain_get(lv, uuid, NULL);
    char *dir;
    int r = 0;

    if (dom) {
        r = nb_lv_kill(dom, err);
        if (r == 0 && virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                                      VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                                      VIR_DOMAIN_UNDEFINE_NVRAM) < 0) {
            *err = nb_lv_error("The guest could not be undefined");
            r = -EIO;
        }
        virDomainFree(dom);
    }
    if (r < 0)
        return r;
    dir = nb_lv_inst_dir(lv->root, uuid);
    r = nb_lv_rmtree(dir);
    if (r < 0)
        *err = nb_xasprintf("Cannot remove %s: %s", dir, strerror(-r));
    free(dir);
    return r;
}

int nb_lv_power_on(void *drv, const struct nb_virt_guest *g, char **err)
{
    virDomainPtr dom = nb_lv_domain_get(drv, g->uuid, err);
    int r = dom ? nb_lv_start(dom, g, err) : -ENOENT;
    if (dom)
        virDomainFree(dom);
    return r;
}

/* Asks the guest to shut down (ACPI power button) and waits up to
 * 'timeout_s' for it to stop: true when it did.  The request is repeated
 * every few seconds, as Nova's _clean_shutdown does: a guest still
 * booting misses a press that comes before its button driver. */
static bool nb_lv_acpi_off(virDomainPtr dom, int timeout_s)
{
    int64_t now = nb_mono_us(), end = now + (int64_t)timeout_s * 1000000, next = now;

    while (virDomainIsActive(dom) == 1) {
        now = nb_mono_us();
        if (now >= end)
            return false;
        if (now >= next) {
            virDomainShutdown(dom);
            next = now + 5000000;
        }
        usleep(100000);
    }
    return true;
}

/* ACPI shutdown, then destroy after 'timeout_s'. */
static int nb_lv_shutdown(virDomainPtr dom, int timeout_s, char **err)
{
    if (virDomainIsActive(dom) != 1)
        return 0;
    if (timeout_s > 0 && nb_lv_acpi_off(dom, timeout_s))
        return 0;
    return nb_lv_kill(dom, err);
}

int nb_lv_power_off(void *drv, const char *uuid, int timeout_s, char **err)
{
    virDomainPtr dom = nb_lv_domain_get(drv, uuid, err);
    int r = dom ? nb_lv_shutdown(dom, timeout_s, err) : -ENOENT;
    if (dom)
        virDomainFree(dom);
    return r;
}

/* Soft: ACPI shutdown and start again (Nova's _soft_reboot), hard when the
 * guest does not stop within [libvirt] wait_soft_reboot_seconds. */
int nb_lv_reboot(void *drv, const struct nb_virt_guest *g, bool hard, char **err)
{
    virDomainPtr dom = nb_lv_domain_get(drv, g->uuid, err);
    long wait = nb_conf_int("libvirt", "wait_soft_reboot_seconds");
    int r = 0;

    if (!dom)
        return -ENOENT;
    if (!hard && virDomainIsActive(dom) == 1 && wait > 0 && !nb_lv_acpi_off(dom, (int)wait))
        nb_info("libvirt: guest %s did not shut down within %ld s: hard reboot", g->uuid,
                wait);
    r = nb_lv_kill(dom, err);
    if (r == 0)
        r = nb_lv_start(dom, g, err);
    virDomainFree(dom);
    return r;
}

/* Runs 'op' on the domain of 'uuid'; -EBUSY with libvirt's message when it
 * refuses. */
static int nb_lv_do(void *drv, const char *uuid, int (*op)(virDomainPtr), const char *what,
                    char **err)
{
    virDomainPtr dom = nb_lv_domain_get(drv, uuid, err);
    int r = 0;

    if (!dom)
        return -ENOENT;
    if (op(dom) < 0) {
        *err = nb_lv_error(what);
        r = -EBUSY;
    }
    virDomainFree(dom);
    return r;
}

static int nb_lv_managed_save(virDomainPtr dom)
{
    return virDomainManagedSave(dom, 0);
}

int nb_lv_pause(void *drv, const char *uuid, char **err)
{
    return nb_lv_do(drv, uuid, virDomainSuspend, "The guest could not be paused", err);
}

int nb_lv_unpause(void *drv, const char *uuid, char **err)
{
    return nb_lv_do(drv, uuid, virDomainResume, "The guest could not be unpaused", err);
}

int nb_lv_suspend(void *drv, const char *uuid, char **err)
{
    return nb_lv_do(drv, uuid, nb_lv_managed_save, "The guest could not be suspended", err);
}

/* Starting a domain with a managed save restores it. */
int nb_lv_resume(void *drv, const struct nb_virt_guest *g, char **err)
{
    return nb_lv_power_on(drv, g, err);
}

/* What an action on one guest holds: its domain, its boot.json, and the
 * paths of the files of its directory the action names. */
struct nb_lv_act {
    struct nb_lv *lv;
    virDomainPtr dom;
    json_t *boot;
    char *file[3];
};

/* Begins an action on guest 'g': its domain (-ENOENT, with the message in
 * *err, when it has none), its boot.json ('boot' NULL: loaded, or made
 * from g->image; else 'boot', which the action then owns) and the paths of
 * 'names' (up to three, NULL-terminated).  nb_lv_act_end frees it all,
 * whatever this returned. */
static int nb_lv_act_begin(struct nb_lv_act *a, void *drv, const struct nb_virt_guest *g,
                           json_t *boot, const char *const *names, char **err)
{
    *a = (struct nb_lv_act){.lv = drv};
    a->boot = boot ? boot : nb_lv_boot_get(a->lv, g);
    for (int i = 0; names && i < (int)NB_ARRAY_SIZE(a->file) && names[i]; i++)
        a->file[i] = nb_lv_inst_file(a->lv->root, g->uuid, names[i]);
    a->dom = nb_lv_domain_get(a->lv, g->uuid, err);
    return a->dom ? 0 : -ENOENT;
}

static void nb_lv_act_end(struct nb_lv_act *a)
{
    if (a->dom)
        virDomainFree(a->dom);
    json_decref(a->boot);
    for (size_t i = 0; i < NB_ARRAY_SIZE(a->file); i++)
        free(a->file[i]);
}

/* The guest's own boot ends the action: redefined and started (see
 * nb_lv_redefine), then everything freed. */
static int nb_lv_act_finish(struct nb_lv_act *a, const struct nb_virt_guest *g, int r,
                            char **err)
{
    if (r == 0)
        r = nb_lv_redefine(a->lv, g, a->boot, NULL, err);
    nb_lv_act_end(a);
    return r;
}

int nb_lv_rescue(void *drv, const struct nb_virt_guest *g, const json_t *image, char **err)
{
    static const char *const names[] = {"disk.rescue", NULL};
    struct nb_lv_act a;
    json_t *rboot = NULL;
    int r = nb_lv_act_begin(&a, drv, g, NULL, names, err);

    if (r == 0 && nb_lv_exists(a.file[0])) {
        *err = nb_xasprintf("Instance %s is already rescued.", g->uuid);
        r = -EBUSY;
    }
    if (r == 0)
        r = nb_lv_kill(a.dom, err);
    rboot = image ? nb_lv_boot_of(image) : json_deep_copy(a.boot);
    if (r == 0 && !nb_json_str(rboot, "id")) {
        *err = nb_xasprintf("Instance %s has no image to rescue it with.", g->uuid);
        r = -EINVAL;
    }
    if (r == 0)
        r = nb_lv_root_make(a.lv, g, rboot, "disk.rescue", 0, err);
    /* what the rescue boots, for the image cache's aging */
    if (r == 0)
        r = nb_lv_boot_save_as(a.lv, g->uuid, "rescue.json", rboot);
    if (r == 0)
        r = nb_lv_redefine(a.lv, g, a.boot, rboot, err);
    nb_lv_act_end(&a);
    json_decref(rboot);
    return r;
}

int nb_lv_unrescue(void *drv, const struct nb_virt_guest *g, char **err)
{
    static const char *const names[] = {"disk.rescue", "rescue.json", NULL};
    struct nb_lv_act a;
    int r = nb_lv_act_begin(&a, drv, g, NULL, names, err);

    if (r == 0 && !nb_lv_exists(a.file[0])) {
        *err = nb_xasprintf("Instance %s is not rescued.", g->uuid);
        r = -EBUSY;
    }
    if (r == 0)
        r = nb_lv_kill(a.dom, err);
    if (r == 0) {
        unlink(a.file[0]);
        unlink(a.file[1]);
    }
    return nb_lv_act_finish(&a, g, r, err);
}

/* A new root disk from g->image (the guest's own image when the caller
 * gives none), the guest started on it. */
int nb_lv_rebuild(void *drv, const struct nb_virt_guest *g, char **err)
{
    struct nb_lv_act a;
    int r = nb_lv_act_begin(&a, drv, g, g->image ? nb_lv_boot_of(g->image) : NULL, NULL,
                            err);

    if (r == 0)
        r = nb_lv_kill(a.dom, err);
    if (r == 0)
        r = nb_lv_root_make(a.lv, g, a.boot, "disk", g->root_gb, err);
    if (r == 0)
        r = nb_lv_config_drive(a.lv, g, err);
    if (r == 0)
        r = nb_lv_boot_save(a.lv, g->uuid, a.boot);
    return nb_lv_act_finish(&a, g, r, err);
}

/* Copies disk file 'from' to 'to', holes kept. */
static int nb_lv_copy(const char *from, const char *to)
{
    const char *argv[] = {"cp", "--sparse=always", "--", from, to, NULL};
    return nb_lv_run(argv, NULL, NULL);
}

static const char *const nb_lv_resize_files[] = {"disk", "disk.resize", "disk.eph0", NULL};

int nb_lv_resize(void *drv, const struct nb_virt_guest *g, char **err)
{
    struct nb_lv_act a;
    int r = nb_lv_act_begin(&a, drv, g, NULL, nb_lv_resize_files, err);
    char *disk = a.file[0], *keep = a.file[1], *eph = a.file[2];

    if (r == 0)
        r = nb_lv_shutdown(a.dom, 0, err);
    /* what revert needs: the disk as it was (a second resize before
     * confirm keeps the first one's) */
    if (r == 0 && !nb_lv_exists(keep) && (r = nb_lv_copy(disk, keep)) < 0)
        *err = nb_xasprintf("Cannot keep the disk of %s for a revert.", g->uuid);
    if (r == 0)
        r = nb_lv_img_grow(disk, g->root_gb, err);
    if (r == 0 && g->ephemeral_gb > 0)
        r = nb_lv_exists(eph) ? nb_lv_img_grow(eph, g->ephemeral_gb, err)
                              : nb_lv_img_blank(eph, g->ephemeral_gb * 1024, err);
    return nb_lv_act_finish(&a, g, r, err);
}

int nb_lv_resize_confirm(void *drv, const char *uuid, char **err)
{
    struct nb_lv *lv = drv;
    char *keep = nb_lv_inst_file(lv->root, uuid, "disk.resize");
    virDomainPtr dom = nb_lv_domain_get(lv, uuid, err);
    int r = dom ? 0 : -ENOENT;

    if (dom)
        virDomainFree(dom);
    if (r == 0 && unlink(keep) < 0 && errno != ENOENT)
        r = -errno;
    free(keep);
    return r;
}

int nb_lv_resize_revert(void *drv, const struct nb_virt_guest *old, char **err)
{
    struct nb_lv_act a;
    int r = nb_lv_act_begin(&a, drv, old, NULL, nb_lv_resize_files, err);

    if (r == 0)
        r = nb_lv_kill(a.dom, err);
    if (r == 0 && nb_lv_exists(a.file[1]) && rename(a.file[1], a.file[0]) < 0) {
        r = -errno;
        *err = nb_xasprintf("Cannot restore the disk of %s: %s", old->uuid, strerror(-r));
    }
    return nb_lv_act_finish(&a, old, r, err);
}

/* A running guest is paused while its disk is read, so the image is
 * consistent (crash-consistent, as Nova's live snapshot). */
int nb_lv_snapshot(void *drv, const char *uuid, const char *disk_format, int fd, char **err)
{
    struct nb_lv *lv = drv;
    virDomainPtr dom = nb_lv_domain_get(lv, uuid, err);
    char *disk = nb_lv_inst_file(lv->root, uuid, "disk");
    bool active, paused = false;
    int r;

    if (!dom) {
        free(disk);
        return -ENOENT;
    }
    active = virDomainIsActive(dom) == 1;
    if (active && nb_lv_power_of(dom) == NB_POWER_RUNNING)
        paused = virDomainSuspend(dom) == 0;
    r = nb_lv_img_export(disk, disk_format, fd, active, err);
    if (paused)
        virDomainResume(dom);
    virDomainFree(dom);
    free(disk);
    return r;
}

/* The flags of a device change: the definition, and the running guest. */
static unsigned nb_lv_dev_flags(virDomainPtr dom)
{
    return VIR_DOMAIN_AFFECT_CONFIG |
           (virDomainIsActive(dom) == 1 ? VIR_DOMAIN_AFFECT_LIVE : 0);
}

int nb_lv_attach_port(void *drv, const char *uuid, const json_t *port, char **err)
{
    virDomainPtr dom = nb_lv_domain_get(drv, uuid, err);
    json_t *one = json_pack("[O]", port);
    struct nb_buf xml = {0};
    int r = dom ? nb_lv_interface_xml(&xml, port) : -ENOENT;

    if (r == -EINVAL)
        *err = nb_xasprintf("Port %s has no MAC address or tap.",
                            nb_json_str(port, "port_id"));
    if (r == 0 && virDomainIsActive(dom) == 1)
        r = nb_lv_wait_taps(one, err);
    if (r == 0 && virDomainAttachDeviceFlags(dom, xml.buf, nb_lv_dev_flags(dom)) < 0) {
        *err = nb_lv_error("The port could not be attached");
        r = -EIO;
    }
    if (dom)
        virDomainFree(dom);
    json_decref(one);
    nb_buf_free(&xml);
    return r;
}

/* Whether the definition of 'dom' (or the running guest's, 'live') has a
 * device with alias 'alias'. */
static bool nb_lv_has_alias(virDomainPtr dom, const char *alias, bool live)
{
    char *xml = virDomainGetXMLDesc(dom, live ? 0 : VIR_DOMAIN_XML_INACTIVE);
    char *want = nb_xasprintf("<alias name='%s'/>", alias);
    bool yes = xml && strstr(xml, want);
    free(xml);
    free(want);
    return yes;
}

int nb_lv_detach_port(void *drv, const char *uuid, const char *port_id, char **err)
{
    virDomainPtr dom = nb_lv_domain_get(drv, uuid, err);
    char *alias = nb_xasprintf("ua-%s", port_id);
    unsigned flags = 0;
    int r = dom ? 0 : -ENOENT;

    /* a port that is not there (any more) is detached: idempotent */
    if (r == 0 && nb_lv_has_alias(dom, alias, false))
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (r == 0 && virDomainIsActive(dom) == 1 && nb_lv_has_alias(dom, alias, true))
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (r == 0 && flags && virDomainDetachDeviceAlias(dom, alias, flags) < 0) {
        *err = nb_lv_error("The port could not be detached");
        r = -EIO;
    }
    if (dom)
        virDomainFree(dom);
    free(alias);
    return r;
}
