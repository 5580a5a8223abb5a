/* Swift v1 over HTTP: the route table, the module, /info and
 * /healthcheck, and access control.
 *
 * Every route is public as far as the pipeline goes: Swift lets anonymous
 * callers in through container ACLs (.r:*) and temporary URLs, so each
 * handler authenticates the token itself (when one is given) and then
 * decides, as Swift's keystoneauth does: the members of the project own
 * the account AUTH_<project>, the reseller admin may act on every account,
 * and everyone else only gets what a container ACL or a temp URL grants
 * (401 when anonymous, 403 otherwise). */
#include "identity/identity.h"
#include "object/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PUB NB_ROUTE_PUBLIC
#define IN_HANDLER NB_POLICY_IN_HANDLER
#define R(m, p, fn) {m, p, fn, IN_HANDLER, PUB, NULL, NULL, NULL}

const struct nb_module_env *nb_obj_env;
struct nb_obj_limits nb_obj_limits;

static int nb_obj_info(struct nb_req *req);
static int nb_obj_healthcheck(struct nb_req *req);
static int nb_obj_account_delete(struct nb_req *req);
static int nb_obj_account_put(struct nb_req *req);

static const struct nb_route nb_object_routes[] = {
    R("GET", "/info", nb_obj_info),
    R("GET", "/healthcheck", nb_obj_healthcheck),
    R("GET", "/v1/{account}", nb_obj_account_get),
    R("POST", "/v1/{account}", nb_obj_account_post),
    R("DELETE", "/v1/{account}", nb_obj_account_delete),
    R("PUT", "/v1/{account}", nb_obj_account_put),
    R("GET", "/crossdomain.xml", nb_obj_crossdomain),
    R("GET", "/v1/{account}/{container}", nb_obj_container_get),
    R("PUT", "/v1/{account}/{container}", nb_obj_container_put),
    R("POST", "/v1/{account}/{container}", nb_obj_container_post),
    R("DELETE", "/v1/{account}/{container}", nb_obj_container_delete),
    R("GET", "/v1/{account}/{container}/{object*}", nb_obj_object_get),
    {"PUT", "/v1/{account}/{container}/{object*}", nb_obj_put_done, IN_HANDLER,
     PUB | NB_ROUTE_STREAM, nb_obj_put_begin, nb_obj_put_body, NULL},
    R("POST", "/v1/{account}/{container}/{object*}", nb_obj_object_post),
    R("DELETE", "/v1/{account}/{container}/{object*}", nb_obj_object_delete),
    R("COPY", "/v1/{account}/{container}/{object*}", nb_obj_copy),
};

/* Swift's errors are short HTML pages (swob). */
static char *nb_obj_render_error(int status, const char *title, const char *msg,
                                 const char **ctype)
{
    (void)status;
    *ctype = "text/html; charset=UTF-8";
    return nb_xasprintf("<html><h1>%s</h1><p>%s</p></html>", title, msg);
}

static json_t *nb_obj_render_error_json(int status, const char *title, const char *msg)
{
    return json_pack("{s:i,s:s,s:s}", "code", status, "title", title, "message", msg);
}

static const char *const nb_object_headers[] = {"Accept-Ranges", "bytes", NULL};

static const struct nb_service nb_object_service = {
    .name = "object",
    .prefix = "/object",
    .routes = nb_object_routes,
    .nroutes = NB_ARRAY_SIZE(nb_object_routes),
    .render_error = nb_obj_render_error_json,
    .render_error_text = nb_obj_render_error,
    .headers = nb_object_headers,
};

void nb_obj_reply_common(struct nb_req *req)
{
    unsigned char rnd[11];
    char hex[23], *v;

    nb_random_bytes(rnd, sizeof(rnd));
    nb_hex_encode(rnd, sizeof(rnd), hex);
    hex[21] = '\0';
    v = nb_xasprintf("tx%s-%010llx", hex, (unsigned long long)(nb_now_us() / 1000000));
    nb_reply_header(req, "X-Trans-Id", v);
    free(v);
}

