/* The HTTP handlers api.c routes to, by area (each area adds its own block
 * of declarations). */
#ifndef NB_COMPUTE_HANDLERS_H
#define NB_COMPUTE_HANDLERS_H

#include "core/core.h"

/* ---- servers (servers*.c) */

/* ---- server actions, os-interface (actions.c, interfaces.c) */

/* ---- catalog area */
/* flavors.c */
int nb_cmp_flavors_index(struct nb_req *req);
int nb_cmp_flavors_detail(struct nb_req *req);
int nb_cmp_flavor_show(struct nb_req *req);
int nb_cmp_flavor_create(struct nb_req *req);
int nb_cmp_flavor_update(struct nb_req *req);
int nb_cmp_flavor_delete(struct nb_req *req);
/* keypairs.c */
int nb_cmp_keypairs_list(struct nb_req *req);
int nb_cmp_keypair_show(struct nb_req *req);
int nb_cmp_keypair_create(struct nb_req *req);
int nb_cmp_keypair_delete(struct nb_req *req);
/* groups.c */
int nb_cmp_groups_list(struct nb_req *req);
int nb_cmp_group_show(struct nb_req *req);
int nb_cmp_group_create(struct nb_req *req);
int nb_cmp_group_delete(struct nb_req *req);

#endif
