/* Keystone v3 over HTTP: the route table (the whole API surface on one
 * screen), version discovery, rendering helpers, and the generic CRUD
 * handlers that serve most entities from their descriptors. */
#include "identity/internal.h"
#include "identity/grants.h"

#include <stdlib.h>
#include <string.h>

#define IN_HANDLER NB_POLICY_IN_HANDLER
#define PUB NB_ROUTE_PUBLIC

/* CRUD routes of one kind: list, create, get, update, delete. */
#define CRUD(coll, item, kind)                                                \
    {"GET", coll, nb_id_crud_list, IN_HANDLER, 0, NULL, NULL, &kind},         \
    {"POST", coll, nb_id_crud_create, IN_HANDLER, 0, NULL, NULL, &kind},      \
    {"GET", item, nb_id_crud_get, IN_HANDLER, 0, NULL, NULL, &kind},          \
    {"PATCH", item, nb_id_crud_update, IN_HANDLER, 0, NULL, NULL, &kind},     \
    {"DELETE", item, nb_id_crud_delete, IN_HANDLER, 0, NULL, NULL, &kind}

/* Grant routes: list, put, check, delete on one assignment path. */
#define GRANTS(list, item, g)                                                 \
    {"GET", list, nb_id_grant_list, IN_HANDLER, 0, NULL, NULL, &g},           \
    {"PUT", item, nb_id_grant_put, IN_HANDLER, 0, NULL, NULL, &g},            \
    {"HEAD", item, nb_id_grant_check, IN_HANDLER, 0, NULL, NULL, &g},         \
    {"GET", item, nb_id_grant_check, IN_HANDLER, 0, NULL, NULL, &g},          \
    {"DELETE", item, nb_id_grant_delete, IN_HANDLER, 0, NULL, NULL, &g}

#define H(m, p, fn) {m, p, fn, IN_HANDLER, 0, NULL, NULL, NULL}
#define HP(m, p, fn, rule) {m, p, fn, rule, 0, NULL, NULL, NULL}

