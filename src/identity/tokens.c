/* /v3/auth/tokens and the other /v3/auth/ resources. */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

static json_t *nb_named_json(const struct nb_named *n)
{
    return json_pack("{s:s,s:s}", "id", n->id, "name", n->name);
}

static json_t *nb_methods_json(unsigned m)
{
    json_t *a = json_array();
    if (m & NB_AM_PASSWORD)
        json_array_append_new(a, json_string("password"));
    if (m & NB_AM_TOKEN)
        json_array_append_new(a, json_string("token"));
    if (m & NB_AM_APPCRED)
        json_array_append_new(a, json_string("application_credential"));
    return a;
}

/* Adds the trust or application credential a token stands on. */
static void nb_token_delegation(struct nb_tx *tx, const struct nb_token *t, json_t *tok)
{
    struct nb_stmt *st = NULL;
    if (t->trust_id[0] &&
        nb_tx_query(tx, &st, "SELECT trustor_user_id, trustee_user_id, impersonation "
                             "FROM trusts WHERE id = ?", "s", t->trust_id) == 0 &&
        nb_stmt_next(st) > 0)
        json_object_set_new(tok, "OS-TRUST:trust",
                            json_pack("{s:s,s:b,s:{s:s},s:{s:s}}", "id", t->trust_id,
                                      "impersonation", nb_stmt_int(st, 2) != 0,
                                      "trustor_user", "id", nb_stmt_text(st, 0),
                                      "trustee_user", "id", nb_stmt_text(st, 1)));
    nb_stmt_done(st);
    st = NULL;
    if (t->app_cred_id[0] &&
        nb_tx_query(tx, &st, "SELECT name, unrestricted FROM application_credentials "
                             "WHERE id = ?", "s", t->app_cred_id) == 0 &&
        nb_stmt_next(st) > 0) {
        json_t *ac = json_pack("{s:s,s:s,s:b}", "id", t->app_cred_id, "name",
                               nb_stmt_text(st, 0), "restricted", nb_stmt_int(st, 1) == 0);
        json_t *rules = json_array();
        nb_stmt_done(st);
        st = NULL;
        /* a credential limited to some API calls says which */
        if (nb_tx_query(tx, &st, "SELECT r.id, r.service, r.path, r.method FROM "
                                 "access_rules r JOIN application_credential_access_rules a "
                                 "ON a.access_rule_id = r.id WHERE "
                                 "a.application_credential_id = ? ORDER BY r.id",
                        "s", t->app_cred_id) == 0)
            while (nb_stmt_next(st) > 0)
                json_array_append_new(rules, json_pack("{s:s,s:s?,s:s?,s:s?}", "id",
                                                       nb_stmt_text(st, 0), "service",
                                                       nb_stmt_text(st, 1), "path",
                                                       nb_stmt_text(st, 2), "method",
                                                       nb_stmt_text(st, 3)));
        if (json_array_size(rules))
            json_object_set_new(ac, "access_rules", rules);
        else
            json_decref(rules);
        json_object_set_new(tok, "application_credential", ac);
    }
    nb_stmt_done(st);
}

