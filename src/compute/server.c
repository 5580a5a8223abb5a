/* The server row layer every compute area shares: loading a server as the
 * caller may see it, changing columns, Nova's status mapping and state
 * checks, the context the agent acts in, and instance-action records. */
#include "compute/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- Nova's status mapping (nova/api/openstack/common.py) */

static const char *const nb_task_reboot[] = {"rebooting", "reboot_pending",
                                             "reboot_started", NULL};
static const char *const nb_task_hard[] = {"rebooting_hard", "reboot_pending_hard",
                                           "reboot_started_hard", NULL};
static const char *const nb_task_rebuild[] = {"rebuilding",
                                              "rebuild_block_device_mapping",
                                              "rebuild_spawning", NULL};
static const char *const nb_task_resize[] = {"resize_prep", "resize_migrating",
                                             "resize_migrated", "resize_finish",
                                             NULL};

const char *nb_cmp_status(const char *vm, const char *task)
{
    if (!vm)
        return "UNKNOWN";
    if (strcmp(vm, NB_VM_ACTIVE) == 0) {
        if (nb_str_in(task, nb_task_reboot))
            return "REBOOT";
        if (nb_str_in(task, nb_task_hard))
            return "HARD_REBOOT";
        if (nb_str_in(task, nb_task_rebuild))
            return "REBUILD";
        if (nb_str_in(task, nb_task_resize))
            return "RESIZE";
        if (task && strcmp(task, "updating_password") == 0)
            return "PASSWORD";
        if (task && strcmp(task, "migrating") == 0)
            return "MIGRATING";
        return "ACTIVE";
    }
    if (strcmp(vm, NB_VM_BUILDING) == 0)
        return "BUILD";
    if (strcmp(vm, NB_VM_STOPPED) == 0) {
        if (nb_str_in(task, nb_task_resize))
            return "RESIZE";
        if (nb_str_in(task, nb_task_rebuild))
            return "REBUILD";
        return "SHUTOFF";
    }
    if (strcmp(vm, NB_VM_RESIZED) == 0)
        return task && strcmp(task, "resize_reverting") == 0 ? "REVERT_RESIZE"
                                                             : "VERIFY_RESIZE";
    if (strcmp(vm, NB_VM_PAUSED) == 0)
        return task && strcmp(task, "migrating") == 0 ? "MIGRATING" : "PAUSED";
    if (strcmp(vm, NB_VM_SUSPENDED) == 0)
        return "SUSPENDED";
    if (strcmp(vm, NB_VM_RESCUED) == 0)
        return "RESCUE";
    if (strcmp(vm, NB_VM_ERROR) == 0)
        return nb_str_in(task, nb_task_rebuild) ? "REBUILD" : "ERROR";
    if (strcmp(vm, NB_VM_DELETED) == 0)
        return "DELETED";
    if (strcmp(vm, NB_VM_SOFT_DELETED) == 0)
        return "SOFT_DELETED";
    if (strcmp(vm, NB_VM_SHELVED) == 0)
        return "SHELVED";
    if (strcmp(vm, NB_VM_SHELVED_OFFLOADED) == 0)
        return "SHELVED_OFFLOADED";
    return "UNKNOWN";
}

/* ---- the row */

enum nb_col { NB_COL_TEXT, NB_COL_INT, NB_COL_JSON };

static const struct {
    const char *name;
    enum nb_col kind;
} nb_cmp_cols[] = {
    {"id", NB_COL_TEXT}, {"project_id", NB_COL_TEXT}, {"user_id", NB_COL_TEXT},
    {"name", NB_COL_TEXT}, {"hostname", NB_COL_TEXT},
    {"description", NB_COL_TEXT}, {"image_ref", NB_COL_TEXT},
    {"flavor_id", NB_COL_TEXT}, {"flavor", NB_COL_JSON},
    {"new_flavor", NB_COL_JSON}, {"old_flavor", NB_COL_JSON},
    {"vcpus", NB_COL_INT}, {"memory_mb", NB_COL_INT}, {"root_gb", NB_COL_INT},
    {"vm_state", NB_COL_TEXT}, {"task_state", NB_COL_TEXT},
    {"power_state", NB_COL_INT}, {"host", NB_COL_TEXT}, {"node", NB_COL_TEXT},
    {"availability_zone", NB_COL_TEXT}, {"key_name", NB_COL_TEXT},
    {"key_data", NB_COL_TEXT}, {"user_data", NB_COL_TEXT},
    {"config_drive", NB_COL_TEXT}, {"metadata", NB_COL_JSON},
    {"request", NB_COL_JSON}, {"network_info", NB_COL_JSON},
    {"reservation_id", NB_COL_TEXT}, {"launch_index", NB_COL_INT},
    {"locked", NB_COL_INT}, {"locked_by", NB_COL_TEXT},
    {"lock_reason", NB_COL_TEXT}, {"fault", NB_COL_JSON},
    {"progress", NB_COL_INT}, {"access_ipv4", NB_COL_TEXT},
    {"access_ipv6", NB_COL_TEXT}, {"created_at", NB_COL_INT},
    {"updated_at", NB_COL_INT}, {"launched_at", NB_COL_INT},
    {"terminated_at", NB_COL_INT}, {"deleted_at", NB_COL_INT},
};

