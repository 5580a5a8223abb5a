/* os-simple-tenant-usage: the hours each server was up in a period and
 * what its flavor used in it, per project (all projects for admins;
 * 2.40 paging by server).  Computed from cmp_instances, deleted servers
 * included, as Nova's get_active_by_window_joined. */
#include "compute/catalog.h"
#include "compute/handlers.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Nova's accepted forms: "%Y-%m-%dT%H:%M:%S[.%f]", "%Y-%m-%d %H:%M:%S.%f";
 * absent or empty: now. */
static int nb_cmp_usage_time(struct nb_req *req, const char *s, int64_t *out)
{
    char buf[64];
    if (!s || !*s) {
        *out = nb_now_us();
        return 0;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    if (strlen(buf) > 10 && buf[10] == ' ')
        buf[10] = 'T';
    if (strlen(s) < 19 || strchr(s, 'Z') || strchr(s + 10, '+') ||
        nb_time_parse(buf, out) < 0)
        return nb_req_err(req, 400, "Invalid datetime string: Datetime is in invalid"
                          " format");
    return 0;
}

static json_t *nb_cmp_usage_iso(int64_t us)
{
    char t[NB_TIME_LEN];
    nb_time_fmt(us, -6, t);
    return json_string(t);
}

struct nb_cmp_period {
    int64_t start, stop;
    bool detailed;
    long limit;
    const char *marker;
};

static int nb_cmp_period_parse(struct nb_req *req, struct nb_cmp_period *p)
{
    static const char *const keys[] = {"start", "end", "detailed", "limit", "marker", NULL};
    const char *d = nb_req_query(req, "detailed");
    int r = nb_cmp_query_strict(req, keys);
    int64_t now = nb_now_us();
    p->limit = 1000;
    p->marker = NULL;
    if (r == 0)
        r = nb_cmp_usage_time(req, nb_req_query(req, "start"), &p->start);
    if (r == 0)
        r = nb_cmp_usage_time(req, nb_req_query(req, "end"), &p->stop);
    /* both "now" (Nova reads the clock twice; later is later) */
    if (r == 0 && !nb_req_query(req, "end") && p->stop <= p->start)
        p->stop = p->start + 1;
    if (r == 0 && !(p->start < p->stop))
        r = nb_req_err(req, 400, "Invalid start time. The start time cannot occur after"
                       " the end time.");
    if (r == 0 && nb_req_mv(req) >= NB_MV(2, 40))
        r = nb_cmp_paging(req, &p->limit, &p->marker);
    if (p->stop > now)
        p->stop = now;
    p->detailed = d && strcmp(d, "1") == 0;
    return r;
}

/* One server's usage in the period ('row' as nb_cmp_row_json of the
 * query below); its hours in *hours. */
static json_t *nb_cmp_server_usage(const json_t *row, const struct nb_cmp_period *p,
                                   double *hours)
{
    json_t *fl = json_loads(nb_json_str(row, "flavor") ?: "{}", 0, NULL);
    int64_t launched = nb_cmp_row_int(row, "launched_at");
    int64_t ended = nb_cmp_row_int(row, "terminated_at");
    int64_t from = launched > p->start ? launched : p->start;
    int64_t to = ended && ended < p->stop ? ended : p->stop;
    const char *fname = nb_json_str(fl, "original_name");
    json_t *u;
    *hours = to > from ? (double)(to - from) / 3600e6 : 0;
    u = json_pack("{s:s,s:s,s:s,s:f,s:s,s:I,s:I,s:I,s:o,s:o,s:s,s:I}",
                  "instance_id", nb_json_str(row, "id"), "name", nb_json_str(row, "name"),
                  "tenant_id", nb_json_str(row, "project_id"), "hours", *hours,
                  "flavor", fname ? fname : "",
                  "memory_mb", (json_int_t)nb_cmp_row_int(row, "memory_mb"),
                  "local_gb", (json_int_t)(json_integer_value(json_object_get(fl, "disk")) +
                                           json_integer_value(json_object_get(fl, "ephemeral"))),
                  "vcpus", (json_int_t)nb_cmp_row_int(row, "vcpus"),
                  "started_at", nb_cmp_usage_iso(launched),
                  "ended_at", ended ? nb_cmp_usage_iso(ended) : json_null(),
                  "state", ended ? "terminated" : nb_json_str(row, "vm_state"),
                  "uptime", (json_int_t)(((ended ? ended : nb_now_us()) - launched) / 1000000));
    json_decref(fl);
    return u;
}

/* The usages of the period, per project (only 'project' when given), in a
 * new array; the last server id listed in *last (a new string or NULL). */
static int nb_cmp_usages(struct nb_req *req, const struct nb_cmp_period *p,
                         const char *project, bool detailed, json_t **out, char **last,
                         size_t *nservers)
{
    struct nb_tx *tx = NULL;
    struct nb_stmt *st = NULL;
    json_t *by = json_object(), *list = json_array(), *s;
    int64_t mcreated = 0;
    char *mid = NULL;
    const char *k;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    *last = NULL;
    *nservers = 0;
    if (r == 0 && p->marker) {
        r = nb_tx_query_int(tx, &mcreated, "SELECT created_at FROM cmp_instances WHERE"
                            " id = ?", "s", p->marker);
        if (r == -ENOENT)
            r = nb_req_err(req, 400, "Marker %s could not be found.", p->marker);
        mid = nb_xstrdup(p->marker);
    }
    if (r == 0)
        r = nb_tx_query(tx, &st, "SELECT id, name, project_id, flavor, vcpus, memory_mb,"
                        " vm_state, launched_at, terminated_at FROM cmp_instances"
                        " WHERE (terminated_at IS NULL OR terminated_at > ?)"
                        " AND launched_at < ? AND (? = '' OR project_id = ?)"
                        " AND (? = 0 OR created_at > ? OR (created_at = ? AND id > ?))"
                        " ORDER BY created_at, id LIMIT ?", "iissbiisi",
                        p->start, p->stop, project ? project : "", project ? project : "",
                        mid != NULL, mcreated, mcreated, mid ? mid : "",
                        (int64_t)p->limit);
    while (r == 0 && (r = nb_stmt_next(st)) > 0) {
        json_t *row = nb_cmp_row_json(st), *sum, *u;
        const char *pid = nb_json_str(row, "project_id");
        double h;
        r = 0;
        u = nb_cmp_server_usage(row, p, &h);
        sum = json_object_get(by, pid);
        if (!sum) {
            sum = json_pack("{s:s,s:f,s:f,s:f,s:f,s:o,s:o}", "tenant_id", pid,
                            "total_hours", 0.0, "total_vcpus_usage", 0.0,
                            "total_memory_mb_usage", 0.0, "total_local_gb_usage", 0.0,
                            "start", nb_cmp_usage_iso(p->start),
                            "stop", nb_cmp_usage_iso(p->stop));
            if (detailed)
                json_object_set_new(sum, "server_usages", json_array());
            json_object_set_new(by, pid, sum);
        }
#define ADD(key, v) json_object_set_new(sum, key, json_real( \
        json_real_value(json_object_get(sum, key)) + (v)))
        ADD("total_hours", h);
        ADD("total_vcpus_usage", h * (double)json_integer_value(json_object_get(u, "vcpus")));
        ADD("total_memory_mb_usage",
            h * (double)json_integer_value(json_object_get(u, "memory_mb")));
        ADD("total_local_gb_usage",
            h * (double)json_integer_value(json_object_get(u, "local_gb")));
#undef ADD
        free(*last);
        *last = nb_xstrdup(nb_json_str(row, "id"));
        (*nservers)++;
        if (detailed)
            json_array_append_new(json_object_get(sum, "server_usages"), u);
        else
            json_decref(u);
        json_decref(row);
    }
    nb_stmt_done(st);
    nb_tx_rollback(tx);
    free(mid);
    json_object_foreach(by, k, s)
        json_array_append(list, s);
    json_decref(by);
    if (r < 0) {
        json_decref(list);
        free(*last);
        *last = NULL;
        return r;
    }
    *out = list;
    return 0;
}