json_t *nb_id_token_render(struct nb_req *req, const struct nb_token *t,
                           const struct nb_caller *c, bool catalog)
{
    char exp[NB_TIME_LEN], iss[NB_TIME_LEN], audit[32], parent[32];
    json_t *tok, *roles = json_array(), *audits = json_array();
    struct nb_tx *tx = NULL;

    nb_time_fmt(t->expires_at, 6, exp);
    nb_time_fmt(t->issued_at, 6, iss);
    nb_token_audit_str(t->audit, audit);
    json_array_append_new(audits, json_string(audit));
    if (t->has_parent) {
        nb_token_audit_str(t->parent_audit, parent);
        json_array_append_new(audits, json_string(parent));
    }
    for (int i = 0; i < c->nroles; i++)
        json_array_append_new(roles, nb_named_json(&c->roles[i]));
    tok = json_pack("{s:o,s:{s:s,s:s,s:o,s:n},s:o,s:s,s:s}", "methods",
                    nb_methods_json(t->methods), "user", "id", c->user.id, "name",
                    c->user.name, "domain", nb_named_json(&c->user_domain),
                    "password_expires_at", "audit_ids", audits, "expires_at", exp,
                    "issued_at", iss);
    switch (t->scope) {
    case NB_SCOPE_PROJECT:
        json_object_set_new(tok, "project",
                            json_pack("{s:s,s:s,s:o}", "id", c->project.id, "name",
                                      c->project.name, "domain",
                                      nb_named_json(&c->project_domain)));
        json_object_set_new(tok, "is_domain", json_false());
        break;
    case NB_SCOPE_DOMAIN:
        json_object_set_new(tok, "domain", nb_named_json(&c->domain));
        break;
    case NB_SCOPE_SYSTEM:
        json_object_set_new(tok, "system", json_pack("{s:b}", "all", 1));
        break;
    case NB_SCOPE_NONE:
        break;
    }
    if (t->scope != NB_SCOPE_NONE)
        json_object_set_new(tok, "roles", roles);
    else
        json_decref(roles);
    /* unscoped tokens carry no catalog */
    catalog = catalog && t->scope != NB_SCOPE_NONE;
    if (t->trust_id[0] || t->app_cred_id[0] || catalog) {
        if (nb_tx_begin(nb_id_db, false, &tx) == 0) {
            nb_token_delegation(tx, t, tok);
            if (catalog)
                json_object_set_new(tok, "catalog",
                                    t->scope == NB_SCOPE_PROJECT
                                        ? nb_id_catalog(tx, t->scope_id, nb_req_base_url(req))
                                        : nb_id_catalog(tx, NULL, nb_req_base_url(req)));
            nb_tx_rollback(tx);
        }
    }
    return json_pack("{s:o}", "token", tok);
}

/* ?nocatalog, as a flag or a true value */
static bool nb_want_catalog(struct nb_req *req)
{
    const char *v = nb_req_query(req, "nocatalog");
    return !v || (*v && !nb_str_is_true(v));
}

int nb_id_token_issue(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *auth = nb_id_body_obj(req, "auth");
    struct nb_auth_result res;
    char *tok = NULL;
    int r;

    if (!auth)
        return -EINVAL;
    r = nb_id_authenticate(ctx, auth, NULL, &res);
    if (r < 0)
        return r;
    r = nb_token_encode(&res.token, &tok);
    if (r < 0)
        return r;
    nb_reply_header(req, "X-Subject-Token", tok);
    free(tok);
    return nb_reply_json(req, 201, nb_id_token_render(req, &res.token, &res.caller,
                                                      nb_want_catalog(req)));
}

/* Validates X-Subject-Token for GET, HEAD and DELETE: 404 when it does not
 * stand; the caller must be allowed to look at it. */
static int nb_subject(struct nb_req *req, const char *rule, struct nb_token *t,
                      struct nb_caller *c)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *subject = nb_req_header(req, "X-Subject-Token");
    const char *ae = nb_req_query(req, "allow_expired");
    json_t *target;
    int r;

    if (!ctx->caller.authenticated)
        return nb_req_enforce(req, rule, NULL);     /* 401 */
    if (!subject) {
        nb_req_policy_done(req);
        return nb_err_set(ctx, 404, "Could not find token: No token in the request.");
    }
    r = nb_auth_validate(ctx, subject, ae && (!*ae || nb_str_is_true(ae)), t, c);
    if (r < 0) {
        /* only who may validate others' tokens learns that it is invalid */
        nb_req_enforce(req, rule, NULL);
        ctx->err_status = 0;
        nb_req_policy_done(req);
        return nb_err_set(ctx, 404, "Failed to validate token");
    }
    target = json_pack("{s:{s:{s:s}}}", "target", "token", "user_id", c->user.id);
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    return r;
}

