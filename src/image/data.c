/* Image data: the streamed upload (PUT /file), staging (PUT /stage) and
 * glance-direct import, the download (GET /file, with Range), and the
 * recovery of what a crash interrupted.
 *
 * An upload never buffers the image: each chunk is hashed (md5 for
 * 'checksum', sha512 for 'os_hash_value'), inspected while the first
 * 64 KiB go by (format_inspector rules, format.c) and written to a blob
 * store temporary.  Only a complete, safe upload is committed, and only
 * then does one transaction make the image active.  Anything else (bad
 * data, a client gone mid-body, a short body, a crash) leaves the image
 * queued and no bytes in the store: the writer is aborted, or its
 * temporary swept when the store opens. */
#include "image/internal.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NB_IMG_HEAD (64 * 1024)     /* bytes the inspector sees */
#define NB_IMG_TAIL 512             /* a fixed VHD's footer */
#define NB_IMG_BATCH (1024 * 1024)  /* bytes hashed per hand-off */
#define NB_IMG_DRAIN (16 * 1024 * 1024)  /* body read after a refusal */

/* ---- md5 + sha512 on two threads of their own, pipelined: while they
 * hash one batch, the request's thread writes it and receives the next
 * into the other buffer.  Each digest runs at about the speed of the
 * other, so a checksummed upload is no longer bound by hashing both in
 * one thread. */

struct nb_img_digest {
    struct nb_img_hasher *h;
    EVP_MD_CTX *md;
    pthread_t thread;
    unsigned done;               /* batches hashed */
    bool running;
};

struct nb_img_hasher {
    struct nb_img_digest d[2];   /* md5, sha512 */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const unsigned char *data;   /* the batch being hashed */
    size_t len;
    unsigned gen;                /* batches handed off */
    bool quit;
};

static void *nb_digest_main(void *arg)
{
    struct nb_img_digest *d = arg;
    struct nb_img_hasher *h = d->h;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (d->done == h->gen && !h->quit)
            pthread_cond_wait(&h->cv, &h->mu);
        if (d->done == h->gen)
            break;
        pthread_mutex_unlock(&h->mu);
        EVP_DigestUpdate(d->md, h->data, h->len);
        pthread_mutex_lock(&h->mu);
        d->done = h->gen;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Waits until both digests have hashed every batch handed off.  Called
 * with h->mu held. */
static void nb_hasher_drain(struct nb_img_hasher *h)
{
    for (int i = 0; i < 2; i++)
        while (h->d[i].running && h->d[i].done != h->gen)
            pthread_cond_wait(&h->cv, &h->mu);
}

/* Returns a new hasher; free with nb_hasher_free(). */
static struct nb_img_hasher *nb_hasher_new(void)
{
    struct nb_img_hasher *h = nb_xcalloc(1, sizeof(*h));
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    for (int i = 0; i < 2; i++) {
        struct nb_img_digest *d = &h->d[i];
        d->h = h;
        d->md = EVP_MD_CTX_new();
        if (!d->md)
            abort();
        EVP_DigestInit_ex(d->md, i == 0 ? EVP_md5() : EVP_sha512(), NULL);
        d->running = pthread_create(&d->thread, NULL, nb_digest_main, d) == 0;
    }
    return h;
}

/* Hands 'len' bytes to the digests once they are done with the previous
 * batch, and returns at once: 'data' must stay as it is until the next
 * call or nb_hasher_final().  Without threads, hashes here. */
static void nb_hasher_submit(struct nb_img_hasher *h, const void *data, size_t len)
{
    pthread_mutex_lock(&h->mu);
    nb_hasher_drain(h);
    h->data = data;
    h->len = len;
    h->gen++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < 2; i++)
        if (!h->d[i].running)
            EVP_DigestUpdate(h->d[i].md, data, len);
}

static void nb_hasher_final(struct nb_img_hasher *h, char md5[33], char sha[129])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    pthread_mutex_lock(&h->mu);
    nb_hasher_drain(h);
    pthread_mutex_unlock(&h->mu);
    EVP_DigestFinal_ex(h->d[0].md, d, &n);
    nb_hex_encode(d, n, md5);
    EVP_DigestFinal_ex(h->d[1].md, d, &n);
    nb_hex_encode(d, n, sha);
}

