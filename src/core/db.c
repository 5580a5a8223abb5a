/* SQL: connection pool, transactions, binding, query builder, migrations.
 * The backends sit behind the driver table in db_driver.h. */
#include "db_driver.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct nb_db_driver *const nb_db_drivers[] = {
    &nb_db_sqlite,
    &nb_db_postgresql,
};

struct nb_dbconn {
    void *impl;
    bool busy;
};

struct nb_db {
    const struct nb_db_driver *drv;
    char *target;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size;
    struct nb_dbconn *conns;
    /* drv->one_writer: held by this process's write transaction */
    pthread_mutex_t writer;
};

struct nb_tx {
    struct nb_db *db;
    struct nb_dbconn *conn;
    bool writer;              /* holds db->writer */
    bool failed;              /* an error ends the transaction (as on PG) */
    int open_stmts;
};

struct nb_stmt {
    struct nb_tx *tx;
    void *impl;
};

int nb_db_open(const char *url, int pool_size, struct nb_db **out)
{
    struct nb_db *db;
    const char *target = NULL;
    size_t i;
    void *probe = NULL;
    int r;

    for (i = 0; i < NB_ARRAY_SIZE(nb_db_drivers); i++)
        if ((target = nb_db_drivers[i]->accepts(url)))
            break;
    if (!target) {
        nb_error("database: unsupported connection string '%s'", url);
        return -EINVAL;
    }
    /* connect once now so a bad URL fails at start, not on first request */
    r = nb_db_drivers[i]->connect(target, &probe);
    if (r < 0)
        return r;
    db = nb_xcalloc(1, sizeof(*db));
    db->drv = nb_db_drivers[i];
    db->target = nb_xstrdup(target);
    db->size = pool_size > 0 ? pool_size : 4;
    db->conns = nb_xcalloc((size_t)db->size, sizeof(*db->conns));
    db->conns[0].impl = probe;
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->freed, NULL);
    pthread_mutex_init(&db->writer, NULL);
    *out = db;
    return 0;
}

void nb_db_close(struct nb_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->size; i++)
        if (db->conns[i].impl)
            db->drv->disconnect(db->conns[i].impl);
    pthread_mutex_destroy(&db->lock);
    pthread_cond_destroy(&db->freed);
    pthread_mutex_destroy(&db->writer);
    free(db->conns);
    free(db->target);
    free(db);
}

const char *nb_db_backend(const struct nb_db *db)
{
    return db->drv->name;
}

/* Takes a free connection, opening one if the pool is not full, waiting
 * otherwise. */
static int nb_db_acquire(struct nb_db *db, struct nb_dbconn **out)
{
    struct nb_dbconn *c = NULL;
    int r = 0;

    pthread_mutex_lock(&db->lock);
    for (;;) {
        for (int i = 0; i < db->size && !c; i++)
            if (!db->conns[i].busy && db->conns[i].impl)
                c = &db->conns[i];
        /* an empty slot, unless another thread is connecting it */
        for (int i = 0; i < db->size && !c; i++)
            if (!db->conns[i].busy && !db->conns[i].impl)
                c = &db->conns[i];
        if (c)
            break;
        pthread_cond_wait(&db->freed, &db->lock);
    }
    c->busy = true;
    pthread_mutex_unlock(&db->lock);

    if (c->impl && !db->drv->alive(c->impl)) {
        nb_warn("database: connection lost, reconnecting");
        db->drv->disconnect(c->impl);
        c->impl = NULL;
    }
    if (!c->impl)
        r = db->drv->connect(db->target, &c->impl);
    if (r < 0) {
        pthread_mutex_lock(&db->lock);
        c->busy = false;
        pthread_cond_signal(&db->freed);
        pthread_mutex_unlock(&db->lock);
        return r;
    }
    *out = c;
    return 0;
}

static void nb_db_release(struct nb_db *db, struct nb_dbconn *c)
{
    pthread_mutex_lock(&db->lock);
    c->busy = false;
    pthread_cond_signal(&db->freed);
    pthread_mutex_unlock(&db->lock);
}

/* Takes the writer mutex of a one-writer database, before any connection
 * (a writer waiting here holds none, so the one it waits for can still
 * open a nested read), for at most as long as SQLite's busy timeout. */
static int nb_db_writer_take(struct nb_db *db)
{
    struct timespec until;
    int e;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 15;
    e = pthread_mutex_timedlock(&db->writer, &until);
    if (e) {
        nb_error("database: no write transaction within 15 s (%s)", strerror(e));
        return -EBUSY;
    }
    return 0;
}

int nb_tx_begin(struct nb_db *db, bool write, struct nb_tx **out)
{
    struct nb_dbconn *c;
    struct nb_tx *tx;
    bool writer = write && db->drv->one_writer;
    int r;

    if (writer && (r = nb_db_writer_take(db)) < 0)
        return r;
    r = nb_db_acquire(db, &c);
    if (r == 0) {
        r = db->drv->begin(c->impl, write);
        if (r < 0)
            nb_db_release(db, c);
    }
    if (r < 0) {
        if (writer)
            pthread_mutex_unlock(&db->writer);
        return r;
    }
    tx = nb_xcalloc(1, sizeof(*tx));
    tx->db = db;
    tx->conn = c;
    tx->writer = writer;
    *out = tx;
    return 0;
}

