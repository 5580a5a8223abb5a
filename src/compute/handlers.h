/* The HTTP handlers api.c routes to, by area (each area adds its own block
 * of declarations). */
#ifndef NB_COMPUTE_HANDLERS_H
#define NB_COMPUTE_HANDLERS_H

#include "core/core.h"

/* ---- servers (servers*.c) */

/* ---- server actions, os-interface (actions.c, interfaces.c) */

/* ---- catalog area */

#endif
