/* The server view: a cmp_instances row rendered as Nova renders a server
 * for each microversion (nova/api/openstack/compute/views/servers.py and
 * Tempest's strict schemas tempest/lib/api_schema/response/compute/v2_*). */
#include "compute/internal.h"
#include "compute/servers.h"
#include "compute/catalog.h"
#include "auth/auth.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Nova's statuses that show "progress" and "fault". */
static const char *const nb_progress_statuses[] = {
    "ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING", NULL};

static json_t *nb_bookmark(struct nb_req *req, const char *coll, const char *id)
{
    char *book = nb_xasprintf("%s/compute/%s/%s", nb_req_base_url(req), coll, id);
    json_t *v = json_pack("{s:s,s:[{s:s,s:s}]}", "id", id, "links", "rel",
                          "bookmark", "href", book);
    free(book);
    return v;
}

/* Nova's utils.isotime ("2026-11-26T18:49:56Z") of a µs column; null when
 * the column is null. */
json_t *nb_cmp_isotime(const json_t *v)
{
    char buf[NB_TIME_LEN];
    if (!json_is_integer(v))
        return json_null();
    nb_time_fmt(json_integer_value(v), 0, buf);
    return json_string(buf);
}

/* The OS-SRV-USG times: Nova prints naive datetimes with microseconds and
 * no zone ("2026-11-26T18:49:56.123456"). */
static json_t *nb_naive_time(const json_t *v)
{
    char buf[NB_TIME_LEN];
    if (!json_is_integer(v))
        return json_null();
    nb_time_fmt(json_integer_value(v), -6, buf);
    return json_string(buf);
}

/* Nova's hostId: sha224(project_id + host) in hex, "" without a host. */
json_t *nb_cmp_host_id(const char *project_id, const char *host)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    char *data;

    if (!host || !*host)
        return json_string("");
    data = nb_xasprintf("%s%s", project_id ? project_id : "", host);
    EVP_Digest(data, strlen(data), md, &n, EVP_sha224(), NULL);
    free(data);
    nb_hex_encode(md, n, hex);
    return json_string(hex);
}

/* "addresses": {network name: [{version, addr[, OS-EXT-IPS...]}]} from
 * network_info. */
json_t *nb_cmp_addresses(const json_t *server, const char *only_net, bool extended)
{
    json_t *out = json_object();
    const json_t *ni = json_object_get(server, "network_info"), *vif;
    size_t i, j;

    json_array_foreach(ni, i, vif) {
        const char *net = nb_json_str(vif, "network_name");
        const char *mac = nb_json_str(vif, "mac");
        const json_t *ip;
        json_t *list;
        if (!net)
            net = nb_json_str(vif, "network_id");
        if (!net || (only_net && strcmp(net, only_net) != 0))
            continue;
        list = json_object_get(out, net);
        if (!list) {
            list = json_array();
            json_object_set_new(out, net, list);
        }
        json_array_foreach(json_object_get(vif, "fixed_ips"), j, ip) {
            const char *addr = nb_json_str(ip, "ip_address");
            json_t *a;
            json_int_t ver = json_integer_value(json_object_get(ip, "version"));
            if (!addr)
                continue;
            if (ver != 4 && ver != 6)
                ver = strchr(addr, ':') ? 6 : 4;
            a = json_pack("{s:I,s:s}", "version", ver, "addr", addr);
            if (extended) {
                json_object_set_new(a, "OS-EXT-IPS:type", json_string("fixed"));
                if (mac)
                    json_object_set_new(a, "OS-EXT-IPS-MAC:mac_addr", json_string(mac));
            }
            json_array_append_new(list, a);
        }
    }
    return out;
}

