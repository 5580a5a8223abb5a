/* The resource engine: a REST resource described as data (its attributes,
 * their types and rules), validated, stored and rendered by one piece of
 * code instead of once per resource. */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct nb_field *nb_res_field(const struct nb_resource *res,
                                    const char *name)
{
    for (size_t i = 0; i < res->nfields; i++)
        if (strcmp(res->fields[i].name, name) == 0)
            return &res->fields[i];
    return NULL;
}

static bool nb_field_has_col(const struct nb_field *f)
{
    return !(f->flags & NB_FF_NOCOL);
}

static size_t nb_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

/* Checks one attribute value against its field's rules. */
static int nb_field_check(struct nb_ctx *ctx, const struct nb_field *f,
                          const json_t *v)
{
    static const char *const type_msg[] = {
        [NB_FT_STR] = "is not of type 'string'",
        [NB_FT_BOOL] = "is not of type 'boolean'",
        [NB_FT_INT] = "is not of type 'integer'",
        [NB_FT_JSON] = "",
        [NB_FT_TIME] = "is not of type 'string'",
    };
    int64_t t;

    if (json_is_null(v)) {
        if (f->flags & NB_FF_NULL)
            return 0;
        return nb_err_invalid(ctx, f->name, v, type_msg[f->type][0] ?
                                           type_msg[f->type] : "is not allowed");
    }
    switch (f->type) {
    case NB_FT_STR: {
        const char *s;
        if (!json_is_string(v))
            return nb_err_invalid(ctx, f->name, v, type_msg[f->type]);
        s = json_string_value(v);
        if (f->max_len && nb_utf8_len(s) > f->max_len)
            return nb_err_invalid(ctx, f->name, v, "is too long");
        if (f->flags & NB_FF_NAME) {
            if (!*s)
                return nb_err_invalid(ctx, f->name, v, "is too short");
            if (strspn(s, " \t\r\n\f\v") == strlen(s))
                return nb_err_invalid(ctx, f->name, v, "does not match '[\\S]+'");
        }
        return 0;
    }
    case NB_FT_BOOL:
        return json_is_boolean(v) ? 0 : nb_err_invalid(ctx, f->name, v, type_msg[f->type]);
    case NB_FT_INT:
        return json_is_integer(v) ? 0 : nb_err_invalid(ctx, f->name, v, type_msg[f->type]);
    case NB_FT_JSON:
        return 0;
    case NB_FT_TIME:
        if (!json_is_string(v))
            return nb_err_invalid(ctx, f->name, v, type_msg[f->type]);
        if (nb_time_parse(json_string_value(v), &t) < 0)
            return nb_err_invalid(ctx, f->name, v, "is not a 'date-time'");
        return 0;
    }
    return 0;
}

int nb_res_parse(struct nb_ctx *ctx, const struct nb_resource *res,
                 const json_t *in, bool create, json_t **out)
{
    json_t *obj = NULL;
    const char *key;
    json_t *v;
    int r = 0;

    if (!json_is_object(in)) {
        char *q = nb_json_repr(in);
        r = nb_err_set(ctx, 400, "Invalid input for field '%s': %s is not of "
                                 "type 'object'", res->singular, q);
        free(q);
        return r;
    }
    obj = json_object();
    json_object_foreach((json_t *)in, key, v) {
        const struct nb_field *f = nb_res_field(res, key);
        if (!f) {
            if (!res->keep_extra) {
                r = nb_err_set(ctx, 400, "Additional properties are not "
                                         "allowed ('%s' was unexpected)", key);
                goto out;
            }
            json_object_set(obj, key, v);
            continue;
        }
        if (f->flags & NB_FF_RDONLY)
            continue;
        if (!create && !(f->flags & NB_FF_MUTABLE)) {
            r = nb_err_set(ctx, 400, "Invalid input for field '%s': the "
                                     "attribute cannot be changed", key);
            goto out;
        }
        r = nb_field_check(ctx, f, v);
        if (r < 0)
            goto out;
        json_object_set(obj, key, v);
    }
    if (create) {
        for (size_t i = 0; i < res->nfields; i++) {
            const struct nb_field *f = &res->fields[i];
            if (json_object_get(obj, f->name))
                continue;
            if (f->flags & NB_FF_REQUIRED) {
                r = nb_err_set(ctx, 400, "'%s' is a required property", f->name);
                goto out;
            }
            if (f->def)
                json_object_set_new(obj, f->name, json_loads(f->def, JSON_DECODE_ANY, NULL));
        }
    }
    *out = obj;
    obj = NULL;
out:
    json_decref(obj);
    return r;
}

