/* Projects: a tree inside a domain (parent_id), with tags.
 *
 * Storage keeps parent_id NULL for a top-level project; the API shows the
 * domain as its parent, as Keystone does (domains are projects there). */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

#define NB_MAX_TAGS 80            /* keystone.common.resource MAX_PROJECT_TAGS */

/* A tag is 1..255 characters without '/' or ','. */
static int nb_tag_check(struct nb_ctx *ctx, const json_t *tag)
{
    const char *s = json_string_value(tag);
    if (!s || !*s || strlen(s) > 255 || strpbrk(s, "/,"))
        return nb_err_set(ctx, 400, "Invalid input for field 'tags': tags must be "
                                    "strings of 1 to 255 characters without '/' or ','");
    return 0;
}

static int nb_tags_check(struct nb_ctx *ctx, const json_t *tags)
{
    size_t i;
    json_t *t;
    if (!json_is_array(tags))
        return nb_err_set(ctx, 400, "Invalid input for field 'tags': it is not of "
                                    "type 'array'");
    if (json_array_size(tags) > NB_MAX_TAGS)
        return nb_err_set(ctx, 400, "Invalid input for field 'tags': a project has at "
                                    "most %d tags", NB_MAX_TAGS);
    json_array_foreach(tags, i, t)
        if (nb_tag_check(ctx, t) < 0)
            return -EINVAL;
    return 0;
}

static int nb_tags_store(struct nb_tx *tx, const char *project_id, const json_t *tags)
{
    size_t i;
    json_t *t;
    int r = nb_tx_exec(tx, NULL, "DELETE FROM project_tags WHERE project_id = ?", "s",
                       project_id);
    json_array_foreach(tags, i, t)
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO project_tags (project_id, name) "
                                     "VALUES (?, ?) ON CONFLICT DO NOTHING",
                           "ss", project_id, json_string_value(t));
    return r;
}

static json_t *nb_tags_load(struct nb_tx *tx, const char *project_id)
{
    struct nb_stmt *st = NULL;
    json_t *tags = json_array();
    if (nb_tx_query(tx, &st, "SELECT name FROM project_tags WHERE project_id = ? "
                             "ORDER BY name", "s", project_id) == 0)
        while (nb_stmt_next(st) > 0)
            json_array_append_new(tags, json_string(nb_stmt_text(st, 0)));
    nb_stmt_done(st);
    return tags;
}

/* A project acting as a domain (Keystone's is_domain): a root project
 * whose domain row shares its id, name and state. */
static int nb_project_as_domain(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj)
{
    json_t *dom;
    int r;
    if (nb_json_str(obj, "parent_id") || nb_json_str(obj, "domain_id"))
        return nb_err_set(ctx, 400, "Only root projects are allowed to act as domains.");
    dom = json_pack("{s:O,s:O,s:O,s:O,s:{}}", "id", json_object_get(obj, "id"), "name",
                    json_object_get(obj, "name"), "description",
                    json_object_get(obj, "description"), "enabled",
                    json_object_get(obj, "enabled"), "options");
    r = nb_res_insert(ctx, tx, &nb_res_domain, dom);
    json_decref(dom);
    json_object_set(obj, "domain_id", json_object_get(obj, "id"));
    return r;
}

/* How deep 'id' sits: 1 for a top-level project. */
static int nb_project_depth(struct nb_tx *tx, const char *id)
{
    char cur[NB_IDSZ];
    int depth = 0;
    snprintf(cur, sizeof(cur), "%s", id);
    while (depth < 64) {
        char *parent = NULL;
        depth++;
        if (nb_tx_query_str(tx, &parent, "SELECT parent_id FROM projects WHERE id = ?",
                            "s", cur) < 0 || !parent)
            break;
        snprintf(cur, sizeof(cur), "%s", parent);
        free(parent);
    }
    return depth;
}

/* A parent, and every project above it, must be enabled, and the tree no
 * deeper than [identity] max_project_tree_depth (resource/core.py). */
