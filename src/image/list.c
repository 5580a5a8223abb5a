/* GET /v2/images: filters, sorting and marker pagination (api-ref "List
 * images"), within what the caller may see. */
#include "image/internal.h"

#include <stdlib.h>
#include <string.h>

/* Sort keys: the SQL expression (never NULL, so that keyset pagination
 * can compare) and whether it is an integer. */
static const struct nb_sort_key {
    const char *name, *expr;
    bool is_int;
} nb_sort_keys[] = {
    {"name", "COALESCE(name, '')", false},
    {"status", "status", false},
    {"container_format", "COALESCE(container_format, '')", false},
    {"disk_format", "COALESCE(disk_format, '')", false},
    {"size", "COALESCE(size, -1)", true},
    {"virtual_size", "COALESCE(virtual_size, -1)", true},
    {"id", "id", false},
    {"created_at", "created_at", true},
    {"updated_at", "updated_at", true},
    {"visibility", "visibility", false},
    {"owner", "owner", false},
    {"min_disk", "min_disk", true},
    {"min_ram", "min_ram", true},
};

#define NB_MAX_SORT 8

struct nb_list_query {
    json_t *q;                   /* last value of every key */
    json_t *tags;                /* every 'tag' */
    json_t *sort_keys, *sort_dirs;
};

static void nb_list_collect(void *arg, const char *k, const char *v)
{
    struct nb_list_query *lq = arg;
    if (!strcmp(k, "tag"))
        json_array_append_new(lq->tags, json_string(v));
    else if (!strcmp(k, "sort_key"))
        json_array_append_new(lq->sort_keys, json_string(v));
    else if (!strcmp(k, "sort_dir"))
        json_array_append_new(lq->sort_dirs, json_string(v));
    json_object_set_new(lq->q, k, json_string(v));
}

struct nb_sort {
    const struct nb_sort_key *key[NB_MAX_SORT + 1];
    bool desc[NB_MAX_SORT + 1];
    int n;
};

static int nb_sort_add(struct nb_ctx *ctx, struct nb_sort *s, const char *name,
                       const char *dir)
{
    const struct nb_sort_key *k = NULL;
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_sort_keys); i++)
        if (!strcmp(nb_sort_keys[i].name, name))
            k = &nb_sort_keys[i];
    if (!k)
        return nb_err_set(ctx, 400, "Invalid sort key: %s. It should be one of the "
                                    "following: name, status, container_format, "
                                    "disk_format, size, virtual_size, id, created_at, "
                                    "updated_at, visibility, owner, min_disk, min_ram.",
                          name);
    if (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
        return nb_err_set(ctx, 400, "Invalid sort direction: %s", dir);
    if (s->n >= NB_MAX_SORT)
        return nb_err_set(ctx, 400, "Too many sort keys (at most %d).", NB_MAX_SORT);
    for (int i = 0; i < s->n; i++)
        if (s->key[i] == k)
            return nb_err_set(ctx, 400, "Sort key %s given twice.", name);
    s->key[s->n] = k;
    s->desc[s->n++] = !dir || !strcmp(dir, "desc");
    return 0;
}

/* Glance's two sort syntaxes: sort_key/sort_dir (repeatable; one
 * direction for all or one per key) or sort=key:dir,key2 (not both). */
static int nb_sort_parse(struct nb_ctx *ctx, const struct nb_list_query *lq,
                         struct nb_sort *s)
{
    const char *sort = nb_json_str(lq->q, "sort");
    size_t nk = json_array_size(lq->sort_keys), nd = json_array_size(lq->sort_dirs);
    int r = 0;

