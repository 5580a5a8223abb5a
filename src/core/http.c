/* HTTP: libmicrohttpd glue and the request pipeline.
 *
 * libmicrohttpd calls nb_http_access() several times per request: once
 * when the headers are in, once per body chunk, and once more at the end.
 * The first call routes, authenticates and checks the route's policy; body
 * chunks are buffered (JSON, up to max_body) or handed to a streaming
 * route; the last call runs the handler and queues the response. */
#include "core.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NB_MAX_PARAMS 8

struct nb_http {
    struct MHD_Daemon *mhd;
    struct nb_http_config cfg;
    const struct nb_service *const *services;
    size_t nservices;
};

struct nb_hdr {
    char *name, *value;
};

struct nb_req {
    struct nb_http *http;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;                 /* after the service prefix */
    const struct nb_service *svc;
    const struct nb_route *route;
    char *params[NB_MAX_PARAMS];
    int nparams;
    struct nb_ctx ctx;
    int64_t t0;

    struct nb_buf body;
    bool body_dropped;                /* error already decided: discard */
    json_t *json;

    struct MHD_Response *resp;
    int status;
    struct nb_hdr *hdrs;
    int nhdrs;
    char *base_url;

    void *state;
    void (*cleanup)(void *state, bool completed);
    int mv;                           /* negotiated microversion, or 0 */
    bool legacy;                      /* served below the legacy prefix */
    char *legacy_path;                /* the path it is served as */
    bool policy_done;
    bool queued;
};

/* ---- the generic error body, for paths no service owns */
static json_t *nb_default_error(int status, const char *title, const char *msg)
{
    return json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status, "title",
                     title, "message", msg);
}

static const struct nb_service nb_no_service = {
    .name = "-",
    .prefix = "",
    .render_error = nb_default_error,
};

/* ---- request accessors */

struct nb_ctx *nb_req_ctx(struct nb_req *req)
{
    return &req->ctx;
}

const char *nb_req_method(const struct nb_req *req)
{
    return req->method;
}

const char *nb_req_path(const struct nb_req *req)
{
    return req->path;
}

const struct nb_service *nb_req_service(const struct nb_req *req)
{
    return req->svc;
}

int nb_req_mv(const struct nb_req *req)
{
    return req->mv;
}

