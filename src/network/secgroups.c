/* Security groups and their rules, and the default group every project
 * gets on first use.  A group's doc carries its rules (as Neutron renders
 * them); each rule is also a row of its own, and its normalised form is a
 * key in net_sgrule_keys so a duplicate is a 409 on both backends. */
#include "network/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* IP protocol names Neutron accepts, with their numbers. */
static const struct {
    const char *name;
    int num;
} nb_net_protos[] = {
    {"ah", 51}, {"dccp", 33}, {"egp", 8}, {"esp", 50}, {"gre", 47}, {"icmp", 1},
    {"icmpv6", 58}, {"igmp", 2}, {"ipip", 4}, {"ipv6-encap", 41}, {"ipv6-frag", 44},
    {"ipv6-icmp", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"ipv6-route", 43},
    {"ospf", 89}, {"pgm", 113}, {"rsvp", 46}, {"sctp", 132}, {"tcp", 6}, {"udp", 17},
    {"udplite", 136}, {"vrrp", 112},
};

/* A rule protocol (name, number as text or integer, null/"any") as a
 * number; -1 for any; -EINVAL when unknown. */
int nb_net_proto_num(const json_t *p, int *out)
{
    long n;
    if (!p || json_is_null(p)) {
        *out = -1;
        return 0;
    }
    if (json_is_integer(p)) {
        n = (long)json_integer_value(p);
    } else if (!json_is_string(p)) {
        return -EINVAL;
    } else if (!strcasecmp(json_string_value(p), "any") || !*json_string_value(p)) {
        *out = -1;
        return 0;
    } else if (nb_str_to_long(json_string_value(p), &n) < 0) {
        for (size_t i = 0; i < NB_ARRAY_SIZE(nb_net_protos); i++)
            if (!strcasecmp(nb_net_protos[i].name, json_string_value(p))) {
                *out = nb_net_protos[i].num;
                return 0;
            }
        return -EINVAL;
    }
    if (n < 0 || n > 255)
        return -EINVAL;
    *out = (int)n;
    return 0;
}

static const char *const nb_net_rule_keys[] = {
    "security_group_id", "direction", "ethertype", "protocol", "port_range_min",
    "port_range_max", "remote_ip_prefix", "remote_group_id", "description",
    "tenant_id", "project_id", "remote_address_group_id", "id", NULL};

/* Validates a port range for protocol 'proto'. */
static int nb_net_rule_ports(struct nb_ctx *ctx, int proto, const json_t *min,
                             const json_t *max)
{
    bool has_min = min && !json_is_null(min), has_max = max && !json_is_null(max);
    json_int_t lo = json_integer_value(min), hi = json_integer_value(max);
    if ((has_min && !json_is_integer(min)) || (has_max && !json_is_integer(max)))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for port range: "
                          "not an integer.");
    if (!has_min && !has_max)
        return 0;
    if (proto == 1 || proto == 58) {
        if ((has_min && (lo < 0 || lo > 255)) || (has_max && (hi < 0 || hi > 255)))
            return nb_net_err(ctx, 400, "SecurityGroupInvalidIcmpValue", "Invalid "
                              "value for ICMP %s (port-range-%s): %lld. It must be 0 "
                              "to 255.", has_min && (lo < 0 || lo > 255) ? "type" : "code",
                              has_min && (lo < 0 || lo > 255) ? "min" : "max",
                              (long long)(has_min && (lo < 0 || lo > 255) ? lo : hi));
        if (has_max && !has_min)
            return nb_net_err(ctx, 400, "SecurityGroupMissingIcmpType", "ICMP code "
                              "(port-range-max) %lld is provided but ICMP type "
                              "(port-range-min) is missing.", (long long)hi);
        return 0;
    }
    if (proto != 6 && proto != 17 && proto != 132 && proto != 33 && proto != 136)
        return nb_net_err(ctx, 400, "SecurityGroupInvalidProtocolForPortRange",
                          "Invalid protocol %d for port range, only supported for "
                          "TCP, UDP, UDPLITE, SCTP and DCCP.", proto);
    if ((has_min && (lo < 1 || lo > 65535)) || (has_max && (hi < 1 || hi > 65535)))
        return nb_net_err(ctx, 400, "SecurityGroupInvalidPortValue", "Invalid value for "
                          "port %lld", (long long)(has_min && (lo < 1 || lo > 65535)
                                                   ? lo : hi));
    if (!has_min || !has_max || lo > hi)
        return nb_net_err(ctx, 400, "SecurityGroupInvalidPortRange", "For TCP/UDP "
                          "protocols, port_range_min must be <= port_range_max");
    return 0;
}

