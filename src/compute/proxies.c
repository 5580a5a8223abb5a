/* Nova's network proxy APIs, deprecated at microversion 2.36 (404 from
 * there on): /os-security-groups and /os-security-group-rules (Neutron's groups in
 * Nova's form), /os-networks and /os-tenant-networks.  Every call goes to
 * the owning service through its header, as the caller. */
#include "compute/catalog.h"
#include "compute/handlers.h"
#include "network/network.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 404 from 2.36 on, as Nova answers a removed API; enforces 'rule'. */
static int nb_proxy_begin(struct nb_req *req, const char *rule)
{
    if (nb_cmp_mv_route(req, 0, NB_MV(2, 35)) < 0)
        return -ENOENT;
    return nb_req_enforce(req, rule, NULL) < 0 ? -EACCES : 0;
}

/* Runs a call of another service on a scratch copy of the request's
 * context, then records its error (status kept, 'st404' when not found)
 * on the request. */
#define NB_PROXY_CTX(req, tmp)                                                \
    (tmp = *nb_req_ctx(req), tmp.err_status = 0, tmp.err_msg[0] = '\0', &tmp)

static int nb_proxy_fail(struct nb_req *req, const struct nb_ctx *tmp, int r,
                         const char *not_found)
{
    int st = tmp->err_status ? tmp->err_status : nb_errno_to_status(r);
    if (st == 404 && not_found)
        return nb_req_err(req, 404, "%s", not_found);
    return nb_req_err(req, st, "%s", tmp->err_msg[0] ? tmp->err_msg
                                                     : "The request failed.");
}

/* ---- /os-security-groups, /os-security-group-rules */

/* oslo's is_uuid_like: 32 hex digits, dashes allowed between groups. */
static bool nb_uuid_like(const char *s)
{
    int n = 0;
    for (; s && *s; s++) {
        if (*s == '-')
            continue;
        if (!strchr("0123456789abcdefABCDEF", *s))
            return false;
        n++;
    }
    return s && n == 32;
}

/* Nova's neutron driver refuses group ids that are not uuids (400). */
static int nb_sg_id_check(struct nb_req *req, const char *id)
{
    if (!nb_uuid_like(id))
        return nb_req_err(req, 400, "Security group id should be uuid");
    return 0;
}

/* Nova's rule view of a Neutron ingress rule (its neutron driver's
 * conversion); 'groups' resolves remote group names. */
static json_t *nb_sg_rule_view(struct nb_ctx *ctx, const json_t *rule)
{
    const char *proto = nb_json_str(rule, "protocol");
    const char *remote = nb_json_str(rule, "remote_group_id");
    const char *prefix = nb_json_str(rule, "remote_ip_prefix");
    const json_t *min = json_object_get(rule, "port_range_min");
    const json_t *max = json_object_get(rule, "port_range_max");
    json_t *v = json_pack("{s:O,s:O,s:O}", "id", json_object_get(rule, "id"),
                          "parent_group_id", json_object_get(rule, "security_group_id"),
                          "ip_protocol", json_object_get(rule, "protocol"));
    json_t *from, *to;

    if (proto && json_is_null(min) && json_is_null(max)) {
        bool l4 = !strcasecmp(proto, "tcp") || !strcasecmp(proto, "udp");
        from = json_integer(l4 ? 1 : -1);
        to = json_integer(l4 ? 65535 : -1);
    } else {
        from = json_incref((json_t *)(min ? min : json_null()));
        to = json_incref((json_t *)(max ? max : json_null()));
    }
    json_object_set_new(v, "from_port", from);
    json_object_set_new(v, "to_port", to);
    if (remote) {
        json_t *g = NULL;
        struct nb_ctx tmp = *ctx;
        nb_network_secgroup_get(&tmp, remote, &g);
        json_object_set_new(v, "group", json_pack("{s:s?,s:s?}", "name",
                                                  nb_json_str(g, "name"), "tenant_id",
                                                  nb_json_str(g, "project_id")));
        json_object_set_new(v, "ip_range", json_object());
        json_decref(g);
    } else {
        json_object_set_new(v, "group", json_object());
        json_object_set_new(v, "ip_range", json_pack("{s:s}", "cidr",
                                                     prefix ? prefix : "0.0.0.0/0"));
    }
    return v;
}

