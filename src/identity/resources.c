/* The identity entities as data: attributes, types and rules, following
 * Keystone's JSON schemas (keystone/<area>/schema.py): names are 1..64
 * (domains, projects, groups) or 1..255 (users, roles) characters and not
 * only white space; unknown attributes are kept ("extra"). */
#include "identity/internal.h"

#define R(fields) fields, NB_ARRAY_SIZE(fields)

enum {
    ID = NB_FF_RDONLY,
    MUT = NB_FF_MUTABLE,
    REQ = NB_FF_REQUIRED,
    FIL = NB_FF_FILTER,
    NUL = NB_FF_NULL,
    NAME = NB_FF_NAME | NB_FF_REQUIRED | NB_FF_MUTABLE | NB_FF_FILTER,
    CRE = NB_FF_CREATE,
    HID = NB_FF_HIDDEN | NB_FF_RDONLY,
    NOCOL = NB_FF_NOCOL,
};

static const struct nb_field nb_domain_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"name", NB_FT_STR, NAME, 64, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, "\"\""},
    {"enabled", NB_FT_BOOL, MUT | FIL, 0, "true"},
    {"options", NB_FT_JSON, MUT, 0, "{}"},
};
const struct nb_resource nb_res_domain = {
    "domain", "domains", "domains", R(nb_domain_fields), true};

static const struct nb_field nb_project_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"name", NB_FT_STR, NAME, 64, NULL},
    /* domain_id, parent_id, is_domain: "changing" them to their current
     * value is accepted; the project's prepare refuses real changes */
    {"domain_id", NB_FT_STR, MUT | FIL | NUL, 64, NULL},
    {"parent_id", NB_FT_STR, MUT | NUL, 64, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, "\"\""},
    {"enabled", NB_FT_BOOL, MUT | FIL, 0, "true"},
    {"is_domain", NB_FT_BOOL, MUT | FIL, 0, "false"},
    {"options", NB_FT_JSON, MUT, 0, "{}"},
    {"tags", NB_FT_JSON, MUT | NOCOL, 0, NULL},
};
const struct nb_resource nb_res_project = {
    "project", "projects", "projects", R(nb_project_fields), true};

static const struct nb_field nb_user_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"name", NB_FT_STR, NAME, 255, NULL},
    {"domain_id", NB_FT_STR, CRE | FIL | NUL, 64, NULL},
    {"enabled", NB_FT_BOOL, MUT | FIL, 0, "true"},
    {"default_project_id", NB_FT_STR, MUT | NUL, 64, NULL},
    {"password_hash", NB_FT_STR, HID, 0, NULL},
    {"password_expires_at", NB_FT_TIME, NB_FF_RDONLY | NUL, 0, NULL},
    {"options", NB_FT_JSON, MUT, 0, "{}"},
    {"created_at", NB_FT_INT, HID, 0, NULL},
    {"password", NB_FT_STR, MUT | NUL | NOCOL, 0, NULL},
};
const struct nb_resource nb_res_user = {
    "user", "users", "users", R(nb_user_fields), true};

static const struct nb_field nb_group_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"name", NB_FT_STR, NAME, 64, NULL},
    {"domain_id", NB_FT_STR, CRE | FIL | NUL, 64, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, "\"\""},
};
const struct nb_resource nb_res_group = {
    "group", "groups", "usergroups", R(nb_group_fields), true};

static const struct nb_field nb_role_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"name", NB_FT_STR, NAME, 255, NULL},
    {"domain_id", NB_FT_STR, CRE | FIL | NUL, 64, NULL},
    {"description", NB_FT_STR, MUT | NUL, 255, NULL},
    {"options", NB_FT_JSON, MUT, 0, "{}"},
};
const struct nb_resource nb_res_role = {
    "role", "roles", "roles", R(nb_role_fields), true};

static const struct nb_field nb_region_fields[] = {
    {"id", NB_FT_STR, CRE, 255, NULL},
    {"description", NB_FT_STR, MUT | NUL, 255, "\"\""},
    {"parent_region_id", NB_FT_STR, MUT | NUL | FIL, 255, NULL},
};
const struct nb_resource nb_res_region = {
    "region", "regions", "regions", R(nb_region_fields), true};

