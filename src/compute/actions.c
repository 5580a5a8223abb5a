/* POST /servers/{id}/action: the dispatcher and the actions that only
 * move a server between Nova's states (os-start, os-stop, reboot, pause,
 * unpause, suspend, resume), lock/unlock, os-resetState, forceDelete,
 * restore and os-getConsoleOutput.  createImage, rebuild and resize are in
 * actions_image.c; what the host does for each is in actions_ops.c.
 *
 * Every action follows Nova's order: the body's schema (400), the server
 * (404), the policy (403), the lock (409), the state (409 with Nova's
 * "Cannot '<action>' instance <id> while it is in vm_state <state>"),
 * then one transaction moves task_state, records the instance action and
 * is committed before the task goes to the server's host. */
#include "compute/actions.h"
#include "compute/handlers.h"
#include "image/image.h"

#include <stdlib.h>
#include <string.h>

/* ---- shared helpers */

static const char *const nb_task_none[] = {"none", NULL};

int nb_act_check(struct nb_act_req *a, const char *action, bool lock,
                 const char *const *vm_states, const char *const *task_states)
{
    int r = lock ? nb_cmp_check_locked(a->ctx, a->server) : 0;
    if (r == 0)
        r = nb_cmp_check_state(a->ctx, a->server, action, vm_states,
                               task_states ? task_states : nb_task_none);
    return r;
}

int nb_act_check_host(struct nb_act_req *a)
{
    if (!nb_json_str(a->server, "host"))
        return nb_err_set(a->ctx, 409, "Instance %s is not ready", a->id);
    return 0;
}

int nb_act_claim(struct nb_act_req *a, const char *action, const char *task_state)
{
    const char *vm = nb_json_str(a->server, "vm_state");
    const char *task = nb_json_str(a->server, "task_state");
    json_t *now = NULL;
    int changes = 0;
    int r = nb_tx_exec(a->tx, &changes,
                       "UPDATE cmp_instances SET task_state = ?, updated_at = ? WHERE id = ?"
                       " AND vm_state = ? AND COALESCE(task_state, '') = ?"
                       " AND deleted_at IS NULL",
                       "sisss", task_state, nb_now_us(), a->id, vm ? vm : "",
                       task ? task : "");
    if (r < 0 || changes == 1)
        return r;
    /* another request moved it first: say where it is now */
    if (nb_cmp_server_get_raw(a->tx, a->id, &now) == 0 && nb_json_str(now, "task_state"))
        r = nb_err_set(a->ctx, 409, "Cannot '%s' instance %s while it is in task_state %s",
                       action, a->id, nb_json_str(now, "task_state"));
    else
        r = nb_err_set(a->ctx, 409, "Instance %s is in an invalid state for '%s'",
                       a->id, action);
    json_decref(now);
    return r;
}

/* ---- actions that move a server from one state to another through a
 * task on its host */

struct nb_act_move {
    const char *action;             /* Nova's name in messages and records */
    const char *task_state;
    const char *op;
    bool host_first;                /* check_instance_host before the state */
    const char *const *vm_states;
    const char *const *task_states; /* NULL: none */
};

static int nb_act_move(struct nb_act_req *a, const struct nb_act_move *m)
{
    int r = nb_cmp_check_locked(a->ctx, a->server);
    if (r == 0 && m->host_first)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_act_check(a, m->action, false, m->vm_states, m->task_states);
    if (r == 0 && !m->host_first)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_act_claim(a, m->action, m->task_state);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, m->action);
    a->op = m->op;
    return r;
}

static const char *const nb_vm_stopped[] = {NB_VM_STOPPED, NULL};
static const char *const nb_vm_active[] = {NB_VM_ACTIVE, NULL};
static const char *const nb_vm_active_error[] = {NB_VM_ACTIVE, NB_VM_ERROR, NULL};
static const char *const nb_vm_paused[] = {NB_VM_PAUSED, NULL};
static const char *const nb_vm_suspended[] = {NB_VM_SUSPENDED, NULL};

static int nb_act_start(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"start", NB_TASK_POWERING_ON, "start", true,
                                         nb_vm_stopped, NULL};
    return nb_act_move(a, &m);
}

static int nb_act_stop(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"stop", NB_TASK_POWERING_OFF, "stop", true,
                                         nb_vm_active_error, NULL};
    return nb_act_move(a, &m);
}