static json_t *nb_sg_view(struct nb_ctx *ctx, const json_t *sg)
{
    json_t *rules = json_array(), *rule;
    size_t i;
    json_array_foreach(json_object_get(sg, "security_group_rules"), i, rule) {
        const char *dir = nb_json_str(rule, "direction");
        if (dir && !strcmp(dir, "ingress"))
            json_array_append_new(rules, nb_sg_rule_view(ctx, rule));
    }
    return json_pack("{s:O,s:O,s:O,s:O,s:o}", "id", json_object_get(sg, "id"),
                     "name", json_object_get(sg, "name"), "description",
                     json_object_get(sg, "description"), "tenant_id",
                     json_object_get(sg, "project_id"), "rules", rules);
}

int nb_cmp_secgroups_list(struct nb_req *req)
{
    struct nb_ctx tmp;
    const char *all = nb_req_query(req, "all_tenants");
    json_t *groups = NULL, *out = json_array(), *sg;
    size_t i;
    int r = nb_proxy_begin(req, "os_compute_api:os-security-groups:get");

    if (r == 0 && (r = nb_network_secgroup_list(NB_PROXY_CTX(req, tmp),
                                                all && strcmp(all, "0") &&
                                                strcasecmp(all, "false"),
                                                &groups)) < 0)
        r = nb_proxy_fail(req, &tmp, r, NULL);
    if (r == 0) {
        json_array_foreach(groups, i, sg)
            json_array_append_new(out, nb_sg_view(nb_req_ctx(req), sg));
        r = nb_reply_json(req, 200, json_pack("{s:O}", "security_groups", out));
    }
    json_decref(groups);
    json_decref(out);
    return r;
}

/* The group of path parameter 0 (a new reference), or Nova's 404. */
static int nb_sg_of(struct nb_req *req, const char *rule, json_t **sg)
{
    struct nb_ctx tmp;
    const char *id = nb_req_param(req, 0);
    int r = nb_proxy_begin(req, rule);
    if (r == 0)
        r = nb_sg_id_check(req, id);
    if (r == 0 && (r = nb_network_secgroup_get(NB_PROXY_CTX(req, tmp), id, sg)) < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Security group %s not found.", id);
        r = nb_proxy_fail(req, &tmp, r, msg);
    }
    return r;
}

int nb_cmp_secgroup_show(struct nb_req *req)
{
    json_t *sg = NULL;
    int r = nb_sg_of(req, "os_compute_api:os-security-groups:show", &sg);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "security_group",
                                              nb_sg_view(nb_req_ctx(req), sg)));
    json_decref(sg);
    return r;
}

/* Nova's validate_property for a group's name and description. */
static int nb_sg_check(struct nb_req *req, const json_t *body)
{
    static const char *const props[] = {"name", "description"};
    if (!json_is_object(body))
        return nb_req_err(req, 400, "The request body is invalid: no "
                          "security_group");
    for (size_t i = 0; i < NB_ARRAY_SIZE(props); i++) {
        const json_t *v = json_object_get(body, props[i]);
        const char *s = json_string_value(v);
        if (!json_is_string(v))
            return nb_req_err(req, 400, "Security group %s is not a string or "
                              "unicode", props[i]);
        while (*s == ' ')
            s++;
        if (!*s)
            return nb_req_err(req, 400, "Security group %s cannot be empty.", props[i]);
        if (strlen(s) > 255)
            return nb_req_err(req, 400, "Security group %s should not be greater "
                              "than 255 characters.", props[i]);
    }
    return 0;
}

