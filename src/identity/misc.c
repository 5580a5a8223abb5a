/* The small identity APIs: policies (opaque blobs), OAuth1 consumers, and
 * domain-specific configuration (keystone/api/domains.py,
 * keystone/resource/core.py DomainConfigManager). */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- policies: plain CRUD of {type, blob} */

const struct nb_id_kind nb_kind_policy = {
    .res = &nb_res_policy,
    .collection = "/v3/policies",
};

/* ---- OAuth1 consumers: the secret is made on create and shown in that
 * reply only. */

static int nb_consumer_prepare(struct nb_ctx *ctx, struct nb_tx *tx, json_t *obj,
                               const json_t *cur)
{
    char secret[NB_ID_HEX_LEN + 1];
    (void)ctx;
    (void)tx;
    if (cur)
        return 0;
    nb_uuid_hex(secret);
    json_object_set_new(obj, "secret", json_string(secret));
    return 0;
}

static void nb_consumer_created(const json_t *input, json_t *reply)
{
    json_object_set(reply, "secret", json_object_get(input, "secret"));
}

const struct nb_id_kind nb_kind_consumer = {
    .res = &nb_res_consumer,
    .collection = "/v3/OS-OAUTH1/consumers",
    .prepare = nb_consumer_prepare,
    .created = nb_consumer_created,
};

/* ---- domain configuration
 *
 * Only the options that drive a domain-specific identity backend may be
 * set: those Keystone whitelists, and the sensitive ones (stored, never
 * shown).  Values are any JSON, stored as JSON text. */

static const char *const nb_cfg_identity[] = {"driver", "list_limit", NULL};
static const char *const nb_cfg_ldap[] = {
    "url", "user", "suffix", "query_scope", "page_size", "alias_dereferencing",
    "debug_level", "chase_referrals", "user_tree_dn", "user_filter", "user_objectclass",
    "user_id_attribute", "user_name_attribute", "user_mail_attribute",
    "user_description_attribute", "user_pass_attribute", "user_enabled_attribute",
    "user_enabled_invert", "user_enabled_mask", "user_enabled_default",
    "user_attribute_ignore", "user_default_project_id_attribute", "user_enabled_emulation",
    "user_enabled_emulation_dn", "user_enabled_emulation_use_group_config",
    "user_additional_attribute_mapping", "group_tree_dn", "group_filter",
    "group_objectclass", "group_id_attribute", "group_name_attribute",
    "group_members_are_ids", "group_member_attribute", "group_desc_attribute",
    "group_attribute_ignore", "group_additional_attribute_mapping", "tls_cacertfile",
    "tls_cacertdir", "use_tls", "tls_req_cert", "use_pool", "pool_size", "pool_retry_max",
    "pool_retry_delay", "pool_connection_timeout", "pool_connection_lifetime",
    "use_auth_pool", "auth_pool_size", "auth_pool_connection_lifetime", NULL};
static const char *const nb_cfg_ldap_sensitive[] = {"password", NULL};

/* The defaults of the whitelisted options: Keystone's [identity] and
 * [ldap] option defaults (keystone/conf/identity.py, ldap.py). */
