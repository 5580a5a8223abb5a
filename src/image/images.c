/* Images: create, show, update (JSON patch), delete, deactivate and
 * reactivate, who may see what, and the rendering Glance clients expect.
 * Lists are in list.c.
 *
 * An image is one row of 'images'; its free-form properties are rows of
 * 'image_properties' (so lists can filter on them) rendered as top-level
 * attributes, as Glance does; its tags are rows of 'image_tags'. */
#include "auth/auth.h"
#include "image/internal.h"

#include <stdlib.h>
#include <string.h>

/* api-ref "Images": attributes only the server sets, and names Glance keeps
 * for itself (glance/api/v2/images.py _readonly_properties and
 * _reserved_properties). */
static const char *const nb_img_readonly[] = {
    "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size",
    "virtual_size", "created_at", "updated_at", "direct_url", "self", "file",
    "schema", "stores",
};
static const char *const nb_img_reserved[] = {
    "location", "locations", "deleted", "deleted_at",
};
/* attributes with a column; everything else is a free-form property */
static const char *const nb_img_core[] = {
    "name", "visibility", "protected", "os_hidden", "disk_format",
    "container_format", "min_disk", "min_ram", "owner", "tags",
};

static bool nb_one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

#define IN(s, set) nb_one_of(s, set, NB_ARRAY_SIZE(set))

bool nb_img_is_admin(const struct nb_ctx *ctx)
{
    return nb_policy_allows(ctx, "image:context_is_admin", NULL);
}

/* 403 for attributes a user may not set; 0 otherwise. */
static int nb_img_check_settable(struct nb_ctx *ctx, const char *key)
{
    if (IN(key, nb_img_readonly))
        return nb_err_set(ctx, 403, "Attribute '%s' is read-only.", key);
    if (IN(key, nb_img_reserved) || strncmp(key, "os_glance", 9) == 0)
        return nb_err_set(ctx, 403, "Attribute '%s' is reserved.", key);
    return 0;
}

static json_t *nb_time_json(int64_t us)
{
    char t[NB_TIME_LEN];
    nb_time_fmt(us, 0, t);
    return json_string(t);
}

static json_t *nb_col_str(struct nb_stmt *st, int col)
{
    return nb_stmt_null(st, col) ? json_null() : json_string(nb_stmt_text(st, col));
}

static json_t *nb_col_int(struct nb_stmt *st, int col)
{
    return nb_stmt_null(st, col) ? json_null() : json_integer(nb_stmt_int(st, col));
}

/* The free-form properties of image 'id' as a new object. */
static json_t *nb_img_props_load(struct nb_tx *tx, const char *id)
{
    struct nb_stmt *st = NULL;
    json_t *props = json_object();
    if (nb_tx_query(tx, &st, "SELECT name, value FROM image_properties WHERE image_id = ?",
                    "s", id) == 0)
        while (nb_stmt_next(st) > 0)
            json_object_set_new(props, nb_stmt_text(st, 0), json_string(nb_stmt_text(st, 1)));
    nb_stmt_done(st);
    return props;
}

static json_t *nb_img_tags_load(struct nb_tx *tx, const char *id)
{
    struct nb_stmt *st = NULL;
    json_t *tags = json_array();
    if (nb_tx_query(tx, &st, "SELECT tag FROM image_tags WHERE image_id = ? ORDER BY tag",
                    "s", id) == 0)
        while (nb_stmt_next(st) > 0)
            json_array_append_new(tags, json_string(nb_stmt_text(st, 0)));
    nb_stmt_done(st);
    return tags;
}

