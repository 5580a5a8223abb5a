/* Flavors: /flavors (list, detail, show; create, update of the description
 * (2.55) and delete for admins), and the flavor a server embeds
 * (nb_cmp_flavor_embed).  Extra specs and access lists: flavor_access.c. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FLAVOR_COLS "flavorid, name, vcpus, memory_mb, root_gb, ephemeral_gb," \
    " swap, rxtx_factor, is_public, disabled, description, extra_specs," \
    " created_at, updated_at"

/* Which flavors a caller may use: public ones, private ones its project
 * was given, any for an admin (Nova's _flavor_get_query). */
static void nb_cmp_flavor_public_or_mine(struct nb_ctx *ctx, struct nb_sql *q)
{
    nb_sql_add(q, " AND (is_public = 1 OR flavorid IN (SELECT flavorid FROM"
               " cmp_flavor_access WHERE project_id = ?))");
    nb_sql_text(q, ctx->caller.project.id);
}

static void nb_cmp_flavor_visible(struct nb_ctx *ctx, struct nb_sql *q)
{
    if (!nb_cmp_is_admin(ctx))
        nb_cmp_flavor_public_or_mine(ctx, q);
}

int nb_cmp_flavor_load(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                       bool quiet, json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    int r;
    nb_sql_add(&q, "SELECT " FLAVOR_COLS " FROM cmp_flavors WHERE flavorid = ?");
    nb_sql_text(&q, id);
    nb_cmp_flavor_visible(ctx, &q);
    r = nb_tx_query_sql(tx, &st, &q);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        *out = nb_cmp_row_json(st);
        r = 0;
    } else if (r == 0) {
        r = quiet ? -ENOENT : nb_err_set(ctx, 404, "Flavor %s could not be found.", id);
    }
    nb_stmt_done(st);
    nb_sql_free(&q);
    return r;
}

double nb_cmp_flavor_rxtx(const json_t *row)
{
    const char *s = nb_json_str(row, "rxtx_factor");
    return s ? strtod(s, NULL) : 1.0;
}

json_t *nb_cmp_flavor_specs(const json_t *row)
{
    const char *s = nb_json_str(row, "extra_specs");
    json_t *v = s ? json_loads(s, 0, NULL) : NULL;
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

int nb_cmp_flavor_embed(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                        json_t **out)
{
    json_t *row = NULL;
    int r = nb_cmp_flavor_load(ctx, tx, id, true, &row);
    if (r < 0)
        return r;
    *out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:o}",
                     "id", nb_json_str(row, "flavorid"),
                     "original_name", nb_json_str(row, "name"),
                     "vcpus", (json_int_t)nb_cmp_row_int(row, "vcpus"),
                     "ram", (json_int_t)nb_cmp_row_int(row, "memory_mb"),
                     "disk", (json_int_t)nb_cmp_row_int(row, "root_gb"),
                     "ephemeral", (json_int_t)nb_cmp_row_int(row, "ephemeral_gb"),
                     "swap", (json_int_t)nb_cmp_row_int(row, "swap"),
                     "rxtx_factor", nb_cmp_flavor_rxtx(row),
                     "extra_specs", nb_cmp_flavor_specs(row));
    json_decref(row);
    return 0;
}

/* ---- views */

/* The brief form ({id, name, links[, description]}) or the full one. */
static json_t *nb_cmp_flavor_view(struct nb_req *req, const json_t *row, bool full)
{
    const char *id = nb_json_str(row, "flavorid");
    int mv = nb_req_mv(req);
    int64_t swap = nb_cmp_row_int(row, "swap");
    json_t *f = json_pack("{s:s,s:s,s:o}", "id", id, "name", nb_json_str(row, "name"),
                          "links", nb_cmp_links(req, "flavors", id));
    if (mv >= NB_MV(2, 55))
        json_object_set_new(f, "description",
                            nb_json_str(row, "description")
                                ? json_string(nb_json_str(row, "description"))
                                : json_null());
    if (!full)
        return f;
    json_object_set_new(f, "ram", json_integer(nb_cmp_row_int(row, "memory_mb")));
    json_object_set_new(f, "disk", json_integer(nb_cmp_row_int(row, "root_gb")));
    json_object_set_new(f, "vcpus", json_integer(nb_cmp_row_int(row, "vcpus")));
    /* an empty swap shows as "" until 2.75 */
    json_object_set_new(f, "swap", swap || mv >= NB_MV(2, 75) ? json_integer(swap)
                                                              : json_string(""));
    json_object_set_new(f, "OS-FLV-EXT-DATA:ephemeral",
                        json_integer(nb_cmp_row_int(row, "ephemeral_gb")));
    json_object_set_new(f, "OS-FLV-DISABLED:disabled",
                        json_boolean(nb_cmp_row_int(row, "disabled")));
    json_object_set_new(f, "os-flavor-access:is_public",
                        json_boolean(nb_cmp_row_int(row, "is_public")));
    json_object_set_new(f, "rxtx_factor", json_real(nb_cmp_flavor_rxtx(row)));
    if (mv >= NB_MV(2, 61))
        json_object_set_new(f, "extra_specs", nb_cmp_flavor_specs(row));
    return f;
}

