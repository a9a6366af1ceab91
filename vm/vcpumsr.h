/* The MSR state keel keeps for each vCPU beyond what the control blocks switch: the MTRRs and
 * SPEC_CTRL (exit/mtrr.c, exit/msr_cpu.c). One flat struct, zero at reset, so a snapshot can
 * take it whole. */
#ifndef KEEL_VCPUMSR_H
#define KEEL_VCPUMSR_H

#include "lib/types.h"

#define MTRR_NVAR   8  /* variable ranges (IA32_MTRRCAP.VCNT) */
#define MTRR_NFIXED 11 /* fixed-range MSRs: 1 of 64K, 2 of 16K, 8 of 4K (SDM 11.11.2.2) */

/* The memory-type range registers as the guest wrote them (SDM 11.11). They are per logical
 * CPU on hardware, so per vCPU here. keel's guest memory is write-back whatever they say: the
 * nested page tables decide (README "MTRRs"). */
struct mtrr_state {
	u64 def_type;		/* IA32_MTRR_DEF_TYPE */
	u64 fixed[MTRR_NFIXED]; /* FIX64K_00000, FIX16K_80000/A0000, FIX4K_C0000..F8000 */
	u64 base[MTRR_NVAR];	/* IA32_MTRR_PHYSBASEn */
	u64 mask[MTRR_NVAR];	/* IA32_MTRR_PHYSMASKn */
};

struct vcpu_msrs {
	struct mtrr_state mtrr;
	u64 spec_ctrl; /* IA32_SPEC_CTRL: in the CPU while the vCPU holds it (vm/cpustate.c) */
};

#endif
