/* Migration records (Nova's migrations table) and the APIs that read
 * them: GET /os-migrations (nova/api/openstack/compute/migrations.py:
 * 2.23 migration_type and links, 2.59 uuid, paging and changes-since,
 * 2.66 changes-before) and GET /servers/{id}/migrations[/{mid}]
 * (server_migrations.py: in-progress live migrations only). */
#include "compute/extras.h"
#include "compute/catalog.h"
#include "compute/handlers.h"
#include "compute/servers.h"

#include <stdlib.h>
#include <string.h>

static const struct nb_migration nb_cmp_extras_migrations[] = {
    /* id is Nova's integer id, uuid its 2.59 id; the flavor ids are the
     * integers flavors show as (a stable hash of their flavorid);
     * updated_at stays NULL until the first status change, as Nova */
    {1, "CREATE TABLE cmp_migrations (id BIGINT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,"
        " instance_uuid TEXT NOT NULL, project_id TEXT, user_id TEXT,"
        " migration_type TEXT NOT NULL, status TEXT NOT NULL,"
        " source_compute TEXT, dest_compute TEXT, source_node TEXT, dest_node TEXT,"
        " dest_host TEXT, old_instance_type_id BIGINT, new_instance_type_id BIGINT,"
        " hidden BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
        " updated_at BIGINT);"
        "CREATE INDEX cmp_migrations_instance ON cmp_migrations (instance_uuid, id);"
        "CREATE INDEX cmp_migrations_created ON cmp_migrations (created_at, id);"
        /* the last id given: its upsert takes the row lock, so concurrent
         * moves never draw the same id on PostgreSQL */
        "CREATE TABLE cmp_migration_ids (k BIGINT PRIMARY KEY, n BIGINT NOT NULL);"},
};

int nb_cmp_extras_migrate(struct nb_db *db)
{
    return nb_db_migrate(db, "compute_extras", nb_cmp_extras_migrations,
                         NB_ARRAY_SIZE(nb_cmp_extras_migrations));
}

/* The statuses after which a migration is over. */
#define NB_MIG_FINAL "('confirmed', 'reverted', 'completed', 'failed', 'cancelled', 'error'," \
                     " 'done')"
/* A live migration Nova still counts as running (server_migrations.py). */
#define NB_MIG_LIVE_RUNNING "('queued', 'preparing', 'running', 'post-migrating')"

static json_t *nb_mig_flavor_id(const json_t *flavor)
{
    const char *id = nb_json_str(flavor, "id");
    return id ? json_integer(nb_cmp_legacy_id(id)) : json_null();
}

int nb_cmp_migration_add(struct nb_tx *tx, const json_t *server, const char *type,
                         const char *status, const char *dest, const json_t *old_flavor,
                         const json_t *new_flavor, int64_t *id)
{
    const char *src = nb_json_str(server, "host"), *node = nb_json_str(server, "node");
    char uuid[37], *ip = NULL;
    int64_t next = 0;
    json_t *of = old_flavor ? json_incref((json_t *)old_flavor)
                            : json_incref(json_object_get(server, "flavor"));
    json_t *nf = new_flavor ? json_incref((json_t *)new_flavor) : json_incref(of);
    json_t *oid = nb_mig_flavor_id(of), *nid = nb_mig_flavor_id(nf);
    int r;

    if (!dest)
        dest = src;
    nb_uuid_dashed(uuid);
    /* Nova's dest_host is the destination's IP */
    if (dest)
        nb_tx_query_str(tx, &ip, "SELECT host_ip FROM cmp_nodes WHERE host = ?", "s", dest);
    r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_migration_ids (k, n) VALUES (1, 1)"
                   " ON CONFLICT (k) DO UPDATE SET n = cmp_migration_ids.n + 1", "");
    if (r == 0)
        r = nb_tx_query_int(tx, &next, "SELECT n FROM cmp_migration_ids WHERE k = 1", "");
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_migrations (id, uuid, instance_uuid,"
                       " project_id, user_id, migration_type, status, source_compute,"
                       " dest_compute, source_node, dest_node, dest_host,"
                       " old_instance_type_id, new_instance_type_id, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "isssssssssssiii", next, uuid,
                       nb_json_str(server, "id"), nb_json_str(server, "project_id"),
                       nb_json_str(server, "user_id"), type, status, src, dest, node,
                       dest && src && !strcmp(dest, src) ? node : dest, ip,
                       json_integer_value(oid), json_integer_value(nid), nb_now_us());
    if (r == 0 && id)
        *id = next;
    free(ip);
    json_decref(of);
    json_decref(nf);
    json_decref(oid);
    json_decref(nid);
    return r;
}

