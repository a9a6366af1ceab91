/* The local APIC of one vCPU, checked against the Intel SDM vol. 3 ch. 11 ("Advanced
 * Programmable Interrupt Controller"): IA32_APIC_BASE (BSP flag, reserved bits, disable and
 * re-enable to the power-on state), the xAPIC registers (version, LVT masks and reserved bits,
 * the SVR's software enable, TPR/PPR and CR8, ESR), IPIs to itself (shorthands, physical,
 * logical flat and cluster, NMI), the TSC-deadline timer, and x2APIC mode: its transitions,
 * its MSR interface, its IPIs and the silent MMIO page; and KVM's paravirtual EOI, which keel
 * offers (Linux's Documentation/virt/kvm/x86/msr.rst, MSR_KVM_PV_EOI_EN). Each check prints
 * "PASS: name" or "FAIL: name: saw X, want Y". */
#include "rt/apic.h"
#include "rt/trap.h"

#define GP	       13
#define MSR_APIC_BASE  0x1bu
#define MSR_TSC_DL     0x6e0u
#define BASE	       0xfee00000ull
#define BASE_BSP       (1ull << 8)
#define BASE_EXTD      (1ull << 10)
#define BASE_EN	       (1ull << 11)
#define XAPIC	       (BASE | BASE_BSP | BASE_EN)
#define X2APIC	       (XAPIC | BASE_EXTD)
#define DISABLED       (BASE | BASE_BSP)
#define APIC_VER       0x30
#define APIC_TPR       0x80
#define APIC_PPR       0xa0
#define APIC_LDR       0xd0
#define APIC_DFR       0xe0
#define APIC_ISR       0x100
#define APIC_IRR       0x200
#define APIC_ESR       0x280
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define VEC	       0x51 /* the IPIs' vector */
#define TVEC	       0x42 /* the timer's */
#define SH_SELF	       (1u << 18)
#define SH_ALL	       (2u << 18)
#define SH_OTHERS      (3u << 18)
#define ICR_LOGICAL    (1u << 11)
#define ICR_NMI	       0x400u
#define TIMER_DEADLINE (2u << 17)
#define X2(reg)	       (0x800u + ((reg) >> 4)) /* an x2APIC register's MSR (SDM 11.12.1.2) */
#define X2_SELF_IPI    0x83fu
#define NONE	       (~0ull) /* what rd() gives for a #GP */

static volatile u32 hits, ppr_in_service, timer_hits, nmis;
static bool x2;	      /* EOI by MSR, not by the page */
static u32 xapic_ver; /* the version register as the page showed it */

static u64 msr_rd(u32 msr)
{
	u32 lo = 0, hi = 0;
	u32 vec = TRAP_TRY("rdmsr", : "+a"(lo), "+d"(hi) : "c"(msr));
	return vec == TRAP_NONE ? (u64)hi << 32 | lo : NONE;
}

static u32 msr_wr(u32 msr, u64 val)
{
	return TRAP_TRY("wrmsr", : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32)));
}

/* "name" passes if saw == want; a failure says both. */
static void expect(const char *name, u64 saw, u64 want)
{
	check(saw == want, "%s: saw 0x%llx, want 0x%llx", name, (unsigned long long)saw,
	      (unsigned long long)want);
}

static void eoi(void)
{
	if (x2)
		msr_wr(X2(APIC_EOI), 0);
	else
		apic_eoi();
}

void vec_isr(void);
void vec_isr(void)
{
	hits++;
	ppr_in_service = x2 ? (u32)msr_rd(X2(APIC_PPR)) : apic_read(APIC_PPR);
	eoi();
}
IRQ_STUB(vec_stub, vec_isr);

void timer_isr(void);
void timer_isr(void)
{
	timer_hits++;
	eoi();
}
IRQ_STUB(timer_stub, timer_isr);

void nmi_isr(void);
void nmi_isr(void)
{
	nmis++;
}
IRQ_STUB(nmi_stub, nmi_isr);

/* Open an interrupt window of a few instructions (STI's shadow covers the first). */
static void window(void)
{
	__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
}

