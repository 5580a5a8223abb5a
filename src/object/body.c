/* Object bodies as a list of pieces: ranges of stored blobs and literal
 * bytes.  A plain object is one piece, an SLO its segments, a DLO the
 * objects under its prefix, a multi-range answer the ranges with their
 * part headers between.  A plain whole or single-range GET goes out with
 * sendfile (nb_reply_fd); anything assembled through nb_reply_stream. */
#include "object/internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static struct nb_obj_piece *nb_obj_body_next(struct nb_obj_body *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 4;
        b->p = nb_xrealloc(b->p, sizeof(*b->p) * b->cap);
    }
    memset(&b->p[b->n], 0, sizeof(b->p[0]));
    return &b->p[b->n++];
}

void nb_obj_body_blob(struct nb_obj_body *b, const char *blob, uint64_t off, uint64_t len)
{
    struct nb_obj_piece *p = nb_obj_body_next(b);
    p->blob = nb_xstrdup(blob);
    p->off = off;
    p->len = len;
    b->total += len;
}

void nb_obj_body_lit(struct nb_obj_body *b, const char *s, size_t len)
{
    struct nb_obj_piece *p = nb_obj_body_next(b);
    p->lit = nb_xstrndup(s, len);
    p->len = len;
    b->total += len;
}

void nb_obj_body_clear(struct nb_obj_body *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->p[i].blob);
        free(b->p[i].lit);
    }
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* Appends bytes [off, off+len) of 'src' to 'dst'. */
static void nb_obj_body_slice(const struct nb_obj_body *src, uint64_t off, uint64_t len,
                              struct nb_obj_body *dst)
{
    uint64_t pos = 0;
    for (size_t i = 0; i < src->n && len; i++) {
        const struct nb_obj_piece *p = &src->p[i];
        uint64_t start, n;
        if (off >= pos + p->len) {
            pos += p->len;
            continue;
        }
        start = off > pos ? off - pos : 0;
        n = p->len - start < len ? p->len - start : len;
        if (p->blob)
            nb_obj_body_blob(dst, p->blob, p->off + start, n);
        else
            nb_obj_body_lit(dst, p->lit + start, (size_t)n);
        off += n;
        len -= n;
        pos += p->len;
    }
}

/* md5 of the concatenated etags: the etag of an SLO or DLO. */
static void nb_obj_md5_hex(const void *data, size_t len, char out[33])
{
    unsigned char d[16];
    unsigned int dl = 0;
    EVP_Digest(data, len, d, &dl, EVP_md5(), NULL);
    nb_hex_encode(d, 16, out);
}

static int nb_obj_dlo_segments(struct nb_req *req, struct nb_tx *tx, const char *account,
                               const char *manifest, struct nb_obj_body *out,
                               struct nb_buf *etags)
{
    const char *slash = strchr(manifest, '/');
    char *cont = slash ? nb_xstrndup(manifest, (size_t)(slash - manifest)) : nb_xstrdup(manifest);
    const char *prefix = slash ? slash + 1 : "";
    struct nb_stmt *st = NULL;
    int r;

    r = nb_tx_query(tx, &st, "SELECT blob, size, etag, name FROM object_objects WHERE "
                             "account = ? AND container = ? AND name >= ? AND "
                             "(delete_at = 0 OR delete_at > ?) ORDER BY name LIMIT ?",
                    "sssii", account, cont, prefix, nb_now_us() / 1000000,
                    (int64_t)NB_OBJ_DLO_MAX_SEGMENTS);
    while (r >= 0 && (r = nb_stmt_next(st)) > 0) {
        if (strncmp(nb_stmt_text(st, 3), prefix, strlen(prefix)) != 0)
            break;
        nb_obj_body_blob(out, nb_stmt_text(st, 0), 0, (uint64_t)nb_stmt_int(st, 1));
        nb_buf_puts(etags, nb_stmt_text(st, 2));
    }
    nb_stmt_done(st);
    free(cont);
    (void)req;
    return r < 0 ? r : 0;
}

