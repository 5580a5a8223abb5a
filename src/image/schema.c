/* The image tables, their migrations, Glance's format lists and the JSON
 * schemas of /v2/schemas (glanceclient and the openstack CLI read them to
 * know which attributes are core and which are free-form properties). */
#include "image/internal.h"

#include <stdlib.h>
#include <string.h>

static const struct nb_migration nb_img_migrations[] = {
    {1,
     "CREATE TABLE images ("
     " id TEXT PRIMARY KEY, name TEXT, owner TEXT NOT NULL,"
     " status TEXT NOT NULL, visibility TEXT NOT NULL,"
     " protected BIGINT NOT NULL DEFAULT 0, os_hidden BIGINT NOT NULL DEFAULT 0,"
     " disk_format TEXT, container_format TEXT,"
     " min_disk BIGINT NOT NULL DEFAULT 0, min_ram BIGINT NOT NULL DEFAULT 0,"
     " size BIGINT, virtual_size BIGINT, checksum TEXT, os_hash_algo TEXT,"
     " os_hash_value TEXT,"
     " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
     "CREATE TABLE image_properties ("
     " image_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,"
     " PRIMARY KEY (image_id, name));"
     "CREATE INDEX image_properties_name ON image_properties (name);"
     "CREATE INDEX images_owner ON images (owner);"
     "CREATE INDEX images_created ON images (created_at, id);"
     "CREATE TABLE image_tags ("
     " image_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (image_id, tag));"
     "CREATE TABLE image_members ("
     " image_id TEXT NOT NULL, member_id TEXT NOT NULL, status TEXT NOT NULL,"
     " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
     " PRIMARY KEY (image_id, member_id));"
     "CREATE INDEX image_members_member ON image_members (member_id);"},
    {2,
     "CREATE TABLE image_tasks ("
     " id TEXT PRIMARY KEY, image_id TEXT NOT NULL, type TEXT NOT NULL,"
     " status TEXT NOT NULL, input TEXT NOT NULL, message TEXT NOT NULL,"
     " owner TEXT NOT NULL, user_id TEXT NOT NULL, request_id TEXT NOT NULL,"
     " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL);"
     "CREATE INDEX image_tasks_image ON image_tasks (image_id);"},
};

int nb_img_schema_migrate(struct nb_db *db)
{
    return nb_db_migrate(db, "image", nb_img_migrations,
                         NB_ARRAY_SIZE(nb_img_migrations));
}

/* Glance's [image_format] disk_formats and container_formats defaults. */
static const char *const nb_disk_formats[] = {
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
};
static const char *const nb_container_formats[] = {
    "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed",
};

static bool nb_in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

bool nb_img_disk_format_valid(const char *s)
{
    return nb_in(s, nb_disk_formats, NB_ARRAY_SIZE(nb_disk_formats));
}

bool nb_img_container_format_valid(const char *s)
{
    return nb_in(s, nb_container_formats, NB_ARRAY_SIZE(nb_container_formats));
}

#define UUID_RE "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
#define STR_OR_NULL(len, desc) \
    "{\"type\": [\"null\", \"string\"], \"maxLength\": " #len ", \"description\": \"" desc "\"}"
#define RO_STR(desc) "{\"type\": \"string\", \"readOnly\": true, \"description\": \"" desc "\"}"

/* Glance's image schema (glance/api/v2/images.py get_base_properties plus
 * the schema-image.json properties it ships). */
