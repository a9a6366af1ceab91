/* Control-register exits, once for both backends: MOV to CR0 and CR4 (VT-x: the bits it
 * shadows; AMD-V: every CR4 write), and MOV to and from CR8 (VT-x), which is the virtual local
 * APIC's task priority. The checks are the ones MOV to CR makes (SDM vol. 2 "MOV-Move to/from
 * Control Registers"); a refused write is the guest's #GP. */
#include "exit/exit.h"
#include "drivers/timer.h"
#include "exit/cpuid.h"
#include "exit/decode.h"
#include "exit/access.h"
#include "kernel/x86.h"
#include "vdev/vlapic.h"

static void host_cpuid(u32 leaf, u32 sub, u32 r[4])
{
	cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

/* The same for every VM and vCPU (the bits do not depend on the topology): computed once. */
u64 guest_cr4_allowed(void)
{
	static u64 allowed;
	u64 m = __atomic_load_n(&allowed, __ATOMIC_RELAXED);
	if (!m) {
		struct cpuid_ctx c = {.ncpus = 1, .tsc_khz = tsc_khz, .host = host_cpuid};
		m = cpuid_cr4_allowed(&c);
		__atomic_store_n(&allowed, m, __ATOMIC_RELAXED);
	}
	return m;
}

static u64 gpr_get(struct vcpu *v, u8 n)
{
	return n == RSP ? vcpu_get(v, VREG_RSP) : v->regs.gpr[n];
}

static void gpr_set(struct vcpu *v, u8 n, u64 val)
{
	if (n == RSP)
		vcpu_set(v, VREG_RSP, val);
	else
		v->regs.gpr[n] = val;
}

/* The backend named no register (AMD-V without decode assists): decode the MOV at RIP, which
 * also gives its length (no NRIP-save under QEMU's TCG). */
static bool fetch_mov_cr(struct vcpu *v, struct vexit *e)
{
	u8 bytes[15];
	size_t n = vcpu_fetch_insn(v, bytes);
	struct mov_cr m;
	if (decode_mov_cr(bytes, n, vcpu_mode(v), &m) != DECODE_OK || m.cr != e->cr.cr ||
	    m.to_cr == e->cr.read)
		return false;
	e->cr.gpr = m.gpr;
	e->insn_len = m.len;
	return true;
}

/* CR8 is TPR[7:4]; a write clears TPR[3:0], and bits 63:4 are reserved (SDM 10.8.6.1). */
static bool cr8_access(struct vcpu *v, struct vexit *e)
{
	if (e->cr.read) {
		gpr_set(v, e->cr.gpr, (vlapic_tpr(v) >> 4) & 0xf);
		return true;
	}
	if (e->cr.value >> 4)
		return false;
	vlapic_set_tpr(v, (u32)e->cr.value << 4);
	vcpu_set(v, VREG_CR8, e->cr.value); /* for a backend that keeps its own copy */
	return true;
}

static bool cr0_write(struct vcpu *v, u64 val)
{
	u64 efer = vcpu_get(v, VREG_EFER), cr4 = vcpu_get(v, VREG_CR4);
	bool bad =
		(val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
		((val & CR0_NW) && !(val & CR0_CD)) ||
		((val & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE)) ||
		(!(val & CR0_PG) && (efer & EFER_LMA) && (vcpu_get(v, VREG_CS_ATTR) & SEG_ATTR_L));
	if (bad || (!(val & CR0_PG) && (cr4 & CR4_PCIDE))) /* SDM vol. 2 MOV CR: PCIDE needs PG */
		return false;
	vcpu_set(v, VREG_CR0, val | CR0_ET);
	return true;
}

/* Setting CR4.PCIDE needs IA-32e mode and CR3[11:0] = 0 (SDM vol. 2 MOV CR, 4.10.1). */
static bool pcide_ok(struct vcpu *v, u64 val)
{
	if (!(val & CR4_PCIDE) || (vcpu_get(v, VREG_CR4) & CR4_PCIDE))
		return true;
	return (vcpu_get(v, VREG_EFER) & EFER_LMA) && !(vcpu_get(v, VREG_CR3) & 0xfff);
}

/* A bit of a feature the guest's CPUID lacks is reserved for it: #GP, as on such a CPU. */
static bool cr4_write(struct vcpu *v, u64 val)
{
	if ((val & ~guest_cr4_allowed()) ||
	    (!(val & CR4_PAE) && (vcpu_get(v, VREG_EFER) & EFER_LMA)) || !pcide_ok(v, val))
		return false;
	vcpu_set(v, VREG_CR4, val);
	return true;
}

enum exit_action exit_cr(struct vcpu *v, struct vexit *e)
{
	if (e->cr.fetch && !fetch_mov_cr(v, e)) {
		vm_stop(v->vm, VM_END_ERROR, 0, "cannot decode the CR%u access at rip %#llx",
			e->cr.cr, vcpu_get(v, VREG_RIP));
		return EXIT_STOP;
	}
	if (e->cr.fetch)
		e->cr.value = gpr_get(v, e->cr.gpr);
	if (vcpu_mode(v) != CPU_MODE_LONG64)
		e->cr.value &= 0xffffffffull; /* 32-bit operands outside 64-bit mode */
	/* CR0 and CR4 reads never exit (read shadows, the VMCB) */
	if (e->cr.read && e->cr.cr != 8)
		return exit_unexpected(v, e);
	bool ok;
	switch (e->cr.cr) {
	case 0: ok = cr0_write(v, e->cr.value); break;
	case 4: ok = cr4_write(v, e->cr.value); break;
	case 8: ok = cr8_access(v, e); break;
	default: return exit_unexpected(v, e);
	}
	if (!ok) {
		vcpu_inject_gp(v, 0);
		return EXIT_RESUME;
	}
	e->skip = true;
	return EXIT_RESUME;
}