int nb_mv_parse(const struct nb_microversions *mv, const char *s, int *out)
{
    char *end;
    long major, minor;
    int v;

    while (*s == ' ')
        s++;
    if (strcasecmp(s, "latest") == 0) {
        *out = mv->max;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -EINVAL;
    major = strtol(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return -EINVAL;
    minor = strtol(end + 1, &end, 10);
    while (*end == ' ')
        end++;
    if (*end || major > 99 || minor > 999)
        return -EINVAL;
    v = NB_MV((int)major, (int)minor);
    if (v < mv->min || v > mv->max)
        return -ERANGE;
    *out = v;
    return 0;
}

/* The value for 'type' in an OpenStack-API-Version header ("compute 2.5,
 * volume 3.1"): a new string, or NULL when the header names another. */
static char *nb_mv_header_value(const char *h, const char *type)
{
    size_t tl = strlen(type);

    while (h && *h) {
        const char *end = strchr(h, ',');
        size_t n = end ? (size_t)(end - h) : strlen(h);
        while (n && *h == ' ')
            h++, n--;
        if (n > tl && strncasecmp(h, type, tl) == 0 && h[tl] == ' ')
            return nb_xstrndup(h + tl + 1, n - tl - 1);
        h = end ? end + 1 : NULL;
    }
    return NULL;
}

/* A path below the legacy prefix ("/v2/servers") is served as the same
 * path below the current one ("/v2.1/servers"), without negotiation. */
static void nb_req_legacy_path(struct nb_req *req)
{
    const struct nb_microversions *mv = req->svc->mv;
    size_t n;

    if (!mv || !mv->legacy_prefix)
        return;
    n = strlen(mv->legacy_prefix);
    if (strncmp(req->path, mv->legacy_prefix, n) || req->path[n] != '/' ||
        !req->path[n + 1])
        return;
    req->legacy_path = nb_xasprintf("%s%s", mv->prefix, req->path + n);
    req->path = req->legacy_path;
    req->legacy = true;
}

/* Negotiates the request's microversion (see core.h). */
static int nb_req_negotiate(struct nb_req *req)
{
    const struct nb_microversions *mv = req->svc->mv;
    char *want = nb_mv_header_value(nb_req_header(req, "OpenStack-API-Version"),
                                    mv->service_type);
    const char *legacy = mv->legacy_header ? nb_req_header(req, mv->legacy_header)
                                           : NULL;
    const char *v = want ? want : legacy;
    int r = 0;

    if (!v || req->legacy) {
        req->mv = mv->min;
        free(want);
        return 0;
    }
    r = nb_mv_parse(mv, v, &req->mv);
    if (r == -EINVAL)
        r = nb_req_err(req, 400, "API Version String %s is of invalid format. "
                       "Must be of format MajorNum.MinorNum.", v);
    else if (r == -ERANGE)
        r = nb_req_err(req, 406, "Version %s is not supported by the API. "
                       "Minimum is %d.%d and maximum is %d.%d.", v,
                       mv->min / 1000, mv->min % 1000, mv->max / 1000,
                       mv->max % 1000);
    free(want);
    return r;
}

/* Echoes the negotiated microversion. */
static void nb_req_mv_headers(struct nb_req *req)
{
    const struct nb_microversions *mv = req->svc->mv;
    char v[64];

    if (!req->mv || req->legacy)
        return;
    snprintf(v, sizeof(v), "%s %d.%d", mv->service_type, req->mv / 1000,
             req->mv % 1000);
    MHD_add_response_header(req->resp, "OpenStack-API-Version", v);
    if (mv->legacy_header) {
        MHD_add_response_header(req->resp, mv->legacy_header,
                                v + strlen(mv->service_type) + 1);
        snprintf(v, sizeof(v), "OpenStack-API-Version, %s", mv->legacy_header);
        MHD_add_response_header(req->resp, "Vary", v);
    } else {
        MHD_add_response_header(req->resp, "Vary", "OpenStack-API-Version");
    }
}

const void *nb_req_route_arg(const struct nb_req *req)
{
    return req->route ? req->route->arg : NULL;
}

const char *nb_req_param(const struct nb_req *req, int n)
{
    return n >= 0 && n < req->nparams ? req->params[n] : NULL;
}

const char *nb_req_header(struct nb_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct nb_header_iter {
    void (*fn)(void *arg, const char *name, const char *value);
    void *arg;
};

static enum MHD_Result nb_header_each_cb(void *cls, enum MHD_ValueKind kind,
                                         const char *key, const char *value)
{
    struct nb_header_iter *it = cls;
    (void)kind;
    it->fn(it->arg, key, value ? value : "");
    return MHD_YES;
}

void nb_req_header_each(struct nb_req *req,
                        void (*fn)(void *arg, const char *name,
                                   const char *value),
                        void *arg)
{
    struct nb_header_iter it = {fn, arg};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, nb_header_each_cb, &it);
}

struct nb_query_find {
    const char *key;
    const char *raw;
    bool found;
};

static enum MHD_Result nb_query_find_cb(void *cls, enum MHD_ValueKind kind,
                                        const char *key, const char *value)
{
    struct nb_query_find *f = cls;
    bool match;
    (void)kind;
    /* keys arrive escaped too ("scope.OS-INHERIT%3Ainherited_to") */
    if (strchr(key, '%') || strchr(key, '+')) {
        char *k = nb_url_decode(key, strlen(key), true);
        match = strcmp(k, f->key) == 0;
        free(k);
    } else {
        match = strcmp(key, f->key) == 0;
    }
    if (match) {   /* the last one wins */
        f->raw = value;
        f->found = true;
    }
    return MHD_YES;
}

/* Decoded query values are kept on the request (freed with it) so callers
 * can borrow them. */
static const char *nb_req_keep(struct nb_req *req, char *s)
{
    req->hdrs = nb_xrealloc(req->hdrs, sizeof(*req->hdrs) * (size_t)(req->nhdrs + 1));
    req->hdrs[req->nhdrs].name = NULL;    /* NULL name: not a header */
    req->hdrs[req->nhdrs].value = s;
    req->nhdrs++;
    return s;
}

const char *nb_req_query(struct nb_req *req, const char *key)
{
    struct nb_query_find f = {key, NULL, false};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, nb_query_find_cb, &f);
    if (!f.found)
        return NULL;
    if (!f.raw)
        return "";
    return nb_req_keep(req, nb_url_decode(f.raw, strlen(f.raw), true));
}

struct nb_query_iter {
    void (*fn)(void *arg, const char *k, const char *v);
    void *arg;
};

static enum MHD_Result nb_query_each_cb(void *cls, enum MHD_ValueKind kind,
                                        const char *key, const char *value)
{
    struct nb_query_iter *it = cls;
    char *k = nb_url_decode(key, strlen(key), true);
    char *v = value ? nb_url_decode(value, strlen(value), true) : nb_xstrdup("");
    (void)kind;
    it->fn(it->arg, k, v);
    free(k);
    free(v);
    return MHD_YES;
}

void nb_req_query_each(struct nb_req *req,
                       void (*fn)(void *arg, const char *k, const char *v),
                       void *arg)
{
    struct nb_query_iter it = {fn, arg};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, nb_query_each_cb, &it);
}