void nb_res_bind(struct nb_sql *q, const struct nb_field *f, const json_t *v)
{
    int64_t t;
    char *s;

    if (!v || json_is_null(v)) {
        nb_sql_text(q, NULL);
        return;
    }
    switch (f->type) {
    case NB_FT_STR:
        nb_sql_text(q, json_string_value(v));
        break;
    case NB_FT_BOOL:
        nb_sql_int(q, json_is_true(v));
        break;
    case NB_FT_INT:
        nb_sql_int(q, json_integer_value(v));
        break;
    case NB_FT_JSON:
        s = nb_json_dump(v);
        nb_sql_text(q, s);
        free(s);
        break;
    case NB_FT_TIME:
        if (nb_time_parse(json_string_value(v), &t) == 0)
            nb_sql_int(q, t);
        else
            nb_sql_text(q, NULL);
        break;
    }
}

/* The unknown attributes of 'obj', as a new object. */
static json_t *nb_res_extra(const struct nb_resource *res, const json_t *obj)
{
    json_t *extra = json_object(), *v;
    const char *key;
    json_object_foreach((json_t *)obj, key, v)
        if (!nb_res_field(res, key))
            json_object_set(extra, key, v);
    return extra;
}

static int nb_res_conflict(struct nb_ctx *ctx, const struct nb_resource *res,
                           const json_t *obj)
{
    const char *name = nb_json_str(obj, "name");
    char noun[64];
    snprintf(noun, sizeof(noun), "%s", res->singular);
    for (char *p = noun; *p; p++)
        if (*p == '_')
            *p = ' ';
    if (name)
        return nb_err_set(ctx, 409, "Conflict occurred attempting to store %s "
                                    "- Duplicate entry found with name %s.",
                          noun, name);
    return nb_err_set(ctx, 409, "Conflict occurred attempting to store %s - "
                                "Duplicate entry.", noun);
}

static int nb_res_not_found(struct nb_ctx *ctx, const struct nb_resource *res,
                            const char *id)
{
    char noun[64];
    if (res->not_found)
        return nb_err_set(ctx, 404, res->not_found, id);
    snprintf(noun, sizeof(noun), "%s", res->singular);
    for (char *p = noun; *p; p++)
        if (*p == '_')
            *p = ' ';
    return nb_err_set(ctx, 404, "Could not find %s: %s.", noun, id);
}

int nb_res_insert(struct nb_ctx *ctx, struct nb_tx *tx,
                  const struct nb_resource *res, const json_t *obj)
{
    struct nb_sql q = {0};
    int ncols = 0, r;

    nb_sql_addf(&q, "INSERT INTO %s (", res->table);
    for (size_t i = 0; i < res->nfields; i++) {
        if (!nb_field_has_col(&res->fields[i]))
            continue;
        nb_sql_addf(&q, "%s%s", ncols++ ? ", " : "", res->fields[i].name);
    }
    if (res->keep_extra)
        nb_sql_addf(&q, "%sextra", ncols++ ? ", " : "");
    nb_sql_add(&q, ") VALUES (");
    for (int i = 0; i < ncols; i++)
        nb_sql_add(&q, i ? ", ?" : "?");
    nb_sql_add(&q, ")");
    for (size_t i = 0; i < res->nfields; i++) {
        const struct nb_field *f = &res->fields[i];
        if (nb_field_has_col(f))
            nb_res_bind(&q, f, json_object_get(obj, f->name));
    }
    if (res->keep_extra) {
        json_t *extra = nb_res_extra(res, obj);
        char *s = nb_json_dump(extra);
        nb_sql_text(&q, s);
        free(s);
        json_decref(extra);
    }
    r = nb_tx_exec_sql(tx, NULL, &q);
    if (r == -EEXIST)
        r = nb_res_conflict(ctx, res, obj);
    nb_sql_free(&q);
    return r;
}

