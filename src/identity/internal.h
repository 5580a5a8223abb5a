/* Internal to src/identity: what its files share.  Other modules use
 * identity/identity.h only. */
#ifndef NB_IDENTITY_INTERNAL_H
#define NB_IDENTITY_INTERNAL_H

#include "auth/auth.h"
#include "core/core.h"
#include "identity/identity.h"

#define NB_DEFAULT_DOMAIN "default"

extern struct nb_db *nb_id_db;

int nb_identity_migrate(struct nb_db *db);

/* ------------------------------------------------------------------ resources
 * (resources.c) the entity descriptors */
extern const struct nb_resource nb_res_domain, nb_res_project, nb_res_user,
    nb_res_group, nb_res_role, nb_res_region, nb_res_service, nb_res_endpoint,
    nb_res_policy, nb_res_credential, nb_res_consumer, nb_res_endpoint_group,
    nb_res_registered_limit, nb_res_limit;

/* ------------------------------------------------------------------ the generic CRUD
 * (api.c) Most identity entities are served by five generic handlers driven
 * by a "kind": its descriptor, its collection path, and hooks for what is
 * particular to it.  Policy rules are identity:{get,create,update,delete}_
 * <singular> and identity:list_<plural>. */
struct nb_id_kind {
    const struct nb_resource *res;
    const char *collection;          /* "/v3/regions" */
    bool client_id;                  /* create takes the id from the body */
    /* Slow work on the normalised input (password hashing), done before
     * the write transaction so no lock is held meanwhile. May be NULL. */
    int (*pre)(struct nb_ctx *ctx, json_t *obj);
    /* Checks references and fills computed columns before a write.
     * 'cur' is NULL on create, the stored entity on update; 'obj' is the
     * normalised input (may be changed). May be NULL. */
    int (*prepare)(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                   const json_t *cur);
    /* Runs in the write's transaction once the row is stored (child rows
     * such as tags). May be NULL. */
    int (*stored)(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                  const json_t *obj);
    /* Runs in the delete's transaction before the row goes: refuses, or
     * removes dependents. May be NULL. */
    int (*before_delete)(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *cur);
    /* After any committed write (revocation, cache). May be NULL. */
    void (*after_write)(struct nb_ctx *ctx, const json_t *old, const json_t *now);
    /* Adds to a create's reply what is shown only then (secrets), from
     * the create's normalised input. May be NULL. */
    void (*created)(const json_t *input, json_t *reply);
    /* Adds computed attributes to a rendered entity. May be NULL. */
    void (*decorate)(struct nb_tx *tx, json_t *obj);
    /* Adds list conditions from the query beyond plain attribute filters
     * (and may refuse a bad query). May be NULL. */
    int (*list_where)(struct nb_ctx *ctx, struct nb_req *req, struct nb_sql *where);
};

int nb_id_crud_list(struct nb_req *req);
int nb_id_crud_get(struct nb_req *req);
int nb_id_crud_create(struct nb_req *req);
int nb_id_crud_update(struct nb_req *req);
int nb_id_crud_delete(struct nb_req *req);

/* The kind of the current route (its nb_route.arg). */
const struct nb_id_kind *nb_id_route_kind(struct nb_req *req);

/* Loads one entity of 'kind' (decorated, no links) in a fresh read
 * transaction: 0 and a new object, or 404 set. */
int nb_id_load(struct nb_ctx *ctx, const struct nb_id_kind *kind,
               const char *id, json_t **out);

/* ------------------------------------------------------------------ rendering
 * (api.c) */
/* Adds "links": {"self": <base>/identity<collection>/<id>} to 'obj'. */
void nb_id_link(struct nb_req *req, json_t *obj, const char *collection);
/* Replies {plural: list, "links": {self, previous, next}}; steals 'list'.
 * The _truncated form adds "truncated": true when asked. */
int nb_id_reply_list(struct nb_req *req, const char *plural, json_t *list);
int nb_id_reply_list_truncated(struct nb_req *req, const char *plural, json_t *list,
                               bool truncated);
/* Replies {singular: obj} after linking 'obj'; steals 'obj'. */
int nb_id_reply_entity(struct nb_req *req, int status, const char *singular,
                       const char *collection, json_t *obj);
/* The object under 'key' in the JSON body: borrowed, or NULL with 400
 * "'key' is a required property" set. */
const json_t *nb_id_body_obj(struct nb_req *req, const char *key);
/* Lists the entities of 'kind' selected by SQL 'where', whose every '?'
 * is the route's first parameter, itself an entity of 'owner' that must
 * exist (404) when 'owner' is not NULL.  Query filters apply. */
