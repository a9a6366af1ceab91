/* CPU identification and feature bits (CPUID: SDM vol. 2A; APM vol. 3 appendix E). */
#include "drivers/cpufeat.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/x86.h"

struct cpu_features cpu_feat;

/* VMX capability MSRs (SDM appendix A). */
#define MSR_VMX_BASIC	     0x480
#define MSR_VMX_PINBASED     0x481
#define MSR_VMX_PROCBASED    0x482
#define MSR_VMX_PROCBASED2   0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c
#define MSR_VM_CR	     0xc0010114 /* AMD: SVMDIS is bit 4 */

static void regs_str(char *dst, u32 a, u32 b, u32 c)
{
	memcpy(dst, &a, 4);
	memcpy(dst + 4, &b, 4);
	memcpy(dst + 8, &c, 4);
	dst[12] = '\0';
}

static void detect_vmx(struct cpu_features *f)
{
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	/* Locked (bit 0) without VMX-outside-SMX (bit 2): the firmware turned VT-x off. */
	f->vmx_locked_off = (fc & 1) && !(fc & 4);
	u64 basic = rdmsr(MSR_VMX_BASIC);
	f->vmx_true_ctls = basic & BIT(55);
	u64 pin = rdmsr(MSR_VMX_PINBASED);
	f->vmx_preempt_timer = (pin >> 32) & BIT(6);
	u64 proc = rdmsr(MSR_VMX_PROCBASED);
	if (!((proc >> 32) & BIT(31)))
		return; /* no secondary controls: no EPT, no unrestricted guest */
	u64 proc2 = rdmsr(MSR_VMX_PROCBASED2) >> 32;
	f->vmx_ept = proc2 & BIT(1);
	f->vmx_vpid = proc2 & BIT(5);
	f->vmx_ug = proc2 & BIT(7);
	if (f->vmx_ept || f->vmx_vpid) {
		u64 cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
		f->vmx_ept_4level = cap & BIT(6);
		f->vmx_ept_wb = cap & BIT(14);
		f->vmx_ept_2m = cap & BIT(16);
	}
}

