/* JSON helpers over jansson. */
#include "core.h"

#include <stdlib.h>

const char *nb_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const json_t *nb_json_obj(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

const json_t *nb_json_arr(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

char *nb_json_dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        abort();
    return s;
}

char *nb_json_repr(const json_t *v)
{
    struct nb_buf b = {0};
    const char *key;
    json_t *x;
    size_t i;

    if (json_is_string(v))
        return nb_xasprintf("'%s'", json_string_value(v));
    if (json_is_true(v) || json_is_false(v))
        return nb_xstrdup(json_is_true(v) ? "True" : "False");
    if (!v || json_is_null(v))
        return nb_xstrdup("None");
    if (json_is_object(v) || json_is_array(v)) {
        bool obj = json_is_object(v), first = true;
        nb_buf_puts(&b, obj ? "{" : "[");
        if (obj) {
            json_object_foreach((json_t *)v, key, x) {
                char *s = nb_json_repr(x);
                nb_buf_printf(&b, "%s'%s': %s", first ? "" : ", ", key, s);
                free(s);
                first = false;
            }
        } else {
            json_array_foreach(v, i, x) {
                char *s = nb_json_repr(x);
                nb_buf_printf(&b, "%s%s", i ? ", " : "", s);
                free(s);
            }
        }
        nb_buf_puts(&b, obj ? "}" : "]");
        return nb_buf_steal(&b);
    }
    return nb_json_dump(v);
}

int nb_err_invalid(struct nb_ctx *ctx, const char *field, const json_t *v, const char *why)
{
    char *q = nb_json_repr(v);
    int r = field ? nb_err_set(ctx, 400, "Invalid input for field '%s': %s %s", field, q, why)
                  : nb_err_set(ctx, 400, "%s %s", q, why);
    free(q);
    return r;
}
