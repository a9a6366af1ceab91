/* Live migration (README "Live migration"): the engine on both sides, over mgmt/miglink.h.
 * The source pre-copies a running VM's RAM round by round, tracking the pages written meanwhile
 * with vm/snapmem.h's dirty log, then pauses it, sends the rest and every vCPU's and device's
 * record, and COMMITs; the destination (incoming=yes) builds the VM from the first message,
 * writes pages as they come and starts the VM on COMMIT. All on CPU 0: commands and its poll. */
#ifndef KEEL_MIGRATE_H
#define KEEL_MIGRATE_H

#include "lib/json.h"
#include "vm/vm.h"

#define MIG_ROUNDS_MAX 30 /* pre-copy rounds before the VM is paused whatever is left */

/* Start migrating vm to the keel started with host=to, aiming at a pause of at most
 * downtime_ms: NULL, or why not (nothing changed). */
const char *migrate_start(struct vm *vm, const char *to, u64 downtime_ms);
/* query-migrate: the migration of the VM named vm (NULL: every one known) into w; false if
 * there is none. */
bool migrate_query(struct jw *w, const char *vm);
/* CPU 0's poll: each outgoing migration one step on, and the incoming ones. */
void migrate_poll(void);
/* The destination's side (mgmt/migrate_in.c), from migrate_poll. */
void migrate_in_poll(void);

#endif
