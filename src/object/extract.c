/* Swift's bulk middleware, extract-archive: PUT /v1/AUTH_x[/container]
 * ?extract-archive=tar|tar.gz|tar.bz2 stores every regular file of the
 * archive as an object, "container/object" from its path (under the
 * container of the URL when one is given), creating the containers.
 *
 * The whole archive is read (inflated with zlib or libbz2) and parsed
 * (ustar, GNU long names, pax "path") before anything is stored: an
 * archive that cannot be read changes nothing.  Each file is then stored
 * in its own transaction, as Swift's subrequests, and the 200 reply sums
 * up (Number Files Created, Errors, Response Status...) in the format
 * Accept asks for. */
#include "object/internal.h"

#include <bzlib.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Inflated archives are held in memory: bounded. */
#define NB_OBJ_TAR_MAX ((size_t)1 << 30)

struct nb_tar_entry {
    char *path;               /* owned */
    const char *data;         /* into the archive */
    size_t size;
};

struct nb_tar {
    struct nb_tar_entry *v;
    size_t n;
};

static void nb_tar_free(struct nb_tar *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].path);
    free(t->v);
}

/* Inflates 'in' (gzip when 'bz' is false, else bzip2) into *out (new
 * buffer); -EINVAL on corrupt input, -E2BIG past NB_OBJ_TAR_MAX. */
static int nb_tar_inflate(const char *in, size_t len, bool bz, struct nb_buf *out)
{
    char chunk[65536];
    int r = 0, z;

    if (!bz) {
        z_stream s = {0};
        if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
            return -ENOMEM;
        s.next_in = (Bytef *)in;
        s.avail_in = (uInt)len;
        do {
            s.next_out = (Bytef *)chunk;
            s.avail_out = sizeof(chunk);
            z = inflate(&s, Z_NO_FLUSH);
            if (z != Z_OK && z != Z_STREAM_END)
                r = -EINVAL;
            else
                nb_buf_add(out, chunk, sizeof(chunk) - s.avail_out);
            if (out->len > NB_OBJ_TAR_MAX)
                r = -E2BIG;
        } while (r == 0 && z != Z_STREAM_END && (s.avail_in > 0 || s.avail_out == 0));
        if (r == 0 && z != Z_STREAM_END)
            r = -EINVAL;
        inflateEnd(&s);
        return r;
    }
    bz_stream s = {0};
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK)
        return -ENOMEM;
    s.next_in = (char *)in;
    s.avail_in = (unsigned)len;
    do {
        s.next_out = chunk;
        s.avail_out = sizeof(chunk);
        z = BZ2_bzDecompress(&s);
        if (z != BZ_OK && z != BZ_STREAM_END)
            r = -EINVAL;
        else
            nb_buf_add(out, chunk, sizeof(chunk) - s.avail_out);
        if (out->len > NB_OBJ_TAR_MAX)
            r = -E2BIG;
    } while (r == 0 && z != BZ_STREAM_END && (s.avail_in > 0 || s.avail_out == 0));
    if (r == 0 && z != BZ_STREAM_END)
        r = -EINVAL;
    BZ2_bzDecompressEnd(&s);
    return r;
}

/* An octal header field (NUL or space terminated); -1 when invalid. */
static long long nb_tar_octal(const char *f, size_t n)
{
    long long v = 0;
    size_t i = 0;
    bool any = false;

    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        v = v * 8 + (f[i] - '0');
        any = true;
    }
    if (i < n && f[i] != '\0' && f[i] != ' ')
        return -1;
    return any ? v : (i == n || f[i] == '\0' ? 0 : -1);
}

static bool nb_tar_checksum_ok(const unsigned char *h)
{
    long long want = nb_tar_octal((const char *)h + 148, 8);
    long long sum = 0;

    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return want >= 0 && want == sum;
}

/* The "path" record of a pax header block, or NULL (a new string). */
static char *nb_tar_pax_path(const char *d, size_t n)
{
    size_t i = 0;

    while (i < n) {
        char *end;
        long rl = strtol(d + i, &end, 10);
        const char *kv = end + 1, *eq;
        if (rl <= 0 || end >= d + n || *end != ' ' || i + (size_t)rl > n)
            return NULL;
        eq = memchr(kv, '=', (size_t)(d + i + rl - kv));
        if (eq && eq - kv == 4 && memcmp(kv, "path", 4) == 0)
            return nb_xstrndup(eq + 1, (size_t)(d + i + rl - 1 - (eq + 1)));
        i += (size_t)rl;
    }
    return NULL;
}

/* Parses the archive 'a' into t (entries borrow 'a'): the regular files,
 * with their full paths.  -EINVAL with a reason in *why when invalid. */
