/* What the server actions share (actions.c, actions_image.c,
 * actions_ops.c, interfaces.c): one action request as it goes through
 * the API, Nova's task states, and helpers for the agent's side. */
#ifndef NB_COMPUTE_ACTIONS_H
#define NB_COMPUTE_ACTIONS_H

#include "compute/catalog.h"
#include "compute/internal.h"
#include "compute/servers.h"

/* Nova's task states (nova/compute/task_states.py) the actions use. */
#define NB_TASK_POWERING_OFF "powering-off"
#define NB_TASK_POWERING_ON "powering-on"
#define NB_TASK_REBOOTING "rebooting"
#define NB_TASK_REBOOTING_HARD "rebooting_hard"
#define NB_TASK_PAUSING "pausing"
#define NB_TASK_UNPAUSING "unpausing"
#define NB_TASK_SUSPENDING "suspending"
#define NB_TASK_RESUMING "resuming"
#define NB_TASK_REBUILDING "rebuilding"
#define NB_TASK_REBUILD_SPAWNING "rebuild_spawning"
#define NB_TASK_RESIZE_PREP "resize_prep"
#define NB_TASK_RESIZE_MIGRATING "resize_migrating"
#define NB_TASK_RESIZE_FINISH "resize_finish"
#define NB_TASK_RESIZE_REVERTING "resize_reverting"
#define NB_TASK_RESIZE_CONFIRMING "resize_confirming"
#define NB_TASK_SNAPSHOT_PENDING "image_snapshot_pending"
#define NB_TASK_BACKUP "image_backup"
#define NB_TASK_SNAPSHOT "image_snapshot"
#define NB_TASK_PENDING_UPLOAD "image_pending_upload"
#define NB_TASK_UPLOADING "image_uploading"
#define NB_TASK_DELETING "deleting"
#define NB_TASK_RESCUING "rescuing"
#define NB_TASK_SHELVING "shelving"
#define NB_TASK_SHELVING_PENDING_UPLOAD "shelving_image_pending_upload"
#define NB_TASK_SHELVING_UPLOADING "shelving_image_uploading"
#define NB_TASK_SHELVING_OFFLOADING "shelving_offloading"
#define NB_TASK_UNSHELVING "unshelving"
#define NB_TASK_SPAWNING "spawning"
#define NB_TASK_UNRESCUING "unrescuing"

/* One POST /servers/{id}/action (or os-interface call) as a handler sees
 * it.  The dispatcher loads the server in a write transaction and
 * enforces the action's rule; the handler checks, changes the row, and
 * says what to answer and which task (if any) goes to the server's host
 * once the transaction is committed. */
struct nb_act_req {
    struct nb_req *req;
    struct nb_ctx *ctx;
    const char *id;                 /* the server id from the path */
    const char *key;                /* the action ("createImage") */
    const json_t *arg;              /* the body's value under the action key */
    int mv;
    struct nb_tx *tx;
    json_t *server;                 /* the row (nb_cmp_server_get) */
    json_t *image;                  /* createImage: the image made for it */
    /* out */
    int status;                     /* 202 unless said */
    json_t *body;                   /* reply body, or NULL (empty) */
    char *location;                 /* a Location header, or NULL */
    const char *op;                 /* the task for the host, or NULL */
    json_t *op_args;                /* its args (owned), or NULL */
};

/* Moves the server's task_state from what the row says to 'task_state'
 * (compare-and-set on vm_state and task_state, so two requests racing
 * for one server never both pass), 409 when it changed meanwhile. */
int nb_act_claim(struct nb_act_req *a, const char *action, const char *task_state);
/* The usual checks of an action that changes a server: locked (when
 * 'lock'), then Nova's state check ('task_states' NULL: none). */
int nb_act_check(struct nb_act_req *a, const char *action, bool lock,
                 const char *const *vm_states, const char *const *task_states);
/* 409 "Instance <id> is not ready" when the server has no host. */
int nb_act_check_host(struct nb_act_req *a);

/* actions_image.c: createImage, rebuild, resize and the resize answers */
int nb_act_create_image_pre(struct nb_act_req *a);
int nb_act_create_image(struct nb_act_req *a);
void nb_act_create_image_undo(struct nb_act_req *a);
int nb_act_check_create_image(struct nb_act_req *a);
int nb_act_check_create_backup(struct nb_act_req *a);
int nb_act_rebuild(struct nb_act_req *a);
int nb_act_check_rebuild(struct nb_act_req *a);
int nb_act_resize(struct nb_act_req *a);
int nb_act_check_resize(struct nb_act_req *a);
int nb_act_confirm_resize(struct nb_act_req *a);
int nb_act_revert_resize(struct nb_act_req *a);

/* The snapshot image of the server (createImage, createBackup, shelve)
 * named 'name', in a->image (before the write transaction). */
int nb_act_image_make(struct nb_act_req *a, const char *name);

/* actions_shelve.c: shelve (an image, then the guest offloaded), unshelve,
 * shelveOffload; and their ops */
int nb_act_shelve_pre(struct nb_act_req *a);
int nb_act_shelve(struct nb_act_req *a);
int nb_act_check_unshelve(struct nb_act_req *a);
int nb_act_unshelve(struct nb_act_req *a);
int nb_act_shelve_offload(struct nb_act_req *a);
int nb_op_shelve(struct nb_cmp_task *t);
int nb_op_unshelve(struct nb_cmp_task *t);

/* actions_secgroups.c: addSecurityGroup / removeSecurityGroup, forceDelete */
int nb_act_check_secgroup(struct nb_act_req *a);
int nb_act_add_secgroup(struct nb_act_req *a);
int nb_act_remove_secgroup(struct nb_act_req *a);
int nb_act_force_delete(struct nb_act_req *a);

/* actions_ops.c: the agent's side.  Ends task 't': on success (r == 0)
 * sets 'changes' (borrowed, may be NULL) with task_state cleared and the
 * power state the driver reports; on failure clears task_state, records
 * the fault from 'err' and, when 'fail_vm_state' is given, sets it. */
int nb_op_end(struct nb_cmp_task *t, int r, const char *err,
              const json_t *changes, const char *fail_vm_state);
/* Sets the server's task_state to 'task_state' as a step of a task. */
int nb_op_step(struct nb_cmp_task *t, const char *task_state);
/* Writes the guest's root disk as image 'image_id' (queued, 'fmt'),
 * task_state 'uploading' while it goes up, as ctx (the owner). */
int nb_op_snapshot_write(struct nb_cmp_task *t, struct nb_ctx *ctx, const char *image_id,
                         const char *fmt, const char *uploading, char **err);

/* migrate.c (extras area): the admin actions "migrate" and
 * "os-migrateLive" */
int nb_act_check_migrate(struct nb_act_req *a);
int nb_act_migrate(struct nb_act_req *a);
int nb_act_check_live_migrate(struct nb_act_req *a);
int nb_act_live_migrate(struct nb_act_req *a);

#endif