/* Builds and stores one rule (validated) of group 'sg' (borrowed doc). */
static int nb_net_rule_make(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                            const json_t *sg, json_t **out)
{
    const char *dir = nb_json_str(in, "direction"), *eth = nb_json_str(in, "ethertype");
    const json_t *prefix = json_object_get(in, "remote_ip_prefix");
    const json_t *rg = json_object_get(in, "remote_group_id");
    const json_t *proto = json_object_get(in, "protocol");
    json_t *doc = NULL, *rgdoc = NULL;
    char *key = NULL, *norm = NULL, *other = NULL;
    nb_ip_t base;
    int pnum, ver = 0, pre, r = nb_net_check_known(ctx, in, nb_net_rule_keys);
    int changes = 0;
    if (r == 0)
        r = nb_net_check_str(ctx, in, "description", 255);
    if (r < 0)
        return r;
    if (!dir || (strcmp(dir, "ingress") && strcmp(dir, "egress")))
        return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for direction. "
                          "Reason: '%s' is not in ['ingress', 'egress'].",
                          dir ? dir : "None");
    if (!eth)
        eth = "IPv4";
    if (strcmp(eth, "IPv4") && strcmp(eth, "IPv6"))
        return nb_net_err(ctx, 400, "SecurityGroupRuleInvalidEtherType", "Security "
                          "group rule for ethertype '%s' not supported. Allowed "
                          "values are ['IPv4', 'IPv6'].", eth);
    if (nb_net_proto_num(proto, &pnum) < 0) {
        char *repr = nb_json_repr(proto);
        r = nb_net_err(ctx, 400, "SecurityGroupRuleInvalidProtocol", "Security group "
                       "rule protocol %s not supported. Only protocol values [None, "
                       "'ah', 'dccp', 'egp', 'esp', 'gre', 'icmp', 'icmpv6', 'igmp', "
                       "'ipv6-icmp', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', "
                       "'udplite', 'vrrp'] and integer representations [0 to 255] "
                       "are supported.", repr);
        free(repr);
        return r;
    }
    if (pnum == 1 && !strcmp(eth, "IPv6"))
        pnum = 58;
    r = nb_net_rule_ports(ctx, pnum, json_object_get(in, "port_range_min"),
                          json_object_get(in, "port_range_max"));
    if (r < 0)
        return r;
    if (prefix && !json_is_null(prefix) && rg && !json_is_null(rg))
        return nb_net_err(ctx, 400, "SecurityGroupRemoteGroupAndRemoteIpPrefix", "Only "
                          "remote_ip_prefix or remote_group_id may be provided.");
    if (prefix && !json_is_null(prefix)) {
        if (!json_is_string(prefix) ||
            (nb_cidr_parse(json_string_value(prefix), false, &ver, &base, &pre) < 0 &&
             nb_ip_parse(json_string_value(prefix), &ver, &base) < 0))
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for "
                              "remote_ip_prefix. Reason: not a valid IP prefix.");
        if (ver != (strcmp(eth, "IPv4") ? 6 : 4))
            return nb_net_err(ctx, 400, "InvalidInput", "Invalid input for operation: "
                              "Conflicting value ethertype %s for CIDR %s.", eth,
                              json_string_value(prefix));
        if (!strchr(json_string_value(prefix), '/'))
            pre = ver == 4 ? 32 : 128;
        base &= ~(nb_cidr_last(ver, 0, pre));
        char a[48];
        nb_ip_format(ver, base, a);
        norm = nb_xasprintf("%s/%d", a, pre);
    }
    if (rg && !json_is_null(rg)) {
        r = json_is_string(rg) ? nb_net_load(ctx, tx, &nb_net_secgroups,
                                             json_string_value(rg), &rgdoc)
                               : nb_net_err(ctx, 400, "InvalidInput", "Invalid input "
                                            "for remote_group_id.");
        json_decref(rgdoc);
        if (r < 0)
            goto out;
    }
    doc = json_pack("{s:O,s:s,s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:b}", "security_group_id",
                    json_object_get(sg, "id"), "direction", dir, "ethertype", eth,
                    "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                    "remote_group_id", "remote_address_group_id", "belongs_to_default_sg",
                    !strcmp(nb_json_str(sg, "name"), "default"));
    if (proto && json_is_integer(proto))
        json_object_set_new(doc, "protocol", json_sprintf("%lld", (long long)
                                                          json_integer_value(proto)));
    else if (proto && json_is_string(proto) && pnum >= 0)
        json_object_set(doc, "protocol", (json_t *)proto);
    for (const char *const *k = (const char *const[]){"port_range_min", "port_range_max",
                                                       "remote_group_id", "description",
                                                       NULL}; *k; k++)
        if (json_object_get(in, *k))
            json_object_set(doc, *k, json_object_get(in, *k));
    /* as Neutron: the prefix as given (an address gets its full-length
     * mask), and the network it means in normalized_cidr, which is what
     * the data plane filters on and duplicates are judged by */
    if (norm)
        json_object_set_new(doc, "remote_ip_prefix",
                            strchr(json_string_value(prefix), '/')
                                ? json_string(json_string_value(prefix))
                                : json_string(norm));
    json_object_set_new(doc, "normalized_cidr", norm ? json_string(norm) : json_null());
    if (nb_json_str(in, "id"))
        json_object_set(doc, "id", json_object_get(in, "id"));
    nb_net_std_new(doc, nb_json_str(sg, "project_id"));
    key = nb_xasprintf("%s|%s|%s|%d|%lld|%lld|%s|%s", nb_json_str(sg, "id"), dir, eth,
                       pnum, (long long)json_integer_value(json_object_get(doc, "port_range_min")),
                       (long long)json_integer_value(json_object_get(doc, "port_range_max")),
                       norm ? norm : "", json_is_string(rg) ? json_string_value(rg) : "");
    r = nb_tx_exec(tx, &changes, "INSERT INTO net_sgrule_keys (rkey, rule_id, sg_id)"
                   " VALUES (?, ?, ?) ON CONFLICT (rkey) DO NOTHING", "sss", key,
                   nb_json_str(doc, "id"), nb_json_str(sg, "id"));
    if (r == 0 && changes == 0) {
        nb_tx_query_str(tx, &other, "SELECT rule_id FROM net_sgrule_keys WHERE rkey = ?",
                        "s", key);
        r = nb_net_err(ctx, 409, "SecurityGroupRuleExists", "Security group rule "
                       "already exists. Rule id is %s.", other ? other : "");
    }
    if (r == 0)
        r = nb_net_store(tx, &nb_net_sgrules, doc, nb_json_str(sg, "id"), false);
    if (r == 0) {
        *out = doc;
        doc = NULL;
    }
