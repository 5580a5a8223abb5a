/* PostgreSQL driver (libpq): '?' placeholders become $n, statements are
 * prepared once per connection under generated names, values go as text. */
#include "db_driver.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define NB_PG_CACHE 256

struct nb_pg_cached {
    uint64_t hash;
    char *sql;
    char name[16];
};

struct nb_pg_conn {
    PGconn *pg;
    struct nb_pg_cached cache[NB_PG_CACHE];
    int ncache;
    unsigned next_name;
};

struct nb_pg_stmt {
    PGresult *res;
    int row;          /* current row, -1 before the first */
    int nrows;
};

static const char *nb_pg_accepts(const char *url)
{
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        return url;
    return NULL;
}

static void nb_pg_notice(void *arg, const char *msg)
{
    (void)arg;
    nb_debug("postgresql: %s", msg);
}

static int nb_pg_connect(const char *target, void **out)
{
    struct nb_pg_conn *c;
    PGconn *pg = PQconnectdb(target);
    if (PQstatus(pg) != CONNECTION_OK) {
        nb_error("postgresql: cannot connect: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return -EIO;
    }
    PQsetNoticeProcessor(pg, nb_pg_notice, NULL);
    c = nb_xcalloc(1, sizeof(*c));
    c->pg = pg;
    *out = c;
    return 0;
}

static void nb_pg_disconnect(void *conn)
{
    struct nb_pg_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < c->ncache; i++)
        free(c->cache[i].sql);
    PQfinish(c->pg);
    free(c);
}

static bool nb_pg_alive(void *conn)
{
    return PQstatus(((struct nb_pg_conn *)conn)->pg) == CONNECTION_OK;
}

/* Maps a failed result to our errno convention. */
static int nb_pg_err(PGresult *res, const char *sql)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "23505") == 0)
        return -EEXIST;
    if (state && strcmp(state, "23503") == 0)
        return -ENOTEMPTY;
    if (state && strncmp(state, "23", 2) == 0)
        return -EINVAL;
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                  strcmp(state, "55P03") == 0))
        return -EBUSY;
    nb_error("postgresql: %s in: %s", PQresultErrorMessage(res), sql);
    return -EIO;
}

static int nb_pg_script(void *conn, const char *sql)
{
    struct nb_pg_conn *c = conn;
    PGresult *res = PQexec(c->pg, sql);
    int r = 0;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        r = nb_pg_err(res, sql);
    PQclear(res);
    return r;
}

static int nb_pg_begin(void *conn, bool write)
{
    (void)write;
    return nb_pg_script(conn, "BEGIN");
}

/* Rewrites '?' placeholders as $1, $2 ... outside quoted strings. */
static char *nb_pg_translate(const char *sql)
{
    struct nb_buf b = {0};
    int n = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            nb_buf_add(&b, p, 1);
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            nb_buf_add(&b, p, 1);
        } else if (*p == '?') {
            nb_buf_printf(&b, "$%d", ++n);
        } else {
            nb_buf_add(&b, p, 1);
        }
    }
    return nb_buf_steal(&b);
}

/* Returns the prepared statement's name (borrowed from the cache) or NULL
 * when the cache is full and 'sql' must run unnamed. */
static int nb_pg_prepare(struct nb_pg_conn *c, const char *sql,
                         const char **name)
{
    uint64_t h = nb_db_sql_hash(sql);
    struct nb_pg_cached *e;
    PGresult *res;
    char *text;
    int r = 0;

    for (int i = 0; i < c->ncache; i++) {
        if (c->cache[i].hash == h && strcmp(c->cache[i].sql, sql) == 0) {
            *name = c->cache[i].name;
            return 0;
        }
    }
    if (c->ncache == NB_PG_CACHE) {
        *name = NULL;
        return 0;
    }
    e = &c->cache[c->ncache];
    snprintf(e->name, sizeof(e->name), "nb%u", c->next_name++);
    text = nb_pg_translate(sql);
    res = PQprepare(c->pg, e->name, text, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        r = nb_pg_err(res, sql);
    PQclear(res);
    free(text);
    if (r < 0)
        return r;
    e->hash = h;
    e->sql = nb_xstrdup(sql);
    c->ncache++;
    *name = e->name;
    return 0;
}

static int nb_pg_execute(void *conn, const char *sql,
                         const struct nb_sql_arg *args, int n, void **stmt,
                         int *changes)
{
    struct nb_pg_conn *c = conn;
    const char **vals = nb_xcalloc((size_t)n + 1, sizeof(char *));
    char (*nums)[24] = nb_xcalloc((size_t)n + 1, sizeof(*nums));
    struct nb_pg_stmt *s;
    const char *name = NULL;
    PGresult *res;
    ExecStatusType st;
    int r;

    r = nb_pg_prepare(c, sql, &name);
    if (r < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        if (args[i].type == 'i') {
            snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)args[i].i);
            vals[i] = nums[i];
        } else if (args[i].type == 's') {
            vals[i] = args[i].s;
        }
    }
    if (name) {
        res = PQexecPrepared(c->pg, name, n, vals, NULL, NULL, 0);
    } else {
        char *text = nb_pg_translate(sql);
        res = PQexecParams(c->pg, text, n, NULL, vals, NULL, NULL, 0);
        free(text);
    }
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        r = nb_pg_err(res, sql);
        PQclear(res);
        goto out;
    }
    if (changes) {
        const char *t = PQcmdTuples(res);
        *changes = t && *t ? atoi(t) : 0;
    }
    s = nb_xcalloc(1, sizeof(*s));
    s->res = res;
    s->row = -1;
    s->nrows = PQntuples(res);
    *stmt = s;
out:
    free(vals);
    free(nums);
    return r;
}

static int nb_pg_next(void *stmt)
{
    struct nb_pg_stmt *s = stmt;
    if (s->row + 1 >= s->nrows)
        return 0;
    s->row++;
    return 1;
}

static int nb_pg_ncols(void *stmt)
{
    return PQnfields(((struct nb_pg_stmt *)stmt)->res);
}

static const char *nb_pg_colname(void *stmt, int col)
{
    return PQfname(((struct nb_pg_stmt *)stmt)->res, col);
}

static const char *nb_pg_text(void *stmt, int col)
{
    struct nb_pg_stmt *s = stmt;
    if (s->row < 0 || PQgetisnull(s->res, s->row, col))
        return NULL;
    return PQgetvalue(s->res, s->row, col);
}

static void nb_pg_done(void *stmt)
{
    struct nb_pg_stmt *s = stmt;
    if (!s)
        return;
    PQclear(s->res);
    free(s);
}

const struct nb_db_driver nb_db_postgresql = {
    .name = "postgresql",
    .accepts = nb_pg_accepts,
    .connect = nb_pg_connect,
    .disconnect = nb_pg_disconnect,
    .alive = nb_pg_alive,
    .script = nb_pg_script,
    .begin = nb_pg_begin,
    .execute = nb_pg_execute,
    .next = nb_pg_next,
    .ncols = nb_pg_ncols,
    .colname = nb_pg_colname,
    .text = nb_pg_text,
    .done = nb_pg_done,
};