/* ---- list */

static const char *const nb_cmp_flavor_sort_keys[][2] = {
    {"created_at", "created_at"}, {"description", "description"},
    {"disabled", "disabled"}, {"ephemeral_gb", "ephemeral_gb"},
    {"flavorid", "flavorid"}, {"id", "created_at"}, {"is_public", "is_public"},
    {"memory_mb", "memory_mb"}, {"name", "name"}, {"root_gb", "root_gb"},
    {"rxtx_factor", "rxtx_factor"}, {"swap", "swap"},
    {"updated_at", "updated_at"}, {"vcpu_weight", "flavorid"}, {"vcpus", "vcpus"},
};

static const char *const nb_cmp_flavor_query_keys[] = {
    "limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir",
    NULL,
};

/* Parses the list's filters into 'q' (after a WHERE 1 = 1). */
static int nb_cmp_flavor_filters(struct nb_req *req, struct nb_sql *q)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *pub = nb_req_query(req, "is_public");
    const char *names[2] = {"minRam", "minDisk"}, *cols[2] = {"memory_mb", "root_gb"};
    bool b;
    if (!nb_cmp_is_admin(ctx)) {
        pub = NULL;
        nb_sql_add(q, " AND disabled = 0");
    }
    if (pub && (strcasecmp(pub, "none") == 0 || strcasecmp(pub, "null") == 0)) {
        /* every flavor */
    } else if (pub) {
        json_t *v = json_string(pub);
        int r = nb_cmp_bool_parse(v, &b);
        json_decref(v);
        if (r < 0)
            return nb_err_set(ctx, 400, "Invalid is_public filter [%s]", pub);
        if (b) {
            nb_cmp_flavor_public_or_mine(ctx, q);
        } else {
            nb_sql_add(q, " AND is_public = 0");
            nb_cmp_flavor_visible(ctx, q);
        }
    } else {
        nb_cmp_flavor_public_or_mine(ctx, q);
    }
    for (int i = 0; i < 2; i++) {
        const char *v = nb_req_query(req, names[i]);
        long n;
        if (!v)
            continue;
        if (nb_str_to_long(v, &n) < 0)
            return nb_err_set(ctx, 400, "Invalid %s filter [%s]", names[i], v);
        nb_sql_addf(q, " AND %s >= ?", cols[i]);
        nb_sql_int(q, n);
    }
    return 0;
}

/* The sort column and direction (validated as Nova's enum). */
static int nb_cmp_flavor_sort(struct nb_req *req, const char **col, bool *desc)
{
    const char *k = nb_req_query(req, "sort_key"), *d = nb_req_query(req, "sort_dir");
    json_t *v;
    int r;
    *col = "flavorid";
    *desc = false;
    if (d && *d) {
        if (strcmp(d, "asc") != 0 && strcmp(d, "desc") != 0)
            goto bad_dir;
        *desc = strcmp(d, "desc") == 0;
    }
    if (!k || !*k)
        return 0;
    for (size_t i = 0; i < NB_ARRAY_SIZE(nb_cmp_flavor_sort_keys); i++)
        if (strcmp(k, nb_cmp_flavor_sort_keys[i][0]) == 0)
            return *col = nb_cmp_flavor_sort_keys[i][1], 0;
    v = json_string(k);
    r = nb_cmp_bad_input(nb_req_ctx(req), "sort_key", v, "is not one of the allowed values");
    json_decref(v);
    return r;
bad_dir:
    v = json_string(d);
    r = nb_cmp_bad_input(nb_req_ctx(req), "sort_dir", v, "is not one of the allowed values");
    json_decref(v);
    return r;
}

