/* Swift's formpost middleware: an HTML form POSTs multipart/form-data to
 * /v1/AUTH_x/container[/prefix]; each file part becomes the object
 * prefix + filename.  The form carries redirect, max_file_size,
 * max_file_count, expires and signature = HMAC(key, "path\nredirect\n
 * max_file_size\nmax_file_count\nexpires") under the account's or the
 * container's Temp-URL-Key (SHA1, SHA256 or SHA512): it authorizes the
 * upload without a token.
 *
 * The whole form is checked (signature, expiry, counts, sizes) before
 * any file is stored, so a refused form changes nothing.  Replies as
 * Swift: "201 Created" as text, or 303 to the redirect URL with ?status=
 * &message=; 401 "FormPost: Invalid Signature" / "FormPost: Form
 * Expired"; 400 "FormPost: <reason>". */
#include "object/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NB_FORM_MAX_VALUE 4096

struct nb_form_part {
    char *name;               /* lowercased field name (owned) */
    char *filename;           /* NULL for a field; "" allowed */
    char *ctype;              /* the part's Content-Type, or NULL */
    const char *data;         /* into the body */
    size_t len;
};

struct nb_form {
    struct nb_form_part *v;
    size_t n;
};

static void nb_form_free(struct nb_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].filename);
        free(f->v[i].ctype);
    }
    free(f->v);
}

/* The value of parameter 'key' in a header like 'form-data; name="x"'
 * (a new string), or NULL. */
static char *nb_form_param(const char *h, const char *key)
{
    size_t kl = strlen(key);
    const char *p = h;

    while ((p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, key, kl) != 0 || p[kl] != '=')
            continue;
        p += kl + 1;
        if (*p == '"') {
            const char *e = strchr(p + 1, '"');
            return e ? nb_xstrndup(p + 1, (size_t)(e - p - 1)) : NULL;
        }
        return nb_xstrndup(p, strcspn(p, "; \t"));
    }
    return NULL;
}

static const char *nb_form_memmem(const char *h, size_t hl, const char *n, size_t nl)
{
    return nl <= hl ? memmem(h, hl, n, nl) : NULL;
}

/* Splits 'body' at 'boundary' into parts (borrowing 'body'): -EINVAL when
 * it does not start with the boundary, -EBADMSG when it is cut short. */
