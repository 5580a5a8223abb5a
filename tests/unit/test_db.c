/* core/db.c and its drivers: migrations, transactions, error mapping,
 * query helpers and the nb_sql builder, on a temp SQLite database (and on
 * PostgreSQL too when NUBIS_TEST_PG_URI is set: see nbt.h). */
#include "nbt.h"

#include <pthread.h>

struct nbt_db {
    char *dir;
    char *url;
    struct nb_db *db;
};

static int nbt_setup(void **state)
{
    struct nbt_db *t = nb_xcalloc(1, sizeof(*t));
    t->dir = nbt_tmpdir();
    t->url = nbt_db_url(t->dir, "test");
    assert_int_equal(nb_db_open(t->url, 3, &t->db), 0);
    *state = t;
    return 0;
}

static int nbt_teardown(void **state)
{
    struct nbt_db *t = *state;
    nb_db_close(t->db);
    nbt_db_drop(t->url);
    nbt_rmrf(t->dir);
    free(t->dir);
    free(t->url);
    free(t);
    return 0;
}

static const struct nb_migration nbt_m[] = {
    {1, "CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " n BIGINT, note TEXT);"},
    {2, "CREATE TABLE parts (id TEXT PRIMARY KEY,"
        " thing_id TEXT NOT NULL REFERENCES things (id));"
        "CREATE INDEX parts_thing ON parts (thing_id);"},
};

static void nbt_migrate(struct nb_db *db)
{
    assert_int_equal(nb_db_migrate(db, "test", nbt_m, NB_ARRAY_SIZE(nbt_m)), 0);
}

static int64_t nbt_count(struct nb_db *db, const char *table)
{
    struct nb_tx *tx = NULL;
    int64_t n = -1;
    char *sql = nb_xasprintf("SELECT count(*) FROM %s", table);
    assert_int_equal(nb_tx_begin(db, false, &tx), 0);
    assert_int_equal(nb_tx_query_int(tx, &n, sql, NULL), 0);
    nb_tx_rollback(tx);
    free(sql);
    return n;
}

static int64_t nbt_version(struct nb_db *db, const char *module)
{
    struct nb_tx *tx = NULL;
    int64_t v = -1;
    assert_int_equal(nb_tx_begin(db, false, &tx), 0);
    assert_int_equal(nb_tx_query_int(tx, &v, "SELECT version FROM nb_schema "
                                             "WHERE module = ?", "s", module), 0);
    nb_tx_rollback(tx);
    return v;
}

static void test_db_open_rejects_unknown_scheme(void **state)
{
    struct nb_db *db = NULL;
    (void)state;
    assert_int_equal(nb_db_open("mysql://localhost/x", 1, &db), -EINVAL);
    assert_int_equal(nb_db_open("/tmp/plain/path.db", 1, &db), -EINVAL);
    assert_null(db);
    assert_int_equal(nb_db_open("sqlite:/nonexistent-dir/x/y.db", 1, &db), -EIO);
    nb_db_close(NULL);
}

static void test_db_backend_named_by_url(void **state)
{
    struct nbt_db *t = *state;
    assert_string_equal(nb_db_backend(t->db), nbt_pg() ? "postgresql" : "sqlite");
}

static void test_db_migrations_run_once(void **state)
{
    struct nbt_db *t = *state;
    nbt_migrate(t->db);
    assert_int_equal(nbt_version(t->db, "test"), 2);
    /* again: nothing re-run (CREATE TABLE would fail if it were) */
    nbt_migrate(t->db);
    assert_int_equal(nbt_version(t->db, "test"), 2);
    assert_int_equal(nbt_count(t->db, "parts"), 0);
}

static void test_db_migrations_apply_only_newer_versions(void **state)
{
    struct nbt_db *t = *state;
    static const struct nb_migration more[] = {
        nbt_m[0], nbt_m[1],
        {3, "ALTER TABLE things ADD COLUMN extra TEXT;"},
    };
    assert_int_equal(nb_db_migrate(t->db, "test", nbt_m, 1), 0);
    assert_int_equal(nbt_version(t->db, "test"), 1);
    assert_int_equal(nb_db_migrate(t->db, "test", more, NB_ARRAY_SIZE(more)), 0);
    assert_int_equal(nbt_version(t->db, "test"), 3);
    assert_int_equal(nbt_count(t->db, "parts"), 0);
}

