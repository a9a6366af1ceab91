/* MSRs beyond exit/msr.c's own list: the MTRRs, the speculation controls, DEBUGCTL, MISC_ENABLE
 * (exit/msr_cpu.c). */
#ifndef KEEL_MSR_H
#define KEEL_MSR_H

#include "vm/vm.h"

#define MSR_ARCH_CAP	0x10a
#define MSR_MISC_ENABLE 0x1a0
#define MSR_DEBUGCTL	0x1d9
#define MSR_AMD_SYSCFG	0xc0010010

/* RDMSR (*val out) or WRMSR (*val in) of msr by v: 0 done, -1 for #GP, 1 not one of these. */
int msr_cpu_access(struct vcpu *v, u32 msr, bool write, u64 *val);

#endif