static int nb_act_pause(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"pause", NB_TASK_PAUSING, "pause", false,
                                         nb_vm_active, NULL};
    return nb_act_move(a, &m);
}

static int nb_act_unpause(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"unpause", NB_TASK_UNPAUSING, "unpause", false,
                                         nb_vm_paused, NULL};
    return nb_act_move(a, &m);
}

static int nb_act_suspend(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"suspend", NB_TASK_SUSPENDING, "suspend", false,
                                         nb_vm_active, NULL};
    return nb_act_move(a, &m);
}

static int nb_act_resume(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"resume", NB_TASK_RESUMING, "resume", false,
                                         nb_vm_suspended, NULL};
    return nb_act_move(a, &m);
}

/* reboot {"type": "SOFT"|"HARD"}: a soft reboot only from ACTIVE with no
 * task; a hard one also from STOPPED, PAUSED, SUSPENDED and ERROR, and
 * over a reboot (or pause, resume...) in progress (vm_states.py
 * ALLOW_HARD_REBOOT, task_states.py ALLOW_REBOOT). */
static int nb_act_check_reboot(struct nb_act_req *a)
{
    static const char *const types[] = {"HARD", "Hard", "hard", "SOFT", "Soft", "soft"};
    const json_t *t;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "reboot", a->arg, "is not of type 'object'");
    if (json_object_size(a->arg) != (json_object_get(a->arg, "type") ? 1u : 0u)) {
        return nb_cmp_bad_input(a->ctx, "reboot", a->arg,
                              "Additional properties are not allowed");
    }
    t = json_object_get(a->arg, "type");
    if (!t)
        return nb_cmp_bad_input(a->ctx, "reboot", a->arg, "'type' is a required property");
    for (size_t i = 0; json_is_string(t) && i < NB_ARRAY_SIZE(types); i++)
        if (!strcmp(json_string_value(t), types[i]))
            return 0;
    return nb_cmp_bad_input(a->ctx, "type", t, "is not one of ['HARD', 'Hard', 'hard', "
                                             "'SOFT', 'Soft', 'soft']");
}

static int nb_act_reboot(struct nb_act_req *a)
{
    static const char *const hard_vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NB_VM_PAUSED,
                                           NB_VM_SUSPENDED, NB_VM_ERROR, NULL};
    static const char *const hard_tasks[] = {
        "none", NB_TASK_REBOOTING, "reboot_pending", "reboot_started", NB_TASK_RESUMING,
        NB_TASK_REBOOTING_HARD, NB_TASK_UNPAUSING, NB_TASK_PAUSING, NB_TASK_SUSPENDING,
        NULL};
    static const struct nb_act_move soft = {"reboot", NB_TASK_REBOOTING, "reboot", false,
                                            nb_vm_active, NULL};
    static const struct nb_act_move hard = {"reboot", NB_TASK_REBOOTING_HARD, "reboot",
                                            false, hard_vms, hard_tasks};
    const char *type = json_string_value(json_object_get(a->arg, "type"));
    bool is_hard = type[0] == 'H' || type[0] == 'h';
    int r = nb_act_move(a, is_hard ? &hard : &soft);
    a->op_args = json_pack("{s:s}", "type", is_hard ? "HARD" : "SOFT");
    return r;
}

/* ---- rescue / unrescue (rescue.py): the guest boots from a rescue image
 * (its own unless rescue_image_ref names one) with a new admin password */

static int nb_act_check_rescue(struct nb_act_req *a)
{
    static const char *const keys[] = {"adminPass", "rescue_image_ref", NULL};
    const json_t *v;
    int r;
    if (json_is_null(a->arg))
        return 0;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "rescue", a->arg, "is not of type 'object', 'null'");
    if ((r = nb_cmp_only_keys(a->ctx, "rescue", a->arg, keys)) < 0)
        return r;
    if ((v = json_object_get(a->arg, "adminPass")) && !json_is_string(v))
        return nb_cmp_bad_input(a->ctx, "adminPass", v, "is not of type 'string'");
    if ((v = json_object_get(a->arg, "rescue_image_ref")) &&
        !(json_is_string(v) && nb_uuid_is_dashed(json_string_value(v))))
        return nb_cmp_bad_input(a->ctx, "rescue_image_ref", v, "is not a 'uuid'");
    return 0;
}