static void nb_hasher_free(struct nb_img_hasher *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->quit = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < 2; i++) {
        if (h->d[i].running)
            pthread_join(h->d[i].thread, NULL);
        EVP_MD_CTX_free(h->d[i].md);
    }
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

/* ---- one upload: data, stage, or the copy of an import */

struct nb_upload {
    char id[37];
    char *declared;              /* disk_format */
    bool stage;                  /* bytes go to staging, unhashed */
    const char *from;            /* status to return to if it fails */
    const char *busy;            /* status while it runs */
    struct nb_blob_writer *w;
    struct nb_img_hasher *hash;  /* NULL when staging */
    unsigned char *head, *batch[2];  /* one hashed, one filled */
    size_t hlen, blen;
    int cur;                     /* the batch being filled */
    unsigned char tail[NB_IMG_TAIL];
    size_t tlen;
    uint64_t size;
    int64_t room;                /* bytes the quota leaves; -1: no limit */
    bool finished;               /* the image row says where the data is */
    int refused;                 /* the status of a refusal, or 0 */
    uint64_t drained;            /* body bytes read since the refusal */
    char refused_msg[1024];
};

static void nb_upload_free(struct nb_upload *u)
{
    if (!u)
        return;
    nb_blob_writer_abort(u->w);
    nb_hasher_free(u->hash);
    free(u->declared);
    free(u->head);
    free(u->batch[0]);
    free(u->batch[1]);
    free(u);
}

/* Puts the image back to 'from' when the upload did not finish, and frees
 * the upload (the request's cleanup, whether or not it completed). */
static void nb_upload_reset(struct nb_upload *u)
{
    struct nb_tx *tx = NULL;
    nb_blob_writer_abort(u->w);
    u->w = NULL;
    if (!u->finished && nb_tx_begin(nb_img_env->db, true, &tx) == 0) {
        if (nb_tx_exec(tx, NULL, "UPDATE images SET status = ?, updated_at = ? "
                                 "WHERE id = ? AND status = ?",
                       "siss", u->from, nb_now_us(), u->id, u->busy) == 0)
            nb_tx_commit(tx);
        else
            nb_tx_rollback(tx);
        nb_info("image %s: upload did not complete; back to %s", u->id, u->from);
    }
    u->finished = true;
}

static void nb_upload_release(void *state, bool completed)
{
    struct nb_upload *u = state;
    (void)completed;        /* what counts is whether the row was updated */
    if (!u)
        return;
    nb_upload_reset(u);
    nb_upload_free(u);
}

/* Refuses an upload without closing on a client that is still sending
 * (it would see a reset, not the answer): the error recorded on the
 * request is kept and answered once the body is read, up to NB_IMG_DRAIN
 * bytes of it; the image goes back at once and nothing more is stored. */
static void nb_upload_refuse(struct nb_req *req, struct nb_upload *u)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    u->refused = ctx->err_status ? ctx->err_status : 500;
    snprintf(u->refused_msg, sizeof(u->refused_msg), "%s", ctx->err_msg);
    ctx->err_status = 0;
    ctx->err_msg[0] = '\0';
    nb_upload_reset(u);
}

static int nb_upload_refusal(struct nb_req *req, struct nb_upload *u)
{
    return nb_req_err(req, u->refused, "%s", u->refused_msg);
}

/* Rejects data that is unsafe or not the declared disk_format. */
static int nb_upload_inspect(struct nb_ctx *ctx, struct nb_upload *u,
                             struct nb_img_format *f)
{
    nb_img_inspect(u->head, u->hlen, u->tail, u->tlen, f);
    if (f->unsafe)
        return nb_err_set(ctx, 400, "Image data is not safe to use: %s.", f->reason);
    if (!nb_img_format_matches(u->declared, f))
        return nb_err_set(ctx, 400, "Image content does not match disk_format: the "
                                    "image was declared %s but the data is %s.",
                          u->declared, f->name);
    return 0;
}

