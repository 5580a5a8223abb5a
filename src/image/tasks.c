/* Image tasks (api-ref "Show image tasks", v2.12): the record of each
 * import, with the request that asked for it and how it ended. */
#include "image/internal.h"

#include <stdlib.h>
#include <string.h>

int nb_img_task_record(struct nb_req *req, const char *image_id, const json_t *import_req,
                       bool ok, const char *message)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    char id[37];
    char *input;
    int64_t now = nb_now_us();
    json_t *in = json_pack("{s:s,s:O,s:[s]}", "image_id", image_id, "import_req",
                           (json_t *)import_req, "backend", "file");
    int r;

    nb_uuid_dashed(id);
    input = nb_json_dump(in);
    json_decref(in);
    r = nb_tx_begin(nb_img_env->db, true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL,
                       "INSERT INTO image_tasks (id, image_id, type, status, input, message, "
                       "owner, user_id, request_id, created_at, updated_at, expires_at) "
                       "VALUES (?, ?, 'api_image_import', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "ssssssssiii", id, image_id, ok ? "success" : "failure", input,
                       message ? message : "", ctx->caller.project.id, ctx->caller.user.id,
                       ctx->request_id, now, now, now + 48 * 3600 * INT64_C(1000000));
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    free(input);
    return r;
}

static json_t *nb_task_render(struct nb_stmt *st)
{
    char c[NB_TIME_LEN], u[NB_TIME_LEN], e[NB_TIME_LEN];
    json_t *input = json_loads(nb_stmt_text(st, 4), 0, NULL);
    nb_time_fmt(nb_stmt_int(st, 9), 0, c);
    nb_time_fmt(nb_stmt_int(st, 10), 0, u);
    nb_time_fmt(nb_stmt_int(st, 11), 0, e);
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:{s:s},s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:n}",
                     "id", nb_stmt_text(st, 0), "image_id", nb_stmt_text(st, 1),
                     "type", nb_stmt_text(st, 2), "status", nb_stmt_text(st, 3),
                     "input", input ? input : json_object(),
                     "result", "image_id", nb_stmt_text(st, 1),
                     "message", nb_stmt_text(st, 5), "owner", nb_stmt_text(st, 6),
                     "user_id", nb_stmt_text(st, 7), "request_id", nb_stmt_text(st, 8),
                     "created_at", c, "updated_at", u, "expires_at", e,
                     "deleted", 0, "deleted_at");
}

int nb_img_tasks(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *img = NULL, *list = json_array();
    int r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_find(req, tx, nb_req_param(req, 0), "image:get_image", &img);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id, image_id, type, status, input, message, owner, "
                                 "user_id, request_id, created_at, updated_at, expires_at "
                                 "FROM image_tasks WHERE image_id = ? "
                                 "ORDER BY created_at, id", "s", nb_req_param(req, 0));
    while (r == 0 && (r = nb_stmt_next(st)) > 0)
        r = json_array_append_new(list, nb_task_render(st));
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    json_decref(img);
    if (r < 0) {
        json_decref(list);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "tasks", list));
}