static int nb_project_check_parent(struct nb_ctx *ctx, struct nb_tx *tx, const char *parent)
{
    int64_t disabled = 0;
    char cur[NB_IDSZ];
    int r = 0;

    snprintf(cur, sizeof(cur), "%s", parent);
    for (int depth = 0; r == 0 && depth < 64; depth++) {
        char *up = NULL;
        r = nb_tx_query_int(tx, &disabled, "SELECT count(*) FROM projects WHERE id = ? "
                                           "AND enabled = 0", "s", cur);
        if (r == 0 && disabled)
            return nb_err_set(ctx, 400, "cannot create a project in a branch containing a "
                                        "disabled project: %s", cur);
        if (r < 0 || nb_tx_query_str(tx, &up, "SELECT parent_id FROM projects WHERE id = ?",
                                     "s", cur) < 0 || !up)
            break;
        snprintf(cur, sizeof(cur), "%s", up);
        free(up);
    }
    if (r == 0 && nb_project_depth(tx, parent) + 1 >
                      nb_conf_int("identity", "max_project_tree_depth"))
        r = nb_err_set(ctx, 403, "Max hierarchy depth reached for %s branch.", parent);
    return r;
}

/* What Keystone's _update_project refuses; attributes "changed" to their
 * current value are dropped. */
static int nb_project_prepare_update(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                                     const json_t *cur)
{
    static const struct {
        const char *attr;
        int status;
        const char *msg;
    } fixed[] = {
        {"domain_id", 400, "Update of `domain_id` is not allowed."},
        {"is_domain", 400, "Update of `is_domain` is not allowed."},
        {"parent_id", 403, "Update of `parent_id` is not allowed."},
    };
    int64_t enabled_kids = 0;
    int r;

    for (size_t i = 0; i < NB_ARRAY_SIZE(fixed); i++) {
        json_t *v = json_object_get(obj, fixed[i].attr);
        if (!v)
            continue;
        if (!json_equal(v, json_object_get(cur, fixed[i].attr)))
            return nb_err_set(ctx, fixed[i].status, "%s", fixed[i].msg);
        json_object_del(obj, fixed[i].attr);
    }
    if (!json_is_false(json_object_get(obj, "enabled")))
        return 0;
    r = nb_tx_query_int(tx, &enabled_kids, "SELECT count(*) FROM projects WHERE "
                                           "parent_id = ? AND enabled = 1",
                        "s", nb_json_str(cur, "id"));
    if (r == 0 && enabled_kids)
        r = nb_err_set(ctx, 403, "Cannot disable project %s since its subtree contains "
                                 "enabled projects.", nb_json_str(cur, "id"));
    return r;
}

static int nb_project_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                              const json_t *cur)
{
    const json_t *tags = json_object_get(obj, "tags");
    const char *parent, *domain;
    int r;

    if (tags && (r = nb_tags_check(ctx, tags)) < 0)
        return r;
    if (cur)
        return nb_project_prepare_update(ctx, tx, obj, cur);
    if (json_is_true(json_object_get(obj, "is_domain")))
        return nb_project_as_domain(ctx, tx, obj);
    parent = nb_json_str(obj, "parent_id");
    domain = nb_json_str(obj, "domain_id");
    if (parent) {
        char *pdom = NULL;
        r = nb_tx_query_str(tx, &pdom, "SELECT domain_id FROM projects WHERE id = ?",
                            "s", parent);
        if (r == -ENOENT && domain && strcmp(parent, domain) == 0) {
            /* a domain named as the parent: a top-level project */
            json_object_set_new(obj, "parent_id", json_null());
            return nb_id_domain_exists(ctx, tx, domain);
        }
        if (r == -ENOENT) {
            int64_t n = 0;
            /* the parent may be given as the domain itself */
            if (nb_tx_query_int(tx, &n, "SELECT count(*) FROM domains WHERE id = ?", "s",
                                parent) == 0 && n > 0) {
                json_object_set_new(obj, "domain_id", json_string(parent));
                json_object_set_new(obj, "parent_id", json_null());
                return 0;
            }
            /* api/projects.py: a missing parent is a validation error */
            return nb_err_set(ctx, 400, "Could not find project: %s.", parent);
        }
        if (r < 0)
            return r;
        r = nb_project_check_parent(ctx, tx, parent);
        if (r < 0) {
            free(pdom);
            return r;
        }
        if (domain && strcmp(domain, pdom) != 0) {
            free(pdom);
            return nb_err_set(ctx, 400, "Cannot create project, the parent (%s) is "
                                        "in a different domain than the project.", parent);
        }
        json_object_set_new(obj, "domain_id", json_string(pdom));
        free(pdom);
        return 0;
    }
    r = nb_id_prepare_domain(ctx, tx, obj);
    if (r == -ENOENT) {          /* api/projects.py: DomainNotFound -> 400 */
        int status = ctx->err_status;
        ctx->err_status = 0;
        r = nb_err_set(ctx, status == 404 ? 400 : status, "%s", ctx->err_msg);
    }
    return r;
}

