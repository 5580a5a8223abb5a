/* auth/token.c and auth/keys.c: the token codec and the key repository. */
#include "nbt.h"
#include "auth/auth.h"

#include <unistd.h>

struct nbt_keys {
    char *dir;
    char *keys;
};

static int nbt_setup(void **state)
{
    struct nbt_keys *k = nb_xcalloc(1, sizeof(*k));
    k->dir = nbt_tmpdir();
    k->keys = nb_xasprintf("%s/keys", k->dir);
    *state = k;
    return nb_keys_init(k->keys);
}

static int nbt_teardown(void **state)
{
    struct nbt_keys *k = *state;
    nb_keys_shutdown();
    nbt_rmrf(k->dir);
    free(k->keys);
    free(k->dir);
    free(k);
    return 0;
}

static void nbt_token(struct nb_token *t)
{
    memset(t, 0, sizeof(*t));
    t->methods = NB_AM_PASSWORD | NB_AM_TOKEN;
    nb_uuid_hex(t->user_id);
    snprintf(t->user_domain_id, sizeof(t->user_domain_id), "default");
    t->scope = NB_SCOPE_PROJECT;
    nb_uuid_hex(t->scope_id);
    snprintf(t->scope_domain_id, sizeof(t->scope_domain_id), "default");
    t->issued_at = 1764183000123456LL;
    t->expires_at = t->issued_at + 3600LL * 1000000;
    nb_random_bytes(t->audit, sizeof(t->audit));
}

static void nbt_assert_same(const struct nb_token *a, const struct nb_token *b)
{
    assert_int_equal(a->methods, b->methods);
    assert_string_equal(a->user_id, b->user_id);
    assert_string_equal(a->user_domain_id, b->user_domain_id);
    assert_int_equal(a->scope, b->scope);
    assert_string_equal(a->scope_id, b->scope_id);
    assert_string_equal(a->scope_domain_id, b->scope_domain_id);
    assert_string_equal(a->trust_id, b->trust_id);
    assert_string_equal(a->app_cred_id, b->app_cred_id);
    assert_int_equal(a->issued_at, b->issued_at);
    assert_int_equal(a->expires_at, b->expires_at);
    assert_memory_equal(a->audit, b->audit, NB_AUDIT_LEN);
    assert_int_equal(a->has_parent, b->has_parent);
    if (a->has_parent)
        assert_memory_equal(a->parent_audit, b->parent_audit, NB_AUDIT_LEN);
}

static void nbt_round_trip(const struct nb_token *t)
{
    struct nb_token back;
    char *s = NULL;
    assert_int_equal(nb_token_encode(t, &s), 0);
    assert_int_equal(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789-_"), strlen(s));
    assert_int_equal(nb_token_decode(s, &back), 0);
    nbt_assert_same(t, &back);
    free(s);
}

/* The key id a token was sealed with (bytes 1..4 of the raw token). */
static uint32_t nbt_token_kid(const char *s)
{
    unsigned char *raw = NULL;
    size_t n = 0;
    uint32_t kid;
    assert_int_equal(nb_b64url_decode(s, &raw, &n), 0);
    assert_true(n > 5);
    kid = (uint32_t)raw[1] << 24 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 8 | raw[4];
    free(raw);
    return kid;
}

static void test_token_project_scope_round_trips_every_field(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t);
    t.has_parent = true;
    nb_random_bytes(t.parent_audit, sizeof(t.parent_audit));
    nb_uuid_hex(t.trust_id);
    nb_uuid_hex(t.app_cred_id);
    t.methods = NB_AM_PASSWORD | NB_AM_TOKEN | NB_AM_APPCRED;
    nbt_round_trip(&t);
}

static void test_token_domain_system_and_unscoped_round_trip(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t);
    t.scope = NB_SCOPE_DOMAIN;
    snprintf(t.scope_id, sizeof(t.scope_id), "default");
    t.scope_domain_id[0] = '\0';
    nbt_round_trip(&t);

    nbt_token(&t);
    t.scope = NB_SCOPE_SYSTEM;
    t.scope_id[0] = t.scope_domain_id[0] = '\0';
    nbt_round_trip(&t);

    nbt_token(&t);
    t.scope = NB_SCOPE_NONE;
    t.scope_id[0] = t.scope_domain_id[0] = '\0';
    nbt_round_trip(&t);
}

/* Ids that are not our 32 lowercase hex digits travel as bytes. */
static void test_token_non_hex_ids_round_trip(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t);
    snprintf(t.user_id, sizeof(t.user_id), "ABCDEF0123456789ABCDEF0123456789"); /* upper */
    snprintf(t.scope_id, sizeof(t.scope_id), "1234");
    snprintf(t.trust_id, sizeof(t.trust_id), "trust-\xc3\xa9");
    memset(t.app_cred_id, 'x', NB_IDSZ - 1);                   /* longest id */
    t.app_cred_id[NB_IDSZ - 1] = '\0';
    snprintf(t.scope_domain_id, sizeof(t.scope_domain_id), "0123456789abcdef0123456789abcdeg");
    nbt_round_trip(&t);
}