static const struct nb_route nb_identity_routes[] = {
    {"GET", "/", nb_id_versions, NULL, PUB, NULL, NULL, NULL},
    {"GET", "/v3", nb_id_version_v3, NULL, PUB, NULL, NULL, NULL},

    /* tokens */
    {"POST", "/v3/auth/tokens", nb_id_token_issue, NULL, PUB, NULL, NULL, NULL},
    H("GET", "/v3/auth/tokens", nb_id_token_validate),
    H("HEAD", "/v3/auth/tokens", nb_id_token_validate),
    H("DELETE", "/v3/auth/tokens", nb_id_token_revoke),
    HP("GET", "/v3/auth/catalog", nb_id_auth_catalog, "identity:get_auth_catalog"),
    HP("GET", "/v3/auth/projects", nb_id_auth_projects, "identity:get_auth_projects"),
    HP("GET", "/v3/auth/domains", nb_id_auth_domains, "identity:get_auth_domains"),
    HP("GET", "/v3/auth/system", nb_id_auth_system, "identity:get_auth_system"),

    /* domains, with their configuration */
    CRUD("/v3/domains", "/v3/domains/{domain_id}", nb_kind_domain),
    HP("GET", "/v3/domains/config/default", nb_id_domain_config_default,
       "identity:get_domain_config_default"),
    HP("GET", "/v3/domains/config/{group}/default", nb_id_domain_config_default,
       "identity:get_domain_config_default"),
    HP("GET", "/v3/domains/config/{group}/{option}/default",
       nb_id_domain_config_default, "identity:get_domain_config_default"),
    H("GET", "/v3/domains/{domain_id}/config", nb_id_domain_config_get),
    HP("PUT", "/v3/domains/{domain_id}/config", nb_id_domain_config_put,
       "identity:create_domain_config"),
    HP("PATCH", "/v3/domains/{domain_id}/config", nb_id_domain_config_patch,
       "identity:update_domain_config"),
    HP("DELETE", "/v3/domains/{domain_id}/config", nb_id_domain_config_delete,
       "identity:delete_domain_config"),
    H("GET", "/v3/domains/{domain_id}/config/{group}", nb_id_domain_config_get),
    HP("PATCH", "/v3/domains/{domain_id}/config/{group}",
       nb_id_domain_config_patch, "identity:update_domain_config"),
    HP("DELETE", "/v3/domains/{domain_id}/config/{group}",
       nb_id_domain_config_delete, "identity:delete_domain_config"),
    H("GET", "/v3/domains/{domain_id}/config/{group}/{option}",
      nb_id_domain_config_get),
    HP("PATCH", "/v3/domains/{domain_id}/config/{group}/{option}",
       nb_id_domain_config_patch, "identity:update_domain_config"),
    HP("DELETE", "/v3/domains/{domain_id}/config/{group}/{option}",
       nb_id_domain_config_delete, "identity:delete_domain_config"),

    /* projects and tags */
    CRUD("/v3/projects", "/v3/projects/{project_id}", nb_kind_project),
    H("GET", "/v3/projects/{project_id}/tags", nb_id_project_tags_list),
    H("PUT", "/v3/projects/{project_id}/tags", nb_id_project_tags_replace),
    H("DELETE", "/v3/projects/{project_id}/tags", nb_id_project_tags_clear),
    H("GET", "/v3/projects/{project_id}/tags/{tag}", nb_id_project_tag_check),
    H("PUT", "/v3/projects/{project_id}/tags/{tag}", nb_id_project_tag_add),
    H("DELETE", "/v3/projects/{project_id}/tags/{tag}", nb_id_project_tag_delete),

    /* users */
    CRUD("/v3/users", "/v3/users/{user_id}", nb_kind_user),
    /* no token: the original password authenticates the change */
    {"POST", "/v3/users/{user_id}/password", nb_id_user_password, NULL, PUB, NULL, NULL,
     NULL},
    H("GET", "/v3/users/{user_id}/groups", nb_id_user_groups),
    H("GET", "/v3/users/{user_id}/projects", nb_id_user_projects),
    H("GET", "/v3/users/{user_id}/application_credentials", nb_id_appcred_list),
    H("POST", "/v3/users/{user_id}/application_credentials", nb_id_appcred_create),
    H("GET", "/v3/users/{user_id}/application_credentials/{id}", nb_id_appcred_get),
    H("DELETE", "/v3/users/{user_id}/application_credentials/{id}",
      nb_id_appcred_delete),
    H("GET", "/v3/users/{user_id}/access_rules", nb_id_access_rule_list),
    H("GET", "/v3/users/{user_id}/access_rules/{id}", nb_id_access_rule_get),
    H("DELETE", "/v3/users/{user_id}/access_rules/{id}", nb_id_access_rule_delete),
    H("GET", "/v3/users/{user_id}/credentials/OS-EC2", nb_id_ec2_list),
    H("POST", "/v3/users/{user_id}/credentials/OS-EC2", nb_id_ec2_create),
    H("GET", "/v3/users/{user_id}/credentials/OS-EC2/{access}", nb_id_ec2_get),
    H("DELETE", "/v3/users/{user_id}/credentials/OS-EC2/{access}", nb_id_ec2_delete),

    /* groups */
    CRUD("/v3/groups", "/v3/groups/{group_id}", nb_kind_group),
    H("GET", "/v3/groups/{group_id}/users", nb_id_group_users),
    H("PUT", "/v3/groups/{group_id}/users/{user_id}", nb_id_group_member_add),
    H("HEAD", "/v3/groups/{group_id}/users/{user_id}", nb_id_group_member_check),
    H("GET", "/v3/groups/{group_id}/users/{user_id}", nb_id_group_member_check),
    H("DELETE", "/v3/groups/{group_id}/users/{user_id}", nb_id_group_member_remove),

    /* roles, implied roles, assignments */
    CRUD("/v3/roles", "/v3/roles/{role_id}", nb_kind_role),
    H("GET", "/v3/roles/{role_id}/implies", nb_id_implies_list),
    H("PUT", "/v3/roles/{role_id}/implies/{implied_id}", nb_id_implies_create),
    H("GET", "/v3/roles/{role_id}/implies/{implied_id}", nb_id_implies_get),
    H("HEAD", "/v3/roles/{role_id}/implies/{implied_id}", nb_id_implies_check),
    H("DELETE", "/v3/roles/{role_id}/implies/{implied_id}", nb_id_implies_delete),
    H("GET", "/v3/role_inferences", nb_id_role_inferences),
    H("GET", "/v3/role_assignments", nb_id_role_assignments),
    GRANTS("/v3/projects/{t}/users/{a}/roles", "/v3/projects/{t}/users/{a}/roles/{r}",
           nb_grant_user_project),
    GRANTS("/v3/projects/{t}/groups/{a}/roles", "/v3/projects/{t}/groups/{a}/roles/{r}",
           nb_grant_group_project),
    GRANTS("/v3/domains/{t}/users/{a}/roles", "/v3/domains/{t}/users/{a}/roles/{r}",
           nb_grant_user_domain),
    GRANTS("/v3/domains/{t}/groups/{a}/roles", "/v3/domains/{t}/groups/{a}/roles/{r}",
           nb_grant_group_domain),
    GRANTS("/v3/system/users/{a}/roles", "/v3/system/users/{a}/roles/{r}",
           nb_grant_user_system),
    GRANTS("/v3/system/groups/{a}/roles", "/v3/system/groups/{a}/roles/{r}",
           nb_grant_group_system),
    GRANTS("/v3/OS-INHERIT/domains/{t}/users/{a}/roles/inherited_to_projects",
           "/v3/OS-INHERIT/domains/{t}/users/{a}/roles/{r}/inherited_to_projects",
           nb_grant_user_domain_inh),
    GRANTS("/v3/OS-INHERIT/domains/{t}/groups/{a}/roles/inherited_to_projects",
           "/v3/OS-INHERIT/domains/{t}/groups/{a}/roles/{r}/inherited_to_projects",
           nb_grant_group_domain_inh),
    GRANTS("/v3/OS-INHERIT/projects/{t}/users/{a}/roles/inherited_to_projects",
           "/v3/OS-INHERIT/projects/{t}/users/{a}/roles/{r}/inherited_to_projects",
           nb_grant_user_project_inh),
    GRANTS("/v3/OS-INHERIT/projects/{t}/groups/{a}/roles/inherited_to_projects",
           "/v3/OS-INHERIT/projects/{t}/groups/{a}/roles/{r}/inherited_to_projects",
           nb_grant_group_project_inh),

    /* the catalog */
    CRUD("/v3/regions", "/v3/regions/{region_id}", nb_kind_region),
    {"PUT", "/v3/regions/{region_id}", nb_id_region_put, IN_HANDLER, 0, NULL, NULL,
     &nb_kind_region},
    CRUD("/v3/services", "/v3/services/{service_id}", nb_kind_service),
    CRUD("/v3/endpoints", "/v3/endpoints/{endpoint_id}", nb_kind_endpoint),
    CRUD("/v3/OS-EP-FILTER/endpoint_groups", "/v3/OS-EP-FILTER/endpoint_groups/{id}",
         nb_kind_endpoint_group),
    HP("GET", "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects", nb_id_epg_projects,
       "identity:manage_project_endpoints"),
    HP("PUT", "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
       nb_id_epg_project_put, "identity:manage_project_endpoints"),
    HP("GET", "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
       nb_id_epg_project_check, "identity:manage_project_endpoints"),
    HP("HEAD", "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
       nb_id_epg_project_check, "identity:manage_project_endpoints"),
    HP("DELETE", "/v3/OS-EP-FILTER/endpoint_groups/{id}/projects/{project_id}",
       nb_id_epg_project_delete, "identity:manage_project_endpoints"),
    HP("GET", "/v3/OS-EP-FILTER/endpoint_groups/{id}/endpoints", nb_id_epg_endpoints,
       "identity:manage_project_endpoints"),
    HP("GET", "/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups",
       nb_id_project_epgs, "identity:manage_project_endpoints"),
    HP("GET", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints",
       nb_id_project_endpoints, "identity:manage_project_endpoints"),
    HP("PUT", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
       nb_id_project_endpoint_put, "identity:manage_project_endpoints"),
    HP("HEAD", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
       nb_id_project_endpoint_check, "identity:manage_project_endpoints"),
    HP("GET", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
       nb_id_project_endpoint_check, "identity:manage_project_endpoints"),
    HP("DELETE", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}",
       nb_id_project_endpoint_delete, "identity:manage_project_endpoints"),
    HP("GET", "/v3/OS-EP-FILTER/endpoints/{endpoint_id}/projects",
       nb_id_endpoint_projects, "identity:manage_project_endpoints"),

    /* policies, credentials, OAuth1 consumers */
    CRUD("/v3/policies", "/v3/policies/{policy_id}", nb_kind_policy),
    CRUD("/v3/credentials", "/v3/credentials/{credential_id}", nb_kind_credential),
    CRUD("/v3/OS-OAUTH1/consumers", "/v3/OS-OAUTH1/consumers/{consumer_id}",
         nb_kind_consumer),

    /* trusts */
    H("GET", "/v3/OS-TRUST/trusts", nb_id_trust_list),
    H("POST", "/v3/OS-TRUST/trusts", nb_id_trust_create),
    H("GET", "/v3/OS-TRUST/trusts/{trust_id}", nb_id_trust_get),
    H("DELETE", "/v3/OS-TRUST/trusts/{trust_id}", nb_id_trust_delete),
    H("GET", "/v3/OS-TRUST/trusts/{trust_id}/roles", nb_id_trust_roles),
    H("GET", "/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", nb_id_trust_role_get),
    H("HEAD", "/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", nb_id_trust_role_get),

    /* unified limits */
    HP("GET", "/v3/limits/model", nb_id_limit_model, "identity:get_limit_model"),
    {"GET", "/v3/registered_limits", nb_id_crud_list, IN_HANDLER, 0, NULL, NULL,
     &nb_kind_registered_limit},
    HP("POST", "/v3/registered_limits", nb_id_registered_limits_create,
       "identity:create_registered_limits"),
    {"GET", "/v3/registered_limits/{id}", nb_id_crud_get, IN_HANDLER, 0, NULL, NULL,
     &nb_kind_registered_limit},
    {"PATCH", "/v3/registered_limits/{id}", nb_id_crud_update, IN_HANDLER, 0, NULL,
     NULL, &nb_kind_registered_limit},
    {"DELETE", "/v3/registered_limits/{id}", nb_id_crud_delete, IN_HANDLER, 0, NULL,
     NULL, &nb_kind_registered_limit},
    {"GET", "/v3/limits", nb_id_crud_list, IN_HANDLER, 0, NULL, NULL, &nb_kind_limit},
    HP("POST", "/v3/limits", nb_id_limits_create, "identity:create_limits"),
    {"GET", "/v3/limits/{id}", nb_id_crud_get, IN_HANDLER, 0, NULL, NULL, &nb_kind_limit},
    {"PATCH", "/v3/limits/{id}", nb_id_crud_update, IN_HANDLER, 0, NULL, NULL,
     &nb_kind_limit},
    {"DELETE", "/v3/limits/{id}", nb_id_crud_delete, IN_HANDLER, 0, NULL, NULL,
     &nb_kind_limit},
};

