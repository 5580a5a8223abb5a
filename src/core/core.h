/* nubis core: the shared infrastructure every service builds on.
 *
 * This is the one public header of src/core.  It knows nothing about
 * clouds: HTTP, routing, JSON helpers, configuration, logging, SQL, the
 * generic resource (table <-> JSON) engine, and small utilities.
 *
 * Conventions (see STYLE.md): functions return 0 or a negative errno; every
 * *_free() accepts NULL; the comment above a function says who owns what.
 * Allocation failure aborts the process (nb_xmalloc and friends): a daemon
 * that cannot allocate 100 bytes cannot usefully report it either. */
#ifndef NB_CORE_H
#define NB_CORE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define NB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ util */

/* Allocators that never return NULL. */
void *nb_xmalloc(size_t n);
void *nb_xcalloc(size_t n, size_t sz);
void *nb_xrealloc(void *p, size_t n);
char *nb_xstrdup(const char *s);                 /* NULL in, NULL out */
char *nb_xstrndup(const char *s, size_t n);
/* Returns a new string; the caller frees it. */
char *nb_xasprintf(const char *fmt, ...) NB_PRINTF(1, 2);

/* A growable string.  Owns 'buf'; release with nb_buf_free(). */
struct nb_buf {
    char *buf;
    size_t len, cap;
};
void nb_buf_add(struct nb_buf *b, const void *data, size_t n);
void nb_buf_puts(struct nb_buf *b, const char *s);
void nb_buf_printf(struct nb_buf *b, const char *fmt, ...) NB_PRINTF(2, 3);
/* Hands the NUL-terminated string to the caller and empties 'b'. */
char *nb_buf_steal(struct nb_buf *b);
void nb_buf_free(struct nb_buf *b);

/* Ids: a random (v4) UUID as 32 lowercase hex digits, as Keystone,
 * or with dashes (37 bytes with NUL) as Nova/Neutron/Glance. */
#define NB_ID_HEX_LEN 32
void nb_uuid_hex(char out[NB_ID_HEX_LEN + 1]);
void nb_uuid_dashed(char out[37]);
bool nb_uuid_is_dashed(const char *s);

int64_t nb_now_us(void);                         /* wall clock, UTC, µs */
int64_t nb_mono_us(void);                        /* monotonic, µs */
/* Formats 'us' as ISO 8601 UTC: "2026-11-26T18:49:56.123456Z" when
 * 'frac' is 6, "...56Z" when 0, "...56.000000" without Z when frac is -6
 * (Keystone's format for expires_at on application credentials). */
#define NB_TIME_LEN 40
void nb_time_fmt(int64_t us, int frac, char out[NB_TIME_LEN]);
/* Parses ISO 8601 ("YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]"). */
int nb_time_parse(const char *s, int64_t *us);

void nb_random_bytes(void *buf, size_t n);
/* base64url without padding; returns a new string the caller frees. */
char *nb_b64url_encode(const void *data, size_t n);
/* Decodes into a new buffer (caller frees), length in *n; -EINVAL if bad. */
int nb_b64url_decode(const char *s, unsigned char **out, size_t *n);
void nb_hex_encode(const void *data, size_t n, char *out); /* 2n+1 bytes */
int nb_hex_decode(const char *s, unsigned char *out, size_t n);

bool nb_str_is_true(const char *s);
/* Whether 's' (NULL: never) is one of 'set', a NULL-ended list. */
bool nb_str_in(const char *s, const char *const *set);              /* "1", "true", "yes", "on" */
/* Strict boolean parse of a query value: 0, or -EINVAL if not a boolean. */
int nb_str_to_bool(const char *s, bool *out);
int nb_str_to_long(const char *s, long *out);    /* whole string, base 10 */
bool nb_utf8_valid(const char *s, size_t n);
/* Returns a new string: the n bytes of 's' with %XX decoded, and '+' as a
 * space when 'plus' (query strings). */
char *nb_url_decode(const char *s, size_t n, bool plus);

/* Creates the directory and its parents with 'mode'. */
int nb_mkdir_p(const char *path, unsigned mode);
/* Writes 'data' to 'path' atomically: temp file, fsync, rename, fsync dir. */
/* Writes all 'n' bytes to 'fd', retrying short writes and EINTR. */
int nb_write_all(int fd, const void *data, size_t n);
int nb_file_write_atomic(const char *path, const void *data, size_t n,
                         unsigned mode);
/* fsyncs the directory that holds 'path' (after a rename or unlink). */
int nb_fsync_dir(const char *path);
/* Reads a whole (small) file into a new NUL-terminated buffer. */
int nb_file_read(const char *path, char **out, size_t *n);