static int nb_act_rescue(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NB_VM_ERROR, NULL};
    const char *image_id = nb_json_str(a->arg, "rescue_image_ref");
    char pass[16];
    int r = nb_act_check(a, "rescue", true, vms, NULL);

    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0 && image_id) {
        struct nb_ctx tmp = *a->ctx;
        json_t *image = NULL;
        tmp.err_status = 0;
        if (nb_image_get(&tmp, image_id, &image) < 0 ||
            strcmp(nb_json_str(image, "status"), "active"))
            r = nb_err_set(a->ctx, 400, "Requested rescue image '%s' is not supported",
                           image_id);
        json_decref(image);
    }
    if (r == 0)
        r = nb_act_claim(a, "rescue", NB_TASK_RESCUING);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "rescue");
    if (r < 0)
        return r;
    a->op = "rescue";
    a->op_args = json_pack("{s:s?}", "image_id", image_id);
    if (nb_json_str(a->arg, "adminPass"))
        a->body = json_pack("{s:s}", "adminPass", nb_json_str(a->arg, "adminPass"));
    else {
        nb_cmp_password_new(pass);
        a->body = json_pack("{s:s}", "adminPass", pass);
    }
    return 0;
}

static int nb_act_unrescue(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_RESCUED, NULL};
    static const struct nb_act_move m = {"unrescue", NB_TASK_UNRESCUING, "unrescue", false,
                                         vms, NULL};
    return nb_act_move(a, &m);
}

/* ---- lock / unlock (lock_server.py; 2.73 locked_reason) */

/* Characters (not bytes) of a UTF-8 string, as jsonschema counts them. */
static size_t nb_act_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int nb_act_check_lock(struct nb_act_req *a)
{
    const json_t *reason;
    if (a->mv < NB_MV(2, 73) || json_is_null(a->arg))
        return 0;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "lock", a->arg, "is not of type 'object', 'null'");
    reason = json_object_get(a->arg, "locked_reason");
    if (json_object_size(a->arg) != (reason ? 1u : 0u))
        return nb_cmp_bad_input(a->ctx, "lock", a->arg,
                              "Additional properties are not allowed");
    if (!reason)
        return 0;
    if (!json_is_string(reason))
        return nb_cmp_bad_input(a->ctx, "locked_reason", reason, "is not of type 'string'");
    if (!json_string_length(reason))
        return nb_cmp_bad_input(a->ctx, "locked_reason", reason, "is too short");
    if (nb_act_chars(json_string_value(reason)) > 255)
        return nb_cmp_bad_input(a->ctx, "locked_reason", reason, "is too long");
    return 0;
}

static bool nb_act_is_owner(const struct nb_act_req *a)
{
    return !strcmp(a->ctx->caller.project.id, nb_json_str(a->server, "project_id"));
}

/* Records action 'action' with its one API event ("api_lock"), as Nova's
 * wrap_instance_event(prefix='api') does, then sets 'changes'. */
static int nb_act_api_change(struct nb_act_req *a, const char *action, const char *event,
                             const json_t *changes)
{
    int r = nb_cmp_action_record(a->ctx, a->tx, a->id, action);
    if (r == 0)
        r = nb_cmp_event_start(a->tx, a->id, a->ctx->request_id, event, NULL);
    if (r == 0)
        r = nb_cmp_server_set(a->tx, a->id, changes);
    if (r == 0)
        r = nb_cmp_event_finish(a->tx, a->id, a->ctx->request_id, event, true, NULL);
    return r;
}

static int nb_act_lock(struct nb_act_req *a)
{
    const char *reason = nb_json_str(a->arg, "locked_reason");
    bool owner = nb_act_is_owner(a);
    json_t *changes;
    int r;

    if (json_integer_value(json_object_get(a->server, "locked")) && owner)
        return 0;
    changes = json_pack("{s:i,s:s}", "locked", 1, "locked_by", owner ? "owner" : "admin");
    if (reason && a->mv >= NB_MV(2, 73))
        json_object_set_new(changes, "lock_reason", json_string(reason));
    r = nb_act_api_change(a, "lock", "api_lock", changes);
    json_decref(changes);
    return r;
}