int nb_id_reply_sublist(struct nb_req *req, const struct nb_resource *owner,
                        const struct nb_id_kind *kind, const char *where);
/* Validates a list of role references [{"id": ...} | {"name": ...}], the
 * _role_properties schema trusts and application credentials share. */
int nb_id_check_role_refs(struct nb_ctx *ctx, const json_t *roles);
/* Keystone's parse_expiration_date: ISO 8601, 'Z' implied, not in the
 * past (400 otherwise). */
int nb_id_parse_expiry(struct nb_ctx *ctx, const char *s, int64_t *us);
/* {"target": {name: obj}} (new reference; borrows obj). */
json_t *nb_id_target(const char *name, const json_t *obj);
/* Ends a write: commits and, on success, invalidates the identity caches.
 * On r < 0 it rolls back and returns r. */
int nb_id_finish(struct nb_tx *tx, int r);

/* ------------------------------------------------------------------ lookups
 * Existence checks, each setting 404 (or 400 when 'as_400' names a
 * reference in a request body) when the entity is absent. */
int nb_id_domain_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id);
int nb_id_project_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id);
int nb_id_user_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id);
int nb_id_group_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id);
int nb_id_role_exists(struct nb_ctx *ctx, struct nb_tx *tx, const char *id);
/* Resolves {"id": ...} or {"name": ..., "domain": {"id"|"name"}} of a
 * user/project/domain reference in an auth request. */
int nb_id_find_domain(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *ref,
                      char id[NB_IDSZ]);

const char *nb_id_default_domain(const struct nb_ctx *ctx);
/* Refuses a new entity of a user who holds [identity] 'option' of them
 * already in 'table' (a negative option: no limit).  'what' names them in
 * Keystone's 403 message. */
int nb_id_check_user_limit(struct nb_ctx *ctx, struct nb_tx *tx, const char *table,
                           const char *user_id, const char *option, const char *what);
int nb_id_prepare_domain(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj);

/* ------------------------------------------------------------------ assignments
 * (assignments.c) */
/* Effective role ids of a user on a project, domain or the system: direct,
 * through groups, inherited from domains and parent projects, and implied.
 * Appends to ids (up to NB_MAX_ROLES); returns the count. */
int nb_id_effective_roles(struct nb_tx *tx, const char *user_id,
                          enum nb_scope scope, const char *target_id,
                          char ids[NB_MAX_ROLES][NB_IDSZ]);
/* Expands 'ids' with the roles they imply (transitively). */
int nb_id_expand_implied(struct nb_tx *tx, char ids[NB_MAX_ROLES][NB_IDSZ], int n);
/* Removes every assignment naming 'actor_or_target' (user, group,
 * project, domain being deleted). */
int nb_id_assignments_purge(struct nb_tx *tx, const char *id);
int nb_id_grant(struct nb_ctx *ctx, struct nb_tx *tx, const char *type,
                const char *actor, const char *target, const char *role,
                bool inherited);

/* ------------------------------------------------------------------ caches
 * (cache.c) Generation-tagged caches for the hot path (token validation,
 * the authenticated request): every identity write bumps the generation,
 * which empties them; a short lifetime bounds staleness across nodes. */
void nb_id_cache_init(void);
void nb_id_cache_shutdown(void);
void nb_id_cache_bump(void);
/* The caller resolver registered with src/auth. */
int nb_id_resolve_caller(struct nb_ctx *ctx, const struct nb_token *t,
                         struct nb_caller *out);
/* The endpoints OS-EP-FILTER associates with a project, directly or
 * through endpoint groups: a new set of ids (caller frees with
 * nb_map_free), or NULL when the project has no association (then every
 * endpoint is in its catalog). */
struct nb_map *nb_id_project_endpoint_set(struct nb_tx *tx, const char *project_id);
/* The catalog for a project (or unscoped when NULL): a new reference. */
json_t *nb_id_catalog(struct nb_tx *tx, const char *project_id, const char *base_url);

/* ------------------------------------------------------------------ tokens
 * (auth.c) authentication of a POST /v3/auth/tokens body */
struct nb_auth_result {
    struct nb_token token;
    struct nb_caller caller;
};
int nb_id_authenticate(struct nb_ctx *ctx, const json_t *auth,
                       const char *subject_token, struct nb_auth_result *out);
/* Renders the token body for a validated token/caller (new reference). */
json_t *nb_id_token_render(struct nb_req *req, const struct nb_token *t,
                           const struct nb_caller *c, bool catalog);

/* ------------------------------------------------------------------ handlers
 * (the route table in api.c names them; each file implements its own) */
