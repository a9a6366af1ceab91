/* The CPUID bits that follow XSAVE (pure C, host-tested): XSAVE itself, OSXSAVE and OSPKE as
 * the asking vCPU's CR4 has them, the AVX family, PKU, and leaf 0xD for the XCR0 components
 * keel offers: x87, SSE, and AVX and PKRU where the host has them (README "Extended state").
 * AVX-512, AMX and the supervisor components (XSAVES, IA32_XSS) are not offered. */
#include "exit/cpuid.h"
#include "kernel/x86.h"

#define L1_ECX_FMA     BIT(12)
#define L1_ECX_XSAVE   BIT(26)
#define L1_ECX_OSXSAVE BIT(27)
#define L1_ECX_AVX     BIT(28)
#define L1_ECX_F16C    BIT(29)
#define L7_EBX_AVX2    BIT(5)
#define L7_ECX_PKU     BIT(3)
#define L7_ECX_OSPKE   BIT(4)
/* Leaf 0xD.1 EAX: XSAVEOPT, XSAVEC, XGETBV with ECX = 1 (not XSAVES: no IA32_XSS). */
#define LD1_EAX	     (BIT(0) | BIT(1) | BIT(2))
#define LD_ECX_ALIGN BIT(1) /* sub-leaf i ECX: component 64-byte aligned when compacted */
#define XSAVE_LEGACY 576    /* legacy region (512) and header (64): SDM vol. 1 13.4 */

u64 cpuid_xcr0_offered(const struct cpuid_ctx *c)
{
	u32 h[4];
	c->host(0, 0, h);
	if (h[0] < 0xd)
		return 0;
	c->host(1, 0, h);
	if (!(h[2] & L1_ECX_XSAVE))
		return 0;
	u64 want = XCR0_X87 | XCR0_SSE | ((h[2] & L1_ECX_AVX) ? XCR0_AVX : 0);
	c->host(7, 0, h);
	want |= (h[2] & L7_ECX_PKU) ? XCR0_PKRU : 0;
	c->host(0xd, 0, h);
	u64 m = (((u64)h[3] << 32) | h[0]) & want;
	return (m & (XCR0_X87 | XCR0_SSE)) == (XCR0_X87 | XCR0_SSE) ? m : 0;
}

bool cpuid_xcr0_valid(u64 val, u64 offered)
{
	u64 mpx = BIT(3) | BIT(4), amx = BIT(17) | BIT(18);
	if (!(val & XCR0_X87) || (val & ~offered))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if ((val & XCR0_AVX512) && ((val & XCR0_AVX512) != XCR0_AVX512 || !(val & XCR0_AVX)))
		return false;
	return ((val & mpx) == 0 || (val & mpx) == mpx) && ((val & amx) == 0 || (val & amx) == amx);
}

void cpuid_xsave_leaf1(const struct cpuid_ctx *c, const u32 h[4], u32 r[4])
{
	u64 x = cpuid_xcr0_offered(c);
	if (!x)
		return;
	/* OSXSAVE reads CR4.OSXSAVE (SDM vol. 2 CPUID, table 3-10) */
	r[2] |= L1_ECX_XSAVE | ((c->cr4 & CR4_OSXSAVE) ? L1_ECX_OSXSAVE : 0);
	if (x & XCR0_AVX) /* FMA and F16C are VEX-encoded and work on YMM: they need AVX's state */
		r[2] |= h[2] & (L1_ECX_AVX | L1_ECX_FMA | L1_ECX_F16C);
}

void cpuid_xsave_leaf7(const struct cpuid_ctx *c, const u32 h[4], u32 r[4])
{
	u64 x = cpuid_xcr0_offered(c);
	if (x & XCR0_AVX)
		r[1] |= h[1] & L7_EBX_AVX2;
	if (x & XCR0_PKRU) /* OSPKE reads CR4.PKE, as OSXSAVE does CR4.OSXSAVE */
		r[2] |= L7_ECX_PKU | ((c->cr4 & CR4_PKE) ? L7_ECX_OSPKE : 0);
}

/* The area for the components in m (SDM vol. 1 13.4.3): in the standard format up to the end
 * of the last one (sub-leaf i: size EAX at offset EBX); compacted (XSAVEC), packed in order,
 * each 64-byte aligned where sub-leaf i ECX[1] says so. */
static u32 area_size(const struct cpuid_ctx *c, u64 m, bool compacted)
{
	u32 size = XSAVE_LEGACY, h[4];
	for (u32 i = 2; i < 63; i++) {
		if (!(m & BIT(i)))
			continue;
		c->host(0xd, i, h);
		if (!compacted)
			size = MAX(size, h[1] + h[0]);
		else
			size = ((h[2] & LD_ECX_ALIGN) ? (size + 63) & ~63u : size) + h[0];
	}
	return size;
}

/* SDM vol. 2 CPUID leaf 0DH: sub-leaf 0 the XCR0 bits (EDX:EAX), the size for the asking vCPU's
 * XCR0 (EBX) and for all of them (ECX); sub-leaf 1 the XSAVE extensions; sub-leaf i >= 2 the
 * host's size and offset of each component offered, zeros for the others. */
void cpuid_xsave_leaf_d(const struct cpuid_ctx *c, u32 sub, u32 r[4])
{
	u64 x = cpuid_xcr0_offered(c), xcr0 = (c->xcr0 & x) | XCR0_X87;
	u32 h[4];
	if (!x)
		return;
	if (sub == 0) {
		r[0] = (u32)x, r[3] = (u32)(x >> 32);
		r[1] = area_size(c, xcr0, false);
		r[2] = area_size(c, x, false);
	} else if (sub == 1) {
		c->host(0xd, 1, h);
		r[0] = h[0] & LD1_EAX;
		r[1] = (r[0] & BIT(1)) ? area_size(c, xcr0, true) : 0;
	} else if (sub < 63 && (x & BIT(sub))) {
		c->host(0xd, sub, h);
		r[0] = h[0], r[1] = h[1], r[2] = h[2] & LD_ECX_ALIGN; /* user components only */
	}
}
