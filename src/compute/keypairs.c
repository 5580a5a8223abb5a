/* os-keypairs: create (a key generated here, the private half returned
 * once), import, list (2.35 paging), show, delete; type ssh or x509 (2.2);
 * another user's keypairs for admins (2.10).  Keys are per user. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

int nb_cmp_keypair_get(struct nb_tx *tx, const char *user_id, const char *name,
                       json_t **out)
{
    struct nb_stmt *st = NULL;
    int r = nb_tx_query(tx, &st, "SELECT name, public_key, type, fingerprint, id,"
                        " created_at, user_id FROM cmp_keypairs WHERE user_id = ?"
                        " AND name = ?", "ss", user_id, name);
    if (r == 0 && (r = nb_stmt_next(st)) > 0) {
        *out = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "name", nb_stmt_text(st, 0),
                         "public_key", nb_stmt_text(st, 1), "type", nb_stmt_text(st, 2),
                         "fingerprint", nb_stmt_text(st, 3),
                         "id", (json_int_t)nb_stmt_int(st, 4),
                         "created_at", (json_int_t)nb_stmt_int(st, 5),
                         "user_id", nb_stmt_text(st, 6));
        r = 0;
    } else if (r == 0) {
        r = -ENOENT;
    }
    nb_stmt_done(st);
    return r;
}

/* ---- keys and fingerprints */

/* "aa:bb:..." of the digest 'md' of 'data'. A new string. */
static char *nb_cmp_fingerprint(const EVP_MD *md, const unsigned char *data, size_t n)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    struct nb_buf b = {0};
    EVP_Digest(data, n, d, &dn, md, NULL);
    for (unsigned i = 0; i < dn; i++)
        nb_buf_printf(&b, "%s%02x", i ? ":" : "", d[i]);
    return nb_buf_steal(&b);
}

/* An OpenSSH public key line "type base64 [comment]": its MD5 fingerprint
 * (as Nova's crypto.generate_fingerprint), or NULL when it is not one. */
static char *nb_cmp_ssh_fingerprint(const char *key)
{
    static const char *const types[] = {
        "ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", NULL,
    };
    const char *sp = strchr(key, ' '), *b64, *end;
    unsigned char *blob = NULL;
    char *fp = NULL;
    size_t tlen, blen, n;
    int dn, pad = 0;
    bool known = false;
    if (!sp)
        return NULL;
    tlen = (size_t)(sp - key);
    for (int i = 0; types[i]; i++)
        known |= strlen(types[i]) == tlen && strncmp(types[i], key, tlen) == 0;
    b64 = sp + strspn(sp, " ");
    end = b64 + strcspn(b64, " \r\n");
    blen = (size_t)(end - b64);
    if (!known || blen == 0 || blen % 4)
        return NULL;
    blob = nb_xmalloc(blen);
    dn = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)blen);
    if (dn < 4)
        goto out;
    pad = (end[-1] == '=') + (end[-2] == '=');
    n = (size_t)dn - (size_t)pad;
    /* the blob starts with the type as an SSH string */
    if (n < 4 + tlen ||
        ((size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3]) !=
            tlen ||
        memcmp(blob + 4, key, tlen) != 0)
        goto out;
    fp = nb_cmp_fingerprint(EVP_md5(), blob, n);
out:
    free(blob);
    return fp;
}

/* The SHA-1 fingerprint of a PEM certificate, or NULL. */
static char *nb_cmp_x509_fingerprint(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    char *fp = NULL;
    int n;
    if (cert && (n = i2d_X509(cert, &der)) > 0)
        fp = nb_cmp_fingerprint(EVP_sha1(), der, (size_t)n);
    OPENSSL_free(der);
    X509_free(cert);
    BIO_free(bio);
    return fp;
}

/* Appends an SSH string (length, bytes). */
static void nb_cmp_ssh_put(struct nb_buf *b, const unsigned char *p, size_t n)
{
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    nb_buf_add(b, len, 4);
    nb_buf_add(b, p, n);
}

/* An SSH mpint from a big-endian magnitude. */
static void nb_cmp_ssh_mpint(struct nb_buf *b, const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    unsigned char *p = nb_xcalloc(1, (size_t)n + 1);
    BN_bn2bin(bn, p + 1);
    /* a leading zero byte when the high bit is set (positive number) */
    if (n > 0 && (p[1] & 0x80))
        nb_cmp_ssh_put(b, p, (size_t)n + 1);
    else
        nb_cmp_ssh_put(b, p + 1, (size_t)n);
    free(p);
}

