/* The actions that change what a server is made of: createImage (a
 * snapshot that becomes a Glance image), rebuild (a new image) and resize
 * (a new flavor, then confirmResize or revertResize).  Nova's checks and
 * messages: nova/api/openstack/compute/servers.py and compute/api.py. */
#include "compute/actions.h"
#include "compute/extras.h"
#include "image/image.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* 400 naming the first key of 'obj' not in 'allowed' (NULL-terminated). */
static int nb_act_only(struct nb_act_req *a, const char *field, const char *const *allowed)
{
    return nb_cmp_only_keys(a->ctx, field, a->arg, allowed);
}

/* Runs 'fn' as a copy of a->ctx, so a failure of another module leaves
 * its message there and this request says its own (Nova's) message. */
#define NB_ACT_QUIET(a, tmp) (tmp = *(a)->ctx, tmp.err_status = 0, tmp.err_msg[0] = '\0', &tmp)

/* ---- createImage */

int nb_act_check_create_image(struct nb_act_req *a)
{
    static const char *const keys[] = {"name", "metadata", NULL};
    int r;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "createImage", a->arg, "is not of type 'object'");
    if ((r = nb_act_only(a, "createImage", keys)) < 0)
        return r;
    if (!json_object_get(a->arg, "name"))
        return nb_cmp_bad_input(a->ctx, "createImage", a->arg, "'name' is a required property");
    if ((r = nb_cmp_name_valid(a->ctx, "name", json_object_get(a->arg, "name"))) < 0)
        return r;
    if (json_object_get(a->arg, "metadata"))
        r = nb_cmp_metadata_valid(a->ctx, "metadata", json_object_get(a->arg, "metadata"));
    return r;
}

/* createBackup (create_backup.py): a snapshot with a type, of which the
 * host keeps the 'rotation' newest. */
int nb_act_check_create_backup(struct nb_act_req *a)
{
    static const char *const keys[] = {"name", "backup_type", "rotation", "metadata", NULL};
    static const char *const required[] = {"name", "backup_type", "rotation"};
    const json_t *v;
    long n = 0;
    int r;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "createBackup", a->arg, "is not of type 'object'");
    if ((r = nb_act_only(a, "createBackup", keys)) < 0)
        return r;
    for (size_t i = 0; i < NB_ARRAY_SIZE(required); i++)
        if (!json_object_get(a->arg, required[i])) {
            char *why = nb_xasprintf("'%s' is a required property", required[i]);
            r = nb_cmp_bad_input(a->ctx, "createBackup", a->arg, why);
            free(why);
            return r;
        }
    if ((r = nb_cmp_name_valid(a->ctx, "name", json_object_get(a->arg, "name"))) < 0)
        return r;
    if (!json_is_string(v = json_object_get(a->arg, "backup_type")))
        return nb_cmp_bad_input(a->ctx, "backup_type", v, "is not of type 'string'");
    v = json_object_get(a->arg, "rotation");
    if (json_is_integer(v))
        n = (long)json_integer_value(v);
    else if (!json_is_string(v) || nb_str_to_long(json_string_value(v), &n) < 0 ||
             !strchr("0123456789", json_string_value(v)[0]))
        return nb_cmp_bad_input(a->ctx, "rotation", v, "is not of type 'integer', 'string'");
    if (n < 0)
        return nb_cmp_bad_input(a->ctx, "rotation", v, "is less than the minimum of 0");
    if (json_object_get(a->arg, "metadata"))
        r = nb_cmp_metadata_valid(a->ctx, "metadata", json_object_get(a->arg, "metadata"));
    return r;
}

static bool nb_act_is_backup(const struct nb_act_req *a)
{
    return !strcmp(a->key, "createBackup");
}

static long nb_act_rotation(const struct nb_act_req *a)
{
    const json_t *v = json_object_get(a->arg, "rotation");
    long n = 0;
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    nb_str_to_long(json_string_value(v), &n);
    return n;
}

static const char *const nb_snapshot_vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NB_VM_PAUSED,
                                              NB_VM_SUSPENDED, NULL};

/* Properties a snapshot never inherits from its base image (Nova's
 * NON_INHERITABLE_IMAGE_PROPERTIES, and what says where an image is from). */
