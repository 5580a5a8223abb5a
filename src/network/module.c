/* The network module: schema, catalog entry, and the data plane thread. */
#include "network/internal.h"
#include "identity/identity.h"

#include <stdlib.h>

extern const struct nb_service nb_network_service;

static struct nb_db *nb_net_dbh;

struct nb_db *nb_net_db(void)
{
    return nb_net_dbh;
}

/* Every resource is (id, project_id, parent, flag, doc); see store.c. */
#define NB_NET_TABLE(t)                                                       \
    "CREATE TABLE " t " (id TEXT PRIMARY KEY, project_id TEXT NOT NULL,"      \
    " parent TEXT, flag BIGINT NOT NULL DEFAULT 0, doc TEXT NOT NULL);"      \
    "CREATE INDEX " t "_project ON " t " (project_id);"                       \
    "CREATE INDEX " t "_parent ON " t " (parent);"

static const struct nb_migration nb_net_migrations[] = {
    {1, NB_NET_TABLE("net_networks") NB_NET_TABLE("net_subnets")
        NB_NET_TABLE("net_subnetpools") NB_NET_TABLE("net_ports")
        NB_NET_TABLE("net_secgroups") NB_NET_TABLE("net_sgrules")
        "CREATE TABLE net_ipallocs (subnet_id TEXT NOT NULL, ip TEXT NOT NULL,"
        " port_id TEXT NOT NULL, network_id TEXT NOT NULL,"
        " PRIMARY KEY (subnet_id, ip));"
        "CREATE INDEX net_ipallocs_port ON net_ipallocs (port_id);"
        "CREATE TABLE net_macs (network_id TEXT NOT NULL, mac TEXT NOT NULL,"
        " port_id TEXT NOT NULL, PRIMARY KEY (network_id, mac));"
        "CREATE INDEX net_macs_port ON net_macs (port_id);"
        "CREATE TABLE net_port_sgs (port_id TEXT NOT NULL, sg_id TEXT NOT NULL,"
        " PRIMARY KEY (port_id, sg_id));"
        "CREATE INDEX net_port_sgs_sg ON net_port_sgs (sg_id);"
        "CREATE TABLE net_sgrule_keys (rkey TEXT PRIMARY KEY, rule_id TEXT NOT NULL,"
        " sg_id TEXT NOT NULL);"
        "CREATE TABLE net_default_sgs (project_id TEXT PRIMARY KEY,"
        " sg_id TEXT NOT NULL);"
        "CREATE TABLE net_quotas (project_id TEXT NOT NULL, resource TEXT NOT NULL,"
        " qlimit BIGINT NOT NULL, PRIMARY KEY (project_id, resource));"},
    /* a row per (project, resource) that a quota check writes first: the
     * row lock serialises concurrent creates of one project on PostgreSQL
     * (SQLite's write transactions are serial anyway) */
    {2, "CREATE TABLE net_quota_locks (project_id TEXT NOT NULL,"
        " resource TEXT NOT NULL, n BIGINT NOT NULL,"
        " PRIMARY KEY (project_id, resource));"},
};

static int nb_network_init(const struct nb_module_env *env)
{
    nb_net_dbh = env->db;
    return nb_db_migrate(env->db, "network", nb_net_migrations,
                         NB_ARRAY_SIZE(nb_net_migrations));
}

static int nb_network_bootstrap(const struct nb_module_env *env)
{
    char *url = nb_xasprintf("%s/network", env->public_url);
    int r = nb_identity_register_service("network", "neutron", url, env->region);
    free(url);
    return r;
}

static int nb_network_start(const struct nb_module_env *env)
{
    return nb_dataplane_start(env);
}

static void nb_network_shutdown(void)
{
    nb_dataplane_stop();
    nb_net_dbh = NULL;
}

const struct nb_module nb_network_module = {
    .name = "network",
    .service = &nb_network_service,
    .init = nb_network_init,
    .bootstrap = nb_network_bootstrap,
    .start = nb_network_start,
    .shutdown = nb_network_shutdown,
};
