/* Roles and implied roles (role inference rules). */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

static int nb_role_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                           const json_t *cur)
{
    const char *d = nb_json_str(obj, "domain_id");
    if (cur || !d)
        return 0;
    return nb_id_domain_exists(ctx, tx, d);
}

static int nb_role_before_delete(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur)
{
    const char *id = nb_json_str(cur, "id");
    int r;
    (void)ctx;
    r = nb_tx_exec(tx, NULL, "DELETE FROM trust_roles WHERE role_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM application_credential_roles WHERE "
                                 "role_id = ?", "s", id);
    return r;
}

/* Without ?domain_id only global roles are listed (Keystone). */
static int nb_role_list_where(struct nb_ctx *ctx, struct nb_req *req, struct nb_sql *w)
{
    (void)ctx;
    nb_sql_add(w, nb_req_query(req, "domain_id") ? "1 = 1" : "domain_id IS NULL");
    return 0;
}

const struct nb_id_kind nb_kind_role = {
    .res = &nb_res_role,
    .collection = "/v3/roles",
    .prepare = nb_role_prepare,
    .before_delete = nb_role_before_delete,
    .list_where = nb_role_list_where,
};

/* {"id", "name", "links"} of a role, or NULL when it does not exist. */
static json_t *nb_role_ref(struct nb_req *req, struct nb_tx *tx, const char *id)
{
    char *name = NULL;
    json_t *o;
    if (nb_tx_query_str(tx, &name, "SELECT name FROM roles WHERE id = ?", "s", id) < 0)
        return NULL;
    o = json_pack("{s:s,s:s}", "id", id, "name", name);
    free(name);
    nb_id_link(req, o, "/v3/roles");
    return o;
}

/* Opens a transaction, enforces 'rule' and checks that both roles of the
 * route exist (the second may be absent from the route). */
static int nb_implies_begin(struct nb_req *req, const char *rule, bool write,
                            struct nb_tx **tx)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *implied = nb_req_param(req, 1);
    int r = nb_req_enforce(req, rule, NULL);
    if (r < 0)
        return r;
    r = nb_tx_begin(nb_id_db, write, tx);
    if (r < 0)
        return r;
    r = nb_id_role_exists(ctx, *tx, nb_req_param(req, 0));
    if (r == 0 && implied)
        r = nb_id_role_exists(ctx, *tx, implied);
    if (r < 0) {
        nb_tx_rollback(*tx);
        *tx = NULL;
    }
    return r;
}

static int nb_implies_exists(struct nb_req *req, struct nb_tx *tx)
{
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM implied_roles WHERE "
                                    "prior_role_id = ? AND implied_role_id = ?",
                            "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    if (r == 0 && n == 0)
        r = nb_req_err(req, 404, "Could not find implied role: %s.", nb_req_param(req, 1));
    return r;
}

static int nb_implies_reply(struct nb_req *req, struct nb_tx *tx, int status)
{
    json_t *inf = json_pack("{s:o,s:o}", "prior_role",
                            nb_role_ref(req, tx, nb_req_param(req, 0)), "implies",
                            nb_role_ref(req, tx, nb_req_param(req, 1)));
    char *self = nb_xasprintf("%s/identity/v3/roles/%s/implies/%s", nb_req_base_url(req),
                              nb_req_param(req, 0), nb_req_param(req, 1));
    json_t *body = json_pack("{s:o,s:{s:s}}", "role_inference", inf, "links", "self", self);
    free(self);
    return nb_reply_json(req, status, body);
}