static const char *const nb_snapshot_skip[] = {
    "cinder_encryption_key_id", "cinder_encryption_key_deletion_policy",
    "img_signature", "img_signature_hash_method", "img_signature_key_type",
    "img_signature_certificate_uuid", "image_type", "instance_uuid", "base_image_ref",
    "owner_id", "user_id", "backup_type", "image_location", "image_state", NULL,
};

/* The base image's properties a snapshot keeps (kernel_id, ramdisk_id,
 * os_command_line, hw_*, the user's): set on 'p'. */
static void nb_act_snapshot_inherit(const json_t *base, json_t *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(base, "properties"), key, v)
        if (!nb_str_in(key, nb_snapshot_skip))
            json_object_set(p, key, v);
}

/* The image Nova's create_image makes (compute/utils.py): private, the
 * base image's formats, minimums (min_disk at least the flavor's disk) and
 * inheritable properties, and properties saying where it comes from; the
 * user's metadata on top. */
static json_t *nb_act_snapshot_props(struct nb_act_req *a, const char *name)
{
    const json_t *base = nb_json_obj(nb_json_obj(a->server, "request"), "image");
    const json_t *meta = json_object_get(a->arg, "metadata"), *v;
    const char *fmt = nb_json_str(base, "disk_format"), *key;
    int64_t min_disk = json_integer_value(json_object_get(base, "min_disk"));
    int64_t root = json_integer_value(json_object_get(a->server, "root_gb"));
    json_t *p;

    if (!fmt || (strcmp(fmt, "raw") && strcmp(fmt, "qcow2")))
        fmt = "qcow2";
    p = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "name", name,
                  "visibility", "private",
                  "disk_format", fmt, "container_format", "bare", "min_disk",
                  (json_int_t)(root > min_disk ? root : min_disk), "min_ram",
                  json_integer_value(json_object_get(base, "min_ram")), "image_type",
                  nb_act_is_backup(a) ? "backup" : "snapshot", "instance_uuid", a->id,
                  "user_id", a->ctx->caller.user.id, "owner_id",
                  nb_json_str(a->server, "project_id"));
    nb_act_snapshot_inherit(base, p);
    if (nb_act_is_backup(a))
        json_object_set(p, "backup_type", json_object_get(a->arg, "backup_type"));
    if (nb_json_str(a->server, "image_ref") && *nb_json_str(a->server, "image_ref"))
        json_object_set_new(p, "base_image_ref",
                            json_string(nb_json_str(a->server, "image_ref")));
    json_object_foreach((json_t *)meta, key, v)
        json_object_set(p, key, (json_t *)v);
    return p;
}

int nb_act_image_make(struct nb_act_req *a, const char *name)
{
    struct nb_ctx tmp, *ictx = NB_ACT_QUIET(a, tmp);
    json_t *props = nb_act_snapshot_props(a, name);
    int r = nb_image_create(ictx, props, &a->image);
    json_decref(props);
    if (r < 0)          /* Glance's 413 for its image quota is Nova's 403 */
        r = nb_err_set(a->ctx, ictx->err_status == 413 ? 403 : ictx->err_status ?
                       ictx->err_status : 500, "%s", ictx->err_msg);
    return r;
}

/* Before the write transaction (the image service writes in its own):
 * the state as loaded, then the image. */
int nb_act_create_image_pre(struct nb_act_req *a)
{
    int r = nb_act_check(a, a->key, false, nb_snapshot_vms, NULL);
    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_act_image_make(a, nb_json_str(a->arg, "name"));
    return r;
}