static const char nb_cfg_defaults[] =
    "{\"identity\": {\"driver\": \"sql\", \"list_limit\": null},"
    " \"ldap\": {\"url\": \"ldap://localhost\", \"user\": null,"
    " \"suffix\": \"cn=example,cn=com\", \"query_scope\": \"one\", \"page_size\": 0,"
    " \"alias_dereferencing\": \"default\", \"debug_level\": null,"
    " \"chase_referrals\": null, \"user_tree_dn\": null, \"user_filter\": null,"
    " \"user_objectclass\": \"inetOrgPerson\", \"user_id_attribute\": \"cn\","
    " \"user_name_attribute\": \"sn\", \"user_mail_attribute\": \"mail\","
    " \"user_description_attribute\": \"description\","
    " \"user_pass_attribute\": \"userPassword\","
    " \"user_enabled_attribute\": \"enabled\", \"user_enabled_invert\": false,"
    " \"user_enabled_mask\": 0, \"user_enabled_default\": \"True\","
    " \"user_attribute_ignore\": [\"default_project_id\"],"
    " \"user_default_project_id_attribute\": null, \"user_enabled_emulation\": false,"
    " \"user_enabled_emulation_dn\": null,"
    " \"user_enabled_emulation_use_group_config\": false,"
    " \"user_additional_attribute_mapping\": [], \"group_tree_dn\": null,"
    " \"group_filter\": null, \"group_objectclass\": \"groupOfNames\","
    " \"group_id_attribute\": \"cn\", \"group_name_attribute\": \"ou\","
    " \"group_members_are_ids\": false, \"group_member_attribute\": \"member\","
    " \"group_desc_attribute\": \"description\", \"group_attribute_ignore\": [],"
    " \"group_additional_attribute_mapping\": [], \"tls_cacertfile\": null,"
    " \"tls_cacertdir\": null, \"use_tls\": false, \"tls_req_cert\": \"demand\","
    " \"use_pool\": true, \"pool_size\": 10, \"pool_retry_max\": 3,"
    " \"pool_retry_delay\": 0.1, \"pool_connection_timeout\": -1,"
    " \"pool_connection_lifetime\": 600, \"use_auth_pool\": true,"
    " \"auth_pool_size\": 100, \"auth_pool_connection_lifetime\": 60}}";

#define NB_CFG_INVALID "Invalid domain specific configuration: "

static const char *const *nb_cfg_whitelist(const char *group)
{
    return strcmp(group, "identity") == 0 ? nb_cfg_identity
           : strcmp(group, "ldap") == 0   ? nb_cfg_ldap
                                          : NULL;
}

static bool nb_cfg_sensitive(const char *group, const char *option)
{
    return strcmp(group, "ldap") == 0 && nb_str_in(option, nb_cfg_ldap_sensitive);
}

/* _assert_valid_group_and_option: 403 for what Keystone does not support. */
static int nb_cfg_check(struct nb_ctx *ctx, const char *group, const char *option)
{
    const char *const *white;
    if (!group)
        return 0;
    white = nb_cfg_whitelist(group);
    if (!white)
        return nb_err_set(ctx, 403, NB_CFG_INVALID "Group %s is not supported for domain "
                                    "specific configurations.", group);
    if (option && !nb_str_in(option, white) && !nb_cfg_sensitive(group, option))
        return nb_err_set(ctx, 403, NB_CFG_INVALID "Option %s in group %s is not "
                                    "supported for domain specific configurations.",
                          option, group);
    return 0;
}

/* _assert_valid_config: a non-empty object of non-empty objects of
 * supported options. */
static int nb_cfg_check_config(struct nb_ctx *ctx, const json_t *config)
{
    const char *group, *option;
    json_t *opts, *v;
    int r;
    if (!json_is_object(config) || !json_object_size(config))
        return nb_err_set(ctx, 403, NB_CFG_INVALID "No options specified.");
    json_object_foreach((json_t *)config, group, opts) {
        if (!json_is_object(opts) || !json_object_size(opts))
            return nb_err_set(ctx, 403, NB_CFG_INVALID "The value of group %s specified "
                                        "in the config should be a dictionary of "
                                        "options.", group);
        json_object_foreach(opts, option, v)
            if ((r = nb_cfg_check(ctx, group, option)) < 0)
                return r;
    }
    return 0;
}

/* "option O in group G", "group G" or "any options", for the 404. */
static int nb_cfg_not_found(struct nb_ctx *ctx, const char *domain, const char *group,
                            const char *option)
{
    char what[2 * NB_NAMESZ];
    if (option)
        snprintf(what, sizeof(what), "option %s in group %s", option, group);
    else if (group)
        snprintf(what, sizeof(what), "group %s", group);
    else
        snprintf(what, sizeof(what), "any options");
    return nb_err_set(ctx, 404, "Could not find %s in domain configuration for domain %s.",
                      what, domain);
}


/* Appends the rows of one domain's configuration, one group of it, or one
 * option: " WHERE domain_id = ? [AND grp = ?] [AND opt = ?]". */
