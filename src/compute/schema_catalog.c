/* The catalog area's tables (migration set "compute_catalog"): flavors,
 * their access lists, keypairs, quotas and quota classes, the quota lock
 * rows, server groups and their members. */
#include "compute/internal.h"

static const struct nb_migration nb_cmp_catalog_migrations[] = {
    /* Flavors.  flavorid is what the API calls the id; rxtx_factor is a
     * number kept as text (the portable dialect has no REAL); extra_specs
     * is a JSON object {key: string}.  A deleted flavor's row goes: servers
     * keep the flavor they embedded at create. */
    {1, "CREATE TABLE cmp_flavors (flavorid TEXT PRIMARY KEY,"
        " name TEXT NOT NULL UNIQUE, vcpus BIGINT NOT NULL,"
        " memory_mb BIGINT NOT NULL, root_gb BIGINT NOT NULL,"
        " ephemeral_gb BIGINT NOT NULL DEFAULT 0, swap BIGINT NOT NULL DEFAULT 0,"
        " rxtx_factor TEXT NOT NULL DEFAULT '1.0',"
        " is_public BIGINT NOT NULL DEFAULT 1, disabled BIGINT NOT NULL DEFAULT 0,"
        " description TEXT, extra_specs TEXT NOT NULL DEFAULT '{}',"
        " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
        "CREATE TABLE cmp_flavor_access (flavorid TEXT NOT NULL,"
        " project_id TEXT NOT NULL, PRIMARY KEY (flavorid, project_id));"
        /* keypairs belong to a user; id is Nova's integer id */
        "CREATE TABLE cmp_keypairs (user_id TEXT NOT NULL, name TEXT NOT NULL,"
        " id BIGINT NOT NULL UNIQUE, project_id TEXT, type TEXT NOT NULL,"
        " public_key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
        " created_at BIGINT NOT NULL, PRIMARY KEY (user_id, name));"
        /* quota limits: per project (user_id '') or per user of a project;
         * quota classes (only "default" is used, as Nova) */
        "CREATE TABLE cmp_quotas (project_id TEXT NOT NULL,"
        " user_id TEXT NOT NULL DEFAULT '', resource TEXT NOT NULL,"
        " hard_limit BIGINT NOT NULL,"
        " PRIMARY KEY (project_id, user_id, resource));"
        "CREATE TABLE cmp_quota_classes (class_name TEXT NOT NULL,"
        " resource TEXT NOT NULL, hard_limit BIGINT NOT NULL,"
        " PRIMARY KEY (class_name, resource));"
        /* a row per project that quota checks write first: its row lock
         * serialises concurrent creates of one project on PostgreSQL
         * (SQLite's write transactions are serial anyway) */
        "CREATE TABLE cmp_quota_locks (project_id TEXT PRIMARY KEY,"
        " n BIGINT NOT NULL);"
        /* server groups; rules is a JSON object (2.64) */
        "CREATE TABLE cmp_server_groups (id TEXT PRIMARY KEY,"
        " name TEXT NOT NULL, project_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " policy TEXT NOT NULL, rules TEXT NOT NULL DEFAULT '{}',"
        " created_at BIGINT NOT NULL);"
        "CREATE INDEX cmp_server_groups_project ON cmp_server_groups (project_id);"
        /* a server is in at most one group */
        "CREATE TABLE cmp_server_group_members (instance_id TEXT PRIMARY KEY,"
        " group_id TEXT NOT NULL, created_at BIGINT NOT NULL);"
        "CREATE INDEX cmp_server_group_members_group"
        " ON cmp_server_group_members (group_id);"},
    /* host aggregates (os-aggregates): Nova's integer id and 2.41 uuid;
     * metadata is a JSON object whose "availability_zone" names the zone
     * of the aggregate's hosts */
    {2, "CREATE TABLE cmp_aggregates (id BIGINT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,"
        " name TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL DEFAULT '{}',"
        " created_at BIGINT NOT NULL, updated_at BIGINT);"
        "CREATE TABLE cmp_aggregate_hosts (aggregate_id BIGINT NOT NULL,"
        " host TEXT NOT NULL, PRIMARY KEY (aggregate_id, host));"
        "CREATE INDEX cmp_aggregate_hosts_host ON cmp_aggregate_hosts (host);"},
};

int nb_cmp_catalog_migrate(struct nb_db *db)
{
    return nb_db_migrate(db, "compute_catalog", nb_cmp_catalog_migrations,
                         NB_ARRAY_SIZE(nb_cmp_catalog_migrations));
}
