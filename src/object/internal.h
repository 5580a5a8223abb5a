/* Object storage internals, shared by the files of src/object:
 *   api.c        the route table, the request target, access control
 *                (owner, reseller admin, container ACLs), /info
 *   meta.c       metadata headers (validate, apply, render), dates
 *   schema.c     tables, the orphan sweep, the expirer
 *   account.c    account GET/HEAD/POST
 *   container.c  container PUT/GET/HEAD/POST/DELETE and listings
 *   objects.c    object GET/HEAD/POST/DELETE, conditions, versioning
 *   upload.c     streamed object PUT, copy (COPY, X-Copy-From)
 *   body.c       bodies as pieces: plain, SLO, DLO, ranges, multipart
 *   slo.c        SLO manifests: put, get, delete
 *   hasher.c     the md5 of a large upload on a thread beside it
 *   tempurl.c    temporary URLs
 * Listing rows and metadata live in SQL; bytes in the blob store
 * (namespace "objects", one fresh key per stored body). */
#ifndef NB_OBJECT_INTERNAL_H
#define NB_OBJECT_INTERNAL_H

#include "auth/auth.h"
#include "object/object.h"

#define NB_OBJ_NS "objects"

/* Swift's constraints, as /info advertises them. */
#define NB_OBJ_MAX_OBJECT_NAME 1024
#define NB_OBJ_MAX_CONTAINER_NAME 256
#define NB_OBJ_MAX_ACCOUNT_NAME 256
#define NB_OBJ_MAX_META_NAME 128
#define NB_OBJ_MAX_META_VALUE 256
#define NB_OBJ_MAX_META_COUNT 90
#define NB_OBJ_MAX_META_OVERALL 4096
#define NB_OBJ_MAX_HEADER 8192
#define NB_OBJ_SLO_MAX_SEGMENTS 1000
#define NB_OBJ_SLO_MAX_MANIFEST (2 << 20)
#define NB_OBJ_DLO_MAX_SEGMENTS 10000

extern const struct nb_module_env *nb_obj_env;

/* [object] options, read at init */
struct nb_obj_limits {
    int64_t max_file_size;
    long listing_limit;
    long expirer_interval;
};
extern struct nb_obj_limits nb_obj_limits;

/* The target of a request (path parameters, borrowed) and what the
 * caller was found to be. */
struct nb_obj_rq {
    struct nb_req *req;
    const char *account;      /* "AUTH_<project>" */
    const char *project;      /* the part after "AUTH_" */
    const char *container;    /* NULL at the account level */
    const char *object;       /* NULL above the object level */
    bool authed;              /* the token (if any) was checked */
    bool owner;               /* a member of the account's project */
    bool reseller;            /* the reseller admin: every account */
    bool tempurl;             /* allowed by a temporary URL */
};

enum nb_obj_op {
    NB_OBJ_OP_ACCOUNT,        /* account operations, container PUT/POST/DELETE */
    NB_OBJ_OP_LIST,           /* container GET/HEAD: read ACL with .rlistings */
    NB_OBJ_OP_READ,           /* object GET/HEAD: read ACL */
    NB_OBJ_OP_WRITE,          /* object PUT/POST/DELETE/COPY: write ACL */
};

/* ---- api.c */
/* Fills 'rq' from the path; 400/404 set when the account is not ours to
 * name. */
int nb_obj_rq_init(struct nb_req *req, struct nb_obj_rq *rq);
/* Decides whether the caller may do 'op': the owner and the reseller
 * admin may do anything, others what the container's ACLs ('cmeta', may
 * be NULL) or a temporary URL grant.  401 (anonymous) or 403 set. */
int nb_obj_authorize(struct nb_obj_rq *rq, enum nb_obj_op op,
                     const json_t *cmeta);
/* Headers every successful Swift response carries (X-Trans-Id). */
void nb_obj_reply_common(struct nb_req *req);

/* ---- meta.c */
/* Applies the request's X-<Kind>-Meta-* / X-Remove-<Kind>-Meta-* headers
 * (and the system headers of 'sys', a NULL-terminated list of lowercase
 * names such as "x-container-read") to 'meta', an object keyed by
 * lowercase header name.  'replace' drops the existing user metadata
 * first (object POST).  Checks Swift's limits: 400 set. */
