/* The VM life cycle (vm/lifecycle.c): the end of a VM, its restart, and the end of keel's run
 * once the last VM is over. */
#ifndef KEEL_LIFECYCLE_H
#define KEEL_LIFECYCLE_H

#include "vm/vm.h"

/* Hand the scheduler its hooks (before any CPU schedules). */
void vm_lifecycle_init(void);
/* A VM is about to run: the run ends when the last such VM is over. */
void vm_lifecycle_add(struct vm *vm);
/* Start a created VM whose vCPUs' states are set (vcpu_reset, or loaded records): it joins the
 * scheduler and counts toward the run (vm_lifecycle_add). */
void vm_launch(struct vm *vm);

#endif
