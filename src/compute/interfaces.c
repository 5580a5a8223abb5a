/* os-interface (attach_interfaces.py): a server's ports.  Lists and shows
 * read the network service (ports whose device is the server); an attach
 * creates (or takes) the port and binds it to the server's host at once,
 * records it in network_info and has the host plug it; a detach has the
 * host unplug it and release the port.  Network calls are made outside the
 * compute transaction (the network service writes in its own). */
#include "compute/actions.h"
#include "compute/handlers.h"
#include "network/network.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define NB_IF_RULE(x) "os_compute_api:os-attach-interfaces:" x

/* Nova's view of one port. */
static json_t *nb_if_view(const json_t *port, int mv)
{
    json_t *ips = json_array(), *v;
    const json_t *ip;
    size_t i;

    json_array_foreach(json_object_get(port, "fixed_ips"), i, ip)
        json_array_append_new(ips, json_pack("{s:O?,s:O?}", "ip_address",
                                             json_object_get(ip, "ip_address"), "subnet_id",
                                             json_object_get(ip, "subnet_id")));
    v = json_pack("{s:O?,s:O?,s:O?,s:O?,s:o}", "net_id", json_object_get(port, "network_id"),
                  "port_id", json_object_get(port, "id"), "mac_addr",
                  json_object_get(port, "mac_address"), "port_state",
                  json_object_get(port, "status"), "fixed_ips", ips);
    if (mv >= NB_MV(2, 70))
        json_object_set_new(v, "tag", json_null());
    return v;
}

/* Loads the server (read transaction) and enforces 'rule'. */
static int nb_if_load(struct nb_req *req, const char *rule, json_t **server)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    json_t *target;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    nb_req_policy_done(req);      /* enforced below, once the server is loaded */
    if (r == 0)
        r = nb_cmp_server_get(ctx, tx, nb_req_param(req, 0), server);
    nb_tx_rollback(tx);
    if (r < 0)
        return r;
    target = json_pack("{s:{s:s}}", "target", "project_id",
                       nb_json_str(*server, "project_id"));
    r = nb_req_enforce(req, rule, target);
    json_decref(target);
    return r;
}

/* Copies the error of a network call made with 'tmp' to 'ctx'. */
static int nb_if_net_err(struct nb_ctx *ctx, const struct nb_ctx *tmp, int r)
{
    return nb_err_set(ctx, tmp->err_status ? tmp->err_status : nb_errno_to_status(r), "%s",
                      tmp->err_msg[0] ? tmp->err_msg : strerror(-r));
}

/* ---- GET /servers/{id}/os-interface */

int nb_cmp_interface_list(struct nb_req *req)
{
    json_t *server = NULL, *ports = NULL, *list, *port;
    size_t i;
    int r = nb_if_load(req, NB_IF_RULE("list"), &server);

    if (r == 0)
        r = nb_network_ports_of_device(nb_req_param(req, 0), &ports);
    if (r == 0) {
        list = json_array();
        json_array_foreach(ports, i, port)
            json_array_append_new(list, nb_if_view(port, nb_req_mv(req)));
        r = nb_reply_json(req, 200, json_pack("{s:o}", "interfaceAttachments", list));
    }
    json_decref(server);
    json_decref(ports);
    return r;
}

/* ---- GET /servers/{id}/os-interface/{port_id} */

static int nb_if_port_of(struct nb_req *req, const char *port_id, json_t **port)
{
    struct nb_ctx *ctx = nb_req_ctx(req), tmp = *ctx;
    const char *id = nb_req_param(req, 0);
    int r = nb_network_port_get(&tmp, port_id, port);
    if (r == -ENOENT || (r < 0 && tmp.err_status == 404))
        return nb_err_set(ctx, 404, "Port %s could not be found.", port_id);
    if (r < 0)
        return nb_if_net_err(ctx, &tmp, r);
    if (strcmp(nb_json_str(*port, "device_id") ? nb_json_str(*port, "device_id") : "", id))
        return nb_err_set(ctx, 404, "Instance %s does not have a port with id %s", id,
                          port_id);
    return 0;
}

int nb_cmp_interface_show(struct nb_req *req)
{
    json_t *server = NULL, *port = NULL;
    int r = nb_if_load(req, NB_IF_RULE("show"), &server);
    if (r == 0)
        r = nb_if_port_of(req, nb_req_param(req, 1), &port);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "interfaceAttachment",
                                              nb_if_view(port, nb_req_mv(req))));
    json_decref(server);
    json_decref(port);
    return r;
}

/* ---- POST /servers/{id}/os-interface */

static const char *const nb_if_vms[] = {NB_VM_ACTIVE, NB_VM_PAUSED, NB_VM_STOPPED, NULL};

