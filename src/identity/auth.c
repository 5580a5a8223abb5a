/* Authentication for POST /v3/auth/tokens: the password, token and
 * application_credential methods, and the scope (project, domain, system,
 * trust, or none).  api-ref: identity v3, "Password authentication with
 * scoped authorization" and friends. */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

#define NB_UNAUTH "The request you have made requires authentication."

static int nb_unauthorized(struct nb_ctx *ctx)
{
    return nb_err_set(ctx, 401, NB_UNAUTH);
}

/* Finds a user by {"id"} or {"name", "domain": {...}}: id, domain, hash,
 * enabled.  Unknown users, disabled users and disabled domains are all
 * the same 401 to the client. */
struct nb_auth_user {
    char id[NB_IDSZ];
    char domain_id[NB_IDSZ];
    char *hash;
    bool enabled;
    bool found;
};

static int nb_auth_find_user(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *ref,
                             struct nb_auth_user *u)
{
    struct nb_stmt *st = NULL;
    const char *id = nb_json_str(ref, "id"), *name = nb_json_str(ref, "name");
    char dom[NB_IDSZ];
    int r;

    if (!id && !name)
        return nb_err_set(ctx, 400, "Expecting to find id or name in user - the server "
                                    "could not comply with the request since it is "
                                    "either malformed or otherwise incorrect.");
    if (id) {
        r = nb_tx_query(tx, &st, "SELECT u.id, u.domain_id, u.password_hash, "
                                 "u.enabled * d.enabled FROM users u JOIN domains d ON "
                                 "d.id = u.domain_id WHERE u.id = ?", "s", id);
    } else {
        const json_t *d = nb_json_obj(ref, "domain");
        if (!d)
            return nb_err_set(ctx, 400, "Expecting to find domain in user - the server "
                                        "could not comply with the request since it is "
                                        "either malformed or otherwise incorrect.");
        r = nb_id_find_domain(ctx, tx, d, dom);
        if (r < 0)
            return r == -ENOENT ? (ctx->err_status = 0, nb_unauthorized(ctx)) : r;
        r = nb_tx_query(tx, &st, "SELECT u.id, u.domain_id, u.password_hash, "
                                 "u.enabled * d.enabled FROM users u JOIN domains d ON "
                                 "d.id = u.domain_id WHERE u.name = ? AND u.domain_id = ?",
                        "ss", name, dom);
    }
    if (r < 0)
        return r;
    if (nb_stmt_next(st) > 0) {
        u->found = true;
        snprintf(u->id, sizeof(u->id), "%s", nb_stmt_text(st, 0));
        snprintf(u->domain_id, sizeof(u->domain_id), "%s", nb_stmt_text(st, 1));
        u->hash = nb_xstrdup(nb_stmt_text(st, 2));
        u->enabled = nb_stmt_int(st, 3) != 0;
    }
    nb_stmt_done(st);
    return 0;
}

static int nb_auth_password(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *identity,
                            struct nb_token *t)
{
    const json_t *pw = nb_json_obj(identity, "password");
    const json_t *user = pw ? nb_json_obj(pw, "user") : NULL;
    struct nb_auth_user u = {0};
    const char *secret;
    int r;

    if (!user)
        return nb_err_set(ctx, 400, "Expecting to find user in password - the server "
                                    "could not comply with the request since it is "
                                    "either malformed or otherwise incorrect.");
    secret = nb_json_str(user, "password");
    if (json_object_get(user, "password") && !secret)
        return nb_err_set(ctx, 400, "Invalid input for field 'identity/password/user/"
                                    "password': it is not of type 'string'");
    if (!secret)
        return nb_unauthorized(ctx);
    r = nb_auth_find_user(ctx, tx, user, &u);
    if (r < 0)
        return r;
    /* always hash once, so timing does not tell which users exist */
    r = nb_password_verify(u.found ? u.hash : NULL, secret);
    free(u.hash);
    if (r < 0 || !u.found || !u.enabled)
        return nb_unauthorized(ctx);
    snprintf(t->user_id, sizeof(t->user_id), "%s", u.id);
    snprintf(t->user_domain_id, sizeof(t->user_domain_id), "%s", u.domain_id);
    t->methods |= NB_AM_PASSWORD;
    return 0;
}

