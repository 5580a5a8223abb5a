/* The libvirt driver's disks: the per-host image cache (each image fetched
 * once through the image service, its checksum verified), the instance
 * directory, and disk images made with qemu-img (qcow2 overlays on the
 * cached image, blank disks, growth, conversion for snapshots). */
#include "compute/virt/libvirt.h"

#include "image/image.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <poll.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- commands */

int nb_lv_run(const char *const argv[], char **out, char **err)
{
    posix_spawn_file_actions_t fa;
    struct nb_buf text = {0};
    int pipefd[2], status, r = 0;
    char chunk[4096];
    ssize_t n;
    pid_t pid;

    if (out)
        *out = NULL;
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    r = -posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    while (r == 0 && ((n = read(pipefd[0], chunk, sizeof(chunk))) > 0 ||
                      (n < 0 && errno == EINTR)))
        if (n > 0)
            nb_buf_add(&text, chunk, (size_t)n);
    close(pipefd[0]);
    while (r == 0 && waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            r = -errno;
    if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        r = -EIO;
    nb_buf_add(&text, "", 0);
    if (r < 0 && err)
        *err = nb_xasprintf("%s failed: %s", argv[0], r == -EIO ? text.buf : strerror(-r));
    else if (r == 0 && out)
        *out = nb_buf_steal(&text);
    nb_buf_free(&text);
    return r;
}

/* ---- files */

char *nb_lv_inst_dir(const char *root, const char *uuid)
{
    return nb_xasprintf("%s/instances/%s", root, uuid);
}

char *nb_lv_inst_file(const char *root, const char *uuid, const char *name)
{
    return nb_xasprintf("%s/instances/%s/%s", root, uuid, name);
}

int nb_lv_rmtree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int r = 0;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                char *sub = nb_xasprintf("%s/%s", path, e->d_name);
                int q = nb_lv_rmtree(sub);
                if (q < 0 && r == 0)
                    r = q;
                free(sub);
            }
        closedir(d);
    }
    if ((S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT &&
        r == 0)
        r = -errno;
    return r;
}

/* ---- checksums */

int nb_lv_checksum_verify(const json_t *image, int fd, char **err)
{
    const char *algo = nb_json_str(image, "os_hash_algo");
    const char *want = nb_json_str(image, "os_hash_value");
    const EVP_MD *md;
    EVP_MD_CTX *mctx = NULL;
    unsigned char buf[65536], d[EVP_MAX_MD_SIZE];
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned dn = 0;
    ssize_t n;
    int r = 0;

    if (!algo || !want || !*want) {
        algo = "md5";
        want = nb_json_str(image, "checksum");
    }
    if (!want || !*want)
        return 0;
    if (!(md = EVP_get_digestbyname(algo))) {
        *err = nb_xasprintf("Image %s: unknown hash algorithm %s.",
                            nb_json_str(image, "id"), algo);
        return -EINVAL;
    }
    mctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(mctx, md, NULL);
    if (lseek(fd, 0, SEEK_SET) < 0)
        r = -errno;
    while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            EVP_DigestUpdate(mctx, buf, (size_t)n);
    }
    EVP_DigestFinal_ex(mctx, d, &dn);
    EVP_MD_CTX_free(mctx);
    if (r < 0) {
        *err = nb_xasprintf("Image %s could not be read: %s", nb_json_str(image, "id"),
                            strerror(-r));
        return r;
    }
    nb_hex_encode(d, dn, hex);
    if (strcasecmp(hex, want) != 0) {
        *err = nb_xasprintf("Image %s is corrupt: its %s is %s, the image service says %s.",
                            nb_json_str(image, "id"), algo, hex, want);
        return -EBADMSG;
    }
    return 0;
}

/* ---- the image cache */

struct nb_lv_fetch {            /* one image being fetched, or pinned */
    pthread_mutex_t lock;
    int users;                  /* fetches and pins (nb_lv_cache_release) */
};

struct nb_lv_cache {
    char *dir;
    pthread_mutex_t lock;
    struct nb_map *fetching;    /* image id -> struct nb_lv_fetch */
};

struct nb_lv_cache *nb_lv_cache_new(const char *base_dir)
{
    struct nb_lv_cache *c = nb_xcalloc(1, sizeof(*c));
    c->dir = nb_xstrdup(base_dir);
    pthread_mutex_init(&c->lock, NULL);
    c->fetching = nb_map_new(NULL);
    return c;
}

void nb_lv_cache_free(struct nb_lv_cache *c)
{
    if (!c)
        return;
    nb_map_free(c->fetching);
    pthread_mutex_destroy(&c->lock);
    free(c->dir);
    free(c);
}

