/* A server's metadata (server_metadata.py), tags (server_tags.py, 2.26)
 * and addresses (ips.py). */
#include "compute/servers.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>

#define NB_MAX_TAGS 50          /* nova.objects.instance.MAX_TAG_COUNT */

/* Nova's check_instance_state for metadata and tag changes: the server is
 * not building or in a task, and not locked (for members). */
static const char *const nb_meta_vm_states[] = {
    NB_VM_ACTIVE, NB_VM_PAUSED, NB_VM_SUSPENDED, NB_VM_STOPPED, NB_VM_RESIZED,
    NB_VM_ERROR, NB_VM_SHELVED, NB_VM_SHELVED_OFFLOADED, NB_VM_RESCUED, NULL};
static const char *const nb_tag_vm_states[] = {
    NB_VM_ACTIVE, NB_VM_PAUSED, NB_VM_SUSPENDED, NB_VM_STOPPED, NB_VM_SHELVED,
    NB_VM_SHELVED_OFFLOADED, NULL};
static const char *const nb_no_task[] = {"none", NULL};

/* ---- validation */

static bool nb_meta_key_ok(const char *k)
{
    size_t n = strlen(k), i;
    if (n < 1 || n > 255)
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == ':' || c == '.' || c == ' '))
            return false;
    }
    return true;
}

int nb_cmp_metadata_valid(struct nb_ctx *ctx, const char *field, const json_t *meta)
{
    const char *k;
    const json_t *v;

    if (!json_is_object(meta))
        return nb_cmp_bad_input(ctx, field, meta, "is not of type 'object'");
    json_object_foreach((json_t *)meta, k, v) {
        if (!nb_meta_key_ok(k))
            return nb_err_set(ctx, 400, "Invalid input for field/attribute %s. Additional "
                              "properties are not allowed ('%s' was unexpected)", field, k);
        if (!json_is_string(v))
            return nb_cmp_bad_input(ctx, k, v, "is not of type 'string'");
        if (strlen(json_string_value(v)) > 255)
            return nb_cmp_bad_input(ctx, k, v, "is too long");
    }
    return 0;
}

int nb_cmp_metadata_quota(struct nb_ctx *ctx, struct nb_tx *tx, const char *project_id,
                          size_t n)
{
    int64_t lim = -1;
    int r = nb_cmp_quota_limit(tx, project_id, "metadata_items", &lim);
    if (r < 0)
        return r;
    if (lim >= 0 && (int64_t)n > lim)
        return nb_err_set(ctx, 403, "Quota exceeded for metadata_items: Requested %zu, but "
                          "already used 0 of %lld metadata_items", n, (long long)lim);
    return 0;
}

int nb_cmp_tag_valid(struct nb_ctx *ctx, const json_t *tag)
{
    const char *s;
    size_t chars = 0, i;

    if (!json_is_string(tag))
        return nb_cmp_bad_input(ctx, "tag", tag, "is not of type 'string'");
    s = json_string_value(tag);
    for (i = 0; s[i]; i++)
        chars += ((unsigned char)s[i] & 0xc0) != 0x80;
    if (chars < 1)
        return nb_cmp_bad_input(ctx, "tag", tag, "is too short");
    if (chars > 60)
        return nb_cmp_bad_input(ctx, "tag", tag, "is too long");
    if (strpbrk(s, ",/"))
        return nb_cmp_bad_input(ctx, "tag", tag, "does not match '^[^,/]*$'");
    return 0;
}

int nb_cmp_tags_valid(struct nb_ctx *ctx, const char *field, const json_t *tags)
{
    const json_t *t;
    size_t i;

    if (!json_is_array(tags))
        return nb_cmp_bad_input(ctx, field, tags, "is not of type 'array'");
    if (json_array_size(tags) > NB_MAX_TAGS)
        return nb_cmp_bad_input(ctx, field, tags, "is too long");
    json_array_foreach(tags, i, t)
        if (nb_cmp_tag_valid(ctx, t) < 0)
            return -EINVAL;
    return 0;
}

int nb_cmp_tags_store(struct nb_tx *tx, const char *id, const json_t *tags)
{
    const json_t *t;
    size_t i;
    int r = nb_tx_exec(tx, NULL, "DELETE FROM cmp_instance_tags WHERE instance_id = ?",
                       "s", id);
    json_array_foreach(tags, i, t) {
        if (r < 0)
            break;
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_instance_tags (instance_id, tag)"
                       " VALUES (?, ?) ON CONFLICT DO NOTHING", "ss", id,
                       json_string_value(t));
    }
    return r;
}

/* ---- the common frame of these handlers: load the server under 'rule'
 * in a transaction; for changes, check its state and lock. */

