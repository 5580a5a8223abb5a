/* Containers: create, list (the three formats, Swift's listing
 * parameters), metadata, ACLs, quotas, versioning locations, delete. */
#include "object/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The system headers a container keeps besides X-Container-Meta-*. */
static const char *const nb_container_sys[] = {
    "x-container-read", "x-container-write", "x-versions-location",
    "x-history-location", NULL,
};

int nb_obj_container_load(struct nb_tx *tx, const char *account, const char *name,
                          struct nb_obj_container *out)
{
    struct nb_stmt *st = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    r = nb_tx_query(tx, &st, "SELECT meta, object_count, bytes_used, created FROM "
                             "object_containers WHERE account = ? AND name = ?",
                    "ss", account, name);
    if (r == 0 && (r = nb_stmt_next(st)) == 0)
        r = -ENOENT;
    if (r > 0) {
        out->meta = json_loads(nb_stmt_text(st, 0), 0, NULL);
        if (!out->meta)
            out->meta = json_object();
        out->count = nb_stmt_int(st, 1);
        out->bytes = nb_stmt_int(st, 2);
        out->created = nb_stmt_int(st, 3);
        r = 0;
    }
    nb_stmt_done(st);
    return r;
}

void nb_obj_container_clear(struct nb_obj_container *c)
{
    json_decref(c->meta);
    c->meta = NULL;
}

int nb_obj_container_add(struct nb_tx *tx, const char *account, const char *name,
                         int64_t count, int64_t bytes)
{
    return nb_tx_exec(tx, NULL, "UPDATE object_containers SET object_count = "
                                "object_count + ?, bytes_used = bytes_used + ?, "
                                "modified = ? WHERE account = ? AND name = ?",
                      "iiiss", count, bytes, nb_now_us(), account, name);
}

/* ---- listing parameters and output */

int nb_obj_list_format(struct nb_req *req, enum nb_obj_fmt *fmt)
{
    const char *f = nb_req_query(req, "format");
    const char *accept = nb_req_header(req, "Accept");

    *fmt = NB_OBJ_FMT_PLAIN;
    if (f) {
        if (strcasecmp(f, "json") == 0)
            *fmt = NB_OBJ_FMT_JSON;
        else if (strcasecmp(f, "xml") == 0)
            *fmt = NB_OBJ_FMT_XML;
        else if (strcasecmp(f, "plain") != 0 && strcasecmp(f, "txt") != 0)
            return nb_req_err(req, 406, "Not Acceptable: format %s", f);
        return 0;
    }
    if (accept && strstr(accept, "application/json"))
        *fmt = NB_OBJ_FMT_JSON;
    else if (accept && (strstr(accept, "application/xml") || strstr(accept, "text/xml")))
        *fmt = NB_OBJ_FMT_XML;
    return 0;
}

int nb_obj_list_args(struct nb_req *req, struct nb_obj_list_args *a)
{
    const char *limit = nb_req_query(req, "limit");
    const char *path = nb_req_query(req, "path");
    const char *rev = nb_req_query(req, "reverse");
    const char *const *vals[] = {&a->marker, &a->end_marker, &a->prefix, &a->delimiter};

    memset(a, 0, sizeof(*a));
    a->limit = nb_obj_limits.listing_limit;
    if (limit) {
        long v;
        if (nb_str_to_long(limit, &v) < 0 || v < 0)
            return nb_req_err(req, 412, "Value of limit must be a positive integer");
        if (v > nb_obj_limits.listing_limit)
            return nb_req_err(req, 412, "Maximum limit is %ld", nb_obj_limits.listing_limit);
        a->limit = v;
    }
    a->marker = nb_req_query(req, "marker");
    a->end_marker = nb_req_query(req, "end_marker");
    a->prefix = nb_req_query(req, "prefix");
    a->delimiter = nb_req_query(req, "delimiter");
    for (size_t i = 0; i < NB_ARRAY_SIZE(vals); i++) {
        const char *v = *vals[i];
        if (v && !nb_utf8_valid(v, strlen(v)))
            return nb_req_err(req, 412, "Invalid UTF8 or contains NULL");
        if (v && !*v)
            *(const char **)vals[i] = NULL;
    }
    if (a->delimiter && strlen(a->delimiter) > 1)
        return nb_req_err(req, 412, "Bad delimiter");
    if (path) {
        /* path=P: the objects directly under P, as prefix "P/" and '/' */
        size_t n = strlen(path);
        a->delimiter = "/";
        a->prefix = NULL;
        if (n) {
            snprintf(a->path_prefix, sizeof(a->path_prefix), "%s%s", path,
                     path[n - 1] == '/' ? "" : "/");
            a->prefix = a->path_prefix;
        }
    }
    if (rev && nb_str_is_true(rev))
        a->reverse = true;
    return 0;
}

