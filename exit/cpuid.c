/* CPUID policy (pure C, host-tested). Every feature bit a guest sees is on an allow-list of
 * things keel virtualises or that need nothing from it; the rest read as zero. Leaves keel
 * does not know read as zero. The VMX and SVM bits are hidden, the hypervisor bit is set, and
 * XSAVE with AVX and PKU where the host has them (not AVX-512) are offered by cpuid_xsave.c,
 * with leaf 0xD consistent with them. KVM's signature and
 * clock features are at 0x40000100 beside keel's own leaves at 0x40000000. */
#include "exit/cpuid.h"
#include "lib/string.h"
#include "kernel/x86.h"

/* Leaf 1 ECX: SSE3, PCLMULQDQ, SSSE3, CX16, SSE4.1, SSE4.2, MOVBE, POPCNT, AES, RDRAND.
 * XSAVE/OSXSAVE (26, 27), AVX (28), F16C (29), FMA (12): cpuid_xsave.c. x2APIC (21) and
 * TSC-deadline (24) on any host: the virtual local APIC has them.
 * Hidden: VMX (5), SMX (6), monitor (3), DCA, PDCM (no PMU: README "MSRs"), thermal and
 * debug-store bits. PCID (17): with the host's, the guest's TLB tags are its own under EPT and
 * NPT. */
#define L1_ECX                                                                                  \
	(BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | BIT(22) | BIT(23) | BIT(25) | \
	 BIT(30) | BIT(17))
#define L1_ECX_HYPERVISOR BIT(31)
/* x2APIC (21) and TSC-deadline (24): the virtual local APIC's, on any host (vdev/vlapic*.c). */
#define L1_ECX_LAPIC (BIT(21) | BIT(24))
/* Leaf 1 EDX: FPU VME DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE
 * SSE2. Hidden: MCE/MCA (7, 14), DS, ACPI, SS, TM, PBE. HTT (28) is set for SMP; MTRR (12)
 * always (exit/mtrr.c). */
#define L1_EDX                                                                                     \
	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | BIT(9) |          \
	 BIT(11) | BIT(13) | BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | \
	 BIT(26))
#define L1_EDX_HTT BIT(28)
/* MTRR (12): keel emulates them; AMD's copy in 0x80000001 EDX where the host shows it. */
#define L1_EDX_MTRR BIT(12)
/* Leaf 7.0 EBX: FSGSBASE, BMI1, SMEP, BMI2, ERMS, INVPCID, RDSEED, ADX, SMAP, CLFLUSHOPT, SHA. */
#define L7_EBX                                                                                \
	(BIT(0) | BIT(3) | BIT(7) | BIT(8) | BIT(9) | BIT(10) | BIT(18) | BIT(19) | BIT(20) | \
	 BIT(23) | BIT(29))
/* IA32_TSC_ADJUST (bit 1): keel emulates it (exit/msr.c), on any host that has leaf 7. */
#define L7_EBX_TSC_ADJUST BIT(1)
/* Leaf 7.0 ECX: UMIP (CR4.UMIP makes SGDT and kin #GP at CPL 3; no exit is involved). */
#define L7_ECX_UMIP BIT(2)
/* Leaf 7.0 EDX: IBRS/IBPB (26), STIBP (27), ARCH_CAPABILITIES (29), SSBD (31): keel offers
 * their MSRs exactly when the host has them (exit/msr_cpu.c). */
#define L7_EDX_SPEC (BIT(26) | BIT(27) | BIT(29) | BIT(31))
/* 0x80000008 EBX: AMD's IBPB (12), IBRS (14), STIBP (15), SSBD in SPEC_CTRL (24). */
#define X8_EBX_SPEC (BIT(12) | BIT(14) | BIT(15) | BIT(24))
/* 0x80000001 ECX: LAHF/SAHF, LZCNT, SSE4A, misaligned SSE, PREFETCHW. Hidden: SVM (2). */
#define X1_ECX (BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
/* 0x80000001 EDX: SYSCALL, NX, 1 GiB pages, RDTSCP (keel switches TSC_AUX), long mode, plus
 * AMD's copies of leaf-1 bits. */