json_t *nb_img_render(struct nb_tx *tx, struct nb_stmt *st)
{
    const char *id = nb_stmt_text(st, 0);
    json_t *img = nb_img_props_load(tx, id);
    char *path;

    json_object_set_new(img, "id", json_string(id));
    json_object_set_new(img, "name", nb_col_str(st, 1));
    json_object_set_new(img, "owner", nb_col_str(st, 2));
    json_object_set_new(img, "status", nb_col_str(st, 3));
    json_object_set_new(img, "visibility", nb_col_str(st, 4));
    json_object_set_new(img, "protected", json_boolean(nb_stmt_int(st, 5)));
    json_object_set_new(img, "os_hidden", json_boolean(nb_stmt_int(st, 6)));
    json_object_set_new(img, "disk_format", nb_col_str(st, 7));
    json_object_set_new(img, "container_format", nb_col_str(st, 8));
    json_object_set_new(img, "min_disk", json_integer(nb_stmt_int(st, 9)));
    json_object_set_new(img, "min_ram", json_integer(nb_stmt_int(st, 10)));
    json_object_set_new(img, "size", nb_col_int(st, 11));
    json_object_set_new(img, "virtual_size", nb_col_int(st, 12));
    json_object_set_new(img, "checksum", nb_col_str(st, 13));
    json_object_set_new(img, "os_hash_algo", nb_col_str(st, 14));
    json_object_set_new(img, "os_hash_value", nb_col_str(st, 15));
    json_object_set_new(img, "created_at", nb_time_json(nb_stmt_int(st, 16)));
    json_object_set_new(img, "updated_at", nb_time_json(nb_stmt_int(st, 17)));
    json_object_set_new(img, "tags", nb_img_tags_load(tx, id));
    path = nb_xasprintf("/v2/images/%s", id);
    json_object_set_new(img, "self", json_string(path));
    free(path);
    path = nb_xasprintf("/v2/images/%s/file", id);
    json_object_set_new(img, "file", json_string(path));
    free(path);
    json_object_set_new(img, "schema", json_string("/v2/schemas/image"));
    /* where the data is, once there is some (/v2/info/stores lists it) */
    if (!strcmp(nb_stmt_text(st, 3), "active") || !strcmp(nb_stmt_text(st, 3), "deactivated"))
        json_object_set_new(img, "stores", json_string("file"));
    return img;
}

json_t *nb_img_target(const json_t *img)
{
    const char *owner = nb_json_str(img, "owner");
    return json_pack("{s:s?,s:s?,s:s?}", "owner", owner, "project_id", owner,
                     "visibility", nb_json_str(img, "visibility"));
}

/* The membership status of 'project' on image 'id', or NULL. New string. */
static char *nb_img_membership(struct nb_tx *tx, const char *id, const char *project)
{
    char *status = NULL;
    nb_tx_query_str(tx, &status,
                    "SELECT status FROM image_members WHERE image_id = ? AND member_id = ?",
                    "ss", id, project);
    return status;
}

/* Glance's visibility rules: admins see all; others see public and
 * community images, their own, and shared images they are a member of
 * (whatever the membership status). */
static bool nb_img_visible(const struct nb_ctx *ctx, struct nb_tx *tx, const json_t *img)
{
    const char *vis = nb_json_str(img, "visibility"), *owner = nb_json_str(img, "owner");
    const char *project = ctx->caller.project.id;
    char *member;
    if (nb_img_is_admin(ctx) || !strcmp(vis, "public") || !strcmp(vis, "community"))
        return true;
    if (*project && owner && !strcmp(owner, project))
        return true;
    if (strcmp(vis, "shared") || !*project)
        return false;
    member = nb_img_membership(tx, nb_json_str(img, "id"), project);
    free(member);
    return member != NULL;
}

int nb_img_load(struct nb_ctx *ctx, struct nb_tx *tx, const char *id, json_t **out)
{
    struct nb_stmt *st = NULL;
    json_t *img = NULL;
    int r;

    *out = NULL;
    r = nb_tx_query(tx, &st, "SELECT " NB_IMG_COLS " FROM images WHERE id = ?", "s", id);
    if (r < 0)
        return r;
    r = nb_stmt_next(st);
    if (r > 0)
        img = nb_img_render(tx, st);
    nb_stmt_done(st);
    if (r < 0)
        return r;
    if (!img || !nb_img_visible(ctx, tx, img)) {
        json_decref(img);
        return nb_err_set(ctx, 404, "No image found with ID %s", id);
    }
    *out = img;
    return 0;
}