void nb_res_select(const struct nb_resource *res, struct nb_sql *q)
{
    int n = 0;
    nb_sql_add(q, "SELECT ");
    for (size_t i = 0; i < res->nfields; i++)
        if (nb_field_has_col(&res->fields[i]))
            nb_sql_addf(q, "%s%s.%s", n++ ? ", " : "", res->table, res->fields[i].name);
    if (res->keep_extra)
        nb_sql_addf(q, "%s%s.extra", n ? ", " : "", res->table);
    nb_sql_addf(q, " FROM %s", res->table);
}

json_t *nb_res_render(const struct nb_resource *res, struct nb_stmt *st)
{
    json_t *obj = json_object();
    char ts[NB_TIME_LEN];
    int col = 0;

    for (size_t i = 0; i < res->nfields; i++) {
        const struct nb_field *f = &res->fields[i];
        const char *s;
        json_t *v;
        if (!nb_field_has_col(f))
            continue;
        s = nb_stmt_text(st, col++);
        if (f->flags & NB_FF_HIDDEN)
            continue;
        if (!s) {
            v = json_null();
        } else {
            switch (f->type) {
            case NB_FT_STR:
                v = json_string(s);
                break;
            case NB_FT_BOOL:
                v = json_boolean(strtoll(s, NULL, 10) != 0);
                break;
            case NB_FT_INT:
                v = json_integer(strtoll(s, NULL, 10));
                break;
            case NB_FT_JSON:
                v = json_loads(s, JSON_DECODE_ANY, NULL);
                if (!v)
                    v = json_null();
                break;
            case NB_FT_TIME:
                nb_time_fmt(strtoll(s, NULL, 10), 6, ts);
                v = json_string(ts);
                break;
            default:
                v = json_null();
            }
        }
        json_object_set_new(obj, f->name, v);
    }
    if (res->keep_extra) {
        const char *s = nb_stmt_text(st, col);
        json_t *extra = s ? json_loads(s, 0, NULL) : NULL;
        const char *key;
        json_t *v;
        json_object_foreach(extra, key, v)
            if (!json_object_get(obj, key))
                json_object_set(obj, key, v);
        json_decref(extra);
    }
    return obj;
}

int nb_res_get(struct nb_ctx *ctx, struct nb_tx *tx,
               const struct nb_resource *res, const char *id, json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    int r;

    nb_res_select(res, &q);
    nb_sql_addf(&q, " WHERE %s.%s = ?", res->table, res->fields[0].name);
    nb_sql_text(&q, id);
    r = nb_tx_query_sql(tx, &st, &q);
    if (r < 0)
        goto out;
    r = nb_stmt_next(st);
    if (r == 0)
        r = nb_res_not_found(ctx, res, id);
    if (r > 0) {
        *out = nb_res_render(res, st);
        r = 0;
    }
out:
    nb_stmt_done(st);
    nb_sql_free(&q);
    return r;
}

/* Loads the 'extra' object of row 'id' (a new reference, {} when empty). */
static int nb_res_load_extra(struct nb_ctx *ctx, struct nb_tx *tx,
                             const struct nb_resource *res, const char *id,
                             json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    const char *s;
    int r;

    nb_sql_addf(&q, "SELECT extra FROM %s WHERE %s = ?", res->table,
                res->fields[0].name);
    nb_sql_text(&q, id);
    r = nb_tx_query_sql(tx, &st, &q);
    if (r < 0)
        goto out;
    r = nb_stmt_next(st);
    if (r == 0)
        r = nb_res_not_found(ctx, res, id);
    if (r > 0) {
        s = nb_stmt_text(st, 0);
        *out = s ? json_loads(s, 0, NULL) : NULL;
        if (!*out)
            *out = json_object();
        r = 0;
    }
out:
    nb_stmt_done(st);
    nb_sql_free(&q);
    return r;
}

