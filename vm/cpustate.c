/* The guest CPU state that no backend's control block switches and keel switches once per
 * turn: the extended state (x87, SSE, AVX, PKRU) with XCR0, DR0-DR3, IA32_TSC_AUX,
 * IA32_SPEC_CTRL (README "Guest-reachable CPU state"); and the check that a guest never leaves
 * keel's own task priority raised. */
#include "vm/cpustate.h"
#include "drivers/cpufeat.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "mm/mm.h"

/* The XSAVE components switched per vCPU: all a guest may enable (exit/cpuid_xsave.c offers
 * x87, SSE, AVX, PKRU where the host has them), whatever the guest's own XCR0 holds, so a
 * component it has disabled keeps its own contents and never another VM's; 0 on a host
 * without XSAVE, where FXSAVE switches x87 and SSE. The area's size is the host's for them. */
static u64 xstate_mask;
static u32 xstate_size = 512;
/* Where the host's XSAVE puts AVX and PKRU (leaf 0xD sub-leaves 2 and 9, EBX), and the MXCSR
 * bits it accepts (FXSAVE's MXCSR_MASK; 0 there means 0xffbf, SDM vol. 1 11.6.6). */
static u32 avx_offset, pkru_offset;
static u32 mxcsr_mask = 0xffbf;

#define XCR0_KEEL  (XCR0_X87 | XCR0_SSE) /* keel's own XCR0: it uses no extended state */
#define MXCSR_INIT 0x1f80		 /* SDM vol. 1 10.2.3: all exceptions masked */
#define FCW_INIT   0x037f		 /* SDM vol. 1 8.1.5: FINIT's control word */

/* The area the XSAVE components in m need: the host's size for them (leaf 0xD.0 EBX with XCR0
 * = m), and no less than the end of each component (sub-leaf i: size EAX at offset EBX), as
 * some emulators' sizes are too small (README "Extended state"). */
static u32 xstate_area_size(u64 m)
{
	u32 a, b, c, d, size = 576; /* legacy region and XSAVE header (SDM vol. 1 13.4) */
	xsetbv(0, m);
	cpuid(0xd, 0, &a, &b, &c, &d);
	size = MAX(size, b);
	for (u32 i = 2; i < 63; i++) {
		if (!(m & BIT(i)))
			continue;
		cpuid(0xd, i, &a, &b, &c, &d);
		size = MAX(size, a + b);
	}
	xsetbv(0, XCR0_KEEL);
	return size;
}

/* The MXCSR bits this CPU accepts, from an FXSAVE image. */
static void read_mxcsr_mask(void)
{
	static u8 area[512] __attribute__((aligned(16)));
	fxsave(area);
	u32 m = *(u32 *)(area + 28);
	if (m)
		mxcsr_mask = m;
}

void cpustate_cpu_init(void)
{
	u32 a, b, c, d;
	read_mxcsr_mask();
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & BIT(26))) /* no XSAVE: FXSAVE it is */
		return;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	xsetbv(0, XCR0_KEEL);
	cpuid(0xd, 0, &a, &b, &c, &d);
	u64 m = (((u64)d << 32) | a) & (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_PKRU);
	u32 size = xstate_area_size(m);
	cpuid(0xd, 2, &a, &avx_offset, &c, &d);
	cpuid(0xd, 9, &a, &pkru_offset, &c, &d);
	if (xstate_mask && (m != xstate_mask || size != xstate_size))
		panic("CPUs differ in their XSAVE state components");
	xstate_mask = m;
	xstate_size = size;
}

void cpustate_report(void)
{
	if (xstate_mask)
		log_info("cpu: extended state: XSAVE components %#llx switched per vCPU (%u bytes)",
			 xstate_mask, xstate_size);
	else
		log_info("cpu: extended state: no XSAVE; x87 and SSE switched with FXSAVE");
}

/* The state at power-up (SDM vol. 3 table 9-1): XCR0 x87 only, every component in its initial
 * configuration (XSTATE_BV 0), FCW and MXCSR as FXRSTOR and XRSTOR load them. */
void vcpu_state_reset(struct vcpu *v)
{
	memset(v->xsave, 0, xstate_size);
	*(u16 *)v->xsave = FCW_INIT;
	*(u32 *)(v->xsave + 24) = MXCSR_INIT;
	v->xcr0 = XCR0_X87;
}

bool vcpu_state_init(struct vcpu *v)
{
	v->xsave_mem = kmalloc(xstate_size + 63);
	if (!v->xsave_mem)
		return false;
	v->xsave = (u8 *)(((uintptr_t)v->xsave_mem + 63) & ~(uintptr_t)63); /* SDM 13.4 */
	vcpu_state_reset(v);
	return true;
}

void vcpu_state_free(struct vcpu *v)
{
	if (v->xsave_mem)
		kfree(v->xsave_mem);
	v->xsave_mem = NULL;
	v->xsave = NULL;
}

/* v's extended state into the hardware: every switched component from its area (XRSTOR with
 * all of them enabled; XSTATE_BV 0 puts a component in its initial state), then its XCR0. */
static void xstate_load(const struct vcpu *v)
{
	if (!xstate_mask) {
		fxrstor(v->xsave);
		return;
	}
	xsetbv(0, xstate_mask);
	xrstor(v->xsave, xstate_mask);
	xsetbv(0, v->xcr0);
}

/* The reverse: XSAVE with every switched component enabled, then keel's own XCR0. */
static void xstate_save(struct vcpu *v)
{
	if (!xstate_mask) {
		fxsave(v->xsave);
		return;
	}
	xsetbv(0, xstate_mask);
	xsave(v->xsave, xstate_mask);
	xsetbv(0, XCR0_KEEL);
}