int nb_obj_body_of(struct nb_req *req, struct nb_tx *tx, const char *account,
                   const struct nb_obj_row *r, struct nb_obj_body *out, char etag[72])
{
    const char *dlo = nb_obj_row_dlo(r);
    int k = 0;

    snprintf(etag, 72, "%s", r->etag);
    if (nb_obj_row_is_slo(r))
        return nb_obj_slo_segments(req, tx, account, r, out, 0);
    if (dlo) {
        struct nb_buf etags = {0};
        char md5[33];
        k = nb_obj_dlo_segments(req, tx, account, dlo, out, &etags);
        nb_obj_md5_hex(etags.buf ? etags.buf : "", etags.len, md5);
        snprintf(etag, 72, "%s", md5);
        nb_buf_free(&etags);
        return k;
    }
    if (r->size > 0)
        nb_obj_body_blob(out, r->blob, 0, (uint64_t)r->size);
    return 0;
}

/* ---- streaming a body */

struct nb_obj_reader {
    struct nb_obj_body body;
    size_t cur;               /* piece being read */
    uint64_t cur_start;       /* body position of its first byte */
    int fd;                   /* open on the current piece's blob */
};

static int64_t nb_obj_reader_read(void *state, uint64_t pos, char *buf, size_t max)
{
    struct nb_obj_reader *rd = state;
    struct nb_obj_piece *p;
    uint64_t in, n;

    while (rd->cur < rd->body.n && pos >= rd->cur_start + rd->body.p[rd->cur].len) {
        rd->cur_start += rd->body.p[rd->cur].len;
        rd->cur++;
        if (rd->fd >= 0)
            close(rd->fd);
        rd->fd = -1;
    }
    if (rd->cur >= rd->body.n)
        return 0;
    p = &rd->body.p[rd->cur];
    in = pos - rd->cur_start;
    n = p->len - in < max ? p->len - in : max;
    if (!p->blob) {
        memcpy(buf, p->lit + in, (size_t)n);
        return (int64_t)n;
    }
    if (rd->fd < 0) {
        uint64_t size;
        if (nb_blob_open(nb_obj_env->blobs, NB_OBJ_NS, p->blob, &rd->fd, &size) < 0) {
            nb_warn("object: a segment's data (%s) is gone mid-response", p->blob);
            return -1;
        }
    }
    {
        ssize_t got = pread(rd->fd, buf, (size_t)n, (off_t)(p->off + in));
        return got <= 0 ? -1 : got;
    }
}

static void nb_obj_reader_free(void *state)
{
    struct nb_obj_reader *rd = state;
    if (rd->fd >= 0)
        close(rd->fd);
    nb_obj_body_clear(&rd->body);
    free(rd);
}

int nb_obj_body_each(struct nb_obj_body *b, int (*fn)(void *arg, const char *data, size_t len),
                     void *arg)
{
    struct nb_obj_reader rd = {.body = *b, .fd = -1};
    char *buf = nb_xmalloc(256 * 1024);
    uint64_t pos = 0;
    int r = 0;

    while (pos < b->total) {
        int64_t n = nb_obj_reader_read(&rd, pos, buf, 256 * 1024);
        if (n <= 0) {
            r = -EIO;
            break;
        }
        if ((r = fn(arg, buf, (size_t)n)) < 0)
            break;
        pos += (uint64_t)n;
    }
    if (rd.fd >= 0)
        close(rd.fd);
    free(buf);
    return r;
}

static int nb_obj_reply_pieces(struct nb_req *req, int status, const char *ctype,
                               struct nb_obj_body *b)
{
    struct nb_obj_reader *rd;

    /* one blob piece: sendfile */
    if (b->n == 1 && b->p[0].blob && strcmp(nb_req_method(req), "HEAD") != 0) {
        int fd;
        uint64_t size;
        if (nb_blob_open(nb_obj_env->blobs, NB_OBJ_NS, b->p[0].blob, &fd, &size) < 0)
            return nb_req_err(req, 500, "The object's data is missing.");
        return nb_reply_fd(req, status, ctype, fd, b->p[0].off, b->p[0].len);
    }
    rd = nb_xcalloc(1, sizeof(*rd));
    rd->body = *b;
    rd->fd = -1;
    memset(b, 0, sizeof(*b));
    return nb_reply_stream(req, status, ctype, (int64_t)rd->body.total, nb_obj_reader_read, rd,
                           nb_obj_reader_free);
}