static json_t *nb_id_render_error(int status, const char *title, const char *msg)
{
    return json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status, "title", title,
                     "message", msg);
}

static const char *const nb_identity_headers[] = {"Vary", "X-Auth-Token", NULL};

const struct nb_service nb_identity_service = {
    .name = "identity",
    .prefix = "/identity",
    .routes = nb_identity_routes,
    .nroutes = NB_ARRAY_SIZE(nb_identity_routes),
    .render_error = nb_id_render_error,
    .headers = nb_identity_headers,
    .bad_content_type_status = 400,
};

/* ---- version discovery (api-ref: "Version API") */

static json_t *nb_id_version_doc(struct nb_req *req)
{
    char *href = nb_xasprintf("%s/identity/v3/", nb_req_base_url(req));
    json_t *v = json_pack(
        "{s:s,s:s,s:s,s:[{s:s,s:s}],s:[{s:s,s:s}]}", "id", "v3.14", "status",
        "stable", "updated", "2020-04-07T00:00:00Z", "links", "rel", "self",
        "href", href, "media-types", "base", "application/json", "type",
        "application/vnd.openstack.identity-v3+json");
    free(href);
    return v;
}

int nb_id_versions(struct nb_req *req)
{
    char *v3 = nb_xasprintf("%s/identity/v3/", nb_req_base_url(req));
    nb_reply_header(req, "Location", v3);
    free(v3);
    return nb_reply_json(req, 300, json_pack("{s:{s:[o]}}", "versions", "values",
                                             nb_id_version_doc(req)));
}