int nb_obj_meta_apply(struct nb_req *req, const char *kind,
                      const char *const *sys, json_t *meta, bool replace);
/* Adds every entry of 'meta' as a response header (Title-Cased). */
void nb_obj_meta_reply(struct nb_req *req, const json_t *meta);
/* "1732647000.12345": Swift's X-Timestamp. */
void nb_obj_timestamp(int64_t us, char out[32]);
/* RFC 7231 date, seconds rounded up as Swift does. */
void nb_obj_http_date(int64_t us, char out[40]);
/* Parses an HTTP date into µs; -EINVAL when it is not one. */
int nb_obj_http_date_parse(const char *s, int64_t *us);
/* Listing time: "2026-11-26T18:49:56.123456" (no zone). */
void nb_obj_list_time(int64_t us, char out[NB_TIME_LEN]);
/* Valid Swift names: UTF-8, no NUL; 412 set otherwise. */
int nb_obj_name_check(struct nb_req *req, const char *name, size_t max,
                      const char *what);
/* Parses X-Delete-At / X-Delete-After into *at (0: none); 400 set. */
int nb_obj_delete_at(struct nb_req *req, int64_t *at);
/* Strips quotes: etag into out (at most 64 chars). */
void nb_obj_etag_clean(const char *in, char out[72]);

/* ---- schema.c */
int nb_obj_schema_init(struct nb_db *db);
/* Deletes blobs that no row names (a crash between a store and its row). */
int nb_obj_sweep_orphans(void);
int nb_obj_expirer_start(void);
void nb_obj_expirer_stop(void);
/* Deletes every expired object now (the expirer's one pass). */
int nb_obj_expire_now(void);

/* ---- account.c */
int nb_obj_account_get(struct nb_req *req);
int nb_obj_account_post(struct nb_req *req);
/* The account's metadata (a new object, {} when none). */
int nb_obj_account_meta(struct nb_tx *tx, const char *account, json_t **meta);
/* Account totals: containers, objects, bytes. */
int nb_obj_account_usage(struct nb_tx *tx, const char *account, int64_t *containers,
                         int64_t *objects, int64_t *bytes);

/* ---- container.c */
struct nb_obj_container {
    json_t *meta;             /* owned */
    int64_t count, bytes, created;
};
/* Loads a container; -ENOENT when absent.  Free with _clear. */
int nb_obj_container_load(struct nb_tx *tx, const char *account,
                          const char *name, struct nb_obj_container *out);
void nb_obj_container_clear(struct nb_obj_container *c);
/* Adds to the container's object count and byte total. */
int nb_obj_container_add(struct nb_tx *tx, const char *account,
                         const char *name, int64_t count, int64_t bytes);
int nb_obj_container_put(struct nb_req *req);
int nb_obj_container_get(struct nb_req *req);
int nb_obj_container_post(struct nb_req *req);
int nb_obj_container_delete(struct nb_req *req);
/* Deletes an empty container in its own transaction: 0, -ENOENT,
 * -ENOTEMPTY (live objects), or another -errno; no reply is set. */
int nb_obj_container_remove(const char *account, const char *container);

/* Listing output: the format the client asked for (?format=, Accept). */
enum nb_obj_fmt { NB_OBJ_FMT_PLAIN, NB_OBJ_FMT_JSON, NB_OBJ_FMT_XML };
int nb_obj_list_format(struct nb_req *req, enum nb_obj_fmt *fmt);
/* Appends 's' to 'b' with XML's special characters escaped. */
void nb_obj_xml_escape(struct nb_buf *b, const char *s);
/* Listing parameters: limit, marker, end_marker, prefix, delimiter,
 * reverse (400/412 set). */
struct nb_obj_list_args {
    long limit;
    const char *marker, *end_marker, *prefix, *delimiter;
    bool reverse;
    char path_prefix[NB_OBJ_MAX_OBJECT_NAME + 2];   /* for path= */
};
int nb_obj_list_args(struct nb_req *req, struct nb_obj_list_args *a);
/* Appends the container's listing entries per 'a' to 'items'. */
int nb_obj_container_items(struct nb_tx *tx, const struct nb_obj_list_args *a,
                           const char *account, const char *container, json_t *items);