static void nb_tx_end(struct nb_tx *tx)
{
    if (tx->open_stmts)
        nb_error("database: BUG: transaction ended with %d open statements",
                 tx->open_stmts);
    nb_db_release(tx->db, tx->conn);
    if (tx->writer)
        pthread_mutex_unlock(&tx->db->writer);
    free(tx);
}

int nb_tx_commit(struct nb_tx *tx)
{
    int r;
    if (tx->failed) {
        tx->db->drv->script(tx->conn->impl, "ROLLBACK");
        nb_tx_end(tx);
        return -EIO;
    }
    r = tx->db->drv->script(tx->conn->impl, "COMMIT");
    if (r < 0)
        tx->db->drv->script(tx->conn->impl, "ROLLBACK");
    nb_tx_end(tx);
    return r;
}

void nb_tx_rollback(struct nb_tx *tx)
{
    if (!tx)
        return;
    tx->db->drv->script(tx->conn->impl, "ROLLBACK");
    nb_tx_end(tx);
}

/* ---- binding */

static void nb_sql_push(struct nb_sql *q, char type, const char *s, int64_t i)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 8;
        q->args = nb_xrealloc(q->args, (size_t)q->cap * sizeof(*q->args));
    }
    q->args[q->n].type = type;
    q->args[q->n].s = nb_xstrdup(s);
    q->args[q->n].i = i;
    q->n++;
}

void nb_sql_add(struct nb_sql *q, const char *fragment)
{
    nb_buf_puts(&q->text, fragment);
}

void nb_sql_addf(struct nb_sql *q, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    nb_buf_puts(&q->text, s);
    free(s);
}

void nb_sql_text(struct nb_sql *q, const char *v)
{
    nb_sql_push(q, v ? 's' : 'n', v, 0);
}

void nb_sql_int(struct nb_sql *q, int64_t v)
{
    nb_sql_push(q, 'i', NULL, v);
}

void nb_sql_free(struct nb_sql *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->n; i++)
        free(q->args[i].s);
    free(q->args);
    nb_buf_free(&q->text);
    memset(q, 0, sizeof(*q));
}

/* Fills 'q' from a type string and its varargs (see core.h). */
static void nb_sql_vbind(struct nb_sql *q, const char *types, va_list ap)
{
    for (const char *t = types ? types : ""; *t; t++) {
        switch (*t) {
        case 's':
            nb_sql_text(q, va_arg(ap, const char *));
            break;
        case 'i':
            nb_sql_int(q, va_arg(ap, int64_t));
            break;
        case 'b':
            nb_sql_int(q, va_arg(ap, int) ? 1 : 0);
            break;
        case 'n':
            nb_sql_push(q, 'n', NULL, 0);
            break;
        default:
            nb_error("database: BUG: bad bind type '%c'", *t);
            abort();
        }
    }
}

static int nb_tx_run(struct nb_tx *tx, const char *sql,
                     const struct nb_sql_arg *args, int n, void **impl,
                     int *changes)
{
    int r;
    if (tx->failed)
        return -EIO;
    r = tx->db->drv->execute(tx->conn->impl, sql, args, n, impl, changes);
    if (r < 0 && r != -EEXIST && r != -ENOTEMPTY && r != -EINVAL &&
        r != -EBUSY)
        nb_error("database: statement failed: %s", sql);
    if (r < 0)
        tx->failed = true;
    return r;
}

int nb_tx_exec_sql(struct nb_tx *tx, int *changes, const struct nb_sql *q)
{
    void *impl = NULL;
    int r = nb_tx_run(tx, q->text.buf ? q->text.buf : "", q->args, q->n,
                      &impl, changes);
    if (r == 0)
        tx->db->drv->done(impl);
    return r;
}

int nb_tx_query_sql(struct nb_tx *tx, struct nb_stmt **out,
                    const struct nb_sql *q)
{
    void *impl = NULL;
    struct nb_stmt *st;
    int r = nb_tx_run(tx, q->text.buf ? q->text.buf : "", q->args, q->n,
                      &impl, NULL);
    if (r < 0)
        return r;
    st = nb_xmalloc(sizeof(*st));
    st->tx = tx;
    st->impl = impl;
    tx->open_stmts++;
    *out = st;
    return 0;
}

/* Runs the single-row query in 'q' and hands back its first column. */
static int nb_tx_query_first(struct nb_tx *tx, const struct nb_sql *q,
                             char **s, int64_t *i)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query_sql(tx, &st, q);
    if (r < 0)
        return r;
    r = nb_stmt_next(st);
    if (r == 0)
        r = -ENOENT;
    if (r > 0) {
        if (s)
            *s = nb_xstrdup(nb_stmt_text(st, 0));
        if (i)
            *i = nb_stmt_int(st, 0);
        r = 0;
    }
    nb_stmt_done(st);
    return r;
}