static void test_db_migrations_tracked_per_module(void **state)
{
    struct nbt_db *t = *state;
    static const struct nb_migration other[] = {
        {1, "CREATE TABLE other_things (id TEXT PRIMARY KEY);"},
    };
    nbt_migrate(t->db);
    assert_int_equal(nb_db_migrate(t->db, "other", other, 1), 0);
    assert_int_equal(nbt_version(t->db, "test"), 2);
    assert_int_equal(nbt_version(t->db, "other"), 1);
}

static void test_db_failed_migration_rolls_back_whole_step(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    static const struct nb_migration bad[] = {
        nbt_m[0],
        {2, "CREATE TABLE half (id TEXT); THIS IS NOT SQL;"},
    };
    assert_true(nb_db_migrate(t->db, "test", bad, NB_ARRAY_SIZE(bad)) < 0);
    assert_int_equal(nbt_version(t->db, "test"), 1);
    /* 'half' was rolled back with the step: creating it again works */
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "CREATE TABLE half (id TEXT)", NULL), 0);
    nb_tx_rollback(tx);
}

static void test_db_exec_counts_changes(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    int changes = -1;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, &changes, "INSERT INTO things (id, name, n) VALUES "
                                              "(?, ?, ?), (?, ?, ?)",
                                "ssissi", "a", "A", (int64_t)1, "b", "B", (int64_t)2),
                     0);
    assert_int_equal(changes, 2);
    assert_int_equal(nb_tx_exec(tx, &changes, "UPDATE things SET n = n + 1", NULL), 0);
    assert_int_equal(changes, 2);
    assert_int_equal(nb_tx_exec(tx, &changes, "DELETE FROM things WHERE id = ?", "s",
                                "nope"), 0);
    assert_int_equal(changes, 0);
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nbt_count(t->db, "things"), 2);
}

static void test_db_unique_violation_is_eexist(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES (?, ?)",
                                "ss", "a", "same"), 0);
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES (?, ?)",
                                "ss", "b", "same"), -EEXIST);
    nb_tx_rollback(tx);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES (?, ?)",
                                "ss", "a", "other"), -EEXIST);       /* primary key */
    nb_tx_rollback(tx);
}

static void test_db_foreign_key_violation_is_enotempty(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO parts (id, thing_id) VALUES (?, ?)",
                                "ss", "p", "missing"), -ENOTEMPTY);
    nb_tx_rollback(tx);
}

static void test_db_not_null_violation_is_einval(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES (?, ?)",
                                "sn", "a"), -EINVAL);
    nb_tx_rollback(tx);
}

/* As on PostgreSQL: after a failed statement the transaction is dead;
 * later statements fail and commit reports the error, saving nothing. */
static void test_db_failed_statement_poisons_transaction(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    char *s = NULL;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('a', 'x')", NULL), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('b', 'x')", NULL), -EEXIST);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('c', 'y')", NULL), -EIO);
    assert_int_equal(nb_tx_query_str(tx, &s, "SELECT name FROM things", NULL), -EIO);
    assert_null(s);
    assert_true(nb_tx_commit(tx) < 0);
    assert_int_equal(nbt_count(t->db, "things"), 0);
}

static void test_db_rollback_discards_writes(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('a', 'x')", NULL), 0);
    nb_tx_rollback(tx);
    nb_tx_rollback(NULL);
    assert_int_equal(nbt_count(t->db, "things"), 0);
}

static void test_db_query_helpers(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    char *s = NULL;
    int64_t n = 0;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name, n, note) VALUES "
                                          "(?, ?, ?, ?)",
                                "ssis", "a", "alpha", INT64_MAX, NULL), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name, n, note) VALUES "
                                          "(?, ?, ?, ?)",
                                "ssbs", "b", "beta", 1, "it's \"quoted\"; DROP TABLE x"),
                     0);
    assert_int_equal(nb_tx_query_str(tx, &s, "SELECT name FROM things WHERE id = ?", "s",
                                     "a"), 0);
    assert_string_equal(s, "alpha");
    free(s);
    s = NULL;
    assert_int_equal(nb_tx_query_int(tx, &n, "SELECT n FROM things WHERE id = ?", "s", "a"),
                     0);
    assert_int_equal(n, INT64_MAX);
    assert_int_equal(nb_tx_query_int(tx, &n, "SELECT n FROM things WHERE id = ?", "s", "b"),
                     0);
    assert_int_equal(n, 1);                          /* 'b' binds true as 1 */
    assert_int_equal(nb_tx_query_str(tx, &s, "SELECT note FROM things WHERE id = ?", "s",
                                     "b"), 0);
    assert_string_equal(s, "it's \"quoted\"; DROP TABLE x");
    free(s);
    s = NULL;
    /* SQL NULL comes back as a NULL string */
    assert_int_equal(nb_tx_query_str(tx, &s, "SELECT note FROM things WHERE id = ?", "s",
                                     "a"), 0);
    assert_null(s);
    assert_int_equal(nb_tx_query_str(tx, &s, "SELECT name FROM things WHERE id = ?", "s",
                                     "zzz"), -ENOENT);
    assert_int_equal(nb_tx_query_int(tx, &n, "SELECT n FROM things WHERE id = ?", "s",
                                     "zzz"), -ENOENT);
    /* -ENOENT is no SQL error: the transaction goes on */
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nbt_count(t->db, "things"), 2);
}