    if (sort && (nk || nd))
        return nb_err_set(ctx, 400, "The 'sort' parameter cannot be combined with "
                                    "'sort_key' or 'sort_dir'.");
    if (sort) {
        char *copy = nb_xstrdup(sort), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok && r == 0;
             tok = strtok_r(NULL, ",", &save)) {
            char *colon = strchr(tok, ':');
            if (colon)
                *colon = '\0';
            r = nb_sort_add(ctx, s, tok, colon ? colon + 1 : "desc");
        }
        free(copy);
    } else {
        if (nd > 1 && nd != nk)
            return nb_err_set(ctx, 400, "Number of sort dirs does not match the number "
                                        "of sort keys");
        for (size_t i = 0; i < nk && r == 0; i++)
            r = nb_sort_add(ctx, s, json_string_value(json_array_get(lq->sort_keys, i)),
                            nd ? json_string_value(json_array_get(lq->sort_dirs,
                                                                  nd > 1 ? i : 0))
                               : "desc");
        if (r == 0 && nk == 0) {
            const char *dir = nd ? json_string_value(json_array_get(lq->sort_dirs, 0))
                                 : "desc";
            r = nb_sort_add(ctx, s, "created_at", dir);
        }
    }
    if (r < 0)
        return r;
    /* the id breaks ties, so that pages never overlap */
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->key[i]->name, "id"))
            return 0;
    s->key[s->n] = &nb_sort_keys[6];
    s->desc[s->n] = s->desc[s->n - 1];
    s->n++;
    return 0;
}

/* Which images the caller sees (Glance's visibility and member_status
 * filters).  Admins see every image, narrowed by ?visibility. */
static int nb_list_visibility(struct nb_ctx *ctx, const json_t *q, struct nb_sql *w)
{
    static const char *const vis_ok[] = {"public", "private", "shared", "community", "all"};
    static const char *const mst_ok[] = {"accepted", "pending", "rejected", "all"};
    const char *vis = nb_json_str(q, "visibility");
    const char *mst = nb_json_str(q, "member_status");
    const char *project = ctx->caller.project.id;
    bool ok = !vis;

    for (size_t i = 0; vis && i < NB_ARRAY_SIZE(vis_ok); i++)
        ok = ok || !strcmp(vis, vis_ok[i]);
    if (!ok)
        return nb_err_set(ctx, 400, "Invalid visibility value: %s", vis);
    ok = !mst;
    for (size_t i = 0; mst && i < NB_ARRAY_SIZE(mst_ok); i++)
        ok = ok || !strcmp(mst, mst_ok[i]);
    if (!ok)
        return nb_err_set(ctx, 400, "Invalid status value: %s", mst);
    if (!mst)
        mst = "accepted";

    if (vis && strcmp(vis, "all")) {
        nb_sql_add(w, " AND visibility = ?");
        nb_sql_text(w, vis);
    }
    if (nb_img_is_admin(ctx))
        return 0;
    /* shared with the caller: a membership with the wanted status */
    if (!vis || !strcmp(vis, "all") || !strcmp(vis, "shared")) {
        nb_sql_add(w, " AND (owner = ? OR ");
        nb_sql_text(w, project);
        if (!vis)
            nb_sql_add(w, "visibility = 'public' OR ");
        else if (!strcmp(vis, "all"))
            nb_sql_add(w, "visibility IN ('public', 'community') OR ");
        nb_sql_add(w, "(visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m "
                      "WHERE m.image_id = images.id AND m.member_id = ?");
        nb_sql_text(w, project);
        if (strcmp(mst, "all")) {
            nb_sql_add(w, " AND m.status = ?");
            nb_sql_text(w, mst);
        }
        nb_sql_add(w, ")))");
    } else if (!strcmp(vis, "private")) {
        nb_sql_add(w, " AND owner = ?");
        nb_sql_text(w, project);
    }
    return 0;
}

/* name=in:"a",b  -> a list of values; plain values -> one. */
static void nb_list_in(struct nb_sql *w, const char *col, const char *v)
{
    if (strncmp(v, "in:", 3)) {
        nb_sql_addf(w, " AND %s = ?", col);
        nb_sql_text(w, v);
        return;
    }
    char *copy = nb_xstrdup(v + 3), *save = NULL;
    nb_sql_addf(w, " AND %s IN (", col);
    int n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t l = strlen(tok);
        if (l >= 2 && tok[0] == '"' && tok[l - 1] == '"') {
            tok[l - 1] = '\0';
            tok++;
        }
        nb_sql_add(w, n++ ? ", ?" : "?");
        nb_sql_text(w, tok);
    }
    if (!n)
        nb_sql_add(w, "NULL");
    nb_sql_add(w, ")");
    free(copy);
}

