/* The network service (Neutron API v2.0): networks, subnets, subnet pools,
 * ports with IPAM, security groups, quotas, IP availability, and the glue
 * that hands this host's desired state to the data plane driver. */
#ifndef NB_NETWORK_H
#define NB_NETWORK_H

#include "core/core.h"

extern const struct nb_module nb_network_module;

#endif
