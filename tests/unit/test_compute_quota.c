/* compute/quotas.c: nb_cmp_quota_fit and nb_cmp_quota_limit on the
 * compute tables of a temp SQLite database (and PostgreSQL when
 * NUBIS_TEST_PG_URI is set): how many servers fit, Nova's messages when
 * not even the minimum does, the limit precedence (user, project, the
 * "default" class, [quota]). */
#include "nbt.h"
#include "compute/internal.h"

struct nbt_q {
    char *dir, *conf_dir;
    char *url;
    struct nb_db *db;
    struct nb_tx *tx;
    struct nb_ctx ctx;
    int next;
};

static int nbt_setup(void **state)
{
    struct nbt_q *t = nb_xcalloc(1, sizeof(*t));
    t->conf_dir = nbt_conf_isolated();
    t->dir = nbt_tmpdir();
    t->url = nbt_db_url(t->dir, "quota");
    assert_int_equal(nb_db_open(t->url, 2, &t->db), 0);
    assert_int_equal(nb_cmp_schema_migrate(t->db), 0);
    assert_int_equal(nb_tx_begin(t->db, true, &t->tx), 0);
    *state = t;
    return 0;
}

static int nbt_teardown(void **state)
{
    struct nbt_q *t = *state;
    nb_tx_rollback(t->tx);
    nb_db_close(t->db);
    nbt_db_drop(t->url);
    free(t->url);
    nbt_rmrf(t->dir);
    nbt_rmrf(t->conf_dir);
    free(t->dir);
    free(t->conf_dir);
    free(t);
    return 0;
}

/* Adds 'n' servers of (vcpus, ram) to project/user; deleted ones when
 * 'deleted'. */
static void nbt_servers(struct nbt_q *t, const char *project, const char *user, int n,
                        int64_t vcpus, int64_t ram, bool deleted)
{
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "srv-%d", t->next++);
        assert_int_equal(nb_tx_exec(t->tx, NULL, "INSERT INTO cmp_instances (id,"
                                    " project_id, user_id, name, flavor_id, flavor, vcpus,"
                                    " memory_mb, root_gb, vm_state, reservation_id,"
                                    " created_at, updated_at, deleted_at) VALUES (?, ?, ?,"
                                    " 'x', 'f', '{}', ?, ?, 1, 'active', 'r-1', 1, 1, ?)",
                                    "sssiis", id, project, user, vcpus, ram,
                                    deleted ? "5" : NULL),
                         0);
    }
}

static void nbt_limit(struct nbt_q *t, const char *project, const char *user,
                      const char *resource, int64_t v)
{
    assert_int_equal(nb_tx_exec(t->tx, NULL, "INSERT INTO cmp_quotas (project_id, user_id,"
                                " resource, hard_limit) VALUES (?, ?, ?, ?)", "sssi",
                                project, user, resource, v),
                     0);
}

static int nbt_fit(struct nbt_q *t, const char *user, int64_t vcpus, int64_t ram,
                   int min, int max, int *n)
{
    struct nb_cmp_usage one = {1, vcpus, ram};
    memset(&t->ctx, 0, sizeof(t->ctx));
    *n = -1;
    return nb_cmp_quota_fit(&t->ctx, t->tx, "p1", user, &one, min, max, n);
}

static void test_quota_fit_empty_project_takes_max(void **state)
{
    struct nbt_q *t = *state;
    int n;
    assert_int_equal(nbt_fit(t, "u1", 1, 512, 1, 5, &n), 0);
    assert_int_equal(n, 5);
}

static void test_quota_fit_reduces_to_room(void **state)
{
    struct nbt_q *t = *state;
    int n;
    nbt_servers(t, "p1", "u1", 7, 1, 512, false);
    nbt_servers(t, "p1", "u1", 5, 1, 512, true);      /* deleted: not counted */
    nbt_servers(t, "p2", "u1", 9, 1, 512, false);     /* another project */
    assert_int_equal(nbt_fit(t, "u1", 1, 512, 1, 5, &n), 0);
    assert_int_equal(n, 3);
}

static void test_quota_fit_instances_full_403_nova_message(void **state)
{
    struct nbt_q *t = *state;
    int n;
    nbt_servers(t, "p1", "u1", 10, 1, 512, false);
    assert_int_equal(nbt_fit(t, "u1", 1, 512, 1, 1, &n), -EDQUOT);
    assert_int_equal(t->ctx.err_status, 403);
    assert_string_equal(t->ctx.err_msg, "Quota exceeded for instances: Requested 1, but"
                                        " already used 10 of 10 instances");
}