void nb_obj_xml_escape(struct nb_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': nb_buf_puts(b, "&lt;"); break;
        case '>': nb_buf_puts(b, "&gt;"); break;
        case '&': nb_buf_puts(b, "&amp;"); break;
        case '"': nb_buf_puts(b, "&quot;"); break;
        default: nb_buf_add(b, s, 1);
        }
    }
}

int nb_obj_list_reply(struct nb_req *req, enum nb_obj_fmt fmt, const char *tag,
                      const char *name, const char *item, json_t *items)
{
    struct nb_buf b = {0};
    size_t i;
    json_t *it;

    if (fmt == NB_OBJ_FMT_JSON) {
        char *s = nb_json_dump(items);
        json_decref(items);
        return nb_reply_data(req, 200, "application/json; charset=utf-8", s, strlen(s));
    }
    if (fmt == NB_OBJ_FMT_XML) {
        nb_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s name=\"", tag);
        nb_obj_xml_escape(&b, name);
        nb_buf_puts(&b, "\">");
        json_array_foreach(items, i, it) {
            const char *key;
            json_t *v;
            const char *sub = nb_json_str(it, "subdir");
            if (sub) {
                nb_buf_puts(&b, "<subdir name=\"");
                nb_obj_xml_escape(&b, sub);
                nb_buf_puts(&b, "\"><name>");
                nb_obj_xml_escape(&b, sub);
                nb_buf_puts(&b, "</name></subdir>");
                continue;
            }
            nb_buf_printf(&b, "<%s>", item);
            json_object_foreach(it, key, v) {
                nb_buf_printf(&b, "<%s>", key);
                if (json_is_string(v))
                    nb_obj_xml_escape(&b, json_string_value(v));
                else
                    nb_buf_printf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                nb_buf_printf(&b, "</%s>", key);
            }
            nb_buf_printf(&b, "</%s>", item);
        }
        nb_buf_printf(&b, "</%s>\n", tag);
        json_decref(items);
        i = b.len;
        return nb_reply_data(req, 200, "application/xml; charset=utf-8", nb_buf_steal(&b), i);
    }
    json_array_foreach(items, i, it) {
        const char *n = nb_json_str(it, "subdir");
        nb_buf_printf(&b, "%s\n", n ? n : nb_json_str(it, "name"));
    }
    json_decref(items);
    if (!b.len) {
        nb_buf_free(&b);
        nb_reply_empty(req, 204);
        nb_reply_header(req, "Content-Type", "text/plain; charset=utf-8");
        return 0;
    }
    {
        size_t n = b.len;
        return nb_reply_data(req, 200, "text/plain; charset=utf-8", nb_buf_steal(&b), n);
    }
}

/* Walks rows in name order with Swift's marker/end_marker/prefix/
 * delimiter/reverse semantics.  'base' appends "SELECT name, ... FROM t
 * WHERE <conditions>" (no ORDER BY); 'render' turns a row into an item. */
struct nb_obj_walk {
    void (*base)(struct nb_sql *q, void *arg);
    json_t *(*render)(struct nb_stmt *st);
    void *arg;
};

