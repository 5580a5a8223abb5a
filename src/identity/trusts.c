/* STUB: to be implemented. */
#include "identity/internal.h"

int nb_id_trust_list(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_trust_create(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_trust_get(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_trust_delete(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_trust_roles(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_trust_role_get(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}
