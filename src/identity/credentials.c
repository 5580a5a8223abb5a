/* Credentials (/v3/credentials, keystone/api/credentials.py) and the
 * OS-EC2 view of the EC2 ones (/v3/users/{user_id}/credentials/OS-EC2,
 * keystone/api/users.py).
 *
 * A credential is an opaque blob a user stores; users see only their own.
 * An "ec2" credential's blob is JSON holding an access key and a secret,
 * and its id is the SHA-256 of the access key, so an EC2 signature can
 * find it.  Tokens that stand on a trust or an application credential
 * cannot reach credentials at all. */
#include "identity/internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NB_EC2 "ec2"

/* ---- shared */

/* Delegated tokens may not touch credentials (Keystone's
 * _require_primary_auth, LP#2159643). */
static int nb_cred_check_primary(struct nb_ctx *ctx)
{
    if (ctx->caller.trust_id[0] || ctx->caller.app_cred_id[0] ||
        (ctx->caller.methods & NB_AM_APPCRED))
        return nb_err_set(ctx, 403, "You are not authorized to perform the requested "
                                    "action: Delegated tokens cannot access credentials "
                                    "directly.");
    return 0;
}

/* The id of an EC2 credential: hex SHA-256 of its access key. */
static void nb_ec2_id(const char *access, char out[2 * crypto_hash_sha256_BYTES + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)access, strlen(access));
    nb_hex_encode(h, sizeof(h), out);
}

/* Finds the EC2 credential with access key 'access': by its id, or (rows
 * stored before ids were derived from the key) by its blob.  0 and the id
 * in *id (caller frees), or -ENOENT. */
static int nb_ec2_find(struct nb_tx *tx, const char *access, char **id)
{
    char hid[2 * crypto_hash_sha256_BYTES + 1];
    struct nb_stmt *st = NULL;
    int r;

    nb_ec2_id(access, hid);
    r = nb_tx_query_str(tx, id, "SELECT id FROM credentials WHERE id = ? AND "
                                "lower(type) = 'ec2'", "s", hid);
    if (r != -ENOENT)
        return r;
    r = nb_tx_query(tx, &st, "SELECT id, blob FROM credentials WHERE lower(type) = 'ec2'",
                    "");
    if (r < 0)
        return r;
    r = -ENOENT;
    while (r == -ENOENT && nb_stmt_next(st) > 0) {
        json_t *blob = json_loads(nb_stmt_text(st, 1), 0, NULL);
        const char *a = nb_json_str(blob, "access");
        if (a && strcmp(a, access) == 0) {
            *id = nb_xstrdup(nb_stmt_text(st, 0));
            r = 0;
        }
        json_decref(blob);
    }
    nb_stmt_done(st);
    return r;
}

/* ---- /v3/credentials */

/* Parses an EC2 blob: a JSON object with a non-null "access" (the API's
 * _validate_blob_json).  Returns a new reference or NULL with 400 set. */
static json_t *nb_ec2_blob(struct nb_ctx *ctx, const char *text)
{
    json_t *blob = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!blob) {
        nb_err_set(ctx, 400, "Invalid blob in credential");
        return NULL;
    }
    if (!json_is_object(blob) || !json_object_size(blob)) {
        json_decref(blob);
        nb_err_set(ctx, 400, "Expecting to find blob in credential. The server could not "
                             "comply with the request since it is either malformed or "
                             "otherwise incorrect. The client is assumed to be in error.");
        return NULL;
    }
    if (!json_object_get(blob, "access") || json_is_null(json_object_get(blob, "access"))) {
        json_decref(blob);
        nb_err_set(ctx, 400, "Expecting to find access in credential. The server could "
                             "not comply with the request since it is either malformed "
                             "or otherwise incorrect. The client is assumed to be in error.");
        return NULL;
    }
    return blob;
}

static bool nb_cred_is_ec2(const json_t *obj)
{
    const char *type = nb_json_str(obj, "type");
    return type && strcasecmp(type, NB_EC2) == 0;
}

