/* Grant routes (internal to src/identity): which assignment a route of
 * /v3/{projects,domains,system}/.../roles[/...] addresses. */
#ifndef NB_GRANTS_H
#define NB_GRANTS_H

#include <stdbool.h>

struct nb_grant_kind {
    const char *type;        /* assignments.type: "UserProject", ... */
    bool group;              /* the actor is a group, not a user */
    char target;             /* 'p' project, 'd' domain, 's' system */
    bool inherited;          /* OS-INHERIT: inherited to projects */
};

extern const struct nb_grant_kind nb_grant_user_project, nb_grant_group_project,
    nb_grant_user_domain, nb_grant_group_domain, nb_grant_user_system,
    nb_grant_group_system, nb_grant_user_domain_inh, nb_grant_group_domain_inh,
    nb_grant_user_project_inh, nb_grant_group_project_inh;

#endif