#define X1_EDX (BIT(11) | BIT(20) | BIT(26) | BIT(27) | BIT(29) | (L1_EDX & 0x0183f3ffu))

/* ceil(log2(n)) for n >= 1. */
static u32 order(u32 n)
{
	u32 s = 0;
	while ((1u << s) < n)
		s++;
	return s;
}

/* TSC / crystal as num / den, the most exact a power-of-two den allows while crystal kHz *
 * num stays below 2^32: Linux computes the TSC's kHz as crystal_khz * EBX / EAX in 32 bits
 * (native_calibrate_tsc), and real CPUs keep the ratio small (2/188 and the like). The error
 * is under 1/(2 num): about 20 ppm at the worst. num 0 (no TSC frequency) says "unknown". */
static void tsc_ratio(u64 tsc_khz, u64 crystal_khz, u32 *num, u32 *den)
{
	*num = 0, *den = 1;
	if (!tsc_khz || !crystal_khz)
		return;
	for (u32 d = 1u << 30; d; d >>= 1) {
		u64 n = (tsc_khz * d + crystal_khz / 2) / crystal_khz;
		if (n && n * crystal_khz <= 0xffffffffull) {
			*num = (u32)n, *den = d;
			return;
		}
	}
	*num = 1; /* a TSC beyond 2^32 times the crystal: as close as the format goes */
}

/* The host's highest leaf from base (0 or 0x80000000): the caller's copy, or asked. */
static u32 host_max(const struct cpuid_ctx *c, u32 base)
{
	u32 known = base ? c->host_max_ext : c->host_max;
	if (known)
		return known;
	u32 h[4];
	c->host(base, 0, h);
	return h[0];
}

static void basic(const struct cpuid_ctx *c, u32 leaf, u32 sub, u32 r[4])
{
	u32 h[4];
	bool host_has = leaf <= host_max(c, 0);
	if (host_has)
		c->host(leaf, sub, h);
	else
		h[0] = h[1] = h[2] = h[3] = 0; /* a leaf the host lacks: nothing to pass on */
	switch (leaf) {
	case 0:
		r[0] = 0x16;			       /* keel answers up to 0x16 itself */
		r[1] = h[1], r[2] = h[2], r[3] = h[3]; /* the host's vendor */
		return;
	case 1:
		r[0] = h[0];
		r[1] = (c->vcpu_id << 24) | (MAX(c->ncpus, 1u) << 16) | (h[1] & 0xff00);
		r[2] = (h[2] & L1_ECX) | L1_ECX_HYPERVISOR | L1_ECX_LAPIC;
		cpuid_xsave_leaf1(c, h, r);
		r[3] = (h[3] & L1_EDX) | L1_EDX_MTRR | (c->ncpus > 1 ? L1_EDX_HTT : 0);
		r[3] &= c->apic_off ? ~BIT(9) : ~0u; /* no APIC while it is disabled */
		return;
	case 2:
		memcpy(r, h, 16); /* cache descriptors */
		return;
	case 4: /* cache parameters: the host's caches; L1 and L2 per core, the rest shared */
		memcpy(r, h, 16);
		if (h[0] & 0x1f) {
			u32 level = (h[0] >> 5) & 7, n = MAX(c->ncpus, 1u) - 1;
			r[0] &= 0x3ff;
			r[0] |= n << 26 | (level > 2 ? n : 0) << 14;
		}
		return;
	case 7:
		if (sub == 0 && host_has) {
			r[1] = (h[1] & L7_EBX) | L7_EBX_TSC_ADJUST;
			r[2] = h[2] & L7_ECX_UMIP;
			r[3] = h[3] & L7_EDX_SPEC;
			cpuid_xsave_leaf7(c, h, r);
		}
		return;
	case 0xd: cpuid_xsave_leaf_d(c, sub, r); return;
	case 0xb: /* topology: one thread per core, ncpus cores per package */
		r[2] = sub & 0xff;
		r[3] = c->vcpu_id; /* every subleaf reports the x2APIC id */
		if (sub > 1)
			return; /* level type 0: no more levels */
		r[0] = sub ? order(c->ncpus) : 0;
		r[1] = sub ? c->ncpus : 1;
		r[2] |= (sub + 1) << 8;
		return;
	case 0x15: /* TSC = crystal (ECX Hz) * EBX / EAX. The crystal is the virtual LAPIC's clock
		    * (Linux on Intel times its APIC timer with it); EBX / EAX = TSC / crystal. */
		tsc_ratio(c->tsc_khz, c->lapic_khz, &r[1], &r[0]);
		r[2] = (u32)(c->lapic_khz * 1000);
		return;
	case 0x16: /* base, maximum and bus frequency in MHz */
		r[0] = r[1] = (u32)(c->tsc_khz / 1000);
		r[2] = 100;
		return;
	default: return; /* 5 (monitor), 6 (power), 0xa (PMU) and the rest: zero */
	}
}