int nb_img_find(struct nb_req *req, struct nb_tx *tx, const char *id,
                const char *rule, json_t **out)
{
    json_t *img = NULL, *target;
    int r = nb_img_load(nb_req_ctx(req), tx, id, &img);

    if (r == -ENOENT)
        nb_req_policy_done(req);     /* nothing to enforce on what is not there */
    if (r < 0)
        return r;
    target = nb_img_target(img);
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    if (r < 0) {
        json_decref(img);
        return r;
    }
    *out = img;
    return 0;
}

int nb_img_touch(struct nb_tx *tx, const char *id)
{
    return nb_tx_exec(tx, NULL, "UPDATE images SET updated_at = ? WHERE id = ?", "is",
                      nb_now_us(), id);
}

int64_t nb_img_size_limit(void)
{
    long mib = nb_conf_int("image", "image_size_total");
    return mib < 0 ? -1 : (int64_t)mib * 1024 * 1024;
}

int nb_img_usage_bytes(struct nb_tx *tx, const char *owner, int64_t *out)
{
    return nb_tx_query_int(tx, out,
                           "SELECT COALESCE(SUM(size), 0) FROM images WHERE owner = ?",
                           "s", owner);
}

/* ---- validation of the settable attributes */

static int nb_img_bad(struct nb_ctx *ctx, const char *key, const json_t *v, const char *why)
{
    char *repr = nb_json_repr(v);
    /* a long value is named by its start: the reason must fit */
    nb_err_set(ctx, 400, "Invalid input for field '%.255s': Provided object does not "
                         "match schema 'image': %.60s%s %s", key, repr,
               strlen(repr) > 60 ? "..." : "", why);
    free(repr);
    return -EINVAL;
}

static int nb_img_check_str(struct nb_ctx *ctx, const char *key, const json_t *v,
                            bool null_ok, size_t max)
{
    if (json_is_null(v) && null_ok)
        return 0;
    if (!json_is_string(v))
        return nb_img_bad(ctx, key, v, "is not of type 'string'");
    if (json_string_length(v) > max)
        return nb_img_bad(ctx, key, v, "is too long");
    return 0;
}

static int nb_img_check_tags(struct nb_ctx *ctx, const json_t *tags)
{
    size_t i;
    const json_t *t;
    if (!json_is_array(tags))
        return nb_img_bad(ctx, "tags", tags, "is not of type 'array'");
    json_array_foreach(tags, i, t) {
        int r = nb_img_check_str(ctx, "tags", t, false, 255);
        if (r < 0)
            return r;
    }
    if (json_array_size(tags) > NB_IMG_MAX_TAGS)
        return nb_err_set(ctx, 413, "Maximum number of tags (%d) exceeded.",
                          NB_IMG_MAX_TAGS);
    return 0;
}