/* The tags of server 'id', sorted: a new array. */
json_t *nb_cmp_tags_load(struct nb_tx *tx, const char *id)
{
    json_t *out = json_array();
    struct nb_stmt *st = NULL;
    if (nb_tx_query(tx, &st, "SELECT tag FROM cmp_instance_tags WHERE"
                    " instance_id = ? ORDER BY tag", "s", id) == 0) {
        while (nb_stmt_next(st) > 0)
            json_array_append_new(out, json_string(nb_stmt_text(st, 0)));
    }
    nb_stmt_done(st);
    return out;
}

/* Nova's host status (fields.HostStatus) of the compute service on
 * 'host': "" without a host, DOWN when forced down, MAINTENANCE when
 * disabled, UP when it reported within the service down time, else
 * UNKNOWN. */
const char *nb_cmp_host_status(struct nb_tx *tx, const char *host)
{
    struct nb_stmt *st = NULL;
    const char *status = "UNKNOWN";

    if (!host || !*host)
        return "";
    if (nb_tx_query(tx, &st, "SELECT disabled, forced_down, last_seen FROM"
                    " cmp_services WHERE host = ? AND bin = 'nova-compute'",
                    "s", host) == 0 && nb_stmt_next(st) > 0) {
        int64_t seen = nb_stmt_null(st, 2) ? 0 : nb_stmt_int(st, 2);
        if (nb_stmt_int(st, 1))
            status = "DOWN";
        else if (nb_stmt_int(st, 0))
            status = "MAINTENANCE";
        else if (nb_now_us() - seen <= nb_cmp_service_down_us())
            status = "UP";
    }
    nb_stmt_done(st);
    return status;
}

static json_t *nb_view_fault(struct nb_req *req, const json_t *fault)
{
    const json_t *created = json_object_get(fault, "created");
    const char *details = nb_json_str(fault, "details");
    json_int_t code = json_integer_value(json_object_get(fault, "code"));
    json_t *f = json_pack("{s:I,s:s}", "code", code, "message",
                          nb_json_str(fault, "message") ? nb_json_str(fault, "message") : "");

    json_object_set_new(f, "created", json_is_string(created) ?
                        json_incref((json_t *)created) : nb_cmp_isotime(created));
    if (json_is_null(json_object_get(f, "created")))
        json_object_set_new(f, "created", nb_cmp_isotime(json_object_get(fault, "created_at")));
    if (details && *details && (code != 500 || nb_cmp_is_admin(nb_req_ctx(req))))
        json_object_set_new(f, "details", json_string(details));
    return f;
}

static json_t *nb_view_flavor(struct nb_req *req, const json_t *server, bool specs)
{
    const json_t *fl = json_object_get(server, "flavor");
    json_t *out;

    if (!json_is_object(fl))
        return json_object();
    if (nb_req_mv(req) < NB_MV(2, 47))
        return nb_bookmark(req, "flavors", nb_json_str(server, "flavor_id") ?
                           nb_json_str(server, "flavor_id") : "");
    out = json_object();
    json_object_set_new(out, "vcpus", json_integer(json_integer_value(json_object_get(fl, "vcpus"))));
    json_object_set_new(out, "ram", json_integer(json_integer_value(json_object_get(fl, "ram"))));
    json_object_set_new(out, "disk", json_integer(json_integer_value(json_object_get(fl, "disk"))));
    json_object_set_new(out, "ephemeral",
                        json_integer(json_integer_value(json_object_get(fl, "ephemeral"))));
    json_object_set_new(out, "swap", json_integer(json_integer_value(json_object_get(fl, "swap"))));
    json_object_set_new(out, "original_name", json_string(
        nb_json_str(fl, "original_name") ? nb_json_str(fl, "original_name") : ""));
    if (specs)
        json_object_set_new(out, "extra_specs", json_is_object(json_object_get(fl, "extra_specs")) ?
                            json_deep_copy(json_object_get(fl, "extra_specs")) : json_object());
    return out;
}

/* Security groups are the ports' groups in Nova: none until the server
 * has ports, none after all were removed (an empty request list). */
