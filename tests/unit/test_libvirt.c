/* compute/virt: the libvirt driver's domain XML (compared byte for byte
 * with tests/unit/libvirt_domain.xml) and its disk helpers (the image
 * cache, checksums, qemu-img overlays, growth and export). */
#include "nbt.h"
#include "compute/virt/libvirt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#ifndef NB_SOURCE_ROOT
#error "NB_SOURCE_ROOT must name the source tree (set by tests/unit/meson.build)"
#endif

static char *nbt_escape(const char *s)
{
    struct nb_buf b = {0};
    nb_lv_xml_escape(&b, s);
    nb_buf_add(&b, "", 0);
    return nb_buf_steal(&b);
}

static void test_xml_escape_the_five_and_control_characters(void **state)
{
    char *got;
    (void)state;
    got = nbt_escape("a<b>&'\"c\x01\td");
    assert_string_equal(got, "a&lt;b&gt;&amp;&apos;&quot;c \td");
    free(got);
    got = nbt_escape("");
    assert_string_equal(got, "");
    free(got);
}

/* A guest whose every name holds the XML special characters, booted from
 * a kernel, with a root, an ephemeral disk, a config drive and two ports. */
static void test_domain_xml_matches_reference(void **state)
{
    json_t *ports = json_pack("[{s:s,s:s,s:s,s:i},{s:s,s:s,s:s}]",
                              "port_id", "p1", "mac", "fa:16:3e:00:00:01", "ifname",
                              "tapp1", "mtu", 1450,
                              "port_id", "p<2>", "mac", "fa:16:3e:00:00:02", "ifname",
                              "tapp2");
    struct nb_lv_domain d = {
        .type = "qemu", .name = "instance-<&>", .uuid = "8f6a6a4e-0000-4000-8000-000000000001",
        .hostname = "vm'1\"&<x>", .project_id = "proj&", .vcpus = 2, .memory_mb = 256,
        .kernel = "/s/_base/k&1", .initrd = "/s/_base/r<1>", .cmdline = "console=ttyS0 a='b'",
        .disks = {{"/s/i/disk", "qcow2", "vda", false}, {"/s/i/disk.eph0", "qcow2", "vdb", false},
                  {"/s/i/disk.config", "raw", "hdd", true}},
        .ndisks = 3, .ports = ports, .console_log = "/s/i/console&.log",
    };
    char *got = nb_lv_domain_xml(&d), *want = NULL;
    (void)state;

    assert_int_equal(nb_file_read(NB_SOURCE_ROOT "/tests/unit/libvirt_domain.xml", &want, NULL),
                     0);
    assert_string_equal(got, want);
    free(got);
    free(want);
    json_decref(ports);
}

static void test_domain_xml_disk_boot_without_kernel(void **state)
{
    struct nb_lv_domain d = {
        .type = "kvm", .name = "n", .uuid = "u", .vcpus = 1, .memory_mb = 64,
        .disks = {{"/d", "qcow2", "vda", false}}, .ndisks = 1, .console_log = "/c",
    };
    char *got = nb_lv_domain_xml(&d);
    (void)state;

    assert_non_null(strstr(got, "<domain type='kvm'>"));
    assert_non_null(strstr(got, "<boot dev='hd'/>"));
    assert_null(strstr(got, "<kernel>"));
    assert_null(strstr(got, "<title>"));
    assert_null(strstr(got, "<interface"));
    free(got);
}

static void test_interface_xml_needs_mac_and_tap(void **state)
{
    struct nb_buf b = {0};
    json_t *p = json_pack("{s:s,s:s}", "port_id", "p1", "mac", "fa:16:3e:00:00:01");
    (void)state;

    assert_int_equal(nb_lv_interface_xml(&b, p), -EINVAL);
    json_object_set_new(p, "ifname", json_string("tapp1"));
    assert_int_equal(nb_lv_interface_xml(&b, p), 0);
    assert_non_null(strstr(b.buf, "<target dev='tapp1' managed='no'/>"));
    assert_non_null(strstr(b.buf, "<alias name='ua-p1'/>"));
    assert_null(strstr(b.buf, "<mtu"));
    nb_buf_free(&b);
    json_decref(p);
}

/* ---- disk helpers */

static int nbt_fd_of(const char *dir, const char *name, const char *text)
{
    char *path = nbt_write(dir, name, text);
    int fd = open(path, O_RDONLY);
    free(path);
    return fd;
}