static int nb_form_parse(const char *body, size_t len, const char *boundary, struct nb_form *f)
{
    char *delim = nb_xasprintf("\r\n--%s", boundary);
    size_t dl = strlen(delim), off;
    int r = 0;

    /* the first boundary line has no CRLF before it */
    if (len < dl - 2 || memcmp(body, delim + 2, dl - 2) != 0) {
        free(delim);
        return -EINVAL;
    }
    off = dl - 2;
    for (;;) {
        const char *p = body + off, *hend, *dend, *line;
        size_t rest = len - off;
        struct nb_form_part part = {0};

        if (rest >= 2 && memcmp(p, "--", 2) == 0)
            break;                    /* the closing boundary */
        if (rest < 2 || memcmp(p, "\r\n", 2) != 0) {
            r = -EBADMSG;
            break;
        }
        p += 2;
        rest -= 2;
        if (rest >= 2 && memcmp(p, "\r\n", 2) == 0)
            hend = p - 2;             /* no headers at all */
        else
            hend = nb_form_memmem(p, rest, "\r\n\r\n", 4);
        if (!hend) {
            r = -EBADMSG;
            break;
        }
        for (line = p; line < hend;) {
            const char *eol = nb_form_memmem(line, (size_t)(hend - line), "\r\n", 2);
            size_t ll = eol ? (size_t)(eol - line) : (size_t)(hend - line);
            char *h = nb_xstrndup(line, ll);
            if (strncasecmp(h, "Content-Disposition:", 20) == 0) {
                free(part.name);
                free(part.filename);
                part.name = nb_form_param(h, "name");
                part.filename = nb_form_param(h, "filename");
            } else if (strncasecmp(h, "Content-Type:", 13) == 0) {
                const char *v = h + 13;
                while (*v == ' ' || *v == '\t')
                    v++;
                free(part.ctype);
                part.ctype = nb_xstrdup(v);
            }
            free(h);
            line += ll + 2;
        }
        part.data = hend + 4;
        dend = nb_form_memmem(part.data, (size_t)(body + len - part.data), delim, dl);
        if (!dend) {
            free(part.name);
            free(part.filename);
            free(part.ctype);
            r = -EBADMSG;
            break;
        }
        part.len = (size_t)(dend - part.data);
        if (!part.name)
            part.name = nb_xstrdup("");
        for (char *c = part.name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        f->v = nb_xrealloc(f->v, sizeof(*f->v) * (f->n + 1));
        f->v[f->n++] = part;
        off = (size_t)(dend - body) + dl;
    }
    free(delim);
    return r;
}

/* The form's fields seen so far. */
struct nb_form_attrs {
    json_t *v;                /* name -> value */
};

static const char *nb_form_attr(const struct nb_form_attrs *a, const char *k)
{
    const char *v = nb_json_str(a->v, k);
    return v ? v : "";
}

/* Checks file part 'p' against the fields so far ('count' files so far,
 * this one included): 0, or the error reply made (400/401). */
static int nb_form_check(struct nb_req *req, struct nb_obj_rq *rq,
                         const struct nb_form_attrs *a, const struct nb_form_part *p,
                         size_t count, json_t *keys)
{
    static const char *const bases[] = {"", "/object"};
    const char *mfs = nb_form_attr(a, "max_file_size"), *mfc = nb_form_attr(a, "max_file_count");
    const char *exp = nb_form_attr(a, "expires"), *sig = nb_form_attr(a, "signature");
    long max_size = 0, max_count = 0, expires = 0, v;
    bool ok = false;
    size_t i;
    json_t *k;

    if (json_array_size(keys) == 0)
        return 401;
    if (*mfc && nb_str_to_long(mfc, &max_count) < 0)
        return 400;
    if (count > (size_t)(max_count > 0 ? max_count : 0))
        return 402;               /* max file count exceeded */
    if (*mfs && nb_str_to_long(mfs, &max_size) < 0)
        return 403;
    if (*exp && nb_str_to_long(exp, &expires) < 0)
        return 404;
    if ((int64_t)expires * 1000000 < nb_now_us())
        return 405;
    json_array_foreach(keys, i, k) {
        for (size_t b = 0; b < NB_ARRAY_SIZE(bases) && !ok; b++) {
            char *msg = nb_xasprintf("%s/v1/%s/%s%s%s\n%s\n%s\n%s\n%s", bases[b], rq->account,
                                     rq->container, rq->object ? "/" : "",
                                     rq->object ? rq->object : "", nb_form_attr(a, "redirect"),
                                     *mfs ? mfs : "0", *mfc ? mfc : "0", *exp ? exp : "0");
            ok = nb_obj_sig_ok(sig, json_string_value(k), msg);
            free(msg);
        }
    }
    if (!ok)
        return 401;
    if ((long)p->len > max_size)
        return 406;
    if (json_object_get(a->v, "x_delete_at") &&
        nb_str_to_long(nb_form_attr(a, "x_delete_at"), &v) < 0)
        return 407;
    if (json_object_get(a->v, "x_delete_after") &&
        nb_str_to_long(nb_form_attr(a, "x_delete_after"), &v) < 0)
        return 408;
    (void)req;
    return 0;
}

/* Replies with Swift's formpost error for check code 'code'. */
static int nb_form_refuse(struct nb_req *req, int code)
{
    static const struct {
        int code, status;
        const char *msg;
    } msgs[] = {
        {400, 400, "FormPost: max_file_count not an integer"},
        {402, 400, "FormPost: max file count exceeded"},
        {403, 400, "FormPost: max_file_size not an integer"},
        {404, 400, "FormPost: expired not an integer"},
        {405, 401, "FormPost: Form Expired"},
        {401, 401, "FormPost: Invalid Signature"},
        {406, 400, "FormPost: max_file_size exceeded"},
        {407, 400, "FormPost: x_delete_at not an integer: Unix timestamp required."},
        {408, 400, "FormPost: x_delete_after not an integer: Number of seconds required."},
        {409, 400, "FormPost: invalid starting boundary"},
        {410, 400, "FormPost: unexpected end of form"},
    };
    for (size_t i = 0; i < NB_ARRAY_SIZE(msgs); i++)
        if (msgs[i].code == code) {
            nb_obj_reply_common(req);
            return nb_reply_data(req, msgs[i].status,
                                 msgs[i].status == 401 ? "text/html; charset=UTF-8"
                                                       : "text/plain",
                                 nb_xstrdup(msgs[i].msg), strlen(msgs[i].msg));
        }
    return -EINVAL;
}

/* Stores file part 'p' as rq's prefix + filename; 0 or the error status
 * line. */
static const char *nb_form_store(struct nb_req *req, struct nb_obj_rq *rq,
                                 const struct nb_form_attrs *a, const struct nb_form_part *p)
{
    struct nb_obj_row row = {0};
    const char *fname = *p->filename ? p->filename : "filename";
    const char *ct = nb_form_attr(a, "content-type");
    const char *status = NULL;
    json_t *trailer;
    long v;
    int r;

    row.name = nb_xasprintf("%s%s", rq->object ? rq->object : "", fname);
    if (strlen(row.name) > NB_OBJ_MAX_OBJECT_NAME) {
        nb_obj_row_clear(&row);
        return "400 Bad Request";
    }
    row.meta = json_object();
    row.ctype = nb_xstrdup(p->ctype && *p->ctype ? p->ctype : *ct ? ct
                                                               : "application/octet-stream");
    row.modified = nb_now_us();
    row.size = (int64_t)p->len;
    if (nb_str_to_long(nb_form_attr(a, "x_delete_at"), &v) == 0)
        row.delete_at = v;
    if (nb_str_to_long(nb_form_attr(a, "x_delete_after"), &v) == 0)
        row.delete_at = nb_now_us() / 1000000 + v;
    trailer = json_pack("{s:s,s:s,s:s}", "account", rq->account, "container", rq->container,
                        "name", row.name);
    r = nb_obj_blob_put(p->data, p->len, trailer, &row.blob, row.etag);
    json_decref(trailer);
    if (r == 0)
        r = nb_obj_row_commit_blob(req, rq->account, rq->container, &row, true);
    if (r < 0)
        status = nb_obj_sub_status(req, r);
    nb_obj_row_clear(&row);
    return status;
}

/* 's' percent-encoded as Python's quote() (a new string). */
static char *nb_form_quote(const char *s)
{
    struct nb_buf b = {0};

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || strchr("_.-~/", c))
            nb_buf_add(&b, s, 1);
        else
            nb_buf_printf(&b, "%%%02X", c);
    }
    nb_buf_add(&b, "", 0);
    return b.buf ? nb_buf_steal(&b) : nb_xstrdup("");
}

