/* The host's side of the server actions: the ops the agent runs by name
 * (nb_cmp_action_ops), each one driver call and the states Nova's compute
 * manager leaves behind, and the registry through which the API reads a
 * guest's console.
 *
 * The agent loads the row, records the op's event around run() and runs
 * one task of a server at a time, so an op only asks the driver and
 * writes the outcome: on success the new vm_state, no task_state and the
 * power state the driver reports; on failure no task_state and a fault
 * (and vm_state error where Nova's manager sets it: rebuild, resize). */
#include "compute/actions.h"
#include "compute/extras.h"
#include "image/image.h"
#include "network/network.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- ending a task */

static int nb_op_set(const char *id, const json_t *changes)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_server_set(tx, id, changes);
    if (r == 0)
        return nb_tx_commit(tx);
    nb_tx_rollback(tx);
    return r;
}

int nb_op_step(struct nb_cmp_task *t, const char *task_state)
{
    json_t *set = json_pack("{s:s}", "task_state", task_state);
    int r = nb_op_set(t->server_id, set);
    json_decref(set);
    return r;
}

int nb_op_end(struct nb_cmp_task *t, int r, const char *err, const json_t *changes,
              const char *fail_vm_state)
{
    json_t *set = r == 0 && changes ? json_deep_copy(changes) : json_object();
    enum nb_power p = NB_POWER_NOSTATE;
    char now[NB_TIME_LEN];

    json_object_set_new(set, "task_state", json_null());
    t->drv->power_state(t->virt, t->server_id, &p);
    json_object_set_new(set, "power_state", json_integer(p));
    if (r < 0) {
        nb_warn("compute: %s of %s failed: %s", t->op, t->server_id,
                err ? err : strerror(-r));
        nb_time_fmt(nb_now_us(), 0, now);
        json_object_set_new(set, "fault",
                            json_pack("{s:i,s:s,s:s,s:s}", "code", 500, "message",
                                      err ? err : strerror(-r), "details", "",
                                      "created", now));
        if (fail_vm_state)
            json_object_set_new(set, "vm_state", json_string(fail_vm_state));
    }
    if (nb_op_set(t->server_id, set) < 0)
        nb_error("compute: cannot record the end of %s of %s", t->op, t->server_id);
    json_decref(set);
    return r;
}

/* Ends 't' in 'vm_state' when the driver call returned r == 0. */
static int nb_op_end_vm(struct nb_cmp_task *t, int r, char *err, const char *vm_state)
{
    json_t *set = json_pack("{s:s}", "vm_state", vm_state);
    r = nb_op_end(t, r, err, set, NULL);
    json_decref(set);
    free(err);
    return r;
}

/* ---- power */

static int nb_op_stop(struct nb_cmp_task *t)
{
    char *err = NULL;
    int r = t->drv->power_off(t->virt, t->server_id, 60, &err);
    return nb_op_end_vm(t, r, err, NB_VM_STOPPED);
}

static int nb_op_start(struct nb_cmp_task *t)
{
    struct nb_virt_guest g;
    char *err = NULL;
    nb_cmp_guest_of(t->server, t->ctx, &g);
    return nb_op_end_vm(t, t->drv->power_on(t->virt, &g, &err), err, NB_VM_ACTIVE);
}

static int nb_op_reboot(struct nb_cmp_task *t)
{
    const char *type = nb_json_str(t->args, "type");
    struct nb_virt_guest g;
    char *err = NULL;
    nb_cmp_guest_of(t->server, t->ctx, &g);
    return nb_op_end_vm(t, t->drv->reboot(t->virt, &g, type && !strcmp(type, "HARD"), &err),
                        err, NB_VM_ACTIVE);
}

static int nb_op_pause(struct nb_cmp_task *t)
{
    char *err = NULL;
    return nb_op_end_vm(t, t->drv->pause(t->virt, t->server_id, &err), err, NB_VM_PAUSED);
}

