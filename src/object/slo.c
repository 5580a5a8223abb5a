/* Static large objects: a manifest (?multipart-manifest=put) names
 * segments, checked against their etag and size when it is stored; GET
 * assembles them (nested manifests too); ?multipart-manifest=get returns
 * the manifest and =delete removes it with its segments.  The manifest,
 * in Swift's stored form, is the object's blob. */
#include "object/internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NB_SLO_MAX_DEPTH 10

/* Splits "/cont/obj" (leading '/' optional) into new strings, or -EINVAL. */
static int nb_slo_split(const char *path, char **cont, char **obj)
{
    const char *slash;
    if (*path == '/')
        path++;
    slash = strchr(path, '/');
    if (!slash || slash == path || !slash[1])
        return -EINVAL;
    *cont = nb_xstrndup(path, (size_t)(slash - path));
    *obj = nb_xstrdup(slash + 1);
    return 0;
}

/* A segment range "a-b" / "a-" / "-n" against 'size'. */
static int nb_slo_range(const char *rg, uint64_t size, uint64_t *off, uint64_t *len)
{
    unsigned long long a = 0, b = 0;
    if (sscanf(rg, "%llu-%llu", &a, &b) == 2 && a <= b && b < size) {
        *off = a;
        *len = b - a + 1;
    } else if (sscanf(rg, "%llu-", &a) == 1 && a < size && rg[strlen(rg) - 1] == '-') {
        *off = a;
        *len = size - a;
    } else if (sscanf(rg, "-%llu", &b) == 1 && b > 0) {
        *len = b > size ? size : b;
        *off = size - *len;
    } else {
        return -EINVAL;
    }
    return 0;
}

