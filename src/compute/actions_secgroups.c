/* addSecurityGroup / removeSecurityGroup (security_groups.py and
 * network/security_group_api.py): the group goes on (or off) every port
 * of the server through the network service, as Nova does it, with no
 * task; and forceDelete, which is a delete (servers.c) under its own rule.
 * Every network call is made outside the compute transaction: the
 * network service writes in its own. */
#include "compute/actions.h"
#include "compute/handlers.h"
#include "network/network.h"

#include <stdlib.h>
#include <string.h>

int nb_act_check_secgroup(struct nb_act_req *a)
{
    static const char *const keys[] = {"name", NULL};
    const char *field = json_object_get(nb_req_json(a->req), "addSecurityGroup") ?
                        "addSecurityGroup" : "removeSecurityGroup";
    const json_t *name;
    int r;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, field, a->arg, "is not of type 'object'");
    if ((r = nb_cmp_only_keys(a->ctx, field, a->arg, keys)) < 0)
        return r;
    name = json_object_get(a->arg, "name");
    if (!name)
        return nb_cmp_bad_input(a->ctx, field, a->arg, "'name' is a required property");
    if (!json_is_string(name))
        return nb_cmp_bad_input(a->ctx, "name", name, "is not of type 'string'");
    if (!json_string_length(name))
        return nb_cmp_bad_input(a->ctx, "name", name, "is too short");
    return 0;
}

/* The group's id as the caller sees it, with Nova's 404 and 409. */
static int nb_act_secgroup_id(struct nb_act_req *a, const char *name, char **id)
{
    struct nb_ctx tmp = *a->ctx;
    int r;
    tmp.err_status = 0;
    r = nb_network_secgroup_id(&tmp, name, id);
    if (r == -EEXIST)
        return nb_err_set(a->ctx, 409, "Multiple security_group matches found for name "
                          "'%s', use an ID to be more specific.", name);
    if (r < 0)
        return nb_err_set(a->ctx, 404, "Security group %s is not found for project %s",
                          name, a->ctx->caller.project.id);
    return 0;
}

/* Adds ('add') or removes group 'gid' on every port of the server, as the
 * server's owner.  -ENOENT when the server has no port, or (remove) when
 * no port has the group. */
static int nb_act_secgroup_ports(struct nb_act_req *a, const char *gid, bool add)
{
    json_t *ports = NULL, *port;
    struct nb_ctx owner;
    size_t i, done = 0;
    int r = nb_network_ports_of_device(a->id, &ports);

    nb_cmp_ctx_for(&owner, nb_json_str(a->server, "project_id"),
                   nb_json_str(a->server, "user_id"), a->ctx->request_id);
    json_array_foreach(ports, i, port) {
        const json_t *groups = json_object_get(port, "security_groups"), *g;
        json_t *next = json_array(), *changes;
        bool has = false;
        size_t j;
        if (r < 0)
            break;
        json_array_foreach(groups, j, g) {
            if (json_is_string(g) && !strcmp(json_string_value(g), gid))
                has = true;
            else
                json_array_append(next, (json_t *)g);
        }
        if (add || has) {
            if (add)
                json_array_append_new(next, json_string(gid));
            changes = json_pack("{s:o}", "security_groups", next);
            r = nb_network_port_update(&owner, nb_json_str(port, "id"), changes, NULL);
            json_decref(changes);
            done++;
        } else {
            json_decref(next);
        }
    }
    if (r < 0 && owner.err_status)
        r = nb_err_set(a->ctx, owner.err_status, "%s", owner.err_msg);
    json_decref(ports);
    return r < 0 ? r : done ? 0 : -ENOENT;
}

/* Whether 'name' (as recorded) names group 'gid' for the server's owner:
 * a group removed by id drops the name it was added by. */
static bool nb_act_secgroup_is(struct nb_act_req *a, const char *name, const char *gid)
{
    struct nb_ctx tmp = *a->ctx;
    char *id = NULL;
    bool same;
    tmp.err_status = 0;
    same = nb_network_secgroup_id(&tmp, name, &id) == 0 && !strcmp(id, gid);
    free(id);
    return same;
}

/* The names the server view shows follow the ports (servers_view.c reads
 * request.security_groups): 'name' added, or every name of group 'gid'
 * dropped.  The names are resolved before the compute transaction (the
 * network service writes in its own). */
static int nb_act_secgroup_names(struct nb_act_req *a, const char *name, const char *gid,
                                 bool add)
{
    json_t *drop = json_object(), *s = NULL, *req, *names, *set;
    const json_t *n;
    struct nb_tx *tx = NULL;
    size_t i;
    int r;

    json_array_foreach(nb_json_arr(nb_json_obj(a->server, "request"), "security_groups"),
                       i, n)
        if (json_is_string(n) && (!strcmp(json_string_value(n), name) ||
                                  (!add && nb_act_secgroup_is(a, json_string_value(n), gid))))
            json_object_set_new(drop, json_string_value(n), json_true());
    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r == 0)
        r = nb_cmp_server_get(a->ctx, tx, a->id, &s);
    if (r < 0)
        goto out;
    req = json_deep_copy(json_object_get(s, "request"));
    if (!json_is_object(req))
        req = json_object();
    names = json_array();
    json_array_foreach(json_object_get(req, "security_groups"), i, n)
        if (json_is_string(n) && !json_object_get(drop, json_string_value(n)))
            json_array_append(names, (json_t *)n);
    if (add)
        json_array_append_new(names, json_string(name));
    json_object_set_new(req, "security_groups", names);
    set = json_pack("{s:o}", "request", req);
    r = nb_cmp_server_set(tx, a->id, set);
    json_decref(set);
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
out:
    nb_tx_rollback(tx);
    json_decref(s);
    json_decref(drop);
    return r;
}

static int nb_act_secgroup(struct nb_act_req *a, bool add)
{
    const char *name = nb_json_str(a->arg, "name");
    char *gid = NULL;
    int r = nb_act_secgroup_id(a, name, &gid);
    if (r == 0)
        r = nb_act_secgroup_ports(a, gid, add);
    if (r == -ENOENT && add)
        r = nb_err_set(a->ctx, 404, "instance_id %s could not be found as device id on "
                       "any ports", a->id);
    else if (r == -ENOENT)
        r = nb_err_set(a->ctx, 404, "Security group %s not associated with the instance %s",
                       name, a->id);
    if (r == 0)
        r = nb_act_secgroup_names(a, name, gid, add);
    free(gid);
    return r;
}

int nb_act_add_secgroup(struct nb_act_req *a)
{
    return nb_act_secgroup(a, true);
}

int nb_act_remove_secgroup(struct nb_act_req *a)
{
    return nb_act_secgroup(a, false);
}

/* forceDelete (deferred_delete.py): servers are deleted at once here, so
 * a forced delete is the delete, recorded as Nova records it ("delete"). */
int nb_act_force_delete(struct nb_act_req *a)
{
    return nb_cmp_server_delete_start(a->req, "os_compute_api:os-deferred-delete:force",
                                      "delete");
}