static int nb_project_stored(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                             const json_t *obj)
{
    const json_t *tags = json_object_get(obj, "tags");
    int r = 0;
    (void)ctx;
    if (tags)
        r = nb_tags_store(tx, id, tags);
    if (r == 0)      /* a project acting as a domain keeps its domain in step */
        r = nb_tx_exec(tx, NULL, "UPDATE domains SET name = (SELECT name FROM projects "
                                 "WHERE id = ?), description = (SELECT description FROM "
                                 "projects WHERE id = ?), enabled = (SELECT enabled FROM "
                                 "projects WHERE id = ?) WHERE id = ? AND EXISTS (SELECT 1 "
                                 "FROM projects WHERE id = ? AND is_domain = 1)",
                       "sssss", id, id, id, id, id);
    return r;
}

static void nb_project_decorate(struct nb_tx *tx, json_t *obj)
{
    if (json_is_true(json_object_get(obj, "is_domain"))) {
        json_object_set_new(obj, "domain_id", json_null());
        json_object_set_new(obj, "parent_id", json_null());
    } else if (json_is_null(json_object_get(obj, "parent_id")))
        json_object_set(obj, "parent_id", json_object_get(obj, "domain_id"));
    json_object_set_new(obj, "tags", nb_tags_load(tx, nb_json_str(obj, "id")));
}

static int nb_project_before_delete(struct nb_ctx *ctx, struct nb_tx *tx,
                                    const json_t *cur)
{
    const char *id = nb_json_str(cur, "id");
    int64_t children = 0;
    int r;

    if (json_is_true(json_object_get(cur, "is_domain"))) {
        /* deleting a project acting as a domain deletes the domain */
        r = nb_kind_domain.before_delete(ctx, tx, cur);
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "DELETE FROM domains WHERE id = ?", "s", id);
        return r;
    }
    r = nb_tx_query_int(tx, &children, "SELECT count(*) FROM projects WHERE "
                                       "parent_id = ?", "s", id);
    if (r == 0 && children)
        return nb_err_set(ctx, 403, "Cannot delete the project %s since it is not a "
                                    "leaf in the hierarchy. Use the cascade option if "
                                    "you want to delete a whole subtree.", id);
    if (r == 0)
        r = nb_id_assignments_purge(tx, id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM project_endpoints WHERE project_id = ?",
                       "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM project_endpoint_groups WHERE "
                                 "project_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM limits WHERE project_id = ?", "s", id);
    return r;
}

static void nb_project_after_write(struct nb_ctx *ctx, const json_t *old,
                                   const json_t *now)
{
    (void)ctx;
    if (old && (!now || json_is_false(json_object_get(now, "enabled"))))
        nb_revoke_add(NULL, NB_REVOKE_PROJECT, nb_json_str(old, "id"));
}

/* ?tags=a,b (all of), tags-any, not-tags, not-tags-any; ?parent_id. */
static int nb_project_list_where(struct nb_ctx *ctx, struct nb_req *req,
                                 struct nb_sql *w)
{
    static const struct {
        const char *key;
        bool any, negate;
    } tagq[] = {{"tags", false, false}, {"tags-any", true, false},
                {"not-tags", false, true}, {"not-tags-any", true, true}};
    const char *parent = nb_req_query(req, "parent_id");
    (void)ctx;

    /* projects acting as domains are listed only when asked for */
    nb_sql_add(w, nb_req_query(req, "is_domain") ? "1 = 1" : "is_domain = 0");
    if (parent) {
        nb_sql_add(w, " AND (parent_id = ? OR (parent_id IS NULL AND domain_id = ?))");
        nb_sql_text(w, parent);
        nb_sql_text(w, parent);
    }
    for (size_t i = 0; i < NB_ARRAY_SIZE(tagq); i++) {
        const char *v = nb_req_query(req, tagq[i].key);
        char *copy, *save = NULL;
        int n = 0;
        if (!v)
            continue;
        copy = nb_xstrdup(v);
        nb_sql_addf(w, " AND %s(", tagq[i].negate ? "NOT " : "");
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            nb_sql_addf(w, "%s id IN (SELECT project_id FROM project_tags WHERE name = ?)",
                        n++ ? (tagq[i].any ? " OR" : " AND") : "");
            nb_sql_text(w, t);
        }
        if (!n)
            nb_sql_add(w, "1 = 1");
        nb_sql_add(w, ")");
        free(copy);
    }
    return 0;
}

const struct nb_id_kind nb_kind_project = {
    .res = &nb_res_project,
    .collection = "/v3/projects",
    .prepare = nb_project_prepare,
    .stored = nb_project_stored,
    .decorate = nb_project_decorate,
    .before_delete = nb_project_before_delete,
    .after_write = nb_project_after_write,
    .list_where = nb_project_list_where,
};