int nb_res_update(struct nb_ctx *ctx, struct nb_tx *tx,
                  const struct nb_resource *res, const char *id,
                  const json_t *changes)
{
    struct nb_sql q = {0};
    json_t *extra = NULL, *v;
    const char *key;
    int n = 0, changed = 0, r;

    nb_sql_addf(&q, "UPDATE %s SET ", res->table);
    json_object_foreach((json_t *)changes, key, v) {
        const struct nb_field *f = nb_res_field(res, key);
        if (!f) {
            if (!extra)
                extra = json_object();
            json_object_set(extra, key, v);
            continue;
        }
        if (!nb_field_has_col(f))
            continue;
        nb_sql_addf(&q, "%s%s = ?", n++ ? ", " : "", f->name);
        nb_res_bind(&q, f, v);
    }
    if (extra && res->keep_extra) {
        json_t *cur = NULL;
        r = nb_res_load_extra(ctx, tx, res, id, &cur);
        if (r < 0)
            goto out;
        json_object_update(cur, extra);
        nb_sql_addf(&q, "%sextra = ?", n++ ? ", " : "");
        {
            char *dumped = nb_json_dump(cur);
            nb_sql_text(&q, dumped);
            free(dumped);
        }
        json_decref(cur);
    }
    r = 0;
    if (!n)
        goto out;
    nb_sql_addf(&q, " WHERE %s = ?", res->fields[0].name);
    nb_sql_text(&q, id);
    r = nb_tx_exec_sql(tx, &changed, &q);
    if (r == -EEXIST)
        r = nb_res_conflict(ctx, res, changes);
    else if (r == 0 && changed == 0)
        r = nb_res_not_found(ctx, res, id);
out:
    json_decref(extra);
    nb_sql_free(&q);
    return r;
}

int nb_res_delete(struct nb_ctx *ctx, struct nb_tx *tx,
                  const struct nb_resource *res, const char *id)
{
    struct nb_sql q = {0};
    int changed = 0, r;

    nb_sql_addf(&q, "DELETE FROM %s WHERE %s = ?", res->table, res->fields[0].name);
    nb_sql_text(&q, id);
    r = nb_tx_exec_sql(tx, &changed, &q);
    if (r == 0 && changed == 0)
        r = nb_res_not_found(ctx, res, id);
    nb_sql_free(&q);
    return r;
}

/* Keystone's reading of a boolean query value: only the usual spellings
 * of false are false. */
static bool nb_lenient_bool(const char *s)
{
    return !(strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0 ||
             strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0);
}

int nb_res_list(struct nb_ctx *ctx, struct nb_tx *tx,
                const struct nb_resource *res,
                const struct nb_list_opts *opts, json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    json_t *list = NULL;
    int r;

    nb_res_select(res, &q);
    nb_sql_add(&q, " WHERE 1 = 1");
    if (opts && opts->where && opts->where->text.len) {
        nb_sql_addf(&q, " AND (%s)", opts->where->text.buf);
        for (int i = 0; i < opts->where->n; i++) {
            const struct nb_sql_arg *a = &opts->where->args[i];
            if (a->type == 'i')
                nb_sql_int(&q, a->i);
            else
                nb_sql_text(&q, a->type == 's' ? a->s : NULL);
        }
    }
    for (size_t i = 0; opts && opts->query && i < res->nfields; i++) {
        const struct nb_field *f = &res->fields[i];
        const char *v;
        if (!(f->flags & NB_FF_FILTER) || !nb_field_has_col(f))
            continue;
        v = nb_json_str(opts->query, f->name);
        if (!v)
            continue;
        nb_sql_addf(&q, " AND %s.%s = ?", res->table, f->name);
        if (f->type == NB_FT_BOOL) {
            bool b = false;
            if (opts->strict_bools && nb_str_to_bool(v, &b) < 0) {
                r = nb_err_set(ctx, 400, "Invalid input for operation: '%s' "
                                         "cannot be converted to boolean.", v);
                goto out;
            }
            nb_sql_int(&q, opts->strict_bools ? b : nb_lenient_bool(v));
        } else if (f->type == NB_FT_INT) {
            long n;
            if (nb_str_to_long(v, &n) < 0) {
                r = nb_err_set(ctx, 400, "Invalid value for filter '%s': %s",
                               f->name, v);
                goto out;
            }
            nb_sql_int(&q, n);
        } else {
            nb_sql_text(&q, v);
        }
    }
    nb_sql_addf(&q, " ORDER BY %s", opts && opts->order_by ? opts->order_by : res->fields[0].name);
    if (opts && opts->limit > 0)
        nb_sql_addf(&q, " LIMIT %ld", opts->limit);
    r = nb_tx_query_sql(tx, &st, &q);
    if (r < 0)
        goto out;
    list = json_array();
    while ((r = nb_stmt_next(st)) > 0)
        json_array_append_new(list, nb_res_render(res, st));
    if (r == 0) {
        *out = list;
        list = NULL;
    }
out:
    json_decref(list);
    nb_stmt_done(st);
    nb_sql_free(&q);
    return r;
}
