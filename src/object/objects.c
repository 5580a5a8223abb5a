/* Objects: rows (load, store with versioning, remove), GET/HEAD with
 * conditions, POST (metadata) and DELETE.  PUT and copies are upload.c. */
#include "object/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const nb_object_sys[] = {
    "content-encoding", "content-disposition", "x-object-manifest", NULL,
};

int nb_obj_row_load(struct nb_tx *tx, const char *account, const char *container,
                    const char *name, struct nb_obj_row *out)
{
    struct nb_stmt *st = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    r = nb_tx_query(tx, &st, "SELECT name, blob, size, etag, content_type, modified, "
                             "delete_at, meta FROM object_objects WHERE account = ? AND "
                             "container = ? AND name = ? AND (delete_at = 0 OR "
                             "delete_at > ?)",
                    "sssi", account, container, name, nb_now_us() / 1000000);
    if (r == 0 && (r = nb_stmt_next(st)) == 0)
        r = -ENOENT;
    if (r > 0) {
        out->name = nb_xstrdup(nb_stmt_text(st, 0));
        out->blob = nb_xstrdup(nb_stmt_text(st, 1));
        out->size = nb_stmt_int(st, 2);
        snprintf(out->etag, sizeof(out->etag), "%s", nb_stmt_text(st, 3));
        out->ctype = nb_xstrdup(nb_stmt_text(st, 4));
        out->modified = nb_stmt_int(st, 5);
        out->delete_at = nb_stmt_int(st, 6);
        out->meta = json_loads(nb_stmt_text(st, 7), 0, NULL);
        if (!out->meta)
            out->meta = json_object();
        r = 0;
    }
    nb_stmt_done(st);
    return r;
}

void nb_obj_row_clear(struct nb_obj_row *r)
{
    free(r->name);
    free(r->blob);
    free(r->ctype);
    json_decref(r->meta);
    memset(r, 0, sizeof(*r));
}

bool nb_obj_row_is_slo(const struct nb_obj_row *r)
{
    const char *v = nb_json_str(r->meta, "x-static-large-object");
    return v && nb_str_is_true(v);
}

const char *nb_obj_row_dlo(const struct nb_obj_row *r)
{
    return nb_json_str(r->meta, "x-object-manifest");
}

/* The versions container's name for an old copy: Swift's
 * "%03x<name>/<timestamp>", so that names sort by age. */
static char *nb_obj_version_name(const char *name, int64_t modified)
{
    char ts[32];
    nb_obj_timestamp(modified, ts);
    return nb_xasprintf("%03zx%s/%s", strlen(name), name, ts);
}

/* Moves a row to another container and name, counts following. */
static int nb_obj_row_move(struct nb_tx *tx, const char *account, const char *from_c,
                           const char *from_n, const char *to_c, const char *to_n,
                           int64_t size)
{
    int r = nb_tx_exec(tx, NULL, "UPDATE object_objects SET container = ?, name = ? WHERE "
                                 "account = ? AND container = ? AND name = ?",
                       "sssss", to_c, to_n, account, from_c, from_n);
    if (r == 0)
        r = nb_obj_container_add(tx, account, from_c, -1, -size);
    if (r == 0)
        r = nb_obj_container_add(tx, account, to_c, 1, size);
    return r;
}

/* The container versions go to (stack or history mode), when it exists. */
static const char *nb_obj_versions_of(struct nb_tx *tx, const char *account,
                                      const struct nb_obj_container *c)
{
    const char *loc = nb_json_str(c->meta, "x-versions-location");
    struct nb_obj_container vc;
    if (!loc)
        loc = nb_json_str(c->meta, "x-history-location");
    if (!loc || nb_obj_container_load(tx, account, loc, &vc) < 0)
        return NULL;
    nb_obj_container_clear(&vc);
    return loc;
}

int nb_obj_row_remove(struct nb_tx *tx, const char *account, const char *container,
                      const char *name, char **blob)
{
    struct nb_stmt *st = NULL;
    int64_t size = 0;
    int r;

    *blob = NULL;
    r = nb_tx_query(tx, &st, "SELECT blob, size FROM object_objects WHERE account = ? AND "
                             "container = ? AND name = ?", "sss", account, container, name);
    if (r == 0 && (r = nb_stmt_next(st)) == 0)
        r = -ENOENT;
    if (r > 0) {
        *blob = nb_xstrdup(nb_stmt_text(st, 0));
        size = nb_stmt_int(st, 1);
        r = 0;
    }
    nb_stmt_done(st);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM object_objects WHERE account = ? AND "
                                 "container = ? AND name = ?", "sss", account, container, name);
    if (r == 0)
        r = nb_obj_container_add(tx, account, container, -1, -size);
    return r;
}

