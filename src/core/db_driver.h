/* The SQL driver table (internal to src/core).  One implementation per
 * file: db_sqlite.c, db_pg.c.  The generic layer (db.c) owns pooling,
 * transactions, binding and migrations; a driver only talks to its
 * library. */
#ifndef NB_DB_DRIVER_H
#define NB_DB_DRIVER_H

#include "core.h"

struct nb_db_driver {
    const char *name;                   /* "sqlite", "postgresql" */
    /* One write transaction at a time for the whole database (SQLite):
     * the pool queues this process's writers on a mutex, instead of
     * letting them collide and sleep in the engine's busy handler. */
    bool one_writer;
    /* Does this driver serve 'url'?  Returns the part it needs (borrowed). */
    const char *(*accepts)(const char *url);
    /* Opens one connection to 'target' (what accepts() returned). */
    int (*connect)(const char *target, void **conn);
    void (*disconnect)(void *conn);
    /* True when the connection is still usable (PostgreSQL may drop it). */
    bool (*alive)(void *conn);
    /* Runs statements that return nothing (DDL, BEGIN, COMMIT). */
    int (*script)(void *conn, const char *sql);
    /* BEGIN for a read or write transaction. */
    int (*begin)(void *conn, bool write);
    /* Prepares 'sql' (cached per connection), binds 'args' and executes it.
     * On success *stmt is positioned before the first row and the driver
     * owns it until done().  *changes (may be NULL) gets the rows changed.
     * Errors: -EEXIST unique violation, -ENOTEMPTY foreign key, -EINVAL
     * other constraint, -EBUSY locked/serialisation, -EIO anything else. */
    int (*execute)(void *conn, const char *sql, const struct nb_sql_arg *args,
                   int n, void **stmt, int *changes);
    int (*next)(void *stmt);            /* 1 row, 0 end, <0 error */
    int (*ncols)(void *stmt);
    const char *(*colname)(void *stmt, int col);
    const char *(*text)(void *stmt, int col);   /* NULL for SQL NULL */
    void (*done)(void *stmt);
};

/* FNV-1a of a statement's text: the key of the drivers' statement caches. */
static inline uint64_t nb_db_sql_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *sql; sql++)
        h = (h ^ (unsigned char)*sql) * 1099511628211ULL;
    return h;
}

extern const struct nb_db_driver nb_db_sqlite;
extern const struct nb_db_driver nb_db_postgresql;

#endif