static int nb_cmp_flavor_list(struct nb_req *req, bool full)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_sql q = {0};
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *list = json_array(), *mrow = NULL, *body;
    const char *col = "flavorid", *marker = NULL;
    char *last = NULL;
    long limit = 0;
    bool desc = false;
    int r;

    r = nb_cmp_query_strict(req, nb_cmp_flavor_query_keys);
    if (r == 0)
        r = nb_cmp_paging(req, &limit, &marker);
    if (r == 0)
        r = nb_cmp_flavor_sort(req, &col, &desc);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r < 0)
        goto out;
    nb_sql_add(&q, "SELECT " FLAVOR_COLS " FROM cmp_flavors WHERE 1 = 1");
    r = nb_cmp_flavor_filters(req, &q);
    if (r == 0 && marker) {
        if (nb_cmp_flavor_load(ctx, tx, marker, true, &mrow) < 0) {
            r = nb_err_set(ctx, 400, "marker [%s] not found", marker);
            goto out;
        }
        /* rows after the marker in (col, flavorid) order */
        nb_sql_addf(&q, " AND (%s %s ? OR (%s = ? AND flavorid %s ?))", col,
                    desc ? "<" : ">", col, desc ? "<" : ">");
        nb_sql_text(&q, nb_json_str(mrow, col));
        nb_sql_text(&q, nb_json_str(mrow, col));
        nb_sql_text(&q, marker);
    }
    if (r < 0)
        goto out;
    nb_sql_addf(&q, " ORDER BY %s %s, flavorid %s LIMIT ?", col, desc ? "DESC" : "ASC",
                desc ? "DESC" : "ASC");
    nb_sql_int(&q, limit);
    r = nb_tx_query_sql(tx, &st, &q);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_t *row = nb_cmp_row_json(st);
        json_array_append_new(list, nb_cmp_flavor_view(req, row, full));
        free(last);
        last = nb_xstrdup(nb_json_str(row, "flavorid"));
        json_decref(row);
        r = 0;
    }
out:
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    nb_sql_free(&q);
    json_decref(mrow);
    if (r < 0) {
        free(last);
        json_decref(list);
        return r;
    }
    body = json_pack("{s:o}", "flavors", list);
    if (last && limit > 0 && json_array_size(list) == (size_t)limit)
        json_object_set_new(body, "flavors_links",
                            nb_cmp_next_link(req, full ? "flavors/detail" : "flavors",
                                             last));
    free(last);
    return nb_reply_json(req, 200, body);
}

int nb_cmp_flavors_index(struct nb_req *req)
{
    return nb_cmp_flavor_list(req, false);
}

int nb_cmp_flavors_detail(struct nb_req *req)
{
    return nb_cmp_flavor_list(req, true);
}

int nb_cmp_flavor_show(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    json_t *row = NULL;
    int r;
    r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_flavor_load(ctx, tx, nb_req_param(req, 0), false, &row);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    r = nb_reply_json(req, 200, json_pack("{s:o}", "flavor",
                                          nb_cmp_flavor_view(req, row, true)));
    json_decref(row);
    return r;
}

/* ---- create */

/* An integer attribute of the create body: an integer or a string of
 * digits in [min, 2^31 - 1] (Nova's flavor_param_positive/non_negative). */
static int nb_cmp_flavor_int(struct nb_ctx *ctx, const json_t *f, const char *key,
                             int64_t min, bool required, int64_t *out)
{
    const json_t *v = json_object_get(f, key);
    char path[96];
    long n;
    snprintf(path, sizeof(path), "flavor/%s", key);
    if (!v) {
        if (required)
            return nb_cmp_bad_input(ctx, "flavor", f, "'ram' is a required property");
        return 0;
    }
    if (json_is_integer(v))
        n = (long)json_integer_value(v);
    else if (!json_is_string(v) || nb_str_to_long(json_string_value(v), &n) < 0 ||
             !*json_string_value(v) || strspn(json_string_value(v), "0123456789") !=
                                           strlen(json_string_value(v)))
        return nb_cmp_bad_input(ctx, path, v, "is not of type 'integer', 'string'");
    if (n < min)
        return nb_cmp_bad_input(ctx, path, v, min ? "is less than the minimum of 1"
                                                  : "is less than the minimum of 0");
    if (n > 0x7FFFFFFF)
        return nb_cmp_bad_input(ctx, path, v, "is greater than the maximum of 2147483647");
    *out = n;
    return 0;
}

/* A name as Nova's 'name' format: 1..255 printable characters, no
 * leading or trailing white space. */