/* A string-keyed hash map (open addressing).  Keys are copied; values are
 * owned by the map when 'free_val' is given.  Not locked: callers lock. */
struct nb_map;
struct nb_map *nb_map_new(void (*free_val)(void *));
void nb_map_free(struct nb_map *m);
/* true and the value in *val when 'key' is present. */
bool nb_map_find(const struct nb_map *m, const char *key, void **val);
/* Inserts or replaces (freeing the old value). */
void nb_map_set(struct nb_map *m, const char *key, void *val);
bool nb_map_del(struct nb_map *m, const char *key);
size_t nb_map_size(const struct nb_map *m);
void nb_map_clear(struct nb_map *m);
/* Calls fn for every entry, in no order; fn must not change the map. */
void nb_map_each(const struct nb_map *m,
                 void (*fn)(void *arg, const char *key, void *val), void *arg);

/* ------------------------------------------------------------------ log */

enum nb_log_level { NB_LOG_DEBUG, NB_LOG_INFO, NB_LOG_WARN, NB_LOG_ERROR };

void nb_log_init(enum nb_log_level level, const char *file);
int nb_log_level_parse(const char *s, enum nb_log_level *out);
void nb_log(enum nb_log_level level, const char *fmt, ...) NB_PRINTF(2, 3);
/* Sets this thread's request id, shown on every line it logs; borrows 'id'
 * until the next call (NULL clears). */
void nb_log_set_request_id(const char *id);
#define nb_debug(...) nb_log(NB_LOG_DEBUG, __VA_ARGS__)
#define nb_info(...) nb_log(NB_LOG_INFO, __VA_ARGS__)
#define nb_warn(...) nb_log(NB_LOG_WARN, __VA_ARGS__)
#define nb_error(...) nb_log(NB_LOG_ERROR, __VA_ARGS__)

/* ------------------------------------------------------------------ config
 *
 * One process-wide configuration.  Every option is declared, with its
 * default and its documentation, in the table in conf.c; asking for an
 * undeclared option is a programming error and aborts. */

/* Resets to defaults, then reads 'file' (NULL: none) and, when present,
 * STATE_DIR/nubis.conf.  An unknown section or key is an error, so a typo
 * never silently falls back to a default. */
int nb_conf_load(const char *file);
/* Overrides one option (from the command line). Copies both strings. */
int nb_conf_set(const char *section, const char *key, const char *value);
const char *nb_conf_str(const char *section, const char *key);
long nb_conf_int(const char *section, const char *key);
bool nb_conf_bool(const char *section, const char *key);
/* Writes every option with its default and documentation as an INI file. */
void nb_conf_write_sample(FILE *out);
/* This host's name: [DEFAULT] host, else gethostname(); read once. */
const char *nb_host_name(void);

/* ------------------------------------------------------------------ context
 *
 * The call context: who is calling (filled from a validated token by src/auth)
 * and where the user-facing error of a failed call is recorded.  Service
 * logic takes a context, never an HTTP request, so the same code serves the
 * API, the CLI (bootstrap) and the agents. */

#define NB_MAX_ROLES 32
#define NB_IDSZ 65      /* ids are at most 64 bytes (Keystone's limit) */
#define NB_NAMESZ 256   /* names are at most 255 bytes */

struct nb_named {       /* an id and the name that goes with it */
    char id[NB_IDSZ];
    char name[NB_NAMESZ];
};

struct nb_caller {
    bool authenticated;
    struct nb_named user, user_domain;
    struct nb_named project, project_domain;   /* project scope */
    struct nb_named domain;                    /* domain scope */
    bool system_scope;
    int nroles;                                /* effective, implied included */
    struct nb_named roles[NB_MAX_ROLES];
    /* the token behind the call */
    int64_t issued_at, expires_at;             /* µs */
    char audit_id[32];
    char trust_id[NB_IDSZ];
    char app_cred_id[NB_IDSZ];
    unsigned methods;                          /* auth method bits (src/auth) */
};

struct nb_ctx {
    struct nb_caller caller;
    char request_id[48];
    /* The error of the failed call: status and a message for the user. */
    int err_status;
    char err_msg[1024];
};

/* Records a user-facing error on 'ctx' and returns the negative errno that
 * matches 'status' (400 -EINVAL, 401 -EPERM, 403 -EACCES, 404 -ENOENT,
 * 409 -EEXIST, 413 -E2BIG, ...), so callers write
 *     return nb_err_set(ctx, 404, "Could not find project: %s.", id);
 * The first error set wins: an inner, more precise message is kept. */