/* XSETBV, checked by exit_xsetbv: v holds this CPU, so its XCR0 goes into the hardware now,
 * where the guest's XGETBV (never intercepted) and XSAVE read it. */
void vcpu_xcr0_set(struct vcpu *v, u64 xcr0)
{
	v->xcr0 = xcr0;
	xsetbv(0, xcr0);
}

/* DR0-DR3 belong to the vCPU holding the CPU: neither the VMCS nor the VMCB switches them
 * (SDM 27.3.1, APM 15.5.1), and keel sets no breakpoint of its own (its DR7 is 0x400 after
 * every exit), so they are switched with the FPU, once per turn. */
static void dr_load(const struct vcpu *v)
{
	/* While a debugger holds them (DBG_CTL_DR) they are its slots; the
	 * guest's own stay in v->dr, which its intercepted MOV DR reads and writes. */
	const u64 *dr = (v->dbg.ctl & DBG_CTL_DR) ? v->vm->dbg_dr : v->dr;
	write_dr0(dr[0]);
	write_dr1(dr[1]);
	write_dr2(dr[2]);
	write_dr3(dr[3]);
}

/* IA32_TSC_AUX is the vCPU's too: neither the VMCS nor the VMCB switches it, and keel never
 * reads it (no RDTSCP or RDPID of its own). The guest only writes it through an intercepted
 * WRMSR, so there is nothing to save. */
static void tsc_aux_load(const struct vcpu *v)
{
	if (cpu_feat.rdtscp)
		wrmsr(MSR_TSC_AUX, v->tsc_aux);
}

/* IA32_SPEC_CTRL is the vCPU's (exit/msr_cpu.c): neither the VMCS nor the VMCB switches it
 * without extra features (AMD's V_SPEC_CTRL, VT-x MSR-load lists), and keel's own value is 0
 * (the reset value, SDM vol. 4 table 2-2: keel never writes it). The guest only changes it
 * through an intercepted WRMSR, so it is loaded for the turn and cleared after; keel's exit
 * handling in between runs with the guest's bits, which only restrict speculation more. */
static void spec_ctrl_switch(u64 val)
{
	if (val)
		wrmsr(MSR_SPEC_CTRL, val);
}

static void dr_save(struct vcpu *v)
{
	if (v->dbg.ctl & DBG_CTL_DR)
		return; /* the debugger's, not the guest's */
	v->dr[0] = read_dr0();
	v->dr[1] = read_dr1();
	v->dr[2] = read_dr2();
	v->dr[3] = read_dr3();
}

/* A guest that reached the host's task priority (CR8) would mask keel's own vectors: keel's
 * TPR is 0 and no guest may change it (VT-x exits on CR8, AMD-V has V_TPR). */
static void check_host_tpr(void)
{
	if (read_cr8())
		panic("host TPR is %llu after a guest ran", read_cr8());
}

void vcpu_state_load(const struct vcpu *v)
{
	xstate_load(v); /* keel never uses the FPU: only guests' state passes through it */
	dr_load(v);
	tsc_aux_load(v);
	spec_ctrl_switch(v->msrs.spec_ctrl);
}

void vcpu_state_save(struct vcpu *v)
{
	xstate_save(v);
	dr_save(v);
	if (v->msrs.spec_ctrl)
		wrmsr(MSR_SPEC_CTRL, 0);
	check_host_tpr();
}

u64 cpustate_xstate_mask(void)
{
	return xstate_mask;
}

u32 cpustate_mxcsr_mask(void)
{
	return mxcsr_mask;
}

/* x87 and SSE in their initial configuration, which XSAVE may leave unwritten when XSTATE_BV
 * says so (SDM vol. 1 13.6): FCW 0x37f, the rest of the x87 state and the XMM registers 0. */
static void legacy_init(u8 *x, u64 bv)
{
	if (!(bv & XCR0_X87)) {
		memset(x, 0, 24);	/* FCW..FDP, not MXCSR */
		memset(x + 32, 0, 128); /* ST0-ST7 */
		*(u16 *)x = FCW_INIT;
	}
	if (!(bv & XCR0_SSE))
		memset(x + 160, 0, 256); /* XMM0-XMM15 */
}

void vcpu_xstate_get(const struct vcpu *v, u8 x[XREC_SIZE], u32 *pkru)
{
	u64 bv = xstate_mask ? *(const u64 *)(v->xsave + XREC_BV) & xstate_mask : 3;
	memset(x, 0, XREC_SIZE);
	memcpy(x, v->xsave, 464); /* bytes 464-511 are software's, not state */
	legacy_init(x, bv);
	*pkru = 0;
	if ((bv & XCR0_AVX) && avx_offset)
		memcpy(x + XREC_AVX, v->xsave + avx_offset, 256);
	if ((bv & XCR0_PKRU) && pkru_offset)
		*pkru = *(const u32 *)(v->xsave + pkru_offset);
	*(u64 *)(x + XREC_BV) = bv | XCR0_X87 | XCR0_SSE;
}

void vcpu_xstate_set(struct vcpu *v, const u8 x[XREC_SIZE], u32 pkru)
{
	u64 bv = *(const u64 *)(x + XREC_BV);
	memset(v->xsave, 0, xstate_size);
	memcpy(v->xsave, x, 464);
	if (!xstate_mask)
		return;
	*(u64 *)(v->xsave + XREC_BV) = bv & xstate_mask;
	if ((bv & XCR0_AVX) && avx_offset)
		memcpy(v->xsave + avx_offset, x + XREC_AVX, 256);
	if ((bv & XCR0_PKRU) && pkru_offset)
		*(u32 *)(v->xsave + pkru_offset) = pkru;
}
