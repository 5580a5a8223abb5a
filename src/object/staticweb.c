/* Swift's staticweb middleware, at the container level: an anonymous
 * GET/HEAD (or one with X-Web-Mode: true) of a container whose metadata
 * sets Web-Index serves that object; with Web-Listings true (and no index
 * object) it serves an HTML listing, styled by Web-Listings-CSS.  The
 * container path is redirected (301) to its form with a trailing slash,
 * as Swift does, so relative links work.  Access is still the container's
 * ACL: the index needs read access (.r:*), the listing .rlistings. */
#include "object/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool nb_sw_true(const char *v)
{
    return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "t") == 0 ||
                 strcasecmp(v, "y") == 0);
}

/* The HTML listing of 'items' (from the container listing). */
static char *nb_sw_listing(const struct nb_obj_rq *rq, const char *css, json_t *items)
{
    struct nb_buf b = {0};
    char *title = nb_xasprintf("/v1/%s/%s/", rq->account, rq->container);
    size_t i;
    json_t *it;

    nb_buf_puts(&b, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" "
                    "\"http://www.w3.org/TR/html4/loose.dtd\">\n<html>\n <head>\n"
                    "  <title>Listing of ");
    nb_obj_xml_escape(&b, title);
    nb_buf_puts(&b, "</title>\n");
    if (css && *css) {
        nb_buf_puts(&b, "  <link rel=\"stylesheet\" type=\"text/css\" href=\"");
        nb_obj_xml_escape(&b, css);
        nb_buf_puts(&b, "\" />\n");
    } else
        nb_buf_puts(&b, "  <style type=\"text/css\">\n   h1 {font-size: 1em; font-weight: "
                        "bold;}\n   td {padding: 0px 1em 0px 1em;}\n  </style>\n");
    nb_buf_puts(&b, " </head>\n <body>\n  <h1 id=\"title\">Listing of ");
    nb_obj_xml_escape(&b, title);
    nb_buf_puts(&b, "</h1>\n  <table id=\"listing\">\n   <tr id=\"heading\">\n"
                    "    <th class=\"colname\">Name</th>\n    <th class=\"colsize\">Size</th>\n"
                    "    <th class=\"coldate\">Date</th>\n   </tr>\n");
    json_array_foreach(items, i, it) {
        const char *name = nb_json_str(it, "name");
        if (!name)
            continue;
        nb_buf_puts(&b, "   <tr class=\"item\">\n    <td class=\"colname\"><a href=\"");
        nb_obj_xml_escape(&b, name);
        nb_buf_puts(&b, "\">");
        nb_obj_xml_escape(&b, name);
        nb_buf_printf(&b, "</a></td>\n    <td class=\"colsize\">%lld</td>\n"
                          "    <td class=\"coldate\">",
                      (long long)json_integer_value(json_object_get(it, "bytes")));
        nb_obj_xml_escape(&b, nb_json_str(it, "last_modified") ? nb_json_str(it, "last_modified")
                                                               : "");
        nb_buf_puts(&b, "</td>\n   </tr>\n");
    }
    nb_buf_puts(&b, "  </table>\n </body>\n</html>\n");
    free(title);
    return nb_buf_steal(&b);
}

int nb_obj_staticweb(struct nb_req *req, struct nb_obj_rq *rq)
{
    const char *method = nb_req_method(req), *path = nb_req_path(req);
    struct nb_obj_container c = {0};
    struct nb_obj_row row = {0};
    struct nb_obj_list_args a;
    struct nb_tx *tx = NULL;
    json_t *items = NULL;
    const char *index, *css;
    bool listings, has_index = false;
    char *html;
    int r;

    if ((strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) ||
        (nb_req_header(req, "X-Auth-Token") && !nb_sw_true(nb_req_header(req, "X-Web-Mode"))))
        return 1;
    if ((r = nb_tx_begin(nb_obj_env->db, false, &tx)) < 0)
        return r;
    r = nb_obj_container_load(tx, rq->account, rq->container, &c);
    index = r == 0 ? nb_json_str(c.meta, "x-container-meta-web-index") : NULL;
    listings = r == 0 && nb_sw_true(nb_json_str(c.meta, "x-container-meta-web-listings"));
    css = r == 0 ? nb_json_str(c.meta, "x-container-meta-web-listings-css") : NULL;
    if (r < 0 || ((!index || !*index) && !listings)) {
        r = 1;
        goto out;
    }
    if (path[strlen(path) - 1] != '/') {
        char *loc = nb_xasprintf("%s/object%s/", nb_req_base_url(req), path);
        nb_req_policy_done(req);
        nb_obj_reply_common(req);
        nb_reply_header(req, "Location", loc);
        free(loc);
        r = nb_reply_data(req, 301, "text/html; charset=UTF-8", nb_xstrdup(""), 0);
        goto out;
    }
    if (index && *index)
        has_index = nb_obj_row_load(tx, rq->account, rq->container, index, &row) == 0;
    if (has_index) {
        struct nb_obj_rq sub = *rq;
        nb_tx_rollback(tx);
        tx = NULL;
        sub.object = index;
        r = nb_obj_object_serve(req, &sub);
        goto out;
    }
    if (!listings) {
        r = nb_obj_authorize(rq, NB_OBJ_OP_READ, c.meta);
        if (r == 0)
            r = nb_req_err(req, 404, "The resource could not be found.");
        goto out;
    }
    if ((r = nb_obj_authorize(rq, NB_OBJ_OP_LIST, c.meta)) < 0 ||
        (r = nb_obj_list_args(req, &a)) < 0)
        goto out;
    items = json_array();
    r = nb_obj_container_items(tx, &a, rq->account, rq->container, items);
    if (r < 0)
        goto out;
    html = nb_sw_listing(rq, css, items);
    nb_obj_reply_common(req);
    r = nb_reply_data(req, 200, "text/html; charset=UTF-8", html, strlen(html));
out:
    nb_tx_rollback(tx);
    json_decref(items);
    nb_obj_row_clear(&row);
    nb_obj_container_clear(&c);
    return r;
}
