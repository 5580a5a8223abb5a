/* Compute quotas: the limits (project, user, quota class "default", then
 * [quota] in the configuration), the usage counted from the live rows, and
 * the checks other areas call (nb_cmp_quota_fit, nb_cmp_quota_limit).
 * The HTTP side (os-quota-sets, os-quota-class-sets, limits) is in
 * quota_api.c. */
#include "compute/catalog.h"

#include <stdlib.h>
#include <string.h>

/* Nova's resources (nova/quota.py QUOTAS), the [quota] option each
 * defaults from (NULL: the deprecated nova-network ones, unlimited). */
const struct nb_cmp_qres nb_cmp_qres[] = {
    {"instances", "instances", 0},
    {"cores", "cores", 0},
    {"ram", "ram", 0},
    {"metadata_items", "metadata_items", 0},
    {"injected_files", "injected_files", NB_CMP_Q_INJECTED},
    {"injected_file_content_bytes", "injected_file_content_bytes",
     NB_CMP_Q_INJECTED},
    {"injected_file_path_bytes", "injected_file_path_length",
     NB_CMP_Q_INJECTED},
    {"key_pairs", "key_pairs", 0},
    {"server_groups", "server_groups", NB_CMP_Q_GROUPS},
    {"server_group_members", "server_group_members", NB_CMP_Q_GROUPS},
    {"fixed_ips", NULL, NB_CMP_Q_NETWORK},
    {"floating_ips", NULL, NB_CMP_Q_NETWORK},
    {"security_groups", NULL, NB_CMP_Q_NETWORK},
    {"security_group_rules", NULL, NB_CMP_Q_NETWORK},
    {NULL, NULL, 0},
};

const struct nb_cmp_qres *nb_cmp_qres_find(const char *name)
{
    for (const struct nb_cmp_qres *q = nb_cmp_qres; q->name; q++)
        if (strcmp(q->name, name) == 0)
            return q;
    return NULL;
}

/* The configured default of 'q'. */
static int64_t nb_cmp_quota_conf(const struct nb_cmp_qres *q)
{
    return q->opt ? nb_conf_int("quota", q->opt) : -1;
}

int nb_cmp_quota_class_get(struct nb_tx *tx, const char *class_name,
                           const char *resource, int64_t *out)
{
    const struct nb_cmp_qres *q = nb_cmp_qres_find(resource);
    int r = nb_tx_query_int(tx, out, "SELECT hard_limit FROM cmp_quota_classes"
                            " WHERE class_name = ? AND resource = ?", "ss",
                            class_name, resource);
    if (r == -ENOENT) {
        *out = q ? nb_cmp_quota_conf(q) : -1;
        r = 0;
    }
    return r;
}

int nb_cmp_quota_get(struct nb_tx *tx, const char *project_id,
                     const char *user_id, const char *resource, int64_t *out)
{
    int r = -ENOENT;
    if (user_id && *user_id)
        r = nb_tx_query_int(tx, out, "SELECT hard_limit FROM cmp_quotas WHERE"
                            " project_id = ? AND user_id = ? AND resource = ?",
                            "sss", project_id, user_id, resource);
    if (r == -ENOENT)
        r = nb_tx_query_int(tx, out, "SELECT hard_limit FROM cmp_quotas WHERE"
                            " project_id = ? AND user_id = '' AND resource = ?",
                            "ss", project_id, resource);
    if (r == -ENOENT)
        r = nb_cmp_quota_class_get(tx, "default", resource, out);
    return r;
}

int nb_cmp_quota_limit(struct nb_tx *tx, const char *project_id,
                       const char *resource, int64_t *out)
{
    return nb_cmp_quota_get(tx, project_id, NULL, resource, out);
}

int nb_cmp_quota_lock(struct nb_tx *tx, const char *project_id)
{
    return nb_tx_exec(tx, NULL, "INSERT INTO cmp_quota_locks (project_id, n)"
                      " VALUES (?, 1) ON CONFLICT (project_id)"
                      " DO UPDATE SET n = cmp_quota_locks.n + 1", "s", project_id);
}

int nb_cmp_usage_count(struct nb_tx *tx, const char *project_id,
                       const char *user_id, struct nb_cmp_usage *u)
{
    struct nb_stmt *st = NULL;
    int r;
    if (user_id)
        r = nb_tx_query(tx, &st, "SELECT COUNT(*), COALESCE(SUM(vcpus), 0),"
                        " COALESCE(SUM(memory_mb), 0) FROM cmp_instances"
                        " WHERE project_id = ? AND user_id = ?"
                        " AND deleted_at IS NULL", "ss", project_id, user_id);
    else
        r = nb_tx_query(tx, &st, "SELECT COUNT(*), COALESCE(SUM(vcpus), 0),"
                        " COALESCE(SUM(memory_mb), 0) FROM cmp_instances"
                        " WHERE project_id = ? AND deleted_at IS NULL", "s",
                        project_id);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        u->instances = nb_stmt_int(st, 0);
        u->cores = nb_stmt_int(st, 1);
        u->ram = nb_stmt_int(st, 2);
        r = 0;
    } else if (r == 0) {
        r = -EIO;
    }
    nb_stmt_done(st);
    return r;
}

/* One side of a fit (the project, or the user's own limits). */
struct nb_cmp_fit_side {
    int64_t limit[3], used[3];
};

static const char *const nb_cmp_fit_names[3] = {"instances", "cores", "ram"};

static int nb_cmp_fit_load(struct nb_tx *tx, const char *project_id,
                           const char *user_id, struct nb_cmp_fit_side *s)
{
    struct nb_cmp_usage u;
    int r = nb_cmp_usage_count(tx, project_id, user_id, &u);
    for (int i = 0; r == 0 && i < 3; i++)
        r = nb_cmp_quota_get(tx, project_id, user_id, nb_cmp_fit_names[i],
                             &s->limit[i]);
    s->used[0] = u.instances;
    s->used[1] = u.cores;
    s->used[2] = u.ram;
    return r;
}