int nb_err_set(struct nb_ctx *ctx, int status, const char *fmt, ...)
    NB_PRINTF(3, 4);
int nb_errno_to_status(int err);
int nb_status_to_errno(int status);
const char *nb_http_reason(int status);          /* "Not Found" */
bool nb_caller_has_role(const struct nb_caller *c, const char *name);

/* ------------------------------------------------------------------ SQL
 *
 * One portable dialect over SQLite (WAL) and PostgreSQL (libpq), picked by
 * the connection string: "sqlite:/path/file.db" or "postgresql://..." /
 * "postgres://...".  Placeholders are '?'.  Statements are always prepared
 * (and cached per connection); values are always bound, never pasted.
 *
 * Portable dialect, as used across nubis: types TEXT and BIGINT only
 * (booleans are 0/1, times are µs since the epoch), "ON CONFLICT" upserts,
 * no RETURNING, no AUTOINCREMENT (ids are made by the caller), LIMIT/OFFSET,
 * lower() for case-insensitive matching. */

struct nb_db;     /* a database: a pool of connections */
struct nb_tx;     /* a transaction on one pooled connection */
struct nb_stmt;   /* an executed statement, positioned before its first row */

/* Opens the database and applies nothing yet.  Returns a handle the caller
 * closes with nb_db_close(). */
int nb_db_open(const char *url, int pool_size, struct nb_db **out);
void nb_db_close(struct nb_db *db);
const char *nb_db_backend(const struct nb_db *db);   /* "sqlite" | "postgresql" */

struct nb_migration {
    int version;          /* 1, 2, 3 ... in order; never renumbered */
    const char *sql;      /* one or more statements in the portable dialect */
};
/* Applies the migrations of 'module' newer than the recorded version, each
 * in its own transaction. */
int nb_db_migrate(struct nb_db *db, const char *module,
                  const struct nb_migration *m, size_t n);

/* Starts a transaction. Write transactions take the write lock up front on
 * SQLite (BEGIN IMMEDIATE) so they never fail halfway on an upgrade.
 * On success the caller ends it with nb_tx_commit() or nb_tx_rollback(). */
int nb_tx_begin(struct nb_db *db, bool write, struct nb_tx **out);
int nb_tx_commit(struct nb_tx *tx);           /* releases tx even on error */
void nb_tx_rollback(struct nb_tx *tx);        /* NULL is fine */

/* Binding type letters for the varargs forms:
 *   's' const char * (NULL binds SQL NULL)   'i' int64_t
 *   'b' bool (int promoted; binds 0/1)       'n' SQL NULL (no argument) */
/* Runs a statement that returns no rows; *changes (may be NULL) gets the
 * number of rows changed.  -EEXIST on a unique-constraint violation,
 * -EBUSY when the database stayed locked. */
int nb_tx_exec(struct nb_tx *tx, int *changes, const char *sql,
               const char *types, ...);
/* Runs a query; on success the caller walks rows with nb_stmt_next() and
 * releases with nb_stmt_done(). */
int nb_tx_query(struct nb_tx *tx, struct nb_stmt **out, const char *sql,
                const char *types, ...);
/* Single-row helpers: 0 and the first column as a new string (*out, caller
 * frees) / integer; -ENOENT when there is no row. */
int nb_tx_query_str(struct nb_tx *tx, char **out, const char *sql,
                    const char *types, ...);
int nb_tx_query_int(struct nb_tx *tx, int64_t *out, const char *sql,
                    const char *types, ...);

/* Returns 1 and advances to the next row, 0 at the end, <0 on error. */
int nb_stmt_next(struct nb_stmt *st);
int nb_stmt_ncols(struct nb_stmt *st);
const char *nb_stmt_colname(struct nb_stmt *st, int col);
/* Column values of the current row; text is borrowed until the next
 * nb_stmt_next()/nb_stmt_done().  NULL text for SQL NULL. */
const char *nb_stmt_text(struct nb_stmt *st, int col);
int64_t nb_stmt_int(struct nb_stmt *st, int col);
bool nb_stmt_null(struct nb_stmt *st, int col);
void nb_stmt_done(struct nb_stmt *st);        /* NULL is fine */

/* A query built piece by piece (dynamic filters) with its bound values.
 * Owns its strings; release with nb_sql_free(). */
struct nb_sql {
    struct nb_buf text;
    int n;
    struct nb_sql_arg { char type; char *s; int64_t i; } *args;
    int cap;
};
void nb_sql_add(struct nb_sql *q, const char *fragment);
void nb_sql_addf(struct nb_sql *q, const char *fmt, ...) NB_PRINTF(2, 3);
void nb_sql_text(struct nb_sql *q, const char *v);   /* binds; copies v */
void nb_sql_int(struct nb_sql *q, int64_t v);
void nb_sql_free(struct nb_sql *q);
int nb_tx_query_sql(struct nb_tx *tx, struct nb_stmt **out,
                    const struct nb_sql *q);