int nb_obj_row_store(struct nb_tx *tx, const char *account, const char *container,
                     const struct nb_obj_container *c, const struct nb_obj_row *row,
                     char **old_blob)
{
    struct nb_obj_row old;
    const char *vloc;
    char *meta = NULL;
    int r;

    *old_blob = NULL;
    r = nb_obj_row_load(tx, account, container, row->name, &old);
    if (r == 0 && (vloc = nb_obj_versions_of(tx, account, c))) {
        char *vname = nb_obj_version_name(row->name, old.modified);
        r = nb_obj_row_move(tx, account, container, row->name, vloc, vname, old.size);
        free(vname);
    } else if (r == 0 || r == -ENOENT) {
        /* an expired row may still hold the name */
        r = nb_obj_row_remove(tx, account, container, row->name, old_blob);
        if (r == -ENOENT)
            r = 0;
    }
    nb_obj_row_clear(&old);
    if (r < 0)
        return r;
    meta = nb_json_dump(row->meta);
    r = nb_tx_exec(tx, NULL, "INSERT INTO object_objects (account, container, name, blob, "
                             "size, etag, content_type, modified, delete_at, meta) VALUES "
                             "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   "ssssissiis", account, container, row->name, row->blob, row->size,
                   row->etag, row->ctype, row->modified, row->delete_at, meta);
    free(meta);
    if (r == 0)
        r = nb_obj_container_add(tx, account, container, 1, row->size);
    return r;
}

void nb_obj_row_headers(struct nb_req *req, const struct nb_obj_row *r)
{
    char v[80];
    if (nb_obj_row_is_slo(r) || nb_obj_row_dlo(r)) {
        snprintf(v, sizeof(v), "\"%s\"", r->etag);    /* as Swift quotes them */
        nb_reply_header(req, "Etag", v);
    } else {
        nb_reply_header(req, "Etag", r->etag);
    }
    nb_obj_http_date(r->modified, v);
    nb_reply_header(req, "Last-Modified", v);
    nb_obj_timestamp(r->modified, v);
    nb_reply_header(req, "X-Timestamp", v);
    if (r->delete_at) {
        snprintf(v, sizeof(v), "%lld", (long long)r->delete_at);
        nb_reply_header(req, "X-Delete-At", v);
    }
    nb_obj_meta_reply(req, r->meta);
}

/* Does an If-Match / If-None-Match list name 'etag'? */
static bool nb_obj_etag_in(const char *list, const char *etag)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        char *one = nb_xstrndup(p, n), clean[72];
        nb_obj_etag_clean(one, clean);
        free(one);
        if (strcmp(clean, "*") == 0 || strcmp(clean, etag) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

/* Evaluates the conditional headers: 0 go on, 304 or 412 to answer. */
static int nb_obj_conditions(struct nb_req *req, const char *etag, int64_t modified)
{
    const char *im = nb_req_header(req, "If-Match");
    const char *inm = nb_req_header(req, "If-None-Match");
    const char *ims = nb_req_header(req, "If-Modified-Since");
    const char *ius = nb_req_header(req, "If-Unmodified-Since");
    int64_t t, secs = (modified + 999999) / 1000000 * 1000000;

    if (im && !nb_obj_etag_in(im, etag))
        return 412;
    if (inm && nb_obj_etag_in(inm, etag))
        return 304;
    if (!inm && ims && nb_obj_http_date_parse(ims, &t) == 0 && secs <= t)
        return 304;
    if (!im && ius && nb_obj_http_date_parse(ius, &t) == 0 && secs > t)
        return 412;
    return 0;
}

/* The stored manifest of an SLO, as ?multipart-manifest=get returns it. */
static int nb_obj_manifest_reply(struct nb_req *req, const struct nb_obj_row *r)
{
    int fd;
    uint64_t size;
    int k = nb_blob_open(nb_obj_env->blobs, NB_OBJ_NS, r->blob, &fd, &size);
    if (k < 0)
        return nb_req_err(req, 500, "The manifest of this object is missing.");
    nb_obj_row_headers(req, r);
    return nb_reply_fd(req, 200, "application/json; charset=utf-8", fd, 0, size);
}

int nb_obj_object_get(struct nb_req *req)
{
    struct nb_obj_rq rq;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0)
        return r;
    return nb_obj_object_serve(req, &rq);
}

