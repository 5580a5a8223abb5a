/* Image tags and members (api-ref "Image tags", "Sharing"): the owner
 * shares a 'shared' image with other projects, each of which accepts or
 * rejects it; only accepted images are listed to the member by default. */
#include "image/internal.h"

#include <stdlib.h>
#include <string.h>

/* Opens a transaction and finds the image of path parameter 0 under
 * 'rule'.  On success the caller owns *tx and *img. */
static int nb_member_begin(struct nb_req *req, bool write, const char *rule,
                           struct nb_tx **tx, json_t **img)
{
    int r = nb_tx_begin(nb_img_env->db, write, tx);
    if (r < 0)
        return r;
    r = nb_img_find(req, *tx, nb_req_param(req, 0), rule, img);
    if (r < 0) {
        nb_tx_rollback(*tx);
        *tx = NULL;
    }
    return r;
}

/* Commits 'tx' (always released) and replies 'status' with 'body'
 * (stolen; NULL: no body). */
static int nb_member_finish(struct nb_req *req, struct nb_tx *tx, int r, int status,
                            json_t *body)
{
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(body);
        return r;
    }
    return body ? nb_reply_json(req, status, body) : nb_reply_empty(req, status);
}

/* ---- tags */

int nb_img_tags_set(struct nb_tx *tx, const char *id, const json_t *tags)
{
    size_t i;
    const json_t *t;
    int r = nb_tx_exec(tx, NULL, "DELETE FROM image_tags WHERE image_id = ?", "s", id);
    json_array_foreach(tags, i, t) {
        if (r < 0)
            break;
        r = nb_tx_exec(tx, NULL, "INSERT INTO image_tags (image_id, tag) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", "ss", id, json_string_value(t));
    }
    return r;
}

int nb_img_tag_add(struct nb_req *req)
{
    const char *id = nb_req_param(req, 0), *tag = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *img = NULL;
    int r = nb_member_begin(req, true, "image:modify_image", &tx, &img);
    if (r < 0)
        return r;
    if (strlen(tag) > 255)
        r = nb_req_err(req, 400, "Tag '%.40s...' is longer than 255 characters.", tag);
    else if (json_array_size(json_object_get(img, "tags")) >= NB_IMG_MAX_TAGS)
        r = nb_req_err(req, 413, "Maximum number of tags (%d) exceeded.", NB_IMG_MAX_TAGS);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO image_tags (image_id, tag) VALUES (?, ?) "
                                 "ON CONFLICT DO NOTHING", "ss", id, tag);
    if (r == 0)
        r = nb_img_touch(tx, id);
    json_decref(img);
    return nb_member_finish(req, tx, r, 204, NULL);
}

int nb_img_tag_delete(struct nb_req *req)
{
    const char *id = nb_req_param(req, 0), *tag = nb_req_param(req, 1);
    struct nb_tx *tx = NULL;
    json_t *img = NULL;
    int changes = 0;
    int r = nb_member_begin(req, true, "image:modify_image", &tx, &img);
    if (r < 0)
        return r;
    r = nb_tx_exec(tx, &changes, "DELETE FROM image_tags WHERE image_id = ? AND tag = ?",
                   "ss", id, tag);
    if (r == 0 && changes == 0)
        r = nb_req_err(req, 404, "Tag %s not found on image %s.", tag, id);
    if (r == 0)
        r = nb_img_touch(tx, id);
    json_decref(img);
    return nb_member_finish(req, tx, r, 204, NULL);
}

/* ---- members */

static json_t *nb_member_render(struct nb_stmt *st)
{
    char c[NB_TIME_LEN], u[NB_TIME_LEN];
    nb_time_fmt(nb_stmt_int(st, 3), 0, c);
    nb_time_fmt(nb_stmt_int(st, 4), 0, u);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "image_id", nb_stmt_text(st, 0),
                     "member_id", nb_stmt_text(st, 1), "status", nb_stmt_text(st, 2),
                     "created_at", c, "updated_at", u, "schema", "/v2/schemas/member");
}

#define MEMBER_COLS "image_id, member_id, status, created_at, updated_at"

/* Member 'member_id' of image 'id' as a new object; 404 when absent. */
static int nb_member_load(struct nb_req *req, struct nb_tx *tx, const char *id,
                          const char *member_id, json_t **out)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, "SELECT " MEMBER_COLS " FROM image_members "
                                 "WHERE image_id = ? AND member_id = ?",
                        "ss", id, member_id);
    *out = NULL;
    if (r == 0 && (r = nb_stmt_next(st)) > 0)
        *out = nb_member_render(st);
    nb_stmt_done(st);
    if (r == 0)
        r = nb_req_err(req, 404, "%s is not a member of image %s", member_id, id);
    return r < 0 ? r : 0;
}

/* Members exist only on shared images (Glance: 403 otherwise). */
static int nb_member_shared(struct nb_req *req, const json_t *img)
{
    if (strcmp(nb_json_str(img, "visibility"), "shared"))
        return nb_req_err(req, 403, "Only shared images have members.");
    return 0;
}

static bool nb_member_is_owner(struct nb_req *req, const json_t *img)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    return nb_img_is_admin(ctx) ||
           !strcmp(nb_json_str(img, "owner"), ctx->caller.project.id);
}

