/* What other modules (compute) may do with networks and ports: the calls
 * of network.h.  Each is one transaction through the same code the API
 * handlers run (the kinds' create/update/remove, Neutron's checks, quotas
 * and messages), without HTTP; a committed port change reaches the data
 * plane as an API change does. */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>

/* Another module renders the error in its own API's form: the message
 * without the NeutronError type nb_net_err() puts in front of it. */
static int nb_net_plain(struct nb_ctx *ctx, int r)
{
    char *end;
    if (r < 0 && ctx->err_msg[0] == '\x01' && (end = strchr(ctx->err_msg + 1, '\x01')))
        memmove(ctx->err_msg, end + 1, strlen(end + 1) + 1);
    return r;
}

/* Runs 'fn' in a read transaction. */
static int nb_net_read(struct nb_ctx *ctx,
                       int (*fn)(struct nb_ctx *, struct nb_tx *, void *), void *arg)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_net_db(), false, &tx);
    if (r == 0)
        r = fn(ctx, tx, arg);
    nb_tx_rollback(tx);
    return nb_net_plain(ctx, r);
}

/* Runs 'fn' in a write transaction of the kind 'ops' (as the API does). */
static int nb_net_export_write(struct nb_ctx *ctx, const struct nb_net_ops *ops,
                               int (*fn)(struct nb_ctx *, struct nb_tx *, void *),
                               void *arg)
{
    return nb_net_plain(ctx, nb_net_write(ctx, ops, fn, arg));
}

/* One document by id, as the caller may see it. */
struct nb_net_one {
    const struct nb_net_kind *kind;
    const char *id;
    const json_t *in;           /* create/update body */
    json_t *doc;
};

static int nb_net_one_get_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_one *a = arg;
    return nb_net_load(ctx, tx, a->kind, a->id, &a->doc);
}

/* Loads a->id of a->kind into a new rendered reference in *out. */
static int nb_net_one_get(struct nb_ctx *ctx, struct nb_net_one *a, json_t **out)
{
    int r = nb_net_read(ctx, nb_net_one_get_tx, a);
    if (r == 0)
        *out = nb_net_rendered(ctx, a->doc);
    json_decref(a->doc);
    return r;
}

int nb_network_get(struct nb_ctx *ctx, const char *id, json_t **out)
{
    struct nb_net_one a = {.kind = &nb_net_networks, .id = id};
    return nb_net_one_get(ctx, &a, out);
}

int nb_network_port_get(struct nb_ctx *ctx, const char *id, json_t **out)
{
    struct nb_net_one a = {.kind = &nb_net_ports, .id = id};
    return nb_net_one_get(ctx, &a, out);
}

/* Nova's rule for the networks a server may use without naming one
 * (nova/network/neutron.py _get_available_networks): the project's own
 * networks that are not shared, and every shared network. */
static int nb_net_usable_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    json_t **out = arg, *all = NULL, *n;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_networks, NULL, &all);
    if (r < 0)
        return r;
    *out = json_array();
    json_array_foreach(all, i, n) {
        const char *p = nb_json_str(n, "project_id");
        bool shared = json_is_true(json_object_get(n, "shared"));
        if (shared || (p && !strcmp(p, ctx->caller.project.id)))
            json_array_append_new(*out, nb_net_rendered(ctx, n));
    }
    json_decref(all);
    return 0;
}

/* GET /v2.0/networks's visibility: an admin sees all. */
static int nb_net_visible_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    json_t **out = arg, *all = NULL, *n;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_networks, NULL, &all);
    if (r < 0)
        return r;
    *out = json_array();
    json_array_foreach(all, i, n) {
        const char *p = nb_json_str(n, "project_id");
        if (nb_net_is_admin(ctx) || nb_net_public(n) ||
            (p && !strcmp(p, ctx->caller.project.id)))
            json_array_append_new(*out, nb_net_rendered(ctx, n));
    }
    json_decref(all);
    return 0;
}

int nb_network_list_visible(struct nb_ctx *ctx, json_t **out)
{
    return nb_net_read(ctx, nb_net_visible_tx, out);
}

int nb_network_list_usable(struct nb_ctx *ctx, json_t **out)
{
    return nb_net_read(ctx, nb_net_usable_tx, out);
}

/* ---- documents of one kind through its ops, as the API's handlers
 * change them (policy aside: the calling module enforces its own). */
struct nb_net_change {
    const struct nb_net_ops *ops;
    const char *id;
    const json_t *in;           /* create/update body */
    json_t *doc;
};

