/* Guest-reachable CPU state kept per vCPU (README "Guest-reachable CPU state"): run as several
 * VMs sharing host CPUs, each with its own tag=N. Each writes values made from its tag to every
 * writable item keel or the hardware switches (DR0-DR3, DR6, DR7, CR2, CR8, the SYSCALL and
 * SYSENTER MSRs, KernelGSBase, FS/GS base, PAT, TSC_AUX as RDMSR and RDTSCP read it, PKRU
 * where CPUID offers PKU (SKIP elsewhere), x87/SSE state), then yields rounds=N times
 * (spinning spin=N microseconds between yields, so that vCPUs meet and move between CPUs) and
 * after each yield reads every item back: a neighbour's values, or a stale copy from another
 * CPU, fail the check. Then the CR4 bits of features its CPUID lacks must raise #GP (PKE,
 * OSXSAVE...), XSETBV and RDPKRU #UD, RDTSCP run where CPUID offers it (#UD elsewhere), and CR8
 * must refuse reserved bits.
 *
 * hog=1 instead sets CR8 to 15 (every interrupt class masked), spins ms=N milliseconds and
 * exits with CR8 still 15: a VM sleeping on its APIC timer on the same CPU must still wake. */
#include "rt/apic.h"
#include "rt/nap.h"
#include "rt/msr.h"
#include "rt/trap.h"

#define HC_YIELD 3
#define HEX(x)	 ((unsigned long long)(x))

enum kind { K_MSR, K_DR, K_CR2, K_CR8, K_RDTSCP, K_PKRU };

struct item {
	const char *name;
	enum kind kind;
	u32 n;	  /* MSR number or DR index */
	u64 mask; /* the bits that must read back */
	u64 val;
	u32 bad;
	u64 got, want; /* the first wrong value read, and what it should have been */
};

static struct item items[] = {
	{"DR0", K_DR, 0, ~0ull, 0, 0, 0, 0},
	{"DR1", K_DR, 1, ~0ull, 0, 0, 0, 0},
	{"DR2", K_DR, 2, ~0ull, 0, 0, 0, 0},
	{"DR3", K_DR, 3, ~0ull, 0, 0, 0, 0},
	{"DR6", K_DR, 6, 0xf, 0, 0, 0, 0},
	{"DR7", K_DR, 7, 0xffff0000ull, 0, 0, 0, 0},
	{"CR2", K_CR2, 0, ~0ull, 0, 0, 0, 0},
	{"CR8", K_CR8, 0, 0xf, 0, 0, 0, 0},
	{"SYSENTER_CS", K_MSR, 0x174, 0xffff, 0, 0, 0, 0},
	{"SYSENTER_ESP", K_MSR, 0x175, ~0ull, 0, 0, 0, 0},
	{"SYSENTER_EIP", K_MSR, 0x176, ~0ull, 0, 0, 0, 0},
	{"STAR", K_MSR, 0xc0000081, ~0ull, 0, 0, 0, 0},
	{"LSTAR", K_MSR, 0xc0000082, ~0ull, 0, 0, 0, 0},
	{"CSTAR", K_MSR, 0xc0000083, ~0ull, 0, 0, 0, 0},
	{"SFMASK", K_MSR, 0xc0000084, 0xffffffffull, 0, 0, 0, 0},
	{"FS_BASE", K_MSR, 0xc0000100, ~0ull, 0, 0, 0, 0},
	{"GS_BASE", K_MSR, 0xc0000101, ~0ull, 0, 0, 0, 0},
	{"KernelGSBase", K_MSR, 0xc0000102, ~0ull, 0, 0, 0, 0},
	{"PAT", K_MSR, 0x277, ~0ull, 0, 0, 0, 0},
	{"TSC_AUX", K_MSR, 0xc0000103, 0xffffffffull, 0, 0, 0, 0},
	{"RDTSCP's ECX", K_RDTSCP, 0xc0000103, 0xffffffffull, 0, 0, 0, 0},
	{"PKRU", K_PKRU, 0, 0xffffffffull, 0, 0, 0, 0},
};
#define NITEMS (sizeof(items) / sizeof(items[0]))

static u64 dr_read(u32 n)
{
	u64 v = 0;
	switch (n) {
	case 0: __asm__ volatile("mov %%db0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%db1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%db2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%db3, %0" : "=r"(v)); break;
	case 6: __asm__ volatile("mov %%db6, %0" : "=r"(v)); break;
	case 7: __asm__ volatile("mov %%db7, %0" : "=r"(v)); break;
	}
	return v;
}