/* created_at=gte:2016-...  (api-ref "Time comparison operators") */
static int nb_list_time(struct nb_ctx *ctx, struct nb_sql *w, const char *col, const char *v)
{
    static const struct { const char *op, *sql; } ops[] = {
        {"gt", ">"}, {"gte", ">="}, {"lt", "<"}, {"lte", "<="}, {"eq", "="}, {"neq", "<>"},
    };
    const char *colon = strchr(v, ':');
    const char *sql = "=";
    int64_t us;
    if (colon) {
        size_t n = (size_t)(colon - v);
        sql = NULL;
        for (size_t i = 0; i < NB_ARRAY_SIZE(ops); i++)
            if (strlen(ops[i].op) == n && !strncmp(v, ops[i].op, n))
                sql = ops[i].sql;
        if (!sql && n <= 4)
            return nb_err_set(ctx, 400, "Invalid operator %.*s for %s", (int)n, v, col);
        if (sql)
            v = colon + 1;
        else
            sql = "=";
    }
    if (nb_time_parse(v, &us) < 0)
        return nb_err_set(ctx, 400, "Unable to filter on %s: '%s' is not a valid time.",
                          col, v);
    /* times are shown to the second: a whole second names all of it, so
     * that lte:<created_at as shown> includes that image */
    if (us % 1000000 == 0) {
        if (!strcmp(sql, "<=") || !strcmp(sql, ">")) {
            us += 1000000;
            sql = !strcmp(sql, "<=") ? "<" : ">=";
        } else if (!strcmp(sql, "=") || !strcmp(sql, "<>")) {
            nb_sql_addf(w, " AND %s(%s >= ? AND %s < ?)", !strcmp(sql, "=") ? "" : "NOT ",
                        col, col);
            nb_sql_int(w, us);
            nb_sql_int(w, us + 1000000);
            return 0;
        }
    }
    nb_sql_addf(w, " AND %s %s ?", col, sql);
    nb_sql_int(w, us);
    return 0;
}

/* Query keys that are not property filters. */
static const char *const nb_list_keys[] = {
    "limit", "marker", "sort", "sort_key", "sort_dir", "visibility", "member_status",
    "name", "status", "owner", "disk_format", "container_format", "id", "protected",
    "os_hidden", "size_min", "size_max", "size", "created_at", "updated_at", "tag",
};

static bool nb_list_key_known(const char *key)
{
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_list_keys); i++)
        if (!strcmp(key, nb_list_keys[i]))
            return true;
    return false;
}

static int nb_list_filters(struct nb_ctx *ctx, const struct nb_list_query *lq,
                           struct nb_sql *w)
{
    static const char *const eq[] = {"name", "status", "owner", "disk_format",
                                     "container_format", "id"};
    static const char *const bools[] = {"protected", "os_hidden"};
    static const char *const sizes[] = {"size_min", "size_max", "size"};
    const json_t *q = lq->q, *t;
    const char *v, *key;
    size_t i;
    int r;