/* Copies 'size' bytes of 'in' to the new file 'tmp', fsync'd. */
static int nb_lv_copy_to(int in, uint64_t size, const char *tmp, int *outfd)
{
    char buf[65536];
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = 0;

    if (fd < 0)
        return -errno;
    while (r == 0 && size > 0) {
        ssize_t n = read(in, buf, size < sizeof(buf) ? size : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            r = n < 0 ? -errno : -EIO;
        else if ((r = nb_write_all(fd, buf, (size_t)n)) == 0)
            size -= (uint64_t)n;
    }
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r < 0) {
        close(fd);
        unlink(tmp);
        return r;
    }
    *outfd = fd;
    return 0;
}

/* Fetches image 'id' into 'path' (the cache lock of this image held). */
static int nb_lv_cache_download(struct nb_ctx *ctx, const char *id, const char *path,
                                char **err)
{
    json_t *image = NULL;
    char *tmp = nb_xasprintf("%s.part", path);
    uint64_t size = 0;
    int in = -1, fd = -1, r;

    r = nb_image_get(ctx, id, &image);
    if (r == 0)
        r = nb_image_data_open(ctx, id, &in, &size);
    if (r < 0) {
        *err = nb_xasprintf("Image %s could not be fetched: %s", id,
                            ctx->err_msg[0] ? ctx->err_msg : strerror(-r));
        goto out;
    }
    r = nb_lv_copy_to(in, size, tmp, &fd);
    if (r < 0) {
        *err = nb_xasprintf("Image %s could not be cached: %s", id, strerror(-r));
        goto out;
    }
    r = nb_lv_checksum_verify(image, fd, err);
    if (r == 0 && rename(tmp, path) < 0) {
        r = -errno;
        *err = nb_xasprintf("Image %s could not be cached: %s", id, strerror(-r));
    }
    if (r == 0)
        nb_fsync_dir(path);
    else
        unlink(tmp);
    nb_info("libvirt: image %s %s (%llu bytes)", id, r == 0 ? "cached" : "not cached",
            (unsigned long long)size);
out:
    if (in >= 0)
        close(in);
    if (fd >= 0)
        close(fd);
    json_decref(image);
    free(tmp);
    return r;
}

int nb_lv_cache_fetch(struct nb_lv_cache *c, struct nb_ctx *ctx, const char *image_id,
                      char **path, char **err)
{
    struct nb_lv_fetch *f = NULL;
    int r = 0;

    *path = NULL;
    if (!image_id || !*image_id || strchr(image_id, '/') || image_id[0] == '.') {
        *err = nb_xasprintf("Invalid image id '%s'.", image_id ? image_id : "");
        return -EINVAL;
    }
    *path = nb_xasprintf("%s/%s", c->dir, image_id);
    pthread_mutex_lock(&c->lock);
    if (!nb_map_find(c->fetching, image_id, (void **)&f)) {
        f = nb_xcalloc(1, sizeof(*f));
        pthread_mutex_init(&f->lock, NULL);
        nb_map_set(c->fetching, image_id, f);
    }
    f->users++;
    pthread_mutex_unlock(&c->lock);

    /* one fetch per image: the others wait here, then find the file */
    pthread_mutex_lock(&f->lock);
    if (access(*path, F_OK) != 0)
        r = nb_mkdir_p(c->dir, 0755);
    if (r == 0 && access(*path, F_OK) != 0)
        r = nb_lv_cache_download(ctx, image_id, *path, err);
    pthread_mutex_unlock(&f->lock);

    /* used now: its age counts from here (Nova's update_mtime) */
    if (r == 0)
        utimensat(AT_FDCWD, *path, NULL, 0);
    if (r < 0) {
        nb_lv_cache_release(c, image_id);
        if (!*err)
            *err = nb_xasprintf("Image %s could not be cached: %s", image_id, strerror(-r));
        free(*path);
        *path = NULL;
    }
    return r;
}

