/* The libvirt virt driver's own header: what its files (libvirt.c the
 * connection and the read-only entries, libvirt_ops.c the actions,
 * libvirt_xml.c the domain XML, disk.c the image cache and disks) share.
 * Not for other modules: they see driver.h. */
#ifndef NB_VIRT_LIBVIRT_H
#define NB_VIRT_LIBVIRT_H

#include "compute/virt/driver.h"
#include "core/core.h"

#include <libvirt/libvirt.h>
#include <pthread.h>

/* ---- libvirt_xml.c: domain XML, generated (pure functions, unit tested) */

struct nb_lv_disk {
    const char *path;
    const char *format;             /* "qcow2", "raw" */
    const char *target;             /* "vda", "hdd" */
    bool cdrom;                     /* a read-only IDE cdrom (config drive) */
};

#define NB_LV_MAX_DISKS 6

/* Everything a domain definition says, borrowed. */
struct nb_lv_domain {
    const char *type;               /* "kvm" or "qemu" (TCG) */
    const char *name, *uuid;
    const char *hostname;           /* shown as the title; may be NULL */
    const char *project_id;         /* in the metadata; may be NULL */
    int64_t vcpus, memory_mb;
    const char *kernel, *initrd;    /* direct kernel boot when kernel is set */
    const char *cmdline;            /* the kernel's command line */
    struct nb_lv_disk disks[NB_LV_MAX_DISKS];
    int ndisks;
    const json_t *ports;            /* [{port_id, mac, ifname, mtu}] */
    const char *console_log;        /* the serial console's file */
};

/* The XML namespace of nubis's <metadata> element. */
#define NB_LV_NS "https://nubis.dev/xmlns/libvirt/instance/1.0"

/* Appends 's' to 'b' with the five XML special characters escaped. */
void nb_lv_xml_escape(struct nb_buf *b, const char *s);
/* The <domain> document for 'd': a new string the caller frees. */
char *nb_lv_domain_xml(const struct nb_lv_domain *d);
/* The <interface> element of one port ({port_id, mac, ifname, mtu}),
 * appended to 'b' (also what hot plug attaches).  -EINVAL when the port
 * has no mac or ifname. */
int nb_lv_interface_xml(struct nb_buf *b, const json_t *port);

/* ---- disk.c: the instance directory, the image cache, disk images */

/* Runs argv (no shell) and waits: 0 when it exited 0, else -EIO with what
 * it printed (stdout and stderr) in *err (new string; may be NULL).
 * *out (may be NULL) gets its output on success (new string). */
int nb_lv_run(const char *const argv[], char **out, char **err);

/* "<state>/instances/<uuid>" and files in it: new strings. */
char *nb_lv_inst_dir(const char *root, const char *uuid);
char *nb_lv_inst_file(const char *root, const char *uuid, const char *name);

/* The image cache: <instances>/_base/<image_id>, fetched once through the
 * image service as 'ctx', checksum verified, written to a temp file and
 * renamed.  Concurrent callers for one image wait for one fetch.  *path is
 * a new string.  *format is the image's disk format ("qcow2", "raw": a
 * static string). */
struct nb_lv_cache;
struct nb_lv_cache *nb_lv_cache_new(const char *base_dir);
void nb_lv_cache_free(struct nb_lv_cache *c);
int nb_lv_cache_fetch(struct nb_lv_cache *c, struct nb_ctx *ctx, const char *image_id,
                      char **path, char **err);
/* A successful fetch pins its image (aging never removes it) until the
 * caller, once a disk or boot.json references the file, releases it. */
void nb_lv_cache_release(struct nb_lv_cache *c, const char *image_id);
/* Nova's image cache manager: removes the cached files no instance under
 * 'inst' uses (no disk's qcow2 backing file, nothing boot.json or
 * rescue.json names) and not pinned, unused for 'min_age_s' seconds or
 * more (age: the file's mtime, which fetches and passes that see the file
 * in use refresh).  *removed (may be NULL) gets how many went. */
int nb_lv_cache_age(struct nb_lv_cache *c, const char *inst, int64_t min_age_s,
                    int *removed);
/* Verifies 'fd' (read from its start) against the checksum the image
 * document names (os_hash_algo + os_hash_value, else md5 'checksum');
 * 0 when it matches or the document names none, -EBADMSG otherwise. */