int nb_tx_exec_sql(struct nb_tx *tx, int *changes, const struct nb_sql *q);

/* ------------------------------------------------------------------ resources
 *
 * Most REST resources are a table row rendered as a JSON object.  A
 * resource descriptor says, per attribute, its type and rules; the engine
 * validates input, writes rows and renders them, so each service states its
 * resources as data instead of repeating the same SQL and checks. */

enum nb_ftype {
    NB_FT_STR,      /* TEXT */
    NB_FT_BOOL,     /* BIGINT 0/1, JSON true/false */
    NB_FT_INT,      /* BIGINT */
    NB_FT_JSON,     /* TEXT holding JSON; any JSON value */
    NB_FT_TIME,     /* BIGINT µs, JSON ISO 8601 string or null */
};

enum {
    NB_FF_REQUIRED = 1 << 0,   /* must be given on create */
    NB_FF_MUTABLE  = 1 << 1,   /* may be changed by update */
    NB_FF_FILTER   = 1 << 2,   /* ?name=value filters lists */
    NB_FF_NULL     = 1 << 3,   /* accepts JSON null */
    NB_FF_HIDDEN   = 1 << 4,   /* never rendered (password hashes) */
    NB_FF_RDONLY   = 1 << 5,   /* rendered, not accepted from users */
    NB_FF_SORT     = 1 << 6,   /* usable as a sort key */
    NB_FF_NOCOL    = 1 << 7,   /* validated only; no column (handled by caller) */
    NB_FF_CREATE   = 1 << 8,   /* accepted on create but not by update (ids) */
    NB_FF_NAME     = 1 << 9,   /* a name: non-empty, not only white space */
};

struct nb_field {
    const char *name;          /* JSON attribute and SQL column */
    enum nb_ftype type;
    unsigned flags;
    unsigned max_len;          /* strings: bytes; 0 = unlimited */
    const char *def;           /* default as JSON text; NULL = none (null) */
};

struct nb_resource {
    const char *singular;      /* "project": the wrapper key and the noun in
                                  messages */
    const char *plural;        /* "projects" */
    const char *table;
    const struct nb_field *fields;   /* the first is the id */
    size_t nfields;
    /* Unknown attributes are stored in the 'extra' column (JSON) and
     * rendered back, as Keystone does; otherwise they are a 400. */
    bool keep_extra;
    /* The 404 message, a printf format taking the id; NULL: "Could not
     * find <singular>: <id>." */
    const char *not_found;
};

/* Validates 'in' (the object under the wrapper key) for a create (all
 * required attributes, defaults filled) or an update (only given, mutable
 * attributes).  Returns 0 and a new normalised object in *out (caller
 * decrefs), or an error with a message naming the attribute on 'ctx'. */
int nb_res_parse(struct nb_ctx *ctx, const struct nb_resource *res,
                 const json_t *in, bool create, json_t **out);
/* Inserts the normalised object. -EEXIST (409 set) on a duplicate. */
int nb_res_insert(struct nb_ctx *ctx, struct nb_tx *tx,
                  const struct nb_resource *res, const json_t *obj);
/* Loads one row by id into a new rendered object; -ENOENT (404 set:
 * "Could not find <singular>: <id>.") when absent. */
int nb_res_get(struct nb_ctx *ctx, struct nb_tx *tx,
               const struct nb_resource *res, const char *id, json_t **out);
/* Applies the changes of a normalised update object to row 'id'. */
int nb_res_update(struct nb_ctx *ctx, struct nb_tx *tx,
                  const struct nb_resource *res, const char *id,
                  const json_t *changes);
/* Deletes row 'id'; -ENOENT (404 set) when absent. */
int nb_res_delete(struct nb_ctx *ctx, struct nb_tx *tx,
                  const struct nb_resource *res, const char *id);
/* Renders the current row of a query that began with nb_res_select().
 * Returns a new object. */
json_t *nb_res_render(const struct nb_resource *res, struct nb_stmt *st);
/* Appends "SELECT <every column of res> FROM <table>" to 'q'. */
void nb_res_select(const struct nb_resource *res, struct nb_sql *q);
/* Binds one JSON value of 'res' attribute 'f' as its column value. */
void nb_res_bind(struct nb_sql *q, const struct nb_field *f, const json_t *v);
const struct nb_field *nb_res_field(const struct nb_resource *res,
                                    const char *name);

