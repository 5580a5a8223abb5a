/* auth/revoke.c: revocation events on a temp SQLite database (and on
 * PostgreSQL too when NUBIS_TEST_PG_URI is set: see nbt.h), and the expiry
 * half of nb_token_check. */
#include "nbt.h"
#include "auth/auth.h"

struct nbt_rv {
    char *state;           /* state dir (pinned config), holds the db */
    char *url;
    struct nb_db *db;
};

static int nbt_setup(void **state)
{
    struct nbt_rv *rv = nb_xcalloc(1, sizeof(*rv));
    rv->state = nbt_conf_isolated();
    rv->url = nbt_db_url(rv->state, "revoke");
    assert_int_equal(nb_db_open(rv->url, 2, &rv->db), 0);
    assert_int_equal(nb_revoke_init(rv->db), 0);
    *state = rv;
    return 0;
}

static int nbt_teardown(void **state)
{
    struct nbt_rv *rv = *state;
    nb_revoke_shutdown();
    nb_db_close(rv->db);
    nbt_db_drop(rv->url);
    nbt_rmrf(rv->state);
    free(rv->state);
    free(rv->url);
    free(rv);
    return 0;
}

/* A project-scoped token issued 'age_s' seconds ago, valid for an hour
 * from issue. */
static void nbt_token(struct nb_token *t, int64_t age_s)
{
    memset(t, 0, sizeof(*t));
    t->methods = NB_AM_PASSWORD;
    snprintf(t->user_id, sizeof(t->user_id), "user-1");
    snprintf(t->user_domain_id, sizeof(t->user_domain_id), "udom");
    t->scope = NB_SCOPE_PROJECT;
    snprintf(t->scope_id, sizeof(t->scope_id), "proj-1");
    snprintf(t->scope_domain_id, sizeof(t->scope_domain_id), "pdom");
    t->issued_at = nb_now_us() - age_s * 1000000;
    t->expires_at = t->issued_at + 3600LL * 1000000;
    nb_random_bytes(t->audit, sizeof(t->audit));
}

static void nbt_audit(const struct nb_token *t, char out[32])
{
    nb_token_audit_str(t->audit, out);
}

static void test_revoke_fresh_token_is_valid(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t, 1);
    assert_false(nb_revoke_is_revoked(&t));
    assert_int_equal(nb_token_check(&t, false), 0);
    assert_int_equal(nb_revoke_count(), 0);
}

static void test_revoke_by_audit_id(void **state)
{
    struct nb_token t, other;
    char audit[32];
    (void)state;
    nbt_token(&t, 1);
    nbt_token(&other, 1);
    nbt_audit(&t, audit);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_AUDIT, audit), 0);
    assert_true(nb_revoke_is_revoked(&t));
    assert_int_equal(nb_token_check(&t, false), -EPERM);
    assert_false(nb_revoke_is_revoked(&other));
    /* audit ids revoke whatever the issue time */
    t.issued_at = nb_now_us() + 3600LL * 1000000;
    assert_true(nb_revoke_is_revoked(&t));
}

/* As Keystone's revoke_by_audit_id: an audit event names one token, so
 * revoking a rescoped token leaves the token it came from valid, and the
 * other way round. */
static void test_revoke_audit_id_names_one_token_not_its_chain(void **state)
{
    struct nb_token parent, child;
    char audit[32];
    (void)state;
    nbt_token(&parent, 2);
    nbt_token(&child, 1);
    child.has_parent = true;
    memcpy(child.parent_audit, parent.audit, NB_AUDIT_LEN);
    nbt_audit(&child, audit);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_AUDIT, audit), 0);
    assert_true(nb_revoke_is_revoked(&child));
    assert_false(nb_revoke_is_revoked(&parent));
    nbt_token(&child, 1);
    child.has_parent = true;
    memcpy(child.parent_audit, parent.audit, NB_AUDIT_LEN);
    nbt_audit(&parent, audit);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_AUDIT, audit), 0);
    assert_true(nb_revoke_is_revoked(&parent));
    assert_false(nb_revoke_is_revoked(&child));
}

