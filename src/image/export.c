/* What other modules (compute) may do with images: the calls of image.h.
 * Each is made as the caller's context with Glance's visibility rules
 * and messages. */
#include "auth/auth.h"
#include "image/internal.h"

#include <string.h>
#include <unistd.h>

/* ---- reading (the compute pipeline: image checks and guest disks) */

int nb_image_get(struct nb_ctx *ctx, const char *id, json_t **out)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_load(ctx, tx, id, out);
    nb_tx_rollback(tx);
    return r;
}

int nb_image_data_open(struct nb_ctx *ctx, const char *id, int *fd, uint64_t *size)
{
    json_t *img = NULL;
    int r = nb_image_get(ctx, id, &img);
    if (r < 0)
        return r;
    if (strcmp(nb_json_str(img, "status"), "active"))
        r = nb_err_set(ctx, 409, "Image %s is not active.", id);
    else if ((r = nb_blob_open(nb_img_env->blobs, NB_IMG_NS, id, fd, size)) < 0)
        nb_err_set(ctx, 404, "Image %s has no data.", id);
    json_decref(img);
    return r;
}

/* ---- snapshots (compute's createImage): a queued image, its data from a
 * descriptor, and its removal when the snapshot fails */

int nb_image_create(struct nb_ctx *ctx, const json_t *props, json_t **out)
{
    struct nb_tx *tx = NULL;
    char id[37];
    int r;

    *out = NULL;
    if (!json_is_object(props))
        return nb_err_set(ctx, 400, "Image properties must be an object.");
    r = nb_img_create_doc(ctx, props, id);
    if (r == 0)
        r = nb_tx_begin(nb_img_env->db, false, &tx);
    if (r == 0)
        r = nb_img_row(tx, id, out);
    nb_tx_rollback(tx);
    return r;
}

int nb_image_upload_fd(struct nb_ctx *ctx, const char *id, int fd)
{
    struct nb_tx *tx = NULL;
    json_t *img = NULL, *target = NULL;
    int r = nb_tx_begin(nb_img_env->db, false, &tx);

    if (r == 0)
        r = nb_img_load(ctx, tx, id, &img);
    nb_tx_rollback(tx);
    if (r == 0) {
        target = nb_img_target(img);
        r = nb_policy_enforce(ctx, "image:upload_image", target);
    }
    if (r == 0)
        r = nb_img_upload_fd(ctx, img, fd);
    json_decref(target);
    json_decref(img);
    return r;
}

int nb_image_delete(struct nb_ctx *ctx, const char *id)
{
    return nb_img_destroy(ctx, id);
}
