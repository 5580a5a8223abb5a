/* auth/password.c: argon2id hashing, verification, rehash detection. */
#include "nbt.h"
#include "auth/auth.h"

static char *nbt_state;

static int nbt_setup(void **state)
{
    (void)state;
    nbt_state = nbt_conf_isolated();
    nb_password_init();
    return 0;
}

static int nbt_teardown(void **state)
{
    (void)state;
    nbt_rmrf(nbt_state);
    free(nbt_state);
    return 0;
}

static void test_password_hash_then_verify(void **state)
{
    char *hash = NULL;
    (void)state;
    assert_int_equal(nb_password_hash("s3cret pass", &hash), 0);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    assert_int_equal(nb_password_verify(hash, "s3cret pass"), 0);
    free(hash);
}

static void test_password_wrong_password_rejected(void **state)
{
    char *hash = NULL;
    (void)state;
    assert_int_equal(nb_password_hash("right", &hash), 0);
    assert_int_equal(nb_password_verify(hash, "wrong"), -EPERM);
    assert_int_equal(nb_password_verify(hash, "Right"), -EPERM);
    assert_int_equal(nb_password_verify(hash, "right "), -EPERM);
    assert_int_equal(nb_password_verify(hash, ""), -EPERM);
    free(hash);
}

static void test_password_same_password_hashes_differently(void **state)
{
    char *a = NULL, *b = NULL;
    (void)state;
    assert_int_equal(nb_password_hash("same", &a), 0);
    assert_int_equal(nb_password_hash("same", &b), 0);
    assert_string_not_equal(a, b);                 /* random salt */
    assert_int_equal(nb_password_verify(a, "same"), 0);
    assert_int_equal(nb_password_verify(b, "same"), 0);
    free(a);
    free(b);
}

static void test_password_unicode_and_empty_round_trip(void **state)
{
    char *hash = NULL;
    (void)state;
    assert_int_equal(nb_password_hash("p\xc3\xa4ss\xe2\x82\xac", &hash), 0);
    assert_int_equal(nb_password_verify(hash, "p\xc3\xa4ss\xe2\x82\xac"), 0);
    assert_int_equal(nb_password_verify(hash, "pass"), -EPERM);
    free(hash);
    assert_int_equal(nb_password_hash("", &hash), 0);
    assert_int_equal(nb_password_verify(hash, ""), 0);
    free(hash);
}

/* No such user: verification still costs a hash and always fails, even
 * for the empty password. */
static void test_password_missing_hash_never_verifies(void **state)
{
    (void)state;
    assert_int_equal(nb_password_verify(NULL, ""), -EPERM);
    assert_int_equal(nb_password_verify(NULL, "anything"), -EPERM);
    assert_int_equal(nb_password_verify("", ""), -EPERM);
}

static void test_password_garbage_hash_rejected(void **state)
{
    (void)state;
    assert_int_equal(nb_password_verify("not-a-hash", "pw"), -EPERM);
    assert_int_equal(nb_password_verify("$argon2id$v=19$m=7168,t=5,p=1$", "pw"), -EPERM);
}

static void test_password_fresh_hash_needs_no_rehash(void **state)
{
    char *hash = NULL;
    (void)state;
    assert_int_equal(nb_password_hash("pw", &hash), 0);
    assert_false(nb_password_needs_rehash(hash));
    free(hash);
}

/* Raising the cost in the config marks existing hashes for rehashing,
 * and they still verify meanwhile. */
static void test_password_new_parameters_need_rehash(void **state)
{
    char *hash = NULL;
    (void)state;
    assert_int_equal(nb_password_hash("pw", &hash), 0);
    assert_int_equal(nb_conf_set("identity", "password_hash_opslimit", "6"), 0);
    nb_password_init();
    assert_true(nb_password_needs_rehash(hash));
    assert_int_equal(nb_password_verify(hash, "pw"), 0);
    assert_int_equal(nb_conf_set("identity", "password_hash_opslimit", "5"), 0);
    nb_password_init();
    assert_false(nb_password_needs_rehash(hash));
    free(hash);
}

static void test_password_parameters_below_minimum_are_raised(void **state)
{
    char *hash = NULL;
    (void)state;
    assert_int_equal(nb_conf_set("identity", "password_hash_memlimit_kib", "1"), 0);
    nb_password_init();
    assert_int_equal(nb_password_hash("pw", &hash), 0);
    assert_int_equal(nb_password_verify(hash, "pw"), 0);
    assert_null(strstr(hash, "m=1,"));
    free(hash);
    assert_int_equal(nb_conf_set("identity", "password_hash_memlimit_kib", "7168"), 0);
    nb_password_init();
}

static void test_password_garbage_hash_needs_rehash(void **state)
{
    (void)state;
    assert_true(nb_password_needs_rehash("not-a-hash"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_hash_then_verify),
        cmocka_unit_test(test_password_wrong_password_rejected),
        cmocka_unit_test(test_password_same_password_hashes_differently),
        cmocka_unit_test(test_password_unicode_and_empty_round_trip),
        cmocka_unit_test(test_password_missing_hash_never_verifies),
        cmocka_unit_test(test_password_garbage_hash_rejected),
        cmocka_unit_test(test_password_fresh_hash_needs_no_rehash),
        cmocka_unit_test(test_password_new_parameters_need_rehash),
        cmocka_unit_test(test_password_parameters_below_minimum_are_raised),
        cmocka_unit_test(test_password_garbage_hash_needs_rehash),
    };
    return NBT_MAIN("password", tests, nbt_setup, nbt_teardown);
}
