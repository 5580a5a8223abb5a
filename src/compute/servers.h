/* What the servers files (servers*.c, instance_actions.c) share; the rest
 * of compute sees them through internal.h. */
#ifndef NB_COMPUTE_SERVERS_H
#define NB_COMPUTE_SERVERS_H

#include "compute/internal.h"
#include "compute/catalog.h"

/* ---- servers_view.c */
/* What the caller may see of a server (policy), decided once per server,
 * or once for a whole list ('server' NULL: no target, as Nova's detail). */
struct nb_cmp_view_perms {
    bool extra_specs, extended_attrs, host_status;
};
void nb_cmp_view_perms_of(struct nb_req *req, const json_t *server,
                          struct nb_cmp_view_perms *p);
/* nb_cmp_server_view with the permissions given. */
json_t *nb_cmp_server_view_as(struct nb_req *req, struct nb_tx *tx, const json_t *server,
                              enum nb_cmp_view view, const struct nb_cmp_view_perms *p);
/* Nova's isotime of a µs value (null when not an integer): a new value. */
json_t *nb_cmp_isotime(const json_t *us);
/* The "addresses" of 'server' (only network 'only_net' when not NULL;
 * OS-EXT-IPS attributes when 'extended'): a new object. */
json_t *nb_cmp_addresses(const json_t *server, const char *only_net, bool extended);
/* The tags of server 'id', sorted: a new array. */
json_t *nb_cmp_tags_load(struct nb_tx *tx, const char *id);
/* "UP", "DOWN", "MAINTENANCE", "UNKNOWN", or "" without a host (static). */
const char *nb_cmp_host_status(struct nb_tx *tx, const char *host);
/* Nova's hostId: sha224(project_id + host) in hex, "" without a host: a
 * new string value. */
json_t *nb_cmp_host_id(const char *project_id, const char *host);
/* [compute] service_down_time in µs. */
int64_t nb_cmp_service_down_us(void);

/* ---- servers_meta.c: validation shared by create and the sub-resources */
/* Nova's parameter_types.metadata: 0, or 400 set naming 'field'. */
int nb_cmp_metadata_valid(struct nb_ctx *ctx, const char *field, const json_t *meta);
/* 403 when 'n' items exceed the project's metadata_items quota. */
int nb_cmp_metadata_quota(struct nb_ctx *ctx, struct nb_tx *tx,
                          const char *project_id, size_t n);
/* One tag (1..60 characters, no ',' or '/'): 0, or 400 set. */
int nb_cmp_tag_valid(struct nb_ctx *ctx, const json_t *tag);
/* A list of at most 50 valid tags: 0, or 400 set. */
int nb_cmp_tags_valid(struct nb_ctx *ctx, const char *field, const json_t *tags);
/* Replaces the tags of server 'id' by 'tags' (an array of strings). */
int nb_cmp_tags_store(struct nb_tx *tx, const char *id, const json_t *tags);

/* ---- servers_create.c: what rebuild and resize check as create does */
/* Whether 's' is an address of 'family' (AF_INET, AF_INET6). */
bool nb_cmp_is_ip(const char *s, int family);
/* base64 (RFC 4648, padded; line breaks allowed), Nova's 'base64' format. */
bool nb_cmp_base64_valid(const char *s);
/* Nova's sanitize_hostname of a server name ("server-<id>" when nothing is
 * left): a new string the caller frees. */
char *nb_cmp_hostname_of(const char *name, const char *id);
/* A generated admin password (Nova's utils.generate_password, 12 chars). */
void nb_cmp_password_new(char out[16]);
/* The image against the flavor (Nova's _validate_flavor_image_nostatus):
 * 0, or 400 set. */
int nb_cmp_image_fits(struct nb_ctx *ctx, const json_t *image, const json_t *flavor);
/* What a server records of its image (request.image): a new object with
 * the image's properties (what is not Glance's own field) under
 * "properties", as Nova keeps them in system metadata. */
json_t *nb_cmp_image_props(const json_t *image);

/* ---- servers.c */
/* Nova's parameter_types.name: a string of 1..255 printable characters
 * without leading or trailing white space: 0, or 400 set naming 'field'. */
int nb_cmp_name_valid(struct nb_ctx *ctx, const char *field, const json_t *v);
/* An access IP (AF_INET or AF_INET6) checked and written in its canonical
 * form into 'out', as Nova stores it: 0, or 400 set naming 'field'. */
#define NB_CMP_IPLEN 46
int nb_cmp_access_ip(struct nb_ctx *ctx, const char *field, const json_t *v, int family,
                     char out[NB_CMP_IPLEN]);
/* 400 unless every key of 'obj' is one of the NULL-terminated 'allowed'
 * (jsonschema's additionalProperties false). */
int nb_cmp_only_keys(struct nb_ctx *ctx, const char *field, const json_t *obj,
                     const char *const *allowed);
/* Loads server 'id' for a handler and enforces 'rule' on its project:
 * 0 and a new reference, or an error set (404 for another project's). */
int nb_cmp_server_load(struct nb_req *req, struct nb_tx *tx, const char *id,
                       const char *rule, json_t **out);
/* Column 'col' (µs, or NULL) as Nova prints these datetimes: naive, with
 * microseconds, or null; a new value (instance_actions.c). */
json_t *nb_cmp_stmt_time(struct nb_stmt *st, int col);
/* Query parameter 'key' as a date-time: 1 and *out when given, 0 when
 * not, <0 with Nova's 400 set when it is not a date-time. */
int nb_cmp_query_time(struct nb_req *req, const char *key, int64_t *out);

#endif
