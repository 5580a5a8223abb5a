/* The file blob driver: each blob is one file,
 *   <root>/<ns>/<shard>/<key>
 * holding the data, then the metadata, then a 16-byte trailer (metadata
 * length, little-endian u64, and the magic "NBBLOB01").  A blob is written
 * to <root>/tmp/, fsync'd, renamed into place and the directory fsync'd, so
 * a crash leaves the old blob or the new one, and at worst a temporary that
 * recover() removes.  Keys are names ([A-Za-z0-9._-], not starting with
 * '.'); the shard is a hash of the key, so any key spreads evenly. */
#include "blob_driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NB_BLOB_MAGIC "NBBLOB01"
#define NB_BLOB_TRAILER 16
#define NB_BLOB_BUF (256 * 1024)
/* Start write-back every this many bytes so the final fsync is short. */
#define NB_BLOB_FLUSH (8u << 20)

struct nb_blob_fs {
    char *root;
};

struct nb_blob_fs_writer {
    struct nb_blob_fs *fs;
    char *ns;
    char *tmp;              /* the temporary's path */
    int fd;
    uint64_t written;       /* bytes handed to write(2) */
    uint64_t flushed;       /* bytes whose write-back was started */
    size_t used;
    char buf[NB_BLOB_BUF];
};

static const char *nb_blob_fs_accepts(const char *url)
{
    if (strncmp(url, "file:", 5) == 0)
        return url + 5;
    return url[0] == '/' ? url : NULL;
}

static bool nb_blob_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 200 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Returns a new string: the blob's path, or NULL if 'ns'/'key' are not
 * names. */
static char *nb_blob_fs_path(struct nb_blob_fs *fs, const char *ns,
                             const char *key)
{
    uint32_t h = 2166136261u;

    if (!nb_blob_name_ok(ns) || !nb_blob_name_ok(key))
        return NULL;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return nb_xasprintf("%s/%s/%02x/%s", fs->root, ns, h & 0xff, key);
}

/* Removes every entry of <root>/tmp: temporaries of writes that never
 * committed (a crash, a kill). */
static int nb_blob_fs_recover(void *store)
{
    struct nb_blob_fs *fs = store;
    char *dir = nb_xasprintf("%s/tmp", fs->root);
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            nb_info("blob: removed the stale temporary %s/%s", dir,
                        e->d_name);
    }
    if (d)
        closedir(d);
    free(dir);
    return 0;
}

static int nb_blob_fs_open(const char *target, void **store)
{
    struct nb_blob_fs *fs = nb_xcalloc(1, sizeof(*fs));
    char *tmp;
    int r;

    fs->root = nb_xstrdup(target);
    tmp = nb_xasprintf("%s/tmp", fs->root);
    r = nb_mkdir_p(tmp, 0700);
    free(tmp);
    if (r < 0) {
        nb_error("blob: cannot create %s/tmp: %s", fs->root, strerror(-r));
        free(fs->root);
        free(fs);
        return r;
    }
    *store = fs;
    return 0;
}

static void nb_blob_fs_close(void *store)
{
    struct nb_blob_fs *fs = store;

    if (!fs)
        return;
    free(fs->root);
    free(fs);
}

static int nb_blob_fs_begin(void *store, const char *ns, void **wr)
{
    struct nb_blob_fs *fs = store;
    struct nb_blob_fs_writer *w;
    char rnd[17];
    unsigned char b[8];

    if (!nb_blob_name_ok(ns))
        return -EINVAL;
    nb_random_bytes(b, sizeof(b));
    nb_hex_encode(b, sizeof(b), rnd);
    w = nb_xmalloc(sizeof(*w));
    w->fs = fs;
    w->ns = nb_xstrdup(ns);
    w->tmp = nb_xasprintf("%s/tmp/%s.%s", fs->root, ns, rnd);
    w->written = w->flushed = 0;
    w->used = 0;
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        int r = -errno;
        nb_error("blob: cannot create %s: %s", w->tmp, strerror(errno));
        free(w->tmp);
        free(w->ns);
        free(w);
        return r;
    }
    *wr = w;
    return 0;
}

static int nb_blob_fs_flush(struct nb_blob_fs_writer *w)
{
    const char *p = w->buf;
    size_t n = w->used;

    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += k;
        n -= (size_t)k;
        w->written += (uint64_t)k;
    }
    w->used = 0;
    if (w->written - w->flushed >= NB_BLOB_FLUSH) {
        /* best effort: only a hint to start write-back now */
        (void)sync_file_range(w->fd, (off_t)w->flushed,
                              (off_t)(w->written - w->flushed),
                              SYNC_FILE_RANGE_WRITE);
        w->flushed = w->written;
    }
    return 0;
}

static int nb_blob_fs_write(void *wr, const void *data, size_t len)
{
    struct nb_blob_fs_writer *w = wr;
    const char *p = data;
    int r;

    while (len > 0) {
        size_t k = sizeof(w->buf) - w->used;
        if (k > len)
            k = len;
        memcpy(w->buf + w->used, p, k);
        w->used += k;
        p += k;
        len -= k;
        if (w->used == sizeof(w->buf) && (r = nb_blob_fs_flush(w)) < 0)
            return r;
    }
    return 0;
}

static void nb_blob_fs_abort(void *wr)
{
    struct nb_blob_fs_writer *w = wr;

    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    unlink(w->tmp);
    free(w->tmp);
    free(w->ns);
    free(w);
}

