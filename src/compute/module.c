/* The compute module: schema, catalog entry, and in a serving daemon the
 * scheduler and this host's compute agent. */
#include "compute/internal.h"
#include "identity/identity.h"

#include <stdlib.h>

extern const struct nb_service nb_compute_service;

static const struct nb_module_env *nb_cmp_envp;

const struct nb_module_env *nb_cmp_env(void)
{
    return nb_cmp_envp;
}

struct nb_db *nb_cmp_db(void)
{
    return nb_cmp_envp ? nb_cmp_envp->db : NULL;
}

static int nb_compute_init(const struct nb_module_env *env)
{
    nb_cmp_envp = env;
    return nb_cmp_schema_migrate(env->db);
}

static int nb_compute_bootstrap(const struct nb_module_env *env)
{
    char *url = nb_xasprintf("%s/compute/v2.1", env->public_url);
    int r = nb_identity_register_service("compute", "nova", url, env->region);
    free(url);
    return r;
}

/* The serving daemon's scheduler and this host's agent (the agent first:
 * its node is what the scheduler places on). */
static int nb_compute_start(const struct nb_module_env *env)
{
    int r = nb_cmp_agent_start(env);
    if (r == 0)
        r = nb_cmp_scheduler_start(env);
    return r;
}

static void nb_compute_shutdown(void)
{
    nb_cmp_scheduler_stop();
    nb_cmp_agent_stop();
    nb_cmp_envp = NULL;
}

const struct nb_module nb_compute_module = {
    .name = "compute",
    .service = &nb_compute_service,
    .init = nb_compute_init,
    .bootstrap = nb_compute_bootstrap,
    .start = nb_compute_start,
    .shutdown = nb_compute_shutdown,
};
