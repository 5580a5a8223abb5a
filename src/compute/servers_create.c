/* POST /servers: Nova's create (nova/api/openstack/compute/servers.py
 * create, schemas/servers.py create_v2xx, compute/api.py _create_instance).
 *
 * Everything that can be refused is checked before anything is written:
 * the body (pure), then the image and the networks through their
 * services' headers (each its own transaction), then in ONE write
 * transaction the flavor, key pair, server group, quotas and the rows.
 * The rows are then published for scheduling (nb_cmp_build_publish). */
#include "compute/servers.h"
#include "compute/handlers.h"
#include "image/image.h"
#include "network/network.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* What a create asks, parsed and checked. */
struct nb_create {
    const json_t *server;       /* body.server (borrowed) */
    const char *name, *flavor_ref, *image_ref, *key_name, *az;
    const json_t *description;  /* string or null, 2.19 */
    const char *user_data;
    const char *admin_pass;     /* given, or generated into pass_buf */
    char pass_buf[16];
    char flavor_buf[32];        /* an integer flavorRef as text */
    char access_v4[NB_CMP_IPLEN], access_v6[NB_CMP_IPLEN];  /* "" when not given */
    bool config_drive, return_resv;
    long min, max;
    json_t *metadata;           /* new */
    json_t *tags;               /* new */
    json_t *request;            /* new: the "request" column */
    json_t *image;              /* new: the image (Glance document) or NULL */
    const char *group;          /* scheduler_hints.group */
    const char *networks_enum;  /* "auto"/"none" (2.37) or NULL */
    const json_t *networks;     /* the list as given, or NULL */
    const json_t *personality;  /* as given (before 2.57), or NULL */
};

static void nb_create_free(struct nb_create *c)
{
    json_decref(c->metadata);
    json_decref(c->tags);
    json_decref(c->request);
    json_decref(c->image);
}

/* parameter_types.boolean: true/false or their usual spellings. */
static int nb_param_bool(struct nb_ctx *ctx, const char *field, const json_t *v,
                         bool *out)
{
    static const char *const yes[] = {"True", "TRUE", "true", "1", "ON", "On", "on",
                                      "YES", "Yes", "yes", NULL};
    static const char *const no[] = {"False", "FALSE", "false", "0", "OFF", "Off",
                                     "off", "NO", "No", "no", NULL};
    size_t i;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v)) {
        for (i = 0; yes[i]; i++)
            if (strcmp(json_string_value(v), yes[i]) == 0)
                return (*out = true), 0;
        for (i = 0; no[i]; i++)
            if (strcmp(json_string_value(v), no[i]) == 0)
                return (*out = false), 0;
    }
    return nb_cmp_bad_input(ctx, field, v, "is not one of [True, 'True', 'TRUE', 'true', "
                          "'1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', "
                          "'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']");
}

/* parameter_types.positive_integer: an integer >= 1, or its digits. */
static int nb_param_count(struct nb_ctx *ctx, const char *field, const json_t *v,
                          long *out)
{
    long n = 0;
    if (json_is_integer(v))
        n = (long)json_integer_value(v);
    else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
            return nb_cmp_bad_input(ctx, field, v, "does not match '^[0-9]*$'");
        n = strtol(s, NULL, 10);
    } else
        return nb_cmp_bad_input(ctx, field, v, "is not of type 'integer', 'string'");
    if (n < 1)
        return nb_cmp_bad_input(ctx, field, v, "is less than the minimum of 1");
    *out = n;
    return 0;
}

bool nb_cmp_is_ip(const char *s, int family)
{
    unsigned char buf[16];
    return s && inet_pton(family, s, buf) == 1;
}

/* base64 (RFC 4648, padded; line breaks allowed) as Nova's 'base64'
 * format checks it. */
bool nb_cmp_base64_valid(const char *s)
{
    size_t n = strlen(s), cap = n / 4 * 3 + 3, got = 0;
    unsigned char *buf = nb_xmalloc(cap + 1);
    const char *end = NULL;
    bool ok = sodium_base642bin(buf, cap, s, n, "\r\n", &got, &end,
                                sodium_base64_VARIANT_ORIGINAL) == 0 &&
              end == s + n;
    free(buf);
    return ok;
}

/* The part after the last '/' of an href (Nova's get_id_from_href). */
static const char *nb_id_from_href(const char *href)
{
    const char *slash = strrchr(href, '/');
    return slash ? slash + 1 : href;
}