static void test_db_stmt_walks_rows_and_columns(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int rows = 0;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    for (int i = 0; i < 5; i++) {
        char id[8], name[8];
        snprintf(id, sizeof(id), "%d", i);
        snprintf(name, sizeof(name), "n%d", i);
        if (i == 3)
            assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name, n) "
                                                  "VALUES (?, ?, ?)", "ssn", id, name), 0);
        else
            assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name, n) "
                                                  "VALUES (?, ?, ?)", "ssi", id, name,
                                        (int64_t)i * 10), 0);
    }
    assert_int_equal(nb_tx_query(tx, &st, "SELECT id, name, n FROM things ORDER BY id",
                                 NULL), 0);
    assert_int_equal(nb_stmt_ncols(st), 3);
    assert_string_equal(nb_stmt_colname(st, 2), "n");
    while (nb_stmt_next(st) > 0) {
        if (rows == 3) {
            assert_true(nb_stmt_null(st, 2));
            assert_int_equal(nb_stmt_int(st, 2), 0);
        } else {
            assert_false(nb_stmt_null(st, 2));
            assert_int_equal(nb_stmt_int(st, 2), rows * 10);
        }
        rows++;
    }
    assert_int_equal(rows, 5);
    assert_int_equal(nb_stmt_next(st), 0);          /* stays at the end */
    nb_stmt_done(st);
    nb_stmt_done(NULL);
    /* an empty result */
    assert_int_equal(nb_tx_query(tx, &st, "SELECT id FROM things WHERE 0 = 1", NULL), 0);
    assert_int_equal(nb_stmt_next(st), 0);
    nb_stmt_done(st);
    assert_int_equal(nb_tx_commit(tx), 0);
}

/* A query inside the loop over another one (same statement text) on the
 * same connection: the SQLite driver must not reuse the cached statement
 * that is still being walked. */
static void test_db_nested_queries_same_text(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    struct nb_stmt *outer = NULL, *inner = NULL;
    int pairs = 0;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('a', 'A'), ('b', 'B'), ('c', 'C')", NULL), 0);
    assert_int_equal(nb_tx_query(tx, &outer, "SELECT id FROM things ORDER BY id", NULL), 0);
    while (nb_stmt_next(outer) > 0) {
        assert_int_equal(nb_tx_query(tx, &inner, "SELECT id FROM things ORDER BY id",
                                     NULL), 0);
        while (nb_stmt_next(inner) > 0)
            pairs++;
        nb_stmt_done(inner);
    }
    nb_stmt_done(outer);
    assert_int_equal(pairs, 9);
    assert_int_equal(nb_tx_commit(tx), 0);
}