struct nb_obj_range {
    uint64_t first, last;
};

/* Parses "bytes=a-b,c-,-n" against 'total': the satisfiable ranges; 0 with
 * n = 0 when the header is absent or malformed (ignored, as Swift does),
 * -ERANGE when no range can be satisfied. */
static int nb_obj_ranges(const char *h, uint64_t total, struct nb_obj_range *out, int max,
                         int *n)
{
    const char *p;
    int count = 0, given = 0;

    *n = 0;
    if (!h || strncasecmp(h, "bytes=", 6) != 0)
        return 0;
    p = h + 6;
    while (*p) {
        char *end;
        uint64_t a = 0, b = 0;
        bool has_a = false, has_b = false;
        while (*p == ' ')
            p++;
        if (*p >= '0' && *p <= '9') {
            a = strtoull(p, &end, 10);
            p = end;
            has_a = true;
        }
        if (*p != '-')
            return 0;
        p++;
        if (*p >= '0' && *p <= '9') {
            b = strtoull(p, &end, 10);
            p = end;
            has_b = true;
        }
        while (*p == ' ')
            p++;
        if (*p && *p != ',')
            return 0;
        if (*p == ',')
            p++;
        if (!has_a && !has_b)
            return 0;
        if (has_a && has_b && b < a)
            return 0;
        given++;
        if (!has_a) {                 /* the last b bytes */
            if (b == 0 || total == 0)
                continue;
            a = b >= total ? 0 : total - b;
            b = total - 1;
        } else {
            if (a >= total)
                continue;
            if (!has_b || b >= total)
                b = total - 1;
        }
        if (count == max)
            return 0;
        out[count].first = a;
        out[count].last = b;
        count++;
    }
    if (given && !count)
        return -ERANGE;
    *n = count;
    return 0;
}

int nb_obj_body_reply(struct nb_req *req, struct nb_obj_body *b, const char *ctype)
{
    struct nb_obj_range rg[64];
    struct nb_obj_body part = {0};
    char v[96];
    int n, r;

    r = nb_obj_ranges(nb_req_header(req, "Range"), b->total, rg, 64, &n);
    if (r == -ERANGE) {
        snprintf(v, sizeof(v), "bytes */%llu", (unsigned long long)b->total);
        nb_reply_header(req, "Content-Range", v);
        return nb_req_err(req, 416, "Requested Range Not Satisfiable");
    }
    if (n == 0)
        return nb_obj_reply_pieces(req, 200, ctype, b);
    if (n == 1) {
        snprintf(v, sizeof(v), "bytes %llu-%llu/%llu", (unsigned long long)rg[0].first,
                 (unsigned long long)rg[0].last, (unsigned long long)b->total);
        nb_reply_header(req, "Content-Range", v);
        nb_obj_body_slice(b, rg[0].first, rg[0].last - rg[0].first + 1, &part);
        r = nb_obj_reply_pieces(req, 206, ctype, &part);
    } else {
        char boundary[33], *mtype;
        unsigned char rnd[16];
        nb_random_bytes(rnd, sizeof(rnd));
        nb_hex_encode(rnd, sizeof(rnd), boundary);
        for (int i = 0; i < n; i++) {
            char *h = nb_xasprintf("--%s\r\nContent-Type: %s\r\nContent-Range: bytes "
                                   "%llu-%llu/%llu\r\n\r\n",
                                   boundary, ctype, (unsigned long long)rg[i].first,
                                   (unsigned long long)rg[i].last,
                                   (unsigned long long)b->total);
            nb_obj_body_lit(&part, h, strlen(h));
            free(h);
            nb_obj_body_slice(b, rg[i].first, rg[i].last - rg[i].first + 1, &part);
            nb_obj_body_lit(&part, "\r\n", 2);
        }
        snprintf(v, sizeof(v), "--%s--", boundary);
        nb_obj_body_lit(&part, v, strlen(v));
        mtype = nb_xasprintf("multipart/byteranges;boundary=%s", boundary);
        r = nb_obj_reply_pieces(req, 206, mtype, &part);
        free(mtype);
    }
    nb_obj_body_clear(&part);
    return r;
}
