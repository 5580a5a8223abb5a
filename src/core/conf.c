/* Configuration: one INI file (inih), every option declared below with its
 * default and its documentation.  `nubis config-sample` prints this table
 * as an INI file; etc/nubis.conf.sample is that output, and a unit test
 * keeps the two identical. */
#include "core.h"

#include <ini.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct nb_opt {
    const char *section;
    const char *key;
    const char *def;
    const char *help;
};

static const struct nb_opt nb_opts[] = {
    /* ---- [DEFAULT] */
    {"DEFAULT", "state_dir", "./state",
     "Directory for the database, keys, logs and data. A nubis.conf in it "
     "is read when present."},
    {"DEFAULT", "listen", "127.0.0.1:8080",
     "Address and port the API listens on (ADDR:PORT, port 0 = any free)."},
    {"DEFAULT", "public_url", "",
     "Base URL clients use to reach the API, advertised in the catalog. "
     "Empty: http://<listen>."},
    {"DEFAULT", "region", "RegionOne", "Region registered by bootstrap."},
    {"DEFAULT", "workers", "0",
     "HTTP worker threads (0: twice the number of CPUs, at least 4)."},
    {"DEFAULT", "log_level", "INFO", "DEBUG | INFO | WARNING | ERROR."},
    {"DEFAULT", "log_file", "", "Log file (empty: standard error)."},
    {"DEFAULT", "max_request_body_size", "114688",
     "Largest JSON request body in bytes; larger ones get 413 (Keystone's "
     "default)."},

    /* ---- [database] */
    {"database", "connection", "",
     "sqlite:PATH or postgresql://user:pw@host/db (libpq URI). Empty: "
     "sqlite:<state_dir>/nubis.db."},
    {"database", "pool_size", "0",
     "Connections kept open (0: workers + 2)."},

    /* ---- [token] */
    {"token", "expiration", "3600", "Token lifetime in seconds."},
    {"token", "key_repository", "",
     "Directory of token encryption keys (empty: <state_dir>/keys)."},
    {"token", "max_active_keys", "3",
     "Keys kept by `nubis token-rotate`: the primary plus older keys that "
     "still validate tokens."},
    {"token", "allow_rescope_scoped_token", "true",
     "Whether a scoped token may be exchanged for a token of another scope."},
    {"token", "allow_expired_window", "172800",
     "Seconds after expiry during which ?allow_expired=1 still validates."},

    /* ---- [object] */
    {"object", "max_file_size", "5368709122",
     "Largest object body in bytes (Swift's default, 5 GiB + 2); larger "
     "PUTs get 413. Advertised in /object/info."},
    {"object", "listing_limit", "10000",
     "Most names an account or container listing returns (and the largest "
     "?limit= accepted). Advertised in /object/info."},
    {"object", "expirer_interval", "10",
     "Seconds between passes that remove objects past X-Delete-At (they "
     "are invisible from that moment on); 0 disables the passes."},

    {"DEFAULT", "transport_url", "inproc://",
     "The message bus that carries work between the API, the scheduler and "
     "the compute agents: inproc:// (a queue inside this process)."},

    /* ---- [identity] */
    {"identity", "password_hash_memlimit_kib", "7168",
     "argon2id memory per hash in KiB (OWASP minimum: 7168 with 5 passes)."},
    {"identity", "password_hash_opslimit", "5", "argon2id passes."},
    {"identity", "max_concurrent_hashes", "0",
     "Password hashes computed at once (0: number of CPUs); bounds memory "
     "on small nodes."},
    {"identity", "max_trust_redelegation", "3",
     "How many times a trust may be redelegated ([trust] "
     "max_redelegation_count in Keystone)."},
    {"identity", "max_application_credentials", "-1",
     "Application credentials a user may hold (-1: no limit)."},
    {"identity", "max_credentials", "-1",
     "Credentials (incl. EC2) a user may hold (-1: no limit)."},
    {"identity", "max_project_tree_depth", "5",
     "Deepest project hierarchy, the top-level project counting as 1."},
    {"identity", "prohibited_implied_roles", "admin",
     "Roles that no role may imply (comma separated)."},
    {"identity", "list_limit", "0",
     "Most entities a list returns (0: no limit), like Keystone's "
     "list_limit; truncated lists say \"truncated\": true."},

    /* ---- [image] */
    {"image", "image_count_total", "-1",
     "Images a project may own, whatever their status (-1: no limit); "
     "creating one more answers 413. Glance's unified limit of that name."},
    {"image", "image_size_total", "-1",
     "MiB of image data a project may store (-1: no limit); an upload that "
     "would go past it answers 413 and stores nothing. Glance's unified "
     "limit of that name."},
    {"image", "limit_param_default", "25",
     "Images a list returns when the request gives no limit (Glance's "
     "limit_param_default)."},
    {"image", "api_limit_max", "1000",
     "Most images a list returns, whatever limit the request asks "
     "(Glance's api_limit_max)."},

    /* ---- [network] (and the host name ports bind to) */
    {"DEFAULT", "host", "",
     "This host's name for port bindings (binding:host_id); empty: gethostname()."},
    {"network", "dataplane_driver", "linuxbridge",
     "Data plane driver for this host: linuxbridge (a build without it "
     "serves the API only, with a warning), or none (an API-only host: no "
     "bridges, taps, nftables or dnsmasq are touched)."},
    {"network", "quota_network", "100", "Networks per project (-1: unlimited)."},
    {"network", "quota_subnet", "100", "Subnets per project (-1: unlimited)."},
    {"network", "quota_subnetpool", "-1", "Subnet pools per project (-1: unlimited)."},
    {"network", "quota_port", "500", "Ports per project (-1: unlimited)."},
    {"network", "quota_security_group", "10",
     "Security groups per project (-1: unlimited)."},
    {"network", "quota_security_group_rule", "100",
     "Security group rules per project (-1: unlimited)."},

    /* ---- [compute] */
    {"compute", "virt_driver", "libvirt",
     "Virt driver of this host's compute agent: libvirt (QEMU guests; see "
     "[libvirt]) or fake (instant in-memory guests, for control-plane tests "
     "and benchmarks)."},
    {"compute", "max_concurrent_builds", "10",
     "Builds this host's compute agent runs at once; the rest wait their "
     "turn in order (Nova's max_concurrent_builds)."},

    /* ---- [quota]: compute's defaults (Nova's [quota]); a project's own
     * limits and the "default" quota class (os-quota-sets,
     * os-quota-class-sets) override them.  -1: unlimited. */
    {"quota", "instances", "10", "Servers per project."},
    {"quota", "cores", "20", "Instance cores (vCPUs) per project."},
    {"quota", "ram", "51200", "Megabytes of instance RAM per project."},
    {"quota", "metadata_items", "128", "Metadata items per server."},
    {"quota", "injected_files", "5", "Injected files per server (before 2.57)."},
    {"quota", "injected_file_content_bytes", "10240",
     "Bytes of one injected file (before 2.57)."},
    {"quota", "injected_file_path_length", "255",
     "Length of an injected file's path (before 2.57)."},
    {"quota", "key_pairs", "100", "Keypairs per user."},
    {"quota", "server_groups", "10", "Server groups per project."},
    {"quota", "server_group_members", "10", "Servers per server group."},
    {"compute", "default_availability_zone", "nova",
     "Availability zone of this host's compute service (Nova's "
     "default_availability_zone); servers placed here show it."},
    {"compute", "service_down_time", "60",
     "Seconds since its last heartbeat after which a compute service is "
     "down: the scheduler skips it and os-services shows it down."},
    {"compute", "report_interval", "10",
     "Seconds between the heartbeats (and inventory reports) of this "
     "host's services."},
    {"compute", "sync_power_state_interval", "600",
     "Seconds between passes that compare each server's power state with "
     "its guest's (0: never), as Nova's _sync_power_states."},
    {"compute", "cpu_allocation_ratio", "4.0",
     "Virtual CPUs the scheduler places per physical CPU of a host."},
    {"compute", "ram_allocation_ratio", "1.0",
     "Guest memory the scheduler places per MiB of a host's memory."},
    {"compute", "disk_allocation_ratio", "1.0",
     "Guest disk the scheduler places per GiB of a host's local disk."},
    {"compute", "fake_boot_ms", "0",
     "Milliseconds the fake virt driver takes to boot a guest (0: at "
     "once); lets tests and benchmarks have builds in flight."},
    {"compute", "max_attempts", "3",
     "Hosts a build is tried on before it fails: a spawn that fails is "
     "rescheduled on another host (Nova's [scheduler] max_attempts)."},
    {"compute", "vif_plugging_timeout", "300",
     "Seconds a build waits for this host's network data plane to plug its "
     "ports (devices, filters, DHCP) before starting the guest; the build "
     "fails after that (Nova's vif_plugging_timeout, fatal)."},

    {"compute", "force_config_drive", "true",
     "Give every server a config drive, whether or not it asked for one, "
     "and show it as \"True\" (Nova's option and update_instance).  On by "
     "default: nubis has no metadata service, so the config drive is how "
     "a guest (cloud-init) finds its keys, user data and network."},

    /* ---- [libvirt]: the libvirt virt driver ([compute] virt_driver) */
    {"libvirt", "connection_uri", "",
     "libvirt connection URI, e.g. qemu:///system on a host that runs "
     "libvirtd. Empty: libvirt's embedded QEMU driver rooted in "
     "<state_dir>/libvirt (qemu:///embed; no daemon needed)."},
    {"libvirt", "virt_type", "auto",
     "Domain type of the guests: kvm, qemu (TCG emulation), or auto (kvm "
     "when a probe guest runs under KVM, else qemu; probed once per "
     "process)."},
    {"libvirt", "wait_soft_reboot_seconds", "120",
     "Seconds a soft reboot waits for the guest to shut down after the "
     "ACPI request before it reboots it hard (Nova's option)."},

    /* ---- [image_cache]: the libvirt driver's cache of base images */
    {"image_cache", "manager_interval", "2400",
     "Seconds between two passes of the image cache manager, which removes "
     "the cached base images (<state_dir>/instances/_base) no instance "
     "uses; 0 or less: never (Nova's option)."},
    {"image_cache", "remove_unused_original_minimum_age_seconds", "86400",
     "Seconds a cached base image must have been unused (no instance's "
     "disk backed by it, no kernel or ramdisk of a guest) before the image "
     "cache manager removes it (Nova's option)."},
};

