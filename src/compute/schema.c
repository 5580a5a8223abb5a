/* The compute tables every area shares (migration set "compute").  An area
 * with tables of its own keeps them in its own migration set (flavors,
 * keypairs, quotas and server groups: "compute_catalog"), so areas never
 * renumber each other's migrations. */
#include "compute/internal.h"
#include "compute/extras.h"

static const struct nb_migration nb_cmp_migrations[] = {
    /* Servers.  Columns are what lists filter, sort and the pipeline
     * updates; JSON columns (TEXT) hold what is only rendered:
     *   flavor        the flavor as embedded at create (with extra_specs),
     *                 new_flavor/old_flavor during a resize
     *   request       what the create asked and the agent needs later:
     *                 networks, security_groups, block_device_mapping_v2,
     *                 scheduler_hints, server group, retries, hosts tried
     *   network_info  the ports: [{port_id, network_id, network_name, mac,
     *                 fixed_ips:[{ip_address, subnet_id, version}],
     *                 created_by_nova}], what "addresses" renders
     *   fault         {code, message, details, created}
     * deleted_at is NULL for a live server; a deleted one stays (as Nova's
     * soft-deleted rows) for changes-since and instance actions. */
    {1, "CREATE TABLE cmp_instances (id TEXT PRIMARY KEY,"
        " project_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " name TEXT NOT NULL, hostname TEXT, description TEXT,"
        " image_ref TEXT NOT NULL DEFAULT '', flavor_id TEXT NOT NULL,"
        " flavor TEXT NOT NULL, new_flavor TEXT, old_flavor TEXT,"
        " vcpus BIGINT NOT NULL, memory_mb BIGINT NOT NULL,"
        " root_gb BIGINT NOT NULL,"
        " vm_state TEXT NOT NULL, task_state TEXT,"
        " power_state BIGINT NOT NULL DEFAULT 0,"
        " host TEXT, node TEXT, availability_zone TEXT,"
        " key_name TEXT, key_data TEXT, user_data TEXT,"
        " config_drive TEXT NOT NULL DEFAULT '',"
        " metadata TEXT NOT NULL DEFAULT '{}', request TEXT NOT NULL DEFAULT '{}',"
        " network_info TEXT NOT NULL DEFAULT '[]',"
        " reservation_id TEXT NOT NULL, launch_index BIGINT NOT NULL DEFAULT 0,"
        " locked BIGINT NOT NULL DEFAULT 0, locked_by TEXT, lock_reason TEXT,"
        " fault TEXT, progress BIGINT NOT NULL DEFAULT 0,"
        " access_ipv4 TEXT NOT NULL DEFAULT '', access_ipv6 TEXT NOT NULL DEFAULT '',"
        " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
        " launched_at BIGINT, terminated_at BIGINT, deleted_at BIGINT);"
        "CREATE INDEX cmp_instances_project ON cmp_instances (project_id, deleted_at);"
        "CREATE INDEX cmp_instances_host ON cmp_instances (host);"
        "CREATE INDEX cmp_instances_updated ON cmp_instances (updated_at);"
        "CREATE INDEX cmp_instances_reservation ON cmp_instances (reservation_id);"
        "CREATE TABLE cmp_instance_tags (instance_id TEXT NOT NULL,"
        " tag TEXT NOT NULL, PRIMARY KEY (instance_id, tag));"
        "CREATE INDEX cmp_instance_tags_tag ON cmp_instance_tags (tag);"
        /* os-instance-actions: one row per (server, request), its events */
        "CREATE TABLE cmp_actions (instance_id TEXT NOT NULL,"
        " request_id TEXT NOT NULL, action TEXT NOT NULL,"
        " project_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " start_time BIGINT NOT NULL, finish_time BIGINT, message TEXT,"
        " updated_at BIGINT NOT NULL, PRIMARY KEY (instance_id, request_id));"
        "CREATE TABLE cmp_action_events (instance_id TEXT NOT NULL,"
        " request_id TEXT NOT NULL, event TEXT NOT NULL,"
        " start_time BIGINT NOT NULL, finish_time BIGINT, result TEXT,"
        " traceback TEXT, host TEXT,"
        " PRIMARY KEY (instance_id, request_id, event));"
        /* os-services: one row per (host, bin: "nova-compute"); last_seen is the
         * heartbeat (µs) that says whether the service is up */
        "CREATE TABLE cmp_services (id TEXT PRIMARY KEY, host TEXT NOT NULL,"
        " bin TEXT NOT NULL, topic TEXT, zone TEXT NOT NULL,"
        " disabled BIGINT NOT NULL DEFAULT 0, disabled_reason TEXT,"
        " forced_down BIGINT NOT NULL DEFAULT 0, last_seen BIGINT,"
        " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
        " UNIQUE (host, bin));"
        /* compute nodes: what each agent's driver reports (the scheduler's
         * inventory; usage is summed from cmp_instances) */
        "CREATE TABLE cmp_nodes (id TEXT PRIMARY KEY, host TEXT NOT NULL UNIQUE,"
        " hypervisor_hostname TEXT NOT NULL, hypervisor_type TEXT NOT NULL,"
        " hypervisor_version BIGINT NOT NULL, host_ip TEXT,"
        " vcpus BIGINT NOT NULL, memory_mb BIGINT NOT NULL,"
        " local_gb BIGINT NOT NULL, cpu_info TEXT NOT NULL DEFAULT '{}',"
        " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"},
};

/* The servers area's indexes (migration set "compute_servers"): lists
 * read a project's live servers newest first (servers_list.c). */
static const struct nb_migration nb_cmp_servers_migrations[] = {
    {1, "CREATE INDEX cmp_instances_listing ON cmp_instances"
        " (project_id, deleted_at, created_at, id);"},
};

int nb_cmp_schema_migrate(struct nb_db *db)
{
    int r = nb_db_migrate(db, "compute", nb_cmp_migrations,
                          NB_ARRAY_SIZE(nb_cmp_migrations));
    if (r == 0)
        r = nb_cmp_catalog_migrate(db);
    if (r == 0)
        r = nb_db_migrate(db, "compute_servers", nb_cmp_servers_migrations,
                          NB_ARRAY_SIZE(nb_cmp_servers_migrations));
    if (r == 0)
        r = nb_cmp_extras_migrate(db);
    return r;
}
