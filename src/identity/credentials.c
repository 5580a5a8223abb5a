/* STUB: to be implemented. */
#include "identity/internal.h"

const struct nb_id_kind nb_kind_credential = {
    .res = &nb_res_credential,
    .collection = "/v3/credentials",
};

int nb_id_ec2_list(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_ec2_create(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_ec2_get(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_ec2_delete(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}