static void nb_cfg_where(struct nb_sql *q, const char *domain, const char *group,
                         const char *option)
{
    nb_sql_add(q, " WHERE domain_id = ?");
    nb_sql_text(q, domain);
    if (group) {
        nb_sql_add(q, " AND grp = ?");
        nb_sql_text(q, group);
    }
    if (option) {
        nb_sql_add(q, " AND opt = ?");
        nb_sql_text(q, option);
    }
}

/* The stored options of 'domain' (restricted to 'group' and 'option' when
 * given) as {group: {option: value}}; sensitive ones only when asked. */
static int nb_cfg_load(struct nb_tx *tx, const char *domain, const char *group,
                       const char *option, bool sensitive, json_t **out)
{
    struct nb_sql q = {0};
    struct nb_stmt *st = NULL;
    json_t *config = json_object();
    int r;

    nb_sql_add(&q, "SELECT grp, opt, value FROM domain_configs");
    nb_cfg_where(&q, domain, group, option);
    nb_sql_add(&q, " ORDER BY grp, opt");
    r = nb_tx_query_sql(tx, &st, &q);
    while (r == 0 && nb_stmt_next(st) > 0) {
        const char *g = nb_stmt_text(st, 0), *o = nb_stmt_text(st, 1);
        json_t *v, *gobj;
        if (!sensitive && nb_cfg_sensitive(g, o))
            continue;
        v = json_loads(nb_stmt_text(st, 2), JSON_DECODE_ANY, NULL);
        if (!(gobj = json_object_get(config, g))) {
            gobj = json_object();
            json_object_set_new(config, g, gobj);
        }
        json_object_set_new(gobj, o, v ? v : json_null());
    }
    nb_stmt_done(st);
    nb_sql_free(&q);
    if (r < 0) {
        json_decref(config);
        return r;
    }
    *out = config;
    return 0;
}

/* The reply body of a read: {option: value} for one option, else the
 * config (get_config's _list_to_config). */
static json_t *nb_cfg_shape(json_t *config, const char *group, const char *option)
{
    json_t *v;
    if (!option)
        return config;
    v = json_object_get(json_object_get(config, group), option);
    v = json_pack("{s:O}", option, v ? v : json_null());
    json_decref(config);
    return v;
}

/* Upserts every option of 'config'. */
static int nb_cfg_store(struct nb_tx *tx, const char *domain, const json_t *config)
{
    const char *group, *option;
    json_t *opts, *v;
    int r = 0;
    json_object_foreach((json_t *)config, group, opts)
        json_object_foreach(opts, option, v) {
            char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            if (r == 0)
                r = nb_tx_exec(tx, NULL, "INSERT INTO domain_configs (domain_id, grp, opt, "
                                         "value) VALUES (?, ?, ?, ?) ON CONFLICT "
                                         "(domain_id, grp, opt) DO UPDATE SET value = "
                                         "excluded.value", "ssss", domain, group, option,
                               text);
            free(text);
        }
    return r;
}

/* The "config" object of the body as a new reference; {} when absent, as
 * Keystone's request_body_json.get('config', {}).  NULL (400 set) when
 * the body is not JSON. */
static json_t *nb_cfg_body(struct nb_req *req)
{
    json_t *body = nb_req_json(req), *c;
    if (!body)
        return NULL;
    c = json_object_get(body, "config");
    return c ? json_incref(c) : json_object();
}

/* Python's truth of a value. */
static bool nb_truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_TRUE:
        return true;
    default:
        return false;
    }
}

/* The security_compliance group: read-only, from the configuration, for
 * the default domain only.  nubis has no password regex options, so both
 * are null (Keystone's defaults). */
static int nb_cfg_security_compliance(struct nb_req *req, const char *domain,
                                      const char *option)
{
    if (strcmp(domain, NB_DEFAULT_DOMAIN) != 0)
        return nb_req_err(req, 403, NB_CFG_INVALID "Reading security compliance "
                                    "information for any domain other than the default "
                                    "domain is not allowed or supported.");
    if (option && strcmp(option, "password_regex") != 0 &&
        strcmp(option, "password_regex_description") != 0)
        return nb_req_err(req, 403, NB_CFG_INVALID "Reading security compliance values "
                                    "other than password_regex and "
                                    "password_regex_description is not allowed.");
    if (option)
        return nb_reply_json(req, 200, json_pack("{s:{s:n}}", "config", option));
    return nb_reply_json(req, 200, json_pack("{s:{s:{s:n,s:n}}}", "config",
                                             "security_compliance", "password_regex",
                                             "password_regex_description"));
}

