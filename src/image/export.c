/* What other modules (compute) may do with images: the calls of image.h.
 * Each is made as the caller's context with Glance's visibility rules
 * and messages. */
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