static int nb_sg_write(struct nb_req *req, const char *id)
{
    struct nb_ctx tmp;
    const json_t *in = json_object_get(nb_req_json(req), "security_group");
    json_t *body = NULL, *sg = NULL;
    int r = nb_sg_check(req, in);

    if (r < 0)
        return r;
    body = json_pack("{s:O,s:O}", "name", json_object_get(in, "name"),
                     "description", json_object_get(in, "description"));
    r = id ? nb_network_secgroup_update(NB_PROXY_CTX(req, tmp), id, body, &sg)
           : nb_network_secgroup_create(NB_PROXY_CTX(req, tmp), body, &sg);
    if (r < 0)
        r = nb_proxy_fail(req, &tmp, r, "Security group not found.");
    else
        r = nb_reply_json(req, 200, json_pack("{s:o}", "security_group",
                                              nb_sg_view(nb_req_ctx(req), sg)));
    json_decref(body);
    json_decref(sg);
    return r;
}

int nb_cmp_secgroup_create(struct nb_req *req)
{
    int r = nb_proxy_begin(req, "os_compute_api:os-security-groups:create");
    return r < 0 ? r : nb_sg_write(req, NULL);
}

int nb_cmp_secgroup_update(struct nb_req *req)
{
    json_t *sg = NULL;
    int r = nb_sg_of(req, "os_compute_api:os-security-groups:update", &sg);
    json_decref(sg);
    return r < 0 ? r : nb_sg_write(req, nb_req_param(req, 0));
}

int nb_cmp_secgroup_delete(struct nb_req *req)
{
    struct nb_ctx tmp;
    json_t *sg = NULL;
    int r = nb_sg_of(req, "os_compute_api:os-security-groups:delete", &sg);

    if (r == 0 && (r = nb_network_secgroup_delete(NB_PROXY_CTX(req, tmp),
                                                  nb_req_param(req, 0))) < 0)
        /* Nova turns Neutron's conflicts (the default group, a group in
         * use) into 400s */
        r = tmp.err_status == 409 ? nb_req_err(req, 400, "%s", tmp.err_msg)
                                  : nb_proxy_fail(req, &tmp, r, NULL);
    json_decref(sg);
    return r < 0 ? r : nb_reply_empty(req, 202);
}

/* The Neutron rule body for Nova's rule (nova's neutron driver). */
static int nb_sgrule_body(struct nb_req *req, const json_t *in, json_t **out)
{
    const char *proto = nb_json_str(in, "ip_protocol");
    const char *cidr = nb_json_str(in, "cidr"), *group = nb_json_str(in, "group_id");
    const json_t *fp = json_object_get(in, "from_port"), *tp = json_object_get(in, "to_port");
    long from = -1, to = -1;
    bool l4;

    if (proto && strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") &&
        strcasecmp(proto, "icmp"))
        return nb_req_err(req, 400, "Invalid IP protocol %s.", proto);
    if ((fp && !json_is_null(fp) && !json_is_integer(fp) &&
         !(json_is_string(fp) && nb_str_to_long(json_string_value(fp), &from) == 0)) ||
        (tp && !json_is_null(tp) && !json_is_integer(tp) &&
         !(json_is_string(tp) && nb_str_to_long(json_string_value(tp), &to) == 0)))
        return nb_req_err(req, 400, "Invalid port range %s:%s.",
                          json_string_value(fp) ? json_string_value(fp) : "?",
                          json_string_value(tp) ? json_string_value(tp) : "?");
    if (json_is_integer(fp))
        from = json_integer_value(fp);
    if (json_is_integer(tp))
        to = json_integer_value(tp);
    l4 = proto && strcasecmp(proto, "icmp");
    if (l4 && (from < 1 || to > 65535 || from > to))
        return nb_req_err(req, 400, "Invalid port range %lld:%lld. Valid TCP ports "
                          "should be between 1-65535", (long long)from, (long long)to);
    if (proto && !l4 && (from < -1 || from > 255 || to < -1 || to > 255))
        return nb_req_err(req, 400, "Invalid port range %lld:%lld. For ICMP, the "
                          "type:code must be valid", (long long)from, (long long)to);
    if (cidr && group)
        return nb_req_err(req, 400, "Not enough parameters to build a valid rule.");
    *out = json_pack("{s:s,s:s,s:s,s:s?}", "security_group_id",
                     nb_json_str(in, "parent_group_id"), "direction", "ingress",
                     "ethertype", cidr && strchr(cidr, ':') ? "IPv6" : "IPv4",
                     "protocol", proto);
    if (proto && (l4 || from != -1))
        json_object_set_new(*out, "port_range_min", json_integer(from));
    if (proto && (l4 || to != -1))
        json_object_set_new(*out, "port_range_max", json_integer(to));
    if (cidr)
        json_object_set_new(*out, "remote_ip_prefix", json_string(cidr));
    if (group)
        json_object_set_new(*out, "remote_group_id", json_string(group));
    return 0;
}

