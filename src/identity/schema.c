/* The identity tables and their migrations.
 *
 * Keystone's model, in the portable dialect: ids are TEXT (32 hex digits,
 * or "default" for the default domain), booleans BIGINT 0/1, times µs.
 * Entity tables keep unknown attributes in 'extra' (JSON), as Keystone
 * does. Child rows that cannot outlive their parent cascade. */
#include "identity/internal.h"

static const struct nb_migration nb_identity_migrations[] = {
    {1,
     "CREATE TABLE domains ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT,"
     " enabled BIGINT NOT NULL DEFAULT 1, options TEXT, extra TEXT);"
     "CREATE UNIQUE INDEX domains_name ON domains (name);"

     "CREATE TABLE projects ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL,"
     /* deferred: a project acting as a domain and its domain row go
      * together, in either order, within one transaction */
     " domain_id TEXT NOT NULL REFERENCES domains (id) DEFERRABLE INITIALLY DEFERRED,"
     " parent_id TEXT REFERENCES projects (id), description TEXT,"
     " enabled BIGINT NOT NULL DEFAULT 1, is_domain BIGINT NOT NULL DEFAULT 0,"
     " options TEXT, extra TEXT);"
     "CREATE UNIQUE INDEX projects_name ON projects (domain_id, name);"
     "CREATE INDEX projects_parent ON projects (parent_id);"
     "CREATE TABLE project_tags ("
     " project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
     " name TEXT NOT NULL, PRIMARY KEY (project_id, name));"

     "CREATE TABLE users ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " domain_id TEXT NOT NULL REFERENCES domains (id),"
     " enabled BIGINT NOT NULL DEFAULT 1, default_project_id TEXT,"
     " password_hash TEXT, password_expires_at BIGINT,"
     " options TEXT, extra TEXT, created_at BIGINT);"
     "CREATE UNIQUE INDEX users_name ON users (domain_id, name);"

     "CREATE TABLE usergroups ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL,"
     " domain_id TEXT NOT NULL REFERENCES domains (id),"
     " description TEXT, extra TEXT);"
     "CREATE UNIQUE INDEX usergroups_name ON usergroups (domain_id, name);"
     "CREATE TABLE group_members ("
     " group_id TEXT NOT NULL REFERENCES usergroups (id) ON DELETE CASCADE,"
     " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
     " PRIMARY KEY (group_id, user_id));"
     "CREATE INDEX group_members_user ON group_members (user_id);"

     "CREATE TABLE roles ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT,"
     " description TEXT, options TEXT, extra TEXT);"
     "CREATE UNIQUE INDEX roles_name ON roles (name, coalesce(domain_id, ''));"
     "CREATE TABLE implied_roles ("
     " prior_role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,"
     " implied_role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,"
     " PRIMARY KEY (prior_role_id, implied_role_id));"

     /* type: UserProject GroupProject UserDomain GroupDomain UserSystem
      * GroupSystem; target_id is "system" for system grants */
     "CREATE TABLE assignments ("
     " type TEXT NOT NULL, actor_id TEXT NOT NULL, target_id TEXT NOT NULL,"
     " role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,"
     " inherited BIGINT NOT NULL DEFAULT 0,"
     " PRIMARY KEY (type, actor_id, target_id, role_id, inherited));"
     "CREATE INDEX assignments_actor ON assignments (actor_id);"
     "CREATE INDEX assignments_target ON assignments (target_id);"

     "CREATE TABLE regions ("
     " id TEXT PRIMARY KEY, description TEXT, parent_region_id TEXT, extra TEXT);"
     "CREATE TABLE services ("
     " id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT, description TEXT,"
     " enabled BIGINT NOT NULL DEFAULT 1, extra TEXT);"
     "CREATE TABLE endpoints ("
     " id TEXT PRIMARY KEY, interface TEXT NOT NULL, region_id TEXT,"
     " service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,"
     " url TEXT NOT NULL, enabled BIGINT NOT NULL DEFAULT 1, extra TEXT);"
     "CREATE TABLE endpoint_groups ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT,"
     " filters TEXT NOT NULL);"
     "CREATE TABLE project_endpoints ("
     " endpoint_id TEXT NOT NULL, project_id TEXT NOT NULL,"
     " PRIMARY KEY (endpoint_id, project_id));"
     "CREATE TABLE project_endpoint_groups ("
     " endpoint_group_id TEXT NOT NULL REFERENCES endpoint_groups (id) ON DELETE CASCADE,"
     " project_id TEXT NOT NULL, PRIMARY KEY (endpoint_group_id, project_id));"

     "CREATE TABLE policies ("
     " id TEXT PRIMARY KEY, type TEXT NOT NULL, blob TEXT NOT NULL, extra TEXT);"
     "CREATE TABLE credentials ("
     " id TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT,"
     " type TEXT NOT NULL, blob TEXT NOT NULL, extra TEXT);"
     "CREATE INDEX credentials_user ON credentials (user_id);"
     "CREATE TABLE consumers ("
     " id TEXT PRIMARY KEY, description TEXT, secret TEXT, extra TEXT);"
     "CREATE TABLE domain_configs ("
     " domain_id TEXT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,"
     " grp TEXT NOT NULL, opt TEXT NOT NULL, value TEXT NOT NULL,"
     " PRIMARY KEY (domain_id, grp, opt));"

     "CREATE TABLE trusts ("
     " id TEXT PRIMARY KEY, trustor_user_id TEXT NOT NULL,"
     " trustee_user_id TEXT NOT NULL, project_id TEXT,"
     " impersonation BIGINT NOT NULL, expires_at BIGINT, remaining_uses BIGINT,"
     " allow_redelegation BIGINT NOT NULL DEFAULT 0,"
     " redelegation_count BIGINT, redelegated_trust_id TEXT, extra TEXT);"
     "CREATE TABLE trust_roles ("
     " trust_id TEXT NOT NULL REFERENCES trusts (id) ON DELETE CASCADE,"
     " role_id TEXT NOT NULL, PRIMARY KEY (trust_id, role_id));"

     "CREATE TABLE application_credentials ("
     " id TEXT PRIMARY KEY, name TEXT NOT NULL, user_id TEXT NOT NULL,"
     " project_id TEXT, secret_hash TEXT NOT NULL, description TEXT,"
     " expires_at BIGINT, unrestricted BIGINT NOT NULL DEFAULT 0);"
     "CREATE UNIQUE INDEX application_credentials_name"
     " ON application_credentials (user_id, name);"
     "CREATE TABLE application_credential_roles ("
     " application_credential_id TEXT NOT NULL"
     "  REFERENCES application_credentials (id) ON DELETE CASCADE,"
     " role_id TEXT NOT NULL, PRIMARY KEY (application_credential_id, role_id));"
     "CREATE TABLE access_rules ("
     " id TEXT PRIMARY KEY, user_id TEXT NOT NULL, service TEXT, path TEXT,"
     " method TEXT);"
     "CREATE TABLE application_credential_access_rules ("
     " application_credential_id TEXT NOT NULL"
     "  REFERENCES application_credentials (id) ON DELETE CASCADE,"
     " access_rule_id TEXT NOT NULL REFERENCES access_rules (id),"
     " PRIMARY KEY (application_credential_id, access_rule_id));"

     "CREATE TABLE registered_limits ("
     " id TEXT PRIMARY KEY, service_id TEXT NOT NULL, region_id TEXT,"
     " resource_name TEXT NOT NULL, default_limit BIGINT NOT NULL,"
     " description TEXT);"
     "CREATE UNIQUE INDEX registered_limits_key ON registered_limits"
     " (service_id, coalesce(region_id, ''), resource_name);"
     "CREATE TABLE limits ("
     " id TEXT PRIMARY KEY, project_id TEXT, domain_id TEXT,"
     " service_id TEXT NOT NULL, region_id TEXT, resource_name TEXT NOT NULL,"
     " resource_limit BIGINT NOT NULL, description TEXT);"
     "CREATE UNIQUE INDEX limits_key ON limits (coalesce(project_id, ''),"
     " coalesce(domain_id, ''), service_id, coalesce(region_id, ''), resource_name);"},
};

int nb_identity_migrate(struct nb_db *db)
{
    return nb_db_migrate(db, "identity", nb_identity_migrations,
                         NB_ARRAY_SIZE(nb_identity_migrations));
}