static int nb_op_unpause(struct nb_cmp_task *t)
{
    char *err = NULL;
    return nb_op_end_vm(t, t->drv->unpause(t->virt, t->server_id, &err), err, NB_VM_ACTIVE);
}

static int nb_op_suspend(struct nb_cmp_task *t)
{
    char *err = NULL;
    return nb_op_end_vm(t, t->drv->suspend(t->virt, t->server_id, &err), err,
                        NB_VM_SUSPENDED);
}

static int nb_op_resume(struct nb_cmp_task *t)
{
    struct nb_virt_guest g;
    char *err = NULL;
    nb_cmp_guest_of(t->server, t->ctx, &g);
    return nb_op_end_vm(t, t->drv->resume(t->virt, &g, &err), err, NB_VM_ACTIVE);
}

/* ---- rescue: the rescue image as the owner sees it (the server's own
 * when none was named) */

static int nb_op_rescue(struct nb_cmp_task *t)
{
    const char *image_id = nb_json_str(t->args, "image_id");
    struct nb_virt_guest g;
    json_t *image = NULL;
    char *err = NULL;
    int r = 0;

    nb_cmp_guest_of(t->server, t->ctx, &g);
    if (image_id && (r = nb_image_get(t->ctx, image_id, &image)) < 0)
        err = nb_xasprintf("Rescue image %s: %s", image_id, t->ctx->err_msg);
    if (r == 0)
        r = t->drv->rescue(t->virt, &g, image, &err);
    json_decref(image);
    return nb_op_end_vm(t, r, err, NB_VM_RESCUED);
}

static int nb_op_unrescue(struct nb_cmp_task *t)
{
    struct nb_virt_guest g;
    char *err = NULL;
    nb_cmp_guest_of(t->server, t->ctx, &g);
    return nb_op_end_vm(t, t->drv->unrescue(t->virt, &g, &err), err, NB_VM_ACTIVE);
}

/* ---- rebuild: a new root disk from the image the API recorded; a server
 * that was stopped is stopped again (Nova's rebuild keeps the power state
 * the user left) */

static int nb_op_rebuild(struct nb_cmp_task *t)
{
    bool stopped = json_is_true(json_object_get(t->args, "stopped"));
    const char *image_ref = nb_json_str(t->server, "image_ref");
    struct nb_virt_guest g;
    char *err = NULL;
    json_t *set, *image = NULL;
    int r = nb_op_step(t, NB_TASK_REBUILD_SPAWNING);

    nb_cmp_guest_of(t->server, t->ctx, &g);
    if (r == 0 && image_ref && *image_ref && nb_image_get(t->ctx, image_ref, &image) < 0) {
        r = -ENOENT;
        err = nb_xasprintf("Image %s could not be found.", image_ref);
    }
    g.image = image;
    if (r == 0)
        r = t->drv->rebuild(t->virt, &g, &err);
    if (r == 0 && stopped)
        r = t->drv->power_off(t->virt, t->server_id, 0, &err);
    set = json_pack("{s:s,s:I}", "vm_state", stopped ? NB_VM_STOPPED : NB_VM_ACTIVE,
                    "launched_at", (json_int_t)nb_now_us());
    r = nb_op_end(t, r, err, set, NB_VM_ERROR);
    json_decref(set);
    json_decref(image);
    free(err);
    return r;
}

/* ---- resize: the API recorded new_flavor; the guest takes it and the
 * server waits in RESIZED (VERIFY_RESIZE) for confirm or revert with its
 * old flavor in old_flavor.  A stopped server stays stopped. */

/* The columns that follow a flavor (as embedded in a server). */
static json_t *nb_op_flavor_cols(const json_t *flavor)
{
    return json_pack("{s:O,s:s?,s:I,s:I,s:I}", "flavor", flavor, "flavor_id",
                     nb_json_str(flavor, "id"), "vcpus",
                     json_integer_value(json_object_get(flavor, "vcpus")), "memory_mb",
                     json_integer_value(json_object_get(flavor, "ram")), "root_gb",
                     json_integer_value(json_object_get(flavor, "disk")));
}