out:
    free(key);
    free(norm);
    free(other);
    json_decref(doc);
    return r;
}

/* Re-renders the rules embedded in group 'sg_id'. */
static int nb_net_sg_refresh(struct nb_tx *tx, const char *sg_id)
{
    json_t *sg = NULL, *rules = NULL;
    int r = nb_net_load_raw(tx, &nb_net_secgroups, sg_id, &sg);
    if (r == 0)
        r = nb_net_load_all(tx, &nb_net_sgrules, sg_id, &rules);
    if (r == 0) {
        json_object_set_new(sg, "security_group_rules", rules);
        nb_net_std_touch(sg);
        r = nb_net_save(tx, &nb_net_secgroups, sg);
    } else {
        json_decref(rules);
    }
    json_decref(sg);
    return r == -ENOENT ? 0 : r;
}

/* Makes a group row with no rules yet. */
static json_t *nb_net_sg_new(const json_t *in, const char *project)
{
    json_t *doc = json_pack("{s:s,s:[],s:b,s:b}", "name", "", "security_group_rules",
                            "stateful", 1, "shared", 0);
    for (const char *const *k = (const char *const[]){"name", "description", "stateful",
                                                       "id", NULL}; *k; k++)
        if (json_object_get(in, *k))
            json_object_set(doc, *k, json_object_get(in, *k));
    nb_net_std_new(doc, project);
    return doc;
}

static int nb_net_sg_default_rules(struct nb_ctx *ctx, struct nb_tx *tx, json_t *sg,
                                   bool with_ingress)
{
    static const char *const eths[] = {"IPv4", "IPv6"};
    int r = 0;
    for (size_t i = 0; r == 0 && i < 2; i++) {
        json_t *in = json_pack("{s:s,s:s}", "direction", "egress", "ethertype", eths[i]);
        json_t *rule = NULL;
        r = nb_net_rule_make(ctx, tx, in, sg, &rule);
        json_decref(rule);
        json_decref(in);
        if (r < 0 || !with_ingress)
            continue;
        in = json_pack("{s:s,s:s,s:O}", "direction", "ingress", "ethertype", eths[i],
                       "remote_group_id", json_object_get(sg, "id"));
        r = nb_net_rule_make(ctx, tx, in, sg, &rule);
        json_decref(rule);
        json_decref(in);
    }
    return r;
}