/* Replies with a listing of 'items' (each {"name"...} or {"subdir"}),
 * stolen; 'tag' is "account" or "container", 'item' its XML element. */
int nb_obj_list_reply(struct nb_req *req, enum nb_obj_fmt fmt, const char *tag,
                      const char *name, const char *item, json_t *items);

/* ---- objects.c */
struct nb_obj_row {
    char *name;
    char *blob;
    int64_t size;
    char etag[72];
    char *ctype;
    int64_t modified, delete_at;
    json_t *meta;             /* owned */
};
/* Loads a live (unexpired) object row; -ENOENT when absent. */
int nb_obj_row_load(struct nb_tx *tx, const char *account, const char *container,
                    const char *name, struct nb_obj_row *out);
void nb_obj_row_clear(struct nb_obj_row *r);
bool nb_obj_row_is_slo(const struct nb_obj_row *r);
const char *nb_obj_row_dlo(const struct nb_obj_row *r);
/* Stores row 'r' as account/container/r->name, replacing (and versioning,
 * as the container says) any existing one, in 'tx'.  *old_blob gets the
 * blob no longer referenced (the caller deletes it after commit). */
int nb_obj_row_store(struct nb_tx *tx, const char *account, const char *container,
                     const struct nb_obj_container *c, const struct nb_obj_row *r,
                     char **old_blob);
/* Removes a row (no versioning); *blob gets its blob. */
int nb_obj_row_remove(struct nb_tx *tx, const char *account, const char *container,
                      const char *name, char **blob);
int nb_obj_object_get(struct nb_req *req);
/* GET/HEAD of rq's object (rq borrowed; its object may be any name). */
int nb_obj_object_serve(struct nb_req *req, struct nb_obj_rq *rq);
/* ---- staticweb.c: anonymous GET/HEAD of a container with
 * X-Container-Meta-Web-Index / Web-Listings.  1 when it does not apply. */
int nb_obj_staticweb(struct nb_req *req, struct nb_obj_rq *rq);
int nb_obj_object_post(struct nb_req *req);
int nb_obj_object_delete(struct nb_req *req);
/* Deletes rq's object in its own transaction (versioning honoured):
 * 0, -ENOENT, 1 when 'slo_check' and it is an SLO manifest (nothing
 * done), or < 0 with the error set on rq->req (authorization). */
int nb_obj_object_remove(struct nb_obj_rq *rq, bool slo_check);
/* Stores row 'r' whose blob row->blob is already written (taken: deleted
 * on failure) in its own transaction, after the quota check when 'quota';
 * errors (404, 413) set on 'req'.  No reply is made. */
int nb_obj_row_commit_blob(struct nb_req *req, const char *account, const char *container,
                           struct nb_obj_row *row, bool quota);
/* The 201 reply of a stored object 'row'. */
void nb_obj_put_reply(struct nb_req *req, const struct nb_obj_row *row);
#define NB_OBJ_BULK_MAX_DELETES 10000
#define NB_OBJ_BULK_MAX_FAILED 1000
/* ---- bulk.c: ?bulk-delete, and /crossdomain.xml */
int nb_obj_bulk_delete(struct nb_req *req);
int nb_obj_crossdomain(struct nb_req *req);
/* PUT ?extract-archive= on the account or a container ('rq' authorized
 * as the account's owner). */
int nb_obj_bulk_extract(struct nb_req *req, struct nb_obj_rq *rq);
/* Renders a bulk summary (its keys in sorted order) and its errors
 * ([[name, status]...]) as 'fmt' under XML root 'root': a new string. */
char *nb_obj_bulk_render(const json_t *summary, const json_t *errors, enum nb_obj_fmt fmt,
                         const char *root);
/* Replies 200 with the summary in the format Accept asks for. */
/* The HTTP status line a sub-operation left on 'req' (then cleared), or
 * one for 'r' when none was set. */