/* networks: a list of {uuid, port, fixed_ip, tag}, or (2.37) "auto"/"none". */
static int nb_parse_networks(struct nb_ctx *ctx, int mv, struct nb_create *c,
                             const json_t *v)
{
    static const char *const keys[] = {"uuid", "port", "fixed_ip", "tag", NULL};
    static const char *const keys_old[] = {"uuid", "port", "fixed_ip", NULL};
    const json_t *n;
    size_t i, j;

    if (!v) {
        if (mv >= NB_MV(2, 37))
            return nb_err_set(ctx, 400, "Invalid input for field/attribute server. "
                              "'networks' is a required property");
        return 0;
    }
    if (json_is_string(v) && mv >= NB_MV(2, 37) &&
        (strcmp(json_string_value(v), "auto") == 0 ||
         strcmp(json_string_value(v), "none") == 0)) {
        c->networks_enum = json_string_value(v);
        return 0;
    }
    if (!json_is_array(v))
        return nb_cmp_bad_input(ctx, "networks", v, mv >= NB_MV(2, 37) ?
                              "is not valid under any of the given schemas" :
                              "is not of type 'array'");
    json_array_foreach(v, i, n) {
        const json_t *uuid = json_object_get(n, "uuid");
        const json_t *port = json_object_get(n, "port");
        const json_t *ip = json_object_get(n, "fixed_ip");
        const json_t *tag = json_object_get(n, "tag");
        if (!json_is_object(n))
            return nb_cmp_bad_input(ctx, "networks", n, "is not of type 'object'");
        if (nb_cmp_only_keys(ctx, "networks", n,
                             mv == NB_MV(2, 32) || mv >= NB_MV(2, 42) ? keys : keys_old) < 0)
            return -EINVAL;
        if (uuid && !json_is_string(uuid))
            return nb_cmp_bad_input(ctx, "uuid", uuid, "is not of type 'string'");
        if (uuid && mv >= NB_MV(2, 37) && !nb_uuid_is_dashed(json_string_value(uuid)))
            return nb_cmp_bad_input(ctx, "uuid", uuid, "is not a 'uuid'");
        if (port && !json_is_null(port) &&
            (!json_is_string(port) || !nb_uuid_is_dashed(json_string_value(port))))
            return nb_cmp_bad_input(ctx, "port", port, "is not a 'uuid'");
        if (json_is_null(port))
            port = NULL;
        if (ip && (!json_is_string(ip) || (!nb_cmp_is_ip(json_string_value(ip), AF_INET) &&
                                           !nb_cmp_is_ip(json_string_value(ip), AF_INET6))))
            return nb_cmp_bad_input(ctx, "fixed_ip", ip, "is not valid under any of the "
                                  "given schemas");
        if (tag && nb_cmp_tag_valid(ctx, tag) < 0)
            return -EINVAL;
        if (port) {
            for (j = 0; j < i; j++)
                if (json_equal(json_object_get(json_array_get(v, j), "port"), port))
                    return nb_err_set(ctx, 400, "Port ID '%s' was specified twice: you "
                                      "cannot attach a port multiple times.",
                                      json_string_value(port));
            if (ip)
                return nb_err_set(ctx, 400, "Specified Fixed IP '%s' cannot be used with "
                                  "port '%s': the two cannot be specified together.",
                                  json_string_value(ip), json_string_value(port));
        } else if (!uuid) {
            return nb_err_set(ctx, 400, "Bad network format: missing 'uuid'");
        } else if (!nb_uuid_is_dashed(json_string_value(uuid))) {
            return nb_err_set(ctx, 400, "Bad networks format: network uuid is not in "
                              "proper format (%s)", json_string_value(uuid));
        }
    }
    c->networks = v;
    return 0;
}

/* block_device_mapping_v2: only an image (or blank) on local disk; the
 * boot image, when imageRef is absent, comes from it. */
static int nb_parse_bdms(struct nb_ctx *ctx, struct nb_create *c, const json_t *v)
{
    static const char *const keys[] = {
        "virtual_name", "volume_id", "snapshot_id", "volume_size", "device_name",
        "delete_on_termination", "no_device", "connection_info", "source_type", "uuid",
        "image_id", "destination_type", "guest_format", "device_type", "disk_bus",
        "boot_index", "tag", "volume_type", NULL};
    const json_t *b;
    size_t i;

    if (!json_is_array(v))
        return nb_cmp_bad_input(ctx, "block_device_mapping_v2", v, "is not of type 'array'");
    json_array_foreach(v, i, b) {
        const char *src = nb_json_str(b, "source_type");
        const char *dst = nb_json_str(b, "destination_type");
        const char *uuid = nb_json_str(b, "uuid");
        const json_t *bi = json_object_get(b, "boot_index");
        long boot = -1;
        if (!json_is_object(b))
            return nb_cmp_bad_input(ctx, "block_device_mapping_v2", b, "is not of type 'object'");
        if (nb_cmp_only_keys(ctx, "block_device_mapping_v2", b, keys) < 0)
            return -EINVAL;
        if (src && strcmp(src, "volume") && strcmp(src, "image") &&
            strcmp(src, "snapshot") && strcmp(src, "blank"))
            return nb_cmp_bad_input(ctx, "source_type", json_object_get(b, "source_type"),
                                  "is not one of ['volume', 'image', 'snapshot', 'blank']");
        if (dst && strcmp(dst, "local") && strcmp(dst, "volume"))
            return nb_cmp_bad_input(ctx, "destination_type",
                                  json_object_get(b, "destination_type"),
                                  "is not one of ['local', 'volume']");
        if (json_is_integer(bi))
            boot = (long)json_integer_value(bi);
        else if (json_is_string(bi) && nb_str_to_long(json_string_value(bi), &boot) < 0)
            return nb_cmp_bad_input(ctx, "boot_index", bi, "does not match '^-?[0-9]+$'");
        else if (bi && !json_is_null(bi) && !json_is_string(bi))
            return nb_cmp_bad_input(ctx, "boot_index", bi,
                                  "is not of type 'integer', 'string', 'null'");
        if (!src || (dst && strcmp(dst, "local") != 0) || strcmp(src, "volume") == 0 ||
            strcmp(src, "snapshot") == 0)
            return nb_err_set(ctx, 400, "Block Device Mapping is Invalid: only an image "
                              "or a blank disk on local storage is supported.");
        if (strcmp(src, "image") == 0) {
            if (!uuid || !nb_uuid_is_dashed(uuid))
                return nb_err_set(ctx, 400, "Block Device Mapping is Invalid: "
                                  "failed to get image %s.", uuid ? uuid : "");
            if (boot == 0 && !c->image_ref)
                c->image_ref = uuid;
        }
    }
    return 0;
}

/* personality (before 2.57): [{"path", "contents" (base64)}], kept in the
 * request for the agent (config drive); counted against the quotas at
 * commit. */