int nb_obj_object_serve(struct nb_req *req, struct nb_obj_rq *rqp)
{
    struct nb_obj_rq rq = *rqp;
    struct nb_obj_container c = {0};
    struct nb_obj_row row = {0};
    struct nb_obj_body body = {0};
    struct nb_tx *tx = NULL;
    const char *mm = nb_req_query(req, "multipart-manifest");
    char etag[72];
    int r, cond;

    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq.account, rq.container, &c);
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_authorize(&rq, NB_OBJ_OP_READ, c.meta);
        if (k < 0)
            r = k;
    }
    if (r == 0)
        r = nb_obj_row_load(tx, rq.account, rq.container, rq.object, &row);
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r < 0)
        goto out;
    if (mm && strcmp(mm, "get") == 0 && nb_obj_row_is_slo(&row)) {
        nb_tx_rollback(tx);
        tx = NULL;
        r = nb_obj_manifest_reply(req, &row);
        goto out;
    }
    r = nb_obj_body_of(req, tx, rq.account, &row, &body, etag);
    nb_tx_rollback(tx);
    tx = NULL;
    if (r < 0)
        goto out;
    snprintf(row.etag, sizeof(row.etag), "%s", etag);
    row.size = (int64_t)body.total;
    nb_obj_row_headers(req, &row);
    if (rq.tempurl && strcmp(nb_req_method(req), "GET") == 0) {
        /* temp URLs download as attachments unless ?inline */
        const char *fn = nb_req_query(req, "filename");
        const char *base = strrchr(rq.object, '/');
        char *v;
        if (nb_req_query(req, "inline"))
            v = fn ? nb_xasprintf("inline; filename=\"%s\"", fn) : nb_xstrdup("inline");
        else
            v = nb_xasprintf("attachment; filename=\"%s\"",
                             fn ? fn : base && base[1] ? base + 1 : rq.object);
        nb_reply_header(req, "Content-Disposition", v);
        free(v);
    }
    cond = nb_obj_conditions(req, etag, row.modified);
    if (cond) {
        r = nb_reply_empty(req, cond);
        nb_reply_header(req, "Content-Type", row.ctype);
        goto out;
    }
    r = nb_obj_body_reply(req, &body, row.ctype);
out:
    nb_tx_rollback(tx);
    nb_obj_body_clear(&body);
    nb_obj_row_clear(&row);
    nb_obj_container_clear(&c);
    return r;
}

int nb_obj_object_post(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_obj_container c = {0};
    struct nb_obj_row row = {0};
    struct nb_tx *tx = NULL;
    const char *ctype = nb_req_header(req, "Content-Type");
    char *meta = NULL;
    int64_t delete_at;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0)
        return r;
    if ((r = nb_obj_formpost(req, &rq)) != 1)
        return r;
    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq.account, rq.container, &c);
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_authorize(&rq, NB_OBJ_OP_WRITE, c.meta);
        if (k < 0)
            r = k;
    }
    if (r == 0)
        r = nb_obj_row_load(tx, rq.account, rq.container, rq.object, &row);
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0)
        r = nb_obj_meta_apply(req, "object", nb_object_sys, row.meta, true);
    if (r == 0)
        r = nb_obj_delete_at(req, &delete_at);
    if (r < 0)
        goto out;
    if (delete_at)
        row.delete_at = delete_at;
    else if (nb_req_header(req, "X-Remove-Delete-At"))
        row.delete_at = 0;
    if (ctype && *ctype) {
        free(row.ctype);
        row.ctype = nb_xstrdup(ctype);
    }
    meta = nb_json_dump(row.meta);
    r = nb_tx_exec(tx, NULL, "UPDATE object_objects SET meta = ?, content_type = ?, "
                             "delete_at = ? WHERE account = ? AND container = ? AND name = ?",
                   "ssisss", meta, row.ctype, row.delete_at, rq.account, rq.container,
                   rq.object);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r == 0) {
        nb_reply_empty(req, 202);
        nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    }