int nb_net_default_sg(struct nb_ctx *ctx, struct nb_tx *tx, const char *project_id,
                      char **out)
{
    json_t *sg, *in;
    struct nb_ctx admin = {0};
    int changes = 0, r;
    char id[37];
    nb_uuid_dashed(id);
    r = nb_tx_exec(tx, &changes, "INSERT INTO net_default_sgs (project_id, sg_id)"
                   " VALUES (?, ?) ON CONFLICT (project_id) DO NOTHING", "ss",
                   project_id, id);
    if (r < 0)
        return r;
    if (changes == 0)
        return nb_tx_query_str(tx, out, "SELECT sg_id FROM net_default_sgs WHERE"
                               " project_id = ?", "s", project_id);
    in = json_pack("{s:s,s:s,s:s}", "id", id, "name", "default", "description",
                   "Default security group");
    sg = nb_net_sg_new(in, project_id);
    json_decref(in);
    admin.caller = ctx->caller;
    admin.caller.nroles = 1;
    snprintf(admin.caller.roles[0].name, sizeof(admin.caller.roles[0].name), "admin");
    r = nb_net_store(tx, &nb_net_secgroups, sg, NULL, false);
    if (r == 0)
        r = nb_net_sg_default_rules(&admin, tx, sg, true);
    if (r == 0)
        r = nb_net_sg_refresh(tx, id);
    json_decref(sg);
    if (r == 0)
        *out = nb_xstrdup(id);
    return r;
}

static const char *const nb_net_sg_keys[] = {"name", "description", "tenant_id",
                                             "project_id", "stateful", "tags", "id",
                                             NULL};

static int nb_net_sg_create(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                            json_t **out)
{
    const char *project;
    char *def = NULL;
    json_t *sg = NULL;
    int r = nb_net_check_known(ctx, in, nb_net_sg_keys);
    if (r == 0)
        r = nb_net_check_str(ctx, in, "name", 255);
    if (r == 0)
        r = nb_net_check_str(ctx, in, "description", 255);
    if (r == 0)
        r = nb_net_check_bool(ctx, in, "stateful");
    if (r == 0)
        r = nb_net_project_of(ctx, in, &project);
    if (r == 0 && nb_json_str(in, "name") && !strcmp(nb_json_str(in, "name"), "default"))
        r = nb_net_err(ctx, 409, "SecurityGroupDefaultAlreadyExists", "Default "
                       "security group already exists.");
    if (r == 0)
        r = nb_net_default_sg(ctx, tx, project, &def);
    if (r == 0)
        r = nb_net_quota_check(ctx, tx, &nb_net_secgroups, "security_group", project);
    if (r < 0)
        goto out;
    sg = nb_net_sg_new(in, project);
    r = nb_net_store(tx, &nb_net_secgroups, sg, NULL, false);
    if (r == 0)
        r = nb_net_sg_default_rules(ctx, tx, sg, false);
    if (r == 0)
        r = nb_net_sg_refresh(tx, nb_json_str(sg, "id"));
    if (r == 0)
        r = nb_net_load_raw(tx, &nb_net_secgroups, nb_json_str(sg, "id"), out);
out:
    free(def);
    json_decref(sg);
    return r;
}

static int nb_net_sg_update(struct nb_ctx *ctx, struct nb_tx *tx, json_t *doc,
                            const json_t *in)
{
    int r = nb_net_check_known(ctx, in, nb_net_sg_keys);
    (void)tx;
    if (r == 0 && (json_object_get(in, "tenant_id") || json_object_get(in, "project_id")))
        r = nb_net_err(ctx, 400, "HTTPBadRequest", "Cannot update read-only "
                       "attribute project_id");
    if (r == 0 && !strcmp(nb_json_str(doc, "name"), "default") &&
        nb_json_str(in, "name") && strcmp(nb_json_str(in, "name"), "default"))
        r = nb_net_err(ctx, 409, "SecurityGroupCannotUpdateDefault", "Updating "
                       "default security group not allowed.");
    if (r == 0 && strcmp(nb_json_str(doc, "name"), "default") &&
        nb_json_str(in, "name") && !strcmp(nb_json_str(in, "name"), "default"))
        r = nb_net_err(ctx, 409, "SecurityGroupDefaultAlreadyExists", "Default "
                       "security group already exists.");
    if (r == 0)
        r = nb_net_std_update(ctx, in, doc);
    return r;
}