struct nb_sub {
    struct nb_req *req;
    struct nb_ctx *ctx;
    struct nb_tx *tx;
    json_t *server;
    const char *id;
};

static int nb_sub_begin(struct nb_req *req, struct nb_sub *s, const char *rule,
                        const char *action, const char *const *vm_states)
{
    int r;
    memset(s, 0, sizeof(*s));
    s->req = req;
    s->ctx = nb_req_ctx(req);
    s->id = nb_req_param(req, 0);
    r = nb_tx_begin(nb_cmp_db(), action != NULL, &s->tx);
    if (r < 0)
        return r;
    r = nb_cmp_server_load(req, s->tx, s->id, rule, &s->server);
    if (r == 0 && action) {
        r = nb_cmp_check_locked(s->ctx, s->server);
        if (r == 0)
            r = nb_cmp_check_state(s->ctx, s->server, action, vm_states, nb_no_task);
    }
    return r;
}

/* Commits when r is 0, replies 'body' (stolen; NULL: 'status' empty). */
static int nb_sub_end(struct nb_sub *s, int r, int status, json_t *body)
{
    if (r == 0 && s->tx) {
        r = nb_tx_commit(s->tx);
        s->tx = NULL;
    }
    nb_tx_rollback(s->tx);
    json_decref(s->server);
    if (r < 0) {
        json_decref(body);
        return r;
    }
    return body ? nb_reply_json(s->req, status, body) : nb_reply_empty(s->req, status);
}

/* ---- metadata */

static json_t *nb_meta_of(const json_t *server)
{
    const json_t *m = json_object_get(server, "metadata");
    return json_is_object(m) ? json_deep_copy(m) : json_object();
}

static int nb_meta_save(struct nb_sub *s, const json_t *meta)
{
    json_t *ch;
    int r = nb_cmp_metadata_quota(s->ctx, s->tx, nb_json_str(s->server, "project_id"),
                                  json_object_size(meta));
    if (r < 0)
        return r;
    ch = json_pack("{s:O}", "metadata", meta);
    r = nb_cmp_server_set(s->tx, s->id, ch);
    json_decref(ch);
    return r;
}

/* The body's {"metadata": {...}} (or {"meta": {...}}). */
static int nb_meta_body(struct nb_sub *s, const char *key, const json_t **out)
{
    const json_t *body = nb_req_json(s->req), *m;
    const char *allowed[] = {key, NULL};
    if (!body)
        return -EINVAL;
    m = json_object_get(body, key);
    if (!m)
        return nb_err_set(s->ctx, 400, "Invalid input for field/attribute %s. '%s' is a "
                          "required property", key, key);
    if (nb_cmp_only_keys(s->ctx, NULL, body, allowed) < 0 ||
        nb_cmp_metadata_valid(s->ctx, key, m) < 0)
        return -EINVAL;
    *out = m;
    return 0;
}

int nb_cmp_metadata_index(struct nb_req *req)
{
    struct nb_sub s;
    int r = nb_sub_begin(req, &s, "os_compute_api:server-metadata:index", NULL, NULL);
    return nb_sub_end(&s, r, 200, r < 0 ? NULL :
                      json_pack("{s:o}", "metadata", nb_meta_of(s.server)));
}

int nb_cmp_metadata_show(struct nb_req *req)
{
    struct nb_sub s;
    const char *key = nb_req_param(req, 1);
    const json_t *v;
    int r = nb_sub_begin(req, &s, "os_compute_api:server-metadata:show", NULL, NULL);

    if (r == 0 && !(v = json_object_get(json_object_get(s.server, "metadata"), key)))
        r = nb_err_set(s.ctx, 404, "Metadata item was not found");
    return nb_sub_end(&s, r, 200, r < 0 ? NULL : json_pack("{s:{s:O}}", "meta", key, v));
}

/* POST (merge) and PUT (replace) of the whole metadata. */
static int nb_metadata_write(struct nb_req *req, bool replace)
{
    struct nb_sub s;
    const json_t *in = NULL;
    json_t *meta = NULL;
    int r = nb_sub_begin(req, &s, replace ? "os_compute_api:server-metadata:update_all" :
                         "os_compute_api:server-metadata:create", "update_metadata",
                         nb_meta_vm_states);

    if (r == 0)
        r = nb_meta_body(&s, "metadata", &in);
    if (r == 0) {
        meta = replace ? json_object() : nb_meta_of(s.server);
        json_object_update(meta, (json_t *)in);
        r = nb_meta_save(&s, meta);
    }
    r = nb_sub_end(&s, r, 200, r < 0 ? NULL : json_pack("{s:O}", "metadata", meta));
    json_decref(meta);
    return r;
}