void nb_lv_cache_release(struct nb_lv_cache *c, const char *image_id)
{
    struct nb_lv_fetch *f = NULL;

    pthread_mutex_lock(&c->lock);
    if (image_id && nb_map_find(c->fetching, image_id, (void **)&f) && --f->users == 0) {
        nb_map_del(c->fetching, image_id);
        pthread_mutex_destroy(&f->lock);
        free(f);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---- the image cache's aging (Nova's image cache manager) */

static uint64_t nb_lv_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Adds 'path' (resolved) to the set 'used'. */
static void nb_lv_used_add(struct nb_map *used, const char *path)
{
    char real[PATH_MAX];
    if (path && realpath(path, real))
        nb_map_set(used, real, NULL);
}

/* Adds the backing file of 'path' (in directory 'dir'), when it is a
 * qcow2 image with one, to 'used': read from the qcow2 header, no
 * qemu-img run per file. */
static void nb_lv_backing_add(struct nb_map *used, const char *dir, const char *path)
{
    unsigned char h[20];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    uint64_t off;
    uint32_t len;
    char *name = NULL, *full = NULL;

    if (fd < 0)
        return;
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "QFI\xfb", 4) != 0)
        goto out;
    off = nb_lv_be(h + 8, 8);
    len = (uint32_t)nb_lv_be(h + 16, 4);
    if (off == 0 || len == 0 || len >= PATH_MAX)
        goto out;
    name = nb_xcalloc(1, len + 1);
    if (pread(fd, name, len, (off_t)off) != (ssize_t)len)
        goto out;
    full = name[0] == '/' ? nb_xstrdup(name) : nb_xasprintf("%s/%s", dir, name);
    nb_lv_used_add(used, full);
out:
    close(fd);
    free(name);
    free(full);
}

/* Adds what the boot document 'file' (boot.json, rescue.json) of an
 * instance names in the cache (image, kernel, ramdisk) to 'used'. */
static void nb_lv_boot_used(struct nb_map *used, const char *base, const char *file)
{
    static const char *const keys[] = {"id", "kernel_id", "ramdisk_id"};
    json_t *boot = json_load_file(file, 0, NULL);

    for (size_t i = 0; boot && i < NB_ARRAY_SIZE(keys); i++) {
        const char *id = nb_json_str(boot, keys[i]);
        char *p = id && !strchr(id, '/') ? nb_xasprintf("%s/%s", base, id) : NULL;
        nb_lv_used_add(used, p);
        free(p);
    }
    json_decref(boot);
}

/* The cached files some instance under 'inst' uses: every qcow2 disk's
 * backing file (disk, disk.rescue, disk.resize...) and what boot.json and
 * rescue.json name (kernels, ramdisks). */
static void nb_lv_used_scan(struct nb_map *used, const char *inst, const char *base)
{
    DIR *d = opendir(inst), *sub;
    struct dirent *e, *f;

    while (d && (e = readdir(d))) {
        char *dir;
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "_base"))
            continue;
        dir = nb_xasprintf("%s/%s", inst, e->d_name);
        sub = opendir(dir);
        while (sub && (f = readdir(sub))) {
            char *p = nb_xasprintf("%s/%s", dir, f->d_name);
            if (f->d_name[0] == '.')
                ;
            else if (!strcmp(f->d_name, "boot.json") || !strcmp(f->d_name, "rescue.json"))
                nb_lv_boot_used(used, base, p);
            else
                nb_lv_backing_add(used, dir, p);
            free(p);
        }
        if (sub)
            closedir(sub);
        free(dir);
    }
    if (d)
        closedir(d);
}

/* Whether cache file 'name' belongs to a fetch or build in flight (its
 * image pinned; "<id>.part" is the download of <id>). */
static bool nb_lv_cache_pinned(struct nb_lv_cache *c, const char *name)
{
    size_t n = strlen(name);
    char *id = n > 5 && !strcmp(name + n - 5, ".part") ? nb_xstrndup(name, n - 5)
                                                      : nb_xstrdup(name);
    bool yes = nb_map_find(c->fetching, id, NULL);
    free(id);
    return yes;
}