/* 'g' as the guest of 'server' with 'flavor' instead of its own. */
static void nb_op_guest_flavor(const struct nb_cmp_task *t, const json_t *flavor,
                               struct nb_virt_guest *g)
{
    nb_cmp_guest_of(t->server, t->ctx, g);
    g->flavor = flavor;
    g->vcpus = json_integer_value(json_object_get(flavor, "vcpus"));
    g->memory_mb = json_integer_value(json_object_get(flavor, "ram"));
    g->root_gb = json_integer_value(json_object_get(flavor, "disk"));
    g->ephemeral_gb = json_integer_value(json_object_get(flavor, "ephemeral"));
    g->swap_mb = json_integer_value(json_object_get(flavor, "swap"));
}

static bool nb_op_was_stopped(const struct nb_cmp_task *t)
{
    const char *vm = nb_json_str(t->server, "vm_state");
    return (vm && !strcmp(vm, NB_VM_STOPPED)) ||
           json_integer_value(json_object_get(t->server, "power_state")) == NB_POWER_SHUTDOWN;
}

static int nb_op_resize(struct nb_cmp_task *t)
{
    const json_t *nf = json_object_get(t->server, "new_flavor");
    bool stopped = nb_op_was_stopped(t);
    struct nb_virt_guest g;
    char *err = NULL;
    json_t *set = NULL;
    int r = json_is_object(nf) ? nb_op_step(t, NB_TASK_RESIZE_MIGRATING) : -EINVAL;

    if (r == -EINVAL)
        err = nb_xstrdup("The server has no flavor to resize to.");
    nb_op_guest_flavor(t, nf, &g);
    if (r == 0)
        r = nb_op_step(t, NB_TASK_RESIZE_FINISH);
    if (r == 0)
        r = t->drv->resize(t->virt, &g, &err);
    if (r == 0 && stopped)
        r = t->drv->power_off(t->virt, t->server_id, 0, &err);
    if (r == 0) {
        set = nb_op_flavor_cols(nf);
        json_object_set(set, "old_flavor", json_object_get(t->server, "flavor"));
        json_object_set_new(set, "vm_state", json_string(NB_VM_RESIZED));
    }
    nb_cmp_migration_step(t->server_id, r == 0 ? "finished" : "error");
    r = nb_op_end(t, r, err, set, NB_VM_ERROR);
    json_decref(set);
    free(err);
    return r;
}

static int nb_op_confirm_resize(struct nb_cmp_task *t)
{
    enum nb_power p = NB_POWER_NOSTATE;
    char *err = NULL;
    json_t *set;
    int r = t->drv->resize_confirm(t->virt, t->server_id, &err);

    t->drv->power_state(t->virt, t->server_id, &p);
    set = json_pack("{s:n,s:n,s:s}", "old_flavor", "new_flavor", "vm_state",
                    p == NB_POWER_SHUTDOWN ? NB_VM_STOPPED : NB_VM_ACTIVE);
    nb_cmp_migration_step(t->server_id, r == 0 ? "confirmed" : "error");
    r = nb_op_end(t, r, err, set, NB_VM_ERROR);
    json_decref(set);
    free(err);
    return r;
}

static int nb_op_revert_resize(struct nb_cmp_task *t)
{
    const json_t *of = json_object_get(t->server, "old_flavor");
    bool stopped = nb_op_was_stopped(t);
    struct nb_virt_guest g;
    char *err = NULL;
    json_t *set = NULL;
    int r = 0;

    if (!json_is_object(of)) {
        r = -EINVAL;
        err = nb_xstrdup("The server has no flavor to revert to.");
    }
    nb_op_guest_flavor(t, of, &g);
    if (r == 0)
        r = t->drv->resize_revert(t->virt, &g, &err);
    if (r == 0 && stopped)
        r = t->drv->power_off(t->virt, t->server_id, 0, &err);
    if (r == 0) {
        set = nb_op_flavor_cols(of);
        json_object_set_new(set, "old_flavor", json_null());
        json_object_set_new(set, "new_flavor", json_null());
        json_object_set_new(set, "vm_state",
                            json_string(stopped ? NB_VM_STOPPED : NB_VM_ACTIVE));
    }
    nb_cmp_migration_step(t->server_id, r == 0 ? "reverted" : "error");
    r = nb_op_end(t, r, err, set, NB_VM_ERROR);
    json_decref(set);
    free(err);
    return r;
}

