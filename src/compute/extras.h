/* What the extras area (migrations.c, migrate.c, diagnostics.c,
 * external_events.c) offers the other compute files: migration records,
 * which the resize actions keep, and the pure pieces the unit tests
 * reach. */
#ifndef NB_COMPUTE_EXTRAS_H
#define NB_COMPUTE_EXTRAS_H

#include "compute/internal.h"

/* The extras area's tables (migration set "compute_extras"), applied by
 * nb_cmp_schema_migrate. */
int nb_cmp_extras_migrate(struct nb_db *db);

/* ---- migration records (migrations.c), Nova's "migrations" table */
/* Records a migration of 'server' (a row, borrowed) in 'tx': 'type' is
 * "resize", "migration" or "live-migration", 'status' its first status
 * ("pre-migrating", "error", ...), 'dest' the destination host (NULL: the
 * server's own), 'old_flavor'/'new_flavor' embedded flavors (may be
 * NULL: the server's).  *id (may be NULL) gets the new integer id. */
int nb_cmp_migration_add(struct nb_tx *tx, const json_t *server, const char *type,
                         const char *status, const char *dest, const json_t *old_flavor,
                         const json_t *new_flavor, int64_t *id);
/* Moves the latest unfinished migration of server 'server_id' (one not
 * confirmed, reverted, completed, failed, cancelled or error) to 'status',
 * in a transaction of its own (the agent's side).  0 when there is none. */
int nb_cmp_migration_step(const char *server_id, const char *status);

/* ---- diagnostics (diagnostics.c) */
/* The pre-2.48 free-form diagnostics (libvirt's keys: "cpu0_time",
 * "memory", "vda_read", "tap<port>_rx", ...) of the standardized form
 * 'd' the driver returns, its NICs named by the ifname of the server's
 * network_info entries 'ports' in order ("vnet<i>" past them); both
 * borrowed: a new object. */
json_t *nb_cmp_diag_legacy(const json_t *d, const json_t *ports);

/* ---- external events (external_events.c) */
/* Whether 'name' is an event name microversion 'mv' accepts. */
bool nb_cmp_event_name_ok(const char *name, int mv);

#endif
