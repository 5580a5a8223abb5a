/* SQLite driver: WAL journal, one file, statements cached per connection. */
#include "db_driver.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define NB_SQLITE_CACHE 128     /* cached statements per connection */

struct nb_sqlite_cached {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *st;
    bool in_use;
};

struct nb_sqlite_conn {
    sqlite3 *db;
    struct nb_sqlite_cached cache[NB_SQLITE_CACHE];
    int ncache;
};

struct nb_sqlite_stmt {
    struct nb_sqlite_conn *conn;
    sqlite3_stmt *st;
    struct nb_sqlite_cached *cached;  /* NULL: finalize when done */
    bool pending;                     /* first row already stepped */
    bool finished;
};

static const char *nb_sqlite_accepts(const char *url)
{
    if (strncmp(url, "sqlite:", 7) == 0)
        return url + 7;
    return NULL;
}

static int nb_sqlite_err(sqlite3 *db, int rc)
{
    int ext = sqlite3_extended_errcode(db);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return -EEXIST;
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return -ENOTEMPTY;
        return -EINVAL;
    default:
        nb_error("sqlite: %s", sqlite3_errmsg(db));
        return -EIO;
    }
}

static int nb_sqlite_script(void *conn, const char *sql)
{
    struct nb_sqlite_conn *c = conn;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int r = nb_sqlite_err(c->db, rc);
        if (r != -EIO)
            nb_warn("sqlite: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return r;
    }
    return 0;
}

static void nb_sqlite_disconnect(void *conn)
{
    struct nb_sqlite_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < c->ncache; i++) {
        sqlite3_finalize(c->cache[i].st);
        free(c->cache[i].sql);
    }
    sqlite3_close(c->db);
    free(c);
}

static int nb_sqlite_connect(const char *target, void **out)
{
    struct nb_sqlite_conn *c = nb_xcalloc(1, sizeof(*c));
    int rc;

    rc = sqlite3_open_v2(target, &c->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                         SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        nb_error("sqlite: cannot open %s: %s", target, sqlite3_errmsg(c->db));
        nb_sqlite_disconnect(c);
        return -EIO;
    }
    sqlite3_busy_timeout(c->db, 15000);
    /* WAL: readers never block the writer; synchronous=FULL: a commit the
     * API acknowledged survives a power cut, not only a process crash. */
    rc = nb_sqlite_script(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                             "PRAGMA foreign_keys=ON; PRAGMA cache_size=-1024;");
    if (rc < 0) {
        nb_sqlite_disconnect(c);
        return rc;
    }
    *out = c;
    return 0;
}

static bool nb_sqlite_alive(void *conn)
{
    (void)conn;
    return true;
}

static int nb_sqlite_begin(void *conn, bool write)
{
    return nb_sqlite_script(conn, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

/* Finds or prepares 'sql'.  Statements in use (nested queries on one
 * connection) are prepared afresh and finalised after use. */
static int nb_sqlite_prepare(struct nb_sqlite_conn *c, const char *sql,
                             struct nb_sqlite_stmt *s)
{
    uint64_t h = nb_db_sql_hash(sql);
    int rc;
    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i].hash == h && !c->cache[i].in_use &&
            strcmp(c->cache[i].sql, sql) == 0) {
            s->st = c->cache[i].st;
            s->cached = &c->cache[i];
            s->cached->in_use = true;
            return 0;
        }
    }
    rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
    if (rc != SQLITE_OK) {
        nb_error("sqlite: prepare: %s in: %s", sqlite3_errmsg(c->db), sql);
        return -EIO;
    }
    if (c->ncache < NB_SQLITE_CACHE) {
        s->cached = &c->cache[c->ncache++];
        s->cached->hash = h;
        s->cached->sql = nb_xstrdup(sql);
        s->cached->st = s->st;
        s->cached->in_use = true;
    }
    return 0;
}

static void nb_sqlite_done(void *stmt)
{
    struct nb_sqlite_stmt *s = stmt;
    if (!s)
        return;
    if (s->cached) {
        sqlite3_reset(s->st);
        sqlite3_clear_bindings(s->st);
        s->cached->in_use = false;
    } else {
        sqlite3_finalize(s->st);
    }
    free(s);
}

static int nb_sqlite_step(struct nb_sqlite_stmt *s)
{
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        s->finished = true;
        return 0;
    }
    return nb_sqlite_err(s->conn->db, rc);
}

static int nb_sqlite_execute(void *conn, const char *sql,
                             const struct nb_sql_arg *args, int n,
                             void **stmt, int *changes)
{
    struct nb_sqlite_conn *c = conn;
    struct nb_sqlite_stmt *s = nb_xcalloc(1, sizeof(*s));
    int r;

    s->conn = c;
    r = nb_sqlite_prepare(c, sql, s);
    if (r < 0) {
        free(s);
        return r;
    }
    for (int i = 0; i < n; i++) {
        int rc;
        if (args[i].type == 'i')
            rc = sqlite3_bind_int64(s->st, i + 1, args[i].i);
        else if (args[i].type == 's')
            rc = sqlite3_bind_text(s->st, i + 1, args[i].s, -1, SQLITE_TRANSIENT);
        else
            rc = sqlite3_bind_null(s->st, i + 1);
        if (rc != SQLITE_OK) {
            nb_error("sqlite: bind %d: %s in: %s", i + 1, sqlite3_errmsg(c->db), sql);
            nb_sqlite_done(s);
            return -EIO;
        }
    }
    r = nb_sqlite_step(s);
    if (r < 0) {
        nb_sqlite_done(s);
        return r;
    }
    s->pending = r == 1;
    if (changes)
        *changes = sqlite3_changes(c->db);
    *stmt = s;
    return 0;
}

static int nb_sqlite_next(void *stmt)
{
    struct nb_sqlite_stmt *s = stmt;
    if (s->pending) {
        s->pending = false;
        return 1;
    }
    if (s->finished)
        return 0;
    return nb_sqlite_step(s);
}

static int nb_sqlite_ncols(void *stmt)
{
    return sqlite3_column_count(((struct nb_sqlite_stmt *)stmt)->st);
}

static const char *nb_sqlite_colname(void *stmt, int col)
{
    return sqlite3_column_name(((struct nb_sqlite_stmt *)stmt)->st, col);
}

static const char *nb_sqlite_text(void *stmt, int col)
{
    sqlite3_stmt *st = ((struct nb_sqlite_stmt *)stmt)->st;
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    return (const char *)sqlite3_column_text(st, col);
}

const struct nb_db_driver nb_db_sqlite = {
    .name = "sqlite",
    .one_writer = true,
    .accepts = nb_sqlite_accepts,
    .connect = nb_sqlite_connect,
    .disconnect = nb_sqlite_disconnect,
    .alive = nb_sqlite_alive,
    .script = nb_sqlite_script,
    .begin = nb_sqlite_begin,
    .execute = nb_sqlite_execute,
    .next = nb_sqlite_next,
    .ncols = nb_sqlite_ncols,
    .colname = nb_sqlite_colname,
    .text = nb_sqlite_text,
    .done = nb_sqlite_done,
};
