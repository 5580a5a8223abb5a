/* Module start-up and bootstrap (keystone-manage bootstrap). */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

struct nb_db *nb_id_db;

int nb_identity_init(struct nb_db *db)
{
    int r = nb_identity_migrate(db);
    if (r < 0)
        return r;
    nb_id_db = db;
    nb_id_cache_init();
    nb_auth_set_resolver(nb_id_resolve_caller);
    return 0;
}

void nb_identity_shutdown(void)
{
    nb_auth_set_resolver(NULL);
    nb_id_cache_shutdown();
    nb_id_db = NULL;
}

/* Finds the id of the row of 'table' whose 'col' is 'val' (and, for a
 * non-NULL 'dom', whose domain_id is 'dom'); -ENOENT when absent. */
static int nb_bs_find(struct nb_tx *tx, const char *table, const char *col,
                      const char *val, const char *dom, char id[NB_IDSZ])
{
    char *sql = dom ? nb_xasprintf("SELECT id FROM %s WHERE %s = ? AND domain_id = ?",
                                   table, col)
                    : nb_xasprintf("SELECT id FROM %s WHERE %s = ?", table, col);
    char *found = NULL;
    int r = dom ? nb_tx_query_str(tx, &found, sql, "ss", val, dom)
                : nb_tx_query_str(tx, &found, sql, "s", val);
    free(sql);
    if (r == 0)
        snprintf(id, NB_IDSZ, "%s", found);
    free(found);
    return r;
}

static int nb_bs_role(struct nb_tx *tx, const char *name, char id[NB_IDSZ])
{
    char *found = NULL;
    int r = nb_tx_query_str(tx, &found, "SELECT id FROM roles WHERE name = ? AND "
                                        "domain_id IS NULL", "s", name);
    if (r == 0)
        snprintf(id, NB_IDSZ, "%s", found);
    free(found);
    if (r != -ENOENT)
        return r;
    nb_uuid_hex(id);
    return nb_tx_exec(tx, NULL, "INSERT INTO roles (id, name, options, extra) VALUES "
                                "(?, ?, '{}', '{}')", "ss", id, name);
}

int nb_identity_bootstrap(const struct nb_bootstrap *b)
{
    char admin[NB_IDSZ], member[NB_IDSZ], reader[NB_IDSZ], proj[NB_IDSZ], user[NB_IDSZ];
    char *hash = NULL, *old = NULL, *url = NULL;
    struct nb_tx *tx = NULL;
    int r;

    r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_tx_exec(tx, NULL, "INSERT INTO domains (id, name, description, enabled, "
                             "options, extra) VALUES (?, 'Default', 'The default domain', "
                             "1, '{}', '{}') ON CONFLICT DO NOTHING", "s", NB_DEFAULT_DOMAIN);
    if (r == 0)
        r = nb_bs_role(tx, "admin", admin);
    if (r == 0)
        r = nb_bs_role(tx, "member", member);
    if (r == 0)
        r = nb_bs_role(tx, "reader", reader);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO implied_roles (prior_role_id, implied_role_id) "
                                 "VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING",
                       "ssss", admin, member, member, reader);

    if (r == 0 && (r = nb_bs_find(tx, "projects", "name", b->admin_project,
                                  NB_DEFAULT_DOMAIN, proj)) == -ENOENT) {
        nb_uuid_hex(proj);
        r = nb_tx_exec(tx, NULL, "INSERT INTO projects (id, name, domain_id, description, "
                                 "enabled, is_domain, options, extra) VALUES (?, ?, ?, "
                                 "'Bootstrap project for initializing the cloud.', 1, 0, "
                                 "'{}', '{}')", "sss", proj, b->admin_project, NB_DEFAULT_DOMAIN);
    }
    if (r == 0 && (r = nb_bs_find(tx, "users", "name", b->admin_user, NB_DEFAULT_DOMAIN,
                                  user)) == -ENOENT) {
        nb_uuid_hex(user);
        r = nb_password_hash(b->admin_password, &hash);
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "INSERT INTO users (id, name, domain_id, enabled, "
                                     "password_hash, options, extra, created_at) VALUES "
                                     "(?, ?, ?, 1, ?, '{}', '{}', ?)",
                           "ssssi", user, b->admin_user, NB_DEFAULT_DOMAIN, hash, nb_now_us());
    } else if (r == 0) {
        /* as keystone-manage: the given password becomes the admin's */
        r = nb_tx_query_str(tx, &old, "SELECT password_hash FROM users WHERE id = ?", "s", user);
        if (r == 0 && nb_password_verify(old, b->admin_password) < 0 &&
            (r = nb_password_hash(b->admin_password, &hash)) == 0)
            r = nb_tx_exec(tx, NULL, "UPDATE users SET password_hash = ?, enabled = 1 "
                                     "WHERE id = ?", "ss", hash, user);
    }
    if (r == 0)
        r = nb_id_grant(NULL, tx, "UserProject", user, proj, admin, false);
    if (r == 0)
        r = nb_id_grant(NULL, tx, "UserSystem", user, "system", admin, false);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO regions (id, description, extra) VALUES "
                                 "(?, '', '{}') ON CONFLICT DO NOTHING", "s", b->region);
    r = nb_id_finish(tx, r);
    if (r == 0) {
        url = nb_xasprintf("%s/identity", b->public_url);
        r = nb_identity_register_service("identity", "keystone", url, b->region);
    }
    free(url);
    free(hash);
    free(old);
    return r;
}

int nb_identity_register_service(const char *type, const char *name, const char *url,
                                 const char *region)
{
    static const char *const itfs[] = {"public", "internal", "admin"};
    char svc[NB_IDSZ];
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    r = nb_bs_find(tx, "services", "type", type, NULL, svc);
    if (r == -ENOENT) {
        nb_uuid_hex(svc);
        r = nb_tx_exec(tx, NULL, "INSERT INTO services (id, type, name, enabled, extra) "
                                 "VALUES (?, ?, ?, 1, '{}')", "sss", svc, type, name);
    }
    for (size_t i = 0; r == 0 && i < NB_ARRAY_SIZE(itfs); i++) {
        char *ep = NULL;
        r = nb_tx_query_str(tx, &ep, "SELECT id FROM endpoints WHERE service_id = ? AND "
                                     "interface = ? AND region_id = ?",
                            "sss", svc, itfs[i], region);
        if (r == 0) {
            r = nb_tx_exec(tx, NULL, "UPDATE endpoints SET url = ? WHERE id = ?", "ss",
                           url, ep);
        } else if (r == -ENOENT) {
            char id[NB_ID_HEX_LEN + 1];
            nb_uuid_hex(id);
            r = nb_tx_exec(tx, NULL, "INSERT INTO endpoints (id, interface, region_id, "
                                     "service_id, url, enabled, extra) VALUES "
                                     "(?, ?, ?, ?, ?, 1, '{}')",
                           "sssss", id, itfs[i], region, svc, url);
        }
        free(ep);
    }
    return nb_id_finish(tx, r);
}

int nb_identity_ensure_role(const char *name)
{
    char id[NB_IDSZ];
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_id_db, true, &tx);
    if (r < 0)
        return r;
    return nb_id_finish(tx, nb_bs_role(tx, name, id));
}
