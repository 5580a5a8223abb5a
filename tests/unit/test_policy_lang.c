/* auth/policy.c: the rule language itself (and/or/not, parentheses,
 * rule references, literals, target paths, syntax errors).
 *
 * This file defines nb_policy_rules(), so the linker takes it instead of
 * the one in libnubis (auth/policy_rules.o is then never pulled from the
 * static library): the engine runs on the small tables below. */
#include "nbt.h"
#include "auth/auth.h"
#include "auth/policy_rules.h"

static const struct nb_policy_rule *nbt_table;
static size_t nbt_ntable;

const struct nb_policy_rule *nb_policy_rules(size_t *n)
{
    *n = nbt_ntable;
    return nbt_table;
}

#define NBT_USE(t) (nbt_table = (t), nbt_ntable = NB_ARRAY_SIZE(t))

static const struct nb_policy_rule nbt_lang[] = {
    {"anyone", "@"},
    {"nobody", "!"},
    {"empty", ""},
    {"a", "role:a"},
    {"a_and_b", "role:a and role:b"},
    {"a_or_b", "role:a or role:b"},
    {"not_a", "not role:a"},
    {"not_a_or_b", "not (role:a or role:b)"},
    {"precedence", "role:a or role:b and role:c"},      /* a or (b and c) */
    {"grouped", "(role:a or role:b) and role:c"},
    {"nested", "((role:a))"},
    {"double_not", "not not role:a"},
    {"ref", "rule:a_and_b or rule:nobody"},
    {"ref_chain", "rule:ref"},
    {"literal_user", "user_id:u1"},
    {"system", "system_scope:all"},
    {"system_other", "system_scope:project"},
    {"owner", "user_id:%(target.user.id)s"},
    {"deep", "project_id:%(target.a.b.c.d)s"},
    {"tenant_alias", "tenant_id:%(target.project_id)s"},
    {"user_domain", "user_domain_id:%(target.domain_id)s"},
    {"project_domain", "project_domain_id:%(target.domain_id)s"},
    {"domain", "domain_id:%(target.domain_id)s"},
    {"multiline", "role:a\n  and\n  role:b"},
    {"role_named_like_keyword", "role:notable or role:android"},
    {"self_loop", "rule:self_loop"},
    {"unknown_attr", "flavor:%(target.x)s"},
};

static void nbt_ctx(struct nb_ctx *ctx, const char *const *roles)
{
    nbt_caller(ctx, "u1", roles);
}

static bool nbt_allows(const char *const *roles, const char *rule, const json_t *target)
{
    struct nb_ctx ctx;
    nbt_ctx(&ctx, roles);
    return nb_policy_allows(&ctx, rule, target);
}

#define R(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

static int nbt_setup_lang(void **state)
{
    (void)state;
    NBT_USE(nbt_lang);
    return nb_policy_init();
}

static int nbt_teardown(void **state)
{
    (void)state;
    nb_policy_shutdown();
    return 0;
}

static void test_lang_true_false_and_empty(void **state)
{
    (void)state;
    assert_true(nbt_allows(NONE, "anyone", NULL));
    assert_false(nbt_allows(R("admin"), "nobody", NULL));
    assert_true(nbt_allows(NONE, "empty", NULL));
}

static void test_lang_and(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("a", "b"), "a_and_b", NULL));
    assert_false(nbt_allows(R("a"), "a_and_b", NULL));
    assert_false(nbt_allows(R("b"), "a_and_b", NULL));
}

static void test_lang_or(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("a"), "a_or_b", NULL));
    assert_true(nbt_allows(R("b"), "a_or_b", NULL));
    assert_false(nbt_allows(R("c"), "a_or_b", NULL));
}

static void test_lang_not(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("b"), "not_a", NULL));
    assert_false(nbt_allows(R("a"), "not_a", NULL));
    assert_true(nbt_allows(R("c"), "not_a_or_b", NULL));
    assert_false(nbt_allows(R("b"), "not_a_or_b", NULL));
    assert_true(nbt_allows(R("a"), "double_not", NULL));
}

static void test_lang_and_binds_tighter_than_or(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("a"), "precedence", NULL));
    assert_false(nbt_allows(R("b"), "precedence", NULL));
    assert_true(nbt_allows(R("b", "c"), "precedence", NULL));
    assert_false(nbt_allows(R("a"), "grouped", NULL));
    assert_true(nbt_allows(R("a", "c"), "grouped", NULL));
    assert_true(nbt_allows(R("a"), "nested", NULL));
}

static void test_lang_rule_references(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("a", "b"), "ref", NULL));
    assert_false(nbt_allows(R("a"), "ref", NULL));
    assert_true(nbt_allows(R("a", "b"), "ref_chain", NULL));
}

static void test_lang_self_reference_denies_without_looping(void **state)
{
    (void)state;
    assert_false(nbt_allows(R("admin"), "self_loop", NULL));
}

static void test_lang_literal_attribute(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    assert_true(nbt_allows(NONE, "literal_user", NULL));
    nbt_caller(&ctx, "u2", NULL);
    assert_false(nb_policy_allows(&ctx, "literal_user", NULL));
}

