/* core/map.c: the string-keyed hash map. */
#include "nbt.h"

static int nbt_freed;

static void nbt_count_free(void *p)
{
    nbt_freed++;
    free(p);
}

static void test_map_set_then_find(void **state)
{
    struct nb_map *m = nb_map_new(NULL);
    void *v = NULL;
    (void)state;
    assert_false(nb_map_find(m, "a", &v));           /* empty map */
    nb_map_set(m, "a", (void *)1);
    nb_map_set(m, "b", (void *)2);
    assert_true(nb_map_find(m, "a", &v));
    assert_ptr_equal(v, (void *)1);
    assert_true(nb_map_find(m, "b", NULL));
    assert_false(nb_map_find(m, "c", &v));
    assert_false(nb_map_find(m, "", &v));
    assert_int_equal(nb_map_size(m), 2);
    nb_map_free(m);
    nb_map_free(NULL);
}

static void test_map_keys_are_copied(void **state)
{
    struct nb_map *m = nb_map_new(NULL);
    char key[8] = "key";
    (void)state;
    nb_map_set(m, key, (void *)7);
    strcpy(key, "xyz");
    assert_true(nb_map_find(m, "key", NULL));
    assert_false(nb_map_find(m, "xyz", NULL));
    nb_map_free(m);
}

static void test_map_replace_frees_old_value(void **state)
{
    struct nb_map *m = nb_map_new(nbt_count_free);
    char *one = nb_xstrdup("one");
    void *v;
    (void)state;
    nbt_freed = 0;
    nb_map_set(m, "k", one);
    nb_map_set(m, "k", one);                   /* same pointer: kept */
    assert_int_equal(nbt_freed, 0);
    nb_map_set(m, "k", nb_xstrdup("two"));
    assert_int_equal(nbt_freed, 1);
    assert_int_equal(nb_map_size(m), 1);
    assert_true(nb_map_find(m, "k", &v));
    assert_string_equal(v, "two");
    nb_map_free(m);
    assert_int_equal(nbt_freed, 2);
}

static void test_map_del_frees_and_forgets(void **state)
{
    struct nb_map *m = nb_map_new(nbt_count_free);
    (void)state;
    nbt_freed = 0;
    assert_false(nb_map_del(m, "nothing"));        /* on an empty map */
    nb_map_set(m, "a", nb_xstrdup("A"));
    nb_map_set(m, "b", nb_xstrdup("B"));
    assert_true(nb_map_del(m, "a"));
    assert_int_equal(nbt_freed, 1);
    assert_false(nb_map_del(m, "a"));
    assert_false(nb_map_find(m, "a", NULL));
    assert_true(nb_map_find(m, "b", NULL));
    assert_int_equal(nb_map_size(m), 1);
    nb_map_free(m);
    assert_int_equal(nbt_freed, 2);
}

static void test_map_grows_and_keeps_every_key(void **state)
{
    struct nb_map *m = nb_map_new(NULL);
    char key[32];
    void *v;
    (void)state;
    for (intptr_t i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key-%ld", (long)i);
        nb_map_set(m, key, (void *)i);
    }
    assert_int_equal(nb_map_size(m), 20000);
    for (intptr_t i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key-%ld", (long)i);
        assert_true(nb_map_find(m, key, &v));
        assert_int_equal((intptr_t)v, i);
    }
    assert_false(nb_map_find(m, "key-20000", NULL));
    nb_map_free(m);
}

/* A key found after deleted keys on its probe path: deletion must leave a
 * tombstone, not an empty slot that ends the probe early. */
static void test_map_find_probes_past_tombstones(void **state)
{
    struct nb_map *m = nb_map_new(NULL);
    char key[32];
    (void)state;
    for (int i = 0; i < 11; i++) {              /* below the first growth */
        snprintf(key, sizeof(key), "k%d", i);
        nb_map_set(m, key, (void *)(intptr_t)(i + 1));
    }
    for (int i = 0; i < 11; i += 2) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_true(nb_map_del(m, key));
    }
    for (int i = 0; i < 11; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(nb_map_find(m, key, NULL), i % 2 == 1);
    }
    /* re-inserting reuses slots without duplicating keys */
    for (int i = 0; i < 11; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        nb_map_set(m, key, (void *)(intptr_t)(100 + i));
    }
    assert_int_equal(nb_map_size(m), 11);
    nb_map_free(m);
}

/* Churn: many distinct keys inserted and deleted with the map staying
 * small.  Tombstones must be reclaimed, or probing for a missing key never
 * meets an empty slot and loops forever. */
static void test_map_churn_reclaims_tombstones(void **state)
{
    struct nb_map *m = nb_map_new(NULL);
    char key[32];
    (void)state;
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "churn-%d", i);
        nb_map_set(m, key, NULL);
        if (i >= 4) {
            snprintf(key, sizeof(key), "churn-%d", i - 4);
            assert_true(nb_map_del(m, key));
        }
        assert_false(nb_map_find(m, "never-there", NULL));
    }
    assert_int_equal(nb_map_size(m), 4);
    nb_map_free(m);
}

static void test_map_clear_frees_all_and_stays_usable(void **state)
{
    struct nb_map *m = nb_map_new(nbt_count_free);
    (void)state;
    nbt_freed = 0;
    nb_map_set(m, "a", nb_xstrdup("A"));
    nb_map_set(m, "b", nb_xstrdup("B"));
    nb_map_clear(m);
    assert_int_equal(nbt_freed, 2);
    assert_int_equal(nb_map_size(m), 0);
    assert_false(nb_map_find(m, "a", NULL));
    nb_map_set(m, "c", nb_xstrdup("C"));
    assert_true(nb_map_find(m, "c", NULL));
    nb_map_free(m);
    assert_int_equal(nbt_freed, 3);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_set_then_find),
        cmocka_unit_test(test_map_keys_are_copied),
        cmocka_unit_test(test_map_replace_frees_old_value),
        cmocka_unit_test(test_map_del_frees_and_forgets),
        cmocka_unit_test(test_map_grows_and_keeps_every_key),
        cmocka_unit_test(test_map_find_probes_past_tombstones),
        cmocka_unit_test(test_map_churn_reclaims_tombstones),
        cmocka_unit_test(test_map_clear_frees_all_and_stays_usable),
    };
    return NBT_MAIN("map", tests, NULL, NULL);
}