int nb_obj_rq_init(struct nb_req *req, struct nb_obj_rq *rq)
{
    memset(rq, 0, sizeof(*rq));
    rq->req = req;
    rq->account = nb_req_param(req, 0);
    rq->container = nb_req_param(req, 1);
    rq->object = nb_req_param(req, 2);
    nb_obj_reply_common(req);
    if (!rq->account || strncmp(rq->account, "AUTH_", 5) != 0 || !rq->account[5] ||
        strlen(rq->account) > NB_OBJ_MAX_ACCOUNT_NAME) {
        nb_req_policy_done(req);
        return nb_req_err(req, 404, "The resource could not be found.");
    }
    rq->project = rq->account + 5;
    if (rq->container) {
        int r = nb_obj_name_check(req, rq->container, NB_OBJ_MAX_CONTAINER_NAME,
                                  "Container name");
        if (r < 0) {
            nb_req_policy_done(req);
            return r;
        }
    }
    if (rq->object) {
        int r = nb_obj_name_check(req, rq->object, NB_OBJ_MAX_OBJECT_NAME, "Object name");
        if (r < 0) {
            nb_req_policy_done(req);
            return r;
        }
    }
    return 0;
}

/* Checks the token once; a bad token is a 401. */
static int nb_obj_authenticate(struct nb_obj_rq *rq)
{
    struct nb_ctx *ctx = nb_req_ctx(rq->req);
    json_t *target;
    int r;

    if (rq->authed)
        return 0;
    rq->authed = true;
    r = nb_auth_authenticate(rq->req);
    if (r < 0)
        return r;
    if (!ctx->caller.authenticated)
        return 0;
    target = json_pack("{s:{s:s}}", "target", "project_id", rq->project);
    rq->reseller = nb_policy_allows(ctx, "object:reseller_admin", NULL);
    rq->owner = nb_policy_allows(ctx, "object:owner", target);
    json_decref(target);
    return 0;
}

/* Does one ACL entry ("proj:user", "*:user", "proj:*") name the caller? */
static bool nb_obj_acl_user(const struct nb_caller *c, const char *e, size_t n)
{
    const char *colon = memchr(e, ':', n);
    size_t pl, ul;
    const char *u;

    if (!c->authenticated || !colon)
        return false;
    pl = (size_t)(colon - e);
    u = colon + 1;
    ul = n - pl - 1;
#define NB_EQ(s, len, v) ((len) == strlen(v) && strncmp((s), (v), (len)) == 0)
    return (NB_EQ(e, pl, "*") || NB_EQ(e, pl, c->project.id) ||
            (c->project.name[0] && NB_EQ(e, pl, c->project.name))) &&
           (NB_EQ(u, ul, "*") || NB_EQ(u, ul, c->user.id) ||
            (c->user.name[0] && NB_EQ(u, ul, c->user.name)));
#undef NB_EQ
}

