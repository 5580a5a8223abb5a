/* serve, bootstrap, openrc, token-rotate: opening the state, the modules,
 * and running them. */
#include "auth/auth.h"
#include "cli/cli.h"
#include "compute/compute.h"
#include "identity/identity.h"
#include "image/image.h"
#include "object/object.h"
#include "network/network.h"

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The service modules after identity, in start order.  A new service adds
 * its struct nb_module here (and its header above). */
static const struct nb_module *const nb_modules[] = {
    &nb_image_module,
    &nb_object_module,
    &nb_network_module,
    &nb_compute_module,
    NULL,   /* keeps the table valid while it is empty */
};

static size_t nb_nmodules(void)
{
    size_t n = 0;
    while (nb_modules[n])
        n++;
    return n;
}

/* Everything a command needs that lives in the state directory. */
struct nb_state {
    struct nb_db *db;
    struct nb_blob_store *blobs;
    struct nb_bus *bus;
    struct nb_module_env env;
    char *public_url;
    size_t ninit;           /* modules whose init ran */
};

static const char *nb_state_dir(void)
{
    return nb_conf_str("DEFAULT", "state_dir");
}

/* The key repository: [token] key_repository, or STATE/keys. */
static char *nb_key_dir(void)
{
    const char *k = nb_conf_str("token", "key_repository");
    return *k ? nb_xstrdup(k) : nb_xasprintf("%s/keys", nb_state_dir());
}

/* The base URL clients use: [DEFAULT] public_url, else http://<listen>
 * (a wildcard listen address is shown as the loopback address). */
static char *nb_public_url(void)
{
    const char *pub = nb_conf_str("DEFAULT", "public_url"), *listen;
    size_t n;
    if (*pub) {
        n = strlen(pub);
        while (n && pub[n - 1] == '/')
            n--;
        return nb_xstrndup(pub, n);
    }
    listen = nb_conf_str("DEFAULT", "listen");
    if (strncmp(listen, "0.0.0.0:", 8) == 0)
        return nb_xasprintf("http://127.0.0.1:%s", listen + 8);
    return nb_xasprintf("http://%s", listen);
}

static int nb_workers(void)
{
    long w = nb_conf_int("DEFAULT", "workers");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (w > 0)
        return (int)w;
    w = 2 * (cpus > 0 ? cpus : 1);
    return (int)(w < 4 ? 4 : w);
}

static int nb_state_open(struct nb_state *st)
{
    enum nb_log_level lvl = NB_LOG_INFO;
    const char *url = nb_conf_str("database", "connection");
    char *dburl = NULL, *keys = NULL, *blobs;
    long pool = nb_conf_int("database", "pool_size");
    int r;

    if (nb_log_level_parse(nb_conf_str("DEFAULT", "log_level"), &lvl) < 0)
        fprintf(stderr, "nubis: bad log_level, using INFO\n");
    nb_log_init(lvl, nb_conf_str("DEFAULT", "log_file"));
    r = nb_mkdir_p(nb_state_dir(), 0700);
    if (r < 0) {
        nb_error("cannot create state directory %s: %s", nb_state_dir(), strerror(-r));
        return r;
    }
    dburl = *url ? nb_xstrdup(url) : nb_xasprintf("sqlite:%s/nubis.db", nb_state_dir());
    r = nb_db_open(dburl, pool > 0 ? (int)pool : nb_workers() + 2, &st->db);
    free(dburl);
    if (r < 0)
        return r;
    keys = nb_key_dir();
    r = nb_keys_init(keys);
    free(keys);
    if (r == 0)
        r = nb_revoke_init(st->db);
    if (r == 0)
        r = nb_policy_init();
    if (r == 0) {
        nb_password_init();
        r = nb_identity_init(st->db);
    }
    if (r < 0)
        return r;
    blobs = nb_xasprintf("%s/blobs", nb_state_dir());
    r = nb_blob_store_open(blobs, &st->blobs);
    free(blobs);
    if (r < 0)
        return r;
    r = nb_bus_open(nb_conf_str("DEFAULT", "transport_url"), &st->bus);
    if (r < 0)
        return r;
    st->public_url = nb_public_url();
    st->env = (struct nb_module_env){
        .db = st->db, .blobs = st->blobs, .bus = st->bus,
        .state_dir = nb_state_dir(),
        .public_url = st->public_url, .region = nb_conf_str("DEFAULT", "region"),
    };
    for (; st->ninit < nb_nmodules(); st->ninit++) {
        const struct nb_module *m = nb_modules[st->ninit];
        r = m->init(&st->env);
        if (r < 0) {
            nb_error("the %s module did not start: %s", m->name, strerror(-r));
            return r;
        }
    }
    return 0;
}

static void nb_state_close(struct nb_state *st)
{
    while (st->ninit > 0)
        nb_modules[--st->ninit]->shutdown();
    nb_blob_store_close(st->blobs);
    nb_bus_close(st->bus);
    free(st->public_url);
    nb_identity_shutdown();
    nb_policy_shutdown();
    nb_revoke_shutdown();
    nb_keys_shutdown();
    nb_db_close(st->db);
}