/* IPIs the page's ICR sends now, with interrupts off, then taken in a window: how many. */
static u32 ipi(u32 hi, u32 lo)
{
	hits = 0;
	apic_write(APIC_ICR_HI, hi);
	apic_write(APIC_ICR_LO, lo);
	window();
	return hits;
}

static u32 ipi_x2(u64 icr)
{
	hits = 0;
	msr_wr(X2(APIC_ICR_LO), icr);
	window();
	return hits;
}

/* Halt with interrupts on until *n moves or us pass (a bound, never the check itself). */
static void wait_for(const volatile u32 *n, u32 from, u64 us)
{
	u64 end = rdtsc() + div64(us * tsc_khz(), 1000);
	while (*n == from && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Spin with interrupts on until the TSC passes end (nothing may be armed to wake a HLT). */
static void spin_until(u64 end)
{
	while (rdtsc() < end)
		window();
}

/* ---- IA32_APIC_BASE (11.4.4, 11.12.5) ---- */

static void base_checks(void)
{
	u32 r[4];
	cpuid(1, 0, r);
	check(r[2] & (1u << 21), "CPUID.1:ECX[21] x2APIC");
	check(r[2] & (1u << 24), "CPUID.1:ECX[24] TSC-deadline");
	check(r[3] & (1u << 9), "CPUID.1:EDX[9] APIC");
	expect("APIC_BASE at boot: 0xfee00000, EN, BSP", msr_rd(MSR_APIC_BASE), XAPIC);
	expect("APIC_BASE reserved bit 0 #GP", msr_wr(MSR_APIC_BASE, XAPIC | 1), GP);
	expect("APIC_BASE reserved bit 9 #GP", msr_wr(MSR_APIC_BASE, XAPIC | 1u << 9), GP);
	expect("APIC_BASE bit 63 (above MAXPHYADDR) #GP", msr_wr(MSR_APIC_BASE, XAPIC | 1ull << 63),
	       GP);
	expect("APIC_BASE EXTD without EN #GP", msr_wr(MSR_APIC_BASE, DISABLED | BASE_EXTD), GP);
	expect("APIC_BASE BSP flag read-only", msr_wr(MSR_APIC_BASE, XAPIC & ~BASE_BSP), TRAP_NONE);
	expect("APIC_BASE BSP flag kept", msr_rd(MSR_APIC_BASE), XAPIC);
	expect("x2APIC MSR 0x802 in xAPIC mode #GP", msr_rd(X2(APIC_ID)), NONE);
	expect("x2APIC MSR 0x808 write in xAPIC mode #GP", msr_wr(X2(APIC_TPR), 0), GP);
}

/* Disabling (EN=0) silences the page and drops requests; enabling again gives the power-on
 * state (11.4.3, 11.4.7.1); disabled -> x2APIC is illegal (11.12.5). */
static void disable_checks(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x20);
	apic_write(APIC_LDR, 0x04000000);
	apic_write(APIC_LVT_TIMER, TVEC);
	hits = 0;
	apic_write(APIC_ICR_LO, SH_SELF | VEC); /* pending: interrupts are off */
	check(apic_read(APIC_IRR + 0x20) & (1u << (VEC - 64)), "self IPI waits in IRR with IF=0");
	expect("APIC_BASE EN=0 taken", msr_wr(MSR_APIC_BASE, DISABLED), TRAP_NONE);
	expect("APIC_BASE reads disabled", msr_rd(MSR_APIC_BASE), DISABLED);
	expect("disabled: version register does not answer", apic_read(APIC_VER), 0xffffffff);
	u32 r[4];
	cpuid(1, 0, r);
	check(!(r[3] & (1u << 9)), "disabled: CPUID.1:EDX[9] APIC reads 0");
	apic_write(APIC_TPR, 0x70); /* lost */
	expect("disabled: x2APIC MSR #GP", msr_rd(X2(APIC_ID)), NONE);
	expect("disabled -> x2APIC #GP", msr_wr(MSR_APIC_BASE, X2APIC), GP);
	window();
	expect("disabled: the pending IPI is not delivered", hits, 0);
	expect("disabled -> xAPIC taken", msr_wr(MSR_APIC_BASE, XAPIC), TRAP_NONE);
	expect("re-enabled: TPR reset", apic_read(APIC_TPR), 0);
	expect("re-enabled: SVR reset (software-disabled)", apic_read(APIC_SVR), 0xff);
	expect("re-enabled: LVT timer reset (masked)", apic_read(APIC_LVT_TIMER), APIC_LVT_MASKED);
	expect("re-enabled: LDR reset", apic_read(APIC_LDR), 0);
	expect("re-enabled: DFR reset", apic_read(APIC_DFR), 0xffffffff);
	expect("re-enabled: IRR cleared", apic_read(APIC_IRR + 0x20), 0);
	expect("re-enabled: APIC ID kept", apic_read(APIC_ID), 0);
	cpuid(1, 0, r);
	check(r[3] & (1u << 9), "re-enabled: CPUID.1:EDX[9] APIC back");
	window();
	expect("re-enabled: the dropped IPI never arrives", hits, 0);
}

/* ---- xAPIC registers ---- */

/* Version (11.4.8); the SVR's software enable (11.4.7.2); LVT reserved bits (11.5.1). */
static void register_checks(void)
{
	u32 ver = xapic_ver = apic_read(APIC_VER);
	check((ver & 0xff) >= 0x10 && ((ver >> 16) & 0xff) >= 4,
	      "version: integrated APIC (%#x), at least 5 LVT entries", ver);
	apic_write(APIC_LVT_ERROR, 0x33);
	expect("SVR disabled: LVT cannot be unmasked", apic_read(APIC_LVT_ERROR),
	       0x33 | APIC_LVT_MASKED);
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT_ERROR, 0x33);
	expect("SVR enabled: LVT unmasked", apic_read(APIC_LVT_ERROR), 0x33);
	apic_write(APIC_SVR, 0xff);
	expect("SVR cleared: LVT masked again", apic_read(APIC_LVT_ERROR), 0x33 | APIC_LVT_MASKED);
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT_ERROR, 0xffffffff);
	expect("LVT error: reserved bits read 0", apic_read(APIC_LVT_ERROR), 0x100ff);
	apic_write(APIC_LVT_LINT1, 0xffffffff);
	expect("LVT LINT1: reserved and read-only bits read 0", apic_read(APIC_LVT_LINT1), 0x1a7ff);
	apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
	apic_write(APIC_TMR_DIV, 0xffffffff);
	expect("divide configuration keeps bits 3, 1, 0", apic_read(APIC_TMR_DIV), 0xb);
	apic_write(APIC_ESR, 0);
	expect("ESR after a write: no errors", apic_read(APIC_ESR), 0);
	apic_write(APIC_TPR, 0x1ff);
	expect("TPR keeps bits 7:0", apic_read(APIC_TPR), 0xff);
	apic_write(APIC_TPR, 0);
}

