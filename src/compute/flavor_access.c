/* A flavor's extra specs (/flavors/{id}/os-extra_specs) and the projects
 * a private flavor is shared with (os-flavor-access, the addTenantAccess
 * and removeTenantAccess actions). */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>

/* ---- extra specs */

/* Nova's metadata key: 1..255 of [a-zA-Z0-9-_:. ]. */
static bool nb_cmp_spec_key_ok(const char *k)
{
    size_t n = strlen(k);
    return n >= 1 && n <= 255 &&
           strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-_:. ") == n;
}

/* Checks specs (an object of string or number values, each at most 255
 * long) and returns them with numbers as strings: a new object. */
static int nb_cmp_specs_parse(struct nb_ctx *ctx, const char *path, const json_t *in,
                              json_t **out)
{
    const char *k;
    json_t *v, *o;
    if (!json_is_object(in))
        return nb_cmp_bad_input(ctx, path, in, "is not of type 'object'");
    o = json_object();
    json_object_foreach((json_t *)in, k, v) {
        char *s = NULL;
        if (!nb_cmp_spec_key_ok(k)) {
            json_decref(o);
            return nb_cmp_bad_input(ctx, path, in, "Additional properties are not"
                                    " allowed (the key does not match"
                                    " '^[a-zA-Z0-9-_:. ]{1,255}$')");
        }
        if (json_is_string(v))
            s = nb_xstrdup(json_string_value(v));
        else if (json_is_integer(v))
            s = nb_xasprintf("%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            s = nb_xasprintf("%.17g", json_real_value(v));
        if (!s || strlen(s) > 255) {
            char p[300];
            snprintf(p, sizeof(p), "%s/%s", path, k);
            free(s);
            json_decref(o);
            return nb_cmp_bad_input(ctx, p, v, !s ? "is not of type 'string', 'number'"
                                                  : "is too long");
        }
        json_object_set_new(o, k, json_string(s));
        free(s);
    }
    *out = o;
    return 0;
}

static int nb_cmp_specs_save(struct nb_tx *tx, const char *id, const json_t *specs)
{
    char *text = nb_json_dump(specs);
    int r = nb_tx_exec(tx, NULL, "UPDATE cmp_flavors SET extra_specs = ?, updated_at = ?"
                       " WHERE flavorid = ?", "sis", text, nb_now_us(), id);
    free(text);
    return r;
}

/* Loads the path's flavor (as the caller may use it) and its specs. */
static int nb_cmp_specs_load(struct nb_req *req, struct nb_tx *tx, json_t **specs)
{
    json_t *row = NULL;
    int r = nb_cmp_flavor_load(nb_req_ctx(req), tx, nb_req_param(req, 0), false, &row);
    if (r == 0)
        *specs = nb_cmp_flavor_specs(row);
    json_decref(row);
    return r;
}

int nb_cmp_specs_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *specs = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_specs_load(req, tx, &specs);
    nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_json(req, 200, json_pack("{s:o}", "extra_specs", specs));
}

int nb_cmp_spec_show(struct nb_req *req)
{
    const char *key = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *specs = NULL, *v;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_specs_load(req, tx, &specs);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    v = json_object_get(specs, key);
    if (!v)
        r = nb_req_err(req, 404, "Flavor %s has no extra specs with key %s.",
                       nb_req_param(req, 0), key);
    else
        r = nb_reply_json(req, 200, json_pack("{s:O}", key, v));
    json_decref(specs);
    return r;
}

/* Merges 'add' into the flavor's specs (POST and PUT). */
static int nb_cmp_specs_merge(struct nb_req *req, const json_t *add)
{
    struct nb_tx *tx = NULL;
    json_t *specs = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_specs_load(req, tx, &specs);
    if (r == 0) {
        json_object_update(specs, (json_t *)add);
        r = nb_cmp_specs_save(tx, nb_req_param(req, 0), specs);
    }
    json_decref(specs);
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    return nb_tx_commit(tx);
}

int nb_cmp_specs_create(struct nb_req *req)
{
    json_t *body = nb_req_json(req), *in, *specs = NULL;
    const char *k;
    json_t *v;
    int r;
    if (!body)
        return -EINVAL;
    json_object_foreach(body, k, v) {
        if (strcmp(k, "extra_specs") != 0)
            return nb_cmp_bad_input(nb_req_ctx(req), "", body,
                                    "Additional properties are not allowed");
    }
    in = json_object_get(body, "extra_specs");
    if (!in)
        return nb_cmp_bad_input(nb_req_ctx(req), "", body,
                                "'extra_specs' is a required property");
    r = nb_cmp_specs_parse(nb_req_ctx(req), "extra_specs", in, &specs);
    if (r == 0)
        r = nb_cmp_specs_merge(req, specs);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:O}", "extra_specs", specs));
    json_decref(specs);
    return r;
}

