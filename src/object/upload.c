/* Object PUT, streamed: the body goes to a blob writer (a temporary file)
 * as it arrives, with its md5 computed on the way.  When the body is
 * complete: the client's ETag is checked (422), the blob is committed
 * under a fresh key with the object's metadata (fsync, rename, directory
 * fsync), and only then the row is written and the response sent.  The
 * replaced blob is deleted after the row commits.  A client that goes
 * away, or sends less than Content-Length, never reaches the handler:
 * the request cleanup aborts the writer (nothing visible), and a crash
 * leaves a temporary that the blob store removes when the daemon starts,
 * or a committed blob no row names, which the sweep at start removes.
 *
 * Copies (COPY, PUT with X-Copy-From) read the source's body and store
 * it the same way. */
#include "object/internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const nb_object_sys[] = {
    "content-encoding", "content-disposition", "x-object-manifest", NULL,
};

struct nb_obj_put {
    struct nb_obj_rq rq;
    struct nb_blob_writer *w;
    struct nb_obj_hasher *md5;
    struct nb_buf manifest;     /* ?multipart-manifest=put: the JSON body */
    bool slo, copy;
    uint64_t got;
};

static void nb_obj_put_free(void *state, bool completed)
{
    struct nb_obj_put *p = state;
    (void)completed;
    nb_blob_writer_abort(p->w);   /* still here: the object was not stored */
    nb_obj_hasher_free(p->md5);
    nb_buf_free(&p->manifest);
    free(p);
}

/* 413 when adding 'bytes' (and one object when 'one') would pass the
 * container's or the account's quota. */
static int nb_obj_quota_check(struct nb_req *req, struct nb_tx *tx, const char *account,
                              const struct nb_obj_container *c, int64_t bytes, bool one)
{
    const char *qb = nb_json_str(c->meta, "x-container-meta-quota-bytes");
    const char *qc = nb_json_str(c->meta, "x-container-meta-quota-count");
    json_t *ameta = NULL;
    long q;
    int r = 0;

    if (qb && nb_str_to_long(qb, &q) == 0 && c->bytes + bytes > q)
        return nb_req_err(req, 413, "Upload exceeds quota.");
    if (one && qc && nb_str_to_long(qc, &q) == 0 && c->count + 1 > q)
        return nb_req_err(req, 413, "Upload exceeds quota.");
    r = nb_obj_account_meta(tx, account, &ameta);
    qb = r == 0 ? nb_json_str(ameta, "x-account-meta-quota-bytes") : NULL;
    if (qb && nb_str_to_long(qb, &q) == 0) {
        int64_t nc, no, nbytes;
        r = nb_obj_account_usage(tx, account, &nc, &no, &nbytes);
        if (r == 0 && nbytes + bytes > q)
            r = nb_req_err(req, 413, "Upload exceeds quota.");
    }
    json_decref(ameta);
    return r;
}

/* Everything decided from the headers, before a body byte is read. */
static int nb_obj_put_check(struct nb_obj_put *p)
{
    struct nb_req *req = p->rq.req;
    struct nb_obj_container c = {0};
    struct nb_obj_row row;
    struct nb_tx *tx = NULL;
    const char *clen = nb_req_header(req, "Content-Length");
    const char *te = nb_req_header(req, "Transfer-Encoding");
    const char *inm = nb_req_header(req, "If-None-Match");
    json_t *scratch = json_object();
    int64_t at, len = 0;
    long v;
    int r;

    if (clen) {
        if (nb_str_to_long(clen, &v) < 0 || v < 0) {
            r = nb_req_err(req, 400, "Invalid Content-Length");
            goto out;
        }
        len = v;
    } else if (!te || !strcasestr(te, "chunked")) {
        if (!p->copy) {
            r = nb_req_err(req, 411, "Length Required");
            goto out;
        }
    }
    if (len > nb_obj_limits.max_file_size) {
        r = nb_req_err(req, 413, "Your request is too large.");
        goto out;
    }
    if (inm && strcmp(inm, "*") != 0) {
        r = nb_req_err(req, 400, "If-None-Match only supports *");
        goto out;
    }
    if ((r = nb_obj_meta_apply(req, "object", nb_object_sys, scratch, false)) < 0 ||
        (r = nb_obj_delete_at(req, &at)) < 0)
        goto out;
    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        goto out;
    r = nb_obj_container_load(tx, p->rq.account, p->rq.container, &c);
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_authorize(&p->rq, NB_OBJ_OP_WRITE, c.meta);
        if (k < 0)
            r = k;
    }
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0 && inm) {
        r = nb_obj_row_load(tx, p->rq.account, p->rq.container, p->rq.object, &row);
        if (r == 0) {
            nb_obj_row_clear(&row);
            r = nb_req_err(req, 412, "Precondition Failed");
        } else if (r == -ENOENT) {
            r = 0;
        }
    }
    if (r == 0)
        r = nb_obj_quota_check(req, tx, p->rq.account, &c, len, true);
