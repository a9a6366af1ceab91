/* VT-x event injection and the interrupt and NMI windows (SDM 24.4.2, 24.8.3, 25.2, 26.6):
 * what the shared code in vm/virq.c asks of the backend to deliver an event at the right
 * instruction. Mirrors svm/svm_event.c. */
#include "vmx/vmx.h"
#include "kernel/x86.h"

/* Write the pending event into the VM-entry interruption fields (SDM 24.8.3). */
void vmx_inject(struct vcpu *v)
{
	if (!v->event.pending)
		return;
	const struct vevent *ev = &v->event;
	vmcs_write32(VMCS_ENTRY_INTR_INFO, ev->vector | (u32)ev->type << 8 | INTR_INFO_VALID |
						   (ev->has_error ? INTR_INFO_HAS_ERROR : 0));
	if (ev->has_error)
		vmcs_write32(VMCS_ENTRY_EXC_ERROR, ev->error);
	v->event.pending = false;
}

/* RFLAGS.IF set and no STI / MOV SS blocking (SDM 24.4.2). */
bool vmx_irq_window_open(struct vcpu *v)
{
	vmx_load(v);
	return (vmcs_readn(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & 3) &&
	       !(vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

/* Interrupt-window exiting: exit before the first instruction where the guest could take an
 * interrupt (SDM 25.2). */
void vmx_irq_window(struct vcpu *v, bool on)
{
	vmx_load(v);
	u32 p = vmcs_read32(VMCS_PROC_CTLS);
	u32 n = on ? p | PROC_INTR_WINDOW : p & ~(u32)PROC_INTR_WINDOW;
	if (n != p)
		vmcs_write32(VMCS_PROC_CTLS, n);
}

/* No blocking by NMI, STI or MOV SS (SDM 24.4.2; 26.3.1.5 refuses an NMI injected in a MOV SS
 * shadow), and nothing being injected. */
bool vmx_nmi_window_open(struct vcpu *v)
{
	vmx_load(v);
	return !(vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & (INTR_STI | INTR_MOV_SS | INTR_NMI)) &&
	       !(vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

/* NMI-window exiting: exit before the first instruction with no virtual-NMI blocking (SDM
 * 25.2), i.e. after the NMI handler's IRET. */
void vmx_nmi_window(struct vcpu *v, bool on)
{
	if (!vmx_nmi_window_ok)
		return;
	vmx_load(v);
	u32 p = vmcs_read32(VMCS_PROC_CTLS);
	u32 n = on ? p | PROC_NMI_WINDOW : p & ~(u32)PROC_NMI_WINDOW;
	if (n != p)
		vmcs_write32(VMCS_PROC_CTLS, n);
}