static int nb_act_unlock(struct nb_act_req *a)
{
    const char *by = nb_json_str(a->server, "locked_by");
    json_t *changes, *target;
    int r = 0;

    /* someone else's lock (the admin's, for the owner) needs the override */
    if (by && strcmp(by, nb_act_is_owner(a) ? "owner" : "admin")) {
        target = json_pack("{s:{s:s}}", "target", "project_id",
                           nb_json_str(a->server, "project_id"));
        r = nb_req_enforce(a->req, "os_compute_api:os-lock-server:unlock:unlock_override",
                           target);
        json_decref(target);
    }
    if (r < 0)
        return r;
    changes = json_pack("{s:i,s:n,s:n}", "locked", 0, "locked_by", "lock_reason");
    r = nb_act_api_change(a, "unlock", "api_unlock", changes);
    json_decref(changes);
    return r;
}

/* ---- os-resetState (admin_actions.py): vm_state active or error, no task */

static int nb_act_check_reset(struct nb_act_req *a)
{
    const json_t *st = json_object_get(a->arg, "state");
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "os-resetState", a->arg, "is not of type 'object'");
    if (!st)
        return nb_cmp_bad_input(a->ctx, "os-resetState", a->arg,
                              "'state' is a required property");
    if (json_object_size(a->arg) != 1)
        return nb_cmp_bad_input(a->ctx, "os-resetState", a->arg,
                              "Additional properties are not allowed");
    if (!json_is_string(st) || (strcmp(json_string_value(st), "active") &&
                                strcmp(json_string_value(st), "error")))
        return nb_cmp_bad_input(a->ctx, "state", st, "is not one of ['active', 'error']");
    return 0;
}

static int nb_act_reset_state(struct nb_act_req *a)
{
    json_t *changes = json_pack("{s:s,s:n}", "vm_state",
                                nb_json_str(a->arg, "state"), "task_state");
    int r = nb_cmp_action_record(a->ctx, a->tx, a->id, "resetState");
    int64_t now = nb_now_us();
    if (r == 0)
        r = nb_cmp_server_set(a->tx, a->id, changes);
    if (r == 0)      /* done at once: the action is finished (no event) */
        r = nb_tx_exec(a->tx, NULL, "UPDATE cmp_actions SET finish_time = ?, updated_at = ?"
                                    " WHERE instance_id = ? AND request_id = ?",
                       "iiss", now, now, a->id, a->ctx->request_id);
    json_decref(changes);
    return r;
}

/* ---- restore (deferred_delete.py): servers are never soft-deleted here
 * ([DEFAULT] reclaim_instance_interval is 0), so only the state check is
 * left, as Nova answers for a server that is not SOFT_DELETED */

static int nb_act_restore(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_SOFT_DELETED, NULL};
    return nb_act_check(a, "restore", true, vms, NULL);
}

/* ---- os-getConsoleOutput (console_output.py) */

static int nb_act_check_console(struct nb_act_req *a)
{
    const json_t *len = json_object_get(a->arg, "length");
    long n = 0;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "os-getConsoleOutput", a->arg,
                              "is not of type 'object'");
    if (json_object_size(a->arg) != (len ? 1u : 0u))
        return nb_cmp_bad_input(a->ctx, "os-getConsoleOutput", a->arg,
                              "Additional properties are not allowed");
    if (!len || json_is_null(len))
        return 0;
    if (json_is_integer(len))
        n = (long)json_integer_value(len);
    else if (!json_is_string(len) || nb_str_to_long(json_string_value(len), &n) < 0)
        return nb_cmp_bad_input(a->ctx, "length", len,
                              json_is_string(len) ? "does not match '^-?[0-9]+$'"
                                                  : "is not of type 'integer', 'string', "
                                                    "'null'");
    if (n < -1)
        return nb_cmp_bad_input(a->ctx, "length", len, "is less than the minimum of -1");
    return 0;
}

static int nb_act_console(struct nb_act_req *a)
{
    const json_t *len = json_object_get(a->arg, "length");
    const char *vm = nb_json_str(a->server, "vm_state");
    char *log = NULL, *out;
    long lines = -1;
    int r;

    if (json_is_integer(len))
        lines = (long)json_integer_value(len);
    else if (json_is_string(len))
        nb_str_to_long(json_string_value(len), &lines);
    if (!nb_json_str(a->server, "host") || !strcmp(vm, NB_VM_BUILDING))
        return nb_err_set(a->ctx, 409, "Instance %s is not ready", a->id);
    r = nb_cmp_virt_console(nb_json_str(a->server, "host"), a->id, &log);
    if (r == -ENOENT)
        return nb_err_set(a->ctx, 404, "Guest does not have a console available.");
    if (r < 0)
        return nb_err_set(a->ctx, 409, "Instance %s is not ready", a->id);
    out = nb_cmp_console_tail(log, lines);
    a->status = 200;
    a->body = json_pack("{s:s}", "output", out);
    free(out);
    free(log);
    return 0;
}