int nb_cmp_spec_update(struct nb_req *req)
{
    json_t *body = nb_req_json(req), *specs = NULL;
    const char *key = nb_req_param(req, 1);
    int r;
    if (!body)
        return -EINVAL;
    if (json_object_size(body) != 1)
        return nb_cmp_bad_input(nb_req_ctx(req), "", body,
                                json_object_size(body)
                                    ? "has too many properties"
                                    : "does not have enough properties");
    r = nb_cmp_specs_parse(nb_req_ctx(req), "", body, &specs);
    if (r == 0 && !json_object_get(specs, key))
        r = nb_req_err(req, 400, "Request body and URI mismatch");
    if (r == 0)
        r = nb_cmp_specs_merge(req, specs);
    if (r == 0)
        r = nb_reply_json(req, 200, json_incref(specs));
    json_decref(specs);
    return r;
}

int nb_cmp_spec_delete(struct nb_req *req)
{
    const char *key = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *specs = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_specs_load(req, tx, &specs);
    if (r == 0 && json_object_del(specs, key) < 0)
        r = nb_req_err(req, 404, "Flavor %s has no extra specs with key %s.",
                       nb_req_param(req, 0), key);
    if (r == 0)
        r = nb_cmp_specs_save(tx, nb_req_param(req, 0), specs);
    json_decref(specs);
    return nb_cmp_commit_empty(req, tx, r, 200);
}

/* ---- os-flavor-access */

/* {"flavor_access": [{flavor_id, tenant_id}...]} of flavor 'id'. */
static int nb_cmp_access_reply(struct nb_req *req, struct nb_tx *tx, const char *id)
{
    struct nb_stmt *st = NULL;
    json_t *list = json_array();
    int r = nb_tx_query(tx, &st, "SELECT project_id FROM cmp_flavor_access WHERE"
                        " flavorid = ? ORDER BY project_id", "s", id);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_array_append_new(list, json_pack("{s:s,s:s}", "flavor_id", id,
                                              "tenant_id", nb_stmt_text(st, 0)));
        r = 0;
    }
    nb_stmt_done(st);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "flavor_access", list));
}

int nb_cmp_access_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *row = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_flavor_load(nb_req_ctx(req), tx, nb_req_param(req, 0), false, &row);
    if (r == 0 && nb_cmp_row_int(row, "is_public"))
        r = nb_req_err(req, 404, "Access list not available for public flavors.");
    if (r == 0)
        r = nb_cmp_access_reply(req, tx, nb_req_param(req, 0));
    json_decref(row);
    nb_tx_rollback(tx);
    return r;
}

/* The tenant of {"<action>": {"tenant": "..."}}: a string of 1..255. */
static int nb_cmp_access_tenant(struct nb_req *req, const json_t *body,
                                const char *action, const char **tenant)
{
    const json_t *a = json_object_get(body, action), *t;
    char path[64];
    snprintf(path, sizeof(path), "%s/tenant", action);
    if (!json_is_object(a) || json_object_size(body) != 1)
        return nb_cmp_bad_input(nb_req_ctx(req), action, a ? a : body,
                                "is not of type 'object'");
    t = json_object_get(a, "tenant");
    if (!json_is_string(t) || !*json_string_value(t) ||
        strlen(json_string_value(t)) > 255 || json_object_size(a) != 1)
        return nb_cmp_bad_input(nb_req_ctx(req), path, t ? t : a,
                                t ? "is not a valid project id"
                                  : "'tenant' is a required property");
    *tenant = json_string_value(t);
    return 0;
}

int nb_cmp_flavor_action(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req), *row = NULL;
    const char *id = nb_req_param(req, 0), *tenant = NULL;
    bool add;
    struct nb_tx *tx = NULL;
    int changes = 0, r;
    if (!body)
        return -EINVAL;
    add = json_object_get(body, "addTenantAccess") != NULL;
    if (!add && !json_object_get(body, "removeTenantAccess"))
        return nb_req_err(req, 400, "There is no such action: %s",
                          json_object_size(body) ? json_object_iter_key(
                                                       json_object_iter(body))
                                                 : "");
    r = nb_req_enforce(req, add ? "os_compute_api:os-flavor-access:add_tenant_access"
                                : "os_compute_api:os-flavor-access:remove_tenant_access",
                       NULL);
    if (r == 0)
        r = nb_cmp_access_tenant(req, body, add ? "addTenantAccess"
                                                : "removeTenantAccess", &tenant);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_flavor_load(ctx, tx, id, false, &row);
    if (r < 0)
        goto out;
    if (add && nb_req_mv(req) >= NB_MV(2, 7) && nb_cmp_row_int(row, "is_public")) {
        r = nb_req_err(req, 409, "Can not add access to a public flavor.");
        goto out;
    }
    if (add) {
        r = nb_tx_exec(tx, &changes, "INSERT INTO cmp_flavor_access (flavorid,"
                       " project_id) VALUES (?, ?) ON CONFLICT DO NOTHING", "ss", id,
                       tenant);
        if (r == 0 && changes == 0)
            r = nb_req_err(req, 409, "Flavor access already exists for flavor %s and"
                           " project %s combination.", id, tenant);
    } else {
        r = nb_tx_exec(tx, &changes, "DELETE FROM cmp_flavor_access WHERE flavorid = ?"
                       " AND project_id = ?", "ss", id, tenant);
        if (r == 0 && changes == 0)
            r = nb_req_err(req, 404, "Flavor access not found for %s / %s combination.",
                           id, tenant);
    }
    if (r == 0)
        r = nb_cmp_access_reply(req, tx, id);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
out:
    nb_tx_rollback(tx);
    json_decref(row);
    return r;
}