static void dr_write(u32 n, u64 v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%db0" ::"r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%db1" ::"r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%db2" ::"r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%db3" ::"r"(v)); break;
	case 6: __asm__ volatile("mov %0, %%db6" ::"r"(v)); break;
	case 7: __asm__ volatile("mov %0, %%db7" ::"r"(v)); break;
	}
}

static u64 cr8_read(void)
{
	u64 v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void cr8_write(u64 v)
{
	__asm__ volatile("mov %0, %%cr8" ::"r"(v) : "memory");
}

/* TSC_AUX and RDTSCP exist where CPUID shows RDTSCP (0x80000001 EDX bit 27). */
static bool has_rdtscp(void)
{
	u32 r[4];
	cpuid(0x80000001u, 0, r);
	return r[3] & (1u << 27);
}

/* Whether CPUID offers RDTSCP: without it the TSC_AUX items read and write nothing. */
static bool rdtscp_ok;
/* Whether CPUID offers PKU (leaf 7 ECX bit 3): then CR4.PKE is set and PKRU is an item
 * (XSAVE component 9, switched per vCPU: issue 11 once saw it leak between VMs). */
static bool pku_ok;

static u64 pkru_read(void)
{
	u32 lo, hi;
	__asm__ volatile("rdpkru" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo;
}

static void pkru_write(u64 v)
{
	__asm__ volatile("wrpkru" ::"a"((u32)v), "c"(0), "d"(0));
}

static u64 item_read(const struct item *it)
{
	u64 v = 0;
	u32 lo, hi, aux;
	if (it->n == 0xc0000103 && !rdtscp_ok)
		return 0;
	switch (it->kind) {
	case K_RDTSCP: __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux)); return aux;
	case K_MSR: return msr_rd(it->n);
	case K_DR: return dr_read(it->n);
	case K_CR2: __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v;
	case K_CR8: return cr8_read();
	case K_PKRU: return pku_ok ? pkru_read() : 0;
	}
	return v;
}

static void item_write(const struct item *it)
{
	if (it->n == 0xc0000103 && !rdtscp_ok)
		return;
	switch (it->kind) {
	case K_RDTSCP: break; /* a second view of TSC_AUX, which its MSR item writes */
	case K_MSR: msr_wr(it->n, it->val); break;
	case K_DR: dr_write(it->n, it->val); break;
	case K_CR2: __asm__ volatile("mov %0, %%cr2" ::"r"(it->val)); break;
	case K_CR8: cr8_write(it->val); break;
	case K_PKRU:
		if (pku_ok)
			pkru_write(it->val);
		break;
	}
}

/* The memory types a PAT entry may hold (SDM 11.12.2): UC WC WT WP WB UC-. */
static const u8 pat_types[] = {0, 1, 4, 5, 6, 7};

/* This VM's value for item i in round r: canonical, distinct per tag, item and round (a stale
 * copy from an earlier round shows), valid for its register. */
static u64 value_for(u64 tag, u64 r, u32 i, const struct item *it)
{
	u64 v = 0x00007f0000000000ull | tag << 24 | (u64)i << 16 | (r & 0xfff) << 4;
	u32 aux = rdtscp_ok ? (u32)(tag << 24 | (r & 0xfff) << 4 | 3) : 0; /* both TSC_AUX views */
	switch (it->kind) {
	case K_DR:
		if (it->n == 6)
			return 0xffff0ff0ull | ((tag + r) & 0xf); /* B0-B3 */
		if (it->n == 7) /* R/W and LEN fields, no breakpoint enabled */
			return 0x400 | (((tag + r) & 1) ? 0x5d5d0000ull : 0xd5d50000ull);
		return v;
	case K_CR8: return ((tag + r) % 14) + 1; /* 15 would mask the nap's vector */
	case K_CR2: return v;
	case K_RDTSCP: return aux;
	case K_PKRU: /* key 0 (the guest's own pages) stays open */
		return pku_ok ? (u32)(tag << 24 | (r & 0xfff) << 4 | 0xc) : 0;
	case K_MSR: break;
	}
	if (it->n == 0x174)
		return ((tag & 0xf) << 12 | (r & 0x1ff) << 3);
	if (it->n == 0xc0000084)
		return (u32)v;
	if (it->n == 0xc0000103)
		return aux;
	if (it->n == 0x277) { /* entry 0 stays write-back: the guest's own memory type */
		u64 pat = 6;
		for (u32 k = 1; k < 8; k++)
			pat |= (u64)pat_types[(tag + k + r) % 6] << (8 * k);
		return pat;
	}
	return v;
}

