/* The admin actions that move a server to another host
 * (nova/api/openstack/compute/migrate_server.py): "migrate" (cold; 2.56
 * names a host) and "os-migrateLive" (2.25 block_migration "auto" and no
 * disk_over_commit, 2.30 force, 2.34 asynchronous placement, 2.68 no
 * force).  Both pick a destination among the other compute hosts that
 * are up and enabled; with none Nova's scheduler answers NoValidHost. */
#include "compute/actions.h"
#include "compute/extras.h"

#include <stdlib.h>
#include <string.h>

/* Nova's parameter_types.hostname: 1..255 of [a-zA-Z0-9-._]. */
static int nb_mig_check_hostname(struct nb_ctx *ctx, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (json_is_null(v))
        return 0;
    if (!s)
        return nb_cmp_bad_input(ctx, "host", v, "is not of type 'string', 'null'");
    if (n < 1 || n > 255 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-._") != n)
        return nb_cmp_bad_input(ctx, "host", v, "does not match '^[a-zA-Z0-9-._]*$'");
    return 0;
}

/* Nova's parameter_types.boolean: JSON booleans and the strings
 * oslo's bool_from_string knows. */
static bool nb_mig_is_boolean(const json_t *v)
{
    bool b;
    return json_is_boolean(v) || nb_cmp_bool_parse(v, &b) == 0;
}

int nb_act_check_migrate(struct nb_act_req *a)
{
    static const char *const keys[] = {"host", NULL};
    /* before 2.56 the body's value is not looked at */
    if (a->mv < NB_MV(2, 56) || json_is_null(a->arg))
        return 0;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "migrate", a->arg, "is not of type 'object', 'null'");
    if (nb_cmp_only_keys(a->ctx, "migrate", a->arg, keys) < 0)
        return -EINVAL;
    return json_object_get(a->arg, "host")
               ? nb_mig_check_hostname(a->ctx, json_object_get(a->arg, "host"))
               : 0;
}

int nb_act_check_live_migrate(struct nb_act_req *a)
{
    const char *keys[5] = {"host", "block_migration", NULL, NULL, NULL};
    const json_t *bm = json_object_get(a->arg, "block_migration");
    bool old = a->mv < NB_MV(2, 25);
    size_t k = 2;

    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "os-migrateLive", a->arg, "is not of type 'object'");
    if (old)
        keys[k++] = "disk_over_commit";
    if (a->mv >= NB_MV(2, 30) && a->mv < NB_MV(2, 68))
        keys[k++] = "force";
    if (nb_cmp_only_keys(a->ctx, "os-migrateLive", a->arg, keys) < 0)
        return -EINVAL;
    for (size_t i = 0; i < 2 + (old ? 1 : 0); i++)
        if (!json_object_get(a->arg, keys[i])) {
            char why[64];
            snprintf(why, sizeof(why), "'%s' is a required property", keys[i]);
            return nb_cmp_bad_input(a->ctx, "os-migrateLive", a->arg, why);
        }
    if (nb_mig_check_hostname(a->ctx, json_object_get(a->arg, "host")) < 0)
        return -EINVAL;
    if (!nb_mig_is_boolean(bm) &&
        (old || !json_is_string(bm) || strcmp(json_string_value(bm), "auto")))
        return nb_cmp_bad_input(a->ctx, "block_migration", bm,
                                old ? "is not one of the boolean values"
                                    : "is not valid under any of the given schemas");
    if (old && !nb_mig_is_boolean(json_object_get(a->arg, "disk_over_commit")))
        return nb_cmp_bad_input(a->ctx, "disk_over_commit",
                                json_object_get(a->arg, "disk_over_commit"),
                                "is not one of the boolean values");
    if (json_object_get(a->arg, "force") &&
        !nb_mig_is_boolean(json_object_get(a->arg, "force")))
        return nb_cmp_bad_input(a->ctx, "force", json_object_get(a->arg, "force"),
                                "is not one of the boolean values");
    return 0;
}

