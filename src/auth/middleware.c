/* The auth middleware: X-Auth-Token -> the caller of the request. */
#include "auth/auth.h"

#include <string.h>

static nb_caller_resolver nb_resolver;

void nb_auth_set_resolver(nb_caller_resolver fn)
{
    nb_resolver = fn;
}

int nb_auth_validate(struct nb_ctx *ctx, const char *token, bool allow_expired,
                     struct nb_token *t, struct nb_caller *caller)
{
    int r;
    memset(caller, 0, sizeof(*caller));
    if (nb_token_decode(token, t) < 0 || nb_token_check(t, allow_expired) < 0)
        return -EPERM;
    if (!nb_resolver)
        return -EPERM;
    r = nb_resolver(ctx, t, caller);
    if (r < 0)
        return r;
    caller->authenticated = true;
    caller->issued_at = t->issued_at;
    caller->expires_at = t->expires_at;
    caller->methods = t->methods;
    nb_token_audit_str(t->audit, caller->audit_id);
    snprintf(caller->trust_id, sizeof(caller->trust_id), "%s", t->trust_id);
    snprintf(caller->app_cred_id, sizeof(caller->app_cred_id), "%s", t->app_cred_id);
    return 0;
}

int nb_auth_authenticate(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *tok = nb_req_header(req, "X-Auth-Token");
    struct nb_token t;
    int r;

    if (!tok)
        return 0;          /* anonymous: the policy check answers 401 */
    r = nb_auth_validate(ctx, tok, false, &t, &ctx->caller);
    if (r < 0) {
        /* whatever the reason, the client sees one answer */
        memset(&ctx->caller, 0, sizeof(ctx->caller));
        ctx->err_status = 0;
        return nb_err_set(ctx, 401, "The request you have made requires "
                                    "authentication.");
    }
    return 0;
}

int nb_auth_enforce(struct nb_ctx *ctx, const char *rule, const json_t *target)
{
    return nb_policy_enforce(ctx, rule, target);
}