/* Lists rows: "SELECT cols FROM table WHERE <where> ORDER BY ...".
 * 'where' (may be NULL) is extra conditions ANDed in, with its values.
 * When 'query' is given, every NB_FF_FILTER attribute present in it is
 * matched exactly (booleans parsed strictly).  Returns a new array. */
struct nb_list_opts {
    const struct nb_sql *where;       /* without the WHERE keyword */
    const json_t *query;              /* object of query string values */
    const char *order_by;             /* SQL, default "id" */
    long limit;                       /* <= 0: no limit */
    /* Boolean filters: strict ("true"/"false", else 400, as Neutron) or
     * lenient (only "0"/"false"/"no"/"off" are false, as Keystone). */
    bool strict_bools;
};
int nb_res_list(struct nb_ctx *ctx, struct nb_tx *tx,
                const struct nb_resource *res,
                const struct nb_list_opts *opts, json_t **out);

/* ------------------------------------------------------------------ JSON */

/* Borrowed values of 'obj'; NULL when absent or of another type. */
const char *nb_json_str(const json_t *obj, const char *key);
const json_t *nb_json_obj(const json_t *obj, const char *key);
const json_t *nb_json_arr(const json_t *obj, const char *key);
/* Renders a new compact JSON string; the caller frees it. */
char *nb_json_dump(const json_t *v);
/* 'v' as Python prints it ('text', True, None, {'k': ...}), the way the
 * OpenStack services' jsonschema messages quote values.  New string. */
char *nb_json_repr(const json_t *v);
/* Sets 400 "Invalid input for field '<field>': <repr of v> <why>" (no
 * field part when 'field' is NULL) and returns -EINVAL. */
int nb_err_invalid(struct nb_ctx *ctx, const char *field, const json_t *v,
                   const char *why);

/* ------------------------------------------------------------ blob store
 *
 * Opaque bytes by (namespace, key): image data, objects, volume files.
 * Namespaces and keys are names ([A-Za-z0-9._-], not starting with '.',
 * up to 200 bytes).  A writer streams into a temporary; commit makes the
 * bytes and a small metadata record durable under the key in one atomic
 * step (a reader sees the old blob or the new one, never a mix); abort, or
 * a crash before commit, leaves nothing (nb_blob_store_recover removes the
 * temporaries).
 * Drivers are in blob_driver.h; "file:/dir" (or a plain "/dir") is the
 * file driver.  A store is safe to use from several threads; a writer
 * belongs to one request at a time. */
struct nb_blob_store;
struct nb_blob_writer;

int nb_blob_store_open(const char *url, struct nb_blob_store **out);
/* Removes the temporaries of writes that never committed (a crash).  Only
 * the serving daemon calls it, before it accepts requests: another command
 * running beside it must not take an upload's temporary away. */
int nb_blob_store_recover(struct nb_blob_store *bs);
void nb_blob_store_close(struct nb_blob_store *bs);     /* NULL is fine */
/* Starts a blob in 'ns'; the caller ends it with commit or abort. */
int nb_blob_writer_new(struct nb_blob_store *bs, const char *ns,
                       struct nb_blob_writer **out);
int nb_blob_writer_write(struct nb_blob_writer *w, const void *data,
                         size_t len);
uint64_t nb_blob_writer_size(const struct nb_blob_writer *w);
/* Makes the blob durable under 'key' with 'meta' (may be NULL/0), then
 * frees 'w' whether or not it succeeded. */
int nb_blob_writer_commit(struct nb_blob_writer *w, const char *key,
                          const void *meta, size_t mlen);
/* Frees 'w' and discards what it wrote; NULL is fine. */
void nb_blob_writer_abort(struct nb_blob_writer *w);
/* A read-only descriptor on the data (for nb_reply_fd/sendfile) and the
 * data size; the caller owns the descriptor.  -ENOENT when absent. */
int nb_blob_open(struct nb_blob_store *bs, const char *ns, const char *key,
                 int *fd, uint64_t *size);
/* The blob's metadata, a new NUL-terminated buffer the caller frees. */
int nb_blob_meta(struct nb_blob_store *bs, const char *ns, const char *key,
                 char **meta, size_t *mlen);
/* -ENOENT when absent. */
int nb_blob_delete(struct nb_blob_store *bs, const char *ns, const char *key);
/* Calls fn for every key of 'ns' until it returns non-zero (which is
 * returned); for sweeps that reconcile blobs with their rows. */
int nb_blob_each(struct nb_blob_store *bs, const char *ns,
                 int (*fn)(void *arg, const char *key), void *arg);

