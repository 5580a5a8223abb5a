/* Helpers shared by the unit tests (see nbt.h). */
#include "nbt.h"

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

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
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

char *nbt_sqlite_url(const char *dir, const char *name)
{
    return nb_xasprintf("sqlite:%s/%s.db", dir, name);
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