int nb_act_create_image(struct nb_act_req *a)
{
    const char *image_id = nb_json_str(a->image, "id");
    bool backup = nb_act_is_backup(a);
    int r = nb_act_check(a, a->key, false, nb_snapshot_vms, NULL);
    if (r == 0)
        r = nb_act_claim(a, a->key, backup ? NB_TASK_BACKUP : NB_TASK_SNAPSHOT_PENDING);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, a->key);
    if (r < 0)
        return r;
    a->op = "snapshot";
    a->op_args = json_pack("{s:s,s:s}", "image_id", image_id, "disk_format",
                           nb_json_str(a->image, "disk_format"));
    if (backup)
        json_object_set_new(a->op_args, "rotate",
                            json_pack("{s:O,s:I}", "backup_type",
                                      json_object_get(a->arg, "backup_type"), "rotation",
                                      (json_int_t)nb_act_rotation(a)));
    /* 2.45: the id in the body; before, where the image is (Glance's URL
     * for a snapshot, the compute proxy's for a kept backup) */
    if (a->mv >= NB_MV(2, 45))
        a->body = json_pack("{s:s}", "image_id", image_id);
    else if (!backup)
        a->location = nb_xasprintf("%s/image/v2/images/%s", nb_req_base_url(a->req),
                                   image_id);
    else if (nb_act_rotation(a) > 0)
        a->location = nb_xasprintf("%s/compute/v2.1/images/%s", nb_req_base_url(a->req),
                                   image_id);
    return 0;
}

/* An image made for a request that then failed goes away. */
void nb_act_create_image_undo(struct nb_act_req *a)
{
    struct nb_ctx tmp;
    if (a->image && nb_image_delete(NB_ACT_QUIET(a, tmp), nb_json_str(a->image, "id")) < 0)
        nb_warn("compute: cannot delete image %s: %s", nb_json_str(a->image, "id"),
                tmp.err_msg);
}

/* ---- rebuild (microversions: 2.19 description, 2.54 key_name, 2.57
 * user_data and no personality, 2.63 trusted_image_certificates) */

static int nb_act_check_rebuild_fields(struct nb_act_req *a)
{
    const json_t *v;
    int r = 0;

    if ((v = json_object_get(a->arg, "name")))
        r = nb_cmp_name_valid(a->ctx, "name", v);
    if (r == 0 && (v = json_object_get(a->arg, "description")))
        r = nb_cmp_description_check(a->ctx, "description", v, 255);
    if (r == 0 && (v = json_object_get(a->arg, "metadata")))
        r = nb_cmp_metadata_valid(a->ctx, "metadata", v);
    if (r == 0 && (v = json_object_get(a->arg, "adminPass")) && !json_is_string(v))
        r = nb_cmp_bad_input(a->ctx, "adminPass", v, "is not of type 'string'");
    if (r == 0 && (v = json_object_get(a->arg, "preserve_ephemeral")) && !json_is_boolean(v))
        r = nb_cmp_bad_input(a->ctx, "preserve_ephemeral", v, "is not of type 'boolean'");
    if (r == 0 && (v = json_object_get(a->arg, "OS-DCF:diskConfig")) &&
        !(json_is_string(v) && (!strcmp(json_string_value(v), "AUTO") ||
                                !strcmp(json_string_value(v), "MANUAL"))))
        r = nb_cmp_bad_input(a->ctx, "OS-DCF:diskConfig", v, "is not one of ['AUTO', 'MANUAL']");
    if (r == 0 && (v = json_object_get(a->arg, "accessIPv4")) &&
        !(json_is_string(v) && nb_cmp_is_ip(json_string_value(v), AF_INET)))
        r = nb_cmp_bad_input(a->ctx, "accessIPv4", v, "is not a 'ipv4'");
    if (r == 0 && (v = json_object_get(a->arg, "accessIPv6")) &&
        !(json_is_string(v) && nb_cmp_is_ip(json_string_value(v), AF_INET6)))
        r = nb_cmp_bad_input(a->ctx, "accessIPv6", v, "is not a 'ipv6'");
    if (r == 0 && (v = json_object_get(a->arg, "key_name")) && !json_is_null(v))
        r = nb_cmp_name_valid(a->ctx, "key_name", v);
    if (r == 0 && (v = json_object_get(a->arg, "user_data")) && !json_is_null(v) &&
        !(json_is_string(v) && json_string_length(v) <= 65535 &&
          nb_cmp_base64_valid(json_string_value(v))))
        r = nb_cmp_bad_input(a->ctx, "user_data", v, "is not a 'base64'");
    if (r == 0 && (v = json_object_get(a->arg, "trusted_image_certificates")) &&
        !json_is_null(v) && !json_is_array(v))
        r = nb_cmp_bad_input(a->ctx, "trusted_image_certificates", v,
                           "is not of type 'array', 'null'");
    if (r == 0 && (v = json_object_get(a->arg, "personality")) && !json_is_array(v))
        r = nb_cmp_bad_input(a->ctx, "personality", v, "is not of type 'array'");
    return r;
}