out:
    nb_tx_rollback(tx);
    nb_obj_container_clear(&c);
    json_decref(scratch);
    return r;
}

int nb_obj_put_begin(struct nb_req *req)
{
    struct nb_obj_put *p = nb_xcalloc(1, sizeof(*p));
    const char *mm = nb_req_query(req, "multipart-manifest");
    int r;

    nb_req_set_state(req, p, nb_obj_put_free);
    if ((r = nb_obj_rq_init(req, &p->rq)) < 0)
        return r;
    p->slo = mm && strcmp(mm, "put") == 0;
    p->copy = nb_req_header(req, "X-Copy-From") != NULL;
    if ((r = nb_obj_put_check(p)) < 0)
        return r;
    if (p->slo || p->copy)
        return 0;
    p->md5 = nb_obj_hasher_new();
    return nb_blob_writer_new(nb_obj_env->blobs, NB_OBJ_NS, &p->w);
}

int nb_obj_put_body(struct nb_req *req, const char *data, size_t len)
{
    struct nb_obj_put *p = nb_req_state(req);

    p->got += len;
    if (p->slo) {
        if (p->manifest.len + len > NB_OBJ_SLO_MAX_MANIFEST)
            return nb_req_err(req, 413, "Manifest File > %d bytes", NB_OBJ_SLO_MAX_MANIFEST);
        nb_buf_add(&p->manifest, data, len);
        return 0;
    }
    if (p->copy)
        return nb_req_err(req, 400, "Copy requests require a zero byte body");
    if ((int64_t)p->got > nb_obj_limits.max_file_size)
        return nb_req_err(req, 413, "Your request is too large.");
    nb_obj_hasher_add(p->md5, data, len);
    return nb_blob_writer_write(p->w, data, len);
}

/* The record stored with the bytes (the blob's metadata trailer): enough
 * to tell, from the blob alone, what object it was. */
static char *nb_obj_trailer(const char *account, const char *container,
                            const struct nb_obj_row *row)
{
    json_t *t = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:O}", "account", account, "container",
                          container, "name", row->name, "etag", row->etag, "content_type",
                          row->ctype, "modified", (json_int_t)row->modified, "meta", row->meta);
    char *s = nb_json_dump(t);
    json_decref(t);
    return s;
}

/* Commits writer 'w' (taken) under a fresh key, then the row (the
 * container must still exist and the quota hold), then deletes the blob
 * the row replaced.  Fills row->blob. */
static int nb_obj_commit(struct nb_req *req, const char *account, const char *container,
                         struct nb_blob_writer *w, struct nb_obj_row *row)
{
    char key[NB_ID_HEX_LEN + 1], *trailer;
    int r;

    nb_uuid_hex(key);
    trailer = nb_obj_trailer(account, container, row);
    r = nb_blob_writer_commit(w, key, trailer, strlen(trailer));
    free(trailer);
    if (r < 0)
        return nb_req_err(req, 503, "The object could not be stored.");
    row->blob = nb_xstrdup(key);
    return nb_obj_row_commit_blob(req, account, container, row, true);
}

/* The row of a new object from the request's headers ('base': metadata to
 * start from, may be NULL). */
static int nb_obj_row_new(struct nb_req *req, const char *name, const json_t *base,
                          const char *def_ctype, struct nb_obj_row *row)
{
    const char *ctype = nb_req_header(req, "Content-Type");
    int r;

    memset(row, 0, sizeof(*row));
    row->name = nb_xstrdup(name);
    row->meta = base ? json_deep_copy(base) : json_object();
    row->ctype = nb_xstrdup(ctype && *ctype ? ctype : def_ctype);
    row->modified = nb_now_us();
    r = nb_obj_meta_apply(req, "object", nb_object_sys, row->meta, false);
    if (r == 0)
        r = nb_obj_delete_at(req, &row->delete_at);
    return r;
}

void nb_obj_put_reply(struct nb_req *req, const struct nb_obj_row *row)
{
    char v[80];
    nb_reply_empty(req, 201);
    nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    if (nb_obj_row_is_slo(row)) {
        snprintf(v, sizeof(v), "\"%s\"", row->etag);
        nb_reply_header(req, "Etag", v);
    } else {
        nb_reply_header(req, "Etag", row->etag);
    }
    nb_obj_http_date(row->modified, v);
    nb_reply_header(req, "Last-Modified", v);
}

static int nb_obj_copy_from(struct nb_req *req, struct nb_obj_rq *dst, const char *src_account,
                            const char *src);

