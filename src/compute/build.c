/* The pipeline's own agent ops: "build" (Nova's _build_and_run_instance:
 * ports, image, spawn; a spawn failure is rescheduled on another host up
 * to [compute] max_attempts) and "delete" (terminate: the guest, the
 * ports, the row), and the port bookkeeping both share.  A port is in the
 * row's network_info once the build that made it ends; every port made
 * for a server also carries its id as device_id, so a crash between a
 * port's creation and the row's network_info never leaves a port without
 * its server: the resumed build takes it, or nb_cmp_ports_reconcile at
 * start releases it.  Deletes release what network_info names. */
#include "compute/internal.h"
#include "image/image.h"
#include "network/network.h"

#include <stdlib.h>
#include <string.h>

#define NB_BUILD_EVENT "compute__do_build_and_run_instance"
#define NB_DELETE_EVENT "compute_terminate_instance"

/* ---- ports */

/* Whether port 'port_id' is one the user gave (networks: [{"port"}]):
 * released by unbinding it, never deleted. */
static bool nb_port_is_users(const json_t *row, const char *port_id)
{
    const json_t *nets = json_object_get(json_object_get(row, "request"), "networks");
    size_t i;
    json_t *e;
    json_array_foreach(nets, i, e) {
        const char *p = nb_json_str(e, "port");
        if (p && !strcmp(p, port_id))
            return true;
    }
    return false;
}

static int nb_port_release_one(struct nb_ctx *ctx, const char *port_id, bool users)
{
    int r;
    if (users) {
        json_t *ch = json_pack("{s:s,s:s,s:s}", "device_id", "", "device_owner", "",
                               "binding:host_id", "");
        r = nb_network_port_update(ctx, port_id, ch, NULL);
        json_decref(ch);
    } else {
        r = nb_network_port_delete(ctx, port_id);
    }
    if (r == -ENOENT)
        r = 0;
    if (r < 0)
        nb_warn("compute: port %s of a server could not be released: %s", port_id,
                ctx->err_msg[0] ? ctx->err_msg : strerror(-r));
    return r;
}

int nb_cmp_ports_release(const json_t *row, const json_t *network_info)
{
    struct nb_ctx ctx;
    size_t i;
    json_t *e;
    int r = 0, r2;

    nb_cmp_ctx_for(&ctx, nb_json_str(row, "project_id"), nb_json_str(row, "user_id"),
                   NULL);
    if (!network_info)
        network_info = json_object_get(row, "network_info");
    json_array_foreach(network_info, i, e) {
        if (!nb_json_str(e, "port_id"))
            continue;
        r2 = nb_port_release_one(&ctx, nb_json_str(e, "port_id"),
                                 !json_is_true(json_object_get(e, "created_by_nova")));
        r = r ? r : r2;
    }
    return r;
}

