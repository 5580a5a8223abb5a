/* nubis object storage: the Swift v1 API.  What other modules may call. */
#ifndef NB_OBJECT_H
#define NB_OBJECT_H

#include "core/core.h"

extern const struct nb_module nb_object_module;

#endif
