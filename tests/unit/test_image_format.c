/* The image format inspector (src/image/format.c): formats recognised from
 * their headers, virtual sizes, the qcow2 and VMDK images that must never
 * reach QEMU, and which data may be stored as which disk_format. */
#include "nbt.h"
#include "image/internal.h"

#define HEAD 4096

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* A qcow2 v3 header of 1 GiB with no extension. */
static void qcow2_v3(unsigned char *h)
{
    memset(h, 0, HEAD);
    memcpy(h, "QFI\xfb", 4);
    put_be32(h + 4, 3);
    put_be32(h + 20, 16);
    put_be64(h + 24, 1ull << 30);
    put_be32(h + 96, 4);
    put_be32(h + 100, 104);
}

static void inspect(const unsigned char *h, size_t n, struct nb_img_format *f)
{
    nb_img_inspect(h, n, h, n < 512 ? n : 512, f);
}

static void test_image_format_qcow2_virtual_size(void **state)
{
    unsigned char h[HEAD];
    struct nb_img_format f;
    (void)state;
    qcow2_v3(h);
    inspect(h, sizeof(h), &f);
    assert_string_equal(f.name, "qcow2");
    assert_false(f.unsafe);
    assert_int_equal(f.virtual_size, 1ll << 30);
    assert_true(nb_img_format_matches("qcow2", &f));
    assert_false(nb_img_format_matches("raw", &f));
    assert_false(nb_img_format_matches("vmdk", &f));
    assert_true(nb_img_format_matches("aki", &f));   /* no inspector */
}

static void test_image_format_qcow2_backing_file_unsafe(void **state)
{
    unsigned char h[HEAD];
    struct nb_img_format f;
    (void)state;
    qcow2_v3(h);
    put_be64(h + 8, 512);
    put_be32(h + 16, 11);
    memcpy(h + 512, "/etc/shadow", 11);
    inspect(h, sizeof(h), &f);
    assert_true(f.unsafe);
    assert_non_null(strstr(f.reason, "backing file"));
    put_be32(h + 4, 2);                               /* v2 too */
    inspect(h, sizeof(h), &f);
    assert_true(f.unsafe);
}

static void test_image_format_qcow2_data_file_unsafe(void **state)
{
    unsigned char h[HEAD];
    struct nb_img_format f;
    (void)state;
    qcow2_v3(h);
    put_be64(h + 72, 1u << 2);                        /* incompatible: data file */
    inspect(h, sizeof(h), &f);
    assert_true(f.unsafe);
    qcow2_v3(h);
    put_be32(h + 104, 0x6803f857);                    /* feature name table, skipped */
    put_be32(h + 108, 3);
    put_be32(h + 120, 0x44415441);                    /* "DATA": external data file */
    put_be32(h + 124, 8);
    memcpy(h + 128, "/dev/sda", 8);
    inspect(h, sizeof(h), &f);
    assert_true(f.unsafe);
    assert_non_null(strstr(f.reason, "data file"));
    inspect(h, 100, &f);                              /* v3 header cut short */
    assert_true(f.unsafe);
}

static void test_image_format_vmdk_create_types(void **state)
{
    const char *flat = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n"
                       "RW 2048 FLAT \"/etc/passwd\" 0\n";
    const char *sparse = "# Disk DescriptorFile\ncreateType=\"streamOptimized\"\n";
    struct nb_img_format f;
    (void)state;
    inspect((const unsigned char *)flat, strlen(flat), &f);
    assert_string_equal(f.name, "vmdk");
    assert_true(f.unsafe);
    inspect((const unsigned char *)sparse, strlen(sparse), &f);
    assert_false(f.unsafe);
}

static void test_image_format_others_and_raw(void **state)
{
    unsigned char h[0x9000];
    struct nb_img_format f;
    (void)state;
    memset(h, 0, sizeof(h));
    memcpy(h, "vhdxfile", 8);
    inspect(h, 600, &f);
    assert_string_equal(f.name, "vhdx");
    assert_false(nb_img_format_matches("vmdk", &f));
    memset(h, 0, sizeof(h));
    memcpy(h + 0x8001, "CD001", 5);
    inspect(h, sizeof(h), &f);
    assert_string_equal(f.name, "iso");
    assert_true(nb_img_format_matches("raw", &f));
    assert_false(nb_img_format_matches("vdi", &f));
    memset(h, 'r', sizeof(h));
    inspect(h, sizeof(h), &f);
    assert_string_equal(f.name, "raw");
    assert_false(f.unsafe);
    assert_true(nb_img_format_matches("raw", &f));
    assert_true(nb_img_format_matches("vhd", &f));
    assert_false(nb_img_format_matches("qcow2", &f));
    /* a fixed VHD is known by its footer */
    memcpy(h + sizeof(h) - 512, "conectix", 8);
    put_be64(h + sizeof(h) - 512 + 48, 1ull << 26);
    nb_img_inspect(h, 4096, h + sizeof(h) - 512, 512, &f);
    assert_string_equal(f.name, "vhd");
    assert_int_equal(f.virtual_size, 1ll << 26);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_format_qcow2_virtual_size),
        cmocka_unit_test(test_image_format_qcow2_backing_file_unsafe),
        cmocka_unit_test(test_image_format_qcow2_data_file_unsafe),
        cmocka_unit_test(test_image_format_vmdk_create_types),
        cmocka_unit_test(test_image_format_others_and_raw),
    };
    return NBT_MAIN("image_format", tests, NULL, NULL);
}