int nb_id_implies_create(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_implies_begin(req, "identity:create_implied_role", true, &tx);
    if (r < 0)
        return r;
    if (strcmp(nb_req_param(req, 0), nb_req_param(req, 1)) == 0)
        r = nb_req_err(req, 400, "A role cannot imply itself.");
    if (r == 0) {
        /* [identity] prohibited_implied_roles: no one gets admin by implication */
        char *name = NULL, *list = nb_xstrdup(nb_conf_str("identity", "prohibited_implied_roles"));
        char *save = NULL;
        if (nb_tx_query_str(tx, &name, "SELECT name FROM roles WHERE id = ?", "s",
                            nb_req_param(req, 1)) == 0)
            for (char *t = strtok_r(list, ", ", &save); t && r == 0;
                 t = strtok_r(NULL, ", ", &save))
                if (strcmp(t, name) == 0)
                    r = nb_req_err(req, 403, "%s cannot be an implied roles.",
                                   nb_req_param(req, 1));
        free(name);
        free(list);
    }
    if (r == 0) {
        /* Keystone: a global role cannot imply a domain-specific one */
        int64_t bad = 0;
        r = nb_tx_query_int(tx, &bad, "SELECT count(*) FROM roles p, roles i WHERE "
                                      "p.id = ? AND i.id = ? AND p.domain_id IS NULL AND "
                                      "i.domain_id IS NOT NULL",
                            "ss", nb_req_param(req, 0), nb_req_param(req, 1));
        if (r == 0 && bad)
            r = nb_req_err(req, 403, "Global role cannot imply a domain-specific role");
    }
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO implied_roles (prior_role_id, "
                                 "implied_role_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    if (r == 0)
        r = nb_implies_reply(req, tx, 201);
    return nb_id_finish(tx, r);
}

int nb_id_implies_get(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_implies_begin(req, "identity:get_implied_role", false, &tx);
    if (r < 0)
        return r;
    r = nb_implies_exists(req, tx);
    if (r == 0)
        r = nb_implies_reply(req, tx, 200);
    nb_tx_rollback(tx);
    return r;
}

int nb_id_implies_check(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_implies_begin(req, "identity:get_implied_role", false, &tx);
    if (r < 0)
        return r;
    r = nb_implies_exists(req, tx);
    nb_tx_rollback(tx);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_implies_delete(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int r = nb_implies_begin(req, "identity:delete_implied_role", true, &tx);
    if (r < 0)
        return r;
    r = nb_implies_exists(req, tx);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM implied_roles WHERE prior_role_id = ? AND "
                                 "implied_role_id = ?",
                       "ss", nb_req_param(req, 0), nb_req_param(req, 1));
    r = nb_id_finish(tx, r);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* {"prior_role": ref, "implies": [refs]} for one prior role. */
static json_t *nb_inference(struct nb_req *req, struct nb_tx *tx, const char *prior)
{
    struct nb_stmt *st = NULL;
    json_t *implies = json_array();
    if (nb_tx_query(tx, &st, "SELECT implied_role_id FROM implied_roles WHERE "
                             "prior_role_id = ? ORDER BY implied_role_id", "s", prior) == 0)
        while (nb_stmt_next(st) > 0) {
            json_t *ref = nb_role_ref(req, tx, nb_stmt_text(st, 0));
            if (ref)
                json_array_append_new(implies, ref);
        }
    nb_stmt_done(st);
    return json_pack("{s:o,s:o}", "prior_role", nb_role_ref(req, tx, prior), "implies",
                     implies);
}

int nb_id_implies_list(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    json_t *inf;
    char *self;
    int r = nb_implies_begin(req, "identity:list_implied_roles", false, &tx);
    if (r < 0)
        return r;
    inf = nb_inference(req, tx, nb_req_param(req, 0));
    nb_tx_rollback(tx);
    self = nb_xasprintf("%s/identity/v3/roles/%s/implies", nb_req_base_url(req),
                        nb_req_param(req, 0));
    r = nb_reply_json(req, 200, json_pack("{s:o,s:{s:s}}", "role_inference", inf, "links",
                                          "self", self));
    free(self);
    return r;
}

int nb_id_role_inferences(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    struct nb_sql priors = {0};
    json_t *list = json_array();
    int r = nb_req_enforce(req, "identity:list_role_inference_rules", NULL);
    if (r < 0)
        goto out;
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        goto out;
    r = nb_tx_query(tx, &st, "SELECT DISTINCT prior_role_id FROM implied_roles "
                             "ORDER BY prior_role_id", "");
    while (r == 0 && nb_stmt_next(st) > 0)
        nb_sql_text(&priors, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; r == 0 && i < priors.n; i++)
        json_array_append_new(list, nb_inference(req, tx, priors.args[i].s));
    nb_tx_rollback(tx);
    if (r == 0) {
        r = nb_id_reply_list(req, "role_inferences", list);
        list = NULL;
    }
out:
    json_decref(list);
    nb_sql_free(&priors);
    return r;
}