int nb_id_version_v3(struct nb_req *req)
{
    return nb_reply_json(req, 200, json_pack("{s:o}", "version", nb_id_version_doc(req)));
}

/* ---- rendering helpers */

void nb_id_link(struct nb_req *req, json_t *obj, const char *collection)
{
    const char *id = nb_json_str(obj, "id");
    char *self = nb_xasprintf("%s/identity%s/%s", nb_req_base_url(req), collection,
                              id ? id : "");
    json_object_set_new(obj, "links", json_pack("{s:s}", "self", self));
    free(self);
}

int nb_id_reply_list_truncated(struct nb_req *req, const char *plural, json_t *list,
                               bool truncated)
{
    char *query = nb_req_query_string(req);
    char *self = nb_xasprintf("%s/identity%s%s%s", nb_req_base_url(req), nb_req_path(req),
                              *query ? "?" : "", query);
    json_t *body = json_pack("{s:o,s:{s:s,s:n,s:n}}", plural, list, "links", "self",
                             self, "previous", "next");
    free(query);
    free(self);
    if (truncated)
        json_object_set_new(body, "truncated", json_true());
    return nb_reply_json(req, 200, body);
}

int nb_id_reply_list(struct nb_req *req, const char *plural, json_t *list)
{
    return nb_id_reply_list_truncated(req, plural, list, false);
}

int nb_id_reply_entity(struct nb_req *req, int status, const char *singular,
                       const char *collection, json_t *obj)
{
    nb_id_link(req, obj, collection);
    return nb_reply_json(req, status, json_pack("{s:o}", singular, obj));
}