/* Checks every attribute of 'doc' (an image as the user sets it). */
static int nb_img_validate(struct nb_ctx *ctx, const json_t *doc)
{
    static const char *const vis[] = {"public", "private", "shared", "community"};
    const char *key;
    const json_t *v;
    int r = 0;

    json_object_foreach((json_t *)doc, key, v) {
        if (!strcmp(key, "name") || !strcmp(key, "owner")) {
            r = nb_img_check_str(ctx, key, v, !strcmp(key, "name"), 255);
        } else if (!strcmp(key, "visibility")) {
            if (!json_is_string(v) || !IN(json_string_value(v), vis))
                r = nb_img_bad(ctx, key, v, "is not one of ['community', 'public', "
                                            "'private', 'shared']");
        } else if (!strcmp(key, "protected") || !strcmp(key, "os_hidden")) {
            if (!json_is_boolean(v))
                r = nb_img_bad(ctx, key, v, "is not of type 'boolean'");
        } else if (!strcmp(key, "disk_format")) {
            if (!json_is_null(v) &&
                !(json_is_string(v) && nb_img_disk_format_valid(json_string_value(v))))
                r = nb_img_bad(ctx, key, v, "is not one of the disk formats: ami, ari, "
                                            "aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, "
                                            "ploop");
        } else if (!strcmp(key, "container_format")) {
            if (!json_is_null(v) &&
                !(json_is_string(v) && nb_img_container_format_valid(json_string_value(v))))
                r = nb_img_bad(ctx, key, v, "is not one of the container formats: ami, "
                                            "ari, aki, bare, ovf, ova, docker, compressed");
        } else if (!strcmp(key, "min_disk") || !strcmp(key, "min_ram")) {
            if (!json_is_integer(v))
                r = nb_img_bad(ctx, key, v, "is not of type 'integer'");
            else if (json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
                r = nb_img_bad(ctx, key, v, "must be between 0 and 2147483647");
        } else if (!strcmp(key, "tags")) {
            r = nb_img_check_tags(ctx, v);
        } else if (strlen(key) > 255) {
            r = nb_err_set(ctx, 400, "Invalid input: property name '%.32s...' is "
                                     "longer than 255 characters.", key);
        } else {
            r = nb_img_check_str(ctx, key, v, false, 65535);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

/* Enforces what a visibility needs: only admins publish (publicize_image),
 * community images have their own rule. */
static int nb_img_check_visibility(struct nb_ctx *ctx, const json_t *doc,
                                   const json_t *target)
{
    const char *vis = nb_json_str(doc, "visibility");
    if (vis && !strcmp(vis, "public"))
        return nb_policy_enforce(ctx, "image:publicize_image", target);
    if (vis && !strcmp(vis, "community"))
        return nb_policy_enforce(ctx, "image:communitize_image", target);
    return 0;
}

/* Writes 'doc' (validated) as row 'id': an INSERT when 'created' is not
 * 0, else an UPDATE.  Free-form properties replace the image's; tags are
 * replaced when present. */
static int nb_img_store(struct nb_tx *tx, const char *id, const json_t *doc,
                        int64_t created)
{
    struct nb_sql q = {0};
    const char *key;
    const json_t *v;
    int64_t now = nb_now_us();
    int r;

    if (created) {
        nb_sql_add(&q, "INSERT INTO images (id, name, owner, status, visibility, "
                       "protected, os_hidden, disk_format, container_format, min_disk, "
                       "min_ram, created_at, updated_at) VALUES "
                       "(?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        nb_sql_text(&q, id);
    } else {
        nb_sql_add(&q, "UPDATE images SET name = ?, owner = ?, visibility = ?, "
                       "protected = ?, os_hidden = ?, disk_format = ?, "
                       "container_format = ?, min_disk = ?, min_ram = ?, "
                       "updated_at = ? WHERE id = ?");
    }
    nb_sql_text(&q, nb_json_str(doc, "name"));
    nb_sql_text(&q, nb_json_str(doc, "owner"));
    nb_sql_text(&q, nb_json_str(doc, "visibility"));
    nb_sql_int(&q, json_is_true(json_object_get(doc, "protected")));
    nb_sql_int(&q, json_is_true(json_object_get(doc, "os_hidden")));
    nb_sql_text(&q, nb_json_str(doc, "disk_format"));
    nb_sql_text(&q, nb_json_str(doc, "container_format"));
    nb_sql_int(&q, json_integer_value(json_object_get(doc, "min_disk")));
    nb_sql_int(&q, json_integer_value(json_object_get(doc, "min_ram")));
    if (created)
        nb_sql_int(&q, created);
    nb_sql_int(&q, now);
    if (!created)
        nb_sql_text(&q, id);
    r = nb_tx_exec_sql(tx, NULL, &q);
    nb_sql_free(&q);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM image_properties WHERE image_id = ?", "s", id);
    json_object_foreach((json_t *)doc, key, v) {
        if (r < 0)
            break;
        if (!IN(key, nb_img_core))
            r = nb_tx_exec(tx, NULL, "INSERT INTO image_properties (image_id, name, value) "
                                     "VALUES (?, ?, ?)", "sss", id, key, json_string_value(v));
    }
    if (r == 0 && json_object_get(doc, "tags"))
        r = nb_img_tags_set(tx, id, json_object_get(doc, "tags"));
    return r;
}

static int nb_img_reply_one(struct nb_req *req, struct nb_tx *tx, const char *id, int status)
{
    json_t *img = NULL;
    int r = nb_img_row(tx, id, &img);
    return r < 0 ? r : nb_reply_json(req, status, img);
}

int nb_img_row(struct nb_tx *tx, const char *id, json_t **out)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, "SELECT " NB_IMG_COLS " FROM images WHERE id = ?", "s", id);
    *out = NULL;
    if (r == 0 && (r = nb_stmt_next(st)) > 0)
        *out = nb_img_render(tx, st);
    nb_stmt_done(st);
    if (!*out)
        return r < 0 ? r : -ENOENT;
    return 0;
}

/* ---- POST /v2/images */

int nb_img_create_doc(struct nb_ctx *ctx, const json_t *body, char id[37])
{
    json_t *doc = NULL, *target = NULL;
    struct nb_tx *tx = NULL;
    const char *key, *project = ctx->caller.project.id;
    const json_t *v;
    long max_count = nb_conf_int("image", "image_count_total");
    int64_t count = 0;
    int r;

    doc = json_object();
    json_object_foreach((json_t *)body, key, v) {
        if (!strcmp(key, "id"))
            continue;
        if ((r = nb_img_check_settable(ctx, key)) < 0)
            goto out;
        json_object_set(doc, key, (json_t *)v);
    }
    if (json_object_get(body, "id")) {
        v = json_object_get(body, "id");
        if (!json_is_string(v) || !nb_uuid_is_dashed(json_string_value(v))) {
            r = nb_img_bad(ctx, "id", v, "does not match the UUID pattern");
            goto out;
        }
        snprintf(id, 37, "%s", json_string_value(v));
    } else {
        nb_uuid_dashed(id);
    }
    if (!json_object_get(doc, "owner") || json_is_null(json_object_get(doc, "owner")))
        json_object_set_new(doc, "owner", json_string(project));
    if (!json_object_get(doc, "visibility"))
        json_object_set_new(doc, "visibility", json_string("shared"));
    if (!json_object_get(doc, "tags"))
        json_object_set_new(doc, "tags", json_array());
    if (!json_object_get(doc, "min_disk"))
        json_object_set_new(doc, "min_disk", json_integer(0));
    if (!json_object_get(doc, "min_ram"))
        json_object_set_new(doc, "min_ram", json_integer(0));
    if ((r = nb_img_validate(ctx, doc)) < 0)
        goto out;
    target = nb_img_target(doc);
    r = nb_policy_enforce(ctx, "image:add_image", target);
    if (r == 0 && strcmp(nb_json_str(doc, "owner"), project) && !nb_img_is_admin(ctx))
        r = nb_err_set(ctx, 403, "You are not permitted to create images owned by '%s'.",
                       nb_json_str(doc, "owner"));
    if (r == 0)
        r = nb_img_check_visibility(ctx, doc, target);
    if (r < 0)
        goto out;
    r = nb_tx_begin(nb_img_env->db, true, &tx);
    if (r < 0)
        goto out;
    if (max_count >= 0) {
        r = nb_tx_query_int(tx, &count, "SELECT COUNT(*) FROM images WHERE owner = ?", "s",
                            nb_json_str(doc, "owner"));
        if (r == 0 && count + 1 > max_count)
            r = nb_err_set(ctx, 413, "Maximum number of images exceeded: the project may "
                                     "hold %ld (image_count_total).", max_count);
        if (r < 0)
            goto out;
    }
    r = nb_img_store(tx, id, doc, nb_now_us());
    if (r == -EEXIST)
        r = nb_err_set(ctx, 409, "An image with identifier %s already exists", id);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
out:
    nb_tx_rollback(tx);
    json_decref(doc);
    json_decref(target);
    return r;
}

int nb_img_create(struct nb_req *req)
{
    json_t *body = nb_req_json(req);
    struct nb_tx *tx = NULL;
    char id[37];
    int r;

    nb_req_policy_done(req);     /* nb_img_create_doc enforces */
    if (!body)
        return -EINVAL;
    r = nb_img_create_doc(nb_req_ctx(req), body, id);
    if (r == 0)
        r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_reply_one(req, tx, id, 201);
    nb_tx_rollback(tx);
    if (r == 0) {
        char *loc = nb_xasprintf("%s/image/v2/images/%s", nb_req_base_url(req), id);
        nb_reply_header(req, "Location", loc);
        nb_reply_header(req, "OpenStack-image-import-methods", "glance-direct");
        free(loc);
    }
    return r;
}

/* ---- GET /v2/images/{id} */

int nb_img_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL;
    int r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_find(req, tx, nb_req_param(req, 0), "image:get_image", &img);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    return nb_reply_json(req, 200, img);
}

/* ---- PATCH /v2/images/{id} (api-ref "Update image") */

/* One JSON pointer of a patch, which names one top-level attribute. */
static int nb_patch_path(struct nb_ctx *ctx, const char *path, char *out, size_t n)
{
    size_t j = 0;
    if (path[0] != '/' || !path[1])
        return nb_err_set(ctx, 400, "Pointer `%s` does not start with \"/\".", path);
    for (const char *p = path + 1; *p; p++) {
        char c = *p;
        if (c == '/')
            return nb_err_set(ctx, 400, "Invalid JSON pointer for this resource: '%s'",
                              path);
        if (c == '~') {
            if (p[1] == '0')
                c = '~';
            else if (p[1] == '1')
                c = '/';
            else
                return nb_err_set(ctx, 400, "Invalid JSON pointer: escape sequence "
                                            "'~' in '%s' is not '~0' or '~1'.", path);
            p++;
        }
        if (j + 1 >= n)
            return nb_err_set(ctx, 400, "Invalid JSON pointer: '%.40s...' is too long.",
                              path);
        out[j++] = c;
    }
    out[j] = '\0';
    return 0;
}

/* Applies one operation of a patch to 'doc'. 'v21' is the 2.1 media type,
 * where add on a present attribute replaces it (2.0 says 409). */
static int nb_patch_apply(struct nb_ctx *ctx, json_t *doc, const json_t *op, bool v21)
{
    static const char *const names[] = {"add", "replace", "remove"};
    const char *opname = nb_json_str(op, "op"), *path = nb_json_str(op, "path");
    const json_t *value = json_object_get(op, "value");
    char key[512];
    bool core, present;
    int r;

    /* the older form (Tempest and the 2.0 media type): {"replace": "/name"} */
    for (size_t i = 0; !opname && json_is_object(op) && i < NB_ARRAY_SIZE(names); i++)
        if (nb_json_str(op, names[i])) {
            opname = names[i];
            path = nb_json_str(op, names[i]);
        }
    if (!json_is_object(op) || !opname || !path)
        return nb_err_set(ctx, 400, "Operation objects must contain exactly one member "
                                    "named \"op\" and one named \"path\", or one "
                                    "member named \"add\", \"remove\" or \"replace\".");
    if (strcmp(opname, "add") && strcmp(opname, "replace") && strcmp(opname, "remove"))
        return nb_err_set(ctx, 400, "Invalid operation: `%s`", opname);
    if ((r = nb_patch_path(ctx, path, key, sizeof(key))) < 0)
        return r;
    if ((r = nb_img_check_settable(ctx, key)) < 0)
        return r;
    core = IN(key, nb_img_core);
    present = json_object_get(doc, key) != NULL;
    if (!strcmp(opname, "remove")) {
        if (core)
            return nb_err_set(ctx, 403, "Property %s may not be removed.", key);
        if (!present)
            return nb_err_set(ctx, 409, "Property %s does not exist.", key);
        json_object_del(doc, key);
        return 0;
    }
    if (!value)
        return nb_err_set(ctx, 400, "Operation \"%s\" requires a member named \"value\".",
                          opname);
    if (!strcmp(opname, "replace") && !core && !present)
        return nb_err_set(ctx, 409, "Property %s does not exist.", key);
    if (!strcmp(opname, "add") && !v21 && present && !core)
        return nb_err_set(ctx, 409, "Property %s already present.", key);
    json_object_set(doc, key, (json_t *)value);
    return 0;
}

/* What a patch may change depends on the image: formats only while no data
 * was given (Glance's domain model), the owner only by an admin. */
static int nb_img_check_change(struct nb_ctx *ctx, const json_t *img, const json_t *doc)
{
    static const char *const fmts[] = {"disk_format", "container_format"};
    const char *status = nb_json_str(img, "status");
    json_t *target;
    int r = 0;

    for (size_t i = 0; i < NB_ARRAY_SIZE(fmts); i++)
        if (!json_equal(json_object_get(img, fmts[i]), json_object_get(doc, fmts[i])) &&
            strcmp(status, "queued"))
            return nb_err_set(ctx, 403, "Properties disk_format, container_format can "
                                        "be set only when image is in queued state "
                                        "(image %s is %s).",
                              nb_json_str(img, "id"), status);
    if (!json_equal(json_object_get(img, "owner"), json_object_get(doc, "owner")) &&
        !nb_img_is_admin(ctx))
        return nb_err_set(ctx, 403, "Only an admin may change the owner of an image.");
    if (!json_equal(json_object_get(img, "visibility"), json_object_get(doc, "visibility"))) {
        target = nb_img_target(img);
        r = nb_img_check_visibility(ctx, doc, target);
        json_decref(target);
    }
    return r;
}

/* Applies patch 'ops' to image 'id' as ctx (image:modify_image), in its
 * own transaction; *out (may be NULL) is the image after it. */
static int nb_img_patch(struct nb_ctx *ctx, const char *id, const json_t *ops, bool v21,
                        json_t **out)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL, *doc = NULL, *target = NULL;
    const json_t *op;
    size_t i;
    int r = nb_tx_begin(nb_img_env->db, true, &tx);

    if (r == 0)
        r = nb_img_load(ctx, tx, id, &img);
    if (r == 0) {
        target = nb_img_target(img);
        r = nb_policy_enforce(ctx, "image:modify_image", target);
    }
    if (r < 0)
        goto out;
    doc = json_deep_copy(img);
    for (i = 0; i < NB_ARRAY_SIZE(nb_img_readonly); i++)
        json_object_del(doc, nb_img_readonly[i]);
    json_array_foreach(ops, i, op)
        if ((r = nb_patch_apply(ctx, doc, op, v21)) < 0)
            goto out;
    r = nb_img_validate(ctx, doc);
    if (r == 0)
        r = nb_img_check_change(ctx, img, doc);
    if (r == 0)
        r = nb_img_store(tx, id, doc, 0);
    if (r == 0 && out)
        r = nb_img_row(tx, id, out);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
out:
    nb_tx_rollback(tx);
    json_decref(img);
    json_decref(doc);
    json_decref(target);
    return r;
}

int nb_image_update(struct nb_ctx *ctx, const char *id, const json_t *ops, json_t **out)
{
    if (out)
        *out = NULL;
    if (!json_is_array(ops))
        return nb_err_set(ctx, 400, "Request body must be a JSON array of operation objects.");
    return nb_img_patch(ctx, id, ops, true, out);
}

static bool nb_patch_ctype(const char *ctype, bool *v21)
{
    static const char t21[] = "application/openstack-images-v2.1-json-patch";
    static const char t20[] = "application/openstack-images-v2.0-json-patch";
    size_t n = ctype ? strcspn(ctype, "; ") : 0;
    *v21 = n == strlen(t21) && !strncasecmp(ctype, t21, n);
    return *v21 || (n == strlen(t20) && !strncasecmp(ctype, t20, n));
}

int nb_img_update(struct nb_req *req)
{
    const char *body;
    json_t *ops = NULL, *img = NULL;
    json_error_t jerr;
    size_t len;
    bool v21;
    int r;

    nb_req_policy_done(req);        /* nb_img_patch enforces */
    if (!nb_patch_ctype(nb_req_header(req, "Content-Type"), &v21))
        return nb_req_err(req, 415, "Unsupported Content-Type: use "
                                    "application/openstack-images-v2.1-json-patch");
    body = nb_req_body(req, &len);
    ops = json_loadb(body, len, 0, &jerr);
    if (!json_is_array(ops))
        r = nb_req_err(req, 400, "Request body must be a JSON array of operation objects%s%s",
                       ops ? "." : ": ", ops ? "" : jerr.text);
    else
        r = nb_img_patch(nb_req_ctx(req), nb_req_param(req, 0), ops, v21, &img);
    if (r == 0)
        r = nb_reply_json(req, 200, img);
    json_decref(ops);
    return r;
}

/* ---- DELETE /v2/images/{id} */

int nb_img_destroy(struct nb_ctx *ctx, const char *id)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL, *target = NULL;
    int r = nb_tx_begin(nb_img_env->db, true, &tx);
    if (r == 0)
        r = nb_img_load(ctx, tx, id, &img);
    if (r == 0) {
        target = nb_img_target(img);
        r = nb_policy_enforce(ctx, "image:delete_image", target);
    }
    if (r < 0)
        goto out;
    if (json_is_true(json_object_get(img, "protected"))) {
        r = nb_err_set(ctx, 403, "Image %s is protected and cannot be deleted.", id);
        goto out;
    }
    r = nb_tx_exec(tx, NULL, "DELETE FROM image_tags WHERE image_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM image_members WHERE image_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM image_tasks WHERE image_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM image_properties WHERE image_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM images WHERE id = ?", "s", id);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r < 0)
        goto out;
    /* the row is gone first: an upload still running sees that and drops
     * its own blob (data.c) */
    nb_blob_delete(nb_img_env->blobs, NB_IMG_NS, id);
    nb_blob_delete(nb_img_env->blobs, NB_IMG_STAGE_NS, id);
