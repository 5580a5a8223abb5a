/* Helpers shared by the unit tests (see nbt.h). */
#include "nbt.h"

#include <ftw.h>
#include <libpq-fe.h>
#include <stdio.h>

char *nbt_tmpdir(void)
{
    char *dir = nb_xstrdup("/tmp/nubis-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static int nbt_rm_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void nbt_rmrf(const char *path)
{
    if (path)
        nftw(path, nbt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *nbt_write(const char *dir, const char *name, const char *text)
{
    char *path = nb_xasprintf("%s/%s", dir, name);
    assert_int_equal(nb_file_write_atomic(path, text, strlen(text), 0600), 0);
    return path;
}

bool nbt_pg(void)
{
    const char *uri = getenv("NUBIS_TEST_PG_URI");
    return uri && *uri;
}

/* Runs one statement outside a transaction (CREATE/DROP DATABASE) on the
 * server of NUBIS_TEST_PG_URI. */
static void nbt_pg_admin(const char *sql)
{
    PGconn *pg = PQconnectdb(getenv("NUBIS_TEST_PG_URI"));
    PGresult *res;
    if (PQstatus(pg) != CONNECTION_OK)
        fail_msg("NUBIS_TEST_PG_URI: %s", PQerrorMessage(pg));
    res = PQexec(pg, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(pg);
}

/* Where the path ("/dbname") of a libpq URI starts ('?' or the end when it
 * has none). */
static const char *nbt_uri_path(const char *uri)
{
    const char *host = strstr(uri, "://");
    host = host ? host + 3 : uri;
    return host + strcspn(host, "/?");
}

/* The URI of database 'db' on the server of NUBIS_TEST_PG_URI: the same
 * URI with its path replaced. */
static char *nbt_pg_uri_with_db(const char *db)
{
    const char *uri = getenv("NUBIS_TEST_PG_URI");
    const char *path = nbt_uri_path(uri), *query = strchr(path, '?');
    return nb_xasprintf("%.*s/%s%s", (int)(path - uri), uri, db, query ? query : "");
}

char *nbt_db_url(const char *dir, const char *name)
{
    char id[NB_ID_HEX_LEN + 1], *db, *sql, *url;
    if (!nbt_pg())
        return nb_xasprintf("sqlite:%s/%s.db", dir, name);
    nb_uuid_hex(id);
    db = nb_xasprintf("nbt_%s_%.12s", name, id);
    sql = nb_xasprintf("CREATE DATABASE \"%s\"", db);
    nbt_pg_admin(sql);
    url = nbt_pg_uri_with_db(db);
    free(sql);
    free(db);
    return url;
}

void nbt_db_drop(const char *url)
{
    const char *db;
    char *sql;
    if (!url || strncmp(url, "postgres", 8) != 0)
        return;
    db = nbt_uri_path(url);
    if (*db != '/')
        return;
    db++;
    sql = nb_xasprintf("DROP DATABASE IF EXISTS \"%.*s\" WITH (FORCE)",
                       (int)strcspn(db, "?"), db);
    nbt_pg_admin(sql);
    free(sql);
}

char *nbt_conf_isolated(void)
{
    char *dir = nbt_tmpdir();
    assert_int_equal(nb_conf_set("DEFAULT", "state_dir", dir), 0);
    assert_int_equal(nb_conf_load(NULL), 0);
    return dir;
}

void nbt_caller(struct nb_ctx *ctx, const char *user_id, const char *const *roles)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->caller.authenticated = true;
    snprintf(ctx->caller.user.id, sizeof(ctx->caller.user.id), "%s", user_id);
    snprintf(ctx->caller.user_domain.id, sizeof(ctx->caller.user_domain.id), "default");
    for (int i = 0; roles && roles[i]; i++) {
        snprintf(ctx->caller.roles[i].id, sizeof(ctx->caller.roles[i].id), "id-%s",
                 roles[i]);
        snprintf(ctx->caller.roles[i].name, sizeof(ctx->caller.roles[i].name), "%s",
                 roles[i]);
        ctx->caller.nroles = i + 1;
    }
}

int nbt_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
             size_t n, CMFixtureFunction setup, CMFixtureFunction teardown)
{
    if (argc > 2) {
        fprintf(stderr, "usage: %s [--list | PATTERN]\n", argv[0]);
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (argc == 2)
        cmocka_set_test_filter(argv[1]);
    return _cmocka_run_group_tests(group, tests, n, setup, teardown);
}
