/* Helpers shared by the unit tests: cmocka's headers in the order it
 * needs them, and throwaway directories that each test creates and
 * removes, so tests run in parallel and after a crash. */
#ifndef NB_TEST_H
#define NB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

/* Creates a new directory under /tmp; returns its path (caller frees it,
 * after nbt_rmrf()). */
char *nbt_tmpdir(void);
/* Removes 'path' and everything below it. */
void nbt_rmrf(const char *path);
/* Writes 'text' to DIR/NAME; returns the path (caller frees). */
char *nbt_write(const char *dir, const char *name, const char *text);
/* The database tests run on SQLite, and again on PostgreSQL when
 * NUBIS_TEST_PG_URI names a server where the test may create databases
 * (tests/run-all.sh sets it, with a server from tests/lib/pg.sh). */
bool nbt_pg(void);
/* A fresh, empty database for one test: "sqlite:DIR/NAME.db", or a new
 * PostgreSQL database.  The caller frees the URL after nbt_db_drop(). */
char *nbt_db_url(const char *dir, const char *name);
/* Drops what nbt_db_url created (PostgreSQL; SQLite files go with DIR). */
void nbt_db_drop(const char *url);
/* Pins [DEFAULT] state_dir to a new temp dir and loads the defaults, so no
 * ./state/nubis.conf of the developer leaks into a test.  Returns the dir
 * (caller frees after nbt_rmrf()). */
char *nbt_conf_isolated(void);

/* A caller of the given scope; 'roles' is a NULL-terminated list of role
 * names, given as the resolver would (implied roles included). */
void nbt_caller(struct nb_ctx *ctx, const char *user_id, const char *const *roles);

/* The main of every test binary:
 *     test_x            runs every test of the group
 *     test_x --list     prints the test names, one a line, in order
 *     test_x PATTERN    runs the tests whose name matches (cmocka's glob)
 * tests/run-all.sh uses the last two to run, one by one, the tests that a
 * crash (a sanitizer report) kept from running. */
int nbt_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
             size_t n, CMFixtureFunction setup, CMFixtureFunction teardown);
#define NBT_MAIN(group, tests, setup, teardown)                               \
    nbt_main(argc, argv, group, tests, NB_ARRAY_SIZE(tests), setup, teardown)

#endif
