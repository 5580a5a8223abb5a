/* Nova's image proxy (images.py, up to microversion 2.35): a Glance image
 * as Nova v2.1 shows it, and its deletion, through the image service's
 * header with the caller's visibility.  Clients of old microversions
 * (Tempest's compute images client) follow a createImage snapshot here. */
#include "compute/actions.h"
#include "compute/handlers.h"
#include "image/image.h"

#include <stdlib.h>
#include <string.h>

/* The proxy is gone from 2.36 on: a 404 as for an unknown route. */
static int nb_cmp_images_mv(struct nb_req *req)
{
    nb_req_policy_done(req);          /* the image service decides visibility */
    return nb_cmp_mv_route(req, 0, NB_MV(2, 35));
}

/* Glance's attributes that are not properties (the rest are). */
static bool nb_cmp_image_core(const char *key)
{
    static const char *const core[] = {
        "id", "name", "status", "visibility", "protected", "os_hidden", "owner",
        "disk_format", "container_format", "min_disk", "min_ram", "size",
        "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at",
        "updated_at", "tags", "self", "file", "schema", "stores", "locations",
        "direct_url",
    };
    for (size_t i = 0; i < NB_ARRAY_SIZE(core); i++)
        if (!strcmp(core[i], key))
            return true;
    return false;
}

/* "2026-11-26T18:49:56Z" from Glance's time (already that form). */
static json_t *nb_cmp_image_time(const json_t *t)
{
    int64_t us;
    char out[NB_TIME_LEN];
    if (!json_is_string(t) || nb_time_parse(json_string_value(t), &us) < 0)
        return json_null();
    nb_time_fmt(us, 0, out);
    return json_string(out);
}

/* Nova's _get_status and _get_progress. */
static const char *nb_cmp_image_status(const char *s, int *progress)
{
    static const struct { const char *glance, *nova; int progress; } map[] = {
        {"active", "ACTIVE", 100}, {"queued", "SAVING", 25}, {"saving", "SAVING", 50},
        {"deleted", "DELETED", 0}, {"pending_delete", "DELETED", 0},
        {"killed", "ERROR", 0},
    };
    for (size_t i = 0; s && i < NB_ARRAY_SIZE(map); i++)
        if (!strcmp(map[i].glance, s)) {
            *progress = map[i].progress;
            return map[i].nova;
        }
    *progress = 0;
    return "UNKNOWN";
}

/* A Glance image as Nova's image view (views/images.py show). */
static json_t *nb_cmp_image_view(struct nb_req *req, const json_t *img)
{
    const char *id = nb_json_str(img, "id"), *key, *server;
    json_t *meta = json_object(), *v;
    const json_t *val;
    int progress;

    json_object_foreach((json_t *)img, key, val)
        if (!nb_cmp_image_core(key))
            json_object_set(meta, key, (json_t *)val);
    v = json_pack("{s:s,s:O?,s:I,s:I,s:o,s:o,s:o,s:s,s:O?,s:o}", "id", id, "name",
                  json_object_get(img, "name"), "minRam",
                  json_integer_value(json_object_get(img, "min_ram")), "minDisk",
                  json_integer_value(json_object_get(img, "min_disk")), "metadata", meta,
                  "created", nb_cmp_image_time(json_object_get(img, "created_at")),
                  "updated", nb_cmp_image_time(json_object_get(img, "updated_at")),
                  "status", nb_cmp_image_status(nb_json_str(img, "status"), &progress),
                  "OS-EXT-IMG-SIZE:size", json_object_get(img, "size"), "links",
                  nb_cmp_links(req, "images", id));
    json_object_set_new(v, "progress", json_integer(progress));
    if ((server = nb_json_str(meta, "instance_uuid")))
        json_object_set_new(v, "server", json_pack("{s:s,s:o}", "id", server, "links",
                                                   nb_cmp_links(req, "servers", server)));
    if ((key = nb_json_str(meta, "auto_disk_config")))
        json_object_set_new(v, "OS-DCF:diskConfig",
                            json_string(nb_str_is_true(key) ? "AUTO" : "MANUAL"));
    return v;
}

