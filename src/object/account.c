/* Accounts: AUTH_<project>, implicit (Swift's account autocreate).  GET
 * lists containers, HEAD sums them, POST sets X-Account-Meta-* (the temp
 * URL keys among them); the quota X-Account-Meta-Quota-Bytes is the
 * reseller admin's to set. */
#include "object/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int nb_obj_list_containers(struct nb_tx *tx, const char *account,
                           const struct nb_obj_list_args *a, json_t **out);

int nb_obj_account_meta(struct nb_tx *tx, const char *account, json_t **meta)
{
    char *text = NULL;
    int r = nb_tx_query_str(tx, &text, "SELECT meta FROM object_accounts WHERE account = ?",
                            "s", account);
    *meta = NULL;
    if (r == 0)
        *meta = json_loads(text, 0, NULL);
    free(text);
    if (r == -ENOENT)
        r = 0;
    if (!*meta)
        *meta = json_object();
    return r;
}

int nb_obj_account_usage(struct nb_tx *tx, const char *account, int64_t *containers,
                         int64_t *objects, int64_t *bytes)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, "SELECT COUNT(*), SUM(object_count), SUM(bytes_used) FROM "
                                 "object_containers WHERE account = ?", "s", account);
    *containers = *objects = *bytes = 0;
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        *containers = nb_stmt_int(st, 0);
        *objects = nb_stmt_int(st, 1);
        *bytes = nb_stmt_int(st, 2);
        r = 0;
    }
    nb_stmt_done(st);
    return r < 0 ? r : 0;
}

static void nb_obj_account_headers(struct nb_req *req, const json_t *meta, int64_t containers,
                                   int64_t objects, int64_t bytes)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)containers);
    nb_reply_header(req, "X-Account-Container-Count", v);
    if (containers)
        nb_reply_header(req, "X-Account-Storage-Policy-Policy-0-Container-Count", v);
    snprintf(v, sizeof(v), "%lld", (long long)objects);
    nb_reply_header(req, "X-Account-Object-Count", v);
    if (containers)
        nb_reply_header(req, "X-Account-Storage-Policy-Policy-0-Object-Count", v);
    snprintf(v, sizeof(v), "%lld", (long long)bytes);
    nb_reply_header(req, "X-Account-Bytes-Used", v);
    if (containers)
        nb_reply_header(req, "X-Account-Storage-Policy-Policy-0-Bytes-Used", v);
    nb_obj_timestamp(nb_now_us(), v);
    nb_reply_header(req, "X-Timestamp", v);
    nb_obj_meta_reply(req, meta);
}

int nb_obj_account_get(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_obj_list_args a;
    struct nb_tx *tx = NULL;
    enum nb_obj_fmt fmt;
    json_t *meta = NULL, *items = NULL;
    int64_t nc, no, nbytes;
    bool head = strcmp(nb_req_method(req), "HEAD") == 0;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0 ||
        (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0 ||
        (r = nb_obj_list_format(req, &fmt)) < 0 || (!head && (r = nb_obj_list_args(req, &a)) < 0))
        return r;
    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        return r;
    r = nb_obj_account_meta(tx, rq.account, &meta);
    if (r == 0)
        r = nb_obj_account_usage(tx, rq.account, &nc, &no, &nbytes);
    if (r == 0 && !head)
        r = nb_obj_list_containers(tx, rq.account, &a, &items);
    nb_tx_rollback(tx);
    if (r == 0) {
        nb_obj_account_headers(req, meta, nc, no, nbytes);
        if (head) {
            nb_reply_empty(req, 204);
            nb_reply_header(req, "Content-Type", "text/plain; charset=utf-8");
        } else {
            r = nb_obj_list_reply(req, fmt, "account", rq.account, "container", items);
            items = NULL;
        }
    }
    json_decref(items);
    json_decref(meta);
    return r;
}

int nb_obj_account_post(struct nb_req *req)
{
    struct nb_obj_rq rq;
    struct nb_tx *tx = NULL;
    json_t *meta = NULL;
    const char *quota = nb_req_header(req, "X-Account-Meta-Quota-Bytes");
    char *text = NULL;
    long v;
    int r;

    if (nb_req_query(req, "bulk-delete"))
        return nb_obj_bulk_delete(req);
    if ((r = nb_obj_rq_init(req, &rq)) < 0 || (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    if ((quota || nb_req_header(req, "X-Remove-Account-Meta-Quota-Bytes")) && !rq.reseller)
        return nb_req_err(req, 403, "Access was denied to this resource.");
    if (quota && *quota && (nb_str_to_long(quota, &v) < 0 || v < 0))
        return nb_req_err(req, 400, "Invalid quota: X-Account-Meta-Quota-Bytes must be a "
                                    "non-negative integer.");
    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_obj_account_meta(tx, rq.account, &meta);
    if (r == 0)
        r = nb_obj_meta_apply(req, "account", NULL, meta, false);
    if (r == 0) {
        text = nb_json_dump(meta);
        r = nb_tx_exec(tx, NULL, "INSERT INTO object_accounts (account, meta, created) "
                                 "VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET "
                                 "meta = excluded.meta",
                       "ssi", rq.account, text, nb_now_us());
    }
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    nb_tx_rollback(tx);
    if (r == 0) {
        nb_reply_empty(req, 204);
        nb_reply_header(req, "Content-Type", "text/html; charset=UTF-8");
    }
    json_decref(meta);
    free(text);
    return r;
}