static int nb_tar_parse(const char *a, size_t len, struct nb_tar *t, const char **why)
{
    size_t off = 0;
    char *next_name = NULL;
    int r = 0;

    if (len == 0) {
        *why = "empty file";
        return -EINVAL;
    }
    while (r == 0) {
        const unsigned char *h = (const unsigned char *)a + off;
        long long size;
        size_t blocks;
        char type;

        if (off + 512 > len) {
            if (off == 0 || off < len) {
                *why = off == 0 ? "truncated header" : "unexpected end of data";
                r = -EINVAL;
            }
            break;
        }
        if (h[0] == '\0') {
            bool zero = true;
            for (int i = 0; i < 512 && zero; i++)
                zero = h[i] == 0;
            if (zero)
                break;                /* the end-of-archive blocks */
        }
        if (!nb_tar_checksum_ok(h)) {
            *why = off == 0 ? "invalid header" : "bad checksum";
            r = -EINVAL;
            break;
        }
        size = nb_tar_octal((const char *)h + 124, 12);
        blocks = size >= 0 ? ((size_t)size + 511) / 512 : 0;
        if (size < 0 || (size_t)size > len || off + 512 + (size_t)size > len) {
            *why = "unexpected end of data";
            r = -EINVAL;
            break;
        }
        type = (char)h[156];
        const char *data = a + off + 512;
        if (type == 'L') {
            free(next_name);
            next_name = nb_xstrndup(data, (size_t)size);
        } else if (type == 'x') {
            char *p = nb_tar_pax_path(data, (size_t)size);
            if (p) {
                free(next_name);
                next_name = p;
            }
        } else if (type != 'g') {
            if (type == '0' || type == '\0' || type == '7') {
                char *path = next_name;
                if (!path) {
                    char name[101], prefix[156];
                    memcpy(name, h, 100);
                    name[100] = '\0';
                    memcpy(prefix, h + 345, 155);
                    prefix[155] = '\0';
                    path = memcmp(h + 257, "ustar", 5) == 0 && prefix[0]
                               ? nb_xasprintf("%s/%s", prefix, name) : nb_xstrdup(name);
                }
                t->v = nb_xrealloc(t->v, sizeof(*t->v) * (t->n + 1));
                t->v[t->n++] = (struct nb_tar_entry){path, data, (size_t)size};
            } else
                free(next_name);
            next_name = NULL;
        }
        off += 512 + blocks * 512;
    }
    free(next_name);
    return r;
}

const char *nb_obj_sub_status(struct nb_req *req, int r)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    int st = ctx->err_status;

    ctx->err_status = 0;
    ctx->err_msg[0] = '\0';
    if (st == 413 || r == -EFBIG)
        return "413 Request Entity Too Large";
    if (st == 404)
        return "404 Not Found";
    if (st == 400 || r == -EINVAL)
        return "400 Bad Request";
    if (st == 401)
        return "401 Unauthorized";
    if (st == 403)
        return "403 Forbidden";
    return "503 Service Unavailable";
}

/* Creates account/container when absent (no metadata). */
static int nb_obj_container_ensure(const char *account, const char *container)
{
    struct nb_tx *tx = NULL;
    int64_t now = nb_now_us();
    int r;

    if ((r = nb_tx_begin(nb_obj_env->db, true, &tx)) < 0)
        return r;
    r = nb_tx_exec(tx, NULL, "INSERT INTO object_containers (account, name, meta, created, "
                             "modified, object_count, bytes_used) VALUES (?, ?, '{}', ?, ?, "
                             "0, 0) ON CONFLICT (account, name) DO NOTHING",
                   "ssii", account, container, now, now);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
    nb_tx_rollback(tx);
    return r;
}

/* Stores one archive member as account/container/name. */
static int nb_obj_extract_one(struct nb_req *req, const char *account, const char *container,
                              const char *name, const struct nb_tar_entry *e)
{
    struct nb_obj_row row = {0};
    json_t *trailer;
    int r;

    if ((int64_t)e->size > nb_obj_limits.max_file_size)
        return -EFBIG;
    row.name = nb_xstrdup(name);
    row.meta = json_object();
    row.ctype = nb_xstrdup("application/octet-stream");
    row.modified = nb_now_us();
    row.size = (int64_t)e->size;
    trailer = json_pack("{s:s,s:s,s:s}", "account", account, "container", container,
                        "name", name);
    r = nb_obj_blob_put(e->data, e->size, trailer, &row.blob, row.etag);
    json_decref(trailer);
    if (r == 0)
        r = nb_obj_row_commit_blob(req, account, container, &row, true);
    nb_obj_row_clear(&row);
    return r;
}