const char *nb_obj_sub_status(struct nb_req *req, int r);
int nb_obj_bulk_reply(struct nb_req *req, const json_t *summary, const json_t *errors,
                      const char *root);
#define NB_OBJ_BULK_MAX_CONTAINERS 10000
/* The object headers of a GET/HEAD/PUT response. */
void nb_obj_row_headers(struct nb_req *req, const struct nb_obj_row *r);

/* ---- upload.c */
int nb_obj_put_begin(struct nb_req *req);
int nb_obj_put_body(struct nb_req *req, const char *data, size_t len);
int nb_obj_put_done(struct nb_req *req);
int nb_obj_copy(struct nb_req *req);
/* Stores 'len' bytes as a new blob with 'meta'; the key (new string) in
 * *key and the md5 hex in etag. */
int nb_obj_blob_put(const void *data, size_t len, const json_t *meta, char **key,
                    char etag[33]);

/* ---- hasher.c: the md5 of an upload, computed beside it */
struct nb_obj_hasher;
struct nb_obj_hasher *nb_obj_hasher_new(void);
/* Copies 'data' (hashed in order, possibly on another thread). */
void nb_obj_hasher_add(struct nb_obj_hasher *h, const char *data, size_t len);
/* The md5 of everything added, as hex. */
void nb_obj_hasher_final(struct nb_obj_hasher *h, char hex[33]);
void nb_obj_hasher_free(struct nb_obj_hasher *h);      /* NULL is fine */

/* ---- body.c: a body as a list of pieces (blob ranges and literals) */
struct nb_obj_piece {
    char *blob;               /* NULL: a literal */
    char *lit;
    uint64_t off, len;
};
struct nb_obj_body {
    struct nb_obj_piece *p;
    size_t n, cap;
    uint64_t total;
};
void nb_obj_body_blob(struct nb_obj_body *b, const char *blob, uint64_t off,
                      uint64_t len);
void nb_obj_body_lit(struct nb_obj_body *b, const char *s, size_t len);
void nb_obj_body_clear(struct nb_obj_body *b);
/* The body of a row: plain, SLO (segments) or DLO (prefix listing). */
int nb_obj_body_of(struct nb_req *req, struct nb_tx *tx, const char *account,
                   const struct nb_obj_row *r, struct nb_obj_body *out,
                   char etag[72]);
/* Replies with 'b' (stolen), honouring Range: 200, 206 (one range,
 * or multipart/byteranges) or 416. */
int nb_obj_body_reply(struct nb_req *req, struct nb_obj_body *b, const char *ctype);
/* Reads the whole body through 'fn' (copies). */
int nb_obj_body_each(struct nb_obj_body *b,
                     int (*fn)(void *arg, const char *data, size_t len), void *arg);

/* ---- slo.c */
int nb_obj_slo_put(struct nb_req *req, struct nb_obj_rq *rq, const char *body,
                   size_t len, json_t *meta, const char *ctype, int64_t delete_at);
int nb_obj_slo_segments(struct nb_req *req, struct nb_tx *tx, const char *account,
                        const struct nb_obj_row *r, struct nb_obj_body *out,
                        int depth);
int nb_obj_slo_delete(struct nb_req *req, struct nb_obj_rq *rq);

/* ---- tempurl.c */
/* 1 when the request carries a valid temporary URL for 'method', 0 when
 * it carries none, < 0 (401 set) when it carries a bad one. */
int nb_obj_tempurl_check(struct nb_obj_rq *rq, const char *method);
/* The keys that may sign for rq's container: the account's and the
 * container's Temp-URL-Key(-2) (a new array, maybe empty). */
json_t *nb_obj_signing_keys(struct nb_obj_rq *rq);
/* Is 'sig' (hex, its digest by length, or "<digest>:<base64>") the HMAC
 * of 'msg' under 'key'? */
bool nb_obj_sig_ok(const char *sig, const char *key, const char *msg);
/* ---- formpost.c: POST of multipart/form-data to a container or object
 * prefix (Swift's formpost).  Returns 1 when the request is not a form
 * (the caller handles it), else the handler's result. */
int nb_obj_formpost(struct nb_req *req, struct nb_obj_rq *rq);

#endif