static int nb_if_check_ips(struct nb_ctx *ctx, const json_t *ips)
{
    const json_t *ip = json_array_get(ips, 0), *addr;
    if (!json_is_array(ips))
        return nb_cmp_bad_input(ctx, "fixed_ips", ips, "is not of type 'array'");
    if (json_array_size(ips) != 1)
        return nb_cmp_bad_input(ctx, "fixed_ips", ips, json_array_size(ips) ?
                              "is too long" : "[] is too short");
    if (!json_is_object(ip))
        return nb_cmp_bad_input(ctx, "fixed_ips", ip, "is not of type 'object'");
    addr = json_object_get(ip, "ip_address");
    if (!addr)
        return nb_cmp_bad_input(ctx, "fixed_ips", ip, "'ip_address' is a required property");
    if (json_object_size(ip) != 1)
        return nb_cmp_bad_input(ctx, "fixed_ips", ip, "Additional properties are not allowed");
    if (!json_is_string(addr) || !(nb_cmp_is_ip(json_string_value(addr), AF_INET) ||
                                    nb_cmp_is_ip(json_string_value(addr), AF_INET6)))
        return nb_cmp_bad_input(ctx, "ip_address", addr, "is not a 'ip-address'");
    return 0;
}

/* The body's schema: {"interfaceAttachment": {net_id, port_id, fixed_ips,
 * tag (2.49)}}, every part optional. */
static int nb_if_check(struct nb_req *req, const json_t *body, const json_t **att)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *key;
    const json_t *v;
    int r = 0;

    *att = NULL;
    json_object_foreach((json_t *)body, key, v)
        if (strcmp(key, "interfaceAttachment"))
            return nb_err_set(ctx, 400, "Additional properties are not allowed ('%s' was "
                              "unexpected)", key);
    *att = json_object_get(body, "interfaceAttachment");
    if (!*att)
        return 0;
    if (!json_is_object(*att))
        return nb_cmp_bad_input(ctx, "interfaceAttachment", *att, "is not of type 'object'");
    json_object_foreach((json_t *)*att, key, v) {
        if (!strcmp(key, "net_id") || !strcmp(key, "port_id")) {
            if (!json_is_string(v) || !nb_uuid_is_dashed(json_string_value(v)))
                r = nb_cmp_bad_input(ctx, key, v, "is not a 'uuid'");
        } else if (!strcmp(key, "fixed_ips")) {
            r = nb_if_check_ips(ctx, v);
        } else if (!strcmp(key, "tag") && nb_req_mv(req) >= NB_MV(2, 49)) {
            if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 60 ||
                strpbrk(json_string_value(v), "/,"))
                r = nb_cmp_bad_input(ctx, key, v, "does not match '^[^,/]*$'");
        } else {
            r = nb_err_set(ctx, 400, "Additional properties are not allowed ('%s' was "
                           "unexpected)", key);
        }
        if (r < 0)
            return r;
    }
    if (json_object_get(*att, "net_id") && json_object_get(*att, "port_id"))
        return nb_err_set(ctx, 400, "Must not input both network_id and port_id");
    if (json_object_get(*att, "fixed_ips") && !json_object_get(*att, "net_id"))
        return nb_err_set(ctx, 400, "Must input network_id when request IP address");
    return 0;
}

/* The network to attach to when none was named: the one usable network. */
static int nb_if_default_net(struct nb_ctx *ctx, char **net_id)
{
    struct nb_ctx tmp = *ctx;
    json_t *nets = NULL;
    int r = nb_network_list_usable(&tmp, &nets);
    if (r < 0)
        r = nb_if_net_err(ctx, &tmp, r);
    else if (json_array_size(nets) == 0)
        r = nb_err_set(ctx, 400, "No network was found to attach the interface to.");
    else if (json_array_size(nets) > 1)
        r = nb_err_set(ctx, 400, "Multiple possible networks found, use a Network ID to be "
                                 "more specific.");
    else
        *net_id = nb_xstrdup(nb_json_str(json_array_get(nets, 0), "id"));
    json_decref(nets);
    return r;
}

/* Creates (network) or takes (port) the port as the caller may, then binds
 * it to the server acting for its owner.  *made says whether it is ours. */
