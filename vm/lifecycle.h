/* The VM life cycle (vm/lifecycle.c): the end of a VM, its restart, and the end of keel's run
 * once the last VM is over. */
#ifndef KEEL_LIFECYCLE_H
#define KEEL_LIFECYCLE_H

#include "vm/vm.h"

/* Hand the scheduler its hooks (before any CPU schedules). */
void vm_lifecycle_init(void);
/* A VM is about to run, or waits for vm-start: the run ends when the last such VM is over. */
void vm_lifecycle_add(struct vm *vm);
/* vm has ended (vm->end set): take its vCPUs off the run queues; the last VM ends keel's run.
 * Once per VM, from any CPU (the scheduler's hook, or vm-destroy). */
void vm_retire(struct vm *vm);
/* Carry out vm's pending reset (reset_pending 1) if none of its vCPUs is on a CPU; otherwise
 * the last to leave does. */
void vm_try_restart(struct vm *vm);

#endif
