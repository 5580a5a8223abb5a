/* Caches for the hot path, and the caller resolver.
 *
 * Every authenticated request, and every token validation, needs the
 * user's and project's names and state, the effective roles, and (for
 * validation) the catalog.  These change rarely, so they are cached in
 * memory, tagged with the identity generation: any identity write in this
 * process bumps it, which empties every cache at once.  Entries also
 * expire after two seconds, which bounds how stale a node can be when
 * another node (sharing PostgreSQL) made the change.
 *
 * jansson's reference counts are atomic (JSON_HAVE_ATOMIC_BUILTINS), so a
 * cached catalog is shared read-only between threads by reference. */
#include "identity/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NB_CACHE_TTL_US (2 * 1000000)
#define NB_CACHE_MAX 8192              /* entries per map before a flush */

struct nb_centry {
    uint64_t gen;
    int64_t born;                      /* monotonic µs */
};

struct nb_cent_entity {                /* a user, project or domain */
    struct nb_centry c;
    struct nb_named self;
    char domain_id[NB_IDSZ];
    bool enabled;
};

struct nb_cent_roles {
    struct nb_centry c;
    int n;
    struct nb_named roles[NB_MAX_ROLES];
};

struct nb_cent_catalog {
    struct nb_centry c;
    json_t *catalog;
};

static pthread_mutex_t nb_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t nb_cache_gen = 1;
static struct nb_map *nb_c_users, *nb_c_projects, *nb_c_domains, *nb_c_roles,
    *nb_c_catalog;

static void nb_cent_catalog_free(void *p)
{
    struct nb_cent_catalog *e = p;
    if (e)
        json_decref(e->catalog);
    free(e);
}

void nb_id_cache_init(void)
{
    pthread_mutex_lock(&nb_cache_lock);
    if (!nb_c_users) {
        nb_c_users = nb_map_new(free);
        nb_c_projects = nb_map_new(free);
        nb_c_domains = nb_map_new(free);
        nb_c_roles = nb_map_new(free);
        nb_c_catalog = nb_map_new(nb_cent_catalog_free);
    }
    pthread_mutex_unlock(&nb_cache_lock);
}

void nb_id_cache_shutdown(void)
{
    pthread_mutex_lock(&nb_cache_lock);
    nb_map_free(nb_c_users);
    nb_map_free(nb_c_projects);
    nb_map_free(nb_c_domains);
    nb_map_free(nb_c_roles);
    nb_map_free(nb_c_catalog);
    nb_c_users = nb_c_projects = nb_c_domains = nb_c_roles = nb_c_catalog = NULL;
    pthread_mutex_unlock(&nb_cache_lock);
}

void nb_id_cache_bump(void)
{
    pthread_mutex_lock(&nb_cache_lock);
    nb_cache_gen++;
    /* drop memory now rather than let stale entries linger */
    if (nb_c_users) {
        nb_map_clear(nb_c_users);
        nb_map_clear(nb_c_projects);
        nb_map_clear(nb_c_domains);
        nb_map_clear(nb_c_roles);
        nb_map_clear(nb_c_catalog);
    }
    pthread_mutex_unlock(&nb_cache_lock);
}

/* Under the lock: the live entry for 'key', or NULL. */
static void *nb_cache_get_locked(struct nb_map *m, const char *key)
{
    void *v = NULL;
    struct nb_centry *c;
    if (!m || !nb_map_find(m, key, &v))
        return NULL;
    c = v;
    if (c->gen != nb_cache_gen || nb_mono_us() - c->born > NB_CACHE_TTL_US)
        return NULL;
    return v;
}

/* Stores 'entry' (taken) if the generation did not move since 'gen'. */
static void nb_cache_put(struct nb_map *m, const char *key, struct nb_centry *entry,
                         uint64_t gen, void (*free_fn)(void *))
{
    pthread_mutex_lock(&nb_cache_lock);
    if (m && gen == nb_cache_gen) {
        if (nb_map_size(m) >= NB_CACHE_MAX)
            nb_map_clear(m);
        entry->gen = gen;
        entry->born = nb_mono_us();
        nb_map_set(m, key, entry);
        entry = NULL;
    }
    pthread_mutex_unlock(&nb_cache_lock);
    if (entry)
        free_fn(entry);
}

static uint64_t nb_cache_generation(void)
{
    uint64_t g;
    pthread_mutex_lock(&nb_cache_lock);
    g = nb_cache_gen;
    pthread_mutex_unlock(&nb_cache_lock);
    return g;
}