int nb_cmp_migration_step(const char *server_id, const char *status)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_migrations SET status = ?, updated_at = ?"
                       " WHERE id = (SELECT MAX(id) FROM cmp_migrations"
                       " WHERE instance_uuid = ? AND status NOT IN " NB_MIG_FINAL ")",
                       "sis", status, nb_now_us(), server_id);
    if (r == 0)
        return nb_tx_commit(tx);
    nb_tx_rollback(tx);
    return r;
}

/* ---- the views */

#define NB_MIG_COLS "id, uuid, instance_uuid, migration_type, status, source_compute," \
    " dest_compute, source_node, dest_node, dest_host, old_instance_type_id," \
    " new_instance_type_id, created_at, updated_at"

static json_t *nb_mig_text(struct nb_stmt *st, int col)
{
    const char *s = nb_stmt_text(st, col);
    return s ? json_string(s) : json_null();
}

static json_t *nb_mig_int(struct nb_stmt *st, int col)
{
    return nb_stmt_null(st, col) ? json_null() : json_integer(nb_stmt_int(st, col));
}

static bool nb_mig_live_running(const char *type, const char *status)
{
    static const char *const running[] = {"queued", "preparing", "running",
                                          "post-migrating", NULL};
    if (strcmp(type, "live-migration") != 0)
        return false;
    for (size_t i = 0; running[i]; i++)
        if (!strcmp(status, running[i]))
            return true;
    return false;
}

/* What both views show of a row of NB_MIG_COLS: a new object. */
static json_t *nb_mig_common(struct nb_stmt *st)
{
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
                     "id", (json_int_t)nb_stmt_int(st, 0), "status", nb_mig_text(st, 4),
                     "source_compute", nb_mig_text(st, 5), "dest_compute", nb_mig_text(st, 6),
                     "source_node", nb_mig_text(st, 7), "dest_node", nb_mig_text(st, 8),
                     "dest_host", nb_mig_text(st, 9), "created_at", nb_cmp_stmt_time(st, 12),
                     "updated_at", nb_cmp_stmt_time(st, 13));
}

/* One row of NB_MIG_COLS as GET /os-migrations shows it. */
static json_t *nb_mig_view(struct nb_req *req, struct nb_stmt *st)
{
    int mv = nb_req_mv(req);
    const char *type = nb_stmt_text(st, 3), *status = nb_stmt_text(st, 4);
    json_t *m = nb_mig_common(st);
    json_object_set_new(m, "instance_uuid", nb_mig_text(st, 2));
    json_object_set_new(m, "old_instance_type_id", nb_mig_int(st, 10));
    json_object_set_new(m, "new_instance_type_id", nb_mig_int(st, 11));
    if (mv >= NB_MV(2, 23)) {
        json_object_set_new(m, "migration_type", json_string(type));
        if (nb_mig_live_running(type, status)) {
            char *coll = nb_xasprintf("servers/%s/migrations", nb_stmt_text(st, 2));
            char id[24];
            snprintf(id, sizeof(id), "%lld", (long long)nb_stmt_int(st, 0));
            json_object_set_new(m, "links", nb_cmp_links(req, coll, id));
            free(coll);
        }
    }
    if (mv >= NB_MV(2, 59))
        json_object_set_new(m, "uuid", nb_mig_text(st, 1));
    return m;
}

