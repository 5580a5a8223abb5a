/* GET /servers and /servers/detail: Nova's filters, sorting and paging
 * (nova/api/openstack/compute/servers.py _get_servers, schemas index_query
 * and nova/db/main/api.py instance_get_all_by_filters_sort).
 *
 * Exact filters go to SQL; regular-expression filters (name, ip, ...) and
 * tags are applied to the rows SQL returns, in their sort order, before
 * the marker and limit, so pages are the same whichever filters ran where. */
#include "compute/servers.h"
#include "compute/handlers.h"
#include "auth/auth.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* ---- status -> (vm_state, task_state), Nova's task_and_vm_state_from_status */

static const char *const nb_vm_states[] = {
    NB_VM_ACTIVE, NB_VM_BUILDING, NB_VM_STOPPED, NB_VM_RESIZED, NB_VM_PAUSED,
    NB_VM_SUSPENDED, NB_VM_RESCUED, NB_VM_ERROR, NB_VM_DELETED, NB_VM_SOFT_DELETED,
    NB_VM_SHELVED, NB_VM_SHELVED_OFFLOADED, NULL};
static const char *const nb_task_states[] = {
    "rebooting", "reboot_pending", "reboot_started", "rebooting_hard",
    "reboot_pending_hard", "reboot_started_hard", "updating_password", "rebuilding",
    "rebuild_block_device_mapping", "rebuild_spawning", "migrating", "resize_prep",
    "resize_migrating", "resize_migrated", "resize_finish", "resize_reverting",
    "deleting", "powering-off", "powering-on", "pausing", "unpausing", "suspending",
    "resuming", "scheduling", "spawning", "networking", "block_device_mapping",
    "image_snapshot", "image_snapshot_pending", "image_pending_upload",
    "image_uploading", "resize_confirming", NULL};

struct nb_list {
    struct nb_req *req;
    struct nb_ctx *ctx;
    bool detail, admin, all_filters;
    int mv;
    json_t *q;                  /* the query (new) */
    struct nb_sql where;
    regex_t rx[8];              /* regular-expression filters */
    const char *rx_col[8];      /* the row attribute each applies to */
    int nrx;
    regex_t ip_rx[2];
    int ip_ver[2], nip;
    json_t *tags_all, *tags_any, *not_all, *not_any;  /* new arrays or NULL */
    struct nb_buf order;
    bool default_sort;          /* created_at, id (the index's order) */
    long limit;
    const char *marker;
};

static void nb_list_free(struct nb_list *l)
{
    int i;
    json_decref(l->q);
    nb_sql_free(&l->where);
    for (i = 0; i < l->nrx; i++)
        regfree(&l->rx[i]);
    for (i = 0; i < l->nip; i++)
        regfree(&l->ip_rx[i]);
    json_decref(l->tags_all);
    json_decref(l->tags_any);
    json_decref(l->not_all);
    json_decref(l->not_any);
    nb_buf_free(&l->order);
}

static void nb_where_and(struct nb_list *l)
{
    nb_sql_add(&l->where, " AND ");
}

/* Nova's status filter: the vm_states whose status (any task state, or
 * the listed ones) is asked.  0 and *none when nothing matches. */
static int nb_list_status(struct nb_list *l, const char *status, bool *none)
{
    json_t *vms = json_array(), *tasks = json_array();
    bool dflt = false;
    size_t i, j;
    char *dup = nb_xstrdup(status), *save = NULL, *tok;

    for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        for (i = 0; nb_vm_states[i]; i++) {
            bool vm = false;
            if (strcmp(nb_cmp_status(nb_vm_states[i], NULL), tok) == 0) {
                vm = true;
                dflt = true;
            }
            for (j = 0; nb_task_states[j]; j++) {
                const char *st = nb_cmp_status(nb_vm_states[i], nb_task_states[j]);
                if (strcmp(st, tok) == 0 &&
                    strcmp(st, nb_cmp_status(nb_vm_states[i], NULL)) != 0) {
                    vm = true;
                    json_array_append_new(tasks, json_string(nb_task_states[j]));
                }
            }
            if (vm)
                json_array_append_new(vms, json_string(nb_vm_states[i]));
        }
    }
    free(dup);
    *none = json_array_size(vms) == 0;
    if (!*none) {
        const json_t *v;
        nb_where_and(l);
        nb_sql_add(&l->where, "vm_state IN (");
        json_array_foreach(vms, i, v) {
            nb_sql_add(&l->where, i ? ", ?" : "?");
            nb_sql_text(&l->where, json_string_value(v));
        }
        nb_sql_add(&l->where, ")");
        if (!dflt) {
            nb_sql_add(&l->where, " AND task_state IN (");
            json_array_foreach(tasks, i, v) {
                nb_sql_add(&l->where, i ? ", ?" : "?");
                nb_sql_text(&l->where, json_string_value(v));
            }
            nb_sql_add(&l->where, ")");
        }
    }
    json_decref(vms);
    json_decref(tasks);
    return 0;
}