int nb_cmp_ports_reconcile(void)
{
    json_t *ports = NULL, *p;
    size_t i;
    int n = 0, r = nb_network_ports_by_owner("compute:", &ports);
    if (r < 0)
        return r;
    json_array_foreach(ports, i, p) {
        const char *dev = nb_json_str(p, "device_id"), *pid = nb_json_str(p, "id");
        const char *host;
        json_t *row = NULL;
        struct nb_tx *tx = NULL;
        bool release;
        if (!dev || !*dev)
            continue;
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
        if (r == 0)
            r = nb_cmp_server_get_raw(tx, dev, &row);
        nb_tx_rollback(tx);
        if (r == -ENOENT) {
            /* no such server at all: only this host's bindings are ours */
            const char *bound = nb_json_str(p, "binding:host_id");
            struct nb_ctx ctx;
            r = 0;
            if (bound && strcmp(bound, nb_cmp_host()))
                continue;
            nb_cmp_ctx_for(&ctx, nb_json_str(p, "project_id"), NULL, NULL);
            nb_port_release_one(&ctx, pid, false);
            n++;
            continue;
        }
        if (r < 0)
            break;
        host = nb_json_str(row, "host");
        release = !json_is_null(json_object_get(row, "deleted_at"));
        if (!release && (!host || !strcmp(host, nb_cmp_host())) &&
            strcmp(nb_json_str(row, "vm_state"), NB_VM_BUILDING)) {
            /* a live server keeps the ports its network_info names */
            size_t j;
            json_t *e;
            release = true;
            json_array_foreach(json_object_get(row, "network_info"), j, e)
                if (!strcmp(nb_json_str(e, "port_id") ? nb_json_str(e, "port_id") : "",
                            pid))
                    release = false;
        }
        if (release) {
            struct nb_ctx ctx;
            nb_cmp_ctx_for(&ctx, nb_json_str(row, "project_id"),
                           nb_json_str(row, "user_id"), NULL);
            nb_port_release_one(&ctx, pid, nb_port_is_users(row, pid));
            n++;
        }
        json_decref(row);
    }
    json_decref(ports);
    if (n)
        nb_info("compute: released %d port(s) left without their server", n);
    return r;
}

/* ---- build */

struct nb_build {
    struct nb_cmp_task *t;
    struct nb_ctx ctx;              /* the owner's, with the admin role */
    const json_t *row;
    json_t *info;                   /* network_info being made */
    json_t *existing;               /* resume: ports already made for it */
    json_t *networks;               /* network id -> network doc */
    json_t *sgs;                    /* security group ids, or NULL (default) */
    char *owner;                    /* "compute:<zone>" */
};

/* Network 'id' (cached for the build). */
static int nb_build_network(struct nb_build *b, const char *id, const json_t **out)
{
    json_t *net = json_object_get(b->networks, id);
    int r = 0;
    if (!net && (r = nb_network_get(&b->ctx, id, &net)) == 0)
        json_object_set_new(b->networks, id, net);
    *out = net;
    return r;
}

json_t *nb_cmp_vif_entry(const json_t *port, const json_t *net, bool by_nova,
                         const char *tag)
{
    json_t *ips = json_array(), *f;
    size_t i;
    const char *pid = nb_json_str(port, "id");
    char ifname[16];
    json_array_foreach(json_object_get(port, "fixed_ips"), i, f) {
        const char *ip = nb_json_str(f, "ip_address");
        json_array_append_new(ips, json_pack("{s:s,s:s?,s:i}", "ip_address", ip,
                                             "subnet_id", nb_json_str(f, "subnet_id"),
                                             "version", ip && strchr(ip, ':') ? 6 : 4));
    }
    snprintf(ifname, sizeof(ifname), "tap%.11s", pid);
    return json_pack(
        "{s:s,s:s,s:s?,s:s,s:o,s:b,s:O?,s:s,s:s?}", "port_id", pid,
        "network_id", nb_json_str(port, "network_id"),
        "network_name", nb_json_str(net, "name"), "mac", nb_json_str(port, "mac_address"),
        "fixed_ips", ips, "created_by_nova", by_nova, "mtu", json_object_get(net, "mtu"),
        "ifname", ifname, "tag", tag);
}

/* Appends port 'port' to the network_info. */
static int nb_build_info_add(struct nb_build *b, const json_t *port, bool by_nova,
                             const char *tag)
{
    const json_t *net = NULL;
    int r = nb_build_network(b, nb_json_str(port, "network_id"), &net);
    if (r == 0)
        json_array_append_new(b->info, nb_cmp_vif_entry(port, net, by_nova, tag));
    return r;
}

/* Binds a port the user gave to this server and host. */
static int nb_build_port_user(struct nb_build *b, const char *port_id, const char *tag)
{
    json_t *ch = json_pack("{s:s,s:s,s:s}", "device_id", b->t->server_id,
                           "device_owner", b->owner, "binding:host_id", b->t->host);
    json_t *port = NULL;
    int r = nb_network_port_update(&b->ctx, port_id, ch, &port);
    if (r == 0)
        r = nb_build_info_add(b, port, false, tag);
    json_decref(port);
    json_decref(ch);
    return r;
}