int nb_cmp_sgrule_create(struct nb_req *req)
{
    struct nb_ctx tmp;
    const json_t *in = json_object_get(nb_req_json(req), "security_group_rule");
    json_t *sg = NULL, *body = NULL, *rule = NULL;
    const char *parent = nb_json_str(in, "parent_group_id");
    int r = nb_proxy_begin(req, "os_compute_api:os-security-groups:rule:create");

    if (r < 0)
        return r;
    if (!json_is_object(in) || !parent)
        return nb_req_err(req, 400, "The request body is invalid: no parent group id");
    if ((r = nb_sg_id_check(req, parent)) < 0 ||
        (nb_json_str(in, "group_id") && (r = nb_sg_id_check(req, nb_json_str(in, "group_id"))) < 0))
        return r;
    if ((r = nb_network_secgroup_get(NB_PROXY_CTX(req, tmp), parent, &sg)) < 0)
        return nb_req_err(req, 404, "Security group %s not found.", parent);
    r = nb_sgrule_body(req, in, &body);
    if (r == 0 && (r = nb_network_sgrule_create(NB_PROXY_CTX(req, tmp), body, &rule)) < 0)
        r = tmp.err_status == 409 ? nb_req_err(req, 400, "This rule already exists "
                                               "in group %s", parent)
                                  : nb_proxy_fail(req, &tmp, r, NULL);
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "security_group_rule",
                                              nb_sg_rule_view(nb_req_ctx(req), rule)));
    json_decref(sg);
    json_decref(body);
    json_decref(rule);
    return r;
}

int nb_cmp_sgrule_delete(struct nb_req *req)
{
    struct nb_ctx tmp;
    const char *id = nb_req_param(req, 0);
    int r = nb_proxy_begin(req, "os_compute_api:os-security-groups:rule:delete");

    if (r == 0 && (r = nb_network_sgrule_delete(NB_PROXY_CTX(req, tmp), id)) < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Rule (%s) not found", id);
        r = nb_proxy_fail(req, &tmp, r, msg);
    }
    return r < 0 ? r : nb_reply_empty(req, 202);
}

/* GET /servers/{id}/os-security-groups: the groups of the server's ports. */
int nb_cmp_server_secgroups(struct nb_req *req)
{
    struct nb_ctx tmp, *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    json_t *server = NULL, *ports = NULL, *seen = json_object(), *out = json_array(), *p, *g;
    size_t i, j;
    int r = nb_proxy_begin(req, "os_compute_api:os-security-groups:list");

    if (r == 0)
        r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_server_get(ctx, tx, nb_req_param(req, 0), &server);
    nb_tx_rollback(tx);
    if (r == 0)
        r = nb_network_ports_of_device(nb_req_param(req, 0), &ports);
    json_array_foreach(r == 0 ? ports : NULL, i, p)
        json_array_foreach(json_object_get(p, "security_groups"), j, g) {
            json_t *sg = NULL;
            const char *id = json_string_value(g);
            if (!id || json_object_get(seen, id))
                continue;
            json_object_set_new(seen, id, json_true());
            if (nb_network_secgroup_get(NB_PROXY_CTX(req, tmp), id, &sg) == 0)
                json_array_append_new(out, nb_sg_view(ctx, sg));
            json_decref(sg);
        }
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:O}", "security_groups", out));
    json_decref(server);
    json_decref(ports);
    json_decref(seen);
    json_decref(out);
    return r;
}