static int nb_upload_flush(struct nb_ctx *ctx, struct nb_upload *u)
{
    int r;
    if (!u->blen)
        return 0;
    nb_hasher_submit(u->hash, u->batch[u->cur], u->blen);
    r = nb_blob_writer_write(u->w, u->batch[u->cur], u->blen);
    u->cur ^= 1;         /* the digests had finished with that one */
    u->blen = 0;
    if (r < 0)
        return nb_err_set(ctx, 500, "Cannot store the image data: %s.", strerror(-r));
    return 0;
}

/* Takes the next 'len' bytes of the image. */
static int nb_upload_feed(struct nb_ctx *ctx, struct nb_upload *u, const char *data,
                          size_t len)
{
    size_t n;
    int r;

    u->size += len;
    if (u->room >= 0 && u->size > (uint64_t)u->room)
        return nb_err_set(ctx, 413, "Image exceeds the storage quota "
                                    "(image_size_total).");
    if (u->hlen < NB_IMG_HEAD) {
        struct nb_img_format f;
        n = len < NB_IMG_HEAD - u->hlen ? len : NB_IMG_HEAD - u->hlen;
        memcpy(u->head + u->hlen, data, n);
        u->hlen += n;
        /* refuse as soon as the header says so, before more is stored */
        if (u->hlen == NB_IMG_HEAD && !u->stage && (r = nb_upload_inspect(ctx, u, &f)) < 0)
            return r;
    }
    if (len >= NB_IMG_TAIL) {
        memcpy(u->tail, data + len - NB_IMG_TAIL, NB_IMG_TAIL);
        u->tlen = NB_IMG_TAIL;
    } else {
        size_t keep = u->tlen + len > NB_IMG_TAIL ? NB_IMG_TAIL - len : u->tlen;
        memmove(u->tail, u->tail + u->tlen - keep, keep);
        memcpy(u->tail + keep, data, len);
        u->tlen = keep + len;
    }
    if (u->stage) {
        r = nb_blob_writer_write(u->w, data, len);
        return r < 0 ? nb_err_set(ctx, 500, "Cannot store the image data: %s.",
                                  strerror(-r)) : 0;
    }
    while (len) {
        n = len < NB_IMG_BATCH - u->blen ? len : NB_IMG_BATCH - u->blen;
        memcpy(u->batch[u->cur] + u->blen, data, n);
        u->blen += n;
        data += n;
        len -= n;
        if (u->blen == NB_IMG_BATCH && (r = nb_upload_flush(ctx, u)) < 0)
            return r;
    }
    return 0;
}

/* Verifies and commits the data, then makes the image active (or, for a
 * stage, leaves it 'uploading') in one transaction. */
static int nb_upload_finish(struct nb_ctx *ctx, struct nb_upload *u)
{
    struct nb_img_format f;
    struct nb_tx *tx = NULL;
    const char *ns = u->stage ? NB_IMG_STAGE_NS : NB_IMG_NS;
    char md5[33], sha[129];
    int64_t vsize = 0;
    int changes = 0, r;

    if (!u->stage) {
        if ((r = nb_upload_flush(ctx, u)) < 0 || (r = nb_upload_inspect(ctx, u, &f)) < 0)
            return r;
        nb_hasher_final(u->hash, md5, sha);
        vsize = f.virtual_size;
        if (!vsize && (!strcmp(f.name, "raw") || !strcmp(f.name, "iso")))
            vsize = (int64_t)u->size;
    }
    r = nb_blob_writer_commit(u->w, u->id, NULL, 0);
    u->w = NULL;
    if (r < 0)
        return nb_err_set(ctx, 500, "Cannot store the image data: %s.", strerror(-r));
    r = nb_tx_begin(nb_img_env->db, true, &tx);
    if (r == 0 && u->stage)
        r = nb_tx_exec(tx, &changes, "UPDATE images SET status = 'uploading', "
                                     "updated_at = ? WHERE id = ? AND status = ?",
                       "iss", nb_now_us(), u->id, u->busy);
    else if (r == 0)
        r = nb_tx_exec(tx, &changes,
                       "UPDATE images SET status = 'active', size = ?, virtual_size = ?, "
                       "checksum = ?, os_hash_algo = 'sha512', os_hash_value = ?, "
                       "updated_at = ? WHERE id = ? AND status = ?",
                       "iississ", (int64_t)u->size, vsize, md5, sha, nb_now_us(), u->id,
                       u->busy);
    if (r == 0 && changes == 1)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    if (r == 0 && changes == 1) {
        u->finished = true;
        return 0;
    }
    /* the image was deleted while its data came in */
    nb_blob_delete(nb_img_env->blobs, ns, u->id);
    if (r < 0)
        return r;
    u->finished = true;
    return nb_err_set(ctx, 410, "Image %s could not be found after upload. The image "
                                "may have been deleted during the upload.", u->id);
}

