/* compute/virt/configdrive.c: a real ISO built with genisoimage and read
 * back with isoinfo (Rock Ridge names, as a guest mounting it sees them). */
#include "nbt.h"
#include "compute/virt/configdrive.h"

#include <dirent.h>
#include <sys/stat.h>

/* The output of `sh -c CMD` (a new string; NULL when it fails). */
static char *nbt_sh(const char *cmd)
{
    struct nb_buf b = {0};
    char chunk[4096];
    size_t n;
    FILE *p = popen(cmd, "r");

    if (!p)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        nb_buf_add(&b, chunk, n);
    nb_buf_add(&b, "", 0);
    if (pclose(p) != 0) {
        nb_buf_free(&b);
        return NULL;
    }
    return nb_buf_steal(&b);
}

/* File 'path' of the ISO (Rock Ridge name) as a new string. */
static char *nbt_iso_cat(const char *iso, const char *path)
{
    char *cmd = nb_xasprintf("isoinfo -R -i '%s' -x '%s'", iso, path);
    char *out = nbt_sh(cmd);
    free(cmd);
    assert_non_null(out);
    return out;
}

/* File 'path' of the ISO parsed as JSON (a new reference). */
static json_t *nbt_iso_json(const char *iso, const char *path)
{
    char *text = nbt_iso_cat(iso, path);
    json_t *doc = json_loads(text, 0, NULL);
    if (!doc)
        fail_msg("%s is not JSON: %s", path, text);
    free(text);
    return doc;
}