/* ---- the dispatcher */

struct nb_act {
    const char *key;                /* the body's one key */
    const char *rule;
    int min_mv;
    int (*check)(struct nb_act_req *a);     /* the value's schema; NULL: any */
    /* With the server loaded and the rule enforced, before the write
     * transaction: what calls other services (which write in their own
     * transactions).  May be NULL. */
    int (*pre)(struct nb_act_req *a);
    /* In the write transaction, on the server as it is now.  May be NULL. */
    int (*run)(struct nb_act_req *a);
    /* Undoes what pre did when the request fails after it.  May be NULL. */
    void (*undo)(struct nb_act_req *a);
    int status;
    bool self_loading;              /* run loads and enforces itself */
};

#define P(x) "os_compute_api:" x
static const struct nb_act nb_acts[] = {
    {"os-start", P("servers:start"), 0, NULL, NULL, nb_act_start, NULL, 202, false},
    {"os-stop", P("servers:stop"), 0, NULL, NULL, nb_act_stop, NULL, 202, false},
    {"reboot", P("servers:reboot"), 0, nb_act_check_reboot, NULL, nb_act_reboot, NULL, 202,
     false},
    {"pause", P("os-pause-server:pause"), 0, NULL, NULL, nb_act_pause, NULL, 202, false},
    {"unpause", P("os-pause-server:unpause"), 0, NULL, NULL, nb_act_unpause, NULL, 202,
     false},
    {"suspend", P("os-suspend-server:suspend"), 0, NULL, NULL, nb_act_suspend, NULL, 202,
     false},
    {"resume", P("os-suspend-server:resume"), 0, NULL, NULL, nb_act_resume, NULL, 202,
     false},
    {"rescue", P("os-rescue"), 0, nb_act_check_rescue, NULL, nb_act_rescue, NULL, 200,
     false},
    {"unrescue", P("os-unrescue"), 0, NULL, NULL, nb_act_unrescue, NULL, 202, false},
    {"lock", P("os-lock-server:lock"), 0, nb_act_check_lock, NULL, nb_act_lock, NULL, 202,
     false},
    {"unlock", P("os-lock-server:unlock"), 0, NULL, NULL, nb_act_unlock, NULL, 202, false},
    {"os-resetState", P("os-admin-actions:reset_state"), 0, nb_act_check_reset, NULL,
     nb_act_reset_state, NULL, 202, false},
    {"restore", P("os-deferred-delete:restore"), 0, NULL, NULL, nb_act_restore, NULL, 202,
     false},
    {"forceDelete", P("os-deferred-delete:force"), 0, NULL, NULL, nb_act_force_delete, NULL,
     202, true},
    {"os-getConsoleOutput", P("os-console-output"), 0, nb_act_check_console, NULL,
     nb_act_console, NULL, 200, false},
    {"createImage", P("servers:create_image"), 0, nb_act_check_create_image,
     nb_act_create_image_pre, nb_act_create_image, nb_act_create_image_undo, 202, false},
    {"createBackup", P("os-create-backup"), 0, nb_act_check_create_backup,
     nb_act_create_image_pre, nb_act_create_image, nb_act_create_image_undo, 202, false},
    {"shelve", P("os-shelve:shelve"), 0, NULL, nb_act_shelve_pre, nb_act_shelve,
     nb_act_create_image_undo, 202, false},
    {"unshelve", P("os-shelve:unshelve"), 0, nb_act_check_unshelve, NULL, nb_act_unshelve,
     NULL, 202, false},
    {"shelveOffload", P("os-shelve:shelve_offload"), 0, NULL, NULL, nb_act_shelve_offload,
     NULL, 202, false},
    {"rebuild", P("servers:rebuild"), 0, nb_act_check_rebuild, NULL, nb_act_rebuild, NULL,
     202, false},
    {"resize", P("servers:resize"), 0, nb_act_check_resize, NULL, nb_act_resize, NULL, 202,
     false},
    {"confirmResize", P("servers:confirm_resize"), 0, NULL, NULL, nb_act_confirm_resize,
     NULL, 204, false},
    {"revertResize", P("servers:revert_resize"), 0, NULL, NULL, nb_act_revert_resize, NULL,
     202, false},
    {"addSecurityGroup", P("os-security-groups:add"), 0, nb_act_check_secgroup,
     nb_act_add_secgroup, NULL, NULL, 202, false},
    {"removeSecurityGroup", P("os-security-groups:remove"), 0, nb_act_check_secgroup,
     nb_act_remove_secgroup, NULL, NULL, 202, false},
    /* the extras area's (migrate.c) */
    {"migrate", P("os-migrate-server:migrate"), 0, nb_act_check_migrate, NULL,
     nb_act_migrate, NULL, 202, false},
    {"os-migrateLive", P("os-migrate-server:migrate_live"), 0, nb_act_check_live_migrate,
     NULL, nb_act_live_migrate, NULL, 202, false},
};
#undef P