static const struct nb_field nb_service_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"type", NB_FT_STR, REQ | MUT | FIL | NB_FF_NAME, 255, NULL},
    {"name", NB_FT_STR, MUT | FIL | NUL, 255, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, NULL},
    {"enabled", NB_FT_BOOL, MUT | FIL, 0, "true"},
};
const struct nb_resource nb_res_service = {
    "service", "services", "services", R(nb_service_fields), true};

static const struct nb_field nb_endpoint_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"interface", NB_FT_STR, REQ | MUT | FIL, 0, NULL},
    {"region_id", NB_FT_STR, MUT | NUL | FIL, 255, NULL},
    {"service_id", NB_FT_STR, REQ | MUT | FIL, 64, NULL},
    {"url", NB_FT_STR, REQ | MUT, 225, NULL},
    {"enabled", NB_FT_BOOL, MUT | FIL, 0, "true"},
};
const struct nb_resource nb_res_endpoint = {
    "endpoint", "endpoints", "endpoints", R(nb_endpoint_fields), true};

static const struct nb_field nb_endpoint_group_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"name", NB_FT_STR, NAME, 255, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, NULL},
    {"filters", NB_FT_JSON, REQ | MUT, 0, NULL},
};
const struct nb_resource nb_res_endpoint_group = {
    "endpoint_group", "endpoint_groups", "endpoint_groups",
    R(nb_endpoint_group_fields), false};

static const struct nb_field nb_policy_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"type", NB_FT_STR, REQ | MUT | FIL, 255, NULL},
    {"blob", NB_FT_STR, REQ | MUT, 0, NULL},
};
const struct nb_resource nb_res_policy = {
    "policy", "policies", "policies", R(nb_policy_fields), true};

static const struct nb_field nb_credential_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"user_id", NB_FT_STR, REQ | MUT | FIL, 64, NULL},
    {"project_id", NB_FT_STR, MUT | NUL | FIL, 64, NULL},
    {"type", NB_FT_STR, REQ | MUT | FIL, 255, NULL},
    {"blob", NB_FT_STR, REQ | MUT, 0, NULL},
};
const struct nb_resource nb_res_credential = {
    "credential", "credentials", "credentials", R(nb_credential_fields), true};

static const struct nb_field nb_consumer_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, NULL},
    {"secret", NB_FT_STR, NB_FF_HIDDEN | CRE, 0, NULL},     /* made by prepare */
};
const struct nb_resource nb_res_consumer = {
    "consumer", "consumers", "consumers", R(nb_consumer_fields), true,
    "Could not find consumer: %s."};

static const struct nb_field nb_registered_limit_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"service_id", NB_FT_STR, REQ | MUT | FIL, 255, NULL},
    {"region_id", NB_FT_STR, MUT | NUL | FIL, 255, NULL},
    {"resource_name", NB_FT_STR, REQ | MUT | FIL | NB_FF_NAME, 255, NULL},
    {"default_limit", NB_FT_INT, REQ | MUT, 0, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, NULL},
};
const struct nb_resource nb_res_registered_limit = {
    "registered_limit", "registered_limits", "registered_limits",
    R(nb_registered_limit_fields), false, "Could not find registered limit for %s."};

static const struct nb_field nb_limit_fields[] = {
    {"id", NB_FT_STR, ID, 64, NULL},
    {"project_id", NB_FT_STR, CRE | NUL | FIL, 64, NULL},
    {"domain_id", NB_FT_STR, CRE | NUL | FIL, 64, NULL},
    {"service_id", NB_FT_STR, REQ | CRE | FIL, 255, NULL},
    {"region_id", NB_FT_STR, CRE | FIL, 255, NULL},
    {"resource_name", NB_FT_STR, REQ | CRE | FIL | NB_FF_NAME, 255, NULL},
    {"resource_limit", NB_FT_INT, REQ | MUT, 0, NULL},
    {"description", NB_FT_STR, MUT | NUL, 0, NULL},
};
const struct nb_resource nb_res_limit = {
    "limit", "limits", "limits", R(nb_limit_fields), false,
    "Could not find limit for %s."};