#define NB_HANDLER(name) int name(struct nb_req *req)
/* api.c */
NB_HANDLER(nb_id_versions);
NB_HANDLER(nb_id_version_v3);
/* tokens.c */
NB_HANDLER(nb_id_token_issue);
NB_HANDLER(nb_id_token_validate);
NB_HANDLER(nb_id_token_revoke);
NB_HANDLER(nb_id_auth_catalog);
NB_HANDLER(nb_id_auth_projects);
NB_HANDLER(nb_id_auth_domains);
NB_HANDLER(nb_id_auth_system);
/* projects.c */
NB_HANDLER(nb_id_project_tags_list);
NB_HANDLER(nb_id_project_tags_replace);
NB_HANDLER(nb_id_project_tags_clear);
NB_HANDLER(nb_id_project_tag_check);
NB_HANDLER(nb_id_project_tag_add);
NB_HANDLER(nb_id_project_tag_delete);
/* users.c */
NB_HANDLER(nb_id_user_password);
NB_HANDLER(nb_id_user_groups);
NB_HANDLER(nb_id_user_projects);
/* groups.c */
NB_HANDLER(nb_id_group_users);
NB_HANDLER(nb_id_group_member_add);
NB_HANDLER(nb_id_group_member_check);
NB_HANDLER(nb_id_group_member_remove);
/* roles.c */
NB_HANDLER(nb_id_implies_list);
NB_HANDLER(nb_id_implies_create);
NB_HANDLER(nb_id_implies_get);
NB_HANDLER(nb_id_implies_check);
NB_HANDLER(nb_id_implies_delete);
NB_HANDLER(nb_id_role_inferences);
/* assignments.c: grants on /v3/{projects,domains}/X/{users,groups}/Y/roles
 * and /v3/system/{users,groups}/Y/roles, with their OS-INHERIT forms */
NB_HANDLER(nb_id_grant_list);
NB_HANDLER(nb_id_grant_put);
NB_HANDLER(nb_id_grant_check);
NB_HANDLER(nb_id_grant_delete);
NB_HANDLER(nb_id_role_assignments);
/* catalog.c: endpoint groups and project endpoints (OS-EP-FILTER) */
NB_HANDLER(nb_id_region_put);
NB_HANDLER(nb_id_epg_projects);
NB_HANDLER(nb_id_epg_project_put);
NB_HANDLER(nb_id_epg_project_check);
NB_HANDLER(nb_id_epg_project_delete);
NB_HANDLER(nb_id_epg_endpoints);
NB_HANDLER(nb_id_project_epgs);
NB_HANDLER(nb_id_project_endpoint_put);
NB_HANDLER(nb_id_project_endpoint_check);
NB_HANDLER(nb_id_project_endpoint_delete);
NB_HANDLER(nb_id_project_endpoints);
NB_HANDLER(nb_id_endpoint_projects);
/* credentials.c: OS-EC2 */
NB_HANDLER(nb_id_ec2_list);
NB_HANDLER(nb_id_ec2_create);
NB_HANDLER(nb_id_ec2_get);
NB_HANDLER(nb_id_ec2_delete);
/* misc.c: domain configuration */
NB_HANDLER(nb_id_domain_config_get);
NB_HANDLER(nb_id_domain_config_put);
NB_HANDLER(nb_id_domain_config_patch);
NB_HANDLER(nb_id_domain_config_delete);
NB_HANDLER(nb_id_domain_config_default);
/* trusts.c */
NB_HANDLER(nb_id_trust_list);
NB_HANDLER(nb_id_trust_create);
NB_HANDLER(nb_id_trust_get);
NB_HANDLER(nb_id_trust_delete);
NB_HANDLER(nb_id_trust_roles);
NB_HANDLER(nb_id_trust_role_get);
/* appcreds.c */
NB_HANDLER(nb_id_appcred_list);
NB_HANDLER(nb_id_appcred_create);
NB_HANDLER(nb_id_appcred_get);
NB_HANDLER(nb_id_appcred_delete);
NB_HANDLER(nb_id_access_rule_list);
NB_HANDLER(nb_id_access_rule_get);
NB_HANDLER(nb_id_access_rule_delete);
/* limits.c */
NB_HANDLER(nb_id_registered_limits_create);
NB_HANDLER(nb_id_limits_create);
NB_HANDLER(nb_id_limit_model);

/* The kinds served by the generic handlers (each in its entity's file). */
extern const struct nb_id_kind nb_kind_domain, nb_kind_project, nb_kind_user,
    nb_kind_group, nb_kind_role, nb_kind_region, nb_kind_service,
    nb_kind_endpoint, nb_kind_endpoint_group, nb_kind_policy,
    nb_kind_credential, nb_kind_consumer, nb_kind_registered_limit,
    nb_kind_limit;

#endif
