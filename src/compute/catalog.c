/* Small helpers the catalog area's handlers share: Nova's validation
 * messages, strict query strings (2.75), transactions, paging links. */
#include "compute/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int nb_cmp_bad_input(struct nb_ctx *ctx, const char *path, const json_t *v,
                     const char *why)
{
    char *repr = v ? nb_json_repr(v) : nb_xstrdup("None");
    int r = nb_err_set(ctx, 400, "Invalid input for field/attribute %s. Value: %s. %s",
                       path, repr, why);
    free(repr);
    return r;
}

int nb_cmp_bad_key(struct nb_ctx *ctx, const char *path, const json_t *obj,
                   const char *key)
{
    char *why = nb_xasprintf("Additional properties are not allowed ('%s' was"
                             " unexpected)", key);
    int r = nb_cmp_bad_input(ctx, path, obj, why);
    free(why);
    return r;
}

struct nb_cmp_qcheck {
    const char *const *allowed;
    char *bad;                      /* a copy: keys are borrowed for the call */
};

static void nb_cmp_qcheck_one(void *arg, const char *k, const char *v)
{
    struct nb_cmp_qcheck *c = arg;
    (void)v;
    if (c->bad)
        return;
    for (const char *const *a = c->allowed; *a; a++)
        if (strcmp(*a, k) == 0)
            return;
    c->bad = nb_xstrdup(k);
}

int nb_cmp_query_strict(struct nb_req *req, const char *const *allowed)
{
    struct nb_cmp_qcheck c = {allowed, NULL};
    char *why;
    int r;
    if (nb_req_mv(req) < NB_MV(2, 75))
        return 0;
    nb_req_query_each(req, nb_cmp_qcheck_one, &c);
    if (!c.bad)
        return 0;
    why = nb_xasprintf("Additional properties are not allowed ('%s' was unexpected)",
                       c.bad);
    r = nb_err_set(nb_req_ctx(req), 400, "Invalid input for query parameters %s. %s",
                   c.bad, why);
    free(why);
    free(c.bad);
    return r;
}

int nb_cmp_in_tx(bool write, int (*fn)(struct nb_tx *tx, void *arg), void *arg)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), write, &tx);
    if (r < 0)
        return r;
    r = fn(tx, arg);
    if (r < 0 || !write) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_tx_commit(tx);
}

int nb_cmp_bool_parse(const json_t *v, bool *out)
{
    static const char *const yes[] = {"1", "t", "true", "on", "y", "yes", NULL};
    static const char *const no[] = {"0", "f", "false", "off", "n", "no", NULL};
    const char *s;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (!json_is_string(v))
        return -EINVAL;
    s = json_string_value(v);
    for (int i = 0; yes[i]; i++)
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, 0;
    for (int i = 0; no[i]; i++)
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, 0;
    return -EINVAL;
}

/* Percent-encodes 's' for a query string or path; a new string. */
static char *nb_url_encode(const char *s)
{
    struct nb_buf b = {0};
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-_.~", c))
            nb_buf_add(&b, s, 1);
        else
            nb_buf_printf(&b, "%%%02X", c);
    }
    nb_buf_add(&b, "", 0);
    return b.buf ? nb_buf_steal(&b) : nb_xstrdup("");
}

struct nb_cmp_qcopy {
    struct nb_buf b;
};

static void nb_cmp_qcopy_one(void *arg, const char *k, const char *v)
{
    struct nb_cmp_qcopy *c = arg;
    char *ek, *ev;
    if (strcmp(k, "marker") == 0)
        return;
    ek = nb_url_encode(k);
    ev = nb_url_encode(v);
    nb_buf_printf(&c->b, "%s=%s&", ek, ev);
    free(ek);
    free(ev);
}

json_t *nb_cmp_next_link(struct nb_req *req, const char *collection,
                         const char *marker)
{
    struct nb_cmp_qcopy c = {{0}};
    char *em = nb_url_encode(marker), *href;
    json_t *links;
    nb_req_query_each(req, nb_cmp_qcopy_one, &c);
    nb_buf_printf(&c.b, "marker=%s", em);
    href = nb_xasprintf("%s/compute/v2.1/%s?%s", nb_req_base_url(req), collection,
                        c.b.buf);
    links = json_pack("[{s:s,s:s}]", "rel", "next", "href", href);
    free(href);
    free(em);
    nb_buf_free(&c.b);
    return links;
}

json_t *nb_cmp_links(struct nb_req *req, const char *collection, const char *id)
{
    char *e = nb_url_encode(id);
    char *self = nb_xasprintf("%s/compute/v2.1/%s/%s", nb_req_base_url(req),
                              collection, e);
    char *book = nb_xasprintf("%s/compute/%s/%s", nb_req_base_url(req),
                              collection, e);
    json_t *links = json_pack("[{s:s,s:s},{s:s,s:s}]", "rel", "self", "href", self,
                              "rel", "bookmark", "href", book);
    free(e);
    free(self);
    free(book);
    return links;
}

int nb_cmp_paging(struct nb_req *req, long *limit, const char **marker)
{
    const char *l = nb_req_query(req, "limit");
    long max = 1000;           /* Nova's [api] max_limit */
    *marker = nb_req_query(req, "marker");
    *limit = max;
    if (!l)
        return 0;
    if (nb_str_to_long(l, limit) < 0 || *limit < 0) {
        json_t *v = json_string(l);
        int r = nb_cmp_bad_input(nb_req_ctx(req), "limit", v,
                                 "Invalid input for query parameters limit.");
        json_decref(v);
        return r;
    }
    if (*limit > max)
        *limit = max;
    return 0;
}

json_t *nb_cmp_row_json(struct nb_stmt *st)
{
    json_t *o = json_object();
    for (int i = 0; i < nb_stmt_ncols(st); i++) {
        const char *name = nb_stmt_colname(st, i);
        if (nb_stmt_null(st, i))
            json_object_set_new(o, name, json_null());
        else
            json_object_set_new(o, name, json_string(nb_stmt_text(st, i)));
    }
    return o;
}

int64_t nb_cmp_row_int(const json_t *row, const char *key)
{
    const char *s = nb_json_str(row, key);
    return s ? strtoll(s, NULL, 10) : 0;
}

int nb_cmp_commit_reply(struct nb_req *req, struct nb_tx *tx, int r, const char *key,
                        json_t *obj)
{
    if (r < 0) {
        nb_tx_rollback(tx);
        json_decref(obj);
        return r;
    }
    r = nb_tx_commit(tx);
    if (r < 0) {
        json_decref(obj);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", key, obj));
}

int nb_cmp_commit_empty(struct nb_req *req, struct nb_tx *tx, int r, int status)
{
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    r = nb_tx_commit(tx);
    return r < 0 ? r : nb_reply_empty(req, status);
}

const json_t *nb_cmp_wrapped(struct nb_req *req, const char *key)
{
    json_t *body = nb_req_json(req);
    const json_t *v;
    char *why;
    if (!body)
        return NULL;
    v = json_object_get(body, key);
    if (json_is_object(v))
        return v;
    why = v ? nb_xstrdup("is not of type 'object'")
            : nb_xasprintf("'%s' is a required property", key);
    nb_cmp_bad_input(nb_req_ctx(req), v ? key : "", v ? v : body, why);
    free(why);
    return NULL;
}