static void nb_query_obj_cb(void *arg, const char *k, const char *v)
{
    json_object_set_new(arg, k, json_string(v));
}

static void nb_url_encode(struct nb_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~:", c))
            nb_buf_add(b, s, 1);
        else
            nb_buf_printf(b, "%%%02X", c);
    }
}

static void nb_query_string_cb(void *arg, const char *k, const char *v)
{
    struct nb_buf *b = arg;
    if (b->len)
        nb_buf_puts(b, "&");
    nb_url_encode(b, k);
    if (*v) {
        nb_buf_puts(b, "=");
        nb_url_encode(b, v);
    }
}

char *nb_req_query_string(struct nb_req *req)
{
    struct nb_buf b = {0};
    nb_req_query_each(req, nb_query_string_cb, &b);
    return nb_buf_steal(&b);
}

json_t *nb_req_query_obj(struct nb_req *req)
{
    json_t *o = json_object();
    nb_req_query_each(req, nb_query_obj_cb, o);
    return o;
}

const char *nb_req_body(const struct nb_req *req, size_t *len)
{
    if (len)
        *len = req->body.len;
    return req->body.buf ? req->body.buf : "";
}

/* application/json, or any type ending in +json, with parameters. */
static bool nb_ctype_is_json(const char *ctype)
{
    size_t n = strcspn(ctype, ";");
    while (n && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
        n--;
    return (n == 16 && strncasecmp(ctype, "application/json", 16) == 0) ||
           (n > 5 && strncasecmp(ctype + n - 5, "+json", 5) == 0);
}

json_t *nb_req_json(struct nb_req *req)
{
    const char *ctype;
    json_error_t jerr;
    if (req->json)
        return req->json;
    if (!req->body.len) {
        nb_req_err(req, 400, "Expecting to find a JSON request body; the "
                             "request body is empty.");
        return NULL;
    }
    ctype = nb_req_header(req, "Content-Type");
    if (ctype && *ctype && !nb_ctype_is_json(ctype)) {
        int status = req->svc->bad_content_type_status;
        nb_req_err(req, status ? status : 415, "Expecting to find application/json in "
                                               "Content-Type header - the server could not "
                                               "comply with the request since it is either "
                                               "malformed or otherwise incorrect. The client "
                                               "is assumed to be in error.");
        return NULL;
    }
    req->json = json_loadb(req->body.buf, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req->json) {
        nb_req_err(req, 400, "Malformed JSON in request body: %s (line %d, "
                             "column %d).", jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(req->json)) {
        json_decref(req->json);
        req->json = NULL;
        nb_req_err(req, 400, "The request body must be a JSON object.");
        return NULL;
    }
    return req->json;
}

const char *nb_req_base_url(struct nb_req *req)
{
    const char *host, *proto;
    if (req->base_url)
        return req->base_url;
    host = nb_req_header(req, "Host");
    proto = nb_req_header(req, "X-Forwarded-Proto");
    if (!host)
        host = req->http->cfg.listen;
    req->base_url = nb_xasprintf("%s://%s", proto ? proto : "http", host);
    return req->base_url;
}

void nb_req_set_state(struct nb_req *req, void *state,
                      void (*cleanup)(void *state, bool completed))
{
    req->state = state;
    req->cleanup = cleanup;
}

void *nb_req_state(struct nb_req *req)
{
    return req->state;
}

void nb_req_policy_done(struct nb_req *req)
{
    req->policy_done = true;
}

int nb_req_enforce(struct nb_req *req, const char *rule, const json_t *target)
{
    int r;
    req->policy_done = true;
    if (!req->http->cfg.hooks.enforce)
        return 0;
    r = req->http->cfg.hooks.enforce(&req->ctx, rule, target);
    return r;
}

int nb_req_err(struct nb_req *req, int status, const char *fmt, ...)
{
    va_list ap;
    if (!req->ctx.err_status) {
        req->ctx.err_status = status;
        va_start(ap, fmt);
        vsnprintf(req->ctx.err_msg, sizeof(req->ctx.err_msg), fmt, ap);
        va_end(ap);
    }
    return nb_status_to_errno(status);
}

/* ---- replies */

static void nb_req_set_resp(struct nb_req *req, int status, struct MHD_Response *resp)
{
    if (req->resp)
        MHD_destroy_response(req->resp);
    req->resp = resp;
    req->status = status;
}

int nb_reply_data(struct nb_req *req, int status, const char *ctype,
                  char *data, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    nb_req_set_resp(req, status, resp);
    return 0;
}

int nb_reply_json(struct nb_req *req, int status, json_t *body)
{
    char *s = nb_json_dump(body);
    json_decref(body);
    return nb_reply_data(req, status, "application/json", s, strlen(s));
}

int nb_reply_empty(struct nb_req *req, int status)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    nb_req_set_resp(req, status, resp);
    return 0;
}

int nb_reply_fd(struct nb_req *req, int status, const char *ctype, int fd,
                uint64_t offset, uint64_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_fd_at_offset64(len, fd, offset);
    if (!resp) {
        close(fd);
        return nb_req_err(req, 500, "Cannot stream the response.");
    }
    if (ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    nb_req_set_resp(req, status, resp);
    return 0;
}

struct nb_stream {
    int64_t (*read)(void *state, uint64_t pos, char *buf, size_t max);
    void *state;
    void (*done)(void *state);
};

static ssize_t nb_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct nb_stream *s = cls;
    int64_t n = s->read(s->state, pos, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void nb_stream_free(void *cls)
{
    struct nb_stream *s = cls;
    if (s->done)
        s->done(s->state);
    free(s);
}

int nb_reply_stream(struct nb_req *req, int status, const char *ctype,
                    int64_t total,
                    int64_t (*read)(void *state, uint64_t pos, char *buf,
                                    size_t max),
                    void *state, void (*done)(void *state))
{
    struct nb_stream *s = nb_xmalloc(sizeof(*s));
    struct MHD_Response *resp;

    s->read = read;
    s->state = state;
    s->done = done;
    resp = MHD_create_response_from_callback(
        total < 0 ? MHD_SIZE_UNKNOWN : (uint64_t)total, 64 * 1024,
        nb_stream_read, s, nb_stream_free);
    if (!resp) {
        nb_stream_free(s);
        return nb_req_err(req, 500, "Cannot stream the response.");
    }
    if (ctype)
        MHD_add_response_header(resp, "Content-Type", ctype);
    nb_req_set_resp(req, status, resp);
    return 0;
}

void nb_reply_header(struct nb_req *req, const char *name, const char *value)
{
    req->hdrs = nb_xrealloc(req->hdrs, sizeof(*req->hdrs) * (size_t)(req->nhdrs + 1));
    req->hdrs[req->nhdrs].name = nb_xstrdup(name);
    req->hdrs[req->nhdrs].value = nb_xstrdup(value);
    req->nhdrs++;
}

/* ---- the pipeline */

static void nb_req_free(struct nb_req *req)
{
    for (int i = 0; i < req->nparams; i++)
        free(req->params[i]);
    for (int i = 0; i < req->nhdrs; i++) {
        free(req->hdrs[i].name);
        free(req->hdrs[i].value);
    }
    free(req->hdrs);
    free(req->legacy_path);
    free(req->base_url);
    nb_buf_free(&req->body);
    json_decref(req->json);
    if (req->resp)
        MHD_destroy_response(req->resp);
    free(req);
}

/* Turns the recorded error (or 'r') into this service's error body. */
static void nb_req_render_error(struct nb_req *req, int r)
{
    int status = req->ctx.err_status ? req->ctx.err_status : nb_errno_to_status(r);
    const char *msg = req->ctx.err_msg[0] ? req->ctx.err_msg : nb_http_reason(status);
    json_t *body;

    if (status >= 500)
        nb_error("%s %s: %d %s", req->method, req->path, status, msg);
    if (status == 500 && !req->ctx.err_msg[0])
        msg = "An unexpected error prevented the server from fulfilling your request.";
    if (req->svc->render_error_text) {
        const char *ctype = "text/plain";
        char *text = req->svc->render_error_text(status, nb_http_reason(status), msg,
                                                 &ctype);
        nb_reply_data(req, status, ctype, text, strlen(text));
    } else {
        body = req->svc->render_error(status, nb_http_reason(status), msg);
        nb_reply_json(req, status, body);
    }
    if (status == 401) {
        /* where to get a token, as keystonemiddleware says it */
        char *v = nb_xasprintf("Keystone uri=\"%s/identity/v3\"", nb_req_base_url(req));
        nb_reply_header(req, "WWW-Authenticate", v);
        free(v);
    }
}

static const struct nb_service *nb_http_find_service(struct nb_http *h,
                                                     const char *url,
                                                     const char **rest)
{
    const struct nb_service *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < h->nservices; i++) {
        const char *p = h->services[i]->prefix;
        size_t n = strlen(p);
        if (strncmp(url, p, n) == 0 && (url[n] == '/' || url[n] == '\0') &&
            (!best || n > best_len)) {
            best = h->services[i];
            best_len = n;
        }
    }
    *rest = url + best_len;
    return best;
}

/* Runs once the headers are in: route, authenticate, route policy.
 * Returns 0 to go on, or an error recorded on the request. */
static int nb_req_begin(struct nb_req *req, const char *url)
{
    struct nb_http *h = req->http;
    const char *rest;
    int r;

    req->svc = nb_http_find_service(h, url, &rest);
    if (!req->svc) {
        req->svc = &nb_no_service;
        req->path = url;
        return nb_req_err(req, 404, "The resource could not be found.");
    }
    req->path = *rest ? rest : "/";
    nb_req_legacy_path(req);
    r = nb_router_match(req->svc, req->method, req->path, &req->route,
                        req->params, &req->nparams);
    if (r == -ENOENT)
        return nb_req_err(req, 404, "The resource could not be found.");
    if (r == -EOPNOTSUPP)
        return nb_req_err(req, 405, "The method %s is not allowed for this "
                                    "resource.", req->method);
    if (!(req->route->flags & NB_ROUTE_PUBLIC) && h->cfg.hooks.authenticate) {
        r = h->cfg.hooks.authenticate(req);
        if (r < 0)
            return r;
    }
    if (req->svc->mv && !(req->route->flags & NB_ROUTE_UNVERSIONED) &&
        (r = nb_req_negotiate(req)) < 0)
        return r;
    if (req->route->policy)
        return nb_req_enforce(req, req->route->policy, NULL);
    if (req->route->flags & NB_ROUTE_PUBLIC)
        req->policy_done = true;
    return 0;
}

static void nb_req_finish(struct nb_req *req)
{
    int r = 0;

    if (!req->ctx.err_status) {
        r = req->route->handler(req);
        if (r == 0 && !req->resp) {
            nb_error("BUG: %s %s returned no response", req->method, req->path);
            r = -EIO;
        }
        if (r == 0 && !req->policy_done) {
            nb_error("BUG: %s %s did not enforce a policy", req->method,
                     req->route->pattern);
#ifdef NB_STRICT
            abort();
#endif
        }
    }
    if (req->ctx.err_status || r < 0)
        nb_req_render_error(req, r);
}

static enum MHD_Result nb_req_queue(struct nb_req *req)
{
    enum MHD_Result ret;
    const char *const *sh = req->svc->headers;
    MHD_add_response_header(req->resp, "X-Openstack-Request-Id", req->ctx.request_id);
    if (req->svc->request_id_header)
        MHD_add_response_header(req->resp, req->svc->request_id_header, req->ctx.request_id);
    for (; sh && sh[0]; sh += 2)
        MHD_add_response_header(req->resp, sh[0], sh[1]);
    nb_req_mv_headers(req);
    /* libmicrohttpd refuses empty values: one space, which clients strip */
    for (int i = 0; i < req->nhdrs; i++)
        if (req->hdrs[i].name)
            MHD_add_response_header(req->resp, req->hdrs[i].name,
                                    *req->hdrs[i].value ? req->hdrs[i].value : " ");
    ret = MHD_queue_response(req->conn, (unsigned)req->status, req->resp);
    req->queued = true;
    return ret;
}

static enum MHD_Result nb_http_access(void *cls, struct MHD_Connection *conn,
                                      const char *url, const char *method,
                                      const char *version,
                                      const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    struct nb_http *h = cls;
    struct nb_req *req = *con_cls;
    (void)version;

    if (!req) {
        const char *rid;
        req = nb_xcalloc(1, sizeof(*req));
        req->http = h;
        req->conn = conn;
        req->method = method;
        req->t0 = nb_mono_us();
        rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Openstack-Request-Id");
        if (nb_request_id_valid(rid))
            snprintf(req->ctx.request_id, sizeof(req->ctx.request_id), "%s", rid);
        else
            nb_request_id_new(req->ctx.request_id);
        *con_cls = req;
        nb_log_set_request_id(req->ctx.request_id);
        if (nb_req_begin(req, url) < 0) {
            req->body_dropped = true;
        } else if (req->route->flags & NB_ROUTE_STREAM) {
            if (req->route->on_begin && req->route->on_begin(req) < 0 &&
                !req->ctx.err_status)
                nb_req_err(req, 500, "Cannot start the upload.");
            if (req->ctx.err_status) {
                /* refuse before reading a byte: the connection is closed */
                nb_req_render_error(req, 0);
                nb_log_set_request_id(NULL);
                return nb_req_queue(req);
            }
        }
        nb_log_set_request_id(NULL);
        return MHD_YES;
    }
    if (req->queued) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    nb_log_set_request_id(req->ctx.request_id);
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->body_dropped) {
            /* discard: the error is answered once the body is read */
        } else if (req->route->flags & NB_ROUTE_STREAM) {
            if (req->route->on_body(req, upload_data, n) < 0) {
                if (!req->ctx.err_status)
                    nb_req_err(req, 500, "Cannot store the upload.");
                nb_req_render_error(req, 0);
                nb_log_set_request_id(NULL);
                return nb_req_queue(req);
            }
        } else if (req->body.len + n > h->cfg.max_body) {
            nb_req_err(req, 413, "Request Entity Too Large: the request body "
                                 "is larger than %zu bytes.", h->cfg.max_body);
            req->body_dropped = true;
            nb_buf_free(&req->body);
        } else {
            nb_buf_add(&req->body, upload_data, n);
        }
        nb_log_set_request_id(NULL);
        return MHD_YES;
    }
    if (req->ctx.err_status)
        nb_req_render_error(req, 0);
    else
        nb_req_finish(req);
    nb_log_set_request_id(NULL);
    return nb_req_queue(req);
}