int nb_id_domain_config_get(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *domain = nb_req_param(req, 0), *group = nb_req_param(req, 1),
               *option = nb_req_param(req, 2);
    bool compliance = group && strcmp(group, "security_compliance") == 0;
    struct nb_tx *tx = NULL;
    json_t *config = NULL;
    int r;

    /* anyone may read the password rules; the rest is the admin's */
    r = nb_req_enforce(req, compliance ? "identity:get_security_compliance_domain_config"
                                       : "identity:get_domain_config", NULL);
    if (r < 0)
        return r;
    r = nb_tx_begin(nb_id_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_id_domain_exists(ctx, tx, domain);
    if (r == 0 && compliance) {
        nb_tx_rollback(tx);
        return nb_cfg_security_compliance(req, domain, option);
    }
    if (r == 0)
        r = nb_cfg_check(ctx, group, option);
    if (r == 0)
        r = nb_cfg_load(tx, domain, group, option, false, &config);
    nb_tx_rollback(tx);
    if (r == 0 && !json_object_size(config))
        r = nb_cfg_not_found(ctx, domain, group, option);
    if (r < 0) {
        json_decref(config);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "config",
                                             nb_cfg_shape(config, group, option)));
}

/* PUT /v3/domains/{id}/config: replaces the whole configuration; 201 when
 * there was none, else 200. */
int nb_id_domain_config_put(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *domain = nb_req_param(req, 0);
    json_t *config = nb_cfg_body(req), *now = NULL;
    struct nb_tx *tx = NULL;
    int64_t had = 0;
    int r;

    if (!config)
        return -EINVAL;
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0) {
        json_decref(config);
        return r;
    }
    r = nb_id_domain_exists(ctx, tx, domain);
    if (r == 0)
        r = nb_cfg_check_config(ctx, config);
    if (r == 0)
        r = nb_tx_query_int(tx, &had, "SELECT count(*) FROM domain_configs WHERE "
                                      "domain_id = ?", "s", domain);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM domain_configs WHERE domain_id = ?", "s",
                       domain);
    if (r == 0)
        r = nb_cfg_store(tx, domain, config);
    if (r == 0)
        r = nb_cfg_load(tx, domain, NULL, NULL, false, &now);
    r = nb_id_finish(tx, r);
    json_decref(config);
    if (r < 0) {
        json_decref(now);
        return r;
    }
    return nb_reply_json(req, had ? 200 : 201, json_pack("{s:o}", "config", now));
}

/* update_config's _assert_valid_update for a group (and option) route:
 * the body holds exactly that group (option), which must exist. */
static int nb_cfg_check_update(struct nb_ctx *ctx, struct nb_tx *tx, const char *domain,
                               const json_t *config, const char *group, const char *option)
{
    const json_t *opts;
    json_t *cur = NULL;
    int r = nb_cfg_check_config(ctx, config);
    if (r == 0)
        r = nb_cfg_check(ctx, group, option);
    if (r < 0 || !group)
        return r;
    opts = json_object_get(config, group);
    if (json_object_size(config) != 1 || (option && json_object_size(opts) != 1)) {
        if (option)
            return nb_err_set(ctx, 403, NB_CFG_INVALID "Trying to update option %s in "
                                        "group %s, so that, and only that, option must be "
                                        "specified  in the config.", option, group);
        return nb_err_set(ctx, 403, NB_CFG_INVALID "Trying to update group %s, so that, "
                                    "and only that, group must be specified in the "
                                    "config.", group);
    }
    if (!opts)
        return nb_err_set(ctx, 403, NB_CFG_INVALID "request to update group %s, but config "
                                    "provided contains group %s instead.", group,
                          json_object_iter_key(json_object_iter((json_t *)config)));
    if (option && !json_object_get(opts, option))
        return nb_err_set(ctx, 403, NB_CFG_INVALID "Trying to update option %s in group "
                                    "%s, but config provided contains option %s instead.",
                          option, group,
                          json_object_iter_key(json_object_iter((json_t *)opts)));
    r = nb_cfg_load(tx, domain, group, option, true, &cur);
    if (r == 0 && !json_object_size(cur))
        r = nb_cfg_not_found(ctx, domain, group, option);
    json_decref(cur);
    return r;
}