static int nb_if_port_make(struct nb_req *req, const json_t *server, const json_t *att,
                           json_t **port, bool *made)
{
    struct nb_ctx *ctx = nb_req_ctx(req), tmp = *ctx, owner;
    const char *port_id = nb_json_str(att, "port_id"), *id = nb_json_str(server, "id");
    char *net_id = nb_xstrdup(nb_json_str(att, "net_id"));
    char *dev_owner = nb_xasprintf("compute:%s", nb_json_str(server, "availability_zone") ?
                                   nb_json_str(server, "availability_zone") : "nova");
    json_t *net = NULL, *spec = NULL;
    int r = 0;

    nb_cmp_ctx_for(&owner, nb_json_str(server, "project_id"), nb_json_str(server, "user_id"),
                   ctx->request_id);
    *made = !port_id;
    spec = json_pack("{s:s,s:s,s:s}", "device_id", id, "device_owner", dev_owner,
                     "binding:host_id", nb_json_str(server, "host"));
    if (port_id) {
        r = nb_network_port_get(&tmp, port_id, port);
        if (r < 0)
            r = tmp.err_status == 404 || r == -ENOENT
                    ? nb_err_set(ctx, 404, "Port %s could not be found.", port_id)
                    : nb_if_net_err(ctx, &tmp, r);
        else if (nb_json_str(*port, "device_id") && *nb_json_str(*port, "device_id"))
            r = nb_err_set(ctx, 409, "Port %s is still in use.", port_id);
        json_decref(*port);
        *port = NULL;
        if (r == 0 && (r = nb_network_port_update(&owner, port_id, spec, port)) < 0)
            r = nb_if_net_err(ctx, &owner, r);
        goto out;
    }
    if (!net_id && (r = nb_if_default_net(ctx, &net_id)) < 0)
        goto out;
    if ((r = nb_network_get(&tmp, net_id, &net)) < 0) {
        r = tmp.err_status == 404 || r == -ENOENT
                ? nb_err_set(ctx, 404, "Network %s could not be found.", net_id)
                : nb_if_net_err(ctx, &tmp, r);
        goto out;
    }
    json_object_set_new(spec, "network_id", json_string(net_id));
    json_object_set_new(spec, "tenant_id", json_string(nb_json_str(server, "project_id")));
    if (json_object_get(att, "fixed_ips"))
        json_object_set(spec, "fixed_ips", json_object_get(att, "fixed_ips"));
    r = nb_network_port_create(&owner, spec, port);
    if (r < 0 && owner.err_status == 409 && json_object_get(att, "fixed_ips"))
        r = nb_err_set(ctx, 409, "Fixed IP %s is already in use.",
                       nb_json_str(json_array_get(json_object_get(att, "fixed_ips"), 0),
                                   "ip_address"));
    else if (r < 0)
        r = nb_err_set(ctx, owner.err_status == 409 || owner.err_status == 413 ? 403 :
                       owner.err_status == 404 ? 404 : 400, "%s", owner.err_msg);
out:
    json_decref(net);
    json_decref(spec);
    free(net_id);
    free(dev_owner);
    return r;
}

/* The network_info entry of 'port' (the form the build writes). */
static json_t *nb_if_vif(struct nb_ctx *ctx, const json_t *port, bool made)
{
    json_t *ips = json_array(), *net = NULL, *vif;
    struct nb_ctx tmp = *ctx;
    const json_t *ip;
    size_t i;

    json_array_foreach(json_object_get(port, "fixed_ips"), i, ip) {
        const char *a = nb_json_str(ip, "ip_address");
        json_array_append_new(ips, json_pack("{s:s?,s:O?,s:i}", "ip_address", a, "subnet_id",
                                             json_object_get(ip, "subnet_id"), "version",
                                             a && strchr(a, ':') ? 6 : 4));
    }
    nb_network_get(&tmp, nb_json_str(port, "network_id"), &net);
    vif = json_pack("{s:O?,s:O?,s:O?,s:O?,s:o,s:b}", "port_id", json_object_get(port, "id"),
                    "network_id", json_object_get(port, "network_id"), "network_name",
                    json_object_get(net, "name"), "mac", json_object_get(port, "mac_address"),
                    "fixed_ips", ips, "created_by_nova", made);
    json_decref(net);
    return vif;
}

/* Records the port in network_info and the action, if the server is still
 * in a state to take it. */
static int nb_if_record(struct nb_req *req, const json_t *vif)
{
    struct nb_act_req a = {.req = req, .ctx = nb_req_ctx(req), .id = nb_req_param(req, 0)};
    json_t *info, *set;
    int r = nb_tx_begin(nb_cmp_db(), true, &a.tx);
    if (r == 0)
        r = nb_cmp_server_get(a.ctx, a.tx, a.id, &a.server);
    if (r == 0)
        r = nb_act_check(&a, "attach_interface", true, nb_if_vms, NULL);
    if (r == 0) {
        info = json_deep_copy(json_object_get(a.server, "network_info"));
        if (!json_is_array(info))
            info = json_array();
        json_array_append(info, (json_t *)vif);
        set = json_pack("{s:o}", "network_info", info);
        r = nb_cmp_server_set(a.tx, a.id, set);
        json_decref(set);
    }
    if (r == 0)
        r = nb_cmp_action_record(a.ctx, a.tx, a.id, "attach_interface");
    if (r == 0) {
        r = nb_tx_commit(a.tx);
        a.tx = NULL;
    }
    nb_tx_rollback(a.tx);
    json_decref(a.server);
    return r;
}