out:
    nb_tx_rollback(tx);
    free(meta);
    nb_obj_row_clear(&row);
    nb_obj_container_clear(&c);
    return r;
}

/* The newest version of 'name' in 'vloc', or NULL. */
static char *nb_obj_newest_version(struct nb_tx *tx, const char *account, const char *vloc,
                                   const char *name, int64_t *size)
{
    char *prefix = nb_xasprintf("%03zx%s/", strlen(name), name), *end = nb_xstrdup(prefix);
    struct nb_stmt *st = NULL;
    char *found = NULL;

    end[strlen(end) - 1]++;        /* '/' + 1: past every version */
    if (nb_tx_query(tx, &st, "SELECT name, size FROM object_objects WHERE account = ? AND "
                             "container = ? AND name >= ? AND name < ? ORDER BY name DESC "
                             "LIMIT 1", "ssss", account, vloc, prefix, end) == 0 &&
        nb_stmt_next(st) > 0) {
        found = nb_xstrdup(nb_stmt_text(st, 0));
        *size = nb_stmt_int(st, 1);
    }
    nb_stmt_done(st);
    free(prefix);
    free(end);
    return found;
}

/* DELETE under versioning: stack mode restores the newest version; history
 * mode archives the current object. */
static int nb_obj_delete_versioned(struct nb_tx *tx, struct nb_obj_rq *rq,
                                   const struct nb_obj_container *c, bool exists,
                                   int64_t cur_size, int64_t cur_modified, char **blob)
{
    const char *vloc = nb_obj_versions_of(tx, rq->account, c);
    int64_t vsize = 0;
    char *newest;
    int r = 0;

    if (!vloc)
        return exists ? nb_obj_row_remove(tx, rq->account, rq->container, rq->object, blob)
                      : -ENOENT;
    if (nb_json_str(c->meta, "x-history-location")) {
        char *vname;
        if (!exists)
            return -ENOENT;
        vname = nb_obj_version_name(rq->object, cur_modified);
        r = nb_obj_row_move(tx, rq->account, rq->container, rq->object, vloc, vname,
                            cur_size);
        free(vname);
        return r;
    }
    newest = nb_obj_newest_version(tx, rq->account, vloc, rq->object, &vsize);
    if (!newest && !exists)
        return -ENOENT;
    if (exists)
        r = nb_obj_row_remove(tx, rq->account, rq->container, rq->object, blob);
    if (r == 0 && newest)
        r = nb_obj_row_move(tx, rq->account, vloc, newest, rq->container, rq->object, vsize);
    free(newest);
    return r;
}

int nb_obj_object_remove(struct nb_obj_rq *rq, bool slo_check)
{
    struct nb_obj_container c = {0};
    struct nb_obj_row row = {0};
    struct nb_tx *tx = NULL;
    char *blob = NULL;
    bool exists = false;
    int r;

    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq->account, rq->container, &c);
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_authorize(rq, NB_OBJ_OP_WRITE, c.meta);
        if (k < 0)
            r = k;
    }
    if (r == 0) {
        r = nb_obj_row_load(tx, rq->account, rq->container, rq->object, &row);
        exists = r == 0;
        if (r == -ENOENT)
            r = 0;
    }
    if (r == 0 && exists && slo_check && nb_obj_row_is_slo(&row)) {
        r = 1;
        goto out;
    }
    if (r == 0)
        r = nb_obj_delete_versioned(tx, rq, &c, exists, row.size, row.modified, &blob);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r == 0 && blob)
        nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, blob);
out:
    nb_tx_rollback(tx);
    free(blob);
    nb_obj_row_clear(&row);
    nb_obj_container_clear(&c);
    return r;
}

int nb_obj_object_delete(struct nb_req *req)
{
    struct nb_obj_rq rq;
    const char *mm = nb_req_query(req, "multipart-manifest");
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0)
        return r;
    r = nb_obj_object_remove(&rq, mm && strcmp(mm, "delete") == 0);
    if (r == 1)
        return nb_obj_slo_delete(req, &rq);
    if (r == -ENOENT)
        return nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0) {
        nb_reply_empty(req, 204);
        nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    }
    return r;
}
