/* os-server-password (server_password.py): the encrypted password a guest
 * posts through the metadata service, shown and cleared.  No metadata
 * service takes one here yet, so a server's password is always empty, as
 * Nova shows a server whose guest posted none. */
#include "compute/actions.h"
#include "compute/handlers.h"

/* Loads server {id} and enforces 'rule' on its project. */
static int nb_pw_server(struct nb_req *req, const char *rule)
{
    struct nb_tx *tx = NULL;
    json_t *server = NULL;
    int r = nb_tx_begin(nb_cmp_db(), false, &tx);
    if (r == 0)
        r = nb_cmp_server_load(req, tx, nb_req_param(req, 0), rule, &server);
    nb_tx_rollback(tx);
    json_decref(server);
    return r;
}

int nb_cmp_server_password_show(struct nb_req *req)
{
    int r = nb_pw_server(req, "os_compute_api:os-server-password:show");
    return r < 0 ? r : nb_reply_json(req, 200, json_pack("{s:s}", "password", ""));
}

int nb_cmp_server_password_clear(struct nb_req *req)
{
    int r = nb_pw_server(req, "os_compute_api:os-server-password:clear");
    return r < 0 ? r : nb_reply_empty(req, 204);
}