static int nb_net_rule_remove(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc);

/* The rules of other groups that name group 'id' as their remote group
 * go with it (Neutron's foreign key cascades). */
static int nb_net_sg_drop_remote_rules(struct nb_ctx *ctx, struct nb_tx *tx,
                                       const char *id)
{
    json_t *rules = NULL, *rule;
    size_t i;
    int r = nb_net_load_all(tx, &nb_net_sgrules, NULL, &rules);
    json_array_foreach(rules, i, rule) {
        const char *rg = nb_json_str(rule, "remote_group_id");
        if (r == 0 && rg && !strcmp(rg, id))
            r = nb_net_rule_remove(ctx, tx, rule);
    }
    json_decref(rules);
    return r;
}

static int nb_net_sg_remove(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc)
{
    const char *id = nb_json_str(doc, "id");
    int64_t n = 0;
    int r = nb_tx_query_int(tx, &n, "SELECT count(*) FROM net_port_sgs WHERE sg_id = ?",
                            "s", id);
    char *def = NULL;
    if (r == 0 && n > 0)
        return nb_net_err(ctx, 409, "SecurityGroupInUse", "Security Group %s in use.", id);
    if (r == 0 && nb_tx_query_str(tx, &def, "SELECT sg_id FROM net_default_sgs WHERE"
                                  " sg_id = ?", "s", id) == 0) {
        free(def);
        if (!nb_net_is_admin(ctx))
            return nb_net_err(ctx, 409, "SecurityGroupCannotRemoveDefault",
                              "Insufficient rights for removing default security "
                              "group.");
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_default_sgs WHERE sg_id = ?", "s", id);
    }
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_sgrule_keys WHERE sg_id = ?", "s", id);
    if (r == 0)
        r = nb_tx_exec(tx, NULL, "DELETE FROM net_sgrules WHERE parent = ?", "s", id);
    if (r == 0)
        r = nb_net_sg_drop_remote_rules(ctx, tx, id);
    return r;
}

const struct nb_net_ops nb_net_secgroup_ops = {
    &nb_net_secgroups, "create_security_group", "get_security_group",
    "update_security_group", "delete_security_group", nb_net_sg_create,
    nb_net_sg_update, nb_net_sg_remove, true};

/* ---- rules */

static int nb_net_rule_create(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *in,
                              json_t **out)
{
    const char *sg_id = nb_json_str(in, "security_group_id"), *project;
    json_t *sg = NULL;
    int r = nb_net_project_of(ctx, in, &project);
    if (r == 0 && !sg_id)
        r = nb_net_err(ctx, 400, "HTTPBadRequest", "Failed to parse request. Required "
                       "attribute 'security_group_id' not specified");
    if (r == 0)
        r = nb_net_load(ctx, tx, &nb_net_secgroups, sg_id, &sg);
    if (r == 0)
        r = nb_net_quota_check(ctx, tx, &nb_net_sgrules, "security_group_rule",
                               nb_json_str(sg, "project_id"));
    if (r == 0)
        r = nb_net_rule_make(ctx, tx, in, sg, out);
    if (r == 0)
        r = nb_net_sg_refresh(tx, sg_id);
    json_decref(sg);
    return r;
}

static int nb_net_rule_remove(struct nb_ctx *ctx, struct nb_tx *tx, const json_t *doc)
{
    const char *sg = nb_json_str(doc, "security_group_id");
    int r = nb_tx_exec(tx, NULL, "DELETE FROM net_sgrule_keys WHERE rule_id = ?", "s",
                       nb_json_str(doc, "id"));
    (void)ctx;
    if (r == 0)
        r = nb_net_remove(tx, &nb_net_sgrules, nb_json_str(doc, "id"));
    if (r == 0)
        r = nb_net_sg_refresh(tx, sg);
    return r;
}

const struct nb_net_ops nb_net_sgrule_ops = {
    &nb_net_sgrules, "create_security_group_rule", "get_security_group_rule",
    NULL, "delete_security_group_rule", nb_net_rule_create, NULL,
    nb_net_rule_remove, true};
