/* The token codec.  A token is
 *     base64url( 'N' | key id (4, BE) | nonce (24) | AEAD(payload) )
 * sealed with XChaCha20-Poly1305 under the key repository's primary key,
 * the header bound as associated data.  Nothing is stored: validation is
 * decryption plus the revocation check.  The payload is a compact binary
 * record; ids that are 32 hex digits (ours) travel as 16 bytes. */
#include "auth/auth.h"
#include "auth/keys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NB_TOKEN_MAGIC 'N'
#define NB_TOKEN_VERSION 1
#define NB_HDR_LEN (1 + 4)
#define NB_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define NB_MAC_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define NB_PAYLOAD_MAX 512

enum {
    NB_TF_PARENT = 1 << 0,
    NB_TF_TRUST = 1 << 1,
    NB_TF_APPCRED = 1 << 2,
};

struct nb_wbuf {
    unsigned char b[NB_PAYLOAD_MAX];
    size_t n;
    bool overflow;
};

static void nb_w(struct nb_wbuf *w, const void *p, size_t n)
{
    if (w->n + n > sizeof(w->b)) {
        w->overflow = true;
        return;
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void nb_w_u64(struct nb_wbuf *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (unsigned char)v;
    nb_w(w, b, 8);
}

/* An id: 0xff + 16 bytes when it is 32 lowercase hex digits, else its
 * length (< 0xff) and bytes. */
static void nb_w_id(struct nb_wbuf *w, const char *s)
{
    size_t len = strlen(s);
    unsigned char raw[16], tag;
    bool hex = len == 32 && strspn(s, "0123456789abcdef") == 32;
    if (hex && nb_hex_decode(s, raw, 16) == 0) {
        tag = 0xff;
        nb_w(w, &tag, 1);
        nb_w(w, raw, 16);
        return;
    }
    tag = (unsigned char)(len < 0xff ? len : 0xfe);
    nb_w(w, &tag, 1);
    nb_w(w, s, tag);
}

struct nb_rbuf {
    const unsigned char *b;
    size_t n, off;
    bool bad;
};

static const unsigned char *nb_r(struct nb_rbuf *r, size_t n)
{
    const unsigned char *p;
    if (r->off + n > r->n) {
        r->bad = true;
        return NULL;
    }
    p = r->b + r->off;
    r->off += n;
    return p;
}

static uint64_t nb_r_u64(struct nb_rbuf *r)
{
    const unsigned char *p = nb_r(r, 8);
    uint64_t v = 0;
    for (int i = 0; p && i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void nb_r_id(struct nb_rbuf *r, char out[NB_IDSZ])
{
    const unsigned char *tag = nb_r(r, 1), *p;
    out[0] = '\0';
    if (!tag)
        return;
    if (*tag == 0xff) {
        p = nb_r(r, 16);
        if (p)
            nb_hex_encode(p, 16, out);
        return;
    }
    if (*tag >= NB_IDSZ) {
        r->bad = true;
        return;
    }
    p = nb_r(r, *tag);
    if (p) {
        memcpy(out, p, *tag);
        out[*tag] = '\0';
    }
}

int nb_token_encode(const struct nb_token *t, char **out)
{
    struct nb_wbuf w = {0};
    unsigned char key[NB_KEY_BYTES], *sealed;
    unsigned char flags = 0, b;
    unsigned long long clen;
    uint32_t kid;
    size_t total;
    int r;

    r = nb_keys_primary(&kid, key);
    if (r < 0)
        return r;
    b = NB_TOKEN_VERSION;
    nb_w(&w, &b, 1);
    b = (unsigned char)t->methods;
    nb_w(&w, &b, 1);
    b = (unsigned char)t->scope;
    nb_w(&w, &b, 1);
    if (t->has_parent)
        flags |= NB_TF_PARENT;
    if (t->trust_id[0])
        flags |= NB_TF_TRUST;
    if (t->app_cred_id[0])
        flags |= NB_TF_APPCRED;
    nb_w(&w, &flags, 1);
    nb_w_u64(&w, (uint64_t)t->issued_at);
    nb_w_u64(&w, (uint64_t)t->expires_at);
    nb_w(&w, t->audit, NB_AUDIT_LEN);
    if (t->has_parent)
        nb_w(&w, t->parent_audit, NB_AUDIT_LEN);
    nb_w_id(&w, t->user_id);
    nb_w_id(&w, t->user_domain_id);
    if (t->scope == NB_SCOPE_PROJECT || t->scope == NB_SCOPE_DOMAIN) {
        nb_w_id(&w, t->scope_id);
        nb_w_id(&w, t->scope_domain_id);
    }
    if (t->trust_id[0])
        nb_w_id(&w, t->trust_id);
    if (t->app_cred_id[0])
        nb_w_id(&w, t->app_cred_id);
    if (w.overflow) {
        sodium_memzero(key, sizeof(key));
        return -E2BIG;
    }

    total = NB_HDR_LEN + NB_NONCE_LEN + w.n + NB_MAC_LEN;
    sealed = nb_xmalloc(total);
    sealed[0] = NB_TOKEN_MAGIC;
    sealed[1] = (unsigned char)(kid >> 24);
    sealed[2] = (unsigned char)(kid >> 16);
    sealed[3] = (unsigned char)(kid >> 8);
    sealed[4] = (unsigned char)kid;
    randombytes_buf(sealed + NB_HDR_LEN, NB_NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        sealed + NB_HDR_LEN + NB_NONCE_LEN, &clen, w.b, w.n, sealed, NB_HDR_LEN,
        NULL, sealed + NB_HDR_LEN, key);
    sodium_memzero(key, sizeof(key));
    *out = nb_b64url_encode(sealed, NB_HDR_LEN + NB_NONCE_LEN + (size_t)clen);
    free(sealed);
    return 0;
}

int nb_token_decode(const char *s, struct nb_token *t)
{
    unsigned char key[NB_KEY_BYTES], plain[NB_PAYLOAD_MAX], *raw = NULL;
    const unsigned char *p;
    unsigned long long plen;
    struct nb_rbuf r = {0};
    size_t n = 0;
    uint32_t kid;
    unsigned flags;
    int ret = -EPERM;

    memset(t, 0, sizeof(*t));
    if (!s || strlen(s) > 1024 || nb_b64url_decode(s, &raw, &n) < 0)
        return -EPERM;
    if (n < NB_HDR_LEN + NB_NONCE_LEN + NB_MAC_LEN ||
        n - NB_HDR_LEN - NB_NONCE_LEN - NB_MAC_LEN > sizeof(plain) ||
        raw[0] != NB_TOKEN_MAGIC)
        goto out;
    kid = (uint32_t)raw[1] << 24 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 8 | raw[4];
    if (nb_keys_find(kid, key) < 0)
        goto out;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain, &plen, NULL, raw + NB_HDR_LEN + NB_NONCE_LEN,
            n - NB_HDR_LEN - NB_NONCE_LEN, raw, NB_HDR_LEN, raw + NB_HDR_LEN, key) != 0)
        goto out;

    r.b = plain;
    r.n = (size_t)plen;
    p = nb_r(&r, 4);
    if (!p || p[0] != NB_TOKEN_VERSION || p[2] > NB_SCOPE_SYSTEM)
        goto out;
    t->methods = p[1];
    t->scope = (enum nb_scope)p[2];
    flags = p[3];
    t->issued_at = (int64_t)nb_r_u64(&r);
    t->expires_at = (int64_t)nb_r_u64(&r);
    if ((p = nb_r(&r, NB_AUDIT_LEN)))
        memcpy(t->audit, p, NB_AUDIT_LEN);
    if (flags & NB_TF_PARENT) {
        t->has_parent = true;
        if ((p = nb_r(&r, NB_AUDIT_LEN)))
            memcpy(t->parent_audit, p, NB_AUDIT_LEN);
    }
    nb_r_id(&r, t->user_id);
    nb_r_id(&r, t->user_domain_id);
    if (t->scope == NB_SCOPE_PROJECT || t->scope == NB_SCOPE_DOMAIN) {
        nb_r_id(&r, t->scope_id);
        nb_r_id(&r, t->scope_domain_id);
    }
    if (flags & NB_TF_TRUST)
        nb_r_id(&r, t->trust_id);
    if (flags & NB_TF_APPCRED)
        nb_r_id(&r, t->app_cred_id);
    if (!r.bad && r.off == r.n)
        ret = 0;
out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(plain, sizeof(plain));
    free(raw);
    if (ret < 0)
        memset(t, 0, sizeof(*t));
    return ret;
}

int nb_token_check(const struct nb_token *t, bool allow_expired)
{
    int64_t now = nb_now_us(), limit = t->expires_at;
    if (allow_expired)
        limit += nb_conf_int("token", "allow_expired_window") * 1000000;
    if (now >= limit)
        return -EPERM;
    if (nb_revoke_is_revoked(t))
        return -EPERM;
    return 0;
}

void nb_token_audit_str(const unsigned char audit[NB_AUDIT_LEN], char out[32])
{
    char *s = nb_b64url_encode(audit, NB_AUDIT_LEN);
    snprintf(out, 32, "%s", s);
    free(s);
}