static void test_revoke_user_hits_tokens_issued_before_only(void **state)
{
    struct nb_token before, after, someone;
    (void)state;
    nbt_token(&before, 5);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_USER, "user-1"), 0);
    nbt_token(&after, -1);                 /* issued after the event */
    nbt_token(&someone, 5);
    snprintf(someone.user_id, sizeof(someone.user_id), "user-2");
    assert_true(nb_revoke_is_revoked(&before));
    assert_false(nb_revoke_is_revoked(&after));
    assert_false(nb_revoke_is_revoked(&someone));
}

static void test_revoke_project_hits_project_scoped_tokens(void **state)
{
    struct nb_token scoped, unscoped, domain_scoped;
    (void)state;
    nbt_token(&scoped, 5);
    nbt_token(&unscoped, 5);
    unscoped.scope = NB_SCOPE_NONE;
    nbt_token(&domain_scoped, 5);
    domain_scoped.scope = NB_SCOPE_DOMAIN;              /* same id string */
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_PROJECT, "proj-1"), 0);
    assert_true(nb_revoke_is_revoked(&scoped));
    assert_false(nb_revoke_is_revoked(&unscoped));
    assert_false(nb_revoke_is_revoked(&domain_scoped));
}

static void test_revoke_domain_hits_users_projects_and_domain_scope(void **state)
{
    struct nb_token user_in, project_in, domain_scoped, outside;
    (void)state;
    nbt_token(&user_in, 5);
    snprintf(user_in.scope_domain_id, sizeof(user_in.scope_domain_id), "other");
    nbt_token(&project_in, 5);
    snprintf(project_in.user_domain_id, sizeof(project_in.user_domain_id), "other");
    snprintf(project_in.scope_domain_id, sizeof(project_in.scope_domain_id), "dom-x");
    nbt_token(&domain_scoped, 5);
    snprintf(domain_scoped.user_domain_id, sizeof(domain_scoped.user_domain_id), "other");
    domain_scoped.scope = NB_SCOPE_DOMAIN;
    snprintf(domain_scoped.scope_id, sizeof(domain_scoped.scope_id), "dom-x");
    domain_scoped.scope_domain_id[0] = '\0';
    nbt_token(&outside, 5);
    snprintf(user_in.user_domain_id, sizeof(user_in.user_domain_id), "dom-x");
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_DOMAIN, "dom-x"), 0);
    assert_true(nb_revoke_is_revoked(&user_in));
    assert_true(nb_revoke_is_revoked(&project_in));
    assert_true(nb_revoke_is_revoked(&domain_scoped));
    assert_false(nb_revoke_is_revoked(&outside));
}

static void test_revoke_trust_and_app_cred(void **state)
{
    struct nb_token trust, appcred, plain;
    (void)state;
    nbt_token(&trust, 5);
    snprintf(trust.trust_id, sizeof(trust.trust_id), "trust-1");
    nbt_token(&appcred, 5);
    snprintf(appcred.app_cred_id, sizeof(appcred.app_cred_id), "ac-1");
    nbt_token(&plain, 5);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_TRUST, "trust-1"), 0);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_APPCRED, "ac-1"), 0);
    assert_true(nb_revoke_is_revoked(&trust));
    assert_true(nb_revoke_is_revoked(&appcred));
    assert_false(nb_revoke_is_revoked(&plain));
}

/* An empty value (no trust, no app cred) never matches an event with an
 * empty value. */
static void test_revoke_empty_value_matches_nothing(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t, 5);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_TRUST, ""), 0);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_APPCRED, ""), 0);
    assert_false(nb_revoke_is_revoked(&t));
}

static void test_revoke_events_survive_restart(void **state)
{
    struct nbt_rv *rv = *state;
    struct nb_token t;
    nbt_token(&t, 5);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_USER, "user-1"), 0);
    nb_revoke_shutdown();
    nb_db_close(rv->db);
    assert_int_equal(nb_db_open(rv->url, 2, &rv->db), 0);
    assert_int_equal(nb_revoke_init(rv->db), 0);
    assert_int_equal(nb_revoke_count(), 1);
    assert_true(nb_revoke_is_revoked(&t));
}