static int nb_net_create_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_change *a = arg;
    return a->ops->create(ctx, tx, a->in, &a->doc);
}

static int nb_net_update_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_change *a = arg;
    int r = nb_net_load(ctx, tx, a->ops->kind, a->id, &a->doc);
    return r < 0 ? r : nb_net_doc_update(ctx, tx, a->ops, a->doc, a->in);
}

static int nb_net_delete_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_change *a = arg;
    int r = nb_net_load(ctx, tx, a->ops->kind, a->id, &a->doc);
    if (r == 0)
        r = a->ops->remove(ctx, tx, a->doc);
    if (r == 0 && (r = nb_net_remove(tx, a->ops->kind, a->id)) == -ENOENT)
        r = 0;
    return r;
}

/* Runs one change ('fn' on document 'id' of the kind of 'ops', with body
 * 'in'); *out (may be NULL) gets the document as ctx sees it. */
static int nb_net_change(struct nb_ctx *ctx, const struct nb_net_ops *ops,
                         const char *id, const json_t *in,
                         int (*fn)(struct nb_ctx *, struct nb_tx *, void *),
                         json_t **out)
{
    struct nb_net_change a = {ops, id, in, NULL};
    int r;
    if (fn != nb_net_delete_tx && !json_is_object(in))
        return nb_net_plain(ctx, nb_net_err(ctx, 400, "HTTPBadRequest",
                                            "Resource body required"));
    r = nb_net_export_write(ctx, ops, fn, &a);
    if (r == 0 && out)
        *out = nb_net_rendered(ctx, a.doc);
    json_decref(a.doc);
    return r;
}

int nb_network_port_create(struct nb_ctx *ctx, const json_t *port, json_t **out)
{
    return nb_net_change(ctx, &nb_net_port_ops, NULL, port, nb_net_create_tx, out);
}

int nb_network_port_update(struct nb_ctx *ctx, const char *id,
                           const json_t *changes, json_t **out)
{
    return nb_net_change(ctx, &nb_net_port_ops, id, changes, nb_net_update_tx, out);
}

int nb_network_port_delete(struct nb_ctx *ctx, const char *id)
{
    return nb_net_change(ctx, &nb_net_port_ops, id, NULL, nb_net_delete_tx, NULL);
}

int nb_network_secgroup_get(struct nb_ctx *ctx, const char *id, json_t **out)
{
    struct nb_net_one a = {.kind = &nb_net_secgroups, .id = id};
    return nb_net_one_get(ctx, &a, out);
}

int nb_network_secgroup_create(struct nb_ctx *ctx, const json_t *sg, json_t **out)
{
    return nb_net_change(ctx, &nb_net_secgroup_ops, NULL, sg, nb_net_create_tx, out);
}

int nb_network_secgroup_update(struct nb_ctx *ctx, const char *id,
                               const json_t *changes, json_t **out)
{
    return nb_net_change(ctx, &nb_net_secgroup_ops, id, changes, nb_net_update_tx, out);
}

int nb_network_secgroup_delete(struct nb_ctx *ctx, const char *id)
{
    return nb_net_change(ctx, &nb_net_secgroup_ops, id, NULL, nb_net_delete_tx, NULL);
}

int nb_network_sgrule_create(struct nb_ctx *ctx, const json_t *rule, json_t **out)
{
    return nb_net_change(ctx, &nb_net_sgrule_ops, NULL, rule, nb_net_create_tx, out);
}

int nb_network_sgrule_delete(struct nb_ctx *ctx, const char *id)
{
    return nb_net_change(ctx, &nb_net_sgrule_ops, id, NULL, nb_net_delete_tx, NULL);
}

/* Every security group ctx may see (all projects' for an admin asking
 * for them), each with its rules. */
struct nb_net_sg_list {
    bool all;
    json_t *out;
};

static int nb_net_sg_list_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_sg_list *a = arg;
    json_t *all = NULL, *sg;
    char *def = NULL;
    size_t i;
    /* as Neutron's list, the caller's project gets its default group */
    int r = nb_net_default_sg(ctx, tx, ctx->caller.project.id, &def);
    free(def);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_secgroups, NULL, &all);
    if (r < 0)
        return r;
    a->out = json_array();
    json_array_foreach(all, i, sg) {
        const char *p = nb_json_str(sg, "project_id");
        if ((a->all && nb_net_is_admin(ctx)) || (p && !strcmp(p, ctx->caller.project.id)))
            json_array_append_new(a->out, nb_net_rendered(ctx, sg));
    }
    json_decref(all);
    return 0;
}