const json_t *nb_id_body_obj(struct nb_req *req, const char *key)
{
    json_t *body = nb_req_json(req);
    const json_t *obj;
    if (!body)
        return NULL;
    obj = json_object_get(body, key);
    if (!obj) {
        nb_req_err(req, 400, "'%s' is a required property", key);
        return NULL;
    }
    if (!json_is_object(obj)) {
        nb_req_err(req, 400, "Invalid input for field '%s': it is not of type "
                             "'object'", key);
        return NULL;
    }
    return obj;
}

json_t *nb_id_target(const char *name, const json_t *obj)
{
    return json_pack("{s:{s:O}}", "target", name, obj ? obj : json_null());
}

int nb_id_finish(struct nb_tx *tx, int r)
{
    if (r < 0) {
        nb_tx_rollback(tx);
        return r;
    }
    r = nb_tx_commit(tx);
    if (r == 0)
        nb_id_cache_bump();
    return r;
}

/* ---- lookups */

static int nb_id_exists(struct nb_ctx *ctx, struct nb_tx *tx,
                        const struct nb_resource *res, const char *id)
{
    int64_t n = 0;
    char *sql = nb_xasprintf("SELECT count(*) FROM %s WHERE id = ?", res->table);
    int r = nb_tx_query_int(tx, &n, sql, "s", id ? id : "");
    free(sql);
    if (r == 0 && n == 0)
        r = nb_err_set(ctx, 404, "Could not find %s: %s.", res->singular, id);
    return r;
}

int nb_id_domain_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id)
{
    return nb_id_exists(ctx, tx, &nb_res_domain, id);
}

int nb_id_project_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id)
{
    return nb_id_exists(ctx, tx, &nb_res_project, id);
}

int nb_id_user_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id)
{
    return nb_id_exists(ctx, tx, &nb_res_user, id);
}

int nb_id_group_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id)
{
    return nb_id_exists(ctx, tx, &nb_res_group, id);
}

int nb_id_role_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id)
{
    return nb_id_exists(ctx, tx, &nb_res_role, id);
}

int nb_id_find_domain(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *ref,
                      char id[NB_IDSZ])
{
    const char *v;
    char *found = NULL;
    int r;

    if ((v = nb_json_str(ref, "id"))) {
        r = nb_id_domain_exists(ctx, tx, v);
        if (r == 0)
            snprintf(id, NB_IDSZ, "%s", v);
        return r;
    }
    if (!(v = nb_json_str(ref, "name")))
        return nb_err_set(ctx, 400, "Expecting to find id or name in domain.");
    r = nb_tx_query_str(tx, &found, "SELECT id FROM domains WHERE name = ?", "s", v);
    if (r == -ENOENT)
        return nb_err_set(ctx, 401, "Could not find domain: %s.", v);
    if (r == 0)
        snprintf(id, NB_IDSZ, "%s", found);
    free(found);
    return r;
}

int nb_id_check_user_limit(struct nb_ctx *ctx, struct nb_tx *tx, const char *table,
                           const char *user_id, const char *option, const char *what)
{
    long limit = nb_conf_int("identity", option);
    int64_t n = 0;
    char *sql;
    int r;
    if (limit < 0)
        return 0;
    sql = nb_xasprintf("SELECT count(*) FROM %s WHERE user_id = ?", table);
    r = nb_tx_query_int(tx, &n, sql, "s", user_id);
    free(sql);
    if (r == 0 && n >= limit)
        r = nb_err_set(ctx, 403, "Unable to create additional %s, maximum of %ld already "
                                 "exceeded for user.", what, limit);
    return r;
}

/* The domain new entities go to when the body names none: the caller's
 * domain scope, else its project's domain, else the default domain. */
const char *nb_id_default_domain(const struct nb_ctx *ctx)
{
    if (ctx->caller.domain.id[0])
        return ctx->caller.domain.id;
    if (ctx->caller.project_domain.id[0])
        return ctx->caller.project_domain.id;
    return NB_DEFAULT_DOMAIN;
}

/* Fills obj.domain_id when absent and checks that the domain exists. */
int nb_id_prepare_domain(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj)
{
    const char *d = nb_json_str(obj, "domain_id");
    if (!d) {
        d = nb_id_default_domain(ctx);
        json_object_set_new(obj, "domain_id", json_string(d));
    }
    return nb_id_domain_exists(ctx, tx, d);
}

/* ---- shared helpers for the other handler files */

/* A string field of 1..'max' characters, all in 'charset' (NULL: any)
 * and, when 'nonspace', not only white space. */