/* How many of 'per' still fit in side 's' (at most 'max'). */
static int64_t nb_cmp_fit_room(const struct nb_cmp_fit_side *s,
                               const int64_t per[3], int64_t max)
{
    int64_t n = max;
    for (int i = 0; i < 3; i++) {
        int64_t room;
        if (s->limit[i] < 0 || per[i] <= 0)
            continue;
        room = s->limit[i] - s->used[i];
        room = room < 0 ? 0 : room / per[i];
        if (room < n)
            n = room;
    }
    return n;
}

/* Nova's TooManyInstances: the resources a request of 'max' would go past,
 * "Quota exceeded for cores, ram: Requested 4, 2048, but already used 20,
 * 0 of 20, 51200 cores, ram". */
static int nb_cmp_fit_refuse(struct nb_ctx *ctx, const struct nb_cmp_fit_side *s,
                             const int64_t per[3], int64_t max)
{
    struct nb_buf overs = {0}, req = {0}, used = {0}, lim = {0};
    int r;
    for (int i = 0; i < 3; i++) {
        if (s->limit[i] < 0 || per[i] <= 0 || s->used[i] + per[i] * max <= s->limit[i])
            continue;
        const char *sep = overs.len ? ", " : "";
        nb_buf_printf(&overs, "%s%s", sep, nb_cmp_fit_names[i]);
        nb_buf_printf(&req, "%s%lld", sep, (long long)(per[i] * max));
        nb_buf_printf(&used, "%s%lld", sep, (long long)s->used[i]);
        nb_buf_printf(&lim, "%s%lld", sep, (long long)s->limit[i]);
    }
    if (!overs.len) /* room for fewer than min, yet max alone is over nothing */
        nb_buf_puts(&overs, "instances"), nb_buf_puts(&req, "0"),
            nb_buf_puts(&used, "0"), nb_buf_puts(&lim, "0");
    nb_err_set(ctx, 403, "Quota exceeded for %s: Requested %s, but already used"
               " %s of %s %s", overs.buf, req.buf, used.buf, lim.buf, overs.buf);
    r = -EDQUOT;
    nb_buf_free(&overs);
    nb_buf_free(&req);
    nb_buf_free(&used);
    nb_buf_free(&lim);
    return r;
}

int nb_cmp_quota_fit(struct nb_ctx *ctx, struct nb_tx *tx, const char *project_id,
                     const char *user_id, const struct nb_cmp_usage *one,
                     int min, int max, int *n)
{
    struct nb_cmp_fit_side proj, user;
    const int64_t per[3] = {one->instances, one->cores, one->ram};
    int64_t room, uroom;
    int r = nb_cmp_quota_lock(tx, project_id);
    if (r == 0)
        r = nb_cmp_fit_load(tx, project_id, NULL, &proj);
    if (r < 0)
        return r;
    room = nb_cmp_fit_room(&proj, per, max);
    if (room < min)
        return nb_cmp_fit_refuse(ctx, &proj, per, max);
    if (user_id) {
        r = nb_cmp_fit_load(tx, project_id, user_id, &user);
        if (r < 0)
            return r;
        uroom = nb_cmp_fit_room(&user, per, max);
        if (uroom < min)
            return nb_cmp_fit_refuse(ctx, &user, per, max);
        if (uroom < room)
            room = uroom;
    }
    *n = (int)room;
    return 0;
}

/* ---- usage of the other counted resources */

int nb_cmp_quota_in_use(struct nb_tx *tx, const char *project_id,
                        const char *user_id, const char *resource, int64_t *out)
{
    struct nb_cmp_usage u;
    int r;
    *out = 0;
    if (strcmp(resource, "instances") == 0 || strcmp(resource, "cores") == 0 ||
        strcmp(resource, "ram") == 0) {
        r = nb_cmp_usage_count(tx, project_id, user_id, &u);
        if (r == 0)
            *out = resource[0] == 'i' ? u.instances
                   : resource[0] == 'c' ? u.cores : u.ram;
        return r;
    }
    if (strcmp(resource, "key_pairs") == 0)
        /* keypairs belong to users; a project's count is its caller's */
        return user_id ? nb_tx_query_int(tx, out, "SELECT COUNT(*) FROM cmp_keypairs"
                                         " WHERE user_id = ?", "s", user_id)
                       : 0;
    if (strcmp(resource, "server_groups") == 0) {
        if (user_id)
            return nb_tx_query_int(tx, out, "SELECT COUNT(*) FROM cmp_server_groups"
                                   " WHERE project_id = ? AND user_id = ?", "ss",
                                   project_id, user_id);
        return nb_tx_query_int(tx, out, "SELECT COUNT(*) FROM cmp_server_groups"
                               " WHERE project_id = ?", "s", project_id);
    }
    return 0;
}

int nb_cmp_quota_check_one(struct nb_ctx *ctx, struct nb_tx *tx,
                           const char *project_id, const char *user_id,
                           const char *resource, const char *message)
{
    int64_t limit, used;
    int r = nb_cmp_quota_lock(tx, project_id);
    if (r == 0)
        r = nb_cmp_quota_get(tx, project_id, user_id, resource, &limit);
    if (r < 0 || limit < 0)
        return r;
    r = nb_cmp_quota_in_use(tx, project_id, user_id, resource, &used);
    if (r < 0)
        return r;
    if (used + 1 > limit) {
        nb_err_set(ctx, 403, "%s", message);
        return -EDQUOT;
    }
    return 0;
}