#define NB_NOPTS NB_ARRAY_SIZE(nb_opts)

static char *nb_opt_val[NB_NOPTS];
static bool nb_opt_pinned[NB_NOPTS];

static int nb_opt_find(const char *section, const char *key)
{
    for (size_t i = 0; i < NB_NOPTS; i++)
        if (strcasecmp(nb_opts[i].section, section) == 0 &&
            strcmp(nb_opts[i].key, key) == 0)
            return (int)i;
    return -1;
}

static void nb_opt_store(int i, const char *value)
{
    free(nb_opt_val[i]);
    nb_opt_val[i] = nb_xstrdup(value);
}

struct nb_conf_parse {
    const char *file;
    int err;
};

static int nb_conf_ini_cb(void *user, const char *section, const char *key,
                          const char *value)
{
    struct nb_conf_parse *p = user;
    int i = nb_opt_find(*section ? section : "DEFAULT", key);
    if (i < 0) {
        fprintf(stderr, "nubis: %s: unknown option [%s] %s\n", p->file,
                *section ? section : "DEFAULT", key);
        p->err = -EINVAL;
        return 1;
    }
    if (!nb_opt_pinned[i])
        nb_opt_store(i, value);
    return 1;
}

static int nb_conf_read(const char *file)
{
    struct nb_conf_parse p = {file, 0};
    int r = ini_parse(file, nb_conf_ini_cb, &p);
    if (r < 0) {
        fprintf(stderr, "nubis: cannot read %s\n", file);
        return -ENOENT;
    }
    if (r > 0) {
        fprintf(stderr, "nubis: %s:%d: syntax error\n", file, r);
        return -EINVAL;
    }
    return p.err;
}

