/* The object storage tables, the orphan sweep when the daemon starts, and the expirer.
 *
 * Accounts are implicit (AUTH_<project>); a row in object_accounts only
 * holds metadata set by POST.  Containers carry their object count and
 * byte total, changed in the same transaction as the object rows.  Object
 * names are compared bytewise: SQLite's BINARY collation, and a
 * PostgreSQL database created with the C collation (as tests/lib/pg.sh
 * does), so listings come in Swift's order. */
#include "object/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_migration nb_obj_migrations[] = {
    {1, "CREATE TABLE object_accounts ("
        " account TEXT PRIMARY KEY, meta TEXT NOT NULL, created BIGINT NOT NULL);"
        "CREATE TABLE object_containers ("
        " account TEXT NOT NULL, name TEXT NOT NULL, meta TEXT NOT NULL,"
        " created BIGINT NOT NULL, modified BIGINT NOT NULL,"
        " object_count BIGINT NOT NULL, bytes_used BIGINT NOT NULL,"
        " PRIMARY KEY (account, name));"
        "CREATE TABLE object_objects ("
        " account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,"
        " blob TEXT NOT NULL, size BIGINT NOT NULL, etag TEXT NOT NULL,"
        " content_type TEXT NOT NULL, modified BIGINT NOT NULL,"
        " delete_at BIGINT NOT NULL, meta TEXT NOT NULL,"
        " PRIMARY KEY (account, container, name));"
        "CREATE INDEX object_objects_delete_at ON object_objects (delete_at);"},
};

int nb_obj_schema_init(struct nb_db *db)
{
    return nb_db_migrate(db, "object", nb_obj_migrations, NB_ARRAY_SIZE(nb_obj_migrations));
}

/* ---- orphans: blobs stored by a PUT whose row never committed */

struct nb_obj_sweep {
    struct nb_map *live;
    int removed;
};

static int nb_obj_sweep_one(void *arg, const char *key)
{
    struct nb_obj_sweep *s = arg;
    if (nb_map_find(s->live, key, NULL))
        return 0;
    if (nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, key) == 0)
        s->removed++;
    return 0;
}

int nb_obj_sweep_orphans(void)
{
    struct nb_obj_sweep s = {nb_map_new(NULL), 0};
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int r;

    r = nb_tx_begin(nb_obj_env->db, false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT blob FROM object_objects", "");
    while (r >= 0 && (r = nb_stmt_next(st)) > 0)
        nb_map_set(s.live, nb_stmt_text(st, 0), NULL);
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r == 0)
        r = nb_blob_each(nb_obj_env->blobs, NB_OBJ_NS, nb_obj_sweep_one, &s);
    if (s.removed)
        nb_info("object: removed %d stored bodies no object row named", s.removed);
    nb_map_free(s.live);
    return r;
}

/* ---- the expirer: objects past X-Delete-At are invisible at once (reads
 * filter them) and removed here. */

struct nb_obj_expired {
    char *account, *container, *name, *blob;
    int64_t size;
};

int nb_obj_expire_now(void)
{
    struct nb_obj_expired *list = NULL;
    size_t n = 0;
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int r;

    r = nb_tx_begin(nb_obj_env->db, false, &tx);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT account, container, name, blob, size FROM "
                                 "object_objects WHERE delete_at > 0 AND delete_at <= ? "
                                 "LIMIT 1000",
                        "i", nb_now_us() / 1000000);
    while (r >= 0 && (r = nb_stmt_next(st)) > 0) {
        list = nb_xrealloc(list, sizeof(*list) * (n + 1));
        list[n].account = nb_xstrdup(nb_stmt_text(st, 0));
        list[n].container = nb_xstrdup(nb_stmt_text(st, 1));
        list[n].name = nb_xstrdup(nb_stmt_text(st, 2));
        list[n].blob = nb_xstrdup(nb_stmt_text(st, 3));
        list[n].size = nb_stmt_int(st, 4);
        n++;
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    for (size_t i = 0; i < n; i++) {
        struct nb_obj_expired *e = &list[i];
        int changes = 0, k;
        if (r >= 0 && (k = nb_tx_begin(nb_obj_env->db, true, &tx)) == 0) {
            /* the blob guards against a newer object under the same name */
            k = nb_tx_exec(tx, &changes, "DELETE FROM object_objects WHERE account = ? "
                                         "AND container = ? AND name = ? AND blob = ?",
                           "ssss", e->account, e->container, e->name, e->blob);
            if (k == 0 && changes)
                k = nb_obj_container_add(tx, e->account, e->container, -1, -e->size);
            if (k == 0)
                k = nb_tx_commit(tx);
            else
                nb_tx_rollback(tx);
            if (k == 0 && changes)
                nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, e->blob);
        }
        free(e->account);
        free(e->container);
        free(e->name);
        free(e->blob);
    }
    free(list);
    return r < 0 ? r : (int)n;
}

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool running, stop;
} nb_obj_expirer = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *nb_obj_expirer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&nb_obj_expirer.lock);
    while (!nb_obj_expirer.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += nb_obj_limits.expirer_interval;
        pthread_cond_timedwait(&nb_obj_expirer.cond, &nb_obj_expirer.lock, &ts);
        if (nb_obj_expirer.stop)
            break;
        pthread_mutex_unlock(&nb_obj_expirer.lock);
        while (nb_obj_expire_now() >= 1000)
            ;
        pthread_mutex_lock(&nb_obj_expirer.lock);
    }
    pthread_mutex_unlock(&nb_obj_expirer.lock);
    return NULL;
}

int nb_obj_expirer_start(void)
{
    if (nb_obj_limits.expirer_interval <= 0)
        return 0;
    nb_obj_expirer.stop = false;
    if (pthread_create(&nb_obj_expirer.thread, NULL, nb_obj_expirer_main, NULL) != 0)
        return -EAGAIN;
    nb_obj_expirer.running = true;
    return 0;
}

void nb_obj_expirer_stop(void)
{
    if (!nb_obj_expirer.running)
        return;
    pthread_mutex_lock(&nb_obj_expirer.lock);
    nb_obj_expirer.stop = true;
    pthread_cond_signal(&nb_obj_expirer.cond);
    pthread_mutex_unlock(&nb_obj_expirer.lock);
    pthread_join(nb_obj_expirer.thread, NULL);
    nb_obj_expirer.running = false;
}