int nb_cmp_usage_list(struct nb_req *req)
{
    const char *path = nb_req_path(req);
    struct nb_cmp_period p;
    json_t *list = NULL, *body;
    char *last = NULL;
    size_t n = 0;
    int r;
    /* ".../os-simple-tenant-usage/" names an empty project id: Nova's 404 */
    if (path[strlen(path) - 1] == '/')
        return nb_req_err(req, 404, "The resource could not be found.");
    r = nb_cmp_period_parse(req, &p);
    if (r == 0)
        r = nb_cmp_usages(req, &p, NULL, p.detailed, &list, &last, &n);
    if (r < 0)
        return r;
    body = json_pack("{s:o}", "tenant_usages", list);
    if (nb_req_mv(req) >= NB_MV(2, 40) && last && (long)n == p.limit)
        json_object_set_new(body, "tenant_usages_links",
                            nb_cmp_next_link(req, "os-simple-tenant-usage", last));
    free(last);
    return nb_reply_json(req, 200, body);
}

int nb_cmp_usage_show(struct nb_req *req)
{
    const char *project = nb_req_param(req, 0);
    json_t *t = json_pack("{s:{s:s}}", "target", "project_id", project);
    struct nb_cmp_period p;
    json_t *list = NULL, *body;
    char *last = NULL, *coll;
    size_t n = 0;
    int r = nb_req_enforce(req, "os_compute_api:os-simple-tenant-usage:show", t);
    json_decref(t);
    if (r == 0)
        r = nb_cmp_period_parse(req, &p);
    if (r == 0)
        r = nb_cmp_usages(req, &p, project, true, &list, &last, &n);
    if (r < 0)
        return r;
    /* a project without servers in the period shows {} */
    body = json_pack("{s:o}", "tenant_usage", json_array_size(list)
                                                  ? json_incref(json_array_get(list, 0))
                                                  : json_object());
    json_decref(list);
    if (nb_req_mv(req) >= NB_MV(2, 40) && last && (long)n == p.limit) {
        coll = nb_xasprintf("os-simple-tenant-usage/%s", project);
        json_object_set_new(body, "tenant_usage_links", nb_cmp_next_link(req, coll, last));
        free(coll);
    }
    free(last);
    return nb_reply_json(req, 200, body);
}