static int nb_id_check_str(struct nb_ctx *ctx, const char *field, const json_t *v,
                           size_t max, const char *charset, bool nonspace)
{
    const char *s;
    if (!json_is_string(v))
        return nb_err_invalid(ctx, field, v, "is not of type 'string'");
    s = json_string_value(v);
    if (!*s)
        return nb_err_invalid(ctx, field, v, "is too short");
    if (strlen(s) > max)
        return nb_err_invalid(ctx, field, v, "is too long");
    if (charset && strspn(s, charset) != strlen(s))
        return nb_err_invalid(ctx, field, v, "does not match '^[a-zA-Z0-9-]+$'");
    if (nonspace && strspn(s, " \t\r\n\f\v") == strlen(s))
        return nb_err_invalid(ctx, field, v, "does not match '[\\S]+'");
    return 0;
}

int nb_id_check_role_refs(struct nb_ctx *ctx, const json_t *roles)
{
    const json_t *v, *x;
    size_t i;
    int r = 0;

    if (!json_is_array(roles))
        return nb_err_invalid(ctx, "roles", roles, "is not of type 'array'");
    json_array_foreach(roles, i, v) {
        char field[40];
        snprintf(field, sizeof(field), "roles/%zu", i);
        if (!json_is_object(v))
            return nb_err_invalid(ctx, field, v, "is not of type 'object'");
        if (json_object_size(v) != 1)
            return nb_err_invalid(ctx, field, v, json_object_size(v)
                                                    ? "has too many properties"
                                                    : "does not have enough properties");
        if ((x = json_object_get(v, "id"))) {
            snprintf(field, sizeof(field), "roles/%zu/id", i);
            r = nb_id_check_str(ctx, field, x, 64, "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", false);
        } else if ((x = json_object_get(v, "name"))) {
            snprintf(field, sizeof(field), "roles/%zu/name", i);
            r = nb_id_check_str(ctx, field, x, 255, NULL, true);
        } else {
            r = nb_err_set(ctx, 400, "Invalid input for field '%s': Additional properties "
                                     "are not allowed ('%s' was unexpected)", field,
                           json_object_iter_key(json_object_iter((json_t *)v)));
        }
        if (r < 0)
            return r;
    }
    return 0;
}

int nb_id_parse_expiry(struct nb_ctx *ctx, const char *s, int64_t *us)
{
    size_t n = strlen(s);
    char *z = n && (s[n - 1] == 'Z' || s[n - 1] == 'z') ? nb_xstrdup(s)
                                                         : nb_xasprintf("%sZ", s);
    int r = nb_time_parse(z, us);
    free(z);
    if (r < 0)
        return nb_err_set(ctx, 400, "Timestamp not in expected format. The server could "
                                    "not comply with the request since it is either "
                                    "malformed or otherwise incorrect. The client is "
                                    "assumed to be in error.");
    if (*us < nb_now_us())
        return nb_err_set(ctx, 400, "The 'expires_at' must not be before now. The server "
                                    "could not comply with the request since it is either "
                                    "malformed or otherwise incorrect. The client is "
                                    "assumed to be in error.");
    return 0;
}

/* Lists 'kind' in 'tx' with 'opts', decorated and linked, and replies.
 * With [identity] list_limit, at most that many are listed and the reply
 * says "truncated": true when there were more, as Keystone does. */
static int nb_id_list_reply(struct nb_req *req, struct nb_tx *tx,
                            const struct nb_id_kind *kind, const struct nb_list_opts *opts)
{
    struct nb_list_opts lim = *opts;
    long max = nb_conf_int("identity", "list_limit");
    bool truncated = false;
    json_t *list = NULL, *v;
    size_t i;
    int r;

    if (max > 0)
        lim.limit = max + 1;
    r = nb_res_list(nb_req_ctx(req), tx, kind->res, &lim, &list);
    if (r < 0)
        return r;
    if (max > 0 && json_array_size(list) > (size_t)max) {
        json_array_remove(list, (size_t)max);
        truncated = true;
    }
    json_array_foreach(list, i, v) {
        if (kind->decorate)
            kind->decorate(tx, v);
        nb_id_link(req, v, kind->collection);
    }
    return nb_id_reply_list_truncated(req, kind->res->plural, list, truncated);
}

int nb_id_reply_sublist(struct nb_req *req, const struct nb_resource *owner,
                        const struct nb_id_kind *kind, const char *where)
{
    struct nb_sql w = {0};
    struct nb_list_opts opts = {.where = &w};
    struct nb_tx *tx = NULL;
    json_t *ref = NULL, *query = nb_req_query_obj(req);
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        goto out;
    if (owner) {
        r = nb_res_get(nb_req_ctx(req), tx, owner, nb_req_param(req, 0), &ref);
        json_decref(ref);
    }
    nb_sql_add(&w, where);
    for (const char *p = where; (p = strchr(p, '?')); p++)
        nb_sql_text(&w, nb_req_param(req, 0));
    opts.query = query;
    if (r == 0)
        r = nb_id_list_reply(req, tx, kind, &opts);
    nb_tx_rollback(tx);
out:
    json_decref(query);
    nb_sql_free(&w);
    return r;
}

