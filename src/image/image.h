/* nubis image: Glance v2.  What other modules may call. */
#ifndef NB_IMAGE_H
#define NB_IMAGE_H

#include "core/core.h"

/* The image module: /image (Glance API v2), catalog type "image". */
extern const struct nb_module nb_image_module;

#endif
