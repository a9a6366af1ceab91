/* The vCPU record's checks (vm/vcpu_rec_int.h): a record comes from a file, so everything that
 * keel itself loads into the CPU (XRSTOR, XSETBV, WRMSR, MOV to DR6) or that the backend
 * needs to enter the guest is checked before any of it is used, and a record that breaks a
 * rule is refused with the first reason. Pure logic, host-tested (tests/unit/test_vcpu_rec.c). */
#include "vm/vcpu_rec_int.h"
#include "kernel/x86.h"

/* RFLAGS bits 3, 5, 15 and 22-63 are reserved, bit 1 is always set (SDM vol. 1 3.4.3). */
#define RFLAGS_RESERVED (BIT(3) | BIT(5) | BIT(15) | ~0x3fffffull)
#define CR0_KNOWN                                                                                  \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | \
	 CR0_PG)
/* CR4 bits keel may offer a guest (exit/cpuid.c's table; no VMX, SMX, KL, CET or PKS). */
#define CR4_KNOWN                                                                                 \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE | \
	 CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_LA57 | CR4_FSGSBASE | CR4_PCIDE |           \
	 CR4_OSXSAVE | CR4_SMEP | CR4_SMAP | CR4_PKE)
#define EFER_KNOWN   (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define XCR0_KNOWN   (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_PKRU)
#define PENDING_DBGS 0x1500full /* B0-B3, enabled breakpoint, BS, RTM (SDM 24.4.2) */

struct check {
	const char *why;
};

static void need(struct check *c, bool ok, const char *why)
{
	if (!ok && !c->why)
		c->why = why;
}

/* Bits 63:47 all equal (48-bit linear addresses; 57 with CR4.LA57). */
static bool canonical(u64 a, u64 cr4)
{
	int bits = (cr4 & CR4_LA57) ? 57 : 48;
	return (u64)((s64)(a << (64 - bits)) >> (64 - bits)) == a;
}