static void test_db_sql_builder_binds_in_order(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    struct nb_sql q = {0}, ins = {0};
    int changes = 0, rows = 0;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    nb_sql_add(&ins, "INSERT INTO things (id, name, n, note) VALUES ");
    for (int i = 0; i < 20; i++) {
        char id[8];
        snprintf(id, sizeof(id), "t%02d", i);
        nb_sql_addf(&ins, "%s(?, ?, ?, ?)", i ? ", " : "");
        nb_sql_text(&ins, id);
        nb_sql_text(&ins, id);
        nb_sql_int(&ins, i);
        nb_sql_text(&ins, i % 2 ? NULL : "even");
    }
    assert_int_equal(ins.n, 80);
    assert_int_equal(nb_tx_exec_sql(tx, &changes, &ins), 0);
    assert_int_equal(changes, 20);

    nb_sql_add(&q, "SELECT id FROM things WHERE 1 = 1");
    nb_sql_add(&q, " AND n >= ?");
    nb_sql_int(&q, 5);
    nb_sql_addf(&q, " AND %s = ?", "note");
    nb_sql_text(&q, "even");
    nb_sql_add(&q, " ORDER BY n");
    assert_int_equal(nb_tx_query_sql(tx, &st, &q), 0);
    while (nb_stmt_next(st) > 0) {
        char want[8];
        snprintf(want, sizeof(want), "t%02d", 6 + 2 * rows);
        assert_string_equal(nb_stmt_text(st, 0), want);
        rows++;
    }
    nb_stmt_done(st);
    assert_int_equal(rows, 7);                     /* 6, 8, ..., 18 */
    assert_int_equal(nb_tx_commit(tx), 0);
    nb_sql_free(&q);
    nb_sql_free(&ins);
    assert_int_equal(q.n, 0);
    nb_sql_free(NULL);
}

static void test_db_upsert_on_conflict(void **state)
{
    struct nbt_db *t = *state;
    struct nb_tx *tx = NULL;
    int64_t n = 0;
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name, n) VALUES "
                                              "('a', 'A', ?) ON CONFLICT (id) DO UPDATE "
                                              "SET n = excluded.n", "i", (int64_t)i), 0);
    assert_int_equal(nb_tx_query_int(tx, &n, "SELECT n FROM things WHERE id = 'a'", NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(nb_tx_commit(tx), 0);
}

static void test_db_committed_data_visible_to_new_connection(void **state)
{
    struct nbt_db *t = *state;
    struct nb_db *other = NULL;
    struct nb_tx *tx = NULL, *rtx = NULL;
    char *s = NULL;
    nbt_migrate(t->db);
    assert_int_equal(nb_db_open(t->url, 1, &other), 0);
    assert_int_equal(nb_tx_begin(other, false, &rtx), 0);
    assert_int_equal(nb_tx_query_str(rtx, &s, "SELECT name FROM things", NULL), -ENOENT);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('a', 'A')", NULL), 0);
    /* uncommitted: nobody else sees it */
    assert_int_equal(nb_tx_query_str(rtx, &s, "SELECT name FROM things", NULL), -ENOENT);
    assert_int_equal(nb_tx_commit(tx), 0);
    if (!nbt_pg()) {
        /* SQLite (WAL): a reader stays on its snapshot; PostgreSQL's READ
         * COMMITTED shows each statement the latest commits */
        assert_int_equal(nb_tx_query_str(rtx, &s, "SELECT name FROM things", NULL),
                         -ENOENT);
    }
    nb_tx_rollback(rtx);
    assert_int_equal(nb_tx_begin(other, false, &rtx), 0);
    assert_int_equal(nb_tx_query_str(rtx, &s, "SELECT name FROM things", NULL), 0);
    assert_string_equal(s, "A");
    free(s);
    nb_tx_rollback(rtx);
    nb_db_close(other);
}

struct nbt_worker {
    struct nb_db *db;
    pthread_barrier_t *go;
    int done, errors;
};

/* Read transactions only: a connection wrongly shared by two threads then
 * shows as errors at once, instead of as a write lock held for good that
 * every later writer would wait out (15 s busy timeout). */
static void *nbt_worker_run(void *arg)
{
    struct nbt_worker *w = arg;
    pthread_barrier_wait(w->go);
    for (int i = 0; i < 25 && !w->errors; i++) {
        struct nb_tx *tx = NULL;
        int64_t n = -1;
        if (nb_tx_begin(w->db, false, &tx) < 0) {
            w->errors++;
            continue;
        }
        if (nb_tx_query_int(tx, &n, "SELECT count(*) FROM things", NULL) < 0 || n != 3)
            w->errors++;
        else
            w->done++;
        nb_tx_rollback(tx);
    }
    return NULL;
}

/* Threads that start transactions at once on a pool that still has to
 * open its connections: each must get a connection of its own (a slot
 * that one thread is still connecting is not free for another). */
static void test_db_concurrent_transactions_get_distinct_connections(void **state)
{
    struct nbt_db *t = *state;
    struct nb_db *db = NULL;
    struct nb_tx *tx = NULL;
    struct nbt_worker w[8];
    pthread_barrier_t go;
    pthread_t th[8];
    int done = 0, errors = 0;
    /* two threads on one connection can also deadlock (libpq): fail in
     * bounded time rather than hang the suite */
    alarm(20);
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name) VALUES "
                                          "('a', 'A'), ('b', 'B'), ('c', 'C')", NULL), 0);
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nb_db_open(t->url, 8, &db), 0);    /* 1 of 8 connected */
    pthread_barrier_init(&go, NULL, 8);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct nbt_worker){.db = db, .go = &go};
        assert_int_equal(pthread_create(&th[i], NULL, nbt_worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        errors += w[i].errors;
        done += w[i].done;
    }
    alarm(0);
    pthread_barrier_destroy(&go);
    nb_db_close(db);
    assert_int_equal(errors, 0);
    assert_int_equal(done, 8 * 25);
}