/* The final reply: the status as text, or 303 to the form's redirect. */
static int nb_form_reply(struct nb_req *req, const struct nb_form_attrs *a, const char *status,
                         const char *message)
{
    const char *redirect = nb_form_attr(a, "redirect");
    int code = atoi(status);
    char *body, *loc, *qs, *qm;

    nb_obj_reply_common(req);
    if (!*redirect) {
        body = *message ? nb_xasprintf("%s\r\nFormPost: %s", status, message)
                        : nb_xstrdup(status);
        return nb_reply_data(req, code, "text/plain", body, strlen(body));
    }
    qs = nb_form_quote(status);
    qm = nb_form_quote(message);
    loc = nb_xasprintf("%s%cstatus=%s&message=%s", redirect, strchr(redirect, '?') ? '&' : '?',
                       qs, qm);
    {
        struct nb_buf b = {0};
        nb_buf_puts(&b, "<html><body><p><a href=\"");
        nb_obj_xml_escape(&b, loc);
        nb_buf_puts(&b, "\">Click to continue...</a></p></body></html>");
        body = nb_buf_steal(&b);
    }
    nb_reply_header(req, "Location", loc);
    free(loc);
    free(qs);
    free(qm);
    return nb_reply_data(req, 303, "text/html; charset=UTF-8", body, strlen(body));
}

int nb_obj_formpost(struct nb_req *req, struct nb_obj_rq *rq)
{
    const char *ctype = nb_req_header(req, "Content-Type"), *body;
    struct nb_form f = {0};
    struct nb_form_attrs a = {NULL};
    const char *status = NULL;
    char *boundary;
    json_t *keys = NULL;
    size_t len = 0, files = 0;
    int r = 0, code = 0;

    if (!ctype || strncasecmp(ctype, "multipart/form-data", 19) != 0 || !rq->container)
        return 1;
    if (!(boundary = nb_form_param(ctype, "boundary")))
        return 1;
    nb_req_policy_done(req);      /* the form's signature authorizes */
    body = nb_req_body(req, &len);
    r = nb_form_parse(body ? body : "", body ? len : 0, boundary, &f);
    free(boundary);
    if (r < 0) {
        r = nb_form_refuse(req, r == -EINVAL ? 409 : 410);
        goto out;
    }
    a.v = json_object();
    keys = nb_obj_signing_keys(rq);
    /* first every file is checked, then they are stored */
    for (int pass = 0; pass < 2 && !status; pass++) {
        json_object_clear(a.v);
        files = 0;
        for (size_t i = 0; i < f.n && !status; i++) {
            struct nb_form_part *p = &f.v[i];
            if (!p->filename) {
                size_t n = p->len < NB_FORM_MAX_VALUE ? p->len : NB_FORM_MAX_VALUE;
                json_object_set_new(a.v, p->name, json_stringn_nocheck(p->data, n));
                continue;
            }
            files++;
            if (pass == 0 && (code = nb_form_check(req, rq, &a, p, files, keys)) != 0) {
                r = nb_form_refuse(req, code);
                goto out;
            }
            if (pass == 1)
                status = nb_form_store(req, rq, &a, p);
        }
    }
    if (files == 0)
        r = nb_form_reply(req, &a, "400 Bad Request", "No Files To Process");
    else
        r = nb_form_reply(req, &a, status ? status : "201 Created", "");
out:
    json_decref(keys);
    json_decref(a.v);
    nb_form_free(&f);
    return r;
}