static void extended(const struct cpuid_ctx *c, u32 leaf, u32 sub, u32 r[4])
{
	u32 h[4];
	c->host(leaf, sub, h);
	switch (leaf) {
	case 0x80000000:
		r[0] = MIN(h[0], 0x80000008u);
		r[1] = h[1], r[2] = h[2], r[3] = h[3];
		return;
	case 0x80000001:
		r[0] = h[0];
		r[2] = h[2] & X1_ECX;
		r[3] = h[3] & (X1_EDX | L1_EDX_MTRR) &
		       (c->apic_off ? ~BIT(9) : ~0u); /* as leaf 1 */
		return;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004: /* brand string */
	case 0x80000005:
	case 0x80000006: /* caches */ memcpy(r, h, 16); return;
	case 0x80000007:
		r[3] = h[3] & BIT(8); /* invariant TSC */
		return;
	case 0x80000008:
		r[0] = h[0] & 0xffff;	      /* physical and linear address sizes */
		r[2] = MAX(c->ncpus, 1u) - 1; /* AMD: cores per package - 1 */
		r[1] = h[1] & X8_EBX_SPEC;
		return;
	default: return; /* 0x8000000a (SVM) and the rest: zero */
	}
}

void cpuid_policy(const struct cpuid_ctx *c, u32 leaf, u32 sub, u32 r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	if (leaf <= 0x16) {
		basic(c, leaf, sub, r);
	} else if (leaf >= 0x80000000u && leaf <= 0x80000008u) {
		if (leaf <= host_max(c, 0x80000000u))
			extended(c, leaf, sub, r);
	} else if (leaf == 0x40000000u) {
		r[0] = KEEL_CPUID_MAX_HV;
		memcpy(&r[1], KEEL_CPUID_SIGNATURE, 4);
		memcpy(&r[2], KEEL_CPUID_SIGNATURE + 4, 4);
		memcpy(&r[3], KEEL_CPUID_SIGNATURE + 8, 4);
	} else if (leaf == 0x40000010u) {
		r[0] = (u32)c->tsc_khz;
		r[1] = (u32)c->lapic_khz;
	} else if (leaf == KVM_CPUID_BASE) {
		r[0] = KVM_CPUID_FEATURES;
		memcpy(&r[1], KVM_CPUID_SIGNATURE, 4);
		memcpy(&r[2], KVM_CPUID_SIGNATURE + 4, 4);
		memcpy(&r[3], KVM_CPUID_SIGNATURE + 8, 4);
	} else if (leaf == KVM_CPUID_FEATURES) {
		/* EDX (hints) 0; the clock needs keel's TSC rate to fill it */
		r[0] = KVM_FEATURE_PV_EOI;
		if (c->tsc_khz)
			r[0] |= KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
	}
}