static int nb_obj_list_walk(struct nb_tx *tx, const struct nb_obj_list_args *a,
                            const struct nb_obj_walk *w, json_t *items)
{
    char *cursor = a->marker ? nb_xstrdup(a->marker) : NULL, *last_sub = NULL;
    char *prefix_end = NULL;
    bool incl = false;
    size_t plen = a->prefix ? strlen(a->prefix) : 0;
    long count = 0;
    int r = 0;

    if (plen && (unsigned char)a->prefix[plen - 1] < 0x7f) {
        prefix_end = nb_xstrdup(a->prefix);
        prefix_end[plen - 1]++;
    }
    while (count < a->limit) {
        struct nb_sql q = {0};
        struct nb_stmt *st = NULL;
        long want = a->limit - count, got = 0;
        bool restart = false;

        w->base(&q, w->arg);
        if (cursor) {
            nb_sql_add(&q, a->reverse ? " AND name < ?"
                           : incl     ? " AND name >= ?"
                                      : " AND name > ?");
            nb_sql_text(&q, cursor);
        }
        if (a->end_marker) {
            nb_sql_add(&q, a->reverse ? " AND name > ?" : " AND name < ?");
            nb_sql_text(&q, a->end_marker);
        }
        if (plen) {
            nb_sql_add(&q, " AND name >= ?");
            nb_sql_text(&q, a->prefix);
        }
        if (prefix_end) {
            nb_sql_add(&q, " AND name < ?");
            nb_sql_text(&q, prefix_end);
        }
        nb_sql_addf(&q, " ORDER BY name%s LIMIT %ld", a->reverse ? " DESC" : "", want);
        r = nb_tx_query_sql(tx, &st, &q);
        nb_sql_free(&q);
        while (r >= 0 && (r = nb_stmt_next(st)) > 0) {
            const char *name = nb_stmt_text(st, 0);
            const char *d;
            got++;
            if (plen && strncmp(name, a->prefix, plen) != 0)
                continue;
            d = a->delimiter ? strstr(name + plen, a->delimiter) : NULL;
            if (d) {
                size_t sl = (size_t)(d - name) + strlen(a->delimiter);
                char *sub = nb_xstrndup(name, sl);
                /* a subdir named by the marker was on the previous page */
                if ((!last_sub || strcmp(last_sub, sub) != 0) &&
                    (!a->marker || strcmp(a->marker, sub) != 0)) {
                    json_array_append_new(items, json_pack("{s:s}", "subdir", sub));
                    count++;
                }
                free(last_sub);
                last_sub = sub;
                free(cursor);
                cursor = nb_xstrdup(sub);
                if (!a->reverse && (unsigned char)cursor[sl - 1] < 0x7f) {
                    cursor[sl - 1]++;      /* past every name under sub */
                    incl = true;
                } else {
                    incl = false;
                }
                restart = true;
                r = 0;
                break;
            }
            json_array_append_new(items, w->render(st));
            count++;
            free(cursor);
            cursor = nb_xstrdup(name);
            incl = false;
        }
        nb_stmt_done(st);
        if (r < 0 || (!restart && got < want))
            break;
        r = 0;
    }
    free(cursor);
    free(last_sub);
    free(prefix_end);
    return r < 0 ? r : 0;
}

struct nb_obj_list_scope {
    const char *account, *container;
};

static void nb_obj_objects_base(struct nb_sql *q, void *arg)
{
    struct nb_obj_list_scope *s = arg;
    nb_sql_add(q, "SELECT name, etag, size, content_type, modified, meta FROM "
                  "object_objects WHERE account = ?");
    nb_sql_text(q, s->account);
    nb_sql_add(q, " AND container = ?");
    nb_sql_text(q, s->container);
    nb_sql_add(q, " AND (delete_at = 0 OR delete_at > ?");
    nb_sql_int(q, nb_now_us() / 1000000);
    nb_sql_add(q, ")");
}

static json_t *nb_obj_objects_render(struct nb_stmt *st)
{
    char t[NB_TIME_LEN];
    json_t *it;
    nb_obj_list_time(nb_stmt_int(st, 4), t);
    it = json_pack("{s:s,s:s,s:I,s:s,s:s}", "name", nb_stmt_text(st, 0), "hash",
                   nb_stmt_text(st, 1), "bytes", (json_int_t)nb_stmt_int(st, 2),
                   "content_type", nb_stmt_text(st, 3), "last_modified", t);
    if (strstr(nb_stmt_text(st, 5), "\"x-static-large-object\""))
        json_object_set_new(it, "slo_etag", json_string(nb_stmt_text(st, 1)));
    return it;
}

static void nb_obj_containers_base(struct nb_sql *q, void *arg)
{
    struct nb_obj_list_scope *s = arg;
    nb_sql_add(q, "SELECT name, object_count, bytes_used, modified FROM "
                  "object_containers WHERE account = ?");
    nb_sql_text(q, s->account);
}

static json_t *nb_obj_containers_render(struct nb_stmt *st)
{
    char t[NB_TIME_LEN];
    nb_obj_list_time(nb_stmt_int(st, 3), t);
    return json_pack("{s:s,s:I,s:I,s:s}", "name", nb_stmt_text(st, 0), "count",
                     (json_int_t)nb_stmt_int(st, 1), "bytes", (json_int_t)nb_stmt_int(st, 2),
                     "last_modified", t);
}