/* PAT entries and MTRR types: UC, WC, WT, WP, WB, UC- (SDM 11.12.2; 2 and 3 are reserved). */
static bool mem_types(u64 v, int n)
{
	for (int i = 0; i < n; i++) {
		u8 t = (u8)(v >> (8 * i));
		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static void check_control(struct check *c, const struct vcpu_rec *r, const struct vcpu_rec_host *h)
{
	need(c, (r->rflags & RFLAGS_FIXED) && !(r->rflags & RFLAGS_RESERVED), "bad RFLAGS");
	need(c, !(r->cr0 & ~CR0_KNOWN), "reserved CR0 bits set");
	need(c, !(r->cr0 & CR0_PG) || (r->cr0 & CR0_PE), "CR0.PG without PE");
	need(c, !(r->cr0 & CR0_NW) || (r->cr0 & CR0_CD), "CR0.NW without CD");
	need(c, !(r->cr4 & ~CR4_KNOWN), "reserved CR4 bits set");
	need(c, h->phys_bits >= 63 || !(r->cr3 >> h->phys_bits), "CR3 beyond MAXPHYADDR");
	need(c, r->cr8 <= 15, "bad CR8");
	need(c, !(r->efer & ~EFER_KNOWN), "reserved EFER bits set");
	bool lma = (r->efer & EFER_LME) && (r->cr0 & CR0_PG);
	need(c, !(r->efer & EFER_LMA) == !lma, "EFER.LMA disagrees with LME and CR0.PG");
	need(c, !lma || (r->cr4 & CR4_PAE), "long mode without CR4.PAE");
	u16 cs = r->seg[RSEG_CS].attr;
	need(c, !lma || !((cs & SEG_ATTR_L) && (cs & SEG_ATTR_DB)), "CS has both L and D");
	need(c, mem_types(r->pat, 8), "bad PAT");
	need(c, !(r->dr6 >> 32) && !(r->dr7 >> 32), "reserved DR6/DR7 bits set");
	need(c, !(r->debugctl & ~3ull), "unsupported DEBUGCTL bits");
	need(c, !(r->pending_dbg & ~PENDING_DBGS), "bad pending debug exceptions");
}

static void check_segments(struct check *c, const struct vcpu_rec *r)
{
	for (int i = 0; i < RSEG_N; i++) {
		need(c, !(r->seg[i].attr & 0xf000), "bad segment attributes");
		need(c, canonical(r->seg[i].base, r->cr4), "non-canonical segment base");
		if (i <= RSEG_DS) /* CS, SS, DS, ES: 32-bit bases (SDM 26.3.1.2) */
			need(c, !(r->seg[i].base >> 32), "segment base beyond 4 GiB");
	}
	need(c, r->seg[RSEG_TR].attr & 0x80, "TR unusable");
	need(c, r->gdtr.limit <= 0xffff && r->idtr.limit <= 0xffff, "descriptor table limit");
	need(c, !r->gdtr.sel && !r->gdtr.attr && !r->idtr.sel && !r->idtr.attr, "GDTR/IDTR fields");
	need(c, canonical(r->gdtr.base, r->cr4) && canonical(r->idtr.base, r->cr4),
	     "non-canonical GDTR/IDTR base");
}

/* What keel writes with WRMSR or MOV (VT-x's SYSCALL MSRs and KernelGSBase, TSC_AUX, DR0-3,
 * SPEC_CTRL) faults on non-canonical addresses and reserved bits: in keel, so never. */
static void check_msrs(struct check *c, const struct vcpu_rec *r, const struct vcpu_rec_host *h)
{
	u64 cr4 = r->cr4;
	need(c, canonical(r->rip, cr4), "non-canonical RIP");
	need(c,
	     canonical(r->lstar, cr4) && canonical(r->cstar, cr4) &&
		     canonical(r->kernel_gs_base, cr4),
	     "non-canonical SYSCALL MSR");
	need(c,
	     canonical(r->sysenter_esp, cr4) && canonical(r->sysenter_eip, cr4) &&
		     !(r->sysenter_cs >> 32),
	     "bad SYSENTER MSR");
	need(c, !(r->sfmask >> 32), "reserved SFMASK bits set");
	need(c, !(r->tsc_aux >> 32), "reserved TSC_AUX bits set");
	for (int i = 0; i < 4; i++)
		need(c, canonical(r->dr[i], cr4), "non-canonical DR0-DR3");
	need(c, !(r->spec_ctrl & ~h->spec_ctrl), "SPEC_CTRL bits this host lacks");
	need(c, !(r->mtrr_def & ~0xcffull) && mem_types(r->mtrr_def, 1), "bad MTRR_DEF_TYPE");
	for (int i = 0; i < MTRR_NFIXED; i++)
		need(c, mem_types(r->mtrr_fixed[i], 8), "bad fixed-range MTRR");
	for (int i = 0; i < MTRR_NVAR; i++)
		need(c,
		     h->phys_bits >= 63 || (!(r->mtrr_base[i] >> h->phys_bits) &&
					    !(r->mtrr_mask[i] >> h->phys_bits)),
		     "variable MTRR beyond MAXPHYADDR");
}

/* An event VM entry and VMRUN accept (SDM 26.2.1.3, APM 15.20): an NMI is vector 2, an
 * exception is below 32 and not 2, and only the exceptions that have one push an error code,
 * in protected mode, of 16 bits. */
static void check_event(struct check *c, const struct vrec_event *e, u64 cr0)
{
	need(c, e->valid <= 1 && e->has_error <= 1, "bad event flags");
	if (!e->valid)
		return;
	u8 t = e->type, v = e->vector;
	need(c,
	     t == EVENT_EXT_INTR || t == EVENT_NMI || t == EVENT_EXCEPTION || t == EVENT_SOFT_INT,
	     "bad event type");
	need(c, t != EVENT_NMI || v == 2, "NMI with another vector");
	need(c, t != EVENT_EXCEPTION || (v < 32 && v != 2), "bad exception vector");
	bool err_ok = t == EVENT_EXCEPTION && (cr0 & CR0_PE) &&
		      (v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21);
	need(c, !e->has_error || err_ok, "error code on an event that has none");
	need(c, e->error <= 0xffff, "bad event error code");
}

static void check_events(struct check *c, const struct vcpu_rec *r)
{
	need(c, !(r->shadow & ~3u) && r->shadow != 3, "bad interrupt shadow");
	need(c, r->nmi_blocked <= 1, "bad NMI blocking");
	check_event(c, &r->inject, r->cr0);
	check_event(c, &r->pending, r->cr0);
	need(c, !(r->inject.valid && r->pending.valid), "two events to inject");
	need(c, r->state == VCPU_RUNNABLE || r->state == VCPU_HALTED || r->state == VCPU_WAIT_SIPI,
	     "bad run state");
	need(c, r->irq_pending <= 1 && r->nmi_pending <= 1 && r->init_pending <= 1,
	     "bad pending flags");
	need(c, r->sipi_vector <= 256, "bad SIPI vector");
}

/* XRSTOR faults on XSTATE_BV bits outside the components it restores, on a header that is not
 * the standard form's and on reserved MXCSR bits; XSETBV on an XCR0 without x87, with AVX but
 * not SSE, or with a component the host lacks (SDM vol. 1 13.3, 13.8; vol. 2 XSETBV). */
static void check_xstate(struct check *c, const struct vcpu_rec *r, const struct vcpu_rec_host *h)
{
	u64 bv = *(const u64 *)(r->xsave + XREC_BV);
	u64 have = h->xstate_mask ? h->xstate_mask : XCR0_X87 | XCR0_SSE;
	u32 mxcsr = *(const u32 *)(r->xsave + 24);
	need(c, !(bv & ~have), "extended state component this host lacks");
	need(c, !(bv & ~XCR0_KNOWN), "unknown extended state component");
	for (int i = XREC_BV + 8; i < XREC_AVX; i++)
		need(c, !r->xsave[i], "XSAVE header not in the standard form");
	need(c, !(mxcsr & ~h->mxcsr_mask), "reserved MXCSR bits set");
	need(c, (r->xcr0 & XCR0_X87) && !(r->xcr0 & ~have), "XCR0 component this host lacks");
	need(c, !(r->xcr0 & XCR0_AVX) || (r->xcr0 & XCR0_SSE), "XCR0 has AVX without SSE");
	need(c, h->xstate_mask || r->xcr0 == XCR0_X87, "XCR0 set on a host without XSAVE");
}

const char *vcpu_rec_check(const struct vcpu_rec *r, const struct vcpu_rec_host *h)
{
	struct check c = {NULL};
	check_control(&c, r, h);
	check_segments(&c, r);
	check_msrs(&c, r, h);
	check_events(&c, r);
	check_xstate(&c, r, h);
	return c.why;
}