static void test_quota_fit_cores_and_ram_bound_the_count(void **state)
{
    struct nbt_q *t = *state;
    int n;
    /* 20 cores: 5 servers of 4 */
    assert_int_equal(nbt_fit(t, "u1", 4, 512, 1, 10, &n), 0);
    assert_int_equal(n, 5);
    /* 51200 MB: 3 servers of 16384 */
    assert_int_equal(nbt_fit(t, "u1", 1, 16384, 1, 10, &n), 0);
    assert_int_equal(n, 3);
    /* min 6 of 4 cores does not fit: the max's request is named */
    assert_int_equal(nbt_fit(t, "u1", 4, 512, 6, 10, &n), -EDQUOT);
    assert_string_equal(t->ctx.err_msg, "Quota exceeded for cores: Requested 40, but"
                                        " already used 0 of 20 cores");
}

static void test_quota_fit_several_resources_over(void **state)
{
    struct nbt_q *t = *state;
    int n;
    nbt_servers(t, "p1", "u1", 1, 20, 51200, false);
    assert_int_equal(nbt_fit(t, "u1", 2, 1024, 1, 1, &n), -EDQUOT);
    assert_string_equal(t->ctx.err_msg, "Quota exceeded for cores, ram: Requested 2, 1024,"
                                        " but already used 20, 51200 of 20, 51200"
                                        " cores, ram");
}

static void test_quota_fit_unlimited(void **state)
{
    struct nbt_q *t = *state;
    int n;
    nbt_limit(t, "p1", "", "instances", -1);
    nbt_limit(t, "p1", "", "cores", -1);
    nbt_limit(t, "p1", "", "ram", -1);
    nbt_servers(t, "p1", "u1", 30, 1, 512, false);
    assert_int_equal(nbt_fit(t, "u1", 8, 100000, 100, 100, &n), 0);
    assert_int_equal(n, 100);
}

static void test_quota_fit_user_limit_applies(void **state)
{
    struct nbt_q *t = *state;
    int n;
    nbt_limit(t, "p1", "u1", "instances", 2);
    nbt_servers(t, "p1", "u1", 1, 1, 512, false);
    nbt_servers(t, "p1", "u2", 3, 1, 512, false);
    /* the project has room for 6, the user for 1 */
    assert_int_equal(nbt_fit(t, "u1", 1, 512, 1, 5, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(nbt_fit(t, "u1", 1, 512, 2, 5, &n), -EDQUOT);
    assert_string_equal(t->ctx.err_msg, "Quota exceeded for instances: Requested 5, but"
                                        " already used 1 of 2 instances");
    /* another user only has the project's limit */
    assert_int_equal(nbt_fit(t, "u2", 1, 512, 1, 10, &n), 0);
    assert_int_equal(n, 6);
}

static void test_quota_fit_resize_counts_only_the_increase(void **state)
{
    struct nbt_q *t = *state;
    struct nb_cmp_usage up = {0, 2, 1024};
    int n = 0;
    nbt_servers(t, "p1", "u1", 10, 1, 512, false);   /* instances full */
    assert_int_equal(nb_cmp_quota_fit(&t->ctx, t->tx, "p1", "u1", &up, 1, 1, &n), 0);
    assert_int_equal(n, 1);
    up.cores = 11;                                     /* 10 + 11 > 20 */
    assert_int_equal(nb_cmp_quota_fit(&t->ctx, t->tx, "p1", "u1", &up, 1, 1, &n), -EDQUOT);
}

static void test_quota_limit_precedence(void **state)
{
    struct nbt_q *t = *state;
    int64_t v;
    assert_int_equal(nb_cmp_quota_limit(t->tx, "p1", "metadata_items", &v), 0);
    assert_int_equal(v, 128);
    assert_int_equal(nb_tx_exec(t->tx, NULL, "INSERT INTO cmp_quota_classes (class_name,"
                                " resource, hard_limit) VALUES ('default',"
                                " 'metadata_items', 64)", ""),
                     0);
    assert_int_equal(nb_cmp_quota_limit(t->tx, "p1", "metadata_items", &v), 0);
    assert_int_equal(v, 64);
    nbt_limit(t, "p1", "", "metadata_items", 3);
    assert_int_equal(nb_cmp_quota_limit(t->tx, "p1", "metadata_items", &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(nb_cmp_quota_limit(t->tx, "p2", "metadata_items", &v), 0);
    assert_int_equal(v, 64);
    assert_int_equal(nb_cmp_quota_limit(t->tx, "p1", "security_groups", &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(nb_cmp_quota_limit(t->tx, "p1", "server_group_members", &v), 0);
    assert_int_equal(v, 10);
}

#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        T(test_quota_fit_empty_project_takes_max),
        T(test_quota_fit_reduces_to_room),
        T(test_quota_fit_instances_full_403_nova_message),
        T(test_quota_fit_cores_and_ram_bound_the_count),
        T(test_quota_fit_several_resources_over),
        T(test_quota_fit_unlimited),
        T(test_quota_fit_user_limit_applies),
        T(test_quota_fit_resize_counts_only_the_increase),
        T(test_quota_limit_precedence),
    };
    return NBT_MAIN("compute_quota", tests, NULL, NULL);
}