/* A port this build made before a crash on network 'net', taken out of
 * b->existing; NULL when none. */
static json_t *nb_build_port_existing(struct nb_build *b, const char *net)
{
    size_t i;
    json_t *p;
    json_array_foreach(b->existing, i, p)
        if (!strcmp(nb_json_str(p, "network_id"), net)) {
            json_incref(p);
            json_array_remove(b->existing, i);
            return p;
        }
    return NULL;
}

/* Makes a port on network 'net' (with 'fixed_ip' when given). */
static int nb_build_port_new(struct nb_build *b, const char *net, const char *fixed_ip,
                             const char *tag)
{
    json_t *port = nb_build_port_existing(b, net), *body;
    int r = 0;
    if (!port) {
        body = json_pack("{s:s,s:s,s:s,s:s}", "network_id", net, "device_id",
                         b->t->server_id, "device_owner", b->owner,
                         "binding:host_id", b->t->host);
        if (fixed_ip)
            json_object_set_new(body, "fixed_ips",
                                json_pack("[{s:s}]", "ip_address", fixed_ip));
        if (b->sgs)
            json_object_set(body, "security_groups", b->sgs);
        r = nb_network_port_create(&b->ctx, body, &port);
        json_decref(body);
    }
    if (r == 0)
        r = nb_build_info_add(b, port, true, tag);
    json_decref(port);
    return r;
}

/* The security groups asked, as ids; NULL when only the default one (a
 * port gets it without asking). */
static int nb_build_sgs(struct nb_build *b)
{
    const json_t *want = json_object_get(json_object_get(b->row, "request"),
                                         "security_groups");
    size_t i;
    json_t *g;
    bool only_default = true;
    int r = 0;
    json_array_foreach(want, i, g) {
        const char *name = json_is_string(g) ? json_string_value(g) : nb_json_str(g, "name");
        only_default = only_default && name && !strcmp(name, "default");
    }
    if (only_default)
        return 0;
    b->sgs = json_array();
    json_array_foreach(want, i, g) {
        const char *name = json_is_string(g) ? json_string_value(g) : nb_json_str(g, "name");
        char *id = NULL;
        if (!name)
            continue;
        r = nb_network_secgroup_id(&b->ctx, name, &id);
        if (r < 0)
            break;
        json_array_append_new(b->sgs, json_string(id));
        free(id);
    }
    return r;
}

/* The networks of the request: [{uuid, port, fixed_ip, tag}], or "auto"
 * (or nothing, before 2.37): the one network the project may use, if
 * any; or "none". */
static int nb_build_ports(struct nb_build *b)
{
    const json_t *nets = json_object_get(json_object_get(b->row, "request"), "networks");
    json_t *usable = NULL, *e;
    size_t i;
    int r = 0;

    if (json_is_string(nets) && !strcmp(json_string_value(nets), "none"))
        return 0;
    if (!json_is_array(nets)) {
        r = nb_network_list_usable(&b->ctx, &usable);
        if (r == 0 && json_array_size(usable) > 1)
            r = nb_err_set(&b->ctx, 409, "Multiple possible networks found, use a "
                           "Network ID to be more specific.");
        if (r == 0 && json_array_size(usable) == 1)
            r = nb_build_port_new(b, nb_json_str(json_array_get(usable, 0), "id"), NULL,
                                  NULL);
        json_decref(usable);
        return r;
    }
    json_array_foreach(nets, i, e) {
        const char *port = nb_json_str(e, "port"), *tag = nb_json_str(e, "tag");
        if (port)
            r = nb_build_port_user(b, port, tag);
        else if (nb_json_str(e, "uuid"))
            r = nb_build_port_new(b, nb_json_str(e, "uuid"), nb_json_str(e, "fixed_ip"),
                                  tag);
        if (r < 0)
            break;
    }
    return r;
}