static int nb_parse_personality(struct nb_ctx *ctx, struct nb_create *c, const json_t *v)
{
    static const char *const keys[] = {"path", "contents", NULL};
    const json_t *f;
    size_t i;

    if (!json_is_array(v))
        return nb_cmp_bad_input(ctx, "personality", v, "is not of type 'array'");
    json_array_foreach(v, i, f) {
        const json_t *path = json_object_get(f, "path");
        const json_t *data = json_object_get(f, "contents");
        if (!json_is_object(f))
            return nb_cmp_bad_input(ctx, "personality", f, "is not of type 'object'");
        if (nb_cmp_only_keys(ctx, "personality", f, keys) < 0)
            return -EINVAL;
        if (!json_is_string(path) || strlen(json_string_value(path)) > 255)
            return nb_cmp_bad_input(ctx, "path", path ? path : f, "is not a valid path");
        if (!json_is_string(data) || !nb_cmp_base64_valid(json_string_value(data)))
            return nb_cmp_bad_input(ctx, "contents", data ? data : f, "is not a 'base64'");
    }
    c->personality = v;
    return 0;
}

/* The personality files against the project's injected_files quotas
 * (Nova's 403 OnsetFile*LimitExceeded). */
static int nb_create_personality_quota(struct nb_ctx *ctx, struct nb_tx *tx,
                                       const struct nb_create *c)
{
    int64_t files = -1, bytes = -1, path_len = -1;
    const json_t *f;
    size_t i;
    int r;

    if (!c->personality)
        return 0;
    if ((r = nb_cmp_quota_limit(tx, ctx->caller.project.id, "injected_files", &files)) < 0 ||
        (r = nb_cmp_quota_limit(tx, ctx->caller.project.id, "injected_file_content_bytes",
                                &bytes)) < 0 ||
        (r = nb_cmp_quota_limit(tx, ctx->caller.project.id, "injected_file_path_bytes",
                                &path_len)) < 0)
        return r;
    if (files >= 0 && (int64_t)json_array_size(c->personality) > files)
        return nb_err_set(ctx, 403, "Personality file limit exceeded");
    json_array_foreach(c->personality, i, f) {
        size_t len = strlen(nb_json_str(f, "contents"));
        if (path_len >= 0 && (int64_t)strlen(nb_json_str(f, "path")) > path_len)
            return nb_err_set(ctx, 403, "Personality file path exceeds maximum %lld",
                              (long long)path_len);
        if (bytes >= 0 && (int64_t)(len / 4 * 3) > bytes)
            return nb_err_set(ctx, 403, "Personality file content exceeds maximum %lld",
                              (long long)bytes);
    }
    return 0;
}

