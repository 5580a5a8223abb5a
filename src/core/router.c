/* The router: a route pattern is matched segment by segment; "{x}" takes
 * one decoded segment, "{x*}" the rest of the path (Swift object names). */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define NB_MAX_PARAMS 8

static int nb_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Returns a new string: 's' (n bytes) with %XX decoded, and '+' as a space
 * when 'plus' (query strings). */
char *nb_url_decode(const char *s, size_t n, bool plus)
{
    char *out = nb_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = nb_hexval(s[i + 1])) >= 0 &&
            (lo = nb_hexval(s[i + 2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus && s[i] == '+') {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

/* Matches 'path' against 'pattern'; on success fills params (new strings). */
static bool nb_pattern_match(const char *pattern, const char *path,
                             char **params, int *nparams)
{
    const char *p = pattern, *s = path;
    int n = 0;

    for (;;) {
        const char *pe, *se;
        if (*p == '/' && *s == '/') {
            p++;
            s++;
        } else if (*p == '\0' && (*s == '\0' || (*s == '/' && s[1] == '\0'))) {
            /* a trailing slash is tolerated, as the OpenStack services do */
            *nparams = n;
            return true;
        } else {
            break;
        }
        pe = strchr(p, '/');
        if (!pe)
            pe = p + strlen(p);
        se = strchr(s, '/');
        if (!se)
            se = s + strlen(s);
        if (*p == '{') {
            bool rest = pe - p >= 3 && pe[-2] == '*';
            if (rest)
                se = s + strlen(s);
            if (se == s || n == NB_MAX_PARAMS)
                break;
            params[n++] = nb_url_decode(s, (size_t)(se - s), false);
        } else if (pe - p != se - s || strncmp(p, s, (size_t)(pe - p)) != 0) {
            break;
        }
        p = pe;
        s = se;
    }
    for (int i = 0; i < n; i++) {
        free(params[i]);
        params[i] = NULL;
    }
    return false;
}

int nb_router_match(const struct nb_service *svc, const char *method,
                    const char *path, const struct nb_route **route,
                    char **params, int *nparams)
{
    bool path_found = false;
    bool head = strcmp(method, "HEAD") == 0;
    const struct nb_route *get_for_head = NULL;
    char *get_params[NB_MAX_PARAMS];
    int get_n = 0;

    for (size_t i = 0; i < svc->nroutes; i++) {
        const struct nb_route *rt = &svc->routes[i];
        char *tmp[NB_MAX_PARAMS];
        int n = 0;
        if (!nb_pattern_match(rt->pattern, path, tmp, &n))
            continue;
        if (strcmp(rt->method, method) == 0) {
            if (get_for_head)
                for (int k = 0; k < get_n; k++)
                    free(get_params[k]);
            memcpy(params, tmp, sizeof(char *) * (size_t)n);
            *nparams = n;
            *route = rt;
            return 0;
        }
        if (head && !get_for_head && strcmp(rt->method, "GET") == 0) {
            get_for_head = rt;
            memcpy(get_params, tmp, sizeof(char *) * (size_t)n);
            get_n = n;
        } else {
            for (int k = 0; k < n; k++)
                free(tmp[k]);
        }
        path_found = true;
    }
    if (get_for_head) {
        memcpy(params, get_params, sizeof(char *) * (size_t)get_n);
        *nparams = get_n;
        *route = get_for_head;
        return 0;
    }
    *nparams = 0;
    return path_found ? -EOPNOTSUPP : -ENOENT;
}