/* The image of path parameter 0 as the caller sees it, with Nova's 404. */
static int nb_cmp_image_of(struct nb_req *req, json_t **img)
{
    struct nb_ctx *ctx = nb_req_ctx(req), tmp = *ctx;
    const char *id = nb_req_param(req, 0);
    int r;

    tmp.err_status = 0;
    r = nb_image_get(&tmp, id, img);
    if (r == -ENOENT || (r < 0 && tmp.err_status == 404))
        return nb_err_set(ctx, 404, "Image %s could not be found.", id);
    if (r < 0)
        return nb_err_set(ctx, tmp.err_status ? tmp.err_status : 500, "%s", tmp.err_msg);
    return 0;
}

/* ---- GET /images, /images/detail: Nova's filters passed on to Glance's
 * list (images.py _get_filters and glance.py _extract_query_params_v2) */

static json_t *nb_cmp_images_query(struct nb_req *req)
{
    static const char *const same[] = {"name", "limit", "marker"};
    const char *v, *slash;
    json_t *q = json_object();

    for (size_t i = 0; i < NB_ARRAY_SIZE(same); i++)
        if ((v = nb_req_query(req, same[i])))
            json_object_set_new(q, same[i], json_string(v));
    if ((v = nb_req_query(req, "status"))) {
        char *low = nb_xstrdup(v);
        for (char *c = low; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        json_object_set_new(q, "status", json_string(low));
        free(low);
    }
    if ((v = nb_req_query(req, "changes-since"))) {
        char *gte = nb_xasprintf("gte:%s", v);
        json_object_set_new(q, "updated_at", json_string(gte));
        free(gte);
    }
    if ((v = nb_req_query(req, "server"))) {
        slash = strrchr(v, '/');
        json_object_set_new(q, "instance_uuid", json_string(slash ? slash + 1 : v));
    }
    if ((v = nb_req_query(req, "type")))
        json_object_set_new(q, "image_type", json_string(v));
    return q;
}

static int nb_cmp_images_list(struct nb_req *req, bool detail)
{
    struct nb_ctx *ctx = nb_req_ctx(req), tmp;
    json_t *q = NULL, *imgs = NULL, *list = NULL, *body;
    const json_t *img;
    const char *limit;
    size_t i;
    int r = nb_cmp_images_mv(req);

    if (r < 0)
        return r;
    q = nb_cmp_images_query(req);
    tmp = *ctx;
    tmp.err_status = 0;
    r = nb_image_list(&tmp, q, &imgs);
    if (r < 0) {
        r = nb_err_set(ctx, tmp.err_status ? tmp.err_status : 500, "%s", tmp.err_msg);
        goto out;
    }
    list = json_array();
    json_array_foreach(imgs, i, img) {
        json_t *v = nb_cmp_image_view(req, img);
        if (!detail) {
            json_t *brief = json_pack("{s:O,s:O,s:O}", "id", json_object_get(v, "id"),
                                      "name", json_object_get(v, "name"), "links",
                                      json_object_get(v, "links"));
            json_decref(v);
            v = brief;
        }
        json_array_append_new(list, v);
    }
    body = json_pack("{s:O}", "images", list);
    limit = nb_req_query(req, "limit");
    if (limit && json_array_size(imgs) && json_array_size(imgs) == (size_t)atol(limit)) {
        const char *last = nb_json_str(json_array_get(imgs, json_array_size(imgs) - 1), "id");
        char *href = nb_xasprintf("%s/compute/v2.1/images%s?limit=%s&marker=%s",
                                  nb_req_base_url(req), detail ? "/detail" : "", limit, last);
        json_object_set_new(body, "images_links",
                            json_pack("[{s:s,s:s}]", "rel", "next", "href", href));
        free(href);
    }
    r = nb_reply_json(req, 200, body);
out:
    json_decref(q);
    json_decref(imgs);
    json_decref(list);
    return r;
}

int nb_cmp_images_index(struct nb_req *req)
{
    return nb_cmp_images_list(req, false);
}

int nb_cmp_images_detail(struct nb_req *req)
{
    return nb_cmp_images_list(req, true);
}

/* DELETE /images/: an image with an empty id (Nova: 404); the collection
 * itself has no DELETE. */
int nb_cmp_images_delete_no_id(struct nb_req *req)
{
    const char *path = nb_req_path(req);
    int r = nb_cmp_images_mv(req);
    if (r < 0)
        return r;
    if (path[strlen(path) - 1] == '/')
        return nb_req_err(req, 404, "Image  could not be found.");
    return nb_req_err(req, 405, "The method DELETE is not allowed for this resource.");
}

/* ---- GET /images/{id} */

int nb_cmp_image_show(struct nb_req *req)
{
    json_t *img = NULL;
    int r = nb_cmp_images_mv(req);
    if (r == 0)
        r = nb_cmp_image_of(req, &img);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "image", nb_cmp_image_view(req, img)));
    json_decref(img);
    return r;
}