/* A generated admin password (Nova's utils.generate_password, length 12). */
void nb_cmp_password_new(char out[16])
{
    static const char set[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char rnd[12];
    size_t i;
    nb_random_bytes(rnd, sizeof(rnd));
    for (i = 0; i < sizeof(rnd); i++)
        out[i] = set[rnd[i] % (sizeof(set) - 1)];
    out[sizeof(rnd)] = '\0';
}

/* Checks body.server field by field (the create_v2xx schema of the
 * negotiated microversion) and fills 'c'. */
static int nb_create_parse(struct nb_req *req, const json_t *body, struct nb_create *c)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    int mv = nb_req_mv(req);
    const json_t *s = json_object_get(body, "server"), *v, *hints;
    const char *keys[40];
    size_t nk = 0;
    int r;

    static const char *const base[] = {
        "name", "imageRef", "flavorRef", "adminPass", "metadata", "networks",
        "OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "availability_zone",
        "block_device_mapping", "block_device_mapping_v2", "config_drive", "key_name",
        "min_count", "max_count", "return_reservation_id", "security_groups",
        "user_data", NULL};
    static const char *const top[] = {"server", "os:scheduler_hints",
                                      "OS-SCH-HNT:scheduler_hints", NULL};

    if (!json_is_object(s))
        return nb_err_set(ctx, 400, "Invalid input for field/attribute server. "
                          "'server' is a required property");
    if (nb_cmp_only_keys(ctx, NULL, body, top) < 0)
        return -EINVAL;
    for (; base[nk]; nk++)
        keys[nk] = base[nk];
    if (mv < NB_MV(2, 57))
        keys[nk++] = "personality";
    if (mv >= NB_MV(2, 19))
        keys[nk++] = "description";
    if (mv >= NB_MV(2, 52))
        keys[nk++] = "tags";
    if (mv >= NB_MV(2, 63))
        keys[nk++] = "trusted_image_certificates";
    if (mv >= NB_MV(2, 74)) {
        keys[nk++] = "host";
        keys[nk++] = "hypervisor_hostname";
    }
    keys[nk] = NULL;
    if (nb_cmp_only_keys(ctx, "server", s, keys) < 0)
        return -EINVAL;
    c->server = s;

    if (!json_object_get(s, "name"))
        return nb_err_set(ctx, 400, "Invalid input for field/attribute server. "
                          "'name' is a required property");
    if (nb_cmp_name_valid(ctx, "name", json_object_get(s, "name")) < 0)
        return -EINVAL;
    c->name = nb_json_str(s, "name");

    v = json_object_get(s, "flavorRef");
    if (!v)
        return nb_err_set(ctx, 400, "Invalid input for field/attribute server. "
                          "'flavorRef' is a required property");
    if (json_is_integer(v)) {
        snprintf(c->flavor_buf, sizeof(c->flavor_buf), "%lld",
                 (long long)json_integer_value(v));
        c->flavor_ref = c->flavor_buf;
    } else if (json_is_string(v) && *json_string_value(v)) {
        c->flavor_ref = nb_id_from_href(json_string_value(v));
    } else
        return nb_cmp_bad_input(ctx, "flavorRef", v, json_is_string(v) ? "is too short" :
                              "is not of type 'string', 'integer'");

    v = json_object_get(s, "imageRef");
    if (v && (!json_is_string(v) || (*json_string_value(v) &&
                                     !nb_uuid_is_dashed(nb_id_from_href(json_string_value(v))))))
        return nb_cmp_bad_input(ctx, "imageRef", v, "is not valid under any of the given "
                              "schemas");
    if (v && *json_string_value(v))
        c->image_ref = nb_id_from_href(json_string_value(v));

    v = json_object_get(s, "adminPass");
    if (v && !json_is_string(v))
        return nb_cmp_bad_input(ctx, "adminPass", v, "is not of type 'string'");
    if (v)
        c->admin_pass = json_string_value(v);
    else {
        nb_cmp_password_new(c->pass_buf);
        c->admin_pass = c->pass_buf;
    }

    v = json_object_get(s, "metadata");
    if (v && nb_cmp_metadata_valid(ctx, "metadata", v) < 0)
        return -EINVAL;
    c->metadata = v ? json_deep_copy(v) : json_object();

    if ((r = nb_parse_networks(ctx, mv, c, json_object_get(s, "networks"))) < 0)
        return r;

    v = json_object_get(s, "OS-DCF:diskConfig");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "AUTO") &&
                                     strcmp(json_string_value(v), "MANUAL"))))
        return nb_cmp_bad_input(ctx, "OS-DCF:diskConfig", v, "is not one of ['AUTO', 'MANUAL']");
    v = json_object_get(s, "accessIPv4");
    if (v && nb_cmp_access_ip(ctx, "accessIPv4", v, AF_INET, c->access_v4) < 0)
        return -EINVAL;
    v = json_object_get(s, "accessIPv6");
    if (v && nb_cmp_access_ip(ctx, "accessIPv6", v, AF_INET6, c->access_v6) < 0)
        return -EINVAL;

    v = json_object_get(s, "availability_zone");
    if (v && nb_cmp_name_valid(ctx, "availability_zone", v) < 0)
        return -EINVAL;
    c->az = nb_json_str(s, "availability_zone");

    if (json_object_get(s, "block_device_mapping") &&
        json_object_get(s, "block_device_mapping_v2"))
        return nb_err_set(ctx, 400, "Using different block_device_mapping syntaxes is "
                          "not allowed in the same request.");
    if (json_object_get(s, "block_device_mapping"))
        return nb_err_set(ctx, 400, "Block Device Mapping is Invalid: volumes are not "
                          "supported.");
    v = json_object_get(s, "block_device_mapping_v2");
    if (v && (r = nb_parse_bdms(ctx, c, v)) < 0)
        return r;
    if (!c->image_ref)
        return nb_err_set(ctx, 400, "Missing imageRef attribute");

    v = json_object_get(s, "config_drive");
    if (v && nb_param_bool(ctx, "config_drive", v, &c->config_drive) < 0)
        return -EINVAL;
    v = json_object_get(s, "return_reservation_id");
    if (v && nb_param_bool(ctx, "return_reservation_id", v, &c->return_resv) < 0)
        return -EINVAL;

    v = json_object_get(s, "key_name");
    if (v && nb_cmp_name_valid(ctx, "key_name", v) < 0)
        return -EINVAL;
    c->key_name = nb_json_str(s, "key_name");

    c->min = 1;
    v = json_object_get(s, "min_count");
    if (v && nb_param_count(ctx, "min_count", v, &c->min) < 0)
        return -EINVAL;
    c->max = c->min;
    v = json_object_get(s, "max_count");
    if (v && nb_param_count(ctx, "max_count", v, &c->max) < 0)
        return -EINVAL;
    if (c->min > c->max)
        return nb_err_set(ctx, 400, "min_count must be <= max_count");

    v = json_object_get(s, "user_data");
    if (v && !json_is_string(v))
        return nb_cmp_bad_input(ctx, "user_data", v, "is not of type 'string'");
    if (v && strlen(json_string_value(v)) > 65535)
        return nb_cmp_bad_input(ctx, "user_data", v, "is too long");
    if (v && !nb_cmp_base64_valid(json_string_value(v)))
        return nb_cmp_bad_input(ctx, "user_data", v, "is not a 'base64'");
    c->user_data = nb_json_str(s, "user_data");

    v = json_object_get(s, "description");
    if (v && nb_cmp_description_check(ctx, "description", v, 255) < 0)
        return -EINVAL;
    c->description = mv >= NB_MV(2, 19) ? v : json_object_get(s, "name");

    v = json_object_get(s, "tags");
    if (v && nb_cmp_tags_valid(ctx, "tags", v) < 0)
        return -EINVAL;
    c->tags = v ? json_deep_copy(v) : json_array();

    v = json_object_get(s, "personality");
    if (v && (r = nb_parse_personality(ctx, c, v)) < 0)
        return r;
    v = json_object_get(s, "trusted_image_certificates");
    if (v && !json_is_null(v))
        return nb_err_set(ctx, 400, "Image certificate validation is not supported.");

    c->request = json_object();
    v = json_object_get(s, "security_groups");
    {
        json_t *names = json_array();
        const json_t *g;
        size_t i, j;
        if (v && !json_is_array(v)) {
            json_decref(names);
            return nb_cmp_bad_input(ctx, "security_groups", v, "is not of type 'array'");
        }
        json_array_foreach(v, i, g) {
            static const char *const gk[] = {"name", NULL};
            const json_t *n = json_object_get(g, "name");
            bool dup = false;
            if (!json_is_object(g) || nb_cmp_only_keys(ctx, "security_groups", g, gk) < 0 ||
                (n && nb_cmp_name_valid(ctx, "name", n) < 0)) {
                json_decref(names);
                return json_is_object(g) ? -EINVAL :
                       nb_cmp_bad_input(ctx, "security_groups", g, "is not of type 'object'");
            }
            for (j = 0; n && j < json_array_size(names); j++)
                dup = dup || json_equal(json_array_get(names, j), n);
            if (n && !dup)
                json_array_append(names, (json_t *)n);
        }
        if (json_array_size(names) == 0)
            json_array_append_new(names, json_string("default"));
        json_object_set_new(c->request, "security_groups", names);
    }

    hints = json_object_get(body, "os:scheduler_hints");
    if (!hints)
        hints = json_object_get(body, "OS-SCH-HNT:scheduler_hints");
    if (hints && !json_is_object(hints))
        return nb_cmp_bad_input(ctx, "os:scheduler_hints", hints, "is not of type 'object'");
    v = json_object_get(hints, "group");
    if (json_is_array(v) && json_array_size(v) == 1)
        v = json_array_get(v, 0);
    if (v && (!json_is_string(v) || !nb_uuid_is_dashed(json_string_value(v))))
        return nb_cmp_bad_input(ctx, "group", v, "is not a 'uuid'");
    c->group = nb_json_str(hints, "group") ? nb_json_str(hints, "group") :
               (v ? json_string_value(v) : NULL);
    json_object_set_new(c->request, "scheduler_hints",
                        hints ? json_deep_copy(hints) : json_object());
    if (c->group)
        json_object_set_new(c->request, "group", json_string(c->group));
    v = json_object_get(s, "block_device_mapping_v2");
    if (v)
        json_object_set(c->request, "block_device_mapping_v2", (json_t *)v);
    if (nb_json_str(s, "OS-DCF:diskConfig"))
        json_object_set(c->request, "disk_config", json_object_get(s, "OS-DCF:diskConfig"));
    if (c->personality)
        json_object_set(c->request, "personality", (json_t *)c->personality);
    if (c->az)
        json_object_set_new(c->request, "availability_zone", json_string(c->az));
    return 0;
}