static const char nb_image_props[] =
    "{"
    "\"id\": {\"type\": \"string\", \"pattern\": \"" UUID_RE "\","
    " \"description\": \"An identifier for the image\"},"
    "\"name\": " STR_OR_NULL(255, "Descriptive name for the image") ","
    "\"status\": {\"type\": \"string\", \"readOnly\": true,"
    " \"enum\": [\"queued\", \"saving\", \"active\", \"killed\", \"deleted\","
    " \"uploading\", \"importing\", \"pending_delete\", \"deactivated\"],"
    " \"description\": \"Status of the image\"},"
    "\"visibility\": {\"type\": \"string\","
    " \"enum\": [\"community\", \"public\", \"private\", \"shared\"],"
    " \"description\": \"Scope of image accessibility\"},"
    "\"protected\": {\"type\": \"boolean\","
    " \"description\": \"If true, image will not be deletable.\"},"
    "\"os_hidden\": {\"type\": \"boolean\","
    " \"description\": \"If true, image will not appear in default image list response.\"},"
    "\"checksum\": {\"type\": [\"null\", \"string\"], \"readOnly\": true, \"maxLength\": 32,"
    " \"description\": \"md5 hash of image contents.\"},"
    "\"os_hash_algo\": {\"type\": [\"null\", \"string\"], \"readOnly\": true, \"maxLength\": 64,"
    " \"description\": \"Algorithm to calculate the os_hash_value\"},"
    "\"os_hash_value\": {\"type\": [\"null\", \"string\"], \"readOnly\": true, \"maxLength\": 128,"
    " \"description\": \"Hexdigest of the image contents using the algorithm specified by the os_hash_algo\"},"
    "\"owner\": " STR_OR_NULL(255, "Owner of the image") ","
    "\"size\": {\"type\": [\"null\", \"integer\"], \"readOnly\": true,"
    " \"description\": \"Size of image file in bytes\"},"
    "\"virtual_size\": {\"type\": [\"null\", \"integer\"], \"readOnly\": true,"
    " \"description\": \"Virtual size of image in bytes\"},"
    "\"container_format\": {\"type\": [\"null\", \"string\"],"
    " \"enum\": [null, \"ami\", \"ari\", \"aki\", \"bare\", \"ovf\", \"ova\", \"docker\", \"compressed\"],"
    " \"description\": \"Format of the container\"},"
    "\"disk_format\": {\"type\": [\"null\", \"string\"],"
    " \"enum\": [null, \"ami\", \"ari\", \"aki\", \"vhd\", \"vhdx\", \"vmdk\", \"raw\", \"qcow2\", \"vdi\", \"iso\", \"ploop\"],"
    " \"description\": \"Format of the disk\"},"
    "\"created_at\": " RO_STR("Date and time of image registration") ","
    "\"updated_at\": " RO_STR("Date and time of the last image modification") ","
    "\"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\", \"maxLength\": 255},"
    " \"description\": \"List of strings related to the image\"},"
    "\"direct_url\": " RO_STR("URL to access the image file kept in external store") ","
    "\"min_ram\": {\"type\": \"integer\","
    " \"description\": \"Amount of ram (in MB) required to boot image.\"},"
    "\"min_disk\": {\"type\": \"integer\","
    " \"description\": \"Amount of disk space (in GB) required to boot image.\"},"
    "\"self\": " RO_STR("An image self url") ","
    "\"file\": " RO_STR("An image file url") ","
    "\"stores\": " RO_STR("Store in which image data resides.  Only present when the operator has enabled multiple stores.") ","
    "\"schema\": " RO_STR("An image schema url") ","
    "\"locations\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
    " \"properties\": {\"url\": {\"type\": \"string\", \"maxLength\": 255},"
    " \"metadata\": {\"type\": \"object\"}}, \"required\": [\"url\", \"metadata\"]},"
    " \"description\": \"A set of URLs to access the image file kept in external store\"},"
    "\"kernel_id\": {\"type\": [\"null\", \"string\"], \"pattern\": \"" UUID_RE "\","
    " \"description\": \"ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.\","
    " \"is_base\": false},"
    "\"ramdisk_id\": {\"type\": [\"null\", \"string\"], \"pattern\": \"" UUID_RE "\","
    " \"description\": \"ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.\","
    " \"is_base\": false},"
    "\"instance_uuid\": {\"type\": \"string\","
    " \"description\": \"Metadata which can be used to record which instance this image is associated with.\","
    " \"is_base\": false},"
    "\"architecture\": {\"type\": \"string\","
    " \"description\": \"Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html\","
    " \"is_base\": false},"
    "\"os_distro\": {\"type\": \"string\","
    " \"description\": \"Common name of operating system distribution\", \"is_base\": false},"
    "\"os_version\": {\"type\": \"string\","
    " \"description\": \"Operating system version as specified by the distributor.\", \"is_base\": false},"
    "\"description\": {\"type\": \"string\", \"description\": \"A human-readable string describing this image.\","
    " \"is_base\": false},"
    "\"cinder_encryption_key_id\": {\"type\": \"string\","
    " \"description\": \"Identifier in the OpenStack Key Management Service for the encryption key for the Block Storage Service to use when mounting a volume created from this image\","
    " \"is_base\": false},"
    "\"cinder_encryption_key_deletion_policy\": {\"type\": \"string\","
    " \"enum\": [\"on_image_deletion\", \"do_not_delete\"],"
    " \"description\": \"States the condition under which the Image Service will delete the object associated with the 'cinder_encryption_key_id' image property.\","
    " \"is_base\": false}"
    "}";

static const char nb_image_links[] =
    "[{\"rel\": \"self\", \"href\": \"{self}\"},"
    " {\"rel\": \"enclosure\", \"href\": \"{file}\"},"
    " {\"rel\": \"describedby\", \"href\": \"{schema}\"}]";

static json_t *nb_json_const(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v) {
        nb_error("image: BUG: schema text: %s at %d", e.text, e.position);
        abort();
    }
    return v;
}

json_t *nb_img_schema_image(void)
{
    return json_pack("{s:s,s:o,s:{s:s},s:o}", "name", "image",
                     "properties", nb_json_const(nb_image_props),
                     "additionalProperties", "type", "string",
                     "links", nb_json_const(nb_image_links));
}

json_t *nb_img_schema_images(void)
{
    return json_pack(
        "{s:s,s:{s:{s:s,s:o},s:{s:s},s:{s:s},s:{s:s}},s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
        "name", "images",
        "properties",
        "images", "type", "array", "items", nb_img_schema_image(),
        "schema", "type", "string",
        "first", "type", "string",
        "next", "type", "string",
        "links",
        "rel", "first", "href", "{first}",
        "rel", "next", "href", "{next}",
        "rel", "describedby", "href", "{schema}");
}

json_t *nb_img_schema_member(void)
{
    return nb_json_const(
        "{\"name\": \"member\", \"properties\": {"
        "\"created_at\": {\"type\": \"string\", \"description\": \"Date and time of image member creation\"},"
        "\"image_id\": {\"type\": \"string\", \"pattern\": \"" UUID_RE "\","
        " \"description\": \"An identifier for the image\"},"
        "\"member_id\": {\"type\": \"string\", \"description\": \"An identifier for the image member (tenantId)\"},"
        "\"schema\": {\"type\": \"string\", \"readOnly\": true},"
        "\"status\": {\"type\": \"string\", \"enum\": [\"pending\", \"accepted\", \"rejected\"],"
        " \"description\": \"The status of this image member\"},"
        "\"updated_at\": {\"type\": \"string\", \"description\": \"Date and time of last modification of image member\"}"
        "}}");
}

json_t *nb_img_schema_members(void)
{
    return json_pack("{s:s,s:{s:{s:s,s:o},s:{s:s}},s:[{s:s,s:s}]}",
                     "name", "members",
                     "properties",
                     "members", "type", "array", "items", nb_img_schema_member(),
                     "schema", "type", "string",
                     "links", "rel", "describedby", "href", "{schema}");
}