static bool nb_cmp_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || !nb_utf8_valid(s, n))
        return false;
    if (strchr(" \t\n\r\v\f", s[0]) || strchr(" \t\n\r\v\f", s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* The flavor id: a string or number, 1..255 of [a-zA-Z0-9. _-] without
 * leading or trailing spaces; absent or null: a new UUID. */
static int nb_cmp_flavor_id(struct nb_ctx *ctx, const json_t *v, char *out, size_t n)
{
    const char *s;
    size_t len;
    if (!v || json_is_null(v)) {
        char u[37];
        nb_uuid_dashed(u);
        snprintf(out, n, "%s", u);
        return 0;
    }
    if (json_is_integer(v)) {
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v))
        return nb_cmp_bad_input(ctx, "flavor/id", v,
                                "is not of type 'string', 'number', 'null'");
    s = json_string_value(v);
    len = strlen(s);
    if (len < 1 || len > 255 || s[0] == ' ' || s[len - 1] == ' ' ||
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. _-") != len)
        return nb_cmp_bad_input(ctx, "flavor/id", v, "does not match the pattern");
    snprintf(out, n, "%s", s);
    return 0;
}

/* The description of 2.55: null or up to 65535 printable characters. */
int nb_cmp_description_check(struct nb_ctx *ctx, const char *path, const json_t *v,
                             size_t max)
{
    const char *s;
    if (json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return nb_cmp_bad_input(ctx, path, v, "is not of type 'string', 'null'");
    s = json_string_value(v);
    if (strlen(s) > max)
        return nb_cmp_bad_input(ctx, path, v, "is too long");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return nb_cmp_bad_input(ctx, path, v, "does not match the pattern");
    return 0;
}

/* Ends a create or update of flavor 'id': commits and replies its view,
 * or rolls back when r < 0.  Takes 'tx'. */
static int nb_cmp_flavor_finish(struct nb_req *req, struct nb_tx *tx, int r,
                                const char *id)
{
    json_t *row = NULL, *view = NULL;
    if (r == 0)
        r = nb_cmp_flavor_load(nb_req_ctx(req), tx, id, false, &row);
    if (r == 0)
        view = nb_cmp_flavor_view(req, row, true);
    json_decref(row);
    return nb_cmp_commit_reply(req, tx, r, "flavor", view);
}

struct nb_cmp_flavor_new {
    char id[256];
    const char *name, *description;
    int64_t ram, vcpus, disk, ephemeral, swap;
    char rxtx[64];
    bool is_public;
};

static const char *const nb_cmp_flavor_create_keys[] = {
    "name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap",
    "rxtx_factor", "os-flavor-access:is_public", "description", NULL,
};

static int nb_cmp_flavor_parse(struct nb_req *req, const json_t *f,
                               struct nb_cmp_flavor_new *n)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *v;
    const char *k;
    int r;
    json_object_foreach((json_t *)f, k, v) {
        bool known = false;
        for (int i = 0; nb_cmp_flavor_create_keys[i]; i++)
            known |= strcmp(k, nb_cmp_flavor_create_keys[i]) == 0;
        if (strcmp(k, "description") == 0 && nb_req_mv(req) < NB_MV(2, 55))
            known = false;
        if (!known) {
            return nb_cmp_bad_key(ctx, "flavor", f, k);
        }
    }
    v = json_object_get(f, "name");
    if (!json_is_string(v) || !nb_cmp_name_ok(json_string_value(v)))
        return nb_cmp_bad_input(ctx, "flavor/name", v ? v : f,
                                v ? "is not a 'name'" : "'name' is a required property");
    n->name = json_string_value(v);
    r = nb_cmp_flavor_id(ctx, json_object_get(f, "id"), n->id, sizeof(n->id));
    if (r == 0)
        r = nb_cmp_flavor_int(ctx, f, "ram", 1, true, &n->ram);
    if (r == 0)
        r = nb_cmp_flavor_int(ctx, f, "vcpus", 1, true, &n->vcpus);
    if (r == 0)
        r = nb_cmp_flavor_int(ctx, f, "disk", 0, true, &n->disk);
    if (r == 0)
        r = nb_cmp_flavor_int(ctx, f, "OS-FLV-EXT-DATA:ephemeral", 0, false,
                              &n->ephemeral);
    if (r == 0)
        r = nb_cmp_flavor_int(ctx, f, "swap", 0, false, &n->swap);
    if (r < 0)
        return r;
    snprintf(n->rxtx, sizeof(n->rxtx), "1.0");
    if ((v = json_object_get(f, "rxtx_factor"))) {
        double d = json_is_number(v) ? json_number_value(v)
                   : json_is_string(v) ? strtod(json_string_value(v), NULL) : -1;
        if (json_is_string(v) && strspn(json_string_value(v), "0123456789.") !=
                                     strlen(json_string_value(v)))
            d = -1;
        if (!(d > 0) || d > 3.40282e+38 || isnan(d))
            return nb_cmp_bad_input(ctx, "flavor/rxtx_factor", v,
                                    "is less than or equal to the minimum of 0");
        snprintf(n->rxtx, sizeof(n->rxtx), "%.17g", d);
    }
    n->is_public = true;
    if ((v = json_object_get(f, "os-flavor-access:is_public")) &&
        nb_cmp_bool_parse(v, &n->is_public) < 0)
        return nb_cmp_bad_input(ctx, "flavor/os-flavor-access:is_public", v,
                                "is not one of the allowed values");
    n->description = NULL;
    if ((v = json_object_get(f, "description"))) {
        r = nb_cmp_description_check(ctx, "flavor/description", v, 65535);
        if (r < 0)
            return r;
        n->description = json_string_value(v);
    }
    return 0;
}

int nb_cmp_flavor_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *f = nb_cmp_wrapped(req, "flavor");
    struct nb_cmp_flavor_new n = {0};
    struct nb_tx *tx = NULL;
    int64_t now = nb_now_us();
    int r;
    if (!f)
        return -EINVAL;
    r = nb_cmp_flavor_parse(req, f, &n);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r < 0)
        return r;
    if (nb_tx_query_int(tx, &now, "SELECT 1 FROM cmp_flavors WHERE flavorid = ?", "s",
                        n.id) == 0)
        r = nb_err_set(ctx, 409, "Flavor with ID %s already exists.", n.id);
    else if (nb_tx_query_int(tx, &now, "SELECT 1 FROM cmp_flavors WHERE name = ?", "s",
                             n.name) == 0)
        r = nb_err_set(ctx, 409, "Flavor with name %s already exists.", n.name);
    now = nb_now_us();
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_flavors (flavorid, name, vcpus,"
                       " memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public,"
                       " disabled, description, extra_specs, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '{}', ?, ?)",
                       "ssiiiiisbsii", n.id, n.name, n.vcpus, n.ram, n.disk, n.ephemeral,
                       n.swap, n.rxtx, n.is_public, n.description, now, now);
    if (r == -EEXIST)
        r = nb_err_set(ctx, 409, "Flavor with ID %s already exists.", n.id);
    return nb_cmp_flavor_finish(req, tx, r, n.id);
}