/* ---- GET /os-migrations */

struct nb_mig_keys {
    struct nb_req *req;
    char bad[64];
};

static void nb_mig_check_key(void *arg, const char *k, const char *v)
{
    static const char *const known[] = {"hidden", "host", "instance_uuid", "source_compute",
                                        "status", "migration_type", "limit", "marker",
                                        "changes-since", NULL};
    struct nb_mig_keys *a = arg;
    (void)v;
    if (a->bad[0])
        return;
    for (size_t i = 0; known[i]; i++)
        if (!strcmp(k, known[i]))
            return;
    if (nb_req_mv(a->req) >= NB_MV(2, 66) && !strcmp(k, "changes-before"))
        return;
    snprintf(a->bad, sizeof(a->bad), "%s", k);
}

/* ?key=value as "AND col = ?" when given. */
static void nb_mig_filter(struct nb_req *req, struct nb_sql *q, const char *key,
                          const char *col)
{
    const char *v = nb_req_query(req, key);
    if (!v)
        return;
    nb_sql_addf(q, " AND %s = ?", col);
    nb_sql_text(q, v);
}

/* The 2.59 query checks and paging: 400 set for an unknown parameter, a
 * bad limit, date or marker; the filters of changes-since/before and the
 * marker go into 'q' (borrowed), the page size into *limit. */
static int nb_mig_paging(struct nb_req *req, struct nb_tx *tx, struct nb_sql *q,
                         long *limit)
{
    struct nb_mig_keys k = {req, ""};
    const char *marker = NULL;
    int64_t since = 0, before = 0, mcreated = 0, mid = 0;
    int hs, hb, r;

    nb_req_query_each(req, nb_mig_check_key, &k);
    if (k.bad[0])
        return nb_req_err(req, 400, "Invalid input for query parameters %s. Additional "
                          "properties are not allowed ('%s' was unexpected)", k.bad, k.bad);
    if ((r = nb_cmp_paging(req, limit, &marker)) < 0)
        return r;
    if ((hs = nb_cmp_query_time(req, "changes-since", &since)) < 0)
        return hs;
    hb = nb_req_mv(req) >= NB_MV(2, 66) ? nb_cmp_query_time(req, "changes-before", &before)
                                         : 0;
    if (hb < 0)
        return hb;
    if (hs && hb && before < since)
        return nb_req_err(req, 400, "The value of changes-since must be less than or "
                          "equal to changes-before.");
    if (hs) {
        nb_sql_add(q, " AND COALESCE(updated_at, created_at) >= ?");
        nb_sql_int(q, since);
    }
    if (hb) {
        nb_sql_add(q, " AND COALESCE(updated_at, created_at) <= ?");
        nb_sql_int(q, before);
    }
    if (!marker)
        return 0;
    r = nb_tx_query_int(tx, &mcreated, "SELECT created_at FROM cmp_migrations WHERE uuid = ?",
                        "s", marker);
    if (r == 0)
        r = nb_tx_query_int(tx, &mid, "SELECT id FROM cmp_migrations WHERE uuid = ?", "s",
                            marker);
    if (r == -ENOENT)
        return nb_req_err(req, 400, "Marker %s could not be found.", marker);
    if (r < 0)
        return r;
    nb_sql_add(q, " AND (created_at < ? OR (created_at = ? AND id < ?))");
    nb_sql_int(q, mcreated);
    nb_sql_int(q, mcreated);
    nb_sql_int(q, mid);
    return 0;
}