/* ---- the generic CRUD handlers */

const struct nb_id_kind *nb_id_route_kind(struct nb_req *req)
{
    return nb_req_route_arg(req);
}

static void nb_id_rule(char *buf, size_t n, const char *verb,
                       const struct nb_resource *res)
{
    snprintf(buf, n, "identity:%s_%s", verb,
             strcmp(verb, "list") == 0 ? res->plural : res->singular);
}

/* Loads 'id' and decorates it, in 'tx'. */
static int nb_id_load_tx(struct nb_ctx *ctx, struct nb_tx *tx,
                         const struct nb_id_kind *kind, const char *id, json_t **out)
{
    int r = nb_res_get(ctx, tx, kind->res, id, out);
    if (r == 0 && kind->decorate)
        kind->decorate(tx, *out);
    return r;
}

int nb_id_load(struct nb_ctx *ctx, const struct nb_id_kind *kind, const char *id,
               json_t **out)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_id_load_tx(ctx, tx, kind, id, out);
    nb_tx_rollback(tx);
    return r;
}

/* Enforces 'verb' on entity 'obj'.  A reader who may not see the entity
 * is told it does not exist (404); a write that is denied is a 403, as
 * Keystone answers, whether or not the entity exists (see
 * nb_id_missing), so neither answer tells a stranger what exists. */
static int nb_id_enforce_entity(struct nb_req *req, const struct nb_id_kind *kind,
                                const char *verb, const json_t *obj)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    char rule[96];
    json_t *target = nb_id_target(kind->res->singular, obj);
    int r;

    nb_id_rule(rule, sizeof(rule), verb, kind->res);
    r = nb_req_enforce(req, rule, target);
    if (r == -EACCES && strcmp(verb, "get") == 0) {
        ctx->err_status = 0;
        r = nb_err_set(ctx, 404, "Could not find %s: %s.", kind->res->singular,
                       nb_json_str(obj, "id"));
    }
    json_decref(target);
    return r;
}

/* The entity of a write does not exist: 404 for who may write such
 * entities, 403 for anyone else. */
static int nb_id_missing(struct nb_req *req, const struct nb_id_kind *kind,
                         const char *verb, const char *id)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *stub = json_pack("{s:s}", "id", id);
    int saved = ctx->err_status, r;
    char msg[sizeof(ctx->err_msg)];

    memcpy(msg, ctx->err_msg, sizeof(msg));
    ctx->err_status = 0;
    r = nb_id_enforce_entity(req, kind, verb, stub);
    json_decref(stub);
    if (r == 0) {
        ctx->err_status = saved;
        memcpy(ctx->err_msg, msg, sizeof(msg));
        return nb_status_to_errno(saved);
    }
    return r;
}

