/* The CPUID a guest sees: keel's explicit policy over the host's answers (README "CPUID"). */
#ifndef KEEL_CPUID_H
#define KEEL_CPUID_H

#include "lib/types.h"

#define KEEL_CPUID_SIGNATURE "keelkeelkeel" /* leaf 0x40000000, EBX:ECX:EDX */
#define KEEL_CPUID_MAX_HV    0x40000010

struct cpuid_ctx {
	u32 ncpus;   /* the VM's vCPUs */
	u32 vcpu_id; /* the asking vCPU: its initial APIC ID */
	u64 tsc_khz;
	u64 lapic_khz; /* the virtual LAPIC timer's frequency */
	/* The host's answer for (leaf, sub). */
	void (*host)(u32 leaf, u32 sub, u32 r[4]);
};

/* The guest's answer for (leaf, sub) in r[0..3] = EAX, EBX, ECX, EDX. */
void cpuid_policy(const struct cpuid_ctx *c, u32 leaf, u32 sub, u32 r[4]);

/* The CR4 bits a guest may set: those whose feature the policy shows it (SDM 2.5: a CR4 bit
 * of a feature the CPU lacks is reserved, and setting it raises #GP). */
u64 cpuid_cr4_allowed(const struct cpuid_ctx *c);

#endif
