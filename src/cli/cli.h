/* Subcommands of the nubis executable (internal to src/cli). */
#ifndef NB_CLI_H
#define NB_CLI_H

#include "core/core.h"

struct nb_cli {
    const char *config;          /* --config FILE */
    const char *admin_password;  /* bootstrap --admin-password */
};

int nb_cmd_serve(const struct nb_cli *cli);
int nb_cmd_bootstrap(const struct nb_cli *cli);
int nb_cmd_openrc(const struct nb_cli *cli);
int nb_cmd_token_rotate(const struct nb_cli *cli);

#endif
