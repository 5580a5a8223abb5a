/* The policy rule table (internal to src/auth). */
#ifndef NB_POLICY_RULES_H
#define NB_POLICY_RULES_H

#include <stddef.h>

struct nb_policy_rule {
    const char *name;
    const char *rule;
};

/* The whole table; *n receives its length. */
const struct nb_policy_rule *nb_policy_rules(size_t *n);

#endif
