/* nubis image: what the files of src/image share (not a public header). */
#ifndef NB_IMAGE_INTERNAL_H
#define NB_IMAGE_INTERNAL_H

#include "core/core.h"
#include "image/image.h"

/* The environment init() was given (borrowed for the module's life). */
extern const struct nb_module_env *nb_img_env;

/* blob namespaces: active image data, and data staged for import */
#define NB_IMG_NS "image"
#define NB_IMG_STAGE_NS "image-staging"

/* ---- schema.c */
int nb_img_schema_migrate(struct nb_db *db);
/* The JSON schemas Glance serves (/v2/schemas/...).  New references. */
json_t *nb_img_schema_image(void);
json_t *nb_img_schema_images(void);
json_t *nb_img_schema_member(void);
json_t *nb_img_schema_members(void);
bool nb_img_disk_format_valid(const char *s);
bool nb_img_container_format_valid(const char *s);

/* ---- format.c */
struct nb_img_format {
    const char *name;        /* "raw", "qcow2", "vmdk", "vhd", ... (static) */
    int64_t virtual_size;    /* 0 when the format does not say */
    bool unsafe;             /* must never become active */
    char reason[96];         /* why it is unsafe */
};
/* Inspects the first 'hlen' bytes and the last 'tlen' bytes of an image. */
void nb_img_inspect(const unsigned char *head, size_t hlen,
                    const unsigned char *tail, size_t tlen,
                    struct nb_img_format *f);
/* Whether data of format 'f' may be stored as disk_format 'declared'. */
bool nb_img_format_matches(const char *declared, const struct nb_img_format *f);

/* ---- images.c */
#define NB_IMG_COLS                                                          \
    "id, name, owner, status, visibility, protected, os_hidden, "            \
    "disk_format, container_format, min_disk, min_ram, size, virtual_size, " \
    "checksum, os_hash_algo, os_hash_value, created_at, updated_at"
bool nb_img_is_admin(const struct nb_ctx *ctx);
/* Renders the current row of a "SELECT NB_IMG_COLS" query, with its tags
 * (read through 'tx').  Returns a new object. */
json_t *nb_img_render(struct nb_tx *tx, struct nb_stmt *st);
/* Loads image 'id' as the caller may see it: 0 and a new reference to the
 * rendered image (with its tags), or -ENOENT with Glance's 404 ("No image
 * found with ID") set on ctx when it is absent or not visible. */
int nb_img_load(struct nb_ctx *ctx, struct nb_tx *tx, const char *id, json_t **out);
/* The same through a request, then enforces 'rule' on the image (403). */
int nb_img_find(struct nb_req *req, struct nb_tx *tx, const char *id,
                const char *rule, json_t **out);
/* Renders row 'id' whoever asks (a new reference); -ENOENT silently. */
int nb_img_row(struct nb_tx *tx, const char *id, json_t **out);
/* The policy target of an image: owner, project_id, visibility.  New. */
json_t *nb_img_target(const json_t *img);
/* Bytes held by the active and saving images of 'owner'. */
int nb_img_usage_bytes(struct nb_tx *tx, const char *owner, int64_t *out);
/* [image] image_size_total as bytes; -1: no limit. */
int64_t nb_img_size_limit(void);
int nb_img_touch(struct nb_tx *tx, const char *id);

/* Creates a queued image from 'body' (POST /v2/images) as ctx, with its
 * policy checks and the image_count_total limit, in its own transaction;
 * its id in 'id'. */
int nb_img_create_doc(struct nb_ctx *ctx, const json_t *body, char id[37]);
/* Deletes image 'id' (rows, then data) as ctx with its policy checks. */
int nb_img_destroy(struct nb_ctx *ctx, const char *id);

/* handlers */
int nb_img_create(struct nb_req *req);
int nb_img_list(struct nb_req *req);
int nb_img_delete_no_id(struct nb_req *req);
int nb_img_show(struct nb_req *req);
int nb_img_update(struct nb_req *req);
int nb_img_delete(struct nb_req *req);
int nb_img_deactivate(struct nb_req *req);
int nb_img_reactivate(struct nb_req *req);
int nb_img_usage(struct nb_req *req);

/* ---- members.c (members and tags) */
int nb_img_tag_add(struct nb_req *req);
int nb_img_tag_delete(struct nb_req *req);
int nb_img_member_create(struct nb_req *req);
int nb_img_member_list(struct nb_req *req);
int nb_img_member_show(struct nb_req *req);
int nb_img_member_update(struct nb_req *req);
int nb_img_member_delete(struct nb_req *req);
/* Replaces the tags of image 'id' with the array 'tags'. */
int nb_img_tags_set(struct nb_tx *tx, const char *id, const json_t *tags);
#define NB_IMG_MAX_TAGS 128
#define NB_IMG_MAX_MEMBERS 128

/* ---- data.c */
int nb_img_upload_begin(struct nb_req *req);
int nb_img_stage_begin(struct nb_req *req);
int nb_img_upload_body(struct nb_req *req, const char *data, size_t len);
int nb_img_upload_end(struct nb_req *req);
int nb_img_download(struct nb_req *req);
int nb_img_import(struct nb_req *req);
/* Uploads the data of queued image 'img' (loaded, policy checked) from
 * 'fd', read to its end, as an API upload does: hashed, inspected, within
 * the owner's quota; the image becomes active, or stays queued. */
int nb_img_upload_fd(struct nb_ctx *ctx, const json_t *img, int fd);
/* ---- tasks.c */
/* Records the import of 'image_id' asked by 'req' with 'import_req' (the
 * request body, borrowed) and how it ended. */
int nb_img_task_record(struct nb_req *req, const char *image_id, const json_t *import_req,
                       bool ok, const char *message);
int nb_img_tasks(struct nb_req *req);

/* Puts uploads and imports a crash interrupted back to queued. */
int nb_img_recover(struct nb_db *db);

#endif