int nb_id_token_validate(struct nb_req *req)
{
    struct nb_token t;
    struct nb_caller c;
    int r = nb_subject(req, strcmp(nb_req_method(req), "HEAD") == 0
                                ? "identity:check_token" : "identity:validate_token",
                       &t, &c);
    if (r < 0)
        return r;
    nb_reply_header(req, "X-Subject-Token", nb_req_header(req, "X-Subject-Token"));
    if (strcmp(nb_req_method(req), "HEAD") == 0)
        return nb_reply_empty(req, 200);
    return nb_reply_json(req, 200, nb_id_token_render(req, &t, &c, nb_want_catalog(req)));
}

int nb_id_token_revoke(struct nb_req *req)
{
    struct nb_token t;
    struct nb_caller c;
    char audit[32];
    int r = nb_subject(req, "identity:revoke_token", &t, &c);
    if (r < 0)
        return r;
    nb_token_audit_str(t.audit, audit);
    r = nb_revoke_add(NULL, NB_REVOKE_AUDIT, audit);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

int nb_id_auth_catalog(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *cat;
    char *self;
    int r;
    if (!ctx->caller.project.id[0])
        return nb_err_set(ctx, 403, "A project-scoped token is required to produce a "
                                    "service catalog.");
    cat = nb_id_catalog(NULL, ctx->caller.project.id, nb_req_base_url(req));
    self = nb_xasprintf("%s/identity/v3/auth/catalog", nb_req_base_url(req));
    r = nb_reply_json(req, 200, json_pack("{s:o,s:{s:s,s:n,s:n}}", "catalog", cat,
                                          "links", "self", self, "previous", "next"));
    free(self);
    return r;
}

/* Lists the enabled projects or domains the caller's user holds a role on. */
static int nb_auth_targets(struct nb_req *req, const struct nb_id_kind *kind,
                           enum nb_scope scope)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    struct nb_sql ids = {0};
    json_t *list = json_array();
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        goto out;
    r = nb_tx_query(tx, &st, scope == NB_SCOPE_PROJECT
                                 ? "SELECT id FROM projects WHERE enabled = 1 ORDER BY id"
                                 : "SELECT id FROM domains WHERE enabled = 1 ORDER BY id",
                    "");
    while (r == 0 && nb_stmt_next(st) > 0)
        nb_sql_text(&ids, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; r == 0 && i < ids.n; i++) {
        char roles[NB_MAX_ROLES][NB_IDSZ];
        json_t *obj = NULL;
        if (nb_id_effective_roles(tx, ctx->caller.user.id, scope, ids.args[i].s,
                                  roles) <= 0)
            continue;
        if (nb_res_get(ctx, tx, kind->res, ids.args[i].s, &obj) < 0)
            continue;
        if (kind->decorate)
            kind->decorate(tx, obj);
        nb_id_link(req, obj, kind->collection);
        json_array_append_new(list, obj);
    }
    nb_tx_rollback(tx);
    if (r == 0) {
        r = nb_id_reply_list(req, kind->res->plural, list);
        list = NULL;
    }
out:
    json_decref(list);
    nb_sql_free(&ids);
    return r;
}

int nb_id_auth_projects(struct nb_req *req)
{
    return nb_auth_targets(req, &nb_kind_project, NB_SCOPE_PROJECT);
}

int nb_id_auth_domains(struct nb_req *req)
{
    return nb_auth_targets(req, &nb_kind_domain, NB_SCOPE_DOMAIN);
}

int nb_id_auth_system(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    char roles[NB_MAX_ROLES][NB_IDSZ];
    char *self;
    int n, r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    n = nb_id_effective_roles(tx, ctx->caller.user.id, NB_SCOPE_SYSTEM, "system", roles);
    nb_tx_rollback(tx);
    self = nb_xasprintf("%s/identity/v3/auth/system", nb_req_base_url(req));
    r = nb_reply_json(req, 200,
                      json_pack("{s:o,s:{s:s,s:n,s:n}}", "system",
                                n > 0 ? json_pack("[{s:b}]", "all", 1) : json_array(),
                                "links", "self", self, "previous", "next"));
    free(self);
    return r;
}