int nb_conf_load(const char *file)
{
    char *local;
    struct stat stb;
    int r = 0;

    for (size_t i = 0; i < NB_NOPTS; i++)
        if (!nb_opt_pinned[i])
            nb_opt_store((int)i, nb_opts[i].def);
    if (file && (r = nb_conf_read(file)) < 0)
        return r;
    local = nb_xasprintf("%s/nubis.conf", nb_conf_str("DEFAULT", "state_dir"));
    if (stat(local, &stb) == 0)
        r = nb_conf_read(local);
    free(local);
    /* an explicit --config beats the state directory's file */
    if (r == 0 && file)
        r = nb_conf_read(file);
    return r;
}

int nb_conf_set(const char *section, const char *key, const char *value)
{
    int i = nb_opt_find(section, key);
    if (i < 0)
        return -ENOENT;
    nb_opt_store(i, value);
    nb_opt_pinned[i] = true;
    return 0;
}

const char *nb_conf_str(const char *section, const char *key)
{
    int i = nb_opt_find(section, key);
    if (i < 0) {
        fprintf(stderr, "nubis: BUG: undeclared option [%s] %s\n", section, key);
        abort();
    }
    return nb_opt_val[i] ? nb_opt_val[i] : nb_opts[i].def;
}

long nb_conf_int(const char *section, const char *key)
{
    long v = 0;
    if (nb_str_to_long(nb_conf_str(section, key), &v) < 0)
        nb_warn("option [%s] %s is not an integer; using 0", section, key);
    return v;
}

bool nb_conf_bool(const char *section, const char *key)
{
    return nb_str_is_true(nb_conf_str(section, key));
}

/* Wraps 'text' at 76 columns as "# " comment lines. */
static void nb_conf_comment(FILE *out, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strlen(p), cut = n;
        if (n > 76) {
            cut = 76;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = 76;
        }
        fprintf(out, "# %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

void nb_conf_write_sample(FILE *out)
{
    const char *section = NULL;
    fputs("# nubis.conf: every option with its default (generated by "
          "`nubis config-sample`).\n", out);
    for (size_t i = 0; i < NB_NOPTS; i++) {
        if (!section || strcmp(section, nb_opts[i].section) != 0) {
            section = nb_opts[i].section;
            fprintf(out, "\n[%s]\n", section);
        }
        nb_conf_comment(out, nb_opts[i].help);
        fprintf(out, "#%s = %s\n\n", nb_opts[i].key, nb_opts[i].def);
    }
}

static char nb_host_buf[256];

static void nb_host_name_init(void)
{
    const char *h = nb_conf_str("DEFAULT", "host");
    if (h && *h)
        snprintf(nb_host_buf, sizeof(nb_host_buf), "%s", h);
    else if (gethostname(nb_host_buf, sizeof(nb_host_buf) - 1) < 0)
        snprintf(nb_host_buf, sizeof(nb_host_buf), "localhost");
}

const char *nb_host_name(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, nb_host_name_init);
    return nb_host_buf;
}