int nb_lv_cache_age(struct nb_lv_cache *c, const char *inst, int64_t min_age_s, int *removed)
{
    struct nb_map *used = nb_map_new(NULL);
    time_t now = time(NULL);
    DIR *d;
    struct dirent *e;
    int n = 0, r = 0;

    /* the whole pass under the cache's lock: no fetch starts or ends
     * (nb_lv_cache_release) while it decides */
    pthread_mutex_lock(&c->lock);
    nb_lv_used_scan(used, inst, c->dir);
    if (!(d = opendir(c->dir)))
        r = -errno;
    while (d && (e = readdir(d))) {
        char *p, real[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.' || nb_lv_cache_pinned(c, e->d_name))
            continue;
        p = nb_xasprintf("%s/%s", c->dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && realpath(p, real)) {
            if (nb_map_find(used, real, NULL)) {
                /* in use: unused time counts from the last pass that saw it used */
                utimensat(AT_FDCWD, p, NULL, 0);
            } else if ((int64_t)(now - st.st_mtime) >= min_age_s && unlink(p) == 0) {
                nb_info("libvirt: unused base image %s removed (unused for %lld s)", p,
                        (long long)(now - st.st_mtime));
                n++;
            }
        }
        free(p);
    }
    pthread_mutex_unlock(&c->lock);
    if (d)
        closedir(d);
    nb_map_free(used);
    if (removed)
        *removed = n;
    return r;
}

/* ---- qemu-img */

/* `qemu-img info` of 'path' read as format 'fmt' (NULL: probed): a new
 * object (caller decrefs). */
static int nb_lv_img_query(const char *path, const char *fmt, json_t **info, char **err)
{
    const char *argv[] = {"qemu-img", "info", "-U", "--output=json", fmt ? "-f" : path,
                          fmt, fmt ? path : NULL, NULL};
    char *text = NULL;
    int r = nb_lv_run(argv, &text, err);

    *info = r == 0 ? json_loads(text, 0, NULL) : NULL;
    if (r == 0 && (!*info || !nb_json_str(*info, "format"))) {
        *err = nb_xasprintf("qemu-img info %s: unreadable output", path);
        json_decref(*info);
        *info = NULL;
        r = -EIO;
    }
    free(text);
    return r;
}

int nb_lv_img_info(const char *path, const char *fmt, char got[16], int64_t *vsize,
                   char **err)
{
    json_t *info = NULL;
    int r = nb_lv_img_query(path, fmt, &info, err);

    if (r == 0 && json_object_get(info, "backing-filename")) {
        *err = nb_xasprintf("The image %s names a backing file: refused.", path);
        r = -EPERM;
    } else if (r == 0) {
        snprintf(got, 16, "%s", nb_json_str(info, "format"));
        *vsize = json_integer_value(json_object_get(info, "virtual-size"));
    }
    json_decref(info);
    return r;
}

/* The base is read as the format its image document says (never probed:
 * a raw image that looks like a qcow2 header would otherwise name files
 * of the host as its backing file). */
int nb_lv_img_overlay(const char *base, const char *base_fmt, const char *path,
                      int64_t size_gb, char **err)
{
    char fmt[16], size[32];
    int64_t vsize = 0;
    int r = nb_lv_img_info(base, base_fmt, fmt, &vsize, err);
    const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", base_fmt, "-b",
                          base, path, (size_gb << 30) > vsize ? size : NULL, NULL};

    if (r == -EIO) {
        free(*err);
        *err = nb_xasprintf("The image %s is not a valid %s image.", base, base_fmt);
        return -EINVAL;
    }
    if (r < 0)
        return r;
    snprintf(size, sizeof(size), "%lldG", (long long)size_gb);
    return nb_lv_run(argv, NULL, err);
}

int nb_lv_img_blank(const char *path, int64_t size_mb, char **err)
{
    char size[32];
    const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", path, size, NULL};

    snprintf(size, sizeof(size), "%lldM", (long long)size_mb);
    return nb_lv_run(argv, NULL, err);
}

int nb_lv_img_grow(const char *path, int64_t size_gb, char **err)
{
    char size[32];
    const char *argv[] = {"qemu-img", "resize", "-q", path, size, NULL};
    json_t *info = NULL;
    int64_t vsize;
    int r = nb_lv_img_query(path, "qcow2", &info, err);

    if (r < 0)
        return r;
    vsize = json_integer_value(json_object_get(info, "virtual-size"));
    json_decref(info);
    if (size_gb <= 0 || (size_gb << 30) <= vsize)
        return 0;
    snprintf(size, sizeof(size), "%lldG", (long long)size_gb);
    return nb_lv_run(argv, NULL, err);
}

int nb_lv_img_export(const char *path, const char *format, int fd, bool shared,
                     char **err)
{
    char *tmp = nb_xasprintf("%s.export", path);
    const char *argv[] = {"qemu-img", "convert", "-q", "-O", format, shared ? "-U" : path,
                          shared ? path : tmp, shared ? tmp : NULL, NULL};
    char buf[65536];
    ssize_t n;
    int in = -1, r;

    if (strcmp(format, "qcow2") && strcmp(format, "raw")) {
        *err = nb_xasprintf("Snapshots of format %s are not supported.", format);
        free(tmp);
        return -EINVAL;
    }
    r = nb_lv_run(argv, NULL, err);
    if (r == 0 && (in = open(tmp, O_RDONLY | O_CLOEXEC)) < 0)
        r = -errno;
    while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            r = nb_write_all(fd, buf, (size_t)n);
    }
    if (r < 0 && !*err)
        *err = nb_xasprintf("The snapshot of %s could not be written: %s", path,
                            strerror(-r));
    if (in >= 0)
        close(in);
    unlink(tmp);
    free(tmp);
    return r;
}