/* PEM text of what 'write' writes to a memory BIO.  A new string. */
static char *nb_cmp_bio_text(BIO *bio)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? nb_xstrndup(data, (size_t)n) : NULL;
}

/* A new 2048-bit RSA key: the private key as PEM, the public key as an
 * OpenSSH line and its fingerprint (Nova's crypto.generate_key_pair), or
 * with 'x509' a self-signed certificate for 'cn' and its SHA-1
 * fingerprint (generate_winrm_x509_cert).  Strings are new. */
static int nb_cmp_key_generate(bool x509, const char *cn, char **priv, char **pub,
                               char **fp)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    BIGNUM *n = NULL, *e = NULL;
    X509 *cert = NULL;
    int r = -EIO;
    if (!pkey || !bio)
        goto out;
    if (x509) {
        if (!PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL))
            goto out;
        *priv = nb_cmp_bio_text(bio);
        BIO_reset(bio);
        cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 365 * 10);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
                                   (const unsigned char *)cn, -1, -1, 0);
        X509_set_issuer_name(cert, X509_get_subject_name(cert));
        X509_set_pubkey(cert, pkey);
        if (!X509_sign(cert, pkey, EVP_sha256()) || !PEM_write_bio_X509(bio, cert))
            goto out;
        *pub = nb_cmp_bio_text(bio);
        *fp = nb_cmp_x509_fingerprint(*pub);
    } else {
        struct nb_buf blob = {0};
        char *b64;
        if (!PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL) ||
            !EVP_PKEY_get_bn_param(pkey, "n", &n) || !EVP_PKEY_get_bn_param(pkey, "e", &e))
            goto out;
        *priv = nb_cmp_bio_text(bio);
        nb_cmp_ssh_put(&blob, (const unsigned char *)"ssh-rsa", 7);
        nb_cmp_ssh_mpint(&blob, e);
        nb_cmp_ssh_mpint(&blob, n);
        b64 = nb_xmalloc(blob.len / 3 * 4 + 8);
        EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)blob.buf, (int)blob.len);
        *pub = nb_xasprintf("ssh-rsa %s Generated-by-Nova", b64);
        *fp = nb_cmp_fingerprint(EVP_md5(), (unsigned char *)blob.buf, blob.len);
        free(b64);
        nb_buf_free(&blob);
    }
    r = *priv && *pub && *fp ? 0 : -EIO;
out:
    BN_free(n);
    BN_free(e);
    X509_free(cert);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return r;
}

/* ---- views */

static json_t *nb_cmp_keypair_view(struct nb_req *req, const json_t *kp, bool show)
{
    char t[NB_TIME_LEN];
    json_t *o = json_pack("{s:s,s:s,s:s}", "name", nb_json_str(kp, "name"),
                          "public_key", nb_json_str(kp, "public_key"),
                          "fingerprint", nb_json_str(kp, "fingerprint"));
    if (nb_req_mv(req) >= NB_MV(2, 2))
        json_object_set_new(o, "type", json_string(nb_json_str(kp, "type")));
    if (show) {
        nb_time_fmt(json_integer_value(json_object_get(kp, "created_at")), 6, t);
        t[strlen(t) - 1] = '\0';        /* Nova shows no zone here */
        json_object_set_new(o, "user_id", json_string(nb_json_str(kp, "user_id")));
        json_object_set_new(o, "created_at", json_string(t));
        json_object_set_new(o, "deleted", json_false());
        json_object_set_new(o, "deleted_at", json_null());
        json_object_set_new(o, "updated_at", json_null());
        json_object_set(o, "id", json_object_get(kp, "id"));
    }
    return o;
}

/* The user a request acts for: ?user_id= from 2.10 (policy decides who
 * may name another), else the caller. */
static const char *nb_cmp_keypair_user(struct nb_req *req)
{
    const char *u = nb_req_mv(req) >= NB_MV(2, 10) ? nb_req_query(req, "user_id") : NULL;
    return u ? u : nb_req_ctx(req)->caller.user.id;
}

static int nb_cmp_keypair_enforce(struct nb_req *req, const char *rule, const char *user)
{
    json_t *t = json_pack("{s:{s:s}}", "target", "user_id", user);
    int r = nb_req_enforce(req, rule, t);
    json_decref(t);
    return r;
}

static const char *const nb_cmp_kp_query_210[] = {"user_id", NULL};
static const char *const nb_cmp_kp_query_235[] = {"user_id", "limit", "marker", NULL};