static void test_revoke_rolled_back_event_still_revokes_in_memory(void **state)
{
    struct nbt_rv *rv = *state;
    struct nb_tx *tx = NULL;
    struct nb_token t;
    int64_t rows = -1;
    nbt_token(&t, 5);
    assert_int_equal(nb_tx_begin(rv->db, true, &tx), 0);
    assert_int_equal(nb_revoke_add(tx, NB_REVOKE_USER, "user-1"), 0);
    nb_tx_rollback(tx);
    /* on the safe side: revoked now, forgotten by the next start */
    assert_true(nb_revoke_is_revoked(&t));
    assert_int_equal(nb_tx_begin(rv->db, false, &tx), 0);
    assert_int_equal(nb_tx_query_int(tx, &rows, "SELECT count(*) FROM revocation_events",
                                     NULL), 0);
    nb_tx_rollback(tx);
    assert_int_equal(rows, 0);
}

static void test_revoke_init_prunes_events_older_than_any_valid_token(void **state)
{
    struct nbt_rv *rv = *state;
    struct nb_tx *tx = NULL;
    int64_t ancient = nb_now_us() - 30LL * 86400 * 1000000;
    assert_int_equal(nb_tx_begin(rv->db, true, &tx), 0);
    assert_int_equal(nb_tx_exec(tx, NULL, "INSERT INTO revocation_events (id, kind, "
                                          "value, revoked_at) VALUES ('old', ?, 'u-old', ?)",
                                "ii", (int64_t)NB_REVOKE_USER, ancient),
                     0);
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nb_revoke_add(NULL, NB_REVOKE_USER, "u-new"), 0);
    assert_int_equal(nb_revoke_init(rv->db), 0);
    assert_int_equal(nb_revoke_count(), 1);
}

/* Each event kind is a hash table: 20,000 events cost a token check the
 * same few lookups (no timing asserted: tests never time). */
static void test_revoke_many_events_stay_exact(void **state)
{
    struct nbt_rv *rv = *state;
    struct nb_tx *tx = NULL;
    struct nb_token t, hit;
    char value[32];
    assert_int_equal(nb_tx_begin(rv->db, true, &tx), 0);
    for (int i = 0; i < 20000; i++) {
        snprintf(value, sizeof(value), "user-%d", i + 1000);
        assert_int_equal(nb_revoke_add(tx, NB_REVOKE_USER, value), 0);
    }
    assert_int_equal(nb_tx_commit(tx), 0);
    assert_int_equal(nb_revoke_count(), 20000);
    nbt_token(&t, 5);                              /* user-1: not revoked */
    assert_false(nb_revoke_is_revoked(&t));
    nbt_token(&hit, 5);
    snprintf(hit.user_id, sizeof(hit.user_id), "user-%d", 1000 + 12345);
    assert_true(nb_revoke_is_revoked(&hit));
    /* and they all come back on a restart */
    assert_int_equal(nb_revoke_init(rv->db), 0);
    assert_int_equal(nb_revoke_count(), 20000);
    assert_true(nb_revoke_is_revoked(&hit));
}

static void test_token_check_expiry_and_allow_expired_window(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t, 2 * 3600);                       /* expired an hour ago */
    assert_int_equal(nb_token_check(&t, false), -EPERM);
    assert_int_equal(nb_token_check(&t, true), 0);  /* window: 2 days */
    nbt_token(&t, 4 * 86400);                      /* beyond the window */
    assert_int_equal(nb_token_check(&t, true), -EPERM);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_revoke_fresh_token_is_valid),
        T(test_revoke_by_audit_id),
        T(test_revoke_audit_id_names_one_token_not_its_chain),
        T(test_revoke_user_hits_tokens_issued_before_only),
        T(test_revoke_project_hits_project_scoped_tokens),
        T(test_revoke_domain_hits_users_projects_and_domain_scope),
        T(test_revoke_trust_and_app_cred),
        T(test_revoke_empty_value_matches_nothing),
        T(test_revoke_events_survive_restart),
        T(test_revoke_rolled_back_event_still_revokes_in_memory),
        T(test_revoke_init_prunes_events_older_than_any_valid_token),
        T(test_revoke_many_events_stay_exact),
        T(test_token_check_expiry_and_allow_expired_window),
    };
    return NBT_MAIN("revoke", tests, NULL, NULL);
}