out:
    nb_tx_rollback(tx);
    json_decref(img);
    json_decref(target);
    return r;
}

int nb_img_delete(struct nb_req *req)
{
    int r;
    nb_req_policy_done(req);     /* nb_img_destroy enforces */
    r = nb_img_destroy(nb_req_ctx(req), nb_req_param(req, 0));
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* ---- POST /v2/images/{id}/actions/deactivate|reactivate */

static int nb_img_set_active(struct nb_req *req, bool active)
{
    const char *id = nb_req_param(req, 0), *status;
    struct nb_tx *tx = NULL;
    json_t *img = NULL;
    int r = nb_tx_begin(nb_img_env->db, true, &tx);
    if (r == 0)
        r = nb_img_find(req, tx, id, active ? "image:reactivate" : "image:deactivate", &img);
    if (r < 0)
        goto out;
    status = nb_json_str(img, "status");
    if (strcmp(status, "active") && strcmp(status, "deactivated")) {
        r = nb_req_err(req, 400, "Not allowed to %s image in status '%s'",
                       active ? "reactivate" : "deactivate", status);
        goto out;
    }
    r = nb_tx_exec(tx, NULL, "UPDATE images SET status = ?, updated_at = ? WHERE id = ?",
                   "sis", active ? "active" : "deactivated", nb_now_us(), id);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    if (r == 0)
        r = nb_reply_empty(req, 204);
out:
    nb_tx_rollback(tx);
    json_decref(img);
    return r;
}

int nb_img_deactivate(struct nb_req *req)
{
    return nb_img_set_active(req, false);
}

int nb_img_reactivate(struct nb_req *req)
{
    return nb_img_set_active(req, true);
}

/* ---- GET /v2/info/usage: the caller's use of its quotas (Glance's
 * unified-limit names; sizes in MiB) */

int nb_img_usage(struct nb_req *req)
{
    const char *project = nb_req_ctx(req)->caller.project.id;
    struct nb_tx *tx = NULL;
    int64_t bytes = 0, count = 0, uploading = 0;
    long size_limit = nb_conf_int("image", "image_size_total");
    long count_limit = nb_conf_int("image", "image_count_total");
    int r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_usage_bytes(tx, project, &bytes);
    if (r == 0)
        r = nb_tx_query_int(tx, &count, "SELECT COUNT(*) FROM images WHERE owner = ?", "s",
                            project);
    if (r == 0)
        r = nb_tx_query_int(tx, &uploading,
                            "SELECT COUNT(*) FROM images WHERE owner = ? AND status IN "
                            "('saving', 'uploading', 'importing')", "s", project);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    return nb_reply_json(
        req, 200,
        json_pack("{s:{s:{s:I,s:I},s:{s:I,s:I},s:{s:I,s:I}}}", "usage",
                  "image_size_total", "limit", (json_int_t)size_limit, "usage",
                  (json_int_t)((bytes + 1024 * 1024 - 1) / (1024 * 1024)),
                  "image_count_total", "limit", (json_int_t)count_limit, "usage",
                  (json_int_t)count,
                  "image_count_uploading", "limit", (json_int_t)-1, "usage",
                  (json_int_t)uploading));
}