/* The token method: a valid token stands for its user; the new token
 * keeps its expiry and joins its audit chain. */
static int nb_auth_token(struct nb_ctx *ctx, const json_t *identity, struct nb_token *t,
                         struct nb_token *old)
{
    const json_t *tok = nb_json_obj(identity, "token");
    const char *id = tok ? nb_json_str(tok, "id") : NULL;
    struct nb_caller c;
    int r;

    if (!id)
        return nb_err_set(ctx, 400, "Expecting to find id in token - the server could "
                                    "not comply with the request since it is either "
                                    "malformed or otherwise incorrect.");
    r = nb_auth_validate(ctx, id, false, old, &c);
    if (r < 0) {
        ctx->err_status = 0;
        return nb_unauthorized(ctx);
    }
    /* keystone/auth/plugins/token.py: delegated tokens beget nothing */
    if (old->trust_id[0])
        return nb_err_set(ctx, 403, "Using trust-scoped token to create another token. "
                                    "Create a new trust-scoped token instead.");
    if (old->app_cred_id[0])
        return nb_err_set(ctx, 403, "Using a delegated token to create another token is "
                                    "not allowed.");
    snprintf(t->user_id, sizeof(t->user_id), "%s", old->user_id);
    snprintf(t->user_domain_id, sizeof(t->user_domain_id), "%s", old->user_domain_id);
    t->methods |= old->methods | NB_AM_TOKEN;
    t->expires_at = old->expires_at;
    t->has_parent = true;
    memcpy(t->parent_audit, old->has_parent ? old->parent_audit : old->audit, NB_AUDIT_LEN);
    return 0;
}

/* The application_credential method: the credential's project is the
 * scope, its roles the ceiling. */
static int nb_auth_appcred(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *identity,
                           struct nb_token *t)
{
    const json_t *ac = nb_json_obj(identity, "application_credential");
    const char *id = ac ? nb_json_str(ac, "id") : NULL;
    const char *name = ac ? nb_json_str(ac, "name") : NULL;
    const char *secret = ac ? nb_json_str(ac, "secret") : NULL;
    struct nb_stmt *st = NULL;
    struct nb_auth_user u = {0};
    char *hash = NULL, *proj = NULL;
    int64_t exp = 0;
    bool found = false;
    int r;

    if (!ac || !secret || (!id && !name))
        return nb_err_set(ctx, 400, "Expecting to find id or name, and secret, in "
                                    "application_credential.");
    if (!id) {
        const json_t *user = nb_json_obj(ac, "user");
        if (!user)
            return nb_err_set(ctx, 400, "Expecting to find user in application_credential.");
        r = nb_auth_find_user(ctx, tx, user, &u);
        free(u.hash);
        if (r < 0)
            return r;
        if (!u.found)
            return nb_unauthorized(ctx);
        r = nb_tx_query(tx, &st, "SELECT id, user_id, project_id, secret_hash, "
                                 "coalesce(expires_at, 0) FROM application_credentials "
                                 "WHERE user_id = ? AND name = ?", "ss", u.id, name);
    } else {
        r = nb_tx_query(tx, &st, "SELECT id, user_id, project_id, secret_hash, "
                                 "coalesce(expires_at, 0) FROM application_credentials "
                                 "WHERE id = ?", "s", id);
    }
    if (r < 0)
        return r;
    if (nb_stmt_next(st) > 0) {
        found = true;
        snprintf(t->app_cred_id, sizeof(t->app_cred_id), "%s", nb_stmt_text(st, 0));
        snprintf(t->user_id, sizeof(t->user_id), "%s", nb_stmt_text(st, 1));
        proj = nb_xstrdup(nb_stmt_text(st, 2));
        hash = nb_xstrdup(nb_stmt_text(st, 3));
        exp = nb_stmt_int(st, 4);
    }
    nb_stmt_done(st);
    r = nb_password_verify(found ? hash : NULL, secret);
    free(hash);
    if (r < 0 || !found || (exp && exp <= nb_now_us())) {
        free(proj);
        return nb_unauthorized(ctx);
    }
    {
        json_t *ref = json_pack("{s:s}", "id", t->user_id);
        r = nb_auth_find_user(ctx, tx, ref, &u);
        json_decref(ref);
    }
    free(u.hash);
    if (r < 0 || !u.found || !u.enabled) {
        free(proj);
        return r < 0 ? r : nb_unauthorized(ctx);
    }
    snprintf(t->user_domain_id, sizeof(t->user_domain_id), "%s", u.domain_id);
    t->methods |= NB_AM_APPCRED;
    t->scope = NB_SCOPE_PROJECT;
    snprintf(t->scope_id, sizeof(t->scope_id), "%s", proj);
    if (exp && (!t->expires_at || exp < t->expires_at))
        t->expires_at = exp;
    free(proj);
    return 0;
}