/* "az:host:node" (admin) and 2.74's host/hypervisor_hostname. */
static int nb_create_destination(struct nb_req *req, struct nb_tx *tx, struct nb_create *c)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const char *host = nb_json_str(c->server, "host");
    const char *node = nb_json_str(c->server, "hypervisor_hostname");
    char *zone = NULL, *colon;
    int64_t n = 0;
    int r = 0;

    if (c->az && (colon = strchr(c->az, ':'))) {
        char *rest;
        if (host || node)
            return nb_err_set(ctx, 400, "One mechanism with host and/or "
                              "hypervisor_hostname and another mechanism with "
                              "zone:host:node are mutually exclusive.");
        if (nb_req_enforce(req, "os_compute_api:servers:create:forced_host", NULL) < 0)
            return -EACCES;
        zone = nb_xstrndup(c->az, (size_t)(colon - c->az));
        rest = colon + 1;
        if ((colon = strchr(rest, ':'))) {
            *colon = '\0';
            json_object_set_new(c->request, "node", json_string(colon + 1));
        }
        if (*rest)
            json_object_set_new(c->request, "host", json_string(rest));
        json_object_set_new(c->request, "availability_zone", json_string(zone));
        host = nb_json_str(c->request, "host");
        node = nb_json_str(c->request, "node");
    } else if (host || node) {
        if (nb_req_enforce(req, "compute:servers:create:requested_destination", NULL) < 0)
            return -EACCES;
        if (host)
            json_object_set_new(c->request, "host", json_string(host));
        if (node)
            json_object_set_new(c->request, "node", json_string(node));
    }
    if (host) {
        r = nb_tx_query_int(tx, &n, "SELECT COUNT(*) FROM cmp_nodes WHERE host = ?",
                            "s", host);
        if (r == 0 && n == 0)
            r = nb_err_set(ctx, 400, "Compute host %s could not be found.", host);
    }
    if (r == 0 && node) {
        r = nb_tx_query_int(tx, &n, "SELECT COUNT(*) FROM cmp_nodes WHERE"
                            " hypervisor_hostname = ?", "s", node);
        if (r == 0 && n == 0)
            r = nb_err_set(ctx, 400, "Compute host %s could not be found.", node);
    }
    if (r == 0 && (zone || c->az)) {
        const char *z = zone ? zone : c->az;
        r = nb_cmp_zone_has_hosts(tx, z, &n);
        if (r == 0 && n == 0)
            r = nb_err_set(ctx, 400, "The requested availability zone is not available");
    }
    free(zone);
    return r;
}

/* The image: visible to the caller, active. */
static int nb_create_image(struct nb_ctx *ctx, struct nb_create *c)
{
    struct nb_ctx tmp = *ctx;
    const char *status;
    int r;

    tmp.err_status = 0;
    tmp.err_msg[0] = '\0';
    r = nb_image_get(&tmp, c->image_ref, &c->image);
    if (r == -ENOENT || (r < 0 && tmp.err_status == 404))
        return nb_err_set(ctx, 400, "Can not find requested image");
    if (r < 0)
        return nb_err_set(ctx, tmp.err_status ? tmp.err_status : 500, "%s",
                          tmp.err_msg[0] ? tmp.err_msg : "The image service failed.");
    status = nb_json_str(c->image, "status");
    if (!status || strcmp(status, "active") != 0)
        return nb_err_set(ctx, 400, "Image %s is not active.", c->image_ref);
    json_object_set_new(c->request, "image", nb_cmp_image_props(c->image));
    return 0;
}