/* Moves the image 'from' -> 'busy' in its own short transaction. */
static int nb_upload_claim(struct nb_ctx *ctx, const json_t *img, const char *from,
                           const char *busy)
{
    struct nb_tx *tx = NULL;
    int changes = 0;
    int r = nb_tx_begin(nb_img_env->db, true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, &changes, "UPDATE images SET status = ?, updated_at = ? "
                                     "WHERE id = ? AND status = ?",
                       "siss", busy, nb_now_us(), nb_json_str(img, "id"), from);
    if (r == 0 && changes == 1)
        return nb_tx_commit(tx);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    return nb_err_set(ctx, 409, "Image status transition from %s to %s is not allowed",
                      nb_json_str(img, "status"), busy);
}

static struct nb_upload *nb_upload_new(const json_t *img, bool stage)
{
    struct nb_upload *u = nb_xcalloc(1, sizeof(*u));
    snprintf(u->id, sizeof(u->id), "%s", nb_json_str(img, "id"));
    u->declared = nb_xstrdup(nb_json_str(img, "disk_format"));
    u->stage = stage;
    u->head = nb_xmalloc(NB_IMG_HEAD);
    u->room = -1;
    if (!stage) {
        u->hash = nb_hasher_new();
        u->batch[0] = nb_xmalloc(NB_IMG_BATCH);
        u->batch[1] = nb_xmalloc(NB_IMG_BATCH);
    }
    return u;
}

/* Starts an upload (or a stage) of 'img' as ctx: the image must be
 * queued, have its formats, and fit in the owner's quota with 'want'
 * bytes (-1: unknown); it is claimed ('saving' or 'uploading') and *out
 * is the upload, which the caller ends with nb_upload_release. */
static int nb_upload_open(struct nb_ctx *ctx, const json_t *img, bool stage, long want,
                          struct nb_upload **out)
{
    const char *status = nb_json_str(img, "status");
    const char *busy = stage ? "uploading" : "saving";
    struct nb_tx *tx = NULL;
    struct nb_upload *u;
    int64_t used = 0, limit = nb_img_size_limit();
    int r = 0;

    *out = NULL;
    if (limit >= 0 && (r = nb_tx_begin(nb_img_env->db, false, &tx)) == 0) {
        r = nb_img_usage_bytes(tx, nb_json_str(img, "owner"), &used);
        nb_tx_rollback(tx);
    }
    if (r < 0)
        return r;
    if (strcmp(status, "queued"))
        return nb_err_set(ctx, 409, "Image status transition from %s to %s is not allowed",
                          status, busy);
    if (!nb_json_str(img, "disk_format") || !nb_json_str(img, "container_format"))
        return nb_err_set(ctx, 400, "Properties disk_format, container_format must be set "
                                    "prior to saving data.");
    if (limit >= 0 && want > 0 && used + want > limit)
        return nb_err_set(ctx, 413, "Image exceeds the storage quota: %ld bytes requested, "
                                    "%lld of %lld bytes used (image_size_total).", want,
                          (long long)used, (long long)limit);
    r = nb_upload_claim(ctx, img, "queued", busy);
    if (r < 0)
        return r;
    u = nb_upload_new(img, stage);
    u->from = "queued";
    u->busy = busy;
    u->room = limit >= 0 ? limit - used : -1;
    *out = u;
    r = nb_blob_writer_new(nb_img_env->blobs, stage ? NB_IMG_STAGE_NS : NB_IMG_NS, &u->w);
    if (r < 0)
        return nb_err_set(ctx, 500, "Cannot store the image data: %s.", strerror(-r));
    return 0;
}

