/* The token key repository: numbered key files in one directory, like
 * Keystone's Fernet repository.  The highest number encrypts; every key
 * present decrypts, so tokens issued before a rotation stay valid until
 * their key is rotated out.  A running daemon picks up rotations made by
 * `nubis token-rotate` within a second (it watches the directory). */
#include "auth/auth.h"
#include "auth/keys.h"

#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NB_MAX_KEYS 64

struct nb_key {
    uint32_t id;
    unsigned char k[NB_KEY_BYTES];
};

static pthread_rwlock_t nb_keys_lock = PTHREAD_RWLOCK_INITIALIZER;
static char *nb_keys_dir;
static struct nb_key nb_keys[NB_MAX_KEYS];
static int nb_nkeys;
static struct timespec nb_keys_mtime;
static int64_t nb_keys_checked;           /* monotonic µs of the last stat */

static int nb_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The numbers of every key file in 'dir', ascending, in a new array the
 * caller frees (*out may be NULL when there are none). */
static int nb_keys_list(const char *dir, uint32_t **out)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    uint32_t *ids = NULL;
    int n = 0, cap = 0;

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        long id;
        if (nb_str_to_long(de->d_name, &id) < 0 || id <= 0 || id > UINT32_MAX)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ids = nb_xrealloc(ids, sizeof(*ids) * (size_t)cap);
        }
        ids[n++] = (uint32_t)id;
    }
    closedir(d);
    if (n > 1)          /* qsort's pointer must not be NULL, even for 0 items */
        qsort(ids, (size_t)n, sizeof(*ids), nb_u32_cmp);
    *out = ids;
    return n;
}

/* Reads the newest NB_MAX_KEYS keys of 'dir' into 'out' (ascending);
 * returns the count or <0. */
static int nb_keys_read(const char *dir, struct nb_key *out)
{
    uint32_t *ids = NULL;
    int total = nb_keys_list(dir, &ids), n = 0;

    for (int i = total > NB_MAX_KEYS ? total - NB_MAX_KEYS : 0; i < total; i++) {
        char *path = nb_xasprintf("%s/%u", dir, ids[i]), *text = NULL;
        unsigned char *raw = NULL;
        size_t len = 0;
        if (nb_file_read(path, &text, NULL) == 0) {
            text[strcspn(text, "\r\n")] = '\0';
            if (nb_b64url_decode(text, &raw, &len) == 0 && len == NB_KEY_BYTES) {
                out[n].id = ids[i];
                memcpy(out[n].k, raw, NB_KEY_BYTES);
                n++;
            } else {
                nb_warn("keys: ignoring malformed key file %s", path);
            }
        }
        if (raw)
            sodium_memzero(raw, len);
        free(raw);
        free(text);
        free(path);
    }
    free(ids);
    return total < 0 ? total : n;
}

static int nb_key_write(const char *dir, uint32_t id)
{
    unsigned char k[NB_KEY_BYTES];
    char *path = nb_xasprintf("%s/%u", dir, id), *text;
    int r;
    crypto_aead_xchacha20poly1305_ietf_keygen(k);
    text = nb_b64url_encode(k, sizeof(k));
    r = nb_file_write_atomic(path, text, strlen(text), 0600);
    sodium_memzero(k, sizeof(k));
    sodium_memzero(text, strlen(text));
    free(text);
    free(path);
    return r;
}

static int nb_keys_reload_locked(void)
{
    struct nb_key tmp[NB_MAX_KEYS];
    struct stat st;
    int n;

    if (stat(nb_keys_dir, &st) == 0)
        nb_keys_mtime = st.st_mtim;
    n = nb_keys_read(nb_keys_dir, tmp);
    if (n <= 0) {
        nb_error("keys: no usable key in %s", nb_keys_dir);
        return n < 0 ? n : -ENOENT;
    }
    memcpy(nb_keys, tmp, sizeof(tmp[0]) * (size_t)n);
    nb_nkeys = n;
    sodium_memzero(tmp, sizeof(tmp));
    return 0;
}

