/* nubis compute: Nova v2.1.  What other modules may call. */
#ifndef NB_COMPUTE_H
#define NB_COMPUTE_H

#include "core/core.h"

/* The compute module: /compute (Nova API v2.1), catalog type "compute";
 * in a serving daemon also the scheduler and this host's compute agent. */
extern const struct nb_module nb_compute_module;

#endif
