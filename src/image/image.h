/* nubis image: Glance v2.  What other modules may call. */
#ifndef NB_IMAGE_H
#define NB_IMAGE_H

#include "core/core.h"

/* The image module: /image (Glance API v2), catalog type "image". */
extern const struct nb_module nb_image_module;

/* ---- what other modules (compute) may do with images.  Each call is made
 * as 'ctx' with Glance's visibility rules and messages (on failure ctx
 * carries the error); documents are Glance's image JSON. */
/* -ENOENT (404 set) when absent or not visible to ctx. */
int nb_image_get(struct nb_ctx *ctx, const char *id, json_t **out);
/* The images ctx may see that match 'query' (the query keys of GET
 * /v2/images with string values: filters, sort_key/sort_dir, limit,
 * marker), as that list answers them: a new array. */
int nb_image_list(struct nb_ctx *ctx, const json_t *query, json_t **out);
/* Creates a queued image from 'props' (the body of POST /v2/images). */
int nb_image_create(struct nb_ctx *ctx, const json_t *props, json_t **out);
/* Applies JSON-patch 'ops' (the body of PATCH /v2/images/{id}, media type
 * 2.1) to image 'id'; *out (may be NULL) is the image after it. */
int nb_image_update(struct nb_ctx *ctx, const char *id, const json_t *ops, json_t **out);
/* Uploads the data of queued image 'id' from 'fd' (read to its end),
 * hashed and inspected like an API upload; the image becomes active. */
int nb_image_upload_fd(struct nb_ctx *ctx, const char *id, int fd);
/* A read-only descriptor on an active image's data and its size (the data
 * are the descriptor's first 'size' bytes); the caller closes it.  409
 * when the image is not active. */
int nb_image_data_open(struct nb_ctx *ctx, const char *id, int *fd,
                       uint64_t *size);
int nb_image_delete(struct nb_ctx *ctx, const char *id);

#endif