static void nb_view_secgroups(json_t *s, const json_t *server)
{
    const json_t *names = json_object_get(json_object_get(server, "request"),
                                          "security_groups"), *g;
    json_t *list;
    size_t i;

    if (json_array_size(json_object_get(server, "network_info")) == 0)
        return;
    if (!json_is_array(names)) {
        json_object_set_new(s, "security_groups", json_pack("[{s:s}]", "name", "default"));
        return;
    }
    if (json_array_size(names) == 0)
        return;
    list = json_array();
    json_array_foreach(names, i, g)
        if (json_is_string(g))
            json_array_append_new(list, json_pack("{s:O}", "name", g));
    json_object_set_new(s, "security_groups", list);
}

void nb_cmp_view_perms_of(struct nb_req *req, const json_t *server,
                          struct nb_cmp_view_perms *p)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    json_t *t = server ? json_pack("{s:{s:s?}}", "target", "project_id",
                                   nb_json_str(server, "project_id")) : NULL;
    p->extra_specs = nb_policy_allows(ctx, "os_compute_api:servers:show:flavor-extra-specs",
                                      t);
    p->extended_attrs = nb_policy_allows(ctx, "os_compute_api:os-extended-server-attributes",
                                         t);
    p->host_status = nb_policy_allows(ctx, "os_compute_api:servers:show:host_status", t);
    json_decref(t);
}

/* The admin attributes (os-extended-server-attributes). */
static void nb_view_extended_attrs(struct nb_req *req, json_t *s, const json_t *server,
                                   bool user_data)
{
    char name[32];
    const char *id = nb_json_str(server, "id");
    const json_t *host = json_object_get(server, "host");
    const json_t *node = json_object_get(server, "node");
    const json_t *props = nb_json_obj(nb_json_obj(nb_json_obj(server, "request"), "image"),
                                      "properties");

    /* Nova's instance_name_template "instance-%08x" of its integer id;
     * ours is the first 8 hex digits of the uuid. */
    snprintf(name, sizeof(name), "instance-%.8s", id ? id : "");
    json_object_set_new(s, "OS-EXT-SRV-ATTR:host",
                        json_is_string(host) ? json_incref((json_t *)host) : json_null());
    json_object_set_new(s, "OS-EXT-SRV-ATTR:instance_name", json_string(name));
    json_object_set_new(s, "OS-EXT-SRV-ATTR:hypervisor_hostname",
                        json_is_string(node) ? json_incref((json_t *)node) : json_null());
    if (nb_req_mv(req) < NB_MV(2, 3))
        return;
    json_object_set_new(s, "OS-EXT-SRV-ATTR:hostname", json_string(
        nb_json_str(server, "hostname") ? nb_json_str(server, "hostname") : ""));
    json_object_set_new(s, "OS-EXT-SRV-ATTR:kernel_id",
                        json_string(nb_json_str(props, "kernel_id") ?
                                    nb_json_str(props, "kernel_id") : ""));
    json_object_set_new(s, "OS-EXT-SRV-ATTR:ramdisk_id",
                        json_string(nb_json_str(props, "ramdisk_id") ?
                                    nb_json_str(props, "ramdisk_id") : ""));
    json_object_set_new(s, "OS-EXT-SRV-ATTR:launch_index",
                        json_integer(json_integer_value(json_object_get(server, "launch_index"))));
    json_object_set_new(s, "OS-EXT-SRV-ATTR:reservation_id", json_string(
        nb_json_str(server, "reservation_id") ? nb_json_str(server, "reservation_id") : ""));
    json_object_set_new(s, "OS-EXT-SRV-ATTR:root_device_name", json_string("/dev/vda"));
    if (user_data) {
        const char *ud = nb_json_str(server, "user_data");
        json_object_set_new(s, "OS-EXT-SRV-ATTR:user_data", ud ? json_string(ud) : json_null());
    }
}

static json_t *nb_str_or(const json_t *server, const char *key, const char *def)
{
    const char *v = nb_json_str(server, key);
    return json_string(v ? v : def);
}

