/* The MSRs an OS reads to learn the CPU and sets up at boot, beyond exit/msr.c's list: the
 * MTRRs (exit/mtrr.c), the speculation controls where the host has them, DEBUGCTL and
 * MISC_ENABLE; and RDPMC, which faults since keel offers no performance counters. Each MSR
 * exists for the guest exactly when the CPUID it sees says so (exit/cpuid.c). */
#include "exit/msr.h"
#include "exit/cpuid.h"
#include "exit/exit.h"
#include "exit/mtrr.h"
#include "kernel/x86.h"

/* SPEC_CTRL bits (SDM vol. 4 table 2-2; APM vol. 2 3.2.9): IBRS, STIBP, SSBD. */
#define SPEC_IBRS  BIT(0)
#define SPEC_STIBP BIT(1)
#define SPEC_SSBD  BIT(2)
#define PRED_IBPB  BIT(0)
/* ARCH_CAPABILITIES bits a guest may see: statements that the CPU is not affected by a flaw,
 * true inside a VM as outside (RDCL_NO 0, SSB_NO 4, MDS_NO 5, PSCHANGE_MC_NO 6, TAA_NO 8,
 * SBDR_SSDP_NO 13, FBSDP_NO 14, PSDP_NO 15, BHI_NO 20, GDS_NO 26, RFDS_NO 27), and IBRS_ALL
 * (1), which keel honours by switching SPEC_CTRL. Hidden: controls of MSRs keel lacks
 * (TSX_CTRL, MCU_CONTROL, FB_CLEAR_CTRL...) and SKIP_L1DFL_VMENTRY (nested virtualisation). */
#define ARCH_CAP_GUEST                                                                       \
	(BIT(0) | BIT(1) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | BIT(13) | BIT(14) | BIT(15) | \
	 BIT(20) | BIT(26) | BIT(27))
/* DEBUGCTL: LBR (0) and BTF (1) are taken and dropped, as KVM does: keel switches neither (no
 * LBR stack is offered, and AMD-V loads DEBUGCTL only with LBR virtualisation); every other
 * bit is reserved or a feature keel hides (SDM 17.4.1): #GP. */
#define DEBUGCTL_DROPPED (BIT(0) | BIT(1))
/* MISC_ENABLE (SDM vol. 4 table 2-2): fast strings (0) on; BTS (11) and PEBS (12) unavailable;
 * performance monitoring (7), MONITOR (18), CPUID limit (22) and the rest off. Writes to the
 * architectural bits are taken and leave it as it is; the reserved bits #GP. */
#define MISC_ENABLE_VALUE (BIT(0) | BIT(11) | BIT(12))
#define MISC_ENABLE_BITS                                                                        \
	(BIT(0) | BIT(3) | BIT(7) | BIT(11) | BIT(12) | BIT(16) | BIT(18) | BIT(22) | BIT(23) | \
	 BIT(34))

/* What the guest's CPUID offers of the speculation controls (and its MAXPHYADDR), the same
 * for every vCPU: computed once. */
struct spec_caps {
	bool done;
	u64 spec_ctrl; /* SPEC_CTRL's writable bits; 0: no SPEC_CTRL */
	bool ibpb, arch_cap;
	u32 maxphyaddr;
};

static void host_cpuid(u32 leaf, u32 sub, u32 r[4])
{
	cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

/* Intel's leaf 7 EDX bits 26 (IBRS+IBPB), 27 (STIBP), 29 (ARCH_CAPABILITIES), 31 (SSBD); AMD's
 * 0x80000008 EBX bits 12 (IBPB), 14 (IBRS), 15 (STIBP), 24 (SSBD). */
static struct spec_caps guest_caps(void)
{
	struct spec_caps s = {.done = true, .maxphyaddr = 36};
	struct cpuid_ctx c = {.ncpus = 1, .host = host_cpuid};
	u32 l7[4], x0[4], x8[4] = {0};
	cpuid_policy(&c, 7, 0, l7);
	cpuid_policy(&c, 0x80000000u, 0, x0);
	if (x0[0] >= 0x80000008u)
		cpuid_policy(&c, 0x80000008u, 0, x8);
	if (x8[0] & 0xff)
		s.maxphyaddr = x8[0] & 0xff;
	u32 d = l7[3], b = x8[1];
	s.spec_ctrl = ((d & BIT(26)) || (b & BIT(14)) ? SPEC_IBRS : 0) |
		      ((d & BIT(27)) || (b & BIT(15)) ? SPEC_STIBP : 0) |
		      ((d & BIT(31)) || (b & BIT(24)) ? SPEC_SSBD : 0);
	s.ibpb = (d & BIT(26)) || (b & BIT(12));
	s.arch_cap = d & BIT(29);
	return s;
}

static const struct spec_caps *caps(void)
{
	static struct spec_caps s;
	if (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE)) {
		struct spec_caps n = guest_caps();
		s.spec_ctrl = n.spec_ctrl, s.ibpb = n.ibpb, s.arch_cap = n.arch_cap;
		s.maxphyaddr = n.maxphyaddr;
		__atomic_store_n(&s.done, true, __ATOMIC_RELEASE);
	}
	return &s;
}

