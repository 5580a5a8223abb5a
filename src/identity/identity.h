/* nubis identity: Keystone v3.  What other modules may call. */
#ifndef NB_IDENTITY_H
#define NB_IDENTITY_H

#include "core/core.h"

extern const struct nb_service nb_identity_service;

/* Migrates the identity tables, starts the caches and plugs the caller
 * resolver into src/auth.  Borrows 'db' until nb_identity_shutdown(). */
int nb_identity_init(struct nb_db *db);
void nb_identity_shutdown(void);

struct nb_bootstrap {
    const char *admin_password;    /* required */
    const char *admin_user;        /* "admin" */
    const char *admin_project;     /* "admin" */
    const char *region;            /* [DEFAULT] region */
    const char *public_url;        /* base URL of this API */
};

/* Like keystone-manage bootstrap, and idempotent: the default domain, the
 * admin, member and reader roles (admin implies member implies reader),
 * the admin project and user with the admin role on the project and the
 * system, the region, and the identity service in the catalog. */
int nb_identity_bootstrap(const struct nb_bootstrap *b);

/* Registers (or updates) a catalog service of 'type' named 'name', with
 * public, internal and admin endpoints at 'url' in 'region'.  Each service
 * module calls this from bootstrap, so the catalog lists exactly the
 * services this build serves. */
int nb_identity_register_service(const char *type, const char *name,
                                 const char *url, const char *region);

/* Creates the global role 'name' unless it exists (a service's own roles,
 * such as Swift's ResellerAdmin).  Idempotent. */
int nb_identity_ensure_role(const char *name);

#endif