/* Loads a user, project or domain: name, domain, enabled. */
static int nb_entity_lookup(struct nb_tx **tx, struct nb_map *m, const char *table,
                            const char *id, struct nb_cent_entity *out)
{
    struct nb_cent_entity *e;
    struct nb_stmt *st = NULL;
    uint64_t gen;
    char *sql;
    int r;

    pthread_mutex_lock(&nb_cache_lock);
    e = nb_cache_get_locked(m, id);
    if (e)
        *out = *e;
    gen = nb_cache_gen;
    pthread_mutex_unlock(&nb_cache_lock);
    if (e)
        return 0;

    if (!*tx && (r = nb_tx_begin(nb_id_db, false, tx)) < 0)
        return r;
    sql = nb_xasprintf("SELECT name, %s, enabled FROM %s WHERE id = ?",
                       strcmp(table, "domains") == 0 ? "id" : "domain_id", table);
    r = nb_tx_query(*tx, &st, sql, "s", id);
    free(sql);
    if (r < 0)
        return r;
    r = nb_stmt_next(st);
    if (r > 0) {
        memset(out, 0, sizeof(*out));
        snprintf(out->self.id, sizeof(out->self.id), "%s", id);
        snprintf(out->self.name, sizeof(out->self.name), "%s", nb_stmt_text(st, 0));
        snprintf(out->domain_id, sizeof(out->domain_id), "%s", nb_stmt_text(st, 1));
        out->enabled = nb_stmt_int(st, 2) != 0;
        e = nb_xmalloc(sizeof(*e));
        *e = *out;
        nb_cache_put(m, id, &e->c, gen, free);
        r = 0;
    } else if (r == 0) {
        r = -ENOENT;
    }
    nb_stmt_done(st);
    return r;
}

/* Effective roles (with names) of a user on a scope, cached. */
static int nb_roles_lookup(struct nb_tx **tx, const char *user_id, enum nb_scope scope,
                           const char *target, struct nb_cent_roles *out)
{
    char key[3 * NB_IDSZ], ids[NB_MAX_ROLES][NB_IDSZ];
    struct nb_cent_roles *e;
    uint64_t gen;
    int n, r;

    snprintf(key, sizeof(key), "%s|%d|%s", user_id, (int)scope, target);
    pthread_mutex_lock(&nb_cache_lock);
    e = nb_cache_get_locked(nb_c_roles, key);
    if (e)
        *out = *e;
    gen = nb_cache_gen;
    pthread_mutex_unlock(&nb_cache_lock);
    if (e)
        return 0;

    if (!*tx && (r = nb_tx_begin(nb_id_db, false, tx)) < 0)
        return r;
    n = nb_id_effective_roles(*tx, user_id, scope, target, ids);
    if (n < 0)
        return n;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < n; i++) {
        char *name = NULL;
        if (nb_tx_query_str(*tx, &name, "SELECT name FROM roles WHERE id = ?", "s",
                            ids[i]) < 0)
            continue;
        snprintf(out->roles[out->n].id, NB_IDSZ, "%s", ids[i]);
        snprintf(out->roles[out->n].name, NB_NAMESZ, "%s", name);
        out->n++;
        free(name);
    }
    e = nb_xmalloc(sizeof(*e));
    *e = *out;
    nb_cache_put(nb_c_roles, key, &e->c, gen, free);
    return 0;
}

/* Roles limited by a trust or an application credential: the delegated
 * role ids ('sql' selects them by 'id') that the user still holds. */
static int nb_roles_delegated(struct nb_tx *tx, const char *sql, const char *id,
                              struct nb_cent_roles *have)
{
    struct nb_cent_roles keep = {0};
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, sql, "s", id);
    if (r < 0)
        return r;
    while (nb_stmt_next(st) > 0) {
        const char *rid = nb_stmt_text(st, 0);
        for (int i = 0; i < have->n; i++)
            if (strcmp(have->roles[i].id, rid) == 0 && keep.n < NB_MAX_ROLES)
                keep.roles[keep.n++] = have->roles[i];
    }
    nb_stmt_done(st);
    have->n = keep.n;
    memcpy(have->roles, keep.roles, sizeof(keep.roles));
    return 0;
}

/* A trust token acts for the trustee (or the trustor, impersonating) with
 * the trust's roles, while the trust stands. */
static int nb_resolve_trust(struct nb_tx *tx, const struct nb_token *t,
                            struct nb_cent_roles *roles)
{
    struct nb_stmt *st = NULL;
    int64_t exp = 0;
    bool live;
    char trustor[NB_IDSZ];
    int r;