/* ---- snapshot (createImage): the driver writes the root disk to an
 * unlinked file under the state directory, which is uploaded as the
 * image the API created; a failed snapshot deletes that image, as Nova's
 * manager does */

int nb_op_snapshot_write(struct nb_cmp_task *t, struct nb_ctx *ctx, const char *image_id,
                         const char *fmt, const char *uploading, char **err)
{
    char *path = nb_xasprintf("%s/snapshot-XXXXXX", nb_cmp_env()->state_dir);
    int fd = mkstemp(path);
    int r;

    if (fd < 0) {
        r = -errno;
        *err = nb_xasprintf("Cannot create a snapshot file: %s", strerror(errno));
        goto out;
    }
    unlink(path);
    r = t->drv->snapshot(t->virt, t->server_id, fmt, fd, err);
    if (r == 0)
        r = nb_op_step(t, uploading);
    if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
        r = -errno;
    if (r == 0 && (r = nb_image_upload_fd(ctx, image_id, fd)) < 0)
        *err = nb_xasprintf("Snapshot upload failed: %s", ctx->err_msg);
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return r;
}

/* createBackup: keeps the 'rotation' newest backups of this type of the
 * server and deletes the older ones (Nova's _rotate_backups). */
static void nb_op_rotate(struct nb_cmp_task *t, struct nb_ctx *ctx, const json_t *rotate)
{
    json_int_t keep = json_integer_value(json_object_get(rotate, "rotation"));
    json_t *q = json_pack("{s:s,s:s,s:O,s:s,s:s,s:s}", "instance_uuid", t->server_id,
                          "image_type", "backup", "backup_type",
                          json_object_get(rotate, "backup_type"), "sort_key", "created_at",
                          "sort_dir", "desc", "limit", "1000");
    json_t *imgs = NULL;
    const json_t *img;
    size_t i;

    if (nb_image_list(ctx, q, &imgs) < 0)
        nb_warn("compute: cannot list the backups of %s: %s", t->server_id, ctx->err_msg);
    json_array_foreach(imgs, i, img) {
        if ((json_int_t)i < keep)
            continue;
        ctx->err_status = 0;
        if (nb_image_delete(ctx, nb_json_str(img, "id")) < 0)
            nb_warn("compute: cannot rotate backup %s of %s out: %s",
                    nb_json_str(img, "id"), t->server_id, ctx->err_msg);
    }
    json_decref(imgs);
    json_decref(q);
}

static int nb_op_snapshot(struct nb_cmp_task *t)
{
    const char *image_id = nb_json_str(t->args, "image_id");
    const char *fmt = nb_json_str(t->args, "disk_format");
    char *err = NULL;
    int r = image_id ? nb_op_step(t, NB_TASK_PENDING_UPLOAD) : -EINVAL;

    if (r == 0)
        r = nb_op_snapshot_write(t, t->ctx, image_id, fmt ? fmt : "qcow2", NB_TASK_UPLOADING,
                                 &err);
    if (r == 0 && json_object_get(t->args, "rotate"))
        nb_op_rotate(t, t->ctx, json_object_get(t->args, "rotate"));
    if (r < 0 && image_id) {
        t->ctx->err_status = 0;
        if (nb_image_delete(t->ctx, image_id) < 0)
            nb_warn("compute: cannot delete image %s of a failed snapshot: %s", image_id,
                    t->ctx->err_msg);
    }
    r = nb_op_end(t, r, err, NULL, NULL);
    free(err);
    return r;
}