/* ------------------------------------------------------------------ bus
 *
 * Work handed between modules and threads as JSON messages on named
 * topics ("scheduler", "compute.<host>").  Each topic has at most one
 * subscription, served by a fixed number of worker threads that take
 * messages in publication order (competing consumers), so a subscriber
 * bounds its own concurrency.  Messages are not durable: whoever publishes
 * has recorded the intent in the database first, and consumers reconcile
 * from the database after a crash.  Drivers: "inproc://" (a FIFO per topic
 * inside this process).  Thread-safe. */
struct nb_bus;
struct nb_bus_sub;

/* Handles one message (borrowed for the call) on a worker thread. */
typedef void (*nb_bus_fn)(void *arg, const json_t *msg);

int nb_bus_open(const char *url, struct nb_bus **out);
/* Frees the bus; every subscription must be gone.  NULL is fine. */
void nb_bus_close(struct nb_bus *bus);
/* Queues a copy of 'msg' (borrowed) on 'topic'.  Messages published to a
 * topic nobody subscribes to wait for a subscriber. */
int nb_bus_publish(struct nb_bus *bus, const char *topic, const json_t *msg);
/* Serves 'topic' with 'workers' threads calling fn(arg, msg).  -EEXIST
 * when the topic already has a subscription. */
int nb_bus_subscribe(struct nb_bus *bus, const char *topic, unsigned workers,
                     nb_bus_fn fn, void *arg, struct nb_bus_sub **out);
/* Stops the workers after the message each is handling and frees 'sub';
 * messages still queued stay for a later subscriber.  NULL is fine. */
void nb_bus_unsubscribe(struct nb_bus_sub *sub);
/* Messages queued on 'topic' and not yet taken by a worker. */
size_t nb_bus_pending(struct nb_bus *bus, const char *topic);

/* ------------------------------------------------------------- modules
 *
 * A service module (image, network, object, ...) as the daemon sees it:
 * its HTTP service and three steps.  src/cli/serve.c lists the modules in
 * one table; identity comes first and is wired by hand (it owns the
 * tokens every other module checks). */
struct nb_module_env {
    struct nb_db *db;
    struct nb_blob_store *blobs;    /* STATE/blobs */
    struct nb_bus *bus;             /* [DEFAULT] transport_url */
    const char *state_dir;
    const char *public_url;         /* "http://127.0.0.1:8080", no slash */
    const char *region;
};

struct nb_module {
    const char *name;                   /* "image" */
    const struct nb_service *service;
    /* Opens the module: migrations, caches, recovery of what a crash left
     * (e.g. uploads that never finished).  Borrows 'env' for the module's
     * life.  Runs for every command that opens the state. */
    int (*init)(const struct nb_module_env *env);
    /* `nubis serve` only, before the HTTP server starts: repairs what a
     * crash left (uploads that never finished, blobs no row names).  Never
     * run by other commands, which may run beside a serving daemon.  May
     * be NULL. */
    int (*recover)(const struct nb_module_env *env);
    /* `nubis bootstrap`, after identity's: the catalog entry (through
     * nb_identity_register_service) and any defaults.  Idempotent.  May
     * be NULL. */
    int (*bootstrap)(const struct nb_module_env *env);
    /* Starts background work that only a serving daemon runs (data plane
     * reconcile, supervisors, sweepers), after the HTTP server is up.
     * May be NULL. */
    int (*start)(const struct nb_module_env *env);
    /* Stops what start() started and frees what init() made; safe after a
     * failed or missing init. */
    void (*shutdown)(void);
};

/* ------------------------------------------------------------------ HTTP
 *
 * libmicrohttpd with a thread pool.  Services register a route table; the
 * router picks the service by path prefix, then the route by method and
 * pattern.  The pipeline is:
 *   router -> authenticate (X-Auth-Token -> ctx.caller) -> route policy ->
 *   body (buffered JSON, or streamed to the route) -> handler -> render. */

struct nb_req;
struct nb_http;

typedef int (*nb_handler_fn)(struct nb_req *req);

enum {
    NB_ROUTE_PUBLIC = 1 << 0,   /* no token needed (discovery, auth) */
    NB_ROUTE_STREAM = 1 << 1,   /* body goes to route->on_body, unbuffered */
    NB_ROUTE_UNVERSIONED = 1 << 2,  /* no microversion (version documents) */
};

/* Microversions (Nova's "compute 2.79", Cinder's "volume 3.70").  A
 * service that has them negotiates every request whose route is not
 * NB_ROUTE_UNVERSIONED, after authentication: "OpenStack-API-Version:
 * <type> X.Y" (or "latest"), else the legacy header, else the minimum.  A
 * malformed version is a 400 and one out of range a 406, with the
 * messages Nova gives; the result is echoed in both headers and Vary. */
