/* POST /os-server-external-events (nova/api/openstack/compute/
 * server_external_events.py): what other services (Neutron) tell Nova
 * about a server.  Each event answers with its own code: 200 accepted,
 * 404 no such server, 422 the server is on no host, 400 a tag it needs is
 * missing; the request answers 207 when any event was not accepted and
 * 404 when none was.  Accepted events act at once: network-changed
 * refreshes the server's network_info from its ports, network-vif-deleted
 * drops the port from it, power-update (2.76) records the power state the
 * hypervisor reports. */
#include "compute/extras.h"
#include "compute/catalog.h"
#include "compute/handlers.h"
#include "compute/servers.h"
#include "network/network.h"

#include <stdlib.h>
#include <string.h>

bool nb_cmp_event_name_ok(const char *name, int mv)
{
    static const char *const base[] = {"network-changed", "network-vif-plugged",
                                       "network-vif-unplugged", "network-vif-deleted", NULL};
    for (size_t i = 0; base[i]; i++)
        if (!strcmp(name, base[i]))
            return true;
    if (mv >= NB_MV(2, 51) && !strcmp(name, "volume-extended"))
        return true;
    return mv >= NB_MV(2, 76) && !strcmp(name, "power-update");
}

/* The characters (code points) of UTF-8 string 's'. */
static size_t nb_ev_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Nova's jsonschema checks of one event (events[i]). */
static int nb_ev_check(struct nb_ctx *ctx, int mv, size_t i, const json_t *ev)
{
    static const char *const keys[] = {"server_uuid", "name", "status", "tag", NULL};
    const json_t *uuid = json_object_get(ev, "server_uuid"), *name = json_object_get(ev, "name");
    const json_t *status = json_object_get(ev, "status"), *tag = json_object_get(ev, "tag");
    const char *st = json_string_value(status);
    char path[64];

    snprintf(path, sizeof(path), "events/%zu", i);
    if (!json_is_object(ev))
        return nb_cmp_bad_input(ctx, path, ev, "is not of type 'object'");
    if (nb_cmp_only_keys(ctx, path, ev, keys) < 0)
        return -EINVAL;
    if (!uuid)
        return nb_cmp_bad_input(ctx, path, ev, "'server_uuid' is a required property");
    if (!name)
        return nb_cmp_bad_input(ctx, path, ev, "'name' is a required property");
    snprintf(path, sizeof(path), "events/%zu/server_uuid", i);
    if (!json_is_string(uuid) || !nb_uuid_is_dashed(json_string_value(uuid)))
        return nb_cmp_bad_input(ctx, path, uuid, "is not a 'uuid'");
    snprintf(path, sizeof(path), "events/%zu/name", i);
    if (!json_is_string(name) || !nb_cmp_event_name_ok(json_string_value(name), mv))
        return nb_cmp_bad_input(ctx, path, name, "is not one of the event names");
    snprintf(path, sizeof(path), "events/%zu/status", i);
    if (status && (!st || (strcmp(st, "failed") && strcmp(st, "completed") &&
                           strcmp(st, "in-progress"))))
        return nb_cmp_bad_input(ctx, path, status,
                                "is not one of ['failed', 'completed', 'in-progress']");
    snprintf(path, sizeof(path), "events/%zu/tag", i);
    if (tag && !json_is_string(tag))
        return nb_cmp_bad_input(ctx, path, tag, "is not of type 'string'");
    if (tag && nb_ev_chars(json_string_value(tag)) > 255)
        return nb_cmp_bad_input(ctx, path, tag, "is too long");
    return 0;
}

static int nb_ev_check_body(struct nb_ctx *ctx, int mv, const json_t *body)
{
    static const char *const keys[] = {"events", NULL};
    const json_t *events = json_object_get(body, "events"), *ev;
    size_t i;
    int r;

    if (!json_is_object(body))
        return nb_cmp_bad_input(ctx, "", body, "is not of type 'object'");
    if (nb_cmp_only_keys(ctx, "", body, keys) < 0)
        return -EINVAL;
    if (!events)
        return nb_cmp_bad_input(ctx, "", body, "'events' is a required property");
    if (!json_is_array(events))
        return nb_cmp_bad_input(ctx, "events", events, "is not of type 'array'");
    if (json_array_size(events) == 0)
        return nb_cmp_bad_input(ctx, "events", events, "is too short");
    json_array_foreach(events, i, ev)
        if ((r = nb_ev_check(ctx, mv, i, ev)) < 0)
            return r;
    return 0;
}

/* ---- what an accepted event does */

/* The network_info of 'server' rebuilt from the ports bound to it now:
 * entries keep their order and tags, ports gone are dropped, ports new
 * to the server are added.  A new array. */
static json_t *nb_ev_network_info(const json_t *server, const json_t *ports)
{
    const json_t *old = json_object_get(server, "network_info"), *e, *p;
    json_t *info = json_array(), *seen = json_object();
    struct nb_ctx ctx;
    size_t i, k;

    nb_cmp_ctx_for(&ctx, nb_json_str(server, "project_id"), nb_json_str(server, "user_id"),
                   NULL);
    json_array_foreach(old, i, e) {
        json_array_foreach(ports, k, p) {
            if (strcmp(nb_json_str(p, "id"), nb_json_str(e, "port_id") ?
                                             nb_json_str(e, "port_id") : ""))
                continue;
            json_t *n = nb_cmp_vif_entry(p, NULL, json_is_true(json_object_get(
                                                      e, "created_by_nova")),
                                         nb_json_str(e, "tag"));
            json_object_set(n, "network_name", json_object_get(e, "network_name"));
            json_object_set(n, "mtu", json_object_get(e, "mtu"));
            json_array_append_new(info, n);
            json_object_set_new(seen, nb_json_str(p, "id"), json_true());
        }
    }
    json_array_foreach(ports, k, p) {
        json_t *net = NULL;
        if (json_object_get(seen, nb_json_str(p, "id")))
            continue;
        nb_network_get(&ctx, nb_json_str(p, "network_id"), &net);
        json_array_append_new(info, nb_cmp_vif_entry(p, net, false, NULL));
        json_decref(net);
    }
    json_decref(seen);
    return info;
}

