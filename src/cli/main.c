/* nubis: one executable, subcommands. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static void nb_usage(FILE *out)
{
    fputs("usage: nubis COMMAND [--config FILE] [--state-dir DIR] [--listen ADDR:PORT]\n"
          "\n"
          "commands:\n"
          "  serve                          run the cloud (all modules) in the foreground\n"
          "  bootstrap --admin-password PW  create the admin user, project, roles and\n"
          "                                 catalog (idempotent, like keystone-manage)\n"
          "  openrc                         print OS_* exports for the admin\n"
          "  token-rotate                   add a new token key, keep [token] max_active_keys\n"
          "  config-sample                  print every option with its default\n",
          out);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"state-dir", required_argument, NULL, 's'},
        {"listen", required_argument, NULL, 'l'},
        {"admin-password", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct nb_cli cli = {0};
    const char *cmd;
    int c;

    if (argc < 2 || argv[1][0] == '-') {
        nb_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    cmd = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli.config = optarg;
            break;
        case 's':
            nb_conf_set("DEFAULT", "state_dir", optarg);
            break;
        case 'l':
            nb_conf_set("DEFAULT", "listen", optarg);
            break;
        case 'p':
            cli.admin_password = optarg;
            break;
        case 'h':
            nb_usage(stdout);
            return 0;
        default:
            nb_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nubis: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (nb_conf_load(cli.config) < 0)
        return 1;
    if (sodium_init() < 0) {
        fputs("nubis: libsodium failed to start\n", stderr);
        return 1;
    }
    if (strcmp(cmd, "serve") == 0)
        return nb_cmd_serve(&cli) < 0;
    if (strcmp(cmd, "bootstrap") == 0)
        return nb_cmd_bootstrap(&cli) < 0;
    if (strcmp(cmd, "openrc") == 0)
        return nb_cmd_openrc(&cli) < 0;
    if (strcmp(cmd, "token-rotate") == 0)
        return nb_cmd_token_rotate(&cli) < 0;
    if (strcmp(cmd, "config-sample") == 0) {
        nb_conf_write_sample(stdout);
        return 0;
    }
    fprintf(stderr, "nubis: unknown command '%s'\n", cmd);
    nb_usage(stderr);
    return 2;
}