int nb_obj_put_done(struct nb_req *req)
{
    struct nb_obj_put *p = nb_req_state(req);
    struct nb_obj_row row = {0};
    const char *want = nb_req_header(req, "ETag");
    int r;

    if (p->copy) {
        char *src = nb_url_decode(nb_req_header(req, "X-Copy-From"),
                                  strlen(nb_req_header(req, "X-Copy-From")), false);
        const char *acct = nb_req_header(req, "X-Copy-From-Account");
        r = nb_obj_copy_from(req, &p->rq, acct, src);
        free(src);
        return r;
    }
    if ((r = nb_obj_row_new(req, p->rq.object, NULL, "application/octet-stream", &row)) < 0)
        goto out;
    if (p->slo) {
        r = nb_obj_slo_put(req, &p->rq, p->manifest.buf ? p->manifest.buf : "", p->manifest.len,
                           row.meta, row.ctype, row.delete_at);
        goto out;
    }
    nb_obj_hasher_final(p->md5, row.etag);
    if (want) {
        char clean[72];
        nb_obj_etag_clean(want, clean);
        if (strcasecmp(clean, row.etag) != 0) {
            r = nb_req_err(req, 422, "Unprocessable Entity");
            goto out;
        }
    }
    row.size = (int64_t)nb_blob_writer_size(p->w);
    r = nb_obj_commit(req, p->rq.account, p->rq.container, p->w, &row);
    p->w = NULL;                  /* committed or freed by the store */
    if (r == 0)
        nb_obj_put_reply(req, &row);
out:
    nb_obj_row_clear(&row);
    return r;
}

int nb_obj_blob_put(const void *data, size_t len, const json_t *meta, char **key,
                    char etag[33])
{
    struct nb_blob_writer *w = NULL;
    char k[NB_ID_HEX_LEN + 1], *m;
    unsigned char d[16];
    unsigned int dl = 0;
    int r;

    EVP_Digest(data, len, d, &dl, EVP_md5(), NULL);
    nb_hex_encode(d, 16, etag);
    if ((r = nb_blob_writer_new(nb_obj_env->blobs, NB_OBJ_NS, &w)) < 0)
        return r;
    if ((r = nb_blob_writer_write(w, data, len)) < 0) {
        nb_blob_writer_abort(w);
        return r;
    }
    nb_uuid_hex(k);
    m = nb_json_dump(meta);
    r = nb_blob_writer_commit(w, k, m, strlen(m));
    free(m);
    if (r == 0)
        *key = nb_xstrdup(k);
    return r;
}

int nb_obj_row_commit_blob(struct nb_req *req, const char *account, const char *container,
                           struct nb_obj_row *row, bool quota)
{
    struct nb_obj_container c = {0};
    struct nb_tx *tx = NULL;
    char *old = NULL;
    int r;

    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        goto out;
    r = nb_obj_container_load(tx, account, container, &c);
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0 && quota)
        r = nb_obj_quota_check(req, tx, account, &c, row->size, true);
    if (r == 0)
        r = nb_obj_row_store(tx, account, container, &c, row, &old);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
out:
    nb_tx_rollback(tx);
    nb_obj_container_clear(&c);
    if (r < 0)
        nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, row->blob);
    else if (old)
        nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, old);
    free(old);
    return r;
}

/* ---- copies */

struct nb_obj_copy_sink {
    struct nb_blob_writer *w;
    struct nb_obj_hasher *md5;
};

static int nb_obj_copy_chunk(void *arg, const char *data, size_t len)
{
    struct nb_obj_copy_sink *s = arg;
    nb_obj_hasher_add(s->md5, data, len);
    return nb_blob_writer_write(s->w, data, len);
}

/* Splits "cont/obj" (a leading '/' allowed) into new strings. */
static int nb_obj_split_path(struct nb_req *req, const char *path, char **cont, char **obj)
{
    const char *slash;
    if (*path == '/')
        path++;
    slash = strchr(path, '/');
    if (!slash || slash == path || !slash[1])
        return nb_req_err(req, 412, "A copy path must be of the form "
                                    "/container/object");
    *cont = nb_xstrndup(path, (size_t)(slash - path));
    *obj = nb_xstrdup(slash + 1);
    return 0;
}

