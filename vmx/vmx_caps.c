/* VT-x's controls, chosen once from the capability MSRs (the TRUE ones where present, SDM
 * appendix A): what keel needs, what it takes where the CPU has it, and the CR0/CR4 bits it
 * keeps from the guest. Every vCPU's VMCS starts from these (vmx.c). */
#include "vmx/vmx.h"
#include "drivers/cpufeat.h"
#include "kernel/log.h"
#include "kernel/x86.h"

struct vmx_caps vmx_caps;
struct vmx_ctls vmx_ctls;
bool vmx_nmi_window_ok; /* virtual NMIs and NMI-window exiting */

/* want | optional, within what the capability allows (allowed-0 bits forced on); false if a
 * wanted bit is not allowed. */
static bool adjust(u64 cap, u32 want, u32 optional, u32 *out, const char *what)
{
	u32 must = (u32)cap, may = (u32)(cap >> 32);
	u32 v = ((want | optional) & may) | must;
	if ((v & want) != want) {
		log_err("vmx: %s controls %#x are not supported", what, want & ~v);
		return false;
	}
	*out = v;
	return true;
}

/* NMI-window exiting needs virtual NMIs, which need NMI exiting (SDM 26.2.1.1): all three, or
 * none (an NMI then waits for the guest's next exit). The window bit starts off. */
static void nmi_window_ctls(const struct vmx_caps *c)
{
	u32 pin = PIN_NMI | PIN_VIRTUAL_NMI;
	if ((vmx_ctls.pin & pin) == pin && (c->proc >> 32) & PROC_NMI_WINDOW) {
		vmx_nmi_window_ok = true;
	} else {
		vmx_ctls.pin &= ~pin | (u32)c->pin;
		log_info("vmx: no virtual NMIs: a guest's blocked NMI waits for its next exit");
	}
	vmx_ctls.proc &= ~(u32)PROC_NMI_WINDOW | (u32)c->proc;
}

bool vmx_read_caps(void)
{
	struct vmx_caps *c = &vmx_caps;
	u64 basic = rdmsr(MSR_VMX_BASIC);
	bool true_ctls = basic & BIT(55);
	c->revision = (u32)basic & 0x7fffffff;
	c->pin = rdmsr(true_ctls ? MSR_VMX_TRUE_PIN : MSR_VMX_PIN);
	c->proc = rdmsr(true_ctls ? MSR_VMX_TRUE_PROC : MSR_VMX_PROC);
	c->exit = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
	c->entry = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
	c->proc2 = rdmsr(MSR_VMX_PROC2);
	c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	c->ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
	c->preempt_shift = rdmsr(MSR_VMX_MISC) & 0x1f;
	/* Every host interrupt exits; HLT, I/O, MSRs (by bitmap) and MONITOR/MWAIT exit; CR3
	 * accesses, INVLPG and RDTSC do not: EPT makes them harmless. CR8 exits both ways: without
	 * a TPR shadow it is the host's own APIC task priority (SDM 10.8.6.1, 25.1.3). DR7 and
	 * DEBUGCTL are loaded and saved with the guest's state (the TRUE controls may leave that
	 * off, and an exit sets DR7 to 0x400 and clears DEBUGCTL: SDM 27.5.1). */
	bool ok =
		adjust(c->pin, PIN_EXT_INTR, PIN_PREEMPT_TIMER | PIN_NMI | PIN_VIRTUAL_NMI,
		       &vmx_ctls.pin, "pin-based") &&
		adjust(c->proc,
		       PROC_HLT | PROC_UNCOND_IO | PROC_MSR_BITMAPS | PROC_SECONDARY | PROC_MWAIT |
			       PROC_MONITOR | PROC_CR8_LOAD | PROC_CR8_STORE | PROC_TSC_OFFSET,
		       PROC_NMI_WINDOW, &vmx_ctls.proc, "processor-based") &&
		adjust(c->proc2, PROC2_EPT | PROC2_UNRESTRICTED, PROC2_VPID | PROC2_RDTSCP,
		       &vmx_ctls.proc2, "secondary") &&
		adjust(c->exit,
		       EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
			       EXIT_LOAD_PAT | EXIT_SAVE_DEBUG,
		       EXIT_SAVE_PREEMPT, &vmx_ctls.exit, "VM-exit") &&
		adjust(c->entry, ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG, 0,
		       &vmx_ctls.entry, "VM-entry");
	/* RDPMC exits: no counters are offered (exit/msr_cpu.c). INVPCID runs in the guest where
	 * the CPU allows it (else it raises #UD). */
	ok = ok &&
	     adjust(c->proc, vmx_ctls.proc | PROC_RDPMC, 0, &vmx_ctls.proc, "processor-based") &&
	     adjust(c->proc2, vmx_ctls.proc2, PROC2_INVPCID, &vmx_ctls.proc2, "secondary");
	if (!ok)
		return false;
	nmi_window_ctls(c);
	if (cpu_feat.rdtscp && !(vmx_ctls.proc2 & PROC2_RDTSCP))
		log_warn("vmx: no \"enable RDTSCP\": guests' RDTSCP raises #UD though CPUID shows "
			 "it");
	u32 l7[4] = {0};
	cpuid(7, 0, &l7[0], &l7[1], &l7[2], &l7[3]);
	if ((l7[1] & BIT(10)) && !(vmx_ctls.proc2 & PROC2_INVPCID))
		log_warn("vmx: no \"enable INVPCID\": guests' INVPCID raises #UD");
	if ((vmx_ctls.proc & (PROC_CR3_LOAD | PROC_CR3_STORE | PROC_INVLPG | PROC_RDTSC)) &&
	    !true_ctls)
		log_info("vmx: CR3/INVLPG/RDTSC exiting forced on by the CPU; handled as exits");
	/* CR bits the guest may not set freely: the fixed ones (shown to it through the read
	 * shadows), PE and PG (mode changes update EFER.LMA), PAE (PDPTEs), and every CR4 bit
	 * of a feature its CPUID does not show (exit_cr refuses them). */
	vmx_ctls.cr0_mask =
		(c->cr0_fixed0 | ~c->cr0_fixed1 | CR0_PE | CR0_PG | CR0_NE) & 0xffffffffull;
	vmx_ctls.cr0_mask |= ~0xffffffffull;
	vmx_ctls.cr4_mask =
		c->cr4_fixed0 | ~c->cr4_fixed1 | CR4_PAE | CR4_VMXE | ~guest_cr4_allowed();
	vmx_ctls.entry &= ~(u32)ENTRY_IA32E;
	return true;
}