/* on_begin of PUT /file and /stage */
static int nb_upload_begin(struct nb_req *req, bool stage)
{
    const char *cl = nb_req_header(req, "Content-Length");
    struct nb_tx *tx = NULL;
    struct nb_upload *u = NULL;
    json_t *img = NULL;
    long want = -1;
    int r = nb_tx_begin(nb_img_env->db, false, &tx);

    if (r == 0)
        r = nb_img_find(req, tx, nb_req_param(req, 0), "image:upload_image", &img);
    nb_tx_rollback(tx);
    if (cl && nb_str_to_long(cl, &want) < 0)
        want = -1;
    if (r == 0)
        r = nb_upload_open(nb_req_ctx(req), img, stage, want, &u);
    if (!u) {
        u = nb_xcalloc(1, sizeof(*u));
        u->finished = true;          /* nothing claimed */
    }
    nb_req_set_state(req, u, nb_upload_release);
    if (r < 0)
        nb_upload_refuse(req, u);
    json_decref(img);
    return 0;
}

int nb_img_upload_begin(struct nb_req *req)
{
    return nb_upload_begin(req, false);
}

int nb_img_stage_begin(struct nb_req *req)
{
    return nb_upload_begin(req, true);
}

int nb_img_upload_body(struct nb_req *req, const char *data, size_t len)
{
    struct nb_upload *u = nb_req_state(req);
    if (u->refused) {
        u->drained += len;
        return u->drained > NB_IMG_DRAIN ? nb_upload_refusal(req, u) : 0;
    }
    if (nb_upload_feed(nb_req_ctx(req), u, data, len) < 0)
        nb_upload_refuse(req, u);
    return 0;
}

int nb_img_upload_end(struct nb_req *req)
{
    struct nb_upload *u = nb_req_state(req);
    int r;
    if (u->refused)
        return nb_upload_refusal(req, u);
    r = nb_upload_finish(nb_req_ctx(req), u);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* ---- POST /v2/images/{id}/import (glance-direct) */

/* Feeds the upload from 'fd': 'size' bytes, or to its end when 'size' is
 * negative (a blob's file goes on with its metadata, so a staged blob is
 * read by its size). */
static int nb_upload_feed_fd(struct nb_ctx *ctx, struct nb_upload *u, int fd,
                             int64_t size)
{
    char *buf = nb_xmalloc(NB_IMG_BATCH);
    ssize_t n;
    int r = 0;

    while (r == 0 && size != 0) {
        size_t want = size > 0 && size < NB_IMG_BATCH ? (size_t)size : NB_IMG_BATCH;
        n = read(fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 && size < 0)
            break;
        if (n <= 0) {
            r = nb_err_set(ctx, 500, "Cannot read the image data.");
        } else {
            r = nb_upload_feed(ctx, u, buf, (size_t)n);
            if (size > 0)
                size -= n;
        }
    }
    free(buf);
    return r;
}

/* Copies the staged data through the upload path into the image. */
static int nb_import_copy(struct nb_ctx *ctx, struct nb_upload *u)
{
    uint64_t size = 0;
    int fd = -1;
    int r = nb_blob_open(nb_img_env->blobs, NB_IMG_STAGE_NS, u->id, &fd, &size);
    if (r < 0)
        return nb_err_set(ctx, 409, "Image %s has no staged data.", u->id);
    r = nb_blob_writer_new(nb_img_env->blobs, NB_IMG_NS, &u->w);
    if (r == 0 && size > 0)
        r = nb_upload_feed_fd(ctx, u, fd, (int64_t)size);
    close(fd);
    return r < 0 ? r : nb_upload_finish(ctx, u);
}

int nb_img_upload_fd(struct nb_ctx *ctx, const json_t *img, int fd)
{
    struct nb_upload *u = NULL;
    int r = nb_upload_open(ctx, img, false, -1, &u);
    if (r == 0)
        r = nb_upload_feed_fd(ctx, u, fd, -1);
    if (r == 0)
        r = nb_upload_finish(ctx, u);
    nb_upload_release(u, r == 0);
    return r;
}

int nb_img_import(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req), *img = NULL;
    struct nb_upload *u = NULL;
    struct nb_tx *tx = NULL;
    const char *method;
    int64_t used = 0, limit = nb_img_size_limit();
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    method = nb_json_str(nb_json_obj(body, "method"), "name");
    r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_find(req, tx, nb_req_param(req, 0), "image:import_image", &img);
    if (r == 0 && limit >= 0)
        r = nb_img_usage_bytes(tx, nb_json_str(img, "owner"), &used);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    if (!method)
        r = nb_req_err(req, 400, "Import request requires a 'method' with a 'name'.");
    else if (strcmp(method, "glance-direct"))
        r = nb_req_err(req, 400, "Import method %s is not supported: the methods "
                                 "available are glance-direct.", method);
    else if (strcmp(nb_json_str(img, "status"), "uploading"))
        r = nb_req_err(req, 409, "Image needs to be staged before 'glance-direct' method "
                                 "can be used (image %s is %s).",
                       nb_json_str(img, "id"), nb_json_str(img, "status"));
    if (r == 0)
        r = nb_upload_claim(ctx, img, "uploading", "importing");
    if (r < 0)
        goto out;
    u = nb_upload_new(img, false);
    u->from = "uploading";
    u->busy = "importing";
    u->room = limit >= 0 ? limit - used : -1;    /* staged bytes count now */
    r = nb_import_copy(ctx, u);
    nb_img_task_record(req, u->id, body, r == 0, r == 0 ? "" : ctx->err_msg);
    if (r == 0) {
        nb_blob_delete(nb_img_env->blobs, NB_IMG_STAGE_NS, u->id);
        r = nb_reply_empty(req, 202);
    } else if (r != -EIDRM) {
        /* data that cannot become active is dropped, as Glance's failed
         * import task does: the image is queued again */
        nb_blob_delete(nb_img_env->blobs, NB_IMG_STAGE_NS, u->id);
        u->from = "queued";
    }
out:
    nb_upload_release(u, r == 0);
    json_decref(img);
    return r;
}

