/* Swift metadata headers (X-<Kind>-Meta-*, system headers), kept as a JSON
 * object keyed by lowercase header name, and the small formats Swift
 * answers with (timestamps, dates). */
#include "object/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct nb_meta_walk {
    struct nb_req *req;
    const char *const *sys;
    json_t *meta;
    bool keep_empty;            /* objects keep empty values; others remove */
    char prefix[32], remove[40];
    int err;
};

/* A header name as Swift (WSGI) sees it: lowercase, '_' as '-'. */
static char *nb_lower(const char *s)
{
    char *l = nb_xstrdup(s);
    for (char *p = l; *p; p++)
        *p = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    return l;
}

static void nb_meta_walk_cb(void *arg, const char *name, const char *value)
{
    struct nb_meta_walk *w = arg;
    char *l = nb_lower(name);
    size_t pl = strlen(w->prefix), rl = strlen(w->remove);

    if (w->err)
        goto out;
    if (strncmp(l, w->prefix, pl) == 0 && l[pl]) {
        if (strlen(l) - pl > NB_OBJ_MAX_META_NAME) {
            w->err = nb_req_err(w->req, 400, "Metadata name too long: %s; max %d", name,
                                NB_OBJ_MAX_META_NAME);
        } else if (strlen(value) > NB_OBJ_MAX_META_VALUE) {
            w->err = nb_req_err(w->req, 400, "Metadata value longer than %d: %s",
                                NB_OBJ_MAX_META_VALUE, name);
        } else if (*value || w->keep_empty) {
            json_object_set_new(w->meta, l, json_string(value));
        } else {
            json_object_del(w->meta, l);
        }
    } else if (strncmp(l, w->remove, rl) == 0 && l[rl]) {
        char *key = nb_xasprintf("%s%s", w->prefix, l + rl);
        json_object_del(w->meta, key);
        free(key);
    } else {
        for (const char *const *s = w->sys; s && *s; s++) {
            if (strcmp(l, *s) == 0) {
                if (*value)
                    json_object_set_new(w->meta, l, json_string(value));
                else
                    json_object_del(w->meta, l);
            } else if (strncmp(l, "x-remove-", 9) == 0 && strcmp(l + 9, *s + 2) == 0) {
                json_object_del(w->meta, *s);
            }
        }
    }
out:
    free(l);
}

int nb_obj_meta_apply(struct nb_req *req, const char *kind, const char *const *sys,
                      json_t *meta, bool replace)
{
    struct nb_meta_walk w = {.req = req, .sys = sys, .meta = meta,
                             .keep_empty = strcmp(kind, "object") == 0};
    const char *key;
    json_t *v;
    void *tmp;
    size_t pl, count = 0, size = 0;

    snprintf(w.prefix, sizeof(w.prefix), "x-%s-meta-", kind);
    snprintf(w.remove, sizeof(w.remove), "x-remove-%s-meta-", kind);
    pl = strlen(w.prefix);
    if (replace) {
        json_object_foreach_safe(meta, tmp, key, v) {
            if (strncmp(key, w.prefix, pl) == 0)
                json_object_del(meta, key);
        }
    }
    nb_req_header_each(req, nb_meta_walk_cb, &w);
    if (w.err)
        return w.err;
    json_object_foreach(meta, key, v) {
        if (strncmp(key, w.prefix, pl) != 0)
            continue;
        count++;
        size += strlen(key) - pl + strlen(json_string_value(v));
    }
    if (count > NB_OBJ_MAX_META_COUNT)
        return nb_req_err(req, 400, "Too many metadata items; max %d",
                          NB_OBJ_MAX_META_COUNT);
    if (size > NB_OBJ_MAX_META_OVERALL)
        return nb_req_err(req, 400, "Total metadata too large; max %d",
                          NB_OBJ_MAX_META_OVERALL);
    return 0;
}

void nb_obj_meta_reply(struct nb_req *req, const json_t *meta)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)meta, key, v) {
        char *name = nb_xstrdup(key);
        bool up = true;
        if (!json_is_string(v)) {
            free(name);
            continue;
        }
        for (char *p = name; *p; p++) {
            *p = up ? (char)toupper((unsigned char)*p) : *p;
            up = *p == '-';
        }
        nb_reply_header(req, name, json_string_value(v));
        free(name);
    }
}

void nb_obj_timestamp(int64_t us, char out[32])
{
    snprintf(out, 32, "%lld.%05lld", (long long)(us / 1000000),
             (long long)((us % 1000000) / 10));
}

void nb_obj_http_date(int64_t us, char out[40])
{
    time_t t = (time_t)((us + 999999) / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int nb_obj_http_date_parse(const char *s, int64_t *us)
{
    static const char *const fmts[] = {"%a, %d %b %Y %H:%M:%S GMT",
                                       "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"};
    for (size_t i = 0; i < NB_ARRAY_SIZE(fmts); i++) {
        struct tm tm = {0};
        const char *end = strptime(s, fmts[i], &tm);
        if (end && !*end) {
            *us = (int64_t)timegm(&tm) * 1000000;
            return 0;
        }
    }
    return -EINVAL;
}

void nb_obj_list_time(int64_t us, char out[NB_TIME_LEN])
{
    nb_time_fmt(us, -6, out);
}

int nb_obj_name_check(struct nb_req *req, const char *name, size_t max, const char *what)
{
    size_t n = strlen(name);
    if (!nb_utf8_valid(name, n))
        return nb_req_err(req, 412, "Invalid UTF8 or contains NULL");
    if (n > max)
        return nb_req_err(req, 400, "%s length of %zu longer than %zu", what, n, max);
    return 0;
}

int nb_obj_delete_at(struct nb_req *req, int64_t *at)
{
    const char *a = nb_req_header(req, "X-Delete-At");
    const char *after = nb_req_header(req, "X-Delete-After");
    int64_t now = nb_now_us() / 1000000;
    long v;

    *at = 0;
    if (after) {
        if (nb_str_to_long(after, &v) < 0)
            return nb_req_err(req, 400, "Non-integer X-Delete-After");
        if (v < 0)
            return nb_req_err(req, 400, "X-Delete-After in past");
        *at = now + v;
        return 0;
    }
    if (a) {
        char *dot = strchr(a, '.');
        char *whole = dot ? nb_xstrndup(a, (size_t)(dot - a)) : nb_xstrdup(a);
        int r = nb_str_to_long(whole, &v);
        free(whole);
        if (r < 0)
            return nb_req_err(req, 400, "Non-integer X-Delete-At");
        if (v <= now)
            return nb_req_err(req, 400, "X-Delete-At in past");
        *at = v;
    }
    return 0;
}

void nb_obj_etag_clean(const char *in, char out[72])
{
    size_t n;
    while (*in == ' ' || *in == '"')
        in++;
    n = strcspn(in, "\"");
    if (n > 71)
        n = 71;
    memcpy(out, in, n);
    out[n] = '\0';
    while (n && out[n - 1] == ' ')
        out[--n] = '\0';
}