static void test_lang_system_scope(void **state)
{
    struct nb_ctx ctx;
    (void)state;
    nbt_ctx(&ctx, NONE);
    assert_false(nb_policy_allows(&ctx, "system", NULL));
    ctx.caller.system_scope = true;
    assert_true(nb_policy_allows(&ctx, "system", NULL));
    assert_false(nb_policy_allows(&ctx, "system_other", NULL));
}

static void test_lang_target_paths(void **state)
{
    struct nb_ctx ctx;
    json_t *t = json_pack("{s:{s:{s:s},s:{s:{s:{s:s}}},s:s,s:s}}", "target",
                          "user", "id", "u1",
                          "a", "b", "c", "d", "p1",
                          "project_id", "p1",
                          "domain_id", "d1");
    (void)state;
    nbt_ctx(&ctx, NONE);
    assert_true(nb_policy_allows(&ctx, "owner", t));
    assert_false(nb_policy_allows(&ctx, "deep", t));      /* caller has no project */
    snprintf(ctx.caller.project.id, sizeof(ctx.caller.project.id), "p1");
    assert_true(nb_policy_allows(&ctx, "deep", t));
    assert_true(nb_policy_allows(&ctx, "tenant_alias", t));
    assert_false(nb_policy_allows(&ctx, "domain", t));
    snprintf(ctx.caller.domain.id, sizeof(ctx.caller.domain.id), "d1");
    assert_true(nb_policy_allows(&ctx, "domain", t));
    assert_false(nb_policy_allows(&ctx, "user_domain", t));   /* "default" */
    snprintf(ctx.caller.user_domain.id, sizeof(ctx.caller.user_domain.id), "d1");
    assert_true(nb_policy_allows(&ctx, "user_domain", t));
    assert_false(nb_policy_allows(&ctx, "project_domain", t));
    snprintf(ctx.caller.project_domain.id, sizeof(ctx.caller.project_domain.id), "d1");
    assert_true(nb_policy_allows(&ctx, "project_domain", t));
    json_decref(t);
}

static void test_lang_unknown_caller_attribute_denies(void **state)
{
    json_t *t = json_pack("{s:{s:s}}", "target", "x", "u1");
    (void)state;
    assert_false(nbt_allows(R("admin"), "unknown_attr", t));
    json_decref(t);
}

static void test_lang_newlines_are_white_space(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("a", "b"), "multiline", NULL));
    assert_false(nbt_allows(R("a"), "multiline", NULL));
}

static void test_lang_role_names_starting_with_keywords(void **state)
{
    (void)state;
    assert_true(nbt_allows(R("notable"), "role_named_like_keyword", NULL));
    assert_true(nbt_allows(R("android"), "role_named_like_keyword", NULL));
    assert_false(nbt_allows(R("able"), "role_named_like_keyword", NULL));
}

/* ---- tables that must not load */

static void nbt_init_fails(const struct nb_policy_rule *t, size_t n)
{
    nbt_table = t;
    nbt_ntable = n;
    assert_int_equal(nb_policy_init(), -EINVAL);
    nb_policy_shutdown();
}

#define NBT_INIT_FAILS(...)                                                   \
    do {                                                                      \
        static const struct nb_policy_rule t_[] = {__VA_ARGS__};              \
        nbt_init_fails(t_, NB_ARRAY_SIZE(t_));                                \
    } while (0)

static void test_lang_syntax_errors_fail_init(void **state)
{
    (void)state;
    NBT_INIT_FAILS({"x", "role:a and"});
    NBT_INIT_FAILS({"x", "(role:a"});
    NBT_INIT_FAILS({"x", "role:a)"});
    NBT_INIT_FAILS({"x", "bogus"});
    NBT_INIT_FAILS({"x", "role:a role:b"});
    NBT_INIT_FAILS({"x", "not"});
    NBT_INIT_FAILS({"ok", "@"}, {"x", "or role:a"});
}

static void test_lang_unknown_rule_reference_fails_init(void **state)
{
    (void)state;
    NBT_INIT_FAILS({"a", "role:a"}, {"x", "rule:a or rule:typo"});
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_true_false_and_empty),
        cmocka_unit_test(test_lang_and),
        cmocka_unit_test(test_lang_or),
        cmocka_unit_test(test_lang_not),
        cmocka_unit_test(test_lang_and_binds_tighter_than_or),
        cmocka_unit_test(test_lang_rule_references),
        cmocka_unit_test(test_lang_self_reference_denies_without_looping),
        cmocka_unit_test(test_lang_literal_attribute),
        cmocka_unit_test(test_lang_system_scope),
        cmocka_unit_test(test_lang_target_paths),
        cmocka_unit_test(test_lang_unknown_caller_attribute_denies),
        cmocka_unit_test(test_lang_newlines_are_white_space),
        cmocka_unit_test(test_lang_role_names_starting_with_keywords),
        cmocka_unit_test_setup_teardown(test_lang_syntax_errors_fail_init, NULL, nbt_teardown),
        cmocka_unit_test_setup_teardown(test_lang_unknown_rule_reference_fails_init, NULL,
                                        nbt_teardown),
    };
    return NBT_MAIN("policy_lang", tests, nbt_setup_lang, nbt_teardown);
}