/* Copies account/src ("cont/obj") to the object 'dst' names. */
static int nb_obj_copy_from(struct nb_req *req, struct nb_obj_rq *dst, const char *src_account,
                            const char *src)
{
    struct nb_obj_rq srq = *dst;
    struct nb_obj_container sc = {0}, dc = {0};
    struct nb_obj_row srow = {0}, row = {0};
    struct nb_obj_body body = {0};
    struct nb_obj_copy_sink sink = {0};
    struct nb_tx *tx = NULL;
    char *scont = NULL, *sobj = NULL, etag[72], v[40];
    bool fresh = nb_str_is_true(nb_req_header(req, "X-Fresh-Metadata"));
    json_t *base = NULL;
    int r;

    if ((r = nb_obj_split_path(req, src, &scont, &sobj)) < 0)
        goto out;
    if (src_account) {
        if (strncmp(src_account, "AUTH_", 5) != 0) {
            r = nb_req_err(req, 412, "Bad account: %s", src_account);
            goto out;
        }
        srq.account = src_account;
        srq.project = src_account + 5;
        srq.owner = srq.tempurl = false;
        srq.authed = false;
    }
    srq.container = scont;
    srq.object = sobj;
    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        goto out;
    /* the source must be readable and the destination writable */
    r = nb_obj_container_load(tx, srq.account, scont, &sc);
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_authorize(&srq, NB_OBJ_OP_READ, sc.meta);
        if (k < 0)
            r = k;
    }
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_container_load(tx, dst->account, dst->container, &dc);
        if (k == 0 || k == -ENOENT) {
            int a = nb_obj_authorize(dst, NB_OBJ_OP_WRITE, dc.meta);
            if (a < 0)
                r = a;
            else if (k == -ENOENT)
                r = k;
        }
    }
    if (r == 0)
        r = nb_obj_row_load(tx, srq.account, scont, sobj, &srow);
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0)
        r = nb_obj_body_of(req, tx, srq.account, &srow, &body, etag);
    if (r == 0)
        r = nb_obj_quota_check(req, tx, dst->account, &dc, (int64_t)body.total, true);
    nb_tx_rollback(tx);
    tx = NULL;
    if (r < 0)
        goto out;
    if (!fresh) {
        base = json_deep_copy(srow.meta);
        json_object_del(base, "x-static-large-object");
        json_object_del(base, "x-object-manifest");
    }
    if ((r = nb_obj_row_new(req, dst->object, base, srow.ctype, &row)) < 0)
        goto out;
    if ((r = nb_blob_writer_new(nb_obj_env->blobs, NB_OBJ_NS, &sink.w)) < 0)
        goto out;
    sink.md5 = nb_obj_hasher_new();
    r = nb_obj_body_each(&body, nb_obj_copy_chunk, &sink);
    if (r < 0) {
        nb_blob_writer_abort(sink.w);
        r = nb_req_err(req, 503, "The source object could not be read.");
        goto out;
    }
    nb_obj_hasher_final(sink.md5, row.etag);
    row.size = (int64_t)nb_blob_writer_size(sink.w);
    r = nb_obj_commit(req, dst->account, dst->container, sink.w, &row);
    if (r < 0)
        goto out;
    nb_obj_put_reply(req, &row);
    nb_obj_meta_reply(req, row.meta);     /* Swift shows the copy's metadata */
    {
        char *from = nb_xasprintf("%s/%s", scont, sobj);
        nb_reply_header(req, "X-Copied-From", from);
        free(from);
    }
    if (src_account)
        nb_reply_header(req, "X-Copied-From-Account", src_account);
    nb_obj_http_date(srow.modified, v);
    nb_reply_header(req, "X-Copied-From-Last-Modified", v);
out:
    nb_tx_rollback(tx);
    nb_obj_hasher_free(sink.md5);
    json_decref(base);
    nb_obj_body_clear(&body);
    nb_obj_row_clear(&srow);
    nb_obj_row_clear(&row);
    nb_obj_container_clear(&sc);
    nb_obj_container_clear(&dc);
    free(scont);
    free(sobj);
    return r;
}

int nb_obj_copy(struct nb_req *req)
{
    struct nb_obj_rq rq, dst;
    const char *dest = nb_req_header(req, "Destination");
    const char *dacct = nb_req_header(req, "Destination-Account");
    char *path = NULL, *dcont = NULL, *dobj = NULL, *src = NULL;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0)
        return r;
    nb_req_policy_done(req);
    if (!dest)
        return nb_req_err(req, 412, "Destination header required");
    path = nb_url_decode(dest, strlen(dest), false);
    if ((r = nb_obj_split_path(req, path, &dcont, &dobj)) < 0)
        goto out;
    dst = rq;
    dst.container = dcont;
    dst.object = dobj;
    if (dacct) {
        if (strncmp(dacct, "AUTH_", 5) != 0) {
            r = nb_req_err(req, 412, "Bad account: %s", dacct);
            goto out;
        }
        dst.account = dacct;
        dst.project = dacct + 5;
        dst.owner = dst.reseller = dst.authed = false;
    }
    if ((r = nb_obj_name_check(req, dobj, NB_OBJ_MAX_OBJECT_NAME, "Object name")) < 0)
        goto out;
    src = nb_xasprintf("%s/%s", rq.container, rq.object);
    r = nb_obj_copy_from(req, &dst, dacct ? rq.account : NULL, src);
out:
    free(path);
    free(dcont);
    free(dobj);
    free(src);
    return r;
}