/* The destination for the server of 'a': the asked 'host' (NULL: any)
 * among the up and enabled compute hosts other than the server's.
 * 0 with *dest (a new string) or NULL when none is left (NoValidHost);
 * 400 set for a host that is not a compute host or is the server's. */
static int nb_mig_pick(struct nb_act_req *a, const char *host, bool live, char **dest)
{
    const char *src = nb_json_str(a->server, "host");
    json_t *svcs = NULL, *svc;
    bool known = false;
    size_t i;
    int r = nb_cmp_services_load(a->tx, "bin = ?", "nova-compute", &svcs);

    *dest = NULL;
    json_array_foreach(svcs, i, svc) {
        const char *h = nb_json_str(svc, "host");
        if (r < 0 || (host && strcmp(h, host) != 0))
            continue;
        known = true;
        if (!*dest && strcmp(h, src) != 0 && !nb_cmp_row_int(svc, "disabled") &&
            nb_cmp_service_up(svc))
            *dest = nb_xstrdup(h);
    }
    if (r == 0 && host && !known)
        r = nb_err_set(a->ctx, 400, "Compute host %s could not be found.", host);
    else if (r == 0 && host && !strcmp(host, src))
        r = live ? nb_err_set(a->ctx, 400, "Unable to migrate instance (%s) to current host "
                              "(%s).", a->id, src)
                 : nb_err_set(a->ctx, 400, "Cannot migrate to the host where the server "
                              "exists.");
    json_decref(svcs);
    if (r < 0) {
        free(*dest);
        *dest = NULL;
    }
    return r;
}

/* A destination was found: moving a guest between hosts is the agents'
 * work, which this daemon does not do yet (Nova's 501 for a feature the
 * driver lacks). */
static int nb_mig_unsupported(struct nb_act_req *a, char *dest)
{
    free(dest);
    return nb_err_set(a->ctx, 501, "Moving a server to another host is not supported by "
                      "this compute service yet.");
}

int nb_act_migrate(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NULL};
    const char *host = a->mv >= NB_MV(2, 56) ? nb_json_str(a->arg, "host") : NULL;
    char *dest = NULL;
    int r = nb_act_check(a, "migrate", true, vms, NULL);

    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_mig_pick(a, host, false, &dest);
    if (r == 0 && !dest)
        r = nb_err_set(a->ctx, 400, "No valid host was found. No valid host found for "
                                    "cold migrate");
    if (r == 0)
        r = nb_mig_unsupported(a, dest);
    return r;
}

int nb_act_live_migrate(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_ACTIVE, NB_VM_PAUSED, NULL};
    char *dest = NULL;
    int r = nb_act_check(a, "os-migrateLive", true, vms, NULL);

    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_mig_pick(a, nb_json_str(a->arg, "host"), true, &dest);
    if (r < 0 || dest)
        return r < 0 ? r : nb_mig_unsupported(a, dest);
    /* NoValidHost: at once before 2.34; from 2.34 the scheduling is
     * asynchronous and its failure shows as a migration in error and a
     * failed action, the server left as it was */
    if (a->mv < NB_MV(2, 34))
        return nb_err_set(a->ctx, 400, "No valid host was found. There are not enough "
                                       "hosts available.");
    r = nb_cmp_action_record(a->ctx, a->tx, a->id, "live-migration");
    if (r == 0)
        r = nb_cmp_migration_add(a->tx, a->server, "live-migration", "error", NULL, NULL,
                                 NULL, NULL);
    if (r == 0)
        r = nb_cmp_event_start(a->tx, a->id, a->ctx->request_id,
                               "conductor_live_migrate_instance", NULL);
    if (r == 0)
        r = nb_cmp_event_finish(a->tx, a->id, a->ctx->request_id,
                                "conductor_live_migrate_instance", false,
                                "No valid host was found. There are not enough hosts "
                                "available.");
    return r;
}
