/* compute/servers*.c: the pure checks of a create (names, base64, IPs,
 * tags, metadata) and Nova's hostname from a server name. */
#include "nbt.h"
#include "compute/servers.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static int nbt_name(const char *s)
{
    struct nb_ctx ctx = {0};
    json_t *v = json_string(s);
    int r = nb_cmp_name_valid(&ctx, "name", v);
    json_decref(v);
    return r;
}

static void test_names(void **state)
{
    char *long_name = malloc(257);
    (void)state;
    assert_int_equal(nbt_name("web-1"), 0);
    assert_int_equal(nbt_name("caf\xc3\xa9 \xc3\x8d\xc3\xb1st"), 0);
    assert_int_equal(nbt_name(""), -EINVAL);
    assert_int_equal(nbt_name(" lead"), -EINVAL);
    assert_int_equal(nbt_name("trail\t"), -EINVAL);
    assert_int_equal(nbt_name("a\x01z"), -EINVAL);
    memset(long_name, 'x', 256);
    long_name[256] = '\0';
    assert_int_equal(nbt_name(long_name), -EINVAL);
    long_name[255] = '\0';
    assert_int_equal(nbt_name(long_name), 0);
    free(long_name);
}

static void test_base64(void **state)
{
    (void)state;
    assert_true(nb_cmp_base64_valid("aGVsbG8="));
    assert_true(nb_cmp_base64_valid("aGVs\nbG8="));
    assert_true(nb_cmp_base64_valid(""));
    assert_false(nb_cmp_base64_valid("aGVsbG8"));       /* padding */
    assert_false(nb_cmp_base64_valid("not base64!"));
    assert_false(nb_cmp_base64_valid("aGVs bG8="));
}

static void test_access_ips_are_canonical(void **state)
{
    struct nb_ctx ctx = {0};
    char out[NB_CMP_IPLEN];
    json_t *v6 = json_string("0000:0000:0000:0000:0000:babe:220.12.22.2");
    json_t *v4 = json_string("192.0.2.1");
    json_t *bad = json_string("1.2.3");
    (void)state;
    assert_int_equal(nb_cmp_access_ip(&ctx, "accessIPv6", v6, AF_INET6, out), 0);
    assert_string_equal(out, "::babe:dc0c:1602");
    assert_int_equal(nb_cmp_access_ip(&ctx, "accessIPv4", v4, AF_INET, out), 0);
    assert_string_equal(out, "192.0.2.1");
    assert_int_equal(nb_cmp_access_ip(&ctx, "accessIPv4", bad, AF_INET, out), -EINVAL);
    assert_int_equal(ctx.err_status, 400);
    assert_true(nb_cmp_is_ip("2001:db8::1", AF_INET6));
    assert_false(nb_cmp_is_ip("2001:db8::1", AF_INET));
    json_decref(v6);
    json_decref(v4);
    json_decref(bad);
}

static void test_tags_and_metadata(void **state)
{
    struct nb_ctx ctx = {0};
    json_t *ok = json_pack("[s,s]", "a", "b c");
    json_t *comma = json_pack("[s]", "a,b");
    json_t *meta_ok = json_pack("{s:s}", "key-1:x. y", "v");
    json_t *meta_bad = json_pack("{s:s}", "k/1", "v");
    json_t *meta_int = json_pack("{s:i}", "k", 1);
    (void)state;
    assert_int_equal(nb_cmp_tags_valid(&ctx, "tags", ok), 0);
    assert_int_equal(nb_cmp_tags_valid(&ctx, "tags", comma), -EINVAL);
    assert_int_equal(nb_cmp_metadata_valid(&ctx, "metadata", meta_ok), 0);
    assert_int_equal(nb_cmp_metadata_valid(&ctx, "metadata", meta_bad), -EINVAL);
    ctx.err_status = 0;
    assert_int_equal(nb_cmp_metadata_valid(&ctx, "metadata", meta_int), -EINVAL);
    json_decref(ok);
    json_decref(comma);
    json_decref(meta_ok);
    json_decref(meta_bad);
    json_decref(meta_int);
}

static void test_hostnames(void **state)
{
    static const char *const cases[][2] = {
        {"Web Server_1.example", "web-server-1-example"},
        {"--x--", "x"},
        {"!!!", "server-abc"},
        {"caf\xc3\xa9", "caf"},
    };
    (void)state;
    for (size_t i = 0; i < NB_ARRAY_SIZE(cases); i++) {
        char *h = nb_cmp_hostname_of(cases[i][0], "abc");
        assert_string_equal(h, cases[i][1]);
        free(h);
    }
    {
        char name[100];
        char *h;
        memset(name, 'a', 99);
        name[99] = '\0';
        h = nb_cmp_hostname_of(name, "abc");
        assert_int_equal(strlen(h), 63);
        free(h);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_access_ips_are_canonical),
        cmocka_unit_test(test_tags_and_metadata),
        cmocka_unit_test(test_hostnames),
    };
    return NBT_MAIN("cmp_servers", tests, NULL, NULL);
}