/* Leaves whose answer follows the asking vCPU (its APIC ID, CR4, XCR0, APIC state) or the
 * sub-leaf: the policy answers them at each exit. */
static bool per_vcpu(u32 leaf)
{
	return leaf == 1 || leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd ||
	       leaf == 0x80000001u;
}

/* Where leaf's answer lives in t, NULL if it is not one the table holds. */
static u32 *slot(struct cpuid_table *t, u32 leaf)
{
	if (per_vcpu(leaf))
		return NULL;
	if (leaf < ARRAY_SIZE(t->basic))
		return t->basic[leaf];
	if (leaf - 0x80000000u < ARRAY_SIZE(t->ext))
		return t->ext[leaf - 0x80000000u];
	if (leaf == 0x40000000u || leaf == 0x40000010u)
		return t->hv[leaf == 0x40000010u];
	if (leaf == KVM_CPUID_BASE || leaf == KVM_CPUID_FEATURES)
		return t->kvm[leaf == KVM_CPUID_FEATURES];
	return NULL;
}

static const u32 table_leaves[] = {0x40000000u, 0x40000010u, KVM_CPUID_BASE, KVM_CPUID_FEATURES};

void cpuid_table_fill(struct cpuid_table *t, const struct cpuid_ctx *c)
{
	for (u32 leaf = 0; leaf < ARRAY_SIZE(t->basic); leaf++)
		if (slot(t, leaf))
			cpuid_policy(c, leaf, 0, slot(t, leaf));
	for (u32 i = 0; i < ARRAY_SIZE(t->ext); i++)
		if (slot(t, 0x80000000u + i))
			cpuid_policy(c, 0x80000000u + i, 0, slot(t, 0x80000000u + i));
	for (size_t i = 0; i < ARRAY_SIZE(table_leaves); i++)
		cpuid_policy(c, table_leaves[i], 0, slot(t, table_leaves[i]));
}

const u32 *cpuid_table_find(const struct cpuid_table *t, u32 leaf)
{
	return slot((struct cpuid_table *)t, leaf);
}

/* Each CR4 bit with the CPUID bit that offers it (SDM 2.5 and the CPUID leaf 1 and 7 tables):
 * leaf, register (0 EAX .. 3 EDX), bit. PCE needs only the architecture. */
static const struct {
	u64 cr4;
	u32 leaf;
	u8 reg, bit;
} cr4_features[] = {
	{CR4_VME, 1, 3, 1},	    {CR4_PVI, 1, 3, 1},	     {CR4_TSD, 1, 3, 4},
	{CR4_DE, 1, 3, 2},	    {CR4_PSE, 1, 3, 3},	     {CR4_PAE, 1, 3, 6},
	{CR4_MCE, 1, 3, 7},	    {CR4_PGE, 1, 3, 13},     {CR4_OSFXSR, 1, 3, 24},
	{CR4_OSXMMEXCPT, 1, 3, 25}, {CR4_UMIP, 7, 2, 2},     {CR4_LA57, 7, 2, 16},
	{CR4_VMXE, 1, 2, 5},	    {CR4_SMXE, 1, 2, 6},     {CR4_FSGSBASE, 7, 1, 0},
	{CR4_PCIDE, 1, 2, 17},	    {CR4_OSXSAVE, 1, 2, 26}, {CR4_SMEP, 7, 1, 7},
	{CR4_SMAP, 7, 1, 20},	    {CR4_PKE, 7, 2, 3},
};

u64 cpuid_cr4_allowed(const struct cpuid_ctx *c)
{
	u32 l1[4], l7[4];
	u64 m = CR4_PCE;
	cpuid_policy(c, 1, 0, l1);
	cpuid_policy(c, 7, 0, l7);
	for (size_t i = 0; i < ARRAY_SIZE(cr4_features); i++) {
		const u32 *r = cr4_features[i].leaf == 1 ? l1 : l7;
		if (r[cr4_features[i].reg] & BIT(cr4_features[i].bit))
			m |= cr4_features[i].cr4;
	}
	return m;
}
