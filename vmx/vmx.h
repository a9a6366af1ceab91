/* The VT-x backend's private state and internal interfaces (mirrors svm/svm.h). */
#ifndef KEEL_VMX_H
#define KEEL_VMX_H

#include "vm/virt.h"
#include "vmx/vmcs.h"

struct vmx_cpu {
	u64 vmxon_pa;
	struct vcpu *loaded; /* whose VMCS is current on this CPU */
	u64 ept_gen;	     /* the EPT generation this CPU's cached translations are from */
};

/* The MSRs VT-x leaves to software (the guest uses them without exits; keel loads them when
 * the vCPU takes a CPU and saves them when it leaves it). */
enum { VMX_MSR_KGS, VMX_MSR_STAR, VMX_MSR_LSTAR, VMX_MSR_CSTAR, VMX_MSR_SFMASK, VMX_NMSRS };
extern const u32 vmx_swapped_msrs[VMX_NMSRS]; /* each one's MSR number */

struct vmx_vcpu {
	u64 vmcs_pa;
	bool launched;
	u32 cpu; /* the CPU its VMCS was last current on (~0: none) */
	u16 vpid;
	u32 entry_ctls;
	/* What VT-x does not switch, while the vCPU is off the CPU (in the registers while
	 * live is set: between vmx_vcpu_run's load and save, on the CPU running it). */
	bool live;
	u64 msrs[VMX_NMSRS];
	u64 cr2, dr6;
	u64 tsc_offset; /* what the VMCS's TSC offset holds */
	/* A debugger's hold (vmx_debug.c): the DBG_CTL_* bits the VMCS has now, and whether
	 * keel set RFLAGS.TF for a step without MTF (and the guest's own TF). */
	u32 dbg_on;
	bool tf_set, tf_guest;
};

/* Capabilities read once (appendix A): allowed-0 in the low half, allowed-1 in the high. */
struct vmx_caps {
	u32 revision;
	u64 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid;
	u32 preempt_shift; /* the preemption timer counts TSC >> this */
};
extern struct vmx_caps vmx_caps;
extern bool vmx_nmi_window_ok;

/* The controls every VMCS starts with, and the CR0/CR4 bits the guest may not own (guest/host
 * masks), chosen by vmx_read_caps from the capability MSRs (vmx_caps.c). */
struct vmx_ctls {
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_mask, cr4_mask;
};
extern struct vmx_ctls vmx_ctls;
/* Read the capability MSRs into vmx_caps and choose vmx_ctls; false (logged) if a control keel
 * needs is missing. */
bool vmx_read_caps(void);

/* Make v's VMCS current on this CPU (vmx.c); vmx_vcpu_put writes it back to memory. */
void vmx_load(struct vcpu *v);
void vmx_vcpu_put(struct vcpu *v);
/* The ops' guest-state accessors (vmx.c), which keep CR0/CR4's shadows and the IA-32e mode. */
/* A segment's access rights as the neutral attributes (vm/vm.h), and a segment into the
 * current VMCS's guest fields (not present: unusable). */
u16 vmx_attr_out(u32 ar);
void vmx_seg_in(u32 sel_f, const struct seg *s);
u64 vmx_get(struct vcpu *v, enum vreg r);
void vmx_set(struct vcpu *v, enum vreg r, u64 val);
/* vmx_debug.c: a debugger's controls before each entry, its step after each exit, the exits
 * it causes (exception, MOV DR, MTF), and the guest's own DR6/DR7 wherever they are. */
void vmx_dbg_entry(struct vcpu *v);
void vmx_dbg_exit(struct vcpu *v);
enum exit_action vmx_exception_exit(struct vcpu *v, struct vexit *e);
enum exit_action vmx_mtf_exit(struct vcpu *v, struct vexit *e);
void vmx_decode_dr(struct vcpu *v, struct vexit *e);
u64 vmx_dr6(struct vcpu *v);
void vmx_set_dr6(struct vcpu *v, u64 dr6);
u64 vmx_guest_dr6(struct vcpu *v);
u64 vmx_guest_dr7(struct vcpu *v);
void vmx_set_guest_dr(struct vcpu *v, u64 dr6, u64 dr7);
/* vmx_state.c: the whole architectural state (virt_ops state_get/state_set). */
void vmx_state_get(struct vcpu *v, struct vcpu_arch_state *st);
void vmx_state_set(struct vcpu *v, const struct vcpu_arch_state *st);
/* vmx_event.c: event injection and the interrupt and NMI windows. */
void vmx_inject(struct vcpu *v);
bool vmx_irq_window_open(struct vcpu *v);
void vmx_irq_window(struct vcpu *v, bool on);
bool vmx_nmi_window_open(struct vcpu *v);
void vmx_nmi_window(struct vcpu *v, bool on);
extern const struct pt_format ept_format;

/* 0 after a VM exit; 1 if VMLAUNCH/VMRESUME itself failed. */
int vmx_world_switch(struct guest_regs *regs, int launched);
void vmx_exit_point(void);
enum exit_action vmx_handle_exit(struct vcpu *v);
void vmx_dump(struct vcpu *v);
u64 vmx_eptp(const struct vm *vm);

static inline struct vmx_vcpu *vmx(struct vcpu *v)
{
	return v->arch;
}

#endif