/* TPR and PPR (11.8.3.1): a request at or below the TPR's class waits; PPR is the in-service
 * class while it is higher. CR8 is TPR[7:4] (11.8.6.1). */
static void priority_checks(void)
{
	apic_write(APIC_TPR, 0x35);
	expect("PPR = TPR with nothing in service", apic_read(APIC_PPR), 0x35);
	apic_write(APIC_TPR, 0x20);
	expect("a fixed self IPI is taken", ipi(0, SH_SELF | VEC), 1);
	expect("PPR in service: the vector's class", ppr_in_service, 0x50);
	expect("PPR after EOI: TPR", apic_read(APIC_PPR), 0x20);
	apic_write(APIC_TPR, 0x50);
	expect("TPR class 5 holds vector 0x51", ipi(0, SH_SELF | VEC), 0);
	check(apic_read(APIC_IRR + 0x20) & (1u << (VEC - 64)), "held request in IRR");
	hits = 0;
	apic_write(APIC_TPR, 0x40);
	window();
	expect("lowering TPR releases it", hits, 1);
#if defined(__x86_64__)
	u64 cr8 = 6;
	__asm__ volatile("mov %0, %%cr8" ::"r"(cr8));
	expect("CR8 write sets TPR[7:4]", apic_read(APIC_TPR), 0x60);
	apic_write(APIC_TPR, 0x7f);
	__asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
	expect("CR8 reads TPR[7:4]", cr8, 7);
#endif
	apic_write(APIC_TPR, 0);
}