int nb_id_crud_list(struct nb_req *req)
{
    const struct nb_id_kind *kind = nb_id_route_kind(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_list_opts opts = {0};
    struct nb_sql where = {0};
    struct nb_tx *tx = NULL;
    json_t *query = nb_req_query_obj(req), *target;
    char rule[96];
    int r;

    nb_id_rule(rule, sizeof(rule), "list", kind->res);
    target = json_pack("{s:O}", "target", query);
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    if (r < 0)
        goto out;
    if (kind->list_where && (r = kind->list_where(ctx, req, &where)) < 0)
        goto out;
    opts.query = query;
    opts.where = &where;
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        goto out;
    r = nb_id_list_reply(req, tx, kind, &opts);
    nb_tx_rollback(tx);
out:
    json_decref(query);
    nb_sql_free(&where);
    return r;
}

int nb_id_crud_get(struct nb_req *req)
{
    const struct nb_id_kind *kind = nb_id_route_kind(req);
    json_t *obj = NULL;
    int r = nb_id_load(nb_req_ctx(req), kind, nb_req_param(req, 0), &obj);
    if (r == 0)
        r = nb_id_enforce_entity(req, kind, "get", obj);
    if (r == 0)
        return nb_id_reply_entity(req, 200, kind->res->singular, kind->collection, obj);
    json_decref(obj);
    return r;
}

/* Re-reads the entity just written and replies with it; 'created' (the
 * create's input, NULL on update) lends what only a create reply shows. */
static int nb_id_reply_fresh(struct nb_req *req, const struct nb_id_kind *kind,
                             int status, const char *id, const json_t *created)
{
    json_t *obj = NULL;
    int r = nb_id_load(nb_req_ctx(req), kind, id, &obj);
    if (r < 0)
        return r;
    if (created && kind->created)
        kind->created(created, obj);
    return nb_id_reply_entity(req, status, kind->res->singular, kind->collection, obj);
}

int nb_id_crud_create(struct nb_req *req)
{
    const struct nb_id_kind *kind = nb_id_route_kind(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *in = nb_id_body_obj(req, kind->res->singular);
    struct nb_tx *tx = NULL;
    json_t *obj = NULL, *target = NULL;
    char id[NB_IDSZ], rule[96];
    int r;

    nb_req_policy_done(req);       /* enforced below, once the target is known */
    if (!in)
        return -EINVAL;
    r = nb_res_parse(ctx, kind->res, in, true, &obj);
    if (r < 0)
        return r;
    if (kind->client_id && nb_json_str(obj, "id")) {
        snprintf(id, sizeof(id), "%s", nb_json_str(obj, "id"));
    } else {
        nb_uuid_hex(id);
        json_object_set_new(obj, "id", json_string(id));
    }
    if (kind->pre && (r = kind->pre(ctx, obj)) < 0)
        goto out;
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    if (kind->prepare)
        r = kind->prepare(ctx, tx, obj, NULL);
    if (r == 0)       /* prepare may derive the id (EC2: sha256 of the access key) */
        snprintf(id, sizeof(id), "%s", nb_json_str(obj, "id"));
    if (r == 0) {
        nb_id_rule(rule, sizeof(rule), "create", kind->res);
        target = nb_id_target(kind->res->singular, obj);
        r = nb_req_enforce(req, rule, target);
    }
    if (r == 0)
        r = nb_res_insert(ctx, tx, kind->res, obj);
    if (r == 0 && kind->stored)
        r = kind->stored(ctx, tx, id, obj);
    r = nb_id_finish(tx, r);
    if (r == 0 && kind->after_write)
        kind->after_write(ctx, NULL, obj);
    if (r == 0)
        r = nb_id_reply_fresh(req, kind, 201, id, obj);
out:
    json_decref(target);
    json_decref(obj);
    return r;
}

/* Loads the entity a write addresses and enforces 'verb' on it: 404 or
 * 403 as nb_id_missing/nb_id_enforce_entity decide.  *cur is a new
 * reference on success. */
static int nb_id_load_for_write(struct nb_req *req, const struct nb_id_kind *kind,
                                const char *verb, const char *id, json_t **cur)
{
    int r = nb_id_load(nb_req_ctx(req), kind, id, cur);
    if (r == -ENOENT)
        return nb_id_missing(req, kind, verb, id);
    if (r == 0)
        r = nb_id_enforce_entity(req, kind, verb, *cur);
    return r;
}

int nb_id_crud_update(struct nb_req *req)
{
    const struct nb_id_kind *kind = nb_id_route_kind(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    const json_t *in;
    struct nb_tx *tx = NULL;
    json_t *cur = NULL, *changes = NULL;
    int r;

    /* checks first, in a read transaction; the write holds no lock longer
     * than the write itself (nb_res_update answers 404 if the row went) */
    r = nb_id_load_for_write(req, kind, "update", id, &cur);
    if (r == 0) {
        in = nb_id_body_obj(req, kind->res->singular);
        if (in && !json_object_size(in))      /* every update schema: minProperties 1 */
            r = nb_err_set(ctx, 400, "{} does not have enough properties");
        else
            r = in ? nb_res_parse(ctx, kind->res, in, false, &changes) : -EINVAL;
    }
    if (r == 0 && kind->pre)
        r = kind->pre(ctx, changes);
    if (r < 0)
        goto out;
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    if (kind->prepare)
        r = kind->prepare(ctx, tx, changes, cur);
    if (r == 0)
        r = nb_res_update(ctx, tx, kind->res, id, changes);
    if (r == 0 && kind->stored)
        r = kind->stored(ctx, tx, id, changes);
    r = nb_id_finish(tx, r);
    if (r == 0 && kind->after_write)
        kind->after_write(ctx, cur, changes);
    if (r == 0)
        r = nb_id_reply_fresh(req, kind, 200, id, NULL);
out:
    json_decref(cur);
    json_decref(changes);
    return r;
}

int nb_id_crud_delete(struct nb_req *req)
{
    const struct nb_id_kind *kind = nb_id_route_kind(req);
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    json_t *cur = NULL;
    int r;

    r = nb_id_load_for_write(req, kind, "delete", id, &cur);
    if (r == 0)
        r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        goto out;
    if (kind->before_delete)
        r = kind->before_delete(ctx, tx, cur);
    if (r == 0)
        r = nb_res_delete(ctx, tx, kind->res, id);
    r = nb_id_finish(tx, r);
    if (r == 0 && kind->after_write)
        kind->after_write(ctx, cur, NULL);
out:
    json_decref(cur);
    return r < 0 ? r : nb_reply_empty(req, 204);
}
