/* GET /servers/{id}/diagnostics (nova/api/openstack/compute/
 * server_diagnostics.py): what the guest uses, asked of its host's driver
 * at once; 2.48 standardized the form, older microversions get the
 * free-form dict libvirt returned. */
#include "compute/extras.h"
#include "compute/handlers.h"
#include "compute/servers.h"

#include <stdlib.h>
#include <string.h>

/* "<prefix><suffix>": value of 'key' in 'from', when it is a number. */
static void nb_diag_put(json_t *out, const char *prefix, const char *suffix,
                        const json_t *from, const char *key)
{
    const json_t *v = json_object_get(from, key);
    char name[96];
    if (!json_is_integer(v))
        return;
    snprintf(name, sizeof(name), "%s%s", prefix, suffix);
    json_object_set(out, name, (json_t *)v);
}

json_t *nb_cmp_diag_legacy(const json_t *d, const json_t *ports)
{
    static const char *const disk_keys[][2] = {
        {"_read", "read_bytes"}, {"_read_req", "read_requests"},
        {"_write", "write_bytes"}, {"_write_req", "write_requests"},
        {"_errors", "errors_count"},
    };
    static const char *const nic_keys[][2] = {
        {"_rx", "rx_octets"}, {"_rx_packets", "rx_packets"}, {"_rx_errors", "rx_errors"},
        {"_rx_drop", "rx_drop"}, {"_tx", "tx_octets"}, {"_tx_packets", "tx_packets"},
        {"_tx_errors", "tx_errors"}, {"_tx_drop", "tx_drop"},
    };
    const json_t *mem = json_object_get(d, "memory_details"), *e;
    json_t *out = json_object();
    char name[32];
    size_t i;

    json_array_foreach(json_object_get(d, "cpu_details"), i, e) {
        snprintf(name, sizeof(name), "cpu%zu", i);
        nb_diag_put(out, name, "_time", e, "time");
    }
    /* libvirt reports memory in KiB */
    if (json_is_integer(json_object_get(mem, "maximum"))) {
        json_int_t max = json_integer_value(json_object_get(mem, "maximum")) * 1024;
        json_object_set_new(out, "memory", json_integer(max));
        json_object_set_new(out, "memory-actual", json_integer(max));
    }
    if (json_is_integer(json_object_get(mem, "used")))
        json_object_set_new(out, "memory-rss",
                            json_integer(json_integer_value(json_object_get(mem, "used")) *
                                         1024));
    json_array_foreach(json_object_get(d, "disk_details"), i, e) {
        snprintf(name, sizeof(name), "vd%c", (char)('a' + (i % 26)));
        for (size_t k = 0; k < NB_ARRAY_SIZE(disk_keys); k++)
            nb_diag_put(out, name, disk_keys[k][0], e, disk_keys[k][1]);
    }
    json_array_foreach(json_object_get(d, "nic_details"), i, e) {
        const char *ifname = nb_json_str(json_array_get(ports, i), "ifname");
        if (ifname)
            snprintf(name, sizeof(name), "%s", ifname);
        else
            snprintf(name, sizeof(name), "vnet%zu", i);
        for (size_t k = 0; k < NB_ARRAY_SIZE(nic_keys); k++)
            nb_diag_put(out, name, nic_keys[k][0], e, nic_keys[k][1]);
    }
    return out;
}

struct nb_diag_call {
    const struct nb_virt_guest *g;
    enum nb_power power;
    json_t *out;
    char *err;
};

/* On the host's driver: the power state, and the diagnostics of a running
 * guest (Nova's manager answers only for those). */
static int nb_diag_read(const struct nb_virt_driver *drv, void *virt, void *arg)
{
    struct nb_diag_call *c = arg;
    int r = drv->power_state(virt, c->g->uuid, &c->power);
    if (r < 0 || c->power != NB_POWER_RUNNING)
        return r;
    if (!drv->diagnostics)
        return -ENOTSUP;
    return drv->diagnostics(virt, c->g, &c->out, &c->err);
}

int nb_cmp_server_diagnostics(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *id = nb_req_param(req, 0);
    struct nb_tx *tx = NULL;
    json_t *server = NULL;
    struct nb_virt_guest g;
    struct nb_diag_call c = {&g, NB_POWER_NOSTATE, NULL, NULL};
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);

    if (r == 0)
        r = nb_cmp_server_load(req, tx, id, "os_compute_api:os-server-diagnostics", &server);
    nb_tx_rollback(tx);
    if (r < 0)
        goto out;
    if (!nb_json_str(server, "host")) {
        r = nb_err_set(ctx, 409, "Instance %s is not ready", id);
        goto out;
    }
    nb_cmp_guest_of(server, ctx, &g);
    r = nb_cmp_virt_call(nb_json_str(server, "host"), nb_diag_read, &c);
    if (r == -ENOTSUP) {
        r = nb_err_set(ctx, 501, "Action is not supported.");
    } else if (r == -ENOENT || (r == 0 && c.power != NB_POWER_RUNNING)) {
        r = nb_err_set(ctx, 409, "Cannot 'get_diagnostics' instance %s while it is in "
                       "power state %s", id, nb_virt_power_name(c.power));
    } else if (r < 0) {
        r = nb_err_set(ctx, 409, "%s", c.err ? c.err : "Instance is not ready");
    } else if (nb_req_mv(req) >= NB_MV(2, 48)) {
        r = nb_reply_json(req, 200, json_incref(c.out));
    } else {
        r = nb_reply_json(req, 200, nb_cmp_diag_legacy(c.out, g.ports));
    }
out:
    json_decref(c.out);
    free(c.err);
    json_decref(server);
    return r;
}