int nb_cmp_migrations_index(struct nb_req *req)
{
    bool paging = nb_req_mv(req) >= NB_MV(2, 59);
    const char *host = nb_req_query(req, "host"), *hidden = nb_req_query(req, "hidden");
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    struct nb_sql q = {0};
    json_t *list = json_array(), *body;
    long limit = 1000;
    bool hide = false;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r < 0)
        goto out;
    nb_sql_add(&q, "SELECT " NB_MIG_COLS " FROM cmp_migrations WHERE hidden = ?");
    nb_sql_int(&q, hidden && nb_str_to_bool(hidden, &hide) == 0 && hide ? 1 : 0);
    nb_mig_filter(req, &q, "status", "status");
    nb_mig_filter(req, &q, "source_compute", "source_compute");
    nb_mig_filter(req, &q, "instance_uuid", "instance_uuid");
    nb_mig_filter(req, &q, "migration_type", "migration_type");
    if (host) {
        nb_sql_add(&q, " AND (source_compute = ? OR dest_compute = ?)");
        nb_sql_text(&q, host);
        nb_sql_text(&q, host);
    }
    if (paging && (r = nb_mig_paging(req, tx, &q, &limit)) < 0)
        goto out;
    /* newest first; pages from 2.59 */
    nb_sql_addf(&q, " ORDER BY created_at DESC, id DESC%s", paging ? " LIMIT ?" : "");
    if (paging)
        nb_sql_int(&q, limit);
    r = nb_tx_query_sql(tx, &st, &q);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, nb_mig_view(req, st));
        r = 0;
    }
    if (r < 0)
        goto out;
    body = json_pack("{s:O}", "migrations", list);
    if (paging && limit > 0 && (long)json_array_size(list) == limit)
        json_object_set_new(body, "migrations_links",
                            nb_cmp_next_link(req, "os-migrations",
                                             nb_json_str(json_array_get(list, limit - 1),
                                                         "uuid")));
    r = nb_reply_json(req, 200, body);
out:
    nb_stmt_done(st);
    nb_sql_free(&q);
    nb_tx_rollback(tx);
    json_decref(list);
    return r;
}

/* ---- /servers/{id}/migrations: the server's live migrations in
 * progress */

/* One row of NB_MIG_COLS as the server migrations API shows it (this
 * daemon does not measure a live migration's progress: null). */
static json_t *nb_mig_server_view(struct nb_req *req, struct nb_stmt *st)
{
    static const char *const progress[] = {
        "memory_total_bytes", "memory_processed_bytes", "memory_remaining_bytes",
        "disk_total_bytes", "disk_processed_bytes", "disk_remaining_bytes", NULL};
    json_t *m = nb_mig_common(st);
    json_object_set_new(m, "server_uuid", nb_mig_text(st, 2));
    for (size_t i = 0; progress[i]; i++)
        json_object_set_new(m, progress[i], json_null());
    if (nb_req_mv(req) >= NB_MV(2, 59))
        json_object_set_new(m, "uuid", nb_mig_text(st, 1));
    return m;
}

/* The server of the path as an admin sees it (404 when absent), with
 * 'rule' enforced; before microversion 'min_mv' the route does not exist
 * (404). */
static int nb_mig_server(struct nb_req *req, int min_mv, struct nb_tx **tx, const char *rule,
                         json_t **server)
{
    int r = nb_cmp_mv_route(req, min_mv, 0);
    if (r < 0)
        return r;
    r = nb_tx_begin(nb_cmp_db(), false, tx);
    if (r == 0)
        r = nb_cmp_server_load(req, *tx, nb_req_param(req, 0), rule, server);
    return r;
}

int nb_cmp_server_migrations_index(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *server = NULL, *list = json_array();
    int r = nb_mig_server(req, NB_MV(2, 23), &tx, "os_compute_api:servers:migrations:index",
                          &server);

    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT " NB_MIG_COLS " FROM cmp_migrations"
                        " WHERE instance_uuid = ? AND migration_type = 'live-migration'"
                        " AND status IN " NB_MIG_LIVE_RUNNING " ORDER BY id", "s",
                        nb_req_param(req, 0));
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, nb_mig_server_view(req, st));
        r = 0;
    }
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:O}", "migrations", list));
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_decref(server);
    json_decref(list);
    return r;
}