/* Destinations (11.6.2): shorthands, physical, broadcast, logical flat and cluster; NMI. */
static void ipi_checks(void)
{
	expect("shorthand self", ipi(0, SH_SELF | VEC), 1);
	expect("shorthand all including self", ipi(0, SH_ALL | VEC), 1);
	expect("shorthand all excluding self", ipi(0, SH_OTHERS | VEC), 0);
	expect("physical ID 0 (self)", ipi(0, VEC), 1);
	expect("physical ID 1 (nobody)", ipi(1u << 24, VEC), 0);
	expect("physical broadcast 0xff", ipi(0xffu << 24, VEC), 1);
	apic_write(APIC_DFR, 0xffffffff);
	apic_write(APIC_LDR, 0x01000000);
	expect("flat: DFR reads the flat model", apic_read(APIC_DFR), 0xffffffff);
	expect("flat: LDR keeps bits 31:24", apic_read(APIC_LDR), 0x01000000);
	expect("logical flat 0x01 (self)", ipi(0x01u << 24, ICR_LOGICAL | VEC), 1);
	expect("logical flat 0x03 (self among others)", ipi(0x03u << 24, ICR_LOGICAL | VEC), 1);
	expect("logical flat 0x02 (nobody)", ipi(0x02u << 24, ICR_LOGICAL | VEC), 0);
	apic_write(APIC_DFR, 0x0fffffff);
	apic_write(APIC_LDR, 0x21000000);
	expect("cluster: DFR reads the cluster model", apic_read(APIC_DFR), 0x0fffffff);
	expect("logical cluster 2 bit 0 (self)", ipi(0x21u << 24, ICR_LOGICAL | VEC), 1);
	expect("logical cluster 1 bit 0 (nobody)", ipi(0x11u << 24, ICR_LOGICAL | VEC), 0);
	expect("logical cluster 2 bit 1 (nobody)", ipi(0x22u << 24, ICR_LOGICAL | VEC), 0);
	apic_write(APIC_DFR, 0xffffffff);
	apic_write(APIC_LDR, 0);
	nmis = 0;
	apic_write(APIC_ICR_HI, 0);
	apic_write(APIC_ICR_LO, ICR_NMI);
	expect("NMI IPI to physical ID 0 (self), with IF=0", nmis, 1);
	expect("ICR delivery status idle after sending", apic_read(APIC_ICR_LO) & (1u << 12), 0);
}

/* ---- KVM's paravirtual EOI: CPUID 0x40000101 EAX bit 6, MSR 0x4b564d04 ---- */

#define MSR_PV_EOI 0x4b564d04u
#define ISR_VEC	   (APIC_ISR + 0x10 * (VEC / 32)) /* VEC's in-service bit: 1 << (VEC % 32) */
static volatile u32 pv_flag __attribute__((aligned(4)));
static volatile u32 pv_seen;
static bool pv_skip; /* the handler ends with no EOI at all */

/* The guest's side, as Linux's kvm_guest_apic_eoi_write: clear bit 0 in one instruction if
 * keel set it, else EOI the APIC. */
void pv_isr(void);
void pv_isr(void)
{
	hits++;
	pv_seen = pv_flag;
	if (pv_skip)
		return;
	u8 was;
	__asm__ volatile("btrl $0, %0; setc %1" : "+m"(pv_flag), "=q"(was) : : "memory", "cc");
	if (!was)
		eoi();
}
IRQ_STUB(pv_stub, pv_isr);