#define NB_MV(major, minor) ((major) * 1000 + (minor))
struct nb_microversions {
    const char *service_type;   /* "compute" */
    const char *legacy_header;  /* "X-OpenStack-Nova-API-Version", or NULL */
    int min, max;               /* NB_MV(2, 1), NB_MV(2, 79) */
    /* A legacy API served by the same routes: a path below legacy_prefix
     * ("/v2/servers") is routed as below 'prefix' ("/v2.1/servers") at the
     * minimum microversion, with no version headers (Nova's v2.0
     * compatibility).  The legacy root itself is routed as it is. */
    const char *legacy_prefix, *prefix;
};
/* Parses a version value ("2.79", "latest") against 'mv': 0 and the
 * version in *out, -EINVAL when malformed, -ERANGE when out of range. */
int nb_mv_parse(const struct nb_microversions *mv, const char *s, int *out);

/* Policy for a route: a rule name enforced before the handler with an empty
 * target, or NB_POLICY_IN_HANDLER when the handler must first load the
 * target (e.g. "is this project the caller's?") and enforce itself.  Debug
 * builds abort when a handler forgets to. */
#define NB_POLICY_IN_HANDLER ((const char *)0)

struct nb_route {
    const char *method;         /* "GET", "HEAD", ...; GET also answers HEAD */
    const char *pattern;        /* "/v3/projects/{project_id}", relative to
                                   the service prefix; "{x}" is one segment,
                                   "{x*}" the rest of the path */
    nb_handler_fn handler;      /* runs when the whole body is in */
    const char *policy;         /* see above */
    unsigned flags;
    /* NB_ROUTE_STREAM only: runs once the headers are in and the caller is
     * authorised, before any body byte is read, and may refuse (error set
     * on the request); then on_body gets each chunk as it arrives. */
    nb_handler_fn on_begin;
    int (*on_body)(struct nb_req *req, const char *data, size_t len);
    /* Whatever the handler needs to serve several routes (a resource
     * descriptor); read with nb_req_route_arg(). */
    const void *arg;
};

struct nb_service {
    const char *name;           /* "identity" */
    const char *prefix;         /* "/identity" */
    const struct nb_route *routes;
    size_t nroutes;
    /* Renders this API's error body (Keystone, Nova, Neutron... each has
     * its own).  Returns a new reference. */
    json_t *(*render_error)(int status, const char *title, const char *msg);
    /* Optional, for APIs whose errors are not JSON (Swift's text/HTML
     * bodies): when set it is used instead of render_error.  Returns a new
     * string (caller frees) and its Content-Type in *ctype (static). */
    char *(*render_error_text)(int status, const char *title, const char *msg,
                               const char **ctype);
    /* Headers every response of this service carries, e.g. "Vary". */
    const char *const *headers; /* name, value, name, value, ..., NULL */
    /* Status for a JSON body sent with another Content-Type: 0 is 415
     * (Nova, Neutron); Keystone says 400. */
    int bad_content_type_status;
    /* Microversions, or NULL when the API has none. */
    const struct nb_microversions *mv;
    /* A second response header carrying the request id, as some APIs
     * add to X-Openstack-Request-Id (Nova: "X-Compute-Request-Id"), or
     * NULL. */
    const char *request_id_header;
};

/* Hooks through which src/auth plugs into the pipeline (core sits below
 * auth, so it calls up through these). */
struct nb_http_hooks {
    /* Turns the request's token (if any) into req ctx caller; a bad token
     * is an error (401).  May be NULL: everyone is anonymous. */
    int (*authenticate)(struct nb_req *req);
    /* Enforces 'rule' for the caller against 'target' (may be NULL). */
    int (*enforce)(struct nb_ctx *ctx, const char *rule, const json_t *target);
};

struct nb_http_config {
    const char *listen;                     /* "127.0.0.1:8080" */
    int threads;
    size_t max_body;                        /* buffered bodies; 413 beyond */
    struct nb_http_hooks hooks;
};

/* Starts serving 'services' (borrowed for the server's life). */
int nb_http_start(const struct nb_http_config *cfg,
                  const struct nb_service *const *services, size_t n,
                  struct nb_http **out);
/* The port actually bound (useful with port 0). */
int nb_http_port(const struct nb_http *h);
void nb_http_stop(struct nb_http *h);
/* Finds the route for a method and path: 0 and the route, -ENOENT (no
 * path) or -EOPNOTSUPP (path exists, method does not: 405).  Exposed for
 * unit tests.  'params' receives up to 8 decoded path parameters, each a
 * new string the caller frees. */