static int nb_cred_prepare_create(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj)
{
    char hid[2 * crypto_hash_sha256_BYTES + 1], *dup = NULL;
    json_t *blob;
    const char *access;
    int r;

    /* credential/schema.py: an "ec2" credential needs a project */
    if (strcmp(nb_json_str(obj, "type"), NB_EC2) == 0 && !json_object_get(obj, "project_id")) {
        json_t *shown = json_deep_copy(obj);
        char *q;
        json_object_del(shown, "id");
        q = nb_json_repr(shown);
        r = nb_err_set(ctx, 400, "%s is not valid under any of the given schemas", q);
        free(q);
        json_decref(shown);
        return r;
    }
    if ((r = nb_cred_check_primary(ctx)) < 0)
        return r;
    r = nb_id_check_user_limit(ctx, tx, "credentials", nb_json_str(obj, "user_id"),
                               "max_credentials", "credentials");
    if (r < 0 || !nb_cred_is_ec2(obj))
        return r;
    blob = nb_ec2_blob(ctx, nb_json_str(obj, "blob"));
    if (!blob)
        return -EINVAL;
    access = nb_json_str(blob, "access");
    if (!access) {
        /* a non-string key: hash what Python would have hashed */
        char *s = nb_json_dump(json_object_get(blob, "access"));
        nb_ec2_id(s, hid);
        free(s);
    } else {
        nb_ec2_id(access, hid);
        r = nb_ec2_find(tx, access, &dup);
        free(dup);
        if (r == 0) {
            json_decref(blob);
            return nb_err_set(ctx, 409, "Conflict occurred attempting to store credential "
                                        "- Duplicate entry found with ID %s.", hid);
        }
        if (r != -ENOENT) {
            json_decref(blob);
            return r;
        }
    }
    json_decref(blob);
    json_object_set_new(obj, "id", json_string(hid));
    return 0;
}

/* Updates may not retarget an EC2 credential's scope keys, nor hand the
 * credential to someone the caller could not have created it for. */
static int nb_cred_prepare_update(struct nb_ctx *ctx, json_t *obj, const json_t *cur)
{
    static const char *const keys[] = {"trust_id", "app_cred_id", "access_token_id",
                                       "access_id"};
    json_t *merged, *target;
    int r = nb_cred_check_primary(ctx);
    if (r < 0)
        return r;
    if (nb_cred_is_ec2(cur) && nb_json_str(obj, "blob")) {
        json_t *nblob = nb_ec2_blob(ctx, nb_json_str(obj, "blob"));
        json_t *oblob = json_loads(nb_json_str(cur, "blob") ? nb_json_str(cur, "blob") : "{}",
                                   0, NULL);
        if (!nblob) {
            json_decref(oblob);
            return -EINVAL;
        }
        for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(keys); i++) {
            const json_t *a = json_object_get(oblob, keys[i]), *b = json_object_get(nblob, keys[i]);
            if (!json_equal((json_t *)(a ? a : json_null()), (json_t *)(b ? b : json_null())))
                r = nb_err_set(ctx, 400, "%s can not be updated for credential", keys[i]);
        }
        json_decref(nblob);
        json_decref(oblob);
        if (r < 0)
            return r;
    }
    merged = json_deep_copy(cur);
    json_object_update(merged, obj);
    target = nb_id_target("credential", merged);
    r = nb_policy_enforce(ctx, "identity:update_credential", target);
    json_decref(target);
    json_decref(merged);
    return r;
}

static int nb_cred_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                           const json_t *cur)
{
    return cur ? nb_cred_prepare_update(ctx, obj, cur) : nb_cred_prepare_create(ctx, tx, obj);
}

static int nb_cred_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    (void)tx;
    (void)cur;
    return nb_cred_check_primary(ctx);
}

/* Who may not read others' credentials sees only their own; delegated
 * tokens see none. */
static int nb_cred_list_where(struct nb_ctx *ctx, struct nb_req *req, struct nb_sql *where)
{
    json_t *anyone = json_pack("{s:{s:{s:s}}}", "target", "credential", "user_id", "");
    bool all = nb_policy_allows(ctx, "identity:get_credential", anyone);
    (void)req;
    json_decref(anyone);
    if (ctx->caller.trust_id[0] || ctx->caller.app_cred_id[0]) {
        nb_sql_add(where, "1 = 0");
    } else if (!all) {
        nb_sql_add(where, "user_id = ?");
        nb_sql_text(where, ctx->caller.user.id);
    }
    return 0;
}

