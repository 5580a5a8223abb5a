/* GET/PUT/DELETE /servers/{id} and the checks the servers files share. */
#include "compute/servers.h"
#include "compute/handlers.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation */

static bool nb_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool nb_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int nb_cmp_name_valid(struct nb_ctx *ctx, const char *field, const json_t *v)
{
    const char *s;
    size_t n;

    if (!json_is_string(v))
        return nb_cmp_bad_input(ctx, field, v, "is not of type 'string'");
    s = json_string_value(v);
    n = strlen(s);
    if (n == 0)
        return nb_cmp_bad_input(ctx, field, v, "is too short");
    if (!nb_utf8_valid(s, n) || n > 4 * 255)
        return nb_cmp_bad_input(ctx, field, v, "is too long");
    {
        size_t chars = 0, i;
        for (i = 0; i < n; i++)
            chars += ((unsigned char)s[i] & 0xc0) != 0x80;
        if (chars > 255)
            return nb_cmp_bad_input(ctx, field, v, "is too long");
    }
    if (nb_is_space((unsigned char)s[0]) || nb_is_space((unsigned char)s[n - 1]) ||
        !nb_printable(s))
        return nb_cmp_bad_input(ctx, field, v, "is not a 'name'");
    return 0;
}

int nb_cmp_access_ip(struct nb_ctx *ctx, const char *field, const json_t *v, int family,
                     char out[NB_CMP_IPLEN])
{
    unsigned char buf[16];
    if (!json_is_string(v) || inet_pton(family, json_string_value(v), buf) != 1 ||
        !inet_ntop(family, buf, out, NB_CMP_IPLEN))
        return nb_cmp_bad_input(ctx, field, v, family == AF_INET ? "is not a 'ipv4'" :
                                "is not a 'ipv6'");
    return 0;
}

int nb_cmp_only_keys(struct nb_ctx *ctx, const char *field, const json_t *obj,
                     const char *const *allowed)
{
    const char *key;
    const json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        const char *const *a;
        for (a = allowed; *a; a++)
            if (strcmp(*a, key) == 0)
                break;
        if (!*a) {
            (void)v;
            return nb_err_set(ctx, 400, "Invalid input for field/attribute %s. "
                              "Additional properties are not allowed ('%s' was "
                              "unexpected)", field ? field : "body", key);
        }
    }
    return 0;
}

int nb_cmp_server_load(struct nb_req *req, struct nb_tx *tx, const char *id,
                       const char *rule, json_t **out)
{
    json_t *s = NULL, *target;
    int r = nb_cmp_server_get(nb_req_ctx(req), tx, id, &s);

    if (r < 0)
        return r;
    target = json_pack("{s:{s:s?,s:s?}}", "target", "project_id",
                       nb_json_str(s, "project_id"), "user_id", nb_json_str(s, "user_id"));
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    if (r < 0) {
        json_decref(s);
        return r;
    }
    *out = s;
    return 0;
}

/* ---- GET /servers/{id} */

int nb_cmp_servers_show(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *s = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r < 0)
        return r;
    r = nb_cmp_server_load(req, tx, nb_req_param(req, 0), "os_compute_api:servers:show", &s);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "server", nb_cmp_server_view(
            req, tx, s, NB_CMP_VIEW_SHOW)));
    nb_tx_rollback(tx);
    json_decref(s);
    return r;
}

/* ---- PUT /servers/{id}: name, description (2.19), access IPs, disk
 * config. */

static int nb_update_parse(struct nb_req *req, const json_t *body, json_t *changes)
{
    static const char *const keys[] = {"name", "OS-DCF:diskConfig", "accessIPv4",
                                       "accessIPv6", NULL};
    static const char *const keys219[] = {"name", "OS-DCF:diskConfig", "accessIPv4",
                                          "accessIPv6", "description", NULL};
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *s = json_object_get(body, "server"), *v;
    static const char *const top[] = {"server", NULL};

    if (!json_is_object(s))
        return nb_err_set(ctx, 400, "Invalid input for field/attribute server. "
                          "'server' is a required property");
    if (nb_cmp_only_keys(ctx, NULL, body, top) < 0 ||
        nb_cmp_only_keys(ctx, "server", s,
                         nb_req_mv(req) >= NB_MV(2, 19) ? keys219 : keys) < 0)
        return -EINVAL;
    if ((v = json_object_get(s, "name"))) {
        if (nb_cmp_name_valid(ctx, "name", v) < 0)
            return -EINVAL;
        json_object_set(changes, "name", (json_t *)v);
    }
    if ((v = json_object_get(s, "description"))) {
        if (nb_cmp_description_check(ctx, "description", v, 255) < 0)
            return -EINVAL;
        json_object_set(changes, "description", (json_t *)v);
    }
    if ((v = json_object_get(s, "accessIPv4"))) {
        char ip[NB_CMP_IPLEN];
        if (nb_cmp_access_ip(ctx, "accessIPv4", v, AF_INET, ip) < 0)
            return -EINVAL;
        json_object_set_new(changes, "access_ipv4", json_string(ip));
    }
    if ((v = json_object_get(s, "accessIPv6"))) {
        char ip[NB_CMP_IPLEN];
        if (nb_cmp_access_ip(ctx, "accessIPv6", v, AF_INET6, ip) < 0)
            return -EINVAL;
        json_object_set_new(changes, "access_ipv6", json_string(ip));
    }
    if ((v = json_object_get(s, "OS-DCF:diskConfig")) &&
        (!json_is_string(v) || (strcmp(json_string_value(v), "AUTO") &&
                                strcmp(json_string_value(v), "MANUAL"))))
        return nb_cmp_bad_input(ctx, "OS-DCF:diskConfig", v, "is not one of ['AUTO', 'MANUAL']");
    return 0;
}

