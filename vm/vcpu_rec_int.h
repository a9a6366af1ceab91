/* The vCPU record's payload (README "Snapshot format: the vCPU record"), shared by its save
 * and load (vm/vcpu_rec.c), its checks (vm/vcpu_rec_check.c) and their unit test. Every field
 * is fixed-width little-endian; version 2 (1 lacked the clock's zero). */
#ifndef KEEL_VCPU_REC_INT_H
#define KEEL_VCPU_REC_INT_H

#include "vm/cpustate.h"
#include "vm/vcpu_rec.h"
#include "vm/vrecord.h"

#define VCPU_REC_VERSION 2

struct vrec_seg {
	u16 sel, attr; /* attributes as vm/vm.h's struct seg: P clear is unusable */
	u32 limit;
	u64 base;
};

struct vrec_event {
	u8 valid, vector, type, has_error; /* type: EVENT_* */
	u32 error;
};

enum { RSEG_ES, RSEG_CS, RSEG_SS, RSEG_DS, RSEG_FS, RSEG_GS, RSEG_LDTR, RSEG_TR, RSEG_N };

struct vcpu_rec {
	/* The architectural state (struct vcpu_arch_state). */
	u64 gpr[16];
	u64 rip, rflags, cr0, cr2, cr3, cr4, cr8;
	u64 efer, pat, dr6, dr7, debugctl, pending_dbg;
	struct vrec_seg seg[RSEG_N], gdtr, idtr;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u32 shadow, nmi_blocked;
	struct vrec_event inject;  /* in the entry's injection field */
	struct vrec_event pending; /* v->event: keel's next injection (an in-flight one too) */
	/* keel's */
	u32 state; /* VCPU_RUNNABLE, VCPU_HALTED or VCPU_WAIT_SIPI */
	u32 irq_pending, nmi_pending, init_pending, sipi_vector, pkru;
	u64 dr[4];
	u64 tsc; /* the guest's TSC at the save */
	u64 tsc_adjust, tsc_aux;
	u64 kvm_system, kvm_wall;
	u32 kvm_version, pad;
	s64 clock_zero; /* the KVM clock's zero (vm->clock_zero_tsc) from the save (vrec_rel) */
	u64 clock_zero_unix; /* the Unix time its wall clock gives for it, ns */
	u64 mtrr_def, mtrr_fixed[MTRR_NFIXED], mtrr_base[MTRR_NVAR], mtrr_mask[MTRR_NVAR];
	u64 spec_ctrl;
	u64 xcr0;
	u8 xsave[XREC_SIZE]; /* cpustate.h's layout */
};
_Static_assert(sizeof(struct vcpu_rec) % 8 == 0, "no tail padding");
_Static_assert(sizeof(struct vrec_header) + sizeof(struct vcpu_rec) <= VCPU_REC_MAX, "fits");

/* What the loading host accepts. */
struct vcpu_rec_host {
	u64 xstate_mask; /* XSAVE components switched (0: FXSAVE only) */
	u32 mxcsr_mask;
	u32 phys_bits; /* MAXPHYADDR */
	u64 spec_ctrl; /* SPEC_CTRL bits the host has */
};

/* Why r (its header already checked) cannot load on host h, or NULL. */
const char *vcpu_rec_check(const struct vcpu_rec *r, const struct vcpu_rec_host *h);

#endif
