/* The blob store's generic layer: picks the driver from the URL and keeps
 * the (store, driver) pair behind the public handles.  See core.h. */
#include "blob_driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_blob_driver *const nb_blob_drivers[] = {
    &nb_blob_file_driver,
};

struct nb_blob_store {
    const struct nb_blob_driver *drv;
    void *impl;
};

struct nb_blob_writer {
    const struct nb_blob_driver *drv;
    void *impl;
    uint64_t size;
};

int nb_blob_store_open(const char *url, struct nb_blob_store **out)
{
    for (size_t i = 0; i < sizeof(nb_blob_drivers) / sizeof(*nb_blob_drivers);
         i++) {
        const struct nb_blob_driver *d = nb_blob_drivers[i];
        const char *target = d->accepts(url);
        void *impl;
        int r;

        if (!target)
            continue;
        if ((r = d->open(target, &impl)) < 0)
            return r;
        *out = nb_xmalloc(sizeof(**out));
        (*out)->drv = d;
        (*out)->impl = impl;
        return 0;
    }
    nb_error("blob: no driver for the store URL '%s'", url);
    return -EINVAL;
}

int nb_blob_store_recover(struct nb_blob_store *bs)
{
    return bs->drv->recover(bs->impl);
}

void nb_blob_store_close(struct nb_blob_store *bs)
{
    if (!bs)
        return;
    bs->drv->close(bs->impl);
    free(bs);
}

int nb_blob_writer_new(struct nb_blob_store *bs, const char *ns,
                       struct nb_blob_writer **out)
{
    void *impl;
    int r = bs->drv->begin(bs->impl, ns, &impl);

    if (r < 0)
        return r;
    *out = nb_xmalloc(sizeof(**out));
    (*out)->drv = bs->drv;
    (*out)->impl = impl;
    (*out)->size = 0;
    return 0;
}

int nb_blob_writer_write(struct nb_blob_writer *w, const void *data,
                         size_t len)
{
    int r = w->drv->write(w->impl, data, len);

    if (r == 0)
        w->size += len;
    return r;
}

uint64_t nb_blob_writer_size(const struct nb_blob_writer *w)
{
    return w->size;
}

int nb_blob_writer_commit(struct nb_blob_writer *w, const char *key,
                          const void *meta, size_t mlen)
{
    int r = w->drv->commit(w->impl, key, meta, mlen);

    free(w);
    return r;
}

void nb_blob_writer_abort(struct nb_blob_writer *w)
{
    if (!w)
        return;
    w->drv->abort(w->impl);
    free(w);
}

int nb_blob_open(struct nb_blob_store *bs, const char *ns, const char *key,
                 int *fd, uint64_t *size)
{
    return bs->drv->open_read(bs->impl, ns, key, fd, size);
}

int nb_blob_meta(struct nb_blob_store *bs, const char *ns, const char *key,
                 char **meta, size_t *mlen)
{
    return bs->drv->meta(bs->impl, ns, key, meta, mlen);
}

int nb_blob_delete(struct nb_blob_store *bs, const char *ns, const char *key)
{
    return bs->drv->remove(bs->impl, ns, key);
}

int nb_blob_each(struct nb_blob_store *bs, const char *ns,
                 int (*fn)(void *arg, const char *key), void *arg)
{
    return bs->drv->each(bs->impl, ns, fn, arg);
}