static void nb_http_completed(void *cls, struct MHD_Connection *conn,
                              void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct nb_req *req = *con_cls;
    bool ok = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    (void)cls;
    (void)conn;
    if (!req)
        return;
    nb_log_set_request_id(req->ctx.request_id);
    if (req->cleanup)
        req->cleanup(req->state, ok && req->status < 400);
    nb_info("%s %s%s %d %.1fms%s", req->method, req->svc ? req->svc->prefix : "",
            req->path ? req->path : "", req->status,
            (double)(nb_mono_us() - req->t0) / 1000.0,
            ok ? "" : " (connection closed early)");
    nb_log_set_request_id(NULL);
    nb_req_free(req);
    *con_cls = NULL;
}

/* Leaves the URL and query escaped: the router decodes each path segment,
 * so an encoded '/' stays inside its segment (Swift object names). */
static size_t nb_http_no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void nb_http_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    nb_warn("http: %s", msg);
}

static int nb_parse_listen(const char *listen, struct sockaddr_in *sin)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    long port;

    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return -EINVAL;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (nb_str_to_long(colon + 1, &port) < 0 || port < 0 || port > 65535)
        return -EINVAL;
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &sin->sin_addr) != 1)
        return -EINVAL;
    return 0;
}

int nb_http_start(const struct nb_http_config *cfg,
                  const struct nb_service *const *services, size_t n,
                  struct nb_http **out)
{
    struct sockaddr_in sin;
    struct nb_http *h;