int nb_lv_checksum_verify(const json_t *image, int fd, char **err);

/* What `qemu-img info` says of 'path' read as 'fmt' (NULL: probed): its
 * format and virtual size.  -EPERM when the image has a backing file (an
 * image must not name files of the host). */
int nb_lv_img_info(const char *path, const char *fmt, char got[16], int64_t *vsize,
                   char **err);
/* A qcow2 overlay 'path' on 'base' (of format 'base_fmt': "qcow2" or
 * "raw"), of 'size_gb' GiB when that is larger than the base, else the
 * base's size.  -EINVAL when the base is not of that format. */
int nb_lv_img_overlay(const char *base, const char *base_fmt, const char *path,
                      int64_t size_gb, char **err);
/* An empty qcow2 disk of 'size_mb' MiB. */
int nb_lv_img_blank(const char *path, int64_t size_mb, char **err);
/* Grows a qcow2 disk to 'size_gb' GiB (never shrinks). */
int nb_lv_img_grow(const char *path, int64_t size_gb, char **err);
/* Converts 'path' to 'format' ("qcow2", "raw") and writes it to 'fd'. */
int nb_lv_img_export(const char *path, const char *format, int fd, bool shared,
                     char **err);
/* Removes 'path' and everything below it; 0 when it was not there. */
int nb_lv_rmtree(const char *path);

/* ---- libvirt.c: the connection */

struct nb_lv {
    virConnectPtr conn;
    char *root;                     /* the state dir, absolute */
    char *inst;                     /* <root>/instances */
    const char *type;               /* "kvm" or "qemu" */
    struct nb_lv_cache *cache;
    pthread_t loop;
    bool looping;
    volatile int stop;
    int cb_id;                      /* lifecycle callback, -1: none */
    int age_timer;                  /* the image cache's aging, -1: none */
    pthread_t warm;                 /* probes QEMU's capabilities */
    bool warming;
    long version;                   /* QEMU's, 7002022 for 7.2.22; 0: not yet */
    pthread_mutex_t lock;           /* watch fn/arg, version */
    nb_virt_event_fn watch_fn;
    void *watch_arg;
};

/* Domain of guest 'uuid' (caller virDomainFree's it), or NULL with
 * "Instance %s could not be found." in *err (err may be NULL). */
virDomainPtr nb_lv_domain_get(struct nb_lv *lv, const char *uuid, char **err);
/* The last libvirt error as a new string. */
char *nb_lv_error(const char *what);
/* 'dom's state as a Nova power state. */
enum nb_power nb_lv_power_of(virDomainPtr dom);

/* ---- libvirt_ops.c: the actions */

int nb_lv_spawn(void *drv, const struct nb_virt_guest *g, char **err);
int nb_lv_destroy(void *drv, const char *uuid, char **err);
int nb_lv_power_on(void *drv, const struct nb_virt_guest *g, char **err);
int nb_lv_power_off(void *drv, const char *uuid, int timeout_s, char **err);
int nb_lv_reboot(void *drv, const struct nb_virt_guest *g, bool hard, char **err);
int nb_lv_pause(void *drv, const char *uuid, char **err);
int nb_lv_unpause(void *drv, const char *uuid, char **err);
int nb_lv_suspend(void *drv, const char *uuid, char **err);
int nb_lv_resume(void *drv, const struct nb_virt_guest *g, char **err);
int nb_lv_rescue(void *drv, const struct nb_virt_guest *g, const json_t *image,
                 char **err);
int nb_lv_unrescue(void *drv, const struct nb_virt_guest *g, char **err);
int nb_lv_rebuild(void *drv, const struct nb_virt_guest *g, char **err);
int nb_lv_resize(void *drv, const struct nb_virt_guest *g, char **err);
int nb_lv_resize_confirm(void *drv, const char *uuid, char **err);
int nb_lv_resize_revert(void *drv, const struct nb_virt_guest *old, char **err);
int nb_lv_snapshot(void *drv, const char *uuid, const char *disk_format, int fd,
                   char **err);
int nb_lv_attach_port(void *drv, const char *uuid, const json_t *port, char **err);
int nb_lv_detach_port(void *drv, const char *uuid, const char *port_id, char **err);

extern const struct nb_virt_driver nb_virt_libvirt_driver;

#endif