const struct nb_id_kind nb_kind_credential = {
    .res = &nb_res_credential,
    .collection = "/v3/credentials",
    .prepare = nb_cred_prepare,
    .before_delete = nb_cred_before_delete,
    .list_where = nb_cred_list_where,
};

/* ---- OS-EC2 */

/* {user_id, tenant_id, access, secret, trust_id, links} of an EC2 row
 * (users.py _convert_v3_to_ec2_credential). */
static json_t *nb_ec2_render(struct nb_req *req, const char *user, const char *project,
                             const char *blob_text)
{
    json_t *blob = json_loads(blob_text ? blob_text : "{}", 0, NULL);
    const json_t *access = json_object_get(blob, "access");
    json_t *out = json_pack("{s:s,s:s?,s:O,s:O,s:O}", "user_id", user, "tenant_id", project,
                            "access", access ? access : json_null(), "secret",
                            json_object_get(blob, "secret") ? json_object_get(blob, "secret")
                                                            : json_null(),
                            "trust_id", json_object_get(blob, "trust_id")
                                            ? json_object_get(blob, "trust_id")
                                            : json_null());
    char *self = nb_xasprintf("%s/identity/v3/users/%s/credentials/OS-EC2/%s",
                              nb_req_base_url(req), user,
                              json_is_string(access) ? json_string_value(access) : "");
    json_object_set_new(out, "links", json_pack("{s:s}", "self", self));
    free(self);
    json_decref(blob);
    return out;
}

/* GET and HEAD read; a reader who may not see what it asks for is told
 * it does not exist, while a denied write is a 403, as Keystone answers. */
static bool nb_is_read(struct nb_req *req)
{
    return strcmp(nb_req_method(req), "GET") == 0 || strcmp(nb_req_method(req), "HEAD") == 0;
}

/* Enforces the EC2 rule for credentials of 'owner', then checks that the
 * user of the route exists and that the token is not delegated.  A reader
 * who may not see the user is told it does not exist. */
static int nb_ec2_enforce(struct nb_req *req, const char *owner)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 0);
    json_t *target = json_pack("{s:{s:{s:s}}}", "target", "credential", "user_id", owner);
    json_t *uobj = NULL, *utarget;
    const char *m = nb_req_method(req);
    int r = nb_req_enforce(req, strcmp(m, "POST") == 0     ? "identity:ec2_create_credential"
                                : strcmp(m, "DELETE") == 0 ? "identity:ec2_delete_credential"
                                : nb_req_param(req, 1)     ? "identity:ec2_get_credential"
                                                           : "identity:ec2_list_credentials",
                           target);
    json_decref(target);
    bool exists = nb_id_load(ctx, &nb_kind_user, user, &uobj) == 0;
    if (!exists) {
        ctx->err_status = 0;
        uobj = json_pack("{s:s}", "id", user);
    }
    utarget = nb_id_target("user", uobj);
    if (r == -EACCES && nb_is_read(req) &&
        !nb_policy_allows(ctx, "identity:get_user", utarget)) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, "Could not find user: %s.", user);
    }
    json_decref(utarget);
    if (r == 0 && !exists)
        r = nb_err_set(ctx, 404, "Could not find user: %s.", user);
    json_decref(uobj);
    if (r == 0)
        r = nb_cred_check_primary(ctx);
    return r;
}