void cpufeat_detect(void)
{
	struct cpu_features *f = &cpu_feat;
	u32 a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	f->max_leaf = a;
	regs_str(f->vendor_str, b, d, c);
	if (!strcmp(f->vendor_str, "GenuineIntel"))
		f->vendor = VENDOR_INTEL;
	else if (!strcmp(f->vendor_str, "AuthenticAMD") || !strcmp(f->vendor_str, "HygonGenuine"))
		f->vendor = VENDOR_AMD;

	cpuid(1, 0, &a, &b, &c, &d);
	f->stepping = a & 0xf;
	f->family = (a >> 8) & 0xf;
	f->model = (a >> 4) & 0xf;
	if (f->family == 0xf)
		f->family += (a >> 20) & 0xff;
	if (f->family >= 6)
		f->model |= ((a >> 16) & 0xf) << 4;
	f->vmx = c & BIT(5);
	f->x2apic = c & BIT(21);
	f->tsc_deadline = c & BIT(24);
	f->xsave = c & BIT(26);
	f->rdrand = c & BIT(30);
	f->hypervisor = c & BIT(31);
	if (f->hypervisor) {
		cpuid(0x40000000, 0, &a, &b, &c, &d);
		regs_str(f->hv_sig, b, c, d);
		f->qemu_tcg = !strcmp(f->hv_sig, "TCGTCGTCGTCG");
	}
	if (f->max_leaf >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		f->rdseed = b & BIT(18); /* SDM vol. 2 CPUID: leaf 7 EBX bit 18 */
	}

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	f->max_ext_leaf = a;
	if (f->max_ext_leaf >= 0x80000001) {
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		f->svm = c & BIT(2);
		f->nx = d & BIT(20);
		f->pdpe1gb = d & BIT(26);
		f->rdtscp = d & BIT(27); /* and with it IA32_TSC_AUX */
	}
	if (f->max_ext_leaf >= 0x80000004) {
		u32 *p = (u32 *)f->brand;
		for (u32 l = 0; l < 3; l++)
			cpuid(0x80000002 + l, 0, &p[4 * l], &p[4 * l + 1], &p[4 * l + 2],
			      &p[4 * l + 3]);
		f->brand[48] = '\0';
	}
	if (f->max_ext_leaf >= 0x80000007) {
		cpuid(0x80000007, 0, &a, &b, &c, &d);
		f->invariant_tsc = d & BIT(8);
	}
	f->phys_bits = 36;
	if (f->max_ext_leaf >= 0x80000008) {
		cpuid(0x80000008, 0, &a, &b, &c, &d);
		f->phys_bits = a & 0xff;
	}
	if (f->svm && f->max_ext_leaf >= 0x8000000a) {
		f->svm_disabled = rdmsr(MSR_VM_CR) & BIT(4);
		cpuid(0x8000000a, 0, &a, &b, &c, &d);
		f->svm_rev = a & 0xff;
		f->svm_nasid = b;
		f->svm_npt = d & BIT(0);
		f->svm_nrips = d & BIT(3);
		f->svm_vmcb_clean = d & BIT(5);
		f->svm_flush_asid = d & BIT(6);
		f->svm_decode = d & BIT(7);
	}
	if (f->vmx)
		detect_vmx(f);
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

enum virt_kind cpufeat_virt(const char **why)
{
	const struct cpu_features *f = &cpu_feat;
	*why = NULL;
	if (f->vmx) {
		if (f->vmx_locked_off)
			*why = "VT-x is present but disabled by the firmware "
			       "(IA32_FEATURE_CONTROL)";
		else if (!f->vmx_ept || !f->vmx_ept_4level || !f->vmx_ept_wb)
			*why = "VT-x is present but without EPT (4-level, write-back)";
		else if (!f->vmx_ug)
			*why = "VT-x with EPT is present but without unrestricted guest";
		else
			return VIRT_VMX;
	}
	if (f->svm) {
		if (f->svm_disabled)
			*why = "AMD-V is present but disabled by the firmware (VM_CR.SVMDIS)";
		else if (!f->svm_npt)
			*why = "AMD-V is present but without nested paging (NPT)";
		else
			return VIRT_SVM;
	}
	if (!*why)
		*why = "the CPU has neither VT-x nor AMD-V";
	return VIRT_NONE;
}

void cpufeat_report(void)
{
	const struct cpu_features *f = &cpu_feat;
	log_info("cpu: %s family %#x model %#x stepping %u \"%s\"", f->vendor_str, f->family,
		 f->model, f->stepping, f->brand);
	log_info("cpu: nx %s, x2apic %s, 1g pages %s, invariant tsc %s, %u physical address "
		 "bits%s%s",
		 yn(f->nx), yn(f->x2apic), yn(f->pdpe1gb), yn(f->invariant_tsc), f->phys_bits,
		 f->hypervisor ? ", under hypervisor " : "", f->hypervisor ? f->hv_sig : "");
	if (f->vmx)
		log_info("cpu: VT-x present: EPT %s (4-level %s, write-back %s, 2M %s), "
			 "unrestricted "
			 "guest %s, VPID %s, preemption timer %s, true controls %s%s",
			 yn(f->vmx_ept), yn(f->vmx_ept_4level), yn(f->vmx_ept_wb),
			 yn(f->vmx_ept_2m), yn(f->vmx_ug), yn(f->vmx_vpid),
			 yn(f->vmx_preempt_timer), yn(f->vmx_true_ctls),
			 f->vmx_locked_off ? ", DISABLED by firmware" : "");
	else
		log_info("cpu: VT-x not present");
	if (f->svm)
		log_info(
			"cpu: AMD-V present: revision %u, NPT %s, NRIP-save %s, decode assists %s, "
			"VMCB clean bits %s, flush-by-ASID %s, %u ASIDs%s",
			f->svm_rev, yn(f->svm_npt), yn(f->svm_nrips), yn(f->svm_decode),
			yn(f->svm_vmcb_clean), yn(f->svm_flush_asid), f->svm_nasid,
			f->svm_disabled ? ", DISABLED by firmware" : "");
	else
		log_info("cpu: AMD-V not present");
	const char *why;
	switch (cpufeat_virt(&why)) {
	case VIRT_VMX: log_info("cpu: virtualisation: VT-x with EPT and unrestricted guest"); break;
	case VIRT_SVM: log_info("cpu: virtualisation: AMD-V with nested paging"); break;
	case VIRT_NONE: log_warn("cpu: virtualisation: none usable: %s", why); break;
	}
}