/* IA32_SPEC_CTRL: the vCPU's own, in the CPU while it holds it (vm/cpustate.c); written at
 * once here, since this runs on that CPU. Bits the guest's CPUID does not offer #GP. */
static int spec_ctrl(struct vcpu *v, bool write, u64 *val)
{
	u64 ok = caps()->spec_ctrl;
	if (!ok)
		return -1;
	if (!write) {
		*val = v->msrs.spec_ctrl;
		return 0;
	}
	if (*val & ~ok)
		return -1;
	v->msrs.spec_ctrl = *val;
	wrmsr(MSR_SPEC_CTRL, *val);
	return 0;
}

/* IA32_PRED_CMD is write-only: IBPB (bit 0) goes to the host CPU, which is the barrier the
 * guest asked for (SDM vol. 4 table 2-2: reads and other bits #GP). */
static int pred_cmd(bool write, u64 val)
{
	if (!caps()->ibpb || !write || (val & ~PRED_IBPB))
		return -1;
	if (val)
		wrmsr(MSR_PRED_CMD, val);
	return 0;
}

/* IA32_ARCH_CAPABILITIES is read-only: the host's statements that hold for the guest. */
static int arch_cap(bool write, u64 *val)
{
	if (!caps()->arch_cap || write)
		return -1;
	*val = rdmsr(MSR_ARCH_CAP) & ARCH_CAP_GUEST;
	return 0;
}

static int debugctl(bool write, u64 *val)
{
	if (write)
		return (*val & ~DEBUGCTL_DROPPED) ? -1 : 0;
	*val = 0;
	return 0;
}

static int misc_enable(bool write, u64 *val)
{
	if (write)
		return (*val & ~MISC_ENABLE_BITS) ? -1 : 0;
	*val = MISC_ENABLE_VALUE;
	return 0;
}

/* AMD's SYSCFG: Linux reads it beside the MTRRs (MtrrFixDramModEn, MtrrTom2En). 0: no DRAM
 * attributes in the fixed ranges, no TOM2 (APM vol. 2 7.9.1); writes are dropped, as KVM
 * does. */
static int syscfg(bool write, u64 *val)
{
	if (!write)
		*val = 0;
	return 0;
}

int msr_cpu_access(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	if (mtrr_msr(msr))
		return write ? mtrr_write(&v->msrs.mtrr, msr, *val, caps()->maxphyaddr)
			     : mtrr_read(&v->msrs.mtrr, msr, val);
	switch (msr) {
	case MSR_SPEC_CTRL: return spec_ctrl(v, write, val);
	case MSR_PRED_CMD: return pred_cmd(write, *val);
	case MSR_ARCH_CAP: return arch_cap(write, val);
	case MSR_DEBUGCTL: return debugctl(write, val);
	case MSR_MISC_ENABLE: return misc_enable(write, val);
	case MSR_AMD_SYSCFG: return syscfg(write, val);
	default: return 1;
	}
}

/* RDPMC: keel offers no performance counters (CPUID leaf 0xA is zero, AMD's PerfCtrExtCore is
 * hidden), so every counter number is invalid: #GP(0) (SDM vol. 2 RDPMC; APM vol. 3 RDPMC). */
enum exit_action exit_rdpmc(struct vcpu *v, struct vexit *e)
{
	(void)e;
	vcpu_inject_gp(v, 0);
	return EXIT_RESUME;
}
