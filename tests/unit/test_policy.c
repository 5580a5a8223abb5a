/* auth/policy.c with the real rule table (auth/policy_rules.c): who may do
 * what, by role and scope, against targets shaped as the identity API
 * builds them ({"target": {...}}). */
#include "nbt.h"
#include "auth/auth.h"

static const char *const nbt_admin[] = {"admin", "member", "reader", NULL};
static const char *const nbt_member[] = {"member", "reader", NULL};
static const char *const nbt_reader[] = {"reader", NULL};

static int nbt_setup(void **state)
{
    (void)state;
    return nb_policy_init();
}

static int nbt_teardown(void **state)
{
    (void)state;
    nb_policy_shutdown();
    return 0;
}

static void nbt_project_scope(struct nb_ctx *ctx, const char *project, const char *domain)
{
    snprintf(ctx->caller.project.id, sizeof(ctx->caller.project.id), "%s", project);
    snprintf(ctx->caller.project_domain.id, sizeof(ctx->caller.project_domain.id), "%s",
             domain);
}

static void nbt_domain_scope(struct nb_ctx *ctx, const char *domain)
{
    snprintf(ctx->caller.domain.id, sizeof(ctx->caller.domain.id), "%s", domain);
}

static void test_policy_init_parses_whole_table(void **state)
{
    (void)state;
    nb_policy_shutdown();
    assert_int_equal(nb_policy_init(), 0);
    assert_int_equal(nb_policy_init(), 0);          /* re-init replaces */
}

static void test_policy_project_admin_may_create_project(void **state)
{
    struct nb_ctx ctx;
    json_t *t = json_pack("{s:{s:{s:s}}}", "target", "project", "domain_id", "default");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_admin);
    nbt_project_scope(&ctx, "p1", "default");
    assert_true(nb_policy_allows(&ctx, "identity:create_project", t));
    assert_int_equal(nb_policy_enforce(&ctx, "identity:create_project", t), 0);
    assert_int_equal(ctx.err_status, 0);
    json_decref(t);
}

static void test_policy_member_denied_create_project_403(void **state)
{
    struct nb_ctx ctx;
    json_t *t = json_pack("{s:{s:{s:s}}}", "target", "project", "domain_id", "default");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_member);
    nbt_project_scope(&ctx, "p1", "default");
    assert_false(nb_policy_allows(&ctx, "identity:create_project", t));
    assert_int_equal(nb_policy_enforce(&ctx, "identity:create_project", t), -EACCES);
    assert_int_equal(ctx.err_status, 403);
    assert_non_null(strstr(ctx.err_msg, "identity:create_project"));
    json_decref(t);
}

static void test_policy_unauthenticated_is_401_not_403(void **state)
{
    struct nb_ctx ctx = {0};
    (void)state;
    assert_int_equal(nb_policy_enforce(&ctx, "identity:create_project", NULL), -EPERM);
    assert_int_equal(ctx.err_status, 401);
    /* even a rule that lets anyone in wants somebody */
    assert_false(nb_policy_allows(&ctx, "identity:list_regions", NULL));
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(nb_policy_enforce(&ctx, "identity:list_regions", NULL), -EPERM);
    assert_int_equal(ctx.err_status, 401);
}

static void test_policy_empty_rule_allows_any_caller(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    nbt_caller(&ctx, "u1", NULL);                  /* no roles at all */
    assert_true(nb_policy_allows(&ctx, "identity:list_regions", NULL));
    assert_true(nb_policy_allows(&ctx, "identity:get_auth_projects", NULL));
}

static void test_policy_system_reader_may_read_not_write(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    nbt_caller(&ctx, "auditor", nbt_reader);
    ctx.caller.system_scope = true;
    assert_true(nb_policy_allows(&ctx, "identity:list_domains", NULL));
    assert_true(nb_policy_allows(&ctx, "identity:list_roles", NULL));
    assert_false(nb_policy_allows(&ctx, "identity:create_domain", NULL));
    assert_false(nb_policy_allows(&ctx, "identity:delete_role", NULL));
}

static void test_policy_project_reader_may_not_list_domains(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    nbt_caller(&ctx, "u1", nbt_reader);
    nbt_project_scope(&ctx, "p1", "default");
    assert_false(nb_policy_allows(&ctx, "identity:list_domains", NULL));
}

static void test_policy_domain_reader_lists_users_of_own_domain_only(void **state)
{
    struct nb_ctx ctx;
    json_t *mine = json_pack("{s:{s:s}}", "target", "domain_id", "d1");
    json_t *other = json_pack("{s:{s:s}}", "target", "domain_id", "d2");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_reader);
    nbt_domain_scope(&ctx, "d1");
    assert_true(nb_policy_allows(&ctx, "identity:list_users", mine));
    assert_false(nb_policy_allows(&ctx, "identity:list_users", other));
    assert_false(nb_policy_allows(&ctx, "identity:list_users", NULL));
    json_decref(mine);
    json_decref(other);
    /* a reader of the domain may not administer it */
    mine = json_pack("{s:{s:{s:s}}}", "target", "user", "domain_id", "d1");
    assert_false(nb_policy_allows(&ctx, "identity:create_user", mine));
    json_decref(mine);
}

static void test_policy_domain_admin_creates_users_in_own_domain(void **state)
{
    struct nb_ctx ctx;
    json_t *mine = json_pack("{s:{s:{s:s}}}", "target", "user", "domain_id", "d1");
    json_t *other = json_pack("{s:{s:{s:s}}}", "target", "user", "domain_id", "d2");
    (void)state;
    nbt_caller(&ctx, "u1", (const char *const[]){"admin", NULL});
    nbt_domain_scope(&ctx, "d1");
    assert_true(nb_policy_allows(&ctx, "identity:create_user", mine));
    /* role:admin anywhere passes admin_required: Keystone's legacy
     * defaults (enforce_new_defaults = False), which the CLI expects */
    assert_true(nb_policy_allows(&ctx, "identity:create_user", other));
    json_decref(mine);
    json_decref(other);
}