#define NB_CMP_NCOLS NB_ARRAY_SIZE(nb_cmp_cols)

static int nb_cmp_col(const char *name)
{
    for (size_t i = 0; i < NB_CMP_NCOLS; i++)
        if (strcmp(nb_cmp_cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

void nb_cmp_server_select(struct nb_sql *q)
{
    nb_sql_add(q, "SELECT ");
    for (size_t i = 0; i < NB_CMP_NCOLS; i++)
        nb_sql_addf(q, "%s%s", i ? ", " : "", nb_cmp_cols[i].name);
    nb_sql_add(q, " FROM cmp_instances");
}

json_t *nb_cmp_server_row(struct nb_stmt *st)
{
    json_t *row = json_object();

    for (size_t i = 0; i < NB_CMP_NCOLS; i++) {
        const char *t = nb_stmt_text(st, (int)i);
        json_t *v;

        if (nb_stmt_null(st, (int)i))
            v = json_null();
        else if (nb_cmp_cols[i].kind == NB_COL_INT)
            v = json_integer(nb_stmt_int(st, (int)i));
        else if (nb_cmp_cols[i].kind == NB_COL_JSON)
            v = json_loads(t, JSON_DECODE_ANY, NULL);
        else
            v = json_string(t);
        json_object_set_new(row, nb_cmp_cols[i].name, v ? v : json_null());
    }
    return row;
}

/* Loads the row 'id' with the extra condition 'cond' (SQL, may be ""). */
static int nb_cmp_server_load(struct nb_tx *tx, const char *id,
                              const char *cond, const char *project,
                              json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    int r;

    nb_cmp_server_select(&q);
    nb_sql_add(&q, " WHERE id = ?");
    nb_sql_text(&q, id);
    nb_sql_add(&q, cond);
    if (project) {
        nb_sql_add(&q, " AND project_id = ?");
        nb_sql_text(&q, project);
    }
    r = nb_tx_query_sql(tx, &st, &q);
    if (r == 0) {
        r = nb_stmt_next(st);
        if (r == 1) {
            *out = nb_cmp_server_row(st);
            r = 0;
        } else if (r == 0) {
            r = -ENOENT;
        }
    }
    nb_stmt_done(st);
    nb_sql_free(&q);
    return r;
}

int nb_cmp_server_get(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                      json_t **out)
{
    int r = nb_cmp_server_load(tx, id, " AND deleted_at IS NULL",
                               nb_cmp_is_admin(ctx) ? NULL
                                                    : ctx->caller.project.id,
                               out);
    if (r == -ENOENT)
        return nb_err_set(ctx, 404, "Instance %s could not be found.", id);
    return r;
}

int nb_cmp_server_get_raw(struct nb_tx *tx, const char *id, json_t **out)
{
    return nb_cmp_server_load(tx, id, "", NULL, out);
}

int nb_cmp_server_set(struct nb_tx *tx, const char *id, const json_t *changes)
{
    struct nb_sql q = {0};
    const char *key;
    json_t *v;
    int changed = 0, r;

    nb_sql_add(&q, "UPDATE cmp_instances SET updated_at = ?");
    nb_sql_int(&q, nb_now_us());
    json_object_foreach((json_t *)changes, key, v) {
        int c = nb_cmp_col(key);
        if (c < 0 || strcmp(key, "id") == 0 || strcmp(key, "updated_at") == 0)
            continue;
        nb_sql_addf(&q, ", %s = %s", key, json_is_null(v) ? "" : "?");
        if (json_is_null(v)) {
            nb_sql_add(&q, "NULL");
        } else if (nb_cmp_cols[c].kind == NB_COL_INT) {
            nb_sql_int(&q, json_is_true(v) ? 1 : json_integer_value(v));
        } else if (nb_cmp_cols[c].kind == NB_COL_JSON) {
            char *s = nb_json_dump(v);
            nb_sql_text(&q, s);
            free(s);
        } else {
            nb_sql_text(&q, json_string_value(v) ? json_string_value(v) : "");
        }
    }
    nb_sql_add(&q, " WHERE id = ?");
    nb_sql_text(&q, id);
    r = nb_tx_exec_sql(tx, &changed, &q);
    nb_sql_free(&q);
    if (r == 0 && changed == 0)
        r = -ENOENT;
    return r;
}

/* ---- checks */

int nb_cmp_check_locked(struct nb_ctx *ctx, const json_t *server)
{
    /* Nova's check_instance_lock: only an admin acts on a locked server,
     * whoever locked it (the owner unlocks first) */
    if (!json_integer_value(json_object_get(server, "locked")))
        return 0;
    if (nb_cmp_is_admin(ctx))
        return 0;
    return nb_err_set(ctx, 409, "Instance %s is locked",
                      nb_json_str(server, "id"));
}

int nb_cmp_check_state(struct nb_ctx *ctx, const json_t *server,
                       const char *action, const char *const *vm_states,
                       const char *const *task_states)
{
    const char *vm = nb_json_str(server, "vm_state");
    const char *task = nb_json_str(server, "task_state");
    const char *id = nb_json_str(server, "id");

    if (!nb_str_in(vm, vm_states))
        return nb_err_set(ctx, 409, "Cannot '%s' instance %s while it is in "
                          "vm_state %s", action, id, vm ? vm : "None");
    if (task_states && !nb_str_in(task ? task : "none", task_states))
        return nb_err_set(ctx, 409, "Cannot '%s' instance %s while it is in "
                          "task_state %s", action, id, task ? task : "None");
    return 0;
}

void nb_cmp_ctx_for(struct nb_ctx *ctx, const char *project_id,
                    const char *user_id, const char *request_id)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->caller.authenticated = true;
    snprintf(ctx->caller.project.id, sizeof(ctx->caller.project.id), "%s",
             project_id);
    snprintf(ctx->caller.user.id, sizeof(ctx->caller.user.id), "%s", user_id);
    snprintf(ctx->caller.roles[0].name, sizeof(ctx->caller.roles[0].name),
             "admin");
    ctx->caller.nroles = 1;
    if (request_id)
        snprintf(ctx->request_id, sizeof(ctx->request_id), "%s", request_id);
    else
        nb_request_id_new(ctx->request_id);
}

/* ---- os-instance-actions records */

int nb_cmp_action_record(struct nb_ctx *ctx, struct nb_tx *tx,
                         const char *server_id, const char *action)
{
    int64_t now = nb_now_us();
    return nb_tx_exec(tx, NULL,
                      "INSERT INTO cmp_actions (instance_id, request_id, action,"
                      " project_id, user_id, start_time, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT (instance_id, request_id) DO NOTHING",
                      "sssssii", server_id, ctx->request_id, action,
                      ctx->caller.project.id, ctx->caller.user.id, now, now);
}

int nb_cmp_event_start(struct nb_tx *tx, const char *server_id,
                       const char *request_id, const char *event,
                       const char *host)
{
    int64_t now = nb_now_us();
    int r = nb_tx_exec(tx, NULL,
                       "INSERT INTO cmp_action_events (instance_id, request_id,"
                       " event, start_time, host) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT (instance_id, request_id, event) DO UPDATE"
                       " SET start_time = excluded.start_time,"
                       " finish_time = NULL, result = NULL, traceback = NULL",
                       "sssis", server_id, request_id, event, now, host);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_actions SET updated_at = ?"
                       " WHERE instance_id = ? AND request_id = ?", "iss", now,
                       server_id, request_id);
    return r;
}

int nb_cmp_event_finish(struct nb_tx *tx, const char *server_id,
                        const char *request_id, const char *event, bool ok,
                        const char *traceback)
{
    int64_t now = nb_now_us();
    int r = nb_tx_exec(tx, NULL,
                       "UPDATE cmp_action_events SET finish_time = ?, result = ?,"
                       " traceback = ? WHERE instance_id = ? AND request_id = ?"
                       " AND event = ?", "isssss", now, ok ? "Success" : "Error",
                       ok ? NULL : traceback, server_id, request_id, event);
    if (r == 0)
        r = nb_tx_exec(tx, NULL,
                       "UPDATE cmp_actions SET updated_at = ?, finish_time = ?,"
                       " message = CASE WHEN ? = 1 THEN message ELSE 'Error' END"
                       " WHERE instance_id = ? AND request_id = ?", "iiiss",
                       now, now, (int64_t)ok, server_id, request_id);
    return r;
}