int nb_keys_init(const char *dir)
{
    struct nb_key tmp[NB_MAX_KEYS];
    int r, n;

    r = nb_mkdir_p(dir, 0700);
    if (r < 0) {
        nb_error("keys: cannot create %s", dir);
        return r;
    }
    n = nb_keys_read(dir, tmp);
    sodium_memzero(tmp, sizeof(tmp));
    if (n == 0 && (r = nb_key_write(dir, 1)) < 0)
        return r;
    pthread_rwlock_wrlock(&nb_keys_lock);
    free(nb_keys_dir);
    nb_keys_dir = nb_xstrdup(dir);
    r = nb_keys_reload_locked();
    nb_keys_checked = nb_mono_us();
    pthread_rwlock_unlock(&nb_keys_lock);
    return r;
}

void nb_keys_shutdown(void)
{
    pthread_rwlock_wrlock(&nb_keys_lock);
    sodium_memzero(nb_keys, sizeof(nb_keys));
    nb_nkeys = 0;
    free(nb_keys_dir);
    nb_keys_dir = NULL;
    pthread_rwlock_unlock(&nb_keys_lock);
}

int nb_keys_rotate(const char *dir, int max_active)
{
    uint32_t *ids = NULL;
    int n, r;

    if (max_active < 2)
        max_active = 2;
    if (max_active > NB_MAX_KEYS)
        max_active = NB_MAX_KEYS;
    r = nb_mkdir_p(dir, 0700);
    if (r < 0)
        return r;
    n = nb_keys_list(dir, &ids);
    if (n < 0)
        return n;
    r = nb_key_write(dir, n ? ids[n - 1] + 1 : 1);
    /* keep the newest max_active (the new one included) */
    for (int i = 0; r == 0 && i < n + 1 - max_active; i++) {
        char *path = nb_xasprintf("%s/%u", dir, ids[i]);
        if (unlink(path) < 0)
            nb_warn("keys: cannot remove %s", path);
        free(path);
    }
    free(ids);
    return r;
}

/* Reloads when the directory changed since we last looked (at most one
 * stat a second). */
static void nb_keys_refresh(void)
{
    int64_t now = nb_mono_us();
    struct stat st;

    if (now - __atomic_load_n(&nb_keys_checked, __ATOMIC_RELAXED) < 1000000)
        return;
    pthread_rwlock_wrlock(&nb_keys_lock);
    if (now - nb_keys_checked >= 1000000 && nb_keys_dir) {
        nb_keys_checked = now;
        if (stat(nb_keys_dir, &st) == 0 &&
            (st.st_mtim.tv_sec != nb_keys_mtime.tv_sec ||
             st.st_mtim.tv_nsec != nb_keys_mtime.tv_nsec)) {
            nb_info("keys: key repository changed, reloading");
            nb_keys_reload_locked();
        }
    }
    pthread_rwlock_unlock(&nb_keys_lock);
}

int nb_keys_primary(uint32_t *id, unsigned char key[NB_KEY_BYTES])
{
    int r = -ENOENT;
    nb_keys_refresh();
    pthread_rwlock_rdlock(&nb_keys_lock);
    if (nb_nkeys > 0) {
        *id = nb_keys[nb_nkeys - 1].id;
        memcpy(key, nb_keys[nb_nkeys - 1].k, NB_KEY_BYTES);
        r = 0;
    }
    pthread_rwlock_unlock(&nb_keys_lock);
    return r;
}

int nb_keys_find(uint32_t id, unsigned char key[NB_KEY_BYTES])
{
    int r = -ENOENT;
    nb_keys_refresh();
    pthread_rwlock_rdlock(&nb_keys_lock);
    for (int i = 0; i < nb_nkeys; i++) {
        if (nb_keys[i].id == id) {
            memcpy(key, nb_keys[i].k, NB_KEY_BYTES);
            r = 0;
            break;
        }
    }
    pthread_rwlock_unlock(&nb_keys_lock);
    return r;
}
