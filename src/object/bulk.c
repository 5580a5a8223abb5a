/* Swift's bulk middleware (bulk delete) and /crossdomain.xml.
 *
 * Bulk delete (POST or DELETE /v1/AUTH_x?bulk-delete): the body lists
 * url-encoded paths "/container/object" or "/container", one a line.  Each
 * is deleted in its own transaction, as Swift's subrequests; the reply is
 * 200 with a summary (Number Deleted, Number Not Found, Errors, Response
 * Status, Response Body) in the format Accept asks for (text/plain,
 * application/json, application/xml).  A request-wide problem (too many
 * lines, a path too long) deletes nothing and is said in Response Status. */
#include "object/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NB_OBJ_BULK_MAX_PATH (NB_OBJ_MAX_CONTAINER_NAME + NB_OBJ_MAX_OBJECT_NAME + 2)

struct nb_obj_bulk {
    long deleted, not_found;
    const char *status;       /* "Response Status" */
    const char *body;         /* "Response Body" */
    json_t *errors;           /* [[path, status], ...] */
};

/* Splits the body into decoded paths (a new array of new strings in
 * *paths): -E2BIG past the limit, -ENAMETOOLONG for a path too long. */
static int nb_obj_bulk_paths(const char *body, size_t len, char ***paths, size_t *n)
{
    size_t i = 0;
    int r = 0;

    *paths = NULL;
    *n = 0;
    while (i < len && r == 0) {
        const char *nl = memchr(body + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - body) : len, s = i;
        char *p;

        i = e + 1;
        while (s < e && (body[s] == ' ' || body[s] == '\t' || body[s] == '\r'))
            s++;
        while (e > s && (body[e - 1] == ' ' || body[e - 1] == '\t' || body[e - 1] == '\r'))
            e--;
        if (s == e)
            continue;
        if (*n >= NB_OBJ_BULK_MAX_DELETES) {
            r = -E2BIG;
            break;
        }
        p = nb_url_decode(body + s, e - s, false);
        if (strlen(p) > NB_OBJ_BULK_MAX_PATH) {
            free(p);
            r = -ENAMETOOLONG;
            break;
        }
        *paths = nb_xrealloc(*paths, sizeof(**paths) * (*n + 1));
        (*paths)[(*n)++] = p;
    }
    return r;
}

static void nb_obj_bulk_fail(struct nb_obj_bulk *b, const char *path, const char *status)
{
    json_array_append_new(b->errors, json_pack("[s,s]", path, status));
}

/* Deletes one path (as the account's owner: checked by the caller). */
static void nb_obj_bulk_one(struct nb_obj_bulk *b, const struct nb_obj_rq *rq,
                            const char *path)
{
    const char *p = path;
    struct nb_obj_rq sub = *rq;
    char *container;
    const char *slash;
    int r;

    while (*p == '/')
        p++;
    slash = strchr(p, '/');
    container = slash ? nb_xstrndup(p, (size_t)(slash - p)) : nb_xstrdup(p);
    sub.container = container;
    sub.object = slash && slash[1] ? slash + 1 : NULL;
    if (!*container || strlen(container) > NB_OBJ_MAX_CONTAINER_NAME ||
        (sub.object && strlen(sub.object) > NB_OBJ_MAX_OBJECT_NAME)) {
        nb_obj_bulk_fail(b, path, "400 Bad Request");
        goto out;
    }
    r = sub.object ? nb_obj_object_remove(&sub, false)
                   : nb_obj_container_remove(rq->account, container);
    if (r == 0)
        b->deleted++;
    else if (r == -ENOENT)
        b->not_found++;
    else if (r == -ENOTEMPTY) {
        nb_obj_bulk_fail(b, path, "409 Conflict");
        b->status = "409 Conflict";
    } else
        nb_obj_bulk_fail(b, path, "500 Internal Error");
out:
    free(container);
}

/* A summary field's value as text (borrowed or in 'tmp'). */
static const char *nb_obj_bulk_val(const json_t *v, char tmp[32])
{
    if (json_is_string(v))
        return json_string_value(v);
    snprintf(tmp, 32, "%lld", (long long)json_integer_value(v));
    return tmp;
}

