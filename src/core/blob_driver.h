/* The blob store driver table (internal to src/core).  One implementation a
 * file: blob_file.c (files under a directory).  The generic layer (blob.c)
 * picks the driver from the store URL and owns the handles; a driver only
 * moves bytes.  Every entry may block on disk I/O. */
#ifndef NB_BLOB_DRIVER_H
#define NB_BLOB_DRIVER_H

#include "core.h"

struct nb_blob_driver {
    const char *name;                   /* "file" */
    /* Does this driver serve 'url'?  Returns the part it needs (borrowed),
     * or NULL. */
    const char *(*accepts)(const char *url);
    /* Opens the store at 'target'. */
    int (*open)(const char *target, void **store);
    /* Removes the temporaries of writes that never committed. */
    int (*recover)(void *store);
    void (*close)(void *store);
    /* Starts a new blob in namespace 'ns': *wr is private to the driver. */
    int (*begin)(void *store, const char *ns, void **wr);
    int (*write)(void *wr, const void *data, size_t len);
    /* Makes the bytes and 'meta' durable under 'key', replacing any blob
     * with that key atomically (readers see the old or the new one), and
     * frees 'wr' whatever the outcome. */
    int (*commit)(void *wr, const char *key, const void *meta, size_t mlen);
    /* Frees 'wr' and everything it wrote (NULL is fine). */
    void (*abort)(void *wr);
    /* A read-only descriptor on the data (offset 0 is the first byte) and
     * its size; the caller closes the descriptor.  -ENOENT when absent. */
    int (*open_read)(void *store, const char *ns, const char *key, int *fd,
                     uint64_t *size);
    /* The metadata stored with the blob, a new buffer (NUL-terminated for
     * convenience) the caller frees. */
    int (*meta)(void *store, const char *ns, const char *key, char **meta,
                size_t *mlen);
    int (*remove)(void *store, const char *ns, const char *key);
    /* Calls fn for every key of 'ns' (reconcile sweeps). */
    int (*each)(void *store, const char *ns,
                int (*fn)(void *arg, const char *key), void *arg);
};

extern const struct nb_blob_driver nb_blob_file_driver;

#endif
