/* core/conf.c: defaults, files, unknown keys, command-line pins, and the
 * sample file that documents every option.
 *
 * Command-line pins (nb_conf_set) last for the process, so each test pins
 * only keys no other test reads, and [DEFAULT] state_dir is pinned to a
 * temp dir first so a developer's ./state/nubis.conf never leaks in. */
#include "nbt.h"

#ifndef NB_SOURCE_ROOT
#error "NB_SOURCE_ROOT must name the source tree (set by tests/unit/meson.build)"
#endif

static char *nbt_state;

static int nbt_setup(void **state)
{
    (void)state;
    nbt_state = nbt_conf_isolated();
    return 0;
}

static int nbt_teardown(void **state)
{
    (void)state;
    nbt_rmrf(nbt_state);
    free(nbt_state);
    return 0;
}

/* Loads 'text' as the --config file; returns nb_conf_load's result. */
static int nbt_load_text(const char *text)
{
    char *dir = nbt_tmpdir(), *path = nbt_write(dir, "test.conf", text);
    int r = nb_conf_load(path);
    nbt_rmrf(dir);
    free(path);
    free(dir);
    return r;
}

static void test_conf_defaults_without_file(void **state)
{
    (void)state;
    assert_int_equal(nb_conf_load(NULL), 0);
    assert_string_equal(nb_conf_str("DEFAULT", "listen"), "127.0.0.1:8080");
    assert_string_equal(nb_conf_str("database", "connection"), "");
    assert_int_equal(nb_conf_int("token", "expiration"), 3600);
    assert_int_equal(nb_conf_int("token", "max_active_keys"), 3);
    assert_true(nb_conf_bool("token", "allow_rescope_scoped_token"));
    assert_string_equal(nb_conf_str("DEFAULT", "log_level"), "INFO");
}

static void test_conf_file_values_override_defaults(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("# a comment\n"
                                   "log_level = DEBUG\n"       /* before any section */
                                   "[token]\n"
                                   "expiration = 60\n"
                                   "allow_rescope_scoped_token = false\n"
                                   "[Database]\n"              /* sections: any case */
                                   "connection = sqlite:/tmp/x.db\n"),
                     0);
    assert_string_equal(nb_conf_str("DEFAULT", "log_level"), "DEBUG");
    assert_int_equal(nb_conf_int("token", "expiration"), 60);
    assert_false(nb_conf_bool("token", "allow_rescope_scoped_token"));
    assert_string_equal(nb_conf_str("database", "connection"), "sqlite:/tmp/x.db");
}

static void test_conf_reload_resets_to_defaults(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("[token]\nexpiration = 60\n"), 0);
    assert_int_equal(nb_conf_load(NULL), 0);
    assert_int_equal(nb_conf_int("token", "expiration"), 3600);
}

static void test_conf_unknown_key_rejected(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("[token]\nexpiraton = 60\n"), -EINVAL);
}

static void test_conf_unknown_section_rejected(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("[tokens]\nexpiration = 60\n"), -EINVAL);
}

static void test_conf_key_in_wrong_section_rejected(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("[database]\nexpiration = 60\n"), -EINVAL);
}

static void test_conf_syntax_error_rejected(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("[token\nexpiration = 60\n"), -EINVAL);
    assert_int_equal(nbt_load_text("[token]\njust words\n"), -EINVAL);
}

static void test_conf_missing_file_rejected(void **state)
{
    (void)state;
    assert_int_equal(nb_conf_load("/nonexistent/nubis.conf"), -ENOENT);
}

static void test_conf_state_dir_file_is_read(void **state)
{
    char *path;
    (void)state;
    path = nbt_write(nbt_state, "nubis.conf", "[identity]\nlist_limit = 25\n");
    assert_int_equal(nb_conf_load(NULL), 0);
    assert_int_equal(nb_conf_int("identity", "list_limit"), 25);
    unlink(path);
    free(path);
    assert_int_equal(nb_conf_load(NULL), 0);
    assert_int_equal(nb_conf_int("identity", "list_limit"), 0);
}

static void test_conf_explicit_file_beats_state_dir_file(void **state)
{
    char *path;
    (void)state;
    path = nbt_write(nbt_state, "nubis.conf",
                     "[identity]\nlist_limit = 25\npassword_hash_opslimit = 7\n");
    assert_int_equal(nbt_load_text("[identity]\nlist_limit = 50\n"), 0);
    assert_int_equal(nb_conf_int("identity", "list_limit"), 50);
    /* what the explicit file does not set still comes from the state dir */
    assert_int_equal(nb_conf_int("identity", "password_hash_opslimit"), 7);
    unlink(path);
    free(path);
}

