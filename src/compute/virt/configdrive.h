/* The config drive: an ISO 9660 image labelled "config-2" holding what
 * Nova's config drive holds (openstack/latest/meta_data.json, user_data,
 * network_data.json, vendor_data.json), which cloud-init and the test
 * guest read at boot. */
#ifndef NB_VIRT_CONFIGDRIVE_H
#define NB_VIRT_CONFIGDRIVE_H

#include "compute/virt/driver.h"

/* Writes the config drive of guest 'g' to 'iso_path' (replaced whole:
 * built in a temporary file and renamed).  0, or -errno with a new message
 * in *err. */
int nb_virt_configdrive_build(const struct nb_virt_guest *g, const char *iso_path,
                              char **err);

#endif