json_t *nb_cmp_server_view(struct nb_req *req, struct nb_tx *tx,
                           const json_t *server, enum nb_cmp_view view)
{
    struct nb_cmp_view_perms p;
    nb_cmp_view_perms_of(req, server, &p);
    return nb_cmp_server_view_as(req, tx, server, view, &p);
}

json_t *nb_cmp_server_view_as(struct nb_req *req, struct nb_tx *tx, const json_t *server,
                              enum nb_cmp_view view, const struct nb_cmp_view_perms *p)
{
    int mv = nb_req_mv(req);
    const char *id = nb_json_str(server, "id");
    const char *image = nb_json_str(server, "image_ref");
    const json_t *meta = json_object_get(server, "metadata");
    const json_t *fault = json_object_get(server, "fault");
    /* before 2.75 PUT and rebuild answer a short view */
    bool all = view == NB_CMP_VIEW_SHOW || view == NB_CMP_VIEW_DETAIL ||
               mv >= NB_MV(2, 75);
    const char *status;
    json_t *s;

    if (view == NB_CMP_VIEW_BASIC)
        return json_pack("{s:s,s:o,s:o}", "id", id, "name", nb_str_or(server, "name", ""),
                         "links", nb_cmp_links(req, "servers", id));

    status = json_is_integer(json_object_get(server, "deleted_at")) ? "DELETED" :
             nb_cmp_status(nb_json_str(server, "vm_state"),
                           nb_json_str(server, "task_state"));
    s = json_object();
    json_object_set_new(s, "id", json_string(id));
    json_object_set_new(s, "name", nb_str_or(server, "name", ""));
    json_object_set_new(s, "status", json_string(status));
    json_object_set_new(s, "tenant_id", nb_str_or(server, "project_id", ""));
    json_object_set_new(s, "user_id", nb_str_or(server, "user_id", ""));
    json_object_set_new(s, "metadata", json_is_object(meta) ?
                        json_deep_copy(meta) : json_object());
    json_object_set_new(s, "hostId", nb_cmp_host_id(nb_json_str(server, "project_id"),
                                                nb_json_str(server, "host")));
    json_object_set_new(s, "image", image && *image ?
                        nb_bookmark(req, "images", image) : json_string(""));
    json_object_set_new(s, "flavor", nb_view_flavor(
        req, server, mv >= NB_MV(2, 47) && p->extra_specs));
    json_object_set_new(s, "created", nb_cmp_isotime(json_object_get(server, "created_at")));
    json_object_set_new(s, "updated", nb_cmp_isotime(json_object_get(server, "updated_at")));
    /* Nova hides the addresses while the server builds */
    json_object_set_new(s, "addresses", strcmp(status, "BUILD") == 0 ? json_object() :
                        nb_cmp_addresses(server, NULL, all));
    json_object_set_new(s, "accessIPv4", nb_str_or(server, "access_ipv4", ""));
    json_object_set_new(s, "accessIPv6", nb_str_or(server, "access_ipv6", ""));
    json_object_set_new(s, "links", nb_cmp_links(req, "servers", id));
    json_object_set_new(s, "OS-DCF:diskConfig", json_string(
        nb_json_str(json_object_get(server, "request"), "disk_config") ?
        nb_json_str(json_object_get(server, "request"), "disk_config") : "MANUAL"));
    if ((strcmp(status, "ERROR") == 0 || strcmp(status, "DELETED") == 0) &&
        json_is_object(fault))
        json_object_set_new(s, "fault", nb_view_fault(req, fault));
    if (nb_str_in(status, nb_progress_statuses))
        json_object_set_new(s, "progress",
                            json_integer(json_integer_value(json_object_get(server, "progress"))));