static const struct nb_act *nb_act_find(const char *key)
{
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_acts); i++)
        if (nb_acts[i].key && !strcmp(nb_acts[i].key, key))
            return &nb_acts[i];
    return NULL;
}

/* Loads the server and enforces the action's rule on its project. */
static int nb_act_load(struct nb_act_req *a, const struct nb_act *act)
{
    json_t *target;
    int r = nb_cmp_server_get(a->ctx, a->tx, a->id, &a->server);
    if (r < 0)
        return r;
    target = json_pack("{s:{s:s,s:s}}", "target", "project_id",
                       nb_json_str(a->server, "project_id"), "user_id",
                       nb_json_str(a->server, "user_id"));
    r = nb_req_enforce(a->req, act->rule, target);
    json_decref(target);
    return r;
}

/* The phases of one action (see struct nb_act); the task goes to the
 * host once the transaction is committed. */
static int nb_act_do(struct nb_act_req *a, const struct nb_act *act)
{
    int r;
    if (act->self_loading)
        return act->run(a);
    r = nb_tx_begin(nb_cmp_db(), act->pre == NULL, &a->tx);
    if (r == 0)
        r = nb_act_load(a, act);
    if (r == 0 && act->pre) {
        nb_tx_rollback(a->tx);
        a->tx = NULL;
        r = act->pre(a);
        if (r == 0 && act->run) {
            json_decref(a->server);
            a->server = NULL;
            r = nb_tx_begin(nb_cmp_db(), true, &a->tx);
            if (r == 0)
                r = nb_cmp_server_get(a->ctx, a->tx, a->id, &a->server);
        }
    }
    if (r == 0 && act->run && a->tx)
        r = act->run(a);
    if (r == 0 && a->tx) {
        r = nb_tx_commit(a->tx);
        a->tx = NULL;
    }
    if (r == 0 && a->op)
        r = nb_cmp_task_publish(nb_json_str(a->server, "host"), a->op, a->id,
                                a->ctx->request_id, a->op_args);
    return r;
}

int nb_cmp_server_action(struct nb_req *req)
{
    struct nb_act_req a = {.req = req, .ctx = nb_req_ctx(req), .id = nb_req_param(req, 0),
                           .mv = nb_req_mv(req)};
    const json_t *body = nb_req_json(req);
    const struct nb_act *act = NULL;
    const char *key = NULL;
    int r;

    nb_req_policy_done(req);      /* enforced once the server is loaded */
    if (!body)
        return -EINVAL;
    if (json_object_size(body) != 1)
        return nb_req_err(req, 400, "Malformed request body");
    key = json_object_iter_key(json_object_iter((json_t *)body));
    act = nb_act_find(key);
    if (!act || a.mv < act->min_mv)
        return nb_req_err(req, 400, "There is no such action: %s", key);
    a.key = key;
    a.arg = json_object_get(body, key);
    a.status = act->status;
    r = act->check ? act->check(&a) : 0;
    if (r == 0)
        r = nb_act_do(&a, act);
    if (r < 0 && act->undo)
        act->undo(&a);
    if (r == 0 && a.location)
        nb_reply_header(req, "Location", a.location);
    if (r == 0)
        r = a.body ? nb_reply_json(req, a.status, a.body) : nb_reply_empty(req, a.status);
    else
        json_decref(a.body);
    nb_tx_rollback(a.tx);
    json_decref(a.server);
    json_decref(a.op_args);
    json_decref(a.image);
    free(a.location);
    return r;
}
