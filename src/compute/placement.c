/* The scheduler's decision, as pure functions over what the scheduler
 * loaded (scheduler.c does the SQL): Nova's filter scheduler with the
 * filters ComputeFilter (up and enabled), RetryFilter, AvailabilityZone,
 * RAM/Core/Disk with allocation ratios, ServerGroup(Anti)Affinity,
 * SameHost/DifferentHost, then the weighers RAM (free memory) and
 * ServerGroupSoft(Anti)Affinity, normalised to [0, 1] and summed.  The
 * best host wins; on a tie the first (the hosts come in name order). */
#include "compute/internal.h"

#include <stdlib.h>
#include <string.h>

static bool nb_sched_in(const json_t *arr, const char *host)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), host))
            return true;
    return false;
}

/* How many group members (or hinted servers) 'counts' puts on 'host'. */
static int64_t nb_sched_count(const json_t *counts, const char *host)
{
    return json_integer_value(json_object_get(counts, host));
}

static int64_t nb_sched_free(int64_t total, double ratio, int64_t used)
{
    return (int64_t)((double)total * ratio) - used;
}

const char *nb_sched_filter(const struct nb_sched_host *h,
                            const struct nb_sched_spec *s,
                            const struct nb_sched_ratios *ratio)
{
    const char *pol = s->group_policy;

    if ((s->force_host && strcmp(s->force_host, h->host)) ||
        (s->force_node && strcmp(s->force_node, h->node)))
        return "ForcedDestination";
    if (!h->up || !h->enabled)
        return "ComputeFilter";
    if (nb_sched_in(s->ignore_hosts, h->host))
        return "RetryFilter";
    if (s->zone && *s->zone && strcmp(s->zone, h->zone))
        return "AvailabilityZoneFilter";
    if (nb_sched_free(h->memory_mb, ratio->ram, h->used_ram) < s->memory_mb)
        return "RamFilter";
    if (nb_sched_free(h->vcpus, ratio->cpu, h->used_vcpus) < s->vcpus)
        return "CoreFilter";
    if (nb_sched_free(h->local_gb, ratio->disk, h->used_disk) < s->disk_gb)
        return "DiskFilter";
    if (pol && !strcmp(pol, "affinity") && json_object_size(s->group_hosts) &&
        !nb_sched_count(s->group_hosts, h->host))
        return "ServerGroupAffinityFilter";
    if (pol && !strcmp(pol, "anti-affinity") &&
        nb_sched_count(s->group_hosts, h->host) >=
            (s->max_server_per_host > 0 ? s->max_server_per_host : 1))
        return "ServerGroupAntiAffinityFilter";
    if (json_object_size(s->same_hosts) && !nb_sched_count(s->same_hosts, h->host))
        return "SameHostFilter";
    if (nb_sched_count(s->different_hosts, h->host))
        return "DifferentHostFilter";
    return NULL;
}

/* Nova's normalisation: (v - min) / (max - min), 0 when all are equal. */
static double nb_sched_norm(double v, double lo, double hi)
{
    return hi > lo ? (v - lo) / (hi - lo) : 0.0;
}

int nb_sched_pick(const struct nb_sched_host *hosts, size_t n,
                  const struct nb_sched_spec *s,
                  const struct nb_sched_ratios *ratio, const char **why)
{
    double ram_lo = 0, ram_hi = 0, grp_lo = 0, grp_hi = 0, best_w = 0;
    const char *pol = s->group_policy;
    double soft = pol && !strcmp(pol, "soft-affinity") ? 1.0
                : pol && !strcmp(pol, "soft-anti-affinity") ? -1.0 : 0.0;
    bool *pass = n ? calloc(n, sizeof(*pass)) : NULL;
    bool any = false;
    int best = -1;

    *why = n ? NULL : "no compute hosts";
    for (size_t i = 0; i < n; i++) {
        const char *f = nb_sched_filter(&hosts[i], s, ratio);
        double ram = (double)nb_sched_free(hosts[i].memory_mb, ratio->ram,
                                           hosts[i].used_ram);
        double grp = (double)nb_sched_count(s->group_hosts, hosts[i].host);
        if (f) {
            *why = f;
            continue;
        }
        if (!any) {
            ram_lo = ram_hi = ram;
            grp_lo = grp_hi = grp;
        }
        any = pass[i] = true;
        ram_lo = ram < ram_lo ? ram : ram_lo;
        ram_hi = ram > ram_hi ? ram : ram_hi;
        grp_lo = grp < grp_lo ? grp : grp_lo;
        grp_hi = grp > grp_hi ? grp : grp_hi;
    }
    for (size_t i = 0; i < n; i++) {
        double w;
        if (!pass[i])
            continue;
        w = nb_sched_norm((double)nb_sched_free(hosts[i].memory_mb, ratio->ram,
                                                hosts[i].used_ram), ram_lo, ram_hi) +
            soft * nb_sched_norm((double)nb_sched_count(s->group_hosts, hosts[i].host),
                                 grp_lo, grp_hi);
        if (best < 0 || w > best_w) {
            best = (int)i;
            best_w = w;
        }
    }
    free(pass);
    if (best >= 0)
        *why = NULL;
    return best;
}

void nb_sched_claim(struct nb_sched_host *h, const struct nb_sched_spec *s)
{
    h->used_vcpus += s->vcpus;
    h->used_ram += s->memory_mb;
    h->used_disk += s->disk_gb;
}