static void test_policy_project_scope_reads_own_project_only(void **state)
{
    struct nb_ctx ctx;
    json_t *mine = json_pack("{s:{s:{s:s,s:s}}}", "target", "project", "id", "p1",
                             "domain_id", "default");
    json_t *other = json_pack("{s:{s:{s:s,s:s}}}", "target", "project", "id", "p2",
                              "domain_id", "default");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_member);
    nbt_project_scope(&ctx, "p1", "default");
    assert_true(nb_policy_allows(&ctx, "identity:get_project", mine));
    assert_false(nb_policy_allows(&ctx, "identity:get_project", other));
    /* rule:identity:get_project reused by another rule */
    assert_true(nb_policy_allows(&ctx, "identity:get_project_tag", mine));
    assert_false(nb_policy_allows(&ctx, "identity:get_project_tag", other));
    json_decref(mine);
    json_decref(other);
}

static void test_policy_owner_reads_self_not_others(void **state)
{
    struct nb_ctx ctx;
    json_t *self = json_pack("{s:{s:{s:s,s:s}}}", "target", "user", "id", "u1",
                             "domain_id", "default");
    json_t *other = json_pack("{s:{s:{s:s,s:s}}}", "target", "user", "id", "u2",
                              "domain_id", "default");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_member);
    nbt_project_scope(&ctx, "p1", "default");
    assert_true(nb_policy_allows(&ctx, "identity:get_user", self));
    assert_false(nb_policy_allows(&ctx, "identity:get_user", other));
    json_decref(self);
    json_decref(other);
}

static void test_policy_token_subject_may_validate_own_token(void **state)
{
    struct nb_ctx ctx;
    json_t *own = json_pack("{s:{s:{s:s}}}", "target", "token", "user_id", "u1");
    json_t *other = json_pack("{s:{s:{s:s}}}", "target", "token", "user_id", "u2");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_reader);
    assert_true(nb_policy_allows(&ctx, "identity:validate_token", own));
    assert_false(nb_policy_allows(&ctx, "identity:validate_token", other));
    /* a service user validates anybody's token */
    nbt_caller(&ctx, "nova", (const char *const[]){"service", NULL});
    assert_true(nb_policy_allows(&ctx, "identity:validate_token", other));
    json_decref(own);
    json_decref(other);
}

static void test_policy_target_path_missing_or_not_string_denies(void **state)
{
    struct nb_ctx ctx;
    json_t *numeric = json_pack("{s:{s:{s:i}}}", "target", "user", "id", 5);
    json_t *flat = json_pack("{s:s}", "target", "u1");
    (void)state;
    nbt_caller(&ctx, "5", nbt_member);
    assert_false(nb_policy_allows(&ctx, "identity:get_user", NULL));
    assert_false(nb_policy_allows(&ctx, "identity:get_user", numeric));
    assert_false(nb_policy_allows(&ctx, "identity:get_user", flat));
    json_decref(numeric);
    json_decref(flat);
}

/* An empty caller attribute never matches an empty or absent target
 * value: an unscoped caller is not "in" every project. */
static void test_policy_empty_caller_attribute_never_matches(void **state)
{
    struct nb_ctx ctx;
    json_t *t = json_pack("{s:{s:{s:s,s:s}}}", "target", "project", "id", "",
                          "domain_id", "");
    (void)state;
    nbt_caller(&ctx, "u1", nbt_member);             /* unscoped */
    assert_false(nb_policy_allows(&ctx, "identity:get_project", t));
    json_decref(t);
}

static void test_policy_roles_match_case_insensitively(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    nbt_caller(&ctx, "u1", (const char *const[]){"Admin", NULL});
    assert_true(nb_policy_allows(&ctx, "identity:create_domain", NULL));
}

static void test_policy_unknown_rule_denied(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    nbt_caller(&ctx, "u1", nbt_admin);
    assert_false(nb_policy_allows(&ctx, "identity:no_such_rule", NULL));
    assert_int_equal(nb_policy_enforce(&ctx, "identity:no_such_rule", NULL), -EACCES);
    assert_int_equal(ctx.err_status, 403);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_init_parses_whole_table),
        cmocka_unit_test(test_policy_project_admin_may_create_project),
        cmocka_unit_test(test_policy_member_denied_create_project_403),
        cmocka_unit_test(test_policy_unauthenticated_is_401_not_403),
        cmocka_unit_test(test_policy_empty_rule_allows_any_caller),
        cmocka_unit_test(test_policy_system_reader_may_read_not_write),
        cmocka_unit_test(test_policy_project_reader_may_not_list_domains),
        cmocka_unit_test(test_policy_domain_reader_lists_users_of_own_domain_only),
        cmocka_unit_test(test_policy_domain_admin_creates_users_in_own_domain),
        cmocka_unit_test(test_policy_project_scope_reads_own_project_only),
        cmocka_unit_test(test_policy_owner_reads_self_not_others),
        cmocka_unit_test(test_policy_token_subject_may_validate_own_token),
        cmocka_unit_test(test_policy_target_path_missing_or_not_string_denies),
        cmocka_unit_test(test_policy_empty_caller_attribute_never_matches),
        cmocka_unit_test(test_policy_roles_match_case_insensitively),
        cmocka_unit_test(test_policy_unknown_rule_denied),
    };
    return NBT_MAIN("policy", tests, nbt_setup, nbt_teardown);
}