/* Names in directory 'dir' (beside the ISO), one count. */
static int nbt_dir_count(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* A guest as the agent describes it: two ports, one on a DHCP subnet and
 * one on a static subnet, a key, metadata and user data that need quoting. */
/* "#!/bin/sh\necho hi <&>\n" */
#define NBT_USER_DATA "IyEvYmluL3NoCmVjaG8gaGkgPCY+Cg=="

struct nbt_guest {
    json_t *ports, *meta;
    struct nb_virt_guest g;
};

static void nbt_guest_init(struct nbt_guest *t, const char *user_data)
{
    t->ports = json_pack(
        "[{s:s,s:s,s:s,s:i,s:s,s:[{s:s,s:s,s:i}]},"
        " {s:s,s:s,s:s,s:i,s:s,s:[{s:s,s:s,s:i,s:b,s:s,s:s,s:[s,s]}]}]",
        "port_id", "11111111-2222-3333-4444-555555555555", "network_id", "net-a",
        "mac", "fa:16:3e:00:00:01", "mtu", 1450, "ifname", "tap11111111-22",
        "fixed_ips", "ip_address", "10.0.0.5", "subnet_id", "sub-a", "version", 4,
        "port_id", "66666666-7777-8888-9999-000000000000", "network_id", "net-b",
        "mac", "fa:16:3e:00:00:02", "mtu", 1500, "ifname", "tap66666666-77",
        "fixed_ips", "ip_address", "192.168.7.9", "subnet_id", "sub-b", "version", 4,
        "enable_dhcp", 0, "cidr", "192.168.7.0/24", "gateway_ip", "192.168.7.1",
        "dns_nameservers", "192.0.2.53", "192.0.2.54");
    t->meta = json_pack("{s:s,s:s}", "role", "<web> & \"db\"", "ünï", "cödé");
    t->g = (struct nb_virt_guest){
        .uuid = "0b5c9f2e-1a6d-4c7e-9d7f-3e2a1b0c9d8e",
        .name = "vm 'one' <&>",
        .hostname = "vm-one",
        .vcpus = 1, .memory_mb = 256,
        .ports = t->ports,
        .metadata = t->meta,
        .user_data = user_data,
        .key_name = "k1",
        .key_data = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample nubis@test",
        .project_id = "p0",
        .availability_zone = "nova",
        .launch_index = 2,
    };
}

/* Each test's state: a temp dir, the ISO path in it, and a guest. */
struct nbt_cd {
    char *dir, *iso, *err;
    struct nbt_guest t;
};

static int nbt_cd_setup(void **state)
{
    struct nbt_cd *cd = nb_xcalloc(1, sizeof(*cd));
    cd->dir = nbt_tmpdir();
    cd->iso = nb_xasprintf("%s/disk.config", cd->dir);
    nbt_guest_init(&cd->t, NBT_USER_DATA);
    *state = cd;
    return 0;
}

static int nbt_cd_teardown(void **state)
{
    struct nbt_cd *cd = *state;
    json_decref(cd->t.ports);
    json_decref(cd->t.meta);
    nbt_rmrf(cd->dir);
    free(cd->dir);
    free(cd->iso);
    free(cd->err);
    free(cd);
    return 0;
}

/* Builds the ISO of the fixture's guest, which must succeed. */
static void nbt_cd_build(struct nbt_cd *cd)
{
    assert_int_equal(nb_virt_configdrive_build(&cd->t.g, cd->iso, &cd->err), 0);
    assert_null(cd->err);
}

static void test_configdrive_iso_label_and_extensions(void **state)
{
    struct nbt_cd *cd = *state;
    char *cmd = nb_xasprintf("isoinfo -d -i '%s'", cd->iso), *info;

    nbt_cd_build(cd);
    info = nbt_sh(cmd);
    assert_non_null(info);
    assert_non_null(strstr(info, "Volume id: config-2\n"));
    assert_non_null(strstr(info, "Joliet"));
    assert_non_null(strstr(info, "Rock Ridge"));
    /* only the ISO is left: no temporary tree, no temporary image */
    assert_int_equal(nbt_dir_count(cd->dir), 1);
    free(info);
    free(cmd);
}

static void test_configdrive_meta_data_as_nova(void **state)
{
    struct nbt_cd *cd = *state;
    const struct nb_virt_guest *g = &cd->t.g;
    json_t *md, *old;

    nbt_cd_build(cd);
    md = nbt_iso_json(cd->iso, "/openstack/latest/meta_data.json");
    assert_string_equal(nb_json_str(md, "uuid"), g->uuid);
    assert_string_equal(nb_json_str(md, "name"), "vm 'one' <&>");
    assert_string_equal(nb_json_str(md, "hostname"), "vm-one");
    assert_string_equal(nb_json_str(md, "project_id"), "p0");
    assert_string_equal(nb_json_str(md, "availability_zone"), "nova");
    assert_int_equal(json_integer_value(json_object_get(md, "launch_index")), 2);
    assert_true(json_equal(json_object_get(md, "meta"), cd->t.meta));
    assert_string_equal(nb_json_str(json_object_get(md, "public_keys"), "k1"), g->key_data);
    assert_string_equal(nb_json_str(json_array_get(json_object_get(md, "keys"), 0), "data"),
                        g->key_data);
    assert_true(json_is_array(json_object_get(md, "devices")));
    assert_int_equal(strlen(nb_json_str(md, "random_seed")), 684);     /* 512 bytes */
    /* an older version has what that version had, and the same seed */
    old = nbt_iso_json(cd->iso, "/openstack/2012-08-10/meta_data.json");
    assert_string_equal(nb_json_str(old, "uuid"), g->uuid);
    assert_null(json_object_get(old, "random_seed"));
    assert_null(json_object_get(old, "keys"));
    json_decref(old);
    old = nbt_iso_json(cd->iso, "/openstack/2013-04-04/meta_data.json");
    assert_string_equal(nb_json_str(old, "random_seed"), nb_json_str(md, "random_seed"));
    json_decref(old);
    json_decref(md);
    md = nbt_iso_json(cd->iso, "/openstack/latest/vendor_data.json");
    assert_int_equal(json_object_size(md), 0);
    json_decref(md);
}

static void test_configdrive_user_data_decoded(void **state)
{
    struct nbt_cd *cd = *state;
    char *ud;

    nbt_cd_build(cd);
    ud = nbt_iso_cat(cd->iso, "/openstack/latest/user_data");
    assert_string_equal(ud, "#!/bin/sh\necho hi <&>\n");
    free(ud);
    ud = nbt_iso_cat(cd->iso, "/openstack/2012-08-10/user_data");
    assert_string_equal(ud, "#!/bin/sh\necho hi <&>\n");
    free(ud);
}

static void test_configdrive_network_data_as_nova(void **state)
{
    struct nbt_cd *cd = *state;
    char *cmd = nb_xasprintf("isoinfo -R -f -i '%s' | grep -c user_data", cd->iso);
    json_t *nd, *want;

    cd->t.g.user_data = NULL;
    nbt_cd_build(cd);
    nd = nbt_iso_json(cd->iso, "/openstack/latest/network_data.json");
    want = json_pack(
        "{s:[{s:s,s:s,s:s,s:i,s:s},{s:s,s:s,s:s,s:i,s:s}],"
        " s:[{s:s,s:s,s:s,s:s},"
        "    {s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s}],s:s,s:[{s:s,s:s},{s:s,s:s}]}],"
        " s:[{s:s,s:s},{s:s,s:s}]}",
        "links",
        "id", "tap11111111-22", "vif_id", "11111111-2222-3333-4444-555555555555",
        "type", "bridge", "mtu", 1450, "ethernet_mac_address", "fa:16:3e:00:00:01",
        "id", "tap66666666-77", "vif_id", "66666666-7777-8888-9999-000000000000",
        "type", "bridge", "mtu", 1500, "ethernet_mac_address", "fa:16:3e:00:00:02",
        "networks",
        "id", "network0", "type", "ipv4_dhcp", "link", "tap11111111-22",
        "network_id", "net-a",
        "id", "network1", "type", "ipv4", "link", "tap66666666-77",
        "ip_address", "192.168.7.9", "netmask", "255.255.255.0",
        "routes", "network", "0.0.0.0", "netmask", "0.0.0.0", "gateway", "192.168.7.1",
        "network_id", "net-b",
        "services", "type", "dns", "address", "192.0.2.53", "type", "dns", "address",
        "192.0.2.54",
        "services", "type", "dns", "address", "192.0.2.53", "type", "dns", "address",
        "192.0.2.54");
    if (!json_equal(nd, want))
        fail_msg("network_data.json: %s", json_dumps(nd, JSON_SORT_KEYS));
    /* no user data: no user_data file (grep -c prints 0 and exits 1) */
    assert_null(nbt_sh(cmd));
    free(cmd);
    json_decref(want);
    json_decref(nd);
}

static void test_configdrive_replaces_existing_iso(void **state)
{
    struct nbt_cd *cd = *state;
    json_t *md;

    free(nbt_write(cd->dir, "disk.config", "old bytes"));
    cd->t.g.key_name = NULL;
    cd->t.g.metadata = NULL;
    cd->t.g.availability_zone = NULL;
    nbt_cd_build(cd);
    md = nbt_iso_json(cd->iso, "/openstack/latest/meta_data.json");
    assert_null(json_object_get(md, "public_keys"));
    assert_true(json_is_null(json_object_get(md, "availability_zone")));
    assert_int_equal(json_object_size(json_object_get(md, "meta")), 0);
    json_decref(md);
    assert_int_equal(nbt_dir_count(cd->dir), 1);
}

static void test_configdrive_bad_user_data_einval_nothing_written(void **state)
{
    struct nbt_cd *cd = *state;

    cd->t.g.user_data = "not base64!";
    assert_int_equal(nb_virt_configdrive_build(&cd->t.g, cd->iso, &cd->err), -EINVAL);
    assert_non_null(cd->err);
    assert_non_null(strstr(cd->err, "user_data"));
    assert_int_equal(nbt_dir_count(cd->dir), 0);
}

static void test_configdrive_unwritable_dir_fails_with_message(void **state)
{
    struct nbt_cd *cd = *state;

    assert_true(nb_virt_configdrive_build(&cd->t.g, "/nonexistent-nubis/x/disk.config",
                                          &cd->err) < 0);
    assert_non_null(cd->err);
    assert_non_null(strstr(cd->err, cd->t.g.uuid));
}

#define NBT_CD_TEST(f) cmocka_unit_test_setup_teardown(f, nbt_cd_setup, nbt_cd_teardown)

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        NBT_CD_TEST(test_configdrive_iso_label_and_extensions),
        NBT_CD_TEST(test_configdrive_meta_data_as_nova),
        NBT_CD_TEST(test_configdrive_user_data_decoded),
        NBT_CD_TEST(test_configdrive_network_data_as_nova),
        NBT_CD_TEST(test_configdrive_replaces_existing_iso),
        NBT_CD_TEST(test_configdrive_bad_user_data_einval_nothing_written),
        NBT_CD_TEST(test_configdrive_unwritable_dir_fails_with_message),
    };
    return NBT_MAIN("compute_configdrive", tests, NULL, NULL);
}