    for (i = 0; i < NB_ARRAY_SIZE(eq); i++)
        if ((v = nb_json_str(q, eq[i])))
            nb_list_in(w, eq[i], v);
    for (i = 0; i < NB_ARRAY_SIZE(bools); i++) {
        bool b = false;
        v = nb_json_str(q, bools[i]);
        if (v && nb_str_to_bool(v, &b) < 0)
            return nb_err_set(ctx, 400, "Invalid value for %s: '%s' is not a boolean.",
                              bools[i], v);
        /* hidden images are listed only when asked for */
        if (v || !strcmp(bools[i], "os_hidden")) {
            nb_sql_addf(w, " AND %s = ?", bools[i]);
            nb_sql_int(w, b);
        }
    }
    for (i = 0; i < NB_ARRAY_SIZE(sizes); i++) {
        long n;
        if (!(v = nb_json_str(q, sizes[i])))
            continue;
        if (nb_str_to_long(v, &n) < 0 || n < 0)
            return nb_err_set(ctx, 400, "Invalid value for %s: '%s' is not a "
                                        "non-negative integer.", sizes[i], v);
        nb_sql_addf(w, " AND size %s ?", i == 0 ? ">=" : i == 1 ? "<=" : "=");
        nb_sql_int(w, n);
    }
    if ((v = nb_json_str(q, "created_at")) && (r = nb_list_time(ctx, w, "created_at", v)) < 0)
        return r;
    if ((v = nb_json_str(q, "updated_at")) && (r = nb_list_time(ctx, w, "updated_at", v)) < 0)
        return r;
    /* any other key filters on a free-form property (Glance) */
    json_object_foreach((json_t *)q, key, t) {
        if (nb_list_key_known(key) || !json_is_string(t))
            continue;
        nb_sql_add(w, " AND EXISTS (SELECT 1 FROM image_properties p WHERE "
                      "p.image_id = images.id AND p.name = ? AND p.value = ?)");
        nb_sql_text(w, key);
        nb_sql_text(w, json_string_value(t));
    }
    json_array_foreach(lq->tags, i, t) {
        nb_sql_add(w, " AND EXISTS (SELECT 1 FROM image_tags t WHERE "
                      "t.image_id = images.id AND t.tag = ?)");
        nb_sql_text(w, json_string_value(t));
    }
    return 0;
}

/* Rows after the marker in the sort order: (k1 > v1) OR (k1 = v1 AND
 * k2 > v2) ..., with the marker's own values. */
static int nb_list_marker(struct nb_ctx *ctx, struct nb_tx *tx, const struct nb_sort *s,
                          const char *marker, struct nb_sql *w)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    int r;

    nb_sql_add(&q, "SELECT ");
    for (int i = 0; i < s->n; i++)
        nb_sql_addf(&q, "%s%s", i ? ", " : "", s->key[i]->expr);
    nb_sql_add(&q, " FROM images WHERE id = ?");
    nb_sql_text(&q, marker);
    r = nb_tx_query_sql(tx, &st, &q);
    if (r == 0 && (r = nb_stmt_next(st)) == 0)
        r = nb_err_set(ctx, 400, "marker %s could not be found.", marker);
    if (r > 0) {
        nb_sql_add(w, " AND (");
        for (int i = 0; i < s->n; i++) {
            nb_sql_add(w, i ? " OR (" : "(");
            for (int j = 0; j <= i; j++) {
                nb_sql_addf(w, "%s%s %s ?", j ? " AND " : "", s->key[j]->expr,
                            j < i ? "=" : s->desc[j] ? "<" : ">");
                if (s->key[j]->is_int)
                    nb_sql_int(w, nb_stmt_int(st, j));
                else
                    nb_sql_text(w, nb_stmt_text(st, j));
            }
            nb_sql_add(w, ")");
        }
        nb_sql_add(w, ")");
        r = 0;
    }
    nb_stmt_done(st);
    nb_sql_free(&q);
    return r;
}

/* The "next" link: this query with the last id as marker. */
static char *nb_list_next(struct nb_req *req, const char *last)
{
    struct nb_buf b = {0};
    char *qs = nb_req_query_string(req), *save = NULL;
    nb_buf_printf(&b, "/v2/images?marker=%s", last);
    for (char *tok = strtok_r(qs, "&", &save); tok; tok = strtok_r(NULL, "&", &save))
        if (strncmp(tok, "marker=", 7))
            nb_buf_printf(&b, "&%s", tok);
    free(qs);
    return nb_buf_steal(&b);
}

/* The images ctx sees for query 'lq', at most 'limit' of them, appended
 * to 'images'. */