/* The host of a Referer header, in 'out'. */
static void nb_obj_referrer_host(const char *ref, char out[256])
{
    const char *p = ref ? strstr(ref, "://") : NULL;
    size_t n;
    out[0] = '\0';
    if (!p)
        return;
    p += 3;
    n = strcspn(p, "/:?#");
    if (n >= 256)
        n = 255;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* A referrer entry (".r:*", ".r:.example.com", ".r:host", ".r:-host")
 * against the request's host: 1 allow, -1 deny, 0 no opinion. */
static int nb_obj_acl_referrer(const char *e, size_t n, const char *host)
{
    bool deny = n > 0 && e[0] == '-';
    size_t hl = strlen(host);
    if (deny) {
        e++;
        n--;
    }
    if (n == 1 && e[0] == '*')
        return deny ? -1 : 1;
    if (!hl)
        return 0;
    if ((n == hl && strncasecmp(e, host, n) == 0) ||
        (n > 0 && e[0] == '.' && hl > n && strncasecmp(host + hl - n, e, n) == 0))
        return deny ? -1 : 1;
    return 0;
}

/* Evaluates an ACL string: does it let the caller in ('listing': does the
 * referrer grant need .rlistings)? */
static bool nb_obj_acl_allows(struct nb_obj_rq *rq, const char *acl, bool referrers,
                              bool listing)
{
    const struct nb_caller *c = &nb_req_ctx(rq->req)->caller;
    char host[256];
    bool ref_ok = false, rlistings = false, user_ok = false;
    const char *p = acl;

    nb_obj_referrer_host(nb_req_header(rq->req, "Referer"), host);
    while (p && *p) {
        size_t n = strcspn(p, ",");
        const char *e = p;
        size_t en = n;
        while (en && (*e == ' ' || *e == '\t')) {
            e++;
            en--;
        }
        while (en && (e[en - 1] == ' ' || e[en - 1] == '\t'))
            en--;
        if (en >= 3 && (strncmp(e, ".r:", 3) == 0 || strncmp(e, ".referrer:", 10) == 0)) {
            size_t skip = e[2] == ':' ? 3 : 10;
            int v = referrers ? nb_obj_acl_referrer(e + skip, en - skip, host) : 0;
            if (v > 0)
                ref_ok = true;
            else if (v < 0)
                ref_ok = false;
        } else if (en == 10 && strncmp(e, ".rlistings", 10) == 0) {
            rlistings = true;
        } else if (en && nb_obj_acl_user(c, e, en)) {
            user_ok = true;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return user_ok || (ref_ok && (!listing || rlistings));
}

int nb_obj_authorize(struct nb_obj_rq *rq, enum nb_obj_op op, const json_t *cmeta)
{
    struct nb_ctx *ctx = nb_req_ctx(rq->req);
    const char *method = nb_req_method(rq->req);
    int r;

    nb_req_policy_done(rq->req);
    if (rq->tempurl)
        return 0;
    if (op == NB_OBJ_OP_READ || op == NB_OBJ_OP_WRITE) {
        r = nb_obj_tempurl_check(rq, method);
        if (r < 0)
            return r;
        if (r > 0) {
            rq->tempurl = true;
            return 0;
        }
    }
    if ((r = nb_obj_authenticate(rq)) < 0)
        return r;
    if (rq->owner || rq->reseller)
        return 0;
    if (cmeta && op != NB_OBJ_OP_ACCOUNT) {
        const char *acl = nb_json_str(cmeta, op == NB_OBJ_OP_WRITE ? "x-container-write"
                                                                   : "x-container-read");
        if (acl && nb_obj_acl_allows(rq, acl, op != NB_OBJ_OP_WRITE, op == NB_OBJ_OP_LIST))
            return 0;
    }
    if (!ctx->caller.authenticated)
        return nb_req_err(rq->req, 401, "This server could not verify that you are "
                                        "authorized to access the document you "
                                        "requested.");
    return nb_req_err(rq->req, 403, "Access was denied to this resource.");
}

/* ---- /info and /healthcheck */

static int nb_obj_info(struct nb_req *req)
{
    char *text;
    json_t *info;

    nb_req_policy_done(req);      /* public, as Swift's /info */
    nb_obj_reply_common(req);
    text = nb_xasprintf(
        "{\"swift\": {\"version\": \"2.30.0\", \"max_file_size\": %lld,"
        " \"max_meta_name_length\": %d, \"max_meta_value_length\": %d,"
        " \"max_meta_count\": %d, \"max_meta_overall_size\": %d,"
        " \"max_header_size\": %d, \"max_object_name_length\": %d,"
        " \"container_listing_limit\": %ld, \"account_listing_limit\": %ld,"
        " \"max_account_name_length\": %d, \"max_container_name_length\": %d,"
        " \"extra_header_count\": 0, \"strict_cors_mode\": true,"
        " \"allow_account_management\": false, \"account_autocreate\": true,"
        " \"valid_api_versions\": [\"v1\"],"
        " \"policies\": [{\"name\": \"Policy-0\", \"default\": true}]},"
        " \"slo\": {\"max_manifest_segments\": %d, \"max_manifest_size\": %d,"
        " \"min_segment_size\": 1, \"yield_frequency\": 10},"
        " \"dlo\": {\"max_segments\": %d},"
        " \"tempurl\": {\"methods\": [\"GET\", \"HEAD\", \"PUT\"],"
        " \"incoming_remove_headers\": [\"x-timestamp\"],"
        " \"incoming_allow_headers\": [],"
        " \"outgoing_remove_headers\": [\"x-object-meta-*\"],"
        " \"outgoing_allow_headers\": [\"x-object-meta-public-*\"],"
        " \"allowed_digests\": [\"sha1\", \"sha256\", \"sha512\"]},"
        " \"account_quotas\": {}, \"container_quotas\": {},"
        " \"bulk_delete\": {\"max_deletes_per_request\": %d,"
        " \"max_failed_deletes\": %d}, \"crossdomain\": {},"
        " \"formpost\": {}, \"staticweb\": {}, \"bulk_upload\": {\"max_containers_per_extraction\": %d,"
        " \"max_failed_extractions\": %d},"
        " \"versioned_writes\": {\"allowed_flags\": [\"x-versions-location\","
        " \"x-history-location\"]}}",
        (long long)nb_obj_limits.max_file_size, NB_OBJ_MAX_META_NAME,
        NB_OBJ_MAX_META_VALUE, NB_OBJ_MAX_META_COUNT, NB_OBJ_MAX_META_OVERALL,
        NB_OBJ_MAX_HEADER, NB_OBJ_MAX_OBJECT_NAME, nb_obj_limits.listing_limit,
        nb_obj_limits.listing_limit, NB_OBJ_MAX_ACCOUNT_NAME, NB_OBJ_MAX_CONTAINER_NAME,
        NB_OBJ_SLO_MAX_SEGMENTS, NB_OBJ_SLO_MAX_MANIFEST, NB_OBJ_DLO_MAX_SEGMENTS,
        NB_OBJ_BULK_MAX_DELETES, NB_OBJ_BULK_MAX_FAILED, NB_OBJ_BULK_MAX_CONTAINERS,
        NB_OBJ_BULK_MAX_FAILED);
    info = json_loads(text, 0, NULL);
    free(text);
    return nb_reply_json(req, 200, info);
}

/* DELETE on an account: only ?bulk-delete (accounts themselves are not
 * managed through the API: 405, as Swift's allow_account_management off). */
static int nb_obj_account_delete(struct nb_req *req)
{
    struct nb_obj_rq rq;
    int r;

    if (nb_req_query(req, "bulk-delete"))
        return nb_obj_bulk_delete(req);
    if ((r = nb_obj_rq_init(req, &rq)) < 0 || (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    nb_reply_header(req, "Allow", "GET, HEAD, POST");
    return nb_req_err(req, 405, "The method is not allowed for this resource.");
}

/* PUT on an account: only ?extract-archive= (405 otherwise, as above). */
static int nb_obj_account_put(struct nb_req *req)
{
    struct nb_obj_rq rq;
    int r;

    if ((r = nb_obj_rq_init(req, &rq)) < 0 || (r = nb_obj_authorize(&rq, NB_OBJ_OP_ACCOUNT, NULL)) < 0)
        return r;
    if (nb_req_query(req, "extract-archive"))
        return nb_obj_bulk_extract(req, &rq);
    nb_reply_header(req, "Allow", "GET, HEAD, POST");
    return nb_req_err(req, 405, "The method is not allowed for this resource.");
}

static int nb_obj_healthcheck(struct nb_req *req)
{
    struct nb_tx *tx = NULL;
    int64_t one = 0;
    int r;

    nb_req_policy_done(req);
    nb_obj_reply_common(req);
    r = nb_tx_begin(nb_obj_env->db, false, &tx);
    if (r == 0)
        r = nb_tx_query_int(tx, &one, "SELECT 1", "");
    nb_tx_rollback(tx);
    if (r < 0)
        return nb_reply_data(req, 503, "text/plain", nb_xstrdup("DISABLED BY DB"), 14);
    return nb_reply_data(req, 200, "text/plain", nb_xstrdup("OK"), 2);
}

/* ---- the module */

static int nb_obj_init(const struct nb_module_env *env)
{
    nb_obj_env = env;
    nb_obj_limits.max_file_size = nb_conf_int("object", "max_file_size");
    nb_obj_limits.listing_limit = nb_conf_int("object", "listing_limit");
    nb_obj_limits.expirer_interval = nb_conf_int("object", "expirer_interval");
    if (nb_obj_limits.listing_limit <= 0)
        nb_obj_limits.listing_limit = 10000;
    return nb_obj_schema_init(env->db);
}

static int nb_obj_recover(const struct nb_module_env *env)
{
    (void)env;
    return nb_obj_sweep_orphans();
}

static int nb_obj_bootstrap(const struct nb_module_env *env)
{
    char *url = nb_xasprintf("%s/object/v1/AUTH_%%(project_id)s", env->public_url);
    int r = nb_identity_register_service("object-store", "swift", url, env->region);
    free(url);
    /* the reseller admin role, as a Swift deployment creates it */
    if (r == 0)
        r = nb_identity_ensure_role("ResellerAdmin");
    return r;
}

static int nb_obj_start(const struct nb_module_env *env)
{
    (void)env;
    return nb_obj_expirer_start();
}

static void nb_obj_shutdown(void)
{
    nb_obj_expirer_stop();
    nb_obj_env = NULL;
}

const struct nb_module nb_object_module = {
    .name = "object",
    .service = &nb_object_service,
    .init = nb_obj_init,
    .recover = nb_obj_recover,
    .bootstrap = nb_obj_bootstrap,
    .start = nb_obj_start,
    .shutdown = nb_obj_shutdown,
};
