/* compute/console.c: the agents' drivers as the API reads them, and the
 * tail of a console log as Nova cuts it. */
#include "nbt.h"
#include "compute/internal.h"

static void nbt_tail(const char *log, long lines, const char *want)
{
    char *got = nb_cmp_console_tail(log, lines);
    assert_string_equal(got, want);
    free(got);
}

/* '\n'.join(log.split('\n')[-lines:]) */
static void test_console_tail_as_nova(void **state)
{
    (void)state;
    nbt_tail("a\nb\nc\n", -1, "a\nb\nc\n");
    nbt_tail("a\nb\nc\n", 0, "");
    nbt_tail("a\nb\nc\n", 1, "");
    nbt_tail("a\nb\nc\n", 2, "c\n");
    nbt_tail("a\nb\nc\n", 3, "b\nc\n");
    nbt_tail("a\nb\nc\n", 4, "a\nb\nc\n");
    nbt_tail("a\nb\nc\n", 99, "a\nb\nc\n");
    nbt_tail("a\nb", 1, "b");
    nbt_tail("", 3, "");
    nbt_tail("", -1, "");
}

static void test_console_tail_strips_control_characters(void **state)
{
    (void)state;
    nbt_tail("a\x01\x1b[0mb\tc\r\n", -1, "a[0mb\tc\n");
    nbt_tail("\x7f\xc3\xa9\n", -1, "\x7f\xc3\xa9\n");
}

static void test_console_reads_the_registered_driver(void **state)
{
    const struct nb_virt_driver *drv = &nb_virt_fake_driver;
    struct nb_virt_guest g = {.uuid = "u1", .name = "instance-u1", .hostname = "vm1",
                              .vcpus = 1, .memory_mb = 64, .root_gb = 1};
    void *virt = NULL;
    char *out = NULL, *err = NULL;
    (void)state;

    assert_int_equal(nb_cmp_virt_console("h1", "u1", &out), -ENOENT);
    assert_null(out);
    assert_int_equal(drv->open("/nonexistent", &virt), 0);
    assert_int_equal(drv->spawn(virt, &g, &err), 0);
    nb_cmp_virt_register("h1", drv, virt);
    assert_int_equal(nb_cmp_virt_console("h1", "u1", &out), 0);
    assert_non_null(strstr(out, "vm1"));
    free(out);
    /* a guest the driver does not run, a host nobody serves */
    assert_int_equal(nb_cmp_virt_console("h1", "u2", &out), -ENOENT);
    assert_int_equal(nb_cmp_virt_console("h2", "u1", &out), -ENOENT);
    /* registering again replaces; NULL removes */
    nb_cmp_virt_register("h1", drv, virt);
    assert_int_equal(nb_cmp_virt_console("h1", "u1", &out), 0);
    free(out);
    nb_cmp_virt_register("h1", NULL, NULL);
    assert_int_equal(nb_cmp_virt_console("h1", "u1", &out), -ENOENT);
    drv->close(virt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_tail_as_nova),
        cmocka_unit_test(test_console_tail_strips_control_characters),
        cmocka_unit_test(test_console_reads_the_registered_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