static void test_conf_pinned_cli_value_beats_files(void **state)
{
    char *path;
    (void)state;
    assert_int_equal(nb_conf_set("DEFAULT", "region", "PinnedOne"), 0);
    path = nbt_write(nbt_state, "nubis.conf", "region = StateDir\n");
    assert_int_equal(nbt_load_text("region = FromConfig\n"), 0);
    assert_string_equal(nb_conf_str("DEFAULT", "region"), "PinnedOne");
    assert_int_equal(nb_conf_load(NULL), 0);         /* survives reloads */
    assert_string_equal(nb_conf_str("DEFAULT", "region"), "PinnedOne");
    unlink(path);
    free(path);
}

static void test_conf_set_unknown_option_rejected(void **state)
{
    (void)state;
    assert_int_equal(nb_conf_set("DEFAULT", "no_such_option", "x"), -ENOENT);
    assert_int_equal(nb_conf_set("nosection", "listen", "x"), -ENOENT);
}

static void test_conf_int_garbage_reads_as_zero(void **state)
{
    (void)state;
    assert_int_equal(nbt_load_text("[token]\nmax_active_keys = lots\n"), 0);
    assert_int_equal(nb_conf_int("token", "max_active_keys"), 0);
}

static char *nbt_sample(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    assert_non_null(f);
    nb_conf_write_sample(f);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* etc/nubis.conf.sample is `nubis config-sample` verbatim; regenerate it
 * with `make sample` after changing an option. */
static void test_conf_sample_file_matches_config_sample(void **state)
{
    char *want = nbt_sample(), *have = NULL;
    (void)state;
    assert_int_equal(nb_file_read(NB_SOURCE_ROOT "/etc/nubis.conf.sample", &have, NULL), 0);
    if (strcmp(have, want) != 0)
        fail_msg("etc/nubis.conf.sample differs from `nubis config-sample`: "
                 "run `make sample`");
    free(have);
    free(want);
}

/* Every "#key = default" line of the sample, uncommented, is a valid
 * config that yields the defaults: the sample documents real options. */
static void test_conf_sample_uncommented_loads_as_defaults(void **state)
{
    char *sample = nbt_sample(), *line, *save = NULL;
    struct nb_buf conf = {0};
    int options = 0;
    (void)state;
    for (line = strtok_r(sample, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '[') {
            nb_buf_printf(&conf, "%s\n", line);
        } else if (line[0] == '#' && line[1] != ' ' && strstr(line, " = ")) {
            nb_buf_printf(&conf, "%s\n", line + 1);
            options++;
        }
    }
    assert_true(options >= 20);
    assert_int_equal(nbt_load_text(conf.buf), 0);
    assert_string_equal(nb_conf_str("DEFAULT", "listen"), "127.0.0.1:8080");
    assert_int_equal(nb_conf_int("token", "expiration"), 3600);
    nb_buf_free(&conf);
    free(sample);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_defaults_without_file),
        cmocka_unit_test(test_conf_file_values_override_defaults),
        cmocka_unit_test(test_conf_reload_resets_to_defaults),
        cmocka_unit_test(test_conf_unknown_key_rejected),
        cmocka_unit_test(test_conf_unknown_section_rejected),
        cmocka_unit_test(test_conf_key_in_wrong_section_rejected),
        cmocka_unit_test(test_conf_syntax_error_rejected),
        cmocka_unit_test(test_conf_missing_file_rejected),
        cmocka_unit_test(test_conf_state_dir_file_is_read),
        cmocka_unit_test(test_conf_explicit_file_beats_state_dir_file),
        cmocka_unit_test(test_conf_pinned_cli_value_beats_files),
        cmocka_unit_test(test_conf_set_unknown_option_rejected),
        cmocka_unit_test(test_conf_int_garbage_reads_as_zero),
        cmocka_unit_test(test_conf_sample_file_matches_config_sample),
        cmocka_unit_test(test_conf_sample_uncommented_loads_as_defaults),
    };
    return NBT_MAIN("conf", tests, nbt_setup, nbt_teardown);
}
