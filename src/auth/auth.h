/* nubis auth: tokens, keys, revocation, password hashing, policy, and the
 * middleware that turns X-Auth-Token into the caller of a request.
 * Used by every API; knows nothing of how identities are stored: the
 * identity service plugs in through nb_auth_set_resolver(). */
#ifndef NB_AUTH_H
#define NB_AUTH_H

#include "core/core.h"

/* ------------------------------------------------------------------ tokens */

enum {                                   /* authentication methods */
    NB_AM_PASSWORD = 1 << 0,
    NB_AM_TOKEN = 1 << 1,
    NB_AM_APPCRED = 1 << 2,
};

enum nb_scope {
    NB_SCOPE_NONE,                       /* unscoped */
    NB_SCOPE_PROJECT,
    NB_SCOPE_DOMAIN,
    NB_SCOPE_SYSTEM,
};

#define NB_AUDIT_LEN 16                  /* bytes; 22 chars in base64url */

/* What a token says.  Tokens are never stored: this is encrypted and
 * authenticated into the token string itself. */
struct nb_token {
    unsigned methods;
    char user_id[NB_IDSZ];
    char user_domain_id[NB_IDSZ];
    enum nb_scope scope;
    char scope_id[NB_IDSZ];              /* project or domain id */
    char scope_domain_id[NB_IDSZ];       /* the project's domain */
    char trust_id[NB_IDSZ];              /* "" when not a trust token */
    char app_cred_id[NB_IDSZ];           /* "" when not an app cred token */
    int64_t issued_at, expires_at;       /* µs */
    unsigned char audit[NB_AUDIT_LEN];
    bool has_parent;                     /* rescoped: the chain's first id */
    unsigned char parent_audit[NB_AUDIT_LEN];
};

/* Encrypts 't' with the primary key into a new string (caller frees). */
int nb_token_encode(const struct nb_token *t, char **out);
/* Decrypts and authenticates; -EPERM for anything that is not a token of
 * ours (tampered, unknown key, garbage).  Expiry is not checked here. */
int nb_token_decode(const char *s, struct nb_token *t);
/* Expiry and revocation: 0 valid, -EPERM otherwise.  'allow_expired'
 * accepts tokens expired less than [token] allow_expired_window ago. */
int nb_token_check(const struct nb_token *t, bool allow_expired);
/* The audit id as Keystone prints it (22 chars + NUL). */
void nb_token_audit_str(const unsigned char audit[NB_AUDIT_LEN], char out[32]);

/* ------------------------------------------------------------------ keys
 *
 * The key repository: a directory of numbered key files, like Keystone's
 * Fernet repository.  The highest number is the primary (encrypts); every
 * key present decrypts.  The daemon notices rotations on its own. */

int nb_keys_init(const char *dir);             /* creates key 1 if empty */
/* Adds a new primary key and keeps the 'max_active' newest. */
int nb_keys_rotate(const char *dir, int max_active);
void nb_keys_shutdown(void);

/* ------------------------------------------------------------------ revocation
 *
 * Revocation events, as Keystone's: a token is revoked when its audit id
 * was revoked, or when its user, project, domain, trust or
 * application credential was revoked at or after the token was issued.
 * Events live in SQL (shared by every node) and in memory as hash tables,
 * so checking a token costs the same with 10 or 100,000 events. */

enum nb_revoke_kind {
    NB_REVOKE_AUDIT,          /* value: audit id (string form) */
    NB_REVOKE_USER,
    NB_REVOKE_PROJECT,
    NB_REVOKE_DOMAIN,
    NB_REVOKE_TRUST,
    NB_REVOKE_APPCRED,
    NB_REVOKE_NKINDS
};

int nb_revoke_init(struct nb_db *db);
void nb_revoke_shutdown(void);
/* Records an event in 'tx' (NULL: its own transaction) and in memory. */
int nb_revoke_add(struct nb_tx *tx, enum nb_revoke_kind kind,
                  const char *value);
bool nb_revoke_is_revoked(const struct nb_token *t);
size_t nb_revoke_count(void);

/* ------------------------------------------------------------------ passwords
 *
 * argon2id (libsodium crypto_pwhash_str).  At most [identity]
 * max_concurrent_hashes run at once, so memory stays bounded whatever the
 * load. */

void nb_password_init(void);
/* Returns a new hash string in *out (caller frees). */
int nb_password_hash(const char *pw, char **out);
/* 0 when 'pw' matches 'hash', -EPERM otherwise.  A NULL hash (no such user)
 * still costs one hash, so timing does not tell which users exist. */
int nb_password_verify(const char *hash, const char *pw);
/* True when 'hash' was made with other parameters than configured now. */
bool nb_password_needs_rehash(const char *hash);

/* ------------------------------------------------------------------ policy
 *
 * Rules are oslo.policy expressions ("role:reader and
 * project_id:%(target.project.id)s"), all in one table (policy_rules.c),
 * parsed once at start.  Keystone's default roles: admin implies member
 * implies reader, so a check for reader passes for admin. */

int nb_policy_init(void);
void nb_policy_shutdown(void);
/* 0 when 'rule' allows the caller of 'ctx' on 'target' (may be NULL).
 * Otherwise 401 (no caller) or 403 set on ctx. */
int nb_policy_enforce(struct nb_ctx *ctx, const char *rule,
                      const json_t *target);
/* Like nb_policy_enforce but sets nothing: true when allowed. */
bool nb_policy_allows(const struct nb_ctx *ctx, const char *rule,
                      const json_t *target);

/* ------------------------------------------------------------------ middleware */

/* Turns a decoded, unrevoked token into the full caller (names, roles).
 * Returns -EPERM when the token no longer stands (user disabled, roles
 * gone): such a token is invalid. */
typedef int (*nb_caller_resolver)(struct nb_ctx *ctx, const struct nb_token *t,
                                  struct nb_caller *out);
void nb_auth_set_resolver(nb_caller_resolver fn);
/* Validates 'token' fully (decode, expiry, revocation, resolve) into
 * *caller.  -EPERM when invalid. */
int nb_auth_validate(struct nb_ctx *ctx, const char *token, bool allow_expired,
                     struct nb_token *t, struct nb_caller *caller);
/* The nb_http_hooks of the pipeline. */
int nb_auth_authenticate(struct nb_req *req);
int nb_auth_enforce(struct nb_ctx *ctx, const char *rule, const json_t *target);

#endif