/* Runs 'changes' on the server with the build's event, in one write
 * transaction: the event starts ('start'), finishes (ok 1 or 0) or
 * neither (-1); task_state becomes 'task' (NULL: cleared) unless a delete
 * came meanwhile. */
static int nb_build_record(struct nb_cmp_task *t, const json_t *changes,
                           const char *task, bool start, int ok)
{
    struct nb_tx *tx = NULL;
    int r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0 && changes)
        r = nb_cmp_server_set(tx, t->server_id, changes);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "UPDATE cmp_instances SET task_state = ? WHERE"
                       " id = ? AND (task_state IS NULL OR task_state <> 'deleting')",
                       "ss", task, t->server_id);
    if (r == 0 && start)
        r = nb_cmp_event_start(tx, t->server_id, t->request_id, NB_BUILD_EVENT, t->host);
    if (r == 0 && ok >= 0)
        r = nb_cmp_event_finish(tx, t->server_id, t->request_id, NB_BUILD_EVENT, ok,
                                NULL);
    if (r == 0)
        return nb_tx_commit(tx);
    nb_tx_rollback(tx);
    return r;
}

/* A failed build: the ports made so far released, then another host (a
 * spawn failure with attempts left) or ERROR with the fault. */
static int nb_build_fail(struct nb_build *b, const char *message, const char *details,
                         bool retry)
{
    struct nb_cmp_task *t = b->t;
    const json_t *req = json_object_get(b->row, "request");
    json_t *retry_info = json_deep_copy(json_object_get(req, "retry")), *newreq, *ch;
    long max = nb_conf_int("compute", "max_attempts");
    int64_t attempts;
    char *msg = NULL;
    int r;

    nb_cmp_ports_release(b->row, b->info);
    if (!json_is_object(retry_info)) {
        json_decref(retry_info);
        retry_info = json_pack("{s:i,s:[]}", "num_attempts", 1, "hosts");
    }
    attempts = json_integer_value(json_object_get(retry_info, "num_attempts"));
    if (retry && attempts < max) {
        json_object_set_new(retry_info, "num_attempts", json_integer(attempts + 1));
        json_array_append_new(json_object_get(retry_info, "hosts"), json_string(t->host));
        newreq = json_deep_copy(req);
        if (!json_is_object(newreq)) {
            json_decref(newreq);
            newreq = json_object();
        }
        json_object_set(newreq, "retry", retry_info);
        nb_info("compute: rescheduling server %s after a failed spawn (%s)",
                t->server_id, message);
        ch = json_pack("{s:n,s:n,s:[],s:o}", "host", "node", "network_info",
                       "request", newreq);
        r = nb_build_record(t, ch, "scheduling", false, 0);
        json_decref(ch);
        if (r == 0) {
            json_t *ids = json_pack("[s]", t->server_id);
            r = nb_cmp_build_publish(ids, t->request_id);
            json_decref(ids);
        }
        json_decref(retry_info);
        return r;
    }
    if (retry)
        message = msg = nb_xasprintf("Exceeded maximum number of retries. Exhausted all "
                                     "hosts available for retrying build failures for "
                                     "instance %s.", t->server_id);
    {
        struct nb_tx *tx = NULL;
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
        if (r == 0)
            r = nb_cmp_server_error(tx, t->server_id, 500, message, details);
        if (r == 0)
            r = nb_tx_exec(tx, NULL, "UPDATE cmp_instances SET network_info = '[]'"
                           " WHERE id = ?", "s", t->server_id);
        if (r == 0)
            r = nb_cmp_event_finish(tx, t->server_id, t->request_id, NB_BUILD_EVENT,
                                    false, details ? details : message);
        if (r == 0)
            r = nb_tx_commit(tx);
        else
            nb_tx_rollback(tx);
    }
    free(msg);
    json_decref(retry_info);
    return r;
}