/* Lists the containers of an account (account.c). */
int nb_obj_list_containers(struct nb_tx *tx, const char *account,
                           const struct nb_obj_list_args *a, json_t **out);
int nb_obj_list_containers(struct nb_tx *tx, const char *account,
                           const struct nb_obj_list_args *a, json_t **out)
{
    struct nb_obj_list_scope s = {account, NULL};
    struct nb_obj_walk w = {nb_obj_containers_base, nb_obj_containers_render, &s};
    *out = json_array();
    return nb_obj_list_walk(tx, a, &w, *out);
}

/* ---- handlers */

/* Container quota headers must be integers. */
static int nb_obj_container_check(struct nb_req *req, const json_t *meta)
{
    static const char *const quotas[] = {"x-container-meta-quota-bytes",
                                         "x-container-meta-quota-count"};
    const char *v, *vl, *hl;
    long n;
    for (size_t i = 0; i < NB_ARRAY_SIZE(quotas); i++) {
        v = nb_json_str(meta, quotas[i]);
        if (v && (nb_str_to_long(v, &n) < 0 || n < 0))
            return nb_req_err(req, 400, "Invalid %s quota.", i ? "count" : "bytes");
    }
    vl = nb_json_str(meta, "x-versions-location");
    hl = nb_json_str(meta, "x-history-location");
    if (vl && hl && nb_req_header(req, "X-Versions-Location") &&
        nb_req_header(req, "X-History-Location"))
        return nb_req_err(req, 400, "Only one of X-Versions-Location or "
                                    "X-History-Location may be specified");
    /* the newer one given wins, as Swift's versioned_writes */
    if (vl && hl)
        json_object_del((json_t *)meta, nb_req_header(req, "X-Versions-Location")
                                            ? "x-history-location"
                                            : "x-versions-location");
    return 0;
}

static void nb_obj_container_headers(struct nb_req *req, const struct nb_obj_container *c)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)c->count);
    nb_reply_header(req, "X-Container-Object-Count", v);
    snprintf(v, sizeof(v), "%lld", (long long)c->bytes);
    nb_reply_header(req, "X-Container-Bytes-Used", v);
    nb_obj_timestamp(c->created, v);
    nb_reply_header(req, "X-Timestamp", v);
    nb_reply_header(req, "X-Storage-Policy", "Policy-0");
    nb_obj_meta_reply(req, c->meta);
}

int nb_obj_container_put(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_obj_container c = {0};
    struct nb_tx *tx = NULL;
    char *meta = NULL;
    bool exists;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0 || (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    if (nb_req_query(req, "extract-archive"))
        return nb_obj_bulk_extract(req, &rq);
    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq.account, rq.container, &c);
    exists = r == 0;
    if (r == -ENOENT) {
        c.meta = json_object();
        c.created = nb_now_us();
        r = 0;
    }
    if (r == 0)
        r = nb_obj_meta_apply(req, "container", nb_container_sys, c.meta, false);
    if (r == 0)
        r = nb_obj_container_check(req, c.meta);
    if (r < 0)
        goto out;
    meta = nb_json_dump(c.meta);
    if (exists)
        r = nb_tx_exec(tx, NULL, "UPDATE object_containers SET meta = ? WHERE account = ? "
                                 "AND name = ?", "sss", meta, rq.account, rq.container);
    else
        r = nb_tx_exec(tx, NULL, "INSERT INTO object_containers (account, name, meta, "
                                 "created, modified, object_count, bytes_used) VALUES "
                                 "(?, ?, ?, ?, ?, 0, 0)",
                       "sssii", rq.account, rq.container, meta, c.created, c.created);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r == 0) {
        nb_reply_empty(req, exists ? 202 : 201);
        nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    }
out:
    nb_tx_rollback(tx);
    nb_obj_container_clear(&c);
    free(meta);
    return r;
}

int nb_obj_container_post(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_obj_container c = {0};
    struct nb_tx *tx = NULL;
    char *meta = NULL;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0)
        return r;
    if ((r = nb_obj_formpost(req, &rq)) != 1)
        return r;
    if ((r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq.account, rq.container, &c);
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0)
        r = nb_obj_meta_apply(req, "container", nb_container_sys, c.meta, false);
    if (r == 0)
        r = nb_obj_container_check(req, c.meta);
    if (r < 0)
        goto out;
    meta = nb_json_dump(c.meta);
    r = nb_tx_exec(tx, NULL, "UPDATE object_containers SET meta = ? WHERE account = ? AND "
                             "name = ?", "sss", meta, rq.account, rq.container);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r == 0) {
        nb_reply_empty(req, 204);
        nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    }