/* ---- GET /v2/images/{id}/file */

/* A single "bytes=a-b", "bytes=a-" or "bytes=-n" within 'size'. */
static bool nb_range_parse(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
    unsigned long long a = 0, b = 0;
    int n = 0;
    if (strncmp(h, "bytes=", 6) || strchr(h, ',') || !size)
        return false;
    h += 6;
    if (h[0] == '-') {
        if (sscanf(h + 1, "%llu%n", &b, &n) != 1 || h[1 + n] || !b)
            return false;
        *off = b >= size ? 0 : size - b;
        *len = size - *off;
        return true;
    }
    if (sscanf(h, "%llu-%n", &a, &n) != 1 || a >= size)
        return false;
    h += n;
    if (!*h) {
        b = size - 1;
    } else if (sscanf(h, "%llu%n", &b, &n) != 1 || h[n] || b < a) {
        return false;
    }
    if (b >= size)
        b = size - 1;
    *off = a;
    *len = b - a + 1;
    return true;
}

int nb_img_download(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL;
    const char *status, *range = nb_req_header(req, "Range");
    uint64_t size = 0, off = 0, len = 0;
    char buf[96];
    int fd = -1;
    int r = nb_tx_begin(nb_img_env->db, false, &tx);

    if (r == 0)
        r = nb_img_find(req, tx, nb_req_param(req, 0), "image:download_image", &img);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    status = nb_json_str(img, "status");
    if (!strcmp(status, "deactivated") && !nb_img_is_admin(nb_req_ctx(req))) {
        r = nb_req_err(req, 403, "The requested image has been deactivated. Image data "
                                 "download is forbidden.");
        goto out;
    }
    if ((strcmp(status, "active") && strcmp(status, "deactivated")) ||
        nb_blob_open(nb_img_env->blobs, NB_IMG_NS, nb_json_str(img, "id"), &fd, &size) < 0) {
        r = nb_reply_empty(req, 204);    /* no data yet */
        goto out;
    }
    if (range) {
        if (!nb_range_parse(range, size, &off, &len)) {
            close(fd);
            snprintf(buf, sizeof(buf), "bytes */%llu", (unsigned long long)size);
            nb_reply_header(req, "Content-Range", buf);
            r = nb_req_err(req, 416, "Requested range %s is not satisfiable for %llu bytes.",
                           range, (unsigned long long)size);
            goto out;
        }
        snprintf(buf, sizeof(buf), "bytes %llu-%llu/%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1), (unsigned long long)size);
        nb_reply_header(req, "Content-Range", buf);
        r = nb_reply_fd(req, 206, "application/octet-stream", fd, off, len);
        goto out;
    }
    if (nb_json_str(img, "checksum"))
        nb_reply_header(req, "Content-MD5", nb_json_str(img, "checksum"));
    r = nb_reply_fd(req, 200, "application/octet-stream", fd, 0, size);
out:
    json_decref(img);
    return r;
}

/* ---- recovery at start */

static int nb_recover_key(void *arg, const char *key)
{
    json_array_append_new(arg, json_string(key));
    return 0;
}

/* Deletes the blobs of 'ns' whose image is gone or is not in one of the
 * 'keep' statuses (data committed by an upload whose final transaction a
 * crash prevented). */
static int nb_recover_sweep(struct nb_tx *tx, const char *ns, const char *keep)
{
    json_t *keys = json_array();
    const json_t *k;
    size_t i;
    int r = nb_blob_each(nb_img_env->blobs, ns, nb_recover_key, keys);
    json_array_foreach(keys, i, k) {
        char *status = NULL;
        const char *key = json_string_value(k);
        if (r < 0)
            break;
        r = nb_tx_query_str(tx, &status, "SELECT status FROM images WHERE id = ?", "s", key);
        if (r == -ENOENT || (r == 0 && !strstr(keep, status))) {
            nb_warn("image: removing data of %s left by an interrupted upload", key);
            nb_blob_delete(nb_img_env->blobs, ns, key);
        }
        if (r == -ENOENT)
            r = 0;
        free(status);
    }
    json_decref(keys);
    return r;
}

/* A stage the crash cut short has no data: back to queued. */
static int nb_recover_unstaged(struct nb_tx *tx)
{
    struct nb_stmt *st = NULL;
    json_t *ids = json_array();
    const json_t *id;
    size_t i;
    int r = nb_tx_query(tx, &st, "SELECT id FROM images WHERE status = 'uploading'", "");
    while (r == 0 && (r = nb_stmt_next(st)) > 0)
        r = json_array_append_new(ids, json_string(nb_stmt_text(st, 0)));
    nb_stmt_done(st);
    json_array_foreach(ids, i, id) {
        int fd = -1;
        uint64_t size;
        if (r < 0)
            break;
        if (nb_blob_open(nb_img_env->blobs, NB_IMG_STAGE_NS, json_string_value(id), &fd,
                         &size) == 0) {
            close(fd);
            continue;
        }
        r = nb_tx_exec(tx, NULL, "UPDATE images SET status = 'queued' WHERE id = ?", "s",
                       json_string_value(id));
    }
    json_decref(ids);
    return r;
}

int nb_img_recover(struct nb_db *db)
{
    struct nb_tx *tx = NULL;
    int n1 = 0, n2 = 0;
    int r = nb_tx_begin(db, true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, &n1, "UPDATE images SET status = 'queued' WHERE status = 'saving'",
                       "");
    /* an import goes back to its staged data; a stage to nothing */
    if (r == 0)
        r = nb_tx_exec(tx, &n2, "UPDATE images SET status = 'uploading' WHERE status = "
                                "'importing'", "");
    if (r == 0)
        r = nb_recover_sweep(tx, NB_IMG_NS, "active deactivated");
    if (r == 0)
        r = nb_recover_sweep(tx, NB_IMG_STAGE_NS, "uploading");
    if (r == 0)
        r = nb_recover_unstaged(tx);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    if (r == 0 && n1 + n2)
        nb_info("image: %d interrupted upload(s) and %d import(s) recovered", n1, n2);
    return r;
}