static void test_token_times_round_trip_extremes(void **state)
{
    struct nb_token t;
    (void)state;
    nbt_token(&t);
    t.issued_at = 0;
    t.expires_at = INT64_MAX;
    nbt_round_trip(&t);
}

static void test_token_two_encodings_differ(void **state)
{
    struct nb_token t;
    char *a = NULL, *b = NULL;
    (void)state;
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &a), 0);
    assert_int_equal(nb_token_encode(&t, &b), 0);
    assert_string_not_equal(a, b);                  /* fresh nonce each time */
    free(a);
    free(b);
}

static void test_token_tampered_rejected(void **state)
{
    struct nb_token t, back;
    char *s = NULL;
    (void)state;
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &s), 0);
    for (size_t i = 0; i < strlen(s); i++) {
        char saved = s[i];
        s[i] = saved == 'A' ? 'B' : 'A';
        /* the last char may carry only padding bits: skip no-op flips */
        if (nb_token_decode(s, &back) == 0) {
            unsigned char *x = NULL, *y = NULL;
            size_t nx = 0, ny = 0;
            char *orig = nb_xstrdup(s);
            orig[i] = saved;
            assert_int_equal(nb_b64url_decode(s, &x, &nx), 0);
            assert_int_equal(nb_b64url_decode(orig, &y, &ny), 0);
            if (nx == ny && memcmp(x, y, nx) != 0)
                fail_msg("flipping char %zu still decodes", i);
            free(x);
            free(y);
            free(orig);
        } else {
            /* a failed decode leaves nothing behind */
            assert_int_equal(back.user_id[0], '\0');
            assert_int_equal(back.expires_at, 0);
        }
        s[i] = saved;
    }
    free(s);
}

static void test_token_truncated_or_extended_rejected(void **state)
{
    struct nb_token t, back;
    char *s = NULL, *longer;
    size_t n;
    (void)state;
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &s), 0);
    n = strlen(s);
    longer = nb_xasprintf("%sAAAA", s);
    assert_int_equal(nb_token_decode(longer, &back), -EPERM);
    s[n - 4] = '\0';
    assert_int_equal(nb_token_decode(s, &back), -EPERM);
    s[10] = '\0';
    assert_int_equal(nb_token_decode(s, &back), -EPERM);
    free(longer);
    free(s);
}

static void test_token_garbage_rejected(void **state)
{
    struct nb_token back;
    char *huge = nb_xmalloc(4096);
    (void)state;
    memset(huge, 'A', 4095);
    huge[4095] = '\0';
    assert_int_equal(nb_token_decode(NULL, &back), -EPERM);
    assert_int_equal(nb_token_decode("", &back), -EPERM);
    assert_int_equal(nb_token_decode("not a token", &back), -EPERM);
    assert_int_equal(nb_token_decode("gAAAAABfake", &back), -EPERM);
    assert_int_equal(nb_token_decode(huge, &back), -EPERM);
    free(huge);
}

static void test_token_from_unknown_key_rejected(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t, back;
    char *s = NULL, *other = nb_xasprintf("%s/other-keys", k->dir);
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &s), 0);
    /* another repository: also key id 1, but a different key */
    assert_int_equal(nb_keys_init(other), 0);
    assert_int_equal(nb_token_decode(s, &back), -EPERM);
    assert_int_equal(nb_keys_init(k->keys), 0);
    assert_int_equal(nb_token_decode(s, &back), 0);
    free(s);
    free(other);
}

static void test_token_encode_without_keys_fails(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t;
    char *s = NULL;
    nbt_token(&t);
    nb_keys_shutdown();
    assert_int_equal(nb_token_encode(&t, &s), -ENOENT);
    assert_null(s);
    assert_int_equal(nb_keys_init(k->keys), 0);
}

/* Keystone's Fernet rotation: the new key encrypts, old keys still
 * decrypt until more than max_active keys push them out. */
