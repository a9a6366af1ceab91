/* What the host CPU can do, read once at start-up. */
#ifndef KEEL_CPUFEAT_H
#define KEEL_CPUFEAT_H

#include "lib/types.h"

enum cpu_vendor { VENDOR_OTHER, VENDOR_INTEL, VENDOR_AMD };

struct cpu_features {
	enum cpu_vendor vendor;
	char vendor_str[13];
	char brand[49];
	u32 family, model, stepping;
	u32 max_leaf, max_ext_leaf;
	u32 phys_bits;
	bool nx, x2apic, pdpe1gb, invariant_tsc, tsc_deadline, hypervisor, xsave, rdtscp;
	bool rdrand, rdseed; /* hardware random numbers: guests' virtio-rng (vm/entropy.c) */
	char hv_sig[13];
	bool qemu_tcg; /* under QEMU's TCG ("TCGTCGTCGTCG"): its AMD-V has a quirk keel avoids */
	/* VT-x (SDM vol. 3 ch. 24, appendix A) */
	bool vmx, vmx_locked_off, vmx_ept, vmx_ug, vmx_vpid, vmx_true_ctls, vmx_ept_2m, vmx_ept_wb;
	bool vmx_ept_4level, vmx_preempt_timer;
	/* AMD-V (APM vol. 2 ch. 15) */
	bool svm, svm_disabled, svm_npt, svm_nrips, svm_decode, svm_vmcb_clean, svm_flush_asid;
	u32 svm_rev, svm_nasid;
};

extern struct cpu_features cpu_feat;

void cpufeat_detect(void);
/* Log the CPU and what it offers keel, ending with one line naming the usable backend. */
void cpufeat_report(void);

/* The backend this CPU can run, or why neither: */
enum virt_kind { VIRT_NONE, VIRT_VMX, VIRT_SVM };
enum virt_kind cpufeat_virt(const char **why);

#endif
