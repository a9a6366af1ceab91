/* The scheduler: which vCPU runs next on this CPU. */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include "kernel/vm.h"

#define SCHED_SLICE_US 10000 /* a vCPU runs at most this long before others get a turn */

/* Make v runnable. */
void sched_add(struct vcpu *v);
/* True when the running vCPU's time is up (read on host-interrupt exits). */
bool sched_need_resched(void);
/* Run vCPUs until every VM has stopped, then print the summary and end keel's run. */
__noreturn void sched_run(void);

#endif