/* Glance's own fields of an image document: everything else is a
 * property (kernel_id, hw_*, os_command_line, the user's). */
static const char *const nb_cmp_image_core[] = {
    "id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo",
    "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
    "disk_format", "container_format", "created_at", "updated_at", "tags", "self",
    "file", "schema", "direct_url", "locations", "os_hidden", "stores", NULL,
};


json_t *nb_cmp_image_props(const json_t *image)
{
    json_t *props = json_object(), *v;
    const char *key;
    json_object_foreach((json_t *)image, key, v)
        if (!nb_str_in(key, nb_cmp_image_core))
            json_object_set(props, key, v);
    return json_pack("{s:O?,s:O?,s:I,s:I,s:O?,s:O?,s:O?,s:o}",
                     "id", json_object_get(image, "id"),
                     "name", json_object_get(image, "name"),
                     "min_disk", json_integer_value(json_object_get(image, "min_disk")),
                     "min_ram", json_integer_value(json_object_get(image, "min_ram")),
                     "size", json_object_get(image, "size"),
                     "disk_format", json_object_get(image, "disk_format"),
                     "container_format", json_object_get(image, "container_format"),
                     "properties", props);
}

/* The image against the flavor (Nova's _validate_flavor_image_nostatus). */
int nb_cmp_image_fits(struct nb_ctx *ctx, const json_t *image,
                                const json_t *flavor)
{
    int64_t ram = json_integer_value(json_object_get(flavor, "ram"));
    int64_t disk = json_integer_value(json_object_get(flavor, "disk"));
    int64_t min_ram = json_integer_value(json_object_get(image, "min_ram"));
    int64_t min_disk = json_integer_value(json_object_get(image, "min_disk"));
    int64_t size = json_integer_value(json_object_get(image, "size"));
    int64_t gib = 1024LL * 1024 * 1024;

    if (min_ram > ram)
        return nb_err_set(ctx, 400, "Flavor's memory is too small for requested image.");
    if (disk > 0 && size > disk * gib)
        return nb_err_set(ctx, 400, "Flavor's disk is too small for requested image. "
                          "Flavor disk is %lld bytes, image is %lld bytes.",
                          (long long)(disk * gib), (long long)size);
    if (disk > 0 && min_disk > disk)
        return nb_err_set(ctx, 400, "Flavor's disk is smaller than the minimum size "
                          "specified in image metadata. Flavor disk is %lld bytes, "
                          "minimum size is %lld bytes.", (long long)(disk * gib),
                          (long long)(min_disk * gib));
    return 0;
}

/* The usable networks for "auto" (the project's own, not external) or for
 * a pre-2.37 create without networks (shared ones too). */
static int nb_create_default_network(struct nb_ctx *ctx, struct nb_create *c,
                                     json_t *out)
{
    struct nb_ctx tmp = *ctx;
    json_t *nets = NULL, *pick = json_array(), *n;
    bool autoalloc = c->networks_enum != NULL;
    size_t i;
    int r;

    tmp.err_status = 0;
    r = nb_network_list_usable(&tmp, &nets);
    if (r < 0) {
        json_decref(pick);
        return nb_err_set(ctx, tmp.err_status ? tmp.err_status : 500, "%s", tmp.err_msg);
    }
    json_array_foreach(nets, i, n) {
        if (json_is_true(json_object_get(n, "router:external")))
            continue;
        if (autoalloc && json_is_true(json_object_get(n, "shared")) &&
            strcmp(nb_json_str(n, "project_id") ? nb_json_str(n, "project_id") : "",
                   ctx->caller.project.id) != 0)
            continue;
        json_array_append(pick, n);
    }
    json_decref(nets);
    if (json_array_size(pick) > 1) {
        json_decref(pick);
        return nb_err_set(ctx, 409, "Multiple possible networks found, use a Network ID "
                          "to be more specific.");
    }
    if (json_array_size(pick) == 0 && autoalloc) {
        json_decref(pick);
        return nb_err_set(ctx, 400, "Unable to automatically allocate a network for "
                          "project %s", ctx->caller.project.id);
    }
    if (json_array_size(pick) == 1)
        json_array_append_new(out, json_pack("{s:O}", "uuid", json_object_get(
            json_array_get(pick, 0), "id")));
    json_decref(pick);
    return 0;
}

/* Each requested network and port, as the caller sees them in the network
 * service; "networks" of the request resolved. */
