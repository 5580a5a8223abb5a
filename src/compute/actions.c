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

#include <stdlib.h>
#include <string.h>

/* ---- shared helpers */

int nb_act_invalid(struct nb_ctx *ctx, const char *field, const json_t *v,
                   const char *why)
{
    char *q = nb_json_repr(v);
    int r = nb_err_set(ctx, 400, "Invalid input for field/attribute %s. Value: %s. %s",
                       field, q, why);
    free(q);
    return r;
}

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

#define VMS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int nb_act_start(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"start", NB_TASK_POWERING_ON, "start", true,
                                         VMS(NB_VM_STOPPED), NULL};
    return nb_act_move(a, &m);
}

static int nb_act_stop(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"stop", NB_TASK_POWERING_OFF, "stop", true,
                                         VMS(NB_VM_ACTIVE, NB_VM_ERROR), NULL};
    return nb_act_move(a, &m);
}

static int nb_act_pause(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"pause", NB_TASK_PAUSING, "pause", false,
                                         VMS(NB_VM_ACTIVE), NULL};
    return nb_act_move(a, &m);
}

static int nb_act_unpause(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"unpause", NB_TASK_UNPAUSING, "unpause", false,
                                         VMS(NB_VM_PAUSED), NULL};
    return nb_act_move(a, &m);
}

static int nb_act_suspend(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"suspend", NB_TASK_SUSPENDING, "suspend", false,
                                         VMS(NB_VM_ACTIVE), NULL};
    return nb_act_move(a, &m);
}

static int nb_act_resume(struct nb_act_req *a)
{
    static const struct nb_act_move m = {"resume", NB_TASK_RESUMING, "resume", false,
                                         VMS(NB_VM_SUSPENDED), NULL};
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
        return nb_act_invalid(a->ctx, "reboot", a->arg, "is not of type 'object'");
    if (json_object_size(a->arg) != (json_object_get(a->arg, "type") ? 1u : 0u)) {
        return nb_act_invalid(a->ctx, "reboot", a->arg,
                              "Additional properties are not allowed");
    }
    t = json_object_get(a->arg, "type");
    if (!t)
        return nb_act_invalid(a->ctx, "reboot", a->arg, "'type' is a required property");
    for (size_t i = 0; json_is_string(t) && i < NB_ARRAY_SIZE(types); i++)
        if (!strcmp(json_string_value(t), types[i]))
            return 0;
    return nb_act_invalid(a->ctx, "type", t, "is not one of ['HARD', 'Hard', 'hard', "
                                             "'SOFT', 'Soft', 'soft']");
}

static int nb_act_reboot(struct nb_act_req *a)
{
    static const struct nb_act_move soft = {"reboot", NB_TASK_REBOOTING, "reboot", false,
                                            VMS(NB_VM_ACTIVE), NULL};
    static const struct nb_act_move hard = {
        "reboot", NB_TASK_REBOOTING_HARD, "reboot", false,
        VMS(NB_VM_ACTIVE, NB_VM_STOPPED, NB_VM_PAUSED, NB_VM_SUSPENDED, NB_VM_ERROR),
        VMS("none", NB_TASK_REBOOTING, "reboot_pending", "reboot_started",
            NB_TASK_RESUMING, NB_TASK_REBOOTING_HARD, NB_TASK_UNPAUSING,
            NB_TASK_PAUSING, NB_TASK_SUSPENDING)};
    bool is_hard = toupper_first(json_string_value(json_object_get(a->arg, "type"))) == 'H';
    int r = nb_act_move(a, is_hard ? &hard : &soft);
    a->op_args = json_pack("{s:s}", "type", is_hard ? "HARD" : "SOFT");
    return r;
}
