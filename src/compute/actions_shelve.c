/* shelve / unshelve / shelveOffload (shelve.py, compute/api.py): a shelved
 * server keeps its row and its ports, but its guest is gone: its disk is
 * an image "<name>-shelved", and unshelve boots a new guest from that
 * image and deletes it.  Servers are offloaded at once, as Nova does with
 * its default [DEFAULT] shelved_offload_time = 0 (SHELVED_OFFLOADED); the
 * server stays recorded on its host (one host here), where unshelve boots
 * it again, so no scheduling is involved. */
#include "compute/actions.h"
#include "image/image.h"
#include "network/network.h"

#include <stdlib.h>
#include <string.h>

static const char *const nb_shelve_vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NB_VM_PAUSED,
                                            NB_VM_SUSPENDED, NULL};
static const char *const nb_shelved_vms[] = {NB_VM_SHELVED, NB_VM_SHELVED_OFFLOADED, NULL};

/* ---- the API */

/* Before the write transaction: the checks on the server as loaded, then
 * the image its disk goes to. */
int nb_act_shelve_pre(struct nb_act_req *a)
{
    char *name;
    int r = nb_act_check(a, "shelve", true, nb_shelve_vms, NULL);
    if (r == 0)
        r = nb_act_check_host(a);
    if (r < 0)
        return r;
    name = nb_xasprintf("%s-shelved", nb_json_str(a->server, "name"));
    r = nb_act_image_make(a, name);
    free(name);
    return r;
}

int nb_act_shelve(struct nb_act_req *a)
{
    json_t *req, *set;
    int r = nb_act_check(a, "shelve", true, nb_shelve_vms, NULL);
    if (r == 0)
        r = nb_act_claim(a, "shelve", NB_TASK_SHELVING);
    if (r == 0) {
        req = json_deep_copy(json_object_get(a->server, "request"));
        if (!json_is_object(req)) {
            json_decref(req);
            req = json_object();
        }
        json_object_set(req, "shelved_image_id", json_object_get(a->image, "id"));
        set = json_pack("{s:o}", "request", req);
        r = nb_cmp_server_set(a->tx, a->id, set);
        json_decref(set);
    }
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "shelve");
    a->op = "shelve";
    a->op_args = json_pack("{s:O,s:O}", "image_id", json_object_get(a->image, "id"),
                           "disk_format", json_object_get(a->image, "disk_format"));
    return r;
}

/* 2.77: {"unshelve": null | {"availability_zone": "..."}}; before, any. */
int nb_act_check_unshelve(struct nb_act_req *a)
{
    static const char *const keys[] = {"availability_zone", NULL};
    const json_t *az;
    int r;
    if (a->mv < NB_MV(2, 77) || json_is_null(a->arg))
        return 0;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "unshelve", a->arg, "is not of type 'object', 'null'");
    if ((r = nb_cmp_only_keys(a->ctx, "unshelve", a->arg, keys)) < 0)
        return r;
    az = json_object_get(a->arg, "availability_zone");
    if (az && !json_is_string(az))
        return nb_cmp_bad_input(a->ctx, "availability_zone", az, "is not of type 'string'");
    return 0;
}

int nb_act_unshelve(struct nb_act_req *a)
{
    const char *az = nb_json_str(a->arg, "availability_zone");
    const char *mine = nb_json_str(a->server, "availability_zone");
    int r = nb_act_check(a, "unshelve", true, nb_shelved_vms, NULL);

    if (r == 0)
        r = nb_act_check_host(a);
    /* the guest boots where the server is recorded: another zone has no
     * room for it here */
    if (r == 0 && az && strcmp(az, mine ? mine : ""))
        r = nb_err_set(a->ctx, 400, "The requested availability zone is not available");
    if (r == 0)
        r = nb_act_claim(a, "unshelve", NB_TASK_UNSHELVING);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "unshelve");
    a->op = "unshelve";
    return r;
}

/* Servers are offloaded as they are shelved: what is left is Nova's state
 * check (vm_state SHELVED only). */
