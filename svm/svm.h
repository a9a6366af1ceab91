/* The AMD-V backend's private state and internal interfaces. */
#ifndef KEEL_SVM_H
#define KEEL_SVM_H

#include "vm/virt.h"
#include "svm/vmcb.h"

struct svm_cpu {
	u64 hsave_pa;	  /* VM_HSAVE_PA: where VMRUN keeps the host's state */
	u64 host_vmcb_pa; /* the host's VMLOAD/VMSAVE state */
	u32 next_asid;
	u64 asid_gen; /* bumped (with a full TLB flush) when ASIDs run out */
};

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	u64 asid_gen; /* 0: needs a new ASID before its next run */
	u32 asid_cpu;
	/* NMI blocking, which AMD-V leaves to keel (svm_event.c): from an injected NMI until
	 * the guest has executed the IRET that the intercept caught at iret_rip. */
	bool nmi_masked, iret_seen;
	u64 iret_rip;
	/* A debugger's hold (svm_debug.c): the DBG_CTL_* bits the VMCB has now, whether keel
	 * set RFLAGS.TF for a step (and the guest's own TF), and DR6 before the entry. */
	u32 dbg_on;
	bool tf_set, tf_guest;
	u64 dr6_before;
};

extern const struct pt_format npt_format;

void svm_world_switch(struct guest_regs *regs, u64 vmcb_pa, u64 host_vmcb_pa);
enum exit_action svm_handle_exit(struct vcpu *v);
void svm_dump(struct vcpu *v);
/* svm_event.c: event injection, the interrupt and NMI windows, the IRET intercept. */
void svm_inject(struct vcpu *v, struct vmcb *b);
void svm_nmi_reset(struct vcpu *v);
bool svm_irq_window_open(struct vcpu *v);
void svm_irq_window(struct vcpu *v, bool on);
bool svm_nmi_window_open(struct vcpu *v);
void svm_nmi_window(struct vcpu *v, bool on);
enum exit_action svm_iret(struct vcpu *v, struct vexit *e);
/* svm_debug.c: a debugger's intercepts before each entry, its step's TF after each exit,
 * and the decoders of #DB, #BP and MOV DR exits (exit/debug.h). */
void svm_dbg_entry(struct vcpu *v, struct vmcb *b);
void svm_dbg_exit(struct vcpu *v, struct vmcb *b, struct vexit *e);
void svm_decode_db(const struct vmcb *b, struct vexit *e);
void svm_decode_bp(const struct vmcb *b, struct vexit *e);
enum exit_action svm_swint(struct vcpu *v, struct vexit *e);
/* The guest's own DR6 and DR7 wherever they are (state_get/set, VREG_DR6). */
u64 svm_guest_dr6(struct vcpu *v);
void svm_set_guest_dr(struct vcpu *v, u64 dr6, u64 dr7);
u64 svm_guest_dr7(struct vcpu *v);
/* svm_state.c: the whole architectural state (virt_ops state_get/state_set). */
void svm_state_get(struct vcpu *v, struct vcpu_arch_state *st);
void svm_state_set(struct vcpu *v, const struct vcpu_arch_state *st);

static inline struct svm_vcpu *svm(struct vcpu *v)
{
	return v->arch;
}

#endif