static int nb_create_networks(struct nb_ctx *ctx, struct nb_create *c)
{
    json_t *out = json_array();
    const json_t *n;
    size_t i;
    int r = 0;

    if (c->networks_enum && strcmp(c->networks_enum, "none") == 0)
        goto out;
    if (!c->networks || c->networks_enum) {
        r = nb_create_default_network(ctx, c, out);
        goto out;
    }
    json_array_foreach(c->networks, i, n) {
        const char *port = nb_json_str(n, "port");
        const char *net = nb_json_str(n, "uuid");
        const char *ip = nb_json_str(n, "fixed_ip");
        struct nb_ctx tmp = *ctx;
        json_t *doc = NULL, *item;
        tmp.err_status = 0;
        if (port) {
            r = nb_network_port_get(&tmp, port, &doc);
            if (r < 0) {
                r = nb_err_set(ctx, 400, "Port id %s could not be found.", port);
                goto out;
            }
            if (nb_json_str(doc, "device_id") && *nb_json_str(doc, "device_id")) {
                json_decref(doc);
                r = nb_err_set(ctx, 409, "Port %s is still in use.", port);
                goto out;
            }
            if (c->max > 1) {
                json_decref(doc);
                r = nb_err_set(ctx, 400, "Unable to launch multiple instances with a "
                               "single configured port ID. Please launch your instance "
                               "one by one with different ports.");
                goto out;
            }
            item = json_pack("{s:s,s:O?}", "port", port, "uuid",
                             json_object_get(doc, "network_id"));
        } else {
            r = nb_network_get(&tmp, net, &doc);
            if (r < 0) {
                r = nb_err_set(ctx, 400, "Network %s could not be found.", net);
                goto out;
            }
            if (json_array_size(json_object_get(doc, "subnets")) == 0) {
                json_decref(doc);
                r = nb_err_set(ctx, 400, "Network %s requires a subnet in order to boot "
                               "instances on.", net);
                goto out;
            }
            if (ip && c->max > 1) {
                json_decref(doc);
                r = nb_err_set(ctx, 400, "max_count cannot be greater than 1 if an "
                               "fixed_ip is specified.");
                goto out;
            }
            item = json_pack("{s:s}", "uuid", net);
            if (ip)
                json_object_set_new(item, "fixed_ip", json_string(ip));
        }
        if (nb_json_str(n, "tag"))
            json_object_set(item, "tag", json_object_get(n, "tag"));
        json_array_append_new(out, item);
        json_decref(doc);
    }
out:
    if (r == 0)
        json_object_set(c->request, "networks", out);
    json_decref(out);
    return r;
}

/* Each security group asked (by name or id) exists for the caller; the
 * default one is made on first use by the network service. */
static int nb_create_secgroups(struct nb_ctx *ctx, struct nb_create *c)
{
    const json_t *g;
    size_t i;

    json_array_foreach(json_object_get(c->request, "security_groups"), i, g) {
        struct nb_ctx tmp = *ctx;
        char *id = NULL;
        int r;
        if (strcmp(json_string_value(g), "default") == 0)
            continue;
        tmp.err_status = 0;
        r = nb_network_secgroup_id(&tmp, json_string_value(g), &id);
        free(id);
        if (r == -EEXIST)
            return nb_err_set(ctx, 409, "Multiple security groups found matching '%s'. "
                              "Use an ID to be more specific.", json_string_value(g));
        if (r < 0)
            return nb_err_set(ctx, 400, "Security group %s not found.",
                              json_string_value(g));
    }
    return 0;
}

/* Nova's sanitize_hostname. */
char *nb_cmp_hostname_of(const char *name, const char *id)
{
    struct nb_buf b = {0};
    const char *p;
    char *h;
    size_t n;

    for (p = name; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ' || ch == '_' || ch == '.')
            nb_buf_add(&b, "-", 1);
        else if (isalnum(ch) || ch == '-')
            nb_buf_add(&b, (char[]){(char)tolower(ch)}, 1);
    }
    h = b.buf ? nb_buf_steal(&b) : nb_xstrdup("");
    n = strlen(h);
    if (n > 63)
        h[n = 63] = '\0';
    while (n && (h[n - 1] == '-' || h[n - 1] == '.'))
        h[--n] = '\0';
    p = h;
    while (*p == '-' || *p == '.')
        p++;
    if (!*p) {
        free(h);
        return nb_xasprintf("server-%s", id);
    }
    memmove(h, p, strlen(p) + 1);
    return h;
}

/* Inserts server number 'index' of the create. */
static int nb_create_row(struct nb_ctx *ctx, struct nb_tx *tx, const struct nb_create *c,
                         const char *id, long index, long count, const char *resv,
                         const json_t *flavor, const json_t *key, int64_t now)
{
    char *name = count > 1 ? nb_xasprintf("%s-%ld", c->name, index + 1) : nb_xstrdup(c->name);
    char *host = nb_cmp_hostname_of(name, id);
    char *fl = nb_json_dump(flavor), *meta = nb_json_dump(c->metadata);
    char *rq = nb_json_dump(c->request);
    const json_t *az = json_object_get(c->request, "availability_zone");
    int r;

    r = nb_tx_exec(tx, NULL, "INSERT INTO cmp_instances (id, project_id, user_id, name,"
                   " hostname, description, image_ref, flavor_id, flavor, vcpus, memory_mb,"
                   " root_gb, vm_state, task_state, power_state, availability_zone,"
                   " key_name, key_data, user_data, config_drive, metadata, request,"
                   " network_info, reservation_id, launch_index, access_ipv4, access_ipv6,"
                   " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?)",
                   "sssssssssiiissssssssssissii", id, ctx->caller.project.id,
                   ctx->caller.user.id, name, host,
                   json_is_string(c->description) ? json_string_value(c->description) : NULL,
                   c->image_ref, nb_json_str(flavor, "id"), fl,
                   (int64_t)json_integer_value(json_object_get(flavor, "vcpus")),
                   (int64_t)json_integer_value(json_object_get(flavor, "ram")),
                   (int64_t)json_integer_value(json_object_get(flavor, "disk")),
                   NB_VM_BUILDING, "scheduling", json_string_value(az),
                   key ? nb_json_str(key, "name") : NULL,
                   key ? nb_json_str(key, "public_key") : NULL, c->user_data,
                   c->config_drive || nb_conf_bool("compute", "force_config_drive")
                       ? "True" : "", meta, rq, resv, (int64_t)index,
                   c->access_v4, c->access_v6,
                   now, now);
    if (r == 0)
        r = nb_cmp_tags_store(tx, id, c->tags);
    if (r == 0)
        r = nb_cmp_action_record(ctx, tx, id, "create");
    if (r == 0 && c->group)
        r = nb_cmp_group_add_member(ctx, tx, c->group, id);
    free(name);
    free(host);
    free(fl);
    free(meta);
    free(rq);
    return r;
}