/* What the varargs forms do once their arguments are bound. */
enum nb_vop { NB_VOP_EXEC, NB_VOP_QUERY, NB_VOP_STR, NB_VOP_INT };

static int nb_tx_vrun(struct nb_tx *tx, enum nb_vop op, void *out, const char *sql,
                      const char *types, va_list ap)
{
    struct nb_sql q = {0};
    int r;

    nb_sql_add(&q, sql);
    nb_sql_vbind(&q, types, ap);
    switch (op) {
    case NB_VOP_EXEC:
        r = nb_tx_exec_sql(tx, out, &q);
        break;
    case NB_VOP_QUERY:
        r = nb_tx_query_sql(tx, out, &q);
        break;
    case NB_VOP_STR:
        r = nb_tx_query_first(tx, &q, out, NULL);
        break;
    default:
        r = nb_tx_query_first(tx, &q, NULL, out);
        break;
    }
    nb_sql_free(&q);
    return r;
}

/* The four public forms, one per operation. */
#define NB_TX_VFORM(op, out)                                                  \
    va_list ap;                                                               \
    int r;                                                                    \
    va_start(ap, types);                                                      \
    r = nb_tx_vrun(tx, op, out, sql, types, ap);                              \
    va_end(ap);                                                               \
    return r

int nb_tx_exec(struct nb_tx *tx, int *changes, const char *sql, const char *types, ...)
{
    NB_TX_VFORM(NB_VOP_EXEC, changes);
}

int nb_tx_query(struct nb_tx *tx, struct nb_stmt **out, const char *sql,
                const char *types, ...)
{
    NB_TX_VFORM(NB_VOP_QUERY, out);
}

int nb_tx_query_str(struct nb_tx *tx, char **out, const char *sql, const char *types, ...)
{
    NB_TX_VFORM(NB_VOP_STR, out);
}

int nb_tx_query_int(struct nb_tx *tx, int64_t *out, const char *sql, const char *types, ...)
{
    NB_TX_VFORM(NB_VOP_INT, out);
}

int nb_stmt_next(struct nb_stmt *st)
{
    int r = st->tx->db->drv->next(st->impl);
    if (r < 0)
        st->tx->failed = true;
    return r;
}

int nb_stmt_ncols(struct nb_stmt *st)
{
    return st->tx->db->drv->ncols(st->impl);
}

const char *nb_stmt_colname(struct nb_stmt *st, int col)
{
    return st->tx->db->drv->colname(st->impl, col);
}

const char *nb_stmt_text(struct nb_stmt *st, int col)
{
    return st->tx->db->drv->text(st->impl, col);
}

int64_t nb_stmt_int(struct nb_stmt *st, int col)
{
    const char *s = nb_stmt_text(st, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

bool nb_stmt_null(struct nb_stmt *st, int col)
{
    return nb_stmt_text(st, col) == NULL;
}

void nb_stmt_done(struct nb_stmt *st)
{
    if (!st)
        return;
    st->tx->db->drv->done(st->impl);
    st->tx->open_stmts--;
    free(st);
}

/* ---- migrations */

int nb_db_migrate(struct nb_db *db, const char *module,
                  const struct nb_migration *m, size_t n)
{
    struct nb_dbconn *c;
    int64_t have = 0;
    int r;

    r = nb_db_acquire(db, &c);
    if (r < 0)
        return r;
    r = db->drv->script(c->impl, "CREATE TABLE IF NOT EXISTS nb_schema ("
                                 "module TEXT PRIMARY KEY, version BIGINT NOT NULL)");
    nb_db_release(db, c);
    if (r < 0)
        return r;

    for (size_t i = 0; i < n; i++) {
        struct nb_tx *tx = NULL;
        r = nb_tx_begin(db, true, &tx);
        if (r < 0)
            return r;
        /* two processes starting at once on one PostgreSQL must not both
         * migrate: serialise on the schema table */
        if (strcmp(db->drv->name, "postgresql") == 0)
            r = db->drv->script(tx->conn->impl,
                                "LOCK TABLE nb_schema IN EXCLUSIVE MODE");
        if (r == 0) {
            r = nb_tx_query_int(tx, &have,
                                "SELECT version FROM nb_schema WHERE module = ?",
                                "s", module);
            if (r == -ENOENT) {
                have = 0;
                r = 0;
            }
        }
        if (r == 0 && m[i].version > have) {
            r = db->drv->script(tx->conn->impl, m[i].sql);
            if (r == 0)
                r = nb_tx_exec(tx, NULL,
                               "INSERT INTO nb_schema (module, version) VALUES (?, ?) "
                               "ON CONFLICT (module) DO UPDATE SET version = excluded.version",
                               "si", module, (int64_t)m[i].version);
            if (r == 0)
                nb_info("database: %s migrated to version %d", module,
                        m[i].version);
        }
        if (r < 0) {
            nb_error("database: migration %s/%d failed", module, m[i].version);
            nb_tx_rollback(tx);
            return r;
        }
        r = nb_tx_commit(tx);
        if (r < 0)
            return r;
    }
    return 0;
}
