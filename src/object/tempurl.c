/* Temporary URLs (Swift's tempurl middleware): an HMAC of
 * "METHOD\nEXPIRES\nPATH" (or "prefix:PATH-PREFIX" with temp_url_prefix)
 * under one of the account's or the container's Temp-URL-Key(-2), in
 * SHA1, SHA256 or SHA512, as hex or "<digest>:<base64>".  The path may
 * be signed as Swift sees it ("/v1/AUTH_x/c/o") or as the client does
 * through the /object prefix. */
#include "object/internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct nb_tempurl_sig {
    const EVP_MD *md;
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t len;
};

/* Decodes the signature: hex (digest by length) or "<digest>:<base64>". */
static int nb_tempurl_sig_parse(const char *s, struct nb_tempurl_sig *out)
{
    const char *colon = strchr(s, ':');
    size_t n;

    if (colon) {
        unsigned char raw[2 * EVP_MAX_MD_SIZE];
        char *b64;
        int k;
        size_t bl;
        if (strncmp(s, "sha1:", 5) == 0)
            out->md = EVP_sha1();
        else if (strncmp(s, "sha256:", 7) == 0)
            out->md = EVP_sha256();
        else if (strncmp(s, "sha512:", 7) == 0)
            out->md = EVP_sha512();
        else
            return -EINVAL;
        b64 = nb_xstrdup(colon + 1);
        bl = strlen(b64);
        for (char *p = b64; *p; p++)
            *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
        while (bl % 4) {                      /* restore the padding */
            b64 = nb_xrealloc(b64, bl + 2);
            b64[bl++] = '=';
            b64[bl] = '\0';
        }
        k = bl / 4 * 3 <= sizeof(raw) ? EVP_DecodeBlock(raw, (unsigned char *)b64, (int)bl)
                                      : -1;
        if (k > 0)
            while (bl && b64[bl - 1] == '=') {
                k--;
                bl--;
            }
        if (k > 0 && (size_t)k <= sizeof(out->mac))
            memcpy(out->mac, raw, (size_t)k);
        free(b64);
        if (k < 0 || (size_t)k != (size_t)EVP_MD_size(out->md))
            return -EINVAL;
        out->len = (size_t)k;
        return 0;
    }
    n = strlen(s);
    out->md = n == 40 ? EVP_sha1() : n == 64 ? EVP_sha256() : n == 128 ? EVP_sha512() : NULL;
    if (!out->md || nb_hex_decode(s, out->mac, n / 2) < 0)
        return -EINVAL;
    out->len = n / 2;
    return 0;
}

/* Does HMAC(key, msg) equal the signature? */
static bool nb_tempurl_mac_ok(const struct nb_tempurl_sig *sig, const char *key,
                              const char *msg)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;

    return HMAC(sig->md, key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac,
                &ml) != NULL &&
           ml == sig->len && CRYPTO_memcmp(mac, sig->mac, ml) == 0;
}

/* Does HMAC(key, method\nexpires\npath) equal the signature? */
static bool nb_tempurl_match(const struct nb_tempurl_sig *sig, const char *key,
                             const char *method, const char *expires, const char *path)
{
    char *msg = nb_xasprintf("%s\n%s\n%s", method, expires, path);
    bool ok = nb_tempurl_mac_ok(sig, key, msg);
    free(msg);
    return ok;
}

bool nb_obj_sig_ok(const char *sig_s, const char *key, const char *msg)
{
    struct nb_tempurl_sig sig;

    return nb_tempurl_sig_parse(sig_s, &sig) == 0 && nb_tempurl_mac_ok(&sig, key, msg);
}

json_t *nb_obj_signing_keys(struct nb_obj_rq *rq)
{
    static const char *const names[] = {"x-account-meta-temp-url-key",
                                        "x-account-meta-temp-url-key-2",
                                        "x-container-meta-temp-url-key",
                                        "x-container-meta-temp-url-key-2"};
    struct nb_obj_container c = {0};
    struct nb_tx *tx = NULL;
    json_t *keys = json_array(), *ameta = NULL;

    if (nb_tx_begin(nb_obj_env->db, false, &tx) < 0)
        return keys;
    nb_obj_account_meta(tx, rq->account, &ameta);
    nb_obj_container_load(tx, rq->account, rq->container, &c);
    nb_tx_rollback(tx);
    for (size_t i = 0; i < NB_ARRAY_SIZE(names); i++) {
        const char *k = nb_json_str(i < 2 ? ameta : c.meta, names[i]);
        if (k && *k)
            json_array_append_new(keys, json_string(k));
    }
    json_decref(ameta);
    nb_obj_container_clear(&c);
    return keys;
}

int nb_obj_tempurl_check(struct nb_obj_rq *rq, const char *method)
{
    struct nb_req *req = rq->req;
    const char *sig_s = nb_req_query(req, "temp_url_sig");
    const char *exp_s = nb_req_query(req, "temp_url_expires");
    const char *prefix = nb_req_query(req, "temp_url_prefix");
    static const char *const bases[] = {"", "/object"};
    static const char *const heads[] = {"HEAD", "GET", "PUT"};
    struct nb_tempurl_sig sig;
    json_t *keys, *k;
    int64_t expires;
    long v;
    size_t i;
    bool ok = false;

    if (!sig_s && !exp_s)
        return 0;
    if (!rq->object || !sig_s || !exp_s || nb_tempurl_sig_parse(sig_s, &sig) < 0)
        goto denied;
    if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "PUT"))
        goto denied;
    if (nb_str_to_long(exp_s, &v) == 0)
        expires = (int64_t)v * 1000000;
    else if (nb_time_parse(exp_s, &expires) < 0)
        goto denied;
    if (expires < nb_now_us())
        goto denied;
    if (prefix && strncmp(rq->object, prefix, strlen(prefix)) != 0)
        goto denied;
    keys = nb_obj_signing_keys(rq);
    json_array_foreach(keys, i, k) {
        for (size_t b = 0; b < NB_ARRAY_SIZE(bases) && !ok; b++) {
            char *path = prefix ? nb_xasprintf("prefix:%s/v1/%s/%s/%s", bases[b], rq->account,
                                               rq->container, prefix)
                                : nb_xasprintf("%s/v1/%s/%s/%s", bases[b], rq->account,
                                               rq->container, rq->object);
            /* a HEAD may use a signature made for GET, HEAD or PUT */
            for (size_t m = 0; m < NB_ARRAY_SIZE(heads) && !ok; m++)
                if (strcmp(method, "HEAD") == 0 || strcmp(method, heads[m]) == 0)
                    ok = nb_tempurl_match(&sig, json_string_value(k), heads[m], exp_s, path);
            free(path);
        }
        if (ok)
            break;
    }
    json_decref(keys);
    if (ok)
        return 1;
denied:
    nb_req_policy_done(req);
    return nb_req_err(req, 401, "Temp URL invalid");
}
