/* Token revocation events.
 *
 * Keystone keeps revocation events in a list and matches every token
 * against every event, so validation slows down as events pile up (7 ms
 * to 2 s at 10,000 events).  Here each kind of event is a hash table from
 * the revoked thing (audit id, user, project, domain, trust, application
 * credential) to the time of revocation: checking a token is a fixed
 * handful of lookups, whatever the number of events.
 *
 * Events are rows in SQL so every node sees them; nodes sharing a
 * PostgreSQL database pick up each other's events within a second.  Events
 * older than any token that could still be accepted are pruned. */
#include "auth/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_migration nb_auth_migrations[] = {
    {1, "CREATE TABLE revocation_events ("
        " id TEXT PRIMARY KEY,"
        " kind BIGINT NOT NULL,"
        " value TEXT NOT NULL,"
        " revoked_at BIGINT NOT NULL);"
        "CREATE INDEX revocation_events_at ON revocation_events (revoked_at);"},
};

static pthread_rwlock_t nb_rv_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct nb_map *nb_rv[NB_REVOKE_NKINDS];   /* value -> revoked_at */
static struct nb_db *nb_rv_db;
static bool nb_rv_poll;                          /* shared database */
static int64_t nb_rv_polled;                     /* monotonic µs */
static int64_t nb_rv_since;                      /* wall µs of last poll */

/* Tokens issued before this can no longer be accepted by anyone. */
static int64_t nb_revoke_horizon(void)
{
    return nb_now_us() - (nb_conf_int("token", "expiration") +
                          nb_conf_int("token", "allow_expired_window") + 60) *
                             1000000;
}

static void nb_revoke_apply_locked(int kind, const char *value, int64_t at)
{
    void *old;
    if (kind < 0 || kind >= NB_REVOKE_NKINDS)
        return;
    if (nb_map_find(nb_rv[kind], value, &old) && (int64_t)(intptr_t)old >= at)
        return;
    nb_map_set(nb_rv[kind], value, (void *)(intptr_t)at);
}

/* Loads events revoked after 'since' (µs) into memory. */
static int nb_revoke_load(int64_t since)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    int r;

    r = nb_tx_begin(nb_rv_db, false, &tx);
    if (r < 0)
        return r;
    r = nb_tx_query(tx, &st, "SELECT kind, value, revoked_at FROM revocation_events "
                             "WHERE revoked_at > ?", "i", since);
    if (r == 0) {
        pthread_rwlock_wrlock(&nb_rv_lock);
        while ((r = nb_stmt_next(st)) > 0)
            nb_revoke_apply_locked((int)nb_stmt_int(st, 0), nb_stmt_text(st, 1),
                                   nb_stmt_int(st, 2));
        pthread_rwlock_unlock(&nb_rv_lock);
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    return r < 0 ? r : 0;
}

int nb_revoke_init(struct nb_db *db)
{
    struct nb_tx *tx = NULL;
    int r;

    r = nb_db_migrate(db, "auth", nb_auth_migrations, NB_ARRAY_SIZE(nb_auth_migrations));
    if (r < 0)
        return r;
    nb_revoke_shutdown();
    for (int i = 0; i < NB_REVOKE_NKINDS; i++)
        nb_rv[i] = nb_map_new(NULL);
    nb_rv_db = db;
    nb_rv_poll = strcmp(nb_db_backend(db), "postgresql") == 0;
    r = nb_tx_begin(db, true, &tx);
    if (r < 0)
        return r;
    r = nb_tx_exec(tx, NULL, "DELETE FROM revocation_events WHERE revoked_at < ?",
                   "i", nb_revoke_horizon());
    r = r < 0 ? (nb_tx_rollback(tx), r) : nb_tx_commit(tx);
    if (r < 0)
        return r;
    nb_rv_since = nb_now_us();
    nb_rv_polled = nb_mono_us();
    return nb_revoke_load(0);
}