    if (all) {
        const char *az = nb_json_str(server, "availability_zone");
        const char *cd = nb_json_str(server, "config_drive");
        const json_t *kn = json_object_get(server, "key_name");
        json_object_set_new(s, "OS-EXT-AZ:availability_zone", json_string(az ? az : ""));
        json_object_set_new(s, "config_drive", json_string(cd ? cd : ""));
        json_object_set_new(s, "key_name", json_is_string(kn) ?
                            json_incref((json_t *)kn) : json_null());
        json_object_set_new(s, "OS-SRV-USG:launched_at",
                            nb_naive_time(json_object_get(server, "launched_at")));
        json_object_set_new(s, "OS-SRV-USG:terminated_at",
                            nb_naive_time(json_object_get(server, "terminated_at")));
        nb_view_secgroups(s, server);
        if (p->extended_attrs)
            nb_view_extended_attrs(req, s, server, view != NB_CMP_VIEW_REBUILD);
        json_object_set_new(s, "OS-EXT-STS:task_state", json_is_string(
            json_object_get(server, "task_state")) ?
            json_incref(json_object_get(server, "task_state")) : json_null());
        json_object_set_new(s, "OS-EXT-STS:vm_state", nb_str_or(server, "vm_state", ""));
        json_object_set_new(s, "OS-EXT-STS:power_state",
                            json_integer(json_integer_value(json_object_get(server, "power_state"))));
        json_object_set_new(s, "os-extended-volumes:volumes_attached", json_array());
    }
    if (mv >= NB_MV(2, 9))
        json_object_set_new(s, "locked", json_boolean(
            json_integer_value(json_object_get(server, "locked")) != 0));
    if (mv >= NB_MV(2, 16) && all && p->host_status) {
        const char *hs = nb_json_str(server, "_host_status");
        json_object_set_new(s, "host_status", json_string(
            hs ? hs : nb_cmp_host_status(tx, nb_json_str(server, "host"))));
    }
    if (mv >= NB_MV(2, 19)) {
        const json_t *d = json_object_get(server, "description");
        json_object_set_new(s, "description", json_is_string(d) ?
                            json_incref((json_t *)d) : json_null());
    }
    if (mv >= NB_MV(2, 26)) {
        const json_t *tags = json_object_get(server, "tags");
        json_object_set_new(s, "tags", json_is_array(tags) ?
                            json_deep_copy(tags) : nb_cmp_tags_load(tx, id));
    }
    if (mv >= NB_MV(2, 63))
        json_object_set_new(s, "trusted_image_certificates", json_null());
    if (mv >= NB_MV(2, 71) && view != NB_CMP_VIEW_DETAIL) {
        const char *g = nb_json_str(json_object_get(server, "request"), "group");
        json_object_set_new(s, "server_groups", g ? json_pack("[s]", g) : json_array());
    }
    if (mv >= NB_MV(2, 73)) {
        const json_t *lr = json_object_get(server, "lock_reason");
        json_object_set_new(s, "locked_reason", json_is_string(lr) ?
                            json_incref((json_t *)lr) : json_null());
    }
    if (view == NB_CMP_VIEW_REBUILD) {
        const json_t *kn = json_object_get(server, "key_name");
        const json_t *ud = json_object_get(server, "user_data");
        if (mv >= NB_MV(2, 54))
            json_object_set_new(s, "key_name", json_is_string(kn) ?
                                json_incref((json_t *)kn) : json_null());
        if (mv >= NB_MV(2, 57))
            json_object_set_new(s, "user_data", json_is_string(ud) ?
                                json_incref((json_t *)ud) : json_null());
    }
    return s;
}

json_t *nb_cmp_server_render(struct nb_req *req, struct nb_tx *tx,
                             const json_t *server, bool detail)
{
    return nb_cmp_server_view(req, tx, server,
                              detail ? NB_CMP_VIEW_SHOW : NB_CMP_VIEW_BASIC);
}

/* [compute] service_down_time: a compute service that has not reported
 * for longer is not "up". */
int64_t nb_cmp_service_down_us(void)
{
    return nb_conf_int("compute", "service_down_time") * 1000000LL;
}