int nb_network_secgroup_list(struct nb_ctx *ctx, bool all_projects, json_t **out)
{
    struct nb_net_sg_list a = {all_projects, NULL};
    int r = nb_net_export_write(ctx, &nb_net_secgroup_ops, nb_net_sg_list_tx, &a);
    *out = a.out;
    return r;
}

/* Ports whose stored text has '"key":"value' (then 'exact': '"') and
 * whose parsed attribute matches: the text test is only a cheap
 * prefilter (LIKE wildcards in 'value' make it wider, never narrower). */
struct nb_net_match {
    const char *key, *value;
    bool exact;                 /* whole value, else a prefix */
    json_t *out;
};

static int nb_net_ports_match_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_match *m = arg;
    struct nb_stmt *st = NULL;
    char *pat = nb_xasprintf("%%\"%s\":\"%s%s%%", m->key, m->value,
                             m->exact ? "\"" : "");
    int r = nb_tx_query(tx, &st, "SELECT doc FROM net_ports WHERE doc LIKE ?"
                        " ORDER BY id", "s", pat);
    (void)ctx;
    m->out = json_array();
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_t *doc = json_loads(nb_stmt_text(st, 0), 0, NULL);
        const char *v = nb_json_str(doc, m->key);
        r = 0;
        if (v && (m->exact ? !strcmp(v, m->value)
                           : !strncmp(v, m->value, strlen(m->value))))
            json_array_append(m->out, doc);
        json_decref(doc);
    }
    nb_stmt_done(st);
    free(pat);
    return r;
}

static int nb_net_ports_match(struct nb_net_match *m, json_t **out)
{
    struct nb_ctx ctx = {0};
    int r = nb_net_read(&ctx, nb_net_ports_match_tx, m);
    if (r == 0)
        *out = m->out;
    else
        json_decref(m->out);
    return r;
}

int nb_network_ports_of_device(const char *device_id, json_t **out)
{
    struct nb_net_match m = {"device_id", device_id, true, NULL};
    return nb_net_ports_match(&m, out);
}

int nb_network_ports_by_owner(const char *prefix, json_t **out)
{
    struct nb_net_match m = {"device_owner", prefix, false, NULL};
    return nb_net_ports_match(&m, out);
}

/* Security groups by name or id (Nova's server create names them). */
struct nb_net_sg_find {
    const char *name;
    char *id;
};

static int nb_net_secgroup_tx(struct nb_ctx *ctx, struct nb_tx *tx, void *arg)
{
    struct nb_net_sg_find *a = arg;
    struct nb_stmt *st = NULL;
    json_t *doc = NULL;
    int n = 0, r;
    struct nb_ctx quiet = {0};

    quiet.caller = ctx->caller;
    if (nb_net_load(&quiet, tx, &nb_net_secgroups, a->name, &doc) == 0) {
        a->id = nb_xstrdup(nb_json_str(doc, "id"));
        json_decref(doc);
        return 0;
    }
    /* the default group exists once a project asks for it */
    if (!strcmp(a->name, "default"))
        return nb_net_default_sg(ctx, tx, ctx->caller.project.id, &a->id);
    r = nb_tx_query(tx, &st, "SELECT doc FROM net_secgroups WHERE project_id = ?",
                    "s", ctx->caller.project.id);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        r = 0;
        doc = json_loads(nb_stmt_text(st, 0), 0, NULL);
        if (doc && !strcmp(nb_json_str(doc, "name") ? nb_json_str(doc, "name") : "",
                           a->name)) {
            n++;
            free(a->id);
            a->id = nb_xstrdup(nb_json_str(doc, "id"));
        }
        json_decref(doc);
    }
    nb_stmt_done(st);
    if (r < 0)
        return r;
    if (n == 1)
        return 0;
    free(a->id);
    a->id = NULL;
    if (n > 1)
        return nb_net_err(ctx, 409, "DuplicateSecurityGroupName", "Multiple "
                          "security_group matches found for name '%s', use an ID "
                          "to be more specific.", a->name);
    return nb_net_err(ctx, 404, "SecurityGroupNotFound", "Security group %s does "
                      "not exist", a->name);
}

int nb_network_secgroup_id(struct nb_ctx *ctx, const char *name_or_id, char **id)
{
    struct nb_net_sg_find a = {name_or_id, NULL};
    int r = nb_net_export_write(ctx, &nb_net_secgroup_ops, nb_net_secgroup_tx, &a);
    if (r == 0)
        *id = a.id;
    return r;
}

int nb_network_wait_plugged(int timeout_ms)
{
    return nb_dataplane_wait(timeout_ms);
}