static void test_checksum_verify_md5_and_os_hash(void **state)
{
    char *dir = nbt_tmpdir(), *err = NULL;
    int fd = nbt_fd_of(dir, "img", "hello\n");
    json_t *md5 = json_pack("{s:s,s:s}", "id", "i1", "checksum",
                            "b1946ac92492d2347c6235b4d2611184");
    json_t *sha = json_pack("{s:s,s:s,s:s}", "id", "i1", "os_hash_algo", "sha256",
                            "os_hash_value",
                            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    json_t *bad = json_pack("{s:s,s:s}", "id", "i1", "checksum",
                            "00000000000000000000000000000000");
    json_t *none = json_pack("{s:s}", "id", "i1");
    (void)state;

    assert_int_equal(nb_lv_checksum_verify(md5, fd, &err), 0);
    assert_int_equal(nb_lv_checksum_verify(sha, fd, &err), 0);
    assert_int_equal(nb_lv_checksum_verify(none, fd, &err), 0);
    assert_null(err);
    assert_int_equal(nb_lv_checksum_verify(bad, fd, &err), -EBADMSG);
    assert_non_null(strstr(err, "corrupt"));
    free(err);
    close(fd);
    json_decref(md5);
    json_decref(sha);
    json_decref(bad);
    json_decref(none);
    nbt_rmrf(dir);
    free(dir);
}

static void test_run_reports_output_of_a_failure(void **state)
{
    const char *ok[] = {"echo", "hi", NULL};
    const char *fail[] = {"sh", "-c", "echo oops >&2; exit 3", NULL};
    const char *missing[] = {"/nonexistent/tool", NULL};
    char *out = NULL, *err = NULL;
    (void)state;

    assert_int_equal(nb_lv_run(ok, &out, &err), 0);
    assert_string_equal(out, "hi\n");
    free(out);
    assert_int_equal(nb_lv_run(fail, &out, &err), -EIO);
    assert_null(out);
    assert_non_null(strstr(err, "oops"));
    free(err);
    err = NULL;
    assert_true(nb_lv_run(missing, NULL, &err) < 0);
    assert_non_null(err);
    free(err);
}

static void test_overlay_grows_to_root_gb_and_refuses_backing_files(void **state)
{
    char *dir = nbt_tmpdir(), *err = NULL, fmt[16];
    char *base = nb_xasprintf("%s/base", dir), *disk = nb_xasprintf("%s/disk", dir);
    char *disk2 = nb_xasprintf("%s/disk2", dir);
    const char *mk[] = {"qemu-img", "create", "-q", "-f", "raw", base, "1M", NULL};
    int64_t vsize = 0;
    (void)state;

    assert_int_equal(nb_lv_run(mk, NULL, &err), 0);
    assert_int_equal(nb_lv_img_info(base, "raw", fmt, &vsize, &err), 0);
    assert_string_equal(fmt, "raw");
    assert_int_equal(vsize, 1 << 20);
    /* root_gb 0: the image's size; then root_gb 1: grown */
    assert_int_equal(nb_lv_img_overlay(base, "raw", disk, 0, &err), 0);
    assert_int_equal(nb_lv_img_info(disk, "qcow2", fmt, &vsize, &err), -EPERM);
    assert_non_null(strstr(err, "backing"));
    free(err);
    err = NULL;
    assert_int_equal(nb_lv_img_overlay(base, "raw", disk2, 1, &err), 0);
    assert_int_equal(nb_lv_img_grow(disk, 2, &err), 0);
    assert_int_equal(nb_lv_img_grow(disk, 1, &err), 0);     /* never shrinks */
    {
        const char *info[] = {"qemu-img", "info", "--output=json", disk, NULL};
        char *out = NULL;
        json_t *j;
        assert_int_equal(nb_lv_run(info, &out, &err), 0);
        j = json_loads(out, 0, NULL);
        assert_int_equal(json_integer_value(json_object_get(j, "virtual-size")), 2LL << 30);
        json_decref(j);
        free(out);
    }
    /* a qcow2 image said to be qcow2 but really raw is refused */
    assert_int_equal(nb_lv_img_overlay(base, "qcow2", disk2, 0, &err), -EINVAL);
    free(err);
    free(base);
    free(disk);
    free(disk2);
    nbt_rmrf(dir);
    free(dir);
}

static void test_export_writes_the_asked_format(void **state)
{
    char *dir = nbt_tmpdir(), *err = NULL, fmt[16];
    char *disk = nb_xasprintf("%s/disk", dir), *out = nb_xasprintf("%s/out", dir);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int64_t vsize = 0;
    struct stat st;
    (void)state;

    assert_int_equal(nb_lv_img_blank(disk, 2, &err), 0);
    assert_int_equal(nb_lv_img_export(disk, "raw", fd, false, &err), 0);
    close(fd);
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, 2 << 20);
    assert_int_equal(nb_lv_img_info(out, NULL, fmt, &vsize, &err), 0);
    assert_string_equal(fmt, "raw");
    /* the temporary is gone; an unknown format is refused */
    assert_int_equal(access(disk, F_OK), 0);
    fd = open(out, O_WRONLY | O_TRUNC);
    assert_int_equal(nb_lv_img_export(disk, "vmdk", fd, false, &err), -EINVAL);
    free(err);
    close(fd);
    free(disk);
    free(out);
    nbt_rmrf(dir);
    free(dir);
}