/* x87 control word, MXCSR and XMM0-XMM15: the FXSAVE state keel switches. */
static u16 fpu_cw(u64 tag)
{
	return (u16)(0x007f | (tag & 3) << 8 | ((tag >> 2) & 3) << 10);
}

static u32 sse_csr(u64 tag)
{
	return 0x1f80 | (u32)(tag & 3) << 13;
}

#define XMM_SET(n, v) __asm__ volatile("movq %0, %%xmm" #n ::"r"(v))
#define XMM_BAD(n, want)                                             \
	({                                                           \
		u64 t_;                                              \
		__asm__ volatile("movq %%xmm" #n ", %0" : "=r"(t_)); \
		(u32)(t_ != (want) + (n));                           \
	})

static void fpu_write(u64 tag, u64 r)
{
	u16 cw = fpu_cw(tag + r);
	u32 csr = sse_csr(tag + r);
	u64 x = 0x5a5a000000000000ull | tag << 32 | r << 8;
	__asm__ volatile("fldcw %0" ::"m"(cw));
	__asm__ volatile("ldmxcsr %0" ::"m"(csr));
	XMM_SET(0, x + 0);
	XMM_SET(1, x + 1);
	XMM_SET(2, x + 2);
	XMM_SET(3, x + 3);
	XMM_SET(4, x + 4);
	XMM_SET(5, x + 5);
	XMM_SET(6, x + 6);
	XMM_SET(7, x + 7);
	XMM_SET(8, x + 8);
	XMM_SET(9, x + 9);
	XMM_SET(10, x + 10);
	XMM_SET(11, x + 11);
	XMM_SET(12, x + 12);
	XMM_SET(13, x + 13);
	XMM_SET(14, x + 14);
	XMM_SET(15, x + 15);
}

/* Number of FPU/SSE values that differ from this VM's. */
static u32 fpu_check(u64 tag, u64 r)
{
	u16 cw;
	u32 csr, bad = 0;
	u64 x = 0x5a5a000000000000ull | tag << 32 | r << 8;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	__asm__ volatile("stmxcsr %0" : "=m"(csr));
	bad += XMM_BAD(0, x) + XMM_BAD(1, x) + XMM_BAD(2, x) + XMM_BAD(3, x);
	bad += XMM_BAD(4, x) + XMM_BAD(5, x) + XMM_BAD(6, x) + XMM_BAD(7, x);
	bad += XMM_BAD(8, x) + XMM_BAD(9, x) + XMM_BAD(10, x) + XMM_BAD(11, x);
	bad += XMM_BAD(12, x) + XMM_BAD(13, x) + XMM_BAD(14, x) + XMM_BAD(15, x);
	return bad + (cw != fpu_cw(tag + r)) + (csr != sse_csr(tag + r));
}

/* Read every item back; count the ones that changed. */
static void verify(void)
{
	for (u32 i = 0; i < NITEMS; i++) {
		struct item *it = &items[i];
		u64 v = item_read(it);
		if ((v & it->mask) != (it->val & it->mask) && !it->bad++)
			it->got = v, it->want = it->val;
	}
}

static void state_test(u64 tag)
{
	u64 rounds = cmdline_num("rounds", 200), spin = cmdline_num("spin", 200);
	u64 nap_us = cmdline_num("nap", 0);
	rdtscp_ok = has_rdtscp();
	u32 l7[4];
	cpuid(7, 0, l7);
	pku_ok = l7[2] & (1u << 3);
	if (pku_ok) {
		u64 cr4 = cr4_read();
		__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | 1ull << 22)); /* CR4.PKE */
	}
	u32 fpu_bad = 0;
	for (u64 r = 0; r < rounds; r++) {
		for (u32 i = 0; i < NITEMS; i++) {
			items[i].val = value_for(tag, r, i, &items[i]);
			item_write(&items[i]);
		}
		fpu_write(tag, r);
		hypercall(HC_YIELD, 0, 0, 0, 0);
		tsc_delay_us(spin);
		if (nap_us)
			nap(nap_us);
		verify();
		fpu_bad += fpu_check(tag, r) != 0;
	}
	for (u32 i = 0; i < NITEMS; i++) {
		const struct item *it = &items[i];
		if (it->kind == K_PKRU && !pku_ok) {
			printf("SKIP PKRU: CPUID offers no PKU (the host has none)\n");
			continue;
		}
		check(!it->bad,
		      "%s kept its value over %llu yields (%u wrong, first 0x%llx for 0x%llx)",
		      it->name, HEX(rounds), it->bad, HEX(it->got), HEX(it->want));
	}
	check(!fpu_bad, "x87/SSE state kept over %llu yields (%u rounds wrong)", HEX(rounds),
	      fpu_bad);
	cr8_write(0);
}