/* ---- DELETE /images/{id} */

int nb_cmp_image_delete(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req), tmp;
    json_t *img = NULL;
    int r = nb_cmp_images_mv(req);

    if (r == 0)
        r = nb_cmp_image_of(req, &img);
    if (r == 0) {
        tmp = *ctx;
        tmp.err_status = 0;
        if ((r = nb_image_delete(&tmp, nb_req_param(req, 0))) < 0)
            r = nb_err_set(ctx, tmp.err_status == 404 ? 404 : 403, "%s", tmp.err_msg);
    }
    if (r == 0)
        r = nb_reply_empty(req, 204);
    json_decref(img);
    return r;
}

/* ---- /images/{id}/metadata (image_metadata.py): the image's properties */

/* The image's properties (a new object), or Nova's 404. */
static int nb_cmp_image_props_of(struct nb_req *req, json_t **props)
{
    json_t *img = NULL;
    const char *key;
    const json_t *v;
    int r = nb_cmp_images_mv(req);
    if (r == 0)
        r = nb_cmp_image_of(req, &img);
    if (r < 0)
        return r;
    *props = json_object();
    json_object_foreach(img, key, v)
        if (!nb_cmp_image_core(key))
            json_object_set(*props, key, (json_t *)v);
    json_decref(img);
    return 0;
}

/* Makes the image's properties 'want' (removing the others) as the
 * caller, within the metadata_items quota. */
static int nb_cmp_image_props_set(struct nb_req *req, const json_t *have, const json_t *want)
{
    struct nb_ctx *ctx = nb_req_ctx(req), tmp = *ctx;
    json_t *ops = json_array();
    struct nb_tx *tx = NULL;
    int64_t limit = -1;
    const char *key;
    const json_t *v;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r == 0)
        r = nb_cmp_quota_limit(tx, ctx->caller.project.id, "metadata_items", &limit);
    nb_tx_rollback(tx);
    if (r == 0 && limit >= 0 && (int64_t)json_object_size(want) > limit)
        r = nb_err_set(ctx, 403, "Quota exceeded for metadata_items: the image may have "
                       "%lld.", (long long)limit);
    if (r < 0)
        goto out;
    json_object_foreach((json_t *)have, key, v)
        if (!json_object_get(want, key)) {
            char *path = nb_xasprintf("/%s", key);
            json_array_append_new(ops, json_pack("{s:s,s:s}", "op", "remove", "path", path));
            free(path);
        }
    json_object_foreach((json_t *)want, key, v) {
        char *path = nb_xasprintf("/%s", key);
        json_array_append_new(ops, json_pack("{s:s,s:s,s:O}", "op", "add", "path", path,
                                             "value", v));
        free(path);
    }
    tmp.err_status = 0;
    if ((r = nb_image_update(&tmp, nb_req_param(req, 0), ops, NULL)) < 0)
        r = nb_err_set(ctx, tmp.err_status ? tmp.err_status : 500, "%s", tmp.err_msg);
out:
    json_decref(ops);
    return r;
}