/* Appends 'len' bytes to the buffer through nb_blob_fs_write. */
static int nb_blob_fs_trailer(struct nb_blob_fs_writer *w, const void *meta,
                              size_t mlen)
{
    unsigned char t[NB_BLOB_TRAILER];
    uint64_t v = mlen;
    int r;

    for (int i = 0; i < 8; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    memcpy(t + 8, NB_BLOB_MAGIC, 8);
    if (mlen && (r = nb_blob_fs_write(w, meta, mlen)) < 0)
        return r;
    if ((r = nb_blob_fs_write(w, t, sizeof(t))) < 0)
        return r;
    return nb_blob_fs_flush(w);
}

static int nb_blob_fs_commit(void *wr, const char *key, const void *meta,
                             size_t mlen)
{
    struct nb_blob_fs_writer *w = wr;
    char *path = nb_blob_fs_path(w->fs, w->ns, key), *slash;
    int r;

    if (!path) {
        r = -EINVAL;
        goto out;
    }
    if ((r = nb_blob_fs_trailer(w, meta, mlen)) < 0)
        goto out;
    if (fsync(w->fd) < 0) {
        r = -errno;
        goto out;
    }
    close(w->fd);
    w->fd = -1;
    slash = strrchr(path, '/');
    *slash = '\0';
    r = nb_mkdir_p(path, 0700);
    *slash = '/';
    if (r < 0)
        goto out;
    if (rename(w->tmp, path) < 0) {
        r = -errno;
        goto out;
    }
    r = nb_fsync_dir(path);
out:
    if (r < 0)
        nb_error("blob: cannot store %s/%s: %s", w->ns, key, strerror(-r));
    free(path);
    nb_blob_fs_abort(w);       /* the temporary is gone after a rename */
    return r;
}

/* Opens the blob and reads its trailer: the descriptor, the data size and
 * the metadata length. */
static int nb_blob_fs_open_any(struct nb_blob_fs *fs, const char *ns,
                               const char *key, int *fdp, uint64_t *size,
                               uint64_t *mlen)
{
    char *path = nb_blob_fs_path(fs, ns, key);
    unsigned char t[NB_BLOB_TRAILER];
    struct stat st;
    int fd = -1, r = 0;

    if (!path)
        return -ENOENT;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    if (st.st_size < NB_BLOB_TRAILER ||
        pread(fd, t, sizeof(t), st.st_size - NB_BLOB_TRAILER) !=
            (ssize_t)sizeof(t) ||
        memcmp(t + 8, NB_BLOB_MAGIC, 8) != 0) {
        r = -EIO;
        goto out;
    }
    *mlen = 0;
    for (int i = 0; i < 8; i++)
        *mlen |= (uint64_t)t[i] << (8 * i);
    if (*mlen > (uint64_t)st.st_size - NB_BLOB_TRAILER) {
        r = -EIO;
        goto out;
    }
    *size = (uint64_t)st.st_size - NB_BLOB_TRAILER - *mlen;
    *fdp = fd;
    fd = -1;
out:
    if (r == -EIO)
        nb_error("blob: %s is damaged (no trailer)", path);
    if (fd >= 0)
        close(fd);
    free(path);
    return r;
}

static int nb_blob_fs_open_read(void *store, const char *ns, const char *key,
                                int *fd, uint64_t *size)
{
    uint64_t mlen;

    return nb_blob_fs_open_any(store, ns, key, fd, size, &mlen);
}

static int nb_blob_fs_meta(void *store, const char *ns, const char *key,
                           char **meta, size_t *mlen)
{
    uint64_t size, n;
    char *buf;
    int fd, r;

    r = nb_blob_fs_open_any(store, ns, key, &fd, &size, &n);
    if (r < 0)
        return r;
    buf = nb_xmalloc(n + 1);
    if (n && pread(fd, buf, n, (off_t)size) != (ssize_t)n) {
        r = -EIO;
        free(buf);
    } else {
        buf[n] = '\0';
        *meta = buf;
        *mlen = n;
    }
    close(fd);
    return r;
}

static int nb_blob_fs_remove(void *store, const char *ns, const char *key)
{
    char *path = nb_blob_fs_path(store, ns, key);
    int r = 0;

    if (!path)
        return -ENOENT;
    if (unlink(path) < 0)
        r = -errno;
    else
        r = nb_fsync_dir(path);
    free(path);
    return r;
}

static int nb_blob_fs_each(void *store, const char *ns,
                           int (*fn)(void *arg, const char *key), void *arg)
{
    struct nb_blob_fs *fs = store;
    char *dir;
    DIR *top;
    struct dirent *e;
    int r = 0;

    if (!nb_blob_name_ok(ns))
        return -EINVAL;
    dir = nb_xasprintf("%s/%s", fs->root, ns);
    top = opendir(dir);
    while (top && r == 0 && (e = readdir(top))) {
        char *sub;
        DIR *d;
        struct dirent *f;

        if (e->d_name[0] == '.')
            continue;
        sub = nb_xasprintf("%s/%s", dir, e->d_name);
        d = opendir(sub);
        while (d && r == 0 && (f = readdir(d)))
            if (f->d_name[0] != '.')
                r = fn(arg, f->d_name);
        if (d)
            closedir(d);
        free(sub);
    }
    if (top)
        closedir(top);
    free(dir);
    return r;
}

const struct nb_blob_driver nb_blob_file_driver = {
    .name = "file",
    .accepts = nb_blob_fs_accepts,
    .open = nb_blob_fs_open,
    .recover = nb_blob_fs_recover,
    .close = nb_blob_fs_close,
    .begin = nb_blob_fs_begin,
    .write = nb_blob_fs_write,
    .commit = nb_blob_fs_commit,
    .abort = nb_blob_fs_abort,
    .open_read = nb_blob_fs_open_read,
    .meta = nb_blob_fs_meta,
    .remove = nb_blob_fs_remove,
    .each = nb_blob_fs_each,
};