int nb_router_match(const struct nb_service *svc, const char *method,
                    const char *path, const struct nb_route **route,
                    char **params, int *nparams);

/* Request accessors; every returned string is borrowed for the request. */
struct nb_ctx *nb_req_ctx(struct nb_req *req);
const char *nb_req_method(const struct nb_req *req);
const char *nb_req_path(const struct nb_req *req);  /* after the prefix */
const struct nb_service *nb_req_service(const struct nb_req *req);
const void *nb_req_route_arg(const struct nb_req *req);
/* The n-th path parameter of the route pattern (0-based). */
const char *nb_req_param(const struct nb_req *req, int n);
const char *nb_req_header(struct nb_req *req, const char *name);
/* Calls fn for every request header, in order (names as sent). */
void nb_req_header_each(struct nb_req *req,
                        void (*fn)(void *arg, const char *name,
                                   const char *value),
                        void *arg);
/* A decoded query value, NULL when absent ("" for "?flag"). */
const char *nb_req_query(struct nb_req *req, const char *key);
/* All query values as a new object {key: value}; repeated keys keep the
 * last.  The caller decrefs. */
json_t *nb_req_query_obj(struct nb_req *req);
/* The query re-encoded ("a=1&b=x%20y"), a new string ("" when none). */
char *nb_req_query_string(struct nb_req *req);
/* Calls fn for every query pair, in order (repeated keys included). */
void nb_req_query_each(struct nb_req *req,
                       void (*fn)(void *arg, const char *k, const char *v),
                       void *arg);
/* The negotiated microversion (NB_MV(2, 79)); 0 for services without
 * microversions and unversioned routes. */
int nb_req_mv(const struct nb_req *req);
/* The buffered body, borrowed. */
const char *nb_req_body(const struct nb_req *req, size_t *len);
/* The body parsed as a JSON object: borrowed, or NULL with a 400 set. */
json_t *nb_req_json(struct nb_req *req);
/* The base URL the client used, e.g. "http://127.0.0.1:8080" (from Host). */
const char *nb_req_base_url(struct nb_req *req);
/* Per-request state for streaming handlers; 'cleanup' runs when the
 * request ends, whether it completed or the client went away. */
void nb_req_set_state(struct nb_req *req, void *state,
                      void (*cleanup)(void *state, bool completed));
void *nb_req_state(struct nb_req *req);
/* Marks the request's policy as enforced (done by the enforce hook). */
void nb_req_policy_done(struct nb_req *req);
/* Enforces 'rule' through the pipeline's hook (handlers that load their
 * target first call this). */
int nb_req_enforce(struct nb_req *req, const char *rule, const json_t *target);

/* Replies.  Each returns 0; the status and body are sent when the handler
 * returns.  nb_reply_json steals 'body'. */
int nb_reply_json(struct nb_req *req, int status, json_t *body);
int nb_reply_empty(struct nb_req *req, int status);
/* Steals 'data' (malloc'd). */
int nb_reply_data(struct nb_req *req, int status, const char *ctype,
                  char *data, size_t len);
/* Streams 'len' bytes of 'fd' from 'offset' (sendfile); takes the fd. */
int nb_reply_fd(struct nb_req *req, int status, const char *ctype, int fd,
                uint64_t offset, uint64_t len);
/* Streams a body produced piece by piece (assembled objects, multipart
 * bodies).  'total' is the body length, or -1 when unknown (chunked
 * transfer).  'read' fills up to 'max' bytes of 'buf' with the body from
 * position 'pos' and returns how many (0: the end, only when 'total' is -1;
 * < 0: an error, the connection is closed).  It runs on the server's
 * threads after the handler returned, and may block.  'done' (may be NULL)
 * frees 'state' when the response is released, whether or not it was
 * sent; it is also called at once if the reply cannot be made.  A HEAD
 * request gets the headers (Content-Length 'total') and no read call. */
int nb_reply_stream(struct nb_req *req, int status, const char *ctype,
                    int64_t total,
                    int64_t (*read)(void *state, uint64_t pos, char *buf,
                                    size_t max),
                    void *state, void (*done)(void *state));
/* Copies name and value (an empty value goes out as one space, which
 * clients read as empty). */
void nb_reply_header(struct nb_req *req, const char *name, const char *value);
/* Sets the error (like nb_err_set on the request's ctx). */
int nb_req_err(struct nb_req *req, int status, const char *fmt, ...)
    NB_PRINTF(3, 4);

/* Request ids: "req-" + dashed UUID, the form oslo.middleware uses. */
bool nb_request_id_valid(const char *s);
void nb_request_id_new(char out[48]);

#endif