/* PUT /flavors/{id} (2.55): only the description changes. */
int nb_cmp_flavor_update(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *f, *d, *row = NULL;
    struct nb_tx *tx = NULL;
    const char *k;
    json_t *v;
    int r;
    if (nb_req_mv(req) < NB_MV(2, 55))
        return nb_err_set(ctx, 405, "The method is not supported by this microversion.");
    if (!(f = (json_t *)nb_cmp_wrapped(req, "flavor")))
        return -EINVAL;
    json_object_foreach(f, k, v) {
        if (strcmp(k, "description") != 0)
            return nb_cmp_bad_input(ctx, "flavor", f, "Additional properties are not"
                                    " allowed");
    }
    d = json_object_get(f, "description");
    if (!d)
        return nb_cmp_bad_input(ctx, "flavor", f,
                                "'description' is a required property");
    r = nb_cmp_description_check(ctx, "flavor/description", d, 65535);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_flavor_load(ctx, tx, nb_req_param(req, 0), false, &row);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_flavors SET description = ?,"
                       " updated_at = ? WHERE flavorid = ?", "sis",
                       json_string_value(d), nb_now_us(), nb_req_param(req, 0));
    json_decref(row);
    return nb_cmp_flavor_finish(req, tx, r, nb_req_param(req, 0));
}

int nb_cmp_flavor_delete(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    int changes = 0;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, &changes, "DELETE FROM cmp_flavors WHERE flavorid = ?", "s",
                       id);
    if (r == 0 && changes == 0)
        r = nb_err_set(ctx, 404, "Flavor %s could not be found.", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_flavor_access WHERE flavorid = ?",
                       "s", id);
    if (r == 0)
        return nb_tx_commit(tx) < 0 ? -EIO : nb_reply_empty(req, 202);
    nb_tx_rollback(tx);
    return r;
}
