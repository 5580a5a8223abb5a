/* Glance v2 over HTTP: the route table (the whole API surface on one
 * screen), version discovery, schemas, /v2/info, Glance's error body and
 * the module (init, bootstrap). */
#include "identity/identity.h"
#include "image/internal.h"

#include <stdlib.h>
#include <string.h>

#define IN_HANDLER NB_POLICY_IN_HANDLER
#define PUB NB_ROUTE_PUBLIC
#define H(m, p, fn) {m, p, fn, IN_HANDLER, 0, NULL, NULL, NULL}
#define HP(m, p, fn, rule) {m, p, fn, rule, 0, NULL, NULL, NULL}
/* a streamed body: on_begin claims the image, chunks go to the upload */
#define STREAM(m, p, begin) \
    {m, p, nb_img_upload_end, IN_HANDLER, NB_ROUTE_STREAM, begin, nb_img_upload_body, NULL}

static int nb_img_versions(struct nb_req *req);
static int nb_img_versions_explicit(struct nb_req *req);
static int nb_img_schema(struct nb_req *req);
static int nb_img_info_import(struct nb_req *req);
static int nb_img_info_stores(struct nb_req *req);

static const struct nb_route nb_image_routes[] = {
    {"GET", "/", nb_img_versions, NULL, PUB, NULL, NULL, NULL},
    {"GET", "/versions", nb_img_versions_explicit, NULL, PUB, NULL, NULL, NULL},

    {"GET", "/v2/schemas/image", nb_img_schema, "image:get_schema", 0, NULL, NULL,
     "image"},
    {"GET", "/v2/schemas/images", nb_img_schema, "image:get_schema", 0, NULL, NULL,
     "images"},
    {"GET", "/v2/schemas/member", nb_img_schema, "image:get_schema", 0, NULL, NULL,
     "member"},
    {"GET", "/v2/schemas/members", nb_img_schema, "image:get_schema", 0, NULL, NULL,
     "members"},
    HP("GET", "/v2/info/import", nb_img_info_import, "image:get_info"),
    HP("GET", "/v2/info/stores", nb_img_info_stores, "image:get_info"),
    HP("GET", "/v2/info/usage", nb_img_usage, "image:get_info"),

    /* images */
    HP("GET", "/v2/images", nb_img_list, "image:get_images"),
    H("POST", "/v2/images", nb_img_create),
    H("DELETE", "/v2/images", nb_img_delete_no_id),
    H("GET", "/v2/images/{image_id}", nb_img_show),
    H("PATCH", "/v2/images/{image_id}", nb_img_update),
    H("DELETE", "/v2/images/{image_id}", nb_img_delete),
    H("POST", "/v2/images/{image_id}/actions/deactivate", nb_img_deactivate),
    H("POST", "/v2/images/{image_id}/actions/reactivate", nb_img_reactivate),

    /* data */
    STREAM("PUT", "/v2/images/{image_id}/file", nb_img_upload_begin),
    H("GET", "/v2/images/{image_id}/file", nb_img_download),
    STREAM("PUT", "/v2/images/{image_id}/stage", nb_img_stage_begin),
    H("POST", "/v2/images/{image_id}/import", nb_img_import),
    H("GET", "/v2/images/{image_id}/tasks", nb_img_tasks),

    /* tags and members */
    H("PUT", "/v2/images/{image_id}/tags/{tag}", nb_img_tag_add),
    H("DELETE", "/v2/images/{image_id}/tags/{tag}", nb_img_tag_delete),
    H("GET", "/v2/images/{image_id}/members", nb_img_member_list),
    H("POST", "/v2/images/{image_id}/members", nb_img_member_create),
    H("GET", "/v2/images/{image_id}/members/{member_id}", nb_img_member_show),
    H("PUT", "/v2/images/{image_id}/members/{member_id}", nb_img_member_update),
    H("DELETE", "/v2/images/{image_id}/members/{member_id}", nb_img_member_delete),
};

/* Glance answers with webob's JSON error body. */
static json_t *nb_img_render_error(int status, const char *title, const char *msg)
{
    char code[64];
    snprintf(code, sizeof(code), "%d %s", status, title);
    return json_pack("{s:s,s:s,s:s}", "message", msg, "code", code, "title", title);
}

static const struct nb_service nb_image_service = {
    .name = "image",
    .prefix = "/image",
    .routes = nb_image_routes,
    .nroutes = NB_ARRAY_SIZE(nb_image_routes),
    .render_error = nb_img_render_error,
    .bad_content_type_status = 415,
};

const struct nb_module_env *nb_img_env;

/* ---- version discovery (api-ref "Versions"): 300 at the root, 200 when
 * asked for explicitly, as glance/api/versions.py */

static int nb_img_versions_reply(struct nb_req *req, int status)
{
    static const char *const ids[] = {
        "v2.16", "v2.15", "v2.14", "v2.13", "v2.12", "v2.11", "v2.10", "v2.9", "v2.8",
        "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0",
    };
    json_t *list = json_array();
    char *href = nb_xasprintf("%s/image/v2/", nb_req_base_url(req));
    for (size_t i = 0; i < NB_ARRAY_SIZE(ids); i++)
        json_array_append_new(list, json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "id", ids[i],
                                              "status", i == 0 ? "CURRENT" : "SUPPORTED",
                                              "links", "rel", "self", "href", href));
    free(href);
    return nb_reply_json(req, status, json_pack("{s:o}", "versions", list));
}

static int nb_img_versions(struct nb_req *req)
{
    return nb_img_versions_reply(req, 300);
}

static int nb_img_versions_explicit(struct nb_req *req)
{
    return nb_img_versions_reply(req, 200);
}

static int nb_img_schema(struct nb_req *req)
{
    const char *name = nb_req_route_arg(req);
    json_t *schema = !strcmp(name, "image")    ? nb_img_schema_image()
                     : !strcmp(name, "images") ? nb_img_schema_images()
                     : !strcmp(name, "member") ? nb_img_schema_member()
                                               : nb_img_schema_members();
    return nb_reply_json(req, 200, schema);
}

static int nb_img_info_import(struct nb_req *req)
{
    return nb_reply_json(req, 200,
                         json_pack("{s:{s:s,s:s,s:[s]}}", "import-methods", "description",
                                   "Import methods available.", "type", "array", "value",
                                   "glance-direct"));
}

static int nb_img_info_stores(struct nb_req *req)
{
    return nb_reply_json(req, 200,
                         json_pack("{s:[{s:s,s:s,s:b}]}", "stores", "id", "file",
                                   "description", "Image data in the nubis blob store",
                                   "default", 1));
}

/* ---- the module */

static int nb_img_init(const struct nb_module_env *env)
{
    int r;
    nb_img_env = env;
    r = nb_img_schema_migrate(env->db);
    return r;
}

static int nb_img_recover_module(const struct nb_module_env *env)
{
    return nb_img_recover(env->db);
}

static int nb_img_bootstrap(const struct nb_module_env *env)
{
    char *url = nb_xasprintf("%s/image", env->public_url);
    int r = nb_identity_register_service("image", "glance", url, env->region);
    free(url);
    return r;
}

static void nb_img_shutdown(void)
{
    nb_img_env = NULL;
}

const struct nb_module nb_image_module = {
    .name = "image",
    .service = &nb_image_service,
    .init = nb_img_init,
    .recover = nb_img_recover_module,
    .bootstrap = nb_img_bootstrap,
    .shutdown = nb_img_shutdown,
};