/* ---- handlers */

int nb_cmp_keypairs_list(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_cmp_keypair_user(req), *marker = NULL;
    bool paged = nb_req_mv(req) >= NB_MV(2, 35);
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *list = json_array(), *body;
    char *last = NULL;
    long limit = -1;
    int r = nb_cmp_keypair_enforce(req, "os_compute_api:os-keypairs:index", user);
    if (r == 0)
        r = nb_cmp_query_strict(req, paged ? nb_cmp_kp_query_235 : nb_cmp_kp_query_210);
    if (r == 0 && paged)
        r = nb_cmp_paging(req, &limit, &marker);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r < 0)
        goto out;
    if (marker && nb_tx_query_int(tx, &(int64_t){0}, "SELECT 1 FROM cmp_keypairs"
                                  " WHERE user_id = ? AND name = ?", "ss", user,
                                  marker) < 0) {
        r = nb_err_set(ctx, 400, "Marker %s could not be found.", marker);
        goto out;
    }
    r = nb_tx_query(tx, &st, "SELECT name, public_key, type, fingerprint FROM"
                    " cmp_keypairs WHERE user_id = ? AND name > ? ORDER BY name"
                    " LIMIT ?", "ssi", user, marker ? marker : "",
                    limit < 0 ? (int64_t)1 << 40 : (int64_t)limit);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_t *kp = json_pack("{s:s,s:s,s:s,s:s}", "name", nb_stmt_text(st, 0),
                               "public_key", nb_stmt_text(st, 1), "type",
                               nb_stmt_text(st, 2), "fingerprint", nb_stmt_text(st, 3));
        json_array_append_new(list, json_pack("{s:o}", "keypair",
                                              nb_cmp_keypair_view(req, kp, false)));
        free(last);
        last = nb_xstrdup(nb_stmt_text(st, 0));
        json_decref(kp);
        r = 0;
    }
out:
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    if (r < 0) {
        free(last);
        json_decref(list);
        return r;
    }
    body = json_pack("{s:o}", "keypairs", list);
    if (paged && last && json_array_size(list) == (size_t)limit)
        json_object_set_new(body, "keypairs_links", nb_cmp_next_link(req, "os-keypairs",
                                                                     last));
    free(last);
    return nb_reply_json(req, 200, body);
}

int nb_cmp_keypair_show(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_cmp_keypair_user(req), *name = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    json_t *kp = NULL;
    int r = nb_cmp_keypair_enforce(req, "os_compute_api:os-keypairs:show", user);
    if (r == 0)
        r = nb_cmp_query_strict(req, nb_cmp_kp_query_210);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0 && (r = nb_cmp_keypair_get(tx, user, name, &kp)) == -ENOENT)
        nb_err_set(ctx, 404, "Keypair %s not found for user %s", name, user);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    r = nb_reply_json(req, 200, json_pack("{s:o}", "keypair",
                                          nb_cmp_keypair_view(req, kp, true)));
    json_decref(kp);
    return r;
}

int nb_cmp_keypair_delete(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *user = nb_cmp_keypair_user(req), *name = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    int changes = 0;
    int r = nb_cmp_keypair_enforce(req, "os_compute_api:os-keypairs:delete", user);
    if (r == 0)
        r = nb_cmp_query_strict(req, nb_cmp_kp_query_210);
    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_tx_exec(tx, &changes, "DELETE FROM cmp_keypairs WHERE user_id = ?"
                       " AND name = ?", "ss", user, name);
    if (r == 0 && changes == 0)
        r = nb_err_set(ctx, 404, "Keypair %s not found for user %s", name, user);
    return nb_cmp_commit_empty(req, tx, r, nb_req_mv(req) >= NB_MV(2, 2) ? 204 : 202);
}

