/* STUB: to be implemented. */
#include "identity/internal.h"

int nb_id_appcred_list(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_appcred_create(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_appcred_get(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_appcred_delete(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_access_rule_list(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_access_rule_get(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_access_rule_delete(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}
