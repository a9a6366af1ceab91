/* The guest's TSC (README "Guest-reachable CPU state", SDM 17.17): CPUID offers
 * IA32_TSC_ADJUST; a write of IA32_TSC sets the TSC RDTSC then counts from, and moves
 * TSC_ADJUST by as much; a write of TSC_ADJUST moves the TSC by the change; RDMSR of IA32_TSC
 * agrees with RDTSC; the TSC never goes back across yields (and naps, nap=N microseconds, in
 * which idle host CPUs steal the vCPU); the KVM clock follows a TSC write without a jump;
 * RDTSCP, where CPUID offers it, returns TSC_AUX (tag=N makes it this VM's own) and the
 * offset TSC, and TSC_AUX refuses bits 63:32. Run with mem=16M. */
#include "rt/apic.h"
#include "rt/nap.h"
#include "rt/msr.h"
#include "rt/trap.h"

typedef unsigned long long ull; /* for printf's %ll */

#define GP	       13
#define MSR_TSC	       0x10u
#define MSR_TSC_ADJUST 0x3bu
#define MSR_TSC_AUX    0xc0000103u
#define MSR_KVM_SYSTEM 0x4b564d01u
#define BIG	       (1ull << 40) /* a TSC jump far beyond any test's run time */

static u64 rdtscp(u32 *aux)
{
	u32 lo, hi;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
	return (u64)hi << 32 | lo;
}

/* Within a second of TSC at keel's rate: how near two readings taken one after the other,
 * with exits between them, must be. */
static u64 second;

static bool near(u64 got, u64 want)
{
	return got >= want && got - want < second;
}

/* IA32_TSC written: RDTSC counts on from the value; TSC_ADJUST moved by as much. */
static void tsc_write(void)
{
	check(rdmsr_or(MSR_TSC_ADJUST, 1) == 0, "TSC_ADJUST starts at 0");
	u64 t0 = rdtsc(), target = t0 + BIG;
	check(wrmsr_try(MSR_TSC, target) == TRAP_NONE, "IA32_TSC written");
	u64 t1 = rdtsc(), adj = rdmsr_or(MSR_TSC_ADJUST, 0);
	check(near(t1, target), "RDTSC 0x%llx after writing 0x%llx", (ull)t1, (ull)target);
	check(adj > BIG - second && adj <= BIG, "TSC_ADJUST 0x%llx moved with it", (ull)adj);
	u64 m = rdmsr_or(MSR_TSC, 0);
	check(near(m, t1), "RDMSR IA32_TSC 0x%llx agrees with RDTSC", (ull)m);
	/* TSC_ADJUST back to 0: the TSC returns to where it would have been */
	check(wrmsr_try(MSR_TSC_ADJUST, 0) == TRAP_NONE, "TSC_ADJUST written");
	u64 t2 = rdtsc();
	check(near(t2, t0), "TSC_ADJUST 0 brings the TSC back (0x%llx, was 0x%llx)", (ull)t2,
	      (ull)t0);
	wrmsr_try(MSR_TSC_ADJUST, BIG);
	u64 t3 = rdtsc();
	check(near(t3, t2 + BIG), "TSC_ADJUST 2^40 moves the TSC by 2^40 (0x%llx)", (ull)t3);
}

/* Across yields and naps (moves between host CPUs), RDTSC and RDTSCP never go back, and
 * RDTSCP keeps this VM's TSC_AUX. */
static void monotonic(bool has_rdtscp, u32 aux_want)
{
	u64 rounds = cmdline_num("rounds", 50), nap_us = cmdline_num("nap", 0);
	u64 prev = rdtsc();
	u32 back = 0, aux_bad = 0;
	for (u64 r = 0; r < rounds; r++) {
		hypercall(3, 0, 0, 0, 0);
		if (nap_us)
			nap(nap_us);
		u64 t = rdtsc();
		back += t < prev;
		prev = t;
		if (has_rdtscp) {
			u32 aux;
			t = rdtscp(&aux);
			back += t < prev;
			aux_bad += aux != aux_want;
			prev = t;
		}
	}
	check(!back, "the TSC never went back over %llu yields (%u times)", (ull)rounds, back);
	check(!aux_bad, "RDTSCP's TSC_AUX kept over %llu yields (%u wrong)", (ull)rounds, aux_bad);
}

/* RDTSCP: TSC_AUX as written, the TSC with the vCPU's offset; TSC_AUX's bits 63:32 #GP. */
static void tsc_aux(bool has_rdtscp, u32 aux_want)
{
	if (!has_rdtscp) {
		u32 lo, hi, aux = 0;
		u32 vec = TRAP_TRY("rdtscp", : "=a"(lo), "=d"(hi), "+c"(aux) :);
		check(vec == 6, "RDTSCP raises #UD, as CPUID hides it (%u)", vec);
		check(wrmsr_try(MSR_TSC_AUX, 1) == GP, "TSC_AUX raises #GP, as CPUID hides it");
		return;
	}
	check(wrmsr_try(MSR_TSC_AUX, aux_want) == TRAP_NONE, "TSC_AUX written");
	check(rdmsr_or(MSR_TSC_AUX, 0) == aux_want, "TSC_AUX reads back 0x%x", aux_want);
	u32 aux;
	u64 t0 = rdtsc(), t1 = rdtscp(&aux);
	check(aux == aux_want && near(t1, t0), "RDTSCP: aux 0x%x, TSC 0x%llx after RDTSC 0x%llx",
	      aux, (ull)t1, (ull)t0);
	check(wrmsr_try(MSR_TSC_AUX, 1ull << 32) == GP, "TSC_AUX bit 32 (reserved) raises #GP");
}

/* The KVM clock is computed from the guest's TSC: after a TSC write it must not jump. */
static volatile struct {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 mul;
	int8_t shift;
	u8 flags, pad[2];
} ti __attribute__((aligned(32)));

static u64 clock_ns(void)
{
	u64 d = rdtsc() - ti.tsc_timestamp;
	d = ti.shift < 0 ? d >> -ti.shift : d << ti.shift;
	return ti.system_time + (d >> 32) * ti.mul + (((d & 0xffffffffu) * ti.mul) >> 32);
}

static void kvmclock_follows(void)
{
	wrmsr_try(MSR_KVM_SYSTEM, (uintptr_t)&ti | 1);
	u64 ns0 = clock_ns();
	wrmsr_try(MSR_TSC, rdtsc() + BIG);
	u64 ns1 = clock_ns();
	check(ns1 >= ns0 && ns1 - ns0 < 1000000000u,
	      "kvm-clock steady across a TSC write (%llu ns -> %llu ns)", (ull)ns0, (ull)ns1);
	wrmsr_try(MSR_KVM_SYSTEM, 0);
}

int guest_main(void)
{
	trap_init();
	u32 r[4];
	cpuid(7, 0, r);
	check(r[1] & (1u << 1), "CPUID 7 EBX[1]: TSC_ADJUST offered");
	cpuid(0x80000001u, 0, r);
	bool has_rdtscp = r[3] & (1u << 27);
	cpuid(0x40000010u, 0, r);
	second = (u64)r[0] * 1000;
	u32 aux = 0x7a000000u | (u32)cmdline_num("tag", 1);
	printf("tsc: %u kHz, RDTSCP %s\n", r[0], has_rdtscp ? "offered" : "hidden");
	tsc_write();
	tsc_aux(has_rdtscp, aux);
	monotonic(has_rdtscp, aux);
	kvmclock_follows();
	return check_done();
}