int nb_cmd_serve(const struct nb_cli *cli)
{
    const struct nb_service *services[NB_ARRAY_SIZE(nb_modules)];
    struct nb_http_config cfg = {0};
    struct nb_state st = {0};
    struct nb_http *http = NULL;
    sigset_t set;
    int sig = 0, r;
    (void)cli;

    /* few malloc arenas: idle memory matters more than allocator scaling */
    mallopt(M_ARENA_MAX, 2);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* threads inherit: only sigwait sees them */
    signal(SIGPIPE, SIG_IGN);

    r = nb_state_open(&st);
    if (r < 0)
        goto out;
    /* only the serving daemon repairs what a crash left, before any request */
    r = nb_blob_store_recover(st.blobs);
    for (size_t i = 0; r == 0 && i < nb_nmodules(); i++)
        if (nb_modules[i]->recover && (r = nb_modules[i]->recover(&st.env)) < 0)
            nb_error("the %s module could not recover: %s", nb_modules[i]->name,
                     strerror(-r));
    if (r < 0)
        goto out;
    services[0] = &nb_identity_service;
    for (size_t i = 0; i < nb_nmodules(); i++)
        services[1 + i] = nb_modules[i]->service;
    cfg.listen = nb_conf_str("DEFAULT", "listen");
    cfg.threads = nb_workers();
    cfg.max_body = (size_t)nb_conf_int("DEFAULT", "max_request_body_size");
    cfg.hooks.authenticate = nb_auth_authenticate;
    cfg.hooks.enforce = nb_auth_enforce;
    r = nb_http_start(&cfg, services, NB_ARRAY_SIZE(services), &http);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < nb_nmodules(); i++) {
        const struct nb_module *m = nb_modules[i];
        if (m->start && (r = m->start(&st.env)) < 0) {
            nb_error("the %s module did not start: %s", m->name, strerror(-r));
            goto out;
        }
    }
    nb_info("nubis serving on %s (port %d, %d workers, %s database, state %s)",
            st.public_url, nb_http_port(http), cfg.threads, nb_db_backend(st.db),
            nb_state_dir());
    while (sigwait(&set, &sig) != 0)
        ;
    nb_info("signal %d: shutting down", sig);
out:
    nb_http_stop(http);
    nb_state_close(&st);
    if (r == 0)
        nb_info("stopped");
    return r;
}

static char *nb_password_file(void)
{
    return nb_xasprintf("%s/admin-password", nb_state_dir());
}

int nb_cmd_bootstrap(const struct nb_cli *cli)
{
    struct nb_state st = {0};
    struct nb_bootstrap b = {0};
    char *pub = NULL, *pwfile = NULL;
    int r;

    if (!cli->admin_password || !*cli->admin_password) {
        fprintf(stderr, "nubis bootstrap: --admin-password is required\n");
        return -EINVAL;
    }
    r = nb_state_open(&st);
    if (r < 0)
        goto out;
    pub = nb_public_url();
    b.admin_password = cli->admin_password;
    b.admin_user = "admin";
    b.admin_project = "admin";
    b.region = nb_conf_str("DEFAULT", "region");
    b.public_url = pub;
    r = nb_identity_bootstrap(&b);
    for (size_t i = 0; r == 0 && i < nb_nmodules(); i++)
        if (nb_modules[i]->bootstrap)
            r = nb_modules[i]->bootstrap(&st.env);
    if (r < 0) {
        nb_error("bootstrap failed: %s", strerror(-r));
        goto out;
    }
    /* kept (owner-only) so that `nubis openrc` can print it, like devstack */
    pwfile = nb_password_file();
    r = nb_file_write_atomic(pwfile, cli->admin_password, strlen(cli->admin_password), 0600);
    if (r == 0)
        printf("nubis: bootstrapped %s (admin/admin in domain Default, region %s)\n", pub,
               b.region);
out:
    free(pub);
    free(pwfile);
    if (st.db)
        nb_state_close(&st);
    return r;
}

int nb_cmd_openrc(const struct nb_cli *cli)
{
    char *pwfile = nb_password_file(), *pw = NULL, *pub = nb_public_url();
    int r = nb_file_read(pwfile, &pw, NULL);
    (void)cli;
    if (r < 0) {
        fprintf(stderr, "nubis openrc: %s not found: run `nubis bootstrap` first\n", pwfile);
    } else {
        printf("export OS_AUTH_URL=%s/identity/v3\n"
               "export OS_IDENTITY_API_VERSION=3\n"
               "export OS_USERNAME=admin\n"
               "export OS_PASSWORD='%s'\n"
               "export OS_PROJECT_NAME=admin\n"
               "export OS_USER_DOMAIN_NAME=Default\n"
               "export OS_PROJECT_DOMAIN_NAME=Default\n"
               "export OS_REGION_NAME=%s\n"
               "export OS_INTERFACE=public\n",
               pub, pw, nb_conf_str("DEFAULT", "region"));
    }
    free(pw);
    free(pub);
    free(pwfile);
    return r;
}

int nb_cmd_token_rotate(const struct nb_cli *cli)
{
    char *dir = nb_key_dir();
    int r = nb_keys_rotate(dir, (int)nb_conf_int("token", "max_active_keys"));
    (void)cli;
    if (r < 0)
        fprintf(stderr, "nubis token-rotate: %s: %s\n", dir, strerror(-r));
    else
        printf("nubis: rotated the token keys in %s\n", dir);
    free(dir);
    return r;
}
