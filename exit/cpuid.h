/* The CPUID a guest sees: keel's explicit policy over the host's answers (README "CPUID"). */
#ifndef KEEL_CPUID_H
#define KEEL_CPUID_H

#include "lib/types.h"

#define KEEL_CPUID_SIGNATURE "keelkeelkeel" /* leaf 0x40000000, EBX:ECX:EDX */
#define KEEL_CPUID_MAX_HV    0x40000010

/* KVM's paravirtual interface, at the next 0x100-aligned base as QEMU puts it beside Hyper-V's
 * (Linux scans 0x40000000-0x4000ff00 in steps of 0x100 for its signature): the signature with
 * the range's last leaf, and the features leaf, offering only the clock (vm/kvmclock.h). */
#define KVM_CPUID_SIGNATURE		   "KVMKVMKVM\0\0\0" /* leaf 0x40000100, EBX:ECX:EDX */
#define KVM_CPUID_BASE			   0x40000100
#define KVM_CPUID_FEATURES		   0x40000101
#define KVM_FEATURE_CLOCKSOURCE2	   BIT(3)  /* MSRs 0x4b564d00 and 0x4b564d01 */
#define KVM_FEATURE_PV_EOI		   BIT(6)  /* MSR 0x4b564d04 (vdev/vlapic_pveoi.c) */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT BIT(24) /* the time structure's TSC-stable flag counts */

struct cpuid_ctx {
	u32 ncpus;   /* the VM's vCPUs */
	u32 vcpu_id; /* the asking vCPU: its initial APIC ID */
	u64 tsc_khz;
	u64 lapic_khz; /* the virtual LAPIC timer's frequency */
	u64 cr4, xcr0; /* the asking vCPU's (OSXSAVE, OSPKE and leaf 0xD's size follow them) */
	bool apic_off; /* IA32_APIC_BASE.EN clear: the APIC flag reads 0 (SDM 11.4.3) */
	/* The host's highest basic and extended leaves, if the caller knows them (0: ask host). */
	u32 host_max, host_max_ext;
	/* The host's answer for (leaf, sub). */
	void (*host)(u32 leaf, u32 sub, u32 r[4]);
};

/* A VM's answers to the leaves that depend on neither the asking vCPU nor its state (all but
 * 1, 4, 7, 0xB, 0xD and 0x80000001, which are per vCPU or per sub-leaf), computed once before
 * its vCPUs run: such a CPUID exit is a look-up, and the VM's CPUID stays what it was when it
 * started (as a VM that moves to another host must see it). */
struct cpuid_table {
	u32 basic[0x17][4]; /* leaves 0-0x16 */
	u32 hv[2][4];	    /* 0x40000000, 0x40000010 */
	u32 kvm[2][4];	    /* KVM_CPUID_BASE, KVM_CPUID_FEATURES */
	u32 ext[9][4];	    /* 0x80000000-0x80000008 */
};
void cpuid_table_fill(struct cpuid_table *t, const struct cpuid_ctx *c);
/* The table's answer to leaf (any sub-leaf), or NULL where the policy must answer. */
const u32 *cpuid_table_find(const struct cpuid_table *t, u32 leaf);

/* The guest's answer for (leaf, sub) in r[0..3] = EAX, EBX, ECX, EDX. */
void cpuid_policy(const struct cpuid_ctx *c, u32 leaf, u32 sub, u32 r[4]);

/* The CR4 bits a guest may set: those whose feature the policy shows it (SDM 2.5: a CR4 bit
 * of a feature the CPU lacks is reserved, and setting it raises #GP). */
u64 cpuid_cr4_allowed(const struct cpuid_ctx *c);

/* The XCR0 bits a guest may set (exit/cpuid_xsave.c): x87 and SSE, and AVX and PKRU where
 * the host has them; 0 on a host without XSAVE, and then XSAVE is not offered. */
u64 cpuid_xcr0_offered(const struct cpuid_ctx *c);
/* Can XCR0 hold val (SDM vol. 1 13.3, vol. 2 "XSETBV")? x87 always on, nothing outside
 * offered, AVX only with SSE, AVX-512's three bits together and with AVX, MPX's and AMX's two
 * each together. */
bool cpuid_xcr0_valid(u64 val, u64 offered);
/* cpuid.c's helpers: the bits of leaves 1 and 7 that follow XSAVE (h: the host's leaf), and
 * leaf 0xD. */
void cpuid_xsave_leaf1(const struct cpuid_ctx *c, const u32 h[4], u32 r[4]);
void cpuid_xsave_leaf7(const struct cpuid_ctx *c, const u32 h[4], u32 r[4]);
void cpuid_xsave_leaf_d(const struct cpuid_ctx *c, u32 sub, u32 r[4]);

#endif