static void test_cache_uses_what_it_has_and_refuses_odd_ids(void **state)
{
    char *dir = nbt_tmpdir(), *err = NULL, *path = NULL, *have;
    struct nb_lv_cache *c = nb_lv_cache_new(dir);
    (void)state;

    have = nbt_write(dir, "img-1", "data");
    /* already cached: no image service call (ctx NULL would crash) */
    assert_int_equal(nb_lv_cache_fetch(c, NULL, "img-1", &path, &err), 0);
    assert_string_equal(path, have);
    free(path);
    nb_lv_cache_release(c, "img-1");
    assert_int_equal(nb_lv_cache_fetch(c, NULL, "../etc", &path, &err), -EINVAL);
    assert_null(path);
    free(err);
    err = NULL;
    assert_int_equal(nb_lv_cache_fetch(c, NULL, "", &path, &err), -EINVAL);
    free(err);
    nb_lv_cache_free(c);
    free(have);
    nbt_rmrf(dir);
    free(dir);
}

/* A file of 'dir' last used 'age_s' seconds ago. */
static char *nbt_aged(const char *dir, const char *name, long age_s)
{
    char *p = nbt_write(dir, name, "base");
    struct timespec ts[2] = {{.tv_sec = time(NULL) - age_s}, {.tv_sec = time(NULL) - age_s}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    return p;
}

static time_t nbt_mtime(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mtime;
}

/* Nova's image cache manager: a base no instance uses goes once it has
 * been unused for the minimum age; one a qcow2 disk is backed by (root,
 * rescue, resize leftover), one boot.json or rescue.json names (kernel,
 * ramdisk), a young one and one a build has pinned stay. */
static void test_cache_age_removes_only_unused_old_bases(void **state)
{
    char *dir = nbt_tmpdir(), *err = NULL, *path = NULL;
    char *base = nb_xasprintf("%s/_base", dir);
    char *i1 = nb_xasprintf("%s/11111111-1111-1111-1111-111111111111", dir);
    char *i2 = nb_xasprintf("%s/22222222-2222-2222-2222-222222222222", dir);
    char *b[8], *disk, *resize, *rescue, *j1, *j2;
    struct nb_lv_cache *c;
    int removed = -1;
    long day = 86400;
    (void)state;

    assert_int_equal(nb_mkdir_p(base, 0755), 0);
    assert_int_equal(nb_mkdir_p(i1, 0700), 0);
    assert_int_equal(nb_mkdir_p(i2, 0700), 0);
    c = nb_lv_cache_new(base);
    b[0] = nbt_aged(base, "root", 2 * day);          /* i1's disk */
    b[1] = nbt_aged(base, "gone", 2 * day);          /* nobody's: removed */
    b[2] = nbt_aged(base, "kernel", 2 * day);        /* i1's boot.json */
    b[3] = nbt_aged(base, "ramdisk", 2 * day);       /* i2's rescue.json */
    b[4] = nbt_aged(base, "young", 60);              /* nobody's, too young */
    b[5] = nbt_aged(base, "pinned", 2 * day);        /* a build in flight */
    b[6] = nbt_aged(base, "rescue", 2 * day);        /* i2's disk.rescue */
    b[7] = nbt_aged(base, "gone.part", 2 * day);     /* a dead download */
    /* real qcow2 overlays; disk.resize is a copy of one (a resize leftover) */
    disk = nb_xasprintf("%s/disk", i1);
    resize = nb_xasprintf("%s/disk.resize", i2);
    rescue = nb_xasprintf("%s/disk.rescue", i2);
    assert_int_equal(nb_lv_img_overlay(b[0], "raw", disk, 0, &err), 0);
    assert_int_equal(nb_lv_img_overlay(b[0], "raw", resize, 0, &err), 0);
    assert_int_equal(nb_lv_img_overlay(b[6], "raw", rescue, 0, &err), 0);
    j1 = nbt_write(i1, "boot.json", "{\"id\": \"root\", \"kernel_id\": \"kernel\"}");
    j2 = nbt_write(i2, "rescue.json", "{\"id\": \"rescue\", \"ramdisk_id\": \"ramdisk\"}");
    free(nbt_write(i2, "console.log", "QFI"));        /* not a qcow2: ignored */
    assert_int_equal(nb_lv_cache_fetch(c, NULL, "pinned", &path, &err), 0);

    assert_int_equal(nb_lv_cache_age(c, dir, day, &removed), 0);
    assert_int_equal(removed, 2);
    assert_int_not_equal(access(b[1], F_OK), 0);
    assert_int_not_equal(access(b[7], F_OK), 0);
    for (int i = 0; i < 8; i++)
        if (i != 1 && i != 7)
            assert_int_equal(access(b[i], F_OK), 0);
    /* a base seen in use counts as used now */
    assert_true(nbt_mtime(b[0]) > time(NULL) - 60);

    /* released, the pinned one goes once old; the instances gone, their
     * bases go once unused for the minimum age, not before */
    nb_lv_cache_release(c, "pinned");
    {
        struct timespec ts[2] = {{.tv_sec = time(NULL) - 2 * day}, {.tv_sec = time(NULL) - 2 * day}};
        assert_int_equal(utimensat(AT_FDCWD, b[5], ts, 0), 0);
    }
    nbt_rmrf(i1);
    nbt_rmrf(i2);
    assert_int_equal(nb_lv_cache_age(c, dir, day, &removed), 0);
    assert_int_equal(removed, 1);                    /* the pinned one */
    assert_int_not_equal(access(b[5], F_OK), 0);
    for (int i = 0; i < 5; i++)                       /* used a moment ago, or young */
        if (i != 1)
            assert_int_equal(access(b[i], F_OK), 0);
    assert_int_equal(access(b[6], F_OK), 0);
    assert_int_equal(nb_lv_cache_age(c, dir, 0, &removed), 0);
    assert_int_equal(removed, 5);                    /* root, kernel, ramdisk, young, rescue */
    assert_int_equal(access(base, F_OK), 0);
    free(path);
    for (int i = 0; i < 8; i++)
        free(b[i]);
    free(disk);
    free(resize);
    free(rescue);
    free(j1);
    free(j2);
    nb_lv_cache_free(c);
    free(base);
    free(i1);
    free(i2);
    nbt_rmrf(dir);
    free(dir);
}

static void test_rmtree_is_idempotent(void **state)
{
    char *dir = nbt_tmpdir(), *sub = nb_xasprintf("%s/a/b", dir), *f;
    (void)state;

    assert_int_equal(nb_mkdir_p(sub, 0700), 0);
    f = nbt_write(sub, "x", "1");
    assert_int_equal(nb_lv_rmtree(dir), 0);
    assert_int_not_equal(access(dir, F_OK), 0);
    assert_int_equal(nb_lv_rmtree(dir), 0);
    free(f);
    free(sub);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_escape_the_five_and_control_characters),
        cmocka_unit_test(test_domain_xml_matches_reference),
        cmocka_unit_test(test_domain_xml_disk_boot_without_kernel),
        cmocka_unit_test(test_interface_xml_needs_mac_and_tap),
        cmocka_unit_test(test_checksum_verify_md5_and_os_hash),
        cmocka_unit_test(test_run_reports_output_of_a_failure),
        cmocka_unit_test(test_overlay_grows_to_root_gb_and_refuses_backing_files),
        cmocka_unit_test(test_export_writes_the_asked_format),
        cmocka_unit_test(test_cache_uses_what_it_has_and_refuses_odd_ids),
        cmocka_unit_test(test_cache_age_removes_only_unused_old_bases),
        cmocka_unit_test(test_rmtree_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