    r = nb_tx_query(tx, &st, "SELECT expires_at, trustor_user_id FROM trusts WHERE id = ?",
                    "s", t->trust_id);
    if (r < 0)
        return r;
    live = nb_stmt_next(st) > 0;
    if (live) {
        exp = nb_stmt_null(st, 0) ? 0 : nb_stmt_int(st, 0);
        snprintf(trustor, sizeof(trustor), "%s", nb_stmt_text(st, 1));
    }
    nb_stmt_done(st);
    if (!live || (exp && exp <= nb_now_us()))
        return -EPERM;
    /* the trustor must still hold the delegated roles on the project */
    {
        char ids[NB_MAX_ROLES][NB_IDSZ];
        int n = nb_id_effective_roles(tx, trustor, NB_SCOPE_PROJECT, t->scope_id, ids);
        struct nb_cent_roles mine = {0};
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            char *name = NULL;
            if (nb_tx_query_str(tx, &name, "SELECT name FROM roles WHERE id = ?", "s",
                                ids[i]) == 0) {
                snprintf(mine.roles[mine.n].id, NB_IDSZ, "%s", ids[i]);
                snprintf(mine.roles[mine.n].name, NB_NAMESZ, "%s", name);
                mine.n++;
            }
            free(name);
        }
        r = nb_roles_delegated(tx, "SELECT role_id FROM trust_roles WHERE trust_id = ?",
                               t->trust_id, &mine);
        *roles = mine;
    }
    return r;
}

int nb_id_resolve_caller(struct nb_ctx *ctx, const struct nb_token *t,
                         struct nb_caller *out)
{
    struct nb_cent_entity user, dom, proj, pdom;
    struct nb_cent_roles roles = {0};
    struct nb_tx *tx = NULL;
    int r;
    (void)ctx;

    memset(out, 0, sizeof(*out));
    r = nb_entity_lookup(&tx, nb_c_users, "users", t->user_id, &user);
    if (r == 0 && !user.enabled)
        r = -EPERM;
    if (r == 0)
        r = nb_entity_lookup(&tx, nb_c_domains, "domains", user.domain_id, &dom);
    if (r == 0 && !dom.enabled)
        r = -EPERM;
    if (r < 0)
        goto out;
    out->user = user.self;
    out->user_domain = dom.self;

    switch (t->scope) {
    case NB_SCOPE_PROJECT:
        r = nb_entity_lookup(&tx, nb_c_projects, "projects", t->scope_id, &proj);
        if (r == 0 && !proj.enabled)
            r = -EPERM;
        if (r == 0)
            r = nb_entity_lookup(&tx, nb_c_domains, "domains", proj.domain_id, &pdom);
        if (r == 0 && !pdom.enabled)
            r = -EPERM;
        if (r < 0)
            goto out;
        out->project = proj.self;
        out->project_domain = pdom.self;
        if (t->trust_id[0]) {
            if (!tx && (r = nb_tx_begin(nb_id_db, false, &tx)) < 0)
                goto out;
            r = nb_resolve_trust(tx, t, &roles);
        } else {
            r = nb_roles_lookup(&tx, t->user_id, NB_SCOPE_PROJECT, t->scope_id, &roles);
        }
        break;
    case NB_SCOPE_DOMAIN:
        r = nb_entity_lookup(&tx, nb_c_domains, "domains", t->scope_id, &pdom);
        if (r == 0 && !pdom.enabled)
            r = -EPERM;
        if (r < 0)
            goto out;
        out->domain = pdom.self;
        r = nb_roles_lookup(&tx, t->user_id, NB_SCOPE_DOMAIN, t->scope_id, &roles);
        break;
    case NB_SCOPE_SYSTEM:
        out->system_scope = true;
        r = nb_roles_lookup(&tx, t->user_id, NB_SCOPE_SYSTEM, "system", &roles);
        break;
    case NB_SCOPE_NONE:
        break;
    }
    if (r == 0 && t->app_cred_id[0]) {
        int64_t exp = 0;
        if (!tx && (r = nb_tx_begin(nb_id_db, false, &tx)) < 0)
            goto out;
        r = nb_tx_query_int(tx, &exp, "SELECT coalesce(expires_at, 0) FROM "
                                      "application_credentials WHERE id = ?",
                            "s", t->app_cred_id);
        if (r == 0 && exp && exp <= nb_now_us())
            r = -EPERM;
        if (r == 0)
            r = nb_roles_delegated(tx, "SELECT role_id FROM application_credential_roles "
                                       "WHERE application_credential_id = ?",
                                   t->app_cred_id, &roles);
    }
    if (r < 0)
        goto out;
    if (t->scope != NB_SCOPE_NONE && roles.n == 0) {
        r = -EPERM;             /* no role left on the scope: the token is void */
        goto out;
    }
    out->nroles = roles.n;
    memcpy(out->roles, roles.roles, sizeof(roles.roles[0]) * (size_t)roles.n);
out:
    nb_tx_rollback(tx);
    return r == -ENOENT ? -EPERM : r;
}