    if (nb_parse_listen(cfg->listen, &sin) < 0) {
        nb_error("http: bad listen address '%s' (want IPV4:PORT)", cfg->listen);
        return -EINVAL;
    }
    h = nb_xcalloc(1, sizeof(*h));
    h->cfg = *cfg;
    h->services = services;
    h->nservices = n;
    /* poll, not epoll: libmicrohttpd 0.9.75's edge-triggered epoll misses a
     * peer's close that arrives with the last bytes of a body, so a client
     * gone mid-upload would be noticed only at the connection timeout
     * (test_http_stream_client_gone_with_its_last_bytes_cleans_up). */
    h->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
        MHD_USE_TURBO,
        0, NULL, NULL, nb_http_access, h,
        MHD_OPTION_EXTERNAL_LOGGER, nb_http_log, h,    /* first: it logs the rest */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads > 0 ? cfg->threads : 4),
        MHD_OPTION_NOTIFY_COMPLETED, nb_http_completed, h,
        MHD_OPTION_UNESCAPE_CALLBACK, nb_http_no_unescape, h,
        MHD_OPTION_CONNECTION_TIMEOUT, 300u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_END);
    if (!h->mhd) {
        nb_error("http: cannot listen on %s", cfg->listen);
        free(h);
        return -EADDRINUSE;
    }
    *out = h;
    return 0;
}

int nb_http_port(const struct nb_http *h)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}

void nb_http_stop(struct nb_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->mhd);
    free(h);
}
