/* image/export.c, the reads compute makes (image.h): nb_image_get with
 * Glance's visibility, nb_image_data_open on an active image's blob; on
 * a temp database and blob store (and PostgreSQL when NUBIS_TEST_PG_URI
 * is set). */
#include "nbt.h"
#include "auth/auth.h"
#include "image/image.h"

#include <sys/stat.h>

static const char *const nbt_member[] = {"member", "reader", NULL};
static const char *const nbt_admin[] = {"admin", "member", "reader", NULL};

struct nbt_img {
    char *dir, *url, *blobdir;
    struct nb_db *db;
    struct nb_blob_store *blobs;
    struct nb_module_env env;
};

static int nbt_setup(void **state)
{
    struct nbt_img *t = nb_xcalloc(1, sizeof(*t));
    t->dir = nbt_tmpdir();
    t->url = nbt_db_url(t->dir, "img");
    t->blobdir = nb_xasprintf("%s/blobs", t->dir);
    assert_int_equal(nb_db_open(t->url, 3, &t->db), 0);
    assert_int_equal(nb_blob_store_open(t->blobdir, &t->blobs), 0);
    assert_int_equal(nb_policy_init(), 0);
    t->env = (struct nb_module_env){.db = t->db, .blobs = t->blobs,
                                    .state_dir = t->dir, .public_url = "http://x",
                                    .region = "RegionOne"};
    assert_int_equal(nb_image_module.init(&t->env), 0);
    *state = t;
    return 0;
}

static int nbt_teardown(void **state)
{
    struct nbt_img *t = *state;
    nb_image_module.shutdown();
    nb_policy_shutdown();
    nb_blob_store_close(t->blobs);
    nb_db_close(t->db);
    nbt_db_drop(t->url);
    nbt_rmrf(t->dir);
    free(t->dir);
    free(t->url);
    free(t->blobdir);
    free(t);
    return 0;
}

/* An image row as the API leaves it ('status', 'visibility', 'owner'). */
static void nbt_image(struct nbt_img *t, const char *id, const char *owner,
                      const char *status, const char *visibility)
{
    struct nb_tx *tx = NULL;
    assert_int_equal(nb_tx_begin(t->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO images (id, name, owner, status,"
                                " visibility, disk_format, container_format, created_at,"
                                " updated_at) VALUES (?, 'img', ?, ?, ?, 'raw', 'bare',"
                                " 1, 1)", "ssss", id, owner, status, visibility), 0);
    assert_int_equal(nb_tx_commit(tx), 0);
}

static void nbt_blob(struct nbt_img *t, const char *id, const char *data)
{
    struct nb_blob_writer *w = NULL;
    assert_int_equal(nb_blob_writer_new(t->blobs, "image", &w), 0);
    assert_int_equal(nb_blob_writer_write(w, data, strlen(data)), 0);
    assert_int_equal(nb_blob_writer_commit(w, id, NULL, 0), 0);
}

static void nbt_member_of(struct nb_ctx *ctx, const char *project)
{
    nbt_caller(ctx, "u1", nbt_member);
    snprintf(ctx->caller.project.id, sizeof(ctx->caller.project.id), "%s", project);
}

static void test_image_get_follows_visibility(void **state)
{
    struct nbt_img *t = *state;
    struct nb_ctx ctx;
    json_t *img = NULL;
    nbt_image(t, "11111111-1111-1111-1111-111111111111", "p1", "active", "private");
    nbt_image(t, "22222222-2222-2222-2222-222222222222", "p1", "active", "public");
    nbt_member_of(&ctx, "p1");
    assert_int_equal(nb_image_get(&ctx, "11111111-1111-1111-1111-111111111111", &img), 0);
    assert_string_equal(nb_json_str(img, "status"), "active");
    assert_string_equal(nb_json_str(img, "disk_format"), "raw");
    json_decref(img);
    /* another project sees the public one, not the private one */
    nbt_member_of(&ctx, "p2");
    assert_int_equal(nb_image_get(&ctx, "22222222-2222-2222-2222-222222222222", &img), 0);
    json_decref(img);
    img = NULL;
    assert_int_equal(nb_image_get(&ctx, "11111111-1111-1111-1111-111111111111", &img),
                     -ENOENT);
    assert_null(img);
    assert_int_equal(ctx.err_status, 404);
    assert_non_null(strstr(ctx.err_msg, "No image found with ID"));
    /* the agent acts with the admin role: it sees every image */
    nbt_caller(&ctx, "u2", nbt_admin);
    assert_int_equal(nb_image_get(&ctx, "11111111-1111-1111-1111-111111111111", &img), 0);
    json_decref(img);
}

static void test_image_data_open_needs_active_data(void **state)
{
    struct nbt_img *t = *state;
    struct nb_ctx ctx;
    uint64_t size = 0;
    char buf[16] = {0};
    int fd = -1;
    nbt_image(t, "33333333-3333-3333-3333-333333333333", "p1", "queued", "private");
    nbt_image(t, "44444444-4444-4444-4444-444444444444", "p1", "active", "private");
    nbt_member_of(&ctx, "p1");
    assert_int_equal(nb_image_data_open(&ctx, "33333333-3333-3333-3333-333333333333",
                                        &fd, &size), -EEXIST);
    assert_int_equal(ctx.err_status, 409);
    nbt_member_of(&ctx, "p1");
    assert_int_equal(nb_image_data_open(&ctx, "44444444-4444-4444-4444-444444444444",
                                        &fd, &size), -ENOENT);     /* no blob */
    nbt_blob(t, "44444444-4444-4444-4444-444444444444", "disk bytes");
    nbt_member_of(&ctx, "p1");
    assert_int_equal(nb_image_data_open(&ctx, "44444444-4444-4444-4444-444444444444",
                                        &fd, &size), 0);
    assert_int_equal(size, 10);
    assert_int_equal(read(fd, buf, size), 10);      /* the first 'size' bytes */
    assert_string_equal(buf, "disk bytes");
    close(fd);
    nbt_member_of(&ctx, "p2");
    assert_int_equal(nb_image_data_open(&ctx, "44444444-4444-4444-4444-444444444444",
                                        &fd, &size), -ENOENT);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_image_get_follows_visibility),
        T(test_image_data_open_needs_active_data),
    };
    return NBT_MAIN("image_export", tests, NULL, NULL);
}
