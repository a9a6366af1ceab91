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

/* The extended state as a vCPU record keeps it (vm/vcpu_rec.c), whatever the host's layout:
 * XSAVE's standard (non-compacted) layout up to AVX (SDM vol. 1 13.4: the legacy region, the
 * header with XSTATE_BV at 512, AVX's upper halves at 576, its offset on every CPU that has
 * it), and PKRU beside it (its offset differs between vendors). x87 and SSE are always given
 * (XSTATE_BV bits 0 and 1 set: initial components are written out as their initial values). */
#define XREC_SIZE 832
#define XREC_BV	  512 /* XSTATE_BV */
#define XREC_AVX  576
void vcpu_xstate_get(const struct vcpu *v, u8 x[XREC_SIZE], u32 *pkru);
/* Load a record's extended state, checked against this host (vcpu_rec_check). */
void vcpu_xstate_set(struct vcpu *v, const u8 x[XREC_SIZE], u32 pkru);
/* The XSAVE components switched per vCPU (0: FXSAVE only) and the MXCSR bits FXRSTOR and
 * XRSTOR accept (the host's MXCSR_MASK). */
u64 cpustate_xstate_mask(void);
u32 cpustate_mxcsr_mask(void);

#endif
