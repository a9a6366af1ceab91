/* The one interface between keel and a virtualisation backend (vmx/ or svm/). Backends fill a
 * `const struct virt_ops` with designated initializers; keel reaches them only through `virt`.
 * Backends call into keel's shared exit handlers (exit/exit.h), never the reverse. */
#ifndef KEEL_VIRT_H
#define KEEL_VIRT_H

#include "exit/exit.h"
#include "vm/vm.h"
#include "mm/pagetable.h"

struct cpu;

struct virt_ops {
	const char *name; /* "AMD-V" or "VT-x" */
	/* Entry format of the VM's guest-physical map (NPT or EPT). */
	const struct pt_format *gmap_format;
	/* Turn virtualisation on on the calling CPU; false (logged) if it cannot. */
	bool (*cpu_enable)(struct cpu *c);
	/* Per-VM and per-vCPU state: control blocks, address-space tags. */
	bool (*vm_init)(struct vm *vm);
	void (*vm_free)(struct vm *vm);
	bool (*vcpu_init)(struct vcpu *v);
	void (*vcpu_free)(struct vcpu *v);
	/* Load the state a vCPU starts in (the caller decides when it runs). */
	void (*vcpu_reset)(struct vcpu *v, const struct vcpu_boot_state *s);
	/* Run v on this CPU until a shared handler asks to reschedule or stop. */
	enum exit_action (*vcpu_run)(struct vcpu *v);
	u64 (*get)(struct vcpu *v, enum vreg r);
	void (*set)(struct vcpu *v, enum vreg r, u64 val);
	/* v's whole architectural state, read or written (v is off every CPU, or it is this
	 * CPU's vCPU in its exit path); the state written was checked (vm/vcpu_rec_check.c). */
	void (*state_get)(struct vcpu *v, struct vcpu_arch_state *s);
	void (*state_set)(struct vcpu *v, const struct vcpu_arch_state *s);
	/* Can an external interrupt be injected now (RFLAGS.IF set, no interrupt shadow)? */
	bool (*irq_window_open)(struct vcpu *v);
	/* Exit (as exit_irq_window) as soon as the guest can take an interrupt, or stop doing so.
	 */
	void (*irq_window)(struct vcpu *v, bool on);
	/* Can an NMI be injected now (no NMI blocking, no interrupt shadow, nothing injected)? */
	bool (*nmi_window_open)(struct vcpu *v);
	/* Exit as soon as the guest can take an NMI (after the handler's IRET), or stop doing so;
	 * where the backend cannot, the NMI waits for the next exit. */
	void (*nmi_window)(struct vcpu *v, bool on);
	/* v leaves this CPU (it may run on another next). */
	void (*vcpu_put)(struct vcpu *v);
	/* The guest-physical map changed: drop cached translations of it. */
	void (*gmap_changed)(struct vm *vm);
	/* Log the control block, for an unexpected exit or a failed entry. */
	void (*dump)(struct vcpu *v);
};

extern const struct virt_ops *virt;
extern const struct virt_ops svm_ops;
extern const struct virt_ops vmx_ops;

#endif
