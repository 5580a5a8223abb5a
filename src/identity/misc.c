/* STUB: to be implemented. */
#include "identity/internal.h"

const struct nb_id_kind nb_kind_policy = {
    .res = &nb_res_policy,
    .collection = "/v3/policies",
};

const struct nb_id_kind nb_kind_consumer = {
    .res = &nb_res_consumer,
    .collection = "/v3/OS-OAUTH1/consumers",
};

int nb_id_domain_config_get(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_domain_config_put(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_domain_config_patch(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_domain_config_delete(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}

int nb_id_domain_config_default(struct nb_req *req)
{
    nb_req_policy_done(req);
    return nb_req_err(req, 501, "Not implemented.");
}