/* The write transaction: flavor, key pair, group, quotas, rows.  Fills
 * 'ids' with the new servers' ids. */
static int nb_create_commit(struct nb_req *req, struct nb_create *c, const char *resv,
                            json_t *ids)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    struct nb_tx *tx = NULL;
    json_t *flavor = NULL, *key = NULL, *group = NULL;
    struct nb_cmp_usage one = {1, 0, 0};
    int64_t now = nb_now_us();
    int n = 0, r;
    long i;

    r = nb_tx_begin(nb_cmp_db(), true, &tx);
    if (r < 0)
        goto out;
    r = nb_cmp_flavor_embed(ctx, tx, c->flavor_ref, &flavor);
    if (r < 0) {
        r = nb_err_set(ctx, 400, "Flavor %s could not be found.", c->flavor_ref);
        goto out;
    }
    if ((r = nb_cmp_image_fits(ctx, c->image, flavor)) < 0)
        goto out;
    if ((r = nb_create_destination(req, tx, c)) < 0)
        goto out;
    if (c->key_name) {
        r = nb_cmp_keypair_get(tx, ctx->caller.user.id, c->key_name, &key);
        if (r < 0) {
            r = nb_err_set(ctx, 400, "Invalid key_name provided.");
            goto out;
        }
    }
    if (c->group) {
        r = nb_cmp_group_get(ctx, tx, c->group, &group);
        if (r < 0) {
            r = nb_err_set(ctx, 400, "Instance group %s could not be found.", c->group);
            goto out;
        }
    }
    r = nb_cmp_metadata_quota(ctx, tx, ctx->caller.project.id,
                              json_object_size(c->metadata));
    if (r < 0 || (r = nb_create_personality_quota(ctx, tx, c)) < 0)
        goto out;
    one.cores = json_integer_value(json_object_get(flavor, "vcpus"));
    one.ram = json_integer_value(json_object_get(flavor, "ram"));
    r = nb_cmp_quota_fit(ctx, tx, ctx->caller.project.id, ctx->caller.user.id, &one,
                         (int)c->min, (int)c->max, &n);
    if (r < 0)
        goto out;
    for (i = 0; i < n && r == 0; i++) {
        char id[37];
        nb_uuid_dashed(id);
        r = nb_create_row(ctx, tx, c, id, i, n, resv, flavor, key, now);
        json_array_append_new(ids, json_string(id));
    }
    if (r == 0) {
        r = nb_tx_commit(tx);
        tx = NULL;
    }
out:
    nb_tx_rollback(tx);
    json_decref(flavor);
    json_decref(key);
    json_decref(group);
    return r;
}

int nb_cmp_servers_create(struct nb_req *req)
{
    struct nb_ctx *ctx = nb_req_ctx(req);
    const json_t *body = nb_req_json(req);
    struct nb_create c = {0};
    json_t *ids = json_array(), *target, *resp, *sg;
    char resv[16];
    const char *id;
    int r;

    target = json_pack("{s:{s:s,s:s}}", "target", "project_id", ctx->caller.project.id,
                       "user_id", ctx->caller.user.id);
    r = nb_req_enforce(req, "os_compute_api:servers:create", target);
    json_decref(target);
    if (r < 0 || !body)
        goto out;
    if ((r = nb_create_parse(req, body, &c)) < 0)
        goto out;
    if ((r = nb_create_image(ctx, &c)) < 0)
        goto out;
    if ((r = nb_create_networks(ctx, &c)) < 0)
        goto out;
    if ((r = nb_create_secgroups(ctx, &c)) < 0)
        goto out;
    {
        unsigned char rnd[8];
        static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        size_t i;
        nb_random_bytes(rnd, sizeof(rnd));
        memcpy(resv, "r-", 2);
        for (i = 0; i < sizeof(rnd); i++)
            resv[2 + i] = set[rnd[i] % (sizeof(set) - 1)];
        resv[10] = '\0';
    }
    if ((r = nb_create_commit(req, &c, resv, ids)) < 0)
        goto out;
    if (nb_cmp_build_publish(ids, ctx->request_id) < 0)
        nb_warn("compute: could not publish the builds of %s; the scheduler's "
                "recovery takes them", resv);

    if (c.return_resv) {
        r = nb_reply_json(req, 202, json_pack("{s:s}", "reservation_id", resv));
        goto out;
    }
    id = json_string_value(json_array_get(ids, 0));
    sg = json_array();
    {
        const json_t *g;
        size_t i;
        json_array_foreach(json_object_get(c.request, "security_groups"), i, g)
            json_array_append_new(sg, json_pack("{s:O}", "name", g));
    }
    resp = json_pack("{s:s,s:o,s:s,s:o,s:s}", "id", id, "links",
                     nb_cmp_links(req, "servers", id), "OS-DCF:diskConfig",
                     nb_json_str(c.request, "disk_config") ?
                     nb_json_str(c.request, "disk_config") : "MANUAL",
                     "security_groups", sg, "adminPass", c.admin_pass);
    nb_reply_header(req, "Location", json_string_value(json_object_get(
        json_array_get(json_object_get(resp, "links"), 0), "href")));
    r = nb_reply_json(req, 202, json_pack("{s:o}", "server", resp));
out:
    nb_create_free(&c);
    json_decref(ids);
    return r;
}