/* Resolves a project reference {"id"} or {"name", "domain"}. */
static int nb_auth_project(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *ref,
                           struct nb_token *t)
{
    const char *id = nb_json_str(ref, "id"), *name = nb_json_str(ref, "name");
    char *found = NULL, *dom = NULL;
    int r;

    if (id) {
        r = nb_tx_query_str(tx, &dom, "SELECT domain_id FROM projects WHERE id = ?", "s", id);
        found = nb_xstrdup(id);
    } else if (name) {
        const json_t *d = nb_json_obj(ref, "domain");
        char did[NB_IDSZ];
        if (!d)
            return nb_err_set(ctx, 400, "Expecting to find domain in project - the "
                                        "server could not comply with the request since "
                                        "it is either malformed or otherwise incorrect.");
        r = nb_id_find_domain(ctx, tx, d, did);
        if (r < 0)
            return r == -ENOENT ? (ctx->err_status = 0, nb_unauthorized(ctx)) : r;
        r = nb_tx_query_str(tx, &found, "SELECT id FROM projects WHERE name = ? AND "
                                        "domain_id = ?", "ss", name, did);
        dom = nb_xstrdup(did);
    } else {
        return nb_err_set(ctx, 400, "Expecting to find id or name in project.");
    }
    if (r == 0) {
        t->scope = NB_SCOPE_PROJECT;
        snprintf(t->scope_id, sizeof(t->scope_id), "%s", found);
        snprintf(t->scope_domain_id, sizeof(t->scope_domain_id), "%s", dom);
    } else if (r == -ENOENT) {
        r = nb_unauthorized(ctx);
    }
    free(found);
    free(dom);
    return r;
}

/* The trust scope: the trustee acts on the trust's project, or as the
 * trustor when the trust impersonates. */
static int nb_auth_trust(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *ref,
                         struct nb_token *t)
{
    const char *id = nb_json_str(ref, "id");
    struct nb_stmt *st = NULL;
    char trustor[NB_IDSZ] = "", trustee[NB_IDSZ] = "", proj[NB_IDSZ] = "";
    int64_t exp = 0, uses = -1;
    bool imp = false, found = false;
    int r;

