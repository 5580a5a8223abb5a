/* STUB: to be implemented. */
#include "identity/internal.h"

const struct nb_id_kind nb_kind_registered_limit = {
    .res = &nb_res_registered_limit,
    .collection = "/v3/registered_limits",
};

const struct nb_id_kind nb_kind_limit = {
    .res = &nb_res_limit,
    .collection = "/v3/limits",
};

int nb_id_registered_limits_create(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_limits_create(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_limit_model(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}