int nb_obj_slo_put(struct nb_req *req, struct nb_obj_rq *rq, const char *body, size_t len,
                   json_t *meta, const char *ctype, int64_t delete_at)
{
    json_t *in = json_loadb(body, len, 0, NULL), *stored = json_array(), *seg;
    struct nb_buf errors = {0}, etags = {0};
    struct nb_obj_row row = {0};
    struct nb_tx *tx = NULL;
    const char *want = nb_req_header(req, "ETag");
    uint64_t total = 0;
    size_t i;
    char *text = NULL;
    int r = 0;

    if (!json_is_array(in) || json_array_size(in) == 0) {
        r = nb_req_err(req, 400, "Manifest must be valid JSON with at least one segment.");
        goto out;
    }
    if (json_array_size(in) > NB_OBJ_SLO_MAX_SEGMENTS) {
        r = nb_req_err(req, 400, "Too many segments: at most %d", NB_OBJ_SLO_MAX_SEGMENTS);
        goto out;
    }
    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        goto out;
    json_array_foreach(in, i, seg) {
        const char *path = nb_json_str(seg, "path");
        const json_t *etag = json_object_get(seg, "etag");
        const json_t *size = json_object_get(seg, "size_bytes");
        const char *rg = nb_json_str(seg, "range");
        struct nb_obj_row s;
        char *cont = NULL, *obj = NULL, t[NB_TIME_LEN];
        uint64_t off = 0, n;
        json_t *e;
        int k;

        if (!json_is_object(seg) || !path || nb_slo_split(path, &cont, &obj) < 0) {
            nb_buf_printf(&errors, "Index %zu: invalid path\n", i);
            continue;
        }
        k = nb_obj_row_load(tx, rq->account, cont, obj, &s);
        if (k < 0) {
            nb_buf_printf(&errors, "%s, 404 Not Found\n", path);
        } else if (etag && !json_is_null(etag) &&
                   (!json_is_string(etag) || strcmp(json_string_value(etag), s.etag) != 0)) {
            nb_buf_printf(&errors, "%s, Etag Mismatch\n", path);
        } else if (size && !json_is_null(size) &&
                   (!json_is_integer(size) || json_integer_value(size) != s.size)) {
            nb_buf_printf(&errors, "%s, Size Mismatch\n", path);
        } else if (rg && nb_slo_range(rg, (uint64_t)s.size, &off, &n) < 0) {
            nb_buf_printf(&errors, "%s, Invalid Range\n", path);
        } else if (s.size < 1) {
            nb_buf_printf(&errors, "%s, Too small; each segment must be at least 1 byte.\n",
                          path);
        } else {
            n = rg ? n : (uint64_t)s.size;
            total += n;
            nb_buf_puts(&etags, s.etag);
            if (rg)
                nb_buf_printf(&etags, ":%s;", rg);
            nb_obj_list_time(s.modified, t);
            e = json_pack("{s:s,s:I,s:s,s:s,s:s}", "name", path[0] == '/' ? path : "",
                          "bytes", (json_int_t)s.size, "hash", s.etag, "content_type",
                          s.ctype, "last_modified", t);
            if (path[0] != '/')
                json_object_set_new(e, "name", json_sprintf("/%s", path));
            if (nb_obj_row_is_slo(&s))
                json_object_set_new(e, "sub_slo", json_true());
            if (rg)
                json_object_set_new(e, "range", json_string(rg));
            json_array_append_new(stored, e);
        }
        if (k == 0)
            nb_obj_row_clear(&s);
        free(cont);
        free(obj);
    }
    nb_tx_rollback(tx);
    tx = NULL;
    if (errors.len) {
        r = nb_req_err(req, 400, "Errors:\n%s", errors.buf);
        goto out;
    }
    {
        unsigned char d[16];
        unsigned int dl = 0;
        EVP_Digest(etags.buf, etags.len, d, &dl, EVP_md5(), NULL);
        nb_hex_encode(d, 16, row.etag);
    }
    if (want) {
        char clean[72];
        nb_obj_etag_clean(want, clean);
        if (strcmp(clean, row.etag) != 0) {
            r = nb_req_err(req, 422, "Unprocessable Entity");
            goto out;
        }
    }
    row.name = nb_xstrdup(rq->object);
    row.meta = json_deep_copy(meta);
    json_object_set_new(row.meta, "x-static-large-object", json_string("True"));
    row.ctype = nb_xstrdup(ctype);
    row.modified = nb_now_us();
    row.delete_at = delete_at;
    row.size = (int64_t)total;
    text = nb_json_dump(stored);
    {
        char unused[33];
        json_t *trailer = json_pack("{s:s,s:s,s:s}", "account", rq->account, "container",
                                    rq->container, "name", rq->object);
        r = nb_obj_blob_put(text, strlen(text), trailer, &row.blob, unused);
        json_decref(trailer);
    }
    if (r < 0) {
        r = nb_req_err(req, 503, "The manifest could not be stored.");
        goto out;
    }
    r = nb_obj_row_commit_blob(req, rq->account, rq->container, &row, false);
    if (r == 0)
        nb_obj_put_reply(req, &row);
out:
    nb_tx_rollback(tx);
    json_decref(in);
    json_decref(stored);
    nb_buf_free(&errors);
    nb_buf_free(&etags);
    nb_obj_row_clear(&row);
    free(text);
    return r;
}

/* The stored manifest of row 'r' (a new array). */
static int nb_slo_manifest(const struct nb_obj_row *r, json_t **out)
{
    char *text = NULL;
    uint64_t size;
    int fd, k;

    k = nb_blob_open(nb_obj_env->blobs, NB_OBJ_NS, r->blob, &fd, &size);
    if (k < 0)
        return k;
    text = nb_xmalloc(size + 1);
    if (pread(fd, text, size, 0) != (ssize_t)size)
        k = -EIO;
    close(fd);
    if (k == 0) {
        *out = json_loadb(text, size, 0, NULL);
        if (!json_is_array(*out)) {
            json_decref(*out);
            k = -EIO;
        }
    }
    free(text);
    return k;
}