/* Stores every entry of 't' under 'base' ("" or "container[/prefix]"). */
static void nb_obj_extract_all(struct nb_req *req, const char *account, const char *base,
                               const struct nb_tar *t, json_t *summary, json_t *errors)
{
    json_t *made = json_object();
    json_int_t created = 0;

    for (size_t i = 0; i < t->n; i++) {
        const char *p = t->v[i].path, *slash;
        char *path, *container = NULL;
        const char *status = NULL;
        int r;

        if (strncmp(p, "./", 2) == 0)
            p += 2;
        while (*p == '/')
            p++;
        path = *base ? nb_xasprintf("%s/%s", base, p) : nb_xstrdup(p);
        slash = strchr(path, '/');
        if (!slash || !slash[1])
            goto next;                /* a file at the top: ignored, as Swift */
        container = nb_xstrndup(path, (size_t)(slash - path));
        if (!*container || strlen(container) > NB_OBJ_MAX_CONTAINER_NAME ||
            strlen(slash + 1) > NB_OBJ_MAX_OBJECT_NAME) {
            status = "400 Bad Request";
            goto next;
        }
        if (!json_object_get(made, container)) {
            if (json_object_size(made) >= NB_OBJ_BULK_MAX_CONTAINERS) {
                json_object_set_new(summary, "Response Status", json_string("400 Bad Request"));
                json_object_set_new(summary, "Response Body",
                                    json_sprintf("More than %d containers to create from tar.",
                                                 NB_OBJ_BULK_MAX_CONTAINERS));
                free(path);
                free(container);
                break;
            }
            if (nb_obj_container_ensure(account, container) < 0) {
                status = "503 Service Unavailable";
                goto next;
            }
            json_object_set_new(made, container, json_true());
        }
        r = nb_obj_extract_one(req, account, container, slash + 1, &t->v[i]);
        if (r == 0)
            created++;
        else
            status = nb_obj_sub_status(req, r);
    next:
        if (status)
            json_array_append_new(errors, json_pack("[s,s]", path, status));
        free(path);
        free(container);
    }
    json_object_set_new(summary, "Number Files Created", json_integer(created));
    if (json_array_size(errors) &&
        strcmp(json_string_value(json_object_get(summary, "Response Status")), "201 Created") == 0)
        json_object_set_new(summary, "Response Status", json_string("502 Bad Gateway"));
    json_decref(made);
}

int nb_obj_bulk_extract(struct nb_req *req, struct nb_obj_rq *rq)
{
    const char *kind = nb_req_query(req, "extract-archive"), *body, *why = NULL;
    struct nb_buf plain = {0};
    struct nb_tar t = {0};
    json_t *summary, *errors;
    char *base, *k;
    size_t len = 0;
    int r = 0;

    k = nb_xstrdup(kind ? kind : "");
    for (char *c = k; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    while (*k && k[strlen(k) - 1] == '.')
        k[strlen(k) - 1] = '\0';
    {
        const char *s = k + strspn(k, ".");
        if (strcmp(s, "tar") != 0 && strcmp(s, "tar.gz") != 0 && strcmp(s, "tar.bz2") != 0) {
            free(k);
            return nb_req_err(req, 400, "Unsupported archive format");
        }
        memmove(k, s, strlen(s) + 1);
    }
    body = nb_req_body(req, &len);
    if (!body)
        body = "";
    if (strcmp(k, "tar") != 0) {
        r = nb_tar_inflate(body, len, strcmp(k, "tar.bz2") == 0, &plain);
        why = r == -E2BIG ? "archive too large" : "invalid compressed data";
        body = plain.buf ? plain.buf : "";
        len = plain.len;
    }
    if (r == 0)
        r = nb_tar_parse(body, len, &t, &why);
    summary = json_pack("{s:i,s:s,s:s}", "Number Files Created", 0, "Response Body", "",
                        "Response Status", "201 Created");
    errors = json_array();
    if (r < 0) {
        json_object_set_new(summary, "Response Status", json_string("400 Bad Request"));
        json_object_set_new(summary, "Response Body",
                            json_sprintf("Invalid Tar File: %s", why));
    } else {
        base = nb_xasprintf("%s%s%s", rq->container ? rq->container : "",
                            rq->object ? "/" : "", rq->object ? rq->object : "");
        nb_obj_extract_all(req, rq->account, base, &t, summary, errors);
        free(base);
    }
    r = nb_obj_bulk_reply(req, summary, errors, "extract");
    json_decref(summary);
    json_decref(errors);
    nb_tar_free(&t);
    nb_buf_free(&plain);
    free(k);
    return r;
}
