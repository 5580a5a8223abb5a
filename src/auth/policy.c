/* The policy engine: oslo.policy's rule language, parsed once into trees.
 *
 * Grammar:   expr := term ('or' term)*      term := factor ('and' factor)*
 *            factor := 'not' factor | '(' expr ')' | check
 *            check  := '@' | '!' | 'rule:NAME' | 'role:NAME' |
 *                      'system_scope:all' | ATTR ':' '%(path)s' | ATTR ':' VALUE
 * ATTR is a caller attribute (user_id, project_id, domain_id,
 * user_domain_id, project_domain_id); '%(a.b.c)s' walks the target. */
#include "auth/auth.h"
#include "auth/policy_rules.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum nb_pnode_kind {
    NB_P_TRUE, NB_P_FALSE, NB_P_AND, NB_P_OR, NB_P_NOT,
    NB_P_RULE, NB_P_ROLE, NB_P_SYSTEM, NB_P_ATTR,
};

struct nb_pnode {
    enum nb_pnode_kind kind;
    struct nb_pnode *a, *b;
    char *name;          /* rule or role name, caller attribute */
    char *path;          /* target path ("target.project.id"), or NULL */
    char *value;         /* literal to compare with, when no path */
};

struct nb_policy {
    const char *name;
    struct nb_pnode *tree;
};

static struct nb_policy *nb_policies;
static size_t nb_npolicies;

static void nb_pnode_free(struct nb_pnode *n)
{
    if (!n)
        return;
    nb_pnode_free(n->a);
    nb_pnode_free(n->b);
    free(n->name);
    free(n->path);
    free(n->value);
    free(n);
}

/* ---- parser */

struct nb_pparse {
    const char *s;
    const char *err;
};

static void nb_pskip(struct nb_pparse *p)
{
    while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n')
        p->s++;
}

/* Reads one word: up to white space or a parenthesis. */
static char *nb_pword(struct nb_pparse *p)
{
    const char *start;
    nb_pskip(p);
    start = p->s;
    while (*p->s && *p->s != ' ' && *p->s != '\t' && *p->s != '\n' &&
           *p->s != '(' && *p->s != ')') {
        if (p->s[0] == '%' && p->s[1] == '(') {     /* "%(target.x)s" */
            const char *close = strchr(p->s, ')');
            if (close) {
                p->s = close + 1;
                continue;
            }
        }
        p->s++;
    }
    return p->s > start ? nb_xstrndup(start, (size_t)(p->s - start)) : NULL;
}

static bool nb_pkeyword(struct nb_pparse *p, const char *kw)
{
    size_t n = strlen(kw);
    nb_pskip(p);
    if (strncmp(p->s, kw, n) == 0 &&
        (p->s[n] == ' ' || p->s[n] == '(' || p->s[n] == '\0' || p->s[n] == '\n')) {
        p->s += n;
        return true;
    }
    return false;
}

static struct nb_pnode *nb_pnew(enum nb_pnode_kind kind)
{
    struct nb_pnode *n = nb_xcalloc(1, sizeof(*n));
    n->kind = kind;
    return n;
}

static struct nb_pnode *nb_pexpr(struct nb_pparse *p);

static struct nb_pnode *nb_pcheck(struct nb_pparse *p)
{
    char *w = nb_pword(p), *colon;
    struct nb_pnode *n = NULL;

    if (!w) {
        p->err = "expected a check";
        return NULL;
    }
    if (strcmp(w, "@") == 0) {
        n = nb_pnew(NB_P_TRUE);
    } else if (strcmp(w, "!") == 0) {
        n = nb_pnew(NB_P_FALSE);
    } else if (!(colon = strchr(w, ':'))) {
        p->err = "a check needs KIND:VALUE";
    } else {
        const char *v = colon + 1;
        *colon = '\0';
        if (strcmp(w, "rule") == 0) {
            n = nb_pnew(NB_P_RULE);
            n->name = nb_xstrdup(v);
        } else if (strcmp(w, "role") == 0) {
            n = nb_pnew(NB_P_ROLE);
            n->name = nb_xstrdup(v);
        } else if (strcmp(w, "system_scope") == 0) {
            n = nb_pnew(strcmp(v, "all") == 0 ? NB_P_SYSTEM : NB_P_FALSE);
        } else {
            size_t len = strlen(v);
            n = nb_pnew(NB_P_ATTR);
            n->name = nb_xstrdup(w);
            if (len > 4 && strncmp(v, "%(", 2) == 0 && strcmp(v + len - 2, ")s") == 0)
                n->path = nb_xstrndup(v + 2, len - 4);
            else
                n->value = nb_xstrdup(v);
        }
    }
    free(w);
    return n;
}

static struct nb_pnode *nb_pfactor(struct nb_pparse *p)
{
    struct nb_pnode *n;
    nb_pskip(p);
    if (nb_pkeyword(p, "not")) {
        n = nb_pnew(NB_P_NOT);
        n->a = nb_pfactor(p);
        if (!n->a) {
            nb_pnode_free(n);
            return NULL;
        }
        return n;
    }
    if (*p->s == '(') {
        p->s++;
        n = nb_pexpr(p);
        nb_pskip(p);
        if (!n || *p->s != ')') {
            if (!p->err)
                p->err = "missing ')'";
            nb_pnode_free(n);
            return NULL;
        }
        p->s++;
        return n;
    }
    return nb_pcheck(p);
}

static struct nb_pnode *nb_pbinary(struct nb_pparse *p, const char *kw,
                                   enum nb_pnode_kind kind,
                                   struct nb_pnode *(*sub)(struct nb_pparse *))
{
    struct nb_pnode *left = sub(p);
    while (left && nb_pkeyword(p, kw)) {
        struct nb_pnode *n = nb_pnew(kind);
        n->a = left;
        n->b = sub(p);
        if (!n->b) {
            nb_pnode_free(n);
            return NULL;
        }
        left = n;
    }
    return left;
}