static void test_token_rotation_keeps_old_tokens_until_rotated_out(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t, back;
    char *t1 = NULL, *t2 = NULL, *t3 = NULL;
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &t1), 0);
    assert_int_equal(nbt_token_kid(t1), 1);

    assert_int_equal(nb_keys_rotate(k->keys, 3), 0);       /* keys 1 2 */
    assert_int_equal(nb_keys_init(k->keys), 0);            /* as a restart */
    assert_int_equal(nb_token_encode(&t, &t2), 0);
    assert_int_equal(nbt_token_kid(t2), 2);
    assert_int_equal(nb_token_decode(t1, &back), 0);

    assert_int_equal(nb_keys_rotate(k->keys, 3), 0);       /* keys 1 2 3 */
    assert_int_equal(nb_keys_init(k->keys), 0);
    assert_int_equal(nb_token_encode(&t, &t3), 0);
    assert_int_equal(nbt_token_kid(t3), 3);
    assert_int_equal(nb_token_decode(t1, &back), 0);
    assert_int_equal(nb_token_decode(t2, &back), 0);

    assert_int_equal(nb_keys_rotate(k->keys, 3), 0);       /* keys 2 3 4 */
    assert_int_equal(nb_keys_init(k->keys), 0);
    assert_int_equal(nb_token_decode(t1, &back), -EPERM);
    assert_int_equal(nb_token_decode(t2, &back), 0);
    assert_int_equal(nb_token_decode(t3, &back), 0);
    free(t1);
    free(t2);
    free(t3);
}

static void test_token_rotation_keeps_at_least_two_keys(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t, back;
    char *t1 = NULL;
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &t1), 0);
    assert_int_equal(nb_keys_rotate(k->keys, 1), 0);       /* clamped to 2 */
    assert_int_equal(nb_keys_init(k->keys), 0);
    assert_int_equal(nb_token_decode(t1, &back), 0);
    free(t1);
}

/* A running daemon notices `nubis token-rotate` by itself (it looks at
 * the directory at most once a second). */
static void test_token_rotation_noticed_without_restart(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t;
    char *before = NULL, *after = NULL;
    uint32_t kid;
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &before), 0);
    kid = nbt_token_kid(before);
    /* the change is seen through the directory's mtime: let the clock
     * tick past the load done by the setup */
    usleep(50 * 1000);
    assert_int_equal(nb_keys_rotate(k->keys, 3), 0);
    usleep(1100 * 1000);
    assert_int_equal(nb_token_encode(&t, &after), 0);
    assert_int_equal(nbt_token_kid(after), kid + 1);
    free(before);
    free(after);
}

static void test_token_keys_ignore_malformed_files(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t, back;
    char *s = NULL, *junk = nbt_write(k->keys, "99", "not a key\n");
    char *other = nbt_write(k->keys, "README", "ignored\n");
    assert_int_equal(nb_keys_init(k->keys), 0);
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &s), 0);
    assert_true(nbt_token_kid(s) != 99);
    assert_int_equal(nb_token_decode(s, &back), 0);
    unlink(junk);
    unlink(other);
    free(junk);
    free(other);
    free(s);
}

/* More key files than are kept in memory (64): the newest still encrypts,
 * and a rotation never reuses the number of an existing key. */
static void test_token_more_than_64_keys_newest_is_primary(void **state)
{
    struct nbt_keys *k = *state;
    struct nb_token t, back;
    char *s = NULL;
    for (int i = 0; i < 70; i++)
        assert_int_equal(nb_keys_rotate(k->keys, 100), 0);     /* keys 1..71 */
    assert_int_equal(nb_keys_init(k->keys), 0);
    nbt_token(&t);
    assert_int_equal(nb_token_encode(&t, &s), 0);
    assert_int_equal(nbt_token_kid(s), 71);
    assert_int_equal(nb_keys_rotate(k->keys, 100), 0);         /* key 72, new */
    assert_int_equal(nb_keys_init(k->keys), 0);
    assert_int_equal(nb_token_decode(s, &back), 0);            /* 71 untouched */
    free(s);
}

static void test_token_audit_str_is_22_chars(void **state)
{
    unsigned char audit[NB_AUDIT_LEN];
    char out[32];
    (void)state;
    memset(audit, 0xff, sizeof(audit));
    nb_token_audit_str(audit, out);
    assert_int_equal(strlen(out), 22);
    assert_string_equal(out, "_____________________w");
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, nbt_setup, nbt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_token_project_scope_round_trips_every_field),
        T(test_token_domain_system_and_unscoped_round_trip),
        T(test_token_non_hex_ids_round_trip),
        T(test_token_times_round_trip_extremes),
        T(test_token_two_encodings_differ),
        T(test_token_tampered_rejected),
        T(test_token_truncated_or_extended_rejected),
        T(test_token_garbage_rejected),
        T(test_token_from_unknown_key_rejected),
        T(test_token_encode_without_keys_fails),
        T(test_token_rotation_keeps_old_tokens_until_rotated_out),
        T(test_token_rotation_keeps_at_least_two_keys),
        T(test_token_rotation_noticed_without_restart),
        T(test_token_keys_ignore_malformed_files),
        T(test_token_more_than_64_keys_newest_is_primary),
        T(test_token_audit_str_is_22_chars),
    };
    return NBT_MAIN("token", tests, NULL, NULL);
}