int nb_id_ec2_list(struct nb_req *req)
{
    const char *user = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *list = NULL;
    int r = nb_ec2_enforce(req, user);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_tx_query(tx, &st, "SELECT user_id, project_id, blob FROM credentials WHERE "
                             "user_id = ? AND type = 'ec2' ORDER BY id", "s", user);
    if (r == 0) {
        list = json_array();
        while (nb_stmt_next(st) > 0)
            json_array_append_new(list, nb_ec2_render(req, nb_stmt_text(st, 0),
                                                      nb_stmt_text(st, 1),
                                                      nb_stmt_text(st, 2)));
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    return r < 0 ? r : nb_id_reply_list(req, "credentials", list);
}

int nb_id_ec2_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 0), *project;
    json_t *body = nb_req_json(req), *blob = NULL;
    struct nb_tx *tx = NULL;
    char access[NB_ID_HEX_LEN + 1], secret[NB_ID_HEX_LEN + 1];
    char id[2 * crypto_hash_sha256_BYTES + 1], *text = NULL;
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    r = nb_ec2_enforce(req, user);
    if (r < 0)
        return r;
    project = nb_json_str(body, "tenant_id");
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    if (!project)
        r = nb_err_set(ctx, 404, "Could not find project: None.");
    else
        r = nb_id_project_exists(ctx, tx, project);
    if (r == 0)
        r = nb_id_check_user_limit(ctx, tx, "credentials", user, "max_credentials",
                                   "credentials");
    if (r == 0) {
        nb_uuid_hex(access);
        nb_uuid_hex(secret);
        nb_ec2_id(access, id);
        /* Python's json.dumps layout, as Keystone stores it */
        blob = json_pack("{s:s,s:s,s:n}", "access", access, "secret", secret, "trust_id");
        text = json_dumps(blob, 0);
        r = nb_tx_exec(tx, NULL, "INSERT INTO credentials (id, user_id, project_id, type, "
                                 "blob, extra) VALUES (?, ?, ?, 'ec2', ?, '{}')",
                       "ssss", id, user, project, text);
    }
    r = nb_id_finish(tx, r);
    if (r == 0)
        r = nb_reply_json(req, 201, json_pack("{s:o}", "credential",
                                              nb_ec2_render(req, user, project, text)));
    json_decref(blob);
    free(text);
    return r;
}

/* Loads the EC2 credential of the route (its access key), which must be
 * the route user's; enforces the rule against its owner.  Fills *id and
 * the row's project and blob (caller frees all three). */
static int nb_ec2_begin(struct nb_req *req, char **id, char **project, char **blob)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_req_param(req, 0), *access = nb_req_param(req, 1);
    char hid[2 * crypto_hash_sha256_BYTES + 1], owner[NB_IDSZ] = "";
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0) {
        nb_req_policy_done(req);
        return r;
    }
    r = nb_ec2_find(tx, access, id);
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT user_id, project_id, blob FROM credentials "
                                 "WHERE id = ?", "s", *id);
    if (r == 0 && nb_stmt_next(st) > 0) {
        snprintf(owner, sizeof(owner), "%s", nb_stmt_text(st, 0));
        *project = nb_xstrdup(nb_stmt_text(st, 1));
        *blob = nb_xstrdup(nb_stmt_text(st, 2));
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r == -ENOENT) {
        /* Keystone looks the credential up to build the policy target */
        nb_req_policy_done(req);
        nb_ec2_id(access, hid);
        return nb_err_set(ctx, 404, "Could not find credential: %s.", hid);
    }
    if (r < 0) {
        nb_req_policy_done(req);
        return r;
    }
    r = nb_ec2_enforce(req, owner);
    if (r == 0 && strcmp(owner, user) != 0) {
        nb_ec2_id(access, hid);
        r = nb_err_set(ctx, 404, "Could not find credential: %s.", hid);
    }
    return r;
}

int nb_id_ec2_get(struct nb_req *req)
{
    char *id = NULL, *project = NULL, *blob = NULL;
    int r = nb_ec2_begin(req, &id, &project, &blob);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "credential",
                                              nb_ec2_render(req, nb_req_param(req, 0),
                                                            project, blob)));
    free(id);
    free(project);
    free(blob);
    return r;
}

int nb_id_ec2_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    char *id = NULL, *project = NULL, *blob = NULL;
    int r = nb_ec2_begin(req, &id, &project, &blob);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r == 0) {
        r = nb_res_delete(nb_req_ctx(req), tx, &nb_res_credential, id);
        r = nb_id_finish(tx, r);
    }
    free(id);
    free(project);
    free(blob);
    return r < 0 ? r : nb_reply_empty(req, 204);
}