int nb_cmp_wait_plugged(struct nb_ctx *ctx, const char *server_id)
{
    long s = nb_conf_int("compute", "vif_plugging_timeout");
    int r;
    if (s <= 0)
        return 0;
    r = nb_network_wait_plugged((int)(s > 86400 ? 86400 : s) * 1000);
    if (r < 0)
        nb_err_set(ctx, 500, "Virtual Interface creation failed: the ports of %s"
                   " were not plugged in %ld seconds", server_id, s);
    return r;
}

int nb_cmp_guest_plugged(const struct nb_virt_guest *g, char **err)
{
    int64_t t0 = nb_mono_us();
    int r = nb_cmp_wait_plugged(g->ctx, g->uuid);
    if (r < 0)
        *err = nb_xstrdup(g->ctx->err_msg);
    else
        nb_info("compute: the ports of %s are plugged (waited %.3f s)", g->uuid,
                (double)(nb_mono_us() - t0) / 1e6);
    return r;
}

static int nb_build_run(struct nb_cmp_task *t)
{
    const json_t *row = t->server;
    const char *host = nb_json_str(row, "host"), *task = nb_json_str(row, "task_state");
    const char *image_ref = nb_json_str(row, "image_ref");
    bool resume = json_is_true(json_object_get(t->args, "resume"));
    struct nb_build b = {.t = t, .row = row};
    struct nb_virt_guest g;
    json_t *image = NULL, *ch;
    char *err = NULL, *msg = NULL;
    int r;

    if (!json_is_null(json_object_get(row, "deleted_at")) ||
        strcmp(nb_json_str(row, "vm_state"), NB_VM_BUILDING) || !host ||
        strcmp(host, t->host) || (task && !strcmp(task, "deleting")))
        return 0;       /* built, deleted, or elsewhere: a replayed message */
    nb_cmp_ctx_for(&b.ctx, nb_json_str(row, "project_id"), nb_json_str(row, "user_id"),
                   t->request_id);
    r = nb_build_record(t, NULL, "networking", true, -1);
    if (r < 0)
        return r;
    b.info = json_array();
    b.networks = json_object();
    b.owner = nb_xasprintf("compute:%s", nb_json_str(row, "availability_zone")
                                             ? nb_json_str(row, "availability_zone")
                                             : nb_conf_str("compute",
                                                           "default_availability_zone"));
    if (resume)
        r = nb_network_ports_of_device(t->server_id, &b.existing);
    for (size_t i = json_array_size(b.existing); i-- > 0;)
        if (nb_port_is_users(row, nb_json_str(json_array_get(b.existing, i), "id")))
            json_array_remove(b.existing, i);     /* bound again below */
    if (r == 0)
        r = nb_build_sgs(&b);
    if (r == 0)
        r = nb_build_ports(&b);
    if (r == 0 && image_ref && *image_ref)
        r = nb_image_get(&b.ctx, image_ref, &image);
    if (r < 0) {
        msg = nb_xasprintf("Build of instance %s aborted: %s", t->server_id,
                           b.ctx.err_msg[0] ? b.ctx.err_msg : strerror(-r));
        r = nb_build_fail(&b, msg, b.ctx.err_msg[0] ? b.ctx.err_msg : NULL, false);
        goto out;
    }
    /* ports made before a crash that this run did not take */
    {
        size_t i;
        json_t *p;
        json_array_foreach(b.existing, i, p)
            nb_port_release_one(&b.ctx, nb_json_str(p, "id"),
                                nb_port_is_users(row, nb_json_str(p, "id")));
    }
    nb_cmp_guest_of(row, &b.ctx, &g);
    g.image = image;
    g.ports = b.info;
    if (json_array_size(b.info))
        g.plugged = nb_cmp_guest_plugged;
    r = t->drv->spawn(t->virt, &g, &err);
    if (r < 0) {
        nb_warn("compute: spawn of %s failed: %s", t->server_id, err ? err : strerror(-r));
        t->drv->destroy(t->virt, t->server_id, &msg);
        free(msg);
        msg = NULL;
        r = nb_build_fail(&b, err ? err : strerror(-r), err, true);
        goto out;
    }
    ch = json_pack("{s:s,s:i,s:I,s:O}", "vm_state", NB_VM_ACTIVE, "power_state",
                   NB_POWER_RUNNING, "launched_at", (json_int_t)nb_now_us(),
                   "network_info", b.info);
    r = nb_build_record(t, ch, NULL, false, 1);
    json_decref(ch);
out:
    free(err);
    free(msg);
    free(b.owner);
    json_decref(image);
    json_decref(b.info);
    json_decref(b.networks);
    json_decref(b.existing);
    json_decref(b.sgs);
    return r;
}