void nb_revoke_shutdown(void)
{
    pthread_rwlock_wrlock(&nb_rv_lock);
    for (int i = 0; i < NB_REVOKE_NKINDS; i++) {
        nb_map_free(nb_rv[i]);
        nb_rv[i] = NULL;
    }
    pthread_rwlock_unlock(&nb_rv_lock);
}

int nb_revoke_add(struct nb_tx *tx, enum nb_revoke_kind kind, const char *value)
{
    struct nb_tx *own = NULL;
    char id[NB_ID_HEX_LEN + 1];
    int64_t now = nb_now_us();
    int r;

    if (!nb_rv_db)
        return -ENODEV;
    if (!tx) {
        r = nb_tx_begin(nb_rv_db, true, &own);
        if (r < 0)
            return r;
        tx = own;
    }
    nb_uuid_hex(id);
    r = nb_tx_exec(tx, NULL, "INSERT INTO revocation_events (id, kind, value, revoked_at) "
                             "VALUES (?, ?, ?, ?)", "sisi", id, (int64_t)kind, value, now);
    if (own)
        r = r < 0 ? (nb_tx_rollback(own), r) : nb_tx_commit(own);
    /* applied at once, even before the caller's commit: on a rollback the
     * error is on the safe side (tokens revoked a little early) */
    pthread_rwlock_wrlock(&nb_rv_lock);
    nb_revoke_apply_locked(kind, value, now);
    pthread_rwlock_unlock(&nb_rv_lock);
    return r;
}

/* Picks up events other nodes wrote, at most once a second. */
static void nb_revoke_maybe_poll(void)
{
    int64_t now = nb_mono_us(), since;
    if (!nb_rv_poll || now - __atomic_load_n(&nb_rv_polled, __ATOMIC_RELAXED) < 1000000)
        return;
    __atomic_store_n(&nb_rv_polled, now, __ATOMIC_RELAXED);
    since = nb_rv_since - 10 * 1000000;    /* tolerate clock skew, late commits */
    nb_rv_since = nb_now_us();
    nb_revoke_load(since);
}

static bool nb_rv_hit(int kind, const char *value, int64_t issued_at)
{
    void *v;
    return value[0] && nb_map_find(nb_rv[kind], value, &v) &&
           issued_at <= (int64_t)(intptr_t)v;
}

bool nb_revoke_is_revoked(const struct nb_token *t)
{
    char audit[32];
    bool hit;

    nb_revoke_maybe_poll();
    /* an audit event names one token: revoking a rescoped token leaves the
     * token it came from valid, as in Keystone (revoke_by_audit_id) */
    nb_token_audit_str(t->audit, audit);
    pthread_rwlock_rdlock(&nb_rv_lock);
    hit = !nb_rv[0] ||
          nb_map_find(nb_rv[NB_REVOKE_AUDIT], audit, NULL) ||
          nb_rv_hit(NB_REVOKE_USER, t->user_id, t->issued_at) ||
          nb_rv_hit(NB_REVOKE_DOMAIN, t->user_domain_id, t->issued_at) ||
          nb_rv_hit(NB_REVOKE_TRUST, t->trust_id, t->issued_at) ||
          nb_rv_hit(NB_REVOKE_APPCRED, t->app_cred_id, t->issued_at);
    if (!hit && t->scope == NB_SCOPE_PROJECT)
        hit = nb_rv_hit(NB_REVOKE_PROJECT, t->scope_id, t->issued_at) ||
              nb_rv_hit(NB_REVOKE_DOMAIN, t->scope_domain_id, t->issued_at);
    if (!hit && t->scope == NB_SCOPE_DOMAIN)
        hit = nb_rv_hit(NB_REVOKE_DOMAIN, t->scope_id, t->issued_at);
    pthread_rwlock_unlock(&nb_rv_lock);
    return hit;
}

size_t nb_revoke_count(void)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&nb_rv_lock);
    for (int i = 0; i < NB_REVOKE_NKINDS; i++)
        n += nb_rv[i] ? nb_map_size(nb_rv[i]) : 0;
    pthread_rwlock_unlock(&nb_rv_lock);
    return n;
}
