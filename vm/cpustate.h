/* Guest CPU state keel switches itself, once per turn (vm/cpustate.c). */
#ifndef KEEL_CPUSTATE_H
#define KEEL_CPUSTATE_H

#include "vm/vm.h"

/* On each CPU at start-up, before any vCPU: XSAVE on (CR4.OSXSAVE) where the host has it,
 * keel's own XCR0 (x87 and SSE), and the components and area size switched per vCPU. */
void cpustate_cpu_init(void);
/* Log what cpustate_cpu_init found (once, after the console is up). */
void cpustate_report(void);
/* A vCPU's extended state area (64-byte aligned, sized from the host's leaf 0xD), in its
 * power-up state; false if out of memory. vcpu_state_free returns it. */
bool vcpu_state_init(struct vcpu *v);
void vcpu_state_free(struct vcpu *v);
/* Back to the power-up state: XCR0 x87 only, every component initial (a VM restart). */
void vcpu_state_reset(struct vcpu *v);
/* The guest's XSETBV, already checked: v is on this CPU. */
void vcpu_xcr0_set(struct vcpu *v, u64 xcr0);
/* v takes this CPU: its extended state (x87, SSE, AVX, PKRU) and XCR0, DR0-DR3 and TSC_AUX go into the hardware. */
void vcpu_state_load(const struct vcpu *v);
/* v leaves this CPU: save what it may have changed; panic if keel's TPR was raised. */
void vcpu_state_save(struct vcpu *v);

#endif