/* ---- delete */

/* A server deleted while shelved takes its "<name>-shelved" image with it
 * (Nova deletes the snapshot of a shelved-offloaded server). */
static void nb_delete_shelved_image(const json_t *row, const char *request_id)
{
    const char *image_id = nb_json_str(nb_json_obj(row, "request"), "shelved_image_id");
    struct nb_ctx ctx;

    if (!image_id)
        return;
    nb_cmp_ctx_for(&ctx, nb_json_str(row, "project_id"), nb_json_str(row, "user_id"),
                   request_id);
    if (nb_image_delete(&ctx, image_id) < 0 && ctx.err_status != 404)
        nb_warn("compute: cannot delete the shelved image %s: %s", image_id,
                ctx.err_msg);
}

static int nb_delete_run(struct nb_cmp_task *t)
{
    const json_t *row = t->server;
    struct nb_tx *tx = NULL;
    char *err = NULL;
    json_t *ch;
    int64_t now = nb_now_us();
    int r;

    if (!json_is_null(json_object_get(row, "deleted_at")))
        return 0;
    r = t->drv->destroy(t->virt, t->server_id, &err);
    if (r < 0) {
        nb_warn("compute: the guest of %s could not be destroyed: %s", t->server_id,
                err ? err : strerror(-r));
        r = nb_tx_begin(nb_cmp_db(), true, &tx);
        if (r == 0)
            r = nb_cmp_server_error(tx, t->server_id, 500, err ? err : "destroy failed",
                                    NULL);
        if (r == 0)
            r = nb_tx_commit(tx);
        else
            nb_tx_rollback(tx);
        free(err);
        return r < 0 ? r : -EIO;
    }
    nb_cmp_ports_release(row, NULL);
    nb_delete_shelved_image(row, t->request_id);
    ch = json_pack("{s:s,s:n,s:i,s:I,s:I,s:[]}", "vm_state", NB_VM_DELETED,
                   "task_state", "power_state", NB_POWER_NOSTATE, "deleted_at",
                   (json_int_t)now, "terminated_at", (json_int_t)now, "network_info");
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_server_set(tx, t->server_id, ch);
    if (r == 0)
        r = nb_cmp_group_remove_member(tx, t->server_id);
    if (r == 0)
        r = nb_cmp_event_start(tx, t->server_id, t->request_id, NB_DELETE_EVENT, t->host);
    if (r == 0)
        r = nb_cmp_event_finish(tx, t->server_id, t->request_id, NB_DELETE_EVENT, true,
                                NULL);
    if (r == 0)
        r = nb_tx_commit(tx);
    else
        nb_tx_rollback(tx);
    json_decref(ch);
    return r;
}

const struct nb_cmp_op nb_cmp_pipeline_ops[] = {
    {"build", NULL, nb_build_run},
    {"delete", NULL, nb_delete_run},
    {NULL, NULL, NULL},
};