int nb_act_shelve_offload(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_SHELVED, NULL};
    return nb_act_check(a, "shelveOffload", false, vms, NULL);
}

/* ---- the host */

/* Binds (host "") or unbinds ("") the server's ports, as its owner. */
static void nb_op_ports_bind(struct nb_cmp_task *t, struct nb_ctx *ctx, const char *host)
{
    const json_t *vif;
    json_t *ch = json_pack("{s:s}", "binding:host_id", host);
    size_t i;
    json_array_foreach(json_object_get(t->server, "network_info"), i, vif) {
        ctx->err_status = 0;
        if (nb_json_str(vif, "port_id") &&
            nb_network_port_update(ctx, nb_json_str(vif, "port_id"), ch, NULL) < 0)
            nb_warn("compute: port %s of %s: %s", nb_json_str(vif, "port_id"),
                    t->server_id, ctx->err_msg);
    }
    json_decref(ch);
}

int nb_op_shelve(struct nb_cmp_task *t)
{
    const char *image_id = nb_json_str(t->args, "image_id");
    const char *fmt = nb_json_str(t->args, "disk_format");
    json_t *set = json_pack("{s:s}", "vm_state", NB_VM_SHELVED_OFFLOADED);
    char *err = NULL;
    int r = image_id ? 0 : -EINVAL;

    if (r == 0)
        r = t->drv->power_off(t->virt, t->server_id, 60, &err);
    if (r == 0)
        r = nb_op_step(t, NB_TASK_SHELVING_PENDING_UPLOAD);
    if (r == 0)
        r = nb_op_snapshot_write(t, t->ctx, image_id, fmt ? fmt : "qcow2",
                                 NB_TASK_SHELVING_UPLOADING, &err);
    if (r < 0 && image_id) {
        t->ctx->err_status = 0;
        nb_image_delete(t->ctx, image_id);
    }
    if (r == 0)
        r = nb_op_step(t, NB_TASK_SHELVING_OFFLOADING);
    if (r == 0)
        r = t->drv->destroy(t->virt, t->server_id, &err);
    if (r == 0)
        nb_op_ports_bind(t, t->ctx, "");
    r = nb_op_end(t, r, err, set, NULL);
    json_decref(set);
    free(err);
    return r;
}

int nb_op_unshelve(struct nb_cmp_task *t)
{
    const char *image_id = nb_json_str(nb_json_obj(t->server, "request"), "shelved_image_id");
    json_t *image = NULL, *req = NULL, *set = NULL;
    struct nb_virt_guest g;
    char *err = NULL;
    int r = nb_op_step(t, NB_TASK_SPAWNING);

    if (r == 0 && (!image_id || nb_image_get(t->ctx, image_id, &image) < 0)) {
        r = -ENOENT;
        err = nb_xasprintf("The shelved image %s of the server is gone.",
                           image_id ? image_id : "(none)");
    }
    nb_cmp_guest_of(t->server, t->ctx, &g);
    g.image = image;
    if (json_array_size(g.ports))
        g.plugged = nb_cmp_guest_plugged;
    if (r == 0) {
        nb_op_ports_bind(t, t->ctx, t->host);
        r = t->drv->spawn(t->virt, &g, &err);
    }
    if (r == 0) {
        /* the guest has its disk: the image has served */
        t->ctx->err_status = 0;
        if (nb_image_delete(t->ctx, image_id) < 0)
            nb_warn("compute: cannot delete the shelved image %s: %s", image_id,
                    t->ctx->err_msg);
        req = json_deep_copy(json_object_get(t->server, "request"));
        if (!json_is_object(req)) {
            json_decref(req);
            req = json_object();
        }
        json_object_del(req, "shelved_image_id");
        set = json_pack("{s:s,s:I,s:o}", "vm_state", NB_VM_ACTIVE, "launched_at",
                        (json_int_t)nb_now_us(), "request", req);
    }
    r = nb_op_end(t, r, err, set, NULL);
    json_decref(set);
    json_decref(image);
    free(err);
    return r;
}