/* {"metadata": {...}} (create, update_all) or {"meta": {one}} (update). */
static int nb_cmp_image_meta_body(struct nb_req *req, const char *key, const json_t **out)
{
    const json_t *body = nb_req_json(req), *v;
    if (!body)
        return -EINVAL;
    if (json_object_size(body) != 1 || !(v = json_object_get(body, key))) {
        char *why = nb_xasprintf("'%s' is a required property, and the only one", key);
        int r = nb_cmp_bad_input(nb_req_ctx(req), key, body, why);
        free(why);
        return r;
    }
    *out = v;
    return nb_cmp_metadata_valid(nb_req_ctx(req), key, v);
}

int nb_cmp_image_meta_index(struct nb_req *req)
{
    json_t *props = NULL;
    int r = nb_cmp_image_props_of(req, &props);
    return r < 0 ? r : nb_reply_json(req, 200, json_pack("{s:o}", "metadata", props));
}

/* POST merges, PUT replaces. */
static int nb_cmp_image_meta_write(struct nb_req *req, bool merge)
{
    const json_t *meta = NULL;
    json_t *props = NULL, *want = NULL;
    int r = nb_cmp_images_mv(req);
    if (r == 0)
        r = nb_cmp_image_meta_body(req, "metadata", &meta);
    if (r == 0)
        r = nb_cmp_image_props_of(req, &props);
    if (r < 0)
        goto out;
    want = merge ? json_deep_copy(props) : json_object();
    json_object_update(want, (json_t *)meta);
    r = nb_cmp_image_props_set(req, props, want);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:O}", "metadata", want));
out:
    json_decref(props);
    json_decref(want);
    return r;
}

int nb_cmp_image_meta_create(struct nb_req *req)
{
    return nb_cmp_image_meta_write(req, true);
}

int nb_cmp_image_meta_update_all(struct nb_req *req)
{
    return nb_cmp_image_meta_write(req, false);
}

int nb_cmp_image_meta_show(struct nb_req *req)
{
    const char *key = nb_req_param(req, 1);
    json_t *props = NULL;
    int r = nb_cmp_image_props_of(req, &props);
    if (r == 0 && !json_object_get(props, key))
        r = nb_req_err(req, 404, "Image %s has no metadata item %s.", nb_req_param(req, 0),
                       key);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:{s:O}}", "meta", key,
                                              json_object_get(props, key)));
    json_decref(props);
    return r;
}

int nb_cmp_image_meta_update(struct nb_req *req)
{
    const char *key = nb_req_param(req, 1);
    const json_t *meta = NULL;
    json_t *props = NULL, *want = NULL;
    int r = nb_cmp_images_mv(req);
    if (r == 0)
        r = nb_cmp_image_meta_body(req, "meta", &meta);
    if (r == 0 && json_object_size(meta) != 1)
        r = nb_req_err(req, 400, "Request body contains too many items");
    if (r == 0 && !json_object_get(meta, key))
        r = nb_req_err(req, 400, "Request body and URI mismatch");
    if (r == 0)
        r = nb_cmp_image_props_of(req, &props);
    if (r < 0)
        goto out;
    want = json_deep_copy(props);
    json_object_update(want, (json_t *)meta);
    r = nb_cmp_image_props_set(req, props, want);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:O}", "meta", meta));
out:
    json_decref(props);
    json_decref(want);
    return r;
}

int nb_cmp_image_meta_delete(struct nb_req *req)
{
    const char *key = nb_req_param(req, 1);
    json_t *props = NULL, *want = NULL;
    int r = nb_cmp_image_props_of(req, &props);
    if (r == 0 && !json_object_get(props, key))
        r = nb_req_err(req, 404, "Invalid metadata key");
    if (r < 0)
        goto out;
    want = json_deep_copy(props);
    json_object_del(want, key);
    r = nb_cmp_image_props_set(req, props, want);
    if (r == 0)
        r = nb_reply_empty(req, 204);
out:
    json_decref(props);
    json_decref(want);
    return r;
}