static struct nb_pnode *nb_pterm(struct nb_pparse *p)
{
    return nb_pbinary(p, "and", NB_P_AND, nb_pfactor);
}

static struct nb_pnode *nb_pexpr(struct nb_pparse *p)
{
    return nb_pbinary(p, "or", NB_P_OR, nb_pterm);
}

/* Parses 'text' into a tree; NULL with *err set on a syntax error. */
static struct nb_pnode *nb_policy_parse(const char *text, const char **err)
{
    struct nb_pparse p = {text, NULL};
    struct nb_pnode *n;
    nb_pskip(&p);
    if (!*p.s)
        return nb_pnew(NB_P_TRUE);     /* "" means anyone, as oslo.policy */
    n = nb_pexpr(&p);
    nb_pskip(&p);
    if (n && *p.s) {
        p.err = "trailing text";
        nb_pnode_free(n);
        n = NULL;
    }
    *err = p.err;
    return n;
}

/* ---- evaluation */

static const struct nb_policy *nb_policy_find(const char *name)
{
    for (size_t i = 0; i < nb_npolicies; i++)
        if (strcmp(nb_policies[i].name, name) == 0)
            return &nb_policies[i];
    return NULL;
}

/* Walks 'path' ("target.project.id") through 'target'. */
static const char *nb_target_value(const json_t *target, const char *path)
{
    const json_t *v = target;
    const char *p = path;
    char key[128];
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
        p += n + (dot ? 1 : 0);
    }
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *nb_caller_attr(const struct nb_caller *c, const char *name)
{
    if (strcmp(name, "user_id") == 0)
        return c->user.id;
    if (strcmp(name, "project_id") == 0 || strcmp(name, "tenant_id") == 0)
        return c->project.id;
    if (strcmp(name, "domain_id") == 0)
        return c->domain.id;
    if (strcmp(name, "user_domain_id") == 0)
        return c->user_domain.id;
    if (strcmp(name, "project_domain_id") == 0)
        return c->project_domain.id;
    return NULL;
}

static bool nb_peval(const struct nb_pnode *n, const struct nb_caller *c,
                     const json_t *target, int depth)
{
    const struct nb_policy *rule;
    const char *mine, *want;

    if (depth > 32)
        return false;
    switch (n->kind) {
    case NB_P_TRUE:
        return true;
    case NB_P_FALSE:
        return false;
    case NB_P_AND:
        return nb_peval(n->a, c, target, depth) && nb_peval(n->b, c, target, depth);
    case NB_P_OR:
        return nb_peval(n->a, c, target, depth) || nb_peval(n->b, c, target, depth);
    case NB_P_NOT:
        return !nb_peval(n->a, c, target, depth);
    case NB_P_RULE:
        rule = nb_policy_find(n->name);
        return rule && nb_peval(rule->tree, c, target, depth + 1);
    case NB_P_ROLE:
        return nb_caller_has_role(c, n->name);
    case NB_P_SYSTEM:
        return c->system_scope;
    case NB_P_ATTR:
        mine = nb_caller_attr(c, n->name);
        want = n->path ? nb_target_value(target, n->path) : n->value;
        return mine && *mine && want && strcmp(mine, want) == 0;
    }
    return false;
}

int nb_policy_init(void)
{
    size_t n;
    const struct nb_policy_rule *rules = nb_policy_rules(&n);

    nb_policy_shutdown();
    nb_policies = nb_xcalloc(n, sizeof(*nb_policies));
    for (size_t i = 0; i < n; i++) {
        const char *err = NULL;
        nb_policies[i].name = rules[i].name;
        nb_policies[i].tree = nb_policy_parse(rules[i].rule, &err);
        nb_npolicies = i + 1;
        if (!nb_policies[i].tree) {
            nb_error("policy: %s: %s in \"%s\"", rules[i].name, err, rules[i].rule);
            return -EINVAL;
        }
    }
    /* every rule: reference must exist, or a typo would deny silently */
    for (size_t i = 0; i < n; i++) {
        const char *p = rules[i].rule;
        while ((p = strstr(p, "rule:"))) {
            char name[96];
            size_t len = strcspn(p + 5, " )\n");
            snprintf(name, sizeof(name), "%.*s", (int)len, p + 5);
            if (!nb_policy_find(name)) {
                nb_error("policy: %s refers to unknown rule %s", rules[i].name, name);
                return -EINVAL;
            }
            p += 5;
        }
    }
    return 0;
}

void nb_policy_shutdown(void)
{
    for (size_t i = 0; i < nb_npolicies; i++)
        nb_pnode_free(nb_policies[i].tree);
    free(nb_policies);
    nb_policies = NULL;
    nb_npolicies = 0;
}

bool nb_policy_allows(const struct nb_ctx *ctx, const char *rule,
                      const json_t *target)
{
    const struct nb_policy *p = nb_policy_find(rule);
    if (!p) {
        nb_error("policy: BUG: no rule named %s; denying", rule);
        return false;
    }
    return ctx->caller.authenticated && nb_peval(p->tree, &ctx->caller, target, 0);
}

int nb_policy_enforce(struct nb_ctx *ctx, const char *rule, const json_t *target)
{
    if (!ctx->caller.authenticated)
        return nb_err_set(ctx, 401, "The request you have made requires "
                                    "authentication.");
    if (nb_policy_allows(ctx, rule, target))
        return 0;
    return nb_err_set(ctx, 403, "You are not authorized to perform the "
                                "requested action: %s.", rule);
}