static void pv_eoi_checks(void)
{
	u32 r[4];
	cpuid(0x40000100, 0, r);
	expect("KVM signature at 0x40000100", r[1] == 0x4b4d564b && r[2] == 0x564b4d56, 1);
	cpuid(0x40000101, 0, r);
	expect("KVM features: PV EOI (bit 6)", (r[0] >> 6) & 1, 1);
	u64 flag = (u64)(uintptr_t)&pv_flag;
	expect("PV EOI: reserved bit 1 #GP", msr_wr(MSR_PV_EOI, flag | 3), GP);
	expect("PV EOI: a flag outside RAM #GP", msr_wr(MSR_PV_EOI, BASE | 1), GP);
	expect("PV EOI: enabled", msr_wr(MSR_PV_EOI, flag | 1), TRAP_NONE);
	expect("PV EOI: reads back", msr_rd(MSR_PV_EOI), flag | 1);
	trap_set_gate(VEC, pv_stub, 0);
	pv_flag = 0, pv_skip = false;
	expect("PV EOI: self IPI taken", ipi(0, SH_SELF | VEC), 1);
	expect("PV EOI: the handler found the flag set", pv_seen, 1);
	expect("PV EOI: clearing it ended the interrupt", apic_read(ISR_VEC) & (1u << (VEC % 32)),
	       0);
	expect("PV EOI: the same vector again", ipi(0, SH_SELF | VEC), 1);
	pv_skip = true;
	expect("PV EOI: no EOI at all", ipi(0, SH_SELF | VEC), 1);
	expect("PV EOI: still in service", apic_read(ISR_VEC) & (1u << (VEC % 32)),
	       1u << (VEC % 32));
	expect("PV EOI: blocks its own vector", ipi(0, SH_SELF | VEC), 0);
	apic_eoi();
	expect("PV EOI: the APIC's EOI ends it", apic_read(ISR_VEC) & (1u << (VEC % 32)), 0);
	pv_skip = false;
	window(); /* the request the in-service vector held back */
	expect("PV EOI: the held request ended too", apic_read(ISR_VEC) & (1u << (VEC % 32)), 0);
	expect("PV EOI: disabled", msr_wr(MSR_PV_EOI, 0), TRAP_NONE);
	pv_flag = 0;
	expect("PV EOI off: self IPI taken", ipi(0, SH_SELF | VEC), 1);
	expect("PV EOI off: the flag stays clear", pv_seen, 0);
	expect("PV EOI off: the APIC's EOI ended it", apic_read(ISR_VEC) & (1u << (VEC % 32)), 0);
	trap_set_gate(VEC, vec_stub, 0);
}

/* ---- the TSC-deadline timer (11.5.4.1) ---- */

static void deadline_checks(bool in_x2)
{
	const char *m = in_x2 ? "x2APIC" : "xAPIC";
	char name[96];
	u32 lvt_msr = X2(APIC_LVT_TIMER);
	x2 = in_x2;
	if (in_x2)
		msr_wr(lvt_msr, TIMER_DEADLINE | TVEC);
	else
		apic_write(APIC_LVT_TIMER, TIMER_DEADLINE | TVEC);
	u64 lvt = in_x2 ? msr_rd(lvt_msr) : apic_read(APIC_LVT_TIMER);
	snprintf(name, sizeof(name), "%s: LVT timer mode 2 (TSC-deadline) reads back", m);
	expect(name, lvt, TIMER_DEADLINE | TVEC);
	if (!in_x2) {
		apic_write(APIC_TMR_INIT, 1000);
		expect("TSC-deadline mode: initial count write ignored", apic_read(APIC_TMR_INIT),
		       0);
		expect("TSC-deadline mode: current count 0", apic_read(APIC_TMR_CUR), 0);
	}
	u64 khz = tsc_khz(), at = rdtsc() + khz * 20; /* 20 ms on */
	timer_hits = 0;
	msr_wr(MSR_TSC_DL, at);
	snprintf(name, sizeof(name), "%s: IA32_TSC_DEADLINE reads back while armed", m);
	expect(name, msr_rd(MSR_TSC_DL), at);
	wait_for(&timer_hits, 0, 1000000);
	snprintf(name, sizeof(name), "%s: deadline fires once", m);
	expect(name, timer_hits, 1);
	check(rdtsc() >= at, "%s: not before the deadline", m);
	snprintf(name, sizeof(name), "%s: IA32_TSC_DEADLINE reads 0 after firing", m);
	expect(name, msr_rd(MSR_TSC_DL), 0);
	msr_wr(MSR_TSC_DL, 1); /* long past: at once */
	wait_for(&timer_hits, 1, 1000000);
	snprintf(name, sizeof(name), "%s: a deadline in the past fires at once", m);
	expect(name, timer_hits, 2);
	/* 100 ms on, then disarmed at once: the margin is for a loaded host, where the vCPU may
	 * wait a slice or two between the two writes; spinning past it shows nothing fired. */
	u64 end = rdtsc() + khz * 120;
	msr_wr(MSR_TSC_DL, end - khz * 20);
	msr_wr(MSR_TSC_DL, 0);
	spin_until(end);
	snprintf(name, sizeof(name), "%s: a write of 0 disarms", m);
	expect(name, timer_hits, 2);
	msr_wr(MSR_TSC_DL, rdtsc() + khz * 1000);
	if (in_x2)
		msr_wr(lvt_msr, TVEC | APIC_LVT_MASKED);
	else
		apic_write(APIC_LVT_TIMER, TVEC | APIC_LVT_MASKED);
	snprintf(name, sizeof(name), "%s: leaving TSC-deadline mode disarms (reads 0)", m);
	expect(name, msr_rd(MSR_TSC_DL), 0);
	msr_wr(MSR_TSC_DL, rdtsc() + khz);
	snprintf(name, sizeof(name), "%s: one-shot mode ignores IA32_TSC_DEADLINE", m);
	expect(name, msr_rd(MSR_TSC_DL), 0);
}