int nb_act_check_rebuild(struct nb_act_req *a)
{
    static const char *const keys[] = {
        "imageRef", "name", "adminPass", "metadata", "preserve_ephemeral",
        "OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "personality", "description",
        "key_name", "user_data", "trusted_image_certificates", NULL};
    /* the keys each microversion range leaves out */
    const char *absent[4] = {NULL};
    const json_t *img;
    size_t n = 0;
    int r;

    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "rebuild", a->arg, "is not of type 'object'");
    if ((r = nb_act_only(a, "rebuild", keys)) < 0)
        return r;
    if (a->mv < NB_MV(2, 19))
        absent[n++] = "description";
    if (a->mv < NB_MV(2, 54))
        absent[n++] = "key_name";
    if (a->mv < NB_MV(2, 57))
        absent[n++] = "user_data";
    else
        absent[n++] = "personality";
    if (a->mv < NB_MV(2, 63))
        absent[n++] = "trusted_image_certificates";
    for (size_t i = 0; i < n && i < NB_ARRAY_SIZE(absent); i++)
        if (absent[i] && json_object_get(a->arg, absent[i]))
            return nb_err_set(a->ctx, 400, "Additional properties are not allowed ('%s' "
                              "was unexpected)", absent[i]);
    img = json_object_get(a->arg, "imageRef");
    if (!img)
        return nb_cmp_bad_input(a->ctx, "rebuild", a->arg, "'imageRef' is a required property");
    if (!json_is_string(img) || !nb_uuid_is_dashed(json_string_value(img)))
        return nb_cmp_bad_input(a->ctx, "imageRef", img, "is not a 'uuid'");
    return nb_act_check_rebuild_fields(a);
}

/* The new image: visible, active, and fitting the flavor. */
static int nb_act_rebuild_image(struct nb_act_req *a, json_t **image)
{
    const char *id = nb_json_str(a->arg, "imageRef");
    struct nb_ctx tmp;
    int r = nb_image_get(NB_ACT_QUIET(a, tmp), id, image);
    if (r < 0)
        return nb_err_set(a->ctx, 400, "Cannot find image for rebuild");
    if (strcmp(nb_json_str(*image, "status"), "active"))
        return nb_err_set(a->ctx, 400, "Image %s is not active.", id);
    return nb_cmp_image_fits(a->ctx, *image, json_object_get(a->server, "flavor"));
}

/* What a rebuild changes in the row, from the request. */
static int nb_act_rebuild_changes(struct nb_act_req *a, const json_t *image, json_t *set)
{
    static const char *const same[][2] = {
        {"name", "name"}, {"description", "description"}, {"metadata", "metadata"},
        {"accessIPv4", "access_ipv4"}, {"accessIPv6", "access_ipv6"},
        {"user_data", "user_data"}};
    json_t *req = json_deep_copy(json_object_get(a->server, "request"));
    const json_t *kn = json_object_get(a->arg, "key_name");
    json_t *kp = NULL;
    int r = 0;

    for (size_t i = 0; i < NB_ARRAY_SIZE(same); i++)
        if (json_object_get(a->arg, same[i][0]))
            json_object_set(set, same[i][1], json_object_get(a->arg, same[i][0]));
    if (json_is_string(kn)) {
        r = nb_cmp_keypair_get(a->tx, a->ctx->caller.user.id, json_string_value(kn), &kp);
        if (r == -ENOENT)
            r = nb_err_set(a->ctx, 400, "Invalid key_name provided.");
        if (r == 0) {
            json_object_set(set, "key_name", (json_t *)kn);
            json_object_set(set, "key_data", json_object_get(kp, "public_key"));
        }
    } else if (kn) {
        json_object_set_new(set, "key_name", json_null());
        json_object_set_new(set, "key_data", json_null());
    }
    if (!json_is_object(req))
        req = json_object();
    json_object_set_new(req, "image", nb_cmp_image_props(image));
    if (json_object_get(a->arg, "OS-DCF:diskConfig"))
        json_object_set(req, "disk_config", json_object_get(a->arg, "OS-DCF:diskConfig"));
    json_object_set_new(set, "request", req);
    json_object_set(set, "image_ref", json_object_get(image, "id"));
    json_decref(kp);
    return r;
}

