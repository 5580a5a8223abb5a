/* The blob store: streamed writes become visible only at commit, abort and
 * crashes leave nothing, metadata travels with the bytes, keys are names. */
#include "nbt.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

struct blob_fixture {
    char *dir;
    struct nb_blob_store *bs;
};

static int setup(void **state)
{
    struct blob_fixture *f = nb_xcalloc(1, sizeof(*f));

    f->dir = nbt_tmpdir();
    assert_int_equal(nb_blob_store_open(f->dir, &f->bs), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct blob_fixture *f = *state;

    nb_blob_store_close(f->bs);
    nbt_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Reads the whole blob into a new buffer. */
static char *read_blob(struct nb_blob_store *bs, const char *ns,
                       const char *key, uint64_t *size)
{
    int fd;
    char *buf;

    assert_int_equal(nb_blob_open(bs, ns, key, &fd, size), 0);
    buf = nb_xmalloc(*size + 1);
    assert_int_equal(pread(fd, buf, *size, 0), (ssize_t)*size);
    buf[*size] = '\0';
    close(fd);
    return buf;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_blob_roundtrip_with_meta(void **state)
{
    struct blob_fixture *f = *state;
    struct nb_blob_writer *w;
    char *big = nb_xmalloc(1 << 20), *got, *meta;
    uint64_t size;
    size_t mlen;
    int fd;

    for (int i = 0; i < (1 << 20); i++)
        big[i] = (char)(i * 7);
    assert_int_equal(nb_blob_writer_new(f->bs, "image", &w), 0);
    for (int i = 0; i < 3; i++)     /* 3 MiB in 1 MiB chunks crosses buffers */
        assert_int_equal(nb_blob_writer_write(w, big, 1 << 20), 0);
    assert_int_equal(nb_blob_writer_write(w, "tail", 4), 0);
    assert_int_equal(nb_blob_writer_size(w), 3u * (1 << 20) + 4);
    /* nothing is visible before commit */
    assert_int_equal(nb_blob_open(f->bs, "image", "k1", &fd, &size), -ENOENT);
    assert_int_equal(nb_blob_writer_commit(w, "k1", "{\"a\":1}", 7), 0);

    got = read_blob(f->bs, "image", "k1", &size);
    assert_int_equal(size, 3u * (1 << 20) + 4);
    assert_memory_equal(got + (2 << 20), big, 1 << 20);
    assert_memory_equal(got + (3 << 20), "tail", 4);
    assert_int_equal(nb_blob_meta(f->bs, "image", "k1", &meta, &mlen), 0);
    assert_int_equal(mlen, 7);
    assert_string_equal(meta, "{\"a\":1}");
    free(meta);
    free(got);
    free(big);
}

static void test_blob_replace_is_atomic(void **state)
{
    struct blob_fixture *f = *state;
    struct nb_blob_writer *w;
    uint64_t size;
    char *got;
    int fd;

    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_write(w, "old", 3), 0);
    assert_int_equal(nb_blob_writer_commit(w, "k", NULL, 0), 0);
    /* a reader holding the old blob keeps reading it after a replace */
    assert_int_equal(nb_blob_open(f->bs, "obj", "k", &fd, &size), 0);
    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_write(w, "newer", 5), 0);
    assert_int_equal(nb_blob_writer_commit(w, "k", NULL, 0), 0);
    {
        char old[4] = {0};
        assert_int_equal(pread(fd, old, 3, 0), 3);
        assert_string_equal(old, "old");
        close(fd);
    }
    got = read_blob(f->bs, "obj", "k", &size);
    assert_string_equal(got, "newer");
    free(got);
    /* an empty blob is a blob */
    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_commit(w, "empty", NULL, 0), 0);
    got = read_blob(f->bs, "obj", "empty", &size);
    assert_int_equal(size, 0);
    free(got);
}

static void test_blob_abort_and_crash_leave_nothing(void **state)
{
    struct blob_fixture *f = *state;
    struct nb_blob_writer *w, *crashed;
    char *tmp = nb_xasprintf("%s/tmp", f->dir);
    uint64_t size;
    int fd;

    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_write(w, "partial", 7), 0);
    assert_int_equal(count_entries(tmp), 1);
    nb_blob_writer_abort(w);
    assert_int_equal(count_entries(tmp), 0);
    nb_blob_writer_abort(NULL);

    /* a writer that never ends (the process died): recover sweeps it */
    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &crashed), 0);
    assert_int_equal(nb_blob_writer_write(crashed, "x", 1), 0);
    nb_blob_store_close(f->bs);
    assert_int_equal(nb_blob_store_open(f->dir, &f->bs), 0);
    assert_int_equal(count_entries(tmp), 1);     /* opening alone keeps it */
    assert_int_equal(nb_blob_store_recover(f->bs), 0);
    assert_int_equal(count_entries(tmp), 0);
    assert_int_equal(nb_blob_open(f->bs, "obj", "x", &fd, &size), -ENOENT);
    nb_blob_writer_abort(crashed);      /* frees; the file is gone already */
    free(tmp);
}

static int collect(void *arg, const char *key)
{
    (*(int *)arg)++;
    return strcmp(key, "stop") == 0 ? 7 : 0;
}

static void test_blob_names_delete_each(void **state)
{
    struct blob_fixture *f = *state;
    struct nb_blob_writer *w;
    int n = 0;

    assert_int_equal(nb_blob_writer_new(f->bs, "../etc", &w), -EINVAL);
    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_commit(w, "../../passwd", NULL, 0), -EINVAL);
    for (int i = 0; i < 5; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key-%d", i);
        assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
        assert_int_equal(nb_blob_writer_commit(w, key, NULL, 0), 0);
    }
    assert_int_equal(nb_blob_each(f->bs, "obj", collect, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(nb_blob_delete(f->bs, "obj", "key-3"), 0);
    assert_int_equal(nb_blob_delete(f->bs, "obj", "key-3"), -ENOENT);
    n = 0;
    assert_int_equal(nb_blob_each(f->bs, "obj", collect, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_commit(w, "stop", NULL, 0), 0);
    n = 0;
    assert_int_equal(nb_blob_each(f->bs, "obj", collect, &n), 7);
    n = 0;
    assert_int_equal(nb_blob_each(f->bs, "none", collect, &n), 0);
    assert_int_equal(n, 0);
}

static void test_blob_damaged_file_is_eio(void **state)
{
    struct blob_fixture *f = *state;
    struct nb_blob_writer *w;
    uint64_t size;
    int fd;
    char *bad = NULL;

    assert_int_equal(nb_blob_writer_new(f->bs, "obj", &w), 0);
    assert_int_equal(nb_blob_writer_write(w, "data", 4), 0);
    assert_int_equal(nb_blob_writer_commit(w, "k", NULL, 0), 0);
    /* find the file and chop its trailer */
    {
        char *cmd = nb_xasprintf("find %s/obj -type f -name k", f->dir);
        FILE *p = popen(cmd, "r");
        char line[512] = {0};
        assert_non_null(fgets(line, sizeof(line), p));
        pclose(p);
        line[strcspn(line, "\n")] = '\0';
        bad = nb_xstrdup(line);
        free(cmd);
    }
    assert_int_equal(truncate(bad, 10), 0);
    assert_int_equal(nb_blob_open(f->bs, "obj", "k", &fd, &size), -EIO);
    free(bad);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blob_roundtrip_with_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_replace_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_abort_and_crash_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_names_delete_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_damaged_file_is_eio, setup, teardown),
    };
    return NBT_MAIN("blob", tests, NULL, NULL);
}