/* ---- the catalog */

/* Substitutes $(project_id)s / %(project_id)s (and tenant_id) in 'url';
 * NULL when the URL needs a project and there is none. */
static char *nb_catalog_url(const char *url, const char *project_id)
{
    static const char *const vars[] = {"$(project_id)s", "%(project_id)s",
                                       "$(tenant_id)s", "%(tenant_id)s"};
    struct nb_buf b = {0};
    const char *p = url;
    while (*p) {
        size_t i, len = 0;
        for (i = 0; i < NB_ARRAY_SIZE(vars); i++) {
            len = strlen(vars[i]);
            if (strncmp(p, vars[i], len) == 0)
                break;
        }
        if (i < NB_ARRAY_SIZE(vars)) {
            if (!project_id) {
                nb_buf_free(&b);
                return NULL;
            }
            nb_buf_puts(&b, project_id);
            p += len;
        } else {
            nb_buf_add(&b, p++, 1);
        }
    }
    return nb_buf_steal(&b);
}

static json_t *nb_catalog_build(struct nb_tx *tx, const char *project_id)
{
    struct nb_stmt *st = NULL;
    json_t *catalog = json_array(), *svc = NULL;
    char last[NB_IDSZ] = "";
    /* OS-EP-FILTER: a project with associations sees only those endpoints */
    struct nb_map *only = project_id ? nb_id_project_endpoint_set(tx, project_id) : NULL;

    if (nb_tx_query(tx, &st,
                    "SELECT s.id, s.type, s.name, e.id, e.interface, e.region_id, e.url "
                    "FROM services s JOIN endpoints e ON e.service_id = s.id "
                    "WHERE s.enabled = 1 AND e.enabled = 1 ORDER BY s.type, s.id, "
                    "e.interface, e.id", "") < 0)
        return catalog;
    while (nb_stmt_next(st) > 0) {
        char *url;
        const char *region = nb_stmt_text(st, 5);
        if (only && !nb_map_find(only, nb_stmt_text(st, 3), NULL))
            continue;
        url = nb_catalog_url(nb_stmt_text(st, 6), project_id);
        if (!url)
            continue;
        if (strcmp(last, nb_stmt_text(st, 0)) != 0) {
            snprintf(last, sizeof(last), "%s", nb_stmt_text(st, 0));
            svc = json_pack("{s:[],s:s,s:s,s:s}", "endpoints", "id", last, "type",
                            nb_stmt_text(st, 1), "name",
                            nb_stmt_text(st, 2) ? nb_stmt_text(st, 2) : "");
            json_array_append_new(catalog, svc);
        }
        json_array_append_new(json_object_get(svc, "endpoints"),
                              json_pack("{s:s,s:s,s:s?,s:s?,s:s}", "id",
                                        nb_stmt_text(st, 3), "interface",
                                        nb_stmt_text(st, 4), "region", region,
                                        "region_id", region, "url", url));
        free(url);
    }
    nb_stmt_done(st);
    nb_map_free(only);
    return catalog;
}

json_t *nb_id_catalog(struct nb_tx *tx, const char *project_id, const char *base_url)
{
    struct nb_cent_catalog *e;
    struct nb_tx *own = NULL;
    const char *key = project_id ? project_id : "";
    json_t *cat = NULL;
    uint64_t gen;
    (void)base_url;

    pthread_mutex_lock(&nb_cache_lock);
    e = nb_cache_get_locked(nb_c_catalog, key);
    if (e)
        cat = json_incref(e->catalog);
    pthread_mutex_unlock(&nb_cache_lock);
    if (cat)
        return cat;
    gen = nb_cache_generation();
    if (!tx) {
        if (nb_tx_begin(nb_id_db, false, &own) < 0)
            return json_array();
        tx = own;
    }
    cat = nb_catalog_build(tx, project_id);
    nb_tx_rollback(own);
    e = nb_xcalloc(1, sizeof(*e));
    e->catalog = json_incref(cat);
    nb_cache_put(nb_c_catalog, key, &e->c, gen, nb_cent_catalog_free);
    return cat;
}