/* The changes event 'ev' makes to 'server' (NULL: none); the ports are
 * read before the write transaction. */
static json_t *nb_ev_changes(const json_t *server, const json_t *ev)
{
    const char *name = nb_json_str(ev, "name"), *tag = nb_json_str(ev, "tag");
    const char *vm = nb_json_str(server, "vm_state");
    json_t *ports = NULL, *ch = NULL, *e;
    size_t i;

    if (!strcmp(name, "network-changed") &&
        nb_network_ports_of_device(nb_json_str(server, "id"), &ports) == 0) {
        ch = json_pack("{s:o}", "network_info", nb_ev_network_info(server, ports));
    } else if (!strcmp(name, "network-vif-deleted") && tag) {
        json_t *info = json_array();
        json_array_foreach(json_object_get(server, "network_info"), i, e)
            if (strcmp(nb_json_str(e, "port_id") ? nb_json_str(e, "port_id") : "", tag))
                json_array_append(info, e);
        ch = json_pack("{s:o}", "network_info", info);
    } else if (!strcmp(name, "power-update") && !nb_json_str(server, "task_state")) {
        /* Nova's manager: only a server at rest follows the hypervisor */
        if (!strcmp(tag, "POWER_OFF") && !strcmp(vm, NB_VM_ACTIVE))
            ch = json_pack("{s:s,s:i}", "vm_state", NB_VM_STOPPED, "power_state",
                           NB_POWER_SHUTDOWN);
        else if (!strcmp(tag, "POWER_ON") && !strcmp(vm, NB_VM_STOPPED))
            ch = json_pack("{s:s,s:i}", "vm_state", NB_VM_ACTIVE, "power_state",
                           NB_POWER_RUNNING);
    }
    json_decref(ports);
    return ch;
}

/* Applies event 'ev' to server 'id' (best effort, as Nova's cast to the
 * host: the event was accepted whatever it finds). */
static void nb_ev_apply(const char *id, const json_t *ev)
{
    struct nb_tx *tx = NULL;
    json_t *server = NULL, *ch = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r == 0)
        r = nb_cmp_server_get_raw(tx, id, &server);
    nb_tx_rollback(tx);
    tx = NULL;
    if (r == 0)
        ch = nb_ev_changes(server, ev);
    if (ch && nb_tx_begin(nb_cmp_db(), true, &tx) == 0) {
        if (nb_cmp_server_set(tx, id, ch) == 0)
            nb_tx_commit(tx);
        else
            nb_tx_rollback(tx);
    }
    json_decref(ch);
    json_decref(server);
}

/* ---- the handler */

/* The code of one event for the server it names (Nova's order: unknown
 * server, missing tag, no host). */
static int nb_ev_code(struct nb_tx *tx, const json_t *ev)
{
    const char *name = nb_json_str(ev, "name");
    json_t *server = NULL;
    int code = 200;

    if (nb_cmp_server_get_raw(tx, nb_json_str(ev, "server_uuid"), &server) < 0 ||
        json_integer_value(json_object_get(server, "deleted_at")))
        code = 404;
    else if (!nb_json_str(ev, "tag") &&
             (!strcmp(name, "volume-extended") || !strcmp(name, "power-update")))
        code = 400;
    else if (!nb_json_str(server, "host"))
        code = 422;
    json_decref(server);
    return code;
}

int nb_cmp_external_events_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *body = nb_req_json(req), *ev;
    struct nb_tx *tx = NULL;
    json_t *out = json_array(), *codes = json_array();
    size_t i, accepted = 0;
    int status = 200, r;

    if (!body) {
        r = -EINVAL;
        goto out;
    }
    if ((r = nb_ev_check_body(ctx, nb_req_mv(req), body)) < 0)
        goto out;
    if ((r = nb_tx_begin(nb_cmp_db(), false, &tx)) < 0)
        goto out;
    json_array_foreach(json_object_get(body, "events"), i, ev) {
        int code = nb_ev_code(tx, ev);
        json_t *o = json_deep_copy(ev);
        if (code != 200) {
            json_object_set_new(o, "status", json_string("failed"));
            status = 207;
        } else {
            json_object_set_new(o, "status", json_string("completed"));
            accepted++;
        }
        json_object_set_new(o, "code", json_integer(code));
        json_array_append_new(out, o);
        json_array_append_new(codes, json_integer(code));
    }
    nb_tx_rollback(tx);
    if (!accepted) {
        r = nb_err_set(ctx, 404, "No instances found for any event");
        goto out;
    }
    json_array_foreach(json_object_get(body, "events"), i, ev)
        if (json_integer_value(json_array_get(codes, i)) == 200)
            nb_ev_apply(nb_json_str(ev, "server_uuid"), ev);
    r = nb_reply_json(req, status, json_pack("{s:O}", "events", out));
out:
    json_decref(out);
    json_decref(codes);
    return r;
}