int nb_img_member_create(struct nb_req *req)
{
    const char *id = nb_req_param(req, 0), *member;
    json_t *body = nb_req_json(req), *img = NULL, *out = NULL;
    struct nb_tx *tx = NULL;
    int64_t n = 0, now = nb_now_us();
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    member = nb_json_str(body, "member");
    if (!member || !*member || strlen(member) >= NB_IDSZ) {
        nb_req_policy_done(req);
        return nb_req_err(req, 400, "Invalid input: 'member' must be a project id.");
    }
    r = nb_member_begin(req, true, "image:add_member", &tx, &img);
    if (r < 0)
        return r;
    r = nb_member_shared(req, img);
    if (r == 0)
        r = nb_tx_query_int(tx, &n, "SELECT COUNT(*) FROM image_members WHERE image_id = ?",
                            "s", id);
    if (r == 0 && n >= NB_IMG_MAX_MEMBERS)
        r = nb_req_err(req, 413, "Maximum number of members (%d) exceeded.",
                       NB_IMG_MAX_MEMBERS);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO image_members (image_id, member_id, status, "
                                 "created_at, updated_at) VALUES (?, ?, 'pending', ?, ?)",
                       "ssii", id, member, now, now);
    if (r == -EEXIST)
        r = nb_req_err(req, 409, "Member %s already associated with image %s.", member, id);
    if (r == 0)
        r = nb_member_load(req, tx, id, member, &out);
    json_decref(img);
    return nb_member_finish(req, tx, r, 200, out);
}

int nb_img_member_list(struct nb_req *req)
{
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *img = NULL, *list = json_array();
    int r = nb_member_begin(req, false, "image:get_members", &tx, &img);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    r = nb_member_shared(req, img);
    /* a member sees its own membership only */
    if (r == 0 && nb_member_is_owner(req, img))
        r = nb_tx_query(tx, &st, "SELECT " MEMBER_COLS " FROM image_members "
                                 "WHERE image_id = ? ORDER BY created_at, member_id", "s", id);
    else if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT " MEMBER_COLS " FROM image_members "
                                 "WHERE image_id = ? AND member_id = ?",
                        "ss", id, nb_req_ctx(req)->caller.project.id);
    while (r == 0 && (r = nb_stmt_next(st)) > 0)
        r = json_array_append_new(list, nb_member_render(st));
    nb_stmt_done(st);
    json_decref(img);
    if (r < 0) {
        json_decref(list);
        return nb_member_finish(req, tx, r, 0, NULL);
    }
    return nb_member_finish(req, tx, 0, 200,
                            json_pack("{s:o,s:s}", "members", list, "schema",
                                      "/v2/schemas/members"));
}

/* Loads the image and the member of path parameter 1, which the caller
 * must be (or own the image): else 404, as if absent. */
static int nb_member_visible(struct nb_req *req, bool write, const char *rule,
                             struct nb_tx **tx, json_t **img, json_t **member)
{
    const char *mid = nb_req_param(req, 1);
    int r = nb_member_begin(req, write, rule, tx, img);
    if (r < 0)
        return r;
    r = nb_member_shared(req, *img);
    if (r == 0)
        r = nb_member_load(req, *tx, nb_req_param(req, 0), mid, member);
    if (r == 0 && !nb_member_is_owner(req, *img) &&
        strcmp(mid, nb_req_ctx(req)->caller.project.id)) {
        json_decref(*member);
        *member = NULL;
        r = nb_req_err(req, 404, "%s is not a member of image %s", mid, nb_req_param(req, 0));
    }
    return r;
}

int nb_img_member_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL, *member = NULL;
    int r = nb_member_visible(req, false, "image:get_member", &tx, &img, &member);
    json_decref(img);
    if (!tx)
        return r;
    return nb_member_finish(req, tx, r, 200, member);
}

int nb_img_member_update(struct nb_req *req)
{
    static const char *const ok[] = {"pending", "accepted", "rejected"};
    const char *id = nb_req_param(req, 0), *mid = nb_req_param(req, 1), *status;
    json_t *body = nb_req_json(req), *img = NULL, *member = NULL, *target;
    struct nb_tx *tx = NULL;
    bool valid = false;
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    status = nb_json_str(body, "status");
    for (size_t i = 0; status && i < NB_ARRAY_SIZE(ok); i++)
        valid = valid || !strcmp(status, ok[i]);
    if (!valid) {
        nb_req_policy_done(req);
        return nb_req_err(req, 400, "Invalid input: 'status' must be one of pending, "
                                    "accepted, rejected.");
    }
    r = nb_member_visible(req, true, "image:get_member", &tx, &img, &member);
    json_decref(member);
    member = NULL;
    if (r == 0) {
        /* only the member itself answers the invitation */
        target = json_pack("{s:s}", "member_id", mid);
        r = nb_req_enforce(req, "image:modify_member", target);
        json_decref(target);
    }
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE image_members SET status = ?, updated_at = ? "
                                 "WHERE image_id = ? AND member_id = ?",
                       "siss", status, nb_now_us(), id, mid);
    if (r == 0)
        r = nb_member_load(req, tx, id, mid, &member);
    json_decref(img);
    if (!tx)
        return r;
    return nb_member_finish(req, tx, r, 200, member);
}

int nb_img_member_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL, *member = NULL, *target;
    int r = nb_member_visible(req, true, "image:get_member", &tx, &img, &member);
    if (r == 0) {
        target = nb_img_target(img);
        r = nb_req_enforce(req, "image:delete_member", target);
        json_decref(target);
    }
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM image_members WHERE image_id = ? AND "
                                 "member_id = ?", "ss", nb_req_param(req, 0),
                       nb_req_param(req, 1));
    json_decref(img);
    json_decref(member);
    if (!tx)
        return r;
    return nb_member_finish(req, tx, r, 204, NULL);
}