/* ---- interfaces: the API created or bound the port and recorded it in
 * network_info; the guest gets it hot plugged.  A detach unplugs it, then
 * deletes the port when the server made it, or frees it otherwise. */

/* Drops port 'port_id' from the server's network_info and releases the
 * port (acting for the server's owner). */
static int nb_op_port_release(struct nb_cmp_task *t, const char *port_id)
{
    const json_t *info = json_object_get(t->server, "network_info"), *vif;
    json_t *keep = json_array(), *set;
    bool made = false;
    struct nb_ctx ctx;
    size_t i;
    int r;

    json_array_foreach(info, i, vif) {
        if (strcmp(nb_json_str(vif, "port_id") ? nb_json_str(vif, "port_id") : "", port_id))
            json_array_append(keep, (json_t *)vif);
        else
            made = json_is_true(json_object_get(vif, "created_by_nova"));
    }
    set = json_pack("{s:o}", "network_info", keep);
    r = nb_op_set(t->server_id, set);
    json_decref(set);
    nb_cmp_ctx_for(&ctx, nb_json_str(t->server, "project_id"),
                   nb_json_str(t->server, "user_id"), t->request_id);
    if (made) {
        if (nb_network_port_delete(&ctx, port_id) == -ENOENT)
            ctx.err_status = 0;
    } else {
        json_t *unbind = json_pack("{s:s,s:s,s:s}", "device_id", "", "device_owner", "",
                                   "binding:host_id", "");
        nb_network_port_update(&ctx, port_id, unbind, NULL);
        json_decref(unbind);
    }
    return r;
}

static int nb_op_attach_interface(struct nb_cmp_task *t)
{
    const json_t *port = json_object_get(t->args, "port");
    char *err = NULL;
    int r = nb_cmp_wait_plugged(t->ctx, t->server_id);
    if (r < 0)
        err = nb_xstrdup(t->ctx->err_msg);
    else
        r = t->drv->attach_port(t->virt, t->server_id, port, &err);
    if (r < 0)
        nb_op_port_release(t, nb_json_str(port, "id"));
    r = nb_op_end(t, r, err, NULL, NULL);
    free(err);
    return r;
}

static int nb_op_detach_interface(struct nb_cmp_task *t)
{
    const char *port_id = nb_json_str(t->args, "port_id");
    char *err = NULL;
    int r = t->drv->detach_port(t->virt, t->server_id, port_id, &err);
    if (r == 0)
        r = nb_op_port_release(t, port_id);
    r = nb_op_end(t, r, err, NULL, NULL);
    free(err);
    return r;
}

const struct nb_cmp_op nb_cmp_action_ops[] = {
    {"stop", "compute_stop_instance", nb_op_stop},
    {"start", "compute_start_instance", nb_op_start},
    {"reboot", "compute_reboot_instance", nb_op_reboot},
    {"pause", "compute_pause_instance", nb_op_pause},
    {"unpause", "compute_unpause_instance", nb_op_unpause},
    {"suspend", "compute_suspend_instance", nb_op_suspend},
    {"resume", "compute_resume_instance", nb_op_resume},
    {"rescue", "compute_rescue_instance", nb_op_rescue},
    {"unrescue", "compute_unrescue_instance", nb_op_unrescue},
    {"shelve", "compute_shelve_instance", nb_op_shelve},
    {"unshelve", "compute_unshelve_instance", nb_op_unshelve},
    {"rebuild", "compute_rebuild_instance", nb_op_rebuild},
    {"resize", "compute_resize_instance", nb_op_resize},
    {"confirm_resize", "compute_confirm_resize", nb_op_confirm_resize},
    {"revert_resize", "compute_revert_resize", nb_op_revert_resize},
    {"snapshot", "compute_snapshot_instance", nb_op_snapshot},
    {"attach_interface", "compute_attach_interface", nb_op_attach_interface},
    {"detach_interface", "compute_detach_interface", nb_op_detach_interface},
    {NULL, NULL, NULL},
};
