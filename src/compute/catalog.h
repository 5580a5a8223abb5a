/* What the catalog area's files (flavors.c, flavor_access.c, keypairs.c,
 * quotas.c, quota_api.c, groups.c, hosts.c) share beyond internal.h. */
#ifndef NB_COMPUTE_CATALOG_H
#define NB_COMPUTE_CATALOG_H

#include "compute/internal.h"

/* Sets Nova's jsonschema 400, "Invalid input for field/attribute <path>.
 * Value: <repr of v>. <why>" and returns -EINVAL.  Borrows everything. */
int nb_cmp_bad_input(struct nb_ctx *ctx, const char *path, const json_t *v,
                     const char *why);

/* The same for an unknown attribute 'key' of object 'obj'. */
int nb_cmp_bad_key(struct nb_ctx *ctx, const char *path, const json_t *obj,
                   const char *key);

/* 400 for a query parameter not in the NULL-terminated 'allowed' list, from
 * microversion 2.75 on (earlier ones ignore extras, as Nova). */
int nb_cmp_query_strict(struct nb_req *req, const char *const *allowed);

/* Runs 'fn' in a transaction (write or read), committing when fn returns
 * 0 and rolling back otherwise. */
int nb_cmp_in_tx(bool write, int (*fn)(struct nb_tx *tx, void *arg), void *arg);

/* "true"/"false"-like strings and JSON booleans as Nova's
 * strutils.bool_from_string(strict=True); -EINVAL when neither. */
int nb_cmp_bool_parse(const json_t *v, bool *out);

/* The limit of 'resource' for (project, user): the user's own row when
 * user_id is given and has one, else the project's, else the "default"
 * quota class, else [quota] in the configuration; -1 unlimited. */
int nb_cmp_quota_get(struct nb_tx *tx, const char *project_id,
                     const char *user_id, const char *resource, int64_t *out);
/* The quota lock row of the project (written first by every check). */
int nb_cmp_quota_lock(struct nb_tx *tx, const char *project_id);

/* Ends a write transaction and the request: with r < 0 rolls back and
 * returns r; else commits and replies 200 {key: obj}.  Takes 'obj' (may
 * be NULL when r < 0) and 'tx' in every case. */
int nb_cmp_commit_reply(struct nb_req *req, struct nb_tx *tx, int r, const char *key,
                        json_t *obj);

/* The same ending with an empty reply of 'status'. */
int nb_cmp_commit_empty(struct nb_req *req, struct nb_tx *tx, int r, int status);
/* The object under 'key' of the request's JSON body (borrowed), or NULL
 * with Nova's 400 set. */
const json_t *nb_cmp_wrapped(struct nb_req *req, const char *key);

/* Nova's quota resources, in a table ended by a NULL name. */
enum {
    NB_CMP_Q_NETWORK = 1 << 0,  /* nova-network's: gone from 2.36 (2.50 classes) */
    NB_CMP_Q_INJECTED = 1 << 1, /* personality files: gone from 2.57 */
    NB_CMP_Q_GROUPS = 1 << 2,   /* quota classes show them from 2.50 */
};
struct nb_cmp_qres {
    const char *name;           /* the API's key */
    const char *opt;            /* the [quota] option; NULL: -1 */
    unsigned flags;
};
extern const struct nb_cmp_qres nb_cmp_qres[];
const struct nb_cmp_qres *nb_cmp_qres_find(const char *name);
/* The limit of 'resource' in quota class 'class_name', else [quota]. */
int nb_cmp_quota_class_get(struct nb_tx *tx, const char *class_name,
                           const char *resource, int64_t *out);
/* Live servers of the project (and user, when not NULL). */
int nb_cmp_usage_count(struct nb_tx *tx, const char *project_id,
                       const char *user_id, struct nb_cmp_usage *u);
/* What the project (user) uses of 'resource' (0 for those not counted). */
int nb_cmp_quota_in_use(struct nb_tx *tx, const char *project_id,
                        const char *user_id, const char *resource, int64_t *out);
/* Takes the lock row, then -EDQUOT with 403 'message' (borrowed) unless
 * one more of 'resource' fits for (project, user). */
int nb_cmp_quota_check_one(struct nb_ctx *ctx, struct nb_tx *tx,
                           const char *project_id, const char *user_id,
                           const char *resource, const char *message);

/* Paging by marker (2.35 keypairs, flavors): the "<x>_links" next link. */
json_t *nb_cmp_next_link(struct nb_req *req, const char *collection,
                         const char *marker);

/* ---- flavors.c */
/* Flavor 'id' as ctx may use it, as a row object (strings); -ENOENT with
 * Nova's 404 set unless 'quiet'.  A new reference. */
int nb_cmp_flavor_load(struct nb_ctx *ctx, struct nb_tx *tx, const char *id,
                       bool quiet, json_t **out);
double nb_cmp_flavor_rxtx(const json_t *row);
/* The row's extra specs, a new object. */
json_t *nb_cmp_flavor_specs(const json_t *row);
/* 400 unless 'v' is null or a string of printable characters, at most
 * 'max' bytes. */
int nb_cmp_description_check(struct nb_ctx *ctx, const char *path, const json_t *v,
                             size_t max);

/* ---- services.c */
/* The integer id a service or compute node shows before 2.53: a stable
 * 31-bit hash of its uuid. */
int64_t nb_cmp_legacy_id(const char *uuid);
/* Whether a cmp_services row (as nb_cmp_row_json) is up: a heartbeat
 * within the service down time and not forced down. */
bool nb_cmp_service_up(const json_t *svc);
/* cmp_services rows (WHERE 'where' with one text argument 'arg', both may
 * be NULL) as a new array of row objects. */
int nb_cmp_services_load(struct nb_tx *tx, const char *where, const char *arg,
                         json_t **out);

/* Nova's links of a resource: self (/compute/v2.1/<collection>/<id>) and
 * bookmark (/compute/<collection>/<id>).  A new array. */
json_t *nb_cmp_links(struct nb_req *req, const char *collection, const char *id);
/* ?limit= (0..1000; over 1000 is 1000) and ?marker= (borrowed, NULL when
 * absent); 400 when limit is not a non-negative integer. */
int nb_cmp_paging(struct nb_req *req, long *limit, const char **marker);
/* The current row as an object of strings (NULL columns as null). */
json_t *nb_cmp_row_json(struct nb_stmt *st);
/* An integer column of such a row (0 when null). */
int64_t nb_cmp_row_int(const json_t *row, const char *key);

#endif
