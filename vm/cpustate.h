/* Guest CPU state keel switches itself, once per turn (vm/cpustate.c). */
#ifndef KEEL_CPUSTATE_H
#define KEEL_CPUSTATE_H

#include "vm/vm.h"

/* v takes this CPU: its x87/SSE state, DR0-DR3 and TSC_AUX go into the hardware. */
void vcpu_state_load(const struct vcpu *v);
/* v leaves this CPU: save what it may have changed; panic if keel's TPR was raised. */
void vcpu_state_save(struct vcpu *v);

#endif