int nb_cmp_servers_update(struct nb_req *req)
{
    const json_t *body = nb_req_json(req);
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    json_t *s = NULL, *changes = json_object();
    const json_t *dc;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);

    if (r < 0)
        goto out;
    r = nb_cmp_server_load(req, tx, id, "os_compute_api:servers:update", &s);
    if (r < 0 || !body)
        goto out;
    if ((r = nb_update_parse(req, body, changes)) < 0)
        goto out;
    dc = json_object_get(json_object_get(body, "server"), "OS-DCF:diskConfig");
    if (dc) {
        json_t *rq = json_deep_copy(json_object_get(s, "request"));
        if (!json_is_object(rq)) {
            json_decref(rq);
            rq = json_object();
        }
        json_object_set(rq, "disk_config", (json_t *)dc);
        json_object_set_new(changes, "request", rq);
    }
    if (json_object_size(changes) && (r = nb_cmp_server_set(tx, id, changes)) < 0)
        goto out;
    json_decref(s);
    s = NULL;
    if ((r = nb_cmp_server_get(nb_req_ctx(req), tx, id, &s)) < 0)
        goto out;
    {
        json_t *view = nb_cmp_server_view(req, tx, s, NB_CMP_VIEW_UPDATE);
        r = nb_tx_commit(tx);
        tx = NULL;
        if (r < 0) {
            json_decref(view);
            goto out;
        }
        r = nb_reply_json(req, 200, json_pack("{s:o}", "server", view));
    }
out:
    nb_tx_rollback(tx);
    json_decref(s);
    json_decref(changes);
    return r;
}

/* ---- DELETE /servers/{id}: a server no host took is deleted at once;
 * otherwise its host's agent gets a "delete" task (task_state deleting). */

int nb_cmp_server_delete_start(struct nb_req *req, const char *rule, const char *action)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    json_t *s = NULL;
    char *host = NULL;
    int64_t now = nb_now_us();
    int changed = 0;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);

    if (r < 0)
        goto out;
    if ((r = nb_cmp_server_load(req, tx, id, rule, &s)) < 0)
        goto out;
    if ((r = nb_cmp_check_locked(ctx, s)) < 0)
        goto out;
    if ((r = nb_cmp_action_record(ctx, tx, id, action)) < 0)
        goto out;
    if (!nb_json_str(s, "host") || !*nb_json_str(s, "host")) {
        r = nb_tx_exec(tx, &changed, "UPDATE cmp_instances SET vm_state = ?,"
                       " task_state = NULL, deleted_at = ?, terminated_at = ?,"
                       " updated_at = ? WHERE id = ? AND host IS NULL AND"
                       " deleted_at IS NULL", "siiis", NB_VM_DELETED, now, now, now, id);
        if (r == 0 && changed)
            r = nb_cmp_group_remove_member(tx, id);
        if (r < 0)
            goto out;
    }
    if (!changed) {
        json_t *ch;
        json_decref(s);
        s = NULL;
        /* a scheduler may have placed it meanwhile: reread */
        if ((r = nb_cmp_server_get(ctx, tx, id, &s)) < 0)
            goto out;
        host = nb_xstrdup(nb_json_str(s, "host"));
        ch = json_pack("{s:s}", "task_state", "deleting");
        r = nb_cmp_server_set(tx, id, ch);
        json_decref(ch);
        if (r < 0)
            goto out;
    }
    r = nb_tx_commit(tx);
    tx = NULL;
    if (r == 0 && host && *host &&
        nb_cmp_task_publish(host, "delete", id, ctx->request_id, NULL) < 0)
        nb_warn("compute: could not publish the delete of %s to %s; the agent's "
                "recovery takes it", id, host);
out:
    nb_tx_rollback(tx);
    json_decref(s);
    free(host);
    return r;
}

int nb_cmp_servers_delete(struct nb_req *req)
{
    int r = nb_cmp_server_delete_start(req, "os_compute_api:servers:delete", "delete");
    return r < 0 ? r : nb_reply_empty(req, 204);
}