int nb_cmp_metadata_create(struct nb_req *req)
{
    return nb_metadata_write(req, false);
}

int nb_cmp_metadata_update_all(struct nb_req *req)
{
    return nb_metadata_write(req, true);
}

int nb_cmp_metadata_update(struct nb_req *req)
{
    struct nb_sub s;
    const char *key = nb_req_param(req, 1);
    const json_t *in = NULL;
    json_t *meta = NULL;
    int r = nb_sub_begin(req, &s, "os_compute_api:server-metadata:update",
                         "update_metadata", nb_meta_vm_states);

    if (r == 0)
        r = nb_meta_body(&s, "meta", &in);
    if (r == 0 && json_object_size(in) > 1)
        r = nb_err_set(s.ctx, 400, "Request body contains too many items");
    if (r == 0 && !json_object_get(in, key))
        r = nb_err_set(s.ctx, 400, "Request body and URI mismatch");
    if (r == 0) {
        meta = nb_meta_of(s.server);
        json_object_update(meta, (json_t *)in);
        r = nb_meta_save(&s, meta);
    }
    json_decref(meta);
    return nb_sub_end(&s, r, 200, r < 0 ? NULL : json_pack("{s:O}", "meta", in));
}

int nb_cmp_metadata_delete(struct nb_req *req)
{
    struct nb_sub s;
    const char *key = nb_req_param(req, 1);
    json_t *meta = NULL;
    int r = nb_sub_begin(req, &s, "os_compute_api:server-metadata:delete",
                         "delete_metadata", nb_meta_vm_states);

    if (r == 0) {
        meta = nb_meta_of(s.server);
        if (json_object_del(meta, key) < 0)
            r = nb_err_set(s.ctx, 404, "Metadata item was not found");
        else {
            json_t *ch = json_pack("{s:O}", "metadata", meta);
            r = nb_cmp_server_set(s.tx, s.id, ch);
            json_decref(ch);
        }
    }
    json_decref(meta);
    return nb_sub_end(&s, r, 204, NULL);
}

/* ---- tags (2.26; earlier versions do not have the routes: 404) */

static int nb_tags_mv(struct nb_req *req)
{
    return nb_cmp_mv_route(req, NB_MV(2, 26), 0);
}

int nb_cmp_tags_index(struct nb_req *req)
{
    struct nb_sub s;
    int r = nb_tags_mv(req);
    if (r < 0)
        return r;
    r = nb_sub_begin(req, &s, "os_compute_api:os-server-tags:index", NULL, NULL);
    return nb_sub_end(&s, r, 200, r < 0 ? NULL :
                      json_pack("{s:o}", "tags", nb_cmp_tags_load(s.tx, s.id)));
}

int nb_cmp_tags_show(struct nb_req *req)
{
    struct nb_sub s;
    int64_t n = 0;
    int r = nb_tags_mv(req);
    if (r < 0)
        return r;
    r = nb_sub_begin(req, &s, "os_compute_api:os-server-tags:show", NULL, NULL);
    if (r == 0)
        r = nb_tx_query_int(s.tx, &n, "SELECT COUNT(*) FROM cmp_instance_tags WHERE"
                            " instance_id = ? AND tag = ?", "ss", s.id, nb_req_param(req, 1));
    if (r == 0 && n == 0)
        r = nb_err_set(s.ctx, 404, "Tag %s could not be found.", nb_req_param(req, 1));
    return nb_sub_end(&s, r, 204, NULL);
}

int nb_cmp_tags_update_all(struct nb_req *req)
{
    struct nb_sub s;
    const json_t *body, *tags = NULL;
    json_t *uniq = json_array();
    static const char *const allowed[] = {"tags", NULL};
    int r = nb_tags_mv(req);

    if (r < 0)
        goto done;
    r = nb_sub_begin(req, &s, "os_compute_api:os-server-tags:update_all", "update tags",
                     nb_tag_vm_states);
    body = r == 0 ? nb_req_json(req) : NULL;
    if (r == 0 && !body)
        r = -EINVAL;
    if (r == 0 && !(tags = json_object_get(body, "tags")))
        r = nb_err_set(s.ctx, 400, "Invalid input for field/attribute tags. 'tags' is a "
                       "required property");
    if (r == 0 && (nb_cmp_only_keys(s.ctx, NULL, body, allowed) < 0 ||
                   nb_cmp_tags_valid(s.ctx, "tags", tags) < 0))
        r = -EINVAL;
    if (r == 0) {
        const json_t *t;
        size_t i, j;
        json_array_foreach(tags, i, t) {
            bool dup = false;
            for (j = 0; j < json_array_size(uniq); j++)
                dup = dup || json_equal(json_array_get(uniq, j), t);
            if (!dup)
                json_array_append(uniq, (json_t *)t);
        }
        r = nb_cmp_tags_store(s.tx, s.id, uniq);
    }
    r = nb_sub_end(&s, r, 200, r < 0 ? NULL : json_pack("{s:o}", "tags",
                                                        nb_cmp_tags_load(s.tx, s.id)));
done:
    json_decref(uniq);
    return r;
}