static int nb_list_run(struct nb_ctx *ctx, const struct nb_list_query *lq, long limit,
                       json_t *images)
{
    struct nb_sort sort = {0};
    struct nb_sql w = {0};
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    const char *v;
    int r;

    nb_sql_add(&w, "SELECT " NB_IMG_COLS " FROM images WHERE 1 = 1");
    r = nb_sort_parse(ctx, lq, &sort);
    if (r == 0)
        r = nb_list_visibility(ctx, lq->q, &w);
    if (r == 0)
        r = nb_list_filters(ctx, lq, &w);
    if (r == 0)
        r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0 && (v = nb_json_str(lq->q, "marker")))
        r = nb_list_marker(ctx, tx, &sort, v, &w);
    if (r < 0)
        goto out;
    nb_sql_add(&w, " ORDER BY ");
    for (int i = 0; i < sort.n; i++)
        nb_sql_addf(&w, "%s%s %s", i ? ", " : "", sort.key[i]->expr,
                    sort.desc[i] ? "DESC" : "ASC");
    nb_sql_addf(&w, " LIMIT %ld", limit);
    r = nb_tx_query_sql(tx, &st, &w);
    while (r == 0 && (r = nb_stmt_next(st)) > 0)
        r = json_array_append_new(images, nb_img_render(tx, st));
    nb_stmt_done(st);
out:
    nb_tx_rollback(tx);
    nb_sql_free(&w);
    return r;
}

/* ?limit=, capped by [image] api_limit_max. */
static int nb_list_limit(struct nb_ctx *ctx, const json_t *q, long *limit)
{
    const char *v = nb_json_str(q, "limit");
    long max = nb_conf_int("image", "api_limit_max");
    *limit = nb_conf_int("image", "limit_param_default");
    if (v && (nb_str_to_long(v, limit) < 0 || *limit < 0))
        return nb_err_set(ctx, 400, "limit param must be a non-negative integer");
    if (*limit > max)
        *limit = max;
    return 0;
}

static void nb_list_query_free(struct nb_list_query *lq)
{
    json_decref(lq->q);
    json_decref(lq->tags);
    json_decref(lq->sort_keys);
    json_decref(lq->sort_dirs);
}

int nb_img_list(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_list_query lq = {json_object(), json_array(), json_array(), json_array()};
    json_t *images = json_array(), *body = NULL;
    long limit = 0;
    int r;

    /* "/v2/images/" names an image with an empty id (Glance: 404) */
    if (nb_req_path(req)[strlen(nb_req_path(req)) - 1] == '/') {
        r = nb_req_err(req, 404, "No image found with ID ");
        goto out;
    }
    nb_req_query_each(req, nb_list_collect, &lq);
    r = nb_list_limit(ctx, lq.q, &limit);
    if (r == 0)
        r = nb_list_run(ctx, &lq, limit, images);
    if (r < 0)
        goto out;
    body = json_pack("{s:O,s:s,s:s}", "images", images, "first", "/v2/images",
                     "schema", "/v2/schemas/images");
    if (limit > 0 && json_array_size(images) == (size_t)limit) {
        const json_t *last = json_array_get(images, json_array_size(images) - 1);
        char *next = nb_list_next(req, nb_json_str(last, "id"));
        json_object_set_new(body, "next", json_string(next));
        free(next);
    }
    r = nb_reply_json(req, 200, body);
out:
    json_decref(images);
    nb_list_query_free(&lq);
    return r;
}

static void nb_list_collect_json(struct nb_list_query *lq, const json_t *query)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)query, key, v)
        if (json_is_string(v))
            nb_list_collect(lq, key, json_string_value(v));
}

int nb_image_list(struct nb_ctx *ctx, const json_t *query, json_t **out)
{
    struct nb_list_query lq = {json_object(), json_array(), json_array(), json_array()};
    long limit = 0;
    int r;

    *out = json_array();
    nb_list_collect_json(&lq, query);
    r = nb_list_limit(ctx, lq.q, &limit);
    if (r == 0)
        r = nb_list_run(ctx, &lq, limit, *out);
    if (r < 0) {
        json_decref(*out);
        *out = NULL;
    }
    nb_list_query_free(&lq);
    return r;
}

/* DELETE /v2/images/: an empty image id (Glance: 404); on the collection
 * itself the method is not allowed. */
int nb_img_delete_no_id(struct nb_req *req)
{
    const char *path = nb_req_path(req);
    nb_req_policy_done(req);
    if (path[strlen(path) - 1] == '/')
        return nb_req_err(req, 404, "No image found with ID ");
    return nb_req_err(req, 405, "The method DELETE is not allowed for this resource.");
}