/* ---- os-instance_usage_audit_log
 *
 * What the compute hosts' instance usage audit task logged for the last
 * completed audit period (Nova's default period: a month from the 1st).
 * That task is off by default in Nova ([DEFAULT] instance_usage_audit)
 * and no host here runs it: every compute host shows as not run. */

/* The audit period completed before 'before' (µs): the month before the
 * month that holds it, as "YYYY-MM-DD HH:MM:SS" strings. */
static void nb_cmp_audit_period(int64_t before, char begin[32], char end[32])
{
    time_t t = (time_t)(before / 1000000);
    struct tm tm;
    int y, m;
    gmtime_r(&t, &tm);
    y = tm.tm_year + 1900;
    m = tm.tm_mon + 1;
    /* the period ends on the 1st of this month unless that is not before */
    if (tm.tm_mday == 1 && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0 &&
        before % 1000000 == 0) {
        if (--m == 0)
            m = 12, y--;
    }
    snprintf(end, 32, "%04d-%02d-01 00:00:00", y, m);
    if (--m == 0)
        m = 12, y--;
    snprintf(begin, 32, "%04d-%02d-01 00:00:00", y, m);
}

static int nb_cmp_audit_reply(struct nb_req *req, const char *key, int64_t before)
{
    struct nb_tx *tx = NULL;
    json_t *svcs = NULL, *hosts = json_array(), *s;
    char begin[32], end[32], *status;
    size_t i;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_services_load(tx, "bin = 'nova-compute'", NULL, &svcs);
    nb_tx_rollback(tx);
    if (r < 0) {
        json_decref(hosts);
        return r;
    }
    json_array_foreach(svcs, i, s)
        json_array_append_new(hosts, json_string(nb_json_str(s, "host")));
    json_decref(svcs);
    nb_cmp_audit_period(before, begin, end);
    status = json_array_size(hosts) ? nb_xasprintf("0 of %zu hosts done. 0 errors.",
                                                   json_array_size(hosts))
                                     : nb_xstrdup("ALL hosts done. 0 errors.");
    r = nb_reply_json(req, 200, json_pack(
        "{s:{s:s,s:s,s:I,s:i,s:i,s:I,s:o,s:i,s:i,s:s,s:{}}}", key,
        "period_beginning", begin, "period_ending", end,
        "num_hosts", (json_int_t)json_array_size(hosts), "num_hosts_done", 0,
        "num_hosts_running", 0, "num_hosts_not_run", (json_int_t)json_array_size(hosts),
        "hosts_not_run", hosts, "total_instances", 0, "total_errors", 0,
        "overall_status", status, "log"));
    free(status);
    return r;
}

int nb_cmp_audit_list(struct nb_req *req)
{
    return nb_cmp_audit_reply(req, "instance_usage_audit_logs", nb_now_us());
}

/* GET .../{before}: "YYYY-MM-DD HH:MM:SS[.ffffff]". */
int nb_cmp_audit_show(struct nb_req *req)
{
    const char *id = nb_req_param(req, 0);
    char buf[64];
    int64_t before;
    size_t n = strlen(id);
    snprintf(buf, sizeof(buf), "%s", id);
    if (n >= 19 && n < sizeof(buf) && buf[10] == ' ')
        buf[10] = 'T';
    if (n < 19 || n >= sizeof(buf) || id[10] != ' ' || strchr(id, 'Z') ||
        strchr(id + 10, '+') || (n > 19 && id[19] != '.') ||
        nb_time_parse(buf, &before) < 0)
        return nb_req_err(req, 400, "Invalid timestamp for date %s", id);
    return nb_cmp_audit_reply(req, "instance_usage_audit_log", before);
}