int nb_cmp_interface_attach(struct nb_req *req)
{
    struct nb_act_req a = {.req = req, .ctx = nb_req_ctx(req), .id = nb_req_param(req, 0)};
    const json_t *body = nb_req_json(req), *att = NULL;
    json_t *port = NULL, *vif = NULL, *args;
    bool made = false;
    int r;

    if (!body) {
        nb_req_policy_done(req);
        return -EINVAL;
    }
    r = nb_if_check(req, body, &att);
    if (r < 0) {
        nb_req_policy_done(req);
        return r;
    }
    r = nb_if_load(req, NB_IF_RULE("create"), &a.server);
    if (r == 0)
        r = nb_act_check(&a, "attach_interface", true, nb_if_vms, NULL);
    if (r == 0)
        r = nb_act_check_host(&a);
    if (r == 0)
        r = nb_if_port_make(req, a.server, att, &port, &made);
    if (r == 0) {
        vif = nb_if_vif(a.ctx, port, made);
        r = nb_if_record(req, vif);
        if (r < 0) {      /* the port goes back as it was */
            struct nb_ctx owner;
            nb_cmp_ctx_for(&owner, nb_json_str(a.server, "project_id"),
                           nb_json_str(a.server, "user_id"), a.ctx->request_id);
            if (made) {
                nb_network_port_delete(&owner, nb_json_str(port, "id"));
            } else {
                json_t *unbind = json_pack("{s:s,s:s,s:s}", "device_id", "", "device_owner",
                                           "", "binding:host_id", "");
                nb_network_port_update(&owner, nb_json_str(port, "id"), unbind, NULL);
                json_decref(unbind);
            }
        }
    }
    if (r == 0) {
        args = json_pack("{s:O}", "port", port);
        r = nb_cmp_task_publish(nb_json_str(a.server, "host"), "attach_interface", a.id,
                                a.ctx->request_id, args);
        json_decref(args);
    }
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "interfaceAttachment",
                                              nb_if_view(port, nb_req_mv(req))));
    json_decref(a.server);
    json_decref(port);
    json_decref(vif);
    return r;
}

/* ---- DELETE /servers/{id}/os-interface/{port_id} */

int nb_cmp_interface_detach(struct nb_req *req)
{
    struct nb_act_req a = {.req = req, .ctx = nb_req_ctx(req), .id = nb_req_param(req, 0)};
    const char *port_id = nb_req_param(req, 1);
    const json_t *vif;
    json_t *target = NULL, *args = NULL;
    bool found = false;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), true, &a.tx);

    nb_req_policy_done(req);      /* enforced below, once the server is loaded */
    if (r == 0)
        r = nb_cmp_server_get(a.ctx, a.tx, a.id, &a.server);
    if (r == 0) {
        target = json_pack("{s:{s:s}}", "target", "project_id",
                           nb_json_str(a.server, "project_id"));
        r = nb_req_enforce(req, NB_IF_RULE("delete"), target);
    }
    if (r == 0)
        r = nb_act_check(&a, "detach_interface", true, nb_if_vms, NULL);
    json_array_foreach(json_object_get(a.server, "network_info"), i, vif)
        found |= !strcmp(nb_json_str(vif, "port_id") ? nb_json_str(vif, "port_id") : "",
                         port_id);
    if (r == 0 && !found)
        r = nb_err_set(a.ctx, 404, "Port %s is not attached", port_id);
    if (r == 0)
        r = nb_act_check_host(&a);
    if (r == 0)
        r = nb_cmp_action_record(a.ctx, a.tx, a.id, "detach_interface");
    if (r == 0) {
        r = nb_tx_commit(a.tx);
        a.tx = NULL;
    }
    if (r == 0) {
        args = json_pack("{s:s}", "port_id", port_id);
        r = nb_cmp_task_publish(nb_json_str(a.server, "host"), "detach_interface", a.id,
                                a.ctx->request_id, args);
    }
    if (r == 0)
        r = nb_reply_empty(req, 202);
    nb_tx_rollback(a.tx);
    json_decref(a.server);
    json_decref(target);
    json_decref(args);
    return r;
}
