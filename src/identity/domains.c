/* Domains: the top of the identity tree.  Deleting one takes everything
 * in it; Keystone insists it be disabled first. */
#include "identity/internal.h"

#include <stdlib.h>
#include <string.h>

/* Deletes the rows of 'table' owned by domain 'id', with their
 * assignments. */
static int nb_domain_purge(struct nb_tx *tx, const char *table, const char *id)
{
    struct nb_stmt *st = NULL;
    char *sql = nb_xasprintf("SELECT id FROM %s WHERE domain_id = ?", table);
    struct nb_sql ids = {0};
    int r = nb_tx_query(tx, &st, sql, "s", id);
    free(sql);
    if (r < 0)
        return r;
    while (nb_stmt_next(st) > 0)
        nb_sql_text(&ids, nb_stmt_text(st, 0));
    nb_stmt_done(st);
    for (int i = 0; i < ids.n && r == 0; i++) {
        r = nb_id_assignments_purge(tx, ids.args[i].s);
        if (r == 0 && strcmp(table, "users") == 0)
            r = nb_tx_exec(tx, NULL, "DELETE FROM credentials WHERE user_id = ?", "s",
                           ids.args[i].s);
    }
    nb_sql_free(&ids);
    if (r < 0)
        return r;
    if (strcmp(table, "projects") == 0)
        /* children first: parent_id references projects */
        r = nb_tx_exec(tx, NULL, "UPDATE projects SET parent_id = NULL WHERE "
                                 "domain_id = ?", "s", id);
    if (r == 0) {
        sql = nb_xasprintf("DELETE FROM %s WHERE domain_id = ?", table);
        r = nb_tx_exec(tx, NULL, sql, "s", id);
        free(sql);
    }
    return r;
}

static int nb_domain_before_delete(struct nb_ctx *ctx, struct nb_tx *tx,
                                   const json_t *cur)
{
    const char *id = nb_json_str(cur, "id");
    static const char *const owned[] = {"projects", "users", "usergroups", "roles"};
    int r = 0;

    if (json_is_true(json_object_get(cur, "enabled")))
        return nb_err_set(ctx, 403, "Cannot delete a domain that is enabled, please "
                                    "disable it first.");
    for (size_t i = 0; i < NB_ARRAY_SIZE(owned) && r == 0; i++)
        r = nb_domain_purge(tx, owned[i], id);
    if (r == 0)
        r = nb_id_assignments_purge(tx, id);
    return r;
}

/* Disabling or deleting a domain revokes every token in it. */
static void nb_domain_after_write(struct nb_ctx *ctx, const json_t *old,
                                  const json_t *now)
{
    (void)ctx;
    if (old && (!now || json_is_false(json_object_get(now, "enabled"))))
        nb_revoke_add(NULL, NB_REVOKE_DOMAIN, nb_json_str(old, "id"));
}

const struct nb_id_kind nb_kind_domain = {
    .res = &nb_res_domain,
    .collection = "/v3/domains",
    .before_delete = nb_domain_before_delete,
    .after_write = nb_domain_after_write,
};