char *nb_obj_bulk_render(const json_t *summary, const json_t *errors, enum nb_obj_fmt fmt,
                         const char *root)
{
    struct nb_buf out = {0};
    const char *k;
    char tmp[32];
    size_t i;
    json_t *e, *v;

    if (fmt == NB_OBJ_FMT_JSON) {
        json_t *j = json_deep_copy(summary);
        char *s;
        json_object_set_new(j, "Errors", json_deep_copy(errors));
        s = json_dumps(j, JSON_SORT_KEYS);
        json_decref(j);
        return s;
    }
    if (fmt == NB_OBJ_FMT_XML)
        nb_buf_printf(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s>\n", root);
    /* jansson keeps insertion order: callers add the keys sorted */
    json_object_foreach((json_t *)summary, k, v) {
        if (fmt != NB_OBJ_FMT_XML) {
            nb_buf_printf(&out, "%s: %s\n", k, nb_obj_bulk_val(v, tmp));
            continue;
        }
        char *tag = nb_xstrdup(k);
        for (char *c = tag; *c; c++)
            *c = *c == ' ' ? '_' : (char)tolower((unsigned char)*c);
        nb_buf_printf(&out, "<%s>", tag);
        nb_obj_xml_escape(&out, nb_obj_bulk_val(v, tmp));
        nb_buf_printf(&out, "</%s>\n", tag);
        free(tag);
    }
    nb_buf_puts(&out, fmt == NB_OBJ_FMT_XML ? "<errors>\n" : "Errors:\n");
    json_array_foreach(errors, i, e) {
        const char *name = json_string_value(json_array_get(e, 0));
        const char *status = json_string_value(json_array_get(e, 1));
        if (fmt != NB_OBJ_FMT_XML) {
            nb_buf_printf(&out, "%s, %s\n", name, status);
            continue;
        }
        nb_buf_puts(&out, "<object><name>");
        nb_obj_xml_escape(&out, name);
        nb_buf_printf(&out, "</name><status>%s</status></object>\n", status);
    }
    if (fmt == NB_OBJ_FMT_XML)
        nb_buf_printf(&out, "</errors>\n</%s>\n", root);
    return nb_buf_steal(&out);
}

int nb_obj_bulk_reply(struct nb_req *req, const json_t *summary, const json_t *errors,
                      const char *root)
{
    const char *accept = nb_req_header(req, "Accept");
    enum nb_obj_fmt fmt = NB_OBJ_FMT_PLAIN;
    const char *ctype = "text/plain";
    char *text;

    if (accept && strstr(accept, "application/json")) {
        fmt = NB_OBJ_FMT_JSON;
        ctype = "application/json";
    } else if (accept && (strstr(accept, "application/xml") || strstr(accept, "text/xml"))) {
        fmt = NB_OBJ_FMT_XML;
        ctype = "application/xml";
    }
    text = nb_obj_bulk_render(summary, errors, fmt, root);
    nb_obj_reply_common(req);
    return nb_reply_data(req, 200, ctype, text, strlen(text));
}

int nb_obj_bulk_delete(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_obj_bulk b = {0, 0, "200 OK", "", NULL};
    const char *body;
    char **paths = NULL;
    size_t len = 0, n = 0;
    json_t *summary;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0 || (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    b.errors = json_array();
    body = nb_req_body(req, &len);
    r = nb_obj_bulk_paths(body ? body : "", body ? len : 0, &paths, &n);
    if (r == -E2BIG) {
        b.status = "413 Request Entity Too Large";
        b.body = "Maximum Bulk Deletes: 10000 per request";
    } else if (r == -ENAMETOOLONG) {
        b.status = "400 Bad Request";
        b.body = "Invalid File Name";
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (json_array_size(b.errors) >= NB_OBJ_BULK_MAX_FAILED) {
            b.status = "400 Bad Request";
            b.body = "Max delete failures exceeded";
            break;
        }
        nb_obj_bulk_one(&b, &rq, paths[i]);
    }
    if (r == 0 && json_array_size(b.errors) && strcmp(b.status, "200 OK") == 0)
        b.status = "400 Bad Request";
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    summary = json_pack("{s:I,s:I,s:s,s:s}", "Number Deleted", (json_int_t)b.deleted,
                        "Number Not Found", (json_int_t)b.not_found, "Response Body", b.body,
                        "Response Status", b.status);
    r = nb_obj_bulk_reply(req, summary, b.errors, "delete");
    json_decref(summary);
    json_decref(b.errors);
    return r;
}

int nb_obj_crossdomain(struct nb_req *req)
{
    static const char policy[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE cross-domain-policy SYSTEM "
        "\"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd\" >\n"
        "<cross-domain-policy>\n"
        "<allow-access-from domain=\"*\" secure=\"false\" />\n"
        "</cross-domain-policy>";

    nb_req_policy_done(req);      /* public, as Swift's crossdomain */
    nb_obj_reply_common(req);
    return nb_reply_data(req, 200, "application/xml; charset=utf-8",
                         nb_xstrdup(policy), sizeof(policy) - 1);
}