/* ---- x2APIC mode (11.12) ---- */

/* The registers as MSRs: read-only, write-only, absent, reserved bits (11.12.1.2-3). */
static void x2_register_checks(void)
{
	static const struct {
		u32 msr;
		bool write;
		const char *name;
	} bad[] = {
		{0x800, false, "reserved MSR 0x800 read #GP"},
		{0x8ff, false, "reserved MSR 0x8ff read #GP"},
		{X2(APIC_ID), true, "ID write #GP (read-only)"},
		{X2(APIC_VER), true, "version write #GP"},
		{X2(APIC_PPR), true, "PPR write #GP"},
		{X2(APIC_LDR), true, "LDR write #GP (read-only)"},
		{X2(APIC_DFR), false, "no DFR: read #GP"},
		{0x809, false, "no APR: read #GP"},
		{X2(APIC_ICR_HI), false, "no ICR high half: read #GP"},
		{X2(APIC_EOI), false, "EOI read #GP (write-only)"},
		{X2_SELF_IPI, false, "SELF IPI read #GP (write-only)"},
		{X2(APIC_TMR_CUR), true, "current count write #GP"},
		{X2(APIC_IRR), true, "IRR write #GP"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u32 vec = bad[i].write ? msr_wr(bad[i].msr, 0)
				       : (msr_rd(bad[i].msr) == NONE ? GP : 0);
		expect(bad[i].name, vec, GP);
	}
	expect("x2APIC ID: 0", msr_rd(X2(APIC_ID)), 0);
	expect("x2APIC LDR: cluster 0, bit 0", msr_rd(X2(APIC_LDR)), 1);
	expect("x2APIC version as in xAPIC mode", msr_rd(X2(APIC_VER)), xapic_ver);
	expect("TPR bit 8 reserved: #GP", msr_wr(X2(APIC_TPR), 0x100), GP);
	expect("TPR upper half reserved: #GP", msr_wr(X2(APIC_TPR), 1ull << 32), GP);
	expect("EOI of a non-zero value #GP", msr_wr(X2(APIC_EOI), 1), GP);
	expect("ESR write of a non-zero value #GP", msr_wr(X2(APIC_ESR), 1), GP);
	expect("SELF IPI bits 31:8 reserved: #GP", msr_wr(X2_SELF_IPI, 0x100 | VEC), GP);
	expect("ICR reserved bit 13 #GP", msr_wr(X2(APIC_ICR_LO), 1u << 13 | VEC), GP);
	expect("TPR write", msr_wr(X2(APIC_TPR), 0x30), TRAP_NONE);
	expect("TPR reads back", msr_rd(X2(APIC_TPR)), 0x30);
#if defined(__x86_64__)
	u64 cr8;
	__asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
	expect("CR8 is TPR[7:4] in x2APIC mode", cr8, 3);
#endif
	msr_wr(X2(APIC_TPR), 0);
	expect("MMIO page silent: version reads all ones", apic_read(APIC_VER), 0xffffffff);
	apic_write(APIC_TPR, 0x40);
	expect("MMIO page silent: a TPR write does nothing", msr_rd(X2(APIC_TPR)), 0);
}

/* IPIs through the 64-bit ICR (11.12.9): 32-bit destinations, logical ID cluster and bit
 * (11.12.10.2), broadcast 0xffffffff, shorthands; SELF IPI (11.12.11). */
static void x2_ipi_checks(void)
{
	msr_wr(X2(APIC_SVR), 0x1ff);
	hits = 0;
	msr_wr(X2_SELF_IPI, VEC);
	window();
	expect("SELF IPI delivered", hits, 1);
	expect("PPR in service through the MSR", ppr_in_service, 0x50);
	expect("ICR physical x2APIC ID 0 (self)", ipi_x2(VEC), 1);
	expect("ICR reads back as one 64-bit register", msr_rd(X2(APIC_ICR_LO)), (u64)VEC);
	expect("ICR physical x2APIC ID 1 (nobody)", ipi_x2(1ull << 32 | VEC), 0);
	expect("ICR physical 0xff (not broadcast here)", ipi_x2(0xffull << 32 | VEC), 0);
	expect("ICR broadcast 0xffffffff", ipi_x2(0xffffffffull << 32 | VEC), 1);
	expect("ICR logical cluster 0 bit 0 (self)", ipi_x2(1ull << 32 | ICR_LOGICAL | VEC), 1);
	expect("ICR logical cluster 0 bit 1 (nobody)", ipi_x2(2ull << 32 | ICR_LOGICAL | VEC), 0);
	expect("ICR logical cluster 1 bit 0 (nobody)", ipi_x2(0x10001ull << 32 | ICR_LOGICAL | VEC),
	       0);
	expect("ICR shorthand self", ipi_x2(SH_SELF | VEC), 1);
	expect("ICR shorthand all excluding self", ipi_x2(SH_OTHERS | VEC), 0);
	nmis = 0;
	msr_wr(X2(APIC_ICR_LO), ICR_NMI);
	expect("ICR NMI to x2APIC ID 0 (self)", nmis, 1);
}

/* The mode transitions from xAPIC (11.12.5, figure 11-27). */
static void x2_mode_checks(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x10);
	expect("xAPIC -> x2APIC taken", msr_wr(MSR_APIC_BASE, X2APIC), TRAP_NONE);
	expect("APIC_BASE reads EN and EXTD", msr_rd(MSR_APIC_BASE), X2APIC);
	x2 = true;
	expect("xAPIC -> x2APIC keeps the TPR", msr_rd(X2(APIC_TPR)), 0x10);
	msr_wr(X2(APIC_TPR), 0);
	x2_register_checks();
	x2_ipi_checks();
	deadline_checks(true);
	expect("x2APIC -> xAPIC #GP", msr_wr(MSR_APIC_BASE, XAPIC), GP);
	expect("x2APIC -> EXTD without EN #GP", msr_wr(MSR_APIC_BASE, DISABLED | BASE_EXTD), GP);
	expect("still x2APIC after the refusals", msr_rd(MSR_APIC_BASE), X2APIC);
	expect("x2APIC -> disabled taken", msr_wr(MSR_APIC_BASE, DISABLED), TRAP_NONE);
	x2 = false;
	expect("disabled: x2APIC MSRs #GP", msr_rd(X2(APIC_TPR)), NONE);
	expect("disabled -> xAPIC taken", msr_wr(MSR_APIC_BASE, XAPIC), TRAP_NONE);
	expect("xAPIC again: the page answers", apic_read(APIC_VER), xapic_ver);
	expect("xAPIC again: ID in bits 31:24", apic_read(APIC_ID), 0);
	expect("xAPIC again: SVR at reset", apic_read(APIC_SVR), 0xff);
}

int guest_main(void)
{
	printf("lapic: %d-bit guest\n", (int)sizeof(void *) * 8);
	trap_init();
	trap_set_gate(VEC, vec_stub, 0);
	trap_set_gate(TVEC, timer_stub, 0);
	trap_set_gate(2, nmi_stub, 0);
	base_checks();
	disable_checks();
	register_checks();
	priority_checks();
	ipi_checks();
	pv_eoi_checks();
	deadline_checks(false);
	x2_mode_checks();
	return check_done();
}
