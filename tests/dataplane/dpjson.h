/* The JSON form of struct nb_dp_state (see dp-apply.c for the fields and
 * defaults), shared by dp-apply and the unit tests. */
#ifndef NB_TEST_DPJSON_H
#define NB_TEST_DPJSON_H

#include "network/dataplane/driver.h"

#include <jansson.h>

struct dpj {
    struct nb_dp_state st;      /* borrows from the fields below */
    json_t *root;
    void **ptrs;
    size_t n;
};

/* Loads 'path' into 'd' (freed with dpj_free()).  Returns 0, or -EINVAL
 * when the file is not JSON (said on stderr). */
int dpj_load(const char *path, struct dpj *d);
void dpj_free(struct dpj *d);

#endif