out:
    nb_tx_rollback(tx);
    nb_obj_container_clear(&c);
    free(meta);
    return r;
}

int nb_obj_container_items(struct nb_tx *tx, const struct nb_obj_list_args *a,
                           const char *account, const char *container, json_t *items)
{
    struct nb_obj_list_scope s = {account, container};
    struct nb_obj_walk w = {nb_obj_objects_base, nb_obj_objects_render, &s};

    return nb_obj_list_walk(tx, a, &w, items);
}

int nb_obj_container_get(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_obj_container c = {0};
    struct nb_obj_list_args a;
    struct nb_tx *tx = NULL;
    enum nb_obj_fmt fmt;
    json_t *items = NULL;
    bool head = strcmp(nb_req_method(req), "HEAD") == 0;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0)
        return r;
    if ((r = nb_obj_staticweb(req, &rq)) != 1)
        return r;
    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq.account, rq.container, &c);
    if (r == 0 || r == -ENOENT) {
        int k = nb_obj_authorize(&rq, NB_OBJ_OP_LIST, c.meta);
        if (k < 0)
            r = k;
    }
    if (r == -ENOENT)
        r = nb_req_err(req, 404, "The resource could not be found.");
    if (r == 0)
        r = nb_obj_list_format(req, &fmt);
    if (r == 0 && !head)
        r = nb_obj_list_args(req, &a);
    if (r == 0 && !head) {
        items = json_array();
        r = nb_obj_container_items(tx, &a, rq.account, rq.container, items);
    }
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(items);
        goto out;
    }
    nb_obj_container_headers(req, &c);
    if (head) {
        nb_reply_empty(req, 204);
        nb_reply_header(req, "Content-Type", fmt == NB_OBJ_FMT_JSON
                                                 ? "application/json; charset=utf-8"
                                             : fmt == NB_OBJ_FMT_XML
                                                 ? "application/xml; charset=utf-8"
                                                 : "text/plain; charset=utf-8");
    } else {
        r = nb_obj_list_reply(req, fmt, "container", rq.container, "object", items);
    }
out:
    nb_obj_container_clear(&c);
    return r;
}

int nb_obj_container_remove(const char *account, const char *container)
{
    struct nb_obj_container c = {0};
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int64_t live = 0;
    char **blobs = NULL;
    size_t nblobs = 0;
    int64_t now = nb_now_us() / 1000000;
    int r;

    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, account, container, &c);
    if (r == 0)
        r = nb_tx_query_int(tx, &live, "SELECT COUNT(*) FROM object_objects WHERE account = ? "
                                       "AND container = ? AND (delete_at = 0 OR delete_at > ?)",
                            "ssi", account, container, now);
    if (r == 0 && live > 0)
        r = -ENOTEMPTY;
    /* what is left has expired: it goes with the container */
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT blob FROM object_objects WHERE account = ? AND "
                                 "container = ?", "ss", account, container);
    while (r >= 0 && (r = nb_stmt_next(st)) > 0) {
        blobs = nb_xrealloc(blobs, sizeof(*blobs) * (nblobs + 1));
        blobs[nblobs++] = nb_xstrdup(nb_stmt_text(st, 0));
    }
    nb_stmt_done(st);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM object_objects WHERE account = ? AND "
                                 "container = ?", "ss", account, container);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM object_containers WHERE account = ? AND "
                                 "name = ?", "ss", account, container);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    for (size_t i = 0; i < nblobs; i++) {
        if (r == 0)
            nb_blob_delete(nb_obj_env->blobs, NB_OBJ_NS, blobs[i]);
        free(blobs[i]);
    }
    free(blobs);
    nb_tx_rollback(tx);
    nb_obj_container_clear(&c);
    return r;
}

int nb_obj_container_delete(struct nb_req *req)
{
    struct nb_obj_rq rq;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0 || (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    r = nb_obj_container_remove(rq.account, rq.container);
    if (r == -ENOENT)
        return nb_req_err(req, 404, "The resource could not be found.");
    if (r == -ENOTEMPTY)
        return nb_req_err(req, 409, "There was a conflict when trying to complete your "
                                    "request.");
    if (r == 0) {
        nb_reply_empty(req, 204);
        nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    }
    return r;
}