static int nb_list_regex(struct nb_list *l, const char *col, const char *pattern)
{
    if (l->nrx >= (int)NB_ARRAY_SIZE(l->rx))
        return 0;
    if (regcomp(&l->rx[l->nrx], pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return nb_err_set(l->ctx, 400, "Invalid regular expression for %s: %s", col, pattern);
    l->rx_col[l->nrx++] = col;
    return 0;
}

static json_t *nb_split_commas(const char *s)
{
    json_t *a = json_array();
    char *dup = nb_xstrdup(s), *save = NULL, *tok;
    for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(tok));
    free(dup);
    return a;
}

/* Sort keys: Nova's names -> our columns; NULL: accepted but ignored. */
static const struct {
    const char *key, *col;
    bool admin;
} nb_sort_keys[] = {
    {"access_ip_v4", "access_ipv4", false}, {"access_ip_v6", "access_ipv6", false},
    {"auto_disk_config", NULL, false}, {"availability_zone", "availability_zone", false},
    {"config_drive", "config_drive", false}, {"created_at", "created_at", false},
    {"display_description", "description", false}, {"display_name", "name", false},
    {"host", "host", true}, {"hostname", "hostname", false},
    {"image_ref", "image_ref", false}, {"instance_type_id", "flavor_id", false},
    {"kernel_id", NULL, false}, {"key_name", "key_name", false},
    {"launch_index", "launch_index", false}, {"launched_at", "launched_at", false},
    {"locked_by", "locked_by", false}, {"node", "node", true},
    {"power_state", "power_state", false}, {"progress", "progress", false},
    {"project_id", "project_id", false}, {"ramdisk_id", NULL, false},
    {"root_device_name", NULL, false}, {"task_state", "task_state", false},
    {"terminated_at", "terminated_at", false}, {"updated_at", "updated_at", false},
    {"user_id", "user_id", false}, {"uuid", "id", false}, {"vm_state", "vm_state", false},
};
/* valid before 2.75 but ignored (SERVER_LIST_IGNORE_SORT_KEY) */
static const char *const nb_sort_ignored[] = {
    "architecture", "cell_name", "cleaned", "default_ephemeral_device",
    "default_swap_device", "deleted", "deleted_at", "disable_terminate", "ephemeral_gb",
    "ephemeral_key_uuid", "id", "key_data", "launched_on", "locked", "memory_mb",
    "os_type", "reservation_id", "root_gb", "shutdown_terminate", "user_data", "vcpus",
    "vm_mode", NULL};

struct nb_sort_acc {
    json_t *keys, *dirs;
};

static void nb_collect_sort(void *arg, const char *k, const char *v)
{
    struct nb_sort_acc *a = arg;
    if (strcmp(k, "sort_key") == 0)
        json_array_append_new(a->keys, json_string(v));
    else if (strcmp(k, "sort_dir") == 0)
        json_array_append_new(a->dirs, json_string(v));
}

static int nb_list_sort(struct nb_list *l)
{
    struct nb_sort_acc a = {json_array(), json_array()};
    const char *first_dir = NULL;
    bool has_created = false, has_id = false;
    size_t i, j;
    int r = 0;

    nb_req_query_each(l->req, nb_collect_sort, &a);
    for (i = 0; i < json_array_size(a.dirs); i++) {
        const char *d = json_string_value(json_array_get(a.dirs, i));
        if (strcmp(d, "asc") != 0 && strcmp(d, "desc") != 0) {
            r = nb_err_set(l->ctx, 400, "Unknown sort direction, must be 'desc' or 'asc'");
            goto out;
        }
    }
    first_dir = json_array_size(a.dirs) ? json_string_value(json_array_get(a.dirs, 0)) :
                "desc";
    for (i = 0; i < json_array_size(a.keys); i++) {
        const char *k = json_string_value(json_array_get(a.keys, i));
        const char *d = i < json_array_size(a.dirs) ?
                        json_string_value(json_array_get(a.dirs, i)) : first_dir;
        const char *col = NULL;
        bool known = false;
        if (strcmp(k, "locked") == 0 && l->mv >= NB_MV(2, 73)) {
            col = "locked";
            known = true;
        }
        for (j = 0; !known && j < NB_ARRAY_SIZE(nb_sort_keys); j++)
            if (strcmp(nb_sort_keys[j].key, k) == 0) {
                known = true;
                col = nb_sort_keys[j].admin && !l->admin ? NULL : nb_sort_keys[j].col;
            }
        if (!known && nb_str_in(k, nb_sort_ignored) && l->mv < NB_MV(2, 75))
            continue;
        if (!known) {
            r = nb_err_set(l->ctx, 400, "Invalid input for query parameters sort_key. "
                           "Value: %s. It is not one of the allowed values.", k);
            goto out;
        }
        if (!col)
            continue;
        has_created = has_created || strcmp(col, "created_at") == 0;
        has_id = has_id || strcmp(col, "id") == 0;
        /* NULLs first ascending, as MySQL sorts them, on both backends */
        nb_buf_printf(&l->order, "%s(%s IS NULL) %s, %s %s", l->order.len ? ", " : "",
                      col, strcmp(d, "asc") == 0 ? "DESC" : "ASC", col, d);
    }
    l->default_sort = l->order.len == 0;
    if (!has_created)
        nb_buf_printf(&l->order, "%screated_at %s", l->order.len ? ", " : "", first_dir);
    if (!has_id)
        nb_buf_printf(&l->order, ", id %s", first_dir);
out:
    json_decref(a.keys);
    json_decref(a.dirs);
    return r;
}

/* The query parameters a member may use (Nova's _get_server_search_options);
 * an admin may use every one the schema knows. */
static bool nb_member_opt(int mv, const char *k)
{
    static const char *const base[] = {"reservation_id", "name", "status", "image",
                                       "flavor", "ip", "changes-since", "all_tenants",
                                       NULL};
    static const char *const tags[] = {"tags", "tags-any", "not-tags", "not-tags-any",
                                       NULL};
    return nb_str_in(k, base) || (mv >= NB_MV(2, 5) && strcmp(k, "ip6") == 0) ||
           (mv >= NB_MV(2, 26) && nb_str_in(k, tags)) ||
           (mv >= NB_MV(2, 66) && strcmp(k, "changes-before") == 0) ||
           (mv >= NB_MV(2, 73) && strcmp(k, "locked") == 0);
}

static bool nb_schema_opt(int mv, const char *k)
{
    static const char *const known[] = {
        "user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image",
        "kernel_id", "ramdisk_id", "hostname", "key_name", "power_state", "vm_state",
        "task_state", "host", "node", "flavor", "reservation_id", "launched_at",
        "terminated_at", "availability_zone", "name", "display_name", "description",
        "display_description", "locked_by", "uuid", "root_device_name", "config_drive",
        "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "sort_key",
        "sort_dir", "all_tenants", "soft_deleted", "deleted", "status", "changes-since",
        "ip", "ip6", "created_at", "limit", "marker", "block_device_mapping", "services",
        "metadata", "system_metadata", "info_cache", "security_groups", "pci_devices",
        NULL};
    return nb_str_in(k, known) || nb_member_opt(mv, k);
}

static const char *const nb_joined_opts[] = {
    "block_device_mapping", "services", "metadata", "system_metadata", "info_cache",
    "security_groups", "pci_devices", NULL};

/* Regular-expression filters on columns (admin, or 2.83 for members). */
static const struct {
    const char *opt, *col;
} nb_regex_opts[] = {
    {"name", "name"}, {"display_name", "name"}, {"description", "description"},
    {"display_description", "description"}, {"hostname", "hostname"},
    {"key_name", "key_name"}, {"node", "node"}, {"reservation_id", "reservation_id"},
    {"availability_zone", "availability_zone"}, {"locked_by", "locked_by"},
    {"access_ip_v4", "access_ipv4"}, {"access_ip_v6", "access_ipv6"},
    {"config_drive", "config_drive"},
};
/* Exact filters on columns. */
static const struct {
    const char *opt, *col;
} nb_exact_opts[] = {
    {"user_id", "user_id"}, {"vm_state", "vm_state"}, {"task_state", "task_state"},
    {"host", "host"}, {"uuid", "id"}, {"launch_index", "launch_index"},
    {"power_state", "power_state"}, {"progress", "progress"},
};

static int nb_list_time(struct nb_list *l, const char *opt, int64_t *out)
{
    const char *v = nb_json_str(l->q, opt);
    if (!v)
        return 0;
    if (nb_time_parse(v, out) < 0)
        return nb_err_set(l->ctx, 400, "Invalid filter field: %s.", opt);
    return 1;
}

/* Builds the filters of 'l' from the query. */
static int nb_list_parse(struct nb_list *l, bool *empty)
{
    struct nb_ctx *ctx = l->ctx;
    const char *k, *s;
    json_t *v, *drop = json_array();
    bool all_tenants = false, deleted_set = false, deleted = false;
    int64_t since = 0, before = 0;
    size_t i;
    int r = 0, hs, hb;

    json_object_foreach(l->q, k, v) {
        if (k[0] == '_' || nb_str_in(k, nb_joined_opts)) {
            r = nb_err_set(ctx, 400, "Invalid filter field: %s.", k);
            goto out;
        }
        if (!nb_schema_opt(l->mv, k) && l->mv >= NB_MV(2, 75)) {
            r = nb_err_set(ctx, 400, "Invalid input for query parameters %s. Additional "
                           "properties are not allowed ('%s' was unexpected)", k, k);
            goto out;
        }
        if (strcmp(k, "limit") == 0 || strcmp(k, "marker") == 0 ||
            strcmp(k, "sort_key") == 0 || strcmp(k, "sort_dir") == 0)
            continue;
        if (!l->all_filters && !nb_member_opt(l->mv, k))
            json_array_append_new(drop, json_string(k));
    }
    json_array_foreach(drop, i, v)
        json_object_del(l->q, json_string_value(v));

    if ((r = nb_cmp_paging(l->req, &l->limit, &l->marker)) < 0)
        goto out;

    if ((s = nb_json_str(l->q, "all_tenants"))) {
        bool b = true;
        if (*s && nb_str_to_bool(s, &b) < 0 && strcmp(s, "1") && strcmp(s, "0")) {
            r = nb_err_set(ctx, 400, "Invalid input received: Invalid value '%s' for "
                           "all_tenants", s);
            goto out;
        }
        all_tenants = *s ? (b || strcmp(s, "1") == 0) && strcmp(s, "0") != 0 : true;
    }
    if (all_tenants) {
        if ((r = nb_req_enforce(l->req, l->detail ?
                                "os_compute_api:servers:detail:get_all_tenants" :
                                "os_compute_api:servers:index:get_all_tenants", NULL)) < 0)
            goto out;
        s = nb_json_str(l->q, "project_id") ? nb_json_str(l->q, "project_id") :
            nb_json_str(l->q, "tenant_id");
        if (s) {
            nb_where_and(l);
            nb_sql_add(&l->where, "project_id = ?");
            nb_sql_text(&l->where, s);
        }
    } else {
        nb_where_and(l);
        nb_sql_add(&l->where, "project_id = ?");
        nb_sql_text(&l->where, ctx->caller.project.id);
    }

    /* statuses are matched in capitals, as Nova does */
    if ((s = nb_json_str(l->q, "status"))) {
        char *up = nb_xstrdup(s), *p;
        for (p = up; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        json_object_set_new(l->q, "status", json_string(up));
        free(up);
        s = nb_json_str(l->q, "status");
    }
    if (s) {
        bool none = false;
        nb_list_status(l, s, &none);
        if (none) {
            if (l->mv >= NB_MV(2, 38)) {
                r = nb_err_set(ctx, 400, "Invalid status value");
                goto out;
            }
            *empty = true;
        }
        if (strstr(s, "DELETED") && !strstr(s, "SOFT_DELETED") && !l->admin) {
            r = nb_err_set(ctx, 403, "Only administrators may list deleted instances");
            goto out;
        }
    }
    if ((hs = nb_list_time(l, "changes-since", &since)) < 0 ||
        (hb = nb_list_time(l, "changes-before", &before)) < 0) {
        r = -EINVAL;
        goto out;
    }
    if (hs && hb && before < since) {
        r = nb_err_set(ctx, 400, "The value of changes-since must be less than or equal "
                       "to changes-before.");
        goto out;
    }
    if (hs) {
        nb_where_and(l);
        nb_sql_add(&l->where, "updated_at >= ?");
        nb_sql_int(&l->where, since);
    }
    if (hb) {
        nb_where_and(l);
        nb_sql_add(&l->where, "updated_at <= ?");
        nb_sql_int(&l->where, before);
    }
    if ((s = nb_json_str(l->q, "deleted"))) {
        deleted_set = true;
        deleted = nb_str_is_true(s);
    }
    if ((s = nb_json_str(l->q, "status")) && strcmp(s, "DELETED") == 0) {
        deleted_set = true;
        deleted = true;
    }
    if (deleted_set)
        nb_sql_add(&l->where, deleted ? " AND deleted_at IS NOT NULL" :
                   " AND deleted_at IS NULL");
    else if (!hs && !hb)
        nb_sql_add(&l->where, " AND deleted_at IS NULL");

    if ((s = nb_json_str(l->q, "image")) || (s = nb_json_str(l->q, "image_ref"))) {
        const char *slash = strrchr(s, '/');
        nb_where_and(l);
        nb_sql_add(&l->where, "image_ref = ?");
        nb_sql_text(&l->where, slash ? slash + 1 : s);
    }
    if ((s = nb_json_str(l->q, "flavor"))) {
        const char *slash = strrchr(s, '/');
        nb_where_and(l);
        nb_sql_add(&l->where, "flavor_id = ?");
        nb_sql_text(&l->where, slash ? slash + 1 : s);
    }
    if ((s = nb_json_str(l->q, "locked"))) {
        bool b;
        if (nb_str_to_bool(s, &b) < 0) {
            r = nb_err_set(ctx, 400, "Unrecognized value '%s', acceptable values are: "
                           "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', "
                           "'y', 'yes'", s);
            goto out;
        }
        nb_sql_add(&l->where, b ? " AND locked <> 0" : " AND locked = 0");
    }
    for (i = 0; i < NB_ARRAY_SIZE(nb_exact_opts); i++)
        if ((s = nb_json_str(l->q, nb_exact_opts[i].opt))) {
            nb_where_and(l);
            nb_sql_addf(&l->where, "%s = ?", nb_exact_opts[i].col);
            if (strcmp(nb_exact_opts[i].col, "launch_index") == 0 ||
                strcmp(nb_exact_opts[i].col, "power_state") == 0 ||
                strcmp(nb_exact_opts[i].col, "progress") == 0)
                nb_sql_int(&l->where, strtoll(s, NULL, 10));
            else
                nb_sql_text(&l->where, s);
        }
    for (i = 0; i < NB_ARRAY_SIZE(nb_regex_opts); i++)
        if ((s = nb_json_str(l->q, nb_regex_opts[i].opt)) &&
            (r = nb_list_regex(l, nb_regex_opts[i].col, s)) < 0)
            goto out;
    if ((s = nb_json_str(l->q, "ip"))) {
        if (regcomp(&l->ip_rx[l->nip], s, REG_EXTENDED | REG_NOSUB) != 0) {
            r = nb_err_set(ctx, 400, "Invalid regular expression for ip: %s", s);
            goto out;
        }
        l->ip_ver[l->nip++] = 4;
    }
    if ((s = nb_json_str(l->q, "ip6"))) {
        if (regcomp(&l->ip_rx[l->nip], s, REG_EXTENDED | REG_NOSUB) != 0) {
            r = nb_err_set(ctx, 400, "Invalid regular expression for ip6: %s", s);
            goto out;
        }
        l->ip_ver[l->nip++] = 6;
    }
    if (l->mv >= NB_MV(2, 26)) {
        if ((s = nb_json_str(l->q, "tags")))
            l->tags_all = nb_split_commas(s);
        if ((s = nb_json_str(l->q, "tags-any")))
            l->tags_any = nb_split_commas(s);
        if ((s = nb_json_str(l->q, "not-tags")))
            l->not_all = nb_split_commas(s);
        if ((s = nb_json_str(l->q, "not-tags-any")))
            l->not_any = nb_split_commas(s);
    }
    r = nb_list_sort(l);
out:
    json_decref(drop);
    return r;
}

static bool nb_has_tag(const json_t *tags, const json_t *t)
{
    const json_t *x;
    size_t i;
    json_array_foreach(tags, i, x)
        if (json_equal(x, t))
            return true;
    return false;
}

/* The filters SQL could not apply. */
static bool nb_list_match(struct nb_list *l, struct nb_tx *tx, json_t *row)
{
    int i;

    for (i = 0; i < l->nrx; i++) {
        const char *v = nb_json_str(row, l->rx_col[i]);
        if (!v || regexec(&l->rx[i], v, 0, NULL, 0) != 0)
            return false;
    }
    for (i = 0; i < l->nip; i++) {
        const json_t *vif, *ip;
        size_t a, b;
        bool hit = false;
        json_array_foreach(json_object_get(row, "network_info"), a, vif)
            json_array_foreach(json_object_get(vif, "fixed_ips"), b, ip) {
                const char *addr = nb_json_str(ip, "ip_address");
                if (addr && (strchr(addr, ':') ? 6 : 4) == l->ip_ver[i] &&
                    regexec(&l->ip_rx[i], addr, 0, NULL, 0) == 0)
                    hit = true;
            }
        if (!hit)
            return false;
    }
    if (l->tags_all || l->tags_any || l->not_all || l->not_any) {
        json_t *tags = nb_cmp_tags_load(tx, nb_json_str(row, "id"));
        const json_t *t;
        size_t n;
        bool ok = true, any;
        json_object_set(row, "tags", tags);
        json_array_foreach(l->tags_all, n, t)
            ok = ok && nb_has_tag(tags, t);
        if (l->tags_any) {
            any = false;
            json_array_foreach(l->tags_any, n, t)
                any = any || nb_has_tag(tags, t);
            ok = ok && any;
        }
        if (l->not_all) {
            bool all = true;
            json_array_foreach(l->not_all, n, t)
                all = all && nb_has_tag(tags, t);
            ok = ok && !all;
        }
        json_array_foreach(l->not_any, n, t)
            ok = ok && !nb_has_tag(tags, t);
        json_decref(tags);
        if (!ok)
            return false;
    }
    return true;
}

/* The tags of every server of 'items' in one query, set as their "tags"
 * (rows the tag filters already loaded keep theirs). */
static void nb_list_tags(struct nb_tx *tx, json_t *items)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    struct nb_map *by_id = nb_map_new(NULL);
    json_t *row;
    size_t i, n = 0;

    nb_sql_add(&q, "SELECT instance_id, tag FROM cmp_instance_tags WHERE instance_id IN (");
    json_array_foreach(items, i, row) {
        json_t *tags;
        if (json_is_array(json_object_get(row, "tags")))
            continue;
        tags = json_array();
        json_object_set_new(row, "tags", tags);
        nb_map_set(by_id, nb_json_str(row, "id"), tags);
        nb_sql_add(&q, n++ ? ", ?" : "?");
        nb_sql_text(&q, nb_json_str(row, "id"));
    }
    nb_sql_add(&q, ") ORDER BY instance_id, tag");
    if (n && nb_tx_query_sql(tx, &st, &q) == 0) {
        while (nb_stmt_next(st) > 0) {
            void *tags;
            if (nb_map_find(by_id, nb_stmt_text(st, 0), &tags))
                json_array_append_new(tags, json_string(nb_stmt_text(st, 1)));
        }
    }
    nb_stmt_done(st);
    nb_sql_free(&q);
    nb_map_free(by_id);
}

static int nb_servers_list(struct nb_req *req, bool detail)
{
    struct nb_list l = {0};
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    struct nb_sql q = {0};
    struct nb_map *host_status = NULL;
    json_t *items = json_array(), *body;
    const char *last = NULL;
    bool empty = false, past_marker;
    int r, i;

    l.req = req;
    l.ctx = nb_req_ctx(req);
    l.detail = detail;
    l.mv = nb_req_mv(req);
    l.admin = nb_cmp_is_admin(l.ctx);
    l.q = nb_req_query_obj(req);
    r = nb_req_enforce(req, detail ? "os_compute_api:servers:detail" :
                       "os_compute_api:servers:index", NULL);
    if (r < 0)
        goto out;
    l.all_filters = nb_policy_allows(l.ctx, "os_compute_api:servers:allow_all_filters", NULL);
    nb_sql_add(&l.where, "1 = 1");
    if ((r = nb_list_parse(&l, &empty)) < 0)
        goto out;
    if ((r = nb_tx_begin(nb_cmp_db(), false, &tx)) < 0)
        goto out;
    if (l.marker) {
        json_t *m = NULL;
        r = nb_cmp_server_get_raw(tx, l.marker, &m);
        if (r < 0 || (!l.admin && strcmp(nb_json_str(m, "project_id"),
                                         l.ctx->caller.project.id) != 0)) {
            json_decref(m);
            r = nb_err_set(l.ctx, 400, "marker [%s] not found", l.marker);
            goto out;
        }
        if (l.default_sort) {
            /* the rows after the marker in (created_at, id) order */
            int64_t at = json_integer_value(json_object_get(m, "created_at"));
            const char *cmp = strstr(l.order.buf, "desc") ? "<" : ">";
            nb_sql_addf(&l.where, " AND (created_at %s ? OR (created_at = ? AND id %s ?))",
                        cmp, cmp);
            nb_sql_int(&l.where, at);
            nb_sql_int(&l.where, at);
            nb_sql_text(&l.where, l.marker);
        }
        json_decref(m);
    }
    if (empty || l.limit == 0)
        goto render;
    nb_cmp_server_select(&q);
    nb_sql_add(&q, " WHERE ");
    nb_sql_add(&q, l.where.text.buf);
    for (i = 0; i < l.where.n; i++) {
        if (l.where.args[i].type == 's')
            nb_sql_text(&q, l.where.args[i].s);
        else
            nb_sql_int(&q, l.where.args[i].i);
    }
    nb_sql_addf(&q, " ORDER BY %s", l.order.buf);
    /* without filters SQL cannot apply, SQL stops at the page's end */
    if (l.nrx == 0 && l.nip == 0 && !l.tags_all && !l.tags_any && !l.not_all &&
        !l.not_any && (!l.marker || l.default_sort)) {
        nb_sql_add(&q, " LIMIT ?");
        nb_sql_int(&q, l.limit);
    }
    if ((r = nb_tx_query_sql(tx, &st, &q)) < 0)
        goto out;
    past_marker = l.marker == NULL || l.default_sort;
    host_status = nb_map_new(free);
    while ((r = nb_stmt_next(st)) > 0) {
        json_t *row;
        if (!past_marker) {
            /* the id is the first column of nb_cmp_server_select */
            if (strcmp(nb_stmt_text(st, 0), l.marker) == 0)
                past_marker = true;
            continue;
        }
        row = nb_cmp_server_row(st);
        if (!nb_list_match(&l, tx, row)) {
            json_decref(row);
            continue;
        }
        json_array_append_new(items, row);
        if ((long)json_array_size(items) >= l.limit)
            break;
    }
    nb_stmt_done(st);
    st = NULL;
    if (r < 0)
        goto out;
render:
    body = json_object();
    if (detail && l.mv >= NB_MV(2, 26))
        nb_list_tags(tx, items);
    {
        json_t *out = json_array(), *row;
        struct nb_cmp_view_perms perms;
        size_t n;
        nb_cmp_view_perms_of(req, NULL, &perms);
        json_array_foreach(items, n, row) {
            const char *host = nb_json_str(row, "host");
            if (detail && host && l.mv >= NB_MV(2, 16)) {
                void *hs;
                if (!nb_map_find(host_status, host, &hs)) {
                    hs = nb_xstrdup(nb_cmp_host_status(tx, host));
                    nb_map_set(host_status, host, hs);
                }
                json_object_set_new(row, "_host_status", json_string(hs));
            }
            json_array_append_new(out, nb_cmp_server_view_as(
                req, tx, row, detail ? NB_CMP_VIEW_DETAIL : NB_CMP_VIEW_BASIC, &perms));
            last = nb_json_str(row, "id");
        }
        json_object_set_new(body, "servers", out);
    }
    if (l.limit > 0 && (long)json_array_size(items) == l.limit && last)
        json_object_set_new(body, "servers_links", nb_cmp_next_link(
            req, detail ? "servers/detail" : "servers", last));
    r = nb_reply_json(req, 200, body);
out:
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    nb_sql_free(&q);
    nb_map_free(host_status);
    nb_list_free(&l);
    json_decref(items);
    return r;
}

int nb_cmp_servers_index(struct nb_req *req)
{
    return nb_servers_list(req, false);
}

int nb_cmp_servers_detail(struct nb_req *req)
{
    return nb_servers_list(req, true);
}