    if (!id)
        return nb_err_set(ctx, 400, "Expecting to find id in OS-TRUST:trust.");
    if (t->trust_id[0] || t->app_cred_id[0])
        return nb_err_set(ctx, 403, "Cannot create a trust-scoped token from a trust or "
                                    "application credential token.");
    r = nb_tx_query(tx, &st, "SELECT trustor_user_id, trustee_user_id, "
                             "coalesce(project_id, ''), impersonation, "
                             "coalesce(expires_at, 0), coalesce(remaining_uses, -1) "
                             "FROM trusts WHERE id = ?", "s", id);
    if (r < 0)
        return r;
    if (nb_stmt_next(st) > 0) {
        found = true;
        snprintf(trustor, sizeof(trustor), "%s", nb_stmt_text(st, 0));
        snprintf(trustee, sizeof(trustee), "%s", nb_stmt_text(st, 1));
        snprintf(proj, sizeof(proj), "%s", nb_stmt_text(st, 2));
        imp = nb_stmt_int(st, 3) != 0;
        exp = nb_stmt_int(st, 4);
        uses = nb_stmt_int(st, 5);
    }
    nb_stmt_done(st);
    if (!found)           /* authenticate_for_token: TrustNotFound -> 401 */
        return nb_err_set(ctx, 401, "Could not find trust: %s.", id);
    if (strcmp(trustee, t->user_id) != 0)
        return nb_err_set(ctx, 403, "User %s is not a trustee.", t->user_id);
    if (exp && exp <= nb_now_us())
        return nb_err_set(ctx, 401, "Trust %s has expired.", id);
    if (uses == 0)
        return nb_err_set(ctx, 401, "Trust %s has no remaining uses.", id);
    if (uses > 0) {
        /* spent in a short write of its own; the condition makes two
         * concurrent uses of the last one fail one of them */
        struct nb_tx *wtx = NULL;
        int changed = 0;
        r = nb_tx_begin(nb_id_db, true, &wtx);
        if (r == 0)
            r = nb_tx_exec(wtx, &changed, "UPDATE trusts SET remaining_uses = "
                                          "remaining_uses - 1 WHERE id = ? AND "
                                          "remaining_uses > 0", "s", id);
        if (r == 0 && !changed)
            r = nb_err_set(ctx, 401, "Trust %s has no remaining uses.", id);
        r = r < 0 ? (nb_tx_rollback(wtx), r) : nb_tx_commit(wtx);
        if (r < 0)
            return r;
    }
    if (imp) {
        char *dom = NULL;
        snprintf(t->user_id, sizeof(t->user_id), "%s", trustor);
        if (nb_tx_query_str(tx, &dom, "SELECT domain_id FROM users WHERE id = ?", "s",
                            trustor) == 0)
            snprintf(t->user_domain_id, sizeof(t->user_domain_id), "%s", dom);
        free(dom);
    }
    snprintf(t->trust_id, sizeof(t->trust_id), "%s", id);
    if (proj[0]) {
        json_t *pref = json_pack("{s:s}", "id", proj);
        r = nb_auth_project(ctx, tx, pref, t);
        json_decref(pref);
        if (r < 0)
            return r;
    }
    if (exp && exp < t->expires_at)
        t->expires_at = exp;
    return 0;
}

static int nb_auth_scope(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *scope,
                         struct nb_token *t, bool rescoping)
{
    const json_t *ref;
    char did[NB_IDSZ];
    int r;

    if (json_is_string(scope) && strcmp(json_string_value(scope), "unscoped") == 0)
        return 0;
    if (!json_is_object(scope))
        return nb_err_set(ctx, 400, "Invalid input for field 'scope'.");
    if (t->app_cred_id[0])    /* the credential fixes the scope */
        return nb_err_set(ctx, 401, "Application credentials cannot request a scope.");
    if (rescoping && !nb_conf_bool("token", "allow_rescope_scoped_token"))
        return nb_err_set(ctx, 403, "Rescoping a scoped token is not allowed.");
    if ((ref = nb_json_obj(scope, "project")))
        return nb_auth_project(ctx, tx, ref, t);
    if ((ref = nb_json_obj(scope, "domain"))) {
        r = nb_id_find_domain(ctx, tx, ref, did);
        if (r < 0)
            return r == -ENOENT || r == -EPERM ? (ctx->err_status = 0, nb_unauthorized(ctx))
                                               : r;
        t->scope = NB_SCOPE_DOMAIN;
        snprintf(t->scope_id, sizeof(t->scope_id), "%s", did);
        return 0;
    }
    if ((ref = nb_json_obj(scope, "system"))) {
        if (!json_is_true(json_object_get(ref, "all")))
            return nb_err_set(ctx, 400, "Invalid input for field 'scope/system'.");
        t->scope = NB_SCOPE_SYSTEM;
        return 0;
    }
    if ((ref = nb_json_obj(scope, "OS-TRUST:trust")))
        return nb_auth_trust(ctx, tx, ref, t);
    return nb_err_set(ctx, 400, "Invalid input for field 'scope': expecting project, "
                                "domain, system or OS-TRUST:trust.");
}

/* With no scope, Keystone scopes to the user's default project when the
 * user holds a role there. */