int nb_obj_slo_segments(struct nb_req *req, struct nb_tx *tx, const char *account,
                        const struct nb_obj_row *r, struct nb_obj_body *out, int depth)
{
    json_t *m = NULL, *e;
    size_t i;
    int k;

    if (depth > NB_SLO_MAX_DEPTH)
        return nb_req_err(req, 409, "Max recursion depth exceeded on large object");
    if ((k = nb_slo_manifest(r, &m)) < 0)
        return nb_req_err(req, 500, "The manifest of this object is unreadable.");
    json_array_foreach(m, i, e) {
        const char *name = nb_json_str(e, "name"), *hash = nb_json_str(e, "hash");
        const char *rg = nb_json_str(e, "range");
        char *cont = NULL, *obj = NULL;
        struct nb_obj_row s;
        uint64_t off = 0, n;

        if (!name || nb_slo_split(name, &cont, &obj) < 0) {
            k = nb_req_err(req, 500, "The manifest of this object is unreadable.");
            break;
        }
        k = nb_obj_row_load(tx, account, cont, obj, &s);
        free(cont);
        free(obj);
        if (k < 0 || (hash && strcmp(hash, s.etag) != 0)) {
            if (k == 0)
                nb_obj_row_clear(&s);
            k = nb_req_err(req, 409, "Object segment no longer valid: %s", name);
            break;
        }
        if (nb_obj_row_is_slo(&s)) {
            k = nb_obj_slo_segments(req, tx, account, &s, out, depth + 1);
        } else {
            n = (uint64_t)s.size;
            if (rg)
                nb_slo_range(rg, (uint64_t)s.size, &off, &n);
            if (n)
                nb_obj_body_blob(out, s.blob, off, n);
        }
        nb_obj_row_clear(&s);
        if (k < 0)
            break;
    }
    json_decref(m);
    return k < 0 ? k : 0;
}

/* Deletes one object row and its blob; -ENOENT when absent. */
static int nb_slo_delete_one(const char *account, const char *cont, const char *obj)
{
    struct nb_tx *tx = NULL;
    char *blob = NULL;
    int r = nb_tx_begin(nb_obj_env->db, true, &tx);
    if (r == 0)
        r = nb_obj_row_remove(tx, account, cont, obj, &blob);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    nb_tx_rollback(tx);
    if (r == 0)
        nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, blob);
    free(blob);
    return r;
}

int nb_obj_slo_delete(struct nb_req *req, struct nb_obj_rq *rq)
{
    struct nb_obj_row row = {0};
    struct nb_tx *tx = NULL;
    json_t *m = NULL, *e;
    const char *accept = nb_req_header(req, "Accept");
    int deleted = 0, missing = 0, r;
    size_t i;
    char *text;

    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        return r;
    r = nb_obj_row_load(tx, rq->account, rq->container, rq->object, &row);
    nb_tx_rollback(tx);
    if (r == -ENOENT)
        return nb_req_err(req, 404, "The resource could not be found.");
    if (r < 0)
        return r;
    if (nb_slo_manifest(&row, &m) < 0)
        m = json_array();
    json_array_foreach(m, i, e) {
        char *cont = NULL, *obj = NULL;
        const char *name = nb_json_str(e, "name");
        if (name && nb_slo_split(name, &cont, &obj) == 0 && (rq->owner || rq->reseller) &&
            nb_slo_delete_one(rq->account, cont, obj) == 0)
            deleted++;
        else
            missing++;
        free(cont);
        free(obj);
    }
    if (nb_slo_delete_one(rq->account, rq->container, rq->object) == 0)
        deleted++;
    else
        missing++;
    json_decref(m);
    nb_obj_row_clear(&row);
    if (accept && strstr(accept, "application/json")) {
        json_t *b = json_pack("{s:i,s:i,s:s,s:s,s:[]}", "Number Deleted", deleted,
                              "Number Not Found", missing, "Response Body", "",
                              "Response Status", "200 OK", "Errors");
        return nb_reply_json(req, 200, b);
    }
    text = nb_xasprintf("Number Deleted: %d\nNumber Not Found: %d\nResponse Body: \n"
                        "Response Status: 200 OK\nErrors: \n", deleted, missing);
    return nb_reply_data(req, 200, "text/plain; charset=utf-8", text, strlen(text));
}