/* Loads migration {mid} of the server as Nova's show finds it: 404 unless
 * it is a live migration of this server still running. */
static int nb_mig_find(struct nb_req *req, struct nb_tx *tx, struct nb_stmt **st)
{
    const char *id = nb_req_param(req, 0), *mid = nb_req_param(req, 1);
    long n = 0;
    int r = nb_str_to_long(mid, &n) < 0 ? -ENOENT : 0;

    if (r == 0)
        r = nb_tx_query(tx, st, "SELECT " NB_MIG_COLS " FROM cmp_migrations"
                        " WHERE id = ? AND instance_uuid = ?", "is", (int64_t)n, id);
    if (r == 0)
        r = nb_stmt_next(*st) > 0 ? 0 : -ENOENT;
    if (r == -ENOENT)
        return nb_req_err(req, 404, "Migration %s not found for instance %s.", mid, id);
    if (r < 0)
        return r;
    if (strcmp(nb_stmt_text(*st, 3), "live-migration") != 0)
        return nb_req_err(req, 404, "Migration %s for server %s is not live-migration.",
                          mid, id);
    if (!nb_mig_live_running("live-migration", nb_stmt_text(*st, 4)))
        return nb_req_err(req, 404, "Live migration %s for server %s is not in progress.",
                          mid, id);
    return 0;
}

int nb_cmp_server_migration_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *server = NULL;
    int r = nb_mig_server(req, NB_MV(2, 23), &tx, "os_compute_api:servers:migrations:show",
                          &server);

    if (r == 0)
        r = nb_mig_find(req, tx, &st);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "migration",
                                              nb_mig_server_view(req, st)));
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_decref(server);
    return r;
}

/* DELETE (2.24 abort) and the force_complete action (2.22) act on a
 * running live migration: the server must be migrating first (409). */
static int nb_mig_live_act(struct nb_req *req, int min_mv, const char *rule,
                           const char *action)
{
    static const char *const vms[] = {NB_VM_ACTIVE, NB_VM_PAUSED, NULL};
    static const char *const tasks[] = {"migrating", NULL};
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *server = NULL;
    int r = nb_mig_server(req, min_mv, &tx, rule, &server);

    if (r == 0)
        r = nb_cmp_check_state(nb_req_ctx(req), server, action, vms, tasks);
    if (r == 0)
        r = nb_mig_find(req, tx, &st);
    /* nothing in this daemon runs a live migration long enough to be
     * caught: a running one is the driver's to stop */
    if (r == 0)
        r = nb_req_err(req, 400, "Live migration %s of server %s cannot be %s now.",
                       nb_req_param(req, 1), nb_req_param(req, 0),
                       strcmp(action, "force_complete") ? "aborted" : "forced to complete");
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_decref(server);
    return r;
}

int nb_cmp_server_migration_delete(struct nb_req *req)
{
    return nb_mig_live_act(req, NB_MV(2, 24), "os_compute_api:servers:migrations:delete",
                           "abort live migration");
}

int nb_cmp_server_migration_action(struct nb_req *req)
{
    const json_t *body = NULL;
    if (nb_req_mv(req) >= NB_MV(2, 22)) {
        if (!(body = nb_req_json(req)))
            return -EINVAL;
        if (json_object_size(body) != 1 || !json_object_get(body, "force_complete")) {
            nb_req_policy_done(req);
            return nb_cmp_bad_input(nb_req_ctx(req), "", body,
                                    "Additional properties are not allowed");
        }
    }
    return nb_mig_live_act(req, NB_MV(2, 22),
                           "os_compute_api:servers:migrations:force_complete",
                           "force_complete");
}