/* ---- /os-networks, /os-tenant-networks */

static const char *const nb_novanet_fields[] = {
    "cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6",
    "gateway_v6", "netmask_v6", NULL,
};
static const char *const nb_novanet_admin_fields[] = {
    "created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge",
    "vlan", "vpn_public_address", "vpn_public_port", "vpn_private_address",
    "dhcp_start", "project_id", "host", "bridge_interface", "multi_host",
    "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp",
    "share_address", NULL,
};

static json_t *nb_net_view(struct nb_req *req, const json_t *net, bool tenant)
{
    json_t *v = json_pack("{s:O,s:O}", "id", json_object_get(net, "id"), "label",
                          json_object_get(net, "name"));
    if (tenant) {
        json_object_set_new(v, "cidr", json_string("None"));
        return v;
    }
    for (const char *const *f = nb_novanet_fields; *f; f++)
        json_object_set_new(v, *f, json_null());
    if (nb_cmp_is_admin(nb_req_ctx(req)))
        for (const char *const *f = nb_novanet_admin_fields; *f; f++)
            json_object_set_new(v, *f, json_null());
    return v;
}

static int nb_networks_list(struct nb_req *req, const char *rule, bool tenant)
{
    struct nb_ctx tmp;
    json_t *nets = NULL, *out = json_array(), *n;
    size_t i;
    int r = nb_proxy_begin(req, rule);

    if (r == 0 && (r = (tenant ? nb_network_list_usable
                               : nb_network_list_visible)(NB_PROXY_CTX(req, tmp),
                                                          &nets)) < 0)
        r = nb_proxy_fail(req, &tmp, r, NULL);
    if (r == 0) {
        json_array_foreach(nets, i, n)
            json_array_append_new(out, nb_net_view(req, n, tenant));
        r = nb_reply_json(req, 200, json_pack("{s:O}", "networks", out));
    }
    json_decref(nets);
    json_decref(out);
    return r;
}

static int nb_network_show(struct nb_req *req, const char *rule, bool tenant)
{
    struct nb_ctx tmp;
    json_t *net = NULL;
    int r = nb_proxy_begin(req, rule);

    if (r == 0 && (r = nb_network_get(NB_PROXY_CTX(req, tmp), nb_req_param(req, 0),
                                      &net)) < 0)
        r = nb_proxy_fail(req, &tmp, r, "Network not found");
    if (r == 0)
        r = nb_reply_json(req, 200, json_pack("{s:o}", "network",
                                              nb_net_view(req, net, tenant)));
    json_decref(net);
    return r;
}

int nb_cmp_networks_list(struct nb_req *req)
{
    return nb_networks_list(req, "os_compute_api:os-networks:list", false);
}

int nb_cmp_network_show(struct nb_req *req)
{
    return nb_network_show(req, "os_compute_api:os-networks:view", false);
}

int nb_cmp_tenant_networks_list(struct nb_req *req)
{
    return nb_networks_list(req, "os_compute_api:os-tenant-networks:list", true);
}

int nb_cmp_tenant_network_show(struct nb_req *req)
{
    return nb_network_show(req, "os_compute_api:os-tenant-networks:show", true);
}

/* DELETE /os-security-groups (no id): Nova's router knows no such route. */
int nb_cmp_secgroup_delete_no_id(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 404, "The resource could not be found.");
}