int nb_act_rebuild(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NB_VM_ERROR, NULL};
    const json_t *meta = json_object_get(a->arg, "metadata");
    bool stopped = !strcmp(nb_json_str(a->server, "vm_state"), NB_VM_STOPPED);
    json_t *image = NULL, *set = json_object(), *view;
    char pass[16];
    int r = nb_act_check(a, "rebuild", true, vms, NULL);

    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_act_rebuild_image(a, &image);
    if (r == 0 && meta)
        r = nb_cmp_metadata_quota(a->ctx, a->tx, nb_json_str(a->server, "project_id"),
                                  json_object_size(meta));
    if (r == 0)
        r = nb_act_rebuild_changes(a, image, set);
    if (r == 0)
        r = nb_act_claim(a, "rebuild", NB_TASK_REBUILDING);
    if (r == 0)
        r = nb_cmp_server_set(a->tx, a->id, set);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "rebuild");
    if (r == 0) {
        json_decref(a->server);
        a->server = NULL;
        r = nb_cmp_server_get(a->ctx, a->tx, a->id, &a->server);
    }
    if (r == 0) {
        a->op = "rebuild";
        a->op_args = json_pack("{s:b}", "stopped", stopped);
        view = nb_cmp_server_view(a->req, a->tx, a->server, NB_CMP_VIEW_REBUILD);
        if (nb_json_str(a->arg, "adminPass"))
            json_object_set(view, "adminPass", json_object_get(a->arg, "adminPass"));
        else {
            nb_cmp_password_new(pass);
            json_object_set_new(view, "adminPass", json_string(pass));
        }
        a->body = json_pack("{s:o}", "server", view);
        a->location = nb_xasprintf("%s/compute/v2.1/servers/%s", nb_req_base_url(a->req),
                                   a->id);
    }
    json_decref(image);
    json_decref(set);
    return r;
}

/* ---- resize, confirmResize, revertResize */

int nb_act_check_resize(struct nb_act_req *a)
{
    static const char *const keys[] = {"flavorRef", "OS-DCF:diskConfig", NULL};
    const json_t *f, *dc;
    int r;
    if (!json_is_object(a->arg))
        return nb_cmp_bad_input(a->ctx, "resize", a->arg, "is not of type 'object'");
    if ((r = nb_act_only(a, "resize", keys)) < 0)
        return r;
    f = json_object_get(a->arg, "flavorRef");
    if (!f)
        return nb_cmp_bad_input(a->ctx, "resize", a->arg, "'flavorRef' is a required property");
    if (!(json_is_string(f) && json_string_length(f)) && !json_is_integer(f))
        return nb_cmp_bad_input(a->ctx, "flavorRef", f, json_is_string(f) ? "is too short" :
                              "is not of type 'string', 'integer'");
    dc = json_object_get(a->arg, "OS-DCF:diskConfig");
    if (dc && !(json_is_string(dc) && (!strcmp(json_string_value(dc), "AUTO") ||
                                       !strcmp(json_string_value(dc), "MANUAL"))))
        return nb_cmp_bad_input(a->ctx, "OS-DCF:diskConfig", dc,
                              "is not one of ['AUTO', 'MANUAL']");
    return 0;
}

/* The quota for going from flavor 'from' to 'to' (only increases count,
 * as Nova's _check_quota_for_upsize). */
static int nb_act_upsize_quota(struct nb_act_req *a, const json_t *from, const json_t *to)
{
    struct nb_cmp_usage d = {
        .cores = json_integer_value(json_object_get(to, "vcpus")) -
                 json_integer_value(json_object_get(from, "vcpus")),
        .ram = json_integer_value(json_object_get(to, "ram")) -
               json_integer_value(json_object_get(from, "ram")),
    };
    int n = 0;
    if (d.cores < 0)
        d.cores = 0;
    if (d.ram < 0)
        d.ram = 0;
    if (!d.cores && !d.ram)
        return 0;
    return nb_cmp_quota_fit(a->ctx, a->tx, nb_json_str(a->server, "project_id"),
                            nb_json_str(a->server, "user_id"), &d, 1, 1, &n);
}