/* Validates the create body: name, type (2.2), public_key, user_id (2.10). */
static int nb_cmp_keypair_parse(struct nb_req *req, const json_t *kp)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    int mv = nb_req_mv(req);
    const json_t *name = json_object_get(kp, "name"), *v;
    const char *k, *s;
    json_object_foreach((json_t *)kp, k, v) {
        if (strcmp(k, "name") == 0 || strcmp(k, "public_key") == 0 ||
            (strcmp(k, "type") == 0 && mv >= NB_MV(2, 2)) ||
            (strcmp(k, "user_id") == 0 && mv >= NB_MV(2, 10)))
            continue;
        return nb_cmp_bad_key(ctx, "keypair", kp, k);
    }
    if (!name)
        return nb_cmp_bad_input(ctx, "keypair", kp, "'name' is a required property");
    s = json_string_value(name);
    if (!s || !*s || strlen(s) > 255 || strspn(s, "_- abcdefghijklmnopqrstuvwxyz"
                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
                                            strlen(s) ||
        s[0] == ' ' || s[strlen(s) - 1] == ' ')
        return nb_cmp_bad_input(ctx, "keypair/name", name, "is not a 'name'");
    v = json_object_get(kp, "public_key");
    if (v && !json_is_string(v))
        return nb_cmp_bad_input(ctx, "keypair/public_key", v, "is not of type 'string'");
    v = json_object_get(kp, "type");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "ssh") != 0 &&
                                     strcmp(json_string_value(v), "x509") != 0)))
        return nb_cmp_bad_input(ctx, "keypair/type", v,
                                "is not one of ['ssh', 'x509']");
    v = json_object_get(kp, "user_id");
    if (v && !json_is_string(v))
        return nb_cmp_bad_input(ctx, "keypair/user_id", v, "is not of type 'string'");
    return 0;
}

int nb_cmp_keypair_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *kp = nb_cmp_wrapped(req, "keypair");
    json_t *out = NULL;
    const char *name, *type, *user, *pub;
    char *priv = NULL, *gpub = NULL, *fp = NULL;
    struct nb_tx *tx = NULL;
    uint32_t id;
    int r;
    if (!kp)
        return -EINVAL;
    r = nb_cmp_keypair_parse(req, kp);
    if (r < 0)
        return r;
    name = nb_json_str(kp, "name");
    type = nb_json_str(kp, "type") ? nb_json_str(kp, "type") : "ssh";
    user = nb_json_str(kp, "user_id") ? nb_json_str(kp, "user_id") : ctx->caller.user.id;
    r = nb_cmp_keypair_enforce(req, "os_compute_api:os-keypairs:create", user);
    if (r < 0)
        return r;
    pub = nb_json_str(kp, "public_key");
    if (pub) {
        fp = strcmp(type, "x509") == 0 ? nb_cmp_x509_fingerprint(pub)
                                       : nb_cmp_ssh_fingerprint(pub);
        if (!fp)
            return nb_err_set(ctx, 400, "Keypair data is invalid: %s",
                              strcmp(type, "x509") == 0
                                  ? "failed to generate X509 fingerprint. Error"
                                    " message: unable to load certificate"
                                  : "failed to generate fingerprint");
    } else {
        /* generated outside the transaction: it takes a while */
        r = nb_cmp_key_generate(strcmp(type, "x509") == 0, user, &priv, &gpub, &fp);
        if (r < 0)
            goto out;
        pub = gpub;
    }
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r < 0)
        goto out;
    r = nb_cmp_quota_check_one(ctx, tx, ctx->caller.project.id, user, "key_pairs",
                               "Quota exceeded, too many key pairs.");
    if (r == 0 && nb_tx_query_int(tx, &(int64_t){0}, "SELECT 1 FROM cmp_keypairs WHERE"
                                  " user_id = ? AND name = ?", "ss", user, name) == 0)
        r = nb_err_set(ctx, 409, "Key pair '%s' already exists.", name);
    nb_random_bytes(&id, sizeof(id));
    id = (id & 0x7fffffff) | 1;
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_keypairs (user_id, name, id,"
                       " project_id, type, public_key, fingerprint, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ssissssi", user, name,
                       (int64_t)id, ctx->caller.project.id, type, pub, fp,
                       nb_now_us());
    if (r == -EEXIST)
        r = nb_err_set(ctx, 409, "Key pair '%s' already exists.", name);
    if (r < 0)
        goto out;
    r = nb_tx_commit(tx);
    tx = NULL;
    if (r < 0)
        goto out;
    out = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "public_key", pub,
                    "fingerprint", fp, "user_id", user);
    if (nb_req_mv(req) >= NB_MV(2, 2))
        json_object_set_new(out, "type", json_string(type));
    if (priv)
        json_object_set_new(out, "private_key", json_string(priv));
    r = nb_reply_json(req, nb_req_mv(req) >= NB_MV(2, 2) ? 201 : 200,
                      json_pack("{s:o}", "keypair", out));
out:
    nb_tx_rollback(tx);
    free(priv);
    free(gpub);
    free(fp);
    return r;
}