struct nbt_writer {
    struct nb_db *db;
    pthread_barrier_t *go;
    bool nested;                /* a read transaction inside the write */
    int errors;
};

static void *nbt_writer_run(void *arg)
{
    struct nbt_writer *w = arg;
    pthread_barrier_wait(w->go);
    for (int i = 0; i < 25; i++) {
        struct nb_tx *tx = NULL, *rtx = NULL;
        int64_t n = -1;
        if (nb_tx_begin(w->db, true, &tx) < 0) {
            w->errors++;
            continue;
        }
        if (nb_tx_exec(tx, NULL, "UPDATE things SET n = n + 1 WHERE id = 'a'", NULL) < 0)
            w->errors++;
        if (w->nested && (nb_tx_begin(w->db, false, &rtx) < 0 ||
                          nb_tx_query_int(rtx, &n, "SELECT count(*) FROM things",
                                          NULL) < 0 || n != 1))
            w->errors++;
        nb_tx_rollback(rtx);
        if (nb_tx_commit(tx) < 0)
            w->errors++;
    }
    return NULL;
}

/* Writers of one process at once: none fails on the engine's lock (SQLite
 * queues them on the pool's writer mutex), every change lands, and on
 * SQLite a writer may read through a second connection meanwhile even
 * when the other writers wait with a pool of two: a waiting writer holds
 * no connection. */
static void test_db_concurrent_writers_all_commit(void **state)
{
    struct nbt_db *t = *state;
    struct nb_db *db = NULL;
    struct nb_tx *tx = NULL;
    struct nbt_writer w[8];
    pthread_barrier_t go;
    pthread_t th[8];
    int64_t n = -1;
    int errors = 0;
    alarm(60);
    nbt_migrate(t->db);
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO things (id, name, n) VALUES "
                                          "('a', 'A', 0)", NULL), 0);
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nb_db_open(t->url, nbt_pg() ? 8 : 2, &db), 0);
    pthread_barrier_init(&go, NULL, 8);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct nbt_writer){.db = db, .go = &go, .nested = !nbt_pg()};
        assert_int_equal(pthread_create(&th[i], NULL, nbt_writer_run, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        errors += w[i].errors;
    }
    alarm(0);
    pthread_barrier_destroy(&go);
    assert_int_equal(errors, 0);
    assert_int_equal(nb_tx_begin(db, false, &tx), 0);
    assert_int_equal(nb_tx_query_int(tx, &n, "SELECT n FROM things WHERE id = 'a'",
                                     NULL), 0);
    nb_tx_rollback(tx);
    nb_db_close(db);
    assert_int_equal(n, 8 * 25);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db_open_rejects_unknown_scheme),
        T(test_db_backend_named_by_url),
        T(test_db_migrations_run_once),
        T(test_db_migrations_apply_only_newer_versions),
        T(test_db_migrations_tracked_per_module),
        T(test_db_failed_migration_rolls_back_whole_step),
        T(test_db_exec_counts_changes),
        T(test_db_unique_violation_is_eexist),
        T(test_db_foreign_key_violation_is_enotempty),
        T(test_db_not_null_violation_is_einval),
        T(test_db_failed_statement_poisons_transaction),
        T(test_db_rollback_discards_writes),
        T(test_db_query_helpers),
        T(test_db_stmt_walks_rows_and_columns),
        T(test_db_nested_queries_same_text),
        T(test_db_sql_builder_binds_in_order),
        T(test_db_upsert_on_conflict),
        T(test_db_committed_data_visible_to_new_connection),
        T(test_db_concurrent_transactions_get_distinct_connections),
        T(test_db_concurrent_writers_all_commit),
    };
    return NBT_MAIN("db", tests, NULL, NULL);
}