/* Nova's id from a flavorRef, which may be a URL ("…/flavors/<id>"). */
static char *nb_act_flavor_id(const json_t *ref)
{
    const char *s, *slash;
    if (json_is_integer(ref))
        return nb_xasprintf("%lld", (long long)json_integer_value(ref));
    s = json_string_value(ref);
    slash = strrchr(s, '/');
    return nb_xstrdup(slash ? slash + 1 : s);
}

int nb_act_resize(struct nb_act_req *a)
{
    static const char *const vms[] = {NB_VM_ACTIVE, NB_VM_STOPPED, NULL};
    const json_t *cur = json_object_get(a->server, "flavor");
    const json_t *image = nb_json_obj(nb_json_obj(a->server, "request"), "image");
    char *fid = nb_act_flavor_id(json_object_get(a->arg, "flavorRef"));
    json_t *nf = NULL, *set = NULL;
    int r = nb_act_check(a, "resize", true, vms, NULL);

    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0 && nb_cmp_flavor_embed(a->ctx, a->tx, fid, &nf) < 0)
        r = nb_err_set(a->ctx, 400, "Flavor %s could not be found.", fid);
    if (r == 0 && !json_integer_value(json_object_get(nf, "disk")) &&
        json_integer_value(json_object_get(cur, "disk")))
        r = nb_err_set(a->ctx, 400, "Server disk was unable to be resized because: Resize "
                                    "to zero disk flavor is not allowed.");
    if (r == 0 && !strcmp(fid, nb_json_str(a->server, "flavor_id") ?
                                   nb_json_str(a->server, "flavor_id") : ""))
        r = nb_err_set(a->ctx, 400, "When resizing, instances must change flavor!");
    if (r == 0 && image)
        r = nb_cmp_image_fits(a->ctx, image, nf);
    if (r == 0)
        r = nb_act_upsize_quota(a, cur, nf);
    if (r == 0)
        r = nb_act_claim(a, "resize", NB_TASK_RESIZE_PREP);
    if (r == 0) {
        set = json_pack("{s:O}", "new_flavor", nf);
        if (json_object_get(a->arg, "OS-DCF:diskConfig")) {
            json_t *req = json_deep_copy(json_object_get(a->server, "request"));
            if (!json_is_object(req)) {
                json_decref(req);
                req = json_object();
            }
            json_object_set(req, "disk_config", json_object_get(a->arg, "OS-DCF:diskConfig"));
            json_object_set_new(set, "request", req);
        }
        r = nb_cmp_server_set(a->tx, a->id, set);
    }
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "resize");
    if (r == 0)
        r = nb_cmp_migration_add(a->tx, a->server, "resize", "pre-migrating", NULL, cur, nf,
                                 NULL);
    a->op = "resize";
    json_decref(nf);
    json_decref(set);
    free(fid);
    return r;
}

static const char *const nb_resized[] = {NB_VM_RESIZED, NULL};

int nb_act_confirm_resize(struct nb_act_req *a)
{
    int r = nb_act_check(a, "confirmResize", true, nb_resized, NULL);
    if (r == 0)
        r = nb_act_check_host(a);
    if (r == 0)
        r = nb_act_claim(a, "confirmResize", NB_TASK_RESIZE_CONFIRMING);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "confirmResize");
    a->op = "confirm_resize";
    return r;
}

int nb_act_revert_resize(struct nb_act_req *a)
{
    const json_t *old = json_object_get(a->server, "old_flavor");
    int r = nb_act_check(a, "revertResize", true, nb_resized, NULL);
    if (r == 0 && !json_is_object(old))
        r = nb_err_set(a->ctx, 400, "Instance has not been resized.");
    if (r == 0)
        r = nb_act_check_host(a);
    /* going back to a bigger flavor counts again */
    if (r == 0)
        r = nb_act_upsize_quota(a, json_object_get(a->server, "flavor"), old);
    if (r == 0)
        r = nb_act_claim(a, "revertResize", NB_TASK_RESIZE_REVERTING);
    if (r == 0)
        r = nb_cmp_action_record(a->ctx, a->tx, a->id, "revertResize");
    a->op = "revert_resize";
    return r;
}