static void nb_auth_default_project(struct nb_tx *tx, struct nb_token *t)
{
    char *proj = NULL, ids[NB_MAX_ROLES][NB_IDSZ];
    if (nb_tx_query_str(tx, &proj, "SELECT p.id FROM users u JOIN projects p ON "
                                   "p.id = u.default_project_id WHERE u.id = ? AND "
                                   "p.enabled = 1", "s", t->user_id) == 0 &&
        nb_id_effective_roles(tx, t->user_id, NB_SCOPE_PROJECT, proj, ids) > 0) {
        t->scope = NB_SCOPE_PROJECT;
        snprintf(t->scope_id, sizeof(t->scope_id), "%s", proj);
    }
    free(proj);
}

int nb_id_authenticate(struct nb_ctx *ctx, const json_t *auth, const char *subject,
                       struct nb_auth_result *out)
{
    const json_t *identity = nb_json_obj(auth, "identity"), *methods, *m, *scope;
    struct nb_token *t = &out->token, old = {0};
    struct nb_tx *tx = NULL;
    size_t i;
    int r;
    (void)subject;

    memset(out, 0, sizeof(*out));
    if (!identity)
        return nb_err_set(ctx, 400, "'identity' is a required property");
    methods = nb_json_arr(identity, "methods");
    if (!methods || !json_array_size(methods))
        return nb_err_set(ctx, 400, "Invalid input for field 'identity/methods': "
                                    "'methods' is a required property");
    /* a read transaction: password hashing must not hold the write lock */
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    json_array_foreach(methods, i, m) {
        const char *name = json_string_value(m);
        char prev[NB_IDSZ];
        snprintf(prev, sizeof(prev), "%s", t->user_id);
        if (!name)
            r = nb_err_set(ctx, 400, "Invalid input for field 'identity/methods'.");
        else if (strcmp(name, "password") == 0)
            r = nb_auth_password(ctx, tx, identity, t);
        else if (strcmp(name, "token") == 0)
            r = nb_auth_token(ctx, identity, t, &old);
        else if (strcmp(name, "application_credential") == 0)
            r = nb_auth_appcred(ctx, tx, identity, t);
        else
            r = nb_err_set(ctx, 401, "Attempted to authenticate with an unsupported "
                                     "method.");
        if (r == 0 && prev[0] && strcmp(prev, t->user_id) != 0)
            r = nb_err_set(ctx, 401, "User IDs do not match");
        if (r < 0)
            goto out;
    }
    if (!t->expires_at)
        t->expires_at = nb_now_us() + nb_conf_int("token", "expiration") * 1000000;
    t->issued_at = nb_now_us();
    nb_random_bytes(t->audit, NB_AUDIT_LEN);

    scope = json_object_get(auth, "scope");
    if (scope && old.scope == NB_SCOPE_SYSTEM && !json_is_string(scope) &&
        (nb_json_obj(scope, "project") || nb_json_obj(scope, "domain"))) {
        r = nb_err_set(ctx, 403, "Using a system-scoped token to create a project-scoped "
                                 "or domain-scoped token is not allowed.");
        goto out;
    }
    if (scope) {
        r = nb_auth_scope(ctx, tx, scope, t, old.scope != NB_SCOPE_NONE &&
                                                 (t->methods & NB_AM_TOKEN));
        if (r < 0)
            goto out;
    } else if (!t->app_cred_id[0]) {
        nb_auth_default_project(tx, t);
    }
    if (t->scope == NB_SCOPE_PROJECT && !t->scope_domain_id[0]) {
        char *dom = NULL;
        if (nb_tx_query_str(tx, &dom, "SELECT domain_id FROM projects WHERE id = ?", "s",
                            t->scope_id) == 0)
            snprintf(t->scope_domain_id, sizeof(t->scope_domain_id), "%s", dom);
        free(dom);
    }
    nb_tx_rollback(tx);
    tx = NULL;
    /* the scope must hold: enabled project/domain, and roles on it */
    r = nb_id_resolve_caller(ctx, t, &out->caller);
    if (r < 0)
        r = nb_err_set(ctx, 401, NB_UNAUTH);
    else
        out->caller.authenticated = true;
out:
    nb_tx_rollback(tx);
    return r;
}