/* ---- /v3/projects/{id}/tags */

/* Loads the project of the route, enforces 'rule' on it (404 when the
 * caller may not see it) and opens 'tx'. */
static int nb_tags_begin(struct nb_req *req, const char *rule, bool write,
                         struct nb_tx **tx)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    json_t *proj = NULL, *target;
    int r = nb_id_load(ctx, &nb_kind_project, id, &proj);
    if (r < 0) {
        nb_req_policy_done(req);
        return r;
    }
    target = nb_id_target("project", proj);
    r = nb_req_enforce(req, rule, target);
    /* a reader who may not see the project is told it does not exist; a
     * denied write stays a 403 (api.c, nb_id_enforce_entity) */
    if (r == -EACCES && !write && !nb_policy_allows(ctx, "identity:get_project", target)) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, "Could not find project: %s.", id);
    }
    json_decref(target);
    json_decref(proj);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, write, tx);
    return r;
}

int nb_id_project_tags_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *tags;
    int r = nb_tags_begin(req, "identity:get_project_tag", false, &tx);
    if (r < 0)
        return r;
    tags = nb_tags_load(tx, nb_req_param(req, 0));
    nb_tx_rollback(tx);
    return nb_reply_json(req, 200, json_pack("{s:o}", "tags", tags));
}

int nb_id_project_tags_replace(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *body = nb_req_json(req);
    const json_t *tags = body ? json_object_get(body, "tags") : NULL;
    struct nb_tx *tx = NULL;
    int r = nb_tags_begin(req, "identity:update_project_tags", true, &tx);
    if (r < 0)
        return r;
    if (!body)
        r = -EINVAL;
    else if (!tags)
        r = nb_err_set(ctx, 400, "'tags' is a required property");
    else
        r = nb_tags_check(ctx, tags);
    if (r == 0)
        r = nb_tags_store(tx, nb_req_param(req, 0), tags);
    r = nb_id_finish(tx, r);
    if (r < 0)
        return r;
    return nb_reply_json(req, 200, json_pack("{s:O}", "tags", tags));
}

int nb_id_project_tags_clear(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_tags_begin(req, "identity:update_project_tags", true, &tx);
    if (r < 0)
        return r;
    r = nb_id_finish(tx, nb_tx_exec(tx, NULL, "DELETE FROM project_tags WHERE "
                                              "project_id = ?", "s", nb_req_param(req, 0)));
    return r < 0 ? r : nb_reply_empty(req, 204);
}

static int nb_tag_exists(struct nb_req *req, struct nb_tx *tx)
{
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM project_tags WHERE "
                                    "project_id = ? AND name = ?",
                            "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    if (r == 0 && !n)
        r = nb_req_err(req, 404, "Could not find project tag: %s.", nb_req_param(req, 1));
    return r;
}

int nb_id_project_tag_check(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_tags_begin(req, "identity:get_project_tag", false, &tx);
    if (r < 0)
        return r;
    r = nb_tag_exists(req, tx);
    nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_project_tag_add(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    json_t *tag = json_string(nb_req_param(req, 1));
    int64_t n = 0;
    char *loc;
    int r = nb_tags_begin(req, "identity:update_project_tags", true, &tx);
    if (r < 0) {
        json_decref(tag);
        return r;
    }
    r = nb_tag_check(ctx, tag);
    json_decref(tag);
    if (r == 0)
        r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM project_tags WHERE "
                                    "project_id = ?", "s", nb_req_param(req, 0));
    if (r == 0 && n >= NB_MAX_TAGS)
        r = nb_err_set(ctx, 400, "A project has at most %d tags.", NB_MAX_TAGS);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO project_tags (project_id, name) VALUES "
                                 "(?, ?) ON CONFLICT DO NOTHING",
                       "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    r = nb_id_finish(tx, r);
    if (r < 0)
        return r;
    loc = nb_xasprintf("%s/identity/v3/projects/%s/tags/%s", nb_req_base_url(req),
                       nb_req_param(req, 0), nb_req_param(req, 1));
    nb_reply_header(req, "Location", loc);
    free(loc);
    return nb_reply_empty(req, 201);
}

int nb_id_project_tag_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_tags_begin(req, "identity:update_project_tags", true, &tx);
    if (r < 0)
        return r;
    r = nb_tag_exists(req, tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM project_tags WHERE project_id = ? AND "
                                 "name = ?", "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}