int nb_id_domain_config_patch(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *domain = nb_req_param(req, 0), *group = nb_req_param(req, 1),
               *option = nb_req_param(req, 2);
    json_t *body = nb_cfg_body(req), *config, *now = NULL;
    struct nb_tx *tx = NULL;
    int r;

    if (!body)
        return -EINVAL;
    /* on an option's route the body is {option: value} */
    config = group && option ? json_pack("{s:O}", group, body) : json_incref(body);
    json_decref(body);
    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0) {
        json_decref(config);
        return r;
    }
    r = nb_id_domain_exists(ctx, tx, domain);
    if (r == 0)
        r = nb_cfg_check_update(ctx, tx, domain, config, group, option);
    if (r == 0)
        r = nb_cfg_store(tx, domain, config);
    if (r == 0)
        r = nb_cfg_load(tx, domain, NULL, NULL, false, &now);
    if (r == 0 && !json_object_size(now))
        r = nb_cfg_not_found(ctx, domain, NULL, NULL);
    r = nb_id_finish(tx, r);
    json_decref(config);
    if (r < 0) {
        json_decref(now);
        return r;
    }
    return nb_reply_json(req, 200, json_pack("{s:o}", "config", now));
}

int nb_id_domain_config_delete(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *domain = nb_req_param(req, 0), *group = nb_req_param(req, 1),
               *option = nb_req_param(req, 2);
    struct nb_sql q = {0};
    struct nb_tx *tx = NULL;
    json_t *cur = NULL;
    int r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_id_domain_exists(ctx, tx, domain);
    if (r == 0)
        r = nb_cfg_check(ctx, group, option);
    if (r == 0 && group) {
        /* a partial delete names what exists (a false value counts as
         * absent, as in Keystone) */
        const json_t *g, *v;
        r = nb_cfg_load(tx, domain, NULL, NULL, true, &cur);
        g = json_object_get(cur, group);
        v = option ? json_object_get(g, option) : NULL;
        if (r == 0 && !json_object_size(g))
            r = nb_cfg_not_found(ctx, domain, group, NULL);
        else if (r == 0 && option && (!v || !nb_truthy(v)))
            r = nb_cfg_not_found(ctx, domain, group, option);
    }
    if (r == 0) {
        nb_sql_add(&q, "DELETE FROM domain_configs");
        nb_cfg_where(&q, domain, group, option);
        r = nb_tx_exec_sql(tx, NULL, &q);
    }
    r = nb_id_finish(tx, r);
    json_decref(cur);
    nb_sql_free(&q);
    return r < 0 ? r : nb_reply_empty(req, 204);
}

/* GET /v3/domains/config[/{group}[/{option}]]/default */
int nb_id_domain_config_default(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *group = nb_req_param(req, 0), *option = nb_req_param(req, 1);
    json_t *all, *out;
    int r = nb_cfg_check(ctx, group, option);
    if (r < 0)
        return r;
    if (option && !nb_str_in(option, nb_cfg_whitelist(group)))
        return nb_req_err(req, 403, NB_CFG_INVALID "Reading the default for option %s in "
                                    "group %s is not supported.", option, group);
    all = json_loads(nb_cfg_defaults, 0, NULL);
    if (!group)
        out = json_incref(all);
    else if (!option)
        out = json_pack("{s:O}", group, json_object_get(all, group));
    else
        out = json_pack("{s:O}", option, json_object_get(json_object_get(all, group), option));
    json_decref(all);
    return nb_reply_json(req, 200, json_pack("{s:o}", "config", out));
}