int nb_cmp_tags_update(struct nb_req *req)
{
    struct nb_sub s;
    const char *tag = nb_req_param(req, 1);
    json_t *t = json_string(tag);
    int64_t n = 0, have = 0;
    int status = 204, r = nb_tags_mv(req);

    if (r < 0)
        goto done;
    r = nb_sub_begin(req, &s, "os_compute_api:os-server-tags:update", "update tag",
                     nb_tag_vm_states);
    if (r == 0 && nb_cmp_tag_valid(s.ctx, t) < 0)
        r = -EINVAL;
    if (r == 0)
        r = nb_tx_query_int(s.tx, &have, "SELECT COUNT(*) FROM cmp_instance_tags WHERE"
                            " instance_id = ? AND tag = ?", "ss", s.id, tag);
    if (r == 0 && !have) {
        r = nb_tx_query_int(s.tx, &n, "SELECT COUNT(*) FROM cmp_instance_tags WHERE"
                            " instance_id = ?", "s", s.id);
        if (r == 0 && n >= NB_MAX_TAGS)
            r = nb_err_set(s.ctx, 400, "The number of tags exceeded the per-server limit "
                           "%d", NB_MAX_TAGS);
        if (r == 0)
            r = nb_tx_exec(s.tx, NULL, "INSERT INTO cmp_instance_tags (instance_id, tag)"
                           " VALUES (?, ?) ON CONFLICT DO NOTHING", "ss", s.id, tag);
        status = 201;
    }
    if (r == 0) {
        char *loc = nb_xasprintf("%s/compute/v2.1/servers/%s/tags/%s",
                                 nb_req_base_url(req), s.id, tag);
        nb_reply_header(req, "Location", loc);
        free(loc);
    }
    r = nb_sub_end(&s, r, status, NULL);
done:
    json_decref(t);
    return r;
}

int nb_cmp_tags_delete_all(struct nb_req *req)
{
    struct nb_sub s;
    int r = nb_tags_mv(req);
    if (r < 0)
        return r;
    r = nb_sub_begin(req, &s, "os_compute_api:os-server-tags:delete_all", "delete tags",
                     nb_tag_vm_states);
    if (r == 0)
        r = nb_tx_exec(s.tx, NULL, "DELETE FROM cmp_instance_tags WHERE instance_id = ?",
                       "s", s.id);
    return nb_sub_end(&s, r, 204, NULL);
}

int nb_cmp_tags_delete(struct nb_req *req)
{
    struct nb_sub s;
    int n = 0, r = nb_tags_mv(req);
    if (r < 0)
        return r;
    r = nb_sub_begin(req, &s, "os_compute_api:os-server-tags:delete", "delete tag",
                     nb_tag_vm_states);
    if (r == 0)
        r = nb_tx_exec(s.tx, &n, "DELETE FROM cmp_instance_tags WHERE instance_id = ?"
                       " AND tag = ?", "ss", s.id, nb_req_param(req, 1));
    if (r == 0 && n == 0)
        r = nb_err_set(s.ctx, 404, "Tag %s could not be found.", nb_req_param(req, 1));
    return nb_sub_end(&s, r, 204, NULL);
}

/* ---- ips */

int nb_cmp_ips_index(struct nb_req *req)
{
    struct nb_sub s;
    int r = nb_sub_begin(req, &s, "os_compute_api:ips:index", NULL, NULL);
    return nb_sub_end(&s, r, 200, r < 0 ? NULL : json_pack(
        "{s:o}", "addresses", nb_cmp_addresses(s.server, NULL, false)));
}

int nb_cmp_ips_show(struct nb_req *req)
{
    struct nb_sub s;
    const char *net = nb_req_param(req, 1);
    json_t *a = NULL;
    int r = nb_sub_begin(req, &s, "os_compute_api:ips:show", NULL, NULL);

    if (r == 0) {
        a = nb_cmp_addresses(s.server, net, false);
        if (!json_object_get(a, net))
            r = nb_err_set(s.ctx, 404, "Instance is not a member of specified network");
    }
    if (r < 0) {
        json_decref(a);
        a = NULL;
    }
    return nb_sub_end(&s, r, 200, a);
}