/* CR4 bits with the CPUID bit (leaf, register, bit) that offers them. */
static const struct {
	const char *name;
	u32 bit, leaf, reg, fbit;
} cr4_bits[] = {
	{"MCE", 6, 1, 3, 7},   {"UMIP", 11, 7, 2, 2},	{"VMXE", 13, 1, 2, 5},
	{"SMXE", 14, 1, 2, 6}, {"PCIDE", 17, 1, 2, 17}, {"OSXSAVE", 18, 1, 2, 26},
	{"PKE", 22, 7, 2, 3},
};

/* Bits of features CPUID does not show are refused (#GP) and CR4 keeps its value. */
static void cr4_test(void)
{
	u64 cr4 = cr4_read();
	for (u32 i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++) {
		u32 r[4];
		cpuid(cr4_bits[i].leaf, 0, r);
		if (r[cr4_bits[i].reg] & (1u << cr4_bits[i].fbit))
			continue; /* offered: not this test's business */
		u64 want = cr4 | 1ull << cr4_bits[i].bit;
		u32 vec = TRAP_TRY("mov %0, %%cr4", ::"r"(want));
		check(vec == 13 && cr4_read() == cr4, "CR4.%s (not in CPUID) refused with #GP (%u)",
		      cr4_bits[i].name, vec);
	}
	u64 pge = cr4 ^ (1ull << 7);
	u32 vec = TRAP_TRY("mov %0, %%cr4", ::"r"(pge));
	check(vec == TRAP_NONE && cr4_read() == pge, "CR4.PGE can be toggled (%u)", vec);
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
	vec = TRAP_TRY("xsetbv", ::"a"(1), "d"(0), "c"(0));
	check(vec == 6, "XSETBV with CR4.OSXSAVE clear raises #UD (%u)", vec);
	u32 lo, hi, aux;
	vec = TRAP_TRY("rdpkru", : "=a"(lo), "=d"(hi) : "c"(0));
	check(vec == 6, "RDPKRU with CR4.PKE clear raises #UD (%u)", vec);
	aux = 0;
	vec = TRAP_TRY("rdtscp", : "=a"(lo), "=d"(hi), "+c"(aux) :);
	check(vec == (has_rdtscp() ? TRAP_NONE : 6), "RDTSCP %s (%u)",
	      has_rdtscp() ? "runs, as CPUID offers it" : "raises #UD, as CPUID hides it", vec);
}

/* CR8 is TPR[7:4]: it reads back what was written, and bits 63:4 are reserved. */
static void cr8_test(void)
{
	cr8_write(0xf);
	u64 v = cr8_read();
	cr8_write(0);
	check(v == 0xf && cr8_read() == 0, "CR8 reads back 15 then 0 (0x%llx)", HEX(v));
	u32 vec = TRAP_TRY("mov %0, %%cr8", ::"r"(0x10ull));
	check(vec == 13 && cr8_read() == 0, "CR8 = 0x10 raises #GP (%u)", vec);
}

/* Mask every interrupt class at the task priority and keep the CPU a while, then leave. */
static int hog(void)
{
	u64 ms = cmdline_num("ms", 100);
	cr8_write(15);
	check(cr8_read() == 15, "hog: CR8 = %llu", HEX(cr8_read()));
	tsc_delay_us(ms * 1000);
	printf("cpustate: hog leaves with CR8 = %llu\n", HEX(cr8_read()));
	return check_done();
}

int guest_main(void)
{
	trap_init();
	if (cmdline_num("hog", 0))
		return hog();
	u64 tag = cmdline_num("tag", 1);
	cr8_test();
	if (cmdline_num("cr4", 1)) /* cr4=0: the state checks alone */
		cr4_test();
	state_test(tag);
	printf("cpustate: tag %llu done\n", HEX(tag));
	return check_done();
}
